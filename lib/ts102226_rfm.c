/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Remote APDU structures, compact and expanded formats (ETSI TS 102 226 §5). */
#include "simota/rfm.h"
#include "simota/tlv.h"

/* TS 102 226 §5.1.1, with the status classes of ISO/IEC 7816-4 §5.6 and
 * TS 102 221 §10.2 / TS 51.011 §9.4: normal processing and warnings go on. */
bool simota_rfm_sw_continues(uint16_t sw)
{
	uint8_t sw1 = (uint8_t)(sw >> 8), sw2 = (uint8_t)sw;

	switch (sw1) {
	case 0x90:
		return sw2 == 0x00;
	case 0x91:   /* normal ending, proactive command pending */
	case 0x9F:   /* SIM: response data available */
	case 0x61:   /* response data available */
	case 0x62:   /* warning, non-volatile memory unchanged */
	case 0x63:   /* warning, non-volatile memory changed */
		return true;
	case 0x92:   /* SIM: 92 0X success after X retries; 92 40 is a memory problem */
		return (sw2 & 0xF0) == 0x00;
	default:
		return false;
	}
}

/* TS 102 221 §7.3.1.1 (T=0: P3 is Le for outgoing commands), the commands
 * of TS 102 221 §10.1.2 and TS 51.011 §9.2; GlobalPlatform GET STATUS
 * shares INS F2 with STATUS and is told apart by its P1. */
bool simota_rfm_p3_is_le(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2)
{
	(void)cla;
	(void)p2;
	switch (ins) {
	case 0xB0:   /* READ BINARY */
	case 0xB2:   /* READ RECORD */
	case 0xC0:   /* GET RESPONSE */
	case 0x12:   /* FETCH */
	case 0x84:   /* GET CHALLENGE */
	case 0xCA:   /* GET DATA */
	case 0x70:   /* MANAGE CHANNEL */
		return true;
	case 0xF2:   /* STATUS (P1 00-02), not GET STATUS (P1 80/40/20/10) */
		return (p1 & 0xF0) == 0x00;
	default:
		return false;
	}
}

void simota_rfm_compact_reader_init(struct simota_rfm_compact_reader *rd, const uint8_t *script,
				    size_t len, simota_rfm_p3_is_le_fn classifier)
{
	rd->r = simota_reader_init(script, len);
	rd->p3_is_le = classifier ? classifier : simota_rfm_p3_is_le;
}

bool simota_rfm_compact_done(const struct simota_rfm_compact_reader *rd)
{
	return simota_reader_left(&rd->r) == 0;
}

/* TS 102 226 §5.1.1: one command of the string, a TPDU (TS 102 221 §7.3.1.1). */
simota_err simota_rfm_compact_next(struct simota_rfm_compact_reader *rd, struct simota_rfm_command *cmd)
{
	size_t left = simota_reader_left(&rd->r);
	const uint8_t *h = rd->r.p + rd->r.pos;
	struct simota_apdu *a = &cmd->apdu;

	if (left == 0)
		return SIMOTA_ERR_MISSING_VALUE;
	if (left < 5)
		return SIMOTA_ERR_TRUNCATED;
	*a = (struct simota_apdu){ .cla = h[0], .ins = h[1], .p1 = h[2], .p2 = h[3] };
	cmd->raw = h;
	cmd->raw_len = 5;
	if (rd->p3_is_le(h[0], h[1], h[2], h[3])) {
		a->has_le = true;
		a->le = h[4];
	} else if (h[4]) {
		if (left - 5 < h[4])
			return SIMOTA_ERR_TRUNCATED;
		a->lc = h[4];
		a->data = h + 5;
		cmd->raw_len += h[4];
	}
	rd->r.pos += cmd->raw_len;
	return SIMOTA_OK;
}

/* TS 102 226 §5.1.1: each command as a TPDU; the classifier must agree
 * with the command's case, or the card would split the string elsewhere. */
