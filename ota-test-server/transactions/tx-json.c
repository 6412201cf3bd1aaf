/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * JSON of transactions (doc/api.md): the request of POST /v1/transactions,
 * the stored columns (ev, rq, input, result) and the transaction object;
 * and the engine's resumption from the stored rows after a restart.
 */
#include <stdio.h>
#include <string.h>

#include "transactions/engine-internal.h"
#include "util.h"

#define INVALID(error, ...) g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, __VA_ARGS__)

char *ots_json_string(JsonNode *node)
{
	return node ? json_to_string(node, FALSE) : g_strdup("null");
}

JsonNode *ots_json_parse(const char *text)
{
	return text ? json_from_string(text, NULL) : NULL;
}

/* ---- a timeline event's detail (engine-internal.h) ---------------------------------- */

GString *ots_detail_new(void)
{
	return g_string_new("{");
}

/* RFC 8259 §7: quotation mark, reverse solidus and the control characters escaped; the rest as it is (UTF-8). */
static void append_string(GString *d, const char *v)
{
	char *valid = g_utf8_validate(v, -1, NULL) ? NULL : g_utf8_make_valid(v, -1);

	g_string_append_c(d, '"');
	for (const unsigned char *p = (const unsigned char *)(valid ? valid : v); *p; p++) {
		switch (*p) {
		case '"':
			g_string_append(d, "\\\"");
			break;
		case '\\':
			g_string_append(d, "\\\\");
			break;
		case '\n':
			g_string_append(d, "\\n");
			break;
		case '\r':
			g_string_append(d, "\\r");
			break;
		case '\t':
			g_string_append(d, "\\t");
			break;
		default:
			if (*p < 0x20)
				g_string_append_printf(d, "\\u%04x", *p);
			else
				g_string_append_c(d, (char)*p);
		}
	}
	g_string_append_c(d, '"');
	g_free(valid);
}

static void append_key(GString *d, const char *key)
{
	if (d->len > 1)
		g_string_append_c(d, ',');
	append_string(d, key);
	g_string_append_c(d, ':');
}

void ots_detail_str(GString *d, const char *key, const char *v)
{
	append_key(d, key);
	if (v)
		append_string(d, v);
	else
		g_string_append(d, "null");
}

void ots_detail_int(GString *d, const char *key, int64_t v)
{
	append_key(d, key);
	g_string_append_printf(d, "%" G_GINT64_FORMAT, v);
}

void ots_detail_bool(GString *d, const char *key, bool v)
{
	append_key(d, key);
	g_string_append(d, v ? "true" : "false");
}

void ots_detail_node(GString *d, const char *key, JsonNode *v)
{
	char *text = ots_json_string(v);

	append_key(d, key);
	g_string_append(d, text);
	g_free(text);
	if (v)
		json_node_unref(v);
}

char *ots_detail_end(GString *d)
{
	if (!d)
		return g_strdup("{}");
	g_string_append_c(d, '}');
	return g_string_free(d, FALSE);
}

static const char *const action_names[] = {
	[SIMOTA_DEFERRED_DISPLAY_TEXT] = "display-text",
	[SIMOTA_DEFERRED_GET_INPUT] = "get-input",
	[SIMOTA_DEFERRED_SELECT_ITEM] = "select-item",
	[SIMOTA_DEFERRED_YES_NO] = "yes-no",
};

const char *ots_action_name(enum simota_deferred_action a)
{
	if ((int)a == OTS_ACTION_RFM)
		return "rfm";
	return (unsigned)a < G_N_ELEMENTS(action_names) && action_names[a] ? action_names[a] : "?";
}

bool ots_action_from_name(const char *s, enum simota_deferred_action *out)
{
	for (unsigned i = 1; s && i < G_N_ELEMENTS(action_names); i++)
		if (strcmp(s, action_names[i]) == 0) {
			*out = i;
			return true;
		}
	return false;
}

/* ---- members ------------------------------------------------------------------- */

