/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `ota-cli tx start|show|list|poll|events`: deferred transactions through
 * the server's HTTP API (doc/api.md).  The server validates the request;
 * its errors name the field.
 */
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "ota-cli.h"

/* ---- tx start ------------------------------------------------------------------------- */

struct start_opts {
	char *iccid, *action, *text, *tar, *ev, *wanted;
	char **items;
	int default_item, min_len, max_len, timeout;
	gboolean digits, hidden, wait;
};

static void start_opts_clear(struct start_opts *o)
{
	g_free(o->iccid);
	g_free(o->action);
	g_free(o->text);
	g_free(o->tar);
	g_free(o->ev);
	g_free(o->wanted);
	g_strfreev(o->items);
}

/* What the server cannot check: the options' own shape. */
static int start_check(const struct start_opts *o)
{
	if (!o->iccid || !o->action)
		return ota_cli_fail("tx start needs --iccid and --action (see ota-cli tx start --help)");
	if (o->timeout < 0 || (o->timeout && !o->wait))
		return ota_cli_fail("--timeout is a number of seconds, with --wait");
	if (o->text && !g_utf8_validate(o->text, -1, NULL))
		return ota_cli_fail("--text must be UTF-8");
	for (guint i = 0; o->items && o->items[i]; i++)
		if (!g_utf8_validate(o->items[i], -1, NULL))
			return ota_cli_fail("--item must be UTF-8");
	return 0;
}

/* "items": [TEXT...]; an item given as ID:TEXT must have ID = its position (the engine
 * numbers items 1..n in order). */
static int items_member(char **items, JsonObject *req)
{
	JsonArray *a;

	if (!items)
		return 0;
	a = json_array_new();
	for (guint i = 0; items[i]; i++) {
		const char *t = items[i], *colon = strchr(t, ':');

		if (colon && colon > t && strspn(t, "0123456789") == (size_t)(colon - t)) {
			if (g_ascii_strtoull(t, NULL, 10) != i + 1) {
				json_array_unref(a);
				return ota_cli_fail("--item %s: items are numbered 1, 2, ... in order; "
						    "this one is %u", t, i + 1);
			}
			t = colon + 1;
		}
		json_array_add_string_element(a, t);
	}
	json_object_set_array_member(req, "items", a);
	return 0;
}

/* "input": get-input's length and kind, when any of its options is given. */
static void input_member(const struct start_opts *o, JsonObject *req)
{
	JsonObject *in;

	if (o->min_len < 0 && o->max_len < 0 && !o->digits && !o->hidden)
		return;
	in = json_object_new();
	if (o->min_len >= 0)
		json_object_set_int_member(in, "min", o->min_len);
	if (o->max_len >= 0)
		json_object_set_int_member(in, "max", o->max_len);
	json_object_set_boolean_member(in, "digits", o->digits);
	json_object_set_boolean_member(in, "hidden", o->hidden);
	json_object_set_object_member(req, "input", in);
}

/* FORM[:SECONDS] into an ev.wanted object; NULL if malformed. */
static JsonNode *wanted_json(const char *s)
{
	static const char *const forms[] = { "fixed", "indefinite", "until-mg", "next-session",
					     NULL };
	char **parts = g_strsplit(s, ":", 2);
	JsonObject *o = json_object_new();
	JsonNode *n = NULL;
	guint64 v;

	if (!g_strv_contains(forms, parts[0]))
		goto out;
	json_object_set_string_member(o, "form", parts[0]);
	if (parts[1]) {
		if (!g_ascii_string_to_unsigned(parts[1], 10, 0, G_MAXUINT32, &v, NULL))
			goto out;
		json_object_set_int_member(o, "seconds", (gint64)v);
	}
	n = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(n, json_object_ref(o));
out:
	json_object_unref(o);
	g_strfreev(parts);
	return n;
}

/* "ev": the --ev object, with --wanted as its "wanted" member. */
static int ev_member(const struct start_opts *o, JsonObject *req)
{
	JsonNode *ev, *w;

	if (!o->ev && !o->wanted)
		return 0;
	if (o->ev)
		ev = json_from_string(o->ev, NULL);
	else
		ev = json_node_init_object(json_node_alloc(), json_object_new());
	if (!ev || !JSON_NODE_HOLDS_OBJECT(ev)) {
		if (ev)
			json_node_unref(ev);
		return ota_cli_fail("--ev must be a JSON object, e.g. '{\"mg\":true,\"preset-ms\":60000}'");
	}
	if (o->wanted) {
		w = wanted_json(o->wanted);
		if (!w) {
			json_node_unref(ev);
			return ota_cli_fail("--wanted must be fixed:SECONDS, indefinite, "
					    "until-mg[:SECONDS] or next-session[:SECONDS]");
		}
		json_object_set_member(json_node_get_object(ev), "wanted", w);
	}
	json_object_set_member(req, "ev", ev);
	return 0;
}

