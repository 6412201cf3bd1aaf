/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The deferred applet as the ME drives it: secured SMS-PP DOWNLOAD
 * envelopes (C1, C2, release), FETCH, TERMINAL RESPONSE, over APDUs
 * (doc/protocol.md; the expected R2S/IR bytes are protocol.md §4 vectors).
 * Also the prior-art mode, in which R1 is lost (TS 143 019 §6.6).
 */
#include <signal.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "simota/cat.h"
#include "simota/deferred.h"
#include "ota/ota.h"
#include "test-support.h"
#include "uicc-ota-support.h"

#define KIC_KEY "0123456789abcdeffedcba9876543210"
#define KID_KEY "112233445566778899aabbccddeeff00"

#define INI "[card]\niccid=89882390000000000017\nimsi=001010123456789\nmsisdn=+15550001\n" \
	"[keyset 1]\nkic=15\nkid=15\nkic-key=" KIC_KEY "\nkid-key=" KID_KEY "\n" \
	"[tar defe01]\napplet=deferred\nkeysets=1\nmin-security-level=16\nir=fixed:30\n" \
	"mg-address=+15550100\ncapacity=2\n" \
	"[tar defe02]\napplet=deferred\nkeysets=1\nmin-security-level=16\nir=indefinite\n" \
	"[tar defe03]\napplet=deferred\nkeysets=1\nmin-security-level=16\nir=event\nmg-address=+15550100\n" \
	"[tar defe04]\napplet=deferred\nkeysets=1\nmin-security-level=16\nir=event\n" \
	"[tar defe05]\napplet=deferred\nkeysets=1\nmin-security-level=16\nir=none\n" \
	"[tar defe06]\napplet=deferred\nkeysets=1\nmin-security-level=16\nmode=prior-art\nir=fixed:30\n" \
	"mg-address=+15550100\n"

static const uint8_t T_FIXED[3] = { 0xDE, 0xFE, 1 }, T_INDEF[3] = { 0xDE, 0xFE, 2 }, T_EVENT_MG[3] = { 0xDE, 0xFE, 3 },
	T_EVENT[3] = { 0xDE, 0xFE, 4 }, T_NONE[3] = { 0xDE, 0xFE, 5 }, T_PRIOR[3] = { 0xDE, 0xFE, 6 };

struct fx {
	struct ots_card c;
	uint64_t cntr;
	struct simota_ota_key *kic, *kid;
};

static void fx_open(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	ots_card_open(&f->c, INI);
	ots_profile(&f->c);
	f->kic = ots_kic_key(0x15, KIC_KEY);
	f->kid = ots_kid_key(0x15, SIMOTA_OTA_INTEGRITY_CC, KID_KEY);
}

static void fx_close(struct fx *f)
{
	simota_ota_key_free(f->kic);
	simota_ota_key_free(f->kid);
	ots_card_close(&f->c);
}

/*
 * One message to a TAR in a secured packet (SPI 1619: CC, ciphered, counter
 * higher, PoR always, CC + ciphered).  Returns the envelope's SW; the PoR's
 * additional data (the applet's answer) as hex in *answer (g_free).
 */
static uint16_t secured(struct fx *f, const uint8_t tar[3], const char *msg_hex, char **answer)
{
	static const uint8_t spi[2] = { 0x16, 0x19 };
	struct simota_ota_response r;
	uint8_t *msg, *pkt, resp[512], work[512];
	size_t msg_len, pkt_len, resp_len;
	uint16_t sw;

	msg = tv_hex(msg_hex, &msg_len);
	pkt = ots_wrap(0x1619, 0x15, 0x15, tar, ++f->cntr, f->kic, f->kid, msg, msg_len, &pkt_len);
	sw = ots_send_packet(&f->c, pkt, pkt_len, (uint8_t)f->cntr, resp, sizeof(resp), &resp_len);
	g_assert_cmpuint(resp_len, >, 0);
	g_assert_cmpint(simota_ota_response_decode(spi, 0x15, 0x15, resp, resp_len, f->kic, f->kid, work,
						   sizeof(work), &r), ==, SIMOTA_OK);
	g_assert_cmphex(r.status, ==, 0);
	g_assert_cmpmem(r.tar, 3, tar, 3);
	*answer = tv_to_hex(r.data, r.data_len);
	g_free(msg);
	g_free(pkt);
	return sw;
}

