/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ota-test-server: the OTA server (cards/: keys, counters, secured packets)
 * and the application server (transactions/: the deferred-response engine)
 * in one daemon, with its southbound links (links/: netsim for test
 * devices, SMPP to an operator's SMSC) and the HTTP/JSON API (api/).
 * doc/architecture.md maps the flow to the code.
 *
 *   ota-test-server --db PATH|postgresql://... --http 127.0.0.1:PORT
 *                   [--netsim tcp:127.0.0.1:PORT|unix:PATH]
 *                   [--smpp HOST:PORT --smpp-config FILE]   (at least one link)
 *                   [--address +15550199] [--sv1-address +15550100]
 *                   [--import CARD.ini]... [timing options] [--verbose]
 *                   [--instance NAME] [--lease-ms MS]   (several on one PostgreSQL)
 *
 * Logs go through GLib's structured logging (journald when stderr is the
 * journal).  SIGTERM/SIGINT: unbind from the SMSC, stop listening, close
 * the database, exit 0 (a second signal does not wait for the unbind).
 */
#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/http.h"
#include "db/db.h"
#include "links/netsim-server.h"
#include "links/smpp.h"
#include "transactions/engine.h"

static GMainLoop *loop;
static int exit_signal;
static struct ots_smpp *smpp_link;

static void quit(void *unused)
{
	(void)unused;
	g_main_loop_quit(loop);
}

static gboolean on_signal(gpointer p)
{
	bool first = exit_signal == 0;

	exit_signal = GPOINTER_TO_INT(p);
	if (first && smpp_link)
		ots_smpp_stop(smpp_link, quit, NULL);   /* SMPP 3.4 §4.2: unbind first */
	else
		g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;
}

/*
 * Info and debug messages (every timeline event) only with --verbose, which
 * sets G_MESSAGES_DEBUG: the structured API hands every message to the
 * writer, and the journald and standard-stream writers do not filter.
 */
static GLogWriterOutput log_writer(GLogLevelFlags level, const GLogField *fields, gsize n,
				   gpointer user)
{
	const char *domain = NULL;

	for (gsize i = 0; i < n; i++)
		if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0)
			domain = fields[i].value;
	if (g_log_writer_default_would_drop(level, domain))
		return G_LOG_WRITER_HANDLED;
	if (g_log_writer_is_journald(fileno(stderr)))
		return g_log_writer_journald(level, fields, n, user);
	return g_log_writer_standard_streams(level, fields, n, user);
}

struct options {
	char *db, *http, *netsim, *smpp, *smpp_config, *address, *sv1, *instance;
	char **imports;
	int preset, deadline, por_timeout, attempts, backoff, backoff_max, lease;
	gboolean verbose, version;
};

static void options_clear(struct options *o)
{
	g_strfreev(o->imports);
	g_free(o->db);
	g_free(o->http);
	g_free(o->netsim);
	g_free(o->smpp);
	g_free(o->smpp_config);
	g_free(o->address);
	g_free(o->sv1);
	g_free(o->instance);
}

/* The command line; false after printing the error. */
static bool parse_options(struct options *o, int *argc, char ***argv)
{
	GOptionEntry entries[] = {
		{ "db", 0, 0, G_OPTION_ARG_FILENAME, &o->db,
		  "SQLite database file (mode 0600), or a postgresql:// URI", "PATH|URI" },
		{ "http", 0, 0, G_OPTION_ARG_STRING, &o->http, "HTTP API address", "HOST:PORT" },
		{ "netsim", 0, 0, G_OPTION_ARG_STRING, &o->netsim, "device link",
		  "tcp:HOST:PORT|unix:PATH" },
		{ "smpp", 0, 0, G_OPTION_ARG_STRING, &o->smpp, "SMSC to bind to as an ESME (SMPP 3.4)",
		  "HOST:PORT" },
		{ "smpp-config", 0, 0, G_OPTION_ARG_FILENAME, &o->smpp_config,
		  "the SMPP link's key file, mode 0600 (doc/smpp.md)", "FILE" },
		{ "address", 0, 0, G_OPTION_ARG_STRING, &o->address,
		  "originating address of the server's SMS-PP (default +15550199)", "NUMBER" },
		{ "sv1-address", 0, 0, G_OPTION_ARG_STRING, &o->sv1,
		  "address where MGs arrive (default +15550100)", "NUMBER" },
		{ "import", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->imports,
		  "import (or replace) a card config file at start", "CARD.ini" },
		{ "preset-ms", 0, 0, G_OPTION_ARG_INT, &o->preset,
		  "default EV preset time after C1 (300000)", "MS" },
		{ "deadline-ms", 0, 0, G_OPTION_ARG_INT, &o->deadline,
		  "default transaction deadline after C1 (3600000)", "MS" },
		{ "por-timeout-ms", 0, 0, G_OPTION_ARG_INT, &o->por_timeout,
		  "resend a command whose PoR has not come after (30000)", "MS" },
		{ "max-attempts", 0, 0, G_OPTION_ARG_INT, &o->attempts,
		  "sends of one command before failing (4)", "N" },
		{ "backoff-ms", 0, 0, G_OPTION_ARG_INT, &o->backoff,
		  "first C2 retry after a pending R2S (10000)", "MS" },
		{ "backoff-max-ms", 0, 0, G_OPTION_ARG_INT, &o->backoff_max,
		  "longest C2 retry delay (300000)", "MS" },
		{ "instance", 0, 0, G_OPTION_ARG_STRING, &o->instance,
		  "this instance's name among several on one PostgreSQL database (the host name)",
		  "NAME" },
		{ "lease-ms", 0, 0, G_OPTION_ARG_INT, &o->lease,
		  "how long this instance's card leases hold without renewal (10000)", "MS" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose, "log every timeline event", NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &o->version, "print the version", NULL },
		{ NULL }
	};
	GOptionContext *ctx = g_option_context_new("- OTA test server (OTA and application server)");
	GError *error = NULL;
	bool ok;

	g_option_context_add_main_entries(ctx, entries, NULL);
	ok = g_option_context_parse(ctx, argc, argv, &error);
	g_option_context_free(ctx);
	if (!ok) {
		fprintf(stderr, "ota-test-server: %s\n", error->message);
		g_error_free(error);
		return false;
	}
	if (!o->version && (!o->db || (!o->netsim && !o->smpp) || o->preset < 0 ||
			    o->deadline < 0 || o->por_timeout < 0 || o->attempts < 0 ||
			    o->backoff < 0 || o->backoff_max < 0 || o->lease < 0)) {
		fprintf(stderr, "ota-test-server: --db and a link (--netsim, --smpp) are required; "
			"times are non-negative (see --help)\n");
		return false;
	}
	if (!o->version && !o->smpp != !o->smpp_config) {
		fprintf(stderr, "ota-test-server: --smpp and --smpp-config go together (the "
			"password is in the file, never on the command line)\n");
		return false;
	}
	return true;
}

