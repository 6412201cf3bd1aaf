/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ota-test-server's SMPP 3.4 PDU handling (ota-test-server/links/smpp-pdu.c):
 * the framing, the PDUs the ESME sends (golden bytes, laid out by hand from
 * SMPP 3.4 §4), and what it reads from an SMSC's deliver_sm and
 * submit_sm_resp, including the PDUs it must refuse before libsmpp34 reads
 * them.
 */
#include <string.h>

#include "links/smpp-pdu.h"
#include "test-support.h"

/* ---- a deliver_sm laid out field by field (SMPP 3.4 §4.6.1), for the reading tests ---- */

struct pdu {
	GByteArray *b;
};

static void put8(struct pdu *p, uint8_t v)
{
	g_byte_array_append(p->b, &v, 1);
}

static void put16(struct pdu *p, uint16_t v)
{
	put8(p, (uint8_t)(v >> 8));
	put8(p, (uint8_t)v);
}

static void put32(struct pdu *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p, (uint16_t)v);
}

static void puts0(struct pdu *p, const char *s)
{
	g_byte_array_append(p->b, (const guint8 *)s, (guint)strlen(s) + 1);
}

static void puthex(struct pdu *p, const char *hex)
{
	size_t n;
	uint8_t *b = tv_hex(hex, &n);

	g_byte_array_append(p->b, b, (guint)n);
	g_free(b);
}

struct dsm {
	uint8_t src_ton, dst_ton, esm, pid, dcs;
	const char *src, *dst, *sm;      /* sm: hex */
	const char *tlvs;                /* hex, appended as is */
};

static struct pdu deliver_sm(const struct dsm *d, uint32_t seq)
{
	struct pdu p = { g_byte_array_new() };
	size_t smlen;
	uint8_t *sm = tv_hex(d->sm ? d->sm : "", &smlen);

	put32(&p, 0);
	put32(&p, OTS_SMPP_DELIVER_SM);
	put32(&p, 0);
	put32(&p, seq);
	puts0(&p, "");                    /* service_type */
	put8(&p, d->src_ton);
	put8(&p, 1);
	puts0(&p, d->src);
	put8(&p, d->dst_ton);
	put8(&p, 1);
	puts0(&p, d->dst);
	put8(&p, d->esm);
	put8(&p, d->pid);
	put8(&p, 0);                      /* priority_flag */
	puts0(&p, "");                    /* schedule_delivery_time */
	puts0(&p, "");                    /* validity_period */
	put8(&p, 0);                      /* registered_delivery */
	put8(&p, 0);                      /* replace_if_present_flag */
	put8(&p, d->dcs);
	put8(&p, 0);                      /* sm_default_msg_id */
	put8(&p, (uint8_t)smlen);
	g_byte_array_append(p.b, sm, (guint)smlen);
	g_free(sm);
	if (d->tlvs)
		puthex(&p, d->tlvs);
	p.b->data[0] = (uint8_t)(p.b->len >> 24);
	p.b->data[1] = (uint8_t)(p.b->len >> 16);
	p.b->data[2] = (uint8_t)(p.b->len >> 8);
	p.b->data[3] = (uint8_t)p.b->len;
	return p;
}

/* ---- framing: SMPP 3.4 §3.2 ---------------------------------------------------------- */

static void test_frame(void)
{
	static const char *const enquire = "0000001000000015000000000000002a";
	struct ots_smpp_header h;
	size_t n;
	uint8_t *b = tv_hex(enquire, &n);

	g_assert_cmpint(ots_smpp_frame_next(b, 3, &h), ==, OTS_SMPP_NEED_MORE);
	g_assert_cmpint(ots_smpp_frame_next(b, 15, &h), ==, OTS_SMPP_NEED_MORE);
	g_assert_cmpint(ots_smpp_frame_next(b, n, &h), ==, OTS_SMPP_FRAME);
	g_assert_cmpuint(h.length, ==, 16);
	g_assert_cmphex(h.id, ==, OTS_SMPP_ENQUIRE_LINK);
	g_assert_cmpuint(h.status, ==, 0);
	g_assert_cmpuint(h.seq, ==, 42);
	b[3] = 0x0F;      /* command_length 15: below the header */
	g_assert_cmpint(ots_smpp_frame_next(b, n, &h), ==, OTS_SMPP_BAD_LENGTH);
	b[0] = 0x7F;      /* far above any PDU */
	g_assert_cmpint(ots_smpp_frame_next(b, 4, &h), ==, OTS_SMPP_BAD_LENGTH);
	g_free(b);
}

