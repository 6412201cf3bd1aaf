/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFM operations (transactions/rfm.h, doc/rfm.md "The server side"): the
 * request checked (nothing is stored or sent when it is refused), the script
 * encoded once (TS 102 226 §5.1.1 compact, §5.2.1 expanded), the operation
 * stored as a transaction of action "rfm" with its script in rfm_ops, and
 * its PoR's additional data decoded into R-APDUs (§5.1.2, §5.2.2).  The
 * sending, the PoR matching and the resends with fresh counters are the
 * transaction engine's (tx.c: OTS_CMD_SCRIPT).
 */
#include <string.h>

#include "simota/hex.h"
#include "simota/rfm.h"
#include "transactions/rfm-internal.h"
#include "util.h"

#define INVALID(error, ...) g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, __VA_ARGS__)

struct ots_rfm {
	enum simota_rfm_format format;
	unsigned n_commands;
	char *apdus;              /* JSON array of hex strings */
	uint8_t *script;          /* the secured data */
	size_t len;
	uint64_t campaign;        /* 0: none */
	/* the outcome, once the PoR came */
	bool answered, ok;
};

void ots_rfm_free(struct ots_rfm *rfm)
{
	if (!rfm)
		return;
	g_free(rfm->apdus);
	g_free(rfm->script);
	g_free(rfm);
}

/* ---- the request ------------------------------------------------------------------- */

void ots_rfm_script_clear(struct ots_rfm_script *rs)
{
	g_clear_pointer(&rs->apdus, g_free);
}

static bool tar_member(JsonObject *o, struct simota_rfm_script *s, GError **error)
{
	JsonNode *n = json_object_get_member(o, "tar");
	const char *hex = ots_json_get_string(o, "tar");
	uint8_t tar[3];
	size_t len;

	if (!n) {
		if (!s->has_tar)
			INVALID(error, "tar: missing (the RFM application's TAR, e.g. b00010)");
		return s->has_tar;
	}
	if (!hex || !ots_unhex(hex, tar, 3, &len) || len != 3) {
		INVALID(error, "tar: expected 3 bytes of hex (b00010)");
		return false;
	}
	if (s->has_tar && memcmp(tar, s->tar, 3) != 0) {
		INVALID(error, "tar: differs from the script's tar line");
		return false;
	}
	memcpy(s->tar, tar, 3);
	s->has_tar = true;
	return true;
}

static bool format_member(JsonObject *o, struct simota_rfm_script *s, GError **error)
{
	JsonNode *n = json_object_get_member(o, "format");
	enum simota_rfm_format f;

	if (!n)
		return true;
	if (!simota_rfm_format_from_name(ots_json_get_string(o, "format"), &f)) {
		INVALID(error, "format: expected compact or expanded");
		return false;
	}
	if (s->has_format && f != s->format) {
		INVALID(error, "format: differs from the script's format line");
		return false;
	}
	s->format = f;
	return true;
}

static bool apdus_member(JsonObject *o, struct simota_rfm_script *s, GError **error)
{
	JsonNode *n = json_object_get_member(o, "apdus");
	JsonArray *a = n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
	const char *why;

	if (!a || json_array_get_length(a) == 0) {
		INVALID(error, "apdus: expected an array of C-APDUs in hex, at least one");
		return false;
	}
	for (unsigned i = 0; i < json_array_get_length(a); i++) {
		JsonNode *e = json_array_get_element(a, i);

		if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING) {
			INVALID(error, "apdus[%u]: expected a string of hex", i);
			return false;
		}
		if (simota_rfm_script_add_hex(s, json_node_get_string(e), &why) != SIMOTA_OK) {
			INVALID(error, "apdus[%u]: %s", i, why);
			return false;
		}
	}
	return true;
}

static bool script_member(JsonObject *o, struct simota_rfm_script *s, GError **error)
{
	const char *text = ots_json_get_string(o, "script");
	struct simota_rfm_script_error err;

	if (!text) {
		INVALID(error, "script: expected the text of a script file (doc/rfm.md)");
		return false;
	}
	if (json_object_has_member(o, "apdus")) {
		INVALID(error, "apdus: give the commands either as apdus or in a script, not both");
		return false;
	}
	if (simota_rfm_script_parse(text, strlen(text), s, &err) != SIMOTA_OK) {
		INVALID(error, "script: line %u: %s", err.line, err.why);
		return false;
	}
	return true;
}

