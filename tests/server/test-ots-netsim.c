/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ota-test-server over its netsim link, with the server in a child process:
 *  - kill -9 of the server after C1, after the IR, after the MG: after a
 *    restart the transaction completes and no counter is reused, checked
 *    from the card's side (a real uicc-emu card behind the handset
 *    simulator me-sim.c, in this process: its keyset counter and its
 *    refusals) and in the server's database;
 *  - bad input on the link (unknown types, unknown ids, garbage TPDUs,
 *    frames before HELLO, truncated frames, impossible lengths): clear
 *    ERROR frames, and another device keeps being served;
 *  - the daemon itself (ota-test-server): starts, serves, exits 0 on SIGTERM;
 *  - an RFM campaign over 1 000 cards (OTS_CAMPAIGN_CARDS), the server
 *    killed with -9 in the middle: after a restart every card is done, no
 *    card done before the kill got another packet, no counter reused;
 *  - 200 deferred transactions started in one loop turn (one group-commit
 *    batch), the server killed with -9 while their steps are batched: after
 *    a restart each completes once, every MG the server acknowledged is
 *    stored, no counter reused.
 * The children run the engine with group commit (batch_max as the daemon).
 * The child is this program run with --child (the engine and netsim of the
 * daemon, plus a transaction started from the command line).
 */
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/db.h"
#include "me-sim.h"
#include "netsim-device.h"
#include "pg-cluster.h"
#include "simota/netsim.h"
#include "links/netsim-server.h"
#include "server-test.h"
#include "transactions/engine.h"
#include "transactions/rfm.h"

/* ---- the child: engine + netsim ------------------------------------------------ */

/* The child's engine on db, dying with the test. */
static struct ots_engine *child_engine(const char *db, uint32_t por_timeout_ms)
{
	struct ots_engine_config cfg = {
		.db_path = db, .por_timeout_ms = por_timeout_ms, .backoff_initial_ms = 100,
		.max_attempts = 20, .batch_max = OTS_BATCH_MAX_CHANGES,   /* group commit, as the daemon */
	};
	struct ots_engine *e;
	GError *error = NULL;

	prctl(PR_SET_PDEATHSIG, SIGKILL);   /* never outlive the test */
	e = ots_engine_new(&cfg, &error);
	if (!e)
		g_error("child: %s", error->message);
	return e;
}

typedef bool (*child_start_fn)(struct ots_engine *e, JsonNode *request, uint64_t *id, GError **error);

/* The netsim link on sock, start(request) when there is one, then the main loop for ever. */
static int child_serve(struct ots_engine *e, const char *sock, child_start_fn start, const char *request)
{
	GMainLoop *loop = g_main_loop_new(NULL, FALSE);
	GError *error = NULL;

	if (!ots_netsim_new(e, sock, &error))
		g_error("child: %s", error->message);
	if (request && *request) {
		JsonNode *n = json_from_string(request, NULL);
		uint64_t id;

		if (!start(e, n, &id, &error))
			g_error("child: %s", error->message);
		json_node_unref(n);
	}
	g_main_loop_run(loop);
	return 0;
}

static void import_card(struct ots_engine *e, const char *ini)
{
	GError *error = NULL;

	if (!ots_engine_card_import_file(e, ini, false, NULL, &error))
		g_error("child: %s", error->message);
}

/* The cards DIR/ICCID.ini of iccid_of(0..n-1). */
static void import_numbered(struct ots_engine *e, const char *dir, unsigned n,
			    void (*iccid_of)(unsigned i, char iccid[21]))
{
	for (unsigned i = 0; i < n; i++) {
		char iccid[21], *ini;

		iccid_of(i, iccid);
		ini = g_strdup_printf("%s/%s.ini", dir, iccid);
		import_card(e, ini);
		g_free(ini);
	}
}

/* The child of the flow tests: the cards of ini (one card config, or several separated by
 * ','), and a transaction started when start is given. */
static int child_main(const char *db, const char *sock, const char *ini, const char *start)
{
	struct ots_engine *e = child_engine(db, 300);
	JsonNode *card = ots_engine_card_show(e, TEST_ICCID, NULL);

	if (card) {
		json_node_unref(card);
	} else {
		char **inis = g_strsplit(ini, ",", -1);

		for (char **i = inis; *i; i++)
			import_card(e, *i);
		g_strfreev(inis);
	}
	return child_serve(e, sock, ots_engine_tx_start_json, start);
}

/* The campaign child: cards DIR/ICCID.ini of campaign_iccid(0..n-1), imported and sent
 * the campaign's script when start is "1"; resumed from the database otherwise. */
static void campaign_iccid(unsigned i, char iccid[21]);
static const char campaign_request[] =
	"{\"name\":\"kill -9\",\"tar\":\"b00001\",\"apdus\":[\"00a4000c026f46\","
	"\"00d6000011014f54412053504effffffffffffffffff\",\"00b0000011\"],\"all\":true,\"rate\":500}";

static int child_campaign(const char *db, const char *sock, const char *dir, unsigned n, bool start)
{
	struct ots_engine *e = child_engine(db, 3000);

	if (start)
		import_numbered(e, dir, n, campaign_iccid);
	return child_serve(e, sock, ots_engine_campaign_start_json, start ? campaign_request : NULL);
}

