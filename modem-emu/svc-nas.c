/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAS (libqmi data/qmi-service-nas.json), reflecting the netsim link:
 * attached = registered on the home network (LTE, the SIM's MCC/MNC),
 * link being sought = "not registered, searching", radio off / no SIM /
 * low power = "not registered".
 *   Set Event Report 0x0002 (TLV 0x10 signal strength) + Event Report
 *   indication 0x0002; Register Indications 0x0003 (0x13 serving system:
 *   broadcast, CID 0xFF, until a client registers, then to its CID; 0x19
 *   signal info); Get Signal Strength 0x0020; Get Serving System
 *   0x0024 + Serving System indication 0x0024; Get Home Network 0x0025;
 *   Get Signal Info 0x004F + Signal Info indication 0x0051; Get Supported
 *   Messages 0x001E.
 */
#include <string.h>

#include "modem-emu.h"

/* The one cell: LTE, good signal. */
#define RSSI_DBM (-65)
#define RSRQ_DB (-8)
#define RSRP_DBM (-90)
#define SNR_TENTHS_DB 100

struct me_nas {
	struct me_modem *m;
	bool reported;
	enum me_reg_state last;
};

/* MCC and MNC from the IMSI (the MNC length from EF_AD, else 2 digits). */
static bool home_plmn(struct me_modem *m, uint16_t *mcc, uint16_t *mnc, unsigned *mnc_digits)
{
	const char *imsi = m->card.imsi;
	unsigned ml = m->card.mnc_len == 3 ? 3 : 2;

	if (!m->card.identities || strlen(imsi) < 3 + ml)
		return false;
	*mcc = (uint16_t)((imsi[0] - '0') * 100 + (imsi[1] - '0') * 10 + (imsi[2] - '0'));
	*mnc = 0;
	for (unsigned i = 0; i < ml; i++)
		*mnc = (uint16_t)(*mnc * 10 + (imsi[3 + i] - '0'));
	*mnc_digits = ml;
	return true;
}

/* TLVs 0x01 (serving system), 0x10 (roaming), 0x12 (current PLMN): the same ids in the response and the indication. */
static void fill_serving_system(QmiMessage *msg, void *user)
{
	struct me_modem *m = user;
	enum me_reg_state st = me_modem_reg_state(m);
	struct me_tlv_w t;
	uint16_t mcc, mnc;
	unsigned md;

	me_tlv_begin(&t, msg, 0x01);
	me_tlv_u8(&t, st == ME_REG_HOME ? QMI_NAS_REGISTRATION_STATE_REGISTERED :
		  st == ME_REG_SEARCHING ? QMI_NAS_REGISTRATION_STATE_NOT_REGISTERED_SEARCHING :
		  QMI_NAS_REGISTRATION_STATE_NOT_REGISTERED);
	me_tlv_u8(&t, st == ME_REG_HOME ? QMI_NAS_ATTACH_STATE_ATTACHED : QMI_NAS_ATTACH_STATE_DETACHED);
	me_tlv_u8(&t, st == ME_REG_HOME ? QMI_NAS_ATTACH_STATE_ATTACHED : QMI_NAS_ATTACH_STATE_DETACHED);
	me_tlv_u8(&t, st == ME_REG_HOME ? QMI_NAS_NETWORK_TYPE_3GPP : QMI_NAS_NETWORK_TYPE_UNKNOWN);
	if (st == ME_REG_HOME) {
		me_tlv_u8(&t, 1);
		me_tlv_i8(&t, QMI_NAS_RADIO_INTERFACE_LTE);
	} else {
		me_tlv_u8(&t, 0);
	}
	me_tlv_end(&t);
	if (st != ME_REG_HOME)
		return;
	me_tlv_put_u8(msg, 0x10, QMI_NAS_ROAMING_INDICATOR_STATUS_OFF);
	if (home_plmn(m, &mcc, &mnc, &md)) {
		me_tlv_begin(&t, msg, 0x12);
		me_tlv_u16(&t, mcc);
		me_tlv_u16(&t, mnc);
		me_tlv_string(&t, 1, "netsim");
		me_tlv_end(&t);
	}
}

static void get_serving_system(struct me_req *r)
{
	QmiMessage *resp = me_resp_new(r);

	fill_serving_system(resp, r->modem);
	me_req_finish(r, resp);
}

static void get_home_network(struct me_req *r)
{
	uint16_t mcc, mnc;
	unsigned md;
	QmiMessage *resp;
	struct me_tlv_w t;

	if (!home_plmn(r->modem, &mcc, &mnc, &md)) {
		me_req_fail(r, r->modem->card.state == ME_CARD_READY ? QMI_PROTOCOL_ERROR_PIN_RESTRICTION :
			    QMI_PROTOCOL_ERROR_UIM_UNINITIALIZED);
		return;
	}
	resp = me_resp_new(r);
	me_tlv_begin(&t, resp, 0x01);
	me_tlv_u16(&t, mcc);
	me_tlv_u16(&t, mnc);
	me_tlv_string(&t, 1, "netsim");
	me_tlv_end(&t);
	/* 0x12: 3GPP, and whether the MNC has 3 digits (the "PCS digit") */
	me_tlv_begin(&t, resp, 0x12);
	me_tlv_u8(&t, 1);
	me_tlv_u8(&t, md == 3);
	me_tlv_end(&t);
	me_req_finish(r, resp);
}

static void get_signal_strength(struct me_req *r)
{
	QmiMessage *resp;
	struct me_tlv_w t;

	if (me_modem_reg_state(r->modem) != ME_REG_HOME) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_NO_NETWORK_FOUND);
		return;
	}
	resp = me_resp_new(r);
	me_tlv_begin(&t, resp, 0x01);
	me_tlv_i8(&t, RSSI_DBM);
	me_tlv_i8(&t, QMI_NAS_RADIO_INTERFACE_LTE);
	me_tlv_end(&t);
	me_tlv_begin(&t, resp, 0x16);
	me_tlv_i8(&t, RSRQ_DB);
	me_tlv_i8(&t, QMI_NAS_RADIO_INTERFACE_LTE);
	me_tlv_end(&t);
	me_tlv_begin(&t, resp, 0x17);
	me_tlv_i16(&t, SNR_TENTHS_DB);
	me_tlv_end(&t);
	me_tlv_begin(&t, resp, 0x18);
	me_tlv_i16(&t, RSRP_DBM);
	me_tlv_end(&t);
	me_req_finish(r, resp);
}

