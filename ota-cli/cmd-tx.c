/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ota-cli tx start|show|list|poll|events: deferred transactions through the
 * server's HTTP API (doc/api.md).  The server validates; its errors name
 * the field.  Errors: exit 1, one line on stderr, nothing on stdout.
 */
#include "cmd-server.h"

#include <stdio.h>
#include <string.h>

#include "client.h"

const char cli_tx_usage[] =
"  ota-cli tx start --iccid ICCID --action display-text|get-input|select-item|yes-no\n"
"                   [--text TEXT] [--item [ID:]TEXT]... [--tar HEX]\n"
"                   [--min-len N] [--max-len N] [--digits] [--hidden]\n"
"                   [--ev JSON] [--wanted fixed:S|indefinite|until-mg|next-session]\n"
"                   [--wait [--timeout SECONDS]]\n"
"      starts a transaction; prints {\"id\":N}, or with --wait its final JSON\n"
"      (exit 0 completed, 2 expired or failed)\n"
"  ota-cli tx show ID | tx list [--state STATE] [--iccid ICCID] | tx poll ID\n"
"  ota-cli tx events [--iccid ICCID] [--tx ID] [--count N]\n"
"      prints timeline events as they happen, one JSON object a line\n"
"  every tx and card command takes --server http://HOST:PORT (else $OTA_SERVER)\n"
"  and --pretty (indented JSON)\n";

static char *server;
static gboolean pretty;

static const GOptionEntry common_entries[] = {
	{ "server", 0, 0, G_OPTION_ARG_STRING, &server, "the server (else $OTA_SERVER)",
	  "http://HOST:PORT" },
	{ "pretty", 0, 0, G_OPTION_ARG_NONE, &pretty, "indented JSON", NULL },
	{ NULL }
};

/* Parses the options; positional arguments stay in argv.  false after printing the error. */
bool cli_parse_options(int *argc, char ***argv, const GOptionEntry *entries, const char *args)
{
	GOptionContext *ctx = g_option_context_new(args);
	GError *error = NULL;
	bool ok;

	g_clear_pointer(&server, g_free);
	pretty = FALSE;
	g_option_context_add_main_entries(ctx, common_entries, NULL);
	if (entries)
		g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_help_enabled(ctx, TRUE);
	ok = g_option_context_parse(ctx, argc, argv, &error);
	if (!ok) {
		ota_cli_fail("%s", error->message);
		g_error_free(error);
	}
	g_option_context_free(ctx);
	return ok;
}

bool cli_connect(struct ota_client *c, bool stream)
{
	bool ok = ota_client_init(c, server, stream);

	c->pretty = pretty;
	return ok;
}

/* ---- tx start ---------------------------------------------------------------- */

/* FORM[:SECONDS] into an ev.wanted object; NULL if malformed. */
static JsonNode *wanted_json(const char *s)
{
	char **parts = g_strsplit(s, ":", 2);
	JsonObject *o = json_object_new();
	JsonNode *n = NULL;
	static const char *const forms[] = { "fixed", "indefinite", "until-mg", "next-session",
					     NULL };

	if (g_strv_contains(forms, parts[0])) {
		json_object_set_string_member(o, "form", parts[0]);
		if (parts[1]) {
			guint64 v;

			if (!g_ascii_string_to_unsigned(parts[1], 10, 0, G_MAXUINT32, &v, NULL))
				goto out;
			json_object_set_int_member(o, "seconds", (gint64)v);
		}
		n = json_node_new(JSON_NODE_OBJECT);
		json_node_take_object(n, json_object_ref(o));
	}
out:
	json_object_unref(o);
	g_strfreev(parts);
	return n;
}

static bool is_final(const char *state)
{
	return state && (strcmp(state, "completed") == 0 || strcmp(state, "expired") == 0 ||
			 strcmp(state, "failed") == 0);
}

static int wait_for(struct ota_client *c, gint64 id, int timeout_s)
{
	char *path = g_strdup_printf("/v1/transactions/%" G_GINT64_FORMAT, id);
	gint64 end = timeout_s > 0 ? g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC : 0;
	int rc = 1;

	for (;;) {
		JsonNode *tx = NULL;
		const char *state;
		guint st;

		if (!ota_client_call(c, "GET", path, NULL, NULL, 0, &st, &tx))
			break;
		state = json_object_get_string_member_with_default(json_node_get_object(tx),
								   "state", NULL);
		if (is_final(state)) {
			ota_client_print(c, tx);
			rc = strcmp(state, "completed") == 0 ? 0 : 2;
			json_node_unref(tx);
			break;
		}
		if (end && g_get_monotonic_time() >= end) {
			ota_cli_fail("timed out after %d s waiting for transaction %" G_GINT64_FORMAT
				     " (state %s)", timeout_s, id, state ? state : "?");
			json_node_unref(tx);
			break;
		}
		json_node_unref(tx);
		g_usleep(200 * 1000);
	}
	g_free(path);
	return rc;
}

