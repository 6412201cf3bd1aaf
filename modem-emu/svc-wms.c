/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * WMS (libqmi data/qmi-service-wms.json) over the netsim radio:
 *   Reset 0x0000, Set Event Report 0x0001 + Event Report indication 0x0001
 *   (TLV 0x10 stored message, 0x11 transfer-route MT message, 0x12 message
 *   mode), Raw Send 0x0020, Raw Write 0x0021, Raw Read 0x0022, Modify Tag
 *   0x0023, Delete 0x0024, Get Message Protocol 0x0030, List Messages
 *   0x0031, Set Routes 0x0032, Get Routes 0x0033, Send Ack 0x0037, Get
 *   Supported Messages 0x001E.
 * Raw messages are 3GPP (format 06): the SC address (TS 24.011 §8.2.5.1,
 * length octet first, 00 for none) then the TPDU, both ways.
 * MT: the route of the message's class says what happens; a class 2
 * TP-PID 7F message is downloaded to the SIM by the firmware (TS 31.111
 * §7.1.1) unless the class 2 route is transfer-only (the host gets it).
 */
#include <string.h>

#include "firmware.h"
#include "radio.h"
#include "sms-store.h"

#define FORMAT_GW_PP QMI_WMS_MESSAGE_FORMAT_GSM_WCDMA_POINT_TO_POINT
#define TRANSFER_ACK_TIMEOUT_S 40
#define RP_CAUSE_MEMORY_EXCEEDED 0x16       /* TS 24.011 §8.2.5.4 #22 */
#define RP_CAUSE_TEMPORARY_FAILURE 0x29     /* #41 */
#define RP_CAUSE_PROTOCOL_ERROR 0x6F        /* #111 */
#define TP_FCS_MEMORY_EXCEEDED 0xD3         /* TS 23.040 §9.2.3.22 */
#define N_CLASSES 5                         /* 0-3 and "none" (QMI_WMS_MESSAGE_CLASS_NONE) */

struct route {
	uint8_t storage, action;
};

struct transfer {
	struct me_wms *w;
	uint32_t tid;
	uint32_t deliver_id;
	bool needs_ack;
	bool lost;           /* the radio link that carried it is gone */
	guint timeout_id;
};

struct me_wms {
	struct me_modem *m;
	struct route routes[N_CLASSES];
	uint8_t transfer_status_report;
	GHashTable *transfers;   /* tid -> struct transfer * */
	uint32_t next_tid;
};

/* ---- MT ---------------------------------------------------------------------------------------------- */

struct mt_ind {
	uint8_t storage;
	uint32_t index;
	const struct transfer *tr;
	const uint8_t *raw;
	size_t len;
};

static bool wants_report(const struct me_cid *c, void *user)
{
	return c->wms_report;
}

static void fill_mt(QmiMessage *msg, void *user)
{
	struct mt_ind *i = user;
	struct me_tlv_w t;

	if (!i->tr) {
		me_tlv_begin(&t, msg, 0x10);
		me_tlv_u8(&t, i->storage);
		me_tlv_u32(&t, i->index);
		me_tlv_end(&t);
	} else {
		me_tlv_begin(&t, msg, 0x11);
		me_tlv_u8(&t, i->tr->needs_ack ? QMI_WMS_ACK_INDICATOR_SEND : QMI_WMS_ACK_INDICATOR_DO_NOT_SEND);
		me_tlv_u32(&t, i->tr->tid);
		me_tlv_u8(&t, FORMAT_GW_PP);
		me_tlv_bytes(&t, 2, i->raw, i->len);
		me_tlv_end(&t);
	}
	me_tlv_put_u8(msg, 0x12, QMI_WMS_MESSAGE_MODE_GSM_WCDMA);
}

static void report(struct me_modem *m, uint32_t id, bool rp_error, uint8_t cause, uint8_t fcs)
{
	/* an RP-ERROR carries "00 FCS 00" (TS 23.040 §9.2.2.1a) on this link */
	uint8_t tpdu[3] = { 0x00, fcs, 0x00 };

	me_radio_report(m->radio, id, rp_error, cause, rp_error ? tpdu : NULL, rp_error ? 3 : 0);
}

