/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine behind its southbound link interface (transactions/engine.h,
 * struct ots_southbound), with two recording links named as the server's:
 * "netsim" (reaches a card while its device is attached, RP-ACK data comes
 * back) and "smpp" (reaches a card with an MSISDN, RP-ACK data does not):
 *
 *   - which link a command takes: the first that reaches the card, or the
 *     card's fixed link ([card] link=, and "link" in the JSON import);
 *   - the route and its warning in ots_engine_route_json (SPI 1619 over a
 *     link that drops RP-ACK data; none for 1639);
 *   - what an SMSC link reports: a refusal for good fails the transaction
 *     with its reason, a throttled SMS is only noted, a receipt lands on the
 *     timeline even after the command was answered (found by its SMS id);
 *   - an SMS lost with a connection: its command again with a fresh
 *     counter, the old SMS cancelled on every link.
 */
#include "pg-cluster.h"
#include "server-test.h"
#include "transactions/engine.h"

struct link {
	const char *name;
	bool reach;
	GArray *sent;        /* uint32_t msg ids */
	GArray *cancelled;   /* uint32_t msg ids */
};

struct fixture {
	char *dir, *db;
	struct ots_engine *e;
	struct link netsim, smpp;
};

static bool link_send(void *user, const char *iccid, const char *msisdn, uint32_t id,
		      const uint8_t *tpdu, size_t len)
{
	struct link *l = user;

	g_assert_cmpuint(len, >, 0);
	g_array_append_val(l->sent, id);
	return l->reach;
}

static bool netsim_reaches(void *user, const char *iccid, const char *msisdn)
{
	return ((struct link *)user)->reach;
}

static bool smpp_reaches(void *user, const char *iccid, const char *msisdn)
{
	return ((struct link *)user)->reach && msisdn && *msisdn;
}

static void link_cancel(void *user, uint32_t first, unsigned n)
{
	struct link *l = user;

	for (unsigned i = 0; i < n; i++) {
		uint32_t id = first + i;

		g_array_append_val(l->cancelled, id);
	}
}

static void setup(struct fixture *f, gconstpointer data)
{
	struct ots_engine_config cfg = { .por_timeout_ms = 60000 };
	struct ots_southbound ns = {
		.send_deliver = link_send, .user = &f->netsim, .name = "netsim",
		.reaches = netsim_reaches, .cancel = link_cancel, .por_in_rp_ack = true,
	};
	struct ots_southbound smpp = {
		.send_deliver = link_send, .user = &f->smpp, .name = "smpp",
		.reaches = smpp_reaches, .cancel = link_cancel, .por_in_rp_ack = false,
	};
	GError *error = NULL;
	char *ini;

	f->dir = g_dir_make_tmp("ots-links-XXXXXX", &error);
	g_assert_no_error(error);
	f->db = test_db_target(f->dir, "server.db");      /* OTS_TEST_DB: SQLite or PostgreSQL */
	cfg.db_path = f->db;
	f->e = ots_engine_new(&cfg, &error);
	g_assert_no_error(error);
	f->netsim = (struct link){ "netsim", true, g_array_new(FALSE, FALSE, 4), g_array_new(FALSE, FALSE, 4) };
	f->smpp = (struct link){ "smpp", true, g_array_new(FALSE, FALSE, 4), g_array_new(FALSE, FALSE, 4) };
	ots_engine_add_southbound(f->e, &ns);      /* netsim first, as the daemon does */
	ots_engine_add_southbound(f->e, &smpp);
	ini = write_card_ini(f->dir, "card.ini", TEST_ICCID, "+15550001");
	g_assert_true(ots_engine_card_import_file(f->e, ini, false, NULL, &error));
	g_assert_no_error(error);
	g_free(ini);
}

