// SPDX-License-Identifier: GPL-2.0-or-later
/* The plugin's config file: see config.h and doc/plugin.md. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

void sb_uicc_addr_clear(struct sb_uicc_addr *a)
{
	g_free(a->path);
	a->path = NULL;
}

void sb_uicc_addr_copy(struct sb_uicc_addr *dst, const struct sb_uicc_addr *src)
{
	*dst = *src;
	dst->path = g_strdup(src->path);
}

void sb_net_addr_clear(struct sb_net_addr *a)
{
	g_free(a->host);
	g_free(a->path);
	a->host = a->path = NULL;
	a->kind = SB_NET_NONE;
}

static void modem_conf_free(gpointer p)
{
	struct sb_modem_conf *m = p;

	g_free(m->name);
	sb_uicc_addr_clear(&m->uicc);
	sb_net_addr_clear(&m->net);
	g_free(m);
}

void sb_config_free(struct sb_config *cfg)
{
	if (!cfg)
		return;
	g_ptr_array_unref(cfg->modems);
	g_ptr_array_unref(cfg->errors);
	g_ptr_array_unref(cfg->warnings);
	g_free(cfg);
}

static struct sb_config *config_new(void)
{
	struct sb_config *cfg = g_new0(struct sb_config, 1);

	cfg->modems = g_ptr_array_new_with_free_func(modem_conf_free);
	cfg->errors = g_ptr_array_new_with_free_func(g_free);
	cfg->warnings = g_ptr_array_new_with_free_func(g_free);
	return cfg;
}

/* A value without its inline comment (" # ...") and surrounding blanks. */
static char *clean_value(const char *raw)
{
	char *v = g_strdup(raw);

	for (char *p = v; *p; p++) {
		if (*p == '#' && (p == v || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	}
	return g_strstrip(v);
}

/* "qmi:PATH": a QMI modem's control device, opened through qmi-proxy (doc/plugin.md, doc/qmi.md). */
static bool parse_qmi(const char *value, char **path, const char **why)
{
#ifndef SB_HAVE_QMI
	*why = "this stkbridge was built without libqmi-glib (libqmi-glib-dev)";
	return false;
#endif
	if (value[4] != '/') {
		*why = "expected qmi:PATH with the modem's absolute device path (e.g. qmi:/dev/cdc-wdm0)";
		return false;
	}
	*path = g_strdup(value + 4);
	return true;
}

bool sb_config_parse_uicc(const char *value, struct sb_uicc_addr *addr, const char **why)
{
	memset(addr, 0, sizeof(*addr));
	if (g_str_has_prefix(value, "emu:")) {
		const char *rest = value + 4;

		if (!g_str_has_prefix(rest, "unix:")) {
			*why = "expected emu:unix:PATH";
			return false;
		}
		rest += 5;
		if (rest[0] != '/') {
			*why = "expected an absolute socket path after emu:unix:";
			return false;
		}
		addr->kind = SB_UICC_EMU;
		addr->path = g_strdup(rest);
		return true;
	}
	if (g_str_has_prefix(value, "pcsc:")) {
#ifdef SB_HAVE_PCSC
		/* the reader: its exact name, a prefix of it, or "*" (the first reader with a card) */
		if (!value[5]) {
			*why = "expected pcsc:READER (a reader name, a prefix of one, or *)";
			return false;
		}
		addr->kind = SB_UICC_PCSC;
		addr->path = g_strdup(value + 5);
		return true;
#else
		*why = "this stkbridge was built without pcsc-lite (libpcsclite-dev)";
		return false;
#endif
	}
	if (g_str_has_prefix(value, "qmi:")) {
		/* the modem's own SIM, through its firmware */
		addr->kind = SB_UICC_QMI;
		return parse_qmi(value, &addr->path, why);
	}
	*why = "unknown backend (expected emu:unix:PATH, pcsc:READER or qmi:PATH)";
	return false;
}

static bool parse_port(const char *s, guint16 *port)
{
	char *end = NULL;
	unsigned long v;

	if (!*s || !g_ascii_isdigit(*s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > 65535)
		return false;
	*port = (guint16)v;
	return true;
}

bool sb_config_parse_net(const char *value, struct sb_net_addr *addr, const char **why)
{
	const char *rest;

	memset(addr, 0, sizeof(*addr));
	if (g_str_has_prefix(value, "qmi:")) {
		addr->kind = SB_NET_QMI;
		return parse_qmi(value, &addr->path, why);
	}
	if (g_str_has_prefix(value, "at:")) {
		*why = "backend not available in this version (netsim:tcp:HOST:PORT, netsim:unix:PATH or qmi:PATH)";
		return false;
	}
	if (!g_str_has_prefix(value, "netsim:")) {
		*why = "unknown backend (expected netsim:tcp:HOST:PORT, netsim:unix:PATH or qmi:PATH)";
		return false;
	}
	rest = value + 7;
	if (g_str_has_prefix(rest, "unix:")) {
		rest += 5;
		if (rest[0] != '/') {
			*why = "expected an absolute socket path after netsim:unix:";
			return false;
		}
		addr->kind = SB_NET_NETSIM_UNIX;
		addr->path = g_strdup(rest);
		return true;
	}
	if (g_str_has_prefix(rest, "tcp:")) {
		const char *colon;
		guint16 port;

		rest += 4;
		colon = strrchr(rest, ':');
		if (!colon || colon == rest || !parse_port(colon + 1, &port)) {
			*why = "expected netsim:tcp:HOST:PORT with a port 1-65535";
			return false;
		}
		addr->kind = SB_NET_NETSIM_TCP;
		if (rest[0] == '[' && colon[-1] == ']')     /* [::1]:7890 */
			addr->host = g_strndup(rest + 1, (gsize)(colon - rest - 2));
		else
			addr->host = g_strndup(rest, (gsize)(colon - rest));
		addr->port = port;
		return true;
	}
	*why = "expected netsim:tcp:HOST:PORT or netsim:unix:PATH";
	return false;
}

/* The group becomes the modem's D-Bus object path "/NAME". */
static bool valid_modem_name(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && *s != '_')
			return false;
	return true;
}

static void add_msg(GPtrArray *a, const char *source, const char *group, const char *key, const char *fmt, ...)
	G_GNUC_PRINTF(5, 6);

static void add_msg(GPtrArray *a, const char *source, const char *group, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (key)
		g_ptr_array_add(a, g_strdup_printf("%s: [%s] %s: %s", source, group, key, msg));
	else
		g_ptr_array_add(a, g_strdup_printf("%s: [%s]: %s", source, group, msg));
	g_free(msg);
}

static void parse_group(struct sb_config *cfg, GKeyFile *kf, const char *source, const char *group)
{
	struct sb_modem_conf *m;
	gchar **keys;
	char *raw, *value;
	const char *why = NULL;

	if (!valid_modem_name(group)) {
		add_msg(cfg->errors, source, group, NULL,
			"modem name must be 1-64 letters, digits or '_' (it becomes the D-Bus path); modem skipped");
		return;
	}

	m = g_new0(struct sb_modem_conf, 1);
	m->name = g_strdup(group);

	raw = g_key_file_get_value(kf, group, "Uicc", NULL);
	if (!raw) {
		add_msg(cfg->errors, source, group, "Uicc", "missing (e.g. Uicc=emu:unix:/run/uicc-emu/card0.sock); modem skipped");
		modem_conf_free(m);
		return;
	}
	value = clean_value(raw);
	g_free(raw);
	if (!sb_config_parse_uicc(value, &m->uicc, &why)) {
		add_msg(cfg->errors, source, group, "Uicc", "'%s': %s; modem skipped", value, why);
		g_free(value);
		modem_conf_free(m);
		return;
	}
	g_free(value);

	raw = g_key_file_get_value(kf, group, "UiccMode", NULL);
	if (raw) {
		value = clean_value(raw);
		g_free(raw);
		if (m->uicc.kind != SB_UICC_PCSC)
			add_msg(cfg->warnings, source, group, "UiccMode", "only for pcsc: cards; ignored");
		else if (!strcmp(value, "shared") || !strcmp(value, "exclusive"))
			m->uicc.shared = !strcmp(value, "shared");
		else {
			add_msg(cfg->errors, source, group, "UiccMode", "'%s': expected shared or exclusive; modem skipped",
				value);
			g_free(value);
			modem_conf_free(m);
			return;
		}
		g_free(value);
	}
	raw = g_key_file_get_value(kf, group, "UiccTimeout", NULL);
	if (raw) {
		char *end = NULL;
		unsigned long secs;

		value = clean_value(raw);
		g_free(raw);
		errno = 0;
		secs = g_ascii_isdigit(value[0]) ? strtoul(value, &end, 10) : 0;
		if (errno || !end || *end || secs < 1 || secs > 120) {
			add_msg(cfg->errors, source, group, "UiccTimeout",
				"'%s': expected whole seconds 1-120; modem skipped", value);
			g_free(value);
			modem_conf_free(m);
			return;
		}
		m->uicc.timeout_ms = (unsigned)secs * 1000;
		g_free(value);
	}

	raw = g_key_file_get_value(kf, group, "Network", NULL);
	if (!raw) {
		add_msg(cfg->warnings, source, group, "Network",
			"missing: no network link, SMS and network registration unavailable");
	} else {
		value = clean_value(raw);
		g_free(raw);
		if (!sb_config_parse_net(value, &m->net, &why)) {
			add_msg(cfg->errors, source, group, "Network", "'%s': %s; modem skipped", value, why);
			g_free(value);
			modem_conf_free(m);
			return;
		}
		g_free(value);
	}

	/* the SIM is the modem's own: its firmware keeps SMS-PP data download (doc/qmi.md) */
	m->net.card_on_modem = m->uicc.kind == SB_UICC_QMI && m->net.kind == SB_NET_QMI &&
			       !g_strcmp0(m->uicc.path, m->net.path);

	keys = g_key_file_get_keys(kf, group, NULL, NULL);
	for (gchar **k = keys; k && *k; k++)
		if (strcmp(*k, "Uicc") && strcmp(*k, "Network") && strcmp(*k, "UiccMode") && strcmp(*k, "UiccTimeout"))
			add_msg(cfg->warnings, source, group, *k, "unknown key ignored");
	g_strfreev(keys);

	g_ptr_array_add(cfg->modems, m);
}

struct sb_config *sb_config_parse(const char *text, gsize len, const char *source)
{
	struct sb_config *cfg = config_new();
	GKeyFile *kf = g_key_file_new();
	GError *err = NULL;
	gchar **groups;

	if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &err)) {
		g_ptr_array_add(cfg->errors, g_strdup_printf("%s: %s", source, err->message));
		g_error_free(err);
		g_key_file_free(kf);
		return cfg;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (gchar **g = groups; *g; g++)
		parse_group(cfg, kf, source, *g);
	if (cfg->modems->len == 0 && cfg->errors->len == 0)
		g_ptr_array_add(cfg->warnings, g_strdup_printf("%s: no modem group", source));
	g_strfreev(groups);
	g_key_file_free(kf);
	return cfg;
}

struct sb_config *sb_config_load(const char *path)
{
	struct sb_config *cfg;
	GError *err = NULL;
	gchar *text = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &text, &len, &err)) {
		cfg = config_new();
		g_ptr_array_add(cfg->errors, g_strdup_printf("%s", err->message));
		g_error_free(err);
		return cfg;
	}
	cfg = sb_config_parse(text, len, path);
	g_free(text);
	return cfg;
}
