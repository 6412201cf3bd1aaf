// SPDX-License-Identifier: GPL-2.0-or-later
/* Reader and card events of the pcsc backend (pcsc-internal.h, doc/pcsc.md). */
#include <string.h>

#include "card/pcsc-internal.h"

#define MON_BACKOFF_MIN_MS 250
#define MON_BACKOFF_MAX_MS 5000
#define MON_WAIT_MS 5000          /* SCardGetStatusChange bound; SCardCancel ends it sooner */
#define PNP_READER "\\\\?PnP?\\Notification"

struct sb_pcsc_monitor {
	GMutex lock;
	GCond cond;
	bool quit;                /* under lock */
	bool have_ctx;            /* under lock: ctx may be cancelled */
	SCARDCONTEXT ctx;
	GThread *thread;
	GMainContext *main;
	GCancellable *alive;
	sb_pcsc_snapshot_cb cb;
	void *data;
};

struct posted {
	struct sb_pcsc_monitor *m;        /* valid while alive is not cancelled */
	GCancellable *alive;
	struct sb_pcsc_snapshot snap;
};

bool sb_pcsc_reader_matches(const char *spec, const char *name, int *rank)
{
	if (!strcmp(spec, "*")) {
		*rank = 2;
		return true;
	}
	if (!strcmp(spec, name)) {
		*rank = 0;
		return true;
	}
	if (g_str_has_prefix(name, spec)) {
		*rank = 1;
		return true;
	}
	return false;
}

static void reader_state_clear(gpointer p)
{
	struct sb_pcsc_reader_state *r = p;

	g_free(r->name);
}

static gboolean deliver(gpointer p)
{
	struct posted *ps = p;

	if (!g_cancellable_is_cancelled(ps->alive))
		ps->m->cb(&ps->snap, ps->m->data);
	g_array_unref(ps->snap.readers);
	g_object_unref(ps->alive);
	g_free(ps);
	return G_SOURCE_REMOVE;
}

static void post(struct sb_pcsc_monitor *m, bool service, LONG rv, const SCARD_READERSTATE *st, DWORD n)
{
	struct posted *ps = g_new0(struct posted, 1);

	ps->m = m;
	ps->alive = g_object_ref(m->alive);
	ps->snap.service = service;
	ps->snap.service_rv = rv;
	ps->snap.readers = g_array_new(FALSE, TRUE, sizeof(struct sb_pcsc_reader_state));
	g_array_set_clear_func(ps->snap.readers, reader_state_clear);
	for (DWORD i = 0; i < n; i++) {
		struct sb_pcsc_reader_state r = { g_strdup(st[i].szReader), st[i].dwEventState };

		g_array_append_val(ps->snap.readers, r);
	}
	g_main_context_invoke_full(m->main, G_PRIORITY_DEFAULT, deliver, ps, NULL);
}

static bool quitting(struct sb_pcsc_monitor *m)
{
	bool q;

	g_mutex_lock(&m->lock);
	q = m->quit;
	g_mutex_unlock(&m->lock);
	return q;
}

/* Sleeps ms unless told to quit. */
static void nap(struct sb_pcsc_monitor *m, unsigned ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	g_mutex_lock(&m->lock);
	while (!m->quit && g_cond_wait_until(&m->cond, &m->lock, end))
		;
	g_mutex_unlock(&m->lock);
}

/* The reader names of ctx (a multi-string); NULL and *rv set on error (none: empty list, SUCCESS). */
static char *list_readers(SCARDCONTEXT ctx, DWORD *len, LONG *rv)
{
	char *buf;

	*len = 0;
	*rv = SCardListReaders(ctx, NULL, NULL, len);
	if (*rv == SCARD_E_NO_READERS_AVAILABLE) {
		*rv = SCARD_S_SUCCESS;
		*len = 0;
		return g_malloc0(2);
	}
	if (*rv != SCARD_S_SUCCESS)
		return NULL;
	buf = g_malloc0(*len + 2);
	*rv = SCardListReaders(ctx, NULL, buf, len);
	if (*rv == SCARD_E_NO_READERS_AVAILABLE) {
		*rv = SCARD_S_SUCCESS;
		memset(buf, 0, 2);
	}
	if (*rv != SCARD_S_SUCCESS) {
		g_free(buf);
		return NULL;
	}
	return buf;
}

