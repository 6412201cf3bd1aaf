/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card's OTA receiving entity through APDUs: every command-packet
 * vector of secured-packets.json as an SMS-PP DOWNLOAD envelope to a card
 * configured with its keys and TAR (PoRs byte for byte where a response
 * vector answers that command), then the counter modes, replay, bad CC,
 * unknown TAR, MSL, keysets, concatenated packets and PoR by SMS-SUBMIT.
 */
#include <string.h>

#include "simota/cat.h"
#include "test-support.h"
#include "uicc-ota-support.h"
#include "card/card-access.h"
#include "ota/ota.h"

/* ---- the test applet: records the secured data, answers what it is told ---- */

static struct {
	uint8_t data[4096];
	size_t len;
	unsigned calls;
	uint8_t answer[128];
	size_t answer_len;
} echo;

static enum uicc_tk_result echo_process(struct uicc_tk_invocation *inv, void *user_data)
{
	const uint8_t *p;
	size_t len;

	if (uicc_tk_invocation_event(inv) != UICC_TK_EVENT_FORMATTED_SMS_PP)
		return UICC_TK_OK;
	p = uicc_tk_invocation_data(inv, &len);
	g_assert_cmpuint(len, <=, sizeof(echo.data));
	memcpy(echo.data, p, len);
	echo.len = len;
	echo.calls++;
	if (echo.answer_len)
		g_assert_cmpint(uicc_tk_response_write(inv, echo.answer, echo.answer_len), ==, UICC_TK_OK);
	return UICC_TK_OK;
}

static void add_echo(struct ots_card *c)
{
	struct uicc_tk_applet *a = uicc_tk_applet_register(uicc_card_toolkit(c->card), "echo", echo_process, NULL);

	g_assert_nonnull(a);
	memset(&echo, 0, sizeof(echo));
}

static void set_answer(const char *hex)
{
	uint8_t *b = tv_hex(hex, &echo.answer_len);

	g_assert_cmpuint(echo.answer_len, <=, sizeof(echo.answer));
	memcpy(echo.answer, b, echo.answer_len);
	g_free(b);
}

static uint64_t hex_u64(const char *hex)
{
	return g_ascii_strtoull(hex, NULL, 16);
}

static uint64_t counter(struct ots_card *c, uint8_t kvn)
{
	uint64_t v = 0;

	g_assert_true(uicc_ota_counter(c->card, kvn, &v));
	return v;
}

/* The response vector that answers this command: same keys, SPI, TAR, counter. */
static JsonObject *matching_response(JsonObject *cmd)
{
	JsonArray *rs = json_object_get_array_member(tv_load("secured-packets.json"), "response_packets");

	for (guint i = 0; i < json_array_get_length(rs); i++) {
		JsonObject *r = json_array_get_object_element(rs, i);
		JsonObject *e = json_object_get_object_member(r, "expect");

		if (!json_object_get_boolean_member(e, "rc_cc_valid"))
			continue;
		if (g_strcmp0(tv_str(r, "spi"), tv_str(cmd, "spi")) || g_strcmp0(tv_str(r, "kic"), tv_str(cmd, "kic")) ||
		    g_strcmp0(tv_str(r, "kid"), tv_str(cmd, "kid")) ||
		    g_strcmp0(tv_str(r, "kic_key"), tv_str(cmd, "kic_key")) ||
		    g_strcmp0(tv_str(r, "kid_key"), tv_str(cmd, "kid_key")) ||
		    g_strcmp0(tv_str(e, "tar"), tv_str(cmd, "tar")) || g_strcmp0(tv_str(e, "cntr"), tv_str(cmd, "cntr")))
			continue;
		return r;
	}
	return NULL;
}

/* Decodes a PoR with the keys of the command (SPI2 decides which are used). */
static void decode_por(const uint8_t spi[2], uint8_t kic, uint8_t kid, const char *kic_hex, const char *kid_hex,
		       const uint8_t *por, size_t len, struct simota_ota_response *out, uint8_t *work, size_t cap)
{
	struct simota_ota_spi s;
	struct simota_ota_key *kk = NULL, *dk = NULL;
	simota_err err;

	simota_ota_spi_decode(spi, &s);
	if (s.por_ciphered && kic_hex)
		kk = ots_kic_key(kic, kic_hex);
	if (s.por_integrity != SIMOTA_OTA_INTEGRITY_NONE && (kid & 0x03))
		dk = ots_kid_key(kid, s.por_integrity, kid_hex);
	err = simota_ota_response_decode(spi, kic, kid, por, len, kk, dk, work, cap, out);
	g_assert_cmpstr(simota_strerror(err), ==, simota_strerror(SIMOTA_OK));
	simota_ota_key_free(kk);
	simota_ota_key_free(dk);
}

#define CARD_HEAD "[card]\niccid=89882390000000000017\nimsi=001010123456789\nmsisdn=+15550001\n"

/* A vector's keys that the card config loader refuses (all-zero 3DES degenerates to single DES). */
struct weak_keys {
	const char *kic_key, *kid_key;   /* NULL: in the config text as usual */
};

static void set_key(uint8_t *out, size_t *len, const char *hex)
{
	uint8_t *b = tv_hex(hex, len);

	g_assert_cmpuint(*len, <=, SIMOTA_CARD_MAX_KEY_LEN);
	memcpy(out, b, *len);
	g_free(b);
}

