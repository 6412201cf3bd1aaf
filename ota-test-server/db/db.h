/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The server's database, one small API over two backends:
 *
 *   SQLite      a file path (the embedded default): created mode 0600 and
 *               refused when group or others may open it; WAL,
 *               synchronous=FULL, foreign keys.
 *   PostgreSQL  a "postgresql://..." or "postgres://..." URI, through
 *               libpq; several server instances may share one database.
 *
 * Every module writes its SQL once, with '?' placeholders, in the portable
 * subset both backends understand; whatever must differ (column types,
 * the id of an inserted row, the schema's migrations) stays in db/.
 * Statements are prepared once and cached by their SQL text.  Errors are
 * OTS_ERROR_DB.  Single-threaded.
 *
 * Durability: a COMMIT returns only once the transaction is on disk
 * (SQLite: WAL + synchronous=FULL; PostgreSQL: synchronous_commit=on), so a
 * row committed before a packet leaves survives kill -9 and power loss.
 */
#ifndef OTS_DB_H
#define OTS_DB_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The schema's newest version (schema_version table; migrations in db.c). */
#define OTS_DB_SCHEMA_VERSION 8

enum ots_db_backend { OTS_DB_SQLITE, OTS_DB_POSTGRES };

struct ots_db;
struct ots_db_stmt;

/* True when target names a PostgreSQL database (a postgresql:// or postgres:// URI). */
bool ots_db_target_is_postgres(const char *target);

/*
 * Opens (or creates) the database at target and creates or migrates its
 * schema.  SQLite: a new file is created mode 0600; an existing one
 * readable or writable by group or others is refused (OTS_ERROR_INSECURE),
 * as is one that is not a regular file.
 */
struct ots_db *ots_db_open(const char *target, GError **error);
void ots_db_close(struct ots_db *db);
enum ots_db_backend ots_db_backend(const struct ots_db *db);
/* What to log about the database: the path, or the URI without user and password (g_free). */
char *ots_db_describe(const char *target);

/* ---- statements -------------------------------------------------------------- */

/*
 * The cached statement for this SQL text, reset and with its bindings
 * cleared.  Placeholders are '?' (numbered from 1).  Never NULL: a
 * statement that cannot be prepared reports its error when it is run.
 */
struct ots_db_stmt *ots_db_stmt(struct ots_db *db, const char *sql);

/* Bindings (index from 1); unbound parameters are NULL.  Text and blobs are copied. */
void ots_db_bind_int(struct ots_db_stmt *st, int i, int64_t v);
void ots_db_bind_text(struct ots_db_stmt *st, int i, const char *s);   /* NULL binds NULL */
void ots_db_bind_text_take(struct ots_db_stmt *st, int i, char *s);    /* takes s (g_free) */
void ots_db_bind_blob(struct ots_db_stmt *st, int i, const void *p, size_t len);

/*
 * Runs the statement (on the first call) and moves to the next row: true
 * while there is a row.  false at the end, or on an error: then *error is
 * set (error may be NULL; the failure is still logged).
 */
bool ots_db_next(struct ots_db_stmt *st, GError **error);
/* Runs a statement whose rows (if any) are not wanted, then resets it. */
bool ots_db_run(struct ots_db_stmt *st, GError **error);
/* Runs an INSERT and returns the new row's key column (SQLite's rowid alias; RETURNING on PostgreSQL). */
bool ots_db_insert(struct ots_db_stmt *st, const char *key_column, int64_t *id, GError **error);
/* SQLite: the rowid of the last row inserted (a multi-row INSERT's last); 0 on PostgreSQL. */
int64_t ots_db_last_insert_id(struct ots_db *db);
/* Ends the statement's run (its row values are then invalid); keeps the bindings. */
void ots_db_reset(struct ots_db_stmt *st);

/* Columns of the current row (from 0). */
bool ots_db_column_null(struct ots_db_stmt *st, int col);
int64_t ots_db_column_int(struct ots_db_stmt *st, int col);          /* NULL reads 0 */
const char *ots_db_column_text(struct ots_db_stmt *st, int col);     /* NULL reads NULL */
/* A blob column: its bytes (valid until the next row or reset) and length. */
const uint8_t *ots_db_column_blob(struct ots_db_stmt *st, int col, size_t *len);

/* ---- transactions ---------------------------------------------------------------- */

/* SQL text without parameters, possibly several statements. */
bool ots_db_exec(struct ots_db *db, const char *sql, GError **error);
bool ots_db_begin(struct ots_db *db, GError **error);
/* Durable once it returns true; on failure the transaction is rolled back. */
bool ots_db_commit(struct ots_db *db, GError **error);

/*
 * Group commit without waiting for the disk on the caller's thread
 * (doc/scaling.md, "The WAL's fdatasync off the engine's thread").  On
 * SQLite a transaction begun with ots_db_begin_unsynced() commits into the
 * WAL without its fdatasync (synchronous=NORMAL for that transaction): a
 * kill -9 of the process loses nothing of it, a crash of the machine may,
 * until ots_db_sync() or ots_db_sync_path() on the WAL (any thread) or any
 * later durable commit returned.  *unsynced says whether that is still owed
 * (false on PostgreSQL, whose COMMIT is durable).  ots_db_commit() of such a
 * transaction syncs before it returns.
 */
bool ots_db_begin_unsynced(struct ots_db *db, GError **error);
bool ots_db_commit_unsynced(struct ots_db *db, bool *unsynced, GError **error);
/* The file to fdatasync (SQLite's WAL; g_free); NULL on PostgreSQL. */
char *ots_db_wal_path(struct ots_db *db);
/* fdatasync of path through a descriptor of its own: safe on any thread. */
bool ots_db_sync_path(const char *path, GError **error);
/* The WAL synced on this thread (true at once on PostgreSQL). */
bool ots_db_sync(struct ots_db *db, GError **error);
/* A sync done by a worker, counted in the statistics. */
void ots_db_count_sync(struct ots_db *db);
/*
 * SQLite: no automatic checkpoint in this connection's unsynced commits
 * (SQLite's runs in the COMMIT that passes OTS_DB_CHECKPOINT_PAGES WAL
 * pages, two fsyncs on the committer's thread); the caller watches
 * ots_db_wal_pages() and runs ots_db_checkpoint_path() on the database file
 * (ots_db_file_path) from another thread.  ots_db_commit() (a registry
 * import's) still checkpoints past that size, as SQLite did.  No-op on
 * PostgreSQL.
 */
#define OTS_DB_CHECKPOINT_PAGES 1000   /* SQLite's own automatic threshold */
void ots_db_checkpoint_elsewhere(struct ots_db *db);
unsigned ots_db_wal_pages(const struct ots_db *db);
char *ots_db_file_path(struct ots_db *db);
bool ots_db_checkpoint_path(const char *path, GError **error);
void ots_db_rollback(struct ots_db *db);
bool ots_db_in_transaction(struct ots_db *db);

/*
 * One savepoint inside the open transaction (both backends have them): the
 * engine's group commit brackets each entry point with one, so a failing
 * entry point undoes only its own changes.  Release keeps the changes in
 * the transaction; rollback-to undoes them and ends the savepoint too.
 */
bool ots_db_savepoint(struct ots_db *db, GError **error);
bool ots_db_release(struct ots_db *db, GError **error);
bool ots_db_rollback_to(struct ots_db *db, GError **error);

/*
 * A persistent counter in the meta table: returns the current value and
 * stores value + n (inside the caller's transaction).  Starts at 1.
 */
bool ots_db_meta_take(struct ots_db *db, const char *key, int64_t n, int64_t *value, GError **error);

/*
 * The same, for a number several server instances take often (the SMS
 * ids): on PostgreSQL taken and committed at once on a second connection,
 * so the caller's open transaction holds no lock on the shared row until
 * it commits (two instances' batches would otherwise queue behind each
 * other); on SQLite ots_db_meta_take() in the open transaction.  What is
 * reserved and never used is lost, never given twice.
 */
bool ots_db_meta_reserve(struct ots_db *db, const char *key, int64_t n, int64_t *value,
			 GError **error);

/* ---- several instances on one PostgreSQL database (doc/scaling.md) ---------------- */

/*
 * LISTEN on channel (PostgreSQL only: false on SQLite), on the second
 * connection: cb hears each notification's payload in the main loop (the
 * thread-default main context of this call).  One channel per database
 * handle.  Should that connection be lost, cb hears NULL once: what was
 * notified meanwhile is gone.
 */
typedef void (*ots_db_notify_cb)(const char *payload, void *user);
bool ots_db_listen(struct ots_db *db, const char *channel, ots_db_notify_cb cb, void *user,
		   GError **error);
/*
 * PostgreSQL: runs sql (an UPDATE with $1..$n placeholders, text
 * parameters) on the second connection, committed at once whatever the
 * open transaction does; *changed: the rows it changed.  For what must be
 * durable and visible to the other instances now (a lease renewed in the
 * middle of a long batch).  false on SQLite.
 */
bool ots_db_side_update(struct ots_db *db, const char *sql, const char *const *params, int n,
			int64_t *changed, GError **error);
/* NOTIFY channel with payload, inside the open transaction: it leaves at its COMMIT (PostgreSQL). */
bool ots_db_notify(struct ots_db *db, const char *channel, const char *payload, GError **error);

/* Counters of the database work done since open (bench, logs). */
struct ots_db_stats {
	uint64_t commits;
	uint64_t syncs;           /* fsyncs that made commits durable (a COMMIT on PostgreSQL) */
	uint64_t statements;
};
void ots_db_get_stats(const struct ots_db *db, struct ots_db_stats *out);
/* The durable commits since open (each one fsync on SQLite): tests and the bench count them. */
uint64_t ots_db_commit_count(const struct ots_db *db);
uint64_t ots_db_sync_count(const struct ots_db *db);

#endif
