/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A stream link (unix or TCP): connect or take an accepted connection, a
 * read loop handing the bytes to the owner, queued writes.  The card link,
 * the radio and the proxy's clients are each one; their framing and their
 * reconnect policy are theirs.  Every pending operation holds a reference,
 * so a link closed or freed from inside a callback is never touched again.
 */
#include "modem-emu.h"

struct me_link {
	int refs;
	const struct me_link_ops *ops;
	void *user;
	bool dead;                  /* freed by its owner: no more callbacks */
	bool up;
	GCancellable *cancel;       /* this connection's */
	GSocketConnection *conn;
	struct me_writer *writer;
	GByteArray *in;
	uint8_t rbuf[4096];
};

static void link_unref(struct me_link *l)
{
	if (--l->refs > 0)
		return;
	g_byte_array_unref(l->in);
	g_clear_object(&l->cancel);
	g_free(l);
}

static void shut(struct me_link *l)
{
	l->up = false;
	if (l->cancel)
		g_cancellable_cancel(l->cancel);
	me_writer_free(l->writer);
	l->writer = NULL;
	if (l->conn) {
		g_io_stream_close(G_IO_STREAM(l->conn), NULL, NULL);
		g_clear_object(&l->conn);
	}
	g_byte_array_set_size(l->in, 0);
}

/* The connection failed: shut, then the owner hears it (once). */
static void fail(struct me_link *l, const char *why)
{
	bool was = l->up || l->conn;

	shut(l);
	if (!l->dead && was && l->ops->down)
		l->ops->down(l->user, why);
}

static void read_more(struct me_link *l);

static void read_done(GObject *src, GAsyncResult *res, gpointer p)
{
	struct me_link *l = p;
	GError *error = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, &error);
	GCancellable *mine = l->cancel;

	if (l->dead || g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
	    !mine || g_cancellable_is_cancelled(mine)) {
		/* an older connection's read, or the link is gone */
		g_clear_error(&error);
		link_unref(l);
		return;
	}
	if (n <= 0) {
		fail(l, n == 0 ? "end of stream" : error->message);
		g_clear_error(&error);
		link_unref(l);
		return;
	}
	g_byte_array_append(l->in, l->rbuf, (guint)n);
	l->ops->input(l->user, l->in);
	if (!l->dead && l->up && l->cancel == mine)
		read_more(l);
	link_unref(l);
}

static void read_more(struct me_link *l)
{
	l->refs++;
	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(l->conn)), l->rbuf, sizeof(l->rbuf),
				  G_PRIORITY_DEFAULT, l->cancel, read_done, l);
}

static void writer_error(void *user, const GError *error)
{
	struct me_link *l = user;

	l->refs++;
	fail(l, error->message);
	link_unref(l);
}

void me_link_attach(struct me_link *l, GSocketConnection *conn)
{
	shut(l);
	g_clear_object(&l->cancel);
	l->cancel = g_cancellable_new();
	l->conn = g_object_ref(conn);
	l->writer = me_writer_new(g_io_stream_get_output_stream(G_IO_STREAM(conn)), writer_error, l);
	l->up = true;
	read_more(l);
}

static void connected(GObject *src, GAsyncResult *res, gpointer p)
{
	struct me_link *l = p;
	GError *error = NULL;
	GSocketConnection *conn = g_socket_client_connect_finish(G_SOCKET_CLIENT(src), res, &error);
	bool cancelled = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

	g_object_unref(src);
	if (l->dead || cancelled) {
		g_clear_error(&error);
		g_clear_object(&conn);
		link_unref(l);
		return;
	}
	if (!conn) {
		if (l->ops->down)
			l->ops->down(l->user, error->message);
		g_error_free(error);
		link_unref(l);
		return;
	}
	me_link_attach(l, conn);
	g_object_unref(conn);
	if (l->ops->up)
		l->ops->up(l->user);
	link_unref(l);
}

void me_link_connect(struct me_link *l, GSocketConnectable *addr)
{
	GSocketClient *client = g_socket_client_new();

	shut(l);
	g_clear_object(&l->cancel);
	l->cancel = g_cancellable_new();
	l->refs++;
	g_socket_client_connect_async(client, addr, l->cancel, connected, l);
}

void me_link_send(struct me_link *l, const void *p, size_t len)
{
	if (l->up && l->writer)
		me_writer_send(l->writer, p, len);
}

bool me_link_is_up(const struct me_link *l)
{
	return l->up;
}

void me_link_close(struct me_link *l)
{
	shut(l);
}

struct me_link *me_link_new(const struct me_link_ops *ops, void *user)
{
	struct me_link *l = g_new0(struct me_link, 1);

	l->refs = 1;
	l->ops = ops;
	l->user = user;
	l->in = g_byte_array_new();
	return l;
}

void me_link_free(struct me_link *l)
{
	if (!l)
		return;
	l->dead = true;
	shut(l);
	link_unref(l);
}
