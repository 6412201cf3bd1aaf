/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A private PostgreSQL cluster for tests and benchmarks: Debian's initdb
 * and pg_ctl in a temporary directory, listening only on a unix socket in
 * that directory (no TCP), run as the postgres user when we are root
 * (initdb refuses root).  Never a system service.  Stopped (and removed)
 * at exit.
 *
 * The tests choose their database backend with OTS_TEST_DB: unset or
 * "sqlite" for a file, "postgresql" for a fresh database in this cluster.
 */
#ifndef TEST_PG_CLUSTER_H
#define TEST_PG_CLUSTER_H

#include <glib.h>
#include <stdbool.h>

/* True when OTS_TEST_DB asks for PostgreSQL. */
bool pg_cluster_wanted(void);

/*
 * Starts the cluster on first use; returns the URI of a new empty database
 * in it (g_free), or NULL with *error set when PostgreSQL cannot be run here.
 */
char *pg_cluster_new_database(GError **error);

/* Stops the cluster now (also done at exit). */
void pg_cluster_stop(void);

/*
 * The database a test should use: a new PostgreSQL database when
 * OTS_TEST_DB=postgresql, else the SQLite file dir/name.  Aborts the test
 * if PostgreSQL was asked for and cannot start.
 */
char *test_db_target(const char *dir, const char *name);

#endif
