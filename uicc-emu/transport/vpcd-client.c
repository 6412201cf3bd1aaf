/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TCP link to vsmartcard-vpcd, reconnecting with a backoff. */
#define G_LOG_DOMAIN "uicc-emu"
#define G_LOG_USE_STRUCTURED 1

#include <gio/gio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "transport/conn.h"
#include "transport/vpcd-client.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 5000

struct uicc_vpcd_client {
	struct uicc_slot *slot;
	char *host_port;
	GSocketClient *client;
	GCancellable *cancel;      /* the pending connect */
	struct uicc_conn *conn;
	guint retry_source;
	unsigned backoff_ms;
	unsigned failures;
};

static void start_connect(struct uicc_vpcd_client *vc);

static gboolean on_retry(gpointer data)
{
	struct uicc_vpcd_client *vc = data;

	vc->retry_source = 0;
	start_connect(vc);
	return G_SOURCE_REMOVE;
}

static void schedule_retry(struct uicc_vpcd_client *vc)
{
	vc->retry_source = g_timeout_add(vc->backoff_ms, on_retry, vc);
	vc->backoff_ms = MIN(vc->backoff_ms * 2, BACKOFF_MAX_MS);
}

static void link_closed(struct uicc_conn *conn, void *data)
{
	struct uicc_vpcd_client *vc = data;

	g_assert(vc->conn == conn);
	vc->conn = NULL;
	uicc_conn_unref(conn);
	vc->backoff_ms = BACKOFF_MIN_MS;
	schedule_retry(vc);
}

static void connect_done(GObject *src, GAsyncResult *res, gpointer data)
{
	GError *err = NULL;
	GSocketConnection *sc = g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(src), res, &err);
	struct uicc_vpcd_client *vc;
	char *peer;

	/* cancelled: vc is being freed, do not touch it */
	if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_error_free(err);
		return;
	}
	vc = data;
	g_clear_object(&vc->cancel);
	if (!sc) {
		/* the first failure is worth a line, the retries are not */
		uicc_slot_log(vc->slot, vc->failures++ ? G_LOG_LEVEL_DEBUG : G_LOG_LEVEL_MESSAGE,
			      "%s: vpcd %s: %s; retrying", uicc_slot_name(vc->slot), vc->host_port, err->message);
		g_error_free(err);
		schedule_retry(vc);
		return;
	}
	vc->failures = 0;
	g_socket_set_option(g_socket_connection_get_socket(sc), IPPROTO_TCP, TCP_NODELAY, 1, NULL);
	peer = g_strdup_printf("vpcd:%s", vc->host_port);
	vc->conn = uicc_conn_new(G_IO_STREAM(sc), vc->slot, peer, link_closed, vc);
	g_free(peer);
	g_object_unref(sc);
}

static void start_connect(struct uicc_vpcd_client *vc)
{
	vc->cancel = g_cancellable_new();
	g_socket_client_connect_to_host_async(vc->client, vc->host_port, UICC_VPCD_DEFAULT_PORT, vc->cancel,
					      connect_done, vc);
}

struct uicc_vpcd_client *uicc_vpcd_client_new(struct uicc_slot *slot, const char *host_port)
{
	struct uicc_vpcd_client *vc = g_new0(struct uicc_vpcd_client, 1);

	vc->slot = slot;
	vc->host_port = g_strdup(host_port);
	vc->client = g_socket_client_new();
	g_socket_client_set_timeout(vc->client, 5);
	vc->backoff_ms = BACKOFF_MIN_MS;
	uicc_slot_log(slot, G_LOG_LEVEL_MESSAGE, "%s: connecting to vpcd %s", uicc_slot_name(slot), host_port);
	start_connect(vc);
	return vc;
}

bool uicc_vpcd_client_connected(const struct uicc_vpcd_client *vc)
{
	return vc->conn != NULL;
}

void uicc_vpcd_client_free(struct uicc_vpcd_client *vc)
{
	if (!vc)
		return;
	if (vc->cancel) {
		g_cancellable_cancel(vc->cancel);
		g_object_unref(vc->cancel);
	}
	if (vc->retry_source)
		g_source_remove(vc->retry_source);
	if (vc->conn) {
		uicc_conn_close(vc->conn);
		uicc_conn_unref(vc->conn);
	}
	g_object_unref(vc->client);
	g_free(vc->host_port);
	g_free(vc);
}
