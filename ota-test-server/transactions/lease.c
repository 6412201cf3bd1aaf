/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Several ota-test-server instances on one PostgreSQL database
 * (doc/scaling.md "Several instances").
 *
 * Each card is acted on by one instance at a time, its owner: cards.owner
 * names it, and the lease holds while the owner's row in instances has not
 * expired.  One row per instance, not per card: an instance renews every
 * lease it holds with one UPDATE, in every batch it commits
 * (ots_lease_renew(), called before the COMMIT) and at least every third
 * of the lease time (the heartbeat).  That UPDATE is also the fence: it
 * matches only while the lease is still valid, so an instance that stalled
 * past its lease (and whose cards another may have taken) commits nothing
 * more; its batch is rolled back, it registers again and reads its state
 * again (the cards still named after it).
 *
 * A card is taken when this instance needs it (a request, a device, a
 * message for it) and nobody live holds it: its owner read without a lock,
 * then, only if it is to be taken, its row locked with FOR UPDATE SKIP
 * LOCKED (a row another instance's open batch holds is skipped: that
 * instance is taking it) and owner set in the caller's batch.
 * The heartbeat also takes over from an instance whose lease expired
 * (its row locked with SKIP LOCKED, so one survivor does it): the cards
 * with unfinished transactions or requests waiting, whose transactions are
 * then read and resumed as at a restart; its other cards become free.
 *
 * A request for a card another live instance owns is stored in inbox and
 * the owner told by NOTIFY on its channel, in the same database
 * transaction (a NOTIFY leaves at COMMIT); the owner acts on it as if it had
 * been made there and answers by NOTIFY on the requester's channel in the
 * batch that stored the result.  A request nobody took within the wait is
 * withdrawn (its inbox row deleted: then certainly never started) and
 * answered "unavailable"; an instance that takes a card over acts on its
 * waiting requests.  Counters and SMS ids come from the database (one
 * UPDATE ... RETURNING, blocks reserved at once), so two instances can
 * never send the same counter, whatever the leases say.
 *
 * Clocks: expiries are the instances' own clocks (g_get_real_time()), so
 * the instances' clocks must agree to well within the lease time (NTP).
 *
 * Between instances (one JSON object per NOTIFY on the channel
 * "ots:" + the instance's name; the payloads hold ids and ICCIDs only,
 * never keys):
 *   {"op":"inbox","id":N}             inbox row N waits for you
 *   {"op":"reply","ticket":N,"id":ID} the request of inbox row N was stored
 *                                     (or "code", "error": an OTS_ERROR)
 *   {"op":"release","iccid":I,"to":X} X has the card's device: let it go
 *   {"op":"released","iccid":I}       done: take it
 *   {"op":"campaign","id":N}          a card of campaign N changed here
 * inbox rows: kind "transactions" / "rfm" (the API request's JSON), "poll"
 * ({"id"}), "mo" ({"iccid","msisdn","via","tpdu": hex SMS-SUBMIT}),
 * "sms-failed" ({"msg-id","final","why"}); reply_to "" when no answer is
 * awaited.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transactions/engine-internal.h"
#include "transactions/rfm.h"
#include "util.h"

struct ots_forward {
	struct ots_lease *lease;
	int64_t ticket;            /* the inbox row */
	char *owner;
	ots_forward_cb cb;
	void *user;
	guint timer;
};

struct ots_lease {
	struct ots_engine *engine;
	char *name;
	char *holder;              /* this process: "BOOT-ID/PID" */
	uint32_t ttl_ms;
	GHashTable *held;          /* iccid (owned) -> itself: the cards whose lease this one holds */
	GHashTable *forwards;      /* ticket (int64 *) -> struct ots_forward: requests waiting */
	GQueue taken;              /* struct taken *: cards just taken, their waiting requests to read */
	guint heartbeat, inbox_idle;
	int64_t renewed_us;        /* monotonic: the last renewal committed */
	bool listening;
	bool lost;                 /* a renewal found the lease expired */
};

struct taken {
	char *iccid;
	bool resumed;              /* taken over with unfinished transactions: a device here gets them now */
};

static void taken_free(gpointer p)
{
	g_free(((struct taken *)p)->iccid);
	g_free(p);
}

#define CHANNEL_PREFIX "ots:"

static char *channel_of(const char *instance)
{
	return g_strconcat(CHANNEL_PREFIX, instance, NULL);
}

const char *ots_lease_name(struct ots_engine *e)
{
	return e->lease ? e->lease->name : NULL;
}

bool ots_lease_instance_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n < 1 || n > 40)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(name[i]) && !strchr("-_.", name[i]))
			return false;
	return true;
}

/* ---- this instance's row ---------------------------------------------------------- */

/*
 * The process behind a registration: "BOOT-ID/PID".  A restarted instance
 * finds its predecessor's row still valid (killed with -9, it renewed
 * nothing since); when that process ran on this boot of this machine and
 * is gone, the lease is taken at once instead of waiting for it to expire.
 */
static char *holder_new(void)
{
	char *boot = NULL, *holder;

	if (!g_file_get_contents("/proc/sys/kernel/random/boot_id", &boot, NULL, NULL))
		boot = g_strdup("?");
	holder = g_strdup_printf("%s/%ld", g_strstrip(boot), (long)getpid());
	g_free(boot);
	return holder;
}

