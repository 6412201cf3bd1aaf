/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The APDU session over one UICC transport, under the card service's APDU
 * implementation (apdu.c): it sends one command at a time, in order, in the
 * form the protocol the transport negotiated needs, and completes the T=0
 * exchanges a command needs (TS 102 221 §7.3.1.1, §7.4.2).
 *
 * Commands are queued as ISO/IEC 7816-4 §5.1 writes them (short lengths):
 *   case 1  CLA INS P1 P2             case 3  CLA INS P1 P2 Lc data
 *   case 2  CLA INS P1 P2 Le          case 4  CLA INS P1 P2 Lc data Le
 * On T=1 they go as written.  On T=0 (ISO/IEC 7816-3 §12.2) a case-1
 * command goes with P3 = 00 and a case-4 command without its Le (the data
 * comes by 61XX / GET RESPONSE); T=0 exchanges:
 *   61XX → GET RESPONSE with Le XX (repeated while 61XX), the data joined;
 *   6CXX → the same command again with Le XX;
 *   62XX/63XX without data on ENVELOPE or SELECT → GET RESPONSE for the
 *         data that goes with the warning (§7.3.1.1.5), the warning kept
 *         as the final SW;
 * and on either protocol
 *   91XX → the command succeeded; the proactive hook is told a command of
 *         XX bytes waits (the owner FETCHes it with sb_apdu_session_fetch()).
 * Callers get the final SW and all the response data.
 *
 * Bounds against a misbehaving card (each logged once, the session goes on):
 *   - a chain of GET RESPONSE / re-sends longer than 64 rounds or 64 KiB;
 *   - more than 256 data bytes in one answer to a short APDU (oversized);
 *   - more than SB_APDU_MAX_PROACTIVE_RUN proactive commands announced
 *     since the card last ended a proactive session (TERMINAL RESPONSE
 *     answered 9000, TS 102 223 §6.2) or answered an ENVELOPE: the hook is
 *     no longer told (no FETCH loop) until the card does one of those.
 *     A command announced again before it is FETCHed counts once.
 */
#ifndef SB_APDU_SESSION_H
#define SB_APDU_SESSION_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "card/uicc.h"

#define SB_APDU_MAX_PROACTIVE_RUN 64

struct sb_apdu_session;

/* err NULL: the card answered sw (after the T=0 exchanges) with data. */
typedef void (*sb_apdu_cb)(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user);
/* The card has a proactive command of len bytes waiting (SW 91XX). */
typedef void (*sb_apdu_proactive_cb)(unsigned len, void *user);

struct sb_apdu_session *sb_apdu_session_new(struct sb_uicc *uicc, unsigned timeout_ms);
/* Queued commands are dropped without their callbacks. */
void sb_apdu_session_free(struct sb_apdu_session *s);

void sb_apdu_session_set_proactive_cb(struct sb_apdu_session *s, sb_apdu_proactive_cb cb, void *user);

/*
 * Queues a command APDU as ISO/IEC 7816-4 §5.1 writes it (above); the
 * session makes of it what the negotiated protocol requires.  owner groups
 * requests for sb_apdu_session_cancel_owner() (may be NULL).
 */
void sb_apdu_session_send(struct sb_apdu_session *s, const void *owner, const uint8_t *apdu, size_t len,
			  sb_apdu_cb cb, void *user);

/*
 * Queues a command ahead of the other queued commands.  Called from the
 * callback of the previous command of a sequence (SELECT, then READ or
 * UPDATE), it is the next command on the wire: no other owner's SELECT can
 * come in between and change the current file (TS 102 221 §8.4).  Only a
 * FETCH the callback's 91XX announced may go first (it selects nothing).
 */
void sb_apdu_session_send_next(struct sb_apdu_session *s, const void *owner, const uint8_t *apdu, size_t len,
			       sb_apdu_cb cb, void *user);

/* Queues FETCH (80 12 00 00 len) ahead of the other queued commands. */
void sb_apdu_session_fetch(struct sb_apdu_session *s, const void *owner, unsigned len, sb_apdu_cb cb,
			   void *user);

/* Drops owner's queued requests; its request on the wire completes without its callback. */
void sb_apdu_session_cancel_owner(struct sb_apdu_session *s, const void *owner);

/* Fails every queued and running request with err (card gone). */
void sb_apdu_session_fail_all(struct sb_apdu_session *s, const GError *err);

#endif
