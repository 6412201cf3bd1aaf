/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The UICC transport interface: how the card service's APDU implementation
 * (apdu.c) reaches a card.  A transport connects, powers the card on and
 * reads its ATR, transmits one command APDU at a time (the caller,
 * apdu-session.c, serializes them) and reports when the card goes away.
 * Everything is asynchronous on the GLib main loop; no callback runs from
 * inside the call that started the operation.
 *
 * Transports: emu.c (uicc-emu over its unix socket), pcsc.c (a PC/SC reader
 * through pcsc-lite, doc/pcsc.md).  Errors are the card service's
 * (SB_CARD_ERROR, card.h).
 */
#ifndef SB_UICC_H
#define SB_UICC_H

#include <gio/gio.h>
#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "card/card.h"

struct sb_uicc;

/*
 * The transmission protocol the card and its reader agreed on (ISO/IEC
 * 7816-3): it decides how a command goes on the wire (apdu-session.c).
 */
enum sb_uicc_protocol {
	SB_UICC_T0,                 /* character protocol: every command TPDU has P3 (§12.2) */
	SB_UICC_T1,                 /* block protocol: the APDU as ISO/IEC 7816-4 §5.1 writes it */
};

/* err NULL: success; resp is the response APDU (data then SW1 SW2, len >= 2). */
typedef void (*sb_uicc_apdu_cb)(const GError *err, const uint8_t *resp, size_t len, void *data);
/* err NULL: card powered, atr holds its ATR. */
typedef void (*sb_uicc_atr_cb)(const GError *err, const uint8_t *atr, size_t len, void *data);
/* The link to the card dropped (daemon gone, reader emptied). */
typedef void (*sb_uicc_lost_cb)(const GError *why, void *data);
/* A card is there again (reader events): a good moment to power_on (optional). */
typedef void (*sb_uicc_present_cb)(void *data);

struct sb_uicc_ops {
	const char *name;
	void (*power_on)(struct sb_uicc *u, sb_uicc_atr_cb cb, void *data);
	void (*transmit)(struct sb_uicc *u, const uint8_t *apdu, size_t len, unsigned timeout_ms,
			 sb_uicc_apdu_cb cb, void *data);
	void (*power_off)(struct sb_uicc *u);
	void (*destroy)(struct sb_uicc *u);
};

struct sb_uicc {
	const struct sb_uicc_ops *ops;
	char *description;            /* for logs: "emu:unix:/run/..." */
	enum sb_uicc_protocol protocol; /* set by the backend before its ATR callback */
	sb_uicc_lost_cb lost;
	void *lost_data;
	sb_uicc_present_cb present;
	void *present_data;
};

/* The backend the address names.  Never NULL (connecting happens in power_on). */
struct sb_uicc *sb_uicc_new(const struct sb_uicc_addr *addr);
struct sb_uicc *sb_uicc_emu_new(const char *socket_path);
/* reader: exact name, prefix or "*"; shared: SCARD_SHARE_SHARED, else EXCLUSIVE. */
struct sb_uicc *sb_uicc_pcsc_new(const char *reader, bool shared);

void sb_uicc_set_lost_handler(struct sb_uicc *u, sb_uicc_lost_cb cb, void *data);

/*
 * For backends: hands err (taken) to atr_cb, or to apdu_cb when atr_cb is
 * NULL, from the main loop and never from inside the call that found it;
 * dropped if alive is cancelled by then (the backend was freed).
 */
void sb_uicc_fail_later(GCancellable *alive, sb_uicc_atr_cb atr_cb, sb_uicc_apdu_cb apdu_cb,
			void *data, GError *err);
void sb_uicc_set_present_handler(struct sb_uicc *u, sb_uicc_present_cb cb, void *data);

static inline void sb_uicc_power_on(struct sb_uicc *u, sb_uicc_atr_cb cb, void *data)
{
	u->ops->power_on(u, cb, data);
}

static inline void sb_uicc_transmit(struct sb_uicc *u, const uint8_t *apdu, size_t len, unsigned timeout_ms,
				    sb_uicc_apdu_cb cb, void *data)
{
	u->ops->transmit(u, apdu, len, timeout_ms, cb, data);
}

/* Closes the link; an outstanding APDU fails with SB_CARD_ERROR_ABSENT (later, from the main loop). */
static inline void sb_uicc_power_off(struct sb_uicc *u)
{
	u->ops->power_off(u);
}

void sb_uicc_free(struct sb_uicc *u);

#endif
