/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bounds-checked byte cursors shared by every codec.  A reader never reads
 * past its end; a writer never writes past its capacity and remembers that
 * it overflowed, so encoders can write straight through and check once.
 */
#ifndef SIMOTA_BYTES_H
#define SIMOTA_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "simota/error.h"

struct simota_reader {
	const uint8_t *p;
	size_t len;
	size_t pos;
};

static inline struct simota_reader simota_reader_init(const uint8_t *p, size_t len)
{
	struct simota_reader r = { p, len, 0 };
	return r;
}

static inline size_t simota_reader_left(const struct simota_reader *r)
{
	return r->len - r->pos;
}

static inline simota_err simota_read_u8(struct simota_reader *r, uint8_t *out)
{
	if (simota_reader_left(r) < 1)
		return SIMOTA_ERR_TRUNCATED;
	*out = r->p[r->pos++];
	return SIMOTA_OK;
}

/* Big-endian unsigned integer of n bytes (n <= 8). */
static inline simota_err simota_read_be(struct simota_reader *r, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n > 8 || simota_reader_left(r) < n)
		return SIMOTA_ERR_TRUNCATED;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | r->p[r->pos++];
	*out = v;
	return SIMOTA_OK;
}

/* Points *out at the next n bytes (no copy). */
static inline simota_err simota_read_span(struct simota_reader *r, size_t n, const uint8_t **out)
{
	if (simota_reader_left(r) < n)
		return SIMOTA_ERR_TRUNCATED;
	*out = r->p + r->pos;
	r->pos += n;
	return SIMOTA_OK;
}

struct simota_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

static inline struct simota_writer simota_writer_init(uint8_t *buf, size_t cap)
{
	struct simota_writer w = { buf, cap, 0, false };
	return w;
}

static inline void simota_write_bytes(struct simota_writer *w, const void *p, size_t n)
{
	if (w->overflow || w->cap - w->len < n) {
		w->overflow = true;
		return;
	}
	if (n)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static inline void simota_write_u8(struct simota_writer *w, uint8_t v)
{
	simota_write_bytes(w, &v, 1);
}

/* Big-endian unsigned integer of n bytes (n <= 8). */
static inline void simota_write_be(struct simota_writer *w, uint64_t v, size_t n)
{
	uint8_t b[8];
	for (size_t i = 0; i < n && i < 8; i++)
		b[n - 1 - i] = (uint8_t)(v >> (8 * i));
	simota_write_bytes(w, b, n < 8 ? n : 8);
}

static inline simota_err simota_writer_status(const struct simota_writer *w)
{
	return w->overflow ? SIMOTA_ERR_NO_SPACE : SIMOTA_OK;
}

#endif
