/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFM scripts and the script file (lib/rfm_script.c, doc/rfm.md "Script
 * files"): pySim's published script (SELECT DF.GSM, GET RESPONSE on TAR
 * B0 00 10) read from a file and encoded to the very secured data the
 * sysmoISIM-SJA2 received; the expanded encoding; and a table of files
 * refused, each with the line and the reason.
 */
#include <string.h>

#include "test-support.h"
#include "simota/rfm.h"
#include "simota/rfm_script.h"

static struct simota_rfm_script *script_new(void)
{
	struct simota_rfm_script *s = g_new(struct simota_rfm_script, 1);

	simota_rfm_script_init(s);
	return s;
}

static char *encode_hex(const struct simota_rfm_script *s)
{
	uint8_t buf[8192];
	struct simota_writer w = simota_writer_init(buf, sizeof(buf));
	size_t bad = 99;

	g_assert_cmpint(simota_rfm_script_encode(s, &w, &bad), ==, SIMOTA_OK);
	return tv_to_hex(buf, w.len);
}

/* pySim's docs/smpp-ota-tool.rst script, as a script file with comments, CRLF and blanks. */
static void test_pysim_file(void)
{
	JsonObject *v = tv_load_from(LOCAL_VECTORS_DIR, "pysim-smpp-ota-tool.json");
	JsonObject *ex = json_array_get_object_element(json_object_get_array_member(v, "exchanges"), 1);
	static const char text[] =
		"# pySim smpp-ota-tool: SELECT DF.GSM, GET RESPONSE\r\n"
		"tar B0 00 10   # SIM RFM\r\n"
		"\r\n"
		"format compact\n"
		"  A0 A4 00 00 02 7F 20   # SELECT DF.GSM\n"
		"a0:c0:00:00:16\t# GET RESPONSE, 22 bytes\n";
	struct simota_rfm_script *s = script_new();
	struct simota_rfm_script_error err;
	char *hex;

	g_assert_cmpint(simota_rfm_script_parse(text, strlen(text), s, &err), ==, SIMOTA_OK);
	g_assert_true(s->has_tar);
	tv_assert_hex(s->tar, 3, tv_str(ex, "tar"));
	g_assert_true(s->has_format);
	g_assert_cmpint(s->format, ==, SIMOTA_RFM_COMPACT);
	g_assert_cmpuint(s->n, ==, 2);
	g_assert_cmpint(simota_apdu_case(&s->cmds[0]), ==, 3);
	g_assert_cmpint(simota_apdu_case(&s->cmds[1]), ==, 2);
	hex = encode_hex(s);
	g_assert_cmpstr(hex, ==, tv_str(ex, "secured_data"));
	g_free(hex);
	g_free(s);
}

/* TS 102 226 §5.2.1: each command a C-APDU TLV with its Le, in AA with a definite length. */
static void test_expanded(void)
{
	static const char text[] = "format expanded\n00a4000c023f00\n00b0000004\n";
	struct simota_rfm_script *s = script_new();
	struct simota_rfm_script_error err;
	char *hex;

	g_assert_cmpint(simota_rfm_script_parse(text, strlen(text), s, &err), ==, SIMOTA_OK);
	g_assert_false(s->has_tar);
	g_assert_cmpint(s->format, ==, SIMOTA_RFM_EXPANDED);
	hex = encode_hex(s);
	g_assert_cmpstr(hex, ==, "aa10" "220700a4000c023f00" "220500b0000004");
	g_free(hex);
	g_free(s);
}

/* A command the compact format cannot carry is named by its index. */
static void test_compact_refused(void)
{
	static const char *const cmds[][3] = {
		/* READ BINARY carries Le in P3: data would be read as the next command */
		{ "a0a40000027f20", "00b00000020102", "00b0000002" },
		/* SELECT with Le alone: the card takes P3 as Lc and waits for data */
		{ "00a40000023f00", "a0a4000002", NULL },
	};

	for (size_t t = 0; t < G_N_ELEMENTS(cmds); t++) {
		struct simota_rfm_script *s = script_new();
		uint8_t buf[512];
		struct simota_writer w = simota_writer_init(buf, sizeof(buf));
		const char *why;
		size_t bad = 99;

		for (size_t i = 0; i < 3 && cmds[t][i]; i++)
			g_assert_cmpint(simota_rfm_script_add_hex(s, cmds[t][i], &why), ==, SIMOTA_OK);
		g_assert_cmpint(simota_rfm_script_encode(s, &w, &bad), ==, SIMOTA_ERR_BAD_VALUE);
		g_assert_cmpuint(bad, ==, 1);
		/* the expanded format carries both */
		s->format = SIMOTA_RFM_EXPANDED;
		w = simota_writer_init(buf, sizeof(buf));
		g_assert_cmpint(simota_rfm_script_encode(s, &w, &bad), ==, SIMOTA_OK);
		g_free(s);
	}
}

