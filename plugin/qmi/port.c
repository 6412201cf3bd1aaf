// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A QMI control device shared by the plugin's QMI backends (port.h).
 *
 *   CLOSED --watch--> OPENING: qmi_device_new(PATH), qmi_device_open(PROXY)
 *   OPENING --ok--> OPEN: every watcher's up()
 *   OPENING --error--> CLOSED, again after the backoff
 *   OPEN --"device-removed" / sb_qmi_port_fail()--> CLOSED: every watcher's
 *           down(), the device closed, opened again after the backoff
 *   any --last unwatch--> CLOSED (an open in progress is cancelled)
 *
 * A failure is logged once; while the modem keeps failing (gone, muted,
 * answering garbage) the next ones go to the debug log only, until a
 * watcher says it worked (sb_qmi_port_worked()).  No oFono here (the
 * plugin's core, unit-testable): GLib logs in the "stkbridge" domain, the
 * debug ones shown by ofonod -d (stkbridge.c).
 */
#include <string.h>

#include "link/backoff.h"
#include "qmi/port.h"

#define REOPEN_MIN_MS 250
#define REOPEN_MAX_MS 5000
#define CLOSE_TIMEOUT_S 2

enum port_state { PORT_CLOSED, PORT_OPENING, PORT_OPEN };

struct watcher {
	const struct sb_qmi_watch *w;
	void *user;
	guint up_id;                 /* up() from the main loop: the device was open already */
	struct sb_qmi_port *p;
};

struct attempt {
	struct sb_qmi_port *p;       /* a reference */
	GCancellable *cancel;
	QmiDevice *dev;
};

struct sb_qmi_port {
	char *path, *name;
	unsigned refs;
	GList *watchers;             /* struct watcher * */
	enum port_state state;
	struct attempt *opening;
	QmiDevice *dev;
	gulong removed_id;
	struct sb_backoff reopen;
	bool failing;                /* a failure was logged and nothing has worked since */
};

static GHashTable *ports;        /* path -> struct sb_qmi_port * */

static void port_open(struct sb_qmi_port *p);
static void port_close(struct sb_qmi_port *p, const char *why, bool reopen);

static void reopen_cb(void *data)
{
	struct sb_qmi_port *p = data;

	if (p->watchers && p->state == PORT_CLOSED)
		port_open(p);
}

struct sb_qmi_port *sb_qmi_port_ref(const char *path, const char *name)
{
	struct sb_qmi_port *p;

	if (!ports)
		ports = g_hash_table_new(g_str_hash, g_str_equal);
	p = g_hash_table_lookup(ports, path);
	if (p) {
		p->refs++;
		return p;
	}
	p = g_new0(struct sb_qmi_port, 1);
	p->path = g_strdup(path);
	p->name = g_strdup(name);
	p->refs = 1;
	sb_backoff_init(&p->reopen, REOPEN_MIN_MS, REOPEN_MAX_MS, reopen_cb, p);
	g_hash_table_insert(ports, p->path, p);
	return p;
}

void sb_qmi_port_unref(struct sb_qmi_port *p)
{
	if (!p || --p->refs)
		return;
	port_close(p, "closed", false);
	g_hash_table_remove(ports, p->path);
	if (!g_hash_table_size(ports))
		g_clear_pointer(&ports, g_hash_table_destroy);
	sb_backoff_cancel(&p->reopen);
	g_free(p->path);
	g_free(p->name);
	g_free(p);
}

const char *sb_qmi_port_path(const struct sb_qmi_port *p)
{
	return p->path;
}

QmiDevice *sb_qmi_port_device(const struct sb_qmi_port *p)
{
	return p->state == PORT_OPEN ? p->dev : NULL;
}

const char *sb_qmi_error_text(const GError *err)
{
	return err ? err->message : "failed";
}

bool sb_qmi_error_is_transport(const GError *err)
{
	/* QMI_CORE_ERROR_TIMEOUT: no answer in time; _FAILED covers "endpoint hangup" and a closed device */
	return err && err->domain == QMI_CORE_ERROR &&
	       (err->code == QMI_CORE_ERROR_TIMEOUT || err->code == QMI_CORE_ERROR_FAILED ||
		err->code == QMI_CORE_ERROR_WRONG_STATE);
}

/* ---- watchers ------------------------------------------------------------------------------- */

static GList *watchers_snapshot(struct sb_qmi_port *p)
{
	return g_list_copy(p->watchers);
}

static bool still_watching(struct sb_qmi_port *p, struct watcher *wt)
{
	return g_list_find(p->watchers, wt) != NULL;
}

static void notify_up(struct sb_qmi_port *p)
{
	GList *snap = watchers_snapshot(p);

	for (GList *l = snap; l && p->state == PORT_OPEN; l = l->next) {
		struct watcher *wt = l->data;

		if (!still_watching(p, wt))
			continue;
		if (wt->up_id) {
			g_source_remove(wt->up_id);
			wt->up_id = 0;
		}
		wt->w->up(p->dev, wt->user);
	}
	g_list_free(snap);
}

static void notify_down(struct sb_qmi_port *p, const char *why)
{
	GList *snap = watchers_snapshot(p);

	for (GList *l = snap; l; l = l->next) {
		struct watcher *wt = l->data;

		if (!still_watching(p, wt))
			continue;
		if (wt->up_id) {           /* never told it was up: nothing to take down */
			g_source_remove(wt->up_id);
			wt->up_id = 0;
			continue;
		}
		wt->w->down(why, wt->user);
	}
	g_list_free(snap);
}

/* ---- open and close ----------------------------------------------------------------------- */

static void close_done(GObject *src, GAsyncResult *res, gpointer data)
{
	qmi_device_close_finish(QMI_DEVICE(src), res, NULL);
	g_object_unref(src);
}

/* OPEN -> CLOSED: the watchers first (they drop their clients), then the device. */
static void port_close(struct sb_qmi_port *p, const char *why, bool reopen)
{
	QmiDevice *dev = p->dev;

	if (p->opening) {
		g_cancellable_cancel(p->opening->cancel);
		p->opening = NULL;          /* the attempt's callback finds itself stale */
	}
	if (p->state == PORT_OPEN) {
		p->state = PORT_CLOSED;
		notify_down(p, why);
		g_signal_handler_disconnect(dev, p->removed_id);
		p->removed_id = 0;
		p->dev = NULL;
		/* the proxy may be gone already: a bounded close, then the last reference goes */
		qmi_device_close_async(dev, CLOSE_TIMEOUT_S, NULL, close_done, NULL);
	}
	p->state = PORT_CLOSED;
	if (reopen && p->watchers)
		sb_backoff_schedule(&p->reopen);
}

static void log_failure(struct sb_qmi_port *p, const char *what)
{
	if (!p->failing)
		g_message("%s: QMI modem %s: %s; reconnecting with backoff (further failures are logged once it has "
			   "worked again)", p->name, p->path, what);
	else
		g_debug("%s: QMI modem %s: %s", p->name, p->path, what);
	p->failing = true;
}

static void on_removed(QmiDevice *dev, gpointer data)
{
	struct sb_qmi_port *p = data;

	log_failure(p, "gone (qmi-proxy closed the connection)");
	port_close(p, "modem gone", true);
}

static void attempt_free(struct attempt *a)
{
	struct sb_qmi_port *p = a->p;

	g_object_unref(a->cancel);
	if (a->dev)
		g_object_unref(a->dev);
	g_free(a);
	sb_qmi_port_unref(p);
}

/* The attempt is still the port's current one (not cancelled by an unwatch or a close). */
static bool attempt_current(struct attempt *a)
{
	return a->p->opening == a && !g_cancellable_is_cancelled(a->cancel);
}

static void open_failed(struct attempt *a, const GError *err)
{
	struct sb_qmi_port *p = a->p;
	char *what = g_strdup_printf("cannot open it through qmi-proxy (%s)", sb_qmi_error_text(err));

	p->opening = NULL;
	p->state = PORT_CLOSED;
	log_failure(p, what);
	g_free(what);
	if (p->watchers)
		sb_backoff_schedule(&p->reopen);
}

static void open_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct attempt *a = data;
	struct sb_qmi_port *p = a->p;
	GError *err = NULL;

	if (!qmi_device_open_finish(QMI_DEVICE(src), res, &err)) {
		if (attempt_current(a))
			open_failed(a, err);
		g_error_free(err);
		attempt_free(a);
		return;
	}
	if (!attempt_current(a)) {
		g_object_ref(a->dev);
		qmi_device_close_async(a->dev, CLOSE_TIMEOUT_S, NULL, close_done, NULL);
		attempt_free(a);
		return;
	}
	p->opening = NULL;
	p->dev = g_steal_pointer(&a->dev);
	p->state = PORT_OPEN;
	p->removed_id = g_signal_connect(p->dev, QMI_DEVICE_SIGNAL_REMOVED, G_CALLBACK(on_removed), p);
	g_debug("%s: QMI modem %s open through qmi-proxy", p->name, p->path);
	attempt_free(a);
	notify_up(p);
}