/* The commands as the request gave them, each re-encoded (ISO/IEC 7816-4 §5.1), for the JSON. */
static char *apdus_json(const struct simota_rfm_script *s)
{
	JsonArray *a = json_array_new();
	JsonNode *n = json_node_new(JSON_NODE_ARRAY);
	uint8_t buf[SIMOTA_APDU_MAX_LEN];
	char *text;

	for (size_t i = 0; i < s->n; i++) {
		struct simota_writer w = simota_writer_init(buf, sizeof(buf));
		char *hex;

		simota_apdu_write(&w, &s->cmds[i]);
		hex = simota_hex_dup(buf, w.len);
		json_array_add_string_element(a, hex);
		g_free(hex);
	}
	json_node_take_array(n, a);
	text = ots_json_string(n);
	json_node_unref(n);
	return text;
}

/* TS 102 226 §5.1.1, §5.2.1: the secured data; a command compact cannot carry is named. */
static bool encode(struct ots_rfm_script *rs, bool from_script, GError **error)
{
	struct simota_writer w = simota_writer_init(rs->data, sizeof(rs->data));
	size_t bad;
	simota_err err = simota_rfm_script_encode(&rs->s, &w, &bad);

	if (err == SIMOTA_ERR_BAD_VALUE) {
		const char *why = "the compact format writes a command as a T=0 TPDU whose P3 is "
			"Lc or Le by its INS (TS 102 226 §5.1.1), and this one's case does not fit "
			"(data for an outgoing command, or Le alone for an incoming one): send it in "
			"the expanded format";

		if (from_script)
			INVALID(error, "script: command %zu: %s", bad + 1, why);
		else
			INVALID(error, "apdus[%zu]: %s", bad, why);
		return false;
	}
	if (err != SIMOTA_OK) {
		INVALID(error, "%s: %s", from_script ? "script" : "apdus", simota_strerror(err));
		return false;
	}
	rs->len = w.len;
	rs->apdus = apdus_json(&rs->s);
	return true;
}

bool ots_rfm_script_from_json(JsonObject *o, struct ots_rfm_script *rs, GError **error)
{
	bool from_script = json_object_has_member(o, "script");

	simota_rfm_script_init(&rs->s);
	rs->len = 0;
	rs->apdus = NULL;
	if (from_script ? !script_member(o, &rs->s, error) : !apdus_member(o, &rs->s, error))
		return false;
	return tar_member(o, &rs->s, error) && format_member(o, &rs->s, error) &&
	       encode(rs, from_script, error);
}

/* ---- the card --------------------------------------------------------------------- */

/*
 * The longest secured data that still fits the SMS of one command packet
 * for this keyset and TAR (its SPI decides the header, CC and padding):
 * found by building packets of zeros (TS 102 225 §5.1, TS 23.040 §9.2.3.24.1).
 */
static size_t capacity(struct ots_engine *e, struct ots_keyset *ks, const struct simota_card_tar *tar,
		       struct ots_deliver_set *set)
{
	static const uint8_t zeros[OTS_MAX_SEGMENTS * SIMOTA_SMS_UD_MAX];
	size_t lo = 0, hi = sizeof(zeros);

