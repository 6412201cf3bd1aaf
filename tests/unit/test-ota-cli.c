/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `ota-cli packet ...` run as a program over every secured-packet vector,
 * plus its error behaviour: exit 1, one line on stderr, nothing on stdout.
 * The binary's path comes from $OTA_CLI (set by meson).
 */
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>

#include "test-support.h"

static const char *cli_path;

struct run {
	int status;     /* exit status */
	char *out;
	char *err;
};

static void run_free(struct run *r)
{
	g_free(r->out);
	g_free(r->err);
}

/* Runs ota-cli with a NULL-terminated GPtrArray of arguments. */
static struct run run_cli(GPtrArray *args)
{
	struct run r = { 0 };
	GError *error = NULL;
	int wait_status;

	g_ptr_array_insert(args, 0, g_strdup(cli_path));
	g_ptr_array_add(args, NULL);
	if (!g_spawn_sync(NULL, (char **)args->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
			  &r.out, &r.err, &wait_status, &error))
		g_error("cannot run %s: %s", cli_path, error->message);
	g_assert_true(WIFEXITED(wait_status));
	r.status = WEXITSTATUS(wait_status);
	g_ptr_array_free(args, TRUE);
	return r;
}

static GPtrArray *argv_new(const char *first, ...) G_GNUC_NULL_TERMINATED;
static GPtrArray *argv_new(const char *first, ...)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	va_list ap;

	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *))
		g_ptr_array_add(a, g_strdup(s));
	va_end(ap);
	return a;
}

static void add_opt(GPtrArray *a, const char *name, const char *value)
{
	if (!value)
		return;
	g_ptr_array_add(a, g_strdup(name));
	g_ptr_array_add(a, g_strdup(value));
}

static void assert_success(const struct run *r)
{
	if (r->status != 0)
		g_error("ota-cli failed (%d): %s", r->status, r->err);
	g_assert_cmpstr(r->err, ==, "");
}

/* exit 1, exactly one line on stderr, nothing on stdout */
static void assert_failure(const struct run *r)
{
	const char *nl;

	g_assert_cmpint(r->status, ==, 1);
	g_assert_cmpstr(r->out, ==, "");
	g_assert_true(g_str_has_prefix(r->err, "ota-cli: "));
	nl = strchr(r->err, '\n');
	g_assert_nonnull(nl);
	g_assert_cmpstr(nl + 1, ==, "");
	g_assert_cmpuint(strlen(r->err), >, strlen("ota-cli: ") + 5);
}

static JsonObject *parse_json_line(const char *out)
{
	static GPtrArray *parsers;   /* kept for the process */
	JsonParser *p = json_parser_new();
	GError *error = NULL;

	if (!parsers)
		parsers = g_ptr_array_new();
	g_ptr_array_add(parsers, p);
	g_assert_true(g_str_has_suffix(out, "}\n"));
	g_assert_true(strchr(out, '\n') == out + strlen(out) - 1);   /* one line */
	if (!json_parser_load_from_data(p, out, -1, &error))
		g_error("bad JSON %s: %s", out, error->message);
	return json_node_get_object(json_parser_get_root(p));
}

static bool implicit_byte(const char *hex)
{
	size_t n;
	uint8_t *b = tv_hex(hex, &n);
	bool implicit = (b[0] & 0x03) == 0;

	g_free(b);
	return implicit;
}

/* The options naming keys (and algorithms where the byte is implicit). */
static void add_key_opts(GPtrArray *a, JsonObject *v)
{
	add_opt(a, "--kic-key", tv_str(v, "kic_key"));
	add_opt(a, "--kid-key", tv_str(v, "kid_key"));
	if (tv_str(v, "kic_algorithm") && implicit_byte(tv_str(v, "kic")))
		add_opt(a, "--kic-alg", tv_str(v, "kic_algorithm"));
	if (tv_str(v, "kid_algorithm") && implicit_byte(tv_str(v, "kid")))
		add_opt(a, "--kid-alg", tv_str(v, "kid_algorithm"));
}

