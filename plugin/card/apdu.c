// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The card service over APDUs (card-impl.h, apdu.h): a UICC transport
 * (uicc.h: emu, pcsc) and the APDU session on it (apdu-session.c: one
 * command at a time, the T=0 exchanges, the bounded FETCH loop).
 *
 *   start     power on and ATR, then SELECT ADF.USIM by its AID (TS 102 221
 *             §11.1.1, TS 101 220 Annex E); what the plugin knew of PIN1
 *             is forgotten (the card was reset)
 *   files     every file is selected by path from the MF (P1 08), so no
 *             selection state is kept between requests; the SELECT and the
 *             READ or UPDATE on the file go back to back, nothing between
 *             them (apdu_session_send_next)
 *   toolkit   TERMINAL PROFILE, ENVELOPE, TERMINAL RESPONSE (§11.2); 91XX
 *             announces a proactive command, FETCHed when the front asks;
 *             a TERMINAL RESPONSE answered 9000 ends the proactive session
 *             (TS 102 223 §6.2)
 *   PINs      apdu-pin.c
 */
#include <string.h>

#include "card/apdu.h"
#include "simota/apdu.h"
#include "simota/hex.h"

#define INS_READ_BINARY 0xB0
#define INS_READ_RECORD 0xB2
#define INS_UPDATE_BINARY 0xD6
#define INS_UPDATE_RECORD 0xDC
#define INS_TERMINAL_PROFILE 0x10
#define INS_ENVELOPE 0xC2
#define INS_TERMINAL_RESPONSE 0x14

#define SW_INCOMPATIBLE_STRUCTURE 0x6981   /* TS 102 221 §10.2.1.5 */

/* TS 101 220 Annex E: the USIM application code, RID A000000087 + 1002 (right-truncated AID). */
static const uint8_t usim_partial_aid[] = { 0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02 };

/* ---- sending ------------------------------------------------------------------------------------ */

/* ISO/IEC 7816-4 §5.1: the command as written for its case; 0 when it does not fit. */
static size_t apdu_build(uint8_t out[SIMOTA_APDU_MAX_LEN], uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
			 const uint8_t *data, size_t lc, int le)
{
	struct simota_writer w = simota_writer_init(out, SIMOTA_APDU_MAX_LEN);
	struct simota_apdu cmd = {
		.cla = cla, .ins = ins, .p1 = p1, .p2 = p2, .data = lc ? data : NULL, .lc = lc,
		.has_le = le != APDU_NO_LE, .le = (uint8_t)(le & 0xFF),
	};

	simota_apdu_write(&w, &cmd);
	return simota_writer_status(&w) == SIMOTA_OK ? w.len : 0;
}

void apdu_fail(struct sb_card_req *r, const GError *err)
{
	if (err) {
		sb_card_req_fail(r, err);
	} else {
		GError *e = g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_ABSENT, "%s: no card", r->card->description);

		sb_card_req_fail(r, e);
		g_error_free(e);
	}
}

void apdu_send(struct apdu_card *a, struct sb_card_req *r, bool next, uint8_t cla, uint8_t ins, uint8_t p1,
	       uint8_t p2, const uint8_t *data, size_t lc, int le, sb_apdu_cb cb)
{
	uint8_t apdu[SIMOTA_APDU_MAX_LEN];
	size_t n = apdu_build(apdu, cla, ins, p1, p2, data, lc, le);

	if (!a->session || !n) {
		GError *e = !n ? g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_INVALID, "%s: a %zu-byte command body",
					     a->base.description, lc) : NULL;

		apdu_fail(r, e);
		if (e)
			g_error_free(e);
		return;
	}
	if (next)
		sb_apdu_session_send_next(a->session, r, apdu, n, cb, r);
	else
		sb_apdu_session_send(a->session, r, apdu, n, cb, r);
}