static bool holder_dead_here(const char *mine, const char *other)
{
	const char *slash = strrchr(other, '/'), *my_slash = strrchr(mine, '/');
	long pid;

	if (!slash || !my_slash || slash - other != my_slash - mine ||
	    strncmp(other, mine, (size_t)(slash - other)) != 0 || strcmp(other, mine) == 0)
		return false;
	pid = strtol(slash + 1, NULL, 10);
	return pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* The row of a predecessor that died on this machine taken over; false when there is none. */
static bool take_own_row(struct ots_lease *l, int64_t now, GError **error)
{
	struct ots_db *db = l->engine->db;
	struct ots_db_stmt *st = ots_db_stmt(db, "SELECT holder FROM instances WHERE name = ?");
	char *other = NULL;
	bool row = false;

	ots_db_bind_text(st, 1, l->name);
	if (ots_db_next(st, error))
		other = g_strdup(ots_db_column_text(st, 0));
	ots_db_reset(st);
	if (other && holder_dead_here(l->holder, other)) {
		st = ots_db_stmt(db, "UPDATE instances SET expires = ?, started = ?, holder = ? "
				 "WHERE name = ? AND holder = ? RETURNING name");
		ots_db_bind_int(st, 1, now + (int64_t)l->ttl_ms * 1000);
		ots_db_bind_int(st, 2, now);
		ots_db_bind_text(st, 3, l->holder);
		ots_db_bind_text(st, 4, l->name);
		ots_db_bind_text(st, 5, other);
		row = ots_db_next(st, error);
		ots_db_reset(st);
		if (row)
			g_message("instance %s: its previous process (%s) is gone; lease taken at once",
				  l->name, other);
	}
	g_free(other);
	return row;
}

/* The row written, unless a live instance of this name has it (then false, no error). */
static bool register_once(struct ots_lease *l, GError **error)
{
	struct ots_db *db = l->engine->db;
	int64_t now = g_get_real_time();
	struct ots_db_stmt *st;
	bool row;

	if (!ots_db_begin(db, error))
		return false;
	st = ots_db_stmt(db, "INSERT INTO instances(name, expires, started, holder) VALUES(?, ?, ?, ?) "
			 "ON CONFLICT(name) DO UPDATE SET expires = excluded.expires, "
			 "started = excluded.started, holder = excluded.holder "
			 "WHERE instances.expires < ? RETURNING name");
	ots_db_bind_text(st, 1, l->name);
	ots_db_bind_int(st, 2, now + (int64_t)l->ttl_ms * 1000);
	ots_db_bind_int(st, 3, now);
	ots_db_bind_text(st, 4, l->holder);
	ots_db_bind_int(st, 5, now);
	row = ots_db_next(st, error);
	ots_db_reset(st);
	if (!row && !(error && *error))
		row = take_own_row(l, now, error);
	if (error && *error) {
		ots_db_rollback(db);
		return false;
	}
	return ots_db_commit(db, error) && row;
}

/* Waits (at most the lease time and a second) for a previous instance of this name to expire. */
static bool register_instance(struct ots_lease *l, GError **error)
{
	int64_t end = g_get_monotonic_time() + ((int64_t)l->ttl_ms + 1000) * 1000;

	for (;;) {
		GError *local = NULL;

		if (register_once(l, &local))
			return true;
		if (local) {
			g_propagate_error(error, local);
			return false;
		}
		if (g_get_monotonic_time() > end) {
			g_set_error(error, OTS_ERROR, OTS_ERROR_EXISTS,
				    "instance: another live instance is named %s", l->name);
			return false;
		}
		g_usleep(100 * 1000);
	}
}

/*
 * At the start of each entry point: the lease renewed at once (on the
 * second connection, committed) when a third of it has passed since the
 * last renewal.  A batch may take longer than the lease on a loaded
 * machine (256 slow entry points); renewed only at its COMMIT it would
 * expire meanwhile, be fenced and lose the whole batch, again and again.
 * Not renewed (it had expired): the open batch is doomed.
 */
void ots_lease_keep(struct ots_engine *e)
{
	struct ots_lease *l = e->lease;
	int64_t mono = g_get_monotonic_time(), now = g_get_real_time(), changed = 0;
	char expires[24], before[24];
	const char *params[4] = { expires, l ? l->name : NULL, l ? l->holder : NULL, before };
	GError *error = NULL;

	if (!l || l->lost || mono - l->renewed_us < (int64_t)l->ttl_ms * 1000 / 3)
		return;
	g_snprintf(expires, sizeof(expires), "%" G_GINT64_FORMAT, now + (int64_t)l->ttl_ms * 1000);
	g_snprintf(before, sizeof(before), "%" G_GINT64_FORMAT, now);
	if (!ots_db_side_update(e->db, "UPDATE instances SET expires = $1::bigint WHERE name = $2 "
				"AND holder = $3 AND expires > $4::bigint", params, 4, &changed, &error)) {
		g_warning("instance %s: lease not renewed: %s", l->name, error->message);
		g_error_free(error);
		return;       /* the renewal at COMMIT decides */
	}
	if (changed) {
		l->renewed_us = mono;
		return;
	}
	l->lost = true;
	e->batch_doomed = true;
	g_critical("instance %s: its lease expired; what it has not committed is dropped", l->name);
}

bool ots_lease_renew(struct ots_engine *e, GError **error)
{
	struct ots_lease *l = e->lease;
	int64_t now = g_get_real_time();
	struct ots_db_stmt *st;
	bool row;

	if (!l)
		return true;
	/* this process's registration only: a successor of its name fences it too */
	st = ots_db_stmt(e->db, "UPDATE instances SET expires = ? WHERE name = ? AND holder = ? "
			 "AND expires > ? RETURNING name");
	ots_db_bind_int(st, 1, now + (int64_t)l->ttl_ms * 1000);
	ots_db_bind_text(st, 2, l->name);
	ots_db_bind_text(st, 3, l->holder);
	ots_db_bind_int(st, 4, now);
	row = ots_db_next(st, error);
	ots_db_reset(st);
	if (row)
		l->renewed_us = g_get_monotonic_time();
	if (!row && !(error && *error)) {
		l->lost = true;
		g_set_error(error, OTS_ERROR, OTS_ERROR_STATE,
			    "instance %s: its lease expired before this commit; another instance "
			    "may own its cards", l->name);
	}
	return row;
}

/* ---- the cards held ------------------------------------------------------------------- */

static void held_add(struct ots_lease *l, const char *iccid)
{
	if (!g_hash_table_contains(l->held, iccid)) {
		char *k = g_strdup(iccid);

		g_hash_table_insert(l->held, k, k);
	}
}

static gboolean inbox_run(gpointer data);

/* The waiting requests of the cards in l->taken read soon. */
static void inbox_soon(struct ots_lease *l)
{
	if (!l->inbox_idle)   /* not below the I/O sources: a busy loop would never get there */
		l->inbox_idle = g_idle_add_full(G_PRIORITY_DEFAULT, inbox_run, l, NULL);
}

/*
 * The cards whose waiting requests are to be read, as the database says:
 * the ones held that have some.  The list kept in memory may name cards a
 * lost batch took, which are not this instance's (and a card taken again
 * there only to fail again would loop).
 */
static bool inbox_reload(struct ots_engine *e, GError **error)
{
	struct ots_lease *l = e->lease;
	struct ots_db_stmt *st = ots_db_stmt(e->db, "SELECT DISTINCT i.iccid FROM inbox i "
				       "JOIN cards c ON c.iccid = i.iccid WHERE c.owner = ?");
	GError *local = NULL;

	g_queue_clear_full(&l->taken, taken_free);
	ots_db_bind_text(st, 1, l->name);
	while (ots_db_next(st, &local)) {
		struct taken *t = g_new0(struct taken, 1);

		t->iccid = g_strdup(ots_db_column_text(st, 0));
		g_queue_push_tail(&l->taken, t);
	}
	ots_db_reset(st);
	if (local) {
		g_propagate_error(error, local);
		return false;
	}
	if (!g_queue_is_empty(&l->taken))
		inbox_soon(l);
	return true;
}

/* The set of cards named after this instance, read again (at start, after a failed batch). */
bool ots_lease_reload(struct ots_engine *e, GError **error)
{
	struct ots_lease *l = e->lease;
	struct ots_db_stmt *st;
	GError *local = NULL;

	if (!l)
		return true;
	if (l->lost) {
		if (!register_instance(l, error))
			return false;
		l->lost = false;
		g_message("instance %s: registered again after its lease had expired", l->name);
	}
	g_hash_table_remove_all(l->held);
	st = ots_db_stmt(e->db, "SELECT iccid FROM cards WHERE owner = ?");
	ots_db_bind_text(st, 1, l->name);
	while (ots_db_next(st, &local))
		held_add(l, ots_db_column_text(st, 0));
	ots_db_reset(st);
	if (local) {
		g_propagate_error(error, local);
		return false;
	}
	return inbox_reload(e, error);
}

/*
 * Inside a bracket: the card becomes this instance's; its unfinished
 * transactions are resumed.  taken_over: no device event comes with it, so
 * a device already here gets its outstanding command once the card is in.
 */
static bool take(struct ots_engine *e, const char *iccid, bool taken_over)
{
	struct ots_lease *l = e->lease;
	struct ots_db_stmt *st = ots_db_stmt(e->db, "UPDATE cards SET owner = ? WHERE iccid = ?");
	struct taken *t;
	GError *error = NULL;
	unsigned n = 0;

	ots_db_bind_text(st, 1, l->name);
	ots_db_bind_text(st, 2, iccid);
	if (!ots_db_run(st, &error)) {
		ots_engine_db_failed(e, error);
		return false;
	}
	/* the card and its transactions enter the in-memory view, which the bracket's savepoint
	 * cannot take back: a failure from here on loses the batch, and the view is read again */
	ots_engine_view_changes(e);
	if (!ots_engine_load_card(e, iccid, &n, &error)) {
		ots_engine_db_failed(e, error);
		return false;
	}
	held_add(l, iccid);
	t = g_new0(struct taken, 1);
	t->iccid = g_strdup(iccid);
	t->resumed = taken_over && n > 0;
	g_queue_push_tail(&l->taken, t);
	inbox_soon(l);
	return true;
}

static bool instance_live(struct ots_engine *e, const char *name)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db, "SELECT 1 FROM instances WHERE name = ? "
				       "AND expires > ?");
	bool live;

	ots_db_bind_text(st, 1, name);
	ots_db_bind_int(st, 2, g_get_real_time());
	live = ots_db_next(st, NULL);
	ots_db_reset(st);
	return live;
}

