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

static void rfm_list(struct ots_http *h, SoupServerMessage *msg, GHashTable *query)
{
	static const char *const params[] = { "state", "iccid", "campaign", NULL };
	GError *error = NULL;
	uint64_t campaign;
	JsonNode *n;

	if (!ots_api_check_query(msg, query, params) || !ots_api_query_number(msg, query, "campaign", &campaign))
		return;
	n = ots_engine_rfm_list(h->engine, query ? g_hash_table_lookup(query, "state") : NULL,
				query ? g_hash_table_lookup(query, "iccid") : NULL, campaign, &error);
	reply(msg, n, &error);
}

static void rfm_start(struct ots_http *h, SoupServerMessage *msg, GHashTable *query)
{
	ots_api_post_created(h, msg, query, ots_engine_rfm_start_json, "/v1/rfm", NULL, true);
}

static void rfm_show(struct ots_http *h, SoupServerMessage *msg, uint64_t id, GHashTable *query)
{
	GError *error = NULL;
	JsonNode *op;

	if (!ots_api_check_query(msg, query, NULL))
		return;
	op = ots_engine_rfm_get(h->engine, id, &error);
	reply(msg, op, &error);
}

void ots_api_rfm(struct ots_http *h, SoupServerMessage *msg, char **rest, GHashTable *query)
{
	static const struct ots_api_resource r = { .list = rfm_list, .create = rfm_start, .show = rfm_show };

	ots_api_resource(h, msg, rest, query, &r);
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

static void campaign_list(struct ots_http *h, SoupServerMessage *msg, GHashTable *query)
{
	GError *error = NULL;
	JsonNode *list;

	if (!ots_api_check_query(msg, query, NULL))
		return;
	list = ots_engine_campaign_list(h->engine, &error);
	reply(msg, list, &error);
}

static void campaign_start(struct ots_http *h, SoupServerMessage *msg, GHashTable *query)
{
	ots_api_post_created(h, msg, query, ots_engine_campaign_start_json, "/v1/campaigns", NULL, false);
}

void ots_api_campaigns(struct ots_http *h, SoupServerMessage *msg, char **rest, GHashTable *query)
{
	static const struct ots_api_resource r = {
		.list = campaign_list, .create = campaign_start, .show = campaign_show,
		.action = "cancel", .act = campaign_cancel,
	};

	ots_api_resource(h, msg, rest, query, &r);
}