/* Sends msg and checks the answer (hex, no spaces) and whether a proactive command follows. */
#define EXPECT(f, tar, msg, want, proactive) expect_at(__LINE__, f, tar, msg, want, proactive)
static uint16_t expect_at(int line, struct fx *f, const uint8_t tar[3], const char *msg, const char *want,
			  bool proactive)
{
	char *got;
	uint16_t sw = secured(f, tar, msg, &got);

	if (g_strcmp0(got, want) != 0)
		g_error("line %d: %s answered %s, expected %s", line, msg, got, want);
	if (proactive)
		g_assert_cmphex(sw & 0xFF00, ==, 0x9100);
	else
		g_assert_cmphex(sw, ==, 0x9000);
	g_free(got);
	return sw;
}

#define fetch(f, sw91, type) ots_fetch_command(&(f)->c, (sw91), (type))
#define terminal_response(f, cmd, general, text, item, yes) ots_answer(&(f)->c, (cmd), (general), (text), (item), (yes))

/* protocol.md §4.3: the MG, a plain SMS-SUBMIT by SEND SHORT MESSAGE. */
static void expect_mg(struct fx *f, uint16_t sw91, const char *digits, const char *b1_hex)
{
	struct simota_cat_msg *m = fetch(f, sw91, SIMOTA_CAT_SEND_SHORT_MESSAGE);
	struct simota_sms_submit sms;

	g_assert_cmpint(simota_sms_submit_decode(m->sms_tpdu.data, m->sms_tpdu.len, 0, &sms), ==, SIMOTA_OK);
	g_assert_cmpstr(sms.da.digits, ==, digits);
	g_assert_cmphex(sms.pid, ==, 0x00);
	g_assert_cmphex(sms.dcs, ==, 0x04);
	g_assert_false(sms.ud.udhi);
	tv_assert_hex(sms.ud.ud, sms.ud.len, b1_hex);
	g_assert_cmphex(terminal_response(f, m, 0x00, NULL, 0, -1), ==, 0x9000);
	g_free(m);
}

/* protocol.md §4 vectors */
#define C1_DISPLAY_OK "a02d8004" "0000002a" "810101" "8213" "50617920323520e282ac20746f2041434d453f" \
	"840505a12143f5" "850603010000" "0e10"
#define C1_INPUT "a020800400" "00002b8101028209456e7465722050494e8505010000012c8c03040803"
#define C1_SELECT "a02f80040000002c8101038208" "44656c6976657279830501486f6d65830702" \
	"4f6666696365830703" "4c6f636b6572850102"
#define C1_SELECT_DEFAULT "a038800400000035810103820950617920776974683f83050143617264830e02" \
	"42616e6b207472616e73666572830503436173688501028d0102"
#define C1_YESNO "a01680040000002d8101048207416363657074" "3f" "85020302"
#define C2(tx) "a1068004" tx
#define RELEASE(tx) "a2068004" tx

static void test_display_text(void)
{
	struct fx f;
	struct simota_cat_msg *m;
	uint16_t sw;

	fx_open(&f);
	/* C1 → IR (fixed 30 s) in the PoR, then the DISPLAY TEXT waits: 91XX */
	sw = EXPECT(&f, T_FIXED, C1_DISPLAY_OK, "b00d80040000002a8605010000001e", true);
	/* C2 before the user answered: pending; C1 again: the same IR; nothing new queued */
	EXPECT(&f, T_FIXED, C2("0000002a"), "b20980040000002a870101", true);
	sw = EXPECT(&f, T_FIXED, C1_DISPLAY_OK, "b00d80040000002a8605010000001e", true);
	m = fetch(&f, sw, SIMOTA_CAT_DISPLAY_TEXT);
	g_assert_cmphex(m->details.qualifier, ==, 0x80);
	g_assert_cmpstr(simota_cat_string_get(m, &m->text), ==, "Pay 25 € to ACME?");
	g_assert_cmphex(m->dst, ==, SIMOTA_CAT_DEV_DISPLAY);
	/* the user confirms: R1 stored, then the MG to the C1's SV1 address (84: "12345") */
	sw = terminal_response(&f, m, 0x00, NULL, 0, -1);
	g_free(m);
	expect_mg(&f, sw, "12345", "b10680040000002a");
	/* C2 → R2S done (protocol.md r2s-done-display-text), repeatable; C1 again: the same */
	EXPECT(&f, T_FIXED, C2("0000002a"), "b20f80040000002a810101870100880100", false);
	EXPECT(&f, T_FIXED, C2("0000002a"), "b20f80040000002a810101870100880100", false);
	EXPECT(&f, T_FIXED, C1_DISPLAY_OK, "b20f80040000002a810101870100880100", false);
	/* release → released; again → unknown; C2 → unknown */
	EXPECT(&f, T_FIXED, RELEASE("0000002a"), "b20980040000002a870107", false);
	EXPECT(&f, T_FIXED, RELEASE("0000002a"), "b20980040000002a870102", false);
	EXPECT(&f, T_FIXED, C2("0000002a"), "b20980040000002a870102", false);
	fx_close(&f);
}