/* The batch child: cards DIR/ICCID.ini of batch_iccid(0..n-1), imported, and one transaction
 * each (PoRs by SMS-SUBMIT) started in one loop turn when start is "1"; resumed otherwise. */
static void batch_iccid(unsigned i, char iccid[21]);

static int child_batch(const char *db, const char *sock, const char *dir, unsigned n, bool start)
{
	struct ots_engine *e = child_engine(db, 3000);
	GMainLoop *loop = g_main_loop_new(NULL, FALSE);
	GError *error = NULL;

	if (start)
		import_numbered(e, dir, n, batch_iccid);
	if (!ots_netsim_new(e, sock, &error))
		g_error("child: %s", error->message);
	for (unsigned i = 0; start && i < n; i++) {
		char iccid[21], *req;
		JsonNode *node;
		uint64_t id;

		batch_iccid(i, iccid);
		req = g_strdup_printf("{\"iccid\":\"%s\",\"tar\":\"" TAR_SUBMIT "\","
				      "\"action\":\"display-text\",\"text\":\"Batch %u\","
				      "\"ev\":{\"mg\":false}}", iccid, i);
		node = json_from_string(req, NULL);
		if (!ots_engine_tx_start_json(e, node, &id, &error))
			g_error("child: %s", error->message);
		json_node_unref(node);
		g_free(req);
	}
	g_main_loop_run(loop);
	return 0;
}

struct server {
	char *dir, *db, *sock, *ini, *state;
	char *imports;           /* the child's card configs when more than s->ini (',' between them) */
	GPid pid;
	struct ots_db *h;     /* the test's own connection, to watch the server's progress */
};

static char *self_exe;

static void server_spawn(struct server *s, const char *start)
{
	char *argv[] = { self_exe, "--child", s->db, g_strconcat("unix:", s->sock, NULL), s->imports ? s->imports : s->ini,
			 (char *)(start ? start : ""), NULL };
	GError *error = NULL;

	g_assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
				    &s->pid, &error));
	g_assert_no_error(error);
	g_free(argv[3]);
}

static void server_kill9(struct server *s)
{
	int status;

	g_assert_cmpint(kill(s->pid, SIGKILL), ==, 0);
	g_assert_cmpint(waitpid(s->pid, &status, 0), ==, s->pid);
	g_spawn_close_pid(s->pid);
	s->pid = 0;
}

static void server_setup(struct server *s)
{
	s->dir = g_dir_make_tmp("ots-netsim-XXXXXX", NULL);
	s->db = test_db_target(s->dir, "server.db");
	s->sock = g_build_filename(s->dir, "netsim.sock", NULL);
	s->ini = write_flow_card_ini(s->dir, "card.ini", TEST_ICCID, "+15550001");
	s->state = g_build_filename(s->dir, "card.state", NULL);
}

static void server_teardown(struct server *s)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", s->dir);

	if (s->pid)
		server_kill9(s);
	ots_db_close(s->h);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(cmd);
	g_free(s->dir);
	g_free(s->db);
	g_free(s->sock);
	g_free(s->ini);
	g_free(s->state);
	g_free(s->imports);
}

static int64_t db_int(struct server *s, const char *sql)
{
	GError *error = NULL;

	if (!s->h) {
		s->h = ots_db_open(s->db, &error);
		g_assert_no_error(error);
	}
	return test_db_int(s->h, sql);
}

/* Pumps until transaction 1 is in this state (OTS_TX_*). */
static bool pump_until_state(struct server *s, struct device *d, int state, unsigned ms)
{
	int64_t end = g_get_monotonic_time() + (int64_t)ms * 1000;

	while (g_get_monotonic_time() < end) {
		if (db_int(s, "SELECT state FROM transactions WHERE id = 1") == state)
			return true;
		device_pump(d, 20);
	}
	return false;
}

enum kill_point { KILL_AFTER_C1, KILL_AFTER_IR, KILL_AFTER_MG };

/*
 * A server started with this transaction, and the card's handset connected to it; the user
 * answers when the test says (this process runs no main loop).
 */
static struct device *server_and_handset(struct server *s, const char *start, struct me_sim **me)
{
	struct me_sim_uplink up = { .report = device_up_report, .submit = device_up_submit };
	struct device *d;
	GError *error = NULL;

	server_setup(s);
	server_spawn(s, start);
	d = device_connect(s->sock, TEST_ICCID);
	up.user = d;
	*me = me_sim_new(s->ini, s->state, &up, &error);
	g_assert_no_error(error);
	(*me)->user.delay_ms = ME_SIM_MANUAL;
	d->me = *me;
	return d;
}

