/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine: creation and resumption, the commit-then-act bracket, event
 * subscribers, the southbound inputs (DELIVER-REPORT, SMS-SUBMIT: PoR or
 * MG) and the card registry / transaction API of engine.h.
 */
#include <string.h>
#include <unistd.h>

#include "simota/card_config.h"
#include "transactions/engine-internal.h"
#include "util.h"

static void pending_event_free(gpointer p)
{
	struct ots_pending_event *ev = p;

	g_free(ev->kind);
	g_free(ev->detail);
	g_free(ev);
}

static void run_free(gpointer p)
{
	struct ots_card_run *run = p;

	g_queue_clear(&run->queued);
	g_free(run->reasm);
	g_free(run);
}

static void tx_destroy(gpointer p)
{
	ots_tx_free(p);
}

#define DEFAULT(v, d) ((v) ? (v) : (d))

/* A card with a transaction not yet completed, expired or failed (ots_registry_busy_fn). */
static bool card_busy(const char *iccid, void *data)
{
	struct ots_engine *e = data;
	struct ots_db_stmt *st = ots_db_stmt(e->db, "SELECT 1 FROM transactions WHERE iccid = ? "
				       "AND state < ? LIMIT 1");
	bool any;

	ots_db_bind_text(st, 1, iccid);
	ots_db_bind_int(st, 2, OTS_TX_COMPLETED);
	any = ots_db_next(st, NULL);
	ots_db_reset(st);
	return any;
}

struct ots_engine *ots_engine_new(const struct ots_engine_config *cfg, GError **error)
{
	struct ots_engine *e = g_new0(struct ots_engine, 1);

	e->cfg = *cfg;
	e->cfg.db_path = g_strdup(cfg->db_path);
	e->cfg.sv2_address = g_strdup(DEFAULT(cfg->sv2_address, "+15550199"));
	e->cfg.sv1_address = g_strdup(DEFAULT(cfg->sv1_address, "+15550100"));
	e->cfg.preset_ms = DEFAULT(cfg->preset_ms, 300000);
	e->cfg.deadline_ms = DEFAULT(cfg->deadline_ms, 3600000);
	e->cfg.backoff_initial_ms = DEFAULT(cfg->backoff_initial_ms, 10000);
	e->cfg.backoff_max_ms = DEFAULT(cfg->backoff_max_ms, 300000);
	e->cfg.por_timeout_ms = DEFAULT(cfg->por_timeout_ms, 30000);
	e->cfg.max_attempts = DEFAULT(cfg->max_attempts, 4);
	e->txs = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, tx_destroy);
	e->runs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, run_free);
	e->msgs = g_hash_table_new(g_direct_hash, g_direct_equal);
	e->subs = g_array_new(FALSE, TRUE, sizeof(struct ots_sub));
	e->events = g_ptr_array_new_with_free_func(pending_event_free);
	e->outbox = g_ptr_array_new_with_free_func(g_free);
	e->batch_events = g_ptr_array_new_with_free_func(pending_event_free);
	e->batch_outbox = g_ptr_array_new_with_free_func(g_free);
	e->commit_subs = g_array_new(FALSE, TRUE, sizeof(struct ots_commit_sub));
	e->links = g_array_new(FALSE, TRUE, sizeof(struct ots_southbound));

	if (!ots_address_parse(e->cfg.sv2_address, &e->sv2_addr)) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
			    "address: expected an optional + and 1-20 digits");
		goto fail;
	}
	if (!ots_address_parse(e->cfg.sv1_address, &e->sv1_addr)) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
			    "sv1-address: expected an optional + and 1-20 digits");
		goto fail;
	}
	if (!cfg->db_path) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "db: a database path is needed");
		goto fail;
	}
	e->db = ots_db_open(cfg->db_path, error);
	if (!e->db)
		goto fail;
	if (e->cfg.batch_max > 1)
		ots_db_checkpoint_elsewhere(e->db);   /* a worker's ("the WAL's fdatasync") */
	e->reg = ots_registry_new(e->db, card_busy, e, error);
	/* campaigns first: an operation the load finishes at once tells its campaign */
	if (!e->reg || !ots_lease_start(e, error) || !ots_campaigns_load(e, error) ||
	    !ots_engine_load(e, error))
		goto fail;
	return e;
fail:
	ots_engine_free(e);
	return NULL;
}

static void syncer_detach(struct ots_engine *e);

void ots_engine_free(struct ots_engine *e)
{
	if (!e)
		return;
	if (e->db)
		ots_engine_flush(e);   /* what the loop did not commit yet, and what is not synced */
	syncer_detach(e);
	ots_lease_stop(e);
	g_clear_handle_id(&e->flush_idle, g_source_remove);
	g_clear_handle_id(&e->flush_timer, g_source_remove);
	g_clear_handle_id(&e->reload_timer, g_source_remove);
	ots_campaigns_free(e);
	g_hash_table_destroy(e->txs);
	g_hash_table_destroy(e->runs);
	g_hash_table_destroy(e->msgs);
	g_array_free(e->subs, TRUE);
	g_ptr_array_free(e->events, TRUE);
	g_ptr_array_free(e->outbox, TRUE);
	g_ptr_array_free(e->batch_events, TRUE);
	g_ptr_array_free(e->batch_outbox, TRUE);
	g_array_free(e->commit_subs, TRUE);
	g_array_free(e->links, TRUE);
	ots_registry_free(e->reg);
	ots_db_close(e->db);
	g_free((char *)e->cfg.db_path);
	g_free((char *)e->cfg.sv2_address);
	g_free((char *)e->cfg.sv1_address);
	g_free(e);
}

struct ots_card_run *ots_engine_run(struct ots_engine *e, const char *iccid)
{
	struct ots_card_run *run = g_hash_table_lookup(e->runs, iccid);

	if (!run) {
		run = g_new0(struct ots_card_run, 1);
		g_strlcpy(run->iccid, iccid, sizeof(run->iccid));
		g_queue_init(&run->queued);
		g_hash_table_insert(e->runs, run->iccid, run);
	}
	return run;
}

/* ---- southbound links ----------------------------------------------------------- */

static const char *link_name(const struct ots_southbound *sb)
{
	return sb->name ? sb->name : "";
}

static const struct ots_southbound *link_named(struct ots_engine *e, const char *name)
{
	for (unsigned i = 0; i < e->links->len; i++) {
		const struct ots_southbound *sb = &g_array_index(e->links, struct ots_southbound, i);

		if (strcmp(link_name(sb), name) == 0)
			return sb;
	}
	return NULL;
}

void ots_engine_set_southbound(struct ots_engine *e, const struct ots_southbound *sb)
{
	g_array_set_size(e->links, 0);
	if (sb)
		ots_engine_add_southbound(e, sb);
}

void ots_engine_add_southbound(struct ots_engine *e, const struct ots_southbound *sb)
{
	g_array_append_val(e->links, *sb);
}

void ots_engine_remove_southbound(struct ots_engine *e, void *user)
{
	for (unsigned i = e->links->len; i-- > 0;)
		if (g_array_index(e->links, struct ots_southbound, i).user == user)
			g_array_remove_index(e->links, i);
}

const struct ots_southbound *ots_engine_route(struct ots_engine *e, const struct ots_card *card)
{
	const char *msisdn = card->msisdn[0] ? card->msisdn : NULL;

	if (card->link[0])
		return link_named(e, card->link);
	for (unsigned i = 0; i < e->links->len; i++) {
		const struct ots_southbound *sb = &g_array_index(e->links, struct ots_southbound, i);

		if (!sb->reaches || sb->reaches(sb->user, card->iccid, msisdn))
			return sb;
	}
	return NULL;
}

void ots_engine_cancel_sms(struct ots_engine *e, uint32_t first, unsigned n)
{
	for (unsigned i = 0; i < e->links->len; i++) {
		const struct ots_southbound *sb = &g_array_index(e->links, struct ots_southbound, i);

		if (sb->cancel)
			sb->cancel(sb->user, first, n);
	}
}

JsonNode *ots_engine_links_json(struct ots_engine *e)
{
	JsonArray *a = json_array_new();
	JsonNode *n = json_node_new(JSON_NODE_ARRAY);

	for (unsigned i = 0; i < e->links->len; i++) {
		const struct ots_southbound *sb = &g_array_index(e->links, struct ots_southbound, i);
		JsonNode *st = sb->status ? sb->status(sb->user) : NULL;
		JsonObject *o;

		if (!st || !JSON_NODE_HOLDS_OBJECT(st)) {
			if (st)
				json_node_unref(st);
			st = json_node_new(JSON_NODE_OBJECT);
			json_node_take_object(st, json_object_new());
		}
		o = json_node_get_object(st);
		json_object_set_string_member(o, "name", link_name(sb));
		json_object_set_boolean_member(o, "por-in-rp-ack", sb->por_in_rp_ack);
		json_array_add_element(a, st);
	}
	json_node_take_array(n, a);
	return n;
}

