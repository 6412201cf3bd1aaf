/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text as the UICC and the ME carry it, to and from UTF-8:
 *  - data coding schemes (3GPP TS 23.038 §4) → character set;
 *  - CAT Text String values (ETSI TS 102 223 §8.15): DCS byte + text, GSM 7 bit
 *    packed, GSM 7 bit unpacked ("8 bit"), UCS2;
 *  - alpha identifiers and SIM alpha fields (ETSI TS 102 221 Annex A,
 *    TS 102 223 §8.2): GSM unpacked with FF padding, 80 UCS2, 81 and 82
 *    half-page forms.
 * UTF-8 output is always NUL-terminated; *out_len excludes the NUL.
 */
#ifndef SIMOTA_TEXT_H
#define SIMOTA_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "simota/error.h"

enum simota_charset {
	SIMOTA_CHARSET_GSM7,     /* GSM 7 bit default alphabet (packed in SMS / CAT DCS 00) */
	SIMOTA_CHARSET_8BIT,     /* 8 bit data (in CAT text strings: GSM unpacked) */
	SIMOTA_CHARSET_UCS2,     /* UCS2, big-endian */
	SIMOTA_CHARSET_RESERVED, /* a reserved coding group or alphabet */
};

struct simota_dcs {
	enum simota_charset charset;
	int msg_class;       /* 0-3, or -1 if the DCS gives no class */
	int compressed;      /* TS 23.038 §4 bit 5 of the general coding group */
};

/* TS 23.038 §4: SMS data coding scheme. */
struct simota_dcs simota_dcs_decode(uint8_t dcs);

/* TS 102 223 §8.15: Text String value (DCS + string) → UTF-8. */
simota_err simota_text_string_decode(const uint8_t *value, size_t len,
				     char *out, size_t cap, size_t *out_len);

/*
 * UTF-8 → Text String value (DCS byte then the string).  dcs is 0x00
 * (GSM packed), 0x04 (GSM unpacked), 0x08 (UCS2) or -1: unpacked GSM if the
 * text fits the default alphabet, else UCS2.  SIMOTA_ERR_BAD_ENCODING if
 * the text cannot be coded in the requested scheme.
 */
simota_err simota_text_string_encode(const char *utf8, size_t len, int dcs,
				     uint8_t *out, size_t cap, size_t *out_len);

/* TS 102 221 Annex A: alpha identifier / SIM alpha field → UTF-8. */
simota_err simota_alpha_decode(const uint8_t *p, size_t len,
			       char *out, size_t cap, size_t *out_len);

/*
 * UTF-8 → alpha identifier (TS 102 221 Annex A): GSM unpacked when the text
 * fits the default alphabet, else the shortest of the 80, 81 and 82 forms.
 */
simota_err simota_alpha_encode(const char *utf8, size_t len,
			       uint8_t *out, size_t cap, size_t *out_len);

#endif
