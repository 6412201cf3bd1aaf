/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GET /v1/events: every timeline entry, as it is committed, to every open
 * stream (Server-Sent Events, WHATWG HTML §9.2):
 *
 *   id: SEQ
 *   event: KIND
 *   data: {"seq", "tx", "iccid", "at", "event", ...}
 *
 * The response is chunked and never completes while the server runs;
 * clients come and go.  A comment line goes out on open (so a client knows
 * it is subscribed) and every OTS_API_KEEPALIVE_S seconds (so a vanished
 * client is noticed).  ?iccid=…, ?tx=… and ?campaign=… narrow a stream.
 */
#include <string.h>

#include "api/api.h"

struct ots_sse_stream {
	struct ots_http *h;
	SoupServerMessage *msg;
	char *iccid;           /* filter, or NULL */
	uint64_t tx;           /* filter, or 0 */
	uint64_t campaign;     /* filter, or 0 */
	gulong finished_id;
};

static void stream_free(struct ots_sse_stream *s)
{
	g_free(s->iccid);
	g_object_unref(s->msg);
	g_free(s);
}

static void stream_write(struct ots_sse_stream *s, const char *text)
{
	soup_message_body_append(soup_server_message_get_response_body(s->msg), SOUP_MEMORY_COPY,
				 text, strlen(text));
	soup_server_message_unpause(s->msg);
}

/* The client went away (or the response was ended): forget the stream. */
static void on_finished(SoupServerMessage *msg, gpointer user)
{
	struct ots_sse_stream *s = user;

	s->h->streams = g_list_remove(s->h->streams, s);
	g_signal_handler_disconnect(msg, s->finished_id);
	g_debug("event stream closed (%u open)", g_list_length(s->h->streams));
	stream_free(s);
}

/* The campaign an event is about (its detail's "campaign" member), or 0. */
static uint64_t event_campaign(const struct ots_event *ev)
{
	JsonNode *n = ev->detail ? json_from_string(ev->detail, NULL) : NULL;
	uint64_t id = 0;

	if (n && JSON_NODE_HOLDS_OBJECT(n))
		id = (uint64_t)json_object_get_int_member_with_default(json_node_get_object(n),
								       "campaign", 0);
	if (n)
		json_node_unref(n);
	return id;
}

static void on_event(const struct ots_event *ev, void *user)
{
	struct ots_http *h = user;
	uint64_t campaign = 0;
	bool campaign_read = false;
	char *json, *text;

	if (!h->streams)
		return;
	json = ots_event_to_text(ev);
	text = g_strdup_printf("id: %" G_GINT64_FORMAT "\nevent: %s\ndata: %s\n\n", ev->seq,
			       ev->kind, json);
	/* a write may end a stream (and unlink only that one): keep the next link first */
	for (GList *l = h->streams, *next; l; l = next) {
		struct ots_sse_stream *s = l->data;

		next = l->next;
		if (s->iccid && (!ev->iccid || strcmp(s->iccid, ev->iccid) != 0))
			continue;
		if (s->tx && s->tx != ev->tx_id)
			continue;
		if (s->campaign && !campaign_read) {
			campaign = event_campaign(ev);   /* parsed once, for the streams that filter */
			campaign_read = true;
		}
		if (s->campaign && s->campaign != campaign)
			continue;
		stream_write(s, text);
	}
	g_free(text);
	g_free(json);
}

static gboolean on_keepalive(gpointer user)
{
	struct ots_http *h = user;

	for (GList *l = h->streams, *next; l; l = next) {
		next = l->next;
		stream_write(l->data, ": keepalive\n\n");
	}
	return G_SOURCE_CONTINUE;
}

void ots_api_events(struct ots_http *h, SoupServerMessage *msg, GHashTable *query)
{
	static const char *const params[] = { "iccid", "tx", "campaign", NULL };
	const char *iccid = query ? g_hash_table_lookup(query, "iccid") : NULL;
	struct ots_sse_stream *s;
	SoupMessageHeaders *hd;
	uint64_t id, campaign;

	if (strcmp(soup_server_message_get_method(msg), SOUP_METHOD_GET) != 0) {
		ots_api_reply_bad_method(msg, "GET");
		return;
	}
	if (!ots_api_check_query(msg, query, params))
		return;
	if (iccid && !ots_api_check_iccid(msg, "iccid", iccid, 1))
		return;
	if (!ots_api_query_number(msg, query, "tx", &id) ||
	    !ots_api_query_number(msg, query, "campaign", &campaign))
		return;
	s = g_new0(struct ots_sse_stream, 1);
	s->h = h;
	s->msg = g_object_ref(msg);
	s->iccid = g_strdup(iccid);
	s->tx = id;
	s->campaign = campaign;
	hd = soup_server_message_get_response_headers(msg);
	soup_message_headers_set_encoding(hd, SOUP_ENCODING_CHUNKED);
	soup_message_headers_set_content_type(hd, "text/event-stream", NULL);
	soup_message_headers_replace(hd, "Cache-Control", "no-cache");
	soup_message_body_set_accumulate(soup_server_message_get_response_body(msg), FALSE);
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	s->finished_id = g_signal_connect(msg, "finished", G_CALLBACK(on_finished), s);
	h->streams = g_list_prepend(h->streams, s);
	g_debug("event stream opened (%u open)", g_list_length(h->streams));
	stream_write(s, ": ota-test-server events\n\n");
}

void ots_sse_init(struct ots_http *h)
{
	h->subscription = ots_engine_subscribe(h->engine, on_event, h);
	h->keepalive = g_timeout_add_seconds(OTS_API_KEEPALIVE_S, on_keepalive, h);
}

void ots_sse_shutdown(struct ots_http *h)
{
	if (h->subscription)
		ots_engine_unsubscribe(h->engine, h->subscription);
	h->subscription = 0;
	if (h->keepalive)
		g_source_remove(h->keepalive);
	h->keepalive = 0;
	/* end every stream; "finished" may not come before the server is gone */
	while (h->streams) {
		struct ots_sse_stream *s = h->streams->data;

		h->streams = g_list_delete_link(h->streams, h->streams);
		g_signal_handler_disconnect(s->msg, s->finished_id);
		soup_message_body_complete(soup_server_message_get_response_body(s->msg));
		soup_server_message_unpause(s->msg);
		stream_free(s);
	}
}