/* The owner column as committed, without waiting for a lock (g_free; NULL: none / no card). */
static char *owner_now(struct ots_engine *e, const char *iccid, bool *exists)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db, "SELECT owner FROM cards WHERE iccid = ?");
	char *owner = NULL;

	ots_db_bind_text(st, 1, iccid);
	*exists = ots_db_next(st, NULL);
	if (*exists)
		owner = g_strdup(ots_db_column_text(st, 0));
	ots_db_reset(st);
	return owner;
}

/*
 * The owner is read without a lock first: a row lock taken on a card this
 * instance does not take would be held until its batch commits and block
 * the owner's own updates of the card (and two instances probing each
 * other's cards would deadlock).  Only a card to take (no owner, or one
 * whose lease expired) is locked, with SKIP LOCKED: a row another batch
 * holds is being taken there.
 */
bool ots_lease_hold(struct ots_engine *e, const char *iccid, char **owner)
{
	struct ots_lease *l = e->lease;
	struct ots_db_stmt *st;
	bool exists, mine = false;
	char *current;

	*owner = NULL;
	if (!l || g_hash_table_contains(l->held, iccid))
		return true;
	ots_engine_begin(e);
	current = owner_now(e, iccid, &exists);
	if (!exists) {
		ots_engine_end(e);
		return true;     /* the caller reports the unknown card */
	}
	if (current && strcmp(current, l->name) != 0 && instance_live(e, current)) {
		*owner = current;
		ots_engine_end(e);
		return false;
	}
	st = ots_db_stmt(e->db, current ?
			 "SELECT 1 FROM cards WHERE iccid = ? AND owner = ? FOR UPDATE SKIP LOCKED" :
			 "SELECT 1 FROM cards WHERE iccid = ? AND owner IS NULL FOR UPDATE SKIP LOCKED");
	ots_db_bind_text(st, 1, iccid);
	if (current)
		ots_db_bind_text(st, 2, current);
	if (ots_db_next(st, NULL))
		mine = true;
	ots_db_reset(st);
	if (mine && current && strcmp(current, l->name) != 0)
		g_message("card %s: taken over from instance %s (lease expired)", iccid, current);
	if (mine)
		mine = take(e, iccid, false);
	else
		*owner = g_strdup("");     /* another instance is taking it now */
	ots_engine_end(e);
	g_free(current);
	return mine;
}