	while (lo < hi) {
		size_t mid = (lo + hi + 1) / 2;

		if (ots_packet_build(e->reg, ks, tar, 1, zeros, mid, &e->sv2_addr, 0, set, NULL))
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* A dry run of the command packet: keys usable, and the script short enough. */
static bool packet_fits(struct ots_engine *e, struct ots_card *card, const struct simota_card_tar *tar,
			int kvn, const struct ots_rfm_script *rs, const char *tar_field, GError **error)
{
	struct ots_deliver_set *set = g_new(struct ots_deliver_set, 1);
	struct ots_keyset *ks = ots_card_keyset(card, (uint8_t)kvn);
	GError *local = NULL;
	bool ok = ots_packet_build(e->reg, ks, tar, 1, rs->data, rs->len, &e->sv2_addr, 0, set, &local);
	size_t cap;

	if (!ok) {
		cap = capacity(e, ks, tar, set);
		if (rs->len > cap)
			INVALID(error, "apdus: the script takes %zu bytes of secured data; a command "
				"packet of %d concatenated SMS carries at most %zu with TAR %02x%02x%02x's "
				"SPI %04x", rs->len, OTS_MAX_SEGMENTS, cap, tar->tar[0], tar->tar[1],
				tar->tar[2], tar->spi);
		else
			INVALID(error, "%s: card %s: %s", tar_field, card->iccid, local->message);
		g_error_free(local);
	}
	g_free(set);
	return ok;
}

bool ots_rfm_target(struct ots_engine *e, const char *iccid, const struct ots_rfm_script *rs,
		    const char *card_field, const char *tar_field, struct ots_card **card,
		    const struct simota_card_tar **tar, int *kvn, GError **error)
{
	const uint8_t *t = rs->s.tar;

	*card = iccid ? ots_registry_get(e->reg, iccid) : NULL;
	if (!*card) {
		INVALID(error, "%s: %s%s", card_field, iccid ? "unknown card " : "missing",
			iccid ? iccid : "");
		return false;
	}
	*tar = ots_card_tar(*card, t);
	if (!*tar) {
		INVALID(error, "%s: card %s has no TAR %02x%02x%02x in its config", tar_field, iccid,
			t[0], t[1], t[2]);
		return false;
	}
	if (strcmp((*tar)->applet, "rfm") != 0) {
		INVALID(error, "%s: TAR %02x%02x%02x of card %s holds the %s applet, not an RFM one",
			tar_field, t[0], t[1], t[2], iccid, (*tar)->applet);
		return false;
	}
	*kvn = ots_card_tar_keyset(*card, *tar);
	if (*kvn < 0) {
		INVALID(error, "%s: card %s has no keyset TAR %02x%02x%02x allows", tar_field, iccid,
			t[0], t[1], t[2]);
		return false;
	}
	return packet_fits(e, *card, *tar, *kvn, rs, tar_field, error);
}

/* ---- the operation ------------------------------------------------------------------- */

static struct ots_rfm *rfm_new(const struct ots_rfm_script *rs, uint64_t campaign)
{
	struct ots_rfm *rfm = g_new0(struct ots_rfm, 1);

	rfm->format = rs->s.format;
	rfm->n_commands = (unsigned)rs->s.n;
	rfm->apdus = g_strdup(rs->apdus);
	rfm->script = g_memdup2(rs->data, rs->len);
	rfm->len = rs->len;
	rfm->campaign = campaign;
	return rfm;
}

bool ots_rfm_start(struct ots_engine *e, struct ots_card *card, const struct simota_card_tar *tar,
		   int kvn, const struct ots_rfm_script *rs, uint64_t campaign, uint64_t *id,
		   GError **error)
{
	struct ots_tx *tx = g_new0(struct ots_tx, 1);

	tx->engine = e;
	g_strlcpy(tx->iccid, card->iccid, sizeof(tx->iccid));
	memcpy(tx->tar, tar->tar, 3);
	tx->kvn = (uint8_t)kvn;
	tx->action = OTS_ACTION_RFM;
	tx->items = g_ptr_array_new_with_free_func(g_free);
	/* no EV rule ever fires for it; stored all the same */
	ots_ev_policy_init(&tx->ev);
	tx->ev.preset_ms = e->cfg.preset_ms;
	tx->ev.deadline_ms = e->cfg.deadline_ms;
	tx->state = OTS_TX_QUEUED;
	tx->created_us = g_get_real_time();
	tx->rfm = rfm_new(rs, campaign);
	return ots_tx_enqueue(e, tx, id, error);
}

bool ots_rfm_insert(struct ots_engine *e, const struct ots_tx *tx, GError **error)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db, "INSERT INTO rfm_ops(tx_id, format, apdus, "
					     "script, campaign_id) VALUES(?, ?, ?, ?, ?)");

	ots_db_bind_int(st, 1, (int64_t)tx->id);
	ots_db_bind_int(st, 2, tx->rfm->format);
	ots_db_bind_text(st, 3, tx->rfm->apdus);
	ots_db_bind_blob(st, 4, tx->rfm->script, tx->rfm->len);
	if (tx->rfm->campaign)
		ots_db_bind_int(st, 5, (int64_t)tx->rfm->campaign);
	return ots_db_run(st, error);
}

