/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ota-cli's HTTP client (see client.h), on libsoup-3's synchronous API. */
#include "client.h"

#include <stdio.h>
#include <string.h>

bool ota_client_init(struct ota_client *c, const struct ota_cli_server *opts, bool stream)
{
	const char *server = opts->url;
	const char *src = server ? "--server" : "OTA_SERVER";
	GUri *uri;
	const char *scheme, *host, *path;
	GInetAddress *ia;
	bool loopback = false;

	memset(c, 0, sizeof(*c));
	if (!server)
		server = g_getenv("OTA_SERVER");
	if (!server || !*server) {
		ota_cli_fail("no server: give --server http://HOST:PORT or set OTA_SERVER");
		return false;
	}
	uri = g_uri_parse(server, G_URI_FLAGS_NONE, NULL);
	scheme = uri ? g_uri_get_scheme(uri) : NULL;
	host = uri ? g_uri_get_host(uri) : NULL;
	path = uri ? g_uri_get_path(uri) : NULL;
	if (!uri || !scheme || (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) ||
	    !host || !*host || (path && *path && strcmp(path, "/") != 0) || g_uri_get_query(uri)) {
		ota_cli_fail("%s %s: expected http://HOST:PORT", src, server);
		if (uri)
			g_uri_unref(uri);
		return false;
	}
	ia = g_inet_address_new_from_string(host);
	loopback = g_ascii_strcasecmp(host, "localhost") == 0 ||
		   (ia && g_inet_address_get_is_loopback(ia));
	if (ia)
		g_object_unref(ia);
	g_uri_unref(uri);
	c->base = g_strdup(server);
	c->pretty = opts->pretty;
	if (g_str_has_suffix(c->base, "/"))
		c->base[strlen(c->base) - 1] = '\0';
	c->session = soup_session_new_with_options("user-agent", "ota-cli ",
						   "timeout", stream ? 0 : 60, NULL);
	/* a test server on this host is never reached through a proxy */
	if (loopback)
		g_object_set(c->session, "proxy-resolver", NULL, NULL);
	return true;
}

void ota_client_clear(struct ota_client *c)
{
	g_clear_object(&c->session);
	g_clear_pointer(&c->base, g_free);
}

char *ota_client_escape(const char *s)
{
	return g_uri_escape_string(s, NULL, FALSE);
}

void ota_client_add_query(GString *path, const char *name, const char *value)
{
	char *e;

	if (!value)
		return;
	e = ota_client_escape(value);
	g_string_append_printf(path, "%c%s=%s", strchr(path->str, '?') ? '&' : '?', name, e);
	g_free(e);
}

/* The server's {"error"} if the body is one, else NULL. */
static char *error_of(GBytes *body)
{
	JsonParser *p = json_parser_new();
	gsize len;
	const char *data = body ? g_bytes_get_data(body, &len) : NULL;
	char *msg = NULL;

	if (data && len && json_parser_load_from_data(p, data, (gssize)len, NULL) &&
	    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
		JsonObject *o = json_node_get_object(json_parser_get_root(p));
		const char *e = json_object_get_string_member_with_default(o, "error", NULL);

		msg = g_strdup(e);
	}
	g_object_unref(p);
	return msg;
}

bool ota_client_call(struct ota_client *c, const char *method, const char *path,
		     const char *content_type, const void *body, size_t len,
		     guint *status, JsonNode **json)
{
	char *url = g_strconcat(c->base, path, NULL);
	SoupMessage *msg = soup_message_new(method, url);
	GError *error = NULL;
	GBytes *answer;
	bool ok = false;
	guint st;

	*json = NULL;
	if (!msg) {
		ota_cli_fail("%s: not a valid URL", url);
		g_free(url);
		return false;
	}
	if (content_type) {
		GBytes *b = g_bytes_new(body, len);

		soup_message_set_request_body_from_bytes(msg, content_type, b);
		g_bytes_unref(b);
	}
	soup_message_headers_replace(soup_message_get_request_headers(msg), "Accept",
				     "application/json");
	answer = soup_session_send_and_read(c->session, msg, NULL, &error);
	if (!answer) {
		ota_cli_fail("cannot reach %s: %s", c->base, error->message);
		g_error_free(error);
		goto out;
	}
	st = soup_message_get_status(msg);
	*status = st;
	if (!SOUP_STATUS_IS_SUCCESSFUL(st)) {
		char *e = error_of(answer);

		ota_cli_fail("%s (HTTP %u)", e ? e : soup_message_get_reason_phrase(msg), st);
		g_free(e);
		goto out;
	}
	if (g_bytes_get_size(answer) > 0) {
		JsonParser *p = json_parser_new();
		gsize n;
		const char *d = g_bytes_get_data(answer, &n);

		if (!json_parser_load_from_data(p, d, (gssize)n, &error)) {
			ota_cli_fail("the server's answer is not JSON: %s", error->message);
			g_error_free(error);
			g_object_unref(p);
			goto out;
		}
		*json = json_node_ref(json_parser_get_root(p));
		g_object_unref(p);
	}
	ok = true;
out:
	if (answer)
		g_bytes_unref(answer);
	g_object_unref(msg);
	g_free(url);
	return ok;
}

