/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMS addresses: TP address (TS 23.040 §9.1.2.5), RP address (TS 24.011
 * §8.2.5.1) and the CAT Address value (TS 102 223 §8.1).
 */
#include <string.h>

#include "simota/gsm7.h"
#include "simota/sms.h"
#include "simota/ts24008.h"

static uint8_t toa(const struct simota_sms_address *a)
{
	return (uint8_t)(0x80 | (a->ton & 7) << 4 | (a->npi & 0x0F));
}

/* TS 23.040 §9.1.2.5: TP address, alphanumeric (TON 101) in packed GSM 7 bit. */
simota_err simota_sms_address_decode(const uint8_t *p, size_t len,
				     struct simota_sms_address *out, size_t *consumed)
{
	uint8_t n, octets;
	simota_err err;

	memset(out, 0, sizeof(*out));
	if (len < 2)
		return SIMOTA_ERR_TRUNCATED;
	n = p[0];
	if (n > SIMOTA_SMS_ADDR_MAX_DIGITS)
		return SIMOTA_ERR_BAD_LENGTH;
	octets = (uint8_t)((n + 1) / 2);
	if (len < 2u + octets)
		return SIMOTA_ERR_TRUNCATED;
	out->ton = (p[1] >> 4) & 7;
	out->npi = p[1] & 0x0F;
	out->tp_length = n;
	if (out->ton == SIMOTA_SMS_TON_ALPHANUMERIC) {
		uint8_t septets[SIMOTA_SMS_ADDR_MAX_SEPTETS];
		size_t n_septets = (size_t)n * 4 / 7, text_len;

		err = simota_gsm7_unpack(p + 2, octets, n_septets, 0, septets, sizeof(septets));
		if (err)
			return err;
		err = simota_gsm7_to_utf8(septets, n_septets, 0, out->digits,
					  sizeof(out->digits), &text_len);
		if (err)
			return err;
	} else {
		err = simota_bcd_decode_n(p + 2, n, out->digits);
		if (err)
			return err;
	}
	*consumed = 2u + octets;
	return SIMOTA_OK;
}

/* TS 23.040 §9.1.2.5. */
simota_err simota_sms_address_encode(const struct simota_sms_address *a,
				     struct simota_writer *w)
{
	size_t n = strnlen(a->digits, sizeof(a->digits));

	if (n == sizeof(a->digits))
		return SIMOTA_ERR_BAD_VALUE;
	if (a->ton == SIMOTA_SMS_TON_ALPHANUMERIC) {
		uint8_t septets[SIMOTA_SMS_ADDR_MAX_SEPTETS], packed[10];
		size_t n_septets, octets, sem;
		simota_err err;

		err = simota_gsm7_from_utf8(a->digits, n, NULL, 0, &n_septets);
		if (err)
			return err;
		if (n_septets > SIMOTA_SMS_ADDR_MAX_SEPTETS)
			return SIMOTA_ERR_BAD_LENGTH;
		err = simota_gsm7_from_utf8(a->digits, n, septets, sizeof(septets), &n_septets);
		if (err)
			return err;
		err = simota_gsm7_pack(septets, n_septets, 0, packed, sizeof(packed), &octets);
		if (err)
			return err;
		/* useful semi-octets, unless the decoded length says the same */
		sem = (n_septets * 7 + 3) / 4;
		if (a->tp_length && a->tp_length <= SIMOTA_SMS_ADDR_MAX_DIGITS &&
		    (size_t)a->tp_length * 4 / 7 == n_septets &&
		    (size_t)(a->tp_length + 1) / 2 == octets)
			sem = a->tp_length;
		simota_write_u8(w, (uint8_t)sem);
		simota_write_u8(w, toa(a));
		simota_write_bytes(w, packed, octets);
		return SIMOTA_OK;
	}
	if (n > SIMOTA_SMS_ADDR_MAX_DIGITS)
		return SIMOTA_ERR_BAD_LENGTH;
	simota_write_u8(w, (uint8_t)n);
	simota_write_u8(w, toa(a));
	return simota_bcd_encode(w, a->digits, n);
}