/* TS 102 225 §5.1.1: SPI2 b2b1 PoR required (01 always, 10 on error), b6 PoR by SMS-SUBMIT. */
static bool spi_wants_por_in_rp_ack(uint16_t spi)
{
	uint8_t spi2 = (uint8_t)spi;

	return (spi2 & 0x03) != 0 && !(spi2 & 0x20);
}

JsonNode *ots_engine_route_json(struct ots_engine *e, const char *iccid, const uint8_t *tar)
{
	struct ots_card *card = ots_registry_get(e->reg, iccid);
	const struct simota_card_tar *tc;
	const struct ots_southbound *sb;
	JsonArray *warnings;
	JsonObject *o;
	JsonNode *n;

	if (!card)
		return NULL;
	tc = tar ? ots_card_tar(card, tar) : ots_card_default_tar(card);
	sb = ots_engine_route(e, card);
	o = json_object_new();
	warnings = json_array_new();
	if (sb)
		json_object_set_string_member(o, "link", link_name(sb));
	else
		json_object_set_null_member(o, "link");
	if (!sb)
		json_array_add_string_element(warnings, card->link[0] ?
			"the card's fixed link is not configured: its commands wait" :
			"no link reaches the card now: its commands wait for one");
	if (sb && tc && !sb->por_in_rp_ack && spi_wants_por_in_rp_ack(tc->spi)) {
		char *w = g_strdup_printf("TAR %02x%02x%02x: SPI %04x asks for the PoR in the RP-ACK "
					  "(SMS-DELIVER-REPORT), which %s does not bring back (the "
					  "SMSC drops RP-ACK data): the PoR will not arrive; set the "
					  "PoR-by-SMS-SUBMIT bit (SPI2 b6, e.g. spi=%04x)",
					  tc->tar[0], tc->tar[1], tc->tar[2], tc->spi, link_name(sb),
					  tc->spi | 0x20);

		json_array_add_string_element(warnings, w);
		g_free(w);
	}
	json_object_set_array_member(o, "warnings", warnings);
	n = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(n, o);
	return n;
}

JsonNode *ots_engine_tx_route_json(struct ots_engine *e, uint64_t id)
{
	struct ots_tx *tx = g_hash_table_lookup(e->txs, &id);

	return tx ? ots_engine_route_json(e, tx->iccid, tx->tar) : NULL;
}

/* ---- the bracket: group commit ------------------------------------------------ */

void ots_engine_db_failed(struct ots_engine *e, GError *error)
{
	g_critical("%s", error ? error->message : "database error");
	g_clear_error(&error);
	e->failed = true;
}

/* Opens the outermost bracket: the batch if none is open; false if that failed. */
static bool bracket_open(struct ots_engine *e)
{
	GError *error = NULL;

	e->failed = false;
	ots_lease_keep(e);
	if (!e->batch_open) {
		/* grouped batches commit without waiting for the disk: a worker syncs ("the WAL's fdatasync") */
		if (!(e->cfg.batch_max > 1 ? ots_db_begin_unsynced(e->db, &error) :
					     ots_db_begin(e->db, &error))) {
			ots_engine_db_failed(e, error);
			return false;
		}
		e->batch_open = true;
		e->batch++;
		e->batch_changes = 0;
	}
	return true;
}

/*
 * A step of the engine's own: no savepoint.  Besides undoing what a view
 * changed as it wrote cannot be done by one, a savepoint costs: SQLite
 * copies each page the bracket changes into its statement journal (the
 * steps' four savepoints per transaction were 174-182 -> 159-167 us of
 * engine CPU, bench-server).  One that fails dooms the batch (engine.h).
 */
void ots_engine_begin_step(struct ots_engine *e)
{
	if (e->depth++ > 0) {
		/* inside a request (an inbox entry run by its card's owner): the step changes
		 * the view as it writes, which the request's savepoint could not undo */
		if (e->in_savepoint && e->failed)
			e->batch_doomed = true;
		ots_engine_view_changes(e);
		return;
	}
	bracket_open(e);
}

/*
 * The request now changes the in-memory view, which its savepoint cannot
 * undo: what it wrote so far is released into the batch, and a failure from
 * here on dooms the batch as a step's does.
 */
void ots_engine_view_changes(struct ots_engine *e)
{
	GError *error = NULL;

	/* (inside a request's bracket too: then its savepoint can no longer undo it alone) */
	if (!e->in_savepoint || e->failed)
		return;
	e->in_savepoint = false;
	if (!ots_db_release(e->db, &error)) {
		ots_engine_db_failed(e, error);
		e->batch_doomed = true;
	}
}

/* Opens the batch if none is open, then the bracket's savepoint in it. */
void ots_engine_begin(struct ots_engine *e)
{
	GError *error = NULL;

	if (e->depth++ > 0)
		return;
	if (!bracket_open(e))
		return;
	if (ots_db_savepoint(e->db, &error)) {
		e->in_savepoint = true;
	} else {
		/* what this bracket does could not be undone alone: the batch is rolled back */
		e->batch_doomed = true;
		ots_engine_db_failed(e, error);
	}
}

static void batch_commit(struct ots_engine *e, bool wait);
static void arm_flush(struct ots_engine *e);

static gboolean flush_soon(gpointer data)
{
	struct ots_engine *e = data;

	if (e->syncing) {
		/* the disk is busy with the batch before: this one grows until that sync returns */
		g_clear_handle_id(&e->flush_idle, g_source_remove);
		g_clear_handle_id(&e->flush_timer, g_source_remove);
		e->flush_after_sync = true;
		return G_SOURCE_REMOVE;
	}
	batch_commit(e, false);
	return G_SOURCE_REMOVE;
}

/*
 * The batch commits when the loop has read what is ready (an idle source
 * runs below every I/O source's priority), or after OTS_BATCH_MAX_MS when
 * input keeps coming, or at once when it holds cfg.batch_max brackets.
 */
static void arm_flush(struct ots_engine *e)
{
	/* not while a lost batch's state is read again: its end is heard first (engine.h) */
	if (!e->reloading) {
		/* alone (no grouping, a doomed batch, after a lost one): durable before the
		 * entry point returns; a full batch: the worker syncs it */
		bool alone = e->cfg.batch_max <= 1 || e->batch_doomed ||
			     (e->solo_until && g_get_monotonic_time() < e->solo_until);

		if (alone || e->batch_changes >= e->cfg.batch_max) {
			batch_commit(e, alone);
			return;
		}
	}
	if (e->flush_after_sync)
		return;   /* committed when the sync in flight returns */
	if (!e->flush_idle)
		e->flush_idle = g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, flush_soon, e, NULL);
	if (!e->flush_timer)
		e->flush_timer = g_timeout_add(OTS_BATCH_MAX_MS, flush_soon, e);
}

static void move_all(GPtrArray *to, GPtrArray *from)
{
	for (unsigned i = 0; i < from->len; i++)
		g_ptr_array_add(to, from->pdata[i]);
	/* the elements are to's now: from's array goes, not what it pointed to */
	g_ptr_array_set_free_func(from, NULL);
	g_ptr_array_free(from, TRUE);
}

/* The SMS ids reserved in what was rolled back are not used (tx.c take_msg_ids). */
static void drop_msg_block(struct ots_engine *e)
{
	e->msg_next = e->msg_end = 0;
	e->msg_block_uncommitted = e->msg_block_in_entry = false;
}

/*
 * Ends the bracket: its savepoint released into the batch with its events
 * and SMS, or, when it failed, rolled back alone with its events and SMS
 * dropped (the timers still armed retry later).  Nothing leaves here.
 */
void ots_engine_end(struct ots_engine *e)
{
	GError *error = NULL;

	if (--e->depth > 0)
		return;
	if (e->in_savepoint) {
		e->in_savepoint = false;
		if (e->failed ? !ots_db_rollback_to(e->db, &error) : !ots_db_release(e->db, &error)) {
			/* the savepoint is gone with the whole transaction: the batch is lost */
			ots_engine_db_failed(e, error);
			e->batch_doomed = true;
		}
	} else if (e->failed && e->batch_open) {
		/* a step (or a bracket whose savepoint could not open): nothing undoes it alone;
		 * (a BEGIN that failed opened no batch to doom) */
		e->batch_doomed = true;
	}
	if (e->failed && e->msg_block_in_entry)
		drop_msg_block(e);
	e->msg_block_in_entry = false;
	if (e->failed) {
		g_ptr_array_set_size(e->events, 0);
		g_ptr_array_set_size(e->outbox, 0);
	} else {
		move_all(e->batch_events, e->events);
		move_all(e->batch_outbox, e->outbox);
		e->events = g_ptr_array_new_with_free_func(pending_event_free);
		e->outbox = g_ptr_array_new_with_free_func(g_free);
		e->batch_changes++;
	}
	if (e->batch_open)
		arm_flush(e);
}

