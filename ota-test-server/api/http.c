/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The HTTP/JSON API of ota-test-server (doc/api.md) on libsoup-3's
 * SoupServer: listening, routing under /v1 (and / with /assets/ to the
 * timeline page, web.c), and the response helpers the route files share.
 * Implements api/http.h for the daemon.
 *
 * Nothing here logs a request or response body: bodies may carry keys
 * (POST /v1/cards).  Requests are logged at debug level as method, path
 * and status only.
 */
#include <string.h>

#include "api/api.h"

/* ---- responses ----------------------------------------------------------------- */

void ots_api_reply_json(SoupServerMessage *msg, guint status, JsonNode *node)
{
	char *text = json_to_string(node, FALSE);
	char *body = g_strconcat(text, "\n", NULL);

	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE, body,
					 strlen(body));
	g_free(text);
	json_node_unref(node);
}

void ots_api_reply_error(SoupServerMessage *msg, guint status, const char *field,
			 const char *fmt, ...)
{
	JsonObject *o = json_object_new();
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	json_object_set_string_member(o, "error", text);
	if (field)
		json_object_set_string_member(o, "field", field);
	json_node_take_object(n, o);
	g_free(text);
	ots_api_reply_json(msg, status, n);
}

void ots_api_reply_gerror(SoupServerMessage *msg, const GError *error, const char *field_404)
{
	char *field;

	if (error->domain != OTS_ERROR) {
		ots_api_reply_error(msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL, "%s",
				    error->message);
		return;
	}
	switch (error->code) {
	case OTS_ERROR_INVALID:
		field = ots_error_field(error);
		ots_api_reply_error(msg, SOUP_STATUS_BAD_REQUEST, field, "%s", error->message);
		g_free(field);
		break;
	case OTS_ERROR_NOT_FOUND:
		ots_api_reply_error(msg, SOUP_STATUS_NOT_FOUND, field_404, "%s", error->message);
		break;
	case OTS_ERROR_EXISTS:
	case OTS_ERROR_STATE:
		ots_api_reply_error(msg, SOUP_STATUS_CONFLICT, NULL, "%s", error->message);
		break;
	case OTS_ERROR_ELSEWHERE:
	case OTS_ERROR_UNAVAILABLE:
		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
					     "Retry-After", "1");
		ots_api_reply_error(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL, "%s", error->message);
		break;
	default:
		ots_api_reply_error(msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL, "%s",
				    error->message);
		break;
	}
}

void ots_api_reply_bad_method(SoupServerMessage *msg, const char *allow)
{
	soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow", allow);
	ots_api_reply_error(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL, "method %s not allowed here; "
			    "allowed: %s", soup_server_message_get_method(msg), allow);
}

bool ots_api_check_query(SoupServerMessage *msg, GHashTable *query, const char *const *allowed)
{
	GHashTableIter it;
	gpointer key;

	if (!query)
		return true;
	g_hash_table_iter_init(&it, query);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		if (!allowed || !g_strv_contains(allowed, key)) {
			ots_api_reply_error(msg, SOUP_STATUS_BAD_REQUEST, key,
					    "%s: unknown query parameter", (const char *)key);
			return false;
		}
	}
	return true;
}

char *ots_api_content_type(SoupServerMessage *msg)
{
	const char *ct = soup_message_headers_get_content_type(
		soup_server_message_get_request_headers(msg), NULL);

	return ct ? g_ascii_strdown(ct, -1) : NULL;
}

