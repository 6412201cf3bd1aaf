/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Data coding schemes, CAT text strings and alpha identifiers to and from
 * UTF-8 (see simota/text.h for the contract).  The GSM 7 bit tables live in
 * gsm7.c; UTF-8 and UTF-16 are GLib's.
 */
#include "simota/text.h"

#include <glib.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "simota/bytes.h"
#include "simota/gsm7.h"

#define GSM7_CR 0x0D
#define ALPHA_UCS2 0x80      /* TS 102 221 Annex A form 1 */
#define ALPHA_UCS2_BASE8 0x81  /* form 2: 8 bit base pointer */
#define ALPHA_UCS2_BASE16 0x82 /* form 3: 16 bit base pointer */
#define ALPHA_PAD 0xFF
#define ALPHA_WINDOW 128     /* characters reachable from one base pointer */
#define ALPHA_MAX_COUNT 255  /* the 81/82 length byte */

/*
 * TS 23.038 §4: coding groups.  Bits 3..2 of the general and automatic
 * deletion groups pick the alphabet; bit 4 says whether bits 1..0 are a class.
 */
struct simota_dcs simota_dcs_decode(uint8_t dcs)
{
	static const enum simota_charset alphabet[4] = {
		SIMOTA_CHARSET_GSM7, SIMOTA_CHARSET_8BIT,
		SIMOTA_CHARSET_UCS2, SIMOTA_CHARSET_RESERVED,
	};
	struct simota_dcs d = {
		.charset = SIMOTA_CHARSET_RESERVED,
		.msg_class = -1,
		.compressed = 0,
		.group = SIMOTA_DCS_GROUP_RESERVED,
		.mwi_active = 0,
		.mwi_type = -1,
	};
	unsigned group = dcs >> 4;

	if (group <= 0x7) {
		/* 00xx general data coding, 01xx marked for automatic deletion */
		d.group = group & 0x4 ? SIMOTA_DCS_GROUP_AUTO_DELETE : SIMOTA_DCS_GROUP_GENERAL;
		d.compressed = (dcs >> 5) & 1;
		d.charset = alphabet[(dcs >> 2) & 3];
		if (dcs & 0x10)
			d.msg_class = dcs & 3;
	} else if (group <= 0xB) {
		/* 1000..1011 reserved coding groups: charset stays RESERVED */
	} else if (group <= 0xE) {
		/* 1100 discard / 1101 store (GSM 7 bit) / 1110 store (UCS2) */
		d.group = group == 0xC ? SIMOTA_DCS_GROUP_MWI_DISCARD : SIMOTA_DCS_GROUP_MWI_STORE;
		d.charset = group == 0xE ? SIMOTA_CHARSET_UCS2 : SIMOTA_CHARSET_GSM7;
		d.mwi_active = (dcs >> 3) & 1;
		d.mwi_type = dcs & 3;
	} else {
		/* 1111 data coding / message class; bit 3 reserved */
		d.group = SIMOTA_DCS_GROUP_DATA_CLASS;
		d.charset = dcs & 0x04 ? SIMOTA_CHARSET_8BIT : SIMOTA_CHARSET_GSM7;
		d.msg_class = dcs & 3;
	}
	return d;
}

/* Copies a GLib-allocated UTF-8 string into the caller's buffer. */
static simota_err put_utf8(const char *s, size_t n, char *out, size_t cap, size_t *out_len)
{
	if (n >= cap)
		return SIMOTA_ERR_NO_SPACE;
	memcpy(out, s, n);
	out[n] = '\0';
	*out_len = n;
	return SIMOTA_OK;
}

/*
 * n_units big-endian UCS2 code units → UTF-8 (TS 23.038 §6.2.3).  A valid
 * UTF-16 surrogate pair is accepted (handsets send them); a lone surrogate
 * or U+0000 is not.
 */
static simota_err ucs2_to_utf8(const uint8_t *p, size_t n_units,
			       char *out, size_t cap, size_t *out_len)
{
	gunichar2 *units;
	glong written = 0;
	char *utf8;
	simota_err err;

	if (n_units == 0)
		return put_utf8("", 0, out, cap, out_len);
	units = g_new(gunichar2, n_units);
	for (size_t i = 0; i < n_units; i++) {
		units[i] = (gunichar2)(p[2 * i] << 8 | p[2 * i + 1]);
		if (units[i] == 0) {
			g_free(units);
			return SIMOTA_ERR_BAD_ENCODING;
		}
	}
	utf8 = g_utf16_to_utf8(units, (glong)n_units, NULL, &written, NULL);
	g_free(units);
	if (!utf8)
		return SIMOTA_ERR_BAD_ENCODING;
	err = put_utf8(utf8, (size_t)written, out, cap, out_len);
	g_free(utf8);
	return err;
}

