/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ota-test-server's engine with N emulated cards behind an in-process link
 * (doc/testing.md, benchmarks).  Each card is a real uicc-emu card (OTA entity,
 * deferred applet) behind the handset simulator of the tests
 * (tests/server/me-sim.c).  The engine runs on the main thread, the cards on
 * a thread of their own (one main context for all of them); the link is a
 * queue each way, drained in the receiving thread's main loop.
 * The server's database is on disk with its durable commits
 * (WAL, synchronous=FULL); the cards' state files are on tmpfs (/dev/shm)
 * so that the cards' own fsyncs do not count as the server's.
 *
 * For each N:
 *  - memory per card: RSS growth for N emulated cards + handsets, then for
 *    registering them in the server (import of the card config);
 *  - memory per pending transaction: P transactions on P cards whose users
 *    do not answer, all past their IR (state waiting); RSS growth / P
 *    (server + card + handset: one process); then the users answer and
 *    they complete;
 *  - complete deferred transactions per second: T transactions, at most W
 *    in flight on distinct cards, the user answering at once, C2 on the
 *    card's MG (no configured wait: RQ until MG, no preset reached), then
 *    R1 stored and the release confirmed; and the C1 -> R1 time of each
 *    (c1-sent of the first C1 to r1-delivered), p50 / p99; and the CPU time
 *    per complete transaction of the engine's thread and of the cards'
 *    thread (CLOCK_THREAD_CPUTIME_ID: what a transaction costs, which the
 *    shared machine's noise moves far less than the rate).  With N = 1
 *    the transactions queue on the one card (one proactive session at a
 *    time): that is the unloaded latency.
 *
 * An emulated card costs about 250 KiB (uicc-emu's per-card buffers, sized for
 * a 255-segment packet), so 100 000 of them do not fit in this machine's
 * memory: at most E (--emulated, default 20 000) cards are emulated; the
 * server still registers all N, and the transactions run on the emulated
 * ones (a registered card no transaction touches costs the server only its
 * registry entry, which is measured).
 *
 * The engine runs with group commit as the daemon does (batch_max
 * OTS_BATCH_MAX_CHANGES, doc/scaling.md).  Before the runs, the disk's raw
 * fsync rate in the database's directory (4 KiB written and fsync'd, for
 * one second); each run prints its database commits and, on SQLite, the
 * WAL fsyncs that made them durable (a worker's fdatasync covers every
 * batch committed before it started), and "transactions per fsync: N.NN"
 * (complete transactions / those fsyncs).  Then the largest N again on
 * PostgreSQL in a private cluster (tests/pg) when this machine can start
 * one, else a line saying that row was not measured: first one engine, then
 * two instances on one new database (doc/scaling.md "Several instances"):
 * engines "a" and "b" in this process (one main loop, so one thread for
 * both), each with its own in-process link to half of the cards (even
 * ones on a, odd on b).  Each card's transactions start at the engine its
 * device is on, which takes the card's lease; before the run every device
 * attaches at its engine, as a netsim device would.  Then the run with
 * half of the transactions (2, 3, 6, 7, ...: both ways) started at the
 * other engine as the HTTP API does (refused there with
 * OTS_ERROR_ELSEWHERE, handed to the owner by ots_engine_forward), and the
 * same run with every one started at the owner.  On PostgreSQL "per fsync"
 * counts database commits (synchronous_commit=on: each waits for its WAL
 * flush; PostgreSQL may serve concurrent ones with one fsync), of both
 * engines together: their batches, the lease heartbeats and the forwarded
 * requests' own.  RSS is measured on SQLite only (the PostgreSQL rows
 * reuse the heap the runs before freed); every row prints the heap in use.
 *
 * --import N (off by default, not part of --quick): N cards imported into a
 * fresh SQLite server through the API's batch path (a JSON array of cards
 * per batch, parsed as POST /v1/cards parses it, one database transaction
 * each: ots_engine_card_add_json_all); the import rate, the server's RSS
 * and database bytes per card; the RSS once every card has been read (and
 * so cached by the registry, as a campaign over all of them would leave
 * it); then a few of them, at random positions,
 * emulated and transacted with; the engine restarted over the database
 * (the time ots_engine_new takes) and those cards transacted with again.
 * The first runs twice: the cards' PoRs and MGs named by ICCID (netsim),
 * then by MSISDN only (SMPP: the engine finds the card by its number).
 *
 * usage: bench-server [--quick] [--cards N]... [--emulated E] [--tx T] [--window W] [--pending P]
 *                     [--no-pg] [--import N]
 *   default N = 1, 1000, 100000, then N = 1000 again with T = 20000 and
 *   W = 512 (the 10 000 tx/s target); --quick: N = 1, 100, 1000
 *   with smaller T, P;
 *   --no-pg: no PostgreSQL row (profiling the SQLite runs alone);
 *   --import alone runs only the import (no default N, no PostgreSQL row).
 */
#ifdef OTS_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../tests/server/me-sim.h"
#include "../tests/pg/pg-cluster.h"
#include "db/db.h"
#include "state/card-state.h"
#include "transactions/engine.h"

#define SV1 "+15550100"

/* keyset 1 AES-128: KIc / KID 12 = AES in CBC mode / CMAC (TS 102 225 §5.1.2, §5.1.3) */
static const char ini_fmt[] =
	"[card]\niccid=%s\nimsi=001010123456789\nmsisdn=%s\n"
	"[keyset 1]\nkic=12\nkid=12\nkic-key=0123456789abcdeffedcba9876543210\n"
	"kid-key=112233445566778899aabbccddeeff00\ncounter=0000000000\n"
	"[tar defe01]\napplet=deferred\nkeysets=1\nmin-security-level=16\nir=event\n"
	"mg-address=" SV1 "\nspi=1619\n";

/* The same card as JSON (doc/api.md "card"), for the batch import. */
static const char card_json_fmt[] =
	"{\"iccid\":\"%s\",\"msisdn\":\"%s\",\"imsi\":\"001010123456789\",\"keysets\":[{\"kvn\":1,"
	"\"kic\":\"12\",\"kid\":\"12\",\"kic-key\":\"0123456789abcdeffedcba9876543210\","
	"\"kid-key\":\"112233445566778899aabbccddeeff00\",\"counter\":\"0000000000\"}],"
	"\"tars\":[{\"tar\":\"defe01\",\"applet\":\"deferred\",\"keysets\":[1],"
	"\"min-security-level\":\"16\",\"mg-address\":\"" SV1 "\",\"spi\":\"1619\"}]}";

#define MAX_ENGINES 2           /* PostgreSQL, several instances: "a" and "b" */

struct card {
	char iccid[21], msisdn[24];
	unsigned side;           /* the engine whose link has its device (B.e[side]) */
	struct me_sim *me;
};

/* A message on the in-process link. */
struct link_msg {
	struct card *card;
	bool up, report, rp_error;
	uint8_t cause;
	uint32_t id;
	uint8_t len;
	uint8_t tpdu[];
};

