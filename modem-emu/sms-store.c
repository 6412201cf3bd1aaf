/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stored messages: EF_SMS on the SIM, and the modem's NV memory (sms-store.h). */
#include <stdio.h>
#include <string.h>

#include "sim-link.h"
#include "sms-store.h"

#define EF_SMS 0x6F3C

struct me_store {
	struct me_modem *m;
	struct me_sms_entry nv[ME_STORE_NV_SLOTS];
	struct me_sms_entry *uim;
	unsigned uim_n;
	uint16_t uim_rec_len;
	bool uim_loaded;
	unsigned gen;
};

/* TS 31.102 §4.2.25 status byte <-> QmiWmsMessageTagType (MT read, MT not read, MO sent, MO not sent). */
static const uint8_t tag_status[4] = { 0x01, 0x03, 0x05, 0x07 };

static int status_tag(uint8_t status)
{
	for (int i = 0; i < 4; i++)
		if ((status & 0x07) == tag_status[i])
			return i;
	return -1;
}

/*
 * The TPDU's length inside an FF-padded record: the shortest prefix that
 * decodes as the TPDU its MTI says (TS 23.040 §9.2.2.1 / §9.2.2.2).
 */
static size_t tpdu_length(const uint8_t *p, size_t max)
{
	struct simota_sms_deliver *d = g_new0(struct simota_sms_deliver, 1);
	struct simota_sms_submit *s = g_new0(struct simota_sms_submit, 1);
	size_t n, found = 0;

	for (n = 2; n <= max && !found; n++) {
		if ((p[0] & 0x03) == 0x01 ? simota_sms_submit_decode(p, n, 0, s) == SIMOTA_OK :
		    simota_sms_deliver_decode(p, n, d) == SIMOTA_OK)
			found = n;
	}
	g_free(d);
	g_free(s);
	if (!found) {
		/* not a TPDU we know: everything up to the padding */
		found = max;
		while (found && p[found - 1] == 0xFF)
			found--;
	}
	return found;
}

static void entry_from_record(struct me_sms_entry *e, const uint8_t *rec, size_t len)
{
	int tag = len > 2 ? status_tag(rec[0]) : -1;
	size_t sca;

	memset(e, 0, sizeof(*e));
	if (tag < 0 || rec[1] > 11 || (size_t)rec[1] + 2 >= len)
		return;
	sca = 1 + rec[1];
	e->used = true;
	e->tag = (uint8_t)tag;
	e->len = sca + tpdu_length(rec + 1 + sca, len - 1 - sca);
	if (e->len > sizeof(e->raw))
		e->len = sizeof(e->raw);
	memcpy(e->raw, rec + 1, e->len);
}

/* ---- NV and its file ------------------------------------------------------------------------------ */

static void nv_load(struct me_store *st)
{
	char *text = NULL, **lines;
	GError *error = NULL;

	if (!st->m->cfg.nv)
		return;
	if (!g_file_get_contents(st->m->cfg.nv, &text, NULL, &error)) {
		if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			ME_WARN("%s: %s", st->m->name, error->message);
		g_error_free(error);
		return;
	}
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		unsigned index, tag;
		char hex[2 * ME_SMS_RAW_MAX + 2];
		size_t n;

		if (sscanf(*l, "%u %u %353s", &index, &tag, hex) != 3 || index >= ME_STORE_NV_SLOTS || tag > 3 ||
		    strlen(hex) % 2 || (n = strlen(hex) / 2) > ME_SMS_RAW_MAX || n < 2)
			continue;
		for (size_t i = 0; i < n; i++) {
			int hi = g_ascii_xdigit_value(hex[2 * i]), lo = g_ascii_xdigit_value(hex[2 * i + 1]);

			if (hi < 0 || lo < 0)
				goto skip;
			st->nv[index].raw[i] = (uint8_t)(hi << 4 | lo);
		}
		st->nv[index].used = true;
		st->nv[index].tag = (uint8_t)tag;
		st->nv[index].len = n;
skip:;
	}
	g_strfreev(lines);
	g_free(text);
}