/*
 * Packed GSM 7 bit (TS 23.038 §6.1.2.1.1) without a septet count: every
 * whole septet in len octets.  When the last 7 bits are spare and hold CR,
 * that CR is padding (TS 23.038 §6.1.2.3.1).
 */
static simota_err packed_to_utf8(const uint8_t *p, size_t len,
				 char *out, size_t cap, size_t *out_len)
{
	size_t n = len * 8 / 7;
	uint8_t *septets = malloc(n ? n : 1);
	simota_err err;

	if (!septets)
		return SIMOTA_ERR_NO_SPACE;
	err = simota_gsm7_unpack(p, len, n, 0, septets, n);
	if (!err) {
		if (len % 7 == 0 && n > 0 && septets[n - 1] == GSM7_CR)
			n--;
		err = simota_gsm7_to_utf8(septets, n, 0, out, cap, out_len);
	}
	free(septets);
	return err;
}

/* TS 102 223 §8.15: Text String value → UTF-8. */
simota_err simota_text_string_decode(const uint8_t *value, size_t len,
				     char *out, size_t cap, size_t *out_len)
{
	struct simota_dcs dcs;

	if (cap == 0)
		return SIMOTA_ERR_NO_SPACE;
	out[0] = '\0';
	if (len == 0)		/* null text string */
		return put_utf8("", 0, out, cap, out_len);
	dcs = simota_dcs_decode(value[0]);
	if (dcs.compressed)
		return SIMOTA_ERR_UNSUPPORTED;
	switch (dcs.charset) {
	case SIMOTA_CHARSET_8BIT:
		/* TS 102 223 §8.15: 8 bit data = GSM default alphabet, unpacked */
		return simota_gsm7_to_utf8(value + 1, len - 1, 0, out, cap, out_len);
	case SIMOTA_CHARSET_UCS2:
		if ((len - 1) % 2)
			return SIMOTA_ERR_BAD_ENCODING;
		return ucs2_to_utf8(value + 1, (len - 1) / 2, out, cap, out_len);
	case SIMOTA_CHARSET_GSM7:
	case SIMOTA_CHARSET_RESERVED:
	default:
		/* TS 23.038 §4: reserved codings are read as GSM 7 bit */
		return packed_to_utf8(value + 1, len - 1, out, cap, out_len);
	}
}

/* Valid UTF-8 with no NUL byte (the output strings are C strings). */
static bool utf8_ok(const char *utf8, size_t len)
{
	if (len == 0)
		return true;
	return !memchr(utf8, '\0', len) && g_utf8_validate_len(utf8, len, NULL);
}

static void write_span_reserved(struct simota_writer *w, size_t n, uint8_t **at)
{
	*at = NULL;
	if (w->overflow || w->cap - w->len < n) {
		w->overflow = true;
		return;
	}
	*at = w->buf + w->len;
	w->len += n;
}

/* Text as GSM septets, one per byte (TS 23.038 §6.2.1), into w. */
static simota_err write_gsm_unpacked(struct simota_writer *w, const char *utf8, size_t len)
{
	size_t n;
	uint8_t *at;
	simota_err err = simota_gsm7_from_utf8(utf8, len, NULL, 0, &n);

	if (err)
		return err;
	write_span_reserved(w, n, &at);
	if (at)
		return simota_gsm7_from_utf8(utf8, len, at, n, &n);
	return SIMOTA_OK;
}

/* Text as packed GSM 7 bit (TS 23.038 §6.1.2.1.1, CR padding §6.1.2.3.1). */
static simota_err write_gsm_packed(struct simota_writer *w, const char *utf8, size_t len)
{
	size_t n, packed_len;
	uint8_t *septets, *at;
	simota_err err = simota_gsm7_from_utf8(utf8, len, NULL, 0, &n);

	if (err)
		return err;
	septets = malloc(n + 1);
	if (!septets)
		return SIMOTA_ERR_NO_SPACE;
	err = simota_gsm7_from_utf8(utf8, len, septets, n, &n);
	if (!err) {
		if (n % 8 == 7)
			septets[n++] = GSM7_CR;
		packed_len = simota_gsm7_packed_size(n, 0);
		write_span_reserved(w, packed_len, &at);
		if (at)
			err = simota_gsm7_pack(septets, n, 0, at, packed_len, &packed_len);
	}
	free(septets);
	return err;
}

/* Text as big-endian UCS2 (BMP only, TS 23.038 §6.2.3). */
static simota_err write_ucs2(struct simota_writer *w, const char *utf8, size_t len)
{
	for (const char *p = utf8; p < utf8 + len; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c > 0xFFFF)
			return SIMOTA_ERR_BAD_ENCODING;
		simota_write_be(w, c, 2);
	}
	return SIMOTA_OK;
}

