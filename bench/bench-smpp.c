/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ota-test-server's SMPP link (doc/smpp.md), measured in one run:
 *
 *  1. submit_sm per second the ESME sustains against a sink SMSC, with a
 *     window of 1, 16 and 64 submit_sm awaiting their response.  The sink is
 *     a small SMSC on libsmpp34 in its own thread (blocking socket, answers
 *     every submit_sm at once); with the test SMSC's node modules installed
 *     (tests/smsc, npm ci), also the node-smpp SMSC in --sink mode, in its
 *     own process.  Loopback TCP.  The ESME's own CPU time per submit_sm is
 *     printed beside the rate.
 *  2. complete deferred transactions per second over SMPP beside the same
 *     over netsim: the engine with N uicc-emu cards behind the tests'
 *     handset simulator (tests/server/me-sim.c), in one thread; over netsim
 *     each card's handset is a netsim device on the server's unix socket;
 *     over SMPP the server is the ESME of an in-process SMSC (libsmpp34 on
 *     loopback TCP) that turns each submit_sm into the handset's SMS-DELIVER
 *     and its RP-ACK data and SMS-SUBMITs into deliver_sm.  DISPLAY TEXT
 *     answered at once, C2 on the MG, R1 stored, release confirmed.  The
 *     server's database on disk (durable commits), the cards' states on tmpfs.
 *
 * usage: bench-smpp [--quick] [--check]
 */
#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>

#include "../tests/server/me-sim.h"
#include "links/conn.h"
#include "links/netsim-server.h"
#include "links/smpp-pdu.h"
#include "links/smpp.h"
#include "simota/netsim.h"
#include "state/card-state.h"
#include "transactions/engine.h"
#include "bench-util.h"

#define SV1 "+15550100"
#define SV2_DIGITS "15550199"

static const char ini_fmt[] =
	"[card]\niccid=%s\nimsi=001010123456789\nmsisdn=%s\n"
	"[keyset 1]\nkic=15\nkid=15\nkic-key=0123456789abcdeffedcba9876543210\n"
	"kid-key=112233445566778899aabbccddeeff00\ncounter=0000000000\n"
	"[tar defe01]\napplet=deferred\nkeysets=1\nmin-security-level=16\nir=event\n"
	"mg-address=" SV1 "\nspi=1619\n";


static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_until(bool (*done)(void *), void *user, double max_s, const char *what)
{
	double end = bench_now_s() + max_s;

	while (!done(user)) {
		if (bench_now_s() > end)
			g_error("timed out: %s", what);
		g_main_context_iteration(NULL, TRUE);
	}
}

/* libsmpp34 packs what the bench's SMSCs send. */
static void pack(uint32_t type, void *pdu, GByteArray *out)
{
	uint8_t buf[600];
	int len = 0;

	if (smpp34_pack(type, buf, sizeof(buf), &len, pdu) != 0)
		g_error("smpp34_pack %08x: %s", type, smpp34_strerror);
	g_byte_array_append(out, buf, (guint)len);
}

/*
 * The SMSC's answer to a request of the ESME (bind, submit_sm, enquire_link,
 * unbind); message ids count from 1.  Other PDUs (the ESME's responses) get none.
 */
static void answer(const struct ots_smpp_header *h, unsigned *next_id, GByteArray *out)
{
	char id[16];

	switch (h->id) {
	case OTS_SMPP_BIND_TRANSCEIVER: {
		bind_transceiver_resp_t r = { .command_id = BIND_TRANSCEIVER_RESP, .sequence_number = h->seq };

		strcpy((char *)r.system_id, "bench");
		pack(BIND_TRANSCEIVER_RESP, &r, out);
		break;
	}
	case OTS_SMPP_SUBMIT_SM: {
		submit_sm_resp_t r = { .command_id = SUBMIT_SM_RESP, .sequence_number = h->seq };

		g_snprintf(id, sizeof(id), "%u", ++*next_id);
		strcpy((char *)r.message_id, id);
		pack(SUBMIT_SM_RESP, &r, out);
		break;
	}
	case OTS_SMPP_ENQUIRE_LINK:
	case OTS_SMPP_UNBIND:
		ots_smpp_pack_header(h->id | OTS_SMPP_RESP, 0, h->seq, out);
		break;
	default:
		break;
	}
}