/* ---- what the ESME sends ---------------------------------------------------------------- */

static void test_bind(void)
{
	static const struct {
		uint32_t id;
		const char *hex;
	} cases[] = {
		/* SMPP 3.4 §4.1.5: system_id, password, system_type, interface_version 34, TON, NPI, range */
		{ OTS_SMPP_BIND_TRANSCEIVER, "00000023000000090000000000000007"
		  "6f747300" "73656372657400" "4f544100" "34" "00" "00" "00" },
		{ OTS_SMPP_BIND_TRANSMITTER, "00000023000000020000000000000007"
		  "6f747300" "73656372657400" "4f544100" "34" "00" "00" "00" },
		{ OTS_SMPP_BIND_RECEIVER, "00000023000000010000000000000007"
		  "6f747300" "73656372657400" "4f544100" "34" "00" "00" "00" },
	};
	const char *why = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct ots_smpp_bind b = { cases[i].id, "ots", "secret", "OTA" };
		GByteArray *out = g_byte_array_new();

		g_assert_true(ots_smpp_pack_bind(&b, 7, out, &why));
		tv_assert_hex(out->data, out->len, cases[i].hex);
		g_byte_array_unref(out);
	}
	{
		struct ots_smpp_bind b = { OTS_SMPP_BIND_TRANSCEIVER, "ots", "ninechars", "" };
		GByteArray *out = g_byte_array_new();

		g_assert_false(ots_smpp_pack_bind(&b, 1, out, &why));
		g_assert_nonnull(strstr(why, "password"));
		g_assert_null(strstr(why, "ninechars"));   /* never the value */
		g_assert_cmpuint(out->len, ==, 0);
		b.password = "x";
		b.system_id = "sixteen-chars-id";
		g_assert_false(ots_smpp_pack_bind(&b, 1, out, &why));
		g_assert_nonnull(strstr(why, "system-id"));
		g_byte_array_unref(out);
	}
}

static void test_header_pdus(void)
{
	GByteArray *out = g_byte_array_new();

	g_assert_true(ots_smpp_pack_header(OTS_SMPP_ENQUIRE_LINK, 0, 5, out));
	g_assert_true(ots_smpp_pack_header(OTS_SMPP_ENQUIRE_LINK | OTS_SMPP_RESP, 0, 6, out));
	g_assert_true(ots_smpp_pack_header(OTS_SMPP_UNBIND, 0, 7, out));
	g_assert_true(ots_smpp_pack_header(OTS_SMPP_GENERIC_NACK, OTS_SMPP_RINVCMDID, 8, out));
	g_assert_true(ots_smpp_pack_deliver_sm_resp(OTS_SMPP_RX_P_APPN, 9, out));
	tv_assert_hex(out->data, out->len,
		      "00000010000000150000000000000005"
		      "00000010800000150000000000000006"
		      "00000010000000060000000000000007"
		      "00000010800000000000000300000008"
		      "0000001180000005000000650000000900");   /* deliver_sm_resp: message_id "" */
	/* a submit_sm is no header-only PDU */
	g_assert_false(ots_smpp_pack_header(OTS_SMPP_SUBMIT_SM, 0, 1, out));
	g_byte_array_unref(out);
}

/* A one-SMS command packet as the engine hands it over: SMS-DELIVER, PID 7F, DCS F6, UDH 02 70 00. */
static void command_sms(struct simota_sms_deliver *d)
{
	static const uint8_t ud[] = { 0x02, 0x70, 0x00, 0x00, 0x0d, 0x15, 0x16, 0x19 };

	memset(d, 0, sizeof(*d));
	d->pid = 0x7F;
	d->dcs = 0xF6;
	d->ud.udhi = true;
	d->ud.udl = d->ud.len = sizeof(ud);
	memcpy(d->ud.ud, ud, sizeof(ud));
}

