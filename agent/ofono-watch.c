/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Follows oFono on the bus: the org.ofono name (NameOwnerChanged, so an
 * ofonod restart is seen), its modems (Manager.GetModems, ModemAdded,
 * ModemRemoved) and their Interfaces property; registers an agent
 * (SimToolkit.RegisterAgent) on each modem as soon as it has
 * org.ofono.SimToolkit, and again after oFono restarts or releases it.
 */
#define G_LOG_DOMAIN "stkbridge-agent"

#include <string.h>

#include "agent.h"

#define CALL_TIMEOUT_MS		10000
#define RETRY_MS		1000
#define STOP_TIMEOUT_MS		2000

static void try_register(struct stkagent_modem *modem);

static bool strv_has(GVariant *strv, const char *s)
{
	g_autofree const char **v = g_variant_get_strv(strv, NULL);

	for (gsize i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static gboolean retry_cb(gpointer data)
{
	struct stkagent_modem *modem = data;

	modem->retry_source = 0;
	try_register(modem);
	return G_SOURCE_REMOVE;
}

void stkagent_watch_schedule_register(struct stkagent_modem *modem, guint delay_ms)
{
	if (modem->retry_source)
		g_source_remove(modem->retry_source);
	modem->retry_source = g_timeout_add(delay_ms, retry_cb, modem);
}

struct register_call {
	struct stkagent_ctx *ctx;
	char *modem_path;
};

static void register_done(GObject *source, GAsyncResult *res, gpointer data)
{
	struct register_call *call = data;
	struct stkagent_ctx *ctx = call->ctx;
	struct stkagent_modem *modem;
	g_autoptr(GVariant) ret = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *remote = NULL;

	ret = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
	if (error && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		goto out;	/* that oFono is gone; ctx may be stopping */

	modem = g_hash_table_lookup(ctx->modems, call->modem_path);
	if (modem == NULL)
		goto out;
	modem->registering = false;

	if (error == NULL) {
		modem->registered = true;
		stkagent_log_event(ctx, modem->path, "RegisterAgent", NULL, modem->agent_path);
		stkagent_screen(ctx, "[%s] agent registered at %s\n", modem->path,
				modem->agent_path);
		goto out;
	}

	remote = g_dbus_error_get_remote_error(error);
	g_dbus_error_strip_remote_error(error);
	stkagent_log_event(ctx, modem->path, "RegisterAgent", remote ? remote : "failed",
			   error->message);
	g_message("%s: RegisterAgent failed: %s %s", modem->path, remote ? remote : "",
		  error->message);
	/* a timeout or a broken link may pass; a refusal (Busy: another agent) stays */
	if (remote == NULL || strcmp(remote, "org.freedesktop.DBus.Error.NoReply") == 0 ||
	    strcmp(remote, "org.ofono.Error.InProgress") == 0)
		stkagent_watch_schedule_register(modem, RETRY_MS);
out:
	g_free(call->modem_path);
	g_free(call);
}

static void try_register(struct stkagent_modem *modem)
{
	struct stkagent_ctx *ctx = modem->ctx;
	struct register_call *call;

	if (ctx->stopping || ctx->ofono_owner == NULL || !modem->has_stk ||
	    modem->registered || modem->registering)
		return;
	if (!stkagent_modem_export(modem))
		return;

	call = g_new0(struct register_call, 1);
	call->ctx = ctx;
	call->modem_path = g_strdup(modem->path);
	modem->registering = true;
	g_dbus_connection_call(ctx->conn, OFONO_SERVICE, modem->path, OFONO_STK_INTERFACE,
			       "RegisterAgent", g_variant_new("(o)", modem->agent_path), NULL,
			       G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, ctx->cancellable,
			       register_done, call);
}

static void set_has_stk(struct stkagent_ctx *ctx, const char *path, bool has_stk)
{
	struct stkagent_modem *modem = g_hash_table_lookup(ctx->modems, path);

	if (ctx->only_modem && strcmp(ctx->only_modem, path) != 0)
		return;
	if (modem == NULL) {
		modem = stkagent_modem_new(ctx, path);
		g_hash_table_insert(ctx->modems, modem->path, modem);
		stkagent_screen(ctx, "[%s] modem found%s\n", path,
				has_stk ? "" : " (no SimToolkit yet)");
	}
	if (has_stk == modem->has_stk)
		return;
	modem->has_stk = has_stk;
	if (has_stk) {
		try_register(modem);
	} else {
		/* the stk atom went away and took our registration with it */
		stkagent_modem_abandon(modem, "SimToolkit interface removed");
		modem->registered = false;
		stkagent_log_event(ctx, path, "SimToolkitRemoved", NULL, NULL);
	}
}

static void modem_properties(struct stkagent_ctx *ctx, const char *path, GVariant *props)
{
	g_autoptr(GVariant) ifaces = g_variant_lookup_value(props, "Interfaces",
							    G_VARIANT_TYPE_STRING_ARRAY);

	set_has_stk(ctx, path, ifaces && strv_has(ifaces, OFONO_STK_INTERFACE));
}

static void get_modems_done(GObject *source, GAsyncResult *res, gpointer data)
{
	struct stkagent_ctx *ctx = data;
	g_autoptr(GVariant) ret = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariantIter) iter = NULL;
	const char *path;
	GVariant *props;

	ret = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
	if (ret == NULL) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			g_message("GetModems failed: %s", error->message);
			stkagent_log_event(ctx, NULL, "GetModems", "failed", error->message);
		}
		return;
	}
	g_variant_get(ret, "(a(oa{sv}))", &iter);
	while (g_variant_iter_next(iter, "(&o@a{sv})", &path, &props)) {
		modem_properties(ctx, path, props);
		g_variant_unref(props);
	}
}

