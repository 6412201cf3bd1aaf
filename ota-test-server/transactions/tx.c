/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The deferred-transaction state machine of the application server (SV1;
 * doc/protocol.md §5, doc/architecture.md steps 2-15): what is sent when,
 * and what each PoR, MG and timer does to a transaction.
 *
 *   queued -> c1-sent -> waiting -> c2-sent -> releasing -> completed
 *                 |          ^          |           (R1 stored first)
 *                 |          +-pending--+
 *                 +-> failed       waiting -deadline-> releasing -> expired
 *
 * EV rules (the earliest enabled one sends C2): the MG; the RQ's fixed
 * duration (or an until-event bound) since C1; the preset time since C1
 * (not for an indefinite RQ: then only MG or an explicit poll).  An R2S
 * "pending" re-arms C2 with a doubling backoff (at least the card's new
 * estimate) until the deadline.  Every change is written in the caller's
 * DB transaction (see engine-internal.h).
 */
#include <string.h>

#include "transactions/engine-internal.h"
#include "util.h"

#define MSG_CAP 4096

static const char *const cmd_names[] = { "?", "c1", "c2", "release", "script" };

void ots_tx_free(struct ots_tx *tx)
{
	if (!tx)
		return;
	if (tx->timer)
		g_source_remove(tx->timer);
	g_free(tx->text);
	if (tx->items)
		g_ptr_array_free(tx->items, TRUE);
	g_free(tx->why);
	g_free(tx->cmd);
	ots_rfm_free(tx->rfm);
	g_free(tx);
}

/*
 * A timeline row waits in the bracket's events and is written with the
 * batch's others in a few multi-row INSERTs (ots_timeline_write): one
 * statement per row was 13 per transaction, the most frequent the engine
 * ran (doc/scaling.md).  Its seq is known once written, before the event
 * leaves (after the COMMIT).
 */
void ots_timeline_add(struct ots_engine *e, uint64_t tx_id, const char *iccid, const char *kind,
		      GString *detail)
{
	struct ots_pending_event *ev = g_new0(struct ots_pending_event, 1);

	ev->tx_id = tx_id;
	g_strlcpy(ev->iccid, iccid ? iccid : "", sizeof(ev->iccid));
	ev->at_us = g_get_real_time();
	ev->kind = g_strdup(kind);
	ev->detail = ots_detail_end(detail);
	g_ptr_array_add(e->events, ev);
}

/* INSERTs of 16, 8, 4, 2 and 1 rows: at most five statements for the rows of a batch past 16s. */
#define ROW "(?, ?, ?, ?)"
#define ROWS2 ROW ", " ROW
#define ROWS4 ROWS2 ", " ROWS2
#define ROWS8 ROWS4 ", " ROWS4
#define ROWS16 ROWS8 ", " ROWS8
#define TIMELINE_INSERT "INSERT INTO timeline(tx_id, at, event, detail) VALUES "

static const struct {
	unsigned rows;
	const char *sqlite, *pg;
} timeline_inserts[] = {
	/* SQLite numbers a statement's rows in order (one writer): the last rowid says them all;
	 * PostgreSQL's nextval() calls of two instances may interleave: each row's is returned */
	{ 16, TIMELINE_INSERT ROWS16, TIMELINE_INSERT ROWS16 " RETURNING seq" },
	{ 8, TIMELINE_INSERT ROWS8, TIMELINE_INSERT ROWS8 " RETURNING seq" },
	{ 4, TIMELINE_INSERT ROWS4, TIMELINE_INSERT ROWS4 " RETURNING seq" },
	{ 2, TIMELINE_INSERT ROWS2, TIMELINE_INSERT ROWS2 " RETURNING seq" },
	{ 1, TIMELINE_INSERT ROW, TIMELINE_INSERT ROW " RETURNING seq" },
};