static bool nv_save(struct me_store *st)
{
	GString *s;
	GError *error = NULL;
	bool ok;

	if (!st->m->cfg.nv)
		return true;
	s = g_string_new("# modem-emu NV messages: index tag (QmiWmsMessageTagType) raw (SC address + TPDU)\n");
	for (unsigned i = 0; i < ME_STORE_NV_SLOTS; i++) {
		const struct me_sms_entry *e = &st->nv[i];

		if (!e->used)
			continue;
		g_string_append_printf(s, "%u %u ", i, e->tag);
		for (size_t k = 0; k < e->len; k++)
			g_string_append_printf(s, "%02x", e->raw[k]);
		g_string_append_c(s, '\n');
	}
	/* durable before the change is answered (doc/modem-emu.md, "What survives a restart") */
	ok = g_file_set_contents_full(st->m->cfg.nv, s->str, (gssize)s->len,
				      G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0600, &error);
	if (!ok) {
		ME_WARN("%s: %s", st->m->name, error->message);
		g_error_free(error);
	}
	g_string_free(s, TRUE);
	return ok;
}

/* ---- EF_SMS ---------------------------------------------------------------------------------------- */

struct load_ctx {
	struct me_store *st;
	unsigned gen;
	unsigned rec;
	void (*done)(void *user, bool ok);
	void *user;
};

static void load_done(struct load_ctx *c, bool ok)
{
	void (*done)(void *user, bool ok) = c->done;
	void *user = c->user;

	g_free(c);
	done(user, ok);
}

static void load_next(struct load_ctx *c);

static void load_record_cb(const struct me_file_res *res, void *user)
{
	struct load_ctx *c = user;

	if (c->gen != c->st->gen || res->error) {
		load_done(c, false);   /* the card went */
		return;
	}
	if ((res->sw >> 8) == 0x90)
		entry_from_record(&c->st->uim[c->rec - 1], res->data, res->len);
	c->rec++;
	load_next(c);
}

static void load_next(struct load_ctx *c)
{
	struct me_file_req req = {
		.op = ME_FILE_READ_RECORD, .depth = 2, .path = { 0x7FFF, EF_SMS }, .record = (uint8_t)c->rec,
	};

	if (c->rec > c->st->uim_n) {
		c->st->uim_loaded = true;
		ME_DEBUG("%s: EF_SMS read: %u records", c->st->m->name, c->st->uim_n);
		load_done(c, true);
		return;
	}
	me_sim_file(c->st->m->sim, &req, load_record_cb, c);
}

static void load_info_cb(const struct me_file_res *res, void *user)
{
	struct load_ctx *c = user;
	struct me_fcp fcp;

	if (c->gen != c->st->gen || res->error) {
		load_done(c, false);   /* the card went */
		return;
	}
	if ((res->sw >> 8) != 0x90 || !me_fcp_parse(res->fcp, res->fcp_len, &fcp) || !me_fcp_is_record(&fcp) ||
	    fcp.record_len < 3) {
		load_done(c, true);   /* no EF_SMS: no UIM storage */
		return;
	}
	c->st->uim_n = fcp.n_records;   /* at most 255 (one byte in the FCP) */
	c->st->uim_rec_len = fcp.record_len;
	c->st->uim = g_new0(struct me_sms_entry, c->st->uim_n);
	c->rec = 1;
	load_next(c);
}

void me_store_card_ready(struct me_store *st, void (*done)(void *user, bool ok), void *user)
{
	struct me_file_req req = { .op = ME_FILE_INFO, .depth = 2, .path = { 0x7FFF, EF_SMS } };
	struct load_ctx *c;

	me_store_card_gone(st);
	c = g_new0(struct load_ctx, 1);
	c->st = st;
	c->gen = st->gen;
	c->done = done;
	c->user = user;
	me_sim_file(st->m->sim, &req, load_info_cb, c);
}

void me_store_card_gone(struct me_store *st)
{
	st->gen++;
	g_clear_pointer(&st->uim, g_free);
	st->uim_n = 0;
	st->uim_loaded = false;
}

/* ---- access ---------------------------------------------------------------------------------------- */

bool me_store_valid(uint8_t storage)
{
	return storage == ME_STORE_UIM || storage == ME_STORE_NV;
}

unsigned me_store_capacity(const struct me_store *st, uint8_t storage)
{
	if (storage == ME_STORE_NV)
		return ME_STORE_NV_SLOTS;
	return storage == ME_STORE_UIM && st->uim_loaded ? st->uim_n : 0;
}

static struct me_sms_entry *slot(const struct me_store *st, uint8_t storage, uint32_t index)
{
	if (index >= me_store_capacity(st, storage))
		return NULL;
	return storage == ME_STORE_NV ? (struct me_sms_entry *)&st->nv[index] : &st->uim[index];
}