static void download_done(const struct simota_sms_pp_result *res, void *user)
{
	struct me_modem *m = ((void **)user)[0];
	uint32_t id = GPOINTER_TO_UINT(((void **)user)[1]);
	uint8_t tpdu[SIMOTA_SMS_TPDU_MAX];
	size_t len;
	uint8_t cause;

	g_free(user);
	if (simota_sms_pp_download_report(res, tpdu, sizeof(tpdu), &len, &cause) != SIMOTA_OK) {
		report(m, id, true, RP_CAUSE_PROTOCOL_ERROR, SIMOTA_SMS_FCS_DATA_DOWNLOAD_ERROR);
		return;
	}
	ME_DEBUG("%s: SMS-PP download answered: %s, %zu-byte report", m->name,
		 res->rp == SIMOTA_RP_ACK ? "RP-ACK" : "RP-ERROR", len);
	me_radio_report(m->radio, id, res->rp == SIMOTA_RP_ERROR, cause, tpdu, len);
}

struct store_mt {
	struct me_modem *m;
	uint32_t deliver_id;
	uint8_t storage;
};

static void stored(bool ok, uint32_t index, void *user)
{
	struct store_mt *s = user;
	struct mt_ind i = { .storage = s->storage, .index = index };

	if (!ok) {
		ME_INFO("%s: MT message not stored (%s full): RP-ERROR memory capacity exceeded", s->m->name,
			s->storage == ME_STORE_UIM ? "SIM" : "NV");
		report(s->m, s->deliver_id, true, RP_CAUSE_MEMORY_EXCEEDED, TP_FCS_MEMORY_EXCEEDED);
	} else {
		report(s->m, s->deliver_id, false, 0, 0);
		me_modem_indicate(s->m, QMI_SERVICE_WMS, 0x0001, wants_report, fill_mt, &i);
	}
	g_free(s);
}

static gboolean transfer_timeout(gpointer p)
{
	struct transfer *t = p;
	struct me_modem *m = t->w->m;

	t->timeout_id = 0;
	if (t->needs_ack && !t->lost) {
		ME_INFO("%s: no Send Ack for MT message %u within %d s: RP-ERROR temporary failure", m->name, t->tid,
			TRANSFER_ACK_TIMEOUT_S);
		report(m, t->deliver_id, true, RP_CAUSE_TEMPORARY_FAILURE, SIMOTA_SMS_FCS_UNSPECIFIED);
	}
	g_hash_table_remove(t->w->transfers, GUINT_TO_POINTER(t->tid));
	return G_SOURCE_REMOVE;
}

static void transfer_free(gpointer p)
{
	struct transfer *t = p;

	if (t->timeout_id)
		g_source_remove(t->timeout_id);
	g_free(t);
}

static void transfer(struct me_modem *m, uint32_t id, const uint8_t *raw, size_t len, bool needs_ack)
{
	struct me_wms *w = m->wms;
	struct transfer *t = g_new0(struct transfer, 1);
	struct mt_ind i = { .tr = t, .raw = raw, .len = len };
	unsigned n;

	t->w = w;
	t->tid = ++w->next_tid;
	t->deliver_id = id;
	t->needs_ack = needs_ack;
	n = me_modem_indicate(m, QMI_SERVICE_WMS, 0x0001, wants_report, fill_mt, &i);
	if (!n && needs_ack) {
		/* nobody to hand it to: the network tries again later */
		ME_INFO("%s: transfer-only MT message and no WMS client listening: RP-ERROR", m->name);
		report(m, id, true, RP_CAUSE_MEMORY_EXCEEDED, TP_FCS_MEMORY_EXCEEDED);
		g_free(t);
		return;
	}
	if (!needs_ack) {
		report(m, id, false, 0, 0);
		g_free(t);
		return;
	}
	t->timeout_id = g_timeout_add_seconds(TRANSFER_ACK_TIMEOUT_S, transfer_timeout, t);
	g_hash_table_insert(w->transfers, GUINT_TO_POINTER(t->tid), t);
}

