// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The "netsim" network backend: the device side of ota-test-server's
 * southbound link (doc/netsim.md).  Frames (4-byte length, type, body) are
 * coded by lib/netsim_frame.c, shared with the server.
 *
 *   connect → HELLO(version, ICCID, MSISDN) → HELLO_ACK: the link is up
 *   DELIVER(id, TPDU)        → the deliver handler → DELIVER_REPORT(id, rp, cause, TPDU)
 *   SUBMIT(id, TPDU)         → SUBMIT_REPORT(id, rp, cause, TPDU) → the submit's callback
 *
 * A dropped link is connected again after 250 ms, doubling to 5 s.  Submits
 * without a report are sent again, in order, once the link is back (the
 * server may see one twice; it never misses one).
 */
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <string.h>

#define OFONO_API_SUBJECT_TO_CHANGE
#include <ofono/log.h>

#include "net/net.h"
#include "simota/netsim.h"

#define RECONNECT_MIN_MS 250
#define RECONNECT_MAX_MS 5000
#define HELLO_TIMEOUT_MS 5000

struct sb_net;

struct link {
	int refs;
	struct sb_net *net;             /* NULL once closed */
	GCancellable *cancel;
	GSocketConnection *conn;
	GByteArray *in;
	GByteArray *out;                /* frames waiting for the write in flight */
	GBytes *writing;
	uint8_t chunk[4096];
};

struct submit {
	uint32_t id;
	const void *owner;
	GBytes *tpdu;
	sb_net_submit_cb cb;
	void *user;
};

struct sb_net {
	char *name;
	struct sb_net_addr addr;
	char iccid[21];
	char msisdn[24];
	bool started;
	bool up;
	struct link *link;
	guint reconnect_id;
	guint hello_timeout_id;
	unsigned backoff_ms;
	sb_net_state_cb state_cb;
	void *state_user;
	sb_net_deliver_cb deliver_cb;
	void *deliver_user;
	GQueue submits;                 /* struct submit *, oldest first, until their report */
	uint32_t next_submit_id;
	GCancellable *lifetime;
};

static void net_connect(struct sb_net *net);
static void link_read(struct link *l);

static struct link *link_ref(struct link *l)
{
	l->refs++;
	return l;
}

static void link_unref(struct link *l)
{
	if (--l->refs > 0)
		return;
	if (l->conn)
		g_object_unref(l->conn);
	if (l->writing)
		g_bytes_unref(l->writing);
	g_byte_array_unref(l->in);
	g_byte_array_unref(l->out);
	g_object_unref(l->cancel);
	g_free(l);
}

static void submit_free(struct submit *s)
{
	g_bytes_unref(s->tpdu);
	g_free(s);
}

static void set_up(struct sb_net *net, bool up)
{
	if (net->up == up)
		return;
	net->up = up;
	if (net->state_cb)
		net->state_cb(net, up, net->state_user);
}

static gboolean reconnect_cb(gpointer p)
{
	struct sb_net *net = p;

	net->reconnect_id = 0;
	net_connect(net);
	return G_SOURCE_REMOVE;
}

static void link_close(struct sb_net *net)
{
	struct link *l = net->link;

	if (net->hello_timeout_id) {
		g_source_remove(net->hello_timeout_id);
		net->hello_timeout_id = 0;
	}
	if (!l)
		return;
	net->link = NULL;
	l->net = NULL;
	g_cancellable_cancel(l->cancel);
	if (l->conn)
		g_io_stream_close(G_IO_STREAM(l->conn), NULL, NULL);
	link_unref(l);
}

static void link_lost(struct sb_net *net, const char *why)
{
	ofono_warn("%s: netsim link %s: %s", net->name, net->addr.kind == SB_NET_NETSIM_UNIX ? net->addr.path :
		   net->addr.host, why);
	link_close(net);
	set_up(net, false);
	if (net->started && !net->reconnect_id) {
		net->reconnect_id = g_timeout_add(net->backoff_ms, reconnect_cb, net);
		net->backoff_ms = MIN(net->backoff_ms * 2, RECONNECT_MAX_MS);
	}
}

