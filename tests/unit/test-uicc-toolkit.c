/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CAT runtime through the card: the envelope response handler closed by
 * the first proactive command (TS 143 019 §6.6), 91XX / FETCH / TERMINAL
 * RESPONSE routing, nesting as the OTA layer uses it, 9300, MORE TIME,
 * timers, envelope dispatch, reset.
 */
#include <glib/gstdio.h>
#include <string.h>

#include "simota/cat.h"
#include "test-support.h"
#include "card/card.h"
#include "emu-card.h"
#include "card/card-access.h"
#include "state/card-state.h"
#include "toolkit/toolkit.h"

static char *tmp_dir;
static unsigned seq;

/* DISPLAY TEXT "Hi!" (TS 102 223 §6.6.1), 17 bytes, command number 1 */
static const uint8_t display_text[] = {
	0xD0, 0x0F, 0x81, 0x03, 0x01, 0x21, 0x80, 0x82, 0x02, 0x81, 0x02, 0x8D, 0x04, 0x04, 'H', 'i', '!',
};
#define DISPLAY_TEXT_HEX "D00F81030121808202810 28D040448692 1"
#define TR_DISPLAY_OK "80140000 0C 810301218082028281830100"

/* DISPLAY TEXT number 2 */
static const uint8_t display_text2[] = {
	0xD0, 0x0F, 0x81, 0x03, 0x02, 0x21, 0x80, 0x82, 0x02, 0x81, 0x02, 0x8D, 0x04, 0x04, 'H', 'o', '!',
};

struct ctx {
	struct simota_card_config *cfg;
	struct uicc_card *card;
	struct uicc_toolkit *tk;
	char *state;
	/* what the applets saw and did */
	enum uicc_tk_result r_write_before, r_send, r_write_after, r_warning_after, r_post_after;
	bool available_after;
	unsigned invocations, tr_calls, close_calls, aborted;
	uint8_t last_id, last_result;
	bool last_help;
	enum uicc_tk_event last_event;
	uint8_t closed_data[32];
	size_t closed_len;
	enum uicc_tk_result r_outer_after;
	bool nested_send;
	int mode;
	struct uicc_tk_applet *inner;
	uint8_t timer;
};

static struct ctx *T;

static void setup(struct ctx *c, gconstpointer data)
{
	char *path = g_strdup_printf("%s/tk%u.ini", tmp_dir, ++seq);
	GError *err = NULL;

	memset(c, 0, sizeof(*c));
	T = c;
	g_assert_true(g_file_set_contents(path, "[card]\niccid=89882390000000000017\nimsi=001010123456789\n", -1, &err));
	c->cfg = uicc_card_config_load(path, &err);
	g_assert_no_error(err);
	c->state = g_strdup_printf("%s/tk%u.state", tmp_dir, seq);
	c->card = uicc_emu_card_new(c->cfg, c->state, &err);
	g_assert_no_error(err);
	c->tk = uicc_card_toolkit(c->card);
	g_free(path);
}

static void teardown(struct ctx *c, gconstpointer data)
{
	uicc_card_free(c->card);
	simota_card_config_free(c->cfg);
	g_unlink(c->state);
	g_free(c->state);
}

static char *strip(const char *s)
{
	char *o = g_strdup(s), *w = o;

	for (; *s; s++)
		if (*s != ' ')
			*w++ = *s;
	*w = 0;
	return o;
}

/* expect: "SW" or "DATA SW" (spaces in DATA ignored). */
static void xchg_at(const char *file, int line, struct uicc_card *card, const char *capdu, const char *expect)
{
	char *ch = strip(capdu), *want, *got, *wd_stripped;
	const char *last = strrchr(expect, ' ');
	char *wd = last ? g_strndup(expect, (size_t)(last - expect)) : g_strdup("");
	size_t len, n;
	uint8_t *c = tv_hex(ch, &len), r[UICC_MAX_RAPDU];

	n = uicc_card_transmit(card, c, len, r, sizeof(r));
	wd_stripped = strip(wd);
	want = g_strdup_printf("%s%s", wd_stripped, last ? last + 1 : expect);
	g_free(wd_stripped);
	got = tv_to_hex(r, n);
	if (g_ascii_strcasecmp(want, got) != 0) {
		g_printerr("%s:%d: %s -> %s, expected %s\n", file, line, ch, got, want);
		g_test_fail();
	}
	g_free(want);
	g_free(got);
	g_free(wd);
	g_free(c);
	g_free(ch);
}

#define XCHG(c, a, e) xchg_at(__FILE__, __LINE__, (c), (a), (e))

