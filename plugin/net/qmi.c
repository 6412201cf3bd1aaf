// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The "qmi" network backend: a QMI modem through Debian's libqmi
 * (doc/plugin.md, "Network=qmi"), on the device qmi/port.c keeps open
 * through qmi-proxy.  Every request is asynchronous with a bounded wait
 * (SB_QMI_TIMEOUT_S); a request the modem leaves unanswered, or answers with
 * something that does not parse, closes the device and opens it again with
 * backoff (port.c).  Nothing else in the plugin waits for it.
 *
 *   NAS  registration, serving network and signal from the Serving System
 *        and Event Report indications (one Get Serving System and one Get
 *        Signal Strength when the device comes up; never polled).  Up
 *        (submits go out) while the device is set up and NAS says registered.
 *   WMS  MO: oFono's SMS-SUBMIT by Raw Send, format 06, "00" in front (the
 *        modem's own SC address), the TP-MR kept.
 *        MT: routes set for a card on the host (Uicc=emu or pcsc): class 2
 *        transfer-only (the firmware hands TP-PID 7F messages to the host
 *        instead of downloading them to its own SIM), the other classes
 *        store-and-notify in the modem.  With the modem's own SIM (Uicc=qmi
 *        on the same PATH) class 2 is stored on the SIM: the firmware does
 *        the SMS-PP data download and answers the network itself.  A transfer-route indication is
 *        answered with Send Ack once the sms atom has answered the message;
 *        a stored one (indication, or found by List Messages when the device
 *        comes up) is read with Raw Read and deleted once answered.  The raw
 *        data may carry the SC address in front or not: both are read
 *        (simota_sms_pdu_decode_deliver(), doc/wire-formats.md).
 *        Send Ack carries RP/TP causes only, never RP-ACK user data (DESIGN
 *        §8.2): a card's answer (the PoR) that the sms atom puts in its
 *        report goes to the message's originator as SMS-SUBMITs with the
 *        02 71 00 header instead (simota_sms_por_submits()), logged once.
 *
 * Submits are net.c's queue: one that gets no answer (device gone, modem
 * mute) is sent again once the device is back and registered; one the modem
 * cannot send yet (network not ready) is tried again a second later.
 */
#define OFONO_API_SUBJECT_TO_CHANGE
#include <string.h>

#include <ofono/log.h>

#include "net/net.h"
#include "qmi/port.h"
#include "simota/sms.h"

#define RETRY_MS 1000
#define MAX_TEMPORARY_FAILURES 20          /* "try later" answers to one Raw Send before it fails */
#define FORMAT_GW_PP QMI_WMS_MESSAGE_FORMAT_GSM_WCDMA_POINT_TO_POINT
#define RP_CAUSE_PROTOCOL_ERROR 0x6F       /* TS 24.011 §8.2.5.4 #111 */
#define MAX_POR_SMS 8

/* An MT message the sms atom has not answered yet. */
struct mt {
	bool transfer;                     /* transfer route: a Send Ack for tid, if needs_ack */
	bool needs_ack;
	uint32_t tid;
	uint64_t key;                      /* stored: storage << 32 | index, deleted once answered */
	unsigned gen;                      /* the device generation it came on */
	size_t len;
	uint8_t tpdu[SIMOTA_SMS_TPDU_MAX]; /* the SMS-DELIVER: where a PoR goes back to */
};

struct qnet {
	unsigned refs;
	bool destroyed;
	struct sb_net *net;
	const char *name;
	char *path;
	struct sb_qmi_port *port;
	bool started;
	bool card_on_modem;                /* Uicc=qmi on the same modem: class 2 stays with its firmware */

	/* the device while up; gen counts the ups: an answer for an older one is dropped */
	unsigned gen;
	QmiDevice *dev;
	QmiClientWms *wms;
	QmiClientNas *nas;
	gulong wms_ind, nas_ss_ind, nas_er_ind;
	bool ready;                        /* clients allocated and set up */

	struct sb_net_reg reg;             /* from NAS */
	bool nas_registered;
	GHashTable *mts;                   /* MT id -> struct mt * */
	uint32_t next_mt_id;
	GHashTable *stored_seen;           /* keys of stored messages in hand (an indication and the list may both name one) */
	GHashTable *temp_failures;         /* submit id -> "try later" answers */
	bool por_logged;
	uint8_t por_mr, por_ref;
};

/* A request in flight: the backend (a reference) and the device generation it went to. */
struct req {
	struct qnet *q;
	unsigned gen;
	uint32_t id;                       /* submit id or MT id */
	uint64_t key;                      /* stored message */
	const char *what;                  /* for the log: "WMS Raw Send" */
};

static void init_step(struct qnet *q, int step);
static void stored_fetch(struct qnet *q, QmiWmsStorageType storage, uint32_t index);

static void qnet_unref(struct qnet *q)
{
	if (--q->refs)
		return;
	g_hash_table_destroy(q->mts);
	g_hash_table_destroy(q->stored_seen);
	g_hash_table_destroy(q->temp_failures);
	g_free(q->path);
	g_free(q);
}

static struct req *req_new(struct qnet *q, const char *what)
{
	struct req *r = g_new0(struct req, 1);

	q->refs++;
	r->q = q;
	r->gen = q->gen;
	r->what = what;
	return r;
}

/* The answer to r still matters: the backend lives and the device r went to is still the one in use. */
static bool req_live(const struct req *r)
{
	return !r->q->destroyed && r->q->dev && r->gen == r->q->gen;
}

static void req_free(struct req *r)
{
	struct qnet *q = r->q;

	g_free(r);
	qnet_unref(q);
}

/*
 * A request's finish() failed: no answer in time, the device went, or an
 * answer that does not parse.  The modem is the problem: port.c logs it
 * once and reconnects (the clients go down with the device).
 */
static void request_failed(struct qnet *q, const char *what, const GError *err)
{
	char *why = g_strdup_printf("%s: %s", what, sb_qmi_error_text(err));

	if (sb_qmi_error_is_transport(err))
		DBG("%s: %s", q->name, why);
	sb_qmi_port_fail(q->port, why);
	g_free(why);
}

static bool is_protocol_error(const GError *err, QmiProtocolError code)
{
	return err && err->domain == QMI_PROTOCOL_ERROR && err->code == (gint)code;
}

