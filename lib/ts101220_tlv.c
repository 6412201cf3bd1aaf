/* SPDX-License-Identifier: GPL-2.0-or-later */
/* BER-TLV and COMPREHENSION-TLV codecs (ETSI TS 101 220 §7.1, TS 102 223 Annex C). */
#include "simota/tlv.h"

/* TS 101 220 §7.1.2: length coded on 1 to 3 bytes (00-7F, 81 xx, 82 xxxx). */
simota_err simota_tlv_read_length(struct simota_reader *r, size_t *len)
{
	uint8_t first;
	uint64_t v;
	simota_err err;

	if ((err = simota_read_u8(r, &first)))
		return err;
	if (first < 0x80) {
		*len = first;
		return SIMOTA_OK;
	}
	if (first != 0x81 && first != 0x82)
		return SIMOTA_ERR_BAD_LENGTH;
	if ((err = simota_read_be(r, first & 0x7F, &v)))
		return err;
	*len = (size_t)v;
	return SIMOTA_OK;
}

size_t simota_tlv_length_size(size_t len)
{
	return len < 0x80 ? 1 : len <= 0xFF ? 2 : 3;
}

/* TS 101 220 §7.1.2, minimal form; lengths above 0xFFFF mark the writer overflowed. */
void simota_tlv_write_length(struct simota_writer *w, size_t len)
{
	if (len > SIMOTA_TLV_MAX_LEN) {
		w->overflow = true;
		return;
	}
	if (len >= 0x80)
		simota_write_u8(w, len <= 0xFF ? 0x81 : 0x82);
	simota_write_be(w, len, len <= 0xFF ? 1 : 2);
}

/* ISO/IEC 8825-1 §8.1.2 as profiled by TS 101 220 §7.1.1: tags of 1 to 3 bytes. */
static simota_err read_ber_tag(struct simota_reader *r, uint32_t *tag)
{
	uint8_t b;
	uint32_t t;
	simota_err err;

	if ((err = simota_read_u8(r, &b)))
		return err;
	if (b == 0x00 || b == 0xFF)  /* padding / not a tag (TS 101 220 §7.1.1) */
		return SIMOTA_ERR_BAD_TAG;
	t = b;
	if ((b & 0x1F) != 0x1F) {
		*tag = t;
		return SIMOTA_OK;
	}
	for (int i = 0; i < 2; i++) {
		if ((err = simota_read_u8(r, &b)))
			return err;
		t = (t << 8) | b;
		if (!(b & 0x80)) {
			*tag = t;
			return SIMOTA_OK;
		}
	}
	return SIMOTA_ERR_BAD_TAG; /* more than 3 tag bytes */
}

size_t simota_ber_tag_size(uint32_t tag)
{
	return tag > 0xFFFF ? 3 : tag > 0xFF ? 2 : 1;
}

static simota_err read_value(struct simota_reader *r, struct simota_tlv *out, size_t start)
{
	size_t len;
	simota_err err;

	if ((err = simota_tlv_read_length(r, &len)))
		return err;
	if ((err = simota_read_span(r, len, &out->value)))
		return err;
	out->len = len;
	out->raw_len = r->pos - start;
	return SIMOTA_OK;
}

/* TS 101 220 §7.1: one BER-TLV data object. */
simota_err simota_ber_tlv_next(struct simota_reader *r, struct simota_tlv *out)
{
	size_t start = r->pos;
	struct simota_reader save = *r;
	simota_err err;

	out->cr = false;
	if ((err = read_ber_tag(r, &out->tag)) || (err = read_value(r, out, start))) {
		*r = save;
		return err;
	}
	return SIMOTA_OK;
}

simota_err simota_ber_tlv_parse_one(const uint8_t *p, size_t len, struct simota_tlv *out)
{
	struct simota_reader r = simota_reader_init(p, len);
	simota_err err = simota_ber_tlv_next(&r, out);

	if (err)
		return err;
	return simota_reader_left(&r) ? SIMOTA_ERR_TRAILING_DATA : SIMOTA_OK;
}

simota_err simota_ber_tlv_find(const uint8_t *p, size_t len, uint32_t tag, struct simota_tlv *out)
{
	struct simota_reader r = simota_reader_init(p, len);
	simota_err err;

	while (simota_reader_left(&r)) {
		if ((err = simota_ber_tlv_next(&r, out)))
			return err;
		if (out->tag == tag)
			return SIMOTA_OK;
	}
	return SIMOTA_ERR_MISSING_VALUE;
}

static void write_ber_tag(struct simota_writer *w, uint32_t tag)
{
	simota_write_be(w, tag, simota_ber_tag_size(tag));
}

