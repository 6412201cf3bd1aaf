/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Milenage (TS 35.206) over every published test set of TS 35.207 §4 and
 * TS 35.208 §4.3, the c2/c3 conversions against TS 55.205, the USIM's AKA
 * (TS 33.102 §6.3: AUTN, MAC failure, AUTS), the SQN array of TS 33.102
 * Annex C and the AUTHENTICATE encodings of TS 31.102 §7.1.2.  Vectors:
 * tests/vectors-local/milenage.json.
 */
#include <stdarg.h>
#include <string.h>

#include "test-support.h"
#include "simota/milenage.h"
#include "simota/ota.h"

static struct simota_ota_crypto *crypto;   /* test process lifetime */

static JsonArray *vectors(const char *member)
{
	return json_object_get_array_member(tv_load_from(LOCAL_VECTORS_DIR, "milenage.json"), member);
}

static JsonObject *vector(const char *member, guint i)
{
	return json_array_get_object_element(vectors(member), i);
}

struct set {
	uint8_t k[16], rand[16], sqn[6], amf[2], op[16], opc[16];
	uint8_t f1[8], f1star[8], f2[8], f3[16], f4[16], f5[6], f5star[6];
};

static void load_set(JsonObject *o, struct set *s)
{
	tv_hex_field(o, "k", s->k, 16);
	tv_hex_field(o, "rand", s->rand, 16);
	tv_hex_field(o, "sqn", s->sqn, 6);
	tv_hex_field(o, "amf", s->amf, 2);
	tv_hex_field(o, "op", s->op, 16);
	tv_hex_field(o, "opc", s->opc, 16);
	tv_hex_field(o, "f1", s->f1, 8);
	tv_hex_field(o, "f1star", s->f1star, 8);
	tv_hex_field(o, "f2", s->f2, 8);
	tv_hex_field(o, "f3", s->f3, 16);
	tv_hex_field(o, "f4", s->f4, 16);
	tv_hex_field(o, "f5", s->f5, 6);
	tv_hex_field(o, "f5star", s->f5star, 6);
}

static struct simota_milenage *milenage_of(const struct set *s)
{
	struct simota_milenage *m;

	g_assert_cmpint(simota_milenage_new(crypto, s->k, s->opc, &m), ==, SIMOTA_OK);
	return m;
}

#define assert_bytes(a, b, n) g_assert_cmpmem((a), (n), (b), (n))

/* TS 35.206 §4.1 over one test set: OPc from OP, then f1 ... f5*. */
static void check_set(JsonObject *o)
{
	struct set s;
	struct simota_milenage *m, *from_opc;
	uint8_t opc[16], mac_a[8], mac_s[8], res[8], ck[16], ik[16], ak[6], ak_star[6];

	load_set(o, &s);
	g_assert_cmpint(simota_milenage_new_op(crypto, s.k, s.op, &m), ==, SIMOTA_OK);
	simota_milenage_opc(m, opc);
	assert_bytes(opc, s.opc, 16);
	g_assert_cmpint(simota_milenage_f1(m, s.rand, s.sqn, s.amf, mac_a, mac_s), ==, SIMOTA_OK);
	assert_bytes(mac_a, s.f1, 8);
	assert_bytes(mac_s, s.f1star, 8);
	g_assert_cmpint(simota_milenage_f2345(m, s.rand, res, ck, ik, ak, ak_star), ==, SIMOTA_OK);
	assert_bytes(res, s.f2, 8);
	assert_bytes(ck, s.f3, 16);
	assert_bytes(ik, s.f4, 16);
	assert_bytes(ak, s.f5, 6);
	assert_bytes(ak_star, s.f5star, 6);

	/* the same from OPc, one output at a time */
	from_opc = milenage_of(&s);
	memset(ik, 0, sizeof(ik));
	g_assert_cmpint(simota_milenage_f2345(from_opc, s.rand, NULL, NULL, ik, NULL, NULL), ==, SIMOTA_OK);
	assert_bytes(ik, s.f4, 16);
	g_assert_cmpint(simota_milenage_f1(from_opc, s.rand, s.sqn, s.amf, NULL, mac_s), ==, SIMOTA_OK);
	assert_bytes(mac_s, s.f1star, 8);
	simota_milenage_free(from_opc);
	simota_milenage_free(m);
}

static void test_ts35207_set(gconstpointer data)
{
	check_set(vector("ts35207", GPOINTER_TO_UINT(data)));
}

static void test_ts35208_set(gconstpointer data)
{
	check_set(vector("ts35208", GPOINTER_TO_UINT(data)));
}