/* BCD value after the TOA octet: an F in the last high nibble ends it. */
static simota_err bcd_value_decode(const uint8_t *p, size_t octets,
				   struct simota_sms_address *out)
{
	size_t n;

	if (octets > SIMOTA_SMS_ADDR_MAX_DIGITS / 2)
		return SIMOTA_ERR_BAD_LENGTH;
	return simota_bcd_decode(p, octets, SIMOTA_BCD_FILLER_LAST, out->digits, sizeof(out->digits), &n);
}

/* TS 24.011 §8.2.5.1: RP-Originator/Destination Address. */
simota_err simota_sms_rp_address_decode(const uint8_t *p, size_t len,
					struct simota_sms_address *out, size_t *consumed)
{
	simota_err err;

	memset(out, 0, sizeof(*out));
	if (len < 1)
		return SIMOTA_ERR_TRUNCATED;
	if (len < 1u + p[0])
		return SIMOTA_ERR_TRUNCATED;
	if (p[0] == 0) {
		*consumed = 1;
		return SIMOTA_OK;
	}
	if (p[0] > 1 + SIMOTA_SMS_ADDR_MAX_DIGITS / 2)
		return SIMOTA_ERR_BAD_LENGTH;
	err = simota_sms_address_value_decode(p + 1, p[0], out);
	if (err)
		return err;
	*consumed = 1u + p[0];
	return SIMOTA_OK;
}

/* TS 24.011 §8.2.5.1. */
simota_err simota_sms_rp_address_encode(const struct simota_sms_address *a,
					struct simota_writer *w)
{
	size_t n = strnlen(a->digits, sizeof(a->digits));

	if (n > SIMOTA_SMS_ADDR_MAX_DIGITS)
		return SIMOTA_ERR_BAD_LENGTH;
	if (n == 0 && a->ton == 0 && a->npi == 0) {
		simota_write_u8(w, 0);
		return SIMOTA_OK;
	}
	simota_write_u8(w, (uint8_t)(1 + (n + 1) / 2));
	return simota_sms_address_value_encode(a, w);
}

/* TS 102 223 §8.1: TON/NPI then BCD. */
simota_err simota_sms_address_value_decode(const uint8_t *p, size_t len,
					   struct simota_sms_address *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 1)
		return SIMOTA_ERR_TRUNCATED;
	out->ton = (p[0] >> 4) & 7;
	out->npi = p[0] & 0x0F;
	return bcd_value_decode(p + 1, len - 1, out);
}

/* TS 102 223 §8.1. */
simota_err simota_sms_address_value_encode(const struct simota_sms_address *a,
					   struct simota_writer *w)
{
	size_t n = strnlen(a->digits, sizeof(a->digits));

	if (n > SIMOTA_SMS_ADDR_MAX_DIGITS)
		return SIMOTA_ERR_BAD_LENGTH;
	simota_write_u8(w, toa(a));
	return simota_bcd_encode(w, a->digits, n);
}

/* TS 23.040 §9.1.2.5: "+" is the international type of number, E.164 numbering plan. */
simota_err simota_sms_address_from_text(const char *s, struct simota_sms_address *out)
{
	bool intl = s && *s == '+';
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!s)
		return SIMOTA_ERR_BAD_VALUE;
	if (intl)
		s++;
	n = strnlen(s, SIMOTA_SMS_ADDR_MAX_DIGITS + 1);
	if (n < 1 || n > SIMOTA_SMS_ADDR_MAX_DIGITS || !simota_decimal_digits(s, n))
		return SIMOTA_ERR_BAD_VALUE;
	out->ton = intl ? SIMOTA_SMS_TON_INTERNATIONAL : SIMOTA_SMS_TON_UNKNOWN;
	out->npi = SIMOTA_SMS_NPI_ISDN;
	memcpy(out->digits, s, n + 1);
	return SIMOTA_OK;
}