simota_err simota_rfm_compact_encode(const struct simota_apdu *cmds, size_t n, struct simota_writer *w)
{
	if (n == 0)
		return SIMOTA_ERR_MISSING_VALUE;
	for (size_t i = 0; i < n; i++) {
		const struct simota_apdu *a = &cmds[i];
		const uint8_t hdr[4] = { a->cla, a->ins, a->p1, a->p2 };
		bool le = simota_rfm_p3_is_le(a->cla, a->ins, a->p1, a->p2);

		if (a->lc > SIMOTA_APDU_MAX_LC || (le && a->lc) || (!le && a->has_le && !a->lc))
			return SIMOTA_ERR_BAD_VALUE;
		simota_write_bytes(w, hdr, 4);
		if (a->lc) {
			simota_write_u8(w, (uint8_t)a->lc);
			simota_write_bytes(w, a->data, a->lc);
		} else {
			simota_write_u8(w, a->has_le ? a->le : 0x00);
		}
	}
	return simota_writer_status(w);
}

/* TS 102 226 §5.1.2: count, SW and data of the last executed command. */
bool simota_rfm_compact_record(struct simota_rfm_compact_response *rsp, uint16_t sw, const uint8_t *data,
			       size_t len)
{
	rsp->count++;
	rsp->sw = sw;
	rsp->data = data;
	rsp->data_len = len;
	return simota_rfm_sw_continues(sw);
}

/* TS 102 226 §5.1.2 */
simota_err simota_rfm_compact_response_encode(const struct simota_rfm_compact_response *rsp,
					      struct simota_writer *w)
{
	if (rsp->count > 0xFF)
		return SIMOTA_ERR_BAD_VALUE;
	simota_write_u8(w, (uint8_t)rsp->count);
	simota_write_be(w, rsp->sw, 2);
	simota_write_bytes(w, rsp->data, rsp->data_len);
	return simota_writer_status(w);
}

/* TS 102 226 §5.1.2 */
simota_err simota_rfm_compact_response_decode(const uint8_t *p, size_t len,
					      struct simota_rfm_compact_response *out)
{
	if (len < 3)
		return SIMOTA_ERR_TRUNCATED;
	out->count = p[0];
	out->sw = (uint16_t)(p[1] << 8 | p[2]);
	out->data = p + 3;
	out->data_len = len - 3;
	return SIMOTA_OK;
}

/* ---- Expanded format ---- */

/* TS 101 220 §7.1.2 / ISO/IEC 8825-1 §8.1.5: end-of-contents of an
 * indefinite-length template. */
static bool at_end_of_contents(const struct simota_reader *r)
{
	return simota_reader_left(r) >= 2 && r->p[r->pos] == 0x00 && r->p[r->pos + 1] == 0x00;
}

/* Opens AA len / AE 80 / AB len / AF 80: the reader gets the content (for
 * the indefinite form up to the end of the input, end-of-contents included). */
static simota_err open_template(const uint8_t *p, size_t len, uint32_t definite, uint32_t indefinite,
				struct simota_reader *content, bool *is_indefinite)
{
	struct simota_tlv t;
	simota_err err;

	if (len == 0)
		return SIMOTA_ERR_TRUNCATED;
	if (p[0] == indefinite) {
		if (len < 2)
			return SIMOTA_ERR_TRUNCATED;
		if (p[1] != 0x80)
			return SIMOTA_ERR_BAD_LENGTH;
		*content = simota_reader_init(p + 2, len - 2);
		*is_indefinite = true;
		return SIMOTA_OK;
	}
	if (p[0] != definite)
		return SIMOTA_ERR_BAD_TAG;
	if ((err = simota_ber_tlv_parse_one(p, len, &t)))
		return err;
	*content = simota_reader_init(t.value, t.len);
	*is_indefinite = false;
	return SIMOTA_OK;
}

/* TS 102 226 §5.2.1: command scripting template, definite or indefinite. */
simota_err simota_rfm_expanded_reader_init(struct simota_rfm_expanded_reader *rd, const uint8_t *script,
					   size_t len)
{
	rd->done = false;
	return open_template(script, len, SIMOTA_RFM_TAG_COMMAND_DEFINITE,
			     SIMOTA_RFM_TAG_COMMAND_INDEFINITE, &rd->r, &rd->indefinite);
}