/* TS 55.205 SRES#1 and Kc are c2(f2) and c3(f3, f4) (TS 33.102 §6.8.1.2). */
static void test_ts55205_set(gconstpointer data)
{
	JsonObject *o = vector("ts55205", GPOINTER_TO_UINT(data));
	uint8_t k[16], rand[16], opc[16], sres1[4], kc_want[8], sres[4], kc[8];
	struct simota_milenage *m;

	tv_hex_field(o, "k", k, 16);
	tv_hex_field(o, "rand", rand, 16);
	tv_hex_field(o, "opc", opc, 16);
	tv_hex_field(o, "sres1", sres1, 4);
	tv_hex_field(o, "kc", kc_want, 8);
	g_assert_cmpint(simota_milenage_new(crypto, k, opc, &m), ==, SIMOTA_OK);
	g_assert_cmpint(simota_aka_usim_gsm(m, rand, sres, kc), ==, SIMOTA_OK);
	assert_bytes(sres, sres1, 4);
	assert_bytes(kc, kc_want, 8);
	simota_milenage_free(m);
}

static void test_c2_short_res(void)
{
	/* c2 pads RES with zeros to 128 bits: a 4-byte RES is its own SRES,
	 * a 12-byte one folds three words */
	const uint8_t res4[4] = { 0x12, 0x34, 0x56, 0x78 };
	const uint8_t res12[12] = { 1, 2, 3, 4, 0x10, 0x20, 0x30, 0x40, 0x01, 0x01, 0x01, 0x01 };
	const uint8_t want12[4] = { 1 ^ 0x10 ^ 1, 2 ^ 0x20 ^ 1, 3 ^ 0x30 ^ 1, 4 ^ 0x40 ^ 1 };
	uint8_t sres[4];

	simota_aka_c2(res4, sizeof(res4), sres);
	assert_bytes(sres, res4, 4);
	simota_aka_c2(res12, sizeof(res12), sres);
	assert_bytes(sres, want12, 4);
}

/* ---- TS 33.102 §6.3 ---- */

/* AUTN as TS 33.102 §6.3.2 lays it out, from a set's published fields. */
static void published_autn(const struct set *s, uint8_t autn[16])
{
	for (int i = 0; i < 6; i++)
		autn[i] = s->sqn[i] ^ s->f5[i];
	memcpy(autn + 6, s->amf, 2);
	memcpy(autn + 8, s->f1, 8);
}

static void usim_state(struct simota_aka_sqn_state *st, uint64_t sqn_ms)
{
	g_assert_cmpint(simota_aka_sqn_state_init(st, 5, 0, 0, sqn_ms), ==, SIMOTA_OK);
}

/* The USIM accepts the AuC's AUTN and answers the published RES, CK, IK. */
static void test_usim_accepts(gconstpointer data)
{
	struct set s;
	struct simota_milenage *m;
	struct simota_aka_sqn_state st;
	struct simota_aka_result r;
	uint8_t autn[16], built[16], kc[8];

	load_set(vector("ts35208", GPOINTER_TO_UINT(data)), &s);
	m = milenage_of(&s);
	published_autn(&s, autn);
	g_assert_cmpint(simota_aka_autn_build(m, s.rand, simota_aka_sqn_get(s.sqn), s.amf, built), ==,
			SIMOTA_OK);
	assert_bytes(built, autn, 16);

	usim_state(&st, 0);
	g_assert_cmpint(simota_aka_usim_authenticate(m, &st, s.rand, autn, &r), ==, SIMOTA_OK);
	g_assert_cmpint(r.status, ==, SIMOTA_AKA_OK);
	g_assert_cmpuint(r.sqn, ==, simota_aka_sqn_get(s.sqn));
	assert_bytes(r.amf, s.amf, 2);
	assert_bytes(r.res, s.f2, 8);
	assert_bytes(r.ck, s.f3, 16);
	assert_bytes(r.ik, s.f4, 16);
	simota_aka_c3(s.f3, s.f4, kc);
	assert_bytes(r.kc, kc, 8);

	/* accepted: the same challenge again is a synchronisation failure
	 * whose AUTS carries this SQN as SQN_MS */
	simota_aka_sqn_accept(&st, r.sqn);
	g_assert_cmpuint(simota_aka_sqn_ms(&st), ==, r.sqn);
	g_assert_cmpint(simota_aka_usim_authenticate(m, &st, s.rand, autn, &r), ==, SIMOTA_OK);
	g_assert_cmpint(r.status, ==, SIMOTA_AKA_SYNC_FAILURE);
	g_assert_cmpint(r.verdict, ==, SIMOTA_AKA_SQN_NOT_FRESH);
	simota_milenage_free(m);
}