/* ---- 1. the sink SMSC: a thread, a blocking socket ------------------------------------------- */

struct sink {
	int lfd;
	uint16_t port;
	unsigned submits;
};

static gpointer sink_thread(gpointer p)
{
	struct sink *s = p;
	GByteArray *in = g_byte_array_new(), *out = g_byte_array_new();
	uint8_t buf[65536];
	unsigned next_id = 0;
	int fd = accept(s->lfd, NULL, NULL);
	ssize_t n;

	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
		size_t off = 0;
		struct ots_smpp_header h;

		g_byte_array_append(in, buf, (guint)n);
		while (ots_smpp_frame_next(in->data + off, in->len - off, &h) == OTS_SMPP_FRAME) {
			answer(&h, &next_id, out);
			if (h.id == OTS_SMPP_SUBMIT_SM)
				s->submits++;
			off += h.length;
		}
		g_byte_array_remove_range(in, 0, (guint)off);
		for (size_t w = 0; w < out->len;) {
			ssize_t k = write(fd, out->data + w, out->len - w);

			if (k <= 0)
				goto done;
			w += (size_t)k;
		}
		g_byte_array_set_size(out, 0);
	}
done:
	if (fd >= 0)
		close(fd);
	g_byte_array_unref(in);
	g_byte_array_unref(out);
	return NULL;
}

static int listen_loopback(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0)
		g_error("listen: %s", g_strerror(errno));
	*port = ntohs(a.sin_port);
	return fd;
}

/* A command packet's SMS as the engine hands it to a link: SMS-DELIVER, PID 7F, DCS F6, 61 octets of UD. */
static size_t command_tpdu(uint8_t *tpdu, size_t cap)
{
	struct simota_sms_deliver d = { .pid = 0x7F, .dcs = 0xF6, .tp_mms = true };
	size_t len = 0;

	d.oa.ton = 1;
	d.oa.npi = 1;
	strcpy(d.oa.digits, SV2_DIGITS);
	d.ud.udhi = true;
	d.ud.len = d.ud.udl = 61;
	d.ud.ud[0] = 0x02;
	d.ud.ud[1] = 0x70;
	if (simota_sms_deliver_encode(&d, tpdu, cap, &len) != SIMOTA_OK)
		g_error("SMS-DELIVER");
	return len;
}

static struct ots_engine *engine_new(const char *dir, const char *name)
{
	struct ots_engine_config cfg = { 0 };
	char *db = g_build_filename(dir, name, NULL);
	GError *error = NULL;
	struct ots_engine *e;

	cfg.db_path = db;
	cfg.sv1_address = SV1;
	cfg.por_timeout_ms = 600000;     /* nothing is lost here: no resend may add load */
	e = ots_engine_new(&cfg, &error);
	if (!e)
		g_error("engine: %s", error->message);
	g_free(db);
	return e;
}

static void smpp_config(struct ots_smpp_config *c, uint16_t port, unsigned window)
{
	memset(c, 0, sizeof(*c));
	c->host = g_strdup("127.0.0.1");
	c->port = port;
	strcpy(c->system_id, "bench");
	strcpy(c->password, "bench");
	c->window = window;
	c->data_coding = 0xF6;
	c->rp_ack_forwarded = true;
	c->enquire_link_ms = 30000;
	c->response_timeout_ms = 30000;
	c->reconnect_min_ms = 100;
	c->reconnect_max_ms = 1000;
	c->throttle_ms = 100;
	c->queue_max = 10000000;
}

