/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DMS (libqmi data/qmi-service-dms.json): Get Capabilities 0x0020, Get
 * Manufacturer 0x0021, Get Model 0x0022, Get Revision 0x0023, Get MSISDN
 * 0x0024, Get IDs 0x0025 (the IMEI of imei=), Get Hardware Revision 0x002C,
 * Get / Set Operating Mode 0x002D / 0x002E, UIM Get ICCID 0x003C, UIM Get
 * IMSI 0x0043, Get Software Version 0x0051, Get Supported Messages 0x001E.
 */
#include "modem-emu.h"

#define MANUFACTURER "stkbridge"
#define MODEL "modem-emu"
#define REVISION "modem-emu 1.0 (stkbridge QMI modem emulator)"
#define HARDWARE_REVISION "1"
#define SOFTWARE_VERSION "1.0"

static void reply_string(struct me_req *r, const char *s)
{
	QmiMessage *resp = me_resp_new(r);

	me_tlv_put_string(resp, 0x01, s);
	me_req_finish(r, resp);
}

static void get_capabilities(struct me_req *r)
{
	QmiMessage *resp = me_resp_new(r);
	struct me_tlv_w t;

	me_tlv_begin(&t, resp, 0x01);
	me_tlv_u32(&t, 50000000);   /* max tx, rx channel rate (bps) */
	me_tlv_u32(&t, 150000000);
	me_tlv_u8(&t, QMI_DMS_DATA_SERVICE_CAPABILITY_NON_SIMULTANEOUS_CS_PS);
	me_tlv_u8(&t, QMI_DMS_SIM_CAPABILITY_SUPPORTED);
	me_tlv_u8(&t, 1);
	me_tlv_u8(&t, QMI_DMS_RADIO_INTERFACE_LTE);
	me_tlv_end(&t);
	me_req_finish(r, resp);
}

static void get_manufacturer(struct me_req *r)
{
	reply_string(r, MANUFACTURER);
}

static void get_model(struct me_req *r)
{
	reply_string(r, MODEL);
}

static void get_revision(struct me_req *r)
{
	reply_string(r, REVISION);
}

static void get_hardware_revision(struct me_req *r)
{
	reply_string(r, HARDWARE_REVISION);
}

static void get_software_version(struct me_req *r)
{
	reply_string(r, SOFTWARE_VERSION);
}

/* The SIM's values: while the card is not read (no SIM, PIN1 required) there are none. */
static QmiProtocolError sim_value_error(struct me_modem *m, bool needs_pin)
{
	if (m->card.state == ME_CARD_ABSENT || m->card.state == ME_CARD_ERROR)
		return QMI_PROTOCOL_ERROR_UIM_UNINITIALIZED;
	if (needs_pin && !m->card.identities)
		return m->card.state == ME_CARD_INIT ? QMI_PROTOCOL_ERROR_DEVICE_NOT_READY :
		       QMI_PROTOCOL_ERROR_PIN_RESTRICTION;
	return QMI_PROTOCOL_ERROR_NONE;
}

static void get_msisdn(struct me_req *r)
{
	QmiProtocolError e = sim_value_error(r->modem, true);

	if (e)
		me_req_fail(r, e);
	else if (!r->modem->card.msisdn[0])
		me_req_fail(r, QMI_PROTOCOL_ERROR_NOT_PROVISIONED);
	else
		reply_string(r, r->modem->card.msisdn);
}

static void uim_get_iccid(struct me_req *r)
{
	QmiProtocolError e = sim_value_error(r->modem, false);

	if (e || !r->modem->card.iccid[0])
		me_req_fail(r, e ? e : QMI_PROTOCOL_ERROR_DEVICE_NOT_READY);
	else
		reply_string(r, r->modem->card.iccid);
}

static void uim_get_imsi(struct me_req *r)
{
	QmiProtocolError e = sim_value_error(r->modem, true);

	if (e)
		me_req_fail(r, e);
	else
		reply_string(r, r->modem->card.imsi);
}

static void get_ids(struct me_req *r)
{
	QmiMessage *resp = me_resp_new(r);

	me_tlv_put_string(resp, 0x11, r->modem->cfg.imei);   /* IMEI; no ESN, no MEID (3GPP only) */
	me_tlv_put_string(resp, 0x13, "01");                  /* IMEI software version */
	me_req_finish(r, resp);
}

static void get_operating_mode(struct me_req *r)
{
	QmiMessage *resp = me_resp_new(r);

	me_tlv_put_u8(resp, 0x01, r->modem->operating_mode);
	me_tlv_put_u8(resp, 0x11, 0);   /* not hardware restricted */
	me_req_finish(r, resp);
}

static void set_operating_mode(struct me_req *r)
{
	struct me_modem *m;
	struct me_tlv_r rd;
	uint8_t mode;

	if (!me_req_tlv(r, 0x01, &rd))
		return;
	if (!me_rd_u8(&rd, &mode)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	switch (mode) {
	case QMI_DMS_OPERATING_MODE_ONLINE:
	case QMI_DMS_OPERATING_MODE_LOW_POWER:
	case QMI_DMS_OPERATING_MODE_OFFLINE:
	case QMI_DMS_OPERATING_MODE_PERSISTENT_LOW_POWER:
	case QMI_DMS_OPERATING_MODE_MODE_ONLY_LOW_POWER:
	case QMI_DMS_OPERATING_MODE_RESET:
		break;
	default:
		/* factory test, shutting down, unknown values */
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_TRANSITION);
		return;
	}
	if (r->modem->operating_mode == QMI_DMS_OPERATING_MODE_OFFLINE && mode != QMI_DMS_OPERATING_MODE_RESET &&
	    mode != QMI_DMS_OPERATING_MODE_OFFLINE) {
		/* offline is left by a reset only (as Qualcomm firmware does) */
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_TRANSITION);
		return;
	}
	m = r->modem;
	me_req_finish(r, me_resp_new(r));
	/* after the answer: a reset drops the SIM and the radio */
	me_modem_set_operating_mode(m, mode);
}

static const struct me_msg_handler handlers[] = {
	{ 0x001E, "Get Supported Messages", me_handle_supported_messages },
	{ 0x0020, "Get Capabilities", get_capabilities },
	{ 0x0021, "Get Manufacturer", get_manufacturer },
	{ 0x0022, "Get Model", get_model },
	{ 0x0023, "Get Revision", get_revision },
	{ 0x0024, "Get MSISDN", get_msisdn },
	{ 0x0025, "Get IDs", get_ids },
	{ 0x002C, "Get Hardware Revision", get_hardware_revision },
	{ 0x002D, "Get Operating Mode", get_operating_mode },
	{ 0x002E, "Set Operating Mode", set_operating_mode },
	{ 0x003C, "UIM Get ICCID", uim_get_iccid },
	{ 0x0043, "UIM Get IMSI", uim_get_imsi },
	{ 0x0051, "Get Software Version", get_software_version },
};

const struct me_service me_svc_dms = { QMI_SERVICE_DMS, "dms", 1, 12, handlers, G_N_ELEMENTS(handlers) };
