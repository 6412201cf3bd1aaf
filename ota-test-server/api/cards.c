/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /v1/cards (doc/api.md): the SV2 card registry through the API.
 *
 * POST /v1/cards takes either a uicc-emu card config file's contents
 * (Content-Type: text/plain, doc/card-config.md) or a card as JSON
 * (application/json, the engine's card object, or an array of them: a
 * batch stored in one database transaction); ?replace=true replaces a
 * registered card.  The server never opens a path named by a client: the
 * client (ota-cli card import) reads the file and sends its contents.
 *
 * Keys go in and never come out: every answer is the engine's card JSON,
 * which names algorithms and counters only; error messages never quote
 * key values.
 */
#include <string.h>

#include "api/api.h"

static bool is_method(SoupServerMessage *msg, const char *m)
{
	return strcmp(soup_server_message_get_method(msg), m) == 0;
}

/* 201 with the stored card (without keys) and its Location. */
static void reply_card(struct ots_http *h, SoupServerMessage *msg, const char *iccid)
{
	GError *error = NULL;
	JsonNode *card = ots_engine_card_show(h->engine, iccid, &error);
	char *location;

	if (!card) {
		ots_api_reply_gerror(msg, error, NULL);
		g_error_free(error);
		return;
	}
	location = g_strdup_printf("/v1/cards/%s", iccid);
	soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Location",
				     location);
	g_free(location);
	ots_api_reply_json(msg, SOUP_STATUS_CREATED, card);
}

/*
 * The config parser's message for an uploaded file starts with the
 * temporary file's path ("file: /tmp/ots-card-X.ini: [keyset 1] kic-key:
 * ..."): answer with field "config" and the part after the path.
 */
static void reply_import_error(SoupServerMessage *msg, const GError *error)
{
	char *field = ots_error_field(error);

	if (field && strcmp(field, "file") == 0) {
		const char *rest = error->message + strlen("file: ");
		const char *after_path = rest[0] == '/' ? strstr(rest, ": ") : NULL;

		ots_api_reply_error(msg, SOUP_STATUS_BAD_REQUEST, "config", "config: %s",
				    after_path ? after_path + 2 : rest);
	} else {
		ots_api_reply_gerror(msg, error, NULL);
	}
	g_free(field);
}

/* A batch: every card of the array in one database transaction; 201 {"registered": N}. */
static void card_post_all(struct ots_http *h, SoupServerMessage *msg, JsonArray *cards,
			  bool replace)
{
	guint n = json_array_get_length(cards);
	GError *error = NULL;
	JsonObject *o;
	JsonNode *reply;

	if (n == 0) {
		ots_api_reply_error(msg, SOUP_STATUS_BAD_REQUEST, "body", "body: no cards");
		return;
	}
	if (!ots_engine_card_add_json_all(h->engine, cards, replace, &error)) {
		ots_api_reply_gerror(msg, error, NULL);
		g_error_free(error);
		return;
	}
	g_message("%u cards %s through the API", n, replace ? "stored" : "added");
	o = json_object_new();
	json_object_set_int_member(o, "registered", n);
	reply = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(reply, o);
	ots_api_reply_json(msg, SOUP_STATUS_CREATED, reply);
}

static void card_post(struct ots_http *h, SoupServerMessage *msg, GHashTable *query)
{
	static const char *const params[] = { "replace", NULL };
	const char *r = query ? g_hash_table_lookup(query, "replace") : NULL;
	SoupMessageBody *body = soup_server_message_get_request_body(msg);
	char *ct = ots_api_content_type(msg), *iccid = NULL;
	GError *error = NULL;
	bool replace = false;

	if (!ots_api_check_query(msg, query, params))
		goto out;
	if (r) {
		if (strcmp(r, "true") == 0 || strcmp(r, "1") == 0) {
			replace = true;
		} else if (strcmp(r, "false") != 0 && strcmp(r, "0") != 0) {
			ots_api_reply_error(msg, SOUP_STATUS_BAD_REQUEST, "replace",
					    "replace: expected true or false");
			goto out;
		}
	}
	if (ct && strcmp(ct, "text/plain") == 0) {
		if (!body->data || body->length == 0) {
			ots_api_reply_error(msg, SOUP_STATUS_BAD_REQUEST, "config",
					    "config: empty card config file");
			goto out;
		}
		if (memchr(body->data, '\0', body->length) ||
		    !g_utf8_validate(body->data, body->length, NULL)) {
			ots_api_reply_error(msg, SOUP_STATUS_BAD_REQUEST, "config",
					    "config: not a UTF-8 text file");
			goto out;
		}
		if (!ots_engine_card_import_data(h->engine, body->data, body->length, replace,
						 &iccid, &error)) {
			reply_import_error(msg, error);
			goto out;
		}
	} else if (!ct || strcmp(ct, "application/json") == 0) {
		JsonNode *card = ots_api_body_json_or_array(msg);

		if (!card)
			goto out;
		if (JSON_NODE_HOLDS_ARRAY(card)) {
			card_post_all(h, msg, json_node_get_array(card), replace);
			json_node_unref(card);
			goto out;
		}
		if (!ots_engine_card_add_json(h->engine, card, replace, &error)) {
			json_node_unref(card);
			ots_api_reply_gerror(msg, error, NULL);
			goto out;
		}
		iccid = g_strdup(json_object_get_string_member(json_node_get_object(card), "iccid"));
		json_node_unref(card);
	} else {
		ots_api_reply_error(msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "Content-Type",
				    "Content-Type: expected text/plain (a card config file) or "
				    "application/json (a card), got %s", ct);
		goto out;
	}
	g_message("card %s %s through the API", iccid, replace ? "stored" : "added");
	reply_card(h, msg, iccid);
out:
	g_clear_error(&error);
	g_free(iccid);
	g_free(ct);
}

