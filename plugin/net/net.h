/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network backend interface: how the plugin's sms and netreg atoms
 * reach a network.  A backend delivers MT TPDUs (SMS-DELIVER), takes the
 * device's report for each (RP-ACK / RP-ERROR with an optional
 * SMS-DELIVER-REPORT TPDU), submits MO TPDUs (SMS-SUBMIT) and reports
 * their outcome, and says where the modem stands (registration, operator,
 * signal).
 *
 * net.c holds what every backend shares: the submit queue.  Submits wait
 * while the network is down and are sent again after a reconnection until
 * they get a report: none is lost (at-least-once, the network may see one
 * twice).  A backend only moves bytes (struct sb_net_ops) and tells net.c
 * what happened (the sb_net_backend_* calls below).
 *
 * Backends: netsim.c (ota-test-server's southbound link, doc/netsim.md),
 * qmi.c (a QMI modem through libqmi: WMS and NAS, doc/plugin.md).
 */
#ifndef SB_NET_H
#define SB_NET_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct sb_net;

/* 27.007 +CREG <stat> values, as oFono's netreg atom takes them. */
enum sb_net_status {
	SB_NET_NOT_REGISTERED = 0,
	SB_NET_REGISTERED = 1,
	SB_NET_SEARCHING = 2,
	SB_NET_DENIED = 3,
	SB_NET_UNKNOWN = 4,
	SB_NET_ROAMING = 5,
};

/* Where the modem stands on its network (what oFono's NetworkRegistration shows). */
struct sb_net_reg {
	enum sb_net_status status;
	char mcc[4], mnc[4];        /* the serving network; empty: not known (netreg uses the SIM's) */
	char name[64];              /* the operator's name as the network gives it; empty: not known */
	int strength;               /* 0-100 %, -1: not known */
	int tech;                   /* 27.007 <AcT>: 0 GSM, 2 UTRAN, 7 E-UTRAN; -1 not known */
};

typedef void (*sb_net_state_cb)(struct sb_net *net, bool up, void *user);
/* An MT TPDU; answer it with sb_net_report(id, ...). */
typedef void (*sb_net_deliver_cb)(struct sb_net *net, uint32_t id, const uint8_t *tpdu, size_t len, void *user);
/* A submit's outcome: err (link gave up), else RP-ACK / RP-ERROR(cause) with the report TPDU, if any. */
typedef void (*sb_net_submit_cb)(const GError *err, bool rp_error, uint8_t cause, const uint8_t *tpdu,
				 size_t len, void *user);

/* What a backend does; be is what its create() returned. */
struct sb_net_ops {
	const char *kind;                                      /* "netsim", "qmi": for logs */
	void *(*create)(struct sb_net *net, const struct sb_net_addr *addr);
	void (*destroy)(void *be);
	void (*set_identity)(void *be, const char *iccid, const char *msisdn);
	void (*start)(void *be);                               /* connect, and keep reconnecting */
	void (*stop)(void *be);
	/* Sends submit id; its outcome comes back through sb_net_backend_submit_done() or _requeue(). */
	void (*send_submit)(void *be, uint32_t id, const uint8_t *tpdu, size_t len);
	/* The device's report for MT message id. */
	void (*report)(void *be, uint32_t id, bool rp_error, uint8_t cause, const uint8_t *tpdu, size_t len);
	/* The registration as the backend knows it (status when up; net.c handles "down"). */
	void (*get_reg)(void *be, struct sb_net_reg *out);
};

extern const struct sb_net_ops sb_net_netsim_ops;
extern const struct sb_net_ops sb_net_qmi_ops;

/* state cb: the link went up or down, or what sb_net_get_reg() gives changed. */
struct sb_net *sb_net_new(const struct sb_net_ops *ops, const struct sb_net_addr *addr, const char *name,
			  sb_net_state_cb cb, void *user);
void sb_net_free(struct sb_net *net);

/* Who this device is (netsim HELLO): the card's ICCID and MSISDN (may be empty). */
void sb_net_set_identity(struct sb_net *net, const char *iccid, const char *msisdn);

/* Connects (and keeps reconnecting with backoff) / disconnects. */
void sb_net_start(struct sb_net *net);
void sb_net_stop(struct sb_net *net);
bool sb_net_is_up(const struct sb_net *net);
/* The registration: not registered while stopped, searching while started and down, else the backend's. */
void sb_net_get_reg(const struct sb_net *net, struct sb_net_reg *out);
const char *sb_net_name(const struct sb_net *net);

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

/* ---- for backends ------------------------------------------------------------------------- */

/* Up: every queued submit not in flight goes out, in order.  Down: none is in flight any more. */
void sb_net_backend_up(struct sb_net *net, bool up);
/* The registration details changed (the state callback runs). */
void sb_net_backend_changed(struct sb_net *net);
void sb_net_backend_deliver(struct sb_net *net, uint32_t id, const uint8_t *tpdu, size_t len);
/* Submit id's outcome (err: refused for good); unknown ids are ignored (false). */
bool sb_net_backend_submit_done(struct sb_net *net, uint32_t id, const GError *err, bool rp_error, uint8_t cause,
				const uint8_t *tpdu, size_t len);
/* Submit id did not get through and may later: sent again after delay_ms if the link is up then, else at the next up. */
void sb_net_backend_requeue(struct sb_net *net, uint32_t id, unsigned delay_ms);
/* Is submit id still waiting for its outcome (its attempt may still be answered)? */
bool sb_net_backend_submit_pending(const struct sb_net *net, uint32_t id);

/*
 * QMI NAS Serving System (libqmi QmiNasRegistrationState: 0 not registered,
 * 1 registered, 2 searching, 3 denied, 4 unknown) with the roaming
 * indicator -> the status oFono shows.
 */
enum sb_net_status sb_net_status_from_nas(int registration_state, bool roaming);
/* QMI NAS radio interface (QmiNasRadioInterface: 4 GSM, 5 UMTS, 8 LTE, 9 TD-SCDMA) -> 27.007 <AcT>; -1 unknown. */
int sb_net_tech_from_nas_radio(int radio_interface);

/* 27.007 +CSQ-like percentage from a signal strength in dBm: -113 dBm and below 0 %, -51 dBm and above 100 %. */
int sb_net_strength_from_dbm(int dbm);

#endif