struct bench {
	struct ots_engine *e[MAX_ENGINES];
	unsigned n_engines;      /* 1; 2 for the PostgreSQL row with two instances */
	struct card *cards;
	unsigned n_cards;        /* registered in the server */
	unsigned n_emulated;     /* of which uicc-emu cards behind handsets (cards[0..n_emulated-1]) */
	GHashTable *by_iccid;
	bool link_down;          /* no device attached: the server keeps its SMS */
	bool by_msisdn;          /* what the cards submit names their MSISDN only (as SMPP), not the ICCID */
	/* the current run (the previous one has finished: every event belongs to this one) */
	unsigned n_tx, started, waiting, finished, completed, failed;
	bool forwarding;         /* two engines: every other pair of transactions started at the card's
				  * other engine, forwarded to its owner (as the HTTP API does) */
	unsigned forwarded, forward_failed, misrouted;
	GArray *forward_us;      /* int64_t: a forwarded request's time until its owner's answer */
	GArray *c1_at;           /* int64_t, by transaction id: time of its first C1 */
	GArray *latency_us;
	unsigned window, next_card;
	guint start_source;
	bool manual;             /* pending phase: the users wait */
	bool rss_measured;       /* false: the row's RSS growth is not printed (see print_title) */
};

static struct bench B;

static double now_s(void)
{
	return (double)g_get_monotonic_time() / 1e6;
}

static long rss_kib(void)
{
	char *s = NULL, *p;
	long v = -1;

	if (!g_file_get_contents("/proc/self/status", &s, NULL, NULL))
		return -1;
	p = strstr(s, "VmRSS:");
	if (p)
		v = strtol(p + 6, NULL, 10);
	g_free(s);
	return v;
}

#ifdef OTS_JEMALLOC
/* Bytes the application holds from jemalloc (the daemon's allocator, ota-test-server/meson.build). */
static long heap_kib(void)
{
	uint64_t epoch = 1;
	size_t allocated, len = sizeof(allocated);

	/* its statistics are a snapshot taken at each new epoch */
	if (mallctl("epoch", NULL, NULL, &epoch, sizeof(epoch)) != 0 ||
	    mallctl("stats.allocated", &allocated, &len, NULL, 0) != 0)
		g_error("jemalloc's statistics are not there");
	return (long)(allocated / 1024);
}
#else
/* A number attribute of malloc_info()'s last element starting with tag, or 0. */
static unsigned long long malloc_info_size(const char *xml, const char *tag)
{
	const char *p = g_strrstr(xml, tag);

	p = p ? strstr(p, "size=\"") : NULL;
	return p ? g_ascii_strtoull(p + 6, NULL, 10) : 0;
}

/*
 * Bytes malloc has handed out and not had back, in every arena (the cards'
 * thread has its own: mallinfo2() counts only the main one): the arenas'
 * memory from the system less their free chunks, plus mmapped chunks.
 * RSS may reuse what was freed, or keep it.
 */
static long heap_kib(void)
{
	char *xml = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&xml, &len);
	long kib;

	if (!f || malloc_info(0, f) != 0 || fclose(f) != 0)
		g_error("malloc_info failed");
	kib = (long)((malloc_info_size(xml, "<system type=\"current\"") -
		      malloc_info_size(xml, "<total type=\"fast\"") -
		      malloc_info_size(xml, "<total type=\"rest\"") +
		      malloc_info_size(xml, "<total type=\"mmap\"")) / 1024);
	free(xml);
	return kib;
}
#endif

/* The machine's CPU time (/proc/stat "cpu" line, in ticks): in all, idle (with iowait), stolen. */
struct cpu_ticks {
	unsigned long long total, idle, steal;
};

static struct cpu_ticks cpu_ticks(void)
{
	unsigned long long v[8] = { 0 };
	struct cpu_ticks t = { 0 };
	FILE *f = fopen("/proc/stat", "r");

	if (f && fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
			&v[4], &v[5], &v[6], &v[7]) == 8) {
		for (unsigned i = 0; i < 8; i++)
			t.total += v[i];
		t.idle = v[3] + v[4];
		t.steal = v[7];
	}
	if (f)
		fclose(f);
	return t;
}

/* "load average L, CPU B % busy, S % stolen" since from: the shared machine's state during a run. */
static void print_machine(struct cpu_ticks from)
{
	struct cpu_ticks to = cpu_ticks();
	double total = (double)MAX(to.total - from.total, 1);
	char *load = NULL;

	if (g_file_get_contents("/proc/loadavg", &load, NULL, NULL))
		*strchrnul(load, ' ') = 0;
	printf("            machine during the run: load average %s, CPU %.0f %% busy, %.0f %% stolen "
	       "by the hypervisor (all cores)\n", load ? load : "?",
	       100.0 * (double)(total - (double)(to.idle - from.idle) - (double)(to.steal - from.steal)) /
	       total, 100.0 * (double)(to.steal - from.steal) / total);
	g_free(load);
}

/* The database file with its WAL. */
static long long db_bytes(const char *db)
{
	const char *suffix[] = { "", "-wal" };
	long long n = 0;

	for (unsigned i = 0; i < G_N_ELEMENTS(suffix); i++) {
		char *path = g_strconcat(db, suffix[i], NULL);
		GStatBuf st;

		if (g_stat(path, &st) == 0)
			n += st.st_size;
		g_free(path);
	}
	return n;
}

/* The disk's raw rate: 4 KiB written at the same offset and fsync'd, for 1 s, in dir. */
static double fsync_rate(const char *dir)
{
	char *path = g_build_filename(dir, "bench-fsync-XXXXXX", NULL);
	int fd = g_mkstemp(path);
	char buf[4096] = { 0 };
	double t0 = now_s(), t;
	unsigned n = 0;

	g_assert_cmpint(fd, >=, 0);
	do {
		if (pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf) || fsync(fd) != 0)
			g_error("%s: %s", path, g_strerror(errno));
		n++;
		t = now_s() - t0;
	} while (t < 1.0);
	close(fd);
	g_unlink(path);
	g_free(path);
	return n / t;
}

/* ---- the in-process link: the engine's thread <-> the cards' thread ------------------------ */

/*
 * The cards (uicc-emu behind their handsets) run on a thread of their own,
 * in their own main context, as they would on a device farm's host: the
 * link is two queues, each drained in the receiving thread's main loop.
 * Everything the main thread does with a card other than sending it an SMS
 * runs on the cards' thread too (cards_run), so a card is only ever used
 * by one thread.
 */
struct link_dir {
	GAsyncQueue *q;          /* struct link_msg */
	gint scheduled;          /* a drain source is attached (atomic) */
	GMainContext *ctx;       /* the receiving thread's */
	int priority;            /* of its drain source */
	void (*deliver)(struct link_msg *m);
};

static void deliver_down(struct link_msg *m)
{
	me_sim_deliver(m->card->me, m->id, m->tpdu, m->len);
}