static int tx_start(int argc, char **argv)
{
	char *iccid = NULL, *action = NULL, *text = NULL, *tar = NULL, *ev = NULL, *wanted = NULL;
	char **items = NULL;
	int min_len = -1, max_len = -1, timeout = 0;
	gboolean digits = FALSE, hidden = FALSE, wait = FALSE;
	const GOptionEntry entries[] = {
		{ "iccid", 0, 0, G_OPTION_ARG_STRING, &iccid, "the card", "ICCID" },
		{ "action", 0, 0, G_OPTION_ARG_STRING, &action, "the proactive action", "ACTION" },
		{ "text", 0, 0, G_OPTION_ARG_STRING, &text, "text (UTF-8)", "TEXT" },
		{ "item", 0, 0, G_OPTION_ARG_STRING_ARRAY, &items, "select-item item", "[ID:]TEXT" },
		{ "tar", 0, 0, G_OPTION_ARG_STRING, &tar, "the applet's TAR", "HEX" },
		{ "min-len", 0, 0, G_OPTION_ARG_INT, &min_len, "get-input: shortest answer", "N" },
		{ "max-len", 0, 0, G_OPTION_ARG_INT, &max_len, "get-input: longest answer", "N" },
		{ "digits", 0, 0, G_OPTION_ARG_NONE, &digits, "get-input: digits only", NULL },
		{ "hidden", 0, 0, G_OPTION_ARG_NONE, &hidden, "get-input: hide the entry", NULL },
		{ "ev", 0, 0, G_OPTION_ARG_STRING, &ev, "EV policy (doc/api.md)", "JSON" },
		{ "wanted", 0, 0, G_OPTION_ARG_STRING, &wanted, "time extension asked in C1",
		  "FORM[:SECONDS]" },
		{ "wait", 0, 0, G_OPTION_ARG_NONE, &wait, "wait for the final state", NULL },
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "give up waiting after", "SECONDS" },
		{ NULL }
	};
	struct ota_client c = { 0 };
	JsonObject *req = json_object_new();
	JsonNode *body = NULL, *answer = NULL;
	char *json = NULL;
	int rc = 1;
	guint st;

	if (!cli_parse_options(&argc, &argv, entries, "- start a deferred transaction"))
		goto out;
	if (argc > 1) {
		rc = ota_cli_fail("tx start: unexpected argument '%s'", argv[1]);
		goto out;
	}
	if (!iccid || !action) {
		rc = ota_cli_fail("tx start needs --iccid and --action (see ota-cli --help)");
		goto out;
	}
	if (timeout < 0 || (timeout && !wait)) {
		rc = ota_cli_fail("--timeout is a number of seconds, with --wait");
		goto out;
	}
	json_object_set_string_member(req, "iccid", iccid);
	json_object_set_string_member(req, "action", action);
	if (text)
		json_object_set_string_member(req, "text", text);
	if (items) {
		JsonArray *a = json_array_new();

		for (guint i = 0; items[i]; i++) {
			const char *t = items[i], *colon = strchr(t, ':');

			/* "ID:TEXT": the engine numbers items 1..n in order, so ID must be i+1 */
			if (colon && colon > t && strspn(t, "0123456789") == (size_t)(colon - t)) {
				if (g_ascii_strtoull(t, NULL, 10) != i + 1) {
					json_array_unref(a);
					rc = ota_cli_fail("--item %s: items are numbered 1, 2, ... in "
							  "order; this one is %u", t, i + 1);
					goto out;
				}
				t = colon + 1;
			}
			json_array_add_string_element(a, t);
		}
		json_object_set_array_member(req, "items", a);
	}
	if (tar)
		json_object_set_string_member(req, "tar", tar);
	if (min_len >= 0 || max_len >= 0 || digits || hidden) {
		JsonObject *in = json_object_new();

		if (min_len >= 0)
			json_object_set_int_member(in, "min", min_len);
		if (max_len >= 0)
			json_object_set_int_member(in, "max", max_len);
		json_object_set_boolean_member(in, "digits", digits);
		json_object_set_boolean_member(in, "hidden", hidden);
		json_object_set_object_member(req, "input", in);
	}
	if (ev || wanted) {
		JsonNode *evn = ev ? json_from_string(ev, NULL) : json_node_new(JSON_NODE_OBJECT);

		if (!ev)
			json_node_take_object(evn, json_object_new());

		if (!evn || !JSON_NODE_HOLDS_OBJECT(evn)) {
			if (evn)
				json_node_unref(evn);
			rc = ota_cli_fail("--ev must be a JSON object, e.g. '{\"mg\":true,\"preset-ms\":60000}'");
			goto out;
		}
		if (wanted) {
			JsonNode *w = wanted_json(wanted);

			if (!w) {
				json_node_unref(evn);
				rc = ota_cli_fail("--wanted must be fixed:SECONDS, indefinite, "
						  "until-mg[:SECONDS] or next-session[:SECONDS]");
				goto out;
			}
			json_object_set_member(json_node_get_object(evn), "wanted", w);
		}
		json_object_set_member(req, "ev", evn);
	}
	if (!cli_connect(&c, false))
		goto out;
	body = json_node_init_object(json_node_alloc(), req);
	json = json_to_string(body, FALSE);
	if (!ota_client_call(&c, "POST", "/v1/transactions", "application/json", json,
			     strlen(json), &st, &answer))
		goto out;
	if (!answer || !json_object_has_member(json_node_get_object(answer), "id")) {
		rc = ota_cli_fail("the server's answer has no transaction id");
		goto out;
	}
	if (wait)
		rc = wait_for(&c, json_object_get_int_member(json_node_get_object(answer), "id"),
			      timeout);
	else {
		ota_client_print(&c, answer);
		rc = 0;
	}
