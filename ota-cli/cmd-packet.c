/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `ota-cli packet wrap|unwrap-command|wrap-response|unwrap-response`:
 * secured command and response packets (TS 102 225 §5, TS 31.115 §4) from
 * and to hex, for engineers.  Hex is read in either case and written in
 * lower case.  Every failure is one line on stderr and exit status 1, with
 * nothing on stdout.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "simota/hex.h"
#include "simota/ota.h"

#include "fail.h"
#include "cmd-packet.h"

#define MAX_PACKET 4096

const char cli_packet_usage[] =
"  ota-cli packet wrap --spi HEX --kic HEX --kid HEX --kic-key HEX --kid-key HEX\n"
"                      --tar HEX --cntr HEX [--cc-len 4|8] --data HEX\n"
"      prints the command packet from CPL on (no 027000 header)\n"
"  ota-cli packet unwrap-command --kic-key HEX --kid-key HEX PACKET\n"
"      PACKET with or without 027000; prints a JSON object\n"
"  ota-cli packet wrap-response --spi HEX --kic HEX --kid HEX --kic-key HEX --kid-key HEX\n"
"                      --tar HEX --cntr HEX --status HEX --data HEX [--cc-len 4|8]\n"
"      prints the response packet with its 027100 header\n"
"  ota-cli packet unwrap-response --spi HEX --kic HEX --kid HEX --kic-key HEX --kid-key HEX PACKET\n"
"      --spi/--kic/--kid are those of the command answered; prints a JSON object\n"
"  Every subcommand accepts --kic-alg ALG / --kid-alg ALG for KIc/KID bytes that say\n"
"  \"known implicitly\".  ALG: des-cbc des-ecb 3des2-cbc 3des3-cbc aes-cbc crc16 crc32\n"
"  des-cbc-mac 3des2-cbc-mac 3des3-cbc-mac aes-cmac\n";

enum opt_id {
	OPT_SPI = 1, OPT_KIC, OPT_KID, OPT_KIC_KEY, OPT_KID_KEY, OPT_TAR, OPT_CNTR,
	OPT_CC_LEN, OPT_DATA, OPT_STATUS, OPT_KIC_ALG, OPT_KID_ALG, OPT__COUNT
};

static const struct option long_opts[] = {
	{ "spi", required_argument, NULL, OPT_SPI },
	{ "kic", required_argument, NULL, OPT_KIC },
	{ "kid", required_argument, NULL, OPT_KID },
	{ "kic-key", required_argument, NULL, OPT_KIC_KEY },
	{ "kid-key", required_argument, NULL, OPT_KID_KEY },
	{ "tar", required_argument, NULL, OPT_TAR },
	{ "cntr", required_argument, NULL, OPT_CNTR },
	{ "cc-len", required_argument, NULL, OPT_CC_LEN },
	{ "data", required_argument, NULL, OPT_DATA },
	{ "status", required_argument, NULL, OPT_STATUS },
	{ "kic-alg", required_argument, NULL, OPT_KIC_ALG },
	{ "kid-alg", required_argument, NULL, OPT_KID_ALG },
	{ NULL, 0, NULL, 0 },
};

static const char *opt_name(int id)
{
	for (const struct option *o = long_opts; o->name; o++)
		if (o->val == id)
			return o->name;
	return "?";
}

struct args {
	const char *opt[OPT__COUNT];
	const char *positional;
};

/* Options each subcommand takes (bit per enum opt_id). */
#define BIT(x) (1u << (x))
#define ALG_OPTS (BIT(OPT_KIC_ALG) | BIT(OPT_KID_ALG))

