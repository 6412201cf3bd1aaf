/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The database API: dispatch to the backend, the SQLite backend (open with
 * the file-mode check, statement cache), the schema and its migrations.
 * The PostgreSQL backend is db-pg.c.
 */
#include "db/db-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ots-error.h"

/* ---- the schema ------------------------------------------------------------------ */

/*
 * One schema for both backends.  Times are g_get_real_time() microseconds;
 * TARs are 6 hex digits; keys are blobs (they leave the database only
 * through the registry, which hands them to libsimota).  The words in
 * braces are the column types that differ:
 *   {ID}    the row's key, assigned on insert
 *   {INT}   a 64-bit integer (SQLite's INTEGER; PostgreSQL's INTEGER is 32-bit)
 *   {BLOB}  bytes
 */
static const char schema_v1[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value {INT} NOT NULL);"
	"CREATE TABLE cards("
	"  iccid TEXT PRIMARY KEY, msisdn TEXT NOT NULL DEFAULT '',"
	"  imsi TEXT NOT NULL DEFAULT '', next_txid {INT} NOT NULL DEFAULT 1,"
	"  created {INT} NOT NULL);"
	"CREATE INDEX cards_msisdn ON cards(msisdn);"
	"CREATE TABLE keysets("
	"  iccid TEXT NOT NULL REFERENCES cards(iccid) ON DELETE CASCADE,"
	"  kvn {INT} NOT NULL, kic {INT} NOT NULL, kid {INT} NOT NULL,"
	"  kic_key {BLOB}, kid_key {BLOB}, counter {INT} NOT NULL,"
	"  PRIMARY KEY(iccid, kvn));"
	"CREATE TABLE tars("
	"  iccid TEXT NOT NULL REFERENCES cards(iccid) ON DELETE CASCADE,"
	"  tar TEXT NOT NULL, applet TEXT NOT NULL, spi {INT} NOT NULL,"
	"  msl {INT} NOT NULL, keysets {INT} NOT NULL, mode TEXT NOT NULL,"
	"  mg_address TEXT NOT NULL, PRIMARY KEY(iccid, tar));"
	"CREATE TABLE transactions("
	"  id {ID}, iccid TEXT NOT NULL,"
	"  txid {INT} NOT NULL, tar TEXT NOT NULL, kvn {INT} NOT NULL,"
	"  action {INT} NOT NULL, text TEXT, items TEXT, input TEXT,"
	"  ev TEXT NOT NULL, state {INT} NOT NULL, created {INT} NOT NULL,"
	"  c1_at {INT}, deadline {INT}, rq TEXT,"
	"  attempts {INT} NOT NULL DEFAULT 0, backoff_ms {INT} NOT NULL DEFAULT 0,"
	"  due {INT}, due_kind {INT} NOT NULL DEFAULT 0,"
	"  outcome {INT} NOT NULL DEFAULT 0, result TEXT, why TEXT,"
	"  UNIQUE(iccid, txid));"
	"CREATE INDEX tx_state ON transactions(state);"
	"CREATE INDEX tx_card ON transactions(iccid, state);"
	"CREATE TABLE timeline("
	"  seq {ID}, tx_id {INT} NOT NULL,"
	"  at {INT} NOT NULL, event TEXT NOT NULL, detail TEXT NOT NULL);"
	"CREATE INDEX timeline_tx ON timeline(tx_id);"
	/* every command packet sent: a (card, keyset, counter) is never reused */
	"CREATE TABLE commands("
	"  id {ID}, tx_id {INT} NOT NULL,"
	"  kind {INT} NOT NULL, iccid TEXT NOT NULL, kvn {INT} NOT NULL,"
	"  tar TEXT NOT NULL, cntr {INT} NOT NULL, msg_id {INT} NOT NULL,"
	"  n_segs {INT} NOT NULL, attempt {INT} NOT NULL, sent {INT} NOT NULL,"
	"  por_deadline {INT} NOT NULL, open {INT} NOT NULL DEFAULT 1,"
	"  UNIQUE(iccid, kvn, cntr));"
	"CREATE INDEX commands_open ON commands(open);"
	"CREATE INDEX commands_msg ON commands(msg_id);";

/* Version 2: the version in a table (both backends), the TARs' order without SQLite's rowid. */
static const char schema_v2[] =
	"CREATE TABLE schema_version(version {INT} NOT NULL);"
	"ALTER TABLE tars ADD COLUMN pos {INT} NOT NULL DEFAULT 0;";
static const char schema_v2_sqlite[] = "UPDATE tars SET pos = rowid;";

