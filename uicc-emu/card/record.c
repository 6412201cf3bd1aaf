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

/* The target EF, if the current context may use the access mode on it; else NULL and *sw. */
static struct uicc_file *target_for(struct uicc_card *c, const struct uicc_apdu *a, enum uicc_am am, uint16_t *sw)
{
	struct uicc_file *f = target(c, a, sw);

	if (!f)
		return NULL;
	*sw = uicc_access_check(c, a, f, am);
	return *sw == SW_OK ? f : NULL;
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
	f = target_for(c, a, UICC_AM_READ, &sw);
	if (!f)
		return sw;
	rec = designate(f, ch->record, mode, a->p1, &pointer);
	if (!rec)
		return sw_record_not_found(a);
	if (le != f->rec_len)
		return uicc_sw_wrong_le(a, f->rec_len);
	ch->record = pointer;
	memcpy(out->data, uicc_fs_record(c, f, rec), f->rec_len);
	out->len = f->rec_len;
	return SW_OK;
}

uint16_t uicc_cmd_update_record(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out)
{
	struct uicc_channel *ch = uicc_card_channel(c, a);
	struct uicc_file *f;
	uint8_t *content;
	const uint8_t *data;
	uint16_t sw = SW_OK;
	uint8_t mode = a->gsm ? a->p2 : a->p2 & 0x07;
	unsigned rec, pointer;
	size_t lc;

	if (!uicc_apdu_data(a, false, &data, &lc))
		return a->gsm ? 0x6700 : SW_WRONG_LENGTH;
	if (mode != MODE_NEXT && mode != MODE_PREVIOUS && mode != MODE_ABSOLUTE)
		return a->gsm ? SW_WRONG_P1P2 : SW_BAD_P1P2;
	f = target_for(c, a, UICC_AM_UPDATE, &sw);
	if (!f)
		return sw;
	if (lc != f->rec_len)
		return a->gsm ? (uint16_t)(0x6700 | f->rec_len) : SW_WRONG_LENGTH;
	content = uicc_fs_data(c, f);
	if (f->structure == UICC_EF_CYCLIC) {
		/* TS 102 221 §11.1.6.1: only PREVIOUS; the oldest record becomes record 1 */
		if (mode != MODE_PREVIOUS)
			return a->gsm ? SW_GSM_INCONSISTENT : SW_INCOMPATIBLE_FILE;
		memmove(content + f->rec_len, content, (size_t)(f->n_rec - 1) * f->rec_len);
		memcpy(content, data, lc);
		ch->record = 1;
	} else {
		rec = designate(f, ch->record, mode, a->p1, &pointer);
		if (!rec)
			return sw_record_not_found(a);
		memcpy(uicc_fs_record(c, f, rec), data, lc);
		ch->record = pointer;
	}
	uicc_fs_save(c, f);
	if (!uicc_card_commit(c))
		return uicc_sw_memory(a);
	(void)out;
	return SW_OK;
}

/* ---- SEARCH RECORD (TS 102 221 §11.1.7) / SEEK (TS 51.011 §9.2.7) ---------------- */

#define SEARCH_FORWARD_P1 0x04
#define SEARCH_BACKWARD_P1 0x05
#define SEARCH_ENHANCED 0x06

struct search {
	unsigned first;               /* record the search starts at */
	bool forward;
	bool value_offset;            /* enhanced: start after the first occurrence of `offset` as a value */
	uint8_t offset;               /* byte of the record the string is compared at */
	const uint8_t *string;
	size_t len;
};

/* Whether the record holds the string at the offset the search gives. */
static bool record_matches(const struct search *s, const uint8_t *rec, size_t rec_len)
{
	size_t at = s->offset;

	if (s->value_offset) {
		const uint8_t *hit = memchr(rec, s->offset, rec_len);

		if (!hit)
			return false;
		at = (size_t)(hit - rec) + 1;
	}
	return at <= rec_len && s->len <= rec_len - at && memcmp(rec + at, s->string, s->len) == 0;
}

/* The matching records from s->first in its direction, in the order found; their count. */
static size_t search_records(struct uicc_card *c, struct uicc_file *f, const struct search *s, uint8_t *found,
			     size_t cap)
{
	size_t n = 0;

	for (unsigned rec = s->first; rec >= 1 && rec <= f->n_rec; rec = s->forward ? rec + 1 : rec - 1)
		if (record_matches(s, uicc_fs_record(c, f, rec), f->rec_len) && n < cap)
			found[n++] = (uint8_t)rec;
	return n;
}

/* TS 102 221 Table 11.13: the search indication of an enhanced search (2 bytes before the string). */
static uint16_t enhanced(const struct uicc_file *f, unsigned current, uint8_t p1, const uint8_t *data, size_t lc,
			 struct search *s)
{
	unsigned start = p1 ? p1 : current;

	if (lc < 3)
		return SW_WRONG_LENGTH;
	s->value_offset = data[0] & 0x08;
	s->offset = data[1];
	s->string = data + 2;
	s->len = lc - 2;
	if (start == 0 || start > f->n_rec)
		return SW_RECORD_NOT_FOUND;
	switch (data[0] & 0x07) {
	case 0x04:                    /* forward from P1 */
		s->first = start;
		s->forward = true;
		break;
	case 0x05:                    /* backward from P1 */
		s->first = start;
		s->forward = false;
		break;
	case 0x06:                    /* forward from the next record */
		s->first = start + 1;
		s->forward = true;
		break;
	case 0x07:                    /* backward from the previous record */
		s->first = start - 1;
		s->forward = false;
		break;
	default:
		return SW_BAD_DATA;
	}
	return SW_OK;
}

