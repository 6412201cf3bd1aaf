/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Deferred-response application messages (doc/protocol.md; section numbers
 * in the comments are that document's).  BER-TLV framing through tlv.h.
 */
#include "simota/deferred.h"

#include <glib.h>
#include <string.h>

#include "simota/bytes.h"
#include "simota/tlv.h"

#define TAG_BIT(tag) (1u << ((tag) - 0x80))
#define TXID_LEN 4

/* protocol.md §4: the elements each message may carry. */
static unsigned allowed_tags(enum simota_deferred_type type)
{
	switch (type) {
	case SIMOTA_DEFERRED_C1:
		return TAG_BIT(0x80) | TAG_BIT(0x81) | TAG_BIT(0x82) | TAG_BIT(0x83) |
		       TAG_BIT(0x84) | TAG_BIT(0x85) | TAG_BIT(0x8C) | TAG_BIT(0x8D) |
		       TAG_BIT(0x8F);
	case SIMOTA_DEFERRED_IR:
		return TAG_BIT(0x80) | TAG_BIT(0x86) | TAG_BIT(0x8F);
	case SIMOTA_DEFERRED_R2S:
		return TAG_BIT(0x80) | TAG_BIT(0x81) | TAG_BIT(0x86) | TAG_BIT(0x87) |
		       TAG_BIT(0x88) | TAG_BIT(0x89) | TAG_BIT(0x8A) | TAG_BIT(0x8B) |
		       TAG_BIT(0x8F);
	case SIMOTA_DEFERRED_C2:
	case SIMOTA_DEFERRED_RELEASE:
	case SIMOTA_DEFERRED_MG:
		return TAG_BIT(0x80) | TAG_BIT(0x8F);
	}
	return 0;
}

static bool is_type(uint32_t tag)
{
	return tag == SIMOTA_DEFERRED_C1 || tag == SIMOTA_DEFERRED_C2 ||
	       tag == SIMOTA_DEFERRED_RELEASE || tag == SIMOTA_DEFERRED_IR ||
	       tag == SIMOTA_DEFERRED_MG || tag == SIMOTA_DEFERRED_R2S;
}

static bool is_known_action(unsigned a)
{
	return a >= SIMOTA_DEFERRED_DISPLAY_TEXT && a <= SIMOTA_DEFERRED_YES_NO;
}

static bool utf8_ok(const uint8_t *p, size_t len)
{
	return len == 0 || g_utf8_validate_len((const char *)p, len, NULL);
}

void simota_deferred_init(struct simota_deferred_msg *m, enum simota_deferred_type type,
			  uint32_t txid)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->txid = txid;
	m->version = SIMOTA_DEFERRED_VERSION;
	m->result.yes = -1;
}

/* ---- checks shared by the decoder and the encoder ------------------------ */

/* protocol.md §3.3. */
static simota_err check_rq(const struct simota_deferred_rq *rq)
{
	switch (rq->form) {
	case SIMOTA_DEFERRED_RQ_FIXED:
		return rq->seconds && !rq->event ? SIMOTA_OK : SIMOTA_ERR_BAD_VALUE;
	case SIMOTA_DEFERRED_RQ_INDEFINITE:
		return !rq->seconds && !rq->event ? SIMOTA_OK : SIMOTA_ERR_BAD_VALUE;
	case SIMOTA_DEFERRED_RQ_UNTIL_EVENT:
		return rq->event == SIMOTA_DEFERRED_EVENT_MG_SENT ||
		       rq->event == SIMOTA_DEFERRED_EVENT_NEXT_SESSION ? SIMOTA_OK : SIMOTA_ERR_BAD_VALUE;
	case SIMOTA_DEFERRED_RQ_NONE:
	default:
		return SIMOTA_ERR_BAD_VALUE;
	}
}

/* protocol.md §3.2. */
static simota_err check_input(const struct simota_deferred_input *in)
{
	if (in->max_len == 0 || in->min_len > in->max_len)
		return SIMOTA_ERR_BAD_VALUE;
	if (in->flags & ~(SIMOTA_DEFERRED_INPUT_DIGITS | SIMOTA_DEFERRED_INPUT_HIDDEN))
		return SIMOTA_ERR_BAD_VALUE;
	return SIMOTA_OK;
}

