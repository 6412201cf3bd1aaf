/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: SMS TPDU decoders (SMS-DELIVER, SMS-SUBMIT, SMS-DELIVER-REPORT
 * in both forms), UDH, the three address forms, SCTS, user data text and
 * reassembly, the SC address in front (TS 27.005) and a PoR forwarded by
 * SMS-SUBMIT.  Whatever decodes is re-encoded; the re-encoding must decode
 * and re-encode to the same bytes (the encoders are canonical, decoders
 * accept some non-canonical input such as unused bits).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simota/sms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

/*
 * gsm7.c decodes some septet sequences (1B 1B) to a character its encoder
 * refuses; an alphanumeric address holding one cannot be re-encoded.
 */
static bool unencodable_alnum(simota_err err, const struct simota_sms_address *a)
{
	return err == SIMOTA_ERR_BAD_ENCODING && a->ton == SIMOTA_SMS_TON_ALPHANUMERIC;
}

static void exercise_ud(const struct simota_sms_ud *ud, uint8_t dcs)
{
	char text[SIMOTA_SMS_UD_CAP * 4 + 1];
	struct simota_sms_udh udh;
	struct simota_sms_concat c;
	const uint8_t *p;
	size_t n;

	(void)simota_sms_ud_text(ud, dcs, text, sizeof(text), &n);
	if (simota_sms_ud_get_udh(ud, &udh, &n) == SIMOTA_OK)
		(void)simota_sms_udh_get_concat(&udh, &c);
	(void)simota_sms_ud_payload(ud, dcs, &p, &n);
}

static void deliver(const uint8_t *data, size_t size)
{
	struct simota_sms_deliver d, d2;
	uint8_t a[SIMOTA_SMS_TPDU_MAX], b[SIMOTA_SMS_TPDU_MAX];
	size_t na, nb;
	simota_err err;

	if (simota_sms_deliver_decode(data, size, &d) != SIMOTA_OK)
		return;
	exercise_ud(&d.ud, d.dcs);
	err = simota_sms_deliver_encode(&d, a, sizeof(a), &na);
	if (unencodable_alnum(err, &d.oa))
		return;
	check(err == SIMOTA_OK);
	check(na <= size);
	check(simota_sms_deliver_decode(a, na, &d2) == SIMOTA_OK);
	check(simota_sms_deliver_encode(&d2, b, sizeof(b), &nb) == SIMOTA_OK);
	check(na == nb && memcmp(a, b, na) == 0);
}

static void submit(const uint8_t *data, size_t size, unsigned flags)
{
	struct simota_sms_submit s, s2;
	uint8_t a[SIMOTA_SMS_TPDU_MAX], b[SIMOTA_SMS_TPDU_MAX];
	size_t na, nb;
	simota_err err;

	if (simota_sms_submit_decode(data, size, flags, &s) != SIMOTA_OK)
		return;
	exercise_ud(&s.ud, s.dcs);
	err = simota_sms_submit_encode(&s, a, sizeof(a), &na);
	if (unencodable_alnum(err, &s.da))
		return;
	check(err == SIMOTA_OK);
	check(na <= size);
	check(simota_sms_submit_decode(a, na, flags, &s2) == SIMOTA_OK);
	check(simota_sms_submit_encode(&s2, b, sizeof(b), &nb) == SIMOTA_OK);
	check(na == nb && memcmp(a, b, na) == 0);
	/* the ME's packing (TS 102 223 §6.4.10) gives an SMS that encodes */
	if (simota_sms_submit_pack(&s) == SIMOTA_OK) {
		check(simota_sms_submit_encode(&s, a, sizeof(a), &na) == SIMOTA_OK);
		check(simota_sms_submit_decode(a, na, 0, &s2) == SIMOTA_OK);
	}
}

static void report(const uint8_t *data, size_t size, bool rp_error)
{
	struct simota_sms_deliver_report r, r2;
	uint8_t a[SIMOTA_SMS_TPDU_MAX], b[SIMOTA_SMS_TPDU_MAX];
	size_t na, nb;

	if (simota_sms_deliver_report_decode(data, size, rp_error, &r) != SIMOTA_OK)
		return;
	if (r.has_ud)
		exercise_ud(&r.ud, r.dcs);
	check(simota_sms_deliver_report_encode(&r, a, sizeof(a), &na) == SIMOTA_OK);
	check(na <= size);
	check(simota_sms_deliver_report_decode(a, na, rp_error, &r2) == SIMOTA_OK);
	check(simota_sms_deliver_report_encode(&r2, b, sizeof(b), &nb) == SIMOTA_OK);
	check(na == nb && memcmp(a, b, na) == 0);
}

typedef simota_err (*addr_encode_fn)(const struct simota_sms_address *, struct simota_writer *);

static void address_round_trip(const struct simota_sms_address *a, addr_encode_fn enc,
			       size_t max_len)
{
	uint8_t buf[32];
	struct simota_writer w = simota_writer_init(buf, sizeof(buf));
	simota_err err = enc(a, &w);

	if (unencodable_alnum(err, a))
		return;
	check(err == SIMOTA_OK);
	check(simota_writer_status(&w) == SIMOTA_OK);
	check(w.len <= max_len);
}

