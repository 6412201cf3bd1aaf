/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The server's SQLite database: opening (mode 0600 checked, WAL,
 * synchronous=FULL, foreign keys), the schema and its migrations, a cache
 * of prepared statements and small helpers.  Single-threaded.
 *
 * Durability: with journal_mode=WAL and synchronous=FULL every COMMIT is
 * fsynced before it returns, so a row committed before a packet leaves
 * survives kill -9 and power loss.
 */
#ifndef OTS_DB_H
#define OTS_DB_H

#include <glib.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#define OTS_DB_SCHEMA_VERSION 2

struct ots_db;

/*
 * Opens or creates path.  A new file is created mode 0600; an existing
 * one readable or writable by group or others is refused (OTS_ERROR_INSECURE),
 * as is one that is not a regular file.  The schema is created or migrated.
 */
struct ots_db *ots_db_open(const char *path, GError **error);
void ots_db_close(struct ots_db *db);
sqlite3 *ots_db_handle(struct ots_db *db);

/* A cached prepared statement, reset and with bindings cleared.  NULL on error (logged). */
sqlite3_stmt *ots_db_stmt(struct ots_db *db, const char *sql);

bool ots_db_exec(struct ots_db *db, const char *sql, GError **error);
bool ots_db_begin(struct ots_db *db, GError **error);
bool ots_db_commit(struct ots_db *db, GError **error);
void ots_db_rollback(struct ots_db *db);
bool ots_db_in_transaction(struct ots_db *db);

/* Sets error (OTS_ERROR_DB) from the connection's last error, with a context. */
void ots_db_set_error(struct ots_db *db, GError **error, const char *what);

/* Runs a statement that returns no rows (sqlite3_step == DONE); resets it. */
bool ots_db_step_done(struct ots_db *db, sqlite3_stmt *st, GError **error);

/*
 * A persistent counter in the meta table: returns the current value and
 * stores value + n (inside the caller's transaction).  Starts at 1.
 */
bool ots_db_meta_take(struct ots_db *db, const char *key, int64_t n, int64_t *value, GError **error);

#endif
