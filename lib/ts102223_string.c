/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CAT strings in a message's pool: Text Strings (TS 102 223 §8.15), alpha
 * identifiers and item texts (TS 102 223 §8.2, §8.9; TS 102 221 Annex A).
 * The text codecs themselves are in lib/ts102223_text.c.
 */
#include <string.h>

#include "ts102223_internal.h"
#include "simota/text.h"

static simota_err pool_put(struct simota_cat_pool *pool, const void *p, size_t n, uint16_t *off)
{
	if (n > (size_t)(SIMOTA_CAT_POOL_SIZE - pool->used))
		return SIMOTA_ERR_NO_SPACE;
	if (n)
		memcpy(pool->buf + pool->used, p, n);
	*off = pool->used;
	pool->used = (uint16_t)(pool->used + n);
	return SIMOTA_OK;
}

/* TS 102 223 §8.15 / §8.2: value bytes → UTF-8 and raw copy in the pool. */
simota_err cat_string_decode(struct simota_cat_msg *m, struct simota_cat_string *s,
			     enum cat_string_kind kind, const uint8_t *v, size_t len)
{
	struct simota_cat_pool *pool = &m->pool;
	size_t out_len = 0, cap = SIMOTA_CAT_POOL_SIZE - pool->used;
	char *out = pool->buf + pool->used;
	simota_err err;

	memset(s, 0, sizeof(*s));
	if (kind == CAT_TEXT_STRING)
		err = simota_text_string_decode(v, len, out, cap, &out_len);
	else
		err = simota_alpha_decode(v, len, out, cap, &out_len);
	if (err)
		return err;
	s->off = pool->used;
	s->len = (uint16_t)out_len;
	pool->used = (uint16_t)(pool->used + out_len + 1);
	if ((err = pool_put(pool, v, len, &s->raw_off)))
		return err;
	s->raw_len = (uint16_t)len;
	s->dcs = kind == CAT_TEXT_STRING && len ? v[0] : -1;
	s->present = true;
	return SIMOTA_OK;
}

/* TS 102 223 §8.15 / TS 102 221 Annex A: text coded by lib/ts102223_text.c straight into w. */
static simota_err encode_fresh(struct simota_writer *w, const char *utf8, size_t len,
			       int dcs, enum cat_string_kind kind)
{
	uint8_t *at = w->buf + w->len;
	size_t cap = w->overflow ? 0 : w->cap - w->len, n = 0;
	simota_err err;

	if (kind == CAT_ALPHA) {
		if (len == 0)
			return SIMOTA_OK;
		err = simota_alpha_encode(utf8, len, at, cap, &n);
	} else {
		if (len == 0 && dcs < 0)
			return SIMOTA_OK;	/* null Text String */
		err = simota_text_string_encode(utf8, len, dcs, at, cap, &n);
		if (err == SIMOTA_ERR_BAD_VALUE && dcs >= 0 && dcs <= 0xFF &&
		    simota_dcs_decode((uint8_t)dcs).charset == SIMOTA_CHARSET_RESERVED) {
			/* TS 23.038 §4: reserved codings are read as GSM 7 bit packed */
			err = simota_text_string_encode(utf8, len, 0x00, at, cap, &n);
			if (!err)
				at[0] = (uint8_t)dcs;
		}
	}
	if (err == SIMOTA_ERR_NO_SPACE) {
		w->overflow = true;
		return SIMOTA_OK;
	}
	if (err)
		return err;
	w->len += n;
	return SIMOTA_OK;
}

/* TS 102 223 §8.15 / §8.2: the value bytes of a string object. */
simota_err cat_string_encode(struct simota_writer *w, const struct simota_cat_msg *m,
			     const struct simota_cat_string *s, enum cat_string_kind kind)
{
	const struct simota_cat_pool *pool = &m->pool;

	if ((size_t)s->off + s->len >= SIMOTA_CAT_POOL_SIZE ||
	    (size_t)s->raw_off + s->raw_len > SIMOTA_CAT_POOL_SIZE)
		return SIMOTA_ERR_BAD_VALUE;
	/* the form as received, as long as the text was not set anew */
	if (s->raw_len) {
		simota_write_bytes(w, pool->buf + s->raw_off, s->raw_len);
		return SIMOTA_OK;
	}
	return encode_fresh(w, pool->buf + s->off, s->len, s->dcs, kind);
}

const char *simota_cat_string_get(const struct simota_cat_msg *m, const struct simota_cat_string *s)
{
	if (!s->present || (size_t)s->off + s->len >= SIMOTA_CAT_POOL_SIZE)
		return NULL;
	return m->pool.buf + s->off;
}

simota_err simota_cat_string_set(struct simota_cat_msg *m, struct simota_cat_string *s,
				 const char *utf8, int dcs)
{
	size_t len;
	uint16_t off;
	simota_err err;

	memset(s, 0, sizeof(*s));
	s->dcs = -1;
	if (!utf8)
		return SIMOTA_OK;
	if (dcs < -1 || dcs > 0xFF)
		return SIMOTA_ERR_BAD_VALUE;
	len = strlen(utf8);
	if (len > 0xFFFF || (err = pool_put(&m->pool, utf8, len + 1, &off)))
		return SIMOTA_ERR_NO_SPACE;
	s->off = off;
	s->len = (uint16_t)len;
	s->dcs = (int16_t)dcs;
	s->present = true;
	return SIMOTA_OK;
}
