/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The EFs of the MF both sides code (ETSI TS 102 221 §13). */
#include <string.h>

#include "simota/ts102221.h"
#include "simota/ts24008.h"

/* §13.2 EF_ICCID: 10 bytes, swapped BCD (the first digit in the low nibble), F padded. */
simota_err simota_ef_iccid_encode(const char *iccid, uint8_t out[SIMOTA_EF_ICCID_LEN])
{
	size_t n = strnlen(iccid, SIMOTA_ICCID_MAX_DIGITS + 1);
	struct simota_writer w = simota_writer_init(out, SIMOTA_EF_ICCID_LEN);

	memset(out, 0xFF, SIMOTA_EF_ICCID_LEN);
	if (n == 0 || n > SIMOTA_ICCID_MAX_DIGITS || !simota_decimal_digits(iccid, n))
		return SIMOTA_ERR_BAD_VALUE;
	return simota_bcd_encode(&w, iccid, n);
}

/* §13.2 */
simota_err simota_ef_iccid_decode(const uint8_t *p, size_t len, char out[SIMOTA_ICCID_MAX_DIGITS + 1])
{
	size_t n;
	simota_err err;

	out[0] = '\0';
	if (len > SIMOTA_EF_ICCID_LEN)
		len = SIMOTA_EF_ICCID_LEN;
	err = simota_bcd_decode(p, len, SIMOTA_BCD_FILLER_TAIL, out, SIMOTA_ICCID_MAX_DIGITS + 1, &n);
	if (err)
		return err;                     /* out is "" */
	if (n == 0 || !simota_decimal_digits(out, n)) {
		out[0] = '\0';
		return SIMOTA_ERR_BAD_VALUE;
	}
	return SIMOTA_OK;
}
