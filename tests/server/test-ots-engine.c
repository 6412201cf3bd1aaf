/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ota-test-server engine tests, in process: the DB layer (file mode,
 * persistence), the card registry, request validation, and the deferred
 * flow against a real uicc-emu card (its OTA entity and deferred applet)
 * behind a handset simulator (me-sim.c: ENVELOPE, GET RESPONSE, FETCH, the
 * user's answers as TERMINAL RESPONSEs, SEND SHORT MESSAGE, DELIVER-REPORT)
 * and an in-process southbound link: every EV rule (MG, RQ, preset, poll,
 * next session) and RQ form of the IR (fixed, indefinite, until MG sent,
 * until next session), PoR by DELIVER-REPORT and by SMS-SUBMIT, R2S
 * "pending", a lost R2S with a repeated C2, a PoR spoilt on the link, the
 * prior-art card that loses R1, per-card serialisation, restarts of the
 * engine.  After every test the card must have refused no packet (no
 * counter reused) and seen its counter only go up.
 */
#include <sys/stat.h>

#include "me-sim.h"
#include "pg-cluster.h"
#include "server-test.h"
#include "simota/cat.h"
#include "cards/registry.h"
#include "db/db.h"
#include "transactions/engine.h"

struct fixture {
	char *dir;
	char *db;
	char *ini, *ini2, *state;
	struct ots_engine *e;
	struct me_sim *me;
	bool device_attached;
	unsigned delivers;
	GPtrArray *sse;          /* event kinds seen by the subscriber */
	/* the link's faults */
	uint64_t tx;             /* the last transaction started */
	unsigned drop_c2_reports;    /* lose the DELIVER-REPORTs that come while tx is c2-sent */
	unsigned corrupt_reports;    /* flip the last byte of reports with a TPDU */
};

struct pending_sms {
	struct fixture *f;
	uint32_t id;
	size_t len;
	uint8_t tpdu[256];
	bool up, report, rp_error;
	uint8_t cause;
};

static gboolean deliver_idle(gpointer p)
{
	struct pending_sms *s = p;
	struct fixture *f = s->f;

	if (!s->up) {
		me_sim_deliver(f->me, s->id, s->tpdu, s->len);
	} else if (s->report) {
		if (f->drop_c2_reports && ots_engine_tx_state(f->e, f->tx) == OTS_TX_C2_SENT) {
			f->drop_c2_reports--;
			g_test_message("link: DELIVER-REPORT of SMS %u lost", s->id);
		} else {
			if (f->corrupt_reports && s->len) {
				f->corrupt_reports--;
				s->tpdu[s->len - 1] ^= 0x5A;
				g_test_message("link: DELIVER-REPORT of SMS %u spoilt", s->id);
			}
			ots_engine_deliver_report(f->e, s->id, s->rp_error, s->cause, s->tpdu, s->len);
		}
	} else {
		ots_engine_submit(f->e, TEST_ICCID, NULL, s->tpdu, s->len);
	}
	g_free(s);
	return G_SOURCE_REMOVE;
}

static struct pending_sms *queue_sms(struct fixture *f, bool up, const uint8_t *tpdu, size_t len)
{
	struct pending_sms *s = g_new0(struct pending_sms, 1);

	g_assert_cmpuint(len, <=, sizeof(s->tpdu));
	s->f = f;
	s->up = up;
	s->len = len;
	if (len)
		memcpy(s->tpdu, tpdu, len);
	g_idle_add(deliver_idle, s);
	return s;
}

static bool sb_send(void *user, const char *iccid, const char *msisdn, uint32_t id,
		    const uint8_t *tpdu, size_t len)
{
	struct fixture *f = user;

	if (!f->device_attached || strcmp(iccid, TEST_ICCID) != 0)
		return false;
	f->delivers++;
	queue_sms(f, false, tpdu, len)->id = id;
	return true;
}

static void up_report(void *user, uint32_t id, bool rp_error, uint8_t cause, const uint8_t *tpdu,
		      size_t len)
{
	struct pending_sms *s = queue_sms(user, true, tpdu, len);

	s->id = id;
	s->report = true;
	s->rp_error = rp_error;
	s->cause = cause;
}

static void up_submit(void *user, const uint8_t *tpdu, size_t len)
{
	queue_sms(user, true, tpdu, len);
}

static void on_event(const struct ots_event *ev, void *user)
{
	struct fixture *f = user;

	g_ptr_array_add(f->sse, g_strdup(ev->kind));
}

static void engine_open(struct fixture *f)
{
	struct ots_engine_config cfg = {
		.db_path = f->db, .por_timeout_ms = 400, .backoff_initial_ms = 100,
		.backoff_max_ms = 400, .max_attempts = 4,
	};
	struct ots_southbound sb = { .send_deliver = sb_send, .user = f };
	GError *error = NULL;

	f->e = ots_engine_new(&cfg, &error);
	g_assert_no_error(error);
	ots_engine_set_southbound(f->e, &sb);
	ots_engine_subscribe(f->e, on_event, f);
}

static void setup(struct fixture *f, gconstpointer data)
{
	struct me_sim_uplink up = { .report = up_report, .submit = up_submit, .user = f };
	GError *error = NULL;

	f->dir = g_dir_make_tmp("ots-test-XXXXXX", &error);
	g_assert_no_error(error);
	f->db = test_db_target(f->dir, "server.db");
	if (data) {
		/* the test's own card */
		f->ini = g_build_filename(f->dir, "card.ini", NULL);
		g_assert_true(g_file_set_contents_full(f->ini, data, -1, G_FILE_SET_CONTENTS_NONE,
						       0600, NULL));
	} else {
		f->ini = write_flow_card_ini(f->dir, "card.ini", TEST_ICCID, "+15550001");
	}
	f->ini2 = write_card_ini(f->dir, "card2.ini", TEST_ICCID2, "+15550002");
	f->state = g_build_filename(f->dir, "card.state", NULL);
	f->sse = g_ptr_array_new_with_free_func(g_free);
	f->device_attached = true;
	engine_open(f);
	g_assert_true(ots_engine_card_import_file(f->e, f->ini, false, NULL, &error));
	g_assert_no_error(error);
	f->me = me_sim_new(f->ini, f->state, &up, &error);
	g_assert_no_error(error);
}

/* The server's counter of keyset 1 (the last one it used). */
static uint64_t server_counter(struct fixture *f)
{
	JsonNode *n = ots_engine_card_show(f->e, TEST_ICCID, NULL);
	JsonObject *ks = json_array_get_object_element(json_object_get_array_member(
		json_node_get_object(n), "keysets"), 0);
	uint64_t v = g_ascii_strtoull(json_object_get_string_member(ks, "counter"), NULL, 16);

	json_node_unref(n);
	return v;
}

static void teardown(struct fixture *f, gconstpointer data)
{
	char *cmd;

	/* the card's side: nothing refused (a reused counter would be), counters only went up,
	 * and never past what the server used */
	g_assert_cmpuint(f->me->refusals, ==, 0);
	g_assert_true(me_sim_counters_increasing(f->me));
	g_assert_cmpuint(f->me->counter, <=, server_counter(f));
	ots_engine_free(f->e);
	me_sim_free(f->me);
	/* drain idles that still point at the fixture */
	while (g_main_context_iteration(NULL, FALSE))
		;
	cmd = g_strdup_printf("rm -rf '%s'", f->dir);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(cmd);
	g_free(f->dir);
	g_free(f->db);
	g_free(f->ini);
	g_free(f->ini2);
	g_free(f->state);
	g_ptr_array_free(f->sse, TRUE);
}

static uint64_t start(struct fixture *f, const char *json)
{
	JsonNode *n = json_from_string(json, NULL);
	GError *error = NULL;
	uint64_t id = 0;

	g_assert_nonnull(n);
	g_assert_true(ots_engine_tx_start_json(f->e, n, &id, &error));
	g_assert_no_error(error);
	json_node_unref(n);
	f->tx = id;
	return id;
}

/* Runs the main loop until the transaction is final (or in `state`), at most ms. */
static JsonNode *run_until(struct fixture *f, uint64_t id, const char *state, unsigned ms)
{
	int64_t end = g_get_monotonic_time() + (int64_t)ms * 1000;
	JsonNode *tx;

	for (;;) {
		int s = ots_engine_tx_state(f->e, id);

		if (state ? s >= 0 && strcmp(ots_tx_state_name(s), state) == 0 :
		    ots_tx_state_is_final(s))
			break;
		if (g_get_monotonic_time() > end)
			break;
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(2000);
	}
	tx = ots_engine_tx_get(f->e, id, NULL);
	g_assert_nonnull(tx);
	return tx;
}

/* Runs the main loop for ms. */
static void run_for(unsigned ms)
{
	int64_t end = g_get_monotonic_time() + (int64_t)ms * 1000;

	while (g_get_monotonic_time() < end)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(2000);
}

static void dump(JsonNode *tx)
{
	char *s = json_to_string(tx, TRUE);

	g_test_message("%s", s);
	g_free(s);
}

static void assert_completed(JsonNode *tx)
{
	if (strcmp(tx_state(tx), "completed") != 0)
		dump(tx);
	g_assert_cmpstr(tx_state(tx), ==, "completed");
	g_assert_cmpuint(count_events(tx, "r1-delivered"), ==, 1);
	g_assert_cmpuint(count_events(tx, "released"), ==, 1);
}

static const char *c2_trigger(JsonNode *tx, unsigned nth)
{
	JsonObject *o = find_event(tx, "c2-sent", nth);

	return o ? json_object_get_string_member(o, "trigger") : NULL;
}

static JsonObject *result_of(JsonNode *tx)
{
	return json_object_get_object_member(json_node_get_object(tx), "result");
}

static JsonObject *ir_rq(JsonNode *tx)
{
	JsonObject *ir = find_event(tx, "ir-received", 0);

	g_assert_nonnull(ir);
	return json_object_get_object_member(ir, "rq");
}

/* Every command the server sent reached the card, which accepted each: same counter. */
static void assert_counters_match(struct fixture *f)
{
	g_assert_cmpuint(f->me->counter, ==, server_counter(f));
	g_assert_cmpuint(f->me->counters->len, ==, f->me->counter);
}

static void test_db_mode(void)
{
	if (pg_cluster_wanted()) {
		g_test_skip("the file mode check is SQLite's (OTS_TEST_DB=postgresql)");
		return;
	}
	char *dir = g_dir_make_tmp("ots-test-XXXXXX", NULL);
	char *db = g_build_filename(dir, "x.db", NULL);
	struct ots_engine_config cfg = { .db_path = db };
	struct ots_engine *e;
	GError *error = NULL;
	struct stat st;

	e = ots_engine_new(&cfg, &error);
	g_assert_no_error(error);
	ots_engine_free(e);
	g_assert_cmpint(stat(db, &st), ==, 0);
	g_assert_cmphex(st.st_mode & 0777, ==, 0600);

	g_assert_cmpint(chmod(db, 0644), ==, 0);
	e = ots_engine_new(&cfg, &error);
	g_assert_null(e);
	g_assert_error(error, OTS_ERROR, OTS_ERROR_INSECURE);
	g_assert_nonnull(strstr(error->message, "chmod 600"));
	g_clear_error(&error);
	g_assert_cmpint(chmod(db, 0600), ==, 0);
	e = ots_engine_new(&cfg, &error);
	g_assert_no_error(error);
	ots_engine_free(e);
	g_unlink(db);
	for (const char *const *suffix = (const char *const[]){ "-wal", "-shm", NULL }; *suffix;
	     suffix++) {
		char *p = g_strconcat(db, *suffix, NULL);

		g_remove(p);
		g_free(p);
	}
	g_rmdir(dir);
	g_free(db);
	g_free(dir);
}

static void assert_invalid(GError **error, const char *field)
{
	char *got = ots_error_field(*error);

	g_assert_error(*error, OTS_ERROR, OTS_ERROR_INVALID);
	g_assert_cmpstr(got, ==, field);
	g_free(got);
	g_clear_error(error);
}

/* As assert_invalid, and the message says why. */
static void assert_invalid_why(GError **error, const char *field, const char *why)
{
	g_assert_nonnull(*error);
	if (!strstr((*error)->message, why))
		g_error("\"%s\" lacks \"%s\"", (*error)->message, why);
	assert_invalid(error, field);
}

#define WEAK_KID "11223344556677881122334455667788"   /* 3DES 2 keys, K1 = K2: single DES */

/*
 * Issue 9 defect 5: the API's JSON import and the file import run the same
 * lib checks: an applet uicc-emu does not provide and a 3DES key that
 * degenerates to single DES are refused by both; an applet of ours on a
 * reserved TAR is a warning of both.
 */
static void test_import_checks(struct fixture *f, gconstpointer data)
{
	static const char file_head[] = "[card]\niccid=8988239000000000003\nimsi=001010123456789\n"
		"[keyset 1]\nkic=15\nkid=15\n";
	GError *error = NULL;
	struct simota_card_config *cfg;
	JsonNode *n;
	char *text;

	n = json_from_string("{\"iccid\":\"8988239000000000003\",\"keysets\":[{\"kvn\":1,\"kic\":\"15\","
			     "\"kid\":\"15\",\"kid-key\":\"" WEAK_KID "\"}]}", NULL);
	g_assert_false(ots_engine_card_add_json(f->e, n, false, &error));
	assert_invalid_why(&error, "keysets[0].kid-key", "3des2-cbc-mac key degenerates to single DES");
	json_node_unref(n);
	text = g_strconcat(file_head, "kid-key=" WEAK_KID "\n", NULL);
	g_assert_false(ots_engine_card_import_data(f->e, text, strlen(text), false, NULL, &error));
	g_assert_null(strstr(error->message, WEAK_KID));
	assert_invalid_why(&error, "file", "[keyset 1] kid-key: 3des2-cbc-mac key degenerates to single DES");
	g_free(text);

	n = json_from_string("{\"iccid\":\"8988239000000000003\",\"keysets\":[{\"kvn\":1,\"kic\":\"15\","
			     "\"kid\":\"15\"}],\"tars\":[{\"tar\":\"000000\",\"spi\":\"1619\",\"applet\":\"ram\"}]}",
			     NULL);
	g_assert_false(ots_engine_card_add_json(f->e, n, false, &error));
	assert_invalid_why(&error, "tars[0].applet", "unknown applet \"ram\"");
	json_node_unref(n);
	text = g_strconcat(file_head, "[tar 000000]\napplet=ram\nmin-security-level=16\nspi=1619\n", NULL);
	g_assert_false(ots_engine_card_import_data(f->e, text, strlen(text), false, NULL, &error));
	assert_invalid_why(&error, "file", "[tar 000000] applet: unknown applet \"ram\"");
	g_free(text);

	n = json_from_string("{\"iccid\":\"8988239000000000003\",\"keysets\":[{\"kvn\":1,\"kic\":\"15\","
			     "\"kid\":\"15\"}],\"tars\":[{\"tar\":\"b00001\",\"spi\":\"1619\"},"
			     "{\"tar\":\"defe01\",\"spi\":\"1619\"}]}", NULL);
	cfg = ots_registry_config_from_json(n, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(cfg->warnings->len, ==, 1);
	g_assert_true(g_str_has_prefix(cfg->warnings->pdata[0], "tars[0].applet: deferred is an applet of ours, "
				       "but TS 101 220 Annex D gives TAR b00001 to USIM RFM"));
	simota_card_config_free(cfg);
	json_node_unref(n);
}

static void test_registry(struct fixture *f, gconstpointer data)
{
	GError *error = NULL;
	JsonNode *n, *bad;
	char *text, *iccid = NULL;
	bool more;

	/* keys never come out */
	n = ots_engine_card_show(f->e, TEST_ICCID, &error);
	g_assert_no_error(error);
	text = json_to_string(n, FALSE);
	g_assert_null(strstr(text, "0123456789abcdef"));
	g_assert_null(strstr(text, "1122334455667788"));
	g_assert_nonnull(strstr(text, "\"kic-algorithm\":\"3des2-cbc\""));
	g_assert_nonnull(strstr(text, "\"spi\":\"1639\""));
	g_free(text);
	json_node_unref(n);

	g_assert_false(ots_engine_card_import_file(f->e, f->ini, false, NULL, &error));
	g_assert_error(error, OTS_ERROR, OTS_ERROR_EXISTS);
	g_clear_error(&error);
	g_assert_true(ots_engine_card_import_file(f->e, f->ini2, false, &iccid, &error));
	g_assert_cmpstr(iccid, ==, TEST_ICCID2);
	g_free(iccid);

	n = ots_engine_card_list(f->e, NULL, 10, &more, &error);
	g_assert_cmpuint(json_array_get_length(json_node_get_array(n)), ==, 2);
	g_assert_false(more);
	json_node_unref(n);

	bad = json_from_string("{\"iccid\":\"8988239000000000003\",\"keysets\":[{\"kvn\":1,"
			       "\"kic\":\"15\",\"kid\":\"15\",\"kic-key\":\"0011\"}]}", NULL);
	g_assert_false(ots_engine_card_add_json(f->e, bad, false, &error));
	assert_invalid(&error, "keysets[0].kic-key");
	json_node_unref(bad);
	bad = json_from_string("{\"iccid\":\"12\"}", NULL);
	g_assert_false(ots_engine_card_add_json(f->e, bad, false, &error));
	assert_invalid(&error, "iccid");
	json_node_unref(bad);
	bad = json_from_string("{\"iccid\":\"8988239000000000003\",\"tars\":[{\"tar\":\"defe01\","
			       "\"spi\":\"1619\",\"keysets\":[3]}]}", NULL);
	g_assert_false(ots_engine_card_add_json(f->e, bad, false, &error));
	assert_invalid(&error, "tars[0].keysets");
	json_node_unref(bad);
	bad = json_from_string("{\"iccid\":\"8988239000000000003\",\"msisdn\":\"+1555\","
			       "\"keysets\":[{\"kvn\":2,\"kic\":\"22\",\"kid\":\"22\","
			       "\"kic-key\":\"000102030405060708090a0b0c0d0e0f\"}],"
			       "\"tars\":[{\"tar\":\"defe01\",\"spi\":\"1619\"}]}", NULL);
	g_assert_true(ots_engine_card_add_json(f->e, bad, false, &error));
	g_assert_no_error(error);
	json_node_unref(bad);
	g_assert_true(ots_engine_card_remove(f->e, "8988239000000000003", &error));
	g_assert_false(ots_engine_card_remove(f->e, "8988239000000000003", &error));
	g_assert_error(error, OTS_ERROR, OTS_ERROR_NOT_FOUND);
	g_clear_error(&error);

	g_assert_false(ots_engine_card_import_data(f->e, "[card]\niccid=1\n", 15, false, NULL, &error));
	assert_invalid(&error, "file");
}

/* A card of the listing test: two keysets (given out of order), two TARs (pos order, not TAR order). */
#define LISTED_CARD(n) \
	"{\"iccid\":\"8988239000000000090" #n "\",\"msisdn\":\"+155500900" #n "\",\"link\":\"smpp\"," \
	"\"keysets\":[{\"kvn\":2,\"kic\":\"25\",\"kid\":\"25\",\"counter\":\"000000002" #n "\"," \
	"\"kid-key\":\"0f1e2d3c4b5a69788796a5b4c3d2e1f0\"},{\"kvn\":1,\"kic\":\"15\",\"kid\":\"15\"," \
	"\"kic-key\":\"00112233445566778899aabbccddeeff\",\"kid-key\":\"0f1e2d3c4b5a69788796a5b4c3d2e1f0\"}]," \
	"\"tars\":[{\"tar\":\"defe02\",\"spi\":\"1619\",\"keysets\":[2]},{\"tar\":\"defe01\",\"spi\":\"1619\"," \
	"\"mg-address\":\"+15550100\",\"min-security-level\":\"16\"}]}"

/*
 * GET /v1/cards at the engine: pages in ICCID order, every card once, each
 * as ots_engine_card_show() gives it (keysets with their counters, TARs in
 * their order, read in three statements a page), and none left in the
 * registry's cache by the listing: a million cards listed would stay there.
 */
static void test_card_list_pages(struct fixture *f, gconstpointer data)
{
	JsonNode *batch = json_from_string("[" LISTED_CARD(1) "," LISTED_CARD(2) ","
					   "{\"iccid\":\"89882390000000000903\"}," LISTED_CARD(4) ","
					   LISTED_CARD(5) "]", NULL);
	GPtrArray *listed = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
	struct ots_engine_stats st;
	GError *error = NULL;
	uint64_t cached;
	char *after = NULL;
	unsigned pages = 0;
	bool more = true;
	JsonNode *n;

	g_assert_true(ots_engine_card_add_json_all(f->e, json_node_get_array(batch), false, &error));
	g_assert_no_error(error);
	json_node_unref(batch);
	/* a card in the cache already is listed as the others */
	json_node_unref(ots_engine_card_show(f->e, TEST_ICCID, &error));
	ots_engine_get_stats(f->e, &st);
	cached = st.cards_cached;
	g_assert_cmpuint(cached, >=, 1);
	g_assert_cmpuint(st.cards, ==, 6);

	/* six cards, two a page: three pages, the last one full and yet the last */
	while (more) {
		JsonArray *a;

		n = ots_engine_card_list(f->e, after, 2, &more, &error);
		g_assert_no_error(error);
		a = json_node_get_array(n);
		g_assert_cmpuint(json_array_get_length(a), ==, 2);
		for (guint i = 0; i < json_array_get_length(a); i++)
			g_ptr_array_add(listed, json_array_dup_element(a, i));
		g_free(after);
		after = g_strdup(json_object_get_string_member(json_array_get_object_element(a, 1),
							       "iccid"));
		json_node_unref(n);
		pages++;
	}
	g_assert_cmpuint(pages, ==, 3);
	ots_engine_get_stats(f->e, &st);
	g_assert_cmpuint(st.cards_cached, ==, cached);

	/* nothing after the last; exactly as many as asked: no more */
	n = ots_engine_card_list(f->e, after, 2, &more, &error);
	g_assert_cmpuint(json_array_get_length(json_node_get_array(n)), ==, 0);
	g_assert_false(more);
	json_node_unref(n);
	n = ots_engine_card_list(f->e, NULL, 6, &more, &error);
	g_assert_false(more);
	json_node_unref(n);
	n = ots_engine_card_list(f->e, NULL, 5, &more, &error);
	g_assert_true(more);
	json_node_unref(n);

	for (guint i = 0; i < listed->len; i++) {
		JsonObject *o = json_node_get_object(listed->pdata[i]);
		const char *iccid = json_object_get_string_member(o, "iccid");
		JsonNode *shown = ots_engine_card_show(f->e, iccid, &error);
		char *a = json_to_string(listed->pdata[i], FALSE), *b = json_to_string(shown, FALSE);

		g_assert_no_error(error);
		if (i > 0)
			g_assert_cmpstr(json_object_get_string_member(json_node_get_object(
				listed->pdata[i - 1]), "iccid"), <, iccid);
		g_assert_cmpstr(a, ==, b);
		g_free(a);
		g_free(b);
		json_node_unref(shown);
	}
	/* what the cards were given: counters, key presence, TARs in their order */
	n = listed->pdata[2];
	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(n), "iccid"), ==,
			"89882390000000000902");
	{
		char *text = json_to_string(n, FALSE);

		g_assert_nonnull(strstr(text, "\"kvn\":1,"));
		g_assert_cmpuint(strstr(text, "\"kvn\":1,") - text, <, strstr(text, "\"kvn\":2,") - text);
		g_assert_nonnull(strstr(text, "\"kic-key\":false,\"kid-key\":true,\"counter\":\"0000000022\""));
		g_assert_cmpuint(strstr(text, "defe02") - text, <, strstr(text, "defe01") - text);
		g_assert_nonnull(strstr(text, "\"link\":\"smpp\""));
		g_assert_null(strstr(text, "0f1e2d3c"));
		g_free(text);
	}
	g_ptr_array_unref(listed);
	g_free(after);
}

