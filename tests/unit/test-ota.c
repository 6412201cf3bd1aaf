/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Secured packets (TS 102 225 §5, TS 31.115 §4): every command, response and
 * intermediate vector of secured-packets.json, plus negative tests.
 */
#include <string.h>

#include "test-support.h"
#include "simota/ota.h"
#include "ts102225_internal.h"

static struct simota_ota_crypto *crypto;   /* test process lifetime */

static enum simota_ota_alg alg_of(const char *name)
{
	enum simota_ota_alg alg = SIMOTA_OTA_ALG_NONE;

	if (name)
		g_assert_cmpint(simota_ota_alg_from_name(name, &alg), ==, SIMOTA_OK);
	return alg;
}

/* A prepared key for the vector's algorithm, or NULL when it names none. */
static struct simota_ota_key *vec_key(const char *alg_name, const char *key_hex)
{
	struct simota_ota_key *key = NULL;
	uint8_t *k;
	size_t n;

	if (!alg_name)
		return NULL;
	k = tv_hex(key_hex ? key_hex : "", &n);
	g_assert_cmpint(simota_ota_key_new(crypto, alg_of(alg_name), k, n, &key), ==, SIMOTA_OK);
	g_free(k);
	return key;
}

static uint64_t cntr_field(JsonObject *o, const char *member)
{
	uint8_t b[5];

	tv_hex_field(o, member, b, 5);
	return (uint64_t)b[0] << 32 | (uint64_t)b[1] << 24 | (uint64_t)b[2] << 16 |
	       (uint64_t)b[3] << 8 | b[4];
}

static JsonObject *find_vector(const char *array, const char *id)
{
	JsonArray *a = json_object_get_array_member(tv_load("secured-packets.json"), array);

	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *o = json_array_get_object_element(a, i);

		if (g_strcmp0(tv_str(o, "id"), id) == 0)
			return o;
	}
	g_error("no vector %s", id);
	return NULL;
}

/* The command vector's keys, checking that KIc/KID decode to its algorithms. */
struct cmd_ctx {
	struct simota_ota_command cmd;
	struct simota_ota_key *kic_key, *kid_key;
	uint8_t *data, *expected;
	size_t expected_len;
};

static void cmd_ctx_init(JsonObject *v, struct cmd_ctx *c)
{
	struct simota_ota_spi spi;
	enum simota_ota_alg want, got;
	size_t n;
	simota_err err;

	memset(c, 0, sizeof(*c));
	tv_hex_field(v, "spi", c->cmd.spi, 2);
	tv_hex_field(v, "kic", &c->cmd.kic, 1);
	tv_hex_field(v, "kid", &c->cmd.kid, 1);
	tv_hex_field(v, "tar", c->cmd.tar, 3);
	c->cmd.cntr = cntr_field(v, "cntr");
	c->data = tv_hex(tv_str(v, "data"), &n);
	c->cmd.data = c->data;
	c->cmd.data_len = n;
	c->expected = tv_hex(tv_str(v, "expected"), &c->expected_len);
	simota_ota_spi_decode(c->cmd.spi, &spi);

	/* KIc / KID bytes name the vector's algorithm (or say "implicit"). */
	want = alg_of(tv_str(v, "kic_algorithm"));
	if (spi.ciphered) {
		g_assert_cmpint(want, !=, SIMOTA_OTA_ALG_NONE);
		err = simota_ota_kic_algorithm(c->cmd.kic, SIMOTA_OTA_ALG_NONE, &got);
		if (err == SIMOTA_ERR_MISSING_VALUE)
			g_assert_cmpint(simota_ota_kic_algorithm(c->cmd.kic, want, &got), ==, SIMOTA_OK);
		else
			g_assert_cmpint(err, ==, SIMOTA_OK);
		g_assert_cmpint(got, ==, want);
	}
	want = alg_of(tv_str(v, "kid_algorithm"));
	if (spi.integrity != SIMOTA_OTA_INTEGRITY_NONE) {
		err = simota_ota_kid_algorithm(c->cmd.kid, spi.integrity, SIMOTA_OTA_ALG_NONE, &got);
		if (err == SIMOTA_ERR_MISSING_VALUE)
			g_assert_cmpint(simota_ota_kid_algorithm(c->cmd.kid, spi.integrity, want, &got),
					==, SIMOTA_OK);
		else
			g_assert_cmpint(err, ==, SIMOTA_OK);
		g_assert_cmpint(got, ==, want);
		c->cmd.cc_len = (size_t)json_object_get_int_member(v, "cc_len");
	} else {
		g_assert_cmpint(json_object_get_int_member(v, "cc_len"), ==, 0);
	}
	if (spi.ciphered)
		c->kic_key = vec_key(tv_str(v, "kic_algorithm"), tv_str(v, "kic_key"));
	if (spi.integrity != SIMOTA_OTA_INTEGRITY_NONE)
		c->kid_key = vec_key(tv_str(v, "kid_algorithm"), tv_str(v, "kid_key"));
}

static void cmd_ctx_clear(struct cmd_ctx *c)
{
	simota_ota_key_free(c->kic_key);
	simota_ota_key_free(c->kid_key);
	g_free(c->data);
	g_free(c->expected);
}

static void test_command_wrap(gconstpointer p)
{
	JsonObject *v = (JsonObject *)p;
	struct cmd_ctx c;
	uint8_t out[512];
	size_t len;

	cmd_ctx_init(v, &c);
	/* twice with the same prepared keys: contexts are reusable */
	for (int round = 0; round < 2; round++) {
		g_assert_cmpint(simota_ota_command_encode(&c.cmd, c.kic_key, c.kid_key,
							  out, sizeof(out), &len), ==, SIMOTA_OK);
		tv_assert_hex(out, len, tv_str(v, "expected"));
	}
	/* exactly-sized buffer works, one byte less does not */
	g_assert_cmpint(simota_ota_command_encode(&c.cmd, c.kic_key, c.kid_key,
						  out, len, &len), ==, SIMOTA_OK);
	g_assert_cmpint(simota_ota_command_encode(&c.cmd, c.kic_key, c.kid_key,
						  out, len - 1, &len), ==, SIMOTA_ERR_NO_SPACE);
	cmd_ctx_clear(&c);
}

static void check_decoded_command(JsonObject *v, const struct cmd_ctx *c,
				  const struct simota_ota_command *d)
{
	g_assert_cmpmem(d->spi, 2, c->cmd.spi, 2);
	g_assert_cmphex(d->kic, ==, c->cmd.kic);
	g_assert_cmphex(d->kid, ==, c->cmd.kid);
	tv_assert_hex(d->tar, 3, tv_str(v, "tar"));
	g_assert_cmphex(d->cntr, ==, c->cmd.cntr);
	tv_assert_hex(d->data, d->data_len, tv_str(v, "data"));
	g_assert_cmpuint(d->cc_len, ==, (size_t)json_object_get_int_member(v, "cc_len"));
}

static void test_command_unwrap(gconstpointer p)
{
	JsonObject *v = (JsonObject *)p;
	struct cmd_ctx c;
	struct simota_ota_command d;
	struct simota_ota_spi spi;
	uint8_t work[512], with_udh[520];
	size_t skip;

	cmd_ctx_init(v, &c);
	simota_ota_spi_decode(c.cmd.spi, &spi);
	for (int round = 0; round < 2; round++) {
		g_assert_cmpint(simota_ota_command_decode(c.expected, c.expected_len, c.kic_key,
							  c.kid_key, work, sizeof(work), &d),
				==, SIMOTA_OK);
		check_decoded_command(v, &c, &d);
		if (!spi.ciphered)
			g_assert_cmpuint(d.pcntr, ==, 0);
	}
	/* the header alone, without keys */
	g_assert_cmpint(simota_ota_command_peek(c.expected, c.expected_len, &d), ==, SIMOTA_OK);
	tv_assert_hex(d.tar, 3, tv_str(v, "tar"));

	/* with the 027000 UDH in front */
	memcpy(with_udh, "\x02\x70\x00", 3);
	memcpy(with_udh + 3, c.expected, c.expected_len);
	skip = simota_ota_udh_skip(with_udh, c.expected_len + 3, 0x70);
	g_assert_cmpuint(skip, ==, 3);
	g_assert_cmpuint(simota_ota_udh_skip(c.expected, c.expected_len, 0x70), ==, 0);
	g_assert_cmpint(simota_ota_command_decode(with_udh + skip, c.expected_len, c.kic_key,
						  c.kid_key, work, sizeof(work), &d), ==, SIMOTA_OK);
	check_decoded_command(v, &c, &d);

	/* re-encoding the decoded fields gives the same bytes */
	{
		uint8_t out[512];
		size_t len;

		g_assert_cmpint(simota_ota_command_encode(&d, c.kic_key, c.kid_key, out,
							  sizeof(out), &len), ==, SIMOTA_OK);
		g_assert_cmpmem(out, len, c.expected, c.expected_len);
	}
	cmd_ctx_clear(&c);
}

