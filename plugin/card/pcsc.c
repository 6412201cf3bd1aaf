// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The "pcsc" UICC backend: a card in a PC/SC reader through pcsc-lite
 * (doc/pcsc.md).  Uicc=pcsc:READER names the reader exactly, by a prefix,
 * or "*" (the first reader with a card).
 *
 * pcsc-lite calls block, so none runs on the main loop:
 *  - a worker thread (struct worker) with its own SCARDCONTEXT connects,
 *    resets and transmits, one job at a time, and posts each result back to
 *    the main context.  Every job has a bounded wait on the main loop; when
 *    it runs out, the APDU fails with SB_CARD_ERROR_TIMEOUT, the card is
 *    reported lost and the worker is abandoned: it ends by itself once
 *    pcsc-lite returns (a new worker serves the next power_on; at most
 *    PCSC_MAX_STUCK abandoned ones may still be blocked).
 *  - the monitor thread (pcsc-monitor.c) turns SCardGetStatusChange events
 *    into "card lost" (removed, reader gone, pcscd gone) and "card present"
 *    (inserted) for the modem.
 *
 * power_on: (re)connect (shared or exclusive, T=0 or T=1 as the card and
 * reader agree), warm reset (SCardReconnect SCARD_RESET_CARD) and read the
 * ATR with SCardStatus, so every power_on is a reset and the modem's
 * TERMINAL PROFILE follows it.  The protocol the reader negotiated goes to
 * the APDU session (sb_uicc.protocol): pcsc-lite hands a T=0 command to the
 * reader as it is, and a TPDU-level reader passes it on unchanged.  A context pcscd no longer knows
 * (pcscd restarted) is released and established again.  The T=0
 * exchanges (61XX, 6CXX, 91XX) are apdu-session.c's, as for every backend.
 */
#include <string.h>
#include <winscard.h>

#include "card/pcsc-internal.h"
#include "card/uicc.h"

#define PCSC_CONNECT_TIMEOUT_MS 10000
#define PCSC_MAX_STUCK 2
#define PCSC_SHORT_RESP_MAX (256 + 2)

enum job_kind { JOB_CONNECT, JOB_TRANSMIT, JOB_DISCONNECT };

/* Abandoned workers of one backend still blocked in pcsc-lite; shared with them. */
struct stuck_count {
	gint refs;
	gint n;
};

struct worker {
	gint refs;
	GMutex lock;
	GCond cond;
	GQueue jobs;              /* under lock */
	bool quit;                /* under lock */
	bool counted_stuck;       /* under lock: abandoned by a timeout */
	struct stuck_count *stuck;
	GMainContext *main;
	char *spec;
	bool shared;
	/* the thread's own */
	SCARDCONTEXT ctx;
	bool have_ctx;
	SCARDHANDLE card;
	bool connected;
	DWORD proto;
	uint8_t *rbuf;
};

struct pcsc;

struct job {
	enum job_kind kind;
	struct worker *w;
	uint8_t *apdu;
	size_t apdu_len;
	/* results */
	LONG rv;
	const char *what;
	char *reader;
	uint8_t atr[MAX_ATR_SIZE];
	DWORD atr_len;
	DWORD proto;
	uint8_t *resp;
	size_t resp_len;
	/* back on the main context */
	struct pcsc *p;
	GCancellable *alive;
	guint64 seq;
};

enum pcsc_wait { WAIT_NONE, WAIT_ATR, WAIT_APDU };

struct pcsc {
	struct sb_uicc base;
	char *spec;
	bool shared;
	GCancellable *lifetime;
	struct stuck_count *stuck;
	struct worker *worker;    /* NULL until the first power_on, or after a timeout */
	struct sb_pcsc_monitor *monitor;
	guint64 seq;              /* of the job whose answer is awaited */
	enum pcsc_wait wait;
	sb_uicc_atr_cb atr_cb;
	sb_uicc_apdu_cb apdu_cb;
	void *cb_data;
	guint timeout_id;
	unsigned wait_ms;
	bool ready;               /* connected, ATR read */
	char *reader;             /* the reader connected to */
	bool service_down;        /* the monitor lost pcscd */
	bool card_seen;           /* a matching reader held a card at the last snapshot */
};

/* ---- the worker thread ------------------------------------------------------------- */

