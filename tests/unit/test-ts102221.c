/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FCP template, PIN status template DO and EF_ICCID (ETSI TS 102 221
 * §11.1.1.3, §9.5.2, §13.2).  The "real card" FCPs are SELECT responses of
 * three cards (a sysmoISIM-SJA2 and two others) as recorded, sanitized, in
 * pySim's tests/card_sanitizer; the "uicc-emu" ones are what our card sends.
 */
#include <string.h>

#include "test-support.h"
#include "simota/tlv.h"
#include "simota/ts102221.h"

#define NONE 0xFFFF

struct fcp_case {
	const char *name;
	const char *hex;
	enum simota_fcp_structure structure;
	uint16_t fid;              /* NONE: absent */
	uint32_t file_size;        /* EFs */
	uint16_t record_len;
	uint8_t n_records;
	int sfi;                   /* -1: no 88; 0: "88 00" */
	int arr_record;            /* -1: no referenced 8B */
	const char *df_name;       /* hex, NULL: none */
	int pin1;                  /* simota_fcp_pin_enabled(PIN1): 1, 0, -1 */
	bool reencodes;            /* simota_fcp_encode() gives the same bytes */
};

static const struct fcp_case fcp_cases[] = {
	/* uicc-emu (tests/unit/test-uicc-card.c pins the same bytes on the wire) */
	{ "uicc-emu EF_ICCID", "621782024121" "83022fe2" "8a0105" "8b032f0605" "8002000a" "880110",
	  SIMOTA_FCP_TRANSPARENT, 0x2FE2, 10, 0, 0, 2, 5, NULL, -1, true },
	{ "uicc-emu EF_DIR", "621a82054221002002" "83022f00" "8a0105" "8b032f0604" "80020040" "8801f0",
	  SIMOTA_FCP_LINEAR_FIXED, 0x2F00, 64, 32, 2, 30, 4, NULL, -1, true },
	{ "uicc-emu MF, PIN1 enabled", "622782027821" "83023f00" "a503800171" "8a0105" "8b032f0601"
	  "c60c9001e083010183018183010a" "81021b31",
	  SIMOTA_FCP_DF, 0x3F00, 0, 0, 0, -1, 1, NULL, 1, true },
	/* sysmoISIM-SJA2 */
	{ "SJA2 MF", "62308202782183023f00a50c8001718304000564508701018a01058c04261a0000"
	  "c60f90017083010183018183010a83010b",
	  SIMOTA_FCP_DF, 0x3F00, 0, 0, 0, -1, -1, NULL, 0, false },
	{ "SJA2 DF.GSM", "622f8202782183027f20a50c8001718304000564508701018a01058b032f0601"
	  "c60f90017083010183018183010a83010b",
	  SIMOTA_FCP_DF, 0x7F20, 0, 0, 0, -1, 1, NULL, 0, false },
	{ "SJA2 ADF.USIM", "623e820278218410a0000000871002ffffffff8907090000a50c800171830400056450870101"
	  "8a01058c04261a0000c60f90017083010183018183010a83010b",
	  SIMOTA_FCP_DF, NONE, 0, 0, 0, -1, -1, "a0000000871002ffffffff8907090000", 0, false },
	{ "SJA2 EF.IMSI", "621e8202412183026f07a506d00130d2010f8a01058b036f0603800200098800",
	  SIMOTA_FCP_TRANSPARENT, 0x6F07, 9, 0, 0, 0, 3, NULL, -1, false },
	{ "SJA2 EF.ACM (cyclic)", "62218205462100031483026f39a506d00110d2010f8a01058b036f06058002003c8800",
	  SIMOTA_FCP_CYCLIC, 0x6F39, 60, 3, 20, 0, 5, NULL, -1, false },
	{ "SJA2 EF.SMSP", "62218205422100340283026f42a506d00120d2010f8a01058b036f0604800200688800",
	  SIMOTA_FCP_LINEAR_FIXED, 0x6F42, 104, 52, 2, 0, 4, NULL, -1, false },
	{ "SJA2 EF.DIR", "622282054221002b0883022f00a506d00120d2010b8a01058b032f0604800201588801f0",
	  SIMOTA_FCP_LINEAR_FIXED, 0x2F00, 344, 43, 8, 30, 4, NULL, -1, false },
	{ "SJA2 EF.ICCID", "621f8202412183022fe2a506d00120d201058a01058b032f06028002000a880110",
	  SIMOTA_FCP_TRANSPARENT, 0x2FE2, 10, 0, 0, 2, 2, NULL, -1, false },
	/* a card whose PIN1 is disabled: PS_DO 00 */
	{ "card 8944 MF", "621d8202782183023f00a5038001718a01058b032f0603c606900100830101",
	  SIMOTA_FCP_DF, 0x3F00, 0, 0, 0, -1, 3, NULL, 0, true },
	{ "card 8944 EF.IMSI", "62168202412183026f078a01058b036f060b800200098800",
	  SIMOTA_FCP_TRANSPARENT, 0x6F07, 9, 0, 0, 0, 11, NULL, -1, true },
	{ "card 8944 ADF", "622d8202782183027f408410a0000000871002fff359ff89ffffffff8a01058b032f0606"
	  "c609900140830101830181",
	  SIMOTA_FCP_DF, 0x7F40, 0, 0, 0, -1, 6, "a0000000871002fff359ff89ffffffff", 0, true },
	/* expanded security attributes (AB) and a larger proprietary A5 */
	{ "card 8988 MF", "62468202782183023f00a51980017183027fffcb0d00000000000000000000000000ca0180"
	  "8a0105ab10800107a40683010a9501088001789700c60c90016083010183010a830181",
	  SIMOTA_FCP_DF, 0x3F00, 0, 0, 0, -1, -1, NULL, 0, false },
	{ "card 8988 EF.IMSI", "623a8202412183026f07a50ac00100cd02ff01ca01848a0105ab1b800111a406830101950108"
	  "80014aa40683010a9501088001249700800200098800",
	  SIMOTA_FCP_TRANSPARENT, 0x6F07, 9, 0, 0, 0, -1, NULL, -1, false },
};

