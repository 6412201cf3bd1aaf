/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * READ RECORD / UPDATE RECORD (TS 102 221 §11.1.5, §11.1.6: absolute,
 * current, next, previous; SFI in P2 b8-b4; TS 51.011 §9.2.5, §9.2.6) on
 * linear fixed and cyclic EFs.  The record pointer moves only in next /
 * previous mode and on a cyclic update.
 */
#include <string.h>

#include "card/card-internal.h"

#define MODE_NEXT 0x02
#define MODE_PREVIOUS 0x03
#define MODE_ABSOLUTE 0x04

static struct uicc_file *target(struct uicc_card *c, const struct uicc_apdu *a, uint16_t *sw)
{
	struct uicc_channel *ch = uicc_card_channel(c, a);
	uint8_t sfi = a->gsm ? 0 : a->p2 >> 3;
	struct uicc_file *f;

	if (sfi == 0x1F) {
		*sw = SW_BAD_P1P2;
		return NULL;
	}
	if (sfi) {
		f = uicc_fs_child_sfi(ch->df, sfi);
		if (!f) {
			*sw = SW_FILE_NOT_FOUND;
			return NULL;
		}
		ch->ef = f;
		ch->record = 0;
	}
	f = ch->ef;
	if (!f) {
		*sw = a->gsm ? SW_GSM_NO_EF : SW_NO_EF;
		return NULL;
	}
	if (f->structure == UICC_EF_TRANSPARENT) {
		*sw = a->gsm ? SW_GSM_INCONSISTENT : SW_INCOMPATIBLE_FILE;
		return NULL;
	}
	return f;
}

/* The record a mode designates (0: none), and the pointer after it. */
static unsigned designate(const struct uicc_file *f, unsigned current, uint8_t mode, uint8_t p1, unsigned *pointer)
{
	unsigned n = f->n_rec, rec = 0;
	bool cyclic = f->structure == UICC_EF_CYCLIC;

	*pointer = current;
	switch (mode) {
	case MODE_NEXT:
		if (current == 0)
			rec = 1;
		else if (current < n)
			rec = current + 1;
		else if (cyclic)
			rec = 1;
		*pointer = rec ? rec : current;
		break;
	case MODE_PREVIOUS:
		if (current == 0)
			rec = n;
		else if (current > 1)
			rec = current - 1;
		else if (cyclic)
			rec = n;
		*pointer = rec ? rec : current;
		break;
	case MODE_ABSOLUTE:
		rec = p1 ? p1 : current;
		break;
	}
	return rec <= n ? rec : 0;
}

static uint16_t sw_record_not_found(const struct uicc_apdu *a)
{
	return a->gsm ? SW_GSM_OUT_OF_RANGE : SW_RECORD_NOT_FOUND;
}

uint16_t uicc_cmd_read_record(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out)
{
	struct uicc_channel *ch = uicc_card_channel(c, a);
	struct uicc_file *f;
	uint16_t sw = SW_OK;
	uint8_t mode = a->gsm ? a->p2 : a->p2 & 0x07;
	unsigned le, rec, pointer;

	if (!uicc_apdu_case2(a, &le))
		return a->gsm ? 0x6700 : SW_WRONG_LENGTH;
	if (mode != MODE_NEXT && mode != MODE_PREVIOUS && mode != MODE_ABSOLUTE)
		return a->gsm ? SW_WRONG_P1P2 : SW_BAD_P1P2;
	f = target(c, a, &sw);
	if (!f)
		return sw;
	if (!uicc_ac_ok(c, f->ac_read))
		return a->gsm ? SW_GSM_ACCESS : SW_SECURITY;
	rec = designate(f, ch->record, mode, a->p1, &pointer);
	if (!rec)
		return sw_record_not_found(a);
	if (le != f->rec_len)
		return uicc_sw_wrong_le(a, f->rec_len);
	ch->record = pointer;
	memcpy(out->data, uicc_fs_record(f, rec), f->rec_len);
	out->len = f->rec_len;
	return SW_OK;
}

uint16_t uicc_cmd_update_record(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out)
{
	struct uicc_channel *ch = uicc_card_channel(c, a);
	struct uicc_file *f, *content;
	const uint8_t *data;
	uint16_t sw = SW_OK;
	uint8_t mode = a->gsm ? a->p2 : a->p2 & 0x07;
	unsigned rec, pointer;
	size_t lc;

	if (!uicc_apdu_data(a, false, &data, &lc))
		return a->gsm ? 0x6700 : SW_WRONG_LENGTH;
	if (mode != MODE_NEXT && mode != MODE_PREVIOUS && mode != MODE_ABSOLUTE)
		return a->gsm ? SW_WRONG_P1P2 : SW_BAD_P1P2;
	f = target(c, a, &sw);
	if (!f)
		return sw;
	if (!uicc_ac_ok(c, f->ac_update))
		return a->gsm ? SW_GSM_ACCESS : SW_SECURITY;
	if (lc != f->rec_len)
		return a->gsm ? (uint16_t)(0x6700 | f->rec_len) : SW_WRONG_LENGTH;
	content = uicc_fs_content(f);
	if (f->structure == UICC_EF_CYCLIC) {
		/* TS 102 221 §11.1.6.1: only PREVIOUS; the oldest record becomes record 1 */
		if (mode != MODE_PREVIOUS)
			return a->gsm ? SW_GSM_INCONSISTENT : SW_INCOMPATIBLE_FILE;
		memmove(content->data + f->rec_len, content->data, (size_t)(f->n_rec - 1) * f->rec_len);
		memcpy(content->data, data, lc);
		ch->record = 1;
	} else {
		rec = designate(f, ch->record, mode, a->p1, &pointer);
		if (!rec)
			return sw_record_not_found(a);
		memcpy(uicc_fs_record(f, rec), data, lc);
		ch->record = pointer;
	}
	uicc_fs_save(c, f);
	if (!uicc_card_commit(c))
		return a->gsm ? SW_GSM_MEMORY : 0x6581;
	(void)out;
	return SW_OK;
}
