/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ENVELOPEs (ETSI TS 102 223 §7, 3GPP TS 31.111 §7): SMS-PP DOWNLOAD (D1),
 * MENU SELECTION (D3), EVENT DOWNLOAD (D6), TIMER EXPIRATION (D7).
 */
#include "simota/ts24008.h"
#include "ts102223_internal.h"

#define DEV { 0x02, CAT_M | CAT_CR }

/* TS 31.111 §7.1.1.2 */
static const struct cat_rule sms_pp_download[] = {
	DEV, { 0x06, 0 }, { 0x0B, CAT_M | CAT_CR },
};
/* TS 102 223 §7.2.2 */
static const struct cat_rule menu_selection[] = {
	DEV, { 0x10, CAT_M | CAT_CR }, { 0x15, 0 },
};
/* TS 102 223 §7.4.2 */
static const struct cat_rule timer_expiration[] = {
	DEV, { 0x24, CAT_M | CAT_CR }, { 0x25, CAT_M | CAT_CR },
};

/* TS 102 223 §7.5: event list + device identities, then the event's objects. */
#define EVENT_HEAD { 0x19, CAT_M | CAT_CR }, DEV

static const struct cat_rule ev_plain[] = {       /* §7.5.5, §7.5.6 and unknown events */
	EVENT_HEAD,
};
static const struct cat_rule ev_mt_call[] = {     /* §7.5.1 */
	EVENT_HEAD, { 0x1C, CAT_M | CAT_CR }, { 0x06, 0 },
};
static const struct cat_rule ev_call_connected[] = { /* §7.5.2 */
	EVENT_HEAD, { 0x1C, CAT_M | CAT_CR },
};
static const struct cat_rule ev_call_disconnected[] = { /* §7.5.3 */
	EVENT_HEAD, { 0x1C, CAT_M | CAT_CR }, { 0x1A, 0 },
};
static const struct cat_rule ev_location_status[] = { /* §7.5.4 */
	EVENT_HEAD, { 0x1B, CAT_M | CAT_CR }, { 0x13, 0 },
};
static const struct cat_rule ev_card_reader_status[] = { /* §7.5.7 */
	EVENT_HEAD, { 0x20, CAT_M | CAT_CR },
};
static const struct cat_rule ev_language_selection[] = { /* §7.5.8 */
	EVENT_HEAD, { 0x2D, CAT_M | CAT_CR },
};
static const struct cat_rule ev_browser_termination[] = { /* §7.5.9 */
	EVENT_HEAD, { 0x34, CAT_M | CAT_CR },
};
static const struct cat_rule ev_data_available[] = { /* §7.5.10 */
	EVENT_HEAD, { 0x38, CAT_M | CAT_CR }, { 0x37, CAT_M | CAT_CR },
};
static const struct cat_rule ev_channel_status[] = { /* §7.5.11 */
	EVENT_HEAD, { 0x38, CAT_M | CAT_CR },
};
static const struct cat_rule ev_access_technology[] = { /* §7.5.12 */
	EVENT_HEAD, { 0x3F, CAT_M | CAT_CR },
};
static const struct cat_rule ev_search_mode[] = { /* §7.5.15 */
	EVENT_HEAD, { 0x65, CAT_M | CAT_CR },
};
static const struct cat_rule ev_network_rejection[] = { /* TS 31.111 §7.5.2 */
	EVENT_HEAD, { 0x13, 0 }, { 0x7D, 0 }, { 0x3F, CAT_M | CAT_CR },
	{ 0x74, CAT_M | CAT_CR }, { 0x75, CAT_M | CAT_CR },
};

static struct cat_rules event_rules(uint8_t event)
{
	switch (event) {
	case SIMOTA_CAT_EVENT_MT_CALL: return CAT_RULES(ev_mt_call);
	case SIMOTA_CAT_EVENT_CALL_CONNECTED: return CAT_RULES(ev_call_connected);
	case SIMOTA_CAT_EVENT_CALL_DISCONNECTED: return CAT_RULES(ev_call_disconnected);
	case SIMOTA_CAT_EVENT_LOCATION_STATUS: return CAT_RULES(ev_location_status);
	case SIMOTA_CAT_EVENT_CARD_READER_STATUS: return CAT_RULES(ev_card_reader_status);
	case SIMOTA_CAT_EVENT_LANGUAGE_SELECTION: return CAT_RULES(ev_language_selection);
	case SIMOTA_CAT_EVENT_BROWSER_TERMINATION: return CAT_RULES(ev_browser_termination);
	case SIMOTA_CAT_EVENT_DATA_AVAILABLE: return CAT_RULES(ev_data_available);
	case SIMOTA_CAT_EVENT_CHANNEL_STATUS: return CAT_RULES(ev_channel_status);
	case SIMOTA_CAT_EVENT_ACCESS_TECHNOLOGY_CHANGE: return CAT_RULES(ev_access_technology);
	case SIMOTA_CAT_EVENT_NETWORK_SEARCH_MODE_CHANGE: return CAT_RULES(ev_search_mode);
	case SIMOTA_CAT_EVENT_NETWORK_REJECTION: return CAT_RULES(ev_network_rejection);
	}
	return CAT_RULES(ev_plain);
}