static void job_free(struct job *j)
{
	g_free(j->apdu);
	g_free(j->reader);
	g_free(j->resp);
	if (j->alive)
		g_object_unref(j->alive);
	g_free(j);
}

static void worker_unref(struct worker *w)
{
	if (!g_atomic_int_dec_and_test(&w->refs))
		return;
	g_queue_clear_full(&w->jobs, (GDestroyNotify)job_free);
	if (g_atomic_int_dec_and_test(&w->stuck->refs))
		g_free(w->stuck);
	g_main_context_unref(w->main);
	g_mutex_clear(&w->lock);
	g_cond_clear(&w->cond);
	g_free(w->spec);
	g_free(w->rbuf);
	g_free(w);
}

static void worker_drop_context(struct worker *w)
{
	if (w->connected)
		SCardDisconnect(w->card, SCARD_LEAVE_CARD);
	w->connected = false;
	if (w->have_ctx)
		SCardReleaseContext(w->ctx);
	w->have_ctx = false;
}

static LONG worker_context(struct worker *w)
{
	LONG rv;

	if (w->have_ctx)
		return SCARD_S_SUCCESS;
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &w->ctx);
	w->have_ctx = rv == SCARD_S_SUCCESS;
	return rv;
}

/* Connects to the best matching reader holding a card: exact name, then prefix, then any ("*"). */
static LONG worker_connect_reader(struct worker *w, struct job *j)
{
	DWORD share = w->shared ? SCARD_SHARE_SHARED : SCARD_SHARE_EXCLUSIVE;
	DWORD len = 0;
	LONG rv, last = SCARD_E_UNKNOWN_READER;
	char *names;

	j->what = "SCardListReaders";
	rv = SCardListReaders(w->ctx, NULL, NULL, &len);
	if (rv != SCARD_S_SUCCESS)
		return rv;
	names = g_malloc0(len + 2);
	rv = SCardListReaders(w->ctx, NULL, names, &len);
	if (rv != SCARD_S_SUCCESS) {
		g_free(names);
		return rv;
	}
	for (int want = 0; want <= 2; want++) {
		for (const char *p = names; *p; p += strlen(p) + 1) {
			int rank;

			if (!sb_pcsc_reader_matches(w->spec, p, &rank) || rank != want)
				continue;
			j->what = "SCardConnect";
			rv = SCardConnect(w->ctx, p, share, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &w->card, &w->proto);
			if (rv == SCARD_S_SUCCESS) {
				j->reader = g_strdup(p);
				g_free(names);
				return rv;
			}
			last = rv;
			if (sb_pcsc_service_gone(rv)) {
				g_free(names);
				return rv;
			}
		}
	}
	g_free(names);
	return last;
}

static void worker_connect(struct worker *w, struct job *j)
{
	DWORD share = w->shared ? SCARD_SHARE_SHARED : SCARD_SHARE_EXCLUSIVE;
	char name[MAX_READERNAME + 1];
	DWORD name_len = sizeof(name), state = 0;

	if (w->connected)
		SCardDisconnect(w->card, SCARD_LEAVE_CARD);
	w->connected = false;
	for (int attempt = 0; attempt < 2; attempt++) {
		j->what = "SCardEstablishContext";
		j->rv = worker_context(w);
		if (j->rv == SCARD_S_SUCCESS)
			j->rv = worker_connect_reader(w, j);
		if (!sb_pcsc_service_gone(j->rv))
			break;
		worker_drop_context(w);          /* pcscd restarted: a new context, once */
	}
	if (j->rv != SCARD_S_SUCCESS)
		return;
	/* warm reset (ISO/IEC 7816-3 §6.2.3): the card starts afresh, TERMINAL PROFILE follows */
	j->what = "SCardReconnect(SCARD_RESET_CARD)";
	j->rv = SCardReconnect(w->card, share, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, SCARD_RESET_CARD, &w->proto);
	if (j->rv == SCARD_S_SUCCESS) {
		j->what = "SCardStatus";
		j->atr_len = sizeof(j->atr);
		j->rv = SCardStatus(w->card, name, &name_len, &state, &w->proto, j->atr, &j->atr_len);
	}
	if (j->rv != SCARD_S_SUCCESS) {
		SCardDisconnect(w->card, SCARD_LEAVE_CARD);
		if (sb_pcsc_service_gone(j->rv))
			worker_drop_context(w);
		return;
	}
	w->connected = true;
	j->proto = w->proto;
}

