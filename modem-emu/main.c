/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * modem-emu [-v] [--qmi-proxy NAME] [--control unix:SOCK] [--uicc-emu PATH] [--run-dir DIR]
 *           --modem PATH,card=CARD.ini[,state=STATE]|sim=unix:SOCK[,netsim=...][,imei=...][,nv=...]...
 * doc/modem-emu.md.
 */
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "modem-emu.h"

static gboolean on_signal(gpointer p)
{
	g_main_loop_quit(((struct me_server *)p)->loop);
	return G_SOURCE_CONTINUE;
}

/* uicc-emu beside our own executable (an installed pair), else on $PATH. */
static char *find_uicc_emu(void)
{
	char *self = g_file_read_link("/proc/self/exe", NULL);
	char *dir, *path;

	if (self) {
		dir = g_path_get_dirname(self);
		path = g_build_filename(dir, "uicc-emu", NULL);
		g_free(dir);
		g_free(self);
		if (g_file_test(path, G_FILE_TEST_IS_EXECUTABLE))
			return path;
		g_free(path);
	}
	return g_find_program_in_path("uicc-emu");
}

static void remove_run_dir(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		char *p = g_build_filename(dir, name, NULL);

		g_unlink(p);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(dir);
}

int main(int argc, char **argv)
{
	gboolean verbose = FALSE;
	char *proxy_name = NULL, *control = NULL, *uicc_emu = NULL, *run_dir = NULL;
	char **modems = NULL;
	GOptionEntry entries[] = {
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Debug logs", NULL },
		{ "qmi-proxy", 0, 0, G_OPTION_ARG_STRING, &proxy_name,
		  "Abstract unix socket to listen on (default qmi-proxy, libqmi's)", "NAME" },
		{ "control", 0, 0, G_OPTION_ARG_STRING, &control, "Test control socket", "unix:SOCK" },
		{ "modem", 0, 0, G_OPTION_ARG_STRING_ARRAY, &modems,
		  "A modem: PATH,card=CARD.ini[,state=STATE]|sim=unix:SOCK[,netsim=unix:SOCK|tcp:HOST:PORT]"
		  "[,imei=DIGITS][,nv=FILE][,cat=off]", "SPEC" },
		{ "uicc-emu", 0, 0, G_OPTION_ARG_FILENAME, &uicc_emu,
		  "The uicc-emu binary for card= (default: beside modem-emu, else on $PATH)", "PATH" },
		{ "run-dir", 0, 0, G_OPTION_ARG_FILENAME, &run_dir,
		  "Where the SIM sockets go (default: a new temporary directory)", "DIR" },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new("- a QMI modem behind libqmi's proxy socket");
	struct me_server srv = { 0 };
	GError *error = NULL;
	bool need_uicc_emu = false;
	int status = 0;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		g_printerr("modem-emu: %s\n", error->message);
		return 2;
	}
	g_option_context_free(ctx);
	if (argc > 1 || !modems || !modems[0]) {
		g_printerr("modem-emu: %s\n", argc > 1 ? "unexpected arguments" : "at least one --modem");
		return 2;
	}
	if (verbose)
		g_setenv("G_MESSAGES_DEBUG", ME_LOG_DOMAIN, TRUE);
	srv.proxy_name = proxy_name ? proxy_name : g_strdup("qmi-proxy");
	if (run_dir) {
		srv.run_dir = run_dir;
	} else {
		srv.run_dir = g_dir_make_tmp("modem-emu-XXXXXX", &error);
		srv.own_run_dir = true;
		if (!srv.run_dir) {
			g_printerr("modem-emu: %s\n", error->message);
			return 2;
		}
	}
	srv.modems = g_ptr_array_new_with_free_func((GDestroyNotify)me_modem_free);
	for (char **s = modems; *s; s++) {
		struct me_modem_config cfg;

		if (!me_modem_config_parse(*s, &cfg, &error)) {
			g_printerr("modem-emu: %s\n", error->message);
			return 2;
		}
		for (guint i = 0; i < srv.modems->len; i++) {
			if (!g_strcmp0(((struct me_modem *)srv.modems->pdata[i])->cfg.path, cfg.path)) {
				g_printerr("modem-emu: two modems at %s\n", cfg.path);
				return 2;
			}
		}
		need_uicc_emu |= cfg.card != NULL;
		g_ptr_array_add(srv.modems, me_modem_new(&srv, &cfg, srv.modems->len));
	}
	g_strfreev(modems);
	if (need_uicc_emu) {
		srv.uicc_emu = uicc_emu ? uicc_emu : find_uicc_emu();
		if (!srv.uicc_emu) {
			g_printerr("modem-emu: no uicc-emu beside modem-emu nor on $PATH (--uicc-emu PATH)\n");
			return 2;
		}
	}
	/* a client, the SIM or netsim gone mid-write is an error to handle, not a death */
	signal(SIGPIPE, SIG_IGN);
	srv.loop = g_main_loop_new(NULL, FALSE);
	if (!me_proxy_start(&srv, &error)) {
		g_printerr("modem-emu: %s\n", error->message);
		status = 2;
		goto out;
	}
	if (control) {
		srv.control = me_control_new(&srv, control, &error);
		if (!srv.control) {
			g_printerr("modem-emu: %s\n", error->message);
			status = 2;
			goto out;
		}
	}
	g_unix_signal_add(SIGTERM, on_signal, &srv);
	g_unix_signal_add(SIGINT, on_signal, &srv);
	for (guint i = 0; i < srv.modems->len; i++)
		me_modem_start(srv.modems->pdata[i]);
	ME_INFO("listening on @%s with %u modem(s)", srv.proxy_name, srv.modems->len);
	g_main_loop_run(srv.loop);
out:
	me_control_free(srv.control);
	me_proxy_stop(&srv);
	g_ptr_array_unref(srv.modems);
	if (srv.own_run_dir)
		remove_run_dir(srv.run_dir);
	g_free(srv.run_dir);
	g_free(srv.uicc_emu);
	g_free(srv.proxy_name);
	g_free(control);
	g_main_loop_unref(srv.loop);
	return status;
}
