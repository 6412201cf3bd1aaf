/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A unix stream socket serving one slot (doc/uicc-transport.md): clients are
 * served one at a time, in the order they connected; the others wait until
 * the current one closes.
 */
#ifndef UICC_UNIX_SERVER_H
#define UICC_UNIX_SERVER_H

#include <glib.h>

#include "transport/slot.h"

struct uicc_unix_server;

/*
 * Listens on path (mode 0600).  A stale socket left by a dead process is
 * replaced; a live one, or any other file, is an error.
 */
struct uicc_unix_server *uicc_unix_server_new(struct uicc_slot *slot, const char *path, GError **error);
/* Stops listening, closes the clients and removes the socket file. */
void uicc_unix_server_free(struct uicc_unix_server *srv);

#endif
