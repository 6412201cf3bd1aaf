/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CAT simple data objects (ETSI TS 102 223 §8, 3GPP TS 31.111 §8): the
 * value of one COMPREHENSION-TLV ↔ its field in struct simota_cat_msg.
 * Objects that are plain bytes, one byte or a flag are table-driven; the
 * others have their own functions below.
 */
#include <stddef.h>
#include <string.h>

#include "simota/ts24008.h"
#include "ts102223_internal.h"

enum obj_kind {
	K_U8,       /* struct simota_cat_u8, exactly one byte */
	K_BYTES,    /* struct simota_cat_bytes, min..max bytes */
	K_FLAG,     /* bool, no value (§8.30 help request, §8.43 immediate response) */
	K_TEXT,     /* struct simota_cat_string, Text String */
	K_ALPHA,    /* struct simota_cat_string, alpha identifier */
	K_SPECIAL,  /* its own function */
};

struct obj_desc {
	uint8_t tag;
	uint8_t kind;
	uint8_t min, max;
	size_t offset;
};

#define U8(t, f) { t, K_U8, 1, 1, offsetof(struct simota_cat_msg, f) }
#define BYTES(t, f, lo, hi) { t, K_BYTES, lo, hi, offsetof(struct simota_cat_msg, f) }
#define FLAG(t, f) { t, K_FLAG, 0, 0, offsetof(struct simota_cat_msg, f) }
#define STR(t, k, f) { t, k, 0, 0, offsetof(struct simota_cat_msg, f) }
#define SPECIAL(t) { t, K_SPECIAL, 0, 0, 0 }

static const struct obj_desc objects[] = {
	SPECIAL(0x01),                              /* §8.6 command details */
	SPECIAL(0x02),                              /* §8.7 device identities */
	SPECIAL(0x03),                              /* §8.12 result */
	SPECIAL(0x04),                              /* §8.8 duration */
	STR(0x05, K_ALPHA, alpha_id),               /* §8.2 alpha identifier */
	SPECIAL(0x06),                              /* §8.1 address */
	BYTES(0x0B, sms_tpdu, 1, 255),              /* §8.13 3GPP-SMS TPDU */
	STR(0x0D, K_TEXT, text),                    /* §8.15 text string */
	U8(0x0E, tone),                             /* §8.16 tone */
	SPECIAL(0x0F),                              /* §8.9 item */
	U8(0x10, item_id),                          /* §8.10 item identifier */
	SPECIAL(0x11),                              /* §8.11 response length */
	BYTES(0x12, file_list, 1, 255),             /* §8.18 file list */
	SPECIAL(0x13),                              /* §8.19 location information */
	BYTES(0x14, imei, 8, 8),                    /* §8.20 IMEI */
	FLAG(0x15, help_request),                   /* §8.21 help request */
	BYTES(0x16, nmr, 0, 255),                   /* §8.22 network measurement results */
	STR(0x17, K_TEXT, default_text),            /* §8.23 default text */
	BYTES(0x18, next_action, 0, 255),           /* §8.24 items next action indicator */
	BYTES(0x19, event_list, 0, 255),            /* §8.25 event list */
	BYTES(0x1A, cause, 0, 30),                  /* §8.26 cause */
	U8(0x1B, location_status),                  /* §8.27 location status */
	BYTES(0x1C, transaction_ids, 1, 255),       /* §8.28 transaction identifier */
	BYTES(0x1D, bcch_list, 0, 255),             /* §8.29 BCCH channel list */
	SPECIAL(0x1E),                              /* §8.31 icon identifier */
	SPECIAL(0x1F),                              /* §8.32 item icon identifier list */
	U8(0x20, card_reader_status),               /* §8.33 card reader status */
	U8(0x24, timer_id),                         /* §8.37 timer identifier */
	BYTES(0x25, timer_value, 3, 3),             /* §8.38 timer value */
	BYTES(0x26, date_time, 7, 7),               /* §8.39 date-time and time zone */
	FLAG(0x2B, immediate_response),             /* §8.43 immediate response */
	BYTES(0x2D, language, 2, 2),                /* §8.45 language */
	BYTES(0x2E, timing_advance, 2, 2),          /* §8.46 timing advance */
	BYTES(0x2F, aid, 0, 16),                    /* §8.60 AID */
	U8(0x34, browser_termination_cause),        /* §8.51 browser termination cause */
	U8(0x37, channel_data_length),              /* §8.54 channel data length */
	BYTES(0x38, channel_status, 2, 255),        /* §8.56 channel status */
	BYTES(0x3F, access_technology, 1, 255),     /* §8.61 access technology */
	BYTES(0x50, text_attribute, 0, 255),        /* §8.72 text attribute */
	BYTES(0x51, item_text_attributes, 0, 255),  /* §8.73 item text attribute list */
	BYTES(0x62, imeisv, 9, 9),                  /* §8.74 IMEISV */
	U8(0x63, battery_state),                    /* §8.76 battery state */
	U8(0x65, network_search_mode),              /* §8.75 network search mode */
	U8(0x68, frame_id),                         /* §8.80 frame identifier */
	U8(0x69, meas_qualifier),                   /* TS 31.111 §8.73 UTRAN/E-UTRAN meas. qualifier */
	BYTES(0x72, plmn_act_list, 0, 255),         /* TS 31.111 §8.90 PLMNwAcT list */
	U8(0x74, update_attach_type),               /* TS 31.111 §8.92 update/attach type */
	U8(0x75, rejection_cause),                  /* TS 31.111 §8.93 rejection cause code */
	SPECIAL(0x7D),                              /* TS 31.111 §8.99 tracking area id */
};

