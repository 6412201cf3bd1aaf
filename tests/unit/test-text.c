/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DCS (TS 23.038 §4), CAT text strings (TS 102 223 §8.15) and alpha
 * identifiers (TS 102 221 Annex A).  Besides hand-made cases, every text,
 * alpha identifier, item and default text of cat-proactive.json is located
 * with the TLV codec alone and decoded/re-encoded here.
 */
#include "test-support.h"
#include "simota/text.h"
#include "simota/tlv.h"

#define GUARD 0xA5

/* ---- helpers ---------------------------------------------------------- */

static void assert_alpha(const char *hex, const char *expected)
{
	size_t len, ulen = 0;
	uint8_t *p = tv_hex(hex, &len);
	char out[512];

	if (g_test_verbose())
		g_test_message("alpha %s", hex);
	g_assert_cmpint(simota_alpha_decode(p, len, out, sizeof(out), &ulen), ==, SIMOTA_OK);
	g_assert_cmpstr(out, ==, expected);
	g_assert_cmpuint(ulen, ==, strlen(expected));
	g_free(p);
}

static void assert_alpha_err(const char *hex, simota_err expected)
{
	size_t len, ulen = 0;
	uint8_t *p = tv_hex(hex, &len);
	char out[512];

	g_assert_cmpint(simota_alpha_decode(p, len, out, sizeof(out), &ulen), ==, expected);
	g_free(p);
}

static void assert_alpha_encodes(const char *text, const char *hex)
{
	uint8_t out[512];
	size_t len = 0;
	char back[512];
	size_t blen;

	g_assert_cmpint(simota_alpha_encode(text, strlen(text), out, sizeof(out), &len), ==, SIMOTA_OK);
	tv_assert_hex(out, len, hex);
	g_assert_cmpint(simota_alpha_decode(out, len, back, sizeof(back), &blen), ==, SIMOTA_OK);
	g_assert_cmpstr(back, ==, text);
}

static void assert_text(const char *hex, const char *expected)
{
	size_t len, ulen = 0;
	uint8_t *p = tv_hex(hex, &len);
	char out[1024];

	g_assert_cmpint(simota_text_string_decode(p, len, out, sizeof(out), &ulen), ==, SIMOTA_OK);
	g_assert_cmpstr(out, ==, expected);
	g_assert_cmpuint(ulen, ==, strlen(expected));
	g_free(p);
}

static void assert_text_err(const char *hex, simota_err expected)
{
	size_t len, ulen = 0;
	uint8_t *p = tv_hex(hex, &len);
	char out[1024];

	g_assert_cmpint(simota_text_string_decode(p, len, out, sizeof(out), &ulen), ==, expected);
	g_free(p);
}

static void assert_text_encodes(const char *text, int dcs, const char *hex)
{
	uint8_t out[1024];
	size_t len = 0, blen;
	char back[1024];

	g_assert_cmpint(simota_text_string_encode(text, strlen(text), dcs, out, sizeof(out), &len),
			==, SIMOTA_OK);
	tv_assert_hex(out, len, hex);
	g_assert_cmpint(simota_text_string_decode(out, len, back, sizeof(back), &blen), ==, SIMOTA_OK);
	g_assert_cmpstr(back, ==, text);
}

/* ---- TS 23.038 §4 --------------------------------------------------------- */

struct dcs_case {
	uint8_t dcs;
	enum simota_charset charset;
	int msg_class, compressed;
	enum simota_dcs_group group;
	int mwi_active, mwi_type;
};

