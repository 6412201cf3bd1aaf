/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SCTS and validity period (TS 23.040 §9.2.3.11, §9.2.3.12). */
#include <string.h>

#include "simota/sms.h"
#include "simota/ts24008.h"

/* TS 23.040 §9.2.3.11: YY MM DD hh mm ss TZ, TZ sign in bit 3. */
simota_err simota_sms_scts_decode(const uint8_t p[SIMOTA_SMS_SCTS_LEN],
				  struct simota_sms_scts *out)
{
	uint8_t *fields[6] = { &out->year, &out->month, &out->day,
			       &out->hour, &out->minute, &out->second };
	uint8_t tz;
	simota_err err;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 6; i++) {
		err = simota_bcd_swapped_to_int(p[i], fields[i]);
		if (err)
			return err;
	}
	err = simota_bcd_swapped_to_int(p[6] & 0xF7, &tz);
	if (err)
		return err;
	out->tz_quarters = (int8_t)((p[6] & 0x08) ? -(int)tz : tz);
	return SIMOTA_OK;
}

/* TS 23.040 §9.2.3.11. */
simota_err simota_sms_scts_encode(const struct simota_sms_scts *t, struct simota_writer *w)
{
	const uint8_t fields[6] = { t->year, t->month, t->day, t->hour, t->minute, t->second };
	int tz = t->tz_quarters;
	uint8_t tzb;

	for (int i = 0; i < 6; i++) {
		if (fields[i] > 99)
			return SIMOTA_ERR_BAD_VALUE;
		simota_write_u8(w, simota_bcd_swapped_from_int(fields[i]));
	}
	if (tz < -79 || tz > 79)
		return SIMOTA_ERR_BAD_VALUE;
	tzb = simota_bcd_swapped_from_int((uint8_t)(tz < 0 ? -tz : tz));
	if (tz < 0)
		tzb |= 0x08;
	simota_write_u8(w, tzb);
	return SIMOTA_OK;
}

/* TS 23.040 §9.2.3.12.1. */
uint32_t simota_sms_vp_relative_seconds(uint8_t vp)
{
	if (vp <= 143)
		return (vp + 1u) * 5 * 60;
	if (vp <= 167)
		return 12 * 3600u + (vp - 143u) * 30 * 60;
	if (vp <= 196)
		return (vp - 166u) * 86400;
	return (vp - 192u) * 7 * 86400;
}

/* TS 23.040 §9.2.3.12.1. */
uint8_t simota_sms_vp_relative_from_seconds(uint32_t seconds)
{
	/* the table is monotonic: the first value that covers wins */
	for (unsigned v = 0; v < 255; v++)
		if (simota_sms_vp_relative_seconds((uint8_t)v) >= seconds)
			return (uint8_t)v;
	return 255;
}

/* TS 23.040 §9.2.3.12.3: enhanced format. */
simota_err simota_sms_vp_enhanced_decode(const uint8_t vp[7], uint32_t *seconds,
					 bool *single_shot)
{
	uint8_t h, m, s;

	*single_shot = (vp[0] & 0x40) != 0;
	*seconds = 0;
	if (vp[0] & 0x80)
		return SIMOTA_ERR_UNSUPPORTED; /* extension octets: none defined */
	switch (vp[0] & 0x07) {
	case 0: /* no validity period specified */
		return SIMOTA_OK;
	case 1: /* as the relative format */
		*seconds = simota_sms_vp_relative_seconds(vp[1]);
		return SIMOTA_OK;
	case 2: /* relative integer, 0-255 seconds */
		*seconds = vp[1];
		return SIMOTA_OK;
	case 3: /* hh mm ss semi-octets */
		if (simota_bcd_swapped_to_int(vp[1], &h) || simota_bcd_swapped_to_int(vp[2], &m) ||
		    simota_bcd_swapped_to_int(vp[3], &s))
			return SIMOTA_ERR_BAD_VALUE;
		*seconds = h * 3600u + m * 60u + s;
		return SIMOTA_OK;
	default:
		return SIMOTA_ERR_UNSUPPORTED;
	}
}

/* TS 23.040 §9.2.3.12.3. */
simota_err simota_sms_vp_enhanced_encode(uint32_t seconds, bool single_shot, uint8_t vp[7])
{
	memset(vp, 0, 7);
	if (seconds <= 255) {
		vp[0] = 0x02;
		vp[1] = (uint8_t)seconds;
	} else if (seconds < 100 * 3600u) {
		vp[0] = 0x03;
		vp[1] = simota_bcd_swapped_from_int((uint8_t)(seconds / 3600));
		vp[2] = simota_bcd_swapped_from_int((uint8_t)(seconds / 60 % 60));
		vp[3] = simota_bcd_swapped_from_int((uint8_t)(seconds % 60));
	} else {
		return SIMOTA_ERR_BAD_VALUE;
	}
	if (single_shot)
		vp[0] |= 0x40;
	return SIMOTA_OK;
}
