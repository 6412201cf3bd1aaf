/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SMPP southbound link (doc/smpp.md): ota-test-server as an ESME of an
 * operator's SMSC (SMPP 3.4).  Each SMS of a command packet leaves as a
 * submit_sm to the card's MSISDN; the cards' SMS-SUBMITs (PoRs, MGs), PoRs
 * the SMSC forwards from RP-ACKs, and delivery receipts come back as
 * deliver_sm.  PDUs are libsmpp34's (smpp-pdu.c); the connection, the
 * binds, timers, the window of outstanding submit_sm, throttling and
 * reconnection with backoff run on GIO in the caller's main context.
 */
#ifndef OTS_SMPP_H
#define OTS_SMPP_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "links/smpp-config.h"

struct ots_engine;
struct ots_smpp;

/*
 * Adds the link to the engine (after the links already there) and starts
 * connecting.  cfg is copied.  sv2_address: the source address of the
 * submit_sm unless the config sets one.
 */
struct ots_smpp *ots_smpp_new(struct ots_engine *engine, const struct ots_smpp_config *cfg,
			      const char *sv2_address, GError **error);
/*
 * Unbinds every bound session (SMPP 3.4 §4.2), waits for the unbind_resp
 * (or the response timeout) and calls done once every connection is closed.
 * Nothing is sent after it.
 */
void ots_smpp_stop(struct ots_smpp *s, void (*done)(void *user), void *user);
/* Closes at once (no unbind) and removes the link from the engine. */
void ots_smpp_free(struct ots_smpp *s);

/* true when every session the bind mode needs is bound. */
bool ots_smpp_bound(struct ots_smpp *s);

/*
 * The link's southbound calls (engine.h struct ots_southbound) for a
 * benchmark that drives the link itself: an SMS-DELIVER for msisdn, and
 * the link's state as GET /v1/links shows it (counters "submitted",
 * "accepted"...).
 */
bool ots_smpp_send(struct ots_smpp *s, const char *msisdn, uint32_t msg_id, const uint8_t *tpdu,
		   size_t len);
JsonNode *ots_smpp_status(struct ots_smpp *s);

#endif