static int cmp_seq(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Writes rows [0, n) of evs (n one of timeline_inserts' sizes) and sets their seqs. */
static bool timeline_insert(struct ots_engine *e, struct ots_pending_event **evs, unsigned n,
			    GError **error)
{
	bool pg = ots_db_backend(e->db) == OTS_DB_POSTGRES;
	struct ots_db_stmt *st = NULL;
	int64_t seqs[16];
	unsigned got = 0;
	GError *local = NULL;

	for (unsigned i = 0; i < G_N_ELEMENTS(timeline_inserts); i++)
		if (timeline_inserts[i].rows == n)
			st = ots_db_stmt(e->db, pg ? timeline_inserts[i].pg : timeline_inserts[i].sqlite);
	g_assert(st);
	for (unsigned i = 0; i < n; i++) {
		ots_db_bind_int(st, 4 * i + 1, (int64_t)evs[i]->tx_id);
		ots_db_bind_int(st, 4 * i + 2, evs[i]->at_us);
		ots_db_bind_text(st, 4 * i + 3, evs[i]->kind);
		ots_db_bind_text(st, 4 * i + 4, evs[i]->detail);
	}
	if (!pg) {
		int64_t last;

		if (!ots_db_run(st, error))
			return false;
		last = ots_db_last_insert_id(e->db);
		for (unsigned i = 0; i < n; i++)
			evs[i]->seq = last - (int64_t)(n - 1 - i);
		return true;
	}
	while (got < n && ots_db_next(st, &local))
		seqs[got++] = ots_db_column_int(st, 0);
	ots_db_reset(st);
	if (local || got != n) {
		if (!local)
			g_set_error(&local, OTS_ERROR, OTS_ERROR_DB, "timeline: %u of %u rows written",
				    got, n);
		g_propagate_error(error, local);
		return false;
	}
	/* nextval() ran in the rows' order */
	qsort(seqs, n, sizeof(seqs[0]), cmp_seq);
	for (unsigned i = 0; i < n; i++)
		evs[i]->seq = seqs[i];
	return true;
}

static bool timeline_write_all(struct ots_engine *e, GPtrArray *events, GError **error)
{
	struct ots_pending_event **evs = (struct ots_pending_event **)events->pdata;
	unsigned i = 0, n = events->len;

	/* the written ones are the first: rows are written in order, a batch's before a bracket's */
	while (i < n && evs[i]->seq)
		i++;
	while (i < n) {
		unsigned k = 16;

		while (k > n - i)
			k /= 2;
		if (!timeline_insert(e, evs + i, k, error))
			return false;
		i += k;
	}
	return true;
}

bool ots_timeline_write(struct ots_engine *e, GError **error)
{
	return timeline_write_all(e, e->batch_events, error) &&
	       timeline_write_all(e, e->events, error);
}

/* Appends to the timeline (written with the batch); dispatched after commit. */
void ots_tx_event(struct ots_engine *e, struct ots_tx *tx, const char *kind, GString *detail)
{
	ots_timeline_add(e, tx->id, tx->iccid, kind, detail);
	/* g_info() formats its message before the handler drops it (G_MESSAGES_DEBUG unset,
	 * no --verbose): 3% of the engine's time under load */
	if (!g_log_writer_default_would_drop(G_LOG_LEVEL_INFO, G_LOG_DOMAIN))
		g_info("tx %" G_GUINT64_FORMAT " (%s %08x): %s", tx->id, tx->iccid, tx->txid, kind);
}

static void tx_save(struct ots_engine *e, struct ots_tx *tx)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db,
		"UPDATE transactions SET state = ?, c1_at = ?, deadline = ?, rq = coalesce(?, rq), attempts = ?, "
		"backoff_ms = ?, due = ?, due_kind = ?, outcome = ?, why = ? WHERE id = ?");
	GError *error = NULL;

	ots_db_bind_int(st, 1, tx->state);
	if (tx->c1_at_us)
		ots_db_bind_int(st, 2, tx->c1_at_us);
	if (tx->deadline_us)
		ots_db_bind_int(st, 3, tx->deadline_us);
	/* the RQ, set once (the IR), is written once; NULL keeps the row's */
	if (tx->has_rq && !tx->rq_stored) {
		JsonNode *n = ots_rq_to_json(&tx->rq);

		ots_db_bind_text_take(st, 4, ots_json_string(n));
		json_node_unref(n);
		tx->rq_stored = true;
	}
	ots_db_bind_int(st, 5, (int)tx->attempts | (int)tx->last_kind << 16);
	ots_db_bind_int(st, 6, tx->backoff_ms);
	if (tx->due != OTS_DUE_NONE)
		ots_db_bind_int(st, 7, tx->due_us);
	ots_db_bind_int(st, 8, tx->due);
	ots_db_bind_int(st, 9, tx->outcome);
	if (tx->why)
		ots_db_bind_text(st, 10, tx->why);
	ots_db_bind_int(st, 11, (int64_t)tx->id);
	if (!ots_db_run(st, &error))
		ots_engine_db_failed(e, error);
}

bool ots_tx_insert(struct ots_engine *e, struct ots_tx *tx, GError **error)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db,
		"INSERT INTO transactions(iccid, txid, tar, kvn, action, text, items, input, ev, "
		"state, created, default_item) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	JsonNode *n;
	int64_t id;

	ots_db_bind_text(st, 1, tx->iccid);
	ots_db_bind_int(st, 2, tx->txid);
	ots_db_bind_text_take(st, 3, ots_hex(tx->tar, 3));
	ots_db_bind_int(st, 4, tx->kvn);
	ots_db_bind_int(st, 5, tx->action);
	if (tx->text)
		ots_db_bind_text(st, 6, tx->text);
	if (tx->items && tx->items->len) {
		JsonArray *a = json_array_new();

		for (unsigned i = 0; i < tx->items->len; i++)
			json_array_add_string_element(a, tx->items->pdata[i]);
		n = json_node_new(JSON_NODE_ARRAY);
		json_node_take_array(n, a);
		ots_db_bind_text_take(st, 7, ots_json_string(n));
		json_node_unref(n);
	}
	if (tx->has_input) {
		n = ots_input_to_json(&tx->input);
		ots_db_bind_text_take(st, 8, ots_json_string(n));
		json_node_unref(n);
	}
	n = ots_ev_to_json(&tx->ev);
	ots_db_bind_text_take(st, 9, ots_json_string(n));
	json_node_unref(n);
	ots_db_bind_int(st, 10, tx->state);
	ots_db_bind_int(st, 11, tx->created_us);
	if (tx->default_item)
		ots_db_bind_int(st, 12, tx->default_item);
	if (!ots_db_insert(st, "id", &id, error))
		return false;
	tx->id = (uint64_t)id;
	return !tx->rfm || ots_rfm_insert(e, tx, error);
}

static gboolean tx_timer_cb(gpointer p);

void ots_tx_arm(struct ots_engine *e, struct ots_tx *tx)
{
	int64_t delay;

	if (tx->timer) {
		g_source_remove(tx->timer);
		tx->timer = 0;
	}
	if (tx->due == OTS_DUE_NONE)
		return;
	delay = (tx->due_us - g_get_real_time()) / 1000;
	if (delay < 0)
		delay = 0;
	if (delay > G_MAXUINT / 2)
		delay = G_MAXUINT / 2;
	tx->timer = g_timeout_add((guint)delay, tx_timer_cb, tx);
}

static void set_due(struct ots_engine *e, struct ots_tx *tx, enum ots_due due, int64_t at)
{
	tx->due = due;
	tx->due_us = at;
	ots_tx_arm(e, tx);
}

/* ---- commands ------------------------------------------------------------ */