static void test_submit(void)
{
	struct ots_smpp_submit_params p = { .service_type = "", .data_coding = 0xF6,
					    .registered_delivery = 1 };
	struct simota_sms_deliver d;
	GByteArray *out = g_byte_array_new();
	const char *why = NULL;

	command_sms(&d);
	p.source.ton = 1;
	p.source.npi = 1;
	strcpy(p.source.digits, "15550199");
	g_assert_true(ots_smpp_pack_submit(&p, "+15550108", &d, 0x101, out, &why));
	/* SMPP 3.4 §4.4.1, field by field */
	tv_assert_hex(out->data, out->len,
		      "00000039" "00000004" "00000000" "00000101"
		      "00"                         /* service_type "" */
		      "01" "01" "313535353031393900"   /* source: international, ISDN, 15550199 */
		      "01" "01" "313535353031303800"   /* destination: the card's MSISDN */
		      "40"                         /* esm_class: UDHI, store and forward */
		      "7f"                         /* protocol_id = TP-PID (U)SIM data download */
		      "00" "00" "00"               /* priority, schedule, validity */
		      "01" "00"                    /* registered_delivery, replace_if_present */
		      "f6" "00"                    /* data_coding, sm_default_msg_id */
		      "08" "027000000d151619");    /* short_message = TP-UD, UDH 02 70 00 */
	g_byte_array_set_size(out, 0);

	/* 02 / 04 as pySim's smpp-ota-tool sends; a national MSISDN: unknown TON */
	p.data_coding = 0x02;
	p.registered_delivery = 0;
	g_assert_true(ots_smpp_pack_submit(&p, "5550108", &d, 2, out, &why));
	g_assert_cmpuint(out->data[16 + 1 + 2 + 9], ==, 0x00);      /* dest_addr_ton */
	g_assert_cmpuint(out->data[out->len - 8 - 3], ==, 0x02);    /* data_coding */
	g_byte_array_set_size(out, 0);

	/* refusals: no MSISDN, 7 bit data */
	g_assert_false(ots_smpp_pack_submit(&p, "", &d, 3, out, &why));
	g_assert_nonnull(strstr(why, "MSISDN"));
	d.dcs = 0x00;
	g_assert_false(ots_smpp_pack_submit(&p, "+15550108", &d, 3, out, &why));
	g_assert_cmpuint(out->len, ==, 0);
	g_byte_array_unref(out);
}

/* ---- what the ESME reads -------------------------------------------------------------------- */

static void test_submit_resp(void)
{
	char id[66];
	const char *why = NULL;
	size_t n;
	uint8_t *ok = tv_hex("00000017800000040000000000000003" "6d73672d343200", &n);   /* "msg-42" */
	uint8_t *bad;

	g_assert_true(ots_smpp_parse_submit_resp(ok, n, id, sizeof(id), &why));
	g_assert_cmpstr(id, ==, "msg-42");
	/* the message_id's NUL missing: libsmpp34 would read past the PDU */
	bad = tv_hex("00000016800000040000000000000003" "6d73672d3432", &n);
	g_assert_false(ots_smpp_parse_submit_resp(bad, n, id, sizeof(id), &why));
	g_assert_cmpstr(id, ==, "");
	g_free(bad);
	/* bytes after the message_id */
	bad = tv_hex("00000018800000040000000000000003" "6d73672d343200ff", &n);
	g_assert_false(ots_smpp_parse_submit_resp(bad, n, id, sizeof(id), &why));
	g_free(bad);
	g_free(ok);
}

static void test_deliver_por(void)
{
	/* a PoR by SMS-SUBMIT (or forwarded from the RP-ACK), as pySim-smpp2sim forwards it */
	struct dsm d = { .src_ton = 1, .dst_ton = 1, .esm = 0x40, .pid = 0x7F, .dcs = 0xF6,
			 .src = "15550108", .dst = "15550199", .sm = "027100000e0adefe01000000000000010000" };
	struct pdu p = deliver_sm(&d, 77);
	struct ots_smpp_deliver out;
	const char *why = NULL;

	g_assert_cmpuint(ots_smpp_parse_deliver(p.b->data, p.b->len, &out, &why), ==, OTS_SMPP_ROK);
	g_assert_false(out.receipt);
	g_assert_cmpstr(out.source, ==, "+15550108");
	g_assert_cmpstr(out.sms.da.digits, ==, "15550199");
	g_assert_cmpuint(out.sms.da.ton, ==, 1);
	g_assert_cmpuint(out.sms.pid, ==, 0x7F);
	g_assert_cmphex(out.sms.dcs, ==, 0xF6);
	g_assert_true(out.sms.ud.udhi);
	tv_assert_hex(out.sms.ud.ud, out.sms.ud.len, d.sm);
	g_byte_array_unref(p.b);
}