static void test_validation(struct fixture *f, gconstpointer data)
{
	static const struct { const char *json; const char *field; int code; } cases[] = {
		{ "[]", "body", OTS_ERROR_INVALID },
		{ "{\"action\":\"display-text\",\"text\":\"x\"}", "iccid", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"dance\",\"text\":\"x\"}", "action", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"display-text\"}", "text", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"display-text\",\"text\":7}", "text", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"select-item\"}", "items", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"select-item\",\"items\":[\"a\",3]}", "items[1]", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"select-item\",\"items\":[\"a\",\"\"]}", "items[1]", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"display-text\",\"text\":\"x\",\"items\":[\"a\"]}", "items", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"select-item\",\"items\":[\"a\",\"b\"],\"default-item\":3}", "default-item", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"select-item\",\"items\":[\"a\",\"b\"],\"default-item\":0}", "default-item", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"select-item\",\"items\":[\"a\",\"b\"],\"default-item\":\"1\"}", "default-item", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"select-item\",\"items\":[\"a\",\"b\"],\"default-item\":1.5}", "default-item", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"yes-no\",\"text\":\"x\",\"default-item\":1}", "default-item", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"get-input\",\"text\":\"x\",\"input\":{\"min\":5,\"max\":2}}", "input.max", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"display-text\",\"text\":\"x\",\"ev\":{\"wanted\":{\"form\":\"soon\"}}}", "ev.wanted.form", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"display-text\",\"text\":\"x\",\"ev\":{\"preset-ms\":-1}}", "ev.preset-ms", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"display-text\",\"text\":\"x\",\"ev\":{\"mg\":\"yes\"}}", "ev.mg", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"display-text\",\"text\":\"x\",\"ev\":{\"mg\":false,\"wanted\":{\"form\":\"until-mg\"}}}", "ev.wanted", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"display-text\",\"text\":\"x\",\"tar\":\"b0\"}", "tar", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"display-text\",\"text\":\"x\",\"tar\":\"c00001\"}", "tar", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"display-text\",\"text\":\"x\",\"colour\":1}", "colour", OTS_ERROR_INVALID },
		{ "{\"iccid\":\"89000000000000000000\",\"action\":\"display-text\",\"text\":\"x\"}", NULL, OTS_ERROR_NOT_FOUND },
	};
	GError *error = NULL;
	uint64_t id;
	bool more;

	for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
		JsonNode *n = json_from_string(cases[i].json, NULL);

		g_test_message("case %u: %s", i, cases[i].json);
		g_assert_false(ots_engine_tx_start_json(f->e, n, &id, &error));
		g_assert_error(error, OTS_ERROR, cases[i].code);
		if (cases[i].field)
			assert_invalid(&error, cases[i].field);
		g_clear_error(&error);
		json_node_unref(n);
	}
	g_assert_null(ots_engine_tx_list(f->e, &(struct ots_tx_filter){ .state = "sleeping", .limit = 1 },
					 &more, &error));
	assert_invalid(&error, "state");
	g_assert_false(ots_engine_tx_poll(f->e, 999, &error));
	g_assert_error(error, OTS_ERROR, OTS_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_null(ots_engine_tx_get(f->e, 999, &error));
	g_assert_error(error, OTS_ERROR, OTS_ERROR_NOT_FOUND);
	g_clear_error(&error);
}

