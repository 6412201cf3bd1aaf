/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFM operations and campaigns of ota-test-server's engine, in process
 * (transactions/rfm.c, campaign.c; doc/rfm.md "The server side"):
 *  - pySim's published exchange with a sysmoISIM-SJA2 through the server's
 *    path: with the printed keys and the counter one below the printed one,
 *    the server's command packet is the printed one byte for byte, the
 *    printed PoR completes the operation with the card's R-APDU, and the
 *    printed error PoR (status 06) fails the next one with that status;
 *  - bad input (APDU not hex, script empty or too long for a concatenated
 *    packet, unknown card or TAR, a TAR holding another applet, bad script
 *    files): 400-style errors naming the field, nothing stored or sent, no
 *    counter taken;
 *  - the flows against real uicc-emu cards with the RFM applet behind the
 *    handset simulator (me-sim.c) on an in-process link (me-link.c): compact and
 *    expanded scripts, a failing command, a script over several SMS, resends
 *    with fresh counters, per-card serialisation with a deferred
 *    transaction, campaigns (rate, retries, cancel, a restart of the engine
 *    in the middle).  After each, no card refused a packet (no counter
 *    reused) and every card's counter only went up.
 * Every test runs on SQLite and (ots-rfm-pg) on PostgreSQL.
 */
#include "me-link.h"
#include "pg-cluster.h"
#include "server-test.h"
#include "simota/hex.h"
#include "simota/sms.h"
#include "transactions/engine.h"
#include "transactions/rfm.h"

/* ---- the rig: the engine and its cards on an in-process link (me-link.c) ------------------- */

struct rig {
	char *dir, *db;
	struct ots_engine *e;
	struct me_link *link;
	GPtrArray *events;        /* the kinds subscribers heard */
	unsigned por_timeout_ms, max_attempts;
};

static void on_event(const struct ots_event *ev, void *user)
{
	struct rig *r = user;

	g_ptr_array_add(r->events, g_strdup(ev->kind));
}

static void engine_open(struct rig *r)
{
	struct ots_engine_config cfg = {
		.db_path = r->db, .por_timeout_ms = r->por_timeout_ms, .backoff_initial_ms = 100,
		.max_attempts = r->max_attempts,
	};
	GError *error = NULL;

	r->e = ots_engine_new(&cfg, &error);
	g_assert_no_error(error);
	me_link_attach(r->link, r->e);
	ots_engine_subscribe(r->e, on_event, r);
}

static void rig_setup(struct rig *r, gconstpointer data)
{
	GError *error = NULL;

	r->dir = g_dir_make_tmp("ots-rfm-XXXXXX", &error);
	g_assert_no_error(error);
	r->db = test_db_target(r->dir, "server.db");
	r->link = me_link_new();
	r->events = g_ptr_array_new_with_free_func(g_free);
	r->por_timeout_ms = 400;
	r->max_attempts = 3;
	engine_open(r);
}

/* The card's side: nothing refused (a reused counter would be), counters only went up. */
static void card_check(struct me_link_card *c, void *user)
{
	if (c->me) {
		g_assert_cmpuint(c->me->refusals, ==, 0);
		g_assert_true(me_sim_counters_increasing(c->me));
	}
}

static void rig_teardown(struct rig *r, gconstpointer data)
{
	char *cmd;

	me_link_foreach(r->link, card_check, NULL);
	me_link_free(r->link);
	ots_engine_free(r->e);
	while (g_main_context_iteration(NULL, FALSE))
		;
	cmd = g_strdup_printf("rm -rf '%s'", r->dir);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(cmd);
	g_free(r->dir);
	g_free(r->db);
	g_ptr_array_free(r->events, TRUE);
}

static struct me_link_card *card_new(struct rig *r, const char *iccid)
{
	return me_link_card_new(r->link, iccid);
}

/* ---- helpers -------------------------------------------------------------------------- */

static JsonNode *json(const char *text)
{
	JsonNode *n = json_from_string(text, NULL);

	g_assert_nonnull(n);
	return n;
}

static uint64_t rfm_start(struct rig *r, const char *request)
{
	JsonNode *n = json(request);
	GError *error = NULL;
	uint64_t id = 0;

	g_assert_true(ots_engine_rfm_start_json(r->e, n, &id, &error));
	g_assert_no_error(error);
	json_node_unref(n);
	return id;
}

static JsonNode *rfm_get(struct rig *r, uint64_t id)
{
	GError *error = NULL;
	JsonNode *n = ots_engine_rfm_get(r->e, id, &error);

	g_assert_no_error(error);
	g_assert_nonnull(n);
	return n;
}

static const char *op_state(JsonNode *op)
{
	return json_object_get_string_member(json_node_get_object(op), "state");
}

static JsonObject *op_result(JsonNode *op)
{
	return json_object_get_object_member(json_node_get_object(op), "result");
}

static void dump(JsonNode *n)
{
	char *s = json_to_string(n, TRUE);

	g_test_message("%s", s);
	g_free(s);
}

/* Runs the main loop until the operation is completed or failed (at most ms); returns it. */
struct awaited {
	struct rig *r;
	uint64_t id;
	const char *state;        /* campaign's or cards' */
	int64_t n;
};

static bool op_final(void *p)
{
	struct awaited *a = p;
	int s = ots_engine_tx_state(a->r->e, a->id);

	return s >= 0 && ots_tx_state_is_final(s);
}

static JsonNode *run_until_final(struct rig *r, uint64_t id, unsigned ms)
{
	struct awaited a = { .r = r, .id = id };

	me_link_run(op_final, &a, ms);
	return rfm_get(r, id);
}

/* The server's counter of a card's keyset 1. */
static uint64_t server_counter(struct rig *r, const char *iccid)
{
	JsonNode *n = ots_engine_card_show(r->e, iccid, NULL);
	JsonObject *ks = json_array_get_object_element(json_object_get_array_member(
		json_node_get_object(n), "keysets"), 0);
	uint64_t v = g_ascii_strtoull(json_object_get_string_member(ks, "counter"), NULL, 16);

	json_node_unref(n);
	return v;
}