static unsigned json_array_text_length(const char *text)
{
	JsonNode *n = ots_json_parse(text);
	unsigned len = n && JSON_NODE_HOLDS_ARRAY(n) ? json_array_get_length(json_node_get_array(n)) : 0;

	if (n)
		json_node_unref(n);
	return len;
}

bool ots_rfm_load(struct ots_engine *e, struct ots_tx *tx)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db, "SELECT format, apdus, script, campaign_id "
					     "FROM rfm_ops WHERE tx_id = ?");
	bool found;

	ots_db_bind_int(st, 1, (int64_t)tx->id);
	found = ots_db_next(st, NULL);
	if (found) {
		const uint8_t *p;
		size_t len;

		tx->rfm = g_new0(struct ots_rfm, 1);
		tx->rfm->format = ots_db_column_int(st, 0) ? SIMOTA_RFM_EXPANDED : SIMOTA_RFM_COMPACT;
		tx->rfm->apdus = g_strdup(ots_db_column_text(st, 1));
		tx->rfm->n_commands = json_array_text_length(tx->rfm->apdus);
		p = ots_db_column_blob(st, 2, &len);
		tx->rfm->script = g_memdup2(p, len);
		tx->rfm->len = len;
		tx->rfm->campaign = (uint64_t)ots_db_column_int(st, 3);
	}
	ots_db_reset(st);
	return found;
}

bool ots_rfm_message(const struct ots_tx *tx, uint8_t *out, size_t cap, size_t *len,
		     GError **error)
{
	if (tx->rfm->len > cap) {
		INVALID(error, "script: %zu bytes, more than a command packet holds", tx->rfm->len);
		return false;
	}
	memcpy(out, tx->rfm->script, tx->rfm->len);
	*len = tx->rfm->len;
	return true;
}

/* ---- the PoR -------------------------------------------------------------------------- */

static void set_hex(JsonObject *o, const char *name, const uint8_t *p, size_t len)
{
	char *hex = simota_hex_dup(p, len);

	json_object_set_string_member(o, name, hex);
	g_free(hex);
}

static void set_sw(JsonObject *o, const char *name, uint16_t sw)
{
	char buf[8];

	g_snprintf(buf, sizeof(buf), "%04x", sw);
	json_object_set_string_member(o, name, buf);
}

static JsonObject *rapdu_json(unsigned index, uint16_t sw, const uint8_t *data, size_t len)
{
	JsonObject *r = json_object_new();

	json_object_set_int_member(r, "index", index);
	set_sw(r, "sw", sw);
	set_hex(r, "data", data, len);
	return r;
}

/*
 * TS 102 226 §5.1.2: count, SW1 SW2 and data of the last executed command.
 * The one R-APDU known is that of command count (index count - 1).
 */
static bool compact_result(const struct simota_ota_response *rsp, JsonObject *o,
			   unsigned n_commands, bool *ok, const char **why)
{
	struct simota_rfm_compact_response c;
	JsonArray *a = json_array_new();

	if (simota_rfm_compact_response_decode(rsp->data, rsp->data_len, &c) != SIMOTA_OK) {
		json_array_unref(a);
		*why = "a compact response needs at least 3 bytes (TS 102 226 §5.1.2)";
		return false;
	}
	json_object_set_int_member(o, "executed", c.count);
	if (c.count)
		json_array_add_object_element(a, rapdu_json(c.count - 1, c.sw, c.data, c.data_len));
	json_object_set_array_member(o, "rapdus", a);
	set_sw(o, "sw", c.sw);
	set_hex(o, "data", c.data, c.data_len);
	*ok = c.count == n_commands && simota_rfm_sw_continues(c.sw);
	return true;
}