/* protocol.md §4.1. */
static simota_err check_c1(const struct simota_deferred_msg *m)
{
	bool seen_id[256] = { false };
	simota_err err;

	if (m->action == SIMOTA_DEFERRED_ACTION_NONE)
		return SIMOTA_ERR_MISSING_VALUE;
	if (!is_known_action(m->action))
		return SIMOTA_ERR_UNSUPPORTED;
	if (m->action == SIMOTA_DEFERRED_SELECT_ITEM) {
		if (m->n_items == 0)
			return SIMOTA_ERR_MISSING_VALUE;
	} else {
		if (!m->text)
			return SIMOTA_ERR_MISSING_VALUE;
		if (m->text_len == 0 || m->n_items)
			return SIMOTA_ERR_BAD_VALUE;
	}
	if (m->text && !utf8_ok((const uint8_t *)m->text, m->text_len))
		return SIMOTA_ERR_BAD_ENCODING;
	if (m->n_items > SIMOTA_DEFERRED_MAX_ITEMS)
		return SIMOTA_ERR_BAD_VALUE;
	for (size_t i = 0; i < m->n_items; i++) {
		const struct simota_deferred_item *it = &m->items[i];

		if (it->id == 0 || it->text_len == 0 || !it->text)
			return SIMOTA_ERR_BAD_VALUE;
		if (!utf8_ok((const uint8_t *)it->text, it->text_len))
			return SIMOTA_ERR_BAD_ENCODING;
		if (seen_id[it->id])
			return SIMOTA_ERR_DUPLICATE;
		seen_id[it->id] = true;
	}
	/* 8D: one of the items, so select item only (§3.2) */
	if (m->default_item && !seen_id[m->default_item])
		return SIMOTA_ERR_BAD_VALUE;
	if (m->has_input) {
		if (m->action != SIMOTA_DEFERRED_GET_INPUT)
			return SIMOTA_ERR_BAD_VALUE;
		if ((err = check_input(&m->input)))
			return err;
	}
	if (m->wanted.form != SIMOTA_DEFERRED_RQ_NONE) {
		if ((err = check_rq(&m->wanted)))
			return err;
		/* an MG needs somewhere to go */
		if (m->wanted.form == SIMOTA_DEFERRED_RQ_UNTIL_EVENT &&
		    m->wanted.event == SIMOTA_DEFERRED_EVENT_MG_SENT && !m->has_sv1_address)
			return SIMOTA_ERR_BAD_VALUE;
	}
	return SIMOTA_OK;
}

/* protocol.md §3.5: which answer element a DONE result carries. */
static simota_err check_result(enum simota_deferred_action action,
			       const struct simota_deferred_result *r)
{
	bool performed = r->general < 0x10;	/* TS 102 223 §8.12: '0X' */
	bool want_text = performed && action == SIMOTA_DEFERRED_GET_INPUT;
	bool want_item = performed && action == SIMOTA_DEFERRED_SELECT_ITEM;
	bool want_yes_no = performed && action == SIMOTA_DEFERRED_YES_NO;

	if ((r->text && !want_text) || (r->item_id && !want_item) ||
	    (r->yes != -1 && !want_yes_no))
		return SIMOTA_ERR_BAD_VALUE;
	if ((want_text && !r->text) || (want_item && !r->item_id) ||
	    (want_yes_no && r->yes == -1))
		return SIMOTA_ERR_MISSING_VALUE;
	if (r->yes != -1 && r->yes != 0 && r->yes != 1)
		return SIMOTA_ERR_BAD_VALUE;
	if (r->text && !utf8_ok((const uint8_t *)r->text, r->text_len))
		return SIMOTA_ERR_BAD_ENCODING;
	if (r->additional_len && !r->additional)
		return SIMOTA_ERR_BAD_VALUE;
	return SIMOTA_OK;
}

