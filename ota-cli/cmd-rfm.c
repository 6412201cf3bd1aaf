/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `ota-cli rfm [show|list]` and `ota-cli campaign start|show|list|cancel`:
 * remote file management through the server's HTTP API (doc/rfm.md, "The
 * server side"; doc/api.md).  A script comes as --apdu HEX options or as a
 * script file (--script FILE, doc/rfm.md "Script files"), which is read and
 * checked here (errors name the file and line) and sent as it is; the
 * server checks everything again against the cards.  campaign start --wait
 * draws a progress bar on stderr while the campaign runs (when stderr is a
 * terminal, or with --progress).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "ota-cli.h"
#include "simota/rfm_script.h"

/* ---- the script --------------------------------------------------------------------- */

/* A JSON array of the strings. */
static JsonArray *strings(char **v)
{
	JsonArray *a = json_array_new();

	for (guint i = 0; v[i]; i++)
		json_array_add_string_element(a, v[i]);
	return a;
}

struct script_opts {
	char *tar, *script;
	char **apdus;
	gboolean expanded;
};

static void script_opts_clear(struct script_opts *o)
{
	g_free(o->tar);
	g_free(o->script);
	g_strfreev(o->apdus);
}

#define SCRIPT_ENTRIES(o) \
	{ "tar", 0, 0, G_OPTION_ARG_STRING, &(o)->tar, "the RFM application's TAR", "HEX" }, \
	{ "apdu", 0, 0, G_OPTION_ARG_STRING_ARRAY, &(o)->apdus, "a C-APDU of the script, in order", "HEX" }, \
	{ "script", 0, 0, G_OPTION_ARG_FILENAME, &(o)->script, "a script file (doc/rfm.md)", "FILE" }, \
	{ "expanded", 0, 0, G_OPTION_ARG_NONE, &(o)->expanded, \
	  "the expanded format (TS 102 226 §5.2) instead of the compact one", NULL }

/* The script file, checked with the parser the server uses; NULL after printing why. */
static char *read_script(const char *path)
{
	struct simota_rfm_script *s = g_new(struct simota_rfm_script, 1);
	struct simota_rfm_script_error err;
	GError *error = NULL;
	char *text = NULL;
	gsize len;

	if (!g_file_get_contents(path, &text, &len, &error)) {
		ota_cli_fail("%s", error->message);
		g_error_free(error);
	} else if (simota_rfm_script_parse(text, len, s, &err) != SIMOTA_OK) {
		ota_cli_fail("%s: line %u: %s", path, err.line, err.why);
		g_clear_pointer(&text, g_free);
	} else if (memchr(text, '\0', len)) {
		ota_cli_fail("%s: not a text file", path);
		g_clear_pointer(&text, g_free);
	}
	g_free(s);
	return text;
}

/* "tar", "format" and "apdus" or "script" of a request (doc/api.md). */
static int script_members(const struct script_opts *o, JsonObject *req)
{
	if (!!o->script == !!o->apdus)
		return ota_cli_fail("give the script as --apdu HEX... or as --script FILE (one of them)");
	if (o->script) {
		char *text = read_script(o->script);

		if (!text)
			return 1;
		json_object_set_string_member(req, "script", text);
		g_free(text);
	} else {
		json_object_set_array_member(req, "apdus", strings(o->apdus));
	}
	if (o->tar)
		json_object_set_string_member(req, "tar", o->tar);
	if (o->expanded)
		json_object_set_string_member(req, "format", "expanded");
	return 0;
}

/* ---- rfm -------------------------------------------------------------------------- */

static bool op_final(JsonNode *op, void *user)
{
	const char *state = ota_client_state(op);

	return state && (strcmp(state, "completed") == 0 || strcmp(state, "failed") == 0);
}

/* Completed, and every command of the script succeeded (result.ok). */
static bool op_ok(JsonNode *op)
{
	JsonObject *o = json_node_get_object(op);
	JsonNode *r = json_object_get_member(o, "result");

	return strcmp(ota_client_state(op), "completed") == 0 && r && JSON_NODE_HOLDS_OBJECT(r) &&
	       json_object_get_boolean_member_with_default(json_node_get_object(r), "ok", FALSE);
}