/* TS 33.102 §6.3.3: any bit of SQN^AK, AMF or MAC changed is a MAC failure,
 * and nothing of the response is left in the result. */
static void test_usim_mac_failure(void)
{
	static const uint8_t zero[16];
	struct set s;
	struct simota_milenage *m;
	struct simota_aka_sqn_state st;
	struct simota_aka_result r;
	uint8_t autn[16];

	load_set(vector("ts35208", 0), &s);
	m = milenage_of(&s);
	usim_state(&st, 0);
	for (int i = 0; i < 16; i++) {
		published_autn(&s, autn);
		autn[i] ^= 0x01;
		g_assert_cmpint(simota_aka_usim_authenticate(m, &st, s.rand, autn, &r), ==, SIMOTA_OK);
		g_assert_cmpint(r.status, ==, SIMOTA_AKA_MAC_FAILURE);
		assert_bytes(r.res, zero, 8);
		assert_bytes(r.ck, zero, 16);
		assert_bytes(r.ik, zero, 16);
	}
	simota_milenage_free(m);
}

/* TS 33.102 §6.3.3 / §6.3.5: AUTS = SQN_MS ^ AK* || f1*(SQN_MS, RAND, 0000),
 * and the AuC gets SQN_MS back from it. */
static void test_usim_sync_failure(gconstpointer data)
{
	static const uint8_t amf_star[2];
	struct set s;
	struct simota_milenage *m;
	struct simota_aka_sqn_state st;
	struct simota_aka_result r;
	uint8_t autn[16], sqn_ms_b[6], mac_s[8], want[14];
	uint64_t sqn = 0, sqn_ms;

	load_set(vector("ts35208", GPOINTER_TO_UINT(data)), &s);
	m = milenage_of(&s);
	published_autn(&s, autn);
	sqn = simota_aka_sqn_get(s.sqn);
	sqn_ms = sqn + 32;                  /* same IND, a later SEQ */
	if (sqn_ms > SIMOTA_AKA_SQN_MAX)
		sqn_ms = sqn;
	usim_state(&st, sqn_ms);
	g_assert_cmpint(simota_aka_usim_authenticate(m, &st, s.rand, autn, &r), ==, SIMOTA_OK);
	g_assert_cmpint(r.status, ==, SIMOTA_AKA_SYNC_FAILURE);
	g_assert_cmpuint(r.sqn, ==, sqn);

	simota_aka_sqn_put(sqn_ms, sqn_ms_b);
	g_assert_cmpint(simota_milenage_f1(m, s.rand, sqn_ms_b, amf_star, NULL, mac_s), ==, SIMOTA_OK);
	for (int i = 0; i < 6; i++)
		want[i] = sqn_ms_b[i] ^ s.f5star[i];
	memcpy(want + 6, mac_s, 8);
	assert_bytes(r.auts, want, 14);

	g_assert_cmpint(simota_aka_auts_check(m, s.rand, r.auts, &sqn), ==, SIMOTA_OK);
	g_assert_cmpuint(sqn, ==, sqn_ms);
	r.auts[13] ^= 0x80;
	g_assert_cmpint(simota_aka_auts_check(m, s.rand, r.auts, &sqn), ==, SIMOTA_ERR_CHECKSUM);
	simota_milenage_free(m);
}

/* A re-synchronisation AUTS captured from a Landslide test system (free5gc). */
static void test_auts_landslide(void)
{
	JsonObject *o = vector("auts", 0);
	uint8_t k[16], opc[16], rand[16], auts[14], sqn_ms[6];
	struct simota_milenage *m;
	uint64_t got;

	tv_hex_field(o, "k", k, 16);
	tv_hex_field(o, "opc", opc, 16);
	tv_hex_field(o, "rand", rand, 16);
	tv_hex_field(o, "auts", auts, 14);
	tv_hex_field(o, "sqn_ms", sqn_ms, 6);
	g_assert_cmpint(simota_milenage_new(crypto, k, opc, &m), ==, SIMOTA_OK);
	g_assert_cmpint(simota_aka_auts_check(m, rand, auts, &got), ==, SIMOTA_OK);
	g_assert_cmpuint(got, ==, simota_aka_sqn_get(sqn_ms));
	simota_milenage_free(m);

	k[9] ^= 0x12;   /* another subscriber's key */
	g_assert_cmpint(simota_milenage_new(crypto, k, opc, &m), ==, SIMOTA_OK);
	g_assert_cmpint(simota_aka_auts_check(m, rand, auts, &got), ==, SIMOTA_ERR_CHECKSUM);
	simota_milenage_free(m);
}

