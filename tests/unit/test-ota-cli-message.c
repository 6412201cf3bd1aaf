/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ota-cli message ...` (doc/ota-cli.md): runs the binary named by $OTA_CLI. */
#include "test-support.h"

#include <string.h>

static const char *cli_path;

/* Runs ota-cli with the NULL-terminated arguments; returns the exit status. */
static int run(char **out, char **err, ...)
{
	GPtrArray *args = g_ptr_array_new();
	va_list ap;
	const char *a;
	int status;
	GError *error = NULL;

	g_ptr_array_add(args, (gpointer)cli_path);
	va_start(ap, err);
	while ((a = va_arg(ap, const char *)))
		g_ptr_array_add(args, (gpointer)a);
	va_end(ap);
	g_ptr_array_add(args, NULL);
	if (!g_spawn_sync(NULL, (char **)args->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err,
			  &status, &error))
		g_error("spawn: %s", error->message);
	g_ptr_array_free(args, TRUE);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_c1_round_trip(void)
{
	char *out, *err, *json, *out2;
	JsonParser *p = json_parser_new();
	JsonObject *o;

	g_assert_cmpint(run(&out, &err, "message", "c1", "--txid", "0000002A", "--action", "get-input",
			    "--text", "Your PIN? ✓", "--sv1-address", "+15550100", "--wanted", "event",
			    NULL), ==, 0);
	g_assert_cmpstr(err, ==, "");
	g_free(err);
	g_strstrip(out);
	g_assert_true(g_str_has_prefix(out, "a0"));
	g_assert_cmpint(run(&json, &err, "message", "decode", out, NULL), ==, 0);
	g_free(err);
	g_assert_true(json_parser_load_from_data(p, json, -1, NULL));
	o = json_node_get_object(json_parser_get_root(p));
	g_assert_cmpstr(json_object_get_string_member(o, "type"), ==, "C1");
	g_assert_cmpstr(json_object_get_string_member(o, "txid"), ==, "0000002a");
	g_assert_cmpstr(json_object_get_string_member(o, "action"), ==, "get-input");
	g_assert_cmpstr(json_object_get_string_member(o, "text"), ==, "Your PIN? ✓");
	g_assert_cmpstr(json_object_get_string_member(o, "sv1_address"), ==, "+15550100");
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(o, "wanted"), "form"),
			==, "until-event");
	/* hex input is case-insensitive */
	{
		char *upper = g_ascii_strup(out, -1);
		g_assert_cmpint(run(&out2, &err, "message", "decode", upper, NULL), ==, 0);
		g_assert_cmpstr(out2, ==, json);
		g_free(upper);
		g_free(out2);
		g_free(err);
	}
	g_object_unref(p);
	g_free(out);
	g_free(json);
}

/* --default-item: element 8D, the doc's vector c1-select-item-default (doc/protocol.md §4.1) */
static void test_c1_default_item(void)
{
	char *out, *err;

	g_assert_cmpint(run(&out, &err, "message", "c1", "--txid", "00000035", "--action", "select-item",
			    "--text", "Pay with?", "--item", "1:Card", "--item", "2:Bank transfer",
			    "--item", "3:Cash", "--wanted", "indefinite", "--default-item", "2", NULL), ==, 0);
	g_assert_cmpstr(out, ==, "a038800400000035810103820950617920776974683f83050143617264830e02"
			"42616e6b207472616e73666572830503436173688501028d0102\n");
	g_free(err);
	g_strstrip(out);
	{
		char *json;

		g_assert_cmpint(run(&json, &err, "message", "decode", out, NULL), ==, 0);
		g_assert_nonnull(strstr(json, "\"default_item\":2,"));
		g_free(json);
		g_free(err);
	}
	g_free(out);
	/* not one of the items */
	g_assert_cmpint(run(&out, &err, "message", "c1", "--txid", "00000035", "--action", "select-item",
			    "--text", "Pay with?", "--item", "1:Card", "--default-item", "2", NULL), ==, 1);
	g_assert_cmpstr(out, ==, "");
	g_assert_cmpstr(err, ==, "ota-cli: --default-item must be the ID of one of the --item options\n");
	g_free(out);
	g_free(err);
	/* a card's refusal: decoded as not a valid message */
	g_assert_cmpint(run(&out, &err, "message", "decode",
			    "a01c800400000036810103830501486f6d658307024f66666963658d0103", NULL), ==, 1);
	g_assert_cmpstr(out, ==, "");
	g_free(out);
	g_free(err);
}

static void test_c2_release(void)
{
	char *out, *err;

	g_assert_cmpint(run(&out, &err, "message", "c2", "--txid", "0000000a", NULL), ==, 0);
	g_assert_cmpstr(out, ==, "a10680040000000a\n");
	g_free(out);
	g_free(err);
	g_assert_cmpint(run(&out, &err, "message", "release", "--txid", "0000000a", NULL), ==, 0);
	g_assert_cmpstr(out, ==, "a20680040000000a\n");
	g_free(out);
	g_free(err);
}

static void test_errors(void)
{
	static const char *cases[][8] = {
		{ "message", NULL },
		{ "message", "c9", NULL },
		{ "message", "c2", "--txid", "00000000", NULL },
		{ "message", "c2", "--txid", "123", NULL },
		{ "message", "c1", "--txid", "00000001", "--action", "dance", "--text", "x" },
		{ "message", "c1", "--txid", "00000001", "--action", "display-text", NULL },
		{ "message", "decode", "zz", NULL },
		{ "message", "decode", "a006800400000001ff", NULL },
		{ "message", "decode", "a0068004000000", NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *out, *err;
		const char *const *c = cases[i];
		int rc = run(&out, &err, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], NULL);

		g_assert_cmpint(rc, ==, 1);
		g_assert_cmpstr(out, ==, "");
		g_assert_true(g_str_has_prefix(err, "ota-cli: "));
		g_assert_cmpint(strchr(err, '\n') - err, ==, (long)strlen(err) - 1); /* one line */
		g_free(out);
		g_free(err);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	cli_path = g_getenv("OTA_CLI");
	if (!cli_path)
		g_error("set OTA_CLI to the ota-cli binary");
	g_test_add_func("/ota-cli/message/c1-round-trip", test_c1_round_trip);
	g_test_add_func("/ota-cli/message/c1-default-item", test_c1_default_item);
	g_test_add_func("/ota-cli/message/c2-release", test_c2_release);
	g_test_add_func("/ota-cli/message/errors", test_errors);
	return g_test_run();
}