/* TLV 0x14: LTE RSSI, RSRQ, RSRP, SNR; nothing without service. */
static void fill_signal_info(QmiMessage *msg, void *user)
{
	struct me_modem *m = user;
	struct me_tlv_w t;

	if (me_modem_reg_state(m) != ME_REG_HOME)
		return;
	me_tlv_begin(&t, msg, 0x14);
	me_tlv_i8(&t, RSSI_DBM);
	me_tlv_i8(&t, RSRQ_DB);
	me_tlv_i16(&t, RSRP_DBM);
	me_tlv_i16(&t, SNR_TENTHS_DB);
	me_tlv_end(&t);
}

static void get_signal_info(struct me_req *r)
{
	QmiMessage *resp = me_resp_new(r);

	fill_signal_info(resp, r->modem);
	me_req_finish(r, resp);
}

/* Event Report TLV 0x10: strength and radio interface (no service: -125 dBm, none). */
static void fill_event_strength(QmiMessage *msg, void *user)
{
	struct me_modem *m = user;
	bool home = me_modem_reg_state(m) == ME_REG_HOME;
	struct me_tlv_w t;

	me_tlv_begin(&t, msg, 0x10);
	me_tlv_i8(&t, home ? RSSI_DBM : -125);
	me_tlv_i8(&t, home ? QMI_NAS_RADIO_INTERFACE_LTE : QMI_NAS_RADIO_INTERFACE_NONE);
	me_tlv_end(&t);
}

static void set_event_report(struct me_req *r)
{
	struct me_tlv_r rd;

	if (me_tlv_open(&rd, r->msg, 0x10)) {
		uint8_t report;

		if (!me_rd_u8(&rd, &report)) {
			me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
			return;
		}
		r->cid->nas_event_strength = report;
	}
	me_req_finish(r, me_resp_new(r));
}

static void register_indications(struct me_req *r)
{
	struct me_tlv_r rd;
	uint8_t v;

	if (me_tlv_open(&rd, r->msg, 0x13)) {
		if (!me_rd_u8(&rd, &v))
			goto bad;
		r->cid->nas_serving = v;
		r->cid->nas_serving_set = true;
	}
	if (me_tlv_open(&rd, r->msg, 0x19)) {
		if (!me_rd_u8(&rd, &v))
			goto bad;
		r->cid->nas_signal_info = v;
	}
	me_req_finish(r, me_resp_new(r));
	return;
bad:
	me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
}

static bool wants_serving(const struct me_cid *c, void *user)
{
	return c->nas_serving && c->nas_serving_set;
}

static bool default_serving(const struct me_cid *c, void *user)
{
	return !c->nas_serving_set;
}

static bool wants_signal_info(const struct me_cid *c, void *user)
{
	return c->nas_signal_info;
}

static bool wants_strength(const struct me_cid *c, void *user)
{
	return c->nas_event_strength;
}

void me_nas_registration_changed(struct me_modem *m)
{
	struct me_nas *n = m->nas;
	enum me_reg_state st = me_modem_reg_state(m);

	if (n->reported && st == n->last)
		return;
	n->reported = true;
	n->last = st;
	ME_DEBUG("%s: registration %s", m->name, st == ME_REG_HOME ? "home" :
		 st == ME_REG_SEARCHING ? "searching" : "off");
	/* the serving system: broadcast to the clients that kept the default, to the CID of those that registered */
	me_modem_broadcast(m, QMI_SERVICE_NAS, 0x0024, default_serving, fill_serving_system, m);
	me_modem_indicate(m, QMI_SERVICE_NAS, 0x0024, wants_serving, fill_serving_system, m);
	me_modem_indicate(m, QMI_SERVICE_NAS, 0x0051, wants_signal_info, fill_signal_info, m);
	me_modem_indicate(m, QMI_SERVICE_NAS, 0x0002, wants_strength, fill_event_strength, m);
}

struct me_nas *me_nas_new(struct me_modem *m)
{
	struct me_nas *n = g_new0(struct me_nas, 1);

	n->m = m;
	return n;
}

void me_nas_free(struct me_nas *n)
{
	g_free(n);
}

static const struct me_msg_handler handlers[] = {
	{ 0x001E, "Get Supported Messages", me_handle_supported_messages },
	{ 0x0002, "Set Event Report", set_event_report },
	{ 0x0003, "Register Indications", register_indications },
	{ 0x0020, "Get Signal Strength", get_signal_strength },
	{ 0x0024, "Get Serving System", get_serving_system },
	{ 0x0025, "Get Home Network", get_home_network },
	{ 0x004F, "Get Signal Info", get_signal_info },
};

const struct me_service me_svc_nas = { QMI_SERVICE_NAS, "nas", 1, 25, handlers, G_N_ELEMENTS(handlers) };