/* ---- TS 33.102 Annex C ---- */

#define SQN(seq, ind) ((uint64_t)(seq) << 5 | (ind))

static const struct sqn_case {
	const char *name;
	uint64_t delta, limit;
	uint64_t accepted[4];          /* accepted in order before the check (0 ends) */
	uint64_t sqn;
	enum simota_aka_sqn_verdict want;
	uint64_t sqn_ms;               /* SQN_MS after accepting `sqn` when FRESH, else before */
} sqn_cases[] = {
	{ "C.2.2 higher SEQ, same IND", 0, 0, { SQN(5, 3) }, SQN(6, 3), SIMOTA_AKA_SQN_FRESH, SQN(6, 3) },
	{ "C.2.2 same SQN again", 0, 0, { SQN(5, 3) }, SQN(5, 3), SIMOTA_AKA_SQN_NOT_FRESH, SQN(5, 3) },
	{ "C.2.2 lower SEQ, same IND", 0, 0, { SQN(5, 3) }, SQN(4, 3), SIMOTA_AKA_SQN_NOT_FRESH, SQN(5, 3) },
	{ "C.2.2 lower SEQ, unused IND", 0, 0, { SQN(5, 3) }, SQN(4, 7), SIMOTA_AKA_SQN_FRESH, SQN(5, 3) },
	{ "C.2.2 out of order within the array", 0, 0, { SQN(5, 3), SQN(7, 4), SQN(9, 5) }, SQN(8, 3),
	  SIMOTA_AKA_SQN_FRESH, SQN(9, 5) },
	{ "C.2.2 entry of IND already ahead", 0, 0, { SQN(5, 3), SQN(9, 4) }, SQN(8, 4),
	  SIMOTA_AKA_SQN_NOT_FRESH, SQN(9, 4) },
	{ "C.2.2 L: SEQ_MS - SEQ < L accepted", 0, 4, { SQN(10, 1) }, SQN(7, 2), SIMOTA_AKA_SQN_FRESH,
	  SQN(10, 1) },
	{ "C.2.2 L: SEQ_MS - SEQ = L refused", 0, 4, { SQN(10, 1) }, SQN(6, 2), SIMOTA_AKA_SQN_TOO_OLD,
	  SQN(10, 1) },
	{ "C.2.1 delta: a jump of delta accepted", 100, 0, { SQN(10, 1) }, SQN(110, 1), SIMOTA_AKA_SQN_FRESH,
	  SQN(110, 1) },
	{ "C.2.1 delta: a jump beyond delta refused", 100, 0, { SQN(10, 1) }, SQN(111, 0),
	  SIMOTA_AKA_SQN_TOO_FAR, SQN(10, 1) },
	{ "C.2.1 delta: checked before freshness", 1000, 0, { SQN(10, 1), SQN(500, 2) }, SQN(5000, 2),
	  SIMOTA_AKA_SQN_TOO_FAR, SQN(500, 2) },
	{ "C.2.2 SQN at its 48-bit maximum", 0, 0, { SQN(5, 3) }, SIMOTA_AKA_SQN_MAX, SIMOTA_AKA_SQN_FRESH,
	  SIMOTA_AKA_SQN_MAX },
};

static void test_sqn_case(gconstpointer data)
{
	const struct sqn_case *c = data;
	struct simota_aka_sqn_state st;
	enum simota_aka_sqn_verdict v;

	g_assert_cmpint(simota_aka_sqn_state_init(&st, 5, c->delta, c->limit, 0), ==, SIMOTA_OK);
	for (int i = 0; i < 4 && c->accepted[i]; i++) {
		g_assert_cmpint(simota_aka_sqn_check(&st, c->accepted[i]), ==, SIMOTA_AKA_SQN_FRESH);
		simota_aka_sqn_accept(&st, c->accepted[i]);
	}
	v = simota_aka_sqn_check(&st, c->sqn);
	g_assert_cmpint(v, ==, c->want);
	if (v == SIMOTA_AKA_SQN_FRESH)
		simota_aka_sqn_accept(&st, c->sqn);
	g_assert_cmpuint(simota_aka_sqn_ms(&st), ==, c->sqn_ms);
}

