/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hex text (simota/hex.h) and swapped BCD, PLMN (TS 24.008 §10.5.4.7, §10.5.1.3; TS 23.040 §9.1.2.3). */
#include <string.h>

#include "test-support.h"
#include "simota/hex.h"
#include "simota/ts24008.h"

static void test_hex_encode(void)
{
	static const uint8_t bytes[] = { 0x00, 0x7F, 0xA5, 0xFF, 0x10 };
	char out[2 * sizeof(bytes) + 1];
	char *dup;

	simota_hex_encode(bytes, sizeof(bytes), out);
	g_assert_cmpstr(out, ==, "007fa5ff10");
	simota_hex_encode(bytes, 0, out);
	g_assert_cmpstr(out, ==, "");
	dup = simota_hex_dup(bytes, 2);
	g_assert_cmpstr(dup, ==, "007f");
	g_free(dup);
}

static void test_hex_decode(void)
{
	static const struct {
		const char *in;
		size_t cap;
		simota_err err;
		size_t len;
		const char *bytes;       /* what lands in out (lower-case hex) */
	} cases[] = {
		{ "", 4, SIMOTA_OK, 0, "" },
		{ "7FF6", 4, SIMOTA_OK, 2, "7ff6" },
		{ "7f f6", 4, SIMOTA_OK, 2, "7ff6" },
		{ "7f:f6", 4, SIMOTA_OK, 2, "7ff6" },
		{ " 7f\tf6 ", 4, SIMOTA_OK, 2, "7ff6" },
		{ "aAbB", 4, SIMOTA_OK, 2, "aabb" },
		{ "7", 4, SIMOTA_ERR_BAD_VALUE, 0, "" },          /* odd */
		{ "7f f", 4, SIMOTA_ERR_BAD_VALUE, 0, "" },
		{ "7 f", 4, SIMOTA_ERR_BAD_VALUE, 0, "" },        /* a separator inside a byte */
		{ "0x7f", 4, SIMOTA_ERR_BAD_VALUE, 0, "" },
		{ "7g", 4, SIMOTA_ERR_BAD_VALUE, 0, "" },
		{ "010203", 2, SIMOTA_ERR_NO_SPACE, 3, "0102" },  /* bounded; the count is still told */
		{ "0102", 2, SIMOTA_OK, 2, "0102" },
		{ "01", 0, SIMOTA_ERR_NO_SPACE, 1, "" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		uint8_t out[8];
		size_t len = 99;

		g_test_message("hex \"%s\" cap %zu", cases[i].in, cases[i].cap);
		g_assert_cmpint(simota_hex_decode(cases[i].in, out, cases[i].cap, &len), ==, cases[i].err);
		g_assert_cmpuint(len, ==, cases[i].len);
		tv_assert_hex(out, MIN(len, cases[i].cap), cases[i].bytes);
	}
	for (int c = 0; c < 256; c++) {
		int v = simota_hex_digit((char)c);

		g_assert_cmpint(v >= 0, ==, g_ascii_isxdigit(c));
		if (v >= 0)
			g_assert_cmpint(v, ==, g_ascii_xdigit_value((char)c));
	}
}

static void test_hex_round_trip(void)
{
	uint8_t all[256], back[256];
	char text[2 * sizeof(all) + 1];
	size_t len;

	for (size_t i = 0; i < sizeof(all); i++)
		all[i] = (uint8_t)i;
	simota_hex_encode(all, sizeof(all), text);
	g_assert_cmpint(simota_hex_decode(text, back, sizeof(back), &len), ==, SIMOTA_OK);
	g_assert_cmpuint(len, ==, sizeof(all));
	g_assert_cmpmem(all, sizeof(all), back, len);
}

/* TS 24.008 §10.5.4.7: digits, F filler; TS 102 221 §13.2 EF_ICCID's example order. */
static void test_bcd_encode(void)
{
	static const struct {
		const char *digits;
		simota_err err;
		const char *bytes;
	} cases[] = {
		{ "", SIMOTA_OK, "" },
		{ "1", SIMOTA_OK, "f1" },
		{ "12", SIMOTA_OK, "21" },
		{ "12345", SIMOTA_OK, "2143f5" },
		{ "*#abc", SIMOTA_OK, "badcfe" },
		{ "*#ABC", SIMOTA_OK, "badcfe" },
		{ "8944500104189041873", SIMOTA_OK, "984405104081091478f3" },   /* a 19-digit ICCID */
		{ "12d", SIMOTA_ERR_BAD_VALUE, NULL },
		{ "1+", SIMOTA_ERR_BAD_VALUE, NULL },
		{ "f", SIMOTA_ERR_BAD_VALUE, NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		uint8_t out[16];
		struct simota_writer w = simota_writer_init(out, sizeof(out));

		g_test_message("bcd encode \"%s\"", cases[i].digits);
		g_assert_cmpint(simota_bcd_encode(&w, cases[i].digits, strlen(cases[i].digits)), ==, cases[i].err);
		if (cases[i].bytes)
			tv_assert_hex(out, w.len, cases[i].bytes);
	}
}

static void test_bcd_decode(void)
{
	static const struct {
		const char *bytes;
		enum simota_bcd_filler filler;
		size_t cap;
		simota_err err;
		const char *digits;
	} cases[] = {
		{ "", SIMOTA_BCD_FILLER_LAST, 8, SIMOTA_OK, "" },
		{ "2143f5", SIMOTA_BCD_FILLER_LAST, 8, SIMOTA_OK, "12345" },
		{ "214365", SIMOTA_BCD_FILLER_LAST, 8, SIMOTA_OK, "123456" },
		{ "badcfe", SIMOTA_BCD_FILLER_LAST, 8, SIMOTA_OK, "*#abc" },
		{ "2143ff", SIMOTA_BCD_FILLER_LAST, 8, SIMOTA_ERR_BAD_VALUE, NULL },   /* F not last */
		{ "2f43", SIMOTA_BCD_FILLER_LAST, 8, SIMOTA_ERR_BAD_VALUE, NULL },     /* F inside */
		{ "213f", SIMOTA_BCD_FILLER_LAST, 8, SIMOTA_ERR_BAD_VALUE, NULL },     /* F as a low nibble */
		{ "21f3", SIMOTA_BCD_FILLER_LAST, 8, SIMOTA_OK, "123" },
		{ "2143ff", SIMOTA_BCD_FILLER_TAIL, 8, SIMOTA_OK, "1234" },           /* a padded field */
		{ "21f5ffff", SIMOTA_BCD_FILLER_TAIL, 8, SIMOTA_OK, "125" },
		{ "21f51fff", SIMOTA_BCD_FILLER_TAIL, 8, SIMOTA_ERR_BAD_VALUE, NULL },
		{ "2143f5ff", SIMOTA_BCD_FILLER_TAIL, 8, SIMOTA_OK, "12345" },
		{ "213f", SIMOTA_BCD_FILLER_TAIL, 8, SIMOTA_ERR_BAD_VALUE, NULL },     /* a digit after the end mark */
		{ "ffff", SIMOTA_BCD_FILLER_TAIL, 8, SIMOTA_OK, "" },
		{ "214365", SIMOTA_BCD_FILLER_LAST, 6, SIMOTA_ERR_NO_SPACE, NULL },
		{ "214365", SIMOTA_BCD_FILLER_LAST, 7, SIMOTA_OK, "123456" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		size_t len, n = 99;
		uint8_t *p = tv_hex(cases[i].bytes, &len);
		char out[16];

		g_test_message("bcd decode %s", cases[i].bytes);
		g_assert_cmpint(simota_bcd_decode(p, len, cases[i].filler, out, cases[i].cap, &n), ==, cases[i].err);
		if (cases[i].digits) {
			g_assert_cmpstr(out, ==, cases[i].digits);
			g_assert_cmpuint(n, ==, strlen(cases[i].digits));
		}
		g_free(p);
	}
}

static void test_bcd_decode_n(void)
{
	static const uint8_t p[] = { 0x21, 0x43, 0xF5 };
	char out[8];

	g_assert_cmpint(simota_bcd_decode_n(p, 5, out), ==, SIMOTA_OK);
	g_assert_cmpstr(out, ==, "12345");
	g_assert_cmpint(simota_bcd_decode_n(p, 3, out), ==, SIMOTA_OK);
	g_assert_cmpstr(out, ==, "123");
	g_assert_cmpint(simota_bcd_decode_n(p, 6, out), ==, SIMOTA_ERR_BAD_VALUE);
}

/* TS 23.040 §9.2.3.11: "12" is 0x21; every two-digit value both ways. */
static void test_bcd_swapped(void)
{
	uint8_t v;

	g_assert_cmphex(simota_bcd_swapped_from_int(12), ==, 0x21);
	g_assert_cmphex(simota_bcd_swapped_from_int(7), ==, 0x70);
	g_assert_cmphex(simota_bcd_swapped_from_int(123), ==, 0x32);   /* v % 100 */
	for (unsigned i = 0; i < 100; i++) {
		g_assert_cmpint(simota_bcd_swapped_to_int(simota_bcd_swapped_from_int(i), &v), ==, SIMOTA_OK);
		g_assert_cmpuint(v, ==, i);
	}
	g_assert_cmpint(simota_bcd_swapped_to_int(0x1A, &v), ==, SIMOTA_ERR_BAD_VALUE);
	g_assert_cmpint(simota_bcd_swapped_to_int(0xA1, &v), ==, SIMOTA_ERR_BAD_VALUE);
}

/* TS 24.008 §10.5.1.3: MCC 262, MNC 01 -> 62 F2 10; MCC 310, MNC 410 -> 13 00 14. */
static void test_plmn(void)
{
	static const struct {
		const char *mcc, *mnc, *bytes;
	} cases[] = {
		{ "262", "01", "62f210" },
		{ "310", "410", "130014" },
		{ "001", "01", "00f110" },
	};
	char mcc[4], mnc[4];

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		uint8_t out[3];
		struct simota_writer w = simota_writer_init(out, sizeof(out));

		g_assert_cmpint(simota_plmn_encode(&w, cases[i].mcc, cases[i].mnc), ==, SIMOTA_OK);
		tv_assert_hex(out, w.len, cases[i].bytes);
		g_assert_cmpint(simota_plmn_decode(out, mcc, mnc), ==, SIMOTA_OK);
		g_assert_cmpstr(mcc, ==, cases[i].mcc);
		g_assert_cmpstr(mnc, ==, cases[i].mnc);
	}
	for (size_t i = 0; i < 3; i++) {
		static const char *bad[][2] = { { "26", "01" }, { "262", "1" }, { "2a2", "01" } };
		uint8_t out[3];
		struct simota_writer w = simota_writer_init(out, sizeof(out));

		g_assert_cmpint(simota_plmn_encode(&w, bad[i][0], bad[i][1]), ==, SIMOTA_ERR_BAD_VALUE);
	}
	g_assert_cmpint(simota_plmn_decode((const uint8_t[]){ 0x6A, 0xF2, 0x10 }, mcc, mnc), ==, SIMOTA_ERR_BAD_VALUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hex/encode", test_hex_encode);
	g_test_add_func("/hex/decode", test_hex_decode);
	g_test_add_func("/hex/round-trip", test_hex_round_trip);
	g_test_add_func("/ts24008/bcd/encode", test_bcd_encode);
	g_test_add_func("/ts24008/bcd/decode", test_bcd_decode);
	g_test_add_func("/ts24008/bcd/decode-n", test_bcd_decode_n);
	g_test_add_func("/ts23040/semi-octet/two-digits", test_bcd_swapped);
	g_test_add_func("/ts24008/plmn", test_plmn);
	return g_test_run();
}