/* ---- flows ----------------------------------------------------------------------- */

#define TX(tar, action) "{\"iccid\":\"" TEST_ICCID "\",\"tar\":\"" tar "\",\"action\":\"" action "\""
#define DISPLAY(tar) TX(tar, "display-text") ",\"text\":\"Pay 25 € to ACME?\""

/* EV "rq": the IR's fixed duration elapsed (no MG: the C1 carries no SV1 address) */
static void test_flow_rq_fixed(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	id = start(f, DISPLAY(TAR_FIXED) ",\"ev\":{\"mg\":false}}");
	tx = run_until(f, id, NULL, 5000);
	assert_completed(tx);
	g_assert_cmpstr(c2_trigger(tx, 0), ==, "rq");
	g_assert_cmpuint(count_events(tx, "c1-sent"), ==, 1);
	g_assert_cmpuint(count_events(tx, "c2-sent"), ==, 1);
	g_assert_cmpuint(count_events(tx, "ir-received"), ==, 1);
	g_assert_cmpstr(json_object_get_string_member(ir_rq(tx), "form"), ==, "fixed");
	g_assert_cmpint(json_object_get_int_member(ir_rq(tx), "seconds"), ==, 1);
	g_assert_cmpint(json_object_get_int_member(result_of(tx), "general"), ==, 0);
	g_assert_cmpstr(json_object_get_string_member(find_event(tx, "por-received", 0), "via"), ==,
			"deliver-report");
	/* the handset showed the text, the user confirmed; no MG was sent */
	g_assert_cmpuint(f->me->shown, ==, 1);
	g_assert_cmphex(f->me->shown_type, ==, SIMOTA_CAT_DISPLAY_TEXT);
	g_assert_cmpstr(f->me->shown_text, ==, "Pay 25 € to ACME?");
	g_assert_cmpuint(f->me->submits, ==, 0);
	g_assert_cmpuint(count_events(tx, "mg-received"), ==, 0);
	/* the release reached the card */
	g_assert_cmpstr(json_object_get_string_member(find_event(tx, "r2s-received", 1), "state"), ==,
			"released");
	/* C1, C2, release: three packets, three counters, all accepted */
	assert_counters_match(f);
	g_assert_cmpuint(f->me->counters->len, ==, 3);
	/* subscribers saw every committed event, in order */
	g_assert_cmpstr(f->sse->pdata[0], ==, "queued");
	g_assert_cmpstr(f->sse->pdata[f->sse->len - 1], ==, "released");
	json_node_unref(tx);
}

