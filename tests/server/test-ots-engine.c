/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ota-test-server engine tests, in process: the DB layer (file mode,
 * persistence), the card registry, request validation, and the deferred
 * flow for every EV rule and RQ form against a software card (fake-card.c)
 * behind an in-process southbound link: PoR by DELIVER-REPORT and by
 * SMS-SUBMIT, R2S "pending", a lost R2S with a repeated C2, a PoR that
 * does not verify, per-card serialisation, and restarts of the engine.
 */
#include <sys/stat.h>

#include "fake-card.h"
#include "server-test.h"
#include "sv1/engine.h"

struct fixture {
	char *dir;
	char *db;
	char *ini, *ini2;
	struct ots_engine *e;
	struct fake_card *card;
	bool device_attached;
	unsigned delivers;
	GPtrArray *sse;          /* event kinds seen by the subscriber */
};

struct pending_sms {
	struct fixture *f;
	uint32_t id;
	size_t len;
	uint8_t tpdu[256];
	bool up, report, rp_error;
};

static gboolean deliver_idle(gpointer p)
{
	struct pending_sms *s = p;

	if (!s->up)
		fake_card_deliver(s->f->card, s->id, s->tpdu, s->len);
	else if (s->report)
		ots_engine_deliver_report(s->f->e, s->id, s->rp_error, 0, s->tpdu, s->len);
	else
		ots_engine_submit(s->f->e, TEST_ICCID, NULL, s->tpdu, s->len);
	g_free(s);
	return G_SOURCE_REMOVE;
}

static bool sb_send(void *user, const char *iccid, const char *msisdn, uint32_t id,
		    const uint8_t *tpdu, size_t len)
{
	struct fixture *f = user;
	struct pending_sms *s;

	if (!f->device_attached || strcmp(iccid, TEST_ICCID) != 0)
		return false;
	s = g_new0(struct pending_sms, 1);
	s->f = f;
	s->id = id;
	s->len = len;
	memcpy(s->tpdu, tpdu, len);
	f->delivers++;
	g_idle_add(deliver_idle, s);
	return true;
}

static void up_report(void *user, uint32_t id, bool rp_error, const uint8_t *tpdu, size_t len)
{
	struct pending_sms *s = g_new0(struct pending_sms, 1);

	s->f = user;
	s->id = id;
	s->up = s->report = true;
	s->rp_error = rp_error;
	s->len = len;
	if (len)
		memcpy(s->tpdu, tpdu, len);
	g_idle_add(deliver_idle, s);
}

static void up_submit(void *user, const uint8_t *tpdu, size_t len)
{
	struct pending_sms *s = g_new0(struct pending_sms, 1);

	s->f = user;
	s->up = true;
	s->len = len;
	memcpy(s->tpdu, tpdu, len);
	g_idle_add(deliver_idle, s);
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
	struct fake_uplink up = { .report = up_report, .submit = up_submit, .user = f };
	GError *error = NULL;

	f->dir = g_dir_make_tmp("ots-test-XXXXXX", &error);
	g_assert_no_error(error);
	f->db = g_build_filename(f->dir, "server.db", NULL);
	f->ini = write_card_ini(f->dir, "card.ini", TEST_ICCID, "+15550001");
	f->ini2 = write_card_ini(f->dir, "card2.ini", TEST_ICCID2, "+15550002");
	f->sse = g_ptr_array_new_with_free_func(g_free);
	f->device_attached = true;
	engine_open(f);
	g_assert_true(ots_engine_card_import_file(f->e, f->ini, false, NULL, &error));
	g_assert_no_error(error);
	f->card = fake_card_new(f->ini, &up);
}

