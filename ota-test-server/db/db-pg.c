/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PostgreSQL backend of the database API (libpq): one connection,
 * statements prepared on first use ('?' placeholders rewritten to $n),
 * parameters sent as text (blobs in binary), results read as text (bytea
 * in hex, decoded by libpq).
 */
#include <glib-unix.h>
#include <libpq-fe.h>
#include <string.h>

#include "db/db-internal.h"
#include "ots-error.h"

static void notice_quiet(void *arg, const char *message)
{
	(void)arg;
	g_debug("postgresql: %s", message);
}

bool ots_pg_open(struct ots_db *db, const char *uri, GError **error)
{
	PGresult *res;

	db->pg = PQconnectdb(uri);
	if (!db->pg || PQstatus(db->pg) != CONNECTION_OK) {
		char *where = ots_db_describe(uri);

		/* libpq's message names host and database, never the password */
		g_set_error(error, OTS_ERROR, OTS_ERROR_DB, "database %s: %s", where,
			    db->pg ? g_strchomp(PQerrorMessage(db->pg)) : "out of memory");
		g_free(where);
		return false;
	}
	PQsetNoticeProcessor(db->pg, notice_quiet, NULL);
	/*
	 * lock_timeout: a statement never waits for ever on a row another
	 * instance's batch holds (it fails, and its entry point is tried again)
	 */
	res = PQexec(db->pg, "SET synchronous_commit = on; SET client_min_messages = warning; "
		     "SET lock_timeout = '10s'");
	PQclear(res);
	return true;
}

static void side_close(struct ots_db *db)
{
	if (db->side_watch)
		g_source_remove(db->side_watch);
	db->side_watch = 0;
	if (db->notified_idle)
		g_source_remove(db->notified_idle);
	db->notified_idle = 0;
	g_queue_clear_full(&db->notified, g_free);
	if (db->pg_side)
		PQfinish(db->pg_side);
	db->pg_side = NULL;
}

void ots_pg_close(struct ots_db *db)
{
	side_close(db);
	if (db->pg)
		PQfinish(db->pg);
	db->pg = NULL;
}

static bool result_ok(struct ots_db *db, PGresult *res, const char *what, GError **error)
{
	ExecStatusType s = PQresultStatus(res);

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
		return true;
	ots_db_set_error(db, error, what,
			 res ? g_strchomp(PQresultErrorMessage(res)) : PQerrorMessage(db->pg));
	return false;
}

bool ots_pg_exec(struct ots_db *db, const char *sql, GError **error)
{
	PGresult *res = PQexec(db->pg, sql);
	bool ok = result_ok(db, res, sql, error);

	PQclear(res);
	return ok;
}

bool ots_pg_in_transaction(struct ots_db *db)
{
	return db->pg && PQtransactionStatus(db->pg) != PQTRANS_IDLE;
}

bool ots_pg_aborted(struct ots_db *db)
{
	return db->pg && PQtransactionStatus(db->pg) == PQTRANS_INERROR;
}

bool ots_pg_table_exists(struct ots_db *db, const char *name)
{
	struct ots_db_stmt *st = ots_db_stmt(db, "SELECT 1 FROM pg_tables "
					     "WHERE schemaname = current_schema() AND tablename = ?");
	bool any;

	ots_db_bind_text(st, 1, name);
	any = ots_db_next(st, NULL);
	ots_db_reset(st);
	return any;
}

/* The number of '?' placeholders outside quoted text; with out, the text with $n instead. */
static int placeholders(const char *sql, GString *out)
{
	char quote = 0;
	int n = 0;

	for (const char *p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '?') {
			n++;
			if (out)
				g_string_append_printf(out, "$%d", n);
			continue;
		}
		if (out)
			g_string_append_c(out, *p);
	}
	return n;
}

static void stmt_params(struct ots_db_stmt *st)
{
	if (st->values)
		return;
	st->n_params = placeholders(st->sql, NULL);
	st->values = g_new0(char *, st->n_params + 1);
	st->lengths = g_new0(int, st->n_params + 1);
	st->formats = g_new0(int, st->n_params + 1);
}

