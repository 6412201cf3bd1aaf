// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plugin's card service (plugin/card/card.h) without ofonod:
 *   - its APDU implementation against the fake card (fake-card.h): one table
 *     row per request kind and answer, with the exact commands on the wire
 *     (T=0 and T=1: a case-4 command goes with Le = 00 on T=1), the PIN
 *     state with the card's quirks, the toolkit (the agent grace, the end of
 *     a proactive session, the bounded FETCH loop);
 *   - bounded waits and a card that misbehaves or goes away;
 *   - the front's contract for any implementation (answers never from inside
 *     the call, no card, cancelled owners, a backend that does not let the
 *     host set the terminal profile) with a stub implementation shaped like
 *     the QMI one (proactive commands arrive whole, no terminal profile).
 */
#include <glib.h>
#include <string.h>

#include "card/apdu-session.h"
#include "card/card-impl.h"
#include "card/uicc.h"
#include "fake-card.h"
#include "test-support.h"

/* SELECT ADF.USIM by AID at every start (TS 102 221 §11.1.1), as T=0 and T=1 carry it */
#define START_T0 { "00a4040407a0000000871002", "9000" }
#define START_T1 { "00a4040407a000000087100200", "9000" }

/* FCPs (TS 102 221 §11.1.1.3): EF_IMSI transparent 9 bytes; EF_SMSP linear fixed 1 x 28; EF_DIR 2 x 32 */
#define FCP_IMSI "620f82024121" "83026f07" "80020009" "8a0105"
#define FCP_SMSP "621282054221001c01" "83026f42" "8002001c" "8a0105"
/* ADF.USIM's FCP: PS_DO 60, PIN1 disabled (PIN2, ADM enabled); PS_DO E0: all enabled (§9.5.2) */
#define FCP_PIN1_OFF "621982027821" "83027fff" "c60f" "900160" "950108" "830101" "830181" "83010a" "9000"
#define FCP_PIN1_ON "621682027821" "83027fff" "c60c" "9001e0" "830101" "830181" "83010a" "9000"
#define RECORD_28 "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c"

/* ---- outcomes --------------------------------------------------------------------------- */

struct outcome {
	bool done;
	bool in_call;                 /* the test is inside the call that asked */
	bool answered_in_call;
	GError *err;
	uint16_t sw;
	GByteArray *data;
	bool has_fcp;
	struct simota_fcp fcp;
	enum sb_card_pin_state state;
	struct sb_card_pin_retries retries;
	int enabled;
};

static void outcome_clear(struct outcome *o)
{
	if (o->err)
		g_error_free(o->err);
	if (o->data)
		g_byte_array_unref(o->data);
	memset(o, 0, sizeof(*o));
}

static void got(struct outcome *o, const GError *err, uint16_t sw)
{
	g_assert_false(o->done);                  /* exactly once */
	o->done = true;
	o->answered_in_call = o->in_call;
	o->err = err ? g_error_copy(err) : NULL;
	o->sw = sw;
}

static void data_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct outcome *o = user;

	got(o, err, sw);
	o->data = fake_answer_bytes(data, len);
}

static void done_cb(const GError *err, uint16_t sw, void *user)
{
	got(user, err, sw);
}

static void info_cb(const GError *err, uint16_t sw, const struct simota_fcp *fcp, void *user)
{
	struct outcome *o = user;

	got(o, err, sw);
	if (fcp) {
		o->has_fcp = true;
		o->fcp = *fcp;
	}
}

static void state_cb(const GError *err, enum sb_card_pin_state state, uint16_t sw, void *user)
{
	struct outcome *o = user;

	got(o, err, sw);
	o->state = state;
}

static void retries_cb(const GError *err, const struct sb_card_pin_retries *r, void *user)
{
	struct outcome *o = user;

	got(o, err, 0);
	o->retries = *r;
}

static void enabled_cb(const GError *err, int enabled, uint16_t sw, void *user)
{
	struct outcome *o = user;

	got(o, err, sw);
	o->enabled = enabled;
}

static void wait_done(struct outcome *o)
{
	while (!o->done)
		g_main_context_iteration(NULL, TRUE);
	g_assert_false(o->answered_in_call);
}

/* ---- a card service over the fake card ------------------------------------------------------ */

struct fixture {
	struct fake_card fc;
	struct sb_card_service *card;
	GPtrArray *events;            /* "lost absent", "lost error", "present", "command <hex>", "session end", ... */
	struct fake_step *script;
};

static void on_status(struct sb_card_service *c, enum sb_card_state state, const GError *why, void *user)
{
	struct fixture *f = user;

	g_ptr_array_add(f->events, g_strdup(state == SB_CARD_STATE_PRESENT ? "present" :
					    state == SB_CARD_STATE_ABSENT ? "lost absent" : "lost error"));
}

static void on_started(struct sb_card_service *c, const GError *err, void *user)
{
	got(user, err, 0);
}

static bool has_event(const struct fixture *f, const char *e)
{
	for (guint i = 0; i < f->events->len; i++)
		if (strcmp(g_ptr_array_index(f->events, i), e) == 0)
			return true;
	return false;
}

/* A card service on a fake card on protocol that follows the start, then steps; started. */
static void fixture_up(struct fixture *f, enum sb_uicc_protocol protocol, const struct fake_step *steps, size_t n,
		       unsigned timeout_ms)
{
	struct fake_step start[] = { START_T0 }, start_t1[] = { START_T1 };
	struct outcome o = { 0 };

	memset(f, 0, sizeof(*f));
	f->script = g_new0(struct fake_step, n + 1);
	f->script[0] = protocol == SB_UICC_T1 ? start_t1[0] : start[0];
	memcpy(f->script + 1, steps, n * sizeof(*steps));
	f->events = g_ptr_array_new_with_free_func(g_free);
	f->card = sb_card_apdu_new(fake_card_init_script(&f->fc, protocol, f->script, n + 1), "modem0", timeout_ms);
	sb_card_set_status_handler(f->card, on_status, f);
	sb_card_start(f->card, on_started, &o);
	wait_done(&o);
	g_assert_no_error(o.err);
	g_assert_true(sb_card_is_up(f->card));
}

static void fixture_end(struct fixture *f)
{
	fake_drain();                 /* the transport's late answers (a command failed after the card went) */
	fake_card_done(&f->fc);
	sb_card_free(f->card);
	fake_card_clear(&f->fc);
	g_ptr_array_unref(f->events);
	g_free(f->script);
}

