/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * uicc-emu: the software UICC daemon (doc/uicc-transport.md).
 *
 *   uicc-emu [-v] SLOT... [run-script FILE]
 *   SLOT := --config CARD.ini [--state PATH] [--listen unix:PATH] [--vpcd HOST:PORT]
 *         | --slot config=CARD.ini[,state=PATH][,listen=unix:PATH][,vpcd=HOST:PORT]
 *
 * Each --config starts a slot; --state, --listen and --vpcd that follow it
 * belong to it.  run-script runs FILE against the single slot's card and exits.
 */
#define G_LOG_DOMAIN "uicc-emu"
#define G_LOG_USE_STRUCTURED 1

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "card/card.h"
#include "emu-card.h"
#include "simota/card_config.h"
#include "state/card-state.h"
#include "transport/run-script.h"
#include "transport/slot.h"
#include "transport/unix-server.h"
#include "transport/vpcd-client.h"

struct slot_spec {
	char *config;
	char *state;
	char *listen;              /* path, without "unix:" */
	char *vpcd;
	/* running */
	struct simota_card_config *cfg;
	struct uicc_card *card;
	struct uicc_slot *slot;
	struct uicc_unix_server *server;
	struct uicc_vpcd_client *vpcd_client;
};

static const char usage_text[] =
	"Usage: uicc-emu [-v] SLOT... [run-script FILE]\n"
	"  SLOT: --config CARD.ini [--state PATH] [--listen unix:PATH] [--vpcd HOST:PORT]\n"
	"     or --slot config=CARD.ini[,state=PATH][,listen=unix:PATH][,vpcd=HOST:PORT]\n"
	"  Each --config starts a slot; the --state/--listen/--vpcd after it are its own.\n"
	"  --state      card state file (default: CARD.ini with .ini replaced by .state)\n"
	"  --listen     serve the card on a unix socket (2-byte length frames)\n"
	"  --vpcd       connect the card to vsmartcard-vpcd (default port 35963)\n"
	"  run-script   run FILE's APDUs against the (single) card, print \"<data> <sw>\"\n"
	"  -v, --verbose  debug logs (APDU headers and status words, never data)\n"
	"See doc/uicc-transport.md and doc/card-config.md.\n";

static void slot_spec_free(struct slot_spec *s)
{
	uicc_vpcd_client_free(s->vpcd_client);
	uicc_unix_server_free(s->server);
	uicc_slot_free(s->slot);
	if (s->card)
		uicc_card_free(s->card);
	simota_card_config_free(s->cfg);
	g_free(s->config);
	g_free(s->state);
	g_free(s->listen);
	g_free(s->vpcd);
	g_free(s);
}

static bool set_once(char **field, const char *value, const char *what, GError **error)
{
	if (*field) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s given twice for one slot", what);
		return false;
	}
	*field = g_strdup(value);
	return true;
}

static bool set_slot_field(struct slot_spec *s, const char *name, const char *value, GError **error)
{
	if (!*value) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s: empty value", name);
		return false;
	}
	if (!strcmp(name, "state"))
		return set_once(&s->state, value, "--state", error);
	if (!strcmp(name, "vpcd"))
		return set_once(&s->vpcd, value, "--vpcd", error);
	if (!strcmp(name, "listen")) {
		if (!g_str_has_prefix(value, "unix:") || !value[5]) {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "--listen %s: expected unix:PATH", value);
			return false;
		}
		return set_once(&s->listen, value + 5, "--listen", error);
	}
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION, "unknown slot setting %s", name);
	return false;
}

/* --slot config=...,state=...,listen=...,vpcd=... */
static struct slot_spec *parse_slot_option(const char *arg, GError **error)
{
	struct slot_spec *s = g_new0(struct slot_spec, 1);
	char **items = g_strsplit(arg, ",", -1);
	bool ok = true;

	for (char **it = items; ok && *it; it++) {
		char *eq = strchr(*it, '=');

		if (!eq) {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "--slot %s: expected name=value items", arg);
			ok = false;
			break;
		}
		*eq = '\0';
		if (!strcmp(*it, "config"))
			ok = set_once(&s->config, eq + 1, "config", error);
		else
			ok = set_slot_field(s, *it, eq + 1, error);
	}
	g_strfreev(items);
	if (ok && !s->config) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--slot %s: config= missing", arg);
		ok = false;
	}
	if (!ok) {
		slot_spec_free(s);
		return NULL;
	}
	return s;
}

struct args {
	GPtrArray *slots;          /* struct slot_spec */
	char *script;
	bool verbose;
};

