/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Remote APDU structures (TS 102 226 §5) and short APDUs (ISO/IEC 7816-4
 * §5): the real sysmoISIM-SJA2 traffic pySim's smpp-ota-tool document
 * prints (unwrapped by the secured-packet code, then read as a compact
 * script and a compact response), pySim's expanded-format vectors (some
 * captured from a live eUICC), and tables for everything else.  Vectors:
 * tests/vectors-local/pysim-smpp-ota-tool.json, pysim-rfm-expanded.json.
 */
#include <string.h>

#include "test-support.h"
#include "simota/apdu.h"
#include "simota/ota.h"
#include "simota/rfm.h"
#include "simota/tlv.h"

static struct simota_ota_crypto *crypto;   /* test process lifetime */

static JsonObject *local(const char *name)
{
	return tv_load_from(LOCAL_VECTORS_DIR, name);
}

static JsonObject *element(JsonObject *o, const char *array, guint i)
{
	return json_array_get_object_element(json_object_get_array_member(o, array), i);
}

static guint count_of(JsonObject *o, const char *array)
{
	return json_array_get_length(json_object_get_array_member(o, array));
}

static uint8_t byte_of(JsonObject *o, const char *member)
{
	uint8_t b;

	tv_hex_field(o, member, &b, 1);
	return b;
}

static uint64_t number_of(JsonObject *o, const char *member)
{
	size_t n;
	uint8_t *p = tv_hex(tv_str(o, member), &n);
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	g_free(p);
	return v;
}

static struct simota_ota_key *key_of(JsonObject *keyset, const char *alg_member, const char *key_member)
{
	enum simota_ota_alg alg;
	struct simota_ota_key *key;
	size_t n;
	uint8_t *k = tv_hex(tv_str(keyset, key_member), &n);

	g_assert_cmpint(simota_ota_alg_from_name(tv_str(keyset, alg_member), &alg), ==, SIMOTA_OK);
	g_assert_cmpint(simota_ota_key_new(crypto, alg, k, n, &key), ==, SIMOTA_OK);
	g_free(k);
	return key;
}

/* ---- The sysmoISIM-SJA2 exchanges of pySim's smpp-ota-tool document ---- */

static void check_command_packet(JsonObject *x, const char *kid_member)
{
	JsonObject *doc = local("pysim-smpp-ota-tool.json");
	JsonObject *keyset = json_object_get_object_member(doc, "keyset");
	struct simota_ota_key *kic = key_of(keyset, "kic_algorithm", "kic");
	struct simota_ota_key *kid = key_of(keyset, "kid_algorithm", kid_member);
	struct simota_ota_command cmd;
	struct simota_rfm_compact_reader rd;
	struct simota_rfm_command c;
	JsonArray *apdus = json_object_get_array_member(x, "apdus");
	uint8_t work[256], tar[3], spi[2], again[64];
	struct simota_writer w = simota_writer_init(again, sizeof(again));
	struct simota_apdu decoded[4];
	size_t len, skip, n = 0;
	uint8_t *pkt = tv_hex(tv_str(x, "command_packet"), &len);

	skip = simota_ota_udh_skip(pkt, len, 0x70);
	g_assert_cmpuint(skip, ==, 3);
	g_assert_cmpint(simota_ota_command_decode(pkt + skip, len - skip, kic, kid, work, sizeof(work), &cmd), ==,
			SIMOTA_OK);
	tv_hex_field(x, "spi", spi, 2);
	g_assert_cmpmem(cmd.spi, 2, spi, 2);
	g_assert_cmphex(cmd.kic, ==, byte_of(x, "kic"));
	g_assert_cmphex(cmd.kid, ==, byte_of(x, "kid"));
	tv_hex_field(x, "tar", tar, 3);
	g_assert_cmpmem(cmd.tar, 3, tar, 3);
	g_assert_cmpuint(cmd.cntr, ==, number_of(x, "cntr"));
	tv_assert_hex(cmd.data, cmd.data_len, tv_str(x, "secured_data"));

	/* the secured data is a compact command string of exactly those C-APDUs */
	simota_rfm_compact_reader_init(&rd, cmd.data, cmd.data_len, NULL);
	while (!simota_rfm_compact_done(&rd)) {
		g_assert_cmpint(simota_rfm_compact_next(&rd, &c), ==, SIMOTA_OK);
		g_assert_cmpuint(n, <, json_array_get_length(apdus));
		tv_assert_hex(c.raw, c.raw_len, json_array_get_string_element(apdus, n));
		decoded[n++] = c.apdu;
	}
	g_assert_cmpuint(n, ==, json_array_get_length(apdus));
	g_assert_cmpint(simota_rfm_compact_next(&rd, &c), ==, SIMOTA_ERR_MISSING_VALUE);
	/* SELECT DF.GSM carries Lc, GET RESPONSE Le (TS 51.011 §9.2.1, §9.2.18) */
	g_assert_cmpint(simota_apdu_case(&decoded[0]), ==, 3);
	g_assert_cmpuint(decoded[0].lc, ==, 2);
	g_assert_cmpint(simota_apdu_case(&decoded[1]), ==, 2);
	g_assert_cmpuint(simota_apdu_ne(&decoded[1]), ==, 0x16);
	g_assert_cmpint(simota_rfm_compact_encode(decoded, n, &w), ==, SIMOTA_OK);
	tv_assert_hex(again, w.len, tv_str(x, "secured_data"));

	simota_ota_key_free(kic);
	simota_ota_key_free(kid);
	g_free(pkt);
}

