/* SPDX-License-Identifier: GPL-2.0-or-later */
/* BER-TLV and COMPREHENSION-TLV (TS 101 220 §7.1, TS 102 223 Annex C). */
#include "test-support.h"
#include "simota/tlv.h"

static void test_ber_lengths(void)
{
	static const struct {
		const char *hex;
		uint32_t tag;
		size_t len;
	} cases[] = {
		{ "8001aa", 0x80, 1 },
		{ "800100", 0x80, 1 },
		{ "9f700100", 0x9F70, 1 },
		{ "5f2d020000", 0x5F2D, 2 },
		{ "bf8f010100", 0xBF8F01, 1 },
		{ "81817f", 0x81, 0x7F },   /* non-minimal 81 form accepted */
		{ "8181ff", 0x81, 0xFF },
		{ "82820100", 0x82, 0x100 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		size_t n;
		uint8_t *hdr = tv_hex(cases[i].hex, &n);
		uint8_t *buf = g_malloc0(n + cases[i].len);
		struct simota_tlv t;
		struct simota_reader r;
		size_t value_off;

		memcpy(buf, hdr, n);
		/* the hex holds the header (and for short cases the value) */
		value_off = n;
		if (cases[i].len <= 2 && n >= cases[i].len + 2)
			value_off = n - cases[i].len;
		r = simota_reader_init(buf, value_off + cases[i].len);
		g_assert_cmpint(simota_ber_tlv_next(&r, &t), ==, SIMOTA_OK);
		g_assert_cmphex(t.tag, ==, cases[i].tag);
		g_assert_cmpuint(t.len, ==, cases[i].len);
		g_assert_true(t.value == buf + value_off);
		g_assert_cmpuint(t.raw_len, ==, value_off + cases[i].len);
		g_assert_cmpuint(simota_reader_left(&r), ==, 0);
		g_free(hdr);
		g_free(buf);
	}
}

static void test_ber_errors(void)
{
	static const struct {
		const char *hex;
		simota_err err;
	} cases[] = {
		{ "", SIMOTA_ERR_TRUNCATED },
		{ "80", SIMOTA_ERR_TRUNCATED },
		{ "8002aa", SIMOTA_ERR_TRUNCATED },
		{ "8080", SIMOTA_ERR_BAD_LENGTH },        /* indefinite form */
		{ "808300000100", SIMOTA_ERR_BAD_LENGTH }, /* beyond 82 */
		{ "8081", SIMOTA_ERR_TRUNCATED },
		{ "808201", SIMOTA_ERR_TRUNCATED },
		{ "000100", SIMOTA_ERR_BAD_TAG },
		{ "ff0100", SIMOTA_ERR_BAD_TAG },
		{ "9f", SIMOTA_ERR_TRUNCATED },
		{ "9f8181810100", SIMOTA_ERR_BAD_TAG },   /* 4-byte tag */
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		size_t n;
		uint8_t *p = tv_hex(cases[i].hex, &n);
		struct simota_reader r = simota_reader_init(p, n);
		struct simota_tlv t;

		g_assert_cmpint(simota_ber_tlv_next(&r, &t), ==, cases[i].err);
		g_assert_cmpuint(r.pos, ==, 0); /* the cursor does not move on error */
		g_free(p);
	}
}

static void test_ber_parse_one_and_find(void)
{
	size_t n;
	uint8_t *p = tv_hex("a00b80040000000181010182015a", &n);
	struct simota_tlv outer, inner;

	/* 0b = 11 but the content is 12 bytes: trailing byte */
	g_assert_cmpint(simota_ber_tlv_parse_one(p, n, &outer), ==, SIMOTA_ERR_TRAILING_DATA);
	p[1] = 0x0c;
	g_assert_cmpint(simota_ber_tlv_parse_one(p, n, &outer), ==, SIMOTA_OK);
	g_assert_cmphex(outer.tag, ==, 0xA0);
	g_assert_cmpint(simota_ber_tlv_find(outer.value, outer.len, 0x81, &inner), ==, SIMOTA_OK);
	tv_assert_hex(inner.value, inner.len, "01");
	g_assert_cmpint(simota_ber_tlv_find(outer.value, outer.len, 0x82, &inner), ==, SIMOTA_OK);
	tv_assert_hex(inner.value, inner.len, "5a");
	g_assert_cmpint(simota_ber_tlv_find(outer.value, outer.len, 0x83, &inner), ==,
			SIMOTA_ERR_MISSING_VALUE);
	g_free(p);
}

static void test_ctlv_tags(void)
{
	static const struct {
		const char *hex;
		uint32_t tag;
		bool cr;
		size_t len;
	} cases[] = {
		{ "8103012180", 0x01, true, 3 },
		{ "0d0104", 0x0D, false, 1 },
		{ "7e00", 0x7E, false, 0 },
		{ "7f800101aa", 0x0001, true, 1 },
		{ "7f00620100", 0x0062, false, 1 },
		{ "7fffff00", 0x7FFF, true, 0 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		size_t n;
		uint8_t *p = tv_hex(cases[i].hex, &n);
		struct simota_reader r = simota_reader_init(p, n);
		struct simota_tlv t;
		uint8_t out[16];
		struct simota_writer w = simota_writer_init(out, sizeof(out));

		g_assert_cmpint(simota_ctlv_next(&r, &t), ==, SIMOTA_OK);
		g_assert_cmphex(t.tag, ==, cases[i].tag);
		g_assert_cmpint(t.cr, ==, cases[i].cr);
		g_assert_cmpuint(t.len, ==, cases[i].len);
		g_assert_cmpuint(t.raw_len, ==, n);
		/* the writer picks the short form where the value allows it */
		simota_ctlv_write(&w, (uint16_t)t.tag, t.cr, t.value, t.len);
		g_assert_cmpint(simota_writer_status(&w), ==, SIMOTA_OK);
		if (cases[i].tag >= 0x7F || p[0] != 0x7F)
			tv_assert_hex(out, w.len, cases[i].hex);
		g_free(p);
	}
}

static void test_ctlv_bad_tags(void)
{
	static const char *bad[] = { "000100", "800100", "ff0100", "7f00000100", "7f80", "7f" };

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		size_t n;
		uint8_t *p = tv_hex(bad[i], &n);
		struct simota_reader r = simota_reader_init(p, n);
		struct simota_tlv t;

		g_assert_cmpint(simota_ctlv_next(&r, &t), !=, SIMOTA_OK);
		g_assert_cmpuint(r.pos, ==, 0);
		g_free(p);
	}
}

/* Nested objects closed after their content, across the 1/2/3-byte length boundaries. */
static void test_close_lengths(void)
{
	static const size_t sizes[] = { 0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x1234 };

	for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
		size_t cap = sizes[i] + 16;
		uint8_t *buf = g_malloc(cap);
		struct simota_writer w = simota_writer_init(buf, cap);
		struct simota_tlv outer, inner;
		struct simota_reader r;
		size_t mark, mark2;

		mark = simota_tlv_open(&w);
		mark2 = simota_tlv_open(&w);
		for (size_t k = 0; k < sizes[i]; k++)
			simota_write_u8(&w, (uint8_t)k);
		simota_ctlv_close(&w, mark2, 0x0D, true);
		simota_ber_tlv_close(&w, mark, 0xD0);
		g_assert_cmpint(simota_writer_status(&w), ==, SIMOTA_OK);
		g_assert_cmpuint(w.len, ==, sizes[i] + 2 * (1 + simota_tlv_length_size(sizes[i]))
				 + (simota_tlv_length_size(sizes[i] + 1 + simota_tlv_length_size(sizes[i])) -
				    simota_tlv_length_size(sizes[i])));
		g_assert_cmpint(simota_ber_tlv_parse_one(buf, w.len, &outer), ==, SIMOTA_OK);
		g_assert_cmphex(outer.tag, ==, 0xD0);
		r = simota_reader_init(outer.value, outer.len);
		g_assert_cmpint(simota_ctlv_next(&r, &inner), ==, SIMOTA_OK);
		g_assert_cmphex(inner.tag, ==, 0x0D);
		g_assert_true(inner.cr);
		g_assert_cmpuint(inner.len, ==, sizes[i]);
		for (size_t k = 0; k < sizes[i]; k++)
			g_assert_cmpuint(inner.value[k], ==, (uint8_t)k);
		g_free(buf);
	}
}