/* The POST /v1/transactions body the options describe (doc/api.md). */
static int start_request(const struct start_opts *o, JsonObject *req)
{
	json_object_set_string_member(req, "iccid", o->iccid);
	json_object_set_string_member(req, "action", o->action);
	if (o->text)
		json_object_set_string_member(req, "text", o->text);
	if (items_member(o->items, req))
		return 1;
	if (o->default_item != -1)     /* the server checks it names an item */
		json_object_set_int_member(req, "default-item", o->default_item);
	if (o->tar)
		json_object_set_string_member(req, "tar", o->tar);
	input_member(o, req);
	return ev_member(o, req);
}

static bool tx_final(JsonNode *tx, void *user)
{
	const char *state = ota_client_state(tx);

	return state && (strcmp(state, "completed") == 0 || strcmp(state, "expired") == 0 ||
			 strcmp(state, "failed") == 0);
}

/*
 * POSTs the request; prints {"id":N}, or with wait the final transaction
 * (exit status 0 completed, 2 expired or failed, 1 error or time out).
 */
static int start_post(const struct ota_cli_server *server, JsonObject *req, bool wait, int timeout)
{
	struct ota_client c = { 0 };
	JsonNode *tx = NULL;
	char *path = NULL, *what = NULL;
	gint64 id;
	int rc = 1;

	if (!ota_client_init(&c, server, false) ||
	    !ota_client_post_id(&c, "/v1/transactions", req, &id, &tx))
		goto out;
	if (!wait) {
		ota_client_print(&c, tx);     /* {"id", "link", "warnings"} */
		rc = 0;
		goto out;
	}
	g_clear_pointer(&tx, json_node_unref);
	path = g_strdup_printf("/v1/transactions/%" G_GINT64_FORMAT, id);
	what = g_strdup_printf("transaction %" G_GINT64_FORMAT, id);
	if (ota_client_poll(&c, path, what, tx_final, NULL, timeout, &tx)) {
		ota_client_print(&c, tx);
		rc = strcmp(ota_client_state(tx), "completed") == 0 ? 0 : 2;
	}
out:
	if (tx)
		json_node_unref(tx);
	g_free(path);
	g_free(what);
	ota_client_clear(&c);
	return rc;
}

int ota_cli_tx_start(const struct ota_cli_command *cmd, int argc, char **argv)
{
	struct start_opts o = { .default_item = -1, .min_len = -1, .max_len = -1 };
	const GOptionEntry entries[] = {
		{ "iccid", 0, 0, G_OPTION_ARG_STRING, &o.iccid, "the card", "ICCID" },
		{ "action", 0, 0, G_OPTION_ARG_STRING, &o.action,
		  "display-text, get-input, select-item or yes-no", "ACTION" },
		/* FILENAME: the bytes as given, whatever the locale; checked as UTF-8 */
		{ "text", 0, 0, G_OPTION_ARG_FILENAME, &o.text, "text (UTF-8)", "TEXT" },
		{ "item", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.items, "a select-item item",
		  "[ID:]TEXT" },
		{ "default-item", 0, 0, G_OPTION_ARG_INT, &o.default_item,
		  "select-item: the item offered first", "ID" },
		{ "tar", 0, 0, G_OPTION_ARG_STRING, &o.tar, "the applet's TAR", "HEX" },
		{ "min-len", 0, 0, G_OPTION_ARG_INT, &o.min_len, "get-input: shortest answer", "N" },
		{ "max-len", 0, 0, G_OPTION_ARG_INT, &o.max_len, "get-input: longest answer", "N" },
		{ "digits", 0, 0, G_OPTION_ARG_NONE, &o.digits, "get-input: digits only", NULL },
		{ "hidden", 0, 0, G_OPTION_ARG_NONE, &o.hidden, "get-input: hide the entry", NULL },
		{ "ev", 0, 0, G_OPTION_ARG_STRING, &o.ev, "EV policy (doc/api.md)", "JSON" },
		{ "wanted", 0, 0, G_OPTION_ARG_STRING, &o.wanted,
		  "time extension asked in C1: fixed:S, indefinite, until-mg[:S] or next-session[:S]",
		  "FORM[:SECONDS]" },
		{ "wait", 0, 0, G_OPTION_ARG_NONE, &o.wait, "wait for the final state", NULL },
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &o.timeout, "give up waiting after", "SECONDS" },
		{ NULL }
	};
	struct ota_cli_server server = { 0 };
	JsonObject *req = json_object_new();
	int rc = 1;

	if (ota_cli_parse(cmd, &argc, &argv, entries, &server) && start_check(&o) == 0 &&
	    start_request(&o, req) == 0)
		rc = start_post(&server, req, o.wait, o.timeout);
	json_object_unref(req);
	start_opts_clear(&o);
	ota_cli_server_clear(&server);
	return rc;
}

/* ---- show, list, poll ----------------------------------------------------------------- */

int ota_cli_tx_show(const struct ota_cli_command *cmd, int argc, char **argv)
{
	return ota_client_run(cmd, argc, argv, "GET", "/v1/transactions", "");
}

