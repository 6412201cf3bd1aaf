/* SPDX-License-Identifier: GPL-2.0-or-later */
/* AUTHENTICATE command and response data (3GPP TS 31.102 §7.1.2), even INS. */
#include <string.h>

#include "simota/apdu.h"
#include "simota/milenage.h"

/* One length-prefixed field of exactly `want` bytes. */
static simota_err read_lv(struct simota_reader *r, size_t want, const uint8_t **out)
{
	uint8_t l;
	simota_err err;

	if ((err = simota_read_u8(r, &l)))
		return err;
	if (l != want)
		return SIMOTA_ERR_BAD_LENGTH;
	return simota_read_span(r, want, out);
}

static simota_err read_lv_copy(struct simota_reader *r, size_t want, uint8_t *out)
{
	const uint8_t *p;
	simota_err err = read_lv(r, want, &p);

	if (!err)
		memcpy(out, p, want);
	return err;
}

/* TS 31.102 §7.1.2: P2 = '1000 0XXX' (specific reference data, context). */
static simota_err context_of(uint8_t p2, enum simota_auth_context *ctx)
{
	if ((p2 & 0xF8) != 0x80 || (p2 & 0x07) > SIMOTA_AUTH_CONTEXT_3G)
		return SIMOTA_ERR_UNSUPPORTED;
	*ctx = (enum simota_auth_context)(p2 & 0x07);
	return SIMOTA_OK;
}

/* TS 31.102 §7.1.2: command parameters, L1 RAND [L2 AUTN]. */
simota_err simota_auth_data_decode(uint8_t p2, const uint8_t *data, size_t len, struct simota_auth_command *out)
{
	struct simota_reader r = simota_reader_init(data, len);
	simota_err err;

	memset(out, 0, sizeof(*out));
	if ((err = context_of(p2, &out->context)) ||
	    (err = read_lv(&r, SIMOTA_AKA_RAND_LEN, &out->rand)))
		return err;
	if (out->context == SIMOTA_AUTH_CONTEXT_3G &&
	    (err = read_lv(&r, SIMOTA_AKA_AUTN_LEN, &out->autn)))
		return err;
	return simota_reader_left(&r) ? SIMOTA_ERR_TRAILING_DATA : SIMOTA_OK;
}

/* TS 31.102 §7.1.2 over ISO/IEC 7816-4 §5.1: INS 88, P1 00, Lc data [Le]. */
simota_err simota_auth_command_decode(const uint8_t *apdu, size_t len, struct simota_auth_command *out)
{
	struct simota_apdu a;
	simota_err err;

	if ((err = simota_apdu_decode(apdu, len, &a)))
		return err;
	if (a.ins != SIMOTA_AUTH_INS || a.p1 != 0x00)
		return SIMOTA_ERR_BAD_VALUE;
	if (!a.lc)
		return SIMOTA_ERR_MISSING_VALUE;
	return simota_auth_data_decode(a.p2, a.data, a.lc, out);
}

/* TS 31.102 §7.1.2: CLA 88 00 P2 Lc (10 RAND [10 AUTN]) 00. */
simota_err simota_auth_command_encode(uint8_t cla, const struct simota_auth_command *cmd,
				      struct simota_writer *w)
{
	uint8_t data[2 + SIMOTA_AKA_RAND_LEN + SIMOTA_AKA_AUTN_LEN];
	struct simota_writer dw = simota_writer_init(data, sizeof(data));
	struct simota_apdu a = { .cla = cla, .ins = SIMOTA_AUTH_INS, .p1 = 0x00, .has_le = true, .le = 0x00 };

	if (cmd->context != SIMOTA_AUTH_CONTEXT_GSM && cmd->context != SIMOTA_AUTH_CONTEXT_3G)
		return SIMOTA_ERR_BAD_VALUE;
	if (!cmd->rand || (cmd->context == SIMOTA_AUTH_CONTEXT_3G && !cmd->autn))
		return SIMOTA_ERR_MISSING_VALUE;
	a.p2 = (uint8_t)(0x80 | cmd->context);
	simota_write_u8(&dw, SIMOTA_AKA_RAND_LEN);
	simota_write_bytes(&dw, cmd->rand, SIMOTA_AKA_RAND_LEN);
	if (cmd->context == SIMOTA_AUTH_CONTEXT_3G) {
		simota_write_u8(&dw, SIMOTA_AKA_AUTN_LEN);
		simota_write_bytes(&dw, cmd->autn, SIMOTA_AKA_AUTN_LEN);
	}
	a.data = data;
	a.lc = dw.len;
	simota_apdu_write(w, &a);
	return simota_writer_status(w);
}