/*
 * The PoR in a DELIVER-REPORT whose TP-UDHI is 1 (ours: the data starts with its 027100
 * header) or 0 (Android's, first octet 00 always): the server takes both
 * (doc/wire-formats.md, "TP-UDHI of the DELIVER-REPORT").
 */
static void flow_por_udhi(struct fixture *f, bool android)
{
	uint64_t id;
	JsonNode *tx;

	f->me->android_report = android;
	id = start(f, DISPLAY(TAR_FIXED) ",\"ev\":{\"mg\":false}}");
	tx = run_until(f, id, NULL, 5000);
	assert_completed(tx);
	g_assert_cmpstr(json_object_get_string_member(find_event(tx, "por-received", 0), "via"), ==,
			"deliver-report");
	g_assert_cmpuint(count_events(tx, "ir-received"), ==, 1);
	g_assert_cmpuint(count_events(tx, "r2s-received"), ==, 2);
	/* C1, C2 and release, each answered by a PoR in a DELIVER-REPORT of that TP-UDHI */
	g_assert_cmpuint(f->me->reports, ==, 3);
	g_assert_cmpuint(f->me->reports_udhi, ==, android ? 0 : 3);
	assert_counters_match(f);
	json_node_unref(tx);
}

static void test_flow_por_udhi_1(struct fixture *f, gconstpointer data)
{
	flow_por_udhi(f, false);
}