static bool get_bool(JsonObject *o, const char *name, bool *out)
{
	JsonNode *n = json_object_get_member(o, name);

	if (!n)
		return true;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN)
		return false;
	*out = json_node_get_boolean(n);
	return true;
}

/* A non-negative integer member that fits max; absent leaves *out. */
static bool get_uint(JsonObject *o, const char *name, uint64_t max, uint64_t *out)
{
	JsonNode *n = json_object_get_member(o, name);
	int64_t v;

	if (!n)
		return true;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
		return false;
	v = json_node_get_int(n);
	if (v < 0 || (uint64_t)v > max)
		return false;
	*out = (uint64_t)v;
	return true;
}

static const char *get_string(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(n);
}

const char *ots_json_get_string(JsonObject *o, const char *name)
{
	return get_string(o, name);
}

/* ---- time extension (protocol.md §3.3) ----------------------------------------- */

JsonNode *ots_rq_to_json(const struct simota_deferred_rq *rq)
{
	JsonObject *o = json_object_new();
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);

	switch (rq->form) {
	case SIMOTA_DEFERRED_RQ_FIXED:
		json_object_set_string_member(o, "form", "fixed");
		json_object_set_int_member(o, "seconds", rq->seconds);
		break;
	case SIMOTA_DEFERRED_RQ_INDEFINITE:
		json_object_set_string_member(o, "form", "indefinite");
		break;
	case SIMOTA_DEFERRED_RQ_UNTIL_EVENT:
		json_object_set_string_member(o, "form", "until-event");
		json_object_set_string_member(o, "event",
					      rq->event == SIMOTA_DEFERRED_EVENT_MG_SENT ? "mg-sent" :
					      rq->event == SIMOTA_DEFERRED_EVENT_NEXT_SESSION ?
					      "next-session" : "?");
		if (rq->seconds)
			json_object_set_int_member(o, "seconds", rq->seconds);
		break;
	default:
		json_object_set_string_member(o, "form", "none");
		break;
	}
	json_node_take_object(n, o);
	return n;
}

/*
 * {"form": "fixed", "seconds": N} | {"form": "indefinite"} |
 * {"form": "until-event", "event": "mg-sent"|"next-session", "seconds"?} |
 * shorthands {"form": "until-mg"|"next-session", "seconds"?} | {"form": "none"}
 */
bool ots_rq_from_json(JsonNode *node, const char *field, struct simota_deferred_rq *rq,
		      GError **error)
{
	JsonObject *o;
	const char *form, *event;
	uint64_t seconds = 0;

	memset(rq, 0, sizeof(*rq));
	if (!node || JSON_NODE_HOLDS_NULL(node))
		return true;
	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		INVALID(error, "%s: expected an object", field);
		return false;
	}
	o = json_node_get_object(node);
	form = get_string(o, "form");
	if (!get_uint(o, "seconds", UINT32_MAX, &seconds)) {
		INVALID(error, "%s.seconds: expected an integer 0-4294967295", field);
		return false;
	}
	rq->seconds = (uint32_t)seconds;
	event = get_string(o, "event");
	if (form && strcmp(form, "none") == 0) {
		rq->form = SIMOTA_DEFERRED_RQ_NONE;
	} else if (form && strcmp(form, "fixed") == 0) {
		rq->form = SIMOTA_DEFERRED_RQ_FIXED;
		if (!seconds) {
			INVALID(error, "%s.seconds: a fixed extension needs seconds > 0", field);
			return false;
		}
	} else if (form && strcmp(form, "indefinite") == 0) {
		rq->form = SIMOTA_DEFERRED_RQ_INDEFINITE;
		rq->seconds = 0;
	} else if (form && (strcmp(form, "until-mg") == 0 ||
			    (strcmp(form, "until-event") == 0 && event &&
			     strcmp(event, "mg-sent") == 0))) {
		rq->form = SIMOTA_DEFERRED_RQ_UNTIL_EVENT;
		rq->event = SIMOTA_DEFERRED_EVENT_MG_SENT;
	} else if (form && (strcmp(form, "next-session") == 0 ||
			    (strcmp(form, "until-event") == 0 && event &&
			     strcmp(event, "next-session") == 0))) {
		rq->form = SIMOTA_DEFERRED_RQ_UNTIL_EVENT;
		rq->event = SIMOTA_DEFERRED_EVENT_NEXT_SESSION;
	} else if (form && strcmp(form, "until-event") == 0) {
		INVALID(error, "%s.event: expected mg-sent or next-session", field);
		return false;
	} else {
		INVALID(error, "%s.form: expected fixed, indefinite, until-mg, next-session or "
			"until-event", field);
		return false;
	}
	return true;
}

