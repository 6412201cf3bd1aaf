/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine's group commit (transactions/engine.h, doc/scaling.md), in
 * process, on both backends:
 *  - entry points of one loop turn share one commit: nothing leaves (SMS,
 *    events) before it, everything after it, and the database counts one
 *    commit for them;
 *  - a request (API call) that fails in the middle of a batch loses only
 *    its own changes, events and SMS; the others' survive the commit;
 *  - a step of the engine's own (a report, a PoR, a timer) that fails loses
 *    the batch, and the engine reads its state again: the in-memory view
 *    it changed never disagrees with the database; then each entry point
 *    commits alone for a while;
 *  - a batch whose COMMIT fails: nothing of it leaves, and the engine's
 *    in-memory state forgets what the database lost;
 *  - in both cases the SMS ids reserved in what was rolled back are not
 *    used: every id that leaves is below the durable msg_id counter.
 */
#include "db/db.h"
#include "pg-cluster.h"
#include "server-test.h"
#include "transactions/engine.h"
#include "transactions/rfm.h"

#define CARDS 3

struct fixture {
	char *dir, *db;
	char iccid[CARDS][21];
	struct ots_engine *e;
	GPtrArray *sent;         /* ICCIDs of the SMS the link took */
	uint32_t last_id[CARDS]; /* the id of the last SMS the link took for each card */
	uint32_t max_id;         /* the highest SMS id the link took */
	uint64_t syncs_at_send;  /* the engine's db_syncs when the link took the last SMS */
	GPtrArray *events;       /* "KIND ICCID" of the events subscribers heard */
	GArray *seqs;            /* int64: their seqs */
	GArray *ends;            /* int64: each batch's end a commit listener heard, the number
				  * negated when the batch was not durable */
};

/* Batches end in their numbers' order, whether durable or not (engine.h). */
static void on_commit(uint64_t batch, bool durable, void *user)
{
	struct fixture *f = user;
	int64_t v = durable ? (int64_t)batch : -(int64_t)batch;

	if (f->ends->len) {
		int64_t last = g_array_index(f->ends, int64_t, f->ends->len - 1);

		g_assert_cmpint(ABS(last), <, (int64_t)batch);
	}
	g_array_append_val(f->ends, v);
}

/* Whether a listener heard batch n end as not durable. */
static bool heard_lost(struct fixture *f, int64_t n)
{
	for (unsigned i = 0; i < f->ends->len; i++)
		if (g_array_index(f->ends, int64_t, i) == -n)
			return true;
	return false;
}

static bool sb_send(void *user, const char *iccid, const char *msisdn, uint32_t id,
		    const uint8_t *tpdu, size_t len)
{
	struct fixture *f = user;
	struct ots_engine_stats st;

	ots_engine_get_stats(f->e, &st);
	f->syncs_at_send = st.db_syncs;
	g_ptr_array_add(f->sent, g_strdup(iccid));
	f->max_id = MAX(f->max_id, id);
	for (unsigned i = 0; i < CARDS; i++)
		if (strcmp(f->iccid[i], iccid) == 0)
			f->last_id[i] = id;
	return true;
}

static void on_event(const struct ots_event *ev, void *user)
{
	struct fixture *f = user;

	g_ptr_array_add(f->events, g_strdup_printf("%s %s", ev->kind, ev->iccid));
	g_array_append_val(f->seqs, ev->seq);
}

static void setup(struct fixture *f, gconstpointer data)
{
	struct ots_engine_config cfg = { .batch_max = OTS_BATCH_MAX_CHANGES };
	struct ots_southbound sb = { .send_deliver = sb_send, .user = f };
	GError *error = NULL;

	f->dir = g_dir_make_tmp("ots-batch-XXXXXX", &error);
	g_assert_no_error(error);
	f->db = test_db_target(f->dir, "server.db");
	cfg.db_path = f->db;
	f->e = ots_engine_new(&cfg, &error);
	g_assert_no_error(error);
	ots_engine_set_southbound(f->e, &sb);
	ots_engine_subscribe(f->e, on_event, f);
	f->ends = g_array_new(FALSE, FALSE, sizeof(int64_t));
	ots_engine_on_commit(f->e, on_commit, f);
	f->sent = g_ptr_array_new_with_free_func(g_free);
	f->events = g_ptr_array_new_with_free_func(g_free);
	f->seqs = g_array_new(FALSE, FALSE, sizeof(int64_t));
	for (unsigned i = 0; i < CARDS; i++) {
		char name[16], msisdn[16], *ini;

		g_snprintf(f->iccid[i], sizeof(f->iccid[i]), "8988239000000050%04u", i);
		g_snprintf(name, sizeof(name), "card%u.ini", i);
		g_snprintf(msisdn, sizeof(msisdn), "+1555500%04u", i);
		ini = write_flow_card_ini(f->dir, name, f->iccid[i], msisdn);
		g_assert_true(ots_engine_card_import_file(f->e, ini, false, NULL, &error));
		g_assert_no_error(error);
		g_free(ini);
	}
}