static void check_por(JsonObject *x)
{
	JsonObject *keyset = json_object_get_object_member(local("pysim-smpp-ota-tool.json"), "keyset");
	JsonObject *por = json_object_get_object_member(x, "por");
	struct simota_ota_key *kic = key_of(keyset, "kic_algorithm", "kic");
	struct simota_ota_key *kid = key_of(keyset, "kid_algorithm", "kid");
	struct simota_ota_response rsp, built;
	struct simota_rfm_compact_response cr;
	uint8_t kic_b = byte_of(x, "kic"), kid_b = byte_of(x, "kid");
	uint8_t spi[2], work[256], out[256], data[64];
	struct simota_writer w = simota_writer_init(data, sizeof(data));
	size_t len, out_len;
	uint8_t *pkt = tv_hex(tv_str(x, "por_packet"), &len);

	tv_hex_field(x, "spi", spi, 2);
	g_assert_cmpint(simota_ota_response_decode(spi, kic_b, kid_b, pkt, len, kic, kid, work, sizeof(work),
						   &rsp), ==, SIMOTA_OK);
	g_assert_cmphex(rsp.status, ==, byte_of(por, "status"));
	g_assert_cmpuint(rsp.cntr, ==, number_of(por, "cntr"));
	g_assert_cmpuint(rsp.pcntr, ==, json_object_get_int_member(por, "pcntr"));
	tv_assert_hex(rsp.cc, rsp.cc_len, tv_str(por, "cc"));
	tv_assert_hex(rsp.data, rsp.data_len, tv_str(por, "data"));

	if (rsp.status == SIMOTA_OTA_STATUS_OK) {
		JsonObject *want = json_object_get_object_member(x, "compact_response");

		/* the additional data: count, SW and data of the last command */
		g_assert_cmpint(simota_rfm_compact_response_decode(rsp.data, rsp.data_len, &cr), ==, SIMOTA_OK);
		g_assert_cmpuint(cr.count, ==, json_object_get_int_member(want, "count"));
		g_assert_cmphex(cr.sw, ==, number_of(want, "sw"));
		tv_assert_hex(cr.data, cr.data_len, tv_str(want, "data"));
		g_assert_cmpint(simota_rfm_compact_response_encode(&cr, &w), ==, SIMOTA_OK);
		tv_assert_hex(data, w.len, tv_str(por, "data"));
	} else {
		g_assert_cmpint(simota_rfm_compact_response_decode(rsp.data, rsp.data_len, &cr), ==,
				SIMOTA_ERR_TRUNCATED);
	}

	/* the card's side: the same fields give back the very PoR the card sent */
	built = (struct simota_ota_response){ .cntr = rsp.cntr, .status = rsp.status, .data = rsp.data,
					      .data_len = rsp.data_len };
	memcpy(built.tar, rsp.tar, 3);
	g_assert_cmpint(simota_ota_response_encode(spi, kic_b, kid_b, &built, kic, kid, out, sizeof(out),
						   &out_len), ==, SIMOTA_OK);
	tv_assert_hex(out, out_len, tv_str(x, "por_packet"));

	simota_ota_key_free(kic);
	simota_ota_key_free(kid);
	g_free(pkt);
}

static void test_smpp_ota_tool(gconstpointer data)
{
	JsonObject *x = element(local("pysim-smpp-ota-tool.json"), "exchanges", GPOINTER_TO_UINT(data));

	check_command_packet(x, "kid");
	check_por(x);
}

/* The document's two spellings of KID1 differ in a DES parity bit only. */
static void test_smpp_ota_tool_kid_parity(void)
{
	check_command_packet(element(local("pysim-smpp-ota-tool.json"), "exchanges", 0), "kid_command_line");
}

static void test_pysim_compact_responses(void)
{
	JsonObject *doc = local("pysim-smpp-ota-tool.json");

	for (guint i = 0; i < count_of(doc, "compact_responses"); i++) {
		JsonObject *v = element(doc, "compact_responses", i);
		struct simota_rfm_compact_response cr;
		size_t len;
		uint8_t *p = tv_hex(tv_str(v, "data"), &len);

		g_assert_cmpint(simota_rfm_compact_response_decode(p, len, &cr), ==, SIMOTA_OK);
		g_assert_cmpuint(cr.count, ==, json_object_get_int_member(v, "count"));
		g_assert_cmphex(cr.sw, ==, number_of(v, "sw"));
		tv_assert_hex(cr.data, cr.data_len, tv_str(v, "last_data"));
		g_free(p);
	}
}

/* ---- pySim's expanded-format vectors ---- */

static void test_pysim_expanded_command(gconstpointer data)
{
	JsonObject *v = element(local("pysim-rfm-expanded.json"), "commands", GPOINTER_TO_UINT(data));
	JsonArray *apdus = json_object_get_array_member(v, "apdus");
	struct simota_rfm_expanded_reader rd;
	struct simota_rfm_item item;
	struct simota_apdu decoded[8];
	uint8_t again[512];
	struct simota_writer w = simota_writer_init(again, sizeof(again));
	size_t len, n = 0;
	uint8_t *script = tv_hex(tv_str(v, "script"), &len);
	simota_err err;

	g_assert_cmpint(simota_rfm_expanded_reader_init(&rd, script, len), ==, SIMOTA_OK);
	g_assert_cmpint(rd.indefinite, ==, json_object_get_boolean_member(v, "indefinite"));
	while ((err = simota_rfm_expanded_next(&rd, &item)) == SIMOTA_OK) {
		g_assert_cmpint(item.kind, ==, SIMOTA_RFM_ITEM_CAPDU);
		g_assert_cmpint(item.apdu_err, ==, SIMOTA_OK);
		g_assert_cmpuint(n, <, json_array_get_length(apdus));
		tv_assert_hex(item.cmd.raw, item.cmd.raw_len, json_array_get_string_element(apdus, n));
		decoded[n++] = item.cmd.apdu;
	}
	g_assert_cmpint(err, ==, SIMOTA_ERR_MISSING_VALUE);
	g_assert_true(simota_rfm_expanded_done(&rd));
	g_assert_cmpuint(n, ==, json_array_get_length(apdus));

	g_assert_cmpint(simota_rfm_expanded_encode(decoded, n, rd.indefinite, &w), ==, SIMOTA_OK);
	tv_assert_hex(again, w.len, tv_str(v, "script"));
	g_free(script);
}

