/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stkbridge-agent over D-Bus against a fake oFono on a private bus: a
 * dbus-daemon of our own (never the host's), this program owning
 * org.ofono with a Manager and SimToolkit objects the way oFono 1.31 has
 * them, the agent binary ($STKBRIDGE_AGENT) in scripted mode.  Checks
 * registration, every scripted answer as oFono would see it (reply types,
 * error names, wait:, timeout + Cancel), the sender check, re-registration
 * after an oFono restart, after Release and when SimToolkit appears later,
 * unregistration on SIGTERM, and the JSON log.
 *
 * The real ofonod is driven by the e2e tests (tests/e2e).
 */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 10000

static const char fake_xml[] =
	"<node>"
	" <interface name='org.ofono.Manager'>"
	"  <method name='GetModems'><arg type='a(oa{sv})' direction='out'/></method>"
	" </interface>"
	" <interface name='org.ofono.SimToolkit'>"
	"  <method name='RegisterAgent'><arg type='o' direction='in'/></method>"
	"  <method name='UnregisterAgent'><arg type='o' direction='in'/></method>"
	" </interface>"
	"</node>";

struct fake_ofono {
	GDBusConnection *conn;
	guint objects[3];
	guint owner_id;
	bool owned;
	/* what the agent did */
	guint registers;
	guint unregisters;
	char *agent_sender;
	char *agent_path[2];	/* per modem */
	bool fake1_has_stk;
};

static struct {
	char *dir;
	char *address;
	GSubprocess *bus;
	GSubprocess *agent;
	char *log_path;
	GDBusNodeInfo *node;
	struct fake_ofono ofono;
} t;

static gboolean timeout_flag_cb(gpointer data)
{
	*(bool *)data = true;
	return G_SOURCE_REMOVE;
}

/* Runs the main context until *cond becomes true (or fails the test). */
#define RUN_UNTIL(cond) \
	do { \
		bool expired_ = false; \
		guint id_ = g_timeout_add(WAIT_MS, timeout_flag_cb, &expired_); \
		while (!(cond) && !expired_) \
			g_main_context_iteration(NULL, TRUE); \
		if (!expired_) \
			g_source_remove(id_); \
		if (!(cond)) \
			g_error("timed out waiting for %s", #cond); \
	} while (0)

static void fake_method(GDBusConnection *conn, const char *sender, const char *path,
			const char *iface, const char *method, GVariant *params,
			GDBusMethodInvocation *inv, gpointer data)
{
	struct fake_ofono *o = data;

	if (strcmp(method, "GetModems") == 0) {
		GVariantBuilder modems, props;
		const char *fake0_ifaces[] = { "org.ofono.SimManager", "org.ofono.SimToolkit", NULL };
		const char *fake1_ifaces[] = { "org.ofono.SimManager", NULL };

		g_variant_builder_init(&modems, G_VARIANT_TYPE("a(oa{sv})"));
		g_variant_builder_init(&props, G_VARIANT_TYPE("a{sv}"));
		g_variant_builder_add(&props, "{sv}", "Interfaces",
				      g_variant_new_strv(fake0_ifaces, -1));
		g_variant_builder_add(&modems, "(o@a{sv})", "/fake_0",
				      g_variant_builder_end(&props));
		g_variant_builder_init(&props, G_VARIANT_TYPE("a{sv}"));
		g_variant_builder_add(&props, "{sv}", "Interfaces",
				      g_variant_new_strv(o->fake1_has_stk ? fake0_ifaces :
							 fake1_ifaces, -1));
		g_variant_builder_add(&modems, "(o@a{sv})", "/fake_1",
				      g_variant_builder_end(&props));
		g_dbus_method_invocation_return_value(inv, g_variant_new("(a(oa{sv}))", &modems));
		return;
	}
	if (strcmp(method, "RegisterAgent") == 0) {
		const char *agent;
		int idx = strcmp(path, "/fake_0") == 0 ? 0 : 1;

		g_variant_get(params, "(&o)", &agent);
		g_free(o->agent_sender);
		o->agent_sender = g_strdup(sender);
		g_free(o->agent_path[idx]);
		o->agent_path[idx] = g_strdup(agent);
		o->registers++;
		g_dbus_method_invocation_return_value(inv, NULL);
		return;
	}
	if (strcmp(method, "UnregisterAgent") == 0) {
		o->unregisters++;
		g_dbus_method_invocation_return_value(inv, NULL);
		return;
	}
	g_dbus_method_invocation_return_dbus_error(inv, "org.ofono.Error.NotImplemented", method);
}

static const GDBusInterfaceVTable fake_vtable = { .method_call = fake_method };

static void name_acquired(GDBusConnection *conn, const char *name, gpointer data)
{
	((struct fake_ofono *)data)->owned = true;
}

static void fake_ofono_start(struct fake_ofono *o)
{
	GError *error = NULL;

	o->conn = g_dbus_connection_new_for_address_sync(t.address,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
	g_assert_no_error(error);
	o->objects[0] = g_dbus_connection_register_object(o->conn, "/", t.node->interfaces[0],
							  &fake_vtable, o, NULL, &error);
	g_assert_no_error(error);
	o->objects[1] = g_dbus_connection_register_object(o->conn, "/fake_0",
							  t.node->interfaces[1], &fake_vtable, o,
							  NULL, &error);
	g_assert_no_error(error);
	o->objects[2] = g_dbus_connection_register_object(o->conn, "/fake_1",
							  t.node->interfaces[1], &fake_vtable, o,
							  NULL, &error);
	g_assert_no_error(error);
	o->owned = false;
	o->owner_id = g_bus_own_name_on_connection(o->conn, "org.ofono",
						   G_BUS_NAME_OWNER_FLAGS_NONE, name_acquired,
						   NULL, o, NULL);
	RUN_UNTIL(o->owned);
}

static void fake_ofono_stop(struct fake_ofono *o)
{
	g_bus_unown_name(o->owner_id);
	for (int i = 0; i < 3; i++)
		g_dbus_connection_unregister_object(o->conn, o->objects[i]);
	g_dbus_connection_close_sync(o->conn, NULL, NULL);
	g_clear_object(&o->conn);
}

static void call_done(GObject *src, GAsyncResult *res, gpointer data)
{
	*(GAsyncResult **)data = g_object_ref(res);
}

static GVariant *call_sync(GDBusConnection *conn, const char *path, const char *method,
			   GVariant *params, const char *reply_type, int timeout_ms,
			   GError **error, gint64 *elapsed_ms)
{
	GAsyncResult *res = NULL;
	gint64 start = g_get_monotonic_time();
	GVariant *ret;

	g_dbus_connection_call(conn, t.ofono.agent_sender, path, "org.ofono.SimToolkitAgent",
			       method, params, reply_type ? G_VARIANT_TYPE(reply_type) : NULL,
			       G_DBUS_CALL_FLAGS_NONE, timeout_ms, NULL, call_done, &res);
	RUN_UNTIL(res != NULL);
	ret = g_dbus_connection_call_finish(conn, res, error);
	g_object_unref(res);
	if (elapsed_ms)
		*elapsed_ms = (g_get_monotonic_time() - start) / 1000;
	return ret;
}

static void send_noreply(GDBusConnection *conn, const char *path, const char *method)
{
	GDBusMessage *msg = g_dbus_message_new_method_call(t.ofono.agent_sender, path,
		"org.ofono.SimToolkitAgent", method);
	GError *error = NULL;

	g_dbus_message_set_flags(msg, G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED);
	g_dbus_connection_send_message(conn, msg, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, &error);
	g_assert_no_error(error);
	g_object_unref(msg);
}

static void assert_remote_error(GError *error, const char *name)
{
	char *remote;

	g_assert_nonnull(error);
	remote = g_dbus_error_get_remote_error(error);
	g_assert_cmpstr(remote, ==, name);
	g_free(remote);
}

/* Children die with the test, even when an assertion aborts it. */
static void die_with_parent(gpointer data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static void start_bus(void)
{
	GError *error = NULL;
	char *conf = g_build_filename(t.dir, "bus.conf", NULL);
	char *text = g_strdup_printf(
		"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\""
		" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		"<busconfig><type>session</type><listen>unix:path=%s/bus</listen>"
		"<auth>EXTERNAL</auth>"
		"<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
		"<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n", t.dir);
	GInputStream *out;
	char buf[512];
	gssize n;
	gsize got = 0;

	g_assert_true(g_file_set_contents(conf, text, -1, &error));
	{
		GSubprocessLauncher *l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);

		g_subprocess_launcher_set_child_setup(l, die_with_parent, NULL, NULL);
		t.bus = g_subprocess_launcher_spawn(l, &error, "dbus-daemon", "--nofork",
						    "--print-address=1", "--config-file", conf,
						    NULL);
		g_assert_no_error(error);
		g_object_unref(l);
	}
	out = g_subprocess_get_stdout_pipe(t.bus);
	while (got < sizeof(buf) - 1 && memchr(buf, '\n', got) == NULL) {
		n = g_input_stream_read(out, buf + got, sizeof(buf) - 1 - got, NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpint(n, >, 0);
		got += (gsize)n;
	}
	buf[got] = '\0';
	t.address = g_strndup(buf, strcspn(buf, "\n"));
	g_free(text);
	g_free(conf);
}

/* Starts the agent: scripted with these answers, or interactive (stdin a pipe) if NULL. */
static void start_agent(const char *answers, const char *modem)
{
	GError *error = NULL;
	const char *agent = g_getenv("STKBRIDGE_AGENT");
	char *answers_path = g_build_filename(t.dir, "answers", NULL);
	GSubprocessLauncher *l = g_subprocess_launcher_new(answers ? G_SUBPROCESS_FLAGS_NONE :
							   G_SUBPROCESS_FLAGS_STDIN_PIPE);
	GPtrArray *argv = g_ptr_array_new();

	g_assert_nonnull(agent);
	g_ptr_array_add(argv, (char *)agent);
	if (answers) {
		g_assert_true(g_file_set_contents(answers_path, answers, -1, &error));
		g_ptr_array_add(argv, "--answers");
		g_ptr_array_add(argv, answers_path);
	}
	if (modem) {
		g_ptr_array_add(argv, "--modem");
		g_ptr_array_add(argv, (char *)modem);
	}
	g_free(t.log_path);
	t.log_path = g_build_filename(t.dir, answers ? "agent.jsonl" : "agent-interactive.jsonl",
				      NULL);
	g_ptr_array_add(argv, "--json-log");
	g_ptr_array_add(argv, t.log_path);
	g_ptr_array_add(argv, NULL);
	g_subprocess_launcher_setenv(l, "DBUS_SYSTEM_BUS_ADDRESS", t.address, TRUE);
	g_subprocess_launcher_set_child_setup(l, die_with_parent, NULL, NULL);
	/* its screen output to stderr: stdout is this test's TAP stream */
	g_subprocess_launcher_take_stdout_fd(l, dup(STDERR_FILENO));
	g_clear_object(&t.agent);
	t.agent = g_subprocess_launcher_spawnv(l, (const char *const *)argv->pdata, &error);
	g_assert_no_error(error);
	g_ptr_array_free(argv, TRUE);
	g_object_unref(l);
	g_free(answers_path);
}

static void type_line(const char *line)
{
	GOutputStream *in = g_subprocess_get_stdin_pipe(t.agent);
	GError *error = NULL;

	g_assert_true(g_output_stream_write_all(in, line, strlen(line), NULL, NULL, &error));
	g_assert_no_error(error);
	g_output_stream_flush(in, NULL, NULL);
}

struct pending_call {
	GAsyncResult *res;
};

static void begin_call(struct pending_call *pc, const char *path, const char *method,
		       GVariant *params, const char *reply_type)
{
	pc->res = NULL;
	g_dbus_connection_call(t.ofono.conn, t.ofono.agent_sender, path,
			       "org.ofono.SimToolkitAgent", method, params,
			       reply_type ? G_VARIANT_TYPE(reply_type) : NULL,
			       G_DBUS_CALL_FLAGS_NONE, 10000, NULL, call_done, &pc->res);
}

static GVariant *end_call(struct pending_call *pc, GError **error)
{
	GVariant *ret;

	RUN_UNTIL(pc->res != NULL);
	ret = g_dbus_connection_call_finish(t.ofono.conn, pc->res, error);
	g_clear_object(&pc->res);
	return ret;
}

/* Runs the loop a little: the agent must not have answered yet. */
static void assert_still_pending(struct pending_call *pc)
{
	bool expired = false;

	g_timeout_add(300, timeout_flag_cb, &expired);
	while (!expired)
		g_main_context_iteration(NULL, TRUE);
	g_assert_null(pc->res);
}

static JsonArray *read_log(void)
{
	char *data = NULL;
	char **lines;
	GError *error = NULL;
	JsonArray *all = json_array_new();

	g_assert_true(g_file_get_contents(t.log_path, &data, NULL, &error));
	lines = g_strsplit(data, "\n", -1);
	for (guint i = 0; lines[i] && lines[i][0]; i++) {
		JsonParser *p = json_parser_new();

		g_assert_true(json_parser_load_from_data(p, lines[i], -1, &error));
		g_assert_no_error(error);
		json_array_add_element(all, json_node_copy(json_parser_get_root(p)));
		g_object_unref(p);
	}
	g_strfreev(lines);
	g_free(data);
	return all;
}

/* Interactive mode, typed answers on stdin; --modem restricts it to one modem. */
static void test_interactive(void)
{
	struct fake_ofono *o = &t.ofono;
	struct pending_call pc;
	GVariantBuilder items;
	GError *error = NULL;
	GVariant *ret;
	const char *s;
	guint8 sel;
	JsonArray *log;
	guint before;

	if (t.bus == NULL) {
		start_bus();
		fake_ofono_start(o);
	}
	o->fake1_has_stk = true;
	before = o->registers;
	g_clear_pointer(&o->agent_path[0], g_free);
	g_clear_pointer(&o->agent_path[1], g_free);
	start_agent(NULL, "/fake_1");
	RUN_UNTIL(o->registers == before + 1);
	g_assert_null(o->agent_path[0]);
	g_assert_cmpstr(o->agent_path[1], ==, "/stkbridge/agent/fake_1");

	begin_call(&pc, o->agent_path[1], "RequestInput",
		   g_variant_new("(sysyyb)", "Amount?", 0, "", 2, 4, FALSE), "(s)");
	assert_still_pending(&pc);
	type_line("1\n");		/* too short: refused, asked again */
	assert_still_pending(&pc);
	type_line("250\n");
	ret = end_call(&pc, &error);
	g_assert_no_error(error);
	g_variant_get(ret, "(&s)", &s);
	g_assert_cmpstr(s, ==, "250");
	g_variant_unref(ret);

	g_variant_builder_init(&items, G_VARIANT_TYPE("a(sy)"));
	g_variant_builder_add(&items, "(sy)", "Pay", 0);
	g_variant_builder_add(&items, "(sy)", "Balance", 0);
	begin_call(&pc, o->agent_path[1], "RequestSelection",
		   g_variant_new("(sya(sy)n)", "Bank", 0, &items, 0), "(y)");
	/* lines typed before a request is on screen are dropped: wait for it */
	assert_still_pending(&pc);
	type_line("7\n");		/* no such item */
	type_line("1\n");
	ret = end_call(&pc, &error);
	g_assert_no_error(error);
	g_variant_get(ret, "(y)", &sel);
	g_assert_cmpuint(sel, ==, 1);
	g_variant_unref(ret);

	begin_call(&pc, o->agent_path[1], "DisplayText",
		   g_variant_new("(syb)", "Done", 0, FALSE), "()");
	assert_still_pending(&pc);
	type_line(":b\n");
	ret = end_call(&pc, &error);
	assert_remote_error(error, "org.ofono.Error.GoBack");
	g_clear_error(&error);

	/* end of input: the session ends */
	g_output_stream_close(g_subprocess_get_stdin_pipe(t.agent), NULL, NULL);
	begin_call(&pc, o->agent_path[1], "RequestConfirmation",
		   g_variant_new("(sy)", "Sure?", 0), "(b)");
	ret = end_call(&pc, &error);
	assert_remote_error(error, "org.ofono.Error.EndSession");
	g_clear_error(&error);

	before = o->unregisters;
	g_subprocess_send_signal(t.agent, SIGTERM);
	RUN_UNTIL(o->unregisters == before + 1);
	g_assert_true(g_subprocess_wait(t.agent, NULL, &error));
	g_assert_cmpint(g_subprocess_get_exit_status(t.agent), ==, 0);

	log = read_log();
	{
		guint n = 0;

		for (guint i = 0; i < json_array_get_length(log); i++) {
			JsonObject *e = json_array_get_object_element(log, i);

			if (!json_object_has_member(e, "outcome"))
				continue;
			g_assert_cmpstr(json_object_get_string_member(e, "source"), ==, "user");
			g_assert_cmpstr(json_object_get_string_member(e, "modem"), ==, "/fake_1");
			n++;
		}
		g_assert_cmpuint(n, ==, 4);
	}
	json_array_unref(log);
}

/* The log lines of requests (those with an "outcome"), in order. */
static JsonObject *nth_request(JsonArray *log, guint n)
{
	for (guint i = 0; i < json_array_get_length(log); i++) {
		JsonObject *o = json_array_get_object_element(log, i);

		if (json_object_has_member(o, "outcome") && n-- == 0)
			return o;
	}
	g_error("no request %u in the log", n);
	return NULL;
}

static void test_agent(void)
{
	static const char answers[] =
		"# one answer per request, in order\n"
		"confirm\n"
		"text:1234\n"
		"select:2\n"
		"back\n"
		"busy\n"
		"end\n"
		"wait:300 confirm\n"
		"timeout\n"
		"no\n"
		"key:#\n";
	struct fake_ofono *o = &t.ofono;
	GError *error = NULL;
	GDBusConnection *other;
	GVariant *ret;
	GVariantBuilder items;
	gint64 elapsed;
	char *path; /* a copy: the fake oFono replaces its string at every RegisterAgent */
	JsonArray *log;
	JsonObject *e;
	char *agent0;
	int status;

	if (t.bus == NULL) {
		start_bus();
		fake_ofono_start(o);
	}
	start_agent(answers, NULL);

	/* registers on the modem with SimToolkit only */
	RUN_UNTIL(o->registers == 1);
	g_assert_cmpstr(o->agent_path[0], ==, "/stkbridge/agent/fake_0");
	g_assert_null(o->agent_path[1]);
	path = g_strdup(o->agent_path[0]);

	ret = call_sync(o->conn, path, "DisplayText", g_variant_new("(syb)", "Hello", 0, FALSE),
			"()", 5000, &error, NULL);
	g_assert_no_error(error);
	g_variant_unref(ret);

	ret = call_sync(o->conn, path, "RequestInput",
			g_variant_new("(sysyyb)", "PIN?", 0, "", 4, 8, FALSE), "(s)", 5000, &error,
			NULL);
	g_assert_no_error(error);
	g_assert_cmpstr(g_variant_get_string(g_variant_get_child_value(ret, 0), NULL), ==, "1234");
	g_variant_unref(ret);

	g_variant_builder_init(&items, G_VARIANT_TYPE("a(sy)"));
	g_variant_builder_add(&items, "(sy)", "A", 0);
	g_variant_builder_add(&items, "(sy)", "B", 0);
	g_variant_builder_add(&items, "(sy)", "C", 0);
	ret = call_sync(o->conn, path, "RequestSelection",
			g_variant_new("(sya(sy)n)", "Menu", 0, &items, -1), "(y)", 5000, &error,
			NULL);
	g_assert_no_error(error);
	{
		guint8 sel;

		g_variant_get(ret, "(y)", &sel);
		g_assert_cmpuint(sel, ==, 2);
	}
	g_variant_unref(ret);

	ret = call_sync(o->conn, path, "RequestConfirmation", g_variant_new("(sy)", "Sure?", 0),
			"(b)", 5000, &error, NULL);
	g_assert_null(ret);
	assert_remote_error(error, "org.ofono.Error.GoBack");
	g_clear_error(&error);

	ret = call_sync(o->conn, path, "DisplayText", g_variant_new("(syb)", "Busy?", 0, TRUE),
			"()", 5000, &error, NULL);
	assert_remote_error(error, "org.ofono.Error.Busy");
	g_clear_error(&error);

	ret = call_sync(o->conn, path, "RequestKey", g_variant_new("(sy)", "Key?", 0), "(s)", 5000,
			&error, NULL);
	assert_remote_error(error, "org.ofono.Error.EndSession");
	g_clear_error(&error);

	ret = call_sync(o->conn, path, "PlayTone",
			g_variant_new("(ssy)", "general-beep", "", 0), "()", 5000, &error,
			&elapsed);
	g_assert_no_error(error);
	g_assert_cmpint(elapsed, >=, 290);
	g_variant_unref(ret);

	/* timeout: no answer; oFono's call times out and it sends Cancel() */
	ret = call_sync(o->conn, path, "RequestDigit", g_variant_new("(sy)", "Digit?", 0), "(s)",
			400, &error, NULL);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
	g_clear_error(&error);
	send_noreply(o->conn, path, "Cancel");

	/* anybody but org.ofono is refused, and uses up no answer */
	other = g_dbus_connection_new_for_address_sync(t.address,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
	g_assert_no_error(error);
	ret = call_sync(other, path, "RequestConfirmation", g_variant_new("(sy)", "x", 0), "(b)",
			5000, &error, NULL);
	assert_remote_error(error, "org.freedesktop.DBus.Error.AccessDenied");
	g_clear_error(&error);
	g_object_unref(other);

	/* ofonod restarts: the agent registers again with the new one */
	agent0 = g_strdup(o->agent_sender);
	fake_ofono_stop(o);
	fake_ofono_start(o);
	RUN_UNTIL(o->registers == 2);
	g_assert_cmpstr(o->agent_sender, ==, agent0);
	g_free(agent0);
	ret = call_sync(o->conn, path, "RequestConfirmation", g_variant_new("(sy)", "Again?", 0),
			"(b)", 5000, &error, NULL);
	g_assert_no_error(error);
	{
		gboolean b;

		g_variant_get(ret, "(b)", &b);
		g_assert_false(b);
	}
	g_variant_unref(ret);

	/* Release: oFono dropped the agent; it registers again */
	send_noreply(o->conn, path, "Release");
	RUN_UNTIL(o->registers == 3);

	/* SimToolkit appears later on /fake_1 */
	o->fake1_has_stk = true;
	{
		const char *ifaces[] = { "org.ofono.SimManager", "org.ofono.SimToolkit", NULL };

		g_dbus_connection_emit_signal(o->conn, NULL, "/fake_1", "org.ofono.Modem",
					      "PropertyChanged",
					      g_variant_new("(sv)", "Interfaces",
							    g_variant_new_strv(ifaces, -1)),
					      &error);
		g_assert_no_error(error);
	}
	RUN_UNTIL(o->registers == 4);
	g_assert_cmpstr(o->agent_path[1], ==, "/stkbridge/agent/fake_1");
	ret = call_sync(o->conn, o->agent_path[1], "RequestQuickDigit",
			g_variant_new("(sy)", "Quick", 0), "(s)", 5000, &error, NULL);
	g_assert_no_error(error);
	g_assert_cmpstr(g_variant_get_string(g_variant_get_child_value(ret, 0), NULL), ==, "#");
	g_variant_unref(ret);

	/* script used up, no defaults: the session ends */
	ret = call_sync(o->conn, path, "DisplayText", g_variant_new("(syb)", "More", 0, FALSE),
			"()", 5000, &error, NULL);
	assert_remote_error(error, "org.ofono.Error.EndSession");
	g_clear_error(&error);

	/* SIGTERM: unregisters from both modems, exits 0 */
	g_subprocess_send_signal(t.agent, SIGTERM);
	RUN_UNTIL(o->unregisters == 2);
	g_assert_true(g_subprocess_wait(t.agent, NULL, &error));
	g_assert_true(g_subprocess_get_if_exited(t.agent));
	status = g_subprocess_get_exit_status(t.agent);
	g_assert_cmpint(status, ==, 0);

	/* the JSON log has every request, in order, with what was answered */
	log = read_log();
	e = nth_request(log, 0);
	g_assert_cmpstr(json_object_get_string_member(e, "method"), ==, "DisplayText");
	g_assert_cmpstr(json_object_get_string_member(e, "text"), ==, "Hello");
	g_assert_cmpstr(json_object_get_string_member(e, "modem"), ==, "/fake_0");
	g_assert_cmpstr(json_object_get_string_member(e, "answer"), ==, "confirm");
	g_assert_cmpstr(json_object_get_string_member(e, "outcome"), ==, "replied");
	e = nth_request(log, 1);
	g_assert_cmpstr(json_object_get_string_member(e, "method"), ==, "RequestInput");
	g_assert_cmpstr(json_object_get_string_member(e, "answer"), ==, "1234");
	e = nth_request(log, 2);
	g_assert_cmpint(json_object_get_int_member(e, "answer"), ==, 2);
	e = nth_request(log, 3);
	g_assert_cmpstr(json_object_get_string_member(e, "error"), ==, "org.ofono.Error.GoBack");
	e = nth_request(log, 4);
	g_assert_cmpstr(json_object_get_string_member(e, "error"), ==, "org.ofono.Error.Busy");
	e = nth_request(log, 5);
	g_assert_cmpstr(json_object_get_string_member(e, "error"), ==,
			"org.ofono.Error.EndSession");
	e = nth_request(log, 6);
	g_assert_cmpstr(json_object_get_string_member(e, "method"), ==, "PlayTone");
	g_assert_cmpint(json_object_get_int_member(e, "elapsed_ms"), >=, 290);
	e = nth_request(log, 7);
	g_assert_cmpstr(json_object_get_string_member(e, "method"), ==, "RequestDigit");
	g_assert_cmpstr(json_object_get_string_member(e, "outcome"), ==, "cancelled");
	e = nth_request(log, 8);
	g_assert_cmpstr(json_object_get_string_member(e, "method"), ==, "RequestConfirmation");
	g_assert_cmpstr(json_object_get_string_member(e, "text"), ==, "Again?");
	g_assert_false(json_object_get_boolean_member(e, "answer"));
	e = nth_request(log, 9);
	g_assert_cmpstr(json_object_get_string_member(e, "modem"), ==, "/fake_1");
	g_assert_cmpstr(json_object_get_string_member(e, "answer"), ==, "#");
	e = nth_request(log, 10);
	g_assert_cmpstr(json_object_get_string_member(e, "source"), ==, "none");
	g_assert_cmpstr(json_object_get_string_member(e, "error"), ==,
			"org.ofono.Error.EndSession");
	{
		guint regs = 0, unregs = 0, cancels = 0, releases = 0;

		for (guint i = 0; i < json_array_get_length(log); i++) {
			const char *m = json_object_get_string_member(
				json_array_get_object_element(log, i), "method");

			regs += strcmp(m, "RegisterAgent") == 0;
			unregs += strcmp(m, "UnregisterAgent") == 0;
			cancels += strcmp(m, "Cancel") == 0;
			releases += strcmp(m, "Release") == 0;
		}
		g_assert_cmpuint(regs, ==, 4);
		g_assert_cmpuint(unregs, ==, 2);
		g_assert_cmpuint(cancels, ==, 1);
		g_assert_cmpuint(releases, ==, 1);
	}
	json_array_unref(log);
	g_free(path);
}

int main(int argc, char **argv)
{
	GError *error = NULL;
	int rc;

	g_test_init(&argc, &argv, NULL);
	t.dir = g_dir_make_tmp("agent-dbus-XXXXXX", &error);
	g_assert_no_error(error);
	t.node = g_dbus_node_info_new_for_xml(fake_xml, &error);
	g_assert_no_error(error);
	g_test_add_func("/agent/dbus/fake-ofono", test_agent);
	g_test_add_func("/agent/dbus/interactive", test_interactive);
	rc = g_test_run();

	if (t.agent) {
		g_subprocess_force_exit(t.agent);
		g_subprocess_wait(t.agent, NULL, NULL);
	}
	if (t.ofono.conn)
		fake_ofono_stop(&t.ofono);
	if (t.bus) {
		g_subprocess_send_signal(t.bus, SIGTERM);
		g_subprocess_wait(t.bus, NULL, NULL);
	}
	{
		char *cmd[] = { "rm", "-rf", t.dir, NULL };

		g_spawn_sync(NULL, cmd, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
			     NULL);
	}
	return rc;
}
