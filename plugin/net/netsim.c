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
 * without a report are sent again, in order, once the link is back (net.c:
 * the server may see one twice; it never misses one).  Registered while the
 * link is up; the operator is the card's home network (netreg.c).
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

struct netsim {
	struct sb_net *net;
	const char *name;
	struct sb_net_addr addr;
	char iccid[21];
	char msisdn[24];
	struct sb_stream *link;
};

static void send_frame(struct netsim *ns, const struct simota_netsim_frame *f)
{
	GByteArray *out = g_byte_array_new();

	simota_netsim_frame_encode(f, out);
	sb_stream_write(ns->link, out->data, out->len);     /* dropped while not connected */
	g_byte_array_unref(out);
}

/* ---- frames from the server ---------------------------------------------------------- */

static void on_frame(struct netsim *ns, const struct simota_netsim_frame *f)
{
	switch (f->type) {
	case SIMOTA_NETSIM_HELLO_ACK:
		sb_stream_expect_done(ns->link);
		if (f->status)
			ofono_warn("%s: netsim: the server does not know card %s (status %u)", ns->name, ns->iccid,
				   f->status);
		sb_stream_backoff_reset(ns->link);
		ofono_info("%s: netsim link up (%u submits to resend)", ns->name, sb_net_pending_submits(ns->net));
		sb_net_backend_up(ns->net, true);
		break;
	case SIMOTA_NETSIM_DELIVER:
		sb_net_backend_deliver(ns->net, f->id, f->tpdu, f->tpdu_len);
		break;
	case SIMOTA_NETSIM_SUBMIT_REPORT:
		if (!sb_net_backend_submit_done(ns->net, f->id, NULL, f->rp == SIMOTA_NETSIM_RP_ERROR, f->cause,
						f->tpdu, f->tpdu_len))
			ofono_warn("%s: netsim: report for unknown submit %u", ns->name, f->id);
		break;
	case SIMOTA_NETSIM_PONG:
		break;
	case SIMOTA_NETSIM_ERROR:
		ofono_warn("%s: netsim error %u (id %u): %s", ns->name, f->status, f->id, f->text);
		if (f->status == SIMOTA_NETSIM_E_BAD_TPDU || f->status == SIMOTA_NETSIM_E_MALFORMED) {
			GError *e = g_error_new(G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s", f->text);

			/* a submit the server refuses will never get a report: fail it */
			sb_net_backend_submit_done(ns->net, f->id, e, false, 0, NULL, 0);
			g_error_free(e);
		}
		break;
	default:
		ofono_warn("%s: netsim: unexpected frame type 0x%02x", ns->name, f->type);
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
	struct netsim *ns = user;
	uint8_t type;
	const uint8_t *body;
	size_t body_len, consumed;
	struct simota_netsim_frame f;
	const char *why = NULL;

	simota_netsim_frame_next(frame, len, &type, &body, &body_len, &consumed);
	memset(&f, 0, sizeof(f));
	if (simota_netsim_frame_decode(type, body, body_len, &f, &why) != 0) {
		ofono_warn("%s: netsim: bad frame 0x%02x: %s", ns->name, type, why ? why : "");
		return;
	}
	on_frame(ns, &f);
}

static void link_connected(struct sb_stream *link, void *user)
{
	struct netsim *ns = user;
	struct simota_netsim_frame hello;

	memset(&hello, 0, sizeof(hello));
	hello.type = SIMOTA_NETSIM_HELLO;
	hello.version = SIMOTA_NETSIM_VERSION;
	g_strlcpy(hello.iccid, ns->iccid, sizeof(hello.iccid));
	g_strlcpy(hello.msisdn, ns->msisdn, sizeof(hello.msisdn));
	send_frame(ns, &hello);
	sb_stream_expect(link, HELLO_TIMEOUT_MS, "HELLO_ACK");
}

/* Connection failed or lost: down until the stream has connected again and the server said HELLO_ACK. */
static void link_lost(struct sb_stream *link, const GError *err, void *user)
{
	struct netsim *ns = user;

	ofono_warn("%s: netsim link %s: %s", ns->name, ns->addr.kind == SB_NET_NETSIM_UNIX ? ns->addr.path :
		   ns->addr.host, err->message);
	sb_net_backend_up(ns->net, false);
}

static const struct sb_stream_handlers netsim_link = {
	.split = link_split,
	.frame = link_frame,
	.connected = link_connected,
	.lost = link_lost,
};

/* ---- the backend ------------------------------------------------------------------------ */

static void *netsim_create(struct sb_net *net, const struct sb_net_addr *addr)
{
	struct netsim *ns = g_new0(struct netsim, 1);
	GSocketConnectable *peer;

	ns->net = net;
	ns->name = sb_net_name(net);
	ns->addr.kind = addr->kind;
	ns->addr.host = g_strdup(addr->host);
	ns->addr.port = addr->port;
	ns->addr.path = g_strdup(addr->path);
	if (addr->kind == SB_NET_NETSIM_UNIX)
		peer = G_SOCKET_CONNECTABLE(g_unix_socket_address_new(addr->path));
	else
		peer = g_network_address_new(addr->host, addr->port);
	ns->link = sb_stream_new(peer, &netsim_link, ns);
	g_object_unref(peer);
	return ns;
}

static void netsim_destroy(void *be)
{
	struct netsim *ns = be;

	sb_stream_free(ns->link);
	sb_net_addr_clear(&ns->addr);
	g_free(ns);
}

static void netsim_set_identity(void *be, const char *iccid, const char *msisdn)
{
	struct netsim *ns = be;

	g_strlcpy(ns->iccid, iccid, sizeof(ns->iccid));
	g_strlcpy(ns->msisdn, msisdn, sizeof(ns->msisdn));
}

static void netsim_start(void *be)
{
	sb_stream_start(((struct netsim *)be)->link, RECONNECT_MIN_MS, RECONNECT_MAX_MS);
}

static void netsim_stop(void *be)
{
	sb_stream_stop(((struct netsim *)be)->link);
}

static void netsim_send_submit(void *be, uint32_t id, const uint8_t *tpdu, size_t len)
{
	struct netsim *ns = be;
	struct simota_netsim_frame f;

	memset(&f, 0, sizeof(f));
	f.type = SIMOTA_NETSIM_SUBMIT;
	f.id = id;
	f.tpdu_len = MIN(len, (size_t)SIMOTA_NETSIM_MAX_TPDU);
	memcpy(f.tpdu, tpdu, f.tpdu_len);
	send_frame(ns, &f);
}

static void netsim_report(void *be, uint32_t id, bool rp_error, uint8_t cause, const uint8_t *tpdu, size_t len)
{
	struct netsim *ns = be;
	struct simota_netsim_frame f;

	if (!sb_net_is_up(ns->net)) {
		ofono_warn("%s: netsim link down: report for %u dropped (the server delivers again)", ns->name, id);
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
	send_frame(ns, &f);
}

/* Registered on the card's home network while the link is up (the operator: netreg.c, from the SIM). */
static void netsim_get_reg(void *be, struct sb_net_reg *out)
{
	struct netsim *ns = be;

	out->status = sb_net_is_up(ns->net) ? SB_NET_REGISTERED : SB_NET_SEARCHING;
	g_strlcpy(out->name, "stkbridge netsim", sizeof(out->name));
	out->strength = sb_net_is_up(ns->net) ? 80 : -1;
	out->tech = 2;      /* UTRAN */
}

const struct sb_net_ops sb_net_netsim_ops = {
	.kind = "netsim",
	.create = netsim_create,
	.destroy = netsim_destroy,
	.set_identity = netsim_set_identity,
	.start = netsim_start,
	.stop = netsim_stop,
	.send_submit = netsim_send_submit,
	.report = netsim_report,
	.get_reg = netsim_get_reg,
};