static int optional_int(JsonObject *o, const char *member)
{
	return JSON_NODE_HOLDS_NULL(json_object_get_member(o, member)) ? -1
	       : (int)json_object_get_int_member(o, member);
}

static void test_pysim_expanded_response(gconstpointer data)
{
	JsonObject *v = element(local("pysim-rfm-expanded.json"), "responses", GPOINTER_TO_UINT(data));
	JsonArray *want = json_object_get_array_member(v, "rapdus");
	struct simota_rfm_expanded_response rsp;
	struct simota_rfm_rapdu_iter it;
	struct simota_rfm_rapdu r;
	struct simota_rfm_expanded_response_writer ew;
	struct simota_reader body;
	struct simota_tlv t;
	uint8_t again[512];
	struct simota_writer w = simota_writer_init(again, sizeof(again));
	size_t len, n = 0;
	uint8_t *p = tv_hex(tv_str(v, "response"), &len);

	g_assert_cmpint(simota_rfm_expanded_response_decode(p, len, &rsp), ==, SIMOTA_OK);
	g_assert_cmpint(rsp.indefinite, ==, json_object_get_boolean_member(v, "indefinite"));
	g_assert_cmpuint(rsp.count, ==, json_object_get_int_member(v, "count"));
	g_assert_cmpuint(rsp.rapdus, ==, json_array_get_length(want));
	g_assert_cmpint(rsp.bad_format == SIMOTA_RFM_BAD_FORMAT_NONE ? -1 : (int)rsp.bad_format, ==,
			optional_int(v, "bad_format"));
	g_assert_cmpint(rsp.immediate_action, ==, optional_int(v, "immediate_action"));
	g_assert_cmpint(rsp.script_chaining, ==, optional_int(v, "script_chaining"));
	simota_rfm_rapdu_iter_init(&it, &rsp);
	while (simota_rfm_rapdu_next(&it, &r)) {
		JsonArray *pair = json_array_get_array_element(want, (guint)n++);

		tv_assert_hex(r.data, r.len, json_array_get_string_element(pair, 0));
		g_assert_cmphex(r.sw, ==, strtoul(json_array_get_string_element(pair, 1), NULL, 16));
	}
	g_assert_cmpuint(n, ==, rsp.rapdus);

	/* the card's writer gives the same bytes back from the same content */
	simota_rfm_expanded_response_begin(&ew, &w, rsp.indefinite);
	body = simota_reader_init(rsp.body, rsp.body_len);
	while (simota_reader_left(&body)) {
		g_assert_cmpint(simota_ber_tlv_next(&body, &t), ==, SIMOTA_OK);
		if (t.tag == SIMOTA_RFM_TAG_RAPDU)
			simota_rfm_expanded_response_add_rapdu(&ew, t.value, t.len - 2,
							       (uint16_t)(t.value[t.len - 2] << 8 | t.value[t.len - 1]));
		else if (t.tag == SIMOTA_RFM_TAG_IMMEDIATE_ACTION || t.tag == SIMOTA_RFM_TAG_SCRIPT_CHAINING)
			simota_rfm_expanded_response_add_code(&ew, (uint8_t)t.tag, t.value[0]);
	}
	g_assert_cmpint(simota_rfm_expanded_response_end(&ew, rsp.count, rsp.bad_format), ==, SIMOTA_OK);
	tv_assert_hex(again, w.len, tv_str(v, "response"));
	g_free(p);
}

static void test_pysim_expanded_bad_responses(void)
{
	JsonObject *doc = local("pysim-rfm-expanded.json");

	for (guint i = 0; i < count_of(doc, "bad_responses"); i++) {
		struct simota_rfm_expanded_response rsp;
		size_t len;
		uint8_t *p = tv_hex(tv_str(element(doc, "bad_responses", i), "response"), &len);

		g_assert_cmpint(simota_rfm_expanded_response_decode(p, len, &rsp), !=, SIMOTA_OK);
		g_free(p);
	}
}

/* ---- ISO/IEC 7816-4 §5.1 short APDUs ---- */

static const struct apdu_case {
	const char *hex;
	simota_err err;
	int apdu_case;
	size_t lc;
	unsigned ne;
} apdu_cases[] = {
	{ "00a4", SIMOTA_ERR_TRUNCATED, 0, 0, 0 },
	{ "00b00000", SIMOTA_OK, 1, 0, 0 },
	{ "00b0000010", SIMOTA_OK, 2, 0, 0x10 },
	{ "00b0000000", SIMOTA_OK, 2, 0, 256 },
	{ "00a4000402", SIMOTA_OK, 2, 0, 2 },                 /* one body byte is Le */
	{ "00a40004023f00", SIMOTA_OK, 3, 2, 0 },
	{ "00a40004023f0000", SIMOTA_OK, 4, 2, 256 },
	{ "00a40004023f0010", SIMOTA_OK, 4, 2, 0x10 },
	{ "00a40004023f", SIMOTA_ERR_BAD_LENGTH, 0, 0, 0 },
	{ "00a40004023f000000", SIMOTA_ERR_BAD_LENGTH, 0, 0, 0 },
	{ "00a400040000023f00", SIMOTA_ERR_UNSUPPORTED, 0, 0, 0 },  /* extended Lc */
	{ "00b000000000", SIMOTA_ERR_UNSUPPORTED, 0, 0, 0 },        /* extended Le */
};

