/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Two ota-test-server daemons, instances "a" and "b", on one PostgreSQL
 * database (tests/pg's private cluster), and OTS_FAILOVER_CARDS cards
 * (1 000 by default: uicc-emu cards behind handsets, in this process) on
 * their netsim links, the first half attached to a, the rest to b.  Two
 * deferred transactions per card are posted over HTTP, each to one of the
 * two instances: half of them to the instance that does not hold the
 * card's lease, which hands them to the owner (inbox + LISTEN/NOTIFY).
 * Instance a is killed with -9 once about a third of them are complete;
 * its handsets attach to b; once a's lease expires b takes its cards over.
 * Checked: every transaction posted (each answered 201) completes, with
 * exactly one R1 on the timeline and on SV1's event streams (a's until it
 * died, then b's), one release; no (card, keyset, counter) used twice, no
 * card refused a packet, each card's counter only went up, to the highest
 * the database recorded; a's cards are b's afterwards and a's row is gone.
 *
 * The same over SMPP (/failover/smpp): both instances bound as ESMEs to the
 * test SMSC (tests/smsc, node-smpp), which plays the network for the
 * handsets and delivers every MO (the PoRs, by SMS-SUBMIT) to the first
 * bound instance, so the PoRs for the other's cards are handed over
 * (inbox); OTS_FAILOVER_SMPP_CARDS cards (200); instance b, the one
 * the SMSC does not deliver to, is killed with -9: the PoRs for its cards
 * wait in the inbox until a takes the cards over, then complete.
 */
#include <fcntl.h>
#include <gio/gio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>

#include "db/db.h"
#include "me-sim.h"
#include "netsim-device.h"
#include "pg-cluster.h"
#include "server-test.h"
#include "transactions/engine.h"

#define LEASE_MS 2000
#define POST_WINDOW 64

struct instance {
	const char *name;
	const char *link;          /* "netsim" or "smpp" */
	char *sock, *base, *log;
	guint16 port;
	GPid pid;
	GSocket *events;           /* GET /v1/events */
	GString *events_in;
};

struct run {
	char *dir, *shm, *uri;
	unsigned n;                /* cards */
	struct instance inst[2];
	struct device **d;
	struct me_sim **me;
	SoupSession *http;
	unsigned posted, created, refused;
	GHashTable *r1_seen;       /* tx id -> seq of its r1-delivered event on a stream */
	unsigned r1_twice;
	struct ots_db *db;         /* the test's own connection */
	/* the test SMSC (/failover/smpp) */
	GPid smsc;
	char *smsc_sock, *smsc_control, *smsc_out;
	guint16 smsc_port;
};

static unsigned failover_cards(void)
{
	const char *v = g_getenv("OTS_FAILOVER_CARDS");
	guint64 n;

	return v && g_ascii_string_to_unsigned(v, 10, 2, 9999, &n, NULL) ? (unsigned)n : 1000;
}

static void card_iccid(unsigned i, char iccid[21])
{
	g_snprintf(iccid, 21, "8988239000000060%04u", i);
}

static int64_t db_int(struct run *r, const char *sql)
{
	return test_db_int(r->db, sql);
}


static void die_with_parent(gpointer unused)
{
	(void)unused;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* The server's [smpp] key file (doc/smpp.md), mode 0600. */
static char *smpp_config(struct run *r, struct instance *in)
{
	char *path = g_strdup_printf("%s/smpp-%s.conf", r->dir, in->name);

	g_assert_true(g_file_set_contents_full(path, "[smpp]\nsystem-id=ots\npassword=secret\n"
					       "enquire-link-ms=2000\nresponse-timeout-ms=3000\n"
					       "reconnect-min-ms=200\nreconnect-max-ms=2000\n",
					       -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
	return path;
}

static void instance_spawn(struct run *r, struct instance *in)
{
	char *http = g_strdup_printf("127.0.0.1:%u", in->port);
	bool smpp = strcmp(in->link, "smpp") == 0;
	char *link = smpp ? g_strdup_printf("127.0.0.1:%u", r->smsc_port) :
		g_strconcat("unix:", in->sock, NULL);
	char *config = smpp ? smpp_config(r, in) : NULL;
	const char *argv[] = { g_getenv("OTA_TEST_SERVER"), "--db", r->uri, "--http", http,
			       smpp ? "--smpp" : "--netsim", link, "--instance", in->name,
			       "--lease-ms", G_STRINGIFY(LEASE_MS), "--por-timeout-ms", "10000",
			       "--max-attempts", "20", "--backoff-ms", "100",
			       smpp ? "--smpp-config" : NULL, config, NULL };
	int fd = open(in->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	GError *error = NULL;

	g_assert_cmpint(fd, >=, 0);
	g_assert_true(g_spawn_async_with_fds(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
					     die_with_parent, NULL, &in->pid, -1, fd, fd, &error));
	g_assert_no_error(error);
	close(fd);
	g_free(http);
	g_free(link);
	g_free(config);
}

/* ---- the test SMSC ---------------------------------------------------------------------------- */

/* The test SMSC's node modules (tests/e2e/smsc.py installs them from the lockfile), or NULL: why. */
static char *smsc_modules(char **why)
{
	char *e2e = g_build_filename(SRCDIR, "tests", "e2e", NULL);
	char *code = g_strdup_printf("import sys; sys.dont_write_bytecode = True; "
				     "sys.path.insert(0, '%s'); import smsc; print(smsc.install())", e2e);
	/* Debian's python3, as the e2e suite's (smsc.py imports the harness, which needs python3-dbus) */
	const char *argv[] = { "/usr/bin/python3", "-c", code, NULL };
	char *out = NULL, *err = NULL;
	int status = -1;

	if (!g_spawn_sync(SRCDIR, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
			  &status, NULL) || !g_spawn_check_wait_status(status, NULL)) {
		*why = g_strdup_printf("the test SMSC's modules: %s", err ? g_strstrip(err) : "?");
		g_clear_pointer(&out, g_free);
	}
	g_free(err);
	g_free(code);
	g_free(e2e);
	if (out) {
		/* its last line (the harness may log the install before it) */
		char *last = strrchr(g_strstrip(out), '\n'), *dir = g_strdup(last ? last + 1 : out);

		g_free(out);
		out = dir;
	}
	return out;
}

/* Starts the SMSC and waits for its {"ready": true, "smpp-port": N}; false: not here (skipped). */
static bool smsc_start(struct run *r)
{
	char *why = NULL, *modules = smsc_modules(&why), *js, *log, **env;
	int64_t end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
	int fd;

	if (!modules) {
		g_test_skip(why);
		g_free(why);
		return false;
	}
	js = g_build_filename(SRCDIR, "tests", "smsc", "smsc.js", NULL);
	log = g_strdup_printf("%s/smsc.jsonl", r->dir);
	r->smsc_sock = g_strdup_printf("%s/smsc-netsim.sock", r->dir);
	r->smsc_control = g_strdup_printf("%s/smsc-control.sock", r->dir);
	r->smsc_out = g_strdup_printf("%s/smsc.out", r->dir);
	{
		const char *argv[] = { "node", js, "--smpp-port", "0", "--netsim", r->smsc_sock,
				       "--control", r->smsc_control, "--log", log, NULL };
		GError *error = NULL;

		env = g_environ_setenv(g_get_environ(), "NODE_PATH", modules, TRUE);
		fd = open(r->smsc_out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		g_assert_cmpint(fd, >=, 0);
		g_assert_true(g_spawn_async_with_fds(NULL, (char **)argv, env,
						     G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH,
						     die_with_parent, NULL, &r->smsc, -1, fd, fd, &error));
		g_assert_no_error(error);
		close(fd);
		g_strfreev(env);
	}
	while (!r->smsc_port) {
		char *text = NULL, *ready;

		g_assert_cmpint(g_get_monotonic_time(), <, end);
		if (g_file_get_contents(r->smsc_out, &text, NULL, NULL) &&
		    (ready = strstr(text, "\"smpp-port\":")))
			r->smsc_port = (guint16)atoi(ready + strlen("\"smpp-port\":"));
		g_free(text);
		if (!r->smsc_port)
			g_usleep(50000);
	}
	g_free(modules);
	g_free(js);
	g_free(log);
	return true;
}

/* One command on the SMSC's control socket; its answer's member name (an integer). */
static int64_t smsc_stat(struct run *r, const char *name)
{
	GSocketAddress *sa = g_unix_socket_address_new(r->smsc_control);
	GSocket *s = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
				  G_SOCKET_PROTOCOL_DEFAULT, NULL);
	const char *cmd = "{\"cmd\":\"stats\"}\n";
	GString *in = g_string_new(NULL);
	char buf[4096];
	gssize n;
	int64_t v = -1;
	JsonNode *node;

	g_assert_true(g_socket_connect(s, sa, NULL, NULL));
	g_assert_cmpint(g_socket_send(s, cmd, strlen(cmd), NULL, NULL), ==, (gssize)strlen(cmd));
	while (!strchr(in->str, '\n') && (n = g_socket_receive(s, buf, sizeof(buf), NULL, NULL)) > 0)
		g_string_append_len(in, buf, n);
	node = json_from_string(in->str, NULL);
	if (node && JSON_NODE_HOLDS_OBJECT(node))
		v = json_object_get_int_member_with_default(json_node_get_object(node), name, -1);
	if (node)
		json_node_unref(node);
	g_string_free(in, TRUE);
	g_socket_close(s, NULL);
	g_object_unref(s);
	g_object_unref(sa);
	return v;
}

/* ---- SV1's event streams ------------------------------------------------------------------ */

static void events_open(struct instance *in)
{
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GSocketAddress *sa = g_inet_socket_address_new(lo, in->port);
	int64_t end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
	char *req = g_strdup_printf("GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
				    "Accept: text/event-stream\r\n\r\n", in->port);

	for (;;) {
		in->events = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
					  G_SOCKET_PROTOCOL_TCP, NULL);
		if (g_socket_connect(in->events, sa, NULL, NULL))
			break;
		g_clear_object(&in->events);
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(50000);
	}
	g_assert_cmpint(g_socket_send(in->events, req, strlen(req), NULL, NULL), ==,
			(gssize)strlen(req));
	g_socket_set_blocking(in->events, FALSE);
	in->events_in = g_string_new(NULL);
	g_object_unref(sa);
	g_object_unref(lo);
	g_free(req);
}

/* Reads what a stream has; each "r1-delivered" event is remembered by transaction (its seq). */
static void events_read(struct run *r, struct instance *in)
{
	char buf[16384], *line;
	gssize n;

	while (in->events && (n = g_socket_receive(in->events, buf, sizeof(buf), NULL, NULL)) > 0)
		g_string_append_len(in->events_in, buf, n);
	while ((line = strstr(in->events_in->str, "\n"))) {
		size_t len = (size_t)(line - in->events_in->str);
		char *text = g_strndup(in->events_in->str, len);

		g_string_erase(in->events_in, 0, (gssize)len + 1);
		if (g_str_has_prefix(text, "data: ") && strstr(text, "\"r1-delivered\"")) {
			JsonNode *ev = json_from_string(text + 6, NULL);
			JsonObject *o = json_node_get_object(ev);
			gint64 tx = json_object_get_int_member(o, "tx");
			gint64 seq = json_object_get_int_member(o, "seq");
			gpointer had = g_hash_table_lookup(r->r1_seen, GINT_TO_POINTER(tx));

			/* the same event twice (same seq) would be a stream's resend; another is a second R1 */
			if (had && GPOINTER_TO_INT(had) != seq)
				r->r1_twice++;
			g_hash_table_insert(r->r1_seen, GINT_TO_POINTER(tx), GINT_TO_POINTER(seq));
			json_node_unref(ev);
		}
		g_free(text);
	}
}

/* ---- SV1's requests: POST /v1/transactions, answered asynchronously ------------------------ */

static void on_posted(GObject *source, GAsyncResult *res, gpointer user)
{
	struct run *r = user;
	SoupMessage *msg = soup_session_get_async_result_message(SOUP_SESSION(source), res);
	GError *error = NULL;
	GBytes *body = soup_session_send_and_read_finish(SOUP_SESSION(source), res, &error);

	if (soup_message_get_status(msg) == SOUP_STATUS_CREATED) {
		r->created++;
	} else {
		r->refused++;
		g_test_message("POST %s %s -> %u %s%.*s", g_uri_get_host(soup_message_get_uri(msg)),
			       (const char *)g_object_get_data(G_OBJECT(msg), "iccid"),
			       soup_message_get_status(msg), error ? error->message : "",
			       body ? (int)g_bytes_get_size(body) : 0,
			       body ? (const char *)g_bytes_get_data(body, NULL) : "");
	}
	if (body)
		g_bytes_unref(body);
	g_clear_error(&error);
}

static void post_tx(struct run *r, struct instance *in, const char *iccid, unsigned k)
{
	char *url = g_strdup_printf("%s/v1/transactions", in->base);
	char *json = g_strdup_printf("{\"iccid\":\"%s\",\"tar\":\"" TAR_SUBMIT "\","
				     "\"action\":\"display-text\",\"text\":\"Failover %u\","
				     "\"ev\":{\"mg\":false}}", iccid, k);
	SoupMessage *msg = soup_message_new("POST", url);
	GBytes *b = g_bytes_new_take(json, strlen(json));

	soup_message_set_request_body_from_bytes(msg, "application/json", b);
	g_object_set_data_full(G_OBJECT(msg), "iccid", g_strdup_printf("%s #%u on %s", iccid, k,
								       in->name), g_free);
	soup_session_send_and_read_async(r->http, msg, G_PRIORITY_DEFAULT, NULL, on_posted, r);
	r->posted++;
	g_object_unref(msg);
	g_bytes_unref(b);
	g_free(url);
}

/* Pumps every handset and the HTTP client until sql counts at least n (bounded by end). */
static void pump_until(struct run *r, const char *sql, int64_t n, int64_t end)
{
	while (db_int(r, sql) < n) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		device_pump_many(r->d, r->n, 20);
		for (unsigned i = 0; i < 2; i++)
			events_read(r, &r->inst[i]);
	}
}

/* ---- setup ---------------------------------------------------------------------------------- */

static void import_cards(struct run *r)
{
	struct ots_engine_config cfg = { .db_path = r->uri, .instance = "import" };
	struct ots_engine *e;
	struct me_sim_uplink up = { .report = device_up_report, .submit = device_up_submit };
	GError *error = NULL;

	e = ots_engine_new(&cfg, &error);
	g_assert_no_error(error);
	for (unsigned i = 0; i < r->n; i++) {
		char iccid[21], msisdn[16], name[32], *ini, *state;

		card_iccid(i, iccid);
		g_snprintf(msisdn, sizeof(msisdn), "+1555600%04u", i);
		g_snprintf(name, sizeof(name), "%s.ini", iccid);
		ini = write_flow_card_ini(r->dir, name, iccid, msisdn);
		g_assert_true(ots_engine_card_import_file(e, ini, false, NULL, &error));
		g_assert_no_error(error);
		state = g_strdup_printf("%s/%s.state", r->shm, iccid);
		r->me[i] = me_sim_new(ini, state, &up, &error);
		g_assert_no_error(error);
		g_free(ini);
		g_free(state);
	}
	ots_engine_free(e);
}

static void attach(struct run *r, unsigned i, struct instance *in)
{
	char iccid[21];

	card_iccid(i, iccid);
	r->d[i] = device_connect(in->sock, iccid);
	r->d[i]->me = r->me[i];
	r->me[i]->up.user = r->d[i];
}

/* SELECT count(*) of the completed transactions (written by run_setup) */
static char completed_sql[80];
#define COMPLETED completed_sql

/* A run over link ("netsim", "smpp") with n cards; false when it cannot run here (skipped). */
static bool run_setup(struct run *r, const char *link, unsigned n)
{
	static const char *const names[2] = { "a", "b" };
	struct rlimit rl;
	GError *error = NULL;

	if (!pg_cluster_wanted() || !g_getenv("OTA_TEST_SERVER")) {
		g_test_skip("needs OTS_TEST_DB=postgresql and OTA_TEST_SERVER");
		return false;
	}
	r->n = n;
	r->dir = g_dir_make_tmp("ots-failover-XXXXXX", NULL);
	g_snprintf(completed_sql, sizeof(completed_sql),
		   "SELECT count(*) FROM transactions WHERE state = %d", OTS_TX_COMPLETED);
	if (strcmp(link, "smpp") == 0 && !smsc_start(r)) {
		char *cmd = g_strdup_printf("rm -rf '%s'", r->dir);

		g_assert_cmpint(system(cmd), ==, 0);
		g_free(cmd);
		return false;
	}
	r->shm = g_build_filename(g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : r->dir,
				  "ots-failover-cards-XXXXXX", NULL);
	g_assert_nonnull(g_mkdtemp(r->shm));
	r->uri = pg_cluster_new_database(&error);
	g_assert_no_error(error);
	r->d = g_new0(struct device *, r->n);
	r->me = g_new0(struct me_sim *, r->n);
	r->r1_seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	r->http = soup_session_new_with_options("max-conns", 64, "max-conns-per-host", 32,
						"timeout", 60, NULL);
	/* a socket per card here and one in a server */
	g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &rl), ==, 0);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	for (unsigned i = 0; i < 2; i++) {
		struct instance *in = &r->inst[i];

		in->name = names[i];
		in->link = link;
		in->port = test_free_port();
		in->base = g_strdup_printf("http://127.0.0.1:%u", in->port);
		in->sock = g_strdup_printf("%s/netsim-%s.sock", r->dir, in->name);
		in->log = g_strdup_printf("%s/server-%s.log", r->dir, in->name);
	}
	import_cards(r);
	r->db = ots_db_open(r->uri, &error);
	g_assert_no_error(error);
	for (unsigned i = 0; i < 2; i++) {
		instance_spawn(r, &r->inst[i]);
		events_open(&r->inst[i]);
		/* over SMPP, a binds first: the SMSC delivers every MO to it */
		while (r->smsc && smsc_stat(r, "bound") < (int64_t)i + 1)
			g_usleep(20000);
	}
	return true;
}

static void run_teardown(struct run *r)
{
	char *cmd = g_strdup_printf("rm -rf '%s' '%s'", r->dir, r->shm);

	for (unsigned i = 0; i < r->n; i++) {
		if (r->d[i])
			device_free(r->d[i]);
		me_sim_free(r->me[i]);
	}
	for (unsigned i = 0; i < 2; i++) {
		struct instance *in = &r->inst[i];

		if (in->pid) {
			kill(in->pid, SIGKILL);
			waitpid(in->pid, NULL, 0);
		}
		if (in->events)
			g_object_unref(in->events);
		if (in->events_in)
			g_string_free(in->events_in, TRUE);
		g_free(in->sock);
		g_free(in->base);
		g_free(in->log);
	}
	if (r->smsc) {
		kill(r->smsc, SIGKILL);
		waitpid(r->smsc, NULL, 0);
	}
	ots_db_close(r->db);
	g_object_unref(r->http);
	g_hash_table_destroy(r->r1_seen);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(cmd);
	g_free(r->d);
	g_free(r->me);
	g_free(r->uri);
	g_free(r->shm);
	g_free(r->dir);
	g_free(r->smsc_sock);
	g_free(r->smsc_control);
	g_free(r->smsc_out);
}

/* ---- the tests --------------------------------------------------------------------------------- */


/*
 * Two transactions a card; the first of card i to instance i % 2, the second to the
 * other; POST_WINDOW requests in flight (libsoup's queue is walked per message).  The
 * handsets wait meanwhile (their C1s queue in the sockets): the run is young when one dies.
 */
static void post_all(struct run *r, int64_t total, int64_t t0, int64_t end)
{
	for (unsigned j = 0; j < total || r->created + r->refused < r->posted;) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		if (j < total && r->posted - r->created - r->refused < POST_WINDOW) {
			unsigned i = j % r->n, k = j / r->n;
			char iccid[21];

			card_iccid(i, iccid);
			post_tx(r, &r->inst[(i + k) % 2], iccid, k);
			j++;
			continue;
		}
		g_main_context_iteration(NULL, TRUE);
	}
	g_assert_cmpuint(r->refused, ==, 0);
	g_assert_cmpint(db_int(r, "SELECT count(*) FROM transactions"), ==, total);
	g_test_message("%u transactions posted (half through the other instance) after %.1f s",
		       r->created, (double)(g_get_monotonic_time() - t0) / 1e6);
}

