/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SQLite database: open with the file-mode check, schema, statement cache. */
#include "db/db.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ots-error.h"

struct ots_db {
	sqlite3 *h;
	GHashTable *stmts;   /* sql text -> sqlite3_stmt */
};

/*
 * Schema version 1.  Times are g_get_real_time() microseconds; TARs are
 * 6 hex digits; keys are blobs (never leave this file but through the
 * registry, which only hands them to libsimota).
 */
static const char schema_v1[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"CREATE TABLE cards("
	"  iccid TEXT PRIMARY KEY, msisdn TEXT NOT NULL DEFAULT '',"
	"  imsi TEXT NOT NULL DEFAULT '', next_txid INTEGER NOT NULL DEFAULT 1,"
	"  created INTEGER NOT NULL);"
	"CREATE INDEX cards_msisdn ON cards(msisdn);"
	"CREATE TABLE keysets("
	"  iccid TEXT NOT NULL REFERENCES cards(iccid) ON DELETE CASCADE,"
	"  kvn INTEGER NOT NULL, kic INTEGER NOT NULL, kid INTEGER NOT NULL,"
	"  kic_key BLOB, kid_key BLOB, counter INTEGER NOT NULL,"
	"  PRIMARY KEY(iccid, kvn));"
	"CREATE TABLE tars("
	"  iccid TEXT NOT NULL REFERENCES cards(iccid) ON DELETE CASCADE,"
	"  tar TEXT NOT NULL, applet TEXT NOT NULL, spi INTEGER NOT NULL,"
	"  msl INTEGER NOT NULL, keysets INTEGER NOT NULL, mode TEXT NOT NULL,"
	"  mg_address TEXT NOT NULL, PRIMARY KEY(iccid, tar));"
	"CREATE TABLE transactions("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, iccid TEXT NOT NULL,"
	"  txid INTEGER NOT NULL, tar TEXT NOT NULL, kvn INTEGER NOT NULL,"
	"  action INTEGER NOT NULL, text TEXT, items TEXT, input TEXT,"
	"  ev TEXT NOT NULL, state INTEGER NOT NULL, created INTEGER NOT NULL,"
	"  c1_at INTEGER, deadline INTEGER, rq TEXT,"
	"  attempts INTEGER NOT NULL DEFAULT 0, backoff_ms INTEGER NOT NULL DEFAULT 0,"
	"  due INTEGER, due_kind INTEGER NOT NULL DEFAULT 0,"
	"  outcome INTEGER NOT NULL DEFAULT 0, result TEXT, why TEXT,"
	"  UNIQUE(iccid, txid));"
	"CREATE INDEX tx_state ON transactions(state);"
	"CREATE INDEX tx_card ON transactions(iccid, state);"
	"CREATE TABLE timeline("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT, tx_id INTEGER NOT NULL,"
	"  at INTEGER NOT NULL, event TEXT NOT NULL, detail TEXT NOT NULL);"
	"CREATE INDEX timeline_tx ON timeline(tx_id);"
	/* every command packet sent: a (card, keyset, counter) is never reused */
	"CREATE TABLE commands("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, tx_id INTEGER NOT NULL,"
	"  kind INTEGER NOT NULL, iccid TEXT NOT NULL, kvn INTEGER NOT NULL,"
	"  tar TEXT NOT NULL, cntr INTEGER NOT NULL, msg_id INTEGER NOT NULL,"
	"  n_segs INTEGER NOT NULL, attempt INTEGER NOT NULL, sent INTEGER NOT NULL,"
	"  por_deadline INTEGER NOT NULL, open INTEGER NOT NULL DEFAULT 1,"
	"  UNIQUE(iccid, kvn, cntr));"
	"CREATE INDEX commands_open ON commands(open);"
	"CREATE INDEX commands_msg ON commands(msg_id);";

void ots_db_set_error(struct ots_db *db, GError **error, const char *what)
{
	g_set_error(error, OTS_ERROR, OTS_ERROR_DB, "database: %s: %s", what,
		    db && db->h ? sqlite3_errmsg(db->h) : "not open");
}

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

static void stmt_free(gpointer p)
{
	sqlite3_finalize(p);
}

static bool migrate(struct ots_db *db, GError **error)
{
	sqlite3_stmt *st;
	int version = 0;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) {
		ots_db_set_error(db, error, "user_version");
		return false;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);

	if (version > OTS_DB_SCHEMA_VERSION) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_DB,
			    "database schema version %d is newer than this server's (%d)",
			    version, OTS_DB_SCHEMA_VERSION);
		return false;
	}
	if (version == OTS_DB_SCHEMA_VERSION)
		return true;
	if (!ots_db_begin(db, error))
		return false;
	/* version 0 -> 1; later versions add their steps here, in order */
	if (version < 1 && !ots_db_exec(db, schema_v1, error))
		goto fail;
	/* 1 -> 2: the card's fixed southbound link ("" = the engine's choice; doc/smpp.md) */
	if (version < 2 && !ots_db_exec(db, "ALTER TABLE cards ADD COLUMN link TEXT NOT NULL DEFAULT ''",
					 error))
		goto fail;
	if (!ots_db_exec(db, "PRAGMA user_version = 2", error))
		goto fail;
	return ots_db_commit(db, error);
