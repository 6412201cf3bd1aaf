/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /v1/transactions (doc/api.md): start a deferred transaction, list,
 * show one (state, timeline, R1 as "result"), and the explicit poll that
 * sends C2 now.  Validation is the engine's (its errors name the field).
 */
#include <string.h>

#include "api/api.h"

static void tx_list(struct ots_http *h, SoupServerMessage *msg, GHashTable *query)
{
	static const char *const params[] = { "state", "iccid", NULL };
	const char *state = query ? g_hash_table_lookup(query, "state") : NULL;
	const char *iccid = query ? g_hash_table_lookup(query, "iccid") : NULL;
	GError *error = NULL;
	JsonNode *list;

	if (!ots_api_check_query(msg, query, params))
		return;
	list = ots_engine_tx_list(h->engine, state, &error);
	if (!list) {
		ots_api_reply_gerror(msg, error, NULL);
		g_error_free(error);
		return;
	}
	if (iccid) {
		JsonArray *all = json_node_get_array(list), *some = json_array_new();
		JsonNode *n = json_node_new(JSON_NODE_ARRAY);

		for (guint i = 0; i < json_array_get_length(all); i++) {
			JsonObject *t = json_array_get_object_element(all, i);
			const char *c = json_object_get_string_member_with_default(t, "iccid", "");

			if (strcmp(c, iccid) == 0)
				json_array_add_element(some, json_array_dup_element(all, i));
		}
		json_node_take_array(n, some);
		json_node_unref(list);
		list = n;
	}
	ots_api_reply_json(msg, SOUP_STATUS_OK, list);
}

static void tx_show(struct ots_http *h, SoupServerMessage *msg, uint64_t id, GHashTable *query)
{
	GError *error = NULL;
	JsonNode *tx;

	if (!ots_api_check_query(msg, query, NULL))
		return;
	tx = ots_engine_tx_get(h->engine, id, &error);
	if (!tx) {
		ots_api_reply_gerror(msg, error, "id");
		g_error_free(error);
		return;
	}
	ots_api_reply_json(msg, SOUP_STATUS_OK, tx);
}

/* A poll of a transaction whose card another instance owns goes to that owner. */
static void poll_forward(struct ots_http *h, SoupServerMessage *msg, uint64_t id)
{
	char *iccid = ots_engine_tx_iccid(h->engine, id);
	JsonObject *o = json_object_new();
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);

	json_object_set_int_member(o, "id", (gint64)id);
	json_node_take_object(n, o);
	ots_api_forward(h, msg, "poll", iccid, n, NULL);
	json_node_unref(n);
	g_free(iccid);
}

static void tx_poll(struct ots_http *h, SoupServerMessage *msg, uint64_t id, GHashTable *query)
{
	GError *error = NULL;

	if (!ots_api_check_query(msg, query, NULL))
		return;
	if (!ots_engine_tx_poll(h->engine, id, &error)) {
		if (g_error_matches(error, OTS_ERROR, OTS_ERROR_ELSEWHERE))
			poll_forward(h, msg, id);
		else
			ots_api_reply_gerror(msg, error, "id");
		g_error_free(error);
		return;
	}
	ots_api_reply_poll(h, msg, id);
}

void ots_api_reply_poll(struct ots_http *h, SoupServerMessage *msg, uint64_t id)
{
	int state = ots_engine_tx_state(h->engine, id);
	JsonObject *o;
	JsonNode *n;

	o = json_object_new();
	json_object_set_int_member(o, "id", (gint64)id);
	json_object_set_string_member(o, "state", state < 0 ? "?" : ots_tx_state_name(state));
	n = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(n, o);
	ots_api_reply_json(msg, SOUP_STATUS_ACCEPTED, n);
}

/* {"id", "link", "warnings"}: the route its commands take now (engine.h) */
static void tx_start(struct ots_http *h, SoupServerMessage *msg, GHashTable *query)
{
	ots_api_post_created(h, msg, query, ots_engine_tx_start_json, "/v1/transactions", "iccid", true);
}

void ots_api_transactions(struct ots_http *h, SoupServerMessage *msg, char **rest,
			  GHashTable *query)
{
	static const struct ots_api_resource r = {
		.list = tx_list, .create = tx_start, .show = tx_show, .action = "poll", .act = tx_poll,
	};

	ots_api_resource(h, msg, rest, query, &r);
}