static void cmd_close(struct ots_engine *e, struct ots_tx *tx)
{
	struct ots_cmd *cmd = tx->cmd;
	struct ots_db_stmt *st;
	GError *error = NULL;

	if (!cmd)
		return;
	for (unsigned i = 0; i < cmd->n_segs; i++)
		g_hash_table_remove(e->msgs, GUINT_TO_POINTER(cmd->msg_id + i));
	ots_engine_cancel_sms(e, cmd->msg_id, cmd->n_segs);
	st = ots_db_stmt(e->db, "UPDATE commands SET open = 0 WHERE id = ?");
	ots_db_bind_int(st, 1, (int64_t)cmd->id);
	if (!ots_db_run(st, &error))
		ots_engine_db_failed(e, error);
	g_free(cmd);
	tx->cmd = NULL;
}

/* doc/protocol.md §4.1: the C1 of the transaction's request (its texts point into tx). */
static void c1_of(struct ots_engine *e, const struct ots_tx *tx, struct simota_deferred_msg *m)
{
	m->action = tx->action;
	if (tx->text) {
		m->text = tx->text;
		m->text_len = strlen(tx->text);
	}
	for (unsigned i = 0; tx->items && i < tx->items->len; i++) {
		m->items[i].id = (uint8_t)(i + 1);
		m->items[i].text = tx->items->pdata[i];
		m->items[i].text_len = strlen(tx->items->pdata[i]);
		m->n_items++;
	}
	m->default_item = tx->default_item;
	m->has_input = tx->has_input;
	m->input = tx->input;
	if (tx->ev.on_mg) {
		m->has_sv1_address = true;
		m->sv1_address = e->sv1_addr;
	}
	m->wanted = tx->ev.wanted;
}

/* The secured data of a C1, C2 or release (doc/protocol.md §4). */
static bool build_message(struct ots_engine *e, struct ots_tx *tx, enum ots_cmd_kind kind,
			  uint8_t *out, size_t cap, size_t *len, GError **error)
{
	static const enum simota_deferred_type types[] = {
		0, SIMOTA_DEFERRED_C1, SIMOTA_DEFERRED_C2, SIMOTA_DEFERRED_RELEASE
	};
	struct simota_deferred_msg *m = g_new(struct simota_deferred_msg, 1);   /* 64 items */
	simota_err err;

	if (kind == OTS_CMD_SCRIPT) {
		g_free(m);
		return ots_rfm_message(tx, out, cap, len, error);
	}
	simota_deferred_init(m, types[kind], tx->txid);
	if (kind == OTS_CMD_C1)
		c1_of(e, tx, m);
	err = simota_deferred_encode(m, out, cap, len);
	g_free(m);
	if (err != SIMOTA_OK) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "%s: %s",
			    simota_deferred_type_name(types[kind]), simota_strerror(err));
		return false;
	}
	return true;
}

static void tx_fail(struct ots_engine *e, struct ots_tx *tx, const char *why);
static void tx_finish(struct ots_engine *e, struct ots_tx *tx, enum ots_tx_state final);

/*
 * SMS ids for n segments, from a block of OTS_MSG_ID_BLOCK reserved at
 * once, so that a transaction does not pay a statement on the shared
 * counter row for each command.  Instances sharing a PostgreSQL database
 * reserve their blocks committed at once (ots_db_meta_reserve): no batch
 * holds the shared row, and no two instances get the same id.  On SQLite
 * the one server reserves in the open batch: a block reserved by an entry
 * point that is rolled back, or in a batch that does not commit, is
 * dropped with it (ots_engine_end, ots_engine_flush), as are the SMS that
 * took ids from it, none of which has left.
 */
#define OTS_MSG_ID_BLOCK 1024
static bool take_msg_ids(struct ots_engine *e, unsigned n, int64_t *first, GError **error)
{
	if (e->msg_next + n > e->msg_end) {
		int64_t block = MAX(n, OTS_MSG_ID_BLOCK);

		if (ots_db_backend(e->db) == OTS_DB_POSTGRES) {
			if (!ots_db_meta_reserve(e->db, "msg_id", block, &e->msg_next, error))
				return false;
		} else {
			if (!ots_db_meta_take(e->db, "msg_id", block, &e->msg_next, error))
				return false;
			e->msg_block_uncommitted = e->msg_block_in_entry = true;
		}
		e->msg_end = e->msg_next + block;
	}
	*first = e->msg_next;
	e->msg_next += n;
	return true;
}

/*
 * The SMS of a command: its message, secured with the keyset's next
 * counter (taken in this DB transaction), and the SMS ids of its segments.
 * Fails the transaction when that cannot be done.
 */
static bool secure_command(struct ots_engine *e, struct ots_tx *tx, enum ots_cmd_kind kind,
			   struct ots_deliver_set *set, struct ots_card **card_out,
			   uint64_t *cntr, int64_t *msg_id)
{
	struct ots_card *card = ots_registry_get(e->reg, tx->iccid);
	const struct simota_card_tar *tar = card ? ots_card_tar(card, tx->tar) : NULL;
	struct ots_keyset *ks = card ? ots_card_keyset(card, tx->kvn) : NULL;
	uint8_t data[MSG_CAP];
	size_t len;
	GError *error = NULL;
	char *why;

	if (!tar || !ks) {
		tx_fail(e, tx, "the card, its TAR or its keyset is no longer registered");
		return false;
	}
	if (!build_message(e, tx, kind, data, sizeof(data), &len, &error) ||
	    !ots_registry_take_counter(e->reg, tx->iccid, tx->kvn, cntr, &error) ||
	    !ots_packet_build(e->reg, ks, tar, *cntr, data, len, &e->sv2_addr, (uint8_t)*cntr,
			      set, &error) ||
	    !take_msg_ids(e, set->n, msg_id, &error)) {
		why = g_strdup_printf("cannot send %s: %s", cmd_names[kind], error->message);
		g_error_free(error);
		tx_fail(e, tx, why);
		g_free(why);
		return false;
	}
	*card_out = card;
	return true;
}

