// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plugin's framed stream (plugin/link/stream.c) against a peer on a unix
 * socket run by the test: frames cut by the caller's splitter, writes in
 * order with one in flight, the peer closing (lost, then connected again by
 * itself), a bounded wait running out, a malformed frame, a handler freeing
 * the stream.  Every wait waits for a state.
 */
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>

#include "link/stream.h"

/* ---- the test's framing: one length byte, then the payload; length FF is malformed ---- */

static gssize split(const uint8_t *buf, size_t len)
{
	if (buf[0] == 0xFF)
		return -1;
	return len >= (size_t)buf[0] + 1 ? buf[0] + 1 : 0;
}

/* ---- the peer: a listening unix socket, one accepted connection at a time ---- */

struct peer {
	char *dir, *path;
	GSocketListener *listener;
	GSocketConnection *conn;        /* the last accepted */
	unsigned accepted;
	GByteArray *got;                /* everything read from the stream */
	uint8_t buf[256];
};

static void peer_read(struct peer *p);

static void peer_read_cb(GObject *src, GAsyncResult *res, gpointer user)
{
	struct peer *p = user;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, NULL);

	if (n <= 0)
		return;
	g_byte_array_append(p->got, p->buf, (guint)n);
	peer_read(p);
}

static void peer_read(struct peer *p)
{
	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(p->conn)), p->buf, sizeof(p->buf),
				  G_PRIORITY_DEFAULT, NULL, peer_read_cb, p);
}

static void peer_accept(struct peer *p);

static void accept_cb(GObject *src, GAsyncResult *res, gpointer user)
{
	struct peer *p = user;
	GSocketConnection *c = g_socket_listener_accept_finish(G_SOCKET_LISTENER(src), res, NULL, NULL);

	if (!c)
		return;
	if (p->conn)
		g_object_unref(p->conn);
	p->conn = c;
	p->accepted++;
	peer_read(p);
	peer_accept(p);
}

static void peer_accept(struct peer *p)
{
	g_socket_listener_accept_async(p->listener, NULL, accept_cb, p);
}

static void peer_init(struct peer *p)
{
	GSocketAddress *addr;

	memset(p, 0, sizeof(*p));
	p->dir = g_dir_make_tmp("stkbridge-stream-XXXXXX", NULL);
	p->path = g_build_filename(p->dir, "peer.sock", NULL);
	p->listener = g_socket_listener_new();
	addr = g_unix_socket_address_new(p->path);
	g_assert_true(g_socket_listener_add_address(p->listener, addr, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
						    NULL, NULL, NULL));
	g_object_unref(addr);
	p->got = g_byte_array_new();
	peer_accept(p);
}

static void peer_send(struct peer *p, const char *bytes, size_t n)
{
	g_assert_true(g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(p->conn)), bytes, n, NULL,
						NULL, NULL));
}

static void peer_hang_up(struct peer *p)
{
	g_io_stream_close(G_IO_STREAM(p->conn), NULL, NULL);
}

static void peer_clear(struct peer *p)
{
	g_socket_listener_close(p->listener);
	g_object_unref(p->listener);
	if (p->conn)
		g_object_unref(p->conn);
	g_unlink(p->path);
	g_rmdir(p->dir);
	g_free(p->path);
	g_free(p->dir);
	g_byte_array_unref(p->got);
}

/* ---- the stream's owner ---- */

struct owner {
	struct sb_stream *s;
	unsigned connected, lost;
	int lost_code;
	char *lost_message;
	GPtrArray *frames;              /* payloads, as strings */
	bool free_on_frame;
};

static void on_frame(struct sb_stream *s, const uint8_t *frame, size_t len, void *user)
{
	struct owner *o = user;

	g_assert_cmpuint(len, ==, (size_t)frame[0] + 1);
	g_ptr_array_add(o->frames, g_strndup((const char *)frame + 1, len - 1));
	if (o->free_on_frame) {
		sb_stream_free(s);
		o->s = NULL;
	}
}

static void on_connected(struct sb_stream *s, void *user)
{
	struct owner *o = user;

	o->connected++;
}

static void on_lost(struct sb_stream *s, const GError *err, void *user)
{
	struct owner *o = user;

	g_assert_true(err->domain == SB_STREAM_ERROR);
	o->lost++;
	o->lost_code = err->code;
	g_free(o->lost_message);
	o->lost_message = g_strdup(err->message);
}

static const struct sb_stream_handlers handlers = {
	.split = split,
	.frame = on_frame,
	.connected = on_connected,
	.lost = on_lost,
};

static void owner_init(struct owner *o, struct peer *p)
{
	GSocketAddress *addr = g_unix_socket_address_new(p->path);

	memset(o, 0, sizeof(*o));
	o->frames = g_ptr_array_new_with_free_func(g_free);
	o->s = sb_stream_new(G_SOCKET_CONNECTABLE(addr), &handlers, o);
	g_object_unref(addr);
}

static void owner_clear(struct owner *o)
{
	sb_stream_free(o->s);
	g_ptr_array_unref(o->frames);
	g_free(o->lost_message);
}

#define WAIT_UNTIL(cond) \
	do { \
		while (!(cond)) \
			g_main_context_iteration(NULL, TRUE); \
	} while (0)

/* A peer and a stream started (with backoff min_ms..max_ms) and connected to it. */
static void connect_pair(struct peer *p, struct owner *o, unsigned min_ms, unsigned max_ms)
{
	peer_init(p);
	owner_init(o, p);
	sb_stream_start(o->s, min_ms, max_ms);
	WAIT_UNTIL(o->connected == 1 && p->accepted == 1);
}