static int64_t status_count(struct ots_smpp *l, const char *member)
{
	JsonNode *n = ots_smpp_status(l);
	int64_t v = json_object_get_int_member(json_node_get_object(n), member);

	json_node_unref(n);
	return v;
}

struct esme_run {
	struct ots_smpp *l;
	unsigned want;
	bool done;
};

static bool bound(void *p)
{
	return ots_smpp_bound(((struct esme_run *)p)->l);
}

/* A look at the link's counters every 2 ms: the ESME's thread does little else. */
static gboolean look(gpointer p)
{
	struct esme_run *r = p;

	r->done = status_count(r->l, "accepted") >= r->want;
	return r->done ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static bool all_accepted(void *p)
{
	return ((struct esme_run *)p)->done;
}

/* One window against the SMSC on port: n submit_sm; the rate, the ESME's CPU per submit_sm. */
static void esme_rate(const char *dir, const char *sink_name, uint16_t port, unsigned window,
		      unsigned n)
{
	struct ots_engine *e = engine_new(dir, "esme.db");
	struct ots_smpp_config cfg;
	struct esme_run r = { .want = n };
	uint8_t tpdu[SIMOTA_SMS_TPDU_MAX];
	size_t len = command_tpdu(tpdu, sizeof(tpdu));
	GError *error = NULL;
	double t0, c0, t, c;

	smpp_config(&cfg, port, window);
	r.l = ots_smpp_new(e, &cfg, "+" SV2_DIGITS, &error);
	ots_smpp_config_clear(&cfg);
	if (!r.l)
		g_error("smpp: %s", error->message);
	run_until(bound, &r, 10, "bound");
	t0 = bench_now_s();
	c0 = thread_cpu_s();
	for (unsigned i = 0; i < n; i++)
		if (!ots_smpp_send(r.l, "+15550001", i + 1, tpdu, len))
			g_error("the link refused SMS %u", i + 1);
	g_timeout_add(2, look, &r);
	run_until(all_accepted, &r, 600, "every submit_sm answered");
	t = bench_now_s() - t0;
	c = thread_cpu_s() - c0;
	printf("  %-24s window %2u: %6u submit_sm in %6.2f s = %8.0f submit_sm/s; ESME thread CPU "
	       "%5.1f us per submit_sm (%.0f%% of a core)\n", sink_name, window, n, t, n / t, c / n * 1e6,
	       100 * c / t);
	fflush(stdout);
	ots_smpp_free(r.l);
	ots_engine_free(e);
}

static void c_sink_rates(const char *dir, bool quick)
{
	static const unsigned windows[] = { 1, 16, 64 };

	for (unsigned i = 0; i < G_N_ELEMENTS(windows); i++) {
		struct sink s = { 0 };
		GThread *th;
		unsigned n = windows[i] == 1 ? (quick ? 5000 : 20000) : (quick ? 20000 : 100000);

		s.lfd = listen_loopback(&s.port);
		th = g_thread_new("sink", sink_thread, &s);
		esme_rate(dir, "libsmpp34 sink (thread)", s.port, windows[i], n);
		g_thread_join(th);
		close(s.lfd);
	}
}

/* The test SMSC (tests/smsc/smsc.js --sink) when its node modules are installed. */
static void node_sink_rates(const char *dir, bool quick)
{
	const char *mods = g_getenv("STKBRIDGE_SMSC_MODULES");
	char *node_path = mods ? g_build_filename(mods, "node_modules", NULL) :
		g_strdup(BUILD_DIR "/tests/e2e/smsc/node_modules");
	char *js = g_build_filename(SOURCE_DIR, "tests", "smsc", "smsc.js", NULL);
	char *smpp_mod = g_build_filename(node_path, "smpp", NULL);
	char *argv[] = { "node", js, "--smpp-port", "0", "--sink", "--system-id", "bench",
			 "--password", "bench", NULL };
	char **envp = NULL;
	GError *error = NULL;
	GPid pid;
	int out_fd;
	char line[256] = "", *node = g_find_program_in_path("node");
	ssize_t n = 0;
	const char *p;

	if (!g_file_test(smpp_mod, G_FILE_TEST_IS_DIR) || !node) {
		printf("  node-smpp sink: not measured (no node, or the test SMSC's modules are not "
		       "installed: they are by the SMPP e2e tests, npm ci in %s)\n", node_path);
		goto out;
	}
	envp = g_environ_setenv(g_get_environ(), "NODE_PATH", node_path, TRUE);
	if (!g_spawn_async_with_pipes(NULL, argv, envp, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
				      NULL, NULL, &pid, NULL, &out_fd, NULL, &error))
		g_error("node: %s", error->message);
	for (size_t got = 0; got < sizeof(line) - 1 && !strchr(line, '\n'); got += (size_t)n) {
		n = read(out_fd, line + got, sizeof(line) - 1 - got);
		if (n <= 0)
			break;
		line[got + (size_t)n] = '\0';
	}
	p = strstr(line, "\"smpp-port\":");
	if (!p) {
		printf("  node-smpp sink: did not start (%s)\n", line);
	} else {
		uint16_t port = (uint16_t)strtoul(p + 12, NULL, 10);

		esme_rate(dir, "node-smpp sink (process)", port, 16, quick ? 10000 : 50000);
		esme_rate(dir, "node-smpp sink (process)", port, 64, quick ? 10000 : 50000);
	}
	kill(pid, SIGTERM);
	g_spawn_close_pid(pid);
	close(out_fd);
	g_strfreev(envp);
out:
	g_free(node);
	g_free(smpp_mod);
	g_free(js);
	g_free(node_path);
}

/* ---- 2. transactions over netsim and over SMPP ----------------------------------------------------- */

struct card {
	char iccid[21], msisdn[24];
	struct me_sim *me;
	struct ots_conn *dev;      /* netsim: the handset's device link */
	uint32_t next_id;
};

static struct {
	struct ots_engine *e;
	struct card *cards;
	unsigned n_cards;
	GHashTable *by_msisdn;     /* digits -> struct card */
	struct ots_conn *esme;     /* SMPP: the in-process SMSC's connection to the ESME */
	unsigned smsc_ids;
	uint32_t smsc_seq;
	unsigned n_tx, started, finished, completed, failed, window, next_card;
	guint start_source;
} T;

/* The server closed a bench connection (the run is over): forget it. */
static void dev_gone(void *user, const char *why)
{
	(void)why;
	((struct card *)user)->dev = NULL;
}

static void esme_gone(void *user, const char *why)
{
	(void)user;
	(void)why;
	T.esme = NULL;
}

/* netsim (doc/netsim.md): a handset's device link */
static void dev_on_data(void *user)
{
	struct card *card = user;
	struct ots_conn *c = card->dev;
	size_t off = 0, blen, used;
	const uint8_t *body;
	uint8_t type;
	static struct simota_netsim_frame f;
	const char *why;

	while (simota_netsim_frame_next(c->in->data + off, c->in->len - off, &type, &body, &blen,
					&used) == SIMOTA_NETSIM_FRAME) {
		if (simota_netsim_frame_decode(type, body, blen, &f, &why) == 0 &&
		    type == SIMOTA_NETSIM_DELIVER)
			me_sim_deliver(card->me, f.id, f.tpdu, f.tpdu_len);
		off += used;
	}
	g_byte_array_remove_range(c->in, 0, (guint)off);
}

static void dev_report(void *user, uint32_t id, bool rp_error, uint8_t cause, const uint8_t *tpdu,
		       size_t len)
{
	struct card *card = user;
	struct simota_netsim_frame f = { .type = SIMOTA_NETSIM_DELIVER_REPORT, .id = id,
					 .rp = rp_error, .cause = cause, .tpdu_len = len };

	memcpy(f.tpdu, tpdu, len);
	simota_netsim_frame_encode(&f, card->dev->out);
	ots_conn_flush(card->dev);
}

static void dev_submit(void *user, const uint8_t *tpdu, size_t len)
{
	struct card *card = user;
	struct simota_netsim_frame f = { .type = SIMOTA_NETSIM_SUBMIT, .id = ++card->next_id,
					 .tpdu_len = len };

	memcpy(f.tpdu, tpdu, len);
	simota_netsim_frame_encode(&f, card->dev->out);
	ots_conn_flush(card->dev);
}

static void dev_attach(struct card *card, const char *path)
{
	GSocketClient *client = g_socket_client_new();
	GSocketAddress *a = g_unix_socket_address_new(path);
	struct simota_netsim_frame hello = { .type = SIMOTA_NETSIM_HELLO, .version = SIMOTA_NETSIM_VERSION };
	GError *error = NULL;
	GSocketConnection *sc = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(a), NULL, &error);

	if (!sc)
		g_error("netsim: %s", error->message);
	card->dev = ots_conn_new(sc, dev_on_data, dev_gone, card);
	g_object_unref(sc);
	g_strlcpy(hello.iccid, card->iccid, sizeof(hello.iccid));
	g_strlcpy(hello.msisdn, card->msisdn, sizeof(hello.msisdn));
	simota_netsim_frame_encode(&hello, card->dev->out);
	ots_conn_flush(card->dev);
	g_object_unref(a);
	g_object_unref(client);
}