static void deliver_up(struct link_msg *m)
{
	struct ots_engine *e = B.e[m->card->side];   /* the engine whose link has the device */

	if (m->report)
		ots_engine_deliver_report(e, m->id, m->rp_error, m->cause, m->tpdu, m->len);
	else if (B.by_msisdn)   /* as over SMPP: the sender's number only */
		ots_engine_submit(e, NULL, m->card->msisdn, m->tpdu, m->len);
	else
		ots_engine_submit(e, m->card->iccid, NULL, m->tpdu, m->len);
}

/*
 * Up, the engine reads the link as the daemon reads its sockets: at the I/O
 * sources' priority, above the idle source that commits the batch (so a
 * batch holds what is ready, as in the daemon).  Down, the handsets read it
 * at idle priority, as the users' answers.
 */
static struct link_dir down_link = { .priority = G_PRIORITY_DEFAULT_IDLE, .deliver = deliver_down },
		       up_link = { .priority = G_PRIORITY_DEFAULT, .deliver = deliver_up };
static gint link_closed;         /* teardown: what is sent is dropped (atomic) */
static GThread *cards_thread;
static GMainLoop *cards_loop;

/* At most 512 messages a turn, so the receiver's other sources (a user's answer) run too. */
static gboolean link_drain(gpointer p)
{
	struct link_dir *d = p;

	for (unsigned i = 0; i < 512; i++) {
		struct link_msg *m = g_async_queue_try_pop(d->q);

		if (!m) {
			g_atomic_int_set(&d->scheduled, 0);
			/* pushed after the pop saw it empty, but before the reset: its sender
			 * saw a drain attached, so take it here */
			if (g_async_queue_length(d->q) > 0 &&
			    g_atomic_int_compare_and_exchange(&d->scheduled, 0, 1))
				continue;
			return G_SOURCE_REMOVE;
		}
		if (!g_atomic_int_get(&link_closed))
			d->deliver(m);
		g_free(m);
	}
	return G_SOURCE_CONTINUE;
}

static struct link_msg *link_msg_new(struct card *c, bool is_up, const uint8_t *tpdu, size_t len)
{
	struct link_msg *m = g_malloc0(sizeof(*m) + len);

	m->card = c;
	m->up = is_up;
	m->len = (uint8_t)len;
	if (len)
		memcpy(m->tpdu, tpdu, len);
	return m;
}

/* Hands m (filled) to the other thread. */
static void link_send(struct link_msg *m)
{
	struct link_dir *d = m->up ? &up_link : &down_link;

	g_async_queue_push(d->q, m);
	if (g_atomic_int_compare_and_exchange(&d->scheduled, 0, 1)) {
		GSource *s = g_idle_source_new();

		g_source_set_priority(s, d->priority);
		g_source_set_callback(s, link_drain, d, NULL);
		g_source_attach(s, d->ctx);
		g_source_unref(s);
	}
}

static gpointer cards_main(gpointer p)
{
	g_main_context_push_thread_default(down_link.ctx);
	g_main_loop_run(cards_loop);
	g_main_context_pop_thread_default(down_link.ctx);
	return NULL;
}

static void cards_thread_start(void)
{
	down_link.ctx = g_main_context_new();
	down_link.q = g_async_queue_new();
	up_link.ctx = g_main_context_default();
	up_link.q = g_async_queue_new();
	cards_loop = g_main_loop_new(down_link.ctx, FALSE);
	cards_thread = g_thread_new("cards", cards_main, NULL);
}

static void cards_thread_stop(void)
{
	g_main_loop_quit(cards_loop);
	g_thread_join(cards_thread);
	g_main_loop_unref(cards_loop);
	g_main_context_unref(down_link.ctx);
	g_async_queue_unref(down_link.q);
	g_async_queue_unref(up_link.q);
}

struct cards_call {
	void (*fn)(void *data);
	void *data;
	GMutex lock;
	GCond cond;
	bool done;
};

static gboolean cards_call_cb(gpointer p)
{
	struct cards_call *c = p;

	c->fn(c->data);
	g_mutex_lock(&c->lock);
	c->done = true;
	g_cond_signal(&c->cond);
	g_mutex_unlock(&c->lock);
	return G_SOURCE_REMOVE;
}

/* fn(data) on the cards' thread, after the SMS sent to them so far; returns when it has run. */
static void cards_run(void (*fn)(void *data), void *data)
{
	struct cards_call c = { .fn = fn, .data = data };
	GSource *s = g_idle_source_new();

	g_mutex_init(&c.lock);
	g_cond_init(&c.cond);
	/* idle priority, as the link's drains: after the messages queued before it */
	g_source_set_callback(s, cards_call_cb, &c, NULL);
	g_source_attach(s, down_link.ctx);
	g_source_unref(s);
	g_mutex_lock(&c.lock);
	while (!c.done)
		g_cond_wait(&c.cond, &c.lock);
	g_mutex_unlock(&c.lock);
	g_mutex_clear(&c.lock);
	g_cond_clear(&c.cond);
}

static void nothing(void *data)
{
}

/* Until nothing is on the link either way (every message sent so far handled). */
static void link_quiesce(void)
{
	do {
		cards_run(nothing, NULL);
		while (g_main_context_iteration(NULL, FALSE))
			;
	} while (g_async_queue_length(down_link.q) > 0 || g_async_queue_length(up_link.q) > 0);
}

/* Teardown, nobody sending any more: what is left on the link dropped. */
static void link_discard(void)
{
	struct link_msg *m;

	while ((m = g_async_queue_try_pop(down_link.q)) || (m = g_async_queue_try_pop(up_link.q)))
		g_free(m);
}

/* user: the engine's index; its link reaches only the cards whose devices are on it. */
static bool sb_send(void *user, const char *iccid, const char *msisdn, uint32_t id,
		    const uint8_t *tpdu, size_t len)
{
	struct card *c = g_hash_table_lookup(B.by_iccid, iccid);
	struct link_msg *m;

	if (c && c->side != GPOINTER_TO_UINT(user))
		B.misrouted++;   /* an engine sending for a card whose device is not on its link */
	if (!c || c->side != GPOINTER_TO_UINT(user) || len > 255 || B.link_down)
		return false;
	m = link_msg_new(c, false, tpdu, len);
	m->id = id;
	link_send(m);
	return true;
}

static void up_report(void *user, uint32_t id, bool rp_error, uint8_t cause, const uint8_t *tpdu,
		      size_t len)
{
	struct link_msg *m = link_msg_new(user, true, tpdu, len);

	m->report = true;
	m->id = id;
	m->rp_error = rp_error;
	m->cause = cause;
	link_send(m);
}

static void up_submit(void *user, const uint8_t *tpdu, size_t len)
{
	link_send(link_msg_new(user, true, tpdu, len));
}

/* ---- transactions -------------------------------------------------------------------- */

static gboolean start_more(gpointer p);