/* Every prefix of the packet (and of 027000|packet) decodes to an error. */
static void test_command_truncated(gconstpointer p)
{
	JsonObject *v = (JsonObject *)p;
	struct cmd_ctx c;
	struct simota_ota_command d;
	uint8_t work[512], with_udh[520];

	cmd_ctx_init(v, &c);
	memcpy(with_udh, "\x02\x70\x00", 3);
	memcpy(with_udh + 3, c.expected, c.expected_len);
	for (size_t n = 0; n < c.expected_len; n++) {
		uint8_t *copy = g_memdup2(c.expected, n);  /* exact size: ASan sees overreads */

		g_assert_cmpint(simota_ota_command_decode(copy, n, c.kic_key, c.kid_key, work,
							  sizeof(work), &d), !=, SIMOTA_OK);
		g_assert_cmpint(simota_ota_command_peek(copy, n, &d), !=, SIMOTA_OK);
		g_free(copy);
	}
	for (size_t n = 0; n < c.expected_len + 3; n++) {
		size_t skip = simota_ota_udh_skip(with_udh, n, 0x70);

		g_assert_cmpuint(skip, ==, 0);
		g_assert_cmpint(simota_ota_command_decode(with_udh, n, c.kic_key, c.kid_key, work,
							  sizeof(work), &d), !=, SIMOTA_OK);
	}
	/* a trailing byte is an error too */
	with_udh[3 + c.expected_len] = 0;
	g_assert_cmpint(simota_ota_command_decode(with_udh + 3, c.expected_len + 1, c.kic_key,
						  c.kid_key, work, sizeof(work), &d),
			==, SIMOTA_ERR_TRAILING_DATA);
	cmd_ctx_clear(&c);
}

/* Each single flipped bit of an RC/CC-protected packet fails verification. */
static void test_command_bitflip(gconstpointer p)
{
	JsonObject *v = (JsonObject *)p;
	struct cmd_ctx c;
	struct simota_ota_command d;
	uint8_t work[512];
	unsigned checksum_fails = 0;

	cmd_ctx_init(v, &c);
	for (size_t bit = 0; bit < 8 * c.expected_len; bit++) {
		uint8_t *copy = g_memdup2(c.expected, c.expected_len);
		simota_err err;

		copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		err = simota_ota_command_decode(copy, c.expected_len, c.kic_key, c.kid_key,
						work, sizeof(work), &d);
		if (err == SIMOTA_OK)
			g_error("bit %zu flipped still verifies", bit);
		checksum_fails += err == SIMOTA_ERR_CHECKSUM;
		g_free(copy);
	}
	/* every bit after the TAR is caught by the checksum itself */
	g_assert_cmpuint(checksum_fails, >=, 8 * (c.expected_len - 10));
	cmd_ctx_clear(&c);
}

struct rsp_ctx {
	uint8_t spi[2], kic, kid;
	struct simota_ota_key *kic_key, *kid_key;
	uint8_t *packet;
	size_t packet_len;
};

static void rsp_ctx_init(JsonObject *v, struct rsp_ctx *c)
{
	struct simota_ota_spi spi;

	memset(c, 0, sizeof(*c));
	tv_hex_field(v, "spi", c->spi, 2);
	tv_hex_field(v, "kic", &c->kic, 1);
	tv_hex_field(v, "kid", &c->kid, 1);
	simota_ota_spi_decode(c->spi, &spi);
	c->kic_key = vec_key(tv_str(v, "kic_algorithm"), tv_str(v, "kic_key"));
	c->kid_key = vec_key(tv_str(v, "kid_algorithm"), tv_str(v, "kid_key"));
	c->packet = tv_hex(tv_str(v, "packet"), &c->packet_len);
}

static void rsp_ctx_clear(struct rsp_ctx *c)
{
	simota_ota_key_free(c->kic_key);
	simota_ota_key_free(c->kid_key);
	g_free(c->packet);
}

static void test_response(gconstpointer p)
{
	JsonObject *v = (JsonObject *)p;
	JsonObject *e = json_object_get_object_member(v, "expect");
	JsonObject *sec = json_object_get_object_member(v, "response_security");
	struct rsp_ctx c;
	struct simota_ota_response r;
	uint8_t work[512], out[512];
	size_t out_len, n;
	simota_err err;

	rsp_ctx_init(v, &c);
	err = simota_ota_response_decode(c.spi, c.kic, c.kid, c.packet, c.packet_len,
					 c.kic_key, c.kid_key, work, sizeof(work), &r);
	if (!json_object_get_boolean_member(e, "rc_cc_valid")) {
		g_assert_cmpint(err, ==, SIMOTA_ERR_CHECKSUM);
		rsp_ctx_clear(&c);
		return;
	}
	g_assert_cmpint(err, ==, SIMOTA_OK);
	tv_assert_hex(r.tar, 3, tv_str(e, "tar"));
	g_assert_cmphex(r.cntr, ==, cntr_field(e, "cntr"));
	g_assert_cmpint(r.pcntr, ==, json_object_get_int_member(e, "pcntr"));
	tv_assert_hex(&r.status, 1, tv_str(e, "status"));
	if (tv_str(e, "cc"))
		tv_assert_hex(r.cc, r.cc_len, tv_str(e, "cc"));
	else
		g_assert_cmpuint(r.cc_len, ==, 0);
	tv_assert_hex(r.data, r.data_len, tv_str(e, "data"));
	g_assert_cmpint(r.ciphered, ==, json_object_get_boolean_member(sec, "ciphered"));

	/* re-encode from the decoded fields (the packet carries its UDH) */
	{
		struct simota_ota_response enc = r;
		uint8_t *data = g_memdup2(r.data, r.data_len);
		char *want = g_str_has_prefix(tv_str(v, "packet"), "027100")
			     ? g_strdup(tv_str(v, "packet"))
			     : g_strconcat("027100", tv_str(v, "packet"), NULL);

		enc.data = data;
		g_assert_cmpint(simota_ota_response_encode(c.spi, c.kic, c.kid, &enc, c.kic_key,
							   c.kid_key, out, sizeof(out), &out_len),
				==, SIMOTA_OK);
		tv_assert_hex(out, out_len, want);
		g_free(want);
		g_free(data);
	}

	/* every truncation fails */
	for (n = 0; n < c.packet_len; n++) {
		uint8_t *copy = g_memdup2(c.packet, n);

		g_assert_cmpint(simota_ota_response_decode(c.spi, c.kic, c.kid, copy, n, c.kic_key,
							   c.kid_key, work, sizeof(work), &r),
				!=, SIMOTA_OK);
		g_free(copy);
	}
	/* every flipped bit of a packet with RC/CC fails */
	if (tv_str(e, "cc")) {
		for (size_t bit = 0; bit < 8 * c.packet_len; bit++) {
			uint8_t *copy = g_memdup2(c.packet, c.packet_len);

			copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			err = simota_ota_response_decode(c.spi, c.kic, c.kid, copy, c.packet_len,
							 c.kic_key, c.kid_key, work,
							 sizeof(work), &r);
			if (err == SIMOTA_OK)
				g_error("bit %zu flipped still verifies", bit);
			g_free(copy);
		}
	}
	rsp_ctx_clear(&c);
}

