/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Campaigns (transactions/rfm.h, doc/rfm.md "Campaigns"): one script to
 * many cards.
 *
 *   campaign   running -> completed (no card pending or active)
 *                      -> cancelled (ots_engine_campaign_cancel)
 *   card       pending -> active -> done                the script ran, every command succeeded
 *                           |    -> failed              the card answered otherwise (error PoR,
 *                           |                           a failing command), or no PoR and no
 *                           |                           retry left, or the card cannot take it
 *                           +-> pending                 no PoR (after the operation's own
 *                                                       resends): again, up to `retries` times
 *              pending, or active but queued unsent -> cancelled
 *
 * A card is started by an RFM operation (rfm.c), at most `rate` a second
 * (a token bucket refilled by a timer); the operation waits behind the
 * card's other transactions and resends its packet with fresh counters
 * when its PoR does not come, like every transaction.  Every change of a
 * card's state is written in the same database transaction as the
 * operation's (the start; the outcome, through tx.c's finish hook), so a
 * server killed at any point resumes where the database says: a card done
 * is never sent the script again, an active card's operation is resumed
 * by the engine, pending cards are started.
 */
#include <string.h>

#include "transactions/rfm-internal.h"
#include "util.h"

#define INVALID(error, ...) g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, __VA_ARGS__)

enum campaign_state { CAMPAIGN_RUNNING, CAMPAIGN_COMPLETED, CAMPAIGN_CANCELLED };
enum card_state { CARD_PENDING, CARD_ACTIVE, CARD_DONE, CARD_FAILED, CARD_CANCELLED, CARD_N };

static const char *const campaign_names[] = { "running", "completed", "cancelled" };
static const char *const card_names[] = { "pending", "active", "done", "failed", "cancelled" };

#define DEFAULT_RATE_MILLI 10000      /* 10 packets/s */
#define MAX_RATE_MILLI 100000000      /* 100 000 packets/s */
#define DEFAULT_RETRIES 1
#define MAX_RETRIES 10
#define MAX_NAME 64
#define TICK_MIN_MS 10
#define TICK_MAX_MS 200

/* A running campaign in memory (the database holds everything; this paces it). */
struct campaign_run {
	struct ots_engine *e;
	uint64_t id;
	unsigned rate_milli;      /* packets/s x 1000 */
	unsigned retries;
	struct ots_rfm_script *rs;
	unsigned pending, active; /* cards in these states (as in the database) */
	bool cancelling;          /* operations failed by the cancel are cancelled, not failed */
	bool starting;            /* inside start_cards: the campaign may not end meanwhile */
	double tokens;
	int64_t last_us;          /* monotonic */
	guint timer;
};

struct ots_campaigns {
	GHashTable *running;      /* id (uint64 *) -> struct campaign_run */
};

static void run_free(gpointer p)
{
	struct campaign_run *run = p;

	if (run->timer)
		g_source_remove(run->timer);
	if (run->rs) {
		ots_rfm_script_clear(run->rs);
		g_free(run->rs);
	}
	g_free(run);
}

static struct campaign_run *running(struct ots_engine *e, uint64_t id)
{
	return e->campaigns ? g_hash_table_lookup(e->campaigns->running, &id) : NULL;
}

/* ---- events ------------------------------------------------------------------------ */

static void campaign_event(struct ots_engine *e, uint64_t id, const char *kind, GString *d)
{
	ots_detail_int(d, "campaign", (int64_t)id);
	ots_timeline_add(e, 0, NULL, kind, d);
	g_info("campaign %" G_GUINT64_FORMAT ": %s", id, kind);
}

/* "campaign-card": a card's new state, on the timeline of its operation. */
static void card_event(struct ots_engine *e, uint64_t id, const char *iccid, uint64_t tx_id,
		       enum card_state state, int64_t attempts, const char *why)
{
	GString *d = ots_detail_new();

	ots_detail_int(d, "campaign", (int64_t)id);
	ots_detail_str(d, "state", card_names[state]);
	ots_detail_int(d, "attempt", attempts);
	if (why)
		ots_detail_str(d, "why", why);
	ots_timeline_add(e, tx_id, iccid, "campaign-card", d);
}

/* ---- the database --------------------------------------------------------------- */

static void db_run(struct ots_engine *e, struct ots_db_stmt *st)
{
	GError *error = NULL;

	if (!ots_db_run(st, &error))
		ots_engine_db_failed(e, error);
}

static void set_card(struct ots_engine *e, uint64_t id, const char *iccid, enum card_state state,
		     const char *why)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db, "UPDATE campaign_cards SET state = ?, why = ?, "
					     "updated = ? WHERE campaign_id = ? AND iccid = ?");

	ots_db_bind_int(st, 1, state);
	ots_db_bind_text(st, 2, why);
	ots_db_bind_int(st, 3, g_get_real_time());
	ots_db_bind_int(st, 4, (int64_t)id);
	ots_db_bind_text(st, 5, iccid);
	db_run(e, st);
}

