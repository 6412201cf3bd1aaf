// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The stkbridge plugin against misbehaving cards, without ofonod: the APDU
 * session's bounds (TS 102 221 §7.3.1.1, TS 102 223 §6.2) with a fake card
 * (fake-card.h) that misbehaves (an oversized answer, a card announcing proactive commands
 * forever, a GET RESPONSE chain that never ends), and the pcsc parts of the
 * config file and reader matching (doc/pcsc.md).
 */
#include <glib.h>
#include <string.h>

#include "config.h"
#include "card/apdu-session.h"
#include "card/uicc.h"
#include "fake-card.h"
#include "test-support.h"
#ifdef SB_HAVE_PCSC
#include "card/pcsc-internal.h"
#endif

/* ---- oversized answer ----------------------------------------------------------------------- */

static GByteArray *answer_oversized(struct fake_card *c, const uint8_t *apdu, size_t len)
{
	GByteArray *a = g_byte_array_new();
	static const uint8_t sw[2] = { 0x90, 0x00 };

	g_byte_array_set_size(a, 300);
	memset(a->data, 0xAB, 300);
	g_byte_array_append(a, sw, 2);
	return a;
}

static void test_oversized(void)
{
	struct fake_card c;
	struct sb_apdu_session *s = sb_apdu_session_new(fake_card_init_answer(&c, answer_oversized, NULL), 1000);
	struct fake_result r = { 0 };

	fake_exchange(s, "00B000000A", &r);
	g_assert_nonnull(r.err);
	g_assert_error(r.err, SB_CARD_ERROR, SB_CARD_ERROR_PROTOCOL);
	g_assert_nonnull(strstr(r.err->message, "oversized response: 300 data bytes"));
	fake_result_clear(&r);
	sb_apdu_session_free(s);
	fake_card_clear(&c);
}

/* ---- GET RESPONSE forever (61XX to every GET RESPONSE) -------------------------------------- */

static GByteArray *answer_61_forever(struct fake_card *c, const uint8_t *apdu, size_t len)
{
	static const uint8_t resp[] = { 0x01, 0x02, 0x61, 0x02 };

	return fake_answer_bytes(apdu[1] == 0xC0 ? resp : resp + 2, apdu[1] == 0xC0 ? 4 : 2);
}

static void test_endless_chain(void)
{
	struct fake_card c;
	struct sb_apdu_session *s = sb_apdu_session_new(fake_card_init_answer(&c, answer_61_forever, NULL), 1000);
	struct fake_result r = { 0 };

	fake_exchange(s, "00A40004023F00", &r);
	g_assert_nonnull(r.err);
	g_assert_error(r.err, SB_CARD_ERROR, SB_CARD_ERROR_PROTOCOL);
	g_assert_cmpuint(c.commands, <=, 65);
	fake_result_clear(&r);
	sb_apdu_session_free(s);
	fake_card_clear(&c);
}

/* ---- 91XX forever --------------------------------------------------------------------------- */

/* Every command 9110; FETCH 9110 and no command; TERMINAL RESPONSE 9000 once *user (session end) is set. */
static GByteArray *answer_91_forever(struct fake_card *c, const uint8_t *apdu, size_t len)
{
	static const uint8_t sw91[2] = { 0x91, 0x10 }, sw90[2] = { 0x90, 0x00 };
	const bool *session_end = c->user;

	if (apdu[1] == 0x14 && *session_end)
		return fake_answer_bytes(sw90, 2);
	return fake_answer_bytes(sw91, 2);
}

struct fetcher {
	struct sb_apdu_session *s;
	unsigned told;
};

static void fetch_done(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
}

/* As the stk atom does: every announcement is FETCHed. */
static void on_proactive(unsigned len, void *user)
{
	struct fetcher *f = user;

	f->told++;
	sb_apdu_session_fetch(f->s, NULL, len, fetch_done, f);
}

static void test_proactive_forever(void)
{
	struct fake_card c;
	bool session_end = false;
	struct sb_apdu_session *s = sb_apdu_session_new(fake_card_init_answer(&c, answer_91_forever, &session_end),
							1000);
	struct fetcher f = { .s = s };
	struct fake_result r = { 0 };

	sb_apdu_session_set_proactive_cb(s, on_proactive, &f);
	fake_exchange(s, "80100000023B61", &r);         /* TERMINAL PROFILE: 9110 */
	g_assert_null(r.err);
	g_assert_cmphex(r.sw, ==, 0x9110);
	fake_drain();
	g_assert_cmpuint(f.told, ==, SB_APDU_MAX_PROACTIVE_RUN);
	g_assert_cmpuint(c.fetches, ==, SB_APDU_MAX_PROACTIVE_RUN);
	/* still muted: a STATUS answered 9110 is not told */
	fake_exchange(s, "80F2000000", &r);
	fake_drain();
	g_assert_cmpuint(c.fetches, ==, SB_APDU_MAX_PROACTIVE_RUN);
	/* the card ends its proactive session (TERMINAL RESPONSE 9000): told again */
	session_end = true;
	fake_exchange(s, "8014000003810301", &r);
	g_assert_cmphex(r.sw, ==, 0x9000);
	fake_exchange(s, "80F2000000", &r);
	fake_drain();
	g_assert_cmpuint(f.told, ==, 2 * SB_APDU_MAX_PROACTIVE_RUN);
	fake_result_clear(&r);
	sb_apdu_session_free(s);
	fake_card_clear(&c);
}