/* Sends of the same message are counted; another message starts again at 1. */
static void count_attempt(struct ots_tx *tx, enum ots_cmd_kind kind)
{
	if (tx->last_kind != kind) {
		tx->last_kind = kind;
		tx->attempts = 0;
	}
	tx->attempts++;
}

/* The outstanding command: its row (in this DB transaction) and its SMS ids. */
static bool cmd_open(struct ots_engine *e, struct ots_tx *tx, enum ots_cmd_kind kind,
		     uint64_t cntr, int64_t msg_id, unsigned n_segs, int64_t now)
{
	struct ots_cmd *cmd = g_new0(struct ots_cmd, 1);
	struct ots_db_stmt *st;
	GError *error = NULL;
	int64_t id;

	cmd->tx_id = tx->id;
	cmd->kind = kind;
	cmd->kvn = tx->kvn;
	cmd->cntr = cntr;
	cmd->msg_id = (uint32_t)msg_id;
	cmd->n_segs = n_segs;
	cmd->attempt = tx->attempts;
	cmd->sent_us = now;
	st = ots_db_stmt(e->db, "INSERT INTO commands(tx_id, kind, iccid, kvn, tar, cntr, msg_id, "
			 "n_segs, attempt, sent, por_deadline) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	ots_db_bind_int(st, 1, (int64_t)tx->id);
	ots_db_bind_int(st, 2, kind);
	ots_db_bind_text(st, 3, tx->iccid);
	ots_db_bind_int(st, 4, tx->kvn);
	ots_db_bind_text_take(st, 5, ots_hex(tx->tar, 3));
	ots_db_bind_int(st, 6, (int64_t)cntr);
	ots_db_bind_int(st, 7, msg_id);
	ots_db_bind_int(st, 8, (int)n_segs);
	ots_db_bind_int(st, 9, (int)tx->attempts);
	ots_db_bind_int(st, 10, now);
	ots_db_bind_int(st, 11, now + (int64_t)e->cfg.por_timeout_ms * 1000);
	if (!ots_db_insert(st, "id", &id, &error)) {
		g_free(cmd);
		ots_engine_db_failed(e, error);
		return false;
	}
	cmd->id = (uint64_t)id;
	tx->cmd = cmd;
	for (unsigned i = 0; i < n_segs; i++)
		g_hash_table_insert(e->msgs, GUINT_TO_POINTER(cmd->msg_id + i), cmd);
	return true;
}

/* The transaction after a send: its state, C1's time and the deadline, the PoR timer. */
static void tx_sent(struct ots_engine *e, struct ots_tx *tx, enum ots_cmd_kind kind, int64_t now)
{
	if ((kind == OTS_CMD_C1 || kind == OTS_CMD_SCRIPT) && !tx->c1_at_us) {
		tx->c1_at_us = now;
		tx->deadline_us = now + (int64_t)tx->ev.deadline_ms * 1000;
	}
	tx->state = kind == OTS_CMD_C1 || kind == OTS_CMD_SCRIPT ? OTS_TX_C1_SENT :
		    kind == OTS_CMD_C2 ? OTS_TX_C2_SENT : OTS_TX_RELEASING;
	set_due(e, tx, OTS_DUE_POR, now + (int64_t)e->cfg.por_timeout_ms * 1000);
	tx_save(e, tx);
}

/* "c1-sent", "c2-sent", "release-sent" on the timeline, with the link that carries it */
static void sent_event(struct ots_engine *e, struct ots_tx *tx, const char *trigger,
		       const struct ots_southbound *link)
{
	const struct ots_cmd *cmd = tx->cmd;
	GString *d = ots_detail_new();
	char *s;

	ots_detail_int(d, "attempt", tx->attempts);
	s = g_strdup_printf("%010" G_GINT64_MODIFIER "x", cmd->cntr);
	ots_detail_str(d, "cntr", s);
	g_free(s);
	ots_detail_int(d, "kvn", tx->kvn);
	ots_detail_int(d, "msg-id", cmd->msg_id);
	ots_detail_int(d, "segments", cmd->n_segs);
	if (trigger)
		ots_detail_str(d, "trigger", trigger);
	if (link)
		ots_detail_str(d, "link", link->name ? link->name : "link");
	else
		ots_detail_str(d, "link", NULL);
	s = g_strdup_printf("%s-sent", cmd_names[cmd->kind]);
	ots_tx_event(e, tx, s, d);
	g_free(s);
}

/* The SMS wait in the outbox until the DB transaction commits (ots_engine_end). */
static void outbox_add(struct ots_engine *e, const struct ots_tx *tx, const struct ots_card *card,
		       const struct ots_deliver_set *set, const struct ots_southbound *link)
{
	for (unsigned i = 0; i < set->n && link; i++) {
		struct ots_outgoing *o = g_new0(struct ots_outgoing, 1);

		g_strlcpy(o->link, link->name ? link->name : "", sizeof(o->link));
		g_strlcpy(o->iccid, tx->iccid, sizeof(o->iccid));
		g_strlcpy(o->msisdn, card->msisdn, sizeof(o->msisdn));
		o->msg_id = tx->cmd->msg_id + i;
		o->len = set->len[i];
		memcpy(o->tpdu, set->tpdu[i], set->len[i]);
		g_ptr_array_add(e->outbox, o);
	}
}

/*
 * Sends a C1, C2 or release: the counter and the command row are written in
 * the current DB transaction; the SMS go to the outbox, which is flushed only
 * after the commit.
 */
static void tx_send(struct ots_engine *e, struct ots_tx *tx, enum ots_cmd_kind kind,
		    const char *trigger)
{
	struct ots_deliver_set *set = g_new(struct ots_deliver_set, 1);
	int64_t msg_id, now = g_get_real_time();
	struct ots_card *card;
	uint64_t cntr;

	cmd_close(e, tx);
	if (secure_command(e, tx, kind, set, &card, &cntr, &msg_id)) {
		const struct ots_southbound *link = ots_engine_route(e, card);

		count_attempt(tx, kind);
		if (cmd_open(e, tx, kind, cntr, msg_id, set->n, now)) {
			tx_sent(e, tx, kind, now);
			sent_event(e, tx, trigger, link);
			if (!link)
				g_message("card %s: no link reaches it now (no device attached); "
					  "%s waits for a resend", tx->iccid, cmd_names[kind]);
			outbox_add(e, tx, card, set, link);
			e->stats.commands_sent++;
		}
	}
	g_free(set);
}

/* ---- lifecycle ----------------------------------------------------------- */

void ots_tx_activate(struct ots_engine *e, struct ots_tx *tx)
{
	struct ots_card_run *run = ots_engine_run(e, tx->iccid);

	run->active = tx;
	tx_send(e, tx, tx->rfm ? OTS_CMD_SCRIPT : OTS_CMD_C1, "start");
}

static void tx_finish(struct ots_engine *e, struct ots_tx *tx, enum ots_tx_state final)
{
	struct ots_card_run *run = ots_engine_run(e, tx->iccid);
	struct ots_tx *next;
	uint64_t id = tx->id;

	cmd_close(e, tx);
	tx->state = final;
	set_due(e, tx, OTS_DUE_NONE, 0);
	tx_save(e, tx);
	if (tx->rfm)
		ots_rfm_finished(e, tx, final);
	if (run->active == tx)
		run->active = NULL;
	else
		g_queue_remove(&run->queued, tx);
	g_hash_table_remove(e->txs, &id);   /* frees tx */

	if (!run->active && (next = g_queue_pop_head(&run->queued)))
		ots_tx_activate(e, next);
}

/* The outcome and why it came, kept and put on the timeline as event kind. */
static void tx_conclude(struct ots_engine *e, struct ots_tx *tx, enum ots_outcome outcome,
			const char *kind, const char *why)
{
	GString *d = ots_detail_new();

	ots_detail_str(d, "why", why);
	g_free(tx->why);
	tx->why = g_strdup(why);
	tx->outcome = outcome;
	ots_tx_event(e, tx, kind, d);
}

static void tx_fail(struct ots_engine *e, struct ots_tx *tx, const char *why)
{
	tx_conclude(e, tx, OTS_OUTCOME_FAILED, "failed", why);
	tx_finish(e, tx, OTS_TX_FAILED);
}

static void tx_expire(struct ots_engine *e, struct ots_tx *tx, const char *why)
{
	tx_conclude(e, tx, OTS_OUTCOME_EXPIRED, "expired", why);
	tx_send(e, tx, OTS_CMD_RELEASE, "expired");
}

static enum ots_tx_state final_state(const struct ots_tx *tx)
{
	switch (tx->outcome) {
	case OTS_OUTCOME_R1:
		return OTS_TX_COMPLETED;
	case OTS_OUTCOME_EXPIRED:
		return OTS_TX_EXPIRED;
	default:
		return OTS_TX_FAILED;
	}
}

static int64_t c1_plus(const struct ots_tx *tx, uint64_t ms)
{
	return tx->c1_at_us + (int64_t)ms * 1000;
}

/* The EV rules after an IR: arm the earliest C2 trigger, or the deadline. */
static void tx_wait(struct ots_engine *e, struct ots_tx *tx)
{
	enum ots_due due = OTS_DUE_EXPIRE;
	int64_t at = tx->deadline_us;
	bool indefinite = tx->has_rq && tx->rq.form == SIMOTA_DEFERRED_RQ_INDEFINITE;

	tx->state = OTS_TX_WAITING;
	if (tx->ev.on_rq && tx->has_rq && tx->rq.seconds &&
	    (tx->rq.form == SIMOTA_DEFERRED_RQ_FIXED || tx->rq.form == SIMOTA_DEFERRED_RQ_UNTIL_EVENT) &&
	    c1_plus(tx, (uint64_t)tx->rq.seconds * 1000) < at) {
		at = c1_plus(tx, (uint64_t)tx->rq.seconds * 1000);
		due = OTS_DUE_C2_RQ;
	}
	if (!indefinite && tx->ev.preset_ms != OTS_EV_NO_PRESET && c1_plus(tx, tx->ev.preset_ms) < at) {
		at = c1_plus(tx, tx->ev.preset_ms);
		due = OTS_DUE_C2_PRESET;
	}
	set_due(e, tx, due, at);
	tx_save(e, tx);
}

/* ---- timers -------------------------------------------------------------- */

static void tx_due(struct ots_engine *e, struct ots_tx *tx)
{
	static const char *const triggers[] = {
		[OTS_DUE_C2_RQ] = "rq", [OTS_DUE_C2_PRESET] = "preset",
		[OTS_DUE_C2_BACKOFF] = "backoff",
	};
	enum ots_due due = tx->due;
	GString *d;

	tx->due = OTS_DUE_NONE;
	switch (due) {
	case OTS_DUE_POR:
		d = ots_detail_new();
		ots_detail_str(d, "command", cmd_names[tx->last_kind]);
		ots_detail_int(d, "attempt", tx->attempts);
		ots_tx_event(e, tx, "por-timeout", d);
		if (tx->attempts < e->cfg.max_attempts) {
			tx_send(e, tx, tx->last_kind, "retry");
		} else if (tx->last_kind == OTS_CMD_RELEASE) {
			ots_tx_event(e, tx, "release-unconfirmed", NULL);
			tx_finish(e, tx, final_state(tx));
		} else {
			char *why = g_strdup_printf("no PoR for %s after %u attempts",
						    cmd_names[tx->last_kind], tx->attempts);
			tx_fail(e, tx, why);
			g_free(why);
		}
		break;
	case OTS_DUE_C2_RQ:
	case OTS_DUE_C2_PRESET:
	case OTS_DUE_C2_BACKOFF:
		if (g_get_real_time() >= tx->deadline_us)
			tx_expire(e, tx, "deadline");
		else
			tx_send(e, tx, OTS_CMD_C2, triggers[due]);
		break;
	case OTS_DUE_EXPIRE:
		tx_expire(e, tx, "deadline");
		break;
	case OTS_DUE_NONE:
		break;
	}
}

static gboolean tx_timer_cb(gpointer p)
{
	struct ots_tx *tx = p;
	struct ots_engine *e = tx->engine;

	tx->timer = 0;
	ots_engine_begin_step(e);
	tx_due(e, tx);
	ots_engine_end(e);
	return G_SOURCE_REMOVE;
}

/* ---- inputs ---------------------------------------------------------------- */

/* R1: stored in this DB transaction, delivered once; the release leaves after the commit. */
static void r2s_done(struct ots_engine *e, struct ots_tx *tx, const struct simota_deferred_msg *m)
{
	JsonNode *result;
	GString *d;
	struct ots_db_stmt *st;
	GError *error = NULL;

	if (tx->has_result)
		return;      /* R1 is delivered once */
	result = ots_result_to_json(m);
	st = ots_db_stmt(e->db, "UPDATE transactions SET result = ? WHERE id = ?");
	ots_db_bind_text_take(st, 1, ots_json_string(result));
	ots_db_bind_int(st, 2, (int64_t)tx->id);
	if (!ots_db_run(st, &error))
		ots_engine_db_failed(e, error);
	tx->has_result = true;
	tx->outcome = OTS_OUTCOME_R1;
	d = ots_detail_new();
	ots_detail_node(d, "result", result);
	ots_tx_event(e, tx, "r1-delivered", d);
	tx_send(e, tx, OTS_CMD_RELEASE, "r1-stored");
}

/* R2S "pending": C2 again after a doubling backoff (at least the card's new fixed RQ). */
static void r2s_pending(struct ots_engine *e, struct ots_tx *tx, const struct simota_deferred_msg *m)
{
	uint32_t delay;

	tx->backoff_ms = tx->backoff_ms ?
		MIN((uint64_t)tx->backoff_ms * 2, e->cfg.backoff_max_ms) :
		e->cfg.backoff_initial_ms;
	delay = tx->backoff_ms;
	if (m->rq.form == SIMOTA_DEFERRED_RQ_FIXED && m->rq.seconds &&
	    (uint64_t)m->rq.seconds * 1000 > delay)
		delay = (uint32_t)MIN((uint64_t)m->rq.seconds * 1000, e->cfg.backoff_max_ms);
	tx->state = OTS_TX_WAITING;
	if (g_get_real_time() + (int64_t)delay * 1000 >= tx->deadline_us)
		set_due(e, tx, OTS_DUE_EXPIRE, tx->deadline_us);
	else
		set_due(e, tx, OTS_DUE_C2_BACKOFF, g_get_real_time() + (int64_t)delay * 1000);
	tx_save(e, tx);
}

/* The R2S (doc/protocol.md §4.6) in the PoR of a C2 or a release. */
static void tx_r2s(struct ots_engine *e, struct ots_tx *tx, enum ots_cmd_kind kind,
		   const struct simota_deferred_msg *m)
{
	GString *d = ots_detail_new();
	char *why;

	ots_detail_str(d, "state", simota_deferred_state_name(m->state));
	if (m->rq.form != SIMOTA_DEFERRED_RQ_NONE)
		ots_detail_node(d, "rq", ots_rq_to_json(&m->rq));
	ots_tx_event(e, tx, "r2s-received", d);

	if (kind == OTS_CMD_RELEASE) {
		if (m->state == SIMOTA_DEFERRED_RELEASED || m->state == SIMOTA_DEFERRED_UNKNOWN)
			ots_tx_event(e, tx, "released", NULL);
		else
			ots_tx_event(e, tx, "release-unconfirmed", NULL);
		tx_finish(e, tx, final_state(tx));
		return;
	}
	switch (m->state) {
	case SIMOTA_DEFERRED_DONE:
		r2s_done(e, tx, m);
		return;
	case SIMOTA_DEFERRED_PENDING:
		r2s_pending(e, tx, m);
		return;
	case SIMOTA_DEFERRED_EXPIRED:
		tx_expire(e, tx, "the card expired the transaction");
		return;
	case SIMOTA_DEFERRED_UNKNOWN:
		tx_fail(e, tx, "the card does not know the transaction (lost)");
		return;
	default:
		why = g_strdup_printf("the card refused the transaction: %s",
				      simota_deferred_state_name(m->state));
		tx_fail(e, tx, why);
		g_free(why);
		return;
	}
}

/* A command of this transaction (same kind as the outstanding one) with this counter? */
static bool stale_answer(struct ots_engine *e, struct ots_tx *tx, uint64_t cntr)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db, "SELECT 1 FROM commands WHERE tx_id = ? AND kind = ? "
				       "AND iccid = ? AND kvn = ? AND cntr = ?");
	bool found;

	ots_db_bind_int(st, 1, (int64_t)tx->id);
	ots_db_bind_int(st, 2, tx->cmd->kind);
	ots_db_bind_text(st, 3, tx->iccid);
	ots_db_bind_int(st, 4, tx->kvn);
	ots_db_bind_int(st, 5, (int64_t)cntr);
	found = ots_db_next(st, NULL);
	ots_db_reset(st);
	return found;
}

