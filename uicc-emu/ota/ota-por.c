/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Proof of Receipt (TS 102 225 §5.2, TS 31.115 §4.2) and how it leaves
 * the card: in the ENVELOPE's response data, which the ME returns in the
 * SMS-DELIVER-REPORT (TS 31.111 §7.1.1.2), or, when SPI2 b6 asks for it, in
 * an SMS-SUBMIT (UDH 71 00, concatenated if needed) that the card sends with
 * a proactive SEND SHORT MESSAGE (TS 102 223 §6.4.10) to the originating
 * address of the SMS-DELIVER.
 */
#define G_LOG_DOMAIN "uicc-ota"

#include <string.h>

#include "ota/ota-internal.h"

/* TS 31.115 §4.2: the response packet in SMS-SUBMITs to the originator. */
static void send_by_submit(struct uicc_tk_invocation *inv, struct ota_packet *p,
			   const uint8_t *por, size_t len)
{
	struct simota_sms_ud segs[OTA_POR_SEGMENTS];
	size_t n_segs;
	simota_err err;

	/* por starts with its 027100 UDH: segment the packet from RPL on */
	err = simota_sms_segment_packet(SIMOTA_SMS_IEI_RPI, por + 3, len - 3, p->ota->por_ref++, false,
					segs, OTA_POR_SEGMENTS, &n_segs);
	if (err) {
		g_warning("PoR of %zu bytes does not fit in SMS-SUBMITs: %s", len, simota_strerror(err));
		return;
	}
	for (size_t i = 0; i < n_segs; i++) {
		struct simota_sms_submit sms;
		enum uicc_tk_result r;

		memset(&sms, 0, sizeof(sms));
		sms.da = p->oa;
		sms.da.tp_length = 0;
		sms.pid = 0x7F;               /* (U)SIM data download, TS 23.040 §9.2.3.9 */
		sms.dcs = 0xF6;               /* class 2, 8 bit data, TS 23.038 §4 */
		sms.vp.format = SIMOTA_SMS_VPF_NONE;
		sms.ud = segs[i];
		r = uicc_tk_send_short_message(inv, &sms, NULL, NULL);
		if (r != UICC_TK_OK) {
			g_warning("PoR SEND SHORT MESSAGE %zu/%zu not queued: %s", i + 1, n_segs,
				  uicc_tk_strerror(r));
			return;
		}
	}
}

void ota_por_send(struct uicc_tk_invocation *inv, struct ota_packet *p, uint8_t status,
		  const uint8_t *data, size_t len)
{
	struct simota_ota_response rsp;
	uint8_t por[OTA_POR_MAX];
	size_t n;
	simota_err err;
	enum uicc_tk_result r;

	if (p->por_sent || !simota_ota_por_wanted(p->spi, status))
		return;
	p->por_sent = true;
	memset(&rsp, 0, sizeof(rsp));
	memcpy(rsp.tar, p->tar, 3);
	rsp.cntr = p->cntr;
	rsp.status = status;
	rsp.data = data;
	rsp.data_len = len;
	/* an AES CMAC PoR is as long as the command's (CHL) */
	if (p->por_kid && simota_ota_key_alg(p->por_kid) == SIMOTA_OTA_ALG_AES_CMAC && p->cc_len == 4)
		rsp.cc_len = 4;
	err = simota_ota_response_encode(p->spi, p->kic, p->kid, &rsp, p->por_kic, p->por_kid,
					 por, sizeof(por), &n);
	if (err && status == SIMOTA_OTA_STATUS_OK) {
		g_warning("PoR not encoded (%s): sending status 06", simota_strerror(err));
		rsp.status = SIMOTA_OTA_STATUS_SECURITY_ERROR;
		rsp.data_len = 0;
		err = simota_ota_response_encode(p->spi, p->kic, p->kid, &rsp, NULL, NULL,
						 por, sizeof(por), &n);
	}
	if (err) {
		g_warning("PoR not encoded: %s", simota_strerror(err));
		return;
	}
	if (p->s.por_via_submit) {
		send_by_submit(inv, p, por, n);
		return;
	}
	r = uicc_tk_response_write(inv, por, n);
	if (r != UICC_TK_OK)
		g_warning("PoR of %zu bytes not written to the envelope response: %s", n, uicc_tk_strerror(r));
}