static void test_kill9(gconstpointer data)
{
	enum kill_point point = GPOINTER_TO_INT(data);
	struct server s = { 0 };
	struct me_sim *me;
	struct device *d;

	d = server_and_handset(&s, "{\"iccid\":\"" TEST_ICCID "\",\"tar\":\"" TAR_UNTIL_MG "\","
			       "\"action\":\"display-text\",\"text\":\"Pay 25 € to ACME?\","
			       "\"ev\":{\"wanted\":{\"form\":\"until-mg\"}}}", &me);

	if (point == KILL_AFTER_C1) {
		/* the card takes C1, but the server dies before the PoR comes back */
		d->drop_uplink = true;
		while (me->envelopes == 0)
			device_pump(d, 50);
		g_assert_cmpuint(me->counters->len, ==, 1);
		server_kill9(&s);
	} else {
		g_assert_true(pump_until_state(&s, d, OTS_TX_WAITING, 5000));
		if (point == KILL_AFTER_IR) {
			server_kill9(&s);
		} else {
			/* the user answers; the MG goes; the server dies before the C2 is answered */
			g_assert_true(me_sim_user_answer(me));
			g_assert_cmpuint(me->submits, ==, 1);
			d->drop_uplink = true;
			while (db_int(&s, "SELECT count(*) FROM timeline WHERE event = 'mg-received'") < 1)
				device_pump(d, 20);
			server_kill9(&s);
		}
	}
	device_free(d);

	/* restart; the device reconnects */
	server_spawn(&s, NULL);
	d = device_connect(s.sock, TEST_ICCID);
	me->up.user = d;
	d->me = me;
	if (point != KILL_AFTER_MG) {
		g_assert_true(pump_until_state(&s, d, OTS_TX_WAITING, 5000));
		g_assert_true(me_sim_user_answer(me));
	}
	g_assert_true(pump_until_state(&s, d, OTS_TX_COMPLETED, 8000));
	device_pump(d, 100);

	/* no counter reused: the card refused nothing, its counter only went up, to the server's last */
	g_assert_cmpuint(me->refusals, ==, 0);
	g_assert_true(me_sim_counters_increasing(me));
	g_assert_cmpint(db_int(&s, "SELECT count(*) FROM commands"), ==,
			db_int(&s, "SELECT count(DISTINCT cntr) FROM commands"));
	g_assert_cmpint(db_int(&s, "SELECT max(cntr) FROM commands"), ==, (int64_t)me->counter);
	g_assert_cmpint(db_int(&s, "SELECT count(*) FROM timeline WHERE event = 'r1-delivered'"), ==, 1);
	g_assert_cmpint(db_int(&s, "SELECT count(*) FROM timeline WHERE event = 'released'"), ==, 1);
	/* one proactive session on the handset, whatever was resent */
	g_assert_cmpuint(me->shown, ==, 1);

	device_free(d);
	me_sim_free(me);
	server_teardown(&s);
}

/*
 * A PoR in a DELIVER-REPORT through the netsim link with TP-UDHI 1 (ours) and 0 (Android's
 * first octet 00): links/netsim-server.c and the engine take both (doc/wire-formats.md).
 */
static void test_por_udhi(gconstpointer data)
{
	struct server s = { 0 };
	struct me_sim *me;
	struct device *d;

	d = server_and_handset(&s, "{\"iccid\":\"" TEST_ICCID "\",\"tar\":\"" TAR_FIXED "\","
			       "\"action\":\"display-text\",\"text\":\"Pay 25 € to ACME?\",\"ev\":{\"mg\":false}}",
			       &me);
	me->android_report = GPOINTER_TO_INT(data);
	g_assert_true(pump_until_state(&s, d, OTS_TX_WAITING, 5000));
	g_assert_true(me_sim_user_answer(me));
	g_assert_true(pump_until_state(&s, d, OTS_TX_COMPLETED, 8000));
	g_assert_cmpuint(d->errors, ==, 0);
	g_assert_cmpint(db_int(&s, "SELECT count(*) FROM timeline WHERE event = 'por-received'"), ==, 3);
	g_assert_cmpint(db_int(&s, "SELECT count(*) FROM timeline WHERE event = 'r1-delivered'"), ==, 1);
	g_assert_cmpuint(me->reports, ==, 3);
	g_assert_cmpuint(me->reports_udhi, ==, me->android_report ? 0 : 3);
	device_free(d);
	me_sim_free(me);
	server_teardown(&s);
}