static void test_apdu(gconstpointer data)
{
	const struct apdu_case *c = data;
	struct simota_apdu a;
	uint8_t out[SIMOTA_APDU_MAX_LEN];
	struct simota_writer w = simota_writer_init(out, sizeof(out));
	size_t len;
	uint8_t *p = tv_hex(c->hex, &len);

	g_assert_cmpint(simota_apdu_decode(p, len, &a), ==, c->err);
	if (c->err == SIMOTA_OK) {
		g_assert_cmpint(simota_apdu_case(&a), ==, c->apdu_case);
		g_assert_cmpuint(a.lc, ==, c->lc);
		g_assert_cmpuint(simota_apdu_ne(&a), ==, c->ne);
		g_assert_cmpuint(simota_apdu_encoded_len(&a), ==, len);
		simota_apdu_write(&w, &a);
		g_assert_cmpmem(out, w.len, p, len);
	}
	g_free(p);
}

static void test_apdu_longest(void)
{
	uint8_t in[SIMOTA_APDU_MAX_LEN], out[SIMOTA_APDU_MAX_LEN];
	struct simota_writer w = simota_writer_init(out, sizeof(out) - 1);
	struct simota_apdu a;
	const uint8_t *data;
	size_t data_len;
	uint16_t sw;

	memset(in, 0x5a, sizeof(in));
	in[4] = 0xFF;
	g_assert_cmpint(simota_apdu_decode(in, sizeof(in), &a), ==, SIMOTA_OK);
	g_assert_cmpint(simota_apdu_case(&a), ==, 4);
	g_assert_cmpuint(a.lc, ==, 255);
	simota_apdu_write(&w, &a);   /* one byte short */
	g_assert_cmpint(simota_writer_status(&w), ==, SIMOTA_ERR_NO_SPACE);

	g_assert_cmpint(simota_rapdu_split(in, 1, &data, &data_len, &sw), ==, SIMOTA_ERR_TRUNCATED);
	g_assert_cmpint(simota_rapdu_split(in + 2, 3, &data, &data_len, &sw), ==, SIMOTA_OK);
	g_assert_cmpuint(data_len, ==, 1);
	g_assert_cmphex(sw, ==, 0x5aff);
}

/* ---- Compact format ---- */

/* Commands of TS 102 221 / TS 51.011 / GlobalPlatform split as the card would. */
static void test_compact_split(void)
{
	static const char *const cmds[] = {
		"00a40004023f00",            /* SELECT: Lc */
		"00b0000010",                /* READ BINARY: Le */
		"80f24002024f00",            /* GP GET STATUS: Lc */
		"80f2000016",                /* STATUS: Le */
		"a0f2000016",                /* SIM STATUS: Le */
		"002000010831323334ffffffff",/* VERIFY PIN: Lc */
		"0020000100",                /* VERIFY, retries (case 1) */
		"00dc0104050102030405",      /* UPDATE RECORD */
		"00b2010400",                /* READ RECORD, Le 256 */
		"0070000001",                /* MANAGE CHANNEL open: Le */
		"a0c0000016",                /* GET RESPONSE */
		"a088000010" "00112233445566778899aabbccddeeff",  /* RUN GSM ALGORITHM */
	};
	static const int cases[] = { 3, 2, 3, 2, 2, 3, 1, 3, 2, 2, 2, 3 };
	GString *s = g_string_new(NULL);
	struct simota_rfm_compact_reader rd;
	struct simota_rfm_command c;
	size_t len;
	uint8_t *script;

	for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++)
		g_string_append(s, cmds[i]);
	script = tv_hex(s->str, &len);
	simota_rfm_compact_reader_init(&rd, script, len, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++) {
		g_assert_cmpint(simota_rfm_compact_next(&rd, &c), ==, SIMOTA_OK);
		tv_assert_hex(c.raw, c.raw_len, cmds[i]);
		g_assert_cmpint(simota_apdu_case(&c.apdu), ==, cases[i]);
	}
	g_assert_true(simota_rfm_compact_done(&rd));
	g_free(script);
	g_string_free(s, TRUE);
}

static const struct compact_bad {
	const char *hex;
	unsigned good;               /* commands read before the error */
	simota_err err;
} compact_bad[] = {
	{ "", 0, SIMOTA_ERR_MISSING_VALUE },
	{ "00a400", 0, SIMOTA_ERR_TRUNCATED },          /* a header cut short */
	{ "00a40004", 0, SIMOTA_ERR_TRUNCATED },        /* no P3 */
	{ "00a40004023f", 0, SIMOTA_ERR_TRUNCATED },    /* Lc beyond the string */
	{ "00b000001000a4", 1, SIMOTA_ERR_TRUNCATED },
	{ "00b0000010" "00d6000004aabb", 1, SIMOTA_ERR_TRUNCATED },
};

static void test_compact_bad(gconstpointer data)
{
	const struct compact_bad *c = data;
	struct simota_rfm_compact_reader rd;
	struct simota_rfm_command cmd;
	size_t len;
	uint8_t *p = tv_hex(c->hex, &len);

	simota_rfm_compact_reader_init(&rd, p, len, NULL);
	for (unsigned i = 0; i < c->good; i++)
		g_assert_cmpint(simota_rfm_compact_next(&rd, &cmd), ==, SIMOTA_OK);
	g_assert_cmpint(simota_rfm_compact_next(&rd, &cmd), ==, c->err);
	/* a failed read leaves the reader where it was */
	g_assert_cmpint(simota_rfm_compact_next(&rd, &cmd), ==, c->err);
	g_free(p);
}