/* --config, --slot, or a slot setting (--state, --listen, --vpcd) of the last --config. */
static bool slot_arg(struct args *a, const char *name, const char *value, GError **error)
{
	struct slot_spec *s;

	if (!strcmp(name, "--config")) {
		s = g_new0(struct slot_spec, 1);
		s->config = g_strdup(value);
		g_ptr_array_add(a->slots, s);
		return true;
	}
	if (!strcmp(name, "--slot")) {
		s = parse_slot_option(value, error);
		if (s)
			g_ptr_array_add(a->slots, s);
		return s != NULL;
	}
	if (a->slots->len == 0) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s comes after the --config of its slot",
			    name);
		return false;
	}
	s = g_ptr_array_index(a->slots, a->slots->len - 1);
	return set_slot_field(s, name + 2, value, error);
}

static bool takes_value(const char *name)
{
	static const char *const opts[] = { "--config", "--slot", "--state", "--listen", "--vpcd", NULL };

	return g_strv_contains(opts, name);
}

/* One argument (and its value: "--name=value" or the next argument); *i moves past what it used. */
static bool parse_arg(int argc, char **argv, int *i, struct args *a, GError **error)
{
	const char *arg = argv[*i], *value = NULL;
	g_autofree char *name = g_strdup(arg);
	char *eq = g_str_has_prefix(arg, "--") ? strchr(name, '=') : NULL;

	if (eq) {
		*eq = '\0';
		value = arg + (eq - name) + 1;
	}
	if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
		fputs(usage_text, stdout);
		exit(0);
	}
	if (!strcmp(name, "--version")) {
		printf("uicc-emu %s\n", STKBRIDGE_VERSION);
		exit(0);
	}
	if (!strcmp(name, "-v") || !strcmp(name, "--verbose")) {
		a->verbose = true;
		return true;
	}
	if (!strcmp(name, "run-script")) {
		if (*i + 2 != argc) {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "run-script takes one FILE and comes last");
			return false;
		}
		a->script = g_strdup(argv[++*i]);
		return true;
	}
	if (!takes_value(name)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION, "unknown argument %s", arg);
		return false;
	}
	if (!value && *i + 1 >= argc) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s needs a value", name);
		return false;
	}
	if (!value)
		value = argv[++*i];
	return slot_arg(a, name, value, error);
}

/* run-script: one card, no links; the daemon: each slot has a link. */
static bool check_args(const struct args *a, GError **error)
{
	if (a->slots->len == 0) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "no --config given");
		return false;
	}
	if (a->script) {
		const struct slot_spec *s = g_ptr_array_index(a->slots, 0);

		if (a->slots->len != 1 || s->listen || s->vpcd) {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "run-script takes exactly one --config (and --state), no --listen/--vpcd");
			return false;
		}
		return true;
	}
	for (guint i = 0; i < a->slots->len; i++) {
		const struct slot_spec *s = g_ptr_array_index(a->slots, i);

		if (!s->listen && !s->vpcd) {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "slot %s: needs --listen unix:PATH and/or --vpcd HOST:PORT", s->config);
			return false;
		}
	}
	return true;
}

static bool parse_args(int argc, char **argv, struct args *a, GError **error)
{
	for (int i = 1; i < argc; i++)
		if (!parse_arg(argc, argv, &i, a, error))
			return false;
	return check_args(a, error);
}

static char *default_state_path(const char *config)
{
	if (g_str_has_suffix(config, ".ini"))
		return g_strdup_printf("%.*s.state", (int)(strlen(config) - 4), config);
	return g_strconcat(config, ".state", NULL);
}

/*
 * A config holding keys (OTA keysets, Milenage K and OPc, ADM1) must not be
 * readable by others (doc/card-config.md); say so, never print the keys.
 */
static void check_config_mode(const struct slot_spec *s)
{
	struct stat sb;
	bool has_keys = s->cfg->has_milenage || s->cfg->has_adm1;

	for (unsigned i = 0; i < s->cfg->n_keysets; i++)
		has_keys |= s->cfg->keysets[i].kic_key_len || s->cfg->keysets[i].kid_key_len;
	if (has_keys && stat(s->config, &sb) == 0 && (sb.st_mode & 077))
		g_warning("%s holds keys and is accessible by group or others (mode %04o); chmod 600 it",
			  s->config, (unsigned)(sb.st_mode & 07777));
}

static size_t card_reset(void *card, uint8_t *atr, size_t cap)
{
	return uicc_card_reset(card, atr, cap);
}

static void card_power_off(void *card)
{
	uicc_card_power_off(card);
}

