/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * uicc-emu transports with a stand-in card: frame codec, slot semantics,
 * run-script, unix socket server (clients in sequence), vpcd client
 * (reconnection).  The real card is exercised by the integration tests.
 */
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "test-support.h"
#include "simota/vpcd.h"
#include "transport/run-script.h"
#include "transport/slot.h"
#include "transport/unix-server.h"
#include "transport/vpcd-client.h"

/* ---- a stand-in card: echoes the APDU's INS and a counter ---- */

struct fake_card {
	unsigned resets, power_offs, apdus;
	bool on;
};

static const uint8_t fake_atr[] = { 0x3b, 0x9f, 0x96, 0x80, 0x1f, 0xc7 };

static size_t fake_reset(void *p, uint8_t *atr, size_t cap)
{
	struct fake_card *c = p;

	c->resets++;
	c->on = true;
	g_assert_cmpuint(cap, >=, sizeof(fake_atr));
	memcpy(atr, fake_atr, sizeof(fake_atr));
	return sizeof(fake_atr);
}

static void fake_power_off(void *p)
{
	struct fake_card *c = p;

	c->power_offs++;
	c->on = false;
}

/* INS b0: returns Le bytes of 0xaa + 9000; anything else: 6d00; length < 4: 6700 (the slot refuses < 5 first). */
static size_t fake_transmit(void *p, const uint8_t *capdu, size_t len, uint8_t *rapdu, size_t cap)
{
	struct fake_card *c = p;
	size_t n = 0;

	g_assert_true(c->on);
	c->apdus++;
	if (len < 4) {
		rapdu[0] = 0x67;
		rapdu[1] = 0x00;
		return 2;
	}
	if (capdu[1] == 0xb0) {
		n = len > 4 ? capdu[4] : 0;
		memset(rapdu, 0xaa, n);
		rapdu[n] = 0x90;
		rapdu[n + 1] = 0x00;
		return n + 2;
	}
	rapdu[0] = 0x6d;
	rapdu[1] = 0x00;
	return 2;
}

static struct uicc_slot_card fake_ops(struct fake_card *c)
{
	return (struct uicc_slot_card){ c, fake_reset, fake_power_off, fake_transmit };
}

/* ---- frame codec ---- */

static void test_frame_parse(void)
{
	static const uint8_t ctl[] = { 0x00, 0x01, 0x04 };
	static const uint8_t apdu[] = { 0x00, 0x05, 0x00, 0xb0, 0x00, 0x00, 0x09, 0xff };
	static const uint8_t empty[] = { 0x00, 0x00 };
	static const uint8_t unknown[] = { 0x00, 0x01, 0x03 };
	static const uint8_t big[] = { 0xff, 0xff, 0x00 };
	struct simota_vpcd_frame f;

	for (size_t i = 0; i < sizeof(ctl); i++)
		g_assert_cmpint(simota_vpcd_frame_parse(ctl, i).kind, ==, SIMOTA_VPCD_INCOMPLETE);
	f = simota_vpcd_frame_parse(ctl, sizeof(ctl));
	g_assert_cmpint(f.kind, ==, SIMOTA_VPCD_CONTROL);
	g_assert_cmpint(f.ctrl, ==, SIMOTA_VPCD_CTRL_GET_ATR);
	g_assert_cmpuint(f.consumed, ==, 3);

	for (uint8_t b = 0; b < 8; b++) {
		uint8_t m[] = { 0x00, 0x01, b };

		f = simota_vpcd_frame_parse(m, sizeof(m));
		g_assert_cmpint(f.kind, ==, (b == 0 || b == 1 || b == 2 || b == 4) ? SIMOTA_VPCD_CONTROL
										: SIMOTA_VPCD_INVALID);
	}
	g_assert_cmpint(simota_vpcd_frame_parse(apdu, 6).kind, ==, SIMOTA_VPCD_INCOMPLETE);
	f = simota_vpcd_frame_parse(apdu, sizeof(apdu));    /* one trailing byte of the next frame */
	g_assert_cmpint(f.kind, ==, SIMOTA_VPCD_APDU);
	g_assert_cmpuint(f.len, ==, 5);
	g_assert_true(f.payload == apdu + 2);
	g_assert_cmpuint(f.consumed, ==, 7);

	f = simota_vpcd_frame_parse(empty, sizeof(empty));
	g_assert_cmpint(f.kind, ==, SIMOTA_VPCD_INVALID);
	g_assert_cmpuint(f.consumed, ==, 2);
	f = simota_vpcd_frame_parse(unknown, sizeof(unknown));
	g_assert_cmpint(f.kind, ==, SIMOTA_VPCD_INVALID);
	g_assert_cmpuint(f.consumed, ==, 3);
	g_assert_cmpint(simota_vpcd_frame_parse(big, sizeof(big)).kind, ==, SIMOTA_VPCD_INCOMPLETE);
}