static struct sb_card_path path_of(const char *hex)
{
	struct sb_card_path p = { 0 };
	size_t n;
	uint8_t *b = tv_hex(hex, &n);

	g_assert_cmpuint(n, <=, SB_CARD_PATH_MAX);
	memcpy(p.fid, b, n);
	p.len = (uint8_t)n;
	g_free(b);
	return p;
}

/* ---- one request per row -------------------------------------------------------------------------- */

enum op {
	OP_INFO, OP_READ_BINARY, OP_READ_RECORD, OP_UPDATE_BINARY, OP_UPDATE_RECORD,
	OP_PIN_STATE, OP_PIN_RETRIES, OP_PIN_ENABLED, OP_VERIFY, OP_CHANGE, OP_UNBLOCK, OP_ENABLE, OP_DISABLE,
	OP_TERMINAL_PROFILE, OP_ENVELOPE, OP_TERMINAL_RESPONSE,
};

#define NO_ERROR (-1)

struct card_case {
	const char *name;
	enum sb_uicc_protocol protocol;
	enum op op;
	const char *path;             /* FIDs from the MF, hex */
	unsigned offset, length;      /* byte offset or record; bytes to read */
	const char *data;             /* to write / the toolkit data, hex */
	enum sb_card_pin pin;
	const char *code, *new_code;
	struct fake_step steps[4];    /* after the start; a NULL command ends them */
	int err;                      /* an SB_CARD_ERROR code, or NO_ERROR */
	uint16_t sw;
	const char *rdata;            /* the data answered, hex (NULL: none wanted) */
	int file_size;                /* OP_INFO: -1 for no FCP */
	enum sb_card_pin_state state;
	int enabled;
	struct sb_card_pin_retries retries;
};