static void teardown(struct fixture *f, gconstpointer data)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

	ots_engine_free(f->e);
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(cmd);
	g_array_free(f->netsim.sent, TRUE);
	g_array_free(f->netsim.cancelled, TRUE);
	g_array_free(f->smpp.sent, TRUE);
	g_array_free(f->smpp.cancelled, TRUE);
	g_free(f->db);
	g_free(f->dir);
}

static uint64_t start(struct fixture *f, const char *iccid, const char *tar)
{
	struct ots_tx_request req = { .iccid = iccid, .action = SIMOTA_DEFERRED_DISPLAY_TEXT,
				      .text = "Which link?" };
	uint8_t t[3];
	GError *error = NULL;
	uint64_t id;

	if (tar) {
		g_assert_cmpint(sscanf(tar, "%2hhx%2hhx%2hhx", &t[0], &t[1], &t[2]), ==, 3);
		req.tar = t;
	}
	ots_ev_policy_init(&req.ev);
	g_assert_true(ots_engine_tx_start(f->e, &req, &id, &error));
	g_assert_no_error(error);
	return id;
}

static JsonNode *tx_json(struct fixture *f, uint64_t id)
{
	JsonNode *n = ots_engine_tx_get(f->e, id, NULL);

	g_assert_nonnull(n);
	return n;
}

static const char *event_str(JsonNode *tx, const char *kind, unsigned nth, const char *member)
{
	JsonObject *ev = find_event(tx, kind, nth);

	g_assert_nonnull(ev);
	return json_object_get_string_member_with_default(ev, member, NULL);
}

static int64_t event_int(JsonNode *tx, const char *kind, unsigned nth, const char *member)
{
	JsonObject *ev = find_event(tx, kind, nth);

	g_assert_nonnull(ev);
	return json_object_get_int_member(ev, member);
}

/* netsim while the card's device is attached, else smpp to its MSISDN */
static void test_route_first_that_reaches(struct fixture *f, gconstpointer data)
{
	uint64_t a;
	JsonNode *tx;

	a = start(f, TEST_ICCID, NULL);
	tx = tx_json(f, a);
	g_assert_cmpstr(event_str(tx, "c1-sent", 0, "link"), ==, "netsim");
	g_assert_cmpuint(f->netsim.sent->len, ==, 1);
	g_assert_cmpuint(f->smpp.sent->len, ==, 0);
	json_node_unref(tx);
	/* the device goes: the next command (a resend) takes SMPP */
	f->netsim.reach = false;
	ots_engine_sms_lost(f->e, g_array_index(f->netsim.sent, uint32_t, 0), "test");
	tx = tx_json(f, a);
	g_assert_cmpstr(event_str(tx, "c1-sent", 1, "link"), ==, "smpp");
	g_assert_cmpstr(event_str(tx, "c1-sent", 1, "trigger"), ==, "test");
	g_assert_cmpuint(f->smpp.sent->len, ==, 1);
	json_node_unref(tx);
	/* nothing reaches: no link, the command waits */
	f->smpp.reach = false;
	ots_engine_sms_lost(f->e, g_array_index(f->smpp.sent, uint32_t, 0), "test");
	tx = tx_json(f, a);
	g_assert_true(json_object_get_null_member(find_event(tx, "c1-sent", 2), "link"));
	g_assert_cmpuint(f->netsim.sent->len + f->smpp.sent->len, ==, 2);
	json_node_unref(tx);
}

