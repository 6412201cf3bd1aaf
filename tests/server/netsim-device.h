/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A handset on ota-test-server's netsim link (doc/netsim.md), for tests
 * that run the server in another process: a unix-socket connection that
 * says HELLO with its card's ICCID and hands every SMS-DELIVER to a
 * uicc-emu card behind me-sim.c; the card's DELIVER-REPORTs and
 * SMS-SUBMITs go back up (set me->up.user to the device).  No main loop:
 * the test pumps the sockets.
 */
#ifndef NETSIM_DEVICE_H
#define NETSIM_DEVICE_H

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>

#include "me-sim.h"
#include "simota/netsim.h"

struct device {
	GSocket *sock;
	GByteArray *in;
	struct me_sim *me;
	bool drop_uplink;
	unsigned errors, submit_reports, pongs, delivers;
	uint8_t last_error;
	bool closed;
};

void device_send_frame(struct device *d, const struct simota_netsim_frame *f);
void device_send_raw(struct device *d, const void *p, size_t len);
/* me_sim_uplink callbacks (user: the device); nothing is sent while drop_uplink is set. */
void device_up_report(void *user, uint32_t id, bool rp_error, uint8_t cause, const uint8_t *tpdu,
		      size_t len);
void device_up_submit(void *user, const uint8_t *tpdu, size_t len);
/* Connects to the socket at path (retrying for 10 s) and says HELLO when iccid or msisdn is given. */
struct device *device_connect_as(const char *path, const char *iccid, const char *msisdn);
struct device *device_connect(const char *path, const char *iccid);
void device_free(struct device *d);
/* Reads and handles frames for up to ms, 0: those already there (DELIVERs go to the card). */
void device_pump(struct device *d, unsigned ms);
/* Handles every device's frames for ms (one poll over all their sockets), and the main context. */
void device_pump_many(struct device **d, unsigned n, unsigned ms);

#endif