/* The body as JSON: an object, or (array_too) an array; else the 4xx answer is set and NULL. */
static JsonNode *body_json(SoupServerMessage *msg, bool array_too)
{
	SoupMessageBody *body = soup_server_message_get_request_body(msg);
	char *ct = ots_api_content_type(msg);
	JsonParser *parser;
	JsonNode *node = NULL;
	GError *error = NULL;

	if (ct && strcmp(ct, "application/json") != 0) {
		ots_api_reply_error(msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "Content-Type",
				    "Content-Type: expected application/json, got %s", ct);
		g_free(ct);
		return NULL;
	}
	g_free(ct);
	if (!body->data || body->length == 0) {
		ots_api_reply_error(msg, SOUP_STATUS_BAD_REQUEST, "body",
				    "body: expected a JSON object, got nothing");
		return NULL;
	}
	parser = json_parser_new_immutable();
	if (!g_utf8_validate(body->data, body->length, NULL))
		ots_api_reply_error(msg, SOUP_STATUS_BAD_REQUEST, "body", "body: not UTF-8");
	else if (!json_parser_load_from_data(parser, body->data, body->length, &error))
		ots_api_reply_error(msg, SOUP_STATUS_BAD_REQUEST, "body", "body: not JSON: %s",
				    error->message);
	else if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)) &&
		 !(array_too && JSON_NODE_HOLDS_ARRAY(json_parser_get_root(parser))))
		ots_api_reply_error(msg, SOUP_STATUS_BAD_REQUEST, "body",
				    array_too ? "body: expected a JSON object or array" :
				    "body: expected a JSON object");
	else
		node = json_node_ref(json_parser_get_root(parser));
	g_clear_error(&error);
	g_object_unref(parser);
	return node;
}

JsonNode *ots_api_body_json(SoupServerMessage *msg)
{
	return body_json(msg, false);
}

JsonNode *ots_api_body_json_or_array(SoupServerMessage *msg)
{
	return body_json(msg, true);
}

bool ots_api_parse_id(SoupServerMessage *msg, const char *s, uint64_t *id)
{
	guint64 v;

	if (!g_ascii_isdigit(s[0]) ||
	    !g_ascii_string_to_unsigned(s, 10, 1, G_MAXINT64, &v, NULL)) {
		ots_api_reply_error(msg, SOUP_STATUS_BAD_REQUEST, "id",
				    "id: expected a transaction number, got \"%s\"", s);
		return false;
	}
	*id = v;
	return true;
}

/* A query parameter 1..max, or *out dflt when absent; false after replying 400 naming it. */
static bool query_number(SoupServerMessage *msg, GHashTable *query, const char *name,
			 uint64_t max, uint64_t dflt, uint64_t *out)
{
	const char *s = query ? g_hash_table_lookup(query, name) : NULL;
	guint64 v;

	*out = dflt;
	if (!s)
		return true;
	if (!g_ascii_isdigit(s[0]) || !g_ascii_string_to_unsigned(s, 10, 1, max, &v, NULL)) {
		if (max == G_MAXINT64)
			ots_api_reply_error(msg, SOUP_STATUS_BAD_REQUEST, name, "%s: expected a number",
					    name);
		else
			ots_api_reply_error(msg, SOUP_STATUS_BAD_REQUEST, name,
					    "%s: expected a number from 1 to %" G_GUINT64_FORMAT, name, max);
		return false;
	}
	*out = v;
	return true;
}

bool ots_api_query_number(SoupServerMessage *msg, GHashTable *query, const char *name, uint64_t *out)
{
	return query_number(msg, query, name, G_MAXINT64, 0, out);
}

bool ots_api_query_limit(SoupServerMessage *msg, GHashTable *query, unsigned *limit)
{
	uint64_t v;

	if (!query_number(msg, query, "limit", OTS_API_MAX_LIMIT, OTS_API_LIMIT, &v))
		return false;
	*limit = (unsigned)v;
	return true;
}

bool ots_api_check_iccid(SoupServerMessage *msg, const char *field, const char *s, size_t min)
{
	size_t n = strlen(s);

	if (n < min || n > 20 || strspn(s, "0123456789") != n) {
		if (min <= 1)
			ots_api_reply_error(msg, SOUP_STATUS_BAD_REQUEST, field,
					    "%s: expected up to 20 digits", field);
		else
			ots_api_reply_error(msg, SOUP_STATUS_BAD_REQUEST, field,
					    "%s: expected an ICCID, %zu to 20 digits", field, min);
		return false;
	}
	return true;
}

void ots_api_set_next(SoupServerMessage *msg, const char *next)
{
	char *link = g_strdup_printf("<%s>; rel=\"next\"", next);

	soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Link", link);
	g_free(link);
}

static bool is_method(SoupServerMessage *msg, const char *m)
{
	return strcmp(soup_server_message_get_method(msg), m) == 0;
}

