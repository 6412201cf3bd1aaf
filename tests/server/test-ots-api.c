/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The HTTP/JSON API (doc/api.md) and ota-cli's server commands against the
 * real daemon: ota-test-server ($OTA_TEST_SERVER) is started on a free
 * loopback port with a fresh database; every route is exercised (happy
 * paths, 400 naming the field for bad input on every field, 404, 405, 409,
 * 413, 415); the event stream receives timeline entries while clients come
 * and go; ota-cli ($OTA_CLI) tx/card commands run against it; one
 * transaction goes end to end (POST -> ota-cli tx start --wait -> R1)
 * with a uicc-emu card behind a handset (me-sim.c) on the netsim link, run by
 * this program as a child (--device).  No response and no line of the
 * daemon's log may contain a key.
 */
#include <string.h>

#include <signal.h>
#include <sys/wait.h>

#include "api-harness.h"
#include "db/db.h"

static char *self_exe;

/* ---- cards ------------------------------------------------------------------------------ */

static void test_card_import(void)
{
	char *ini;
	struct reply r;

	g_assert_true(g_file_get_contents(srv.ini, &ini, NULL, NULL));
	call(&r, "POST", "/v1/cards", "text/plain", ini);
	g_assert_cmpuint(r.status, ==, 201);
	g_assert_cmpstr(r.location, ==, "/v1/cards/" TEST_ICCID);
	g_assert_cmpstr(json_object_get_string_member(obj(&r), "iccid"), ==, TEST_ICCID);
	g_assert_cmpstr(json_object_get_string_member(obj(&r), "msisdn"), ==, "+15550001");
	reply_clear(&r);

	expect("POST", "/v1/cards", "text/plain", ini, 409, NULL);
	expect("POST", "/v1/cards?replace=true", "text/plain", ini, 201, NULL);
	expect("POST", "/v1/cards?replace=maybe", "text/plain", ini, 400, "replace");
	expect("POST", "/v1/cards?force=1", "text/plain", ini, 400, "force");
	expect("POST", "/v1/cards", "application/xml", ini, 415, "Content-Type");
	g_free(ini);

	/* a broken file: the field is "config", the message names the group and key, not a path */
	call(&r, "POST", "/v1/cards", "text/plain",
	     "[card]\niccid=89882390000000000041\nimsi=001010123456789\nmsisdn=+15550004\n"
	     "[keyset 1]\nkic=15\nkid=15\nkic-key=zz\nkid-key=" "112233445566778899aabbccddeeff00\n"
	     "[tar defe01]\nspi=1619\n");
	g_assert_cmpuint(r.status, ==, 400);
	g_assert_cmpstr(json_object_get_string_member(obj(&r), "field"), ==, "config");
	g_assert_nonnull(strstr(r.body, "kic-key"));
	g_assert_null(strstr(r.body, "/tmp"));
	g_assert_null(strstr(r.body, "ots-card-"));
	reply_clear(&r);
	expect("POST", "/v1/cards", "text/plain", "", 400, "config");
	expect("POST", "/v1/cards", "text/plain", "\xff\xfe not text", 400, "config");
	expect("POST", "/v1/cards", "text/plain", "[card]\niccid=12\n", 400, "config");
}

#define WEAK_KEY "11223344556677881122334455667788"   /* 3DES 2 keys, K1 = K2: single DES */

static void test_card_json(void)
{
	static const struct {
		const char *body, *field;
	} bad[] = {
		{ "[1]", "[0]" },
		{ "[]", "body" },
		{ "\"card\"", "body" },
		{ "{not json", "body" },
		{ "{\"msisdn\":\"+1\"}", "iccid" },
		{ "{\"iccid\":\"8988\"}", "iccid" },
		{ "{\"iccid\":\"89882390000000000058\",\"msisdn\":\"abc\"}", "msisdn" },
		{ "{\"iccid\":\"89882390000000000058\",\"imsi\":\"1\"}", "imsi" },
		{ "{\"iccid\":\"89882390000000000058\",\"keysets\":{}}", "keysets" },
		{ "{\"iccid\":\"89882390000000000058\",\"keysets\":[7]}", "keysets[0]" },
		{ "{\"iccid\":\"89882390000000000058\",\"keysets\":[{\"kvn\":16}]}", "keysets[0].kvn" },
		{ "{\"iccid\":\"89882390000000000058\",\"keysets\":[{\"kvn\":1,\"kic\":\"25\",\"kid\":\"15\"}]}",
		  "keysets[0].kic" },
		{ "{\"iccid\":\"89882390000000000058\",\"keysets\":[{\"kvn\":1,\"kic\":\"15\","
		  "\"kid\":\"x\"}]}", "keysets[0].kid" },
		{ "{\"iccid\":\"89882390000000000058\",\"keysets\":[{\"kvn\":1,\"kic\":\"15\","
		  "\"kid\":\"15\",\"kic-key\":\"0011\"}]}", "keysets[0].kic-key" },
		{ "{\"iccid\":\"89882390000000000058\",\"keysets\":[{\"kvn\":1,\"kic\":\"15\","
		  "\"kid\":\"15\",\"kid-key\":\"zz\"}]}", "keysets[0].kid-key" },
		{ "{\"iccid\":\"89882390000000000058\",\"keysets\":[{\"kvn\":1,\"kic\":\"15\","
		  "\"kid\":\"15\",\"counter\":\"01\"}]}", "keysets[0].counter" },
		{ "{\"iccid\":\"89882390000000000058\",\"tars\":5}", "tars" },
		{ "{\"iccid\":\"89882390000000000058\",\"tars\":[{\"tar\":\"b0\"}]}", "tars[0].tar" },
		{ "{\"iccid\":\"89882390000000000058\",\"tars\":[{\"tar\":\"defe01\",\"spi\":\"1\"}]}",
		  "tars[0].spi" },
		{ "{\"iccid\":\"89882390000000000058\",\"tars\":[{\"tar\":\"defe01\",\"spi\":\"1619\","
		  "\"min-security-level\":\"x\"}]}", "tars[0].min-security-level" },
		{ "{\"iccid\":\"89882390000000000058\",\"tars\":[{\"tar\":\"defe01\",\"spi\":\"1619\","
		  "\"mode\":\"fast\"}]}", "tars[0].mode" },
		{ "{\"iccid\":\"89882390000000000058\",\"tars\":[{\"tar\":\"defe01\",\"spi\":\"1619\","
		  "\"mg-address\":\"+1x\"}]}", "tars[0].mg-address" },
		{ "{\"iccid\":\"89882390000000000058\",\"tars\":[{\"tar\":\"defe01\",\"spi\":\"1619\","
		  "\"keysets\":[3]}]}", "tars[0].keysets" },
		/* issue 9 defect 5: the checks of a card config file */
		{ "{\"iccid\":\"89882390000000000058\",\"keysets\":[{\"kvn\":1,\"kic\":\"15\","
		  "\"kid\":\"15\",\"kid-key\":\"" WEAK_KEY "\"}]}", "keysets[0].kid-key" },
		{ "{\"iccid\":\"89882390000000000058\",\"keysets\":[{\"kvn\":1,\"kic\":\"15\","
		  "\"kid\":\"15\"}],\"tars\":[{\"tar\":\"000000\",\"spi\":\"1619\",\"applet\":\"ram\"}]}",
		  "tars[0].applet" },
	};
	struct reply r;

	call(&r, "POST", "/v1/cards", "application/json", CARD_JSON(""));
	g_assert_cmpuint(r.status, ==, 201);
	g_assert_cmpstr(r.location, ==, "/v1/cards/" ICCID_JSON);
	g_assert_cmpstr(json_object_get_string_member(obj(&r), "iccid"), ==, ICCID_JSON);
	reply_clear(&r);
	expect("POST", "/v1/cards", "application/json", CARD_JSON(""), 409, NULL);
	expect("POST", "/v1/cards?replace=1", "application/json", CARD_JSON(""), 201, NULL);
	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++)
		expect("POST", "/v1/cards", "application/json", bad[i].body, 400, bad[i].field);
	expect("POST", "/v1/cards", "application/json", NULL, 400, "body");
}

/* A card of the batch test: CARD_JSON's with another ICCID and MSISDN (n: 1-9). */
#define BATCH_CARD(n, kid_key) \
	"{\"iccid\":\"8988239000000000070" #n "\",\"msisdn\":\"+1555007" #n "\"," \
	"\"keysets\":[{\"kvn\":1,\"kic\":\"15\",\"kid\":\"15\"," \
	"\"kic-key\":\"00112233445566778899aabbccddeeff\",\"kid-key\":\"" kid_key "\"}]," \
	"\"tars\":[{\"tar\":\"defe01\",\"spi\":\"1619\"}]}"
#define GOOD_KID "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
/* a card with its ICCID whole (the CLI's batch) */
#define CLI_CARD(iccid) "{\"iccid\":\"" iccid "\",\"keysets\":[{\"kvn\":1,\"kic\":\"15\"," \
	"\"kid\":\"15\",\"kic-key\":\"00112233445566778899aabbccddeeff\",\"kid-key\":\"" \
	GOOD_KID "\"}],\"tars\":[{\"tar\":\"defe01\",\"spi\":\"1619\"}]}"

/* POST /v1/cards with an array: one database transaction, every card stored or none. */
static void test_card_batch(void)
{
	static const char batch[] = "[" BATCH_CARD(1, GOOD_KID) "," BATCH_CARD(2, GOOD_KID) ","
				    BATCH_CARD(3, GOOD_KID) "]";
	struct reply r;

	/* the third card's key is not hex: nothing of the batch is stored */
	call(&r, "POST", "/v1/cards", "application/json",
	     "[" BATCH_CARD(4, GOOD_KID) "," BATCH_CARD(5, GOOD_KID) "," BATCH_CARD(6, "zz") "]");
	g_assert_cmpuint(r.status, ==, 400);
	g_assert_cmpstr(json_object_get_string_member(obj(&r), "field"), ==, "[2].keysets[0].kid-key");
	reply_clear(&r);
	expect("GET", "/v1/cards/89882390000000000704", NULL, NULL, 404, "iccid");

	call(&r, "POST", "/v1/cards", "application/json", batch);
	g_assert_cmpuint(r.status, ==, 201);
	g_assert_cmpint(json_object_get_int_member(obj(&r), "registered"), ==, 3);
	reply_clear(&r);
	call(&r, "GET", "/v1/cards/89882390000000000702", NULL, NULL);
	g_assert_cmpuint(r.status, ==, 200);
	g_assert_cmpstr(json_object_get_string_member(obj(&r), "msisdn"), ==, "+15550072");
	reply_clear(&r);

	/* one registered card refuses the batch; replace=true stores it again */
	expect("POST", "/v1/cards", "application/json",
	       "[" BATCH_CARD(7, GOOD_KID) "," BATCH_CARD(1, GOOD_KID) "]", 409, NULL);
	expect("GET", "/v1/cards/89882390000000000707", NULL, NULL, 404, "iccid");
	expect("POST", "/v1/cards?replace=true", "application/json", batch, 201, NULL);
	for (unsigned i = 1; i <= 3; i++) {
		char *path = g_strdup_printf("/v1/cards/8988239000000000070%u", i);

		expect("DELETE", path, NULL, NULL, 204, NULL);
		g_free(path);
	}
}