static unsigned count_tx(struct rig *r)
{
	const struct ots_tx_filter all = { .limit = 1000 };
	bool more;
	JsonNode *n = ots_engine_tx_list(r->e, &all, &more, NULL);
	unsigned len = json_array_get_length(json_node_get_array(n));

	g_assert_false(more);
	json_node_unref(n);
	return len;
}

/* ---- pySim's published exchange through the server ----------------------------------------- */

static JsonObject *pysim(void)
{
	static JsonObject *v;

	if (!v) {
		char *path = g_build_filename(SRCDIR, "tests", "vectors-local", "pysim-smpp-ota-tool.json", NULL);
		JsonParser *p = json_parser_new();

		g_assert_true(json_parser_load_from_file(p, path, NULL));
		v = json_object_ref(json_node_get_object(json_parser_get_root(p)));
		g_object_unref(p);
		g_free(path);
	}
	return v;
}

static JsonObject *pysim_exchange(unsigned i)
{
	return json_array_get_object_element(json_object_get_array_member(pysim(), "exchanges"), i);
}

#define PYSIM_ICCID "89490240001122334455"

/* The card of pySim's document as JSON: keyset 1 as printed, TAR b00010 with SPI 1619, MSL 06. */
static void register_pysim_card(struct rig *r, const char *counter)
{
	JsonObject *ks = json_object_get_object_member(pysim(), "keyset");
	char *text = g_strdup_printf(
		"{\"iccid\":\"" PYSIM_ICCID "\",\"msisdn\":\"+15550123\","
		"\"keysets\":[{\"kvn\":1,\"kic\":\"15\",\"kid\":\"15\",\"kic-key\":\"%s\","
		"\"kid-key\":\"%s\",\"counter\":\"%s\"}],"
		"\"tars\":[{\"tar\":\"b00010\",\"spi\":\"1619\",\"applet\":\"rfm\","
		"\"min-security-level\":\"06\",\"keysets\":[1]},"
		"{\"tar\":\"defe01\",\"spi\":\"1619\",\"applet\":\"deferred\",\"keysets\":[1]}]}",
		json_object_get_string_member(ks, "kic"), json_object_get_string_member(ks, "kid"),
		counter);
	JsonNode *n = json(text);
	GError *error = NULL;

	g_assert_true(ots_engine_card_add_json(r->e, n, false, &error));
	g_assert_no_error(error);
	json_node_unref(n);
	g_free(text);
}

/* The user data (with its UDH) of a captured SMS-DELIVER, as hex. */
static char *captured_ud(struct me_link_card *c, unsigned i)
{
	struct simota_sms_deliver d;
	size_t len;
	const uint8_t *p = g_bytes_get_data(c->captured->pdata[i], &len);

	g_assert_cmpint(simota_sms_deliver_decode(p, len, &d), ==, SIMOTA_OK);
	g_assert_cmphex(d.pid, ==, 0x7F);
	g_assert_cmphex(d.dcs, ==, 0xF6);
	return simota_hex_dup(d.ud.ud, d.ud.len);
}

/* The card's answer as the handset reports it: RP-ACK with the PoR in the DELIVER-REPORT. */
static void report_por(struct rig *r, uint32_t id, const char *por_hex)
{
	struct simota_sms_pp_result res;
	uint8_t por[256], tpdu[256];
	size_t len, tlen;

	g_assert_cmpint(simota_hex_decode(por_hex, por, sizeof(por), &len), ==, SIMOTA_OK);
	g_assert_cmpint(simota_sms_pp_download_result(0x7F, 0xF6, 0x9000, por, len, &res), ==, SIMOTA_OK);
	g_assert_true(res.has_report);
	g_assert_cmpint(simota_sms_deliver_report_encode(&res.report, tpdu, sizeof(tpdu), &tlen), ==,
			SIMOTA_OK);
	ots_engine_deliver_report(r->e, id, false, 0, tpdu, tlen);
}

