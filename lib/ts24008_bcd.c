/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Swapped BCD (TS 24.008 §10.5.4.7, TS 23.040 §9.1.2.3) and the PLMN identity (TS 24.008 §10.5.1.3). */
#include <string.h>

#include "simota/ts24008.h"

/* TS 24.008 Table 10.5.118: nibble values 0-E; F is the end mark / filler. */
static const char bcd_chars[] = "0123456789*#abc";

static int bcd_value(char c)
{
	const char *hit;

	if (c >= 'A' && c <= 'C')
		c = (char)(c - 'A' + 'a');
	if (!c || !(hit = strchr(bcd_chars, c)))
		return -1;
	return (int)(hit - bcd_chars);
}

static uint8_t nibble(const uint8_t *p, size_t i)
{
	return (i & 1) ? p[i / 2] >> 4 : p[i / 2] & 0x0F;
}

/* TS 24.008 §10.5.4.7: digit 1 in bits 1-4, digit 2 in bits 5-8; an odd count ends with F. */
simota_err simota_bcd_encode(struct simota_writer *w, const char *digits, size_t n)
{
	for (size_t i = 0; i < n; i += 2) {
		int lo = bcd_value(digits[i]);
		int hi = i + 1 < n ? bcd_value(digits[i + 1]) : 0x0F;

		if (lo < 0 || hi < 0)
			return SIMOTA_ERR_BAD_VALUE;
		simota_write_u8(w, (uint8_t)(hi << 4 | lo));
	}
	return SIMOTA_OK;
}

/* TS 23.040 §9.1.2.3: a digit count given by the length field. */
simota_err simota_bcd_decode_n(const uint8_t *p, size_t n_digits, char *out)
{
	for (size_t i = 0; i < n_digits; i++) {
		uint8_t d = nibble(p, i);

		if (d == 0x0F)
			return SIMOTA_ERR_BAD_VALUE;
		out[i] = bcd_chars[d];
	}
	out[n_digits] = '\0';
	return SIMOTA_OK;
}

/* TS 24.008 §10.5.4.7: digits up to the end mark F. */
simota_err simota_bcd_decode(const uint8_t *p, size_t len, enum simota_bcd_filler filler,
			     char *out, size_t cap, size_t *n_digits)
{
	size_t n = 0, nibbles = 2 * len, i;
	simota_err err = SIMOTA_OK;

	*n_digits = 0;
	if (cap == 0)
		return SIMOTA_ERR_NO_SPACE;
	out[0] = '\0';
	for (i = 0; i < nibbles && nibble(p, i) != 0x0F; i++) {
		if (n + 1 >= cap)
			break;
		out[n++] = bcd_chars[nibble(p, i)];
	}
	if (i < nibbles && nibble(p, i) != 0x0F)
		err = SIMOTA_ERR_NO_SPACE;
	else if (i < nibbles && filler == SIMOTA_BCD_FILLER_LAST && i != nibbles - 1)
		err = SIMOTA_ERR_BAD_VALUE;
	for (; !err && i < nibbles; i++)
		if (nibble(p, i) != 0x0F)
			err = SIMOTA_ERR_BAD_VALUE;
	/* on an error out is "" */
	out[err ? 0 : n] = '\0';
	*n_digits = err ? 0 : n;
	return err;
}

bool simota_decimal_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* TS 23.040 §9.2.3.11: "the first digit is the low nibble": tens low, units high. */
uint8_t simota_bcd_swapped_from_int(unsigned v)
{
	return (uint8_t)((v % 10) << 4 | (v / 10) % 10);
}

simota_err simota_bcd_swapped_to_int(uint8_t b, uint8_t *v)
{
	uint8_t tens = b & 0x0F, units = b >> 4;

	if (tens > 9 || units > 9)
		return SIMOTA_ERR_BAD_VALUE;
	*v = (uint8_t)(tens * 10 + units);
	return SIMOTA_OK;
}

/* TS 24.008 §10.5.1.3 Figure 10.5.3: MCC2 MCC1 | MNC3 MCC3 | MNC2 MNC1. */
simota_err simota_plmn_decode(const uint8_t p[3], char mcc[4], char mnc[4])
{
	uint8_t d[6] = { p[0] & 0x0F, p[0] >> 4, p[1] & 0x0F, p[2] & 0x0F, p[2] >> 4, p[1] >> 4 };

	for (int i = 0; i < 6; i++)
		if (d[i] > 9 && !(i == 5 && d[i] == 0x0F))
			return SIMOTA_ERR_BAD_VALUE;
	for (int i = 0; i < 3; i++)
		mcc[i] = (char)('0' + d[i]);
	mcc[3] = '\0';
	mnc[0] = (char)('0' + d[3]);
	mnc[1] = (char)('0' + d[4]);
	mnc[2] = d[5] == 0x0F ? '\0' : (char)('0' + d[5]);
	mnc[3] = '\0';
	return SIMOTA_OK;
}

simota_err simota_plmn_encode(struct simota_writer *w, const char *mcc, const char *mnc)
{
	size_t ln = strnlen(mnc, 4);
	uint8_t d[6];

	if (strnlen(mcc, 4) != 3 || (ln != 2 && ln != 3))
		return SIMOTA_ERR_BAD_VALUE;
	for (int i = 0; i < 3; i++)
		d[i] = (uint8_t)(mcc[i] - '0');
	for (size_t i = 0; i < ln; i++)
		d[3 + i] = (uint8_t)(mnc[i] - '0');
	if (ln == 2)
		d[5] = 0x0F;
	for (int i = 0; i < 6; i++)
		if (d[i] > 9 && !(i == 5 && d[i] == 0x0F))
			return SIMOTA_ERR_BAD_VALUE;
	simota_write_u8(w, (uint8_t)(d[1] << 4 | d[0]));
	simota_write_u8(w, (uint8_t)(d[5] << 4 | d[2]));
	simota_write_u8(w, (uint8_t)(d[4] << 4 | d[3]));
	return SIMOTA_OK;
}