static void test_sqn_init(void)
{
	struct simota_aka_sqn_state st;

	/* the initial SQN counts as accepted: only its own IND entry is set */
	g_assert_cmpint(simota_aka_sqn_state_init(&st, 5, 0, 0, SQN(40, 9)), ==, SIMOTA_OK);
	g_assert_cmpuint(simota_aka_sqn_ms(&st), ==, SQN(40, 9));
	g_assert_cmpint(simota_aka_sqn_check(&st, SQN(40, 9)), ==, SIMOTA_AKA_SQN_NOT_FRESH);
	g_assert_cmpint(simota_aka_sqn_check(&st, SQN(41, 9)), ==, SIMOTA_AKA_SQN_FRESH);
	for (int i = 0; i < 32; i++)
		g_assert_cmpuint(st.seq[i], ==, i == 9 ? 40 : 0);

	/* without IND bits the array is one plain counter */
	g_assert_cmpint(simota_aka_sqn_state_init(&st, 0, 0, 0, 1000), ==, SIMOTA_OK);
	g_assert_cmpint(simota_aka_sqn_check(&st, 1000), ==, SIMOTA_AKA_SQN_NOT_FRESH);
	g_assert_cmpint(simota_aka_sqn_check(&st, 1001), ==, SIMOTA_AKA_SQN_FRESH);

	g_assert_cmpint(simota_aka_sqn_state_init(&st, 6, 0, 0, 0), ==, SIMOTA_ERR_BAD_VALUE);
	g_assert_cmpint(simota_aka_sqn_state_init(&st, 5, 0, 0, SIMOTA_AKA_SQN_MAX + 1), ==,
			SIMOTA_ERR_BAD_VALUE);
}

/* ---- TS 31.102 §7.1.2 ---- */

static uint8_t *concat_hex(size_t *len, const char *first, ...)
{
	GString *s = g_string_new(NULL);
	va_list ap;
	uint8_t *out;

	va_start(ap, first);
	for (const char *h = first; h; h = va_arg(ap, const char *))
		g_string_append(s, h);
	va_end(ap);
	out = tv_hex(s->str, len);
	g_string_free(s, TRUE);
	return out;
}

/* The 3G AUTHENTICATE of a test set, through the codec and the USIM. */
static void test_authenticate_3g(gconstpointer data)
{
	JsonObject *o = vector("ts35208", GPOINTER_TO_UINT(data));
	struct set s;
	struct simota_milenage *m;
	struct simota_aka_sqn_state st;
	struct simota_aka_result r;
	struct simota_auth_command cmd;
	struct simota_auth_response rsp = { 0 }, back;
	uint8_t autn[16], buf[300], kc[8];
	struct simota_writer w = simota_writer_init(buf, sizeof(buf));
	char *autn_hex, *kc_hex;
	uint8_t *want;
	size_t want_len;

	load_set(o, &s);
	m = milenage_of(&s);
	published_autn(&s, autn);
	autn_hex = tv_to_hex(autn, 16);

	/* CLA 88 00 81 Lc=22 | 10 RAND | 10 AUTN | Le 00 */
	cmd = (struct simota_auth_command){ SIMOTA_AUTH_CONTEXT_3G, s.rand, autn };
	g_assert_cmpint(simota_auth_command_encode(0x00, &cmd, &w), ==, SIMOTA_OK);
	want = concat_hex(&want_len, "0088008122", "10", tv_str(o, "rand"), "10", autn_hex, "00", NULL);
	g_assert_cmpmem(buf, w.len, want, want_len);
	g_free(want);

	memset(&cmd, 0, sizeof(cmd));
	g_assert_cmpint(simota_auth_command_decode(buf, w.len, &cmd), ==, SIMOTA_OK);
	g_assert_cmpint(cmd.context, ==, SIMOTA_AUTH_CONTEXT_3G);
	assert_bytes(cmd.rand, s.rand, 16);
	assert_bytes(cmd.autn, autn, 16);

	usim_state(&st, 0);
	g_assert_cmpint(simota_aka_usim_authenticate(m, &st, cmd.rand, cmd.autn, &r), ==, SIMOTA_OK);
	g_assert_cmpint(r.status, ==, SIMOTA_AKA_OK);
	rsp.kind = SIMOTA_AUTH_RSP_3G_OK;
	memcpy(rsp.res, r.res, 8);
	rsp.res_len = 8;
	memcpy(rsp.ck, r.ck, 16);
	memcpy(rsp.ik, r.ik, 16);
	rsp.has_kc = true;
	memcpy(rsp.kc, r.kc, 8);
	w = simota_writer_init(buf, sizeof(buf));
	g_assert_cmpint(simota_auth_response_encode(&rsp, &w), ==, SIMOTA_OK);

	/* DB 08 RES 10 CK 10 IK 08 Kc, Kc = c3(CK, IK) */
	simota_aka_c3(s.f3, s.f4, kc);
	kc_hex = tv_to_hex(kc, 8);
	want = concat_hex(&want_len, "db08", tv_str(o, "f2"), "10", tv_str(o, "f3"), "10", tv_str(o, "f4"),
			  "08", kc_hex, NULL);
	g_assert_cmpmem(buf, w.len, want, want_len);
	g_assert_cmpint(simota_auth_response_decode(SIMOTA_AUTH_CONTEXT_3G, buf, w.len, &back), ==, SIMOTA_OK);
	g_assert_cmpint(back.kind, ==, SIMOTA_AUTH_RSP_3G_OK);
	g_assert_cmpuint(back.res_len, ==, 8);
	assert_bytes(back.res, s.f2, 8);
	assert_bytes(back.ck, s.f3, 16);
	assert_bytes(back.ik, s.f4, 16);
	g_assert_true(back.has_kc);
	assert_bytes(back.kc, kc, 8);

	/* without Kc (service n27 not available) */
	rsp.has_kc = false;
	w = simota_writer_init(buf, sizeof(buf));
	g_assert_cmpint(simota_auth_response_encode(&rsp, &w), ==, SIMOTA_OK);
	g_assert_cmpmem(buf, w.len, want, want_len - 9);
	g_assert_cmpint(simota_auth_response_decode(SIMOTA_AUTH_CONTEXT_3G, buf, w.len, &back), ==, SIMOTA_OK);
	g_assert_false(back.has_kc);

	g_free(want);
	g_free(kc_hex);
	g_free(autn_hex);
	simota_milenage_free(m);
}

