/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Random APDU sequences against a fresh card.  The input is split into
 * APDUs: a length byte, then that many bytes (a length byte FF resets the
 * card instead; FE runs the next APDU, length byte first, in an RFM
 * context on DF_GSM, FD in one on ADF.USIM: card-access.h).  The card has
 * ADM1 and Milenage keys, so VERIFY 0A and AUTHENTICATE run for real.  Two toolkit applets are registered so that ENVELOPE,
 * FETCH and TERMINAL RESPONSE reach real handlers.  Checked for every
 * exchange: the response has 2 to 258 bytes, and 6CXX / 9EXX / 9FXX /
 * 9300 carry no data (61XX and 91XX may: GET RESPONSE chains).  The card state lives in a tmpfs directory
 * when there is one (commits fsync) and is deleted after every input.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card/card-access.h"
#include "card/card.h"
#include "emu-card.h"
#include "simota/card_config.h"
#include "toolkit/toolkit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t display_text[] = {
	0xD0, 0x0F, 0x81, 0x03, 0x01, 0x21, 0x80, 0x82, 0x02, 0x81, 0x02, 0x8D, 0x04, 0x04, 'H', 'i', '!',
};

static void on_tr(struct uicc_tk_invocation *inv, const struct uicc_tk_terminal_response *tr, void *ud)
{
	/* keep the session going once in a while */
	if (!tr->aborted && tr->general_result == 0x00)
		uicc_tk_proactive_send(inv, display_text, sizeof(display_text), on_tr, NULL);
}

static enum uicc_tk_result applet(struct uicc_tk_invocation *inv, void *ud)
{
	size_t len;
	const uint8_t *d = uicc_tk_invocation_data(inv, &len);

	uicc_tk_response_write(inv, d, len > 16 ? 16 : len);
	if (len > 3 && d[len - 1] == 0x01)
		return UICC_TK_ERR_BUSY;
	if (len > 3 && d[len - 1] & 0x02)
		uicc_tk_more_time(inv);
	if (len > 3 && d[len - 1] & 0x04)
		uicc_tk_proactive_send(inv, display_text, sizeof(display_text), on_tr, NULL);
	uicc_tk_response_write(inv, d, len > 4 ? 4 : len);
	return UICC_TK_OK;
}

static char *state_path(void)
{
	static char *path;

	if (!path) {
		const char *base = g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) && access("/dev/shm", W_OK) == 0 ?
				   "/dev/shm" : g_get_tmp_dir();
		char *tmpl = g_build_filename(base, "fuzz-uicc-XXXXXX", NULL);
		char *dir = g_mkdtemp(tmpl);

		if (!dir)
			abort();
		path = g_build_filename(dir, "card.state", NULL);
		g_free(tmpl);
	}
	return path;
}

static void check(const uint8_t *r, size_t n)
{
	uint8_t sw1;

	if (n < 2 || n > UICC_MAX_RAPDU)
		abort();
	sw1 = r[n - 2];
	if ((sw1 == 0x6C || sw1 == 0x9F || sw1 == 0x9E || sw1 == 0x93) && n != 2) {
		fprintf(stderr, "status %02X%02X with %zu data bytes\n", sw1, r[n - 1], n - 2);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct simota_card_config cfg;
	struct uicc_card *card;
	struct uicc_tk_applet *a;
	struct uicc_context *gsm, *usim;
	uint8_t r[UICC_MAX_RAPDU], atr[40];
	size_t pos = 0;
	char *path = state_path();
	GError *err = NULL;

	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.iccid, "89882390000000000017");
	strcpy(cfg.imsi, "001010123456789");
	strcpy(cfg.msisdn, "+15550001");
	strcpy(cfg.pin, "1234");
	strcpy(cfg.puk, "12345678");
	strcpy(cfg.pin2, "5678");
	strcpy(cfg.puk2, "87654321");
	cfg.has_adm1 = true;
	memcpy(cfg.adm1, "11223344", 8);
	/* TS 35.208 set 1 */
	cfg.has_milenage = true;
	memcpy(cfg.k, "\x46\x5b\x5c\xe8\xb1\x99\xb4\x9f\xaa\x5f\x0a\x2e\xe2\x38\xa6\xbc", 16);
	memcpy(cfg.opc, "\xcd\x63\xcb\x71\x95\x4a\x9f\x4e\x48\xa5\x99\x4e\x37\xa0\x2b\xaf", 16);
	cfg.ust[3] = 0x08;
	cfg.ust_len = 5;
	card = uicc_emu_card_new(&cfg, path, &err);
	if (!card) {
		fprintf(stderr, "%s\n", err ? err->message : "?");
		abort();
	}
	a = uicc_tk_applet_register(uicc_card_toolkit(card), "fuzz", applet, NULL);
	uicc_tk_applet_set_event(a, UICC_TK_EVENT_SMS_PP_DOWNLOAD);
	uicc_tk_applet_add_menu_item(a, 1);
	uicc_tk_applet_set_download_event(a, 0x05);
	uicc_tk_applet_set_envelope_tag(a, 0xD4);
	uicc_tk_timer_allocate(a);

	gsm = uicc_card_rfm_context_new(card, SIMOTA_CARD_RFM_DF_GSM, SIMOTA_CARD_ACCESS_ADM1);
	usim = uicc_card_rfm_context_new(card, SIMOTA_CARD_RFM_DF_ADF_USIM, 0);
	if (!gsm || !usim)
		abort();
	while (pos < size) {
		size_t len = data[pos++];
		struct uicc_context *ctx = NULL;

		if (len == 0xFF) {
			uicc_card_reset(card, atr, sizeof(atr));
			continue;
		}
		if ((len == 0xFE || len == 0xFD) && pos < size) {
			ctx = len == 0xFE ? gsm : usim;
			len = data[pos++];
		}
		if (len > size - pos)
			len = size - pos;
		if (ctx)
			check(r, uicc_card_context_transmit(card, ctx, data + pos, len, r, sizeof(r)));
		else
			check(r, uicc_card_transmit(card, data + pos, len, r, sizeof(r)));
		pos += len;
	}
	uicc_card_context_free(gsm);
	uicc_card_context_free(usim);
	uicc_card_free(card);
	g_unlink(path);
	return 0;
}