static void test_bad_input(void)
{
	static const uint8_t unknown_type[] = { 0, 0, 0, 1, 0x42 };
	static const uint8_t truncated_hello[] = { 0, 0, 0, 2, 0x01, 1 };   /* no ICCID/MSISDN */
	static const uint8_t huge[] = { 0xFF, 0xFF, 0xFF, 0xFF, 0x01 };
	struct server s = { 0 };
	struct device *a, *b, *c;
	struct simota_netsim_frame f = { 0 };

	server_setup(&s);
	server_spawn(&s, NULL);
	b = device_connect(s.sock, TEST_ICCID);    /* the well-behaved device */
	a = device_connect(s.sock, NULL);

	/* before HELLO */
	f.type = SIMOTA_NETSIM_SUBMIT;
	f.id = 1;
	f.tpdu_len = 1;
	device_send_frame(a, &f);
	device_pump(a, 300);
	g_assert_cmpuint(a->last_error, ==, SIMOTA_NETSIM_E_NO_HELLO);

	/* HELLO with a bad ICCID, then a good one */
	memset(&f, 0, sizeof(f));
	f.type = SIMOTA_NETSIM_HELLO;
	g_strlcpy(f.iccid, "89x", sizeof(f.iccid));
	device_send_frame(a, &f);
	device_pump(a, 300);
	g_assert_cmpuint(a->last_error, ==, SIMOTA_NETSIM_E_MALFORMED);
	g_strlcpy(f.iccid, "89882390000000000099", sizeof(f.iccid));
	device_send_frame(a, &f);

	device_send_raw(a, unknown_type, sizeof(unknown_type));
	device_pump(a, 300);
	g_assert_cmpuint(a->last_error, ==, SIMOTA_NETSIM_E_UNKNOWN_TYPE);

	memset(&f, 0, sizeof(f));
	f.type = SIMOTA_NETSIM_DELIVER_REPORT;
	f.id = 12345;
	device_send_frame(a, &f);
	device_pump(a, 300);
	g_assert_cmpuint(a->last_error, ==, SIMOTA_NETSIM_E_UNKNOWN_ID);

	memset(&f, 0, sizeof(f));
	f.type = SIMOTA_NETSIM_SUBMIT;
	f.id = 9;
	f.tpdu_len = 3;
	f.tpdu[0] = 0x01;
	f.tpdu[1] = 0xFF;
	f.tpdu[2] = 0x99;
	device_send_frame(a, &f);
	device_pump(a, 300);
	g_assert_cmpuint(a->last_error, ==, SIMOTA_NETSIM_E_BAD_TPDU);
	g_assert_cmpuint(a->submit_reports, ==, 1);

	/* a frame whose body is cut short by its own length */
	device_send_raw(a, truncated_hello, sizeof(truncated_hello));
	device_pump(a, 300);
	g_assert_cmpuint(a->last_error, ==, SIMOTA_NETSIM_E_MALFORMED);

	/* an impossible length: error, then the link closes */
	device_send_raw(a, huge, sizeof(huge));
	device_pump(a, 1000);
	g_assert_cmpuint(a->last_error, ==, SIMOTA_NETSIM_E_FRAME_LENGTH);
	g_assert_true(a->closed);

	/* a device that sends half a frame and hangs up */
	c = device_connect(s.sock, NULL);
	device_send_raw(c, huge + 1, 2);
	device_free(c);

	/* the other device is still served */
	memset(&f, 0, sizeof(f));
	f.type = SIMOTA_NETSIM_PING;
	f.id = 77;
	device_send_frame(b, &f);
	device_pump(b, 500);
	g_assert_cmpuint(b->pongs, ==, 1);
	g_assert_cmpuint(b->errors, ==, 0);

	device_free(a);
	device_free(b);
	server_teardown(&s);
}

/*
 * doc/netsim.md: a card is reached through the device attached with its
 * ICCID, else through one attached with its MSISDN (as a network routes by
 * number): a host-side card behind a modem whose own SIM carries the number.
 */
/* Pumps until d has had n DELIVERs (bounded: fails after 10 s). */
static void pump_until_delivers(struct device *d, unsigned n)
{
	int64_t end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

	while (d->delivers < n) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		device_pump(d, 50);
	}
}

static void test_route_by_msisdn(void)
{
	struct server s = { 0 };
	struct device *modem, *handset;
	unsigned before;

	server_setup(&s);
	server_spawn(&s, "{\"iccid\":\"" TEST_ICCID "\",\"tar\":\"" TAR_UNTIL_MG "\","
		     "\"action\":\"display-text\",\"text\":\"Pay 25 € to ACME?\","
		     "\"ev\":{\"wanted\":{\"form\":\"until-mg\"}}}");
	/* a modem: its own SIM is no card of the server's; it carries the card's number */
	modem = device_connect_as(s.sock, "89882390000000000099", "+15550001");
	pump_until_delivers(modem, 1);
	g_assert_cmpuint(modem->errors, ==, 0);
	/* a device with the card's ICCID comes: the command is sent again, to it */
	before = modem->delivers;
	handset = device_connect(s.sock, TEST_ICCID);
	pump_until_delivers(handset, 1);
	device_pump(modem, 200);
	g_assert_cmpuint(modem->delivers, ==, before);
	/* the number alone, no ICCID at all, reaches the card too */
	device_free(handset);
	device_free(modem);
	modem = device_connect_as(s.sock, NULL, "15550001");
	pump_until_delivers(modem, 1);
	device_free(modem);
	server_teardown(&s);
}

/*
 * The host-side card's PoR by SMS-SUBMIT through a modem whose own SIM is
 * registered too (both carry the number): credited to the card whose
 * command it answers, not to the SIM the device announced (the QMI modem's
 * case, doc/plugin.md: its HELLO names its own SIM, the card behind it is
 * the host's).
 */