int ota_cli_rfm_send(const struct ota_cli_command *cmd, int argc, char **argv)
{
	struct script_opts s = { 0 };
	char *iccid = NULL, *path = NULL, *what = NULL;
	gboolean wait = FALSE;
	int timeout = 0;
	const GOptionEntry entries[] = {
		{ "iccid", 0, 0, G_OPTION_ARG_STRING, &iccid, "the card", "ICCID" },
		SCRIPT_ENTRIES(&s),
		{ "wait", 0, 0, G_OPTION_ARG_NONE, &wait, "wait for the card's answer", NULL },
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "give up waiting after", "SECONDS" },
		{ NULL }
	};
	struct ota_cli_server server = { 0 };
	struct ota_client c = { 0 };
	JsonObject *req = json_object_new();
	JsonNode *op = NULL;
	gint64 id;
	int rc = 1;

	if (!ota_cli_parse(cmd, &argc, &argv, entries, &server))
		goto out;
	if (!iccid) {
		rc = ota_cli_fail("rfm needs --iccid (see ota-cli rfm --help)");
		goto out;
	}
	if (timeout < 0 || (timeout && !wait)) {
		rc = ota_cli_fail("--timeout is a number of seconds, with --wait");
		goto out;
	}
	json_object_set_string_member(req, "iccid", iccid);
	if (script_members(&s, req) || !ota_client_init(&c, &server, false) ||
	    !ota_client_post_id(&c, "/v1/rfm", req, &id, &op))
		goto out;
	if (!wait) {
		ota_client_print(&c, op);     /* {"id", "link", "warnings"} */
		rc = 0;
		goto out;
	}
	g_clear_pointer(&op, json_node_unref);
	path = g_strdup_printf("/v1/rfm/%" G_GINT64_FORMAT, id);
	what = g_strdup_printf("RFM operation %" G_GINT64_FORMAT, id);
	if (ota_client_poll(&c, path, what, op_final, NULL, timeout, &op)) {
		ota_client_print(&c, op);
		rc = op_ok(op) ? 0 : 2;
	}
out:
	if (op)
		json_node_unref(op);
	json_object_unref(req);
	ota_client_clear(&c);
	ota_cli_server_clear(&server);
	script_opts_clear(&s);
	g_free(iccid);
	g_free(path);
	g_free(what);
	return rc;
}

int ota_cli_rfm_show(const struct ota_cli_command *cmd, int argc, char **argv)
{
	return ota_client_run(cmd, argc, argv, "GET", "/v1/rfm", "");
}

/* GETs path and prints the answer; the exit status. */
static int get_print(const struct ota_cli_server *server, const char *path)
{
	struct ota_client c = { 0 };
	JsonNode *answer = NULL;
	guint st;
	int rc = 1;

	if (ota_client_init(&c, server, false) &&
	    ota_client_call(&c, "GET", path, NULL, NULL, 0, &st, &answer) && answer) {
		ota_client_print(&c, answer);
		rc = 0;
	}
	if (answer)
		json_node_unref(answer);
	ota_client_clear(&c);
	return rc;
}

int ota_cli_rfm_list(const struct ota_cli_command *cmd, int argc, char **argv)
{
	char *state = NULL, *iccid = NULL, *campaign = NULL;
	const GOptionEntry entries[] = {
		{ "state", 0, 0, G_OPTION_ARG_STRING, &state, "queued, sent, completed or failed", "STATE" },
		{ "iccid", 0, 0, G_OPTION_ARG_STRING, &iccid, "only of this card", "ICCID" },
		{ "campaign", 0, 0, G_OPTION_ARG_STRING, &campaign, "only of this campaign", "ID" },
		{ NULL }
	};
	struct ota_cli_server server = { 0 };
	GString *path = g_string_new("/v1/rfm");
	int rc = 1;

	if (ota_cli_parse(cmd, &argc, &argv, entries, &server)) {
		ota_client_add_query(path, "state", state);
		ota_client_add_query(path, "iccid", iccid);
		ota_client_add_query(path, "campaign", campaign);
		rc = get_print(&server, path->str);
	}
	ota_cli_server_clear(&server);
	g_string_free(path, TRUE);
	g_free(state);
	g_free(iccid);
	g_free(campaign);
	return rc;
}