static const struct obj_desc *find_desc(uint8_t tag)
{
	for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		if (objects[i].tag == tag)
			return &objects[i];
	return NULL;
}

static void *field(const struct obj_desc *d, const struct simota_cat_msg *m)
{
	return (char *)m + d->offset;
}


/* TS 102 223 §8.19, TS 31.111 §8.19: location information. */
static simota_err location_info_decode(const uint8_t *v, size_t len,
				       struct simota_cat_location_info *li)
{
	simota_err err;

	memset(li, 0, sizeof(*li));
	if (len != 5 && len != 7 && len != 9)
		return SIMOTA_ERR_BAD_LENGTH;
	if ((err = simota_plmn_decode(v, li->mcc, li->mnc)))
		return err;
	li->lac_tac = (uint16_t)(v[3] << 8 | v[4]);
	if (len == 5) {
		li->form = SIMOTA_CAT_CELL_NONE;
	} else if (len == 7) {
		li->form = SIMOTA_CAT_CELL_GERAN;
		li->ci = (uint16_t)(v[5] << 8 | v[6]);
	} else if ((v[8] & 0x0F) == 0x0F) {
		li->form = SIMOTA_CAT_CELL_EUTRAN;
		li->eutran_ci = (uint32_t)v[5] << 20 | (uint32_t)v[6] << 12 |
				(uint32_t)v[7] << 4 | v[8] >> 4;
	} else {
		li->form = SIMOTA_CAT_CELL_UTRAN;
		li->ci = (uint16_t)(v[5] << 8 | v[6]);
		li->ext_ci = (uint16_t)(v[7] << 8 | v[8]);
	}
	li->present = true;
	return SIMOTA_OK;
}

/* TS 102 223 §8.19, TS 31.111 §8.19 */
static simota_err location_info_encode(struct simota_writer *w,
				       const struct simota_cat_location_info *li)
{
	simota_err err = simota_plmn_encode(w, li->mcc, li->mnc);

	if (err)
		return err;
	simota_write_be(w, li->lac_tac, 2);
	switch (li->form) {
	case SIMOTA_CAT_CELL_NONE:
		break;
	case SIMOTA_CAT_CELL_GERAN:
		simota_write_be(w, li->ci, 2);
		break;
	case SIMOTA_CAT_CELL_UTRAN:
		simota_write_be(w, li->ci, 2);
		simota_write_be(w, li->ext_ci, 2);
		break;
	case SIMOTA_CAT_CELL_EUTRAN:
		if (li->eutran_ci > 0x0FFFFFFF)
			return SIMOTA_ERR_BAD_VALUE;
		simota_write_be(w, (uint64_t)li->eutran_ci << 4 | 0x0F, 4);
		break;
	default:
		return SIMOTA_ERR_BAD_VALUE;
	}
	return SIMOTA_OK;
}

/* TS 102 223 §8.9: item = identifier + alpha-coded text. */
static simota_err item_decode(const uint8_t *v, size_t len, struct simota_cat_msg *m,
			      struct cat_decode_state *st)
{
	struct simota_cat_item *it;

	if (len == 0) {
		st->empty_items++;
		return SIMOTA_OK;
	}
	if (m->n_items >= SIMOTA_CAT_MAX_ITEMS)
		return SIMOTA_ERR_NO_SPACE;
	it = &m->items[m->n_items];
	it->id = v[0];
	m->n_items++;
	return cat_string_decode(m, &it->text, CAT_ALPHA, v + 1, len - 1);
}

/* TS 102 223 §8.1-§8.32, TS 31.111 §8.99: the objects with a structure. */
static simota_err special_decode(uint8_t tag, const uint8_t *v, size_t len,
				 struct simota_cat_msg *m, struct cat_decode_state *st)
{
	size_t n_digits;

