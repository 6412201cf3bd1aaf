/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The harness of test-ots-api.c (see api-harness.h): the daemon on a free
 * loopback port, HTTP calls that check every answer for keys, raw
 * connections for event streams, ota-cli runs, and the device child.
 */
#include "api-harness.h"

#include <fcntl.h>
#include <gio/gunixsocketaddress.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "me-sim.h"
#include "pg-cluster.h"
#include "simota/netsim.h"

/* the keys of every card this test registers (write_card_ini's and CARD_JSON's) */
const char *const api_keys[4] = {
	"0123456789abcdeffedcba9876543210", "112233445566778899aabbccddeeff00",
	"00112233445566778899aabbccddeeff", "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
};
struct api_server srv;

/* ---- keys never leave the server ------------------------------------------------ */

void assert_no_keys(const char *text, size_t len, const char *where)
{
	char *lower = g_ascii_strdown(text, (gssize)len);

	for (unsigned i = 0; i < G_N_ELEMENTS(api_keys); i++)
		if (strstr(lower, api_keys[i]))
			g_error("a key (%s) appears in %s", api_keys[i], where);
	g_free(lower);
}

/* ---- HTTP ---------------------------------------------------------------------------- */

void reply_clear(struct reply *r)
{
	if (r->json)
		json_node_unref(r->json);
	g_free(r->body);
	g_free(r->location);
	g_free(r->allow);
	g_free(r->link);
	memset(r, 0, sizeof(*r));
}

void call(struct reply *r, const char *method, const char *path, const char *ctype,
		 const char *body)
{
	char *url = g_strconcat(srv.base, path, NULL);
	SoupMessage *msg = soup_message_new(method, url);
	GError *error = NULL;
	GBytes *b;
	gsize len;
	const char *data;

	g_assert_nonnull(msg);
	memset(r, 0, sizeof(*r));
	if (body) {
		GBytes *in = g_bytes_new(body, strlen(body));

		soup_message_set_request_body_from_bytes(msg, ctype, in);
		g_bytes_unref(in);
	}
	b = soup_session_send_and_read(srv.http, msg, NULL, &error);
	g_assert_no_error(error);
	r->status = soup_message_get_status(msg);
	r->location = g_strdup(soup_message_headers_get_one(soup_message_get_response_headers(msg),
							    "Location"));
	r->allow = g_strdup(soup_message_headers_get_one(soup_message_get_response_headers(msg),
							 "Allow"));
	r->link = g_strdup(soup_message_headers_get_one(soup_message_get_response_headers(msg),
							"Link"));
	data = g_bytes_get_data(b, &len);
	r->body = g_strndup(data ? data : "", len);
	assert_no_keys(r->body, len, path);
	if (len) {
		r->json = json_from_string(r->body, &error);
		g_assert_no_error(error);
		g_assert_cmpstr(soup_message_headers_get_content_type(
					soup_message_get_response_headers(msg), NULL), ==,
				"application/json");
	}
	g_bytes_unref(b);
	g_object_unref(msg);
	g_free(url);
}

JsonObject *obj(const struct reply *r)
{
	g_assert_nonnull(r->json);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(r->json));
	return json_node_get_object(r->json);
}

/* The request gets this status, and (for errors) a JSON error naming field (NULL: none). */
void expect(const char *method, const char *path, const char *ctype, const char *body,
		   guint status, const char *field)
{
	struct reply r;

	call(&r, method, path, ctype, body);
	if (r.status != status)
		g_error("%s %s %s: status %u, expected %u: %s", method, path, body ? body : "",
			r.status, status, r.body);
	if (status >= 400) {
		const char *f = json_object_get_string_member_with_default(obj(&r), "field", NULL);

		g_assert_true(json_object_has_member(obj(&r), "error"));
		if (g_strcmp0(f, field) != 0)
			g_error("%s %s %s: field %s, expected %s: %s", method, path,
				body ? body : "", f, field, r.body);
		/* the message starts with the field it names */
		if (field && status == 400)
			g_assert_true(g_str_has_prefix(json_object_get_string_member(obj(&r), "error"),
						       field));
	}
	reply_clear(&r);
}

