/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The card tests' fixture and exchange helper (uicc-card-support.h). */
#include <string.h>

#include "test-support.h"
#include "uicc-card-support.h"

const char *card_fixture_dir(void)
{
	return ots_tmp_dir();
}

void card_fixture_open(struct fixture *f, const char *ini)
{
	ots_card_open(&f->ots, ini);
	f->cfg = f->ots.cfg;
	f->card = f->ots.card;
	f->state = f->ots.state;
}

void card_fixture_reopen(struct fixture *f)
{
	ots_card_reopen(&f->ots);
	f->card = f->ots.card;
}

void card_fixture_close(struct fixture *f)
{
	ots_card_close(&f->ots);
	memset(f, 0, sizeof(*f));
}

static char *strip_spaces(const char *s)
{
	char *out = g_strdup(s), *w = out;

	for (; *s; s++)
		if (*s != ' ')
			*w++ = *s;
	*w = 0;
	return out;
}

/* want: the hex data, or a prefix followed by '*' (any rest), or "*" alone. */
static bool data_matches(const char *got, const char *want)
{
	size_t n = strlen(want);

	if (n && want[n - 1] == '*')
		return strlen(got) >= n - 1 && g_ascii_strncasecmp(got, want, n - 1) == 0;
	return g_ascii_strcasecmp(got, want) == 0;
}

uint8_t *card_xchg_at(const char *file, int line, struct uicc_card *card, const char *capdu_hex,
		      const char *expect, size_t *out_len)
{
	char *chex = strip_spaces(capdu_hex);
	size_t clen, n;
	uint8_t *capdu = tv_hex(chex, &clen);
	uint8_t r[UICC_MAX_RAPDU];
	const char *last = strrchr(expect, ' ');
	char *want_data = last ? g_strndup(expect, (size_t)(last - expect)) : g_strdup("");
	char *want_data_hex = strip_spaces(want_data);
	const char *want_sw = last ? last + 1 : expect;
	char *got_sw, *got_data;
	bool sw_ok;

	n = uicc_card_transmit(card, capdu, clen, r, sizeof(r));
	g_assert_cmpuint(n, >=, 2);
	got_sw = g_strdup_printf("%02X%02X", r[n - 2], r[n - 1]);
	got_data = tv_to_hex(r, n - 2);
	sw_ok = strlen(want_sw) == 4;
	for (size_t i = 0; sw_ok && i < 4; i++)
		sw_ok = want_sw[i] == '?' || g_ascii_toupper(want_sw[i]) == got_sw[i];
	if (!sw_ok || !data_matches(got_data, want_data_hex)) {
		g_printerr("%s:%d: %s -> %s %s, expected %s\n", file, line, chex, got_data, got_sw, expect);
		g_test_fail();
	}
	g_free(got_sw);
	g_free(got_data);
	g_free(want_data);
	g_free(want_data_hex);
	g_free(capdu);
	g_free(chex);
	if (out_len)
		*out_len = n - 2;
	return g_memdup2(r, n - 2 ? n - 2 : 1);
}