static void test_writer_overflow(void)
{
	uint8_t buf[4];
	struct simota_writer w = simota_writer_init(buf, sizeof(buf));
	size_t mark;

	simota_ber_tlv_write(&w, 0x80, "ab", 2);
	g_assert_cmpint(simota_writer_status(&w), ==, SIMOTA_OK);
	mark = simota_tlv_open(&w);
	simota_write_u8(&w, 1);
	simota_ber_tlv_close(&w, mark, 0x81); /* needs 3 bytes, 1 left */
	g_assert_cmpint(simota_writer_status(&w), ==, SIMOTA_ERR_NO_SPACE);

	w = simota_writer_init(buf, sizeof(buf));
	simota_ber_tlv_write(&w, 0x9F70, "abc", 3);
	g_assert_cmpint(simota_writer_status(&w), ==, SIMOTA_ERR_NO_SPACE);
}

/* Every proactive command vector is a D0 BER-TLV of well-formed COMPREHENSION-TLVs. */
static void test_cat_vector_structure(gconstpointer data)
{
	JsonObject *v = (JsonObject *)data;
	size_t n;
	uint8_t *pdu = tv_hex(tv_str(v, "pdu"), &n);
	struct simota_tlv cmd, t;
	struct simota_reader r;
	unsigned count = 0;

	g_assert_cmpint(simota_ber_tlv_parse_one(pdu, n, &cmd), ==, SIMOTA_OK);
	g_assert_cmphex(cmd.tag, ==, 0xD0);
	r = simota_reader_init(cmd.value, cmd.len);
	while (simota_reader_left(&r)) {
		g_assert_cmpint(simota_ctlv_next(&r, &t), ==, SIMOTA_OK);
		count++;
	}
	g_assert_cmpuint(count, >=, 2); /* command details and device identities at least */

	/* every truncation is an error, never a crash or a read past the end */
	for (size_t cut = 0; cut < n; cut++) {
		uint8_t *copy = g_memdup2(pdu, cut);
		g_assert_cmpint(simota_ber_tlv_parse_one(copy, cut, &cmd), !=, SIMOTA_OK);
		g_free(copy);
	}
	g_free(pdu);
}

int main(int argc, char **argv)
{
	JsonArray *cmds;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/tlv/ber/lengths", test_ber_lengths);
	g_test_add_func("/tlv/ber/errors", test_ber_errors);
	g_test_add_func("/tlv/ber/parse-one-and-find", test_ber_parse_one_and_find);
	g_test_add_func("/tlv/ctlv/tags", test_ctlv_tags);
	g_test_add_func("/tlv/ctlv/bad-tags", test_ctlv_bad_tags);
	g_test_add_func("/tlv/close/lengths", test_close_lengths);
	g_test_add_func("/tlv/writer/overflow", test_writer_overflow);

	cmds = json_object_get_array_member(tv_load("cat-proactive.json"), "proactive");
	for (guint i = 0; i < json_array_get_length(cmds); i++) {
		JsonObject *v = json_array_get_object_element(cmds, i);
		char *path = g_strdup_printf("/tlv/cat-structure/%s", tv_str(v, "id"));
		g_test_add_data_func(path, v, test_cat_vector_structure);
		g_free(path);
	}
	return g_test_run();
}