/* The RQ forms of the IR (protocol.md §3.3); GET INPUT, GET INKEY yes/no, SELECT ITEM; MG only with an address. */
static void test_actions_and_ir_forms(void)
{
	struct fx f;
	struct simota_cat_msg *m;
	uint16_t sw;

	fx_open(&f);
	/* indefinite; GET INPUT 4-8 digits, hidden (8C flags 03); no address: no MG */
	sw = EXPECT(&f, T_INDEF, C1_INPUT, "b00980040000002b860102", true);
	m = fetch(&f, sw, SIMOTA_CAT_GET_INPUT);
	g_assert_cmphex(m->details.qualifier, ==, 0x04);
	g_assert_true(m->response_length.present);
	g_assert_cmpuint(m->response_length.min, ==, 4);
	g_assert_cmpuint(m->response_length.max, ==, 8);
	g_assert_cmpstr(simota_cat_string_get(m, &m->text), ==, "Enter PIN");
	g_assert_cmphex(terminal_response(&f, m, 0x00, "1234", 0, -1), ==, 0x9000);
	g_free(m);
	EXPECT(&f, T_INDEF, C2("0000002b"), "b21580040000002b81010287010088010089043132333" "4", false);

	/* until event with mg-address: "until MG sent" (the C1's wanted form has no bound) */
	sw = EXPECT(&f, T_EVENT_MG, C1_YESNO, "b00a80040000002d86020301", true);
	m = fetch(&f, sw, SIMOTA_CAT_GET_INKEY);
	g_assert_cmphex(m->details.qualifier, ==, 0x04);
	g_assert_cmpstr(simota_cat_string_get(m, &m->text), ==, "Accept?");
	sw = terminal_response(&f, m, 0x00, NULL, 0, 1);
	g_free(m);
	expect_mg(&f, sw, "15550100", "b10680040000002d");
	EXPECT(&f, T_EVENT_MG, C2("0000002d"), "b21280040000002d8101048701008801008b0101", false);

	/* until event without any address: "until next session" */
	sw = EXPECT(&f, T_EVENT, C1_SELECT, "b00a80040000002c86020302", true);
	m = fetch(&f, sw, SIMOTA_CAT_SELECT_ITEM);
	g_assert_cmpstr(simota_cat_string_get(m, &m->alpha_id), ==, "Delivery");
	g_assert_cmpuint(m->n_items, ==, 3);
	g_assert_cmphex(m->items[1].id, ==, 2);
	g_assert_cmpstr(simota_cat_string_get(m, &m->items[1].text), ==, "Office");
	g_assert_false(m->item_id.present);	/* no 8D: no default */
	g_assert_cmphex(terminal_response(&f, m, 0x00, NULL, 2, -1), ==, 0x9000);
	g_free(m);
	EXPECT(&f, T_EVENT, C2("0000002c"), "b21280040000002c8101038701008801008a0102", false);

	/* ir=none: the PoR carries no IR; the session still runs (and the MG goes to 84) */
	sw = EXPECT(&f, T_NONE, C1_DISPLAY_OK, "", true);
	m = fetch(&f, sw, SIMOTA_CAT_DISPLAY_TEXT);
	sw = terminal_response(&f, m, 0x00, NULL, 0, -1);
	g_free(m);
	expect_mg(&f, sw, "12345", "b10680040000002a");
	EXPECT(&f, T_NONE, C2("0000002a"), "b20f80040000002a810101870100880100", false);
	fx_close(&f);
}