static void teardown(struct fixture *f, gconstpointer data)
{
	char *cmd;

	ots_engine_free(f->e);
	fake_card_free(f->card);
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

static void assert_completed(JsonNode *tx)
{
	if (strcmp(tx_state(tx), "completed") != 0) {
		char *s = json_to_string(tx, TRUE);

		g_test_message("%s", s);
		g_free(s);
	}
	g_assert_cmpstr(tx_state(tx), ==, "completed");
	g_assert_cmpuint(count_events(tx, "r1-delivered"), ==, 1);
	g_assert_cmpuint(count_events(tx, "released"), ==, 1);
}

static const char *c2_trigger(JsonNode *tx, unsigned nth)
{
	JsonObject *o = find_event(tx, "c2-sent", nth);

	return o ? json_object_get_string_member(o, "trigger") : NULL;
}

/* ---- DB and registry ------------------------------------------------------------ */

static void test_db_mode(void)
{
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
	g_remove(g_strconcat(db, "-wal", NULL));
	g_remove(g_strconcat(db, "-shm", NULL));
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

static void test_registry(struct fixture *f, gconstpointer data)
{
	GError *error = NULL;
	JsonNode *n, *bad;
	char *text, *iccid = NULL;

	/* keys never come out */
	n = ots_engine_card_show(f->e, TEST_ICCID, &error);
	g_assert_no_error(error);
	text = json_to_string(n, FALSE);
	g_assert_null(strstr(text, "0123456789012345"));
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

	n = ots_engine_card_list(f->e, &error);
	g_assert_cmpuint(json_array_get_length(json_node_get_array(n)), ==, 2);
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
	bad = json_from_string("{\"iccid\":\"8988239000000000003\",\"tars\":[{\"tar\":\"b00001\","
			       "\"spi\":\"1619\",\"keysets\":[3]}]}", NULL);
	g_assert_false(ots_engine_card_add_json(f->e, bad, false, &error));
	assert_invalid(&error, "tars[0].keysets");
	json_node_unref(bad);
	bad = json_from_string("{\"iccid\":\"8988239000000000003\",\"msisdn\":\"+1555\","
			       "\"keysets\":[{\"kvn\":2,\"kic\":\"22\",\"kid\":\"22\","
			       "\"kic-key\":\"000102030405060708090a0b0c0d0e0f\"}],"
			       "\"tars\":[{\"tar\":\"b00001\",\"spi\":\"1619\"}]}", NULL);
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
	g_assert_null(ots_engine_tx_list(f->e, "sleeping", &error));
	assert_invalid(&error, "state");
	g_assert_false(ots_engine_tx_poll(f->e, 999, &error));
	g_assert_error(error, OTS_ERROR, OTS_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_null(ots_engine_tx_get(f->e, 999, &error));
	g_assert_error(error, OTS_ERROR, OTS_ERROR_NOT_FOUND);
	g_clear_error(&error);
}

/* ---- flows ----------------------------------------------------------------------- */

#define DISPLAY "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"display-text\",\"text\":\"Pay 25 € to ACME?\""

/* EV: the IR's fixed duration elapsed */
static void test_flow_rq_fixed(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	f->card->ir_rq.form = SIMOTA_DEFERRED_RQ_FIXED;
	f->card->ir_rq.seconds = 1;
	f->card->auto_answer = true;
	id = start(f, DISPLAY "}");
	tx = run_until(f, id, NULL, 5000);
	assert_completed(tx);
	g_assert_cmpstr(c2_trigger(tx, 0), ==, "rq");
	g_assert_cmpuint(count_events(tx, "c1-sent"), ==, 1);
	g_assert_cmpuint(count_events(tx, "ir-received"), ==, 1);
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(
		find_event(tx, "ir-received", 0), "rq"), "form"), ==, "fixed");
	g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(
		json_node_get_object(tx), "result"), "general"), ==, 0);
	g_assert_true(fake_card_counters_increasing(f->card));
	g_assert_cmpuint(f->card->releases, ==, 1);
	/* subscribers saw every committed event, in order */
	g_assert_cmpstr(f->sse->pdata[0], ==, "queued");
	g_assert_cmpstr(f->sse->pdata[f->sse->len - 1], ==, "released");
	json_node_unref(tx);
}

/* EV: the MG arrives (RQ until MG sent) */
static void test_flow_mg(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	f->card->ir_rq.form = SIMOTA_DEFERRED_RQ_UNTIL_EVENT;
	f->card->ir_rq.event = SIMOTA_DEFERRED_EVENT_MG_SENT;
	f->card->ir_rq.seconds = 3600;
	f->card->auto_answer = true;
	f->card->send_mg = true;
	id = start(f, DISPLAY ",\"ev\":{\"wanted\":{\"form\":\"until-mg\",\"seconds\":3600}}}");
	tx = run_until(f, id, NULL, 3000);
	assert_completed(tx);
	g_assert_cmpuint(count_events(tx, "mg-received"), ==, 1);
	g_assert_cmpstr(c2_trigger(tx, 0), ==, "mg");
	g_assert_cmpuint(f->card->c2s, ==, 1);
	g_assert_cmpstr(f->card->sv1_address, ==, "15550100");
	json_node_unref(tx);
}

/* EV: the preset time after C1 (no MG comes) */
static void test_flow_preset(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	f->card->ir_rq.form = SIMOTA_DEFERRED_RQ_UNTIL_EVENT;
	f->card->ir_rq.event = SIMOTA_DEFERRED_EVENT_MG_SENT;
	f->card->ir_rq.seconds = 0;
	f->card->auto_answer = true;
	id = start(f, DISPLAY ",\"ev\":{\"preset-ms\":300}}");
	tx = run_until(f, id, NULL, 3000);
	assert_completed(tx);
	g_assert_cmpstr(c2_trigger(tx, 0), ==, "preset");
	json_node_unref(tx);
}