/* Once a third are complete, instance i is killed with -9. */
static void kill_one(struct run *r, unsigned i, int64_t total, int64_t t0, int64_t end)
{
	struct instance *in = &r->inst[i];

	pump_until(r, COMPLETED, total / 3, end);
	g_assert_cmpint(kill(in->pid, SIGKILL), ==, 0);
	g_assert_cmpint(waitpid(in->pid, NULL, 0), ==, in->pid);
	in->pid = 0;
	events_read(r, in);
	g_test_message("%s killed with %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " complete after "
		       "%.1f s", in->name, db_int(r, COMPLETED), total,
		       (double)(g_get_monotonic_time() - t0) / 1e6);
	g_assert_cmpint(db_int(r, COMPLETED), <, total);
}

/* Nothing lost, nothing twice; the dead instance's row and leases gone. */
static void check_outcome(struct run *r, int64_t total, const char *dead, int64_t t0)
{
	char *sql;

	g_test_message("all complete after %.1f s; SV1's streams carried %u R1s",
		       (double)(g_get_monotonic_time() - t0) / 1e6, g_hash_table_size(r->r1_seen));
	g_assert_cmpint(db_int(r, "SELECT count(*) FROM transactions"), ==, total);
	g_assert_cmpint(db_int(r, "SELECT count(*) FROM timeline WHERE event = 'r1-delivered'"), ==,
			total);
	g_assert_cmpint(db_int(r, "SELECT count(DISTINCT tx_id) FROM timeline "
			       "WHERE event = 'r1-delivered'"), ==, total);
	g_assert_cmpint(db_int(r, "SELECT count(*) FROM timeline WHERE event = 'released'"), ==,
			total);
	g_assert_cmpuint(r->r1_twice, ==, 0);
	g_assert_cmpuint(g_hash_table_size(r->r1_seen), <=, total);
	g_assert_cmpint(db_int(r, "SELECT count(*) FROM commands"), ==,
			db_int(r, "SELECT count(*) FROM (SELECT DISTINCT iccid, kvn, cntr FROM "
			       "commands) c"));
	g_assert_cmpint(db_int(r, "SELECT count(*) FROM inbox"), ==, 0);
	sql = g_strdup_printf("SELECT count(*) FROM cards WHERE owner = '%s'", dead);
	g_assert_cmpint(db_int(r, sql), ==, 0);
	g_free(sql);
	sql = g_strdup_printf("SELECT count(*) FROM instances WHERE name = '%s'", dead);
	g_assert_cmpint(db_int(r, sql), ==, 0);
	g_free(sql);
	for (unsigned i = 0; i < r->n; i++) {
		char iccid[21];

		card_iccid(i, iccid);
		sql = g_strdup_printf("SELECT max(cntr) FROM commands WHERE iccid = '%s'", iccid);
		g_assert_cmpuint(r->me[i]->refusals, ==, 0);
		g_assert_true(me_sim_counters_increasing(r->me[i]));
		g_assert_cmpint(db_int(r, sql), ==, (int64_t)r->me[i]->counter);
		g_free(sql);
	}
}