static void check_case(const struct fcp_case *c, const uint8_t *p, size_t n)
{
	struct simota_fcp f;

	g_assert_cmpint(simota_fcp_decode(p, n, &f), ==, SIMOTA_OK);
	g_assert_cmpint(simota_fcp_structure(&f), ==, c->structure);
	g_assert_cmpint(f.has_fid, ==, c->fid != NONE);
	if (c->fid != NONE)
		g_assert_cmphex(f.fid, ==, c->fid);
	if (c->structure != SIMOTA_FCP_DF)
		g_assert_cmpuint(f.file_size, ==, c->file_size);
	g_assert_cmpuint(f.record_len, ==, c->record_len);
	g_assert_cmpuint(f.n_records, ==, c->n_records);
	g_assert_cmpint(f.has_sfi, ==, c->sfi >= 0);
	if (c->sfi >= 0)
		g_assert_cmpuint(f.sfi, ==, (unsigned)c->sfi);
	g_assert_cmpint(f.has_arr, ==, c->arr_record >= 0);
	if (c->arr_record >= 0)
		g_assert_cmpuint(f.arr_record, ==, (unsigned)c->arr_record);
	if (c->df_name)
		tv_assert_hex(f.df_name, f.df_name_len, c->df_name);
	else
		g_assert_cmpuint(f.df_name_len, ==, 0);
	g_assert_true(f.has_lcsi && f.lcsi == SIMOTA_LCSI_ACTIVATED && simota_fcp_activated(&f));
	g_assert_cmpint(simota_fcp_pin_enabled(p, n, SIMOTA_KEYREF_PIN1), ==, c->pin1);
}