/* Version 3: a card's fixed southbound link ("" = the engine's choice; doc/smpp.md). */
static const char schema_v3[] = "ALTER TABLE cards ADD COLUMN link TEXT NOT NULL DEFAULT '';";

/* Version 4: the default item of a select-item (protocol.md §3.2, C1 element 8D); NULL = none. */
static const char schema_v4[] = "ALTER TABLE transactions ADD COLUMN default_item {INT};";

/*
 * Version 5: RFM operations and campaigns (transactions/rfm.c, campaign.c).
 * An RFM operation is a row of transactions (action OTS_ACTION_RFM, its
 * state, attempts and result there) with its script here; a campaign sends
 * one script to many cards, one operation per card and attempt.
 */
static const char schema_v5[] =
	"CREATE TABLE rfm_ops("
	"  tx_id {INT} PRIMARY KEY, format {INT} NOT NULL, apdus TEXT NOT NULL,"
	"  script {BLOB} NOT NULL, campaign_id {INT});"
	"CREATE INDEX rfm_ops_campaign ON rfm_ops(campaign_id);"
	"CREATE TABLE campaigns("
	"  id {ID}, name TEXT NOT NULL, tar TEXT NOT NULL, format {INT} NOT NULL,"
	"  apdus TEXT NOT NULL, rate_milli {INT} NOT NULL, retries {INT} NOT NULL,"
	"  state {INT} NOT NULL, created {INT} NOT NULL, finished {INT});"
	"CREATE TABLE campaign_cards("
	"  campaign_id {INT} NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,"
	"  iccid TEXT NOT NULL, pos {INT} NOT NULL, state {INT} NOT NULL,"
	"  tx_id {INT}, attempts {INT} NOT NULL DEFAULT 0, why TEXT, updated {INT},"
	"  PRIMARY KEY(campaign_id, iccid));"
	"CREATE INDEX campaign_cards_next ON campaign_cards(campaign_id, state, attempts, pos);"
	"CREATE INDEX campaign_cards_tx ON campaign_cards(tx_id);";

/*
 * Version 6: several instances on one PostgreSQL database (transactions/lease.c).
 * A card's lease: cards.owner names the instance that acts on it, valid
 * while that instance's row in instances has not expired; inbox holds the
 * requests an instance took for a card another one owns, until the owner
 * has acted on them.  SQLite (one instance) leaves them empty.
 */
static const char schema_v6[] =
	"CREATE TABLE instances(name TEXT PRIMARY KEY, expires {INT} NOT NULL,"
	"  started {INT} NOT NULL, holder TEXT NOT NULL);"
	"ALTER TABLE cards ADD COLUMN owner TEXT;"
	"CREATE INDEX cards_owner ON cards(owner);"
	"CREATE TABLE inbox(id {ID}, iccid TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL,"
	"  reply_to TEXT NOT NULL, created {INT} NOT NULL);"
	"CREATE INDEX inbox_card ON inbox(iccid);"
	/* the instance that paces a running campaign */
	"ALTER TABLE campaigns ADD COLUMN owner TEXT;";

/*
 * Version 7: the open commands indexed by transaction, only while open (a
 * partial index): the engine finds a transaction's open command at a
 * restart through it, and closing a command removes its entry instead of
 * moving it among the closed ones, which the index on "open" kept for every
 * command ever sent (doc/scaling.md, "Where the time goes").
 */
static const char schema_v7[] =
	"DROP INDEX commands_open;"
	"CREATE INDEX commands_open ON commands(tx_id) WHERE open = 1;";

/*
 * Version 8: a card's transactions indexed by card only.  With the state in
 * it, every state change (five per transaction) moved the row's entry to a
 * page chosen by the card, one more page written to the WAL per step on
 * SQLite (bench-server: engine 91-96 -> 87-90 us per transaction); a card's
 * transactions in one state are its entries filtered, in id order still.
 */
static const char schema_v8[] =
	"DROP INDEX tx_card;"
	"CREATE INDEX tx_card ON transactions(iccid);";

struct migration {
	const char *both;         /* with the {TYPE} words */
	const char *sqlite_only;  /* then this on SQLite */
	const char *pg_only;      /* or this on PostgreSQL */
};

/* migrations[i] takes the schema from version i to i + 1 */
static const struct migration migrations[OTS_DB_SCHEMA_VERSION] = {
	{ schema_v1, NULL, NULL },
	{ schema_v2, schema_v2_sqlite, NULL },
	{ schema_v3, NULL, NULL },
	{ schema_v4, NULL, NULL },
	{ schema_v5, NULL, NULL },
	{ schema_v6, NULL, NULL },
	{ schema_v7, NULL, NULL },
	{ schema_v8, NULL, NULL },
};