static void teardown(struct fixture *f, gconstpointer data)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

	ots_engine_free(f->e);
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(cmd);
	g_free(f->dir);
	g_free(f->db);
	g_ptr_array_free(f->sent, TRUE);
	g_ptr_array_free(f->events, TRUE);
	g_array_free(f->seqs, TRUE);
	g_array_free(f->ends, TRUE);
}

static uint64_t commits(struct fixture *f)
{
	struct ots_engine_stats st;

	ots_engine_get_stats(f->e, &st);
	return st.db_commits;
}

/* Starts a display-text for card i; false (error kept) when the engine refused it. */
static bool start(struct fixture *f, unsigned i, GError **error)
{
	char *json = g_strdup_printf("{\"iccid\":\"%s\",\"tar\":\"" TAR_FIXED "\","
				     "\"action\":\"display-text\",\"text\":\"card %u\"}", f->iccid[i], i);
	JsonNode *n = json_from_string(json, NULL);
	uint64_t id;
	bool ok = ots_engine_tx_start_json(f->e, n, &id, error);

	json_node_unref(n);
	g_free(json);
	return ok;
}

/* Runs the main loop until the open batch has committed (at most 2 s). */
static void run_until_flushed(struct fixture *f)
{
	int64_t end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;

	while (ots_engine_unflushed(f->e)) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_main_context_iteration(NULL, FALSE);
	}
}

static bool contains(GPtrArray *a, const char *s)
{
	return g_ptr_array_find_with_equal_func(a, s, g_str_equal, NULL);
}

static int64_t db_int(struct fixture *f, const char *sql)
{
	GError *error = NULL;
	struct ots_db *h = ots_db_open(f->db, &error);
	int64_t v;

	g_assert_no_error(error);
	v = test_db_int(h, sql);
	ots_db_close(h);
	return v;
}

static uint64_t syncs(struct fixture *f)
{
	struct ots_engine_stats st;

	ots_engine_get_stats(f->e, &st);
	return st.db_syncs;
}

/*
 * Three transactions started in one turn: one commit, and C1s and events
 * only after it is on disk (SQLite: after the worker's fdatasync of the
 * WAL, which the link must see counted when it takes the SMS).
 */
static void test_one_commit(struct fixture *f, gconstpointer data)
{
	uint64_t before = commits(f), syncs_before;
	GError *error = NULL;

	run_until_flushed(f);
	before = commits(f);
	syncs_before = syncs(f);
	for (unsigned i = 0; i < CARDS; i++) {
		g_assert_true(start(f, i, &error));
		g_assert_no_error(error);
	}
	g_assert_cmpuint(ots_engine_unflushed(f->e), !=, 0);
	g_assert_cmpuint(commits(f), ==, before);
	g_assert_cmpuint(f->sent->len, ==, 0);
	g_assert_cmpuint(f->events->len, ==, 0);
	run_until_flushed(f);
	g_assert_cmpuint(commits(f), ==, before + 1);
	g_assert_cmpuint(f->sent->len, ==, CARDS);
	g_assert_cmpuint(f->syncs_at_send, ==, syncs_before + 1);
	g_assert_cmpuint(syncs(f), ==, syncs_before + 1);
	for (unsigned i = 0; i < CARDS; i++) {
		char *queued = g_strdup_printf("queued %s", f->iccid[i]);

		g_assert_true(contains(f->sent, f->iccid[i]));
		g_assert_true(contains(f->events, queued));
		g_free(queued);
	}
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM commands"), ==, CARDS);
}