static void on_tr(struct uicc_tk_invocation *inv, const struct uicc_tk_terminal_response *tr, void *ud)
{
	T->tr_calls++;
	if (tr->aborted) {
		T->aborted++;
		g_assert_null(tr->raw);
		g_assert_cmpint(uicc_tk_proactive_send(inv, display_text2, sizeof(display_text2), NULL, NULL), ==,
				UICC_TK_ERR_STATE);
		return;
	}
	T->last_result = tr->general_result;
	T->last_event = uicc_tk_invocation_event(inv);
	g_assert_nonnull(tr->raw);
	g_assert_cmpuint(tr->number, ==, 1);
	g_assert_cmpuint(tr->type, ==, 0x21);
	g_assert_cmpuint(tr->qualifier, ==, 0x80);
	/* no envelope response in a TR invocation */
	g_assert_cmpint(uicc_tk_response_write(inv, (const uint8_t *)"x", 1), ==, UICC_TK_ERR_UNAVAILABLE);
	/* mode 2: the session goes on with a second command */
	if (T->mode == 2)
		g_assert_cmpint(uicc_tk_proactive_send(inv, display_text2, sizeof(display_text2), NULL, NULL), ==,
				UICC_TK_OK);
}

/* The §6.6 applet: write, proactive command, write again. */
static enum uicc_tk_result rule_applet(struct uicc_tk_invocation *inv, void *ud)
{
	T->invocations++;
	T->last_event = uicc_tk_invocation_event(inv);
	T->r_write_before = uicc_tk_response_write(inv, (const uint8_t *)"\xAA\xBB", 2);
	if (T->mode == 1)
		return UICC_TK_OK;            /* no proactive command at all */
	T->r_send = uicc_tk_proactive_send(inv, display_text, sizeof(display_text), on_tr, NULL);
	T->available_after = uicc_tk_response_available(inv);
	T->r_write_after = uicc_tk_response_write(inv, (const uint8_t *)"\xCC", 1);
	T->r_warning_after = uicc_tk_response_set_warning(inv, 0x6200);
	T->r_post_after = uicc_tk_response_post(inv);
	return UICC_TK_OK;
}

static void profile(struct uicc_card *card)
{
	XCHG(card, "80100000 05 FFFFFFFF1F", "9000");
}

static void test_envelope_rule(struct ctx *c, gconstpointer data)
{
	struct uicc_tk_applet *a = uicc_tk_applet_register(c->tk, "rule", rule_applet, NULL);

	g_assert_nonnull(a);
	g_assert_cmpint(uicc_tk_applet_set_event(a, UICC_TK_EVENT_SMS_PP_DOWNLOAD), ==, UICC_TK_OK);
	profile(c->card);
	/* SMS-PP DOWNLOAD: the response written before the command goes out, 61XX */
	XCHG(c->card, "80C20000 09 D107820283818B0100", "6102");
	g_assert_cmpuint(c->invocations, ==, 1);
	g_assert_cmpint(c->last_event, ==, UICC_TK_EVENT_SMS_PP_DOWNLOAD);
	g_assert_cmpint(c->r_write_before, ==, UICC_TK_OK);
	g_assert_cmpint(c->r_send, ==, UICC_TK_OK);
	/* TS 143 019 §6.6: after the first proactive command nothing more */
	g_assert_false(c->available_after);
	g_assert_cmpint(c->r_write_after, ==, UICC_TK_ERR_CLOSED);
	g_assert_cmpint(c->r_warning_after, ==, UICC_TK_ERR_CLOSED);
	g_assert_cmpint(c->r_post_after, ==, UICC_TK_ERR_CLOSED);
	/* only AA BB; the pending command shows as 91XX at the end of the chain */
	XCHG(c->card, "00C0000002", "AABB 9111");
	XCHG(c->card, "80F2000C00", "9111");
	/* FETCH: Le must be the announced length */
	XCHG(c->card, "8012000000", "6C11");
	XCHG(c->card, "8012000010", "6C11");
	XCHG(c->card, "8012000011", "D00F8103012180820281028D0404486921 9000");
	/* fetched: no 91XX until the TERMINAL RESPONSE */
	XCHG(c->card, "80F2000C00", "9000");
	XCHG(c->card, TR_DISPLAY_OK, "9000");
	g_assert_cmpuint(c->tr_calls, ==, 1);
	g_assert_cmpuint(c->last_result, ==, 0x00);
	g_assert_cmpint(c->last_event, ==, UICC_TK_EVENT_TERMINAL_RESPONSE);
	XCHG(c->card, "80F2000C00", "9000");
	XCHG(c->card, TR_DISPLAY_OK, "6985");                       /* no command awaits it */
}

