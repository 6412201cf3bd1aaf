/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `ota-cli packet wrap|unwrap-command|wrap-response|unwrap-response`:
 * secured command and response packets (TS 102 225 §5, TS 31.115 §4) from
 * and to hex, for engineers checking a card or a capture by hand.  The
 * codecs are libsimota's (simota/ota.h); this file maps the options to them
 * and their results to hex and JSON.  Hex is read in either case and
 * written in lower case.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "simota/hex.h"
#include "simota/ota.h"

#include "ota-cli.h"

#define MAX_PACKET 4096

/* The options of every packet subcommand; each one's table lists those it takes. */
struct packet_opts {
	char *spi, *kic, *kid, *tar, *cntr, *status, *data, *cc_len;
	char *kic_key, *kid_key, *kic_alg, *kid_alg;
};

#define OPT(name, field, help, arg) { name, 0, 0, G_OPTION_ARG_STRING, &o.field, help, arg }
#define OPT_HEADER(spi_help) \
	OPT("spi", spi, spi_help, "HEX"), \
	OPT("kic", kic, "the KIc byte", "HEX"), \
	OPT("kid", kid, "the KID byte", "HEX")
#define OPT_KEYS \
	OPT("kic-key", kic_key, "the ciphering key, when the SPI asks for ciphering", "HEX"), \
	OPT("kid-key", kid_key, "the CC key, when the SPI asks for a CC (an RC needs none)", "HEX"), \
	OPT("kic-alg", kic_alg, "the cipher of a KIc byte that says \"known implicitly\": " \
	    "des-cbc des-ecb 3des2-cbc 3des3-cbc aes-cbc", "ALG"), \
	OPT("kid-alg", kid_alg, "the RC/CC of a KID byte that says \"known implicitly\": " \
	    "crc16 crc32 des-cbc-mac 3des2-cbc-mac 3des3-cbc-mac aes-cmac", "ALG")
#define OPT_TAR_CNTR \
	OPT("tar", tar, "the TAR (3 bytes)", "HEX"), \
	OPT("cntr", cntr, "the counter (5 bytes)", "HEX")
#define OPT_CC_LEN OPT("cc-len", cc_len, "the AES-CMAC length (default 8)", "4|8")

static void packet_opts_clear(struct packet_opts *o)
{
	char **fields[] = {
		&o->spi, &o->kic, &o->kid, &o->tar, &o->cntr, &o->status, &o->data, &o->cc_len,
		&o->kic_key, &o->kid_key, &o->kic_alg, &o->kid_alg,
	};

	for (size_t i = 0; i < G_N_ELEMENTS(fields); i++)
		g_clear_pointer(fields[i], g_free);
}

/* ---- option values ------------------------------------------------------------------ */

static void append_hex(GString *s, const uint8_t *p, size_t len)
{
	size_t at = s->len;

	g_string_set_size(s, at + 2 * len);
	simota_hex_encode(p, len, s->str + at);
}

/* A required option of exactly `want` bytes of hex. */
static int hex_opt(const char *value, const char *name, uint8_t *out, size_t want)
{
	size_t len;

	if (!value)
		return ota_cli_fail("--%s is required", name);
	if (simota_hex_decode(value, out, want, &len) != SIMOTA_OK || len != want)
		return ota_cli_fail("--%s must be %zu byte%s of hex, got '%s'", name, want,
				    want == 1 ? "" : "s", value);
	return 0;
}

static int cntr_opt(const char *value, uint64_t *out)
{
	uint8_t b[5];

	if (hex_opt(value, "cntr", b, 5))
		return 1;
	*out = (uint64_t)b[0] << 32 | (uint64_t)b[1] << 24 | (uint64_t)b[2] << 16 |
	       (uint64_t)b[3] << 8 | b[4];
	return 0;
}

static int data_opt(const char *value, uint8_t *out, size_t *len)
{
	if (!value)
		return ota_cli_fail("--data is required");
	if (simota_hex_decode(value, out, MAX_PACKET, len) != SIMOTA_OK)
		return ota_cli_fail("--data is not valid hex (or is longer than %d bytes)", MAX_PACKET);
	return 0;
}

static int cc_len_opt(const char *value, size_t *out)
{
	*out = 0;
	if (!value)
		return 0;
	if (strcmp(value, "4") == 0)
		*out = 4;
	else if (strcmp(value, "8") == 0)
		*out = 8;
	else
		return ota_cli_fail("--cc-len must be 4 or 8, got '%s'", value);
	return 0;
}

