/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card side of vsmartcard's vpcd reader driver: the card connects to
 * vpcd's TCP port (pcscd's reader, default 127.0.0.1:35963) and serves the
 * slot over that link (doc/uicc-transport.md).  When vpcd is not there or
 * the link drops, it connects again with a backoff (250 ms doubling to 5 s).
 */
#ifndef UICC_VPCD_CLIENT_H
#define UICC_VPCD_CLIENT_H

#include <glib.h>
#include <stdint.h>

#include "transport/slot.h"

#define UICC_VPCD_DEFAULT_PORT 35963

struct uicc_vpcd_client;

/* host_port: "HOST:PORT", "HOST" (default port) or "[v6addr]:PORT".  Starts connecting at once. */
struct uicc_vpcd_client *uicc_vpcd_client_new(struct uicc_slot *slot, const char *host_port);
void uicc_vpcd_client_free(struct uicc_vpcd_client *vc);
/* True while the link to vpcd is up. */
bool uicc_vpcd_client_connected(const struct uicc_vpcd_client *vc);

#endif