static void set_campaign_state(struct ots_engine *e, uint64_t id, enum campaign_state state)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db, "UPDATE campaigns SET state = ?, finished = ? "
					     "WHERE id = ?");

	ots_db_bind_int(st, 1, state);
	ots_db_bind_int(st, 2, g_get_real_time());
	ots_db_bind_int(st, 3, (int64_t)id);
	db_run(e, st);
}

/* Cards of the campaign in each state. */
static void count_cards(struct ots_engine *e, uint64_t id, int64_t counts[CARD_N])
{
	struct ots_db_stmt *st = ots_db_stmt(e->db, "SELECT state, count(*) FROM campaign_cards "
					     "WHERE campaign_id = ? GROUP BY state");

	memset(counts, 0, sizeof(int64_t) * CARD_N);
	ots_db_bind_int(st, 1, (int64_t)id);
	while (ots_db_next(st, NULL)) {
		int64_t s = ots_db_column_int(st, 0);

		if (s >= 0 && s < CARD_N)
			counts[s] = ots_db_column_int(st, 1);
	}
	ots_db_reset(st);
}

/* ---- pacing ---------------------------------------------------------------------- */

static unsigned tick_ms(const struct campaign_run *run)
{
	return CLAMP(1000000u / MAX(run->rate_milli, 1u), TICK_MIN_MS, TICK_MAX_MS);
}

/* No card pending or active: the campaign is completed (frees run). */
static void finish(struct ots_engine *e, struct campaign_run *run)
{
	int64_t counts[CARD_N];
	GString *d = ots_detail_new();
	uint64_t id = run->id;

	set_campaign_state(e, id, CAMPAIGN_COMPLETED);
	count_cards(e, id, counts);
	ots_detail_int(d, "done", counts[CARD_DONE]);
	ots_detail_int(d, "failed", counts[CARD_FAILED]);
	ots_detail_int(d, "cancelled", counts[CARD_CANCELLED]);
	campaign_event(e, id, "campaign-completed", d);
	g_hash_table_remove(e->campaigns->running, &id);
}

static void maybe_finish(struct ots_engine *e, struct campaign_run *run)
{
	if (!run->starting && !run->cancelling && !run->pending && !run->active)
		finish(e, run);
}

/*
 * Several instances: the card is leased by another live instance.  It
 * waits, pending, behind the campaign's other cards (its attempt not
 * counted), and that instance is asked to let it go (lease.c).
 */
static void card_elsewhere(struct campaign_run *run, const char *iccid, int64_t attempts)
{
	struct ots_engine *e = run->e;
	struct ots_db_stmt *st = ots_db_stmt(e->db, "UPDATE campaign_cards SET state = ?, attempts = ?, "
				       "pos = (SELECT max(pos) + 1 FROM campaign_cards "
				       "WHERE campaign_id = ?) WHERE campaign_id = ? AND iccid = ?");
	char *owner = NULL;

	ots_db_bind_int(st, 1, CARD_PENDING);
	ots_db_bind_int(st, 2, attempts);
	ots_db_bind_int(st, 3, (int64_t)run->id);
	ots_db_bind_int(st, 4, (int64_t)run->id);
	ots_db_bind_text(st, 5, iccid);
	db_run(e, st);
	run->active--;
	run->pending++;
	if (!ots_lease_hold(e, iccid, &owner) && *owner)
		ots_lease_ask_release(e, owner, iccid);
	g_free(owner);
}

/* One pending card started: its operation (or its failure when the card cannot take the script). */
static void start_card(struct campaign_run *run, const char *iccid, int64_t attempts)
{
	struct ots_engine *e = run->e;
	const struct simota_card_tar *tar;
	struct ots_card *card;
	struct ots_db_stmt *st;
	GError *error = NULL;
	uint64_t tx_id = 0;
	int kvn;

	/* active first: an operation that fails at once ends it through the finish hook */
	st = ots_db_stmt(e->db, "UPDATE campaign_cards SET state = ?, attempts = ?, tx_id = NULL, "
			 "why = NULL, updated = ? WHERE campaign_id = ? AND iccid = ?");
	ots_db_bind_int(st, 1, CARD_ACTIVE);
	ots_db_bind_int(st, 2, attempts + 1);
	ots_db_bind_int(st, 3, g_get_real_time());
	ots_db_bind_int(st, 4, (int64_t)run->id);
	ots_db_bind_text(st, 5, iccid);
	db_run(e, st);
	run->pending--;
	run->active++;
	if (!ots_rfm_target(e, iccid, run->rs, "iccid", "tar", &card, &tar, &kvn, &error) ||
	    !ots_rfm_start(e, card, tar, kvn, run->rs, run->id, &tx_id, &error)) {
		if (g_error_matches(error, OTS_ERROR, OTS_ERROR_ELSEWHERE)) {
			g_error_free(error);
			card_elsewhere(run, iccid, attempts);
			return;
		}
		/* the card was removed or changed since the campaign began */
		set_card(e, run->id, iccid, CARD_FAILED, error->message);
		card_event(e, run->id, iccid, 0, CARD_FAILED, attempts + 1, error->message);
		g_error_free(error);
		run->active--;
		return;
	}
	st = ots_db_stmt(e->db, "UPDATE campaign_cards SET tx_id = ? WHERE campaign_id = ? AND iccid = ?");
	ots_db_bind_int(st, 1, (int64_t)tx_id);
	ots_db_bind_int(st, 2, (int64_t)run->id);
	ots_db_bind_text(st, 3, iccid);
	db_run(e, st);
	card_event(e, run->id, iccid, tx_id, CARD_ACTIVE, attempts + 1, NULL);
}