/* Runs sql (taken) on a connection of the test's own, between batches. */
static void db_exec(struct fixture *f, char *sql)
{
	GError *error = NULL;
	struct ots_db *h = ots_db_open(f->db, &error);

	g_assert_no_error(error);
	g_assert_true(ots_db_exec(h, sql, &error));
	g_assert_no_error(error);
	ots_db_close(h);
	g_free(sql);
}

/* A trigger that refuses a row of table for this card (what the bracket took first is undone). */
static void refuse_row(struct fixture *f, const char *table, const char *iccid)
{
	char *sql = ots_db_target_is_postgres(f->db) ?
		g_strdup_printf("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
				"IF NEW.iccid = '%s' THEN RAISE EXCEPTION 'refused by the test'; END IF; "
				"RETURN NEW; END $$; CREATE TRIGGER refuse BEFORE INSERT ON %s "
				"FOR EACH ROW EXECUTE FUNCTION refuse();", iccid, table) :
		g_strdup_printf("CREATE TRIGGER refuse BEFORE INSERT ON %s WHEN NEW.iccid = "
				"'%s' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;", table, iccid);

	db_exec(f, sql);
}

/* A trigger that refuses the "failed" timeline event of card i's transactions. */
static void refuse_failed_event(struct fixture *f, unsigned i)
{
	char *when = g_strdup_printf("NEW.event = 'failed' AND NEW.tx_id IN (SELECT id FROM "
				     "transactions WHERE iccid = '%s')", f->iccid[i]);
	char *sql = ots_db_target_is_postgres(f->db) ?
		g_strdup_printf("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
				"IF %s THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; "
				"END $$; CREATE TRIGGER refuse BEFORE INSERT ON timeline FOR EACH ROW "
				"EXECUTE FUNCTION refuse();", when) :
		g_strdup_printf("CREATE TRIGGER refuse BEFORE INSERT ON timeline WHEN %s BEGIN "
				"SELECT RAISE(ABORT, 'refused by the test'); END;", when);

	g_free(when);
	db_exec(f, sql);
}

/* The SMSC refuses SMS id for good (a step of the engine's own). */
static void refuse_final(struct fixture *f, uint32_t id)
{
	struct ots_sms_report r = {
		.fate = OTS_SMS_REFUSED_FINAL, .link = "test", .status = 0x0b,
		.reason = "ESME_RINVDSTADR (invalid destination address)",
	};

	ots_engine_sms_report(f->e, id, &r);
}

static int64_t open_tx_count(struct fixture *f)
{
	return db_int(f, "SELECT count(*) FROM transactions WHERE outcome = 0");
}

/*
 * Two steps of the engine's own in one batch (the SMSC's final refusals of
 * two C1s, as SMPP reports them), the second failing after it changed the in-memory view (its
 * transaction concluded, its command closed): the whole batch is rolled
 * back and the view read again, so both transactions are open in memory as
 * in the database, and each fails for good once the refusal comes again.
 * Meanwhile each entry point commits alone.
 */
static void test_step_fails(struct fixture *f, gconstpointer data)
{
	struct ots_engine_stats st;
	GError *error = NULL;
	GLogLevelFlags fatal;
	uint64_t before, lost;
	uint32_t id0, id1;

	g_assert_true(start(f, 0, &error));
	g_assert_true(start(f, 1, &error));
	g_assert_no_error(error);
	run_until_flushed(f);
	id0 = f->last_id[0];
	id1 = f->last_id[1];
	g_assert_cmpuint(id0, !=, 0);
	g_assert_cmpuint(id1, !=, 0);
	refuse_failed_event(f, 1);
	before = commits(f);
	g_ptr_array_set_size(f->events, 0);
	fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK);
	refuse_final(f, id0);
	lost = ots_engine_unflushed(f->e);      /* the batch both steps join */
	g_assert_cmpuint(lost, !=, 0);
	refuse_final(f, id1);
	run_until_flushed(f);
	g_log_set_always_fatal(fatal);
	g_assert_true(heard_lost(f, (int64_t)lost));
	ots_engine_get_stats(f->e, &st);
	g_assert_cmpuint(st.batches_failed, ==, 1);
	g_assert_cmpuint(st.active_tx, ==, 2);          /* read again: both still open */
	g_assert_cmpuint(f->events->len, ==, 0);
	g_assert_cmpint(open_tx_count(f), ==, 2);
	g_assert_cmpuint(commits(f), <=, before + 1);   /* the reload's batch at most */

	/* the refusals again, the trigger gone: one commit each, at once */
	db_exec(f, g_strdup(ots_db_target_is_postgres(f->db) ? "DROP TRIGGER refuse ON timeline" :
			    "DROP TRIGGER refuse"));
	before = commits(f);
	refuse_final(f, id0);
	g_assert_cmpuint(ots_engine_unflushed(f->e), ==, 0);
	g_assert_cmpuint(commits(f), ==, before + 1);
	refuse_final(f, id1);
	g_assert_cmpuint(commits(f), ==, before + 2);
	g_assert_cmpint(open_tx_count(f), ==, 0);
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM timeline WHERE event = 'failed'"), ==, 2);
	ots_engine_get_stats(f->e, &st);
	g_assert_cmpuint(st.active_tx, ==, 0);
}