/* ---- EV policy --------------------------------------------------------------------- */

JsonNode *ots_ev_to_json(const struct ots_ev_policy *ev)
{
	JsonObject *o = json_object_new();
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);

	json_object_set_boolean_member(o, "mg", ev->on_mg);
	json_object_set_boolean_member(o, "rq", ev->on_rq);
	if (ev->preset_ms == OTS_EV_NO_PRESET)
		json_object_set_null_member(o, "preset-ms");
	else
		json_object_set_int_member(o, "preset-ms", ev->preset_ms);
	json_object_set_int_member(o, "deadline-ms", ev->deadline_ms);
	if (ev->wanted.form != SIMOTA_DEFERRED_RQ_NONE)
		json_object_set_member(o, "wanted", ots_rq_to_json(&ev->wanted));
	json_node_take_object(n, o);
	return n;
}

/*
 * {"mg": bool, "rq": bool, "preset-ms": N (0 default) | null (never),
 *  "deadline-ms": N, "wanted": rq}
 */
bool ots_ev_from_json(JsonNode *node, struct ots_ev_policy *ev, GError **error)
{
	JsonObject *o;
	JsonNode *n;
	uint64_t v;

	ots_ev_policy_init(ev);
	if (!node || JSON_NODE_HOLDS_NULL(node))
		return true;
	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		INVALID(error, "ev: expected an object");
		return false;
	}
	o = json_node_get_object(node);
	if (!get_bool(o, "mg", &ev->on_mg)) {
		INVALID(error, "ev.mg: expected true or false");
		return false;
	}
	if (!get_bool(o, "rq", &ev->on_rq)) {
		INVALID(error, "ev.rq: expected true or false");
		return false;
	}
	n = json_object_get_member(o, "preset-ms");
	if (n && JSON_NODE_HOLDS_NULL(n)) {
		ev->preset_ms = OTS_EV_NO_PRESET;
	} else {
		v = 0;
		if (!get_uint(o, "preset-ms", UINT32_MAX - 1, &v)) {
			INVALID(error, "ev.preset-ms: expected milliseconds, or null for never");
			return false;
		}
		ev->preset_ms = (uint32_t)v;
	}
	v = 0;
	if (!get_uint(o, "deadline-ms", UINT32_MAX - 1, &v)) {
		INVALID(error, "ev.deadline-ms: expected milliseconds");
		return false;
	}
	ev->deadline_ms = (uint32_t)v;
	if (!ots_rq_from_json(json_object_get_member(o, "wanted"), "ev.wanted", &ev->wanted, error))
		return false;
	for (GList *l = json_object_get_members(o), *h = l; l || (g_list_free(h), 0); l = l->next) {
		const char *k = l->data;

		if (strcmp(k, "mg") && strcmp(k, "rq") && strcmp(k, "preset-ms") &&
		    strcmp(k, "deadline-ms") && strcmp(k, "wanted")) {
			INVALID(error, "ev.%s: unknown member", k);
			g_list_free(h);
			return false;
		}
	}
	return true;
}

/* ---- input constraints and result ---------------------------------------------------- */