void ots_api_resource(struct ots_http *h, SoupServerMessage *msg, char **rest, GHashTable *query,
		      const struct ots_api_resource *r)
{
	guint n = g_strv_length(rest);
	uint64_t id;

	if (n == 0) {
		if (is_method(msg, SOUP_METHOD_GET) && r->list)
			r->list(h, msg, query);
		else if (is_method(msg, SOUP_METHOD_POST) && r->create)
			r->create(h, msg, query);
		else
			ots_api_reply_bad_method(msg, r->create ? "GET, POST" : "GET");
		return;
	}
	if (n == 1 && r->show) {
		if (!is_method(msg, SOUP_METHOD_GET))
			ots_api_reply_bad_method(msg, "GET");
		else if (ots_api_parse_id(msg, rest[0], &id))
			r->show(h, msg, id, query);
		return;
	}
	if (n == 2 && r->action && strcmp(rest[1], r->action) == 0) {
		if (!is_method(msg, SOUP_METHOD_POST))
			ots_api_reply_bad_method(msg, "POST");
		else if (ots_api_parse_id(msg, rest[0], &id))
			r->act(h, msg, id, query);
		return;
	}
	ots_api_reply_error(msg, SOUP_STATUS_NOT_FOUND, NULL, "no such resource");
}

/* 201, Location: prefix/ID, {"id": ID, and the route when given (taken)} */
static void reply_created(SoupServerMessage *msg, const char *prefix, uint64_t id, JsonNode *n)
{
	char *location = g_strdup_printf("%s/%" G_GUINT64_FORMAT, prefix, id);

	soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Location",
				     location);
	g_free(location);
	if (!n) {
		n = json_node_new(JSON_NODE_OBJECT);
		json_node_take_object(n, json_object_new());
	}
	json_object_set_int_member(json_node_get_object(n), "id", (gint64)id);
	ots_api_reply_json(msg, SOUP_STATUS_CREATED, n);
}

/* ---- requests for a card another instance owns (engine.h ots_engine_forward) ---------- */

struct ots_forwarded {
	struct ots_http *h;
	SoupServerMessage *msg;
	char *prefix;             /* a creation: 201 with Location prefix/ID; NULL: a poll, 202 */
	gulong finished_id;
	bool gone;
};

static void on_forwarded_finished(SoupServerMessage *msg, gpointer user)
{
	((struct ots_forwarded *)user)->gone = true;
}

static void on_forwarded(uint64_t id, const GError *error, void *user)
{
	struct ots_forwarded *f = user;

	g_debug("forwarded request answered%s: %s", f->gone ? " (the client is gone)" : "",
		error ? error->message : "done");
	g_signal_handler_disconnect(f->msg, f->finished_id);
	if (!f->gone) {
		if (error)
			ots_api_reply_gerror(f->msg, error, "id");
		else if (f->prefix)
			reply_created(f->msg, f->prefix, id, NULL);
		else
			ots_api_reply_poll(f->h, f->msg, id);
		soup_server_message_unpause(f->msg);
	}
	g_object_unref(f->msg);
	g_free(f->prefix);
	g_free(f);
}

void ots_api_forward(struct ots_http *h, SoupServerMessage *msg, const char *kind,
		     const char *iccid, JsonNode *request, const char *prefix)
{
	struct ots_forwarded *f = g_new0(struct ots_forwarded, 1);
	GError *error = NULL;

	f->h = h;
	f->msg = g_object_ref(msg);
	f->prefix = g_strdup(prefix);
	if (!ots_engine_forward(h->engine, kind, iccid, request, on_forwarded, f, &error)) {
		ots_api_reply_gerror(msg, error, NULL);
		g_error_free(error);
		g_object_unref(f->msg);
		g_free(f->prefix);
		g_free(f);
		return;
	}
	f->finished_id = g_signal_connect(msg, "finished", G_CALLBACK(on_forwarded_finished), f);
	/* answered when the owner has: not held for this instance's batch (handler()) */
	g_object_set_data(G_OBJECT(msg), "ots-forwarded", f);
	soup_server_message_pause(msg);
}

