/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netsim server: GIO socket service, one struct per device connection. */
#include "links/netsim-server.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <string.h>
#include <unistd.h>

#include "links/conn.h"
#include "simota/netsim.h"
#include "simota/sms.h"
#include "transactions/engine.h"

struct device;

struct ots_netsim {
	struct ots_engine *engine;
	GSocketService *service;
	char *unix_path;
	uint16_t port;
	GList *devices;           /* struct device *, newest first */
	unsigned next_conn;
	unsigned commit_sub;      /* ots_engine_on_commit() */
};

/* A SUBMIT-REPORT waiting for the commit of what its SMS-SUBMIT changed (engine.h "group commit"). */
struct held_report {
	uint64_t batch;
	struct simota_netsim_frame rep;
};

struct device {
	struct ots_netsim *ns;
	unsigned n;               /* for logs */
	struct ots_conn *conn;    /* NULL once closed */
	bool hello;
	bool draining;            /* close once the queued frames are written */
	char iccid[21];
	char msisdn[24];
	GHashTable *outstanding;  /* DELIVER ids without a report */
	GQueue held;              /* struct held_report *, oldest first */
};

static void device_free(struct device *d)
{
	g_queue_clear_full(&d->held, g_free);
	g_hash_table_destroy(d->outstanding);
	g_free(d);
}

/* The device is gone (the stream ended, failed, or was closed after a bad length). */
static void device_gone(void *p, const char *why)
{
	struct device *d = p;

	g_message("netsim device %u (%s %s) disconnected: %s", d->n, d->iccid, d->msisdn, why);
	d->conn = NULL;
	d->ns->devices = g_list_remove(d->ns->devices, d);
	device_free(d);
}

static void device_close(struct device *d, const char *why)
{
	ots_conn_close(d->conn);
	device_gone(d, why);
}

static void device_send(struct device *d, const struct simota_netsim_frame *f)
{
	if (d->draining && f->type != SIMOTA_NETSIM_ERROR)
		return;
	simota_netsim_frame_encode(f, d->conn->out);
	ots_conn_flush(d->conn);
}

static void send_error(struct device *d, int code, uint32_t id, const char *why)
{
	struct simota_netsim_frame f = { .type = SIMOTA_NETSIM_ERROR, .status = (uint8_t)code, .id = id };

	g_strlcpy(f.text, why, sizeof(f.text));
	g_message("netsim device %u: error %d (id %u): %s", d->n, code, id, why);
	device_send(d, &f);
}

static void on_hello(struct device *d, const struct simota_netsim_frame *f)
{
	struct simota_netsim_frame ack = { .type = SIMOTA_NETSIM_HELLO_ACK, .version = SIMOTA_NETSIM_VERSION };
	JsonNode *card = NULL;

	g_strlcpy(d->iccid, f->iccid, sizeof(d->iccid));
	g_strlcpy(d->msisdn, f->msisdn, sizeof(d->msisdn));
	d->hello = true;
	if (d->iccid[0])
		card = ots_engine_card_show(d->ns->engine, d->iccid, NULL);
	ack.status = card || !d->iccid[0] ? 0 : 1;
	if (card)
		json_node_unref(card);
	g_message("netsim device %u serves iccid %s msisdn %s", d->n,
		  d->iccid[0] ? d->iccid : "-", d->msisdn[0] ? d->msisdn : "-");
	device_send(d, &ack);
	ots_engine_device_attached(d->ns->engine, d->iccid[0] ? d->iccid : NULL,
				   d->msisdn[0] ? d->msisdn : NULL);
}

static void on_report(struct device *d, const struct simota_netsim_frame *f)
{
	struct simota_sms_deliver_report r;

	if (!g_hash_table_remove(d->outstanding, GUINT_TO_POINTER(f->id))) {
		send_error(d, SIMOTA_NETSIM_E_UNKNOWN_ID, f->id, "DELIVER-REPORT for an unknown id");
		return;
	}
	if (f->tpdu_len &&
	    simota_sms_deliver_report_decode(f->tpdu, f->tpdu_len, f->rp == SIMOTA_NETSIM_RP_ERROR,
					     &r) != SIMOTA_OK) {
		send_error(d, SIMOTA_NETSIM_E_BAD_TPDU, f->id,
			   "DELIVER-REPORT TPDU does not decode (TS 23.040 §9.2.2.1a)");
		ots_engine_deliver_report(d->ns->engine, f->id, f->rp == SIMOTA_NETSIM_RP_ERROR,
					  f->cause, NULL, 0);
		return;
	}
	ots_engine_deliver_report(d->ns->engine, f->id, f->rp == SIMOTA_NETSIM_RP_ERROR, f->cause,
				  f->tpdu, f->tpdu_len);
}