/*
 * Starts up to n pending cards (fewest attempts first, then in the order
 * given), in the caller's bracket; returns how many were taken.
 */
static unsigned start_cards(struct campaign_run *run, unsigned n)
{
	struct ots_engine *e = run->e;
	struct ots_db_stmt *st = ots_db_stmt(e->db, "SELECT iccid, attempts FROM campaign_cards "
					     "WHERE campaign_id = ? AND state = ? "
					     "ORDER BY attempts, pos LIMIT ?");
	GPtrArray *iccids = g_ptr_array_new_with_free_func(g_free);
	GArray *attempts = g_array_new(FALSE, FALSE, sizeof(int64_t));

	ots_db_bind_int(st, 1, (int64_t)run->id);
	ots_db_bind_int(st, 2, CARD_PENDING);
	ots_db_bind_int(st, 3, n);
	while (ots_db_next(st, NULL)) {
		int64_t a = ots_db_column_int(st, 1);

		g_ptr_array_add(iccids, g_strdup(ots_db_column_text(st, 0)));
		g_array_append_val(attempts, a);
	}
	ots_db_reset(st);
	run->starting = true;
	for (unsigned i = 0; i < iccids->len; i++)
		start_card(run, iccids->pdata[i], g_array_index(attempts, int64_t, i));
	run->starting = false;
	n = iccids->len;
	if (n == 0)
		run->pending = 0;   /* the database has none left */
	g_ptr_array_free(iccids, TRUE);
	g_array_free(attempts, TRUE);
	return n;
}

