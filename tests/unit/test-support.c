/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "test-support.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "simota/hex.h"
#include "simota/ota.h"

const char *tv_dir(void)
{
	const char *env = g_getenv("STKBRIDGE_VECTORS_DIR");
	return env && *env ? env : VECTORS_DIR;
}

JsonObject *tv_load_from(const char *dir, const char *name)
{
	static GHashTable *parsers; /* test process lifetime, keyed by path */
	GError *error = NULL;
	JsonParser *parser;
	char *path = g_build_filename(dir, name, NULL);

	if (!parsers)
		parsers = g_hash_table_new(g_str_hash, g_str_equal);
	parser = g_hash_table_lookup(parsers, path);
	if (!parser) {
		parser = json_parser_new();
		if (!json_parser_load_from_file(parser, path, &error))
			g_error("cannot load vectors %s: %s", path, error->message);
		g_hash_table_insert(parsers, g_strdup(path), parser);
	}
	g_free(path);
	return json_node_get_object(json_parser_get_root(parser));
}

JsonObject *tv_load(const char *name)
{
	return tv_load_from(tv_dir(), name);
}

const char *tv_str(JsonObject *o, const char *member)
{
	JsonNode *n;

	if (!o || !json_object_has_member(o, member))
		return NULL;
	n = json_object_get_member(o, member);
	if (JSON_NODE_HOLDS_NULL(n))
		return NULL;
	return json_node_get_string(n);
}

uint8_t *tv_hex(const char *hex, size_t *len)
{
	size_t cap = strlen(hex) / 2 + 1;
	uint8_t *out = g_malloc(cap);

	if (simota_hex_decode(hex, out, cap, len) != SIMOTA_OK)
		g_error("bad hex: %s", hex);
	return out;
}

void tv_hex_field(JsonObject *o, const char *member, uint8_t *out, size_t want)
{
	size_t n;
	uint8_t *p = tv_hex(tv_str(o, member), &n);

	if (n != want)
		g_error("%s: %zu bytes, expected %zu", member, n, want);
	memcpy(out, p, n);
	g_free(p);
}

void tv_add_test(const char *prefix, const char *name, gconstpointer data, GTestDataFunc fn)
{
	char *path = g_strconcat(prefix, name, NULL);

	g_test_add_data_func(path, data, fn);
	g_free(path);
}

char *tv_to_hex(const uint8_t *p, size_t len)
{
	return simota_hex_dup(p, len);
}

uint8_t tv_hex_byte(const char *hex)
{
	size_t n;
	uint8_t *b = tv_hex(hex, &n), v;

	g_assert_cmpuint(n, ==, 1);
	v = b[0];
	g_free(b);
	return v;
}

bool tv_strings_have(GPtrArray *a, const char *needle)
{
	for (guint i = 0; i < a->len; i++)
		if (strstr(g_ptr_array_index(a, i), needle))
			return true;
	return false;
}

#define BLOCKER "blocker"

void tv_block_path(const char *path)
{
	char *inside = g_build_filename(path, BLOCKER, NULL);

	g_assert_true(g_unlink(path) == 0 || errno == ENOENT);
	g_assert_cmpint(g_mkdir(path, 0700), ==, 0);
	g_assert_true(g_file_set_contents(inside, "x", -1, NULL));
	g_free(inside);
}

void tv_unblock_path(const char *path)
{
	char *inside = g_build_filename(path, BLOCKER, NULL);

	g_assert_cmpint(g_unlink(inside), ==, 0);
	g_assert_cmpint(g_rmdir(path), ==, 0);
	g_free(inside);
}

void tv_assert_hex_impl(const char *file, int line, const uint8_t *p, size_t len,
			const char *hex)
{
	char *got = tv_to_hex(p, len);

	if (g_ascii_strcasecmp(got, hex) != 0) {
		char *msg = g_strdup_printf("bytes differ\n  got      %s\n  expected %s", got, hex);
		g_assertion_message(G_LOG_DOMAIN, file, line, G_STRFUNC, msg);
		g_free(msg);
	}
	g_free(got);
}

bool tv_key_degenerate(const char *hex, const char *alg_name)
{
	enum simota_ota_alg alg;
	uint8_t *key;
	size_t len;
	bool weak;

	if (!hex || !alg_name || simota_ota_alg_from_name(alg_name, &alg) != SIMOTA_OK)
		return false;
	key = tv_hex(hex, &len);
	weak = simota_ota_key_check(alg, key, len) == SIMOTA_ERR_WEAK_KEY;
	g_free(key);
	return weak;
}