/* A transaction is over (or its forwarded request failed): the next may start. */
static void tx_finished(bool failed)
{
	if (failed)
		B.failed++;
	B.finished++;
	if (B.started < B.n_tx && !B.start_source)
		B.start_source = g_idle_add(start_more, NULL);
}

static void on_event(const struct ots_event *ev, void *user)
{
	int64_t *c1_at;

	if (ev->tx_id >= B.c1_at->len)
		g_array_set_size(B.c1_at, (guint)ev->tx_id + 1024);
	c1_at = &g_array_index(B.c1_at, int64_t, ev->tx_id);
	if (strcmp(ev->kind, "c1-sent") == 0) {
		if (!*c1_at)
			*c1_at = ev->at_us;
	} else if (strcmp(ev->kind, "ir-received") == 0) {
		B.waiting++;
	} else if (strcmp(ev->kind, "r1-delivered") == 0) {
		int64_t d = ev->at_us - *c1_at;

		g_array_append_val(B.latency_us, d);
		B.completed++;
	} else if (strcmp(ev->kind, "released") == 0 || strcmp(ev->kind, "failed") == 0 ||
		   strcmp(ev->kind, "release-unconfirmed") == 0) {
		tx_finished(strcmp(ev->kind, "failed") == 0);
	}
}

#define TX_TEXT "Pay 25 € to ACME?"

/* The owner's answer to a forwarded request: the transaction's id (its events follow), or why not. */
static void on_forwarded(uint64_t id, const GError *error, void *user)
{
	int64_t *t0 = user, d = g_get_monotonic_time() - *t0;

	g_array_append_val(B.forward_us, d);
	g_free(t0);
	if (error) {
		if (!B.forward_failed++)
			fprintf(stderr, "bench-server: forwarded request: %s\n", error->message);
		tx_finished(true);
	}
}

/*
 * As the HTTP API does with POST /v1/transactions at an instance that does
 * not hold the card: refused there (OTS_ERROR_ELSEWHERE), then handed to the
 * owner (ots_engine_forward), which starts it.
 */
static void start_forwarded(struct card *c)
{
	struct ots_engine *other = B.e[(c->side + 1) % B.n_engines];
	char *json = g_strdup_printf("{\"iccid\":\"%s\",\"action\":\"display-text\","
				     "\"text\":\"" TX_TEXT "\"}", c->iccid);
	JsonNode *req = json_from_string(json, NULL);
	int64_t *t0 = g_new(int64_t, 1);
	GError *error = NULL;
	uint64_t id;

	*t0 = g_get_monotonic_time();
	if (ots_engine_tx_start_json(other, req, &id, &error))
		g_error("card %s started at the instance its device is not on: its lease was not "
			"taken by its device's instance", c->iccid);
	if (!g_error_matches(error, OTS_ERROR, OTS_ERROR_ELSEWHERE))
		g_error("tx start at the other instance: %s", error->message);
	g_clear_error(&error);
	B.forwarded++;
	if (!ots_engine_forward(other, "transactions", c->iccid, req, on_forwarded, t0, &error)) {
		if (!B.forward_failed++)
			fprintf(stderr, "bench-server: forward: %s\n", error->message);
		g_error_free(error);
		g_free(t0);
		tx_finished(true);
	}
	json_node_unref(req);
	g_free(json);
}

static void start_one(void)
{
	struct card *c = &B.cards[B.next_card++ % B.n_emulated];
	struct ots_tx_request req = { 0 };
	GError *error = NULL;
	uint64_t id;

	if (B.forwarding && (B.started & 2)) {   /* transactions 2, 3, 6, 7...: both directions */
		B.started++;
		start_forwarded(c);
		return;
	}
	req.iccid = c->iccid;
	req.action = SIMOTA_DEFERRED_DISPLAY_TEXT;
	req.text = TX_TEXT;
	ots_ev_policy_init(&req.ev);
	if (!ots_engine_tx_start(B.e[c->side], &req, &id, &error))
		g_error("tx start: %s", error->message);
	B.started++;
}

static gboolean start_more(gpointer p)
{
	B.start_source = 0;
	while (B.started < B.n_tx && B.started - B.finished < B.window)
		start_one();
	return G_SOURCE_REMOVE;
}

static void run_until(bool (*done)(void), double max_s)
{
	double end = now_s() + max_s;

	while (!done()) {
		if (now_s() > end)
			g_error("timed out: %u started, %u finished, %u completed, %u failed", B.started,
				B.finished, B.completed, B.failed);
		g_main_context_iteration(NULL, TRUE);
	}
}

static bool all_finished(void)
{
	return B.finished >= B.n_tx;
}

static bool all_waiting(void)
{
	return B.waiting >= B.n_tx;
}

static void set_delay(void *p)
{
	int delay = *(const int *)p;

	for (unsigned i = 0; i < B.n_emulated; i++)
		B.cards[i].me->user.delay_ms = delay;
}