/* protocol.md §4.6. */
static simota_err check_r2s(const struct simota_deferred_msg *m)
{
	const struct simota_deferred_result *r = &m->result;
	simota_err err;

	if (m->state > SIMOTA_DEFERRED_RELEASED)
		return SIMOTA_ERR_BAD_VALUE;
	if (m->state == SIMOTA_DEFERRED_DONE) {
		if (m->action == SIMOTA_DEFERRED_ACTION_NONE || !m->has_result)
			return SIMOTA_ERR_MISSING_VALUE;
		if (!is_known_action(m->action))
			return SIMOTA_ERR_UNSUPPORTED;
		if ((err = check_result(m->action, r)))
			return err;
	} else if (m->action || m->has_result || r->text || r->item_id || r->yes != -1) {
		return SIMOTA_ERR_BAD_VALUE;
	}
	if (m->rq.form != SIMOTA_DEFERRED_RQ_NONE) {
		if (m->state == SIMOTA_DEFERRED_FULL) {
			if (m->rq.form != SIMOTA_DEFERRED_RQ_FIXED)
				return SIMOTA_ERR_BAD_VALUE;
		} else if (m->state != SIMOTA_DEFERRED_PENDING) {
			return SIMOTA_ERR_BAD_VALUE;
		}
		if ((err = check_rq(&m->rq)))
			return err;
	}
	return SIMOTA_OK;
}

static bool versioned_answer(const struct simota_deferred_msg *m)
{
	return m->type == SIMOTA_DEFERRED_R2S && m->state == SIMOTA_DEFERRED_NOT_SUPPORTED;
}

static simota_err check_msg(const struct simota_deferred_msg *m)
{
	if (!is_type(m->type))
		return SIMOTA_ERR_BAD_TAG;
	if (m->version == 0)
		return SIMOTA_ERR_BAD_VALUE;
	if (m->version != SIMOTA_DEFERRED_VERSION && !versioned_answer(m))
		return SIMOTA_ERR_UNSUPPORTED;
	/* 00000000 only where the card could not read the txid (§3.1) */
	if (m->txid == SIMOTA_DEFERRED_TXID_NONE &&
	    !(m->type == SIMOTA_DEFERRED_R2S && m->state == SIMOTA_DEFERRED_BAD_REQUEST))
		return SIMOTA_ERR_BAD_VALUE;
	switch (m->type) {
	case SIMOTA_DEFERRED_C1:
		return check_c1(m);
	case SIMOTA_DEFERRED_IR:
		if (m->rq.form == SIMOTA_DEFERRED_RQ_NONE)
			return SIMOTA_ERR_MISSING_VALUE;
		return check_rq(&m->rq);
	case SIMOTA_DEFERRED_R2S:
		return check_r2s(m);
	default:
		return SIMOTA_OK;
	}
}

/* ---- decoding ------------------------------------------------------------ */

/* protocol.md §3.3: form, then seconds (4) or event [+ bound (4)]. */
static simota_err parse_rq(const struct simota_tlv *t, struct simota_deferred_rq *rq)
{
	struct simota_reader r = simota_reader_init(t->value, t->len);
	uint8_t form, event = 0;
	uint64_t v = 0;

	memset(rq, 0, sizeof(*rq));
	if (simota_read_u8(&r, &form))
		return SIMOTA_ERR_BAD_LENGTH;
	switch (form) {
	case SIMOTA_DEFERRED_RQ_FIXED:
		if (t->len != 5)
			return SIMOTA_ERR_BAD_LENGTH;
		simota_read_be(&r, 4, &v);
		rq->seconds = (uint32_t)v;
		if (!rq->seconds)
			return SIMOTA_ERR_BAD_VALUE;
		break;
	case SIMOTA_DEFERRED_RQ_INDEFINITE:
		if (t->len != 1)
			return SIMOTA_ERR_BAD_LENGTH;
		break;
	case SIMOTA_DEFERRED_RQ_UNTIL_EVENT:
		if (t->len != 2 && t->len != 6)
			return SIMOTA_ERR_BAD_LENGTH;
		simota_read_u8(&r, &event);
		rq->event = (enum simota_deferred_event)event;
		if (t->len == 6) {
			simota_read_be(&r, 4, &v);
			rq->seconds = (uint32_t)v;
			if (!rq->seconds)	/* "no bound" is written short */
				return SIMOTA_ERR_BAD_VALUE;
		}
		break;
	default:
		return SIMOTA_ERR_BAD_VALUE;
	}
	rq->form = (enum simota_deferred_rq_form)form;
	return check_rq(rq);
}