/* SMPP: the in-process SMSC.  A deliver_sm to the ESME (SMPP 3.4 §4.6.1). */
static void smsc_deliver_sm(const struct card *card, const struct simota_sms_address *da, uint8_t esm,
			    uint8_t pid, uint8_t dcs, const uint8_t *ud, size_t len)
{
	deliver_sm_t d;

	memset(&d, 0, sizeof(d));
	d.command_id = DELIVER_SM;
	d.sequence_number = ++T.smsc_seq;
	d.source_addr_ton = TON_International;
	d.source_addr_npi = NPI_ISDN_E163_E164;
	g_strlcpy((char *)d.source_addr, card->msisdn + 1, sizeof(d.source_addr));
	d.dest_addr_ton = da->ton;
	d.dest_addr_npi = da->npi;
	g_strlcpy((char *)d.destination_addr, da->digits, sizeof(d.destination_addr));
	d.esm_class = esm;
	d.protocol_id = pid;
	d.data_coding = dcs;
	d.sm_length = (uint8_t)len;
	memcpy(d.short_message, ud, len);
	pack(DELIVER_SM, &d, T.esme->out);
	ots_conn_flush(T.esme);
}

/* the RP-ACK's data (the PoR) forwarded, as pySim-smpp2sim does */
static void smsc_report(void *user, uint32_t id, bool rp_error, uint8_t cause, const uint8_t *tpdu,
			size_t len)
{
	struct simota_sms_address sv2 = { .ton = 1, .npi = 1, .digits = SV2_DIGITS };
	struct simota_sms_deliver_report r;

	(void)id;
	(void)cause;
	if (len && simota_sms_deliver_report_decode(tpdu, len, rp_error, &r) == SIMOTA_OK &&
	    r.has_ud && r.ud.len)
		smsc_deliver_sm(user, &sv2, 0x40, 0x7F, 0xF6, r.ud.ud, r.ud.len);
}