static void test_frame_encode(void)
{
	static const uint8_t sw[] = { 0x90, 0x00 };
	uint8_t out[8], *big = g_malloc0(0x10000), *dst = g_malloc0(0x10002);
	size_t n;

	n = simota_vpcd_frame_encode(sw, sizeof(sw), out, sizeof(out));
	tv_assert_hex(out, n, "00029000");
	g_assert_cmpuint(simota_vpcd_frame_encode(sw, sizeof(sw), out, 3), ==, 0);
	g_assert_cmpuint(simota_vpcd_frame_encode(big, 0xffff, dst, 0x10002), ==, 0x10001);
	g_assert_cmphex(dst[0], ==, 0xff);
	g_assert_cmphex(dst[1], ==, 0xff);
	g_assert_cmpuint(simota_vpcd_frame_encode(big, 0x10000, dst, 0x10002), ==, 0);
	g_assert_false(simota_vpcd_frame_header(0x10000, out));
	g_free(dst);
	g_free(big);
}

/* ---- slot ---- */

static void handle(struct uicc_slot *slot, const char *frame_hex, const char *reply_hex, bool ok)
{
	size_t n;
	uint8_t *in = tv_hex(frame_hex, &n);
	struct simota_vpcd_frame f = simota_vpcd_frame_parse(in, n);
	GByteArray *out = g_byte_array_new();

	g_assert_cmpuint(f.consumed, ==, n);
	g_assert_cmpint(uicc_slot_handle_frame(slot, &f, out), ==, ok);
	tv_assert_hex(out->data, out->len, reply_hex);
	g_byte_array_unref(out);
	g_free(in);
}

static void test_slot(void)
{
	struct fake_card card = { 0 };
	struct uicc_slot_card ops = fake_ops(&card);
	struct uicc_slot *slot = uicc_slot_new("slotX", &ops);

	/* the ATR is learnt at start, the card left off */
	g_assert_cmpuint(card.resets, ==, 1);
	g_assert_false(card.on);
	g_assert_false(uicc_slot_powered(slot));
	g_assert_cmpstr(uicc_slot_name(slot), ==, "slotX");

	handle(slot, "000104", "00063b9f96801fc7", true);   /* GET ATR does not power on */
	g_assert_false(card.on);
	handle(slot, "000101", "", true);                   /* power on */
	g_assert_true(card.on);
	g_assert_cmpuint(card.resets, ==, 2);
	handle(slot, "000101", "", true);                   /* already on: no reset */
	g_assert_cmpuint(card.resets, ==, 2);
	handle(slot, "000102", "", true);                   /* reset */
	g_assert_cmpuint(card.resets, ==, 3);
	handle(slot, "000500b0000002", "0004aaaa9000", true);
	handle(slot, "000500a4000000", "00026d00", true);
	g_assert_cmpuint(card.apdus, ==, 2);
	/* T=0: a case-1 command without P3 (and anything shorter) is refused before the card */
	handle(slot, "000400a40000", "00026700", true);
	handle(slot, "00020000", "00026700", true);
	g_assert_cmpuint(card.apdus, ==, 2);
	handle(slot, "000100", "", true);                   /* power off */
	g_assert_false(card.on);
	handle(slot, "000500b0000001", "0003aa9000", true); /* an APDU powers on first */
	g_assert_true(card.on);
	g_assert_cmpuint(card.resets, ==, 4);
	handle(slot, "000103", "", false);
	handle(slot, "0000", "", false);

	uicc_slot_reader_attach(slot);
	uicc_slot_reader_attach(slot);
	uicc_slot_reader_detach(slot);
	g_assert_true(card.on);
	uicc_slot_reader_detach(slot);                      /* the last reader left */
	g_assert_false(card.on);
	uicc_slot_free(slot);
}