JsonNode *ots_input_to_json(const struct simota_deferred_input *in)
{
	JsonObject *o = json_object_new();
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);

	json_object_set_int_member(o, "min", in->min_len);
	json_object_set_int_member(o, "max", in->max_len);
	json_object_set_boolean_member(o, "digits", in->flags & SIMOTA_DEFERRED_INPUT_DIGITS);
	json_object_set_boolean_member(o, "hidden", in->flags & SIMOTA_DEFERRED_INPUT_HIDDEN);
	json_node_take_object(n, o);
	return n;
}

bool ots_input_from_json(JsonNode *node, struct simota_deferred_input *in, GError **error)
{
	JsonObject *o;
	uint64_t min = SIMOTA_DEFERRED_INPUT_DEFAULT_MIN, max = SIMOTA_DEFERRED_INPUT_DEFAULT_MAX;
	bool digits = false, hidden = false;

	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		INVALID(error, "input: expected an object");
		return false;
	}
	o = json_node_get_object(node);
	if (!get_uint(o, "min", 255, &min)) {
		INVALID(error, "input.min: expected 0-255");
		return false;
	}
	if (!get_uint(o, "max", 255, &max) || max < 1 || max < min) {
		INVALID(error, "input.max: expected 1-255 and at least min");
		return false;
	}
	if (!get_bool(o, "digits", &digits)) {
		INVALID(error, "input.digits: expected true or false");
		return false;
	}
	if (!get_bool(o, "hidden", &hidden)) {
		INVALID(error, "input.hidden: expected true or false");
		return false;
	}
	in->min_len = (uint8_t)min;
	in->max_len = (uint8_t)max;
	in->flags = (digits ? SIMOTA_DEFERRED_INPUT_DIGITS : 0) |
		    (hidden ? SIMOTA_DEFERRED_INPUT_HIDDEN : 0);
	return true;
}

/* protocol.md §3.5 */
JsonNode *ots_result_to_json(const struct simota_deferred_msg *r2s)
{
	const struct simota_deferred_result *r = &r2s->result;
	JsonObject *o = json_object_new();
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);

	json_object_set_int_member(o, "general", r->general);
	char *additional_hex = ots_hex(r->additional, r->additional_len);
	json_object_set_string_member(o, "additional", additional_hex);
	g_free(additional_hex);
	if (r->text) {
		char *t = g_strndup(r->text, r->text_len);

		json_object_set_string_member(o, "text", t);
		g_free(t);
	}
	if (r->item_id)
		json_object_set_int_member(o, "item", r->item_id);
	if (r->yes >= 0)
		json_object_set_boolean_member(o, "yes", r->yes == 1);
	json_node_take_object(n, o);
	return n;
}

/* ---- the request -------------------------------------------------------------------- */

static const char *const request_members[] = {
	"iccid", "action", "text", "items", "default-item", "input", "tar", "ev", NULL
};

bool ots_json_members_known(JsonObject *o, const char *const *known, GError **error)
{
	GList *names = json_object_get_members(o);
	bool ok = true;

	for (GList *l = names; l && ok; l = l->next)
		if (!g_strv_contains(known, l->data)) {
			INVALID(error, "%s: unknown member", (const char *)l->data);
			ok = false;
		}
	g_list_free(names);
	return ok;
}

/* A member given and not null. */
static JsonNode *member(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	return n && !JSON_NODE_HOLDS_NULL(n) ? n : NULL;
}

/* "items": strings, which stay owned by the request's JSON; *items holds them (freed by caller). */
static bool items_from_json(JsonNode *n, GPtrArray **items, struct ots_tx_request *req,
			    GError **error)
{
	JsonArray *a;

	if (!JSON_NODE_HOLDS_ARRAY(n)) {
		INVALID(error, "items: expected an array of strings");
		return false;
	}
	a = json_node_get_array(n);
	*items = g_ptr_array_new();
	for (unsigned i = 0; i < json_array_get_length(a); i++) {
		JsonNode *it = json_array_get_element(a, i);

		if (!JSON_NODE_HOLDS_VALUE(it) || json_node_get_value_type(it) != G_TYPE_STRING) {
			INVALID(error, "items[%u]: expected a string", i);
			return false;
		}
		g_ptr_array_add(*items, (gpointer)json_node_get_string(it));
	}
	req->items = (const char *const *)(*items)->pdata;
	req->n_items = (*items)->len;
	return true;
}

