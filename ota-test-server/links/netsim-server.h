/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The netsim southbound link: ota-test-server plays SMSC and radio for
 * test devices (doc/netsim.md).  Devices connect over TCP or a unix
 * socket, say which card they serve (HELLO), and exchange framed TPDUs.
 * It is the engine's southbound: SMS-DELIVERs go down to the device that
 * serves the card; DELIVER-REPORTs and SMS-SUBMITs come up to the engine.
 * A broken frame gets an ERROR frame; only an unparseable length closes
 * that device's link; other devices are never affected.
 */
#ifndef OTS_NETSIM_SERVER_H
#define OTS_NETSIM_SERVER_H

#include <glib.h>
#include <stdint.h>

struct ots_engine;
struct ots_netsim;

/* listen: "tcp:HOST:PORT" (PORT 0: any) or "unix:PATH". */
struct ots_netsim *ots_netsim_new(struct ots_engine *engine, const char *listen, GError **error);
void ots_netsim_free(struct ots_netsim *ns);
/* The bound TCP port (useful with port 0), 0 for a unix socket. */
uint16_t ots_netsim_port(struct ots_netsim *ns);
unsigned ots_netsim_device_count(struct ots_netsim *ns);

#endif