/* [card] link= fixes the link, whether or not another one reaches the card */
static void test_route_fixed(struct fixture *f, gconstpointer data)
{
	GError *error = NULL;
	char *path = g_build_filename(f->dir, "fixed.ini", NULL);
	char *text = g_strdup_printf("[card]\niccid=%s\nimsi=001010123456789\nmsisdn=+15550002\n"
				     "link=smpp\n[keyset 1]\nkic=15\nkid=15\n"
				     "kic-key=0123456789abcdeffedcba9876543210\n"
				     "kid-key=112233445566778899aabbccddeeff00\n"
				     "[tar defe02]\napplet=deferred\nkeysets=1\nmin-security-level=16\n"
				     "ir=fixed:30\nspi=1639\n", TEST_ICCID2);
	JsonNode *card, *tx;
	uint64_t id;

	g_assert_true(g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
	g_assert_true(ots_engine_card_import_file(f->e, path, false, NULL, &error));
	g_assert_no_error(error);
	card = ots_engine_card_show(f->e, TEST_ICCID2, NULL);
	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(card), "link"), ==, "smpp");
	json_node_unref(card);
	id = start(f, TEST_ICCID2, NULL);
	tx = tx_json(f, id);
	g_assert_cmpstr(event_str(tx, "c1-sent", 0, "link"), ==, "smpp");
	g_assert_cmpuint(f->netsim.sent->len, ==, 0);
	g_assert_cmpuint(f->smpp.sent->len, ==, 1);
	json_node_unref(tx);
	/* the same by JSON; a link that is not one is refused, naming the field */
	card = json_from_string("{\"iccid\": \"8988239000000000003\", \"msisdn\": \"+15550003\", "
				"\"link\": \"sigtran\", \"keysets\": [], \"tars\": []}", NULL);
	g_assert_false(ots_engine_card_add_json(f->e, card, false, &error));
	g_assert_error(error, OTS_ERROR, OTS_ERROR_INVALID);
	g_assert_true(g_str_has_prefix(error->message, "link: "));
	g_clear_error(&error);
	json_node_unref(card);
	g_free(text);
	g_free(path);
}

/* the route of a TAR: a warning when its SPI wants the PoR in an RP-ACK the link drops */
static void test_route_warning(struct fixture *f, gconstpointer data)
{
	static const uint8_t tar_1619[3] = { 0xde, 0xfe, 0x01 }, tar_1639[3] = { 0xde, 0xfe, 0x02 };
	JsonNode *r;
	JsonObject *o;

	r = ots_engine_route_json(f->e, TEST_ICCID, tar_1619);          /* over netsim: fine */
	o = json_node_get_object(r);
	g_assert_cmpstr(json_object_get_string_member(o, "link"), ==, "netsim");
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "warnings")), ==, 0);
	json_node_unref(r);
	f->netsim.reach = false;
	r = ots_engine_route_json(f->e, TEST_ICCID, tar_1619);          /* over smpp: warned */
	o = json_node_get_object(r);
	g_assert_cmpstr(json_object_get_string_member(o, "link"), ==, "smpp");
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "warnings")), ==, 1);
	g_assert_nonnull(strstr(json_array_get_string_element(json_object_get_array_member(o, "warnings"), 0),
				"RP-ACK"));
	json_node_unref(r);
	r = ots_engine_route_json(f->e, TEST_ICCID, tar_1639);          /* PoR by SMS-SUBMIT: fine */
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(json_node_get_object(r),
									      "warnings")), ==, 0);
	json_node_unref(r);
	f->smpp.reach = false;
	r = ots_engine_route_json(f->e, TEST_ICCID, tar_1639);          /* nothing reaches */
	g_assert_true(json_object_get_null_member(json_node_get_object(r), "link"));
	json_node_unref(r);
	g_assert_null(ots_engine_route_json(f->e, TEST_ICCID2, NULL));  /* not registered */
}