static void test_flow_por_udhi_0(struct fixture *f, gconstpointer data)
{
	flow_por_udhi(f, true);
}

/* EV "mg": the card's MG (RQ until MG sent, with the time the C1 wanted) */
static void test_flow_mg(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	id = start(f, DISPLAY(TAR_UNTIL_MG) ",\"ev\":{\"wanted\":{\"form\":\"until-mg\",\"seconds\":3600}}}");
	tx = run_until(f, id, NULL, 3000);
	assert_completed(tx);
	g_assert_cmpstr(json_object_get_string_member(ir_rq(tx), "form"), ==, "until-event");
	g_assert_cmpstr(json_object_get_string_member(ir_rq(tx), "event"), ==, "mg-sent");
	g_assert_cmpint(json_object_get_int_member(ir_rq(tx), "seconds"), ==, 3600);
	g_assert_cmpuint(count_events(tx, "mg-received"), ==, 1);
	g_assert_cmpstr(c2_trigger(tx, 0), ==, "mg");
	g_assert_cmpuint(count_events(tx, "c2-sent"), ==, 1);
	g_assert_cmpuint(f->me->submits, ==, 1);          /* the MG, by SEND SHORT MESSAGE */
	assert_counters_match(f);
	json_node_unref(tx);
}

/* EV "preset": no MG, an RQ without a bound (until next session) */
static void test_flow_preset(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	id = start(f, DISPLAY(TAR_NEXT) ",\"ev\":{\"mg\":false,\"preset-ms\":300}}");
	tx = run_until(f, id, NULL, 3000);
	assert_completed(tx);
	g_assert_cmpstr(json_object_get_string_member(ir_rq(tx), "form"), ==, "until-event");
	g_assert_cmpstr(json_object_get_string_member(ir_rq(tx), "event"), ==, "next-session");
	g_assert_cmpstr(c2_trigger(tx, 0), ==, "preset");
	g_assert_cmpuint(f->me->submits, ==, 0);
	json_node_unref(tx);
}