static void test_fcp_decode(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(fcp_cases); i++) {
		size_t n;
		uint8_t *p = tv_hex(fcp_cases[i].hex, &n);

		g_test_message("%s", fcp_cases[i].name);
		check_case(&fcp_cases[i], p, n);
		g_free(p);
	}
}

/* encode(decode(x)) decodes to the same struct; where x has only what we code, to the same bytes */
static void test_fcp_round_trip(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(fcp_cases); i++) {
		size_t n, m;
		uint8_t *p = tv_hex(fcp_cases[i].hex, &n), out[256];
		struct simota_fcp a, b;

		g_test_message("%s", fcp_cases[i].name);
		g_assert_cmpint(simota_fcp_decode(p, n, &a), ==, SIMOTA_OK);
		g_assert_cmpint(simota_fcp_encode(&a, out, sizeof(out), &m), ==, SIMOTA_OK);
		g_assert_cmpint(simota_fcp_decode(out, m, &b), ==, SIMOTA_OK);
		g_assert_cmpmem(&a, sizeof(a), &b, sizeof(b));
		check_case(&fcp_cases[i], out, m);
		if (fcp_cases[i].reencodes)
			g_assert_cmpmem(out, m, p, n);
		/* too small an output buffer: refused, never overrun */
		for (size_t cap = 0; cap < m; cap++)
			g_assert_cmpint(simota_fcp_encode(&a, out, cap, &m), ==, SIMOTA_ERR_NO_SPACE);
		g_free(p);
	}
}

/* every cut of every FCP fails cleanly: the whole response cut, or the template cut with 62's length fixed */
static void test_fcp_truncations(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(fcp_cases); i++) {
		size_t n;
		uint8_t *p = tv_hex(fcp_cases[i].hex, &n);
		struct simota_fcp f;

		for (size_t cut = 0; cut < n; cut++) {
			uint8_t *q = g_memdup2(p, cut);

			g_assert_cmpint(simota_fcp_decode(q, cut, &f), !=, SIMOTA_OK);
			g_assert_cmpint(simota_fcp_pin_enabled(q, cut, SIMOTA_KEYREF_PIN1), ==, -1);
			if (cut >= 2 && p[1] < 0x80) {
				q[1] = (uint8_t)(cut - 2);
				/* a cut on a TLV boundary may still be an FCP; inside a TLV it is not */
				(void)simota_fcp_decode(q, cut, &f);
			}
			g_free(q);
		}
		g_free(p);
	}
}

static void test_fcp_errors(void)
{
	static const struct {
		const char *name, *hex;
		simota_err err;
	} cases[] = {
		{ "not 62", "6f0482024121", SIMOTA_ERR_BAD_TAG },
		{ "62 longer than the data", "620882024121", SIMOTA_ERR_TRUNCATED },
		{ "trailing byte", "62048202782100", SIMOTA_ERR_TRAILING_DATA },
		{ "no descriptor", "620483023f00", SIMOTA_ERR_MISSING_VALUE },
		{ "descriptor of 1 byte", "6203820141", SIMOTA_ERR_BAD_LENGTH },
		{ "EF without 80", "620482024121", SIMOTA_ERR_MISSING_VALUE },
		{ "record EF, 82 of 2 bytes", "62088202422180020038", SIMOTA_ERR_BAD_LENGTH },
		{ "record length 0", "620b8205422100000280020000", SIMOTA_ERR_BAD_VALUE },
		{ "FID of 1 byte", "6207820278218301 3f", SIMOTA_ERR_BAD_LENGTH },
		{ "empty LCSI", "620682027821 8a00", SIMOTA_ERR_BAD_LENGTH },
		{ "file size of 5 bytes", "620b8202412180050000000009", SIMOTA_ERR_BAD_LENGTH },
		{ "SFI 31 (RFU)", "620b82024121800200098801f8", SIMOTA_ERR_BAD_VALUE },
		{ "SFI of 2 bytes", "620c8202412180020009880210 00", SIMOTA_ERR_BAD_LENGTH },
		{ "DF name of 17 bytes", "6217820278218411a0000000871002ffffffff890709000000", SIMOTA_ERR_BAD_LENGTH },
		{ "two descriptors", "620f82054221002021 8202c221 80020040", SIMOTA_ERR_DUPLICATE },   /* found by fuzz-ts102221 */
		{ "ARR of 2 bytes", "620882027821 8b026f06", SIMOTA_ERR_BAD_LENGTH },
		{ "C6 without PS_DO first", "620982027821 c603830101", SIMOTA_ERR_BAD_TAG },
		{ "C6 key without its PS_DO bit", "622482027821 c61e900180"
		  "830101830102830103830104830105830106830107830108830109", SIMOTA_ERR_BAD_LENGTH },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		size_t n;
		uint8_t *p;
		struct simota_fcp f;

		g_test_message("%s", cases[i].name);
		p = tv_hex(cases[i].hex, &n);
		g_assert_cmpint(simota_fcp_decode(p, n, &f), ==, cases[i].err);
		g_free(p);
	}
}