/* The echo applet on the vector's TAR, and its keys as published, the refused ones too. */
static void bind_vector(struct simota_card_config *cfg, void *data)
{
	const struct weak_keys *w = data;
	struct simota_card_keyset *ks = &cfg->keysets[0];

	ots_bind_applet(cfg, "echo");
	if (w->kic_key)
		set_key(ks->kic_key, &ks->kic_key_len, w->kic_key);
	if (w->kid_key)
		set_key(ks->kid_key, &ks->kid_key_len, w->kid_key);
}

/* (a) every public command-packet vector through a real SMS-PP DOWNLOAD */
static void test_vector(gconstpointer data)
{
	JsonObject *v = (JsonObject *)data;
	const char *kic_key = tv_str(v, "kic_key"), *kid_key = tv_str(v, "kid_key");
	uint8_t kic = tv_hex_byte(tv_str(v, "kic")), kid = tv_hex_byte(tv_str(v, "kid"));
	JsonObject *rv = matching_response(v);
	GString *ini = g_string_new(CARD_HEAD);
	struct weak_keys weak = { NULL, NULL };
	struct ots_card c;
	struct simota_ota_spi s;
	uint8_t *pkt, *want, spi[2], resp[512], work[512];
	size_t pkt_len, want_len, resp_len;
	uint16_t sw;
	uint64_t cntr = hex_u64(tv_str(v, "cntr"));

	g_assert_cmpuint(kic >> 4, ==, kid >> 4);
	if (tv_key_degenerate(kic_key, tv_str(v, "kic_algorithm")))
		weak.kic_key = kic_key;
	if (tv_key_degenerate(kid_key, tv_str(v, "kid_algorithm")))
		weak.kid_key = kid_key;
	g_string_append_printf(ini, "[keyset %u]\nkic=%02x\nkid=%02x\ncounter=0000000000\n", kic >> 4, kic, kid);
	if (kic_key && !weak.kic_key)
		g_string_append_printf(ini, "kic-key=%s\n", kic_key);
	if (kid_key && !weak.kid_key)
		g_string_append_printf(ini, "kid-key=%s\n", kid_key);
	g_string_append_printf(ini, "[tar %s]\nkeysets=%u\nmin-security-level=00\n", tv_str(v, "tar"), kic >> 4);
	if (weak.kic_key || weak.kid_key)
		g_test_message("a key the card config refuses is set in the loaded config directly");
	ots_card_open_patched(&c, ini->str, bind_vector, &weak);
	g_string_free(ini, TRUE);
	add_echo(&c);
	/* the applet answers what the real card's applet answered, else an RFM-like "01 9000" */
	set_answer(rv ? tv_str(json_object_get_object_member(rv, "expect"), "data") : "019000");

	pkt = tv_hex(tv_str(v, "expected"), &pkt_len);
	memcpy(spi, pkt + 3, 2);
	simota_ota_spi_decode(spi, &s);
	sw = ots_send_packet(&c, pkt, pkt_len, 1, resp, sizeof(resp), &resp_len);

	/* the applet got the secured data */
	g_assert_cmpuint(echo.calls, ==, 1);
	want = tv_hex(tv_str(v, "data"), &want_len);
	tv_assert_hex(echo.data, echo.len, tv_str(v, "data"));
	g_free(want);

	/* the counter: stored for the modes with a replay check, else untouched */
	if (s.counter == SIMOTA_OTA_COUNTER_HIGHER || s.counter == SIMOTA_OTA_COUNTER_ONE_HIGHER)
		g_assert_cmphex(counter(&c, kic >> 4), ==, cntr);
	else
		g_assert_cmphex(counter(&c, kic >> 4), ==, 0);

	if (!simota_ota_por_wanted(spi, 0) || s.por_via_submit) {
		g_assert_cmphex(sw & 0xFF00, ==, s.por_via_submit && simota_ota_por_wanted(spi, 0) ? 0x9100 : 0x9000);
		g_assert_cmpuint(resp_len, ==, 0);
	} else {
		struct simota_ota_response r;

		g_assert_cmphex(sw, ==, 0x9000);
		g_assert_cmpuint(resp_len, >, 0);
		if (rv) {
			/* byte for byte the PoR the real card sent */
			g_test_message("PoR compared byte for byte with %s", tv_str(rv, "id"));
			tv_assert_hex(resp, resp_len, tv_str(rv, "packet"));
		}
		decode_por(spi, kic, kid, kic_key, kid_key, resp, resp_len, &r, work, sizeof(work));
		g_assert_cmphex(r.status, ==, 0);
		g_assert_cmphex(r.cntr, ==, cntr);
		g_assert_cmpmem(r.tar, 3, pkt + 7, 3);
		g_assert_cmpmem(r.data, r.data_len, echo.answer, echo.answer_len);
	}
	g_free(pkt);
	ots_card_close(&c);
}

/* ---- a card with three keysets and TARs of different requirements ---- */

#define K1_KIC "0123456789abcdeffedcba9876543210"
#define K1_KID "112233445566778899aabbccddeeff00"
#define K2_KIC "000102030405060708090a0b0c0d0e0f"
#define K2_KID "101112131415161718191a1b1c1d1e1f"

/* open_neg() binds defe01 and defe02 to the test's "echo" applet, defe03 to none */
#define NEG_INI CARD_HEAD \
	"[keyset 1]\nkic=15\nkid=15\nkic-key=" K1_KIC "\nkid-key=" K1_KID "\ncounter=0000000000\n" \
	"[keyset 2]\nkic=22\nkid=22\nkic-key=" K2_KIC "\nkid-key=" K2_KID "\ncounter=0000000010\n" \
	"[keyset 3]\nkic=35\nkid=35\nkic-key=" K1_KID "\nkid-key=" K1_KIC "\n" \
	"[tar defe01]\nkeysets=1,2\nmin-security-level=12\n" \
	"[tar defe02]\nkeysets=1\nmin-security-level=00\n" \
	"[tar defe03]\nkeysets=1\nmin-security-level=00\n"