/* ---- taking over from an instance whose lease expired ---------------------------------- */

static void take_over(struct ots_engine *e, const char *dead)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db,
		"UPDATE cards SET owner = NULL WHERE owner = ? AND iccid NOT IN "
		"(SELECT iccid FROM transactions WHERE state < ? UNION SELECT iccid FROM inbox)");
	GPtrArray *cards = g_ptr_array_new_with_free_func(g_free);
	GError *error = NULL;

	ots_db_bind_text(st, 1, dead);
	ots_db_bind_int(st, 2, OTS_TX_COMPLETED);
	if (!ots_db_run(st, &error))
		goto failed;
	st = ots_db_stmt(e->db, "SELECT iccid FROM cards WHERE owner = ?");
	ots_db_bind_text(st, 1, dead);
	while (ots_db_next(st, &error))
		g_ptr_array_add(cards, g_strdup(ots_db_column_text(st, 0)));
	ots_db_reset(st);
	if (error)
		goto failed;
	for (unsigned i = 0; i < cards->len && !e->failed; i++)
		take(e, cards->pdata[i], true);
	st = ots_db_stmt(e->db, "UPDATE campaigns SET owner = ? WHERE owner = ?");
	ots_db_bind_text(st, 1, e->lease->name);
	ots_db_bind_text(st, 2, dead);
	if (!ots_db_run(st, &error) || !ots_campaigns_load(e, &error))
		goto failed;
	st = ots_db_stmt(e->db, "DELETE FROM instances WHERE name = ?");
	ots_db_bind_text(st, 1, dead);
	if (!ots_db_run(st, &error))
		goto failed;
	g_message("instance %s: its lease expired; %u cards with unfinished work taken over", dead,
		  cards->len);
	g_ptr_array_free(cards, TRUE);
	return;
failed:
	ots_engine_db_failed(e, error);
	g_ptr_array_free(cards, TRUE);
}

static void reap(struct ots_engine *e)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db, "SELECT name FROM instances WHERE expires < ? "
				       "AND name <> ? FOR UPDATE SKIP LOCKED");
	GPtrArray *dead = g_ptr_array_new_with_free_func(g_free);

	ots_db_bind_int(st, 1, g_get_real_time());
	ots_db_bind_text(st, 2, e->lease->name);
	while (ots_db_next(st, NULL))
		g_ptr_array_add(dead, g_strdup(ots_db_column_text(st, 0)));
	ots_db_reset(st);
	for (unsigned i = 0; i < dead->len && !e->failed; i++)
		take_over(e, dead->pdata[i]);
	g_ptr_array_free(dead, TRUE);
}