/* Every SMS id that left was reserved durably: below the msg_id counter the database holds. */
static void assert_ids_reserved(struct fixture *f)
{
	g_assert_cmpuint(f->sent->len, >, 0);
	g_assert_cmpint(db_int(f, "SELECT coalesce(max(value), 0) FROM meta WHERE key = 'msg_id'"),
			>, f->max_id);
}

/* The middle entry point of a batch fails: the first and the last survive, alone. */
static void test_one_fails(struct fixture *f, gconstpointer data)
{
	GError *error = NULL;
	char *sql;
	uint64_t before;

	run_until_flushed(f);
	refuse_row(f, "transactions", f->iccid[1]);
	before = commits(f);
	g_assert_true(start(f, 0, &error));
	g_assert_false(start(f, 1, &error));
	g_assert_error(error, OTS_ERROR, OTS_ERROR_DB);
	g_clear_error(&error);
	g_assert_true(start(f, 2, &error));
	g_assert_no_error(error);
	run_until_flushed(f);
	g_assert_cmpuint(commits(f), ==, before + 1);
	/* the others' rows, SMS and events; none of the failed one's */
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM transactions"), ==, 2);
	g_assert_cmpuint(f->sent->len, ==, 2);
	g_assert_true(contains(f->sent, f->iccid[0]));
	g_assert_true(contains(f->sent, f->iccid[2]));
	g_assert_false(contains(f->sent, f->iccid[1]));
	for (unsigned i = 0; i < f->events->len; i++)
		g_assert_null(strstr(f->events->pdata[i], f->iccid[1]));
	/* the txid it took before its insert failed was rolled back with it */
	sql = g_strdup_printf("SELECT next_txid FROM cards WHERE iccid = '%s'", f->iccid[1]);
	g_assert_cmpint(db_int(f, sql), ==, 1);
	g_free(sql);
	sql = g_strdup_printf("SELECT next_txid FROM cards WHERE iccid = '%s'", f->iccid[0]);
	g_assert_cmpint(db_int(f, sql), ==, 2);
	g_free(sql);
}

/*
 * A row for card i's transactions makes the COMMIT fail: a deferred foreign
 * key (checked at COMMIT on both backends) that the row's trigger breaks.
 */
static void fail_commit_for(struct fixture *f, const char *iccid)
{
	char *sql = ots_db_target_is_postgres(f->db) ?
		g_strdup_printf("CREATE TABLE guard(iccid TEXT REFERENCES cards(iccid) DEFERRABLE "
				"INITIALLY DEFERRED); CREATE FUNCTION spoil() RETURNS trigger LANGUAGE "
				"plpgsql AS $$ BEGIN IF NEW.iccid = '%s' THEN INSERT INTO guard "
				"VALUES('none'); END IF; RETURN NEW; END $$; CREATE TRIGGER spoil AFTER "
				"INSERT ON transactions FOR EACH ROW EXECUTE FUNCTION spoil();", iccid) :
		g_strdup_printf("CREATE TABLE guard(iccid TEXT REFERENCES cards(iccid) DEFERRABLE "
				"INITIALLY DEFERRED); CREATE TRIGGER spoil AFTER INSERT ON transactions "
				"WHEN NEW.iccid = '%s' BEGIN INSERT INTO guard VALUES('none'); END;", iccid);

	db_exec(f, sql);
}