static gboolean tick_cb(gpointer p)
{
	struct campaign_run *run = p;
	struct ots_engine *e = run->e;
	int64_t now = g_get_monotonic_time();
	double rate = run->rate_milli / 1000.0;
	double burst = MAX(1.0, rate * tick_ms(run) / 1000.0);
	unsigned n;

	run->tokens = MIN(run->tokens + rate * (double)(now - run->last_us) / 1e6, burst);
	run->last_us = now;
	n = run->tokens > 0 ? (unsigned)run->tokens : 0;   /* whole tokens */
	if (n && run->pending) {
		bool more;

		ots_engine_begin_step(e);     /* a timer: it changes the run as it writes */
		run->tokens -= start_cards(run, n);
		more = run->pending > 0;
		if (!more) {
			run->timer = 0;          /* this source ends here; finish may free run */
			maybe_finish(e, run);
		}
		ots_engine_end(e);
		return more ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
	}
	if (!run->pending) {
		run->timer = 0;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static void ensure_ticking(struct campaign_run *run)
{
	if (run->timer || !run->pending)
		return;
	run->last_us = g_get_monotonic_time();
	run->timer = g_timeout_add(tick_ms(run), tick_cb, run);
}

/* ---- the outcome of a card's operation (tx.c's finish hook, through rfm.c) ---------------- */

static int64_t campaign_retries(struct ots_engine *e, uint64_t id)
{
	struct campaign_run *run = running(e, id);
	struct ots_db_stmt *st;
	int64_t v = 0;

	if (run)
		return run->retries;
	st = ots_db_stmt(e->db, "SELECT retries FROM campaigns WHERE id = ?");
	ots_db_bind_int(st, 1, (int64_t)id);
	if (ots_db_next(st, NULL))
		v = ots_db_column_int(st, 0);
	ots_db_reset(st);
	return v;
}

void ots_campaign_recount(struct ots_engine *e, uint64_t id)
{
	struct campaign_run *run = running(e, id);
	int64_t counts[CARD_N];

	if (!run)
		return;
	ots_engine_begin_step(e);
	count_cards(e, id, counts);
	run->pending = (unsigned)counts[CARD_PENDING];
	run->active = (unsigned)counts[CARD_ACTIVE];
	ensure_ticking(run);
	maybe_finish(e, run);
	ots_engine_end(e);
}

void ots_campaign_op_finished(struct ots_engine *e, uint64_t campaign, const char *iccid,
			      uint64_t tx_id, bool answered, bool ok, const char *why)
{
	struct campaign_run *run = running(e, campaign);
	struct ots_db_stmt *st = ots_db_stmt(e->db, "SELECT state, attempts FROM campaign_cards "
					     "WHERE campaign_id = ? AND iccid = ?");
	enum card_state state;
	int64_t attempts = 0;
	bool active = false;

	ots_db_bind_int(st, 1, (int64_t)campaign);
	ots_db_bind_text(st, 2, iccid);
	if (ots_db_next(st, NULL)) {
		active = ots_db_column_int(st, 0) == CARD_ACTIVE;
		attempts = ots_db_column_int(st, 1);
	}
	ots_db_reset(st);
	if (!active)
		return;         /* cancelled meanwhile, or not this campaign's card any more */
	if (ok)
		state = CARD_DONE;
	else if (run && run->cancelling)
		state = CARD_CANCELLED;
	else if (answered || attempts > campaign_retries(e, campaign))
		state = CARD_FAILED;   /* the card answered: never sent the script again */
	else
		state = CARD_PENDING;  /* no PoR: again, with fresh counters */
	set_card(e, campaign, iccid, state, state == CARD_DONE ? NULL : why);
	card_event(e, campaign, iccid, tx_id, state, attempts, state == CARD_DONE ? NULL : why);
	if (!run) {
		/* several instances: the card was handed here; the pacing instance counts again */
		ots_lease_campaign_changed(e, campaign);
		return;
	}
	run->active--;
	if (state == CARD_PENDING) {
		run->pending++;
		ensure_ticking(run);
	}
	maybe_finish(e, run);
}

/* ---- running campaigns ------------------------------------------------------------------ */

static struct campaign_run *run_new(struct ots_engine *e, uint64_t id, unsigned rate_milli,
				    unsigned retries, struct ots_rfm_script *rs)
{
	struct campaign_run *run = g_new0(struct campaign_run, 1);
	int64_t counts[CARD_N];

	run->e = e;
	run->id = id;
	run->rate_milli = rate_milli;
	run->retries = retries;
	run->rs = rs;
	run->tokens = 1.0;        /* the first card goes at once */
	count_cards(e, id, counts);
	run->pending = (unsigned)counts[CARD_PENDING];
	run->active = (unsigned)counts[CARD_ACTIVE];
	g_hash_table_insert(e->campaigns->running, &run->id, run);
	return run;
}

/* The stored script of a campaign, checked and encoded again. */
static struct ots_rfm_script *stored_script(const char *tar, int64_t format, const char *apdus,
					    GError **error)
{
	struct ots_rfm_script *rs = g_new0(struct ots_rfm_script, 1);
	JsonObject *o = json_object_new();
	JsonNode *a = ots_json_parse(apdus);
	bool ok;

	json_object_set_string_member(o, "tar", tar);
	json_object_set_string_member(o, "format", format ? "expanded" : "compact");
	json_object_set_member(o, "apdus", a ? a : json_node_new(JSON_NODE_NULL));
	ok = ots_rfm_script_from_json(o, rs, error);
	json_object_unref(o);
	if (!ok) {
		ots_rfm_script_clear(rs);
		g_clear_pointer(&rs, g_free);
	}
	return rs;
}

bool ots_campaigns_load(struct ots_engine *e, GError **error)
{
	const char *me = ots_lease_name(e);
	/* several instances: the campaigns this one paces (its own, and those taken over) */
	struct ots_db_stmt *st = ots_db_stmt(e->db, me ?
		"SELECT id, tar, format, apdus, rate_milli, retries FROM campaigns WHERE state = ? "
		"AND owner = ? ORDER BY id" :
		"SELECT id, tar, format, apdus, rate_milli, retries FROM campaigns WHERE state = ? "
		"ORDER BY id");
	GPtrArray *runs = g_ptr_array_new();
	GError *local = NULL;

	if (!e->campaigns) {
		e->campaigns = g_new0(struct ots_campaigns, 1);
		e->campaigns->running = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
							      run_free);
	}
	ots_db_bind_int(st, 1, CAMPAIGN_RUNNING);
	if (me)
		ots_db_bind_text(st, 2, me);
	while (ots_db_next(st, &local)) {
		uint64_t id = (uint64_t)ots_db_column_int(st, 0);
		struct ots_rfm_script *rs;

		if (running(e, id))
			continue;
		rs = stored_script(ots_db_column_text(st, 1), ots_db_column_int(st, 2),
				   ots_db_column_text(st, 3), &local);
		if (!rs)
			break;
		g_ptr_array_add(runs, run_new(e, id, (unsigned)ots_db_column_int(st, 4),
					      (unsigned)ots_db_column_int(st, 5), rs));
	}
	ots_db_reset(st);
	if (local) {
		g_prefix_error(&local, "campaign: ");
		g_propagate_error(error, local);
		g_ptr_array_free(runs, TRUE);
		return false;
	}
	for (unsigned i = 0; i < runs->len; i++) {
		struct campaign_run *run = runs->pdata[i];

		g_message("campaign %" G_GUINT64_FORMAT " resumed: %u cards pending, %u active",
			  run->id, run->pending, run->active);
		if (!run->pending && !run->active) {
			ots_engine_begin(e);
			finish(e, run);
			ots_engine_end(e);
		} else {
			ensure_ticking(run);
		}
	}
	g_ptr_array_free(runs, TRUE);
	return true;
}

void ots_campaigns_free(struct ots_engine *e)
{
	if (!e->campaigns)
		return;
	g_hash_table_destroy(e->campaigns->running);
	g_clear_pointer(&e->campaigns, g_free);
}

/* ---- starting a campaign ---------------------------------------------------------------- */

static const char *const request_members[] = {
	"name", "tar", "apdus", "format", "script", "iccids", "all", "rate", "retries", NULL
};

struct campaign_request {
	const char *name;
	unsigned rate_milli, retries;
	GPtrArray *iccids;        /* const char * */
};

static bool options_from_json(JsonObject *o, struct campaign_request *req, GError **error)
{
	JsonNode *n;
	double rate;
	int64_t retries;

	req->name = ots_json_get_string(o, "name");
	if (json_object_has_member(o, "name") &&
	    (!req->name || strlen(req->name) > MAX_NAME || !g_utf8_validate(req->name, -1, NULL))) {
		INVALID(error, "name: expected a text of at most %d bytes", MAX_NAME);
		return false;
	}
	req->rate_milli = DEFAULT_RATE_MILLI;
	if ((n = json_object_get_member(o, "rate"))) {
		rate = JSON_NODE_HOLDS_VALUE(n) && (json_node_get_value_type(n) == G_TYPE_DOUBLE ||
						    json_node_get_value_type(n) == G_TYPE_INT64) ?
			json_node_get_double(n) : -1;
		if (!(rate >= 0.001 && rate <= MAX_RATE_MILLI / 1000.0)) {
			INVALID(error, "rate: expected packets per second, from 0.001 to %d",
				MAX_RATE_MILLI / 1000);
			return false;
		}
		req->rate_milli = (unsigned)(rate * 1000.0 + 0.5);
	}
	req->retries = DEFAULT_RETRIES;
	if ((n = json_object_get_member(o, "retries"))) {
		retries = JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64 ?
			json_node_get_int(n) : -1;
		if (retries < 0 || retries > MAX_RETRIES) {
			INVALID(error, "retries: expected 0 to %d", MAX_RETRIES);
			return false;
		}
		req->retries = (unsigned)retries;
	}
	return true;
}

/* Every card of "iccids", checked for the script; none twice. */
static bool cards_listed(struct ots_engine *e, JsonArray *a, const struct ots_rfm_script *rs,
			 GPtrArray *iccids, GError **error)
{
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	bool ok = true;

	for (unsigned i = 0; ok && i < json_array_get_length(a); i++) {
		JsonNode *n = json_array_get_element(a, i);
		const char *iccid = JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING ?
			json_node_get_string(n) : NULL;
		char *field = g_strdup_printf("iccids[%u]", i);
		const struct simota_card_tar *tar;
		struct ots_card *card;
		int kvn;

		if (!iccid) {
			INVALID(error, "%s: expected an ICCID", field);
			ok = false;
		} else if (!g_hash_table_add(seen, (gpointer)iccid)) {
			INVALID(error, "%s: card %s is listed twice", field, iccid);
			ok = false;
		} else {
			ok = ots_rfm_target(e, iccid, rs, field, field, &card, &tar, &kvn, error);
			if (ok)
				g_ptr_array_add(iccids, (gpointer)iccid);
		}
		g_free(field);
	}
	g_hash_table_destroy(seen);
	return ok;
}

/* "all": every card holding the TAR with an RFM applet (a card that cannot take the script is an error). */
static bool cards_all(struct ots_engine *e, const struct ots_rfm_script *rs, GPtrArray *iccids,
		      GPtrArray *owned, GError **error)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db, "SELECT iccid FROM tars WHERE tar = ? AND applet = ? "
					     "ORDER BY iccid");
	const struct simota_card_tar *tar;
	struct ots_card *card;
	int kvn;

	ots_db_bind_text_take(st, 1, ots_hex(rs->s.tar, 3));
	ots_db_bind_text(st, 2, "rfm");
	while (ots_db_next(st, NULL))
		g_ptr_array_add(owned, g_strdup(ots_db_column_text(st, 0)));
	ots_db_reset(st);
	if (owned->len == 0) {
		INVALID(error, "all: no registered card holds TAR %02x%02x%02x with an RFM applet",
			rs->s.tar[0], rs->s.tar[1], rs->s.tar[2]);
		return false;
	}
	for (unsigned i = 0; i < owned->len; i++) {
		if (!ots_rfm_target(e, owned->pdata[i], rs, "all", "all", &card, &tar, &kvn, error))
			return false;
		g_ptr_array_add(iccids, owned->pdata[i]);
	}
	return true;
}