static void test_pysim(struct rig *r, gconstpointer data)
{
	JsonObject *ex = pysim_exchange(1), *refused = pysim_exchange(2), *res, *rapdu;
	JsonObject *cr = json_object_get_object_member(ex, "compact_response");
	struct me_link_card *c = card_new(r, PYSIM_ICCID);
	JsonNode *op;
	uint64_t id;
	char *ud;

	/* the printed packet has counter 100 (0x64): the server's last one was 99 */
	register_pysim_card(r, "0000000063");
	id = rfm_start(r, "{\"iccid\":\"" PYSIM_ICCID "\",\"tar\":\"b00010\","
		       "\"apdus\":[\"a0a40000027f20\",\"a0c0000016\"]}");
	g_assert_cmpuint(c->captured->len, ==, 1);
	ud = captured_ud(c, 0);
	g_assert_cmpstr(ud, ==, json_object_get_string_member(ex, "command_packet"));
	g_free(ud);
	op = rfm_get(r, id);
	g_assert_cmpstr(op_state(op), ==, "sent");
	json_node_unref(op);

	report_por(r, g_array_index(c->captured_ids, uint32_t, 0),
		   json_object_get_string_member(ex, "por_packet"));
	op = rfm_get(r, id);
	g_assert_cmpstr(op_state(op), ==, "completed");
	res = op_result(op);
	g_assert_cmpint(json_object_get_int_member(res, "por-status"), ==, 0);
	g_assert_cmpstr(json_object_get_string_member(res, "format"), ==, "compact");
	g_assert_cmpint(json_object_get_int_member(res, "executed"), ==,
			json_object_get_int_member(cr, "count"));
	g_assert_cmpint(json_object_get_int_member(res, "commands"), ==, 2);
	g_assert_true(json_object_get_boolean_member(res, "ok"));
	g_assert_cmpstr(json_object_get_string_member(res, "sw"), ==, json_object_get_string_member(cr, "sw"));
	g_assert_cmpstr(json_object_get_string_member(res, "data"), ==,
			json_object_get_string_member(cr, "data"));
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(res, "rapdus")), ==, 1);
	rapdu = json_array_get_object_element(json_object_get_array_member(res, "rapdus"), 0);
	g_assert_cmpint(json_object_get_int_member(rapdu, "index"), ==, 1);   /* GET RESPONSE's */
	g_assert_cmpuint(count_events(op, "queued"), ==, 1);
	g_assert_cmpuint(count_events(op, "script-sent"), ==, 1);
	g_assert_cmpuint(count_events(op, "por-received"), ==, 1);
	g_assert_cmpuint(count_events(op, "rfm-result"), ==, 1);
	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(op), "format"), ==, "compact");
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(json_node_get_object(op),
									   "apdus")), ==, 2);
	json_node_unref(op);

	/* the card's refusal as printed (status 06, plain): the next operation fails with it */
	id = rfm_start(r, "{\"iccid\":\"" PYSIM_ICCID "\",\"tar\":\"b00010\","
		       "\"apdus\":[\"a0a40000027f20\",\"a0c0000016\"]}");
	g_assert_cmpuint(c->captured->len, ==, 2);
	report_por(r, g_array_index(c->captured_ids, uint32_t, 1),
		   json_object_get_string_member(refused, "por_packet"));
	op = rfm_get(r, id);
	g_assert_cmpstr(op_state(op), ==, "failed");
	res = op_result(op);
	g_assert_cmpint(json_object_get_int_member(res, "por-status"), ==, 6);
	g_assert_cmpstr(json_object_get_string_member(res, "por-status-name"), ==,
			"unidentified security error");
	g_assert_nonnull(strstr(json_object_get_string_member(json_node_get_object(op), "why"),
				"PoR status 06"));
	g_assert_cmpuint(count_events(op, "por-error"), ==, 1);
	json_node_unref(op);
	g_assert_cmpuint(server_counter(r, PYSIM_ICCID), ==, 0x65);
	g_assert_true(g_ptr_array_find_with_equal_func(r->events, "rfm-result", g_str_equal, NULL));
}

/* ---- bad input ------------------------------------------------------------------------------ */

static const struct {
	const char *name, *request, *field, *why;
} bad[] = {
	{ "unknown-card", "{\"iccid\":\"89490240009999999999\",\"tar\":\"b00010\",\"apdus\":[\"a0f2000016\"]}",
	  "iccid", "unknown card" },
	{ "no-iccid", "{\"tar\":\"b00010\",\"apdus\":[\"a0f2000016\"]}", "iccid", "expected" },
	{ "tar-not-hex", "{\"iccid\":\"" PYSIM_ICCID "\",\"tar\":\"b0001x\",\"apdus\":[\"a0f2000016\"]}",
	  "tar", "3 bytes" },
	{ "tar-missing", "{\"iccid\":\"" PYSIM_ICCID "\",\"apdus\":[\"a0f2000016\"]}", "tar", "missing" },
	{ "tar-not-held", "{\"iccid\":\"" PYSIM_ICCID "\",\"tar\":\"b00001\",\"apdus\":[\"a0f2000016\"]}",
	  "tar", "has no TAR b00001" },
	{ "tar-deferred", "{\"iccid\":\"" PYSIM_ICCID "\",\"tar\":\"defe01\",\"apdus\":[\"a0f2000016\"]}",
	  "tar", "deferred applet" },
	{ "apdu-not-hex", "{\"iccid\":\"" PYSIM_ICCID "\",\"tar\":\"b00010\",\"apdus\":[\"a0f2000016\",\"a0b0 00 0g\"]}",
	  "apdus[1]", "not hex" },
	{ "apdu-not-string", "{\"iccid\":\"" PYSIM_ICCID "\",\"tar\":\"b00010\",\"apdus\":[7]}",
	  "apdus[0]", "string" },
	{ "apdu-short", "{\"iccid\":\"" PYSIM_ICCID "\",\"tar\":\"b00010\",\"apdus\":[\"a0b0\"]}",
	  "apdus[0]", "header" },
	{ "apdus-empty", "{\"iccid\":\"" PYSIM_ICCID "\",\"tar\":\"b00010\",\"apdus\":[]}",
	  "apdus", "at least one" },
	{ "apdus-missing", "{\"iccid\":\"" PYSIM_ICCID "\",\"tar\":\"b00010\"}", "apdus", "at least one" },
	{ "compact-case", "{\"iccid\":\"" PYSIM_ICCID "\",\"tar\":\"b00010\",\"apdus\":[\"a0b00000020102\"]}",
	  "apdus[0]", "expanded format" },
	{ "format", "{\"iccid\":\"" PYSIM_ICCID "\",\"tar\":\"b00010\",\"format\":\"short\",\"apdus\":[\"a0f2000016\"]}",
	  "format", "compact or expanded" },
	{ "member", "{\"iccid\":\"" PYSIM_ICCID "\",\"tar\":\"b00010\",\"apdu\":[\"a0f2000016\"]}",
	  "apdu", "unknown member" },
	{ "script-line", "{\"iccid\":\"" PYSIM_ICCID "\",\"script\":\"tar b00010\\na0a40000027f20\\nzz\\n\"}",
	  "script", "line 3: not hex" },
	{ "script-empty", "{\"iccid\":\"" PYSIM_ICCID "\",\"script\":\"tar b00010\\n# nothing\\n\"}",
	  "script", "no command" },
	{ "script-and-apdus", "{\"iccid\":\"" PYSIM_ICCID "\",\"script\":\"a0f2000016\",\"apdus\":[\"a0f2000016\"]}",
	  "apdus", "not both" },
	{ "script-tar-differs", "{\"iccid\":\"" PYSIM_ICCID "\",\"tar\":\"b00011\",\"script\":\"tar b00010\\na0f2000016\"}",
	  "tar", "differs" },
};