static void test_dcs_groups(void)
{
	static const struct dcs_case cases[] = {
		{ 0x00, SIMOTA_CHARSET_GSM7, -1, 0, SIMOTA_DCS_GROUP_GENERAL, 0, -1 },
		{ 0x04, SIMOTA_CHARSET_8BIT, -1, 0, SIMOTA_DCS_GROUP_GENERAL, 0, -1 },
		{ 0x08, SIMOTA_CHARSET_UCS2, -1, 0, SIMOTA_DCS_GROUP_GENERAL, 0, -1 },
		{ 0x0C, SIMOTA_CHARSET_RESERVED, -1, 0, SIMOTA_DCS_GROUP_GENERAL, 0, -1 },
		{ 0x03, SIMOTA_CHARSET_GSM7, -1, 0, SIMOTA_DCS_GROUP_GENERAL, 0, -1 }, /* bit 4 clear: no class */
		{ 0x10, SIMOTA_CHARSET_GSM7, 0, 0, SIMOTA_DCS_GROUP_GENERAL, 0, -1 },
		{ 0x16, SIMOTA_CHARSET_8BIT, 2, 0, SIMOTA_DCS_GROUP_GENERAL, 0, -1 }, /* data download */
		{ 0x19, SIMOTA_CHARSET_UCS2, 1, 0, SIMOTA_DCS_GROUP_GENERAL, 0, -1 },
		{ 0x20, SIMOTA_CHARSET_GSM7, -1, 1, SIMOTA_DCS_GROUP_GENERAL, 0, -1 },
		{ 0x3B, SIMOTA_CHARSET_UCS2, 3, 1, SIMOTA_DCS_GROUP_GENERAL, 0, -1 },
		{ 0x40, SIMOTA_CHARSET_GSM7, -1, 0, SIMOTA_DCS_GROUP_AUTO_DELETE, 0, -1 },
		{ 0x56, SIMOTA_CHARSET_8BIT, 2, 0, SIMOTA_DCS_GROUP_AUTO_DELETE, 0, -1 },
		{ 0x7F, SIMOTA_CHARSET_RESERVED, 3, 1, SIMOTA_DCS_GROUP_AUTO_DELETE, 0, -1 },
		{ 0x80, SIMOTA_CHARSET_RESERVED, -1, 0, SIMOTA_DCS_GROUP_RESERVED, 0, -1 },
		{ 0xB7, SIMOTA_CHARSET_RESERVED, -1, 0, SIMOTA_DCS_GROUP_RESERVED, 0, -1 },
		{ 0xC0, SIMOTA_CHARSET_GSM7, -1, 0, SIMOTA_DCS_GROUP_MWI_DISCARD, 0, 0 },
		{ 0xC8, SIMOTA_CHARSET_GSM7, -1, 0, SIMOTA_DCS_GROUP_MWI_DISCARD, 1, 0 },
		{ 0xD9, SIMOTA_CHARSET_GSM7, -1, 0, SIMOTA_DCS_GROUP_MWI_STORE, 1, 1 },
		{ 0xD2, SIMOTA_CHARSET_GSM7, -1, 0, SIMOTA_DCS_GROUP_MWI_STORE, 0, 2 },
		{ 0xEB, SIMOTA_CHARSET_UCS2, -1, 0, SIMOTA_DCS_GROUP_MWI_STORE, 1, 3 },
		{ 0xF0, SIMOTA_CHARSET_GSM7, 0, 0, SIMOTA_DCS_GROUP_DATA_CLASS, 0, -1 },
		{ 0xF2, SIMOTA_CHARSET_GSM7, 2, 0, SIMOTA_DCS_GROUP_DATA_CLASS, 0, -1 },
		{ 0xF4, SIMOTA_CHARSET_8BIT, 0, 0, SIMOTA_DCS_GROUP_DATA_CLASS, 0, -1 },
		{ 0xF6, SIMOTA_CHARSET_8BIT, 2, 0, SIMOTA_DCS_GROUP_DATA_CLASS, 0, -1 },
		{ 0xFF, SIMOTA_CHARSET_8BIT, 3, 0, SIMOTA_DCS_GROUP_DATA_CLASS, 0, -1 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct simota_dcs d = simota_dcs_decode(cases[i].dcs);

		if (g_test_verbose())
			g_test_message("dcs %02x", cases[i].dcs);
		g_assert_cmpint(d.charset, ==, cases[i].charset);
		g_assert_cmpint(d.msg_class, ==, cases[i].msg_class);
		g_assert_cmpint(d.compressed, ==, cases[i].compressed);
		g_assert_cmpint(d.group, ==, cases[i].group);
		g_assert_cmpint(d.mwi_active, ==, cases[i].mwi_active);
		g_assert_cmpint(d.mwi_type, ==, cases[i].mwi_type);
	}
	/* every byte decodes to something sane */
	for (unsigned v = 0; v < 256; v++) {
		struct simota_dcs d = simota_dcs_decode((uint8_t)v);

		g_assert_cmpint(d.msg_class, >=, -1);
		g_assert_cmpint(d.msg_class, <=, 3);
		g_assert_true(d.compressed == 0 || (v < 0x80 && (v & 0x20)));
		g_assert_true(d.charset != SIMOTA_CHARSET_RESERVED ||
			      (v >= 0x80 && v < 0xC0) || (v < 0x80 && (v & 0x0C) == 0x0C));
	}
}

/* ---- TS 102 223 §8.15 ----------------------------------------------------- */

static void test_text_decode(void)
{
	assert_text("", "");					/* null text string */
	assert_text("04", "");
	assert_text("00", "");
	assert_text("0454657374", "Test");
	assert_text("00d4f79bbd4ed341d4f29c0e8a01", "Toolkit Test 1");
	assert_text("08004f0060", "O`");
	assert_text("0804170414", "ЗД");
	/* other TS 23.038 DCS values: class-bearing, message waiting, reserved */
	assert_text("f0d4f79bbd4ed341d4f29c0e8a01", "Toolkit Test 1");
	assert_text("f454657374", "Test");
	assert_text("f654657374", "Test");
	assert_text("1454657374", "Test");
	assert_text("18004f", "O");
	assert_text("e0004f", "O");
	assert_text("c0d4f79bbd4ed341d4f29c0e8a01", "Toolkit Test 1");
	assert_text("0cd4f79bbd4ed341d4f29c0e8a01", "Toolkit Test 1"); /* reserved alphabet */
	assert_text("80d4f79bbd4ed341d4f29c0e8a01", "Toolkit Test 1"); /* reserved group */
	assert_text_err("20d4f79bbd4ed341", SIMOTA_ERR_UNSUPPORTED);	/* compressed */
	assert_text_err("3404", SIMOTA_ERR_UNSUPPORTED);
	/* GSM extension table, unpacked */
	assert_text("041b65", "€");
	/* UTF-16 surrogate pair accepted, broken ones refused */
	assert_text("08d83dde00", "\xf0\x9f\x98\x80");
	assert_text_err("08d83d", SIMOTA_ERR_BAD_ENCODING);		/* lone high */
	assert_text_err("08de00", SIMOTA_ERR_BAD_ENCODING);		/* lone low */
	assert_text_err("08d83d0041", SIMOTA_ERR_BAD_ENCODING);
	assert_text_err("080041d800", SIMOTA_ERR_BAD_ENCODING);
	assert_text_err("080000", SIMOTA_ERR_BAD_ENCODING);		/* U+0000 */
	assert_text_err("080041000000", SIMOTA_ERR_BAD_ENCODING);
	assert_text_err("0800", SIMOTA_ERR_BAD_ENCODING);		/* odd UCS2 */
	assert_text_err("08004100", SIMOTA_ERR_BAD_ENCODING);
}

/* TS 23.038 §6.1.2.3.1: CR in 7 spare bits is padding. */
static void test_text_packed_cr(void)
{
	/* 7 characters: an encoder adds CR; the decoder drops it */
	assert_text_encodes("1234567", 0x00, "0031d98c56b3dd1a");
	assert_text("0031d98c56b3dd1a", "1234567");
	/* 8 characters fill 7 octets exactly: nothing to drop */
	assert_text_encodes("12345678", 0x00, "0031d98c56b3dd70");
	/* zero spare bits read as '@' (no count in a text string) */
	assert_text("0031d98c56b3dd00", "1234567@");
	/* 15 characters: CR again */
	assert_text_encodes("123456789012345", 0x00, "0031d98c56b3dd7039584c36a3d51a");
	/* a CR that is not in the spare bits is text */
	assert_text_encodes("1234\r", 0x00, "0031d98cd600");
}

static void test_text_encode(void)
{
	assert_text_encodes("", -1, "04");
	assert_text_encodes("", 0x08, "08");
	assert_text_encodes("", 0x00, "00");
	assert_text_encodes("Toolkit Test 1", 0x00, "00d4f79bbd4ed341d4f29c0e8a01");
	assert_text_encodes("Toolkit Test 1", -1, "04546f6f6c6b697420546573742031");
	assert_text_encodes("Toolkit Test 1", 0xF4, "f4546f6f6c6b697420546573742031");
	assert_text_encodes("Toolkit Test 1", 0xF0, "f0d4f79bbd4ed341d4f29c0e8a01");
	assert_text_encodes("€[", -1, "041b651b3c");
	assert_text_encodes("ЗД", -1, "0804170414");
	assert_text_encodes("ЗД", 0x18, "1804170414");
	assert_text_encodes("Hello", 0x08, "0800480065006c006c006f");
	assert_text_encodes("Ä@", 0x04, "045b00");

	uint8_t out[64];
	size_t len;

	g_assert_cmpint(simota_text_string_encode("ЗД", 4, 0x04, out, sizeof(out), &len),
			==, SIMOTA_ERR_BAD_ENCODING);
	g_assert_cmpint(simota_text_string_encode("ЗД", 4, 0x00, out, sizeof(out), &len),
			==, SIMOTA_ERR_BAD_ENCODING);
	/* outside the BMP: UCS2 has no code for it */
	g_assert_cmpint(simota_text_string_encode("\xf0\x9f\x98\x80", 4, 0x08, out, sizeof(out), &len),
			==, SIMOTA_ERR_BAD_ENCODING);
	g_assert_cmpint(simota_text_string_encode("\xf0\x9f\x98\x80", 4, -1, out, sizeof(out), &len),
			==, SIMOTA_ERR_BAD_ENCODING);
	/* invalid UTF-8, embedded NUL */
	g_assert_cmpint(simota_text_string_encode("a\xc3", 2, -1, out, sizeof(out), &len),
			==, SIMOTA_ERR_BAD_ENCODING);
	g_assert_cmpint(simota_text_string_encode("a\xff", 2, 0x08, out, sizeof(out), &len),
			==, SIMOTA_ERR_BAD_ENCODING);
	g_assert_cmpint(simota_text_string_encode("a\0b", 3, 0x04, out, sizeof(out), &len),
			==, SIMOTA_ERR_BAD_ENCODING);
	/* DCS that cannot be used */
	g_assert_cmpint(simota_text_string_encode("a", 1, 0x20, out, sizeof(out), &len),
			==, SIMOTA_ERR_BAD_VALUE);
	g_assert_cmpint(simota_text_string_encode("a", 1, 0x0C, out, sizeof(out), &len),
			==, SIMOTA_ERR_BAD_VALUE);
	g_assert_cmpint(simota_text_string_encode("a", 1, 0x80, out, sizeof(out), &len),
			==, SIMOTA_ERR_BAD_VALUE);
	g_assert_cmpint(simota_text_string_encode("a", 1, 0x100, out, sizeof(out), &len),
			==, SIMOTA_ERR_BAD_VALUE);
	g_assert_cmpint(simota_text_string_encode("a", 1, -2, out, sizeof(out), &len),
			==, SIMOTA_ERR_BAD_VALUE);
}

/* ---- TS 102 221 Annex A --------------------------------------------------- */

/*
 * The Annex A examples and the SIM alpha vectors of oFono's unit/test-util.c
 * (sim_7bit, sim_80_*, sim_81_*, sim_82_*), with the text they code.
 */
static void test_alpha_annex_a(void)
{
	assert_alpha("", "");
	assert_alpha("6f466f6e6fffff", "oFono");
	assert_alpha("ffffffffff", "");
	/* form 1: '80' + UCS2, FF padded (odd FF left over is unusable padding) */
	assert_alpha("80006f006e006f", "ono");
	assert_alpha("80006f006e006fffffff", "ono");
	assert_alpha("80006f006e006fffff", "ono");
	assert_alpha("80", "");
	assert_alpha("80ffff", "");
	/* form 2: '81', count, base bits 15..8 (base = byte << 7) */
	assert_alpha("8103135395a6", "S\u0995\u09a6");		/* Annex A: "S" + two Bengali */
	assert_alpha("8103135395a6ffff", "S\u0995\u09a6");
	assert_alpha("8105135395a6a6ffff", "S\u0995\u09a6\u09a6\u09ff");
	assert_alpha("8103006f6e6fff", "ono");
	assert_alpha("810508b3b4b55354ffffff", "\u0433\u0434\u0435ST");
	/* form 3: '82', count, 16 bit base */
	assert_alpha("820505302d82d32d31", "-\u0532\u0583-1");	/* Annex A: Armenian */
	assert_alpha("820504002db3b42d31", "-\u0433\u0434-1");
	/* base D800: the characters are surrogates */
	assert_alpha_err("8205d8002db3b42d31", SIMOTA_ERR_BAD_ENCODING);
	/* GSM escape inside a window form */
	assert_alpha("8103081b6590", "€\u0410");
}

static void test_alpha_invalid(void)
{
	/* truncated 81/82 headers and bodies */
	assert_alpha_err("81", SIMOTA_ERR_TRUNCATED);
	assert_alpha_err("8103", SIMOTA_ERR_TRUNCATED);
	assert_alpha_err("810313", SIMOTA_ERR_TRUNCATED);
	assert_alpha_err("8103135395", SIMOTA_ERR_TRUNCATED);
	assert_alpha_err("82", SIMOTA_ERR_TRUNCATED);
	assert_alpha_err("8205", SIMOTA_ERR_TRUNCATED);
	assert_alpha_err("820505", SIMOTA_ERR_TRUNCATED);
	assert_alpha_err("82050530", SIMOTA_ERR_TRUNCATED);
	assert_alpha_err("820505302d82d32d", SIMOTA_ERR_TRUNCATED);
	/* count 0 is a valid empty string */
	assert_alpha("810013", "");
	assert_alpha("82000530", "");
	/* invalid UCS2 in form 1 */
	assert_alpha_err("80d800", SIMOTA_ERR_BAD_ENCODING);
	assert_alpha_err("80dc00", SIMOTA_ERR_BAD_ENCODING);
	assert_alpha_err("800000", SIMOTA_ERR_BAD_ENCODING);
	assert_alpha_err("80004100", SIMOTA_ERR_BAD_ENCODING);	/* odd, not FF */
	assert_alpha("80d83dde00", "\xf0\x9f\x98\x80");
	/* U+0000 and > U+FFFF from a window */
	assert_alpha_err("8101008041", SIMOTA_ERR_BAD_ENCODING);
	assert_alpha_err("820100008041", SIMOTA_ERR_BAD_ENCODING);
	assert_alpha_err("8201ffc0c1", SIMOTA_ERR_BAD_ENCODING);
	assert_alpha("8201ff80ff", "\uffff");
	/* first byte 83-FE is no defined form */
	assert_alpha_err("834142", SIMOTA_ERR_BAD_ENCODING);
	assert_alpha_err("fe", SIMOTA_ERR_BAD_ENCODING);
}

static void test_alpha_encode(void)
{
	assert_alpha_encodes("", "");
	assert_alpha_encodes("oFono", "6f466f6e6f");
	assert_alpha_encodes("€x", "1b6578");
	/* Annex A form 2 example: shortest */
	assert_alpha_encodes("S\u0995\u09a6", "8103135395a6");
	assert_alpha_encodes("-\u0532\u0553-1", "81050a2db2d32d31");
	/* the Annex A form 3 example's text: our base is its lowest character */
	assert_alpha_encodes("-\u0532\u0583-1", "820505322d80d12d31");
	/* 81 impossible (crosses a 128 boundary), 82 shorter than 80 */
	assert_alpha_encodes("\u047f\u0480\u047f\u0480", "8204047f80818081");
	/* ties go to 80 */
	assert_alpha_encodes("\u4e2d\u4e00", "804e2d4e00");
	assert_alpha_encodes("\uac00\uac01\uac00", "80ac00ac01ac00");
	/* above U+7FFF only 82 has a base */
	assert_alpha_encodes("\uac00\uac01\uac00\uac01", "8204ac0080818081");
	/* characters too far apart for a window */
	assert_alpha_encodes("\u0410\u4e00", "8004104e00");
	/* a GSM extension character has no GSM byte in a window form */
	assert_alpha_encodes("€\u0410\u0411\u0412", "8020ac041004110412");
	assert_alpha_encodes("\u20ac\u20ad\u20ae\u20af", "810441acadaeaf");

	uint8_t out[700];
	size_t len;
	GString *s = g_string_new(NULL);

	/* more than 255 characters: only form 1 */
	for (int i = 0; i < 300; i++)
		g_string_append(s, "Ж");
	g_assert_cmpint(simota_alpha_encode(s->str, s->len, out, sizeof(out), &len), ==, SIMOTA_OK);
	g_assert_cmpuint(len, ==, 601);
	g_string_free(s, TRUE);

	g_assert_cmpint(simota_alpha_encode("\xf0\x9f\x98\x80", 4, out, sizeof(out), &len),
			==, SIMOTA_ERR_BAD_ENCODING);
	g_assert_cmpint(simota_alpha_encode("\xef\xbf\xbf", 3, out, sizeof(out), &len),
			==, SIMOTA_ERR_BAD_ENCODING);
	g_assert_cmpint(simota_alpha_encode("\xc3", 1, out, sizeof(out), &len),
			==, SIMOTA_ERR_BAD_ENCODING);
	g_assert_cmpint(simota_alpha_encode("a\0b", 3, out, sizeof(out), &len),
			==, SIMOTA_ERR_BAD_ENCODING);
}

/* Every output capacity short of the need → NO_SPACE, nothing written past it. */
static void test_no_space(void)
{
	static const char *texts[] = {
		"Toolkit", "€uro", "ЗДРАВСТВУЙТЕ", "S\u0995\u09a6", "\u047f\u0480\u047f\u0480",
		"\u4e2d\u4e00",
	};
	static const int dcs[] = { -1, 0x00, 0x04, 0x08 };
	static const char *hex[] = {
		"8103135395a6", "820505302d82d32d31", "80041704140420", "6f466f6e6fffff",
		"00d4f79bbd4ed341d4f29c0e8a01", "0804170414", "041b6578",
	};

	for (size_t t = 0; t < G_N_ELEMENTS(texts); t++) {
		uint8_t out[128];
		size_t need, len;

		g_assert_cmpint(simota_alpha_encode(texts[t], strlen(texts[t]), out, sizeof(out), &need),
				==, SIMOTA_OK);
		for (size_t cap = 0; cap < need; cap++) {
			memset(out, GUARD, sizeof(out));
			g_assert_cmpint(simota_alpha_encode(texts[t], strlen(texts[t]), out, cap, &len),
					==, SIMOTA_ERR_NO_SPACE);
			for (size_t i = cap; i < sizeof(out); i++)
				g_assert_cmpuint(out[i], ==, GUARD);
		}
		for (size_t d = 0; d < G_N_ELEMENTS(dcs); d++) {
			if (simota_text_string_encode(texts[t], strlen(texts[t]), dcs[d], out,
						      sizeof(out), &need))
				continue;
			for (size_t cap = 0; cap < need; cap++) {
				memset(out, GUARD, sizeof(out));
				g_assert_cmpint(simota_text_string_encode(texts[t], strlen(texts[t]),
									  dcs[d], out, cap, &len),
						==, SIMOTA_ERR_NO_SPACE);
				for (size_t i = cap; i < sizeof(out); i++)
					g_assert_cmpuint(out[i], ==, GUARD);
			}
		}
	}
	for (size_t h = 0; h < G_N_ELEMENTS(hex); h++) {
		size_t n, need, len;
		uint8_t *p = tv_hex(hex[h], &n);
		char out[128];
		bool alpha = h < 4;

		g_assert_cmpint(alpha ? simota_alpha_decode(p, n, out, sizeof(out), &need)
				: simota_text_string_decode(p, n, out, sizeof(out), &need), ==, SIMOTA_OK);
		for (size_t cap = 0; cap <= need; cap++) {
			memset(out, GUARD, sizeof(out));
			g_assert_cmpint(alpha ? simota_alpha_decode(p, n, out, cap, &len)
					: simota_text_string_decode(p, n, out, cap, &len),
					==, SIMOTA_ERR_NO_SPACE);
			for (size_t i = cap; i < sizeof(out); i++)
				g_assert_cmpuint((uint8_t)out[i], ==, GUARD);
		}
		g_free(p);
	}
}

/*
 * Arbitrary bytes: the decoders never crash, and text they accept encodes
 * back to bytes that decode to the same text (or is refused by the encoder
 * only because it lies outside the BMP).
 */
static void check_any(const uint8_t *p, size_t n)
{
	char text[1024], back[1024];
	uint8_t enc[2048];
	size_t tlen, elen, blen;
	simota_err err;

	if (simota_alpha_decode(p, n, text, sizeof(text), &tlen) == SIMOTA_OK) {
		g_assert_cmpuint(strlen(text), ==, tlen);
		err = simota_alpha_encode(text, tlen, enc, sizeof(enc), &elen);
		if (err == SIMOTA_OK) {
			g_assert_cmpint(simota_alpha_decode(enc, elen, back, sizeof(back), &blen), ==, SIMOTA_OK);
			g_assert_cmpstr(back, ==, text);
		} else {
			g_assert_cmpint(err, ==, SIMOTA_ERR_BAD_ENCODING);
		}
	}
	if (simota_text_string_decode(p, n, text, sizeof(text), &tlen) == SIMOTA_OK) {
		g_assert_cmpuint(strlen(text), ==, tlen);
		err = simota_text_string_encode(text, tlen, -1, enc, sizeof(enc), &elen);
		if (err == SIMOTA_OK) {
			g_assert_cmpint(simota_text_string_decode(enc, elen, back, sizeof(back), &blen),
					==, SIMOTA_OK);
			g_assert_cmpstr(back, ==, text);
		} else {
			g_assert_cmpint(err, ==, SIMOTA_ERR_BAD_ENCODING);
		}
	}
}

static void test_arbitrary_bytes(void)
{
	uint8_t buf[64];
	GRand *rand = g_rand_new_with_seed(102221);

	for (unsigned a = 0; a < 256; a++) {
		buf[0] = (uint8_t)a;
		check_any(buf, 1);
		for (unsigned b = 0; b < 256; b++) {
			buf[1] = (uint8_t)b;
			check_any(buf, 2);
		}
	}
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)g_rand_int_range(rand, 0, sizeof(buf));
		static const uint8_t firsts[] = { 0x00, 0x04, 0x08, 0x80, 0x81, 0x82, 0xF4 };

		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)g_rand_int(rand);
		if (n > 0 && i % 2)
			buf[0] = firsts[g_rand_int_range(rand, 0, G_N_ELEMENTS(firsts))];
		if (n > 1 && i % 4 == 1)
			buf[1] = (uint8_t)g_rand_int_range(rand, 0, (gint32)n);
		check_any(buf, n);
	}
	g_rand_free(rand);
}