/* After an answer without a status word: is the card still there a second later? */
static bool worker_card_stays(struct worker *w)
{
	for (int i = 0; i < 5; i++) {
		char name[MAX_READERNAME + 1];
		DWORD name_len = sizeof(name), state = 0, proto = 0, atr_len = MAX_ATR_SIZE;
		uint8_t atr[MAX_ATR_SIZE];
		LONG rv = SCardStatus(w->card, name, &name_len, &state, &proto, atr, &atr_len);

		if (rv != SCARD_S_SUCCESS || !(state & SCARD_PRESENT))
			return false;
		g_usleep(200 * 1000);
	}
	return true;
}

static void worker_transmit(struct worker *w, struct job *j)
{
	DWORD rlen = MAX_BUFFER_SIZE_EXTENDED;

	j->what = "SCardTransmit";
	if (!w->connected) {
		j->rv = SCARD_E_NO_SMARTCARD;
		return;
	}
	if (!w->rbuf)
		w->rbuf = g_malloc(MAX_BUFFER_SIZE_EXTENDED);
	j->rv = SCardTransmit(w->card, w->proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0, j->apdu,
			      (DWORD)j->apdu_len, NULL, w->rbuf, &rlen);
	if (j->rv == SCARD_S_SUCCESS && rlen < 2 && !worker_card_stays(w)) {
		j->rv = SCARD_W_REMOVED_CARD;    /* vpcd answers 0 bytes when the card's link drops */
		j->what = "SCardTransmit (no answer, then no card)";
	} else if (j->rv == SCARD_E_NOT_TRANSACTED && !worker_card_stays(w)) {
		/* vpcd fails the exchange when the card's link drops in the middle of it */
		j->rv = SCARD_W_REMOVED_CARD;
		j->what = "SCardTransmit (failed, then no card)";
	}
	if (j->rv == SCARD_S_SUCCESS) {
		j->resp = g_memdup2(w->rbuf, rlen ? rlen : 1);
		j->resp_len = rlen;
		return;
	}
	/* the card is gone, reset by someone else, or pcscd is: this connection is over */
	if (sb_pcsc_service_gone(j->rv))
		worker_drop_context(w);
	else
		SCardDisconnect(w->card, SCARD_LEAVE_CARD);
	w->connected = false;
}

static gboolean job_done(gpointer data);

static gpointer worker_main(gpointer data)
{
	struct worker *w = data;

	for (;;) {
		struct job *j;

		g_mutex_lock(&w->lock);
		while (!w->quit && g_queue_is_empty(&w->jobs))
			g_cond_wait(&w->cond, &w->lock);
		if (w->quit) {
			g_mutex_unlock(&w->lock);
			break;
		}
		j = g_queue_pop_head(&w->jobs);
		g_mutex_unlock(&w->lock);
		switch (j->kind) {
		case JOB_CONNECT:
			worker_connect(w, j);
			break;
		case JOB_TRANSMIT:
			worker_transmit(w, j);
			break;
		case JOB_DISCONNECT:
			if (w->connected)
				SCardDisconnect(w->card, w->shared ? SCARD_RESET_CARD : SCARD_UNPOWER_CARD);
			w->connected = false;
			break;
		}
		g_main_context_invoke_full(w->main, G_PRIORITY_DEFAULT, job_done, j, NULL);
	}
	worker_drop_context(w);
	g_mutex_lock(&w->lock);
	if (w->counted_stuck)
		g_atomic_int_add(&w->stuck->n, -1);
	g_mutex_unlock(&w->lock);
	worker_unref(w);
	return NULL;
}

static struct worker *worker_new(struct pcsc *p)
{
	struct worker *w = g_new0(struct worker, 1);

	w->refs = 2;                 /* the backend's and the thread's */
	g_mutex_init(&w->lock);
	g_cond_init(&w->cond);
	g_queue_init(&w->jobs);
	w->stuck = p->stuck;
	g_atomic_int_inc(&w->stuck->refs);
	w->main = g_main_context_ref_thread_default();
	w->spec = g_strdup(p->spec);
	w->shared = p->shared;
	g_thread_unref(g_thread_new("stkbridge-pcsc", worker_main, w));
	return w;
}