static void test_authenticate_sync_failure(void)
{
	JsonObject *o = vector("ts35208", 2);
	struct set s;
	struct simota_milenage *m;
	struct simota_aka_sqn_state st;
	struct simota_aka_result r;
	struct simota_auth_response rsp = { .kind = SIMOTA_AUTH_RSP_SYNC_FAILURE }, back;
	uint8_t autn[16], buf[64];
	struct simota_writer w = simota_writer_init(buf, sizeof(buf));
	uint64_t sqn_ms;

	load_set(o, &s);
	m = milenage_of(&s);
	published_autn(&s, autn);
	usim_state(&st, simota_aka_sqn_get(s.sqn));
	g_assert_cmpint(simota_aka_usim_authenticate(m, &st, s.rand, autn, &r), ==, SIMOTA_OK);
	g_assert_cmpint(r.status, ==, SIMOTA_AKA_SYNC_FAILURE);
	memcpy(rsp.auts, r.auts, 14);
	g_assert_cmpint(simota_auth_response_encode(&rsp, &w), ==, SIMOTA_OK);
	g_assert_cmpuint(w.len, ==, 16);
	g_assert_cmphex(buf[0], ==, 0xDC);
	g_assert_cmphex(buf[1], ==, 14);
	assert_bytes(buf + 2, r.auts, 14);
	g_assert_cmpint(simota_auth_response_decode(SIMOTA_AUTH_CONTEXT_3G, buf, w.len, &back), ==, SIMOTA_OK);
	g_assert_cmpint(back.kind, ==, SIMOTA_AUTH_RSP_SYNC_FAILURE);
	g_assert_cmpint(simota_aka_auts_check(m, s.rand, back.auts, &sqn_ms), ==, SIMOTA_OK);
	g_assert_cmpuint(sqn_ms, ==, simota_aka_sqn_get(s.sqn));
	simota_milenage_free(m);
}

/* GSM context (P2 80): 10 RAND in, 04 SRES 08 Kc out, against TS 55.205. */
static void test_authenticate_gsm(void)
{
	JsonObject *o = vector("ts55205", 0);
	struct simota_milenage *m;
	struct simota_auth_command cmd = { .context = SIMOTA_AUTH_CONTEXT_GSM };
	struct simota_auth_response rsp = { .kind = SIMOTA_AUTH_RSP_GSM_OK }, back;
	uint8_t k[16], opc[16], rand[16], buf[64];
	struct simota_writer w = simota_writer_init(buf, sizeof(buf));
	uint8_t *want;
	size_t want_len;

	tv_hex_field(o, "k", k, 16);
	tv_hex_field(o, "opc", opc, 16);
	tv_hex_field(o, "rand", rand, 16);
	cmd.rand = rand;
	g_assert_cmpint(simota_auth_command_encode(0x00, &cmd, &w), ==, SIMOTA_OK);
	want = concat_hex(&want_len, "0088008011", "10", tv_str(o, "rand"), "00", NULL);
	g_assert_cmpmem(buf, w.len, want, want_len);
	g_free(want);
	g_assert_cmpint(simota_auth_command_decode(buf, w.len, &cmd), ==, SIMOTA_OK);
	g_assert_cmpint(cmd.context, ==, SIMOTA_AUTH_CONTEXT_GSM);
	g_assert_null(cmd.autn);

	g_assert_cmpint(simota_milenage_new(crypto, k, opc, &m), ==, SIMOTA_OK);
	g_assert_cmpint(simota_aka_usim_gsm(m, cmd.rand, rsp.sres, rsp.kc), ==, SIMOTA_OK);
	w = simota_writer_init(buf, sizeof(buf));
	g_assert_cmpint(simota_auth_response_encode(&rsp, &w), ==, SIMOTA_OK);
	want = concat_hex(&want_len, "04", tv_str(o, "sres1"), "08", tv_str(o, "kc"), NULL);
	g_assert_cmpmem(buf, w.len, want, want_len);
	g_free(want);
	g_assert_cmpint(simota_auth_response_decode(SIMOTA_AUTH_CONTEXT_GSM, buf, w.len, &back), ==, SIMOTA_OK);
	g_assert_cmpint(back.kind, ==, SIMOTA_AUTH_RSP_GSM_OK);
	assert_bytes(back.sres, rsp.sres, 4);
	assert_bytes(back.kc, rsp.kc, 8);
	simota_milenage_free(m);
}