static simota_err parse_u8(const struct simota_tlv *t, uint8_t *out)
{
	if (t->len != 1)
		return SIMOTA_ERR_BAD_LENGTH;
	*out = t->value[0];
	return SIMOTA_OK;
}

/* One element of a known message into m (protocol.md §3). */
static simota_err parse_element(const struct simota_tlv *t, struct simota_deferred_msg *m)
{
	struct simota_deferred_result *r = &m->result;
	uint8_t b;
	size_t used;
	simota_err err;

	switch (t->tag) {
	case SIMOTA_DEFERRED_TAG_TXID:
		if (t->len != TXID_LEN)
			return SIMOTA_ERR_BAD_LENGTH;
		m->txid = (uint32_t)t->value[0] << 24 | (uint32_t)t->value[1] << 16 |
			  (uint32_t)t->value[2] << 8 | t->value[3];
		return SIMOTA_OK;
	case SIMOTA_DEFERRED_TAG_ACTION:
		if ((err = parse_u8(t, &b)))
			return err;
		if (b == 0)
			return SIMOTA_ERR_BAD_VALUE;
		m->action = (enum simota_deferred_action)b;
		return SIMOTA_OK;
	case SIMOTA_DEFERRED_TAG_TEXT:
		if (!utf8_ok(t->value, t->len))
			return SIMOTA_ERR_BAD_ENCODING;
		m->text = (const char *)t->value;
		m->text_len = t->len;
		return SIMOTA_OK;
	case SIMOTA_DEFERRED_TAG_ITEM:
		if (t->len < 2)
			return t->len ? SIMOTA_ERR_BAD_VALUE : SIMOTA_ERR_BAD_LENGTH;
		if (m->n_items == SIMOTA_DEFERRED_MAX_ITEMS)
			return SIMOTA_ERR_BAD_VALUE;
		if (!utf8_ok(t->value + 1, t->len - 1))
			return SIMOTA_ERR_BAD_ENCODING;
		m->items[m->n_items].id = t->value[0];
		m->items[m->n_items].text = (const char *)t->value + 1;
		m->items[m->n_items].text_len = t->len - 1;
		m->n_items++;
		return SIMOTA_OK;
	case SIMOTA_DEFERRED_TAG_SV1_ADDRESS:
		/* exactly one TS 23.040 §9.1.2.5 address */
		if (simota_sms_address_decode(t->value, t->len, &m->sv1_address, &used) ||
		    used != t->len)
			return SIMOTA_ERR_BAD_VALUE;
		m->has_sv1_address = true;
		return SIMOTA_OK;
	case SIMOTA_DEFERRED_TAG_WANTED:
		return parse_rq(t, &m->wanted);
	case SIMOTA_DEFERRED_TAG_RQ:
		return parse_rq(t, &m->rq);
	case SIMOTA_DEFERRED_TAG_STATE:
		if ((err = parse_u8(t, &b)))
			return err;
		if (b > SIMOTA_DEFERRED_RELEASED)
			return SIMOTA_ERR_BAD_VALUE;
		m->state = (enum simota_deferred_state)b;
		return SIMOTA_OK;
	case SIMOTA_DEFERRED_TAG_RESULT:
		if (t->len < 1)
			return SIMOTA_ERR_BAD_LENGTH;
		m->has_result = true;
		r->general = t->value[0];
		r->additional = t->len > 1 ? t->value + 1 : NULL;
		r->additional_len = t->len - 1;
		return SIMOTA_OK;
	case SIMOTA_DEFERRED_TAG_ANSWER_TEXT:
		if (!utf8_ok(t->value, t->len))
			return SIMOTA_ERR_BAD_ENCODING;
		r->text = (const char *)t->value;
		r->text_len = t->len;
		return SIMOTA_OK;
	case SIMOTA_DEFERRED_TAG_ANSWER_ITEM:
		if ((err = parse_u8(t, &r->item_id)))
			return err;
		return r->item_id ? SIMOTA_OK : SIMOTA_ERR_BAD_VALUE;
	case SIMOTA_DEFERRED_TAG_ANSWER_YES_NO:
		if ((err = parse_u8(t, &b)))
			return err;
		if (b > 1)
			return SIMOTA_ERR_BAD_VALUE;
		r->yes = b;
		return SIMOTA_OK;
	case SIMOTA_DEFERRED_TAG_INPUT:
		if (t->len != 3)
			return SIMOTA_ERR_BAD_LENGTH;
		m->has_input = true;
		m->input.min_len = t->value[0];
		m->input.max_len = t->value[1];
		m->input.flags = t->value[2];
		return check_input(&m->input);
	case SIMOTA_DEFERRED_TAG_DEFAULT_ITEM:
		/* §3.2: an item identifier, 01-FF (00 would read as "absent") */
		if ((err = parse_u8(t, &m->default_item)))
			return err;
		return m->default_item ? SIMOTA_OK : SIMOTA_ERR_BAD_VALUE;
	case SIMOTA_DEFERRED_TAG_VERSION:
		if ((err = parse_u8(t, &m->version)))
			return err;
		return m->version ? SIMOTA_OK : SIMOTA_ERR_BAD_VALUE;
	default:
		return SIMOTA_OK;
	}
}