/* The backend lets go of w; the thread ends after its current job (stuck: when pcsc-lite returns). */
static void worker_abandon(struct worker *w, bool stuck)
{
	g_mutex_lock(&w->lock);
	w->quit = true;
	if (stuck) {
		w->counted_stuck = true;
		g_atomic_int_inc(&w->stuck->n);
	}
	g_cond_signal(&w->cond);
	g_mutex_unlock(&w->lock);
	worker_unref(w);
}

/* ---- the main-loop side -------------------------------------------------------------- */

static struct job *job_new(struct pcsc *p, enum job_kind kind)
{
	struct job *j = g_new0(struct job, 1);

	j->kind = kind;
	j->p = p;
	j->alive = g_object_ref(p->lifetime);
	j->seq = ++p->seq;
	return j;
}

static void job_submit(struct pcsc *p, struct job *j)
{
	struct worker *w = p->worker;

	j->w = w;
	g_mutex_lock(&w->lock);
	g_queue_push_tail(&w->jobs, j);
	g_cond_signal(&w->cond);
	g_mutex_unlock(&w->lock);
}

static GError *rv_error(struct pcsc *p, int code, const char *what, LONG rv)
{
	return g_error_new(SB_CARD_ERROR, code, "%s: %s%s%s: %s (0x%08lX)", p->base.description, what,
			   p->reader ? " on " : "", p->reader ? p->reader : "", pcsc_stringify_error(rv),
			   (unsigned long)rv);
}

/* Completes the awaited operation (the callback may start the next one). */
static void pcsc_finish(struct pcsc *p, const GError *err, const uint8_t *b, size_t len)
{
	enum pcsc_wait wait = p->wait;
	void *data = p->cb_data;

	if (p->timeout_id) {
		g_source_remove(p->timeout_id);
		p->timeout_id = 0;
	}
	p->wait = WAIT_NONE;
	p->cb_data = NULL;
	if (wait == WAIT_ATR)
		p->atr_cb(err, b, len, data);
	else if (wait == WAIT_APDU)
		p->apdu_cb(err, b, len, data);
}

/* The card went away (or cannot be trusted any more): tell the modem once. */
static void pcsc_lost(struct pcsc *p, const GError *why)
{
	if (!p->ready)
		return;
	p->ready = false;
	if (p->base.lost)
		p->base.lost(why, p->base.lost_data);
}

/* An error ends the awaited operation and, if the card was up, the card. */
static void pcsc_fail(struct pcsc *p, GError *err)
{
	GCancellable *alive = g_object_ref(p->lifetime);

	p->seq++;                    /* a late answer is ignored */
	pcsc_finish(p, err, NULL, 0);
	if (!g_cancellable_is_cancelled(alive))
		pcsc_lost(p, err);
	g_object_unref(alive);
	g_error_free(err);
}

static void on_connected(struct pcsc *p, struct job *j)
{
	if (j->rv != SCARD_S_SUCCESS) {
		GError *e = j->rv == SCARD_E_UNKNOWN_READER ?
			g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_ABSENT, "%s: no reader matches '%s'",
				    p->base.description, p->spec) :
			rv_error(p, SB_CARD_ERROR_ABSENT, j->what, j->rv);

		pcsc_finish(p, e, NULL, 0);
		g_error_free(e);
		return;
	}
	g_free(p->reader);
	p->reader = g_steal_pointer(&j->reader);
	p->ready = true;
	p->base.protocol = j->proto == SCARD_PROTOCOL_T1 ? SB_UICC_T1 : SB_UICC_T0;
	g_message("%s: card in reader '%s', T=%d, %s mode, warm reset done", p->base.description, p->reader,
		  p->base.protocol == SB_UICC_T1 ? 1 : 0, p->shared ? "shared" : "exclusive");
	pcsc_finish(p, NULL, j->atr, j->atr_len);
}

static void on_transmitted(struct pcsc *p, struct job *j)
{
	if (j->rv != SCARD_S_SUCCESS) {
		int code = j->rv == SCARD_W_REMOVED_CARD || j->rv == SCARD_E_NO_SMARTCARD ? SB_CARD_ERROR_ABSENT :
			   SB_CARD_ERROR_LINK;

		pcsc_fail(p, rv_error(p, code, j->what, j->rv));
		return;
	}
	if (j->resp_len < 2) {
		pcsc_fail(p, g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_PROTOCOL,
					 "%s: garbage from the card in '%s': a %zu-byte answer (no status word)",
					 p->base.description, p->reader, j->resp_len));
		return;
	}
	pcsc_finish(p, NULL, j->resp, j->resp_len);
}