/* ---- registration (NAS) ---------------------------------------------------------------------- */

static void update_up(struct qnet *q)
{
	bool up = q->ready && q->nas_registered;

	if (up != sb_net_is_up(q->net)) {
		ofono_info("%s: QMI modem %s %s", q->name, q->path, up ? "registered: SMS can go" :
			   "not registered: SMS wait");
		sb_net_backend_up(q->net, up);
	} else {
		sb_net_backend_changed(q->net);
	}
}

/* The Serving System TLVs, the same in the Get Serving System answer and the indication. */
struct serving {
	QmiNasRegistrationState state;
	GArray *radios;
	bool has_roaming;
	QmiNasRoamingIndicatorStatus roaming;
	bool has_plmn;
	guint16 mcc, mnc;
	const gchar *desc;
	bool has_pcs;
	gboolean pcs3;
};

#define READ_SERVING(type, out, s)                                                                             \
	do {                                                                                                   \
		QmiNasAttachState cs_, ps_;                                                                    \
		QmiNasNetworkType net_;                                                                        \
		guint16 mcc_, mnc_;                                                                            \
		(s)->has_roaming = type##_get_roaming_indicator(out, &(s)->roaming, NULL);                     \
		(s)->has_plmn = type##_get_current_plmn(out, &(s)->mcc, &(s)->mnc, &(s)->desc, NULL);          \
		(s)->has_pcs = type##_get_mnc_pcs_digit_include_status(out, &mcc_, &mnc_, &(s)->pcs3, NULL); \
		if (!type##_get_serving_system(out, &(s)->state, &cs_, &ps_, &net_, &(s)->radios, NULL))       \
			(s)->state = QMI_NAS_REGISTRATION_STATE_UNKNOWN;                                       \
	} while (0)

static void apply_serving(struct qnet *q, const struct serving *s)
{
	struct sb_net_reg *reg = &q->reg;
	int radio = -1;

	reg->status = sb_net_status_from_nas((int)s->state, s->has_roaming &&
					     s->roaming == QMI_NAS_ROAMING_INDICATOR_STATUS_ON);
	q->nas_registered = reg->status == SB_NET_REGISTERED || reg->status == SB_NET_ROAMING;
	if (s->radios && s->radios->len)
		radio = (int)g_array_index(s->radios, QmiNasRadioInterface, 0);
	reg->tech = q->nas_registered ? sb_net_tech_from_nas_radio(radio) : -1;
	reg->mcc[0] = reg->mnc[0] = reg->name[0] = '\0';
	if (q->nas_registered && s->has_plmn) {
		g_snprintf(reg->mcc, sizeof(reg->mcc), "%03u", s->mcc);
		/* a 3-digit MNC when the modem says so, or when it cannot be written in 2 */
		g_snprintf(reg->mnc, sizeof(reg->mnc), (s->has_pcs && s->pcs3) || s->mnc > 99 ? "%03u" : "%02u", s->mnc);
		g_strlcpy(reg->name, s->desc ? s->desc : "", sizeof(reg->name));
	}
	if (!q->nas_registered)
		reg->strength = -1;
	DBG("%s: NAS registration %d (%s%s%s)", q->name, reg->status, reg->mcc, reg->mnc[0] ? "/" : "", reg->mnc);
	update_up(q);
}

static void on_serving_system(QmiClientNas *nas, QmiIndicationNasServingSystemOutput *out, gpointer data)
{
	struct qnet *q = data;
	struct serving s = { 0 };

	READ_SERVING(qmi_indication_nas_serving_system_output, out, &s);
	apply_serving(q, &s);
}

static void apply_strength(struct qnet *q, gint8 dbm, QmiNasRadioInterface radio)
{
	q->reg.strength = radio == QMI_NAS_RADIO_INTERFACE_NONE || !q->nas_registered ? -1 :
			  sb_net_strength_from_dbm(dbm);
	sb_net_backend_changed(q->net);
}

static void on_nas_event_report(QmiClientNas *nas, QmiIndicationNasEventReportOutput *out, gpointer data)
{
	struct qnet *q = data;
	gint8 dbm;
	QmiNasRadioInterface radio;

	if (qmi_indication_nas_event_report_output_get_signal_strength(out, &dbm, &radio, NULL))
		apply_strength(q, dbm, radio);
}

/* ---- MT (WMS) ---------------------------------------------------------------------------------- */

static uint64_t stored_key(QmiWmsStorageType storage, uint32_t index)
{
	return (uint64_t)storage << 32 | index;
}

/* Hands an MT message to the sms atom (net.c); false if it is not an SMS-DELIVER we can read. */
static bool deliver(struct qnet *q, struct mt *mt, const guint8 *raw, gsize len)
{
	struct simota_sms_address sca;
	struct simota_sms_deliver *d = g_new0(struct simota_sms_deliver, 1);
	size_t off;
	uint32_t id;
	simota_err err = simota_sms_pdu_decode_deliver(raw, len, &sca, &off, d);

	g_free(d);
	if (err != SIMOTA_OK || len - off > sizeof(mt->tpdu)) {
		ofono_warn("%s: QMI modem %s: an MT message that is not an SMS-DELIVER (%zu bytes: %s)", q->name,
			   q->path, (size_t)len, simota_strerror(err));
		g_free(mt);
		return false;
	}
	mt->len = len - off;
	memcpy(mt->tpdu, raw + off, mt->len);
	mt->gen = q->gen;
	id = ++q->next_mt_id;
	g_hash_table_insert(q->mts, GUINT_TO_POINTER(id), mt);
	DBG("%s: MT message %u (%s, %zu-byte TPDU, SC address %s)", q->name, id, mt->transfer ? "transfer route" :
	    "stored", mt->len, off == 0 ? "absent" : off == 1 ? "empty" : sca.digits);
	sb_net_backend_deliver(q->net, id, mt->tpdu, mt->len);
	return true;
}

static void send_ack_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct req *r = data;
	GError *err = NULL;
	QmiMessageWmsSendAckOutput *out = qmi_client_wms_send_ack_finish(QMI_CLIENT_WMS(src), res, &err);

	if (req_live(r)) {
		if (!out)
			request_failed(r->q, r->what, err);
		else if (!qmi_message_wms_send_ack_output_get_result(out, &err))
			/* AckNotSent, InvalidTransactionId: too late; the network delivers it again */
			ofono_info("%s: WMS Send Ack for MT message %u refused (%s): the network delivers it again",
				   r->q->name, r->id, err->message);
		else
			sb_qmi_port_worked(r->q->port);
	}
	g_clear_error(&err);
	if (out)
		qmi_message_wms_send_ack_output_unref(out);
	req_free(r);
}