/* RQ "until next session": the card's next transaction fetches the waiting one's R2S */
static void test_flow_next_session(struct fixture *f, gconstpointer data)
{
	uint64_t a, b;
	JsonNode *ta, *tb;

	a = start(f, DISPLAY(TAR_NEXT) ",\"ev\":{\"mg\":false,\"preset-ms\":60000}}");
	ta = run_until(f, a, "waiting", 3000);
	g_assert_cmpstr(tx_state(ta), ==, "waiting");
	json_node_unref(ta);
	run_for(200);        /* the user answers */
	b = start(f, DISPLAY(TAR_UNTIL_MG) "}");
	tb = run_until(f, b, NULL, 5000);
	ta = ots_engine_tx_get(f->e, a, NULL);
	assert_completed(ta);
	assert_completed(tb);
	g_assert_cmpstr(c2_trigger(ta, 0), ==, "next-session");
	g_assert_cmpstr(c2_trigger(tb, 0), ==, "mg");
	g_assert_cmpuint(f->me->shown, ==, 2);
	assert_counters_match(f);
	json_node_unref(ta);
	json_node_unref(tb);
}

/* RQ indefinite: the preset does not apply; only an MG or an explicit poll sends C2 */
static void test_flow_indefinite_poll(struct fixture *f, gconstpointer data)
{
	GError *error = NULL;
	uint64_t id;
	JsonNode *tx;

	id = start(f, DISPLAY(TAR_INDEFINITE) ",\"ev\":{\"mg\":false,\"preset-ms\":100}}");
	tx = run_until(f, id, "completed", 800);
	g_assert_cmpstr(tx_state(tx), ==, "waiting");
	g_assert_cmpstr(json_object_get_string_member(ir_rq(tx), "form"), ==, "indefinite");
	g_assert_cmpuint(count_events(tx, "c2-sent"), ==, 0);
	json_node_unref(tx);
	g_assert_true(ots_engine_tx_poll(f->e, id, &error));
	g_assert_no_error(error);
	tx = run_until(f, id, NULL, 3000);
	assert_completed(tx);
	g_assert_cmpstr(c2_trigger(tx, 0), ==, "poll");
	g_assert_false(ots_engine_tx_poll(f->e, id, &error));
	g_assert_error(error, OTS_ERROR, OTS_ERROR_STATE);
	g_clear_error(&error);
	json_node_unref(tx);
}

/* Indefinite RQ with an MG; SELECT ITEM */
static void test_flow_indefinite_mg(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	f->me->user.item = 2;
	id = start(f, TX(TAR_INDEFINITE, "select-item") ",\"text\":\"Delivery\","
		   "\"items\":[\"Home\",\"Office\",\"Locker\"]}");
	tx = run_until(f, id, NULL, 3000);
	assert_completed(tx);
	g_assert_cmpstr(json_object_get_string_member(ir_rq(tx), "form"), ==, "indefinite");
	g_assert_cmpstr(c2_trigger(tx, 0), ==, "mg");
	g_assert_cmpint(json_object_get_int_member(result_of(tx), "item"), ==, 2);
	g_assert_cmphex(f->me->shown_type, ==, SIMOTA_CAT_SELECT_ITEM);
	g_assert_cmpstr(f->me->shown_text, ==, "Delivery");
	g_assert_cmpuint(f->me->shown_items, ==, 3);
	json_node_unref(tx);
}

/* Starts a transaction while the card is unreachable (it stays c1-sent), then stops the engine. */
static uint64_t start_and_stop(struct fixture *f, const char *json)
{
	uint64_t id;

	f->device_attached = false;
	id = start(f, json);
	ots_engine_free(f->e);
	return id;
}

/* Starts the engine again (it resumes from the database) and brings the card's device up. */
static void resume_attached(struct fixture *f)
{
	engine_open(f);
	f->device_attached = true;
	ots_engine_device_attached(f->e, TEST_ICCID, NULL);
}

/*
 * A default item (C1 element 8D): stored with the request, so a C1 sent
 * after a restart of the engine still carries it; the SELECT ITEM offers it
 * and the user's OK takes it (R1 item 2).
 */
static void test_flow_default_item(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	id = start_and_stop(f, TX(TAR_INDEFINITE, "select-item") ",\"text\":\"Pay with?\","
			    "\"items\":[\"Card\",\"Bank transfer\",\"Cash\"],\"default-item\":2}");
	resume_attached(f);
	tx = run_until(f, id, NULL, 3000);
	assert_completed(tx);
	g_assert_cmpint(json_object_get_int_member(json_node_get_object(tx), "default-item"), ==, 2);
	g_assert_cmphex(f->me->shown_type, ==, SIMOTA_CAT_SELECT_ITEM);
	g_assert_cmpuint(f->me->shown_items, ==, 3);
	g_assert_cmpuint(f->me->shown_default, ==, 2);
	g_assert_cmpint(json_object_get_int_member(result_of(tx), "item"), ==, 2);
	json_node_unref(tx);
}

/*
 * Schema version 3 (before default_item) migrates to the newest: an unfinished
 * transaction stored by the older server resumes, without a default.
 */
static void test_migration_v3(struct fixture *f, gconstpointer data)
{
	struct ots_db *db;
	GError *error = NULL;
	uint64_t id;
	JsonNode *tx;

	id = start_and_stop(f, TX(TAR_INDEFINITE, "select-item") ",\"text\":\"Delivery\","
			    "\"items\":[\"Home\",\"Office\"],\"default-item\":2}");
	/* what a version-3 server left behind (without version 5's RFM tables, version 6's
	 * leases, version 7's index of open commands and version 8's index by card too) */
	db = ots_db_open(f->db, &error);
	g_assert_no_error(error);
	g_assert_true(ots_db_exec(db, "ALTER TABLE transactions DROP COLUMN default_item;"
				  "DROP TABLE campaign_cards; DROP TABLE campaigns; DROP TABLE rfm_ops;"
				  "DROP TABLE inbox; DROP TABLE instances; DROP INDEX cards_owner;"
				  "ALTER TABLE cards DROP COLUMN owner;"
				  "DROP INDEX commands_open; CREATE INDEX commands_open ON commands(open);"
				  "DROP INDEX tx_card; CREATE INDEX tx_card ON transactions(iccid, state);"
				  "UPDATE schema_version SET version = 3;", &error));
	g_assert_no_error(error);
	if (ots_db_backend(db) == OTS_DB_SQLITE)
		g_assert_true(ots_db_exec(db, "PRAGMA user_version = 3", &error));
	g_assert_no_error(error);
	ots_db_close(db);
	resume_attached(f);
	/* version 8: the index by card alone */
	db = ots_db_open(f->db, &error);
	g_assert_no_error(error);
	g_assert_cmpint(test_db_int(db, ots_db_backend(db) == OTS_DB_SQLITE ?
				    "SELECT count(*) FROM pragma_index_info('tx_card')" :
				    "SELECT count(*) FROM pg_indexes WHERE indexname = 'tx_card' "
				    "AND indexdef LIKE '%(iccid)'"), ==, 1);
	ots_db_close(db);
	tx = run_until(f, id, NULL, 3000);
	assert_completed(tx);
	g_assert_true(json_object_get_null_member(json_node_get_object(tx), "default-item"));
	g_assert_cmpuint(f->me->shown_default, ==, 0);
	g_assert_cmpint(json_object_get_int_member(result_of(tx), "item"), ==, 1);
	json_node_unref(tx);
	/* a new one has its default again */
	id = start(f, TX(TAR_INDEFINITE, "select-item") ",\"text\":\"Delivery\","
		   "\"items\":[\"Home\",\"Office\"],\"default-item\":2}");
	tx = run_until(f, id, NULL, 3000);
	assert_completed(tx);
	g_assert_cmpuint(f->me->shown_default, ==, 2);
	json_node_unref(tx);
}