static void dispatch_events(struct ots_engine *e, GPtrArray *events)
{
	for (unsigned i = 0; i < events->len; i++) {
		struct ots_pending_event *pe = events->pdata[i];
		struct ots_event ev = {
			.seq = pe->seq, .tx_id = pe->tx_id, .iccid = pe->iccid,
			.at_us = pe->at_us, .kind = pe->kind, .detail = pe->detail,
		};

		for (unsigned j = 0; j < e->subs->len; j++) {
			struct ots_sub s = g_array_index(e->subs, struct ots_sub, j);

			if (s.cb)
				s.cb(&ev, s.user);
		}
	}
}

static void send_outbox(struct ots_engine *e, GPtrArray *outbox)
{
	for (unsigned i = 0; i < outbox->len; i++) {
		struct ots_outgoing *o = outbox->pdata[i];
		const struct ots_southbound *sb = link_named(e, o->link);
		bool sent = sb && sb->send_deliver(sb->user, o->iccid, o->msisdn, o->msg_id,
						   o->tpdu, o->len);

		if (!sent)
			g_message("card %s: %s did not take SMS %u; it waits for a resend",
				  o->iccid, o->link[0] ? o->link : "the link", o->msg_id);
	}
}

static void tell_commit(struct ots_engine *e, uint64_t batch, bool durable)
{
	/* a copy: a listener may stop listening */
	GArray *subs = g_array_copy(e->commit_subs);

	for (unsigned i = 0; i < subs->len; i++) {
		struct ots_commit_sub s = g_array_index(subs, struct ots_commit_sub, i);

		s.cb(batch, durable, s.user);
	}
	g_array_free(subs, TRUE);
}

/*
 * The batch's COMMIT failed and rolled it back: the in-memory view may hold
 * what the database lost (a command, a state), so it is read again, as at
 * a restart; commands whose SMS never left are resent when their PoR
 * timers run out.
 */
static gboolean mirror_reload_again(gpointer data);

static void mirror_reload(struct ots_engine *e)
{
	GError *error = NULL;

	g_hash_table_remove_all(e->msgs);
	g_hash_table_remove_all(e->runs);
	g_hash_table_remove_all(e->txs);
	ots_campaigns_free(e);
	if (!ots_lease_reload(e, &error) || !ots_campaigns_load(e, &error) ||
	    !ots_engine_load(e, &error)) {
		g_critical("after a failed commit, the state could not be read again: %s; "
			   "trying again in a second", error->message);
		g_error_free(error);
		if (!e->reload_timer)
			e->reload_timer = g_timeout_add_seconds(1, mirror_reload_again, e);
	}
}

static gboolean mirror_reload_again(gpointer data)
{
	struct ots_engine *e = data;

	e->reload_timer = 0;
	ots_engine_flush(e);     /* what ran on the empty view meanwhile */
	mirror_reload(e);
	return G_SOURCE_REMOVE;
}

/* ---- the WAL's fdatasync, off the engine's thread ------------------------------- */

/*
 * A grouped batch commits into SQLite's WAL without waiting for the disk
 * (ots_db_commit_unsynced): its events, SMS and held answers wait in
 * e->unsynced while a worker thread fdatasyncs the WAL, and leave when
 * that returns, so nothing says "stored" before it is on disk, as before;
 * meanwhile the engine runs the next batch (doc/scaling.md).  One sync is
 * in flight at a time; it covers every batch committed before it started,
 * and the batches committed while it ran wait for the next one.
 */
struct ots_unsynced {
	uint64_t batch;
	GPtrArray *events, *outbox;
};

/* Shared by the engine and its in-flight sync or checkpoint: the engine may be freed first. */
struct ots_syncer {
	gatomicrefcount ref;
	struct ots_engine *e;     /* NULL once the engine is gone */
	char *wal, *file;         /* the WAL; the database file */
};

/* A worker's job on a file of the syncer's, which its reference keeps: a sync or a checkpoint. */
struct ots_file_job {
	bool (*run)(const char *path, GError **error);
	const char *path;
	uint64_t upto;            /* a sync: the last batch it covers */
};

static void syncer_unref(struct ots_syncer *s)
{
	if (s && g_atomic_ref_count_dec(&s->ref)) {
		g_free(s->wal);
		g_free(s->file);
		g_free(s);
	}
}


/* The batch's end heard, then its events to subscribers, then its SMS to the links. */
static void batch_release(struct ots_engine *e, uint64_t batch, GPtrArray *events,
			  GPtrArray *outbox)
{
	tell_commit(e, batch, true);
	dispatch_events(e, events);
	send_outbox(e, outbox);
	g_ptr_array_free(events, TRUE);
	g_ptr_array_free(outbox, TRUE);
}

/* The unsynced batches up to upto are durable: they leave, oldest first. */
static void release_synced(struct ots_engine *e, uint64_t upto)
{
	struct ots_unsynced *u;

	/* popped before it leaves: a listener may call the engine again */
	while ((u = g_queue_peek_head(&e->unsynced)) && u->batch <= upto) {
		g_queue_pop_head(&e->unsynced);
		batch_release(e, u->batch, u->events, u->outbox);
		g_free(u);
	}
}

/* Durability can no longer be known: stop, as PostgreSQL does; a restart recovers from the disk. */
G_NORETURN static void sync_failed(GError *error)
{
	g_error("%s: what the database holds can no longer be promised durable; stopping "
		"(a restart recovers from what is on the disk)", error->message);
}

static void file_job_in_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
	struct ots_file_job *j = data;
	GError *error = NULL;

	if (j->run(j->path, &error))
		g_task_return_boolean(task, TRUE);
	else
		g_task_return_error(task, error);
}

/* The job on a worker of GLib's pool; done hears it on this thread, with a reference to the syncer. */
static void file_job_start(struct ots_syncer *s, bool (*run)(const char *, GError **),
			   const char *path, uint64_t upto, GAsyncReadyCallback done)
{
	struct ots_file_job *j = g_new(struct ots_file_job, 1);
	GTask *task;

	*j = (struct ots_file_job){ .run = run, .path = path, .upto = upto };
	g_atomic_ref_count_inc(&s->ref);
	task = g_task_new(NULL, NULL, done, s);
	g_task_set_task_data(task, j, g_free);
	g_task_run_in_thread(task, file_job_in_thread);
	g_object_unref(task);
}

static void start_sync(struct ots_engine *e);

static void synced(GObject *source, GAsyncResult *res, gpointer data)
{
	struct ots_syncer *s = data;
	struct ots_engine *e = s->e;
	struct ots_file_job *j = g_task_get_task_data(G_TASK(res));
	GError *error = NULL;

	if (!g_task_propagate_boolean(G_TASK(res), &error))
		sync_failed(error);
	if (e) {
		e->syncing = false;
		ots_db_count_sync(e->db);
		release_synced(e, j->upto);
		if (e->flush_after_sync) {
			/* what came in meanwhile commits once the loop has read what is ready */
			e->flush_after_sync = false;
			if (e->batch_open)
				arm_flush(e);
		}
		if (!g_queue_is_empty(&e->unsynced) && !e->syncing)
			start_sync(e);
	}
	syncer_unref(s);
}

static struct ots_syncer *syncer(struct ots_engine *e)
{
	if (!e->syncer) {
		e->syncer = g_new0(struct ots_syncer, 1);
		g_atomic_ref_count_init(&e->syncer->ref);
		e->syncer->e = e;
		e->syncer->wal = ots_db_wal_path(e->db);
		e->syncer->file = ots_db_file_path(e->db);
	}
	return e->syncer;
}

static void start_sync(struct ots_engine *e)
{
	struct ots_unsynced *last = g_queue_peek_tail(&e->unsynced);
	struct ots_syncer *s = syncer(e);

	e->syncing = true;
	file_job_start(s, ots_db_sync_path, s->wal, last->batch, synced);
}

/*
 * The checkpoint too leaves the engine's thread (ots_db_checkpoint_elsewhere):
 * once the WAL passes OTS_DB_CHECKPOINT_PAGES, a worker copies it into the
 * database file through a connection of its own (passive: the engine keeps
 * writing meanwhile).  A checkpoint that fails is tried again after the next
 * commit; the WAL only grows meanwhile.
 */