static bool fits_gsm(const char *utf8, size_t len)
{
	size_t n;

	return simota_gsm7_from_utf8(utf8, len, NULL, 0, &n) == SIMOTA_OK;
}

/* TS 102 223 §8.15: UTF-8 → Text String value. */
simota_err simota_text_string_encode(const char *utf8, size_t len, int dcs,
				     uint8_t *out, size_t cap, size_t *out_len)
{
	struct simota_writer w = simota_writer_init(out, cap);
	struct simota_dcs d;
	simota_err err;

	if (!utf8_ok(utf8, len))
		return SIMOTA_ERR_BAD_ENCODING;
	if (dcs == -1)
		dcs = fits_gsm(utf8, len) ? 0x04 : 0x08;
	if (dcs < 0 || dcs > 0xFF)
		return SIMOTA_ERR_BAD_VALUE;
	d = simota_dcs_decode((uint8_t)dcs);
	if (d.compressed || d.charset == SIMOTA_CHARSET_RESERVED)
		return SIMOTA_ERR_BAD_VALUE;

	simota_write_u8(&w, (uint8_t)dcs);
	switch (d.charset) {
	case SIMOTA_CHARSET_GSM7:
		err = write_gsm_packed(&w, utf8, len);
		break;
	case SIMOTA_CHARSET_8BIT:
		err = write_gsm_unpacked(&w, utf8, len);
		break;
	case SIMOTA_CHARSET_UCS2:
	default:
		err = write_ucs2(&w, utf8, len);
		break;
	}
	if (err)
		return err;
	if ((err = simota_writer_status(&w)))
		return err;
	*out_len = w.len;
	return SIMOTA_OK;
}

/* TS 102 221 Annex A form 1: '80' then UCS2 until FFFF or the end. */
static simota_err alpha_ucs2_decode(const uint8_t *p, size_t len,
				    char *out, size_t cap, size_t *out_len)
{
	size_t n_pairs = (len - 1) / 2, n_units = 0;

	while (n_units < n_pairs) {
		const uint8_t *u = p + 1 + 2 * n_units;

		if (u[0] == ALPHA_PAD && u[1] == ALPHA_PAD)
			break;
		n_units++;
	}
	/* an odd byte left over can only be padding */
	if (n_units == n_pairs && (len - 1) % 2 && p[len - 1] != ALPHA_PAD)
		return SIMOTA_ERR_BAD_ENCODING;
	return ucs2_to_utf8(p + 1, n_units, out, cap, out_len);
}

/*
 * TS 102 221 Annex A forms 2 ('81', 8 bit base pointer giving bits 15..8
 * of a base whose bit 16 and bits 7..1 are 0: base = byte << 7) and 3
 * ('82', 16 bit base).  A byte with bit 8 set is base + bits 7..1; else a
 * GSM default alphabet character.
 */
static simota_err alpha_window_decode(const uint8_t *p, size_t len,
				      char *out, size_t cap, size_t *out_len)
{
	struct simota_reader r = simota_reader_init(p, len);
	const uint8_t *chars;
	uint8_t form, count;
	uint64_t base;
	size_t o = 0, i = 0, k;
	simota_err err;

	if ((err = simota_read_u8(&r, &form)) || (err = simota_read_u8(&r, &count)))
		return err;
	if ((err = simota_read_be(&r, form == ALPHA_UCS2_BASE8 ? 1 : 2, &base)))
		return err;
	if (form == ALPHA_UCS2_BASE8)
		base <<= 7;
	if ((err = simota_read_span(&r, count, &chars)))
		return err;
	/* the rest of the field is padding */

	while (i < count) {
		if (chars[i] & 0x80) {
			gunichar c = (gunichar)(base + (chars[i] & 0x7F));
			char u[6];

			if (c == 0 || c > 0xFFFF || !g_unichar_validate(c))
				return SIMOTA_ERR_BAD_ENCODING;
			k = (size_t)g_unichar_to_utf8(c, u);
			if (cap - o <= k)
				return SIMOTA_ERR_NO_SPACE;
			memcpy(out + o, u, k);
			o += k;
			out[o] = '\0';
			i++;
		} else {
			size_t j = i;

			while (j < count && !(chars[j] & 0x80))
				j++;
			err = simota_gsm7_to_utf8(chars + i, j - i, 0, out + o, cap - o, &k);
			if (err)
				return err;
			o += k;
			i = j;
		}
	}
	*out_len = o;
	return SIMOTA_OK;
}

