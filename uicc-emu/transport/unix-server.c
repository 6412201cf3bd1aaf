/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unix socket server for one slot (GSocketService, GUnixSocketAddress). */
#define G_LOG_DOMAIN "uicc-emu"
#define G_LOG_USE_STRUCTURED 1

#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "transport/conn.h"
#include "transport/unix-server.h"

struct uicc_unix_server {
	struct uicc_slot *slot;
	char *path;
	GSocketService *service;
	struct uicc_conn *active;
	GQueue waiting;            /* GSocketConnection, in arrival order */
	unsigned next_id;
};

static void serve_next(struct uicc_unix_server *srv);

static void client_closed(struct uicc_conn *conn, void *data)
{
	struct uicc_unix_server *srv = data;

	g_assert(srv->active == conn);
	srv->active = NULL;
	uicc_conn_unref(conn);
	serve_next(srv);
}

static void serve_next(struct uicc_unix_server *srv)
{
	GSocketConnection *sc;
	char *peer;

	if (srv->active || !(sc = g_queue_pop_head(&srv->waiting)))
		return;
	peer = g_strdup_printf("unix#%u", srv->next_id++);
	srv->active = uicc_conn_new(G_IO_STREAM(sc), srv->slot, peer, client_closed, srv);
	g_free(peer);
	g_object_unref(sc);
}

static gboolean on_incoming(GSocketService *service, GSocketConnection *sc, GObject *source, gpointer data)
{
	struct uicc_unix_server *srv = data;

	g_queue_push_tail(&srv->waiting, g_object_ref(sc));
	if (srv->active)
		uicc_slot_log(srv->slot, G_LOG_LEVEL_INFO, "%s: client waits for %s to finish",
			      uicc_slot_name(srv->slot), uicc_conn_peer(srv->active));
	serve_next(srv);
	return TRUE;
}

/* An existing socket file is reused only if nobody answers on it. */
static bool clear_stale_socket(const char *path, GError **error)
{
	struct stat sb;
	GSocketClient *client;
	GSocketAddress *addr;
	GSocketConnection *sc;

	if (lstat(path, &sb) < 0)
		return true;
	if (!S_ISSOCK(sb.st_mode)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s exists and is not a socket", path);
		return false;
	}
	client = g_socket_client_new();
	addr = g_unix_socket_address_new(path);
	sc = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL, NULL);
	g_object_unref(addr);
	g_object_unref(client);
	if (sc) {
		g_io_stream_close(G_IO_STREAM(sc), NULL, NULL);
		g_object_unref(sc);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE, "%s: another process serves it", path);
		return false;
	}
	if (g_unlink(path) < 0 && errno != ENOENT) {
		int saved = errno;

		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "%s: %s", path, g_strerror(saved));
		return false;
	}
	return true;
}

struct uicc_unix_server *uicc_unix_server_new(struct uicc_slot *slot, const char *path, GError **error)
{
	struct uicc_unix_server *srv;
	GSocketAddress *addr;
	mode_t old_mask;
	gboolean ok;

	if (!clear_stale_socket(path, error))
		return NULL;
	srv = g_new0(struct uicc_unix_server, 1);
	srv->slot = slot;
	srv->path = g_strdup(path);
	g_queue_init(&srv->waiting);
	srv->service = g_socket_service_new();
	addr = g_unix_socket_address_new(path);
	/* the socket gives the card to whoever connects: owner only */
	old_mask = umask(0177);
	ok = g_socket_listener_add_address(G_SOCKET_LISTENER(srv->service), addr, G_SOCKET_TYPE_STREAM,
					   G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, error);
	umask(old_mask);
	g_object_unref(addr);
	if (!ok) {
		g_prefix_error(error, "%s: ", path);
		g_object_unref(srv->service);
		g_free(srv->path);
		g_free(srv);
		return NULL;
	}
	g_signal_connect(srv->service, "incoming", G_CALLBACK(on_incoming), srv);
	g_socket_service_start(srv->service);
	uicc_slot_log(slot, G_LOG_LEVEL_MESSAGE, "%s: listening on unix:%s", uicc_slot_name(slot), path);
	return srv;
}

void uicc_unix_server_free(struct uicc_unix_server *srv)
{
	GSocketConnection *sc;

	if (!srv)
		return;
	g_socket_service_stop(srv->service);
	g_socket_listener_close(G_SOCKET_LISTENER(srv->service));
	g_signal_handlers_disconnect_by_data(srv->service, srv);
	g_object_unref(srv->service);
	if (srv->active) {
		uicc_conn_close(srv->active);
		uicc_conn_unref(srv->active);
	}
	while ((sc = g_queue_pop_head(&srv->waiting))) {
		g_io_stream_close(G_IO_STREAM(sc), NULL, NULL);
		g_object_unref(sc);
	}
	g_unlink(srv->path);
	g_free(srv->path);
	g_free(srv);
}