void apdu_select(struct apdu_card *a, struct sb_card_req *r, const struct sb_card_path *path, bool fcp,
		 sb_apdu_cb cb)
{
	/* TS 102 221 §11.1.1: SELECT by path from the MF (P1 08); P2 04 returns the FCP (case 4), 0C nothing */
	apdu_send(a, r, false, 0x00, SB_INS_SELECT, 0x08, fcp ? 0x04 : 0x0C, path->fid, path->len,
		  fcp ? 0x00 : APDU_NO_LE, cb);
}

static struct apdu_card *card_of(struct sb_card_req *r)
{
	return (struct apdu_card *)r->card;
}

/* The answer of the last command of r: what its kind wants. */
static void answer(struct sb_card_req *r, const GError *err, uint16_t sw, const uint8_t *data, size_t len)
{
	if (err)
		sb_card_req_fail(r, err);
	else if (r->kind == SB_CARD_REQ_READ_BINARY || r->kind == SB_CARD_REQ_READ_RECORD ||
		 r->kind == SB_CARD_REQ_ENVELOPE || r->kind == SB_CARD_REQ_FETCH)
		sb_card_req_data(r, sw, data, len);      /* a warning's data too (62XX/63XX, TS 31.111 §7.1.1.1) */
	else
		sb_card_req_sw(r, sw);
}

static void answer_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	answer(user, err, sw, data, len);
}

/* ---- files ---------------------------------------------------------------------------------------- */

/* The FCP of a SELECT's answer (TS 102 221 §11.1.1.3); false: r failed with the decoder's reason. */
static bool fcp_of(struct sb_card_req *r, const uint8_t *data, size_t len, struct simota_fcp *fcp)
{
	simota_err e = simota_fcp_decode(data, len, fcp);
	GError *pe;

	if (e == SIMOTA_OK)
		return true;
	pe = g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_PROTOCOL, "%s: undecodable FCP (%s)", r->card->description,
			 simota_strerror(e));
	sb_card_req_fail(r, pe);
	g_error_free(pe);
	return false;
}

static void file_info_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct sb_card_req *r = user;
	struct simota_fcp fcp;

	if (err)
		sb_card_req_fail(r, err);
	else if (!sb_sw_ok(sw))
		sb_card_req_fcp(r, sw, NULL);
	else if (fcp_of(r, data, len, &fcp))
		sb_card_req_fcp(r, sw, &fcp);
}

static void apdu_file_info(struct sb_card_service *c, struct sb_card_req *r)
{
	apdu_select((struct apdu_card *)c, r, &r->path, true, file_info_cb);
}

/* The command on the file the SELECT of r made current (back to back with it). */
static void file_command(struct sb_card_req *r)
{
	struct apdu_card *a = card_of(r);
	const uint8_t *d;
	size_t n = 0;
	unsigned off = r->offset;

	d = r->data ? g_bytes_get_data(r->data, &n) : NULL;
	switch (r->kind) {
	case SB_CARD_REQ_READ_BINARY:     /* TS 102 221 §11.1.3; Le 256 is 00 */
		apdu_send(a, r, true, 0x00, INS_READ_BINARY, (uint8_t)(off >> 8 & 0x7F), (uint8_t)off, NULL, 0,
			  (int)(r->length & 0xFF), answer_cb);
		break;
	case SB_CARD_REQ_READ_RECORD:     /* §11.1.5: absolute mode */
		apdu_send(a, r, true, 0x00, INS_READ_RECORD, (uint8_t)off, 0x04, NULL, 0, (int)(r->length & 0xFF),
			  answer_cb);
		break;
	case SB_CARD_REQ_UPDATE_BINARY:   /* §11.1.4 */
		apdu_send(a, r, true, 0x00, INS_UPDATE_BINARY, (uint8_t)(off >> 8 & 0x7F), (uint8_t)off, d, n,
			  APDU_NO_LE, answer_cb);
		break;
	default:                          /* §11.1.6: absolute mode, or previous mode (a cyclic file's oldest) */
		apdu_send(a, r, true, 0x00, INS_UPDATE_RECORD, (uint8_t)off, off ? 0x04 : 0x03, d, n, APDU_NO_LE,
			  answer_cb);
		break;
	}
}

