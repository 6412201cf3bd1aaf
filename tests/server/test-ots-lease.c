/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Card leases between two engines ("a" and "b") on one PostgreSQL
 * database, in this process (transactions/lease.c, doc/scaling.md):
 *  - a request for a card the other holds is refused with
 *    OTS_ERROR_ELSEWHERE and, forwarded, started by the owner, whose id
 *    comes back; a poll of its transaction is forwarded the same way;
 *  - an owner that does not act: the forwarded request is withdrawn after
 *    twice the lease, answered OTS_ERROR_UNAVAILABLE, and never started;
 *  - fencing: an instance whose lease expired (here: its row set expired
 *    behind its back) commits nothing more: its batch is rolled back, it
 *    registers again and carries on;
 *  - an SMS from a card the other holds is stored for the owner, who acts
 *    on it; a device attached at the other instance gets the card handed
 *    over;
 *  - takeover: the cards with unfinished transactions of an instance that
 *    stopped renewing are taken by the other, and their commands resent.
 */
#include <string.h>

#include "db/db.h"
#include "pg-cluster.h"
#include "server-test.h"
#include "transactions/engine.h"
#include "simota/deferred.h"
#include "simota/sms.h"
#include "transactions/rfm.h"

#define LEASE_MS 600

struct side {
	struct ots_engine *e;
	GPtrArray *sent;         /* ICCIDs of the SMS its link took */
	uint32_t last_msg_id;    /* the last one's SMS id */
};

struct fixture {
	char *dir, *uri;
	char iccid[2][21];
	struct side s[2];
	struct ots_db *db;       /* the test's own connection */
	/* a forwarded request's answer */
	bool answered;
	uint64_t id;
	GError *error;
};

static bool sb_send(void *user, const char *iccid, const char *msisdn, uint32_t id,
		    const uint8_t *tpdu, size_t len)
{
	g_ptr_array_add(((struct side *)user)->sent, g_strdup(iccid));
	((struct side *)user)->last_msg_id = id;
	return true;
}

static struct ots_engine *engine_new(struct fixture *f, struct side *s, const char *name)
{
	struct ots_engine_config cfg = {
		.db_path = f->uri, .batch_max = OTS_BATCH_MAX_CHANGES, .instance = name,
		.lease_ms = LEASE_MS, .por_timeout_ms = 60000, .backoff_initial_ms = 100,
	};
	struct ots_southbound sb = { .send_deliver = sb_send, .user = s };
	GError *error = NULL;
	struct ots_engine *e = ots_engine_new(&cfg, &error);

	g_assert_no_error(error);
	ots_engine_set_southbound(e, &sb);
	return e;
}

static void setup(struct fixture *f, gconstpointer data)
{
	GError *error = NULL;

	if (!pg_cluster_wanted()) {
		f->uri = NULL;
		return;
	}
	f->dir = g_dir_make_tmp("ots-lease-XXXXXX", &error);
	g_assert_no_error(error);
	f->uri = pg_cluster_new_database(&error);
	g_assert_no_error(error);
	for (unsigned i = 0; i < 2; i++) {
		f->s[i].sent = g_ptr_array_new_with_free_func(g_free);
		f->s[i].e = engine_new(f, &f->s[i], i ? "b" : "a");
	}
	for (unsigned i = 0; i < 2; i++) {
		char msisdn[16], *ini;

		g_snprintf(f->iccid[i], sizeof(f->iccid[i]), "8988239000000070%04u", i);
		g_snprintf(msisdn, sizeof(msisdn), "+1555700%04u", i);
		ini = write_rfm_card_ini(f->dir, f->iccid[i], msisdn, NULL);
		g_assert_true(ots_engine_card_import_file(f->s[0].e, ini, false, NULL, &error));
		g_assert_no_error(error);
		g_free(ini);
	}
	f->db = ots_db_open(f->uri, &error);
	g_assert_no_error(error);
}

static void teardown(struct fixture *f, gconstpointer data)
{
	char *cmd;

	if (!f->uri)
		return;
	for (unsigned i = 0; i < 2; i++) {
		ots_engine_free(f->s[i].e);
		g_ptr_array_free(f->s[i].sent, TRUE);
	}
	while (g_main_context_iteration(NULL, FALSE))
		;
	ots_db_close(f->db);
	cmd = g_strdup_printf("rm -rf '%s'", f->dir);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(cmd);
	g_free(f->dir);
	g_free(f->uri);
	g_clear_error(&f->error);
}

static bool skipped(struct fixture *f)
{
	if (f->uri)
		return false;
	g_test_skip("needs OTS_TEST_DB=postgresql");
	return true;
}

