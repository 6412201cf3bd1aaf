// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One framed byte stream to a peer (stream.h).
 *
 * Each connection is a refcounted struct conn: every async GIO call holds
 * a reference, and a closed connection is detached from its stream
 * (conn->s = NULL), so a late completion touches nothing else.
 */
#include <string.h>

#include "link/backoff.h"
#include "link/stream.h"

#define READ_CHUNK 4096

G_DEFINE_QUARK(sb-stream-error-quark, sb_stream_error)

struct conn {
	int refs;
	struct sb_stream *s;            /* NULL once closed */
	GCancellable *cancel;
	GSocketConnection *io;          /* NULL while connecting */
	GByteArray *in;
	GByteArray *out;                /* bytes waiting for the write in flight */
	GBytes *writing;
	uint8_t chunk[READ_CHUNK];
};

struct sb_stream {
	GSocketConnectable *peer;
	struct sb_stream_handlers h;
	void *user;
	struct conn *conn;              /* NULL: neither connected nor connecting */
	bool started;
	struct sb_backoff reconnect;    /* min_ms 0: none */
	guint expect_id;
	char *expect_what;
	unsigned expect_ms;
	GCancellable *alive;            /* cancelled by sb_stream_free */
};

static void stream_connect(struct sb_stream *s);

static struct conn *conn_ref(struct conn *c)
{
	c->refs++;
	return c;
}

static void conn_unref(struct conn *c)
{
	if (--c->refs > 0)
		return;
	if (c->io)
		g_object_unref(c->io);
	if (c->writing)
		g_bytes_unref(c->writing);
	g_byte_array_unref(c->in);
	g_byte_array_unref(c->out);
	g_object_unref(c->cancel);
	g_free(c);
}

static void expect_clear(struct sb_stream *s)
{
	if (s->expect_id)
		g_source_remove(s->expect_id);
	s->expect_id = 0;
}

static void conn_close(struct sb_stream *s)
{
	struct conn *c = s->conn;

	expect_clear(s);
	if (!c)
		return;
	s->conn = NULL;
	c->s = NULL;
	g_cancellable_cancel(c->cancel);
	if (c->io)
		g_io_stream_close(G_IO_STREAM(c->io), NULL, NULL);
	conn_unref(c);
}

static void reconnect(void *p)
{
	stream_connect(p);
}

static void schedule_reconnect(struct sb_stream *s)
{
	if (s->started && s->reconnect.min_ms && !s->conn)
		sb_backoff_schedule(&s->reconnect);
}

/* The connection failed or is gone: close it, tell the owner, connect again later if started. */
static void stream_lost(struct sb_stream *s, GError *err)
{
	GCancellable *alive = g_object_ref(s->alive);

	conn_close(s);
	if (s->h.lost)
		s->h.lost(s, err, s->user);
	if (!g_cancellable_is_cancelled(alive))
		schedule_reconnect(s);
	g_object_unref(alive);
	g_error_free(err);
}

/* ---- reading -------------------------------------------------------------------------------- */

static void conn_read(struct conn *c);

/* Hands every whole frame in c->in to the owner; false once c is closed. */
static bool conn_frames(struct conn *c)
{
	for (;;) {
		gssize n = c->in->len ? c->s->h.split(c->in->data, c->in->len) : 0;
		uint8_t *frame;

		if (n == 0)
			return true;
		if (n < 0 || (size_t)n > c->in->len) {
			stream_lost(c->s, g_error_new(SB_STREAM_ERROR, SB_STREAM_ERROR_FRAMING, "malformed frame"));
			return false;
		}
		frame = g_memdup2(c->in->data, (gsize)n);
		g_byte_array_remove_range(c->in, 0, (guint)n);
		c->s->h.frame(c->s, frame, (size_t)n, c->s->user);
		g_free(frame);
		if (!c->s)                       /* closed, dropped or freed by the handler */
			return false;
	}
}

static void read_cb(GObject *src, GAsyncResult *res, gpointer user)
{
	struct conn *c = user;
	GError *err = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, &err);

	if (!c->s) {
		g_clear_error(&err);
		conn_unref(c);
		return;
	}
	if (n < 0) {
		stream_lost(c->s, g_error_new(SB_STREAM_ERROR, SB_STREAM_ERROR_IO, "read failed: %s", err->message));
		g_error_free(err);
		conn_unref(c);
		return;
	}
	if (n == 0) {
		stream_lost(c->s, g_error_new(SB_STREAM_ERROR, SB_STREAM_ERROR_CLOSED, "closed by the peer"));
		conn_unref(c);
		return;
	}
	g_byte_array_append(c->in, c->chunk, (guint)n);
	if (!conn_frames(c)) {
		conn_unref(c);
		return;
	}
	conn_read(c);                            /* keeps this reference */
}

static void conn_read(struct conn *c)
{
	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(c->io)), c->chunk, sizeof(c->chunk),
				  G_PRIORITY_DEFAULT, c->cancel, read_cb, c);
}

/* ---- writing: one write in flight, the rest queued -------------------------------------------- */

static void conn_flush(struct conn *c);

