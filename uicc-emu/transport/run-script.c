/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Script lines: "<APDU hex> [<expected SW>]", "reset", blank, or "# comment".
 * The APDU is one token of hex digits; the SW is 4 hex digits, where x/X
 * matches any digit ("61xx").
 */
#include <string.h>

#include "simota/hex.h"
#include "transport/run-script.h"

#define MAX_CAPDU (5 + 65535 + 3)
#define MAX_RAPDU (256 + 2)

/* One token of hex (simota_hex_decode()), at least one byte. */
static bool parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	return simota_hex_decode(s, out, cap, len) == SIMOTA_OK && *len > 0;
}

static bool sw_pattern_ok(const char *p)
{
	if (strlen(p) != 4)
		return false;
	for (; *p; p++)
		if (!g_ascii_isxdigit(*p) && *p != 'x' && *p != 'X')
			return false;
	return true;
}

static bool sw_matches(const char *pattern, const char *sw)
{
	for (size_t i = 0; i < 4; i++)
		if (pattern[i] != 'x' && pattern[i] != 'X' &&
		    g_ascii_tolower(pattern[i]) != sw[i])
			return false;
	return true;
}

int uicc_run_script(const struct uicc_slot_card *card, const char *name, const char *text, FILE *out, FILE *err)
{
	char **lines = g_strsplit(text, "\n", -1);
	uint8_t *capdu = g_malloc(MAX_CAPDU);
	uint8_t rapdu[MAX_RAPDU], atr[UICC_MAX_ATR];
	int ret = 0;

	card->reset(card->card, atr, sizeof(atr));
	for (unsigned ln = 0; lines[ln] && ret == 0; ln++) {
		char *hash = strchr(lines[ln], '#');
		char **tok;
		unsigned ntok;
		size_t clen, rlen;
		char sw[5], data[2 * MAX_RAPDU + 1];

		if (hash)
			*hash = '\0';
		tok = g_strsplit_set(g_strstrip(lines[ln]), " \t\r", -1);
		/* drop the empty tokens of repeated blanks */
		ntok = 0;
		for (unsigned i = 0; tok[i]; i++)
			if (*tok[i])
				tok[ntok++] = tok[i];
			else
				g_free(tok[i]);
		tok[ntok] = NULL;

		if (ntok == 0) {
			/* blank or comment */
		} else if (ntok == 1 && !g_ascii_strcasecmp(tok[0], "reset")) {
			card->reset(card->card, atr, sizeof(atr));
		} else if (ntok > 2 || !parse_hex(tok[0], capdu, MAX_CAPDU, &clen) ||
			   (ntok == 2 && !sw_pattern_ok(tok[1]))) {
			fprintf(err, "%s:%u: expected \"<APDU hex> [<SW: 4 hex digits, x for any>]\" or \"reset\"\n",
				name, ln + 1);
			ret = 2;
		} else {
			rlen = card->transmit(card->card, capdu, clen, rapdu, sizeof(rapdu));
			g_assert(rlen >= 2 && rlen <= sizeof(rapdu));
			simota_hex_encode(rapdu, rlen - 2, data);
			simota_hex_encode(rapdu + rlen - 2, 2, sw);
			fprintf(out, "%s%s%s\n", data, rlen > 2 ? " " : "", sw);
			fflush(out);
			if (ntok == 2 && !sw_matches(tok[1], sw)) {
				fprintf(err, "%s:%u: expected SW %s, got %s\n", name, ln + 1, tok[1], sw);
				ret = 1;
			}
		}
		g_strfreev(tok);
	}
	card->power_off(card->card);
	g_free(capdu);
	g_strfreev(lines);
	return ret;
}