/*
 * First pass (protocol.md §2, §3.6): framing of every element, and txid,
 * state and version, so that a message of another version is reported as
 * such before its elements are interpreted by this version's rules, and so
 * that m->txid is known on every later error.
 */
static simota_err scan_header(const struct simota_tlv *top, struct simota_deferred_msg *m)
{
	struct simota_reader r = simota_reader_init(top->value, top->len);
	struct simota_tlv t;
	uint8_t version = SIMOTA_DEFERRED_VERSION, state = 0xFF;
	simota_err err;

	while (simota_reader_left(&r)) {
		if ((err = simota_ber_tlv_next(&r, &t)))
			return err;
		if (t.tag == SIMOTA_DEFERRED_TAG_TXID && t.len == TXID_LEN)
			parse_element(&t, m);
		else if (t.tag == SIMOTA_DEFERRED_TAG_VERSION && t.len == 1)
			version = t.value[0];
		else if (t.tag == SIMOTA_DEFERRED_TAG_STATE && t.len == 1)
			state = t.value[0];
	}
	if (version != SIMOTA_DEFERRED_VERSION && version != 0 &&
	    !(m->type == SIMOTA_DEFERRED_R2S && state == SIMOTA_DEFERRED_NOT_SUPPORTED)) {
		m->version = version;
		return SIMOTA_ERR_UNSUPPORTED;
	}
	return SIMOTA_OK;
}

/* protocol.md §3, §4. */
simota_err simota_deferred_decode(const uint8_t *p, size_t len, struct simota_deferred_msg *m)
{
	struct simota_tlv top, t;
	struct simota_reader r;
	unsigned allowed, seen = 0;
	simota_err err;

	simota_deferred_init(m, SIMOTA_DEFERRED_C1, 0);
	if ((err = simota_ber_tlv_parse_one(p, len, &top)))
		return err;
	if (!is_type(top.tag))
		return SIMOTA_ERR_BAD_TAG;
	m->type = (enum simota_deferred_type)top.tag;
	if ((err = scan_header(&top, m)))
		return err;

	allowed = allowed_tags(m->type);
	r = simota_reader_init(top.value, top.len);
	while (simota_reader_left(&r)) {
		if ((err = simota_ber_tlv_next(&r, &t)))
			return err;
		/* elements this message does not define are skipped (§3.6) */
		if (t.tag < 0x80 || t.tag > 0x8F || !(allowed & TAG_BIT(t.tag)))
			continue;
		if (t.tag != SIMOTA_DEFERRED_TAG_ITEM && (seen & TAG_BIT(t.tag)))
			return SIMOTA_ERR_DUPLICATE;
		seen |= TAG_BIT(t.tag);
		if ((err = parse_element(&t, m)))
			return err;
	}
	if (!(seen & TAG_BIT(SIMOTA_DEFERRED_TAG_TXID)))
		return SIMOTA_ERR_MISSING_VALUE;
	if (m->type == SIMOTA_DEFERRED_R2S) {
		if (!(seen & TAG_BIT(SIMOTA_DEFERRED_TAG_STATE)))
			return SIMOTA_ERR_MISSING_VALUE;
		if (m->state == SIMOTA_DEFERRED_NOT_SUPPORTED &&
		    !(seen & TAG_BIT(SIMOTA_DEFERRED_TAG_VERSION)))
			return SIMOTA_ERR_MISSING_VALUE;
	}
	return check_msg(m);
}

