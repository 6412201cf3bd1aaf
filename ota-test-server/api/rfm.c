/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /v1/rfm and /v1/campaigns (doc/api.md "RFM operations", "Campaigns"):
 * start an RFM operation, list and show them; start, list, show and cancel
 * campaigns.  Validation is the engine's (transactions/rfm.h): its errors
 * name the field, and nothing is stored or sent when a request is refused.
 */
#include <string.h>

#include "api/api.h"
#include "transactions/rfm.h"

static bool is_method(SoupServerMessage *msg, const char *m)
{
	return strcmp(soup_server_message_get_method(msg), m) == 0;
}

/* The answer of a getter: 200 with n, or the engine's error (n NULL). */
static void reply(SoupServerMessage *msg, JsonNode *n, GError **error)
{
	if (!n) {
		ots_api_reply_gerror(msg, *error, "id");
		g_clear_error(error);
		return;
	}
	ots_api_reply_json(msg, SOUP_STATUS_OK, n);
}

/* A campaign id of a query parameter; 0 when absent; false after replying 400. */
static bool query_id(SoupServerMessage *msg, GHashTable *query, const char *name, uint64_t *id)
{
	const char *s = query ? g_hash_table_lookup(query, name) : NULL;
	guint64 v;

	*id = 0;
	if (!s)
		return true;
	if (!g_ascii_isdigit(s[0]) || !g_ascii_string_to_unsigned(s, 10, 1, G_MAXINT64, &v, NULL)) {
		ots_api_reply_error(msg, SOUP_STATUS_BAD_REQUEST, name, "%s: expected a number", name);
		return false;
	}
	*id = v;
	return true;
}

static void rfm_list(struct ots_http *h, SoupServerMessage *msg, GHashTable *query)
{
	static const char *const params[] = { "state", "iccid", "campaign", NULL };
	GError *error = NULL;
	uint64_t campaign;
	JsonNode *n;

	if (!ots_api_check_query(msg, query, params) || !query_id(msg, query, "campaign", &campaign))
		return;
	n = ots_engine_rfm_list(h->engine, query ? g_hash_table_lookup(query, "state") : NULL,
				query ? g_hash_table_lookup(query, "iccid") : NULL, campaign, &error);
	reply(msg, n, &error);
}

void ots_api_rfm(struct ots_http *h, SoupServerMessage *msg, char **rest, GHashTable *query)
{
	guint n = g_strv_length(rest);
	GError *error = NULL;
	JsonNode *op;
	uint64_t id;

	if (n == 0) {
		if (is_method(msg, SOUP_METHOD_GET))
			rfm_list(h, msg, query);
		else if (is_method(msg, SOUP_METHOD_POST))
			ots_api_post_created(h, msg, query, ots_engine_rfm_start_json, "/v1/rfm", NULL, true);
		else
			ots_api_reply_bad_method(msg, "GET, POST");
		return;
	}
	if (n == 1) {
		if (!is_method(msg, SOUP_METHOD_GET))
			ots_api_reply_bad_method(msg, "GET");
		else if (ots_api_parse_id(msg, rest[0], &id) && ots_api_check_query(msg, query, NULL)) {
			op = ots_engine_rfm_get(h->engine, id, &error);
			reply(msg, op, &error);
		}
		return;
	}
	ots_api_reply_error(msg, SOUP_STATUS_NOT_FOUND, NULL, "no such resource");
}

static void campaign_show(struct ots_http *h, SoupServerMessage *msg, uint64_t id, GHashTable *query)
{
	static const char *const params[] = { "cards", "state", NULL };
	const char *cards = query ? g_hash_table_lookup(query, "cards") : NULL;
	GError *error = NULL;
	JsonNode *n;

	if (!ots_api_check_query(msg, query, params))
		return;
	if (cards && strcmp(cards, "true") != 0 && strcmp(cards, "false") != 0) {
		ots_api_reply_error(msg, SOUP_STATUS_BAD_REQUEST, "cards", "cards: expected true or false");
		return;
	}
	n = ots_engine_campaign_get(h->engine, id, !cards || strcmp(cards, "true") == 0,
				    query ? g_hash_table_lookup(query, "state") : NULL, &error);
	reply(msg, n, &error);
}

static void campaign_cancel(struct ots_http *h, SoupServerMessage *msg, uint64_t id, GHashTable *query)
{
	GError *error = NULL;
	JsonNode *n;

	if (!ots_api_check_query(msg, query, NULL))
		return;
	if (!ots_engine_campaign_cancel(h->engine, id, &error)) {
		ots_api_reply_gerror(msg, error, "id");
		g_error_free(error);
		return;
	}
	n = ots_engine_campaign_get(h->engine, id, false, NULL, &error);
	reply(msg, n, &error);
}

void ots_api_campaigns(struct ots_http *h, SoupServerMessage *msg, char **rest, GHashTable *query)
{
	guint n = g_strv_length(rest);
	GError *error = NULL;
	JsonNode *list;
	uint64_t id;

	if (n == 0) {
		if (is_method(msg, SOUP_METHOD_GET)) {
			if (ots_api_check_query(msg, query, NULL)) {
				list = ots_engine_campaign_list(h->engine, &error);
				reply(msg, list, &error);
			}
		} else if (is_method(msg, SOUP_METHOD_POST)) {
			ots_api_post_created(h, msg, query, ots_engine_campaign_start_json, "/v1/campaigns",
					     NULL, false);
		} else {
			ots_api_reply_bad_method(msg, "GET, POST");
		}
		return;
	}
	if (n == 1) {
		if (!is_method(msg, SOUP_METHOD_GET))
			ots_api_reply_bad_method(msg, "GET");
		else if (ots_api_parse_id(msg, rest[0], &id))
			campaign_show(h, msg, id, query);
		return;
	}
	if (n == 2 && strcmp(rest[1], "cancel") == 0) {
		if (!is_method(msg, SOUP_METHOD_POST))
			ots_api_reply_bad_method(msg, "POST");
		else if (ots_api_parse_id(msg, rest[0], &id))
			campaign_cancel(h, msg, id, query);
		return;
	}
	ots_api_reply_error(msg, SOUP_STATUS_NOT_FOUND, NULL, "no such resource");
}
