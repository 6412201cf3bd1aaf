/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card's file tree (TS 102 221 §8): MF, DFs, ADFs and EFs, the FCP
 * template returned by SELECT / STATUS (§11.1.1.3), the GSM SELECT response
 * (TS 51.011 §9.2.1) and the persistence of EF contents in the card state.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card/card-internal.h"
#include "simota/ts102221.h"

#define STATE_GROUP_EF "ef"

static void make_key(struct uicc_file *f)
{
	if (!f->parent) {
		snprintf(f->key, sizeof(f->key), "%04X", f->fid);
		return;
	}
	size_t n = strlen(f->parent->key);

	/* the tree is at most 4 levels deep: 4 × 5 characters */
	if (n + 6 > sizeof(f->key))
		n = sizeof(f->key) - 6;
	memcpy(f->key, f->parent->key, n);
	snprintf(f->key + n, 6, "/%04X", (unsigned)f->fid);
}

static struct uicc_file *new_file(struct uicc_file *parent, uint16_t fid, enum uicc_file_kind kind)
{
	struct uicc_file *f = g_new0(struct uicc_file, 1);
	struct uicc_file **tail;

	f->fid = fid;
	f->kind = kind;
	f->parent = parent;
	if (parent) {
		for (tail = &parent->child; *tail; tail = &(*tail)->next)
			;
		*tail = f;
	}
	make_key(f);
	return f;
}

struct uicc_file *uicc_fs_new_df(struct uicc_file *parent, uint16_t fid, enum uicc_file_kind kind)
{
	return new_file(parent, fid, kind);
}

struct uicc_file *uicc_fs_transparent(struct uicc_file *parent, uint16_t fid, uint16_t size,
				      enum uicc_ac rd, enum uicc_ac upd, uint8_t sfi)
{
	struct uicc_file *f = new_file(parent, fid, UICC_FILE_EF);

	f->structure = UICC_EF_TRANSPARENT;
	f->size = size;
	f->ac_read = rd;
	f->ac_update = upd;
	f->sfi = sfi;
	f->data = g_malloc(size ? size : 1);
	memset(f->data, 0xFF, size);
	return f;
}

struct uicc_file *uicc_fs_records(struct uicc_file *parent, uint16_t fid, enum uicc_ef_structure st,
				  uint8_t rec_len, uint8_t n_rec, enum uicc_ac rd, enum uicc_ac upd, uint8_t sfi)
{
	struct uicc_file *f = uicc_fs_transparent(parent, fid, (uint16_t)(rec_len * n_rec), rd, upd, sfi);

	f->structure = st;
	f->rec_len = rec_len;
	f->n_rec = n_rec;
	return f;
}

/* An EF that shows another EF's content (same structure and conditions). */
struct uicc_file *uicc_fs_alias(struct uicc_file *parent, uint16_t fid, struct uicc_file *target)
{
	struct uicc_file *f = new_file(parent, fid, UICC_FILE_EF);

	f->structure = target->structure;
	f->size = target->size;
	f->rec_len = target->rec_len;
	f->n_rec = target->n_rec;
	f->ac_read = target->ac_read;
	f->ac_update = target->ac_update;
	f->link = target;
	return f;
}

void uicc_fs_free(struct uicc_file *f)
{
	while (f) {
		struct uicc_file *next = f->next;

		uicc_fs_free(f->child);
		g_free(f->data);
		g_free(f);
		f = next;
	}
}

struct uicc_file *uicc_fs_content(struct uicc_file *ef)
{
	return ef->link ? ef->link : ef;
}

void uicc_fs_set(struct uicc_file *ef, const uint8_t *p, size_t len)
{
	ef = uicc_fs_content(ef);
	memcpy(ef->data, p, len < ef->size ? len : ef->size);
}

uint8_t *uicc_fs_record(struct uicc_file *ef, unsigned rec)
{
	ef = uicc_fs_content(ef);
	if (rec < 1 || rec > ef->n_rec)
		return NULL;
	return ef->data + (size_t)(rec - 1) * ef->rec_len;
}

void uicc_fs_set_record(struct uicc_file *ef, unsigned rec, const uint8_t *p, size_t len)
{
	uint8_t *r = uicc_fs_record(ef, rec);

	if (!r)
		return;
	ef = uicc_fs_content(ef);
	memset(r, 0xFF, ef->rec_len);
	memcpy(r, p, len < ef->rec_len ? len : ef->rec_len);
}