static void por_invalid(struct ots_engine *e, struct ots_tx *tx, const char *via,
			const uint8_t *pkt, size_t len, const char *why)
{
	GString *d = ots_detail_new();

	ots_detail_str(d, "why", why);
	ots_detail_str(d, "via", via);
	char *packet_hex = ots_hex(pkt, MIN(len, 512));
	ots_detail_str(d, "packet", packet_hex);
	g_free(packet_hex);
	ots_tx_event(e, tx, "por-invalid", d);
	e->stats.pors_invalid++;
	g_warning("tx %" G_GUINT64_FORMAT ": PoR rejected (%s), not handed on", tx->id, why);
}

/*
 * TS 102 225 §5.2: the PoR verified and deciphered with the keys of the
 * outstanding command, then matched to it by TAR and counter.  rsp->data
 * may point into work.  false after recording a PoR that does not verify.
 */
/*
 * TS 102 225 §5.2: the PoR deciphered and verified with the keys of tx's
 * command, its TAR and counter those of the command (or of one answered
 * before: a stale answer).  NULL, or why not.
 */
static const char *por_check(struct ots_engine *e, struct ots_tx *tx, const uint8_t *pkt, size_t len,
			     uint8_t *work, size_t work_cap, struct simota_ota_response *rsp, bool *invalid)
{
	struct ots_card *card = ots_registry_get(e->reg, tx->iccid);
	const struct simota_card_tar *tar = card ? ots_card_tar(card, tx->tar) : NULL;
	struct ots_keyset *ks = card ? ots_card_keyset(card, tx->kvn) : NULL;
	simota_err err;

	*invalid = false;
	if (!tx->cmd || !tar || !ks || len > work_cap)
		return "no command outstanding";
	*invalid = true;
	err = ots_packet_por_decode(e->reg, ks, tar, pkt, len, work, work_cap, rsp);
	if (err != SIMOTA_OK)
		return simota_strerror(err);
	if (memcmp(rsp->tar, tx->tar, 3) != 0)
		return "TAR does not match the command";
	if (rsp->status == SIMOTA_OTA_STATUS_OK && rsp->cntr != tx->cmd->cntr &&
	    !stale_answer(e, tx, rsp->cntr))
		return "counter does not match the command";
	return NULL;
}