static void checkpointed(GObject *source, GAsyncResult *res, gpointer data)
{
	struct ots_syncer *s = data;
	GError *error = NULL;

	if (!g_task_propagate_boolean(G_TASK(res), &error)) {
		g_warning("%s; tried again after the next commit", error->message);
		g_error_free(error);
	}
	else if (s->e)
		s->e->stats.wal_checkpoints++;
	if (s->e)
		s->e->checkpointing = false;
	syncer_unref(s);
}

/* (the WAL's size is watched only when the engine groups its batches: ots_engine_new) */
static void checkpoint_if_due(struct ots_engine *e)
{
	struct ots_syncer *s;

	if (e->checkpointing || ots_db_wal_pages(e->db) < OTS_DB_CHECKPOINT_PAGES)
		return;
	s = syncer(e);
	e->checkpointing = true;
	file_job_start(s, ots_db_checkpoint_path, s->file, 0, checkpointed);
}

/* The engine goes: a sync still in flight finds no engine when it returns. */
static void syncer_detach(struct ots_engine *e)
{
	if (e->syncer) {
		e->syncer->e = NULL;
		syncer_unref(e->syncer);
		e->syncer = NULL;
	}
}

/* Every unsynced batch made durable on this thread and released (a sync in flight is then moot). */
static void drain_unsynced(struct ots_engine *e)
{
	GError *error = NULL;

	if (g_queue_is_empty(&e->unsynced))
		return;
	if (!ots_db_sync(e->db, &error))
		sync_failed(error);
	release_synced(e, G_MAXUINT64);
}

/*
 * Commits the open batch.  wait: durable before this returns (an entry
 * point alone, ots_engine_flush); else a grouped batch on SQLite leaves
 * when the worker's fdatasync returns.  Batches end in their numbers' order
 * whatever happens: the earlier unsynced ones leave before a later one that
 * is durable at once or lost.
 */
static void batch_commit(struct ots_engine *e, bool wait)
{
	GPtrArray *events = e->batch_events, *outbox = e->batch_outbox;
	uint64_t batch = e->batch;
	GError *error = NULL;
	bool durable, unsynced = false;

	if (e->depth > 0 || !e->batch_open)
		return;
	g_clear_handle_id(&e->flush_idle, g_source_remove);
	g_clear_handle_id(&e->flush_timer, g_source_remove);
	e->flush_after_sync = false;
	e->batch_open = false;
	/* several instances: the lease renewed in the batch, or nothing of it commits (lease.c) */
	durable = !e->batch_doomed && ots_db_in_transaction(e->db) &&
		  ots_timeline_write(e, &error) && ots_lease_renew(e, &error) &&
		  ots_db_commit_unsynced(e->db, &unsynced, &error);
	e->batch_doomed = false;
	/* taken first: the callbacks may call the engine again, opening the next batch */
	e->batch_events = g_ptr_array_new_with_free_func(pending_event_free);
	e->batch_outbox = g_ptr_array_new_with_free_func(g_free);
	if (durable)
		e->msg_block_uncommitted = false;
	else if (e->msg_block_uncommitted)
		drop_msg_block(e);
	if (durable && unsynced && !wait) {
		struct ots_unsynced *u = g_new(struct ots_unsynced, 1);

		*u = (struct ots_unsynced){ .batch = batch, .events = events, .outbox = outbox };
		g_queue_push_tail(&e->unsynced, u);
		if (!e->syncing)
			start_sync(e);
		checkpoint_if_due(e);
		return;
	}
	if (durable && unsynced && !ots_db_sync(e->db, &error))
		sync_failed(error);
	/* the earlier batches first: durable now (this commit's sync covered them), or synced here */
	if (durable)
		release_synced(e, G_MAXUINT64);
	else
		drain_unsynced(e);
	if (durable) {
		batch_release(e, batch, events, outbox);
		checkpoint_if_due(e);
		return;
	}
	g_critical("batch %" G_GUINT64_FORMAT " (%u changes) not committed: %s; nothing "
		   "of it leaves", batch, e->batch_changes,
		   error ? error->message : "the transaction was lost");
	g_clear_error(&error);
	ots_db_rollback(e->db);
	e->stats.batches_failed++;
	e->solo_until = g_get_monotonic_time() + OTS_SOLO_MS * 1000;
	/* what the reload writes commits after this batch's end is heard */
	e->reloading = true;
	mirror_reload(e);
	e->reloading = false;
	tell_commit(e, batch, false);
	g_ptr_array_free(events, TRUE);
	g_ptr_array_free(outbox, TRUE);
}

void ots_engine_flush(struct ots_engine *e)
{
	if (e->depth > 0)
		return;
	if (e->batch_open)
		batch_commit(e, true);
	else
		drain_unsynced(e);
}

uint64_t ots_engine_unflushed(struct ots_engine *e)
{
	struct ots_unsynced *last = g_queue_peek_tail(&e->unsynced);

	if (e->batch_open)
		return e->batch;
	return last ? last->batch : 0;
}

unsigned ots_engine_on_commit(struct ots_engine *e, ots_commit_cb cb, void *user)
{
	struct ots_commit_sub s = { .id = ++e->next_sub, .cb = cb, .user = user };

	g_array_append_val(e->commit_subs, s);
	return s.id;
}

void ots_engine_off_commit(struct ots_engine *e, unsigned id)
{
	for (unsigned i = 0; i < e->commit_subs->len; i++)
		if (g_array_index(e->commit_subs, struct ots_commit_sub, i).id == id) {
			g_array_remove_index(e->commit_subs, i);
			return;
		}
}

/* ---- events ------------------------------------------------------------------- */

char *ots_event_to_text(const struct ots_event *ev)
{
	GString *s = ots_detail_new();
	char *at = ots_time_string(ev->at_us);
	const char *d = ev->detail ? ev->detail : "{}";

	ots_detail_int(s, "seq", ev->seq);
	if (ev->tx_id)
		ots_detail_int(s, "tx", (int64_t)ev->tx_id);
	else
		ots_detail_str(s, "tx", NULL);      /* a campaign's own event */
	ots_detail_str(s, "iccid", ev->iccid && *ev->iccid ? ev->iccid : NULL);
	ots_detail_str(s, "at", at);
	ots_detail_str(s, "event", ev->kind);
	g_free(at);
	/* the detail's members follow, spliced from its text (an object, "{...}") */
	while (g_ascii_isspace(*d))
		d++;
	if (*d != '{')
		return ots_detail_end(s);
	d++;
	while (g_ascii_isspace(*d))
		d++;
	if (*d && *d != '}') {
		g_string_append_c(s, ',');
		g_string_append(s, d);
		return g_string_free(s, FALSE);
	}
	return ots_detail_end(s);
}

JsonNode *ots_event_to_json(const struct ots_event *ev)
{
	char *text = ots_event_to_text(ev);
	JsonNode *n = json_from_string(text, NULL);

	g_free(text);
	return n;
}

unsigned ots_engine_subscribe(struct ots_engine *e, ots_event_cb cb, void *user)
{
	struct ots_sub s = { .id = ++e->next_sub, .cb = cb, .user = user };

	g_array_append_val(e->subs, s);
	return s.id;
}

void ots_engine_unsubscribe(struct ots_engine *e, unsigned id)
{
	for (unsigned i = 0; i < e->subs->len; i++)
		if (g_array_index(e->subs, struct ots_sub, i).id == id) {
			g_array_remove_index(e->subs, i);
			return;
		}
}

void ots_engine_get_stats(struct ots_engine *e, struct ots_engine_stats *out)
{
	*out = e->stats;
	out->cards = ots_registry_count(e->reg);
	out->cards_cached = ots_registry_cached(e->reg);
	out->active_tx = g_hash_table_size(e->txs);
	out->db_commits = ots_db_commit_count(e->db);
	out->db_syncs = ots_db_sync_count(e->db);
}

/* ---- southbound ---------------------------------------------------------------- */

/*
 * The cards a device reaches (doc/netsim.md): the one whose ICCID it
 * announced, then every card with its MSISDN (as a network routes by
 * number: a card on the host behind a modem whose own SIM carries the
 * number).  What such a device submits may come from any of them.
 */
static GPtrArray *cards_of(struct ots_engine *e, const char *iccid, const char *msisdn)
{
	struct ots_card *own = iccid && *iccid ? ots_registry_get(e->reg, iccid) : NULL;
	GPtrArray *out = ots_registry_all_by_msisdn(e->reg, msisdn);

	if (own) {
		g_ptr_array_remove(out, own);
		g_ptr_array_insert(out, 0, own);
	}
	return out;
}