/* WMS Send Ack (0x0037): success, or the RP cause and TP-FCS of an RP-ERROR; no RP-User-Data (DESIGN §8.2). */
static void send_ack(struct qnet *q, uint32_t id, const struct mt *mt, bool rp_error, uint8_t cause,
		     const uint8_t *tpdu, size_t len)
{
	QmiMessageWmsSendAckInput *in = qmi_message_wms_send_ack_input_new();
	struct req *r = req_new(q, "WMS Send Ack");

	r->id = id;
	qmi_message_wms_send_ack_input_set_information(in, mt->tid, QMI_WMS_MESSAGE_PROTOCOL_WCDMA, !rp_error, NULL);
	if (rp_error)
		/* TS 23.040 §9.2.2.1a: an RP-ERROR's DELIVER-REPORT starts with its TP-FCS */
		qmi_message_wms_send_ack_input_set_3gpp_failure_information(in, (QmiWmsGsmUmtsRpCause)cause,
			(QmiWmsGsmUmtsTpCause)(len >= 2 ? tpdu[1] : SIMOTA_SMS_FCS_UNSPECIFIED), NULL);
	qmi_client_wms_send_ack(q->wms, in, SB_QMI_TIMEOUT_S, NULL, send_ack_done, r);
	qmi_message_wms_send_ack_input_unref(in);
}

static void delete_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct req *r = data;
	GError *err = NULL;
	QmiMessageWmsDeleteOutput *out = qmi_client_wms_delete_finish(QMI_CLIENT_WMS(src), res, &err);

	if (!r->q->destroyed)
		g_hash_table_remove(r->q->stored_seen, &r->key);
	if (req_live(r)) {
		if (!out)
			request_failed(r->q, r->what, err);
		else if (!qmi_message_wms_delete_output_get_result(out, &err))
			ofono_warn("%s: WMS Delete of a message read refused (%s): it may be read again",
				   r->q->name, err->message);
		else
			sb_qmi_port_worked(r->q->port);
	}
	g_clear_error(&err);
	if (out)
		qmi_message_wms_delete_output_unref(out);
	req_free(r);
}

static void stored_delete(struct qnet *q, uint64_t key)
{
	QmiMessageWmsDeleteInput *in = qmi_message_wms_delete_input_new();
	struct req *r = req_new(q, "WMS Delete");

	r->key = key;
	qmi_message_wms_delete_input_set_memory_storage(in, (QmiWmsStorageType)(key >> 32), NULL);
	qmi_message_wms_delete_input_set_memory_index(in, (guint32)key, NULL);
	qmi_client_wms_delete(q->wms, in, SB_QMI_TIMEOUT_S, NULL, delete_done, r);
	qmi_message_wms_delete_input_unref(in);
}

static void raw_read_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct req *r = data;
	struct qnet *q = r->q;
	GError *err = NULL;
	QmiMessageWmsRawReadOutput *out = qmi_client_wms_raw_read_finish(QMI_CLIENT_WMS(src), res, &err);
	QmiWmsMessageTagType tag;
	QmiWmsMessageFormat format;
	GArray *raw = NULL;
	struct mt *mt;

	if (!req_live(r)) {
		if (!q->destroyed)
			g_hash_table_remove(q->stored_seen, &r->key);
		goto out;
	}
	if (!out) {
		g_hash_table_remove(q->stored_seen, &r->key);
		request_failed(q, r->what, err);
		goto out;
	}
	if (!qmi_message_wms_raw_read_output_get_result(out, &err) ||
	    !qmi_message_wms_raw_read_output_get_raw_message_data(out, &tag, &format, &raw, &err)) {
		ofono_warn("%s: WMS Raw Read of message %u in storage %u refused (%s)", q->name, (guint32)r->key,
			   (unsigned)(r->key >> 32), err->message);
		g_hash_table_remove(q->stored_seen, &r->key);
		goto out;
	}
	sb_qmi_port_worked(q->port);
	if (format != FORMAT_GW_PP || tag == QMI_WMS_MESSAGE_TAG_TYPE_MO_SENT || tag == QMI_WMS_MESSAGE_TAG_TYPE_MO_NOT_SENT) {
		/* not ours to take (a CDMA message, an MO message someone stored) */
		g_hash_table_remove(q->stored_seen, &r->key);
		goto out;
	}
	mt = g_new0(struct mt, 1);
	mt->key = r->key;
	if (!deliver(q, mt, (const guint8 *)raw->data, raw->len))
		stored_delete(q, r->key);    /* a message nobody can read: out of the store */
out:
	g_clear_error(&err);
	if (out)
		qmi_message_wms_raw_read_output_unref(out);
	req_free(r);
}

/* A stored MT message: read, handed to the sms atom, deleted once it has answered (report()). */
static void stored_fetch(struct qnet *q, QmiWmsStorageType storage, uint32_t index)
{
	QmiMessageWmsRawReadInput *in;
	uint64_t key = stored_key(storage, index);
	struct req *r;

	if (g_hash_table_contains(q->stored_seen, &key))
		return;
	g_hash_table_add(q->stored_seen, g_memdup2(&key, sizeof(key)));
	r = req_new(q, "WMS Raw Read");
	r->key = key;
	in = qmi_message_wms_raw_read_input_new();
	qmi_message_wms_raw_read_input_set_message_memory_storage_id(in, storage, index, NULL);
	qmi_message_wms_raw_read_input_set_message_mode(in, QMI_WMS_MESSAGE_MODE_GSM_WCDMA, NULL);
	qmi_client_wms_raw_read(q->wms, in, SB_QMI_TIMEOUT_S, NULL, raw_read_done, r);
	qmi_message_wms_raw_read_input_unref(in);
}

