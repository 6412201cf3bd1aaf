/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * USIM EF contents (3GPP TS 31.102 §4.2.2, §4.2.12, §4.2.18, §4.2.26,
 * §4.2.27, §4.4.2.3).  "SJA2" bytes: a sysmoISIM-SJA2's files as recorded
 * (sanitized) in pySim's tests/card_sanitizer; "card0": what uicc-emu
 * writes for uicc-emu/examples/card0.ini.
 */
#include <string.h>

#include "test-support.h"
#include "simota/ts31102.h"

static void test_ef_imsi(void)
{
	static const struct {
		const char *name, *imsi, *bytes;
	} cases[] = {
		{ "SJA2 (15 digits, odd: type nibble 9)", "001010000000102", "080910100000001020" },
		{ "card0", "001010123456789", "080910101032547698" },
		{ "14 digits, even: type nibble 1, F filler", "26201123456789", "0821261021436587f9" },
		{ "6 digits", "262011", "04212610f1ffffffff" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		uint8_t out[SIMOTA_EF_IMSI_LEN];
		char imsi[SIMOTA_IMSI_MAX_DIGITS + 1];
		size_t n;
		uint8_t *p = tv_hex(cases[i].bytes, &n);

		g_test_message("%s", cases[i].name);
		g_assert_cmpint(simota_ef_imsi_encode(cases[i].imsi, out), ==, SIMOTA_OK);
		tv_assert_hex(out, n, cases[i].bytes);
		g_assert_cmpint(simota_ef_imsi_decode(p, n, imsi), ==, SIMOTA_OK);
		g_assert_cmpstr(imsi, ==, cases[i].imsi);
		/* every cut is refused */
		for (size_t cut = 0; cut < 1u + p[0]; cut++)
			g_assert_cmpint(simota_ef_imsi_decode(p, cut, imsi), !=, SIMOTA_OK);
		g_free(p);
	}
}

static void test_ef_imsi_errors(void)
{
	static const char *bad_imsi[] = { "", "26201", "2620112345678901", "26201a", "+26201123" };
	static const struct {
		const char *bytes;
		simota_err err;
	} bad[] = {
		{ "00ffffffffffffffff", SIMOTA_ERR_BAD_LENGTH },   /* length 0 */
		{ "09091010000000102000", SIMOTA_ERR_BAD_LENGTH }, /* length 9 */
		{ "ffffffffffffffffff", SIMOTA_ERR_BAD_LENGTH },   /* erased */
		{ "0809101000", SIMOTA_ERR_TRUNCATED },
		{ "03091010ffffffffff", SIMOTA_ERR_BAD_VALUE },    /* 5 digits */
		{ "0809101a00000010f0", SIMOTA_ERR_BAD_VALUE },    /* a non-decimal digit */
		{ "08091010f000001020", SIMOTA_ERR_BAD_VALUE },    /* a digit after the filler */
	};
	uint8_t out[SIMOTA_EF_IMSI_LEN];
	char imsi[SIMOTA_IMSI_MAX_DIGITS + 1];

	for (size_t i = 0; i < G_N_ELEMENTS(bad_imsi); i++) {
		g_assert_cmpint(simota_ef_imsi_encode(bad_imsi[i], out), ==, SIMOTA_ERR_BAD_VALUE);
		tv_assert_hex(out, sizeof(out), "ffffffffffffffffff");
	}
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		size_t n;
		uint8_t *p = tv_hex(bad[i].bytes, &n);

		g_test_message("EF_IMSI %s", bad[i].bytes);
		g_assert_cmpint(simota_ef_imsi_decode(p, n, imsi), ==, bad[i].err);
		g_free(p);
	}
}