/* The user goes back (general result 11): R1 is that result alone */
static void test_flow_user_back(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	f->me->user.general = SIMOTA_CAT_RESULT_GO_BACK;
	id = start(f, TX(TAR_UNTIL_MG, "get-input") ",\"text\":\"Enter PIN\"}");
	tx = run_until(f, id, NULL, 3000);
	assert_completed(tx);
	g_assert_cmpint(json_object_get_int_member(result_of(tx), "general"), ==, 0x11);
	g_assert_false(json_object_has_member(result_of(tx), "text"));
	json_node_unref(tx);
}

/* R2S "pending" re-arms C2 with backoff until the user answers (GET INKEY yes/no) */
static void test_flow_pending(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;
	unsigned pending = 0;

	f->me->user.delay_ms = 1900;
	id = start(f, TX(TAR_FIXED, "yes-no") ",\"text\":\"Accept?\",\"ev\":{\"mg\":false}}");
	tx = run_until(f, id, NULL, 6000);
	assert_completed(tx);
	for (unsigned i = 0; find_event(tx, "r2s-received", i); i++)
		if (strcmp(json_object_get_string_member(find_event(tx, "r2s-received", i), "state"),
			   "pending") == 0)
			pending++;
	g_assert_cmpuint(pending, >=, 2);
	g_assert_cmpstr(c2_trigger(tx, 0), ==, "rq");
	g_assert_cmpstr(c2_trigger(tx, 1), ==, "backoff");
	g_assert_true(json_object_get_boolean_member(result_of(tx), "yes"));
	g_assert_cmphex(f->me->shown_type, ==, SIMOTA_CAT_GET_INKEY);
	assert_counters_match(f);
	json_node_unref(tx);
}

/* a lost R2S: the C2 is repeated (new counter) and R1 is delivered once */
static void test_flow_lost_r2s(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	f->drop_c2_reports = 1;
	id = start(f, DISPLAY(TAR_UNTIL_MG) "}");
	tx = run_until(f, id, NULL, 4000);
	assert_completed(tx);
	g_assert_cmpuint(f->drop_c2_reports, ==, 0);
	g_assert_cmpuint(count_events(tx, "c2-sent"), ==, 2);
	g_assert_cmpuint(count_events(tx, "por-timeout"), ==, 1);
	g_assert_cmpstr(c2_trigger(tx, 1), ==, "retry");
	g_assert_cmpuint(count_events(tx, "r1-delivered"), ==, 1);
	/* the card got both C2s (C1, C2, C2, release) and answered both with its stored R2S */
	assert_counters_match(f);
	g_assert_cmpuint(f->me->counters->len, ==, 4);
	json_node_unref(tx);
}

/* PoR by SMS-SUBMIT (SPI2 b6), GET INPUT, a 2G handset (class A0, 9FXX) */
static void test_flow_por_submit(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	f->me->gsm = true;
	id = start(f, TX(TAR_SUBMIT, "get-input") ",\"text\":\"Enter PIN\","
		   "\"input\":{\"min\":4,\"max\":8,\"digits\":true}}");
	tx = run_until(f, id, NULL, 3000);
	assert_completed(tx);
	for (unsigned i = 0; find_event(tx, "por-received", i); i++)
		g_assert_cmpstr(json_object_get_string_member(find_event(tx, "por-received", i), "via"),
				==, "sms-submit");
	g_assert_cmpstr(json_object_get_string_member(result_of(tx), "text"), ==, "1234");
	g_assert_cmphex(f->me->shown_type, ==, SIMOTA_CAT_GET_INPUT);
	g_assert_cmpstr(f->me->shown_text, ==, "Enter PIN");
	/* PoRs of C1, C2, release and the MG: all by SEND SHORT MESSAGE */
	g_assert_cmpuint(f->me->submits, ==, 4);
	assert_counters_match(f);
	json_node_unref(tx);
}

/*
 * A keyset without a KID key on a TAR whose SPI asks for an RC (a Gemalto
 * card's 15 35: CRC32 and 3DES both ways, PoR by SMS-SUBMIT): an RC uses no
 * key, so the server secures its commands and checks the card's PoRs, and
 * the card's OTA entity accepts them, with the KIc key alone.
 */
static const char rc_card_ini[] =
	"[card]\niccid=" TEST_ICCID "\nimsi=001010123456789\nmsisdn=+15550001\n\n"
	"[keyset 1]\nkic=15\nkid=15\nkic-key=0123456789abcdeffedcba9876543210\n"
	"counter=0000000000\n\n"
	"[tar " TAR_FIXED "]\nkeysets=1\nmin-security-level=15\nir=fixed:1\nspi=1535\n";

static void test_flow_rc_without_kid_key(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	id = start(f, DISPLAY(TAR_FIXED) ",\"ev\":{\"mg\":false}}");
	tx = run_until(f, id, NULL, 5000);
	assert_completed(tx);
	g_assert_cmpuint(count_events(tx, "por-invalid"), ==, 0);
	g_assert_cmpuint(count_events(tx, "ir-received"), ==, 1);
	g_assert_cmpstr(json_object_get_string_member(find_event(tx, "por-received", 0), "via"), ==,
			"sms-submit");
	g_assert_cmpuint(f->me->shown, ==, 1);
	assert_counters_match(f);
	json_node_unref(tx);
}

/* a PoR spoilt on the link does not verify: recorded, never handed on; the resent C1 completes */
static void test_flow_por_invalid(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	f->corrupt_reports = 1;   /* the IR's PoR */
	id = start(f, DISPLAY(TAR_UNTIL_MG) "}");
	tx = run_until(f, id, NULL, 4000);
	assert_completed(tx);
	g_assert_cmpuint(count_events(tx, "por-invalid"), ==, 1);
	g_assert_cmpuint(count_events(tx, "c1-sent"), ==, 2);
	/* the user answered meanwhile: the card answers the repeated C1 with its stored R2S */
	g_assert_cmpuint(count_events(tx, "ir-received"), ==, 0);
	g_assert_cmpuint(f->me->shown, ==, 1);
	assert_counters_match(f);
	json_node_unref(tx);
}