static void test_failover(void)
{
	struct run r = { 0 };
	int64_t end, t0 = g_get_monotonic_time(), total;
	unsigned half;

	if (!run_setup(&r, "netsim", failover_cards()))
		return;
	half = r.n / 2;
	total = 2 * (int64_t)r.n;
	end = t0 + 600 * G_USEC_PER_SEC;
	/* each card's handset attaches to its instance, which takes the card's lease */
	for (unsigned i = 0; i < r.n; i++)
		attach(&r, i, &r.inst[i < half ? 0 : 1]);
	pump_until(&r, "SELECT count(*) FROM cards WHERE owner IS NOT NULL", r.n, end);
	g_assert_cmpint(db_int(&r, "SELECT count(*) FROM cards WHERE owner = 'a'"), ==, half);
	g_test_message("%u cards attached, leases taken after %.1f s", r.n,
		       (double)(g_get_monotonic_time() - t0) / 1e6);
	post_all(&r, total, t0, end);
	kill_one(&r, 0, total, t0, end);
	/* its handsets attach to b; b takes a's cards once a's lease has expired */
	for (unsigned i = 0; i < half; i++) {
		device_free(r.d[i]);
		attach(&r, i, &r.inst[1]);
	}
	pump_until(&r, COMPLETED, total, end);
	device_pump_many(r.d, r.n, 200);
	events_read(&r, &r.inst[1]);
	check_outcome(&r, total, "a", t0);
	run_teardown(&r);
}

