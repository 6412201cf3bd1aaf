/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plugin's configuration file (/etc/ofono/stkbridge.conf, or the path in
 * $STKBRIDGE_CONFIG): one GKeyFile group per modem (doc/plugin.md):
 *
 *   [modem0]
 *   Uicc=emu:unix:/run/uicc-emu/card0.sock   # or pcsc:READER (exact, prefix or *)
 *   UiccMode=exclusive                       # pcsc only: exclusive (default) or shared
 *   UiccTimeout=5                            # seconds an APDU may take (1-120, default 5)
 *   Network=netsim:tcp:127.0.0.1:7890        # or netsim:unix:PATH
 *
 * Parsing only: no oFono calls, so the parser can be unit-tested.  A group
 * with a missing or wrong entry is left out and gets one error line naming
 * the group and the key; the other groups are still returned.
 */
#ifndef SB_CONFIG_H
#define SB_CONFIG_H

#include <glib.h>
#include <stdbool.h>

#include "card/card.h"

/* struct sb_uicc_addr, the Uicc= entry: card/card.h */

enum sb_net_kind {
	SB_NET_NONE,            /* no Network key: sms and netreg stay unregistered */
	SB_NET_NETSIM_TCP,
	SB_NET_NETSIM_UNIX,
};

struct sb_net_addr {
	enum sb_net_kind kind;
	char *host;             /* NETSIM_TCP */
	guint16 port;           /* NETSIM_TCP */
	char *path;             /* NETSIM_UNIX */
};

struct sb_modem_conf {
	char *name;             /* the group name, e.g. "modem0" */
	struct sb_uicc_addr uicc;
	struct sb_net_addr net;
};

struct sb_config {
	GPtrArray *modems;      /* struct sb_modem_conf * */
	GPtrArray *errors;      /* char *: "[modem1] Uicc: ..." */
	GPtrArray *warnings;    /* char * */
};

/* Parses the text of a config file; source names it in messages. Never NULL. */
struct sb_config *sb_config_parse(const char *text, gsize len, const char *source);
/* Reads and parses path; a missing or unreadable file is one error. */
struct sb_config *sb_config_load(const char *path);
void sb_config_free(struct sb_config *cfg);

/* "emu:unix:PATH" | "pcsc:READER" → addr; false with *why set (static string) on error. */
bool sb_config_parse_uicc(const char *value, struct sb_uicc_addr *addr, const char **why);
/* "netsim:tcp:HOST:PORT" | "netsim:unix:PATH" → addr. */
bool sb_config_parse_net(const char *value, struct sb_net_addr *addr, const char **why);

void sb_uicc_addr_clear(struct sb_uicc_addr *a);
void sb_uicc_addr_copy(struct sb_uicc_addr *dst, const struct sb_uicc_addr *src);
void sb_net_addr_clear(struct sb_net_addr *a);

#endif
