/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A private PostgreSQL cluster for tests (see pg-cluster.h). */
#include "pg-cluster.h"

#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *cluster_dir;   /* holds data/, the socket and the log */
static char *pg_bin;        /* the directory of initdb and pg_ctl */
static unsigned n_databases;

bool pg_cluster_wanted(void)
{
	const char *b = g_getenv("OTS_TEST_DB");

	return b && (strcmp(b, "postgresql") == 0 || strcmp(b, "postgres") == 0);
}

/* initdb's directory: on PATH, else Debian's newest /usr/lib/postgresql/N/bin. */
static char *find_bin(void)
{
	char *path = g_find_program_in_path("initdb");
	GDir *d;
	const char *name;
	int best = -1;

	if (path) {
		char *dir = g_path_get_dirname(path);

		g_free(path);
		return dir;
	}
	d = g_dir_open("/usr/lib/postgresql", 0, NULL);
	while (d && (name = g_dir_read_name(d)))
		if (atoi(name) > best)
			best = atoi(name);
	if (d)
		g_dir_close(d);
	return best < 0 ? NULL : g_strdup_printf("/usr/lib/postgresql/%d/bin", best);
}

/* Runs a PostgreSQL program, as the postgres user when we are root. */
static bool run(const char *prog, const char *args, GError **error)
{
	char *cmd = getuid() == 0 ?
		g_strdup_printf("runuser -u postgres -- '%s/%s' %s", pg_bin, prog, args) :
		g_strdup_printf("'%s/%s' %s", pg_bin, prog, args);
	char *out = NULL, *err = NULL;
	int status = -1;
	bool ok;

	ok = g_spawn_command_line_sync(cmd, &out, &err, &status, error) &&
	     g_spawn_check_wait_status(status, error);
	if (!ok && error && *error)
		g_prefix_error(error, "%s: %s", cmd, err ? g_strstrip(err) : "");
	g_free(out);
	g_free(err);
	g_free(cmd);
	return ok;
}

static void stop_at_exit(void)
{
	pg_cluster_stop();
}

static void new_session(gpointer data)
{
	setsid();    /* not killed with the test's process group */
}

/*
 * atexit does not run when a test aborts (a failed assertion) or is
 * killed: a watchdog then stops and removes the cluster.  A shell of its
 * own session waits for the end of its standard input, whose other end
 * only this process holds (close-on-exec) and never writes.
 */
static void watch(void)
{
	char *stop = g_strdup_printf("%s'%s/pg_ctl' -D '%s/data' -m immediate -w stop",
				     getuid() == 0 ? "runuser -u postgres -- " : "", pg_bin,
				     cluster_dir);
	char *script = g_strdup_printf("cat > /dev/null; %s > /dev/null 2>&1; rm -rf '%s'", stop,
				       cluster_dir);
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	int in = -1;

	if (!g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL |
				      G_SPAWN_STDERR_TO_DEV_NULL, new_session, NULL, NULL, &in,
				      NULL, NULL, NULL))
		g_printerr("no watchdog for %s: it outlives a test that aborts\n", cluster_dir);
	/* in stays open until this process ends */
	g_free(stop);
	g_free(script);
}

static bool start(GError **error)
{
	char *args;
	bool ok;

	pg_bin = find_bin();
	if (!pg_bin) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
			    "PostgreSQL's initdb was not found (apt-get install postgresql)");
		return false;
	}
	cluster_dir = g_dir_make_tmp("ots-pg-XXXXXX", error);
	if (!cluster_dir)
		return false;
	if (getuid() == 0) {
		struct passwd *pw = getpwnam("postgres");

		if (!pw || chown(cluster_dir, pw->pw_uid, pw->pw_gid) < 0) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM,
				    "cannot give %s to the postgres user", cluster_dir);
			return false;
		}
	}
	args = g_strdup_printf("-D '%s/data' -A trust -U postgres -E UTF8 --no-sync", cluster_dir);
	ok = run("initdb", args, error);
	g_free(args);
	if (!ok)
		return false;
	/* unix socket only, in the cluster's directory; durable commits as in production */
	args = g_strdup_printf("-D '%s/data' -l '%s/log' -w -t 60 -o \"-k '%s' -p 5432 "
			       "-c listen_addresses='' -c fsync=on -c max_connections=200\" start",
			       cluster_dir, cluster_dir, cluster_dir);
	ok = run("pg_ctl", args, error);
	g_free(args);
	if (ok) {
		atexit(stop_at_exit);
		watch();
	}
	return ok;
}

char *pg_cluster_new_database(GError **error)
{
	char *admin, *sql, *name;
	PGconn *c;
	PGresult *res;
	bool ok;

	if (!cluster_dir && !start(error))
		return NULL;
	admin = g_strdup_printf("postgresql:///postgres?host=%s&port=5432&user=postgres", cluster_dir);
	c = PQconnectdb(admin);
	g_free(admin);
	name = g_strdup_printf("ots_%d_%u", (int)getpid(), ++n_databases);
	sql = g_strdup_printf("CREATE DATABASE %s", name);
	res = PQexec(c, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: %s", sql,
			    PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);
	g_free(sql);
	if (!ok) {
		g_free(name);
		return NULL;
	}
	sql = g_strdup_printf("postgresql:///%s?host=%s&port=5432&user=postgres", name, cluster_dir);
	g_free(name);
	return sql;
}

void pg_cluster_stop(void)
{
	char *args, *cmd;

	if (!cluster_dir)
		return;
	args = g_strdup_printf("-D '%s/data' -m immediate -w stop", cluster_dir);
	run("pg_ctl", args, NULL);
	g_free(args);
	cmd = g_strdup_printf("rm -rf '%s'", cluster_dir);
	if (system(cmd) != 0)
		g_printerr("could not remove %s\n", cluster_dir);
	g_free(cmd);
	g_clear_pointer(&cluster_dir, g_free);
	g_clear_pointer(&pg_bin, g_free);
}

char *test_db_target(const char *dir, const char *name)
{
	GError *error = NULL;
	char *uri;

	if (!pg_cluster_wanted())
		return g_build_filename(dir, name, NULL);
	uri = pg_cluster_new_database(&error);
	if (!uri)
		g_error("OTS_TEST_DB=postgresql: %s", error->message);
	return uri;
}