void me_wms_on_deliver(struct me_modem *m, uint32_t id, const uint8_t *tpdu, size_t len)
{
	struct me_wms *w = m->wms;
	struct simota_sms_deliver *d = g_new0(struct simota_sms_deliver, 1);
	simota_err err = simota_sms_deliver_decode(tpdu, len, d);
	uint8_t raw[ME_SMS_RAW_MAX + 16];
	size_t rlen;
	int cls;
	const struct route *rt;

	if (err != SIMOTA_OK) {
		ME_WARN("%s: undecodable SMS-DELIVER %u (%s): RP-ERROR", m->name, id, simota_strerror(err));
		report(m, id, true, RP_CAUSE_PROTOCOL_ERROR, SIMOTA_SMS_FCS_UNSPECIFIED);
		g_free(d);
		return;
	}
	cls = simota_sms_dcs_class(d->dcs);
	rt = &w->routes[cls < 0 ? QMI_WMS_MESSAGE_CLASS_NONE : cls];
	if (simota_sms_is_data_download(d->pid, d->dcs) && rt->action != QMI_WMS_RECEIPT_ACTION_TRANSFER_ONLY) {
		void **ctx = g_new0(void *, 2);

		g_free(d);
		ctx[0] = m;
		ctx[1] = GUINT_TO_POINTER(id);
		me_fw_data_download(m->fw, tpdu, len, download_done, ctx);
		return;
	}
	g_free(d);
	/* TS 27.005 §3.1: the SIM's service centre (EF_SMSP), "00" without one, then the TPDU */
	if (simota_sms_pdu_encode(m->card.have_smsc ? &m->card.smsc : NULL, tpdu, len, raw, sizeof(raw), &rlen) !=
	    SIMOTA_OK) {
		report(m, id, true, RP_CAUSE_PROTOCOL_ERROR, SIMOTA_SMS_FCS_UNSPECIFIED);
		return;
	}
	switch (rt->action) {
	case QMI_WMS_RECEIPT_ACTION_DISCARD:
		report(m, id, false, 0, 0);
		break;
	case QMI_WMS_RECEIPT_ACTION_STORE_AND_NOTIFY: {
		struct store_mt *s = g_new0(struct store_mt, 1);

		s->m = m;
		s->deliver_id = id;
		s->storage = rt->storage;
		me_store_add(m->store, rt->storage, QMI_WMS_MESSAGE_TAG_TYPE_MT_NOT_READ, raw, rlen, stored, s);
		break;
	}
	case QMI_WMS_RECEIPT_ACTION_TRANSFER_ONLY:
		transfer(m, id, raw, rlen, true);
		break;
	default:   /* transfer and ack */
		transfer(m, id, raw, rlen, false);
		break;
	}
}

void me_wms_radio_lost(struct me_modem *m)
{
	GHashTableIter it;
	gpointer v;

	if (!m->wms)
		return;
	g_hash_table_iter_init(&it, m->wms->transfers);
	while (g_hash_table_iter_next(&it, NULL, &v))
		((struct transfer *)v)->lost = true;
}

bool me_wms_class2_to_host(struct me_modem *m)
{
	return m->wms->routes[QMI_WMS_MESSAGE_CLASS_2].action == QMI_WMS_RECEIPT_ACTION_TRANSFER_ONLY;
}

/* ---- requests ---------------------------------------------------------------------------------------- */

static void reset(struct me_req *r)
{
	r->cid->wms_report = false;
	me_req_finish(r, me_resp_new(r));
}

static void set_event_report(struct me_req *r)
{
	struct me_tlv_r rd;
	uint8_t v;

	if (me_tlv_open(&rd, r->msg, 0x10)) {
		if (!me_rd_u8(&rd, &v)) {
			me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
			return;
		}
		r->cid->wms_report = v;
	}
	me_req_finish(r, me_resp_new(r));
}

static void get_message_protocol(struct me_req *r)
{
	QmiMessage *resp = me_resp_new(r);

	me_tlv_put_u8(resp, 0x01, QMI_WMS_MESSAGE_PROTOCOL_WCDMA);
	me_req_finish(r, resp);
}

static void get_routes(struct me_req *r)
{
	struct me_wms *w = r->modem->wms;
	QmiMessage *resp = me_resp_new(r);
	struct me_tlv_w t;

	me_tlv_begin(&t, resp, 0x01);
	me_tlv_u16(&t, N_CLASSES);
	for (unsigned c = 0; c < N_CLASSES; c++) {
		me_tlv_u8(&t, QMI_WMS_MESSAGE_TYPE_POINT_TO_POINT);
		me_tlv_u8(&t, (uint8_t)c);
		me_tlv_u8(&t, w->routes[c].storage);
		me_tlv_u8(&t, w->routes[c].action);
	}
	me_tlv_end(&t);
	me_tlv_put_u8(resp, 0x10, w->transfer_status_report);
	me_req_finish(r, resp);
}