/* what an SMSC link reports about the SMS it carries */
static void test_sms_reports(struct fixture *f, gconstpointer data)
{
	struct ots_sms_report throttled = { .fate = OTS_SMS_RETRYING, .link = "smpp", .status = 0x58,
					    .reason = "ESME_RTHROTTLED (0x00000058)" };
	struct ots_sms_report refused = { .fate = OTS_SMS_REFUSED_FINAL, .link = "smpp", .status = 0x0B,
					  .reason = "ESME_RINVDSTADR (0x0000000b)" };
	struct ots_sms_report receipt = { .fate = OTS_SMS_DELIVERED, .link = "smpp", .ref = "4711",
					  .reason = "DELIVRD" };
	uint64_t id;
	uint32_t sms;
	JsonNode *tx;

	f->netsim.reach = false;
	id = start(f, TEST_ICCID, NULL);
	sms = g_array_index(f->smpp.sent, uint32_t, 0);
	ots_engine_sms_report(f->e, sms, &throttled);
	tx = tx_json(f, id);
	g_assert_cmpstr(tx_state(tx), ==, "c1-sent");
	g_assert_cmpint(event_int(tx, "submit-retry", 0, "status"), ==, 0x58);
	g_assert_cmpint(event_int(tx, "submit-retry", 0, "msg-id"), ==, sms);
	json_node_unref(tx);
	ots_engine_sms_report(f->e, sms, &refused);
	tx = tx_json(f, id);
	g_assert_cmpstr(tx_state(tx), ==, "failed");
	g_assert_nonnull(strstr(json_object_get_string_member(json_node_get_object(tx), "why"),
				"ESME_RINVDSTADR"));
	json_node_unref(tx);
	/* a receipt after the end: on the timeline all the same, found by the SMS id */
	ots_engine_sms_report(f->e, sms, &receipt);
	tx = tx_json(f, id);
	g_assert_cmpstr(event_str(tx, "delivery-receipt", 0, "message-id"), ==, "4711");
	g_assert_cmpstr(event_str(tx, "delivery-receipt", 0, "stat"), ==, "DELIVRD");
	g_assert_true(json_object_get_boolean_member(find_event(tx, "delivery-receipt", 0), "delivered"));
	json_node_unref(tx);
	/* one about an SMS no command sent: ignored */
	ots_engine_sms_report(f->e, sms + 1000, &receipt);
}

/* an SMS lost with a connection: the command again, a fresh counter, the old SMS cancelled */
static void test_sms_lost(struct fixture *f, gconstpointer data)
{
	uint64_t id;
	uint32_t first;
	JsonNode *tx;

	f->netsim.reach = false;
	id = start(f, TEST_ICCID, NULL);
	first = g_array_index(f->smpp.sent, uint32_t, 0);
	ots_engine_sms_lost(f->e, first, "smpp-rebound");
	tx = tx_json(f, id);
	g_assert_cmpuint(count_events(tx, "c1-sent"), ==, 2);
	g_assert_cmpstr(event_str(tx, "c1-sent", 1, "trigger"), ==, "smpp-rebound");
	g_assert_cmpstr(event_str(tx, "c1-sent", 0, "cntr"), !=, event_str(tx, "c1-sent", 1, "cntr"));
	g_assert_cmpuint(f->smpp.sent->len, ==, 2);
	g_assert_cmpuint(g_array_index(f->smpp.sent, uint32_t, 1), !=, first);
	/* every link was told to drop what it still queues of the old command */
	g_assert_cmpuint(f->smpp.cancelled->len, ==, 1);
	g_assert_cmpuint(g_array_index(f->smpp.cancelled, uint32_t, 0), ==, first);
	g_assert_cmpuint(f->netsim.cancelled->len, ==, 1);
	json_node_unref(tx);
	/* the old SMS again: its command was replaced, nothing happens */
	ots_engine_sms_lost(f->e, first, "smpp-rebound");
	tx = tx_json(f, id);
	g_assert_cmpuint(count_events(tx, "c1-sent"), ==, 2);
	json_node_unref(tx);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL);
	g_test_add("/ots/links/route/first-that-reaches", struct fixture, NULL, setup,
		   test_route_first_that_reaches, teardown);
	g_test_add("/ots/links/route/fixed", struct fixture, NULL, setup, test_route_fixed, teardown);
	g_test_add("/ots/links/route/warning", struct fixture, NULL, setup, test_route_warning, teardown);
	g_test_add("/ots/links/sms-reports", struct fixture, NULL, setup, test_sms_reports, teardown);
	g_test_add("/ots/links/sms-lost", struct fixture, NULL, setup, test_sms_lost, teardown);
	return g_test_run();
}