static void new_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct attempt *a = data;
	GError *err = NULL;

	a->dev = qmi_device_new_finish(res, &err);
	if (!a->dev || !attempt_current(a)) {
		if (!a->dev && attempt_current(a))
			open_failed(a, err);
		g_clear_error(&err);
		attempt_free(a);
		return;
	}
	/* through qmi-proxy, so that ModemManager or qmicli can use the modem too (DESIGN §8.2) */
	qmi_device_open(a->dev, QMI_DEVICE_OPEN_FLAGS_PROXY, SB_QMI_TIMEOUT_S, a->cancel, open_done, a);
}

static void port_open(struct sb_qmi_port *p)
{
	struct attempt *a = g_new0(struct attempt, 1);
	GFile *file = g_file_new_for_path(p->path);

	a->p = p;
	p->refs++;
	a->cancel = g_cancellable_new();
	p->opening = a;
	p->state = PORT_OPENING;
	qmi_device_new(file, a->cancel, new_done, a);
	g_object_unref(file);
}

/* ---- the interface -------------------------------------------------------------------------- */

static gboolean up_later(gpointer data)
{
	struct watcher *wt = data;

	wt->up_id = 0;
	if (wt->p->state == PORT_OPEN)
		wt->w->up(wt->p->dev, wt->user);
	return G_SOURCE_REMOVE;
}