int64_t start_tx(const char *json)
{
	struct reply r;
	int64_t id;
	char *loc;

	call(&r, "POST", "/v1/transactions", "application/json", json);
	if (r.status != 201)
		g_error("POST %s: %u %s", json, r.status, r.body);
	id = json_object_get_int_member(obj(&r), "id");
	g_assert_cmpint(id, >, 0);
	loc = g_strdup_printf("/v1/transactions/%" G_GINT64_FORMAT, id);
	g_assert_cmpstr(r.location, ==, loc);
	g_free(loc);
	reply_clear(&r);
	return id;
}

/* ---- raw HTTP (event streams, oversized requests) ----------------------------------- */

struct raw *raw_open(const char *request)
{
	struct raw *c = g_new0(struct raw, 1);
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GSocketAddress *sa = g_inet_socket_address_new(lo, srv.port);
	GError *error = NULL;

	c->sock = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
			       &error);
	g_assert_no_error(error);
	g_assert_true(g_socket_connect(c->sock, sa, NULL, &error));
	g_assert_cmpint(g_socket_send(c->sock, request, strlen(request), NULL, &error), ==,
			(gssize)strlen(request));
	c->in = g_string_new(NULL);
	g_object_unref(sa);
	g_object_unref(lo);
	return c;
}

/* Reads for up to ms, or until needle (if any) has arrived. */
bool raw_read(struct raw *c, const char *needle, unsigned ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	for (;;) {
		gint64 left = end - g_get_monotonic_time();
		char buf[4096];
		gssize n;

		if (needle && strstr(c->in->str, needle))
			return true;
		if (left <= 0 || !g_socket_condition_timed_wait(c->sock, G_IO_IN, left, NULL, NULL))
			return false;
		n = g_socket_receive(c->sock, buf, sizeof(buf), NULL, NULL);
		if (n <= 0)
			return needle ? strstr(c->in->str, needle) != NULL : true;
		g_string_append_len(c->in, buf, n);
	}
}

void raw_close(struct raw *c)
{
	assert_no_keys(c->in->str, c->in->len, "an event stream");
	g_socket_close(c->sock, NULL);
	g_object_unref(c->sock);
	g_string_free(c->in, TRUE);
	g_free(c);
}

struct raw *sse_open(const char *query)
{
	char *req = g_strdup_printf("GET /v1/events%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				    "Accept: text/event-stream\r\n\r\n", query);
	struct raw *c = raw_open(req);

	g_free(req);
	/* the opening comment: the stream is subscribed from here on */
	g_assert_true(raw_read(c, ": ota-test-server events", 5000));
	g_assert_true(g_str_has_prefix(c->in->str, "HTTP/1.1 200"));
	g_assert_nonnull(strstr(c->in->str, "text/event-stream"));
	return c;
}

/* Events of transaction tx (0: any) of this kind received so far: each an SSE "data:" line. */
unsigned sse_count(struct raw *c, int64_t tx, const char *kind)
{
	unsigned n = 0;
	char **lines = g_strsplit(c->in->str, "\n", -1);

	for (char **l = lines; *l; l++) {
		JsonNode *ev;
		JsonObject *o;

		if (!g_str_has_prefix(*l, "data: "))
			continue;
		ev = json_from_string(*l + 6, NULL);
		g_assert_nonnull(ev);
		o = json_node_get_object(ev);
		/* the "event:" field before it names the same kind (checked via the id/seq pairing) */
		g_assert_true(json_object_has_member(o, "seq"));
		g_assert_true(json_object_has_member(o, "at"));
		if ((!tx || json_object_get_int_member(o, "tx") == tx) &&
		    strcmp(json_object_get_string_member(o, "event"), kind) == 0)
			n++;
		json_node_unref(ev);
	}
	g_strfreev(lines);
	return n;
}

bool sse_wait(struct raw *c, int64_t tx, const char *kind, unsigned ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (sse_count(c, tx, kind) == 0) {
		if (g_get_monotonic_time() >= end)
			return false;
		raw_read(c, NULL, 50);
	}
	return true;
}

/* ---- ota-cli ----------------------------------------------------------------------- */

void cli_clear(struct cli_result *r)
{
	g_free(r->out);
	g_free(r->err);
}

void run_cli(struct cli_result *r, const char *const *args)
{
	GPtrArray *argv = g_ptr_array_new();
	char **env = g_environ_setenv(g_get_environ(), "OTA_SERVER", srv.base, TRUE);
	GError *error = NULL;
	int st;

	g_ptr_array_add(argv, (char *)srv.cli);
	for (; *args; args++)
		g_ptr_array_add(argv, (char *)*args);
	g_ptr_array_add(argv, NULL);
	env = g_environ_unsetenv(env, "http_proxy");
	g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL,
				   &r->out, &r->err, &st, &error));
	g_assert_no_error(error);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	assert_no_keys(r->out, strlen(r->out), "ota-cli's output");
	assert_no_keys(r->err, strlen(r->err), "ota-cli's errors");
	g_strfreev(env);
	g_ptr_array_free(argv, TRUE);
}