/* The batch's COMMIT fails: no SMS, no event, no transaction in memory; the next batch works. */
static void test_commit_fails(struct fixture *f, gconstpointer data)
{
	struct ots_engine_stats st;
	GError *error = NULL;
	GLogLevelFlags fatal;
	uint64_t before;

	run_until_flushed(f);
	fail_commit_for(f, f->iccid[0]);
	before = commits(f);
	g_assert_true(start(f, 0, &error));
	g_assert_no_error(error);
	/* the engine says so loudly (a critical): not fatal here */
	fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK);
	run_until_flushed(f);
	g_log_set_always_fatal(fatal);
	ots_engine_get_stats(f->e, &st);
	g_assert_cmpuint(st.db_commits, ==, before + 1);   /* the reload's own (empty) batch only */
	g_assert_cmpuint(st.batches_failed, ==, 1);
	g_assert_cmpuint(st.active_tx, ==, 0);      /* the engine re-read the database */
	g_assert_cmpuint(f->sent->len, ==, 0);
	g_assert_cmpuint(f->events->len, ==, 0);
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM transactions"), ==, 0);
	/* the next batch commits; the lost transaction's counter was never used */
	g_assert_true(start(f, 1, &error));
	run_until_flushed(f);
	ots_engine_get_stats(f->e, &st);
	g_assert_cmpuint(st.active_tx, ==, 1);
	g_assert_cmpuint(f->sent->len, ==, 1);
	g_assert_true(contains(f->sent, f->iccid[1]));
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM commands"), ==, 1);
	/* the SMS ids the lost batch reserved were given up with it */
	assert_ids_reserved(f);
}

/*
 * The first command of the run fails in its entry point after it took its
 * SMS ids (its command row refused): the block of ids that entry point
 * reserved is rolled back with it, and the others in the batch reserve
 * again, durably.  It failed after the engine had made the transaction its
 * card's active one in memory: that is gone too (the batch was lost and the
 * view read again), so the card's next transaction goes.
 */
static void test_ids_rolled_back(struct fixture *f, gconstpointer data)
{
	GError *error = NULL;
	GLogLevelFlags fatal;

	run_until_flushed(f);
	refuse_row(f, "commands", f->iccid[0]);
	fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK);
	if (!start(f, 0, &error))
		g_clear_error(&error);
	g_log_set_always_fatal(fatal);
	g_assert_true(start(f, 1, &error));
	g_assert_true(start(f, 2, &error));
	g_assert_no_error(error);
	run_until_flushed(f);
	g_assert_false(contains(f->sent, f->iccid[0]));
	g_assert_true(contains(f->sent, f->iccid[1]));
	g_assert_true(contains(f->sent, f->iccid[2]));
	assert_ids_reserved(f);
	/* the engine holds no trace of the lost transaction: the card's next one goes */
	db_exec(f, g_strdup(ots_db_target_is_postgres(f->db) ? "DROP TRIGGER refuse ON commands" :
			    "DROP TRIGGER refuse"));
	g_assert_true(start(f, 0, &error));
	g_assert_no_error(error);
	run_until_flushed(f);
	g_assert_true(contains(f->sent, f->iccid[0]));
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM transactions"), ==, 3);
}

/*
 * SQLite, group commit: no checkpoint runs in the engine's commits; a
 * worker's keeps the WAL from growing past about OTS_DB_CHECKPOINT_PAGES
 * (1 000 pages): a WAL twice that size means nobody checkpointed.
 */
