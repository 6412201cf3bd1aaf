/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMI service messages and raw CAT (simota/qmi.h): Gobi API QMIEnum.h,
 * Database/QMI/{Entity,Field,EnumEntry}.txt in the libqmi repository, and
 * the QMI CAT v2 IDL for what Gobi 1.0.40 lacks.
 */
#include <string.h>

#include "simota/bytes.h"
#include "simota/cat.h"
#include "simota/qmi.h"

/* ---- the service message --------------------------------------------------------------------------- */

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* libqmi qmi-message.c: flags, transaction, message id, TLV length, TLVs */
simota_err simota_qmi_msg_decode(const uint8_t *p, size_t len, struct simota_qmi_msg *out)
{
	size_t tlvs_len;

	memset(out, 0, sizeof(*out));
	if (len < SIMOTA_QMI_HEADER_LEN)
		return SIMOTA_ERR_TRUNCATED;
	tlvs_len = le16(p + 5);
	if (tlvs_len != len - SIMOTA_QMI_HEADER_LEN)
		return SIMOTA_ERR_BAD_LENGTH;
	out->flags = p[0];
	out->transaction = le16(p + 1);
	out->message_id = le16(p + 3);
	out->tlvs = p + SIMOTA_QMI_HEADER_LEN;
	out->tlvs_len = tlvs_len;
	return SIMOTA_OK;
}

/* A TLV: type (1), length (2, little-endian), value */
simota_err simota_qmi_tlv_next(const uint8_t *tlvs, size_t len, size_t *pos, struct simota_qmi_tlv *out)
{
	size_t at = *pos;

	if (at > len || len - at < 3)
		return SIMOTA_ERR_TRUNCATED;
	out->type = tlvs[at];
	out->len = le16(tlvs + at + 1);
	if (out->len > len - at - 3)
		return SIMOTA_ERR_TRUNCATED;
	out->value = tlvs + at + 3;
	*pos = at + 3 + out->len;
	return SIMOTA_OK;
}

simota_err simota_qmi_tlv_find(const uint8_t *tlvs, size_t len, uint8_t type, struct simota_qmi_tlv *out)
{
	size_t pos = 0;
	simota_err err;

	while (pos < len) {
		if ((err = simota_qmi_tlv_next(tlvs, len, &pos, out)))
			return err;
		if (out->type == type)
			return SIMOTA_OK;
	}
	return SIMOTA_ERR_MISSING_VALUE;
}

/* QMI "Result Code" TLV 0x02: u16 result, u16 error */
simota_err simota_qmi_result_decode(const uint8_t *tlvs, size_t len, uint16_t *result, uint16_t *error)
{
	struct simota_qmi_tlv t;
	simota_err err = simota_qmi_tlv_find(tlvs, len, 0x02, &t);

	if (err)
		return err;
	if (t.len != 4)
		return SIMOTA_ERR_BAD_LENGTH;
	*result = le16(t.value);
	*error = le16(t.value + 2);
	return SIMOTA_OK;
}

/* ---- CAT ----------------------------------------------------------------------------------------------- */

bool simota_qmi_cat_mode_is_raw(uint8_t mode)
{
	return mode == SIMOTA_QMI_CAT_MODE_GOBI || mode == SIMOTA_QMI_CAT_MODE_ANDROID ||
	       mode == SIMOTA_QMI_CAT_MODE_CUSTOM_RAW;
}

#define BIT(n) (1u << (n))

/*
 * Raw mask bits (Set Event Report TLV 0x10) and the Event Report TLV of each
 * command: Gobi Entity.txt "CAT/Event Report" 0x10-0x14, 0x17, 0x18,
 * 0x47-0x4F; QMI CAT v2 0x51-0x54 (BIP), 0x66 (ACTIVATE).  Bit 12 is the end
 * of the proactive session (TLV 0x1A).
 */
