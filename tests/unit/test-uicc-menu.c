/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The toolkit menu (applets/menu.h, doc/card-config.md "Menu") as an ME
 * drives it over APDUs: SET UP MENU after the TERMINAL PROFILE (TS 102 223
 * §6.4.8), MENU SELECTION envelopes (§7.2) with and without a help request,
 * the scripted sessions (DISPLAY TEXT, GET INPUT, SELECT ITEM; $N; back,
 * end), and the deferred applet's "Pending requests" item re-opening a
 * request the terminal could not show (result 20), whose answer then is
 * the R1 a C2 fetches.
 */
#include <string.h>

#include "simota/cat.h"
#include "simota/deferred.h"
#include "test-support.h"
#include "uicc-ota-support.h"

#define KIC_KEY "0123456789abcdeffedcba9876543210"
#define KID_KEY "112233445566778899aabbccddeeff00"

#define MENU "[menu]\ntitle=Demo\n" \
	"[menu-item 1]\ntext=About\nhelp=What this is\nstep1=display:A test card\n" \
	"[menu-item 2]\ntext=Hello\nstep1=input:Your name?\nstep2=display:Hello, $1! ($$)\n" \
	"[menu-item 3]\ntext=Colour\nstep1=select:Your colour|Red|Green|Blue\nstep2=display:You picked $1.\n" \
	"[menu-item 9]\ntext=Pending requests\napplet=deferred@defe01\n"

#define INI "[card]\niccid=89882390000000000017\nimsi=001010123456789\n" \
	"[keyset 1]\nkic=15\nkid=15\nkic-key=" KIC_KEY "\nkid-key=" KID_KEY "\n" \
	"[tar defe01]\napplet=deferred\nkeysets=1\nmin-security-level=16\nir=fixed:30\nmg-address=+15550100\n" MENU

static const uint8_t tar[3] = { 0xDE, 0xFE, 0x01 };
static uint64_t counter;