bool simota_rfm_expanded_done(const struct simota_rfm_expanded_reader *rd)
{
	return rd->indefinite ? rd->done : simota_reader_left(&rd->r) == 0;
}

/* TS 102 226 §5.2.1.1 to §5.2.1.4: C-APDU, Immediate Action, Error Action
 * and Script Chaining TLVs; anything else is an unknown tag. */
static bool item_kind(uint32_t tag, enum simota_rfm_item_kind *kind)
{
	switch (tag) {
	case SIMOTA_RFM_TAG_CAPDU:
		*kind = SIMOTA_RFM_ITEM_CAPDU;
		return true;
	case SIMOTA_RFM_TAG_IMMEDIATE_ACTION:
		*kind = SIMOTA_RFM_ITEM_IMMEDIATE_ACTION;
		return true;
	case SIMOTA_RFM_TAG_ERROR_ACTION:
		*kind = SIMOTA_RFM_ITEM_ERROR_ACTION;
		return true;
	case SIMOTA_RFM_TAG_SCRIPT_CHAINING:
		*kind = SIMOTA_RFM_ITEM_SCRIPT_CHAINING;
		return true;
	default:
		return false;
	}
}

/* TS 102 226 §5.2.1 */
simota_err simota_rfm_expanded_next(struct simota_rfm_expanded_reader *rd, struct simota_rfm_item *item)
{
	struct simota_reader save = rd->r;
	struct simota_tlv t;
	simota_err err;

	if (rd->done)
		return SIMOTA_ERR_MISSING_VALUE;
	if (rd->indefinite && at_end_of_contents(&rd->r)) {
		rd->r.pos += 2;
		if (simota_reader_left(&rd->r))
			return SIMOTA_ERR_TRAILING_DATA;
		rd->done = true;
		return SIMOTA_ERR_MISSING_VALUE;
	}
	if (simota_reader_left(&rd->r) == 0) {
		if (!rd->indefinite)
			return SIMOTA_ERR_MISSING_VALUE;
		return SIMOTA_ERR_TRUNCATED;   /* AE without its end-of-contents */
	}
	if ((err = simota_ber_tlv_next(&rd->r, &t)))
		return err;
	if (!item_kind(t.tag, &item->kind)) {
		rd->r = save;
		return SIMOTA_ERR_BAD_TAG;
	}
	item->value = t.value;
	item->len = t.len;
	item->cmd.raw = t.value;
	item->cmd.raw_len = t.len;
	item->apdu_err = SIMOTA_OK;
	if (item->kind == SIMOTA_RFM_ITEM_CAPDU)
		item->apdu_err = simota_apdu_decode(t.value, t.len, &item->cmd.apdu);
	return SIMOTA_OK;
}

/* TS 102 226 §5.2.2, Bad Format TLV. */
enum simota_rfm_bad_format simota_rfm_bad_format_of(const struct simota_rfm_expanded_reader *rd,
						    simota_err err)
{
	if (err == SIMOTA_OK || err == SIMOTA_ERR_MISSING_VALUE)
		return SIMOTA_RFM_BAD_FORMAT_NONE;
	if (err == SIMOTA_ERR_BAD_TAG)
		return SIMOTA_RFM_BAD_FORMAT_UNKNOWN_TAG;
	if (err == SIMOTA_ERR_TRAILING_DATA)     /* bytes after AE's end-of-contents */
		return SIMOTA_RFM_BAD_FORMAT_WRONG_LENGTH;
	if (simota_reader_left(&rd->r) <= 1)
		return SIMOTA_RFM_BAD_FORMAT_NO_LENGTH;
	return SIMOTA_RFM_BAD_FORMAT_WRONG_LENGTH;
}

/* TS 102 226 §5.2.1, §5.2.1.1 */
simota_err simota_rfm_expanded_encode(const struct simota_apdu *cmds, size_t n, bool indefinite,
				      struct simota_writer *w)
{
	size_t mark;