/* ---- writing ---------------------------------------------------------------------- */

static void link_flush(struct link *l);

static void write_cb(GObject *src, GAsyncResult *res, gpointer user)
{
	struct link *l = user;
	GError *err = NULL;
	gboolean ok = g_output_stream_write_all_finish(G_OUTPUT_STREAM(src), res, NULL, &err);

	g_bytes_unref(l->writing);
	l->writing = NULL;
	if (l->net) {
		if (!ok)
			link_lost(l->net, err->message);
		else
			link_flush(l);
	}
	g_clear_error(&err);
	link_unref(l);
}

static void link_flush(struct link *l)
{
	gsize n;

	if (l->writing || l->out->len == 0 || !l->conn)
		return;
	n = l->out->len;
	l->writing = g_byte_array_free_to_bytes(l->out);
	l->out = g_byte_array_new();
	g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(l->conn)),
					g_bytes_get_data(l->writing, NULL), n, G_PRIORITY_DEFAULT, l->cancel,
					write_cb, link_ref(l));
}

static void send_frame(struct sb_net *net, const struct simota_netsim_frame *f)
{
	if (!net->link)
		return;
	simota_netsim_frame_encode(f, net->link->out);
	link_flush(net->link);
}

static void send_submit(struct sb_net *net, const struct submit *s)
{
	struct simota_netsim_frame f;
	gsize n;
	const uint8_t *p = g_bytes_get_data(s->tpdu, &n);

	memset(&f, 0, sizeof(f));
	f.type = SIMOTA_NETSIM_SUBMIT;
	f.id = s->id;
	f.tpdu_len = n;
	memcpy(f.tpdu, p, n);
	send_frame(net, &f);
}

/* ---- frames from the server ---------------------------------------------------------- */

static void on_submit_report(struct sb_net *net, const struct simota_netsim_frame *f, const GError *err)
{
	for (GList *l = net->submits.head; l; l = l->next) {
		struct submit *s = l->data;

		if (s->id != f->id)
			continue;
		g_queue_delete_link(&net->submits, l);
		if (s->cb)
			s->cb(err, f->rp == SIMOTA_NETSIM_RP_ERROR, f->cause, f->tpdu, f->tpdu_len, s->user);
		submit_free(s);
		return;
	}
	ofono_warn("%s: netsim: report for unknown submit %u", net->name, f->id);
}

static void on_frame(struct sb_net *net, const struct simota_netsim_frame *f)
{
	switch (f->type) {
	case SIMOTA_NETSIM_HELLO_ACK:
		if (net->hello_timeout_id) {
			g_source_remove(net->hello_timeout_id);
			net->hello_timeout_id = 0;
		}
		if (f->status)
			ofono_warn("%s: netsim: the server does not know card %s (status %u)", net->name, net->iccid,
				   f->status);
		net->backoff_ms = RECONNECT_MIN_MS;
		ofono_info("%s: netsim link up (%u submits to resend)", net->name, net->submits.length);
		for (GList *l = net->submits.head; l; l = l->next)
			send_submit(net, l->data);
		set_up(net, true);
		break;
	case SIMOTA_NETSIM_DELIVER:
		if (net->deliver_cb)
			net->deliver_cb(net, f->id, f->tpdu, f->tpdu_len, net->deliver_user);
		else
			sb_net_report(net, f->id, true, 0x6F, NULL, 0);   /* no sms atom: protocol error, unspecified */
		break;
	case SIMOTA_NETSIM_SUBMIT_REPORT:
		on_submit_report(net, f, NULL);
		break;
	case SIMOTA_NETSIM_PONG:
		break;
	case SIMOTA_NETSIM_ERROR:
		ofono_warn("%s: netsim error %u (id %u): %s", net->name, f->status, f->id, f->text);
		if (f->status == SIMOTA_NETSIM_E_BAD_TPDU || f->status == SIMOTA_NETSIM_E_MALFORMED) {
			GError *e = g_error_new(G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s", f->text);

			/* a submit the server refuses will never get a report: fail it */
			for (GList *l = net->submits.head; l; l = l->next)
				if (((struct submit *)l->data)->id == f->id) {
					on_submit_report(net, f, e);
					break;
				}
			g_error_free(e);
		}
		break;
	default:
		ofono_warn("%s: netsim: unexpected frame type 0x%02x", net->name, f->type);
		break;
	}
}

static void read_cb(GObject *src, GAsyncResult *res, gpointer user)
{
	struct link *l = user;
	GError *err = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, &err);
	struct sb_net *net = l->net;

	if (!net) {
		g_clear_error(&err);
		link_unref(l);
		return;
	}
	if (n <= 0) {
		link_lost(net, err ? err->message : "closed by the server");
		g_clear_error(&err);
		link_unref(l);
		return;
	}
	g_byte_array_append(l->in, l->chunk, (guint)n);
	for (;;) {
		uint8_t type;
		const uint8_t *body;
		size_t body_len, consumed;
		struct simota_netsim_frame f;
		const char *why = NULL;
		enum simota_netsim_parse r = simota_netsim_frame_next(l->in->data, l->in->len, &type, &body, &body_len,
								&consumed);

		if (r == SIMOTA_NETSIM_NEED_MORE)
			break;
		if (r == SIMOTA_NETSIM_BAD_LENGTH) {
			link_lost(net, "bad frame length");
			link_unref(l);
			return;
		}
		memset(&f, 0, sizeof(f));
		if (simota_netsim_frame_decode(type, body, body_len, &f, &why) != 0) {
			ofono_warn("%s: netsim: bad frame 0x%02x: %s", net->name, type, why ? why : "");
			g_byte_array_remove_range(l->in, 0, (guint)consumed);
			continue;
		}
		g_byte_array_remove_range(l->in, 0, (guint)consumed);
		on_frame(net, &f);
		if (!l->net) {
			link_unref(l);
			return;
		}
	}
	link_read(l);
}