/* TERMINAL PROFILE: every byte FF but byte 4, which has SET UP MENU (b6) or not. */
static uint16_t profile(struct ots_card *c, bool set_up_menu)
{
	uint8_t tp[] = { 0x80, 0x10, 0x00, 0x00, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, out[8];
	size_t n;

	if (!set_up_menu)
		tp[5 + 3] &= (uint8_t)~0x20;
	return ots_apdu(c, tp, sizeof(tp), out, sizeof(out), &n);
}

/* The card with its SET UP MENU fetched and answered. */
static void open_card(struct ots_card *c)
{
	struct simota_cat_msg *m;

	ots_card_open(c, INI);
	m = ots_fetch_command(c, profile(c, true), SIMOTA_CAT_SET_UP_MENU);
	g_assert_cmphex(ots_answer(c, m, 0x00, NULL, 0, -1), ==, 0x9000);
	g_free(m);
}

/* ENVELOPE MENU SELECTION (TS 102 223 §7.2): keypad -> UICC, the item, [help request]. */
static uint16_t select_item(struct ots_card *c, uint8_t id, bool help)
{
	uint8_t apdu[] = { 0x80, 0xC2, 0x00, 0x00, 0x0B, 0xD3, 0x09, 0x82, 0x02, 0x01, 0x81, 0x90, 0x01, id,
			   0x15, 0x00 }, out[8];
	size_t n, len = sizeof(apdu);

	if (!help) {
		apdu[4] = 0x09;
		apdu[6] = 0x07;
		len -= 2;
	}
	return ots_apdu(c, apdu, len, out, sizeof(out), &n);
}

/* Fetches a DISPLAY TEXT, checks its text, answers it; returns the SW of the TERMINAL RESPONSE. */
static uint16_t expect_display(struct ots_card *c, uint16_t sw91, const char *text)
{
	struct simota_cat_msg *m = ots_fetch_command(c, sw91, SIMOTA_CAT_DISPLAY_TEXT);
	uint16_t sw;

	g_assert_cmpstr(simota_cat_string_get(m, &m->text), ==, text);
	g_assert_cmphex(m->details.qualifier, ==, 0x80);
	sw = ots_answer(c, m, 0x00, NULL, 0, -1);
	g_free(m);
	return sw;
}

/* TS 102 223 §6.4.8: the title, the items by identifier, help available (b8); not without the profile bit. */
static void test_set_up_menu(void)
{
	struct ots_card c;
	struct simota_cat_msg *m;
	static const char *const texts[] = { "About", "Hello", "Colour", "Pending requests" };
	static const uint8_t ids[] = { 1, 2, 3, 9 };

	ots_card_open(&c, INI);
	m = ots_fetch_command(&c, profile(&c, true), SIMOTA_CAT_SET_UP_MENU);
	g_assert_cmphex(m->details.qualifier, ==, 0x80);
	g_assert_cmpstr(simota_cat_string_get(m, &m->alpha_id), ==, "Demo");
	g_assert_cmpuint(m->n_items, ==, 4);
	for (unsigned i = 0; i < 4; i++) {
		g_assert_cmpuint(m->items[i].id, ==, ids[i]);
		g_assert_cmpstr(simota_cat_string_get(m, &m->items[i].text), ==, texts[i]);
	}
	g_assert_cmphex(ots_answer(&c, m, 0x00, NULL, 0, -1), ==, 0x9000);
	g_free(m);
	/* after a reset, a terminal without SET UP MENU gets none */
	ots_card_reopen(&c);
	g_assert_cmphex(profile(&c, false), ==, 0x9000);
	ots_card_close(&c);
}

static void test_display(void)
{
	struct ots_card c;

	open_card(&c);
	g_assert_cmphex(expect_display(&c, select_item(&c, 1, false), "A test card"), ==, 0x9000);
	/* an item the menu does not have: the envelope is accepted, nothing runs */
	g_assert_cmphex(select_item(&c, 7, false), ==, 0x9000);
	ots_card_close(&c);
}

/* GET INPUT then DISPLAY TEXT with $1 (and $$ for a '$'). */
static void test_input_chain(void)
{
	struct ots_card c;
	struct simota_cat_msg *m;
	uint16_t sw;

	open_card(&c);
	m = ots_fetch_command(&c, select_item(&c, 2, false), SIMOTA_CAT_GET_INPUT);
	g_assert_cmpstr(simota_cat_string_get(m, &m->text), ==, "Your name?");
	g_assert_true(m->response_length.present);
	g_assert_cmpuint(m->response_length.min, ==, 1);
	g_assert_cmpuint(m->response_length.max, ==, 40);
	sw = ots_answer(&c, m, 0x00, "Ada", 0, -1);
	g_free(m);
	g_assert_cmphex(expect_display(&c, sw, "Hello, Ada! ($)"), ==, 0x9000);
	ots_card_close(&c);
}

/* SELECT ITEM then DISPLAY TEXT with the chosen option's text. */
static void test_select_chain(void)
{
	struct ots_card c;
	struct simota_cat_msg *m;
	uint16_t sw;

	open_card(&c);
	m = ots_fetch_command(&c, select_item(&c, 3, false), SIMOTA_CAT_SELECT_ITEM);
	g_assert_cmpstr(simota_cat_string_get(m, &m->alpha_id), ==, "Your colour");
	g_assert_cmpuint(m->n_items, ==, 3);
	g_assert_cmpuint(m->items[1].id, ==, 2);
	g_assert_cmpstr(simota_cat_string_get(m, &m->items[1].text), ==, "Green");
	sw = ots_answer(&c, m, 0x00, NULL, 2, -1);
	g_free(m);
	g_assert_cmphex(expect_display(&c, sw, "You picked Green."), ==, 0x9000);
	ots_card_close(&c);
}

/* TS 102 223 §8.12: back (11) returns to the step before; end session (10) ends it. */
static void test_back_and_end(void)
{
	struct ots_card c;
	struct simota_cat_msg *m;
	uint16_t sw;

	open_card(&c);
	m = ots_fetch_command(&c, select_item(&c, 2, false), SIMOTA_CAT_GET_INPUT);
	sw = ots_answer(&c, m, 0x00, "Bob", 0, -1);
	g_free(m);
	m = ots_fetch_command(&c, sw, SIMOTA_CAT_DISPLAY_TEXT);
	sw = ots_answer(&c, m, 0x11, NULL, 0, -1);
	g_free(m);
	m = ots_fetch_command(&c, sw, SIMOTA_CAT_GET_INPUT);
	g_assert_cmphex(ots_answer(&c, m, 0x10, NULL, 0, -1), ==, 0x9000);
	g_free(m);
	/* back at the first step ends the session too */
	m = ots_fetch_command(&c, select_item(&c, 3, false), SIMOTA_CAT_SELECT_ITEM);
	g_assert_cmphex(ots_answer(&c, m, 0x11, NULL, 0, -1), ==, 0x9000);
	g_free(m);
	ots_card_close(&c);
}

/* TS 102 223 §7.2 help request: the item's help text, or a plain "no help". */
static void test_help(void)
{
	struct ots_card c;

	open_card(&c);
	g_assert_cmphex(expect_display(&c, select_item(&c, 1, true), "What this is"), ==, 0x9000);
	g_assert_cmphex(expect_display(&c, select_item(&c, 2, true), "No help for this item."), ==, 0x9000);
	ots_card_close(&c);
}

/* A C1 (display text) by OTA; returns the SW of the envelope (91XX: its DISPLAY TEXT waits). */
static uint16_t send_c1(struct ots_card *c, uint32_t txid, const char *text, uint8_t *resp, size_t *resp_len)
{
	struct simota_deferred_msg *m = g_new0(struct simota_deferred_msg, 1);
	struct simota_ota_key *kic = ots_kic_key(0x15, KIC_KEY), *kid = ots_kid_key(0x15, SIMOTA_OTA_INTEGRITY_CC,
										  KID_KEY);
	uint8_t msg[256], *pkt;
	size_t n, pkt_len;
	uint16_t sw;

	simota_deferred_init(m, txid == 0 ? SIMOTA_DEFERRED_C2 : SIMOTA_DEFERRED_C1, txid);
	if (text) {
		m->action = SIMOTA_DEFERRED_DISPLAY_TEXT;
		m->text = text;
		m->text_len = strlen(text);
	}
	g_assert_cmpint(simota_deferred_encode(m, msg, sizeof(msg), &n), ==, SIMOTA_OK);
	pkt = ots_wrap(0x1619, 0x15, 0x15, tar, ++counter, kic, kid, msg, n, &pkt_len);
	sw = ots_send_packet(c, pkt, pkt_len, (uint8_t)counter, resp, 300, resp_len);
	g_free(pkt);
	g_free(m);
	simota_ota_key_free(kic);
	simota_ota_key_free(kid);
	return sw;
}

/* C2 for txid: the R2S state the card answers (protocol.md §3.4). */
static int c2_state(struct ots_card *c, uint32_t txid)
{
	static const uint8_t spi[2] = { 0x16, 0x19 };
	struct simota_ota_key *kic = ots_kic_key(0x15, KIC_KEY), *kid = ots_kid_key(0x15, SIMOTA_OTA_INTEGRITY_CC,
										  KID_KEY);
	struct simota_deferred_msg *m = g_new0(struct simota_deferred_msg, 1);
	struct simota_ota_response r;
	uint8_t msg[64], resp[300], work[300], *pkt;
	size_t n, pkt_len, resp_len;
	int state;

	simota_deferred_init(m, SIMOTA_DEFERRED_C2, txid);
	g_assert_cmpint(simota_deferred_encode(m, msg, sizeof(msg), &n), ==, SIMOTA_OK);
	pkt = ots_wrap(0x1619, 0x15, 0x15, tar, ++counter, kic, kid, msg, n, &pkt_len);
	ots_send_packet(c, pkt, pkt_len, (uint8_t)counter, resp, sizeof(resp), &resp_len);
	g_assert_cmpint(simota_ota_response_decode(spi, 0x15, 0x15, resp, resp_len, kic, kid, work, sizeof(work), &r),
			==, SIMOTA_OK);
	g_assert_cmpint(simota_deferred_decode(r.data, r.data_len, m), ==, SIMOTA_OK);
	g_assert_cmpint(m->type, ==, SIMOTA_DEFERRED_R2S);
	state = m->state;
	g_free(pkt);
	g_free(m);
	simota_ota_key_free(kic);
	simota_ota_key_free(kid);
	return state;
}

/* The C1's DISPLAY TEXT answered "screen busy" (20 01): the request stays pending, no MG. */
static void busy(struct ots_card *c, uint32_t txid, const char *text)
{
	uint8_t resp[300];
	size_t n;
	struct simota_cat_msg *m = ots_fetch_command(c, send_c1(c, txid, text, resp, &n), SIMOTA_CAT_DISPLAY_TEXT);
	uint8_t tr[64];
	size_t len;
	struct simota_cat_msg *r = g_new0(struct simota_cat_msg, 1);

	g_assert_cmpstr(simota_cat_string_get(m, &m->text), ==, text);
	r->details = m->details;
	r->src = SIMOTA_CAT_DEV_TERMINAL;
	r->dst = SIMOTA_CAT_DEV_UICC;
	r->result.present = true;
	r->result.general = 0x20;
	r->result.add_len = 1;
	r->result.add[0] = 0x01;
	g_assert_cmpint(simota_cat_response_encode(r, tr, sizeof(tr), &len), ==, SIMOTA_OK);
	g_assert_cmphex(ots_terminal_response(c, tr, len), ==, 0x9000);
	g_assert_cmpint(c2_state(c, txid), ==, SIMOTA_DEFERRED_PENDING);
	g_free(r);
	g_free(m);
}

/* The MG after an R1, answered. */
static void expect_mg(struct ots_card *c, uint16_t sw91)
{
	struct simota_cat_msg *m = ots_fetch_command(c, sw91, SIMOTA_CAT_SEND_SHORT_MESSAGE);

	g_assert_cmphex(ots_answer(c, m, 0x00, NULL, 0, -1), ==, 0x9000);
	g_free(m);
}

/* "Pending requests": none, one re-opened at once, several listed; the answer becomes R1. */
static void test_pending_requests(void)
{
	struct ots_card c;
	struct simota_cat_msg *m;
	uint16_t sw;

	open_card(&c);
	g_assert_cmphex(expect_display(&c, select_item(&c, 9, false), "No pending requests."), ==, 0x9000);

	busy(&c, 0x101, "Pay 12 EUR?");
	sw = expect_display(&c, select_item(&c, 9, false), "Pay 12 EUR?");
	expect_mg(&c, sw);
	g_assert_cmpint(c2_state(&c, 0x101), ==, SIMOTA_DEFERRED_DONE);

	busy(&c, 0x102, "First request");
	busy(&c, 0x103, "Second request, whose text is longer than thirty characters");
	m = ots_fetch_command(&c, select_item(&c, 9, false), SIMOTA_CAT_SELECT_ITEM);
	g_assert_cmpstr(simota_cat_string_get(m, &m->alpha_id), ==, "Pending requests");
	g_assert_cmpuint(m->n_items, ==, 2);
	g_assert_cmpstr(simota_cat_string_get(m, &m->items[0].text), ==, "First request");
	g_assert_cmpstr(simota_cat_string_get(m, &m->items[1].text), ==, "Second request, whose text is ");
	sw = ots_answer(&c, m, 0x00, NULL, 2, -1);
	g_free(m);
	sw = expect_display(&c, sw, "Second request, whose text is longer than thirty characters");
	expect_mg(&c, sw);
	g_assert_cmpint(c2_state(&c, 0x103), ==, SIMOTA_DEFERRED_DONE);
	g_assert_cmpint(c2_state(&c, 0x102), ==, SIMOTA_DEFERRED_PENDING);
	/* a help request for an item without help text */
	g_assert_cmphex(expect_display(&c, select_item(&c, 9, true), "No help for this item."), ==, 0x9000);
	/* the one left comes back after a power cycle and the next TERMINAL PROFILE */
	ots_card_reopen(&c);
	m = ots_fetch_command(&c, profile(&c, true), SIMOTA_CAT_DISPLAY_TEXT);
	g_assert_cmpstr(simota_cat_string_get(m, &m->text), ==, "First request");
	g_free(m);
	ots_card_close(&c);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/uicc-menu/set-up-menu", test_set_up_menu);
	g_test_add_func("/uicc-menu/display", test_display);
	g_test_add_func("/uicc-menu/input-chain", test_input_chain);
	g_test_add_func("/uicc-menu/select-chain", test_select_chain);
	g_test_add_func("/uicc-menu/back-and-end", test_back_and_end);
	g_test_add_func("/uicc-menu/help", test_help);
	g_test_add_func("/uicc-menu/pending-requests", test_pending_requests);
	return g_test_run();
}