/* manual: the users wait (pending phase), else they answer at once. */
static void run_reset(unsigned n_tx, unsigned window, bool manual)
{
	int delay = manual ? ME_SIM_MANUAL : 0;

	cards_run(set_delay, &delay);
	g_array_set_size(B.latency_us, 0);
	g_array_set_size(B.forward_us, 0);
	B.forwarded = B.forward_failed = 0;
	B.n_tx = n_tx;
	B.window = window;
	B.manual = manual;
	B.started = B.waiting = B.finished = B.completed = B.failed = 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Of a sorted array of int64_t us. */
static double percentile_ms(GArray *us, double q)
{
	size_t n = us->len, i;

	if (!n)
		return 0;
	i = (size_t)(q * (double)(n - 1) + 0.5);
	return (double)g_array_index(us, int64_t, i) / 1000.0;
}

/* This thread's CPU time (user + system), us. */
static int64_t thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void cards_cpu_us(void *p)
{
	*(int64_t *)p = thread_cpu_us();
}

/* T transactions, at most W in flight, the users answering at once; prints the run and its C1 -> R1. */
static void run_print(unsigned tx, unsigned window)
{
	double t0 = now_s(), t_run;
	struct cpu_ticks cpu0 = cpu_ticks();
	int64_t engine0, cards0, engine1, cards1;

	run_reset(tx, window, false);
	cards_run(cards_cpu_us, &cards0);
	engine0 = thread_cpu_us();
	start_more(NULL);
	run_until(all_finished, 3600);
	t_run = now_s() - t0;
	engine1 = thread_cpu_us();
	cards_run(cards_cpu_us, &cards1);
	qsort(B.latency_us->data, B.latency_us->len, sizeof(int64_t), cmp_i64);
	printf("  run:      %u transactions (%u in flight at most, over %u cards): %u completed, "
	       "%u failed in %.2f s = %.1f complete transactions/s\n", tx, window,
	       MIN(B.n_emulated, tx), B.completed, B.failed, t_run, B.completed / t_run);
	printf("            C1 -> R1: p50 %.2f ms, p99 %.2f ms, max %.2f ms (RSS now %ld MiB)\n",
	       percentile_ms(B.latency_us, 0.50), percentile_ms(B.latency_us, 0.99),
	       percentile_ms(B.latency_us, 1.0), rss_kib() / 1024);
	print_machine(cpu0);
	/* CPU time, not wall time: what a transaction costs each thread, however busy the machine */
	printf("            CPU per complete transaction: engine thread %.0f us, cards' thread %.0f us\n",
	       (double)(engine1 - engine0) / MAX(B.completed, 1),
	       (double)(cards1 - cards0) / MAX(B.completed, 1));
	if (!B.forwarding)
		return;
	qsort(B.forward_us->data, B.forward_us->len, sizeof(int64_t), cmp_i64);
	printf("            %u of them started at the instance that does not hold the card and "
	       "forwarded to its owner (ots_engine_forward, as the HTTP API), %u of those failed; "
	       "request -> owner's answer: p50 %.2f ms, p99 %.2f ms (not in C1 -> R1, which starts "
	       "at the owner's C1); %u SMS offered to the link without the card's device\n",
	       B.forwarded, B.forward_failed, percentile_ms(B.forward_us, 0.50),
	       percentile_ms(B.forward_us, 0.99), B.misrouted);
}

/* On the cards' thread: every emulated card and its handset gone. */
static void free_cards(void *p)
{
	for (unsigned i = 0; i < B.n_emulated; i++)
		me_sim_free(B.cards[i].me);
}

/* The engine, the emulated cards and the run's directories gone: the next run starts afresh. */
static void teardown(struct simota_card_config *tmpl, char *dir, char *sdir)
{
	char *cmd = g_strdup_printf("rm -rf '%s' '%s'", dir, sdir);

	g_atomic_int_set(&link_closed, 1);     /* what is still on the link is dropped */
	cards_run(free_cards, NULL);
	for (unsigned i = 0; i < B.n_engines; i++)
		ots_engine_free(B.e[i]);
	g_array_set_size(B.c1_at, 0);    /* the next run has a new database: ids start again */
	while (g_main_context_iteration(NULL, FALSE))
		;
	link_discard();
	g_atomic_int_set(&link_closed, 0);
	g_free(B.cards);
	g_hash_table_destroy(B.by_iccid);
	simota_card_config_free(tmpl);
	if (system(cmd) != 0)
		fprintf(stderr, "bench-server: %s failed\n", cmd);
	g_free(cmd);
	g_free(dir);
	g_free(sdir);
}

/* ---- one N ------------------------------------------------------------------------------ */

static bool engines_flushed(void)
{
	for (unsigned i = 0; i < B.n_engines; i++)
		if (ots_engine_unflushed(B.e[i]))
			return false;
	return true;
}

/* Prints how many cards each instance holds, as the database says (cards.owner). */
static void print_owners(const char *uri)
{
	GError *error = NULL;
	struct ots_db *db = ots_db_open(uri, &error);
	struct ots_db_stmt *st;

	g_assert_no_error(error);
	st = ots_db_stmt(db, "SELECT coalesce(owner, 'nobody'), count(*) FROM cards GROUP BY 1 "
			 "ORDER BY 1");
	printf("; cards held:");
	while (ots_db_next(st, &error))
		printf(" %s %" G_GINT64_FORMAT, ots_db_column_text(st, 0), ots_db_column_int(st, 1));
	g_assert_no_error(error);
	printf("\n");
	ots_db_reset(st);
	ots_db_close(db);
}

/*
 * Several instances: each emulated card's device attaches at the engine
 * whose link has it (as a netsim device would), which takes the card's
 * lease when it does not hold it yet.
 */
static void leases_take(const char *uri)
{
	double t0 = now_s();

	for (unsigned i = 0; i < B.n_emulated; i++)
		ots_engine_device_attached(B.e[B.cards[i].side], B.cards[i].iccid, NULL);
	run_until(engines_flushed, 600);
	printf("  leases:   %u devices attached, each at its engine (which takes the card's lease "
	       "unless a transaction started there took it already) in %.2f s", B.n_emulated,
	       now_s() - t0);
	print_owners(uri);
	fflush(stdout);
}

struct params {
	unsigned n, emulated, tx, window, pending;
	unsigned want_tx, want_window;   /* this run's own T and W (0: the command line's) */
	const char *pg;          /* a PostgreSQL URI, or NULL: SQLite in the disk dir */
	unsigned instances;      /* engines on the PostgreSQL database (1, 2) */
};

static uint64_t engine_commits(unsigned i)
{
	struct ots_engine_stats st;

	ots_engine_get_stats(B.e[i], &st);
	return st.db_commits;
}

/* The commits of every engine. */
static uint64_t db_commits(void)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < B.n_engines; i++)
		n += engine_commits(i);
	return n;
}

/* The fsyncs that made them durable, every engine's. */
static uint64_t db_syncs(void)
{
	struct ots_engine_stats st;
	uint64_t n = 0;

	for (unsigned i = 0; i < B.n_engines; i++) {
		ots_engine_get_stats(B.e[i], &st);
		n += st.db_syncs;
	}
	return n;
}

/* Card i's ICCID and MSISDN. */
static void card_name(struct card *c, unsigned i)
{
	g_snprintf(c->iccid, sizeof(c->iccid), "8988239%013u", i);
	g_snprintf(c->msisdn, sizeof(c->msisdn), "+1555%07u", i);
}

/* The parsed card config every emulated card copies (keysets, TARs). */
static struct simota_card_config *card_template(const char *sdir)
{
	char *ini = g_build_filename(sdir, "template.ini", NULL);
	char *text = g_strdup_printf(ini_fmt, "89882390000000000017", "+15550001");
	struct simota_card_config *tmpl;
	GError *error = NULL;

