/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * modem-emu: a QMI modem as libqmi sees it (doc/modem-emu.md).
 *
 * The parts, each in its own file, all on one GLib main loop:
 *   proxy.c     the qmi-proxy socket: clients, "internal proxy open", QMUX framing (qmux.c)
 *   modem.c     one modem: CIDs per service, dispatch to the services, indications
 *   svc-*.c     the QMI services CTL, DMS, NAS, WMS, UIM, CAT
 *   sim-link.c  the card link to a uicc-emu card (vpcd framing, T=0 exchanges, the child process)
 *   firmware.c  what the modem firmware does with its SIM: power-up, identities, PINs,
 *               the proactive session, SMS-PP download
 *   radio.c     the netsim link to ota-test-server (doc/netsim.md)
 *   sms-store.c messages stored on the SIM (EF_SMS) or in the modem (NV)
 *   control.c   the one-line command socket for tests
 *   writer.c    the queued asynchronous writer every link uses
 */
#ifndef MODEM_EMU_H
#define MODEM_EMU_H

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libqmi-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "simota/sms.h"

#define ME_LOG_DOMAIN "modem-emu"

struct me_server;
struct me_client;
struct me_modem;
struct me_sim;
struct me_radio;
struct me_store;
struct me_fw;
struct me_wms;
struct me_nas;
struct me_cat;

/* ---- writer.c: queued writes on one GOutputStream ------------------------------------------ */

struct me_writer;
typedef void (*me_writer_error_cb)(void *user, const GError *error);
struct me_writer *me_writer_new(GOutputStream *out, me_writer_error_cb on_error, void *user);
/* Queues a copy of p..len; writes go out in order. */
void me_writer_send(struct me_writer *w, const void *p, size_t len);
/* Stops writing (pending data dropped); no callback after this. */
void me_writer_free(struct me_writer *w);

/* ---- link.c: a stream link with a read loop and queued writes ------------------------------ */

struct me_link;
struct me_link_ops {
	void (*up)(void *user);                      /* me_link_connect() succeeded */
	void (*input)(void *user, GByteArray *in);   /* bytes arrived: take the whole frames off in */
	void (*down)(void *user, const char *why);   /* the connection failed or was lost (not after me_link_close) */
};
struct me_link *me_link_new(const struct me_link_ops *ops, void *user);
/* Connects (the old connection, if any, closed without callbacks). */
void me_link_connect(struct me_link *l, GSocketConnectable *addr);
/* Takes an accepted connection. */
void me_link_attach(struct me_link *l, GSocketConnection *conn);
void me_link_send(struct me_link *l, const void *p, size_t len);
bool me_link_is_up(const struct me_link *l);
/* Closes the connection; no callbacks for it after this. */
void me_link_close(struct me_link *l);
void me_link_free(struct me_link *l);

/* ---- qmux.c: splitting a client's byte stream into QMI messages ----------------------------- */

/* A request's QMUX frame (marker + QMUX length) may not be longer than this. */
#define ME_QMUX_MAX_FRAME 8192

enum me_qmux_status {
	ME_QMUX_NEED_MORE,    /* not a whole frame yet */
	ME_QMUX_MESSAGE,      /* *msg is one valid message (consumed) */
	ME_QMUX_MALFORMED,    /* headers readable (*hdr), TLVs not: answer MALFORMED_MESSAGE (consumed) */
	ME_QMUX_FATAL,        /* the stream cannot be resynchronised: close the client */
};

struct me_qmux_header {
	uint8_t service, cid;
	uint16_t tid, msgid;
};

enum me_qmux_status me_qmux_next(GByteArray *in, QmiMessage **msg, struct me_qmux_header *hdr,
				 GError **error);
/* A service message that is an indication (the flags libqmi has no setter for). */
QmiMessage *me_qmi_indication_new(uint8_t service, uint8_t cid, uint16_t msgid);
/* A request with no TLVs carrying hdr's ids: for answering a malformed one. */
QmiMessage *me_qmi_request_from_header(const struct me_qmux_header *hdr);

/* ---- qmi-util.c: TLV helpers over libqmi's reader and writer -------------------------------- */