/* exit 1, one line on stderr starting "ota-cli: " and containing what, nothing on stdout */
void cli_fails(const char *const *args, const char *what)
{
	struct cli_result r;

	run_cli(&r, args);
	if (r.status != 1 || *r.out || !g_str_has_prefix(r.err, "ota-cli: ") ||
	    strchr(r.err, '\n') != r.err + strlen(r.err) - 1 || !strstr(r.err, what))
		g_error("ota-cli %s: status %d, stdout '%s', stderr '%s' (expected '%s')", args[0],
			r.status, r.out, r.err, what);
	cli_clear(&r);
}

JsonNode *cli_json(const char *const *args)
{
	struct cli_result r;
	JsonNode *n;
	GError *error = NULL;

	run_cli(&r, args);
	if (r.status != 0)
		g_error("ota-cli %s %s: status %d: %s", args[0], args[1], r.status, r.err);
	g_assert_cmpstr(r.err, ==, "");
	n = json_from_string(r.out, &error);
	g_assert_no_error(error);
	cli_clear(&r);
	return n;
}

/* ---- the device child: a uicc-emu card behind a handset (me-sim.c) on the netsim link ---- */

struct device {
	GSocket *sock;
	GByteArray *in;
	struct me_sim *me;
};

static void send_frame(struct device *d, const struct simota_netsim_frame *f)
{
	GByteArray *b = g_byte_array_new();

	simota_netsim_frame_encode(f, b);
	g_assert_cmpint(g_socket_send(d->sock, (const char *)b->data, b->len, NULL, NULL), ==,
			(gssize)b->len);
	g_byte_array_unref(b);
}

static void up_report(void *user, uint32_t id, bool rp_error, uint8_t cause, const uint8_t *tpdu,
		      size_t len)
{
	static struct simota_netsim_frame f;

	memset(&f, 0, sizeof(f));
	f.type = SIMOTA_NETSIM_DELIVER_REPORT;
	f.id = id;
	f.rp = rp_error;
	f.cause = cause;
	f.tpdu_len = len;
	if (len)
		memcpy(f.tpdu, tpdu, len);
	send_frame(user, &f);
}

static void up_submit(void *user, const uint8_t *tpdu, size_t len)
{
	static struct simota_netsim_frame f;

	memset(&f, 0, sizeof(f));
	f.type = SIMOTA_NETSIM_SUBMIT;
	f.id = 7;
	f.tpdu_len = len;
	memcpy(f.tpdu, tpdu, len);
	send_frame(user, &f);
}

int device_main(const char *path, const char *ini)
{
	struct me_sim_uplink up = { .report = up_report, .submit = up_submit };
	struct device d = { 0 };
	char *state = g_strconcat(ini, ".state", NULL);
	GError *error = NULL;
	GSocketAddress *sa = g_unix_socket_address_new(path);
	static struct simota_netsim_frame f;

	d.in = g_byte_array_new();
	d.sock = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
			      NULL);
	if (!g_socket_connect(d.sock, sa, NULL, NULL))
		return 1;
	g_object_unref(sa);
	up.user = &d;
	/* the user answers right away ("1234", the first item, yes); the card sends its MG */
	d.me = me_sim_new(ini, state, &up, &error);
	if (!d.me)
		g_error("device: %s", error->message);
	f.type = SIMOTA_NETSIM_HELLO;
	f.version = SIMOTA_NETSIM_VERSION;
	g_strlcpy(f.iccid, d.me->cfg->iccid, sizeof(f.iccid));
	send_frame(&d, &f);
	for (;;) {
		char buf[4096];
		gssize n;
		uint8_t type;
		const uint8_t *body;
		size_t blen, used;
		const char *why;

		while (g_main_context_iteration(NULL, FALSE))
			;
		if (!g_socket_condition_timed_wait(d.sock, G_IO_IN, 20000, NULL, NULL))
			continue;
		n = g_socket_receive(d.sock, buf, sizeof(buf), NULL, NULL);
		if (n <= 0)
			return 0;                 /* the server went away */
		g_byte_array_append(d.in, (uint8_t *)buf, (guint)n);
		while (simota_netsim_frame_next(d.in->data, d.in->len, &type, &body, &blen, &used) ==
		       SIMOTA_NETSIM_FRAME) {
			if (simota_netsim_frame_decode(type, body, blen, &f, &why) == 0 &&
			    type == SIMOTA_NETSIM_DELIVER)
				me_sim_deliver(d.me, f.id, f.tpdu, f.tpdu_len);
			g_byte_array_remove_range(d.in, 0, (guint)used);
		}
	}
}

