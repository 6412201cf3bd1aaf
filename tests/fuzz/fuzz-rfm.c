/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the remote APDU decoders of TS 102 226 §5 and the short
 * APDU decoder of ISO/IEC 7816-4 §5.1, on the same input: a compact command
 * string, a compact response, an expanded command scripting template and
 * an expanded response scripting template.  What decodes is encoded again
 * and decoded again; any difference aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simota/apdu.h"
#include "simota/rfm.h"
#include "simota/tlv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CMDS 64

static uint8_t out[0x10000 + 64];

static void same_apdu(const struct simota_apdu *a, const struct simota_apdu *b)
{
	if (a->cla != b->cla || a->ins != b->ins || a->p1 != b->p1 || a->p2 != b->p2 || a->lc != b->lc ||
	    a->has_le != b->has_le || a->le != b->le || (a->lc && memcmp(a->data, b->data, a->lc)))
		abort();
}

/* ISO/IEC 7816-4 §5.1: a short APDU is written back byte for byte. */
static void fuzz_apdu(const uint8_t *data, size_t size)
{
	struct simota_apdu a;
	struct simota_writer w = simota_writer_init(out, sizeof(out));

	if (simota_apdu_decode(data, size, &a) != SIMOTA_OK)
		return;
	simota_apdu_write(&w, &a);
	if (simota_writer_status(&w) != SIMOTA_OK || w.len != size || memcmp(out, data, size))
		abort();
}

/* TS 102 226 §5.1.1: the string read so far is written back byte for byte. */
static void fuzz_compact(const uint8_t *data, size_t size)
{
	struct simota_rfm_compact_reader rd;
	struct simota_rfm_command c;
	struct simota_apdu cmds[MAX_CMDS];
	struct simota_writer w = simota_writer_init(out, sizeof(out));
	struct simota_rfm_compact_response rsp, again;
	size_t n = 0;

	simota_rfm_compact_reader_init(&rd, data, size, NULL);
	while (n < MAX_CMDS && simota_rfm_compact_next(&rd, &c) == SIMOTA_OK) {
		if (c.raw < data || c.raw + c.raw_len > data + size)
			abort();
		cmds[n++] = c.apdu;
	}
	if (n) {
		if (simota_rfm_compact_encode(cmds, n, &w) != SIMOTA_OK || w.len != rd.r.pos ||
		    memcmp(out, data, w.len))
			abort();
	}

	if (simota_rfm_compact_response_decode(data, size, &rsp) == SIMOTA_OK) {
		w = simota_writer_init(out, sizeof(out));
		if (simota_rfm_compact_response_encode(&rsp, &w) != SIMOTA_OK || w.len != size ||
		    memcmp(out, data, size) || simota_rfm_compact_response_decode(out, w.len, &again) != SIMOTA_OK ||
		    again.count != rsp.count || again.sw != rsp.sw)
			abort();
	}
}

/* TS 102 226 §5.2.1: the C-APDUs of a template, written as a new template,
 * read back the same. */
static void fuzz_expanded_command(const uint8_t *data, size_t size)
{
	struct simota_rfm_expanded_reader rd, rd2;
	struct simota_rfm_item item;
	struct simota_apdu cmds[MAX_CMDS];
	struct simota_writer w = simota_writer_init(out, sizeof(out));
	size_t n = 0, m = 0;
	simota_err err;

	if (simota_rfm_expanded_reader_init(&rd, data, size) != SIMOTA_OK)
		return;
	while ((err = simota_rfm_expanded_next(&rd, &item)) == SIMOTA_OK) {
		if (item.value < data || item.value + item.len > data + size)
			abort();
		if (item.kind == SIMOTA_RFM_ITEM_CAPDU && item.apdu_err == SIMOTA_OK && n < MAX_CMDS)
			cmds[n++] = item.cmd.apdu;
	}
	if (simota_rfm_bad_format_of(&rd, err) == SIMOTA_RFM_BAD_FORMAT_NONE && err != SIMOTA_ERR_MISSING_VALUE)
		abort();
	if (!n)
		return;
	if (simota_rfm_expanded_encode(cmds, n, rd.indefinite, &w) != SIMOTA_OK)
		abort();
	if (simota_rfm_expanded_reader_init(&rd2, out, w.len) != SIMOTA_OK)
		abort();
	while (simota_rfm_expanded_next(&rd2, &item) == SIMOTA_OK) {
		if (m >= n || item.kind != SIMOTA_RFM_ITEM_CAPDU || item.apdu_err != SIMOTA_OK)
			abort();
		same_apdu(&item.cmd.apdu, &cmds[m++]);
	}
	if (m != n || !simota_rfm_expanded_done(&rd2))
		abort();
}

/* TS 102 226 §5.2.2: a decoded response rebuilt by the card's writer decodes the same. */
static void fuzz_expanded_response(const uint8_t *data, size_t size)
{
	struct simota_rfm_expanded_response rsp, again;
	struct simota_rfm_rapdu_iter it, it2;
	struct simota_rfm_rapdu r, r2;
	struct simota_rfm_expanded_response_writer ew;
	struct simota_writer w = simota_writer_init(out, sizeof(out));
	struct simota_reader body;
	struct simota_tlv t;
	size_t n = 0;

	if (simota_rfm_expanded_response_decode(data, size, &rsp) != SIMOTA_OK)
		return;
	simota_rfm_rapdu_iter_init(&it, &rsp);
	while (simota_rfm_rapdu_next(&it, &r))
		n++;
	if (n != rsp.rapdus)
		abort();
	if (rsp.count > 0xFF)
		return;   /* a 2-byte count decodes; the card writes one byte */

	simota_rfm_expanded_response_begin(&ew, &w, rsp.indefinite);
	body = simota_reader_init(rsp.body, rsp.body_len);
	while (simota_reader_left(&body)) {
		if (simota_ber_tlv_next(&body, &t) != SIMOTA_OK)
			abort();
		if (t.tag == SIMOTA_RFM_TAG_RAPDU)
			simota_rfm_expanded_response_add_rapdu(&ew, t.value, t.len - 2,
							       (uint16_t)(t.value[t.len - 2] << 8 | t.value[t.len - 1]));
		else if (t.tag == SIMOTA_RFM_TAG_IMMEDIATE_ACTION || t.tag == SIMOTA_RFM_TAG_SCRIPT_CHAINING)
			simota_rfm_expanded_response_add_code(&ew, (uint8_t)t.tag, t.value[0]);
	}
	if (simota_rfm_expanded_response_end(&ew, rsp.count, rsp.bad_format) != SIMOTA_OK ||
	    simota_rfm_expanded_response_decode(out, w.len, &again) != SIMOTA_OK)
		abort();
	if (again.rapdus != rsp.rapdus || again.bad_format != rsp.bad_format ||
	    again.immediate_action != rsp.immediate_action || again.script_chaining != rsp.script_chaining ||
	    again.indefinite != rsp.indefinite || (!rsp.indefinite && again.count != rsp.count))
		abort();
	simota_rfm_rapdu_iter_init(&it, &rsp);
	simota_rfm_rapdu_iter_init(&it2, &again);
	while (simota_rfm_rapdu_next(&it, &r)) {
		if (!simota_rfm_rapdu_next(&it2, &r2) || r.sw != r2.sw || r.len != r2.len ||
		    (r.len && memcmp(r.data, r2.data, r.len)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_apdu(data, size);
	fuzz_compact(data, size);
	fuzz_expanded_command(data, size);
	fuzz_expanded_response(data, size);
	return 0;
}