static void on_wms_event_report(QmiClientWms *wms, QmiIndicationWmsEventReportOutput *out, gpointer data)
{
	struct qnet *q = data;
	QmiWmsStorageType storage;
	guint32 index, tid;
	QmiWmsAckIndicator ack;
	QmiWmsMessageFormat format;
	GArray *raw = NULL;

	if (!q->ready)
		return;      /* the stored ones are listed once set up; a transfer is delivered again by the network */
	if (qmi_indication_wms_event_report_output_get_transfer_route_mt_message(out, &ack, &tid, &format, &raw, NULL)) {
		struct mt *mt;

		if (format != FORMAT_GW_PP) {
			ofono_warn("%s: QMI modem %s: transfer-route MT message in format %u ignored", q->name, q->path,
				   format);
			return;
		}
		mt = g_new0(struct mt, 1);
		mt->transfer = true;
		mt->needs_ack = ack == QMI_WMS_ACK_INDICATOR_SEND;
		mt->tid = tid;
		if (!deliver(q, mt, (const guint8 *)raw->data, raw->len) && ack == QMI_WMS_ACK_INDICATOR_SEND) {
			struct mt bad = { .transfer = true, .needs_ack = true, .tid = tid };

			send_ack(q, 0, &bad, true, RP_CAUSE_PROTOCOL_ERROR, NULL, 0);
		}
		return;
	}
	if (qmi_indication_wms_event_report_output_get_mt_message(out, &storage, &index, NULL))
		stored_fetch(q, storage, index);
}

/* ---- the PoR the RP-ACK cannot carry ------------------------------------------------------------ */

static void forward_por(struct qnet *q, const struct mt *mt, bool rp_error, const uint8_t *tpdu, size_t len)
{
	struct simota_sms_deliver_report *rep = g_new0(struct simota_sms_deliver_report, 1);
	struct simota_sms_deliver *d = g_new0(struct simota_sms_deliver, 1);
	struct simota_sms_submit *subs = g_new0(struct simota_sms_submit, MAX_POR_SMS);
	uint8_t out[SIMOTA_SMS_TPDU_MAX];
	size_t n = 0, olen;
	simota_err err;

	if (simota_sms_deliver_report_decode(tpdu, len, rp_error, rep) != SIMOTA_OK || !rep->has_ud || !rep->ud.len)
		goto out;
	if (!q->por_logged) {
		ofono_info("%s: QMI WMS Send Ack cannot carry RP-ACK user data (DESIGN §8.2): the card's answers to "
			   "SMS-PP downloads go to their originator by SMS-SUBMIT (02 71 00 header) instead",
			   q->name);
		q->por_logged = true;
	}
	err = simota_sms_deliver_decode(mt->tpdu, mt->len, d);
	if (err == SIMOTA_OK)
		err = simota_sms_por_submits(d, rep, q->por_mr, q->por_ref, subs, MAX_POR_SMS, &n);
	if (err != SIMOTA_OK) {
		ofono_warn("%s: the card's answer (%u bytes) cannot go by SMS-SUBMIT: %s", q->name, rep->ud.len,
			   simota_strerror(err));
		goto out;
	}
	q->por_mr = (uint8_t)(q->por_mr + n);
	q->por_ref++;
	for (size_t i = 0; i < n; i++) {
		if (simota_sms_submit_encode(&subs[i], out, sizeof(out), &olen) != SIMOTA_OK)
			continue;
		DBG("%s: PoR forwarded to %s by SMS-SUBMIT %zu/%zu (%zu bytes)", q->name, d->oa.digits, i + 1, n, olen);
		sb_net_submit(q->net, q, out, olen, NULL, NULL);
	}
out:
	g_free(rep);
	g_free(d);
	g_free(subs);
}

/* ---- MO (WMS Raw Send) ---------------------------------------------------------------------------- */

static void raw_send_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct req *r = data;
	struct qnet *q = r->q;
	GError *err = NULL;
	QmiMessageWmsRawSendOutput *out = qmi_client_wms_raw_send_finish(QMI_CLIENT_WMS(src), res, &err);
	QmiWmsGsmUmtsRpCause rp;
	QmiWmsGsmUmtsTpCause tp;
	guint16 mid;
	unsigned temp;

	if (!req_live(r)) {
		/* the device went while it was in flight: net.c sends it again once up (at-least-once) */
		goto out;
	}
	if (!out) {
		request_failed(q, r->what, err);
		goto out;
	}
	sb_qmi_port_worked(q->port);
	if (qmi_message_wms_raw_send_output_get_result(out, &err)) {
		qmi_message_wms_raw_send_output_get_message_id(out, &mid, NULL);
		DBG("%s: submit %u sent (message id %u)", q->name, r->id, mid);
		g_hash_table_remove(q->temp_failures, GUINT_TO_POINTER(r->id));
		sb_net_backend_submit_done(q->net, r->id, NULL, false, 0, NULL, 0);
		goto out;
	}
	if (is_protocol_error(err, QMI_PROTOCOL_ERROR_WMS_CAUSE_CODE) &&
	    qmi_message_wms_raw_send_output_get_gsm_wcdma_cause_info(out, &rp, &tp, NULL)) {
		/* the network's RP-ERROR: that is the submit's outcome */
		ofono_info("%s: submit %u: RP-ERROR cause %u (TP-FCS %02X)", q->name, r->id, rp, tp);
		g_hash_table_remove(q->temp_failures, GUINT_TO_POINTER(r->id));
		sb_net_backend_submit_done(q->net, r->id, NULL, true, (uint8_t)rp, NULL, 0);
		goto out;
	}
	temp = GPOINTER_TO_UINT(g_hash_table_lookup(q->temp_failures, GUINT_TO_POINTER(r->id))) + 1;
	if ((is_protocol_error(err, QMI_PROTOCOL_ERROR_NETWORK_NOT_READY) ||
	     is_protocol_error(err, QMI_PROTOCOL_ERROR_DEVICE_NOT_READY) ||
	     is_protocol_error(err, QMI_PROTOCOL_ERROR_NO_NETWORK_FOUND) ||
	     is_protocol_error(err, QMI_PROTOCOL_ERROR_WMS_MESSAGE_DELIVERY_FAILURE)) && temp < MAX_TEMPORARY_FAILURES) {
		/* not now: again in a second, or when registered again */
		DBG("%s: submit %u: %s, again later (%u)", q->name, r->id, err->message, temp);
		g_hash_table_insert(q->temp_failures, GUINT_TO_POINTER(r->id), GUINT_TO_POINTER(temp));
		sb_net_backend_requeue(q->net, r->id, RETRY_MS);
		goto out;
	}
	ofono_warn("%s: submit %u refused by the modem: %s", q->name, r->id, err->message);
	g_hash_table_remove(q->temp_failures, GUINT_TO_POINTER(r->id));
	sb_net_backend_submit_done(q->net, r->id, err, false, 0, NULL, 0);