static void file_select_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct sb_card_req *r = user;

	if (err || !sb_sw_ok(sw) || sb_card_req_cancelled(r)) {
		answer(r, err, sw, NULL, 0);
		return;
	}
	if (r->kind == SB_CARD_REQ_READ_RECORD && r->length == 0) {
		/* the whole record: its length from the FCP */
		struct simota_fcp fcp;
		enum simota_fcp_structure st;

		if (!fcp_of(r, data, len, &fcp))
			return;
		st = simota_fcp_structure(&fcp);
		if ((st != SIMOTA_FCP_LINEAR_FIXED && st != SIMOTA_FCP_CYCLIC) || fcp.record_len > 256) {
			sb_card_req_data(r, SW_INCOMPATIBLE_STRUCTURE, NULL, 0);
			return;
		}
		r->length = fcp.record_len;
	}
	file_command(r);
}

static void file_access(struct sb_card_service *c, struct sb_card_req *r)
{
	/* the FCP only when the record length must come from it */
	apdu_select((struct apdu_card *)c, r, &r->path, r->kind == SB_CARD_REQ_READ_RECORD && r->length == 0,
		    file_select_cb);
}

/* ---- the toolkit ------------------------------------------------------------------------------------ */

static void toolkit_send(struct sb_card_service *c, struct sb_card_req *r, uint8_t ins, int le, sb_apdu_cb cb)
{
	size_t n;
	const uint8_t *d = g_bytes_get_data(r->data, &n);

	apdu_send((struct apdu_card *)c, r, false, 0x80, ins, 0x00, 0x00, d, n, le, cb);
}

/* TS 102 221 §11.2.1: 80 10 00 00 Lc profile (case 3). */
static void apdu_terminal_profile(struct sb_card_service *c, struct sb_card_req *r)
{
	toolkit_send(c, r, INS_TERMINAL_PROFILE, APDU_NO_LE, answer_cb);
}

/* §11.2.2: 80 C2 00 00 Lc data 00 (case 4: the card's answer data comes back). */
static void apdu_envelope(struct sb_card_service *c, struct sb_card_req *r)
{
	toolkit_send(c, r, INS_ENVELOPE, 0x00, answer_cb);
}

static void terminal_response_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct sb_card_req *r = user;
	struct sb_card_service *c = r->card;

	answer(r, err, sw, NULL, 0);
	/* 9000: nothing more to say, the proactive session is over (91XX: another command follows) */
	if (!err && sw == 0x9000)
		sb_card_session_ended(c);
}

/* §11.2.4: 80 14 00 00 Lc data (case 3). */
static void apdu_terminal_response(struct sb_card_service *c, struct sb_card_req *r)
{
	toolkit_send(c, r, INS_TERMINAL_RESPONSE, APDU_NO_LE, terminal_response_cb);
}

/* §11.2.3: FETCH of the length the 91XX announced, ahead of what is queued. */
static void apdu_fetch(struct sb_card_service *c, struct sb_card_req *r)
{
	struct apdu_card *a = (struct apdu_card *)c;

	if (!a->session) {
		apdu_fail(r, NULL);
		return;
	}
	g_debug("%s: FETCH 80 12 00 00 %02X", c->name, a->proactive_len & 0xFF);
	sb_apdu_session_fetch(a->session, r, a->proactive_len, answer_cb, r);
}

static void on_proactive(unsigned len, void *user)
{
	struct apdu_card *a = user;

	a->proactive_len = len;
	sb_card_proactive_pending(&a->base);
}

/* ---- the card ----------------------------------------------------------------------------------------- */

/* The session goes, every request on it failed (the card was removed, or powered off). */
static void drop_session(struct apdu_card *a)
{
	struct sb_apdu_session *s = a->session;
	GError *err;

	if (!s)
		return;
	a->session = NULL;          /* first: the failed requests' callbacks find no card */
	a->proactive_len = 0;
	err = g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_ABSENT, "card removed");
	sb_apdu_session_fail_all(s, err);
	sb_apdu_session_free(s);
	g_error_free(err);
}

