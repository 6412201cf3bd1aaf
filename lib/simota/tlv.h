/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * BER-TLV (ETSI TS 101 220 §7.1, ISO/IEC 8825-1 subset) and
 * COMPREHENSION-TLV (ETSI TS 101 220 §7.1.1.1, TS 102 223 §8 and Annex C).
 *
 * Lengths: one byte 00-7F, 81 xx, 82 xxxx (TS 101 220 §7.1.2).  Decoders
 * accept a non-minimal 81/82 form (cards send it) and refuse 80 (indefinite)
 * and 83 and longer with SIMOTA_ERR_BAD_LENGTH.  Encoders always write the
 * minimal form.
 */
#ifndef SIMOTA_TLV_H
#define SIMOTA_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/bytes.h"

#define SIMOTA_TLV_MAX_LEN 0xFFFFu

struct simota_tlv {
	/*
	 * BER-TLV: the tag bytes as a big-endian number (0x80, 0x9F70, 0xD0).
	 * COMPREHENSION-TLV: the tag value without the CR bit, 0x01-0x7E from
	 * the one-byte format or 0x0001-0x7FFF from the three-byte format.
	 */
	uint32_t tag;
	bool cr;               /* COMPREHENSION-TLV only: comprehension required */
	const uint8_t *value;  /* points into the input */
	size_t len;
	size_t raw_len;        /* tag + length + value, as on the wire */
};

/* Length field. */
simota_err simota_tlv_read_length(struct simota_reader *r, size_t *len);
void simota_tlv_write_length(struct simota_writer *w, size_t len);
size_t simota_tlv_length_size(size_t len);

/* BER-TLV: reads the next TLV at the cursor, checking that its value fits. */
simota_err simota_ber_tlv_next(struct simota_reader *r, struct simota_tlv *out);
/* BER-TLV: p..p+len must hold exactly one TLV (else SIMOTA_ERR_TRAILING_DATA). */
simota_err simota_ber_tlv_parse_one(const uint8_t *p, size_t len, struct simota_tlv *out);
/* Finds the first TLV with this tag among the TLVs in p..p+len (not recursive). */
simota_err simota_ber_tlv_find(const uint8_t *p, size_t len, uint32_t tag, struct simota_tlv *out);
void simota_ber_tlv_write(struct simota_writer *w, uint32_t tag, const void *value, size_t len);
size_t simota_ber_tag_size(uint32_t tag);

/* COMPREHENSION-TLV. */
simota_err simota_ctlv_next(struct simota_reader *r, struct simota_tlv *out);
void simota_ctlv_write(struct simota_writer *w, uint16_t tag, bool cr, const void *value, size_t len);

/*
 * Constructed objects whose length is known only after their content is
 * written: mark = simota_tlv_open(w); write the content; then close with the
 * tag.  The content is moved right to make room for the tag and length.
 */
static inline size_t simota_tlv_open(const struct simota_writer *w)
{
	return w->len;
}
void simota_ber_tlv_close(struct simota_writer *w, size_t mark, uint32_t tag);
void simota_ctlv_close(struct simota_writer *w, size_t mark, uint16_t tag, bool cr);

#endif
