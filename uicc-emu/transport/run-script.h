/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Offline mode: a file of command APDUs run against one card
 * (`uicc-emu --config CARD.ini run-script FILE`, doc/uicc-transport.md).
 */
#ifndef UICC_RUN_SCRIPT_H
#define UICC_RUN_SCRIPT_H

#include <stdio.h>

#include "transport/slot.h"

/*
 * Powers the card on, runs every line of text (name: for messages), prints
 * "<data hex> <sw>" (or "<sw>" when there is no data) per APDU to out.
 * Returns 0, 1 on the first status word mismatch, 2 on a malformed line;
 * the reason goes to err.
 */
int uicc_run_script(const struct uicc_slot_card *card, const char *name, const char *text, FILE *out, FILE *err);

#endif
