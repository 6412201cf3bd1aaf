/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * modem-emu through libqmi-glib itself (QmiDevice opened with the proxy
 * flag), with a uicc-emu SIM that modem-emu starts and a scripted netsim
 * network (modem-harness.c):
 *  - CAT raw messages: a raw CTL Allocate CID for CAT, Set Event Report with
 *    a raw mask, a secured C1 (doc/protocol.md) downloaded to the SIM by
 *    the firmware with its PoR in the RP-ACK, the DISPLAY TEXT the card then
 *    sends as an Event Report indication, Send Terminal Response, the MG
 *    the firmware sends by SEND SHORT MESSAGE, End Session;
 *  - WMS: a transfer-route MT message and Send Ack (success, failure,
 *    unknown transaction); store-and-notify, Raw Read, List Messages,
 *    Delete, in the modem (NV) and on the SIM (EF_SMS); Raw Send and its
 *    RP-ERROR;
 *  - UIM Write Transparent / Write Record (raw: libqmi 1.32 has neither):
 *    written and read back, a write the card refuses (its SW), bad TLVs;
 *  - indications: UIM card status on SIM removal and insertion, NAS
 *    serving system on radio loss;
 *  - bad input on the proxy socket, a muted modem, while another client and
 *    another modem keep working;
 *  - kill -9 of modem-emu: its SIM process goes with it, a restart takes the
 *    card's state lock again, the card's counter and its messages are kept.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "modem-harness.h"
#include "simota/cat.h"
#include "simota/sms.h"

#define MS 10000
static const uint8_t TAR[3] = { 0xDE, 0xFE, 0x01 };

/* doc/protocol.md §4: C1 "display text and confirm", txid 2a, MG to 12345; its IR (fixed 30 s) */
#define C1_DISPLAY "a02d8004" "0000002a" "810101" "8213" "50617920323520e282ac20746f2041434d453f" \
	"840505a12143f5" "850603010000" "0e10"
#define IR_FIXED_30 "b00d80040000002a8605010000001e"
#define C2 "a10680040000002a"

/* ---- raw CAT messages ------------------------------------------------------------------------------------ */

static void put_u32(QmiMessage *m, uint8_t type, uint32_t v)
{
	gsize init = qmi_message_tlv_write_init(m, type, NULL);

	qmi_message_tlv_write_guint32(m, QMI_ENDIAN_LITTLE, v, NULL);
	qmi_message_tlv_write_complete(m, init, NULL);
}

/* TLV type: u32 then u16-length-prefixed bytes (CAT reference + command / TR). */
static void put_ref_bytes(QmiMessage *m, uint8_t type, uint32_t ref, const uint8_t *p, size_t len)
{
	gsize init = qmi_message_tlv_write_init(m, type, NULL);

	qmi_message_tlv_write_guint32(m, QMI_ENDIAN_LITTLE, ref, NULL);
	qmi_message_tlv_write_guint16(m, QMI_ENDIAN_LITTLE, (guint16)len, NULL);
	for (size_t i = 0; i < len; i++)
		qmi_message_tlv_write_guint8(m, p[i], NULL);
	g_assert_true(qmi_message_tlv_write_complete(m, init, NULL));
}

static QmiProtocolError result_of(QmiMessage *resp)
{
	guint16 len;
	const guint8 *r = qmi_message_get_raw_tlv(resp, 0x02, &len);

	g_assert_nonnull(r);
	g_assert_cmpuint(len, ==, 4);
	return (QmiProtocolError)(r[2] | r[3] << 8);
}

/* DESIGN §8.2: CAT has no client class in libqmi 1.32: its CID comes from a raw CTL Allocate CID. */
static uint8_t cat_allocate(struct mh *h, QmiDevice *dev, QmiService service)
{
	QmiMessage *req = qmi_message_new(QMI_SERVICE_CTL, 0, 0, 0x0022), *resp;
	gsize init = qmi_message_tlv_write_init(req, 0x01, NULL);
	const guint8 *info;
	guint16 len;
	uint8_t cid;

	qmi_message_tlv_write_guint8(req, service, NULL);
	qmi_message_tlv_write_complete(req, init, NULL);
	resp = mh_command(h, dev, req);
	g_assert_cmpint(result_of(resp), ==, QMI_PROTOCOL_ERROR_NONE);
	info = qmi_message_get_raw_tlv(resp, 0x01, &len);
	g_assert_nonnull(info);
	g_assert_cmpuint(len, ==, 2);
	g_assert_cmpuint(info[0], ==, service);
	cid = info[1];
	qmi_message_unref(req);
	qmi_message_unref(resp);
	return cid;
}

static QmiMessage *cat_request(struct mh *h, uint8_t cid, uint16_t msgid)
{
	return qmi_message_new(QMI_SERVICE_CAT2, cid, ++h->next_tid, msgid);
}

/* The raw command of a CAT Event Report TLV: reference and bytes. */
static uint8_t *event_command(QmiMessage *ind, uint8_t tlv, uint32_t *ref, size_t *len)
{
	guint16 tlen;
	const guint8 *v = qmi_message_get_raw_tlv(ind, tlv, &tlen);

	g_assert_nonnull(v);
	g_assert_cmpuint(tlen, >=, 6);
	*ref = (uint32_t)(v[0] | v[1] << 8 | v[2] << 16 | (uint32_t)v[3] << 24);
	*len = (size_t)(v[4] | v[5] << 8);
	g_assert_cmpuint(*len + 6, ==, tlen);
	return g_memdup2(v + 6, *len);
}

static void test_cat_display_text(void)
{
	struct mh h;
	QmiMessage *req, *resp, *ind;
	struct simota_netsim_frame *rep, *submit;
	struct simota_cat_msg *cmd = g_new0(struct simota_cat_msg, 1), *tr = g_new0(struct simota_cat_msg, 1);
	struct simota_sms_submit *mg = g_new0(struct simota_sms_submit, 1);
	uint8_t tpdu[256], trb[64], cid;
	size_t len, trlen;
	uint32_t ref, id;
	uint8_t *raw;
	char *ir;
	const guint8 *v;
	guint16 vlen;

	mh_start(&h, 1, NULL);
	cid = cat_allocate(&h, h.qmi, QMI_SERVICE_CAT2);
	/* Set Event Report: raw DISPLAY TEXT (bit 0) and end of session (bit 12) */
	req = cat_request(&h, cid, 0x0001);
	put_u32(req, 0x10, 1u << 0 | 1u << 12);
	resp = mh_command(&h, h.qmi, req);
	g_assert_cmpint(result_of(resp), ==, QMI_PROTOCOL_ERROR_NONE);
	v = qmi_message_get_raw_tlv(resp, 0x10, &vlen);
	g_assert_nonnull(v);
	g_assert_cmpuint(vlen, ==, 4);
	g_assert_cmpuint(v[0] | v[1] | v[2] | v[3], ==, 0);   /* nothing refused */
	qmi_message_unref(req);
	qmi_message_unref(resp);

	/* C1 as the OTA server sends it: the firmware downloads it, the PoR (IR) travels in the RP-ACK */
	len = mh_secured_sms(TAR, 1, C1_DISPLAY, tpdu, sizeof(tpdu));
	id = mh_peer_deliver(&h.peer, tpdu, len);
	rep = mh_peer_wait(&h.peer, SIMOTA_NETSIM_DELIVER_REPORT, id, MS);
	g_assert_cmpuint(rep->rp, ==, SIMOTA_NETSIM_RP_ACK);
	g_assert_cmpuint(mh_por(rep->tpdu, rep->tpdu_len, &ir), ==, 0);
	g_assert_cmpstr(ir, ==, IR_FIXED_30);
	g_free(ir);
	g_free(rep);

	/* the applet's DISPLAY TEXT, raw, with a reference */
	ind = mh_wait_indication(&h, QMI_SERVICE_CAT2, 0x0001, 0x10, MS);
	g_assert_cmpuint(qmi_message_get_client_id(ind), ==, cid);
	raw = event_command(ind, 0x10, &ref, &len);
	g_assert_cmpint(simota_cat_command_decode(raw, len, cmd), ==, SIMOTA_OK);
	g_assert_cmphex(cmd->details.type, ==, SIMOTA_CAT_DISPLAY_TEXT);
	g_assert_cmpstr(simota_cat_string_get(cmd, &cmd->text), ==, "Pay 25 € to ACME?");
	g_free(raw);
	qmi_message_unref(ind);

	/* a TERMINAL RESPONSE with a reference no command has: refused */
	tr->details = cmd->details;
	tr->src = SIMOTA_CAT_DEV_TERMINAL;
	tr->dst = SIMOTA_CAT_DEV_UICC;
	tr->result.present = true;
	tr->result.general = SIMOTA_CAT_RESULT_OK;
	g_assert_cmpint(simota_cat_response_encode(tr, trb, sizeof(trb), &trlen), ==, SIMOTA_OK);
	req = cat_request(&h, cid, 0x0021);
	put_ref_bytes(req, 0x01, ref + 1000, trb, trlen);
	resp = mh_command(&h, h.qmi, req);
	g_assert_cmpint(result_of(resp), ==, QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);
	qmi_message_unref(req);
	qmi_message_unref(resp);

	/* the user confirms: Send Terminal Response; the card's SW comes back */
	req = cat_request(&h, cid, 0x0021);
	put_ref_bytes(req, 0x01, ref, trb, trlen);
	resp = mh_command(&h, h.qmi, req);
	g_assert_cmpint(result_of(resp), ==, QMI_PROTOCOL_ERROR_NONE);
	v = qmi_message_get_raw_tlv(resp, 0x10, &vlen);
	g_assert_nonnull(v);
	g_assert_cmpuint(vlen, >=, 3);
	g_assert_true(v[0] == 0x90 || v[0] == 0x91);
	qmi_message_unref(req);
	qmi_message_unref(resp);

	/* the MG: the card's SEND SHORT MESSAGE, sent on the radio by the firmware (nobody took it) */
	submit = mh_peer_wait(&h.peer, SIMOTA_NETSIM_SUBMIT, 0, MS);
	g_assert_cmpint(simota_sms_submit_decode(submit->tpdu, submit->tpdu_len, 0, mg), ==, SIMOTA_OK);
	g_assert_cmpstr(mg->da.digits, ==, "12345");
	raw = (uint8_t *)mh_to_hex(mg->ud.ud, mg->ud.len);
	g_assert_cmpstr((char *)raw, ==, "b10680040000002a");
	g_free(raw);
	g_free(submit);

	/* the card ends the session: End Proactive Session (TLV 0x1A: from the card) */
	ind = mh_wait_indication(&h, QMI_SERVICE_CAT2, 0x0001, 0x1A, MS);
	v = qmi_message_get_raw_tlv(ind, 0x1A, &vlen);
	g_assert_cmpuint(vlen, ==, 1);
	g_assert_cmpuint(v[0], ==, 0x01);
	qmi_message_unref(ind);
	g_assert_cmpint(mh_status_int(&h, 0, "sms_pp_downloads"), ==, 1);
	g_assert_cmpint(mh_status_int(&h, 0, "proactive_commands"), ==, 2);

	/* C2: R1 (the user's confirmation) in the PoR, as the server would fetch it */
	len = mh_secured_sms(TAR, 2, C2, tpdu, sizeof(tpdu));
	id = mh_peer_deliver(&h.peer, tpdu, len);
	rep = mh_peer_wait(&h.peer, SIMOTA_NETSIM_DELIVER_REPORT, id, MS);
	g_assert_cmpuint(mh_por(rep->tpdu, rep->tpdu_len, &ir), ==, 0);
	g_assert_cmpstr(ir, ==, "b20f80040000002a810101870100880100");
	g_free(ir);
	g_free(rep);
	g_free(cmd);
	g_free(tr);
	g_free(mg);
	mh_stop(&h);
}