struct me_tlv_w {
	QmiMessage *m;
	gsize init;
	GError *error;
};
void me_tlv_begin(struct me_tlv_w *t, QmiMessage *m, uint8_t type);
void me_tlv_u8(struct me_tlv_w *t, uint8_t v);
void me_tlv_u16(struct me_tlv_w *t, uint16_t v);
void me_tlv_u32(struct me_tlv_w *t, uint32_t v);
void me_tlv_i8(struct me_tlv_w *t, int8_t v);
void me_tlv_i16(struct me_tlv_w *t, int16_t v);
/* prefix: 0 (none), 1 or 2 bytes of little-endian length before the bytes. */
void me_tlv_bytes(struct me_tlv_w *t, unsigned prefix, const uint8_t *p, size_t len);
void me_tlv_string(struct me_tlv_w *t, unsigned prefix, const char *s);
/* Completes the TLV; false (logged) if anything did not fit. */
bool me_tlv_end(struct me_tlv_w *t);
/* Whole one-field TLVs. */
void me_tlv_put_u8(QmiMessage *m, uint8_t type, uint8_t v);
void me_tlv_put_u32(QmiMessage *m, uint8_t type, uint32_t v);
void me_tlv_put_string(QmiMessage *m, uint8_t type, const char *s);

struct me_tlv_r {
	QmiMessage *m;
	gsize init, off;
	guint16 len;
	bool bad;         /* a read went past the TLV, or a value did not fit */
};
/* false when the TLV is absent. */
bool me_tlv_open(struct me_tlv_r *r, QmiMessage *m, uint8_t type);
bool me_rd_u8(struct me_tlv_r *r, uint8_t *v);
bool me_rd_u16(struct me_tlv_r *r, uint16_t *v);
bool me_rd_u32(struct me_tlv_r *r, uint32_t *v);
/* prefix 1 or 2; more than cap bytes: false with r->bad set. */
bool me_rd_bytes(struct me_tlv_r *r, unsigned prefix, uint8_t *out, size_t cap, size_t *len);
/* A string of prefix 0 (the rest of the TLV), 1 or 2; NUL-terminated into out (cap). */
bool me_rd_string(struct me_tlv_r *r, unsigned prefix, char *out, size_t cap);
/* Bytes of the TLV not read yet. */
size_t me_rd_left(const struct me_tlv_r *r);

/* ---- proxy.c / the process ------------------------------------------------------------------- */

struct me_server {
	GMainLoop *loop;
	char *proxy_name;
	GSocketService *service;
	GList *clients;            /* struct me_client * */
	GPtrArray *modems;         /* struct me_modem * */
	char *uicc_emu;            /* the uicc-emu binary for card= */
	char *run_dir;
	bool own_run_dir;
	unsigned next_client;
	struct me_control *control;
};

typedef void (*me_client_sink)(void *user, QmiMessage *m);

struct me_client {
	int refs;
	struct me_server *srv;
	unsigned n;                /* for logs */
	struct me_link *link;      /* NULL: a detached client */
	GByteArray *in;            /* a detached client's input */
	struct me_modem *modem;    /* after "internal proxy open" */
	bool closed;
	me_client_sink sink;       /* a detached client: what it is sent goes here */
	void *sink_user;
};

bool me_proxy_start(struct me_server *srv, GError **error);
void me_proxy_stop(struct me_server *srv);
void me_client_ref(struct me_client *c);
void me_client_unref(struct me_client *c);
/* Sends one message to the client (dropped once it is closed). */
void me_client_send(struct me_client *c, QmiMessage *m);
void me_client_close(struct me_client *c, const char *why);
/*
 * A client without a socket (the fuzzer): input given with me_client_input()
 * is handled as if read from the socket; what modem-emu sends it goes to sink.
 */
struct me_client *me_client_new_detached(struct me_server *srv, me_client_sink sink, void *user);
void me_client_input(struct me_client *c, const uint8_t *p, size_t len);

/* ---- modem.c ------------------------------------------------------------------------------------ */

/* What --modem PATH,key=value,... says. */
struct me_modem_config {
	char *path;
	char *card;              /* card=CARD.ini: a uicc-emu child */
	char *state;             /* state=STATE for the child */
	char *sim;               /* sim=unix:SOCK: a running uicc-emu */
	char *netsim;            /* netsim=unix:SOCK|tcp:HOST:PORT */
	char *imei;
	char *nv;                /* nv=PATH: messages stored in the modem survive restarts there */
	char *cat;               /* cat=off: a modem without the CAT service (its firmware keeps the toolkit) */
	char *uim_writes;        /* uim-writes=off: firmware without UIM Write Transparent / Write Record */
};