static void assert_refused(struct rig *r, const char *request, const char *field, const char *why)
{
	JsonNode *n = json(request);
	GError *error = NULL;
	uint64_t id = 0;
	char *f;

	g_assert_false(ots_engine_rfm_start_json(r->e, n, &id, &error));
	g_assert_error(error, OTS_ERROR, OTS_ERROR_INVALID);
	f = ots_error_field(error);
	g_test_message("%s", error->message);
	g_assert_cmpstr(f, ==, field);
	g_assert_nonnull(strstr(error->message, why));
	g_free(f);
	g_error_free(error);
	json_node_unref(n);
}

static void test_bad_input(struct rig *r, gconstpointer data)
{
	struct me_link_card *c = card_new(r, PYSIM_ICCID);
	char *text;

	register_pysim_card(r, "0000000000");
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_message("case %s", bad[i].name);
		assert_refused(r, bad[i].request, bad[i].field, bad[i].why);
	}
	text = rfm_request_too_long(PYSIM_ICCID, "b00010");
	assert_refused(r, text, "apdus", "concatenated SMS carries at most");
	g_free(text);
	/* nothing stored, nothing sent, no counter taken */
	g_assert_cmpuint(count_tx(r), ==, 0);
	g_assert_cmpuint(c->delivers, ==, 0);
	g_assert_cmpuint(server_counter(r, PYSIM_ICCID), ==, 0);
	g_assert_cmpuint(r->events->len, ==, 0);
}

/* A deferred transaction is refused an RFM TAR (its C1 would run as C-APDUs). */
static void test_deferred_refused(struct rig *r, gconstpointer data)
{
	JsonNode *n = json("{\"iccid\":\"" PYSIM_ICCID "\",\"tar\":\"b00010\","
			   "\"action\":\"display-text\",\"text\":\"hello\"}");
	GError *error = NULL;
	uint64_t id;
	char *f;

	card_new(r, PYSIM_ICCID);
	register_pysim_card(r, "0000000000");
	g_assert_false(ots_engine_tx_start_json(r->e, n, &id, &error));
	f = ots_error_field(error);
	g_assert_cmpstr(f, ==, "tar");
	g_free(f);
	g_clear_error(&error);
	json_node_unref(n);
	g_assert_cmpuint(count_tx(r), ==, 0);
}


/* ---- flows against uicc-emu cards with the RFM applet ------------------------------------ */

/* The card i of a test, registered in the server, behind its handset (the user answers at once). */
static struct me_link_card *card_with_handset_spi(struct rig *r, unsigned i, const char *usim_spi)
{
	char iccid[21], msisdn[16];
	struct me_link_card *c;
	GError *error = NULL;
	char *ini, *state;

	g_snprintf(iccid, sizeof(iccid), "8988239000000020%04u", i);
	g_snprintf(msisdn, sizeof(msisdn), "+1555200%04u", i);
	c = card_new(r, iccid);
	ini = write_rfm_card_ini(r->dir, iccid, msisdn, usim_spi);
	state = g_strdup_printf("%s/%s.state", r->dir, iccid);
	g_assert_true(ots_engine_card_import_file(r->e, ini, false, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(me_link_card_handset(c, ini, state, &error));
	g_assert_no_error(error);
	c->me->user.delay_ms = 0;
	g_free(ini);
	g_free(state);
	return c;
}

static struct me_link_card *card_with_handset(struct rig *r, unsigned i)
{
	return card_with_handset_spi(r, i, NULL);
}

/* The request JSON for card c: members, then "iccid". */
static uint64_t rfm_start_on(struct rig *r, struct me_link_card *c, const char *members)
{
	char *text = g_strdup_printf("{%s,\"iccid\":\"%s\"}", members, c->iccid);
	uint64_t id = rfm_start(r, text);

	g_free(text);
	return id;
}

static JsonObject *rapdu(JsonObject *result, unsigned i)
{
	return json_array_get_object_element(json_object_get_array_member(result, "rapdus"), i);
}

static void assert_ok(JsonNode *op)
{
	if (strcmp(op_state(op), "completed") != 0 ||
	    !json_object_get_boolean_member(op_result(op), "ok"))
		dump(op);
	g_assert_cmpstr(op_state(op), ==, "completed");
	g_assert_true(json_object_get_boolean_member(op_result(op), "ok"));
}

/* Every packet reached the card, which took each: the same counter on both sides. */
static void assert_counters_match(struct rig *r, struct me_link_card *c)
{
	g_assert_cmpuint(c->me->counter, ==, server_counter(r, c->iccid));
}

/* TS 102 226 §5.1: pySim's script on the card's SIM RFM: count 2, 90 00, DF_GSM's 22 bytes. */
static void test_flow_compact(struct rig *r, gconstpointer data)
{
	struct me_link_card *c = card_with_handset(r, 1);
	uint64_t id = rfm_start_on(r, c, "\"tar\":\"b00010\",\"apdus\":[\"a0a40000027f20\",\"a0c0000016\"]");
	JsonNode *op = run_until_final(r, id, 5000);
	JsonObject *res;

	assert_ok(op);
	res = op_result(op);
	g_assert_cmpint(json_object_get_int_member(res, "executed"), ==, 2);
	g_assert_cmpstr(json_object_get_string_member(res, "sw"), ==, "9000");
	g_assert_cmpuint(strlen(json_object_get_string_member(res, "data")), ==, 44);
	/* TS 51.011 §9.2.1: the file id of DF_GSM at bytes 5-6 */
	g_assert_true(g_str_has_prefix(json_object_get_string_member(res, "data") + 8, "7f20"));
	g_assert_cmpuint(count_events(op, "script-sent"), ==, 1);
	json_node_unref(op);
	assert_counters_match(r, c);
}

/*
 * TS 102 226 §5.2: an expanded script on the USIM RFM: SELECT EF_SPN, UPDATE
 * BINARY, READ BINARY: three R-APDUs, the last one the new content.
 */
#define SPN_NEW "014f54412053504effffffffffffffffff"   /* "OTA SPN", 17 bytes */
static void test_flow_expanded(struct rig *r, gconstpointer data)
{
	struct me_link_card *c = card_with_handset(r, 2);
	uint64_t id = rfm_start_on(r, c, "\"tar\":\"b00001\",\"format\":\"expanded\",\"apdus\":["
				   "\"00a4000c026f46\",\"00d6000011" SPN_NEW "\",\"00b0000011\"]");
	JsonNode *op = run_until_final(r, id, 5000);
	JsonObject *res;

	assert_ok(op);
	res = op_result(op);
	g_assert_cmpstr(json_object_get_string_member(res, "format"), ==, "expanded");
	g_assert_cmpint(json_object_get_int_member(res, "executed"), ==, 3);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(res, "rapdus")), ==, 3);
	for (unsigned i = 0; i < 3; i++) {
		g_assert_cmpint(json_object_get_int_member(rapdu(res, i), "index"), ==, i);
		g_assert_cmpstr(json_object_get_string_member(rapdu(res, i), "sw"), ==, "9000");
	}
	g_assert_cmpstr(json_object_get_string_member(rapdu(res, 2), "data"), ==, SPN_NEW);
	json_node_unref(op);
	assert_counters_match(r, c);
}