static int alg_opt(const char *value, const char *name, enum simota_ota_alg *out)
{
	*out = SIMOTA_OTA_ALG_NONE;
	if (value && simota_ota_alg_from_name(value, out) != SIMOTA_OK)
		return ota_cli_fail("--%s: unknown algorithm '%s'", name, value);
	return 0;
}

static int packet_arg(const char *hex, uint8_t *buf, size_t *len)
{
	if (simota_hex_decode(hex, buf, MAX_PACKET, len) != SIMOTA_OK)
		return ota_cli_fail("the packet is not valid hex (or is longer than %d bytes)",
				    MAX_PACKET);
	return 0;
}

/* ---- keys --------------------------------------------------------------------------- */

struct keys {
	struct simota_ota_crypto *crypto;
	struct simota_ota_key *kic;
	struct simota_ota_key *kid;
};

static void keys_free(struct keys *k)
{
	simota_ota_key_free(k->kic);
	simota_ota_key_free(k->kid);
	simota_ota_crypto_free(k->crypto);
}

static int crypto_ready(struct keys *k)
{
	if (!k->crypto && simota_ota_crypto_new(&k->crypto) != SIMOTA_OK)
		return ota_cli_fail("cannot set up OpenSSL (default provider missing?)");
	return 0;
}

/* Explains why a KIc/KID byte gives no algorithm. */
static int alg_error(simota_err err, const char *what, uint8_t byte, const char *alg_opt_name,
		     enum simota_ota_alg named)
{
	switch (err) {
	case SIMOTA_ERR_MISSING_VALUE:
		return ota_cli_fail("%s %02x says the algorithm is known implicitly: name it with --%s",
				    what, byte, alg_opt_name);
	case SIMOTA_ERR_UNSUPPORTED:
		return ota_cli_fail("%s %02x names a proprietary algorithm, which is not supported",
				    what, byte);
	default:
		if (named != SIMOTA_OTA_ALG_NONE)
			return ota_cli_fail("--%s %s does not fit %s %02x", alg_opt_name,
					    simota_ota_alg_name(named), what, byte);
		return ota_cli_fail("%s %02x uses a reserved coding", what, byte);
	}
}

/*
 * Prepares the key given as option `name` (hex `value`) for algorithm alg.
 * With `optional`, a missing key is left NULL (the decoder then needs none,
 * e.g. for an error PoR).
 */
static int make_key(struct keys *k, const char *value, const char *name, enum simota_ota_alg alg,
		    const char *why, bool optional, struct simota_ota_key **out)
{
	uint8_t key[64];
	size_t len;
	simota_err err;

	if (!value)
		return optional ? 0 : ota_cli_fail("--%s is required: %s", name, why);
	if (simota_hex_decode(value, key, sizeof(key), &len) != SIMOTA_OK)
		return ota_cli_fail("--%s is not valid hex", name);
	if (crypto_ready(k))
		return 1;
	err = simota_ota_key_check(alg, key, len);
	if (err == SIMOTA_OK)
		err = simota_ota_key_new(k->crypto, alg, key, len, out);
	switch (err) {
	case SIMOTA_OK:
		return 0;
	case SIMOTA_ERR_WEAK_KEY:
		return ota_cli_fail("--%s is a %s key that degenerates to single DES (K1 = K2%s, parity bits "
				    "aside); give one with independent 8-byte parts", name,
				    simota_ota_alg_name(alg), len == 24 ? " or K2 = K3" : "");
	case SIMOTA_ERR_BAD_KEY:
		return ota_cli_fail("--%s has %zu bytes, which is not a valid %s key length", name,
				    len, simota_ota_alg_name(alg));
	case SIMOTA_ERR_UNSUPPORTED:
		return ota_cli_fail("%s is not available (OpenSSL legacy provider missing?)",
				    simota_ota_alg_name(alg));
	default:
		return ota_cli_fail("cannot prepare the %s key: %s", simota_ota_alg_name(alg),
				    simota_strerror(err));
	}
}

/* What a KIc or KID byte is used for here, and the options that go with it. */
struct key_use {
	const char *byte_name;                 /* "KIc", "KID" */
	enum simota_ota_integrity integrity;   /* NONE: ciphering (KIc) */
	const char *asks;                      /* "ciphering", "a CC" */
	const char *alg_opt, *alg_value;       /* --kic-alg / --kid-alg */
	const char *key_opt, *key_value;       /* --kic-key / --kid-key */
};

