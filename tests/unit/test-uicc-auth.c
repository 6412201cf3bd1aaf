/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * AUTHENTICATE (TS 31.102 §7.1.2) and RUN GSM ALGORITHM (TS 51.011 §9.2.16)
 * through the card's APDU interface: the published Milenage test sets of
 * TS 35.207 and TS 35.208 as card configs and challenges (RES, CK, IK), the
 * GSM context against TS 55.205 (SRES, Kc), a real re-synchronisation AUTS,
 * MAC failure 98 62, SQN freshness kept across a power cycle, and the
 * conditions (USIM selected, PIN1).  Every expected value is published, not
 * computed here; AUTN is assembled from the set's SQN xor AK, AMF and MAC-A.
 */
#include <string.h>

#include "simota/milenage.h"
#include "simota/ota.h"
#include "test-support.h"
#include "uicc-card-support.h"

#define CARD "[card]\niccid=89882390000000000017\nimsi=001010123456789\n"
#define SELECT_USIM "00A4040407A0000000871002"

static JsonObject *vectors;

static char *hexcat(const char *a, const char *b)
{
	return g_strconcat(a, b, NULL);
}

/* AUTN = SQN xor AK || AMF || MAC-A (TS 33.102 §6.3.2), from the set's published f5 and f1. */
static char *autn_of(JsonObject *v)
{
	uint8_t sqn[6], ak[6];
	char *x, *autn;

	tv_hex_field(v, "sqn", sqn, 6);
	tv_hex_field(v, "f5", ak, 6);
	for (int i = 0; i < 6; i++)
		sqn[i] ^= ak[i];
	x = tv_to_hex(sqn, 6);
	autn = g_strconcat(x, tv_str(v, "amf"), tv_str(v, "f1"), NULL);
	g_free(x);
	return autn;
}

/* A card with the set's K and OPc (op: OP instead) and ust; the USIM selected. */
static void open_card(struct fixture *f, JsonObject *v, bool op, const char *extra)
{
	char *ini = g_strdup_printf(CARD "k=%s\n%s=%s\nsqn=000000000000\n%s", tv_str(v, "k"), op ? "op" : "opc",
				    tv_str(v, op ? "op" : "opc"), extra ? extra : "");

	card_fixture_open(f, ini);
	g_free(ini);
	XCHG(f->card, SELECT_USIM, "61??");
}

static char *auth_3g_apdu(const char *rand, const char *autn)
{
	return g_strdup_printf("0088008122 10%s 10%s", rand, autn);
}

/* One published set: the 3G context answers DB 08 RES 10 CK 10 IK, via 61 2C and GET RESPONSE. */
static void test_set(gconstpointer data)
{
	JsonObject *v = (JsonObject *)data;
	struct fixture f;
	char *autn = autn_of(v), *apdu = auth_3g_apdu(tv_str(v, "rand"), autn);
	char *expect = g_strdup_printf("DB08%s10%s10%s 9000", tv_str(v, "f2"), tv_str(v, "f3"), tv_str(v, "f4"));

	open_card(&f, v, false, NULL);
	XCHG(f.card, apdu, "612C");
	XCHG(f.card, "00C000002C", expect);
	/* the same challenge again: its SQN is no longer fresh */
	XCHG(f.card, apdu, "6110");
	XCHG(f.card, "00C0000010", "DC0E* 9000");
	card_fixture_close(&f);

	/* from OP: the card derives OPc (TS 35.206 §4.1) */
	if (json_object_has_member(v, "op")) {
		open_card(&f, v, true, NULL);
		XCHG(f.card, apdu, "612C");
		XCHG(f.card, "00C000002C", expect);
		card_fixture_close(&f);
	}
	g_free(expect);
	g_free(apdu);
	g_free(autn);
}

/* TS 55.205 (GSM context, TS 33.102 §6.8.1.2): P2 80 and CLA A0 RUN GSM ALGORITHM give SRES, Kc. */
static void test_gsm_set(gconstpointer data)
{
	JsonObject *v = (JsonObject *)data;
	struct fixture f;
	char *apdu = g_strdup_printf("0088008011 10%s", tv_str(v, "rand"));
	char *expect = g_strdup_printf("04%s08%s 9000", tv_str(v, "sres1"), tv_str(v, "kc"));
	char *expect_gsm = g_strdup_printf("%s%s 9000", tv_str(v, "sres1"), tv_str(v, "kc"));
	char *run_gsm = hexcat("A088000010", tv_str(v, "rand"));

	open_card(&f, v, false, NULL);
	XCHG(f.card, apdu, "610E");
	XCHG(f.card, "00C000000E", expect);
	XCHG(f.card, "A0A40000027F20", "9F??");
	XCHG(f.card, run_gsm, "9F0C");
	XCHG(f.card, "A0C000000C", expect_gsm);
	card_fixture_close(&f);
	g_free(run_gsm);
	g_free(expect_gsm);
	g_free(expect);
	g_free(apdu);
}