static void on_manager_signal(GDBusConnection *conn, const char *sender, const char *path,
			      const char *iface, const char *signal, GVariant *params,
			      gpointer data)
{
	struct stkagent_ctx *ctx = data;
	const char *modem_path;

	if (g_strcmp0(sender, ctx->ofono_owner) != 0)
		return;
	if (strcmp(signal, "ModemAdded") == 0 &&
	    g_variant_is_of_type(params, G_VARIANT_TYPE("(oa{sv})"))) {
		g_autoptr(GVariant) props = NULL;

		g_variant_get(params, "(&o@a{sv})", &modem_path, &props);
		modem_properties(ctx, modem_path, props);
	} else if (strcmp(signal, "ModemRemoved") == 0 &&
		   g_variant_is_of_type(params, G_VARIANT_TYPE("(o)"))) {
		g_variant_get(params, "(&o)", &modem_path);
		if (g_hash_table_remove(ctx->modems, modem_path))
			stkagent_screen(ctx, "[%s] modem removed\n", modem_path);
	}
}

static void on_modem_property(GDBusConnection *conn, const char *sender, const char *path,
			      const char *iface, const char *signal, GVariant *params,
			      gpointer data)
{
	struct stkagent_ctx *ctx = data;
	g_autoptr(GVariant) value = NULL;
	const char *name;

	if (g_strcmp0(sender, ctx->ofono_owner) != 0 ||
	    !g_variant_is_of_type(params, G_VARIANT_TYPE("(sv)")))
		return;
	g_variant_get(params, "(&sv)", &name, &value);
	if (strcmp(name, "Interfaces") == 0 &&
	    g_variant_is_of_type(value, G_VARIANT_TYPE_STRING_ARRAY))
		set_has_stk(ctx, path, strv_has(value, OFONO_STK_INTERFACE));
}

static void ofono_appeared(GDBusConnection *conn, const char *name, const char *owner,
			   gpointer data)
{
	struct stkagent_ctx *ctx = data;

	g_free(ctx->ofono_owner);
	ctx->ofono_owner = g_strdup(owner);
	g_clear_object(&ctx->cancellable);
	ctx->cancellable = g_cancellable_new();
	stkagent_log_event(ctx, NULL, "OfonoAppeared", NULL, owner);
	stkagent_screen(ctx, "oFono is on the bus (%s)\n", owner);
	g_dbus_connection_call(conn, OFONO_SERVICE, "/", OFONO_MANAGER_INTERFACE, "GetModems",
			       NULL, G_VARIANT_TYPE("(a(oa{sv}))"), G_DBUS_CALL_FLAGS_NONE,
			       CALL_TIMEOUT_MS, ctx->cancellable, get_modems_done, ctx);
}

