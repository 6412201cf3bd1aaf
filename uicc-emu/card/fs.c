/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card's file tree (TS 102 221 §8): MF, DFs, ADFs and EFs in a skeleton
 * shared by the cards of the process, each card's EF contents made at first
 * use, the FCP template returned by SELECT / STATUS (§11.1.1.3), the GSM
 * SELECT response (TS 51.011 §9.2.1) and the persistence of EF contents and
 * life cycles in the card state.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card/card-internal.h"
#include "simota/ts102221.h"

#define STATE_GROUP_EF "ef"
#define STATE_GROUP_LCS "deactivated"

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

static struct uicc_file *new_file(struct uicc_fs *fs, struct uicc_file *parent, uint16_t fid,
				  enum uicc_file_kind kind)
{
	struct uicc_file *f = g_new0(struct uicc_file, 1);
	struct uicc_file **tail;

	f->fid = fid;
	f->kind = kind;
	f->parent = parent;
	f->index = (uint16_t)fs->n_files;
	fs->files = g_renew(struct uicc_file *, fs->files, fs->n_files + 1);
	fs->files[fs->n_files++] = f;
	if (parent) {
		for (tail = &parent->child; *tail; tail = &(*tail)->next)
			;
		*tail = f;
	} else {
		fs->mf = f;
	}
	make_key(f);
	return f;
}

struct uicc_file *uicc_fs_new_df(struct uicc_fs *fs, struct uicc_file *parent, uint16_t fid,
				 enum uicc_file_kind kind, uint8_t arr)
{
	struct uicc_file *f = new_file(fs, parent, fid, kind);

	f->arr = arr;
	return f;
}

struct uicc_file *uicc_fs_new_ef(struct uicc_fs *fs, struct uicc_file *parent, uint16_t fid,
				 enum uicc_ef_structure st, uint16_t size, uint8_t rec_len, uint8_t n_rec,
				 uint8_t arr, uint8_t sfi, const void *desc)
{
	struct uicc_file *f = new_file(fs, parent, fid, UICC_FILE_EF);

	f->structure = st;
	f->size = st == UICC_EF_TRANSPARENT ? size : (uint16_t)(rec_len * n_rec);
	f->rec_len = rec_len;
	f->n_rec = n_rec;
	f->arr = arr;
	f->sfi = sfi;
	f->desc = desc;
	return f;
}

/* An EF that shows another EF's content (same structure, access rule and life cycle). */
struct uicc_file *uicc_fs_alias(struct uicc_fs *fs, struct uicc_file *parent, uint16_t fid,
				struct uicc_file *target)
{
	struct uicc_file *f = new_file(fs, parent, fid, UICC_FILE_EF);

	f->structure = target->structure;
	f->size = target->size;
	f->rec_len = target->rec_len;
	f->n_rec = target->n_rec;
	f->arr = target->arr;
	f->link = target;
	return f;
}

struct uicc_file *uicc_fs_find_key(struct uicc_fs *fs, const char *key)
{
	for (unsigned i = 0; i < fs->n_files; i++)
		if (strcmp(fs->files[i]->key, key) == 0)
			return fs->files[i];
	return NULL;
}

/* ---- skeletons shared by the cards of the process (one thread, as the card) ---- */

static GPtrArray *skeletons;               /* struct uicc_fs * in use */

struct uicc_fs *uicc_fs_ref(const struct simota_card_config *cfg)
{
	struct uicc_fs *fs;

	if (!skeletons)
		skeletons = g_ptr_array_new();
	for (guint i = 0; i < skeletons->len; i++) {
		fs = g_ptr_array_index(skeletons, i);
		if (uicc_fs_fits(fs, cfg)) {
			fs->users++;
			return fs;
		}
	}
	fs = uicc_fs_build_default(cfg);
	fs->users = 1;
	g_ptr_array_add(skeletons, fs);
	return fs;
}

void uicc_fs_unref(struct uicc_fs *fs)
{
	if (!fs || --fs->users)
		return;
	g_ptr_array_remove_fast(skeletons, fs);
	if (skeletons->len == 0) {
		g_ptr_array_free(skeletons, TRUE);
		skeletons = NULL;
	}
	for (unsigned i = 0; i < fs->n_files; i++)
		g_free(fs->files[i]);
	g_free(fs->files);
	g_free(fs);
}

/* ---- the card's contents ---- */

struct uicc_file *uicc_fs_content(struct uicc_file *ef)
{
	return ef->link ? ef->link : ef;
}

/* The default contents, then what the state file holds for the EF (it wins when it has the right size). */
uint8_t *uicc_fs_data(struct uicc_card *card, struct uicc_file *f)
{
	uint8_t **slot;
	size_t len;

	f = uicc_fs_content(f);
	slot = &card->ef_data[f->index];
	if (!*slot) {
		uint8_t *stored = g_malloc(f->size ? f->size : 1);

		*slot = g_malloc(f->size ? f->size : 1);
		/* a state of another file layout (another size) leaves the defaults */
		if (f->size && uicc_card_state_get_bytes(card->state, STATE_GROUP_EF, f->key, stored, f->size, &len) &&
		    len == f->size)
			memcpy(*slot, stored, len);
		else
			uicc_fs_default_content(card->cfg, f, *slot);
		g_free(stored);
	}
	return *slot;
}