/*
 * The published re-synchronisation: a card whose SQN_MS is the AuC's
 * answers a stale challenge with exactly the captured AUTS.
 */
static void test_auts_vector(void)
{
	JsonObject *v = json_array_get_object_element(json_object_get_array_member(vectors, "auts"), 0);
	struct simota_ota_crypto *crypto;
	struct simota_milenage *m;
	uint8_t k[16], opc[16], rand[16], autn[16];
	static const uint8_t amf[2] = { 0x80, 0x00 };
	char *ini = g_strdup_printf(CARD "k=%s\nopc=%s\nsqn=%s\n", tv_str(v, "k"), tv_str(v, "opc"), tv_str(v, "sqn_ms"));
	char *autn_hex, *apdu, *expect;
	struct fixture f;

	/* the network's side builds a valid AUTN for an SQN the card has seen (its own SQN_MS) */
	tv_hex_field(v, "k", k, 16);
	tv_hex_field(v, "opc", opc, 16);
	tv_hex_field(v, "rand", rand, 16);
	g_assert_cmpint(simota_ota_crypto_new(&crypto), ==, SIMOTA_OK);
	g_assert_cmpint(simota_milenage_new(crypto, k, opc, &m), ==, SIMOTA_OK);
	g_assert_cmpint(simota_aka_autn_build(m, rand, g_ascii_strtoull(tv_str(v, "sqn_ms"), NULL, 16), amf, autn),
			==, SIMOTA_OK);
	autn_hex = tv_to_hex(autn, 16);
	apdu = auth_3g_apdu(tv_str(v, "rand"), autn_hex);
	expect = g_strdup_printf("DC0E%s 9000", tv_str(v, "auts"));

	card_fixture_open(&f, ini);
	XCHG(f.card, SELECT_USIM, "61??");
	XCHG(f.card, apdu, "6110");
	XCHG(f.card, "00C0000010", expect);
	card_fixture_close(&f);

	simota_milenage_free(m);
	simota_ota_crypto_free(crypto);
	g_free(expect);
	g_free(apdu);
	g_free(autn_hex);
	g_free(ini);
}

static JsonObject *set1(void)
{
	return json_array_get_object_element(json_object_get_array_member(vectors, "ts35208"), 0);
}

/* A wrong MAC-A: 98 62, nothing stored; the right one is still fresh after it. */
static void test_mac_failure(void)
{
	JsonObject *v = set1();
	char *autn = autn_of(v), *apdu, *good = auth_3g_apdu(tv_str(v, "rand"), autn);
	struct fixture f;

	autn[31] = autn[31] == '0' ? '1' : '0';       /* the last nibble of MAC-A */
	apdu = auth_3g_apdu(tv_str(v, "rand"), autn);
	open_card(&f, v, false, NULL);
	XCHG(f.card, apdu, "9862");
	XCHG(f.card, good, "612C");
	card_fixture_close(&f);
	g_free(good);
	g_free(apdu);
	g_free(autn);
}

/* The accepted SQN is in the state file before the answer: after a power cycle the challenge is stale. */
static void test_sqn_durable(void)
{
	JsonObject *v = set1();
	char *autn = autn_of(v), *apdu = auth_3g_apdu(tv_str(v, "rand"), autn);
	struct fixture f;

	open_card(&f, v, false, NULL);
	XCHG(f.card, apdu, "612C");
	card_fixture_reopen(&f);
	XCHG(f.card, SELECT_USIM, "61??");
	XCHG(f.card, apdu, "6110");
	XCHG(f.card, "00C0000010", "DC0E* 9000");
	card_fixture_close(&f);

	/* a config whose initial SQN_MS is the set's SQN: stale from the start */
	{
		char *extra = g_strdup_printf("sqn=%s\n", tv_str(v, "sqn"));
		char *ini = g_strdup_printf(CARD "k=%s\nopc=%s\n%s", tv_str(v, "k"), tv_str(v, "opc"), extra);

		card_fixture_open(&f, ini);
		XCHG(f.card, SELECT_USIM, "61??");
		XCHG(f.card, apdu, "6110");
		card_fixture_close(&f);
		g_free(ini);
		g_free(extra);
	}
	g_free(apdu);
	g_free(autn);
}

