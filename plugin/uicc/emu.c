// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The "emu" UICC backend: uicc-emu's unix socket (doc/uicc-transport.md).
 * Frames are a 2-byte big-endian length and a payload; the codec is
 * lib/vpcd_frame.c.  power_on connects, sends "power on" (01) and
 * "get ATR" (04) and waits for the ATR frame; each APDU gets exactly one
 * answer frame.  An APDU not answered within its bounded wait fails with
 * SB_UICC_ERROR_TIMEOUT and the link is closed (a late answer would be taken
 * for the next command's).
 *
 * Each connection is a refcounted struct emu_link: every async GIO call
 * holds a reference, and a closed link is detached from the backend
 * (link->e = NULL), so a late completion touches nothing else.
 */
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <string.h>

#include "uicc/uicc.h"
#include "simota/vpcd.h"

#define EMU_READ_CHUNK 4096
#define EMU_ATR_TIMEOUT_MS 5000

enum emu_wait {
	EMU_WAIT_NONE,
	EMU_WAIT_ATR,
	EMU_WAIT_APDU,
};

struct emu;

struct emu_link {
	int refs;
	struct emu *e;                  /* NULL once closed */
	GCancellable *cancel;
	GSocketConnection *conn;        /* NULL while connecting */
	GByteArray *rx;
	GByteArray *out;                /* frames waiting for the write in flight */
	GBytes *writing;
	uint8_t chunk[EMU_READ_CHUNK];
};

struct emu {
	struct sb_uicc base;
	char *path;
	struct emu_link *link;          /* NULL: not connected */
	bool ready;                     /* ATR received */
	GCancellable *lifetime;         /* cancelled by destroy */

	enum emu_wait wait;
	sb_uicc_atr_cb atr_cb;
	sb_uicc_apdu_cb apdu_cb;
	void *cb_data;
	guint timeout_id;
};

static struct emu_link *link_ref(struct emu_link *l)
{
	l->refs++;
	return l;
}

static void link_unref(struct emu_link *l)
{
	if (--l->refs > 0)
		return;
	if (l->conn)
		g_object_unref(l->conn);
	g_object_unref(l->cancel);
	g_byte_array_unref(l->rx);
	g_byte_array_unref(l->out);
	if (l->writing)
		g_bytes_unref(l->writing);
	g_free(l);
}

static void emu_close(struct emu *e)
{
	struct emu_link *l = e->link;

	if (e->timeout_id) {
		g_source_remove(e->timeout_id);
		e->timeout_id = 0;
	}
	e->ready = false;
	if (!l)
		return;
	e->link = NULL;
	l->e = NULL;
	g_cancellable_cancel(l->cancel);
	if (l->conn)
		g_io_stream_close(G_IO_STREAM(l->conn), NULL, NULL);
	link_unref(l);
}

/* Completes the waiting operation (the callback may start the next one or destroy e). */
static void emu_finish(struct emu *e, const GError *err, const uint8_t *p, size_t len)
{
	enum emu_wait wait = e->wait;
	void *data = e->cb_data;

	if (e->timeout_id) {
		g_source_remove(e->timeout_id);
		e->timeout_id = 0;
	}
	e->wait = EMU_WAIT_NONE;
	e->cb_data = NULL;
	if (wait == EMU_WAIT_ATR)
		e->atr_cb(err, p, len, data);
	else if (wait == EMU_WAIT_APDU)
		e->apdu_cb(err, p, len, data);
}

/* The link is gone: close it, fail the waiting operation, tell the owner if the card was up. */
static void emu_link_lost(struct emu *e, GError *why)
{
	bool was_ready = e->ready;
	GCancellable *alive = g_object_ref(e->lifetime);

	emu_close(e);
	if (e->wait != EMU_WAIT_NONE)
		emu_finish(e, why, NULL, 0);
	if (!g_cancellable_is_cancelled(alive) && was_ready && e->base.lost)
		e->base.lost(why, e->base.lost_data);
	g_object_unref(alive);
	g_error_free(why);
}

static void emu_on_frame(struct emu *e, const uint8_t *p, size_t len)
{
	if (e->wait == EMU_WAIT_NONE) {
		emu_link_lost(e, g_error_new(SB_UICC_ERROR, SB_UICC_ERROR_PROTOCOL,
					     "%s: unsolicited frame from the card", e->base.description));
		return;
	}
	if (len < 2) {
		emu_link_lost(e, g_error_new(SB_UICC_ERROR, SB_UICC_ERROR_PROTOCOL,
					     "%s: %zu-byte answer from the card", e->base.description, len));
		return;
	}
	if (e->wait == EMU_WAIT_ATR)
		e->ready = true;
	emu_finish(e, NULL, p, len);
}

static void emu_read_cb(GObject *src, GAsyncResult *res, gpointer user)
{
	struct emu_link *l = user;
	GError *err = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, &err);
	struct emu *e = l->e;

	if (!e) {
		g_clear_error(&err);
		link_unref(l);
		return;
	}
	if (n <= 0) {
		GError *w = g_error_new(SB_UICC_ERROR, SB_UICC_ERROR_LINK, "%s: card link %s%s",
					e->base.description, err ? "failed: " : "closed", err ? err->message : "");

		g_clear_error(&err);
		emu_link_lost(e, w);
		link_unref(l);
		return;
	}
	g_byte_array_append(l->rx, l->chunk, (guint)n);
	for (;;) {
		struct simota_vpcd_frame f = simota_vpcd_frame_parse(l->rx->data, l->rx->len);
		uint8_t *copy;
		size_t len;

		if (f.kind == SIMOTA_VPCD_INCOMPLETE)
			break;
		len = f.len;
		copy = g_memdup2(f.payload, len ? len : 1);
		g_byte_array_remove_range(l->rx, 0, (guint)f.consumed);
		emu_on_frame(e, copy, len);
		g_free(copy);
		if (!l->e) {          /* closed (or destroyed) by the handler */
			link_unref(l);
			return;
		}
	}
	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(l->conn)), l->chunk, sizeof(l->chunk),
				  G_PRIORITY_DEFAULT, l->cancel, emu_read_cb, l);
}