/*
 * Issue 9 defects 3 and 5 at the API: a degenerate 3DES key is refused in a
 * card config file as in JSON, without the key in the answer; an applet of
 * ours on a reserved TAR is registered and the server logs a warning.
 */
static void test_card_checks(void)
{
	struct reply r;
	char *log = NULL;

	call(&r, "POST", "/v1/cards", "text/plain",
	     "[card]\niccid=89882390000000000066\nimsi=001010123456789\n"
	     "[keyset 1]\nkic=15\nkid=15\nkid-key=" WEAK_KEY "\n[tar defe01]\nmin-security-level=16\nspi=1619\n");
	g_assert_cmpuint(r.status, ==, 400);
	g_assert_cmpstr(json_object_get_string_member(obj(&r), "field"), ==, "config");
	g_assert_nonnull(strstr(r.body, "[keyset 1] kid-key: 3des2-cbc-mac key degenerates to single DES"));
	g_assert_null(strstr(r.body, WEAK_KEY));
	g_assert_null(strstr(r.body, "1122334455667788"));
	reply_clear(&r);

	call(&r, "POST", "/v1/cards", "application/json",
	     "{\"iccid\":\"89882390000000000066\",\"keysets\":[{\"kvn\":1,\"kic\":\"15\",\"kid\":\"15\"}],"
	     "\"tars\":[{\"tar\":\"b00001\",\"spi\":\"1619\"}]}");
	g_assert_cmpuint(r.status, ==, 201);
	reply_clear(&r);
	/* logged before the answer was sent */
	g_assert_true(g_file_get_contents(srv.log, &log, NULL, NULL));
	g_assert_nonnull(strstr(log, "card 89882390000000000066: tars[0].applet: deferred is an applet of ours, "
				"but TS 101 220 Annex D gives TAR b00001 to USIM RFM"));
	g_free(log);
	expect("DELETE", "/v1/cards/89882390000000000066", NULL, NULL, 204, NULL);
}

static void test_card_routes(void)
{
	struct reply r;
	JsonArray *a;
	bool seen = false;

	call(&r, "GET", "/v1/cards", NULL, NULL);
	g_assert_cmpuint(r.status, ==, 200);
	g_assert_true(JSON_NODE_HOLDS_ARRAY(r.json));
	a = json_node_get_array(r.json);
	for (unsigned i = 0; i < json_array_get_length(a); i++)
		if (strcmp(json_object_get_string_member(json_array_get_object_element(a, i),
							 "iccid"), TEST_ICCID) == 0)
			seen = true;
	g_assert_true(seen);
	reply_clear(&r);

	call(&r, "GET", "/v1/cards/" TEST_ICCID, NULL, NULL);
	g_assert_cmpuint(r.status, ==, 200);
	a = json_object_get_array_member(obj(&r), "keysets");
	g_assert_cmpuint(json_array_get_length(a), ==, 1);
	g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(a, 0),
						      "kic-algorithm"), ==, "3des2-cbc");
	reply_clear(&r);

	expect("GET", "/v1/cards/89882390000000000099", NULL, NULL, 404, "iccid");
	expect("GET", "/v1/cards/89x", NULL, NULL, 400, "iccid");
	expect("GET", "/v1/cards/" TEST_ICCID "?x=1", NULL, NULL, 400, "x");
	expect("GET", "/v1/cards?x=1", NULL, NULL, 400, "x");
	expect("PUT", "/v1/cards/" TEST_ICCID, "application/json", "{}", 405, NULL);
	expect("DELETE", "/v1/cards", NULL, NULL, 405, NULL);
	expect("GET", "/v1/cards/" TEST_ICCID "/keys", NULL, NULL, 404, NULL);

	call(&r, "PATCH", "/v1/cards", NULL, NULL);
	g_assert_cmpuint(r.status, ==, 405);
	g_assert_cmpstr(r.allow, ==, "GET, POST");
	reply_clear(&r);

	expect("DELETE", "/v1/cards/" ICCID_JSON, NULL, NULL, 204, NULL);
	expect("DELETE", "/v1/cards/" ICCID_JSON, NULL, NULL, 404, "iccid");
	expect("GET", "/v1/cards/" ICCID_JSON, NULL, NULL, 404, "iccid");
	expect("DELETE", "/v1/cards/x", NULL, NULL, 400, "iccid");
}

/* ---- paging (doc/api.md "Paging") ------------------------------------------------------- */

/* The path a Link: <PATH>; rel="next" names (g_free), or NULL without one. */
static char *next_of(const struct reply *r)
{
	static const char tail[] = ">; rel=\"next\"";

	if (!r->link)
		return NULL;
	g_assert_true(r->link[0] == '<' && g_str_has_suffix(r->link, tail));
	return g_strndup(r->link + 1, strlen(r->link) - 1 - strlen(tail));
}

/* GET path: 200 with an array, the array (in r). */
static JsonArray *get_array(struct reply *r, const char *path)
{
	call(r, "GET", path, NULL, NULL);
	if (r->status != 200 || !r->json || !JSON_NODE_HOLDS_ARRAY(r->json))
		g_error("GET %s: %u %s", path, r->status, r->body);
	return json_node_get_array(r->json);
}

/*
 * GET path and every page the Links name after it: their items in order
 * (json_array_unref), *pages how many.  A page with a Link is full (limit
 * items), the last has none.
 */
static JsonArray *get_pages(const char *path, unsigned limit, unsigned *pages)
{
	JsonArray *all = json_array_new();
	char *p = g_strdup(path);

	*pages = 0;
	while (p) {
		struct reply r;
		JsonArray *a;

		a = get_array(&r, p);
		for (guint i = 0; i < json_array_get_length(a); i++)
			json_array_add_element(all, json_array_dup_element(a, i));
		g_free(p);
		p = next_of(&r);
		if (p)
			g_assert_cmpuint(json_array_get_length(a), ==, limit);
		else
			g_assert_cmpuint(json_array_get_length(a), <=, limit);
		(*pages)++;
		reply_clear(&r);
	}
	return all;
}

static int64_t status_member(const char *name)
{
	struct reply r;
	int64_t v;

	call(&r, "GET", "/v1/status", NULL, NULL);
	g_assert_cmpuint(r.status, ==, 200);
	g_assert_true(json_object_has_member(obj(&r), name));
	v = json_object_get_int_member(obj(&r), name);
	reply_clear(&r);
	return v;
}

/* The highest ICCIDs of the tests: five cards, listed after PAGED_FLOOR only. */
#define PAGED_FLOOR "89999999999999999900"
#define PAGED(n) "8999999999999999990" #n

/*
 * GET /v1/cards a page at a time: limit=2 over five cards is three pages,
 * a Link to the next on the first two, none on the last, every card once in
 * ICCID order; bad limit and after are 400 naming them; a listing leaves
 * the registry's cache as it was.
 */
static void test_card_paging(void)
{
	static const char *const bad_limit[] = { "0", "10001", "-1", "abc", "", "2x", "1.5",
						 "99999999999999999999" };
	static const char *const bad_after[] = { "123", "", "8999999999999999990x", "899999999999999999001",
						 "+9999999999999999990" };
	int64_t cached = status_member("cards-cached");
	unsigned pages, n;
	struct reply r;
	JsonArray *a;

	expect("POST", "/v1/cards", "application/json",
	       "[{\"iccid\":\"" PAGED(4) "\"},{\"iccid\":\"" PAGED(2) "\"},{\"iccid\":\"" PAGED(5) "\"},"
	       "{\"iccid\":\"" PAGED(1) "\"},{\"iccid\":\"" PAGED(3) "\"}]", 201, NULL);

	call(&r, "GET", "/v1/cards?limit=2&after=" PAGED_FLOOR, NULL, NULL);
	g_assert_cmpuint(r.status, ==, 200);
	g_assert_cmpstr(r.link, ==, "</v1/cards?limit=2&after=" PAGED(2) ">; rel=\"next\"");
	reply_clear(&r);
	call(&r, "GET", "/v1/cards?limit=2&after=" PAGED(2), NULL, NULL);
	g_assert_cmpstr(r.link, ==, "</v1/cards?limit=2&after=" PAGED(4) ">; rel=\"next\"");
	reply_clear(&r);
	a = get_pages("/v1/cards?limit=2&after=" PAGED_FLOOR, 2, &pages);
	g_assert_cmpuint(pages, ==, 3);
	g_assert_cmpuint(json_array_get_length(a), ==, 5);
	for (unsigned i = 0; i < 5; i++) {
		char want[21];

		g_snprintf(want, sizeof(want), "8999999999999999990%u", i + 1);
		g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(a, i),
							      "iccid"), ==, want);
	}
	json_array_unref(a);
	/* a last page as full as the limit has no Link: the server read one more to know */
	call(&r, "GET", "/v1/cards?limit=5&after=" PAGED_FLOOR, NULL, NULL);
	g_assert_cmpuint(json_array_get_length(json_node_get_array(r.json)), ==, 5);
	g_assert_null(r.link);
	reply_clear(&r);
	call(&r, "GET", "/v1/cards?after=" PAGED(5), NULL, NULL);
	g_assert_cmpuint(json_array_get_length(json_node_get_array(r.json)), ==, 0);
	g_assert_null(r.link);
	reply_clear(&r);

	/* from the first card, three a page: every registered card once, in order */
	a = get_pages("/v1/cards?limit=3", 3, &pages);
	n = json_array_get_length(a);
	g_assert_cmpint(n, ==, status_member("cards"));
	g_assert_cmpuint(pages, ==, (n + 2) / 3);     /* a full last page has no Link */
	for (unsigned i = 1; i < n; i++)
		g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(a, i - 1), "iccid"),
				<, json_object_get_string_member(json_array_get_object_element(a, i), "iccid"));
	json_array_unref(a);
	expect("GET", "/v1/cards?limit=10000", NULL, NULL, 200, NULL);
	expect("GET", "/v1/cards?limit=1&after=" PAGED(1), NULL, NULL, 200, NULL);

	for (unsigned i = 0; i < G_N_ELEMENTS(bad_limit); i++) {
		char *path = g_strdup_printf("/v1/cards?limit=%s", bad_limit[i]);

		expect("GET", path, NULL, NULL, 400, "limit");
		g_free(path);
	}
	for (unsigned i = 0; i < G_N_ELEMENTS(bad_after); i++) {
		char *path = g_strdup_printf("/v1/cards?limit=2&after=%s", bad_after[i]);

		expect("GET", path, NULL, NULL, 400, "after");
		g_free(path);
	}
	expect("GET", "/v1/cards?before=1", NULL, NULL, 400, "before");

	/* listing read every card and kept none of them */
	g_assert_cmpint(status_member("cards-cached"), ==, cached);
	for (unsigned i = 1; i <= 5; i++) {
		char *path = g_strdup_printf("/v1/cards/8999999999999999990%u", i);

		expect("DELETE", path, NULL, NULL, 204, NULL);
		g_free(path);
	}
}

