/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Proactive UICC commands (ETSI TS 102 223 §6.6, BER-TLV tag D0 §9.3):
 * the table of each command this codec knows, decode and encode.
 */
#include "ts102223_internal.h"

#define HEADER { 0x01, CAT_M | CAT_CR }, { 0x02, CAT_M | CAT_CR }

/* §6.6.1 */
static const struct cat_rule display_text[] = {
	HEADER, { 0x0D, CAT_M | CAT_CR }, { 0x1E, 0 }, { 0x2B, 0 }, { 0x04, 0 },
	{ 0x50, 0 }, { 0x68, 0 },
};
/* §6.6.2 */
static const struct cat_rule get_inkey[] = {
	HEADER, { 0x0D, CAT_M | CAT_CR }, { 0x1E, 0 }, { 0x04, 0 }, { 0x50, 0 }, { 0x68, 0 },
};
/* §6.6.3 */
static const struct cat_rule get_input[] = {
	HEADER, { 0x0D, CAT_M | CAT_CR }, { 0x11, CAT_M | CAT_CR }, { 0x17, 0 }, { 0x1E, 0 },
	{ 0x50, 0 }, { 0x68, 0 },
};
/* §6.6.4 MORE TIME, §6.6.14 POLLING OFF, §6.6.15 PROVIDE LOCAL INFORMATION */
static const struct cat_rule header_only[] = {
	HEADER,
};
static const struct cat_rule provide_local_info[] = {
	HEADER, { 0x69, CAT_CR },
};
/* §6.6.5 */
static const struct cat_rule play_tone[] = {
	HEADER, { 0x05, 0 }, { 0x0E, 0 }, { 0x04, 0 }, { 0x1E, 0 }, { 0x50, 0 }, { 0x68, 0 },
};
/* §6.6.6 */
static const struct cat_rule poll_interval[] = {
	HEADER, { 0x04, CAT_M | CAT_CR },
};
/* §6.6.7 */
static const struct cat_rule set_up_menu[] = {
	HEADER, { 0x05, CAT_M | CAT_CR }, { 0x0F, CAT_M | CAT_CR | CAT_MULTI | CAT_EMPTY_MENU },
	{ 0x18, 0 }, { 0x1E, 0 }, { 0x1F, 0 }, { 0x50, 0 }, { 0x51, 0 },
};
/* §6.6.8 */
static const struct cat_rule select_item[] = {
	HEADER, { 0x05, 0 }, { 0x0F, CAT_M | CAT_CR | CAT_MULTI }, { 0x18, 0 }, { 0x10, 0 },
	{ 0x1E, 0 }, { 0x1F, 0 }, { 0x50, 0 }, { 0x51, 0 }, { 0x68, 0 },
};
/* §6.6.9, TS 31.111 §6.6.9 */
static const struct cat_rule send_short_message[] = {
	HEADER, { 0x05, 0 }, { 0x06, 0 }, { 0x0B, CAT_M | CAT_CR }, { 0x1E, 0 }, { 0x50, 0 },
	{ 0x68, 0 },
};
/* §6.6.13, TS 31.111 §6.6.13 */
static const struct cat_rule refresh[] = {
	HEADER, { 0x12, CAT_CR }, { 0x2F, CAT_CR }, { 0x05, 0 }, { 0x1E, 0 }, { 0x50, 0 },
	{ 0x68, 0 }, { 0x72, 0 },
};
/* §6.6.16 */
static const struct cat_rule set_up_event_list[] = {
	HEADER, { 0x19, CAT_M | CAT_CR },
};
/* §6.6.21 */
static const struct cat_rule timer_management[] = {
	HEADER, { 0x24, CAT_M | CAT_CR }, { 0x25, CAT_CR },
};

static bool command_rules(uint8_t type, struct cat_rules *out)
{
	switch (type) {
	case SIMOTA_CAT_REFRESH: *out = CAT_RULES(refresh); return true;
	case SIMOTA_CAT_MORE_TIME: *out = CAT_RULES(header_only); return true;
	case SIMOTA_CAT_POLL_INTERVAL: *out = CAT_RULES(poll_interval); return true;
	case SIMOTA_CAT_POLLING_OFF: *out = CAT_RULES(header_only); return true;
	case SIMOTA_CAT_SET_UP_EVENT_LIST: *out = CAT_RULES(set_up_event_list); return true;
	case SIMOTA_CAT_SEND_SHORT_MESSAGE: *out = CAT_RULES(send_short_message); return true;
	case SIMOTA_CAT_PLAY_TONE: *out = CAT_RULES(play_tone); return true;
	case SIMOTA_CAT_DISPLAY_TEXT: *out = CAT_RULES(display_text); return true;
	case SIMOTA_CAT_GET_INKEY: *out = CAT_RULES(get_inkey); return true;
	case SIMOTA_CAT_GET_INPUT: *out = CAT_RULES(get_input); return true;
	case SIMOTA_CAT_SELECT_ITEM: *out = CAT_RULES(select_item); return true;
	case SIMOTA_CAT_SET_UP_MENU: *out = CAT_RULES(set_up_menu); return true;
	case SIMOTA_CAT_PROVIDE_LOCAL_INFO: *out = CAT_RULES(provide_local_info); return true;
	case SIMOTA_CAT_TIMER_MANAGEMENT: *out = CAT_RULES(timer_management); return true;
	}
	return false;
}

