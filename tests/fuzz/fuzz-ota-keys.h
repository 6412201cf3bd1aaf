/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fixed test keys for the secured-packet fuzz targets: keys of published
 * vectors, so the vector seeds decode all the way and get re-encoded.
 * Process-lifetime state is fine in a fuzz target (not in libsimota).
 */
#ifndef FUZZ_OTA_KEYS_H
#define FUZZ_OTA_KEYS_H

#include <stdlib.h>

#include "simota/hex.h"
#include "simota/ota.h"

struct fuzz_key {
	enum simota_ota_alg alg;
	const char *hex;
};

static const struct fuzz_key fuzz_keys[] = {
	/* KIc keys */
	{ SIMOTA_OTA_ALG_DES_CBC, "4c43372f8af115d6" },
	{ SIMOTA_OTA_ALG_DES_ECB, "1793f5b8fa365911" },
	{ SIMOTA_OTA_ALG_3DES2_CBC, "300102030405060708090a0b0c0d0e0f" },
	{ SIMOTA_OTA_ALG_3DES3_CBC, "938ed71b96cc424b7255e700af27d4aa128baa5f27d25559" },
	{ SIMOTA_OTA_ALG_AES_CBC, "200102030405060708090a0b0c0d0e0f" },
	/* KID keys */
	{ SIMOTA_OTA_ALG_CRC16, "" },
	{ SIMOTA_OTA_ALG_CRC32, "" },
	{ SIMOTA_OTA_ALG_DES_CBC_MAC, "6829e061ec9285fb" },
	{ SIMOTA_OTA_ALG_3DES2_CBC_MAC, "301102030405060708090a0b0c0d0e0f" },
	{ SIMOTA_OTA_ALG_3DES3_CBC_MAC, "9571c0be50a35a74034d055f5a0a3fb10005d8c93c6a3918" },
	{ SIMOTA_OTA_ALG_AES_CMAC, "201102030405060708090a0b0c0d0e0f" },
};

static struct simota_ota_key *fuzz_key_table[SIMOTA_OTA_ALG__COUNT];

/* Prepares every key once; aborts when OpenSSL cannot. */
static void fuzz_keys_init(void)
{
	static struct simota_ota_crypto *crypto;

	if (crypto)
		return;
	if (simota_ota_crypto_new(&crypto) != SIMOTA_OK)
		abort();
	for (size_t i = 0; i < sizeof(fuzz_keys) / sizeof(fuzz_keys[0]); i++) {
		uint8_t key[32];
		size_t n;

		if (simota_hex_decode(fuzz_keys[i].hex, key, sizeof(key), &n) != SIMOTA_OK ||
		    simota_ota_key_new(crypto, fuzz_keys[i].alg, key, n,
				       &fuzz_key_table[fuzz_keys[i].alg]) != SIMOTA_OK)
			abort();
	}
}

/* The key for what a KIc byte names (implicit: 3DES2). */
static struct simota_ota_key *fuzz_kic_key(uint8_t kic)
{
	enum simota_ota_alg alg;

	if (simota_ota_kic_algorithm(kic, SIMOTA_OTA_ALG_NONE, &alg) == SIMOTA_ERR_MISSING_VALUE)
		alg = SIMOTA_OTA_ALG_3DES2_CBC;
	else if (simota_ota_kic_algorithm(kic, SIMOTA_OTA_ALG_NONE, &alg) != SIMOTA_OK)
		return NULL;
	return fuzz_key_table[alg];
}

/* The key for what a KID byte names (implicit: CRC32 for RC, 3DES2 for CC). */
static struct simota_ota_key *fuzz_kid_key(uint8_t kid, enum simota_ota_integrity integrity)
{
	enum simota_ota_alg alg;
	simota_err err = simota_ota_kid_algorithm(kid, integrity, SIMOTA_OTA_ALG_NONE, &alg);

	if (err == SIMOTA_ERR_MISSING_VALUE)
		alg = integrity == SIMOTA_OTA_INTEGRITY_RC ? SIMOTA_OTA_ALG_CRC32
							   : SIMOTA_OTA_ALG_3DES2_CBC_MAC;
	else if (err != SIMOTA_OK)
		return NULL;
	return fuzz_key_table[alg];
}

#endif