static void smsc_submit(void *user, const uint8_t *tpdu, size_t len)
{
	struct simota_sms_submit s;

	if (simota_sms_submit_decode(tpdu, len, 0, &s) == SIMOTA_OK)
		smsc_deliver_sm(user, &s.da, s.ud.udhi ? 0x40 : 0, s.pid, s.dcs, s.ud.ud, s.ud.len);
}

/* SMPP 3.4 §4.4.1: a submit_sm becomes the SMS-DELIVER its card gets. */
static void smsc_submit_sm(const uint8_t *pdu, size_t len)
{
	submit_sm_t *s = g_new0(submit_sm_t, 1);
	struct simota_sms_deliver d = { .tp_mms = true };
	uint8_t *copy = g_malloc0(len + 1), tpdu[SIMOTA_SMS_TPDU_MAX];
	size_t tlen;
	struct card *card;

	memcpy(copy, pdu, len);
	if (smpp34_unpack(SUBMIT_SM, s, copy, (int)len) != 0)
		g_error("submit_sm: %s", smpp34_strerror);
	card = g_hash_table_lookup(T.by_msisdn, s->destination_addr);
	d.oa.ton = s->source_addr_ton;
	d.oa.npi = s->source_addr_npi;
	g_strlcpy(d.oa.digits, (const char *)s->source_addr, sizeof(d.oa.digits));
	d.pid = s->protocol_id;
	d.dcs = s->data_coding;
	d.ud.udhi = (s->esm_class & 0x40) != 0;
	d.ud.len = d.ud.udl = s->sm_length;
	memcpy(d.ud.ud, s->short_message, s->sm_length);
	if (!card || simota_sms_deliver_encode(&d, tpdu, sizeof(tpdu), &tlen) != SIMOTA_OK)
		g_error("submit_sm to %s", s->destination_addr);
	me_sim_deliver(card->me, ++T.smsc_ids, tpdu, tlen);
	destroy_tlv(s->tlv);
	g_free(s);
	g_free(copy);
}