/* The RC/CC of a CC input, through the same streaming code the codec uses. */
static void assert_cc(struct simota_ota_key *kid_key, const char *input_hex, const char *cc_hex)
{
	struct simota_ota_mac mac;
	uint8_t cc[8];
	size_t in_len, cc_len = strlen(cc_hex) / 2;
	uint8_t *in = tv_hex(input_hex, &in_len);

	g_assert_cmpint(simota_ota_mac_begin(&mac, simota_ota_key_alg(kid_key), kid_key), ==, SIMOTA_OK);
	g_assert_cmpint(simota_ota_mac_update(&mac, in, in_len), ==, SIMOTA_OK);
	g_assert_cmpint(simota_ota_mac_final(&mac, cc, cc_len), ==, SIMOTA_OK);
	tv_assert_hex(cc, cc_len, cc_hex);
	/* fed byte by byte gives the same */
	g_assert_cmpint(simota_ota_mac_begin(&mac, simota_ota_key_alg(kid_key), kid_key), ==, SIMOTA_OK);
	for (size_t i = 0; i < in_len; i++)
		g_assert_cmpint(simota_ota_mac_update(&mac, in + i, 1), ==, SIMOTA_OK);
	g_assert_cmpint(simota_ota_mac_final(&mac, cc, cc_len), ==, SIMOTA_OK);
	tv_assert_hex(cc, cc_len, cc_hex);
	g_free(in);
}

static void test_intermediate(gconstpointer p)
{
	JsonObject *v = (JsonObject *)p;
	const char *kind = tv_str(v, "kind");
	uint8_t work[512];

	if (g_strcmp0(kind, "crc16") == 0 || g_strcmp0(kind, "crc32") == 0) {
		size_t n;
		uint8_t *in = tv_hex(tv_str(v, "input"), &n);
		uint8_t out[4];
		size_t out_len;

		if (kind[3] == '1') {
			uint16_t crc = simota_crc16(in, n);
			out[0] = (uint8_t)(crc >> 8);
			out[1] = (uint8_t)crc;
			out_len = 2;
		} else {
			uint32_t crc = simota_crc32(in, n);
			out[0] = (uint8_t)(crc >> 24);
			out[1] = (uint8_t)(crc >> 16);
			out[2] = (uint8_t)(crc >> 8);
			out[3] = (uint8_t)crc;
			out_len = 4;
		}
		tv_assert_hex(out, out_len, tv_str(v, "output"));
		/* the same through a CRC "key" */
		{
			struct simota_ota_key *k = vec_key(kind, NULL);
			assert_cc(k, tv_str(v, "input"), tv_str(v, "output"));
			simota_ota_key_free(k);
		}
		g_free(in);
	} else if (g_strcmp0(kind, "command") == 0) {
		JsonObject *cv = find_vector("command_packets", tv_str(v, "vector"));
		struct cmd_ctx c;
		struct simota_ota_command d;
		const char *plain = tv_str(v, "plaintext_before_ciphering");
		char *pkt_plain;
		size_t cc_len;

		cmd_ctx_init(cv, &c);
		g_assert_cmpint(simota_ota_command_decode(c.expected, c.expected_len, c.kic_key,
							  c.kid_key, work, sizeof(work), &d),
				==, SIMOTA_OK);
		cc_len = d.cc_len;
		if (plain) {
			/* what the decoder deciphered, and what ciphering it gives */
			size_t n;
			uint8_t *buf = tv_hex(plain, &n);

			tv_assert_hex(work, c.expected_len - 10, plain);
			g_assert_cmpint(simota_ota_key_encrypt(c.kic_key, buf, n), ==, SIMOTA_OK);
			g_assert_cmpmem(buf, n, c.expected + 10, c.expected_len - 10);
			g_free(buf);
			pkt_plain = g_strdup_printf("%.20s%s", tv_str(cv, "expected"), plain);
		} else {
			pkt_plain = g_strdup(tv_str(cv, "expected"));
		}
		/* cc_input = the plain packet without the RC/CC field */
		{
			char *without = g_strdup_printf("%.*s%s", 32, pkt_plain,
							pkt_plain + 32 + 2 * cc_len);
			g_assert_cmpstr(without, ==, tv_str(v, "cc_input"));
			g_free(without);
		}
		if (tv_str(v, "cc")) {
			tv_assert_hex(d.cc, d.cc_len, tv_str(v, "cc"));
			assert_cc(c.kid_key, tv_str(v, "cc_input"), tv_str(v, "cc"));
		} else {
			g_assert_cmpuint(cc_len, ==, 0);
		}
		g_free(pkt_plain);
		cmd_ctx_clear(&c);
	} else if (g_strcmp0(kind, "response") == 0) {
		JsonObject *rv = find_vector("response_packets", tv_str(v, "vector"));
		struct rsp_ctx c;
		struct simota_ota_response r;
		const char *deciphered = tv_str(v, "deciphered");
		const uint8_t *rest;
		size_t skip, n;
		uint8_t *buf;

		rsp_ctx_init(rv, &c);
		g_assert_cmpint(simota_ota_response_decode(c.spi, c.kic, c.kid, c.packet,
							   c.packet_len, c.kic_key, c.kid_key,
							   work, sizeof(work), &r), ==, SIMOTA_OK);
		skip = simota_ota_udh_skip(c.packet, c.packet_len, 0x71);
		rest = c.packet + skip;
		/* deciphered = RPL RHL TAR (plain) | what the decoder deciphered */
		{
			char head[13];

			g_strlcpy(head, deciphered, sizeof(head));
			tv_assert_hex(rest, 6, head);
		}
		tv_assert_hex(work, c.packet_len - skip - 6, deciphered + 12);
		buf = tv_hex(deciphered + 12, &n);
		g_assert_cmpint(simota_ota_key_encrypt(c.kic_key, buf, n), ==, SIMOTA_OK);
		g_assert_cmpmem(buf, n, rest + 6, c.packet_len - skip - 6);
		g_free(buf);
		/* cc_input = 027100 | deciphered without the RC/CC field */
		{
			char *without = g_strdup_printf("027100%.*s%s", 26, deciphered,
							deciphered + 26 + 2 * r.cc_len);
			g_assert_cmpstr(without, ==, tv_str(v, "cc_input"));
			g_free(without);
		}
		tv_assert_hex(r.cc, r.cc_len, tv_str(v, "cc"));
		assert_cc(c.kid_key, tv_str(v, "cc_input"), tv_str(v, "cc"));
		rsp_ctx_clear(&c);
	} else {
		g_error("unknown intermediate kind %s", kind);
	}
}

/* ---- SPI, KIc, KID ---- */