static void test_wal_checkpointed(struct fixture *f, gconstpointer data)
{
	char *wal = g_strconcat(f->db, "-wal", NULL);
	struct ots_engine_stats st = { 0 };
	GError *error = NULL;
	GStatBuf sb;
	unsigned n = 0;

	if (ots_db_target_is_postgres(f->db)) {
		g_test_skip("SQLite's WAL");
		g_free(wal);
		return;
	}
	/* transactions queue on the three cards; each batch of starts adds WAL pages */
	while (st.wal_checkpoints == 0 && n < 20000) {
		for (unsigned i = 0; i < 30; i++, n++)
			g_assert_true(start(f, n % CARDS, &error));
		g_assert_no_error(error);
		run_until_flushed(f);
		ots_engine_get_stats(f->e, &st);
	}
	g_assert_cmpint(g_stat(wal, &sb), ==, 0);
	g_test_message("%u starts, %" G_GUINT64_FORMAT " checkpoints, WAL %lld bytes", n,
		       st.wal_checkpoints, (long long)sb.st_size);
	g_assert_cmpuint(st.wal_checkpoints, >, 0);
	g_assert_cmpint(sb.st_size, <, 2000 * (4096 + 24));
	g_free(wal);
}

/*
 * The timeline rows of a batch wait in memory and are written with a few
 * statements at its COMMIT: a transaction read while its batch is open
 * shows them all the same, and each event heard after the COMMIT carries
 * the seq of its row.
 */
static void test_timeline_in_batch(struct fixture *f, gconstpointer data)
{
	char *json = g_strdup_printf("{\"iccid\":\"%s\",\"tar\":\"" TAR_FIXED "\","
				     "\"action\":\"display-text\",\"text\":\"hello\"}", f->iccid[0]);
	JsonNode *req = json_from_string(json, NULL), *tx;
	JsonArray *timeline;
	GError *error = NULL;
	char *sql;
	uint64_t id;

	run_until_flushed(f);
	g_ptr_array_set_size(f->events, 0);
	g_array_set_size(f->seqs, 0);
	g_assert_true(ots_engine_tx_start_json(f->e, req, &id, &error));
	g_assert_no_error(error);
	g_assert_true(start(f, 1, &error));
	g_assert_cmpuint(ots_engine_unflushed(f->e), !=, 0);
	tx = ots_engine_tx_get(f->e, id, &error);
	g_assert_no_error(error);
	timeline = json_object_get_array_member(json_node_get_object(tx), "timeline");
	g_assert_cmpuint(json_array_get_length(timeline), >=, 2);    /* queued, c1 sent */
	g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(timeline, 0),
						      "event"), ==, "queued");
	json_node_unref(tx);
	run_until_flushed(f);
	/* what was heard is what the database holds, seq for seq */
	g_assert_cmpuint(f->seqs->len, >=, 4);
	sql = g_strdup_printf("SELECT count(*) FROM timeline WHERE seq >= %" G_GINT64_FORMAT,
			      g_array_index(f->seqs, int64_t, 0));
	g_assert_cmpint(db_int(f, sql), ==, f->seqs->len);
	g_free(sql);
	for (unsigned i = 0; i < f->seqs->len; i++) {
		int64_t seq = g_array_index(f->seqs, int64_t, i);
		char *kind = g_strndup(f->events->pdata[i], strcspn(f->events->pdata[i], " "));

		if (i)
			g_assert_cmpint(seq, >, g_array_index(f->seqs, int64_t, i - 1));
		sql = g_strdup_printf("SELECT count(*) FROM timeline WHERE seq = %" G_GINT64_FORMAT
				      " AND event = '%s'", seq, kind);
		g_assert_cmpint(db_int(f, sql), ==, 1);
		g_free(sql);
		g_free(kind);
	}
	json_node_unref(req);
	g_free(json);
}

/* Runs the loop until the database answers sql with want (at most 3 s). */
static void run_until_db(struct fixture *f, const char *sql, int64_t want)
{
	int64_t end = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;

	while (db_int(f, sql) != want) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		for (unsigned i = 0; i < 50; i++)
			g_main_context_iteration(NULL, FALSE);
		g_usleep(1000);
	}
}

/*
 * A campaign's pacing timer starts its cards as a step of the engine's
 * own; when one of those starts fails, the batch is lost and the campaign
 * read again from the database: each card's operation is then started once,
 * as the database says, with none left over in memory from the lost batch.
 */