/* ---- encoding ------------------------------------------------------------ */

static void write_rq(struct simota_writer *w, uint8_t tag, const struct simota_deferred_rq *rq)
{
	uint8_t v[6];
	struct simota_writer vw = simota_writer_init(v, sizeof(v));

	simota_write_u8(&vw, (uint8_t)rq->form);
	if (rq->form == SIMOTA_DEFERRED_RQ_FIXED) {
		simota_write_be(&vw, rq->seconds, 4);
	} else if (rq->form == SIMOTA_DEFERRED_RQ_UNTIL_EVENT) {
		simota_write_u8(&vw, (uint8_t)rq->event);
		if (rq->seconds)
			simota_write_be(&vw, rq->seconds, 4);
	}
	simota_ber_tlv_write(w, tag, v, vw.len);
}

static void write_u8_element(struct simota_writer *w, uint8_t tag, uint8_t v)
{
	simota_ber_tlv_write(w, tag, &v, 1);
}

static void write_c1(struct simota_writer *w, const struct simota_deferred_msg *m)
{
	write_u8_element(w, SIMOTA_DEFERRED_TAG_ACTION, (uint8_t)m->action);
	if (m->text)
		simota_ber_tlv_write(w, SIMOTA_DEFERRED_TAG_TEXT, m->text, m->text_len);
	for (size_t i = 0; i < m->n_items; i++) {
		simota_write_u8(w, SIMOTA_DEFERRED_TAG_ITEM);
		simota_tlv_write_length(w, 1 + m->items[i].text_len);
		simota_write_u8(w, m->items[i].id);
		simota_write_bytes(w, m->items[i].text, m->items[i].text_len);
	}
	if (m->has_sv1_address) {
		/* at most 12 bytes (TS 23.040 §9.1.2.5); checked by the caller */
		uint8_t v[32];
		struct simota_writer aw = simota_writer_init(v, sizeof(v));

		simota_sms_address_encode(&m->sv1_address, &aw);
		simota_ber_tlv_write(w, SIMOTA_DEFERRED_TAG_SV1_ADDRESS, v, aw.len);
	}
	if (m->wanted.form != SIMOTA_DEFERRED_RQ_NONE)
		write_rq(w, SIMOTA_DEFERRED_TAG_WANTED, &m->wanted);
	if (m->has_input) {
		uint8_t v[3] = { m->input.min_len, m->input.max_len, m->input.flags };

		simota_ber_tlv_write(w, SIMOTA_DEFERRED_TAG_INPUT, v, sizeof(v));
	}
	if (m->default_item)
		write_u8_element(w, SIMOTA_DEFERRED_TAG_DEFAULT_ITEM, m->default_item);
}

static void write_r2s(struct simota_writer *w, const struct simota_deferred_msg *m)
{
	const struct simota_deferred_result *r = &m->result;

	if (m->state == SIMOTA_DEFERRED_DONE)
		write_u8_element(w, SIMOTA_DEFERRED_TAG_ACTION, (uint8_t)m->action);
	if (m->rq.form != SIMOTA_DEFERRED_RQ_NONE)
		write_rq(w, SIMOTA_DEFERRED_TAG_RQ, &m->rq);
	write_u8_element(w, SIMOTA_DEFERRED_TAG_STATE, (uint8_t)m->state);
	if (m->state != SIMOTA_DEFERRED_DONE)
		return;
	simota_write_u8(w, SIMOTA_DEFERRED_TAG_RESULT);
	simota_tlv_write_length(w, 1 + r->additional_len);
	simota_write_u8(w, r->general);
	simota_write_bytes(w, r->additional, r->additional_len);
	if (r->text)
		simota_ber_tlv_write(w, SIMOTA_DEFERRED_TAG_ANSWER_TEXT, r->text, r->text_len);
	if (r->item_id)
		write_u8_element(w, SIMOTA_DEFERRED_TAG_ANSWER_ITEM, r->item_id);
	if (r->yes != -1)
		write_u8_element(w, SIMOTA_DEFERRED_TAG_ANSWER_YES_NO, (uint8_t)r->yes);
}

