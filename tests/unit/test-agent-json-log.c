/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stkbridge-agent: the JSON log lines (doc/agent.md "JSON log"): every
 * line one JSON object with the documented fields, parsed back here.
 */
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "answers.h"
#include "agent-test-support.h"
#include "json-log.h"

/* 2024-05-01T12:34:56.789Z */
#define T0_US (G_GINT64_CONSTANT(1714566896) * G_USEC_PER_SEC + 789123)

static JsonObject *parse_line(const char *line, JsonParser **parser)
{
	GError *error = NULL;
	JsonNode *root;

	g_assert_null(strchr(line, '\n'));
	*parser = json_parser_new();
	g_assert_true(json_parser_load_from_data(*parser, line, -1, &error));
	g_assert_no_error(error);
	root = json_parser_get_root(*parser);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
	return json_node_get_object(root);
}

static char *format(const struct stkagent_request *req, const char *answer_line,
		    enum stkagent_outcome outcome, const char *source)
{
	struct stkagent_answer a;
	struct stkagent_reply reply = { 0 };
	struct stkagent_log_entry e = {
		.time_us = T0_US,
		.elapsed_us = 1234567,
		.modem = "/stkbridge_0",
		.request = req,
		.outcome = outcome,
		.source = source,
	};
	GError *error = NULL;
	char *script = NULL;
	char *line;

	if (answer_line) {
		g_assert_true(stkagent_answer_parse(answer_line, &a, &error));
		stkagent_answer_resolve(req, &a, &reply);
		script = stkagent_answer_to_string(&a);
		e.script = script;
		stkagent_answer_clear(&a);
		if (outcome == STKAGENT_OUTCOME_REPLIED || outcome == STKAGENT_OUTCOME_ERROR)
			e.reply = &reply;
	}
	line = stkagent_log_format_request(&e);
	g_test_message("%s", line);
	stkagent_reply_clear(&reply);
	g_free(script);
	return line;
}

static void test_time(void)
{
	char *s = stkagent_log_format_time(T0_US);

	g_assert_cmpstr(s, ==, "2024-05-01T12:34:56.789Z");
	g_free(s);
	s = stkagent_log_format_time(0);
	g_assert_cmpstr(s, ==, "1970-01-01T00:00:00.000Z");
	g_free(s);
}

static void test_display_text(void)
{
	struct stkagent_request req;
	JsonParser *parser;
	JsonObject *o;
	char *line;

	agent_make_request(&req, "DisplayText",
			   g_variant_new("(syb)", "Confirm transfer of 10 EUR?", 0, TRUE));
	line = format(&req, "confirm", STKAGENT_OUTCOME_REPLIED, "script");
	o = parse_line(line, &parser);
	g_assert_cmpstr(json_object_get_string_member(o, "time"), ==, "2024-05-01T12:34:56.789Z");
	g_assert_cmpstr(json_object_get_string_member(o, "modem"), ==, "/stkbridge_0");
	g_assert_cmpstr(json_object_get_string_member(o, "method"), ==, "DisplayText");
	g_assert_cmpstr(json_object_get_string_member(o, "text"), ==,
			"Confirm transfer of 10 EUR?");
	g_assert_cmpint(json_object_get_int_member(o, "icon"), ==, 0);
	g_assert_true(json_object_get_boolean_member(o, "urgent"));
	g_assert_cmpstr(json_object_get_string_member(o, "answer"), ==, "confirm");
	g_assert_true(json_object_get_null_member(o, "error"));
	g_assert_cmpstr(json_object_get_string_member(o, "outcome"), ==, "replied");
	g_assert_cmpstr(json_object_get_string_member(o, "source"), ==, "script");
	g_assert_cmpstr(json_object_get_string_member(o, "script"), ==, "confirm");
	g_assert_cmpint(json_object_get_int_member(o, "elapsed_ms"), ==, 1234);
	g_assert_false(json_object_has_member(o, "note"));
	g_object_unref(parser);
	g_free(line);

	/* an error answer: answer null, error named */
	line = format(&req, "busy", STKAGENT_OUTCOME_ERROR, "script");
	o = parse_line(line, &parser);
	g_assert_true(json_object_get_null_member(o, "answer"));
	g_assert_cmpstr(json_object_get_string_member(o, "error"), ==, "org.ofono.Error.Busy");
	g_assert_cmpstr(json_object_get_string_member(o, "outcome"), ==, "error");
	g_object_unref(parser);
	g_free(line);

	/* not answered, then cancelled by oFono */
	line = format(&req, "timeout", STKAGENT_OUTCOME_CANCELLED, "script");
	o = parse_line(line, &parser);
	g_assert_true(json_object_get_null_member(o, "answer"));
	g_assert_true(json_object_get_null_member(o, "error"));
	g_assert_cmpstr(json_object_get_string_member(o, "outcome"), ==, "cancelled");
	g_assert_cmpstr(json_object_get_string_member(o, "script"), ==, "timeout");
	g_object_unref(parser);
	g_free(line);
	stkagent_request_clear(&req);
}

