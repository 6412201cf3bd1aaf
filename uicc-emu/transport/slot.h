/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A slot: one card as its readers see it.  It turns reader frames (control
 * messages and command APDUs, simota/vpcd.h) into card operations and
 * reply frames, and keeps the power state and the ATR.  No I/O: the unix
 * socket server and the vpcd client feed it.
 *
 * The card is reached through struct uicc_slot_card so transports can be
 * tested with a stand-in card; the daemon wraps a struct uicc_card in it.
 */
#ifndef UICC_SLOT_H
#define UICC_SLOT_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/vpcd.h"

#define UICC_MAX_ATR 33

struct uicc_slot_card {
	void *card;
	size_t (*reset)(void *card, uint8_t *atr, size_t cap);
	void (*power_off)(void *card);
	size_t (*transmit)(void *card, const uint8_t *capdu, size_t len, uint8_t *rapdu, size_t cap);
};

struct uicc_slot;

/* name: for logs ("slot0").  The card is reset once here to learn its ATR, then left off. */
struct uicc_slot *uicc_slot_new(const char *name, const struct uicc_slot_card *card);
void uicc_slot_free(struct uicc_slot *slot);
const char *uicc_slot_name(const struct uicc_slot *slot);
bool uicc_slot_powered(const struct uicc_slot *slot);

/*
 * One frame from a reader.  A reply frame (header included), if the frame
 * asks for one, is appended to out: the ATR for GET ATR, the response APDU
 * for a command APDU; power off/on and reset have none.  An APDU while the
 * card is off powers it on first.  The card is a T=0 card: a command shorter
 * than CLA INS P1 P2 P3 is answered 6700 without reaching it (ISO/IEC 7816-3
 * §12.2.2).  Returns false for an INVALID frame (empty payload, unknown
 * control byte): the caller drops the link.
 */
bool uicc_slot_handle_frame(struct uicc_slot *slot, const struct simota_vpcd_frame *frame, GByteArray *out);

/* Readers attached (connections); when the last one leaves the card is powered off. */
void uicc_slot_reader_attach(struct uicc_slot *slot);
void uicc_slot_reader_detach(struct uicc_slot *slot);

/* Structured log line with the slot's name in the UICC_SLOT field. */
#define uicc_slot_log(slot, level, ...) \
	g_log_structured(G_LOG_DOMAIN, (level), "UICC_SLOT", uicc_slot_name(slot), \
			 "MESSAGE", __VA_ARGS__)

#endif