static void on_notify(const char *payload, void *user);

/* Every third of the lease: a batch (its commit renews the lease), expired instances taken over. */
static gboolean heartbeat(gpointer data)
{
	struct ots_engine *e = data;
	struct ots_lease *l = e->lease;

	if (!l->listening) {
		char *channel = channel_of(l->name);
		GError *error = NULL;

		l->listening = ots_db_listen(e->db, channel, on_notify, e, &error);
		if (!l->listening) {
			g_warning("instance %s: %s", l->name, error->message);
			g_error_free(error);
		}
		g_free(channel);
	}
	ots_engine_begin(e);
	reap(e);
	ots_engine_end(e);
	return G_SOURCE_CONTINUE;
}

/* ---- requests for a card another instance owns ---------------------------------------- */

/* Stores a request for owner in the open batch and notifies it (at COMMIT); the inbox id. */
static int64_t inbox_put(struct ots_engine *e, const char *owner, const char *iccid,
			 const char *kind, JsonNode *body, const char *reply_to, GError **error)
{
	struct ots_db_stmt *st = ots_db_stmt(e->db, "INSERT INTO inbox(iccid, kind, body, reply_to, "
				       "created) VALUES(?, ?, ?, ?, ?)");
	int64_t ticket = 0;
	char *channel, *note;
	bool ok;

	ots_db_bind_text(st, 1, iccid);
	ots_db_bind_text(st, 2, kind);
	ots_db_bind_text_take(st, 3, ots_json_string(body));
	ots_db_bind_text(st, 4, reply_to);
	ots_db_bind_int(st, 5, g_get_real_time());
	if (!ots_db_insert(st, "id", &ticket, error))
		return 0;
	channel = channel_of(owner);
	note = g_strdup_printf("{\"op\":\"inbox\",\"id\":%" G_GINT64_FORMAT "}", ticket);
	ok = ots_db_notify(e->db, channel, note, error);
	g_free(channel);
	g_free(note);
	return ok ? ticket : 0;
}

static void forward_free(gpointer p)
{
	struct ots_forward *f = p;

	g_clear_handle_id(&f->timer, g_source_remove);
	g_free(f->owner);
	g_free(f);
}

static void forward_done(struct ots_lease *l, int64_t ticket, uint64_t id, const GError *error)
{
	struct ots_forward *f = g_hash_table_lookup(l->forwards, &ticket);

	if (!f)
		return;
	g_hash_table_steal(l->forwards, &ticket);
	f->cb(id, error, f->user);
	forward_free(f);
}

/* Nobody acted on the request in time: withdrawn when still waiting (then never started). */
static gboolean forward_timeout(gpointer data)
{
	struct ots_forward *f = data;
	struct ots_lease *l = f->lease;
	struct ots_engine *e = l->engine;
	struct ots_db_stmt *st;
	bool withdrawn;
	GError *error = NULL;

	ots_engine_begin(e);
	st = ots_db_stmt(e->db, "DELETE FROM inbox WHERE id = ? RETURNING id");
	ots_db_bind_int(st, 1, f->ticket);
	withdrawn = ots_db_next(st, NULL);
	ots_db_reset(st);
	ots_engine_end(e);
	ots_engine_flush(e);
	if (!withdrawn)
		return G_SOURCE_CONTINUE;   /* taken: its answer comes */
	f->timer = 0;
	g_set_error(&error, OTS_ERROR, OTS_ERROR_UNAVAILABLE,
		    "the card's owner, instance %s, did not act on the request within %u ms; "
		    "nothing was started", f->owner, 2 * l->ttl_ms);
	forward_done(l, f->ticket, 0, error);
	g_error_free(error);
	return G_SOURCE_REMOVE;
}

bool ots_engine_forward(struct ots_engine *e, const char *kind, const char *iccid,
			JsonNode *request, ots_forward_cb cb, void *user, GError **error)
{
	struct ots_lease *l = e->lease;
	struct ots_forward *f;
	int64_t ticket = 0;
	char *owner = NULL;
	bool exists = false;

	if (l && iccid)
		owner = owner_now(e, iccid, &exists);
	if (!owner || strcmp(owner, l->name) == 0) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_UNAVAILABLE,
			    "the card is being taken by another instance; try again");
		g_free(owner);
		return false;
	}
	ots_engine_begin(e);
	ticket = inbox_put(e, owner, iccid, kind, request, l->name, error);
	if (!ticket)
		e->failed = true;
	ots_engine_end(e);
	if (e->failed) {
		g_free(owner);
		return false;
	}
	f = g_new0(struct ots_forward, 1);
	f->lease = l;
	f->ticket = ticket;
	f->owner = owner;
	f->cb = cb;
	f->user = user;
	f->timer = g_timeout_add(2 * l->ttl_ms, forward_timeout, f);
	g_hash_table_insert(l->forwards, &f->ticket, f);
	return true;
}

/* ---- SMS for a card another instance holds; a card's lease handed over ----------------------- */

