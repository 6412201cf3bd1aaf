/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMI service messages and raw CAT (lib/qmi_cat.c, simota/qmi.h): the bytes
 * modem-emu writes (doc/modem-emu.md "CAT") and the Gobi API layouts say,
 * read and written back; every truncation refused.
 */
#include "test-support.h"
#include "simota/qmi.h"

/* An Event Report indication: header (indication, transaction 0, message 0x0001), then TLVs. */
static uint8_t *indication(const char *tlvs_hex, size_t *len)
{
	size_t n;
	uint8_t *tlvs = tv_hex(tlvs_hex, &n), *m = g_malloc(7 + n);

	m[0] = SIMOTA_QMI_FLAG_INDICATION;
	m[1] = m[2] = 0;
	m[3] = 0x01;
	m[4] = 0x00;
	m[5] = (uint8_t)n;
	m[6] = (uint8_t)(n >> 8);
	memcpy(m + 7, tlvs, n);
	g_free(tlvs);
	*len = 7 + n;
	return m;
}

/* DISPLAY TEXT "Hi", reference 0x01020304; the end of the session by the card. */
static const char display_text_tlv[] = "10" "1000" "04030201" "0a00" "d0088103012180820281";
static const char end_session_tlv[] = "1a" "0100" "01";

static void test_event_report(void)
{
	struct simota_qmi_msg msg;
	struct simota_qmi_cat_event ev;
	size_t len;
	uint8_t *m = indication(display_text_tlv, &len);

	/* the command and its reference id */
	g_assert_cmpint(simota_qmi_msg_decode(m, len, &msg), ==, SIMOTA_OK);
	g_assert_cmpuint(msg.message_id, ==, SIMOTA_QMI_CAT_SET_EVENT_REPORT);
	g_assert_true(msg.flags & SIMOTA_QMI_FLAG_INDICATION);
	g_assert_cmpint(simota_qmi_cat_event_decode(msg.tlvs, msg.tlvs_len, &ev), ==, SIMOTA_OK);
	g_assert_cmpuint(ev.n_commands, ==, 1);
	g_assert_cmpuint(ev.commands[0].ref, ==, 0x01020304);
	g_assert_cmpuint(ev.commands[0].tlv, ==, 0x10);
	tv_assert_hex(ev.commands[0].cmd, ev.commands[0].len, "d0088103012180820281");
	g_assert_false(ev.end_session);
	/* every cut of the message is refused: the header's TLV length, then the TLVs themselves */
	for (size_t n = 0; n < len; n++)
		g_assert_cmpint(simota_qmi_msg_decode(m, n, &msg), !=, SIMOTA_OK);
	for (size_t n = 1; n < len - 7; n++)
		g_assert_cmpint(simota_qmi_cat_event_decode(m + 7, n, &ev), !=, SIMOTA_OK);
	g_free(m);

	/* the end of the proactive session; a TLV of another kind skipped */
	{
		char *both = g_strconcat(end_session_tlv, "5001000a", NULL);

		m = indication(both, &len);
		g_free(both);
	}
	g_assert_cmpint(simota_qmi_msg_decode(m, len, &msg), ==, SIMOTA_OK);
	g_assert_cmpint(simota_qmi_cat_event_decode(msg.tlvs, msg.tlvs_len, &ev), ==, SIMOTA_OK);
	g_assert_true(ev.end_session && ev.end_type == 0x01 && ev.n_commands == 0 && ev.other_tlvs == 1);
	g_free(m);
}

/* A value that does not fill its TLV as it says: the whole indication refused. */
static void test_event_report_bad(void)
{
	static const char *bad[] = {
		"10" "0500" "0403020101",                              /* shorter than reference + length */
		"10" "0900" "04030201" "0500" "d003810301",            /* the command's length says 5, 3 follow */
		"10" "0b00" "04030201" "0300" "d0038103012180",        /* it says 3, 5 follow */
		"1a" "0200" "0101",                                    /* end session of 2 bytes */
		"10" "ffff" "04030201",                                /* the TLV runs past the end */
	};
	struct simota_qmi_cat_event ev;

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		size_t n;
		uint8_t *tlvs = tv_hex(bad[i], &n);

		g_assert_cmpint(simota_qmi_cat_event_decode(tlvs, n, &ev), !=, SIMOTA_OK);
		g_free(tlvs);
	}
}