int ota_cli_tx_poll(const struct ota_cli_command *cmd, int argc, char **argv)
{
	return ota_client_run(cmd, argc, argv, "POST", "/v1/transactions", "/poll");
}

/* Every transaction (or the first --limit), newest first, a page at a time. */
int ota_cli_tx_list(const struct ota_cli_command *cmd, int argc, char **argv)
{
	char *state = NULL, *iccid = NULL;
	int limit = 0;
	const GOptionEntry entries[] = {
		{ "state", 0, 0, G_OPTION_ARG_STRING, &state, "only in this state", "STATE" },
		{ "iccid", 0, 0, G_OPTION_ARG_STRING, &iccid, "only of this card", "ICCID" },
		{ "limit", 0, 0, G_OPTION_ARG_INT, &limit, "at most N transactions (0: all)", "N" },
		{ NULL }
	};
	struct ota_cli_server server = { 0 };
	struct ota_client c = { 0 };
	GString *path = g_string_new("/v1/transactions");
	int rc = 1;

	if (!ota_cli_parse(cmd, &argc, &argv, entries, &server))
		goto out;
	ota_client_add_query(path, "state", state);
	ota_client_add_query(path, "iccid", iccid);
	if (ota_client_init(&c, &server, false))
		rc = ota_client_list(&c, path->str, limit);
out:
	ota_client_clear(&c);
	ota_cli_server_clear(&server);
	g_string_free(path, TRUE);
	g_free(state);
	g_free(iccid);
	return rc;
}

/* ---- events --------------------------------------------------------------------------- */

/* Opens GET path as a stream; on an error status prints the server's message. */
static GInputStream *open_events(struct ota_client *c, const char *path, SoupMessage **msg)
{
	char *url = g_strconcat(c->base, path, NULL);
	GInputStream *in = NULL;
	GError *error = NULL;

	*msg = soup_message_new("GET", url);
	if (!*msg) {
		ota_cli_fail("%s: not a valid URL", url);
		goto out;
	}
	in = soup_session_send(c->session, *msg, NULL, &error);
	if (!in) {
		ota_cli_fail("cannot reach %s: %s", c->base, error->message);
		g_error_free(error);
		goto out;
	}
	if (soup_message_get_status(*msg) != SOUP_STATUS_OK) {
		/* the error body is small JSON: ask again for it, to print the message */
		JsonNode *answer = NULL;
		guint st;

		g_input_stream_close(in, NULL, NULL);
		g_clear_object(&in);
		ota_client_call(c, "GET", path, NULL, NULL, 0, &st, &answer);
		if (answer)
			json_node_unref(answer);
	}
out:
	g_free(url);
	return in;
}

/* Prints the data of each server-sent event, one a line, until count (0: the end). */
static int print_events(GInputStream *in, int count)
{
	GDataInputStream *lines = g_data_input_stream_new(in);
	GError *error = NULL;
	char *line;
	int seen = 0, rc;

	while ((!count || seen < count) &&
	       (line = g_data_input_stream_read_line_utf8(lines, NULL, NULL, &error))) {
		if (g_str_has_prefix(line, "data: ")) {
			printf("%s\n", line + 6);
			fflush(stdout);
			seen++;
		}
		g_free(line);
	}
	if (count && seen >= count)
		rc = 0;
	else if (error)
		rc = ota_cli_fail("event stream: %s", error->message);
	else
		rc = count ? ota_cli_fail("the server ended the event stream") : 0;
	g_clear_error(&error);
	g_object_unref(lines);
	return rc;
}

int ota_cli_tx_events(const struct ota_cli_command *cmd, int argc, char **argv)
{
	char *iccid = NULL, *tx = NULL;
	int count = 0;
	const GOptionEntry entries[] = {
		{ "iccid", 0, 0, G_OPTION_ARG_STRING, &iccid, "only this card's events", "ICCID" },
		{ "tx", 0, 0, G_OPTION_ARG_STRING, &tx, "only this transaction's events", "ID" },
		{ "count", 0, 0, G_OPTION_ARG_INT, &count, "exit after N events", "N" },
		{ NULL }
	};
	struct ota_cli_server server = { 0 };
	struct ota_client c = { 0 };
	GString *path = g_string_new("/v1/events");
	SoupMessage *msg = NULL;
	GInputStream *in = NULL;
	int rc = 1;

	if (!ota_cli_parse(cmd, &argc, &argv, entries, &server))
		goto out;
	if (count < 0) {
		rc = ota_cli_fail("--count must be a number of events");
		goto out;
	}
	ota_client_add_query(path, "iccid", iccid);
	ota_client_add_query(path, "tx", tx);
	if (ota_client_init(&c, &server, true) && (in = open_events(&c, path->str, &msg)))
		rc = print_events(in, count);
out:
	g_clear_object(&in);
	g_clear_object(&msg);
	ota_client_clear(&c);
	ota_cli_server_clear(&server);
	g_string_free(path, TRUE);
	g_free(iccid);
	g_free(tx);
	return rc;
}