/* Back (11), end session (10), no response (12): R1 is the result alone (protocol.md §3.5). */
static void test_user_not_answering(void)
{
	static const struct {
		uint8_t general;
		const char *r2s;
	} cases[] = {
		{ 0x11, "b20f80040000002c810103870100880111" },
		{ 0x10, "b20f80040000002c810103870100880110" },
		{ 0x12, "b20f80040000002c810103870100880112" },
	};
	struct fx f;

	fx_open(&f);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct simota_cat_msg *m;
		uint16_t sw = EXPECT(&f, T_INDEF, C1_SELECT, "b00980040000002c860102", true);

		m = fetch(&f, sw, SIMOTA_CAT_SELECT_ITEM);
		g_assert_cmphex(terminal_response(&f, m, cases[i].general, NULL, 0, -1), ==, 0x9000);
		g_free(m);
		EXPECT(&f, T_INDEF, C2("0000002c"), cases[i].r2s, false);
		EXPECT(&f, T_INDEF, RELEASE("0000002c"), "b20980040000002c870107", false);
	}
	fx_close(&f);
}

/* capacity=2: the third C1 gets "full", nothing is overwritten; release frees a slot. */
static void test_capacity(void)
{
	struct fx f;
	struct simota_cat_msg *m;
	uint16_t sw;

	fx_open(&f);
	EXPECT(&f, T_FIXED, C1_DISPLAY_OK, "b00d80040000002a8605010000001e", true);
	EXPECT(&f, T_FIXED, C1_INPUT, "b00d80040000002b8605010000001e", true);
	EXPECT(&f, T_FIXED, C1_SELECT, "b20980040000002c870104", true);
	EXPECT(&f, T_FIXED, C2("0000002a"), "b20980040000002a870101", true);
	EXPECT(&f, T_FIXED, C2("0000002b"), "b20980040000002b870101", true);
	EXPECT(&f, T_FIXED, C2("0000002c"), "b20980040000002c870102", true);
	/* another TAR has its own slots */
	EXPECT(&f, T_INDEF, C1_SELECT, "b00980040000002c860102", true);
	/* release 2a before its session ran: its TERMINAL RESPONSE is then dropped */
	sw = EXPECT(&f, T_FIXED, RELEASE("0000002a"), "b20980040000002a870107", true);
	EXPECT(&f, T_FIXED, C1_SELECT, "b00d80040000002c8605010000001e", true);
	m = fetch(&f, sw, SIMOTA_CAT_DISPLAY_TEXT);
	sw = terminal_response(&f, m, 0x00, NULL, 0, -1);
	g_free(m);
	EXPECT(&f, T_FIXED, C2("0000002a"), "b20980040000002a870102", true);
	/* 2b (GET INPUT) is next in the queue, untouched */
	m = fetch(&f, sw, SIMOTA_CAT_GET_INPUT);
	sw = terminal_response(&f, m, 0x00, "9876", 0, -1);
	g_free(m);
	EXPECT(&f, T_FIXED, C2("0000002b"), "b21580040000002b81010287010088010089043938373" "6", true);
	fx_close(&f);
}

/* Refusals (protocol.md §2, §3.6): not supported (05, with 8F), bad request (06). */
static void test_refusals(void)
{
	struct fx f;

	fx_open(&f);
	EXPECT(&f, T_FIXED, "a00c80040000003181010" "58f0102", "b20c8004000000318701058f0101", false);
	EXPECT(&f, T_FIXED, "a009800400000032810107", "b20c8004000000328701058f0101", false);
	EXPECT(&f, T_FIXED, "a009800400000033810101", "b209800400000033870106", false);
	EXPECT(&f, T_FIXED, "ff00", "b209800400000000870106", false);
	EXPECT(&f, T_FIXED, "b006800400000034", "b209800400000034870106", false);
	/* 8D naming no item, 8D with yes/no (protocol.md §7): bad request, nothing started */
	EXPECT(&f, T_FIXED, "a01c800400000036810103830501486f6d658307024f66666963658d0103",
	       "b209800400000036870106", false);
	EXPECT(&f, T_FIXED, "a01580040000003781010482074163636570743f8d0101", "b209800400000037870106", false);
	EXPECT(&f, T_FIXED, C2("00000036"), "b209800400000036870102", false);
	fx_close(&f);
}