static void ofono_vanished(GDBusConnection *conn, const char *name, gpointer data)
{
	struct stkagent_ctx *ctx = data;

	if (ctx->cancellable)
		g_cancellable_cancel(ctx->cancellable);
	if (ctx->ofono_owner) {
		stkagent_log_event(ctx, NULL, "OfonoVanished", NULL, ctx->ofono_owner);
		stkagent_screen(ctx, "oFono left the bus; waiting for it\n");
	} else {
		stkagent_screen(ctx, "waiting for oFono on the bus\n");
	}
	g_clear_pointer(&ctx->ofono_owner, g_free);
	/* every modem, request and registration went with it */
	g_hash_table_remove_all(ctx->modems);
}

void stkagent_watch_start(struct stkagent_ctx *ctx)
{
	ctx->modems = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					    (GDestroyNotify)stkagent_modem_free);
	ctx->signal_subs[0] = g_dbus_connection_signal_subscribe(ctx->conn, OFONO_SERVICE,
		OFONO_MANAGER_INTERFACE, "ModemAdded", "/", NULL, G_DBUS_SIGNAL_FLAGS_NONE,
		on_manager_signal, ctx, NULL);
	ctx->signal_subs[1] = g_dbus_connection_signal_subscribe(ctx->conn, OFONO_SERVICE,
		OFONO_MANAGER_INTERFACE, "ModemRemoved", "/", NULL, G_DBUS_SIGNAL_FLAGS_NONE,
		on_manager_signal, ctx, NULL);
	ctx->signal_subs[2] = g_dbus_connection_signal_subscribe(ctx->conn, OFONO_SERVICE,
		OFONO_MODEM_INTERFACE, "PropertyChanged", NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
		on_modem_property, ctx, NULL);
	ctx->name_watch = g_bus_watch_name_on_connection(ctx->conn, OFONO_SERVICE,
							 G_BUS_NAME_WATCHER_FLAGS_NONE,
							 ofono_appeared, ofono_vanished, ctx, NULL);
}

static void stop_finish(struct stkagent_ctx *ctx)
{
	if (ctx->loop && g_main_loop_is_running(ctx->loop))
		g_main_loop_quit(ctx->loop);
}

static void unregister_done(GObject *source, GAsyncResult *res, gpointer data)
{
	struct stkagent_ctx *ctx = data;
	g_autoptr(GVariant) ret = NULL;
	g_autoptr(GError) error = NULL;

	ret = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
	if (error)
		g_message("UnregisterAgent: %s", error->message);
	if (--ctx->stop_calls == 0)
		stop_finish(ctx);
}

static gboolean stop_timeout(gpointer data)
{
	stop_finish(data);
	return G_SOURCE_REMOVE;
}

void stkagent_watch_stop(struct stkagent_ctx *ctx)
{
	GHashTableIter iter;
	gpointer value;

	if (ctx->stopping)
		return;
	ctx->stopping = true;
	g_hash_table_iter_init(&iter, ctx->modems);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		struct stkagent_modem *modem = value;

		stkagent_modem_abandon(modem, "agent exiting");
		if (!modem->registered || ctx->ofono_owner == NULL)
			continue;
		modem->registered = false;
		stkagent_log_event(ctx, modem->path, "UnregisterAgent", NULL, modem->agent_path);
		ctx->stop_calls++;
		g_dbus_connection_call(ctx->conn, OFONO_SERVICE, modem->path, OFONO_STK_INTERFACE,
				       "UnregisterAgent", g_variant_new("(o)", modem->agent_path),
				       NULL, G_DBUS_CALL_FLAGS_NONE, STOP_TIMEOUT_MS, NULL,
				       unregister_done, ctx);
	}
	if (ctx->stop_calls == 0)
		stop_finish(ctx);
	else
		g_timeout_add(STOP_TIMEOUT_MS + 500, stop_timeout, ctx);
}