static const struct card_case cases[] = {
	/* files: SELECT by path from the MF, then the command on the file, back to back (TS 102 221 §11.1) */
	{ "file-info", SB_UICC_T0, OP_INFO, "7fff6f07", .steps = {
		{ "00a40804047fff6f07", FCP_IMSI "9000" } }, .err = NO_ERROR, .sw = 0x9000, .file_size = 9 },
	{ "file-info-t1-le", SB_UICC_T1, OP_INFO, "7fff6f07", .steps = {
		{ "00a40804047fff6f0700", FCP_IMSI "9000" } }, .err = NO_ERROR, .sw = 0x9000, .file_size = 9 },
	{ "file-info-61xx", SB_UICC_T0, OP_INFO, "7fff6f07", .steps = {
		{ "00a40804047fff6f07", "6111" }, { "00c0000011", FCP_IMSI "9000" } },
	  .err = NO_ERROR, .sw = 0x9000, .file_size = 9 },
	{ "file-info-not-found", SB_UICC_T0, OP_INFO, "7fff6fae", .steps = {
		{ "00a40804047fff6fae", "6a82" } }, .err = NO_ERROR, .sw = 0x6A82, .file_size = -1 },
	{ "file-info-undecodable-fcp", SB_UICC_T0, OP_INFO, "7fff6f07", .steps = {
		{ "00a40804047fff6f07", "010203" "9000" } }, .err = SB_CARD_ERROR_PROTOCOL, .file_size = -1 },
	{ "read-binary", SB_UICC_T0, OP_READ_BINARY, "7fff6f07", 0, 9, .steps = {
		{ "00a4080c047fff6f07", "9000" }, { "00b0000009", "080910101032547698" "9000" } },
	  .err = NO_ERROR, .sw = 0x9000, .rdata = "080910101032547698" },
	{ "read-binary-offset-t1", SB_UICC_T1, OP_READ_BINARY, "7fff6f07", 0x0102, 4, .steps = {
		{ "00a4080c047fff6f07", "9000" }, { "00b0010204", "aabbccdd" "9000" } },
	  .err = NO_ERROR, .sw = 0x9000, .rdata = "aabbccdd" },
	{ "read-binary-6cxx", SB_UICC_T0, OP_READ_BINARY, "2fe2", 0, 16, .steps = {
		{ "00a4080c022fe2", "9000" }, { "00b0000010", "6c0a" }, { "00b000000a", "98102143658709214365" "9000" } },
	  .err = NO_ERROR, .sw = 0x9000, .rdata = "98102143658709214365" },
	{ "read-binary-no-file", SB_UICC_T0, OP_READ_BINARY, "7fff6fae", 0, 9, .steps = {
		{ "00a4080c047fff6fae", "6a82" } }, .err = NO_ERROR, .sw = 0x6A82, .rdata = "" },
	{ "read-record", SB_UICC_T0, OP_READ_RECORD, "2f00", 2, 4, .steps = {
		{ "00a4080c022f00", "9000" }, { "00b2020404", "61024f00" "9000" } },
	  .err = NO_ERROR, .sw = 0x9000, .rdata = "61024f00" },
	{ "read-record-whole", SB_UICC_T0, OP_READ_RECORD, "7fff6f42", 1, 0, .steps = {
		{ "00a40804047fff6f42", FCP_SMSP "9000" }, { "00b201041c", RECORD_28 "9000" } },
	  .err = NO_ERROR, .sw = 0x9000, .rdata = RECORD_28 },
	{ "read-record-whole-undecodable-fcp", SB_UICC_T0, OP_READ_RECORD, "7fff6f42", 1, 0, .steps = {
		{ "00a40804047fff6f42", "6203820142" "9000" } }, .err = SB_CARD_ERROR_PROTOCOL },
	{ "read-record-whole-of-transparent", SB_UICC_T0, OP_READ_RECORD, "7fff6f07", 1, 0, .steps = {
		{ "00a40804047fff6f07", FCP_IMSI "9000" } }, .err = NO_ERROR, .sw = 0x6981, .rdata = "" },
	{ "update-binary", SB_UICC_T0, OP_UPDATE_BINARY, "7fff6f46", 2, .data = "aabbcc", .steps = {
		{ "00a4080c047fff6f46", "9000" }, { "00d6000203aabbcc", "9000" } }, .err = NO_ERROR, .sw = 0x9000 },
	{ "update-binary-denied", SB_UICC_T0, OP_UPDATE_BINARY, "2fe2", 0, .data = "01", .steps = {
		{ "00a4080c022fe2", "9000" }, { "00d6000001" "01", "6982" } }, .err = NO_ERROR, .sw = 0x6982 },
	{ "update-record", SB_UICC_T0, OP_UPDATE_RECORD, "7fff6f42", 1, .data = "0102", .steps = {
		{ "00a4080c047fff6f42", "9000" }, { "00dc0104020102", "9000" } }, .err = NO_ERROR, .sw = 0x9000 },
	{ "update-record-cyclic-oldest", SB_UICC_T0, OP_UPDATE_RECORD, "7fff6f39", 0, .data = "0102", .steps = {
		{ "00a4080c047fff6f39", "9000" }, { "00dc0003020102", "9000" } }, .err = NO_ERROR, .sw = 0x9000 },
	/* arguments the card cannot be asked with: nothing on the wire */
	{ "read-too-long", SB_UICC_T0, OP_READ_BINARY, "7fff6f07", 0, 257, .err = SB_CARD_ERROR_INVALID },
	{ "read-record-zero", SB_UICC_T0, OP_READ_RECORD, "7fff6f42", 0, 28, .err = SB_CARD_ERROR_INVALID },
	{ "update-empty", SB_UICC_T0, OP_UPDATE_BINARY, "7fff6f46", 0, .data = "", .err = SB_CARD_ERROR_INVALID },
	{ "bad-path", SB_UICC_T0, OP_READ_BINARY, "7fff6f", 0, 1, .err = SB_CARD_ERROR_INVALID },

	/* PIN1's state: the empty VERIFY (§11.1.9, on T=0 with P3 = 00), the template, UNBLOCK PIN */
	{ "pin-state-none", SB_UICC_T0, OP_PIN_STATE, .steps = {
		{ "0020000100", "9000" } }, .err = NO_ERROR, .sw = 0x9000, .state = SB_CARD_PIN_NONE },
	{ "pin-state-none-t1", SB_UICC_T1, OP_PIN_STATE, .steps = {
		{ "00200001", "9000" } }, .err = NO_ERROR, .sw = 0x9000, .state = SB_CARD_PIN_NONE },
	{ "pin-state-wanted", SB_UICC_T0, OP_PIN_STATE, .steps = {
		{ "0020000100", "63c3" }, { "00a40804027fff", FCP_PIN1_ON } },
	  .err = NO_ERROR, .sw = 0x63C3, .state = SB_CARD_PIN_WANTED },
	{ "pin-state-template-says-disabled", SB_UICC_T0, OP_PIN_STATE, .steps = {
		{ "0020000100", "63c3" }, { "00a40804027fff", FCP_PIN1_OFF } },
	  .err = NO_ERROR, .sw = 0x63C3, .state = SB_CARD_PIN_NONE },
	{ "pin-state-puk", SB_UICC_T0, OP_PIN_STATE, .steps = {
		{ "0020000100", "63c0" }, { "002c000100", "63ca" } },
	  .err = NO_ERROR, .sw = 0x63CA, .state = SB_CARD_PUK_WANTED },
	{ "pin-state-blocked", SB_UICC_T0, OP_PIN_STATE, .steps = {
		{ "0020000100", "6983" }, { "002c000100", "63c0" } },
	  .err = NO_ERROR, .sw = 0x63C0, .state = SB_CARD_PIN_BLOCKED },
	{ "pin-state-unknown", SB_UICC_T0, OP_PIN_STATE, .steps = {
		{ "0020000100", "6f00" } }, .err = NO_ERROR, .sw = 0x6F00, .state = SB_CARD_PIN_UNKNOWN },
	/* retry counters: VERIFY / UNBLOCK PIN without data answer 63CX (§11.1.9, §11.1.13) */
	{ "pin-retries", SB_UICC_T0, OP_PIN_RETRIES, .steps = {
		{ "0020000100", "63c3" }, { "002c000100", "63ca" }, { "0020008100", "9000" }, { "002c008100", "6983" } },
	  .err = NO_ERROR, .retries = { 3, 10, -1, 0 } },
	/* enabled or not: the PIN status template of ADF.USIM's FCP (§9.5.2) */
	{ "pin1-enabled", SB_UICC_T0, OP_PIN_ENABLED, .pin = SB_CARD_PIN1, .steps = {
		{ "00a40804027fff", FCP_PIN1_ON } }, .err = NO_ERROR, .sw = 0x9000, .enabled = 1 },
	{ "pin1-disabled-t1", SB_UICC_T1, OP_PIN_ENABLED, .pin = SB_CARD_PIN1, .steps = {
		{ "00a40804027fff00", FCP_PIN1_OFF } }, .err = NO_ERROR, .sw = 0x9000, .enabled = 0 },
	{ "pin2-enabled", SB_UICC_T0, OP_PIN_ENABLED, .pin = SB_CARD_PIN2, .steps = {
		{ "00a40804027fff", FCP_PIN1_OFF } }, .err = NO_ERROR, .sw = 0x9000, .enabled = 1 },
	/* PIN commands: ASCII digits padded with FF to 8 (§9.5.2), the PUK not padded */
	{ "verify", SB_UICC_T0, OP_VERIFY, .pin = SB_CARD_PIN1, .code = "1234", .steps = {
		{ "002000010831323334ffffffff", "9000" } }, .err = NO_ERROR, .sw = 0x9000 },
	{ "verify-wrong", SB_UICC_T0, OP_VERIFY, .pin = SB_CARD_PIN1, .code = "4321", .steps = {
		{ "002000010834333231ffffffff", "63c2" } }, .err = NO_ERROR, .sw = 0x63C2 },
	{ "verify-pin2-8-digits", SB_UICC_T0, OP_VERIFY, .pin = SB_CARD_PIN2, .code = "12345678", .steps = {
		{ "00200081083132333435363738", "9000" } }, .err = NO_ERROR, .sw = 0x9000 },
	{ "change", SB_UICC_T0, OP_CHANGE, .pin = SB_CARD_PIN1, .code = "1234", .new_code = "5678", .steps = {
		{ "002400011031323334ffffffff35363738ffffffff", "9000" } }, .err = NO_ERROR, .sw = 0x9000 },
	{ "unblock", SB_UICC_T0, OP_UNBLOCK, .pin = SB_CARD_PIN1, .code = "12345678", .new_code = "4321", .steps = {
		{ "002c000110313233343536373834333231ffffffff", "9000" } }, .err = NO_ERROR, .sw = 0x9000 },
	{ "enable", SB_UICC_T0, OP_ENABLE, .pin = SB_CARD_PIN1, .code = "1234", .steps = {
		{ "002800010831323334ffffffff", "9000" } }, .err = NO_ERROR, .sw = 0x9000 },
	{ "disable", SB_UICC_T0, OP_DISABLE, .pin = SB_CARD_PIN1, .code = "1234", .steps = {
		{ "002600010831323334ffffffff", "9000" } }, .err = NO_ERROR, .sw = 0x9000 },
	{ "verify-not-digits", SB_UICC_T0, OP_VERIFY, .pin = SB_CARD_PIN1, .code = "12a4",
	  .err = SB_CARD_ERROR_INVALID },
	{ "verify-too-short", SB_UICC_T0, OP_VERIFY, .pin = SB_CARD_PIN1, .code = "123",
	  .err = SB_CARD_ERROR_INVALID },
	{ "unblock-puk-not-8", SB_UICC_T0, OP_UNBLOCK, .pin = SB_CARD_PIN1, .code = "1234567", .new_code = "1234",
	  .err = SB_CARD_ERROR_INVALID },

	/* the toolkit (§11.2) */
	{ "terminal-profile", SB_UICC_T0, OP_TERMINAL_PROFILE, .data = "3b61ff", .steps = {
		{ "80100000033b61ff", "9000" } }, .err = NO_ERROR, .sw = 0x9000 },
	{ "envelope", SB_UICC_T0, OP_ENVELOPE, .data = "d10100", .steps = {
		{ "80c2000003d10100", "6102" }, { "00c0000002", "aabb" "9000" } },
	  .err = NO_ERROR, .sw = 0x9000, .rdata = "aabb" },
	{ "envelope-t1-le", SB_UICC_T1, OP_ENVELOPE, .data = "d10100", .steps = {
		{ "80c2000003d1010000", "aabb" "9000" } }, .err = NO_ERROR, .sw = 0x9000, .rdata = "aabb" },
	{ "envelope-warning-data", SB_UICC_T0, OP_ENVELOPE, .data = "d10100", .steps = {
		{ "80c2000003d10100", "6300" }, { "00c0000000", "6c03" }, { "00c0000003", "aabbcc" "6300" } },
	  .err = NO_ERROR, .sw = 0x6300, .rdata = "aabbcc" },
	{ "terminal-response", SB_UICC_T0, OP_TERMINAL_RESPONSE, .data = "810301", .steps = {
		{ "8014000003810301", "9000" } }, .err = NO_ERROR, .sw = 0x9000 },
	{ "envelope-empty", SB_UICC_T0, OP_ENVELOPE, .data = "", .err = SB_CARD_ERROR_INVALID },
};