static void test_typed_answers(void)
{
	struct stkagent_request req;
	JsonParser *parser;
	JsonObject *o;
	JsonArray *items;
	GVariantBuilder b;
	char *line;

	agent_make_request(&req, "RequestInput",
			   g_variant_new("(sysyyb)", "Enter PIN", 2, "00", 4, 8, TRUE));
	line = format(&req, "wait:20 text:1234", STKAGENT_OUTCOME_REPLIED, "script");
	o = parse_line(line, &parser);
	g_assert_cmpstr(json_object_get_string_member(o, "text"), ==, "Enter PIN");
	g_assert_cmpint(json_object_get_int_member(o, "icon"), ==, 2);
	g_assert_cmpstr(json_object_get_string_member(o, "default"), ==, "00");
	g_assert_cmpint(json_object_get_int_member(o, "min"), ==, 4);
	g_assert_cmpint(json_object_get_int_member(o, "max"), ==, 8);
	g_assert_true(json_object_get_boolean_member(o, "hide_typing"));
	/* hidden input (a PIN) never reaches the log */
	g_assert_cmpstr(json_object_get_string_member(o, "answer"), ==, "****");
	g_assert_cmpstr(json_object_get_string_member(o, "script"), ==, "wait:20 text:****");
	g_assert_null(strstr(line, "\"1234\""));
	g_assert_null(strstr(line, "text:1234"));
	g_object_unref(parser);
	g_free(line);

	/* an answer oFono would refuse carries a note */
	line = format(&req, "text:12", STKAGENT_OUTCOME_REPLIED, "script");
	o = parse_line(line, &parser);
	g_assert_nonnull(strstr(json_object_get_string_member(o, "note"), "4..8"));
	g_object_unref(parser);
	g_free(line);
	stkagent_request_clear(&req);

	agent_make_request(&req, "RequestConfirmation", g_variant_new("(sy)", "Sure?", 0));
	line = format(&req, "no", STKAGENT_OUTCOME_REPLIED, "user");
	o = parse_line(line, &parser);
	g_assert_false(json_object_get_boolean_member(o, "answer"));
	g_assert_cmpstr(json_object_get_string_member(o, "source"), ==, "user");
	g_object_unref(parser);
	g_free(line);
	stkagent_request_clear(&req);

	g_variant_builder_init(&b, G_VARIANT_TYPE("a(sy)"));
	g_variant_builder_add(&b, "(sy)", "Pay", 0);
	g_variant_builder_add(&b, "(sy)", "Cancel", 4);
	agent_make_request(&req, "RequestSelection", g_variant_new("(sya(sy)n)", "Choose", 0, &b, -1));
	line = format(&req, "select:1", STKAGENT_OUTCOME_REPLIED, "default");
	o = parse_line(line, &parser);
	g_assert_cmpstr(json_object_get_string_member(o, "text"), ==, "Choose");
	items = json_object_get_array_member(o, "items");
	g_assert_cmpuint(json_array_get_length(items), ==, 2);
	g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(items, 1),
						       "text"), ==, "Cancel");
	g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(items, 1),
						   "icon"), ==, 4);
	g_assert_cmpint(json_object_get_int_member(o, "default"), ==, -1);
	g_assert_cmpint(json_object_get_int_member(o, "answer"), ==, 1);
	g_object_unref(parser);
	g_free(line);
	stkagent_request_clear(&req);

	agent_make_request(&req, "PlayTone", g_variant_new("(ssy)", "general-beep", "", 0));
	line = format(&req, NULL, STKAGENT_OUTCOME_ABANDONED, "none");
	o = parse_line(line, &parser);
	g_assert_cmpstr(json_object_get_string_member(o, "tone"), ==, "general-beep");
	g_assert_cmpstr(json_object_get_string_member(o, "text"), ==, "");
	g_assert_cmpstr(json_object_get_string_member(o, "outcome"), ==, "abandoned");
	g_assert_false(json_object_has_member(o, "script"));
	g_object_unref(parser);
	g_free(line);
	stkagent_request_clear(&req);
}

