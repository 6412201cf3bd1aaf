/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Secured-packet codec against a plain OpenSSL loop.
 *
 * For AES-128 (CBC + CMAC-8) and 3DES 2-key (CBC + CBC-MAC), both with
 * ciphering and a CC: one operation = wrap a command with ~100 bytes of
 * secured data and unwrap it again (decipher + verify).  The raw loop does
 * the same cipher and MAC work on the same bytes with EVP contexts
 * prepared once (only the IV / MAC state reset per packet), and none of
 * the packet handling.  Prints ops/s for both and ours/raw (target >= 0.5).
 *
 * usage: bench-ota [SECONDS_PER_MEASUREMENT] [--check]
 *   --check exits 1 when a ratio is below the target.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "simota/ota.h"
#include "bench-util.h"

#define DATA_LEN 100
#define ROUNDS 3
#define TARGET 0.5

struct bench_case {
	const char *name;
	uint8_t kic, kid;                  /* KIc / KID bytes */
	enum simota_ota_alg cipher_alg, mac_alg;
	const char *evp_cipher;            /* for the raw loop */
	bool cmac;                         /* raw MAC: CMAC, else CBC-MAC */
	size_t key_len, block, cc_len;
};

static const struct bench_case cases[] = {
	{ "AES-128 CBC + CMAC-8", 0x12, 0x12, SIMOTA_OTA_ALG_AES_CBC, SIMOTA_OTA_ALG_AES_CMAC,
	  "AES-128-CBC", true, 16, 16, 8 },
	{ "3DES2 CBC + CBC-MAC", 0x15, 0x15, SIMOTA_OTA_ALG_3DES2_CBC, SIMOTA_OTA_ALG_3DES2_CBC_MAC,
	  "DES-EDE-CBC", false, 16, 8, 8 },
};

static const uint8_t kic_key[16] = {
	0x20, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};
static const uint8_t kid_key[16] = {
	0x20, 0x11, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};
static const uint8_t zero_iv[16];
static uint8_t data[DATA_LEN];
static volatile uint8_t sink;

/* every failure: "<program>: <what> failed", exit 2 */
#define die(what) bench_die("bench-ota", what)

/* ---- ours: libsimota wrap + unwrap ---- */

struct ours {
	struct simota_ota_key *kic, *kid;
	struct simota_ota_command cmd;
	size_t packet_len;
};

static void ours_op(struct ours *o)
{
	uint8_t pkt[256], work[256];
	struct simota_ota_command d;
	size_t len;

	o->cmd.cntr++;
	if (simota_ota_command_encode(&o->cmd, o->kic, o->kid, pkt, sizeof(pkt), &len) ||
	    simota_ota_command_decode(pkt, len, o->kic, o->kid, work, sizeof(work), &d) ||
	    d.data_len != DATA_LEN)
		die("libsimota wrap/unwrap");
	o->packet_len = len;
	sink ^= d.data[0];
}

/* ---- raw: the same EVP work, contexts prepared once ---- */

struct raw {
	const struct bench_case *c;
	EVP_CIPHER_CTX *enc, *dec, *mac_cbc;
	EVP_MAC_CTX *cmac;
	uint64_t cntr;
};

static void raw_mac(struct raw *r, const uint8_t *p, size_t len, uint8_t *cc)
{
	if (r->c->cmac) {
		uint8_t full[16];
		size_t outl;

		if (!EVP_MAC_init(r->cmac, NULL, 0, NULL) || !EVP_MAC_update(r->cmac, p, len) ||
		    !EVP_MAC_final(r->cmac, full, &outl, sizeof(full)))
			die("raw CMAC");
		memcpy(cc, full, 8);
	} else {
		/* CBC-MAC: zero-padded input is already block aligned here */
		uint8_t out[256];
		int outl;

		if (!EVP_EncryptInit_ex2(r->mac_cbc, NULL, NULL, zero_iv, NULL) ||
		    !EVP_EncryptUpdate(r->mac_cbc, out, &outl, p, (int)len))
			die("raw CBC-MAC");
		memcpy(cc, out + outl - 8, 8);
	}
}

static void raw_cipher(EVP_CIPHER_CTX *ctx, uint8_t *buf, size_t len)
{
	int outl, fin;

	if (!EVP_CipherInit_ex2(ctx, NULL, NULL, zero_iv, -1, NULL) ||
	    !EVP_CipherUpdate(ctx, buf, &outl, buf, (int)len) ||
	    !EVP_CipherFinal_ex(ctx, buf + outl, &fin))
		die("raw cipher");
}

/*
 * The layout of TS 102 225 is only mimicked as far as the crypto needs it:
 * MAC over header|data|pad, cipher over CNTR..pad; then decipher and MAC
 * again and compare.
 */
static void raw_op(struct raw *r)
{
	const size_t block = r->c->block, cc = r->c->cc_len;
	size_t region = 6 + cc + DATA_LEN, pad = (block - region % block) % block;
	size_t total = 10 + region + pad;
	uint8_t pkt[256], mac_in[256], cc1[8], cc2[8];
	size_t mac_len = 16 + DATA_LEN + pad;

	r->cntr++;
	memset(pkt, 0, total);
	memcpy(pkt + 10 + 6 + cc, data, DATA_LEN);
	pkt[14] = (uint8_t)r->cntr;
	/* MAC input: header and the data (contiguous for the raw loop) */
	memcpy(mac_in, pkt, 16);
	memcpy(mac_in + 16, pkt + 16 + cc, DATA_LEN + pad);
	raw_mac(r, mac_in, mac_len, cc1);
	memcpy(pkt + 16, cc1, cc);
	raw_cipher(r->enc, pkt + 10, total - 10);
	/* unwrap */
	raw_cipher(r->dec, pkt + 10, total - 10);
	memcpy(mac_in, pkt, 16);
	memcpy(mac_in + 16, pkt + 16 + cc, DATA_LEN + pad);
	raw_mac(r, mac_in, mac_len, cc2);
	if (CRYPTO_memcmp(cc2, pkt + 16, cc))
		die("raw verify");
	sink ^= pkt[16 + cc];
}