bool ots_lease_forward_mo(struct ots_engine *e, const char *owner, const char *iccid,
			  const char *msisdn, const char *card, const struct simota_sms_submit *sms,
			  const char *via)
{
	uint8_t tpdu[SIMOTA_SMS_TPDU_MAX];
	size_t len;
	JsonObject *o;
	JsonNode *n;
	GError *error = NULL;
	char *hex;
	bool ok;

	if (simota_sms_submit_encode(sms, tpdu, sizeof(tpdu), &len) != SIMOTA_OK)
		return false;
	o = json_object_new();
	if (iccid)
		json_object_set_string_member(o, "iccid", iccid);
	if (msisdn)
		json_object_set_string_member(o, "msisdn", msisdn);
	json_object_set_string_member(o, "via", via);
	json_object_set_string_member(o, "tpdu", hex = ots_hex(tpdu, len));
	g_free(hex);
	n = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(n, o);
	ots_engine_begin(e);
	ok = inbox_put(e, owner, card, "mo", n, "", &error) != 0;
	if (!ok)
		ots_engine_db_failed(e, error);
	ots_engine_end(e);
	json_node_unref(n);
	if (ok)
		g_message("card %s: SMS by %s handed to instance %s, which holds its lease", card, via,
			  owner);
	return ok;
}

void ots_lease_forward_failure(struct ots_engine *e, const char *owner, const char *iccid,
			       uint32_t msg_id, bool final, const char *why)
{
	JsonObject *o = json_object_new();
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);
	GError *error = NULL;

	json_object_set_int_member(o, "msg-id", msg_id);
	json_object_set_boolean_member(o, "final", final);
	json_object_set_string_member(o, "why", why);
	json_node_take_object(n, o);
	if (!inbox_put(e, owner, iccid, "sms-failed", n, "", &error))
		ots_engine_db_failed(e, error);
	json_node_unref(n);
}

static void sms_failed_run(struct ots_engine *e, JsonNode *body)
{
	JsonObject *o = JSON_NODE_HOLDS_OBJECT(body) ? json_node_get_object(body) : NULL;

	if (o && ots_json_get_string(o, "why"))
		ots_engine_sms_failed(e, (uint32_t)json_object_get_int_member_with_default(o, "msg-id", 0),
				      json_object_get_boolean_member_with_default(o, "final", false),
				      ots_json_get_string(o, "why"));
}

static void mo_run(struct ots_engine *e, JsonNode *body)
{
	JsonObject *o = JSON_NODE_HOLDS_OBJECT(body) ? json_node_get_object(body) : NULL;
	const char *hex = o ? ots_json_get_string(o, "tpdu") : NULL;
	uint8_t tpdu[SIMOTA_SMS_TPDU_MAX];
	struct simota_sms_submit sms;
	size_t len;

	if (!hex || !ots_unhex(hex, tpdu, sizeof(tpdu), &len) ||
	    simota_sms_submit_decode(tpdu, len, 0, &sms) != SIMOTA_OK) {
		g_warning("instance %s: a handed-over SMS does not decode; dropped", e->lease->name);
		return;
	}
	ots_engine_mo(e, ots_json_get_string(o, "iccid"), ots_json_get_string(o, "msisdn"), &sms,
		      ots_json_get_string(o, "via") ? ots_json_get_string(o, "via") : "sms-submit");
}

void ots_lease_campaign_changed(struct ots_engine *e, uint64_t campaign)
{
	struct ots_db_stmt *st;
	char *owner = NULL, *channel, *note;
	GError *error = NULL;

	if (!e->lease)
		return;
	st = ots_db_stmt(e->db, "SELECT owner FROM campaigns WHERE id = ?");
	ots_db_bind_int(st, 1, (int64_t)campaign);
	if (ots_db_next(st, NULL))
		owner = g_strdup(ots_db_column_text(st, 0));
	ots_db_reset(st);
	if (!owner)
		return;
	channel = channel_of(owner);
	note = g_strdup_printf("{\"op\":\"campaign\",\"id\":%" G_GUINT64_FORMAT "}", campaign);
	if (!ots_db_notify(e->db, channel, note, &error))
		ots_engine_db_failed(e, error);
	g_free(channel);
	g_free(note);
	g_free(owner);
}

void ots_lease_ask_release(struct ots_engine *e, const char *owner, const char *iccid)
{
	char *channel = channel_of(owner);
	char *note = g_strdup_printf("{\"op\":\"release\",\"iccid\":\"%s\",\"to\":\"%s\"}", iccid,
				     e->lease->name);
	GError *error = NULL;

	ots_engine_begin(e);
	if (!ots_db_notify(e->db, channel, note, &error))
		ots_engine_db_failed(e, error);
	ots_engine_end(e);
	g_message("card %s: its device is here; instance %s asked to let it go", iccid, owner);
	g_free(channel);
	g_free(note);
}

/*
 * Another instance has the card's device: the card leaves this one (its
 * transactions leave the mirror, the lease is freed) and that one hears
 * "released" when this is committed; it takes the card and resumes them.
 */