static void test_por_submit_behind_a_modem(void)
{
	struct me_sim_uplink up = { .report = device_up_report, .submit = device_up_submit };
	struct server s = { 0 };
	struct device *modem;
	struct me_sim *me;
	GError *error = NULL;
	char *modem_sim;

	server_setup(&s);
	modem_sim = write_card_ini(s.dir, "modem-sim.ini", TEST_ICCID2, "+15550001");
	s.imports = g_strconcat(s.ini, ",", modem_sim, NULL);
	server_spawn(&s, "{\"iccid\":\"" TEST_ICCID "\",\"tar\":\"" TAR_SUBMIT "\","
		     "\"action\":\"display-text\",\"text\":\"Behind the modem\",\"ev\":{\"mg\":false}}");
	modem = device_connect_as(s.sock, TEST_ICCID2, "+15550001");
	up.user = modem;
	me = me_sim_new(s.ini, s.state, &up, &error);      /* the host-side card */
	g_assert_no_error(error);
	me->user.delay_ms = ME_SIM_MANUAL;
	modem->me = me;
	/* C1 reaches the card by the number; its PoR (the IR) comes back by SMS-SUBMIT */
	g_assert_true(pump_until_state(&s, modem, OTS_TX_WAITING, 5000));
	g_assert_true(me_sim_user_answer(me));
	g_assert_true(pump_until_state(&s, modem, OTS_TX_COMPLETED, 8000));
	g_assert_cmpint(db_int(&s, "SELECT count(*) FROM timeline WHERE event = 'por-received' AND "
			       "detail LIKE '%\"via\":\"sms-submit\"%'"), ==, 3);
	g_assert_cmpint(db_int(&s, "SELECT count(*) FROM timeline WHERE event = 'por-invalid'"), ==, 0);
	g_assert_cmpint(db_int(&s, "SELECT count(*) FROM timeline WHERE event = 'r1-delivered'"), ==, 1);
	g_assert_cmpint(db_int(&s, "SELECT count(*) FROM transactions WHERE iccid = '" TEST_ICCID2 "'"), ==, 0);
	g_assert_cmpuint(me->submits, ==, 3);
	device_free(modem);
	me_sim_free(me);
	g_free(modem_sim);
	server_teardown(&s);
}

static void test_frame_codec(void)
{
	struct simota_netsim_frame f = { .type = SIMOTA_NETSIM_DELIVER_REPORT, .id = 0x01020304, .rp = 1,
				      .cause = 0x6F, .tpdu_len = 3, .tpdu = { 0, 0xD5, 0 } };
	static struct simota_netsim_frame g;
	GByteArray *b = g_byte_array_new();
	const uint8_t *body;
	const char *why;
	size_t blen, used;
	uint8_t type;

	simota_netsim_frame_encode(&f, b);
	g_assert_cmpuint(b->len, ==, 4 + 1 + 4 + 2 + 3);
	for (size_t cut = 0; cut < b->len; cut++)
		g_assert_cmpint(simota_netsim_frame_next(b->data, cut, &type, &body, &blen, &used), ==,
				SIMOTA_NETSIM_NEED_MORE);
	g_assert_cmpint(simota_netsim_frame_next(b->data, b->len, &type, &body, &blen, &used), ==,
			SIMOTA_NETSIM_FRAME);
	g_assert_cmpuint(used, ==, b->len);
	g_assert_cmpint(simota_netsim_frame_decode(type, body, blen, &g, &why), ==, 0);
	g_assert_cmpuint(g.id, ==, f.id);
	g_assert_cmpuint(g.rp, ==, 1);
	g_assert_cmpuint(g.cause, ==, 0x6F);
	g_assert_cmpmem(g.tpdu, g.tpdu_len, f.tpdu, f.tpdu_len);
	/* every truncation of the body is refused, never read past */
	for (size_t cut = 0; cut < 6; cut++)
		g_assert_cmpint(simota_netsim_frame_decode(type, body, cut, &g, &why), ==,
				SIMOTA_NETSIM_E_MALFORMED);
	g_byte_array_unref(b);
}

/* the daemon: --import, serve a HELLO, SIGTERM → exit 0 */
static void test_daemon(void)
{
	const char *bin = g_getenv("OTA_TEST_SERVER");
	struct server s = { 0 };
	struct device *d;
	char *netsim;
	int status;

	if (!bin) {
		g_test_skip("OTA_TEST_SERVER not set");
		return;
	}
	server_setup(&s);
	netsim = g_strconcat("unix:", s.sock, NULL);
	{
		char *argv[] = { (char *)bin, "--db", s.db, "--netsim", netsim, "--import", s.ini,
				 "--address", "+15550199", "--sv1-address", "+15550100", NULL };

		g_assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
					    &s.pid, NULL));
	}
	d = device_connect(s.sock, TEST_ICCID);
	{
		struct simota_netsim_frame f = { .type = SIMOTA_NETSIM_PING, .id = 1 };

		device_send_frame(d, &f);
	}
	device_pump(d, 1000);
	g_assert_cmpuint(d->pongs, ==, 1);
	g_assert_cmpint(db_int(&s, "SELECT count(*) FROM cards"), ==, 1);
	g_assert_cmpint(kill(s.pid, SIGTERM), ==, 0);
	g_assert_cmpint(waitpid(s.pid, &status, 0), ==, s.pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	g_spawn_close_pid(s.pid);
	s.pid = 0;
	device_free(d);
	g_free(netsim);
	server_teardown(&s);
}

/* ---- many cards, the server killed in the middle ------------------------------------------------ */

/* A directory for the cards' own state files, on tmpfs: their fsyncs are not the server's to count. */
static char *shm_dir_new(struct server *s)
{
	char *shm = g_build_filename(g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : s->dir,
				     "ots-cards-XXXXXX", NULL);

	g_assert_nonnull(g_mkdtemp(shm));
	return shm;
}

static void shm_dir_free(char *shm)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", shm);

	g_assert_cmpint(system(cmd), ==, 0);
	g_free(cmd);
	g_free(shm);
}

/* ---- an RFM campaign over many cards -------------------------------------------------------------- */

static void campaign_iccid(unsigned i, char iccid[21])
{
	g_snprintf(iccid, 21, "8988239000000030%04u", i);
}