static void test_envelope_no_proactive(struct ctx *c, gconstpointer data)
{
	struct uicc_tk_applet *a = uicc_tk_applet_register(c->tk, "rule", rule_applet, NULL);

	uicc_tk_applet_set_event(a, UICC_TK_EVENT_SMS_PP_DOWNLOAD);
	c->mode = 1;
	profile(c->card);
	XCHG(c->card, "80C20000 09 D107820283818B0100", "6102");
	XCHG(c->card, "00C0000002", "AABB 9000");
	/* the GSM class: 9FXX */
	XCHG(c->card, "A0C20000 09 D107820283818B0100", "9F02");
	XCHG(c->card, "A0C0000002", "AABB 9000");
	/* a trailing Le on the ENVELOPE is accepted */
	XCHG(c->card, "80C20000 09 D107820283818B0100 00", "6102");
}

static void test_session(struct ctx *c, gconstpointer data)
{
	struct uicc_tk_applet *a = uicc_tk_applet_register(c->tk, "rule", rule_applet, NULL);

	uicc_tk_applet_set_event(a, UICC_TK_EVENT_SMS_PP_DOWNLOAD);
	c->mode = 2;
	profile(c->card);
	XCHG(c->card, "80C20000 09 D107820283818B0100", "6102");
	XCHG(c->card, "00C0000002", "AABB 9111");
	XCHG(c->card, "8012000011", DISPLAY_TEXT_HEX " 9000");
	/* a TR naming another command: refused, the command still waits */
	XCHG(c->card, "80140000 0C 810302218082028281830100", "6A80");
	XCHG(c->card, "80140000 09 8103012180820282 81", "6A80");   /* malformed */
	XCHG(c->card, "80140000 09 810301218082028281", "6A80");     /* no result */
	g_assert_cmpuint(c->tr_calls, ==, 0);
	/* the TR's callback issues the next command: 91XX right on the TR */
	XCHG(c->card, "80140000 0C 810301218082028281830110", "9111");
	g_assert_cmpuint(c->last_result, ==, 0x10);
	XCHG(c->card, "8012000011", "D00F8103022180820281028D0404486F21 9000");
	XCHG(c->card, "80140000 0C 810302218082028281830100", "9000");
	XCHG(c->card, "8012000011", "6985");                        /* nothing pending */
}

/* ---- nesting: the OTA layer's use ---------------------------------------- */

static enum uicc_tk_result inner_applet(struct uicc_tk_invocation *inv, void *ud)
{
	size_t len;
	const uint8_t *d = uicc_tk_invocation_data(inv, &len);

	g_assert_cmpint(uicc_tk_invocation_event(inv), ==, UICC_TK_EVENT_FORMATTED_SMS_PP);
	g_assert_cmpmem(d, len, "\x01\x02", 2);
	g_assert_cmpint(uicc_tk_response_write(inv, (const uint8_t *)"\x11", 1), ==, UICC_TK_OK);
	if (T->nested_send) {
		g_assert_cmpuint(T->close_calls, ==, 0);
		g_assert_cmpint(uicc_tk_proactive_send(inv, display_text, sizeof(display_text), on_tr, NULL), ==,
				UICC_TK_OK);
		/* the close ran during the send, before the command was queued */
		g_assert_cmpuint(T->close_calls, ==, 1);
		g_assert_cmpint(uicc_tk_response_write(inv, (const uint8_t *)"\x12", 1), ==, UICC_TK_ERR_CLOSED);
	}
	return UICC_TK_OK;
}

static void on_inner_close(struct uicc_tk_invocation *outer, const uint8_t *data, size_t len, void *ud)
{
	uint8_t por[8] = { 0x50, 0x6F, 0x52 };

	T->close_calls++;
	memcpy(T->closed_data, data, len);
	T->closed_len = len;
	/* the outer handler is still open here: the PoR goes into it */
	g_assert_true(uicc_tk_response_available(outer));
	memcpy(por + 3, data, len);
	g_assert_cmpint(uicc_tk_response_write(outer, por, 3 + len), ==, UICC_TK_OK);
}

static enum uicc_tk_result outer_applet(struct uicc_tk_invocation *inv, void *ud)
{
	bool by_proactive = false;
	enum uicc_tk_result r;

	r = uicc_tk_invoke_nested(inv, T->inner, UICC_TK_EVENT_FORMATTED_SMS_PP, (const uint8_t *)"\x01\x02", 2,
				  on_inner_close, NULL, &by_proactive);
	g_assert_cmpint(r, ==, UICC_TK_OK);
	g_assert_cmpuint(T->close_calls, ==, 1);
	g_assert_true(by_proactive == T->nested_send);
	T->r_outer_after = uicc_tk_response_write(inv, (const uint8_t *)"\xEE", 1);
	return UICC_TK_OK;
}