/* ---- campaign ---------------------------------------------------------------------- */

struct progress {
	bool draw;             /* a bar on stderr */
	bool tty;              /* redrawn in place; else one line per change */
	char last[160];
};

static int64_t count(JsonObject *o, const char *name)
{
	return json_object_get_int_member_with_default(o, name, 0);
}

/* "[#########...........]  412/1000  done 400  failed 12  active 20  pending 568" */
static void draw(struct progress *p, JsonObject *o)
{
	int64_t total = count(o, "total"), done = count(o, "done"), failed = count(o, "failed");
	int64_t cancelled = count(o, "cancelled"), ended = done + failed + cancelled;
	char bar[31], line[160];
	int filled = total ? (int)(ended * 30 / total) : 30;

	memset(bar, '#', (size_t)filled);
	memset(bar + filled, '.', (size_t)(30 - filled));
	bar[30] = '\0';
	g_snprintf(line, sizeof(line), "[%s] %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "  done %"
		   G_GINT64_FORMAT "  failed %" G_GINT64_FORMAT "  active %" G_GINT64_FORMAT
		   "  pending %" G_GINT64_FORMAT "%s", bar, ended, total, done, failed,
		   count(o, "active"), count(o, "pending"),
		   cancelled ? "  cancelled" : "");
	if (strcmp(line, p->last) == 0)
		return;
	g_strlcpy(p->last, line, sizeof(p->last));
	fprintf(stderr, p->tty ? "\r%s\033[K" : "%s\n", line);
	fflush(stderr);
}

static bool campaign_final(JsonNode *campaign, void *user)
{
	struct progress *p = user;
	const char *state = ota_client_state(campaign);
	bool final = state && strcmp(state, "running") != 0;

	if (p->draw) {
		draw(p, json_node_get_object(campaign));
		if (final && p->tty)
			fputc('\n', stderr);
	}
	return final;
}

/* 0: every card done; 2: a card failed or was cancelled, or the campaign was. */
static int campaign_status(JsonNode *campaign)
{
	JsonObject *o = json_node_get_object(campaign);

	return strcmp(ota_client_state(campaign), "completed") == 0 && count(o, "failed") == 0 &&
	       count(o, "cancelled") == 0 ? 0 : 2;
}

struct start_opts {
	struct script_opts s;
	char **iccids;
	char *name;
	gboolean all, wait, progress;
	double rate;
	int retries, timeout;
};

static int campaign_request(struct start_opts *o, JsonObject *req)
{
	if (!!o->all == !!o->iccids)
		return ota_cli_fail("give the cards as --iccid ICCID... or --all (one of them)");
	if (o->timeout < 0 || (o->timeout && !o->wait))
		return ota_cli_fail("--timeout is a number of seconds, with --wait");
	if (o->progress && !o->wait)
		return ota_cli_fail("--progress goes with --wait");
	if (script_members(&o->s, req))
		return 1;
	if (o->all) {
		json_object_set_boolean_member(req, "all", TRUE);
	} else {
		json_object_set_array_member(req, "iccids", strings(o->iccids));
	}
	if (o->name)
		json_object_set_string_member(req, "name", o->name);
	if (o->rate >= 0)
		json_object_set_double_member(req, "rate", o->rate);
	if (o->retries >= 0)
		json_object_set_int_member(req, "retries", o->retries);
	return 0;
}

