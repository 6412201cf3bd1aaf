/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The RFM applet (applets/rfm.h): a script from the OTA receiving entity,
 * run command by command in a context of its own, its outcome written as
 * the PoR's additional data (TS 102 226 §5.1.2 compact, §5.2.2 expanded).
 */
#define G_LOG_DOMAIN "uicc-rfm"

#include <string.h>

#include "simota/rfm.h"

#include "applets/rfm.h"
#include "applets/rfm-refresh.h"
#include "card/card-access.h"
#include "ota/ota.h"

#define INS_GET_RESPONSE 0xC0
/* room the expanded template's frame may still need: its length bytes, the count, 90 01 xx, 00 00 */
#define EXPANDED_RESERVE 12

struct rfm_applet {
	struct uicc_card *card;
	const struct simota_card_tar *tc;
	struct uicc_tk_applet *applet;
	struct rfm_refresh *refresh;      /* the card's, shared by its RFM applets */
};

/* One script being run: the applet's context and the last response. */
struct script {
	struct rfm_applet *app;
	struct uicc_context *ctx;
	uint8_t r[UICC_MAX_RAPDU];        /* the last command's data and SW */
	size_t len;                       /* its data length */
	uint16_t sw;
};

static void transmit(struct script *s, const uint8_t *tpdu, size_t len)
{
	size_t n = uicc_card_context_transmit(s->app->card, s->ctx, tpdu, len, s->r, sizeof(s->r));

	s->len = n - 2;
	s->sw = (uint16_t)(s->r[n - 2] << 8 | s->r[n - 1]);
}

/* ---- compact format (§5.1) --------------------------------------------------------- */

/*
 * TS 102 226 §5.1.1: the TPDUs as they are; a command cut short (fewer than
 * 5 bytes, or fewer data bytes than its P3) is not run: it counts as the
 * last command, with 67 00.
 */
static size_t run_compact(struct script *s, const uint8_t *p, size_t len, uint8_t *out, size_t cap)
{
	struct simota_rfm_compact_reader rd;
	struct simota_rfm_compact_response rsp = { 0 };
	struct simota_rfm_command cmd;
	struct simota_writer w = simota_writer_init(out, cap);

	simota_rfm_compact_reader_init(&rd, p, len, NULL);
	while (!simota_rfm_compact_done(&rd) && rsp.count < 0xFF) {
		if (simota_rfm_compact_next(&rd, &cmd) != SIMOTA_OK) {
			simota_rfm_compact_record(&rsp, 0x6700, NULL, 0);
			break;
		}
		transmit(s, cmd.raw, cmd.raw_len);
		if (!simota_rfm_compact_record(&rsp, s->sw, s->r, s->len))
			break;
	}
	if (rsp.data_len > cap - 3)
		rsp.data_len = cap - 3;
	if (simota_rfm_compact_response_encode(&rsp, &w) != SIMOTA_OK)
		return 0;
	return w.len;
}

/* ---- expanded format (§5.2) -------------------------------------------------------- */

/*
 * ISO/IEC 7816-3 §12.2: a short C-APDU over T=0 - case 1 with P3 00, case 2
 * with Le (and again with the length a 6CXX gives), case 3 with Lc, case 4
 * with Lc then GET RESPONSE for what 61XX (9FXX in the GSM class) announces,
 * at most Ne bytes.  The R-APDU is the last exchange's data and SW.
 */
static void run_capdu(struct script *s, const struct simota_apdu *a)
{
	uint8_t tpdu[5 + SIMOTA_APDU_MAX_LC];
	unsigned ne = simota_apdu_ne(a);
	uint8_t sw1, sw2;

	tpdu[0] = a->cla;
	tpdu[1] = a->ins;
	tpdu[2] = a->p1;
	tpdu[3] = a->p2;
	tpdu[4] = a->lc ? (uint8_t)a->lc : a->has_le ? a->le : 0x00;
	if (a->lc)
		memcpy(tpdu + 5, a->data, a->lc);
	transmit(s, tpdu, 5 + a->lc);
	sw1 = (uint8_t)(s->sw >> 8);
	sw2 = (uint8_t)s->sw;
	if (!a->lc && a->has_le && sw1 == 0x6C) {
		tpdu[4] = sw2;
		transmit(s, tpdu, 5);
	} else if (a->lc && a->has_le && (sw1 == 0x61 || (a->cla == 0xA0 && sw1 == 0x9F))) {
		unsigned avail = sw2 ? sw2 : 256;

		tpdu[0] = a->cla == 0xA0 ? 0xA0 : (uint8_t)(a->cla & 0x03);
		tpdu[1] = INS_GET_RESPONSE;
		tpdu[2] = tpdu[3] = 0x00;
		tpdu[4] = (uint8_t)(avail < ne ? avail : ne);
		transmit(s, tpdu, 5);
	}
	if (ne && s->len > ne)
		s->len = ne;
}