/* GET path answers these transactions (their ids, newest first) and a Link to next (NULL: none). */
static void expect_tx_page(const char *path, const char *ids, const char *next)
{
	GString *s = g_string_new(NULL);
	struct reply r;
	JsonArray *a;

	a = get_array(&r, path);
	for (guint i = 0; i < json_array_get_length(a); i++)
		g_string_append_printf(s, "%s%" G_GINT64_FORMAT, i ? " " : "",
				       json_object_get_int_member(json_array_get_object_element(a, i), "id"));
	g_assert_cmpstr(s->str, ==, ids);
	g_string_free(s, TRUE);
	if (next) {
		char *link = g_strdup_printf("<%s>; rel=\"next\"", next);

		g_assert_cmpstr(r.link, ==, link);
		g_free(link);
	} else {
		g_assert_null(r.link);
	}
	reply_clear(&r);
}

#define CARD_A "89882390000000000708"
#define CARD_B "89882390000000000709"

/*
 * GET /v1/transactions a page at a time, newest first, with state and
 * iccid filtered in the database: each filter's pages hold its
 * transactions only, each once; the Link carries the filters; bad limit,
 * before and iccid are 400 naming them.  ota-cli tx list follows the
 * filters and stops at --limit.
 */
static void test_tx_paging(void)
{
	int64_t ta[3], tb[2];
	unsigned pages;
	JsonArray *a;
	JsonNode *n;

	expect("POST", "/v1/cards", "application/json",
	       "[" BATCH_CARD(8, GOOD_KID) "," BATCH_CARD(9, GOOD_KID) "]", 201, NULL);
	/* no handset: each card's first is c1-sent, the others wait behind it (queued) */
	for (unsigned i = 0; i < 3; i++) {
		ta[i] = start_tx("{\"iccid\":\"" CARD_A "\",\"action\":\"yes-no\",\"text\":\"A?\"}");
		if (i < 2)
			tb[i] = start_tx("{\"iccid\":\"" CARD_B "\",\"action\":\"yes-no\",\"text\":\"B?\"}");
	}
#define F(...) g_strdup_printf(__VA_ARGS__)
#define ID "%" G_GINT64_FORMAT
	{
		/* each row's next is the row after it, where a row has one */
		struct { char *path, *ids, *next; } pg[] = {
			/* one card's, two a page */
			{ F("/v1/transactions?iccid=" CARD_A "&limit=2"), F(ID " " ID, ta[2], ta[1]),
			  F("/v1/transactions?limit=2&before=" ID "&iccid=" CARD_A, ta[1]) },
			{ F("/v1/transactions?limit=2&before=" ID "&iccid=" CARD_A, ta[1]), F(ID, ta[0]), NULL },
			/* one card's in one state: the two queued, one a page, both filters in the Link */
			{ F("/v1/transactions?iccid=" CARD_A "&state=queued&limit=1"), F(ID, ta[2]),
			  F("/v1/transactions?limit=1&before=" ID "&state=queued&iccid=" CARD_A, ta[2]) },
			{ F("/v1/transactions?limit=1&before=" ID "&state=queued&iccid=" CARD_A, ta[2]),
			  F(ID, ta[1]), NULL },        /* ta[0] is not queued */
			/* the other card's; below an id */
			{ F("/v1/transactions?iccid=" CARD_B), F(ID " " ID, tb[1], tb[0]), NULL },
			{ F("/v1/transactions?iccid=" CARD_A "&before=" ID, ta[2]), F(ID " " ID, ta[1], ta[0]),
			  NULL },
		};

		for (unsigned i = 0; i < G_N_ELEMENTS(pg); i++) {
			expect_tx_page(pg[i].path, pg[i].ids, pg[i].next);
			g_free(pg[i].path);
			g_free(pg[i].ids);
			g_free(pg[i].next);
		}
	}
#undef ID
#undef F

	/* every queued one, two a page: queued only, newest first, each once, ours among them */
	a = get_pages("/v1/transactions?state=queued&limit=2", 2, &pages);
	g_assert_cmpuint(json_array_get_length(a), >=, 3);
	g_assert_cmpuint(pages, ==, (json_array_get_length(a) + 1) / 2);
	{
		unsigned ours = 0;

		for (guint i = 0; i < json_array_get_length(a); i++) {
			JsonObject *t = json_array_get_object_element(a, i);
			int64_t id = json_object_get_int_member(t, "id");

			g_assert_cmpstr(json_object_get_string_member(t, "state"), ==, "queued");
			if (i)
				g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(a, i - 1),
									   "id"), >, id);
			ours += id == ta[2] || id == ta[1] || id == tb[1];
		}
		g_assert_cmpuint(ours, ==, 3);
	}
	json_array_unref(a);
	/* all of them, three a page: the same as one page of them all */
	a = get_pages("/v1/transactions?limit=3", 3, &pages);
	g_assert_cmpuint(pages, >=, 2);
	{
		struct reply r;
		char *x, *y;

		call(&r, "GET", "/v1/transactions?limit=10000", NULL, NULL);
		g_assert_null(r.link);
		n = json_node_new(JSON_NODE_ARRAY);
		json_node_set_array(n, a);
		x = json_to_string(n, FALSE);
		y = json_to_string(r.json, FALSE);
		g_assert_cmpstr(x, ==, y);
		g_free(x);
		g_free(y);
		json_node_unref(n);
		reply_clear(&r);
	}
	json_array_unref(a);

	expect("GET", "/v1/transactions?limit=0", NULL, NULL, 400, "limit");
	expect("GET", "/v1/transactions?limit=10001", NULL, NULL, 400, "limit");
	expect("GET", "/v1/transactions?before=0", NULL, NULL, 400, "before");
	expect("GET", "/v1/transactions?before=x", NULL, NULL, 400, "before");
	expect("GET", "/v1/transactions?iccid=x1", NULL, NULL, 400, "iccid");
	expect("GET", "/v1/transactions?iccid=123456789012345678901", NULL, NULL, 400, "iccid");
	expect("GET", "/v1/transactions?state=done&limit=2", NULL, NULL, 400, "state");
	expect("GET", "/v1/transactions?after=5", NULL, NULL, 400, "after");

	/* ota-cli: the filters, and --limit */
	n = cli_json((const char *[]){ "tx", "list", "--iccid", CARD_A, NULL });
	g_assert_cmpuint(json_array_get_length(json_node_get_array(n)), ==, 3);
	json_node_unref(n);
	n = cli_json((const char *[]){ "tx", "list", "--iccid", CARD_A, "--state", "queued", "--limit", "1",
				       NULL });
	g_assert_cmpuint(json_array_get_length(json_node_get_array(n)), ==, 1);
	g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(json_node_get_array(n), 0),
						   "id"), ==, ta[2]);
	json_node_unref(n);
	cli_fails((const char *[]){ "tx", "list", "--limit", "-1", NULL }, "--limit");
}

/* More cards than the server's default page (1 000) for ota-cli to follow the Links. */
#define BULK_CARDS 1205

/*
 * ota-cli card list prints every card whatever the pages: one JSON array
 * as the whole would print (--pretty too), each card once in order; --limit
 * stops after N.
 */