static char *schema_text(const struct ots_db *db, const char *text)
{
	static const char *const words[][3] = {
		{ "{ID}", "INTEGER PRIMARY KEY AUTOINCREMENT",
		  "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" },
		{ "{INT}", "INTEGER", "BIGINT" },
		{ "{BLOB}", "BLOB", "BYTEA" },
	};
	GString *s = g_string_new(text);

	for (unsigned i = 0; i < G_N_ELEMENTS(words); i++)
		g_string_replace(s, words[i][0], words[i][db->backend == OTS_DB_POSTGRES ? 2 : 1], 0);
	return g_string_free(s, FALSE);
}

/* ---- errors ---------------------------------------------------------------------- */

void ots_db_set_error(struct ots_db *db, GError **error, const char *what, const char *detail)
{
	if (!detail)
		detail = db && db->lite ? sqlite3_errmsg(db->lite) : "not open";
	g_set_error(error, OTS_ERROR, OTS_ERROR_DB, "database: %s: %s", what, detail);
}

/* Logs an error nobody asked for (error == NULL), so no database failure goes unseen. */
static void report(GError **error, GError *local)
{
	if (!local)
		return;
	if (error)
		g_propagate_error(error, local);
	else {
		g_critical("%s", local->message);
		g_error_free(local);
	}
}

/* ---- SQLite: the file ------------------------------------------------------------ */