static void set_routes(struct me_req *r)
{
	struct me_wms *w = r->modem->wms;
	struct route routes[N_CLASSES];
	struct me_tlv_r rd;
	uint16_t n;

	if (!me_req_tlv(r, 0x01, &rd))
		return;
	memcpy(routes, w->routes, sizeof(routes));
	if (!me_rd_u16(&rd, &n) || (size_t)n * 4 != me_rd_left(&rd)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		uint8_t type, cls, storage, action;

		if (!me_rd_u8(&rd, &type) || !me_rd_u8(&rd, &cls) || !me_rd_u8(&rd, &storage) ||
		    !me_rd_u8(&rd, &action)) {
			me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
			return;
		}
		if (type != QMI_WMS_MESSAGE_TYPE_POINT_TO_POINT || cls >= N_CLASSES ||
		    action > QMI_WMS_RECEIPT_ACTION_TRANSFER_AND_ACK ||
		    (action == QMI_WMS_RECEIPT_ACTION_STORE_AND_NOTIFY && !me_store_valid(storage)) ||
		    (action != QMI_WMS_RECEIPT_ACTION_STORE_AND_NOTIFY && storage != QMI_WMS_STORAGE_TYPE_NONE &&
		     !me_store_valid(storage))) {
			me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);
			return;
		}
		routes[cls].storage = storage;
		routes[cls].action = action;
	}
	if (me_tlv_open(&rd, r->msg, 0x10)) {
		uint8_t v;

		if (!me_rd_u8(&rd, &v)) {
			me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
			return;
		}
		w->transfer_status_report = v;
	}
	memcpy(w->routes, routes, sizeof(routes));
	ME_DEBUG("%s: routes set; class 2: action %u storage %u", r->modem->name,
		 routes[QMI_WMS_MESSAGE_CLASS_2].action, routes[QMI_WMS_MESSAGE_CLASS_2].storage);
	me_req_finish(r, me_resp_new(r));
}

static void send_ack(struct me_req *r)
{
	struct me_wms *w = r->modem->wms;
	struct me_tlv_r rd;
	uint32_t tid;
	uint8_t protocol, success, rp_cause = RP_CAUSE_PROTOCOL_ERROR, tp_cause = SIMOTA_SMS_FCS_UNSPECIFIED;
	struct transfer *t;
	QmiMessage *resp;

	if (!me_req_tlv(r, 0x01, &rd))
		return;
	if (!me_rd_u32(&rd, &tid) || !me_rd_u8(&rd, &protocol) || !me_rd_u8(&rd, &success)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	if (me_tlv_open(&rd, r->msg, 0x11) && (!me_rd_u8(&rd, &rp_cause) || !me_rd_u8(&rd, &tp_cause))) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	if (protocol != QMI_WMS_MESSAGE_PROTOCOL_WCDMA) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);
		return;
	}
	t = g_hash_table_lookup(w->transfers, GUINT_TO_POINTER(tid));
	if (!t) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_TRANSACTION_ID);
		return;
	}
	if (t->lost) {
		/* the link that brought it went: no acknowledgement can go (QmiWmsAckFailureCause) */
		g_hash_table_remove(w->transfers, GUINT_TO_POINTER(tid));
		resp = qmi_message_response_new(r->msg, QMI_PROTOCOL_ERROR_ACK_NOT_SENT);
		me_tlv_put_u8(resp, 0x10, QMI_WMS_ACK_FAILURE_CAUSE_NETWORK_RELEASED_LINK);
		me_req_finish(r, resp);
		return;
	}
	/* Send Ack carries RP/TP causes only, never RP-ACK user data (DESIGN §8.2) */
	report(r->modem, t->deliver_id, !success, rp_cause, tp_cause);
	g_hash_table_remove(w->transfers, GUINT_TO_POINTER(tid));
	me_req_finish(r, me_resp_new(r));
}

struct send {
	struct me_req *r;
	uint8_t mr;
};