/* The u8 value of TLV type (fails when absent or not one byte). */
static uint8_t tlv_u8(QmiMessage *m, uint8_t type)
{
	guint16 len;
	const guint8 *v = qmi_message_get_raw_tlv(m, type, &len);

	g_assert_nonnull(v);
	g_assert_cmpuint(len, ==, 1);
	return v[0];
}

static QmiMessage *cat_envelope_request(struct mh *h, uint8_t cid, uint16_t type, const uint8_t *env, size_t len)
{
	QmiMessage *req = cat_request(h, cid, 0x0022);
	gsize init = qmi_message_tlv_write_init(req, 0x01, NULL);

	qmi_message_tlv_write_guint16(req, QMI_ENDIAN_LITTLE, type, NULL);
	qmi_message_tlv_write_guint16(req, QMI_ENDIAN_LITTLE, (guint16)len, NULL);
	for (size_t i = 0; i < len; i++)
		qmi_message_tlv_write_guint8(req, env[i], NULL);
	g_assert_true(qmi_message_tlv_write_complete(req, init, NULL));
	return req;
}

/*
 * Send Envelope: an SMS-PP DOWNLOAD the host makes itself (a host that
 * took class 2 with a transfer route does this): the PoR comes back in the
 * answer.  Set / Get Configuration with a custom terminal profile, which the
 * SIM gets at its next power-up (Get Terminal Profile).
 */
static void test_cat_envelope_and_configuration(void)
{
	static const uint8_t not_envelope[2] = { 0x42, 0x00 };
	static const uint8_t custom[5] = { 0xFF, 0xFF, 0xFF, 0xFF, 0x1F };
	struct mh h;
	QmiMessage *req, *resp;
	uint8_t tpdu[256], env[300], cid;
	size_t len, elen;
	const guint8 *v;
	guint16 vlen;
	gsize init;
	char *ir, *cmd;

	mh_start(&h, 1, NULL);
	cid = cat_allocate(&h, h.qmi, QMI_SERVICE_CAT2);
	req = cat_request(&h, cid, 0x002E);
	resp = mh_command(&h, h.qmi, req);
	g_assert_cmpint(result_of(resp), ==, QMI_PROTOCOL_ERROR_NONE);
	g_assert_cmpuint(tlv_u8(resp, 0x10), ==, 1);   /* Gobi mode: raw reports */
	qmi_message_unref(req);
	qmi_message_unref(resp);

	len = mh_secured_sms(TAR, 1, C2, tpdu, sizeof(tpdu));
	g_assert_cmpint(simota_sms_pp_download_envelope(NULL, tpdu, len, env, sizeof(env), &elen), ==, SIMOTA_OK);
	req = cat_envelope_request(&h, cid, 0x09, env, elen);   /* SMS-PP data download */
	resp = mh_command(&h, h.qmi, req);
	g_assert_cmpint(result_of(resp), ==, QMI_PROTOCOL_ERROR_NONE);
	v = qmi_message_get_raw_tlv(resp, 0x10, &vlen);
	g_assert_nonnull(v);
	g_assert_cmphex(v[0] << 8 | v[1], ==, 0x9000);
	g_assert_cmpuint(v[2] + 3, ==, vlen);
	g_assert_cmpuint(mh_por_packet(v + 3, v[2], &ir), ==, 0);
	g_assert_cmpstr(ir, ==, "b20980040000002a870102");   /* C2 of a transaction the card does not know */
	g_free(ir);
	qmi_message_unref(req);
	qmi_message_unref(resp);
	/* an envelope that is no BER-TLV envelope */
	req = cat_envelope_request(&h, cid, 0x01, not_envelope, sizeof(not_envelope));
	resp = mh_command(&h, h.qmi, req);
	g_assert_cmpint(result_of(resp), ==, QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);
	qmi_message_unref(req);
	qmi_message_unref(resp);

	/* custom raw mode with its own profile: kept, given to the SIM at its next power-up */
	req = cat_request(&h, cid, 0x002D);
	init = qmi_message_tlv_write_init(req, 0x01, NULL);
	qmi_message_tlv_write_guint8(req, 5, NULL);
	qmi_message_tlv_write_complete(req, init, NULL);
	init = qmi_message_tlv_write_init(req, 0x10, NULL);
	qmi_message_tlv_write_guint8(req, sizeof(custom), NULL);
	for (size_t i = 0; i < sizeof(custom); i++)
		qmi_message_tlv_write_guint8(req, custom[i], NULL);
	qmi_message_tlv_write_complete(req, init, NULL);
	resp = mh_command(&h, h.qmi, req);
	g_assert_cmpint(result_of(resp), ==, QMI_PROTOCOL_ERROR_NONE);
	qmi_message_unref(req);
	qmi_message_unref(resp);
	req = cat_request(&h, cid, 0x002E);
	resp = mh_command(&h, h.qmi, req);
	g_assert_cmpuint(tlv_u8(resp, 0x10), ==, 5);
	v = qmi_message_get_raw_tlv(resp, 0x11, &vlen);
	g_assert_nonnull(v);
	g_assert_cmpmem(v + 1, v[0], custom, sizeof(custom));
	qmi_message_unref(req);
	qmi_message_unref(resp);
	cmd = g_strdup_printf("sim-remove %s", h.dev[0]);
	g_free(mh_control(&h, cmd));
	g_free(cmd);
	cmd = g_strdup_printf("sim-insert %s", h.dev[0]);
	g_free(mh_control(&h, cmd));
	g_free(cmd);
	mh_wait_status(&h, 0, "sim", "ready");
	req = cat_request(&h, cid, 0x002C);
	resp = mh_command(&h, h.qmi, req);
	g_assert_cmpint(result_of(resp), ==, QMI_PROTOCOL_ERROR_NONE);
	v = qmi_message_get_raw_tlv(resp, 0x10, &vlen);
	g_assert_nonnull(v);
	g_assert_cmpmem(v + 1, v[0], custom, sizeof(custom));
	qmi_message_unref(req);
	qmi_message_unref(resp);
	mh_stop(&h);
}