static void release(struct ots_engine *e, const char *iccid, const char *to)
{
	struct ots_lease *l = e->lease;
	struct ots_db_stmt *st;
	GError *error = NULL;
	char *channel, *note;

	if (!g_hash_table_contains(l->held, iccid) || !ots_lease_instance_name_ok(to))
		return;
	ots_engine_begin(e);
	st = ots_db_stmt(e->db, "UPDATE cards SET owner = NULL WHERE iccid = ? AND owner = ?");
	ots_db_bind_text(st, 1, iccid);
	ots_db_bind_text(st, 2, l->name);
	channel = channel_of(to);
	note = g_strdup_printf("{\"op\":\"released\",\"iccid\":\"%s\"}", iccid);
	if (!ots_db_run(st, &error) || !ots_db_notify(e->db, channel, note, &error)) {
		ots_engine_db_failed(e, error);
	} else {
		ots_engine_view_changes(e);   /* the card leaves the view: no savepoint brings it back */
		ots_engine_drop_card(e, iccid);
		g_hash_table_remove(l->held, iccid);
		g_message("card %s: its device is at instance %s; lease handed over", iccid, to);
	}
	ots_engine_end(e);
	g_free(channel);
	g_free(note);
}

static bool run_request(struct ots_engine *e, const char *kind, JsonNode *body, uint64_t *id,
			GError **error)
{
	if (strcmp(kind, "transactions") == 0)
		return ots_engine_tx_start_json(e, body, id, error);
	if (strcmp(kind, "rfm") == 0)
		return ots_engine_rfm_start_json(e, body, id, error);
	if (strcmp(kind, "poll") == 0) {
		JsonObject *o = JSON_NODE_HOLDS_OBJECT(body) ? json_node_get_object(body) : NULL;

		*id = o ? (uint64_t)json_object_get_int_member_with_default(o, "id", 0) : 0;
		return ots_engine_tx_poll(e, *id, error);
	}
	g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "kind: unknown request kind %s", kind);
	return false;
}

static char *reply_json(int64_t ticket, uint64_t id, const GError *error)
{
	JsonObject *o = json_object_new();
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);
	char *text;

	json_object_set_string_member(o, "op", "reply");
	json_object_set_int_member(o, "ticket", ticket);
	if (error) {
		json_object_set_int_member(o, "code", error->domain == OTS_ERROR ? error->code :
					   OTS_ERROR_DB);
		json_object_set_string_member(o, "error", error->message);
	} else {
		json_object_set_int_member(o, "id", (gint64)id);
	}
	json_node_take_object(n, o);
	text = ots_json_string(n);
	json_node_unref(n);
	return text;
}

/*
 * The owner acts on a waiting request: in one bracket the row is claimed
 * (deleted), the request run and the answer NOTIFYed, so all of it or none
 * commits; a database failure leaves the row for a later try.
 */
static void inbox_process(struct ots_engine *e, int64_t ticket)
{
	struct ots_db_stmt *st;
	char *iccid = NULL, *kind = NULL, *body = NULL, *reply_to = NULL, *owner = NULL;
	GError *error = NULL;
	uint64_t id = 0;
	JsonNode *req;

	ots_engine_begin(e);
	st = ots_db_stmt(e->db, "SELECT iccid, kind, body, reply_to FROM inbox WHERE id = ? "
			 "FOR UPDATE SKIP LOCKED");
	ots_db_bind_int(st, 1, ticket);
	if (ots_db_next(st, NULL)) {
		iccid = g_strdup(ots_db_column_text(st, 0));
		kind = g_strdup(ots_db_column_text(st, 1));
		body = g_strdup(ots_db_column_text(st, 2));
		reply_to = g_strdup(ots_db_column_text(st, 3));
	}
	ots_db_reset(st);
	if (!iccid || !ots_lease_hold(e, iccid, &owner))
		goto out;          /* gone (answered, withdrawn), or not this instance's card */
	st = ots_db_stmt(e->db, "DELETE FROM inbox WHERE id = ?");
	ots_db_bind_int(st, 1, ticket);
	if (!ots_db_run(st, &error)) {
		ots_engine_db_failed(e, error);
		goto out;
	}
	req = ots_json_parse(body);
	if (!req)
		g_set_error(&error, OTS_ERROR, OTS_ERROR_INVALID, "body: not JSON");
	else if (strcmp(kind, "mo") == 0)
		mo_run(e, req);
	else if (strcmp(kind, "sms-failed") == 0)
		sms_failed_run(e, req);
	else
		run_request(e, kind, req, &id, &error);
	if (req)
		json_node_unref(req);
	if (!e->failed && *reply_to) {
		char *channel = channel_of(reply_to), *reply = reply_json(ticket, id, error);
		GError *nerr = NULL;

		if (!ots_db_notify(e->db, channel, reply, &nerr))
			ots_engine_db_failed(e, nerr);
		g_free(channel);
		g_free(reply);
	}
	g_clear_error(&error);
out:
	ots_engine_end(e);
	g_free(iccid);
	g_free(kind);
	g_free(body);
	g_free(reply_to);
	g_free(owner);
}