/* EF_UST service 27 (GSM access): the 3G answer carries Kc = c3(CK, IK) as well. */
static void test_kc_with_gsm_access(void)
{
	JsonObject *v = set1();
	char *autn = autn_of(v), *apdu = auth_3g_apdu(tv_str(v, "rand"), autn);
	struct fixture f;
	uint8_t ck[16], ik[16], kc[8];
	char *kc_hex, *expect;

	tv_hex_field(v, "f3", ck, 16);
	tv_hex_field(v, "f4", ik, 16);
	simota_aka_c3(ck, ik, kc);
	kc_hex = tv_to_hex(kc, 8);
	expect = g_strdup_printf("DB08%s10%s10%s08%s 9000", tv_str(v, "f2"), tv_str(v, "f3"), tv_str(v, "f4"), kc_hex);
	/* services 10, 12, 19, 21, 27, 28, 33 */
	open_card(&f, v, false, "ust=000a140c01\n");
	XCHG(f.card, apdu, "6135");
	XCHG(f.card, "00C0000035", expect);
	card_fixture_close(&f);
	/* the c3 result is TS 55.205 set 1's Kc */
	g_assert_cmpstr(kc_hex, ==, tv_str(json_array_get_object_element(json_object_get_array_member(vectors,
					"ts55205"), 0), "kc"));
	g_free(expect);
	g_free(kc_hex);
	g_free(apdu);
	g_free(autn);
}

/* Where AUTHENTICATE may run, and what it refuses. */
static void test_conditions(void)
{
	JsonObject *v = set1();
	char *autn = autn_of(v), *apdu = auth_3g_apdu(tv_str(v, "rand"), autn);
	char *ini = g_strdup_printf(CARD "pin=1234\nk=%s\nopc=%s\n", tv_str(v, "k"), tv_str(v, "opc"));
	struct fixture f;

	card_fixture_open(&f, ini);
	/* the MF is current, no application selected */
	XCHG(f.card, apdu, "6985");
	XCHG(f.card, SELECT_USIM, "61??");
	/* PIN1 enabled and not verified */
	XCHG(f.card, apdu, "6982");
	XCHG(f.card, "0020000108 31323334FFFFFFFF", "9000");
	/* P2: only GSM (80) and 3G (81) contexts */
	XCHG(f.card, "0088008222 10000102030405060708090a0b0c0d0e0f 10000102030405060708090a0b0c0d0e0f", "6A86");
	XCHG(f.card, "0088018122 10000102030405060708090a0b0c0d0e0f 10000102030405060708090a0b0c0d0e0f", "6A86");
	/* RAND of 15 bytes, AUTN missing */
	XCHG(f.card, "0088008121 0F000102030405060708090a0b0c0d0e 10000102030405060708090a0b0c0d0e0f", "6A80");
	XCHG(f.card, "0088008111 10000102030405060708090a0b0c0d0e0f", "6A80");
	XCHG(f.card, apdu, "612C");
	card_fixture_close(&f);
	g_free(ini);

	/* no k= in the config: the card has no AUTHENTICATE */
	card_fixture_open(&f, CARD);
	XCHG(f.card, SELECT_USIM, "61??");
	XCHG(f.card, apdu, "6D00");
	card_fixture_close(&f);
	g_free(apdu);
	g_free(autn);
}

int main(int argc, char **argv)
{
	static const char *const groups[] = { "ts35207", "ts35208" };

	g_test_init(&argc, &argv, NULL);
	vectors = tv_load_from(LOCAL_VECTORS_DIR, "milenage.json");
	for (size_t g = 0; g < G_N_ELEMENTS(groups); g++) {
		JsonArray *sets = json_object_get_array_member(vectors, groups[g]);

		for (guint i = 0; i < json_array_get_length(sets); i++) {
			JsonObject *v = json_array_get_object_element(sets, i);
			char *name = g_strdup_printf("/uicc-auth/%s/set-%" G_GINT64_FORMAT, groups[g],
						     json_object_get_int_member(v, "set"));

			g_test_add_data_func(name, v, test_set);
			g_free(name);
		}
	}
	{
		JsonArray *sets = json_object_get_array_member(vectors, "ts55205");

		for (guint i = 0; i < json_array_get_length(sets); i++) {
			JsonObject *v = json_array_get_object_element(sets, i);
			char *name = g_strdup_printf("/uicc-auth/ts55205/set-%" G_GINT64_FORMAT,
						     json_object_get_int_member(v, "set"));

			g_test_add_data_func(name, v, test_gsm_set);
			g_free(name);
		}
	}
	g_test_add_func("/uicc-auth/auts-vector", test_auts_vector);
	g_test_add_func("/uicc-auth/mac-failure", test_mac_failure);
	g_test_add_func("/uicc-auth/sqn-durable", test_sqn_durable);
	g_test_add_func("/uicc-auth/kc-with-gsm-access", test_kc_with_gsm_access);
	g_test_add_func("/uicc-auth/conditions", test_conditions);
	return g_test_run();
}