static const uint8_t tar1[3] = { 0xDE, 0xFE, 0x01 }, tar2[3] = { 0xDE, 0xFE, 0x02 },
	tar3[3] = { 0xDE, 0xFE, 0x03 }, tar_unknown[3] = { 0x00, 0x00, 0x99 };

/*
 * defe01 and defe02 reach "echo"; defe03 names an applet nobody registered
 * (the loader refuses such a name: this is the card's safety net, PoR 09).
 */
static void bind_neg(struct simota_card_config *cfg, void *data)
{
	ots_bind_applet(cfg, "echo");
	g_assert_cmpmem(cfg->tars[2].tar, 3, tar3, 3);
	g_strlcpy(cfg->tars[2].applet, "missing", sizeof(cfg->tars[2].applet));
}

static void open_neg(struct ots_card *c)
{
	ots_card_open_patched(c, NEG_INI, bind_neg, NULL);
	add_echo(c);
}
static const uint8_t payload[] = { 0x01, 0x02, 0x03, 0x04, 0x05 };

struct sent {
	uint16_t sw;
	uint8_t resp[512];
	size_t resp_len;
	bool por;
	struct simota_ota_response r;
	uint8_t work[512];
};

/* Wraps payload with keyset kvn (1: 3DES, 2: AES), sends it, decodes the PoR. */
static void send_with(struct ots_card *c, uint16_t spi, uint8_t kvn, const uint8_t tar[3], uint64_t cntr,
		      const uint8_t *data, size_t len, struct sent *out)
{
	const char *kic_hex = kvn == 2 ? K2_KIC : K1_KIC, *kid_hex = kvn == 2 ? K2_KID : K1_KID;
	uint8_t kic = (uint8_t)(kvn << 4 | (kvn == 2 ? 0x02 : 0x05)), kid = kic;
	uint8_t spib[2] = { (uint8_t)(spi >> 8), (uint8_t)spi };
	struct simota_ota_spi s;
	struct simota_ota_key *kk = NULL, *dk = NULL;
	uint8_t *pkt;
	size_t pkt_len;

	simota_ota_spi_decode(spib, &s);
	if (s.ciphered)
		kk = ots_kic_key(kic, kic_hex);
	if (s.integrity != SIMOTA_OTA_INTEGRITY_NONE)
		dk = ots_kid_key(kid, s.integrity, kid_hex);
	pkt = ots_wrap(spi, kic, kid, tar, cntr, kk, dk, data, len, &pkt_len);
	memset(out, 0, sizeof(*out));
	out->sw = ots_send_packet(c, pkt, pkt_len, 7, out->resp, sizeof(out->resp), &out->resp_len);
	out->por = out->resp_len > 0;
	if (out->por)
		decode_por(spib, kic, kid, kic_hex, kid_hex, out->resp, out->resp_len, &out->r, out->work,
			   sizeof(out->work));
	g_free(pkt);
	simota_ota_key_free(kk);
	simota_ota_key_free(dk);
}

static void send_payload(struct ots_card *c, uint16_t spi, uint8_t kvn, const uint8_t tar[3], uint64_t cntr,
			 struct sent *out)
{
	send_with(c, spi, kvn, tar, cntr, payload, sizeof(payload), out);
}

/* An error PoR: plain (RHL 0A: no RC/CC, TS 102 225 §5.2; see ota/ota.h), with that status. */
static void assert_error_por(const struct sent *s, uint8_t status)
{
	g_assert_cmphex(s->sw, ==, 0x9000);
	g_assert_true(s->por);
	g_assert_cmphex(s->r.status, ==, status);
	g_assert_cmpuint(s->resp_len, ==, 3 + 2 + 1 + 10);
	g_assert_cmphex(s->resp[5], ==, 0x0A);
	g_assert_false(s->r.ciphered);
	g_assert_cmpuint(s->r.cc_len, ==, 0);
}

static void assert_ok_por(const struct sent *s)
{
	g_assert_cmphex(s->sw, ==, 0x9000);
	g_assert_true(s->por);
	g_assert_cmphex(s->r.status, ==, 0);
}