/* protocol.md §3, §4: canonical form, elements in ascending tag order. */
simota_err simota_deferred_encode(const struct simota_deferred_msg *m,
				  uint8_t *out, size_t cap, size_t *out_len)
{
	struct simota_writer w = simota_writer_init(out, cap);
	size_t mark;
	simota_err err;

	if ((err = check_msg(m)))
		return err;
	if (m->has_sv1_address && m->type == SIMOTA_DEFERRED_C1) {
		/* the address must be one the decoder reads back (§3.2) */
		uint8_t tmp[32];
		struct simota_writer aw = simota_writer_init(tmp, sizeof(tmp));

		if (simota_sms_address_encode(&m->sv1_address, &aw) || simota_writer_status(&aw))
			return SIMOTA_ERR_BAD_VALUE;
	}

	mark = simota_tlv_open(&w);
	simota_write_u8(&w, SIMOTA_DEFERRED_TAG_TXID);
	simota_write_u8(&w, TXID_LEN);
	simota_write_be(&w, m->txid, TXID_LEN);
	switch (m->type) {
	case SIMOTA_DEFERRED_C1:
		write_c1(&w, m);
		break;
	case SIMOTA_DEFERRED_IR:
		write_rq(&w, SIMOTA_DEFERRED_TAG_RQ, &m->rq);
		break;
	case SIMOTA_DEFERRED_R2S:
		write_r2s(&w, m);
		break;
	default:
		break;
	}
	if (m->version != SIMOTA_DEFERRED_VERSION || versioned_answer(m))
		write_u8_element(&w, SIMOTA_DEFERRED_TAG_VERSION, m->version);
	simota_ber_tlv_close(&w, mark, (uint32_t)m->type);
	if ((err = simota_writer_status(&w)))
		return err;
	*out_len = w.len;
	return SIMOTA_OK;
}

const char *simota_deferred_type_name(enum simota_deferred_type type)
{
	switch (type) {
	case SIMOTA_DEFERRED_C1: return "C1";
	case SIMOTA_DEFERRED_C2: return "C2";
	case SIMOTA_DEFERRED_RELEASE: return "release";
	case SIMOTA_DEFERRED_IR: return "IR";
	case SIMOTA_DEFERRED_MG: return "MG";
	case SIMOTA_DEFERRED_R2S: return "R2S";
	}
	return "unknown";
}

const char *simota_deferred_state_name(enum simota_deferred_state state)
{
	switch (state) {
	case SIMOTA_DEFERRED_DONE: return "done";
	case SIMOTA_DEFERRED_PENDING: return "pending";
	case SIMOTA_DEFERRED_UNKNOWN: return "unknown";
	case SIMOTA_DEFERRED_EXPIRED: return "expired";
	case SIMOTA_DEFERRED_FULL: return "full";
	case SIMOTA_DEFERRED_NOT_SUPPORTED: return "not-supported";
	case SIMOTA_DEFERRED_BAD_REQUEST: return "bad-request";
	case SIMOTA_DEFERRED_RELEASED: return "released";
	}
	return "invalid";
}

const char *simota_deferred_action_name(enum simota_deferred_action action)
{
	switch (action) {
	case SIMOTA_DEFERRED_ACTION_NONE: return "none";
	case SIMOTA_DEFERRED_DISPLAY_TEXT: return "display-text";
	case SIMOTA_DEFERRED_GET_INPUT: return "get-input";
	case SIMOTA_DEFERRED_SELECT_ITEM: return "select-item";
	case SIMOTA_DEFERRED_YES_NO: return "yes-no";
	}
	return "invalid";
}