/* A classifier of the caller's own (a RAM application's) decides P3. */
static bool all_lc(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2)
{
	(void)cla; (void)ins; (void)p1; (void)p2;
	return false;
}

static void test_compact_classifier(void)
{
	static const uint8_t script[] = { 0x80, 0xCA, 0x00, 0x66, 0x02, 0xAA, 0xBB };
	struct simota_rfm_compact_reader rd;
	struct simota_rfm_command c;

	simota_rfm_compact_reader_init(&rd, script, sizeof(script), NULL);
	g_assert_cmpint(simota_rfm_compact_next(&rd, &c), ==, SIMOTA_OK);   /* GET DATA: Le 02 */
	g_assert_cmpuint(c.raw_len, ==, 5);
	simota_rfm_compact_reader_init(&rd, script, sizeof(script), all_lc);
	g_assert_cmpint(simota_rfm_compact_next(&rd, &c), ==, SIMOTA_OK);
	g_assert_cmpuint(c.raw_len, ==, 7);
	g_assert_true(simota_rfm_compact_done(&rd));
}

static void test_compact_encode(void)
{
	static const uint8_t mf[2] = { 0x3F, 0x00 };
	struct simota_apdu select4 = { 0x00, 0xA4, 0x00, 0x04, mf, 2, true, 0x00 };
	struct simota_apdu status1 = { 0x80, 0xF2, 0x00, 0x00, NULL, 0, false, 0 };
	struct simota_apdu cmds[2] = { select4, status1 };
	struct simota_apdu bad_get_response = { 0xA0, 0xC0, 0x00, 0x00, mf, 2, false, 0 };
	struct simota_apdu bad_select = { 0x00, 0xA4, 0x00, 0x04, NULL, 0, true, 0x10 };
	uint8_t out[64];
	struct simota_writer w = simota_writer_init(out, sizeof(out));

	/* case 4 goes without its Le, case 1 with P3 = 00 */
	g_assert_cmpint(simota_rfm_compact_encode(cmds, 2, &w), ==, SIMOTA_OK);
	tv_assert_hex(out, w.len, "00a40004023f00" "80f2000000");
	w = simota_writer_init(out, sizeof(out));
	g_assert_cmpint(simota_rfm_compact_encode(&bad_get_response, 1, &w), ==, SIMOTA_ERR_BAD_VALUE);
	g_assert_cmpint(simota_rfm_compact_encode(&bad_select, 1, &w), ==, SIMOTA_ERR_BAD_VALUE);
	g_assert_cmpint(simota_rfm_compact_encode(cmds, 0, &w), ==, SIMOTA_ERR_MISSING_VALUE);
	w = simota_writer_init(out, 6);
	g_assert_cmpint(simota_rfm_compact_encode(cmds, 2, &w), ==, SIMOTA_ERR_NO_SPACE);
}

static const struct sw_case {
	uint16_t sw;
	bool go_on;
} sw_cases[] = {
	{ 0x9000, true }, { 0x9001, false }, { 0x9110, true }, { 0x9200, true }, { 0x9240, false },
	{ 0x9F16, true }, { 0x6116, true }, { 0x6282, true }, { 0x63C2, true }, { 0x6700, false },
	{ 0x6A82, false }, { 0x6982, false }, { 0x9804, false }, { 0x6F00, false }, { 0x6D00, false },
};

static void test_sw_continues(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(sw_cases); i++) {
		if (simota_rfm_sw_continues(sw_cases[i].sw) != sw_cases[i].go_on)
			g_error("SW %04X: continues should be %d", sw_cases[i].sw, sw_cases[i].go_on);
	}
}

/* TS 102 226 §5.1.2: the card runs the script until a command fails; the
 * response has the count (the failing command included), its SW, and the
 * data of the last command. */
static const struct script_run {
	const char *name;
	const char *results[4];      /* "SW[:data]" per command of the script */
	const char *por_data;        /* the additional data of the PoR */
} script_runs[] = {
	{ "SELECT DF.GSM + GET RESPONSE on a SIM", { "9f16", "9000:0000ffff7f20", NULL },
	  "029000" "0000ffff7f20" },
	{ "second command fails, third never runs", { "9000", "6a82", "9000", NULL }, "026a82" },
	{ "first command fails", { "6982", "9000", NULL }, "016982" },
	{ "case 4 left waiting for GET RESPONSE", { "6132", NULL }, "016132" },
	{ "a warning goes on", { "63c2", "9000:aa", NULL }, "029000aa" },
	{ "data of an earlier command is not reported", { "9000:1122", "9000", NULL }, "029000" },
};

static void test_script_run(gconstpointer data)
{
	const struct script_run *c = data;
	struct simota_rfm_compact_response rsp = { 0 };
	uint8_t *bufs[4] = { 0 }, out[64];
	struct simota_writer w = simota_writer_init(out, sizeof(out));

	for (int i = 0; i < 4 && c->results[i]; i++) {
		char **parts = g_strsplit(c->results[i], ":", 2);
		size_t n = 0;

		bufs[i] = tv_hex(parts[1] ? parts[1] : "", &n);
		if (!simota_rfm_compact_record(&rsp, (uint16_t)strtoul(parts[0], NULL, 16), bufs[i], n)) {
			g_strfreev(parts);
			break;
		}
		g_strfreev(parts);
	}
	g_assert_cmpint(simota_rfm_compact_response_encode(&rsp, &w), ==, SIMOTA_OK);
	tv_assert_hex(out, w.len, c->por_data);
	for (int i = 0; i < 4; i++)
		g_free(bufs[i]);
}