/* TS 102 226 §5.2.2: every R-APDU of the response scripting template. */
static bool expanded_result(const struct simota_ota_response *rsp, JsonObject *o,
			    unsigned n_commands, bool *ok, const char **why)
{
	static const char *const bad_names[] = {
		[SIMOTA_RFM_BAD_FORMAT_UNKNOWN_TAG] = "unknown tag",
		[SIMOTA_RFM_BAD_FORMAT_WRONG_LENGTH] = "wrong length",
		[SIMOTA_RFM_BAD_FORMAT_NO_LENGTH] = "length missing",
	};
	struct simota_rfm_expanded_response x;
	struct simota_rfm_rapdu_iter it;
	struct simota_rfm_rapdu r;
	JsonArray *a;
	unsigned i = 0;
	uint16_t last_sw = 0;

	if (simota_rfm_expanded_response_decode(rsp->data, rsp->data_len, &x) != SIMOTA_OK) {
		*why = "no response scripting template (TS 102 226 §5.2.2)";
		return false;
	}
	a = json_array_new();
	simota_rfm_rapdu_iter_init(&it, &x);
	while (simota_rfm_rapdu_next(&it, &r)) {
		json_array_add_object_element(a, rapdu_json(i++, r.sw, r.data, r.len));
		last_sw = r.sw;
		set_sw(o, "sw", r.sw);
		set_hex(o, "data", r.data, r.len);
	}
	json_object_set_int_member(o, "executed", x.count);
	json_object_set_array_member(o, "rapdus", a);
	if (x.bad_format != SIMOTA_RFM_BAD_FORMAT_NONE)
		json_object_set_string_member(o, "bad-format",
					      (unsigned)x.bad_format < G_N_ELEMENTS(bad_names) &&
					      bad_names[x.bad_format] ? bad_names[x.bad_format] : "?");
	*ok = x.count == n_commands && x.bad_format == SIMOTA_RFM_BAD_FORMAT_NONE && i > 0 &&
	      simota_rfm_sw_continues(last_sw);
	return true;
}

/* Takes result. */
static void store_result(struct ots_engine *e, struct ots_tx *tx, JsonObject *result)
{
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);
	struct ots_db_stmt *st;
	GError *error = NULL;

	json_node_take_object(n, result);
	st = ots_db_stmt(e->db, "UPDATE transactions SET result = ? WHERE id = ?");
	ots_db_bind_text_take(st, 1, ots_json_string(n));
	ots_db_bind_int(st, 2, (int64_t)tx->id);
	if (!ots_db_run(st, &error))
		ots_engine_db_failed(e, error);
	json_node_unref(n);
	tx->has_result = true;
}

/* The script's outcome in words, for "why" and the campaign. */
static char *script_failure(JsonObject *result, unsigned n_commands)
{
	int64_t executed = json_object_get_int_member_with_default(result, "executed", 0);
	const char *sw = json_object_get_string_member_with_default(result, "sw", "?");
	const char *bad = json_object_get_string_member_with_default(result, "bad-format", NULL);

	if (bad)
		return g_strdup_printf("the card found the script malformed (%s) after %" G_GINT64_FORMAT
				       " commands", bad, executed);
	if (executed < n_commands)
		return g_strdup_printf("command %" G_GINT64_FORMAT " of %u stopped the script with %s",
				       executed, n_commands, sw);
	return g_strdup_printf("the last command answered %s", sw);
}

void ots_rfm_on_por(struct ots_engine *e, struct ots_tx *tx, const struct simota_ota_response *rsp)
{
	struct ots_rfm *rfm = tx->rfm;
	JsonObject *result = json_object_new();
	GString *d;
	const char *why = NULL;
	char *text;
	bool decoded;

	rfm->answered = true;
	json_object_set_int_member(result, "por-status", rsp->status);
	json_object_set_string_member(result, "por-status-name", simota_ota_status_name(rsp->status));
	if (rsp->status != SIMOTA_OTA_STATUS_OK) {
		/* TS 102 225 §5.2.2: the card refused the packet; nothing of the script ran */
		store_result(e, tx, json_object_ref(result));
		d = ots_detail_new();
		ots_detail_int(d, "status", rsp->status);
		ots_detail_str(d, "status-name", simota_ota_status_name(rsp->status));
		ots_tx_event(e, tx, "por-error", d);
		text = g_strdup_printf("PoR status %02x (%s)", rsp->status,
				       simota_ota_status_name(rsp->status));
		ots_tx_fail(e, tx, text);
		g_free(text);
		json_object_unref(result);
		return;
	}
	json_object_set_string_member(result, "format", simota_rfm_format_name(rfm->format));
	json_object_set_int_member(result, "commands", rfm->n_commands);
	decoded = rfm->format == SIMOTA_RFM_EXPANDED ?
		expanded_result(rsp, result, rfm->n_commands, &rfm->ok, &why) :
		compact_result(rsp, result, rfm->n_commands, &rfm->ok, &why);
	if (!decoded) {
		set_hex(result, "data", rsp->data, rsp->data_len);
		store_result(e, tx, json_object_ref(result));
		text = g_strdup_printf("undecodable RFM response: %s", why);
		ots_tx_fail(e, tx, text);
		g_free(text);
		json_object_unref(result);
		return;
	}
	json_object_set_boolean_member(result, "ok", rfm->ok);
	store_result(e, tx, json_object_ref(result));
	d = ots_detail_new();
	ots_detail_node(d, "result", json_node_init_object(json_node_alloc(), result));
	ots_tx_event(e, tx, "rfm-result", d);
	if (!rfm->ok) {
		g_free(tx->why);
		tx->why = script_failure(result, rfm->n_commands);
	}
	json_object_unref(result);
	ots_tx_complete(e, tx);
}