/* "default-item": an item id (its range is the engine's check, which knows the items). */
static bool default_item_from_json(JsonObject *o, struct ots_tx_request *req, GError **error)
{
	uint64_t v = 0;

	if (!get_uint(o, "default-item", SIMOTA_DEFERRED_MAX_ITEMS, &v) || v == 0) {
		INVALID(error, "default-item: expected an item id, 1 to %d", SIMOTA_DEFERRED_MAX_ITEMS);
		return false;
	}
	req->default_item = (uint8_t)v;
	return true;
}

static bool tar_from_json(JsonObject *o, uint8_t tar[3], struct ots_tx_request *req,
			  GError **error)
{
	const char *s = get_string(o, "tar");
	size_t len;

	if (!s || !ots_unhex(s, tar, 3, &len) || len != 3) {
		INVALID(error, "tar: expected 3 hex bytes");
		return false;
	}
	req->tar = tar;
	return true;
}

/* The members that name the card and what to ask: iccid, action, text. */
static bool subject_from_json(JsonObject *o, struct ots_tx_request *req, GError **error)
{
	req->iccid = get_string(o, "iccid");
	if (!req->iccid) {
		INVALID(error, "iccid: expected a string");
		return false;
	}
	if (!ots_action_from_name(get_string(o, "action"), &req->action)) {
		INVALID(error, "action: expected display-text, get-input, select-item or yes-no");
		return false;
	}
	if (member(o, "text")) {
		req->text = get_string(o, "text");
		if (!req->text) {
			INVALID(error, "text: expected a string");
			return false;
		}
	}
	return true;
}

/* POST /v1/transactions (doc/api.md): the request's JSON to ots_engine_tx_start(). */
bool ots_engine_tx_start_json(struct ots_engine *e, JsonNode *request, uint64_t *id,
			      GError **error)
{
	struct ots_tx_request req = { 0 };
	GPtrArray *items = NULL;
	JsonObject *o;
	JsonNode *n;
	uint8_t tar[3];
	bool ok;

	if (!request || !JSON_NODE_HOLDS_OBJECT(request)) {
		INVALID(error, "body: expected a JSON object");
		return false;
	}
	o = json_node_get_object(request);
	ok = ots_json_members_known(o, request_members, error) && subject_from_json(o, &req, error);
	if (ok && (n = member(o, "items")))
		ok = items_from_json(n, &items, &req, error);
	if (ok && member(o, "default-item"))
		ok = default_item_from_json(o, &req, error);
	if (ok && (n = member(o, "input"))) {
		ok = ots_input_from_json(n, &req.input, error);
		req.has_input = true;
	}
	if (ok && member(o, "tar"))
		ok = tar_from_json(o, tar, &req, error);
	ok = ok && ots_ev_from_json(json_object_get_member(o, "ev"), &req.ev, error) &&
	     ots_engine_tx_start(e, &req, id, error);
	if (items)
		g_ptr_array_free(items, TRUE);
	return ok;
}

/* ---- the transaction object ----------------------------------------------------------- */

enum {
	COL_ID, COL_ICCID, COL_TXID, COL_TAR, COL_KVN, COL_ACTION, COL_TEXT, COL_ITEMS, COL_INPUT,
	COL_EV, COL_STATE, COL_CREATED, COL_C1_AT, COL_DEADLINE, COL_RQ, COL_ATTEMPTS,
	COL_BACKOFF, COL_DUE, COL_DUE_KIND, COL_OUTCOME, COL_RESULT, COL_WHY, COL_DEFAULT_ITEM,
};
G_STATIC_ASSERT(COL_DEFAULT_ITEM + 1 == OTS_TX_N_COLUMNS);

static const char *col_text(struct ots_db_stmt *st, int col)
{
	return ots_db_column_text(st, col);
}

