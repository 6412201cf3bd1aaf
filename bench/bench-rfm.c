/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFM round trips per second through ota-test-server's engine to emulated
 * cards (doc/rfm.md, "The server side"; doc/testing.md, benchmarks).  Each
 * card is a uicc-emu card with the RFM applet behind the tests' handset
 * simulator, on the tests' in-process link (tests/server/me-link.c); the
 * server's database is SQLite on disk with its durable commits, the cards'
 * state files are on tmpfs (/dev/shm) so that their own fsyncs are not the
 * server's.
 *
 * A round trip is one RFM operation: the request checked and stored, the
 * script secured with a fresh durable counter, the SMS-DELIVER to the card,
 * the card's RFM applet running SELECT EF_SPN and READ BINARY (17 bytes),
 * the PoR back in the DELIVER-REPORT, verified, decoded and stored.
 *
 * For each number of cards N:
 *  - single operations: T operations, at most W in flight on distinct cards
 *    (one session per card), compact and then expanded scripts: round trips
 *    per second, and the time from the packet leaving to the result stored
 *    (script-sent to rfm-result), p50 and p99;
 *  - a campaign of the same compact script to the N cards, unthrottled
 *    (rate 100 000/s): cards done per second;
 * printed with the ratios measured in this run (expanded / compact,
 * campaign / single operations).
 *
 * usage: bench-rfm [--quick] [--cards N]... [--ops T] [--window W]
 *   default N = 1, 100, 1000, T = 2000, W = 64; --quick: N = 1, 100, T = 300.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/server/me-link.h"
#include "transactions/rfm.h"
#include "bench-util.h"

static const char script_compact[] =
	"\"tar\":\"b00001\",\"apdus\":[\"00a4000c026f46\",\"00b0000011\"]";
static const char script_expanded[] =
	"\"tar\":\"b00001\",\"format\":\"expanded\",\"apdus\":[\"00a4000c026f46\",\"00b0000011\"]";

static const char ini_fmt[] =
	"[card]\niccid=%s\nimsi=001010123456789\nmsisdn=%s\nadm1=11223344\nspn=bench\n"
	"[keyset 1]\nkic=15\nkid=15\nkic-key=0123456789abcdeffedcba9876543210\n"
	"kid-key=112233445566778899aabbccddeeff00\ncounter=0000000000\n"
	"[tar b00001]\napplet=rfm\nrfm-df=adf-usim\naccess=adm1\nkeysets=1\nmin-security-level=16\n";

struct bench {
	struct ots_engine *e;
	struct me_link *link;
	char **iccids;
	unsigned n_cards;
	/* the current run */
	const char *script;
	unsigned n_ops, started, finished, failed, window, next_card;
	GHashTable *sent_at;      /* tx id -> first script-sent time (us) */
	GArray *latency_us;       /* int64_t */
	guint start_source;
	bool campaign;
	unsigned campaign_done;
};

static struct bench B;


static gboolean start_more(gpointer p);

static void on_event(const struct ots_event *ev, void *user)
{
	gpointer key = GSIZE_TO_POINTER(ev->tx_id);
	bool end = false;

	if (strcmp(ev->kind, "script-sent") == 0) {
		if (!g_hash_table_contains(B.sent_at, key))
			g_hash_table_insert(B.sent_at, key, g_memdup2(&ev->at_us, sizeof(ev->at_us)));
	} else if (strcmp(ev->kind, "rfm-result") == 0) {
		int64_t *t = g_hash_table_lookup(B.sent_at, key);
		int64_t d = t ? ev->at_us - *t : 0;

		g_array_append_val(B.latency_us, d);
		end = true;
	} else if (strcmp(ev->kind, "failed") == 0) {
		B.failed++;
		end = true;
	} else if (strcmp(ev->kind, "campaign-card") == 0) {
		JsonNode *n = json_from_string(ev->detail, NULL);
		JsonObject *d = json_node_get_object(n);

		if (strcmp(json_object_get_string_member(d, "state"), "done") == 0)
			B.campaign_done++;
		else if (strcmp(json_object_get_string_member(d, "state"), "failed") == 0)
			B.failed++;
		json_node_unref(n);
	}
	if (end && !B.campaign) {
		B.finished++;
		if (B.started < B.n_ops && !B.start_source)
			B.start_source = g_idle_add(start_more, NULL);
	}
}