/* Malformed AUTHENTICATE commands and responses: one table. */
static const struct bad_auth {
	const char *name;
	int what;                  /* 0 command APDU, 1 3G response, 2 GSM response */
	const char *hex;
	simota_err want;
} bad_auth[] = {
	{ "P2 82 (VGCS/VBS context)", 0, "0088008211" "10" "00112233445566778899aabbccddeeff" "00",
	  SIMOTA_ERR_UNSUPPORTED },
	{ "P2 01 (b8 not set)", 0, "0088000111" "10" "00112233445566778899aabbccddeeff", SIMOTA_ERR_UNSUPPORTED },
	{ "P1 not 00", 0, "0088018011" "10" "00112233445566778899aabbccddeeff", SIMOTA_ERR_BAD_VALUE },
	{ "INS not 88", 0, "0089008011" "10" "00112233445566778899aabbccddeeff", SIMOTA_ERR_BAD_VALUE },
	{ "no data (case 2)", 0, "0088008000", SIMOTA_ERR_MISSING_VALUE },
	{ "RAND of 15 bytes", 0, "0088008010" "0f" "00112233445566778899aabbccddee", SIMOTA_ERR_BAD_LENGTH },
	{ "3G without AUTN", 0, "0088008111" "10" "00112233445566778899aabbccddeeff", SIMOTA_ERR_TRUNCATED },
	{ "3G AUTN of 17 bytes", 0, "0088008123" "10" "00112233445566778899aabbccddeeff"
	  "11" "00112233445566778899aabbccddeeff00", SIMOTA_ERR_BAD_LENGTH },
	{ "GSM with a trailing byte", 0, "0088008012" "10" "00112233445566778899aabbccddeeff" "aa",
	  SIMOTA_ERR_TRAILING_DATA },
	{ "Lc beyond the data", 0, "0088008022" "10" "00112233445566778899aabbccddeeff", SIMOTA_ERR_BAD_LENGTH },
	{ "unknown response tag", 1, "dd0400000000", SIMOTA_ERR_BAD_TAG },
	{ "empty response", 1, "", SIMOTA_ERR_TRUNCATED },
	{ "RES of 3 bytes", 1, "db03aabbcc", SIMOTA_ERR_BAD_LENGTH },
	{ "RES of 17 bytes", 1, "db11", SIMOTA_ERR_BAD_LENGTH },
	{ "CK of 15 bytes", 1, "db04aabbccdd0f00112233445566778899aabbccddee", SIMOTA_ERR_BAD_LENGTH },
	{ "IK missing", 1, "db04aabbccdd1000112233445566778899aabbccddeeff", SIMOTA_ERR_TRUNCATED },
	{ "Kc of 7 bytes", 1, "db04aabbccdd1000112233445566778899aabbccddeeff"
	  "1000112233445566778899aabbccddeeff0700112233445566", SIMOTA_ERR_BAD_LENGTH },
	{ "trailing byte after Kc", 1, "db04aabbccdd1000112233445566778899aabbccddeeff"
	  "1000112233445566778899aabbccddeeff080011223344556677ff", SIMOTA_ERR_TRAILING_DATA },
	{ "AUTS of 13 bytes", 1, "dc0d00112233445566778899aabbcc", SIMOTA_ERR_BAD_LENGTH },
	{ "AUTS cut short", 1, "dc0e00112233", SIMOTA_ERR_TRUNCATED },
	{ "GSM SRES of 5 bytes", 2, "050011223344080011223344556677", SIMOTA_ERR_BAD_LENGTH },
	{ "GSM without Kc", 2, "0400112233", SIMOTA_ERR_TRUNCATED },
	{ "GSM with a 3G answer", 2, "db04aabbccdd", SIMOTA_ERR_BAD_LENGTH },
};

