/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stkbridge-agent: an org.ofono.SimToolkitAgent for oFono 1.31 modems
 * (doc/agent.md).
 *
 *   stkbridge-agent [--modem PATH] [--path BASE] [--json-log FILE|-] [--quiet]
 *                   [--answers FILE] [--auto-confirm] [--input TEXT] [--key C] [--select N]
 *
 * Without --answers/--auto-confirm/--input/--key/--select it is interactive.
 */
#define G_LOG_DOMAIN "stkbridge-agent"

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "terminal.h"

#define DEFAULT_BASE_PATH "/stkbridge/agent"

static gboolean on_signal(gpointer data)
{
	struct stkagent_ctx *ctx = data;

	if (ctx->stopping) {
		g_main_loop_quit(ctx->loop);	/* a second signal: do not wait */
		return G_SOURCE_CONTINUE;
	}
	stkagent_screen(ctx, "exiting: unregistering the agents\n");
	stkagent_watch_stop(ctx);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	g_autofree char *modem = NULL;
	g_autofree char *base_path = NULL;
	g_autofree char *json_log = NULL;
	g_autofree char *answers = NULL;
	g_autofree char *input = NULL;
	g_autofree char *key = NULL;
	gint select = -1;
	gboolean auto_confirm = FALSE;
	gboolean quiet = FALSE;
	gboolean version = FALSE;
	GOptionEntry entries[] = {
		{ "modem", 'm', 0, G_OPTION_ARG_STRING, &modem,
		  "Only this modem (object path); default: every modem", "PATH" },
		{ "path", 0, 0, G_OPTION_ARG_STRING, &base_path,
		  "Base object path of the agents (default " DEFAULT_BASE_PATH ")", "PATH" },
		{ "answers", 'a', 0, G_OPTION_ARG_FILENAME, &answers,
		  "Answer from this file, one answer a line (scripted mode)", "FILE" },
		{ "auto-confirm", 'y', 0, G_OPTION_ARG_NONE, &auto_confirm,
		  "Acknowledge and confirm everything (scripted mode)", NULL },
		{ "input", 'i', 0, G_OPTION_ARG_STRING, &input,
		  "Answer RequestInput/RequestDigits with TEXT (scripted mode)", "TEXT" },
		{ "key", 'k', 0, G_OPTION_ARG_STRING, &key,
		  "Answer RequestKey/RequestDigit/RequestQuickDigit with C (scripted mode)", "C" },
		{ "select", 's', 0, G_OPTION_ARG_INT, &select,
		  "Answer RequestSelection with item index N, from 0 (scripted mode)", "N" },
		{ "json-log", 'j', 0, G_OPTION_ARG_FILENAME, &json_log,
		  "Log every interaction as a JSON line to FILE (- for standard output)", "FILE" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
		  "No human-readable output", NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) octx = NULL;
	g_autoptr(GError) error = NULL;
	struct stkagent_ctx ctx = { 0 };
	int status = EXIT_SUCCESS;

	setlocale(LC_ALL, "");
	signal(SIGPIPE, SIG_IGN);

	octx = g_option_context_new("- SIM toolkit agent for oFono");
	g_option_context_set_summary(octx,
		"Registers with org.ofono.SimToolkit on the system bus (DBUS_SYSTEM_BUS_ADDRESS)\n"
		"and answers DisplayText, RequestInput, RequestSelection, ... from the terminal\n"
		"or, in scripted mode, from an answers file or the defaults given. See doc/agent.md.");
	g_option_context_add_main_entries(octx, entries, NULL);
	if (!g_option_context_parse(octx, &argc, &argv, &error)) {
		fprintf(stderr, "stkbridge-agent: %s\n", error->message);
		return 2;
	}
	if (version) {
		printf("stkbridge-agent %s\n", STKBRIDGE_VERSION);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "stkbridge-agent: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	if (modem && !g_variant_is_object_path(modem)) {
		fprintf(stderr, "stkbridge-agent: --modem: '%s' is not an object path\n", modem);
		return 2;
	}
	if (base_path && !g_variant_is_object_path(base_path)) {
		fprintf(stderr, "stkbridge-agent: --path: '%s' is not an object path\n", base_path);
		return 2;
	}
	if (select < -1 || select > 255) {
		fprintf(stderr, "stkbridge-agent: --select takes an item index 0..255\n");
		return 2;
	}
	if (key && (!g_utf8_validate(key, -1, NULL) || g_utf8_strlen(key, -1) != 1)) {
		fprintf(stderr, "stkbridge-agent: --key takes one character\n");
		return 2;
	}

	ctx.base_path = g_strdup(base_path ? base_path : DEFAULT_BASE_PATH);
	ctx.only_modem = g_strdup(modem);
	ctx.quiet = quiet;
	ctx.screen = stdout;

	if (answers || auto_confirm || input || key || select >= 0) {
		ctx.script = stkagent_script_new();
		if (answers && !stkagent_script_load(ctx.script, answers, &error)) {
			fprintf(stderr, "stkbridge-agent: %s\n", error->message);
			status = 2;
			goto out;
		}
		stkagent_script_set_auto_confirm(ctx.script, auto_confirm);
		if (input)
			stkagent_script_set_input(ctx.script, input);
		if (key)
			stkagent_script_set_key(ctx.script, key);
		if (select >= 0)
			stkagent_script_set_select(ctx.script, (guint)select);
	}

	if (json_log) {
		ctx.log = stkagent_log_open(json_log, &error);
		if (ctx.log == NULL) {
			fprintf(stderr, "stkbridge-agent: --json-log %s\n", error->message);
			status = 2;
			goto out;
		}
		if (strcmp(json_log, "-") == 0)
			ctx.screen = stderr;	/* stdout carries the JSON lines */
	}

	ctx.conn = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
	if (ctx.conn == NULL) {
		fprintf(stderr, "stkbridge-agent: system bus: %s\n", error->message);
		status = 1;
		goto out;
	}
	g_dbus_connection_set_exit_on_close(ctx.conn, FALSE);

	ctx.loop = g_main_loop_new(NULL, FALSE);
	if (ctx.script == NULL)
		ctx.terminal = stkagent_terminal_new(&ctx, STDIN_FILENO);
	g_unix_signal_add(SIGTERM, on_signal, &ctx);
	g_unix_signal_add(SIGINT, on_signal, &ctx);
	g_unix_signal_add(SIGHUP, on_signal, &ctx);

	stkagent_screen(&ctx, "stkbridge-agent %s: %s mode%s%s\n", STKBRIDGE_VERSION,
			ctx.script ? "scripted" : "interactive",
			modem ? ", modem " : "", modem ? modem : "");
	stkagent_watch_start(&ctx);
	g_main_loop_run(ctx.loop);

	/* teardown: what is still pending is abandoned (and logged) */
	ctx.stopping = true;
	g_bus_unwatch_name(ctx.name_watch);
	for (size_t i = 0; i < G_N_ELEMENTS(ctx.signal_subs); i++)
		g_dbus_connection_signal_unsubscribe(ctx.conn, ctx.signal_subs[i]);
	if (ctx.cancellable)
		g_cancellable_cancel(ctx.cancellable);
	g_hash_table_destroy(ctx.modems);
	g_dbus_connection_flush_sync(ctx.conn, NULL, NULL);

out:
	stkagent_terminal_free(ctx.terminal);
	stkagent_script_free(ctx.script);
	stkagent_log_close(ctx.log);
	g_clear_object(&ctx.cancellable);
	g_clear_object(&ctx.conn);
	if (ctx.loop)
		g_main_loop_unref(ctx.loop);
	g_free(ctx.ofono_owner);
	g_free(ctx.base_path);
	g_free(ctx.only_modem);
	return status;
}