static void test_compact_response_limits(void)
{
	struct simota_rfm_compact_response rsp = { .count = 256, .sw = 0x9000 };
	uint8_t out[4];
	struct simota_writer w = simota_writer_init(out, sizeof(out));

	g_assert_cmpint(simota_rfm_compact_response_encode(&rsp, &w), ==, SIMOTA_ERR_BAD_VALUE);
	rsp.count = 255;
	g_assert_cmpint(simota_rfm_compact_response_encode(&rsp, &w), ==, SIMOTA_OK);
	tv_assert_hex(out, w.len, "ff9000");
	g_assert_cmpint(simota_rfm_compact_response_decode(out, 2, &rsp), ==, SIMOTA_ERR_TRUNCATED);
}

/* ---- Expanded format ---- */

static const struct expanded_case {
	const char *name;
	const char *hex;
	simota_err init_err;
	unsigned items;              /* read successfully */
	simota_err end_err;          /* of the next read after them */
	enum simota_rfm_bad_format bad_format;
} expanded_cases[] = {
	{ "actions and chaining around a C-APDU", "aa0e" "830101" "810101" "8200" "220400b00000", SIMOTA_OK, 4,
	  SIMOTA_ERR_MISSING_VALUE, SIMOTA_RFM_BAD_FORMAT_NONE },
	{ "empty definite template", "aa00", SIMOTA_OK, 0, SIMOTA_ERR_MISSING_VALUE, SIMOTA_RFM_BAD_FORMAT_NONE },
	{ "empty indefinite template", "ae800000", SIMOTA_OK, 0, SIMOTA_ERR_MISSING_VALUE,
	  SIMOTA_RFM_BAD_FORMAT_NONE },
	{ "not a command template", "ab03220100", SIMOTA_ERR_BAD_TAG, 0, SIMOTA_OK, SIMOTA_RFM_BAD_FORMAT_NONE },
	{ "AA length beyond the data", "aa05220300a4", SIMOTA_ERR_TRUNCATED, 0, SIMOTA_OK,
	  SIMOTA_RFM_BAD_FORMAT_NONE },
	{ "bytes after AA", "aa03220100ff", SIMOTA_ERR_TRAILING_DATA, 0, SIMOTA_OK, SIMOTA_RFM_BAD_FORMAT_NONE },
	{ "AE with a definite length", "ae05220300a4000000", SIMOTA_ERR_BAD_LENGTH, 0, SIMOTA_OK,
	  SIMOTA_RFM_BAD_FORMAT_NONE },
	{ "unknown tag", "aa03990100", SIMOTA_OK, 0, SIMOTA_ERR_BAD_TAG, SIMOTA_RFM_BAD_FORMAT_UNKNOWN_TAG },
	{ "unknown tag after a command", "aa09220400b00000a00100", SIMOTA_OK, 1, SIMOTA_ERR_BAD_TAG,
	  SIMOTA_RFM_BAD_FORMAT_UNKNOWN_TAG },
	{ "a tag without length", "aa07220400b0000022", SIMOTA_OK, 1, SIMOTA_ERR_TRUNCATED,
	  SIMOTA_RFM_BAD_FORMAT_NO_LENGTH },
	{ "a length beyond the template", "aa09220400b00000220500", SIMOTA_OK, 1, SIMOTA_ERR_TRUNCATED,
	  SIMOTA_RFM_BAD_FORMAT_WRONG_LENGTH },
	{ "a 4-byte length", "aa072283000001aaff", SIMOTA_OK, 0, SIMOTA_ERR_BAD_LENGTH,
	  SIMOTA_RFM_BAD_FORMAT_WRONG_LENGTH },
	{ "AE without end-of-contents", "ae80220400b00000", SIMOTA_OK, 1, SIMOTA_ERR_TRUNCATED,
	  SIMOTA_RFM_BAD_FORMAT_NO_LENGTH },
	{ "bytes after AE's end-of-contents", "ae80220400b000000000ff", SIMOTA_OK, 1, SIMOTA_ERR_TRAILING_DATA,
	  SIMOTA_RFM_BAD_FORMAT_WRONG_LENGTH },
	{ "AE ending in a single 00", "ae80220400b0000000", SIMOTA_OK, 1, SIMOTA_ERR_BAD_TAG,
	  SIMOTA_RFM_BAD_FORMAT_UNKNOWN_TAG },
};

static void test_expanded_case(gconstpointer data)
{
	const struct expanded_case *c = data;
	struct simota_rfm_expanded_reader rd;
	struct simota_rfm_item item;
	size_t len;
	uint8_t *p = tv_hex(c->hex, &len);
	simota_err err;

	g_assert_cmpint(simota_rfm_expanded_reader_init(&rd, p, len), ==, c->init_err);
	if (c->init_err == SIMOTA_OK) {
		for (unsigned i = 0; i < c->items; i++)
			g_assert_cmpint(simota_rfm_expanded_next(&rd, &item), ==, SIMOTA_OK);
		err = simota_rfm_expanded_next(&rd, &item);
		g_assert_cmpint(err, ==, c->end_err);
		g_assert_cmpint(simota_rfm_bad_format_of(&rd, err), ==, c->bad_format);
	}
	g_free(p);
}