/* ---- run-script ---- */

static int script(const char *text, char **out, char **err)
{
	struct fake_card card = { 0 };
	struct uicc_slot_card ops = fake_ops(&card);
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	FILE *o = open_memstream(&obuf, &olen), *e = open_memstream(&ebuf, &elen);
	int ret = uicc_run_script(&ops, "t.script", text, o, e);

	fclose(o);
	fclose(e);
	g_assert_false(card.on);    /* powered off at the end */
	*out = obuf;
	*err = ebuf;
	return ret;
}

static void test_run_script(void)
{
	char *out, *err;

	g_assert_cmpint(script("# read two bytes\n"
			       "00b0000002 9000\n"
			       "\n"
			       "  00B0000001   90XX   # wildcard\n"
			       "reset\n"
			       "00a4000c023f00 6d00\n"
			       "00a4000c023f00\n"
			       "00b0000000 9000\n", &out, &err), ==, 0);
	g_assert_cmpstr(out, ==, "aaaa 9000\naa 9000\n6d00\n6d00\n9000\n");
	g_assert_cmpstr(err, ==, "");
	free(out);
	free(err);

	g_assert_cmpint(script("00b0000001 9000\n00a40000 9000\n00b0000001 9000\n", &out, &err), ==, 1);
	g_assert_cmpstr(out, ==, "aa 9000\n6d00\n");    /* stops at the first mismatch */
	g_assert_cmpstr(err, ==, "t.script:2: expected SW 9000, got 6d00\n");
	free(out);
	free(err);

	static const char *const bad[] = {
		"00b00000 900\n", "00b0000 9000\n", "zz 9000\n", "00b00000 9000 extra\n", "00 b0 00 00\n",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_cmpint(script(bad[i], &out, &err), ==, 2);
		g_assert_cmpstr(out, ==, "");
		g_assert_true(g_str_has_prefix(err, "t.script:1: expected"));
		free(out);
		free(err);
	}
}

/* ---- unix socket server ---- */

struct client_job {
	char *path;
	GMainLoop *loop;
	GAsyncQueue *done;
};

static GSocketConnection *unix_connect(const char *path)
{
	GSocketClient *client = g_socket_client_new();
	GSocketAddress *addr = g_unix_socket_address_new(path);
	GError *err = NULL;
	GSocketConnection *sc = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL, &err);

	g_assert_no_error(err);
	g_object_unref(addr);
	g_object_unref(client);
	return sc;
}

/* Sends a frame (hex, header included), reads one reply frame, returns its payload as hex. */
static char *exchange(GSocketConnection *sc, const char *frame_hex, bool reply)
{
	GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(sc));
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(sc));
	size_t n;
	uint8_t *req = tv_hex(frame_hex, &n), hdr[2], payload[512];
	GError *err = NULL;
	gsize got;

	g_assert_true(g_output_stream_write_all(out, req, n, NULL, NULL, &err));
	g_assert_no_error(err);
	g_free(req);
	if (!reply)
		return NULL;
	g_assert_true(g_input_stream_read_all(in, hdr, 2, &got, NULL, &err));
	g_assert_cmpuint(got, ==, 2);
	n = (size_t)hdr[0] << 8 | hdr[1];
	g_assert_cmpuint(n, <=, sizeof(payload));
	g_assert_true(g_input_stream_read_all(in, payload, n, &got, NULL, &err));
	g_assert_cmpuint(got, ==, n);
	return tv_to_hex(payload, n);
}

static void expect_exchange(GSocketConnection *sc, const char *frame_hex, const char *reply_hex)
{
	char *r = exchange(sc, frame_hex, true);

	g_assert_cmpstr(r, ==, reply_hex);
	g_free(r);
}