static struct ots_tx *active_tx(struct ots_engine *e, const struct ots_card *card)
{
	struct ots_card_run *run = g_hash_table_lookup(e->runs, card->iccid);

	return run && run->active ? run->active : NULL;
}

/*
 * Several instances: the leases of the cards a device reaches, taken when
 * nobody live holds them.  A device that attached here for a card another
 * instance holds (ask_release): that one is asked to let it go, since
 * only the instance with the device can reach the card.  Returns the
 * instance that holds the first card when another does (g_free), else NULL.
 */
static char *hold_cards(struct ots_engine *e, GPtrArray *cards, bool ask_release)
{
	char *first = NULL;

	for (guint i = 0; i < cards->len; i++) {
		const char *iccid = ((struct ots_card *)g_ptr_array_index(cards, i))->iccid;
		char *owner = NULL;

		if (!ots_lease_hold(e, iccid, &owner) && ask_release && *owner)
			ots_lease_ask_release(e, owner, iccid);
		if (i == 0 && owner && *owner)
			first = g_steal_pointer(&owner);
		g_free(owner);
	}
	return first;
}

static void forget_tx(struct ots_engine *e, struct ots_tx *tx)
{
	if (tx->cmd) {
		for (unsigned i = 0; i < tx->cmd->n_segs; i++)
			g_hash_table_remove(e->msgs, GUINT_TO_POINTER(tx->cmd->msg_id + i));
		ots_engine_cancel_sms(e, tx->cmd->msg_id, tx->cmd->n_segs);
	}
	g_hash_table_remove(e->txs, &tx->id);
}

void ots_engine_drop_card(struct ots_engine *e, const char *iccid)
{
	struct ots_card_run *run = g_hash_table_lookup(e->runs, iccid);

	if (!run)
		return;
	if (run->active)
		forget_tx(e, run->active);
	for (GList *l = run->queued.head; l; l = l->next)
		forget_tx(e, l->data);
	g_hash_table_remove(e->runs, iccid);
}

void ots_engine_device_attached(struct ots_engine *e, const char *iccid, const char *msisdn)
{
	GPtrArray *cards = cards_of(e, iccid, msisdn);

	g_free(hold_cards(e, cards, true));

	if (!cards->len)
		g_message("device for unregistered card (iccid %s, msisdn %s) attached",
			  iccid ? iccid : "-", msisdn ? msisdn : "-");
	for (guint i = 0; i < cards->len; i++) {
		struct ots_tx *tx = active_tx(e, g_ptr_array_index(cards, i));

		if (!tx || !tx->cmd)
			continue;
		ots_engine_begin_step(e);
		ots_tx_resend(e, tx, "device-attached");
		ots_engine_end(e);
	}
	g_ptr_array_unref(cards);
}

void ots_engine_deliver_report(struct ots_engine *e, uint32_t msg_id, bool rp_error,
			       uint8_t rp_cause, const uint8_t *tpdu, size_t len)
{
	struct ots_cmd *cmd = g_hash_table_lookup(e->msgs, GUINT_TO_POINTER(msg_id));
	uint8_t data[SIMOTA_SMS_UD_CAP];
	size_t dlen = 0;
	uint8_t fcs = 0;
	struct ots_tx *tx;
	bool has_data;

	if (!cmd) {
		g_message("DELIVER-REPORT for unknown or finished SMS %u ignored", msg_id);
		return;
	}
	tx = g_hash_table_lookup(e->txs, &cmd->tx_id);
	if (!tx)
		return;
	has_data = ots_packet_report_data(tpdu, len, rp_error, data, sizeof(data), &dlen, &fcs);
	ots_engine_begin_step(e);
	if (has_data)
		ots_tx_on_por(e, tx, data, dlen, "deliver-report");
	else if (rp_error)
		ots_tx_on_delivery_error(e, tx, rp_cause, fcs);
	ots_engine_end(e);
}

/*
 * A PoR by SMS-SUBMIT from a device: for the card, among those it reaches,
 * whose outstanding command it answers (TAR, keys, counter), else for the
 * first with a command outstanding for its TAR (which records it as invalid).
 */
static void submit_por(struct ots_engine *e, GPtrArray *cards, const uint8_t *pkt, size_t len,
		       const char *via)
{
	const char *iccid = ((struct ots_card *)g_ptr_array_index(cards, 0))->iccid;
	struct ots_tx *first = NULL, *match = NULL;
	uint8_t tar[3];

	if (!ots_packet_por_tar(pkt, len, tar)) {
		g_message("card %s: short response packet by %s ignored", iccid, via);
		return;
	}
	for (guint i = 0; i < cards->len && !match; i++) {
		struct ots_tx *tx = active_tx(e, g_ptr_array_index(cards, i));

		if (!tx || !tx->cmd || memcmp(tx->tar, tar, 3) != 0)
			continue;
		if (!first)
			first = tx;
		if (ots_tx_por_is_for(e, tx, pkt, len))
			match = tx;
	}
	if (!match)
		match = first;
	if (!match) {
		g_message("card %s: PoR by %s with no command outstanding for its TAR", iccid, via);
		return;
	}
	ots_engine_begin_step(e);
	ots_tx_on_por(e, match, pkt, len, via);
	ots_engine_end(e);
}

/* An MG (doc/protocol.md) for the transaction, among the cards the device reaches, with its txid. */
static void submit_mg(struct ots_engine *e, GPtrArray *cards, const uint8_t *p, size_t len)
{
	struct simota_deferred_msg *m = g_new0(struct simota_deferred_msg, 1);
	const char *iccid = ((struct ots_card *)g_ptr_array_index(cards, 0))->iccid;
	struct ots_tx *tx = NULL;

	if (simota_deferred_decode(p, len, m) != SIMOTA_OK || m->type != SIMOTA_DEFERRED_MG) {
		g_message("card %s: SMS to the SV1 address is not an MG; ignored", iccid);
		goto out;
	}
	for (guint i = 0; i < cards->len && !tx; i++) {
		tx = active_tx(e, g_ptr_array_index(cards, i));
		if (tx && tx->txid != m->txid)
			tx = NULL;
	}
	if (!tx) {
		g_message("card %s: MG for txid %08x that nothing waits for; ignored", iccid, m->txid);
		goto out;
	}
	ots_engine_begin_step(e);
	ots_tx_on_mg(e, tx);
	ots_engine_end(e);
out:
	g_free(m);
}

enum ots_submit_verdict ots_engine_submit(struct ots_engine *e, const char *iccid,
					  const char *msisdn, const uint8_t *tpdu, size_t len)
{
	struct simota_sms_submit sms;

	if (simota_sms_submit_decode(tpdu, len, 0, &sms) != SIMOTA_OK &&
	    simota_sms_submit_decode(tpdu, len, SIMOTA_SMS_DECODE_UNPACKED_UD, &sms) != SIMOTA_OK)
		return OTS_SUBMIT_BAD;
	return ots_engine_mo(e, iccid, msisdn, &sms, "sms-submit");
}