out:
	g_clear_error(&err);
	if (out)
		qmi_message_wms_raw_send_output_unref(out);
	req_free(r);
}

/* ---- bringing the clients up --------------------------------------------------------------------- */

enum {
	STEP_ALLOC_WMS, STEP_ALLOC_NAS, STEP_NAS_INDICATIONS, STEP_NAS_EVENT_REPORT, STEP_NAS_SERVING,
	STEP_NAS_STRENGTH, STEP_WMS_EVENT_REPORT, STEP_WMS_ROUTES, STEP_READY,
};

struct step_req {
	struct req r;
	int step;
};

static struct step_req *step_req_new(struct qnet *q, int step, const char *what)
{
	struct step_req *s = g_new0(struct step_req, 1);

	q->refs++;
	s->r.q = q;
	s->r.gen = q->gen;
	s->r.what = what;
	s->step = step;
	return s;
}

/*
 * The end of a set-up step: true (go on with the next one) unless the
 * answer came too late or the modem failed.  A refusal is logged with what
 * it costs and the set-up goes on.
 */
static bool step_end(struct step_req *s, gboolean have_out, gboolean ok, const GError *err, const char *cost)
{
	struct qnet *q = s->r.q;

	if (!req_live(&s->r))
		return false;
	if (!have_out) {
		request_failed(q, s->r.what, err);
		return false;
	}
	sb_qmi_port_worked(q->port);
	if (!ok)
		ofono_warn("%s: QMI modem %s refused %s (%s): %s", q->name, q->path, s->r.what, sb_qmi_error_text(err),
			   cost);
	return true;
}

#define STEP_DONE(name, type, cost)                                                                           \
	static void name(GObject *src, GAsyncResult *res, gpointer data)                                      \
	{                                                                                                     \
		struct step_req *s = data;                                                                    \
		struct qnet *q = s->r.q;                                                                      \
		GError *err = NULL;                                                                           \
		type##Output *out = type##_finish_fn(src, res, &err);                                         \
		gboolean ok = out && type##_output_get_result_fn(out, &err);                                  \
		bool go = step_end(s, out != NULL, ok, err, cost);                                            \
                                                                                                              \
		if (go && ok)                                                                                 \
			name##_then(q, out);                                                                  \
		if (out)                                                                                      \
			type##_output_unref_fn(out);                                                          \
		g_clear_error(&err);                                                                          \
		if (go)                                                                                       \
			init_step(q, s->step + 1);                                                            \
		g_free(s);                                                                                    \
		qnet_unref(q);                                                                                \
	}

/* libqmi's names for each request of the set-up, so that one STEP_DONE fits them all */
#define DEFINE_FNS(T, client_t, finish, get_result, unref)                                                   \
	static T##Output *T##_finish_fn(GObject *src, GAsyncResult *res, GError **err)                      \
	{                                                                                                     \
		return finish(client_t(src), res, err);                                                       \
	}                                                                                                     \
	static gboolean T##_output_get_result_fn(T##Output *out, GError **err)                               \
	{                                                                                                     \
		return get_result(out, err);                                                                  \
	}                                                                                                     \
	static void T##_output_unref_fn(T##Output *out)                                                       \
	{                                                                                                     \
		unref(out);                                                                                   \
	}

typedef QmiMessageNasRegisterIndicationsOutput NasRegisterIndicationsOutput;
typedef QmiMessageNasSetEventReportOutput NasSetEventReportOutput;
typedef QmiMessageNasGetServingSystemOutput NasGetServingSystemOutput;
typedef QmiMessageNasGetSignalStrengthOutput NasGetSignalStrengthOutput;
typedef QmiMessageWmsSetEventReportOutput WmsSetEventReportOutput;
typedef QmiMessageWmsSetRoutesOutput WmsSetRoutesOutput;

DEFINE_FNS(NasRegisterIndications, QMI_CLIENT_NAS, qmi_client_nas_register_indications_finish,
	   qmi_message_nas_register_indications_output_get_result, qmi_message_nas_register_indications_output_unref)
DEFINE_FNS(NasSetEventReport, QMI_CLIENT_NAS, qmi_client_nas_set_event_report_finish,
	   qmi_message_nas_set_event_report_output_get_result, qmi_message_nas_set_event_report_output_unref)
DEFINE_FNS(NasGetServingSystem, QMI_CLIENT_NAS, qmi_client_nas_get_serving_system_finish,
	   qmi_message_nas_get_serving_system_output_get_result, qmi_message_nas_get_serving_system_output_unref)
DEFINE_FNS(NasGetSignalStrength, QMI_CLIENT_NAS, qmi_client_nas_get_signal_strength_finish,
	   qmi_message_nas_get_signal_strength_output_get_result, qmi_message_nas_get_signal_strength_output_unref)
DEFINE_FNS(WmsSetEventReport, QMI_CLIENT_WMS, qmi_client_wms_set_event_report_finish,
	   qmi_message_wms_set_event_report_output_get_result, qmi_message_wms_set_event_report_output_unref)
DEFINE_FNS(WmsSetRoutes, QMI_CLIENT_WMS, qmi_client_wms_set_routes_finish,
	   qmi_message_wms_set_routes_output_get_result, qmi_message_wms_set_routes_output_unref)

static void nas_indications_done_then(struct qnet *q, NasRegisterIndicationsOutput *out)
{
}

static void nas_event_report_done_then(struct qnet *q, NasSetEventReportOutput *out)
{
}