static int64_t db_int(struct fixture *f, const char *sql)
{
	return test_db_int(f->db, sql);
}

static void db_exec(struct fixture *f, const char *sql)
{
	GError *error = NULL;

	g_assert_true(ots_db_exec(f->db, sql, &error));
	g_assert_no_error(error);
}

static JsonNode *request(struct fixture *f, unsigned card)
{
	char *json = g_strdup_printf("{\"iccid\":\"%s\",\"tar\":\"" TAR_FIXED "\","
				     "\"action\":\"display-text\",\"text\":\"card %u\"}",
				     f->iccid[card], card);
	JsonNode *n = json_from_string(json, NULL);

	g_free(json);
	return n;
}

/* Starts a transaction for card on side s; false with the error kept. */
static bool start(struct fixture *f, unsigned s, unsigned card, uint64_t *id, GError **error)
{
	JsonNode *n = request(f, card);
	bool ok = ots_engine_tx_start_json(f->s[s].e, n, id, error);

	json_node_unref(n);
	return ok;
}

/* Runs the main loop until done(f) or ms pass; false when the time ran out. */
static bool run_until(struct fixture *f, bool (*done)(struct fixture *f), unsigned ms)
{
	int64_t end = g_get_monotonic_time() + (int64_t)ms * 1000;

	while (!done(f)) {
		if (g_get_monotonic_time() > end)
			return false;
		g_main_context_iteration(NULL, FALSE);
		g_usleep(500);
	}
	return true;
}

static bool flushed(struct fixture *f)
{
	for (unsigned i = 0; i < 2; i++)
		if (f->s[i].e && ots_engine_unflushed(f->s[i].e))
			return false;
	return true;
}

static bool answered(struct fixture *f)
{
	return f->answered;
}

static void on_forwarded(uint64_t id, const GError *error, void *user)
{
	struct fixture *f = user;

	f->answered = true;
	f->id = id;
	if (error)
		f->error = g_error_copy(error);
}

/* Card 0 held by a (its transaction started there), the other's lease taken by nobody yet. */
static uint64_t a_holds_card0(struct fixture *f)
{
	GError *error = NULL;
	uint64_t id = 0;

	g_assert_true(start(f, 0, 0, &id, &error));
	g_assert_no_error(error);
	g_assert_true(run_until(f, flushed, 2000));
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM cards WHERE owner = 'a'"), ==, 1);
	return id;
}

static void test_forward(struct fixture *f, gconstpointer data)
{
	char *sql;
	GError *error = NULL;
	uint64_t first, id = 0;
	JsonNode *n;

	if (skipped(f))
		return;
	first = a_holds_card0(f);
	/* b may not act on a's card */
	g_assert_false(start(f, 1, 0, &id, &error));
	g_assert_error(error, OTS_ERROR, OTS_ERROR_ELSEWHERE);
	g_clear_error(&error);
	/* handed to a, which starts it (queued behind its first) and answers with the id */
	n = request(f, 0);
	g_assert_true(ots_engine_forward(f->s[1].e, "transactions", f->iccid[0], n, on_forwarded, f,
					 &error));
	g_assert_no_error(error);
	json_node_unref(n);
	g_assert_true(run_until(f, answered, 5000));
	g_assert_no_error(f->error);
	g_assert_cmpuint(f->id, >, first);
	sql = g_strdup_printf("SELECT count(*) FROM transactions WHERE id = %" G_GUINT64_FORMAT
			      " AND iccid = '%s'", f->id, f->iccid[0]);
	g_assert_cmpint(db_int(f, sql), ==, 1);
	g_free(sql);
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM inbox"), ==, 0);
	/* a poll of a's transaction, by way of b */
	g_assert_false(ots_engine_tx_poll(f->s[1].e, first, &error));
	g_assert_error(error, OTS_ERROR, OTS_ERROR_ELSEWHERE);
	g_clear_error(&error);
	/* card 1, free, is simply taken by b */
	g_assert_true(start(f, 1, 1, &id, &error));
	g_assert_no_error(error);
	g_assert_true(run_until(f, flushed, 2000));
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM cards WHERE owner = 'b'"), ==, 1);
}

