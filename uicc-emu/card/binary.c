/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * READ BINARY / UPDATE BINARY (TS 102 221 §11.1.3, §11.1.4, SFI in P1;
 * TS 51.011 §9.2.3, §9.2.4).
 */
#include <string.h>

#include "card/card-internal.h"

/*
 * The target EF: by SFI (P1 b8 = 1, b7 b6 = 00; it becomes the current
 * EF) or the current EF.  *sw is set when there is none.
 */
static struct uicc_file *target(struct uicc_card *c, const struct uicc_apdu *a, uint16_t *offset, uint16_t *sw)
{
	struct uicc_channel *ch = uicc_card_channel(c, a);
	struct uicc_file *f;

	if (!a->gsm && (a->p1 & 0x80)) {
		if (a->p1 & 0x60) {
			*sw = SW_BAD_P1P2;
			return NULL;
		}
		f = uicc_fs_child_sfi(ch->df, a->p1 & 0x1F);
		if (!f) {
			*sw = SW_FILE_NOT_FOUND;
			return NULL;
		}
		ch->ef = f;
		ch->record = 0;
		*offset = a->p2;
	} else {
		f = ch->ef;
		if (!f) {
			*sw = a->gsm ? SW_GSM_NO_EF : SW_NO_EF;
			return NULL;
		}
		*offset = (uint16_t)((a->p1 & 0x7F) << 8 | a->p2);
		if (a->gsm)
			*offset = (uint16_t)(a->p1 << 8 | a->p2);
	}
	if (f->structure != UICC_EF_TRANSPARENT) {
		*sw = a->gsm ? SW_GSM_INCONSISTENT : SW_INCOMPATIBLE_FILE;
		return NULL;
	}
	return f;
}

uint16_t uicc_cmd_read_binary(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out)
{
	struct uicc_file *f;
	uint16_t offset = 0, sw = SW_OK;
	unsigned le;
	size_t avail;

	if (!uicc_apdu_case2(a, &le))
		return a->gsm ? 0x6700 : SW_WRONG_LENGTH;
	f = target(c, a, &offset, &sw);
	if (!f)
		return sw;
	sw = uicc_access_check(c, a, f, UICC_AM_READ);
	if (sw != SW_OK)
		return sw;
	if (offset >= f->size)
		return a->gsm ? SW_GSM_OUT_OF_RANGE : SW_WRONG_P1P2;
	avail = f->size - offset;
	/* T=0 (TS 102 221 §7.3.1.1.5.2): Le beyond the end → 6C with what there is */
	if (le > avail)
		return uicc_sw_wrong_le(a, avail > 256 ? 256 : avail);
	memcpy(out->data, uicc_fs_data(c, f) + offset, le);
	out->len = le;
	return SW_OK;
}

uint16_t uicc_cmd_update_binary(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out)
{
	struct uicc_file *f;
	const uint8_t *data;
	uint16_t offset = 0, sw = SW_OK;
	size_t lc;

	if (!uicc_apdu_data(a, false, &data, &lc) || lc == 0)
		return a->gsm ? 0x6700 : SW_WRONG_LENGTH;
	f = target(c, a, &offset, &sw);
	if (!f)
		return sw;
	sw = uicc_access_check(c, a, f, UICC_AM_UPDATE);
	if (sw != SW_OK)
		return sw;
	if (offset >= f->size)
		return a->gsm ? SW_GSM_OUT_OF_RANGE : SW_WRONG_P1P2;
	if (lc > (size_t)(f->size - offset))
		return a->gsm ? (uint16_t)(0x6700 | (f->size - offset > 0xFF ? 0 : f->size - offset)) : SW_WRONG_LENGTH;
	memcpy(uicc_fs_data(c, f) + offset, data, lc);
	uicc_fs_save(c, f);
	if (!uicc_card_commit(c))
		return uicc_sw_memory(a);
	(void)out;
	return SW_OK;
}