static void engine_config(const struct options *o, struct ots_engine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->db_path = o->db;
	cfg->sv2_address = o->address;
	cfg->sv1_address = o->sv1;
	cfg->preset_ms = (uint32_t)o->preset;
	cfg->deadline_ms = (uint32_t)o->deadline;
	cfg->por_timeout_ms = (uint32_t)o->por_timeout;
	cfg->max_attempts = (uint32_t)o->attempts;
	cfg->backoff_initial_ms = (uint32_t)o->backoff;
	cfg->backoff_max_ms = (uint32_t)o->backoff_max;
	cfg->batch_max = OTS_BATCH_MAX_CHANGES;    /* group commit (doc/scaling.md) */
	cfg->instance = o->instance;
	cfg->lease_ms = (uint32_t)o->lease;
}

static bool import_cards(struct ots_engine *engine, char **paths, GError **error)
{
	for (char **p = paths; p && *p; p++) {
		char *iccid = NULL;

		if (!ots_engine_card_import_file(engine, *p, TRUE, &iccid, error))
			return false;
		g_message("imported card %s from %s", iccid, *p);
		g_free(iccid);
	}
	return true;
}

/* The engine, its cards, the device link and the API, until SIGTERM/SIGINT. */
static bool serve(const struct options *o, GError **error)
{
	struct ots_engine_config cfg;
	struct ots_engine *engine;
	struct ots_netsim *ns = NULL;
	struct ots_http *api = NULL;
	bool ok = false;
	char *db_name;

	engine_config(o, &cfg);
	engine = ots_engine_new(&cfg, error);
	if (!engine || !import_cards(engine, o->imports, error))
		goto out;
	/* netsim first: a card whose device is attached is reached there (engine.h) */
	if (o->netsim && !(ns = ots_netsim_new(engine, o->netsim, error)))
		goto out;
	if (o->smpp) {
		struct ots_smpp_config sc;

		if (!ots_smpp_config_load(o->smpp, o->smpp_config, &sc, error))
			goto out;
		smpp_link = ots_smpp_new(engine, &sc, o->address, error);
		ots_smpp_config_clear(&sc);
		if (!smpp_link)
			goto out;
	}
	if (o->http) {
		/* the HTTP/JSON API (api/): the server runs on without it */
		GError *api_error = NULL;

		api = ots_http_start(engine, o->http, &api_error);
		if (!api) {
			g_warning("%s", api_error->message);
			g_error_free(api_error);
		}
	}
	db_name = ots_db_describe(o->db);
	g_message("ota-test-server ready (db %s)", db_name);
	g_free(db_name);
	g_main_loop_run(loop);
	g_message("signal %d: shutting down", exit_signal);
	ok = true;
out:
	if (engine)
		ots_engine_flush(engine);   /* the last batch commits; its held answers leave */
	if (api)
		ots_http_stop(api);
	ots_smpp_free(smpp_link);
	smpp_link = NULL;
	ots_netsim_free(ns);
	ots_engine_free(engine);
	return ok;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	GError *error = NULL;
	int rc = 2;

	if (!parse_options(&o, &argc, &argv))
		goto out;
	if (o.version) {
		printf("ota-test-server %s\n", STKBRIDGE_VERSION);
		rc = 0;
		goto out;
	}
	if (o.verbose)
		g_setenv("G_MESSAGES_DEBUG", "all", TRUE);
	g_log_set_writer_func(log_writer, NULL, NULL);
	loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add_full(G_PRIORITY_HIGH, SIGTERM, on_signal, GINT_TO_POINTER(SIGTERM), NULL);
	g_unix_signal_add_full(G_PRIORITY_HIGH, SIGINT, on_signal, GINT_TO_POINTER(SIGINT), NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = serve(&o, &error) ? 0 : 1;
	if (error) {
		g_printerr("ota-test-server: %s\n", error->message);
		g_error_free(error);
	}
	g_main_loop_unref(loop);
out:
	options_clear(&o);
	return rc;
}