/* TS 102 226 §5.1.2: a failing command is the last one run: completed, ok false, why names it. */
static void test_flow_failing_command(struct rig *r, gconstpointer data)
{
	struct me_link_card *c = card_with_handset(r, 3);
	uint64_t id = rfm_start_on(r, c, "\"tar\":\"b00001\",\"apdus\":[\"00a4000c026f46\","
				   "\"00a4000c026f99\",\"00b0000001\"]");
	JsonNode *op = run_until_final(r, id, 5000);
	JsonObject *res = op_result(op);

	g_assert_cmpstr(op_state(op), ==, "completed");
	g_assert_false(json_object_get_boolean_member(res, "ok"));
	g_assert_cmpint(json_object_get_int_member(res, "executed"), ==, 2);
	g_assert_cmpstr(json_object_get_string_member(res, "sw"), ==, "6a82");
	g_assert_nonnull(strstr(json_object_get_string_member(json_node_get_object(op), "why"),
				"command 2 of 3"));
	json_node_unref(op);
}

/* A script over several SMS (TS 23.040 concatenation): ten UPDATEs then a READ, in 2+ segments. */
static void test_flow_concatenated(struct rig *r, gconstpointer data)
{
	struct me_link_card *c = card_with_handset(r, 4);
	GString *m = g_string_new("\"tar\":\"b00001\",\"apdus\":[\"00a4000c026f46\"");
	JsonNode *op;
	JsonObject *sent;
	uint64_t id;

	for (unsigned i = 0; i < 10; i++)
		g_string_append_printf(m, ",\"00d600001101%02x%030x\"", 0x40 + i, i);
	g_string_append(m, ",\"00b0000011\"]");
	id = rfm_start_on(r, c, m->str);
	op = run_until_final(r, id, 5000);
	assert_ok(op);
	sent = find_event(op, "script-sent", 0);
	g_assert_cmpint(json_object_get_int_member(sent, "segments"), >=, 2);
	g_assert_cmpint(json_object_get_int_member(op_result(op), "executed"), ==, 12);
	/* the last UPDATE's bytes, read back (compact: the last command's data) */
	g_assert_cmpstr(json_object_get_string_member(op_result(op), "data"), ==,
			"0149000000000000000000000000000009");
	json_node_unref(op);
	g_string_free(m, TRUE);
	assert_counters_match(r, c);
}

/* The PoR lost on the link: the packet again with a fresh counter, the card takes both. */
static void test_flow_retry(struct rig *r, gconstpointer data)
{
	struct me_link_card *c = card_with_handset(r, 5);
	JsonNode *op;
	uint64_t id;

	c->drop_reports = 1;
	id = rfm_start_on(r, c, "\"tar\":\"b00010\",\"apdus\":[\"a0a40000027f20\",\"a0c0000016\"]");
	op = run_until_final(r, id, 5000);
	assert_ok(op);
	g_assert_cmpuint(count_events(op, "por-timeout"), ==, 1);
	g_assert_cmpuint(count_events(op, "script-sent"), ==, 2);
	g_assert_cmpstr(json_object_get_string_member(find_event(op, "script-sent", 1), "trigger"), ==, "retry");
	g_assert_cmpstr(json_object_get_string_member(find_event(op, "script-sent", 0), "cntr"), !=,
			json_object_get_string_member(find_event(op, "script-sent", 1), "cntr"));
	g_assert_cmpint(json_object_get_int_member(json_node_get_object(op), "attempts"), ==, 2);
	json_node_unref(op);
	g_assert_cmpuint(c->me->counters->len, ==, 2);
	assert_counters_match(r, c);
}

/* No PoR at all (no device): failed after max_attempts sends, each with its own counter. */
static void test_flow_no_por(struct rig *r, gconstpointer data)
{
	struct me_link_card *c = card_with_handset(r, 6);
	JsonNode *op;
	uint64_t id;

	c->drop_reports = 100;
	id = rfm_start_on(r, c, "\"tar\":\"b00010\",\"apdus\":[\"a0f2000016\"]");
	op = run_until_final(r, id, 5000);
	g_assert_cmpstr(op_state(op), ==, "failed");
	g_assert_cmpuint(count_events(op, "script-sent"), ==, r->max_attempts);
	g_assert_nonnull(strstr(json_object_get_string_member(json_node_get_object(op), "why"),
				"no PoR for script after 3 attempts"));
	g_assert_true(json_object_get_null_member(json_node_get_object(op), "result"));
	json_node_unref(op);
	g_assert_cmpuint(c->me->counters->len, ==, r->max_attempts);
}

