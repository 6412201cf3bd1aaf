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

/* The command line. */
struct options {
	char *modem;
	char *base_path;
	char *json_log;
	char *answers;
	char *input;
	char *key;
	gint select;
	gboolean auto_confirm;
	gboolean quiet;
	gboolean version;
};

static void options_clear(struct options *o)
{
	g_free(o->modem);
	g_free(o->base_path);
	g_free(o->json_log);
	g_free(o->answers);
	g_free(o->input);
	g_free(o->key);
}

/* Fills o from the command line (the arguments left stay in argv); false (said on stderr) on a usage error. */
static bool parse_options(int *argc, char ***argv, struct options *o)
{
	GOptionEntry entries[] = {
		{ "modem", 'm', 0, G_OPTION_ARG_STRING, &o->modem,
		  "Only this modem (object path); default: every modem", "PATH" },
		{ "path", 0, 0, G_OPTION_ARG_STRING, &o->base_path,
		  "Base object path of the agents (default " DEFAULT_BASE_PATH ")", "PATH" },
		{ "answers", 'a', 0, G_OPTION_ARG_FILENAME, &o->answers,
		  "Answer from this file, one answer a line (scripted mode)", "FILE" },
		{ "auto-confirm", 'y', 0, G_OPTION_ARG_NONE, &o->auto_confirm,
		  "Acknowledge and confirm everything (scripted mode)", NULL },
		{ "input", 'i', 0, G_OPTION_ARG_STRING, &o->input,
		  "Answer RequestInput/RequestDigits with TEXT (scripted mode)", "TEXT" },
		{ "key", 'k', 0, G_OPTION_ARG_STRING, &o->key,
		  "Answer RequestKey/RequestDigit/RequestQuickDigit with C (scripted mode)", "C" },
		{ "select", 's', 0, G_OPTION_ARG_INT, &o->select,
		  "Answer RequestSelection with item index N, from 0 (scripted mode)", "N" },
		{ "json-log", 'j', 0, G_OPTION_ARG_FILENAME, &o->json_log,
		  "Log every interaction as a JSON line to FILE (- for standard output)", "FILE" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet,
		  "No human-readable output", NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &o->version, "Print the version", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) octx = g_option_context_new("- SIM toolkit agent for oFono");
	g_autoptr(GError) error = NULL;

	memset(o, 0, sizeof(*o));
	o->select = -1;
	g_option_context_set_summary(octx,
		"Registers with org.ofono.SimToolkit on the system bus (DBUS_SYSTEM_BUS_ADDRESS)\n"
		"and answers DisplayText, RequestInput, RequestSelection, ... from the terminal\n"
		"or, in scripted mode, from an answers file or the defaults given. See doc/agent.md.");
	g_option_context_add_main_entries(octx, entries, NULL);
	if (!g_option_context_parse(octx, argc, argv, &error)) {
		fprintf(stderr, "stkbridge-agent: %s\n", error->message);
		return false;
	}
	return true;
}

/* The values the options take; false (said on stderr) when one is out of range. */
static bool check_options(const struct options *o)
{
	if (o->modem && !g_variant_is_object_path(o->modem)) {
		fprintf(stderr, "stkbridge-agent: --modem: '%s' is not an object path\n", o->modem);
		return false;
	}
	if (o->base_path && !g_variant_is_object_path(o->base_path)) {
		fprintf(stderr, "stkbridge-agent: --path: '%s' is not an object path\n", o->base_path);
		return false;
	}
	if (o->select < -1 || o->select > 255) {
		fprintf(stderr, "stkbridge-agent: --select takes an item index 0..255\n");
		return false;
	}
	if (o->key && (!g_utf8_validate(o->key, -1, NULL) || g_utf8_strlen(o->key, -1) != 1)) {
		fprintf(stderr, "stkbridge-agent: --key takes one character\n");
		return false;
	}
	return true;
}

static bool scripted(const struct options *o)
{
	return o->answers || o->auto_confirm || o->input || o->key || o->select >= 0;
}

/* Scripted mode: the answers file and the defaults the options give; false (said) if the file is bad. */
static bool load_script(struct stkagent_ctx *ctx, const struct options *o)
{
	g_autoptr(GError) error = NULL;

	ctx->script = stkagent_script_new();
	if (o->answers && !stkagent_script_load(ctx->script, o->answers, &error)) {
		fprintf(stderr, "stkbridge-agent: %s\n", error->message);
		return false;
	}
	stkagent_script_set_auto_confirm(ctx->script, o->auto_confirm);
	if (o->input)
		stkagent_script_set_input(ctx->script, o->input);
	if (o->key)
		stkagent_script_set_key(ctx->script, o->key);
	if (o->select >= 0)
		stkagent_script_set_select(ctx->script, (guint)o->select);
	return true;
}

/* --json-log FILE|-: with "-" the JSON lines take stdout and the screen goes to stderr. */
static bool open_json_log(struct stkagent_ctx *ctx, const char *path)
{
	g_autoptr(GError) error = NULL;

	ctx->log = stkagent_log_open(path, &error);
	if (ctx->log == NULL) {
		fprintf(stderr, "stkbridge-agent: --json-log %s\n", error->message);
		return false;
	}
	if (strcmp(path, "-") == 0)
		ctx->screen = stderr;
	return true;
}

static bool connect_bus(struct stkagent_ctx *ctx)
{
	g_autoptr(GError) error = NULL;

	ctx->conn = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
	if (ctx->conn == NULL) {
		fprintf(stderr, "stkbridge-agent: system bus: %s\n", error->message);
		return false;
	}
	g_dbus_connection_set_exit_on_close(ctx->conn, FALSE);
	return true;
}

/* Follows oFono and answers its requests until a signal (or a second one) ends the main loop. */
static void run(struct stkagent_ctx *ctx, const char *modem)
{
	ctx->loop = g_main_loop_new(NULL, FALSE);
	if (ctx->script == NULL)
		ctx->terminal = stkagent_terminal_new(ctx, STDIN_FILENO);
	g_unix_signal_add(SIGTERM, on_signal, ctx);
	g_unix_signal_add(SIGINT, on_signal, ctx);
	g_unix_signal_add(SIGHUP, on_signal, ctx);

	stkagent_screen(ctx, "stkbridge-agent %s: %s mode%s%s\n", STKBRIDGE_VERSION,
			ctx->script ? "scripted" : "interactive", modem ? ", modem " : "", modem ? modem : "");
	stkagent_watch_start(ctx);
	g_main_loop_run(ctx->loop);

	/* what is still pending is abandoned (and logged) */
	ctx->stopping = true;
	g_bus_unwatch_name(ctx->name_watch);
	for (size_t i = 0; i < G_N_ELEMENTS(ctx->signal_subs); i++)
		g_dbus_connection_signal_unsubscribe(ctx->conn, ctx->signal_subs[i]);
	if (ctx->cancellable)
		g_cancellable_cancel(ctx->cancellable);
	g_hash_table_destroy(ctx->modems);
	g_dbus_connection_flush_sync(ctx->conn, NULL, NULL);
}

static void ctx_clear(struct stkagent_ctx *ctx)
{
	stkagent_terminal_free(ctx->terminal);
	stkagent_script_free(ctx->script);
	stkagent_log_close(ctx->log);
	g_clear_object(&ctx->cancellable);
	g_clear_object(&ctx->conn);
	if (ctx->loop)
		g_main_loop_unref(ctx->loop);
	if (ctx->agent_info)
		g_dbus_node_info_unref(ctx->agent_info);
	g_free(ctx->ofono_owner);
	g_free(ctx->base_path);
	g_free(ctx->only_modem);
}

/* Exit status: 0 done, 1 no system bus, 2 a usage or file error. */
static int agent_main(struct stkagent_ctx *ctx, const struct options *o)
{
	ctx->base_path = g_strdup(o->base_path ? o->base_path : DEFAULT_BASE_PATH);
	ctx->only_modem = g_strdup(o->modem);
	ctx->quiet = o->quiet;
	ctx->screen = stdout;
	if (scripted(o) && !load_script(ctx, o))
		return 2;
	if (o->json_log && !open_json_log(ctx, o->json_log))
		return 2;
	if (!connect_bus(ctx))
		return 1;
	run(ctx, o->modem);
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	struct options o;
	struct stkagent_ctx ctx = { 0 };
	int status;

	setlocale(LC_ALL, "");
	signal(SIGPIPE, SIG_IGN);
	if (!parse_options(&argc, &argv, &o)) {
		status = 2;
	} else if (o.version) {
		printf("stkbridge-agent %s\n", STKBRIDGE_VERSION);
		status = EXIT_SUCCESS;
	} else if (argc > 1) {
		fprintf(stderr, "stkbridge-agent: unexpected argument '%s'\n", argv[1]);
		status = 2;
	} else if (!check_options(&o)) {
		status = 2;
	} else {
		status = agent_main(&ctx, &o);
		ctx_clear(&ctx);
	}
	options_clear(&o);
	return status;
}