static void nested(struct ctx *c, bool send)
{
	struct uicc_tk_applet *outer = uicc_tk_applet_register(c->tk, "ota", outer_applet, NULL);

	c->inner = uicc_tk_applet_register(c->tk, "deferred", inner_applet, NULL);
	g_assert_nonnull(c->inner);
	g_assert_true(uicc_tk_applet_find(c->tk, "deferred") == c->inner);
	g_assert_cmpstr(uicc_tk_applet_name(c->inner), ==, "deferred");
	g_assert_null(uicc_tk_applet_register(c->tk, "deferred", inner_applet, NULL));
	g_assert_cmpint(uicc_tk_applet_set_event(outer, UICC_TK_EVENT_SMS_PP_DOWNLOAD), ==, UICC_TK_OK);
	g_assert_cmpint(uicc_tk_applet_set_event(c->inner, UICC_TK_EVENT_SMS_PP_DOWNLOAD), ==, UICC_TK_ERR_BUSY);
	c->nested_send = send;
	profile(c->card);
}

static void test_nested_proactive(struct ctx *c, gconstpointer data)
{
	nested(c, true);
	XCHG(c->card, "80C20000 09 D107820283818B0100", "6104");
	g_assert_cmpmem(c->closed_data, c->closed_len, "\x11", 1);
	/* the outer handler closed with the inner one: the OTA layer cannot add later */
	g_assert_cmpint(c->r_outer_after, ==, UICC_TK_ERR_CLOSED);
	XCHG(c->card, "00C0000004", "506F5211 9111");
	XCHG(c->card, "8012000011", DISPLAY_TEXT_HEX " 9000");
	XCHG(c->card, TR_DISPLAY_OK, "9000");
	g_assert_cmpuint(c->tr_calls, ==, 1);
}

static void test_nested_plain(struct ctx *c, gconstpointer data)
{
	nested(c, false);
	XCHG(c->card, "80C20000 09 D107820283818B0100", "6105");
	/* closed at the inner applet's return; the outer handler stays open */
	g_assert_cmpint(c->r_outer_after, ==, UICC_TK_OK);
	XCHG(c->card, "00C0000005", "506F5211EE 9000");
}

/* Nested in an outer handler that is already closed: born closed, no on_close. */
static enum uicc_tk_result closed_inner(struct uicc_tk_invocation *inv, void *ud)
{
	g_assert_false(uicc_tk_response_available(inv));
	g_assert_cmpint(uicc_tk_response_write(inv, (const uint8_t *)"\x11", 1), ==, UICC_TK_ERR_CLOSED);
	return UICC_TK_OK;
}

static enum uicc_tk_result closed_outer(struct uicc_tk_invocation *inv, void *ud)
{
	g_assert_cmpint(uicc_tk_proactive_send(inv, display_text, sizeof(display_text), NULL, NULL), ==, UICC_TK_OK);
	uicc_tk_invoke_nested(inv, T->inner, UICC_TK_EVENT_FORMATTED_SMS_PP, NULL, 0, on_inner_close, NULL, NULL);
	return UICC_TK_OK;
}

static void test_nested_closed(struct ctx *c, gconstpointer data)
{
	struct uicc_tk_applet *o = uicc_tk_applet_register(c->tk, "ota", closed_outer, NULL);

	c->inner = uicc_tk_applet_register(c->tk, "inner", closed_inner, NULL);
	uicc_tk_applet_set_event(o, UICC_TK_EVENT_SMS_PP_DOWNLOAD);
	profile(c->card);
	XCHG(c->card, "80C20000 09 D107820283818B0100", "9111");
	g_assert_cmpuint(c->close_calls, ==, 0);
}

/* ---- 91XX and TERMINAL PROFILE, 9300, warnings ----------------------------- */

static enum uicc_tk_result menu_applet(struct uicc_tk_invocation *inv, void *ud)
{
	T->invocations++;
	T->last_event = uicc_tk_invocation_event(inv);
	T->last_id = uicc_tk_invocation_id(inv);
	T->last_help = uicc_tk_invocation_help(inv);
	if (T->mode == 3)
		return UICC_TK_ERR_BUSY;
	if (uicc_tk_invocation_event(inv) == UICC_TK_EVENT_ENVELOPE) {
		/* an envelope claimed by tag has a response */
		g_assert_cmpint(uicc_tk_response_write(inv, (const uint8_t *)"\x01", 1), ==, UICC_TK_OK);
		return UICC_TK_OK;
	}
	g_assert_cmpint(uicc_tk_response_write(inv, (const uint8_t *)"\x01", 1), ==, UICC_TK_ERR_UNAVAILABLE);
	if (T->mode == 4) {
		T->timer = uicc_tk_timer_allocate(uicc_tk_invocation_applet(inv));
		g_assert_cmpint(uicc_tk_timer_start(inv, T->timer, 90, NULL, NULL), ==, UICC_TK_OK);
		return UICC_TK_OK;
	}
	if (T->mode == 5) {
		g_assert_cmpint(uicc_tk_more_time(inv), ==, UICC_TK_OK);
		return UICC_TK_OK;
	}
	if (uicc_tk_invocation_event(inv) != UICC_TK_EVENT_TIMER_EXPIRATION &&
	    uicc_tk_invocation_event(inv) != UICC_TK_EVENT_EVENT_DOWNLOAD)
		g_assert_cmpint(uicc_tk_proactive_send(inv, display_text, sizeof(display_text), on_tr, NULL), ==,
				UICC_TK_OK);
	return UICC_TK_OK;
}

