/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Command and response APDUs, short lengths (ISO/IEC 7816-4 §5.1, §5.2). */
#include "simota/apdu.h"

/* ISO/IEC 7816-4 §5.1: the body after the header decides the case. */
simota_err simota_apdu_decode(const uint8_t *p, size_t len, struct simota_apdu *out)
{
	size_t body;

	if (len < 4)
		return SIMOTA_ERR_TRUNCATED;
	out->cla = p[0];
	out->ins = p[1];
	out->p1 = p[2];
	out->p2 = p[3];
	out->data = NULL;
	out->lc = 0;
	out->has_le = false;
	out->le = 0;
	body = len - 4;
	if (body == 0)                         /* case 1 */
		return SIMOTA_OK;
	if (body == 1) {                       /* case 2: Le */
		out->has_le = true;
		out->le = p[4];
		return SIMOTA_OK;
	}
	if (p[4] == 0)                         /* extended Lc (or Le) field */
		return SIMOTA_ERR_UNSUPPORTED;
	if (body != 1u + p[4] && body != 2u + p[4])
		return SIMOTA_ERR_BAD_LENGTH;
	out->lc = p[4];
	out->data = p + 5;
	if (body == 2u + p[4]) {               /* case 4: Lc data Le */
		out->has_le = true;
		out->le = p[len - 1];
	}
	return SIMOTA_OK;
}

size_t simota_apdu_encoded_len(const struct simota_apdu *a)
{
	return 4 + (a->lc ? 1 + a->lc : 0) + (a->has_le ? 1 : 0);
}

/* ISO/IEC 7816-4 §5.1 */
void simota_apdu_write(struct simota_writer *w, const struct simota_apdu *a)
{
	const uint8_t hdr[4] = { a->cla, a->ins, a->p1, a->p2 };

	if (a->lc > SIMOTA_APDU_MAX_LC) {
		w->overflow = true;
		return;
	}
	simota_write_bytes(w, hdr, 4);
	if (a->lc) {
		simota_write_u8(w, (uint8_t)a->lc);
		simota_write_bytes(w, a->data, a->lc);
	}
	if (a->has_le)
		simota_write_u8(w, a->le);
}

/* ISO/IEC 7816-4 §5.2: the trailer is the last two bytes. */
simota_err simota_rapdu_split(const uint8_t *p, size_t len, const uint8_t **data, size_t *data_len,
			      uint16_t *sw)
{
	if (len < 2)
		return SIMOTA_ERR_TRUNCATED;
	*data = p;
	*data_len = len - 2;
	*sw = (uint16_t)(p[len - 2] << 8 | p[len - 1]);
	return SIMOTA_OK;
}