/* SPI1 counter modes (TS 102 225 §5.1.1 b5b4), replay, blocked counter, persistence. */
static void test_counter_modes(void)
{
	struct ots_card c;
	struct sent s;

	open_neg(&c);
	set_answer("aa");

	/* 0619: no counter: any value, nothing stored */
	send_payload(&c, 0x0619, 1, tar2, 0, &s);
	assert_ok_por(&s);
	g_assert_cmpmem(s.r.data, s.r.data_len, "\xaa", 1);
	g_assert_cmphex(counter(&c, 1), ==, 0);
	/* 0E19: counter without replay check: accepted, not stored */
	send_payload(&c, 0x0E19, 1, tar2, 0, &s);
	assert_ok_por(&s);
	g_assert_cmphex(s.r.cntr, ==, 0);
	g_assert_cmphex(counter(&c, 1), ==, 0);

	/* 1619: higher */
	send_payload(&c, 0x1619, 1, tar2, 5, &s);
	assert_ok_por(&s);
	g_assert_cmphex(s.r.cntr, ==, 5);
	g_assert_cmphex(counter(&c, 1), ==, 5);
	send_payload(&c, 0x1619, 1, tar2, 5, &s);
	assert_error_por(&s, SIMOTA_OTA_STATUS_CNTR_LOW);
	g_assert_cmphex(s.r.cntr, ==, 5);
	send_payload(&c, 0x1619, 1, tar2, 4, &s);
	assert_error_por(&s, SIMOTA_OTA_STATUS_CNTR_LOW);
	send_payload(&c, 0x1619, 1, tar2, 9, &s);
	assert_ok_por(&s);
	g_assert_cmphex(counter(&c, 1), ==, 9);

	/* 1E19: exactly one higher */
	send_payload(&c, 0x1E19, 1, tar2, 11, &s);
	assert_error_por(&s, SIMOTA_OTA_STATUS_CNTR_HIGH);
	g_assert_cmphex(counter(&c, 1), ==, 9);
	send_payload(&c, 0x1E19, 1, tar2, 10, &s);
	assert_ok_por(&s);
	g_assert_cmphex(counter(&c, 1), ==, 10);
	send_payload(&c, 0x1E19, 1, tar2, 10, &s);
	assert_error_por(&s, SIMOTA_OTA_STATUS_CNTR_LOW);
	g_assert_cmpuint(echo.calls, ==, 5);

	/* the counter survives a power cycle / restart */
	ots_card_reopen(&c);
	add_echo(&c);
	g_assert_cmphex(counter(&c, 1), ==, 10);
	send_payload(&c, 0x1619, 1, tar2, 10, &s);
	assert_error_por(&s, SIMOTA_OTA_STATUS_CNTR_LOW);
	g_assert_cmpuint(echo.calls, ==, 0);

	/* the last value blocks the keyset (04) for both checking modes */
	send_payload(&c, 0x1619, 1, tar2, SIMOTA_OTA_CNTR_MAX, &s);
	assert_ok_por(&s);
	send_payload(&c, 0x1619, 1, tar2, 1, &s);
	assert_error_por(&s, SIMOTA_OTA_STATUS_CNTR_BLOCKED);
	send_payload(&c, 0x1E19, 1, tar2, 1, &s);
	assert_error_por(&s, SIMOTA_OTA_STATUS_CNTR_BLOCKED);
	/* another keyset is not affected (its configured start is 10) */
	g_assert_cmphex(counter(&c, 2), ==, 0x10);
	ots_card_close(&c);
}

/* The very same bytes twice: the second is a replay (02) and the applet does not run. */
static void test_replay(void)
{
	struct ots_card c;
	struct simota_ota_key *kk, *dk;
	uint8_t *pkt, resp[256];
	size_t pkt_len, resp_len;

	open_neg(&c);
	kk = ots_kic_key(0x22, K2_KIC);
	dk = ots_kid_key(0x22, SIMOTA_OTA_INTEGRITY_CC, K2_KID);
	pkt = ots_wrap(0x1619, 0x22, 0x22, tar1, 0x11, kk, dk, payload, sizeof(payload), &pkt_len);
	g_assert_cmphex(ots_send_packet(&c, pkt, pkt_len, 1, resp, sizeof(resp), &resp_len), ==, 0x9000);
	g_assert_cmpuint(echo.calls, ==, 1);
	g_assert_cmphex(counter(&c, 2), ==, 0x11);
	g_assert_cmphex(ots_send_packet(&c, pkt, pkt_len, 2, resp, sizeof(resp), &resp_len), ==, 0x9000);
	g_assert_cmpuint(echo.calls, ==, 1);
	/* plain error PoR: 027100 RPL=000D RHL=0A TAR CNTR PCNTR=00 STS=02 */
	tv_assert_hex(resp, resp_len, "027100000b0adefe010000000011" "0002");
	g_free(pkt);
	simota_ota_key_free(kk);
	simota_ota_key_free(dk);
	ots_card_close(&c);
}

static void test_bad_cc(void)
{
	struct ots_card c;
	struct simota_ota_key *dk, *kk;
	uint8_t *pkt, resp[256];
	size_t pkt_len, resp_len;
	struct sent s;

	open_neg(&c);
	/* 1219: CC, no ciphering, counter higher: the last data byte changed */
	dk = ots_kid_key(0x15, SIMOTA_OTA_INTEGRITY_CC, K1_KID);
	pkt = ots_wrap(0x1219, 0x15, 0x15, tar1, 3, NULL, dk, payload, sizeof(payload), &pkt_len);
	pkt[pkt_len - 1] ^= 0x01;
	g_assert_cmphex(ots_send_packet(&c, pkt, pkt_len, 1, resp, sizeof(resp), &resp_len), ==, 0x9000);
	/* status 01, plain; the counter of the forged packet is not stored, nothing ran */
	tv_assert_hex(resp, resp_len, "027100000b0adefe010000000000" "0001");
	g_assert_cmpuint(echo.calls, ==, 0);
	g_assert_cmphex(counter(&c, 1), ==, 0);
	g_free(pkt);
	/* a forged counter FFFFFFFFFF does not block the keyset */
	pkt = ots_wrap(0x1219, 0x15, 0x15, tar1, SIMOTA_OTA_CNTR_MAX, NULL, dk, payload, sizeof(payload), &pkt_len);
	pkt[pkt_len - 6] ^= 0x80;
	g_assert_cmphex(ots_send_packet(&c, pkt, pkt_len, 2, resp, sizeof(resp), &resp_len), ==, 0x9000);
	g_assert_cmphex(resp[resp_len - 1], ==, 0x01);
	g_free(pkt);
	send_payload(&c, 0x1219, 1, tar1, 1, &s);
	assert_ok_por(&s);
	/* ciphered with another key: the CC (or the padding) fails */
	kk = ots_kic_key(0x15, K1_KID);
	pkt = ots_wrap(0x1619, 0x15, 0x15, tar1, 2, kk, dk, payload, sizeof(payload), &pkt_len);
	g_assert_cmphex(ots_send_packet(&c, pkt, pkt_len, 3, resp, sizeof(resp), &resp_len), ==, 0x9000);
	g_assert_true(resp[resp_len - 1] == 0x01 || resp[resp_len - 1] == 0x05);
	g_assert_cmphex(counter(&c, 1), ==, 1);
	g_assert_cmpuint(echo.calls, ==, 1);
	g_free(pkt);
	simota_ota_key_free(kk);
	simota_ota_key_free(dk);
	ots_card_close(&c);
}