#define MENU_SELECTION_2 "80C20000 09 D307820201819001 02"

static void test_no_91_before_profile(struct ctx *c, gconstpointer data)
{
	struct uicc_tk_applet *a = uicc_tk_applet_register(c->tk, "menu", menu_applet, NULL);

	g_assert_cmpint(uicc_tk_applet_add_menu_item(a, 2), ==, UICC_TK_OK);
	XCHG(c->card, MENU_SELECTION_2, "9000");
	g_assert_cmpuint(c->invocations, ==, 1);
	g_assert_cmpint(c->last_event, ==, UICC_TK_EVENT_MENU_SELECTION);
	g_assert_cmpuint(c->last_id, ==, 2);
	g_assert_false(c->last_help);
	XCHG(c->card, "80F2000C00", "9000");
	/* TS 102 223 §5.1: once the profile is in, the pending command shows */
	XCHG(c->card, "80100000 05 FFFFFFFF1F", "9111");
	g_assert_cmpuint(uicc_tk_terminal_supports(c->tk, 1, 1), ==, true);
	g_assert_cmpuint(uicc_tk_terminal_supports(c->tk, 5, 6), ==, false);
	g_assert_cmpuint(uicc_tk_terminal_supports(c->tk, 9, 1), ==, false);
	XCHG(c->card, "80F2000C00", "9111");
	/* help request, unknown item */
	XCHG(c->card, "80C20000 0B D309820201819001021500", "9111");
	g_assert_true(c->last_help);
	XCHG(c->card, "80C20000 09 D307820201819001 07", "9111");
	g_assert_cmpuint(c->invocations, ==, 2);
}

/*
 * TS 102 223 §5.2: a command queued before the profile that the profile then
 * says the terminal cannot do (DISPLAY TEXT: byte 3 b1) is never announced;
 * its issuer sees it aborted.  With the bit, it shows as before.
 */
static void test_withdrawn_by_profile(struct ctx *c, gconstpointer data)
{
	struct uicc_tk_applet *a = uicc_tk_applet_register(c->tk, "menu", menu_applet, NULL);

	g_assert_cmpint(uicc_tk_applet_add_menu_item(a, 2), ==, UICC_TK_OK);
	XCHG(c->card, MENU_SELECTION_2, "9000");
	g_assert_true(uicc_tk_proactive_session_active(c->tk));
	g_assert_false(uicc_tk_terminal_profile_known(c->tk));
	XCHG(c->card, "80100000 05 FFFFFEFF1F", "9000");
	g_assert_true(uicc_tk_terminal_profile_known(c->tk));
	g_assert_false(uicc_tk_terminal_supports_command(c->tk, 0x21));
	g_assert_true(uicc_tk_terminal_supports_command(c->tk, 0x13));
	g_assert_cmpuint(c->aborted, ==, 1);
	g_assert_false(uicc_tk_proactive_session_active(c->tk));
	XCHG(c->card, "80F2000C00", "9000");

	/* a terminal that can: the command waits for the profile, then shows */
	uicc_card_reset(c->card, NULL, 0);
	XCHG(c->card, MENU_SELECTION_2, "9000");
	XCHG(c->card, "80100000 05 FFFFFFFF1F", "9111");
	g_assert_cmpuint(c->aborted, ==, 1);
}

static void test_busy(struct ctx *c, gconstpointer data)
{
	struct uicc_tk_applet *a = uicc_tk_applet_register(c->tk, "menu", menu_applet, NULL);

	uicc_tk_applet_add_menu_item(a, 2);
	profile(c->card);
	c->mode = 3;
	XCHG(c->card, MENU_SELECTION_2, "9300");
	XCHG(c->card, "A0C20000 09 D307820201819001 02", "9300");
	g_assert_false(uicc_tk_proactive_session_active(c->tk));
}