static void ask(struct sb_card_service *card, const struct card_case *k, struct outcome *o)
{
	struct sb_card_path p = path_of(k->path ? k->path : "3f00");
	size_t n = 0;
	uint8_t *d = tv_hex(k->data ? k->data : "", &n);

	o->in_call = true;
	switch (k->op) {
	case OP_INFO:
		sb_card_file_info(card, o, &p, info_cb, o);
		break;
	case OP_READ_BINARY:
		sb_card_read_binary(card, o, &p, k->offset, k->length, data_cb, o);
		break;
	case OP_READ_RECORD:
		sb_card_read_record(card, o, &p, k->offset, k->length, data_cb, o);
		break;
	case OP_UPDATE_BINARY:
		sb_card_update_binary(card, o, &p, k->offset, d, n, done_cb, o);
		break;
	case OP_UPDATE_RECORD:
		sb_card_update_record(card, o, &p, k->offset, d, n, done_cb, o);
		break;
	case OP_PIN_STATE:
		sb_card_pin_state(card, o, state_cb, o);
		break;
	case OP_PIN_RETRIES:
		sb_card_pin_retries(card, o, retries_cb, o);
		break;
	case OP_PIN_ENABLED:
		sb_card_pin_enabled(card, o, k->pin, enabled_cb, o);
		break;
	case OP_VERIFY:
		sb_card_pin_verify(card, o, k->pin, k->code, done_cb, o);
		break;
	case OP_CHANGE:
		sb_card_pin_change(card, o, k->pin, k->code, k->new_code, done_cb, o);
		break;
	case OP_UNBLOCK:
		sb_card_pin_unblock(card, o, k->pin, k->code, k->new_code, done_cb, o);
		break;
	case OP_ENABLE:
	case OP_DISABLE:
		sb_card_pin_enable(card, o, k->pin, k->op == OP_ENABLE, k->code, done_cb, o);
		break;
	case OP_TERMINAL_PROFILE:
		sb_card_terminal_profile(card, o, d, n, done_cb, o);
		break;
	case OP_ENVELOPE:
		sb_card_envelope(card, o, d, n, data_cb, o);
		break;
	case OP_TERMINAL_RESPONSE:
		sb_card_terminal_response(card, o, d, n, done_cb, o);
		break;
	}
	o->in_call = false;
	g_free(d);
}

static void run_case(gconstpointer p)
{
	const struct card_case *k = p;
	struct fixture f;
	struct outcome o = { 0 };
	size_t n = 0;

	while (n < G_N_ELEMENTS(k->steps) && k->steps[n].command)
		n++;
	fixture_up(&f, k->protocol, k->steps, n, 5000);
	ask(f.card, k, &o);
	wait_done(&o);
	if (k->err == NO_ERROR) {
		g_assert_no_error(o.err);
		if (k->op != OP_PIN_RETRIES)
			g_assert_cmphex(o.sw, ==, k->sw);
	} else {
		g_assert_error(o.err, SB_CARD_ERROR, k->err);
	}
	if (k->rdata)
		tv_assert_hex(o.data->data, o.data->len, k->rdata);
	if (k->op == OP_INFO) {
		g_assert_cmpint(o.has_fcp, ==, k->file_size >= 0);
		if (o.has_fcp)
			g_assert_cmpuint(o.fcp.file_size, ==, (unsigned)k->file_size);
	}
	if (k->op == OP_PIN_STATE && k->err == NO_ERROR)
		g_assert_cmpint(o.state, ==, k->state);
	if (k->op == OP_PIN_ENABLED && k->err == NO_ERROR)
		g_assert_cmpint(o.enabled, ==, k->enabled);
	if (k->op == OP_PIN_RETRIES) {
		g_assert_cmpint(o.retries.pin1, ==, k->retries.pin1);
		g_assert_cmpint(o.retries.puk1, ==, k->retries.puk1);
		g_assert_cmpint(o.retries.pin2, ==, k->retries.pin2);
		g_assert_cmpint(o.retries.puk2, ==, k->retries.puk2);
	}
	outcome_clear(&o);
	fixture_end(&f);
}

