/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMS codec (TS 23.040, TS 31.111 §7.1.1, TS 31.115 §4) against every SMS
 * vector of secured-packets.json and every SEND SHORT MESSAGE TPDU of
 * cat-proactive.json, plus segmentation/reassembly and negative tests.
 */
#include "test-support.h"
#include "simota/sms.h"
#include "simota/text.h"
#include "simota/tlv.h"

/* ---- helpers -------------------------------------------------------------- */

static int ton_by_name(const char *s)
{
	static const char *names[] = { "unknown", "international", "national",
				       "network_specific", "subscriber", "alphanumeric",
				       "abbreviated" };
	for (int i = 0; i < (int)G_N_ELEMENTS(names); i++)
		if (!strcmp(s, names[i]))
			return i;
	g_error("unknown TON name %s", s);
}

static int npi_by_name(const char *s)
{
	if (!strcmp(s, "unknown"))
		return 0;
	if (!strcmp(s, "isdn_e164"))
		return 1;
	if (!strcmp(s, "national"))
		return 8;
	if (!strcmp(s, "private"))
		return 9;
	g_error("unknown NPI name %s", s);
}

/* Every proper prefix of a TPDU must fail to decode. */
enum tpdu_kind { KIND_DELIVER, KIND_SUBMIT, KIND_REPORT_ACK, KIND_REPORT_ERROR };

static simota_err decode_kind(enum tpdu_kind k, const uint8_t *p, size_t len, unsigned flags)
{
	struct simota_sms_deliver d;
	struct simota_sms_submit s;
	struct simota_sms_deliver_report r;

	switch (k) {
	case KIND_DELIVER:
		return simota_sms_deliver_decode(p, len, &d);
	case KIND_SUBMIT:
		return simota_sms_submit_decode(p, len, flags, &s);
	case KIND_REPORT_ACK:
		return simota_sms_deliver_report_decode(p, len, false, &r);
	case KIND_REPORT_ERROR:
		return simota_sms_deliver_report_decode(p, len, true, &r);
	}
	return SIMOTA_ERR_BAD_VALUE;
}

static void assert_truncations_fail(enum tpdu_kind k, const uint8_t *p, size_t len, unsigned flags)
{
	g_assert_cmpint(decode_kind(k, p, len, flags), ==, SIMOTA_OK);
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *copy = g_memdup2(p, cut); /* exact size: ASan sees overreads */
		simota_err err = decode_kind(k, copy, cut, flags);
		if (err == SIMOTA_OK)
			g_error("truncation to %zu of %zu octets decoded", cut, len);
		g_free(copy);
	}
}

static void assert_deliver_round_trip(const struct simota_sms_deliver *d, const char *hex)
{
	uint8_t out[SIMOTA_SMS_TPDU_MAX];
	size_t n;

	g_assert_cmpint(simota_sms_deliver_encode(d, out, sizeof(out), &n), ==, SIMOTA_OK);
	tv_assert_hex(out, n, hex);
}

static char *address_hex(const struct simota_sms_address *a)
{
	uint8_t buf[16];
	struct simota_writer w = simota_writer_init(buf, sizeof(buf));

	g_assert_cmpint(simota_sms_address_encode(a, &w), ==, SIMOTA_OK);
	g_assert_cmpint(simota_writer_status(&w), ==, SIMOTA_OK);
	return tv_to_hex(buf, w.len);
}

/* ---- secured-packets.json: envelopes[] ---------------------------------- */

static void check_pp_download(JsonObject *v)
{
	const char *sca_hex = tv_str(v, "sca"), *tpdu_hex = tv_str(v, "tpdu");
	size_t sca_len, tpdu_len, env_len, used;
	uint8_t *sca = tv_hex(sca_hex, &sca_len), *tpdu = tv_hex(tpdu_hex, &tpdu_len);
	uint8_t *env = tv_hex(tv_str(v, "envelope"), &env_len);
	char *joined = g_strconcat(sca_hex, tpdu_hex, NULL);
	struct simota_sms_address sca_addr, env_addr;
	struct simota_sms_deliver d;
	struct simota_tlv t, c;
	struct simota_reader r;
	bool saw_address = false, saw_tpdu = false;
	uint8_t buf[32];
	struct simota_writer w = simota_writer_init(buf, sizeof(buf));
	JsonArray *responses;

	g_assert_cmpstr(joined, ==, tv_str(v, "sms_pdu"));

	/* the SMSC address in RP form (TS 24.011 §8.2.5.1) */
	g_assert_cmpint(simota_sms_rp_address_decode(sca, sca_len, &sca_addr, &used), ==, SIMOTA_OK);
	g_assert_cmpuint(used, ==, sca_len);
	g_assert_cmpint(simota_sms_rp_address_encode(&sca_addr, &w), ==, SIMOTA_OK);
	tv_assert_hex(buf, w.len, sca_hex);

	/* the ENVELOPE carries the same address (TLV value form) and TPDU */
	g_assert_cmpint(simota_ber_tlv_parse_one(env, env_len, &t), ==, SIMOTA_OK);
	g_assert_cmphex(t.tag, ==, 0xD1);
	r = simota_reader_init(t.value, t.len);
	while (simota_reader_left(&r)) {
		g_assert_cmpint(simota_ctlv_next(&r, &c), ==, SIMOTA_OK);
		if (c.tag == 0x06) {
			g_assert_cmpint(simota_sms_address_value_decode(c.value, c.len, &env_addr), ==,
					SIMOTA_OK);
			g_assert_cmpstr(env_addr.digits, ==, sca_addr.digits);
			g_assert_cmpuint(env_addr.ton, ==, sca_addr.ton);
			g_assert_cmpuint(env_addr.npi, ==, sca_addr.npi);
			g_assert_cmpmem(c.value, c.len, sca + 1, sca_len - 1);
			saw_address = true;
		} else if (c.tag == 0x0B) {
			g_assert_cmpmem(c.value, c.len, tpdu, tpdu_len);
			saw_tpdu = true;
		}
	}
	g_assert_true(saw_address && saw_tpdu);

	/* the SMS-DELIVER: decode, re-encode */
	g_assert_cmpint(simota_sms_deliver_decode(tpdu, tpdu_len, &d), ==, SIMOTA_OK);
	assert_deliver_round_trip(&d, tpdu_hex);
	g_assert_cmphex(d.pid, ==, 0x7F);
	g_assert_cmpint(simota_dcs_decode(d.dcs).msg_class, ==, 2);
	assert_truncations_fail(KIND_DELIVER, tpdu, tpdu_len, 0);
	if (d.ud.udhi) {
		/* TS 31.115 §4: 027000 then the command packet */
		struct simota_sms_udh udh;
		size_t udh_octets;
		g_assert_cmpint(simota_sms_ud_get_udh(&d.ud, &udh, &udh_octets), ==, SIMOTA_OK);
		g_assert_cmpint(simota_sms_udh_find(&udh, SIMOTA_SMS_IEI_CPI), ==, 0);
		g_assert_cmpuint(udh_octets, ==, 3);
	} else {
		const uint8_t *p;
		size_t n;
		g_assert_cmpint(simota_sms_ud_payload(&d.ud, d.dcs, &p, &n), ==, SIMOTA_OK);
		g_assert_cmpmem(p, n, "TestMessage 1", 13);
	}

	/* every card answer → the ME's RP message and DELIVER-REPORT */
	responses = json_object_get_array_member(v, "card_responses");
	g_assert_cmpuint(json_array_get_length(responses), >, 0);
	for (guint i = 0; i < json_array_get_length(responses); i++) {
		JsonObject *cr = json_array_get_object_element(responses, i);
		size_t sw_len, data_len;
		uint8_t *sw = tv_hex(tv_str(cr, "sw"), &sw_len);
		uint8_t *data = tv_hex(tv_str(cr, "data"), &data_len);
		const char *action = tv_str(cr, "me_action"), *report = tv_str(cr, "deliver_report_tpdu");
		const char *fcs = tv_str(cr, "tp_fcs");
		struct simota_sms_pp_result res;

		g_assert_cmpuint(sw_len, ==, 2);
		g_assert_cmpint(simota_sms_pp_download_result(d.pid, d.dcs, (uint16_t)(sw[0] << 8 | sw[1]),
							      data, data_len, &res), ==, SIMOTA_OK);
		g_assert_cmpstr(res.rp == SIMOTA_RP_ACK ? "RP-ACK" : "RP-ERROR", ==, action);
		if (fcs)
			g_assert_cmphex(res.tp_fcs, ==, tv_hex_byte(fcs));
		else
			g_assert_cmphex(res.tp_fcs, ==, 0);
		g_assert_cmpint(res.has_report, ==, report != NULL);
		if (report) {
			uint8_t out[SIMOTA_SMS_TPDU_MAX];
			size_t n, rlen;
			uint8_t *raw = tv_hex(report, &rlen);
			struct simota_sms_deliver_report back;
			const uint8_t *p;
			size_t plen;
			bool is_error = res.rp == SIMOTA_RP_ERROR;

			g_assert_cmpint(simota_sms_deliver_report_encode(&res.report, out, sizeof(out), &n),
					==, SIMOTA_OK);
			tv_assert_hex(out, n, report);
			/* and the network side decodes it back */
			g_assert_cmpint(simota_sms_deliver_report_decode(raw, rlen, is_error, &back), ==,
					SIMOTA_OK);
			g_assert_true(back.has_pid && back.has_dcs && back.has_ud);
			g_assert_cmphex(back.pid, ==, d.pid);
			g_assert_cmphex(back.dcs, ==, d.dcs);
			if (is_error)
				g_assert_cmphex(back.fcs, ==, tv_hex_byte(fcs));
			g_assert_cmpint(simota_sms_ud_payload(&back.ud, back.dcs, &p, &plen), ==, SIMOTA_OK);
			g_assert_cmpmem(p, plen, data, data_len);
			g_assert_cmpint(simota_sms_deliver_report_encode(&back, out, sizeof(out), &n), ==,
					SIMOTA_OK);
			tv_assert_hex(out, n, report);
			assert_truncations_fail(is_error ? KIND_REPORT_ERROR : KIND_REPORT_ACK, raw, rlen, 0);
			g_free(raw);
		}
		g_free(sw);
		g_free(data);
	}
	g_free(sca);
	g_free(tpdu);
	g_free(env);
	g_free(joined);
}

