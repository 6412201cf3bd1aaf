/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stkbridge-agent: the answers-file parser, the scripted defaults, the
 * mapping of answers onto replies for every org.ofono.SimToolkitAgent
 * method, and the reply checks oFono 1.31 (src/stkagent.c) applies.
 */
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

#include "agent-test-support.h"
#include "answers.h"
#include "request.h"
#include "screen-text.h"

static GVariant *selection_params(gint16 def)
{
	GVariantBuilder items;

	g_variant_builder_init(&items, G_VARIANT_TYPE("a(sy)"));
	g_variant_builder_add(&items, "(sy)", "One", 0);
	g_variant_builder_add(&items, "(sy)", "Two", 0);
	g_variant_builder_add(&items, "(sy)", "Three", 1);
	return g_variant_new("(sya(sy)n)", "Menu", 0, &items, def);
}

static void test_parse_keywords(void)
{
	static const struct {
		const char *line;
		enum stkagent_answer_kind kind;
		const char *text;
		guint index;
		guint wait_ms;
	} cases[] = {
		{ "confirm", STKAGENT_ANSWER_CONFIRM, NULL, 0, 0 },
		{ "  OK  ", STKAGENT_ANSWER_CONFIRM, NULL, 0, 0 },
		{ "yes\r\n", STKAGENT_ANSWER_CONFIRM, NULL, 0, 0 },
		{ "no", STKAGENT_ANSWER_DECLINE, NULL, 0, 0 },
		{ "text:1234", STKAGENT_ANSWER_TEXT, "1234", 0, 0 },
		{ "text:", STKAGENT_ANSWER_TEXT, "", 0, 0 },
		{ "text: two words ", STKAGENT_ANSWER_TEXT, " two words ", 0, 0 },
		{ "text:a:b#c", STKAGENT_ANSWER_TEXT, "a:b#c", 0, 0 },
		{ "text:Grüße", STKAGENT_ANSWER_TEXT, "Grüße", 0, 0 },
		{ "key:y", STKAGENT_ANSWER_KEY, "y", 0, 0 },
		{ "key:é", STKAGENT_ANSWER_KEY, "é", 0, 0 },
		{ "select:2", STKAGENT_ANSWER_SELECT, NULL, 2, 0 },
		{ "select:0", STKAGENT_ANSWER_SELECT, NULL, 0, 0 },
		{ "select:255", STKAGENT_ANSWER_SELECT, NULL, 255, 0 },
		{ "default", STKAGENT_ANSWER_DEFAULT, NULL, 0, 0 },
		{ "back", STKAGENT_ANSWER_BACK, NULL, 0, 0 },
		{ "END", STKAGENT_ANSWER_END, NULL, 0, 0 },
		{ "busy", STKAGENT_ANSWER_BUSY, NULL, 0, 0 },
		{ "timeout", STKAGENT_ANSWER_TIMEOUT, NULL, 0, 0 },
		{ "wait:500 confirm", STKAGENT_ANSWER_CONFIRM, NULL, 0, 500 },
		{ "wait:10 wait:20 text:x y", STKAGENT_ANSWER_TEXT, "x y", 0, 30 },
		{ "wait:0 back", STKAGENT_ANSWER_BACK, NULL, 0, 0 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct stkagent_answer a;
		GError *error = NULL;
		char *s;

		g_test_message("line '%s'", cases[i].line);
		g_assert_true(stkagent_answer_parse(cases[i].line, &a, &error));
		g_assert_no_error(error);
		g_assert_cmpint(a.kind, ==, cases[i].kind);
		g_assert_cmpstr(a.text, ==, cases[i].text);
		g_assert_cmpuint(a.index, ==, cases[i].index);
		g_assert_cmpuint(a.wait_ms, ==, cases[i].wait_ms);

		/* the printed form parses back to the same answer */
		s = stkagent_answer_to_string(&a);
		{
			struct stkagent_answer b;

			g_assert_true(stkagent_answer_parse(s, &b, &error));
			g_assert_no_error(error);
			g_assert_cmpint(b.kind, ==, a.kind);
			g_assert_cmpstr(b.text, ==, a.text);
			g_assert_cmpuint(b.index, ==, a.index);
			g_assert_cmpuint(b.wait_ms, ==, a.wait_ms);
			stkagent_answer_clear(&b);
		}
		g_free(s);
		stkagent_answer_clear(&a);
	}
}

static void test_parse_errors(void)
{
	static const char *const bad[] = {
		"", "   ", "confirmed", "confirm please", "select:", "select:-1", "select:256",
		"select:1x", "select:99999999999", "key:", "wait:", "wait:abc confirm",
		"wait:-5 confirm", "wait:500", "wait:100000000 confirm", "text", "yesno",
		"text:\xff\xfe",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct stkagent_answer a;
		GError *error = NULL;

		char *shown = g_strescape(bad[i], NULL);

		g_test_message("line '%s'", shown);
		g_free(shown);
		g_assert_false(stkagent_answer_parse(bad[i], &a, &error));
		g_assert_error(error, STKAGENT_ERROR, 0);
		g_error_free(error);
	}
}

static void test_script_file(void)
{
	static const char file[] =
		"# DISPLAY TEXT, GET INPUT, SELECT ITEM\n"
		"confirm\n"
		"\n"
		"   # indented comment\n"
		"text:1234\r\n"
		"wait:250\n"
		"wait:50\n"
		"select:2\n"
		"key:y\n"
		"back\n"
		"end\n"
		"busy\n"
		"timeout\n"
		"wait:5 no";	/* no final newline */
	struct stkagent_script *script = stkagent_script_new();
	struct stkagent_request req;
	const struct stkagent_answer *a;
	GError *error = NULL;

	g_assert_true(stkagent_script_parse(script, file, strlen(file), &error));
	g_assert_no_error(error);
	g_assert_cmpuint(stkagent_script_remaining(script), ==, 9);

	agent_make_request(&req, "DisplayText", g_variant_new("(syb)", "Hi", 0, FALSE));
	a = stkagent_script_next(script, &req);
	g_assert_cmpint(a->kind, ==, STKAGENT_ANSWER_CONFIRM);
	g_assert_cmpuint(a->line, ==, 2);
	a = stkagent_script_next(script, &req);
	g_assert_cmpint(a->kind, ==, STKAGENT_ANSWER_TEXT);
	g_assert_cmpstr(a->text, ==, "1234");	/* CR stripped */
	g_assert_cmpuint(a->line, ==, 5);
	a = stkagent_script_next(script, &req);
	g_assert_cmpint(a->kind, ==, STKAGENT_ANSWER_SELECT);
	g_assert_cmpuint(a->index, ==, 2);
	g_assert_cmpuint(a->wait_ms, ==, 300);	/* both wait lines before it */
	g_assert_cmpuint(a->line, ==, 8);
	g_assert_cmpint(stkagent_script_next(script, &req)->kind, ==, STKAGENT_ANSWER_KEY);
	g_assert_cmpint(stkagent_script_next(script, &req)->kind, ==, STKAGENT_ANSWER_BACK);
	g_assert_cmpint(stkagent_script_next(script, &req)->kind, ==, STKAGENT_ANSWER_END);
	g_assert_cmpint(stkagent_script_next(script, &req)->kind, ==, STKAGENT_ANSWER_BUSY);
	g_assert_cmpint(stkagent_script_next(script, &req)->kind, ==, STKAGENT_ANSWER_TIMEOUT);
	a = stkagent_script_next(script, &req);
	g_assert_cmpint(a->kind, ==, STKAGENT_ANSWER_DECLINE);
	g_assert_cmpuint(a->wait_ms, ==, 5);
	g_assert_cmpuint(a->line, ==, 14);
	g_assert_cmpuint(stkagent_script_remaining(script), ==, 0);
	/* used up, no defaults: nothing */
	g_assert_null(stkagent_script_next(script, &req));

	stkagent_request_clear(&req);
	stkagent_script_free(script);
}

static void test_script_errors(void)
{
	static const struct {
		const char *text;
		const char *message;	/* substring of the error */
	} cases[] = {
		{ "confirm\nbogus\n", "line 2" },
		{ "confirm\n\n# c\nselect:x\n", "line 4" },
		{ "confirm\nwait:100\n", "line 2: wait: without an answer" },
		{ "wait:86400000\nwait:1 confirm\n", "line 2" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct stkagent_script *script = stkagent_script_new();
		GError *error = NULL;

		g_assert_false(stkagent_script_parse(script, cases[i].text, strlen(cases[i].text),
						     &error));
		g_assert_error(error, STKAGENT_ERROR, 0);
		g_test_message("%s", error->message);
		g_assert_nonnull(strstr(error->message, cases[i].message));
		/* nothing half-parsed is kept */
		g_assert_cmpuint(stkagent_script_remaining(script), ==, 0);
		g_error_free(error);
		stkagent_script_free(script);
	}

	{
		struct stkagent_script *script = stkagent_script_new();
		GError *error = NULL;
		static const char nul[] = "confirm\0\n";

		g_assert_false(stkagent_script_parse(script, nul, sizeof(nul) - 1, &error));
		g_assert_error(error, STKAGENT_ERROR, 0);
		g_clear_error(&error);
		g_assert_false(stkagent_script_load(script, "/nonexistent/answers", &error));
		g_assert_nonnull(error);
		g_error_free(error);
		stkagent_script_free(script);
	}
}

static void test_script_load(void)
{
	struct stkagent_script *script = stkagent_script_new();
	GError *error = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("agent-answers-XXXXXX", &path, &error);

	g_assert_no_error(error);
	g_assert_true(g_file_set_contents(path, "confirm\nselect:1\n", -1, &error));
	close(fd);
	g_assert_true(stkagent_script_load(script, path, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(stkagent_script_remaining(script), ==, 2);
	g_assert_true(g_file_set_contents(path, "confirm\nnope\n", -1, &error));
	g_assert_false(stkagent_script_load(script, path, &error));
	/* the error names the file and the line */
	g_assert_nonnull(strstr(error->message, path));
	g_assert_nonnull(strstr(error->message, "line 2"));
	g_error_free(error);
	g_assert_cmpuint(stkagent_script_remaining(script), ==, 2);
	unlink(path);
	g_free(path);
	stkagent_script_free(script);
}

/* The defaults of --auto-confirm --input --key --select, after the file. */
static void test_script_defaults(void)
{
	struct stkagent_script *script = stkagent_script_new();
	struct stkagent_request dt, in, key, sel, sel_def, conf;
	const struct stkagent_answer *a;
	GError *error = NULL;

	agent_make_request(&dt, "DisplayText", g_variant_new("(syb)", "Hi", 0, FALSE));
	agent_make_request(&in, "RequestInput",
			   g_variant_new("(sysyyb)", "PIN?", 0, "0000", 4, 8, TRUE));
	agent_make_request(&key, "RequestDigit", g_variant_new("(sy)", "Digit?", 0));
	agent_make_request(&sel, "RequestSelection", selection_params(-1));
	agent_make_request(&sel_def, "RequestSelection", selection_params(1));
	agent_make_request(&conf, "RequestConfirmation", g_variant_new("(sy)", "Sure?", 0));

	/* nothing configured */
	g_assert_null(stkagent_script_next(script, &dt));
	g_assert_null(stkagent_script_next(script, &in));

	/* --auto-confirm alone */
	stkagent_script_set_auto_confirm(script, true);
	g_assert_cmpint(stkagent_script_next(script, &dt)->kind, ==, STKAGENT_ANSWER_CONFIRM);
	g_assert_cmpint(stkagent_script_next(script, &conf)->kind, ==, STKAGENT_ANSWER_CONFIRM);
	g_assert_cmpint(stkagent_script_next(script, &in)->kind, ==, STKAGENT_ANSWER_DEFAULT);
	g_assert_null(stkagent_script_next(script, &key));
	a = stkagent_script_next(script, &sel);
	g_assert_cmpint(a->kind, ==, STKAGENT_ANSWER_SELECT);
	g_assert_cmpuint(a->index, ==, 0);
	g_assert_cmpint(stkagent_script_next(script, &sel_def)->kind, ==, STKAGENT_ANSWER_DEFAULT);

	/* --input, --key, --select */
	stkagent_script_set_input(script, "4321");
	stkagent_script_set_key(script, "7");
	stkagent_script_set_select(script, 2);
	a = stkagent_script_next(script, &in);
	g_assert_cmpint(a->kind, ==, STKAGENT_ANSWER_TEXT);
	g_assert_cmpstr(a->text, ==, "4321");
	g_assert_cmpuint(a->line, ==, 0);
	a = stkagent_script_next(script, &key);
	g_assert_cmpint(a->kind, ==, STKAGENT_ANSWER_KEY);
	g_assert_cmpstr(a->text, ==, "7");
	a = stkagent_script_next(script, &sel_def);
	g_assert_cmpint(a->kind, ==, STKAGENT_ANSWER_SELECT);
	g_assert_cmpuint(a->index, ==, 2);

	/* the file comes first, then the defaults again */
	g_assert_true(stkagent_script_parse(script, "back\n", 5, &error));
	g_assert_cmpint(stkagent_script_next(script, &in)->kind, ==, STKAGENT_ANSWER_BACK);
	g_assert_cmpint(stkagent_script_next(script, &in)->kind, ==, STKAGENT_ANSWER_TEXT);

	stkagent_request_clear(&dt);
	stkagent_request_clear(&in);
	stkagent_request_clear(&key);
	stkagent_request_clear(&sel);
	stkagent_request_clear(&sel_def);
	stkagent_request_clear(&conf);
	stkagent_script_free(script);
}

struct resolve_case {
	const char *method;
	const char *answer;
	enum stkagent_reply_kind kind;
	const char *error;	/* for REPLY_ERROR */
	const char *value;	/* VALUE printed as the method-return GVariant */
	bool note;		/* a note is expected */
};

static GVariant *params_for(const char *method)
{
	if (strcmp(method, "DisplayText") == 0)
		return g_variant_new("(syb)", "Hello", 0, TRUE);
	if (strcmp(method, "RequestInput") == 0 || strcmp(method, "RequestDigits") == 0)
		return g_variant_new("(sysyyb)", "Code?", 1, "12", 2, 4, FALSE);
	if (strcmp(method, "RequestSelection") == 0)
		return selection_params(1);
	if (strcmp(method, "PlayTone") == 0 || strcmp(method, "LoopTone") == 0)
		return g_variant_new("(ssy)", "general-beep", "Beep", 0);
	if (strcmp(method, "ConfirmLaunchBrowser") == 0)
		return g_variant_new("(sys)", "Open?", 0, "http://example.com/");
	if (strcmp(method, "Cancel") == 0 || strcmp(method, "Release") == 0)
		return g_variant_new("()");
	return g_variant_new("(sy)", "Question", 0);
}

static void test_resolve(void)
{
	static const struct resolve_case cases[] = {
		{ "DisplayText", "confirm", STKAGENT_REPLY_VALUE, NULL, "()", false },
		{ "DisplayText", "default", STKAGENT_REPLY_VALUE, NULL, "()", false },
		{ "DisplayText", "back", STKAGENT_REPLY_ERROR, "org.ofono.Error.GoBack", NULL, false },
		{ "DisplayText", "end", STKAGENT_REPLY_ERROR, "org.ofono.Error.EndSession", NULL, false },
		{ "DisplayText", "busy", STKAGENT_REPLY_ERROR, "org.ofono.Error.Busy", NULL, false },
		{ "DisplayText", "timeout", STKAGENT_REPLY_NONE, NULL, NULL, false },
		{ "DisplayText", "select:2", STKAGENT_REPLY_ERROR, "org.ofono.Error.EndSession", NULL, true },
		{ "DisplayText", "text:x", STKAGENT_REPLY_ERROR, "org.ofono.Error.EndSession", NULL, true },
		{ "DisplayText", "no", STKAGENT_REPLY_ERROR, "org.ofono.Error.EndSession", NULL, true },
		{ "RequestInput", "text:1234", STKAGENT_REPLY_VALUE, NULL, "('1234',)", false },
		{ "RequestInput", "default", STKAGENT_REPLY_VALUE, NULL, "('12',)", false },
		{ "RequestInput", "key:5", STKAGENT_REPLY_VALUE, NULL, "('5',)", true },	/* too short */
		{ "RequestInput", "text:12345", STKAGENT_REPLY_VALUE, NULL, "('12345',)", true },
		{ "RequestInput", "back", STKAGENT_REPLY_ERROR, "org.ofono.Error.GoBack", NULL, false },
		{ "RequestInput", "busy", STKAGENT_REPLY_ERROR, "org.ofono.Error.Busy", NULL, true },
		{ "RequestInput", "confirm", STKAGENT_REPLY_ERROR, "org.ofono.Error.EndSession", NULL, true },
		{ "RequestDigits", "text:äöü", STKAGENT_REPLY_VALUE, NULL, "('äöü',)", false },
		{ "RequestKey", "key:y", STKAGENT_REPLY_VALUE, NULL, "('y',)", false },
		{ "RequestKey", "text:é", STKAGENT_REPLY_VALUE, NULL, "('é',)", false },
		{ "RequestKey", "key:yy", STKAGENT_REPLY_VALUE, NULL, "('yy',)", true },
		{ "RequestKey", "default", STKAGENT_REPLY_ERROR, "org.ofono.Error.EndSession", NULL, true },
		{ "RequestDigit", "key:+", STKAGENT_REPLY_VALUE, NULL, "('+',)", false },
		{ "RequestDigit", "key:a", STKAGENT_REPLY_VALUE, NULL, "('a',)", true },
		{ "RequestQuickDigit", "key:#", STKAGENT_REPLY_VALUE, NULL, "('#',)", false },
		{ "RequestQuickDigit", "key:+", STKAGENT_REPLY_VALUE, NULL, "('+',)", true },
		{ "RequestConfirmation", "confirm", STKAGENT_REPLY_VALUE, NULL, "(true,)", false },
		{ "RequestConfirmation", "no", STKAGENT_REPLY_VALUE, NULL, "(false,)", false },
		{ "RequestConfirmation", "end", STKAGENT_REPLY_ERROR, "org.ofono.Error.EndSession", NULL, false },
		{ "RequestSelection", "select:2", STKAGENT_REPLY_VALUE, NULL, "(byte 0x02,)", false },
		{ "RequestSelection", "default", STKAGENT_REPLY_VALUE, NULL, "(byte 0x01,)", false },
		{ "RequestSelection", "select:3", STKAGENT_REPLY_VALUE, NULL, "(byte 0x03,)", true },
		{ "RequestSelection", "back", STKAGENT_REPLY_ERROR, "org.ofono.Error.GoBack", NULL, false },
		{ "RequestSelection", "confirm", STKAGENT_REPLY_ERROR, "org.ofono.Error.EndSession", NULL, true },
		{ "ConfirmCallSetup", "confirm", STKAGENT_REPLY_VALUE, NULL, "(true,)", false },
		{ "ConfirmCallSetup", "back", STKAGENT_REPLY_ERROR, "org.ofono.Error.GoBack", NULL, true },
		{ "PlayTone", "confirm", STKAGENT_REPLY_VALUE, NULL, "()", false },
		{ "PlayTone", "end", STKAGENT_REPLY_ERROR, "org.ofono.Error.EndSession", NULL, false },
		{ "LoopTone", "busy", STKAGENT_REPLY_ERROR, "org.ofono.Error.Busy", NULL, true },
		{ "DisplayActionInformation", "confirm", STKAGENT_REPLY_VALUE, NULL, "()", false },
		{ "DisplayActionInformation", "end", STKAGENT_REPLY_ERROR, "org.ofono.Error.EndSession", NULL, true },
		{ "ConfirmLaunchBrowser", "no", STKAGENT_REPLY_VALUE, NULL, "(false,)", false },
		{ "DisplayAction", "end", STKAGENT_REPLY_ERROR, "org.ofono.Error.EndSession", NULL, false },
		{ "ConfirmOpenChannel", "confirm", STKAGENT_REPLY_VALUE, NULL, "(true,)", false },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const struct resolve_case *c = &cases[i];
		struct stkagent_request req;
		struct stkagent_answer a;
		struct stkagent_reply reply;
		GError *error = NULL;

		g_test_message("%s ← %s", c->method, c->answer);
		agent_make_request(&req, c->method, params_for(c->method));
		g_assert_true(stkagent_answer_parse(c->answer, &a, &error));
		stkagent_answer_resolve(&req, &a, &reply);
		g_assert_cmpint(reply.kind, ==, c->kind);
		if (c->kind == STKAGENT_REPLY_ERROR)
			g_assert_cmpstr(reply.error_name, ==, c->error);
		if (c->kind == STKAGENT_REPLY_VALUE) {
			GVariant *v = g_variant_ref_sink(stkagent_reply_to_variant(&reply, req.method));
			char *printed = g_variant_print(v, TRUE);
			const struct stkagent_method_info *info = stkagent_method_info(req.method);
			char *expect_type = g_strdup_printf("(%s)", info->out_signature);

			g_assert_cmpstr(printed, ==, c->value);
			/* the reply has exactly the method's out signature */
			g_assert_cmpstr(g_variant_get_type_string(v), ==, expect_type);
			g_free(expect_type);
			g_free(printed);
			g_variant_unref(v);
		}
		if (c->note)
			g_assert_nonnull(reply.note);
		else
			g_assert_null(reply.note);
		stkagent_reply_clear(&reply);
		stkagent_answer_clear(&a);
		stkagent_request_clear(&req);
	}
}

/* The method table against oFono 1.31 src/stkagent.c and doc/stk-api.txt. */
static void test_method_table(void)
{
	static const struct {
		const char *name;
		const char *in;
		const char *out;
	} expect[] = {
		{ "DisplayText", "(syb)", "" },
		{ "RequestInput", "(sysyyb)", "s" },
		{ "RequestDigits", "(sysyyb)", "s" },
		{ "RequestKey", "(sy)", "s" },
		{ "RequestDigit", "(sy)", "s" },
		{ "RequestQuickDigit", "(sy)", "s" },
		{ "RequestConfirmation", "(sy)", "b" },
		{ "RequestSelection", "(sya(sy)n)", "y" },
		{ "ConfirmCallSetup", "(sy)", "b" },
		{ "PlayTone", "(ssy)", "" },
		{ "LoopTone", "(ssy)", "" },
		{ "DisplayActionInformation", "(sy)", "" },
		{ "ConfirmLaunchBrowser", "(sys)", "b" },
		{ "DisplayAction", "(sy)", "" },
		{ "ConfirmOpenChannel", "(sy)", "b" },
		{ "Cancel", "()", "" },
		{ "Release", "()", "" },
	};
	GError *error = NULL;
	GDBusNodeInfo *node = g_dbus_node_info_new_for_xml(stkagent_introspection_xml(), &error);
	GDBusInterfaceInfo *iface;
	enum stkagent_method m;

	g_assert_no_error(error);
	iface = g_dbus_node_info_lookup_interface(node, "org.ofono.SimToolkitAgent");
	g_assert_nonnull(iface);

	for (size_t i = 0; i < G_N_ELEMENTS(expect); i++) {
		const struct stkagent_method_info *info;
		GDBusMethodInfo *mi = g_dbus_interface_info_lookup_method(iface, expect[i].name);
		GString *in = g_string_new("("), *out = g_string_new("");

		g_assert_true(stkagent_method_lookup(expect[i].name, &m));
		info = stkagent_method_info(m);
		g_assert_cmpstr(info->in_signature, ==, expect[i].in);
		g_assert_cmpstr(info->out_signature, ==, expect[i].out);
		/* the introspection data says the same */
		g_assert_nonnull(mi);
		for (guint k = 0; mi->in_args && mi->in_args[k]; k++)
			g_string_append(in, mi->in_args[k]->signature);
		g_string_append_c(in, ')');
		for (guint k = 0; mi->out_args && mi->out_args[k]; k++)
			g_string_append(out, mi->out_args[k]->signature);
		g_assert_cmpstr(in->str, ==, expect[i].in);
		g_assert_cmpstr(out->str, ==, expect[i].out);
		g_string_free(in, TRUE);
		g_string_free(out, TRUE);
	}
	g_assert_false(stkagent_method_lookup("DisplayTextX", &m));
	g_dbus_node_info_unref(node);
}

static void test_request_decode(void)
{
	struct stkagent_request req;
	GError *error = NULL;
	enum stkagent_method m;
	GVariant *v;

	agent_make_request(&req, "RequestSelection", selection_params(-1));
	g_assert_cmpstr(req.text, ==, "Menu");
	g_assert_cmpuint(req.n_items, ==, 3);
	g_assert_cmpstr(req.items[2].text, ==, "Three");
	g_assert_cmpuint(req.items[2].icon, ==, 1);
	g_assert_cmpint(req.default_item, ==, -1);
	stkagent_request_clear(&req);

	agent_make_request(&req, "RequestDigits",
			   g_variant_new("(sysyyb)", "PIN", 3, "", 4, 8, TRUE));
	g_assert_cmpuint(req.icon, ==, 3);
	g_assert_cmpuint(req.min_len, ==, 4);
	g_assert_cmpuint(req.max_len, ==, 8);
	g_assert_true(req.hide_typing);
	stkagent_request_clear(&req);

	/* wrong argument types are refused, not misread */
	g_assert_true(stkagent_method_lookup("DisplayText", &m));
	v = g_variant_ref_sink(g_variant_new("(sy)", "x", 0));
	g_assert_false(stkagent_request_init(&req, m, v, &error));
	g_assert_error(error, STKAGENT_ERROR, 0);
	g_clear_error(&error);
	g_variant_unref(v);
	stkagent_request_clear(&req);
}

static void test_user_parse(void)
{
	static const struct {
		const char *method;
		const char *line;
		bool ok;
		enum stkagent_answer_kind kind;
		const char *text;
		guint index;
	} cases[] = {
		{ "DisplayText", "\n", true, STKAGENT_ANSWER_CONFIRM, NULL, 0 },
		{ "DisplayText", ":b\n", true, STKAGENT_ANSWER_BACK, NULL, 0 },
		{ "DisplayText", ":busy", true, STKAGENT_ANSWER_BUSY, NULL, 0 },
		{ "DisplayText", ":zz", false, 0, NULL, 0 },
		{ "RequestInput", "1234\n", true, STKAGENT_ANSWER_TEXT, "1234", 0 },
		{ "RequestInput", "\n", true, STKAGENT_ANSWER_DEFAULT, NULL, 0 },
		{ "RequestInput", "12345\n", false, 0, NULL, 0 },
		{ "RequestInput", "::1\n", true, STKAGENT_ANSWER_TEXT, ":1", 0 },
		{ "RequestInput", ":e\n", true, STKAGENT_ANSWER_END, NULL, 0 },
		{ "RequestConfirmation", "Y\n", true, STKAGENT_ANSWER_CONFIRM, NULL, 0 },
		{ "RequestConfirmation", "no\n", true, STKAGENT_ANSWER_DECLINE, NULL, 0 },
		{ "RequestConfirmation", "maybe\n", false, 0, NULL, 0 },
		{ "RequestSelection", "2\n", true, STKAGENT_ANSWER_SELECT, NULL, 2 },
		{ "RequestSelection", "\n", true, STKAGENT_ANSWER_DEFAULT, NULL, 0 },
		{ "RequestSelection", "3\n", false, 0, NULL, 0 },
		{ "RequestSelection", "-1\n", false, 0, NULL, 0 },
		{ "RequestKey", "é\n", true, STKAGENT_ANSWER_KEY, "é", 0 },
		{ "RequestKey", "ab\n", false, 0, NULL, 0 },
		{ "RequestQuickDigit", "+\n", false, 0, NULL, 0 },
		{ "RequestDigit", "+\n", true, STKAGENT_ANSWER_KEY, "+", 0 },
		/* GET INPUT "digits only": what the card asked for, though oFono does not check */
		{ "RequestDigits", "12a\n", false, 0, NULL, 0 },
		{ "RequestDigits", "*#+1\n", true, STKAGENT_ANSWER_TEXT, "*#+1", 0 },
		{ "RequestDigits", "\n", true, STKAGENT_ANSWER_DEFAULT, NULL, 0 },
		/* commands the method does not take: oFono would drop the agent */
		{ "RequestInput", ":busy\n", false, 0, NULL, 0 },
		{ "PlayTone", ":b\n", false, 0, NULL, 0 },
		{ "PlayTone", ":end\n", true, STKAGENT_ANSWER_END, NULL, 0 },
		{ "DisplayActionInformation", ":e\n", false, 0, NULL, 0 },
		{ "RequestSelection", ":back\n", true, STKAGENT_ANSWER_BACK, NULL, 0 },
		/* help: not an answer, the help as the message */
		{ "RequestSelection", ":h\n", false, 0, NULL, 0 },
		{ "RequestInput", ":help\n", false, 0, NULL, 0 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct stkagent_request req;
		struct stkagent_answer a;
		char *message = NULL;
		bool ok;

		g_test_message("%s ← '%s'", cases[i].method, cases[i].line);
		agent_make_request(&req, cases[i].method, params_for(cases[i].method));
		ok = stkagent_answer_from_user(&req, cases[i].line, &a, &message);
		g_assert_cmpint(ok, ==, cases[i].ok);
		if (ok) {
			g_assert_null(message);
			g_assert_cmpint(a.kind, ==, cases[i].kind);
			g_assert_cmpstr(a.text, ==, cases[i].text);
			g_assert_cmpuint(a.index, ==, cases[i].index);
		} else {
			g_assert_nonnull(message);
		}
		g_free(message);
		stkagent_answer_clear(&a);
		stkagent_request_clear(&req);
	}
}

/* What the prompt and the help say: the request's limits and only the commands it takes. */
static void test_user_help(void)
{
	static const struct {
		const char *method;
		const char *hint;
		const char *commands;
		const char *in_help;
	} cases[] = {
		{ "RequestDigits", "type 2 to 4 digits (0-9 * # +), Enter for the default",
		  ":h help, :b back, :e end", "::TEXT" },
		{ "DisplayText", "Enter to acknowledge", ":h help, :b back, :e end, :busy",
		  "screen is busy" },
		{ "RequestSelection", "item number 0 to 2, Enter for 1", ":h help, :b back, :e end",
		  "go back" },
		{ "PlayTone", "Enter to acknowledge", ":h help, :e end", "end the session" },
		{ "RequestQuickDigit", "one digit (0-9 * #)", ":h help, :b back, :e end", "this help" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct stkagent_request req;
		struct stkagent_answer a;
		g_autofree char *hint = NULL, *commands = NULL, *help = NULL;

		agent_make_request(&req, cases[i].method, params_for(cases[i].method));
		hint = stkagent_user_hint(&req);
		commands = stkagent_user_commands(&req);
		g_assert_cmpstr(hint, ==, cases[i].hint);
		g_assert_cmpstr(commands, ==, cases[i].commands);
		g_assert_false(stkagent_answer_from_user(&req, ":h", &a, &help));
		g_assert_nonnull(strstr(help, cases[i].in_help));
		g_assert_nonnull(strstr(help, hint));
		/* only the commands the method takes are offered */
		g_assert_true((strstr(help, ":busy") != NULL) == (strstr(commands, ":busy") != NULL));
		g_assert_true((strstr(help, ":b ") != NULL) == (strstr(commands, ":b ") != NULL));
		stkagent_request_clear(&req);
	}
}

/* The screen's text: wrapped within 79 columns at blanks, no control character reaches the terminal. */
static void test_screen_wrap(void)
{
	g_autoptr(GString) s = g_string_new(NULL);
	g_auto(GStrv) lines = NULL;

	stkagent_screen_wrap(s, "  ", "  ",
		"Your bank asks you to confirm the transfer of 1250.00 EUR to ACME Corporation Ltd, "
		"account DE02120300000000202051, reference 2026-12-invoice-4711. Press OK.", 40);
	lines = g_strsplit(s->str, "\n", -1);
	g_assert_cmpstr(lines[0], ==, "  Your bank asks you to confirm the");
	for (char **l = lines; *l; l++)
		g_assert_cmpuint(strlen(*l), <=, 40);
	g_assert_cmpstr(lines[g_strv_length(lines) - 1], ==, "");	/* ends with a newline */

	/* an escape sequence and a carriage return are shown as blanks, lines kept */
	g_string_truncate(s, 0);
	stkagent_screen_wrap(s, "[", " ", "a\033[2Jb\rc\nd\te", STKAGENT_SCREEN_WIDTH);
	g_assert_cmpstr(s->str, ==, "[a [2Jb c\n d e\n");

	/* a word longer than a line is cut; wide characters count two columns */
	g_string_truncate(s, 0);
	stkagent_screen_wrap(s, "", "", "0123456789ABCDEF", 10);
	g_assert_cmpstr(s->str, ==, "0123456789\nABCDEF\n");
	g_string_truncate(s, 0);
	stkagent_screen_wrap(s, "", "", "日本語の テキスト", 8);
	g_assert_cmpstr(s->str, ==, "日本語の\nテキスト\n");
	g_assert_cmpuint(stkagent_screen_char_width(g_utf8_get_char("\xcc\x81")), ==, 0);	/* U+0301 */
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/agent/answers/parse-keywords", test_parse_keywords);
	g_test_add_func("/agent/answers/parse-errors", test_parse_errors);
	g_test_add_func("/agent/answers/script-file", test_script_file);
	g_test_add_func("/agent/answers/script-errors", test_script_errors);
	g_test_add_func("/agent/answers/script-load", test_script_load);
	g_test_add_func("/agent/answers/defaults", test_script_defaults);
	g_test_add_func("/agent/answers/resolve", test_resolve);
	g_test_add_func("/agent/request/method-table", test_method_table);
	g_test_add_func("/agent/request/decode", test_request_decode);
	g_test_add_func("/agent/answers/user-input", test_user_parse);
	g_test_add_func("/agent/answers/user-help", test_user_help);
	g_test_add_func("/agent/screen/wrap", test_screen_wrap);
	return g_test_run();
}
