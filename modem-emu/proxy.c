/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The qmi-proxy socket: what libqmi's QmiDevice reaches with
 * QMI_DEVICE_OPEN_FLAGS_PROXY (src/libqmi-glib/qmi-endpoint-qmux.c): an
 * abstract unix socket ("qmi-proxy" by default) whose first request from a
 * client is CTL 0xFF00 "internal proxy open" with TLV 0x01 the device path
 * (src/libqmi-glib/qmi-proxy.c).  Here the path chooses one of our modems;
 * every later request goes to it.
 *
 * Bad input: a frame whose framing is lost (wrong marker, QMUX length too
 * short for the headers or above ME_QMUX_MAX_FRAME) closes that client; a
 * frame whose TLVs do not fit gets MALFORMED_MESSAGE; responses and
 * indications from a client are ignored.  Other clients never notice.
 */
#include <gio/gunixsocketaddress.h>
#include <string.h>

#include "modem-emu.h"

#define CTL_INTERNAL_PROXY_OPEN 0xFF00

void me_client_ref(struct me_client *c)
{
	c->refs++;
}

void me_client_unref(struct me_client *c)
{
	if (--c->refs > 0)
		return;
	me_link_free(c->link);
	g_byte_array_unref(c->in);
	g_free(c);
}

void me_client_close(struct me_client *c, const char *why)
{
	if (c->closed)
		return;
	c->closed = true;
	ME_DEBUG("qmi-proxy client %u closed: %s", c->n, why);
	if (c->modem)
		me_modem_client_gone(c->modem, c);
	c->srv->clients = g_list_remove(c->srv->clients, c);
	if (c->link)
		me_link_close(c->link);
	me_client_unref(c);   /* the list's */
}

void me_client_send(struct me_client *c, QmiMessage *m)
{
	gsize len;
	const guint8 *raw;

	if (c->closed)
		return;
	if (c->sink) {
		c->sink(c->sink_user, m);
		return;
	}
	if (!c->link)
		return;
	raw = qmi_message_get_raw(m, &len, NULL);
	if (raw)
		me_link_send(c->link, raw, len);
}

static void answer(struct me_client *c, QmiMessage *req, QmiProtocolError error)
{
	QmiMessage *resp = qmi_message_response_new(req, error);

	me_client_send(c, resp);
	qmi_message_unref(resp);
}