/*
 * TS 102 225 §5.1.2, §5.1.3: the algorithm the byte names, or the one
 * --kic-alg/--kid-alg names for a byte that says "known implicitly".  With
 * missing_ok, an implicit byte without the option leaves *alg NONE.
 */
static int byte_algorithm(const struct key_use *u, uint8_t byte, bool missing_ok,
			  enum simota_ota_alg *named, enum simota_ota_alg *alg)
{
	simota_err err;

	*alg = SIMOTA_OTA_ALG_NONE;
	if (alg_opt(u->alg_value, u->alg_opt, named))
		return 1;
	if (u->integrity == SIMOTA_OTA_INTEGRITY_NONE)
		err = simota_ota_kic_algorithm(byte, *named, alg);
	else
		err = simota_ota_kid_algorithm(byte, u->integrity, *named, alg);
	if (err == SIMOTA_ERR_MISSING_VALUE && missing_ok)
		return 0;
	if (err)
		return alg_error(err, u->byte_name, byte, u->alg_opt, *named);
	return 0;
}

/* A cipher or CC key: the byte's algorithm, keyed by the key option. */
static int keyed(struct keys *k, const struct key_use *u, uint8_t byte, const char *who,
		 bool optional, struct simota_ota_key **out)
{
	enum simota_ota_alg named, alg;
	char why[96];

	if (byte_algorithm(u, byte, false, &named, &alg))
		return 1;
	snprintf(why, sizeof(why), "%s asks for %s (%s)", who, u->asks, simota_ota_alg_name(alg));
	return make_key(k, u->key_value, u->key_opt, alg, why, optional, out);
}

/*
 * TS 102 225 §5.1.3: an RC (CRC16/CRC32) uses no key; libsimota takes the
 * CRC the KID byte names.  Only a KID byte that says "known implicitly"
 * needs --kid-alg, which then becomes a CRC object.  With `optional`, a
 * missing --kid-alg is left to the decoder (an error PoR needs none).
 * --kid-key is ignored.
 */
static int rc_algorithm(struct keys *k, const struct key_use *u, uint8_t kid, bool optional)
{
	enum simota_ota_alg named, alg;

	if (byte_algorithm(u, kid, optional, &named, &alg))
		return 1;
	if (named == SIMOTA_OTA_ALG_NONE)
		return 0;
	if (crypto_ready(k))
		return 1;
	if (simota_ota_key_new(k->crypto, alg, NULL, 0, &k->kid) != SIMOTA_OK)
		return ota_cli_fail("cannot prepare the %s check", simota_ota_alg_name(alg));
	return 0;
}

/*
 * The keys a protection needs (ciphering yes/no, integrity), from the
 * KIc/KID bytes (or --kic-alg/--kid-alg) and the key options; keys for
 * protection not asked for are ignored.  With `optional` (unwrap-response)
 * missing keys are left NULL: a plain error PoR needs none.
 */
static int setup_keys(struct keys *k, const struct packet_opts *o, uint8_t kic, uint8_t kid,
		      bool ciphered, enum simota_ota_integrity integrity, const char *who,
		      bool optional)
{
	const struct key_use kic_use = {
		"KIc", SIMOTA_OTA_INTEGRITY_NONE, "ciphering", "kic-alg", o->kic_alg,
		"kic-key", o->kic_key,
	};
	const struct key_use kid_use = {
		"KID", integrity, "a CC", "kid-alg", o->kid_alg, "kid-key", o->kid_key,
	};
	enum simota_ota_alg unused;

	if (integrity == SIMOTA_OTA_INTEGRITY_DS)
		return ota_cli_fail("%s asks for a digital signature (DS), which is not supported", who);
	if (ciphered && (!optional || o->kic_key) && keyed(k, &kic_use, kic, who, optional, &k->kic))
		return 1;
	if (integrity == SIMOTA_OTA_INTEGRITY_RC && rc_algorithm(k, &kid_use, kid, optional))
		return 1;
	if (integrity == SIMOTA_OTA_INTEGRITY_CC && (!optional || o->kid_key) &&
	    keyed(k, &kid_use, kid, who, optional, &k->kid))
		return 1;
	/* a malformed --kic-alg/--kid-alg is an error even when unused */
	if (alg_opt(o->kic_alg, "kic-alg", &unused) || alg_opt(o->kid_alg, "kid-alg", &unused))
		return 1;
	return 0;
}

