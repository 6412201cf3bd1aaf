/* SPDX-License-Identifier: GPL-2.0-or-later */
/* USIM EF contents (3GPP TS 31.102 §4.2, §4.4.2.3). */
#include <string.h>

#include "simota/text.h"
#include "simota/ts24008.h"
#include "simota/ts31102.h"

/* §4.2.2 EF_IMSI; the value: TS 24.008 §10.5.1.4, type of identity 001 (IMSI), b4 the odd/even indicator. */
simota_err simota_ef_imsi_encode(const char *imsi, uint8_t out[SIMOTA_EF_IMSI_LEN])
{
	size_t n = strnlen(imsi, SIMOTA_IMSI_MAX_DIGITS + 1);
	char nibbles[SIMOTA_IMSI_MAX_DIGITS + 2];
	struct simota_writer w = simota_writer_init(out + 1, SIMOTA_EF_IMSI_LEN - 1);
	simota_err err;

	memset(out, 0xFF, SIMOTA_EF_IMSI_LEN);
	if (n < SIMOTA_IMSI_MIN_DIGITS || n > SIMOTA_IMSI_MAX_DIGITS || !simota_decimal_digits(imsi, n))
		return SIMOTA_ERR_BAD_VALUE;
	/* the parity/type nibble (1001 odd, 0001 even) is a digit, written first */
	nibbles[0] = n % 2 ? '9' : '1';
	memcpy(nibbles + 1, imsi, n);
	if ((err = simota_bcd_encode(&w, nibbles, n + 1)))
		return err;
	out[0] = (uint8_t)w.len;
	return SIMOTA_OK;
}

simota_err simota_ef_imsi_decode(const uint8_t *p, size_t len, char out[SIMOTA_IMSI_MAX_DIGITS + 1])
{
	char nibbles[2 * (SIMOTA_EF_IMSI_LEN - 1) + 1];
	size_t n;
	simota_err err;

	out[0] = '\0';
	if (len < 2)
		return SIMOTA_ERR_TRUNCATED;
	if (p[0] < 1 || p[0] > SIMOTA_EF_IMSI_LEN - 1)
		return SIMOTA_ERR_BAD_LENGTH;
	if (len < 1u + p[0])
		return SIMOTA_ERR_TRUNCATED;
	err = simota_bcd_decode(p + 1, p[0], SIMOTA_BCD_FILLER_TAIL, nibbles, sizeof(nibbles), &n);
	if (err)
		return err;
	/* the first nibble is the parity/type, then 6-15 digits */
	if (n < 1 + SIMOTA_IMSI_MIN_DIGITS || n > 1 + SIMOTA_IMSI_MAX_DIGITS || !simota_decimal_digits(nibbles + 1, n - 1))
		return SIMOTA_ERR_BAD_VALUE;
	memcpy(out, nibbles + 1, n);
	return SIMOTA_OK;
}

/* §4.2.12 EF_SPN */
simota_err simota_ef_spn_encode(uint8_t condition, const char *name, uint8_t out[SIMOTA_EF_SPN_LEN])
{
	size_t n;
	simota_err err;

	memset(out, 0xFF, SIMOTA_EF_SPN_LEN);
	out[0] = condition;
	err = simota_alpha_encode(name, strlen(name), out + 1, SIMOTA_EF_SPN_LEN - 1, &n);
	if (err)
		memset(out + 1, 0xFF, SIMOTA_EF_SPN_LEN - 1);
	return err;
}

simota_err simota_ef_spn_decode(const uint8_t *p, size_t len, uint8_t *condition, char *name, size_t cap)
{
	size_t n;

	if (len < 1)
		return SIMOTA_ERR_TRUNCATED;
	*condition = p[0];
	return simota_alpha_decode(p + 1, len - 1, name, cap, &n);
}

/* §4.2.18 EF_AD */
simota_err simota_ef_ad_encode(unsigned mnc_len, uint8_t out[SIMOTA_EF_AD_LEN])
{
	if (mnc_len != 2 && mnc_len != 3)
		return SIMOTA_ERR_BAD_VALUE;
	out[0] = 0x00;                  /* normal operation */
	out[1] = out[2] = 0x00;         /* additional information: none (ciphering indicator off) */
	out[3] = (uint8_t)mnc_len;
	return SIMOTA_OK;
}

simota_err simota_ef_ad_mnc_length(const uint8_t *p, size_t len, unsigned *mnc_len)
{
	if (len < SIMOTA_EF_AD_LEN || ((p[3] & 0x0F) != 2 && (p[3] & 0x0F) != 3))
		return SIMOTA_ERR_MISSING_VALUE;
	*mnc_len = p[3] & 0x0F;
	return SIMOTA_OK;
}