static void check_udh(JsonObject *v)
{
	const char *hex = tv_str(v, "hex");
	JsonObject *expect = json_object_get_object_member(v, "expect");
	JsonArray *ies = json_object_get_array_member(expect, "ies");
	size_t len, udh_octets;
	uint8_t *p = tv_hex(hex, &len);
	struct simota_sms_udh udh;
	uint8_t out[160];
	struct simota_writer w = simota_writer_init(out, sizeof(out));
	char *tail;

	g_assert_cmpint(simota_sms_udh_parse(p, len, &udh, &udh_octets), ==, SIMOTA_OK);
	g_assert_cmpuint(udh.n_ies, ==, json_array_get_length(ies));
	for (guint i = 0; i < json_array_get_length(ies); i++) {
		JsonObject *ie = json_array_get_object_element(ies, i);
		char *value = tv_to_hex(simota_sms_udh_value(&udh, (int)i), udh.ies[i].len);
		g_assert_cmphex(udh.ies[i].iei, ==, tv_hex_byte(tv_str(ie, "iei")));
		g_assert_cmpstr(value, ==, tv_str(ie, "value"));
		g_free(value);
	}
	tail = tv_to_hex(p + udh_octets, len - udh_octets);
	g_assert_cmpstr(tail, ==, tv_str(expect, "tail"));
	g_free(tail);
	/* re-encode: the header part of the input */
	g_assert_cmpint(simota_sms_udh_encode(&udh, &w), ==, SIMOTA_OK);
	g_assert_cmpuint(w.len, ==, udh_octets);
	g_assert_cmpmem(out, w.len, p, udh_octets);
	for (size_t cut = 0; cut < udh_octets; cut++) {
		uint8_t *copy = g_memdup2(p, cut);
		g_assert_cmpint(simota_sms_udh_parse(copy, cut, &udh, &udh_octets), !=, SIMOTA_OK);
		g_free(copy);
	}
	g_free(p);
}

static void check_address(JsonObject *v)
{
	const char *hex = tv_str(v, "hex");
	JsonObject *expect = json_object_get_object_member(v, "expect");
	size_t len, used;
	uint8_t *p = tv_hex(hex, &len);
	struct simota_sms_address a;
	char *tail, *again;

	g_assert_cmpint(simota_sms_address_decode(p, len, &a, &used), ==, SIMOTA_OK);
	g_assert_cmpint(a.ton, ==, ton_by_name(tv_str(expect, "ton")));
	g_assert_cmpint(a.npi, ==, npi_by_name(tv_str(expect, "npi")));
	g_assert_cmpstr(a.digits, ==, tv_str(expect, "digits"));
	tail = tv_to_hex(p + used, len - used);
	g_assert_cmpstr(tail, ==, tv_str(expect, "trailer"));
	again = address_hex(&a);
	g_assert_cmpuint(strlen(again), ==, 2 * used);
	g_assert_true(g_ascii_strncasecmp(again, hex, 2 * used) == 0);
	for (size_t cut = 0; cut < used; cut++) {
		uint8_t *copy = g_memdup2(p, cut);
		g_assert_cmpint(simota_sms_address_decode(copy, cut, &a, &used), !=, SIMOTA_OK);
		g_free(copy);
	}
	g_free(tail);
	g_free(again);
	g_free(p);
}

static void check_deliver_tpdu(JsonObject *v)
{
	const char *hex = tv_str(v, "hex");
	JsonObject *e = json_object_get_object_member(v, "expect");
	size_t len;
	uint8_t *p = tv_hex(hex, &len);
	struct simota_sms_deliver d;

	g_assert_cmpint(simota_sms_deliver_decode(p, len, &d), ==, SIMOTA_OK);
	g_assert_cmpint(p[0] & 3, ==, json_object_get_int_member(e, "mti"));
	g_assert_cmpint(d.tp_mms, ==, json_object_get_boolean_member(e, "tp_mms_bit"));
	g_assert_cmpint(d.tp_lp, ==, json_object_get_boolean_member(e, "lp"));
	g_assert_cmpint(d.tp_rp, ==, json_object_get_boolean_member(e, "rp"));
	g_assert_cmpint(d.ud.udhi, ==, json_object_get_boolean_member(e, "udhi"));
	g_assert_cmpint(d.tp_sri, ==, json_object_get_boolean_member(e, "sri"));
	g_assert_cmphex(d.pid, ==, tv_hex_byte(tv_str(e, "pid")));
	g_assert_cmphex(d.dcs, ==, tv_hex_byte(tv_str(e, "dcs")));
	g_assert_cmpint(d.ud.udl, ==, json_object_get_int_member(e, "udl"));
	/* TOA D0: alphanumeric, 8 semi-octets = 4 septets (TS 23.040 §9.1.2.5) */
	g_assert_cmpint(d.oa.ton, ==, SIMOTA_SMS_TON_ALPHANUMERIC);
	g_assert_cmpuint(g_utf8_strlen(d.oa.digits, -1), ==, 4);
	assert_deliver_round_trip(&d, hex);
	assert_truncations_fail(KIND_DELIVER, p, len, 0);
	g_free(p);
}

static void test_envelope(gconstpointer data)
{
	JsonObject *v = (JsonObject *)data;
	const char *kind = tv_str(v, "kind");

	if (!strcmp(kind, "sms_pp_download"))
		check_pp_download(v);
	else if (!strcmp(kind, "sms_udh"))
		check_udh(v);
	else if (!strcmp(kind, "sms_address"))
		check_address(v);
	else if (!strcmp(kind, "sms_deliver_tpdu"))
		check_deliver_tpdu(v);
	else
		g_error("envelope vector of unknown kind %s", kind);
}

/* ---- secured-packets.json: command_packets[].sms_deliver_tpdu ----------- */