static void link_read(struct link *l)
{
	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(l->conn)), l->chunk, sizeof(l->chunk),
				  G_PRIORITY_DEFAULT, l->cancel, read_cb, l);
}

static gboolean hello_timeout_cb(gpointer p)
{
	struct sb_net *net = p;

	net->hello_timeout_id = 0;
	link_lost(net, "no HELLO_ACK");
	return G_SOURCE_REMOVE;
}

static void connect_cb(GObject *src, GAsyncResult *res, gpointer user)
{
	struct link *l = user;
	GError *err = NULL;
	GSocketConnection *conn = g_socket_client_connect_finish(G_SOCKET_CLIENT(src), res, &err);
	struct sb_net *net = l->net;
	struct simota_netsim_frame hello;

	g_object_unref(src);
	if (!net) {
		if (conn)
			g_object_unref(conn);
		g_clear_error(&err);
		link_unref(l);
		return;
	}
	if (!conn) {
		link_lost(net, err->message);
		g_error_free(err);
		link_unref(l);
		return;
	}
	l->conn = conn;
	memset(&hello, 0, sizeof(hello));
	hello.type = SIMOTA_NETSIM_HELLO;
	hello.version = SIMOTA_NETSIM_VERSION;
	g_strlcpy(hello.iccid, net->iccid, sizeof(hello.iccid));
	g_strlcpy(hello.msisdn, net->msisdn, sizeof(hello.msisdn));
	send_frame(net, &hello);
	net->hello_timeout_id = g_timeout_add(HELLO_TIMEOUT_MS, hello_timeout_cb, net);
	link_read(l);          /* keeps the connect reference */
}

static void net_connect(struct sb_net *net)
{
	GSocketClient *client;
	GSocketConnectable *addr;
	struct link *l;

	if (net->link || !net->started)
		return;
	l = g_new0(struct link, 1);
	l->refs = 1;
	l->net = net;
	l->cancel = g_cancellable_new();
	l->in = g_byte_array_new();
	l->out = g_byte_array_new();
	net->link = l;
	client = g_socket_client_new();
	if (net->addr.kind == SB_NET_NETSIM_UNIX)
		addr = G_SOCKET_CONNECTABLE(g_unix_socket_address_new(net->addr.path));
	else
		addr = g_network_address_new(net->addr.host, net->addr.port);
	g_socket_client_connect_async(client, addr, l->cancel, connect_cb, link_ref(l));
	g_object_unref(addr);
}