fail:
	ots_db_rollback(db);
	return false;
}

struct ots_db *ots_db_open(const char *path, GError **error)
{
	struct ots_db *db;
	char *wal;
	bool wal_ok;

	if (!check_or_create_file(path, error))
		return NULL;
	/* a stale WAL of a file that was copied with loose modes is refused too */
	wal = g_strconcat(path, "-wal", NULL);
	wal_ok = !g_file_test(wal, G_FILE_TEST_EXISTS) || check_or_create_file(wal, error);
	g_free(wal);
	if (!wal_ok)
		return NULL;

	db = g_new0(struct ots_db, 1);
	db->stmts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, stmt_free);
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		ots_db_set_error(db, error, path);
		ots_db_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db->h, 5000);
	sqlite3_extended_result_codes(db->h, 1);
	if (!ots_db_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 "PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;", error) ||
	    !migrate(db, error)) {
		ots_db_close(db);
		return NULL;
	}
	return db;
}

void ots_db_close(struct ots_db *db)
{
	if (!db)
		return;
	if (db->stmts)
		g_hash_table_destroy(db->stmts);
	if (db->h)
		sqlite3_close(db->h);
	g_free(db);
}

sqlite3 *ots_db_handle(struct ots_db *db)
{
	return db->h;
}

sqlite3_stmt *ots_db_stmt(struct ots_db *db, const char *sql)
{
	sqlite3_stmt *st = g_hash_table_lookup(db->stmts, sql);

	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return st;
	}
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		g_critical("database: cannot prepare \"%s\": %s", sql, sqlite3_errmsg(db->h));
		return NULL;
	}
	g_hash_table_insert(db->stmts, g_strdup(sql), st);
	return st;
}

bool ots_db_exec(struct ots_db *db, const char *sql, GError **error)
{
	char *msg = NULL;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_DB, "database: %s", msg ? msg : "error");
		sqlite3_free(msg);
		return false;
	}
	return true;
}

bool ots_db_begin(struct ots_db *db, GError **error)
{
	return ots_db_exec(db, "BEGIN IMMEDIATE", error);
}

bool ots_db_commit(struct ots_db *db, GError **error)
{
	if (ots_db_exec(db, "COMMIT", error))
		return true;
	ots_db_rollback(db);
	return false;
}

void ots_db_rollback(struct ots_db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

bool ots_db_in_transaction(struct ots_db *db)
{
	return !sqlite3_get_autocommit(db->h);
}

bool ots_db_step_done(struct ots_db *db, sqlite3_stmt *st, GError **error)
{
	int rc;

	if (!st) {
		ots_db_set_error(db, error, "statement");
		return false;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		ots_db_set_error(db, error, sqlite3_sql(st));
		sqlite3_reset(st);
		return false;
	}
	sqlite3_reset(st);
	return true;
}

bool ots_db_meta_take(struct ots_db *db, const char *key, int64_t n, int64_t *value, GError **error)
{
	sqlite3_stmt *st = ots_db_stmt(db, "SELECT value FROM meta WHERE key = ?");
	int64_t v = 1;

	if (!st) {
		ots_db_set_error(db, error, "meta");
		return false;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	st = ots_db_stmt(db, "INSERT INTO meta(key, value) VALUES(?, ?) "
			 "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
	if (!st) {
		ots_db_set_error(db, error, "meta");
		return false;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v + n);
	if (!ots_db_step_done(db, st, error))
		return false;
	*value = v;
	return true;
}