const struct me_sms_entry *me_store_get(const struct me_store *st, uint8_t storage, uint32_t index)
{
	const struct me_sms_entry *e = slot(st, storage, index);

	return e && e->used ? e : NULL;
}

struct write_ctx {
	struct me_store *st;
	unsigned gen;
	uint32_t index;
	struct me_sms_entry entry;   /* what the record becomes */
	me_store_cb cb;
	void *user;
};

static void write_cb(const struct me_file_res *res, void *user)
{
	struct write_ctx *w = user;
	bool ok = !res->error && (res->sw >> 8) == 0x90 && w->gen == w->st->gen;

	if (ok)
		w->st->uim[w->index] = w->entry;
	else
		ME_WARN("%s: EF_SMS record %u not written (SW %04X)", w->st->m->name, w->index + 1,
			res->error ? 0 : res->sw);
	w->cb(ok, w->index, w->user);
	g_free(w);
}

/* Writes entry (used or free) to slot index; cb once it is durable. */
static void store_write(struct me_store *st, uint8_t storage, uint32_t index, const struct me_sms_entry *entry,
			me_store_cb cb, void *user)
{
	uint8_t rec[256];
	struct me_file_req req = {
		.op = ME_FILE_UPDATE_RECORD, .depth = 2, .path = { 0x7FFF, EF_SMS }, .record = (uint8_t)(index + 1),
	};
	struct write_ctx *w;

	if (storage == ME_STORE_NV) {
		struct me_sms_entry old = st->nv[index];

		st->nv[index] = *entry;
		if (!nv_save(st)) {
			st->nv[index] = old;
			cb(false, index, user);
			return;
		}
		cb(true, index, user);
		return;
	}
	/* TS 31.102 §4.2.25: status, then the message, FF padded (a free record: 00 then FF) */
	memset(rec, 0xFF, sizeof(rec));
	rec[0] = entry->used ? tag_status[entry->tag & 3] : 0x00;
	if (entry->used)
		memcpy(rec + 1, entry->raw, MIN(entry->len, (size_t)st->uim_rec_len - 1));
	req.data = rec;
	req.data_len = st->uim_rec_len;
	w = g_new0(struct write_ctx, 1);
	w->st = st;
	w->gen = st->gen;
	w->index = index;
	w->entry = *entry;
	w->cb = cb;
	w->user = user;
	me_sim_file(st->m->sim, &req, write_cb, w);
}

void me_store_add(struct me_store *st, uint8_t storage, uint8_t tag, const uint8_t *raw, size_t len,
		  me_store_cb cb, void *user)
{
	unsigned cap = me_store_capacity(st, storage);
	size_t room = storage == ME_STORE_UIM ? (size_t)st->uim_rec_len - 1 : ME_SMS_RAW_MAX;
	struct me_sms_entry e = { .used = true, .tag = tag & 3 };

	if (len > room || len > sizeof(e.raw)) {
		cb(false, 0, user);
		return;
	}
	for (unsigned i = 0; i < cap; i++) {
		if (slot(st, storage, i)->used)
			continue;
		memcpy(e.raw, raw, len);
		e.len = len;
		store_write(st, storage, i, &e, cb, user);
		return;
	}
	cb(false, 0, user);
}

void me_store_set_tag(struct me_store *st, uint8_t storage, uint32_t index, uint8_t tag, me_store_cb cb,
		      void *user)
{
	const struct me_sms_entry *old = me_store_get(st, storage, index);
	struct me_sms_entry e;

	if (!old) {
		cb(false, index, user);
		return;
	}
	e = *old;
	e.tag = tag & 3;
	store_write(st, storage, index, &e, cb, user);
}

void me_store_delete(struct me_store *st, uint8_t storage, uint32_t index, me_store_cb cb, void *user)
{
	struct me_sms_entry e = { 0 };

	if (!me_store_get(st, storage, index)) {
		cb(false, index, user);
		return;
	}
	store_write(st, storage, index, &e, cb, user);
}

struct me_store *me_store_new(struct me_modem *m)
{
	struct me_store *st = g_new0(struct me_store, 1);

	st->m = m;
	nv_load(st);
	return st;
}

void me_store_free(struct me_store *st)
{
	if (!st)
		return;
	g_free(st->uim);
	g_free(st);
}
