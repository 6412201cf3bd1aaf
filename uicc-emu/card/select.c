/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SELECT (TS 102 221 §11.1.1, file selection rules §8.4.1; TS 51.011
 * §9.2.1) and STATUS (TS 102 221 §11.1.2; TS 51.011 §9.2.2).
 */
#include <string.h>

#include "card/card-internal.h"

/* TS 102 221 §8.4.1: the files selectable by FID from the current DF. */
static struct uicc_file *by_fid(struct uicc_card *c, struct uicc_channel *ch, uint16_t fid)
{
	struct uicc_file *df = ch->df, *f;

	if (fid == 0x3F00)
		return c->mf;
	if (fid == 0x7FFF)
		return ch->adf;
	if (fid == df->fid)
		return df;
	f = uicc_fs_child(df, fid);
	if (f)
		return f;
	if (df->parent) {
		if (df->parent->fid == fid)
			return df->parent;
		f = uicc_fs_child(df->parent, fid);
		if (f && uicc_fs_is_df(f))
			return f;
	}
	return NULL;
}

/* TS 102 221 §8.4.2: a path of FIDs, from the MF (without 3F00) or the current DF. */
static struct uicc_file *by_path(struct uicc_card *c, struct uicc_channel *ch, const uint8_t *p, size_t len,
				 bool from_mf)
{
	struct uicc_file *f = from_mf ? c->mf : ch->df;

	if (len == 0 || len % 2)
		return NULL;
	for (size_t i = 0; i < len; i += 2) {
		uint16_t fid = (uint16_t)(p[i] << 8 | p[i + 1]);

		if (!uicc_fs_is_df(f))
			return NULL;
		if (fid == 0x7FFF && i == 0)
			f = ch->adf;
		else if (fid == 0x3F00 && i == 0 && from_mf)
			f = c->mf;    /* tolerated: some terminals repeat the MF */
		else
			f = uicc_fs_child(f, fid);
		if (!f)
			return NULL;
	}
	return f;
}

/* TS 102 221 §8.5.2: by DF name, with a right-truncated AID allowed. */
static struct uicc_file *by_aid(struct uicc_card *c, const uint8_t *p, size_t len)
{
	for (struct uicc_file *f = c->mf->child; f; f = f->next)
		if (f->kind == UICC_FILE_ADF && len >= 1 && len <= f->aid_len && memcmp(f->aid, p, len) == 0)
			return f;
	return NULL;
}

static void make_current(struct uicc_channel *ch, struct uicc_file *f)
{
	if (uicc_fs_is_df(f)) {
		ch->df = f;
		ch->ef = NULL;
		if (f->kind == UICC_FILE_ADF)
			ch->adf = f;
	} else {
		ch->df = f->parent;
		ch->ef = f;
	}
	ch->record = 0;
}

static uint16_t select_gsm(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out)
{
	struct uicc_channel *ch = &c->cur->ch[0];
	struct uicc_file *f;
	const uint8_t *data;
	size_t lc;

	if (a->p1 || a->p2)
		return SW_WRONG_P1P2;
	if (!uicc_apdu_data(a, false, &data, &lc) || lc != 2)
		return 0x6702;
	f = by_fid(c, ch, (uint16_t)(data[0] << 8 | data[1]));
	/* a 2G ME does not see the USIM application */
	if (!f || f->kind == UICC_FILE_ADF)
		return SW_GSM_NOT_FOUND;
	make_current(ch, f);
	out->len = uicc_fs_gsm_response(c, f, out->data, sizeof(out->data));
	out->deferred = true;
	return SW_OK;
}

