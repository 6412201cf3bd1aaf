/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Proof of Receipt (TS 102 225 §5.2, TS 31.115 §4.2) and how it leaves
 * the card: in the ENVELOPE's response data, which the ME returns in the
 * SMS-DELIVER-REPORT (TS 31.111 §7.1.1.2), or, when SPI2 b6 asks for it, in
 * an SMS-SUBMIT (UDH 71 00, concatenated if needed) that the card sends with
 * a proactive SEND SHORT MESSAGE (TS 102 223 §6.4.10) to the originating
 * address of the SMS-DELIVER, kept until it has gone (ota-por-kept.c).
 */
#define G_LOG_DOMAIN "uicc-ota"

#include <string.h>

#include "ota/ota-internal.h"

/*
 * SPI2 b6: by SMS-SUBMIT, kept until the terminal has sent it (ota-por-kept.c).
 * A terminal whose profile lacks SEND SHORT MESSAGE never can: this PoR then
 * goes in the SMS-DELIVER-REPORT, the one route left (TS 31.111 §7.1.1.1:
 * the ME returns the ENVELOPE's response data in the RP-ACK).
 */
static void send_by_submit(struct uicc_tk_invocation *inv, struct ota_packet *p, uint8_t status,
			   const uint8_t *por, size_t len)
{
	struct uicc_ota *ota = p->ota;
	enum uicc_tk_result r;

	if (!uicc_tk_terminal_profile_known(ota->tk) ||
	    uicc_tk_terminal_supports_command(ota->tk, SIMOTA_CAT_SEND_SHORT_MESSAGE)) {
		if (!ota_por_kept_add(inv, p, por, len, status == SIMOTA_OTA_STATUS_OK))
			g_warning("PoR for TAR %02x%02x%02x dropped: %u PoRs already wait for SEND SHORT MESSAGE",
				  p->tar[0], p->tar[1], p->tar[2], OTA_POR_KEPT_MAX);
		return;
	}
	g_warning("PoR for TAR %02x%02x%02x asked by SMS-SUBMIT, but the terminal has no SEND SHORT MESSAGE "
		  "(TERMINAL PROFILE byte 4 b2): sent in the SMS-DELIVER-REPORT instead", p->tar[0], p->tar[1],
		  p->tar[2]);
	r = uicc_tk_response_write(inv, por, len);
	if (r != UICC_TK_OK)
		g_warning("PoR of %zu bytes not written to the envelope response: %s", len, uicc_tk_strerror(r));
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
		send_by_submit(inv, p, rsp.status, por, n);
		return;
	}
	r = uicc_tk_response_write(inv, por, n);
	if (r != UICC_TK_OK)
		g_warning("PoR of %zu bytes not written to the envelope response: %s", n, uicc_tk_strerror(r));
}
