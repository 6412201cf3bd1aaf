/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the parts put on a card (struct uicc_card_part: the OTA receiving
 * entity, applets) reach: its CAT runtime, state and config, and a cleanup
 * run when the card is freed.
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
void uicc_card_add_cleanup(struct uicc_card *card, void (*fn)(void *data), void *data);

#endif