	g_assert_true(g_file_set_contents_full(ini, text, -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
	tmpl = uicc_card_config_load(ini, &error);
	g_assert_no_error(error);
	g_free(text);
	g_free(ini);
	return tmpl;
}

/* A uicc-emu card behind a handset for c, its state in sdir. */
static void card_emulate(struct card *c, const struct simota_card_config *tmpl, const char *sdir)
{
	struct me_sim_uplink up = { .report = up_report, .submit = up_submit, .user = c };
	struct simota_card_config *cc = simota_card_config_dup(tmpl);
	char *state = g_strdup_printf("%s/%s.state", sdir, c->iccid);
	GError *error = NULL;

	memcpy(cc->iccid, c->iccid, sizeof(c->iccid));
	memcpy(cc->msisdn, c->msisdn, sizeof(c->msisdn));
	c->me = me_sim_new_with_config(cc, state, &up, &error);
	if (!c->me)
		g_error("card %s: %s", c->iccid, error->message);
	g_free(state);
	g_hash_table_insert(B.by_iccid, c->iccid, c);
}

/*
 * The server's engines over db, as the daemon runs them (group commit),
 * each on its own in-process link; n > 1: instances "a", "b" (PostgreSQL).
 */
static void engines_open(const char *db, unsigned n)
{
	static const char *const names[MAX_ENGINES] = { "a", "b" };

	B.n_engines = n;
	for (unsigned i = 0; i < n; i++) {
		struct ots_southbound sb = { .send_deliver = sb_send, .user = GUINT_TO_POINTER(i) };
		struct ots_engine_config cfg = { 0 };
		GError *error = NULL;

		cfg.db_path = db;
		cfg.batch_max = OTS_BATCH_MAX_CHANGES;    /* group commit, as the daemon */
		cfg.sv1_address = SV1;
		cfg.por_timeout_ms = 600000;   /* the link loses nothing: no resend may add load */
		cfg.instance = n > 1 ? names[i] : NULL;
		B.e[i] = ots_engine_new(&cfg, &error);
		g_assert_no_error(error);
		ots_engine_set_southbound(B.e[i], &sb);
		ots_engine_subscribe(B.e[i], on_event, NULL);
	}
}

/* The row's first line, and what it does not measure. */
static void print_title(const struct params *p)
{
	B.rss_measured = !p->pg;
	if (!p->pg)
		printf("-- N = %u cards, SQLite\n", p->n);
	else if (p->instances == 1)
		printf("-- N = %u cards, PostgreSQL (1 instance)\n", p->n);
	else
		printf("-- N = %u cards, PostgreSQL (%u instances: engines \"a\" and \"b\" in this "
		       "process on one database, each with its own link to half of the cards)\n", p->n,
		       p->instances);
	if (p->pg)
		printf("  not measured in this row: RSS (the heap the runs before freed is reused: "
		       "the heap in use, which that does not hide, is printed) and database size\n");
	fflush(stdout);
}

#define MEM_PER_LEN 80

struct mem_at {
	long rss, heap;          /* KiB: RSS, heap in use (heap_kib) */
};

static struct mem_at mem_now(void)
{
	return (struct mem_at){ rss_kib(), heap_kib() };
}

/*
 * The growth from from to to, per one of n: "X.XX KiB RSS (Y.YY KiB heap
 * in use)"; PostgreSQL rows: "RSS not measured (...)", the heap the runs
 * before freed being reused.
 */
static const char *mem_per(char buf[MEM_PER_LEN], struct mem_at from, struct mem_at to, unsigned n)
{
	char rss[32];

	if (B.rss_measured)
		g_snprintf(rss, sizeof(rss), "%.2f KiB RSS", (double)(to.rss - from.rss) / n);
	else
		g_strlcpy(rss, "RSS not measured", sizeof(rss));
	g_snprintf(buf, MEM_PER_LEN, "%s (%.2f KiB heap in use)", rss, (double)(to.heap - from.heap) / n);
	return buf;
}

/* On the cards' thread: the first P users answer now. */
static void answer_pending(void *p)
{
	unsigned pending = *(const unsigned *)p;

	for (unsigned i = 0; i < pending; i++) {
		B.cards[i].me->user.delay_ms = 0;
		me_sim_user_answer(B.cards[i].me);
	}
}

/*
 * P transactions started with no device attached (C1 stored), then the
 * devices attach (C1 resent, the users do not answer), then the users
 * answer; before: the memory before the first.
 */
static void pending_phase(unsigned pending, struct mem_at before)
{
	char b[MEM_PER_LEN];
	double t0;

	run_reset(pending, pending, true);
	B.next_card = 0;
	B.link_down = true;
	start_more(NULL);
	printf("  pending:  %u transactions started with no device attached (C1 stored, "
	       "not delivered): %s per pending transaction in the server\n", pending,
	       mem_per(b, before, mem_now(), pending));
	/* the devices attach: C1 resent, the IR comes back; the users do not answer */
	B.link_down = false;
	t0 = now_s();
	for (unsigned i = 0; i < pending; i++)
		ots_engine_device_attached(B.e[B.cards[i].side], B.cards[i].iccid, NULL);
	run_until(all_waiting, 3600);
	printf("            devices attached: all past their IR in %.1f s: %s per pending "
	       "transaction (server + card + handset showing the text)\n", now_s() - t0,
	       mem_per(b, before, mem_now(), pending));
	fflush(stdout);
	/* the users answer: MG, C2, R1, release */
	t0 = now_s();
	cards_run(answer_pending, &pending);
	run_until(all_finished, 3600);
	t0 = now_s() - t0;
	printf("            then answered: all %u completed in %.1f s (%.0f tx/s), C1 -> R1 "
	       "includes the wait for the user\n", B.completed, t0, B.completed / t0);
	fflush(stdout);
}

/* The throughput run with its C1 -> R1, then the database commits and fsyncs it took. */
static void run_commits(const struct params *p, bool forwarding)
{
	uint64_t commits0 = db_commits(), syncs0 = db_syncs(), a0 = engine_commits(0), commits, syncs;
	char split[64] = "";

	B.forwarding = forwarding;
	run_print(p->tx, p->window);
	B.forwarding = false;
	commits = db_commits() - commits0;
	syncs = db_syncs() - syncs0;
	if (B.n_engines > 1)
		g_snprintf(split, sizeof(split), " (a %" G_GUINT64_FORMAT ", b %" G_GUINT64_FORMAT ")",
			   engine_commits(0) - a0, commits - (engine_commits(0) - a0));
	if (!p->pg)
		printf("            %" G_GUINT64_FORMAT " database commits, %" G_GUINT64_FORMAT
		       " WAL fsyncs (a worker's fdatasync covers the batches committed before it)"
		       " for %u complete transactions\n", commits, syncs, B.completed);
	else
		printf("            %" G_GUINT64_FORMAT "%s database commits (%s) for %u complete "
		       "transactions\n", commits, split, B.n_engines == 1 ?
		       "PostgreSQL, synchronous_commit=on: each a WAL flush" :
		       "PostgreSQL, synchronous_commit=on: each a WAL flush; both instances' commits, "
		       "their heartbeats and forwarded requests included", B.completed);
	printf("            transactions per fsync: %.2f\n",
	       (double)B.completed / (double)MAX(p->pg ? commits : syncs, 1));
	fflush(stdout);
}

static void bench_n(const struct params *p, const char *disk_dir, const char *shm_dir)
{
	struct simota_card_config *tmpl;
	char *dir = g_build_filename(disk_dir, "bench-server-XXXXXX", NULL);
	char *sdir = g_build_filename(shm_dir, "bench-server-cards-XXXXXX", NULL);
	char *text, *db, b1[MEM_PER_LEN], b2[MEM_PER_LEN], b3[40];
	struct mem_at m0, m1, m2;
	double t0, t_cards, t_import;
	GError *error = NULL;
	unsigned pending = MIN(p->pending, p->emulated);

	g_assert_nonnull(g_mkdtemp(dir));
	g_assert_nonnull(g_mkdtemp(sdir));
	print_title(p);

	/* the cards: one parsed config, copied with each card's ICCID and MSISDN */
	tmpl = card_template(sdir);
	B.cards = g_new0(struct card, p->n);
	B.n_cards = p->n;
	B.n_emulated = p->emulated;
	B.by_iccid = g_hash_table_new(g_str_hash, g_str_equal);
	for (unsigned i = 0; i < p->n; i++) {
		card_name(&B.cards[i], i);
		B.cards[i].side = i % p->instances;
	}
	m0 = mem_now();
	t0 = now_s();
	for (unsigned i = 0; i < p->emulated; i++)
		card_emulate(&B.cards[i], tmpl, sdir);
	t_cards = now_s() - t0;
	m1 = mem_now();

	/* the server, its database on disk; every card registered (one durable commit each) */
	db = p->pg ? g_strdup(p->pg) : g_build_filename(dir, "server.db", NULL);
	engines_open(db, p->instances);
	t0 = now_s();
	for (unsigned i = 0; i < p->n; i++) {
		text = g_strdup_printf(ini_fmt, B.cards[i].iccid, B.cards[i].msisdn);
		if (!ots_engine_card_import_data(B.e[0], text, strlen(text), false, NULL, &error))
			g_error("import %u: %s", i, error->message);
		g_free(text);
	}
	t_import = now_s() - t0;
	m2 = mem_now();
	printf("  cards:    %u uicc-emu cards + handsets in %.1f s: %s per card%s\n",
	       p->emulated, t_cards, mem_per(b1, m0, m1, p->emulated),
	       p->emulated < p->n ? " (the others are registered in the server only: see --emulated)" : "");
	if (p->pg)
		g_strlcpy(b3, "database size not measured", sizeof(b3));
	else
		g_snprintf(b3, sizeof(b3), "%.2f KiB of database per card",
			   (double)db_bytes(db) / 1024 / p->n);
	printf("  registry: %u cards imported in %.1f s (%.0f/s, one durable commit each): "
	       "%s per card in the server, %s\n", p->n, t_import, p->n / t_import,
	       mem_per(b2, m1, m2, p->n), b3);
	fflush(stdout);

	if (pending >= 100)
		pending_phase(pending, m2);

	/* throughput and C1 -> R1; two instances: half the requests forwarded, then none */
	if (B.n_engines > 1) {
		leases_take(db);
		run_commits(p, true);
		printf("            the same, every transaction started at the card's owner:\n");
	}
	run_commits(p, false);
	teardown(tmpl, dir, sdir);
	g_free(db);
}

/* ---- --import N ------------------------------------------------------------------------- */

#define IMPORT_BATCH 1000        /* cards per batch: one JSON array, one database transaction */
#define IMPORT_EMULATED 16       /* of them emulated and transacted with, at random positions */

/* Cards first..first+n-1 as one JSON array, parsed as the API parses a request body. */
static JsonNode *import_batch(unsigned first, unsigned n)
{
	GString *body = g_string_sized_new((gsize)n * sizeof(card_json_fmt));
	struct card c;
	GError *error = NULL;
	JsonNode *node;

	g_string_append_c(body, '[');
	for (unsigned i = first; i < first + n; i++) {
		card_name(&c, i);
		if (i > first)
			g_string_append_c(body, ',');
		g_string_append_printf(body, card_json_fmt, c.iccid, c.msisdn);
	}
	g_string_append_c(body, ']');
	node = json_from_string(body->str, &error);
	g_assert_no_error(error);
	g_string_free(body, TRUE);
	return node;
}

/* Imports n cards in batches; prints the rate and the server's RSS and database bytes per card. */
static void import_cards(unsigned n, const char *db)
{
	long rss0 = rss_kib(), heap0 = heap_kib();
	uint64_t commits0 = db_commits();
	double t0 = now_s(), t;
	GError *error = NULL;

	for (unsigned first = 0; first < n; first += IMPORT_BATCH) {
		JsonNode *batch = import_batch(first, MIN(IMPORT_BATCH, n - first));

		if (!ots_engine_card_add_json_all(B.e[0], json_node_get_array(batch), false, &error))
			g_error("import at %u: %s", first, error->message);
		json_node_unref(batch);
	}
	t = now_s() - t0;
	printf("  import:   %u cards in %.1f s (%.0f cards/s, batches of %u, %" G_GUINT64_FORMAT
	       " commits): %.3f KiB RSS (%.3f KiB heap in use) per card in the server, %.2f KiB of "
	       "database per card (RSS now %ld MiB, database %.0f MiB)\n", n, t, n / t, IMPORT_BATCH,
	       db_commits() - commits0, (double)(rss_kib() - rss0) / n, (double)(heap_kib() - heap0) / n,
	       (double)db_bytes(db) / 1024 / n, rss_kib() / 1024, (double)db_bytes(db) / 1048576);
	fflush(stdout);
}

/* Every card shown once (GET /v1/cards/{iccid}): the registry caches each card it reads. */
static void show_every_card(unsigned n)
{
	long rss0 = rss_kib(), heap0 = heap_kib();
	double t0 = now_s(), t;
	struct card c;

	for (unsigned i = 0; i < n; i++) {
		GError *error = NULL;
		JsonNode *shown;

		card_name(&c, i);
		shown = ots_engine_card_show(B.e[0], c.iccid, &error);
		if (!shown)
			g_error("card %s: %s", c.iccid, error->message);
		json_node_unref(shown);
	}
	t = now_s() - t0;
	printf("  shown:    every card read once (each now in the registry's cache) in %.1f s "
	       "(%.0f/s): %.3f KiB more RSS, %.3f KiB more heap in use per card (RSS now %ld MiB)\n",
	       t, n / t, (double)(rss_kib() - rss0) / n, (double)(heap_kib() - heap0) / n,
	       rss_kib() / 1024);
	fflush(stdout);
}

static void bench_import(unsigned n, const char *disk_dir, const char *shm_dir)
{
	char *dir = g_build_filename(disk_dir, "bench-server-XXXXXX", NULL);
	char *sdir = g_build_filename(shm_dir, "bench-server-cards-XXXXXX", NULL);
	char *db;
	struct simota_card_config *tmpl;
	GRand *rand = g_rand_new_with_seed(14);
	double t0;

	g_assert_nonnull(g_mkdtemp(dir));
	g_assert_nonnull(g_mkdtemp(sdir));
	printf("-- import: %u cards into SQLite, then %u of them at random positions emulated\n", n,
	       MIN(n, IMPORT_EMULATED));
	fflush(stdout);
	db = g_build_filename(dir, "server.db", NULL);
	engines_open(db, 1);
	import_cards(n, db);
	show_every_card(n);

	/* a few cards at random positions (one in each of K equal slices): emulated, two transactions each per run */
	tmpl = card_template(sdir);
	B.n_emulated = MIN(n, IMPORT_EMULATED);
	B.cards = g_new0(struct card, B.n_emulated);
	B.by_iccid = g_hash_table_new(g_str_hash, g_str_equal);
	for (unsigned i = 0, slice = n / B.n_emulated; i < B.n_emulated; i++) {
		card_name(&B.cards[i], i * slice + (unsigned)g_rand_int_range(rand, 0, (gint32)slice));
		card_emulate(&B.cards[i], tmpl, sdir);
	}
	B.next_card = 0;
	run_print(2 * B.n_emulated, B.n_emulated);
	printf("            the same with the cards' PoRs and MGs known by MSISDN only (as over SMPP):\n");
	B.by_msisdn = true;
	run_print(2 * B.n_emulated, B.n_emulated);
	B.by_msisdn = false;

	/* the engine restarted over the database, then the same cards again */
	link_quiesce();
	ots_engine_free(B.e[0]);
	t0 = now_s();
	engines_open(db, 1);
	printf("  restart:  engine over the %u-card database started in %.3f s (RSS now %ld MiB)\n",
	       n, now_s() - t0, rss_kib() / 1024);
	run_print(2 * B.n_emulated, B.n_emulated);
	fflush(stdout);
	teardown(tmpl, dir, sdir);
	g_rand_free(rand);
	g_free(db);
}

/*
 * The largest N again on PostgreSQL, when a private cluster starts here:
 * one engine, then two instances, each on a new database.
 */
static void bench_pg(struct params *p, const char *disk, const char *shm)
{
	g_setenv("OTS_TEST_DB", "postgresql", TRUE);
	for (p->instances = 1; p->instances <= MAX_ENGINES; p->instances++) {
		GError *error = NULL;
		char *uri = pg_cluster_new_database(&error);

		if (!uri) {
			printf("-- N = %u cards, PostgreSQL (%u instance%s): not measured (%s)\n"
			       "            transactions per fsync: not measured\n", p->n,
			       p->instances, p->instances > 1 ? "s" : "", error->message);
			g_error_free(error);
			continue;
		}
		p->pg = uri;
		bench_n(p, disk, shm);
		p->pg = NULL;
		g_free(uri);
	}
	p->instances = 1;
	pg_cluster_stop();
}

/* Quiet: the engine logs every card it registers. */
static GLogWriterOutput quiet_writer(GLogLevelFlags level, const GLogField *fields, gsize n,
				     gpointer user)
{
	if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG))
		return G_LOG_WRITER_HANDLED;
	return g_log_writer_default(level, fields, n, user);
}

