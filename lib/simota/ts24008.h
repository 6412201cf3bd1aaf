/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Swapped BCD, the one implementation: digits as semi-octets, the first in
 * the low nibble, an F filler completing the last octet (TS 24.008
 * §10.5.4.7 Table 10.5.118, TS 23.040 §9.1.2.3).  Dialling numbers, TP/RP
 * addresses, the CAT Address (TS 102 223 §8.1), EF_ICCID (TS 102 221
 * §13.2), EF_IMSI (TS 31.102 §4.2.2) and EF_ADN-style numbers (TS 31.102
 * §4.4.2.3) all use it; so do the two-digit fields of time stamps and timer
 * values (TS 23.040 §9.2.3.11, TS 102 223 §8.38) and the PLMN identity
 * (TS 24.008 §10.5.1.3).
 *
 * Digit characters: 0-9 * # a b c (nibbles 0-E); encoders also take A-C.
 */
#ifndef SIMOTA_TS24008_H
#define SIMOTA_TS24008_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/bytes.h"

/* Encodes n digit characters, F filler in the last octet when n is odd. */
simota_err simota_bcd_encode(struct simota_writer *w, const char *digits, size_t n);

/* Exactly n_digits digits from p (an F among them: SIMOTA_ERR_BAD_VALUE); out holds n_digits + 1. */
simota_err simota_bcd_decode_n(const uint8_t *p, size_t n_digits, char *out);

/* Where simota_bcd_decode() accepts the F filler. */
enum simota_bcd_filler {
	SIMOTA_BCD_FILLER_LAST,  /* only as the very last nibble (a value of exact length) */
	SIMOTA_BCD_FILLER_TAIL,  /* the first F ends the digits; only F may follow (a padded field) */
};

/*
 * The digits of len octets into out (cap includes the NUL), *n_digits their
 * count.  SIMOTA_ERR_BAD_VALUE for an F where `filler` does not allow it,
 * SIMOTA_ERR_NO_SPACE when out is too small; out is "" after an error.
 */
simota_err simota_bcd_decode(const uint8_t *p, size_t len, enum simota_bcd_filler filler,
			     char *out, size_t cap, size_t *n_digits);

/* Whether s[0..n) are all decimal digits (IMSI, ICCID: no * # a b c). */
bool simota_decimal_digits(const char *s, size_t n);

/* Two decimal digits in one octet, tens in the low nibble (TS 23.040 §9.2.3.11). */
uint8_t simota_bcd_swapped_from_int(unsigned v);                  /* v % 100 */
simota_err simota_bcd_swapped_to_int(uint8_t b, uint8_t *v);      /* a nibble > 9: BAD_VALUE */

/* TS 24.008 §10.5.1.3: MCC (3 digits) and MNC (2 or 3 digits) in 3 octets, MNC digit 3 F if absent. */
simota_err simota_plmn_decode(const uint8_t p[3], char mcc[4], char mnc[4]);
simota_err simota_plmn_encode(struct simota_writer *w, const char *mcc, const char *mnc);

#endif