static void start_one(void)
{
	char *text = g_strdup_printf("{%s,\"iccid\":\"%s\"}", B.script,
				     B.iccids[B.next_card++ % B.n_cards]);
	JsonNode *req = json_from_string(text, NULL);
	GError *error = NULL;
	uint64_t id;

	if (!ots_engine_rfm_start_json(B.e, req, &id, &error))
		g_error("rfm start: %s", error->message);
	json_node_unref(req);
	g_free(text);
	B.started++;
}

static gboolean start_more(gpointer p)
{
	B.start_source = 0;
	while (B.started < B.n_ops && B.started - B.finished < B.window)
		start_one();
	return G_SOURCE_REMOVE;
}

static bool ops_done(void *user)
{
	return B.finished >= B.n_ops;
}

static bool campaign_done(void *user)
{
	return B.campaign_done + B.failed >= B.n_cards;
}

static void run_until(bool (*done)(void *user))
{
	if (!me_link_run(done, NULL, 600000))
		g_error("timed out: %u started, %u finished, %u failed, %u campaign cards done",
			B.started, B.finished, B.failed, B.campaign_done);
}

static int cmp_i64(gconstpointer a, gconstpointer b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static double percentile_ms(GArray *a, double p)
{
	if (!a->len)
		return 0;
	g_array_sort(a, cmp_i64);
	return (double)g_array_index(a, int64_t, (guint)((a->len - 1) * p)) / 1000.0;
}

static void reset_run(void)
{
	B.started = B.finished = B.failed = B.campaign_done = 0;
	g_hash_table_remove_all(B.sent_at);
	g_array_set_size(B.latency_us, 0);
}

/* Round trips/s of n_ops single operations with this script, window in flight. */
static double single_ops(const char *script, unsigned n_ops, unsigned window, double *p50, double *p99)
{
	double t0, dt;

	reset_run();
	B.script = script;
	B.n_ops = n_ops;
	B.window = MIN(window, B.n_cards);
	B.campaign = false;
	t0 = bench_now_s();
	start_more(NULL);
	run_until(ops_done);
	dt = bench_now_s() - t0;
	if (B.failed)
		g_error("%u operations failed", B.failed);
	*p50 = percentile_ms(B.latency_us, 0.5);
	*p99 = percentile_ms(B.latency_us, 0.99);
	return n_ops / dt;
}

/* Cards done/s of a campaign of the compact script over every card. */
static double campaign_rate(void)
{
	JsonNode *req = json_from_string("{\"tar\":\"b00001\",\"apdus\":[\"00a4000c026f46\","
					 "\"00b0000011\"],\"all\":true,\"rate\":100000,\"retries\":0}", NULL);
	GError *error = NULL;
	uint64_t id;
	double t0;

	reset_run();
	B.campaign = true;
	t0 = bench_now_s();
	if (!ots_engine_campaign_start_json(B.e, req, &id, &error))
		g_error("campaign: %s", error->message);
	json_node_unref(req);
	run_until(campaign_done);
	if (B.failed)
		g_error("%u cards failed", B.failed);
	return B.n_cards / (bench_now_s() - t0);
}

static void run_n(unsigned n, unsigned n_ops, unsigned window)
{
	char *dir = g_dir_make_tmp("bench-rfm-XXXXXX", NULL);
	char *shm = g_strdup("/dev/shm/bench-rfm-cards-XXXXXX");
	char *db = g_build_filename(dir, "server.db", NULL), *cmd;
	struct ots_engine_config cfg = { .db_path = db, .por_timeout_ms = 30000, .max_attempts = 4 };
	double compact, expanded, campaign, p50c, p99c, p50e, p99e;
	GError *error = NULL;

	if (!g_mkdtemp(shm))
		g_error("%s: cannot create", shm);
	B.e = ots_engine_new(&cfg, &error);
	if (!B.e)
		g_error("engine: %s", error->message);
	B.link = me_link_new();
	me_link_attach(B.link, B.e);
	ots_engine_subscribe(B.e, on_event, NULL);
	B.n_cards = n;
	B.iccids = g_new0(char *, n + 1);
	for (unsigned i = 0; i < n; i++) {
		char msisdn[20], *ini_text, *ini, *state;
		struct me_link_card *c;

		B.iccids[i] = g_strdup_printf("8988239000004%07u", i);
		g_snprintf(msisdn, sizeof(msisdn), "+1555400%05u", i);
		ini_text = g_strdup_printf(ini_fmt, B.iccids[i], msisdn);
		ini = g_strdup_printf("%s/%s.ini", shm, B.iccids[i]);
		state = g_strdup_printf("%s/%s.state", shm, B.iccids[i]);
		if (!g_file_set_contents_full(ini, ini_text, -1, G_FILE_SET_CONTENTS_NONE, 0600, &error) ||
		    !ots_engine_card_import_file(B.e, ini, false, NULL, &error))
			g_error("card %u: %s", i, error->message);
		c = me_link_card_new(B.link, B.iccids[i]);
		if (!me_link_card_handset(c, ini, state, &error))
			g_error("card %u: %s", i, error->message);
		g_free(ini_text);
		g_free(ini);
		g_free(state);
	}

	compact = single_ops(script_compact, n_ops, window, &p50c, &p99c);
	expanded = single_ops(script_expanded, n_ops, window, &p50e, &p99e);
	campaign = campaign_rate();
	printf("%6u cards  single ops (window %u): compact %7.1f round trips/s (p50 %.2f ms, p99 %.2f ms), "
	       "expanded %7.1f/s (p50 %.2f ms, p99 %.2f ms); expanded/compact %.2f\n",
	       n, MIN(window, n), compact, p50c, p99c, expanded, p50e, p99e, expanded / compact);
	printf("%6u cards  campaign (rate unlimited): %7.1f cards done/s; campaign/single compact %.2f\n",
	       n, campaign, campaign / compact);
	fflush(stdout);

	me_link_free(B.link);
	ots_engine_free(B.e);
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_strfreev(B.iccids);
	cmd = g_strdup_printf("rm -rf '%s' '%s'", dir, shm);
	if (system(cmd) != 0)
		g_warning("%s failed", cmd);
	g_free(cmd);
	g_free(db);
	g_free(dir);
	g_free(shm);
}

/* The engine logs every card it registers and every operation: only warnings and errors here. */
static GLogWriterOutput only_warnings(GLogLevelFlags level, const GLogField *fields, gsize n, gpointer user)
{
	return level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING) ?
		g_log_writer_default(level, fields, n, user) : G_LOG_WRITER_HANDLED;
}