/* ---- PIN1 quirks across requests ------------------------------------------------------------------- */

/* The template's "disabled" is trusted over a 63CX VERIFY, and the disagreement logged once per card. */
static void count_messages(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer user)
{
	g_test_message("logged: %s", message);
	(*(unsigned *)user)++;
}

static void test_pin1_quirk_logged_once(void)
{
	static const struct fake_step steps[] = {
		{ "0020000100", "63c3" }, { "00a40804027fff", FCP_PIN1_OFF },
		{ "0020000100", "63c3" }, { "00a40804027fff", FCP_PIN1_OFF },
	};
	struct fixture f;
	struct outcome o = { 0 };
	unsigned logged = 0;
	guint handler;

	fixture_up(&f, SB_UICC_T0, steps, G_N_ELEMENTS(steps), 5000);
	handler = g_log_set_handler("stkbridge", G_LOG_LEVEL_MESSAGE, count_messages, &logged);
	for (int i = 0; i < 2; i++) {
		sb_card_pin_state(f.card, NULL, state_cb, &o);
		wait_done(&o);
		g_assert_cmpint(o.state, ==, SB_CARD_PIN_NONE);
		outcome_clear(&o);
	}
	g_log_remove_handler("stkbridge", handler);
	g_assert_cmpuint(logged, ==, 1);
	fixture_end(&f);
}

/*
 * A card that answers 63CX to the empty VERIFY once PIN1 was verified on it
 * (VERIFY with data answered 9000): no PIN wanted, no template asked; until a
 * wrong PIN resets the verification; and a new start (a reset) forgets it.
 */
static void test_pin1_verified_here(void)
{
	static const struct fake_step steps[] = {
		{ "002000010831323334ffffffff", "9000" },
		{ "0020000100", "63c3" },                             /* verified here: taken as not wanted */
		{ "002000010834333231ffffffff", "63c2" },             /* a wrong PIN */
		{ "0020000100", "63c2" }, { "00a40804027fff", FCP_PIN1_ON },
	};
	struct fixture f;
	struct outcome o = { 0 };

	fixture_up(&f, SB_UICC_T0, steps, G_N_ELEMENTS(steps), 5000);
	sb_card_pin_verify(f.card, NULL, SB_CARD_PIN1, "1234", done_cb, &o);
	wait_done(&o);
	outcome_clear(&o);
	sb_card_pin_state(f.card, NULL, state_cb, &o);
	wait_done(&o);
	g_assert_cmpint(o.state, ==, SB_CARD_PIN_NONE);
	outcome_clear(&o);
	sb_card_pin_verify(f.card, NULL, SB_CARD_PIN1, "4321", done_cb, &o);
	wait_done(&o);
	g_assert_cmphex(o.sw, ==, 0x63C2);
	outcome_clear(&o);
	sb_card_pin_state(f.card, NULL, state_cb, &o);
	wait_done(&o);
	g_assert_cmpint(o.state, ==, SB_CARD_PIN_WANTED);
	outcome_clear(&o);
	fixture_end(&f);
}

/*
 * Two reads and an update asked at once: each SELECT and the command on the
 * file it selected go to the card back to back, never another request's
 * SELECT between them (TS 102 221 §8.4: one current EF).
 */
static void test_select_and_command_back_to_back(void)
{
	static const struct fake_step steps[] = {
		{ "00a4080c047fff6f07", "9000" }, { "00b0000009", "080910101032547698" "9000" },
		{ "00a4080c022fe2", "9000" }, { "00b000000a", "98102143658709214365" "9000" },
		{ "00a4080c047fff6f46", "9000" }, { "00d6000001" "aa", "9000" },
	};
	static const struct sb_card_path imsi = { .len = 4, .fid = { 0x7F, 0xFF, 0x6F, 0x07 } };
	static const struct sb_card_path iccid = { .len = 2, .fid = { 0x2F, 0xE2 } };
	static const struct sb_card_path spn = { .len = 4, .fid = { 0x7F, 0xFF, 0x6F, 0x46 } };
	static const uint8_t aa = 0xAA;
	struct fixture f;
	struct outcome a = { 0 }, b = { 0 }, u = { 0 };

	fixture_up(&f, SB_UICC_T0, steps, G_N_ELEMENTS(steps), 5000);
	sb_card_read_binary(f.card, NULL, &imsi, 0, 9, data_cb, &a);
	sb_card_read_binary(f.card, NULL, &iccid, 0, 10, data_cb, &b);
	sb_card_update_binary(f.card, NULL, &spn, 0, &aa, 1, done_cb, &u);
	wait_done(&a);
	wait_done(&b);
	wait_done(&u);
	tv_assert_hex(a.data->data, a.data->len, "080910101032547698");
	tv_assert_hex(b.data->data, b.data->len, "98102143658709214365");
	g_assert_cmphex(u.sw, ==, 0x9000);
	outcome_clear(&a);
	outcome_clear(&b);
	outcome_clear(&u);
	fixture_end(&f);                          /* the script is the order on the wire */
}

/* ---- no card, a card that goes, a card that does not answer ------------------------------------------ */

static void test_no_card(void)
{
	struct fake_card fc;
	struct sb_card_service *card = sb_card_apdu_new(fake_card_init_script(&fc, SB_UICC_T0, NULL, 0), "modem0", 5000);
	static const struct sb_card_path imsi = { .len = 4, .fid = { 0x7F, 0xFF, 0x6F, 0x07 } };
	struct outcome o = { 0 };
	size_t atr_len;

	g_assert_false(sb_card_is_up(card));
	g_assert_cmpint(sb_card_state(card), ==, SB_CARD_STATE_ABSENT);
	o.in_call = true;
	sb_card_read_binary(card, NULL, &imsi, 0, 9, data_cb, &o);
	o.in_call = false;
	wait_done(&o);
	g_assert_error(o.err, SB_CARD_ERROR, SB_CARD_ERROR_ABSENT);
	outcome_clear(&o);
	/* a start that finds no card */
	fc.absent = true;
	sb_card_start(card, on_started, &o);
	wait_done(&o);
	g_assert_error(o.err, SB_CARD_ERROR, SB_CARD_ERROR_ABSENT);
	sb_card_atr(card, &atr_len);
	g_assert_cmpuint(atr_len, ==, 0);
	g_assert_cmpuint(fc.commands, ==, 0);
	outcome_clear(&o);
	sb_card_free(card);
	fake_card_clear(&fc);
}