bool uicc_fs_is_df(const struct uicc_file *f)
{
	return f->kind != UICC_FILE_EF;
}

struct uicc_file *uicc_fs_child(const struct uicc_file *df, uint16_t fid)
{
	for (struct uicc_file *f = df->child; f; f = f->next)
		if (f->fid == fid)
			return f;
	return NULL;
}

/* TS 102 221 §8.3: the SFI of an EF in the current DF. */
struct uicc_file *uicc_fs_child_sfi(const struct uicc_file *df, uint8_t sfi)
{
	for (struct uicc_file *f = df->child; f; f = f->next)
		if (f->kind == UICC_FILE_EF && f->sfi && f->sfi == sfi)
			return f;
	return NULL;
}

unsigned uicc_fs_count(const struct uicc_file *df, bool dfs)
{
	unsigned n = 0;

	for (struct uicc_file *f = df->child; f; f = f->next)
		n += uicc_fs_is_df(f) == dfs;
	return n;
}

static uint16_t total_size(const struct uicc_file *df)
{
	unsigned n = 0;

	for (struct uicc_file *f = df->child; f; f = f->next)
		n += uicc_fs_is_df(f) ? total_size(f) : f->size;
	return n > 0xFFFF ? 0xFFFF : (uint16_t)n;
}

/*
 * Access rule record in EF_ARR (TS 102 221 §9.2.5, expanded format) for a
 * read/update pair: rule number = 1 + read * 5 + update.
 */
static uint8_t arr_record(const struct uicc_file *f)
{
	return (uint8_t)(1 + f->ac_read * 5 + f->ac_update);
}

/* TS 102 221 §9.5.2: PIN1 as the card has it, PIN2 and ADM1 always enabled. */
static void pin_status_template(const struct uicc_card *card, struct simota_pin_status *ps)
{
	static const uint8_t refs[] = { SIMOTA_KEYREF_PIN1, SIMOTA_KEYREF_PIN2, SIMOTA_KEYREF_ADM1 };

	ps->n_keys = sizeof(refs);
	for (unsigned i = 0; i < sizeof(refs); i++) {
		ps->keys[i].keyref = refs[i];
		ps->keys[i].enabled = refs[i] == SIMOTA_KEYREF_PIN1 ? card->pin1.enabled : true;
	}
}

static enum simota_fcp_structure fcp_structure(const struct uicc_file *f)
{
	if (uicc_fs_is_df(f))
		return SIMOTA_FCP_DF;
	switch (f->structure) {
	case UICC_EF_LINEAR_FIXED:
		return SIMOTA_FCP_LINEAR_FIXED;
	case UICC_EF_CYCLIC:
		return SIMOTA_FCP_CYCLIC;
	default:
		return SIMOTA_FCP_TRANSPARENT;
	}
}

/* TS 102 221 §11.1.1.3: the FCP template of a file (simota_fcp_encode()); 0 when it does not fit. */
size_t uicc_fs_fcp(struct uicc_card *card, const struct uicc_file *f, uint8_t *out, size_t cap)
{
	struct simota_fcp fcp = {
		.fdb = simota_fcp_descriptor_byte(fcp_structure(f), true),
		.data_coding = SIMOTA_FCP_DATA_CODING,
		.record_len = f->rec_len,
		.n_records = f->n_rec,
		.has_fid = true,
		.fid = f->fid,
		.has_lcsi = true,
		.lcsi = SIMOTA_LCSI_ACTIVATED,
		.has_arr = true,
	};
	const struct uicc_file *arr_owner = uicc_fs_is_df(f) ? f : f->parent;
	size_t len;

	if (f->kind == UICC_FILE_ADF) {
		fcp.df_name_len = (uint8_t)f->aid_len;
		memcpy(fcp.df_name, f->aid, f->aid_len);
	}
	if (f->kind == UICC_FILE_MF) {
		/* §11.1.1.4.6.1: clock stop allowed, no preferred level; 3V and 1.8V (71) */
		fcp.has_uicc_characteristics = true;
		fcp.uicc_characteristics = 0x71;
	}
	/* §11.1.1.4.7.3 security attributes, referenced to the EF_ARR of the MF or the ADF */
	while (arr_owner->kind == UICC_FILE_DF)
		arr_owner = arr_owner->parent;
	fcp.arr_fid = arr_owner->kind == UICC_FILE_ADF ? 0x6F06 : 0x2F06;
	fcp.arr_record = uicc_fs_is_df(f) ? 1 : arr_record(f);
	if (uicc_fs_is_df(f)) {
		fcp.has_pin_status = true;
		pin_status_template(card, &fcp.pin_status);
		fcp.has_total_size = true;
		fcp.total_size = total_size(f);
	} else {
		fcp.has_file_size = true;
		fcp.file_size = f->size;
		fcp.has_sfi = true;          /* 88 00 when the EF has none */
		fcp.sfi = f->sfi;
	}
	if (simota_fcp_encode(&fcp, out, cap, &len) != SIMOTA_OK)
		return 0;
	return len;
}