static void addresses(const uint8_t *data, size_t size)
{
	struct simota_sms_address a, b;
	size_t used, used2;
	uint8_t buf[32];
	struct simota_writer w;

	if (simota_sms_address_decode(data, size, &a, &used) == SIMOTA_OK) {
		address_round_trip(&a, simota_sms_address_encode, used);
		w = simota_writer_init(buf, sizeof(buf));
		if (simota_sms_address_encode(&a, &w) != SIMOTA_OK)
			return;   /* only the case address_round_trip() allows */
		check(simota_sms_address_decode(buf, w.len, &b, &used2) == SIMOTA_OK);
		check(used2 == w.len);
		check(b.ton == a.ton && b.npi == a.npi);
		if (a.ton != SIMOTA_SMS_TON_ALPHANUMERIC)
			check(strcmp(a.digits, b.digits) == 0);
	}
	if (simota_sms_rp_address_decode(data, size, &a, &used) == SIMOTA_OK) {
		w = simota_writer_init(buf, sizeof(buf));
		check(simota_sms_rp_address_encode(&a, &w) == SIMOTA_OK);
		check(simota_sms_rp_address_decode(buf, w.len, &b, &used2) == SIMOTA_OK);
		check(strcmp(a.digits, b.digits) == 0);
	}
	if (simota_sms_address_value_decode(data, size, &a) == SIMOTA_OK) {
		address_round_trip(&a, simota_sms_address_value_encode, size);
		w = simota_writer_init(buf, sizeof(buf));
		check(simota_sms_address_value_encode(&a, &w) == SIMOTA_OK);
		check(simota_sms_address_value_decode(buf, w.len, &b) == SIMOTA_OK);
		check(strcmp(a.digits, b.digits) == 0);
	}
}

static void udh_and_concat(const uint8_t *data, size_t size)
{
	struct simota_sms_udh udh;
	struct simota_sms_ud ud;
	struct simota_sms_reassembly st;
	uint8_t buf[200], out[SIMOTA_SMS_CONCAT_MAX_SEGMENTS * SIMOTA_SMS_CONCAT_SEGMENT_MAX];
	struct simota_writer w = simota_writer_init(buf, sizeof(buf));
	size_t n, m;

	if (simota_sms_udh_parse(data, size, &udh, &n) == SIMOTA_OK) {
		check(simota_sms_udh_encode(&udh, &w) == SIMOTA_OK);
		check(w.len == n && memcmp(buf, data, n) == 0);
	}
	/* the input as the user data of one SMS with TP-UDHI set */
	if (size <= SIMOTA_SMS_UD_MAX) {
		memset(&ud, 0, sizeof(ud));
		ud.udhi = true;
		memcpy(ud.ud, data, size);
		ud.len = ud.udl = (uint8_t)size;
		simota_sms_reassembly_init(&st);
		if (simota_sms_reassembly_add(&st, &ud) == SIMOTA_OK)
			check(simota_sms_reassembly_get(&st, out, sizeof(out), &m, NULL) == SIMOTA_OK);
	}
}

/* TS 27.005 §3.1: an MT message with or without its SC address (QMI WMS raw data); the PoR forwarded from it. */
static void pdu(const uint8_t *data, size_t size)
{
	struct simota_sms_address sca;
	struct simota_sms_deliver d;
	struct simota_sms_pp_result res;
	struct simota_sms_submit subs[SIMOTA_SMS_CONCAT_MAX_SEGMENTS];
	uint8_t out[SIMOTA_SMS_PDU_MAX];
	size_t off, n, len;

	if (simota_sms_pdu_decode_deliver(data, size, &sca, &off, &d) != SIMOTA_OK)
		return;
	check(off < size);
	check(simota_sms_pdu_encode(&sca, data + off, size - off, out, sizeof(out), &len) == SIMOTA_OK ||
	      size - off > SIMOTA_SMS_TPDU_MAX);
	/* the SMS's own user data as a card's answer, forwarded to its originator */
	if (simota_sms_pp_download_result(d.pid, d.dcs, 0x9000, d.ud.ud, d.ud.len, &res) == SIMOTA_OK &&
	    simota_sms_por_submits(&d, &res.report, 0, 0, subs, SIMOTA_SMS_CONCAT_MAX_SEGMENTS, &n) == SIMOTA_OK)
		for (size_t i = 0; i < n; i++)
			check(simota_sms_submit_encode(&subs[i], out, sizeof(out), &len) == SIMOTA_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct simota_sms_scts t;
	struct simota_sms_pp_result res;
	uint8_t out[SIMOTA_SMS_TPDU_MAX];
	size_t n;

	deliver(data, size);
	submit(data, size, 0);
	submit(data, size, SIMOTA_SMS_DECODE_UNPACKED_UD);
	report(data, size, false);
	report(data, size, true);
	addresses(data, size);
	udh_and_concat(data, size);
	pdu(data, size);
	if (size >= SIMOTA_SMS_SCTS_LEN && simota_sms_scts_decode(data, &t) == SIMOTA_OK) {
		struct simota_writer w = simota_writer_init(out, sizeof(out));
		check(simota_sms_scts_encode(&t, &w) == SIMOTA_OK);
	}
	/* the input as a card's answer: first two bytes SW, then data */
	if (size >= 3 &&
	    simota_sms_pp_download_result(0x7F, data[2], (uint16_t)(data[0] << 8 | data[1]),
					  data + 3, size - 3, &res) == SIMOTA_OK)
		check(simota_sms_deliver_report_encode(&res.report, out, sizeof(out), &n) == SIMOTA_OK);
	return 0;
}
