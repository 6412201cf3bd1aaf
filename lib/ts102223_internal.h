/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CAT codec internals shared by lib/cat_*.c (not installed). */
#ifndef SIMOTA_CAT_INTERNAL_H
#define SIMOTA_CAT_INTERNAL_H

#include "simota/bytes.h"
#include "simota/cat.h"
#include "simota/tlv.h"

/*
 * One row of a message table (TS 102 223 §6.6, §6.8, §7): an object the
 * message may carry, in the spec's order, with the table's "M/O" and
 * "comprehension required" columns.
 */
#define CAT_M      0x01   /* mandatory */
#define CAT_CR     0x02   /* CR flag set by default */
#define CAT_MULTI  0x04   /* may repeat (items) */
#define CAT_EMPTY_MENU 0x08 /* items: "no items" is coded as one empty item */

struct cat_rule {
	uint8_t tag;
	uint8_t flags;
};

struct cat_rules {
	const struct cat_rule *rule;
	size_t n;
};

#define CAT_RULES(a) ((struct cat_rules){ (a), sizeof(a) / sizeof((a)[0]) })

/* Per-decode state: which rules were seen, empty items. */
struct cat_decode_state {
	bool seen[128];
	unsigned empty_items;
};

/* ts102223_codec.c: a sequence of COMPREHENSION-TLVs against a table. */
simota_err cat_decode_objects(const uint8_t *p, size_t len, struct cat_rules rules,
			      struct simota_cat_msg *m, struct cat_decode_state *st);
simota_err cat_encode_objects(struct simota_writer *w, struct cat_rules rules,
			      const struct simota_cat_msg *m);
/* First COMPREHENSION-TLV with this tag (any CR); SIMOTA_ERR_MISSING_VALUE if none. */
simota_err cat_find_object(const uint8_t *p, size_t len, uint8_t tag, struct simota_tlv *out);
bool cat_cr_flipped(const struct simota_cat_cr *cr, uint8_t tag);
void cat_cr_flip(struct simota_cat_cr *cr, uint8_t tag);
void cat_msg_clear(struct simota_cat_msg *m);

/* ts102223_objects.c: one simple data object (value bytes only). */
simota_err cat_object_decode(uint8_t tag, const uint8_t *v, size_t len,
			     struct simota_cat_msg *m, struct cat_decode_state *st);
/* Writes the value of tag (item: the index-th item); w's overflow flag carries space errors. */
simota_err cat_object_encode(uint8_t tag, unsigned index, struct simota_writer *w,
			     const struct simota_cat_msg *m);
bool cat_object_present(uint8_t tag, const struct simota_cat_msg *m);

/* ts102223_string.c: strings in the message's pool. */
enum cat_string_kind {
	CAT_TEXT_STRING,   /* §8.15: DCS + text */
	CAT_ALPHA,         /* §8.2, TS 102 221 Annex A */
};
simota_err cat_string_decode(struct simota_cat_msg *m, struct simota_cat_string *s,
			     enum cat_string_kind kind, const uint8_t *v, size_t len);
simota_err cat_string_encode(struct simota_writer *w, const struct simota_cat_msg *m,
			     const struct simota_cat_string *s, enum cat_string_kind kind);

#endif