static void test_cli_pages(void)
{
	GString *body = g_string_new("[");
	struct cli_result r;
	struct reply page;
	JsonNode *all, *n;
	JsonArray *a;
	guint len;
	char *text;

	for (unsigned i = 0; i < BULK_CARDS; i++)
		g_string_append_printf(body, "%s{\"iccid\":\"8988239100000000%04u\"}", i ? "," : "", i);
	g_string_append(body, "]");
	expect("POST", "/v1/cards", "application/json", body->str, 201, NULL);
	g_string_free(body, TRUE);

	/* the server's default page */
	call(&page, "GET", "/v1/cards", NULL, NULL);
	a = json_node_get_array(page.json);
	g_assert_cmpuint(json_array_get_length(a), ==, 1000);
	text = g_strdup_printf("</v1/cards?limit=1000&after=%s>; rel=\"next\"",
			       json_object_get_string_member(json_array_get_object_element(a, 999), "iccid"));
	g_assert_cmpstr(page.link, ==, text);
	g_free(text);
	reply_clear(&page);

	all = cli_json((const char *[]){ "card", "list", NULL });
	a = json_node_get_array(all);
	len = json_array_get_length(a);
	g_assert_cmpint(len, ==, status_member("cards"));
	g_assert_cmpuint(len, >=, BULK_CARDS);
	for (guint i = 1; i < len; i++)
		g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(a, i - 1), "iccid"),
				<, json_object_get_string_member(json_array_get_object_element(a, i), "iccid"));

	/* --pretty: what json_to_string() prints of the whole array, parsing the same */
	run_cli(&r, (const char *[]){ "card", "list", "--pretty", NULL });
	g_assert_cmpint(r.status, ==, 0);
	g_assert_cmpstr(r.err, ==, "");
	n = json_from_string(r.out, NULL);
	g_assert_nonnull(n);
	text = json_to_string(n, TRUE);
	g_assert_true(g_str_has_suffix(r.out, "\n"));
	r.out[strlen(r.out) - 1] = '\0';
	g_assert_cmpstr(r.out, ==, text);
	g_free(text);
	g_assert_true(json_node_equal(n, all));
	json_node_unref(n);
	cli_clear(&r);

	/* --limit: the first N, across a page boundary too */
	n = cli_json((const char *[]){ "card", "list", "--limit", "1100", NULL });
	g_assert_cmpuint(json_array_get_length(json_node_get_array(n)), ==, 1100);
	g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(json_node_get_array(n),
										     1099), "iccid"), ==,
			json_object_get_string_member(json_array_get_object_element(a, 1099), "iccid"));
	json_node_unref(n);
	n = cli_json((const char *[]){ "card", "list", "--limit", "2", NULL });
	g_assert_cmpuint(json_array_get_length(json_node_get_array(n)), ==, 2);
	json_node_unref(n);
	cli_fails((const char *[]){ "card", "list", "--limit", "-3", NULL }, "--limit");
	json_node_unref(all);
}

/* ---- transactions ------------------------------------------------------------------------ */

#define TX(members) "{\"iccid\":\"" TEST_ICCID "\"," members "}"

static void test_tx_bad_input(void)
{
	static const struct {
		const char *body, *field;
	} bad[] = {
		{ "{\"iccid\":\"" TEST_ICCID "\",", "body" },
		{ "[]", "body" },
		{ "\"text\"", "body" },
		{ "{\"action\":\"display-text\",\"text\":\"a\"}", "iccid" },
		{ "{\"iccid\":17,\"action\":\"display-text\",\"text\":\"a\"}", "iccid" },
		{ TX("\"text\":\"a\""), "action" },
		{ TX("\"action\":\"launch-rocket\",\"text\":\"a\""), "action" },
		{ TX("\"action\":7,\"text\":\"a\""), "action" },
		{ TX("\"action\":\"display-text\""), "text" },
		{ TX("\"action\":\"display-text\",\"text\":\"\""), "text" },
		{ TX("\"action\":\"display-text\",\"text\":5"), "text" },
		{ TX("\"action\":\"select-item\",\"text\":\"a\""), "items" },
		{ TX("\"action\":\"select-item\",\"text\":\"a\",\"items\":\"x\""), "items" },
		{ TX("\"action\":\"select-item\",\"text\":\"a\",\"items\":[\"x\",3]"), "items[1]" },
		{ TX("\"action\":\"select-item\",\"text\":\"a\",\"items\":[\"\"]"), "items[0]" },
		{ TX("\"action\":\"display-text\",\"text\":\"a\",\"items\":[\"x\"]"), "items" },
		{ TX("\"action\":\"select-item\",\"items\":[\"x\",\"y\"],\"default-item\":3"),
		  "default-item" },
		{ TX("\"action\":\"select-item\",\"items\":[\"x\",\"y\"],\"default-item\":0"),
		  "default-item" },
		{ TX("\"action\":\"select-item\",\"items\":[\"x\",\"y\"],\"default-item\":\"y\""),
		  "default-item" },
		{ TX("\"action\":\"get-input\",\"text\":\"a\",\"default-item\":1"), "default-item" },
		{ TX("\"action\":\"get-input\",\"text\":\"a\",\"input\":3"), "input" },
		{ TX("\"action\":\"get-input\",\"text\":\"a\",\"input\":{\"min\":-1}"), "input.min" },
		{ TX("\"action\":\"get-input\",\"text\":\"a\",\"input\":{\"max\":0}"), "input.max" },
		{ TX("\"action\":\"get-input\",\"text\":\"a\",\"input\":{\"digits\":1}"),
		  "input.digits" },
		{ TX("\"action\":\"get-input\",\"text\":\"a\",\"input\":{\"hidden\":\"y\"}"),
		  "input.hidden" },
		{ TX("\"action\":\"display-text\",\"text\":\"a\",\"input\":{}"), "input" },
		{ TX("\"action\":\"display-text\",\"text\":\"a\",\"tar\":\"b0\""), "tar" },
		{ TX("\"action\":\"display-text\",\"text\":\"a\",\"tar\":\"c00000\""), "tar" },
		{ TX("\"action\":\"display-text\",\"text\":\"a\",\"ev\":[]"), "ev" },
		{ TX("\"action\":\"display-text\",\"text\":\"a\",\"ev\":{\"mg\":1}"), "ev.mg" },
		{ TX("\"action\":\"display-text\",\"text\":\"a\",\"ev\":{\"rq\":\"no\"}"), "ev.rq" },
		{ TX("\"action\":\"display-text\",\"text\":\"a\",\"ev\":{\"preset-ms\":-5}"),
		  "ev.preset-ms" },
		{ TX("\"action\":\"display-text\",\"text\":\"a\",\"ev\":{\"deadline-ms\":\"1h\"}"),
		  "ev.deadline-ms" },
		{ TX("\"action\":\"display-text\",\"text\":\"a\",\"ev\":{\"wanted\":1}"),
		  "ev.wanted" },
		{ TX("\"action\":\"display-text\",\"text\":\"a\",\"ev\":{\"wanted\":{\"form\":\"x\"}}"),
		  "ev.wanted.form" },
		{ TX("\"action\":\"display-text\",\"text\":\"a\","
		     "\"ev\":{\"wanted\":{\"form\":\"fixed\"}}"), "ev.wanted.seconds" },
		{ TX("\"action\":\"display-text\",\"text\":\"a\","
		     "\"ev\":{\"wanted\":{\"form\":\"until-event\",\"event\":\"x\"}}"),
		  "ev.wanted.event" },
		{ TX("\"action\":\"display-text\",\"text\":\"a\","
		     "\"ev\":{\"mg\":false,\"wanted\":{\"form\":\"until-mg\"}}"), "ev.wanted" },
		{ TX("\"action\":\"display-text\",\"text\":\"a\",\"ev\":{\"speed\":1}"), "ev.speed" },
		{ TX("\"action\":\"display-text\",\"text\":\"a\",\"colour\":\"red\""), "colour" },
	};

	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++)
		expect("POST", "/v1/transactions", "application/json", bad[i].body, 400,
		       bad[i].field);
	expect("POST", "/v1/transactions", "application/json",
	       "{\"iccid\":\"89882390000000000099\",\"action\":\"display-text\",\"text\":\"a\"}",
	       404, "iccid");
	expect("POST", "/v1/transactions", "text/plain", TX("\"action\":\"yes-no\",\"text\":\"a\""),
	       415, "Content-Type");
	expect("POST", "/v1/transactions", "application/json", NULL, 400, "body");
	expect("POST", "/v1/transactions?now=1", "application/json",
	       TX("\"action\":\"yes-no\",\"text\":\"a\""), 400, "now");
}

static void test_tx_routes(void)
{
	struct reply r;
	int64_t id, id2;
	char *path;
	JsonArray *a;

	id = start_tx(TX("\"action\":\"get-input\",\"text\":\"PIN?\",\"input\":{\"min\":4,\"max\":8,"
			 "\"digits\":true,\"hidden\":true},\"ev\":{\"preset-ms\":null,"
			 "\"wanted\":{\"form\":\"indefinite\"}}"));
	id2 = start_tx(TX("\"action\":\"select-item\",\"text\":\"Pick\",\"items\":[\"A\",\"B\"],"
			  "\"default-item\":2"));
	g_assert_cmpint(id2, >, id);

	path = g_strdup_printf("/v1/transactions/%" G_GINT64_FORMAT, id);
	call(&r, "GET", path, NULL, NULL);
	g_assert_cmpuint(r.status, ==, 200);
	g_assert_cmpint(json_object_get_int_member(obj(&r), "id"), ==, id);
	g_assert_cmpstr(json_object_get_string_member(obj(&r), "action"), ==, "get-input");
	g_assert_cmpstr(tx_state(r.json), ==, "c1-sent");   /* no device for this card */
	g_assert_cmpuint(count_events(r.json, "queued"), ==, 1);
	g_assert_cmpuint(count_events(r.json, "c1-sent"), ==, 1);
	g_assert_true(json_object_has_member(obj(&r), "result"));
	g_assert_true(json_object_get_null_member(obj(&r), "result"));
	g_assert_true(json_object_get_null_member(obj(&r), "default-item"));
	reply_clear(&r);
	g_free(path);
	path = g_strdup_printf("/v1/transactions/%" G_GINT64_FORMAT, id2);
	call(&r, "GET", path, NULL, NULL);
	g_assert_cmpuint(r.status, ==, 200);
	g_assert_cmpint(json_object_get_int_member(obj(&r), "default-item"), ==, 2);
	reply_clear(&r);
	g_free(path);
	path = g_strdup_printf("/v1/transactions/%" G_GINT64_FORMAT, id);
	expect("GET", "/v1/transactions/abc", NULL, NULL, 400, "id");
	expect("GET", "/v1/transactions/0", NULL, NULL, 400, "id");
	expect("GET", "/v1/transactions/-3", NULL, NULL, 400, "id");
	expect("GET", "/v1/transactions/99999999999999999999999", NULL, NULL, 400, "id");
	expect("GET", "/v1/transactions/424242", NULL, NULL, 404, "id");
	expect("DELETE", path, NULL, NULL, 405, NULL);
	expect("GET", "/v1/transactions/1/stop", NULL, NULL, 404, NULL);

	/* the second one waits behind the first (one proactive session per card) */
	call(&r, "GET", "/v1/transactions?state=queued", NULL, NULL);
	g_assert_cmpuint(r.status, ==, 200);
	a = json_node_get_array(r.json);
	g_assert_cmpuint(json_array_get_length(a), >=, 1);
	for (unsigned i = 0; i < json_array_get_length(a); i++) {
		JsonObject *t = json_array_get_object_element(a, i);

		g_assert_cmpstr(json_object_get_string_member(t, "state"), ==, "queued");
		g_assert_false(json_object_has_member(t, "timeline"));
	}
	g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(a, 0), "id"), ==,
			id2);
	reply_clear(&r);
	call(&r, "GET", "/v1/transactions", NULL, NULL);
	g_assert_cmpuint(r.status, ==, 200);
	g_assert_cmpuint(json_array_get_length(json_node_get_array(r.json)), >=, 2);
	reply_clear(&r);
	call(&r, "GET", "/v1/transactions?iccid=" TEST_ICCID2, NULL, NULL);
	g_assert_cmpuint(r.status, ==, 200);
	g_assert_cmpuint(json_array_get_length(json_node_get_array(r.json)), ==, 0);
	reply_clear(&r);
	expect("GET", "/v1/transactions?state=done", NULL, NULL, 400, "state");
	expect("GET", "/v1/transactions?sort=id", NULL, NULL, 400, "sort");
	expect("PUT", "/v1/transactions", "application/json", "{}", 405, NULL);

	/* poll: only a waiting transaction can be polled */
	g_free(path);
	path = g_strdup_printf("/v1/transactions/%" G_GINT64_FORMAT "/poll", id);
	expect("POST", path, NULL, NULL, 409, NULL);
	call(&r, "GET", path, NULL, NULL);
	g_assert_cmpuint(r.status, ==, 405);
	g_assert_cmpstr(r.allow, ==, "POST");
	reply_clear(&r);
	expect("POST", "/v1/transactions/424242/poll", NULL, NULL, 404, "id");
	expect("POST", "/v1/transactions/x/poll", NULL, NULL, 400, "id");
	g_free(path);

	/* a card with unfinished transactions cannot be removed */
	expect("DELETE", "/v1/cards/" TEST_ICCID, NULL, NULL, 409, NULL);

	/* other routes */
	expect("GET", "/v1/nothing", NULL, NULL, 404, NULL);
	expect("GET", "/v2/transactions", NULL, NULL, 404, NULL);
	call(&r, "GET", "/v1/status", NULL, NULL);
	g_assert_cmpuint(r.status, ==, 200);
	g_assert_cmpint(json_object_get_int_member(obj(&r), "active-transactions"), >=, 2);
	reply_clear(&r);
}