/* A legitimate session, FETCH / TERMINAL RESPONSE alternating and ending with 9000, is never cut. */
static GByteArray *answer_long_session(struct fake_card *c, const uint8_t *apdu, size_t len)
{
	static const uint8_t cmd[] = { 0xD0, 0x03, 0x81, 0x01, 0x01, 0x90, 0x00 };
	static const uint8_t sw91[2] = { 0x91, 0x07 }, sw90[2] = { 0x90, 0x00 };

	if (apdu[1] == 0x12)
		return fake_answer_bytes(cmd, sizeof(cmd));
	if (apdu[1] == 0x14)
		return fake_answer_bytes(c->fetches % 40 ? sw91 : sw90, 2);    /* sessions of 40 commands */
	return fake_answer_bytes(sw91, 2);
}

/* The session ended (TERMINAL RESPONSE 9000): the next one starts with an ENVELOPE (answered 91XX). */
static void tr_done(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct fetcher *f = user;
	static const uint8_t envelope[] = { 0x80, 0xC2, 0x00, 0x00, 0x02, 0xD6, 0x00 };

	if (sw == 0x9000 && f->told < 200)
		sb_apdu_session_send(f->s, NULL, envelope, sizeof(envelope), fetch_done, f);
}

static void tr_after_fetch(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct fetcher *f = user;
	static const uint8_t tr[] = { 0x80, 0x14, 0x00, 0x00, 0x03, 0x81, 0x03, 0x01 };

	sb_apdu_session_send(f->s, NULL, tr, sizeof(tr), tr_done, f);
}

static void on_proactive_session(unsigned len, void *user)
{
	struct fetcher *f = user;

	f->told++;
	if (f->told < 200)
		sb_apdu_session_fetch(f->s, NULL, len, tr_after_fetch, f);
}

static void test_long_sessions(void)
{
	struct fake_card c;
	struct sb_apdu_session *s = sb_apdu_session_new(fake_card_init_answer(&c, answer_long_session, NULL), 1000);
	struct fetcher f = { .s = s };
	struct fake_result r = { 0 };

	sb_apdu_session_set_proactive_cb(s, on_proactive_session, &f);
	fake_exchange(s, "80100000023B61", &r);
	fake_drain();
	/* five sessions of 40 commands, 200 in all: never muted */
	g_assert_cmpuint(f.told, ==, 200);
	g_assert_cmpuint(c.fetches, ==, 199);
	fake_result_clear(&r);
	sb_apdu_session_free(s);
	fake_card_clear(&c);
}

/*
 * A command not FETCHed yet is announced by every answer until it is (the SIM
 * is initialised, PIN entered, before oFono's stk atom exists and FETCHes):
 * one command, however many answers say 91XX; it is never muted.
 */
static GByteArray *answer_one_pending(struct fake_card *c, const uint8_t *apdu, size_t len)
{
	static const uint8_t cmd[] = { 0xD0, 0x03, 0x81, 0x01, 0x01, 0x90, 0x00 };
	static const uint8_t sw91[2] = { 0x91, 0x05 }, sw90[2] = { 0x90, 0x00 };

	if (apdu[1] == 0x12)
		return fake_answer_bytes(cmd, sizeof(cmd));
	return fake_answer_bytes(c->fetches ? sw90 : sw91, 2);
}

static void count_told(unsigned len, void *user)
{
	(*(unsigned *)user)++;
}

static void test_pending_before_fetch(void)
{
	struct fake_card c;
	struct sb_apdu_session *s = sb_apdu_session_new(fake_card_init_answer(&c, answer_one_pending, NULL), 1000);
	unsigned told = 0;
	struct fake_result r = { 0 };

	sb_apdu_session_set_proactive_cb(s, count_told, &told);
	for (unsigned i = 0; i < 2 * SB_APDU_MAX_PROACTIVE_RUN; i++) {
		fake_exchange(s, "00a4080c027fff", &r);
		g_assert_cmphex(r.sw, ==, 0x9105);
	}
	fake_drain();
	g_assert_cmpuint(told, ==, 2 * SB_APDU_MAX_PROACTIVE_RUN);    /* each answer told, none muted */
	fake_result_clear(&r);
	sb_apdu_session_fetch(s, NULL, 5, fake_result_cb, &r);
	fake_result_wait(&r);
	g_assert_cmphex(r.sw, ==, 0x9000);
	fake_result_data(&r, "d003810101");
	fake_result_clear(&r);
	sb_apdu_session_free(s);
	fake_card_clear(&c);
}