static bool cards_from_json(struct ots_engine *e, JsonObject *o, const struct ots_rfm_script *rs,
			    GPtrArray *iccids, GPtrArray *owned, GError **error)
{
	JsonNode *list = json_object_get_member(o, "iccids");
	JsonNode *all = json_object_get_member(o, "all");
	bool want_all = all && JSON_NODE_HOLDS_VALUE(all) &&
			json_node_get_value_type(all) == G_TYPE_BOOLEAN && json_node_get_boolean(all);

	if (all && !(JSON_NODE_HOLDS_VALUE(all) && json_node_get_value_type(all) == G_TYPE_BOOLEAN)) {
		INVALID(error, "all: expected true or false");
		return false;
	}
	if (list && want_all) {
		INVALID(error, "iccids: give the cards as iccids or all, not both");
		return false;
	}
	if (want_all)
		return cards_all(e, rs, iccids, owned, error);
	if (!list || !JSON_NODE_HOLDS_ARRAY(list) || json_array_get_length(json_node_get_array(list)) == 0) {
		INVALID(error, "iccids: expected an array of ICCIDs, at least one (or \"all\": true)");
		return false;
	}
	return cards_listed(e, json_node_get_array(list), rs, iccids, error);
}

/* The campaign and its cards, stored in one database transaction; the event after it. */
static bool campaign_insert(struct ots_engine *e, const struct campaign_request *req,
			    const struct ots_rfm_script *rs, uint64_t *id, GError **error)
{
	struct ots_db_stmt *st;
	int64_t now = g_get_real_time(), v;
	GString *d;

	ots_engine_begin(e);
	st = ots_db_stmt(e->db, "INSERT INTO campaigns(name, tar, format, apdus, rate_milli, retries, "
			 "state, created, owner) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
	ots_db_bind_text(st, 1, req->name ? req->name : "");
	ots_db_bind_text_take(st, 2, ots_hex(rs->s.tar, 3));
	ots_db_bind_int(st, 3, rs->s.format);
	ots_db_bind_text(st, 4, rs->apdus);
	ots_db_bind_int(st, 5, req->rate_milli);
	ots_db_bind_int(st, 6, req->retries);
	ots_db_bind_int(st, 7, CAMPAIGN_RUNNING);
	ots_db_bind_int(st, 8, now);
	ots_db_bind_text(st, 9, ots_lease_name(e));
	if (!ots_db_insert(st, "id", &v, error)) {
		e->failed = true;
		ots_engine_end(e);
		return false;
	}
	*id = (uint64_t)v;
	for (unsigned i = 0; i < req->iccids->len; i++) {
		st = ots_db_stmt(e->db, "INSERT INTO campaign_cards(campaign_id, iccid, pos, state, updated) "
				 "VALUES(?, ?, ?, ?, ?)");
		ots_db_bind_int(st, 1, v);
		ots_db_bind_text(st, 2, req->iccids->pdata[i]);
		ots_db_bind_int(st, 3, i);
		ots_db_bind_int(st, 4, CARD_PENDING);
		ots_db_bind_int(st, 5, now);
		db_run(e, st);
	}
	d = ots_detail_new();
	ots_detail_str(d, "name", req->name ? req->name : "");
	ots_detail_int(d, "total", req->iccids->len);
	ots_detail_node(d, "rate", json_node_init_double(json_node_alloc(), req->rate_milli / 1000.0));
	campaign_event(e, *id, "campaign-started", d);
	ots_engine_end(e);
	if (e->failed) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_DB, "database: the campaign was not stored");
		return false;
	}
	return true;
}