static void test_oversized(void)
{
	struct raw *c = raw_open("POST /v1/transactions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				 "Content-Type: application/json\r\nContent-Length: 2000000\r\n\r\n");
	char *junk = g_malloc(2000000);

	/* the server reads (and drops) it all, then refuses */
	memset(junk, ' ', 2000000);
	for (size_t off = 0; off < 2000000;) {
		gssize n = g_socket_send(c->sock, junk + off, 2000000 - off, NULL, NULL);

		g_assert_cmpint(n, >, 0);
		off += (size_t)n;
	}
	g_free(junk);
	g_assert_true(raw_read(c, "\"field\":\"body\"", 10000));
	g_assert_true(g_str_has_prefix(c->in->str, "HTTP/1.1 413"));
	raw_close(c);
}

/* ---- events ---------------------------------------------------------------------------- */

static void test_events(void)
{
	struct raw *all, *one, *card;
	struct reply r;
	int64_t a, b;

	all = sse_open("");
	card = sse_open("?iccid=" TEST_ICCID2);
	a = start_tx(TX("\"action\":\"yes-no\",\"text\":\"Stream?\""));
	/* queued behind the card's earlier transactions: "queued" at once */
	g_assert_true(sse_wait(all, a, "queued", 5000));
	g_assert_nonnull(strstr(all->in->str, "event: queued\n"));
	g_assert_nonnull(strstr(all->in->str, "\nid: "));
	/* a filtered stream sees nothing of other cards */
	raw_read(card, NULL, 300);
	g_assert_cmpuint(sse_count(card, 0, "queued"), ==, 0);

	/* clients come and go: one leaves abruptly, another joins with a filter */
	raw_close(all);
	b = start_tx(TX("\"action\":\"yes-no\",\"text\":\"Again?\""));
	{
		char *q = g_strdup_printf("?tx=%" G_GINT64_FORMAT, b + 1);

		one = sse_open(q);
		g_free(q);
	}
	{
		int64_t c = start_tx(TX("\"action\":\"yes-no\",\"text\":\"Third?\""));

		g_assert_cmpint(c, ==, b + 1);
		g_assert_true(sse_wait(one, c, "queued", 5000));
		g_assert_cmpuint(sse_count(one, b, "queued"), ==, 0);
	}

	/* bad streams */
	expect("GET", "/v1/events?tx=abc", NULL, NULL, 400, "tx");
	expect("GET", "/v1/events?iccid=x1", NULL, NULL, 400, "iccid");
	expect("GET", "/v1/events?since=3", NULL, NULL, 400, "since");
	expect("POST", "/v1/events", "application/json", "{}", 405, NULL);

	/* the server keeps serving; the stream that left is dropped once written to */
	call(&r, "GET", "/v1/status", NULL, NULL);
	g_assert_cmpuint(r.status, ==, 200);
	g_assert_cmpint(json_object_get_int_member(obj(&r), "event-streams"), >=, 2);
	g_assert_cmpint(json_object_get_int_member(obj(&r), "event-streams"), <=, 3);
	reply_clear(&r);
	raw_close(one);
	raw_close(card);
}

/* ---- ota-cli ------------------------------------------------------------------------------ */

static void test_cli(void)
{
	JsonNode *n;
	struct cli_result r;
	char *id_s;
	int64_t id;

	/* card import / list / show / remove */
	n = cli_json((const char *[]){ "card", "import", srv.ini2, NULL });
	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(n), "iccid"), ==,
			TEST_ICCID2);
	json_node_unref(n);
	cli_fails((const char *[]){ "card", "import", srv.ini2, NULL }, "already registered");
	n = cli_json((const char *[]){ "card", "import", "--replace", srv.ini2, NULL });
	json_node_unref(n);
	n = cli_json((const char *[]){ "card", "list", NULL });
	g_assert_true(JSON_NODE_HOLDS_ARRAY(n));
	g_assert_cmpuint(json_array_get_length(json_node_get_array(n)), >=, 2);
	json_node_unref(n);
	n = cli_json((const char *[]){ "card", "show", TEST_ICCID2, "--pretty", NULL });
	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(n), "msisdn"), ==,
			"+15550002");
	json_node_unref(n);
	cli_fails((const char *[]){ "card", "show", "89882390000000000099", NULL },
		  "unknown card");
	cli_fails((const char *[]){ "card", "import", "/nonexistent/card.ini", NULL },
		  "/nonexistent/card.ini");
	cli_fails((const char *[]){ "card", "frobnicate", NULL }, "unknown subcommand");

	/* card add from JSON, remove */
	{
		char *p = g_build_filename(srv.dir, "card.json", NULL);

		g_assert_true(g_file_set_contents_full(p, CARD_JSON(""), -1,
						       G_FILE_SET_CONTENTS_NONE, 0600, NULL));
		n = cli_json((const char *[]){ "card", "add", p, NULL });
		g_assert_cmpstr(json_object_get_string_member(json_node_get_object(n), "iccid"),
				==, ICCID_JSON);
		json_node_unref(n);
		/* an array: one batch, one commit */
		g_assert_true(g_file_set_contents_full(p, "[" CLI_CARD("89882390000000000801") ","
						       CLI_CARD("89882390000000000802") "]", -1,
						       G_FILE_SET_CONTENTS_NONE, 0600, NULL));
		n = cli_json((const char *[]){ "card", "add", p, NULL });
		g_assert_cmpint(json_object_get_int_member(json_node_get_object(n), "registered"),
				==, 2);
		json_node_unref(n);
		n = cli_json((const char *[]){ "card", "show", "89882390000000000802", NULL });
		json_node_unref(n);
		g_free(p);
	}
	run_cli(&r, (const char *[]){ "card", "remove", ICCID_JSON, NULL });
	g_assert_cmpint(r.status, ==, 0);
	g_assert_cmpstr(r.out, ==, "");
	cli_clear(&r);
	cli_fails((const char *[]){ "card", "remove", ICCID_JSON, NULL }, "unknown card");

	/* tx start / show / list / poll */
	n = cli_json((const char *[]){ "tx", "start", "--iccid", TEST_ICCID, "--action",
				       "select-item", "--text", "Pick", "--item", "1:Tea",
				       "--item", "2:Coffee", "--default-item", "2", "--wanted", "until-mg",
				       NULL });
	id = json_object_get_int_member(json_node_get_object(n), "id");
	json_node_unref(n);
	id_s = g_strdup_printf("%" G_GINT64_FORMAT, id);
	n = cli_json((const char *[]){ "tx", "show", id_s, NULL });
	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(n), "action"), ==,
			"select-item");
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(
				json_node_get_object(n), "items")), ==, 2);
	g_assert_cmpint(json_object_get_int_member(json_node_get_object(n), "default-item"), ==, 2);
	json_node_unref(n);
	n = cli_json((const char *[]){ "tx", "list", "--state", "queued", NULL });
	g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(
				json_node_get_array(n), 0), "id"), ==, id);
	json_node_unref(n);
	cli_fails((const char *[]){ "tx", "poll", id_s, NULL }, "nothing to poll (HTTP 409)");
	/* text as given (UTF-8), whatever the locale */
	n = cli_json((const char *[]){ "tx", "start", "--iccid", TEST_ICCID, "--action",
				       "display-text", "--text", "Pay 25 € to ACME?", NULL });
	{
		char *id2 = g_strdup_printf("%" G_GINT64_FORMAT,
					    json_object_get_int_member(json_node_get_object(n), "id"));
		JsonNode *t = cli_json((const char *[]){ "tx", "show", id2, NULL });

		g_assert_cmpstr(json_object_get_string_member(json_node_get_object(t), "text"), ==,
				"Pay 25 € to ACME?");
		json_node_unref(t);
		g_free(id2);
	}
	json_node_unref(n);
	cli_fails((const char *[]){ "tx", "show", "424242", NULL }, "unknown transaction");
	cli_fails((const char *[]){ "tx", "show", "x", NULL }, "id: ");
	cli_fails((const char *[]){ "tx", "list", "--state", "done", NULL }, "state: ");
	cli_fails((const char *[]){ "tx", "start", "--iccid", TEST_ICCID, "--action", "dance",
				    "--text", "a", NULL }, "action: ");
	cli_fails((const char *[]){ "tx", "start", "--iccid", TEST_ICCID, "--action",
				    "display-text", "--text", "a", "--ev", "{\"mg\":3}", NULL },
		  "ev.mg: ");
	cli_fails((const char *[]){ "tx", "start", "--iccid", TEST_ICCID, "--action",
				    "display-text", "--text", "a", "--ev", "nope", NULL }, "--ev");
	cli_fails((const char *[]){ "tx", "start", "--iccid", TEST_ICCID, "--action",
				    "select-item", "--text", "a", "--item", "2:B", NULL }, "--item");
	cli_fails((const char *[]){ "tx", "start", "--iccid", TEST_ICCID, "--action",
				    "select-item", "--item", "A", "--item", "B", "--default-item", "3",
				    NULL }, "default-item: expected an item id, 1 to 2 (HTTP 400)");
	cli_fails((const char *[]){ "tx", "start", "--iccid", "89882390000000000099", "--action",
				    "display-text", "--text", "a", NULL }, "unknown card");
	cli_fails((const char *[]){ "tx", "start", "--action", "display-text", NULL }, "--iccid");
	cli_fails((const char *[]){ "tx", "start", "--iccid", TEST_ICCID, "--action",
				    "display-text", "--text", "slow", "--wait", "--timeout", "1",
				    NULL }, "timed out");
	cli_fails((const char *[]){ "tx", NULL }, "missing subcommand");
	cli_fails((const char *[]){ "tx", "list", "--server", "ftp://x", NULL }, "--server");
	cli_fails((const char *[]){ "tx", "list", "--server", "http://127.0.0.1:1", NULL },
		  "cannot reach");
	g_free(id_s);

	/* the offline commands are still there */
	run_cli(&r, (const char *[]){ "message", "c2", "--txid", "0000000a", NULL });
	g_assert_cmpint(r.status, ==, 0);
	g_assert_cmpuint(strlen(r.out), >, 4);
	cli_clear(&r);
}

