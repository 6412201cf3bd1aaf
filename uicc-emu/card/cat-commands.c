/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CAT transport commands (TS 102 221 §11.2; TS 51.011 §9.2.18 - §9.2.21):
 * TERMINAL PROFILE, ENVELOPE, FETCH, TERMINAL RESPONSE, handed to the
 * toolkit runtime.  The 91XX that follows is added by card.c.
 */
#include <string.h>

#include "card/card-internal.h"

static uint16_t sw_p1p2(const struct uicc_apdu *a)
{
	return a->gsm ? SW_WRONG_P1P2 : SW_BAD_P1P2;
}

/* The P1 P2 (00 00) and the data (Lc > 0; le_ok: a trailing Le allowed) of a CAT command; 0 when fine, else the SW. */
static uint16_t cat_data(const struct uicc_apdu *a, bool le_ok, const uint8_t **data, size_t *lc)
{
	if (a->p1 || a->p2)
		return sw_p1p2(a);
	if (!uicc_apdu_data(a, le_ok, data, lc) || *lc == 0)
		return SW_WRONG_LENGTH;
	return 0;
}

uint16_t uicc_cmd_terminal_profile(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out)
{
	const uint8_t *data;
	size_t lc;
	uint16_t sw = cat_data(a, false, &data, &lc);

	if (sw)
		return sw;
	uicc_tk_on_terminal_profile(c->tk, data, lc);
	(void)out;
	return SW_OK;
}

/*
 * TS 102 221 §11.2.2, TS 31.111 §7.1.1.2: response data → 61XX (9FXX in
 * the GSM class) then GET RESPONSE; an applet's warning → 62XX/63XX (9EXX);
 * busy → 9300.
 */
uint16_t uicc_cmd_envelope(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out)
{
	const uint8_t *data;
	size_t lc, n = 0;
	uint16_t warning = 0;
	enum uicc_tk_result r;
	uint16_t sw = cat_data(a, true, &data, &lc);

	if (sw)
		return sw;
	r = uicc_tk_on_envelope(c->tk, data, lc, out->data, UICC_TK_MAX_RESPONSE, &n, &warning);
	switch (r) {
	case UICC_TK_OK:
		out->len = n;
		out->deferred = true;
		return warning ? warning : SW_OK;
	case UICC_TK_ERR_NOT_FOUND:
		return SW_OK;
	case UICC_TK_ERR_BUSY:
		return SW_TOOLKIT_BUSY;
	case UICC_TK_ERR_BAD_DATA:
		return a->gsm ? SW_TECH_PROBLEM : SW_BAD_DATA;
	default:
		return SW_TECH_PROBLEM;
	}
}

/* TS 102 221 §11.2.3: Le must be the length the 91XX announced. */
uint16_t uicc_cmd_fetch(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out)
{
	unsigned le;
	size_t want = uicc_tk_fetchable_length(c->tk), n;

	if (a->p1 || a->p2)
		return sw_p1p2(a);
	if (!uicc_apdu_case2(a, &le))
		return SW_WRONG_LENGTH;
	if (want == 0)
		return a->gsm ? SW_TECH_PROBLEM : SW_CONDITIONS;
	if (le != want)
		return uicc_sw_wrong_le(a, want);
	if (uicc_tk_on_fetch(c->tk, out->data, sizeof(out->data), &n) != UICC_TK_OK)
		return SW_TECH_PROBLEM;
	out->len = n;
	return SW_OK;
}

/* TS 102 221 §11.2.4 */
uint16_t uicc_cmd_terminal_response(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out)
{
	const uint8_t *data;
	size_t lc;
	uint16_t sw = cat_data(a, false, &data, &lc);

	if (sw)
		return sw;
	(void)out;
	switch (uicc_tk_on_terminal_response(c->tk, data, lc)) {
	case UICC_TK_OK:
		return SW_OK;
	case UICC_TK_ERR_NO_SESSION:
		return a->gsm ? SW_TECH_PROBLEM : SW_CONDITIONS;
	case UICC_TK_ERR_BAD_DATA:
	case UICC_TK_ERR_MISMATCH:
		return a->gsm ? SW_TECH_PROBLEM : SW_BAD_DATA;
	default:
		return SW_TECH_PROBLEM;
	}
}