	if (n == 0)
		return SIMOTA_ERR_MISSING_VALUE;
	if (indefinite) {
		simota_write_u8(w, SIMOTA_RFM_TAG_COMMAND_INDEFINITE);
		simota_write_u8(w, 0x80);
	}
	mark = simota_tlv_open(w);
	for (size_t i = 0; i < n; i++) {
		if (cmds[i].lc > SIMOTA_APDU_MAX_LC)
			return SIMOTA_ERR_BAD_VALUE;
		simota_write_u8(w, SIMOTA_RFM_TAG_CAPDU);
		simota_tlv_write_length(w, simota_apdu_encoded_len(&cmds[i]));
		simota_apdu_write(w, &cmds[i]);
	}
	if (indefinite)
		simota_write_be(w, 0x0000, 2);
	else
		simota_ber_tlv_close(w, mark, SIMOTA_RFM_TAG_COMMAND_DEFINITE);
	return simota_writer_status(w);
}

/* TS 102 226 §5.2.2: AB starts with the count TLV, written as a placeholder
 * here and filled in by _end; AF has none. */
void simota_rfm_expanded_response_begin(struct simota_rfm_expanded_response_writer *ew,
					struct simota_writer *w, bool indefinite)
{
	static const uint8_t count_placeholder[3] = { SIMOTA_RFM_TAG_EXECUTED, 0x01, 0x00 };

	ew->w = w;
	ew->indefinite = indefinite;
	if (indefinite) {
		simota_write_u8(w, SIMOTA_RFM_TAG_RESPONSE_INDEFINITE);
		simota_write_u8(w, 0x80);
	}
	ew->mark = simota_tlv_open(w);
	if (!indefinite)
		simota_write_bytes(w, count_placeholder, sizeof(count_placeholder));
}

/* TS 102 226 §5.2.2, R-APDU TLV (TS 102 223 §8.36 value: data SW1 SW2). */
void simota_rfm_expanded_response_add_rapdu(struct simota_rfm_expanded_response_writer *ew,
					    const uint8_t *data, size_t len, uint16_t sw)
{
	simota_write_u8(ew->w, SIMOTA_RFM_TAG_RAPDU);
	simota_tlv_write_length(ew->w, len + 2);
	simota_write_bytes(ew->w, data, len);
	simota_write_be(ew->w, sw, 2);
}

/* TS 102 226 §5.2.2: Immediate Action / Script Chaining response TLVs. */
void simota_rfm_expanded_response_add_code(struct simota_rfm_expanded_response_writer *ew,
					   uint8_t tag, uint8_t code)
{
	simota_ber_tlv_write(ew->w, tag, &code, 1);
}

/* TS 102 226 §5.2.2 */
simota_err simota_rfm_expanded_response_end(struct simota_rfm_expanded_response_writer *ew,
					    unsigned executed, enum simota_rfm_bad_format bad_format)
{
	struct simota_writer *w = ew->w;
	uint8_t code = (uint8_t)bad_format;

	if (executed > 0xFF)
		return SIMOTA_ERR_BAD_VALUE;
	if (bad_format != SIMOTA_RFM_BAD_FORMAT_NONE)
		simota_ber_tlv_write(w, SIMOTA_RFM_TAG_BAD_FORMAT, &code, 1);
	if (ew->indefinite) {
		simota_write_be(w, 0x0000, 2);
		return simota_writer_status(w);
	}
	if (!w->overflow && w->len >= ew->mark + 3)
		w->buf[ew->mark + 2] = (uint8_t)executed;
	simota_ber_tlv_close(w, ew->mark, SIMOTA_RFM_TAG_RESPONSE_DEFINITE);
	return simota_writer_status(w);
}