enum ots_submit_verdict ots_engine_mo(struct ots_engine *e, const char *iccid, const char *msisdn,
				      const struct simota_sms_submit *sms, const char *via)
{
	GPtrArray *cards = cards_of(e, iccid, msisdn);
	enum ots_submit_verdict v = OTS_SUBMIT_OTHER;
	struct ots_card *card;
	const uint8_t *p;
	size_t plen;

	if (!cards->len || simota_sms_dcs_udl_in_septets(sms->dcs)) {
		g_message("SMS from %s to %s logged (not for the OTA server)",
			  iccid ? iccid : msisdn ? msisdn : "?", sms->da.digits);
		goto out;
	}
	/* the segments of one PoR are put together under the device's first card */
	card = g_ptr_array_index(cards, 0);
	if (e->lease) {
		char *owner = hold_cards(e, cards, false);

		if (owner && ots_lease_forward_mo(e, owner, iccid, msisdn, card->iccid, sms, via))
			v = OTS_SUBMIT_FORWARDED;
		g_free(owner);
		if (v == OTS_SUBMIT_FORWARDED)
			goto out;
	}
	if (ots_address_equal(&sms->da, e->cfg.sv1_address)) {
		if (simota_sms_ud_payload(&sms->ud, sms->dcs, &p, &plen) != SIMOTA_OK) {
			v = OTS_SUBMIT_BAD;
		} else {
			submit_mg(e, cards, p, plen);
			v = OTS_SUBMIT_MG;
		}
		goto out;
	}
	if (sms->ud.udhi) {
		struct ots_card_run *run = ots_engine_run(e, card->iccid);
		uint8_t pkt[SIMOTA_SMS_CONCAT_MAX_SEGMENTS * SIMOTA_SMS_CONCAT_SEGMENT_MAX];
		uint8_t iei = 0;
		simota_err err;

		if (!run->reasm) {
			run->reasm = g_new0(struct simota_sms_reassembly, 1);
			simota_sms_reassembly_init(run->reasm);
		}
		err = simota_sms_reassembly_add(run->reasm, &sms->ud);
		if (err == SIMOTA_ERR_BAD_VALUE) {
			/* another message began: drop the old one */
			simota_sms_reassembly_init(run->reasm);
			err = simota_sms_reassembly_add(run->reasm, &sms->ud);
		}
		if (err == SIMOTA_ERR_INCOMPLETE) {
			v = OTS_SUBMIT_POR;
			goto out;
		}
		if (err == SIMOTA_OK)
			err = simota_sms_reassembly_get(run->reasm, pkt, sizeof(pkt), &plen, &iei);
		g_clear_pointer(&run->reasm, g_free);
		if (err != SIMOTA_OK) {
			g_message("card %s: segment by %s refused: %s", card->iccid, via,
				  simota_strerror(err));
			v = OTS_SUBMIT_BAD;
			goto out;
		}
		if (iei == SIMOTA_SMS_IEI_RPI) {
			submit_por(e, cards, pkt, plen, via);
			v = OTS_SUBMIT_POR;
			goto out;
		}
	}
	g_message("SMS from card %s to %s by %s logged (not a PoR or MG)", card->iccid,
		  sms->da.digits, via);
out:
	g_ptr_array_unref(cards);
	return v;
}

/* ---- what links learn about the SMS they carry ----------------------------------- */

/*
 * The transaction SMS msg_id belongs to: the outstanding command's (in
 * memory), else the command row's (finished or replaced commands).
 */
static bool sms_owner(struct ots_engine *e, uint32_t msg_id, uint64_t *tx_id, char *iccid,
		      size_t cap, struct ots_cmd **outstanding)
{
	struct ots_cmd *cmd = g_hash_table_lookup(e->msgs, GUINT_TO_POINTER(msg_id));
	struct ots_db_stmt *st;
	bool found = false;

	*outstanding = cmd;
	if (cmd) {
		struct ots_tx *tx = g_hash_table_lookup(e->txs, &cmd->tx_id);

		if (tx) {
			*tx_id = tx->id;
			g_strlcpy(iccid, tx->iccid, cap);
			return true;
		}
	}
	st = ots_db_stmt(e->db, "SELECT tx_id, iccid, msg_id, n_segs FROM commands "
			 "WHERE msg_id <= ? ORDER BY msg_id DESC LIMIT 1");
	ots_db_bind_int(st, 1, msg_id);
	if (ots_db_next(st, NULL) &&
	    (uint64_t)ots_db_column_int(st, 2) + (uint64_t)ots_db_column_int(st, 3) > msg_id) {
		*tx_id = (uint64_t)ots_db_column_int(st, 0);
		g_strlcpy(iccid, ots_db_column_text(st, 1), cap);
		found = true;
	}
	ots_db_reset(st);
	return found;
}

static const char *const fate_events[] = {
	[OTS_SMS_RETRYING] = "submit-retry",
	[OTS_SMS_REFUSED] = "submit-refused", [OTS_SMS_REFUSED_FINAL] = "submit-refused",
	[OTS_SMS_DELIVERED] = "delivery-receipt", [OTS_SMS_UNDELIVERED] = "delivery-receipt",
};

void ots_engine_sms_report(struct ots_engine *e, uint32_t msg_id, const struct ots_sms_report *r)
{
	struct ots_cmd *cmd;
	GString *d;
	char iccid[21];
	uint64_t tx_id;

	if ((unsigned)r->fate >= G_N_ELEMENTS(fate_events))
		return;
	ots_engine_begin_step(e);
	if (!sms_owner(e, msg_id, &tx_id, iccid, sizeof(iccid), &cmd)) {
		g_message("%s about SMS %u that no command sent: ignored", fate_events[r->fate],
			  msg_id);
		ots_engine_end(e);
		return;
	}
	d = ots_detail_new();
	ots_detail_int(d, "msg-id", msg_id);
	if (r->link)
		ots_detail_str(d, "link", r->link);
	if (r->ref)
		ots_detail_str(d, "message-id", r->ref);
	if (r->fate == OTS_SMS_DELIVERED || r->fate == OTS_SMS_UNDELIVERED) {
		ots_detail_bool(d, "delivered", r->fate == OTS_SMS_DELIVERED);
		ots_detail_str(d, "stat", r->reason ? r->reason : "");
		ots_detail_int(d, "err", r->status);
	} else {
		ots_detail_int(d, "status", r->status);
		ots_detail_str(d, "reason", r->reason ? r->reason : "");
	}
	ots_timeline_add(e, tx_id, iccid, fate_events[r->fate], d);
	if (r->fate == OTS_SMS_REFUSED || r->fate == OTS_SMS_REFUSED_FINAL ||
	    r->fate == OTS_SMS_UNDELIVERED) {
		char *why = g_strdup_printf("the SMSC refused the SMS: %s", r->reason ? r->reason : "?");
		char *owner = NULL;

		if (cmd)
			ots_engine_sms_failed(e, msg_id, r->fate == OTS_SMS_REFUSED_FINAL, why);
		else if (!ots_lease_hold(e, iccid, &owner) && *owner)
			/* several instances: a receipt for another's SMS (the SMSC picks the session) */
			ots_lease_forward_failure(e, owner, iccid, msg_id,
						  r->fate == OTS_SMS_REFUSED_FINAL, why);
		g_free(owner);
		g_free(why);
	}
	ots_engine_end(e);
}

void ots_engine_sms_failed(struct ots_engine *e, uint32_t msg_id, bool final, const char *why)
{
	struct ots_cmd *cmd = g_hash_table_lookup(e->msgs, GUINT_TO_POINTER(msg_id));
	struct ots_tx *tx = cmd ? g_hash_table_lookup(e->txs, &cmd->tx_id) : NULL;

	if (!tx)
		return;         /* answered or replaced meanwhile */
	ots_engine_begin_step(e);
	ots_tx_on_sms_failure(e, tx, final, why);
	ots_engine_end(e);
}

void ots_engine_sms_lost(struct ots_engine *e, uint32_t msg_id, const char *trigger)
{
	struct ots_cmd *cmd = g_hash_table_lookup(e->msgs, GUINT_TO_POINTER(msg_id));
	struct ots_tx *tx = cmd ? g_hash_table_lookup(e->txs, &cmd->tx_id) : NULL;

	if (!tx)
		return;     /* answered or replaced meanwhile */
	ots_engine_begin_step(e);
	ots_tx_resend(e, tx, trigger);
	ots_engine_end(e);
}

void ots_engine_link_refused(struct ots_engine *e, const char *link, const char *msisdn,
			     const char *why)
{
	GPtrArray *cards = cards_of(e, NULL, msisdn);

	g_warning("%s: a message from %s could not be read: %s", link, msisdn && *msisdn ? msisdn : "?",
		  why);
	/* the transactions of every card that number reaches: the message may have been any's */
	for (guint i = 0; i < cards->len; i++) {
		struct ots_tx *tx = active_tx(e, g_ptr_array_index(cards, i));
		GString *d;

		if (!tx)
			continue;
		d = ots_detail_new();
		ots_detail_str(d, "link", link);
		ots_detail_str(d, "why", why);
		ots_engine_begin(e);
		ots_tx_event(e, tx, "link-refused", d);
		ots_engine_end(e);
	}
	g_ptr_array_unref(cards);
}

/* ---- card registry API ------------------------------------------------------- */

bool ots_engine_card_import_file(struct ots_engine *e, const char *path, bool replace,
				 char **iccid, GError **error)
{
	struct simota_card_config *cfg = NULL;
	char *text = NULL;
	gsize len = 0;
	bool ok;

	if (g_file_get_contents(path, &text, &len, error)) {
		cfg = simota_card_config_parse(path, text, len, error);
		explicit_bzero(text, len); /* key material */
		g_free(text);
	} else if (error && *error) {
		g_prefix_error(error, "%s: ", path);
	}

	if (!cfg) {
		if (error && *error) {
			(*error)->domain = OTS_ERROR;
			(*error)->code = OTS_ERROR_INVALID;
			/* "file: ..." so that ots_error_field() names the input */
			char *msg = g_strdup_printf("file: %s", (*error)->message);

			g_free((*error)->message);
			(*error)->message = msg;
		}
		return false;
	}
	ots_engine_flush(e);    /* the registry commits on its own: no batch may be open */
	ok = ots_registry_add(e->reg, cfg, replace, error);
	if (ok && iccid)
		*iccid = g_strdup(cfg->iccid);
	simota_card_config_free(cfg);
	return ok;
}