static void test_spi(void)
{
	struct simota_ota_spi s;
	uint8_t out[2];

	simota_ota_spi_decode((const uint8_t *)"\x16\x39", &s);
	g_assert_cmpint(s.integrity, ==, SIMOTA_OTA_INTEGRITY_CC);
	g_assert_true(s.ciphered);
	g_assert_cmpint(s.counter, ==, SIMOTA_OTA_COUNTER_HIGHER);
	g_assert_cmpint(s.por, ==, SIMOTA_OTA_POR_ALWAYS);
	g_assert_cmpint(s.por_integrity, ==, SIMOTA_OTA_INTEGRITY_CC);
	g_assert_true(s.por_ciphered);
	g_assert_true(s.por_via_submit);

	simota_ota_spi_decode((const uint8_t *)"\x19\x06", &s);
	g_assert_cmpint(s.integrity, ==, SIMOTA_OTA_INTEGRITY_RC);
	g_assert_false(s.ciphered);
	g_assert_cmpint(s.counter, ==, SIMOTA_OTA_COUNTER_ONE_HIGHER);
	g_assert_cmpint(s.por, ==, SIMOTA_OTA_POR_ON_ERROR);
	g_assert_cmpint(s.por_integrity, ==, SIMOTA_OTA_INTEGRITY_RC);
	g_assert_false(s.por_ciphered);
	g_assert_false(s.por_via_submit);

	/* every value without reserved bits round-trips */
	for (unsigned a = 0; a < 0x20; a++) {
		for (unsigned b = 0; b < 0x40; b++) {
			uint8_t in[2] = { (uint8_t)a, (uint8_t)b };

			simota_ota_spi_decode(in, &s);
			simota_ota_spi_encode(&s, out);
			g_assert_cmpmem(out, 2, in, 2);
		}
	}
	/* reserved bits are ignored */
	simota_ota_spi_decode((const uint8_t *)"\xe0\xc0", &s);
	simota_ota_spi_encode(&s, out);
	g_assert_cmpmem(out, 2, "\x00\x00", 2);

	/* PoR wanted: SPI2 b2b1 */
	g_assert_false(simota_ota_por_wanted((const uint8_t *)"\x00\x00", 0));
	g_assert_false(simota_ota_por_wanted((const uint8_t *)"\x00\x00", 1));
	g_assert_true(simota_ota_por_wanted((const uint8_t *)"\x00\x01", 0));
	g_assert_true(simota_ota_por_wanted((const uint8_t *)"\x00\x01", 1));
	g_assert_false(simota_ota_por_wanted((const uint8_t *)"\x00\x02", 0));
	g_assert_true(simota_ota_por_wanted((const uint8_t *)"\x00\x02", 2));
	g_assert_false(simota_ota_por_wanted((const uint8_t *)"\x00\x03", 2));
}

static void test_kic_kid(void)
{
	static const struct {
		uint8_t byte;
		enum simota_ota_alg alg;
		simota_err err;
	} kic[] = {
		{ 0x01, SIMOTA_OTA_ALG_DES_CBC, SIMOTA_OK },
		{ 0x05, SIMOTA_OTA_ALG_3DES2_CBC, SIMOTA_OK },
		{ 0x09, SIMOTA_OTA_ALG_3DES3_CBC, SIMOTA_OK },
		{ 0x0d, SIMOTA_OTA_ALG_DES_ECB, SIMOTA_OK },
		{ 0xf2, SIMOTA_OTA_ALG_AES_CBC, SIMOTA_OK },
		{ 0x06, 0, SIMOTA_ERR_BAD_VALUE },           /* AES, reserved mode */
		{ 0x03, 0, SIMOTA_ERR_UNSUPPORTED },         /* proprietary */
		{ 0x30, 0, SIMOTA_ERR_MISSING_VALUE },       /* implicit, not named */
	}, rc[] = {
		{ 0x01, SIMOTA_OTA_ALG_CRC16, SIMOTA_OK },
		{ 0x15, SIMOTA_OTA_ALG_CRC32, SIMOTA_OK },
		{ 0x09, 0, SIMOTA_ERR_BAD_VALUE },
		{ 0x02, 0, SIMOTA_ERR_BAD_VALUE },
		{ 0x03, 0, SIMOTA_ERR_UNSUPPORTED },
		{ 0x00, 0, SIMOTA_ERR_MISSING_VALUE },
	}, cc[] = {
		{ 0x01, SIMOTA_OTA_ALG_DES_CBC_MAC, SIMOTA_OK },
		{ 0x15, SIMOTA_OTA_ALG_3DES2_CBC_MAC, SIMOTA_OK },
		{ 0x39, SIMOTA_OTA_ALG_3DES3_CBC_MAC, SIMOTA_OK },
		{ 0x12, SIMOTA_OTA_ALG_AES_CMAC, SIMOTA_OK },
		{ 0x0d, 0, SIMOTA_ERR_BAD_VALUE },
		{ 0x16, 0, SIMOTA_ERR_BAD_VALUE },
		{ 0x03, 0, SIMOTA_ERR_UNSUPPORTED },
		{ 0x20, 0, SIMOTA_ERR_MISSING_VALUE },
	};
	enum simota_ota_alg alg;

	for (size_t i = 0; i < G_N_ELEMENTS(kic); i++) {
		g_assert_cmpint(simota_ota_kic_algorithm(kic[i].byte, 0, &alg), ==, kic[i].err);
		if (!kic[i].err)
			g_assert_cmpint(alg, ==, kic[i].alg);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(rc); i++) {
		g_assert_cmpint(simota_ota_kid_algorithm(rc[i].byte, SIMOTA_OTA_INTEGRITY_RC, 0, &alg),
				==, rc[i].err);
		if (!rc[i].err)
			g_assert_cmpint(alg, ==, rc[i].alg);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(cc); i++) {
		g_assert_cmpint(simota_ota_kid_algorithm(cc[i].byte, SIMOTA_OTA_INTEGRITY_CC, 0, &alg),
				==, cc[i].err);
		if (!cc[i].err)
			g_assert_cmpint(alg, ==, cc[i].alg);
	}
	/* implicit: the caller names it, of the right class */
	g_assert_cmpint(simota_ota_kic_algorithm(0x00, SIMOTA_OTA_ALG_AES_CBC, &alg), ==, SIMOTA_OK);
	g_assert_cmpint(alg, ==, SIMOTA_OTA_ALG_AES_CBC);
	g_assert_cmpint(simota_ota_kic_algorithm(0x00, SIMOTA_OTA_ALG_CRC16, &alg), ==,
			SIMOTA_ERR_BAD_VALUE);
	g_assert_cmpint(simota_ota_kid_algorithm(0x00, SIMOTA_OTA_INTEGRITY_RC, SIMOTA_OTA_ALG_CRC32,
						 &alg), ==, SIMOTA_OK);
	g_assert_cmpint(alg, ==, SIMOTA_OTA_ALG_CRC32);
	g_assert_cmpint(simota_ota_kid_algorithm(0x00, SIMOTA_OTA_INTEGRITY_CC, SIMOTA_OTA_ALG_CRC32,
						 &alg), ==, SIMOTA_ERR_BAD_VALUE);
	/* an explicit byte that disagrees with the named algorithm */
	g_assert_cmpint(simota_ota_kic_algorithm(0x05, SIMOTA_OTA_ALG_DES_CBC, &alg), ==,
			SIMOTA_ERR_BAD_VALUE);
	g_assert_cmpint(simota_ota_kid_algorithm(0x01, SIMOTA_OTA_INTEGRITY_NONE, 0, &alg), ==,
			SIMOTA_OK);
	g_assert_cmpint(alg, ==, SIMOTA_OTA_ALG_NONE);
	g_assert_cmpint(simota_ota_kid_algorithm(0x01, SIMOTA_OTA_INTEGRITY_DS, 0, &alg), ==,
			SIMOTA_ERR_UNSUPPORTED);

	/* names round-trip */
	for (int a = 0; a < SIMOTA_OTA_ALG__COUNT; a++) {
		g_assert_cmpint(simota_ota_alg_from_name(simota_ota_alg_name(a), &alg), ==, SIMOTA_OK);
		g_assert_cmpint(alg, ==, a);
	}
	g_assert_cmpint(simota_ota_alg_from_name("AES-CMAC", &alg), ==, SIMOTA_OK);
	g_assert_cmpint(simota_ota_alg_from_name("rot13", &alg), ==, SIMOTA_ERR_BAD_VALUE);
}