/* The owner never acts: b withdraws its request after twice the lease */
static void test_forward_unanswered(struct fixture *f, gconstpointer data)
{
	GError *error = NULL;
	JsonNode *n;

	if (skipped(f))
		return;
	a_holds_card0(f);
	n = request(f, 0);
	/* the card's owner is a live instance that never reads its notifications */
	db_exec(f, "UPDATE cards SET owner = 'ghost' WHERE owner = 'a'");
	db_exec(f, "INSERT INTO instances(name, expires, started, holder) "
		"VALUES('ghost', 9000000000000000, 0, 'x/1')");
	g_assert_true(ots_engine_forward(f->s[1].e, "transactions", f->iccid[0], n, on_forwarded, f,
					 &error));
	json_node_unref(n);
	g_assert_true(run_until(f, answered, 5000));
	g_assert_error(f->error, OTS_ERROR, OTS_ERROR_UNAVAILABLE);
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM inbox"), ==, 0);
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM transactions"), ==, 1);
}

static bool a_failed_a_batch(struct fixture *f)
{
	struct ots_engine_stats st;

	ots_engine_get_stats(f->s[0].e, &st);
	return st.batches_failed > 0;
}

/* a's lease expired behind its back: its next batch does not commit; it registers again */
static void test_fencing(struct fixture *f, gconstpointer data)
{
	GError *error = NULL;
	GLogLevelFlags fatal;
	uint64_t id;

	if (skipped(f))
		return;
	a_holds_card0(f);
	g_ptr_array_set_size(f->s[0].sent, 0);
	db_exec(f, "UPDATE instances SET expires = 0 WHERE name = 'a'");
	/* the engine says so loudly (a critical, when it renews or at the COMMIT): not fatal here */
	fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK);
	g_assert_true(start(f, 0, 1, &id, &error));
	g_assert_no_error(error);
	g_assert_true(run_until(f, a_failed_a_batch, 3000));
	g_log_set_always_fatal(fatal);
	g_assert_cmpuint(f->s[0].sent->len, ==, 0);      /* nothing of that batch left */
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM transactions"), ==, 1);
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM instances WHERE name = 'a' AND expires > 0"),
			==, 1);
	/* registered again, a carries on */
	g_assert_true(start(f, 0, 1, &id, &error));
	g_assert_no_error(error);
	g_assert_true(run_until(f, flushed, 2000));
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM transactions"), ==, 2);
	g_assert_cmpuint(f->s[0].sent->len, ==, 1);
}

/*
 * A batch open longer than the lease (a loaded machine: many slow entry
 * points before the loop gets to commit) keeps the lease: it is renewed
 * at the entry points, and the batch commits.
 */
static void test_long_batch(struct fixture *f, gconstpointer data)
{
	struct ots_engine_stats st;
	GLogLevelFlags fatal;
	int64_t end;
	GError *error = NULL;
	uint64_t id;

	if (skipped(f))
		return;
	a_holds_card0(f);
	/* b stopped: its loop would not run either, and its lease would expire meanwhile */
	ots_engine_free(f->s[1].e);
	f->s[1].e = NULL;
	fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK);
	g_assert_true(start(f, 0, 1, &id, &error));
	g_assert_no_error(error);
	/* entry points for twice the lease, the loop never reached: one batch */
	end = g_get_monotonic_time() + 2 * LEASE_MS * 1000;
	while (g_get_monotonic_time() < end) {
		ots_engine_device_attached(f->s[0].e, f->iccid[0], NULL);
		g_usleep(20000);
	}
	g_assert_true(ots_engine_unflushed(f->s[0].e) != 0);
	g_assert_true(run_until(f, flushed, 2000));
	g_log_set_always_fatal(fatal);
	ots_engine_get_stats(f->s[0].e, &st);
	g_assert_cmpuint(st.batches_failed, ==, 0);
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM transactions"), ==, 2);
}

static bool b_took_card0(struct fixture *f)
{
	return f->s[1].sent->len > 0;
}

/* a stops renewing (its engine gone without a clean stop: its row left valid): b takes over */
static void test_takeover(struct fixture *f, gconstpointer data)
{
	if (skipped(f))
		return;
	a_holds_card0(f);
	g_assert_cmpuint(f->s[0].sent->len, ==, 1);
	/* as after a kill -9: a's row stays valid (its clean stop, which expires the row of its
	 * own process, finds another holder there), and nobody renews it */
	db_exec(f, "UPDATE instances SET holder = 'elsewhere/1' WHERE name = 'a'");
	ots_engine_free(f->s[0].e);
	f->s[0].e = NULL;
	/* b resends the outstanding C1 once the lease has expired (its heartbeat, a third of it) */
	g_assert_true(run_until(f, b_took_card0, 5 * LEASE_MS));
	g_assert_cmpstr(f->s[1].sent->pdata[0], ==, f->iccid[0]);
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM cards WHERE owner = 'b'"), ==, 1);
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM instances WHERE name = 'a'"), ==, 0);
	f->s[0].e = engine_new(f, &f->s[0], "a");
}