/* A power cycle, then TERMINAL PROFILE: its SW (91XX when a pending session runs again). */
static uint16_t power_cycle(struct fx *f)
{
	static const uint8_t tp[] = { 0x80, 0x10, 0x00, 0x00, 0x04, 0xFF, 0xFF, 0xFF, 0xFF };
	uint8_t out[8];
	size_t n;

	ots_card_reopen(&f->c);
	return ots_apdu(&f->c, tp, sizeof(tp), out, sizeof(out), &n);
}

/*
 * A default item (protocol.md §3.2, 8D): SELECT ITEM carries it as its Item
 * identifier (TS 102 223 §6.6.8, §8.10), also when the session runs again
 * after a power cycle; the answer is the item the user chose.
 */
static void test_default_item(void)
{
	struct fx f;
	struct simota_cat_msg *m;
	uint16_t sw;

	fx_open(&f);
	sw = EXPECT(&f, T_INDEF, C1_SELECT_DEFAULT, "b009800400000035860102", true);
	m = fetch(&f, sw, SIMOTA_CAT_SELECT_ITEM);
	g_assert_cmpstr(simota_cat_string_get(m, &m->alpha_id), ==, "Pay with?");
	g_assert_cmpuint(m->n_items, ==, 3);
	g_assert_cmpstr(simota_cat_string_get(m, &m->items[1].text), ==, "Bank transfer");
	g_assert_true(m->item_id.present);
	g_assert_cmphex(m->item_id.v, ==, 2);
	g_free(m);
	sw = power_cycle(&f);
	m = fetch(&f, sw, SIMOTA_CAT_SELECT_ITEM);
	g_assert_true(m->item_id.present);
	g_assert_cmphex(m->item_id.v, ==, 2);
	/* the user picks another item than the default */
	g_assert_cmphex(terminal_response(&f, m, 0x00, NULL, 3, -1), ==, 0x9000);
	g_free(m);
	EXPECT(&f, T_INDEF, C2("00000035"), "b212800400000035810103870100880100" "8a0103", false);
	fx_close(&f);
}

/* A power cycle before the TERMINAL RESPONSE: the session runs again after TERMINAL PROFILE;
 * one after R1: C2 still gets it. */
static void test_restart(void)
{
	struct fx f;
	struct simota_cat_msg *m;
	uint16_t sw;

	fx_open(&f);
	sw = EXPECT(&f, T_FIXED, C1_DISPLAY_OK, "b00d80040000002a8605010000001e", true);
	m = fetch(&f, sw, SIMOTA_CAT_DISPLAY_TEXT);
	g_free(m);
	sw = power_cycle(&f);
	m = fetch(&f, sw, SIMOTA_CAT_DISPLAY_TEXT);
	g_assert_cmpstr(simota_cat_string_get(m, &m->text), ==, "Pay 25 € to ACME?");
	sw = terminal_response(&f, m, 0x00, NULL, 0, -1);
	g_free(m);
	expect_mg(&f, sw, "12345", "b10680040000002a");
	g_assert_cmphex(power_cycle(&f), ==, 0x9000);
	EXPECT(&f, T_FIXED, C2("0000002a"), "b20f80040000002a810101870100880100", false);
	fx_close(&f);
}

/*
 * Prior art (Fig. 2 of the patent): no IR; after the session the applet
 * writes R1 to the envelope response handler, the card refuses, R1 reaches
 * no PoR and is gone.
 */
static void test_prior_art(void)
{
	struct fx f;
	struct simota_cat_msg *m;
	uint16_t sw;

	fx_open(&f);
	sw = EXPECT(&f, T_PRIOR, C1_DISPLAY_OK, "", true);
	m = fetch(&f, sw, SIMOTA_CAT_DISPLAY_TEXT);
	g_test_expect_message("uicc-deferred", G_LOG_LEVEL_WARNING,
			      "prior-art: R1 of 0000002a lost: the envelope response handler refused it*");
	sw = terminal_response(&f, m, 0x00, NULL, 0, -1);
	g_test_assert_expected_messages();
	g_free(m);
	/* nothing follows (no MG), and no later command can fetch R1 */
	g_assert_cmphex(sw, ==, 0x9000);
	EXPECT(&f, T_PRIOR, C2("0000002a"), "b20980040000002a870102", false);
	fx_close(&f);
}
/*
 * The commits of a card's state, seen as renames onto its file (card-state.c);
 * the renames' IN_MOVED_FROM is watched too: inotify merges consecutive
 * identical events, and two IN_MOVED_TO in a row would count once.
 */
