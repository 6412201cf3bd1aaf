/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GSM 7 bit default alphabet, extension table and septet packing (3GPP TS 23.038). */
#include "simota/gsm7.h"

#include <glib.h>
#include <stdbool.h>

#define GSM7_ESCAPE 0x1B

/* TS 23.038 §6.2.1: the default alphabet.  0x1B is the escape to the extension table. */
static const uint16_t default_alphabet[128] = {
	0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,
	0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5,
	0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
	0x03A3, 0x0398, 0x039E, 0x0020 /* escape */, 0x00C6, 0x00E6, 0x00DF, 0x00C9,
	0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027,
	0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
	0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
	0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F,
	0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
	0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F,
	0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
	0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
	0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
	0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F,
	0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
	0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

/* TS 23.038 §6.2.1.1: the extension table (septet after 0x1B). */
static const struct {
	uint8_t septet;
	uint16_t ucs;
} extension_table[] = {
	{ 0x0A, 0x000C }, { 0x14, 0x005E }, { 0x28, 0x007B }, { 0x29, 0x007D },
	{ 0x2F, 0x005C }, { 0x3C, 0x005B }, { 0x3D, 0x007E }, { 0x3E, 0x005D },
	{ 0x40, 0x007C }, { 0x65, 0x20AC },
};

static bool ucs_to_default(gunichar c, uint8_t *septet)
{
	/* most of ASCII (space to '#', '%' to '?', 'A' to 'Z', 'a' to 'z') is its own septet,
	 * and the default alphabet holds each character once: no search for those */
	if (c < 128 && c != GSM7_ESCAPE && default_alphabet[c] == c) {
		*septet = (uint8_t)c;
		return true;
	}
	for (unsigned i = 0; i < 128; i++) {
		if (i != GSM7_ESCAPE && default_alphabet[i] == c) {
			*septet = (uint8_t)i;
			return true;
		}
	}
	return false;
}

static bool ucs_to_extension(gunichar c, uint8_t *septet)
{
	for (size_t i = 0; i < G_N_ELEMENTS(extension_table); i++) {
		if (extension_table[i].ucs == c) {
			*septet = extension_table[i].septet;
			return true;
		}
	}
	return false;
}

static gunichar extension_to_ucs(uint8_t septet)
{
	for (size_t i = 0; i < G_N_ELEMENTS(extension_table); i++)
		if (extension_table[i].septet == septet)
			return extension_table[i].ucs;
	/* TS 23.038 §6.2.1.1: an undefined one shows its default-alphabet character;
	 * 1B 1B (reserved for a further extension table) shows a space */
	return septet == GSM7_ESCAPE ? 0x20 : default_alphabet[septet];
}

/* TS 23.038 §6.2.1, §6.2.1.1: UTF-8 → unpacked septets. */
simota_err simota_gsm7_from_utf8(const char *utf8, size_t len,
				 uint8_t *out, size_t cap, size_t *n_septets)
{
	const char *p = utf8, *end = utf8 + len;
	size_t n = 0;
	bool overflow = false;

	while (p < end) {
		gunichar c = g_utf8_get_char_validated(p, end - p);
		uint8_t s[2];
		size_t k;

		if (c == (gunichar)-1 || c == (gunichar)-2)
			return SIMOTA_ERR_BAD_ENCODING;
		if (ucs_to_default(c, &s[0])) {
			k = 1;
		} else if (ucs_to_extension(c, &s[1])) {
			s[0] = GSM7_ESCAPE;
			k = 2;
		} else {
			return SIMOTA_ERR_BAD_ENCODING;
		}
		for (size_t i = 0; i < k; i++, n++) {
			if (out && n < cap)
				out[n] = s[i];
			else if (out)
				overflow = true;
		}
		p = g_utf8_next_char(p);
	}
	*n_septets = n;
	return overflow ? SIMOTA_ERR_NO_SPACE : SIMOTA_OK;
}

/* TS 23.038 §6.2.1, §6.2.1.1: unpacked septets → UTF-8. */
simota_err simota_gsm7_to_utf8(const uint8_t *septets, size_t n, int stop_at_ff,
			       char *out, size_t cap, size_t *out_len)
{
	size_t o = 0;

	if (cap == 0)
		return SIMOTA_ERR_NO_SPACE;
	for (size_t i = 0; i < n; i++) {
		char u[6];
		gunichar c;
		int k;

		if (stop_at_ff && septets[i] == 0xFF)
			break;
		if ((septets[i] & 0x7F) == GSM7_ESCAPE)
			c = i + 1 < n ? extension_to_ucs(septets[++i] & 0x7F) : 0x20;
		else
			c = default_alphabet[septets[i] & 0x7F];
		k = g_unichar_to_utf8(c, u);
		if (cap - o <= (size_t)k) {
			out[o] = '\0';
			return SIMOTA_ERR_NO_SPACE;
		}
		memcpy(out + o, u, k);
		o += k;
	}
	out[o] = '\0';
	*out_len = o;
	return SIMOTA_OK;
}

/* TS 23.038 §6.1.2.1.1. */
size_t simota_gsm7_packed_size(size_t n_septets, unsigned fill_bits)
{
	return (n_septets * 7 + fill_bits + 7) / 8;
}

/* TS 23.038 §6.1.2.1.1: septets packed least significant bit first. */
simota_err simota_gsm7_pack(const uint8_t *septets, size_t n, unsigned fill_bits,
			    uint8_t *out, size_t cap, size_t *out_len)
{
	size_t size = simota_gsm7_packed_size(n, fill_bits);

	if (fill_bits > 6)
		return SIMOTA_ERR_BAD_VALUE;
	if (size > cap)
		return SIMOTA_ERR_NO_SPACE;
	memset(out, 0, size);
	for (size_t i = 0; i < n; i++) {
		size_t bit = fill_bits + 7 * i;
		unsigned v = septets[i] & 0x7F, shift = bit % 8;

		out[bit / 8] |= (uint8_t)(v << shift);
		if (shift > 1)
			out[bit / 8 + 1] |= (uint8_t)(v >> (8 - shift));
	}
	*out_len = size;
	return SIMOTA_OK;
}

/* TS 23.038 §6.1.2.1.1. */
simota_err simota_gsm7_unpack(const uint8_t *packed, size_t packed_len, size_t n_septets,
			      unsigned fill_bits, uint8_t *out, size_t cap)
{
	if (fill_bits > 6)
		return SIMOTA_ERR_BAD_VALUE;
	if (simota_gsm7_packed_size(n_septets, fill_bits) > packed_len)
		return SIMOTA_ERR_TRUNCATED;
	if (n_septets > cap)
		return SIMOTA_ERR_NO_SPACE;
	for (size_t i = 0; i < n_septets; i++) {
		size_t bit = fill_bits + 7 * i;
		unsigned shift = bit % 8, v = packed[bit / 8] >> shift;

		if (shift > 1)
			v |= (unsigned)packed[bit / 8 + 1] << (8 - shift);
		out[i] = v & 0x7F;
	}
	return SIMOTA_OK;
}