static enum uicc_tk_result warning_applet(struct uicc_tk_invocation *inv, void *ud)
{
	g_assert_cmpint(uicc_tk_response_write(inv, (const uint8_t *)"\x12\x34", 2), ==, UICC_TK_OK);
	g_assert_cmpint(uicc_tk_response_set_warning(inv, 0x9000), ==, UICC_TK_ERR_BAD_DATA);
	g_assert_cmpint(uicc_tk_response_set_warning(inv, 0x6300), ==, UICC_TK_OK);
	g_assert_cmpint(uicc_tk_response_post(inv), ==, UICC_TK_OK);
	g_assert_cmpint(uicc_tk_response_write(inv, (const uint8_t *)"\x56", 1), ==, UICC_TK_ERR_CLOSED);
	return UICC_TK_OK;
}

/* TS 31.111 §7.1.1.2: 62XX/63XX with data (RP-ERROR); GSM 9EXX. */
static void test_warning(struct ctx *c, gconstpointer data)
{
	struct uicc_tk_applet *a = uicc_tk_applet_register(c->tk, "w", warning_applet, NULL);

	uicc_tk_applet_set_event(a, UICC_TK_EVENT_SMS_PP_DOWNLOAD);
	XCHG(c->card, "80C20000 09 D107820283818B0100", "6300");
	XCHG(c->card, "00C0000000", "6C02");
	XCHG(c->card, "00C0000002", "1234 6300");
	XCHG(c->card, "A0C20000 09 D107820283818B0100", "9E02");
	XCHG(c->card, "A0C0000002", "1234 9000");
}

/* ---- dispatch ---------------------------------------------------------------- */

static void test_dispatch(struct ctx *c, gconstpointer data)
{
	struct uicc_tk_applet *a = uicc_tk_applet_register(c->tk, "menu", menu_applet, NULL);

	/* nobody claimed it: accepted and ignored */
	XCHG(c->card, "80C20000 09 D107820283818B0100", "9000");
	XCHG(c->card, "80C20000 04 D4028201", "9000");
	/* malformed */
	XCHG(c->card, "80C20000 04 D1058201", "6A80");
	XCHG(c->card, "80C20000 04 D1028201", "6A80");
	XCHG(c->card, "80C20000 03 D30190", "6A80");
	XCHG(c->card, "80C20000 05 D305820201819000", "6700");
	XCHG(c->card, "80C20000 00", "6700");
	XCHG(c->card, "80C20100 04 D4028201", "6A86");
	XCHG(c->card, "80C20000 07 D3058202018190", "6A80");        /* no item identifier */
	/* EVENT DOWNLOAD: only the claimed event */
	g_assert_cmpint(uicc_tk_applet_set_download_event(a, 0x05), ==, UICC_TK_OK);
	XCHG(c->card, "80C20000 09 D60799010482028281", "9000");
	g_assert_cmpuint(c->invocations, ==, 0);
	XCHG(c->card, "80C20000 09 D60799010582028281", "9000");
	g_assert_cmpuint(c->invocations, ==, 1);
	g_assert_cmpint(c->last_event, ==, UICC_TK_EVENT_EVENT_DOWNLOAD);
	g_assert_cmpuint(c->last_id, ==, 5);
	/* another tag by claim */
	g_assert_cmpint(uicc_tk_applet_set_envelope_tag(a, 0xD1), ==, UICC_TK_ERR_STATE);
	g_assert_cmpint(uicc_tk_applet_set_envelope_tag(a, 0xD4), ==, UICC_TK_OK);
	XCHG(c->card, "80C20000 04 D4028201", "6101");
	XCHG(c->card, "00C0000001", "01 9000");
	g_assert_cmpuint(c->invocations, ==, 2);
	g_assert_cmpint(c->last_event, ==, UICC_TK_EVENT_ENVELOPE);
	/* TERMINAL PROFILE */
	XCHG(c->card, "80100000 00", "6700");
	XCHG(c->card, "80100100 01 FF", "6A86");
	XCHG(c->card, "A0100000 01 FF", "9000");
	XCHG(c->card, "8012000000", "6985");
	XCHG(c->card, "A012000000", "6F00");
	XCHG(c->card, "80140000 00", "6700");
}

/* ---- MORE TIME, timers ----------------------------------------------------- */

static void test_more_time(struct ctx *c, gconstpointer data)
{
	struct uicc_tk_applet *a = uicc_tk_applet_register(c->tk, "menu", menu_applet, NULL);

	uicc_tk_applet_add_menu_item(a, 2);
	profile(c->card);
	c->mode = 5;
	XCHG(c->card, MENU_SELECTION_2, "910B");
	XCHG(c->card, "801200000B", "D009 810301 0200 82028182 9000");
	XCHG(c->card, "80140000 0C 810301020082028281830100", "9000");
	g_assert_cmpuint(c->tr_calls, ==, 0);                      /* the runtime's own command */
}