static GPtrArray *wrap_args(JsonObject *v)
{
	GPtrArray *a = argv_new("packet", "wrap", NULL);

	add_opt(a, "--spi", tv_str(v, "spi"));
	add_opt(a, "--kic", tv_str(v, "kic"));
	add_opt(a, "--kid", tv_str(v, "kid"));
	add_opt(a, "--tar", tv_str(v, "tar"));
	add_opt(a, "--cntr", tv_str(v, "cntr"));
	add_opt(a, "--data", tv_str(v, "data"));
	add_key_opts(a, v);
	if (g_strcmp0(tv_str(v, "kid_algorithm"), "aes-cmac") == 0) {
		char len[4];

		g_snprintf(len, sizeof(len), "%d", (int)json_object_get_int_member(v, "cc_len"));
		add_opt(a, "--cc-len", len);
	}
	return a;
}

static void check_unwrapped_command(JsonObject *v, const struct run *r)
{
	JsonObject *o;
	int cc_len = (int)json_object_get_int_member(v, "cc_len");

	assert_success(r);
	o = parse_json_line(r->out);
	g_assert_cmpstr(tv_str(o, "spi"), ==, tv_str(v, "spi"));
	g_assert_cmpstr(tv_str(o, "kic"), ==, tv_str(v, "kic"));
	g_assert_cmpstr(tv_str(o, "kid"), ==, tv_str(v, "kid"));
	g_assert_cmpstr(tv_str(o, "tar"), ==, tv_str(v, "tar"));
	g_assert_cmpstr(tv_str(o, "cntr"), ==, tv_str(v, "cntr"));
	g_assert_cmpstr(tv_str(o, "data"), ==, tv_str(v, "data"));
	g_assert_true(JSON_NODE_HOLDS_VALUE(json_object_get_member(o, "pcntr")));
	g_assert_cmpint(json_node_get_value_type(json_object_get_member(o, "pcntr")), ==, G_TYPE_INT64);
	if (cc_len == 0) {
		g_assert_true(JSON_NODE_HOLDS_NULL(json_object_get_member(o, "cc")));
	} else {
		g_assert_cmpuint(strlen(tv_str(o, "cc")), ==, 2 * (size_t)cc_len);
		/* the CC is the one in the plain packet, or hidden by ciphering */
	}
	/* exact key order of the issue */
	g_assert_true(g_str_has_prefix(r->out, "{\"spi\":\""));
	g_assert_nonnull(strstr(r->out, "\",\"pcntr\":"));
	g_assert_nonnull(strstr(r->out, ",\"data\":\""));
}

/*
 * Issue 9 defect 5: the option of a vector whose 3DES key degenerates to
 * single DES (the all-zero keys of opentelecoms 005, 007, 020, 022), which
 * ota-cli refuses as pySim does; NULL for the others.  The codec itself
 * still runs those vectors (test-ota, test-uicc-ota).
 */
static const char *weak_key_option(JsonObject *v)
{
	static const char *const fields[2][3] = {
		{ "kic_key", "kic_algorithm", "--kic-key" }, { "kid_key", "kid_algorithm", "--kid-key" },
	};

	for (int i = 0; i < 2; i++)
		if (tv_key_degenerate(tv_str(v, fields[i][0]), tv_str(v, fields[i][1])))
			return fields[i][2];
	return NULL;
}

static void assert_weak_key_refused(GPtrArray *args, const char *option)
{
	struct run r = run_cli(args);

	assert_failure(&r);
	g_assert_true(g_str_has_prefix(r.err + strlen("ota-cli: "), option));
	g_assert_nonnull(strstr(r.err, "degenerates to single DES"));
	run_free(&r);
}

/* ota-cli packet unwrap-command with the vector's keys; packet (g_malloc'ed) is taken. */
static GPtrArray *unwrap_command_args(JsonObject *v, char *packet)
{
	GPtrArray *a = argv_new("packet", "unwrap-command", NULL);

	add_key_opts(a, v);
	g_ptr_array_add(a, packet);
	return a;
}