static void test_command_deliver(gconstpointer data)
{
	JsonObject *v = (JsonObject *)data;
	JsonObject *s = json_object_get_object_member(v, "sms_deliver_tpdu");
	JsonObject *f = json_object_get_object_member(s, "fields");
	const char *hex = tv_str(s, "udl_corrected");
	size_t len, plen, n;
	uint8_t *p = tv_hex(hex, &len), *published = tv_hex(tv_str(s, "published"), &plen);
	uint8_t out[SIMOTA_SMS_TPDU_MAX], packet[512], iei;
	struct simota_sms_deliver d;
	struct simota_sms_udh udh;
	struct simota_sms_reassembly *st = g_new(struct simota_sms_reassembly, 1);
	struct simota_writer w = simota_writer_init(out, sizeof(out));
	size_t udh_octets;
	char *oa, *packet_hex;

	g_assert_cmpint(simota_sms_deliver_decode(p, len, &d), ==, SIMOTA_OK);
	g_assert_cmphex(p[0], ==, tv_hex_byte(tv_str(f, "fo")));
	g_assert_true(d.ud.udhi);
	g_assert_false(d.tp_mms || d.tp_lp || d.tp_sri || d.tp_rp);
	oa = address_hex(&d.oa);
	g_assert_cmpstr(oa, ==, tv_str(f, "oa"));
	g_assert_cmpstr(d.oa.digits, ==, tv_str(f, "oa_digits"));
	g_assert_cmphex(0x80 | d.oa.ton << 4 | d.oa.npi, ==, tv_hex_byte(tv_str(f, "oa_ton_npi")));
	g_assert_cmphex(d.pid, ==, tv_hex_byte(tv_str(f, "pid")));
	g_assert_cmphex(d.dcs, ==, tv_hex_byte(tv_str(f, "dcs")));
	g_assert_cmpint(simota_sms_scts_encode(&d.scts, &w), ==, SIMOTA_OK);
	tv_assert_hex(out, w.len, tv_str(f, "scts"));

	/* UD = 027000 + the command packet of the same vector */
	g_assert_cmpint(simota_sms_ud_get_udh(&d.ud, &udh, &udh_octets), ==, SIMOTA_OK);
	g_assert_cmpuint(udh.n_ies, ==, 1);
	g_assert_cmphex(udh.ies[0].iei, ==, SIMOTA_SMS_IEI_CPI);
	simota_sms_reassembly_init(st);
	g_assert_cmpint(simota_sms_reassembly_add(st, &d.ud), ==, SIMOTA_OK);
	g_assert_cmpint(simota_sms_reassembly_get(st, packet, sizeof(packet), &n, &iei), ==, SIMOTA_OK);
	g_assert_cmphex(iei, ==, SIMOTA_SMS_IEI_CPI);
	packet_hex = tv_to_hex(packet, n);
	g_assert_cmpstr(packet_hex, ==, tv_str(v, "expected"));

	assert_deliver_round_trip(&d, hex);
	assert_truncations_fail(KIND_DELIVER, p, len, 0);

	/* the published TPDU's TP-UDL 03 does not match its 0x25/0x2d octets of UD */
	g_assert_cmpint(simota_sms_deliver_decode(published, plen, &d), ==, SIMOTA_ERR_TRAILING_DATA);

	g_free(st);
	g_free(oa);
	g_free(packet_hex);
	g_free(p);
	g_free(published);
}

/* ---- cat-proactive.json: SEND SHORT MESSAGE TPDUs ------------------------ */

static void test_send_sms(gconstpointer data)
{
	JsonObject *v = (JsonObject *)data;
	JsonObject *extra = json_object_get_object_member(v, "extra");
	JsonObject *sub = json_object_get_object_member(extra, "sms_submit");
	JsonObject *da = json_object_get_object_member(sub, "daddr");
	const char *hex = tv_str(extra, "tpdu"), *ud_text = tv_str(sub, "ud");
	bool pack = tv_hex_byte(tv_str(v, "qualifier")) & 0x01;
	unsigned flags = pack ? SIMOTA_SMS_DECODE_UNPACKED_UD : 0;
	size_t len, n;
	uint8_t *p = tv_hex(hex, &len), out[SIMOTA_SMS_TPDU_MAX];
	struct simota_sms_submit s;
	char text[1024];

	g_assert_cmpint(simota_sms_submit_decode(p, len, flags, &s), ==, SIMOTA_OK);
	g_assert_cmpint(s.mr, ==, json_object_get_int_member(sub, "mr"));
	g_assert_cmpint(s.da.ton, ==, json_object_get_int_member(da, "number_type"));
	g_assert_cmpint(s.da.npi, ==, json_object_get_int_member(da, "numbering_plan"));
	g_assert_cmpstr(s.da.digits, ==, tv_str(da, "address"));
	g_assert_cmpint(s.pid, ==, json_object_get_int_member(sub, "pid"));

	/* re-encode the TPDU as the card sent it */
	g_assert_cmpint(simota_sms_submit_encode(&s, out, sizeof(out), &n), ==, SIMOTA_OK);
	tv_assert_hex(out, n, hex);
	assert_truncations_fail(KIND_SUBMIT, p, len, flags);

	/* TS 102 223 §6.4.10: the ME packs; the facts are those after packing */
	if (pack) {
		g_assert_cmpint(simota_sms_submit_pack(&s), ==, SIMOTA_OK);
		g_assert_cmpint(simota_sms_submit_encode(&s, out, sizeof(out), &n), ==, SIMOTA_OK);
		g_assert_cmpuint(n, <=, 164);
	}
	g_assert_cmpint(s.dcs, ==, json_object_get_int_member(sub, "dcs"));
	g_assert_cmpint(s.ud.udl, ==, json_object_get_int_member(sub, "udl"));
	if (simota_dcs_decode(s.dcs).charset == SIMOTA_CHARSET_8BIT) {
		const uint8_t *payload;
		g_assert_cmpint(simota_sms_ud_payload(&s.ud, s.dcs, &payload, &n), ==, SIMOTA_OK);
		g_assert_cmpmem(payload, n, ud_text, strlen(ud_text));
	} else {
		g_assert_cmpint(simota_sms_ud_text(&s.ud, s.dcs, text, sizeof(text), &n), ==, SIMOTA_OK);
		g_assert_cmpstr(text, ==, ud_text);
		/* and the text codes back to the same user data */
		struct simota_sms_ud again;
		g_assert_cmpint(simota_sms_ud_set_text(&again, s.dcs, NULL, text, n), ==, SIMOTA_OK);
		g_assert_cmpmem(again.ud, again.len, s.ud.ud, s.ud.len);
		g_assert_cmpint(again.udl, ==, s.ud.udl);
	}
	g_free(p);
}

/* ---- segmentation and reassembly (TS 31.115 §4) --------------------------- */

static void make_packet(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + 3);
}

static void check_segments(const struct simota_sms_ud *segs, size_t n, uint16_t ref, bool ref16)
{
	for (size_t i = 0; i < n; i++) {
		struct simota_sms_udh udh;
		struct simota_sms_concat c;
		struct simota_sms_deliver d = { 0 }, back;
		uint8_t tpdu[SIMOTA_SMS_TPDU_MAX];
		size_t udh_octets, tlen;

		g_assert_true(segs[i].udhi);
		g_assert_cmpuint(segs[i].len, <=, SIMOTA_SMS_UD_MAX);
		g_assert_cmpint(simota_sms_ud_get_udh(&segs[i], &udh, &udh_octets), ==, SIMOTA_OK);
		/* the packet identifier only in the first segment */
		g_assert_cmpint(simota_sms_udh_find(&udh, SIMOTA_SMS_IEI_CPI) >= 0, ==, i == 0);
		if (n == 1) {
			g_assert_cmpint(simota_sms_udh_get_concat(&udh, &c), ==, SIMOTA_ERR_MISSING_VALUE);
		} else {
			g_assert_cmpint(simota_sms_udh_get_concat(&udh, &c), ==, SIMOTA_OK);
			g_assert_cmpuint(c.ref, ==, ref);
			g_assert_cmpint(c.ref16, ==, ref16);
			g_assert_cmpuint(c.total, ==, n);
			g_assert_cmpuint(c.seq, ==, i + 1);
			if (i + 1 < n) /* full segments */
				g_assert_cmpuint(segs[i].len, ==, SIMOTA_SMS_UD_MAX);
		}
		/* each one travels in an SMS-DELIVER, PID 7F, DCS F6 */
		d.oa.ton = 1;
		d.oa.npi = 1;
		strcpy(d.oa.digits, "4912345");
		d.pid = 0x7F;
		d.dcs = 0xF6;
		d.ud = segs[i];
		g_assert_cmpint(simota_sms_deliver_encode(&d, tpdu, sizeof(tpdu), &tlen), ==, SIMOTA_OK);
		g_assert_cmpint(simota_sms_deliver_decode(tpdu, tlen, &back), ==, SIMOTA_OK);
		g_assert_cmpmem(back.ud.ud, back.ud.len, segs[i].ud, segs[i].len);
	}
}

static void reassemble_order(const struct simota_sms_ud *segs, size_t n, const size_t *order,
			     const uint8_t *packet, size_t len)
{
	struct simota_sms_reassembly *st = g_new(struct simota_sms_reassembly, 1);
	uint8_t *out = g_malloc(len + 1), iei = 0;
	size_t olen;

	simota_sms_reassembly_init(st);
	for (size_t k = 0; k < n; k++) {
		simota_err err = simota_sms_reassembly_add(st, &segs[order[k]]);
		g_assert_cmpint(err, ==, k + 1 == n ? SIMOTA_OK : SIMOTA_ERR_INCOMPLETE);
		if (k + 1 < n)
			g_assert_cmpint(simota_sms_reassembly_get(st, out, len + 1, &olen, &iei), ==,
					SIMOTA_ERR_INCOMPLETE);
		/* a segment seen before is refused and changes nothing */
		if (k + 1 < n)
			g_assert_cmpint(simota_sms_reassembly_add(st, &segs[order[k]]), ==,
					SIMOTA_ERR_DUPLICATE);
	}
	g_assert_cmpint(simota_sms_reassembly_get(st, out, len + 1, &olen, &iei), ==, SIMOTA_OK);
	g_assert_cmpmem(out, olen, packet, len);
	g_assert_cmphex(iei, ==, SIMOTA_SMS_IEI_CPI);
	if (len)
		g_assert_cmpint(simota_sms_reassembly_get(st, out, len - 1, &olen, &iei), ==,
				SIMOTA_ERR_NO_SPACE);
	g_free(out);
	g_free(st);
}

