/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One reader link (a unix socket client, or our TCP link to vpcd) serving a
 * slot: reads frames, hands them to the slot, writes the replies.  Strictly
 * request/reply, in order, on the GLib main loop.
 */
#ifndef UICC_CONN_H
#define UICC_CONN_H

#include <gio/gio.h>

#include "transport/slot.h"

struct uicc_conn;

/* Called once when the peer closes the link or breaks the protocol (not after uicc_conn_close). */
typedef void (*uicc_conn_closed_fn)(struct uicc_conn *conn, void *user_data);

/* Attaches a reader to the slot and starts reading.  The caller owns one reference. */
struct uicc_conn *uicc_conn_new(GIOStream *stream, struct uicc_slot *slot, const char *peer,
				uicc_conn_closed_fn closed, void *user_data);
/* Closes the link (idempotent) without calling the closed callback. */
void uicc_conn_close(struct uicc_conn *conn);
struct uicc_conn *uicc_conn_ref(struct uicc_conn *conn);
void uicc_conn_unref(struct uicc_conn *conn);
const char *uicc_conn_peer(const struct uicc_conn *conn);

#endif
