/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "test-support.h"

#include <string.h>

#include "simota/hex.h"

const char *tv_dir(void)
{
	const char *env = g_getenv("STKBRIDGE_VECTORS_DIR");
	return env && *env ? env : VECTORS_DIR;
}

JsonObject *tv_load(const char *name)
{
	static GHashTable *parsers; /* test process lifetime */
	GError *error = NULL;
	JsonParser *parser;
	char *path;

	if (!parsers)
		parsers = g_hash_table_new(g_str_hash, g_str_equal);
	parser = g_hash_table_lookup(parsers, name);
	if (!parser) {
		path = g_build_filename(tv_dir(), name, NULL);
		parser = json_parser_new();
		if (!json_parser_load_from_file(parser, path, &error))
			g_error("cannot load vectors %s: %s", path, error->message);
		g_free(path);
		g_hash_table_insert(parsers, g_strdup(name), parser);
	}
	return json_node_get_object(json_parser_get_root(parser));
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

char *tv_to_hex(const uint8_t *p, size_t len)
{
	return simota_hex_dup(p, len);
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
