/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PostgreSQL backend of the database API (libpq): one connection,
 * statements prepared on first use ('?' placeholders rewritten to $n),
 * parameters sent as text (blobs in binary), results read as text (bytea
 * in hex, decoded by libpq).
 */
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
	res = PQexec(db->pg, "SET synchronous_commit = on; SET client_min_messages = warning");
	PQclear(res);
	return true;
}

void ots_pg_close(struct ots_db *db)
{
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