static void smsc_on_data(void *user)
{
	struct ots_conn *c = T.esme;
	struct ots_smpp_header h;
	size_t off = 0;

	(void)user;
	while (ots_smpp_frame_next(c->in->data + off, c->in->len - off, &h) == OTS_SMPP_FRAME) {
		answer(&h, &T.smsc_ids, c->out);
		ots_conn_flush(c);
		if (h.id == OTS_SMPP_SUBMIT_SM)
			smsc_submit_sm(c->in->data + off, h.length);
		off += h.length;
	}
	g_byte_array_remove_range(c->in, 0, (guint)off);
}

static gboolean smsc_incoming(GSocketService *service, GSocketConnection *sc, GObject *src, gpointer p)
{
	T.esme = ots_conn_new(sc, smsc_on_data, esme_gone, NULL);
	return TRUE;
}

/* the transactions */
static gboolean start_more(gpointer p);

static void on_event(const struct ots_event *ev, void *user)
{
	if (strcmp(ev->kind, "r1-delivered") == 0)
		T.completed++;
	else if (strcmp(ev->kind, "failed") == 0)
		T.failed++;
	if (strcmp(ev->kind, "released") == 0 || strcmp(ev->kind, "failed") == 0 ||
	    strcmp(ev->kind, "release-unconfirmed") == 0) {
		T.finished++;
		if (T.started < T.n_tx && !T.start_source)
			T.start_source = g_idle_add(start_more, NULL);
	}
}

static gboolean start_more(gpointer p)
{
	T.start_source = 0;
	while (T.started < T.n_tx && T.started - T.finished < T.window) {
		struct card *c = &T.cards[T.next_card++ % T.n_cards];
		struct ots_tx_request req = { .iccid = c->iccid, .action = SIMOTA_DEFERRED_DISPLAY_TEXT,
					      .text = "Pay 25 EUR to ACME?" };
		GError *error = NULL;
		uint64_t id;

		ots_ev_policy_init(&req.ev);
		if (!ots_engine_tx_start(T.e, &req, &id, &error))
			g_error("tx start: %s", error->message);
		T.started++;
	}
	return G_SOURCE_REMOVE;
}