static void write_cb(GObject *src, GAsyncResult *res, gpointer user)
{
	struct conn *c = user;
	GError *err = NULL;
	gboolean ok = g_output_stream_write_all_finish(G_OUTPUT_STREAM(src), res, NULL, &err);

	g_bytes_unref(c->writing);
	c->writing = NULL;
	if (c->s) {
		if (!ok)
			stream_lost(c->s, g_error_new(SB_STREAM_ERROR, SB_STREAM_ERROR_IO, "write failed: %s",
						      err->message));
		else
			conn_flush(c);
	}
	g_clear_error(&err);
	conn_unref(c);
}

static void conn_flush(struct conn *c)
{
	gsize n;

	if (c->writing || c->out->len == 0 || !c->io)
		return;
	n = c->out->len;
	c->writing = g_byte_array_free_to_bytes(c->out);
	c->out = g_byte_array_new();
	g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(c->io)),
					g_bytes_get_data(c->writing, NULL), n, G_PRIORITY_DEFAULT, c->cancel,
					write_cb, conn_ref(c));
}

bool sb_stream_write(struct sb_stream *s, const uint8_t *p, size_t len)
{
	if (!sb_stream_connected(s))
		return false;
	g_byte_array_append(s->conn->out, p, (guint)len);
	conn_flush(s->conn);
	return true;
}

/* ---- connecting ------------------------------------------------------------------------------ */

static void connect_cb(GObject *src, GAsyncResult *res, gpointer user)
{
	struct conn *c = user;
	GError *err = NULL;
	GSocketConnection *io = g_socket_client_connect_finish(G_SOCKET_CLIENT(src), res, &err);

	g_object_unref(src);
	if (!c->s) {
		g_clear_error(&err);
		if (io)
			g_object_unref(io);
		conn_unref(c);
		return;
	}
	if (!io) {
		stream_lost(c->s, g_error_new(SB_STREAM_ERROR, SB_STREAM_ERROR_CONNECT, "%s", err->message));
		g_error_free(err);
		conn_unref(c);
		return;
	}
	c->io = io;
	conn_read(conn_ref(c));
	if (c->s->h.connected)
		c->s->h.connected(c->s, c->s->user);
	conn_unref(c);
}

static void stream_connect(struct sb_stream *s)
{
	struct conn *c;

	if (s->conn)
		return;
	c = g_new0(struct conn, 1);
	c->refs = 1;                 /* the stream's */
	c->s = s;
	c->cancel = g_cancellable_new();
	c->in = g_byte_array_new();
	c->out = g_byte_array_new();
	s->conn = c;
	g_socket_client_connect_async(g_socket_client_new(), s->peer, c->cancel, connect_cb, conn_ref(c));
}

/* ---- bounded waits ---------------------------------------------------------------------------- */

static gboolean expect_cb(gpointer p)
{
	struct sb_stream *s = p;

	s->expect_id = 0;
	stream_lost(s, g_error_new(SB_STREAM_ERROR, SB_STREAM_ERROR_TIMEOUT, "no %s within %u ms", s->expect_what,
				   s->expect_ms));
	return G_SOURCE_REMOVE;
}

void sb_stream_expect(struct sb_stream *s, unsigned ms, const char *what)
{
	expect_clear(s);
	if (!s->conn)
		return;
	g_free(s->expect_what);
	s->expect_what = g_strdup(what);
	s->expect_ms = ms;
	s->expect_id = g_timeout_add(ms, expect_cb, s);
}

void sb_stream_expect_done(struct sb_stream *s)
{
	expect_clear(s);
}

/* ---- the stream ------------------------------------------------------------------------------- */

struct sb_stream *sb_stream_new(GSocketConnectable *peer, const struct sb_stream_handlers *h, void *user)
{
	struct sb_stream *s = g_new0(struct sb_stream, 1);

	s->peer = g_object_ref(peer);
	s->h = *h;
	s->user = user;
	s->alive = g_cancellable_new();
	return s;
}

void sb_stream_free(struct sb_stream *s)
{
	if (!s)
		return;
	g_cancellable_cancel(s->alive);
	sb_stream_stop(s);
	g_object_unref(s->alive);
	g_object_unref(s->peer);
	g_free(s->expect_what);
	g_free(s);
}

void sb_stream_start(struct sb_stream *s, unsigned min_ms, unsigned max_ms)
{
	s->started = true;
	sb_backoff_init(&s->reconnect, min_ms, max_ms, reconnect, s);
	stream_connect(s);
}

void sb_stream_stop(struct sb_stream *s)
{
	s->started = false;
	sb_backoff_cancel(&s->reconnect);
	conn_close(s);
}

void sb_stream_drop(struct sb_stream *s)
{
	conn_close(s);
	schedule_reconnect(s);
}

void sb_stream_backoff_reset(struct sb_stream *s)
{
	sb_backoff_reset(&s->reconnect);
}

bool sb_stream_connected(const struct sb_stream *s)
{
	return s->conn && s->conn->io;
}

bool sb_stream_active(const struct sb_stream *s)
{
	return s->conn != NULL;
}
