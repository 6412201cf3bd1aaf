/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TERMINAL RESPONSE (ETSI TS 102 223 §6.8, 3GPP TS 31.111 §6.8). */
#include <string.h>

#include "ts102223_internal.h"

/* §6.8: the objects of a TERMINAL RESPONSE, in the table's order. */
static const struct cat_rule terminal_response[] = {
	{ 0x01, CAT_M | CAT_CR }, { 0x02, CAT_M | CAT_CR }, { 0x03, CAT_M | CAT_CR },
	{ 0x04, CAT_CR }, { 0x0D, CAT_CR }, { 0x10, CAT_CR },
	/* local information (§6.8.10), one of them per PROVIDE LOCAL INFORMATION */
	{ 0x13, CAT_CR }, { 0x14, CAT_CR }, { 0x16, CAT_CR }, { 0x1D, CAT_CR }, { 0x26, CAT_CR },
	{ 0x2D, CAT_CR }, { 0x2E, CAT_CR }, { 0x3F, CAT_CR }, { 0x62, CAT_CR },
	{ 0x65, CAT_CR }, { 0x63, CAT_CR },
	{ 0x24, CAT_CR }, { 0x25, CAT_CR },
};

/* PROVIDE LOCAL INFORMATION qualifier (§8.6) → the object that answers it. */
static uint8_t local_info_object(uint8_t qualifier)
{
	static const uint8_t tag[] = {
		0x13, 0x14, 0x16, 0x26, 0x2D, 0x2E, 0x3F, 0, 0x62, 0x65, 0x63,
	};

	return qualifier < sizeof(tag) ? tag[qualifier] : 0;
}

/* §6.8.15, §6.8.13, §6.8.10 …: what a successful response must carry. */
static simota_err check_response(const struct simota_cat_msg *m)
{
	bool success = m->result.general <= 0x0F;
	uint8_t tag;

	switch (m->details.type) {
	case SIMOTA_CAT_GET_INKEY:
	case SIMOTA_CAT_GET_INPUT:
		if (success && !m->text.present)
			return SIMOTA_ERR_MISSING_VALUE;
		break;
	case SIMOTA_CAT_SELECT_ITEM:
		if ((success || m->result.general == SIMOTA_CAT_RESULT_HELP_REQUESTED) &&
		    !m->item_id.present)
			return SIMOTA_ERR_MISSING_VALUE;
		break;
	case SIMOTA_CAT_POLL_INTERVAL:
		if (success && !m->duration.present)
			return SIMOTA_ERR_MISSING_VALUE;
		break;
	case SIMOTA_CAT_TIMER_MANAGEMENT:
		if (success && (!m->timer_id.present ||
				((m->details.qualifier & 0x03) && !m->timer_value.present)))
			return SIMOTA_ERR_MISSING_VALUE;
		break;
	case SIMOTA_CAT_PROVIDE_LOCAL_INFO:
		tag = local_info_object(m->details.qualifier);
		if (success && tag && !cat_object_present(tag, m))
			return SIMOTA_ERR_MISSING_VALUE;
		break;
	}
	return SIMOTA_OK;
}

/* TS 102 223 §6.8. */
simota_err simota_cat_response_decode(const uint8_t *pdu, size_t len, struct simota_cat_msg *out)
{
	struct cat_decode_state st = { 0 };
	simota_err err;

	cat_msg_clear(out);
	if ((err = cat_decode_objects(pdu, len, CAT_RULES(terminal_response), out, &st)))
		return err;
	return check_response(out);
}

/* TS 102 223 §6.8. */
simota_err simota_cat_response_encode(const struct simota_cat_msg *in,
				      uint8_t *out, size_t cap, size_t *out_len)
{
	struct simota_writer w = simota_writer_init(out, cap);
	simota_err err;

	if ((err = cat_encode_objects(&w, CAT_RULES(terminal_response), in)))
		return err;
	*out_len = w.len;
	return SIMOTA_OK;
}

/*
 * §6.8.15 / §8.15: the answer to a GET INKEY "Yes/No" (qualifier bit 3)
 * is a Text String with the byte 01 (yes) or 00 (no).
 */
int simota_cat_inkey_yes_no(const struct simota_cat_msg *m)
{
	const char *t = simota_cat_string_get(m, &m->text);

	/* GSM default alphabet 01 is '£', 00 is '@' */
	if (!(m->details.qualifier & 0x04) || !t)
		return -1;
	if (strcmp(t, "\xC2\xA3") == 0)
		return 1;
	return strcmp(t, "@") == 0 ? 0 : -1;
}

simota_err simota_cat_inkey_set_yes_no(struct simota_cat_msg *m, bool yes)
{
	return simota_cat_string_set(m, &m->text, yes ? "\xC2\xA3" : "@", 0x04);
}