static bool por_verify(struct ots_engine *e, struct ots_tx *tx, const uint8_t *pkt, size_t len,
		       const char *via, uint8_t *work, size_t work_cap,
		       struct simota_ota_response *rsp)
{
	bool invalid;
	const char *why = por_check(e, tx, pkt, len, work, work_cap, rsp, &invalid);

	if (why && invalid)
		por_invalid(e, tx, via, pkt, len, why);
	return !why;
}

bool ots_tx_por_is_for(struct ots_engine *e, struct ots_tx *tx, const uint8_t *pkt, size_t len)
{
	uint8_t *work = g_malloc(OTS_MAX_SEGMENTS * SIMOTA_SMS_UD_MAX);
	struct simota_ota_response rsp;
	bool invalid, ok = len <= OTS_MAX_SEGMENTS * SIMOTA_SMS_UD_MAX &&
			   !por_check(e, tx, pkt, len, work, OTS_MAX_SEGMENTS * SIMOTA_SMS_UD_MAX, &rsp, &invalid);

	g_free(work);
	return ok;
}

/*
 * The PoR's additional data as a deferred message (IR or R2S) in m; *err
 * says why there is none (SIMOTA_ERR_MISSING_VALUE: an error status or no
 * data).  false after recording one for another transaction.
 */