/* Reads until EOF; true if the peer closed without sending anything. */
static bool closed_by_peer(GSocketConnection *sc)
{
	uint8_t b;

	return g_input_stream_read(g_io_stream_get_input_stream(G_IO_STREAM(sc)), &b, 1, NULL, NULL) == 0;
}

static gpointer unix_clients(gpointer data)
{
	struct client_job *job = data;
	GSocketConnection *a = unix_connect(job->path), *b;
	GSocket *bsock;
	char *r;

	expect_exchange(a, "000104", "3b9f96801fc7");
	exchange(a, "000101", false);
	expect_exchange(a, "000500b0000002", "aaaa9000");
	/* several frames in one write are answered in order */
	r = exchange(a, "000104000500b0000001", true);
	g_assert_cmpstr(r, ==, "3b9f96801fc7");
	g_free(r);
	r = exchange(a, "", true);
	g_assert_cmpstr(r, ==, "aa9000");
	g_free(r);

	/* a second client waits while the first is served */
	b = unix_connect(job->path);
	exchange(b, "000104", false);
	bsock = g_socket_connection_get_socket(b);
	g_assert_false(g_socket_condition_timed_wait(bsock, G_IO_IN, 200 * 1000, NULL, NULL));
	expect_exchange(a, "000500a4000000", "6d00");
	g_io_stream_close(G_IO_STREAM(a), NULL, NULL);
	g_object_unref(a);
	/* now b gets its answer */
	r = exchange(b, "", true);
	g_assert_cmpstr(r, ==, "3b9f96801fc7");
	g_free(r);
	/* protocol error: unknown control byte drops the link */
	exchange(b, "000103", false);
	g_assert_true(closed_by_peer(b));
	g_object_unref(b);

	/* and a third client is served after that */
	a = unix_connect(job->path);
	expect_exchange(a, "000500b0000001", "aa9000");
	g_object_unref(a);

	g_async_queue_push(job->done, GINT_TO_POINTER(1));
	g_main_loop_quit(job->loop);
	return NULL;
}

static void test_unix_server(void)
{
	char *dir = g_dir_make_tmp("test-uicc-transport-XXXXXX", NULL);
	char *path = g_build_filename(dir, "card.sock", NULL);
	struct fake_card card = { 0 };
	struct uicc_slot_card ops = fake_ops(&card);
	struct uicc_slot *slot = uicc_slot_new("slot0", &ops);
	struct client_job job = { path, g_main_loop_new(NULL, FALSE), g_async_queue_new() };
	struct uicc_unix_server *srv, *again;
	GError *err = NULL;
	GThread *th;
	struct stat sb;

	/* a stale socket file is replaced; a regular file is not */
	g_assert_true(g_file_set_contents(path, "x", -1, NULL));
	g_assert_null(uicc_unix_server_new(slot, path, &err));
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_EXISTS);
	g_clear_error(&err);
	g_unlink(path);

	srv = uicc_unix_server_new(slot, path, &err);
	g_assert_no_error(err);
	g_assert_cmpint(stat(path, &sb), ==, 0);
	g_assert_true(S_ISSOCK(sb.st_mode));
	g_assert_cmpint(sb.st_mode & 0777, ==, 0600);
	/* a live socket is not taken over */
	again = uicc_unix_server_new(slot, path, &err);
	g_assert_null(again);
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
	g_clear_error(&err);

	th = g_thread_new("client", unix_clients, &job);
	g_main_loop_run(job.loop);
	g_thread_join(th);
	g_assert_nonnull(g_async_queue_try_pop(job.done));
	/* let the server see the last close */
	for (int i = 0; i < 50 && uicc_slot_powered(slot); i++) {
		g_main_context_iteration(NULL, FALSE);
		g_usleep(2000);
	}
	g_assert_false(uicc_slot_powered(slot));

	uicc_unix_server_free(srv);
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	/* a socket left by a dead server (no listener) is replaced */
	{
		GSocket *s = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, NULL);
		GSocketAddress *addr = g_unix_socket_address_new(path);

		g_assert_true(g_socket_bind(s, addr, FALSE, NULL));
		g_object_unref(s);    /* closed, file stays */
		g_object_unref(addr);
		g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
		srv = uicc_unix_server_new(slot, path, &err);
		g_assert_no_error(err);
		uicc_unix_server_free(srv);
	}
	uicc_slot_free(slot);
	g_main_loop_unref(job.loop);
	g_async_queue_unref(job.done);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
}

