/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GSM 7 bit default alphabet and packing (3GPP TS 23.038 §6.1.2.1, §6.2.1). */
#include "test-support.h"
#include "simota/gsm7.h"

static void pack_text(const char *text, unsigned fill, const char *expected_hex)
{
	uint8_t septets[256], packed[256], back[256];
	size_t n, plen;
	char utf8[512];
	size_t ulen;

	g_assert_cmpint(simota_gsm7_from_utf8(text, strlen(text), septets, sizeof(septets), &n),
			==, SIMOTA_OK);
	g_assert_cmpint(simota_gsm7_pack(septets, n, fill, packed, sizeof(packed), &plen), ==, SIMOTA_OK);
	tv_assert_hex(packed, plen, expected_hex);
	g_assert_cmpuint(plen, ==, simota_gsm7_packed_size(n, fill));
	g_assert_cmpint(simota_gsm7_unpack(packed, plen, n, fill, back, sizeof(back)), ==, SIMOTA_OK);
	g_assert_cmpmem(back, n, septets, n);
	g_assert_cmpint(simota_gsm7_to_utf8(back, n, 0, utf8, sizeof(utf8), &ulen), ==, SIMOTA_OK);
	g_assert_cmpstr(utf8, ==, text);
	g_assert_cmpuint(ulen, ==, strlen(text));
}

/* Packing examples: TS 23.038 §6.1.2.1.1 style, widely used in conformance tests. */
static void test_pack_known(void)
{
	pack_text("hellohello", 0, "e8329bfd4697d9ec37");
	pack_text("12345678", 0, "31d98c56b3dd70");
	pack_text("1234567", 0, "31d98c56b3dd00");
	pack_text("Toolkit Test 1", 0, "d4f79bbd4ed341d4f29c0e8a01");
	pack_text("", 0, "");
	/* after a 6-octet UDH one fill bit aligns the first septet (TS 23.040 §9.2.3.24) */
	pack_text("A", 1, "82");
	pack_text("hello", 1, "d06536fb0d");
}

static void test_alphabet_round_trip(void)
{
	/* every default-alphabet septet except the escape survives UTF-8 and back */
	for (unsigned s = 0; s < 128; s++) {
		uint8_t in = (uint8_t)s, out[4];
		char utf8[8];
		size_t ulen, n;

		if (s == 0x1B)
			continue;
		g_assert_cmpint(simota_gsm7_to_utf8(&in, 1, 0, utf8, sizeof(utf8), &ulen), ==, SIMOTA_OK);
		g_assert_cmpint(simota_gsm7_from_utf8(utf8, ulen, out, sizeof(out), &n), ==, SIMOTA_OK);
		g_assert_cmpuint(n, ==, 1);
		g_assert_cmpuint(out[0], ==, s);
	}
}

static void test_extension(void)
{
	static const char text[] = "\x0c^{}\\[~]|€";
	static const uint8_t expected[] = {
		0x1b, 0x0a, 0x1b, 0x14, 0x1b, 0x28, 0x1b, 0x29, 0x1b, 0x2f,
		0x1b, 0x3c, 0x1b, 0x3d, 0x1b, 0x3e, 0x1b, 0x40, 0x1b, 0x65,
	};
	uint8_t septets[64];
	char back[64];
	size_t n, ulen;

	g_assert_cmpint(simota_gsm7_from_utf8(text, strlen(text), septets, sizeof(septets), &n), ==,
			SIMOTA_OK);
	g_assert_cmpmem(septets, n, expected, sizeof(expected));
	g_assert_cmpint(simota_gsm7_to_utf8(septets, n, 0, back, sizeof(back), &ulen), ==, SIMOTA_OK);
	g_assert_cmpstr(back, ==, text);

	/* undefined extension septet: the default-alphabet character; dangling escape: space */
	{
		static const uint8_t odd[] = { 0x1b, 0x41, 0x1b, 0x1b, 0x1b };
		g_assert_cmpint(simota_gsm7_to_utf8(odd, 5, 0, back, sizeof(back), &ulen), ==, SIMOTA_OK);
		g_assert_cmpstr(back, ==, "A  ");
	}
}

static void test_specials(void)
{
	uint8_t septets[16];
	size_t n;

	g_assert_cmpint(simota_gsm7_from_utf8("@£$¥èΔ_ΦΓΛΩΠΨΣΘΞ", strlen("@£$¥èΔ_ΦΓΛΩΠΨΣΘΞ"), septets,
					      sizeof(septets), &n), ==, SIMOTA_OK);
	g_assert_cmpuint(n, ==, 16);
	g_assert_cmpuint(septets[0], ==, 0x00);
	g_assert_cmpuint(septets[5], ==, 0x10);
	g_assert_cmpuint(septets[15], ==, 0x1A);
	/* counting without output */
	g_assert_cmpint(simota_gsm7_from_utf8("a€", 4, NULL, 0, &n), ==, SIMOTA_OK);
	g_assert_cmpuint(n, ==, 3);
}

static void test_errors(void)
{
	uint8_t septets[4], packed[4];
	char out[4];
	size_t n, ulen;

	g_assert_cmpint(simota_gsm7_from_utf8("中", strlen("中"), septets, sizeof(septets), &n), ==,
			SIMOTA_ERR_BAD_ENCODING);
	g_assert_cmpint(simota_gsm7_from_utf8("\xc3", 1, septets, sizeof(septets), &n), ==,
			SIMOTA_ERR_BAD_ENCODING);
	g_assert_cmpint(simota_gsm7_from_utf8("abcdef", 6, septets, sizeof(septets), &n), ==,
			SIMOTA_ERR_NO_SPACE);
	g_assert_cmpint(simota_gsm7_pack(septets, 5, 0, packed, 4, &n), ==, SIMOTA_ERR_NO_SPACE);
	g_assert_cmpint(simota_gsm7_pack(septets, 1, 7, packed, 4, &n), ==, SIMOTA_ERR_BAD_VALUE);
	g_assert_cmpint(simota_gsm7_unpack(packed, 3, 4, 0, septets, 4), ==, SIMOTA_ERR_TRUNCATED);
	g_assert_cmpint(simota_gsm7_unpack(packed, 4, 4, 1, septets, 4), ==, SIMOTA_OK);
	g_assert_cmpint(simota_gsm7_unpack(packed, 4, 5, 0, septets, 4), ==, SIMOTA_ERR_TRUNCATED);
	{
		static const uint8_t s[] = { 0x41, 0x42, 0x43, 0x44 };
		g_assert_cmpint(simota_gsm7_to_utf8(s, 4, 0, out, sizeof(out), &ulen), ==,
				SIMOTA_ERR_NO_SPACE);
		g_assert_cmpint(simota_gsm7_to_utf8(s, 3, 0, out, sizeof(out), &ulen), ==, SIMOTA_OK);
		g_assert_cmpstr(out, ==, "ABC");
	}
	{
		static const uint8_t padded[] = { 0x41, 0xff, 0xff };
		g_assert_cmpint(simota_gsm7_to_utf8(padded, 3, 1, out, sizeof(out), &ulen), ==, SIMOTA_OK);
		g_assert_cmpstr(out, ==, "A");
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/gsm7/pack/known", test_pack_known);
	g_test_add_func("/gsm7/alphabet/round-trip", test_alphabet_round_trip);
	g_test_add_func("/gsm7/extension", test_extension);
	g_test_add_func("/gsm7/specials", test_specials);
	g_test_add_func("/gsm7/errors", test_errors);
	return g_test_run();
}