static gboolean job_done(gpointer data)
{
	struct job *j = data;
	struct pcsc *p = j->p;

	if (!g_cancellable_is_cancelled(j->alive) && j->seq == p->seq && p->wait != WAIT_NONE) {
		if (j->kind == JOB_CONNECT)
			on_connected(p, j);
		else if (j->kind == JOB_TRANSMIT)
			on_transmitted(p, j);
	}
	job_free(j);
	return G_SOURCE_REMOVE;
}

static gboolean pcsc_timeout_cb(gpointer data)
{
	struct pcsc *p = data;
	const char *what = p->wait == WAIT_ATR ? "connect and reset" : "APDU";

	p->timeout_id = 0;
	worker_abandon(p->worker, true);
	p->worker = NULL;
	g_message("%s: no answer from the card in %s within %u ms (%s); its reader connection is abandoned",
		  p->base.description, p->reader ? p->reader : "the reader", p->wait_ms, what);
	pcsc_fail(p, g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_TIMEOUT, "%s: no answer from the card within %u ms (%s)",
				 p->base.description, p->wait_ms, what));
	return G_SOURCE_REMOVE;
}

static void pcsc_wait_for(struct pcsc *p, enum pcsc_wait wait, unsigned ms, void *data)
{
	p->wait = wait;
	p->cb_data = data;
	p->wait_ms = ms;
	p->timeout_id = g_timeout_add(ms, pcsc_timeout_cb, p);
}

/* Errors found at call time are reported from the main loop, never from inside the call. */
static void fail_later(struct pcsc *p, enum pcsc_wait wait, sb_uicc_atr_cb atr_cb, sb_uicc_apdu_cb apdu_cb,
		       void *data, GError *err)
{
	sb_uicc_fail_later(p->lifetime, wait == WAIT_ATR ? atr_cb : NULL, apdu_cb, data, err);
}

static void pcsc_power_on(struct sb_uicc *u, sb_uicc_atr_cb cb, void *data)
{
	struct pcsc *p = (struct pcsc *)u;

	if (p->wait != WAIT_NONE) {
		fail_later(p, WAIT_ATR, cb, NULL, data,
			   g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_BUSY, "%s: busy", u->description));
		return;
	}
	if (!p->worker && g_atomic_int_get(&p->stuck->n) >= PCSC_MAX_STUCK) {
		fail_later(p, WAIT_ATR, cb, NULL, data,
			   g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_ABSENT,
				       "%s: %d earlier commands still blocked in pcscd; waiting for them",
				       u->description, g_atomic_int_get(&p->stuck->n)));
		return;
	}
	if (!p->worker)
		p->worker = worker_new(p);
	p->ready = false;
	p->atr_cb = cb;
	job_submit(p, job_new(p, JOB_CONNECT));
	pcsc_wait_for(p, WAIT_ATR, PCSC_CONNECT_TIMEOUT_MS, data);
}

static void pcsc_transmit(struct sb_uicc *u, const uint8_t *apdu, size_t len, unsigned timeout_ms,
			  sb_uicc_apdu_cb cb, void *data)
{
	struct pcsc *p = (struct pcsc *)u;
	struct job *j;

	if (!p->ready || !p->worker || p->wait != WAIT_NONE || len < 4 || len > MAX_BUFFER_SIZE_EXTENDED) {
		int code = !p->ready || !p->worker ? SB_CARD_ERROR_ABSENT :
			   p->wait != WAIT_NONE ? SB_CARD_ERROR_BUSY : SB_CARD_ERROR_PROTOCOL;

		fail_later(p, WAIT_APDU, NULL, cb, data,
			   g_error_new(SB_CARD_ERROR, code, "%s: cannot send the APDU (%s)", u->description,
				       code == SB_CARD_ERROR_ABSENT ? "no card" :
				       code == SB_CARD_ERROR_BUSY ? "busy" : "bad length"));
		return;
	}
	j = job_new(p, JOB_TRANSMIT);
	j->apdu = g_memdup2(apdu, len);
	j->apdu_len = len;
	p->apdu_cb = cb;
	job_submit(p, j);
	pcsc_wait_for(p, WAIT_APDU, timeout_ms, data);
}