static void on_submit(struct device *d, const struct simota_netsim_frame *f)
{
	struct simota_netsim_frame rep = { .type = SIMOTA_NETSIM_SUBMIT_REPORT, .id = f->id };
	enum ots_submit_verdict v;
	uint64_t batch;

	v = ots_engine_submit(d->ns->engine, d->iccid[0] ? d->iccid : NULL,
			      d->msisdn[0] ? d->msisdn : NULL, f->tpdu, f->tpdu_len);
	if (v == OTS_SUBMIT_BAD) {
		send_error(d, SIMOTA_NETSIM_E_BAD_TPDU, f->id,
			   "SMS-SUBMIT does not decode (TS 23.040 §9.2.2.2)");
		rep.rp = SIMOTA_NETSIM_RP_ERROR;
		rep.cause = 96;   /* TS 24.011 §8.2.5.4: invalid mandatory information */
	}
	/* the report acknowledges a PoR or MG: it leaves once what they changed is durable */
	batch = ots_engine_unflushed(d->ns->engine);
	if (batch) {
		struct held_report *h = g_new(struct held_report, 1);

		h->batch = batch;
		h->rep = rep;
		g_queue_push_tail(&d->held, h);
	} else {
		device_send(d, &rep);
	}
}

static void on_commit(uint64_t batch, bool durable, void *user)
{
	struct ots_netsim *ns = user;

	for (GList *l = ns->devices; l; l = l->next) {
		struct device *d = l->data;
		struct held_report *h;

		while ((h = g_queue_peek_head(&d->held)) && h->batch <= batch) {
			g_queue_pop_head(&d->held);
			if (!durable && h->rep.rp != SIMOTA_NETSIM_RP_ERROR) {
				/* TS 24.011 §8.2.5.4: temporary failure, the device may submit again */
				h->rep.rp = SIMOTA_NETSIM_RP_ERROR;
				h->rep.cause = 41;
			}
			device_send(d, &h->rep);
			g_free(h);
		}
	}
}

static void on_frame(struct device *d, uint8_t type, const uint8_t *body, size_t len)
{
	struct simota_netsim_frame f;
	const char *why;
	int err = simota_netsim_frame_decode(type, body, len, &f, &why);

	if (err) {
		send_error(d, err, 0, why);
		return;
	}
	if (!d->hello && type != SIMOTA_NETSIM_HELLO && type != SIMOTA_NETSIM_PING) {
		send_error(d, SIMOTA_NETSIM_E_NO_HELLO, f.id, "HELLO must come first");
		return;
	}
	switch (type) {
	case SIMOTA_NETSIM_HELLO:
		on_hello(d, &f);
		break;
	case SIMOTA_NETSIM_DELIVER_REPORT:
		on_report(d, &f);
		break;
	case SIMOTA_NETSIM_SUBMIT:
		on_submit(d, &f);
		break;
	case SIMOTA_NETSIM_PING: {
		struct simota_netsim_frame pong = { .type = SIMOTA_NETSIM_PONG, .id = f.id };

		device_send(d, &pong);
		break;
	}
	case SIMOTA_NETSIM_ERROR:
		g_message("netsim device %u reports error %u (id %u): %s", d->n, f.status, f.id,
			  f.text);
		break;
	default:
		send_error(d, SIMOTA_NETSIM_E_UNKNOWN_TYPE, 0, "frame type not sent by devices");
		break;
	}
}

static void device_data(void *p)
{
	struct device *d = p;
	GByteArray *in = d->conn->in;
	size_t off = 0;

	while (!d->draining) {
		uint8_t type;
		const uint8_t *body;
		size_t blen, used;
		enum simota_netsim_parse r = simota_netsim_frame_next(in->data + off, in->len - off,
								 &type, &body, &blen, &used);

		if (r == SIMOTA_NETSIM_NEED_MORE)
			break;
		if (r == SIMOTA_NETSIM_BAD_LENGTH) {
			send_error(d, SIMOTA_NETSIM_E_FRAME_LENGTH, 0,
				   "frame length 0 or above 4096: closing the link");
			/* let the error frame go out, then close */
			d->draining = true;
			ots_conn_close_when_flushed(d->conn, "bad frame length");
			return;
		}
		on_frame(d, type, body, blen);
		off += used;
	}
	g_byte_array_remove_range(in, 0, (guint)off);
}

static gboolean on_incoming(GSocketService *service, GSocketConnection *conn, GObject *src,
			    gpointer p)
{
	struct ots_netsim *ns = p;
	struct device *d = g_new0(struct device, 1);

	d->ns = ns;
	d->n = ++ns->next_conn;
	d->outstanding = g_hash_table_new(g_direct_hash, g_direct_equal);
	ns->devices = g_list_prepend(ns->devices, d);
	g_message("netsim device %u connected", d->n);
	d->conn = ots_conn_new(conn, device_data, device_gone, d);
	return TRUE;
}

/* The newest device serving the card: by ICCID, else by MSISDN. */
static struct device *device_for(struct ots_netsim *ns, const char *iccid, const char *msisdn)
{
	for (GList *l = ns->devices; l; l = l->next) {
		struct device *d = l->data;

		if (d->hello && iccid && strcmp(d->iccid, iccid) == 0)
			return d;
	}
	for (GList *l = ns->devices; l; l = l->next) {
		struct device *d = l->data;

		if (d->hello && msisdn && *msisdn && d->msisdn[0] &&
		    strcmp(d->msisdn + (d->msisdn[0] == '+'), msisdn + (msisdn[0] == '+')) == 0)
			return d;
	}
	return NULL;
}