static void test_key_lengths(void)
{
	static const uint8_t k[40];
	struct simota_ota_key *key;

	for (int a = 1; a < SIMOTA_OTA_ALG__COUNT; a++) {
		for (size_t n = 0; n <= 40; n++) {
			bool ok = simota_ota_alg_key_len_ok(a, n);
			simota_err err = simota_ota_key_new(crypto, a, k, n, &key);

			g_assert_cmpint(err, ==, ok ? SIMOTA_OK : SIMOTA_ERR_BAD_KEY);
			if (simota_ota_alg_is_rc(a))
				g_assert_true(ok);
			else if (ok)
				g_assert_true(n == 8 || n == 16 || n == 24 || n == 32);
			g_assert_true((key != NULL) == ok);
			simota_ota_key_free(key);
		}
	}
	g_assert_true(simota_ota_alg_key_len_ok(SIMOTA_OTA_ALG_DES_CBC, 8));
	g_assert_false(simota_ota_alg_key_len_ok(SIMOTA_OTA_ALG_DES_CBC, 16));
	g_assert_false(simota_ota_alg_key_len_ok(SIMOTA_OTA_ALG_3DES2_CBC, 24));
	g_assert_false(simota_ota_alg_key_len_ok(SIMOTA_OTA_ALG_3DES3_CBC_MAC, 16));
	g_assert_false(simota_ota_alg_key_len_ok(SIMOTA_OTA_ALG_AES_CMAC, 8));
	g_assert_cmpint(simota_ota_key_new(crypto, SIMOTA_OTA_ALG_NONE, k, 8, &key), ==,
			SIMOTA_ERR_BAD_VALUE);
}

/* ---- every SPI combination: encode then decode ---- */

static const struct {
	enum simota_ota_alg alg;
	size_t key_len;
	uint8_t byte;       /* KIc / KID coding */
} ciphers[] = {
	{ SIMOTA_OTA_ALG_DES_CBC, 8, 0x01 },
	{ SIMOTA_OTA_ALG_DES_ECB, 8, 0x0d },
	{ SIMOTA_OTA_ALG_3DES2_CBC, 16, 0x05 },
	{ SIMOTA_OTA_ALG_3DES3_CBC, 24, 0x09 },
	{ SIMOTA_OTA_ALG_AES_CBC, 16, 0x02 },
	{ SIMOTA_OTA_ALG_AES_CBC, 24, 0x02 },
	{ SIMOTA_OTA_ALG_AES_CBC, 32, 0x02 },
}, checks[] = {
	{ SIMOTA_OTA_ALG_CRC16, 0, 0x01 },
	{ SIMOTA_OTA_ALG_CRC32, 0, 0x05 },
	{ SIMOTA_OTA_ALG_DES_CBC_MAC, 8, 0x01 },
	{ SIMOTA_OTA_ALG_3DES2_CBC_MAC, 16, 0x05 },
	{ SIMOTA_OTA_ALG_3DES3_CBC_MAC, 24, 0x09 },
	{ SIMOTA_OTA_ALG_AES_CMAC, 16, 0x02 },
	{ SIMOTA_OTA_ALG_AES_CMAC, 32, 0x02 },
};

static struct simota_ota_key *test_key(enum simota_ota_alg alg, size_t len, uint8_t seed)
{
	uint8_t k[32];
	struct simota_ota_key *key;

	for (size_t i = 0; i < sizeof(k); i++)
		k[i] = (uint8_t)(seed * 31 + i * 7 + 1);
	g_assert_cmpint(simota_ota_key_new(crypto, alg, k, len, &key), ==, SIMOTA_OK);
	return key;
}

static void test_all_spi(void)
{
	uint8_t data[40], out[256], work[256];
	unsigned combos = 0;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);
	for (size_t ci = 0; ci <= G_N_ELEMENTS(ciphers); ci++) {
		for (size_t ki = 0; ki <= G_N_ELEMENTS(checks); ki++) {
			struct simota_ota_key *kic_key = NULL, *kid_key = NULL;
			bool ciphered = ci < G_N_ELEMENTS(ciphers);
			bool checked = ki < G_N_ELEMENTS(checks);
			unsigned integrity = 0;

			if (ciphered)
				kic_key = test_key(ciphers[ci].alg, ciphers[ci].key_len, 1);
			if (checked) {
				kid_key = test_key(checks[ki].alg, checks[ki].key_len, 2);
				integrity = simota_ota_alg_is_rc(checks[ki].alg) ? 1 : 2;
			}
			for (unsigned counter = 0; counter < 4; counter++) {
				for (size_t cc_len = 0; cc_len <= 8; cc_len += 4) {
					for (size_t dl = 0; dl <= sizeof(data); dl += 13) {
						struct simota_ota_command cmd = { 0 }, d;
						size_t len;

						if (cc_len && (!checked ||
							       checks[ki].alg != SIMOTA_OTA_ALG_AES_CMAC))
							continue;
						cmd.spi[0] = (uint8_t)(integrity | (ciphered ? 4 : 0) |
								       counter << 3);
						cmd.spi[1] = 0x39;
						cmd.kic = ciphered ? ciphers[ci].byte : 0x15;
						cmd.kid = checked ? checks[ki].byte : 0x15;
						memcpy(cmd.tar, "\xb0\x00\x10", 3);
						cmd.cntr = counter ? 0x123456789aull : 0;
						cmd.cc_len = cc_len;
						cmd.data = data;
						cmd.data_len = dl;
						g_assert_cmpint(simota_ota_command_encode(&cmd, kic_key,
								kid_key, out, sizeof(out), &len),
								==, SIMOTA_OK);
						g_assert_cmpint(simota_ota_command_decode(out, len,
								kic_key, kid_key, work,
								sizeof(work), &d), ==, SIMOTA_OK);
						g_assert_cmpmem(d.data, d.data_len, data, dl);
						g_assert_cmphex(d.cntr, ==, cmd.cntr);
						g_assert_cmpuint(d.cc_len, ==, cc_len ? cc_len :
							(checked ? simota_ota_cc_len_default(checks[ki].alg) : 0));
						if (ciphered)
							g_assert_cmpuint((len - 10) %
								simota_ota_key_block_size(kic_key), ==, 0);
						else
							g_assert_cmpmem(out + 16 + d.cc_len, dl, data, dl);
						combos++;
					}
				}
			}
			simota_ota_key_free(kic_key);
			simota_ota_key_free(kid_key);
		}
	}
	g_test_message("%u command combinations", combos);
}

/* Every SPI2 combination for responses, and error PoRs plain. */
static void test_all_por(void)
{
	uint8_t data[20], out[256], work[256];
	unsigned combos = 0;

	memset(data, 0x5a, sizeof(data));
	for (size_t ci = 0; ci <= G_N_ELEMENTS(ciphers); ci++) {
		for (size_t ki = 0; ki <= G_N_ELEMENTS(checks); ki++) {
			bool ciphered = ci < G_N_ELEMENTS(ciphers);
			bool checked = ki < G_N_ELEMENTS(checks);
			struct simota_ota_key *kic_key = test_key(ciphered ? ciphers[ci].alg :
					SIMOTA_OTA_ALG_3DES2_CBC, ciphered ? ciphers[ci].key_len : 16, 3);
			struct simota_ota_key *kid_key = test_key(checked ? checks[ki].alg :
					SIMOTA_OTA_ALG_3DES2_CBC_MAC, checked ? checks[ki].key_len : 16, 4);
			unsigned integrity = !checked ? 0 : simota_ota_alg_is_rc(checks[ki].alg) ? 1 : 2;
			uint8_t spi[2];
			uint8_t kic = ciphered ? ciphers[ci].byte : 0x05;
			uint8_t kid = checked ? checks[ki].byte : 0x05;

			for (unsigned submit = 0; submit < 2; submit++) {
				for (unsigned status = 0; status <= 0x0b; status++) {
					struct simota_ota_response rsp = { 0 }, d;
					size_t len;

					spi[0] = 0x16;
					spi[1] = (uint8_t)(1 | integrity << 2 | (ciphered ? 0x10 : 0) |
							   submit << 5);
					memcpy(rsp.tar, "\xc0\x02\x03", 3);
					rsp.cntr = SIMOTA_OTA_CNTR_MAX;
					rsp.status = (uint8_t)status;
					rsp.data = data;
					rsp.data_len = status % 3 ? 0 : sizeof(data);
					g_assert_cmpint(simota_ota_response_encode(spi, kic, kid, &rsp,
							kic_key, kid_key, out, sizeof(out), &len),
							==, SIMOTA_OK);
					g_assert_cmpmem(out, 3, "\x02\x71\x00", 3);
					if (simota_ota_status_is_error(rsp.status)) {
						/* plain, no RC/CC: decodes without keys */
						g_assert_cmphex(out[5], ==, 10);
						g_assert_cmphex(out[15], ==, status);
						g_assert_cmpint(simota_ota_response_decode(spi, kic, kid,
								out, len, NULL, NULL, NULL, 0, &d),
								==, SIMOTA_OK);
						g_assert_false(d.ciphered);
						g_assert_cmpuint(d.cc_len, ==, 0);
					} else if (ciphered || integrity == 2) {
						/* keys needed */
						g_assert_cmpint(simota_ota_response_decode(spi, kic, kid,
								out, len, NULL, NULL, work,
								sizeof(work), &d), !=, SIMOTA_OK);
					} else {
						/* an RC alone (or nothing) needs no key */
						g_assert_cmpint(simota_ota_response_decode(spi, kic, kid,
								out, len, NULL, NULL, work,
								sizeof(work), &d), ==, SIMOTA_OK);
					}
					g_assert_cmpint(simota_ota_response_decode(spi, kic, kid, out,
							len, kic_key, kid_key, work, sizeof(work), &d),
							==, SIMOTA_OK);
					g_assert_cmphex(d.status, ==, status);
					g_assert_cmphex(d.cntr, ==, SIMOTA_OTA_CNTR_MAX);
					g_assert_cmpmem(d.tar, 3, "\xc0\x02\x03", 3);
					g_assert_cmpmem(d.data, d.data_len, data, rsp.data_len);
					/* without UDH too */
					g_assert_cmpint(simota_ota_response_decode(spi, kic, kid, out + 3,
							len - 3, kic_key, kid_key, work, sizeof(work),
							&d), ==, SIMOTA_OK);
					combos++;
				}
			}
			simota_ota_key_free(kic_key);
			simota_ota_key_free(kid_key);
		}
	}
	g_test_message("%u response combinations", combos);
}

