/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ME's side of the card interface (see me-card.h). */
#include "me-card.h"

#include <glib.h>
#include <string.h>

uint16_t me_card_apdu(struct uicc_card *card, const uint8_t *capdu, size_t len, uint8_t *out,
		      size_t cap, size_t *out_len)
{
	uint8_t r[UICC_MAX_RAPDU];
	size_t n = uicc_card_transmit(card, capdu, len, r, sizeof(r));
	uint16_t sw;

	g_assert_cmpuint(n, >=, 2);
	n -= 2;
	sw = (uint16_t)(r[n] << 8 | r[n + 1]);
	if (n > cap)
		n = cap;
	if (n && out)
		memcpy(out, r, n);
	if (out_len)
		*out_len = out ? n : 0;
	return sw;
}

uint16_t me_card_terminal_profile(struct uicc_card *card, uint8_t cla, size_t len)
{
	uint8_t tp[5 + 255] = { cla, 0x10, 0x00, 0x00, (uint8_t)len };

	g_assert_cmpuint(len, <=, 255);
	memset(tp + 5, 0xFF, len);
	return me_card_apdu(card, tp, 5 + len, NULL, 0, NULL);
}

static bool is_warning(uint16_t sw)
{
	return (sw & 0xFF00) == 0x6200 || (sw & 0xFF00) == 0x6300 || (sw & 0xFF00) == 0x9E00;
}

/* GET RESPONSE's class: the command's channel bits, class 00 (A0 on a SIM) */
static uint8_t get_response_cla(uint8_t cla)
{
	return cla == ME_CLA_GSM ? ME_CLA_GSM : (uint8_t)(cla & 0x03);
}

uint16_t me_card_envelope(struct uicc_card *card, uint8_t cla, const uint8_t *env, size_t len,
			  uint8_t *resp, size_t cap, size_t *resp_len, uint8_t *proactive)
{
	uint8_t capdu[5 + 255] = { cla, 0xC2, 0x00, 0x00, (uint8_t)len };
	uint16_t sw, first;

	g_assert_cmpuint(len, <=, 255);
	memcpy(capdu + 5, env, len);
	*resp_len = 0;
	first = sw = me_card_apdu(card, capdu, 5 + len, NULL, 0, NULL);
	if ((sw & 0xFF00) == 0x6100 || (sw & 0xFF00) == 0x9F00 || is_warning(sw)) {
		uint8_t gr[5] = { get_response_cla(cla), 0xC0, 0x00, 0x00,
				  (sw & 0xFF00) == 0x6200 || (sw & 0xFF00) == 0x6300 ? 0 : (uint8_t)sw };

		sw = me_card_apdu(card, gr, sizeof(gr), resp, cap, resp_len);
		if ((sw & 0xFF00) == 0x6C00) {
			gr[4] = (uint8_t)sw;
			sw = me_card_apdu(card, gr, sizeof(gr), resp, cap, resp_len);
		}
	}
	if (proactive)
		*proactive = (sw & 0xFF00) == 0x9100 ? (uint8_t)sw : 0;
	return is_warning(first) ? first : sw;
}

uint16_t me_card_fetch(struct uicc_card *card, uint8_t cla, uint8_t len, uint8_t *out, size_t cap,
		       size_t *out_len)
{
	uint8_t capdu[5] = { cla, 0x12, 0x00, 0x00, len };

	return me_card_apdu(card, capdu, sizeof(capdu), out, cap, out_len);
}

uint16_t me_card_terminal_response(struct uicc_card *card, uint8_t cla, const uint8_t *tr, size_t len)
{
	uint8_t capdu[5 + 255] = { cla, 0x14, 0x00, 0x00, (uint8_t)len };

	g_assert_cmpuint(len, <=, 255);
	memcpy(capdu + 5, tr, len);
	return me_card_apdu(card, capdu, 5 + len, NULL, 0, NULL);
}

struct simota_cat_msg *me_card_response_new(const struct simota_cat_msg *cmd, uint8_t general)
{
	struct simota_cat_msg *tr = g_new0(struct simota_cat_msg, 1);

	tr->details = cmd->details;
	tr->src = SIMOTA_CAT_DEV_TERMINAL;
	tr->dst = SIMOTA_CAT_DEV_UICC;
	tr->result.present = true;
	tr->result.general = general;
	return tr;
}

simota_err me_card_sms_pp_download(const struct simota_sms_address *oa, const struct simota_sms_ud *ud,
				   uint8_t *env, size_t cap, size_t *env_len)
{
	struct simota_sms_deliver d;
	uint8_t tpdu[SIMOTA_SMS_TPDU_MAX];
	size_t tpdu_len;
	simota_err err;

	memset(&d, 0, sizeof(d));
	d.tp_mms = true;
	d.oa = *oa;
	d.pid = 0x7F;
	d.dcs = 0xF6;
	d.scts = (struct simota_sms_scts){ 24, 11, 24, 12, 0, 0, 4 };
	d.ud = *ud;
	err = simota_sms_deliver_encode(&d, tpdu, sizeof(tpdu), &tpdu_len);
	if (err)
		return err;
	/* device identities network -> UICC, SMS TPDU */
	return simota_sms_pp_download_envelope(NULL, tpdu, tpdu_len, env, cap, env_len);
}