static void test_expanded_items(void)
{
	static const uint8_t script[] = { 0xAA, 0x15, 0x83, 0x01, 0x01, 0x81, 0x01, 0x01, 0x82, 0x00,
					  0x22, 0x03, 0x00, 0xA4, 0x00,          /* no valid APDU */
					  0x22, 0x06, 0x00, 0xA4, 0x00, 0x04, 0x05, 0xAA };  /* Lc beyond */
	static const enum simota_rfm_item_kind kinds[] = {
		SIMOTA_RFM_ITEM_SCRIPT_CHAINING, SIMOTA_RFM_ITEM_IMMEDIATE_ACTION, SIMOTA_RFM_ITEM_ERROR_ACTION,
		SIMOTA_RFM_ITEM_CAPDU, SIMOTA_RFM_ITEM_CAPDU,
	};
	static const simota_err apdu_errs[] = { SIMOTA_OK, SIMOTA_OK, SIMOTA_OK, SIMOTA_ERR_TRUNCATED,
						SIMOTA_ERR_BAD_LENGTH };
	struct simota_rfm_expanded_reader rd;
	struct simota_rfm_item item;

	g_assert_cmpint(simota_rfm_expanded_reader_init(&rd, script, sizeof(script)), ==, SIMOTA_OK);
	for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
		g_assert_cmpint(simota_rfm_expanded_next(&rd, &item), ==, SIMOTA_OK);
		g_assert_cmpint(item.kind, ==, kinds[i]);
		g_assert_cmpint(item.apdu_err, ==, apdu_errs[i]);
	}
	g_assert_cmpuint(item.len, ==, 6);
	g_assert_cmpint(simota_rfm_expanded_next(&rd, &item), ==, SIMOTA_ERR_MISSING_VALUE);
}

/* BER lengths on 3 bytes: a 261-byte C-APDU (Lc 255 and Le) in AA. */
static void test_expanded_long(void)
{
	uint8_t data[255], out[300];
	struct simota_apdu a = { 0x00, 0xD6, 0x00, 0x00, data, 255, true, 0x00 };
	struct simota_writer w = simota_writer_init(out, sizeof(out));
	struct simota_rfm_expanded_reader rd;
	struct simota_rfm_item item;

	memset(data, 0xA5, sizeof(data));
	g_assert_cmpint(simota_rfm_expanded_encode(&a, 1, false, &w), ==, SIMOTA_OK);
	g_assert_cmpuint(w.len, ==, 4 + 4 + 261);
	tv_assert_hex(out, 8, "aa820109" "22820105");
	g_assert_cmpint(simota_rfm_expanded_reader_init(&rd, out, w.len), ==, SIMOTA_OK);
	g_assert_cmpint(simota_rfm_expanded_next(&rd, &item), ==, SIMOTA_OK);
	g_assert_cmpint(item.apdu_err, ==, SIMOTA_OK);
	g_assert_cmpuint(item.cmd.apdu.lc, ==, 255);
	g_assert_cmpint(simota_apdu_case(&item.cmd.apdu), ==, 4);
	g_assert_true(simota_rfm_expanded_done(&rd));

	w = simota_writer_init(out, 100);
	g_assert_cmpint(simota_rfm_expanded_encode(&a, 1, false, &w), ==, SIMOTA_ERR_NO_SPACE);
	g_assert_cmpint(simota_rfm_expanded_encode(&a, 0, true, &w), ==, SIMOTA_ERR_MISSING_VALUE);
}

/* The card's expanded response: a failing second command, then Bad Format. */
static void test_expanded_response_writer(void)
{
	static const uint8_t fcp[2] = { 0x62, 0x00 };
	uint8_t out[64], big[300];
	struct simota_writer w = simota_writer_init(out, sizeof(out));
	struct simota_rfm_expanded_response_writer ew;
	struct simota_rfm_expanded_response rsp;

	simota_rfm_expanded_response_begin(&ew, &w, false);
	simota_rfm_expanded_response_add_rapdu(&ew, fcp, 2, 0x9000);
	simota_rfm_expanded_response_add_rapdu(&ew, NULL, 0, 0x6A82);
	g_assert_cmpint(simota_rfm_expanded_response_end(&ew, 2, SIMOTA_RFM_BAD_FORMAT_NONE), ==, SIMOTA_OK);
	tv_assert_hex(out, w.len, "ab0d" "800102" "230462009000" "23026a82");
	g_assert_cmpint(simota_rfm_expanded_response_decode(out, w.len, &rsp), ==, SIMOTA_OK);
	g_assert_true(rsp.has_count);
	g_assert_cmpuint(rsp.count, ==, 2);

	w = simota_writer_init(out, sizeof(out));
	simota_rfm_expanded_response_begin(&ew, &w, true);
	simota_rfm_expanded_response_add_rapdu(&ew, NULL, 0, 0x9000);
	g_assert_cmpint(simota_rfm_expanded_response_end(&ew, 1, SIMOTA_RFM_BAD_FORMAT_WRONG_LENGTH), ==,
			SIMOTA_OK);
	tv_assert_hex(out, w.len, "af80" "23029000" "900102" "0000");

	w = simota_writer_init(out, sizeof(out));
	simota_rfm_expanded_response_begin(&ew, &w, false);
	g_assert_cmpint(simota_rfm_expanded_response_end(&ew, 256, SIMOTA_RFM_BAD_FORMAT_NONE), ==,
			SIMOTA_ERR_BAD_VALUE);

	/* an R-APDU too long for the PoR buffer */
	memset(big, 0, sizeof(big));
	w = simota_writer_init(out, sizeof(out));
	simota_rfm_expanded_response_begin(&ew, &w, false);
	simota_rfm_expanded_response_add_rapdu(&ew, big, sizeof(big), 0x9000);
	g_assert_cmpint(simota_rfm_expanded_response_end(&ew, 1, SIMOTA_RFM_BAD_FORMAT_NONE), ==,
			SIMOTA_ERR_NO_SPACE);
}

