/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card's toolkit menu (doc/card-config.md "Menu"): a part of every card
 * whose config has a [menu] group.  After each TERMINAL PROFILE that has
 * SET UP MENU (TS 102 223 §5.2) it sends SET UP MENU (§6.4.8) with the
 * config's title and items (help available when an item has a help text).
 * A MENU SELECTION (envelope D3, §7.2):
 *   - with a help request (§7.2, tag 15): DISPLAY TEXT of the item's help;
 *   - for an item bound to an applet instance (applet=deferred@defe01): the
 *     selection is handed to that applet (its "Pending requests");
 *   - else the item's scripted session: its steps in order, DISPLAY TEXT,
 *     GET INPUT, SELECT ITEM, each step's answer usable as $N in the
 *     texts after it; "back" (§8.12, result 11) returns to the step before,
 *     anything but success ends the session.
 * Registered in the toolkit as "menu", after the applets (emu-card.c).
 */
#ifndef UICC_MENU_H
#define UICC_MENU_H

#include <glib.h>
#include <stdbool.h>

#include "card/card.h"

/* A struct uicc_card_part: nothing to do for a config without [menu]. */
bool uicc_menu_attach(struct uicc_card *card, GError **error);

#endif