/* A status-00 PoR lacking the protection SPI2 asked for is refused. */
static void test_por_downgrade(void)
{
	struct simota_ota_key *kic_key = test_key(SIMOTA_OTA_ALG_3DES2_CBC, 16, 5);
	struct simota_ota_key *kid_key = test_key(SIMOTA_OTA_ALG_3DES2_CBC_MAC, 16, 6);
	struct simota_ota_response rsp = { .status = 0 }, d;
	uint8_t out[64], work[64];
	size_t len;

	/* built with SPI2 "no security", read with SPI2 "CC" */
	g_assert_cmpint(simota_ota_response_encode((const uint8_t *)"\x16\x01", 0x05, 0x05, &rsp,
						   kic_key, kid_key, out, sizeof(out), &len), ==, 0);
	g_assert_cmpint(simota_ota_response_decode((const uint8_t *)"\x16\x09", 0x05, 0x05, out,
						   len, kic_key, kid_key, work, sizeof(work), &d),
			==, SIMOTA_ERR_CHECKSUM);
	/* read with SPI2 "ciphered": 7 bytes cannot be a ciphertext */
	g_assert_cmpint(simota_ota_response_decode((const uint8_t *)"\x16\x11", 0x05, 0x05, out,
						   len, kic_key, kid_key, work, sizeof(work), &d),
			==, SIMOTA_ERR_BAD_PADDING);
	/* built with CC, read with SPI2 "none": unexpected RC/CC field */
	g_assert_cmpint(simota_ota_response_encode((const uint8_t *)"\x16\x09", 0x05, 0x05, &rsp,
						   kic_key, kid_key, out, sizeof(out), &len), ==, 0);
	g_assert_cmpint(simota_ota_response_decode((const uint8_t *)"\x16\x01", 0x05, 0x05, out,
						   len, kic_key, kid_key, work, sizeof(work), &d),
			==, SIMOTA_ERR_BAD_LENGTH);
	simota_ota_key_free(kic_key);
	simota_ota_key_free(kid_key);
}

/* Counters at 0 and FFFFFFFFFF, one beyond refused. */
static void test_counter_limits(void)
{
	struct simota_ota_key *kic_key = test_key(SIMOTA_OTA_ALG_AES_CBC, 16, 7);
	struct simota_ota_key *kid_key = test_key(SIMOTA_OTA_ALG_AES_CMAC, 16, 8);
	static const uint64_t values[] = { 0, 1, 0xff, 0xfffffffffeull, SIMOTA_OTA_CNTR_MAX };
	struct simota_ota_command cmd = {
		.spi = { 0x16, 0x39 }, .kic = 0x12, .kid = 0x12, .tar = { 0xb0, 0, 0x10 },
		.data = (const uint8_t *)"\x80\xe6", .data_len = 2,
	}, d;
	uint8_t out[128], work[128];
	size_t len;

	for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
		cmd.cntr = values[i];
		g_assert_cmpint(simota_ota_command_encode(&cmd, kic_key, kid_key, out, sizeof(out),
							  &len), ==, SIMOTA_OK);
		g_assert_cmpint(simota_ota_command_decode(out, len, kic_key, kid_key, work,
							  sizeof(work), &d), ==, SIMOTA_OK);
		g_assert_cmphex(d.cntr, ==, values[i]);
	}
	cmd.cntr = SIMOTA_OTA_CNTR_MAX + 1;
	g_assert_cmpint(simota_ota_command_encode(&cmd, kic_key, kid_key, out, sizeof(out), &len),
			==, SIMOTA_ERR_BAD_VALUE);

	/* counter status per mode */
	g_assert_cmpint(simota_ota_counter_status(SIMOTA_OTA_COUNTER_NONE, SIMOTA_OTA_CNTR_MAX, 0), ==, 0);
	g_assert_cmpint(simota_ota_counter_status(SIMOTA_OTA_COUNTER_NO_CHECK, 5, 0), ==, 0);
	g_assert_cmpint(simota_ota_counter_status(SIMOTA_OTA_COUNTER_HIGHER, 0, 0), ==, 0x02);
	g_assert_cmpint(simota_ota_counter_status(SIMOTA_OTA_COUNTER_HIGHER, 0, 1), ==, 0);
	g_assert_cmpint(simota_ota_counter_status(SIMOTA_OTA_COUNTER_HIGHER, 0, SIMOTA_OTA_CNTR_MAX), ==, 0);
	g_assert_cmpint(simota_ota_counter_status(SIMOTA_OTA_COUNTER_HIGHER, 10, 9), ==, 0x02);
	g_assert_cmpint(simota_ota_counter_status(SIMOTA_OTA_COUNTER_HIGHER, 10, 1000), ==, 0);
	g_assert_cmpint(simota_ota_counter_status(SIMOTA_OTA_COUNTER_HIGHER, SIMOTA_OTA_CNTR_MAX,
						  SIMOTA_OTA_CNTR_MAX), ==, 0x04);
	g_assert_cmpint(simota_ota_counter_status(SIMOTA_OTA_COUNTER_ONE_HIGHER, 0, 1), ==, 0);
	g_assert_cmpint(simota_ota_counter_status(SIMOTA_OTA_COUNTER_ONE_HIGHER, 0, 2), ==, 0x03);
	g_assert_cmpint(simota_ota_counter_status(SIMOTA_OTA_COUNTER_ONE_HIGHER, 0, 0), ==, 0x02);
	g_assert_cmpint(simota_ota_counter_status(SIMOTA_OTA_COUNTER_ONE_HIGHER,
						  SIMOTA_OTA_CNTR_MAX - 1, SIMOTA_OTA_CNTR_MAX), ==, 0);
	g_assert_cmpint(simota_ota_counter_status(SIMOTA_OTA_COUNTER_ONE_HIGHER,
						  SIMOTA_OTA_CNTR_MAX, 0), ==, 0x04);
	simota_ota_key_free(kic_key);
	simota_ota_key_free(kid_key);
}