/* Quotes, control characters, non-ASCII and invalid UTF-8 stay one valid line. */
static void test_escaping(void)
{
	struct stkagent_request req;
	JsonParser *parser;
	JsonObject *o;
	char *line;

	agent_make_request(&req, "DisplayText",
			   g_variant_new("(syb)", "line1\nline2\t\"q\" \\ €\x01", 0, FALSE));
	line = format(&req, "confirm", STKAGENT_OUTCOME_REPLIED, "script");
	o = parse_line(line, &parser);
	g_assert_cmpstr(json_object_get_string_member(o, "text"), ==,
			"line1\nline2\t\"q\" \\ €\x01");
	g_object_unref(parser);
	g_free(line);
	stkagent_request_clear(&req);

	/* a request built by hand with bytes that are not UTF-8 */
	memset(&req, 0, sizeof(req));
	req.method = STKAGENT_REQUEST_KEY;
	req.text = g_strdup("bad \xff byte");
	{
		struct stkagent_log_entry e = {
			.time_us = T0_US, .request = &req, .outcome = STKAGENT_OUTCOME_ABANDONED,
			.source = "none", .note = "n\"ote",
		};

		line = stkagent_log_format_request(&e);
	}
	o = parse_line(line, &parser);
	g_assert_true(g_str_has_prefix(json_object_get_string_member(o, "text"), "bad "));
	g_assert_true(json_object_get_null_member(o, "modem"));
	g_assert_cmpstr(json_object_get_string_member(o, "note"), ==, "n\"ote");
	g_object_unref(parser);
	g_free(line);
	stkagent_request_clear(&req);
}

static void test_event(void)
{
	JsonParser *parser;
	JsonObject *o;
	char *line = stkagent_log_format_event(T0_US, "/m", "RegisterAgent", "org.ofono.Error.Busy",
					       "/stkbridge/agent/m");

	o = parse_line(line, &parser);
	g_assert_cmpstr(json_object_get_string_member(o, "method"), ==, "RegisterAgent");
	g_assert_cmpstr(json_object_get_string_member(o, "modem"), ==, "/m");
	g_assert_cmpstr(json_object_get_string_member(o, "error"), ==, "org.ofono.Error.Busy");
	g_assert_cmpstr(json_object_get_string_member(o, "note"), ==, "/stkbridge/agent/m");
	g_object_unref(parser);
	g_free(line);

	line = stkagent_log_format_event(T0_US, NULL, "Cancel", NULL, NULL);
	o = parse_line(line, &parser);
	g_assert_true(json_object_get_null_member(o, "error"));
	g_assert_false(json_object_has_member(o, "note"));
	g_object_unref(parser);
	g_free(line);
}

static void test_file(void)
{
	GError *error = NULL;
	char *dir = g_dir_make_tmp("agent-log-XXXXXX", &error);
	char *path = g_build_filename(dir, "log.jsonl", NULL);
	char *bad = g_build_filename(dir, "missing", "log.jsonl", NULL);
	struct stkagent_log *log;
	char *data = NULL;
	char **lines;

	g_assert_no_error(error);
	log = stkagent_log_open(path, &error);
	g_assert_no_error(error);
	g_assert_true(stkagent_log_write(log, "{\"a\":1}"));
	g_assert_true(stkagent_log_write(log, "{\"b\":2}"));
	stkagent_log_close(log);
	/* appends */
	log = stkagent_log_open(path, &error);
	g_assert_true(stkagent_log_write(log, "{\"c\":3}"));
	stkagent_log_close(log);

	g_assert_true(g_file_get_contents(path, &data, NULL, &error));
	g_assert_cmpstr(data, ==, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
	lines = g_strsplit(data, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, 4);
	g_strfreev(lines);

	g_assert_null(stkagent_log_open(bad, &error));
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
	g_clear_error(&error);

	/* "-" is standard output, never closed */
	log = stkagent_log_open("-", &error);
	g_assert_nonnull(log);
	stkagent_log_close(log);
	g_assert_cmpint(fcntl(STDOUT_FILENO, F_GETFD), !=, -1);

	unlink(path);
	rmdir(dir);
	g_free(data);
	g_free(bad);
	g_free(path);
	g_free(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/agent/json-log/time", test_time);
	g_test_add_func("/agent/json-log/display-text", test_display_text);
	g_test_add_func("/agent/json-log/typed-answers", test_typed_answers);
	g_test_add_func("/agent/json-log/escaping", test_escaping);
	g_test_add_func("/agent/json-log/event", test_event);
	g_test_add_func("/agent/json-log/file", test_file);
	return g_test_run();
}
