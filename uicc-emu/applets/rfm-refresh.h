/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The REFRESH a card owes its terminal once RFM scripts changed files the
 * terminal may hold a copy of (TS 102 223 §6.4.7; doc/rfm.md, "REFRESH
 * after a script").  One per card, shared by its RFM applets, registered in
 * the card's toolkit as "rfm-refresh" (PROFILE_DOWNLOAD: what is still owed
 * goes after the next TERMINAL PROFILE).
 *
 * What is owed is card state (group "rfm-refresh"): the changed EFs' full
 * paths as a File List (§8.18), "reset" (EF_DIR changed: only a UICC Reset
 * makes the terminal select its applications again), "full" (more files
 * than a File List can name), committed before the PoR that acknowledges
 * the script leaves.  The mode: UICC Reset (04) while "reset" is owed, NAA
 * Initialization and Full File Change Notification (00) when "full", else
 * File Change Notification (01) with the File List.
 */
#ifndef UICC_RFM_REFRESH_H
#define UICC_RFM_REFRESH_H

#include <glib.h>

#include "card/card-access.h"

struct rfm_refresh;

/* The card's (made and registered by the first RFM applet); NULL if the toolkit has no room. */
struct rfm_refresh *rfm_refresh_of(struct uicc_card *card, GError **error);

/*
 * After a script ran in ctx, in its invocation and after the applet wrote
 * its answer: records what the script changed, durably, and queues the
 * REFRESH when the terminal's profile has it (the PoR goes out first: the
 * command closes the envelope response, TS 143 019 §6.6).  A script that
 * changed nothing owes nothing.
 */
void rfm_refresh_owe(struct rfm_refresh *rr, struct uicc_tk_invocation *inv, struct uicc_context *ctx);

#endif