static void raw_init(struct raw *r, const struct bench_case *c)
{
	EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, c->evp_cipher, NULL);

	memset(r, 0, sizeof(*r));
	r->c = c;
	if (!cipher)
		die("EVP_CIPHER_fetch");
	r->enc = EVP_CIPHER_CTX_new();
	r->dec = EVP_CIPHER_CTX_new();
	if (!EVP_CipherInit_ex2(r->enc, cipher, kic_key, zero_iv, 1, NULL) ||
	    !EVP_CipherInit_ex2(r->dec, cipher, kic_key, zero_iv, 0, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(r->enc, 0) || !EVP_CIPHER_CTX_set_padding(r->dec, 0))
		die("raw cipher setup");
	if (c->cmac) {
		EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
		OSSL_PARAM params[2] = {
			OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)c->evp_cipher, 0),
			OSSL_PARAM_construct_end(),
		};

		r->cmac = mac ? EVP_MAC_CTX_new(mac) : NULL;
		if (!r->cmac || !EVP_MAC_init(r->cmac, kid_key, c->key_len, params))
			die("raw CMAC setup");
		EVP_MAC_free(mac);
	} else {
		r->mac_cbc = EVP_CIPHER_CTX_new();
		if (!EVP_EncryptInit_ex2(r->mac_cbc, cipher, kid_key, zero_iv, NULL) ||
		    !EVP_CIPHER_CTX_set_padding(r->mac_cbc, 0))
			die("raw CBC-MAC setup");
	}
	EVP_CIPHER_free(cipher);
}

static void raw_free(struct raw *r)
{
	EVP_CIPHER_CTX_free(r->enc);
	EVP_CIPHER_CTX_free(r->dec);
	EVP_CIPHER_CTX_free(r->mac_cbc);
	EVP_MAC_CTX_free(r->cmac);
}

/* Runs op for about `seconds`, returns operations per second. */
static double measure(void (*op)(void *), void *arg, double seconds)
{
	unsigned long n = 0;
	double start = bench_now_s(), t;

	do {
		for (int i = 0; i < 256; i++)
			op(arg);
		n += 256;
		t = bench_now_s() - start;
	} while (t < seconds);
	return (double)n / t;
}

static void ours_thunk(void *p)
{
	ours_op(p);
}

static void raw_thunk(void *p)
{
	raw_op(p);
}

int main(int argc, char **argv)
{
	struct simota_ota_crypto *crypto;
	double seconds = 0.5;
	bool check = false, below = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--check") == 0)
			check = true;
		else if (atof(argv[i]) > 0)
			seconds = atof(argv[i]);
	}
	for (size_t i = 0; i < DATA_LEN; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	if (simota_ota_crypto_new(&crypto))
		die("simota_ota_crypto_new");

	printf("secured packet wrap+unwrap, %d bytes of secured data, best of %d x %.2f s\n",
	       DATA_LEN, ROUNDS, seconds);
	printf("%-24s %8s %14s %14s %8s\n", "case", "packet", "ours ops/s", "raw ops/s", "ratio");
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct ours o = { 0 };
		struct raw r;
		double best_ours = 0, best_raw = 0, ratio;

		if (simota_ota_key_new(crypto, cases[c].cipher_alg, kic_key, cases[c].key_len, &o.kic) ||
		    simota_ota_key_new(crypto, cases[c].mac_alg, kid_key, cases[c].key_len, &o.kid))
			die("simota_ota_key_new");
		o.cmd.spi[0] = 0x16;
		o.cmd.spi[1] = 0x39;
		o.cmd.kic = cases[c].kic;
		o.cmd.kid = cases[c].kid;
		memcpy(o.cmd.tar, "\xb0\x00\x10", 3);
		o.cmd.cc_len = cases[c].cc_len;
		o.cmd.data = data;
		o.cmd.data_len = DATA_LEN;
		raw_init(&r, &cases[c]);
		/* interleaved rounds, best of each: the machine is shared */
		for (int round = 0; round < ROUNDS; round++) {
			double a = measure(ours_thunk, &o, seconds);
			double b = measure(raw_thunk, &r, seconds);

			if (a > best_ours)
				best_ours = a;
			if (b > best_raw)
				best_raw = b;
		}
		ratio = best_ours / best_raw;
		below |= ratio < TARGET;
		printf("%-24s %6zu B %14.0f %14.0f %8.2f\n", cases[c].name, o.packet_len, best_ours,
		       best_raw, ratio);
		raw_free(&r);
		simota_ota_key_free(o.kic);
		simota_ota_key_free(o.kid);
	}
	printf("target: ours/raw >= %.1f: %s\n", TARGET, below ? "NOT MET" : "met");
	simota_ota_crypto_free(crypto);
	return check && below ? 1 : 0;
}