static void sent(const GError *error, bool rp_error, uint8_t cause, void *user)
{
	struct send *s = user;
	struct me_req *r = s->r;
	QmiMessage *resp;
	struct me_tlv_w t;

	if (error) {
		ME_INFO("%s: Raw Send failed: %s", r->modem->name, error->message);
		resp = qmi_message_response_new(r->msg, QMI_PROTOCOL_ERROR_WMS_MESSAGE_DELIVERY_FAILURE);
		me_tlv_put_u8(resp, 0x13, QMI_WMS_MESSAGE_DELIVERY_FAILURE_TYPE_TEMPORARY);
	} else if (rp_error) {
		resp = qmi_message_response_new(r->msg, QMI_PROTOCOL_ERROR_WMS_CAUSE_CODE);
		me_tlv_begin(&t, resp, 0x12);
		me_tlv_u16(&t, cause);
		me_tlv_u8(&t, SIMOTA_SMS_FCS_UNSPECIFIED);
		me_tlv_end(&t);
		me_tlv_put_u8(resp, 0x13, QMI_WMS_MESSAGE_DELIVERY_FAILURE_TYPE_PERMANENT);
	} else {
		resp = me_resp_new(r);
		me_tlv_begin(&t, resp, 0x01);
		me_tlv_u16(&t, s->mr);
		me_tlv_end(&t);
	}
	g_free(s);
	me_req_finish(r, resp);
}

static void raw_send(struct me_req *r)
{
	struct me_tlv_r rd;
	uint8_t format, raw[512];
	size_t len, sca;
	struct simota_sms_address sc;
	struct simota_sms_submit *sub;
	struct send *s;

	if (!me_req_tlv(r, 0x01, &rd))
		return;
	if (!me_rd_u8(&rd, &format) || !me_rd_bytes(&rd, 2, raw, sizeof(raw), &len)) {
		me_req_fail(r, rd.bad && me_rd_left(&rd) ? QMI_PROTOCOL_ERROR_ARGUMENT_TOO_LONG :
			    QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	if (format != FORMAT_GW_PP) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);
		return;
	}
	/* TS 27.005 §3.1: the SC address then the SMS-SUBMIT */
	sub = g_new0(struct simota_sms_submit, 1);
	if (simota_sms_pdu_decode(raw, len, &sc, &sca) != SIMOTA_OK ||
	    simota_sms_submit_decode(raw + sca, len - sca, 0, sub) != SIMOTA_OK) {
		g_free(sub);
		me_req_fail(r, QMI_PROTOCOL_ERROR_WMS_T_PDU_TYPE);
		return;
	}
	if (!me_radio_attached(r->modem->radio)) {
		g_free(sub);
		me_req_fail(r, QMI_PROTOCOL_ERROR_NETWORK_NOT_READY);
		return;
	}
	s = g_new0(struct send, 1);
	s->r = r;
	s->mr = sub->mr;   /* the host's TP-MR is kept */
	g_free(sub);
	me_radio_submit(r->modem->radio, raw + sca, len - sca, sent, s);
}

/* The storage TLV of a request: UIM or NV, the UIM one only once EF_SMS is read. */
static bool storage_ok(struct me_req *r, uint8_t storage)
{
	if (!me_store_valid(storage)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);
		return false;
	}
	if (storage == ME_STORE_UIM && !me_store_capacity(r->modem->store, storage)) {
		me_req_fail(r, r->modem->card.state == ME_CARD_READY ? QMI_PROTOCOL_ERROR_PIN_RESTRICTION :
			    QMI_PROTOCOL_ERROR_UIM_UNINITIALIZED);
		return false;
	}
	return true;
}

static void written(bool ok, uint32_t index, void *user)
{
	struct me_req *r = user;
	QmiMessage *resp;

	if (!ok) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_DEVICE_STORAGE_FULL);
		return;
	}
	resp = me_resp_new(r);
	me_tlv_put_u32(resp, 0x01, index);
	me_req_finish(r, resp);
}

static void raw_write(struct me_req *r)
{
	struct me_tlv_r rd;
	uint8_t storage, format, raw[512];
	size_t len;
	uint8_t tag;

	if (!me_req_tlv(r, 0x01, &rd))
		return;
	if (!me_rd_u8(&rd, &storage) || !me_rd_u8(&rd, &format) || !me_rd_bytes(&rd, 2, raw, sizeof(raw), &len)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	if (format != FORMAT_GW_PP || !len || (size_t)raw[0] + 2 > len) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);
		return;
	}
	if (!storage_ok(r, storage))
		return;
	/* an SMS-SUBMIT is an MO message not sent yet, anything else an MT message not read */
	tag = (raw[1 + raw[0]] & 0x03) == 0x01 ? QMI_WMS_MESSAGE_TAG_TYPE_MO_NOT_SENT :
	      QMI_WMS_MESSAGE_TAG_TYPE_MT_NOT_READ;
	me_store_add(r->modem->store, storage, tag, raw, len, written, r);
}