static void test_segmentation_round_trip(void)
{
	static const size_t sizes[] = { 0, 1, 22, 137, 138, 132 + 134, 132 + 134 + 1, 1000,
					132 + 31 * 134 };
	struct simota_sms_ud *segs = g_new(struct simota_sms_ud, 40);

	for (int r16 = 0; r16 < 2; r16++) {
		for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++) {
			size_t len = sizes[s], n, order[40];
			uint8_t *packet = g_malloc(len + 1);
			uint16_t ref = r16 ? 0xBEEF : 0x42;
			GRand *rnd = g_rand_new_with_seed((guint32)(len * 2 + r16));

			if (r16 && len == 132 + 31 * 134)
				len -= 32;  /* 16 bit reference: one octet less per segment */
			make_packet(packet, len);
			g_assert_cmpint(simota_sms_segment_packet(SIMOTA_SMS_IEI_CPI, packet, len, ref,
								  r16, segs, 40, &n), ==, SIMOTA_OK);
			g_assert_cmpuint(n, ==, len + 3 <= 140 ? 1 :
					 1 + (len - (r16 ? 131 : 132) + (r16 ? 132 : 133)) /
					     (r16 ? 133 : 134));
			check_segments(segs, n, ref, r16);
			/* in order, reversed, shuffled */
			for (size_t i = 0; i < n; i++)
				order[i] = i;
			reassemble_order(segs, n, order, packet, len);
			for (size_t i = 0; i < n; i++)
				order[i] = n - 1 - i;
			reassemble_order(segs, n, order, packet, len);
			for (size_t i = n; i > 1; i--) {
				size_t j = (size_t)g_rand_int_range(rnd, 0, (gint32)i), t = order[i - 1];
				order[i - 1] = order[j];
				order[j] = t;
			}
			reassemble_order(segs, n, order, packet, len);
			g_rand_free(rnd);
			g_free(packet);
		}
	}
	g_free(segs);
}

static void test_segmentation_limits(void)
{
	struct simota_sms_ud segs[3];
	uint8_t packet[600];
	size_t n;

	make_packet(packet, sizeof(packet));
	/* more segments than the caller has room for */
	g_assert_cmpint(simota_sms_segment_packet(0x70, packet, sizeof(packet), 1, false, segs, 3, &n),
			==, SIMOTA_ERR_NO_SPACE);
	g_assert_cmpint(simota_sms_segment_packet(0x70, packet, 10, 1, false, segs, 0, &n),
			==, SIMOTA_ERR_NO_SPACE);
	/* an 8 bit reference above 255 */
	g_assert_cmpint(simota_sms_segment_packet(0x70, packet, 300, 256, false, segs, 3, &n),
			==, SIMOTA_ERR_BAD_VALUE);
	/* a response packet (71) works the same */
	g_assert_cmpint(simota_sms_segment_packet(0x71, packet, 300, 7, false, segs, 3, &n), ==, SIMOTA_OK);
	g_assert_cmpuint(n, ==, 3);
	tv_assert_hex(segs[0].ud, 8, "0700030703017100");
	tv_assert_hex(segs[1].ud, 6, "050003070302");
}

static void test_reassembly_errors(void)
{
	struct simota_sms_reassembly *st = g_new(struct simota_sms_reassembly, 1);
	struct simota_sms_ud a[3], b[4], c[3];
	uint8_t packet[500], out[500];
	size_t n, olen;

	make_packet(packet, sizeof(packet));
	g_assert_cmpint(simota_sms_segment_packet(0x70, packet, 300, 9, false, a, 3, &n), ==, SIMOTA_OK);
	g_assert_cmpint(simota_sms_segment_packet(0x70, packet, 500, 9, false, b, 4, &n), ==, SIMOTA_OK);
	g_assert_cmpint(simota_sms_segment_packet(0x70, packet, 300, 10, false, c, 3, &n), ==, SIMOTA_OK);

	/* missing segment: never complete */
	simota_sms_reassembly_init(st);
	g_assert_cmpint(simota_sms_reassembly_add(st, &a[0]), ==, SIMOTA_ERR_INCOMPLETE);
	g_assert_cmpint(simota_sms_reassembly_add(st, &a[2]), ==, SIMOTA_ERR_INCOMPLETE);
	g_assert_cmpint(simota_sms_reassembly_get(st, out, sizeof(out), &olen, NULL), ==,
			SIMOTA_ERR_INCOMPLETE);
	/* same reference, other total */
	g_assert_cmpint(simota_sms_reassembly_add(st, &b[1]), ==, SIMOTA_ERR_BAD_VALUE);
	/* other reference */
	g_assert_cmpint(simota_sms_reassembly_add(st, &c[1]), ==, SIMOTA_ERR_BAD_VALUE);
	/* duplicate */
	g_assert_cmpint(simota_sms_reassembly_add(st, &a[2]), ==, SIMOTA_ERR_DUPLICATE);
	g_assert_cmpuint(st->received, ==, 2);
	/* a non-segmented message in the middle of one: another message */
	struct simota_sms_ud single;
	g_assert_cmpint(simota_sms_segment_packet(0x70, packet, 20, 9, false, &single, 1, &n), ==,
			SIMOTA_OK);
	g_assert_cmpint(simota_sms_reassembly_add(st, &single), ==, SIMOTA_ERR_BAD_VALUE);
	g_assert_cmpint(simota_sms_reassembly_add(st, &a[1]), ==, SIMOTA_OK);
	g_assert_cmpint(simota_sms_reassembly_get(st, out, sizeof(out), &olen, NULL), ==, SIMOTA_OK);
	g_assert_cmpmem(out, olen, packet, 300);

	/* sequence number 0 / above the total; too many segments; malformed UDH */
	static const char *bad[] = { "050003010200", "050003010203", "050003012101", "0500030102",
				     "060003010201" };
	static const simota_err bad_err[] = { SIMOTA_ERR_BAD_VALUE, SIMOTA_ERR_BAD_VALUE,
					      SIMOTA_ERR_UNSUPPORTED, SIMOTA_ERR_TRUNCATED,
					      SIMOTA_ERR_TRUNCATED };
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct simota_sms_ud ud = { .udhi = true };
		uint8_t *raw = tv_hex(bad[i], &n);
		memcpy(ud.ud, raw, n);
		ud.len = ud.udl = (uint8_t)n;
		simota_sms_reassembly_init(st);
		g_assert_cmpint(simota_sms_reassembly_add(st, &ud), ==, bad_err[i]);
		g_assert_false(st->started);
		g_free(raw);
	}
	g_free(st);
}

/* ---- addresses, time stamps, validity period ----------------------------- */

