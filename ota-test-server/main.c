/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ota-test-server: SV2 + SV1 with the deferred-response engine, a netsim
 * southbound link for test devices and the HTTP/JSON API (api/http.h).
 *
 *   ota-test-server --db PATH --http 127.0.0.1:PORT
 *                   --netsim tcp:127.0.0.1:PORT|unix:PATH
 *                   [--address +15550199] [--sv1-address +15550100]
 *                   [--import CARD.ini]... [timing options] [--verbose]
 *
 * Logs go through GLib's structured logging (journald when stderr is the
 * journal).  SIGTERM/SIGINT: stop listening, close the database, exit 0.
 */
#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "api/http.h"
#include "links/netsim-server.h"
#include "transactions/engine.h"

static GMainLoop *loop;
static int exit_signal;

static gboolean on_signal(gpointer p)
{
	exit_signal = GPOINTER_TO_INT(p);
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;
}

static GLogWriterOutput log_writer(GLogLevelFlags level, const GLogField *fields, gsize n,
				   gpointer user)
{
	if (g_log_writer_is_journald(fileno(stderr)))
		return g_log_writer_journald(level, fields, n, user);
	return g_log_writer_standard_streams(level, fields, n, user);
}

int main(int argc, char **argv)
{
	char *db = NULL, *http = NULL, *netsim = NULL, *address = NULL, *sv1 = NULL;
	char **imports = NULL;
	int preset = 0, deadline = 0, por_timeout = 0, attempts = 0, backoff = 0, backoff_max = 0;
	gboolean verbose = FALSE, version = FALSE;
	GOptionEntry entries[] = {
		{ "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "SQLite database (mode 0600)", "PATH" },
		{ "http", 0, 0, G_OPTION_ARG_STRING, &http, "HTTP API address", "HOST:PORT" },
		{ "netsim", 0, 0, G_OPTION_ARG_STRING, &netsim, "device link",
		  "tcp:HOST:PORT|unix:PATH" },
		{ "address", 0, 0, G_OPTION_ARG_STRING, &address,
		  "originating address of SV2's SMS-PP (default +15550199)", "NUMBER" },
		{ "sv1-address", 0, 0, G_OPTION_ARG_STRING, &sv1,
		  "address where MGs arrive (default +15550100)", "NUMBER" },
		{ "import", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &imports,
		  "import (or replace) a card config file at start", "CARD.ini" },
		{ "preset-ms", 0, 0, G_OPTION_ARG_INT, &preset,
		  "default EV preset time after C1 (300000)", "MS" },
		{ "deadline-ms", 0, 0, G_OPTION_ARG_INT, &deadline,
		  "default transaction deadline after C1 (3600000)", "MS" },
		{ "por-timeout-ms", 0, 0, G_OPTION_ARG_INT, &por_timeout,
		  "resend a command whose PoR has not come after (30000)", "MS" },
		{ "max-attempts", 0, 0, G_OPTION_ARG_INT, &attempts,
		  "sends of one command before failing (4)", "N" },
		{ "backoff-ms", 0, 0, G_OPTION_ARG_INT, &backoff,
		  "first C2 retry after a pending R2S (10000)", "MS" },
		{ "backoff-max-ms", 0, 0, G_OPTION_ARG_INT, &backoff_max,
		  "longest C2 retry delay (300000)", "MS" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "log every timeline event", NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version, "print the version", NULL },
		{ NULL }
	};
	GOptionContext *ctx = g_option_context_new("- OTA test server (SV2 + SV1)");
	struct ots_engine_config cfg = { 0 };
	struct ots_engine *engine = NULL;
	struct ots_netsim *ns = NULL;
	struct ots_http *api = NULL;
	GError *error = NULL;
	int rc = 1;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		fprintf(stderr, "ota-test-server: %s\n", error->message);
		g_option_context_free(ctx);
		return 2;
	}
	g_option_context_free(ctx);
	if (version) {
		printf("ota-test-server %s\n", STKBRIDGE_VERSION);
		return 0;
	}
	if (!db || !netsim || preset < 0 || deadline < 0 || por_timeout < 0 || attempts < 0 ||
	    backoff < 0 || backoff_max < 0) {
		fprintf(stderr, "ota-test-server: --db and --netsim are required; times are "
			"non-negative (see --help)\n");
		return 2;
	}
	if (verbose)
		g_setenv("G_MESSAGES_DEBUG", "all", TRUE);
	g_log_set_writer_func(log_writer, NULL, NULL);

	cfg.db_path = db;
	cfg.sv2_address = address;
	cfg.sv1_address = sv1;
	cfg.preset_ms = (uint32_t)preset;
	cfg.deadline_ms = (uint32_t)deadline;
	cfg.por_timeout_ms = (uint32_t)por_timeout;
	cfg.max_attempts = (uint32_t)attempts;
	cfg.backoff_initial_ms = (uint32_t)backoff;
	cfg.backoff_max_ms = (uint32_t)backoff_max;

	loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add_full(G_PRIORITY_HIGH, SIGTERM, on_signal, GINT_TO_POINTER(SIGTERM), NULL);
	g_unix_signal_add_full(G_PRIORITY_HIGH, SIGINT, on_signal, GINT_TO_POINTER(SIGINT), NULL);
	signal(SIGPIPE, SIG_IGN);

	engine = ots_engine_new(&cfg, &error);
	if (!engine)
		goto out;
	for (char **p = imports; p && *p; p++) {
		char *iccid = NULL;

		if (!ots_engine_card_import_file(engine, *p, TRUE, &iccid, &error))
			goto out;
		g_message("imported card %s from %s", iccid, *p);
		g_free(iccid);
	}
	ns = ots_netsim_new(engine, netsim, &error);
	if (!ns)
		goto out;
	if (http) {
		/* the HTTP/JSON API (api/) */
		api = ots_http_start(engine, http, &error);
		if (!api) {
			g_warning("%s", error->message);
			g_clear_error(&error);
		}
	}
	g_message("ota-test-server ready (db %s)", db);
	g_main_loop_run(loop);
	g_message("signal %d: shutting down", exit_signal);
	rc = 0;
out:
	if (error) {
		g_printerr("ota-test-server: %s\n", error->message);
		g_error_free(error);
	}
	if (api)
		ots_http_stop(api);
	ots_netsim_free(ns);
	ots_engine_free(engine);
	if (loop)
		g_main_loop_unref(loop);
	g_strfreev(imports);
	g_free(db);
	g_free(http);
	g_free(netsim);
	g_free(address);
	g_free(sv1);
	return rc;
}