/* ---- the interface ---------------------------------------------------------------------- */

struct sb_net *sb_net_new(const struct sb_net_addr *addr, const char *name, sb_net_state_cb cb, void *user)
{
	struct sb_net *net = g_new0(struct sb_net, 1);

	net->name = g_strdup(name);
	net->addr.kind = addr->kind;
	net->addr.host = g_strdup(addr->host);
	net->addr.port = addr->port;
	net->addr.path = g_strdup(addr->path);
	net->state_cb = cb;
	net->state_user = user;
	net->backoff_ms = RECONNECT_MIN_MS;
	net->next_submit_id = 1;
	net->lifetime = g_cancellable_new();
	g_queue_init(&net->submits);
	return net;
}

void sb_net_free(struct sb_net *net)
{
	struct submit *s;

	if (!net)
		return;
	net->started = false;
	if (net->reconnect_id)
		g_source_remove(net->reconnect_id);
	link_close(net);
	while ((s = g_queue_pop_head(&net->submits)))
		submit_free(s);
	g_cancellable_cancel(net->lifetime);
	g_object_unref(net->lifetime);
	sb_net_addr_clear(&net->addr);
	g_free(net->name);
	g_free(net);
}

void sb_net_set_identity(struct sb_net *net, const char *iccid, const char *msisdn)
{
	g_strlcpy(net->iccid, iccid ? iccid : "", sizeof(net->iccid));
	g_strlcpy(net->msisdn, msisdn ? msisdn : "", sizeof(net->msisdn));
}

void sb_net_start(struct sb_net *net)
{
	if (net->started)
		return;
	net->started = true;
	net->backoff_ms = RECONNECT_MIN_MS;
	net_connect(net);
}

void sb_net_stop(struct sb_net *net)
{
	net->started = false;
	if (net->reconnect_id) {
		g_source_remove(net->reconnect_id);
		net->reconnect_id = 0;
	}
	link_close(net);
	set_up(net, false);
}

bool sb_net_is_up(const struct sb_net *net)
{
	return net && net->up;
}

void sb_net_set_deliver_handler(struct sb_net *net, sb_net_deliver_cb cb, void *user)
{
	net->deliver_cb = cb;
	net->deliver_user = user;
}

void sb_net_report(struct sb_net *net, uint32_t id, bool rp_error, uint8_t cause, const uint8_t *tpdu,
		   size_t len)
{
	struct simota_netsim_frame f;

	if (!net->up) {
		ofono_warn("%s: netsim link down: report for %u dropped (the server delivers again)", net->name, id);
		return;
	}
	memset(&f, 0, sizeof(f));
	f.type = SIMOTA_NETSIM_DELIVER_REPORT;
	f.id = id;
	f.rp = rp_error ? SIMOTA_NETSIM_RP_ERROR : SIMOTA_NETSIM_RP_ACK;
	f.cause = rp_error ? cause : 0;
	f.tpdu_len = MIN(len, sizeof(f.tpdu));
	if (f.tpdu_len)
		memcpy(f.tpdu, tpdu, f.tpdu_len);
	send_frame(net, &f);
}

void sb_net_submit(struct sb_net *net, const void *owner, const uint8_t *tpdu, size_t len, sb_net_submit_cb cb,
		   void *user)
{
	struct submit *s = g_new0(struct submit, 1);

	s->id = net->next_submit_id++;
	s->owner = owner;
	s->tpdu = g_bytes_new(tpdu, MIN(len, (size_t)SIMOTA_NETSIM_MAX_TPDU));
	s->cb = cb;
	s->user = user;
	g_queue_push_tail(&net->submits, s);
	if (net->up)
		send_submit(net, s);
}

void sb_net_cancel_owner(struct sb_net *net, const void *owner)
{
	for (GList *l = net->submits.head; l; l = l->next) {
		struct submit *s = l->data;

		if (s->owner == owner)
			s->cb = NULL;
	}
}

unsigned sb_net_pending_submits(const struct sb_net *net)
{
	return net->submits.length;
}