	switch (tag) {
	case 0x01:	/* §8.6 */
		if (len != 3)
			return SIMOTA_ERR_BAD_LENGTH;
		m->details.number = v[0];
		m->details.type = v[1];
		m->details.qualifier = v[2];
		return SIMOTA_OK;
	case 0x02:	/* §8.7 */
		if (len != 2)
			return SIMOTA_ERR_BAD_LENGTH;
		m->src = v[0];
		m->dst = v[1];
		return SIMOTA_OK;
	case 0x03:	/* §8.12 */
		if (len < 1)
			return SIMOTA_ERR_BAD_LENGTH;
		m->result.general = v[0];
		m->result.add_len = (uint8_t)(len - 1);
		if (len - 1 > sizeof(m->result.add))
			return SIMOTA_ERR_NO_SPACE;
		memcpy(m->result.add, v + 1, len - 1);
		m->result.present = true;
		return SIMOTA_OK;
	case 0x04:	/* §8.8 */
		if (len != 2)
			return SIMOTA_ERR_BAD_LENGTH;
		m->duration.unit = v[0];
		m->duration.interval = v[1];
		m->duration.present = true;
		return SIMOTA_OK;
	case 0x06:	/* §8.1 */
		if (len < 1)
			return SIMOTA_ERR_BAD_LENGTH;
		m->address.ton_npi = v[0];
		m->address.present = true;
		return simota_bcd_decode(v + 1, len - 1, SIMOTA_BCD_FILLER_LAST, m->address.number,
					 sizeof(m->address.number), &n_digits);
	case 0x0F:
		return item_decode(v, len, m, st);
	case 0x11:	/* §8.11 */
		if (len != 2)
			return SIMOTA_ERR_BAD_LENGTH;
		m->response_length.min = v[0];
		m->response_length.max = v[1];
		m->response_length.present = true;
		return SIMOTA_OK;
	case 0x13:
		return location_info_decode(v, len, &m->location_info);
	case 0x1E:	/* §8.31 */
		if (len != 2)
			return SIMOTA_ERR_BAD_LENGTH;
		m->icon_id.qualifier = v[0];
		m->icon_id.id = v[1];
		m->icon_id.present = true;
		return SIMOTA_OK;
	case 0x1F:	/* §8.32 */
		if (len < 1)
			return SIMOTA_ERR_BAD_LENGTH;
		m->item_icons.qualifier = v[0];
		m->item_icons.len = (uint8_t)(len - 1);
		if (len - 1 > sizeof(m->item_icons.ids))
			return SIMOTA_ERR_NO_SPACE;
		memcpy(m->item_icons.ids, v + 1, len - 1);
		m->item_icons.present = true;
		return SIMOTA_OK;
	case 0x7D: {	/* TS 31.111 §8.99 */
		simota_err err;

		if (len != 5)
			return SIMOTA_ERR_BAD_LENGTH;
		if ((err = simota_plmn_decode(v, m->tai.mcc, m->tai.mnc)))
			return err;
		m->tai.tac = (uint16_t)(v[3] << 8 | v[4]);
		m->tai.present = true;
		return SIMOTA_OK;
	}
	}
	return SIMOTA_ERR_BAD_TAG;
}

/* TS 102 223 §8: one object's value → its field. */
simota_err cat_object_decode(uint8_t tag, const uint8_t *v, size_t len,
			     struct simota_cat_msg *m, struct cat_decode_state *st)
{
	const struct obj_desc *d = find_desc(tag);

	if (!d)
		return SIMOTA_ERR_BAD_TAG;
	switch (d->kind) {
	case K_U8: {
		struct simota_cat_u8 *u = field(d, m);

		if (len != 1)
			return SIMOTA_ERR_BAD_LENGTH;
		u->v = v[0];
		u->present = true;
		return SIMOTA_OK;
	}
	case K_BYTES: {
		struct simota_cat_bytes *b = field(d, m);

		if (len < d->min || len > d->max)
			return len > SIMOTA_CAT_BYTES_MAX ? SIMOTA_ERR_NO_SPACE : SIMOTA_ERR_BAD_LENGTH;
		b->len = (uint8_t)len;
		memcpy(b->data, v, len);
		b->present = true;
		return SIMOTA_OK;
	}
	case K_FLAG:
		if (len != 0)
			return SIMOTA_ERR_BAD_LENGTH;
		*(bool *)field(d, m) = true;
		return SIMOTA_OK;
	case K_TEXT:
		return cat_string_decode(m, field(d, m), CAT_TEXT_STRING, v, len);
	case K_ALPHA:
		return cat_string_decode(m, field(d, m), CAT_ALPHA, v, len);
	default:
		return special_decode(tag, v, len, m, st);
	}
}