/* The requests waiting for the cards just taken. */
static gboolean inbox_run(gpointer data)
{
	struct ots_lease *l = data;
	struct ots_engine *e = l->engine;
	struct taken *t;

	l->inbox_idle = 0;
	while ((t = g_queue_pop_head(&l->taken))) {
		const char *iccid = t->iccid;
		struct ots_db_stmt *st = ots_db_stmt(e->db, "SELECT id FROM inbox WHERE iccid = ? "
					       "ORDER BY id");
		GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));

		ots_db_bind_text(st, 1, iccid);
		while (ots_db_next(st, NULL)) {
			int64_t id = ots_db_column_int(st, 0);

			g_array_append_val(ids, id);
		}
		ots_db_reset(st);
		for (unsigned i = 0; i < ids->len; i++)
			inbox_process(e, g_array_index(ids, int64_t, i));
		g_array_free(ids, TRUE);
		/* a device already here for a card taken over: its outstanding command goes now */
		if (t->resumed)
			ots_engine_device_attached(e, iccid, NULL);
		taken_free(t);
	}
	return G_SOURCE_REMOVE;
}

static void on_reply(struct ots_lease *l, JsonObject *o)
{
	int64_t ticket = json_object_get_int_member_with_default(o, "ticket", 0);
	const char *message = ots_json_get_string(o, "error");
	GError *error = NULL;

	if (message)
		error = g_error_new_literal(OTS_ERROR,
					    (int)json_object_get_int_member_with_default(o, "code",
											 OTS_ERROR_DB),
					    message);
	forward_done(l, ticket, (uint64_t)json_object_get_int_member_with_default(o, "id", 0), error);
	g_clear_error(&error);
}

static void on_notify(const char *payload, void *user)
{
	struct ots_engine *e = user;
	JsonNode *n;
	JsonObject *o;
	const char *op;

	if (!payload) {
		/* the connection is gone: listen again at the next heartbeat */
		e->lease->listening = false;
		return;
	}
	n = ots_json_parse(payload);
	o = n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
	op = o ? ots_json_get_string(o, "op") : NULL;
	if (op && strcmp(op, "inbox") == 0)
		inbox_process(e, json_object_get_int_member_with_default(o, "id", 0));
	else if (op && strcmp(op, "release") == 0 && ots_json_get_string(o, "iccid") &&
		 ots_json_get_string(o, "to"))
		release(e, ots_json_get_string(o, "iccid"), ots_json_get_string(o, "to"));
	else if (op && strcmp(op, "campaign") == 0)
		ots_campaign_recount(e, (uint64_t)json_object_get_int_member_with_default(o, "id", 0));
	else if (op && strcmp(op, "released") == 0 && ots_json_get_string(o, "iccid"))
		ots_engine_device_attached(e, ots_json_get_string(o, "iccid"), NULL);
	else if (op && strcmp(op, "reply") == 0)
		on_reply(e->lease, o);
	else
		g_message("instance %s: notification not understood: %.80s", e->lease->name, payload);
	if (n)
		json_node_unref(n);
}

/* ---- start / stop ------------------------------------------------------------------------ */

bool ots_lease_start(struct ots_engine *e, GError **error)
{
	struct ots_lease *l;
	char *channel;

	if (ots_db_backend(e->db) != OTS_DB_POSTGRES)
		return true;
	l = g_new0(struct ots_lease, 1);
	l->engine = e;
	l->name = g_strdup(e->cfg.instance ? e->cfg.instance : g_get_host_name());
	l->holder = holder_new();
	l->ttl_ms = e->cfg.lease_ms ? e->cfg.lease_ms : OTS_LEASE_MS;
	l->held = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	l->forwards = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, forward_free);
	e->lease = l;
	if (!ots_lease_instance_name_ok(l->name)) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
			    "instance: 1-40 letters, digits, '-', '_' or '.' (got \"%s\")", l->name);
		return false;
	}
	channel = channel_of(l->name);
	l->listening = ots_db_listen(e->db, channel, on_notify, e, error);
	g_free(channel);
	if (!l->listening || !register_instance(l, error) || !ots_lease_reload(e, error))
		return false;
	l->heartbeat = g_timeout_add(MAX(l->ttl_ms / 3, 1), heartbeat, e);
	g_message("instance %s: %u cards held, lease %u ms", l->name, g_hash_table_size(l->held),
		  l->ttl_ms);
	return true;
}

void ots_lease_stop(struct ots_engine *e)
{
	struct ots_lease *l = e->lease;
	GHashTableIter it;
	gpointer value;
	GError *error = NULL;

	if (!l)
		return;
	/* the requests still waiting for an answer: told the instance stops */
	g_set_error(&error, OTS_ERROR, OTS_ERROR_UNAVAILABLE, "this instance is stopping");
	g_hash_table_iter_init(&it, l->forwards);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		struct ots_forward *f = value;

		f->cb(0, error, f->user);
	}
	g_error_free(error);
	g_clear_handle_id(&l->heartbeat, g_source_remove);
	g_clear_handle_id(&l->inbox_idle, g_source_remove);
	/* a clean stop: the others may take its cards at once, a restart registers at once */
	if (!ots_db_in_transaction(e->db)) {
		struct ots_db_stmt *st = ots_db_stmt(e->db, "UPDATE instances SET expires = 0 "
					       "WHERE name = ? AND holder = ?");

		ots_db_bind_text(st, 1, l->name);
		ots_db_bind_text(st, 2, l->holder);
		ots_db_run(st, NULL);
	}
	g_queue_clear_full(&l->taken, taken_free);
	g_hash_table_destroy(l->forwards);
	g_hash_table_destroy(l->held);
	g_free(l->name);
	g_free(l->holder);
	g_free(l);
	e->lease = NULL;
}