static void test_address_forms(void)
{
	struct simota_sms_address a = { 0 }, b;
	uint8_t buf[32];
	struct simota_writer w;
	size_t used;
	char *hex;

	/* alphanumeric, encoded with the useful semi-octets (TS 23.040 §9.1.2.5) */
	a.ton = SIMOTA_SMS_TON_ALPHANUMERIC;
	strcpy(a.digits, "Hello");
	hex = address_hex(&a);
	/* 5 septets = 35 bits: 9 useful semi-octets, 5 octets */
	g_assert_cmpstr(hex, ==, "09d0c8329bfd06");
	g_free(hex);
	w = simota_writer_init(buf, sizeof(buf));
	g_assert_cmpint(simota_sms_address_encode(&a, &w), ==, SIMOTA_OK);
	g_assert_cmpint(simota_sms_address_decode(buf, w.len, &b, &used), ==, SIMOTA_OK);
	g_assert_cmpstr(b.digits, ==, "Hello");
	g_assert_cmpuint(used, ==, w.len);
	/* 11 characters fit, 12 do not */
	strcpy(a.digits, "ABCDEFGHIJK");
	a.tp_length = 0;
	hex = address_hex(&a);
	g_assert_cmpstr(hex, ==, "14d041e19058341e9149e512");
	g_free(hex);
	strcpy(a.digits, "ABCDEFGHIJKL");
	w = simota_writer_init(buf, sizeof(buf));
	g_assert_cmpint(simota_sms_address_encode(&a, &w), ==, SIMOTA_ERR_BAD_LENGTH);

	/* BCD with * # and odd count */
	memset(&a, 0, sizeof(a));
	a.ton = 1;
	a.npi = 1;
	strcpy(a.digits, "*100#");
	hex = address_hex(&a);
	g_assert_cmpstr(hex, ==, "05911a00fb");
	g_free(hex);
	strcpy(a.digits, "12x");
	w = simota_writer_init(buf, sizeof(buf));
	g_assert_cmpint(simota_sms_address_encode(&a, &w), ==, SIMOTA_ERR_BAD_VALUE);
	strcpy(a.digits, "123456789012345678901");
	w = simota_writer_init(buf, sizeof(buf));
	g_assert_cmpint(simota_sms_address_encode(&a, &w), ==, SIMOTA_ERR_BAD_LENGTH);
	/* a length above 20 semi-octets, a filler inside the digits */
	g_assert_cmpint(simota_sms_address_decode((const uint8_t *)"\x15\x91", 2, &b, &used), ==,
			SIMOTA_ERR_BAD_LENGTH);
	g_assert_cmpint(simota_sms_address_decode((const uint8_t *)"\x04\x91\xf1\x21", 4, &b, &used), ==,
			SIMOTA_ERR_BAD_VALUE);

	/* RP address: empty, and the SMSC of the TS 31.124 vectors */
	g_assert_cmpint(simota_sms_rp_address_decode((const uint8_t *)"\x00", 1, &b, &used), ==, SIMOTA_OK);
	g_assert_cmpuint(used, ==, 1);
	g_assert_cmpstr(b.digits, ==, "");
	w = simota_writer_init(buf, sizeof(buf));
	g_assert_cmpint(simota_sms_rp_address_encode(&b, &w), ==, SIMOTA_OK);
	tv_assert_hex(buf, w.len, "00");
	g_assert_cmpint(simota_sms_rp_address_decode((const uint8_t *)"\x0c\x91", 2, &b, &used), ==,
			SIMOTA_ERR_TRUNCATED);
	memset(&a, 0, sizeof(a));
	a.ton = 1;
	a.npi = 1;
	strcpy(a.digits, "112233445566778");
	w = simota_writer_init(buf, sizeof(buf));
	g_assert_cmpint(simota_sms_address_value_encode(&a, &w), ==, SIMOTA_OK);
	tv_assert_hex(buf, w.len, "9111223344556677f8");
	g_assert_cmpint(simota_sms_address_value_decode(buf, w.len, &b), ==, SIMOTA_OK);
	g_assert_cmpstr(b.digits, ==, "112233445566778");
	g_assert_cmpint(simota_sms_address_value_decode(buf, 0, &b), ==, SIMOTA_ERR_TRUNCATED);
}

static void test_scts_and_vp(void)
{
	struct simota_sms_scts t = { 24, 12, 31, 23, 59, 58, -20 }, back;
	uint8_t buf[8], vp[7];
	struct simota_writer w = simota_writer_init(buf, sizeof(buf));
	uint32_t secs;
	bool single;

	/* TS 23.040 §9.2.3.11: swapped semi-octets, TZ sign in bit 3 */
	g_assert_cmpint(simota_sms_scts_encode(&t, &w), ==, SIMOTA_OK);
	tv_assert_hex(buf, w.len, "422113329585" "0a");
	g_assert_cmpint(simota_sms_scts_decode(buf, &back), ==, SIMOTA_OK);
	g_assert_cmpmem(&back, sizeof(back), &t, sizeof(t));
	g_assert_cmpint(simota_sms_scts_decode((const uint8_t *)"\x4a\x21\x13\x32\x95\x85\x0a", &back),
			==, SIMOTA_ERR_BAD_VALUE);
	t.tz_quarters = 80;
	w = simota_writer_init(buf, sizeof(buf));
	g_assert_cmpint(simota_sms_scts_encode(&t, &w), ==, SIMOTA_ERR_BAD_VALUE);

	/* TS 23.040 §9.2.3.12.1 */
	g_assert_cmpuint(simota_sms_vp_relative_seconds(0), ==, 300);
	g_assert_cmpuint(simota_sms_vp_relative_seconds(143), ==, 12 * 3600);
	g_assert_cmpuint(simota_sms_vp_relative_seconds(144), ==, 12 * 3600 + 1800);
	g_assert_cmpuint(simota_sms_vp_relative_seconds(167), ==, 24 * 3600);
	g_assert_cmpuint(simota_sms_vp_relative_seconds(168), ==, 2 * 86400);
	g_assert_cmpuint(simota_sms_vp_relative_seconds(196), ==, 30 * 86400);
	g_assert_cmpuint(simota_sms_vp_relative_seconds(197), ==, 5 * 7 * 86400);
	g_assert_cmpuint(simota_sms_vp_relative_seconds(255), ==, 63 * 7 * 86400);
	g_assert_cmpuint(simota_sms_vp_relative_from_seconds(1), ==, 0);
	g_assert_cmpuint(simota_sms_vp_relative_from_seconds(301), ==, 1);
	g_assert_cmpuint(simota_sms_vp_relative_from_seconds(86400), ==, 167);
	g_assert_cmpuint(simota_sms_vp_relative_from_seconds(100000000), ==, 255);

	/* TS 23.040 §9.2.3.12.3 */
	g_assert_cmpint(simota_sms_vp_enhanced_encode(200, true, vp), ==, SIMOTA_OK);
	tv_assert_hex(vp, 7, "42c80000000000");
	g_assert_cmpint(simota_sms_vp_enhanced_decode(vp, &secs, &single), ==, SIMOTA_OK);
	g_assert_cmpuint(secs, ==, 200);
	g_assert_true(single);
	g_assert_cmpint(simota_sms_vp_enhanced_encode(3 * 3600 + 25 * 60 + 7, false, vp), ==, SIMOTA_OK);
	tv_assert_hex(vp, 7, "03305270000000");
	g_assert_cmpint(simota_sms_vp_enhanced_decode(vp, &secs, &single), ==, SIMOTA_OK);
	g_assert_cmpuint(secs, ==, 3 * 3600 + 25 * 60 + 7);
	vp[0] = 0x01;
	vp[1] = 167;
	g_assert_cmpint(simota_sms_vp_enhanced_decode(vp, &secs, &single), ==, SIMOTA_OK);
	g_assert_cmpuint(secs, ==, 86400);
	vp[0] = 0x05;
	g_assert_cmpint(simota_sms_vp_enhanced_decode(vp, &secs, &single), ==, SIMOTA_ERR_UNSUPPORTED);
	vp[0] = 0x81;
	g_assert_cmpint(simota_sms_vp_enhanced_decode(vp, &secs, &single), ==, SIMOTA_ERR_UNSUPPORTED);
}

/* SMS-SUBMIT with each validity period format, UDH and GSM 7 bit text. */
static void test_submit_forms(void)
{
	static const char *tpdus[] = {
		/* VPF relative, RD, SRR, 7 bit "hello" */
		"350104812143" "0000aa05e8329bfd06",
		/* VPF absolute, UDH with concatenation, 7 bit "Hello" after 1 fill bit */
		"59020491214300004221133295850a0c050003cc0201906536fb0d",
		/* VPF enhanced, UCS2 */
		"0d0300800008420000000000000400410042",
		/* no VP, 8 bit, reply path */
		"81000081000403616263",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(tpdus); i++) {
		size_t len, n;
		uint8_t *p = tv_hex(tpdus[i], &len), out[SIMOTA_SMS_TPDU_MAX];
		struct simota_sms_submit s;
		char text[64];

		g_assert_cmpint(simota_sms_submit_decode(p, len, 0, &s), ==, SIMOTA_OK);
		g_assert_cmpint(simota_sms_submit_encode(&s, out, sizeof(out), &n), ==, SIMOTA_OK);
		tv_assert_hex(out, n, tpdus[i]);
		assert_truncations_fail(KIND_SUBMIT, p, len, 0);
		switch (i) {
		case 0:
			g_assert_true(s.tp_rd && s.tp_srr && !s.tp_rp);
			g_assert_cmpint(s.vp.format, ==, SIMOTA_SMS_VPF_RELATIVE);
			g_assert_cmpuint(s.vp.relative, ==, 0xAA);
			g_assert_cmpint(simota_sms_ud_text(&s.ud, s.dcs, text, sizeof(text), &n), ==, SIMOTA_OK);
			g_assert_cmpstr(text, ==, "hello");
			break;
		case 1: {
			struct simota_sms_udh udh;
			struct simota_sms_concat c;
			struct simota_sms_ud again;
			g_assert_cmpint(s.vp.format, ==, SIMOTA_SMS_VPF_ABSOLUTE);
			g_assert_cmpint(s.vp.absolute.tz_quarters, ==, -20);
			g_assert_cmpint(simota_sms_ud_text(&s.ud, s.dcs, text, sizeof(text), &n), ==, SIMOTA_OK);
			g_assert_cmpstr(text, ==, "Hello");
			g_assert_cmpint(simota_sms_ud_get_udh(&s.ud, &udh, &n), ==, SIMOTA_OK);
			g_assert_cmpint(simota_sms_udh_get_concat(&udh, &c), ==, SIMOTA_OK);
			g_assert_true(c.ref == 0xCC && c.total == 2 && c.seq == 1 && !c.ref16);
			/* built the other way: same bytes, TP-UDL 12 septets */
			g_assert_cmpint(simota_sms_ud_set_text(&again, 0x00, &udh, "Hello", 5), ==, SIMOTA_OK);
			g_assert_cmpuint(again.udl, ==, 12);
			g_assert_cmpmem(again.ud, again.len, s.ud.ud, s.ud.len);
			break;
		}
		case 2:
			g_assert_cmpint(s.vp.format, ==, SIMOTA_SMS_VPF_ENHANCED);
			g_assert_cmpstr(s.da.digits, ==, "");
			g_assert_cmpint(simota_sms_ud_text(&s.ud, s.dcs, text, sizeof(text), &n), ==, SIMOTA_OK);
			g_assert_cmpstr(text, ==, "AB");
			break;
		case 3:
			g_assert_true(s.tp_rp);
			g_assert_cmpint(simota_sms_ud_text(&s.ud, s.dcs, text, sizeof(text), &n), ==,
					SIMOTA_ERR_BAD_VALUE);
			break;
		}
		g_free(p);
	}
}

