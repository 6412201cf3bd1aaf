/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /v1/transactions (doc/api.md): start a deferred transaction, list,
 * show one (state, timeline, R1 as "result"), and the explicit poll that
 * sends C2 now.  Validation is the engine's (its errors name the field).
 */
#include <string.h>

#include "api/api.h"

/*
 * A page of transactions, newest first: ?limit=N (default OTS_API_LIMIT)
 * with ids below ?before=ID, ?state= and ?iccid= filtered by the database;
 * a Link to the next page (the same filters) when more follow.
 */
static void tx_list(struct ots_http *h, SoupServerMessage *msg, GHashTable *query)
{
	static const char *const params[] = { "state", "iccid", "limit", "before", NULL };
	struct ots_tx_filter f = {
		.state = query ? g_hash_table_lookup(query, "state") : NULL,
		.iccid = query ? g_hash_table_lookup(query, "iccid") : NULL,
	};
	GError *error = NULL;
	JsonNode *list;
	bool more;

	if (!ots_api_check_query(msg, query, params) || !ots_api_query_limit(msg, query, &f.limit) ||
	    !ots_api_query_number(msg, query, "before", &f.before) ||
	    (f.iccid && !ots_api_check_iccid(msg, "iccid", f.iccid, 1)))
		return;
	list = ots_engine_tx_list(h->engine, &f, &more, &error);
	if (!list) {
		ots_api_reply_gerror(msg, error, NULL);
		g_error_free(error);
		return;
	}
	if (more) {
		JsonArray *a = json_node_get_array(list);
		JsonObject *last = json_array_get_object_element(a, json_array_get_length(a) - 1);
		/* state and iccid were checked: a state's name and digits need no escaping */
		GString *next = g_string_new(NULL);

		g_string_printf(next, "/v1/transactions?limit=%u&before=%" G_GINT64_FORMAT, f.limit,
				json_object_get_int_member(last, "id"));
		if (f.state)
			g_string_append_printf(next, "&state=%s", f.state);
		if (f.iccid)
			g_string_append_printf(next, "&iccid=%s", f.iccid);
		ots_api_set_next(msg, next->str);
		g_string_free(next, TRUE);
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