static void pcsc_power_off(struct sb_uicc *u)
{
	struct pcsc *p = (struct pcsc *)u;

	p->ready = false;
	if (p->wait != WAIT_NONE) {
		fail_later(p, p->wait, p->atr_cb, p->apdu_cb, p->cb_data,
			   g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_ABSENT, "%s: powered off", u->description));
		if (p->timeout_id)
			g_source_remove(p->timeout_id);
		p->timeout_id = 0;
		p->wait = WAIT_NONE;
		p->cb_data = NULL;
	}
	if (p->worker)
		job_submit(p, job_new(p, JOB_DISCONNECT));
}

/* ---- reader and card events ------------------------------------------------------------ */

static void on_snapshot(const struct sb_pcsc_snapshot *snap, void *data)
{
	struct pcsc *p = data;
	const struct sb_pcsc_reader_state *mine = NULL;
	bool card_seen = false;
	GError *why = NULL;

	if (!snap->service) {
		if (!p->service_down)
			g_message("%s: pcscd not reachable (%s); reconnecting by itself", p->base.description,
				  pcsc_stringify_error(snap->service_rv));
		p->service_down = true;
		p->card_seen = false;
		if (p->ready)
			why = g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_LINK, "%s: pcscd gone (%s)", p->base.description,
					  pcsc_stringify_error(snap->service_rv));
		goto out;
	}
	if (p->service_down)
		g_message("%s: pcscd reachable again, %u reader(s)", p->base.description, snap->readers->len);
	p->service_down = false;
	for (guint i = 0; i < snap->readers->len; i++) {
		const struct sb_pcsc_reader_state *r = &g_array_index(snap->readers, struct sb_pcsc_reader_state, i);
		int rank;

		if (p->reader && !strcmp(r->name, p->reader))
			mine = r;
		if (sb_pcsc_reader_matches(p->spec, r->name, &rank) && sb_pcsc_state_has_card(r->state))
			card_seen = true;
	}
	if (p->ready && !mine) {
		g_message("%s: reader '%s' gone", p->base.description, p->reader);
		why = g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_ABSENT, "%s: reader '%s' gone", p->base.description,
				  p->reader);
	} else if (p->ready && !sb_pcsc_state_has_card(mine->state)) {
		g_message("%s: card removed from '%s'", p->base.description, p->reader);
		why = g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_ABSENT, "%s: card removed from '%s'",
				  p->base.description, p->reader);
	}
	if (card_seen && !p->card_seen && !p->ready && !why && p->base.present) {
		p->card_seen = true;
		p->base.present(p->base.present_data);
		return;
	}
	p->card_seen = card_seen;
out:
	if (why) {
		if (p->wait == WAIT_APDU)
			pcsc_fail(p, why);      /* the APDU fails, then the card is lost */
		else {
			pcsc_lost(p, why);
			g_error_free(why);
		}
	}
}

/* ---- life cycle ------------------------------------------------------------------------- */

static void pcsc_destroy(struct sb_uicc *u)
{
	struct pcsc *p = (struct pcsc *)u;

	g_cancellable_cancel(p->lifetime);
	if (p->timeout_id)
		g_source_remove(p->timeout_id);
	sb_pcsc_monitor_stop(p->monitor);
	if (p->worker)
		worker_abandon(p->worker, false);
	if (g_atomic_int_dec_and_test(&p->stuck->refs))
		g_free(p->stuck);
	g_object_unref(p->lifetime);
	g_free(p->reader);
	g_free(p->spec);
	g_free(p);
}

static const struct sb_uicc_ops pcsc_ops = {
	.name = "pcsc",
	.power_on = pcsc_power_on,
	.transmit = pcsc_transmit,
	.power_off = pcsc_power_off,
	.destroy = pcsc_destroy,
};

struct sb_uicc *sb_uicc_pcsc_new(const char *reader, bool shared)
{
	struct pcsc *p = g_new0(struct pcsc, 1);

	p->base.ops = &pcsc_ops;
	p->base.description = g_strdup_printf("pcsc:%s", reader);
	p->spec = g_strdup(reader);
	p->shared = shared;
	p->lifetime = g_cancellable_new();
	p->stuck = g_new0(struct stuck_count, 1);
	p->stuck->refs = 1;
	p->monitor = sb_pcsc_monitor_start(on_snapshot, p, p->lifetime);
	return &p->base;
}