/* ---- WMS ---------------------------------------------------------------------------------------------------- */

#define CALL(client, name, input, out_type)                                                          \
	({                                                                                           \
		GAsyncResult *res_ = NULL;                                                          \
		GError *err_ = NULL;                                                                \
		out_type *o_;                                                                       \
		qmi_client_wms_##name(QMI_CLIENT_WMS(client), input, 10, NULL, mh_got_result, &res_); \
		mh_await(&res_, MS, #name);                                                         \
		o_ = qmi_client_wms_##name##_finish(QMI_CLIENT_WMS(client), res_, &err_);           \
		g_assert_no_error(err_);                                                            \
		g_object_unref(res_);                                                               \
		o_;                                                                                 \
	})

static GQueue wms_reports;

static void on_wms_report(QmiClientWms *c, QmiIndicationWmsEventReportOutput *out, gpointer p)
{
	g_queue_push_tail(&wms_reports, qmi_indication_wms_event_report_output_ref(out));
}

static gboolean expire(gpointer p)
{
	*(bool *)p = true;
	return G_SOURCE_REMOVE;
}

static QmiIndicationWmsEventReportOutput *wait_wms_report(void)
{
	bool expired = false;
	guint t = g_timeout_add(MS, expire, &expired);

	while (!g_queue_get_length(&wms_reports) && !expired)
		g_main_context_iteration(NULL, TRUE);
	if (expired)
		g_error("timed out waiting for a WMS event report");
	g_source_remove(t);
	return g_queue_pop_head(&wms_reports);
}

static QmiClient *wms_open(struct mh *h)
{
	QmiClient *wms = mh_allocate(h, h->qmi, QMI_SERVICE_WMS);
	QmiMessageWmsSetEventReportInput *in = qmi_message_wms_set_event_report_input_new();
	QmiMessageWmsSetEventReportOutput *out;

	g_queue_init(&wms_reports);
	g_signal_connect(wms, "event-report", G_CALLBACK(on_wms_report), NULL);
	qmi_message_wms_set_event_report_input_set_new_mt_message_indicator(in, TRUE, NULL);
	out = CALL(wms, set_event_report, in, QmiMessageWmsSetEventReportOutput);
	g_assert_true(qmi_message_wms_set_event_report_output_get_result(out, NULL));
	qmi_message_wms_set_event_report_output_unref(out);
	qmi_message_wms_set_event_report_input_unref(in);
	return wms;
}

static void wms_close(struct mh *h, QmiClient *wms)
{
	mh_release(h, h->qmi, wms);
	g_queue_clear_full(&wms_reports, (GDestroyNotify)qmi_indication_wms_event_report_output_unref);
}

static void set_route(QmiClient *wms, QmiWmsMessageClass cls, QmiWmsStorageType storage, QmiWmsReceiptAction act)
{
	QmiMessageWmsSetRoutesInput *in = qmi_message_wms_set_routes_input_new();
	QmiMessageWmsSetRoutesOutput *out;
	GArray *routes = g_array_new(FALSE, FALSE, sizeof(QmiMessageWmsSetRoutesInputRouteListElement));
	QmiMessageWmsSetRoutesInputRouteListElement e = {
		.message_type = QMI_WMS_MESSAGE_TYPE_POINT_TO_POINT, .message_class = cls, .storage = storage,
		.receipt_action = act,
	};

	g_array_append_val(routes, e);
	qmi_message_wms_set_routes_input_set_route_list(in, routes, NULL);
	out = CALL(wms, set_routes, in, QmiMessageWmsSetRoutesOutput);
	g_assert_true(qmi_message_wms_set_routes_output_get_result(out, NULL));
	qmi_message_wms_set_routes_output_unref(out);
	qmi_message_wms_set_routes_input_unref(in);
	g_array_unref(routes);
}

/* The raw form WMS carries: the SIM's SC address (+15550000) then the TPDU. */
static char *raw_of(const uint8_t *tpdu, size_t len)
{
	char *t = mh_to_hex(tpdu, len), *s = g_strconcat("0591515500" "00", t, NULL);

	g_free(t);
	return s;
}

static bool send_ack(QmiClient *wms, guint32 tid, bool success, QmiProtocolError *error_code)
{
	QmiMessageWmsSendAckInput *in = qmi_message_wms_send_ack_input_new();
	QmiMessageWmsSendAckOutput *out;
	GError *error = NULL;
	bool ok;

	qmi_message_wms_send_ack_input_set_information(in, tid, QMI_WMS_MESSAGE_PROTOCOL_WCDMA, success, NULL);
	if (!success)
		qmi_message_wms_send_ack_input_set_3gpp_failure_information(in, QMI_WMS_GSM_UMTS_RP_CAUSE_PROTOCOL_ERROR,
									   QMI_WMS_GSM_UMTS_TP_CAUSE_SIM_DATA_DOWNLOAD_ERROR,
									   NULL);
	out = CALL(wms, send_ack, in, QmiMessageWmsSendAckOutput);
	ok = qmi_message_wms_send_ack_output_get_result(out, &error);
	if (!ok)
		*error_code = (QmiProtocolError)error->code;
	g_clear_error(&error);
	qmi_message_wms_send_ack_output_unref(out);
	qmi_message_wms_send_ack_input_unref(in);
	return ok;
}

static void test_wms_transfer_route(void)
{
	struct mh h;
	QmiClient *wms;
	QmiIndicationWmsEventReportOutput *ind;
	QmiWmsAckIndicator ack;
	QmiWmsMessageFormat format;
	struct simota_netsim_frame *rep;
	QmiProtocolError code;
	guint32 tid, tid2;
	GArray *raw;
	uint8_t tpdu[256];
	size_t len;
	uint32_t id;
	char *got, *want;

	mh_start(&h, 1, NULL);
	wms = wms_open(&h);
	/* the host takes class 2 itself (a host-side card): transfer-only */
	set_route(wms, QMI_WMS_MESSAGE_CLASS_2, QMI_WMS_STORAGE_TYPE_NONE, QMI_WMS_RECEIPT_ACTION_TRANSFER_ONLY);
	len = mh_secured_sms(TAR, 1, C1_DISPLAY, tpdu, sizeof(tpdu));
	id = mh_peer_deliver(&h.peer, tpdu, len);
	ind = wait_wms_report();
	g_assert_true(qmi_indication_wms_event_report_output_get_transfer_route_mt_message(ind, &ack, &tid, &format,
											   &raw, NULL));
	g_assert_cmpint(ack, ==, QMI_WMS_ACK_INDICATOR_SEND);
	g_assert_cmpint(format, ==, QMI_WMS_MESSAGE_FORMAT_GSM_WCDMA_POINT_TO_POINT);
	got = mh_to_hex((const uint8_t *)raw->data, raw->len);
	want = raw_of(tpdu, len);
	g_assert_cmpstr(got, ==, want);
	g_free(got);
	g_free(want);
	qmi_indication_wms_event_report_output_unref(ind);
	/* not given to the SIM by the firmware, not yet acknowledged */
	g_assert_cmpint(mh_status_int(&h, 0, "sms_pp_downloads"), ==, 0);
	g_assert_true(send_ack(wms, tid, true, &code));
	rep = mh_peer_wait(&h.peer, SIMOTA_NETSIM_DELIVER_REPORT, id, MS);
	g_assert_cmpuint(rep->rp, ==, SIMOTA_NETSIM_RP_ACK);
	g_assert_cmpuint(rep->tpdu_len, ==, 0);   /* Send Ack carries no RP-ACK data (DESIGN §8.2) */
	g_free(rep);
	/* the same transaction again, and one never given: refused */
	g_assert_false(send_ack(wms, tid, true, &code));
	g_assert_cmpint(code, ==, QMI_PROTOCOL_ERROR_INVALID_TRANSACTION_ID);

	/* a failed download on the host side: RP-ERROR with the causes of the Send Ack */
	id = mh_peer_deliver(&h.peer, tpdu, len);
	ind = wait_wms_report();
	g_assert_true(qmi_indication_wms_event_report_output_get_transfer_route_mt_message(ind, &ack, &tid2, &format,
											   &raw, NULL));
	g_assert_cmpuint(tid2, !=, tid);
	qmi_indication_wms_event_report_output_unref(ind);
	g_assert_true(send_ack(wms, tid2, false, &code));
	rep = mh_peer_wait(&h.peer, SIMOTA_NETSIM_DELIVER_REPORT, id, MS);
	g_assert_cmpuint(rep->rp, ==, SIMOTA_NETSIM_RP_ERROR);
	g_assert_cmpuint(rep->cause, ==, QMI_WMS_GSM_UMTS_RP_CAUSE_PROTOCOL_ERROR);
	got = mh_to_hex(rep->tpdu, rep->tpdu_len);
	g_assert_cmpstr(got, ==, "00d500");
	g_free(got);
	g_free(rep);

	/* back to the firmware's default: the modem downloads class 2 TP-PID 7F itself */
	set_route(wms, QMI_WMS_MESSAGE_CLASS_2, QMI_WMS_STORAGE_TYPE_UIM, QMI_WMS_RECEIPT_ACTION_STORE_AND_NOTIFY);
	len = mh_secured_sms(TAR, 2, C2, tpdu, sizeof(tpdu));
	id = mh_peer_deliver(&h.peer, tpdu, len);
	rep = mh_peer_wait(&h.peer, SIMOTA_NETSIM_DELIVER_REPORT, id, MS);
	g_assert_cmpuint(rep->rp, ==, SIMOTA_NETSIM_RP_ACK);
	g_assert_cmpuint(mh_por(rep->tpdu, rep->tpdu_len, NULL), ==, 0);
	g_free(rep);
	g_assert_cmpint(mh_status_int(&h, 0, "sms_pp_downloads"), ==, 1);
	wms_close(&h, wms);
	mh_stop(&h);
}

static QmiMessageWmsRawReadOutput *raw_read(QmiClient *wms, QmiWmsStorageType st, guint32 index)
{
	QmiMessageWmsRawReadInput *in = qmi_message_wms_raw_read_input_new();
	QmiMessageWmsRawReadOutput *out;

	qmi_message_wms_raw_read_input_set_message_memory_storage_id(in, st, index, NULL);
	qmi_message_wms_raw_read_input_set_message_mode(in, QMI_WMS_MESSAGE_MODE_GSM_WCDMA, NULL);
	out = CALL(wms, raw_read, in, QmiMessageWmsRawReadOutput);
	qmi_message_wms_raw_read_input_unref(in);
	return out;
}

static GArray *list(QmiClient *wms, QmiWmsStorageType st)
{
	QmiMessageWmsListMessagesInput *in = qmi_message_wms_list_messages_input_new();
	QmiMessageWmsListMessagesOutput *out;
	GArray *l = NULL;

	qmi_message_wms_list_messages_input_set_storage_type(in, st, NULL);
	out = CALL(wms, list_messages, in, QmiMessageWmsListMessagesOutput);
	g_assert_true(qmi_message_wms_list_messages_output_get_result(out, NULL));
	g_assert_true(qmi_message_wms_list_messages_output_get_message_list(out, &l, NULL));
	l = g_array_ref(l);
	qmi_message_wms_list_messages_output_unref(out);
	qmi_message_wms_list_messages_input_unref(in);
	return l;
}

/* A plain MT message stored by the modem (route store-and-notify), indicated, read, listed, deleted. */
static guint32 stored_message(struct mh *h, QmiClient *wms, uint8_t dcs, QmiWmsStorageType want_storage,
			      const char *text)
{
	QmiIndicationWmsEventReportOutput *ind;
	QmiMessageWmsRawReadOutput *out;
	QmiWmsStorageType st;
	QmiWmsMessageTagType tag;
	QmiWmsMessageFormat format;
	struct simota_netsim_frame *rep;
	GArray *raw;
	guint32 index;
	uint8_t tpdu[200];
	size_t len = mh_sms_deliver(0x00, dcs, false, (const uint8_t *)text, strlen(text), tpdu, sizeof(tpdu));
	uint32_t id = mh_peer_deliver(&h->peer, tpdu, len);
	char *got, *want;

	rep = mh_peer_wait(&h->peer, SIMOTA_NETSIM_DELIVER_REPORT, id, MS);
	g_assert_cmpuint(rep->rp, ==, SIMOTA_NETSIM_RP_ACK);
	g_free(rep);
	ind = wait_wms_report();
	g_assert_true(qmi_indication_wms_event_report_output_get_mt_message(ind, &st, &index, NULL));
	g_assert_cmpint(st, ==, want_storage);
	qmi_indication_wms_event_report_output_unref(ind);
	/* the first read: "MT not read", then it is read */
	for (int round = 0; round < 2; round++) {
		out = raw_read(wms, st, index);
		g_assert_true(qmi_message_wms_raw_read_output_get_result(out, NULL));
		g_assert_true(qmi_message_wms_raw_read_output_get_raw_message_data(out, &tag, &format, &raw, NULL));
		g_assert_cmpint(tag, ==, round ? QMI_WMS_MESSAGE_TAG_TYPE_MT_READ : QMI_WMS_MESSAGE_TAG_TYPE_MT_NOT_READ);
		got = mh_to_hex((const uint8_t *)raw->data, raw->len);
		want = raw_of(tpdu, len);
		g_assert_cmpstr(got, ==, want);
		g_free(got);
		g_free(want);
		qmi_message_wms_raw_read_output_unref(out);
	}
	return index;
}

static void delete_message(QmiClient *wms, QmiWmsStorageType st, guint32 index)
{
	QmiMessageWmsDeleteInput *in = qmi_message_wms_delete_input_new();
	QmiMessageWmsDeleteOutput *out;

	qmi_message_wms_delete_input_set_memory_storage(in, st, NULL);
	qmi_message_wms_delete_input_set_memory_index(in, index, NULL);
	out = CALL(wms, delete, in, QmiMessageWmsDeleteOutput);
	g_assert_true(qmi_message_wms_delete_output_get_result(out, NULL));
	qmi_message_wms_delete_output_unref(out);
	qmi_message_wms_delete_input_unref(in);
}

static void test_wms_store_and_notify(void)
{
	struct mh h;
	QmiClient *wms;
	QmiMessageWmsRawReadOutput *out;
	GArray *l;
	guint32 nv, uim;
	GError *error = NULL;

	mh_start(&h, 1, NULL);
	wms = wms_open(&h);
	/* class 1 (DCS F5): the modem's memory; class 2 without TP-PID 7F (F6): the SIM's EF_SMS */
	nv = stored_message(&h, wms, 0xF5, QMI_WMS_STORAGE_TYPE_NV, "stored in the modem");
	uim = stored_message(&h, wms, 0xF6, QMI_WMS_STORAGE_TYPE_UIM, "stored on the SIM");
	g_assert_cmpint(mh_status_int(&h, 0, "stored_nv"), ==, 1);
	g_assert_cmpint(mh_status_int(&h, 0, "stored_uim"), ==, 1);
	l = list(wms, QMI_WMS_STORAGE_TYPE_NV);
	g_assert_cmpuint(l->len, ==, 1);
	g_assert_cmpuint(g_array_index(l, QmiMessageWmsListMessagesOutputMessageListElement, 0).memory_index, ==, nv);
	g_assert_cmpint(g_array_index(l, QmiMessageWmsListMessagesOutputMessageListElement, 0).message_tag, ==,
			QMI_WMS_MESSAGE_TAG_TYPE_MT_READ);
	g_array_unref(l);
	delete_message(wms, QMI_WMS_STORAGE_TYPE_NV, nv);
	l = list(wms, QMI_WMS_STORAGE_TYPE_NV);
	g_assert_cmpuint(l->len, ==, 0);
	g_array_unref(l);
	/* a deleted index reads as no entry */
	out = raw_read(wms, QMI_WMS_STORAGE_TYPE_NV, nv);
	g_assert_false(qmi_message_wms_raw_read_output_get_result(out, &error));
	g_assert_error(error, QMI_PROTOCOL_ERROR, QMI_PROTOCOL_ERROR_NO_ENTRY);
	g_clear_error(&error);
	qmi_message_wms_raw_read_output_unref(out);
	/* the SIM's message stays (the restart test reads it back after kill -9) */
	l = list(wms, QMI_WMS_STORAGE_TYPE_UIM);
	g_assert_cmpuint(l->len, ==, 1);
	g_assert_cmpuint(g_array_index(l, QmiMessageWmsListMessagesOutputMessageListElement, 0).memory_index, ==, uim);
	g_array_unref(l);
	delete_message(wms, QMI_WMS_STORAGE_TYPE_UIM, uim);
	l = list(wms, QMI_WMS_STORAGE_TYPE_UIM);
	g_assert_cmpuint(l->len, ==, 0);
	g_array_unref(l);
	wms_close(&h, wms);
	mh_stop(&h);
}

static void test_wms_raw_send(void)
{
	struct mh h;
	QmiClient *wms;
	QmiMessageWmsRawSendInput *in = qmi_message_wms_raw_send_input_new();
	QmiMessageWmsRawSendOutput *out;
	struct simota_netsim_frame *sub;
	struct simota_sms_submit s;
	uint8_t pdu[200];
	size_t len;
	GArray *raw;
	guint16 mid;
	QmiWmsGsmUmtsRpCause rp;
	QmiWmsGsmUmtsTpCause tp;
	GError *error = NULL;
	char *got, *want;

	mh_start(&h, 1, NULL);
	wms = wms_open(&h);
	memset(&s, 0, sizeof(s));
	s.mr = 0x42;
	s.da.ton = SIMOTA_SMS_TON_INTERNATIONAL;
	s.da.npi = SIMOTA_SMS_NPI_ISDN;
	g_strlcpy(s.da.digits, "15550100", sizeof(s.da.digits));
	s.dcs = 0x04;
	s.ud.len = s.ud.udl = 5;
	memcpy(s.ud.ud, "hello", 5);
	pdu[0] = 0x00;   /* no SC address: the network's */
	g_assert_cmpint(simota_sms_submit_encode(&s, pdu + 1, sizeof(pdu) - 1, &len), ==, SIMOTA_OK);
	raw = g_array_new(FALSE, FALSE, 1);
	g_array_append_vals(raw, pdu, len + 1);
	qmi_message_wms_raw_send_input_set_raw_message_data(in, QMI_WMS_MESSAGE_FORMAT_GSM_WCDMA_POINT_TO_POINT, raw,
							    NULL);
	out = CALL(wms, raw_send, in, QmiMessageWmsRawSendOutput);
	g_assert_true(qmi_message_wms_raw_send_output_get_result(out, NULL));
	g_assert_true(qmi_message_wms_raw_send_output_get_message_id(out, &mid, NULL));
	g_assert_cmpuint(mid, ==, 0x42);   /* the host's TP-MR kept */
	qmi_message_wms_raw_send_output_unref(out);
	sub = mh_peer_wait(&h.peer, SIMOTA_NETSIM_SUBMIT, 0, MS);
	got = mh_to_hex(sub->tpdu, sub->tpdu_len);
	want = mh_to_hex(pdu + 1, len);
	g_assert_cmpstr(got, ==, want);
	g_free(got);
	g_free(want);
	g_free(sub);
	/* the network refuses it: the RP-Cause comes back */
	h.peer.submit_rp_error = true;
	h.peer.submit_cause = 0x15;
	out = CALL(wms, raw_send, in, QmiMessageWmsRawSendOutput);
	g_assert_false(qmi_message_wms_raw_send_output_get_result(out, &error));
	g_assert_error(error, QMI_PROTOCOL_ERROR, QMI_PROTOCOL_ERROR_WMS_CAUSE_CODE);
	g_clear_error(&error);
	g_assert_true(qmi_message_wms_raw_send_output_get_gsm_wcdma_cause_info(out, &rp, &tp, NULL));
	g_assert_cmpuint(rp, ==, 0x15);
	qmi_message_wms_raw_send_output_unref(out);
	g_free(mh_peer_wait(&h.peer, SIMOTA_NETSIM_SUBMIT, 0, MS));
	g_array_unref(raw);
	qmi_message_wms_raw_send_input_unref(in);
	wms_close(&h, wms);
	mh_stop(&h);
}

/* ---- indications -------------------------------------------------------------------------------------- */

static void test_indications(void)
{
	struct mh h;
	QmiMessage *req, *resp, *ind;
	const guint8 *v;
	guint16 vlen;
	QmiClient *uim, *nas;
	char *ok;

	mh_start(&h, 1, NULL);
	uim = mh_allocate(&h, h.qmi, QMI_SERVICE_UIM);
	nas = mh_allocate(&h, h.qmi, QMI_SERVICE_NAS);
	/* UIM Register Events: card status */
	req = qmi_message_new(QMI_SERVICE_UIM, qmi_client_get_cid(uim), ++h.next_tid, 0x002E);
	put_u32(req, 0x01, QMI_UIM_EVENT_REGISTRATION_FLAG_CARD_STATUS);
	resp = mh_command(&h, h.qmi, req);
	g_assert_cmpint(result_of(resp), ==, QMI_PROTOCOL_ERROR_NONE);
	qmi_message_unref(req);
	qmi_message_unref(resp);

	ok = mh_control(&h, "sim-remove nothing-here");
	g_assert_true(g_str_has_prefix(ok, "error: "));
	g_free(ok);
	ok = g_strdup_printf("sim-remove %s", h.dev[0]);
	g_free(mh_control(&h, ok));
	g_free(ok);
	/* Card Status indication: card absent (TLV 0x10, byte 9: the card state) */
	ind = mh_wait_indication(&h, QMI_SERVICE_UIM, 0x0032, 0x10, MS);
	v = qmi_message_get_raw_tlv(ind, 0x10, &vlen);
	g_assert_cmpuint(vlen, >=, 10);
	g_assert_cmpuint(v[9], ==, QMI_UIM_CARD_STATE_ABSENT);
	qmi_message_unref(ind);
	/* no SIM: no registration (serving system indication: broadcast while the client keeps the default) */
	ind = mh_wait_indication(&h, QMI_SERVICE_NAS, 0x0024, 0x01, MS);
	g_assert_cmpuint(qmi_message_get_client_id(ind), ==, QMI_CID_BROADCAST);
	v = qmi_message_get_raw_tlv(ind, 0x01, &vlen);
	g_assert_cmpuint(v[0], ==, QMI_NAS_REGISTRATION_STATE_NOT_REGISTERED);
	qmi_message_unref(ind);
	ok = g_strdup_printf("sim-insert %s", h.dev[0]);
	g_free(mh_control(&h, ok));
	g_free(ok);
	for (;;) {
		ind = mh_wait_indication(&h, QMI_SERVICE_UIM, 0x0032, 0x10, MS);
		v = qmi_message_get_raw_tlv(ind, 0x10, &vlen);
		/* present, then its application (byte 16: the first one's state) ready */
		if (v[9] == QMI_UIM_CARD_STATE_PRESENT && vlen > 16 && v[16] == QMI_UIM_CARD_APPLICATION_STATE_READY) {
			qmi_message_unref(ind);
			break;
		}
		qmi_message_unref(ind);
	}
	for (;;) {
		ind = mh_wait_indication(&h, QMI_SERVICE_NAS, 0x0024, 0x01, MS);
		v = qmi_message_get_raw_tlv(ind, 0x01, &vlen);
		if (v[0] == QMI_NAS_REGISTRATION_STATE_REGISTERED) {
			qmi_message_unref(ind);
			break;
		}
		qmi_message_unref(ind);
	}
	/* the radio lost: not registered; back: registered, PLMN 001/01 */
	ok = g_strdup_printf("radio-down %s", h.dev[0]);
	g_free(mh_control(&h, ok));
	g_free(ok);
	ind = mh_wait_indication(&h, QMI_SERVICE_NAS, 0x0024, 0x01, MS);
	v = qmi_message_get_raw_tlv(ind, 0x01, &vlen);
	g_assert_cmpuint(v[0], ==, QMI_NAS_REGISTRATION_STATE_NOT_REGISTERED);
	qmi_message_unref(ind);
	ok = g_strdup_printf("radio-up %s", h.dev[0]);
	g_free(mh_control(&h, ok));
	g_free(ok);
	for (;;) {
		ind = mh_wait_indication(&h, QMI_SERVICE_NAS, 0x0024, 0x01, MS);
		v = qmi_message_get_raw_tlv(ind, 0x01, &vlen);
		if (v[0] == QMI_NAS_REGISTRATION_STATE_REGISTERED) {
			v = qmi_message_get_raw_tlv(ind, 0x12, &vlen);
			g_assert_nonnull(v);
			g_assert_cmpuint(v[0] | v[1] << 8, ==, 1);   /* MCC 001 */
			g_assert_cmpuint(v[2] | v[3] << 8, ==, 1);   /* MNC 01 */
			qmi_message_unref(ind);
			break;
		}
		qmi_message_unref(ind);
	}
	mh_release(&h, h.qmi, uim);
	mh_release(&h, h.qmi, nas);
	mh_stop(&h);
}

/* ---- bad input ---------------------------------------------------------------------------------------------- */

static int raw_connect(struct mh *h)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	socklen_t alen;
	struct timeval tv = { 10, 0 };

	/* abstract name: a leading NUL */
	memcpy(a.sun_path + 1, h->proxy, strlen(h->proxy));
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(h->proxy));
	g_assert_cmpint(connect(fd, (struct sockaddr *)&a, alen), ==, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void raw_send_bytes(int fd, const void *p, size_t len)
{
	g_assert_cmpint(send(fd, p, len, MSG_NOSIGNAL), ==, (ssize_t)len);
}

static void raw_send_msg(int fd, QmiMessage *m)
{
	gsize len;
	const guint8 *raw = qmi_message_get_raw(m, &len, NULL);

	raw_send_bytes(fd, raw, len);
	qmi_message_unref(m);
}

/* The next message from modem-emu on fd (indications skipped), or NULL at end of stream. */
static QmiMessage *raw_recv(int fd)
{
	GByteArray *buf = g_byte_array_new();

	for (;;) {
		uint8_t b[4096];
		ssize_t n;
		QmiMessage *m = NULL;

		while (buf->len && (m = qmi_message_new_from_raw(buf, NULL)) && qmi_message_is_indication(m)) {
			qmi_message_unref(m);
			m = NULL;
		}
		if (m) {
			g_byte_array_unref(buf);
			return m;
		}
		n = recv(fd, b, sizeof(b), 0);
		g_assert_cmpint(n, >=, 0);
		if (n == 0) {
			g_byte_array_unref(buf);
			return NULL;
		}
		g_byte_array_append(buf, b, (guint)n);
	}
}

static QmiProtocolError raw_result(int fd)
{
	QmiMessage *m = raw_recv(fd);
	QmiProtocolError e;

	g_assert_nonnull(m);
	g_assert_true(qmi_message_is_response(m));
	e = result_of(m);
	qmi_message_unref(m);
	return e;
}

static QmiMessage *proxy_open(const char *path)
{
	QmiMessage *m = qmi_message_new(QMI_SERVICE_CTL, 0, 1, 0xFF00);
	gsize init = qmi_message_tlv_write_init(m, 0x01, NULL);

	qmi_message_tlv_write_string(m, 0, path, -1, NULL);
	qmi_message_tlv_write_complete(m, init, NULL);
	return m;
}

static void get_ids_works(struct mh *h, QmiClient *dms)
{
	GAsyncResult *res = NULL;
	QmiMessageDmsGetIdsOutput *out;
	const char *imei;

	qmi_client_dms_get_ids(QMI_CLIENT_DMS(dms), NULL, 10, NULL, mh_got_result, &res);
	mh_await(&res, MS, "Get IDs");
	out = qmi_client_dms_get_ids_finish(QMI_CLIENT_DMS(dms), res, NULL);
	g_assert_nonnull(out);
	g_assert_true(qmi_message_dms_get_ids_output_get_result(out, NULL));
	g_assert_true(qmi_message_dms_get_ids_output_get_imei(out, &imei, NULL));
	g_assert_cmpstr(imei, ==, "359881030314356");
	qmi_message_dms_get_ids_output_unref(out);
	g_object_unref(res);
}

/* One bad frame on its own client: that client is closed (read returns end of stream). */
static void closed_by(struct mh *h, const uint8_t *bytes, size_t len)
{
	int fd = raw_connect(h);

	raw_send_msg(fd, proxy_open(h->dev[0]));
	g_assert_cmpint(raw_result(fd), ==, QMI_PROTOCOL_ERROR_NONE);
	raw_send_bytes(fd, bytes, len);
	g_assert_null(raw_recv(fd));
	close(fd);
}

static void test_bad_input(void)
{
	struct mh h;
	QmiDevice *other;
	QmiClient *dms0, *dms1;
	QmiMessage *m;
	GAsyncResult *res = NULL;
	GError *error = NULL;
	int fd;
	gsize init;
	uint8_t cid;
	char *cmd;
	/* QMUX length 3: shorter than its own header */
	static const uint8_t short_frame[] = { 0x01, 0x03, 0x00, 0x00, 0x02, 0x01 };
	/* a marker that is no QMUX marker */
	static const uint8_t bad_marker[] = { 0x02, 0x0C, 0x00, 0x00, 0x02, 0x01, 0x00, 0x01, 0x00, 0x25, 0x00,
					      0x00, 0x00 };
	/* QMUX length 0xFFFF: above what a request may be */
	static const uint8_t oversized[] = { 0x01, 0xFF, 0xFF, 0x00, 0x02, 0x01, 0x00, 0x01, 0x00 };

	mh_start(&h, 2, NULL);
	mh_wait_status(&h, 1, "sim", "ready");
	dms0 = mh_allocate(&h, h.qmi, QMI_SERVICE_DMS);
	other = mh_open_device(&h, 1);
	dms1 = mh_allocate(&h, other, QMI_SERVICE_DMS);
	get_ids_works(&h, dms0);
	get_ids_works(&h, dms1);

	fd = raw_connect(&h);
	/* a request before "internal proxy open": no modem chosen yet */
	raw_send_msg(fd, qmi_message_new(QMI_SERVICE_DMS, 1, 1, 0x0025));
	g_assert_cmpint(raw_result(fd), ==, QMI_PROTOCOL_ERROR_DEVICE_NOT_READY);
	/* a path no modem has, then the right one, then a second proxy open */
	raw_send_msg(fd, proxy_open("/dev/no-such-modem"));
	g_assert_cmpint(raw_result(fd), ==, QMI_PROTOCOL_ERROR_DEVICE_UNSUPPORTED);
	raw_send_msg(fd, proxy_open(h.dev[0]));
	g_assert_cmpint(raw_result(fd), ==, QMI_PROTOCOL_ERROR_NONE);
	raw_send_msg(fd, proxy_open(h.dev[1]));
	g_assert_cmpint(raw_result(fd), ==, QMI_PROTOCOL_ERROR_INVALID_OPERATION);
	/* a service the modem does not have, a CID never allocated, a message DMS does not know */
	raw_send_msg(fd, qmi_message_new(0x30, 1, 1, 0x0001));
	g_assert_cmpint(raw_result(fd), ==, QMI_PROTOCOL_ERROR_INVALID_SERVICE_TYPE);
	raw_send_msg(fd, qmi_message_new(QMI_SERVICE_DMS, 200, 2, 0x0025));
	g_assert_cmpint(raw_result(fd), ==, QMI_PROTOCOL_ERROR_INVALID_CLIENT_ID);
	m = qmi_message_new(QMI_SERVICE_CTL, 0, 3, 0x0022);
	init = qmi_message_tlv_write_init(m, 0x01, NULL);
	qmi_message_tlv_write_guint8(m, QMI_SERVICE_DMS, NULL);
	qmi_message_tlv_write_complete(m, init, NULL);
	raw_send_msg(fd, m);
	m = raw_recv(fd);
	g_assert_cmpint(result_of(m), ==, QMI_PROTOCOL_ERROR_NONE);
	cid = qmi_message_get_raw_tlv(m, 0x01, &(guint16){ 0 })[1];
	qmi_message_unref(m);
	raw_send_msg(fd, qmi_message_new(QMI_SERVICE_DMS, cid, 3, 0x5A5A));
	g_assert_cmpint(raw_result(fd), ==, QMI_PROTOCOL_ERROR_INVALID_QMI_COMMAND);
	/* a mandatory TLV missing; a TLV whose length runs past the end of the message */
	raw_send_msg(fd, qmi_message_new(QMI_SERVICE_DMS, cid, 4, 0x002E));
	g_assert_cmpint(raw_result(fd), ==, QMI_PROTOCOL_ERROR_MISSING_ARGUMENT);
	{
		/* DMS Set Operating Mode, TLV 0x01 claiming 9 bytes where there is 1 */
		static const uint8_t past_end[] = { 0x01, 0x10, 0x00, 0x00, 0x02, 0x00, 0x00, 0x05, 0x00, 0x2E,
						    0x00, 0x04, 0x00, 0x01, 0x09, 0x00, 0x00 };
		uint8_t b[sizeof(past_end)];

		memcpy(b, past_end, sizeof(b));
		b[5] = cid;
		raw_send_bytes(fd, b, sizeof(b));
		g_assert_cmpint(raw_result(fd), ==, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
	}
	/* a response from the client: ignored; the client still works */
	raw_send_msg(fd, qmi_message_response_new(qmi_message_new(QMI_SERVICE_DMS, cid, 9, 0x0025),
						  QMI_PROTOCOL_ERROR_NONE));
	raw_send_msg(fd, qmi_message_new(QMI_SERVICE_DMS, cid, 5, 0x0025));
	g_assert_cmpint(raw_result(fd), ==, QMI_PROTOCOL_ERROR_NONE);
	close(fd);

	/* framing lost: those clients are closed, nobody else notices */
	closed_by(&h, short_frame, sizeof(short_frame));
	closed_by(&h, bad_marker, sizeof(bad_marker));
	closed_by(&h, oversized, sizeof(oversized));
	get_ids_works(&h, dms0);
	get_ids_works(&h, dms1);

	/* a muted modem answers nothing (a bounded wait fails); the other modem answers; unmuted: again */
	cmd = g_strdup_printf("mute %s", h.dev[0]);
	g_free(mh_control(&h, cmd));
	g_free(cmd);
	qmi_client_dms_get_ids(QMI_CLIENT_DMS(dms0), NULL, 1, NULL, mh_got_result, &res);
	get_ids_works(&h, dms1);
	mh_await(&res, MS, "a timeout");
	g_assert_null(qmi_client_dms_get_ids_finish(QMI_CLIENT_DMS(dms0), res, &error));
	g_assert_error(error, QMI_CORE_ERROR, QMI_CORE_ERROR_TIMEOUT);
	g_clear_error(&error);
	g_clear_object(&res);
	cmd = g_strdup_printf("unmute %s", h.dev[0]);
	g_free(mh_control(&h, cmd));
	g_free(cmd);
	get_ids_works(&h, dms0);

	mh_release(&h, h.qmi, dms0);
	mh_release(&h, other, dms1);
	qmi_device_close_async(other, 5, NULL, mh_got_result, &res);
	mh_await(&res, MS, "close");
	g_object_unref(res);
	g_object_unref(other);
	mh_stop(&h);
}

/* ---- UIM Write Transparent / Write Record ------------------------------------------------------------------ */

#define UIM_READ_RECORD 0x0021
#define UIM_WRITE_TRANSPARENT 0x0022
#define UIM_WRITE_RECORD 0x0023
#define FID_SMSP 0x6F42        /* 40-byte records, update PIN1 */
#define FID_FPLMN 0x6F7B       /* 12 bytes, update PIN1 */
#define FID_SPN 0x6F46         /* update ADM */

/* A UIM request on ADF.USIM's file fid: TLV 0x01 GW provisioning session, 0x02 file id + path 3F00 7FFF. */
static QmiMessage *uim_file_request(struct mh *h, QmiClient *uim, uint16_t msgid, uint16_t fid)
{
	static const guint8 path[] = { 0x00, 0x3F, 0xFF, 0x7F };
	QmiMessage *m = qmi_message_new(QMI_SERVICE_UIM, qmi_client_get_cid(uim), ++h->next_tid, msgid);
	gsize init = qmi_message_tlv_write_init(m, 0x01, NULL);

	qmi_message_tlv_write_guint8(m, QMI_UIM_SESSION_TYPE_PRIMARY_GW_PROVISIONING, NULL);
	qmi_message_tlv_write_guint8(m, 0, NULL);
	qmi_message_tlv_write_complete(m, init, NULL);
	init = qmi_message_tlv_write_init(m, 0x02, NULL);
	qmi_message_tlv_write_guint16(m, QMI_ENDIAN_LITTLE, fid, NULL);
	qmi_message_tlv_write_guint8(m, sizeof(path), NULL);
	for (size_t i = 0; i < sizeof(path); i++)
		qmi_message_tlv_write_guint8(m, path[i], NULL);
	g_assert_true(qmi_message_tlv_write_complete(m, init, NULL));
	return m;
}

/* TLV 0x03 of Write Transparent / Record: offset or record, then declared (u16) and len bytes. */
static void put_write_info(QmiMessage *m, uint16_t where, uint16_t declared, const uint8_t *p, size_t len)
{
	gsize init = qmi_message_tlv_write_init(m, 0x03, NULL);

	qmi_message_tlv_write_guint16(m, QMI_ENDIAN_LITTLE, where, NULL);
	qmi_message_tlv_write_guint16(m, QMI_ENDIAN_LITTLE, declared, NULL);
	for (size_t i = 0; i < len; i++)
		qmi_message_tlv_write_guint8(m, p[i], NULL);
	g_assert_true(qmi_message_tlv_write_complete(m, init, NULL));
}

/* The request sent: its QMI error, and the card result TLV 0x10 in *sw (0 without one). */
static QmiProtocolError uim_send(struct mh *h, QmiMessage *req, uint16_t *sw, QmiMessage **resp_out)
{
	QmiMessage *resp = mh_command(h, h->qmi, req);
	guint16 len;
	const guint8 *card = qmi_message_get_raw_tlv(resp, 0x10, &len);
	QmiProtocolError e = result_of(resp);

	*sw = card && len == 2 ? (uint16_t)(card[0] << 8 | card[1]) : 0;
	qmi_message_unref(req);
	if (resp_out)
		*resp_out = resp;
	else
		qmi_message_unref(resp);
	return e;
}

static QmiProtocolError uim_write(struct mh *h, QmiClient *uim, uint16_t msgid, uint16_t fid, uint16_t where,
				  const uint8_t *p, size_t len, uint16_t *sw)
{
	QmiMessage *req = uim_file_request(h, uim, msgid, fid);

	put_write_info(req, where, (uint16_t)len, p, len);
	return uim_send(h, req, sw, NULL);
}

/* Record rec of fid through UIM Read Record (TLV 0x11: u16 length + the record); g_free. */
static uint8_t *uim_read_record(struct mh *h, QmiClient *uim, uint16_t fid, uint16_t rec, size_t *len)
{
	QmiMessage *req = uim_file_request(h, uim, UIM_READ_RECORD, fid), *resp;
	gsize init = qmi_message_tlv_write_init(req, 0x03, NULL);
	const guint8 *v;
	guint16 vlen;
	uint16_t sw;
	uint8_t *out;

	qmi_message_tlv_write_guint16(req, QMI_ENDIAN_LITTLE, rec, NULL);
	qmi_message_tlv_write_guint16(req, QMI_ENDIAN_LITTLE, 0, NULL);
	qmi_message_tlv_write_complete(req, init, NULL);
	g_assert_cmpint(uim_send(h, req, &sw, &resp), ==, QMI_PROTOCOL_ERROR_NONE);
	g_assert_cmphex(sw, ==, 0x9000);
	v = qmi_message_get_raw_tlv(resp, 0x11, &vlen);
	g_assert_nonnull(v);
	*len = (size_t)(v[0] | v[1] << 8);
	g_assert_cmpuint(*len + 2, ==, vlen);
	out = g_memdup2(v + 2, *len);
	qmi_message_unref(resp);
	return out;
}

static void test_uim_write(void)
{
	struct mh h;
	QmiClient *uim;
	QmiMessage *req;
	uint8_t rec[40], big[256] = { 0 }, *back;
	static const uint8_t fplmn[3] = { 0x00, 0xF1, 0x10 }, spn[2] = { 0x01, 0x41 };
	size_t len;
	uint16_t sw;

	mh_start(&h, 1, NULL);
	uim = mh_allocate(&h, h.qmi, QMI_SERVICE_UIM);
	/* EF_SMSP record 1 (TS 31.102 §4.2.27, 12-byte alpha id): the service centre +15550999 present */
	memset(rec, 0xFF, sizeof(rec));
	rec[12] = 0xFD;
	memcpy(rec + 25, "\x05\x91\x51\x55\x90\x99", 6);
	g_assert_cmpint(uim_write(&h, uim, UIM_WRITE_RECORD, FID_SMSP, 1, rec, sizeof(rec), &sw), ==,
			QMI_PROTOCOL_ERROR_NONE);
	g_assert_cmphex(sw, ==, 0x9000);
	back = uim_read_record(&h, uim, FID_SMSP, 1, &len);
	g_assert_cmpmem(back, len, rec, sizeof(rec));
	g_free(back);
	/* EF_FPLMN bytes 3-5 (a transparent EF at an offset) */
	g_assert_cmpint(uim_write(&h, uim, UIM_WRITE_TRANSPARENT, FID_FPLMN, 3, fplmn, sizeof(fplmn), &sw), ==,
			QMI_PROTOCOL_ERROR_NONE);
	g_assert_cmphex(sw, ==, 0x9000);
	/* the card refuses: EF_SPN wants ADM (6982); a record of the wrong length (6700) */
	g_assert_cmpint(uim_write(&h, uim, UIM_WRITE_TRANSPARENT, FID_SPN, 0, spn, sizeof(spn), &sw), ==,
			QMI_PROTOCOL_ERROR_ACCESS_DENIED);
	g_assert_cmphex(sw, ==, 0x6982);
	g_assert_cmpint(uim_write(&h, uim, UIM_WRITE_RECORD, FID_SMSP, 1, rec, 10, &sw), ==,
			QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);
	g_assert_cmphex(sw, ==, 0x6700);
	/* a file the card does not have */
	g_assert_cmpint(uim_write(&h, uim, UIM_WRITE_TRANSPARENT, 0x6FFE, 0, spn, sizeof(spn), &sw), ==,
			QMI_PROTOCOL_ERROR_SIM_FILE_NOT_FOUND);
	g_assert_cmphex(sw, ==, 0x6A82);

	/* bad TLVs: never sent to the card (no card result) */
	g_assert_cmpint(uim_write(&h, uim, UIM_WRITE_RECORD, FID_SMSP, 0, rec, sizeof(rec), &sw), ==,
			QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);                  /* record 0 */
	g_assert_cmpint(uim_write(&h, uim, UIM_WRITE_RECORD, FID_SMSP, 255, rec, sizeof(rec), &sw), ==,
			QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);                  /* record 255 */
	g_assert_cmpint(uim_write(&h, uim, UIM_WRITE_TRANSPARENT, FID_FPLMN, 0, rec, 0, &sw), ==,
			QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);                  /* no data */
	g_assert_cmpint(uim_write(&h, uim, UIM_WRITE_TRANSPARENT, FID_FPLMN, 0x7FFF, fplmn, 2, &sw), ==,
			QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);                  /* past offset 32767 */
	g_assert_cmpint(uim_write(&h, uim, UIM_WRITE_TRANSPARENT, FID_FPLMN, 0, big, sizeof(big), &sw), ==,
			QMI_PROTOCOL_ERROR_ARGUMENT_TOO_LONG);                 /* more than one UPDATE BINARY */
	g_assert_cmphex(sw, ==, 0);
	req = uim_file_request(&h, uim, UIM_WRITE_RECORD, FID_SMSP);   /* no TLV 0x03 */
	g_assert_cmpint(uim_send(&h, req, &sw, NULL), ==, QMI_PROTOCOL_ERROR_MISSING_ARGUMENT);
	req = qmi_message_new(QMI_SERVICE_UIM, qmi_client_get_cid(uim), ++h.next_tid, UIM_WRITE_RECORD);
	put_write_info(req, 1, sizeof(rec), rec, sizeof(rec));         /* no TLV 0x02 */
	g_assert_cmpint(uim_send(&h, req, &sw, NULL), ==, QMI_PROTOCOL_ERROR_MISSING_ARGUMENT);
	req = uim_file_request(&h, uim, UIM_WRITE_RECORD, FID_SMSP);
	put_write_info(req, 1, sizeof(rec), rec, 5);                   /* 40 bytes said, 5 there */
	g_assert_cmpint(uim_send(&h, req, &sw, NULL), ==, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
	req = uim_file_request(&h, uim, UIM_WRITE_TRANSPARENT, FID_FPLMN);
	put_write_info(req, 0, 2, fplmn, 3);                           /* a byte after the data */
	g_assert_cmpint(uim_send(&h, req, &sw, NULL), ==, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
	g_assert_cmphex(sw, ==, 0);

	/* what the card holds is the good write's */
	back = uim_read_record(&h, uim, FID_SMSP, 1, &len);
	g_assert_cmpmem(back, len, rec, sizeof(rec));
	g_free(back);
	mh_release(&h, h.qmi, uim);
	mh_stop(&h);
}

/* ---- kill -9 and restart ----------------------------------------------------------------------------------- */

static bool process_gone(int pid)
{
	char *path = g_strdup_printf("/proc/%d/stat", pid), *text = NULL, *p;
	bool gone = !g_file_get_contents(path, &text, NULL, NULL);

	/* a zombie (state Z) is gone too: nobody has reaped it yet */
	if (!gone && (p = strrchr(text, ')')) && p[1] == ' ' && p[2] == 'Z')
		gone = true;
	g_free(text);
	g_free(path);
	return gone;
}

static void test_kill9_restart(void)
{
	GAsyncResult *res = NULL;
	char *lock_path, *sim;
	int lock_fd;
	struct mh h;
	QmiClient *wms;
	struct simota_netsim_frame *rep;
	GArray *l;
	uint8_t tpdu[256];
	size_t len;
	uint32_t id;
	int sim_pid;
	char *ir;

	mh_start(&h, 1, NULL);
	wms = wms_open(&h);
	/* a secured packet moves the card's counter to 1; a message is stored on the SIM */
	len = mh_secured_sms(TAR, 1, C2, tpdu, sizeof(tpdu));
	id = mh_peer_deliver(&h.peer, tpdu, len);
	rep = mh_peer_wait(&h.peer, SIMOTA_NETSIM_DELIVER_REPORT, id, MS);
	g_assert_cmpuint(mh_por(rep->tpdu, rep->tpdu_len, NULL), ==, 0);
	g_free(rep);
	stored_message(&h, wms, 0xF6, QMI_WMS_STORAGE_TYPE_UIM, "kept on the SIM");
	wms_close(&h, wms);
	qmi_device_close_async(h.qmi, 5, NULL, mh_got_result, &res);
	mh_await(&res, MS, "close");
	g_clear_object(&res);
	g_clear_object(&h.qmi);

	sim_pid = (int)mh_status_int(&h, 0, "sim_pid");
	g_assert_cmpint(sim_pid, >, 0);
	mh_kill9(&h);
	/* the SIM process goes with its modem (PR_SET_PDEATHSIG) */
	for (gint64 end = g_get_monotonic_time() + MS * 1000; !process_gone(sim_pid);) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(10000);
	}
	/*
	 * The card's state lock still held when the new modem starts (what a
	 * killed card does for a moment): its uicc-emu refuses, modem-emu starts
	 * it again with a backoff until the lock is free.
	 */
	lock_path = g_strconcat(h.state, ".lock", NULL);
	lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	/* the old card's threads may still hold it a moment after its main thread is gone */
	for (gint64 end = g_get_monotonic_time() + MS * 1000; flock(lock_fd, LOCK_EX | LOCK_NB) != 0;) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(10000);
	}
	mh_spawn_emu(&h);
	while (mh_status_int(&h, 0, "sim_starts") < 2) {
		bool tick = false;

		g_timeout_add(20, expire, &tick);
		while (!tick)
			g_main_context_iteration(NULL, TRUE);
	}
	sim = mh_status_str(&h, 0, "sim");
	g_assert_cmpstr(sim, ==, "absent");
	g_free(sim);
	close(lock_fd);
	g_free(lock_path);
	mh_wait_status(&h, 0, "sim", "ready");
	mh_wait_status(&h, 0, "registration", "home");
	g_assert_cmpint(mh_status_int(&h, 0, "sim_pid"), !=, sim_pid);
	h.qmi = mh_open_device(&h, 0);
	/* the counter is the card's, kept: 1 again is too low, 2 goes */
	len = mh_secured_sms(TAR, 1, C2, tpdu, sizeof(tpdu));
	id = mh_peer_deliver(&h.peer, tpdu, len);
	rep = mh_peer_wait(&h.peer, SIMOTA_NETSIM_DELIVER_REPORT, id, MS);
	g_assert_cmpuint(mh_por(rep->tpdu, rep->tpdu_len, NULL), ==, 0x02);   /* counter low (TS 102 225 §5.2.2) */
	g_free(rep);
	len = mh_secured_sms(TAR, 2, C2, tpdu, sizeof(tpdu));
	id = mh_peer_deliver(&h.peer, tpdu, len);
	rep = mh_peer_wait(&h.peer, SIMOTA_NETSIM_DELIVER_REPORT, id, MS);
	g_assert_cmpuint(mh_por(rep->tpdu, rep->tpdu_len, &ir), ==, 0);
	g_free(ir);
	g_free(rep);
	/* the message on the SIM is there after the restart */
	wms = wms_open(&h);
	l = list(wms, QMI_WMS_STORAGE_TYPE_UIM);
	g_assert_cmpuint(l->len, ==, 1);
	g_array_unref(l);
	wms_close(&h, wms);
	mh_stop(&h);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	if (!g_getenv("MODEM_EMU") || !g_getenv("UICC_EMU")) {
		g_test_skip("MODEM_EMU and UICC_EMU name the binaries");
		return g_test_run();
	}
	g_test_add_func("/modem-qmi/cat-display-text", test_cat_display_text);
	g_test_add_func("/modem-qmi/cat-envelope-configuration", test_cat_envelope_and_configuration);
	g_test_add_func("/modem-qmi/wms-transfer-route", test_wms_transfer_route);
	g_test_add_func("/modem-qmi/wms-store-and-notify", test_wms_store_and_notify);
	g_test_add_func("/modem-qmi/wms-raw-send", test_wms_raw_send);
	g_test_add_func("/modem-qmi/uim-write", test_uim_write);
	g_test_add_func("/modem-qmi/indications", test_indications);
	g_test_add_func("/modem-qmi/bad-input", test_bad_input);
	g_test_add_func("/modem-qmi/kill9-restart", test_kill9_restart);
	return g_test_run();
}