static bool por_message(struct ots_engine *e, struct ots_tx *tx, const uint8_t *pkt, size_t len,
			const char *via, const struct simota_ota_response *rsp,
			struct simota_deferred_msg *m, simota_err *err)
{
	*err = SIMOTA_ERR_MISSING_VALUE;
	if (rsp->status != SIMOTA_OTA_STATUS_OK || !rsp->data_len)
		return true;
	*err = simota_deferred_decode(rsp->data, rsp->data_len, m);
	if (*err == SIMOTA_OK && m->txid != tx->txid) {
		por_invalid(e, tx, via, pkt, len, "transaction id does not match");
		return false;
	}
	return true;
}

static void por_received_event(struct ots_engine *e, struct ots_tx *tx, const char *via,
			       enum ots_cmd_kind kind, const struct simota_ota_response *rsp)
{
	GString *d = ots_detail_new();
	char *s;

	ots_detail_str(d, "via", via);
	ots_detail_str(d, "command", cmd_names[kind]);
	ots_detail_int(d, "status", rsp->status);
	s = g_strdup_printf("%010" G_GINT64_MODIFIER "x", rsp->cntr);
	ots_detail_str(d, "cntr", s);
	g_free(s);
	s = ots_hex(rsp->data, rsp->data_len);
	ots_detail_str(d, "data", s);
	g_free(s);
	ots_tx_event(e, tx, "por-received", d);
}

/* The IR in the PoR of C1: the RQ it carries arms the EV rules. */
static void tx_ir(struct ots_engine *e, struct ots_tx *tx, const struct simota_deferred_msg *m)
{
	struct ots_card_run *run = ots_engine_run(e, tx->iccid);
	GString *d = ots_detail_new();

	tx->has_rq = true;
	tx->rq = m->rq;
	ots_detail_node(d, "rq", ots_rq_to_json(&m->rq));
	ots_tx_event(e, tx, "ir-received", d);
	tx_wait(e, tx);
	if (tx->ev.on_rq && m->rq.form == SIMOTA_DEFERRED_RQ_UNTIL_EVENT &&
	    m->rq.event == SIMOTA_DEFERRED_EVENT_NEXT_SESSION && run->queued.length)
		tx_send(e, tx, OTS_CMD_C2, "next-session");
	else if (tx->due_us <= g_get_real_time())
		tx_due(e, tx);
}