void ots_rfm_finished(struct ots_engine *e, struct ots_tx *tx, enum ots_tx_state final)
{
	struct ots_rfm *rfm = tx->rfm;

	if (!rfm->campaign)
		return;
	ots_campaign_op_finished(e, rfm->campaign, tx->iccid, tx->id, rfm->answered,
				 final == OTS_TX_COMPLETED && rfm->ok, tx->why);
}

bool ots_rfm_cancel_queued(struct ots_engine *e, uint64_t id, const char *why)
{
	struct ots_tx *tx = g_hash_table_lookup(e->txs, &id);

	if (!tx || !tx->rfm || tx->state != OTS_TX_QUEUED)
		return false;
	ots_tx_fail(e, tx, why);
	return true;
}

/* ---- API ----------------------------------------------------------------------------- */

static const char *const request_members[] = { "iccid", "tar", "apdus", "format", "script", NULL };

bool ots_engine_rfm_start_json(struct ots_engine *e, JsonNode *request, uint64_t *id, GError **error)
{
	struct ots_rfm_script *rs = g_new0(struct ots_rfm_script, 1);
	const struct simota_card_tar *tar;
	struct ots_card *card;
	JsonObject *o;
	int kvn;
	bool ok;

	if (!request || !JSON_NODE_HOLDS_OBJECT(request)) {
		INVALID(error, "body: expected a JSON object");
		g_free(rs);
		return false;
	}
	o = json_node_get_object(request);
	ok = ots_json_members_known(o, request_members, error);
	if (ok && !ots_json_get_string(o, "iccid")) {
		INVALID(error, "iccid: expected a string");
		ok = false;
	}
	ok = ok && ots_rfm_script_from_json(o, rs, error) &&
	     ots_rfm_target(e, ots_json_get_string(o, "iccid"), rs, "iccid", "tar", &card, &tar, &kvn,
			    error) &&
	     ots_rfm_start(e, card, tar, kvn, rs, 0, id, error);
	ots_rfm_script_clear(rs);
	g_free(rs);
	return ok;
}

/* The script's members of an operation's JSON, from rfm_ops' format, apdus, campaign_id at col. */
static void rfm_members(JsonObject *o, struct ots_db_stmt *st, int col)
{
	JsonNode *apdus = ots_json_parse(ots_db_column_text(st, col + 1));

	json_object_set_string_member(o, "format",
				      simota_rfm_format_name(ots_db_column_int(st, col) ?
							     SIMOTA_RFM_EXPANDED : SIMOTA_RFM_COMPACT));
	json_object_set_member(o, "apdus", apdus ? apdus : json_node_new(JSON_NODE_NULL));
	if (ots_db_column_null(st, col + 2))
		json_object_set_null_member(o, "campaign");
	else
		json_object_set_int_member(o, "campaign", ots_db_column_int(st, col + 2));
}

JsonNode *ots_rfm_json(struct ots_engine *e, uint64_t id)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db, "SELECT format, apdus, campaign_id FROM rfm_ops "
					     "WHERE tx_id = ?");
	JsonNode *n = NULL;

	ots_db_bind_int(st, 1, (int64_t)id);
	if (ots_db_next(st, NULL)) {
		JsonObject *o = json_object_new();

		rfm_members(o, st, 0);
		n = json_node_new(JSON_NODE_OBJECT);
		json_node_take_object(n, o);
	}
	ots_db_reset(st);
	return n;
}