struct commit_watch {
	int fd;
	char *base;
};

static void watch_commits(struct commit_watch *w, const struct fx *f)
{
	char *dir = g_path_get_dirname(f->c.state);

	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	g_assert_cmpint(w->fd, >=, 0);
	g_assert_cmpint(inotify_add_watch(w->fd, dir, IN_MOVED_FROM | IN_MOVED_TO), >=, 0);
	w->base = g_path_get_basename(f->c.state);
	g_free(dir);
}

/* How many since the last call. */
static unsigned commits(struct commit_watch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	unsigned n = 0;
	ssize_t len;

	while ((len = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			n += (e->mask & IN_MOVED_TO) && e->len && !strcmp(e->name, w->base);
			p += sizeof(*e) + e->len;
		}
	}
	return n;
}

static void unwatch_commits(struct commit_watch *w)
{
	close(w->fd);
	g_free(w->base);
}

/*
 * One commit per command: the C1's counter goes to disk with the stored C1,
 * the release's with the removal, the C2's alone (the applet shares the
 * OTA entity's commit: uicc_ota_instance_shares_commit).
 */
static void test_one_commit_per_command(void)
{
	struct commit_watch w;
	struct simota_cat_msg *m;
	struct fx f;
	uint64_t cntr;
	uint16_t sw;

	fx_open(&f);
	watch_commits(&w, &f);
	sw = EXPECT(&f, T_FIXED, C1_DISPLAY_OK, "b00d80040000002a8605010000001e", true);
	g_assert_cmpuint(commits(&w), ==, 1);
	EXPECT(&f, T_FIXED, C2("0000002a"), "b20980040000002a870101", true);
	g_assert_cmpuint(commits(&w), ==, 1);
	m = fetch(&f, sw, SIMOTA_CAT_DISPLAY_TEXT);
	sw = terminal_response(&f, m, 0x00, NULL, 0, -1);
	g_free(m);
	g_assert_cmpuint(commits(&w), ==, 1);                 /* R1 stored */
	expect_mg(&f, sw, "12345", "b10680040000002a");
	g_assert_cmpuint(commits(&w), ==, 0);
	EXPECT(&f, T_FIXED, C2("0000002a"), "b20f80040000002a810101870100880100", false);
	g_assert_cmpuint(commits(&w), ==, 1);
	EXPECT(&f, T_FIXED, RELEASE("0000002a"), "b20980040000002a870107", false);
	g_assert_cmpuint(commits(&w), ==, 1);
	/* and what was written is what a power cycle finds */
	ots_card_reopen(&f.c);
	g_assert_true(uicc_ota_counter(f.c.card, 1, &cntr));
	g_assert_cmpuint(cntr, ==, f.cntr);
	EXPECT(&f, T_FIXED, C2("0000002a"), "b20980040000002a870102", false);
	unwatch_commits(&w);
	fx_close(&f);
}

/* A packet whose envelope the card refuses: 9300, no PoR. */
static void expect_busy(struct fx *f, const uint8_t tar[3], const char *msg_hex)
{
	uint8_t *msg, *pkt, resp[512];
	size_t msg_len, pkt_len, resp_len = 99;

	msg = tv_hex(msg_hex, &msg_len);
	pkt = ots_wrap(0x1619, 0x15, 0x15, tar, ++f->cntr, f->kic, f->kid, msg, msg_len, &pkt_len);
	g_assert_cmphex(ots_send_packet(&f->c, pkt, pkt_len, (uint8_t)f->cntr, resp, sizeof(resp), &resp_len), ==,
			0x9300);
	g_assert_cmpuint(resp_len, ==, 0);
	g_free(msg);
	g_free(pkt);
}

static void expect_counter_lost(bool store_commit_too)
{
	if (store_commit_too)
		g_test_expect_message("uicc-deferred", G_LOG_LEVEL_WARNING, "transaction store not committed*");
	g_test_expect_message("uicc-ota", G_LOG_LEVEL_WARNING, "keyset 1: counter not stored*");
}

