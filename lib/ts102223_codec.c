/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table-driven part of the CAT codec: a sequence of COMPREHENSION-TLVs
 * (TS 102 223 Annex C) checked against a message's table (§6.6, §6.8, §7),
 * with the error handling of §6.10.
 */
#include <string.h>

#include "ts102223_internal.h"

void cat_msg_clear(struct simota_cat_msg *m)
{
	memset(m, 0, sizeof(*m));
}

bool cat_cr_flipped(const struct simota_cat_cr *cr, uint8_t tag)
{
	return tag < 128 && (cr->flip[tag / 8] >> (tag % 8)) & 1;
}

void cat_cr_flip(struct simota_cat_cr *cr, uint8_t tag)
{
	if (tag < 128)
		cr->flip[tag / 8] |= (uint8_t)(1u << (tag % 8));
}

static const struct cat_rule *find_rule(struct cat_rules rules, uint32_t tag)
{
	for (size_t i = 0; i < rules.n; i++)
		if (rules.rule[i].tag == tag)
			return &rules.rule[i];
	return NULL;
}

simota_err cat_find_object(const uint8_t *p, size_t len, uint8_t tag, struct simota_tlv *out)
{
	struct simota_reader r = simota_reader_init(p, len);
	simota_err err;

	while (simota_reader_left(&r)) {
		if ((err = simota_ctlv_next(&r, out)))
			return err;
		if (out->tag == tag)
			return SIMOTA_OK;
	}
	return SIMOTA_ERR_MISSING_VALUE;
}

/*
 * TS 102 223 §6.10 (and §7 for envelopes): objects the table does not
 * know, or a second copy of one that does not repeat, are skipped unless
 * their CR flag is set (→ "command data not understood"); a mandatory
 * object that never came → "required values missing".
 */
simota_err cat_decode_objects(const uint8_t *p, size_t len, struct cat_rules rules,
			      struct simota_cat_msg *m, struct cat_decode_state *st)
{
	struct simota_reader r = simota_reader_init(p, len);
	struct simota_tlv t;
	simota_err err;

	while (simota_reader_left(&r)) {
		const struct cat_rule *rule;
		uint8_t tag;

		if ((err = simota_ctlv_next(&r, &t)))
			return err;
		rule = find_rule(rules, t.tag);
		if (!rule || (st->seen[t.tag] && !(rule->flags & CAT_MULTI))) {
			if (t.cr)
				return SIMOTA_ERR_NOT_UNDERSTOOD;
			continue;
		}
		tag = (uint8_t)t.tag;
		if (!st->seen[tag] && t.cr != !!(rule->flags & CAT_CR))
			cat_cr_flip(&m->cr, tag);
		st->seen[tag] = true;
		if ((err = cat_object_decode(tag, t.value, t.len, m, st)))
			return err;
	}
	for (size_t i = 0; i < rules.n; i++)
		if ((rules.rule[i].flags & CAT_M) && !st->seen[rules.rule[i].tag])
			return SIMOTA_ERR_MISSING_VALUE;
	return SIMOTA_OK;
}

/* TS 102 223 Annex C: one COMPREHENSION-TLV around the object's value. */
static simota_err encode_one(struct simota_writer *w, uint8_t tag, unsigned index, bool cr,
			     const struct simota_cat_msg *m)
{
	size_t mark = simota_tlv_open(w);
	simota_err err = cat_object_encode(tag, index, w, m);

	if (err)
		return err;
	simota_ctlv_close(w, mark, tag, cr);
	return SIMOTA_OK;
}

/* TS 102 223 §6.6, §6.8, §7: the objects of the table that m holds, in the
 * table's (the spec's) order, CR as the table says unless m->cr flips it. */
simota_err cat_encode_objects(struct simota_writer *w, struct cat_rules rules,
			      const struct simota_cat_msg *m)
{
	simota_err err;

	for (size_t i = 0; i < rules.n; i++) {
		const struct cat_rule *rule = &rules.rule[i];
		bool cr = !!(rule->flags & CAT_CR) != cat_cr_flipped(&m->cr, rule->tag);
		unsigned count = 1;

		if (rule->tag == 0x0F) {
			if (m->n_items > SIMOTA_CAT_MAX_ITEMS)
				return SIMOTA_ERR_BAD_VALUE;
			count = m->n_items;
			if (count == 0 && (rule->flags & CAT_EMPTY_MENU))
				count = 1;	/* one empty item: remove the menu */
		} else if (!cat_object_present(rule->tag, m)) {
			count = 0;
		}
		if (count == 0 && (rule->flags & CAT_M))
			return SIMOTA_ERR_MISSING_VALUE;
		for (unsigned k = 0; k < count; k++)
			if ((err = encode_one(w, rule->tag, k, cr, m)))
				return err;
	}
	return simota_writer_status(w);
}