uint8_t *uicc_fs_record(struct uicc_card *card, struct uicc_file *ef, unsigned rec)
{
	ef = uicc_fs_content(ef);
	if (rec < 1 || rec > ef->n_rec)
		return NULL;
	return uicc_fs_data(card, ef) + (size_t)(rec - 1) * ef->rec_len;
}

bool uicc_fs_deactivated(const struct uicc_card *card, struct uicc_file *f)
{
	return card->deactivated[uicc_fs_content(f)->index];
}

/* TS 102 223 §8.18: the path from the MF; ADF.USIM is 7FFF there (TS 102 221 §8.4.2, the current ADF). */
size_t uicc_fs_path(const struct uicc_file *f, uint8_t *out, size_t cap)
{
	const struct uicc_file *up;
	size_t depth = 0, n;

	for (up = f; up; up = up->parent)
		depth++;
	n = depth * 2;
	if (n > cap)
		return 0;
	for (up = f; up; up = up->parent) {
		uint16_t fid = up->kind == UICC_FILE_ADF ? 0x7FFF : up->fid;

		depth--;
		out[depth * 2] = (uint8_t)(fid >> 8);
		out[depth * 2 + 1] = (uint8_t)fid;
	}
	return n;
}

/* TS 102 221 §11.1.14, §11.1.15: [deactivated] <path>=1 while a file is deactivated (staged). */
void uicc_fs_set_deactivated(struct uicc_card *card, struct uicc_file *f, bool deactivated)
{
	f = uicc_fs_content(f);
	uicc_context_note_change(card, f);
	card->deactivated[f->index] = deactivated;
	if (deactivated)
		uicc_card_state_set_u64(card->state, STATE_GROUP_LCS, f->key, 1);
	else
		uicc_card_state_remove(card->state, STATE_GROUP_LCS, f->key);
}

void uicc_fs_card_init(struct uicc_card *card)
{
	card->ef_data = g_new0(uint8_t *, card->fs->n_files);
	card->deactivated = g_new0(uint8_t, card->fs->n_files);
	for (unsigned i = 0; i < card->fs->n_files; i++) {
		struct uicc_file *f = card->fs->files[i];
		uint64_t v;

		if (!f->link && uicc_card_state_get_u64(card->state, STATE_GROUP_LCS, f->key, &v))
			card->deactivated[i] = v != 0;
	}
}

void uicc_fs_card_free(struct uicc_card *card)
{
	if (!card->fs)
		return;
	for (unsigned i = 0; card->ef_data && i < card->fs->n_files; i++)
		g_free(card->ef_data[i]);
	g_free(card->ef_data);
	g_free(card->deactivated);
	card->ef_data = NULL;
	card->deactivated = NULL;
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
		.lcsi = uicc_fs_deactivated(card, (struct uicc_file *)f) ? SIMOTA_LCSI_DEACTIVATED :
			SIMOTA_LCSI_ACTIVATED,
		.has_arr = true,
	};
	const struct uicc_file *arr_owner = uicc_fs_is_df(f) ? f : f->parent;
	size_t len;

	if (f->kind == UICC_FILE_ADF && f->aid) {
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
	fcp.arr_record = f->arr;
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

/* TS 51.011 §9.3: ALW 0, CHV1 1, CHV2 2, ADM 4, NEV F. */
static uint8_t gsm_ac(const struct uicc_access_rule *rule, enum uicc_am am)
{
	switch (rule ? rule->ac[am] : UICC_AC_NEV) {
	case UICC_AC_ALW: return 0x0;
	case UICC_AC_PIN1: return 0x1;
	case UICC_AC_PIN2: return 0x2;
	case UICC_AC_ADM1: return 0x4;
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
		/* file characteristics: b1 clock stop allowed, b5-b7 5 V, 3 V and 1.8 V (the ATR's classes
		 * A-C), b8 CHV1 disabled */
		r[13] = (uint8_t)(0x71 | (card->pin1.enabled ? 0 : 0x80));
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
		const struct uicc_access_rule *rule = uicc_access_rule(f->arr);

		r[6] = 0x04;
		r[8] = (uint8_t)(gsm_ac(rule, UICC_AM_READ) << 4 | gsm_ac(rule, UICC_AM_UPDATE));
		r[9] = (uint8_t)(gsm_ac(rule, UICC_AM_INCREASE) << 4);               /* b4-b1 RFU */
		r[10] = (uint8_t)(gsm_ac(rule, UICC_AM_ACTIVATE) << 4 | gsm_ac(rule, UICC_AM_DEACTIVATE));
		r[11] = uicc_fs_deactivated(card, (struct uicc_file *)f) ? 0x00 : 0x01;   /* b1: not invalidated */
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

/* Staged in the state; uicc_card_commit() makes it durable before the answer. */
void uicc_fs_save(struct uicc_card *card, struct uicc_file *ef)
{
	ef = uicc_fs_content(ef);
	uicc_context_note_change(card, ef);
	uicc_card_state_set_bytes(card->state, STATE_GROUP_EF, ef->key, uicc_fs_data(card, ef), ef->size);
}