static void test_command(gconstpointer p)
{
	JsonObject *v = (JsonObject *)p;
	struct run r;
	char *line = g_strconcat(tv_str(v, "expected"), "\n", NULL);
	char *with_udh = g_ascii_strup(tv_str(v, "expected"), -1);
	char *upper = g_strconcat("027000", with_udh, NULL);
	const char *expected = tv_str(v, "expected");
	size_t n = strlen(expected);
	const char *weak = weak_key_option(v);

	if (weak) {
		assert_weak_key_refused(wrap_args(v), weak);
		assert_weak_key_refused(unwrap_command_args(v, g_strdup(expected)), weak);
		g_free(line);
		g_free(with_udh);
		g_free(upper);
		return;
	}

	/* wrap -> expected */
	r = run_cli(wrap_args(v));
	assert_success(&r);
	g_assert_cmpstr(r.out, ==, line);
	run_free(&r);

	/* unwrap, without and with the UDH (and upper-case hex) */
	r = run_cli(unwrap_command_args(v, g_strdup(expected)));
	check_unwrapped_command(v, &r);
	run_free(&r);
	r = run_cli(unwrap_command_args(v, g_strdup(upper)));
	check_unwrapped_command(v, &r);
	run_free(&r);

	/* truncated: one byte short, half, header only, one byte */
	{
		size_t cuts[] = { n - 2, n / 2 & ~(size_t)1, 20, 2 };

		for (size_t i = 0; i < G_N_ELEMENTS(cuts); i++) {
			r = run_cli(unwrap_command_args(v, g_strndup(expected, cuts[i])));
			assert_failure(&r);
			run_free(&r);
		}
	}
	/* one flipped bit in the last byte (covered by RC/CC when present) */
	if (json_object_get_int_member(v, "cc_len") > 0) {
		char *flipped = g_strdup(expected);

		flipped[n - 1] = flipped[n - 1] == '0' ? '1' : '0';
		r = run_cli(unwrap_command_args(v, flipped));
		assert_failure(&r);
		g_assert_nonnull(strstr(r.err, "RC/CC"));
		run_free(&r);
	}
	g_free(line);
	g_free(with_udh);
	g_free(upper);
}

static void test_response(gconstpointer p)
{
	JsonObject *v = (JsonObject *)p;
	JsonObject *e = json_object_get_object_member(v, "expect");
	const char *packet = tv_str(v, "packet");
	GPtrArray *a;
	struct run r;
	JsonObject *o;

	a = argv_new("packet", "unwrap-response", NULL);
	add_opt(a, "--spi", tv_str(v, "spi"));
	add_opt(a, "--kic", tv_str(v, "kic"));
	add_opt(a, "--kid", tv_str(v, "kid"));
	add_key_opts(a, v);
	g_ptr_array_add(a, g_strdup(packet));
	r = run_cli(a);
	if (!json_object_get_boolean_member(e, "rc_cc_valid")) {
		assert_failure(&r);
		g_assert_nonnull(strstr(r.err, "RC/CC"));
		run_free(&r);
		return;
	}
	assert_success(&r);
	o = parse_json_line(r.out);
	g_assert_true(g_str_has_prefix(r.out, "{\"tar\":\""));
	g_assert_cmpstr(tv_str(o, "tar"), ==, tv_str(e, "tar"));
	g_assert_cmpstr(tv_str(o, "cntr"), ==, tv_str(e, "cntr"));
	g_assert_cmpint(json_object_get_int_member(o, "pcntr"), ==,
			json_object_get_int_member(e, "pcntr"));
	g_assert_cmpstr(tv_str(o, "status"), ==, tv_str(e, "status"));
	g_assert_cmpstr(tv_str(o, "cc"), ==, tv_str(e, "cc"));
	g_assert_true(json_object_has_member(o, "cc"));
	g_assert_cmpstr(tv_str(o, "data"), ==, tv_str(e, "data"));
	run_free(&r);

	/* wrap-response from the expected fields gives the packet back */
	a = argv_new("packet", "wrap-response", NULL);
	add_opt(a, "--spi", tv_str(v, "spi"));
	add_opt(a, "--kic", tv_str(v, "kic"));
	add_opt(a, "--kid", tv_str(v, "kid"));
	add_opt(a, "--tar", tv_str(e, "tar"));
	add_opt(a, "--cntr", tv_str(e, "cntr"));
	add_opt(a, "--status", tv_str(e, "status"));
	add_opt(a, "--data", tv_str(e, "data"));
	add_key_opts(a, v);
	r = run_cli(a);
	assert_success(&r);
	{
		char *want = g_strdup_printf("%s%s\n", g_str_has_prefix(packet, "027100") ? "" : "027100",
					     packet);
		g_assert_cmpstr(r.out, ==, want);
		g_free(want);
	}
	run_free(&r);

	/* truncated by one byte */
	a = argv_new("packet", "unwrap-response", NULL);
	add_opt(a, "--spi", tv_str(v, "spi"));
	add_opt(a, "--kic", tv_str(v, "kic"));
	add_opt(a, "--kid", tv_str(v, "kid"));
	add_key_opts(a, v);
	g_ptr_array_add(a, g_strndup(packet, strlen(packet) - 2));
	r = run_cli(a);
	assert_failure(&r);
	run_free(&r);
}