out:
	if (answer)
		json_node_unref(answer);
	if (body)
		json_node_unref(body);
	json_object_unref(req);
	ota_client_clear(&c);
	g_free(json);
	g_free(iccid);
	g_free(action);
	g_free(text);
	g_free(tar);
	g_free(ev);
	g_free(wanted);
	g_strfreev(items);
	return rc;
}

/* ---- show, list, poll -------------------------------------------------------- */

/* GET/POST /v1/transactions/ID[suffix], ID the single positional argument. */
static int one_id(int argc, char **argv, const char *method, const char *suffix,
		  const char *what)
{
	struct ota_client c = { 0 };
	JsonNode *answer = NULL;
	char *id, *path;
	guint st;
	int rc = 1;

	if (!cli_parse_options(&argc, &argv, NULL, "ID"))
		return 1;
	if (argc != 2)
		return ota_cli_fail("usage: ota-cli tx %s ID", what);
	if (!cli_connect(&c, false))
		return 1;
	id = ota_client_escape(argv[1]);
	path = g_strconcat("/v1/transactions/", id, suffix, NULL);
	if (ota_client_call(&c, method, path, NULL, NULL, 0, &st, &answer)) {
		if (answer)
			ota_client_print(&c, answer);
		rc = 0;
	}
	if (answer)
		json_node_unref(answer);
	g_free(path);
	g_free(id);
	ota_client_clear(&c);
	return rc;
}

static int tx_list(int argc, char **argv)
{
	char *state = NULL, *iccid = NULL;
	const GOptionEntry entries[] = {
		{ "state", 0, 0, G_OPTION_ARG_STRING, &state, "only in this state", "STATE" },
		{ "iccid", 0, 0, G_OPTION_ARG_STRING, &iccid, "only of this card", "ICCID" },
		{ NULL }
	};
	struct ota_client c = { 0 };
	JsonNode *answer = NULL;
	GString *path = g_string_new("/v1/transactions");
	guint st;
	int rc = 1;

	if (!cli_parse_options(&argc, &argv, entries, "- list transactions, newest first"))
		goto out;
	if (argc > 1) {
		rc = ota_cli_fail("tx list: unexpected argument '%s'", argv[1]);
		goto out;
	}
	if (state) {
		char *e = ota_client_escape(state);

		g_string_append_printf(path, "?state=%s", e);
		g_free(e);
	}
	if (iccid) {
		char *e = ota_client_escape(iccid);

		g_string_append_printf(path, "%ciccid=%s", state ? '&' : '?', e);
		g_free(e);
	}
	if (!cli_connect(&c, false))
		goto out;
	if (ota_client_call(&c, "GET", path->str, NULL, NULL, 0, &st, &answer) && answer) {
		ota_client_print(&c, answer);
		rc = 0;
	}
out:
	if (answer)
		json_node_unref(answer);
	ota_client_clear(&c);
	g_string_free(path, TRUE);
	g_free(state);
	g_free(iccid);
	return rc;
}