int ota_cli_campaign_start(const struct ota_cli_command *cmd, int argc, char **argv)
{
	struct start_opts o = { .rate = -1, .retries = -1 };
	const GOptionEntry entries[] = {
		SCRIPT_ENTRIES(&o.s),
		{ "iccid", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.iccids, "a card of the campaign", "ICCID" },
		{ "all", 0, 0, G_OPTION_ARG_NONE, &o.all, "every registered card that holds the TAR", NULL },
		{ "name", 0, 0, G_OPTION_ARG_STRING, &o.name, "a name to show", "NAME" },
		{ "rate", 0, 0, G_OPTION_ARG_DOUBLE, &o.rate, "command packets per second (default 10)", "N" },
		{ "retries", 0, 0, G_OPTION_ARG_INT, &o.retries,
		  "starts again of a card whose packet got no PoR (default 1)", "N" },
		{ "wait", 0, 0, G_OPTION_ARG_NONE, &o.wait, "wait for the end, with a progress bar", NULL },
		{ "progress", 0, 0, G_OPTION_ARG_NONE, &o.progress,
		  "the progress on stderr even when it is no terminal (a line per change)", NULL },
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &o.timeout, "give up waiting after", "SECONDS" },
		{ NULL }
	};
	struct ota_cli_server server = { 0 };
	struct ota_client c = { 0 };
	struct progress p = { 0 };
	JsonObject *req = json_object_new();
	JsonNode *campaign = NULL;
	char *path = NULL, *what = NULL;
	gint64 id;
	int rc = 1;

	if (!ota_cli_parse(cmd, &argc, &argv, entries, &server) || campaign_request(&o, req) ||
	    !ota_client_init(&c, &server, false) ||
	    !ota_client_post_id(&c, "/v1/campaigns", req, &id, &campaign))
		goto out;
	if (!o.wait) {
		ota_client_print(&c, campaign);
		rc = 0;
		goto out;
	}
	g_clear_pointer(&campaign, json_node_unref);
	p.tty = isatty(STDERR_FILENO);
	p.draw = p.tty || o.progress;
	path = g_strdup_printf("/v1/campaigns/%" G_GINT64_FORMAT "?cards=false", id);
	what = g_strdup_printf("campaign %" G_GINT64_FORMAT, id);
	if (ota_client_poll(&c, path, what, campaign_final, &p, o.timeout, &campaign)) {
		ota_client_print(&c, campaign);
		rc = campaign_status(campaign);
	}
out:
	if (campaign)
		json_node_unref(campaign);
	json_object_unref(req);
	ota_client_clear(&c);
	ota_cli_server_clear(&server);
	script_opts_clear(&o.s);
	g_strfreev(o.iccids);
	g_free(o.name);
	g_free(path);
	g_free(what);
	return rc;
}

int ota_cli_campaign_show(const struct ota_cli_command *cmd, int argc, char **argv)
{
	char *state = NULL, *id;
	gboolean no_cards = FALSE;
	const GOptionEntry entries[] = {
		{ "state", 0, 0, G_OPTION_ARG_STRING, &state,
		  "only the cards in this state (pending, active, done, failed, cancelled)", "STATE" },
		{ "no-cards", 0, 0, G_OPTION_ARG_NONE, &no_cards, "the counts without the cards", NULL },
		{ NULL }
	};
	struct ota_cli_server server = { 0 };
	GString *path = g_string_new("/v1/campaigns/");
	int rc = 1;

	if (ota_cli_parse(cmd, &argc, &argv, entries, &server)) {
		id = ota_client_escape(argv[1]);
		g_string_append(path, id);
		g_free(id);
		ota_client_add_query(path, "state", state);
		ota_client_add_query(path, "cards", no_cards ? "false" : NULL);
		rc = get_print(&server, path->str);
	}
	ota_cli_server_clear(&server);
	g_string_free(path, TRUE);
	g_free(state);
	return rc;
}

int ota_cli_campaign_list(const struct ota_cli_command *cmd, int argc, char **argv)
{
	return ota_client_run(cmd, argc, argv, "GET", "/v1/campaigns", "");
}

int ota_cli_campaign_cancel(const struct ota_cli_command *cmd, int argc, char **argv)
{
	return ota_client_run(cmd, argc, argv, "POST", "/v1/campaigns", "/cancel");
}