void ots_api_post_created(struct ots_http *h, SoupServerMessage *msg, GHashTable *query,
			  ots_api_start_fn start, const char *prefix, const char *field_404, bool route)
{
	JsonNode *req, *n = NULL;
	GError *error = NULL;
	uint64_t id;

	if (!ots_api_check_query(msg, query, NULL))
		return;
	req = ots_api_body_json(msg);
	if (!req)
		return;
	if (!start(h->engine, req, &id, &error)) {
		if (g_error_matches(error, OTS_ERROR, OTS_ERROR_ELSEWHERE))
			ots_api_forward(h, msg, strrchr(prefix, '/') + 1,
					json_object_get_string_member_with_default(
						json_node_get_object(req), "iccid", NULL), req,
					prefix);
		else
			ots_api_reply_gerror(msg, error, field_404);
		g_error_free(error);
		json_node_unref(req);
		return;
	}
	json_node_unref(req);
	if (route)
		n = ots_engine_tx_route_json(h->engine, id);
	reply_created(msg, prefix, id, n);
}

/* ---- routing ----------------------------------------------------------------- */

static void status_route(struct ots_http *h, SoupServerMessage *msg, GHashTable *query)
{
	struct ots_engine_stats st;
	JsonObject *o;
	JsonNode *n;

	if (strcmp(soup_server_message_get_method(msg), SOUP_METHOD_GET) != 0) {
		ots_api_reply_bad_method(msg, "GET");
		return;
	}
	if (!ots_api_check_query(msg, query, NULL))
		return;
	ots_engine_get_stats(h->engine, &st);
	o = json_object_new();
	json_object_set_string_member(o, "server", "ota-test-server");
	json_object_set_int_member(o, "cards", (gint64)st.cards);
	json_object_set_int_member(o, "cards-cached", (gint64)st.cards_cached);
	json_object_set_int_member(o, "active-transactions", (gint64)st.active_tx);
	json_object_set_int_member(o, "commands-sent", (gint64)st.commands_sent);
	json_object_set_int_member(o, "pors-received", (gint64)st.pors_received);
	json_object_set_int_member(o, "pors-invalid", (gint64)st.pors_invalid);
	json_object_set_int_member(o, "event-streams", g_list_length(h->streams));
	n = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(n, o);
	ots_api_reply_json(msg, SOUP_STATUS_OK, n);
}

/* GET /v1/links: the southbound links and their state (never a password) */
static void links_route(struct ots_http *h, SoupServerMessage *msg, GHashTable *query)
{
	if (strcmp(soup_server_message_get_method(msg), SOUP_METHOD_GET) != 0) {
		ots_api_reply_bad_method(msg, "GET");
		return;
	}
	if (!ots_api_check_query(msg, query, NULL))
		return;
	ots_api_reply_json(msg, SOUP_STATUS_OK, ots_engine_links_json(h->engine));
}

static void route(struct ots_http *h, SoupServerMessage *msg, const char *path,
		  GHashTable *query)
{
	char **seg;
	guint n;

	if (ots_api_web_path(path)) {
		ots_api_web(msg, path);
		return;
	}
	/* "/v1/x/y" -> "", "v1", "x", "y"; one trailing '/' is tolerated */
	seg = g_strsplit(path, "/", -1);
	n = g_strv_length(seg);
	if (n > 1 && seg[n - 1][0] == '\0') {
		g_free(seg[n - 1]);
		seg[--n] = NULL;
	}
	if (n < 3 || strcmp(seg[1], "v1") != 0)
		ots_api_reply_error(msg, SOUP_STATUS_NOT_FOUND, NULL, "no such resource: %s", path);
	else if (strcmp(seg[2], "transactions") == 0)
		ots_api_transactions(h, msg, seg + 3, query);
	else if (strcmp(seg[2], "cards") == 0)
		ots_api_cards(h, msg, seg + 3, query);
	else if (strcmp(seg[2], "rfm") == 0)
		ots_api_rfm(h, msg, seg + 3, query);
	else if (strcmp(seg[2], "campaigns") == 0)
		ots_api_campaigns(h, msg, seg + 3, query);
	else if (strcmp(seg[2], "events") == 0 && n == 3)
		ots_api_events(h, msg, query);
	else if (strcmp(seg[2], "status") == 0 && n == 3)
		status_route(h, msg, query);
	else if (strcmp(seg[2], "links") == 0 && n == 3)
		links_route(h, msg, query);
	else
		ots_api_reply_error(msg, SOUP_STATUS_NOT_FOUND, NULL, "no such resource: %s", path);
	g_strfreev(seg);
}

/* ---- answers after their commit (engine.h "group commit") ---------------------- */