/* ---- cat-proactive.json cross-check --------------------------------------- */

struct cat_counts {
	unsigned texts, alphas, items, default_texts;
};

static struct cat_counts counts;

static void check_text_value(const char *id, const uint8_t *v, size_t n, const char *expected)
{
	char out[1024];
	uint8_t enc[1024];
	size_t olen, elen;
	char *hex;

	g_assert_nonnull(expected);
	g_assert_cmpint(simota_text_string_decode(v, n, out, sizeof(out), &olen), ==, SIMOTA_OK);
	g_assert_cmpstr(out, ==, expected);
	counts.texts++;
	if (n == 0)
		return;
	/* the same DCS re-encodes to the same bytes */
	g_assert_cmpint(simota_text_string_encode(out, olen, v[0], enc, sizeof(enc), &elen), ==, SIMOTA_OK);
	hex = tv_to_hex(v, n);
	tv_assert_hex(enc, elen, hex);
	g_free(hex);
	(void)id;
}

static void check_alpha_value(const uint8_t *v, size_t n, const char *expected)
{
	char out[1024];
	uint8_t enc[1024];
	size_t olen, elen;

	g_assert_cmpint(simota_alpha_decode(v, n, out, sizeof(out), &olen), ==, SIMOTA_OK);
	g_assert_cmpstr(out, ==, expected);
	/* our encoder picks the shortest form: never longer than the card's */
	g_assert_cmpint(simota_alpha_encode(out, olen, enc, sizeof(enc), &elen), ==, SIMOTA_OK);
	g_assert_cmpuint(elen, <=, n);
	if (elen == n && (n == 0 || enc[0] == v[0]))
		g_assert_cmpmem(enc, elen, v, n);
	else if (g_test_verbose())
		g_test_message("alpha %s re-encoded shorter: %s", tv_to_hex(v, n), tv_to_hex(enc, elen));
}