static void test_campaign_step_fails(struct fixture *f, gconstpointer data)
{
	char iccid[3][21], *json, *sql;
	GLogLevelFlags fatal;
	GError *error = NULL;
	JsonNode *n;
	struct ots_engine_stats st;
	uint64_t id;

	for (unsigned i = 0; i < 3; i++) {
		char msisdn[16], *ini;

		g_snprintf(iccid[i], sizeof(iccid[i]), "8988239000000060%04u", i);
		g_snprintf(msisdn, sizeof(msisdn), "+1555600%04u", i);
		ini = write_rfm_card_ini(f->dir, iccid[i], msisdn, NULL);
		g_assert_true(ots_engine_card_import_file(f->e, ini, false, NULL, &error));
		g_assert_no_error(error);
		g_free(ini);
	}
	/* the first card's start refused (its row made active), before any card's operation began */
	sql = ots_db_target_is_postgres(f->db) ?
		g_strdup_printf("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
				"RAISE EXCEPTION 'refused by the test'; END $$; CREATE TRIGGER refuse "
				"BEFORE UPDATE ON campaign_cards FOR EACH ROW WHEN (NEW.iccid = '%s' "
				"AND NEW.state = 1) EXECUTE FUNCTION refuse();", iccid[0]) :
		g_strdup_printf("CREATE TRIGGER refuse BEFORE UPDATE ON campaign_cards WHEN "
				"NEW.iccid = '%s' AND NEW.state = 1 BEGIN "
				"SELECT RAISE(ABORT, 'refused by the test'); END;", iccid[0]);
	db_exec(f, sql);
	run_until_flushed(f);
	g_ptr_array_set_size(f->sent, 0);
	json = g_strdup_printf("{\"tar\":\"b00001\",\"apdus\":[\"00a4000c026f46\"],"
			       "\"iccids\":[\"%s\",\"%s\",\"%s\"],\"rate\":1000}",
			       iccid[0], iccid[1], iccid[2]);
	n = json_from_string(json, NULL);
	g_assert_true(ots_engine_campaign_start_json(f->e, n, &id, &error));
	g_assert_no_error(error);
	json_node_unref(n);
	g_free(json);
	fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK);   /* the refusal is logged as critical */
	{
		int64_t end = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;

		while (test_refusals == 0) {
			g_assert_cmpint(g_get_monotonic_time(), <, end);
			g_main_context_iteration(NULL, FALSE);
		}
	}
	run_until_flushed(f);
	g_log_set_always_fatal(fatal);
	db_exec(f, g_strdup(ots_db_target_is_postgres(f->db) ? "DROP TRIGGER refuse ON campaign_cards" :
			    "DROP TRIGGER refuse"));
	/* every card started, once */
	sql = g_strdup_printf("SELECT count(*) FROM campaign_cards WHERE campaign_id = %"
			      G_GUINT64_FORMAT " AND state = 1 AND tx_id IS NOT NULL", id);
	run_until_db(f, sql, 3);
	g_free(sql);
	run_until_flushed(f);
	g_assert_cmpint(db_int(f, "SELECT count(*) FROM transactions WHERE iccid LIKE '8988239000000060%'"),
			==, 3);
	ots_engine_get_stats(f->e, &st);
	g_assert_cmpuint(st.active_tx, ==, 3);
	g_assert_cmpuint(f->sent->len, ==, 3);
	for (unsigned i = 0; i < 3; i++)
		g_assert_true(contains(f->sent, iccid[i]));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_log_set_writer_func(test_count_refusals, NULL, NULL);
	g_test_add("/ots/batch/one-commit-per-turn", struct fixture, NULL, setup, test_one_commit,
		   teardown);
	g_test_add("/ots/batch/one-entry-point-fails", struct fixture, NULL, setup, test_one_fails,
		   teardown);
	g_test_add("/ots/batch/commit-fails", struct fixture, NULL, setup, test_commit_fails,
		   teardown);
	g_test_add("/ots/batch/msg-ids-rolled-back", struct fixture, NULL, setup,
		   test_ids_rolled_back, teardown);
	g_test_add("/ots/batch/step-fails", struct fixture, NULL, setup, test_step_fails,
		   teardown);
	g_test_add("/ots/batch/wal-checkpointed", struct fixture, NULL, setup,
		   test_wal_checkpointed, teardown);
	g_test_add("/ots/batch/timeline-in-batch", struct fixture, NULL, setup,
		   test_timeline_in_batch, teardown);
	g_test_add("/ots/batch/campaign-step-fails", struct fixture, NULL, setup,
		   test_campaign_step_fails, teardown);
	return g_test_run();
}