static const struct simota_qmi_cat_kind kinds[] = {
	{ SIMOTA_CAT_DISPLAY_TEXT, BIT(0), 0x10, "DISPLAY TEXT" },
	{ SIMOTA_CAT_GET_INKEY, BIT(1), 0x11, "GET INKEY" },
	{ SIMOTA_CAT_GET_INPUT, BIT(2), 0x12, "GET INPUT" },
	{ SIMOTA_CAT_SET_UP_MENU, BIT(3), 0x13, "SET UP MENU" },
	{ SIMOTA_CAT_SELECT_ITEM, BIT(4), 0x14, "SELECT ITEM" },
	{ SIMOTA_CAT_SEND_SHORT_MESSAGE, BIT(5), 0x4B, "SEND SHORT MESSAGE" },
	{ SIMOTA_CAT_SET_UP_EVENT_LIST, BIT(6) | BIT(7) | BIT(8) | BIT(21) | BIT(25), 0x4F, "SET UP EVENT LIST" },
	{ 0x28, BIT(9), 0x17, "SET UP IDLE MODE TEXT" },
	{ 0x35, BIT(10), 0x18, "LANGUAGE NOTIFICATION" },
	{ SIMOTA_CAT_PLAY_TONE, BIT(13), 0x47, "PLAY TONE" },
	{ 0x10, BIT(14), 0x48, "SET UP CALL" },
	{ 0x14, BIT(15), 0x49, "SEND DTMF" },
	{ 0x15, BIT(16), 0x4A, "LAUNCH BROWSER" },
	{ 0x11, BIT(17), 0x4C, "SEND SS" },
	{ 0x12, BIT(18), 0x4D, "SEND USSD" },
	{ SIMOTA_CAT_PROVIDE_LOCAL_INFO, BIT(19) | BIT(22), 0x4E, "PROVIDE LOCAL INFORMATION" },
	{ 0x40, BIT(20), 0x51, "OPEN CHANNEL" },
	{ 0x41, BIT(20), 0x52, "CLOSE CHANNEL" },
	{ 0x43, BIT(20), 0x53, "SEND DATA" },
	{ 0x42, BIT(20), 0x54, "RECEIVE DATA" },
	{ 0x70, BIT(24), 0x66, "ACTIVATE" },
};

const struct simota_qmi_cat_kind *simota_qmi_cat_kinds(size_t *n)
{
	*n = sizeof(kinds) / sizeof(kinds[0]);
	return kinds;
}

const struct simota_qmi_cat_kind *simota_qmi_cat_kind_by_type(uint8_t type)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].type == type)
			return &kinds[i];
	return NULL;
}

const struct simota_qmi_cat_kind *simota_qmi_cat_kind_by_tlv(uint8_t tlv)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].tlv == tlv)
			return &kinds[i];
	return NULL;
}

/* Gobi "CAT/Event Report": per command TLV, u32 reference id + u16 length + the raw command; 0x1A u8 */
simota_err simota_qmi_cat_event_decode(const uint8_t *tlvs, size_t len, struct simota_qmi_cat_event *out)
{
	struct simota_qmi_tlv t;
	size_t pos = 0;
	simota_err err;

	memset(out, 0, sizeof(*out));
	while (pos < len) {
		if ((err = simota_qmi_tlv_next(tlvs, len, &pos, &t)))
			return err;
		if (t.type == SIMOTA_QMI_CAT_TLV_END_SESSION) {
			if (t.len != 1)
				return SIMOTA_ERR_BAD_LENGTH;
			out->end_session = true;
			out->end_type = t.value[0];
		} else if (simota_qmi_cat_kind_by_tlv(t.type)) {
			struct simota_qmi_cat_command *c;

			if (t.len < 6)
				return SIMOTA_ERR_TRUNCATED;
			if (le16(t.value + 4) != t.len - 6)
				return SIMOTA_ERR_BAD_LENGTH;
			if (out->n_commands >= SIMOTA_QMI_CAT_MAX_COMMANDS)
				return SIMOTA_ERR_NO_SPACE;
			c = &out->commands[out->n_commands++];
			c->tlv = t.type;
			c->ref = le32(t.value);
			c->len = (uint16_t)(t.len - 6);
			c->cmd = t.value + 6;
		} else {
			out->other_tlvs++;
		}
	}
	return SIMOTA_OK;
}

/* Gobi "CAT/Send Terminal Response Request/Terminal Response": u32 reference id, u16 length, the TR */
simota_err simota_qmi_cat_tr_encode(uint32_t ref, const uint8_t *tr, size_t len, uint8_t *out, size_t cap,
				    size_t *out_len)
{
	struct simota_writer w = simota_writer_init(out, cap);
	uint8_t hdr[6] = { (uint8_t)ref, (uint8_t)(ref >> 8), (uint8_t)(ref >> 16), (uint8_t)(ref >> 24),
			   (uint8_t)len, (uint8_t)(len >> 8) };

	*out_len = 0;
	if (!tr || len < 1 || len > 255)
		return SIMOTA_ERR_BAD_LENGTH;
	simota_write_bytes(&w, hdr, sizeof(hdr));
	simota_write_bytes(&w, tr, len);
	if (simota_writer_status(&w))
		return simota_writer_status(&w);
	*out_len = w.len;
	return SIMOTA_OK;
}