/* prior art (the card's applet in mode=prior-art): no IR, R1 lost, the transaction fails and says why */
static void test_flow_prior_art(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;
	const char *why;

	id = start(f, DISPLAY(TAR_PRIOR_ART) "}");
	tx = run_until(f, id, NULL, 3000);
	g_assert_cmpstr(tx_state(tx), ==, "failed");
	why = json_object_get_string_member(json_node_get_object(tx), "why");
	g_assert_nonnull(strstr(why, "carries no IR"));
	g_assert_cmpuint(count_events(tx, "ir-received"), ==, 0);
	g_assert_cmpuint(count_events(tx, "r1-delivered"), ==, 0);
	g_assert_true(json_node_is_null(json_object_get_member(json_node_get_object(tx), "result")));
	/* the user did answer; the card could only drop R1 (TS 143 019 §6.6) */
	run_for(200);
	g_assert_cmpuint(f->me->shown, ==, 1);
	g_assert_cmpuint(f->me->terminal_responses, ==, 1);
	g_assert_true(me_sim_card_logged(f->me, "prior-art: R1 of"));
	json_node_unref(tx);
}

/* deadline with an indefinite RQ and a user who never answers: expired, then released */
static void test_flow_expired(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	f->me->user.delay_ms = ME_SIM_MANUAL;
	id = start(f, DISPLAY(TAR_INDEFINITE) ",\"ev\":{\"deadline-ms\":500}}");
	tx = run_until(f, id, NULL, 3000);
	g_assert_cmpstr(tx_state(tx), ==, "expired");
	g_assert_cmpuint(count_events(tx, "expired"), ==, 1);
	g_assert_cmpuint(count_events(tx, "released"), ==, 1);
	g_assert_cmpuint(count_events(tx, "r1-delivered"), ==, 0);
	g_assert_cmpstr(json_object_get_string_member(find_event(tx, "r2s-received", 0), "state"), ==,
			"released");
	json_node_unref(tx);
}

/* one proactive session per card: the second transaction waits for the first */
static void test_serialized(struct fixture *f, gconstpointer data)
{
	uint64_t a, b;
	JsonNode *ta, *tb;
	int64_t released_seq, c1_seq;

	a = start(f, DISPLAY(TAR_UNTIL_MG) "}");
	b = start(f, DISPLAY(TAR_UNTIL_MG) "}");
	g_assert_cmpint(ots_engine_tx_state(f->e, b), ==, OTS_TX_QUEUED);
	tb = run_until(f, b, NULL, 5000);
	ta = ots_engine_tx_get(f->e, a, NULL);
	assert_completed(ta);
	assert_completed(tb);
	released_seq = json_object_get_int_member(find_event(ta, "released", 0), "seq");
	c1_seq = json_object_get_int_member(find_event(tb, "c1-sent", 0), "seq");
	g_assert_cmpint(c1_seq, >, released_seq);
	g_assert_cmpuint(f->me->shown, ==, 2);
	assert_counters_match(f);
	json_node_unref(ta);
	json_node_unref(tb);
}

/* engine restarted while C1 is outstanding and the device is away, then while waiting */
static void test_restart(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	f->device_attached = false;
	id = start(f, DISPLAY(TAR_FIXED) ",\"ev\":{\"mg\":false}}");
	g_assert_cmpint(ots_engine_tx_state(f->e, id), ==, OTS_TX_C1_SENT);
	ots_engine_free(f->e);
	engine_open(f);
	g_assert_cmpint(ots_engine_tx_state(f->e, id), ==, OTS_TX_C1_SENT);
	f->device_attached = true;
	ots_engine_device_attached(f->e, TEST_ICCID, NULL);
	tx = run_until(f, id, "waiting", 2000);
	g_assert_cmpstr(tx_state(tx), ==, "waiting");
	json_node_unref(tx);
	/* restart while waiting: the RQ timer resumes from the stored due time */
	ots_engine_free(f->e);
	engine_open(f);
	tx = run_until(f, id, NULL, 4000);
	assert_completed(tx);
	g_assert_cmpstr(json_object_get_string_member(find_event(tx, "c1-sent", 1), "trigger"), ==,
			"device-attached");
	/* the first C1 never reached the card: its counter was skipped, not reused */
	g_assert_cmpuint(f->me->counter, ==, server_counter(f));
	g_assert_cmpuint(f->me->counters->len, ==, 3);
	g_assert_cmpuint(g_array_index(f->me->counters, uint64_t, 0), ==, 2);
	json_node_unref(tx);
}

/* an MG for a transaction nobody waits for, and garbage submits */
static void test_submit_inputs(struct fixture *f, gconstpointer data)
{
	static const uint8_t garbage[] = { 0x01, 0x02 };

	g_assert_cmpint(ots_engine_submit(f->e, TEST_ICCID, NULL, garbage, sizeof(garbage)), ==,
			OTS_SUBMIT_BAD);
	g_assert_cmpint(ots_engine_submit(f->e, TEST_ICCID, NULL, NULL, 0), ==, OTS_SUBMIT_BAD);
	ots_engine_deliver_report(f->e, 4242, false, 0, garbage, sizeof(garbage));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL);
	g_test_add_func("/ots/db/mode", test_db_mode);
#define ADD(name, fn) g_test_add("/ots/" name, struct fixture, NULL, setup, fn, teardown)
	ADD("registry", test_registry);
	ADD("registry/list-pages", test_card_list_pages);
	ADD("import-checks", test_import_checks);
	ADD("validation", test_validation);
	ADD("flow/rq-fixed", test_flow_rq_fixed);
	ADD("flow/mg", test_flow_mg);
	ADD("flow/preset", test_flow_preset);
	ADD("flow/next-session", test_flow_next_session);
	ADD("flow/indefinite-poll", test_flow_indefinite_poll);
	ADD("flow/indefinite-mg", test_flow_indefinite_mg);
	ADD("flow/user-back", test_flow_user_back);
	ADD("flow/default-item", test_flow_default_item);
	ADD("db/migration-v3", test_migration_v3);
	ADD("flow/pending", test_flow_pending);
	ADD("flow/lost-r2s", test_flow_lost_r2s);
	ADD("flow/por-submit", test_flow_por_submit);
	ADD("flow/por-invalid", test_flow_por_invalid);
	g_test_add("/ots/flow/rc-without-kid-key", struct fixture, rc_card_ini, setup,
		   test_flow_rc_without_kid_key, teardown);
	ADD("flow/por-udhi-1", test_flow_por_udhi_1);
	ADD("flow/por-udhi-0", test_flow_por_udhi_0);
	ADD("flow/prior-art", test_flow_prior_art);
	ADD("flow/expired", test_flow_expired);
	ADD("serialized", test_serialized);
	ADD("restart", test_restart);
	ADD("submit-inputs", test_submit_inputs);
	return g_test_run();
}