static void test_bad_auth(gconstpointer data)
{
	const struct bad_auth *c = data;
	struct simota_auth_command cmd;
	struct simota_auth_response rsp;
	size_t len;
	uint8_t *p = tv_hex(c->hex, &len);
	simota_err err = c->what == 0 ? simota_auth_command_decode(p, len, &cmd)
			: simota_auth_response_decode(c->what == 1 ? SIMOTA_AUTH_CONTEXT_3G
								   : SIMOTA_AUTH_CONTEXT_GSM, p, len, &rsp);

	g_assert_cmpstr(simota_strerror(err), ==, simota_strerror(c->want));
	g_free(p);
}

static void test_encode_refuses(void)
{
	uint8_t buf[64], rand[16] = { 0 };
	struct simota_writer w = simota_writer_init(buf, sizeof(buf));
	struct simota_auth_command cmd = { .context = SIMOTA_AUTH_CONTEXT_3G, .rand = rand };
	struct simota_auth_response rsp = { .kind = SIMOTA_AUTH_RSP_3G_OK, .res_len = 3 };

	g_assert_cmpint(simota_auth_command_encode(0x00, &cmd, &w), ==, SIMOTA_ERR_MISSING_VALUE);
	cmd.context = 2;
	g_assert_cmpint(simota_auth_command_encode(0x00, &cmd, &w), ==, SIMOTA_ERR_BAD_VALUE);
	g_assert_cmpint(simota_auth_response_encode(&rsp, &w), ==, SIMOTA_ERR_BAD_VALUE);
	rsp.res_len = 16;
	w = simota_writer_init(buf, 20);
	g_assert_cmpint(simota_auth_response_encode(&rsp, &w), ==, SIMOTA_ERR_NO_SPACE);
}

/* One test per set of a vector array: "<prefix> <set number><suffix>". */
static void add_sets(const char *member, const char *prefix, const char *suffix, GTestDataFunc fn)
{
	JsonArray *a = vectors(member);

	for (guint i = 0; i < json_array_get_length(a); i++) {
		char *name = g_strdup_printf("%s %u%s", prefix, (unsigned)json_object_get_int_member(
						     json_array_get_object_element(a, i), "set"), suffix);
		g_test_add_data_func(name, GUINT_TO_POINTER(i), fn);
		g_free(name);
	}
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(simota_ota_crypto_new(&crypto), ==, SIMOTA_OK);

	add_sets("ts35207", "/milenage/TS 35.207 test set", "", test_ts35207_set);
	add_sets("ts35208", "/milenage/TS 35.208 test set", "", test_ts35208_set);
	add_sets("ts55205", "/milenage/TS 55.205 test set", " (c2, c3)", test_ts55205_set);
	g_test_add_func("/milenage/c2 of a short and a long RES", test_c2_short_res);
	add_sets("ts35208", "/aka/USIM accepts the AUTN of TS 35.208 set", "", test_usim_accepts);
	add_sets("ts35208", "/aka/USIM sync failure, AUTS of TS 35.208 set", "", test_usim_sync_failure);
	g_test_add_func("/aka/MAC failure for every changed AUTN byte", test_usim_mac_failure);
	g_test_add_func("/aka/AUTS of a Landslide re-synchronisation", test_auts_landslide);
	for (size_t i = 0; i < G_N_ELEMENTS(sqn_cases); i++)
		tv_add_test("/aka/SQN Annex ", sqn_cases[i].name, &sqn_cases[i], test_sqn_case);
	g_test_add_func("/aka/SQN state initialised from sqn=", test_sqn_init);
	add_sets("ts35208", "/authenticate/3G context, TS 35.208 set", "", test_authenticate_3g);
	g_test_add_func("/authenticate/3G context, synchronisation failure", test_authenticate_sync_failure);
	g_test_add_func("/authenticate/GSM context", test_authenticate_gsm);
	for (size_t i = 0; i < G_N_ELEMENTS(bad_auth); i++)
		tv_add_test("/authenticate/refused: ", bad_auth[i].name, &bad_auth[i], test_bad_auth);
	g_test_add_func("/authenticate/encoders refuse bad input", test_encode_refuses);

	rc = g_test_run();
	simota_ota_crypto_free(crypto);
	return rc;
}