/* TS 102 226 §5.2.2: one TLV of a response scripting template. */
static simota_err response_item(const struct simota_tlv *t, bool first,
				struct simota_rfm_expanded_response *out)
{
	switch (t->tag) {
	case SIMOTA_RFM_TAG_EXECUTED:
		if (!first)
			return SIMOTA_ERR_BAD_TAG;
		if (t->len < 1 || t->len > 2)
			return SIMOTA_ERR_BAD_LENGTH;
		out->has_count = true;
		out->count = t->len == 1 ? t->value[0] : (unsigned)(t->value[0] << 8 | t->value[1]);
		return SIMOTA_OK;
	case SIMOTA_RFM_TAG_RAPDU:
		if (t->len < 2)
			return SIMOTA_ERR_BAD_LENGTH;
		out->rapdus++;
		return SIMOTA_OK;
	case SIMOTA_RFM_TAG_IMMEDIATE_ACTION:
	case SIMOTA_RFM_TAG_SCRIPT_CHAINING: {
		int *slot = t->tag == SIMOTA_RFM_TAG_IMMEDIATE_ACTION ? &out->immediate_action
								     : &out->script_chaining;
		if (t->len != 1)
			return SIMOTA_ERR_BAD_LENGTH;
		if (*slot >= 0)
			return SIMOTA_ERR_DUPLICATE;
		*slot = t->value[0];
		return SIMOTA_OK;
	}
	case SIMOTA_RFM_TAG_BAD_FORMAT:
		if (t->len != 1)
			return SIMOTA_ERR_BAD_LENGTH;
		if (out->bad_format != SIMOTA_RFM_BAD_FORMAT_NONE)
			return SIMOTA_ERR_DUPLICATE;
		if (t->value[0] < SIMOTA_RFM_BAD_FORMAT_UNKNOWN_TAG ||
		    t->value[0] > SIMOTA_RFM_BAD_FORMAT_NO_LENGTH)
			return SIMOTA_ERR_BAD_VALUE;
		out->bad_format = (enum simota_rfm_bad_format)t->value[0];
		return SIMOTA_OK;
	default:
		return SIMOTA_ERR_BAD_TAG;
	}
}

/* TS 102 226 §5.2.2: response scripting template, definite (AB) or indefinite (AF). */
simota_err simota_rfm_expanded_response_decode(const uint8_t *p, size_t len,
					       struct simota_rfm_expanded_response *out)
{
	struct simota_reader r;
	struct simota_tlv t;
	simota_err err;
	bool first = true;

	*out = (struct simota_rfm_expanded_response){ .immediate_action = -1, .script_chaining = -1 };
	if ((err = open_template(p, len, SIMOTA_RFM_TAG_RESPONSE_DEFINITE,
				 SIMOTA_RFM_TAG_RESPONSE_INDEFINITE, &r, &out->indefinite)))
		return err;
	out->body = r.p;
	for (;;) {
		if (out->indefinite && at_end_of_contents(&r)) {
			out->body_len = r.pos;
			if (simota_reader_left(&r) != 2)
				return SIMOTA_ERR_TRAILING_DATA;
			break;
		}
		if (simota_reader_left(&r) == 0) {
			if (out->indefinite)
				return SIMOTA_ERR_TRUNCATED;
			out->body_len = r.pos;
			break;
		}
		if ((err = simota_ber_tlv_next(&r, &t)) || (err = response_item(&t, first, out)))
			return err;
		first = false;
	}
	if (!out->has_count) {
		if (!out->indefinite)   /* table 5.10: mandatory in AB */
			return SIMOTA_ERR_MISSING_VALUE;
		out->count = (unsigned)out->rapdus;
	}
	return SIMOTA_OK;
}

void simota_rfm_rapdu_iter_init(struct simota_rfm_rapdu_iter *it,
				const struct simota_rfm_expanded_response *rsp)
{
	it->r = simota_reader_init(rsp->body, rsp->body_len);
}

bool simota_rfm_rapdu_next(struct simota_rfm_rapdu_iter *it, struct simota_rfm_rapdu *out)
{
	struct simota_tlv t;

	while (simota_reader_left(&it->r)) {
		if (simota_ber_tlv_next(&it->r, &t))
			return false;
		if (t.tag == SIMOTA_RFM_TAG_RAPDU &&
		    simota_rapdu_split(t.value, t.len, &out->data, &out->len, &out->sw) == SIMOTA_OK)
			return true;
	}
	return false;
}