static void test_tpdu_errors(void)
{
	static const struct {
		const char *hex;
		enum tpdu_kind kind;
		simota_err err;
	} cases[] = {
		/* wrong MTI */
		{ "0104912143000010100000000000", KIND_DELIVER, SIMOTA_ERR_BAD_VALUE },
		{ "0204912143000010100000000000", KIND_DELIVER, SIMOTA_ERR_BAD_VALUE },
		{ "0000049121430000", KIND_SUBMIT, SIMOTA_ERR_BAD_VALUE },
		{ "0100", KIND_REPORT_ACK, SIMOTA_ERR_BAD_VALUE },
		/* trailing octet after the UD */
		{ "0004912143000010100000000000" "0161" "00", KIND_DELIVER, SIMOTA_ERR_TRAILING_DATA },
		/* 8 bit TP-UDL above 140 */
		{ "0004912143000410100000000000" "8d", KIND_DELIVER, SIMOTA_ERR_BAD_LENGTH },
		/* UDHI with a UDH overrunning the UD */
		{ "4004912143000410100000000000" "03" "050003", KIND_DELIVER, SIMOTA_ERR_TRUNCATED },
		/* 7 bit UDL shorter than the UDH it holds */
		{ "4004912143000010100000000000" "01" "00", KIND_DELIVER, SIMOTA_ERR_BAD_LENGTH },
		/* bad SCTS digit */
		{ "00049121430000" "10100000a00000" "00", KIND_DELIVER, SIMOTA_ERR_BAD_VALUE },
		/* DELIVER-REPORT: TP-UDHI without TP-UDL, trailing octet */
		{ "4000", KIND_REPORT_ACK, SIMOTA_ERR_BAD_VALUE },
		{ "000000", KIND_REPORT_ACK, SIMOTA_ERR_TRAILING_DATA },
		{ "00d50000", KIND_REPORT_ERROR, SIMOTA_ERR_TRAILING_DATA },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		size_t len;
		uint8_t *p = tv_hex(cases[i].hex, &len);
		if (decode_kind(cases[i].kind, p, len, 0) != cases[i].err)
			g_error("case %s: got %d", cases[i].hex, decode_kind(cases[i].kind, p, len, 0));
		g_free(p);
	}
	/* TS 23.040 §9.2.3.1: the reserved MTI 11 is taken as an SMS-DELIVER */
	{
		size_t len;
		uint8_t *p = tv_hex("0304912143000010100000000000" "00", &len);
		g_assert_cmpint(decode_kind(KIND_DELIVER, p, len, 0), ==, SIMOTA_OK);
		g_free(p);
	}
	/* SMS-SUBMIT: unpacked 8 bit data above 140 octets only with the flag */
	{
		uint8_t p[12 + 160];
		struct simota_sms_submit s;
		memcpy(p, "\x01\x00\x02\x91\x10\x40\xf4\xa0", 8);
		memset(p + 8, 'a', 160);
		g_assert_cmpint(simota_sms_submit_decode(p, 168, 0, &s), ==, SIMOTA_ERR_BAD_LENGTH);
		g_assert_cmpint(simota_sms_submit_decode(p, 168, SIMOTA_SMS_DECODE_UNPACKED_UD, &s), ==,
				SIMOTA_OK);
		g_assert_cmpint(simota_sms_submit_pack(&s), ==, SIMOTA_OK);
		g_assert_cmphex(s.dcs, ==, 0xF0);
		g_assert_cmpuint(s.ud.len, ==, 140);
		/* UCS2 cannot be packed */
		s.dcs = 0x08;
		g_assert_cmpint(simota_sms_submit_pack(&s), ==, SIMOTA_ERR_BAD_VALUE);
	}
}

/* TS 31.111 §7.1.1.1 answers beyond the vectors. */
static void test_pp_download_more(void)
{
	static const uint8_t data[] = { 0x02, 0x71, 0x00, 0x00, 0x0b, 0x0a };
	static const struct {
		uint16_t sw;
		size_t len;
		enum simota_rp_message rp;
		uint8_t fcs;
		const char *report;
	} cases[] = {
		/* the data is a response packet: TP-UDHI 1 (test_pp_download_udhi) */
		{ 0x9110, 6, SIMOTA_RP_ACK, 0, "40077ff606027100000b0a" },
		{ 0x9110, 0, SIMOTA_RP_ACK, 0, NULL },
		{ 0x6106, 6, SIMOTA_RP_ACK, 0, "40077ff606027100000b0a" },
		{ 0x6300, 6, SIMOTA_RP_ERROR, 0xD5, "40d5077ff606027100000b0a" },
		{ 0x6200, 0, SIMOTA_RP_ERROR, 0xD5, NULL },
		{ 0x9300, 6, SIMOTA_RP_ERROR, 0xD4, NULL },
		{ 0x6F00, 6, SIMOTA_RP_ERROR, 0xD5, NULL },
		{ 0x6A82, 0, SIMOTA_RP_ERROR, 0xD5, NULL },
	};
	struct simota_sms_pp_result res;
	uint8_t out[SIMOTA_SMS_TPDU_MAX], big[161] = { 0 };
	size_t n;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_assert_cmpint(simota_sms_pp_download_result(0x7F, 0xF6, cases[i].sw, data, cases[i].len,
							      &res), ==, SIMOTA_OK);
		g_assert_cmpint(res.rp, ==, cases[i].rp);
		g_assert_cmphex(res.tp_fcs, ==, cases[i].fcs);
		g_assert_cmpint(res.has_report, ==, cases[i].report != NULL);
		g_assert_cmpint(simota_sms_deliver_report_encode(&res.report, out, sizeof(out), &n), ==,
				SIMOTA_OK);
		if (cases[i].report)
			tv_assert_hex(out, n, cases[i].report);
		else if (cases[i].rp == SIMOTA_RP_ERROR) /* the minimal form, if a transport needs one */
			g_assert_true(n == 3 && out[0] == 0 && out[1] == cases[i].fcs && out[2] == 0);
	}
	/* a GSM 7 bit DCS: TP-UDL in septets that fill the data's octets */
	g_assert_cmpint(simota_sms_pp_download_result(0x7F, 0x12, 0x9000, data, 6, &res), ==, SIMOTA_OK);
	g_assert_cmpint(simota_sms_deliver_report_encode(&res.report, out, sizeof(out), &n), ==, SIMOTA_OK);
	tv_assert_hex(out, n, "00077f1206027100000b0a");
	/* too much data */
	g_assert_cmpint(simota_sms_pp_download_result(0x7F, 0xF6, 0x9000, big, sizeof(big), &res), ==,
			SIMOTA_ERR_NO_SPACE);
}

/*
 * The TP-UDHI of the DELIVER-REPORT that carries the card's data (doc/wire-formats.md,
 * "TP-UDHI of the DELIVER-REPORT"): 1 when the data starts with a well-formed user data
 * header holding IEI 71 (a TS 31.115 response packet) under an octet DCS, else 0
 * (the TS 31.124 / Android vectors: FO 00 for data that is no header).
 */