static void test_deliver_mg(void)
{
	/* the MG: a plain SM MO to SV1's address, DCS 04; data_coding 04 is SMPP's "octet unspecified" */
	struct dsm d = { .src_ton = 0, .dst_ton = 1, .esm = 0x00, .pid = 0x00, .dcs = 0x04,
			 .src = "15550108", .dst = "15550100", .sm = "b10680040000002a" };
	struct pdu p = deliver_sm(&d, 78);
	struct ots_smpp_deliver out;
	const char *why = NULL;

	g_assert_cmpuint(ots_smpp_parse_deliver(p.b->data, p.b->len, &out, &why), ==, OTS_SMPP_ROK);
	g_assert_cmpstr(out.source, ==, "15550108");    /* unknown TON: no + */
	g_assert_false(out.sms.ud.udhi);
	g_assert_cmphex(out.sms.dcs, ==, 0x04);
	g_assert_false(simota_sms_dcs_udl_in_septets(out.sms.dcs));
	tv_assert_hex(out.sms.ud.ud, out.sms.ud.len, d.sm);
	g_byte_array_unref(p.b);

	/* the same in message_payload (SMPP 3.4 §5.3.2.32), short_message empty */
	d.sm = "";
	d.tlvs = "04240008b10680040000002a";
	p = deliver_sm(&d, 79);
	g_assert_cmpuint(ots_smpp_parse_deliver(p.b->data, p.b->len, &out, &why), ==, OTS_SMPP_ROK);
	tv_assert_hex(out.sms.ud.ud, out.sms.ud.len, "b10680040000002a");
	g_byte_array_unref(p.b);
}