static JsonObject *extra_of(JsonObject *e)
{
	return json_object_has_member(e, "extra") ? json_object_get_object_member(e, "extra") : NULL;
}

static void check_cat_tlvs(JsonObject *e, const uint8_t *p, size_t n, bool proactive)
{
	JsonObject *extra = extra_of(e);
	JsonArray *items = extra && json_object_has_member(extra, "items")
		? json_object_get_array_member(extra, "items") : NULL;
	struct simota_reader r = simota_reader_init(p, n);
	unsigned item_no = 0, seen_text = 0;
	struct simota_tlv t;

	while (simota_reader_left(&r)) {
		g_assert_cmpint(simota_ctlv_next(&r, &t), ==, SIMOTA_OK);
		switch (t.tag) {
		case 0x0D:	/* Text String */
			seen_text++;
			if (extra && json_object_has_member(extra, "yesno")) {
				/*
				 * GET INKEY yes/no (TS 102 223 §6.8.5): 01 yes, 00 no;
				 * oFono's vectors say "no" with a null text.
				 */
				g_assert_cmpuint(t.len, ==, 2);
				g_assert_cmpuint(t.value[0], ==, 0x04);
				g_assert_cmpuint(t.value[1], ==, tv_str(e, "text") ? 1 : 0);
				break;
			}
			check_text_value(tv_str(e, "id"), t.value, t.len, tv_str(e, "text"));
			break;
		case 0x05:	/* Alpha Identifier */
			if (!proactive)
				break;
			check_alpha_value(t.value, t.len, extra && tv_str(extra, "alpha_id")
					  ? tv_str(extra, "alpha_id") : "");
			counts.alphas++;
			break;
		case 0x0F:	/* Item: identifier then alpha text */
			if (!items) {
				/* a null item, or a negative vector that asserts none */
				if (g_strcmp0(tv_str(e, "parse_result"), "OK") == 0) {
					g_assert_cmpuint(t.len, ==, 0);
				} else if (t.len > 0) {
					char out[256];
					size_t olen;

					g_assert_cmpint(simota_alpha_decode(t.value + 1, t.len - 1, out,
									    sizeof(out), &olen), ==, SIMOTA_OK);
				}
				break;
			}
			g_assert_cmpuint(item_no, <, json_array_get_length(items));
			g_assert_cmpuint(t.len, >=, 1);
			{
				JsonObject *it = json_array_get_object_element(items, item_no++);

				g_assert_cmpint(t.value[0], ==, json_object_get_int_member(it, "id"));
				check_alpha_value(t.value + 1, t.len - 1, tv_str(it, "text"));
			}
			counts.items++;
			break;
		case 0x17:	/* Default Text: a Text String */
			check_text_value(tv_str(e, "id"), t.value, t.len, tv_str(extra, "default_text"));
			counts.default_texts++;
			break;
		default:
			break;
		}
	}
	if (items)
		g_assert_cmpuint(item_no, ==, json_array_get_length(items));
	if (!seen_text)
		g_assert_null(tv_str(e, "text"));
}