static void set_parsed(JsonObject *o, const char *name, const char *text)
{
	JsonNode *n = ots_json_parse(text);

	if (n)
		json_object_set_member(o, name, n);
	else
		json_object_set_null_member(o, name);
}

static void set_time(JsonObject *o, const char *name, struct ots_db_stmt *st, int col)
{
	if (ots_db_column_null(st, col)) {
		json_object_set_null_member(o, name);
	} else {
		char *t = ots_time_string(ots_db_column_int(st, col));

		json_object_set_string_member(o, name, t);
		g_free(t);
	}
}

static JsonNode *timeline_json(struct ots_engine *e, uint64_t id)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db, "SELECT seq, at, event, detail, "
				       "(SELECT iccid FROM transactions WHERE id = tx_id) "
				       "FROM timeline WHERE tx_id = ? ORDER BY seq");
	JsonArray *a = json_array_new();
	JsonNode *n;

	ots_db_bind_int(st, 1, (int64_t)id);
	while (ots_db_next(st, NULL)) {
		struct ots_event ev = {
			.seq = ots_db_column_int(st, 0), .tx_id = id,
			.iccid = col_text(st, 4), .at_us = ots_db_column_int(st, 1),
			.kind = col_text(st, 2), .detail = col_text(st, 3),
		};

		json_array_add_element(a, ots_event_to_json(&ev));
	}
	ots_db_reset(st);
	n = json_node_new(JSON_NODE_ARRAY);
	json_node_take_array(n, a);
	return n;
}

JsonNode *ots_tx_row_json(struct ots_engine *e, struct ots_db_stmt *st, bool timeline)
{
	JsonObject *o = json_object_new();
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);
	uint64_t id = (uint64_t)ots_db_column_int(st, COL_ID);
	char buf[16];

	json_object_set_int_member(o, "id", (int64_t)id);
	json_object_set_string_member(o, "iccid", col_text(st, COL_ICCID));
	snprintf(buf, sizeof(buf), "%08x", (unsigned)ots_db_column_int(st, COL_TXID));
	json_object_set_string_member(o, "txid", buf);
	json_object_set_string_member(o, "tar", col_text(st, COL_TAR));
	json_object_set_int_member(o, "kvn", ots_db_column_int(st, COL_KVN));
	json_object_set_string_member(o, "action", ots_action_name(ots_db_column_int(st, COL_ACTION)));
	if (col_text(st, COL_TEXT))
		json_object_set_string_member(o, "text", col_text(st, COL_TEXT));
	else
		json_object_set_null_member(o, "text");
	set_parsed(o, "items", col_text(st, COL_ITEMS));
	if (ots_db_column_null(st, COL_DEFAULT_ITEM))
		json_object_set_null_member(o, "default-item");
	else
		json_object_set_int_member(o, "default-item", ots_db_column_int(st, COL_DEFAULT_ITEM));
	set_parsed(o, "input", col_text(st, COL_INPUT));
	set_parsed(o, "ev", col_text(st, COL_EV));
	json_object_set_string_member(o, "state", ots_tx_row_state_name(ots_db_column_int(st, COL_ACTION),
								       ots_db_column_int(st, COL_STATE)));
	set_time(o, "created", st, COL_CREATED);
	set_time(o, "c1-sent", st, COL_C1_AT);
	set_time(o, "deadline", st, COL_DEADLINE);
	set_parsed(o, "rq", col_text(st, COL_RQ));
	json_object_set_int_member(o, "attempts", ots_db_column_int(st, COL_ATTEMPTS) & 0xFFFF);
	set_parsed(o, "result", col_text(st, COL_RESULT));
	if (col_text(st, COL_WHY))
		json_object_set_string_member(o, "why", col_text(st, COL_WHY));
	else
		json_object_set_null_member(o, "why");
	if (timeline && ots_db_column_int(st, COL_ACTION) == OTS_ACTION_RFM) {
		JsonNode *rfm = ots_rfm_json(e, id);

		if (rfm)
			json_object_set_member(o, "rfm", rfm);
	}
	if (timeline)
		json_object_set_member(o, "timeline", timeline_json(e, id));
	json_node_take_object(n, o);
	return n;
}