/* Files that hold keys are mode 0600 (doc/architecture.md, "What is durable, where"). */
static bool check_or_create_file(const char *path, GError **error)
{
	struct stat st;
	int fd;

	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			g_set_error(error, OTS_ERROR, OTS_ERROR_INSECURE,
				    "%s: not a regular file", path);
			return false;
		}
		if (st.st_mode & (S_IRWXG | S_IRWXO)) {
			g_set_error(error, OTS_ERROR, OTS_ERROR_INSECURE,
				    "%s: mode %03o: the database holds keys and must not be "
				    "accessible by group or others (chmod 600)",
				    path, (unsigned)(st.st_mode & 0777));
			return false;
		}
		return true;
	}
	if (errno != ENOENT) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_DB, "%s: %s", path, g_strerror(errno));
		return false;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_DB, "%s: %s", path, g_strerror(errno));
		return false;
	}
	/* the umask may have removed bits, never added: still enforce 0600 */
	if (fchmod(fd, 0600) < 0) {
		close(fd);
		g_set_error(error, OTS_ERROR, OTS_ERROR_DB, "%s: %s", path, g_strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

static bool lite_open(struct ots_db *db, const char *path, GError **error)
{
	static gsize configured;
	char *wal;
	bool wal_ok;

	/*
	 * No allocation statistics: with them every sqlite3_malloc() and free
	 * takes SQLite's global memory mutex and its memory barriers (the
	 * engine's CPU per transaction 170-179 -> 153-160 us in bench-server).
	 * Only possible before SQLite initializes; refused (harmless)
	 * if something in the process already used it.
	 */
	if (g_once_init_enter(&configured)) {
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
		g_once_init_leave(&configured, 1);
	}
	if (!check_or_create_file(path, error))
		return false;
	/* a stale WAL of a file that was copied with loose modes is refused too */
	wal = g_strconcat(path, "-wal", NULL);
	wal_ok = !g_file_test(wal, G_FILE_TEST_EXISTS) || check_or_create_file(wal, error);
	g_free(wal);
	if (!wal_ok)
		return false;
	if (sqlite3_open_v2(path, &db->lite, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		ots_db_set_error(db, error, path, NULL);
		return false;
	}
	sqlite3_busy_timeout(db->lite, 5000);
	sqlite3_extended_result_codes(db->lite, 1);
	db->lite_full = true;
	return ots_db_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			   "PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON; PRAGMA temp_store=MEMORY;", error);
}

/* ---- statements ------------------------------------------------------------------- */

static void stmt_free(gpointer p)
{
	struct ots_db_stmt *st = p;

	if (st->lite)
		sqlite3_finalize(st->lite);
	ots_pg_stmt_free(st);
	g_free(st->sql);
	g_free(st);
}

/*
 * The kept statements are found by the SQL text's address first (callers
 * pass string literals: hashing a 150-byte text each time cost about 5 %
 * of the engine), checked against the text, which a freed and reused
 * address would not match; then by the text.
 */
#define OTS_DB_STMT_ADDRESSES 1024

static struct ots_db_stmt *stmt_find(struct ots_db *db, const char *sql)
{
	struct ots_db_stmt *st = g_hash_table_lookup(db->stmt_at, sql);

	if (st && strcmp(st->sql, sql) == 0)
		return st;
	st = g_hash_table_lookup(db->stmts, sql);
	if (st) {
		/* texts built at run time (listings) bring new addresses: the map stays bounded */
		if (g_hash_table_size(db->stmt_at) >= OTS_DB_STMT_ADDRESSES)
			g_hash_table_remove_all(db->stmt_at);
		g_hash_table_replace(db->stmt_at, (gpointer)sql, st);
	}
	return st;
}

struct ots_db_stmt *ots_db_stmt(struct ots_db *db, const char *sql)
{
	struct ots_db_stmt *st = stmt_find(db, sql);

	if (st) {
		ots_db_reset(st);
		if (db->backend == OTS_DB_POSTGRES) {
			for (int i = 0; i < st->n_params; i++)
				g_clear_pointer(&st->values[i], g_free);
		} else if (st->lite) {
			sqlite3_clear_bindings(st->lite);
		}
		return st;
	}
	st = g_new0(struct ots_db_stmt, 1);
	st->db = db;
	st->sql = g_strdup(sql);
	st->row = -1;
	if (db->backend == OTS_DB_SQLITE &&
	    sqlite3_prepare_v3(db->lite, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->lite,
			       NULL) != SQLITE_OK) {
		g_critical("database: cannot prepare \"%s\": %s", sql, sqlite3_errmsg(db->lite));
		st->lite_failed = true;
	}
	g_hash_table_insert(db->stmts, st->sql, st);
	return st;
}

void ots_db_bind_int(struct ots_db_stmt *st, int i, int64_t v)
{
	if (st->db->backend == OTS_DB_POSTGRES)
		ots_pg_bind(st, i, g_strdup_printf("%" G_GINT64_FORMAT, v), 0, false);
	else if (st->lite)
		sqlite3_bind_int64(st->lite, i, v);
}

void ots_db_bind_text_take(struct ots_db_stmt *st, int i, char *s)
{
	if (st->db->backend == OTS_DB_POSTGRES)
		ots_pg_bind(st, i, s, 0, false);
	else if (st->lite && s)
		sqlite3_bind_text(st->lite, i, s, -1, g_free);
	else
		g_free(s);
}

void ots_db_bind_text(struct ots_db_stmt *st, int i, const char *s)
{
	if (st->db->backend == OTS_DB_POSTGRES)
		ots_pg_bind(st, i, g_strdup(s), 0, false);
	else if (st->lite && s)
		sqlite3_bind_text(st->lite, i, s, -1, SQLITE_TRANSIENT);
}

void ots_db_bind_blob(struct ots_db_stmt *st, int i, const void *p, size_t len)
{
	if (st->db->backend == OTS_DB_POSTGRES)
		ots_pg_bind(st, i, g_memdup2(p, len ? len : 1), (int)len, true);
	else if (st->lite)
		sqlite3_bind_blob(st->lite, i, p, (int)len, SQLITE_TRANSIENT);
}

bool ots_db_next(struct ots_db_stmt *st, GError **error)
{
	GError *local = NULL;
	int rc;

	if (st->db->backend == OTS_DB_POSTGRES) {
		bool row = ots_pg_next(st, &local);

		report(error, local);
		return row;
	}
	if (st->lite_failed) {
		ots_db_set_error(st->db, &local, st->sql, "could not be prepared");
		report(error, local);
		return false;
	}
	if (st->done)
		return false;
	if (sqlite3_stmt_busy(st->lite) == 0)
		st->db->stats.statements++;
	rc = sqlite3_step(st->lite);
	if (rc == SQLITE_ROW)
		return true;
	st->done = true;
	if (rc != SQLITE_DONE) {
		ots_db_set_error(st->db, &local, st->sql, NULL);
		report(error, local);
	}
	return false;
}

void ots_db_reset(struct ots_db_stmt *st)
{
	st->done = false;
	if (st->db->backend == OTS_DB_POSTGRES)
		ots_pg_reset(st);
	else if (st->lite)
		sqlite3_reset(st->lite);
}

bool ots_db_run(struct ots_db_stmt *st, GError **error)
{
	GError *local = NULL;

	while (ots_db_next(st, &local))
		;
	ots_db_reset(st);
	report(error, local);
	return !local;
}

bool ots_db_insert(struct ots_db_stmt *st, const char *key_column, int64_t *id, GError **error)
{
	GError *local = NULL;

	if (st->db->backend == OTS_DB_POSTGRES) {
		if (!st->pg_returning)
			st->pg_returning = g_strdup(key_column);
		if (ots_db_next(st, &local))
			*id = ots_db_column_int(st, 0);
		else if (!local)
			ots_db_set_error(st->db, &local, st->sql, "no row inserted");
		ots_db_reset(st);
		report(error, local);
		return !local;
	}
	if (!ots_db_run(st, error))
		return false;
	*id = sqlite3_last_insert_rowid(st->db->lite);
	return true;
}

int64_t ots_db_last_insert_id(struct ots_db *db)
{
	return db->backend == OTS_DB_SQLITE ? sqlite3_last_insert_rowid(db->lite) : 0;
}

bool ots_db_column_null(struct ots_db_stmt *st, int col)
{
	if (st->db->backend == OTS_DB_POSTGRES)
		return ots_pg_column_null(st, col);
	return sqlite3_column_type(st->lite, col) == SQLITE_NULL;
}

int64_t ots_db_column_int(struct ots_db_stmt *st, int col)
{
	if (st->db->backend == OTS_DB_POSTGRES) {
		const char *s = ots_pg_column_text(st, col);

		return s ? g_ascii_strtoll(s, NULL, 10) : 0;
	}
	return sqlite3_column_int64(st->lite, col);
}

const char *ots_db_column_text(struct ots_db_stmt *st, int col)
{
	if (st->db->backend == OTS_DB_POSTGRES)
		return ots_pg_column_text(st, col);
	return (const char *)sqlite3_column_text(st->lite, col);
}

const uint8_t *ots_db_column_blob(struct ots_db_stmt *st, int col, size_t *len)
{
	if (st->db->backend == OTS_DB_POSTGRES)
		return ots_pg_column_blob(st, col, len);
	*len = (size_t)sqlite3_column_bytes(st->lite, col);
	return sqlite3_column_blob(st->lite, col);
}

/* ---- transactions ----------------------------------------------------------------- */

bool ots_db_exec(struct ots_db *db, const char *sql, GError **error)
{
	char *msg = NULL;

	db->stats.statements++;
	if (db->backend == OTS_DB_POSTGRES)
		return ots_pg_exec(db, sql, error);
	if (sqlite3_exec(db->lite, sql, NULL, NULL, &msg) != SQLITE_OK) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_DB, "database: %s", msg ? msg : "error");
		sqlite3_free(msg);
		return false;
	}
	return true;
}