static void test_cat_proactive(gconstpointer data)
{
	JsonObject *e = (JsonObject *)data;
	size_t n;
	uint8_t *pdu = tv_hex(tv_str(e, "pdu"), &n);
	struct simota_tlv top;

	g_assert_cmpint(simota_ber_tlv_parse_one(pdu, n, &top), ==, SIMOTA_OK);
	g_assert_cmphex(top.tag, ==, 0xD0);
	check_cat_tlvs(e, top.value, top.len, true);
	g_free(pdu);
}

static void test_cat_response(gconstpointer data)
{
	JsonObject *e = (JsonObject *)data;
	size_t n;
	uint8_t *pdu = tv_hex(tv_str(e, "pdu"), &n);

	check_cat_tlvs(e, pdu, n, false);
	g_free(pdu);
}

static void test_cat_counts(void)
{
	JsonObject *root = tv_load("cat-proactive.json");
	JsonArray *pro = json_object_get_array_member(root, "proactive");
	JsonArray *tr = json_object_get_array_member(root, "terminal_responses");

	memset(&counts, 0, sizeof(counts));
	for (guint i = 0; i < json_array_get_length(pro); i++)
		test_cat_proactive(json_array_get_object_element(pro, i));
	for (guint i = 0; i < json_array_get_length(tr); i++)
		test_cat_response(json_array_get_object_element(tr, i));
	g_test_message("cat-proactive.json: %u texts, %u alpha ids, %u items, %u default texts",
		       counts.texts, counts.alphas, counts.items, counts.default_texts);
	/* every text-bearing TLV of the file was seen (counted independently) */
	g_assert_cmpuint(counts.texts, ==, 130 + 28 + 2);
	g_assert_cmpuint(counts.alphas, ==, 184);
	g_assert_cmpuint(counts.items, ==, 274);
	g_assert_cmpuint(counts.default_texts, ==, 2);
}

static void add_vectors(const char *member, GTestDataFunc fn)
{
	JsonArray *a = json_object_get_array_member(tv_load("cat-proactive.json"), member);

	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *e = json_array_get_object_element(a, i);
		char *path = g_strdup_printf("/text/cat/%s/%s", member, tv_str(e, "id"));

		g_test_add_data_func(path, e, fn);
		g_free(path);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/text/dcs/groups", test_dcs_groups);
	g_test_add_func("/text/string/decode", test_text_decode);
	g_test_add_func("/text/string/packed-cr", test_text_packed_cr);
	g_test_add_func("/text/string/encode", test_text_encode);
	g_test_add_func("/text/alpha/annex-a", test_alpha_annex_a);
	g_test_add_func("/text/alpha/invalid", test_alpha_invalid);
	g_test_add_func("/text/alpha/encode", test_alpha_encode);
	g_test_add_func("/text/no-space", test_no_space);
	g_test_add_func("/text/arbitrary-bytes", test_arbitrary_bytes);
	add_vectors("proactive", test_cat_proactive);
	add_vectors("terminal_responses", test_cat_response);
	g_test_add_func("/text/cat-counts", test_cat_counts);
	return g_test_run();
}
