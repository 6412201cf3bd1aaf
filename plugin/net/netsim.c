// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The "netsim" network backend: the device side of ota-test-server's
 * southbound link (doc/netsim.md).  Frames (4-byte length, type, body) are
 * coded by lib/netsim_frame.c, shared with the server; the stream under
 * them, its reconnection and bounded waits are link/stream.c.
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

#include "link/stream.h"
#include "net/net.h"
#include "simota/netsim.h"

#define RECONNECT_MIN_MS 250
#define RECONNECT_MAX_MS 5000
#define HELLO_TIMEOUT_MS 5000

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
	struct sb_stream *link;
	sb_net_state_cb state_cb;
	void *state_user;
	sb_net_deliver_cb deliver_cb;
	void *deliver_user;
	GQueue submits;                 /* struct submit *, oldest first, until their report */
	uint32_t next_submit_id;
};

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

static void send_frame(struct sb_net *net, const struct simota_netsim_frame *f)
{
	GByteArray *out = g_byte_array_new();

	simota_netsim_frame_encode(f, out);
	sb_stream_write(net->link, out->data, out->len);     /* dropped while not connected */
	g_byte_array_unref(out);
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
		sb_stream_expect_done(net->link);
		if (f->status)
			ofono_warn("%s: netsim: the server does not know card %s (status %u)", net->name, net->iccid,
				   f->status);
		sb_stream_backoff_reset(net->link);
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

/* ---- the link (link/stream.c) ------------------------------------------------------------ */

static gssize link_split(const uint8_t *buf, size_t len)
{
	uint8_t type;
	const uint8_t *body;
	size_t body_len, consumed;

	switch (simota_netsim_frame_next(buf, len, &type, &body, &body_len, &consumed)) {
	case SIMOTA_NETSIM_NEED_MORE:
		return 0;
	case SIMOTA_NETSIM_BAD_LENGTH:
		return -1;
	default:
		return (gssize)consumed;
	}
}

static void link_frame(struct sb_stream *link, const uint8_t *frame, size_t len, void *user)
{
	struct sb_net *net = user;
	uint8_t type;
	const uint8_t *body;
	size_t body_len, consumed;
	struct simota_netsim_frame f;
	const char *why = NULL;

	simota_netsim_frame_next(frame, len, &type, &body, &body_len, &consumed);
	memset(&f, 0, sizeof(f));
	if (simota_netsim_frame_decode(type, body, body_len, &f, &why) != 0) {
		ofono_warn("%s: netsim: bad frame 0x%02x: %s", net->name, type, why ? why : "");
		return;
	}
	on_frame(net, &f);
}

static void link_connected(struct sb_stream *link, void *user)
{
	struct sb_net *net = user;
	struct simota_netsim_frame hello;

	memset(&hello, 0, sizeof(hello));
	hello.type = SIMOTA_NETSIM_HELLO;
	hello.version = SIMOTA_NETSIM_VERSION;
	g_strlcpy(hello.iccid, net->iccid, sizeof(hello.iccid));
	g_strlcpy(hello.msisdn, net->msisdn, sizeof(hello.msisdn));
	send_frame(net, &hello);
	sb_stream_expect(link, HELLO_TIMEOUT_MS, "HELLO_ACK");
}

/* Connection failed or lost: down until the stream has connected again and the server said HELLO_ACK. */
static void link_lost(struct sb_stream *link, const GError *err, void *user)
{
	struct sb_net *net = user;

	ofono_warn("%s: netsim link %s: %s", net->name, net->addr.kind == SB_NET_NETSIM_UNIX ? net->addr.path :
		   net->addr.host, err->message);
	set_up(net, false);
}

static const struct sb_stream_handlers netsim_link = {
	.split = link_split,
	.frame = link_frame,
	.connected = link_connected,
	.lost = link_lost,
};

/* ---- the interface ---------------------------------------------------------------------- */

struct sb_net *sb_net_new(const struct sb_net_addr *addr, const char *name, sb_net_state_cb cb, void *user)
{
	struct sb_net *net = g_new0(struct sb_net, 1);
	GSocketConnectable *peer;

	net->name = g_strdup(name);
	net->addr.kind = addr->kind;
	net->addr.host = g_strdup(addr->host);
	net->addr.port = addr->port;
	net->addr.path = g_strdup(addr->path);
	net->state_cb = cb;
	net->state_user = user;
	net->next_submit_id = 1;
	g_queue_init(&net->submits);
	if (addr->kind == SB_NET_NETSIM_UNIX)
		peer = G_SOCKET_CONNECTABLE(g_unix_socket_address_new(addr->path));
	else
		peer = g_network_address_new(addr->host, addr->port);
	net->link = sb_stream_new(peer, &netsim_link, net);
	g_object_unref(peer);
	return net;
}

void sb_net_free(struct sb_net *net)
{
	struct submit *s;

	if (!net)
		return;
	sb_stream_free(net->link);
	while ((s = g_queue_pop_head(&net->submits)))
		submit_free(s);
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
	sb_stream_start(net->link, RECONNECT_MIN_MS, RECONNECT_MAX_MS);
}

void sb_net_stop(struct sb_net *net)
{
	net->started = false;
	sb_stream_stop(net->link);
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