static void test_unknown_tar(void)
{
	struct ots_card c;
	struct sent s;

	open_neg(&c);
	send_payload(&c, 0x1619, 1, tar_unknown, 1, &s);
	assert_error_por(&s, SIMOTA_OTA_STATUS_TAR_UNKNOWN);
	g_assert_cmpmem(s.r.tar, 3, tar_unknown, 3);
	g_assert_cmphex(s.r.cntr, ==, 0);
	/* configured, but no such applet on the card */
	send_payload(&c, 0x1619, 1, tar3, 1, &s);
	assert_error_por(&s, SIMOTA_OTA_STATUS_TAR_UNKNOWN);
	g_assert_cmpuint(echo.calls, ==, 0);
	g_assert_cmphex(counter(&c, 1), ==, 0);
	ots_card_close(&c);
}

/* TS 102 226 §8.2.1.3.2.4.1 minimum security level; keysets the TAR allows. */
static void test_security_level(void)
{
	struct ots_card c;
	struct sent s;

	open_neg(&c);
	/* TAR defe01 wants 12 (CC, counter higher) */
	send_payload(&c, 0x0619, 1, tar1, 1, &s);           /* no counter */
	assert_error_por(&s, SIMOTA_OTA_STATUS_INSUFFICIENT_SECURITY);
	send_payload(&c, 0x1419, 1, tar1, 1, &s);           /* ciphered, no CC */
	assert_error_por(&s, SIMOTA_OTA_STATUS_INSUFFICIENT_SECURITY);
	send_payload(&c, 0x0E19, 1, tar1, 1, &s);           /* counter not checked */
	assert_error_por(&s, SIMOTA_OTA_STATUS_INSUFFICIENT_SECURITY);
	g_assert_cmpuint(echo.calls, ==, 0);
	send_payload(&c, 0x1219, 1, tar1, 1, &s);
	assert_ok_por(&s);
	send_payload(&c, 0x1619, 2, tar1, 0x11, &s);        /* AES keyset 2, also allowed */
	assert_ok_por(&s);
	/* TAR defe02 allows keyset 1 only: keyset 2 is 0A, keyset 3 too; KVN 4 is unknown (06) */
	send_payload(&c, 0x1619, 2, tar2, 0x12, &s);
	assert_error_por(&s, SIMOTA_OTA_STATUS_INSUFFICIENT_SECURITY);
	send_payload(&c, 0x1619, 3, tar2, 1, &s);
	assert_error_por(&s, SIMOTA_OTA_STATUS_INSUFFICIENT_SECURITY);
	send_payload(&c, 0x1619, 4, tar2, 1, &s);
	assert_error_por(&s, SIMOTA_OTA_STATUS_SECURITY_ERROR);
	g_assert_cmpuint(echo.calls, ==, 2);
	g_assert_cmphex(counter(&c, 2), ==, 0x11);
	ots_card_close(&c);
}

/* SPI2 b2b1: no PoR, PoR on error only. */
static void test_por_modes(void)
{
	struct ots_card c;
	struct sent s;

	open_neg(&c);
	set_answer("aa");
	send_payload(&c, 0x1600, 1, tar2, 1, &s);          /* none */
	g_assert_cmphex(s.sw, ==, 0x9000);
	g_assert_false(s.por);
	send_payload(&c, 0x1600, 1, tar2, 1, &s);          /* none, even a replay */
	g_assert_false(s.por);
	send_payload(&c, 0x161A, 1, tar2, 2, &s);          /* on error: accepted, no PoR */
	g_assert_false(s.por);
	send_payload(&c, 0x161A, 1, tar2, 2, &s);
	assert_error_por(&s, SIMOTA_OTA_STATUS_CNTR_LOW);
	g_assert_cmpuint(echo.calls, ==, 2);
	ots_card_close(&c);
}

/* TS 31.115 §4: a packet in 2 and 3 concatenated SMS over as many envelopes. */
static void test_concatenated(void)
{
	struct ots_card c;
	struct sent s;
	uint8_t big[300];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 1);
	open_neg(&c);
	set_answer("0190");
	send_with(&c, 0x1619, 2, tar1, 0x20, big, 200, &s);     /* 2 segments */
	assert_ok_por(&s);
	g_assert_cmpmem(echo.data, echo.len, big, 200);
	g_assert_cmpmem(s.r.data, s.r.data_len, echo.answer, echo.answer_len);
	send_with(&c, 0x1619, 1, tar1, 0x21, big, sizeof(big), &s);   /* 3 segments */
	assert_ok_por(&s);
	g_assert_cmpmem(echo.data, echo.len, big, sizeof(big));
	g_assert_cmpuint(echo.calls, ==, 2);
	ots_card_close(&c);
}