/* §7.5: an EVENT DOWNLOAD carries exactly one event. */
static simota_err event_of(const struct simota_cat_bytes *list, uint8_t *event)
{
	if (!list->present)
		return SIMOTA_ERR_MISSING_VALUE;
	if (list->len != 1)
		return SIMOTA_ERR_BAD_VALUE;
	*event = list->data[0];
	return SIMOTA_OK;
}

static simota_err envelope_rules(const struct simota_cat_msg *m, struct cat_rules *out)
{
	uint8_t event;
	simota_err err;

	switch (m->envelope_tag) {
	case SIMOTA_CAT_TAG_SMS_PP_DOWNLOAD:
		*out = CAT_RULES(sms_pp_download);
		return SIMOTA_OK;
	case SIMOTA_CAT_TAG_MENU_SELECTION:
		*out = CAT_RULES(menu_selection);
		return SIMOTA_OK;
	case SIMOTA_CAT_TAG_TIMER_EXPIRATION:
		*out = CAT_RULES(timer_expiration);
		return SIMOTA_OK;
	case SIMOTA_CAT_TAG_EVENT_DOWNLOAD:
		if ((err = event_of(&m->event_list, &event)))
			return err;
		*out = event_rules(event);
		return SIMOTA_OK;
	}
	return SIMOTA_ERR_UNSUPPORTED;
}

/* TS 102 223 §7, TS 31.111 §7.1.1.2. */
simota_err simota_cat_envelope_decode(const uint8_t *pdu, size_t len, struct simota_cat_msg *out)
{
	struct cat_decode_state st = { 0 };
	struct cat_rules rules;
	struct simota_tlv t, ev;
	simota_err err;

	cat_msg_clear(out);
	if ((err = simota_ber_tlv_parse_one(pdu, len, &t)))
		return err;
	if (t.tag > 0xFF)
		return SIMOTA_ERR_UNSUPPORTED;
	out->envelope_tag = (uint8_t)t.tag;
	if (t.tag == SIMOTA_CAT_TAG_EVENT_DOWNLOAD) {
		/* the event picks the table: read the event list first */
		if ((err = cat_find_object(t.value, t.len, 0x19, &ev)) ||
		    (err = cat_object_decode(0x19, ev.value, ev.len, out, &st)))
			return err;
	}
	if ((err = envelope_rules(out, &rules)))
		return err;
	return cat_decode_objects(t.value, t.len, rules, out, &st);
}

/* TS 102 223 §7, TS 31.111 §7.1.1.2. */
simota_err simota_cat_envelope_encode(const struct simota_cat_msg *in,
				      uint8_t *out, size_t cap, size_t *out_len)
{
	struct simota_writer w = simota_writer_init(out, cap);
	struct cat_rules rules;
	size_t mark;
	simota_err err;

	if ((err = envelope_rules(in, &rules)))
		return err;
	mark = simota_tlv_open(&w);
	if ((err = cat_encode_objects(&w, rules, in)))
		return err;
	simota_ber_tlv_close(&w, mark, in->envelope_tag);
	if ((err = simota_writer_status(&w)))
		return err;
	*out_len = w.len;
	return SIMOTA_OK;
}

/* TS 102 223 §8.38: hours, minutes, seconds as swapped BCD (TS 23.040 §9.2.3.11). */
simota_err simota_cat_timer_value_seconds(const struct simota_cat_bytes *v, uint32_t *seconds)
{
	static const uint8_t limit[3] = { 24, 60, 60 };
	uint32_t total = 0;

	if (!v->present || v->len != 3)
		return SIMOTA_ERR_BAD_LENGTH;
	for (int i = 0; i < 3; i++) {
		uint8_t value;

		if (simota_bcd_swapped_to_int(v->data[i], &value) || value >= limit[i])
			return SIMOTA_ERR_BAD_VALUE;
		total = total * 60 + value;
	}
	*seconds = total;
	return SIMOTA_OK;
}

void simota_cat_timer_value_set(struct simota_cat_bytes *v, uint32_t seconds)
{
	uint32_t part[3];

	if (seconds > 24 * 3600 - 1)
		seconds = 24 * 3600 - 1;
	part[0] = seconds / 3600;
	part[1] = seconds / 60 % 60;
	part[2] = seconds % 60;
	for (int i = 0; i < 3; i++)
		v->data[i] = simota_bcd_swapped_from_int(part[i]);
	v->len = 3;
	v->present = true;
}