/* libqmi sends the path of its QmiFile (a string TLV without a length prefix). */
static void proxy_open(struct me_client *c, QmiMessage *msg)
{
	struct me_tlv_r r;
	char path[4096];
	struct me_modem *m;

	if (c->modem) {
		ME_DEBUG("qmi-proxy client %u: a second proxy open refused", c->n);
		answer(c, msg, QMI_PROTOCOL_ERROR_INVALID_OPERATION);
		return;
	}
	if (!me_tlv_open(&r, msg, 0x01)) {
		answer(c, msg, QMI_PROTOCOL_ERROR_MISSING_ARGUMENT);
		return;
	}
	if (!me_rd_string(&r, 0, path, sizeof(path)) || !path[0]) {
		answer(c, msg, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	m = me_modem_find(c->srv, path);
	if (!m) {
		ME_INFO("qmi-proxy client %u asks for %s: no such modem", c->n, path);
		answer(c, msg, QMI_PROTOCOL_ERROR_DEVICE_UNSUPPORTED);
		return;
	}
	c->modem = m;
	ME_DEBUG("qmi-proxy client %u opened %s", c->n, m->name);
	answer(c, msg, QMI_PROTOCOL_ERROR_NONE);
}

/* UIM Set PIN Protection, Verify, Unblock, Change PIN; DMS UIM PIN 0x0027-0x002A: libqmi prints their PINs. */
static bool carries_pin(QmiMessage *msg)
{
	uint16_t id = qmi_message_get_message_id(msg);

	switch (qmi_message_get_service(msg)) {
	case QMI_SERVICE_UIM:
		return id >= 0x0025 && id <= 0x0028;
	case QMI_SERVICE_DMS:
		return id >= 0x0027 && id <= 0x002A;
	default:
		return false;
	}
}

static void on_message(struct me_client *c, QmiMessage *msg)
{
	if (!qmi_message_is_request(msg)) {
		ME_DEBUG("qmi-proxy client %u sent a response or indication; ignored", c->n);
		return;
	}
	if (!g_log_writer_default_would_drop(G_LOG_LEVEL_DEBUG, ME_LOG_DOMAIN)) {
		if (carries_pin(msg)) {
			ME_DEBUG("qmi-proxy client %u request: %s message 0x%04x (holds a PIN: not logged)", c->n,
				 qmi_service_get_string(qmi_message_get_service(msg)), qmi_message_get_message_id(msg));
		} else {
			char *p = qmi_message_get_printable_full(msg, NULL, "  ");

			ME_DEBUG("qmi-proxy client %u request:\n%s", c->n, p);
			g_free(p);
		}
	}
	if (qmi_message_get_service(msg) == QMI_SERVICE_CTL &&
	    qmi_message_get_message_id(msg) == CTL_INTERNAL_PROXY_OPEN) {
		proxy_open(c, msg);
		return;
	}
	if (!c->modem) {
		/* every client names its modem first */
		answer(c, msg, QMI_PROTOCOL_ERROR_DEVICE_NOT_READY);
		return;
	}
	me_modem_dispatch(c->modem, c, msg);
}

static void on_input(struct me_client *c, GByteArray *in)
{
	while (!c->closed) {
		struct me_qmux_header hdr;
		QmiMessage *msg = NULL;
		GError *error = NULL;
		enum me_qmux_status st = me_qmux_next(in, &msg, &hdr, &error);

		if (st == ME_QMUX_NEED_MORE)
			break;
		if (st == ME_QMUX_FATAL) {
			ME_INFO("qmi-proxy client %u: %s: closing it", c->n, error->message);
			g_error_free(error);
			me_client_close(c, "framing lost");
			break;
		}
		if (st == ME_QMUX_MALFORMED) {
			QmiMessage *req = me_qmi_request_from_header(&hdr);

			ME_INFO("qmi-proxy client %u: malformed message (service %u, message 0x%04x): %s", c->n,
				hdr.service, hdr.msgid, error->message);
			g_error_free(error);
			if (!c->modem || !c->modem->muted)
				answer(c, req, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
			qmi_message_unref(req);
			continue;
		}
		on_message(c, msg);
		qmi_message_unref(msg);
	}
}

static void link_input(void *user, GByteArray *in)
{
	struct me_client *c = user;

	me_client_ref(c);   /* on_input may close it */
	on_input(c, in);
	me_client_unref(c);
}

static void link_down(void *user, const char *why)
{
	me_client_close(user, why);
}

static const struct me_link_ops client_link_ops = { .input = link_input, .down = link_down };

struct me_client *me_client_new_detached(struct me_server *srv, me_client_sink sink, void *user)
{
	struct me_client *c = g_new0(struct me_client, 1);

	c->srv = srv;
	c->n = ++srv->next_client;
	c->in = g_byte_array_new();
	c->sink = sink;
	c->sink_user = user;
	c->refs = 1;   /* the clients list */
	srv->clients = g_list_prepend(srv->clients, c);
	return c;
}

void me_client_input(struct me_client *c, const uint8_t *p, size_t len)
{
	if (c->closed)
		return;
	me_client_ref(c);   /* on_input may close it */
	g_byte_array_append(c->in, p, (guint)len);
	on_input(c, c->in);
	me_client_unref(c);
}

static gboolean on_incoming(GSocketService *service, GSocketConnection *conn, GObject *src, gpointer p)
{
	struct me_server *srv = p;
	struct me_client *c = g_new0(struct me_client, 1);

	c->srv = srv;
	c->n = ++srv->next_client;
	c->in = g_byte_array_new();
	c->refs = 1;   /* the clients list */
	srv->clients = g_list_prepend(srv->clients, c);
	ME_DEBUG("qmi-proxy client %u connected", c->n);
	c->link = me_link_new(&client_link_ops, c);
	me_link_attach(c->link, conn);
	return TRUE;
}

bool me_proxy_start(struct me_server *srv, GError **error)
{
	GSocketAddress *sa = g_unix_socket_address_new_with_type(srv->proxy_name, -1,
								  G_UNIX_SOCKET_ADDRESS_ABSTRACT);
	bool ok;

	srv->service = g_socket_service_new();
	ok = g_socket_listener_add_address(G_SOCKET_LISTENER(srv->service), sa, G_SOCKET_TYPE_STREAM,
					   G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, error);
	g_object_unref(sa);
	if (!ok) {
		g_prefix_error(error, "qmi-proxy socket @%s: ", srv->proxy_name);
		g_clear_object(&srv->service);
		return false;
	}
	g_signal_connect(srv->service, "incoming", G_CALLBACK(on_incoming), srv);
	g_socket_service_start(srv->service);
	return true;
}

void me_proxy_stop(struct me_server *srv)
{
	if (srv->service) {
		g_socket_service_stop(srv->service);
		g_socket_listener_close(G_SOCKET_LISTENER(srv->service));
		g_clear_object(&srv->service);
	}
	while (srv->clients)
		me_client_close(srv->clients->data, "modem-emu exits");
}