static void test_pp_download_udhi(void)
{
	static const struct {
		const char *name;
		uint8_t dcs;
		uint16_t sw;
		const char *data;
		const char *report;
	} cases[] = {
		{ "PoR (027100), DCS F6", 0xF6, 0x9000, "027100000b0a",
		  "40077ff606027100000b0a" },
		{ "PoR (027100), DCS 16", 0x16, 0x9000, "027100000b0a",
		  "40077f1606027100000b0a" },
		{ "PoR with an RP-ERROR (62XX)", 0xF6, 0x6200, "027100000b0a",
		  "40d5077ff606027100000b0a" },
		{ "PoR after another IE", 0xF6, 0x9000, "0700031a02017100000b",
		  "40077ff60a0700031a02017100000b" },
		{ "IEI 71 beyond the UDHL", 0xF6, 0x9000, "0500031a020171000000",
		  "00077ff60a0500031a020171000000" },
		{ "a UDH without IEI 71 (a command packet header)", 0xF6, 0x9000, "027000000b0a",
		  "00077ff606027000000b0a" },
		{ "UDHL beyond the data", 0xF6, 0x9000, "087100", "00077ff603087100" },
		{ "IE overrunning the UDHL", 0xF6, 0x9000, "0271020000", "00077ff6050271020000" },
		{ "UDHL 0", 0xF6, 0x9000, "00710000", "00077ff60400710000" },
		{ "GSM 7 bit DCS: no header, whatever the octets", 0x12, 0x9000, "027100000b0a",
		  "00077f1206027100000b0a" },
		{ "TS 31.124 / Android 3.1.1 data", 0x16, 0x9000, "0123456789", "00077f16050123456789" },
		{ "TS 31.124 / Android 3.1.5 data", 0xF6, 0x9000, "9876543210", "00077ff6059876543210" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct simota_sms_pp_result res;
		struct simota_sms_deliver_report back;
		uint8_t out[SIMOTA_SMS_TPDU_MAX];
		size_t n, dlen;
		uint8_t *data = tv_hex(cases[i].data, &dlen);
		const uint8_t *p;
		size_t plen;

		g_test_message("%s", cases[i].name);
		g_assert_cmpint(simota_sms_pp_download_result(0x7F, cases[i].dcs, cases[i].sw, data, dlen, &res),
				==, SIMOTA_OK);
		g_assert_cmpint(simota_sms_deliver_report_encode(&res.report, out, sizeof(out), &n), ==, SIMOTA_OK);
		tv_assert_hex(out, n, cases[i].report);
		/* the TP-UD is the card's data either way (TS 31.111 §7.1.1.1) */
		g_assert_cmpint(simota_sms_deliver_report_decode(out, n, res.rp == SIMOTA_RP_ERROR, &back), ==,
				SIMOTA_OK);
		g_assert_cmpmem(back.ud.ud, back.ud.len, data, dlen);
		if (!simota_sms_dcs_udl_in_septets(cases[i].dcs) && back.ud.udhi) {
			struct simota_sms_udh udh;
			size_t udh_octets;

			g_assert_cmpint(simota_sms_ud_get_udh(&back.ud, &udh, &udh_octets), ==, SIMOTA_OK);
			g_assert_cmpint(simota_sms_udh_find(&udh, SIMOTA_SMS_IEI_RPI), >=, 0);
			g_assert_cmpint(simota_sms_ud_payload(&back.ud, back.dcs, &p, &plen), ==, SIMOTA_OK);
			g_assert_cmpmem(p, plen, data + udh_octets, dlen - udh_octets);
		}
		g_free(data);
	}
}

/* ---- registration ------------------------------------------------------------ */

static unsigned add_array(JsonObject *root, const char *member, const char *prefix,
			  GTestDataFunc fn, const char *needs_member)
{
	JsonArray *a = json_object_get_array_member(root, member);
	unsigned n = 0;

	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *v = json_array_get_object_element(a, i);
		char *path;

		if (needs_member) {
			JsonObject *x = v;
			/* "extra.tpdu": the member inside extra */
			if (!strcmp(needs_member, "extra.tpdu")) {
				if (!json_object_has_member(v, "extra") ||
				    JSON_NODE_HOLDS_NULL(json_object_get_member(v, "extra")))
					continue;
				x = json_object_get_object_member(v, "extra");
				if (!json_object_has_member(x, "tpdu"))
					continue;
			} else if (!json_object_has_member(x, needs_member)) {
				continue;
			}
		}
		path = g_strdup_printf("%s/%s", prefix, tv_str(v, "id"));
		g_test_add_data_func(path, v, fn);
		g_free(path);
		n++;
	}
	return n;
}