/* One allocated client id of one service. */
struct me_cid {
	struct me_modem *modem;
	uint8_t service, cid;
	struct me_client *owner;     /* NULL: disowned (its client went without releasing it) */
	/* registrations */
	bool wms_report;             /* WMS Set Event Report: new MT message indicator */
	bool nas_serving;            /* NAS Register Indications 0x13 (default on) */
	bool nas_serving_set;        /* ... said by the client: unicast; else the default broadcast */
	bool nas_signal_info;        /* NAS Register Indications 0x19 */
	bool nas_event_strength;     /* NAS Set Event Report 0x10 */
	uint32_t uim_events;         /* UIM Register Events mask */
	uint32_t cat_raw, cat_full;  /* CAT Set Event Report raw and full function masks */
};

/* One request being answered. */
struct me_req {
	struct me_client *client;    /* ref */
	struct me_modem *modem;
	struct me_cid *cid;          /* NULL for CTL */
	QmiMessage *msg;             /* ref */
};

typedef void (*me_handler)(struct me_req *r);

struct me_msg_handler {
	uint16_t id;
	const char *name;
	me_handler fn;
};

struct me_service {
	uint8_t id;
	const char *name;
	uint16_t major, minor;                /* CTL Get Version Info */
	const struct me_msg_handler *handlers;
	size_t n_handlers;
};

enum me_card_state { ME_CARD_ABSENT, ME_CARD_INIT, ME_CARD_READY, ME_CARD_ERROR };

struct me_pin {
	bool known;                 /* queried from the card */
	bool enabled, verified, blocked, perm_blocked;
	uint8_t retries, puk_retries;
	uint8_t max_retries, max_puk_retries;   /* the highest counters the card has shown */
};

/* The firmware's view of its SIM (firmware.c fills it). */
struct me_card_info {
	enum me_card_state state;
	bool identities;             /* IMSI/MSISDN/SMSP/AD read (needs PIN1 when enabled) */
	char iccid[21];
	char imsi[16];
	char msisdn[24];
	bool have_smsc;
	struct simota_sms_address smsc;
	unsigned mnc_len;
	uint8_t aid[16];
	size_t aid_len;
	struct me_pin pin1, pin2;
	uint8_t atr[40];
	size_t atr_len;
};

enum me_reg_state { ME_REG_OFF, ME_REG_SEARCHING, ME_REG_HOME };

struct me_modem {
	struct me_server *srv;
	struct me_modem_config cfg;
	unsigned index;
	char *name;                  /* for logs: the path */
	GHashTable *cids;            /* (service << 8 | cid) -> struct me_cid * */
	bool muted;
	/* test knobs (control socket): a misbehaving modem's CAT */
	bool cat_truncate_next;      /* the next Event Report's command TLV cut short (its length says more) */
	bool cat_ref_skew_next;      /* the next Event Report names a reference id the firmware does not wait for */
	bool cat_tr_muted;           /* Send Terminal Response requests read and left unanswered */
	bool closing;                /* being freed: no more fan-out */
	uint8_t operating_mode;      /* QmiDmsOperatingMode */
	bool radio_enabled;          /* control radio-up / radio-down */
	struct me_card_info card;
	struct me_sim *sim;
	struct me_fw *fw;
	struct me_radio *radio;
	struct me_store *store;
	struct me_wms *wms;
	struct me_nas *nas;
	struct me_cat *cat;
};

/* Parses "PATH,card=...,..." (the --modem value). */
bool me_modem_config_parse(const char *spec, struct me_modem_config *out, GError **error);
void me_modem_config_clear(struct me_modem_config *cfg);

struct me_modem *me_modem_new(struct me_server *srv, const struct me_modem_config *cfg, unsigned index);
void me_modem_start(struct me_modem *m);
void me_modem_free(struct me_modem *m);
/* The modem a "internal proxy open" path names, or NULL. */
struct me_modem *me_modem_find(struct me_server *srv, const char *path);

const struct me_service *me_service_find(uint8_t service);
/* Dispatches a request from a client bound to m. */
void me_modem_dispatch(struct me_modem *m, struct me_client *c, QmiMessage *msg);
/* CTL Allocate / Release CID. */
struct me_cid *me_modem_cid_alloc(struct me_modem *m, struct me_client *c, uint8_t service);
struct me_cid *me_modem_cid_get(struct me_modem *m, uint8_t service, uint8_t cid);
void me_modem_cid_release(struct me_modem *m, struct me_cid *cid);
/* The client closed: its CIDs stay allocated, disowned (as libqmi's qmi-proxy does). */
void me_modem_client_gone(struct me_modem *m, struct me_client *c);
/* Every CID released (the fuzzer, between inputs). */
void me_modem_release_all(struct me_modem *m);

