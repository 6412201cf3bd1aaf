/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A reader link: frames in, slot, reply frames out (doc/uicc-transport.md). */
#define G_LOG_DOMAIN "uicc-emu"
#define G_LOG_USE_STRUCTURED 1

#include "transport/conn.h"

#include <gio/gio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

struct uicc_conn {
	gint ref;
	GIOStream *stream;
	GCancellable *cancel;
	struct uicc_slot *slot;
	char *peer;
	GByteArray *in;
	GByteArray *out;
	uint8_t buf[4096];
	uicc_conn_closed_fn closed_fn;
	void *user_data;
	bool closed;
};

static void start_read(struct uicc_conn *c);

struct uicc_conn *uicc_conn_ref(struct uicc_conn *c)
{
	g_atomic_int_inc(&c->ref);
	return c;
}

void uicc_conn_unref(struct uicc_conn *c)
{
	if (!c || !g_atomic_int_dec_and_test(&c->ref))
		return;
	g_object_unref(c->cancel);
	g_object_unref(c->stream);
	g_byte_array_unref(c->in);
	g_byte_array_unref(c->out);
	g_free(c->peer);
	g_free(c);
}

const char *uicc_conn_peer(const struct uicc_conn *c)
{
	return c->peer;
}

static void shut(struct uicc_conn *c)
{
	c->closed = true;
	g_cancellable_cancel(c->cancel);
	g_io_stream_close(c->stream, NULL, NULL);
	uicc_slot_reader_detach(c->slot);
}

void uicc_conn_close(struct uicc_conn *c)
{
	if (c->closed)
		return;
	uicc_slot_log(c->slot, G_LOG_LEVEL_INFO, "%s: reader %s closed", uicc_slot_name(c->slot), c->peer);
	shut(c);
}

static void fail(struct uicc_conn *c, const char *why)
{
	if (c->closed)
		return;
	uicc_slot_log(c->slot, G_LOG_LEVEL_MESSAGE, "%s: reader %s gone: %s", uicc_slot_name(c->slot),
		      c->peer, why);
	shut(c);
	if (c->closed_fn)
		c->closed_fn(c, c->user_data);
}

static void write_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct uicc_conn *c = data;
	GError *err = NULL;

	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(src), res, NULL, &err)) {
		if (!c->closed)
			fail(c, err->message);
		g_error_free(err);
	} else if (!c->closed) {
		g_byte_array_set_size(c->out, 0);
		start_read(c);
	}
	uicc_conn_unref(c);
}

/* Every complete frame of the input; the replies gather in c->out. */
static void process(struct uicc_conn *c)
{
	size_t off = 0;

	for (;;) {
		struct simota_vpcd_frame f = simota_vpcd_frame_parse(c->in->data + off, c->in->len - off);

		if (f.kind == SIMOTA_VPCD_INCOMPLETE)
			break;
		if (!uicc_slot_handle_frame(c->slot, &f, c->out)) {
			fail(c, f.len == 0 ? "protocol error: empty frame" : "protocol error: unknown control byte");
			return;
		}
		off += f.consumed;
	}
	g_byte_array_remove_range(c->in, 0, (guint)off);
}

static void read_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct uicc_conn *c = data;
	GError *err = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, &err);

	if (c->closed)
		goto out;
	if (n < 0) {
		fail(c, err->message);
		goto out;
	}
	if (n == 0) {
		fail(c, c->in->len ? "end of stream inside a frame" : "end of stream");
		goto out;
	}
	g_byte_array_append(c->in, c->buf, (guint)n);
	process(c);
	if (c->closed)
		goto out;
	if (c->out->len)
		g_output_stream_write_all_async(g_io_stream_get_output_stream(c->stream), c->out->data,
						c->out->len, G_PRIORITY_DEFAULT, c->cancel, write_done,
						uicc_conn_ref(c));
	else
		start_read(c);
out:
	g_clear_error(&err);
	uicc_conn_unref(c);
}

static void start_read(struct uicc_conn *c)
{
	/*
	 * vpcd writes a frame's length and its payload in two sends without
	 * TCP_NODELAY: Nagle holds the payload until our ACK, which delayed
	 * ACK would hold for ~40 ms.  Acknowledge at once (re-armed per read).
	 */
	if (G_IS_TCP_CONNECTION(c->stream))
		g_socket_set_option(g_socket_connection_get_socket(G_SOCKET_CONNECTION(c->stream)),
				    IPPROTO_TCP, TCP_QUICKACK, 1, NULL);
	g_input_stream_read_async(g_io_stream_get_input_stream(c->stream), c->buf, sizeof(c->buf),
				  G_PRIORITY_DEFAULT, c->cancel, read_done, uicc_conn_ref(c));
}

struct uicc_conn *uicc_conn_new(GIOStream *stream, struct uicc_slot *slot, const char *peer,
				uicc_conn_closed_fn closed, void *user_data)
{
	struct uicc_conn *c = g_new0(struct uicc_conn, 1);

	c->ref = 1;
	c->stream = g_object_ref(stream);
	c->cancel = g_cancellable_new();
	c->slot = slot;
	c->peer = g_strdup(peer);
	c->in = g_byte_array_new();
	c->out = g_byte_array_new();
	c->closed_fn = closed;
	c->user_data = user_data;
	uicc_slot_reader_attach(slot);
	uicc_slot_log(slot, G_LOG_LEVEL_MESSAGE, "%s: reader %s connected", uicc_slot_name(slot), peer);
	start_read(c);
	return c;
}