/* An error PoR is built plain and decodes with no keys at all. */
static void test_error_por(void)
{
	struct run r;
	JsonObject *o;

	r = run_cli(argv_new("packet", "wrap-response", "--spi", "1639", "--kic", "25", "--kid", "25",
			     "--tar", "c00203", "--cntr", "0000000042", "--status", "01",
			     "--data", "", NULL));
	assert_success(&r);
	g_assert_cmpstr(r.out, ==, "027100000b0ac002030000000042000" "1\n");
	run_free(&r);
	r = run_cli(argv_new("packet", "unwrap-response", "--spi", "1639", "--kic", "25", "--kid", "25",
			     "027100000b0ac0020300000000420001", NULL));
	assert_success(&r);
	g_assert_cmpstr(r.out, ==, "{\"tar\":\"c00203\",\"cntr\":\"0000000042\",\"pcntr\":0,"
				   "\"status\":\"01\",\"cc\":null,\"data\":\"\"}\n");
	o = parse_json_line(r.out);
	g_assert_cmpstr(tv_str(o, "status"), ==, "01");
	run_free(&r);
	/* a status-00 PoR lacking the CC that SPI2 asks for is refused */
	r = run_cli(argv_new("packet", "unwrap-response", "--spi", "1639", "--kic", "25", "--kid", "25",
			     "--kic-key", "aaadb5d0727d2bc91075d204fe41da99",
			     "--kid-key", "26a54f5fc8e1538bf9c9655c18f10a5b",
			     "027100000b0ac0020300000000420000", NULL));
	assert_failure(&r);
	run_free(&r);
}