/* Conditions the tables cannot express. */
static simota_err check_command(const struct simota_cat_msg *m, const struct cat_decode_state *st)
{
	switch (m->details.type) {
	case SIMOTA_CAT_SET_UP_MENU:
		/* §6.6.7: a lone empty item removes the menu; with others it is wrong */
		if (st->empty_items && (st->empty_items > 1 || m->n_items > 0))
			return SIMOTA_ERR_NOT_UNDERSTOOD;
		break;
	case SIMOTA_CAT_SELECT_ITEM:
		if (st->empty_items)
			return SIMOTA_ERR_NOT_UNDERSTOOD;
		break;
	case SIMOTA_CAT_REFRESH:
		/* §6.6.13: file list with "file change notification" (01, 02) */
		if ((m->details.qualifier == 0x01 || m->details.qualifier == 0x02) &&
		    !m->file_list.present)
			return SIMOTA_ERR_MISSING_VALUE;
		/* §8.18: as many full paths as it says (§6.10: else result 32) */
		if (m->file_list.present && simota_cat_file_list_check(&m->file_list, NULL) != SIMOTA_OK)
			return SIMOTA_ERR_NOT_UNDERSTOOD;
		break;
	case SIMOTA_CAT_TIMER_MANAGEMENT:
		/* §6.6.21: "start" needs the timer value */
		if ((m->details.qualifier & 0x03) == 0 && !m->timer_value.present)
			return SIMOTA_ERR_MISSING_VALUE;
		break;
	}
	return SIMOTA_OK;
}

/* Command details and device identities, wherever they are. */
static simota_err read_header(const uint8_t *p, size_t len, struct simota_cat_msg *m)
{
	struct simota_tlv t;
	simota_err err;

	if ((err = cat_find_object(p, len, 0x01, &t)))
		return err;
	if (t.len != 3)
		return SIMOTA_ERR_BAD_LENGTH;
	m->details.number = t.value[0];
	m->details.type = t.value[1];
	m->details.qualifier = t.value[2];
	if (cat_find_object(p, len, 0x02, &t) == SIMOTA_OK && t.len == 2) {
		m->src = t.value[0];
		m->dst = t.value[1];
	}
	return SIMOTA_OK;
}

/* TS 102 223 §6.6, §9.3: D0 proactive command. */
simota_err simota_cat_command_decode(const uint8_t *pdu, size_t len, struct simota_cat_msg *out)
{
	struct cat_decode_state st = { 0 };
	struct simota_tlv t;
	struct cat_rules rules;
	simota_err err;

	cat_msg_clear(out);
	if ((err = simota_ber_tlv_parse_one(pdu, len, &t)))
		return err;
	if (t.tag != SIMOTA_CAT_TAG_PROACTIVE)
		return SIMOTA_ERR_BAD_TAG;
	if ((err = read_header(t.value, t.len, out)))
		return err;
	if (!command_rules(out->details.type, &rules))
		return SIMOTA_ERR_UNSUPPORTED;	/* §6.10: result 30 */
	if ((err = cat_decode_objects(t.value, t.len, rules, out, &st)))
		return err;
	return check_command(out, &st);
}

/* TS 102 223 §6.6, §9.3. */
simota_err simota_cat_command_encode(const struct simota_cat_msg *in,
				     uint8_t *out, size_t cap, size_t *out_len)
{
	struct simota_writer w = simota_writer_init(out, cap);
	struct cat_rules rules;
	size_t mark;
	simota_err err;

	if (!command_rules(in->details.type, &rules))
		return SIMOTA_ERR_UNSUPPORTED;
	mark = simota_tlv_open(&w);
	if ((err = cat_encode_objects(&w, rules, in)))
		return err;
	simota_ber_tlv_close(&w, mark, SIMOTA_CAT_TAG_PROACTIVE);
	if ((err = simota_writer_status(&w)))
		return err;
	*out_len = w.len;
	return SIMOTA_OK;
}

/* TS 102 223 §6.10. */
uint8_t simota_cat_error_result(simota_err err)
{
	switch (err) {
	case SIMOTA_OK:
		return SIMOTA_CAT_RESULT_OK;
	case SIMOTA_ERR_MISSING_VALUE:
		return SIMOTA_CAT_RESULT_MISSING_VALUES;
	case SIMOTA_ERR_UNSUPPORTED:
		return SIMOTA_CAT_RESULT_BEYOND_CAPABILITIES;
	default:
		return SIMOTA_CAT_RESULT_DATA_NOT_UNDERSTOOD;
	}
}