/*
 * A statement without parameters or rows that runs once per entry point or
 * batch (BEGIN, COMMIT, the savepoints): on SQLite prepared once and kept, as
 * sqlite3_exec() would parse it again at every call (a tenth of the engine's
 * time under load, doc/scaling.md "Where the time goes").
 */
static bool exec_kept(struct ots_db *db, const char *sql, GError **error)
{
	struct ots_db_stmt *st;
	GError *local = NULL;
	int rc;

	if (db->backend == OTS_DB_POSTGRES)
		return ots_db_exec(db, sql, error);
	st = ots_db_stmt(db, sql);
	if (st->lite_failed)
		return ots_db_exec(db, sql, error);
	db->stats.statements++;
	rc = sqlite3_step(st->lite);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ots_db_set_error(db, &local, sql, NULL);
	sqlite3_reset(st->lite);
	if (local)
		g_propagate_error(error, local);
	return !local;
}

/*
 * SQLite's safety level, set outside transactions only ("may not be changed
 * inside a transaction"): FULL, each COMMIT waits for the WAL's fdatasync;
 * NORMAL, it does not (the WAL is still synced before each checkpoint).
 */
static bool lite_synchronous(struct ots_db *db, bool full, GError **error)
{
	if (db->lite_full == full)
		return true;
	/* parsed each time: SQLite applies this pragma when it prepares it, not when it runs */
	if (!ots_db_exec(db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", error))
		return false;
	db->lite_full = full;
	return true;
}

static bool begin(struct ots_db *db, bool synced, GError **error)
{
	if (db->backend == OTS_DB_POSTGRES)
		return exec_kept(db, "BEGIN", error);
	if (!lite_synchronous(db, synced, error))
		return false;
	db->lite_unsynced = !synced;
	return exec_kept(db, "BEGIN IMMEDIATE", error);
}

bool ots_db_begin(struct ots_db *db, GError **error)
{
	return begin(db, true, error);
}

bool ots_db_begin_unsynced(struct ots_db *db, GError **error)
{
	return begin(db, false, error);
}

/* The connection back at FULL once an unsynced transaction ended (or at the next BEGIN). */
static void lite_end(struct ots_db *db)
{
	GError *error = NULL;

	db->lite_unsynced = false;
	if (!lite_synchronous(db, true, &error)) {
		g_warning("%s (it is set again before the next transaction)", error->message);
		g_error_free(error);
	}
}

bool ots_db_commit_unsynced(struct ots_db *db, bool *unsynced, GError **error)
{
	bool was_unsynced = db->backend == OTS_DB_SQLITE && db->lite_unsynced;

	*unsynced = false;
	/* PostgreSQL answers COMMIT of a failed transaction with a ROLLBACK, not an error */
	if (db->backend == OTS_DB_POSTGRES && ots_pg_aborted(db)) {
		ots_db_set_error(db, error, "COMMIT", "a statement of the transaction failed");
		ots_db_rollback(db);
		return false;
	}
	if (!exec_kept(db, "COMMIT", error)) {
		ots_db_rollback(db);
		return false;
	}
	db->stats.commits++;
	if (was_unsynced)
		lite_end(db);
	else
		db->stats.syncs++;    /* synchronous=FULL on SQLite; synchronous_commit=on */
	*unsynced = was_unsynced;
	return true;
}

bool ots_db_commit(struct ots_db *db, GError **error)
{
	bool unsynced;

	if (!ots_db_commit_unsynced(db, &unsynced, error))
		return false;
	if (unsynced && !ots_db_sync(db, error))
		return false;
	/* the checkpoint SQLite would have run here (a registry import's commits); see below */
	if (db->checkpoint_elsewhere && db->wal_pages >= OTS_DB_CHECKPOINT_PAGES)
		sqlite3_wal_checkpoint_v2(db->lite, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return true;
}

char *ots_db_wal_path(struct ots_db *db)
{
	if (db->backend != OTS_DB_SQLITE)
		return NULL;
	return g_strdup(sqlite3_filename_wal(sqlite3_db_filename(db->lite, "main")));
}

/*
 * The WAL holds every transaction committed so far (SQLite truncates or
 * removes it only in a checkpoint, which syncs it first, or when the last
 * connection closes): one fdatasync makes all of them durable.  Its own
 * descriptor, so that a worker thread never touches the connection.
 */
bool ots_db_sync_path(const char *path, GError **error)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err;

	if (fd < 0 || fdatasync(fd) != 0) {
		err = errno;
		if (fd >= 0)
			close(fd);
		g_set_error(error, OTS_ERROR, OTS_ERROR_DB, "fdatasync of %s: %s", path,
			    g_strerror(err));
		return false;
	}
	close(fd);
	return true;
}

bool ots_db_sync(struct ots_db *db, GError **error)
{
	char *path = ots_db_wal_path(db);
	bool ok = !path || ots_db_sync_path(path, error);

	g_free(path);
	if (ok)
		db->stats.syncs++;
	return ok;
}

void ots_db_count_sync(struct ots_db *db)
{
	db->stats.syncs++;
}

/* Called by SQLite after each commit: the WAL's size, in pages (no checkpoint here). */
static int wal_hook(void *user, sqlite3 *lite, const char *name, int pages)
{
	struct ots_db *db = user;

	db->wal_pages = pages;
	return SQLITE_OK;
}

void ots_db_checkpoint_elsewhere(struct ots_db *db)
{
	/* a hook of ours replaces SQLite's automatic checkpoint (its own wal_hook) */
	if (db->backend == OTS_DB_SQLITE) {
		sqlite3_wal_hook(db->lite, wal_hook, db);
		db->checkpoint_elsewhere = true;
	}
}

unsigned ots_db_wal_pages(const struct ots_db *db)
{
	return db->wal_pages;
}

char *ots_db_file_path(struct ots_db *db)
{
	return db->backend == OTS_DB_SQLITE ? g_strdup(sqlite3_db_filename(db->lite, "main")) : NULL;
}

/*
 * A passive checkpoint through a connection of its own (any thread): it
 * copies what no reader needs from the WAL into the database file, syncing
 * both, without blocking the writer; the writer starts the WAL over at its
 * next transaction once all of it was copied.
 */
bool ots_db_checkpoint_path(const char *path, GError **error)
{
	sqlite3 *c = NULL;
	int rc = sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_wal_checkpoint_v2(c, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc != SQLITE_OK)
		g_set_error(error, OTS_ERROR, OTS_ERROR_DB, "checkpoint of %s: %s", path,
			    c ? sqlite3_errmsg(c) : sqlite3_errstr(rc));
	sqlite3_close(c);
	return rc == SQLITE_OK;
}

bool ots_db_in_transaction(struct ots_db *db)
{
	if (db->backend == OTS_DB_POSTGRES)
		return ots_pg_in_transaction(db);
	return !sqlite3_get_autocommit(db->lite);
}

void ots_db_rollback(struct ots_db *db)
{
	if (ots_db_in_transaction(db))
		exec_kept(db, "ROLLBACK", NULL);
	if (db->backend == OTS_DB_SQLITE && db->lite_unsynced)
		lite_end(db);
}

/* SQL:2003 savepoints, the same text on SQLite and PostgreSQL; one name: they do not nest here. */
bool ots_db_savepoint(struct ots_db *db, GError **error)
{
	return exec_kept(db, "SAVEPOINT ots_entry", error);
}

bool ots_db_release(struct ots_db *db, GError **error)
{
	return exec_kept(db, "RELEASE SAVEPOINT ots_entry", error);
}

bool ots_db_rollback_to(struct ots_db *db, GError **error)
{
	/* ROLLBACK TO keeps the savepoint open (both backends): release it as well */
	return exec_kept(db, "ROLLBACK TO SAVEPOINT ots_entry", error) &&
	       ots_db_release(db, error);
}

/* One statement, so two instances sharing the row can never read the same value. */
#define META_TAKE_SQL "INSERT INTO meta(key, value) VALUES(?, 1 + ?) " \
	"ON CONFLICT(key) DO UPDATE SET value = meta.value + excluded.value - 1 RETURNING value"

bool ots_db_meta_take(struct ots_db *db, const char *key, int64_t n, int64_t *value, GError **error)
{
	struct ots_db_stmt *st = ots_db_stmt(db, META_TAKE_SQL);
	GError *local = NULL;
	bool row;

	ots_db_bind_text(st, 1, key);
	ots_db_bind_int(st, 2, n);
	row = ots_db_next(st, &local);
	if (row)
		*value = ots_db_column_int(st, 0) - n;
	ots_db_reset(st);
	if (!row && !local)
		g_set_error(&local, OTS_ERROR, OTS_ERROR_DB, "meta %s: no value returned", key);
	if (local) {
		g_propagate_error(error, local);
		return false;
	}
	return true;
}

bool ots_db_meta_reserve(struct ots_db *db, const char *key, int64_t n, int64_t *value,
			 GError **error)
{
	if (db->backend == OTS_DB_POSTGRES)
		return ots_pg_side_meta_take(db, key, n, value, error);
	return ots_db_meta_take(db, key, n, value, error);
}

bool ots_db_listen(struct ots_db *db, const char *channel, ots_db_notify_cb cb, void *user,
		   GError **error)
{
	if (db->backend != OTS_DB_POSTGRES) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_DB, "LISTEN needs PostgreSQL");
		return false;
	}
	return ots_pg_listen(db, channel, cb, user, error);
}