/*
 * An answer made while the engine's batch was open may say "stored" or show
 * what that batch holds: it leaves once the batch is durable, or becomes a
 * 500 when the batch's commit failed (then nothing the request did remains).
 */
struct ots_held_reply {
	SoupServerMessage *msg;
	uint64_t batch;
	gulong finished_id;
	bool gone;                /* the client went away meanwhile */
};

static void on_held_finished(SoupServerMessage *msg, gpointer user)
{
	((struct ots_held_reply *)user)->gone = true;
}

static void hold_reply(struct ots_http *h, SoupServerMessage *msg, uint64_t batch)
{
	struct ots_held_reply *r = g_new0(struct ots_held_reply, 1);

	r->msg = g_object_ref(msg);
	r->batch = batch;
	r->finished_id = g_signal_connect(msg, "finished", G_CALLBACK(on_held_finished), r);
	soup_server_message_pause(msg);
	g_queue_push_tail(&h->held, r);
}

static void release_reply(struct ots_held_reply *r, bool durable)
{
	g_signal_handler_disconnect(r->msg, r->finished_id);
	if (!r->gone) {
		if (!durable)
			ots_api_reply_error(r->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL,
					    "database: the commit failed; nothing of this request "
					    "was stored");
		soup_server_message_unpause(r->msg);
	}
	g_object_unref(r->msg);
	g_free(r);
}

static void on_commit(uint64_t batch, bool durable, void *user)
{
	struct ots_http *h = user;
	struct ots_held_reply *r;

	while ((r = g_queue_peek_head(&h->held)) && r->batch <= batch)
		release_reply(g_queue_pop_head(&h->held), durable);
}

static bool is_event_stream(SoupServerMessage *msg)
{
	const char *ct = soup_message_headers_get_content_type(
		soup_server_message_get_response_headers(msg), NULL);

	return ct && strcmp(ct, "text/event-stream") == 0;
}

static void handler(SoupServer *server, SoupServerMessage *msg, const char *path,
		    GHashTable *query, gpointer user)
{
	struct ots_http *h = user;
	uint64_t batch;

	if (h->stopping) {
		ots_api_reply_error(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL, "shutting down");
		return;
	}
	route(h, msg, path, query);
	g_debug("HTTP %s %s -> %u", soup_server_message_get_method(msg), path,
		soup_server_message_get_status(msg));
	batch = ots_engine_unflushed(h->engine);
	if (batch && !is_event_stream(msg) && !g_object_get_data(G_OBJECT(msg), "ots-forwarded"))
		hold_reply(h, msg, batch);
}

static void refuse_body(SoupServerMessage *msg)
{
	SoupMessageBody *body = soup_server_message_get_request_body(msg);

	/* libsoup reads the body anyway: keep none of it */
	soup_message_body_set_accumulate(body, FALSE);
	soup_message_body_truncate(body);
	if (soup_server_message_get_status(msg) == 0)
		ots_api_reply_error(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "body",
				    "body: larger than %d bytes", OTS_API_MAX_BODY);
}

/* A body without a Content-Length: refused once it grows past the limit. */
static void on_body_chunk(SoupServerMessage *msg, GBytes *chunk, gpointer user)
{
	if (soup_server_message_get_request_body(msg)->length > OTS_API_MAX_BODY)
		refuse_body(msg);
}

/*
 * After the headers, before the body: a body announced larger than the
 * limit is refused (413, and its bytes are discarded as they come); others
 * are watched as they accumulate.  Setting the status here means the
 * handler is never called for that request.
 */
static void early_handler(SoupServer *server, SoupServerMessage *msg, const char *path,
			  GHashTable *query, gpointer user)
{
	SoupMessageHeaders *hd = soup_server_message_get_request_headers(msg);

	if (soup_message_headers_get_encoding(hd) == SOUP_ENCODING_CONTENT_LENGTH &&
	    soup_message_headers_get_content_length(hd) > OTS_API_MAX_BODY)
		refuse_body(msg);
	else
		g_signal_connect(msg, "got-chunk", G_CALLBACK(on_body_chunk), NULL);
}

/* ---- api/http.h ------------------------------------------------------------------ */