/* TS 23.038 §4 classes; TS 31.111 §7.1.1 which messages the ME downloads. */
static void test_pp_download_class(void)
{
	static const struct {
		uint8_t dcs;
		int cls;
	} cases[] = {
		{ 0x00, -1 }, { 0x04, -1 }, { 0x10, 0 }, { 0x12, 2 }, { 0x16, 2 }, { 0x33, 3 }, { 0x40, -1 },
		{ 0xC0, -1 }, { 0xE0, -1 }, { 0xF0, 0 }, { 0xF5, 1 }, { 0xF6, 2 }, { 0xF7, 3 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_cmpint(simota_sms_dcs_class(cases[i].dcs), ==, cases[i].cls);
	g_assert_true(simota_sms_is_data_download(0x7F, 0xF6));
	g_assert_true(simota_sms_is_data_download(0x7F, 0x16));
	g_assert_false(simota_sms_is_data_download(0x7F, 0xF5));
	g_assert_false(simota_sms_is_data_download(0x00, 0xF6));
}

/* TS 31.111 §7.1.1.2 ENVELOPE; the report a netsim-like link sends (TS 24.011 §7.3.3/§7.3.4). */
static void test_pp_download_envelope_and_report(void)
{
	struct simota_sms_address sca = { .ton = 1, .npi = 1, .digits = "15550000" };
	struct simota_sms_pp_result res;
	uint8_t tpdu[3] = { 0x04, 0x00, 0x7F }, out[64], cause;
	size_t len;

	/* D1 { device identities 82 02 83 81, address 06 05 91 51 55 00 00, SMS TPDU 8B 03 <tpdu> } */
	g_assert_cmpint(simota_sms_pp_download_envelope(&sca, tpdu, sizeof(tpdu), out, sizeof(out), &len), ==,
			SIMOTA_OK);
	tv_assert_hex(out, len, "d1108202838106059151550000" "8b03" "04007f");
	/* without a service centre: no Address object */
	g_assert_cmpint(simota_sms_pp_download_envelope(NULL, tpdu, sizeof(tpdu), out, sizeof(out), &len), ==,
			SIMOTA_OK);
	tv_assert_hex(out, len, "d10982028381" "8b03" "04007f");
	g_assert_cmpint(simota_sms_pp_download_envelope(NULL, tpdu, 0, out, sizeof(out), &len), ==,
			SIMOTA_ERR_BAD_LENGTH);
	/* RP-ACK without data: no TPDU, no cause */
	g_assert_cmpint(simota_sms_pp_download_result(0x7F, 0xF6, 0x9000, NULL, 0, &res), ==, SIMOTA_OK);
	g_assert_cmpint(simota_sms_pp_download_report(&res, out, sizeof(out), &len, &cause), ==, SIMOTA_OK);
	g_assert_cmpuint(len, ==, 0);
	g_assert_cmpuint(cause, ==, 0);
	/* RP-ERROR without data: "00 D5 00", protocol error #111 */
	g_assert_cmpint(simota_sms_pp_download_result(0x7F, 0xF6, 0x6F00, NULL, 0, &res), ==, SIMOTA_OK);
	g_assert_cmpint(simota_sms_pp_download_report(&res, out, sizeof(out), &len, &cause), ==, SIMOTA_OK);
	tv_assert_hex(out, len, "00d500");
	g_assert_cmpuint(cause, ==, 0x6F);
	/* toolkit busy: "00 D4 00" */
	g_assert_cmpint(simota_sms_pp_download_result(0x7F, 0xF6, 0x9300, NULL, 0, &res), ==, SIMOTA_OK);
	g_assert_cmpint(simota_sms_pp_download_report(&res, out, sizeof(out), &len, &cause), ==, SIMOTA_OK);
	tv_assert_hex(out, len, "00d400");
}

/* TS 27.005 §3.1: the SC address in front, and an MT message with or without it (doc/wire-formats.md). */
static void test_pdu_forms(void)
{
	/* SMS-DELIVER from +15550199, PID 00, DCS 00, SCTS, "hi" (GSM 7 bit) */
	static const char deliver_hex[] = "04" "089151551099" "0000" "52107031000000" "02e834";
	struct simota_sms_address sca = { .ton = 1, .npi = 1, .digits = "15550000" }, got;
	struct simota_sms_deliver *d = g_new0(struct simota_sms_deliver, 1);
	size_t tlen, len, off;
	uint8_t *tpdu = tv_hex(deliver_hex, &tlen), out[SIMOTA_SMS_PDU_MAX], bad[] = { 0x0C, 0x91, 0x00 };

	g_assert_cmpint(simota_sms_pdu_encode(&sca, tpdu, tlen, out, sizeof(out), &len), ==, SIMOTA_OK);
	g_assert_cmpuint(len, ==, 6 + tlen);
	g_assert_cmpmem(out, 6, "\x05\x91\x51\x55\x00\x00", 6);
	g_assert_cmpint(simota_sms_pdu_decode(out, len, &got, &off), ==, SIMOTA_OK);
	g_assert_cmpuint(off, ==, 6);
	g_assert_cmpstr(got.digits, ==, "15550000");
	/* with its SC address (ModemManager's reading, modem-emu's writing) */
	g_assert_cmpint(simota_sms_pdu_decode_deliver(out, len, &got, &off, d), ==, SIMOTA_OK);
	g_assert_cmpuint(off, ==, 6);
	g_assert_cmpstr(got.digits, ==, "15550000");
	g_assert_cmpstr(d->oa.digits, ==, "15550199");
	/* "00": no SC address */
	g_assert_cmpint(simota_sms_pdu_encode(NULL, tpdu, tlen, out, sizeof(out), &len), ==, SIMOTA_OK);
	g_assert_cmpuint(out[0], ==, 0x00);
	g_assert_cmpint(simota_sms_pdu_decode_deliver(out, len, &got, &off, d), ==, SIMOTA_OK);
	g_assert_cmpuint(off, ==, 1);
	g_assert_cmpstr(got.digits, ==, "");
	/* a bare SMS-DELIVER (oFono qmimodem's reading): the first octet 04 is not an SC address before a DELIVER */
	g_assert_cmpint(simota_sms_pdu_decode_deliver(tpdu, tlen, &got, &off, d), ==, SIMOTA_OK);
	g_assert_cmpuint(off, ==, 0);
	g_assert_cmpstr(d->oa.digits, ==, "15550199");
	/* a bare DELIVER whose first octet is 00 (no flags) is not read as "no SC address" */
	tpdu[0] = 0x00;
	g_assert_cmpint(simota_sms_pdu_decode_deliver(tpdu, tlen, &got, &off, d), ==, SIMOTA_OK);
	g_assert_cmpuint(off, ==, 0);
	/* neither reading holds: every truncation refused */
	for (size_t n = 0; n < tlen; n++)
		g_assert_cmpint(simota_sms_pdu_decode_deliver(tpdu, n, &got, &off, d), !=, SIMOTA_OK);
	g_assert_cmpint(simota_sms_pdu_decode(bad, sizeof(bad), &got, &off), ==, SIMOTA_ERR_BAD_VALUE);
	g_assert_cmpint(simota_sms_pdu_decode(out, 1, &got, &off), ==, SIMOTA_ERR_BAD_LENGTH);
	g_assert_cmpint(simota_sms_pdu_encode(NULL, tpdu, tlen, out, 4, &len), ==, SIMOTA_ERR_NO_SPACE);
	g_free(tpdu);
	g_free(d);
}

/* TS 31.115 §4.2: a PoR that cannot travel in the RP-ACK goes to the originator in SMS-SUBMITs. */
static void test_por_submits(void)
{
	struct simota_sms_deliver *d = g_new0(struct simota_sms_deliver, 1);
	struct simota_sms_pp_result res;
	struct simota_sms_submit *out = g_new0(struct simota_sms_submit, 4);
	struct simota_sms_reassembly *st = g_new0(struct simota_sms_reassembly, 1);
	uint8_t por[3 + 200], tpdu[SIMOTA_SMS_TPDU_MAX], pkt[256], iei;
	size_t n, len, plen;

	g_assert_cmpint(simota_sms_address_from_text("+15550199", &d->oa), ==, SIMOTA_OK);
	d->pid = 0x7F;
	d->dcs = 0xF6;
	/* a short response packet: one SMS-SUBMIT, UDH 02 71 00, PID/DCS of the SMS-DELIVER */
	memcpy(por, "\x02\x71\x00\x00\x0d\x0a\xde\xfe\x01\x00\x00\x00\x00\x01\x00\x00\x00\x00", 18);
	g_assert_cmpint(simota_sms_pp_download_result(0x7F, 0xF6, 0x9000, por, 18, &res), ==, SIMOTA_OK);
	g_assert_cmpint(simota_sms_por_submits(d, &res.report, 0x40, 7, out, 4, &n), ==, SIMOTA_OK);
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmpint(simota_sms_submit_encode(&out[0], tpdu, sizeof(tpdu), &len), ==, SIMOTA_OK);
	/* SUBMIT, UDHI, VPF none; MR 40; DA +15550199; PID 7F; DCS F6; UDL 18; the card's data as it is */
	tv_assert_hex(tpdu, len, "41" "40" "089151551099" "7f" "f6" "12"
		      "027100000d0adefe01000000000100000000");
	/* a long one: concatenated, the packet identifier in the first segment, reassembled as the server does */
	por[0] = 0x02; por[1] = 0x71; por[2] = 0x00;
	for (size_t i = 3; i < sizeof(por); i++)
		por[i] = (uint8_t)i;
	g_assert_cmpint(simota_sms_pp_download_result(0x7F, 0x16, 0x9000, por, 3 + 150, &res), ==, SIMOTA_OK);
	d->dcs = 0x16;
	g_assert_cmpint(simota_sms_por_submits(d, &res.report, 0xFF, 9, out, 4, &n), ==, SIMOTA_OK);
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmpuint(out[0].mr, ==, 0xFF);
	g_assert_cmpuint(out[1].mr, ==, 0x00);
	g_assert_cmpuint(out[1].dcs, ==, 0x16);
	simota_sms_reassembly_init(st);
	g_assert_cmpint(simota_sms_reassembly_add(st, &out[0].ud), ==, SIMOTA_ERR_INCOMPLETE);
	g_assert_cmpint(simota_sms_reassembly_add(st, &out[1].ud), ==, SIMOTA_OK);
	g_assert_cmpint(simota_sms_reassembly_get(st, pkt, sizeof(pkt), &plen, &iei), ==, SIMOTA_OK);
	g_assert_cmpuint(iei, ==, SIMOTA_SMS_IEI_RPI);
	g_assert_cmpmem(pkt, plen, por + 3, 150);
	g_assert_cmpint(simota_sms_por_submits(d, &res.report, 0, 9, out, 1, &n), ==, SIMOTA_ERR_NO_SPACE);
	/* data that is not a response packet: as it is, no header */
	g_assert_cmpint(simota_sms_pp_download_result(0x7F, 0x16, 0x9000, (const uint8_t *)"\x01\x02", 2, &res), ==,
			SIMOTA_OK);
	g_assert_cmpint(simota_sms_por_submits(d, &res.report, 1, 0, out, 4, &n), ==, SIMOTA_OK);
	g_assert_true(n == 1 && !out[0].ud.udhi && out[0].ud.len == 2);
	/* nothing to forward */
	g_assert_cmpint(simota_sms_pp_download_result(0x7F, 0xF6, 0x9000, NULL, 0, &res), ==, SIMOTA_OK);
	g_assert_cmpint(simota_sms_por_submits(d, &res.report, 1, 0, out, 4, &n), ==, SIMOTA_ERR_MISSING_VALUE);
	g_free(d);
	g_free(out);
	g_free(st);
}

int main(int argc, char **argv)
{
	JsonObject *sp, *cat;
	unsigned n_env, n_cmd, n_send;

	g_test_init(&argc, &argv, NULL);
	sp = tv_load("secured-packets.json");
	cat = tv_load("cat-proactive.json");

	n_env = add_array(sp, "envelopes", "/sms/envelopes", test_envelope, NULL);
	n_cmd = add_array(sp, "command_packets", "/sms/command-deliver", test_command_deliver,
			  "sms_deliver_tpdu");
	n_send = add_array(cat, "proactive", "/sms/send-sms", test_send_sms, "extra.tpdu");
	/* the vector files say how many there are: fail loudly if we ran fewer */
	g_assert_cmpuint(n_env, ==, 10);
	g_assert_cmpuint(n_cmd, >=, 4);
	g_assert_cmpuint(n_send, >=, 45);

	g_test_add_func("/sms/segmentation/round-trip", test_segmentation_round_trip);
	g_test_add_func("/sms/segmentation/limits", test_segmentation_limits);
	g_test_add_func("/sms/reassembly/errors", test_reassembly_errors);
	g_test_add_func("/sms/address/forms", test_address_forms);
	g_test_add_func("/sms/scts-vp", test_scts_and_vp);
	g_test_add_func("/sms/submit/forms", test_submit_forms);
	g_test_add_func("/sms/tpdu/errors", test_tpdu_errors);
	g_test_add_func("/sms/pp-download/more", test_pp_download_more);
	g_test_add_func("/sms/pp-download/udhi", test_pp_download_udhi);
	g_test_add_func("/sms/pp-download/class", test_pp_download_class);
	g_test_add_func("/sms/pp-download/envelope-and-report", test_pp_download_envelope_and_report);
	g_test_add_func("/sms/pdu/forms", test_pdu_forms);
	g_test_add_func("/sms/pp-download/por-submits", test_por_submits);
	return g_test_run();
}