/* §4.4.2.3 EF_ADN's number: length, TON/NPI, BCD (10 bytes), FF padded. */
simota_err simota_ef_number_encode(const struct simota_sms_address *a, uint8_t out[SIMOTA_EF_NUMBER_LEN])
{
	struct simota_writer w = simota_writer_init(out, SIMOTA_EF_NUMBER_LEN);
	simota_err err;

	memset(out, 0xFF, SIMOTA_EF_NUMBER_LEN);
	if (!a->digits[0])
		return SIMOTA_OK;
	err = simota_sms_rp_address_encode(a, &w);
	if (!err)
		err = simota_writer_status(&w);
	if (err)
		memset(out, 0xFF, SIMOTA_EF_NUMBER_LEN);
	return err;
}

simota_err simota_ef_number_decode(const uint8_t *p, size_t len, struct simota_sms_address *out)
{
	size_t consumed;
	simota_err err;

	memset(out, 0, sizeof(*out));
	if (len < 1)
		return SIMOTA_ERR_TRUNCATED;
	if (p[0] == 0xFF || p[0] == 0x00)
		return SIMOTA_ERR_MISSING_VALUE;
	if (len > SIMOTA_EF_NUMBER_LEN)
		len = SIMOTA_EF_NUMBER_LEN;
	err = simota_sms_rp_address_decode(p, len, out, &consumed);
	if (!err && !out->digits[0])
		err = SIMOTA_ERR_MISSING_VALUE;
	return err;
}

/* §4.2.26 EF_MSISDN */
simota_err simota_ef_msisdn_encode(const char *alpha, const struct simota_sms_address *number,
				   uint8_t *rec, size_t rec_len)
{
	size_t x, n;
	simota_err err;

	if (rec_len < SIMOTA_EF_MSISDN_FIXED_LEN)
		return SIMOTA_ERR_NO_SPACE;
	x = rec_len - SIMOTA_EF_MSISDN_FIXED_LEN;
	memset(rec, 0xFF, rec_len);
	if (alpha && *alpha && (err = simota_alpha_encode(alpha, strlen(alpha), rec, x, &n)))
		return err;
	return simota_ef_number_encode(number, rec + x);
}

simota_err simota_ef_msisdn_decode(const uint8_t *rec, size_t len, struct simota_sms_address *number,
				   char *alpha, size_t alpha_cap)
{
	size_t x, n;
	simota_err err;

	if (len < SIMOTA_EF_MSISDN_FIXED_LEN)
		return SIMOTA_ERR_TRUNCATED;
	x = len - SIMOTA_EF_MSISDN_FIXED_LEN;
	if (alpha && (err = simota_alpha_decode(rec, x, alpha, alpha_cap, &n)))
		return err;
	return simota_ef_number_decode(rec + x, SIMOTA_EF_NUMBER_LEN, number);
}

/* §4.2.27 EF_SMSP: the parameter indicators at Y, TS-SCA at Y + 13. */
#define SMSP_SCA_OFFSET 13

simota_err simota_ef_smsp_sca(const uint8_t *rec, size_t len, struct simota_sms_address *sca)
{
	size_t y;

	memset(sca, 0, sizeof(*sca));
	if (len < SIMOTA_EF_SMSP_FIXED_LEN)
		return SIMOTA_ERR_TRUNCATED;
	y = len - SIMOTA_EF_SMSP_FIXED_LEN;
	if (rec[y] & SIMOTA_SMSP_ABSENT_SCA)
		return SIMOTA_ERR_MISSING_VALUE;
	return simota_ef_number_decode(rec + y + SMSP_SCA_OFFSET, SIMOTA_EF_NUMBER_LEN, sca);
}

simota_err simota_ef_smsp_set_sca(uint8_t *rec, size_t len, const struct simota_sms_address *sca)
{
	uint8_t field[SIMOTA_EF_NUMBER_LEN];
	size_t y;
	simota_err err;

	if (len < SIMOTA_EF_SMSP_FIXED_LEN)
		return SIMOTA_ERR_NO_SPACE;
	if (!sca->digits[0])
		return SIMOTA_ERR_BAD_VALUE;
	if ((err = simota_ef_number_encode(sca, field)))
		return err;
	y = len - SIMOTA_EF_SMSP_FIXED_LEN;
	rec[y] &= (uint8_t)~SIMOTA_SMSP_ABSENT_SCA;
	memcpy(rec + y + SMSP_SCA_OFFSET, field, sizeof(field));
	return SIMOTA_OK;
}
