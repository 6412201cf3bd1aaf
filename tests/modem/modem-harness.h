/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The modem-emu tests' harness: a modem-emu process (with a uicc-emu SIM
 * it starts itself), a scripted netsim peer in this process playing the
 * network, and libqmi's QmiDevice opened through the proxy socket as any
 * libqmi program opens a modem (QMI_DEVICE_OPEN_FLAGS_PROXY), on a socket
 * name of its own (QMI_DEVICE_PROXY_PATH) so tests run side by side.
 * Every wait is for a state (a frame, an indication, a status value),
 * bounded by a timeout that fails the test.
 */
#ifndef MODEM_HARNESS_H
#define MODEM_HARNESS_H

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libqmi-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "simota/netsim.h"

#define MH_KIC_KEY "0123456789abcdeffedcba9876543210"
#define MH_KID_KEY "112233445566778899aabbccddeeff00"
#define MH_ICCID "89882390000000000017"
#define MH_MSISDN "+15550001"
#define MH_IMSI "001010123456789"
#define MH_SMSC "+15550000"

/* The scripted network (doc/netsim.md). */
struct mh_peer {
	GSocketService *svc;
	char *path;
	GSocketConnection *conn;
	GCancellable *cancel;
	GByteArray *in;
	uint8_t rbuf[4096];
	GQueue frames;            /* struct simota_netsim_frame * from the device, HELLOs aside */
	unsigned hellos;
	char iccid[21], msisdn[24];
	bool submit_rp_error;     /* how SUBMITs are answered */
	uint8_t submit_cause;
	uint32_t next_id;
};

struct mh {
	char *dir, *ini, *state, *ctl, *proxy;
	char *dev[2];
	unsigned n_modems;
	struct mh_peer peer;
	GSubprocess *emu;
	char *log;
	QmiDevice *qmi;
	GQueue inds;              /* QmiMessage * indications seen by qmi */
	guint16 next_tid;
};

/* A card config with keyset 1 (KIC/KID 15) and TAR defe01 (the deferred applet); pin may be NULL. */
char *mh_card_ini(const char *pin);

/* Temp dir, peer, modem-emu with n_modems modems (the first with card= at ini), QmiDevice on modem 0. */
void mh_start(struct mh *h, unsigned n_modems, const char *pin);
/* modem-emu again with the same config and state (after mh_kill9() or mh_stop_emu()). */
void mh_start_emu(struct mh *h);
/* The same without waiting for the SIM (only for the control socket). */
void mh_spawn_emu(struct mh *h);
void mh_kill9(struct mh *h);
void mh_stop(struct mh *h);

/* A QmiDevice on modem i through the proxy socket. */
QmiDevice *mh_open_device(struct mh *h, unsigned i);
QmiClient *mh_allocate(struct mh *h, QmiDevice *dev, QmiService service);
/* Releases client's CID and drops it. */
void mh_release(struct mh *h, QmiDevice *dev, QmiClient *client);

/* Runs the loop until *done or the timeout (then fails). */
void mh_run_until(bool *done, unsigned ms, const char *what);
/* An async result, awaited. */
GAsyncResult *mh_await(GAsyncResult **slot, unsigned ms, const char *what);
void mh_got_result(GObject *src, GAsyncResult *res, gpointer p);

/* One control command; its answer line (g_free). */
char *mh_control(struct mh *h, const char *cmd);
/* Polls status until modem i's member equals value. */
void mh_wait_status(struct mh *h, unsigned i, const char *member, const char *value);
/* Modem i's member as an integer. */
gint64 mh_status_int(struct mh *h, unsigned i, const char *member);
char *mh_status_str(struct mh *h, unsigned i, const char *member);   /* g_free */

/* A raw request on dev (tid chosen here); the response. */
QmiMessage *mh_command(struct mh *h, QmiDevice *dev, QmiMessage *req);
/* Waits for an indication of service/msgid carrying TLV tlv (0: any); it is removed from the queue. */
QmiMessage *mh_wait_indication(struct mh *h, uint8_t service, uint16_t msgid, uint8_t tlv, unsigned ms);

/* Peer. */
uint32_t mh_peer_deliver(struct mh_peer *p, const uint8_t *tpdu, size_t len);
/* The next frame of this type (and id unless 0) from the device. */
struct simota_netsim_frame *mh_peer_wait(struct mh_peer *p, uint8_t type, uint32_t id, unsigned ms);

/* An SMS-DELIVER TPDU: PID, DCS, user data octets (udhi for a header at their start). */
size_t mh_sms_deliver(uint8_t pid, uint8_t dcs, bool udhi, const uint8_t *ud, size_t len, uint8_t *out, size_t cap);
/* The secured command packet of deferred message msg_hex (SPI 1619, KIC/KID 15) to tar with cntr, as one SMS-DELIVER. */
size_t mh_secured_sms(const uint8_t tar[3], uint64_t cntr, const char *msg_hex, uint8_t *out, size_t cap);
/* The response packet of a DELIVER-REPORT TPDU: its status (0 = PoR OK) and the applet's data as hex. */
uint8_t mh_por(const uint8_t *report_tpdu, size_t len, char **data_hex);
/* The same from the response packet itself (02 71 00 ...). */
uint8_t mh_por_packet(const uint8_t *pkt, size_t len, char **data_hex);

uint8_t *mh_hex(const char *s, size_t *len);
char *mh_to_hex(const uint8_t *p, size_t len);

#endif