/* What the PoR of the command `kind` says: an error status, an IR, an R2S, or nothing usable. */
static void por_dispatch(struct ots_engine *e, struct ots_tx *tx, enum ots_cmd_kind kind,
			 const struct simota_ota_response *rsp, const struct simota_deferred_msg *m,
			 simota_err err)
{
	GString *d;
	char *why;

	if (rsp->status != SIMOTA_OTA_STATUS_OK) {
		d = ots_detail_new();
		ots_detail_int(d, "status", rsp->status);
		ots_tx_event(e, tx, "por-error", d);
		why = g_strdup_printf("PoR status %02x for %s", rsp->status, cmd_names[kind]);
	} else if (!rsp->data_len) {
		why = g_strdup(kind == OTS_CMD_C1 ?
			"the PoR of C1 carries no IR (the applet answered through the closed "
			"envelope handler: the answer is lost)" : "the PoR carries no R2S");
	} else if (err != SIMOTA_OK) {
		why = g_strdup_printf("undecodable response data: %s", simota_strerror(err));
	} else if (kind == OTS_CMD_C1 && m->type == SIMOTA_DEFERRED_IR) {
		tx_ir(e, tx, m);
		return;
	} else if (m->type == SIMOTA_DEFERRED_R2S) {
		tx_r2s(e, tx, kind, m);
		return;
	} else {
		why = g_strdup_printf("unexpected %s in the PoR of %s",
				      simota_deferred_type_name(m->type), cmd_names[kind]);
	}
	tx_fail(e, tx, why);
	g_free(why);
}

/*
 * TS 102 225 §5.2: a PoR for the transaction's outstanding command: verified
 * and deciphered with the command's keys, matched by counter, then its
 * additional data (IR or R2S) drives the machine.  A PoR that does not
 * verify is recorded and dropped; the command stays outstanding.
 */
void ots_tx_on_por(struct ots_engine *e, struct ots_tx *tx, const uint8_t *pkt, size_t len,
		   const char *via)
{
	struct simota_deferred_msg *m = g_new0(struct simota_deferred_msg, 1);   /* 64 items */
	uint8_t work[OTS_MAX_SEGMENTS * SIMOTA_SMS_UD_MAX];
	struct simota_ota_response rsp;
	enum ots_cmd_kind kind;
	simota_err err = SIMOTA_ERR_MISSING_VALUE;

	if (por_verify(e, tx, pkt, len, via, work, sizeof(work), &rsp) &&
	    (tx->rfm || por_message(e, tx, pkt, len, via, &rsp, m, &err))) {
		e->stats.pors_received++;
		kind = tx->cmd->kind;
		cmd_close(e, tx);
		por_received_event(e, tx, via, kind, &rsp);
		if (tx->rfm)
			ots_rfm_on_por(e, tx, &rsp);
		else
			por_dispatch(e, tx, kind, &rsp, m, err);
	}
	g_free(m);
}

/* An RP-ERROR without a PoR (e.g. toolkit busy): try again a little later. */
void ots_tx_on_delivery_error(struct ots_engine *e, struct ots_tx *tx, uint8_t rp_cause,
			      uint8_t fcs)
{
	GString *d = ots_detail_new();

	ots_detail_int(d, "rp-cause", rp_cause);
	ots_detail_int(d, "fcs", fcs);
	ots_tx_event(e, tx, "delivery-error", d);
	ots_tx_on_sms_failure(e, tx, false, NULL);
}

void ots_tx_on_sms_failure(struct ots_engine *e, struct ots_tx *tx, bool final, const char *why)
{
	int64_t at = g_get_real_time() +
		(int64_t)MIN(e->cfg.backoff_initial_ms, e->cfg.por_timeout_ms) * 1000;

	if (final) {
		tx_fail(e, tx, why);
		return;
	}
	/* as an RP-ERROR without a PoR: the command goes again a little later */
	if (tx->due == OTS_DUE_POR && at < tx->due_us) {
		set_due(e, tx, OTS_DUE_POR, at);
		tx_save(e, tx);
	}
}

void ots_tx_on_mg(struct ots_engine *e, struct ots_tx *tx)
{
	GString *d = ots_detail_new();
	bool act = tx->state == OTS_TX_WAITING && tx->ev.on_mg;

	if (!act)
		ots_detail_str(d, "ignored", ots_tx_state_name(tx->state));
	ots_tx_event(e, tx, "mg-received", d);
	if (act)
		tx_send(e, tx, OTS_CMD_C2, "mg");
}

bool ots_tx_poll(struct ots_engine *e, struct ots_tx *tx, GError **error)
{
	if (tx->state == OTS_TX_C2_SENT)
		return true;
	if (tx->state != OTS_TX_WAITING) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_STATE,
			    "transaction %" G_GUINT64_FORMAT " is %s: nothing to poll", tx->id,
			    ots_tx_state_name(tx->state));
		return false;
	}
	ots_tx_event(e, tx, "poll", NULL);
	tx_send(e, tx, OTS_CMD_C2, "poll");
	return true;
}

/* The card's device (re)attached: what was outstanding may never have arrived. */
void ots_tx_resend(struct ots_engine *e, struct ots_tx *tx, const char *why)
{
	if (!tx->cmd)
		return;
	tx_send(e, tx, tx->cmd->kind, why);
}

/* A new transaction for the card: a "next session" RQ fetches now. */
void ots_tx_next_session(struct ots_engine *e, struct ots_tx *tx)
{
	if (tx->state == OTS_TX_WAITING && tx->ev.on_rq && tx->has_rq &&
	    tx->rq.form == SIMOTA_DEFERRED_RQ_UNTIL_EVENT &&
	    tx->rq.event == SIMOTA_DEFERRED_EVENT_NEXT_SESSION)
		tx_send(e, tx, OTS_CMD_C2, "next-session");
}

void ots_tx_complete(struct ots_engine *e, struct ots_tx *tx)
{
	tx_finish(e, tx, OTS_TX_COMPLETED);
}

void ots_tx_fail(struct ots_engine *e, struct ots_tx *tx, const char *why)
{
	tx_fail(e, tx, why);
}
