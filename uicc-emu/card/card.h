/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated UICC as a transport sees it: reset/ATR, power, and one
 * command APDU in, one response APDU (data + SW1 SW2) out (TS 102 221 §10,
 * T=0 semantics: case-4 commands answer 61XX and the data comes with GET
 * RESPONSE).  Never fails: malformed APDUs get the status word the spec
 * prescribes.
 */
#ifndef UICC_CARD_H
#define UICC_CARD_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/card_config.h"

#define UICC_MAX_RAPDU (256 + 2)

struct uicc_card;

/*
 * Something put on a new card once its file system, PINs and CAT runtime
 * exist: the OTA receiving entity, applets, a toolkit menu.  card/ knows
 * none of them; whoever creates the card lists them (uicc-emu's set:
 * emu-card.c).  attach() reaches the card through card/card-access.h and
 * registers with its toolkit; false (error set) fails uicc_card_new().
 */
struct uicc_card_part {
	const char *name;             /* for errors: "ota", "applets" */
	bool (*attach)(struct uicc_card *card, GError **error);
};

/*
 * state_path: where the card's persistent state lives (created if absent).
 * The parts are attached in their order (their toolkit registrations, and
 * so their PROFILE_DOWNLOAD handlers, run in that order).
 */
struct uicc_card *uicc_card_new(const struct simota_card_config *cfg, const char *state_path,
				const struct uicc_card_part *parts, size_t n_parts, GError **error);
void uicc_card_free(struct uicc_card *card);

/* Power on or warm reset: writes the ATR, returns its length. */
size_t uicc_card_reset(struct uicc_card *card, uint8_t *atr, size_t cap);
void uicc_card_power_off(struct uicc_card *card);

/* One APDU exchange; returns the response length (>= 2). */
size_t uicc_card_transmit(struct uicc_card *card, const uint8_t *capdu, size_t len,
			  uint8_t *rapdu, size_t cap);

#endif