int main(int argc, char **argv)
{
	gboolean quick = FALSE;
	int *cards = NULL, ops = 0, window = 64;
	char **card_args = NULL;
	GOptionEntry entries[] = {
		{ "quick", 0, 0, G_OPTION_ARG_NONE, &quick, "N = 1, 100 and fewer operations", NULL },
		{ "cards", 0, 0, G_OPTION_ARG_STRING_ARRAY, &card_args, "number of cards (repeatable)", "N" },
		{ "ops", 0, 0, G_OPTION_ARG_INT, &ops, "single operations per format", "T" },
		{ "window", 0, 0, G_OPTION_ARG_INT, &window, "operations in flight", "W" },
		{ NULL }
	};
	GOptionContext *ctx = g_option_context_new("- RFM round trips/s through the server");
	static const int dflt[] = { 1, 100, 1000 }, dflt_quick[] = { 1, 100 };
	GError *error = NULL;
	unsigned n_cards;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		fprintf(stderr, "bench-rfm: %s\n", error->message);
		return 1;
	}
	g_option_context_free(ctx);
	g_log_set_writer_func(only_warnings, NULL, NULL);
	B.sent_at = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	B.latency_us = g_array_new(FALSE, FALSE, sizeof(int64_t));
	if (!ops)
		ops = quick ? 300 : 2000;
	if (card_args) {
		n_cards = g_strv_length(card_args);
		cards = g_new(int, n_cards);
		for (unsigned i = 0; i < n_cards; i++)
			cards[i] = atoi(card_args[i]);
	} else {
		n_cards = quick ? G_N_ELEMENTS(dflt_quick) : G_N_ELEMENTS(dflt);
		cards = g_memdup2(quick ? dflt_quick : dflt, n_cards * sizeof(int));
	}
	printf("RFM round trips through ota-test-server (SQLite on disk, synchronous=FULL) to uicc-emu "
	       "cards (SELECT EF_SPN + READ BINARY 17 on USIM RFM):\n");
	for (unsigned i = 0; i < n_cards; i++)
		if (cards[i] > 0)
			run_n((unsigned)cards[i], (unsigned)ops, (unsigned)MAX(window, 1));
	g_free(cards);
	g_strfreev(card_args);
	g_hash_table_destroy(B.sent_at);
	g_array_free(B.latency_us, TRUE);
	return 0;
}
