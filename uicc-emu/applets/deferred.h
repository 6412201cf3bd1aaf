/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The deferred-response applet (the patent's A1; doc/protocol.md is the
 * authoritative protocol).  One instance per [tar] of the card config with
 * applet=deferred, registered in the card's toolkit as "deferred@<tar>" so
 * that the OTA receiving entity hands it that TAR's secured data.
 *
 * mode=deferred: C1 stores the transaction durably, answers the IR (ir=)
 * in the PoR, then opens the proactive session; the TERMINAL RESPONSE
 * becomes R1, stored durably; an MG (plain SEND SHORT MESSAGE, B1) goes to
 * the C1's SV1 address or the TAR's mg-address; C2 answers R2S; release
 * forgets.  mode=prior-art (Fig. 2 of the patent): no IR, no storage; after
 * the session the applet tries to answer R1 through the envelope response
 * handler, the toolkit refuses (TS 143 019 §6.6) and R1 is lost (logged as
 * a warning in domain "uicc-deferred").
 *
 * State: card state groups "deferred <tar> <txid>" (keys c1, state, r2s,
 * created), each change committed before the card answers.
 */
#ifndef UICC_DEFERRED_H
#define UICC_DEFERRED_H

#include <glib.h>
#include <stdbool.h>

#include "card/card.h"
#include "simota/card_config.h"

/* One instance for the [tar] tc of the card's config (applet=deferred). */
bool uicc_deferred_attach(struct uicc_card *card, const struct simota_card_tar *tc, GError **error);

#endif