/* A segment of another message replaces the one in progress. */
static void test_concatenated_interrupted(void)
{
	struct ots_card c;
	struct simota_ota_key *kk, *dk;
	struct simota_sms_ud segs[4];
	size_t n_segs, pkt_len, resp_len;
	uint8_t big[200], *pkt, resp[256];

	memset(big, 0x5A, sizeof(big));
	open_neg(&c);
	kk = ots_kic_key(0x15, K1_KIC);
	dk = ots_kid_key(0x15, SIMOTA_OTA_INTEGRITY_CC, K1_KID);
	pkt = ots_wrap(0x1619, 0x15, 0x15, tar1, 1, kk, dk, big, sizeof(big), &pkt_len);
	g_assert_cmpint(simota_sms_segment_packet(SIMOTA_SMS_IEI_CPI, pkt, pkt_len, 9, false, segs, 4, &n_segs),
			==, SIMOTA_OK);
	g_assert_cmpuint(n_segs, ==, 2);
	g_assert_cmphex(ots_sms_pp(&c, &segs[0], resp, sizeof(resp), &resp_len), ==, 0x9000);
	g_free(pkt);
	/* another message (reference 10) starts: the first one is dropped */
	pkt = ots_wrap(0x1619, 0x15, 0x15, tar1, 2, kk, dk, big, sizeof(big), &pkt_len);
	g_assert_cmphex(ots_send_packet(&c, pkt, pkt_len, 10, resp, sizeof(resp), &resp_len), ==, 0x9000);
	g_assert_cmpuint(echo.calls, ==, 1);
	g_assert_cmphex(counter(&c, 1), ==, 2);
	/* the late second segment of reference 9 completes nothing */
	g_assert_cmphex(ots_sms_pp(&c, &segs[1], resp, sizeof(resp), &resp_len), ==, 0x9000);
	g_assert_cmpuint(resp_len, ==, 0);
	g_assert_cmpuint(echo.calls, ==, 1);
	g_free(pkt);
	simota_ota_key_free(kk);
	simota_ota_key_free(dk);
	ots_card_close(&c);
}

/* Fetches a SEND SHORT MESSAGE; returns its SMS-SUBMIT; answers it with a TERMINAL RESPONSE, whose SW it returns. */
static uint16_t fetch_send_sm(struct ots_card *c, uint16_t sw91, struct simota_sms_submit *sms)
{
	struct simota_cat_msg *m = g_new0(struct simota_cat_msg, 1);
	uint8_t cmd[256], tr[16];
	size_t n;
	uint16_t sw;

	g_assert_cmphex(sw91 & 0xFF00, ==, 0x9100);
	g_assert_cmphex(ots_fetch(c, (uint8_t)sw91, cmd, sizeof(cmd), &n), ==, 0x9000);
	g_assert_cmpint(simota_cat_command_decode(cmd, n, m), ==, SIMOTA_OK);
	g_assert_cmphex(m->details.type, ==, SIMOTA_CAT_SEND_SHORT_MESSAGE);
	g_assert_cmphex(m->dst, ==, SIMOTA_CAT_DEV_NETWORK);
	/* null alpha identifier: the ME tells the user nothing */
	g_assert_true(m->alpha_id.present);
	g_assert_cmpuint(m->alpha_id.len, ==, 0);
	g_assert_true(m->sms_tpdu.present);
	g_assert_cmpint(simota_sms_submit_decode(m->sms_tpdu.data, m->sms_tpdu.len, 0, sms), ==, SIMOTA_OK);
	/* TERMINAL RESPONSE: command details, device identities, result 00 */
	n = 0;
	tr[n++] = 0x81; tr[n++] = 0x03; tr[n++] = m->details.number; tr[n++] = 0x13; tr[n++] = 0x00;
	tr[n++] = 0x82; tr[n++] = 0x02; tr[n++] = 0x82; tr[n++] = 0x81;
	tr[n++] = 0x83; tr[n++] = 0x01; tr[n++] = 0x00;
	sw = ots_terminal_response(c, tr, n);
	g_free(m);
	return sw;
}

/* SPI2 b6: the PoR in an SMS-SUBMIT (UDH 71 00) to the originator, by SEND SHORT MESSAGE. */
static void test_por_via_submit(void)
{
	struct ots_card c;
	struct sent s;
	struct simota_sms_submit sms;
	struct simota_ota_response r;
	struct simota_ota_key *kk, *dk;
	uint8_t work[256], spi[2] = { 0x16, 0x39 };
	simota_err err;

	open_neg(&c);
	ots_profile(&c);
	set_answer("0190");
	send_payload(&c, 0x1639, 1, tar2, 1, &s);
	g_assert_false(s.por);                      /* no response data: 91XX */
	g_assert_cmpuint(echo.calls, ==, 1);
	g_assert_cmphex(fetch_send_sm(&c, s.sw, &sms), ==, 0x9000);
	g_assert_cmpstr(sms.da.digits, ==, ots_oa.digits);
	g_assert_cmpuint(sms.da.ton, ==, ots_oa.ton);
	g_assert_cmpuint(sms.da.npi, ==, ots_oa.npi);
	g_assert_cmphex(sms.pid, ==, 0x7F);
	g_assert_true(sms.ud.udhi);
	g_assert_cmpmem(sms.ud.ud, 3, "\x02\x71\x00", 3);
	kk = ots_kic_key(0x15, K1_KIC);
	dk = ots_kid_key(0x15, SIMOTA_OTA_INTEGRITY_CC, K1_KID);
	err = simota_ota_response_decode(spi, 0x15, 0x15, sms.ud.ud, sms.ud.len, kk, dk, work, sizeof(work), &r);
	g_assert_cmpint(err, ==, SIMOTA_OK);
	g_assert_cmphex(r.status, ==, 0);
	g_assert_cmphex(r.cntr, ==, 1);
	g_assert_true(r.ciphered);
	g_assert_cmpmem(r.data, r.data_len, "\x01\x90", 2);

	/* an error PoR goes the same way, plain */
	send_payload(&c, 0x1639, 1, tar_unknown, 1, &s);
	g_assert_false(s.por);
	g_assert_cmphex(fetch_send_sm(&c, s.sw, &sms), ==, 0x9000);
	err = simota_ota_response_decode(spi, 0x15, 0x15, sms.ud.ud, sms.ud.len, NULL, NULL, work, sizeof(work), &r);
	g_assert_cmpint(err, ==, SIMOTA_OK);
	g_assert_cmphex(r.status, ==, SIMOTA_OTA_STATUS_TAR_UNKNOWN);
	g_assert_cmpuint(r.cc_len, ==, 0);
	g_assert_cmpuint(echo.calls, ==, 1);
	simota_ota_key_free(kk);
	simota_ota_key_free(dk);
	ots_card_close(&c);
}