/* A device of a's card attaches at b: a lets the card go, b takes it and resends */
static void test_handover(struct fixture *f, gconstpointer data)
{
	if (skipped(f))
		return;
	a_holds_card0(f);
	ots_engine_device_attached(f->s[1].e, f->iccid[0], NULL);
	g_assert_true(run_until(f, b_took_card0, 3000));
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM cards WHERE owner = 'b'"), ==, 1);
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM cards WHERE owner = 'a'"), ==, 0);
	/* a has forgotten the card: a second one started there is refused, b holds it */
	{
		GError *error = NULL;
		uint64_t id;

		g_assert_false(start(f, 0, 0, &id, &error));
		g_assert_error(error, OTS_ERROR, OTS_ERROR_ELSEWHERE);
		g_clear_error(&error);
	}
}

static bool a_sent_both(struct fixture *f)
{
	unsigned n[2] = { 0, 0 };

	for (unsigned i = 0; i < f->s[0].sent->len; i++)
		for (unsigned c = 0; c < 2; c++)
			n[c] += strcmp(f->s[0].sent->pdata[i], f->iccid[c]) == 0;
	return n[0] && n[1];
}

/* A campaign paced by a, over a card b holds: b lets it go, a sends the script to both */
static void test_campaign(struct fixture *f, gconstpointer data)
{
	char *json = g_strdup_printf("{\"tar\":\"b00001\",\"apdus\":[\"00a4000c026f46\"],"
				     "\"iccids\":[\"%s\",\"%s\"],\"rate\":100}", f->iccid[0],
				     f->iccid[1]);
	JsonNode *n = json_from_string(json, NULL);
	GError *error = NULL;
	uint64_t id;

	if (skipped(f)) {
		json_node_unref(n);
		g_free(json);
		return;
	}
	/* b holds card 0 */
	g_assert_true(start(f, 1, 0, &id, &error));
	g_assert_no_error(error);
	g_assert_true(run_until(f, flushed, 2000));
	g_assert_true(ots_engine_campaign_start_json(f->s[0].e, n, &id, &error));
	g_assert_no_error(error);
	g_assert_true(run_until(f, a_sent_both, 5000));
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM cards WHERE owner = 'a'"), ==, 2);
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM campaigns WHERE owner = 'a'"), ==, 1);
	json_node_unref(n);
	g_free(json);
}

static bool mg_recorded(struct fixture *f)
{
	return flushed(f) && db_int(f, "SELECT count(*) FROM timeline WHERE event = 'mg-received'") == 1;
}

/*
 * An MG from a's card reaches b (an SMSC delivering to any bound instance):
 * b stores it for a in the batch that acknowledges it; a records it on its
 * transaction's timeline.
 */
static void test_mo_forwarded(struct fixture *f, gconstpointer data)
{
	struct simota_deferred_msg mg = { .type = SIMOTA_DEFERRED_MG, .txid = 1, .version = 1 };
	struct simota_sms_submit sms = { .da = { .ton = 1, .npi = 1, .digits = "15550100" },
					 .dcs = 0xF6 };
	uint8_t tpdu[SIMOTA_SMS_TPDU_MAX];
	size_t len;

	if (skipped(f))
		return;
	a_holds_card0(f);       /* its first transaction: txid 1, C1 sent */
	g_assert_cmpint(simota_deferred_encode(&mg, sms.ud.ud, sizeof(sms.ud.ud), &len), ==,
			SIMOTA_OK);
	sms.ud.len = sms.ud.udl = (uint8_t)len;
	g_assert_cmpint(simota_sms_submit_encode(&sms, tpdu, sizeof(tpdu), &len), ==, SIMOTA_OK);
	g_assert_cmpint(ots_engine_submit(f->s[1].e, f->iccid[0], NULL, tpdu, len), ==,
			OTS_SUBMIT_FORWARDED);
	g_assert_true(ots_engine_unflushed(f->s[1].e) != 0);   /* acknowledged after this commit */
	g_assert_true(run_until(f, mg_recorded, 3000));
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM inbox"), ==, 0);
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM cards WHERE owner = 'a'"), ==, 1);
}

static bool a_resent(struct fixture *f)
{
	return f->s[0].sent->len >= 2;
}

/*
 * The SMSC's receipt for a's C1 reaches b (it picks the session): "not
 * delivered" is on the timeline at once, and a, told, sends the C1 again.
 */
