/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * User data header (TS 23.040 §9.2.3.24): concatenation IEs 00/08
 * (§9.2.3.24.1, §9.2.3.24.8) and the packet identifiers 70/71 (TS 31.115 §4).
 */
#include <string.h>

#include "simota/sms.h"

void simota_sms_udh_init(struct simota_sms_udh *udh)
{
	udh->n_ies = 0;
	udh->len = 0;
}

/* TS 23.040 §9.2.3.24: appends IEI, IEDL, value. */
simota_err simota_sms_udh_add(struct simota_sms_udh *udh, uint8_t iei,
			      const uint8_t *value, size_t len)
{
	if (udh->n_ies >= SIMOTA_SMS_UDH_MAX_IES || len > SIMOTA_SMS_UDH_MAX - 2u ||
	    udh->len + 2u + len > SIMOTA_SMS_UDH_MAX)
		return SIMOTA_ERR_NO_SPACE;
	udh->data[udh->len] = iei;
	udh->data[udh->len + 1] = (uint8_t)len;
	if (len)
		memcpy(udh->data + udh->len + 2, value, len);
	udh->ies[udh->n_ies].iei = iei;
	udh->ies[udh->n_ies].len = (uint8_t)len;
	udh->ies[udh->n_ies].offset = (uint8_t)(udh->len + 2);
	udh->n_ies++;
	udh->len = (uint8_t)(udh->len + 2 + len);
	return SIMOTA_OK;
}

/* TS 23.040 §9.2.3.24: UDHL, then IEs filling it exactly. */
simota_err simota_sms_udh_parse(const uint8_t *p, size_t len,
				struct simota_sms_udh *out, size_t *udh_octets)
{
	struct simota_reader r;
	uint8_t udhl;
	simota_err err;

	simota_sms_udh_init(out);
	if (len < 1)
		return SIMOTA_ERR_TRUNCATED;
	udhl = p[0];
	if (udhl > SIMOTA_SMS_UDH_MAX)
		return SIMOTA_ERR_BAD_LENGTH;
	if (len < 1u + udhl)
		return SIMOTA_ERR_TRUNCATED;
	r = simota_reader_init(p + 1, udhl);
	while (simota_reader_left(&r)) {
		uint8_t iei, iedl;
		const uint8_t *value;

		if (simota_read_u8(&r, &iei) || simota_read_u8(&r, &iedl))
			return SIMOTA_ERR_BAD_LENGTH;   /* IE header cut by the UDHL */
		if (simota_read_span(&r, iedl, &value))
			return SIMOTA_ERR_BAD_LENGTH;   /* IE value overruns the UDHL */
		err = simota_sms_udh_add(out, iei, value, iedl);
		if (err)
			return err;
	}
	*udh_octets = 1u + udhl;
	return SIMOTA_OK;
}

/* TS 23.040 §9.2.3.24. */
simota_err simota_sms_udh_encode(const struct simota_sms_udh *udh, struct simota_writer *w)
{
	if (udh->len > SIMOTA_SMS_UDH_MAX)
		return SIMOTA_ERR_BAD_LENGTH;
	simota_write_u8(w, udh->len);
	simota_write_bytes(w, udh->data, udh->len);
	return SIMOTA_OK;
}

int simota_sms_udh_find(const struct simota_sms_udh *udh, uint8_t iei)
{
	for (int i = 0; i < udh->n_ies; i++)
		if (udh->ies[i].iei == iei)
			return i;
	return -1;
}

/* TS 23.040 §9.2.3.24.1 (8 bit reference) and §9.2.3.24.8 (16 bit reference). */
simota_err simota_sms_udh_get_concat(const struct simota_sms_udh *udh, struct simota_sms_concat *out)
{
	int found = -1;

	/* a repeated IE: the last occurrence is used (§9.2.3.24) */
	for (int i = 0; i < udh->n_ies; i++)
		if (udh->ies[i].iei == SIMOTA_SMS_IEI_CONCAT_8 ||
		    udh->ies[i].iei == SIMOTA_SMS_IEI_CONCAT_16)
			found = i;
	if (found < 0)
		return SIMOTA_ERR_MISSING_VALUE;

	const uint8_t *v = simota_sms_udh_value(udh, found);
	memset(out, 0, sizeof(*out));
	if (udh->ies[found].iei == SIMOTA_SMS_IEI_CONCAT_8) {
		if (udh->ies[found].len != 3)
			return SIMOTA_ERR_BAD_LENGTH;
		out->ref = v[0];
		v += 1;
	} else {
		if (udh->ies[found].len != 4)
			return SIMOTA_ERR_BAD_LENGTH;
		out->ref = (uint16_t)(v[0] << 8 | v[1]);
		out->ref16 = true;
		v += 2;
	}
	out->total = v[0];
	out->seq = v[1];
	if (out->total == 0 || out->seq == 0 || out->seq > out->total)
		return SIMOTA_ERR_BAD_VALUE;
	return SIMOTA_OK;
}

/* TS 23.040 §9.2.3.24.1 / §9.2.3.24.8. */
simota_err simota_sms_udh_add_concat(struct simota_sms_udh *udh, const struct simota_sms_concat *c)
{
	uint8_t v[4];

	if (c->total == 0 || c->seq == 0 || c->seq > c->total || (!c->ref16 && c->ref > 0xFF))
		return SIMOTA_ERR_BAD_VALUE;
	if (c->ref16) {
		v[0] = (uint8_t)(c->ref >> 8);
		v[1] = (uint8_t)c->ref;
		v[2] = c->total;
		v[3] = c->seq;
		return simota_sms_udh_add(udh, SIMOTA_SMS_IEI_CONCAT_16, v, 4);
	}
	v[0] = (uint8_t)c->ref;
	v[1] = c->total;
	v[2] = c->seq;
	return simota_sms_udh_add(udh, SIMOTA_SMS_IEI_CONCAT_8, v, 3);
}