/* Issue 9 defect 5: --kic-key / --kid-key that degenerate to single DES are refused. */
static void test_weak_keys(void)
{
	static const struct {
		const char *kic, *kic_key, *kid_key, *refused;
	} cases[] = {
		{ "25", "2233445566778899aabbccddeeff0011", "1122334455667788" "1122334455667788", "--kid-key" },
		{ "25", "0123456789abcdef" "0022446688aaccee", "2233445566778899aabbccddeeff0011", "--kic-key" },
		{ "29", "0011223344556677" "8899aabbccddeeff" "8899aabbccddeeff",
		  "0011223344556677" "8899aabbccddeeff" "0123456789abcdef", "--kic-key" },
		{ "29", "0011223344556677" "8899aabbccddeeff" "0123456789abcdef",
		  "0011223344556677" "0011223344556677" "0123456789abcdef", "--kid-key" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		assert_weak_key_refused(argv_new("packet", "wrap", "--spi", "1601", "--kic", cases[i].kic,
						 "--kid", cases[i].kic, "--kic-key", cases[i].kic_key,
						 "--kid-key", cases[i].kid_key, "--tar", "defe01",
						 "--cntr", "0000000001", "--data", "a0a40000023f00", NULL),
					cases[i].refused);
	/* K1 = K3 is 3-key 3DES keying option 2: accepted */
	{
		struct run r = run_cli(argv_new("packet", "wrap", "--spi", "1601", "--kic", "29", "--kid", "29",
						"--kic-key", "0123456789abcdef" "8899aabbccddeeff" "0123456789abcdef",
						"--kid-key", "0011223344556677" "8899aabbccddeeff" "0011223344556677",
						"--tar", "defe01", "--cntr", "0000000001", "--data", "00", NULL));

		assert_success(&r);
		run_free(&r);
	}
}

/*
 * An RC uses no key: SPI 15 35 (a Gemalto card's PoR setting: RC and
 * ciphering both ways), KIc 15 (3DES 2-key), KID 15 (CRC32), and no
 * --kid-key, through all four subcommands.  The packets were computed
 * outside libsimota (zlib.crc32, openssl enc -des-ede-cbc).
 */
static void test_rc_without_key(void)
{
	static const char key[] = "0123456789abcdeffedcba9876543210";
	static const char cmd[] = "00201115351515c000014b86c8c6cb1ba5c261805e9dca2e73ce7c5fa59aa5dc77e5";
	static const char por[] = "02710000140ec000015d1ffd5bd629803fbc2f96633c3ec69b";
	struct run r;

	r = run_cli(argv_new("packet", "wrap", "--spi", "1535", "--kic", "15", "--kid", "15",
			     "--kic-key", key, "--tar", "c00001", "--cntr", "0000000007",
			     "--data", "a0a40000023f00", NULL));
	assert_success(&r);
	g_assert_cmpstr(r.out, ==, "00201115351515c000014b86c8c6cb1ba5c261805e9dca2e73ce7c5fa59aa5dc77e5\n");
	run_free(&r);

	r = run_cli(argv_new("packet", "unwrap-command", "--kic-key", key, cmd, NULL));
	assert_success(&r);
	g_assert_cmpstr(r.out, ==, "{\"spi\":\"1535\",\"kic\":\"15\",\"kid\":\"15\",\"tar\":\"c00001\","
				   "\"cntr\":\"0000000007\",\"pcntr\":7,\"cc\":\"7b6b64ed\","
				   "\"data\":\"a0a40000023f00\"}\n");
	run_free(&r);

	r = run_cli(argv_new("packet", "wrap-response", "--spi", "1535", "--kic", "15", "--kid", "15",
			     "--kic-key", key, "--tar", "c00001", "--cntr", "0000000007",
			     "--status", "00", "--data", "019000", NULL));
	assert_success(&r);
	g_assert_cmpstr(r.out, ==, "02710000140ec000015d1ffd5bd629803fbc2f96633c3ec69b\n");
	run_free(&r);

	r = run_cli(argv_new("packet", "unwrap-response", "--spi", "1535", "--kic", "15", "--kid", "15",
			     "--kic-key", key, por, NULL));
	assert_success(&r);
	g_assert_cmpstr(r.out, ==, "{\"tar\":\"c00001\",\"cntr\":\"0000000007\",\"pcntr\":2,"
				   "\"status\":\"00\",\"cc\":\"0f2e6ef6\",\"data\":\"019000\"}\n");
	run_free(&r);

	/* the CRC still protects the PoR: one flipped bit is refused */
	r = run_cli(argv_new("packet", "unwrap-response", "--spi", "1535", "--kic", "15", "--kid", "15",
			     "--kic-key", key, "02710000140ec000015d1ffd5bd629803fbc2f96633c3ec69a",
			     NULL));
	assert_failure(&r);
	g_assert_nonnull(strstr(r.err, "RC/CC"));
	run_free(&r);

	/* an implicit KID byte needs --kid-alg, still no key */
	r = run_cli(argv_new("packet", "unwrap-response", "--spi", "1535", "--kic", "15", "--kid", "10",
			     "--kic-key", key, por, NULL));
	assert_failure(&r);
	g_assert_nonnull(strstr(r.err, "--kid-alg"));
	run_free(&r);
	r = run_cli(argv_new("packet", "unwrap-response", "--spi", "1535", "--kic", "15", "--kid", "10",
			     "--kid-alg", "crc32", "--kic-key", key, por, NULL));
	assert_success(&r);
	g_assert_nonnull(strstr(r.out, "\"cc\":\"0f2e6ef6\""));
	run_free(&r);
}

/* Bad invocations: exit 1 with one line on stderr. */
static void test_errors(void)
{
	static const char *const k16 = "2233445566778899aabbccddeeff0011";
	static const char *const base[] = {
		"packet", "wrap", "--spi", "1601", "--kic", "25", "--kid", "25", "--tar", "c00000",
		"--cntr", "0000000001", "--data", "a0a40000023f00",
	};
	struct {
		const char *extra[8];
	} cases[] = {
		{ { NULL } },                                          /* keys missing */
		{ { "--kic-key", "2233", "--kid-key", k16, NULL } },   /* wrong key length */
		{ { "--kic-key", k16, "--kid-key", "2233445566778899", NULL } },
		{ { "--kic-key", "zz33445566778899aabbccddeeff0011", "--kid-key", k16, NULL } },
		{ { "--kic-key", k16, "--kid-key", k16, "--cc-len", "6", NULL } },
		{ { "--kic-key", k16, "--kid-key", k16, "--kic-alg", "rot13", NULL } },
		{ { "--kic-key", k16, "--kid-key", k16, "--kic-alg", "aes-cbc", NULL } },  /* conflicts */
		{ { "--kic-key", k16, "--kid-key", k16, "--bogus", NULL } },
		{ { "--kic-key", k16, "--kid-key", k16, "--status", "00", NULL } },        /* not for wrap */
		{ { "--kic-key", k16, "--kid-key", k16, "extra", NULL } },
		{ { "--kic-key", k16, "--kid-key", k16, "--kic", "26", NULL } },           /* twice */
	};
	struct run r;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GPtrArray *a = g_ptr_array_new_with_free_func(g_free);

		for (size_t j = 0; j < G_N_ELEMENTS(base); j++)
			g_ptr_array_add(a, g_strdup(base[j]));
		for (size_t j = 0; cases[i].extra[j]; j++)
			g_ptr_array_add(a, g_strdup(cases[i].extra[j]));
		r = run_cli(a);
		assert_failure(&r);
		run_free(&r);
	}
	/* a key the SPI does not use is ignored, whatever its length */
	r = run_cli(argv_new("packet", "wrap", "--spi", "1201", "--kic", "25", "--kid", "25",
			     "--tar", "c00000", "--cntr", "0000000001", "--data", "A0A40000023F00",
			     "--kic-key", "00", "--kid-key", "456789ABCDEF012356789ABCDEF01234", NULL));
	assert_success(&r);
	g_assert_cmpstr(r.out, ==, "001d1512012525c000000000000001004fbdb3740e950c28a0a40000023f00\n");
	run_free(&r);
	/* implicit KID without --kid-alg */
	r = run_cli(argv_new("packet", "wrap", "--spi", "0201", "--kic", "00", "--kid", "00",
			     "--tar", "c00000", "--cntr", "0000000001", "--data", "00",
			     "--kid-key", k16, NULL));
	assert_failure(&r);
	g_assert_nonnull(strstr(r.err, "--kid-alg"));
	run_free(&r);
	/* bad hex, odd hex, not a packet, garbage commands */
	r = run_cli(argv_new("packet", "unwrap-command", "--kic-key", k16, "--kid-key", k16, "0g", NULL));
	assert_failure(&r);
	run_free(&r);
	r = run_cli(argv_new("packet", "unwrap-command", "001", NULL));
	assert_failure(&r);
	run_free(&r);
	r = run_cli(argv_new("packet", "unwrap-command", "", NULL));
	assert_failure(&r);
	run_free(&r);
	r = run_cli(argv_new("packet", "unwrap-command", NULL));
	assert_failure(&r);
	run_free(&r);
	r = run_cli(argv_new("packet", "unwrap-response", "--spi", "0619", "--kic", "35", "--kid",
			     "35", "0271000000", NULL));
	assert_failure(&r);
	run_free(&r);
	r = run_cli(argv_new("packet", "frobnicate", NULL));
	assert_failure(&r);
	run_free(&r);
	r = run_cli(argv_new("packet", NULL));
	assert_failure(&r);
	run_free(&r);
	r = run_cli(argv_new("nonsense", NULL));
	assert_failure(&r);
	run_free(&r);
	r = run_cli(argv_new(NULL, NULL));
	assert_failure(&r);
	run_free(&r);
	r = run_cli(argv_new("--help", NULL));
	assert_success(&r);
	g_assert_nonnull(strstr(r.out, "unwrap-response"));
	run_free(&r);
}

static void add_array(const char *array, const char *prefix, GTestDataFunc fn)
{
	JsonArray *a = json_object_get_array_member(tv_load("secured-packets.json"), array);

	g_assert_cmpuint(json_array_get_length(a), >, 0);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *o = json_array_get_object_element(a, i);
		char *path = g_strdup_printf("/ota-cli/%s/%s", prefix, tv_str(o, "id"));

		g_test_add_data_func(path, o, fn);
		g_free(path);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	cli_path = g_getenv("OTA_CLI");
	if (!cli_path || !*cli_path)
		g_error("set OTA_CLI to the ota-cli binary");
	g_test_add_func("/ota-cli/errors", test_errors);
	g_test_add_func("/ota-cli/error-por", test_error_por);
	g_test_add_func("/ota-cli/weak-keys", test_weak_keys);
	g_test_add_func("/ota-cli/rc-without-key", test_rc_without_key);
	add_array("command_packets", "command", test_command);
	add_array("response_packets", "response", test_response);
	return g_test_run();
}
