/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replays inputs through a fuzz target without libFuzzer, so every build
 * (gcc, ASan/UBSan) runs the targets as regression tests.  Arguments are
 * files, directories of files, or JSON vector files: every hex string in a
 * JSON file is fed to the target, whole and truncated at every length.
 */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "simota/hex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long runs;

static void run(const uint8_t *data, size_t size, gboolean truncations)
{
	for (size_t cut = truncations ? 0 : size; cut <= size; cut++) {
		/* exact-size copy, so ASan sees overreads; never NULL, as with libFuzzer */
		uint8_t *copy = g_malloc(cut ? cut : 1);
		if (cut)
			memcpy(copy, data, cut);
		LLVMFuzzerTestOneInput(copy, cut);
		g_free(copy);
		runs++;
	}
}

static void walk(JsonNode *node)
{
	if (JSON_NODE_HOLDS_OBJECT(node)) {
		JsonObjectIter it;
		JsonNode *member;
		json_object_iter_init(&it, json_node_get_object(node));
		while (json_object_iter_next(&it, NULL, &member))
			walk(member);
	} else if (JSON_NODE_HOLDS_ARRAY(node)) {
		JsonArray *a = json_node_get_array(node);
		for (guint i = 0; i < json_array_get_length(a); i++)
			walk(json_array_get_element(a, i));
	} else if (json_node_get_value_type(node) == G_TYPE_STRING) {
		const char *s = json_node_get_string(node);
		size_t cap = strlen(s) / 2 + 1, n;
		uint8_t *bytes = g_malloc(cap);

		/* every string that is hex and nothing else (no separators) */
		if (!strpbrk(s, " \t:") && simota_hex_decode(s, bytes, cap, &n) == SIMOTA_OK && n > 0)
			run(bytes, n, TRUE);
		g_free(bytes);
	}
}

static int replay_path(const char *path)
{
	GError *error = NULL;

	if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
		GDir *dir = g_dir_open(path, 0, &error);
		const char *name;
		if (!dir) {
			fprintf(stderr, "%s\n", error->message);
			return 1;
		}
		while ((name = g_dir_read_name(dir))) {
			char *child = g_build_filename(path, name, NULL);
			int rc = replay_path(child);
			g_free(child);
			if (rc)
				return rc;
		}
		g_dir_close(dir);
	} else if (g_str_has_suffix(path, ".json")) {
		JsonParser *parser = json_parser_new();
		if (!json_parser_load_from_file(parser, path, &error)) {
			fprintf(stderr, "%s: %s\n", path, error->message);
			return 1;
		}
		walk(json_parser_get_root(parser));
		g_object_unref(parser);
	} else {
		char *data;
		gsize len;
		if (!g_file_get_contents(path, &data, &len, &error)) {
			fprintf(stderr, "%s\n", error->message);
			return 1;
		}
		run((const uint8_t *)data, len, FALSE);
		g_free(data);
	}
	return 0;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (replay_path(argv[i]))
			return 1;
	printf("1..1\nok 1 - %lu inputs replayed\n", runs);
	return 0;
}