static const struct {
	const char *name, *text;
	simota_err err;
	unsigned line;
	const char *why;        /* a part of the reason */
} refused[] = {
	{ "not-hex", "tar b00010\n00a4 zz\n", SIMOTA_ERR_BAD_VALUE, 2, "not hex" },
	{ "odd-digits", "00a400000\n", SIMOTA_ERR_BAD_VALUE, 1, "not hex" },
	{ "digit-split", "0 0a4000000\n", SIMOTA_ERR_BAD_VALUE, 1, "not hex" },
	{ "empty", "# nothing\n\n", SIMOTA_ERR_MISSING_VALUE, 2, "no command" },
	{ "nothing", "", SIMOTA_ERR_MISSING_VALUE, 0, "no command" },
	{ "header-short", "00a400\n", SIMOTA_ERR_TRUNCATED, 1, "header" },
	{ "lc-mismatch", "00a4000005 3f00\n", SIMOTA_ERR_BAD_LENGTH, 1, "no short C-APDU" },
	{ "extended", "00b0000000000100\n", SIMOTA_ERR_UNSUPPORTED, 1, "extended" },
	{ "tar-twice", "tar b00010\ntar b00001\n00a4000000\n", SIMOTA_ERR_DUPLICATE, 2, "second tar" },
	{ "tar-short", "tar b000\n", SIMOTA_ERR_BAD_VALUE, 1, "3 bytes" },
	{ "tar-empty", "tar\n", SIMOTA_ERR_BAD_VALUE, 1, "3 bytes" },
	{ "format-unknown", "format short\n", SIMOTA_ERR_BAD_VALUE, 1, "compact or expanded" },
	{ "format-twice", "format compact\nformat expanded\n", SIMOTA_ERR_DUPLICATE, 2, "second format" },
	{ "nul", "00a4000000\n00\0b0\n", SIMOTA_ERR_BAD_VALUE, 2, "NUL" },
};

static void test_refused(gconstpointer data)
{
	size_t i = GPOINTER_TO_SIZE(data);
	/* the NUL case's length: up to the second newline */
	size_t len = strcmp(refused[i].name, "nul") == 0 ? 17 : strlen(refused[i].text);
	struct simota_rfm_script *s = script_new();
	struct simota_rfm_script_error err;

	g_assert_cmpint(simota_rfm_script_parse(refused[i].text, len, s, &err), ==, refused[i].err);
	g_assert_cmpuint(err.line, ==, refused[i].line);
	g_assert_nonnull(err.why);
	g_assert_nonnull(strstr(err.why, refused[i].why));
	g_free(s);
}

/* 255 commands fit (the PoR's count is one byte), the 256th does not; nor 4 KiB of bytes. */
static void test_limits(void)
{
	struct simota_rfm_script *s = script_new();
	GString *big = g_string_new("00d60000ff");
	const char *why;

	for (unsigned i = 0; i < SIMOTA_RFM_SCRIPT_MAX_COMMANDS; i++)
		g_assert_cmpint(simota_rfm_script_add_hex(s, "a0f2000016", &why), ==, SIMOTA_OK);
	g_assert_cmpint(simota_rfm_script_add_hex(s, "a0f2000016", &why), ==, SIMOTA_ERR_NO_SPACE);
	g_assert_nonnull(strstr(why, "255"));

	simota_rfm_script_init(s);
	for (unsigned i = 0; i < 255; i++)
		g_string_append(big, "ee");
	for (unsigned i = 0; i < 15; i++)
		g_assert_cmpint(simota_rfm_script_add_hex(s, big->str, &why), ==, SIMOTA_OK);
	/* 15 x 260 = 3900 bytes; a 16th would pass 4096 */
	g_assert_cmpint(simota_rfm_script_add_hex(s, big->str, &why), ==, SIMOTA_ERR_NO_SPACE);
	g_assert_cmpuint(s->n, ==, 15);
	g_string_free(big, TRUE);
	g_free(s);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rfm-script/pysim-file", test_pysim_file);
	g_test_add_func("/rfm-script/expanded", test_expanded);
	g_test_add_func("/rfm-script/compact-refused", test_compact_refused);
	g_test_add_func("/rfm-script/limits", test_limits);
	for (size_t i = 0; i < G_N_ELEMENTS(refused); i++)
		tv_add_test("/rfm-script/refused/", refused[i].name, GSIZE_TO_POINTER(i), test_refused);
	return g_test_run();
}