static bool all_finished(void *p)
{
	(void)p;
	return T.finished >= T.n_tx;
}

/* p: the number of netsim devices to wait for; NULL: the SMPP link bound */
static bool attached(void *p)
{
	JsonNode *links = ots_engine_links_json(T.e);
	JsonObject *o = json_array_get_object_element(json_node_get_array(links), 0);
	bool done = p ? json_object_get_int_member(o, "devices") >= *(unsigned *)p :
		strcmp(json_object_get_string_member(o, "state"), "bound") == 0;

	json_node_unref(links);
	return done;
}

/* One run: N cards, T transactions, at most W in flight, over "netsim" or "smpp". */
static double tx_rate(const char *dir, const char *shm, const char *route, unsigned n_cards,
		      unsigned n_tx, unsigned window)
{
	struct me_sim_uplink up = { 0 };
	bool smpp = strcmp(route, "smpp") == 0;
	char *sdir = g_build_filename(shm, "bench-smpp-cards-XXXXXX", NULL);
	char *ini = NULL, *text, *db_name = g_strdup_printf("%s.db", route), *sock, *cmd;
	struct simota_card_config *tmpl;
	struct ots_netsim *ns = NULL;
	struct ots_smpp *link = NULL;
	GSocketService *smsc = NULL;
	GError *error = NULL;
	double t0, t;

	g_assert_nonnull(g_mkdtemp(sdir));
	memset(&T, 0, sizeof(T));
	T.e = engine_new(dir, db_name);
	ots_engine_subscribe(T.e, on_event, NULL);
	ini = g_build_filename(sdir, "template.ini", NULL);
	text = g_strdup_printf(ini_fmt, "89882390000000000017", "+15550001");
	g_assert_true(g_file_set_contents_full(ini, text, -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
	g_free(text);
	tmpl = uicc_card_config_load(ini, &error);
	g_assert_no_error(error);
	T.n_cards = n_cards;
	T.cards = g_new0(struct card, n_cards);
	T.by_msisdn = g_hash_table_new(g_str_hash, g_str_equal);
	up.report = smpp ? smsc_report : dev_report;
	up.submit = smpp ? smsc_submit : dev_submit;
	for (unsigned i = 0; i < n_cards; i++) {
		struct card *c = &T.cards[i];
		char *state;

		g_snprintf(c->iccid, sizeof(c->iccid), "8988239%013u", i);
		g_snprintf(c->msisdn, sizeof(c->msisdn), "+1555%07u", i);
		state = g_strdup_printf("%s/%s.state", sdir, c->iccid);
		up.user = c;
		c->me = me_sim_new_copy(tmpl, c->iccid, c->msisdn, state, &up, &error);
		if (!c->me)
			g_error("card %u: %s", i, error->message);
		g_free(state);
		g_hash_table_insert(T.by_msisdn, c->msisdn + 1, c);
		text = g_strdup_printf(ini_fmt, c->iccid, c->msisdn);
		if (!ots_engine_card_import_data(T.e, text, strlen(text), false, NULL, &error))
			g_error("import: %s", error->message);
		g_free(text);
	}
	if (smpp) {
		struct ots_smpp_config cfg;
		uint16_t port;

		smsc = g_socket_service_new();
		port = g_socket_listener_add_any_inet_port(G_SOCKET_LISTENER(smsc), NULL, &error);
		g_assert_no_error(error);
		g_signal_connect(smsc, "incoming", G_CALLBACK(smsc_incoming), NULL);
		g_socket_service_start(smsc);
		smpp_config(&cfg, port, 64);
		link = ots_smpp_new(T.e, &cfg, "+" SV2_DIGITS, &error);
		ots_smpp_config_clear(&cfg);
		g_assert_no_error(error);
		run_until(attached, NULL, 10, "bound");
	} else {
		sock = g_build_filename(sdir, "netsim.sock", NULL);
		text = g_strdup_printf("unix:%s", sock);
		ns = ots_netsim_new(T.e, text, &error);
		g_assert_no_error(error);
		for (unsigned i = 0; i < n_cards; i++) {
			unsigned n = i + 1;

			dev_attach(&T.cards[i], sock);
			run_until(attached, &n, 10, "device accepted");   /* one thread: accept as we go */
		}
		g_free(text);
		g_free(sock);
	}
	T.n_tx = n_tx;
	T.window = window;
	t0 = bench_now_s();
	start_more(NULL);
	run_until(all_finished, NULL, 3600, "transactions");
	t = bench_now_s() - t0;
	printf("  over %-6s %u cards, %u transactions (%u in flight at most): %u completed, %u failed "
	       "in %.2f s = %.1f complete transactions/s\n", route, n_cards, n_tx, window, T.completed,
	       T.failed, t, T.completed / t);
	fflush(stdout);

	ots_smpp_free(link);
	ots_netsim_free(ns);
	if (smsc) {
		g_socket_service_stop(smsc);
		g_socket_listener_close(G_SOCKET_LISTENER(smsc));
		g_object_unref(smsc);
	}
	ots_engine_free(T.e);
	while (g_main_context_iteration(NULL, FALSE))
		;
	if (T.esme)
		ots_conn_close(T.esme);
	for (unsigned i = 0; i < n_cards; i++) {
		if (T.cards[i].dev)
			ots_conn_close(T.cards[i].dev);
		me_sim_free(T.cards[i].me);
	}
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_free(T.cards);
	g_hash_table_destroy(T.by_msisdn);
	simota_card_config_free(tmpl);
	cmd = g_strdup_printf("rm -rf '%s'", sdir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench-smpp: %s failed\n", cmd);
	g_free(cmd);
	g_free(ini);
	g_free(sdir);
	g_free(db_name);
	return T.completed / t;
}

static GLogWriterOutput quiet_writer(GLogLevelFlags level, const GLogField *fields, gsize n,
				     gpointer user)
{
	if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG))
		return G_LOG_WRITER_HANDLED;
	return g_log_writer_default(level, fields, n, user);
}

int main(int argc, char **argv)
{
	const char *disk = g_getenv("TMPDIR") ? g_getenv("TMPDIR") : "/var/tmp";
	const char *shm = g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : disk;
	char *dir = g_build_filename(disk, "bench-smpp-XXXXXX", NULL), *cmd;
	bool quick = false;
	unsigned cards, txs;
	double ns_rate, smpp_rate;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else if (strcmp(argv[i], "--check") != 0) {   /* bench/run.sh: figures only */
			fprintf(stderr, "usage: %s [--quick] [--check]\n", argv[0]);
			return 2;
		}
	}
	g_log_set_writer_func(quiet_writer, NULL, NULL);
	signal(SIGPIPE, SIG_IGN);
	g_assert_nonnull(g_mkdtemp(dir));
	printf("bench-smpp: ota-test-server's SMPP link (ESME), loopback TCP\n");
	printf("1. submit_sm per second against a sink SMSC (every submit_sm answered at once)\n");
	c_sink_rates(dir, quick);
	node_sink_rates(dir, quick);
	cards = quick ? 50 : 200;
	txs = quick ? 300 : 2000;
	printf("2. complete deferred transactions per second, the same engine and %u uicc-emu cards "
	       "behind handset simulators (one thread), server DB in %s, card states in %s\n", cards,
	       disk, shm);
	ns_rate = tx_rate(dir, shm, "netsim", cards, txs, 64);
	smpp_rate = tx_rate(dir, shm, "smpp", cards, txs, 64);
	printf("  smpp / netsim: %.2f (same run)\n", smpp_rate / ns_rate);
	cmd = g_strdup_printf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench-smpp: %s failed\n", cmd);
	g_free(cmd);
	g_free(dir);
	return 0;
}