/* OTS_CAMPAIGN_CARDS, else 1 000 */
static unsigned campaign_cards(void)
{
	const char *v = g_getenv("OTS_CAMPAIGN_CARDS");
	guint64 n;

	return v && g_ascii_string_to_unsigned(v, 10, 1, 9999, &n, NULL) ? (unsigned)n : 1000;
}

static void campaign_spawn(struct server *s, unsigned n, bool start)
{
	char *argv[] = { self_exe, "--child-campaign", s->db, g_strconcat("unix:", s->sock, NULL), s->dir,
			 g_strdup_printf("%u", n), start ? "1" : "0", NULL };
	GError *error = NULL;

	g_assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
				    &s->pid, &error));
	g_assert_no_error(error);
	g_free(argv[3]);
	g_free(argv[5]);
}

static void campaign_connect(struct server *s, struct device **d, struct me_sim **me, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		char iccid[21];

		campaign_iccid(i, iccid);
		d[i] = device_connect(s->sock, iccid);
		d[i]->me = me[i];
		me[i]->up.user = d[i];
	}
}

/* The ICCIDs of the campaign's cards in this state (a set). */
static GHashTable *cards_in_state(struct server *s, int state)
{
	GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	struct ots_db_stmt *st = ots_db_stmt(s->h, "SELECT iccid FROM campaign_cards WHERE state = ?");
	GError *error = NULL;

	ots_db_bind_int(st, 1, state);
	while (ots_db_next(st, &error))
		g_hash_table_add(set, g_strdup(ots_db_column_text(st, 0)));
	ots_db_reset(st);
	g_assert_no_error(error);
	return set;
}

#define CARD_DONE 2     /* campaign_cards.state (transactions/campaign.c) */

/*
 * 1 000 cards (a uicc-emu card with the RFM applet behind a handset each, on
 * the netsim link), one campaign (SELECT, UPDATE BINARY and READ BINARY of
 * EF_SPN, 500 packets/s), the server killed with -9 once 40 % of the cards
 * are done, while hundreds of operations are out: after the restart the
 * campaign resumes and completes, every card done with the new EF_SPN read
 * back; a card done before the kill got no envelope afterwards; no card
 * refused a packet, counters only went up, none was used twice.
 */
static void test_campaign_kill9(void)
{
	unsigned n = campaign_cards();
	struct device **d = g_new0(struct device *, n);
	struct me_sim **me = g_new0(struct me_sim *, n);
	unsigned *envelopes = g_new0(unsigned, n);
	struct me_sim_uplink up = { .report = device_up_report, .submit = device_up_submit };
	struct server s = { 0 };
	struct rlimit rl;
	GHashTable *done;
	char *shm;
	int64_t end, t0 = g_get_monotonic_time();
	char *sql = g_strdup_printf("SELECT count(*) FROM campaign_cards WHERE state = %d", CARD_DONE);
	unsigned before = 0;

	/* two sockets a card, in this process and the server */
	g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &rl), ==, 0);
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < 2 * n + 64) {
		g_test_skip("not enough file descriptors for the cards' links");
		g_free(d);
		g_free(me);
		g_free(envelopes);
		g_free(sql);
		return;
	}
	server_setup(&s);
	shm = shm_dir_new(&s);
	for (unsigned i = 0; i < n; i++) {
		char iccid[21], msisdn[16], *ini, *state;
		GError *error = NULL;

		campaign_iccid(i, iccid);
		g_snprintf(msisdn, sizeof(msisdn), "+1555300%04u", i);
		ini = write_rfm_card_ini(s.dir, iccid, msisdn, NULL);
		state = g_strdup_printf("%s/%s.state", shm, iccid);
		me[i] = me_sim_new(ini, state, &up, &error);
		g_assert_no_error(error);
		g_free(ini);
		g_free(state);
	}
	campaign_spawn(&s, n, true);
	campaign_connect(&s, d, me, n);

	end = g_get_monotonic_time() + 300 * G_USEC_PER_SEC;
	g_test_message("cards connected after %.1f s", (double)(g_get_monotonic_time() - t0) / 1e6);
	while (db_int(&s, sql) < (int64_t)n * 2 / 5) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		device_pump_many(d, n, 5);
	}
	/* the cards done now must never hear of the campaign again */
	done = cards_in_state(&s, CARD_DONE);
	for (unsigned i = 0; i < n; i++)
		envelopes[i] = me[i]->envelopes;
	server_kill9(&s);
	g_test_message("killed with %u cards done, %" G_GINT64_FORMAT " active after %.1f s",
		       g_hash_table_size(done),
		       db_int(&s, "SELECT count(*) FROM campaign_cards WHERE state = 1"),
		       (double)(g_get_monotonic_time() - t0) / 1e6);
	g_assert_cmpint(db_int(&s, "SELECT count(*) FROM campaign_cards WHERE state = 1"), >, 0);
	for (unsigned i = 0; i < n; i++)
		device_free(d[i]);

	campaign_spawn(&s, n, false);
	campaign_connect(&s, d, me, n);
	while (db_int(&s, "SELECT state FROM campaigns WHERE id = 1") == 0) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		device_pump_many(d, n, 50);
	}
	device_pump_many(d, n, 100);
	g_test_message("campaign completed after %.1f s", (double)(g_get_monotonic_time() - t0) / 1e6);

	g_assert_cmpint(db_int(&s, sql), ==, n);
	/* one operation per attempt (a card whose PoR never came is tried again, with fresh
	 * counters: on a loaded machine the first attempts may time out before the cards
	 * attach), and exactly one answered with the script's result per card */
	g_assert_cmpint(db_int(&s, "SELECT count(*) FROM rfm_ops WHERE campaign_id = 1"), ==,
			db_int(&s, "SELECT sum(attempts) FROM campaign_cards WHERE campaign_id = 1"));
	g_assert_cmpint(db_int(&s, "SELECT count(*) FROM transactions WHERE result LIKE "
			       "'%\"data\":\"014f54412053504effffffffffffffffff\"%'"), ==, n);
	g_assert_cmpint(db_int(&s, "SELECT count(*) FROM commands"), ==,
			db_int(&s, "SELECT count(*) FROM (SELECT DISTINCT iccid, kvn, cntr FROM commands) c"));
	for (unsigned i = 0; i < n; i++) {
		char iccid[21];

		campaign_iccid(i, iccid);
		g_assert_cmpuint(me[i]->refusals, ==, 0);
		g_assert_true(me_sim_counters_increasing(me[i]));
		if (g_hash_table_contains(done, iccid)) {
			g_assert_cmpuint(me[i]->envelopes, ==, envelopes[i]);
			before++;
		}
		device_free(d[i]);
		me_sim_free(me[i]);
	}
	g_assert_cmpuint(before, ==, g_hash_table_size(done));
	g_hash_table_destroy(done);
	g_free(d);
	g_free(me);
	g_free(envelopes);
	g_free(sql);
	server_teardown(&s);
	shm_dir_free(shm);
}