/* TS 102 223 §8.1-§8.32, TS 31.111 §8.99 */
static simota_err special_encode(uint8_t tag, unsigned index, struct simota_writer *w,
				 const struct simota_cat_msg *m)
{
	size_t n_digits;

	switch (tag) {
	case 0x01:	/* §8.6 */
		simota_write_u8(w, m->details.number);
		simota_write_u8(w, m->details.type);
		simota_write_u8(w, m->details.qualifier);
		return SIMOTA_OK;
	case 0x02:	/* §8.7 */
		simota_write_u8(w, m->src);
		simota_write_u8(w, m->dst);
		return SIMOTA_OK;
	case 0x03:	/* §8.12 */
		if (m->result.add_len > sizeof(m->result.add))
			return SIMOTA_ERR_BAD_VALUE;
		simota_write_u8(w, m->result.general);
		simota_write_bytes(w, m->result.add, m->result.add_len);
		return SIMOTA_OK;
	case 0x04:	/* §8.8 */
		simota_write_u8(w, m->duration.unit);
		simota_write_u8(w, m->duration.interval);
		return SIMOTA_OK;
	case 0x06:	/* §8.1 */
		simota_write_u8(w, m->address.ton_npi);
		n_digits = strnlen(m->address.number, sizeof(m->address.number));
		if (n_digits == sizeof(m->address.number))
			return SIMOTA_ERR_BAD_VALUE;
		return simota_bcd_encode(w, m->address.number, n_digits);
	case 0x0F:	/* §8.9 */
		if (index >= m->n_items)
			return SIMOTA_OK;	/* the empty item of SET UP MENU */
		simota_write_u8(w, m->items[index].id);
		return cat_string_encode(w, m, &m->items[index].text, CAT_ALPHA);
	case 0x11:	/* §8.11 */
		simota_write_u8(w, m->response_length.min);
		simota_write_u8(w, m->response_length.max);
		return SIMOTA_OK;
	case 0x13:
		return location_info_encode(w, &m->location_info);
	case 0x1E:	/* §8.31 */
		simota_write_u8(w, m->icon_id.qualifier);
		simota_write_u8(w, m->icon_id.id);
		return SIMOTA_OK;
	case 0x1F:	/* §8.32 */
		if (m->item_icons.len > sizeof(m->item_icons.ids))
			return SIMOTA_ERR_BAD_VALUE;
		simota_write_u8(w, m->item_icons.qualifier);
		simota_write_bytes(w, m->item_icons.ids, m->item_icons.len);
		return SIMOTA_OK;
	case 0x7D: {	/* TS 31.111 §8.99 */
		simota_err err = simota_plmn_encode(w, m->tai.mcc, m->tai.mnc);

		if (!err)
			simota_write_be(w, m->tai.tac, 2);
		return err;
	}
	}
	return SIMOTA_ERR_BAD_TAG;
}

/* TS 102 223 §8: one object's field → its value bytes. */
simota_err cat_object_encode(uint8_t tag, unsigned index, struct simota_writer *w,
			     const struct simota_cat_msg *m)
{
	const struct obj_desc *d = find_desc(tag);

	if (!d)
		return SIMOTA_ERR_BAD_TAG;
	switch (d->kind) {
	case K_U8:
		simota_write_u8(w, ((const struct simota_cat_u8 *)field(d, m))->v);
		return SIMOTA_OK;
	case K_BYTES: {
		const struct simota_cat_bytes *b = field(d, m);

		if (b->len < d->min || b->len > d->max)
			return SIMOTA_ERR_BAD_VALUE;
		simota_write_bytes(w, b->data, b->len);
		return SIMOTA_OK;
	}
	case K_FLAG:
		return SIMOTA_OK;
	case K_TEXT:
		return cat_string_encode(w, m, field(d, m), CAT_TEXT_STRING);
	case K_ALPHA:
		return cat_string_encode(w, m, field(d, m), CAT_ALPHA);
	default:
		return special_encode(tag, index, w, m);
	}
}

bool cat_object_present(uint8_t tag, const struct simota_cat_msg *m)
{
	const struct obj_desc *d = find_desc(tag);

	if (!d)
		return false;
	switch (d->kind) {
	case K_U8:
		return ((const struct simota_cat_u8 *)field(d, m))->present;
	case K_BYTES:
		return ((const struct simota_cat_bytes *)field(d, m))->present;
	case K_FLAG:
		return *(const bool *)field(d, m);
	case K_TEXT:
	case K_ALPHA:
		return ((const struct simota_cat_string *)field(d, m))->present;
	}
	switch (tag) {
	case 0x01:
	case 0x02:
		return true;
	case 0x03: return m->result.present;
	case 0x04: return m->duration.present;
	case 0x06: return m->address.present;
	case 0x0F: return m->n_items > 0;
	case 0x11: return m->response_length.present;
	case 0x13: return m->location_info.present;
	case 0x1E: return m->icon_id.present;
	case 0x1F: return m->item_icons.present;
	case 0x7D: return m->tai.present;
	}
	return false;
}