/* ---- tests ---- */

static void test_frames_and_writes(void)
{
	struct peer p;
	struct owner o;

	peer_init(&p);
	owner_init(&o, &p);
	g_assert_false(sb_stream_write(o.s, (const uint8_t *)"x", 1));     /* not connected: dropped */
	sb_stream_start(o.s, 0, 0);
	g_assert_true(sb_stream_active(o.s));
	WAIT_UNTIL(o.connected == 1 && p.accepted == 1);
	g_assert_true(sb_stream_connected(o.s));
	/* three writes queued at once: one in flight, in order */
	g_assert_true(sb_stream_write(o.s, (const uint8_t *)"\002ab", 3));
	g_assert_true(sb_stream_write(o.s, (const uint8_t *)"\001c", 2));
	g_assert_true(sb_stream_write(o.s, (const uint8_t *)"\000", 1));
	WAIT_UNTIL(p.got->len == 6);
	g_assert_cmpmem(p.got->data, p.got->len, "\002ab\001c\000", 6);
	/* two frames and half a third in one read, the rest later */
	peer_send(&p, "\003one\003two\005th", 11);
	WAIT_UNTIL(o.frames->len == 2);
	peer_send(&p, "ree", 3);
	WAIT_UNTIL(o.frames->len == 3);
	g_assert_cmpstr(g_ptr_array_index(o.frames, 0), ==, "one");
	g_assert_cmpstr(g_ptr_array_index(o.frames, 1), ==, "two");
	g_assert_cmpstr(g_ptr_array_index(o.frames, 2), ==, "three");
	g_assert_cmpuint(o.lost, ==, 0);
	owner_clear(&o);
	peer_clear(&p);
}

/* The peer hangs up: lost (closed), then connected again by itself (backoff started at 10 ms). */
static void test_reconnect(void)
{
	struct peer p;
	struct owner o;

	connect_pair(&p, &o, 10, 40);
	peer_hang_up(&p);
	WAIT_UNTIL(o.lost == 1);
	g_assert_cmpint(o.lost_code, ==, SB_STREAM_ERROR_CLOSED);
	WAIT_UNTIL(o.connected == 2 && p.accepted == 2);
	g_assert_true(sb_stream_connected(o.s));
	/* dropped by its owner: no lost handler, connected again */
	sb_stream_drop(o.s);
	g_assert_false(sb_stream_active(o.s));
	WAIT_UNTIL(o.connected == 3);
	g_assert_cmpuint(o.lost, ==, 1);
	/* stopped: closed for good */
	sb_stream_stop(o.s);
	g_assert_false(sb_stream_active(o.s));
	owner_clear(&o);
	peer_clear(&p);
}

/* No peer: the connection fails (lost, CONNECT); without a backoff nothing more happens. */
static void test_connect_fails(void)
{
	struct peer p;
	struct owner o;

	peer_init(&p);
	owner_init(&o, &p);
	g_socket_listener_close(p.listener);
	g_unlink(p.path);
	sb_stream_start(o.s, 0, 0);
	WAIT_UNTIL(o.lost == 1);
	g_assert_cmpint(o.lost_code, ==, SB_STREAM_ERROR_CONNECT);
	g_assert_false(sb_stream_active(o.s));
	g_assert_cmpuint(o.connected, ==, 0);
	owner_clear(&o);
	peer_clear(&p);
}

/* A bounded wait runs out: lost (timeout), named; one answered in time does not. */
static void test_expect(void)
{
	struct peer p;
	struct owner o;

	connect_pair(&p, &o, 0, 0);
	sb_stream_expect(o.s, 5000, "answer");
	peer_send(&p, "\001a", 2);
	WAIT_UNTIL(o.frames->len == 1);
	sb_stream_expect_done(o.s);
	sb_stream_expect(o.s, 20, "HELLO_ACK");
	WAIT_UNTIL(o.lost == 1);
	g_assert_cmpint(o.lost_code, ==, SB_STREAM_ERROR_TIMEOUT);
	g_assert_cmpstr(o.lost_message, ==, "no HELLO_ACK within 20 ms");
	g_assert_false(sb_stream_active(o.s));
	owner_clear(&o);
	peer_clear(&p);
}

/* A malformed frame drops the connection; a handler may free the stream from inside a frame. */
static void test_malformed_and_free(void)
{
	struct peer p;
	struct owner o;

	connect_pair(&p, &o, 0, 0);
	peer_send(&p, "\001a\377zz", 5);
	WAIT_UNTIL(o.lost == 1);
	g_assert_cmpint(o.lost_code, ==, SB_STREAM_ERROR_FRAMING);
	g_assert_cmpuint(o.frames->len, ==, 1);          /* the good frame before it */

	sb_stream_start(o.s, 0, 0);
	WAIT_UNTIL(o.connected == 2 && p.accepted == 2);
	o.free_on_frame = true;
	peer_send(&p, "\001b\001c", 4);                   /* the second frame never reaches a freed stream */
	WAIT_UNTIL(o.s == NULL);
	g_assert_cmpuint(o.frames->len, ==, 2);
	g_ptr_array_unref(o.frames);
	g_free(o.lost_message);
	peer_clear(&p);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/plugin-stream/frames-and-writes", test_frames_and_writes);
	g_test_add_func("/plugin-stream/reconnect", test_reconnect);
	g_test_add_func("/plugin-stream/connect-fails", test_connect_fails);
	g_test_add_func("/plugin-stream/expect", test_expect);
	g_test_add_func("/plugin-stream/malformed-and-free", test_malformed_and_free);
	return g_test_run();
}