static bool stmt_prepare(struct ots_db_stmt *st, GError **error)
{
	GString *sql = g_string_new(NULL);
	PGresult *res;
	bool ok;

	placeholders(st->sql, sql);
	if (st->pg_returning)
		g_string_append_printf(sql, " RETURNING %s", st->pg_returning);
	st->pg_name = g_strdup_printf("ots%u", ++st->db->pg_next_name);
	res = PQprepare(st->db->pg, st->pg_name, sql->str, st->n_params, NULL);
	ok = result_ok(st->db, res, st->sql, error);
	PQclear(res);
	g_string_free(sql, TRUE);
	if (!ok)
		g_clear_pointer(&st->pg_name, g_free);
	return ok;
}

void ots_pg_stmt_free(struct ots_db_stmt *st)
{
	if (st->res)
		PQclear(st->res);
	if (st->blob)
		PQfreemem(st->blob);
	for (int i = 0; st->values && i < st->n_params; i++)
		g_free(st->values[i]);
	g_free(st->values);
	g_free(st->lengths);
	g_free(st->formats);
	g_free(st->pg_name);
	g_free(st->pg_returning);
}

void ots_pg_bind(struct ots_db_stmt *st, int i, char *value, int len, bool binary)
{
	stmt_params(st);
	if (i < 1 || i > st->n_params) {
		g_critical("database: parameter %d of \"%s\" does not exist", i, st->sql);
		g_free(value);
		return;
	}
	g_free(st->values[i - 1]);
	st->values[i - 1] = value;
	st->lengths[i - 1] = len;
	st->formats[i - 1] = binary;
}

bool ots_pg_next(struct ots_db_stmt *st, GError **error)
{
	if (!st->res) {
		stmt_params(st);
		if (!st->pg_name && !stmt_prepare(st, error))
			return false;
		st->db->stats.statements++;
		st->res = PQexecPrepared(st->db->pg, st->pg_name, st->n_params,
					 (const char *const *)st->values, st->lengths, st->formats, 0);
		if (!result_ok(st->db, st->res, st->sql, error)) {
			g_clear_pointer(&st->res, PQclear);
			return false;
		}
		st->row = -1;
		st->n_rows = PQntuples(st->res);
	}
	if (st->row < st->n_rows)
		st->row++;
	return st->row < st->n_rows;
}

void ots_pg_reset(struct ots_db_stmt *st)
{
	if (st->res)
		g_clear_pointer(&st->res, PQclear);
	if (st->blob)
		g_clear_pointer(&st->blob, PQfreemem);
	st->row = -1;
	st->n_rows = 0;
}

bool ots_pg_column_null(struct ots_db_stmt *st, int col)
{
	return !st->res || st->row < 0 || st->row >= st->n_rows ||
	       PQgetisnull(st->res, st->row, col);
}

const char *ots_pg_column_text(struct ots_db_stmt *st, int col)
{
	if (ots_pg_column_null(st, col))
		return NULL;
	return PQgetvalue(st->res, st->row, col);
}

const uint8_t *ots_pg_column_blob(struct ots_db_stmt *st, int col, size_t *len)
{
	const char *s = ots_pg_column_text(st, col);

	*len = 0;
	if (st->blob)
		g_clear_pointer(&st->blob, PQfreemem);
	if (!s)
		return NULL;
	st->blob = PQunescapeBytea((const unsigned char *)s, len);
	return st->blob;
}

/* ---- the side connection: LISTEN, numbers committed at once ---------------------------- */

static bool side_open(struct ots_db *db, GError **error)
{
	if (db->pg_side)
		return true;
	db->pg_side = PQconnectdb(db->uri);
	if (!db->pg_side || PQstatus(db->pg_side) != CONNECTION_OK) {
		char *where = ots_db_describe(db->uri);

		g_set_error(error, OTS_ERROR, OTS_ERROR_DB, "database %s (second connection): %s",
			    where, db->pg_side ? g_strchomp(PQerrorMessage(db->pg_side)) :
			    "out of memory");
		g_free(where);
		g_clear_pointer(&db->pg_side, PQfinish);
		return false;
	}
	PQsetNoticeProcessor(db->pg_side, notice_quiet, NULL);
	/* its statements run inside the main loop: a short wait for a lock, then an error */
	PQclear(PQexec(db->pg_side, "SET lock_timeout = '1s'"));
	return true;
}