/* --cc-len picks the AES-CMAC length only; any other RC/CC has one length. */
static size_t cc_len_for(const struct keys *k, size_t cc_len)
{
	return k->kid && simota_ota_key_alg(k->kid) == SIMOTA_OTA_ALG_AES_CMAC ? cc_len : 0;
}

/* ---- output ------------------------------------------------------------------------- */

/* Prints the finished output in one go; a failed write is an error too. */
static int emit(const char *text)
{
	if (fputs(text, stdout) == EOF || fflush(stdout) == EOF)
		return ota_cli_fail("cannot write the output");
	return 0;
}

/* Prints s, then p as hex, then tail; frees s. */
static int emit_with_hex(GString *s, const uint8_t *p, size_t len, const char *tail)
{
	int rc;

	append_hex(s, p, len);
	g_string_append(s, tail);
	rc = emit(s->str);
	g_string_free(s, TRUE);
	return rc;
}

static int emit_hex_line(const uint8_t *p, size_t len)
{
	return emit_with_hex(g_string_new(NULL), p, len, "\n");
}

static const char *packet_error(simota_err err)
{
	switch (err) {
	case SIMOTA_ERR_CHECKSUM:
		return "the RC/CC does not verify (wrong key, or the packet was altered)";
	case SIMOTA_ERR_TRUNCATED:
		return "the packet is shorter than its length field says";
	case SIMOTA_ERR_TRAILING_DATA:
		return "the packet is longer than its length field says";
	case SIMOTA_ERR_BAD_LENGTH:
		return "a header length (CHL/RHL) is malformed or does not fit the SPI";
	case SIMOTA_ERR_BAD_PADDING:
		return "the ciphered part or its padding counter is inconsistent";
	case SIMOTA_ERR_MISSING_VALUE:
		return "a key the SPI asks for is missing";
	case SIMOTA_ERR_BAD_VALUE:
		return "a key's algorithm does not fit the KIc/KID byte";
	default:
		return simota_strerror(err);
	}
}

static void cntr_bytes(uint64_t cntr, uint8_t out[5])
{
	for (int i = 0; i < 5; i++)
		out[i] = (uint8_t)(cntr >> (8 * (4 - i)));
}

/* {"spi","kic","kid","tar","cntr","pcntr","cc","data"} on one line */
static int emit_command_json(const struct simota_ota_command *c)
{
	char h_spi[5], h_kic[3], h_kid[3], h_tar[7], h_cntr[11], h_cc[17];
	uint8_t cntr[5];
	GString *s = g_string_new(NULL);

	cntr_bytes(c->cntr, cntr);
	simota_hex_encode(c->spi, 2, h_spi);
	simota_hex_encode(&c->kic, 1, h_kic);
	simota_hex_encode(&c->kid, 1, h_kid);
	simota_hex_encode(c->tar, 3, h_tar);
	simota_hex_encode(cntr, 5, h_cntr);
	simota_hex_encode(c->cc, c->cc_len, h_cc);
	g_string_printf(s, "{\"spi\":\"%s\",\"kic\":\"%s\",\"kid\":\"%s\",\"tar\":\"%s\",\"cntr\":\"%s\","
			"\"pcntr\":%u,\"cc\":%s%s%s,\"data\":\"",
			h_spi, h_kic, h_kid, h_tar, h_cntr, c->pcntr,
			c->cc_len ? "\"" : "", c->cc_len ? h_cc : "null", c->cc_len ? "\"" : "");
	return emit_with_hex(s, c->data, c->data_len, "\"}\n");
}

/* {"tar","cntr","pcntr","status","cc","data"} on one line */
static int emit_response_json(const struct simota_ota_response *r)
{
	char h_tar[7], h_cntr[11], h_status[3], h_cc[17];
	uint8_t cntr[5];
	GString *s = g_string_new(NULL);

	cntr_bytes(r->cntr, cntr);
	simota_hex_encode(r->tar, 3, h_tar);
	simota_hex_encode(cntr, 5, h_cntr);
	simota_hex_encode(&r->status, 1, h_status);
	simota_hex_encode(r->cc, r->cc_len, h_cc);
	g_string_printf(s, "{\"tar\":\"%s\",\"cntr\":\"%s\",\"pcntr\":%u,\"status\":\"%s\",\"cc\":%s%s%s,"
			"\"data\":\"",
			h_tar, h_cntr, r->pcntr, h_status,
			r->cc_len ? "\"" : "", r->cc_len ? h_cc : "null", r->cc_len ? "\"" : "");
	return emit_with_hex(s, r->data, r->data_len, "\"}\n");
}