/* ---- a large group-commit batch, the server killed in the middle -------------------------- */

#define BATCH_CARDS 200

static void batch_iccid(unsigned i, char iccid[21])
{
	g_snprintf(iccid, 21, "8988239000000040%04u", i);
}

static void batch_spawn(struct server *s, bool start)
{
	char *argv[] = { self_exe, "--child-batch", s->db, g_strconcat("unix:", s->sock, NULL), s->dir,
			 (char *)G_STRINGIFY(BATCH_CARDS), start ? "1" : "0", NULL };
	GError *error = NULL;

	g_assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
				    &s->pid, &error));
	g_assert_no_error(error);
	g_free(argv[3]);
}

static void batch_connect(struct server *s, struct device **d, struct me_sim **me)
{
	for (unsigned i = 0; i < BATCH_CARDS; i++) {
		char iccid[21];

		batch_iccid(i, iccid);
		d[i] = device_connect(s->sock, iccid);
		d[i]->me = me[i];
		me[i]->up.user = d[i];
	}
}

/* Pumps every device until sql counts at least n (bounded by end). */
static void batch_pump_until(struct server *s, struct device **d, const char *sql, int64_t n,
			     int64_t end)
{
	while (db_int(s, sql) < n) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		device_pump_many(d, BATCH_CARDS, 5);
	}
}

/* The SUBMIT-REPORTs the cards have had so far. */
static unsigned batch_acked(struct device **d)
{
	unsigned n = 0;

	for (unsigned i = 0; i < BATCH_CARDS; i++)
		n += d[i]->submit_reports;
	return n;
}

/* How many of this timeline event the card's transactions have stored. */
static int64_t batch_events(struct server *s, const char *iccid, const char *event)
{
	char *sql = g_strdup_printf("SELECT count(*) FROM timeline JOIN transactions t ON t.id = tx_id "
				    "WHERE t.iccid = '%s' AND event = '%s'", iccid, event);
	int64_t n = db_int(s, sql);

	g_free(sql);
	return n;
}

/*
 * 200 cards on the netsim link, one transaction each started in one loop
 * turn (TAR_SUBMIT: every PoR comes by SMS-SUBMIT, which the server
 * acknowledges with a SUBMIT-REPORT): their C1s and PoRs go through the
 * engine in batches of many entry points.  The server is killed with -9 in
 * the middle of the burst of C1 PoRs.  Every PoR whose SUBMIT-REPORT a card
 * got before the kill is in the database; after a restart every
 * transaction completes with one R1 and one release; no card refused a
 * packet, each card's counter only went up, to the highest the server
 * recorded for it, and none was used twice.
 */
