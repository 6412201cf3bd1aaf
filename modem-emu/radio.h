/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The radio: the netsim link to ota-test-server (doc/netsim.md, framing in
 * lib/simota/netsim.h).  Up while the modem is online, its radio enabled and
 * its SIM ready; HELLO with the SIM's ICCID and MSISDN (again when they
 * change); "attached" once HELLO-ACK came, which NAS reports as registered
 * on the home network.  A dropped link is connected again (250 ms doubling
 * to 5 s).  DELIVERs go to WMS; SUBMITs wait for their SUBMIT-REPORT (30 s).
 */
#ifndef MODEM_EMU_RADIO_H
#define MODEM_EMU_RADIO_H

#include "modem-emu.h"

struct me_radio *me_radio_new(struct me_modem *m);
void me_radio_free(struct me_radio *r);
/* Connects or disconnects as me_modem_radio_allowed() says; says HELLO again on new identities. */
void me_radio_update(struct me_radio *r);
bool me_radio_attached(const struct me_radio *r);
bool me_radio_configured(const struct me_radio *r);

/* error set: not sent (no link), or no report in time; else rp_error / cause from SUBMIT-REPORT. */
typedef void (*me_submit_cb)(const GError *error, bool rp_error, uint8_t cause, void *user);
/* An SMS-SUBMIT TPDU.  Without a link cb runs before this returns. */
void me_radio_submit(struct me_radio *r, const uint8_t *tpdu, size_t len, me_submit_cb cb, void *user);
/* DELIVER-REPORT for DELIVER id (dropped when the link that carried it is gone). */
void me_radio_report(struct me_radio *r, uint32_t id, bool rp_error, uint8_t cause, const uint8_t *tpdu,
		     size_t len);

unsigned me_radio_delivers(const struct me_radio *r);
unsigned me_radio_submits(const struct me_radio *r);

#endif