static int parse_args(int argc, char **argv, unsigned allowed, bool want_packet, struct args *a)
{
	int c, idx;

	memset(a, 0, sizeof(*a));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", long_opts, &idx)) != -1) {
		if (c == '?')
			return ota_cli_fail("%s: unknown option '%s'", argv[0], argv[optind - 1]);
		if (c == ':')
			return ota_cli_fail("%s: option '%s' needs a value", argv[0], argv[optind - 1]);
		if (!(allowed & BIT(c)))
			return ota_cli_fail("%s does not take --%s", argv[0], opt_name(c));
		if (a->opt[c])
			return ota_cli_fail("--%s given twice", opt_name(c));
		a->opt[c] = optarg;
	}
	if (want_packet) {
		if (optind >= argc)
			return ota_cli_fail("%s: the packet (hex) is missing", argv[0]);
		a->positional = argv[optind++];
	}
	if (optind < argc)
		return ota_cli_fail("%s: unexpected argument '%s'", argv[0], argv[optind]);
	return 0;
}

/* A required option of exactly `want` bytes. */
static int hex_opt(const struct args *a, int id, uint8_t *out, size_t want)
{
	size_t len;

	if (!a->opt[id])
		return ota_cli_fail("--%s is required", opt_name(id));
	if (simota_hex_decode(a->opt[id], out, want, &len) != SIMOTA_OK || len != want)
		return ota_cli_fail("--%s must be %zu byte%s of hex, got '%s'", opt_name(id), want,
			    want == 1 ? "" : "s", a->opt[id]);
	return 0;
}

static int cntr_opt(const struct args *a, uint64_t *out)
{
	uint8_t b[5];

	if (hex_opt(a, OPT_CNTR, b, 5))
		return 1;
	*out = (uint64_t)b[0] << 32 | (uint64_t)b[1] << 24 | (uint64_t)b[2] << 16 |
	       (uint64_t)b[3] << 8 | b[4];
	return 0;
}

static int alg_opt(const struct args *a, int id, enum simota_ota_alg *out)
{
	*out = SIMOTA_OTA_ALG_NONE;
	if (a->opt[id] && simota_ota_alg_from_name(a->opt[id], out) != SIMOTA_OK)
		return ota_cli_fail("--%s: unknown algorithm '%s'", opt_name(id), a->opt[id]);
	return 0;
}

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

/* Explains why a KIc/KID byte gives no algorithm. */
static int alg_error(simota_err err, const char *what, uint8_t byte, int alg_id,
		     enum simota_ota_alg named)
{
	switch (err) {
	case SIMOTA_ERR_MISSING_VALUE:
		return ota_cli_fail("%s %02x says the algorithm is known implicitly: name it with --%s",
			    what, byte, opt_name(alg_id));
	case SIMOTA_ERR_UNSUPPORTED:
		return ota_cli_fail("%s %02x names a proprietary algorithm, which is not supported",
			    what, byte);
	default:
		if (named != SIMOTA_OTA_ALG_NONE)
			return ota_cli_fail("--%s %s does not fit %s %02x", opt_name(alg_id),
				    simota_ota_alg_name(named), what, byte);
		return ota_cli_fail("%s %02x uses a reserved coding", what, byte);
	}
}

/*
 * Prepares the key of option key_id for algorithm alg.  With `optional`, a
 * missing key is left NULL (the decoder then needs none, e.g. error PoRs).
 */
static int make_key(struct keys *k, const struct args *a, int key_id, enum simota_ota_alg alg,
		    const char *why, bool optional, struct simota_ota_key **out)
{
	uint8_t key[64];
	size_t len;
	simota_err err;

	if (!a->opt[key_id]) {
		if (optional)
			return 0;
		return ota_cli_fail("--%s is required: %s", opt_name(key_id), why);
	}
	if (simota_hex_decode(a->opt[key_id], key, sizeof(key), &len) != SIMOTA_OK)
		return ota_cli_fail("--%s is not valid hex", opt_name(key_id));
	if (!k->crypto && simota_ota_crypto_new(&k->crypto) != SIMOTA_OK)
		return ota_cli_fail("cannot set up OpenSSL (default provider missing?)");
	err = simota_ota_key_new(k->crypto, alg, key, len, out);
	switch (err) {
	case SIMOTA_OK:
		return 0;
	case SIMOTA_ERR_BAD_KEY:
		return ota_cli_fail("--%s has %zu bytes, which is not a valid %s key length", opt_name(key_id),
			    len, simota_ota_alg_name(alg));
	case SIMOTA_ERR_UNSUPPORTED:
		return ota_cli_fail("%s is not available (OpenSSL legacy provider missing?)",
			    simota_ota_alg_name(alg));
	default:
		return ota_cli_fail("cannot prepare the %s key: %s", simota_ota_alg_name(alg),
			    simota_strerror(err));
	}
}