static void test_timer(struct ctx *c, gconstpointer data)
{
	struct uicc_tk_applet *a = uicc_tk_applet_register(c->tk, "menu", menu_applet, NULL);
	struct uicc_tk_applet *b = uicc_tk_applet_register(c->tk, "other", menu_applet, NULL);

	uicc_tk_applet_add_menu_item(a, 2);
	profile(c->card);
	c->mode = 4;
	XCHG(c->card, MENU_SELECTION_2, "9113");
	g_assert_cmpuint(c->timer, ==, 1);
	g_assert_cmpuint(uicc_tk_timer_allocate(b), ==, 2);
	/* TIMER MANAGEMENT start, timer 1, 00:01:30 in swapped BCD (TS 102 223 §8.38) */
	XCHG(c->card, "8012000013", "D011 810301 2700 82028182 A40101 A503 001003 9000");
	XCHG(c->card, "80140000 0F 810301270082028281830100A40101", "9000");
	/* TIMER EXPIRATION goes to the timer's owner */
	c->mode = 0;
	c->invocations = 0;
	XCHG(c->card, "80C20000 0E D70C82028281A40101A503001003", "9000");
	g_assert_cmpuint(c->invocations, ==, 1);
	g_assert_cmpint(c->last_event, ==, UICC_TK_EVENT_TIMER_EXPIRATION);
	g_assert_cmpuint(c->last_id, ==, 1);
	/* a timer nobody owns */
	XCHG(c->card, "80C20000 0E D70C82028281A40105A503001003", "9000");
	g_assert_cmpuint(c->invocations, ==, 1);
	uicc_tk_timer_free(a, 1);
	XCHG(c->card, "80C20000 0E D70C82028281A40101A503001003", "9000");
	g_assert_cmpuint(c->invocations, ==, 1);
}

/* ---- reset ------------------------------------------------------------------- */

static void test_reset(struct ctx *c, gconstpointer data)
{
	struct uicc_tk_applet *a = uicc_tk_applet_register(c->tk, "menu", menu_applet, NULL);
	uint8_t atr[40];

	uicc_tk_applet_add_menu_item(a, 2);
	profile(c->card);
	XCHG(c->card, MENU_SELECTION_2, "9111");
	XCHG(c->card, "8012000011", DISPLAY_TEXT_HEX " 9000");
	uicc_card_reset(c->card, atr, sizeof(atr));
	g_assert_cmpuint(c->aborted, ==, 1);
	XCHG(c->card, "80F2000C00", "9000");
	XCHG(c->card, TR_DISPLAY_OK, "6985");
	/* registrations survive the reset, the profile does not */
	XCHG(c->card, MENU_SELECTION_2, "9000");
	XCHG(c->card, "80100000 05 FFFFFFFF1F", "9111");
	XCHG(c->card, "80F2000C00", "9111");
	uicc_card_power_off(c->card);
	g_assert_cmpuint(c->aborted, ==, 2);
}

/* A command that is not a proactive command is refused. */
static enum uicc_tk_result bad_applet(struct uicc_tk_invocation *inv, void *ud)
{
	static const uint8_t no_devices[] = { 0xD0, 0x05, 0x81, 0x03, 0x01, 0x21, 0x80 };
	static const uint8_t not_d0[] = { 0xD1, 0x09, 0x81, 0x03, 0x01, 0x21, 0x80, 0x82, 0x02, 0x81, 0x02 };
	static const uint8_t trailing[] = { 0xD0, 0x09, 0x81, 0x03, 0x01, 0x21, 0x80, 0x82, 0x02, 0x81, 0x02, 0x00 };
	uint8_t big[300];

	g_assert_cmpint(uicc_tk_proactive_send(inv, no_devices, sizeof(no_devices), NULL, NULL), ==,
			UICC_TK_ERR_BAD_COMMAND);
	g_assert_cmpint(uicc_tk_proactive_send(inv, not_d0, sizeof(not_d0), NULL, NULL), ==, UICC_TK_ERR_BAD_COMMAND);
	g_assert_cmpint(uicc_tk_proactive_send(inv, trailing, sizeof(trailing), NULL, NULL), ==,
			UICC_TK_ERR_BAD_COMMAND);
	memset(big, 0, sizeof(big));
	g_assert_cmpint(uicc_tk_proactive_send(inv, big, sizeof(big), NULL, NULL), ==, UICC_TK_ERR_NO_SPACE);
	/* refused commands leave the handler open */
	g_assert_true(uicc_tk_response_available(inv));
	for (unsigned i = 0; i < UICC_TK_MAX_QUEUE; i++)
		g_assert_cmpint(uicc_tk_proactive_send(inv, display_text, sizeof(display_text), NULL, NULL), ==,
				UICC_TK_OK);
	g_assert_cmpint(uicc_tk_proactive_send(inv, display_text, sizeof(display_text), NULL, NULL), ==,
			UICC_TK_ERR_NO_SPACE);
	g_assert_cmpint(uicc_tk_timer_start(inv, 3, 10, NULL, NULL), ==, UICC_TK_ERR_NOT_FOUND);
	return UICC_TK_OK;
}