/* ---- the daemon ----------------------------------------------------------------------- */


/* A test that aborts leaves no server behind (seen: three from aborted runs, still up an hour later). */
static void die_with_parent(gpointer unused)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

bool server_start(void)
{
	const char *bin = g_getenv("OTA_TEST_SERVER");
	char *http, *netsim;
	GError *error = NULL;
	int logfd;
	gint64 end;

	srv.cli = g_getenv("OTA_CLI");
	if (!bin || !srv.cli)
		return false;
	srv.dir = g_dir_make_tmp("ots-api-XXXXXX", NULL);
	srv.db = test_db_target(srv.dir, "server.db");
	srv.sock = g_build_filename(srv.dir, "netsim.sock", NULL);
	srv.log = g_build_filename(srv.dir, "server.log", NULL);
	srv.ini = write_card_ini(srv.dir, "card.ini", TEST_ICCID, "+15550001");
	srv.ini2 = write_card_ini(srv.dir, "card2.ini", TEST_ICCID2, "+15550002");
	srv.port = test_free_port();
	srv.base = g_strdup_printf("http://127.0.0.1:%u", srv.port);
	http = g_strdup_printf("127.0.0.1:%u", srv.port);
	netsim = g_strconcat("unix:", srv.sock, NULL);
	logfd = open(srv.log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	g_assert_cmpint(logfd, >=, 0);
	{
		const char *argv[] = { bin, "--db", srv.db, "--http", http, "--netsim", netsim,
				       "--verbose", NULL };

		g_assert_true(g_spawn_async_with_pipes_and_fds(NULL, argv, NULL,
				G_SPAWN_DO_NOT_REAP_CHILD, die_with_parent, NULL, -1, logfd, logfd, NULL, NULL,
				0, &srv.pid, NULL, NULL, NULL, &error));
		g_assert_no_error(error);
	}
	close(logfd);
	g_free(http);
	g_free(netsim);
	srv.http = soup_session_new_with_options("timeout", 30, "proxy-resolver", NULL, NULL);
	/* wait until it answers */
	end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	for (;;) {
		SoupMessage *m;
		char *url = g_strconcat(srv.base, "/v1/status", NULL);
		GBytes *b;

		m = soup_message_new("GET", url);
		b = soup_session_send_and_read(srv.http, m, NULL, NULL);
		g_free(url);
		if (b && soup_message_get_status(m) == 200) {
			g_bytes_unref(b);
			g_object_unref(m);
			break;
		}
		if (b)
			g_bytes_unref(b);
		g_object_unref(m);
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(50000);
	}
	return true;
}

void server_stop(void)
{
	struct raw *stream;
	int status;
	char *cmd, *log;
	gsize len;

	if (srv.device) {
		kill(srv.device, SIGTERM);
		waitpid(srv.device, &status, 0);
		g_spawn_close_pid(srv.device);
	}
	/* a clean SIGTERM, with an event stream still open */
	stream = sse_open("");
	g_assert_cmpint(kill(srv.pid, SIGTERM), ==, 0);
	g_assert_cmpint(waitpid(srv.pid, &status, 0), ==, srv.pid);
	g_spawn_close_pid(srv.pid);
	g_assert_true(g_file_get_contents(srv.log, &log, &len, NULL));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		g_error("the server ended with status 0x%x; its log ends with:\n%s", status,
			len > 4000 ? log + len - 4000 : log);
	/* its stream ended with the server (closed; the last chunk may not have been written) */
	raw_read(stream, NULL, 500);
	raw_close(stream);
	/* keys never logged, even with --verbose */
	assert_no_keys(log, len, "the server's log");
	g_assert_nonnull(strstr(log, "HTTP API listening on"));
	g_free(log);
	g_object_unref(srv.http);
	cmd = g_strdup_printf("rm -rf '%s'", srv.dir);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(cmd);
}

