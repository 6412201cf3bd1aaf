/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Command and response APDUs with short lengths (ISO/IEC 7816-4 §5.1, §5.2
 * (2013), the "short" Lc/Le of 1 byte; TS 102 221 §10.1).
 *
 *   case 1  CLA INS P1 P2
 *   case 2  CLA INS P1 P2 Le
 *   case 3  CLA INS P1 P2 Lc data
 *   case 4  CLA INS P1 P2 Lc data Le
 *
 * Lc is 1-255 (a case 3/4 body of 1 to 255 bytes); Le 00 means Ne = 256.
 * An extended-length APDU (a 00 where Lc would be, followed by more bytes)
 * is refused with SIMOTA_ERR_UNSUPPORTED.  The T=0 transport form (always
 * five header bytes, P3 = Lc or Le depending on the command) is not this
 * format: see the compact remote format in simota/rfm.h.
 */
#ifndef SIMOTA_APDU_H
#define SIMOTA_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/bytes.h"

#define SIMOTA_APDU_MAX_LC 255u
/* The longest short C-APDU: header, Lc, 255 data bytes, Le. */
#define SIMOTA_APDU_MAX_LEN (4u + 1u + SIMOTA_APDU_MAX_LC + 1u)

struct simota_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;  /* Nc bytes, NULL when lc == 0; points into the input */
	size_t lc;            /* Nc: 0 (case 1/2) or 1-255 (case 3/4) */
	bool has_le;          /* case 2 or 4 */
	uint8_t le;           /* the Le byte as on the wire: 00 means Ne = 256 */
};

/* ISO/IEC 7816-4 §5.1: the case (1-4) the fields describe. */
static inline int simota_apdu_case(const struct simota_apdu *a)
{
	return a->lc ? (a->has_le ? 4 : 3) : (a->has_le ? 2 : 1);
}

/* Ne: 1-256, or 0 without Le. */
static inline unsigned simota_apdu_ne(const struct simota_apdu *a)
{
	return a->has_le ? (a->le ? a->le : 256u) : 0u;
}

/*
 * ISO/IEC 7816-4 §5.1 (short lengths): decodes one whole C-APDU.  Fewer
 * than 4 bytes SIMOTA_ERR_TRUNCATED; a body that fits no case
 * SIMOTA_ERR_BAD_LENGTH; extended lengths SIMOTA_ERR_UNSUPPORTED.
 */
simota_err simota_apdu_decode(const uint8_t *p, size_t len, struct simota_apdu *out);

/* ISO/IEC 7816-4 §5.1: writes the C-APDU (lc > 255 marks the writer overflowed). */
void simota_apdu_write(struct simota_writer *w, const struct simota_apdu *a);

/* The encoded length of a C-APDU. */
size_t simota_apdu_encoded_len(const struct simota_apdu *a);

/* ISO/IEC 7816-4 §5.2: R-APDU = data SW1 SW2.  Fewer than 2 bytes: SIMOTA_ERR_TRUNCATED. */
simota_err simota_rapdu_split(const uint8_t *p, size_t len, const uint8_t **data, size_t *data_len,
			      uint16_t *sw);

#endif