bool ots_engine_campaign_start_json(struct ots_engine *e, JsonNode *request, uint64_t *id,
				    GError **error)
{
	struct campaign_request req = { 0 };
	struct ots_rfm_script *rs = g_new0(struct ots_rfm_script, 1);
	GPtrArray *owned = g_ptr_array_new_with_free_func(g_free);
	JsonObject *o;
	bool ok;

	req.iccids = g_ptr_array_new();
	ok = request && JSON_NODE_HOLDS_OBJECT(request);
	if (!ok)
		INVALID(error, "body: expected a JSON object");
	o = ok ? json_node_get_object(request) : NULL;
	ok = ok && ots_json_members_known(o, request_members, error) &&
	     options_from_json(o, &req, error) && ots_rfm_script_from_json(o, rs, error) &&
	     cards_from_json(e, o, rs, req.iccids, owned, error) &&
	     campaign_insert(e, &req, rs, id, error);
	if (ok) {
		ensure_ticking(run_new(e, *id, req.rate_milli, req.retries, rs));
		rs = NULL;
	}
	if (rs) {
		ots_rfm_script_clear(rs);
		g_free(rs);
	}
	g_ptr_array_free(req.iccids, TRUE);
	g_ptr_array_free(owned, TRUE);
	return ok;
}