static void test_deliver_receipt(void)
{
	static const struct {
		const char *name, *text, *tlvs;
		const char *id, *stat;
		enum ots_smpp_msg_state state;
		unsigned err;
	} cases[] = {
		/* SMPP 3.4 §5.3.2.12 receipted_message_id, §5.3.2.35 message_state */
		{ "tlvs", "", "001e000731323334353600" "04270001" "02",
		  "123456", "DELIVRD", OTS_SMPP_STATE_DELIVERED, 0 },
		/* Appendix B text only */
		{ "text", "id:abc123 sub:001 dlvrd:000 submit date:2401011200 done date:2401011201 "
		  "stat:UNDELIV err:027 text:", NULL, "abc123", "UNDELIV",
		  OTS_SMPP_STATE_UNDELIVERABLE, 27 },
		/* both: the TLVs name the message, the text's err is kept */
		{ "both", "id:ignored stat:EXPIRED err:005", "001e0004373737000427000103", "777",
		  "EXPIRED", OTS_SMPP_STATE_EXPIRED, 5 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *hex = tv_to_hex((const uint8_t *)cases[i].text, strlen(cases[i].text));
		struct dsm d = { .src_ton = 1, .dst_ton = 1, .esm = 0x04, .dcs = 0x00,
				 .src = "15550108", .dst = "15550199", .sm = hex, .tlvs = cases[i].tlvs };
		struct pdu p = deliver_sm(&d, 80);
		struct ots_smpp_deliver out;
		const char *why = NULL;

		g_test_message("receipt: %s", cases[i].name);
		g_assert_cmpuint(ots_smpp_parse_deliver(p.b->data, p.b->len, &out, &why), ==,
				 OTS_SMPP_ROK);
		g_assert_true(out.receipt);
		g_assert_cmpstr(out.message_id, ==, cases[i].id);
		g_assert_cmpstr(out.stat, ==, cases[i].stat);
		g_assert_cmpint(out.state, ==, cases[i].state);
		g_assert_cmpuint(out.err, ==, cases[i].err);
		g_byte_array_unref(p.b);
		g_free(hex);
	}
}

/* PDUs the ESME answers with an error status and does not hand on. */
static void test_deliver_refused(void)
{
	static const struct {
		const char *name;
		struct dsm d;
		int cut;              /* bytes removed from the end (command_length kept consistent) */
		const char *source;   /* the sender still named, or NULL */
	} cases[] = {
		/* message_state is one octet: a length of 2 would shift libsmpp34's reading */
		{ "tlv length for its tag", { 1, 1, 0x04, 0, 0, "1", "2", "", "042700020200" }, 0, NULL },
		{ "tlv cut short", { 1, 1, 0x40, 0x7F, 0xF6, "1", "2", "027100", "0424" }, 0, NULL },
		{ "tlv past the end", { 1, 1, 0x40, 0x7F, 0xF6, "1", "2", "027100", "04240005aabb" }, 0, NULL },
		{ "nine tlvs", { 1, 1, 0, 0, 4, "1", "2", "00",
		  "020400020001" "020400020001" "020400020001" "020400020001" "020400020001"
		  "020400020001" "020400020001" "020400020001" "020400020001" }, 0, NULL },
		/* a TON libsmpp34 does not know: refused by it after the sender was read */
		{ "destination TON 7", { 1, 7, 0x40, 0x7F, 0xF6, "15550108", "15550199", "027100", NULL }, 0,
		  "+15550108" },
		{ "receipt without id", { 1, 1, 0x04, 0, 0, "1", "2", "73746174", NULL }, 0, "+1" },
		/* short_message cut: sm_length says more than there is */
		{ "short_message cut", { 1, 1, 0x40, 0x7F, 0xF6, "1", "2", "027100aabbcc", NULL }, 2, NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct pdu p = deliver_sm(&cases[i].d, 81);
		struct ots_smpp_deliver out;
		const char *why = NULL;
		uint32_t status;

		g_test_message("refused: %s", cases[i].name);
		if (cases[i].cut) {
			g_byte_array_set_size(p.b, p.b->len - cases[i].cut);
			p.b->data[3] = (uint8_t)p.b->len;
		}
		status = ots_smpp_parse_deliver(p.b->data, p.b->len, &out, &why);
		g_assert_cmpuint(status, ==, OTS_SMPP_RX_P_APPN);
		g_assert_nonnull(why);
		if (cases[i].source)
			g_assert_cmpstr(out.source, ==, cases[i].source);
		g_byte_array_unref(p.b);
	}
	/* a C-Octet String without its NUL up to the end of the PDU */
	{
		size_t n;
		uint8_t *b = tv_hex("00000016000000050000000000000001" "000101313535", &n);
		struct ots_smpp_deliver out;
		const char *why = NULL;

		g_assert_cmpuint(ots_smpp_parse_deliver(b, n, &out, &why), ==, OTS_SMPP_RX_P_APPN);
		g_assert_nonnull(strstr(why, "C-Octet String"));
		g_free(b);
	}
	/* command_length not the PDU's length */
	{
		struct dsm d = { 1, 1, 0, 0, 4, "1", "2", "00", NULL };
		struct pdu p = deliver_sm(&d, 82);
		struct ots_smpp_deliver out;
		const char *why = NULL;

		g_assert_cmpuint(ots_smpp_parse_deliver(p.b->data, p.b->len - 1, &out, &why), !=,
				 OTS_SMPP_ROK);
		g_byte_array_unref(p.b);
	}
}

static void test_names(void)
{
	char buf[96];

	g_assert_cmpstr(ots_smpp_status_text(0x58, buf, sizeof(buf)), ==, "ESME_RTHROTTLED (0x00000058)");
	g_assert_cmpstr(ots_smpp_status_text(0x400, buf, sizeof(buf)), ==, "command_status 0x00000400");
	g_assert_cmpstr(ots_smpp_command_name(OTS_SMPP_DELIVER_SM, buf, sizeof(buf)), ==, "deliver_sm");
	g_assert_cmpint(ots_smpp_status_class(0), ==, OTS_SMPP_CLASS_OK);
	g_assert_cmpint(ots_smpp_status_class(0x58), ==, OTS_SMPP_CLASS_LATER);   /* ESME_RTHROTTLED */
	g_assert_cmpint(ots_smpp_status_class(0x14), ==, OTS_SMPP_CLASS_LATER);   /* ESME_RMSGQFUL */
	g_assert_cmpint(ots_smpp_status_class(0x0B), ==, OTS_SMPP_CLASS_PERMANENT); /* ESME_RINVDSTADR */
	g_assert_cmpint(ots_smpp_status_class(0x08), ==, OTS_SMPP_CLASS_TRANSIENT); /* ESME_RSYSERR */
	/* SMPP 3.4 §5.2.19 → TS 23.038 */
	g_assert_cmphex(ots_smpp_dcs_of(0x02), ==, 0x04);
	g_assert_cmphex(ots_smpp_dcs_of(0x04), ==, 0x04);
	g_assert_cmphex(ots_smpp_dcs_of(0xF6), ==, 0xF6);
	g_assert_cmphex(ots_smpp_dcs_of(0x08), ==, 0x08);
	g_assert_cmphex(ots_smpp_dcs_of(0x03), ==, 0x00);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/smpp/frame", test_frame);
	g_test_add_func("/smpp/pack/bind", test_bind);
	g_test_add_func("/smpp/pack/header-only", test_header_pdus);
	g_test_add_func("/smpp/pack/submit_sm", test_submit);
	g_test_add_func("/smpp/read/submit_sm_resp", test_submit_resp);
	g_test_add_func("/smpp/read/deliver_sm PoR", test_deliver_por);
	g_test_add_func("/smpp/read/deliver_sm MG", test_deliver_mg);
	g_test_add_func("/smpp/read/deliver_sm receipt", test_deliver_receipt);
	g_test_add_func("/smpp/read/deliver_sm refused", test_deliver_refused);
	g_test_add_func("/smpp/names", test_names);
	return g_test_run();
}
