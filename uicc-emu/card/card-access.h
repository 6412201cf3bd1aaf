/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the parts built on the card (OTA receiving entity, applets) reach:
 * its CAT runtime, state and config, and the hook that attaches them when a
 * card is created.
 */
#ifndef UICC_CARD_ACCESS_H
#define UICC_CARD_ACCESS_H

#include <glib.h>
#include <stdbool.h>

#include "card/card.h"
#include "state/card-state.h"
#include "toolkit/toolkit.h"

struct uicc_toolkit *uicc_card_toolkit(struct uicc_card *card);
struct uicc_card_state *uicc_card_state_of(struct uicc_card *card);
const struct simota_card_config *uicc_card_config_of(struct uicc_card *card);

/* Run by uicc_card_free() (last added first), e.g. to free an applet's data. */
bool uicc_card_add_cleanup(struct uicc_card *card, void (*fn)(void *data), void *data);

/*
 * card/extensions.c: called by uicc_card_new() once the file system, PINs
 * and toolkit exist; registers the OTA layer and the applets.  A failure
 * fails uicc_card_new().
 */
bool uicc_card_extensions_attach(struct uicc_card *card, GError **error);

#endif