/* The receiving entity's status codes, each from a real packet. */
static void test_receiver(void)
{
	struct simota_ota_key *kic_key = test_key(SIMOTA_OTA_ALG_3DES2_CBC, 16, 9);
	struct simota_ota_key *kid_key = test_key(SIMOTA_OTA_ALG_3DES2_CBC_MAC, 16, 10);
	struct simota_ota_key *other = test_key(SIMOTA_OTA_ALG_3DES2_CBC_MAC, 16, 11);
	struct simota_ota_command cmd = {
		.spi = { 0x1e, 0x21 }, .kic = 0x15, .kid = 0x15, .tar = { 0xb0, 0, 0x10 },
		.cntr = 5, .data = (const uint8_t *)"\xa0\xa4\x00\x00\x02\x3f\x00", .data_len = 7,
	}, d;
	struct simota_ota_receiver rx = {
		.tar_known = true, .msl = 0x16, .stored_cntr = 4,
		.kic_key = kic_key, .kid_key = kid_key,
	};
	uint8_t pkt[128], work[128];
	size_t len;

	g_assert_cmpint(simota_ota_command_encode(&cmd, kic_key, kid_key, pkt, sizeof(pkt), &len),
			==, SIMOTA_OK);
	g_assert_cmphex(simota_ota_receive_command(pkt, len, &rx, work, sizeof(work), &d), ==, 0x00);
	g_assert_cmphex(d.cntr, ==, 5);

	rx.tar_known = false;
	g_assert_cmphex(simota_ota_receive_command(pkt, len, &rx, work, sizeof(work), &d), ==, 0x09);
	rx.tar_known = true;

	rx.msl = 0x1e | 0x01;   /* DS asked for */
	g_assert_cmphex(simota_ota_receive_command(pkt, len, &rx, work, sizeof(work), &d), ==, 0x0a);
	rx.msl = 0x16;

	rx.kid_key = other;
	g_assert_cmphex(simota_ota_receive_command(pkt, len, &rx, work, sizeof(work), &d), ==, 0x01);
	rx.kid_key = kid_key;

	rx.kic_key = NULL;
	g_assert_cmphex(simota_ota_receive_command(pkt, len, &rx, work, sizeof(work), &d), ==, 0x06);
	rx.kic_key = kic_key;

	g_assert_cmphex(simota_ota_receive_command(pkt, len, &rx, work, 8, &d), ==, 0x07);

	rx.stored_cntr = 5;
	g_assert_cmphex(simota_ota_receive_command(pkt, len, &rx, work, sizeof(work), &d), ==, 0x02);
	rx.stored_cntr = 3;
	g_assert_cmphex(simota_ota_receive_command(pkt, len, &rx, work, sizeof(work), &d), ==, 0x03);
	rx.stored_cntr = SIMOTA_OTA_CNTR_MAX;
	g_assert_cmphex(simota_ota_receive_command(pkt, len, &rx, work, sizeof(work), &d), ==, 0x04);
	rx.stored_cntr = 4;

	/* ciphering error: plain CC'd packet whose SPI now claims ciphering
	 * (21 bytes after the TAR: not a whole number of blocks) */
	cmd.spi[0] = 0x1a;
	g_assert_cmpint(simota_ota_command_encode(&cmd, kic_key, kid_key, pkt, sizeof(pkt), &len),
			==, SIMOTA_OK);
	rx.msl = 0x12;
	g_assert_cmphex(simota_ota_receive_command(pkt, len, &rx, work, sizeof(work), &d), ==, 0x00);
	pkt[3] |= 0x04;
	g_assert_cmphex(simota_ota_receive_command(pkt, len, &rx, work, sizeof(work), &d), ==, 0x05);
	/* malformed */
	g_assert_cmphex(simota_ota_receive_command(pkt, 3, &rx, work, sizeof(work), &d), ==, 0x06);

	/* MSL comparisons */
	g_assert_cmphex(simota_ota_security_level_status((const uint8_t *)"\x12\x00", 0x02), ==, 0);
	g_assert_cmphex(simota_ota_security_level_status((const uint8_t *)"\x11\x00", 0x02), ==, 0x0a);
	g_assert_cmphex(simota_ota_security_level_status((const uint8_t *)"\x12\x00", 0x06), ==, 0x0a);
	g_assert_cmphex(simota_ota_security_level_status((const uint8_t *)"\x0a\x00", 0x12), ==, 0x0a);
	g_assert_cmphex(simota_ota_security_level_status((const uint8_t *)"\x00\x00", 0x00), ==, 0);

	g_assert_cmphex(simota_ota_decode_error_status(SIMOTA_ERR_CHECKSUM), ==, 0x01);
	g_assert_cmphex(simota_ota_decode_error_status(SIMOTA_ERR_BAD_PADDING), ==, 0x05);
	g_assert_cmphex(simota_ota_decode_error_status(SIMOTA_ERR_BAD_KEY), ==, 0x06);
	g_assert_cmphex(simota_ota_decode_error_status(SIMOTA_ERR_NO_SPACE), ==, 0x07);
	g_assert_cmphex(simota_ota_decode_error_status(SIMOTA_OK), ==, 0x00);
	simota_ota_key_free(kic_key);
	simota_ota_key_free(kid_key);
	simota_ota_key_free(other);
}

/* Keys of the wrong algorithm or missing keys are refused by the encoder. */
static void test_key_mismatch(void)
{
	struct simota_ota_key *des = test_key(SIMOTA_OTA_ALG_DES_CBC, 8, 12);
	struct simota_ota_key *mac = test_key(SIMOTA_OTA_ALG_3DES2_CBC_MAC, 16, 13);
	struct simota_ota_key *aes_mac = test_key(SIMOTA_OTA_ALG_AES_CMAC, 16, 13);
	struct simota_ota_command cmd = { .spi = { 0x16, 0 }, .kic = 0x05, .kid = 0x05 };
	uint8_t out[64];
	size_t len;

	/* KIc says 3DES2, key is DES */
	g_assert_cmpint(simota_ota_command_encode(&cmd, des, mac, out, sizeof(out), &len), ==,
			SIMOTA_ERR_BAD_VALUE);
	/* a MAC key as KIc key */
	cmd.kic = 0x01;
	g_assert_cmpint(simota_ota_command_encode(&cmd, mac, mac, out, sizeof(out), &len), ==,
			SIMOTA_ERR_BAD_VALUE);
	/* no keys */
	g_assert_cmpint(simota_ota_command_encode(&cmd, NULL, mac, out, sizeof(out), &len), ==,
			SIMOTA_ERR_MISSING_VALUE);
	g_assert_cmpint(simota_ota_command_encode(&cmd, des, NULL, out, sizeof(out), &len), ==,
			SIMOTA_ERR_MISSING_VALUE);
	/* implicit KIc accepts any cipher key */
	cmd.kic = 0x00;
	g_assert_cmpint(simota_ota_command_encode(&cmd, des, mac, out, sizeof(out), &len), ==,
			SIMOTA_OK);
	/* CC length: 4 only for AES-CMAC */
	cmd.cc_len = 4;
	g_assert_cmpint(simota_ota_command_encode(&cmd, des, mac, out, sizeof(out), &len), ==,
			SIMOTA_ERR_BAD_LENGTH);
	cmd.kid = 0x02;
	g_assert_cmpint(simota_ota_command_encode(&cmd, des, aes_mac, out, sizeof(out), &len), ==,
			SIMOTA_OK);
	g_assert_cmphex(out[2], ==, 0x11);
	cmd.cc_len = 6;
	g_assert_cmpint(simota_ota_command_encode(&cmd, des, aes_mac, out, sizeof(out), &len), ==,
			SIMOTA_ERR_BAD_LENGTH);
	/* DS is not supported */
	cmd.spi[0] = 0x03;
	g_assert_cmpint(simota_ota_command_encode(&cmd, des, aes_mac, out, sizeof(out), &len), ==,
			SIMOTA_ERR_UNSUPPORTED);
	simota_ota_key_free(des);
	simota_ota_key_free(mac);
	simota_ota_key_free(aes_mac);
}