/* TERMINAL PROFILE of n bytes, all FF but byte 4 bit 2 (SEND SHORT MESSAGE, TS 102 223 §5.2) as asked. */
static uint16_t profile_with_sms(struct ots_card *c, bool send_sm)
{
	uint8_t tp[5 + 8] = { 0x80, 0x10, 0x00, 0x00, 0x08 }, out[8];
	size_t n;

	memset(tp + 5, 0xFF, 8);
	if (!send_sm)
		tp[5 + 3] &= (uint8_t)~0x02;
	return ots_apdu(c, tp, sizeof(tp), out, sizeof(out), &n);
}

/* The PoR of counter cntr in the next SEND SHORT MESSAGE; returns the SW of its TERMINAL RESPONSE. */
static uint16_t assert_submitted_por(struct ots_card *c, uint16_t sw91, uint64_t cntr)
{
	uint8_t work[256], spi[2] = { 0x16, 0x39 };
	struct simota_sms_submit sms;
	struct simota_ota_response r;
	struct simota_ota_key *kk = ots_kic_key(0x15, K1_KIC);
	struct simota_ota_key *dk = ots_kid_key(0x15, SIMOTA_OTA_INTEGRITY_CC, K1_KID);
	uint16_t sw = fetch_send_sm(c, sw91, &sms);

	g_assert_cmpstr(sms.da.digits, ==, ots_oa.digits);
	g_assert_cmpint(simota_ota_response_decode(spi, 0x15, 0x15, sms.ud.ud, sms.ud.len, kk, dk, work,
						   sizeof(work), &r), ==, SIMOTA_OK);
	g_assert_cmphex(r.status, ==, 0);
	g_assert_cmphex(r.cntr, ==, cntr);
	g_assert_cmpmem(r.data, r.data_len, "\x01\x90", 2);
	simota_ota_key_free(kk);
	simota_ota_key_free(dk);
	return sw;
}

/*
 * Defect 6: SPI 16 39 (PoR by SMS-SUBMIT) before any TERMINAL PROFILE.  The
 * counter is consumed, so the PoR is owed: the card keeps it (durably: a
 * power cycle does not lose it) and sends it by SEND SHORT MESSAGE once a
 * TERMINAL PROFILE says the terminal has that command; it goes once.
 */
/* A fresh card, no TERMINAL PROFILE: a 16 39 packet of counter 1 is accepted, its PoR kept (logged). */
static void open_with_kept_por(struct ots_card *c)
{
	struct sent s;

	ots_card_open_patched(c, NEG_INI, bind_neg, NULL);
	add_echo(c);
	set_answer("0190");
	g_test_expect_message("uicc-ota", G_LOG_LEVEL_MESSAGE, "*kept until a TERMINAL PROFILE*");
	send_payload(c, 0x1639, 1, tar2, 1, &s);
	g_test_assert_expected_messages();
	g_assert_cmphex(s.sw, ==, 0x9000);
	g_assert_false(s.por);
	g_assert_cmpuint(echo.calls, ==, 1);
	g_assert_cmphex(counter(c, 1), ==, 1);
}

static void test_por_via_submit_before_profile(void)
{
	struct ots_card c;
	struct sent s;

	open_with_kept_por(&c);

	/* the ME goes away before it ever sent its profile */
	ots_card_reopen(&c);
	add_echo(&c);
	g_assert_cmphex(assert_submitted_por(&c, profile_with_sms(&c, true), 1), ==, 0x9000);
	/* answered: never again, not even after another power cycle */
	g_assert_cmphex(profile_with_sms(&c, true), ==, 0x9000);
	ots_card_reopen(&c);
	g_assert_cmphex(profile_with_sms(&c, true), ==, 0x9000);

	/* an ME that sends the ENVELOPE before its profile: the profile announces the PoR, once */
	add_echo(&c);
	set_answer("0190");
	uicc_card_reset(c.card, NULL, 0);
	send_payload(&c, 0x1639, 1, tar2, 2, &s);
	g_assert_cmphex(s.sw, ==, 0x9000);
	g_assert_cmphex(assert_submitted_por(&c, profile_with_sms(&c, true), 2), ==, 0x9000);
	g_assert_cmphex(profile_with_sms(&c, true), ==, 0x9000);

	/* fetchable but not yet answered when the card is reset: sent again */
	send_payload(&c, 0x1639, 1, tar2, 3, &s);
	g_assert_cmphex(s.sw & 0xFF00, ==, 0x9100);
	ots_card_reopen(&c);
	add_echo(&c);
	g_assert_cmphex(assert_submitted_por(&c, profile_with_sms(&c, true), 3), ==, 0x9000);
	ots_card_close(&c);
}

