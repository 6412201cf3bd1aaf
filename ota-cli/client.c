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

/*
 * The target of the answer's Link rel="next" (RFC 8288 §3; relation types
 * compare case-insensitively, §2.1.1), as a path on this server, or NULL
 * when there is none.  A next page elsewhere is an error (false).
 */
static bool link_next(struct ota_client *c, SoupMessage *msg, const char *url, char **next)
{
	const char *h = soup_message_headers_get_list(soup_message_get_response_headers(msg), "Link");
	GSList *links = h ? soup_header_parse_list(h) : NULL;
	char *target = NULL, *abs = NULL;
	bool ok = true;

	*next = NULL;
	for (GSList *l = links; l && !target; l = l->next) {
		const char *s = l->data, *end = strchr(s, '>'), *semi = end ? strchr(end, ';') : NULL;
		GHashTable *params;
		const char *rel;

		if (*s != '<' || !semi)
			continue;
		params = soup_header_parse_semi_param_list(semi + 1);
		rel = g_hash_table_lookup(params, "rel");
		if (rel) {
			char **types = g_strsplit_set(rel, " \t", -1);

			for (char **t = types; *t && !target; t++)
				if (g_ascii_strcasecmp(*t, "next") == 0)
					target = g_strndup(s + 1, (gsize)(end - s - 1));
			g_strfreev(types);
		}
		soup_header_free_param_list(params);
	}
	soup_header_free_list(links);
	if (!target)
		return true;
	abs = g_uri_resolve_relative(url, target, G_URI_FLAGS_ENCODED, NULL);
	if (abs && g_str_has_prefix(abs, c->base) && abs[strlen(c->base)] == '/') {
		*next = g_strdup(abs + strlen(c->base));
	} else {
		ota_cli_fail("the server's next page is not on %s: %s", c->base, target);
		ok = false;
	}
	g_free(abs);
	g_free(target);
	return ok;
}

/* ota_client_call, and when next is not NULL the path of the next page (link_next). */
static bool request(struct ota_client *c, const char *method, const char *path,
		    const char *content_type, const void *body, size_t len,
		    guint *status, JsonNode **json, char **next)
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
	ok = !next || link_next(c, msg, url, next);
	if (!ok)
		g_clear_pointer(json, json_node_unref);
out:
	if (answer)
		g_bytes_unref(answer);
	g_object_unref(msg);
	g_free(url);
	return ok;
}

bool ota_client_call(struct ota_client *c, const char *method, const char *path,
		     const char *content_type, const void *body, size_t len,
		     guint *status, JsonNode **json)
{
	return request(c, method, path, content_type, body, len, status, json, NULL);
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

/* One item of a listing's array, as json_to_string() would print it inside the whole array. */
static void print_item(const struct ota_client *c, JsonNode *item, bool first)
{
	char *s = json_to_string(item, c->pretty);

	if (!c->pretty) {
		fputs(first ? "[" : ",", stdout);
		fputs(s, stdout);
	} else {
		/* each line indented one level (JSON strings hold no raw line breaks) */
		fputs(first ? "[\n  " : ",\n  ", stdout);
		for (const char *p = s; *p; p++) {
			putchar(*p);
			if (*p == '\n')
				fputs("  ", stdout);
		}
	}
	g_free(s);
}

/* Up to this --limit, the first request asks for that many (more: the server's pages, 1 000). */
#define FEW 1000

int ota_client_list(struct ota_client *c, const char *path, int limit)
{
	GString *first = g_string_new(path);
	unsigned max = limit > 0 ? (unsigned)limit : 0, printed = 0;
	char *page, *next = NULL;
	int rc = 1;

	if (limit < 0) {
		g_string_free(first, TRUE);
		return ota_cli_fail("--limit must be a number of items (0: all)");
	}
	if (max && max <= FEW) {
		char n[16];

		snprintf(n, sizeof(n), "%u", max);
		ota_client_add_query(first, "limit", n);
	}
	page = g_string_free(first, FALSE);

	while (page) {
		JsonNode *answer = NULL;
		JsonArray *a;
		guint st;

		if (!request(c, "GET", page, NULL, NULL, 0, &st, &answer, &next))
			goto out;
		if (!answer || !JSON_NODE_HOLDS_ARRAY(answer)) {
			ota_cli_fail("the server's answer to GET %s is not a JSON array", page);
			if (answer)
				json_node_unref(answer);
			goto out;
		}
		a = json_node_get_array(answer);
		for (guint i = 0; i < json_array_get_length(a) && (!max || printed < max); i++)
			print_item(c, json_array_get_element(a, i), printed++ == 0);
		json_node_unref(answer);
		if (max && printed >= max) {
			g_clear_pointer(&next, g_free);
		} else if (next && strcmp(next, page) == 0) {
			/* a next page that is this one again would never end */
			ota_cli_fail("the server's next page is this page: %s", page);
			goto out;
		}
		g_free(page);
		page = next;
		next = NULL;
	}
	fputs(!printed ? "[]\n" : c->pretty ? "\n]\n" : "]\n", stdout);
	rc = 0;
out:
	fflush(stdout);
	g_free(page);
	g_free(next);
	return rc;
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