/* Indications to every CID of service that pred accepts (NULL: all), one message each. */
typedef bool (*me_cid_pred)(const struct me_cid *c, void *user);
typedef void (*me_ind_fill)(QmiMessage *m, void *user);
unsigned me_modem_indicate(struct me_modem *m, uint8_t service, uint16_t msgid, me_cid_pred pred,
			   me_ind_fill fill, void *user);
/* The same as one broadcast (CID 0xFF) to each client with such a CID. */
unsigned me_modem_broadcast(struct me_modem *m, uint8_t service, uint16_t msgid, me_cid_pred pred,
			    me_ind_fill fill, void *user);

/* Requests. */
QmiMessage *me_resp_new(struct me_req *r);
void me_req_finish(struct me_req *r, QmiMessage *resp);      /* sends and frees r */
void me_req_fail(struct me_req *r, QmiProtocolError error);  /* an error result alone */
/* A mandatory TLV opened; absent: the request fails (MissingArgument) and false. */
bool me_req_tlv(struct me_req *r, uint8_t type, struct me_tlv_r *rd);
void me_req_free(struct me_req *r);

/* Registration / card changes fan out from here to NAS and UIM indications and the radio. */
void me_modem_card_changed(struct me_modem *m);
void me_modem_registration_changed(struct me_modem *m);
enum me_reg_state me_modem_reg_state(struct me_modem *m);
/* The radio may be up: online, radio enabled, SIM ready. */
bool me_modem_radio_allowed(struct me_modem *m);
void me_modem_update_radio(struct me_modem *m);
/* Operating mode (DMS Set Operating Mode). */
void me_modem_set_operating_mode(struct me_modem *m, uint8_t mode);
/* Control commands. */
void me_modem_sim_insert(struct me_modem *m, bool inserted);
void me_modem_radio(struct me_modem *m, bool up);
JsonNode *me_modem_status(struct me_modem *m);

/* ---- the services (svc-*.c) ----------------------------------------------------------------------- */

extern const struct me_service me_svc_ctl, me_svc_dms, me_svc_nas, me_svc_wms, me_svc_uim, me_svc_cat,
	me_svc_cat_old;
/* CTL requests come through here (proxy.c handles "internal proxy open" before). */
void me_ctl_handle(struct me_req *r);
/* Get Supported Messages (0x001E) for any service: the handler table as a bitmask. */
void me_handle_supported_messages(struct me_req *r);

struct me_nas *me_nas_new(struct me_modem *m);
void me_nas_free(struct me_nas *n);
void me_nas_registration_changed(struct me_modem *m);

struct me_wms *me_wms_new(struct me_modem *m);
void me_wms_free(struct me_wms *w);
/* The radio's DELIVER (id, TPDU): routes, storage, indications, SMS-PP download. */
void me_wms_on_deliver(struct me_modem *m, uint32_t id, const uint8_t *tpdu, size_t len);
/* The radio went away: pending sends fail, pending transfers are dropped. */
void me_wms_radio_lost(struct me_modem *m);
/* A CID is released: transfers it was to ack stay until their timeout. */
bool me_wms_class2_to_host(struct me_modem *m);

void me_uim_card_status_changed(struct me_modem *m);

struct me_cat *me_cat_new(struct me_modem *m);
void me_cat_free(struct me_cat *c);
/* The firmware fetched a proactive command: true if a CAT client takes it (raw event report). */
bool me_cat_offer_command(struct me_modem *m, uint32_t ref, uint8_t type, const uint8_t *cmd, size_t len,
			  bool *needs_tr);
/* The proactive session ended (the card answered 90 00 after it began). */
void me_cat_session_ended(struct me_modem *m, bool from_card);
/* The CAT configuration's terminal profile (custom raw mode), or NULL for the firmware's own. */
const uint8_t *me_cat_terminal_profile(struct me_modem *m, size_t *len);

/* ---- control.c ----------------------------------------------------------------------------------- */

struct me_control;
struct me_control *me_control_new(struct me_server *srv, const char *listen, GError **error);
void me_control_free(struct me_control *c);

/* ---- misc ---------------------------------------------------------------------------------------- */

#define ME_DEBUG(...) g_log(ME_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, __VA_ARGS__)
#define ME_INFO(...) g_log(ME_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, __VA_ARGS__)
#define ME_WARN(...) g_log(ME_LOG_DOMAIN, G_LOG_LEVEL_WARNING, __VA_ARGS__)

/* An address "unix:PATH" or "tcp:HOST:PORT" for GSocketClient. */
GSocketConnectable *me_address_parse(const char *spec, GError **error);

#endif