/* ---- cancel ------------------------------------------------------------------------------ */

bool ots_engine_campaign_cancel(struct ots_engine *e, uint64_t id, GError **error)
{
	struct campaign_run *run = running(e, id);
	struct ots_db_stmt *st;
	GArray *queued;
	GString *d;
	int64_t counts[CARD_N];

	if (!run) {
		st = ots_db_stmt(e->db, "SELECT state FROM campaigns WHERE id = ?");
		ots_db_bind_int(st, 1, (int64_t)id);
		if (ots_db_next(st, NULL))
			g_set_error(error, OTS_ERROR, OTS_ERROR_STATE, "campaign %" G_GUINT64_FORMAT
				    " is %s: nothing to cancel", id,
				    campaign_names[CLAMP(ots_db_column_int(st, 0), 0, 2)]);
		else
			g_set_error(error, OTS_ERROR, OTS_ERROR_NOT_FOUND,
				    "unknown campaign %" G_GUINT64_FORMAT, id);
		ots_db_reset(st);
		return false;
	}
	ots_engine_begin(e);
	set_campaign_state(e, id, CAMPAIGN_CANCELLED);
	st = ots_db_stmt(e->db, "UPDATE campaign_cards SET state = ?, updated = ? "
			 "WHERE campaign_id = ? AND state = ?");
	ots_db_bind_int(st, 1, CARD_CANCELLED);
	ots_db_bind_int(st, 2, g_get_real_time());
	ots_db_bind_int(st, 3, (int64_t)id);
	ots_db_bind_int(st, 4, CARD_PENDING);
	db_run(e, st);
	ots_engine_view_changes(e);
	run->pending = 0;
	/* operations not sent yet (queued behind another transaction of their card) */
	queued = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	st = ots_db_stmt(e->db, "SELECT tx_id FROM campaign_cards WHERE campaign_id = ? AND state = ? "
			 "AND tx_id IS NOT NULL");
	ots_db_bind_int(st, 1, (int64_t)id);
	ots_db_bind_int(st, 2, CARD_ACTIVE);
	while (ots_db_next(st, NULL)) {
		uint64_t tx = (uint64_t)ots_db_column_int(st, 0);

		g_array_append_val(queued, tx);
	}
	ots_db_reset(st);
	run->cancelling = true;
	for (unsigned i = 0; i < queued->len; i++)
		ots_rfm_cancel_queued(e, g_array_index(queued, uint64_t, i), "campaign cancelled");
	g_array_free(queued, TRUE);
	count_cards(e, id, counts);
	d = ots_detail_new();
	ots_detail_int(d, "cancelled", counts[CARD_CANCELLED]);
	ots_detail_int(d, "active", counts[CARD_ACTIVE]);
	campaign_event(e, id, "campaign-cancelled", d);
	/* the operations already sent finish on their own and keep their result */
	g_hash_table_remove(e->campaigns->running, &id);
	ots_engine_end(e);
	if (e->failed) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_DB, "database: the cancel was not stored");
		return false;
	}
	return true;
}

/* ---- JSON -------------------------------------------------------------------------------- */

#define CAMPAIGN_COLUMNS "id, name, tar, format, apdus, rate_milli, retries, state, created, finished"

static void set_time(JsonObject *o, const char *name, struct ots_db_stmt *st, int col)
{
	char *t;

	if (ots_db_column_null(st, col)) {
		json_object_set_null_member(o, name);
		return;
	}
	t = ots_time_string(ots_db_column_int(st, col));
	json_object_set_string_member(o, name, t);
	g_free(t);
}

static JsonObject *campaign_row_json(struct ots_db_stmt *st)
{
	JsonObject *o = json_object_new();
	JsonNode *apdus = ots_json_parse(ots_db_column_text(st, 4));
	int64_t state = ots_db_column_int(st, 7);
	const char *name = ots_db_column_text(st, 1);

	json_object_set_int_member(o, "id", ots_db_column_int(st, 0));
	if (name && *name)
		json_object_set_string_member(o, "name", name);
	else
		json_object_set_null_member(o, "name");
	json_object_set_string_member(o, "state", campaign_names[CLAMP(state, 0, 2)]);
	json_object_set_string_member(o, "tar", ots_db_column_text(st, 2));
	json_object_set_string_member(o, "format", ots_db_column_int(st, 3) ? "expanded" : "compact");
	json_object_set_member(o, "apdus", apdus ? apdus : json_node_new(JSON_NODE_NULL));
	json_object_set_double_member(o, "rate", ots_db_column_int(st, 5) / 1000.0);
	json_object_set_int_member(o, "retries", ots_db_column_int(st, 6));
	set_time(o, "created", st, 8);
	set_time(o, "finished", st, 9);
	return o;
}