/* ---- RFM operations and campaigns ---------------------------------------------------------- */

/* A card with an RFM application on b00010 (the keys of CARD_JSON); no device serves it. */
#define RFM_ICCID "89882390000000000041"
#define RFM_CARD_JSON \
	"{\"iccid\":\"" RFM_ICCID "\",\"msisdn\":\"+15550004\"," \
	"\"keysets\":[{\"kvn\":1,\"kic\":\"15\",\"kid\":\"15\"," \
	"\"kic-key\":\"00112233445566778899aabbccddeeff\"," \
	"\"kid-key\":\"0f1e2d3c4b5a69788796a5b4c3d2e1f0\",\"counter\":\"0000000000\"}]," \
	"\"tars\":[{\"tar\":\"b00010\",\"spi\":\"1619\",\"keysets\":[1],\"applet\":\"rfm\"}," \
	"{\"tar\":\"defe01\",\"spi\":\"1619\",\"keysets\":[1],\"applet\":\"deferred\"}]}"
#define RFM_REQ(members) "{\"iccid\":\"" RFM_ICCID "\"," members "}"

/* doc/api.md: 400 naming the field, and nothing stored (the card's counter unmoved) */
static void test_rfm_bad_input(void)
{
	static const struct {
		const char *body, *field;
	} cases[] = {
		{ "{\"iccid\":\"89882390000000000999\",\"tar\":\"b00010\",\"apdus\":[\"a0f2000016\"]}", "iccid" },
		{ RFM_REQ("\"tar\":\"b0001\",\"apdus\":[\"a0f2000016\"]"), "tar" },
		{ RFM_REQ("\"tar\":\"b00011\",\"apdus\":[\"a0f2000016\"]"), "tar" },
		{ RFM_REQ("\"tar\":\"defe01\",\"apdus\":[\"a0f2000016\"]"), "tar" },
		{ RFM_REQ("\"tar\":\"b00010\",\"apdus\":[\"a0f2000016\",\"a0f2zz\"]"), "apdus[1]" },
		{ RFM_REQ("\"tar\":\"b00010\",\"apdus\":[]"), "apdus" },
		{ RFM_REQ("\"tar\":\"b00010\",\"apdus\":[\"a0f2000016\"],\"format\":\"big\""), "format" },
		{ RFM_REQ("\"script\":\"tar b00010\\n\\nnot hex\\n\""), "script" },
		{ RFM_REQ("\"tar\":\"b00010\",\"apdus\":[\"a0f2000016\"],\"wait\":true"), "wait" },
	};
	struct reply r;
	char *big;

	call(&r, "POST", "/v1/cards", "application/json", RFM_CARD_JSON);
	g_assert_cmpuint(r.status, ==, 201);
	reply_clear(&r);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		expect("POST", "/v1/rfm", "application/json", cases[i].body, 400, cases[i].field);
	/* over the 8 SMS of a concatenated packet */
	big = rfm_request_too_long(RFM_ICCID, "b00010");
	expect("POST", "/v1/rfm", "application/json", big, 400, "apdus");
	g_free(big);
	/* campaigns: the same checks for each card, and their own members */
	expect("POST", "/v1/campaigns", "application/json",
	       "{\"tar\":\"b00010\",\"apdus\":[\"a0f2000016\"],\"iccids\":[\"" RFM_ICCID "\","
	       "\"89882390000000000999\"]}", 400, "iccids[1]");
	expect("POST", "/v1/campaigns", "application/json",
	       "{\"tar\":\"b00010\",\"apdus\":[\"a0f2000016\"],\"iccids\":[\"" TEST_ICCID "\"]}", 400,
	       "iccids[0]");
	expect("POST", "/v1/campaigns", "application/json",
	       "{\"tar\":\"b00010\",\"apdus\":[\"a0f2000016\"],\"iccids\":[\"" RFM_ICCID "\",\""
	       RFM_ICCID "\"]}", 400, "iccids[1]");
	expect("POST", "/v1/campaigns", "application/json",
	       "{\"tar\":\"b00001\",\"apdus\":[\"a0f2000016\"],\"all\":true}", 400, "all");
	expect("POST", "/v1/campaigns", "application/json",
	       "{\"tar\":\"b00010\",\"apdus\":[\"a0f2000016\"],\"all\":true,\"rate\":0}", 400, "rate");
	expect("POST", "/v1/campaigns", "application/json",
	       "{\"tar\":\"b00010\",\"apdus\":[\"a0f2000016\"],\"all\":true,\"retries\":11}", 400, "retries");
	expect("POST", "/v1/campaigns", "application/json",
	       "{\"tar\":\"b00010\",\"apdus\":[\"a0f2000016\"]}", 400, "iccids");
	expect("POST", "/v1/campaigns", "application/json",
	       "{\"tar\":\"b00010\",\"apdus\":[\"a0f2000016\"],\"all\":true,\"iccids\":[\"" RFM_ICCID "\"]}",
	       400, "iccids");
	call(&r, "GET", "/v1/rfm", NULL, NULL);
	g_assert_cmpuint(r.status, ==, 200);
	g_assert_cmpuint(json_array_get_length(json_node_get_array(r.json)), ==, 0);
	reply_clear(&r);
	call(&r, "GET", "/v1/campaigns", NULL, NULL);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(obj(&r), "campaigns")), ==, 0);
	reply_clear(&r);
	call(&r, "GET", "/v1/cards/" RFM_ICCID, NULL, NULL);
	g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(
		json_object_get_array_member(obj(&r), "keysets"), 0), "counter"), ==, "0000000000");
	reply_clear(&r);
}

