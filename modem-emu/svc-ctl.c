/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CTL (libqmi data/qmi-service-ctl.json): Get Version Info 0x0021, Allocate
 * CID 0x0022, Release CID 0x0023, Sync 0x0027.  "Internal Proxy Open"
 * 0xFF00 is the proxy's (proxy.c).  CIDs are per modem and service, 1..254.
 */
#include "modem-emu.h"

static void get_version_info(struct me_req *r)
{
	static const uint8_t order[] = {
		QMI_SERVICE_CTL, QMI_SERVICE_DMS, QMI_SERVICE_NAS, QMI_SERVICE_WMS, QMI_SERVICE_CAT2, QMI_SERVICE_UIM,
		QMI_SERVICE_CAT,
	};
	QmiMessage *resp = me_resp_new(r);
	struct me_tlv_w t;

	/* TLV 0x01: u8 count, then { u8 service, u16 major, u16 minor } */
	me_tlv_begin(&t, resp, 0x01);
	me_tlv_u8(&t, G_N_ELEMENTS(order));
	for (size_t i = 0; i < G_N_ELEMENTS(order); i++) {
		const struct me_service *svc = me_service_find(order[i]);

		me_tlv_u8(&t, svc->id);
		me_tlv_u16(&t, svc->major);
		me_tlv_u16(&t, svc->minor);
	}
	me_tlv_end(&t);
	me_req_finish(r, resp);
}

static void allocate_cid(struct me_req *r)
{
	struct me_tlv_r rd;
	uint8_t service;
	struct me_cid *cid;
	QmiMessage *resp;
	struct me_tlv_w t;

	if (!me_req_tlv(r, 0x01, &rd))
		return;
	if (!me_rd_u8(&rd, &service)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	if (service == QMI_SERVICE_CTL || !me_service_find(service)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_SERVICE_TYPE);
		return;
	}
	cid = me_modem_cid_alloc(r->modem, r->client, service);
	if (!cid) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_CLIENT_IDS_EXHAUSTED);
		return;
	}
	ME_DEBUG("%s: client %u gets %s cid %u", r->modem->name, r->client->n, me_service_find(service)->name,
		 cid->cid);
	resp = me_resp_new(r);
	me_tlv_begin(&t, resp, 0x01);
	me_tlv_u8(&t, service);
	me_tlv_u8(&t, cid->cid);
	me_tlv_end(&t);
	me_req_finish(r, resp);
}

static void release_cid(struct me_req *r)
{
	struct me_tlv_r rd;
	uint8_t service, id;
	struct me_cid *cid;
	QmiMessage *resp;
	struct me_tlv_w t;

	if (!me_req_tlv(r, 0x01, &rd))
		return;
	if (!me_rd_u8(&rd, &service) || !me_rd_u8(&rd, &id)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	cid = me_modem_cid_get(r->modem, service, id);
	/* a client releases its own ids, or disowned ones (qmicli --client-cid after --client-no-release-cid) */
	if (!cid || (cid->owner && cid->owner != r->client)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_CLIENT_ID);
		return;
	}
	me_modem_cid_release(r->modem, cid);
	resp = me_resp_new(r);
	me_tlv_begin(&t, resp, 0x01);
	me_tlv_u8(&t, service);
	me_tlv_u8(&t, id);
	me_tlv_end(&t);
	me_req_finish(r, resp);
}

/*
 * Sync: a real modem drops every client id; behind a proxy that would take
 * other clients' ids away, so the emulator answers and keeps them.
 */
static void sync_(struct me_req *r)
{
	me_req_finish(r, me_resp_new(r));
}

static const struct me_msg_handler handlers[] = {
	{ 0x0021, "Get Version Info", get_version_info },
	{ 0x0022, "Allocate CID", allocate_cid },
	{ 0x0023, "Release CID", release_cid },
	{ 0x0027, "Sync", sync_ },
};

const struct me_service me_svc_ctl = { QMI_SERVICE_CTL, "ctl", 1, 5, handlers, G_N_ELEMENTS(handlers) };

void me_ctl_handle(struct me_req *r)
{
	uint16_t id = qmi_message_get_message_id(r->msg);

	for (size_t i = 0; i < G_N_ELEMENTS(handlers); i++) {
		if (handlers[i].id == id) {
			ME_DEBUG("%s: client %u ctl %s", r->modem->name, r->client->n, handlers[i].name);
			handlers[i].fn(r);
			return;
		}
	}
	me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_QMI_COMMAND);
}