static gboolean deliver_notified(gpointer data)
{
	struct ots_db *db = data;
	char *payload;

	db->notified_idle = 0;
	while ((payload = g_queue_pop_head(&db->notified))) {
		if (db->notify_cb)
			db->notify_cb(payload, db->notify_user);
		g_free(payload);
	}
	return G_SOURCE_REMOVE;
}

/* What libpq has read of notifications, queued for the main loop (never delivered from inside a query). */
static void side_collect(struct ots_db *db)
{
	PGnotify *n;

	while (db->pg_side && (n = PQnotifies(db->pg_side))) {
		g_queue_push_tail(&db->notified, g_strdup(n->extra));
		PQfreemem(n);
	}
	/* at the I/O sources' priority: a busy loop never reaches an idle one */
	if (!g_queue_is_empty(&db->notified) && !db->notified_idle)
		db->notified_idle = g_idle_add_full(G_PRIORITY_DEFAULT, deliver_notified, db, NULL);
}

static gboolean side_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct ots_db *db = data;

	(void)fd;
	(void)cond;
	if (!PQconsumeInput(db->pg_side)) {
		g_warning("database: the notification connection is lost: %s",
			  g_strchomp(PQerrorMessage(db->pg_side)));
		db->side_watch = 0;
		PQfinish(db->pg_side);
		db->pg_side = NULL;
		if (db->notify_cb)
			db->notify_cb(NULL, db->notify_user);
		return G_SOURCE_REMOVE;
	}
	side_collect(db);
	return G_SOURCE_CONTINUE;
}

bool ots_pg_listen(struct ots_db *db, const char *channel, ots_db_notify_cb cb, void *user,
		   GError **error)
{
	char *quoted, *sql;
	PGresult *res;
	bool ok;

	if (!side_open(db, error))
		return false;
	quoted = PQescapeIdentifier(db->pg_side, channel, strlen(channel));
	sql = g_strdup_printf("LISTEN %s", quoted ? quoted : "\"\"");
	res = PQexec(db->pg_side, sql);
	ok = result_ok(db, res, sql, error);
	PQclear(res);
	PQfreemem(quoted);
	g_free(sql);
	if (!ok)
		return false;
	db->notify_cb = cb;
	db->notify_user = user;
	if (!db->side_watch)
		db->side_watch = g_unix_fd_add(PQsocket(db->pg_side), G_IO_IN, side_readable, db);
	return true;
}

bool ots_pg_side_update(struct ots_db *db, const char *sql, const char *const *params, int n,
			int64_t *changed, GError **error)
{
	PGresult *res;
	bool ok;

	if (!side_open(db, error))
		return false;
	db->stats.statements++;
	res = PQexecParams(db->pg_side, sql, n, NULL, params, NULL, NULL, 0);
	ok = result_ok(db, res, sql, error);
	if (ok)
		*changed = g_ascii_strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	side_collect(db);
	return ok;
}

bool ots_pg_side_meta_take(struct ots_db *db, const char *key, int64_t n, int64_t *value,
			   GError **error)
{
	char count[24];
	const char *params[2] = { key, count };
	PGresult *res;
	bool ok;

	if (!side_open(db, error))
		return false;
	g_snprintf(count, sizeof(count), "%" G_GINT64_FORMAT, n);
	db->stats.statements++;
	res = PQexecParams(db->pg_side, "INSERT INTO meta(key, value) VALUES($1, 1 + $2::bigint) "
			   "ON CONFLICT(key) DO UPDATE SET value = meta.value + excluded.value - 1 "
			   "RETURNING value", 2, NULL, params, NULL, NULL, 0);
	ok = result_ok(db, res, "meta reserve", error) && PQntuples(res) == 1;
	if (ok)
		*value = g_ascii_strtoll(PQgetvalue(res, 0, 0), NULL, 10) - n;
	else if (error && !*error)
		g_set_error(error, OTS_ERROR, OTS_ERROR_DB, "meta %s: no value returned", key);
	PQclear(res);
	side_collect(db);
	return ok;
}