bool ota_client_post_id(struct ota_client *c, const char *path, JsonObject *obj, gint64 *id,
			JsonNode **answer)
{
	JsonNode *body = json_node_init_object(json_node_alloc(), obj);
	char *json = json_to_string(body, FALSE);
	bool ok = false;
	guint st;

	if (ota_client_call(c, "POST", path, "application/json", json, strlen(json), &st, answer)) {
		if (!*answer || !JSON_NODE_HOLDS_OBJECT(*answer) ||
		    !json_object_has_member(json_node_get_object(*answer), "id"))
			ota_cli_fail("the server's answer has no id");
		else {
			*id = json_object_get_int_member(json_node_get_object(*answer), "id");
			ok = true;
		}
	}
	if (!ok && *answer)
		g_clear_pointer(answer, json_node_unref);
	json_node_unref(body);
	g_free(json);
	return ok;
}

const char *ota_client_state(JsonNode *answer)
{
	return answer && JSON_NODE_HOLDS_OBJECT(answer) ?
		json_object_get_string_member_with_default(json_node_get_object(answer), "state", NULL) :
		NULL;
}

bool ota_client_poll(struct ota_client *c, const char *path, const char *what,
		     ota_client_final_fn final, void *user, int timeout_s, JsonNode **last)
{
	gint64 end = timeout_s > 0 ? g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC : 0;
	JsonNode *answer = NULL;
	guint st;

	*last = NULL;
	for (;;) {
		if (!ota_client_call(c, "GET", path, NULL, NULL, 0, &st, &answer))
			return false;
		if (final(answer, user)) {
			*last = answer;
			return true;
		}
		if (end && g_get_monotonic_time() >= end) {
			const char *state = ota_client_state(answer);

			ota_cli_fail("timed out after %d s waiting for %s (state %s)", timeout_s, what,
				     state ? state : "?");
			json_node_unref(answer);
			return false;
		}
		json_node_unref(answer);
		g_usleep(200 * 1000);
	}
}

void ota_client_print(const struct ota_client *c, JsonNode *node)
{
	char *s = json_to_string(node, c->pretty);

	printf("%s\n", s);
	fflush(stdout);
	g_free(s);
}

int ota_client_run(const struct ota_cli_command *cmd, int argc, char **argv, const char *method,
		   const char *prefix, const char *suffix)
{
	struct ota_cli_server server = { 0 };
	struct ota_client c = { 0 };
	JsonNode *answer = NULL;
	char *arg = NULL, *path = NULL;
	guint st;
	int rc = 1;

	if (!ota_cli_parse(cmd, &argc, &argv, NULL, &server))
		goto out;
	if (cmd->arg && !*argv[1]) {
		rc = ota_cli_fail("%s %s: %s is empty", cmd->group, cmd->name, cmd->arg);
		goto out;
	}
	arg = cmd->arg ? ota_client_escape(argv[1]) : NULL;
	path = g_strconcat(prefix, arg ? "/" : "", arg ? arg : "", suffix, NULL);
	if (ota_client_init(&c, &server, false) &&
	    ota_client_call(&c, method, path, NULL, NULL, 0, &st, &answer)) {
		if (answer)
			ota_client_print(&c, answer);
		rc = 0;
	}
out:
	if (answer)
		json_node_unref(answer);
	g_free(path);
	g_free(arg);
	ota_client_clear(&c);
	ota_cli_server_clear(&server);
	return rc;
}
