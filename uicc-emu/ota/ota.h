/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card's OTA receiving entity (ETSI TS 102 225 §5, 3GPP TS 31.115 §4,
 * TS 31.111 §7.1.1): it claims the SMS-PP DOWNLOAD envelope (D1), takes the
 * secured command packet out of the SMS-DELIVER (UDH IEI 70, concatenated
 * segments reassembled across envelopes), checks it against the card's
 * config (TAR, keysets, minimum security level, counter), runs the TAR's
 * applet on the secured data (UICC_TK_EVENT_FORMATTED_SMS_PP, nested
 * invocation) and sends the PoR the SPI asks for: in the envelope's response
 * data (SMS-DELIVER-REPORT) or in a proactive SEND SHORT MESSAGE (SMS-SUBMIT
 * with UDH 71 to the originating address), kept until the terminal has sent
 * it (ota-por-kept.c).
 *
 * Checks, in this order, with the PoR status each gives (TS 102 225 §5.2.2):
 *   header unreadable (CPL/CHL inconsistent)              06
 *   TAR not configured, or its applet not registered      09
 *   SPI weaker than the TAR's minimum security level      0A
 *   KVN (b8-b5 of KIc / KID) with no keyset on the card,
 *   or the SPI's algorithm/key not available in it        06
 *   keyset not among the TAR's allowed keysets            0A
 *   deciphering / padding                                 05
 *   RC/CC                                                 01
 *   PoR by SMS-SUBMIT asked, 8 already waiting            (no PoR: 9300)
 *   counter (SPI1 b5b4 "higher" / "one higher")           02 03 04
 * The counter is checked after the RC/CC has verified: a forged packet must
 * not move (or block) the counter.  An accepted counter is then committed to
 * the card state before anything else happens (applet, PoR), or, for an
 * applet that shares its commit (uicc_ota_instance_shares_commit), with the
 * applet's first commit, at the latest when its answer closes: in both cases
 * before the PoR and the envelope's status leave the card; a counter that
 * cannot be committed gives 9300 and nothing else.  A counter of mode "no
 * replay check" is not stored.  Error PoRs go plain (no RC/CC,
 * unciphered), whatever SPI2 asks: a signed error PoR would let whoever
 * sends chosen packets collect MACs under the card's key.
 *
 * Applets are found by name: "<applet>@<tar hex>" first (one instance per
 * TAR, as the deferred applet registers itself), then "<applet>".
 */
#ifndef UICC_OTA_H
#define UICC_OTA_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/card_config.h"
#include "simota/sms.h"

#include "card/card.h"
#include "toolkit/toolkit.h"

/* Card state group and key of a keyset's counter: [ota] counter-<KVN>=<u64>. */
#define UICC_OTA_STATE_GROUP "ota"

/*
 * Registers the OTA receiving entity with the card's toolkit (it claims
 * SMS-PP DOWNLOAD) and prepares every keyset's keys once: a struct
 * uicc_card_part, attached before the applets it calls (emu-card.c).  A
 * config without any [keyset] or [tar] gets no receiving entity (nothing
 * could be accepted; SMS-PP DOWNLOAD stays free for another applet).
 */
bool uicc_ota_attach(struct uicc_card *card, GError **error);

/*
 * The applet (an instance registered with uicc_ota_register_instance) lets
 * the counter of the packet that invokes it go to disk with its own first
 * commit of the card state, instead of in a commit of its own before the
 * applet runs: one durable write per envelope instead of two.  The counter is
 * still durable before anything that follows from the packet leaves the card:
 * if the applet has not committed when its answer closes, the entity commits
 * then; if that commit fails, the card state goes back to what it was before
 * the packet, neither the PoR nor what the applet wrote is sent, and the
 * envelope gets 9300, as when the counter's own commit fails.
 *
 * Only for an applet that, until a commit of its own has succeeded, changes
 * nothing but the card state (what it changed there is undone with the
 * counter) and issues no proactive command (one queued cannot be taken
 * back); and that reacts to its own failed commit as it would to a failed
 * commit after a durable counter (the entity then commits the counter alone).
 * A card without OTA entity ignores the call.
 */
void uicc_ota_instance_shares_commit(struct uicc_card *card, const struct uicc_tk_applet *applet);

/* The live counter of keyset kvn (state file, else the config's initial value). */
bool uicc_ota_counter(struct uicc_card *card, uint8_t kvn, uint64_t *out);

/* "deferred@defe01": the toolkit name of an applet instance bound to one TAR. */
#define UICC_OTA_INSTANCE_NAME_MAX 32
void uicc_ota_instance_name(const char *applet, const uint8_t tar[3], char out[UICC_OTA_INSTANCE_NAME_MAX]);
/*
 * Registers the applet instance of [tar] tc under that name in the card's
 * toolkit, claiming FORMATTED_SMS_PP; NULL (error set, naming the TAR) when
 * the toolkit takes no more applets.
 */
struct uicc_tk_applet *uicc_ota_register_instance(struct uicc_card *card, const struct simota_card_tar *tc,
						  uicc_tk_process_fn process, void *user_data, GError **error);

#endif