bool ots_db_side_update(struct ots_db *db, const char *sql, const char *const *params, int n,
			int64_t *changed, GError **error)
{
	if (db->backend != OTS_DB_POSTGRES) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_DB, "a second connection needs PostgreSQL");
		return false;
	}
	return ots_pg_side_update(db, sql, params, n, changed, error);
}

bool ots_db_notify(struct ots_db *db, const char *channel, const char *payload, GError **error)
{
	struct ots_db_stmt *st;

	if (db->backend != OTS_DB_POSTGRES) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_DB, "NOTIFY needs PostgreSQL");
		return false;
	}
	st = ots_db_stmt(db, "SELECT pg_notify(?, ?)");
	ots_db_bind_text(st, 1, channel);
	ots_db_bind_text(st, 2, payload);
	return ots_db_run(st, error);
}

void ots_db_get_stats(const struct ots_db *db, struct ots_db_stats *out)
{
	*out = db->stats;
}

uint64_t ots_db_commit_count(const struct ots_db *db)
{
	return db->stats.commits;
}

uint64_t ots_db_sync_count(const struct ots_db *db)
{
	return db->stats.syncs;
}

/* ---- migrations -------------------------------------------------------------------- */

static bool table_exists(struct ots_db *db, const char *name)
{
	struct ots_db_stmt *st;
	bool any;

	if (db->backend == OTS_DB_POSTGRES)
		return ots_pg_table_exists(db, name);
	st = ots_db_stmt(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
	ots_db_bind_text(st, 1, name);
	any = ots_db_next(st, NULL);
	ots_db_reset(st);
	return any;
}

/* The schema's version: the table's, or (SQLite before version 2) user_version. */
static int64_t schema_version(struct ots_db *db)
{
	struct ots_db_stmt *st;
	int64_t v = 0;

	if (table_exists(db, "schema_version"))
		st = ots_db_stmt(db, "SELECT max(version) FROM schema_version");
	else if (db->backend == OTS_DB_SQLITE)
		st = ots_db_stmt(db, "PRAGMA user_version");
	else
		return 0;
	if (ots_db_next(st, NULL))
		v = ots_db_column_int(st, 0);
	ots_db_reset(st);
	return v;
}

static bool migrate_step(struct ots_db *db, const struct migration *m, GError **error)
{
	const char *own = db->backend == OTS_DB_SQLITE ? m->sqlite_only : m->pg_only;
	char *text = schema_text(db, m->both);
	bool ok = ots_db_exec(db, text, error);

	g_free(text);
	return ok && (!own || ots_db_exec(db, own, error));
}

static bool migrate(struct ots_db *db, GError **error)
{
	int64_t version;
	char *set;

	if (!ots_db_begin(db, error))
		return false;
	/* instances starting together on one PostgreSQL database migrate one at a time */
	if (db->backend == OTS_DB_POSTGRES &&
	    !ots_db_exec(db, "SELECT pg_advisory_xact_lock(7157001)", error))
		goto fail;
	version = schema_version(db);
	if (version > OTS_DB_SCHEMA_VERSION) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_DB,
			    "database schema version %" G_GINT64_FORMAT " is newer than this "
			    "server's (%d)", version, OTS_DB_SCHEMA_VERSION);
		goto fail;
	}
	if (version == OTS_DB_SCHEMA_VERSION) {
		ots_db_rollback(db);
		return true;
	}
	for (int64_t v = version; v < OTS_DB_SCHEMA_VERSION; v++)
		if (!migrate_step(db, &migrations[v], error))
			goto fail;
	set = g_strdup_printf("DELETE FROM schema_version; INSERT INTO schema_version VALUES(%d);%s",
			      OTS_DB_SCHEMA_VERSION,
			      db->backend == OTS_DB_SQLITE ? "PRAGMA user_version = "
			      G_STRINGIFY(OTS_DB_SCHEMA_VERSION) ";" : "");
	if (!ots_db_exec(db, set, error)) {
		g_free(set);
		goto fail;
	}
	g_free(set);
	return ots_db_commit(db, error);