static void test_receipt_forwarded(struct fixture *f, gconstpointer data)
{
	struct ots_sms_report r = { .fate = OTS_SMS_UNDELIVERED, .link = "smpp", .ref = "m1",
				    .status = 1, .reason = "UNDELIV" };

	if (skipped(f))
		return;
	a_holds_card0(f);
	g_assert_cmpuint(f->s[0].sent->len, ==, 1);
	ots_engine_sms_report(f->s[1].e, f->s[0].last_msg_id, &r);
	g_assert_true(run_until(f, a_resent, 3000));
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM timeline WHERE event = 'delivery-receipt'"),
			==, 1);
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM inbox"), ==, 0);
}

static bool refused(struct fixture *f)
{
	return test_refusals > 0 && flushed(f);
}

/*
 * The owner runs an inbox entry for a card it must take first (its lease
 * expired elsewhere), and the entry then fails: the taking is undone in
 * memory as in the database.  Before (3 Dec 2026) the entry's savepoint
 * undid the owner column while a kept the card in its set of held cards
 * and went on acting on it after b had taken it.
 */
static void test_taken_then_failed(struct fixture *f, gconstpointer data)
{
	GLogLevelFlags fatal;
	char *sql, *body;
	JsonNode *n;
	GError *error = NULL;
	uint64_t id = 0;

	if (skipped(f))
		return;
	/* card 1's owner: an instance whose lease has expired; a is told of an entry for it */
	db_exec(f, "INSERT INTO instances(name, expires, started, holder) VALUES('ghost', 1, 0, 'x/1')");
	sql = g_strdup_printf("UPDATE cards SET owner = 'ghost' WHERE iccid = '%s'", f->iccid[1]);
	db_exec(f, sql);
	g_free(sql);
	db_exec(f, "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
		"RAISE EXCEPTION 'refused by the test'; END $$; CREATE TRIGGER refuse BEFORE "
		"DELETE ON inbox FOR EACH ROW EXECUTE FUNCTION refuse()");
	n = request(f, 1);
	body = json_to_string(n, FALSE);
	json_node_unref(n);
	sql = g_strdup_printf("WITH t AS (INSERT INTO inbox(iccid, kind, body, reply_to, created) "
			      "VALUES('%s', 'transactions', '%s', '', 0) RETURNING id) "
			      "SELECT pg_notify('ots:a', "     /* a's channel (lease.c channel_of) */
			      "'{\"op\":\"inbox\",\"id\":' || id || '}') FROM t", f->iccid[1], body);
	test_refusals = 0;
	fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK);   /* the refusal is logged as critical */
	db_exec(f, sql);
	g_free(sql);
	g_free(body);
	g_assert_true(run_until(f, refused, 5000));
	g_log_set_always_fatal(fatal);
	db_exec(f, "DROP TRIGGER refuse ON inbox");
	sql = g_strdup_printf("SELECT count(*) FROM cards WHERE iccid = '%s' AND owner = 'ghost'",
			      f->iccid[1]);
	g_assert_cmpint(db_int(f, sql), ==, 1);
	g_free(sql);
	/* b takes the card from the expired instance; a must see it as b's */
	g_assert_true(start(f, 1, 1, &id, &error));
	g_assert_no_error(error);
	g_assert_true(run_until(f, flushed, 2000));
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM cards WHERE owner = 'b'"), ==, 1);
	g_assert_false(start(f, 0, 1, &id, &error));
	g_assert_error(error, OTS_ERROR, OTS_ERROR_ELSEWHERE);
	g_clear_error(&error);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_log_set_writer_func(test_count_refusals, NULL, NULL);
	g_test_add("/ots/lease/forward", struct fixture, NULL, setup, test_forward, teardown);
	g_test_add("/ots/lease/taken-then-failed", struct fixture, NULL, setup,
		   test_taken_then_failed, teardown);
	g_test_add("/ots/lease/forward-unanswered", struct fixture, NULL, setup,
		   test_forward_unanswered, teardown);
	g_test_add("/ots/lease/fencing", struct fixture, NULL, setup, test_fencing, teardown);
	g_test_add("/ots/lease/long-batch", struct fixture, NULL, setup, test_long_batch, teardown);
	g_test_add("/ots/lease/takeover", struct fixture, NULL, setup, test_takeover, teardown);
	g_test_add("/ots/lease/handover", struct fixture, NULL, setup, test_handover, teardown);
	g_test_add("/ots/lease/campaign", struct fixture, NULL, setup, test_campaign, teardown);
	g_test_add("/ots/lease/mo-forwarded", struct fixture, NULL, setup, test_mo_forwarded,
		   teardown);
	g_test_add("/ots/lease/receipt-forwarded", struct fixture, NULL, setup,
		   test_receipt_forwarded, teardown);
	return g_test_run();
}
