/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 3GPP TS 31.102 EF contents the card writes and the terminal reads:
 * EF_IMSI (§4.2.2), EF_SPN (§4.2.12), EF_AD (§4.2.18), EF_MSISDN (§4.2.26),
 * EF_SMSP (§4.2.27) and the dialling number field they share with EF_ADN
 * (§4.4.2.3).  uicc-emu builds its files with them; the plugin's sim and
 * sms atoms read the card with them.  EF_ICCID is TS 102 221's
 * (simota/ts102221.h).
 */
#ifndef SIMOTA_TS31102_H
#define SIMOTA_TS31102_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/error.h"
#include "simota/sms.h"

/* ---- EF_IMSI (§4.2.2) ------------------------------------------------------- */

#define SIMOTA_EF_IMSI_LEN 9
#define SIMOTA_IMSI_MIN_DIGITS 6
#define SIMOTA_IMSI_MAX_DIGITS 15

/*
 * Byte 1: the length (bytes that follow); then the IMSI as TS 24.008
 * §10.5.1.4 codes it: the parity/type nibble (9 odd, 1 even) and the digits
 * in swapped BCD, F filler.  imsi: 6-15 decimal digits.
 */
simota_err simota_ef_imsi_encode(const char *imsi, uint8_t out[SIMOTA_EF_IMSI_LEN]);
simota_err simota_ef_imsi_decode(const uint8_t *p, size_t len, char out[SIMOTA_IMSI_MAX_DIGITS + 1]);

/* ---- EF_SPN (§4.2.12) ------------------------------------------------------- */

#define SIMOTA_EF_SPN_LEN 17

/* Byte 1: display condition; bytes 2-17: the name as an alpha identifier (TS 102 221 Annex A), FF padded. */
simota_err simota_ef_spn_encode(uint8_t condition, const char *name, uint8_t out[SIMOTA_EF_SPN_LEN]);
simota_err simota_ef_spn_decode(const uint8_t *p, size_t len, uint8_t *condition, char *name, size_t cap);

/* ---- EF_AD (§4.2.18) -------------------------------------------------------- */

#define SIMOTA_EF_AD_LEN 4

/* UE operation mode 00 (normal), no additional information, byte 4: the MNC length (2 or 3). */
simota_err simota_ef_ad_encode(unsigned mnc_len, uint8_t out[SIMOTA_EF_AD_LEN]);
/* The MNC length of byte 4 (b1-b4): 2 or 3; SIMOTA_ERR_MISSING_VALUE when absent or another value. */
simota_err simota_ef_ad_mnc_length(const uint8_t *p, size_t len, unsigned *mnc_len);

/* ---- dialling numbers (§4.4.2.3, used by EF_MSISDN and EF_SMSP) --------------- */

#define SIMOTA_EF_NUMBER_LEN 12       /* length, TON/NPI, 10 bytes of BCD (20 digits) */

/*
 * Byte 1: the bytes of TON/NPI + BCD (0xFF: empty); byte 2: TON/NPI; then
 * the digits, F filler, FF padded.  The same coding as an RP address (TS
 * 24.011 §8.2.5.1), which EF_SMSP's TS-Service Centre Address uses.  An
 * address without digits encodes as an empty field (all FF).
 */
simota_err simota_ef_number_encode(const struct simota_sms_address *a, uint8_t out[SIMOTA_EF_NUMBER_LEN]);
/* SIMOTA_ERR_MISSING_VALUE for an empty field (length FF or 0, or no digits). */
simota_err simota_ef_number_decode(const uint8_t *p, size_t len, struct simota_sms_address *out);

/* ---- EF_MSISDN (§4.2.26) ------------------------------------------------------ */

#define SIMOTA_EF_MSISDN_FIXED_LEN 14  /* after the alpha identifier: number (12), CCP2, Ext5 */

/* A record of rec_len bytes (>= 14): alpha identifier (NULL or "": FF), the number, no CCP2, no extension. */
simota_err simota_ef_msisdn_encode(const char *alpha, const struct simota_sms_address *number,
				   uint8_t *rec, size_t rec_len);
/* The number of a record; alpha (may be NULL) gets the alpha identifier in UTF-8. */
simota_err simota_ef_msisdn_decode(const uint8_t *rec, size_t len, struct simota_sms_address *number,
				   char *alpha, size_t alpha_cap);

/* ---- EF_SMSP (§4.2.27) -------------------------------------------------------- */

/*
 * A record: alpha identifier (Y = record length - 28 bytes), parameter
 * indicators (a bit set: the parameter is absent), TP-Destination Address
 * (12), TS-Service Centre Address (12), TP-PID, TP-DCS, TP-VP.
 */
#define SIMOTA_EF_SMSP_FIXED_LEN 28
#define SIMOTA_SMSP_ABSENT_DA 0x01
#define SIMOTA_SMSP_ABSENT_SCA 0x02
#define SIMOTA_SMSP_ABSENT_PID 0x04
#define SIMOTA_SMSP_ABSENT_DCS 0x08
#define SIMOTA_SMSP_ABSENT_VP 0x10

/* The TS-Service Centre Address of a record; SIMOTA_ERR_MISSING_VALUE when the record has none. */
simota_err simota_ef_smsp_sca(const uint8_t *rec, size_t len, struct simota_sms_address *sca);
/* Writes the TS-Service Centre Address into a record and marks it present; the rest stays as it is. */
simota_err simota_ef_smsp_set_sca(uint8_t *rec, size_t len, const struct simota_sms_address *sca);

#endif