/* ---- the subcommands ---------------------------------------------------------------- */

/* --spi, --kic and --kid: the command's header, or that of the command a response answers. */
static int header_opts(const struct packet_opts *o, uint8_t spi[2], uint8_t *kic, uint8_t *kid)
{
	return hex_opt(o->spi, "spi", spi, 2) || hex_opt(o->kic, "kic", kic, 1) ||
	       hex_opt(o->kid, "kid", kid, 1);
}

/* A wrapped packet as a hex line, or why it could not be wrapped (what: "command", "response"). */
static int emit_wrapped(simota_err err, const char *what, const uint8_t *out, size_t len)
{
	if (err)
		return ota_cli_fail("cannot wrap the %s: %s", what, packet_error(err));
	return emit_hex_line(out, len);
}

/* SPI, KIc, KID, TAR, CNTR, --cc-len and --data of a command to wrap. */
static int command_opts(const struct packet_opts *o, struct simota_ota_command *c,
			uint8_t *data)
{
	if (header_opts(o, c->spi, &c->kic, &c->kid) || hex_opt(o->tar, "tar", c->tar, 3) ||
	    cntr_opt(o->cntr, &c->cntr) || cc_len_opt(o->cc_len, &c->cc_len) ||
	    data_opt(o->data, data, &c->data_len))
		return 1;
	c->data = data;
	return 0;
}

/* ota-cli packet wrap: TS 102 225 §5.1 */
int ota_cli_packet_wrap(const struct ota_cli_command *cmd, int argc, char **argv)
{
	struct packet_opts o = { 0 };
	const GOptionEntry entries[] = {
		OPT_HEADER("the SPI (2 bytes)"), OPT_TAR_CNTR,
		OPT("data", data, "the secured data", "HEX"), OPT_CC_LEN, OPT_KEYS, { NULL }
	};
	struct simota_ota_command c = { 0 };
	struct simota_ota_spi spi;
	struct keys k = { 0 };
	uint8_t data[MAX_PACKET], out[MAX_PACKET + 64];
	size_t len;
	simota_err err;
	int rc = 1;

	if (!ota_cli_parse(cmd, &argc, &argv, entries, NULL) || command_opts(&o, &c, data))
		goto out;
	simota_ota_spi_decode(c.spi, &spi);
	if (setup_keys(&k, &o, c.kic, c.kid, spi.ciphered, spi.integrity, "SPI", false))
		goto out;
	c.cc_len = cc_len_for(&k, c.cc_len);
	err = simota_ota_command_encode(&c, k.kic, k.kid, out, sizeof(out), &len);
	rc = emit_wrapped(err, "command", out, len);
out:
	keys_free(&k);
	packet_opts_clear(&o);
	return rc;
}

/* ota-cli packet unwrap-command PACKET: TS 102 225 §5.1 */
int ota_cli_packet_unwrap_command(const struct ota_cli_command *cmd, int argc, char **argv)
{
	struct packet_opts o = { 0 };
	const GOptionEntry entries[] = { OPT_KEYS, { NULL } };
	struct simota_ota_command c;
	struct simota_ota_spi spi;
	struct keys k = { 0 };
	uint8_t pkt[MAX_PACKET], work[MAX_PACKET];
	size_t len, skip;
	simota_err err;
	int rc = 1;

	if (!ota_cli_parse(cmd, &argc, &argv, entries, NULL) || packet_arg(argv[1], pkt, &len))
		goto out;
	skip = simota_ota_udh_skip(pkt, len, 0x70);
	err = simota_ota_command_peek(pkt + skip, len - skip, &c);
	if (err) {
		rc = ota_cli_fail("not a command packet: %s", packet_error(err));
		goto out;
	}
	simota_ota_spi_decode(c.spi, &spi);
	if (setup_keys(&k, &o, c.kic, c.kid, spi.ciphered, spi.integrity, "the packet's SPI", false))
		goto out;
	err = simota_ota_command_decode(pkt + skip, len - skip, k.kic, k.kid, work, sizeof(work), &c);
	if (err)
		rc = ota_cli_fail("cannot unwrap the command: %s", packet_error(err));
	else
		rc = emit_command_json(&c);
out:
	keys_free(&k);
	packet_opts_clear(&o);
	return rc;
}