static bool reaches(void *user, const char *iccid, const char *msisdn)
{
	return device_for(user, iccid, msisdn) != NULL;
}

/* The engine's southbound: newest device serving the card. */
static bool send_deliver(void *user, const char *iccid, const char *msisdn, uint32_t msg_id,
			 const uint8_t *tpdu, size_t len)
{
	struct ots_netsim *ns = user;
	struct device *best = device_for(ns, iccid, msisdn);
	struct simota_netsim_frame f = { .type = SIMOTA_NETSIM_DELIVER, .id = msg_id };

	if (!best || len > sizeof(f.tpdu))
		return false;
	memcpy(f.tpdu, tpdu, len);
	f.tpdu_len = len;
	g_hash_table_add(best->outstanding, GUINT_TO_POINTER(msg_id));
	device_send(best, &f);
	return true;
}

static JsonNode *link_status(void *user)
{
	struct ots_netsim *ns = user;
	JsonObject *o = json_object_new();
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);

	json_object_set_int_member(o, "devices", g_list_length(ns->devices));
	json_node_take_object(n, o);
	return n;
}

static GSocketAddress *parse_listen(const char *listen, char **unix_path, GError **error)
{
	if (g_str_has_prefix(listen, "unix:") && listen[5]) {
		*unix_path = g_strdup(listen + 5);
		return g_unix_socket_address_new(*unix_path);
	}
	if (g_str_has_prefix(listen, "tcp:")) {
		const char *hp = listen + 4, *colon = strrchr(hp, ':');
		char *host, *end;
		unsigned long port;
		GInetAddress *addr;
		GSocketAddress *sa;

		if (!colon)
			goto bad;
		port = strtoul(colon + 1, &end, 10);
		if (!colon[1] || *end || port > 65535)
			goto bad;
		host = g_strndup(hp, colon - hp);
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = '\0';
		}
		addr = g_inet_address_new_from_string(host);
		g_free(host);
		if (!addr)
			goto bad;
		sa = g_inet_socket_address_new(addr, (guint16)port);
		g_object_unref(addr);
		return sa;
	}
bad:
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		    "netsim: expected tcp:ADDRESS:PORT or unix:PATH, got \"%s\"", listen);
	return NULL;
}

struct ots_netsim *ots_netsim_new(struct ots_engine *engine, const char *listen, GError **error)
{
	struct ots_netsim *ns = g_new0(struct ots_netsim, 1);
	/* a device's DELIVER-REPORT carries the card's RP-ACK data (doc/netsim.md) */
	struct ots_southbound sb = {
		.send_deliver = send_deliver, .user = ns, .name = "netsim", .reaches = reaches,
		.status = link_status, .por_in_rp_ack = true,
	};
	GSocketAddress *sa, *effective = NULL;

	ns->engine = engine;
	sa = parse_listen(listen, &ns->unix_path, error);
	if (!sa) {
		g_free(ns);
		return NULL;
	}
	if (ns->unix_path)
		unlink(ns->unix_path);   /* a stale socket of a killed server */
	ns->service = g_socket_service_new();
	if (!g_socket_listener_add_address(G_SOCKET_LISTENER(ns->service), sa, G_SOCKET_TYPE_STREAM,
					   G_SOCKET_PROTOCOL_DEFAULT, NULL, &effective, error)) {
		g_object_unref(sa);
		g_object_unref(ns->service);
		g_free(ns->unix_path);
		g_free(ns);
		return NULL;
	}
	if (G_IS_INET_SOCKET_ADDRESS(effective))
		ns->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(effective));
	g_object_unref(effective);
	g_object_unref(sa);
	g_signal_connect(ns->service, "incoming", G_CALLBACK(on_incoming), ns);
	g_socket_service_start(ns->service);
	ots_engine_add_southbound(engine, &sb);
	ns->commit_sub = ots_engine_on_commit(engine, on_commit, ns);
	g_message("netsim listening on %s", listen);
	return ns;
}

void ots_netsim_free(struct ots_netsim *ns)
{
	if (!ns)
		return;
	ots_engine_remove_southbound(ns->engine, ns);
	ots_engine_off_commit(ns->engine, ns->commit_sub);
	g_socket_service_stop(ns->service);
	g_socket_listener_close(G_SOCKET_LISTENER(ns->service));
	while (ns->devices)
		device_close(ns->devices->data, "server shutting down");
	g_object_unref(ns->service);
	if (ns->unix_path)
		unlink(ns->unix_path);
	g_free(ns->unix_path);
	g_free(ns);
}

uint16_t ots_netsim_port(struct ots_netsim *ns)
{
	return ns->port;
}

unsigned ots_netsim_device_count(struct ots_netsim *ns)
{
	return g_list_length(ns->devices);
}