void sb_qmi_port_watch(struct sb_qmi_port *p, const struct sb_qmi_watch *w, void *user)
{
	struct watcher *wt = g_new0(struct watcher, 1);

	wt->w = w;
	wt->user = user;
	wt->p = p;
	p->watchers = g_list_append(p->watchers, wt);
	if (p->state == PORT_OPEN)
		wt->up_id = g_idle_add(up_later, wt);
	else if (p->state == PORT_CLOSED && !sb_backoff_pending(&p->reopen))
		port_open(p);
}

void sb_qmi_port_unwatch(struct sb_qmi_port *p, void *user)
{
	for (GList *l = p->watchers; l; l = l->next) {
		struct watcher *wt = l->data;

		if (wt->user != user)
			continue;
		if (wt->up_id)
			g_source_remove(wt->up_id);
		p->watchers = g_list_delete_link(p->watchers, l);
		g_free(wt);
		break;
	}
	if (p->watchers)
		return;
	sb_backoff_cancel(&p->reopen);
	port_close(p, "closed", false);
}

void sb_qmi_port_fail(struct sb_qmi_port *p, const char *why)
{
	if (p->state != PORT_OPEN)
		return;
	log_failure(p, why);
	port_close(p, why, true);
}

void sb_qmi_port_worked(struct sb_qmi_port *p)
{
	if (p->failing)
		g_message("%s: QMI modem %s answers again", p->name, p->path);
	p->failing = false;
	sb_backoff_reset(&p->reopen);
}