static void test_ef_spn(void)
{
	uint8_t out[SIMOTA_EF_SPN_LEN], cond;
	char name[64];
	size_t n;
	uint8_t *p = tv_hex("034d61676963ffffffffffffffffffffff", &n);   /* SJA2: "Magic", condition 03 */

	g_assert_cmpint(simota_ef_spn_decode(p, n, &cond, name, sizeof(name)), ==, SIMOTA_OK);
	g_assert_cmphex(cond, ==, 0x03);
	g_assert_cmpstr(name, ==, "Magic");
	g_assert_cmpint(simota_ef_spn_encode(0x03, "Magic", out), ==, SIMOTA_OK);
	g_assert_cmpmem(out, sizeof(out), p, n);
	g_free(p);
	/* card0 */
	g_assert_cmpint(simota_ef_spn_encode(0x00, "stkbridge", out), ==, SIMOTA_OK);
	tv_assert_hex(out, sizeof(out), "00" "73746b627269646765" "ffffffffffffff");
	g_assert_cmpint(simota_ef_spn_encode(0x00, "", out), ==, SIMOTA_OK);
	tv_assert_hex(out, sizeof(out), "00ffffffffffffffffffffffffffffffff");
	/* longer than 16 bytes: refused, the name left empty */
	g_assert_cmpint(simota_ef_spn_encode(0x01, "a name of seventeen", out), ==, SIMOTA_ERR_NO_SPACE);
	tv_assert_hex(out, sizeof(out), "01ffffffffffffffffffffffffffffffff");
	g_assert_cmpint(simota_ef_spn_decode(out, 0, &cond, name, sizeof(name)), ==, SIMOTA_ERR_TRUNCATED);
}

static void test_ef_ad(void)
{
	static const struct {
		const char *bytes;
		simota_err err;
		unsigned mnc_len;
	} cases[] = {
		{ "00000002", SIMOTA_OK, 2 },       /* SJA2 DF_GSM */
		{ "01000802ff", SIMOTA_OK, 2 },     /* SJA2 ADF.USIM: 5 bytes, ciphering indicator */
		{ "00000003", SIMOTA_OK, 3 },
		{ "000000f3", SIMOTA_OK, 3 },       /* b5-b8 RFU */
		{ "000000", SIMOTA_ERR_MISSING_VALUE, 0 },
		{ "000000ff", SIMOTA_ERR_MISSING_VALUE, 0 },
	};
	uint8_t out[SIMOTA_EF_AD_LEN];

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		size_t n;
		unsigned ml = 0;
		uint8_t *p = tv_hex(cases[i].bytes, &n);

		g_assert_cmpint(simota_ef_ad_mnc_length(p, n, &ml), ==, cases[i].err);
		if (!cases[i].err)
			g_assert_cmpuint(ml, ==, cases[i].mnc_len);
		g_free(p);
	}
	g_assert_cmpint(simota_ef_ad_encode(2, out), ==, SIMOTA_OK);
	tv_assert_hex(out, sizeof(out), "00000002");
	g_assert_cmpint(simota_ef_ad_encode(3, out), ==, SIMOTA_OK);
	tv_assert_hex(out, sizeof(out), "00000003");
	g_assert_cmpint(simota_ef_ad_encode(4, out), ==, SIMOTA_ERR_BAD_VALUE);
}