static const struct response_bad {
	const char *name;
	const char *hex;
	simota_err err;
} response_bad[] = {
	{ "empty", "", SIMOTA_ERR_TRUNCATED },
	{ "a command template", "aa0780010123029000", SIMOTA_ERR_BAD_TAG },
	{ "AF alone", "af", SIMOTA_ERR_TRUNCATED },
	{ "AF with a definite length", "af0423029000", SIMOTA_ERR_BAD_LENGTH },
	{ "R-APDU of one byte", "ab06800101230190", SIMOTA_ERR_BAD_LENGTH },
	{ "count after an R-APDU", "ab0723029000800101", SIMOTA_ERR_BAD_TAG },
	{ "AB without count", "ab0423029000", SIMOTA_ERR_MISSING_VALUE },
	{ "count of 3 bytes", "ab058003000001", SIMOTA_ERR_BAD_LENGTH },
	{ "Bad Format twice", "ab09800101900101900102", SIMOTA_ERR_DUPLICATE },
	{ "Bad Format 04", "ab06800101900104", SIMOTA_ERR_BAD_VALUE },
	{ "Bad Format of 2 bytes", "ab0780010190020101", SIMOTA_ERR_BAD_LENGTH },
	{ "Immediate Action response twice", "ab09800101810101810101", SIMOTA_ERR_DUPLICATE },
	{ "unknown tag", "ab06800101990100", SIMOTA_ERR_BAD_TAG },
	{ "bytes after AB", "ab03800101ff", SIMOTA_ERR_TRAILING_DATA },
	{ "bytes after AF's end-of-contents", "af80230290000000ff", SIMOTA_ERR_TRAILING_DATA },
	{ "R-APDU length beyond AB", "ab0780010123059000", SIMOTA_ERR_TRUNCATED },
};

static void test_response_bad(gconstpointer data)
{
	const struct response_bad *c = data;
	struct simota_rfm_expanded_response rsp;
	size_t len;
	uint8_t *p = tv_hex(c->hex, &len);

	g_assert_cmpint(simota_rfm_expanded_response_decode(p, len, &rsp), ==, c->err);
	g_free(p);
}

static void test_response_count_in_af(void)
{
	static const uint8_t p[] = { 0xAF, 0x80, 0x80, 0x01, 0x02, 0x23, 0x02, 0x90, 0x00, 0x00, 0x00 };
	struct simota_rfm_expanded_response rsp;

	g_assert_cmpint(simota_rfm_expanded_response_decode(p, sizeof(p), &rsp), ==, SIMOTA_OK);
	g_assert_true(rsp.has_count);
	g_assert_cmpuint(rsp.count, ==, 2);
	g_assert_cmpuint(rsp.rapdus, ==, 1);
}

int main(int argc, char **argv)
{
	JsonObject *doc;
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(simota_ota_crypto_new(&crypto), ==, SIMOTA_OK);

	doc = local("pysim-smpp-ota-tool.json");
	for (guint i = 0; i < count_of(doc, "exchanges"); i++)
		tv_add_test("/rfm/pySim smpp-ota-tool/", tv_str(element(doc, "exchanges", i), "name"),
			    GUINT_TO_POINTER(i), test_smpp_ota_tool);
	g_test_add_func("/rfm/pySim smpp-ota-tool/KID1 as on the command line", test_smpp_ota_tool_kid_parity);
	g_test_add_func("/rfm/pySim test_ota compact responses", test_pysim_compact_responses);
	doc = local("pysim-rfm-expanded.json");
	for (guint i = 0; i < count_of(doc, "commands"); i++)
		tv_add_test("/rfm/pySim expanded command/", tv_str(element(doc, "commands", i), "name"),
			    GUINT_TO_POINTER(i), test_pysim_expanded_command);
	for (guint i = 0; i < count_of(doc, "responses"); i++)
		tv_add_test("/rfm/pySim expanded response/", tv_str(element(doc, "responses", i), "name"),
			    GUINT_TO_POINTER(i), test_pysim_expanded_response);
	g_test_add_func("/rfm/pySim expanded responses refused", test_pysim_expanded_bad_responses);

	for (size_t i = 0; i < G_N_ELEMENTS(apdu_cases); i++)
		tv_add_test("/apdu/", apdu_cases[i].hex, &apdu_cases[i], test_apdu);
	g_test_add_func("/apdu/longest short APDU, R-APDU split", test_apdu_longest);

	g_test_add_func("/rfm/compact/commands split by P3", test_compact_split);
	for (size_t i = 0; i < G_N_ELEMENTS(compact_bad); i++)
		tv_add_test("/rfm/compact/refused ", compact_bad[i].hex, &compact_bad[i], test_compact_bad);
	g_test_add_func("/rfm/compact/the caller's classifier", test_compact_classifier);
	g_test_add_func("/rfm/compact/encode", test_compact_encode);
	g_test_add_func("/rfm/compact/status words that stop a script", test_sw_continues);
	for (size_t i = 0; i < G_N_ELEMENTS(script_runs); i++)
		tv_add_test("/rfm/compact/response: ", script_runs[i].name, &script_runs[i], test_script_run);
	g_test_add_func("/rfm/compact/response limits", test_compact_response_limits);

	for (size_t i = 0; i < G_N_ELEMENTS(expanded_cases); i++)
		tv_add_test("/rfm/expanded/", expanded_cases[i].name, &expanded_cases[i], test_expanded_case);
	g_test_add_func("/rfm/expanded/item kinds and invalid C-APDUs", test_expanded_items);
	g_test_add_func("/rfm/expanded/3-byte lengths", test_expanded_long);
	g_test_add_func("/rfm/expanded/response writer", test_expanded_response_writer);
	for (size_t i = 0; i < G_N_ELEMENTS(response_bad); i++)
		tv_add_test("/rfm/expanded/response refused: ", response_bad[i].name, &response_bad[i],
			    test_response_bad);
	g_test_add_func("/rfm/expanded/count TLV in AF", test_response_count_in_af);

	rc = g_test_run();
	simota_ota_crypto_free(crypto);
	return rc;
}