static void test_batch_kill9(void)
{
	struct device **d = g_new0(struct device *, BATCH_CARDS);
	struct me_sim **me = g_new0(struct me_sim *, BATCH_CARDS);
	struct me_sim_uplink up = { .report = device_up_report, .submit = device_up_submit };
	struct server s = { 0 };
	int64_t end = g_get_monotonic_time() + 300 * G_USEC_PER_SEC;
	char *completed = g_strdup_printf("SELECT count(*) FROM transactions WHERE state = %d",
					  OTS_TX_COMPLETED);
	unsigned acked = 0;
	char *shm;

	server_setup(&s);
	shm = shm_dir_new(&s);
	for (unsigned i = 0; i < BATCH_CARDS; i++) {
		char iccid[21], msisdn[16], name[32], *ini, *state;
		GError *error = NULL;

		batch_iccid(i, iccid);
		g_snprintf(msisdn, sizeof(msisdn), "+1555400%04u", i);
		g_snprintf(name, sizeof(name), "%s.ini", iccid);
		ini = write_flow_card_ini(s.dir, name, iccid, msisdn);
		state = g_strdup_printf("%s/%s.state", shm, iccid);
		me[i] = me_sim_new(ini, state, &up, &error);
		g_assert_no_error(error);
		g_free(ini);
		g_free(state);
	}
	batch_spawn(&s, true);
	batch_connect(&s, d, me);
	/* while the other cards' PoRs are coming in, batch after batch */
	batch_pump_until(&s, d, "SELECT count(*) FROM timeline WHERE event = 'por-received'",
			 BATCH_CARDS / 2, end);
	/* a batch is in the database file before the worker's fdatasync returns, and its
	 * SUBMIT-REPORTs leave after: some must have left, or nothing acknowledged is tested */
	while (batch_acked(d) == 0) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		device_pump_many(d, BATCH_CARDS, 5);
	}
	server_kill9(&s);
	g_test_message("killed with %" G_GINT64_FORMAT " PoRs stored",
		       db_int(&s, "SELECT count(*) FROM timeline WHERE event = 'por-received'"));
	g_assert_cmpint(db_int(&s, completed), <, BATCH_CARDS);
	/* acknowledged means stored: every SUBMIT-REPORT sent before the kill (read to the
	 * end of the stream) for a PoR the database has */
	for (unsigned i = 0; i < BATCH_CARDS; i++) {
		char iccid[21];

		batch_iccid(i, iccid);
		d[i]->me = NULL;        /* what the dead server sent last is counted, not acted on */
		while (!d[i]->closed)
			device_pump(d[i], 1000);
		g_assert_cmpint(batch_events(&s, iccid, "por-received"), >=, d[i]->submit_reports);
		acked += d[i]->submit_reports;
		device_free(d[i]);
	}
	g_assert_cmpuint(acked, >, 0);

	batch_spawn(&s, false);
	batch_connect(&s, d, me);
	batch_pump_until(&s, d, completed, BATCH_CARDS, end);
	device_pump_many(d, BATCH_CARDS, 100);

	g_assert_cmpint(db_int(&s, "SELECT count(*) FROM transactions"), ==, BATCH_CARDS);
	g_assert_cmpint(db_int(&s, "SELECT count(*) FROM timeline WHERE event = 'r1-delivered'"), ==,
			BATCH_CARDS);
	g_assert_cmpint(db_int(&s, "SELECT count(*) FROM timeline WHERE event = 'released'"), ==,
			BATCH_CARDS);
	g_test_message("%u PoRs acknowledged before the kill, all stored", acked);
	g_assert_cmpint(db_int(&s, "SELECT count(*) FROM commands"), ==,
			db_int(&s, "SELECT count(*) FROM (SELECT DISTINCT iccid, kvn, cntr FROM commands) c"));
	for (unsigned i = 0; i < BATCH_CARDS; i++) {
		char iccid[21], *sql;

		batch_iccid(i, iccid);
		sql = g_strdup_printf("SELECT max(cntr) FROM commands WHERE iccid = '%s'", iccid);
		g_assert_cmpuint(me[i]->refusals, ==, 0);
		g_assert_true(me_sim_counters_increasing(me[i]));
		g_assert_cmpint(db_int(&s, sql), ==, (int64_t)me[i]->counter);
		g_free(sql);
		device_free(d[i]);
		me_sim_free(me[i]);
	}
	g_free(d);
	g_free(me);
	g_free(completed);
	server_teardown(&s);
	shm_dir_free(shm);
}

int main(int argc, char **argv)
{
	if (argc >= 7 && strcmp(argv[1], "--child-batch") == 0)
		return child_batch(argv[2], argv[3], argv[4], (unsigned)atoi(argv[5]),
				   strcmp(argv[6], "1") == 0);
	if (argc >= 7 && strcmp(argv[1], "--child-campaign") == 0)
		return child_campaign(argv[2], argv[3], argv[4], (unsigned)atoi(argv[5]),
				      strcmp(argv[6], "1") == 0);
	if (argc >= 6 && strcmp(argv[1], "--child") == 0)
		return child_main(argv[2], argv[3], argv[4], argv[5]);
	self_exe = g_file_read_link("/proc/self/exe", NULL);
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/netsim/frame-codec", test_frame_codec);
	g_test_add_func("/netsim/bad-input", test_bad_input);
	g_test_add_func("/netsim/daemon", test_daemon);
	g_test_add_data_func("/netsim/por-udhi-1", GINT_TO_POINTER(0), test_por_udhi);
	g_test_add_data_func("/netsim/por-udhi-0", GINT_TO_POINTER(1), test_por_udhi);
	g_test_add_func("/netsim/route-by-msisdn", test_route_by_msisdn);
	g_test_add_func("/netsim/por-submit-behind-a-modem", test_por_submit_behind_a_modem);
	g_test_add_data_func("/netsim/kill9/after-c1", GINT_TO_POINTER(KILL_AFTER_C1), test_kill9);
	g_test_add_data_func("/netsim/kill9/after-ir", GINT_TO_POINTER(KILL_AFTER_IR), test_kill9);
	g_test_add_data_func("/netsim/kill9/after-mg", GINT_TO_POINTER(KILL_AFTER_MG), test_kill9);
	g_test_add_func("/netsim/kill9/rfm-campaign", test_campaign_kill9);
	g_test_add_func("/netsim/kill9/batch", test_batch_kill9);
	return g_test_run();
}
