/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: BER-TLV and COMPREHENSION-TLV decoders, re-encoding what decodes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simota/tlv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reencode_check(const uint8_t *raw, const struct simota_tlv *t, int comprehension)
{
	uint8_t out[SIMOTA_TLV_MAX_LEN + 8];
	struct simota_writer w = simota_writer_init(out, sizeof(out));

	if (comprehension)
		simota_ctlv_write(&w, (uint16_t)t->tag, t->cr, t->value, t->len);
	else
		simota_ber_tlv_write(&w, t->tag, t->value, t->len);
	if (simota_writer_status(&w) != SIMOTA_OK)
		abort();
	/* the encoder writes the minimal form: equal unless the input was not minimal */
	if (w.len == t->raw_len && memcmp(out, raw, w.len) != 0) {
		/* a non-minimal one-byte CTLV tag in three-byte form has the same size */
		if (!(comprehension && raw[0] == 0x7F))
			abort();
	}
	if (w.len > t->raw_len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct simota_reader r = simota_reader_init(data, size);
	struct simota_tlv t;

	while (simota_reader_left(&r)) {
		const uint8_t *raw = r.p + r.pos;
		if (simota_ber_tlv_next(&r, &t) != SIMOTA_OK)
			break;
		reencode_check(raw, &t, 0);
		/* one level down as COMPREHENSION-TLVs, as a CAT parser does */
		struct simota_reader in = simota_reader_init(t.value, t.len);
		struct simota_tlv c;
		while (simota_reader_left(&in)) {
			const uint8_t *craw = in.p + in.pos;
			if (simota_ctlv_next(&in, &c) != SIMOTA_OK)
				break;
			reencode_check(craw, &c, 1);
		}
	}
	return 0;
}