/* the routes, an operation's JSON, a campaign started, followed on the stream and cancelled */
static void test_rfm_routes(void)
{
	struct raw *events = sse_open("");
	struct reply r;
	JsonObject *o;
	int64_t id, cid;
	char *path;

	call(&r, "POST", "/v1/rfm", "application/json",
	     RFM_REQ("\"tar\":\"b00010\",\"apdus\":[\"a0a40000027f20\",\"a0c0000016\"]"));
	g_assert_cmpuint(r.status, ==, 201);
	id = json_object_get_int_member(obj(&r), "id");
	/* the route, as for a transaction: no device serves the card yet */
	g_assert_true(json_object_has_member(obj(&r), "link"));
	g_assert_true(json_object_has_member(obj(&r), "warnings"));
	path = g_strdup_printf("/v1/rfm/%" G_GINT64_FORMAT, id);
	g_assert_cmpstr(r.location, ==, path);
	reply_clear(&r);
	call(&r, "GET", path, NULL, NULL);
	o = obj(&r);
	g_assert_cmpstr(json_object_get_string_member(o, "state"), ==, "sent");
	g_assert_cmpstr(json_object_get_string_member(o, "tar"), ==, "b00010");
	g_assert_cmpstr(json_object_get_string_member(o, "format"), ==, "compact");
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "apdus")), ==, 2);
	g_assert_true(json_object_get_null_member(o, "result"));
	g_assert_true(json_object_get_null_member(o, "campaign"));
	g_assert_nonnull(json_object_get_string_member(o, "sent"));
	g_assert_true(sse_wait(events, id, "script-sent", 5000));
	reply_clear(&r);
	g_free(path);
	/* the operation is a transaction of action rfm */
	path = g_strdup_printf("/v1/transactions/%" G_GINT64_FORMAT, id);
	call(&r, "GET", path, NULL, NULL);
	g_assert_cmpstr(json_object_get_string_member(obj(&r), "action"), ==, "rfm");
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(obj(&r), "rfm"),
						      "format"), ==, "compact");
	reply_clear(&r);
	g_free(path);
	call(&r, "GET", "/v1/rfm?state=sent&iccid=" RFM_ICCID, NULL, NULL);
	g_assert_cmpuint(json_array_get_length(json_node_get_array(r.json)), ==, 1);
	reply_clear(&r);
	expect("GET", "/v1/rfm?state=c2-sent", NULL, NULL, 400, "state");
	expect("GET", "/v1/rfm?campaign=x", NULL, NULL, 400, "campaign");
	expect("GET", "/v1/rfm?bogus=1", NULL, NULL, 400, "bogus");
	expect("GET", "/v1/rfm/99999", NULL, NULL, 404, "id");
	expect("GET", "/v1/rfm/x", NULL, NULL, 400, "id");
	expect("GET", "/v1/rfm/1/x", NULL, NULL, 404, NULL);
	expect("DELETE", "/v1/rfm", NULL, NULL, 405, NULL);
	expect("POST", "/v1/rfm/1", "application/json", "{}", 405, NULL);

	/* a campaign to the card: started, its card active (queued behind the operation), cancelled */
	call(&r, "POST", "/v1/campaigns", "application/json",
	     "{\"name\":\"spn\",\"tar\":\"b00010\",\"apdus\":[\"a0a40000027f20\"],\"all\":true,"
	     "\"rate\":50,\"retries\":0}");
	g_assert_cmpuint(r.status, ==, 201);
	cid = json_object_get_int_member(obj(&r), "id");
	reply_clear(&r);
	g_assert_true(sse_wait(events, 0, "campaign-started", 5000));
	g_assert_true(sse_wait(events, 0, "campaign-card", 5000));
	path = g_strdup_printf("/v1/campaigns/%" G_GINT64_FORMAT, cid);
	call(&r, "GET", path, NULL, NULL);
	o = obj(&r);
	g_assert_cmpstr(json_object_get_string_member(o, "name"), ==, "spn");
	g_assert_cmpstr(json_object_get_string_member(o, "state"), ==, "running");
	g_assert_cmpint(json_object_get_int_member(o, "total"), ==, 1);
	g_assert_cmpint(json_object_get_int_member(o, "active"), ==, 1);
	g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(
		json_object_get_array_member(o, "cards"), 0), "state"), ==, "active");
	reply_clear(&r);
	call(&r, "GET", "/v1/campaigns", NULL, NULL);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(obj(&r), "campaigns")), ==, 1);
	reply_clear(&r);
	expect("GET", "/v1/campaigns/99999", NULL, NULL, 404, "id");
	expect("GET", "/v1/campaigns/1?cards=maybe", NULL, NULL, 400, "cards");
	expect("GET", "/v1/campaigns/1?state=gone", NULL, NULL, 400, "state");
	expect("PUT", "/v1/campaigns", NULL, NULL, 405, NULL);
	expect("GET", "/v1/campaigns/1/cancel", NULL, NULL, 405, NULL);
	g_free(path);
	path = g_strdup_printf("/v1/campaigns/%" G_GINT64_FORMAT "/cancel", cid);
	call(&r, "POST", path, NULL, NULL);
	g_assert_cmpuint(r.status, ==, 200);
	g_assert_cmpstr(json_object_get_string_member(obj(&r), "state"), ==, "cancelled");
	g_assert_cmpint(json_object_get_int_member(obj(&r), "cancelled"), ==, 1);
	reply_clear(&r);
	expect("POST", path, NULL, NULL, 409, NULL);
	g_assert_true(sse_wait(events, 0, "campaign-cancelled", 5000));
	g_free(path);
	raw_close(events);
}

/* ota-cli rfm and campaign: their checks, and the server's errors passed on */
static void test_rfm_cli(void)
{
	char *script = g_build_filename(srv.dir, "bad.rfm", NULL);
	struct cli_result r;
	JsonNode *n;

	cli_fails((const char *[]){ "rfm", "--iccid", RFM_ICCID, "--tar", "b00010", "--apdu", "a0f2zz",
				    NULL }, "apdus[0]: not hex");
	cli_fails((const char *[]){ "rfm", "--tar", "b00010", "--apdu", "a0f2000016", NULL }, "--iccid");
	cli_fails((const char *[]){ "rfm", "--iccid", RFM_ICCID, "--tar", "b00010", NULL }, "--apdu");
	cli_fails((const char *[]){ "rfm", "--iccid", RFM_ICCID, "--tar", "b00011", "--apdu",
				    "a0f2000016", NULL }, "has no TAR b00011");
	g_assert_true(g_file_set_contents(script, "tar b00010\na0a40000027f20\nA0 C0 00 00 1\n", -1, NULL));
	cli_fails((const char *[]){ "campaign", "start", "--script", script, "--all", NULL },
		  "bad.rfm: line 3: not hex");
	cli_fails((const char *[]){ "campaign", "start", "--script", script, NULL }, "--all");
	cli_fails((const char *[]){ "campaign", "show", NULL }, "ID is missing");
	cli_fails((const char *[]){ "rfm", "bogus", NULL }, "unknown subcommand");
	n = cli_json((const char *[]){ "campaign", "list", NULL });
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(json_node_get_object(n),
									    "campaigns")), >=, 1);
	json_node_unref(n);
	n = cli_json((const char *[]){ "campaign", "show", "1", "--no-cards", NULL });
	g_assert_false(json_object_has_member(json_node_get_object(n), "cards"));
	json_node_unref(n);
	n = cli_json((const char *[]){ "rfm", "list", "--iccid", RFM_ICCID, NULL });
	g_assert_cmpuint(json_array_get_length(json_node_get_array(n)), >=, 1);
	json_node_unref(n);
	run_cli(&r, (const char *[]){ "rfm", "--help", NULL });
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "--expanded"));
	cli_clear(&r);
	g_free(script);
}

/*
 * The RFM card served at last: a uicc-emu card with the RFM applet behind a
 * handset on the netsim link.  The operation left sent by test_rfm_routes
 * goes again when the device attaches; ota-cli rfm --wait prints the
 * R-APDU; ota-cli campaign start --wait --progress draws its progress and
 * ends with every card done.
 */
static void test_rfm_end_to_end(void)
{
	char *ini = g_build_filename(srv.dir, "rfm-card.ini", NULL);
	char *argv[] = { self_exe, "--device", srv.sock, ini, NULL };
	struct raw *events = sse_open("?iccid=" RFM_ICCID);
	GError *error = NULL;
	struct cli_result r;
	JsonObject *o, *res;
	JsonNode *n;
	GPid device;
	int status;

	g_assert_true(g_file_set_contents_full(ini,
		"[card]\niccid=" RFM_ICCID "\nimsi=001010123456781\nmsisdn=+15550004\n"
		"[keyset 1]\nkic=15\nkid=15\nkic-key=00112233445566778899aabbccddeeff\n"
		"kid-key=0f1e2d3c4b5a69788796a5b4c3d2e1f0\ncounter=0000000000\n"
		"[tar b00010]\napplet=rfm\nrfm-df=df-gsm\naccess=adm1\nkeysets=1\nmin-security-level=16\n"
		"[tar defe01]\nkeysets=1\nmin-security-level=16\nir=fixed:1\n",
		-1, G_FILE_SET_CONTENTS_NONE, 0600, &error));
	g_assert_no_error(error);
	g_assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &device,
				    &error));
	g_assert_no_error(error);

	run_cli(&r, (const char *[]){ "rfm", "--iccid", RFM_ICCID, "--tar", "b00010", "--apdu",
				      "a0a40000027f20", "--apdu", "a0c0000016", "--wait", "--timeout",
				      "60", NULL });
	if (r.status != 0)
		g_error("rfm --wait: %d %s %s", r.status, r.out, r.err);
	n = json_from_string(r.out, &error);
	g_assert_no_error(error);
	cli_clear(&r);
	o = json_node_get_object(n);
	g_assert_cmpstr(json_object_get_string_member(o, "state"), ==, "completed");
	res = json_object_get_object_member(o, "result");
	g_assert_true(json_object_get_boolean_member(res, "ok"));
	g_assert_cmpint(json_object_get_int_member(res, "executed"), ==, 2);
	g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(
		json_object_get_array_member(res, "rapdus"), 0), "sw"), ==, "9000");
	g_assert_true(sse_wait(events, json_object_get_int_member(o, "id"), "rfm-result", 5000));
	json_node_unref(n);

	run_cli(&r, (const char *[]){ "campaign", "start", "--tar", "b00010", "--apdu", "a0f2000016",
				      "--iccid", RFM_ICCID, "--rate", "20", "--name", "status",
				      "--wait", "--progress", "--timeout", "60", NULL });
	if (r.status != 0)
		g_error("campaign start --wait: %d %s %s", r.status, r.out, r.err);
	g_assert_nonnull(strstr(r.err, "[##############################] 1/1  done 1  failed 0"));
	n = json_from_string(r.out, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(n), "state"), ==, "completed");
	g_assert_cmpint(json_object_get_int_member(json_node_get_object(n), "done"), ==, 1);
	json_node_unref(n);
	cli_clear(&r);
	g_assert_true(sse_wait(events, 0, "campaign-card", 5000));
	/* the operation of test_rfm_routes, resent when the device came, was answered too */
	n = cli_json((const char *[]){ "rfm", "list", "--iccid", RFM_ICCID, "--state", "sent", NULL });
	g_assert_cmpuint(json_array_get_length(json_node_get_array(n)), ==, 0);
	json_node_unref(n);
	raw_close(events);

	kill(device, SIGTERM);
	g_assert_cmpint(waitpid(device, &status, 0), ==, device);
	g_spawn_close_pid(device);
	g_free(ini);
}

/* ---- end to end ----------------------------------------------------------------------- */