/* TS 102 221 Annex A, TS 102 223 §8.2: alpha identifier → UTF-8. */
simota_err simota_alpha_decode(const uint8_t *p, size_t len,
			       char *out, size_t cap, size_t *out_len)
{
	if (cap == 0)
		return SIMOTA_ERR_NO_SPACE;
	out[0] = '\0';
	if (len == 0)		/* null alpha identifier */
		return put_utf8("", 0, out, cap, out_len);
	switch (p[0]) {
	case ALPHA_UCS2:
		return alpha_ucs2_decode(p, len, out, cap, out_len);
	case ALPHA_UCS2_BASE8:
	case ALPHA_UCS2_BASE16:
		return alpha_window_decode(p, len, out, cap, out_len);
	default:
		/* GSM default alphabet, unpacked, FF padded (TS 31.102 §4.2) */
		if (p[0] & 0x80 && p[0] != ALPHA_PAD)
			return SIMOTA_ERR_BAD_ENCODING;
		return simota_gsm7_to_utf8(p, len, 1, out, cap, out_len);
	}
}

/* The septet of c if c is in the basic default alphabet table. */
static bool gsm_basic_septet(const char *p, uint8_t *septet)
{
	const char *next = g_utf8_next_char(p);
	uint8_t s[2];
	size_t n;

	if (simota_gsm7_from_utf8(p, (size_t)(next - p), s, sizeof(s), &n) || n != 1)
		return false;
	*septet = s[0];
	return true;
}

/* What an 81/82 encoding of the text needs. */
struct alpha_plan {
	size_t n_chars;
	bool any_ucs2;
	gunichar min, max;	/* over the characters not in the GSM basic table */
};

static void alpha_plan(const char *utf8, size_t len, struct alpha_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	for (const char *p = utf8; p < utf8 + len; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		uint8_t s;

		plan->n_chars++;
		if (gsm_basic_septet(p, &s))
			continue;
		if (!plan->any_ucs2 || c < plan->min)
			plan->min = c;
		if (!plan->any_ucs2 || c > plan->max)
			plan->max = c;
		plan->any_ucs2 = true;
	}
}

/* TS 102 221 Annex A forms 2 and 3: header then one byte per character. */
static void write_alpha_window(struct simota_writer *w, const char *utf8, size_t len,
			       uint8_t form, gunichar base, size_t n_chars)
{
	simota_write_u8(w, form);
	simota_write_u8(w, (uint8_t)n_chars);
	if (form == ALPHA_UCS2_BASE8)
		simota_write_u8(w, (uint8_t)(base >> 7));
	else
		simota_write_be(w, base, 2);
	for (const char *p = utf8; p < utf8 + len; p = g_utf8_next_char(p)) {
		uint8_t s;

		if (gsm_basic_septet(p, &s))
			simota_write_u8(w, s);
		else
			simota_write_u8(w, (uint8_t)(0x80 | (g_utf8_get_char(p) - base)));
	}
}

/* TS 102 221 Annex A: UTF-8 → alpha identifier, GSM or the shortest UCS2 form. */
simota_err simota_alpha_encode(const char *utf8, size_t len,
			       uint8_t *out, size_t cap, size_t *out_len)
{
	struct simota_writer w = simota_writer_init(out, cap);
	struct alpha_plan plan;
	size_t len80, len81 = SIZE_MAX, len82 = SIZE_MAX;
	gunichar base81 = 0;
	simota_err err;

	if (!utf8_ok(utf8, len))
		return SIMOTA_ERR_BAD_ENCODING;
	if (fits_gsm(utf8, len)) {
		if ((err = write_gsm_unpacked(&w, utf8, len)))
			return err;
		goto done;
	}
	alpha_plan(utf8, len, &plan);
	/* a non-BMP character has no UCS2 code; FFFF would end form 1 */
	if (plan.max >= 0xFFFF)
		return SIMOTA_ERR_BAD_ENCODING;
	len80 = 1 + 2 * plan.n_chars;
	if (plan.n_chars <= ALPHA_MAX_COUNT) {
		base81 = plan.min & ~(gunichar)(ALPHA_WINDOW - 1);
		if (plan.max < 0x8000 && plan.max - base81 < ALPHA_WINDOW)
			len81 = 3 + plan.n_chars;
		if (plan.max - plan.min < ALPHA_WINDOW)
			len82 = 4 + plan.n_chars;
	}
	if (len80 <= len81 && len80 <= len82) {
		simota_write_u8(&w, ALPHA_UCS2);
		if ((err = write_ucs2(&w, utf8, len)))
			return err;
	} else if (len81 <= len82) {
		write_alpha_window(&w, utf8, len, ALPHA_UCS2_BASE8, base81, plan.n_chars);
	} else {
		write_alpha_window(&w, utf8, len, ALPHA_UCS2_BASE16, plan.min, plan.n_chars);
	}
done:
	if ((err = simota_writer_status(&w)))
		return err;
	*out_len = w.len;
	return SIMOTA_OK;
}