static void emu_flush(struct emu_link *l);

static void emu_write_cb(GObject *src, GAsyncResult *res, gpointer user)
{
	struct emu_link *l = user;
	GError *err = NULL;
	gboolean ok = g_output_stream_write_all_finish(G_OUTPUT_STREAM(src), res, NULL, &err);

	g_bytes_unref(l->writing);
	l->writing = NULL;
	if (l->e) {
		if (!ok) {
			GError *w = g_error_new(SB_UICC_ERROR, SB_UICC_ERROR_LINK, "%s: write failed: %s",
						l->e->base.description, err->message);

			emu_link_lost(l->e, w);
		} else {
			emu_flush(l);
		}
	}
	g_clear_error(&err);
	link_unref(l);
}

/* One write in flight per stream (GIO forbids overlapping ones): the rest waits in l->out. */
static void emu_flush(struct emu_link *l)
{
	gsize n;

	if (l->writing || l->out->len == 0 || !l->conn)
		return;
	n = l->out->len;
	l->writing = g_byte_array_free_to_bytes(l->out);
	l->out = g_byte_array_new();
	g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(l->conn)),
					g_bytes_get_data(l->writing, NULL), n, G_PRIORITY_DEFAULT, l->cancel,
					emu_write_cb, link_ref(l));
}

/* Queues one encoded frame (or several) for the card. */
static void emu_send_buf(struct emu *e, uint8_t *buf, size_t n)
{
	g_byte_array_append(e->link->out, buf, (guint)n);
	g_free(buf);
	emu_flush(e->link);
}

static gboolean emu_timeout_cb(gpointer user)
{
	struct emu *e = user;

	e->timeout_id = 0;
	emu_link_lost(e, g_error_new(SB_UICC_ERROR, SB_UICC_ERROR_TIMEOUT, "%s: no answer from the card in time",
				     e->base.description));
	return G_SOURCE_REMOVE;
}

static void emu_connect_cb(GObject *src, GAsyncResult *res, gpointer user)
{
	struct emu_link *l = user;
	GError *err = NULL;
	GSocketConnection *conn = g_socket_client_connect_finish(G_SOCKET_CLIENT(src), res, &err);
	struct emu *e = l->e;
	uint8_t *buf;

	g_object_unref(src);
	if (!e) {
		g_clear_error(&err);
		if (conn)
			g_object_unref(conn);
		link_unref(l);
		return;
	}
	if (!conn) {
		GError *w = g_error_new(SB_UICC_ERROR, SB_UICC_ERROR_ABSENT, "%s: %s", e->base.description,
					err->message);

		g_error_free(err);
		emu_close(e);
		emu_finish(e, w, NULL, 0);
		g_error_free(w);
		link_unref(l);
		return;
	}
	l->conn = conn;
	buf = g_malloc(2 * (SIMOTA_VPCD_HEADER + 1));
	buf[0] = 0; buf[1] = 1; buf[2] = SIMOTA_VPCD_CTRL_POWER_ON;
	buf[3] = 0; buf[4] = 1; buf[5] = SIMOTA_VPCD_CTRL_GET_ATR;
	emu_send_buf(e, buf, 6);
	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(conn)), l->chunk, sizeof(l->chunk),
				  G_PRIORITY_DEFAULT, l->cancel, emu_read_cb, l);   /* keeps the connect ref */
	e->timeout_id = g_timeout_add(EMU_ATR_TIMEOUT_MS, emu_timeout_cb, e);
}