bool ots_engine_card_import_data(struct ots_engine *e, const char *data, size_t len,
				 bool replace, char **iccid, GError **error)
{
	char *path = NULL;
	int fd = g_file_open_tmp("ots-card-XXXXXX.ini", &path, error);
	bool ok;

	if (fd < 0)
		return false;
	ok = g_file_set_contents_full(path, data, (gssize)len, G_FILE_SET_CONTENTS_NONE, 0600, error);
	close(fd);
	if (ok)
		ok = ots_engine_card_import_file(e, path, replace, iccid, error);
	unlink(path);
	g_free(path);
	return ok;
}

bool ots_engine_card_add_json(struct ots_engine *e, JsonNode *card, bool replace, GError **error)
{
	struct simota_card_config *cfg = ots_registry_config_from_json(card, error);
	bool ok;

	if (!cfg)
		return false;
	ots_engine_flush(e);
	ok = ots_registry_add(e->reg, cfg, replace, error);
	simota_card_config_free(cfg);
	return ok;
}

bool ots_engine_card_add_json_all(struct ots_engine *e, JsonArray *cards, bool replace,
				  GError **error)
{
	guint n = json_array_get_length(cards);
	GPtrArray *cfgs = g_ptr_array_new_full(n, (GDestroyNotify)simota_card_config_free);
	bool ok = true;

	for (guint i = 0; ok && i < n; i++) {
		JsonNode *card = json_array_get_element(cards, i);
		struct simota_card_config *cfg = NULL;

		if (!JSON_NODE_HOLDS_OBJECT(card))
			g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "[%u]: expected a card object", i);
		else if (!(cfg = ots_registry_config_from_json(card, error)))
			g_prefix_error(error, "[%u].", i);
		else
			g_ptr_array_add(cfgs, cfg);
		ok = cfg != NULL;
	}
	if (ok) {
		ots_engine_flush(e);    /* the registry commits on its own: no batch may be open */
		ok = ots_registry_add_all(e->reg, (const struct simota_card_config *const *)cfgs->pdata,
					  cfgs->len, replace, error);
	}
	g_ptr_array_unref(cfgs);
	return ok;
}

JsonNode *ots_engine_card_list(struct ots_engine *e, const char *after, unsigned limit,
			       bool *more, GError **error)
{
	return ots_registry_list_json(e->reg, after, limit, more, error);
}

JsonNode *ots_engine_card_show(struct ots_engine *e, const char *iccid, GError **error)
{
	struct ots_card *card = ots_registry_get(e->reg, iccid);

	if (!card) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_NOT_FOUND, "unknown card %s", iccid);
		return NULL;
	}
	return ots_registry_card_json(e->reg, card);
}

bool ots_engine_card_remove(struct ots_engine *e, const char *iccid, GError **error)
{
	ots_engine_flush(e);
	return ots_registry_remove(e->reg, iccid, error);
}

/* ---- transaction API ------------------------------------------------------------ */

void ots_ev_policy_init(struct ots_ev_policy *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->on_mg = true;
	ev->on_rq = true;
}

static const char *const state_names[] = {
	[OTS_TX_QUEUED] = "queued", [OTS_TX_C1_SENT] = "c1-sent", [OTS_TX_WAITING] = "waiting",
	[OTS_TX_C2_SENT] = "c2-sent", [OTS_TX_RELEASING] = "releasing",
	[OTS_TX_COMPLETED] = "completed", [OTS_TX_EXPIRED] = "expired", [OTS_TX_FAILED] = "failed",
};

const char *ots_tx_state_name(enum ots_tx_state s)
{
	return (unsigned)s < G_N_ELEMENTS(state_names) ? state_names[s] : "?";
}

/* An RFM operation's one command is its "c1": that state reads "sent" there. */
const char *ots_tx_row_state_name(int action, int state)
{
	if (action == OTS_ACTION_RFM && state == OTS_TX_C1_SENT)
		return "sent";
	return ots_tx_state_name(state);
}

bool ots_tx_state_from_name(const char *name, enum ots_tx_state *out)
{
	if (name && strcmp(name, "sent") == 0) {
		*out = OTS_TX_C1_SENT;
		return true;
	}
	for (unsigned i = 0; name && i < G_N_ELEMENTS(state_names); i++)
		if (strcmp(name, state_names[i]) == 0) {
			*out = i;
			return true;
		}
	return false;
}

static bool utf8_ok(const char *s)
{
	return s && g_utf8_validate(s, -1, NULL);
}

/* The action and what it needs: a text, or 1 to 64 items (doc/api.md). */
static bool request_action_ok(const struct ots_tx_request *req, GError **error)
{
	switch (req->action) {
	case SIMOTA_DEFERRED_DISPLAY_TEXT:
	case SIMOTA_DEFERRED_GET_INPUT:
	case SIMOTA_DEFERRED_YES_NO:
		if (!req->text || !*req->text) {
			g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
				    "text: required and not empty for this action");
			return false;
		}
		if (req->n_items) {
			g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
				    "items: only for select-item");
			return false;
		}
		if (req->default_item) {
			g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
				    "default-item: only for select-item");
			return false;
		}
		return true;
	case SIMOTA_DEFERRED_SELECT_ITEM:
		if (req->n_items < 1 || req->n_items > SIMOTA_DEFERRED_MAX_ITEMS) {
			g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
				    "items: select-item needs 1 to %d items", SIMOTA_DEFERRED_MAX_ITEMS);
			return false;
		}
		/* protocol.md §3.2: 8D names one of the items, whose ids are 1..n */
		if (req->default_item > req->n_items) {
			g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
				    "default-item: expected an item id, 1 to %zu", req->n_items);
			return false;
		}
		return true;
	default:
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
			    "action: expected display-text, get-input, select-item or yes-no");
		return false;
	}
}

/* The request's own consistency, before any card is looked at. */
static bool request_ok(const struct ots_tx_request *req, GError **error)
{
	if (!req->iccid || !*req->iccid) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "iccid: missing");
		return false;
	}
	if (!request_action_ok(req, error))
		return false;
	if (req->text && !utf8_ok(req->text)) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "text: not UTF-8");
		return false;
	}
	for (size_t i = 0; i < req->n_items; i++)
		if (!utf8_ok(req->items[i]) || !*req->items[i]) {
			g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
				    "items[%zu]: expected non-empty UTF-8 text", i);
			return false;
		}
	if (req->has_input && (req->action != SIMOTA_DEFERRED_GET_INPUT ||
			       req->input.max_len < 1 || req->input.min_len > req->input.max_len ||
			       (req->input.flags & ~3))) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
			    "input: get-input only, 0 <= min <= max, max >= 1");
		return false;
	}
	if (req->ev.wanted.form == SIMOTA_DEFERRED_RQ_UNTIL_EVENT &&
	    req->ev.wanted.event == SIMOTA_DEFERRED_EVENT_MG_SENT && !req->ev.on_mg) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
			    "ev.wanted: until-mg needs ev.mg (the SV1 address goes in C1)");
		return false;
	}
	return true;
}

/* The registered card, the TAR (the request's or the card's default) and a keyset it allows. */
static bool request_target(struct ots_engine *e, const struct ots_tx_request *req,
			   struct ots_card **card, const struct simota_card_tar **tar, int *kvn,
			   GError **error)
{
	*card = ots_registry_get(e->reg, req->iccid);
	if (!*card) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_NOT_FOUND, "unknown card %s", req->iccid);
		return false;
	}
	*tar = req->tar ? ots_card_tar(*card, req->tar) : ots_card_default_tar(*card);
	if (!*tar) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "tar: the card has no such TAR");
		return false;
	}
	if (strcmp((*tar)->applet, "rfm") == 0) {
		/* a C1 read as a compact script would run as C-APDUs */
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
			    "tar: an RFM application's TAR; deferred transactions need a deferred one");
		return false;
	}
	*kvn = ots_card_tar_keyset(*card, *tar);
	if (*kvn < 0) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
			    "tar: no keyset of the card is allowed for this TAR");
		return false;
	}
	return true;
}