static void nas_serving_done_then(struct qnet *q, NasGetServingSystemOutput *out)
{
	struct serving s = { 0 };

	READ_SERVING(qmi_message_nas_get_serving_system_output, out, &s);
	apply_serving(q, &s);
}

static void nas_strength_done_then(struct qnet *q, NasGetSignalStrengthOutput *out)
{
	gint8 dbm;
	QmiNasRadioInterface radio;

	if (qmi_message_nas_get_signal_strength_output_get_signal_strength(out, &dbm, &radio, NULL))
		apply_strength(q, dbm, radio);
}

static void wms_event_report_done_then(struct qnet *q, WmsSetEventReportOutput *out)
{
}

static void wms_routes_done_then(struct qnet *q, WmsSetRoutesOutput *out)
{
	DBG("%s: routes set: class 2 %s, the others stored in the modem", q->name,
	    q->card_on_modem ? "on the modem's SIM (its firmware downloads TP-PID 7F)" : "transfer-only to the host");
}

STEP_DONE(nas_indications_done, NasRegisterIndications, "registration changes may go unnoticed")
STEP_DONE(nas_event_report_done, NasSetEventReport, "no signal strength updates")
/* "not registered" answers NoNetworkFound here: no cost, the indication follows */
STEP_DONE(nas_serving_done, NasGetServingSystem, "registration known from the next indication only")
STEP_DONE(nas_strength_done, NasGetSignalStrength, "signal strength unknown until the next indication")
STEP_DONE(wms_event_report_done, WmsSetEventReport, "no MT SMS indications: MT SMS do not reach oFono")
STEP_DONE(wms_routes_done, WmsSetRoutes,
	  "class 2 SMS-PP data download stays with the modem's own SIM, the host's card never sees it")

static void list_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct req *r = data;
	GError *err = NULL;
	QmiMessageWmsListMessagesOutput *out = qmi_client_wms_list_messages_finish(QMI_CLIENT_WMS(src), res, &err);
	GArray *list = NULL;

	if (!req_live(r))
		goto out;
	if (!out) {
		request_failed(r->q, r->what, err);
		goto out;
	}
	if (!qmi_message_wms_list_messages_output_get_result(out, &err) ||
	    !qmi_message_wms_list_messages_output_get_message_list(out, &list, &err)) {
		DBG("%s: WMS List Messages (storage %u): %s", r->q->name, r->id, err->message);
		goto out;
	}
	for (guint i = 0; i < list->len; i++) {
		QmiMessageWmsListMessagesOutputMessageListElement *e =
			&g_array_index(list, QmiMessageWmsListMessagesOutputMessageListElement, i);

		if (e->message_tag == QMI_WMS_MESSAGE_TAG_TYPE_MT_READ ||
		    e->message_tag == QMI_WMS_MESSAGE_TAG_TYPE_MT_NOT_READ)
			stored_fetch(r->q, (QmiWmsStorageType)r->id, e->memory_index);
	}
out:
	g_clear_error(&err);
	if (out)
		qmi_message_wms_list_messages_output_unref(out);
	req_free(r);
}

/* The MT messages stored while nobody took them (read or not: at-least-once), then read and deleted. */
static void list_stored(struct qnet *q, QmiWmsStorageType storage)
{
	QmiMessageWmsListMessagesInput *in = qmi_message_wms_list_messages_input_new();
	struct req *r = req_new(q, "WMS List Messages");

	r->id = storage;
	qmi_message_wms_list_messages_input_set_storage_type(in, storage, NULL);
	qmi_message_wms_list_messages_input_set_message_mode(in, QMI_WMS_MESSAGE_MODE_GSM_WCDMA, NULL);
	qmi_client_wms_list_messages(q->wms, in, SB_QMI_TIMEOUT_S, NULL, list_done, r);
	qmi_message_wms_list_messages_input_unref(in);
}

static void set_routes(struct qnet *q, struct step_req *s)
{
	QmiMessageWmsSetRoutesInput *in = qmi_message_wms_set_routes_input_new();
	GArray *routes = g_array_new(FALSE, TRUE, sizeof(QmiMessageWmsSetRoutesInputRouteListElement));
	static const QmiWmsMessageClass classes[] = {
		QMI_WMS_MESSAGE_CLASS_0, QMI_WMS_MESSAGE_CLASS_1, QMI_WMS_MESSAGE_CLASS_2, QMI_WMS_MESSAGE_CLASS_3,
		QMI_WMS_MESSAGE_CLASS_NONE,
	};

	for (size_t i = 0; i < G_N_ELEMENTS(classes); i++) {
		QmiMessageWmsSetRoutesInputRouteListElement e = {
			.message_type = QMI_WMS_MESSAGE_TYPE_POINT_TO_POINT,
			.message_class = classes[i],
		};

		if (classes[i] == QMI_WMS_MESSAGE_CLASS_2 && q->card_on_modem) {
			/* the card is the modem's own: class 2 on it, SMS-PP data download by the firmware, PoR in
			 * the firmware's RP-ACK (TS 31.111 §7.1.1; doc/qmi.md) */
			e.storage = QMI_WMS_STORAGE_TYPE_UIM;
			e.receipt_action = QMI_WMS_RECEIPT_ACTION_STORE_AND_NOTIFY;
		} else if (classes[i] == QMI_WMS_MESSAGE_CLASS_2) {
			/* the card is on the host: class 2 (SMS-PP data download) to us, acked by us */
			e.storage = QMI_WMS_STORAGE_TYPE_NONE;
			e.receipt_action = QMI_WMS_RECEIPT_ACTION_TRANSFER_ONLY;
		} else {
			e.storage = QMI_WMS_STORAGE_TYPE_NV;
			e.receipt_action = QMI_WMS_RECEIPT_ACTION_STORE_AND_NOTIFY;
		}
		g_array_append_val(routes, e);
	}
	qmi_message_wms_set_routes_input_set_route_list(in, routes, NULL);
	qmi_client_wms_set_routes(q->wms, in, SB_QMI_TIMEOUT_S, NULL, wms_routes_done, s);
	qmi_message_wms_set_routes_input_unref(in);
	g_array_unref(routes);
}