/*
 * Keys for a given protection (ciphering yes/no, integrity): the algorithms
 * from the KIc/KID bytes (or --kic-alg/--kid-alg), keys from the options.
 * Keys for protection not asked for are ignored.
 */
static int setup_keys(struct keys *k, const struct args *a, uint8_t kic, uint8_t kid,
		      bool ciphered, enum simota_ota_integrity integrity, const char *who,
		      bool optional)
{
	enum simota_ota_alg named, alg;
	char why[96];
	simota_err err;

	if (integrity == SIMOTA_OTA_INTEGRITY_DS)
		return ota_cli_fail("%s asks for a digital signature (DS), which is not supported", who);
	if (ciphered && (!optional || a->opt[OPT_KIC_KEY])) {
		if (alg_opt(a, OPT_KIC_ALG, &named))
			return 1;
		err = simota_ota_kic_algorithm(kic, named, &alg);
		if (err)
			return alg_error(err, "KIc", kic, OPT_KIC_ALG, named);
		snprintf(why, sizeof(why), "%s asks for ciphering (%s)", who,
			 simota_ota_alg_name(alg));
		if (make_key(k, a, OPT_KIC_KEY, alg, why, optional, &k->kic))
			return 1;
	}
	if (integrity != SIMOTA_OTA_INTEGRITY_NONE && (!optional || a->opt[OPT_KID_KEY])) {
		if (alg_opt(a, OPT_KID_ALG, &named))
			return 1;
		err = simota_ota_kid_algorithm(kid, integrity, named, &alg);
		if (err)
			return alg_error(err, "KID", kid, OPT_KID_ALG, named);
		snprintf(why, sizeof(why), "%s asks for %s (%s)", who,
			 integrity == SIMOTA_OTA_INTEGRITY_RC ? "an RC" : "a CC",
			 simota_ota_alg_name(alg));
		/* CRC takes no key: an absent --kid-key is fine */
		if (simota_ota_alg_is_rc(alg) && !a->opt[OPT_KID_KEY]) {
			if (!k->crypto && simota_ota_crypto_new(&k->crypto) != SIMOTA_OK)
				return ota_cli_fail("cannot set up OpenSSL");
			if (simota_ota_key_new(k->crypto, alg, NULL, 0, &k->kid) != SIMOTA_OK)
				return ota_cli_fail("cannot prepare the %s check", simota_ota_alg_name(alg));
		} else if (make_key(k, a, OPT_KID_KEY, alg, why, optional, &k->kid)) {
			return 1;
		}
	}
	/* a malformed --kic-alg/--kid-alg is an error even when unused */
	if (alg_opt(a, OPT_KIC_ALG, &named) || alg_opt(a, OPT_KID_ALG, &named))
		return 1;
	return 0;
}

static int cc_len_opt(const struct args *a, size_t *out)
{
	*out = 0;
	if (!a->opt[OPT_CC_LEN])
		return 0;
	if (strcmp(a->opt[OPT_CC_LEN], "4") == 0)
		*out = 4;
	else if (strcmp(a->opt[OPT_CC_LEN], "8") == 0)
		*out = 8;
	else
		return ota_cli_fail("--cc-len must be 4 or 8, got '%s'", a->opt[OPT_CC_LEN]);
	return 0;
}