/*
 * A page of the registry in ICCID order: ?limit=N cards (default
 * OTS_API_LIMIT) after ?after=ICCID, and a Link to the next page when this
 * one is full and more follow (an operator's million cards are read a page
 * at a time, and none of them is kept in memory for it).
 */
static void card_list(struct ots_http *h, SoupServerMessage *msg, GHashTable *query)
{
	static const char *const params[] = { "limit", "after", NULL };
	const char *after = query ? g_hash_table_lookup(query, "after") : NULL;
	GError *error = NULL;
	JsonNode *list;
	unsigned limit;
	bool more;

	if (!ots_api_check_query(msg, query, params) || !ots_api_query_limit(msg, query, &limit) ||
	    (after && !ots_api_check_iccid(msg, "after", after, 19)))
		return;
	list = ots_engine_card_list(h->engine, after, limit, &more, &error);
	if (!list) {
		ots_api_reply_gerror(msg, error, NULL);
		g_error_free(error);
		return;
	}
	if (more) {
		JsonArray *a = json_node_get_array(list);
		JsonObject *last = json_array_get_object_element(a, json_array_get_length(a) - 1);
		char *next = g_strdup_printf("/v1/cards?limit=%u&after=%s", limit,
					     json_object_get_string_member(last, "iccid"));

		ots_api_set_next(msg, next);
		g_free(next);
	}
	ots_api_reply_json(msg, SOUP_STATUS_OK, list);
}

static void card_show(struct ots_http *h, SoupServerMessage *msg, const char *iccid,
		      GHashTable *query)
{
	GError *error = NULL;
	JsonNode *card;

	if (!ots_api_check_query(msg, query, NULL) || !ots_api_check_iccid(msg, "iccid", iccid, 1))
		return;
	card = ots_engine_card_show(h->engine, iccid, &error);
	if (!card) {
		ots_api_reply_gerror(msg, error, "iccid");
		g_error_free(error);
		return;
	}
	ots_api_reply_json(msg, SOUP_STATUS_OK, card);
}

static void card_remove(struct ots_http *h, SoupServerMessage *msg, const char *iccid,
			GHashTable *query)
{
	GError *error = NULL;

	if (!ots_api_check_query(msg, query, NULL) || !ots_api_check_iccid(msg, "iccid", iccid, 1))
		return;
	if (!ots_engine_card_remove(h->engine, iccid, &error)) {
		ots_api_reply_gerror(msg, error, "iccid");
		g_error_free(error);
		return;
	}
	g_message("card %s removed through the API", iccid);
	soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, NULL);
}

void ots_api_cards(struct ots_http *h, SoupServerMessage *msg, char **rest, GHashTable *query)
{
	guint n = g_strv_length(rest);

	if (n == 0) {
		if (is_method(msg, SOUP_METHOD_GET))
			card_list(h, msg, query);
		else if (is_method(msg, SOUP_METHOD_POST))
			card_post(h, msg, query);
		else
			ots_api_reply_bad_method(msg, "GET, POST");
	} else if (n == 1) {
		if (is_method(msg, SOUP_METHOD_GET))
			card_show(h, msg, rest[0], query);
		else if (is_method(msg, SOUP_METHOD_DELETE))
			card_remove(h, msg, rest[0], query);
		else
			ots_api_reply_bad_method(msg, "GET, DELETE");
	} else {
		ots_api_reply_error(msg, SOUP_STATUS_NOT_FOUND, NULL, "no such resource");
	}
}