/* OTS_FAILOVER_SMPP_CARDS, else 200 */
static unsigned smpp_cards(void)
{
	const char *v = g_getenv("OTS_FAILOVER_SMPP_CARDS");
	guint64 n;

	return v && g_ascii_string_to_unsigned(v, 10, 2, 9999, &n, NULL) ? (unsigned)n : 200;
}

static void test_failover_smpp(void)
{
	struct run r = { 0 };
	int64_t end, t0 = g_get_monotonic_time(), total;
	char *log = NULL;

	if (!run_setup(&r, "smpp", smpp_cards()))
		return;
	total = 2 * (int64_t)r.n;
	end = t0 + 600 * G_USEC_PER_SEC;
	/* the handsets are the SMSC's: each says HELLO with its card's number */
	for (unsigned i = 0; i < r.n; i++) {
		char iccid[21], msisdn[16];

		card_iccid(i, iccid);
		g_snprintf(msisdn, sizeof(msisdn), "+1555600%04u", i);
		r.d[i] = device_connect_as(r.smsc_sock, iccid, msisdn);
		r.d[i]->me = r.me[i];
		r.me[i]->up.user = r.d[i];
	}
	while (smsc_stat(&r, "devices") < (int64_t)r.n) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(20000);
	}
	/* the cards' leases go to the instance each is first posted to: half each */
	post_all(&r, total, t0, end);
	g_assert_cmpint(db_int(&r, "SELECT count(*) FROM cards WHERE owner = 'b'"), >, 0);
	kill_one(&r, 1, total, t0, end);
	pump_until(&r, COMPLETED, total, end);
	device_pump_many(r.d, r.n, 200);
	events_read(&r, &r.inst[0]);
	check_outcome(&r, total, "b", t0);
	/* the PoRs for b's cards came to a (the SMSC's first receiver), which handed them over */
	g_assert_true(g_file_get_contents(r.inst[0].log, &log, NULL, NULL));
	g_assert_nonnull(strstr(log, "handed to instance b"));
	/* without --verbose, no timeline event at info level ("tx N (ICCID TXID): KIND") */
	g_assert_null(strstr(log, "): r1-delivered"));
	g_free(log);
	run_teardown(&r);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/failover/two-instances-kill9", test_failover);
	g_test_add_func("/failover/smpp", test_failover_smpp);
	return g_test_run();
}