/* Up: the ATR kept, PRESENT; a card without USIM is up all the same (logged); stopped: requests fail. */
static void test_start_stop(void)
{
	static const struct fake_step steps[] = {
		{ "00a4040407a0000000871002", "6a82" },
	};
	struct fake_card fc;
	struct sb_card_service *card = sb_card_apdu_new(fake_card_init_script(&fc, SB_UICC_T0, steps, 1), "modem0", 5000);
	static const struct sb_card_path iccid = { .len = 2, .fid = { 0x2F, 0xE2 } };
	struct outcome o = { 0 };
	const uint8_t *atr;
	size_t atr_len;

	sb_card_start(card, on_started, &o);
	wait_done(&o);
	g_assert_no_error(o.err);
	g_assert_cmpint(sb_card_state(card), ==, SB_CARD_STATE_PRESENT);
	atr = sb_card_atr(card, &atr_len);
	tv_assert_hex(atr, atr_len, "3b9f96801fc78031a073be21136743200718000001");
	g_assert_cmpstr(sb_card_description(card), ==, "fake");
	outcome_clear(&o);
	/* started twice: BUSY, the first start stands */
	sb_card_start(card, on_started, &o);
	wait_done(&o);
	g_assert_error(o.err, SB_CARD_ERROR, SB_CARD_ERROR_BUSY);
	g_assert_true(sb_card_is_up(card));
	outcome_clear(&o);
	sb_card_stop(card);
	g_assert_false(sb_card_is_up(card));
	g_assert_false(fc.powered);
	sb_card_read_binary(card, NULL, &iccid, 0, 10, data_cb, &o);
	wait_done(&o);
	g_assert_error(o.err, SB_CARD_ERROR, SB_CARD_ERROR_ABSENT);
	outcome_clear(&o);
	fake_card_done(&fc);
	sb_card_free(card);
	fake_card_clear(&fc);
}

/* A READ never answered: it fails within the bounded wait (TIMEOUT), the card is reported lost (ERROR). */
static void test_bounded_wait(void)
{
	static const struct fake_step steps[] = {
		{ "00a4080c022fe2", "9000" }, { "00b000000a", NULL },
	};
	static const struct sb_card_path iccid = { .len = 2, .fid = { 0x2F, 0xE2 } };
	struct fixture f;
	struct outcome o = { 0 };
	gint64 t0;

	fixture_up(&f, SB_UICC_T0, steps, G_N_ELEMENTS(steps), 50);
	t0 = g_get_monotonic_time();
	sb_card_read_binary(f.card, NULL, &iccid, 0, 10, data_cb, &o);
	wait_done(&o);
	g_assert_error(o.err, SB_CARD_ERROR, SB_CARD_ERROR_TIMEOUT);
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 50 * 1000);
	g_assert_true(has_event(&f, "lost error"));
	g_assert_false(sb_card_is_up(f.card));
	g_assert_cmpint(sb_card_state(f.card), ==, SB_CARD_STATE_ERROR);
	outcome_clear(&o);
	fixture_end(&f);
}

/* The card leaves with the READ on the wire and another request queued: both fail, the card is lost. */
static void test_removed_mid_request(void)
{
	static const struct fake_step steps[] = {
		{ "00a4080c022fe2", "9000" }, { "00b000000a", NULL },
	};
	static const struct sb_card_path iccid = { .len = 2, .fid = { 0x2F, 0xE2 } };
	struct fixture f;
	struct outcome o = { 0 }, queued = { 0 };

	fixture_up(&f, SB_UICC_T0, steps, G_N_ELEMENTS(steps), 60000);
	sb_card_read_binary(f.card, NULL, &iccid, 0, 10, data_cb, &o);
	sb_card_pin_state(f.card, NULL, state_cb, &queued);
	while (f.fc.commands < 3)                  /* start, SELECT, READ */
		g_main_context_iteration(NULL, TRUE);
	fake_card_remove(&f.fc);
	wait_done(&o);
	wait_done(&queued);
	g_assert_error(o.err, SB_CARD_ERROR, SB_CARD_ERROR_ABSENT);
	g_assert_error(queued.err, SB_CARD_ERROR, SB_CARD_ERROR_ABSENT);
	g_assert_true(has_event(&f, "lost absent"));
	g_assert_false(sb_card_is_up(f.card));
	outcome_clear(&o);
	outcome_clear(&queued);
	fixture_end(&f);
}

/* A cancelled owner's callback never runs, and its READ is not sent after the SELECT already on the wire. */
static void test_cancel_owner(void)
{
	static const struct fake_step steps[] = {
		{ "00a4080c022fe2", "9000" },
		{ "0020000100", "9000" },
	};
	static const struct sb_card_path iccid = { .len = 2, .fid = { 0x2F, 0xE2 } };
	struct fixture f;
	struct outcome gone = { 0 }, other = { 0 };
	int owner;

	fixture_up(&f, SB_UICC_T0, steps, G_N_ELEMENTS(steps), 5000);
	sb_card_read_binary(f.card, &owner, &iccid, 0, 10, data_cb, &gone);
	sb_card_pin_state(f.card, NULL, state_cb, &other);
	while (f.fc.commands < 2)
		g_main_context_iteration(NULL, TRUE);
	sb_card_cancel_owner(f.card, &owner);
	wait_done(&other);
	fake_drain();
	g_assert_false(gone.done);
	g_assert_cmpint(other.state, ==, SB_CARD_PIN_NONE);
	outcome_clear(&other);
	fixture_end(&f);
}

/* ---- the toolkit -------------------------------------------------------------------------------------- */

static void on_command(const uint8_t *cmd, size_t len, void *user)
{
	struct fixture *f = user;
	char *hex = tv_to_hex(cmd, len);

	g_ptr_array_add(f->events, g_strdup_printf("command %s", hex));
	g_free(hex);
}

static void on_session_end(void *user)
{
	struct fixture *f = user;

	g_ptr_array_add(f->events, g_strdup("session end"));
}

static const struct sb_card_toolkit_handlers listener = {
	.proactive_command = on_command,
	.session_end = on_session_end,
};

static void tr_done(const GError *err, uint16_t sw, void *user)
{
	struct fixture *f = user;

	g_ptr_array_add(f->events, g_strdup_printf("terminal response %04X", sw));
}