/* TS 102 221 §9.5.2: the PS_DO bits follow the key references in order */
static void test_pin_status(void)
{
	static const struct {
		const char *name, *c6_value;
		simota_err err;
		const char *keys;          /* "01+ 81- ...": key reference and enabled */
	} cases[] = {
		{ "uicc-emu, PIN1 enabled", "9001e0830101830181 83010a", SIMOTA_OK, "01+ 81+ 0a+" },
		{ "uicc-emu, PIN1 disabled", "900160830101830181 83010a", SIMOTA_OK, "01- 81+ 0a+" },
		{ "SJA2", "90017083010183018183010a83010b", SIMOTA_OK, "01- 81+ 0a+ 0b+" },
		{ "card 8944 MF", "900100830101", SIMOTA_OK, "01-" },
		{ "card 8944 ADF", "900140830101830181", SIMOTA_OK, "01- 81+" },
		{ "usage qualifier before PIN1", "900160 950108 830101 830181 83010a", SIMOTA_OK, "01- 81+ 0a+" },
		{ "the ninth key: the second PS_DO byte", "90020080 830102830103830104830105830106830107830108830109 830101",
		  SIMOTA_OK, "02- 03- 04- 05- 06- 07- 08- 09- 01+" },
		{ "no key", "900100", SIMOTA_OK, "" },
		{ "PS_DO not first", "830101900180", SIMOTA_ERR_BAD_TAG, NULL },
		{ "a ninth key, one PS_DO byte", "9001ff 830101830102830103830104830105830106830107830108 830109",
		  SIMOTA_ERR_BAD_LENGTH, NULL },
		{ "key reference of 2 bytes", "900180 83020101", SIMOTA_ERR_BAD_LENGTH, NULL },
		{ "usage qualifier without its key", "900180 830101 950108", SIMOTA_ERR_MISSING_VALUE, NULL },
		{ "another tag", "900180 840101", SIMOTA_ERR_BAD_TAG, NULL },
		{ "truncated", "900180 8301", SIMOTA_ERR_TRUNCATED, NULL },
		{ "empty", "", SIMOTA_ERR_TRUNCATED, NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		size_t n, m;
		uint8_t *p = tv_hex(cases[i].c6_value, &n), out[64];
		struct simota_pin_status ps, back;
		struct simota_writer w = simota_writer_init(out, sizeof(out));
		GString *got = g_string_new(NULL);
		struct simota_tlv t;

		g_test_message("%s", cases[i].name);
		g_assert_cmpint(simota_pin_status_decode(p, n, &ps), ==, cases[i].err);
		if (cases[i].err) {
			g_string_free(got, TRUE);
			g_free(p);
			continue;
		}
		for (unsigned k = 0; k < ps.n_keys; k++)
			g_string_append_printf(got, "%s%02x%c", k ? " " : "", ps.keys[k].keyref,
					       ps.keys[k].enabled ? '+' : '-');
		g_assert_cmpstr(got->str, ==, cases[i].keys);
		for (unsigned k = 0; k < ps.n_keys; k++)
			g_assert_cmpint(simota_pin_status_enabled(&ps, ps.keys[k].keyref), ==, ps.keys[k].enabled);
		g_assert_cmpint(simota_pin_status_enabled(&ps, SIMOTA_KEYREF_UNIVERSAL_PIN), ==, -1);
		/* round trip: C6 around the same value */
		g_assert_cmpint(simota_pin_status_encode(&w, &ps), ==, SIMOTA_OK);
		g_assert_cmpint(simota_ber_tlv_parse_one(out, w.len, &t), ==, SIMOTA_OK);
		g_assert_cmphex(t.tag, ==, 0xC6);
		m = t.len;
		if (ps.n_keys)
			g_assert_cmpmem(t.value, m, p, n);
		g_assert_cmpint(simota_pin_status_decode(t.value, m, &back), ==, SIMOTA_OK);
		g_assert_cmpmem(&ps, sizeof(ps), &back, sizeof(back));
		g_string_free(got, TRUE);
		g_free(p);
	}
}

/* what the plugin asks: PIN enabled according to a DF's FCP */
static void test_fcp_pin_enabled(void)
{
	static const struct {
		const char *fcp;
		uint8_t keyref;
		int want;
	} cases[] = {
		{ "6216820278218302 7fff c60c9001e0830101830181 83010a", 0x01, 1 },
		{ "6216820278218302 7fff c60c9001e0830101830181 83010a", 0x81, 1 },
		{ "6219820278218302 7fff c60f900160950108830101830181 83010a", 0x01, 0 },
		{ "6219820278218302 7fff c60f900160950108830101830181 83010a", 0x81, 1 },
		{ "6216820278218302 7fff c60c9001e0830101830181 83010a", 0x11, -1 },    /* not listed */
		{ "620782027821 8a0105", 0x01, -1 },                                   /* no template */
		{ "6216820278218302 7fff c60c9001e0830101830181", 0x01, -1 },           /* truncated */
		{ "6209820278218a0105", 0x01, -1 },                                     /* 62 says 9, 7 follow */
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		size_t n;
		uint8_t *p = tv_hex(cases[i].fcp, &n);

		g_test_message("%s ref %02x", cases[i].fcp, cases[i].keyref);
		g_assert_cmpint(simota_fcp_pin_enabled(p, n, cases[i].keyref), ==, cases[i].want);
		g_free(p);
	}
}

/* §11.1.1.4.3 Table 11.5 and §11.1.1.4.9 */
static void test_descriptor_and_lcsi(void)
{
	static const struct {
		uint8_t fdb;
		enum simota_fcp_structure s;
	} fdbs[] = {
		{ 0x38, SIMOTA_FCP_DF }, { 0x78, SIMOTA_FCP_DF }, { 0x39, SIMOTA_FCP_BER_TLV },
		{ 0x01, SIMOTA_FCP_TRANSPARENT }, { 0x41, SIMOTA_FCP_TRANSPARENT }, { 0x09, SIMOTA_FCP_TRANSPARENT },
		{ 0x02, SIMOTA_FCP_LINEAR_FIXED }, { 0x42, SIMOTA_FCP_LINEAR_FIXED },
		{ 0x06, SIMOTA_FCP_CYCLIC }, { 0x46, SIMOTA_FCP_CYCLIC },
		{ 0x00, SIMOTA_FCP_OTHER }, { 0x03, SIMOTA_FCP_OTHER }, { 0x81, SIMOTA_FCP_OTHER },
		{ 0x11, SIMOTA_FCP_OTHER }, { 0x21, SIMOTA_FCP_OTHER },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(fdbs); i++)
		g_assert_cmpint(simota_fcp_structure_of(fdbs[i].fdb), ==, fdbs[i].s);
	for (int s = SIMOTA_FCP_TRANSPARENT; s <= SIMOTA_FCP_OTHER; s++) {
		g_assert_cmpint(simota_fcp_structure_of(simota_fcp_descriptor_byte(s, true)), ==, s);
		g_assert_cmpint(simota_fcp_structure_of(simota_fcp_descriptor_byte(s, false)), ==, s);
	}
	g_assert_cmphex(simota_fcp_descriptor_byte(SIMOTA_FCP_DF, true), ==, 0x78);
	g_assert_cmphex(simota_fcp_descriptor_byte(SIMOTA_FCP_TRANSPARENT, true), ==, 0x41);
	g_assert_cmphex(simota_fcp_descriptor_byte(SIMOTA_FCP_CYCLIC, false), ==, 0x06);
	for (unsigned v = 0; v < 256; v++) {
		bool usable = !(v == 0x04 || v == 0x06 || (v >= 0x0C && v <= 0x0F));

		g_assert_cmpint(simota_lcsi_usable((uint8_t)v), ==, usable);
	}
}

/* §13.2: the sysmoISIM-SJA2's EF_ICCID and uicc-emu's example card */
static void test_ef_iccid(void)
{
	static const struct {
		const char *iccid, *bytes;
	} cases[] = {
		{ "8949440000001155314", "989444000000115513f4" },
		{ "89882390000000000017", "98883209000000000071" },
		{ "1", "f1ffffffffffffffffff" },
	};
	static const char *bad_digits[] = { "", "89a8", "123456789012345678901", "+8949" };
	static const char *bad_bytes[] = { "ffffffffffffffffffff", "9894f4000000115513f4", "98a4" };
	uint8_t out[SIMOTA_EF_ICCID_LEN];
	char iccid[SIMOTA_ICCID_MAX_DIGITS + 1];

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		size_t n;
		uint8_t *p = tv_hex(cases[i].bytes, &n);

		g_assert_cmpint(simota_ef_iccid_encode(cases[i].iccid, out), ==, SIMOTA_OK);
		tv_assert_hex(out, sizeof(out), cases[i].bytes);
		g_assert_cmpint(simota_ef_iccid_decode(p, n, iccid), ==, SIMOTA_OK);
		g_assert_cmpstr(iccid, ==, cases[i].iccid);
		g_free(p);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(bad_digits); i++)
		g_assert_cmpint(simota_ef_iccid_encode(bad_digits[i], out), ==, SIMOTA_ERR_BAD_VALUE);
	for (size_t i = 0; i < G_N_ELEMENTS(bad_bytes); i++) {
		size_t n;
		uint8_t *p = tv_hex(bad_bytes[i], &n);

		g_test_message("EF_ICCID %s", bad_bytes[i]);
		g_assert_cmpint(simota_ef_iccid_decode(p, n, iccid), ==, SIMOTA_ERR_BAD_VALUE);
		g_assert_cmpstr(iccid, ==, "");
		g_free(p);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ts102221/fcp/decode", test_fcp_decode);
	g_test_add_func("/ts102221/fcp/round-trip", test_fcp_round_trip);
	g_test_add_func("/ts102221/fcp/truncations", test_fcp_truncations);
	g_test_add_func("/ts102221/fcp/errors", test_fcp_errors);
	g_test_add_func("/ts102221/fcp/pin-enabled", test_fcp_pin_enabled);
	g_test_add_func("/ts102221/fcp/descriptor-lcsi", test_descriptor_and_lcsi);
	g_test_add_func("/ts102221/pin-status", test_pin_status);
	g_test_add_func("/ts102221/ef-iccid", test_ef_iccid);
	return g_test_run();
}
