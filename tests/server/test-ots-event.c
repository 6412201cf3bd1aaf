/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A timeline event's text without a JSON tree (transactions/engine-internal.h
 * ots_detail_*, engine.h ots_event_to_text): what it writes is JSON that
 * json-glib reads back to the same values, whatever the strings hold.
 */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>
#include <string.h>

#include "transactions/engine-internal.h"

static JsonObject *parse_object(const char *text, JsonNode **keep)
{
	GError *error = NULL;
	JsonNode *n = json_from_string(text, &error);

	g_assert_no_error(error);
	g_assert_nonnull(n);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(n));
	*keep = n;
	return json_node_get_object(n);
}

/* Strings as R1 texts and error messages may hold them: quotes, escapes, controls, UTF-8. */
static void test_detail_strings(void)
{
	static const char *const values[] = {
		"plain", "", "say \"yes\"", "back\\slash", "line\nbreak\r\ttab", "\x01\x1f bell",
		"Pay 25 € to ACME?", "\xe2\x82", /* a cut UTF-8 sequence: made valid, not dropped */
	};
	GString *d = ots_detail_new();
	JsonNode *keep;
	JsonObject *o;
	char *text, key[8];

	for (unsigned i = 0; i < G_N_ELEMENTS(values); i++) {
		g_snprintf(key, sizeof(key), "s%u", i);
		ots_detail_str(d, key, values[i]);
	}
	ots_detail_str(d, "none", NULL);
	text = ots_detail_end(d);
	/* RFC 8259 §7: no control character unescaped (json-glib would read them anyway) */
	for (const char *p = text; *p; p++)
		g_assert_cmpint((unsigned char)*p, >=, 0x20);
	g_assert_true(g_utf8_validate(text, -1, NULL));
	o = parse_object(text, &keep);
	for (unsigned i = 0; i + 1 < G_N_ELEMENTS(values); i++) {
		g_snprintf(key, sizeof(key), "s%u", i);
		g_assert_cmpstr(json_object_get_string_member(o, key), ==, values[i]);
	}
	g_assert_true(json_object_has_member(o, "s7"));        /* replaced, still a string */
	g_assert_true(json_object_get_null_member(o, "none"));
	g_assert_cmpuint(json_object_get_size(o), ==, G_N_ELEMENTS(values) + 1);
	json_node_unref(keep);
	g_free(text);
}

static void test_detail_values(void)
{
	GString *d = ots_detail_new();
	JsonNode *keep, *rq = json_from_string("{\"form\":\"fixed\",\"seconds\":30}", NULL);
	JsonObject *o;
	char *text;

	ots_detail_int(d, "min", INT64_MIN);
	ots_detail_int(d, "max", INT64_MAX);
	ots_detail_bool(d, "yes", true);
	ots_detail_bool(d, "no", false);
	ots_detail_node(d, "rq", rq);
	ots_detail_node(d, "nothing", NULL);
	text = ots_detail_end(d);
	o = parse_object(text, &keep);
	g_assert_cmpint(json_object_get_int_member(o, "min"), ==, INT64_MIN);
	g_assert_cmpint(json_object_get_int_member(o, "max"), ==, INT64_MAX);
	g_assert_true(json_object_get_boolean_member(o, "yes"));
	g_assert_false(json_object_get_boolean_member(o, "no"));
	g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(o, "rq"), "seconds"),
			==, 30);
	g_assert_true(json_object_get_null_member(o, "nothing"));
	json_node_unref(keep);
	g_free(text);
	/* no detail at all */
	text = ots_detail_end(NULL);
	g_assert_cmpstr(text, ==, "{}");
	g_free(text);
}

/* The event's own members, then its detail's, as GET /v1/transactions/ID and SSE show them. */
static void test_event_text(void)
{
	struct ots_event ev = { .seq = 7, .tx_id = 3, .iccid = "89882390000000000017",
				.at_us = 1764700000123456, .kind = "por-received",
				.detail = "{\"via\":\"deliver-report\",\"status\":0}" };
	JsonNode *keep;
	JsonObject *o;
	char *text;

	text = ots_event_to_text(&ev);
	o = parse_object(text, &keep);
	g_assert_cmpint(json_object_get_int_member(o, "seq"), ==, 7);
	g_assert_cmpint(json_object_get_int_member(o, "tx"), ==, 3);
	g_assert_cmpstr(json_object_get_string_member(o, "iccid"), ==, ev.iccid);
	g_assert_cmpstr(json_object_get_string_member(o, "event"), ==, "por-received");
	g_assert_cmpstr(json_object_get_string_member(o, "via"), ==, "deliver-report");
	g_assert_cmpint(json_object_get_int_member(o, "status"), ==, 0);
	g_assert_true(g_str_has_prefix(json_object_get_string_member(o, "at"), "2025-12-02T"));
	json_node_unref(keep);
	g_free(text);
	/* a campaign's own event: no transaction, no card; details empty or written with spaces */
	for (unsigned i = 0; i < 3; i++) {
		static const char *const empty[] = { NULL, "{}", " { } " };

		ev.tx_id = 0;
		ev.iccid = NULL;
		ev.detail = empty[i];
		text = ots_event_to_text(&ev);
		o = parse_object(text, &keep);
		g_assert_true(json_object_get_null_member(o, "tx"));
		g_assert_true(json_object_get_null_member(o, "iccid"));
		g_assert_cmpuint(json_object_get_size(o), ==, 5);
		json_node_unref(keep);
		g_free(text);
	}
	/* a detail written by json-glib's generator with spaces is spliced as well */
	ev.detail = "{ \"campaign\" : 4 }";
	text = ots_event_to_text(&ev);
	o = parse_object(text, &keep);
	g_assert_cmpint(json_object_get_int_member(o, "campaign"), ==, 4);
	json_node_unref(keep);
	g_free(text);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ots/event/detail-strings", test_detail_strings);
	g_test_add_func("/ots/event/detail-values", test_detail_values);
	g_test_add_func("/ots/event/text", test_event_text);
	return g_test_run();
}