/* Errors found at call time are reported from the main loop, never from inside the call. */
static void emu_fail_later(struct emu *e, enum emu_wait wait, sb_uicc_atr_cb atr_cb, sb_uicc_apdu_cb apdu_cb,
			   void *data, GError *err)
{
	sb_uicc_fail_later(e->lifetime, wait == EMU_WAIT_ATR ? atr_cb : NULL, apdu_cb, data, err);
}

static void emu_power_on(struct sb_uicc *u, sb_uicc_atr_cb cb, void *data)
{
	struct emu *e = (struct emu *)u;
	GSocketClient *client;
	GSocketAddress *addr;
	struct emu_link *l;

	if (e->wait != EMU_WAIT_NONE || e->link) {
		emu_fail_later(e, EMU_WAIT_ATR, cb, NULL, data,
			       g_error_new(SB_UICC_ERROR, SB_UICC_ERROR_BUSY, "%s: already connected", u->description));
		return;
	}
	l = g_new0(struct emu_link, 1);
	l->refs = 1;                 /* the backend's */
	l->e = e;
	l->cancel = g_cancellable_new();
	l->rx = g_byte_array_new();
	l->out = g_byte_array_new();
	e->link = l;
	e->wait = EMU_WAIT_ATR;
	e->atr_cb = cb;
	e->cb_data = data;
	client = g_socket_client_new();
	addr = g_unix_socket_address_new(e->path);
	g_socket_client_connect_async(client, G_SOCKET_CONNECTABLE(addr), l->cancel, emu_connect_cb, link_ref(l));
	g_object_unref(addr);
}

static void emu_transmit(struct sb_uicc *u, const uint8_t *apdu, size_t len, unsigned timeout_ms,
			 sb_uicc_apdu_cb cb, void *data)
{
	struct emu *e = (struct emu *)u;
	uint8_t *buf;
	size_t n;

	if (!e->ready || e->wait != EMU_WAIT_NONE || len < 4 || len > SIMOTA_VPCD_MAX_PAYLOAD) {
		int code = !e->ready ? SB_UICC_ERROR_ABSENT :
			   e->wait != EMU_WAIT_NONE ? SB_UICC_ERROR_BUSY : SB_UICC_ERROR_PROTOCOL;

		emu_fail_later(e, EMU_WAIT_APDU, NULL, cb, data,
			       g_error_new(SB_UICC_ERROR, code, "%s: cannot send the APDU (%s)", u->description,
					   code == SB_UICC_ERROR_ABSENT ? "no card" :
					   code == SB_UICC_ERROR_BUSY ? "busy" : "bad length"));
		return;
	}
	e->wait = EMU_WAIT_APDU;
	e->apdu_cb = cb;
	e->cb_data = data;
	buf = g_malloc(len + SIMOTA_VPCD_HEADER);
	n = simota_vpcd_frame_encode(apdu, len, buf, len + SIMOTA_VPCD_HEADER);
	emu_send_buf(e, buf, n);
	e->timeout_id = g_timeout_add(timeout_ms, emu_timeout_cb, e);
}

static void emu_power_off(struct sb_uicc *u)
{
	struct emu *e = (struct emu *)u;
	GError *err;

	/* closing the link powers the card off (the last link of a slot) */
	emu_close(e);
	if (e->wait != EMU_WAIT_NONE) {
		err = g_error_new(SB_UICC_ERROR, SB_UICC_ERROR_ABSENT, "%s: powered off", u->description);
		emu_fail_later(e, e->wait, e->atr_cb, e->apdu_cb, e->cb_data, err);
		e->wait = EMU_WAIT_NONE;
	}
}

static void emu_destroy(struct sb_uicc *u)
{
	struct emu *e = (struct emu *)u;

	g_cancellable_cancel(e->lifetime);
	emu_close(e);
	g_object_unref(e->lifetime);
	g_free(e->path);
	g_free(e);
}

static const struct sb_uicc_ops emu_ops = {
	.name = "emu",
	.power_on = emu_power_on,
	.transmit = emu_transmit,
	.power_off = emu_power_off,
	.destroy = emu_destroy,
};

struct sb_uicc *sb_uicc_emu_new(const char *socket_path)
{
	struct emu *e = g_new0(struct emu, 1);

	e->base.ops = &emu_ops;
	e->base.description = g_strdup_printf("emu:unix:%s", socket_path);
	e->base.protocol = SB_UICC_T0;        /* uicc-emu is a T=0 card (its ATR offers T=0 only) */
	e->path = g_strdup(socket_path);
	e->lifetime = g_cancellable_new();
	return &e->base;
}