struct read_ctx {
	struct me_req *r;
	struct me_sms_entry e;
};

static void read_reply(struct read_ctx *c)
{
	QmiMessage *resp = me_resp_new(c->r);
	struct me_tlv_w t;

	me_tlv_begin(&t, resp, 0x01);
	me_tlv_u8(&t, c->e.tag);
	me_tlv_u8(&t, FORMAT_GW_PP);
	me_tlv_bytes(&t, 2, c->e.raw, c->e.len);
	me_tlv_end(&t);
	me_req_finish(c->r, resp);
	g_free(c);
}

static void read_tagged(bool ok, uint32_t index, void *user)
{
	read_reply(user);
}

static bool read_storage_index(struct me_req *r, uint8_t *storage, uint32_t *index)
{
	struct me_tlv_r rd;

	if (!me_tlv_open(&rd, r->msg, 0x01)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MISSING_ARGUMENT);
		return false;
	}
	if (!me_rd_u8(&rd, storage) || !me_rd_u32(&rd, index)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return false;
	}
	if (!storage_ok(r, *storage))
		return false;
	if (*index >= me_store_capacity(r->modem->store, *storage)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_INDEX);
		return false;
	}
	return true;
}

static void raw_read(struct me_req *r)
{
	uint8_t storage;
	uint32_t index;
	const struct me_sms_entry *e;
	struct read_ctx *c;

	if (!read_storage_index(r, &storage, &index))
		return;
	e = me_store_get(r->modem->store, storage, index);
	if (!e) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_NO_ENTRY);
		return;
	}
	c = g_new0(struct read_ctx, 1);
	c->r = r;
	c->e = *e;
	if (e->tag == QMI_WMS_MESSAGE_TAG_TYPE_MT_NOT_READ) {
		/* read now: the tag changes as the message goes out (written through for the SIM) */
		me_store_set_tag(r->modem->store, storage, index, QMI_WMS_MESSAGE_TAG_TYPE_MT_READ, read_tagged, c);
		return;
	}
	read_reply(c);
}

/* A store change (tag, delete) done: the plain answer. */
static void store_changed(bool ok, uint32_t index, void *user)
{
	struct me_req *r = user;

	if (ok)
		me_req_finish(r, me_resp_new(r));
	else
		me_req_fail(r, QMI_PROTOCOL_ERROR_DEVICE_MEMORY_ERROR);
}

static void modify_tag(struct me_req *r)
{
	struct me_tlv_r rd;
	uint8_t storage, tag;
	uint32_t index;

	if (!me_req_tlv(r, 0x01, &rd))
		return;
	if (!me_rd_u8(&rd, &storage) || !me_rd_u32(&rd, &index) || !me_rd_u8(&rd, &tag)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	if (tag > QMI_WMS_MESSAGE_TAG_TYPE_MO_NOT_SENT) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);
		return;
	}
	if (!storage_ok(r, storage))
		return;
	if (!me_store_get(r->modem->store, storage, index)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_INDEX);
		return;
	}
	me_store_set_tag(r->modem->store, storage, index, tag, store_changed, r);
}

/* The optional message tag of Delete and List Messages (TLV 0x11), then their storage; a malformed tag or an
 * unknown storage: the request fails. */
static bool tag_filter(struct me_req *r, uint8_t storage, bool *by_tag, uint8_t *tag)
{
	struct me_tlv_r rd;

	*by_tag = me_tlv_open(&rd, r->msg, 0x11);
	if (*by_tag && !me_rd_u8(&rd, tag)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return false;
	}
	return storage_ok(r, storage);
}

/* Delete: one message, or every message (of one tag); one write at a time, then the answer. */
struct delete_ctx {
	struct me_req *r;
	uint8_t storage;
	bool by_tag, failed;
	uint8_t tag;
	uint32_t next;
};

static void delete_next(struct delete_ctx *d);

static void deleted(bool ok, uint32_t index, void *user)
{
	struct delete_ctx *d = user;

	d->failed |= !ok;
	delete_next(d);
}

static void delete_next(struct delete_ctx *d)
{
	struct me_store *st = d->r->modem->store;

	while (d->next < me_store_capacity(st, d->storage)) {
		const struct me_sms_entry *e = me_store_get(st, d->storage, d->next);
		uint32_t i = d->next++;

		if (e && (!d->by_tag || e->tag == d->tag)) {
			me_store_delete(st, d->storage, i, deleted, d);
			return;
		}
	}
	if (d->failed)
		me_req_fail(d->r, QMI_PROTOCOL_ERROR_DEVICE_MEMORY_ERROR);
	else
		me_req_finish(d->r, me_resp_new(d->r));
	g_free(d);
}