/* TS 102 225 §5.2.2: a packet below the TAR's minimum security level: a plain error PoR 0A. */
static void test_flow_error_por(struct rig *r, gconstpointer data)
{
	struct me_link_card *c = card_with_handset(r, 7);
	uint64_t id = rfm_start_on(r, c, "\"tar\":\"b00011\",\"apdus\":[\"a0f2000016\"]");
	JsonNode *op = run_until_final(r, id, 5000);

	g_assert_cmpstr(op_state(op), ==, "failed");
	g_assert_cmpint(json_object_get_int_member(op_result(op), "por-status"), ==, 0x0A);
	g_assert_cmpstr(json_object_get_string_member(op_result(op), "por-status-name"), ==,
			"insufficient security level");
	g_assert_cmpuint(count_events(op, "por-error"), ==, 1);
	g_assert_cmpuint(count_events(op, "script-sent"), ==, 1);
	json_node_unref(op);
	/* the card refused it, as it should: no counter of ours was reused */
	c->me->refusals = 0;
}

/* One session per card: an RFM operation waits behind the card's deferred transaction. */
static void test_flow_serialised(struct rig *r, gconstpointer data)
{
	struct me_link_card *c = card_with_handset(r, 8);
	JsonNode *n = json("{\"iccid\":\"8988239000000020" "0008\",\"tar\":\"defe01\","
			   "\"action\":\"display-text\",\"text\":\"wait\",\"ev\":{\"mg\":false}}");
	GError *error = NULL;
	uint64_t tx, id;
	JsonNode *op, *t;

	c->me->user.delay_ms = ME_SIM_MANUAL;
	g_assert_true(ots_engine_tx_start_json(r->e, n, &tx, &error));
	g_assert_no_error(error);
	json_node_unref(n);
	id = rfm_start_on(r, c, "\"tar\":\"b00010\",\"apdus\":[\"a0f2000016\"]");
	while (!c->me->shown)
		g_main_context_iteration(NULL, TRUE);
	op = rfm_get(r, id);
	g_assert_cmpstr(op_state(op), ==, "queued");
	json_node_unref(op);
	g_assert_true(me_sim_user_answer(c->me));
	op = run_until_final(r, id, 10000);
	assert_ok(op);
	t = ots_engine_tx_get(r->e, tx, NULL);
	g_assert_cmpstr(tx_state(t), ==, "completed");
	/* the deferred transaction was released before the script went */
	g_assert_cmpint(json_object_get_int_member(find_event(t, "released", 0), "seq"), <,
			json_object_get_int_member(find_event(op, "script-sent", 0), "seq"));
	json_node_unref(t);
	json_node_unref(op);
	assert_counters_match(r, c);
}

/* ---- campaigns ------------------------------------------------------------------------------ */

#define SPN_SCRIPT "\"tar\":\"b00001\",\"apdus\":[\"00a4000c026f46\",\"00d6000011" SPN_NEW "\",\"00b0000011\"]"

static uint64_t campaign_start(struct rig *r, const char *request)
{
	JsonNode *n = json(request);
	GError *error = NULL;
	uint64_t id = 0;

	g_assert_true(ots_engine_campaign_start_json(r->e, n, &id, &error));
	g_assert_no_error(error);
	json_node_unref(n);
	return id;
}

static JsonNode *campaign_get(struct rig *r, uint64_t id)
{
	GError *error = NULL;
	JsonNode *n = ots_engine_campaign_get(r->e, id, true, NULL, &error);

	g_assert_no_error(error);
	return n;
}

static int64_t campaign_count(JsonNode *c, const char *name)
{
	return json_object_get_int_member(json_node_get_object(c), name);
}

static bool campaign_ended(void *p)
{
	struct awaited *a = p;
	JsonNode *c = campaign_get(a->r, a->id);
	bool ended = strcmp(op_state(c), "running") != 0;

	json_node_unref(c);
	return ended;
}

/* Runs the main loop until the campaign leaves "running" (at most ms); returns it. */
static JsonNode *run_campaign(struct rig *r, uint64_t id, unsigned ms)
{
	struct awaited a = { .r = r, .id = id };

	me_link_run(campaign_ended, &a, ms);
	return campaign_get(r, id);
}

static bool cards_reached(void *p)
{
	struct awaited *a = p;
	JsonNode *c = campaign_get(a->r, a->id);
	int64_t have = campaign_count(c, a->state);

	json_node_unref(c);
	return have >= a->n;
}

/* Runs the main loop until at least n cards of the campaign are in this state. */
static void run_until_cards(struct rig *r, uint64_t id, const char *state, int64_t n, unsigned ms)
{
	struct awaited a = { .r = r, .id = id, .state = state, .n = n };

	g_assert_true(me_link_run(cards_reached, &a, ms));
}

static JsonObject *card_of(JsonNode *campaign, const char *iccid)
{
	JsonArray *a = json_object_get_array_member(json_node_get_object(campaign), "cards");

	for (unsigned i = 0; i < json_array_get_length(a); i++) {
		JsonObject *c = json_array_get_object_element(a, i);

		if (strcmp(json_object_get_string_member(c, "iccid"), iccid) == 0)
			return c;
	}
	g_assert_not_reached();
}

static unsigned count_kind(struct rig *r, const char *kind)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->events->len; i++)
		n += strcmp(r->events->pdata[i], kind) == 0;
	return n;
}

/* The operations of a campaign on one card, oldest first. */
static JsonNode *ops_of(struct rig *r, uint64_t campaign, const char *iccid)
{
	GError *error = NULL;
	JsonNode *n = ots_engine_rfm_list(r->e, NULL, iccid, campaign, &error);

	g_assert_no_error(error);
	return n;
}