/* RQ indefinite: the preset does not apply; only an MG or an explicit poll sends C2 */
static void test_flow_indefinite_poll(struct fixture *f, gconstpointer data)
{
	GError *error = NULL;
	uint64_t id;
	JsonNode *tx;

	f->card->ir_rq.form = SIMOTA_DEFERRED_RQ_INDEFINITE;
	f->card->ir_rq.seconds = 0;
	f->card->auto_answer = true;
	id = start(f, DISPLAY ",\"ev\":{\"preset-ms\":100}}");
	tx = run_until(f, id, "completed", 800);
	g_assert_cmpstr(tx_state(tx), ==, "waiting");
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

/* Indefinite RQ with an MG */
static void test_flow_indefinite_mg(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	f->card->ir_rq.form = SIMOTA_DEFERRED_RQ_INDEFINITE;
	f->card->ir_rq.seconds = 0;
	f->card->auto_answer = true;
	f->card->send_mg = true;
	id = start(f, "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"select-item\",\"text\":\"Delivery\","
		   "\"items\":[\"Home\",\"Office\",\"Locker\"]}");
	tx = run_until(f, id, NULL, 3000);
	assert_completed(tx);
	g_assert_cmpstr(c2_trigger(tx, 0), ==, "mg");
	g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(
		json_node_get_object(tx), "result"), "item"), ==, 2);
	json_node_unref(tx);
}

static gboolean answer_later(gpointer p)
{
	struct fixture *f = p;

	fake_card_user_answers(f->card, 1, 0x00, NULL, 0);
	return G_SOURCE_REMOVE;
}

/* R2S "pending" re-arms C2 with backoff until the user answers */
static void test_flow_pending(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;
	unsigned pending = 0;

	f->card->ir_rq.form = SIMOTA_DEFERRED_RQ_FIXED;
	f->card->ir_rq.seconds = 1;
	g_timeout_add(1900, answer_later, f);
	id = start(f, "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"yes-no\",\"text\":\"Accept?\"}");
	tx = run_until(f, id, NULL, 6000);
	assert_completed(tx);
	for (unsigned i = 0; find_event(tx, "r2s-received", i); i++)
		if (strcmp(json_object_get_string_member(find_event(tx, "r2s-received", i), "state"),
			   "pending") == 0)
			pending++;
	g_assert_cmpuint(pending, >=, 2);
	g_assert_cmpstr(c2_trigger(tx, 0), ==, "rq");
	g_assert_cmpstr(c2_trigger(tx, 1), ==, "backoff");
	g_assert_true(json_object_get_boolean_member(json_object_get_object_member(
		json_node_get_object(tx), "result"), "yes"));
	json_node_unref(tx);
}

/* a lost R2S: the C2 is repeated (new counter) and R1 is delivered once */
static void test_flow_lost_r2s(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	f->card->ir_rq.form = SIMOTA_DEFERRED_RQ_UNTIL_EVENT;
	f->card->ir_rq.event = SIMOTA_DEFERRED_EVENT_MG_SENT;
	f->card->auto_answer = true;
	f->card->send_mg = true;
	f->card->drop_c2_reports = 1;
	id = start(f, DISPLAY "}");
	tx = run_until(f, id, NULL, 4000);
	assert_completed(tx);
	g_assert_cmpuint(count_events(tx, "c2-sent"), ==, 2);
	g_assert_cmpuint(count_events(tx, "por-timeout"), ==, 1);
	g_assert_cmpstr(c2_trigger(tx, 1), ==, "retry");
	g_assert_cmpuint(f->card->c2s, ==, 2);
	g_assert_true(fake_card_counters_increasing(f->card));
	json_node_unref(tx);
}

/* PoR by SMS-SUBMIT (SPI2 b6), get input */
static void test_flow_por_submit(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	f->card->ir_rq.form = SIMOTA_DEFERRED_RQ_UNTIL_EVENT;
	f->card->ir_rq.event = SIMOTA_DEFERRED_EVENT_MG_SENT;
	f->card->auto_answer = true;
	f->card->send_mg = true;
	id = start(f, "{\"iccid\":\"" TEST_ICCID "\",\"action\":\"get-input\",\"text\":\"Enter PIN\","
		   "\"tar\":\"b00002\",\"input\":{\"min\":4,\"max\":8,\"digits\":true}}");
	tx = run_until(f, id, NULL, 3000);
	assert_completed(tx);
	g_assert_cmpstr(json_object_get_string_member(find_event(tx, "por-received", 0), "via"), ==,
			"sms-submit");
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(
		json_node_get_object(tx), "result"), "text"), ==, "1234");
	json_node_unref(tx);
}