static void test_bad_commands(struct ctx *c, gconstpointer data)
{
	struct uicc_tk_applet *a = uicc_tk_applet_register(c->tk, "bad", bad_applet, NULL);

	uicc_tk_applet_set_event(a, UICC_TK_EVENT_SMS_PP_DOWNLOAD);
	profile(c->card);
	XCHG(c->card, "80C20000 09 D107820283818B0100", "9111");
	g_assert_true(uicc_tk_proactive_session_active(c->tk));
	g_assert_cmpstr(uicc_tk_strerror(UICC_TK_ERR_CLOSED), !=, uicc_tk_strerror(UICC_TK_ERR_UNAVAILABLE));
}

/* SELECT ITEM with a default (TS 102 223 §6.6.8): the Item identifier (§8.10), one of the items, SELECT ITEM only. */
static void test_ui_default_item(struct ctx *c, gconstpointer data)
{
	static const struct uicc_tk_item items[] = { { 1, "Card" }, { 2, "Bank transfer" }, { 3, "Cash" } };
	struct uicc_tk_ui ui = { .type = SIMOTA_CAT_SELECT_ITEM, .text = "Pay with?", .items = items,
				 .n_items = G_N_ELEMENTS(items), .default_item = 2 };
	struct simota_cat_msg *m = g_new0(struct simota_cat_msg, 1);
	uint8_t out[512];
	size_t n;

	g_assert_cmpint(uicc_tk_ui_encode(c->tk, &ui, out, sizeof(out), &n), ==, SIMOTA_OK);
	g_assert_cmpint(simota_cat_command_decode(out, n, m), ==, SIMOTA_OK);
	g_assert_true(m->item_id.present);
	g_assert_cmphex(m->item_id.v, ==, 2);
	g_assert_nonnull(memmem(out, n, "\x10\x01\x02", 3));	/* tag 10, not comprehension required */
	ui.default_item = 0;
	g_assert_cmpint(uicc_tk_ui_encode(c->tk, &ui, out, sizeof(out), &n), ==, SIMOTA_OK);
	g_assert_cmpint(simota_cat_command_decode(out, n, m), ==, SIMOTA_OK);
	g_assert_false(m->item_id.present);
	ui.default_item = 4;
	g_assert_cmpint(uicc_tk_ui_encode(c->tk, &ui, out, sizeof(out), &n), ==, SIMOTA_ERR_BAD_VALUE);
	ui.default_item = 1;
	ui.type = SIMOTA_CAT_SET_UP_MENU;
	g_assert_cmpint(uicc_tk_ui_encode(c->tk, &ui, out, sizeof(out), &n), ==, SIMOTA_ERR_BAD_VALUE);
	ui.type = SIMOTA_CAT_DISPLAY_TEXT;
	g_assert_cmpint(uicc_tk_ui_encode(c->tk, &ui, out, sizeof(out), &n), ==, SIMOTA_ERR_BAD_VALUE);
	g_free(m);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	tmp_dir = g_dir_make_tmp("test-uicc-toolkit-XXXXXX", NULL);

#define ADD(name, fn) g_test_add("/uicc-toolkit/" name, struct ctx, NULL, setup, fn, teardown)
	ADD("envelope-response-closed-by-proactive", test_envelope_rule);
	ADD("envelope-response-no-proactive", test_envelope_no_proactive);
	ADD("session-tr-routing", test_session);
	ADD("nested-proactive", test_nested_proactive);
	ADD("nested-plain", test_nested_plain);
	ADD("nested-closed", test_nested_closed);
	ADD("no-91-before-profile", test_no_91_before_profile);
	ADD("withdrawn-by-profile", test_withdrawn_by_profile);
	ADD("busy-9300", test_busy);
	ADD("warning", test_warning);
	ADD("dispatch", test_dispatch);
	ADD("more-time", test_more_time);
	ADD("timer", test_timer);
	ADD("reset", test_reset);
	ADD("bad-commands", test_bad_commands);
	ADD("ui-default-item", test_ui_default_item);

	rc = g_test_run();
	g_rmdir(tmp_dir);
	return rc;
}