/* Six cards, every one done: its own operation, the new EF_SPN read back. */
static void test_campaign_basic(struct rig *r, gconstpointer data)
{
	struct me_link_card *c[6];
	GString *req = g_string_new("{\"name\":\"spn\"," SPN_SCRIPT ",\"rate\":100,\"iccids\":[");
	JsonNode *camp, *ops;
	uint64_t id;

	for (unsigned i = 0; i < G_N_ELEMENTS(c); i++) {
		c[i] = card_with_handset(r, 10 + i);
		g_string_append_printf(req, "%s\"%s\"", i ? "," : "", c[i]->iccid);
	}
	g_string_append(req, "]}");
	id = campaign_start(r, req->str);
	camp = run_campaign(r, id, 20000);
	g_assert_cmpstr(op_state(camp), ==, "completed");
	g_assert_cmpint(campaign_count(camp, "total"), ==, 6);
	g_assert_cmpint(campaign_count(camp, "done"), ==, 6);
	g_assert_cmpint(campaign_count(camp, "failed"), ==, 0);
	g_assert_false(json_object_get_null_member(json_node_get_object(camp), "finished"));
	for (unsigned i = 0; i < G_N_ELEMENTS(c); i++) {
		JsonObject *card = card_of(camp, c[i]->iccid);
		JsonObject *res = json_object_get_object_member(card, "result");

		g_assert_cmpstr(json_object_get_string_member(card, "state"), ==, "done");
		g_assert_cmpint(json_object_get_int_member(card, "attempts"), ==, 1);
		g_assert_true(json_object_get_boolean_member(res, "ok"));
		g_assert_cmpstr(json_object_get_string_member(res, "data"), ==, SPN_NEW);
		ops = ops_of(r, id, c[i]->iccid);
		g_assert_cmpuint(json_array_get_length(json_node_get_array(ops)), ==, 1);
		json_node_unref(ops);
		assert_counters_match(r, c[i]);
	}
	g_assert_cmpuint(count_kind(r, "campaign-started"), ==, 1);
	g_assert_cmpuint(count_kind(r, "campaign-card"), ==, 12);   /* active, done */
	g_assert_cmpuint(count_kind(r, "campaign-completed"), ==, 1);
	json_node_unref(camp);
	g_string_free(req, TRUE);
}

static int64_t at_us(JsonObject *event)
{
	GDateTime *t = g_date_time_new_from_iso8601(json_object_get_string_member(event, "at"), NULL);
	int64_t v = g_date_time_to_unix(t) * G_USEC_PER_SEC + g_date_time_get_microsecond(t);

	g_date_time_unref(t);
	return v;
}

/* The rate limit: 8 cards at 10 packets/s: their first packets span at least 0.6 s. */
static void test_campaign_rate(struct rig *r, gconstpointer data)
{
	GString *req = g_string_new("{" SPN_SCRIPT ",\"rate\":10,\"iccids\":[");
	int64_t first = G_MAXINT64, last = 0;
	JsonNode *camp;
	uint64_t id;

	for (unsigned i = 0; i < 8; i++)
		g_string_append_printf(req, "%s\"%s\"", i ? "," : "", card_with_handset(r, 20 + i)->iccid);
	g_string_append(req, "]}");
	id = campaign_start(r, req->str);
	camp = run_campaign(r, id, 20000);
	g_assert_cmpint(campaign_count(camp, "done"), ==, 8);
	for (unsigned i = 0; i < 8; i++) {
		JsonObject *card = json_array_get_object_element(json_object_get_array_member(
			json_node_get_object(camp), "cards"), i);
		JsonNode *op = rfm_get(r, (uint64_t)json_object_get_int_member(card, "rfm"));
		int64_t t = at_us(find_event(op, "script-sent", 0));

		first = MIN(first, t);
		last = MAX(last, t);
		json_node_unref(op);
	}
	g_test_message("first packets spread over %" G_GINT64_FORMAT " ms", (last - first) / 1000);
	g_assert_cmpint(last - first, >=, 600000);
	json_node_unref(camp);
	g_string_free(req, TRUE);
}

/*
 * A card no device serves: its operation fails without a PoR, the campaign
 * starts it once more (retries 1), then it is failed with 2 attempts; a
 * card that answered with an error PoR is failed at once (never resent);
 * the others are done.
 */
static void test_campaign_retries(struct rig *r, gconstpointer data)
{
	struct me_link_card *ok = card_with_handset(r, 30), *gone = card_with_handset(r, 31);
	struct me_link_card *low = card_with_handset_spi(r, 32, "0001");   /* below MSL 16: PoR 0A */
	char *req = g_strdup_printf("{" SPN_SCRIPT ",\"rate\":50,\"retries\":1,\"iccids\":[\"%s\",\"%s\",\"%s\"]}",
				    ok->iccid, gone->iccid, low->iccid);
	JsonObject *card;
	JsonNode *camp, *ops;
	uint64_t id;

	gone->detached = true;
	id = campaign_start(r, req);
	camp = run_campaign(r, id, 20000);
	g_assert_cmpstr(op_state(camp), ==, "completed");
	g_assert_cmpint(campaign_count(camp, "done"), ==, 1);
	g_assert_cmpint(campaign_count(camp, "failed"), ==, 2);
	card = card_of(camp, gone->iccid);
	g_assert_cmpstr(json_object_get_string_member(card, "state"), ==, "failed");
	g_assert_cmpint(json_object_get_int_member(card, "attempts"), ==, 2);
	g_assert_nonnull(strstr(json_object_get_string_member(card, "why"), "no PoR"));
	ops = ops_of(r, id, gone->iccid);
	g_assert_cmpuint(json_array_get_length(json_node_get_array(ops)), ==, 2);
	json_node_unref(ops);
	card = card_of(camp, low->iccid);
	g_assert_cmpint(json_object_get_int_member(card, "attempts"), ==, 1);
	g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(card, "result"),
						   "por-status"), ==, 0x0A);
	low->me->refusals = 0;     /* refused on purpose: the MSL */
	g_assert_cmpstr(json_object_get_string_member(card_of(camp, ok->iccid), "state"), ==, "done");
	json_node_unref(camp);
	g_free(req);
}

/*
 * Cancel: the card busy with a deferred transaction has its operation queued
 * (cancelled); a sent one finishes (done); the cards not started are cancelled.
 */