/* ---- vpcd client against a stand-in vpcd (blocking, in a thread) ---- */

struct fake_vpcd {
	GMainLoop *loop;
	guint16 port;
	int accepted;
	char *atr_hex[2];
	char *apdu_hex[2];
};

static guint16 free_port(void)
{
	GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GSocketAddress *addr = g_inet_socket_address_new(lo, 0), *bound;
	guint16 port;

	g_assert_true(g_socket_bind(s, addr, TRUE, NULL));
	bound = g_socket_get_local_address(s, NULL);
	port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	g_object_unref(bound);
	g_object_unref(addr);
	g_object_unref(lo);
	g_object_unref(s);
	return port;
}

static gpointer fake_vpcd_thread(gpointer data)
{
	struct fake_vpcd *v = data;
	GSocketListener *listener;
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GSocketAddress *addr = g_inet_socket_address_new(lo, v->port);
	GError *err = NULL;

	/* not there at first: the card must retry */
	g_usleep(700 * 1000);
	listener = g_socket_listener_new();
	g_socket_listener_add_address(listener, addr, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
				      NULL, &err);
	g_assert_no_error(err);
	for (int i = 0; i < 2; i++) {
		GSocketConnection *sc = g_socket_listener_accept(listener, NULL, NULL, &err);

		g_assert_no_error(err);
		v->accepted++;
		/* what vpcd does first: power on, then the ATR (vpcd.c vicc_poweron, vicc_getatr) */
		exchange(sc, "000101", false);
		v->atr_hex[i] = exchange(sc, "000104", true);
		v->apdu_hex[i] = exchange(sc, "000500b0000003", true);
		/* pcscd gone: the link drops, the card must come back */
		g_io_stream_close(G_IO_STREAM(sc), NULL, NULL);
		g_object_unref(sc);
	}
	g_socket_listener_close(listener);
	g_object_unref(listener);
	g_object_unref(addr);
	g_object_unref(lo);
	g_main_loop_quit(v->loop);
	return NULL;
}

static gboolean timeout_fail(gpointer data)
{
	g_error("vpcd client did not connect in time");
	return G_SOURCE_REMOVE;
}

static void test_vpcd_client(void)
{
	struct fake_card card = { 0 };
	struct uicc_slot_card ops = fake_ops(&card);
	struct uicc_slot *slot = uicc_slot_new("slot0", &ops);
	struct fake_vpcd v = { .loop = g_main_loop_new(NULL, FALSE) };
	struct uicc_vpcd_client *vc;
	char *target;
	guint timer;
	GThread *th;

	v.port = free_port();
	target = g_strdup_printf("127.0.0.1:%u", v.port);
	vc = uicc_vpcd_client_new(slot, target);
	th = g_thread_new("vpcd", fake_vpcd_thread, &v);
	timer = g_timeout_add_seconds(20, timeout_fail, NULL);
	g_main_loop_run(v.loop);
	g_thread_join(th);
	g_source_remove(timer);
	g_assert_cmpint(v.accepted, ==, 2);
	for (int i = 0; i < 2; i++) {
		g_assert_cmpstr(v.atr_hex[i], ==, "3b9f96801fc7");
		g_assert_cmpstr(v.apdu_hex[i], ==, "aaaaaa9000");
		g_free(v.atr_hex[i]);
		g_free(v.apdu_hex[i]);
	}
	g_assert_cmpuint(card.apdus, ==, 2);

	uicc_vpcd_client_free(vc);
	uicc_slot_free(slot);
	g_main_loop_unref(v.loop);
	g_free(target);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/uicc-transport/frame/parse", test_frame_parse);
	g_test_add_func("/uicc-transport/frame/encode", test_frame_encode);
	g_test_add_func("/uicc-transport/slot", test_slot);
	g_test_add_func("/uicc-transport/run-script", test_run_script);
	g_test_add_func("/uicc-transport/unix-server", test_unix_server);
	g_test_add_func("/uicc-transport/vpcd-client", test_vpcd_client);
	return g_test_run();
}