/* TS 51.011 §9.2.7: P2 type (b5: 0 type 1, 1 type 2) and mode; the pointer moves to the record found. */
static uint16_t seek(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out)
{
	struct uicc_channel *ch = uicc_card_channel(c, a);
	struct search s = { 0 };
	const uint8_t *data;
	uint8_t rec;
	uint16_t sw = SW_OK;
	struct uicc_file *f;
	size_t lc;

	if (!uicc_apdu_data(a, false, &data, &lc) || lc == 0 || lc > 16)
		return 0x6700;
	if (a->p1 != 0 || (a->p2 & 0xEC) != 0)
		return SW_WRONG_P1P2;
	f = target_for(c, a, UICC_AM_READ, &sw);
	if (!f)
		return sw;
	if (lc > f->rec_len)
		return (uint16_t)(0x6700 | f->rec_len);
	s.string = data;
	s.len = lc;
	switch (a->p2 & 0x03) {
	case 0: s.first = 1; s.forward = true; break;                        /* from the beginning */
	case 1: s.first = f->n_rec; s.forward = false; break;                /* from the end */
	case 2: s.first = ch->record + 1; s.forward = true; break;           /* from the next location */
	default: s.first = ch->record ? ch->record - 1 : f->n_rec; s.forward = false; break;
	}
	if (!search_records(c, f, &s, &rec, 1))
		return SW_GSM_NOT_FOUND;
	ch->record = rec;
	if (a->p2 & 0x10) {           /* type 2: the record number, 9F01 then GET RESPONSE */
		out->data[0] = rec;
		out->len = 1;
		out->deferred = true;
	}
	return SW_OK;
}

uint16_t uicc_cmd_search_record(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out)
{
	struct uicc_channel *ch = uicc_card_channel(c, a);
	struct search s = { 0 };
	const uint8_t *data;
	uint16_t sw = SW_OK;
	uint8_t mode = a->p2 & 0x07;
	struct uicc_file *f;
	size_t lc, n;

	if (a->gsm)
		return seek(c, a, out);
	if (!uicc_apdu_data(a, true, &data, &lc) || lc == 0)
		return SW_WRONG_LENGTH;
	if (mode != SEARCH_FORWARD_P1 && mode != SEARCH_BACKWARD_P1 && mode != SEARCH_ENHANCED)
		return SW_BAD_P1P2;
	f = target_for(c, a, UICC_AM_READ, &sw);
	if (!f)
		return sw;
	if (mode == SEARCH_ENHANCED) {
		sw = enhanced(f, ch->record, a->p1, data, lc, &s);
		if (sw != SW_OK)
			return sw;
	} else {
		s.first = a->p1 ? a->p1 : ch->record;
		s.forward = mode == SEARCH_FORWARD_P1;
		s.string = data;
		s.len = lc;
		if (s.first == 0 || s.first > f->n_rec)
			return SW_RECORD_NOT_FOUND;
	}
	if (s.len > f->rec_len)
		return SW_WRONG_LENGTH;
	n = search_records(c, f, &s, out->data, f->n_rec);
	/* TS 102 221 §10.2.1.2: 62 82, unsuccessful search */
	if (n == 0)
		return SW_SEARCH_FAILED;
	ch->record = out->data[0];
	out->len = n;
	out->deferred = true;
	return SW_OK;
}

/* ---- INCREASE (TS 102 221 §11.1.8, TS 51.011 §9.2.8) -------------------------------- */

/*
 * Adds the value (right-aligned, big-endian) to the newest record of a
 * cyclic EF; the sum becomes the new record 1, the oldest record is
 * dropped.  Answers the new record and the value added; 98 50 when the sum
 * does not fit the record.
 */
uint16_t uicc_cmd_increase(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out)
{
	struct uicc_channel *ch = uicc_card_channel(c, a);
	struct uicc_file *f;
	uint8_t sum[256], *content;
	const uint8_t *data;
	uint16_t sw = SW_OK;
	unsigned carry = 0;
	size_t lc;

	if (!uicc_apdu_data(a, true, &data, &lc) || lc == 0 || (a->gsm && lc != 3))
		return a->gsm ? 0x6703 : SW_WRONG_LENGTH;
	if (a->p1 || a->p2)
		return a->gsm ? SW_WRONG_P1P2 : SW_BAD_P1P2;
	f = ch->ef;
	if (!f)
		return a->gsm ? SW_GSM_NO_EF : SW_NO_EF;
	if (f->structure != UICC_EF_CYCLIC)
		return a->gsm ? SW_GSM_INCONSISTENT : SW_INCOMPATIBLE_FILE;
	sw = uicc_access_check(c, a, f, UICC_AM_INCREASE);
	if (sw != SW_OK)
		return sw;
	if (lc > f->rec_len)
		return a->gsm ? (uint16_t)(0x6700 | f->rec_len) : SW_WRONG_LENGTH;
	content = uicc_fs_data(c, f);
	memcpy(sum, content, f->rec_len);
	for (size_t i = 0; i < f->rec_len; i++) {
		size_t k = f->rec_len - 1 - i;
		unsigned add = i < lc ? data[lc - 1 - i] : 0;
		unsigned v = sum[k] + add + carry;

		sum[k] = (uint8_t)v;
		carry = v >> 8;
	}
	if (carry)
		return SW_MAX_VALUE;
	memmove(content + f->rec_len, content, (size_t)(f->n_rec - 1) * f->rec_len);
	memcpy(content, sum, f->rec_len);
	ch->record = 1;
	uicc_fs_save(c, f);
	if (!uicc_card_commit(c))
		return uicc_sw_memory(a);
	memcpy(out->data, sum, f->rec_len);
	memcpy(out->data + f->rec_len, data, lc);
	out->len = f->rec_len + lc;
	out->deferred = true;
	return SW_OK;
}
