/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bytes as hex text (simota/hex.h). */
#include <glib.h>

#include "simota/hex.h"

static const char digits[] = "0123456789abcdef";

void simota_hex_encode(const uint8_t *p, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0F];
	}
	out[2 * len] = '\0';
}

char *simota_hex_dup(const uint8_t *p, size_t len)
{
	char *s = g_malloc(2 * len + 1);

	simota_hex_encode(p, len, s);
	return s;
}

int simota_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int is_separator(char c)
{
	return c == ' ' || c == '\t' || c == ':';
}

simota_err simota_hex_decode(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = 0;

	*len = 0;
	while (*s) {
		int hi, lo;

		if (is_separator(*s)) {
			s++;
			continue;
		}
		hi = simota_hex_digit(s[0]);
		lo = hi < 0 ? -1 : simota_hex_digit(s[1]);
		if (lo < 0)
			return SIMOTA_ERR_BAD_VALUE;
		if (n < cap)
			out[n] = (uint8_t)(hi << 4 | lo);
		n++;
		s += 2;
	}
	*len = n;
	return n > cap ? SIMOTA_ERR_NO_SPACE : SIMOTA_OK;
}
