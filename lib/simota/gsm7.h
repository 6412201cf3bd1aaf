/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GSM 7 bit default alphabet and its extension table (3GPP TS 23.038 §6.2.1,
 * §6.2.1.1) to and from UTF-8, and septet packing (TS 23.038 §6.1.2.1).
 *
 * "Unpacked" means one septet per byte, as in SIM alpha fields (TS 102 221
 * Annex A, TS 31.102 §4.2) and the CAT 8-bit-unpacked text strings; an
 * extension-table character takes two septets (1B xx).
 *
 * No Debian library converts GSM 7 bit to UTF-8 (libosmocore's decoder maps
 * to ASCII only), hence these tables.
 */
#ifndef SIMOTA_GSM7_H
#define SIMOTA_GSM7_H

#include <stddef.h>
#include <stdint.h>

#include "simota/error.h"

/*
 * UTF-8 → unpacked septets.  SIMOTA_ERR_BAD_ENCODING if the text is invalid
 * UTF-8 or has a character outside the default alphabet and its extension.
 * out may be NULL (cap 0) to only count: *n_septets is set either way.
 */
simota_err simota_gsm7_from_utf8(const char *utf8, size_t len,
				 uint8_t *out, size_t cap, size_t *n_septets);

/*
 * Unpacked septets → NUL-terminated UTF-8.  Bit 8 of each byte is ignored.
 * With stop_at_ff, an 0xFF byte ends the text (SIM alpha field padding,
 * TS 102 221 Annex A).  An escape followed by a septet the
 * extension table does not define decodes as that septet's default-alphabet
 * character (TS 23.038 §6.2.1.1); a trailing escape, or 1B 1B, decodes as a space.  *out_len excludes
 * the NUL.  SIMOTA_ERR_NO_SPACE if cap is too small.
 */
simota_err simota_gsm7_to_utf8(const uint8_t *septets, size_t n, int stop_at_ff,
			       char *out, size_t cap, size_t *out_len);

/* Octets needed for n septets packed after fill_bits (0-6) bits of padding. */
size_t simota_gsm7_packed_size(size_t n_septets, unsigned fill_bits);

/*
 * Packs n septets (TS 23.038 §6.1.2.1.1), starting after fill_bits bits of
 * fill (used after a UDH, TS 23.040 §9.2.3.24).  Writes
 * simota_gsm7_packed_size() octets.
 */
simota_err simota_gsm7_pack(const uint8_t *septets, size_t n, unsigned fill_bits,
			    uint8_t *out, size_t cap, size_t *out_len);

/*
 * Unpacks n_septets septets from packed octets (after fill_bits bits of
 * fill).  SIMOTA_ERR_TRUNCATED if packed_len is too short for n_septets.
 */
simota_err simota_gsm7_unpack(const uint8_t *packed, size_t packed_len, size_t n_septets,
			      unsigned fill_bits, uint8_t *out, size_t cap);

#endif