/*
 * The state cannot be written at all (a directory where the file goes: the
 * rename fails): C1, release and C2 each get 9300 and change nothing, as
 * when the counter was committed on its own before the applet ran - not the
 * counter, not the store (the released transaction is still there), and no
 * proactive command is queued.
 */
static void test_commit_fails_busy(void)
{
	struct simota_cat_msg *m;
	struct fx f;
	uint64_t cntr, before;
	uint16_t sw;

	fx_open(&f);
	sw = EXPECT(&f, T_FIXED, C1_DISPLAY_OK, "b00d80040000002a8605010000001e", true);
	before = f.cntr;
	tv_block_path(f.c.state);

	expect_counter_lost(true);
	expect_busy(&f, T_FIXED, C1_INPUT);
	expect_counter_lost(true);
	expect_busy(&f, T_FIXED, RELEASE("0000002a"));
	expect_counter_lost(false);
	expect_busy(&f, T_FIXED, C2("0000002a"));
	g_test_assert_expected_messages();
	g_assert_true(uicc_ota_counter(f.c.card, 1, &cntr));
	g_assert_cmpuint(cntr, ==, before);

	tv_unblock_path(f.c.state);
	EXPECT(&f, T_FIXED, C2("0000002b"), "b20980040000002b870102", true);
	EXPECT(&f, T_FIXED, C2("0000002a"), "b20980040000002a870101", true);
	/* the one command queued is 2a's; its MG, then nothing */
	m = fetch(&f, sw, SIMOTA_CAT_DISPLAY_TEXT);
	sw = terminal_response(&f, m, 0x00, NULL, 0, -1);
	g_free(m);
	expect_mg(&f, sw, "12345", "b10680040000002a");
	EXPECT(&f, T_FIXED, RELEASE("0000002a"), "b20980040000002a870107", false);
	fx_close(&f);
}

/*
 * The stored C1 does not fit (the file size limit lets the state grow by a
 * few bytes only) but the counter alone does: the C1 is answered "full" in a
 * PoR and the counter has moved, durably - as when the counter had its own
 * commit and the store's failed.
 */
static void test_store_commit_fails_counter_stored(void)
{
	struct rlimit old, lim;
	struct stat sb;
	struct fx f;
	uint64_t cntr;
	void (*old_handler)(int);

	fx_open(&f);
	EXPECT(&f, T_FIXED, C1_DISPLAY_OK, "b00d80040000002a8605010000001e", true);
	g_assert_cmpint(stat(f.c.state, &sb), ==, 0);
	g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &old), ==, 0);
	lim = old;
	lim.rlim_cur = (rlim_t)sb.st_size + 8;
	old_handler = signal(SIGXFSZ, SIG_IGN);
	g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &lim), ==, 0);
	g_test_expect_message("uicc-deferred", G_LOG_LEVEL_WARNING, "transaction store not committed*");
	EXPECT(&f, T_FIXED, C1_INPUT, "b20980040000002b870104", true);
	g_test_assert_expected_messages();
	g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &old), ==, 0);
	signal(SIGXFSZ, old_handler);
	ots_card_reopen(&f.c);
	g_assert_true(uicc_ota_counter(f.c.card, 1, &cntr));
	g_assert_cmpuint(cntr, ==, f.cntr);
	EXPECT(&f, T_FIXED, C2("0000002b"), "b20980040000002b870102", false);
	fx_close(&f);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/uicc-deferred/display-text", test_display_text);
	g_test_add_func("/uicc-deferred/actions-ir-forms", test_actions_and_ir_forms);
	g_test_add_func("/uicc-deferred/user-not-answering", test_user_not_answering);
	g_test_add_func("/uicc-deferred/capacity", test_capacity);
	g_test_add_func("/uicc-deferred/refusals", test_refusals);
	g_test_add_func("/uicc-deferred/restart", test_restart);
	g_test_add_func("/uicc-deferred/default-item", test_default_item);
	g_test_add_func("/uicc-deferred/prior-art", test_prior_art);
	g_test_add_func("/uicc-deferred/one-commit-per-command", test_one_commit_per_command);
	g_test_add_func("/uicc-deferred/commit-fails-busy", test_commit_fails_busy);
	g_test_add_func("/uicc-deferred/store-commit-fails-counter-stored", test_store_commit_fails_counter_stored);
	return g_test_run();
}