/* ---- resumption after a restart ----------------------------------------------------------- */

static struct ots_tx *tx_from_row(struct ots_engine *e, struct ots_db_stmt *st)
{
	struct ots_tx *tx = g_new0(struct ots_tx, 1);
	JsonNode *n;
	size_t len;
	int attempts;

	tx->engine = e;
	tx->id = (uint64_t)ots_db_column_int(st, COL_ID);
	g_strlcpy(tx->iccid, col_text(st, COL_ICCID), sizeof(tx->iccid));
	tx->txid = (uint32_t)ots_db_column_int(st, COL_TXID);
	ots_unhex(col_text(st, COL_TAR), tx->tar, 3, &len);
	tx->kvn = (uint8_t)ots_db_column_int(st, COL_KVN);
	tx->action = ots_db_column_int(st, COL_ACTION);
	tx->text = g_strdup(col_text(st, COL_TEXT));
	tx->items = g_ptr_array_new_with_free_func(g_free);
	n = ots_json_parse(col_text(st, COL_ITEMS));
	if (n && JSON_NODE_HOLDS_ARRAY(n)) {
		JsonArray *a = json_node_get_array(n);

		for (unsigned i = 0; i < json_array_get_length(a); i++)
			g_ptr_array_add(tx->items, g_strdup(json_array_get_string_element(a, i)));
	}
	if (n)
		json_node_unref(n);
	tx->default_item = (uint8_t)ots_db_column_int(st, COL_DEFAULT_ITEM);
	n = ots_json_parse(col_text(st, COL_INPUT));
	if (n) {
		tx->has_input = ots_input_from_json(n, &tx->input, NULL);
		json_node_unref(n);
	}
	n = ots_json_parse(col_text(st, COL_EV));
	ots_ev_from_json(n, &tx->ev, NULL);
	if (n)
		json_node_unref(n);
	tx->state = ots_db_column_int(st, COL_STATE);
	tx->created_us = ots_db_column_int(st, COL_CREATED);
	tx->c1_at_us = ots_db_column_int(st, COL_C1_AT);
	tx->deadline_us = ots_db_column_int(st, COL_DEADLINE);
	n = ots_json_parse(col_text(st, COL_RQ));
	if (n) {
		tx->has_rq = tx->rq_stored = ots_rq_from_json(n, "rq", &tx->rq, NULL);
		json_node_unref(n);
	}
	attempts = ots_db_column_int(st, COL_ATTEMPTS);
	tx->attempts = (unsigned)attempts & 0xFFFF;
	tx->last_kind = attempts >> 16;
	tx->backoff_ms = (uint32_t)ots_db_column_int(st, COL_BACKOFF);
	tx->due_us = ots_db_column_int(st, COL_DUE);
	tx->due = ots_db_column_int(st, COL_DUE_KIND);
	tx->outcome = ots_db_column_int(st, COL_OUTCOME);
	tx->has_result = !ots_db_column_null(st, COL_RESULT);
	tx->why = g_strdup(col_text(st, COL_WHY));
	if ((int)tx->action == OTS_ACTION_RFM && !ots_rfm_load(e, tx))
		g_warning("tx %" G_GUINT64_FORMAT ": an RFM operation without its script", tx->id);
	return tx;
}