static void alloc_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct step_req *s = data;
	struct qnet *q = s->r.q;
	GError *err = NULL;
	QmiClient *client = qmi_device_allocate_client_finish(QMI_DEVICE(src), res, &err);

	if (!req_live(&s->r)) {
		/* too late: the device it came from is gone or going; its CID goes with it */
		g_clear_object(&client);
	} else if (!client) {
		if (sb_qmi_error_is_transport(err)) {
			request_failed(q, s->r.what, err);
			goto out;
		}
		ofono_warn("%s: QMI modem %s: no %s client (%s): %s", q->name, q->path,
			   s->step == STEP_ALLOC_WMS ? "WMS" : "NAS", sb_qmi_error_text(err),
			   s->step == STEP_ALLOC_WMS ? "no SMS through this modem" : "registration unknown");
		init_step(q, s->step + 1);
	} else {
		sb_qmi_port_worked(q->port);
		if (s->step == STEP_ALLOC_WMS) {
			q->wms = QMI_CLIENT_WMS(client);
			q->wms_ind = g_signal_connect(q->wms, "event-report", G_CALLBACK(on_wms_event_report), q);
		} else {
			q->nas = QMI_CLIENT_NAS(client);
			q->nas_ss_ind = g_signal_connect(q->nas, "serving-system", G_CALLBACK(on_serving_system), q);
			q->nas_er_ind = g_signal_connect(q->nas, "event-report", G_CALLBACK(on_nas_event_report), q);
		}
		init_step(q, s->step + 1);
	}
out:
	g_clear_error(&err);
	g_free(s);
	qnet_unref(q);
}

static void init_step(struct qnet *q, int step)
{
	struct step_req *s;

	/* a step whose client is missing is skipped */
	while ((step >= STEP_NAS_INDICATIONS && step <= STEP_NAS_STRENGTH && !q->nas) ||
	       (step >= STEP_WMS_EVENT_REPORT && step <= STEP_WMS_ROUTES && !q->wms))
		step++;
	switch (step) {
	case STEP_ALLOC_WMS:
	case STEP_ALLOC_NAS:
		s = step_req_new(q, step, step == STEP_ALLOC_WMS ? "CTL Allocate CID (WMS)" : "CTL Allocate CID (NAS)");
		qmi_device_allocate_client(q->dev, step == STEP_ALLOC_WMS ? QMI_SERVICE_WMS : QMI_SERVICE_NAS,
					   QMI_CID_NONE, SB_QMI_TIMEOUT_S, NULL, alloc_done, s);
		break;
	case STEP_NAS_INDICATIONS: {
		QmiMessageNasRegisterIndicationsInput *in = qmi_message_nas_register_indications_input_new();

		s = step_req_new(q, step, "NAS Register Indications");
		qmi_message_nas_register_indications_input_set_serving_system_events(in, TRUE, NULL);
		qmi_client_nas_register_indications(q->nas, in, SB_QMI_TIMEOUT_S, NULL, nas_indications_done, s);
		qmi_message_nas_register_indications_input_unref(in);
		break;
	}
	case STEP_NAS_EVENT_REPORT: {
		QmiMessageNasSetEventReportInput *in = qmi_message_nas_set_event_report_input_new();
		GArray *thresholds = g_array_new(FALSE, FALSE, sizeof(gint8));
		static const gint8 dbm[] = { -105, -95, -85, -75, -65 };

		g_array_append_vals(thresholds, dbm, G_N_ELEMENTS(dbm));
		s = step_req_new(q, step, "NAS Set Event Report");
		qmi_message_nas_set_event_report_input_set_signal_strength_indicator(in, TRUE, thresholds, NULL);
		qmi_client_nas_set_event_report(q->nas, in, SB_QMI_TIMEOUT_S, NULL, nas_event_report_done, s);
		qmi_message_nas_set_event_report_input_unref(in);
		g_array_unref(thresholds);
		break;
	}
	case STEP_NAS_SERVING:
		s = step_req_new(q, step, "NAS Get Serving System");
		qmi_client_nas_get_serving_system(q->nas, NULL, SB_QMI_TIMEOUT_S, NULL, nas_serving_done, s);
		break;
	case STEP_NAS_STRENGTH:
		s = step_req_new(q, step, "NAS Get Signal Strength");
		qmi_client_nas_get_signal_strength(q->nas, NULL, SB_QMI_TIMEOUT_S, NULL, nas_strength_done, s);
		break;
	case STEP_WMS_EVENT_REPORT: {
		QmiMessageWmsSetEventReportInput *in = qmi_message_wms_set_event_report_input_new();

		s = step_req_new(q, step, "WMS Set Event Report");
		qmi_message_wms_set_event_report_input_set_new_mt_message_indicator(in, TRUE, NULL);
		qmi_client_wms_set_event_report(q->wms, in, SB_QMI_TIMEOUT_S, NULL, wms_event_report_done, s);
		qmi_message_wms_set_event_report_input_unref(in);
		break;
	}
	case STEP_WMS_ROUTES:
		set_routes(q, step_req_new(q, step, "WMS Set Routes"));
		break;
	default:
		q->ready = true;
		if (!q->nas)
			q->nas_registered = q->wms != NULL;   /* nothing says otherwise: try */
		ofono_info("%s: QMI modem %s set up (%s%s)", q->name, q->path, q->wms ? "WMS" : "no WMS",
			   q->nas ? ", NAS" : ", no NAS");
		update_up(q);
		if (q->wms) {
			list_stored(q, QMI_WMS_STORAGE_TYPE_NV);
			list_stored(q, QMI_WMS_STORAGE_TYPE_UIM);
		}
		break;
	}
}

/* ---- the device (qmi/port.c) ----------------------------------------------------------------------- */

static void drop_clients(struct qnet *q)
{
	if (q->wms) {
		g_signal_handler_disconnect(q->wms, q->wms_ind);
		g_clear_object(&q->wms);
	}
	if (q->nas) {
		g_signal_handler_disconnect(q->nas, q->nas_ss_ind);
		g_signal_handler_disconnect(q->nas, q->nas_er_ind);
		g_clear_object(&q->nas);
	}
	g_clear_object(&q->dev);
	q->gen++;
	q->ready = false;
	q->nas_registered = false;
	q->reg.strength = -1;
	q->reg.status = SB_NET_SEARCHING;
	/* stored messages in hand are read again when the device is back */
	g_hash_table_remove_all(q->stored_seen);
}