static void set_counts(JsonObject *o, const int64_t counts[CARD_N])
{
	int64_t total = 0;

	for (unsigned i = 0; i < CARD_N; i++) {
		json_object_set_int_member(o, card_names[i], counts[i]);
		total += counts[i];
	}
	json_object_set_int_member(o, "total", total);
}

static JsonArray *cards_json(struct ots_engine *e, uint64_t id, int state)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db, state < 0 ?
		"SELECT c.iccid, c.state, c.tx_id, c.attempts, c.why, t.result FROM campaign_cards c "
		"LEFT JOIN transactions t ON t.id = c.tx_id WHERE c.campaign_id = ? ORDER BY c.pos" :
		"SELECT c.iccid, c.state, c.tx_id, c.attempts, c.why, t.result FROM campaign_cards c "
		"LEFT JOIN transactions t ON t.id = c.tx_id WHERE c.campaign_id = ? AND c.state = ? "
		"ORDER BY c.pos");
	JsonArray *a = json_array_new();

	ots_db_bind_int(st, 1, (int64_t)id);
	if (state >= 0)
		ots_db_bind_int(st, 2, state);
	while (ots_db_next(st, NULL)) {
		JsonObject *c = json_object_new();
		JsonNode *result = ots_json_parse(ots_db_column_text(st, 5));

		json_object_set_string_member(c, "iccid", ots_db_column_text(st, 0));
		json_object_set_string_member(c, "state",
					      card_names[CLAMP(ots_db_column_int(st, 1), 0, CARD_N - 1)]);
		if (ots_db_column_null(st, 2))
			json_object_set_null_member(c, "rfm");
		else
			json_object_set_int_member(c, "rfm", ots_db_column_int(st, 2));
		json_object_set_int_member(c, "attempts", ots_db_column_int(st, 3));
		json_object_set_member(c, "result", result ? result : json_node_new(JSON_NODE_NULL));
		if (ots_db_column_text(st, 4))
			json_object_set_string_member(c, "why", ots_db_column_text(st, 4));
		else
			json_object_set_null_member(c, "why");
		json_array_add_object_element(a, c);
	}
	ots_db_reset(st);
	return a;
}

JsonNode *ots_engine_campaign_get(struct ots_engine *e, uint64_t id, bool cards,
				  const char *card_state, GError **error)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db, "SELECT " CAMPAIGN_COLUMNS " FROM campaigns WHERE id = ?");
	int64_t counts[CARD_N];
	JsonObject *o = NULL;
	JsonNode *n;
	int state = -1;

	if (card_state) {
		for (int i = 0; i < CARD_N; i++)
			if (strcmp(card_state, card_names[i]) == 0)
				state = i;
		if (state < 0) {
			INVALID(error, "state: expected pending, active, done, failed or cancelled");
			return NULL;
		}
	}
	ots_db_bind_int(st, 1, (int64_t)id);
	if (ots_db_next(st, NULL))
		o = campaign_row_json(st);
	ots_db_reset(st);
	if (!o) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_NOT_FOUND, "unknown campaign %" G_GUINT64_FORMAT, id);
		return NULL;
	}
	count_cards(e, id, counts);
	set_counts(o, counts);
	if (cards)
		json_object_set_array_member(o, "cards", cards_json(e, id, state));
	n = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(n, o);
	return n;
}

JsonNode *ots_engine_campaign_list(struct ots_engine *e, GError **error)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db, "SELECT campaign_id, state, count(*) FROM campaign_cards "
					     "GROUP BY campaign_id, state");
	GHashTable *counts = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	JsonArray *a = json_array_new();
	JsonObject *o = json_object_new();
	JsonNode *n;

	while (ots_db_next(st, NULL)) {
		int64_t id = ots_db_column_int(st, 0), s = ots_db_column_int(st, 1);
		int64_t *c = g_hash_table_lookup(counts, &id);

		if (!c) {
			c = g_new0(int64_t, CARD_N);
			g_hash_table_insert(counts, g_memdup2(&id, sizeof(id)), c);
		}
		if (s >= 0 && s < CARD_N)
			c[s] = ots_db_column_int(st, 2);
	}
	ots_db_reset(st);
	st = ots_db_stmt(e->db, "SELECT " CAMPAIGN_COLUMNS " FROM campaigns ORDER BY id DESC");
	while (ots_db_next(st, NULL)) {
		JsonObject *c = campaign_row_json(st);
		int64_t id = ots_db_column_int(st, 0);
		static const int64_t none[CARD_N];
		const int64_t *k = g_hash_table_lookup(counts, &id);

		set_counts(c, k ? k : none);
		json_array_add_object_element(a, c);
	}
	ots_db_reset(st);
	g_hash_table_destroy(counts);
	json_object_set_array_member(o, "campaigns", a);
	n = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(n, o);
	return n;
}