/* ota-cli packet wrap-response: TS 102 225 §5.2 */
int ota_cli_packet_wrap_response(const struct ota_cli_command *cmd, int argc, char **argv)
{
	struct packet_opts o = { 0 };
	const GOptionEntry entries[] = {
		OPT_HEADER("the SPI of the command answered (SPI2 secures the PoR)"), OPT_TAR_CNTR,
		OPT("status", status, "the response status (TS 102 225 §5.2.2)", "HEX"),
		OPT("data", data, "the additional response data", "HEX"), OPT_CC_LEN, OPT_KEYS,
		{ NULL }
	};
	struct simota_ota_response r = { 0 };
	struct simota_ota_spi spi;
	struct keys k = { 0 };
	uint8_t cmd_spi[2], kic, kid, data[MAX_PACKET], out[MAX_PACKET + 64];
	size_t len;
	simota_err err;
	int rc = 1;

	if (!ota_cli_parse(cmd, &argc, &argv, entries, NULL) ||
	    header_opts(&o, cmd_spi, &kic, &kid) || hex_opt(o.tar, "tar", r.tar, 3) ||
	    cntr_opt(o.cntr, &r.cntr) || hex_opt(o.status, "status", &r.status, 1) ||
	    cc_len_opt(o.cc_len, &r.cc_len) || data_opt(o.data, data, &r.data_len))
		goto out;
	r.data = data;
	simota_ota_spi_decode(cmd_spi, &spi);
	/* an error PoR is plain: no keys used */
	if (!simota_ota_status_is_error(r.status) &&
	    setup_keys(&k, &o, kic, kid, spi.por_ciphered, spi.por_integrity, "SPI2", false))
		goto out;
	r.cc_len = cc_len_for(&k, r.cc_len);
	err = simota_ota_response_encode(cmd_spi, kic, kid, &r, k.kic, k.kid, out, sizeof(out), &len);
	rc = emit_wrapped(err, "response", out, len);
out:
	keys_free(&k);
	packet_opts_clear(&o);
	return rc;
}

/* Which option a PoR lacks: ciphering needs --kic-key, a CC --kid-key, an RC none. */
static int missing_key_error(const struct keys *k, const struct simota_ota_spi *spi, uint8_t spi2,
			     uint8_t kid)
{
	if (spi->por_ciphered && !k->kic)
		return ota_cli_fail("cannot unwrap the response: SPI2 %02x asks for ciphering; "
				    "give --kic-key", spi2);
	if (spi->por_integrity == SIMOTA_OTA_INTEGRITY_RC)
		return ota_cli_fail("cannot unwrap the response: KID %02x says the RC algorithm is "
				    "known implicitly: name it with --kid-alg", kid);
	return ota_cli_fail("cannot unwrap the response: SPI2 %02x asks for a CC; give --kid-key",
			    spi2);
}

/* ota-cli packet unwrap-response PACKET: TS 102 225 §5.2 */
int ota_cli_packet_unwrap_response(const struct ota_cli_command *cmd, int argc, char **argv)
{
	struct packet_opts o = { 0 };
	const GOptionEntry entries[] = {
		OPT_HEADER("the SPI of the command answered (SPI2 secures the PoR)"), OPT_KEYS,
		{ NULL }
	};
	struct simota_ota_response r;
	struct simota_ota_spi spi;
	struct keys k = { 0 };
	uint8_t cmd_spi[2], kic, kid, pkt[MAX_PACKET], work[MAX_PACKET];
	size_t len;
	simota_err err;
	int rc = 1;

	if (!ota_cli_parse(cmd, &argc, &argv, entries, NULL) ||
	    header_opts(&o, cmd_spi, &kic, &kid) || packet_arg(argv[1], pkt, &len))
		goto out;
	simota_ota_spi_decode(cmd_spi, &spi);
	/* keys are optional here: a plain error PoR needs none */
	if (setup_keys(&k, &o, kic, kid, spi.por_ciphered, spi.por_integrity, "SPI2", true))
		goto out;
	err = simota_ota_response_decode(cmd_spi, kic, kid, pkt, len, k.kic, k.kid, work,
					 sizeof(work), &r);
	if (err == SIMOTA_ERR_MISSING_VALUE)
		rc = missing_key_error(&k, &spi, cmd_spi[1], kid);
	else if (err)
		rc = ota_cli_fail("cannot unwrap the response: %s", packet_error(err));
	else
		rc = emit_response_json(&r);
out:
	keys_free(&k);
	packet_opts_clear(&o);
	return rc;
}