/* Watches until pcscd goes away (returns its rv) or quit (returns SCARD_E_CANCELLED). */
static LONG watch(struct sb_pcsc_monitor *m, SCARDCONTEXT ctx)
{
	for (;;) {
		DWORD len, n = 0;
		LONG rv;
		char *names = list_readers(ctx, &len, &rv);
		SCARD_READERSTATE *st;

		if (!names)
			return rv;
		for (const char *p = names; *p; p += strlen(p) + 1)
			n++;
		st = g_new0(SCARD_READERSTATE, n + 1);
		n = 0;
		for (const char *p = names; *p; p += strlen(p) + 1) {
			st[n].szReader = p;
			st[n].dwCurrentState = SCARD_STATE_UNAWARE;
			n++;
		}
		/* pcsc-lite: the reader count in the high word; a change of it ends the wait */
		st[n].szReader = PNP_READER;
		st[n].dwCurrentState = (DWORD)n << 16;

		rv = SCardGetStatusChange(ctx, 0, st, n + 1);
		if (rv == SCARD_S_SUCCESS || rv == SCARD_E_TIMEOUT)
			post(m, true, SCARD_S_SUCCESS, st, n);
		while (rv == SCARD_S_SUCCESS || rv == SCARD_E_TIMEOUT || rv == SCARD_E_CANCELLED) {
			bool relist = false;

			if (quitting(m)) {
				rv = SCARD_E_CANCELLED;
				break;
			}
			for (DWORD i = 0; i <= n; i++) {
				if (i < n && (st[i].dwEventState & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE)))
					relist = true;
				st[i].dwCurrentState = st[i].dwEventState & ~SCARD_STATE_CHANGED;
			}
			if (st[n].dwEventState & SCARD_STATE_CHANGED)
				relist = true;
			if (relist)
				break;
			rv = SCardGetStatusChange(ctx, MON_WAIT_MS, st, n + 1);
			if (rv == SCARD_S_SUCCESS)
				post(m, true, SCARD_S_SUCCESS, st, n);
		}
		g_free(st);
		g_free(names);
		if (rv == SCARD_E_CANCELLED && quitting(m))
			return rv;
		if (sb_pcsc_service_gone(rv))
			return rv;
		if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT && rv != SCARD_E_UNKNOWN_READER &&
		    rv != SCARD_E_CANCELLED)
			nap(m, MON_BACKOFF_MIN_MS);    /* an unexpected error: no busy loop */
	}
}

static gpointer monitor_main(gpointer data)
{
	struct sb_pcsc_monitor *m = data;
	unsigned backoff = MON_BACKOFF_MIN_MS;
	bool said_down = false;

	while (!quitting(m)) {
		SCARDCONTEXT ctx;
		LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);

		if (rv != SCARD_S_SUCCESS) {
			if (!said_down)
				post(m, false, rv, NULL, 0);
			said_down = true;
			nap(m, backoff);
			backoff = MIN(backoff * 2, MON_BACKOFF_MAX_MS);
			continue;
		}
		g_mutex_lock(&m->lock);
		m->ctx = ctx;
		m->have_ctx = !m->quit;
		g_mutex_unlock(&m->lock);
		backoff = MON_BACKOFF_MIN_MS;
		said_down = false;
		rv = quitting(m) ? SCARD_E_CANCELLED : watch(m, ctx);
		g_mutex_lock(&m->lock);
		m->have_ctx = false;
		g_mutex_unlock(&m->lock);
		SCardReleaseContext(ctx);
		if (quitting(m))
			break;
		post(m, false, rv, NULL, 0);
		said_down = true;
		nap(m, backoff);
		backoff = MIN(backoff * 2, MON_BACKOFF_MAX_MS);
	}
	return NULL;
}

struct sb_pcsc_monitor *sb_pcsc_monitor_start(sb_pcsc_snapshot_cb cb, void *data, GCancellable *alive)
{
	struct sb_pcsc_monitor *m = g_new0(struct sb_pcsc_monitor, 1);

	g_mutex_init(&m->lock);
	g_cond_init(&m->cond);
	m->main = g_main_context_ref_thread_default();
	m->alive = g_object_ref(alive);
	m->cb = cb;
	m->data = data;
	m->thread = g_thread_new("stkbridge-pcsc-events", monitor_main, m);
	return m;
}

void sb_pcsc_monitor_stop(struct sb_pcsc_monitor *m)
{
	if (!m)
		return;
	g_mutex_lock(&m->lock);
	m->quit = true;
	if (m->have_ctx)
		SCardCancel(m->ctx);       /* ends a SCardGetStatusChange in progress */
	g_cond_broadcast(&m->cond);
	g_mutex_unlock(&m->lock);
	g_thread_join(m->thread);
	g_main_context_unref(m->main);
	g_object_unref(m->alive);
	g_mutex_clear(&m->lock);
	g_cond_clear(&m->cond);
	g_free(m);
}