/* A queued transaction for the request; the EV policy's defaults from the engine's config. */
static struct ots_tx *tx_new(struct ots_engine *e, const struct ots_tx_request *req,
			     const struct ots_card *card, const struct simota_card_tar *tar, int kvn)
{
	struct ots_tx *tx = g_new0(struct ots_tx, 1);

	tx->engine = e;
	g_strlcpy(tx->iccid, card->iccid, sizeof(tx->iccid));
	memcpy(tx->tar, tar->tar, 3);
	tx->kvn = (uint8_t)kvn;
	tx->action = req->action;
	tx->text = g_strdup(req->text);
	tx->items = g_ptr_array_new_with_free_func(g_free);
	for (size_t i = 0; i < req->n_items; i++)
		g_ptr_array_add(tx->items, g_strdup(req->items[i]));
	tx->default_item = req->default_item;
	tx->has_input = req->has_input;
	tx->input = req->input;
	tx->ev = req->ev;
	tx->ev.preset_ms = DEFAULT(tx->ev.preset_ms, e->cfg.preset_ms);
	tx->ev.deadline_ms = DEFAULT(tx->ev.deadline_ms, e->cfg.deadline_ms);
	tx->state = OTS_TX_QUEUED;
	tx->created_us = g_get_real_time();
	return tx;
}

/*
 * Stores the transaction with a fresh txid (one DB transaction), then
 * starts it, or queues it behind the card's active one (whose "next
 * session" RQ that may end).  Takes tx.
 */
bool ots_tx_enqueue(struct ots_engine *e, struct ots_tx *tx, uint64_t *id, GError **error)
{
	struct ots_card_run *run;
	char *owner = NULL;

	if (!ots_lease_hold(e, tx->iccid, &owner)) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_ELSEWHERE, "card %s is leased by instance %s",
			    tx->iccid, *owner ? owner : "(being taken)");
		g_free(owner);
		ots_tx_free(tx);
		return false;
	}
	ots_engine_begin(e);
	if (!ots_registry_take_txid(e->reg, tx->iccid, &tx->txid, error) ||
	    !ots_tx_insert(e, tx, error)) {
		e->failed = true;
		ots_engine_end(e);
		ots_tx_free(tx);
		return false;
	}
	ots_engine_view_changes(e);
	g_hash_table_insert(e->txs, &tx->id, tx);
	ots_tx_event(e, tx, "queued", NULL);
	*id = tx->id;
	run = ots_engine_run(e, tx->iccid);
	if (run->active) {
		g_queue_push_tail(&run->queued, tx);
		ots_tx_next_session(e, run->active);
	} else {
		ots_tx_activate(e, tx);
	}
	ots_engine_end(e);
	if (e->failed) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_DB, "database: the transaction was not stored");
		return false;
	}
	return true;
}

bool ots_engine_tx_start(struct ots_engine *e, const struct ots_tx_request *req,
			 uint64_t *id, GError **error)
{
	struct ots_card *card;
	const struct simota_card_tar *tar;
	int kvn;

	if (!request_ok(req, error) || !request_target(e, req, &card, &tar, &kvn, error))
		return false;
	return ots_tx_enqueue(e, tx_new(e, req, card, tar, kvn), id, error);
}

/*
 * The open batch's timeline rows written before a read shows the rest of
 * its state (not inside a request's savepoint, whose rollback would take
 * them with it: no request reads the timeline).  One that fails loses the
 * batch, as a step's failure does.
 */
static void timeline_before_read(struct ots_engine *e)
{
	GError *error = NULL;

	if (!e->batch_open || e->in_savepoint || ots_timeline_write(e, &error))
		return;
	ots_engine_db_failed(e, error);
	e->batch_doomed = true;
}

JsonNode *ots_engine_tx_get(struct ots_engine *e, uint64_t id, GError **error)
{
	struct ots_db_stmt *st;
	JsonNode *n = NULL;

	timeline_before_read(e);
	st = ots_db_stmt(e->db, "SELECT " OTS_TX_COLUMNS " FROM transactions WHERE id = ?");

	ots_db_bind_int(st, 1, (int64_t)id);
	if (ots_db_next(st, NULL))
		n = ots_tx_row_json(e, st, true);
	ots_db_reset(st);
	if (!n)
		g_set_error(error, OTS_ERROR, OTS_ERROR_NOT_FOUND,
			    "unknown transaction %" G_GUINT64_FORMAT, id);
	return n;
}

/*
 * Newest first from an index in id order, whatever the filter: the
 * primary key; tx_state (state, then the rowid on SQLite); tx_card
 * (iccid, then the rowid on SQLite) for a card's, in one state or any,
 * filtered: a card's own, not the table.
 */
JsonNode *ots_engine_tx_list(struct ots_engine *e, const struct ots_tx_filter *f, bool *more,
			     GError **error)
{
	enum ots_tx_state s = OTS_TX_QUEUED;
	GString *sql;
	struct ots_db_stmt *st;
	GError *local = NULL;
	JsonArray *a;
	JsonNode *n;
	unsigned count = 0;
	int arg = 1;

	*more = false;
	if (f->state && !ots_tx_state_from_name(f->state, &s)) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
			    "state: expected queued, c1-sent, sent, waiting, c2-sent, releasing, "
			    "completed, expired or failed");
		return NULL;
	}
	sql = g_string_new("SELECT " OTS_TX_COLUMNS " FROM transactions WHERE id < ?");
	if (f->iccid)
		g_string_append(sql, " AND iccid = ?");
	if (f->state)
		g_string_append(sql, " AND state = ?");
	/* one row more than the page: whether another page follows */
	g_string_append(sql, " ORDER BY id DESC LIMIT ?");
	st = ots_db_stmt(e->db, sql->str);
	g_string_free(sql, TRUE);
	ots_db_bind_int(st, arg++, f->before ? (int64_t)f->before : G_MAXINT64);
	if (f->iccid)
		ots_db_bind_text(st, arg++, f->iccid);
	if (f->state)
		ots_db_bind_int(st, arg++, s);
	ots_db_bind_int(st, arg, (int64_t)f->limit + 1);
	a = json_array_new();
	while (ots_db_next(st, &local)) {
		if (count++ == f->limit) {
			*more = true;
			break;
		}
		json_array_add_element(a, ots_tx_row_json(e, st, false));
	}
	ots_db_reset(st);
	if (local) {
		g_propagate_error(error, local);
		json_array_unref(a);
		return NULL;
	}
	n = json_node_new(JSON_NODE_ARRAY);
	json_node_take_array(n, a);
	return n;
}

int ots_engine_tx_state(struct ots_engine *e, uint64_t id)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db, "SELECT state FROM transactions WHERE id = ?");
	int s = -1;

	ots_db_bind_int(st, 1, (int64_t)id);
	if (ots_db_next(st, NULL))
		s = ots_db_column_int(st, 0);
	ots_db_reset(st);
	return s;
}

char *ots_engine_tx_iccid(struct ots_engine *e, uint64_t id)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db, "SELECT iccid FROM transactions WHERE id = ?");
	char *iccid = NULL;

	ots_db_bind_int(st, 1, (int64_t)id);
	if (ots_db_next(st, NULL))
		iccid = g_strdup(ots_db_column_text(st, 0));
	ots_db_reset(st);
	return iccid;
}

bool ots_engine_tx_poll(struct ots_engine *e, uint64_t id, GError **error)
{
	struct ots_tx *tx = g_hash_table_lookup(e->txs, &id);
	bool ok;

	if (!tx && e->lease && ots_engine_tx_state(e, id) >= 0 &&
	    !ots_tx_state_is_final(ots_engine_tx_state(e, id))) {
		/* several instances: its card may be free, or another's */
		char *iccid = ots_engine_tx_iccid(e, id), *owner = NULL;

		if (iccid && !ots_lease_hold(e, iccid, &owner)) {
			g_set_error(error, OTS_ERROR, OTS_ERROR_ELSEWHERE,
				    "card %s is leased by instance %s", iccid, owner);
			g_free(iccid);
			g_free(owner);
			return false;
		}
		g_free(iccid);
		tx = g_hash_table_lookup(e->txs, &id);
	}
	if (!tx) {
		int s = ots_engine_tx_state(e, id);

		if (s < 0)
			g_set_error(error, OTS_ERROR, OTS_ERROR_NOT_FOUND,
				    "unknown transaction %" G_GUINT64_FORMAT, id);
		else
			g_set_error(error, OTS_ERROR, OTS_ERROR_STATE,
				    "transaction %" G_GUINT64_FORMAT " is %s: nothing to poll", id,
				    ots_tx_state_name(s));
		return false;
	}
	/* it sends at once: the in-memory view changes with its first write */
	ots_engine_begin_step(e);
	ok = ots_tx_poll(e, tx, error);
	ots_engine_end(e);
	if (ok && e->failed) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_DB, "database: the poll was not stored");
		return false;
	}
	return ok;
}