uint16_t uicc_cmd_select(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out)
{
	struct uicc_channel *ch = uicc_card_channel(c, a);
	struct uicc_file *f = NULL;
	const uint8_t *data = NULL;
	size_t lc = 0;
	uint8_t ret = a->p2 & 0x0C, session = a->p2 & 0x03, life = a->p2 & 0xF0;

	if (a->gsm)
		return select_gsm(c, a, out);
	/* TS 102 221 Table 11.2: b4b3 01 FCP / 11 nothing; b2b1 and b7 only by DF name */
	if ((ret != 0x04 && ret != 0x0C) || (a->p1 != 0x04 && (session || life)) ||
	    (a->p1 == 0x04 && ((life != 0x00 && life != 0x40) || session == 0x01 || session == 0x03)))
		return SW_BAD_P1P2;
	if (a->p1 == 0x03) {
		if (!uicc_apdu_case1(a) && !(uicc_apdu_data(a, true, &data, &lc) && lc == 0))
			return SW_WRONG_LENGTH;
	} else if (!uicc_apdu_data(a, true, &data, &lc)) {
		return SW_WRONG_LENGTH;
	}

	switch (a->p1) {
	case 0x00:    /* DF, EF or MF by file id; no data: the MF */
		if (lc == 0)
			f = c->mf;
		else if (lc == 2)
			f = by_fid(c, ch, (uint16_t)(data[0] << 8 | data[1]));
		else
			return SW_WRONG_LENGTH;
		break;
	case 0x01:    /* child DF */
		if (lc != 2)
			return SW_WRONG_LENGTH;
		f = uicc_fs_child(ch->df, (uint16_t)(data[0] << 8 | data[1]));
		if (f && !uicc_fs_is_df(f))
			f = NULL;
		break;
	case 0x03:    /* parent DF */
		f = ch->df->parent;
		break;
	case 0x04:    /* DF name (AID) */
		if (lc < 1 || lc > 16)
			return SW_WRONG_LENGTH;
		/* one application per AID: there is no "next occurrence" */
		f = session == 0x02 ? NULL : by_aid(c, data, lc);
		if (f && life == 0x40) {
			/* termination of the application session */
			if (ch->adf == f)
				ch->adf = NULL;
			make_current(ch, c->mf);
			return SW_OK;
		}
		break;
	case 0x08:    /* path from MF */
	case 0x09:    /* path from the current DF */
		if (lc < 2 || lc % 2)
			return SW_WRONG_LENGTH;
		f = by_path(c, ch, data, lc, a->p1 == 0x08);
		break;
	default:
		return SW_BAD_P1P2;
	}
	if (!f)
		return SW_FILE_NOT_FOUND;
	make_current(ch, f);
	if (ret == 0x04) {
		out->len = uicc_fs_fcp(c, f, out->data, sizeof(out->data));
		out->deferred = true;
	}
	/* TS 102 221 §11.1.1.3: a deactivated file is selected, with a warning */
	return uicc_fs_deactivated(c, f) ? SW_FILE_DEACTIVATED : SW_OK;
}

uint16_t uicc_cmd_status(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out)
{
	struct uicc_channel *ch = uicc_card_channel(c, a);
	uint8_t buf[UICC_RESP_MAX];
	size_t n;
	unsigned le;

	if (a->gsm) {
		if (a->p1 || a->p2)
			return SW_WRONG_P1P2;
		if (!uicc_apdu_case2(a, &le))
			return 0x6700;
		n = uicc_fs_gsm_response(c, ch->df, buf, sizeof(buf));
		/* TS 51.011 §9.2.2: the ME may read fewer bytes than the response has */
		if (le > n)
			return uicc_sw_wrong_le(a, n);
		memcpy(out->data, buf, le);
		out->len = le;
		return SW_OK;
	}
	if (a->p1 > 0x02)
		return SW_BAD_P1P2;
	switch (a->p2) {
	case 0x0C:    /* no data returned */
		if (!uicc_apdu_case1(a) && !(uicc_apdu_case2(a, &le)))
			return SW_WRONG_LENGTH;
		return SW_OK;
	case 0x00:    /* as SELECT returns for the current DF */
		n = uicc_fs_fcp(c, ch->df, buf, sizeof(buf));
		break;
	case 0x01:    /* the DF name TLV of the current application */
		if (!ch->adf)
			return SW_FILE_NOT_FOUND;
		buf[0] = 0x84;
		buf[1] = (uint8_t)ch->adf->aid_len;
		memcpy(buf + 2, ch->adf->aid, ch->adf->aid_len);
		n = 2 + ch->adf->aid_len;
		break;
	default:
		return SW_BAD_P1P2;
	}
	if (!uicc_apdu_case2(a, &le))
		return SW_WRONG_LENGTH;
	return uicc_out_exact(a, out, buf, n, le);
}
