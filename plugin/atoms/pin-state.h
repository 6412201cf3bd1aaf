/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the card says of its PINs, over APDUs, for the sim atom (and its
 * unit tests, without ofonod):
 *
 * PIN1's state (query_passwd_state):
 *   VERIFY PIN1 without data (TS 102 221 §11.1.9)  9000 / 91XX    nothing wanted
 *                                                  63CX, X > 0    PIN1 wanted (X tries)
 *                                                  63C0 / 6983    blocked: ask UNBLOCK PIN
 *   UNBLOCK PIN1 without data (§11.1.13)           63C0           PIN and PUK blocked
 *                                                  else           the PUK wanted
 *
 * A card quirk seen on a real (software) UICC: 63CX to the empty VERIFY
 * although PIN1 is disabled (the PIN status template of ADF.USIM's FCP says
 * so, TS 102 221 §9.5.2) or was verified on that card since its reset (a
 * VERIFY or UNBLOCK PIN with data answered 9000 here).  Both are trusted
 * over the VERIFY: nothing wanted, and the disagreement is logged once per
 * card.
 *
 * Whether a PIN is enabled (query_facility_lock): the PIN status template
 * of ADF.USIM's FCP (SELECT 7FFF from the MF, TS 102 221 §8.4.2), which a
 * card answers also when the PIN was already verified.
 */
#ifndef SB_PIN_STATE_H
#define SB_PIN_STATE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "uicc/apdu-session.h"

#define SB_KEYREF_PIN1 0x01
#define SB_KEYREF_PIN2 0x81

/* Sends one command APDU to the card (sb_apdu_session_send's shape; the sim atom's goes through its modem). */
typedef void (*sb_apdu_send_fn)(void *target, const void *owner, const uint8_t *apdu, size_t len, sb_apdu_cb cb,
				void *user);

struct sb_apdu_sender {
	sb_apdu_send_fn send;
	void *target;
	const void *owner;            /* for cancelling (sb_apdu_session_cancel_owner) */
};

/* What the plugin knows of PIN1 on the card now in the reader; cleared when a card is reset. */
struct sb_pin1_card {
	bool verified;                /* a VERIFY / UNBLOCK PIN of PIN1 with data answered 9000 since the reset */
	bool quirk_logged;            /* the card's disagreement was logged */
};

enum sb_pin1_state {
	SB_PIN1_NONE,                 /* no PIN wanted */
	SB_PIN1_PIN,                  /* PIN1 wanted */
	SB_PIN1_PUK,                  /* PIN1 blocked, the PUK wanted */
	SB_PIN1_BLOCKED,              /* PIN1 and its PUK blocked */
	SB_PIN1_UNKNOWN,              /* the card answered sw, which says none of these */
};

/* err: the card could not be asked; else state, and the SW of the empty VERIFY (or of UNBLOCK PIN). */
typedef void (*sb_pin1_state_cb)(const GError *err, enum sb_pin1_state state, uint16_t sw, void *user);
/* 1 enabled, 0 disabled, -1 the card does not say; err: the card could not be asked. */
typedef void (*sb_pin_enabled_cb)(const GError *err, int enabled, uint16_t sw, void *user);

/* name: for the log line (the modem's). */
void sb_pin1_query_state(const struct sb_apdu_sender *tx, struct sb_pin1_card *card, const char *name,
			 sb_pin1_state_cb cb, void *user);

/* Whether the PIN with key reference keyref is enabled, from the PIN status template. */
void sb_pin_query_enabled(const struct sb_apdu_sender *tx, uint8_t keyref, sb_pin_enabled_cb cb, void *user);

/* What the answer sw to a PIN command with data (ins: VERIFY, UNBLOCK PIN, ...) on keyref says of PIN1. */
void sb_pin1_card_note(struct sb_pin1_card *card, uint8_t ins, uint8_t keyref, uint16_t sw);

#endif