/*
 * At most 8 PoRs wait for SEND SHORT MESSAGE: the ninth command is refused
 * with 9300 before it moves the counter (the ME answers RP-ERROR, SV2 tries
 * again), and accepted once the waiting PoRs have gone.
 */
static void test_por_via_submit_kept_full(void)
{
	struct ots_card c;
	struct sent s;
	uint16_t sw;

	ots_card_open_patched(&c, NEG_INI, bind_neg, NULL);
	add_echo(&c);
	set_answer("0190");
	for (uint64_t cntr = 1; cntr <= 8; cntr++) {
		send_payload(&c, 0x1639, 1, tar2, cntr, &s);
		g_assert_cmphex(s.sw, ==, 0x9000);
	}
	send_payload(&c, 0x1639, 1, tar2, 9, &s);
	g_assert_cmphex(s.sw, ==, 0x9300);
	g_assert_cmphex(counter(&c, 1), ==, 8);
	g_assert_cmpuint(echo.calls, ==, 8);

	sw = profile_with_sms(&c, true);
	for (uint64_t cntr = 1; cntr <= 8; cntr++)
		sw = assert_submitted_por(&c, sw, cntr);
	g_assert_cmphex(sw, ==, 0x9000);
	send_payload(&c, 0x1639, 1, tar2, 9, &s);
	g_assert_cmphex(assert_submitted_por(&c, s.sw, 9), ==, 0x9000);
	ots_card_close(&c);
}

/*
 * A terminal whose profile lacks SEND SHORT MESSAGE can never send the PoR
 * by SMS-SUBMIT: the card answers it in the SMS-DELIVER-REPORT instead, and
 * a PoR kept from before the profile waits for a terminal that can.
 */
static void test_por_via_submit_terminal_without_sms(void)
{
	struct ots_card c;
	struct sent s;

	open_with_kept_por(&c);
	g_test_expect_message("uicc-ota", G_LOG_LEVEL_WARNING, "*1 PoR*kept*no SEND SHORT MESSAGE*");
	g_assert_cmphex(profile_with_sms(&c, false), ==, 0x9000);
	g_test_assert_expected_messages();

	g_test_expect_message("uicc-ota", G_LOG_LEVEL_WARNING, "*no SEND SHORT MESSAGE*SMS-DELIVER-REPORT*");
	send_payload(&c, 0x1639, 1, tar2, 2, &s);
	g_test_assert_expected_messages();
	g_assert_cmphex(s.sw, ==, 0x9000);
	g_assert_true(s.por);
	g_assert_cmphex(s.r.status, ==, 0);
	g_assert_cmphex(s.r.cntr, ==, 2);
	g_assert_cmpmem(s.r.data, s.r.data_len, "\x01\x90", 2);

	/* the next terminal can: the kept PoR goes */
	ots_card_reopen(&c);
	g_assert_cmphex(assert_submitted_por(&c, profile_with_sms(&c, true), 1), ==, 0x9000);
	g_assert_cmphex(profile_with_sms(&c, true), ==, 0x9000);
	ots_card_close(&c);
}

/* SMS-PP without a command packet: accepted, ignored. */
static void test_not_a_packet(void)
{
	struct ots_card c;
	struct simota_sms_ud ud;
	uint8_t resp[64];
	size_t n;

	open_neg(&c);
	g_assert_cmpint(simota_sms_ud_set_octets(&ud, NULL, payload, sizeof(payload), SIMOTA_SMS_UD_MAX), ==,
			SIMOTA_OK);
	g_assert_cmphex(ots_sms_pp(&c, &ud, resp, sizeof(resp), &n), ==, 0x9000);
	g_assert_cmpuint(n, ==, 0);
	g_assert_cmpuint(echo.calls, ==, 0);
	ots_card_close(&c);
}

int main(int argc, char **argv)
{
	JsonArray *cmds;

	g_test_init(&argc, &argv, NULL);
	cmds = json_object_get_array_member(tv_load("secured-packets.json"), "command_packets");
	for (guint i = 0; i < json_array_get_length(cmds); i++) {
		JsonObject *v = json_array_get_object_element(cmds, i);
		char *path = g_strdup_printf("/uicc-ota/vector/%s", tv_str(v, "id"));

		g_test_add_data_func(path, v, test_vector);
		g_free(path);
	}
	g_test_add_func("/uicc-ota/counter-modes", test_counter_modes);
	g_test_add_func("/uicc-ota/replay", test_replay);
	g_test_add_func("/uicc-ota/bad-cc", test_bad_cc);
	g_test_add_func("/uicc-ota/unknown-tar", test_unknown_tar);
	g_test_add_func("/uicc-ota/security-level", test_security_level);
	g_test_add_func("/uicc-ota/por-modes", test_por_modes);
	g_test_add_func("/uicc-ota/concatenated", test_concatenated);
	g_test_add_func("/uicc-ota/concatenated-interrupted", test_concatenated_interrupted);
	g_test_add_func("/uicc-ota/por-via-submit", test_por_via_submit);
	g_test_add_func("/uicc-ota/por-via-submit-before-profile", test_por_via_submit_before_profile);
	g_test_add_func("/uicc-ota/por-via-submit-terminal-without-sms", test_por_via_submit_terminal_without_sms);
	g_test_add_func("/uicc-ota/por-via-submit-kept-full", test_por_via_submit_kept_full);
	g_test_add_func("/uicc-ota/not-a-packet", test_not_a_packet);
	return g_test_run();
}