/* ---- config and reader matching (doc/pcsc.md) -------------------------------------------------- */

static struct sb_config *parse(const char *text)
{
	return sb_config_parse(text, strlen(text), "test.conf");
}

static void test_config_pcsc(void)
{
#ifdef SB_HAVE_PCSC
	struct sb_config *c = parse("[m0]\nUicc=pcsc:Virtual PCD 00 00   # exact name\nUiccMode=shared\nUiccTimeout=2\n"
				    "[m1]\nUicc=pcsc:*\n"
				    "[m2]\nUicc=emu:unix:/a.sock\nUiccMode=shared\n"
				    "[bad1]\nUicc=pcsc:\n"
				    "[bad2]\nUicc=pcsc:R\nUiccMode=sharing\n"
				    "[bad3]\nUicc=pcsc:R\nUiccTimeout=0\n"
				    "[bad4]\nUicc=pcsc:R\nUiccTimeout=2s\n");
	struct sb_modem_conf *m;

	g_assert_cmpuint(c->modems->len, ==, 3);
	m = g_ptr_array_index(c->modems, 0);
	g_assert_cmpint(m->uicc.kind, ==, SB_UICC_PCSC);
	g_assert_cmpstr(m->uicc.path, ==, "Virtual PCD 00 00");
	g_assert_true(m->uicc.shared);
	g_assert_cmpuint(m->uicc.timeout_ms, ==, 2000);
	m = g_ptr_array_index(c->modems, 1);
	g_assert_cmpstr(m->uicc.path, ==, "*");
	g_assert_false(m->uicc.shared);            /* exclusive by default */
	g_assert_cmpuint(m->uicc.timeout_ms, ==, 0);
	g_assert_true(tv_strings_have(c->warnings, "[m2] UiccMode: only for pcsc"));
	g_assert_cmpuint(c->errors->len, ==, 4);
	g_assert_true(tv_strings_have(c->errors, "[bad1] Uicc:"));
	g_assert_true(tv_strings_have(c->errors, "[bad2] UiccMode: 'sharing'"));
	g_assert_true(tv_strings_have(c->errors, "[bad3] UiccTimeout: '0'"));
	g_assert_true(tv_strings_have(c->errors, "[bad4] UiccTimeout: '2s'"));
	sb_config_free(c);
#else
	g_test_skip("built without pcsc-lite");
#endif
}

static void test_reader_match(void)
{
#ifdef SB_HAVE_PCSC
	int rank = -1;

	g_assert_true(sb_pcsc_reader_matches("Virtual PCD 00 00", "Virtual PCD 00 00", &rank));
	g_assert_cmpint(rank, ==, 0);
	g_assert_true(sb_pcsc_reader_matches("Virtual PCD", "Virtual PCD 00 01", &rank));
	g_assert_cmpint(rank, ==, 1);
	g_assert_true(sb_pcsc_reader_matches("*", "Gemalto PC Twin Reader 00 00", &rank));
	g_assert_cmpint(rank, ==, 2);
	g_assert_false(sb_pcsc_reader_matches("Virtual PCD 00 01", "Virtual PCD 00 00", &rank));
	g_assert_false(sb_pcsc_reader_matches("Virtual PCD 00 00 x", "Virtual PCD 00 00", &rank));
	g_assert_true(sb_pcsc_state_has_card(SCARD_STATE_PRESENT | SCARD_STATE_INUSE | SCARD_STATE_EXCLUSIVE));
	g_assert_false(sb_pcsc_state_has_card(SCARD_STATE_EMPTY));
	g_assert_false(sb_pcsc_state_has_card(SCARD_STATE_PRESENT | SCARD_STATE_MUTE));
	g_assert_true(sb_pcsc_service_gone(SCARD_E_NO_SERVICE));
	g_assert_true(sb_pcsc_service_gone(SCARD_E_SERVICE_STOPPED));
	g_assert_false(sb_pcsc_service_gone(SCARD_W_REMOVED_CARD));
#else
	g_test_skip("built without pcsc-lite");
#endif
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/plugin-robust/session/oversized", test_oversized);
	g_test_add_func("/plugin-robust/session/endless-chain", test_endless_chain);
	g_test_add_func("/plugin-robust/session/proactive-forever", test_proactive_forever);
	g_test_add_func("/plugin-robust/session/long-sessions", test_long_sessions);
	g_test_add_func("/plugin-robust/session/pending-before-fetch", test_pending_before_fetch);
	g_test_add_func("/plugin-robust/config/pcsc", test_config_pcsc);
	g_test_add_func("/plugin-robust/pcsc/reader-match", test_reader_match);
	return g_test_run();
}