fail:
	ots_db_rollback(db);
	return false;
}

/* ---- open / close ------------------------------------------------------------------- */

bool ots_db_target_is_postgres(const char *target)
{
	return target && (g_str_has_prefix(target, "postgresql://") ||
			  g_str_has_prefix(target, "postgres://"));
}

char *ots_db_describe(const char *target)
{
	const char *at, *rest;

	if (!ots_db_target_is_postgres(target))
		return g_strdup(target);
	/* never the user or password: "postgresql://[user[:password]@]host..." */
	rest = strstr(target, "://") + 3;
	at = strchr(rest, '@');
	if (at && (!strchr(rest, '/') || at < strchr(rest, '/')))
		rest = at + 1;
	return g_strdup_printf("postgresql://%.*s", (int)strcspn(rest, "?"), rest);
}

struct ots_db *ots_db_open(const char *target, GError **error)
{
	struct ots_db *db = g_new0(struct ots_db, 1);
	bool ok;

	db->stmts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, stmt_free);
	db->stmt_at = g_hash_table_new(g_direct_hash, g_direct_equal);
	if (ots_db_target_is_postgres(target)) {
		db->backend = OTS_DB_POSTGRES;
		db->uri = g_strdup(target);
		ok = ots_pg_open(db, target, error);
	} else {
		db->backend = OTS_DB_SQLITE;
		ok = lite_open(db, target, error);
	}
	if (!ok || !migrate(db, error)) {
		ots_db_close(db);
		return NULL;
	}
	return db;
}

void ots_db_close(struct ots_db *db)
{
	if (!db)
		return;
	g_hash_table_destroy(db->stmt_at);
	g_hash_table_destroy(db->stmts);
	if (db->lite)
		sqlite3_close(db->lite);
	ots_pg_close(db);
	g_free(db->uri);
	g_free(db);
}

enum ots_db_backend ots_db_backend(const struct ots_db *db)
{
	return db->backend;
}