static void test_end_to_end(void)
{
	struct raw *events = sse_open("?iccid=" TEST_ICCID2);
	char *argv[] = { self_exe, "--device", srv.sock, srv.ini2, NULL };
	GError *error = NULL;
	struct cli_result r;
	JsonNode *tx;
	JsonObject *o, *result;
	int64_t id;

	/* the card (imported by test_cli) gets its handset */
	g_assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
				    &srv.device, &error));
	g_assert_no_error(error);

	run_cli(&r, (const char *[]){ "tx", "start", "--iccid", TEST_ICCID2, "--action",
				      "get-input", "--text", "Your PIN?", "--min-len", "4",
				      "--digits", "--wait", "--timeout", "60", NULL });
	if (r.status != 0)
		g_error("tx start --wait: %d %s %s", r.status, r.out, r.err);
	tx = json_from_string(r.out, &error);
	g_assert_no_error(error);
	cli_clear(&r);
	o = json_node_get_object(tx);
	id = json_object_get_int_member(o, "id");
	g_assert_cmpstr(tx_state(tx), ==, "completed");
	result = json_object_get_object_member(o, "result");   /* R1 */
	g_assert_nonnull(result);
	g_assert_cmpint(json_object_get_int_member(result, "general"), ==, 0);
	g_assert_cmpstr(json_object_get_string_member(result, "text"), ==, "1234");
	g_assert_cmpuint(count_events(tx, "c1-sent"), >=, 1);
	g_assert_cmpuint(count_events(tx, "ir-received"), ==, 1);
	g_assert_cmpuint(count_events(tx, "mg-received"), ==, 1);
	g_assert_cmpuint(count_events(tx, "c2-sent"), >=, 1);
	g_assert_cmpuint(count_events(tx, "r1-delivered"), ==, 1);
	g_assert_cmpuint(count_events(tx, "released"), ==, 1);
	json_node_unref(tx);

	/* the event stream saw it all, in order */
	g_assert_true(sse_wait(events, id, "released", 5000));
	g_assert_cmpuint(sse_count(events, id, "c1-sent"), >=, 1);
	g_assert_cmpuint(sse_count(events, id, "ir-received"), ==, 1);
	g_assert_cmpuint(sse_count(events, id, "mg-received"), ==, 1);
	g_assert_cmpuint(sse_count(events, id, "r1-delivered"), ==, 1);
	g_assert_true(strstr(events->in->str, "\"event\":\"c1-sent\"") <
		      strstr(events->in->str, "\"event\":\"r1-delivered\""));
	raw_close(events);

	/* a finished transaction cannot be polled; the POST -> R1 path also works over raw HTTP */
	{
		char *p = g_strdup_printf("/v1/transactions/%" G_GINT64_FORMAT "/poll", id);

		expect("POST", p, NULL, NULL, 409, NULL);
		g_free(p);
	}
}

/* ---- the timeline page ------------------------------------------------------------------ */

struct page {
	guint status;
	SoupMessageHeaders *headers;    /* the response's, referenced */
	char *body;
	gsize len;
};

static void page_get(struct page *p, const char *method, const char *path, const char *if_none_match)
{
	char *url = g_strconcat(srv.base, path, NULL);
	SoupMessage *msg = soup_message_new(method, url);
	GError *error = NULL;
	GBytes *b;

	g_assert_nonnull(msg);
	if (if_none_match)
		soup_message_headers_replace(soup_message_get_request_headers(msg), "If-None-Match",
					     if_none_match);
	b = soup_session_send_and_read(srv.http, msg, NULL, &error);
	g_assert_no_error(error);
	p->status = soup_message_get_status(msg);
	p->headers = soup_message_headers_ref(soup_message_get_response_headers(msg));
	p->body = g_strndup(g_bytes_get_data(b, &p->len), g_bytes_get_size(b));
	g_bytes_unref(b);
	g_object_unref(msg);
	g_free(url);
}

static void page_clear(struct page *p)
{
	soup_message_headers_unref(p->headers);
	g_free(p->body);
}

static const char *header(const struct page *p, const char *name)
{
	return soup_message_headers_get_one(p->headers, name);
}

/* GET / and /assets/NAME: from the binary, the right type, a strict CSP, revalidated by ETag */
static void test_web_page(void)
{
	static const struct {
		const char *path, *type, *needle;
	} files[] = {
		{ "/", "text/html; charset=utf-8", "<script src=\"/assets/app.js\" defer></script>" },
		{ "/assets/app.js", "text/javascript; charset=utf-8", "new EventSource('/v1/events')" },
		{ "/assets/style.css", "text/css; charset=utf-8", ".scroller" },
		{ "/assets/icon.svg", "image/svg+xml", "<svg" },
	};
	struct page p, q;
	struct raw *c;

	for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
		const char *csp;
		char *etag;

		page_get(&p, "GET", files[i].path, NULL);
		g_assert_cmpuint(p.status, ==, 200);
		g_assert_cmpstr(header(&p, "Content-Type"), ==, files[i].type);
		g_assert_nonnull(strstr(p.body, files[i].needle));
		csp = header(&p, "Content-Security-Policy");
		g_assert_nonnull(csp);
		g_assert_nonnull(strstr(csp, "default-src 'none'"));
		g_assert_nonnull(strstr(csp, "script-src 'self';"));
		g_assert_nonnull(strstr(csp, "frame-ancestors 'none'"));
		g_assert_null(strstr(csp, "unsafe"));
		g_assert_cmpstr(header(&p, "X-Content-Type-Options"), ==, "nosniff");
		g_assert_cmpstr(header(&p, "Cache-Control"), ==, "no-cache");
		g_assert_nonnull(header(&p, "ETag"));
		etag = g_strdup(header(&p, "ETag"));

		/* HEAD: the same headers, no body; a known ETag: 304 without a body */
		page_get(&q, "HEAD", files[i].path, NULL);
		g_assert_cmpuint(q.status, ==, 200);
		g_assert_cmpuint(q.len, ==, 0);
		g_assert_cmpstr(header(&q, "ETag"), ==, etag);
		g_assert_cmpstr(header(&q, "Content-Type"), ==, files[i].type);
		page_clear(&q);
		page_get(&q, "GET", files[i].path, etag);
		g_assert_cmpuint(q.status, ==, 304);
		g_assert_cmpuint(q.len, ==, 0);
		page_clear(&q);
		page_get(&q, "GET", files[i].path, "\"0123\", W/\"4567\"");
		g_assert_cmpuint(q.status, ==, 200);
		g_assert_cmpuint(q.len, ==, p.len);
		page_clear(&q);
		g_free(etag);
		page_clear(&p);
	}

	/* offline: the page loads nothing from elsewhere, and nothing inline */
	page_get(&p, "GET", "/", NULL);
	g_assert_null(strstr(p.body, "://"));
	g_assert_null(strstr(p.body, "<script>"));
	g_assert_null(strstr(p.body, "<style"));
	g_assert_null(strstr(p.body, " style="));
	g_assert_null(strstr(p.body, "javascript:"));
	page_clear(&p);
	page_get(&p, "GET", "/assets/style.css", NULL);
	g_assert_null(strstr(p.body, "url("));
	g_assert_null(strstr(p.body, "@import"));
	page_clear(&p);

	/* GET and HEAD only; unknown assets 404; API routes unchanged */
	expect("POST", "/", "application/json", "{}", 405, NULL);
	expect("DELETE", "/assets/app.js", NULL, NULL, 405, NULL);
	expect("GET", "/assets/nope.js", NULL, NULL, 404, NULL);
	expect("GET", "/assets/", NULL, NULL, 404, NULL);
	expect("GET", "/assets/.hidden", NULL, NULL, 404, NULL);
	expect("GET", "/assets/sub/app.js", NULL, NULL, 404, NULL);
	expect("GET", "/index.html", NULL, NULL, 404, NULL);
	expect("GET", "/v1", NULL, NULL, 404, NULL);
	expect("GET", "/v1/status", NULL, NULL, 200, NULL);
	/* paths the client did not normalise (libsoup removes the dot segments: /index.html) */
	c = raw_open("GET /assets/../index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
	g_assert_true(raw_read(c, "\"error\"", 5000));
	g_assert_true(g_str_has_prefix(c->in->str, "HTTP/1.1 404"));
	raw_close(c);
	c = raw_open("GET /assets/%2e%2e%2fapp.js HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
	g_assert_true(raw_read(c, "\r\n\r\n", 5000));
	g_assert_true(g_str_has_prefix(c->in->str, "HTTP/1.1 400"));     /* libsoup: an encoded '/' */
	raw_close(c);
}

/*
 * Group commit (doc/scaling.md): a 201 leaves only once what it announces is
 * committed.  Read at once on a connection of the test's own, every answered
 * transaction is there (the answer does not race the commit).
 */
static void test_answered_after_commit(void)
{
	GError *error = NULL;
	struct ots_db *db = ots_db_open(srv.db, &error);

	g_assert_no_error(error);
	for (unsigned i = 0; i < 40; i++) {
		int64_t id = start_tx(TX("\"action\":\"display-text\",\"text\":\"Stored?\""));
		struct ots_db_stmt *st = ots_db_stmt(db, "SELECT count(*) FROM transactions WHERE id = ?");

		ots_db_bind_int(st, 1, id);
		g_assert_true(ots_db_next(st, &error));
		g_assert_cmpint(ots_db_column_int(st, 0), ==, 1);
		ots_db_reset(st);
		g_assert_no_error(error);
	}
	ots_db_close(db);
}

static void skip_all(void)
{
	g_test_skip("OTA_TEST_SERVER and OTA_CLI name the binaries under test");
}

int main(int argc, char **argv)
{
	int rc;

	if (argc >= 4 && strcmp(argv[1], "--device") == 0)
		return device_main(argv[2], argv[3]);
	self_exe = g_file_read_link("/proc/self/exe", NULL);
	g_test_init(&argc, &argv, NULL);
	if (!server_start()) {
		g_test_add_func("/api/skipped", skip_all);
		return g_test_run();
	}
	g_test_add_func("/api/cards/import", test_card_import);
	g_test_add_func("/api/cards/json", test_card_json);
	g_test_add_func("/api/cards/batch", test_card_batch);
	g_test_add_func("/api/cards/checks", test_card_checks);
	g_test_add_func("/api/cards/routes", test_card_routes);
	g_test_add_func("/api/cards/paging", test_card_paging);
	g_test_add_func("/api/tx/bad-input", test_tx_bad_input);
	g_test_add_func("/api/tx/routes", test_tx_routes);
	g_test_add_func("/api/tx/paging", test_tx_paging);
	g_test_add_func("/api/http/oversized", test_oversized);
	g_test_add_func("/api/events/stream", test_events);
	g_test_add_func("/api/cli/commands", test_cli);
	g_test_add_func("/api/cli/pages", test_cli_pages);
	g_test_add_func("/api/rfm/bad-input", test_rfm_bad_input);
	g_test_add_func("/api/rfm/routes", test_rfm_routes);
	g_test_add_func("/api/rfm/cli", test_rfm_cli);
	g_test_add_func("/api/rfm/end-to-end", test_rfm_end_to_end);
	g_test_add_func("/api/end-to-end/wait-r1", test_end_to_end);
	g_test_add_func("/api/web/page", test_web_page);
	g_test_add_func("/api/tx/answered-after-commit", test_answered_after_commit);
	rc = g_test_run();
	server_stop();
	g_free(self_exe);
	return rc;
}