/* ---- events ---------------------------------------------------------------------- */

static int tx_events(int argc, char **argv)
{
	char *iccid = NULL, *tx = NULL;
	int count = 0;
	const GOptionEntry entries[] = {
		{ "iccid", 0, 0, G_OPTION_ARG_STRING, &iccid, "only this card's events", "ICCID" },
		{ "tx", 0, 0, G_OPTION_ARG_STRING, &tx, "only this transaction's events", "ID" },
		{ "count", 0, 0, G_OPTION_ARG_INT, &count, "exit after N events", "N" },
		{ NULL }
	};
	struct ota_client c = { 0 };
	GString *path = g_string_new("/v1/events");
	SoupMessage *msg = NULL;
	GInputStream *in = NULL;
	GDataInputStream *lines = NULL;
	GError *error = NULL;
	char *url = NULL, *line;
	int rc = 1, seen = 0;

	if (!cli_parse_options(&argc, &argv, entries, "- print timeline events as they happen"))
		goto out;
	if (argc > 1 || count < 0) {
		rc = ota_cli_fail("usage: ota-cli tx events [--iccid ICCID] [--tx ID] [--count N]");
		goto out;
	}
	if (iccid) {
		char *e = ota_client_escape(iccid);

		g_string_append_printf(path, "?iccid=%s", e);
		g_free(e);
	}
	if (tx) {
		char *e = ota_client_escape(tx);

		g_string_append_printf(path, "%ctx=%s", iccid ? '&' : '?', e);
		g_free(e);
	}
	if (!cli_connect(&c, true))
		goto out;
	url = g_strconcat(c.base, path->str, NULL);
	msg = soup_message_new("GET", url);
	if (!msg) {
		rc = ota_cli_fail("%s: not a valid URL", url);
		goto out;
	}
	in = soup_session_send(c.session, msg, NULL, &error);
	if (!in) {
		rc = ota_cli_fail("cannot reach %s: %s", c.base, error->message);
		goto out;
	}
	if (soup_message_get_status(msg) != SOUP_STATUS_OK) {
		/* the error body is small JSON: read it for the message */
		JsonNode *dummy = NULL;
		guint st;

		g_input_stream_close(in, NULL, NULL);
		ota_client_call(&c, "GET", path->str, NULL, NULL, 0, &st, &dummy);
		if (dummy)
			json_node_unref(dummy);
		goto out;
	}
	lines = g_data_input_stream_new(in);
	while ((line = g_data_input_stream_read_line_utf8(lines, NULL, NULL, &error))) {
		if (g_str_has_prefix(line, "data: ")) {
			printf("%s\n", line + 6);
			fflush(stdout);
			seen++;
		}
		g_free(line);
		if (count && seen >= count)
			break;
	}
	if (error && !(count && seen >= count)) {
		rc = ota_cli_fail("event stream: %s", error->message);
		goto out;
	}
	rc = count && seen < count ? ota_cli_fail("the server ended the event stream") : 0;
out:
	g_clear_error(&error);
	g_clear_object(&lines);
	g_clear_object(&in);
	g_clear_object(&msg);
	ota_client_clear(&c);
	g_string_free(path, TRUE);
	g_free(url);
	g_free(iccid);
	g_free(tx);
	return rc;
}

int cli_tx_main(int argc, char **argv)
{
	if (argc < 2)
		return ota_cli_fail("missing subcommand: tx start, show, list, poll or events "
				    "(see ota-cli --help)");
	if (strcmp(argv[1], "start") == 0)
		return tx_start(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return one_id(argc - 1, argv + 1, "GET", "", "show");
	if (strcmp(argv[1], "poll") == 0)
		return one_id(argc - 1, argv + 1, "POST", "/poll", "poll");
	if (strcmp(argv[1], "list") == 0)
		return tx_list(argc - 1, argv + 1);
	if (strcmp(argv[1], "events") == 0)
		return tx_events(argc - 1, argv + 1);
	return ota_cli_fail("unknown subcommand 'tx %s' (see ota-cli --help)", argv[1]);
}
