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
/*
 * libsimota's crypto context, shared by every card of the process (crypto.c);
 * NULL if OpenSSL cannot provide it.  Released with the card.
 */
struct simota_ota_crypto *uicc_card_crypto(struct uicc_card *card);
void uicc_card_crypto_release(struct uicc_card *card);
struct uicc_card_state *uicc_card_state_of(struct uicc_card *card);
const struct simota_card_config *uicc_card_config_of(struct uicc_card *card);

/* Run by uicc_card_free() (last added first), e.g. to free an applet's data. */
void uicc_card_add_cleanup(struct uicc_card *card, void (*fn)(void *data), void *data);

/*
 * An RFM applet's context (TS 102 226 §5): a selection context of its own
 * (one channel; the ME's channels, current files and GET RESPONSE data are
 * left alone), the file system df current at the start (DF_GSM: CLA A0
 * commands only; MF or ADF.USIM: the UICC classes), the access conditions
 * access (SIMOTA_CARD_ACCESS_*) held without VERIFY, PINs the script
 * verifies held until it is freed, and only the commands an RFM script may
 * hold (SELECT, STATUS, READ/UPDATE BINARY and RECORD, SEARCH RECORD,
 * INCREASE, (DE)ACTIVATE FILE, GET RESPONSE, the PIN commands; others: 6D 00).
 * NULL if the card lacks that DF.
 */
struct uicc_context;
struct uicc_context *uicc_card_rfm_context_new(struct uicc_card *card, enum simota_card_rfm_df df,
					       uint8_t access);
void uicc_card_context_free(struct uicc_context *ctx);
/* uicc_card_transmit() in that context (T=0 rules; never 91XX: the proactive session is the ME's). */
size_t uicc_card_context_transmit(struct uicc_card *card, struct uicc_context *ctx, const uint8_t *capdu,
				  size_t len, uint8_t *rapdu, size_t cap);

/*
 * What the commands run in an RFM context changed that a terminal may hold
 * a copy of (TS 102 223 §6.4.7): fn gets each full path (§8.18: 3F00, the
 * DFs, 7FFF for ADF.USIM, the EF) of each EF whose contents or life cycle
 * changed - its own and its aliases' (DF_GSM, DF_TELECOM show ADF.USIM's
 * bytes) - and whether the terminal reads that EF only when it activates
 * the UICC (EF_DIR: it selects its applications from it, TS 102 221
 * §13.1).  false when more EFs changed than the context keeps: fn did not
 * get them all.
 */
typedef void (*uicc_card_change_fn)(const uint8_t *path, size_t len, bool activation, void *user);
bool uicc_card_context_changes(struct uicc_card *card, const struct uicc_context *ctx, uicc_card_change_fn fn,
			       void *user);

#endif
