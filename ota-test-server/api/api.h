/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the HTTP/JSON API (doc/api.md): the server object, the
 * response helpers shared by the route files, and the routes.  Everything
 * runs in the main context the daemon runs (the engine's thread).
 */
#ifndef OTS_API_H
#define OTS_API_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdbool.h>

#include "api/http.h"
#include "transactions/engine.h"

/* Largest request body accepted (413 above). */
#define OTS_API_MAX_BODY (1024 * 1024)
/* A comment line on every event stream this often, so dead clients are noticed. */
#define OTS_API_KEEPALIVE_S 15

struct ots_http {
	struct ots_engine *engine;
	SoupServer *server;
	unsigned subscription;    /* ots_engine_subscribe() id, 0 when none */
	GList *streams;           /* struct ots_sse_stream *, the open GET /v1/events */
	guint keepalive;
	bool stopping;
	unsigned commit_sub;      /* ots_engine_on_commit() id */
	GQueue held;              /* struct ots_held_reply *: answers waiting for their batch's commit */
};

/* ---- responses (http.c) --------------------------------------------------------- */

/* Sends node (taken) as the JSON body with this status. */
void ots_api_reply_json(SoupServerMessage *msg, guint status, JsonNode *node);
/* {"error": message, "field": field (omitted when NULL)} with this status. */
void ots_api_reply_error(SoupServerMessage *msg, guint status, const char *field,
			 const char *fmt, ...) G_GNUC_PRINTF(4, 5);
/*
 * An engine error: OTS_ERROR_INVALID 400 (field from the message),
 * NOT_FOUND 404, EXISTS/STATE 409, anything else 500.  field_404 names the
 * request field a 404 is about (e.g. "iccid"), or NULL.
 */
void ots_api_reply_gerror(SoupServerMessage *msg, const GError *error, const char *field_404);
/* 405 with an Allow header. */
void ots_api_reply_bad_method(SoupServerMessage *msg, const char *allow);

/*
 * Query parameters: any name not in allowed gets 400 naming it.  Returns
 * false when it replied.
 */
bool ots_api_check_query(SoupServerMessage *msg, GHashTable *query, const char *const *allowed);
/* The request's media type without parameters, lower case (g_free), or NULL. */
char *ots_api_content_type(SoupServerMessage *msg);
/* The request body parsed as JSON, or NULL after replying 400 ("body") / 415. */
JsonNode *ots_api_body_json(SoupServerMessage *msg);
/* The same, an array accepted too (POST /v1/cards: a batch of cards). */
JsonNode *ots_api_body_json_or_array(SoupServerMessage *msg);
/*
 * POST of a request that creates a transaction-like object: the body
 * (JSON) to start(); 201 with Location: prefix/ID and {"id": ID}, with the
 * route its commands take now ("link", "warnings": ots_engine_tx_route_json)
 * when route is set; else the engine's error (404 naming field_404).
 */
typedef bool (*ots_api_start_fn)(struct ots_engine *engine, JsonNode *request, uint64_t *id,
				 GError **error);
void ots_api_post_created(struct ots_http *h, SoupServerMessage *msg, GHashTable *query,
			  ots_api_start_fn start, const char *prefix, const char *field_404, bool route);
/*
 * The request (kind and JSON as ots_engine_forward) handed to the
 * instance that owns its card; answered when that one has acted: 201 with
 * Location prefix/ID, or (prefix NULL, a poll) as ots_api_reply_poll.
 */
void ots_api_forward(struct ots_http *h, SoupServerMessage *msg, const char *kind,
		     const char *iccid, JsonNode *request, const char *prefix);
/* 202 {"id", "state"}: the answer to a poll (transactions.c). */
void ots_api_reply_poll(struct ots_http *h, SoupServerMessage *msg, uint64_t id);
/*
 * A query parameter holding a number 1..2^63-1 (*out 0 when absent), or
 * false after replying 400 naming it.
 */
bool ots_api_query_number(SoupServerMessage *msg, GHashTable *query, const char *name, uint64_t *out);
/*
 * Paging, keyset style (doc/api.md "Paging"): ?limit=N, 1..OTS_API_MAX_LIMIT
 * (*limit OTS_API_LIMIT when absent), or false after replying 400 ("limit").
 */
#define OTS_API_LIMIT 1000
#define OTS_API_MAX_LIMIT 10000
bool ots_api_query_limit(SoupServerMessage *msg, GHashTable *query, unsigned *limit);
/*
 * The answer holds one page and the next one is at next (a path with its
 * query, characters that need no escaping): "Link: <next>; rel="next""
 * (RFC 8288 §3).
 */
void ots_api_set_next(SoupServerMessage *msg, const char *next);
/*
 * An ICCID in a path or query: min..20 digits (19 where it must be one a
 * card can have; 1 where an unknown one is merely not found), or false
 * after replying 400 naming field.
 */
bool ots_api_check_iccid(SoupServerMessage *msg, const char *field, const char *s, size_t min);
/* A decimal id 1..2^63-1 from a path segment, or false after replying 400 (field "id"). */
bool ots_api_parse_id(SoupServerMessage *msg, const char *s, uint64_t *id);

/* ---- routes ------------------------------------------------------------------- */

/*
 * A resource of the API: a collection (GET lists, POST creates), its items
 * by id (GET), and an action on an item (POST /ID/ACTION).  A member left
 * NULL is a method not allowed (405 with Allow) or no such resource (404).
 */
struct ots_api_resource {
	void (*list)(struct ots_http *h, SoupServerMessage *msg, GHashTable *query);
	void (*create)(struct ots_http *h, SoupServerMessage *msg, GHashTable *query);
	void (*show)(struct ots_http *h, SoupServerMessage *msg, uint64_t id, GHashTable *query);
	const char *action;
	void (*act)(struct ots_http *h, SoupServerMessage *msg, uint64_t id, GHashTable *query);
};
/* Dispatches by method and the path's rest (what follows the collection's name). */
void ots_api_resource(struct ots_http *h, SoupServerMessage *msg, char **rest, GHashTable *query,
		      const struct ots_api_resource *r);

/* /v1/transactions[/ID[/poll]]: rest is what follows "transactions" (NULL-terminated). */
void ots_api_transactions(struct ots_http *h, SoupServerMessage *msg, char **rest,
			  GHashTable *query);
/* /v1/cards[/ICCID] */
void ots_api_cards(struct ots_http *h, SoupServerMessage *msg, char **rest, GHashTable *query);
/* /v1/rfm[/ID] and /v1/campaigns[/ID[/cancel]] (rfm.c) */
void ots_api_rfm(struct ots_http *h, SoupServerMessage *msg, char **rest, GHashTable *query);
void ots_api_campaigns(struct ots_http *h, SoupServerMessage *msg, char **rest, GHashTable *query);
/* GET /v1/events: the server-sent event stream (sse.c) */
void ots_api_events(struct ots_http *h, SoupServerMessage *msg, GHashTable *query);
void ots_sse_init(struct ots_http *h);
/* The timeline page (web.c): true for "/" and "/assets/..." */
bool ots_api_web_path(const char *path);
/* GET/HEAD of the page or one of its assets, from the binary's GResource */
void ots_api_web(SoupServerMessage *msg, const char *path);
/* Ends every open stream and unsubscribes. */
void ots_sse_shutdown(struct ots_http *h);

#endif