/* TS 101 220 §7.1. */
void simota_ber_tlv_write(struct simota_writer *w, uint32_t tag, const void *value, size_t len)
{
	write_ber_tag(w, tag);
	simota_tlv_write_length(w, len);
	simota_write_bytes(w, value, len);
}

/*
 * TS 101 220 §7.1.1.1 / TS 102 223 Annex C: COMPREHENSION-TLV tag, one byte
 * (CR in bit 8, value 01-7E) or three bytes (7F, then CR in bit 16 and a
 * 15-bit value).  00, 80 and FF are not tags.
 */
static simota_err read_ctlv_tag(struct simota_reader *r, uint32_t *tag, bool *cr)
{
	uint8_t b;
	uint64_t v;
	simota_err err;

	if ((err = simota_read_u8(r, &b)))
		return err;
	if (b == 0x00 || b == 0x80 || b == 0xFF)
		return SIMOTA_ERR_BAD_TAG;
	if (b != 0x7F) {
		*cr = b & 0x80;
		*tag = b & 0x7F;
		return SIMOTA_OK;
	}
	if ((err = simota_read_be(r, 2, &v)))
		return err;
	*cr = v & 0x8000;
	*tag = v & 0x7FFF;
	if (*tag == 0)
		return SIMOTA_ERR_BAD_TAG;
	return SIMOTA_OK;
}

/* TS 102 223 Annex C: one COMPREHENSION-TLV data object. */
simota_err simota_ctlv_next(struct simota_reader *r, struct simota_tlv *out)
{
	size_t start = r->pos;
	struct simota_reader save = *r;
	simota_err err;

	if ((err = read_ctlv_tag(r, &out->tag, &out->cr)) || (err = read_value(r, out, start))) {
		*r = save;
		return err;
	}
	return SIMOTA_OK;
}

static size_t ctlv_tag_size(uint16_t tag)
{
	return tag >= 0x01 && tag <= 0x7E ? 1 : 3;
}

static void write_ctlv_tag(struct simota_writer *w, uint16_t tag, bool cr)
{
	if (ctlv_tag_size(tag) == 1) {
		simota_write_u8(w, (uint8_t)(tag | (cr ? 0x80 : 0)));
		return;
	}
	simota_write_u8(w, 0x7F);
	simota_write_be(w, (tag & 0x7FFF) | (cr ? 0x8000 : 0), 2);
}

/* TS 102 223 Annex C. */
void simota_ctlv_write(struct simota_writer *w, uint16_t tag, bool cr, const void *value, size_t len)
{
	write_ctlv_tag(w, tag, cr);
	simota_tlv_write_length(w, len);
	simota_write_bytes(w, value, len);
}

/* Moves w->buf[mark..len) right by hdr bytes and returns where the header goes. */
static uint8_t *make_room(struct simota_writer *w, size_t mark, size_t hdr)
{
	size_t content;

	if (w->overflow || mark > w->len || w->cap - w->len < hdr) {
		w->overflow = true;
		return NULL;
	}
	content = w->len - mark;
	memmove(w->buf + mark + hdr, w->buf + mark, content);
	w->len += hdr;
	return w->buf + mark;
}

static void close_with_header(struct simota_writer *w, size_t mark,
			      void (*write_tag)(struct simota_writer *, uint32_t, bool),
			      size_t tag_size, uint32_t tag, bool cr)
{
	size_t content = w->overflow ? 0 : w->len - mark;
	size_t hdr = tag_size + simota_tlv_length_size(content);
	struct simota_writer hw;
	uint8_t *at;

	if (content > SIMOTA_TLV_MAX_LEN) {
		w->overflow = true;
		return;
	}
	at = make_room(w, mark, hdr);
	if (!at)
		return;
	hw = simota_writer_init(at, hdr);
	write_tag(&hw, tag, cr);
	simota_tlv_write_length(&hw, content);
}

static void ber_tag_adapter(struct simota_writer *w, uint32_t tag, bool cr)
{
	(void)cr;
	write_ber_tag(w, tag);
}

static void ctlv_tag_adapter(struct simota_writer *w, uint32_t tag, bool cr)
{
	write_ctlv_tag(w, (uint16_t)tag, cr);
}

void simota_ber_tlv_close(struct simota_writer *w, size_t mark, uint32_t tag)
{
	close_with_header(w, mark, ber_tag_adapter, simota_ber_tag_size(tag), tag, false);
}

void simota_ctlv_close(struct simota_writer *w, size_t mark, uint16_t tag, bool cr)
{
	close_with_header(w, mark, ctlv_tag_adapter, ctlv_tag_size(tag), tag, cr);
}