static uint8_t gsm_ac(enum uicc_ac ac)
{
	switch (ac) {
	case UICC_AC_ALW: return 0x0;
	case UICC_AC_PIN1: return 0x1;
	case UICC_AC_PIN2: return 0x2;
	case UICC_AC_ADM: return 0x4;
	default: return 0xF;
	}
}

/* TS 51.011 §9.2.1: response to SELECT / STATUS in the GSM class. */
size_t uicc_fs_gsm_response(struct uicc_card *card, const struct uicc_file *f, uint8_t *out, size_t cap)
{
	uint8_t r[22];
	size_t n;

	memset(r, 0, sizeof(r));
	r[4] = (uint8_t)(f->fid >> 8);
	r[5] = (uint8_t)f->fid;
	if (uicc_fs_is_df(f)) {
		r[2] = 0x10;                  /* free memory: a fixed figure */
		r[6] = f->kind == UICC_FILE_MF ? 0x01 : 0x02;
		r[12] = 9;                    /* bytes 14-22 follow */
		r[13] = (uint8_t)(0x01 | (card->pin1.enabled ? 0 : 0x80));   /* clock stop allowed; b8 CHV1 disabled */
		r[14] = (uint8_t)uicc_fs_count(f, true);
		r[15] = (uint8_t)uicc_fs_count(f, false);
		r[16] = 4;                    /* CHV1, UNBLOCK CHV1, CHV2, UNBLOCK CHV2 */
		r[18] = (uint8_t)(0x80 | card->pin1.tries);
		r[19] = (uint8_t)(0x80 | card->pin1.puk_tries);
		r[20] = (uint8_t)(0x80 | card->pin2.tries);
		r[21] = (uint8_t)(0x80 | card->pin2.puk_tries);
		n = 22;
	} else {
		r[2] = (uint8_t)(f->size >> 8);
		r[3] = (uint8_t)f->size;
		r[6] = 0x04;
		r[8] = (uint8_t)(gsm_ac(f->ac_read) << 4 | gsm_ac(f->ac_update));
		r[9] = 0xF0;                  /* INCREASE: never */
		r[10] = 0x44;                 /* REHABILITATE, INVALIDATE: ADM */
		r[11] = 0x01;                 /* not invalidated */
		r[12] = 2;
		r[13] = f->structure == UICC_EF_TRANSPARENT ? 0x00 : f->structure == UICC_EF_LINEAR_FIXED ? 0x01 : 0x03;
		r[14] = f->rec_len;
		n = 15;
	}
	if (n > cap)
		return 0;
	memcpy(out, r, n);
	return n;
}

static void load_tree(struct uicc_card *card, struct uicc_file *f)
{
	for (; f; f = f->next) {
		if (f->kind == UICC_FILE_EF && !f->link && f->size) {
			size_t len;
			uint8_t *buf = g_malloc(f->size);

			if (uicc_card_state_get_bytes(card->state, STATE_GROUP_EF, f->key, buf, f->size, &len) &&
			    len == f->size)
				memcpy(f->data, buf, len);
			g_free(buf);
		}
		load_tree(card, f->child);
	}
}

void uicc_fs_load(struct uicc_card *card, struct uicc_file *mf)
{
	load_tree(card, mf);
}

/* Staged in the state; uicc_card_commit() makes it durable before the answer. */
void uicc_fs_save(struct uicc_card *card, struct uicc_file *ef)
{
	ef = uicc_fs_content(ef);
	uicc_card_state_set_bytes(card->state, STATE_GROUP_EF, ef->key, ef->data, ef->size);
}
