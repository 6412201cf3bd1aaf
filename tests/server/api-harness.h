/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Harness of the HTTP API tests (test-ots-api.c): ota-test-server
 * ($OTA_TEST_SERVER) started on a free loopback port with a fresh database
 * and --verbose logs in a file; helpers that call it and check that no
 * answer, stream, ota-cli ($OTA_CLI) output or log line holds a key.
 */
#ifndef API_HARNESS_H
#define API_HARNESS_H

#include <gio/gio.h>
#include <libsoup/soup.h>
#include <stdbool.h>
#include <stdint.h>

#include "server-test.h"

/* the keys of every card the tests register (write_card_ini's and CARD_JSON's) */
extern const char *const api_keys[4];
#define ICCID_JSON "89882390000000000033"
#define CARD_JSON(extra) \
	"{\"iccid\":\"" ICCID_JSON "\",\"msisdn\":\"+15550003\",\"imsi\":\"001010123456780\"," \
	"\"keysets\":[{\"kvn\":1,\"kic\":\"15\",\"kid\":\"15\"," \
	"\"kic-key\":\"00112233445566778899aabbccddeeff\"," \
	"\"kid-key\":\"0f1e2d3c4b5a69788796a5b4c3d2e1f0\",\"counter\":\"0000000000\"}]," \
	"\"tars\":[{\"tar\":\"defe01\",\"spi\":\"1619\",\"keysets\":[1]," \
	"\"min-security-level\":\"16\",\"mg-address\":\"+15550100\",\"applet\":\"deferred\"}]" \
	extra "}"

struct api_server {
	char *dir, *db, *sock, *ini, *ini2, *log, *base;
	const char *cli;
	guint16 port;
	GPid pid, device;
	SoupSession *http;
};
extern struct api_server srv;

/* g_error() if text holds any key (any case). */
void assert_no_keys(const char *text, size_t len, const char *where);

/* ---- HTTP ---- */
struct reply {
	guint status;
	JsonNode *json;
	char *body;
	char *location, *allow, *link;
};
void reply_clear(struct reply *r);
/* One request (body NULL: none); every answer is checked for keys. */
void call(struct reply *r, const char *method, const char *path, const char *ctype,
	  const char *body);
/* The answer's JSON object. */
JsonObject *obj(const struct reply *r);
/* The request gets this status and, for errors, a JSON error naming field (NULL: none). */
void expect(const char *method, const char *path, const char *ctype, const char *body,
	    guint status, const char *field);
/* POST /v1/transactions: 201, Location; the id. */
int64_t start_tx(const char *json);

/* ---- raw connections (event streams, oversized requests) ---- */
struct raw {
	GSocket *sock;
	GString *in;
};
struct raw *raw_open(const char *request);
/* Reads for up to ms, or until needle (if any) has arrived. */
bool raw_read(struct raw *c, const char *needle, unsigned ms);
void raw_close(struct raw *c);
/* GET /v1/events QUERY, up to its opening comment. */
struct raw *sse_open(const char *query);
/* Events of transaction tx (0: any) of this kind received so far. */
unsigned sse_count(struct raw *c, int64_t tx, const char *kind);
bool sse_wait(struct raw *c, int64_t tx, const char *kind, unsigned ms);

/* ---- ota-cli (OTA_SERVER set to the daemon) ---- */
struct cli_result {
	int status;
	char *out, *err;
};
void cli_clear(struct cli_result *r);
void run_cli(struct cli_result *r, const char *const *args);
/* exit 1, one line on stderr starting "ota-cli: " and containing what, nothing on stdout */
void cli_fails(const char *const *args, const char *what);
/* exit 0, no stderr; stdout parsed as JSON */
JsonNode *cli_json(const char *const *args);

/* ---- processes ---- */
/* The device child: a uicc-emu card behind a handset (me-sim.c) on the netsim link. */
int device_main(const char *path, const char *ini);
/* false when OTA_TEST_SERVER / OTA_CLI are not set. */
bool server_start(void);
/* SIGTERM (exit 0 expected), log checked for keys, temp dir removed. */
void server_stop(void);

#endif