#define DISPLAY_TEXT "d00e8103012180820281028d03046869"

/*
 * A proactive command announced before the listener came (TERMINAL PROFILE
 * answered 91XX: an applet resuming after a reset) waits the agent grace
 * after it attaches; one announced once it is there is FETCHed at once; a
 * TERMINAL RESPONSE answered 9000 ends the session, after its callback.
 */
static void test_toolkit_grace(void)
{
	static const struct fake_step steps[] = {
		{ "80100000033b61ff", "9110" },
		{ "8012000010", DISPLAY_TEXT "9000" },
		{ "8014000003810301", "9110" },       /* the next command follows */
		{ "8012000010", DISPLAY_TEXT "9000" },
	};
	static const struct fake_step steps2[] = {
		{ "8014000003810301", "9000" },       /* the end */
	};
	static const uint8_t profile[] = { 0x3B, 0x61, 0xFF }, tr[] = { 0x81, 0x03, 0x01 };
	struct fixture f;
	struct outcome o = { 0 };
	gint64 t0;

	fixture_up(&f, SB_UICC_T0, steps, G_N_ELEMENTS(steps), 5000);
	f.card->agent_grace_ms = 100;
	sb_card_terminal_profile(f.card, NULL, profile, sizeof(profile), done_cb, &o);
	wait_done(&o);
	g_assert_cmphex(o.sw, ==, 0x9110);
	t0 = g_get_monotonic_time();
	sb_card_toolkit_attach(f.card, &listener, &f);
	fake_drain();
	g_assert_cmpuint(f.fc.fetches, ==, 0);     /* held */
	while (f.events->len < 1)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 100 * 1000);
	g_assert_cmpstr(g_ptr_array_index(f.events, 0), ==, "command " DISPLAY_TEXT);
	/* the next one: at once */
	sb_card_terminal_response(f.card, NULL, tr, sizeof(tr), tr_done, &f);
	while (f.events->len < 3)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpstr(g_ptr_array_index(f.events, 1), ==, "terminal response 9110");
	g_assert_cmpstr(g_ptr_array_index(f.events, 2), ==, "command " DISPLAY_TEXT);
	fake_card_done(&f.fc);
	/* the session's end: the TERMINAL RESPONSE's callback first, then the listener hears it */
	f.fc.steps = steps2;
	f.fc.n_steps = 1;
	f.fc.pos = 0;
	sb_card_terminal_response(f.card, NULL, tr, sizeof(tr), tr_done, &f);
	while (f.events->len < 5)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpstr(g_ptr_array_index(f.events, 3), ==, "terminal response 9000");
	g_assert_cmpstr(g_ptr_array_index(f.events, 4), ==, "session end");
	sb_card_toolkit_detach(f.card);
	outcome_clear(&o);
	fixture_end(&f);
}

/* No proactive command before the terminal profile (TS 102 221 §14.7), even with a listener there. */
static void test_toolkit_after_profile(void)
{
	static const struct fake_step steps[] = {
		{ "0020000100", "9110" },             /* a command announced before the profile */
		{ "80100000033b61ff", "9110" },
		{ "8012000010", DISPLAY_TEXT "9000" },
	};
	static const uint8_t profile[] = { 0x3B, 0x61, 0xFF };
	struct fixture f;
	struct outcome o = { 0 };

	fixture_up(&f, SB_UICC_T0, steps, G_N_ELEMENTS(steps), 5000);
	f.card->agent_grace_ms = 0;
	sb_card_toolkit_attach(f.card, &listener, &f);
	sb_card_pin_state(f.card, NULL, state_cb, &o);
	wait_done(&o);
	fake_drain();
	g_assert_cmpuint(f.fc.fetches, ==, 0);
	outcome_clear(&o);
	sb_card_terminal_profile(f.card, NULL, profile, sizeof(profile), done_cb, &o);
	while (f.events->len < 1)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpstr(g_ptr_array_index(f.events, 0), ==, "command " DISPLAY_TEXT);
	sb_card_toolkit_detach(f.card);
	outcome_clear(&o);
	fixture_end(&f);
}

/* A card announcing proactive commands forever (FETCH answered 9110 with no command): the FETCH loop stops. */
static GByteArray *answer_91_forever(struct fake_card *c, const uint8_t *apdu, size_t len)
{
	return fake_answer_hex("9110");
}

static void test_toolkit_fetch_loop_bounded(void)
{
	static const uint8_t profile[] = { 0x3B, 0x61, 0xFF };
	struct fake_card fc;
	struct sb_card_service *card = sb_card_apdu_new(fake_card_init_answer(&fc, answer_91_forever, NULL), "modem0", 5000);
	struct fixture f = { .events = g_ptr_array_new_with_free_func(g_free) };
	struct outcome o = { 0 };
	unsigned fetches;

	sb_card_start(card, on_started, &o);
	wait_done(&o);
	outcome_clear(&o);
	card->agent_grace_ms = 0;
	sb_card_toolkit_attach(card, &listener, &f);
	sb_card_terminal_profile(card, NULL, profile, sizeof(profile), done_cb, &o);
	wait_done(&o);
	do {
		fetches = fc.fetches;
		fake_drain();
	} while (fc.fetches != fetches);
	g_assert_cmpuint(fc.fetches, <=, SB_APDU_MAX_PROACTIVE_RUN);
	g_assert_cmpuint(fc.fetches, >, 0);
	g_assert_cmpuint(f.events->len, ==, 0);     /* FETCH brought no command: nothing for the listener */
	sb_card_toolkit_detach(card);
	outcome_clear(&o);
	sb_card_free(card);
	fake_card_clear(&fc);
	g_ptr_array_unref(f.events);
}

/* ---- the front's contract, with an implementation shaped like the QMI one ------------------------------ */

/*
 * A stub: up at once, no terminal profile the host may set (the firmware's),
 * proactive commands arrive whole and are kept until fetched, a file read
 * answered from inside the call (the front must still answer from the main
 * loop).
 */
struct stub_card {
	struct sb_card_service base;
	GByteArray *kept;             /* the proactive command the modem reported */
};

static gboolean stub_started(gpointer p)
{
	sb_card_started(p, NULL, NULL, 0);
	return G_SOURCE_REMOVE;
}

static void stub_start(struct sb_card_service *c)
{
	g_idle_add(stub_started, c);
}

static void stub_stop(struct sb_card_service *c)
{
}