/* Prints the finished output in one go; a failed write is an error too. */
static int emit(const char *text)
{
	if (fputs(text, stdout) == EOF || fflush(stdout) == EOF)
		return ota_cli_fail("cannot write the output");
	return 0;
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

/* ota-cli packet wrap */
static int cmd_wrap(int argc, char **argv)
{
	struct args a;
	struct keys k = { 0 };
	struct simota_ota_command cmd = { 0 };
	struct simota_ota_spi spi;
	static uint8_t data[MAX_PACKET], out[MAX_PACKET + 64];
	static char text[2 * sizeof(out) + 2];
	size_t len;
	simota_err err;
	int ret = 1;

	if (parse_args(argc, argv, BIT(OPT_SPI) | BIT(OPT_KIC) | BIT(OPT_KID) | BIT(OPT_KIC_KEY) |
		       BIT(OPT_KID_KEY) | BIT(OPT_TAR) | BIT(OPT_CNTR) | BIT(OPT_CC_LEN) |
		       BIT(OPT_DATA) | ALG_OPTS, false, &a))
		return 1;
	if (hex_opt(&a, OPT_SPI, cmd.spi, 2) || hex_opt(&a, OPT_KIC, &cmd.kic, 1) ||
	    hex_opt(&a, OPT_KID, &cmd.kid, 1) || hex_opt(&a, OPT_TAR, cmd.tar, 3) ||
	    cntr_opt(&a, &cmd.cntr) || cc_len_opt(&a, &cmd.cc_len))
		return 1;
	if (!a.opt[OPT_DATA])
		return ota_cli_fail("--data is required");
	if (simota_hex_decode(a.opt[OPT_DATA], data, sizeof(data), &len) != SIMOTA_OK)
		return ota_cli_fail("--data is not valid hex (or is longer than %zu bytes)", sizeof(data));
	cmd.data = data;
	cmd.data_len = len;
	simota_ota_spi_decode(cmd.spi, &spi);
	if (setup_keys(&k, &a, cmd.kic, cmd.kid, spi.ciphered, spi.integrity, "SPI", false))
		goto out;
	if (!k.kid || simota_ota_key_alg(k.kid) != SIMOTA_OTA_ALG_AES_CMAC)
		cmd.cc_len = 0;   /* --cc-len only picks the AES-CMAC length */
	err = simota_ota_command_encode(&cmd, k.kic, k.kid, out, sizeof(out), &len);
	if (err) {
		ota_cli_fail("cannot wrap the command: %s", packet_error(err));
		goto out;
	}
	simota_hex_encode(out, len, text);
	strcat(text, "\n");
	ret = emit(text);
out:
	keys_free(&k);
	return ret;
}

static int packet_arg(const struct args *a, uint8_t *buf, size_t cap, size_t *len)
{
	if (simota_hex_decode(a->positional, buf, cap, len) != SIMOTA_OK)
		return ota_cli_fail("the packet is not valid hex (or is longer than %zu bytes)", cap);
	return 0;
}

/* ota-cli packet unwrap-command */
static int cmd_unwrap_command(int argc, char **argv)
{
	struct args a;
	struct keys k = { 0 };
	struct simota_ota_command cmd;
	struct simota_ota_spi spi;
	static uint8_t pkt[MAX_PACKET], work[MAX_PACKET];
	static char text[4 * MAX_PACKET + 256];
	char h_spi[5], h_kic[3], h_kid[3], h_tar[7], h_cntr[11], h_cc[17];
	uint8_t cntr[5];
	size_t len, skip;
	simota_err err;
	int ret = 1;

	if (parse_args(argc, argv, BIT(OPT_KIC_KEY) | BIT(OPT_KID_KEY) | ALG_OPTS, true, &a) ||
	    packet_arg(&a, pkt, sizeof(pkt), &len))
		return 1;
	skip = simota_ota_udh_skip(pkt, len, 0x70);
	err = simota_ota_command_peek(pkt + skip, len - skip, &cmd);
	if (err)
		return ota_cli_fail("not a command packet: %s", packet_error(err));
	simota_ota_spi_decode(cmd.spi, &spi);
	if (setup_keys(&k, &a, cmd.kic, cmd.kid, spi.ciphered, spi.integrity, "the packet's SPI",
		       false))
		goto out;
	err = simota_ota_command_decode(pkt + skip, len - skip, k.kic, k.kid, work, sizeof(work),
					&cmd);
	if (err) {
		ota_cli_fail("cannot unwrap the command: %s", packet_error(err));
		goto out;
	}
	for (int i = 0; i < 5; i++)
		cntr[i] = (uint8_t)(cmd.cntr >> (8 * (4 - i)));
	simota_hex_encode(cmd.spi, 2, h_spi);
	simota_hex_encode(&cmd.kic, 1, h_kic);
	simota_hex_encode(&cmd.kid, 1, h_kid);
	simota_hex_encode(cmd.tar, 3, h_tar);
	simota_hex_encode(cntr, 5, h_cntr);
	simota_hex_encode(cmd.cc, cmd.cc_len, h_cc);
	snprintf(text, sizeof(text),
		 "{\"spi\":\"%s\",\"kic\":\"%s\",\"kid\":\"%s\",\"tar\":\"%s\",\"cntr\":\"%s\","
		 "\"pcntr\":%u,\"cc\":%s%s%s,\"data\":\"",
		 h_spi, h_kic, h_kid, h_tar, h_cntr, cmd.pcntr,
		 cmd.cc_len ? "\"" : "", cmd.cc_len ? h_cc : "null", cmd.cc_len ? "\"" : "");
	simota_hex_encode(cmd.data, cmd.data_len, text + strlen(text));
	strcat(text, "\"}\n");
	ret = emit(text);
out:
	keys_free(&k);
	return ret;
}

/* ota-cli packet wrap-response */
static int cmd_wrap_response(int argc, char **argv)
{
	struct args a;
	struct keys k = { 0 };
	struct simota_ota_response rsp = { 0 };
	struct simota_ota_spi spi;
	uint8_t cmd_spi[2], kic, kid;
	static uint8_t data[MAX_PACKET], out[MAX_PACKET + 64];
	static char text[2 * sizeof(out) + 2];
	size_t len;
	simota_err err;
	int ret = 1;

	if (parse_args(argc, argv, BIT(OPT_SPI) | BIT(OPT_KIC) | BIT(OPT_KID) | BIT(OPT_KIC_KEY) |
		       BIT(OPT_KID_KEY) | BIT(OPT_TAR) | BIT(OPT_CNTR) | BIT(OPT_STATUS) |
		       BIT(OPT_DATA) | BIT(OPT_CC_LEN) | ALG_OPTS, false, &a))
		return 1;
	if (hex_opt(&a, OPT_SPI, cmd_spi, 2) || hex_opt(&a, OPT_KIC, &kic, 1) ||
	    hex_opt(&a, OPT_KID, &kid, 1) || hex_opt(&a, OPT_TAR, rsp.tar, 3) ||
	    cntr_opt(&a, &rsp.cntr) || hex_opt(&a, OPT_STATUS, &rsp.status, 1) ||
	    cc_len_opt(&a, &rsp.cc_len))
		return 1;
	if (!a.opt[OPT_DATA])
		return ota_cli_fail("--data is required");
	if (simota_hex_decode(a.opt[OPT_DATA], data, sizeof(data), &len) != SIMOTA_OK)
		return ota_cli_fail("--data is not valid hex (or is longer than %zu bytes)", sizeof(data));
	rsp.data = data;
	rsp.data_len = len;
	simota_ota_spi_decode(cmd_spi, &spi);
	/* an error PoR is plain: no keys used */
	if (!simota_ota_status_is_error(rsp.status) &&
	    setup_keys(&k, &a, kic, kid, spi.por_ciphered, spi.por_integrity, "SPI2", false))
		goto out;
	if (!k.kid || simota_ota_key_alg(k.kid) != SIMOTA_OTA_ALG_AES_CMAC)
		rsp.cc_len = 0;
	err = simota_ota_response_encode(cmd_spi, kic, kid, &rsp, k.kic, k.kid, out, sizeof(out),
					 &len);
	if (err) {
		ota_cli_fail("cannot wrap the response: %s", packet_error(err));
		goto out;
	}
	simota_hex_encode(out, len, text);
	strcat(text, "\n");
	ret = emit(text);
out:
	keys_free(&k);
	return ret;
}

/* ota-cli packet unwrap-response */
static int cmd_unwrap_response(int argc, char **argv)
{
	struct args a;
	struct keys k = { 0 };
	struct simota_ota_response rsp;
	struct simota_ota_spi spi;
	uint8_t cmd_spi[2], kic, kid, cntr[5];
	static uint8_t pkt[MAX_PACKET], work[MAX_PACKET];
	static char text[4 * MAX_PACKET + 256];
	char h_tar[7], h_cntr[11], h_status[3], h_cc[17];
	size_t len;
	simota_err err;
	int ret = 1;

	if (parse_args(argc, argv, BIT(OPT_SPI) | BIT(OPT_KIC) | BIT(OPT_KID) | BIT(OPT_KIC_KEY) |
		       BIT(OPT_KID_KEY) | ALG_OPTS, true, &a))
		return 1;
	if (hex_opt(&a, OPT_SPI, cmd_spi, 2) || hex_opt(&a, OPT_KIC, &kic, 1) ||
	    hex_opt(&a, OPT_KID, &kid, 1) || packet_arg(&a, pkt, sizeof(pkt), &len))
		return 1;
	simota_ota_spi_decode(cmd_spi, &spi);
	/* keys are optional here: a plain error PoR needs none */
	if (setup_keys(&k, &a, kic, kid, spi.por_ciphered, spi.por_integrity, "SPI2", true))
		goto out;
	err = simota_ota_response_decode(cmd_spi, kic, kid, pkt, len, k.kic, k.kid, work,
					 sizeof(work), &rsp);
	if (err == SIMOTA_ERR_MISSING_VALUE) {
		ota_cli_fail("cannot unwrap the response: SPI2 %02x asks for %s; give --%s",
		     cmd_spi[1], spi.por_integrity ? "an RC/CC" : "ciphering",
		     !k.kid && spi.por_integrity ? "kid-key" : "kic-key");
		goto out;
	}
	if (err) {
		ota_cli_fail("cannot unwrap the response: %s", packet_error(err));
		goto out;
	}
	for (int i = 0; i < 5; i++)
		cntr[i] = (uint8_t)(rsp.cntr >> (8 * (4 - i)));
	simota_hex_encode(rsp.tar, 3, h_tar);
	simota_hex_encode(cntr, 5, h_cntr);
	simota_hex_encode(&rsp.status, 1, h_status);
	simota_hex_encode(rsp.cc, rsp.cc_len, h_cc);
	snprintf(text, sizeof(text),
		 "{\"tar\":\"%s\",\"cntr\":\"%s\",\"pcntr\":%u,\"status\":\"%s\",\"cc\":%s%s%s,"
		 "\"data\":\"",
		 h_tar, h_cntr, rsp.pcntr, h_status,
		 rsp.cc_len ? "\"" : "", rsp.cc_len ? h_cc : "null", rsp.cc_len ? "\"" : "");
	simota_hex_encode(rsp.data, rsp.data_len, text + strlen(text));
	strcat(text, "\"}\n");
	ret = emit(text);
out:
	keys_free(&k);
	return ret;
}

int cli_packet_main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} subs[] = {
		{ "wrap", cmd_wrap },
		{ "unwrap-command", cmd_unwrap_command },
		{ "wrap-response", cmd_wrap_response },
		{ "unwrap-response", cmd_unwrap_response },
	};

	if (argc < 2)
		return ota_cli_fail("packet: missing subcommand (wrap, unwrap-command, wrap-response, unwrap-response)");
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].run(argc - 1, argv + 1);
	return ota_cli_fail("packet: unknown subcommand '%s' (wrap, unwrap-command, wrap-response, unwrap-response)",
		    argv[1]);
}
