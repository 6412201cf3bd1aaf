/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MANAGE CHANNEL (TS 102 221 §11.1.17): logical channels 1-3 open / close. */
#include "card/card-internal.h"

static void open_channel(struct uicc_card *c, unsigned n, unsigned from)
{
	struct uicc_channel *ch = &c->cur->ch[n];

	/* from the basic channel: the MF is current; else the origin's state */
	if (from == 0) {
		ch->df = c->mf;
		ch->ef = NULL;
		ch->adf = NULL;
		ch->record = 0;
	} else {
		*ch = c->cur->ch[from];
	}
	ch->open = true;
}

uint16_t uicc_cmd_manage_channel(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out)
{
	unsigned le, n;

	if (a->p1 == 0x00) {
		if (a->p2 == 0x00) {
			/* the card picks the channel and returns its number (Le = 1) */
			if (!uicc_apdu_case2(a, &le))
				return SW_WRONG_LENGTH;
			for (n = 1; n < UICC_CHANNELS && c->cur->ch[n].open; n++)
				;
			if (n == UICC_CHANNELS)
				return SW_FUNC_NOT_SUPPORTED;
			if (le != 1)
				return uicc_sw_wrong_le(a, 1);
			open_channel(c, n, a->channel);
			out->data[0] = (uint8_t)n;
			out->len = 1;
			return SW_OK;
		}
		if (!uicc_apdu_case1(a))
			return SW_WRONG_LENGTH;
		if (a->p2 > 19)
			return SW_BAD_P1P2;
		if (a->p2 >= UICC_CHANNELS)
			return SW_LOGICAL_CHANNEL;
		if (c->cur->ch[a->p2].open)
			return SW_CONDITIONS;
		open_channel(c, a->p2, a->channel);
		return SW_OK;
	}
	if (a->p1 == 0x80) {
		if (!uicc_apdu_case1(a))
			return SW_WRONG_LENGTH;
		if (a->p2 == 0x00 || a->p2 > 19)
			return SW_BAD_P1P2;
		if (a->p2 >= UICC_CHANNELS || !c->cur->ch[a->p2].open)
			return SW_LOGICAL_CHANNEL;
		c->cur->ch[a->p2].open = false;
		return SW_OK;
	}
	return SW_BAD_P1P2;
}