/* Every emulated card holds its state lock open: as many cards as open files allow. */
static unsigned fit_fd_limit(unsigned cards)
{
	struct rlimit r;
	rlim_t want = (rlim_t)cards + 256;

	if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur >= want)
		return cards;
	r.rlim_cur = MIN(want, r.rlim_max);
	if (r.rlim_max < want) {
		struct rlimit more = { want, want };

		if (setrlimit(RLIMIT_NOFILE, &more) == 0)      /* needs CAP_SYS_RESOURCE */
			return cards;
	}
	if (setrlimit(RLIMIT_NOFILE, &r) != 0)
		g_error("setrlimit: %s", g_strerror(errno));
	if (r.rlim_cur >= want)
		return cards;
	printf("  (open files limited to %lu: %lu cards emulated, not %u)\n",
	       (unsigned long)r.rlim_cur, (unsigned long)(r.rlim_cur - 256), cards);
	return (unsigned)(r.rlim_cur - 256);
}

int main(int argc, char **argv)
{
	struct params runs[8] = { 0 };
	unsigned n_runs = 0, tx = 0, window = 64, pending = 10000, emulated = 20000, import = 0;
	bool quick = false, pg = true;
	const char *disk = g_getenv("TMPDIR") ? g_getenv("TMPDIR") : "/var/tmp";
	const char *shm = g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : disk;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else if (strcmp(argv[i], "--cards") == 0 && i + 1 < argc && n_runs < 8)
			runs[n_runs++].n = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--tx") == 0 && i + 1 < argc)
			tx = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--window") == 0 && i + 1 < argc)
			window = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--emulated") == 0 && i + 1 < argc)
			emulated = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--pending") == 0 && i + 1 < argc)
			pending = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--no-pg") == 0)
			pg = false;
		else if (strcmp(argv[i], "--import") == 0 && i + 1 < argc)
			import = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--check") == 0)
			;       /* bench/run.sh: no targets here, figures only */
		else {
			fprintf(stderr, "usage: %s [--quick] [--cards N]... [--emulated E] [--tx T] "
				"[--window W] [--pending P] [--no-pg] [--import N]\n", argv[0]);
			return 2;
		}
	}
	if (n_runs == 0 && import)
		pg = false;     /* --import alone */
	else if (n_runs == 0) {
		static const unsigned full[] = { 1, 1000, 100000 }, small[] = { 1, 100, 1000 };

		for (unsigned i = 0; i < 3; i++)
			runs[n_runs++].n = quick ? small[i] : full[i];
		/* the target (10 000 complete tx/s, C1 -> R1 p99 < 50 ms): more in flight */
		if (!quick)
			runs[n_runs++] = (struct params){ .n = 1000, .want_tx = 20000, .want_window = 512 };
	}
	if (quick)
		pending = MIN(pending, 1000);
	g_log_set_writer_func(quiet_writer, NULL, NULL);
	cards_thread_start();
	B.latency_us = g_array_new(FALSE, FALSE, sizeof(int64_t));
	B.c1_at = g_array_new(FALSE, TRUE, sizeof(int64_t));
	B.forward_us = g_array_new(FALSE, FALSE, sizeof(int64_t));
	printf("bench-server: deferred transactions through ota-test-server's engine and N uicc-emu "
	       "cards behind handset simulators (in-process link), group commit\n"
	       "  server DB in %s (durable commits), card states in %s\n"
	       "  disk: %.0f fsyncs/s (4 KiB write + fsync, %s, 1 s, measured now)\n", disk, shm,
	       fsync_rate(disk), disk);
	for (unsigned i = 0; i < n_runs; i++) {
		struct params *p = &runs[i];

		p->emulated = fit_fd_limit(MIN(p->n, emulated));
		/* one card: its transactions queue (one session at a time); else spread over cards */
		p->tx = p->want_tx ? p->want_tx : tx ? tx : p->n == 1 ? (quick ? 50 : 200) :
			MIN(p->n, quick ? 1000u : 5000u);
		p->window = p->n == 1 ? p->tx : MIN(p->want_window ? p->want_window : window,
						    p->emulated);
		p->pending = pending;
		p->instances = 1;
		bench_n(p, disk, shm);
	}
	if (pg)
		/* the largest N of the list (not the target's run) */
		bench_pg(&runs[n_runs - 1 - (n_runs > 1 && runs[n_runs - 1].want_window)], disk, shm);
	if (import)
		bench_import(import, disk, shm);
	g_array_free(B.latency_us, TRUE);
	g_array_free(B.c1_at, TRUE);
	g_array_free(B.forward_us, TRUE);
	cards_thread_stop();
	return 0;
}
