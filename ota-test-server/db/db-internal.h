/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside db/: the connection and statement of both backends, and the
 * PostgreSQL backend's entry points (db-pg.c).  db.c holds the SQLite
 * backend, the dispatch and the schema.
 */
#ifndef OTS_DB_INTERNAL_H
#define OTS_DB_INTERNAL_H

#include <sqlite3.h>

#include "db/db.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

struct ots_db {
	enum ots_db_backend backend;
	GHashTable *stmts;          /* sql text -> struct ots_db_stmt */
	GHashTable *stmt_at;        /* sql text's address -> struct ots_db_stmt (db.c stmt_find) */
	struct ots_db_stats stats;
	sqlite3 *lite;
	bool lite_full;             /* PRAGMA synchronous=FULL (else NORMAL) */
	bool lite_unsynced;         /* the open transaction began unsynced: its COMMIT waits for no disk */
	unsigned wal_pages;         /* the WAL's size after the last commit (ots_db_checkpoint_elsewhere) */
	bool checkpoint_elsewhere;  /* ots_db_checkpoint_elsewhere() was called */
	PGconn *pg;
	unsigned pg_next_name;      /* names of prepared statements */
	/*
	 * PostgreSQL, several instances: a second connection, never in a
	 * transaction: LISTEN, and numbers reserved at once (ots_db_meta_reserve).
	 */
	char *uri;
	PGconn *pg_side;
	guint side_watch;
	ots_db_notify_cb notify_cb;
	void *notify_user;
	GQueue notified;            /* char *: payloads read while a side query ran */
	guint notified_idle;
};

struct ots_db_stmt {
	struct ots_db *db;
	char *sql;
	sqlite3_stmt *lite;
	bool lite_failed;           /* prepare failed: every run reports it */
	/* PostgreSQL: prepared lazily (an INSERT's RETURNING is known at its first run) */
	char *pg_name;
	char *pg_returning;
	int n_params;
	char **values;              /* owned; NULL = SQL NULL */
	int *lengths, *formats;
	PGresult *res;
	int row, n_rows;            /* row: -1 before the first */
	uint8_t *blob;              /* the last column_blob on PostgreSQL */
	bool done;
};

void ots_db_set_error(struct ots_db *db, GError **error, const char *what, const char *detail);

/* db-pg.c */
bool ots_pg_open(struct ots_db *db, const char *uri, GError **error);
void ots_pg_close(struct ots_db *db);
bool ots_pg_exec(struct ots_db *db, const char *sql, GError **error);
bool ots_pg_in_transaction(struct ots_db *db);
/* A statement failed in the open transaction: its COMMIT would only roll back. */
bool ots_pg_aborted(struct ots_db *db);
void ots_pg_stmt_free(struct ots_db_stmt *st);
void ots_pg_bind(struct ots_db_stmt *st, int i, char *value, int len, bool binary);
bool ots_pg_next(struct ots_db_stmt *st, GError **error);
void ots_pg_reset(struct ots_db_stmt *st);
bool ots_pg_column_null(struct ots_db_stmt *st, int col);
const char *ots_pg_column_text(struct ots_db_stmt *st, int col);
const uint8_t *ots_pg_column_blob(struct ots_db_stmt *st, int col, size_t *len);
/* The side connection: a counter taken and committed at once; LISTEN on a channel. */
bool ots_pg_side_meta_take(struct ots_db *db, const char *key, int64_t n, int64_t *value,
			   GError **error);
bool ots_pg_side_update(struct ots_db *db, const char *sql, const char *const *params, int n,
			int64_t *changed, GError **error);
bool ots_pg_listen(struct ots_db *db, const char *channel, ots_db_notify_cb cb, void *user,
		   GError **error);
/* Whether a table exists (for the migrations). */
bool ots_pg_table_exists(struct ots_db *db, const char *name);

#endif