/* TS 102 223 §7.5.1 EVENT DOWNLOAD: the event in the Event list data object (tag 19 / 99) */
static int download_event(const uint8_t *env, size_t len)
{
	size_t i, body;

	/* D6 len(1 or 81 xx) then COMPREHENSION-TLVs */
	if (len < 2)
		return -1;
	if (env[1] == 0x81) {
		if (len < 3)
			return -1;
		i = 3;
	} else {
		i = 2;
	}
	while (i + 2 <= len) {
		uint8_t tag = env[i] & 0x7F;

		body = env[i + 1];
		if (body == 0x81) {
			if (i + 3 > len)
				return -1;
			body = env[i + 2];
			i++;
		}
		if (i + 2 + body > len)
			return -1;
		if (tag == 0x19 && body >= 1)
			return env[i + 2];
		i += 2 + body;
	}
	return -1;
}

/* Gobi enum 50603, QMI CAT v2 envelope command types; TS 102 223 §7 tags, §8.25 events */
enum simota_qmi_cat_envelope_type simota_qmi_cat_envelope_type(const uint8_t *env, size_t len)
{
	if (!env || !len)
		return SIMOTA_QMI_CAT_ENV_UNKNOWN;
	switch (env[0]) {
	case SIMOTA_CAT_TAG_MENU_SELECTION:
		return SIMOTA_QMI_CAT_ENV_MENU_SELECTION;
	case SIMOTA_CAT_TAG_SMS_PP_DOWNLOAD:
		return SIMOTA_QMI_CAT_ENV_SMS_PP_DOWNLOAD;
	case 0xD4:      /* call control */
		return SIMOTA_QMI_CAT_ENV_CALL_CONTROL;
	case SIMOTA_CAT_TAG_EVENT_DOWNLOAD:
		switch (download_event(env, len)) {
		case 0x00:
			return SIMOTA_QMI_CAT_ENV_MT_CALL;
		case 0x01:
			return SIMOTA_QMI_CAT_ENV_CALL_CONNECTED;
		case 0x02:
			return SIMOTA_QMI_CAT_ENV_CALL_DISCONNECTED;
		case 0x04:
			return SIMOTA_QMI_CAT_ENV_USER_ACTIVITY;
		case 0x05:
			return SIMOTA_QMI_CAT_ENV_IDLE_SCREEN;
		case 0x07:
			return SIMOTA_QMI_CAT_ENV_LANGUAGE_SELECTION;
		case 0x08:
			return SIMOTA_QMI_CAT_ENV_BROWSER_TERMINATION;
		default:
			return SIMOTA_QMI_CAT_ENV_UNKNOWN;
		}
	default:
		return SIMOTA_QMI_CAT_ENV_UNKNOWN;
	}
}

/* Gobi "CAT/Envelope Command Request/Envelope Command": u16 type, u16 length, the envelope */
simota_err simota_qmi_cat_envelope_encode(enum simota_qmi_cat_envelope_type type, const uint8_t *env, size_t len,
					  uint8_t *out, size_t cap, size_t *out_len)
{
	struct simota_writer w = simota_writer_init(out, cap);
	uint8_t hdr[4] = { (uint8_t)type, (uint8_t)((unsigned)type >> 8), (uint8_t)len, (uint8_t)(len >> 8) };

	*out_len = 0;
	if (!env || len < 2 || len > 255)
		return SIMOTA_ERR_BAD_LENGTH;
	simota_write_bytes(&w, hdr, sizeof(hdr));
	simota_write_bytes(&w, env, len);
	if (simota_writer_status(&w))
		return simota_writer_status(&w);
	*out_len = w.len;
	return SIMOTA_OK;
}

/* QMI CAT v2 "card result": SW1, SW2, u8 length, response data */
simota_err simota_qmi_cat_card_answer_decode(const uint8_t *value, size_t len, uint16_t *sw, const uint8_t **data,
					     size_t *data_len)
{
	if (len < 3)
		return SIMOTA_ERR_TRUNCATED;
	if ((size_t)value[2] != len - 3)
		return SIMOTA_ERR_BAD_LENGTH;
	*sw = (uint16_t)(value[0] << 8 | value[1]);
	*data = value + 3;
	*data_len = value[2];
	return SIMOTA_OK;
}