static void port_up(QmiDevice *dev, void *user)
{
	struct qnet *q = user;

	drop_clients(q);
	q->dev = g_object_ref(dev);
	init_step(q, STEP_ALLOC_WMS);
}

static void port_down(const char *why, void *user)
{
	struct qnet *q = user;

	DBG("%s: QMI device down: %s", q->name, why);
	drop_clients(q);
	sb_net_backend_up(q->net, false);
}

static const struct sb_qmi_watch qnet_watch = {
	.up = port_up,
	.down = port_down,
};

static void release_done(GObject *src, GAsyncResult *res, gpointer data)
{
	qmi_device_release_client_finish(QMI_DEVICE(src), res, NULL);
}

/* Our own stop: the clients' ids back to the modem (bounded), then everything dropped. */
static void release_clients(struct qnet *q)
{
	QmiClient *clients[] = { q->wms ? QMI_CLIENT(q->wms) : NULL, q->nas ? QMI_CLIENT(q->nas) : NULL };

	for (size_t i = 0; i < G_N_ELEMENTS(clients); i++)
		if (q->dev && clients[i])
			qmi_device_release_client(q->dev, clients[i], QMI_DEVICE_RELEASE_CLIENT_FLAGS_RELEASE_CID,
						  SB_QMI_TIMEOUT_S, NULL, release_done, NULL);
	drop_clients(q);
}

/* ---- the backend ------------------------------------------------------------------------------------- */

static void *qnet_create(struct sb_net *net, const struct sb_net_addr *addr)
{
	struct qnet *q = g_new0(struct qnet, 1);

	q->refs = 1;
	q->net = net;
	q->name = sb_net_name(net);
	q->path = g_strdup(addr->path);
	q->card_on_modem = addr->card_on_modem;
	q->mts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	q->stored_seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	q->temp_failures = g_hash_table_new(g_direct_hash, g_direct_equal);
	q->reg.strength = -1;
	q->reg.tech = -1;
	q->reg.status = SB_NET_SEARCHING;
	q->por_mr = 0x80;
	q->port = sb_qmi_port_ref(q->path, q->name);
	return q;
}

static void qnet_stop(void *be)
{
	struct qnet *q = be;

	if (!q->started)
		return;
	q->started = false;
	release_clients(q);
	sb_qmi_port_unwatch(q->port, q);
}

static void qnet_destroy(void *be)
{
	struct qnet *q = be;

	qnet_stop(q);
	sb_qmi_port_unref(q->port);
	q->destroyed = true;
	qnet_unref(q);
}

static void qnet_set_identity(void *be, const char *iccid, const char *msisdn)
{
	/* the modem announces its own SIM to the network; nothing to say here */
}

static void qnet_start(void *be)
{
	struct qnet *q = be;

	if (q->started)
		return;
	q->started = true;
	sb_qmi_port_watch(q->port, &qnet_watch, q);
}

static void qnet_send_submit(void *be, uint32_t id, const uint8_t *tpdu, size_t len)
{
	struct qnet *q = be;
	QmiMessageWmsRawSendInput *in;
	uint8_t pdu[SIMOTA_SMS_PDU_MAX];
	size_t plen;
	GArray *raw;
	struct req *r;

	if (!q->ready || !q->wms) {
		sb_net_backend_requeue(q->net, id, RETRY_MS);
		return;
	}
	/* TS 27.005 §3.1: "00", the modem's own SC address, then the SMS-SUBMIT */
	if (simota_sms_pdu_encode(NULL, tpdu, len, pdu, sizeof(pdu), &plen) != SIMOTA_OK) {
		GError *e = g_error_new(G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "SMS-SUBMIT of %zu bytes", len);

		sb_net_backend_submit_done(q->net, id, e, false, 0, NULL, 0);
		g_error_free(e);
		return;
	}
	raw = g_array_sized_new(FALSE, FALSE, 1, (guint)plen);
	g_array_append_vals(raw, pdu, (guint)plen);
	in = qmi_message_wms_raw_send_input_new();
	qmi_message_wms_raw_send_input_set_raw_message_data(in, FORMAT_GW_PP, raw, NULL);
	r = req_new(q, "WMS Raw Send");
	r->id = id;
	DBG("%s: submit %u: WMS Raw Send, %zu-byte TPDU", q->name, id, len);
	qmi_client_wms_raw_send(q->wms, in, SB_QMI_TIMEOUT_S, NULL, raw_send_done, r);
	qmi_message_wms_raw_send_input_unref(in);
	g_array_unref(raw);
}

static void qnet_report(void *be, uint32_t id, bool rp_error, uint8_t cause, const uint8_t *tpdu, size_t len)
{
	struct qnet *q = be;
	struct mt *mt = g_hash_table_lookup(q->mts, GUINT_TO_POINTER(id));
	bool same_device;

	if (!mt) {
		ofono_warn("%s: report for unknown MT message %u", q->name, id);
		return;
	}
	g_hash_table_steal(q->mts, GUINT_TO_POINTER(id));
	same_device = q->ready && mt->gen == q->gen;
	if (!same_device)
		DBG("%s: MT message %u answered after its device went: no acknowledgement (the network delivers it "
		    "again)", q->name, id);
	else if (mt->transfer && mt->needs_ack)
		send_ack(q, id, mt, rp_error, cause, tpdu, len);
	else if (!mt->transfer)
		stored_delete(q, mt->key);
	/* what the RP-ACK / RP-ERROR cannot carry over QMI goes by SMS-SUBMIT (queued while down) */
	if (tpdu && len)
		forward_por(q, mt, rp_error, tpdu, len);
	g_free(mt);
}

static void qnet_get_reg(void *be, struct sb_net_reg *out)
{
	struct qnet *q = be;

	*out = q->reg;
	if (!q->ready)
		out->status = SB_NET_SEARCHING;
}

const struct sb_net_ops sb_net_qmi_ops = {
	.kind = "qmi",
	.create = qnet_create,
	.destroy = qnet_destroy,
	.set_identity = qnet_set_identity,
	.start = qnet_start,
	.stop = qnet_stop,
	.send_submit = qnet_send_submit,
	.report = qnet_report,
	.get_reg = qnet_get_reg,
};