static void delete_(struct me_req *r)
{
	struct me_tlv_r rd;
	struct delete_ctx *d;
	uint8_t storage, tag = 0;
	uint32_t index;
	bool by_tag = false;

	if (!me_req_tlv(r, 0x01, &rd))
		return;
	if (!me_rd_u8(&rd, &storage)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	if (!tag_filter(r, storage, &by_tag, &tag))
		return;
	if (me_tlv_open(&rd, r->msg, 0x10)) {
		const struct me_sms_entry *e;

		if (!me_rd_u32(&rd, &index)) {
			me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
			return;
		}
		if (index >= me_store_capacity(r->modem->store, storage)) {
			me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_INDEX);
			return;
		}
		e = me_store_get(r->modem->store, storage, index);
		if (!e || (by_tag && e->tag != tag)) {
			me_req_fail(r, QMI_PROTOCOL_ERROR_NO_ENTRY);
			return;
		}
		me_store_delete(r->modem->store, storage, index, store_changed, r);
		return;
	}
	d = g_new0(struct delete_ctx, 1);
	d->r = r;
	d->storage = storage;
	d->by_tag = by_tag;
	d->tag = tag;
	delete_next(d);
}

static void list_messages(struct me_req *r)
{
	struct me_store *st = r->modem->store;
	struct me_tlv_r rd;
	uint8_t storage = ME_STORE_UIM, tag = 0;
	bool by_tag = false;
	uint32_t n = 0;
	QmiMessage *resp;
	struct me_tlv_w t;

	if (me_tlv_open(&rd, r->msg, 0x01) && !me_rd_u8(&rd, &storage)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	if (!tag_filter(r, storage, &by_tag, &tag))
		return;
	for (unsigned i = 0; i < me_store_capacity(st, storage); i++) {
		const struct me_sms_entry *e = me_store_get(st, storage, i);

		n += e && (!by_tag || e->tag == tag);
	}
	resp = me_resp_new(r);
	me_tlv_begin(&t, resp, 0x01);
	me_tlv_u32(&t, n);
	for (unsigned i = 0; i < me_store_capacity(st, storage); i++) {
		const struct me_sms_entry *e = me_store_get(st, storage, i);

		if (e && (!by_tag || e->tag == tag)) {
			me_tlv_u32(&t, i);
			me_tlv_u8(&t, e->tag);
		}
	}
	me_tlv_end(&t);
	me_req_finish(r, resp);
}

static const struct me_msg_handler handlers[] = {
	{ 0x0000, "Reset", reset },
	{ 0x0001, "Set Event Report", set_event_report },
	{ 0x001E, "Get Supported Messages", me_handle_supported_messages },
	{ 0x0020, "Raw Send", raw_send },
	{ 0x0021, "Raw Write", raw_write },
	{ 0x0022, "Raw Read", raw_read },
	{ 0x0023, "Modify Tag", modify_tag },
	{ 0x0024, "Delete", delete_ },
	{ 0x0030, "Get Message Protocol", get_message_protocol },
	{ 0x0031, "List Messages", list_messages },
	{ 0x0032, "Set Routes", set_routes },
	{ 0x0033, "Get Routes", get_routes },
	{ 0x0037, "Send Ack", send_ack },
};

const struct me_service me_svc_wms = { QMI_SERVICE_WMS, "wms", 1, 10, handlers, G_N_ELEMENTS(handlers) };

struct me_wms *me_wms_new(struct me_modem *m)
{
	struct me_wms *w = g_new0(struct me_wms, 1);

	w->m = m;
	/* the firmware's routes until a host sets its own: store everything, class 2 on the SIM */
	for (unsigned c = 0; c < N_CLASSES; c++) {
		w->routes[c].storage = c == QMI_WMS_MESSAGE_CLASS_2 ? ME_STORE_UIM : ME_STORE_NV;
		w->routes[c].action = QMI_WMS_RECEIPT_ACTION_STORE_AND_NOTIFY;
	}
	w->transfers = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, transfer_free);
	return w;
}

void me_wms_free(struct me_wms *w)
{
	if (!w)
		return;
	g_hash_table_destroy(w->transfers);
	g_free(w);
}