static size_t card_transmit(void *card, const uint8_t *capdu, size_t len, uint8_t *rapdu, size_t cap)
{
	return uicc_card_transmit(card, capdu, len, rapdu, cap);
}

static bool open_card(struct slot_spec *s, GError **error)
{
	s->cfg = uicc_card_config_load(s->config, error);
	if (!s->cfg)
		return false;
	/* e.g. an applet of ours on a TAR of TS 101 220 Annex D: it works, but it should move */
	for (unsigned i = 0; i < s->cfg->warnings->len; i++)
		g_warning("%s", (const char *)s->cfg->warnings->pdata[i]);
	check_config_mode(s);
	if (!s->state)
		s->state = default_state_path(s->config);
	s->card = uicc_emu_card_new(s->cfg, s->state, error);
	return s->card != NULL;
}

static struct uicc_slot_card card_ops(struct slot_spec *s)
{
	return (struct uicc_slot_card){
		.card = s->card,
		.reset = card_reset,
		.power_off = card_power_off,
		.transmit = card_transmit,
	};
}

static int run_script(struct slot_spec *s, const char *file)
{
	struct uicc_slot_card ops = card_ops(s);
	GError *err = NULL;
	char *text;
	int ret;

	if (!strcmp(file, "-")) {
		GString *buf = g_string_new(NULL);
		char chunk[4096];
		size_t n;

		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
			g_string_append_len(buf, chunk, (gssize)n);
		text = g_string_free(buf, FALSE);
	} else if (!g_file_get_contents(file, &text, NULL, &err)) {
		fprintf(stderr, "uicc-emu: %s\n", err->message);
		g_error_free(err);
		return 2;
	}
	ret = uicc_run_script(&ops, file, text, stdout, stderr);
	g_free(text);
	return ret;
}

static gboolean on_quit_signal(gpointer loop)
{
	g_message("signal received, exiting");
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;
}

static bool start_slot(struct slot_spec *s, unsigned index, GError **error)
{
	struct uicc_slot_card ops = card_ops(s);
	char *name = g_strdup_printf("slot%u", index);

	s->slot = uicc_slot_new(name, &ops);
	g_free(name);
	if (s->listen) {
		s->server = uicc_unix_server_new(s->slot, s->listen, error);
		if (!s->server)
			return false;
	}
	if (s->vpcd)
		s->vpcd_client = uicc_vpcd_client_new(s->slot, s->vpcd);
	uicc_slot_log(s->slot, G_LOG_LEVEL_MESSAGE, "%s: card %s, state %s", uicc_slot_name(s->slot),
		      s->config, s->state);
	return true;
}

int main(int argc, char **argv)
{
	struct args a = { .slots = g_ptr_array_new_with_free_func((GDestroyNotify)slot_spec_free) };
	GError *err = NULL;
	GMainLoop *loop;
	int ret = 0;

	setlocale(LC_ALL, "");
	signal(SIGPIPE, SIG_IGN);
	if (!parse_args(argc, argv, &a, &err)) {
		fprintf(stderr, "uicc-emu: %s\n%s", err->message, usage_text);
		g_error_free(err);
		g_ptr_array_unref(a.slots);
		return 2;
	}
	if (a.verbose)
		g_log_set_debug_enabled(TRUE);

	for (guint i = 0; i < a.slots->len; i++) {
		if (!open_card(g_ptr_array_index(a.slots, i), &err)) {
			fprintf(stderr, "uicc-emu: %s\n", err->message);
			g_error_free(err);
			g_ptr_array_unref(a.slots);
			g_free(a.script);
			return 2;
		}
	}
	if (a.script) {
		ret = run_script(g_ptr_array_index(a.slots, 0), a.script);
		g_ptr_array_unref(a.slots);
		g_free(a.script);
		return ret;
	}

	loop = g_main_loop_new(NULL, FALSE);
	for (guint i = 0; i < a.slots->len; i++) {
		if (!start_slot(g_ptr_array_index(a.slots, i), i, &err)) {
			fprintf(stderr, "uicc-emu: %s\n", err->message);
			g_error_free(err);
			ret = 2;
			break;
		}
	}
	if (ret == 0) {
		guint term = g_unix_signal_add(SIGTERM, on_quit_signal, loop);
		guint intr = g_unix_signal_add(SIGINT, on_quit_signal, loop);

		g_message("ready: %u slot(s)", a.slots->len);
		g_main_loop_run(loop);
		g_source_remove(term);
		g_source_remove(intr);
	}
	/* closes the links, removes the sockets, powers the cards off */
	g_ptr_array_unref(a.slots);
	g_main_loop_unref(loop);
	return ret;
}
