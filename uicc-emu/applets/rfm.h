/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The remote file management applet (ETSI TS 102 226 §5, 3GPP TS 31.116):
 * one instance per [tar] with applet=rfm, registered as "rfm@<tar>", on the
 * file system its rfm-df= names (the MF, DF_GSM with CLA A0 commands, or
 * ADF.USIM), holding the access conditions of its access= (doc/rfm.md).
 *
 * The secured data of a command packet is a script: the expanded format
 * when it starts with a command scripting template (AA definite, AE
 * indefinite: §5.2), the compact format otherwise (C-APDUs as T=0 TPDUs:
 * §5.1).  Each command runs in a context of the applet's own (one channel,
 * its own current files and PIN verifications: card-access.h), never
 * disturbing the ME's channels; a command whose status word is an error
 * ends the script (§5.1.1).  The PoR's additional data (§5.1.2, §5.2.2):
 * compact: commands executed, SW1 SW2 and data of the last one; expanded:
 * the count and every R-APDU, or the Bad Format TLV when the script could
 * not be parsed.  Each command commits what it changes before its status
 * word, so everything a PoR acknowledges is durable before it leaves.  A
 * script that changed files then owes the terminal a REFRESH, issued after
 * the PoR when the terminal profile has it (rfm-refresh.h, TS 102 223
 * §6.4.7).
 */
#ifndef UICC_RFM_H
#define UICC_RFM_H

#include <glib.h>
#include <stdbool.h>

#include "card/card.h"
#include "simota/card_config.h"

/*
 * What the PoR's additional data may hold: the applet's answer travels in
 * the envelope response (UICC_TK_MAX_RESPONSE, 255 bytes) inside a response
 * packet whose header, CC (8) and padding (up to 15, AES) take 39 of them.
 * A longer answer is cut here: the last command's data (compact) loses its
 * tail; an R-APDU (expanded) that does not fit loses its tail and the script
 * stops after that command.
 */
#define UICC_RFM_RESPONSE_MAX 216

/* One instance for the [tar] tc (applet=rfm). */
bool uicc_rfm_attach(struct uicc_card *card, const struct simota_card_tar *tc, GError **error);

#endif