static void test_campaign_cancel(struct rig *r, gconstpointer data)
{
	struct me_link_card *busy = card_with_handset(r, 40), *sent = card_with_handset(r, 41);
	char *text = g_strdup_printf("{\"iccid\":\"%s\",\"tar\":\"defe01\",\"action\":\"display-text\","
				     "\"text\":\"wait\",\"ev\":{\"mg\":false}}", busy->iccid);
	GString *req = g_string_new("{" SPN_SCRIPT ",\"rate\":1,\"iccids\":[");
	JsonNode *n = json(text), *camp, *ops, *op;
	GError *error = NULL;
	uint64_t tx, id;

	busy->me->user.delay_ms = ME_SIM_MANUAL;
	g_assert_true(ots_engine_tx_start_json(r->e, n, &tx, &error));
	g_assert_no_error(error);
	json_node_unref(n);
	g_string_append_printf(req, "\"%s\",\"%s\"", busy->iccid, sent->iccid);
	for (unsigned i = 0; i < 3; i++)
		g_string_append_printf(req, ",\"%s\"", card_with_handset(r, 42 + i)->iccid);
	g_string_append(req, "]}");
	id = campaign_start(r, req->str);
	/* busy's operation waits behind the transaction; then sent's goes and is answered */
	run_until_cards(r, id, "done", 1, 10000);
	g_assert_true(ots_engine_campaign_cancel(r->e, id, &error));
	g_assert_no_error(error);
	g_assert_false(ots_engine_campaign_cancel(r->e, id, &error));
	g_assert_error(error, OTS_ERROR, OTS_ERROR_STATE);
	g_clear_error(&error);
	camp = campaign_get(r, id);
	g_assert_cmpstr(op_state(camp), ==, "cancelled");
	g_assert_cmpint(campaign_count(camp, "done"), ==, 1);
	g_assert_cmpint(campaign_count(camp, "cancelled"), ==, 4);
	g_assert_cmpint(campaign_count(camp, "active"), ==, 0);
	g_assert_cmpstr(json_object_get_string_member(card_of(camp, sent->iccid), "state"), ==, "done");
	ops = ops_of(r, id, busy->iccid);
	op = json_array_get_element(json_node_get_array(ops), 0);
	g_assert_cmpstr(op_state(op), ==, "failed");
	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(op), "why"), ==,
			"campaign cancelled");
	json_node_unref(ops);
	json_node_unref(camp);
	/* the deferred transaction goes on; nothing of the campaign follows it */
	g_assert_true(me_sim_user_answer(busy->me));
	{
		struct awaited a = { .r = r, .id = tx };

		g_assert_true(me_link_run(op_final, &a, 10000));
	}
	ops = ops_of(r, id, busy->iccid);
	g_assert_cmpuint(json_array_get_length(json_node_get_array(ops)), ==, 1);
	json_node_unref(ops);
	g_assert_cmpuint(count_kind(r, "campaign-cancelled"), ==, 1);
	g_assert_cmpuint(count_kind(r, "campaign-completed"), ==, 0);
	g_free(text);
	g_string_free(req, TRUE);
}

/*
 * The engine closed and opened again in the middle of a campaign (some cards
 * done, some active, some pending): it resumes, every card ends done with
 * one operation, and no card done before the restart got the script again.
 */
static void test_campaign_restart(struct rig *r, gconstpointer data)
{
	GString *req = g_string_new("{" SPN_SCRIPT ",\"rate\":8,\"iccids\":[");
	struct me_link_card *c[8];
	JsonNode *camp;
	unsigned envelopes[8];
	uint64_t id;

	for (unsigned i = 0; i < G_N_ELEMENTS(c); i++) {
		c[i] = card_with_handset(r, 50 + i);
		g_string_append_printf(req, "%s\"%s\"", i ? "," : "", c[i]->iccid);
	}
	g_string_append(req, "]}");
	id = campaign_start(r, req->str);
	run_until_cards(r, id, "done", 3, 10000);
	camp = campaign_get(r, id);
	g_assert_cmpint(campaign_count(camp, "pending"), >, 0);
	for (unsigned i = 0; i < G_N_ELEMENTS(c); i++)
		envelopes[i] = strcmp(json_object_get_string_member(card_of(camp, c[i]->iccid), "state"),
				      "done") == 0 ? c[i]->me->envelopes : G_MAXUINT;
	json_node_unref(camp);
	ots_engine_free(r->e);
	engine_open(r);
	camp = run_campaign(r, id, 20000);
	g_assert_cmpstr(op_state(camp), ==, "completed");
	g_assert_cmpint(campaign_count(camp, "done"), ==, 8);
	for (unsigned i = 0; i < G_N_ELEMENTS(c); i++) {
		JsonNode *ops = ops_of(r, id, c[i]->iccid);

		g_assert_cmpuint(json_array_get_length(json_node_get_array(ops)), ==, 1);
		json_node_unref(ops);
		/* a card done before the restart saw no envelope since */
		if (envelopes[i] != G_MAXUINT)
			g_assert_cmpuint(c[i]->me->envelopes, ==, envelopes[i]);
		assert_counters_match(r, c[i]);
	}
	json_node_unref(camp);
	g_string_free(req, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add("/ots-rfm/" name, struct rig, NULL, rig_setup, fn, rig_teardown)
	ADD("pysim-server-path", test_pysim);
	ADD("bad-input", test_bad_input);
	ADD("deferred-refused", test_deferred_refused);
	ADD("flow/compact", test_flow_compact);
	ADD("flow/expanded", test_flow_expanded);
	ADD("flow/failing-command", test_flow_failing_command);
	ADD("flow/concatenated", test_flow_concatenated);
	ADD("flow/retry", test_flow_retry);
	ADD("flow/no-por", test_flow_no_por);
	ADD("flow/error-por", test_flow_error_por);
	ADD("flow/serialised", test_flow_serialised);
	ADD("campaign/basic", test_campaign_basic);
	ADD("campaign/rate", test_campaign_rate);
	ADD("campaign/retries", test_campaign_retries);
	ADD("campaign/cancel", test_campaign_cancel);
	ADD("campaign/restart", test_campaign_restart);
	return g_test_run();
}