static void test_terminal_response_and_envelope(void)
{
	static const uint8_t tr[] = { 0x81, 0x03, 0x01, 0x21, 0x80, 0x82, 0x02, 0x82, 0x81, 0x83, 0x01, 0x00 };
	static const uint8_t menu[] = { 0xD3, 0x07, 0x82, 0x02, 0x01, 0x81, 0x90, 0x01, 0x02 };
	static const uint8_t user_activity[] = { 0xD6, 0x07, 0x99, 0x01, 0x04, 0x82, 0x02, 0x82, 0x81 };
	static const uint8_t idle[] = { 0xD6, 0x07, 0x19, 0x01, 0x05, 0x82, 0x02, 0x02, 0x81 };
	static const uint8_t sms_pp[] = { 0xD1, 0x02, 0x82, 0x00 };
	uint8_t out[300];
	size_t len;
	uint16_t sw;
	const uint8_t *data;
	size_t dlen;

	g_assert_cmpint(simota_qmi_cat_tr_encode(0x01020304, tr, sizeof(tr), out, sizeof(out), &len), ==, SIMOTA_OK);
	tv_assert_hex(out, len, "04030201" "0c00" "810301218082028281830100");
	g_assert_cmpint(simota_qmi_cat_tr_encode(1, tr, sizeof(tr), out, 10, &len), ==, SIMOTA_ERR_NO_SPACE);
	g_assert_cmpint(simota_qmi_cat_tr_encode(1, tr, 0, out, sizeof(out), &len), ==, SIMOTA_ERR_BAD_LENGTH);

	g_assert_cmpint(simota_qmi_cat_envelope_type(menu, sizeof(menu)), ==, SIMOTA_QMI_CAT_ENV_MENU_SELECTION);
	g_assert_cmpint(simota_qmi_cat_envelope_type(user_activity, sizeof(user_activity)), ==,
			SIMOTA_QMI_CAT_ENV_USER_ACTIVITY);
	g_assert_cmpint(simota_qmi_cat_envelope_type(idle, sizeof(idle)), ==, SIMOTA_QMI_CAT_ENV_IDLE_SCREEN);
	g_assert_cmpint(simota_qmi_cat_envelope_type(sms_pp, sizeof(sms_pp)), ==, SIMOTA_QMI_CAT_ENV_SMS_PP_DOWNLOAD);
	g_assert_cmpint(simota_qmi_cat_envelope_type(idle, 3), ==, SIMOTA_QMI_CAT_ENV_UNKNOWN);
	g_assert_cmpint(simota_qmi_cat_envelope_encode(SIMOTA_QMI_CAT_ENV_MENU_SELECTION, menu, sizeof(menu), out,
						       sizeof(out), &len), ==, SIMOTA_OK);
	tv_assert_hex(out, len, "0100" "0900" "d307820201819001" "02");

	/* the card's answer: SW1 SW2, u8 length, data */
	g_assert_cmpint(simota_qmi_cat_card_answer_decode((const uint8_t *)"\x90\x00\x00", 3, &sw, &data, &dlen), ==,
			SIMOTA_OK);
	g_assert_true(sw == 0x9000 && dlen == 0);
	g_assert_cmpint(simota_qmi_cat_card_answer_decode((const uint8_t *)"\x91\x0b\x02\xab\xcd", 5, &sw, &data,
							  &dlen), ==, SIMOTA_OK);
	g_assert_true(sw == 0x910B && dlen == 2 && data[1] == 0xCD);
	g_assert_cmpint(simota_qmi_cat_card_answer_decode((const uint8_t *)"\x90\x00\x02\xab", 4, &sw, &data, &dlen),
			==, SIMOTA_ERR_BAD_LENGTH);
	g_assert_cmpint(simota_qmi_cat_card_answer_decode((const uint8_t *)"\x90\x00", 2, &sw, &data, &dlen), ==,
			SIMOTA_ERR_TRUNCATED);
}

static void test_result_and_kinds(void)
{
	size_t n, len;
	const struct simota_qmi_cat_kind *k = simota_qmi_cat_kinds(&n);
	uint8_t *tlvs = tv_hex("02" "0400" "0100" "3000" "10" "0100" "01", &len);
	uint16_t result, error;
	struct simota_qmi_tlv t;

	g_assert_cmpint(simota_qmi_result_decode(tlvs, len, &result, &error), ==, SIMOTA_OK);
	g_assert_true(result == 1 && error == 0x30);
	g_assert_cmpint(simota_qmi_tlv_find(tlvs, len, 0x10, &t), ==, SIMOTA_OK);
	g_assert_true(t.len == 1 && t.value[0] == 1);
	g_assert_cmpint(simota_qmi_tlv_find(tlvs, len, 0x11, &t), ==, SIMOTA_ERR_MISSING_VALUE);
	g_assert_cmpint(simota_qmi_result_decode(tlvs, 6, &result, &error), ==, SIMOTA_ERR_TRUNCATED);
	g_free(tlvs);
	/* one kind per type and per TLV; end session (bit 12) is no command */
	g_assert_cmpuint(n, >=, 20);
	for (size_t i = 0; i < n; i++) {
		g_assert_true(simota_qmi_cat_kind_by_type(k[i].type) == &k[i]);
		g_assert_true(simota_qmi_cat_kind_by_tlv(k[i].tlv) == &k[i]);
		g_assert_false(k[i].raw_mask & SIMOTA_QMI_CAT_RAW_END_SESSION);
	}
	g_assert_true(simota_qmi_cat_mode_is_raw(SIMOTA_QMI_CAT_MODE_GOBI));
	g_assert_false(simota_qmi_cat_mode_is_raw(SIMOTA_QMI_CAT_MODE_DECODED));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/qmi/cat/event-report", test_event_report);
	g_test_add_func("/qmi/cat/event-report-bad", test_event_report_bad);
	g_test_add_func("/qmi/cat/terminal-response-envelope", test_terminal_response_and_envelope);
	g_test_add_func("/qmi/result-and-kinds", test_result_and_kinds);
	return g_test_run();
}