/* Writes data || SW as an R-APDU, cut to the room left; false if it had to be cut. */
static bool add_rapdu(struct simota_rfm_expanded_response_writer *ew, const uint8_t *data, size_t len,
		      uint16_t sw, size_t cap)
{
	size_t used = ew->w->len + EXPANDED_RESERVE, room = cap > used + 4 ? cap - used - 4 : 0;
	bool fits = len <= room;

	simota_rfm_expanded_response_add_rapdu(ew, data, fits ? len : room, sw);
	return fits;
}

/*
 * TS 102 226 §5.2.1: the template's TLVs in order; a C-APDU runs and its
 * R-APDU is added (every executed command has one); a C-APDU that is no
 * valid short APDU is answered 67 00 without running; a format error stops
 * the script with the Bad Format TLV of §5.2.2.  Immediate Action, Error
 * Action and Script Chaining TLVs are read and not acted upon: the REFRESH
 * a script that changed files owes is the card's own (rfm-refresh.h,
 * doc/rfm.md).
 */
static size_t run_expanded(struct script *s, const uint8_t *p, size_t len, uint8_t *out, size_t cap)
{
	struct simota_rfm_expanded_reader rd;
	struct simota_rfm_expanded_response_writer ew;
	struct simota_writer w = simota_writer_init(out, cap);
	enum simota_rfm_bad_format bad = SIMOTA_RFM_BAD_FORMAT_NONE;
	struct simota_rfm_item item;
	unsigned executed = 0;
	simota_err err = simota_rfm_expanded_reader_init(&rd, p, len);

	simota_rfm_expanded_response_begin(&ew, &w, p[0] == SIMOTA_RFM_TAG_COMMAND_INDEFINITE);
	if (err)
		bad = err == SIMOTA_ERR_BAD_TAG ? SIMOTA_RFM_BAD_FORMAT_UNKNOWN_TAG : SIMOTA_RFM_BAD_FORMAT_WRONG_LENGTH;
	while (!err && !simota_rfm_expanded_done(&rd) && executed < 0xFF) {
		err = simota_rfm_expanded_next(&rd, &item);
		if (err == SIMOTA_ERR_MISSING_VALUE)
			break;
		if (err) {
			bad = simota_rfm_bad_format_of(&rd, err);
			break;
		}
		if (item.kind != SIMOTA_RFM_ITEM_CAPDU)
			continue;
		executed++;
		if (item.apdu_err) {
			add_rapdu(&ew, NULL, 0, 0x6700, cap);
			break;
		}
		run_capdu(s, &item.cmd.apdu);
		if (!add_rapdu(&ew, s->r, s->len, s->sw, cap) || !simota_rfm_sw_continues(s->sw))
			break;
	}
	if (simota_rfm_expanded_response_end(&ew, executed, bad) != SIMOTA_OK)
		return 0;
	return w.len;
}

/* ---- the applet ------------------------------------------------------------------- */

static void run_script(struct rfm_applet *app, struct uicc_tk_invocation *inv)
{
	struct script *s = g_new0(struct script, 1);
	uint8_t out[UICC_RFM_RESPONSE_MAX];
	size_t len, n = 0;
	const uint8_t *p = uicc_tk_invocation_data(inv, &len);
	bool expanded = len && (p[0] == SIMOTA_RFM_TAG_COMMAND_DEFINITE || p[0] == SIMOTA_RFM_TAG_COMMAND_INDEFINITE);
	enum uicc_tk_result r;

	s->app = app;
	s->ctx = uicc_card_rfm_context_new(app->card, app->tc->rfm_df, app->tc->rfm_access);
	if (!s->ctx) {
		g_warning("[tar %02x%02x%02x]: the card has no %s", app->tc->tar[0], app->tc->tar[1], app->tc->tar[2],
			  simota_card_rfm_df_name(app->tc->rfm_df));
	} else if (len == 0) {
		g_message("RFM script of no command");
	} else {
		n = expanded ? run_expanded(s, p, len, out, sizeof(out)) : run_compact(s, p, len, out, sizeof(out));
	}
	if (n) {
		r = uicc_tk_response_write(inv, out, n);
		if (r != UICC_TK_OK)
			g_warning("RFM response of %zu bytes not written: %s", n, uicc_tk_strerror(r));
	}
	/* what the script changed, whether it ran to its end or stopped on an error (changes stay) */
	if (s->ctx)
		rfm_refresh_owe(app->refresh, inv, s->ctx);
	uicc_card_context_free(s->ctx);
	g_free(s);
}

static enum uicc_tk_result rfm_process(struct uicc_tk_invocation *inv, void *user_data)
{
	if (uicc_tk_invocation_event(inv) == UICC_TK_EVENT_FORMATTED_SMS_PP)
		run_script(user_data, inv);
	return UICC_TK_OK;
}

bool uicc_rfm_attach(struct uicc_card *card, const struct simota_card_tar *tc, GError **error)
{
	struct rfm_applet *app = g_new0(struct rfm_applet, 1);

	app->card = card;
	app->tc = tc;
	app->refresh = rfm_refresh_of(card, error);
	app->applet = app->refresh ? uicc_ota_register_instance(card, tc, rfm_process, app, error) : NULL;
	if (!app->applet) {
		g_free(app);
		return false;
	}
	uicc_card_add_cleanup(card, g_free, app);
	return true;
}
