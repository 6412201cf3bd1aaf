/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network backend interface: how the plugin's sms and netreg atoms
 * reach a network.  A backend delivers MT TPDUs (SMS-DELIVER), takes the
 * device's report for each (RP-ACK / RP-ERROR with an optional
 * SMS-DELIVER-REPORT TPDU), submits MO TPDUs (SMS-SUBMIT) and reports
 * their outcome, and says whether the link is up (netreg: registered).
 *
 * Submits are queued while the link is down and sent again after a
 * reconnection until they get a report: none is lost (at-least-once).
 *
 * Backends: netsim.c (ota-test-server's southbound link, doc/netsim.md).
 */
#ifndef SB_NET_H
#define SB_NET_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct sb_net;

typedef void (*sb_net_state_cb)(struct sb_net *net, bool up, void *user);
/* An MT TPDU; answer it with sb_net_report(id, ...). */
typedef void (*sb_net_deliver_cb)(struct sb_net *net, uint32_t id, const uint8_t *tpdu, size_t len, void *user);
/* A submit's outcome: err (link gave up), else RP-ACK / RP-ERROR(cause) with the report TPDU, if any. */
typedef void (*sb_net_submit_cb)(const GError *err, bool rp_error, uint8_t cause, const uint8_t *tpdu,
				 size_t len, void *user);

struct sb_net *sb_net_new(const struct sb_net_addr *addr, const char *name, sb_net_state_cb cb, void *user);
void sb_net_free(struct sb_net *net);

/* Who this device is (HELLO): the card's ICCID and MSISDN (may be empty). */
void sb_net_set_identity(struct sb_net *net, const char *iccid, const char *msisdn);

/* Connects (and keeps reconnecting with backoff) / disconnects. */
void sb_net_start(struct sb_net *net);
void sb_net_stop(struct sb_net *net);
bool sb_net_is_up(const struct sb_net *net);

void sb_net_set_deliver_handler(struct sb_net *net, sb_net_deliver_cb cb, void *user);

/* The device's answer to DELIVER id: RP-ACK or RP-ERROR (RP-Cause), with a DELIVER-REPORT TPDU or none. */
void sb_net_report(struct sb_net *net, uint32_t id, bool rp_error, uint8_t cause, const uint8_t *tpdu,
		   size_t len);

/* Queues an SMS-SUBMIT TPDU.  owner groups submits for sb_net_cancel_owner(). */
void sb_net_submit(struct sb_net *net, const void *owner, const uint8_t *tpdu, size_t len, sb_net_submit_cb cb,
		   void *user);
/* Keeps owner's queued submits (they still go out) but drops their callbacks. */
void sb_net_cancel_owner(struct sb_net *net, const void *owner);

/* Counters for logs and tests. */
unsigned sb_net_pending_submits(const struct sb_net *net);

#endif