static void load_command(struct ots_engine *e, struct ots_tx *tx)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db, "SELECT id, kind, kvn, cntr, msg_id, n_segs, attempt, "
				       "sent FROM commands WHERE tx_id = ? AND open = 1 "
				       "ORDER BY id DESC LIMIT 1");
	struct ots_cmd *cmd;

	ots_db_bind_int(st, 1, (int64_t)tx->id);
	if (ots_db_next(st, NULL)) {
		cmd = g_new0(struct ots_cmd, 1);
		cmd->id = (uint64_t)ots_db_column_int(st, 0);
		cmd->tx_id = tx->id;
		cmd->kind = ots_db_column_int(st, 1);
		cmd->kvn = (uint8_t)ots_db_column_int(st, 2);
		cmd->cntr = (uint64_t)ots_db_column_int(st, 3);
		cmd->msg_id = (uint32_t)ots_db_column_int(st, 4);
		cmd->n_segs = (unsigned)ots_db_column_int(st, 5);
		cmd->attempt = (unsigned)ots_db_column_int(st, 6);
		cmd->sent_us = ots_db_column_int(st, 7);
		tx->cmd = cmd;
		for (unsigned i = 0; i < cmd->n_segs; i++)
			g_hash_table_insert(e->msgs, GUINT_TO_POINTER(cmd->msg_id + i), cmd);
	}
	ots_db_reset(st);
}

/*
 * Reads the unfinished transactions st selects (bound, not yet run) into
 * the mirror with their outstanding commands and timers; a card whose
 * active transaction finished just before a crash starts its next one.
 */
static bool load_selected(struct ots_engine *e, struct ots_db_stmt *st, unsigned *n,
			  GError **error)
{
	GPtrArray *loaded = g_ptr_array_new();
	GError *local = NULL;

	while (ots_db_next(st, &local)) {
		struct ots_tx *tx = tx_from_row(e, st);
		struct ots_card_run *run = ots_engine_run(e, tx->iccid);

		g_hash_table_insert(e->txs, &tx->id, tx);
		g_ptr_array_add(loaded, tx);
		if (tx->state == OTS_TX_QUEUED || run->active) {
			if (tx->state != OTS_TX_QUEUED)
				g_warning("tx %" G_GUINT64_FORMAT ": a second active transaction for "
					  "card %s; it waits", tx->id, tx->iccid);
			g_queue_push_tail(&run->queued, tx);
		} else {
			run->active = tx;
		}
	}
	ots_db_reset(st);
	if (local) {
		g_ptr_array_free(loaded, TRUE);
		g_propagate_error(error, local);
		return false;
	}
	for (unsigned i = 0; i < loaded->len; i++) {
		load_command(e, loaded->pdata[i]);
		ots_tx_arm(e, loaded->pdata[i]);
	}
	ots_engine_begin(e);
	for (unsigned i = 0; i < loaded->len; i++) {
		struct ots_card_run *run = ots_engine_run(e, ((struct ots_tx *)loaded->pdata[i])->iccid);
		struct ots_tx *next;

		if (!run->active && (next = g_queue_pop_head(&run->queued)))
			ots_tx_activate(e, next);
	}
	ots_engine_end(e);
	*n = loaded->len;
	g_ptr_array_free(loaded, TRUE);
	return true;
}

bool ots_engine_load(struct ots_engine *e, GError **error)
{
	const char *me = ots_lease_name(e);
	/* several instances: only the cards whose lease this one holds */
	struct ots_db_stmt *st = ots_db_stmt(e->db, me ?
		"SELECT " OTS_TX_COLUMNS " FROM transactions WHERE state < ? AND iccid IN "
		"(SELECT iccid FROM cards WHERE owner = ?) ORDER BY id" :
		"SELECT " OTS_TX_COLUMNS " FROM transactions WHERE state < ? ORDER BY id");
	unsigned n = 0;

	ots_db_bind_int(st, 1, OTS_TX_COMPLETED);
	if (me)
		ots_db_bind_text(st, 2, me);
	if (!load_selected(e, st, &n, error))
		return false;
	if (n)
		g_message("resumed %u unfinished transactions", n);
	return true;
}

bool ots_engine_load_card(struct ots_engine *e, const char *iccid, unsigned *n, GError **error)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db, "SELECT " OTS_TX_COLUMNS " FROM transactions "
				       "WHERE state < ? AND iccid = ? ORDER BY id");

	ots_db_bind_int(st, 1, OTS_TX_COMPLETED);
	ots_db_bind_text(st, 2, iccid);
	return load_selected(e, st, n, error);
}