static void stub_destroy(struct sb_card_service *c)
{
	struct stub_card *s = (struct stub_card *)c;

	if (s->kept)
		g_byte_array_unref(s->kept);
}

static void stub_read_binary(struct sb_card_service *c, struct sb_card_req *r)
{
	static const uint8_t two[] = { 0x01, 0x02 };

	sb_card_req_data(r, 0x9000, two, sizeof(two));
}

static void stub_fetch(struct sb_card_service *c, struct sb_card_req *r)
{
	struct stub_card *s = (struct stub_card *)c;

	sb_card_req_data(r, 0x9000, s->kept->data, s->kept->len);
}

static const struct sb_card_ops stub_ops = {
	.name = "stub",
	.start = stub_start,
	.stop = stub_stop,
	.destroy = stub_destroy,
	.read_binary = stub_read_binary,
	.fetch = stub_fetch,
};

static void test_front_contract(void)
{
	struct stub_card *s = g_new0(struct stub_card, 1);
	struct sb_card_service *c = &s->base;
	static const struct sb_card_path iccid = { .len = 2, .fid = { 0x2F, 0xE2 } };
	static const uint8_t profile[] = { 0x3B };
	struct fixture f = { .events = g_ptr_array_new_with_free_func(g_free) };
	struct outcome o = { 0 };
	size_t n;
	uint8_t *cmd = tv_hex(DISPLAY_TEXT, &n);

	sb_card_init(c, &stub_ops, "modem9", 0);
	c->description = g_strdup("stub");
	c->agent_grace_ms = 0;
	g_assert_cmpuint(c->timeout_ms, ==, SB_CARD_DEFAULT_TIMEOUT_MS);
	sb_card_start(c, on_started, &o);
	wait_done(&o);
	g_assert_no_error(o.err);
	outcome_clear(&o);
	/* answered inside the op: still delivered from the main loop */
	o.in_call = true;
	sb_card_read_binary(c, NULL, &iccid, 0, 2, data_cb, &o);
	o.in_call = false;
	g_assert_false(o.done);
	wait_done(&o);
	tv_assert_hex(o.data->data, o.data->len, "0102");
	outcome_clear(&o);
	/* what the backend does not do */
	sb_card_pin_state(c, NULL, state_cb, &o);
	wait_done(&o);
	g_assert_error(o.err, SB_CARD_ERROR, SB_CARD_ERROR_UNSUPPORTED);
	outcome_clear(&o);
	/* a proactive command kept from the modem's indication, a listener there: held until the profile is over */
	s->kept = fake_answer_bytes(cmd, n);
	sb_card_toolkit_attach(c, &listener, &f);
	sb_card_proactive_pending(c);
	fake_drain();
	g_assert_cmpuint(f.events->len, ==, 0);
	sb_card_terminal_profile(c, NULL, profile, sizeof(profile), done_cb, &o);
	wait_done(&o);
	g_assert_error(o.err, SB_CARD_ERROR, SB_CARD_ERROR_UNSUPPORTED);
	while (f.events->len < 1)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpstr(g_ptr_array_index(f.events, 0), ==, "command " DISPLAY_TEXT);
	sb_card_session_ended(c);
	g_assert_cmpstr(g_ptr_array_index(f.events, 1), ==, "session end");
	outcome_clear(&o);
	/* the modem says the card went away: down, requests fail */
	sb_card_set_status_handler(c, on_status, &f);
	sb_card_status_changed(c, SB_CARD_STATE_ERROR, NULL);
	g_assert_true(has_event(&f, "lost error"));
	sb_card_read_binary(c, NULL, &iccid, 0, 2, data_cb, &o);
	wait_done(&o);
	g_assert_error(o.err, SB_CARD_ERROR, SB_CARD_ERROR_ABSENT);
	outcome_clear(&o);
	/* freed with a request waiting: its callback never runs */
	sb_card_read_binary(c, NULL, &iccid, 0, 2, data_cb, &o);
	sb_card_toolkit_detach(c);
	sb_card_free(c);
	fake_drain();
	g_assert_false(o.done);
	g_free(cmd);
	g_ptr_array_unref(f.events);
}

static void test_path_set(void)
{
	static const uint8_t ofono_path[] = { 0x3F, 0x00, 0x7F, 0xFF };
	static const uint8_t deep[16] = { 0x7F, 0xFF, 0x5F, 0x01, 0x5F, 0x02, 0x5F, 0x03, 0x5F, 0x04, 0x5F, 0x05,
					  0x5F, 0x06, 0x5F, 0x07 };
	struct sb_card_path p;

	g_assert_true(sb_card_path_set(&p, ofono_path, sizeof(ofono_path), 0x6F07));
	tv_assert_hex(p.fid, p.len, "7fff6f07");
	g_assert_true(sb_card_path_set(&p, NULL, 0, 0x2FE2));
	tv_assert_hex(p.fid, p.len, "2fe2");
	g_assert_false(sb_card_path_set(&p, ofono_path, 3, 0x6F07));
	g_assert_true(sb_card_path_set(&p, deep, 14, 0x6F07));        /* 16 bytes with the file */
	g_assert_false(sb_card_path_set(&p, deep, 16, 0x6F07));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		tv_add_test("/plugin-card/apdu/", cases[i].name, &cases[i], run_case);
	g_test_add_func("/plugin-card/apdu/pin1-quirk-logged-once", test_pin1_quirk_logged_once);
	g_test_add_func("/plugin-card/apdu/pin1-verified-here", test_pin1_verified_here);
	g_test_add_func("/plugin-card/apdu/select-and-command-back-to-back", test_select_and_command_back_to_back);
	g_test_add_func("/plugin-card/no-card", test_no_card);
	g_test_add_func("/plugin-card/start-stop", test_start_stop);
	g_test_add_func("/plugin-card/bounded-wait", test_bounded_wait);
	g_test_add_func("/plugin-card/removed-mid-request", test_removed_mid_request);
	g_test_add_func("/plugin-card/cancel-owner", test_cancel_owner);
	g_test_add_func("/plugin-card/toolkit/agent-grace-and-session-end", test_toolkit_grace);
	g_test_add_func("/plugin-card/toolkit/after-terminal-profile", test_toolkit_after_profile);
	g_test_add_func("/plugin-card/toolkit/fetch-loop-bounded", test_toolkit_fetch_loop_bounded);
	g_test_add_func("/plugin-card/front/contract", test_front_contract);
	g_test_add_func("/plugin-card/front/path", test_path_set);
	return g_test_run();
}
