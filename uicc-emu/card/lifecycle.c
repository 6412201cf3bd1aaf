/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DEACTIVATE FILE / ACTIVATE FILE (TS 102 221 §11.1.14, §11.1.15) and their
 * GSM forms INVALIDATE / REHABILITATE (TS 51.011 §9.2.14, §9.2.15) on an
 * EF: the current one, or (UICC, P1 00) the one whose FID the data holds,
 * which becomes current.  A deactivated EF is still selected (62 83, its FCP
 * says LCSI 04) and refuses everything but ACTIVATE (access.c); the state
 * is durable before the status word goes out.
 */
#include "card/card-internal.h"

static uint16_t set_state(struct uicc_card *c, const struct uicc_apdu *a, bool deactivate)
{
	struct uicc_channel *ch = uicc_card_channel(c, a);
	struct uicc_file *f = ch->ef;
	const uint8_t *data;
	uint16_t sw;
	size_t lc = 0;

	if (a->p1 || a->p2)
		return a->gsm ? SW_WRONG_P1P2 : SW_BAD_P1P2;
	if (!uicc_apdu_case1(a)) {
		if (a->gsm || !uicc_apdu_data(a, false, &data, &lc) || lc != 2)
			return a->gsm ? 0x6700 : SW_WRONG_LENGTH;
		f = uicc_fs_child(ch->df, (uint16_t)(data[0] << 8 | data[1]));
		if (!f || uicc_fs_is_df(f))
			return SW_FILE_NOT_FOUND;
		ch->ef = f;
		ch->record = 0;
	}
	if (!f)
		return a->gsm ? SW_GSM_NO_EF : SW_NO_EF;
	sw = uicc_access_check(c, a, f, deactivate ? UICC_AM_DEACTIVATE : UICC_AM_ACTIVATE);
	if (sw != SW_OK)
		return sw;
	uicc_fs_set_deactivated(c, f, deactivate);
	return uicc_card_commit(c) ? SW_OK : uicc_sw_memory(a);
}

uint16_t uicc_cmd_deactivate(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out)
{
	(void)out;
	return set_state(c, a, true);
}

uint16_t uicc_cmd_activate(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out)
{
	(void)out;
	return set_state(c, a, false);
}