/* "HOST:PORT", "[V6]:PORT", "localhost:PORT", ":PORT" or "PORT" (loopback). */
static GSocketAddress *parse_listen_address(const char *address, GError **error)
{
	GInetAddress *ia = NULL;
	GSocketAddress *sa = NULL;
	char *host = NULL;
	guint64 port = 0;
	const char *colon;

	if (!address || !*address)
		goto bad;
	colon = strrchr(address, ':');
	if (!colon) {
		host = g_strdup("127.0.0.1");
		colon = address - 1;
	} else if (address[0] == '[') {
		const char *close = strchr(address, ']');

		if (!close || close + 1 != colon)
			goto bad;
		host = g_strndup(address + 1, close - address - 1);
	} else if (colon == address) {
		host = g_strdup("127.0.0.1");
	} else {
		host = g_strndup(address, colon - address);
		if (strchr(host, ':'))
			goto bad;      /* a bare IPv6 address needs brackets */
	}
	if (!g_ascii_isdigit(colon[1]) ||
	    !g_ascii_string_to_unsigned(colon + 1, 10, 0, 65535, &port, NULL))
		goto bad;
	if (g_ascii_strcasecmp(host, "localhost") == 0)
		ia = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	else
		ia = g_inet_address_new_from_string(host);
	if (!ia)
		goto bad;
	if (!g_inet_address_get_is_loopback(ia))
		g_warning("HTTP API on %s, which is not a loopback address: whoever reaches it "
			  "can manage cards and start transactions (the API has no authentication)",
			  address);
	sa = g_inet_socket_address_new(ia, (guint16)port);
	g_object_unref(ia);
	g_free(host);
	return sa;
bad:
	g_free(host);
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		    "--http %s: expected HOST:PORT with an IP address or localhost "
		    "([::1]:PORT for IPv6)", address ? address : "");
	return NULL;
}

/*
 * The listening socket, with a backlog for bursts of clients (GSocket's
 * default, 10, which soup_server_listen() keeps, reset connections when
 * an SV1 opened a few dozen at once while the loop was busy).
 */
#define OTS_API_LISTEN_BACKLOG 1024
static bool listen_on(SoupServer *server, GSocketAddress *sa, GError **error)
{
	GSocket *s = g_socket_new(g_socket_address_get_family(sa), G_SOCKET_TYPE_STREAM,
				  G_SOCKET_PROTOCOL_TCP, error);
	bool ok;

	if (!s)
		return false;
	g_socket_set_listen_backlog(s, OTS_API_LISTEN_BACKLOG);
	ok = g_socket_bind(s, sa, TRUE, error) && g_socket_listen(s, error) &&
	     soup_server_listen_socket(server, s, 0, error);
	g_object_unref(s);
	return ok;
}

struct ots_http *ots_http_start(struct ots_engine *engine, const char *address, GError **error)
{
	struct ots_http *h;
	GSocketAddress *sa = parse_listen_address(address, error);
	GSList *uris;

	if (!sa)
		return NULL;
	h = g_new0(struct ots_http, 1);
	h->engine = engine;
	h->server = soup_server_new("server-header", "ota-test-server ", NULL);
	soup_server_add_early_handler(h->server, NULL, early_handler, h, NULL);
	soup_server_add_handler(h->server, NULL, handler, h, NULL);
	if (!listen_on(h->server, sa, error)) {
		g_prefix_error(error, "HTTP API on %s: ", address);
		g_object_unref(sa);
		g_object_unref(h->server);
		g_free(h);
		return NULL;
	}
	g_object_unref(sa);
	g_queue_init(&h->held);
	h->commit_sub = ots_engine_on_commit(engine, on_commit, h);
	ots_sse_init(h);
	uris = soup_server_get_uris(h->server);
	for (GSList *l = uris; l; l = l->next) {
		char *s = g_uri_to_string(l->data);

		g_message("HTTP API listening on %s", s);
		g_free(s);
	}
	g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
	return h;
}

void ots_http_stop(struct ots_http *http)
{
	if (!http)
		return;
	http->stopping = true;
	ots_engine_flush(http->engine);    /* the held answers leave */
	ots_engine_off_commit(http->engine, http->commit_sub);
	while (!g_queue_is_empty(&http->held))   /* a batch still open (inside an entry point) */
		release_reply(g_queue_pop_head(&http->held), false);
	ots_sse_shutdown(http);
	soup_server_disconnect(http->server);
	g_object_unref(http->server);
	g_free(http);
}
