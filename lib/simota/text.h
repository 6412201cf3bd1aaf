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

/* TS 23.038 §4 coding groups (bits 7..4 of the DCS). */
enum simota_dcs_group {
	SIMOTA_DCS_GROUP_GENERAL,     /* 00xx: general data coding */
	SIMOTA_DCS_GROUP_AUTO_DELETE, /* 01xx: message marked for automatic deletion */
	SIMOTA_DCS_GROUP_RESERVED,    /* 1000-1011: reserved coding groups */
	SIMOTA_DCS_GROUP_MWI_DISCARD, /* 1100: message waiting, discard message */
	SIMOTA_DCS_GROUP_MWI_STORE,   /* 1101 (GSM 7 bit), 1110 (UCS2): message waiting, store */
	SIMOTA_DCS_GROUP_DATA_CLASS,  /* 1111: data coding / message class */
};

struct simota_dcs {
	enum simota_charset charset;
	int msg_class;       /* 0-3, or -1 if the DCS gives no class */
	int compressed;      /* TS 23.038 §4 bit 5 of the general coding group */
	/* Added after the first three (existing initialisers stay valid): */
	enum simota_dcs_group group;
	int mwi_active;      /* message waiting groups: bit 3, indication active */
	int mwi_type;        /* message waiting groups: 0 voicemail, 1 fax,
				2 e-mail, 3 other; -1 outside those groups */
};

/*
 * TS 23.038 §4: SMS data coding scheme.  Never fails: reserved
 * groups and the reserved alphabet give SIMOTA_CHARSET_RESERVED (a receiver
 * treats them as GSM 7 bit, TS 23.038 §4 last paragraph).
 */
struct simota_dcs simota_dcs_decode(uint8_t dcs);

/*
 * TS 102 223 §8.15: Text String value (DCS + string) → UTF-8.  len 0 is the
 * null text string ("").  The DCS is read as a TS 23.038 DCS: GSM 7 bit →
 * packed (a CR in the last 7 spare bits, TS 23.038 §6.1.2.3.1, is padding),
 * 8 bit → GSM unpacked, UCS2 → UCS2 (UTF-16 surrogate pairs accepted, lone
 * surrogates and U+0000 refused with SIMOTA_ERR_BAD_ENCODING), reserved →
 * GSM 7 bit packed; compressed → SIMOTA_ERR_UNSUPPORTED.
 */
simota_err simota_text_string_decode(const uint8_t *value, size_t len,
				     char *out, size_t cap, size_t *out_len);

/*
 * UTF-8 → Text String value (DCS byte then the string).  dcs is 0x00
 * (GSM packed), 0x04 (GSM unpacked), 0x08 (UCS2) or -1: unpacked GSM if the
 * text fits the default alphabet, else UCS2.  Any other uncompressed DCS of
 * a known alphabet (F0, F4, ...) is written as given and codes the text per
 * its alphabet; a compressed or reserved one → SIMOTA_ERR_BAD_VALUE.  SIMOTA_ERR_BAD_ENCODING if
 * the text cannot be coded in the requested scheme (UCS2 is the BMP only)
 * or is not valid UTF-8 (an embedded NUL included).  Packed text of 8n-1
 * septets gets a CR in its 7 spare bits (TS 23.038 §6.1.2.3.1).
 */
simota_err simota_text_string_encode(const char *utf8, size_t len, int dcs,
				     uint8_t *out, size_t cap, size_t *out_len);

/*
 * TS 102 221 Annex A: alpha identifier / SIM alpha field → UTF-8.  Trailing
 * FF padding is ignored in every form; len 0 (null alpha identifier) and an
 * all-FF field give "".  81/82: the length byte counts the character bytes
 * that follow the header; fewer bytes than that → SIMOTA_ERR_TRUNCATED,
 * a header cut short → SIMOTA_ERR_TRUNCATED.  A code point that is a
 * surrogate or U+0000 → SIMOTA_ERR_BAD_ENCODING, as is a first byte 83-FE.
 */
simota_err simota_alpha_decode(const uint8_t *p, size_t len,
			       char *out, size_t cap, size_t *out_len);

/*
 * UTF-8 → alpha identifier (TS 102 221 Annex A): GSM unpacked when the text
 * fits the default alphabet, else the shortest of the 80, 81 and 82 forms
 * (ties: 80, then 81).  No FF padding is added (a record's padding is the
 * caller's).  In the 81/82 forms a character is written as a GSM byte when it
 * is in the default alphabet's basic table, else as an offset from the base.
 * "" encodes to nothing.  Characters outside the BMP and U+FFFF →
 * SIMOTA_ERR_BAD_ENCODING.
 */
simota_err simota_alpha_encode(const char *utf8, size_t len,
			       uint8_t *out, size_t cap, size_t *out_len);

#endif