/* The operation as doc/api.md shows it: the transaction's members, with the script's beside them. */
static JsonNode *op_json(JsonNode *tx)
{
	JsonObject *o = json_node_get_object(tx);
	JsonNode *rfm = json_object_dup_member(o, "rfm");
	static const char *const dropped[] = {
		"txid", "action", "text", "items", "input", "ev", "deadline", "rq", "rfm", "default-item",
	};

	for (unsigned i = 0; i < G_N_ELEMENTS(dropped); i++)
		json_object_remove_member(o, dropped[i]);
	if (json_object_has_member(o, "c1-sent")) {
		json_object_set_member(o, "sent", json_object_dup_member(o, "c1-sent"));
		json_object_remove_member(o, "c1-sent");
	}
	if (rfm && JSON_NODE_HOLDS_OBJECT(rfm)) {
		JsonObject *r = json_node_get_object(rfm);
		GList *names = json_object_get_members(r);

		for (GList *l = names; l; l = l->next)
			json_object_set_member(o, l->data, json_object_dup_member(r, l->data));
		g_list_free(names);
	}
	if (rfm)
		json_node_unref(rfm);
	return tx;
}

JsonNode *ots_engine_rfm_get(struct ots_engine *e, uint64_t id, GError **error)
{
	JsonNode *tx = ots_engine_tx_get(e, id, error);

	if (tx && strcmp(json_object_get_string_member_with_default(json_node_get_object(tx),
								   "action", ""), "rfm") != 0) {
		json_node_unref(tx);
		g_set_error(error, OTS_ERROR, OTS_ERROR_NOT_FOUND,
			    "transaction %" G_GUINT64_FORMAT " is no RFM operation", id);
		return NULL;
	}
	return tx ? op_json(tx) : NULL;
}

/* OTS_TX_COLUMNS, then rfm_ops' (no name in common: none needs its table's name) */
#define OP_COLUMNS OTS_TX_COLUMNS ", format, apdus, campaign_id"
#define OP_RFM_COL OTS_TX_N_COLUMNS

JsonNode *ots_engine_rfm_list(struct ots_engine *e, const char *state, const char *iccid,
			      uint64_t campaign, GError **error)
{
	enum ots_tx_state s = OTS_TX_QUEUED;
	GString *sql;
	struct ots_db_stmt *st;
	JsonArray *a;
	JsonNode *n;
	int arg = 1;

	if (state && (!ots_tx_state_from_name(state, &s) || strcmp(state, "c1-sent") == 0 ||
		      (s != OTS_TX_QUEUED && s != OTS_TX_C1_SENT && s != OTS_TX_COMPLETED &&
		       s != OTS_TX_FAILED))) {
		INVALID(error, "state: expected queued, sent, completed or failed");
		return NULL;
	}
	sql = g_string_new("SELECT " OP_COLUMNS " FROM transactions JOIN rfm_ops ON tx_id = id "
			   "WHERE action = ?");
	if (state)
		g_string_append(sql, " AND state = ?");
	if (iccid)
		g_string_append(sql, " AND iccid = ?");
	if (campaign)
		g_string_append(sql, " AND campaign_id = ?");
	g_string_append(sql, " ORDER BY id DESC");
	st = ots_db_stmt(e->db, sql->str);
	ots_db_bind_int(st, arg++, OTS_ACTION_RFM);
	if (state)
		ots_db_bind_int(st, arg++, s);
	if (iccid)
		ots_db_bind_text(st, arg++, iccid);
	if (campaign)
		ots_db_bind_int(st, arg++, (int64_t)campaign);
	a = json_array_new();
	while (ots_db_next(st, NULL)) {
		JsonNode *op = ots_tx_row_json(e, st, false);

		rfm_members(json_node_get_object(op), st, OP_RFM_COL);
		json_array_add_element(a, op_json(op));
	}
	ots_db_reset(st);
	g_string_free(sql, TRUE);
	n = json_node_new(JSON_NODE_ARRAY);
	json_node_take_array(n, a);
	return n;
}