/* a PoR that does not verify is recorded, never handed on; the retry completes */
static void test_flow_por_invalid(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	f->card->ir_rq.form = SIMOTA_DEFERRED_RQ_UNTIL_EVENT;
	f->card->ir_rq.event = SIMOTA_DEFERRED_EVENT_MG_SENT;
	f->card->auto_answer = true;
	f->card->send_mg = true;
	f->card->corrupt_next_por = true;   /* the IR's PoR */
	id = start(f, DISPLAY "}");
	tx = run_until(f, id, NULL, 4000);
	assert_completed(tx);
	g_assert_cmpuint(count_events(tx, "por-invalid"), ==, 1);
	g_assert_cmpuint(count_events(tx, "c1-sent"), ==, 2);
	/* the user answered meanwhile: the repeated C1 gets the R2S (C1 is idempotent) */
	g_assert_cmpuint(count_events(tx, "ir-received"), ==, 0);
	g_assert_cmpuint(f->card->c1s, ==, 2);
	json_node_unref(tx);
}

/* deadline with an indefinite RQ and nothing else: expired, then released */
static void test_flow_expired(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	f->card->ir_rq.form = SIMOTA_DEFERRED_RQ_INDEFINITE;
	f->card->ir_rq.seconds = 0;
	id = start(f, DISPLAY ",\"ev\":{\"deadline-ms\":500}}");
	tx = run_until(f, id, NULL, 3000);
	g_assert_cmpstr(tx_state(tx), ==, "expired");
	g_assert_cmpuint(count_events(tx, "expired"), ==, 1);
	g_assert_cmpuint(count_events(tx, "released"), ==, 1);
	g_assert_cmpuint(count_events(tx, "r1-delivered"), ==, 0);
	json_node_unref(tx);
}

/* one proactive session per card: the second transaction waits for the first */
static void test_serialized(struct fixture *f, gconstpointer data)
{
	uint64_t a, b;
	JsonNode *ta, *tb;
	int64_t released_seq, c1_seq;

	f->card->ir_rq.form = SIMOTA_DEFERRED_RQ_UNTIL_EVENT;
	f->card->ir_rq.event = SIMOTA_DEFERRED_EVENT_MG_SENT;
	f->card->auto_answer = true;
	f->card->send_mg = true;
	a = start(f, DISPLAY "}");
	b = start(f, DISPLAY "}");
	g_assert_cmpint(ots_engine_tx_state(f->e, b), ==, OTS_TX_QUEUED);
	tb = run_until(f, b, NULL, 5000);
	ta = ots_engine_tx_get(f->e, a, NULL);
	assert_completed(ta);
	assert_completed(tb);
	released_seq = json_object_get_int_member(find_event(ta, "released", 0), "seq");
	c1_seq = json_object_get_int_member(find_event(tb, "c1-sent", 0), "seq");
	g_assert_cmpint(c1_seq, >, released_seq);
	g_assert_true(fake_card_counters_increasing(f->card));
	json_node_unref(ta);
	json_node_unref(tb);
}

/* engine restarted while C1 is outstanding and the device is away */
static void test_restart(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	JsonNode *tx;

	f->card->ir_rq.form = SIMOTA_DEFERRED_RQ_FIXED;
	f->card->ir_rq.seconds = 1;
	f->card->auto_answer = true;
	f->device_attached = false;
	id = start(f, DISPLAY "}");
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
	g_assert_true(fake_card_counters_increasing(f->card));
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
	ADD("validation", test_validation);
	ADD("flow/rq-fixed", test_flow_rq_fixed);
	ADD("flow/mg", test_flow_mg);
	ADD("flow/preset", test_flow_preset);
	ADD("flow/indefinite-poll", test_flow_indefinite_poll);
	ADD("flow/indefinite-mg", test_flow_indefinite_mg);
	ADD("flow/pending", test_flow_pending);
	ADD("flow/lost-r2s", test_flow_lost_r2s);
	ADD("flow/por-submit", test_flow_por_submit);
	ADD("flow/por-invalid", test_flow_por_invalid);
	ADD("flow/expired", test_flow_expired);
	ADD("serialized", test_serialized);
	ADD("restart", test_restart);
	ADD("submit-inputs", test_submit_inputs);
	return g_test_run();
}
