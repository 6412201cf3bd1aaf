/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A southbound link's stream: buffered reads, ordered writes, a close that stops the callbacks. */
#include "links/conn.h"

static void conn_read(struct ots_conn *c);

static void conn_unref(struct ots_conn *c)
{
	if (--c->refs > 0)
		return;
	g_byte_array_unref(c->in);
	g_byte_array_unref(c->out);
	if (c->writing)
		g_bytes_unref(c->writing);
	g_object_unref(c->cancel);
	g_object_unref(c->sc);
	g_free(c->flushed_why);
	g_free(c);
}

void ots_conn_close(struct ots_conn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	g_cancellable_cancel(c->cancel);
	g_io_stream_close(G_IO_STREAM(c->sc), NULL, NULL);
	conn_unref(c);    /* the owner's reference */
}

/* The stream ended or failed under the link: close, then tell it. */
static void conn_lost(struct ots_conn *c, const char *why)
{
	void (*on_close)(void *, const char *) = c->on_close;
	void *user = c->user;

	if (c->closed)
		return;
	c->refs++;
	ots_conn_close(c);
	if (on_close)
		on_close(user, why);
	conn_unref(c);
}

static void write_done(GObject *src, GAsyncResult *res, gpointer p)
{
	struct ots_conn *c = p;
	GError *error = NULL;

	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(src), res, NULL, &error)) {
		conn_lost(c, error->message);
		g_error_free(error);
	} else {
		g_clear_pointer(&c->writing, g_bytes_unref);
		if (!c->closed && c->close_when_flushed && !c->out->len)
			conn_lost(c, c->flushed_why);
		else
			ots_conn_flush(c);
	}
	conn_unref(c);
}

void ots_conn_flush(struct ots_conn *c)
{
	if (c->closed || c->writing || !c->out->len)
		return;
	c->writing = g_byte_array_free_to_bytes(c->out);
	c->out = g_byte_array_new();
	c->refs++;
	g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(c->sc)),
					g_bytes_get_data(c->writing, NULL),
					g_bytes_get_size(c->writing), G_PRIORITY_DEFAULT, c->cancel,
					write_done, c);
}

void ots_conn_close_when_flushed(struct ots_conn *c, const char *why)
{
	if (c->closed || c->close_when_flushed)
		return;
	c->close_when_flushed = true;
	c->flushed_why = g_strdup(why);
	if (!c->writing && !c->out->len)
		conn_lost(c, why);
	else
		ots_conn_flush(c);
}

static void read_done(GObject *src, GAsyncResult *res, gpointer p)
{
	struct ots_conn *c = p;
	GError *error = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, &error);

	if (!c->closed && !c->close_when_flushed) {
		if (n <= 0) {
			conn_lost(c, n == 0 ? "end of stream" : error->message);
		} else {
			g_byte_array_append(c->in, c->rbuf, (guint)n);
			c->refs++;     /* on_data may close */
			c->on_data(c->user);
			if (!c->closed && !c->close_when_flushed)
				conn_read(c);
			conn_unref(c);
		}
	}
	g_clear_error(&error);
	conn_unref(c);
}

static void conn_read(struct ots_conn *c)
{
	c->refs++;
	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(c->sc)), c->rbuf,
				  sizeof(c->rbuf), G_PRIORITY_DEFAULT, c->cancel, read_done, c);
}

struct ots_conn *ots_conn_new(GSocketConnection *sc, void (*on_data)(void *user),
			      void (*on_close)(void *user, const char *why), void *user)
{
	struct ots_conn *c = g_new0(struct ots_conn, 1);

	c->sc = g_object_ref(sc);
	c->cancel = g_cancellable_new();
	c->in = g_byte_array_new();
	c->out = g_byte_array_new();
	c->on_data = on_data;
	c->on_close = on_close;
	c->user = user;
	c->refs = 1;      /* the owner's, given up by ots_conn_close() */
	conn_read(c);
	return c;
}