/*
 * An RC uses no key (TS 102 225 §5.1.3): a Gemalto card's setting, SPI 15 35
 * (RC + ciphering both ways, PoR by SMS-SUBMIT), KIc 15 (3DES 2-key), KID 15
 * (CRC32), wraps and unwraps with the KIc key alone, both ways.  The packets
 * were computed outside libsimota: Python's zlib.crc32 for the RC and
 * `openssl enc -des-ede-cbc -nopad -iv 0` for the ciphering.
 */
static const char rc_kic_key[] = "0123456789abcdeffedcba9876543210";
static const char rc_command[] =
	"00201115351515c000014b86c8c6cb1ba5c261805e9dca2e73ce7c5fa59aa5dc77e5";
static const char rc_response[] = "02710000140ec000015d1ffd5bd629803fbc2f96633c3ec69b";

static void test_rc_without_key(void)
{
	static const uint8_t spi[2] = { 0x15, 0x35 };
	struct simota_ota_key *kic_key = vec_key("3des2-cbc", rc_kic_key);
	struct simota_ota_key *crc32 = NULL;
	struct simota_ota_command cmd = {
		.spi = { 0x15, 0x35 }, .kic = 0x15, .kid = 0x15, .tar = { 0xc0, 0x00, 0x01 },
		.cntr = 7, .data = (const uint8_t *)"\xa0\xa4\x00\x00\x02\x3f\x00", .data_len = 7,
	}, dc;
	struct simota_ota_response rsp = {
		.tar = { 0xc0, 0x00, 0x01 }, .cntr = 7, .status = 0x00,
		.data = (const uint8_t *)"\x01\x90\x00", .data_len = 3,
	}, dr;
	struct simota_ota_receiver rx = {
		.tar_known = true, .msl = 0x15, .stored_cntr = 6, .kic_key = kic_key,
	};
	uint8_t out[128], work[128], *pkt;
	size_t len, pkt_len;

	/* command: wrap and unwrap without a KID key */
	g_assert_cmpint(simota_ota_command_encode(&cmd, kic_key, NULL, out, sizeof(out), &len), ==,
			SIMOTA_OK);
	tv_assert_hex(out, len, rc_command);
	pkt = tv_hex(rc_command, &pkt_len);
	g_assert_cmpint(simota_ota_command_decode(pkt, pkt_len, kic_key, NULL, work, sizeof(work),
						  &dc), ==, SIMOTA_OK);
	g_assert_cmpmem(dc.data, dc.data_len, cmd.data, cmd.data_len);
	g_assert_cmphex(dc.cntr, ==, 7);
	tv_assert_hex(dc.cc, dc.cc_len, "7b6b64ed");
	/* the card's side: the receiving entity with no KID key */
	g_assert_cmphex(simota_ota_receive_command(pkt, pkt_len, &rx, work, sizeof(work), &dc), ==,
			SIMOTA_OTA_STATUS_OK);
	/* the CRC still protects: a flipped bit of the ciphered part fails it */
	pkt[pkt_len - 1] ^= 0x01;
	g_assert_cmpint(simota_ota_command_decode(pkt, pkt_len, kic_key, NULL, work, sizeof(work),
						  &dc), !=, SIMOTA_OK);
	g_free(pkt);

	/* response (the PoR): wrap and unwrap without a KID key */
	g_assert_cmpint(simota_ota_response_encode(spi, 0x15, 0x15, &rsp, kic_key, NULL, out,
						   sizeof(out), &len), ==, SIMOTA_OK);
	tv_assert_hex(out, len, rc_response);
	pkt = tv_hex(rc_response, &pkt_len);
	g_assert_cmpint(simota_ota_response_decode(spi, 0x15, 0x15, pkt, pkt_len, kic_key, NULL,
						   work, sizeof(work), &dr), ==, SIMOTA_OK);
	g_assert_true(dr.ciphered);
	g_assert_cmphex(dr.status, ==, 0x00);
	g_assert_cmphex(dr.cntr, ==, 7);
	tv_assert_hex(dr.cc, dr.cc_len, "0f2e6ef6");
	g_assert_cmpmem(dr.data, dr.data_len, rsp.data, rsp.data_len);
	pkt[pkt_len - 1] ^= 0x01;
	g_assert_cmpint(simota_ota_response_decode(spi, 0x15, 0x15, pkt, pkt_len, kic_key, NULL,
						   work, sizeof(work), &dr), ==, SIMOTA_ERR_CHECKSUM);
	g_free(pkt);

	/* a CRC32 "key" object gives the same bytes; a CRC16 one does not fit KID 15 */
	g_assert_cmpint(simota_ota_key_new(crypto, SIMOTA_OTA_ALG_CRC32, NULL, 0, &crc32), ==,
			SIMOTA_OK);
	g_assert_cmpint(simota_ota_response_encode(spi, 0x15, 0x15, &rsp, kic_key, crc32, out,
						   sizeof(out), &len), ==, SIMOTA_OK);
	tv_assert_hex(out, len, rc_response);
	simota_ota_key_free(crc32);
	g_assert_cmpint(simota_ota_key_new(crypto, SIMOTA_OTA_ALG_CRC16, NULL, 0, &crc32), ==,
			SIMOTA_OK);
	g_assert_cmpint(simota_ota_response_encode(spi, 0x15, 0x15, &rsp, kic_key, crc32, out,
						   sizeof(out), &len), ==, SIMOTA_ERR_BAD_VALUE);
	simota_ota_key_free(crc32);

	/* what still needs more than the KID byte: an implicit KID, and a CC */
	cmd.kid = 0x10;
	g_assert_cmpint(simota_ota_command_encode(&cmd, kic_key, NULL, out, sizeof(out), &len), ==,
			SIMOTA_ERR_MISSING_VALUE);
	cmd.kid = 0x15;
	cmd.spi[0] = 0x16;
	g_assert_cmpint(simota_ota_command_encode(&cmd, kic_key, NULL, out, sizeof(out), &len), ==,
			SIMOTA_ERR_MISSING_VALUE);
	simota_ota_key_free(kic_key);
}

static void add_array(const char *array, const char *prefix, GTestDataFunc fn,
		      const char *only_with_cc_field)
{
	JsonArray *a = json_object_get_array_member(tv_load("secured-packets.json"), array);

	g_assert_cmpuint(json_array_get_length(a), >, 0);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *o = json_array_get_object_element(a, i);
		char *path;

		if (only_with_cc_field &&
		    json_object_get_int_member(o, only_with_cc_field) == 0)
			continue;
		path = g_strdup_printf("/ota/%s/%s", prefix, tv_str(o, "id"));
		g_test_add_data_func(path, o, fn);
		g_free(path);
	}
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(simota_ota_crypto_new(&crypto), ==, SIMOTA_OK);

	g_test_add_func("/ota/spi", test_spi);
	g_test_add_func("/ota/kic-kid", test_kic_kid);
	g_test_add_func("/ota/key-lengths", test_key_lengths);
	g_test_add_func("/ota/key-mismatch", test_key_mismatch);
	g_test_add_func("/ota/every-spi", test_all_spi);
	g_test_add_func("/ota/every-por", test_all_por);
	g_test_add_func("/ota/por-downgrade", test_por_downgrade);
	g_test_add_func("/ota/counter-limits", test_counter_limits);
	g_test_add_func("/ota/receiver", test_receiver);
	g_test_add_func("/ota/rc-without-key", test_rc_without_key);
	add_array("command_packets", "command/wrap", test_command_wrap, NULL);
	add_array("command_packets", "command/unwrap", test_command_unwrap, NULL);
	add_array("command_packets", "command/truncated", test_command_truncated, NULL);
	add_array("command_packets", "command/bitflip", test_command_bitflip, "cc_len");
	add_array("response_packets", "response", test_response, NULL);
	add_array("intermediate", "intermediate", test_intermediate, NULL);

	ret = g_test_run();
	simota_ota_crypto_free(crypto);
	return ret;
}