/* TS 31.102 §7.1.2.1: response parameters, cases 1 to 3. */
simota_err simota_auth_response_encode(const struct simota_auth_response *rsp, struct simota_writer *w)
{
	switch (rsp->kind) {
	case SIMOTA_AUTH_RSP_3G_OK:
		if (rsp->res_len < 4 || rsp->res_len > SIMOTA_AKA_RES_MAX_LEN)
			return SIMOTA_ERR_BAD_VALUE;
		simota_write_u8(w, 0xDB);
		simota_write_u8(w, (uint8_t)rsp->res_len);
		simota_write_bytes(w, rsp->res, rsp->res_len);
		simota_write_u8(w, SIMOTA_AKA_CK_LEN);
		simota_write_bytes(w, rsp->ck, SIMOTA_AKA_CK_LEN);
		simota_write_u8(w, SIMOTA_AKA_IK_LEN);
		simota_write_bytes(w, rsp->ik, SIMOTA_AKA_IK_LEN);
		if (rsp->has_kc) {
			simota_write_u8(w, SIMOTA_AKA_KC_LEN);
			simota_write_bytes(w, rsp->kc, SIMOTA_AKA_KC_LEN);
		}
		break;
	case SIMOTA_AUTH_RSP_SYNC_FAILURE:
		simota_write_u8(w, 0xDC);
		simota_write_u8(w, SIMOTA_AKA_AUTS_LEN);
		simota_write_bytes(w, rsp->auts, SIMOTA_AKA_AUTS_LEN);
		break;
	case SIMOTA_AUTH_RSP_GSM_OK:
		simota_write_u8(w, SIMOTA_AKA_SRES_LEN);
		simota_write_bytes(w, rsp->sres, SIMOTA_AKA_SRES_LEN);
		simota_write_u8(w, SIMOTA_AKA_KC_LEN);
		simota_write_bytes(w, rsp->kc, SIMOTA_AKA_KC_LEN);
		break;
	default:
		return SIMOTA_ERR_BAD_VALUE;
	}
	return simota_writer_status(w);
}

/* TS 31.102 §7.1.2.1, case 1: DB L3 RES L4 CK L5 IK [08 Kc]. */
static simota_err decode_3g_ok(struct simota_reader *r, struct simota_auth_response *out)
{
	const uint8_t *res;
	uint8_t l;
	simota_err err;

	if ((err = simota_read_u8(r, &l)))
		return err;
	if (l < 4 || l > SIMOTA_AKA_RES_MAX_LEN)
		return SIMOTA_ERR_BAD_LENGTH;
	if ((err = simota_read_span(r, l, &res)))
		return err;
	memcpy(out->res, res, l);
	out->res_len = l;
	if ((err = read_lv_copy(r, SIMOTA_AKA_CK_LEN, out->ck)) ||
	    (err = read_lv_copy(r, SIMOTA_AKA_IK_LEN, out->ik)))
		return err;
	if (simota_reader_left(r)) {
		if ((err = read_lv_copy(r, SIMOTA_AKA_KC_LEN, out->kc)))
			return err;
		out->has_kc = true;
	}
	return SIMOTA_OK;
}

/* TS 31.102 §7.1.2.1 */
simota_err simota_auth_response_decode(enum simota_auth_context context, const uint8_t *p, size_t len,
				       struct simota_auth_response *out)
{
	struct simota_reader r = simota_reader_init(p, len);
	uint8_t tag;
	simota_err err;

	memset(out, 0, sizeof(*out));
	if (context == SIMOTA_AUTH_CONTEXT_GSM) {   /* case 3: 04 SRES 08 Kc */
		out->kind = SIMOTA_AUTH_RSP_GSM_OK;
		if ((err = read_lv_copy(&r, SIMOTA_AKA_SRES_LEN, out->sres)) ||
		    (err = read_lv_copy(&r, SIMOTA_AKA_KC_LEN, out->kc)))
			return err;
	} else if (context == SIMOTA_AUTH_CONTEXT_3G) {
		if ((err = simota_read_u8(&r, &tag)))
			return err;
		if (tag == 0xDB) {
			out->kind = SIMOTA_AUTH_RSP_3G_OK;
			err = decode_3g_ok(&r, out);
		} else if (tag == 0xDC) {             /* case 2: DC L1 AUTS */
			out->kind = SIMOTA_AUTH_RSP_SYNC_FAILURE;
			err = read_lv_copy(&r, SIMOTA_AKA_AUTS_LEN, out->auts);
		} else {
			err = SIMOTA_ERR_BAD_TAG;
		}
		if (err)
			return err;
	} else {
		return SIMOTA_ERR_BAD_VALUE;
	}
	return simota_reader_left(&r) ? SIMOTA_ERR_TRAILING_DATA : SIMOTA_OK;
}