/* §4.2.26: the SJA2's record 1 (alpha 20 bytes, TON/NPI B1) and card0's */
static void test_ef_msisdn(void)
{
	static const struct {
		const char *name, *record, *digits, *alpha;
		uint8_t ton, npi;
	} cases[] = {
		{ "SJA2", "ffffffffffffffffffffffffffffffffffffffff05b1766662f6ffffffffffffffff", "6766266", "", 3, 1 },
		{ "card0", "ffffffffffffffffffffffffffff059151550010ffffffffffffffff", "15550001", "", 1, 1 },
		{ "an alpha identifier", "4f776e206e756d626572ffffffff0481214365ffffffffffffffffff", "123456", "Own number", 0, 1 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		size_t n;
		uint8_t *p = tv_hex(cases[i].record, &n), *out = g_malloc(n);
		struct simota_sms_address a;
		char alpha[64];

		g_test_message("%s", cases[i].name);
		g_assert_cmpint(simota_ef_msisdn_decode(p, n, &a, alpha, sizeof(alpha)), ==, SIMOTA_OK);
		g_assert_cmpstr(a.digits, ==, cases[i].digits);
		g_assert_cmpuint(a.ton, ==, cases[i].ton);
		g_assert_cmpuint(a.npi, ==, cases[i].npi);
		g_assert_cmpstr(alpha, ==, cases[i].alpha);
		g_assert_cmpint(simota_ef_msisdn_encode(cases[i].alpha, &a, out, n), ==, SIMOTA_OK);
		g_assert_cmpmem(out, n, p, n);
		g_free(out);
		g_free(p);
	}
}

/* §4.4.2.3: the 12-byte number field */
static void test_ef_number(void)
{
	struct simota_sms_address a;
	uint8_t out[SIMOTA_EF_NUMBER_LEN];
	static const char *empty[] = { "ffffffffffffffffffffffff", "00ffffffffffffffffffffff", "01 81ffffffffffffffffffff" };

	for (size_t i = 0; i < G_N_ELEMENTS(empty); i++) {
		size_t n;
		uint8_t *p = tv_hex(empty[i], &n);

		g_assert_cmpint(simota_ef_number_decode(p, n, &a), ==, SIMOTA_ERR_MISSING_VALUE);
		g_free(p);
	}
	/* 20 digits fill the field; 21 do not fit */
	g_assert_cmpint(simota_sms_address_from_text("+12345678901234567890", &a), ==, SIMOTA_OK);
	g_assert_cmpint(simota_ef_number_encode(&a, out), ==, SIMOTA_OK);
	tv_assert_hex(out, sizeof(out), "0b9121436587092143658709");
	g_assert_cmpint(simota_ef_number_decode(out, sizeof(out), &a), ==, SIMOTA_OK);
	g_assert_cmpstr(a.digits, ==, "12345678901234567890");
	strcpy(a.digits, "123456789012345678901");
	g_assert_cmpint(simota_ef_number_encode(&a, out), !=, SIMOTA_OK);
	tv_assert_hex(out, sizeof(out), "ffffffffffffffffffffffff");
	/* a length beyond the field */
	g_assert_cmpint(simota_ef_number_decode((const uint8_t *)"\x0c\x91\x21\x43\x65\x87\x09\x21\x43\x65\x87\x09", 12, &a),
			!=, SIMOTA_OK);
	/* no digits: an empty field */
	memset(&a, 0, sizeof(a));
	g_assert_cmpint(simota_ef_number_encode(&a, out), ==, SIMOTA_OK);
	tv_assert_hex(out, sizeof(out), "ffffffffffffffffffffffff");
}

/* §4.2.27: SJA2's record 1 (Y = 24, indicators E1) and card0's (Y = 12, indicators FD) */
static void test_ef_smsp(void)
{
	static const char sja2[] = "ffffffffffffffffffffffffffffffffffffffffffffffff" "e1" "ffffffffffffffffffffffff"
				   "0581005155f5ffffffffffff" "000000";
	static const char card0[] = "ffffffffffffffffffffffff" "fd" "ffffffffffffffffffffffff"
				    "059151550000ffffffffffff" "ffffff";
	struct simota_sms_address sca, other;
	size_t n;
	uint8_t *p = tv_hex(sja2, &n), rec[40];

	g_assert_cmpint(simota_ef_smsp_sca(p, n, &sca), ==, SIMOTA_OK);
	g_assert_cmpstr(sca.digits, ==, "0015555");
	g_assert_cmpuint(sca.ton, ==, 0);
	g_assert_cmpuint(sca.npi, ==, 1);
	/* replacing it with itself changes nothing; another keeps the rest of the record */
	g_assert_cmpint(simota_ef_smsp_set_sca(p, n, &sca), ==, SIMOTA_OK);
	tv_assert_hex(p, n, sja2);
	g_assert_cmpint(simota_sms_address_from_text("+4915550", &other), ==, SIMOTA_OK);
	g_assert_cmpint(simota_ef_smsp_set_sca(p, n, &other), ==, SIMOTA_OK);
	tv_assert_hex(p, n, "ffffffffffffffffffffffffffffffffffffffffffffffff" "e1" "ffffffffffffffffffffffff"
		      "0591945155f0ffffffffffff" "000000");
	g_free(p);

	/* uicc-emu's record: all FF, then the SCA */
	memset(rec, 0xFF, sizeof(rec));
	g_assert_cmpint(simota_ef_smsp_sca(rec, sizeof(rec), &sca), ==, SIMOTA_ERR_MISSING_VALUE);
	g_assert_cmpint(simota_sms_address_from_text("+15550000", &sca), ==, SIMOTA_OK);
	g_assert_cmpint(simota_ef_smsp_set_sca(rec, sizeof(rec), &sca), ==, SIMOTA_OK);
	tv_assert_hex(rec, sizeof(rec), card0);
	g_assert_cmpint(simota_ef_smsp_sca(rec, sizeof(rec), &other), ==, SIMOTA_OK);
	g_assert_cmpstr(other.digits, ==, "15550000");
	g_assert_cmpuint(other.ton, ==, SIMOTA_SMS_TON_INTERNATIONAL);
	/* the indicator says absent: the field is not read */
	rec[12] |= SIMOTA_SMSP_ABSENT_SCA;
	g_assert_cmpint(simota_ef_smsp_sca(rec, sizeof(rec), &other), ==, SIMOTA_ERR_MISSING_VALUE);
	/* shorter than the 28 fixed bytes */
	g_assert_cmpint(simota_ef_smsp_sca(rec, 27, &other), ==, SIMOTA_ERR_TRUNCATED);
	g_assert_cmpint(simota_ef_smsp_set_sca(rec, 27, &sca), ==, SIMOTA_ERR_NO_SPACE);
	memset(&other, 0, sizeof(other));
	g_assert_cmpint(simota_ef_smsp_set_sca(rec, sizeof(rec), &other), ==, SIMOTA_ERR_BAD_VALUE);
}

static void test_address_from_text(void)
{
	static const struct {
		const char *text;
		simota_err err;
		uint8_t ton;
		const char *digits;
	} cases[] = {
		{ "+15550100", SIMOTA_OK, SIMOTA_SMS_TON_INTERNATIONAL, "15550100" },
		{ "15550100", SIMOTA_OK, SIMOTA_SMS_TON_UNKNOWN, "15550100" },
		{ "12345678901234567890", SIMOTA_OK, SIMOTA_SMS_TON_UNKNOWN, "12345678901234567890" },
		{ "123456789012345678901", SIMOTA_ERR_BAD_VALUE, 0, NULL },
		{ "+", SIMOTA_ERR_BAD_VALUE, 0, NULL },
		{ "", SIMOTA_ERR_BAD_VALUE, 0, NULL },
		{ "+1555 0100", SIMOTA_ERR_BAD_VALUE, 0, NULL },
		{ "++1", SIMOTA_ERR_BAD_VALUE, 0, NULL },
		{ "*100#", SIMOTA_ERR_BAD_VALUE, 0, NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct simota_sms_address a;

		g_assert_cmpint(simota_sms_address_from_text(cases[i].text, &a), ==, cases[i].err);
		if (cases[i].err)
			continue;
		g_assert_cmpuint(a.ton, ==, cases[i].ton);
		g_assert_cmpuint(a.npi, ==, SIMOTA_SMS_NPI_ISDN);
		g_assert_cmpstr(a.digits, ==, cases[i].digits);
	}
	g_assert_cmpint(simota_sms_address_from_text(NULL, &(struct simota_sms_address){ 0 }), ==, SIMOTA_ERR_BAD_VALUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ts31102/ef-imsi", test_ef_imsi);
	g_test_add_func("/ts31102/ef-imsi/errors", test_ef_imsi_errors);
	g_test_add_func("/ts31102/ef-spn", test_ef_spn);
	g_test_add_func("/ts31102/ef-ad", test_ef_ad);
	g_test_add_func("/ts31102/ef-msisdn", test_ef_msisdn);
	g_test_add_func("/ts31102/number", test_ef_number);
	g_test_add_func("/ts31102/ef-smsp", test_ef_smsp);
	g_test_add_func("/ts23040/address-from-text", test_address_from_text);
	return g_test_run();
}