static void usim_selected_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct apdu_card *a = user;

	if (err) {
		sb_card_started(&a->base, err, NULL, 0);
		return;
	}
	if (!sb_sw_ok(sw))
		g_message("%s: the card has no USIM application (SELECT by AID: SW %04X)", a->base.name, sw);
	sb_card_started(&a->base, NULL, a->atr, a->atr_len);
}

static void atr_cb(const GError *err, const uint8_t *atr, size_t len, void *user)
{
	struct apdu_card *a = user;
	uint8_t apdu[SIMOTA_APDU_MAX_LEN];
	size_t n;
	char *hex;

	if (err) {
		sb_card_started(&a->base, err, NULL, 0);
		return;
	}
	hex = simota_hex_dup(atr, len);
	g_debug("%s: ATR %s", a->base.name, hex);
	g_free(hex);
	a->atr_len = MIN(len, sizeof(a->atr));
	memcpy(a->atr, atr, a->atr_len);
	memset(&a->pin1, 0, sizeof(a->pin1));       /* a reset card: nothing verified on it yet */
	drop_session(a);
	a->session = sb_apdu_session_new(a->uicc, a->base.timeout_ms);
	sb_apdu_session_set_proactive_cb(a->session, on_proactive, a);

	/* TS 102 221 §11.1.1: SELECT by DF name (AID), first occurrence, the FCP returned (case 4) */
	n = apdu_build(apdu, 0x00, SB_INS_SELECT, 0x04, 0x04, usim_partial_aid, sizeof(usim_partial_aid), 0x00);
	sb_apdu_session_send(a->session, a, apdu, n, usim_selected_cb, a);
}

static void apdu_start(struct sb_card_service *c)
{
	struct apdu_card *a = (struct apdu_card *)c;

	sb_uicc_power_on(a->uicc, atr_cb, a);
}

static void apdu_stop(struct sb_card_service *c)
{
	struct apdu_card *a = (struct apdu_card *)c;

	drop_session(a);
	sb_uicc_power_off(a->uicc);
}

static void on_lost(const GError *why, void *user)
{
	struct apdu_card *a = user;
	int code = why ? why->code : SB_CARD_ERROR_ABSENT;

	drop_session(a);
	sb_card_status_changed(&a->base, code == SB_CARD_ERROR_TIMEOUT || code == SB_CARD_ERROR_PROTOCOL ?
			       SB_CARD_STATE_ERROR : SB_CARD_STATE_ABSENT, why);
}

/* The transport saw a card arrive (pcsc reader events). */
static void on_present(void *user)
{
	struct apdu_card *a = user;

	sb_card_status_changed(&a->base, SB_CARD_STATE_PRESENT, NULL);
}

static void apdu_destroy(struct sb_card_service *c)
{
	struct apdu_card *a = (struct apdu_card *)c;

	sb_uicc_free(a->uicc);           /* first: no transport callback after this */
	sb_apdu_session_free(a->session);
	a->session = NULL;
}

static const struct sb_card_ops apdu_ops = {
	.name = "apdu",
	.start = apdu_start,
	.stop = apdu_stop,
	.destroy = apdu_destroy,
	.file_info = apdu_file_info,
	.read_binary = file_access,
	.read_record = file_access,
	.update_binary = file_access,
	.update_record = file_access,
	.pin_state = apdu_pin_state,
	.pin_retries = apdu_pin_retries,
	.pin_enabled = apdu_pin_enabled,
	.pin_command = apdu_pin_command,
	.terminal_profile = apdu_terminal_profile,
	.envelope = apdu_envelope,
	.terminal_response = apdu_terminal_response,
	.fetch = apdu_fetch,
};

struct sb_card_service *sb_card_apdu_new(struct sb_uicc *uicc, const char *name, unsigned timeout_ms)
{
	struct apdu_card *a = g_new0(struct apdu_card, 1);

	sb_card_init(&a->base, &apdu_ops, name, timeout_ms);
	a->base.description = g_strdup(uicc->description);
	a->uicc = uicc;
	sb_uicc_set_lost_handler(uicc, on_lost, a);
	sb_uicc_set_present_handler(uicc, on_present, a);
	return &a->base;
}
