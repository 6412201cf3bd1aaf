/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the card config parser: what card_config.c shares with card_config_menu.c. */
#ifndef SIMOTA_CARD_CONFIG_INTERNAL_H
#define SIMOTA_CARD_CONFIG_INTERNAL_H

#include <glib.h>
#include <stdbool.h>

#include "simota/card_config.h"

struct cc_parser {
	GKeyFile *kf;
	const char *path;
	GError **error;
};

/* Sets the error "<file>: [<group>] <key>: <message>" (key NULL: no key); returns false. */
bool cc_fail(struct cc_parser *p, const char *group, const char *key, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
/* The value with an inline comment and surrounding blanks removed; NULL if absent (g_free). */
char *cc_get_value(struct cc_parser *p, const char *group, const char *key);
/* Rejects keys not in known (NULL-terminated) in group. */
bool cc_check_known_keys(struct cc_parser *p, const char *group, const char *const *known);

/* card_config_menu.c: [menu] and its [menu-item N] groups, after the TARs (items name them). */
bool cc_parse_menu(struct cc_parser *p, struct simota_card_config *cfg);
struct simota_card_menu *cc_menu_dup(const struct simota_card_menu *m);
void cc_menu_free(struct simota_card_menu *m);

#endif
