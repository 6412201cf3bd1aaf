/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Crypto context and prepared keys for secured packets (TS 102 225 §5.1.2,
 * §5.1.3) on OpenSSL 3 EVP.
 *
 * The context owns a private OSSL_LIB_CTX with the legacy provider (single
 * DES) and the default provider loaded, and every EVP_CIPHER plus the CMAC
 * EVP_MAC fetched once.  A key object owns cipher/MAC contexts initialised
 * with its key once; a packet only resets the (zero) IV.  No global state:
 * nothing is loaded into OpenSSL's default library context.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "simota/ota.h"
#include "ts102225_internal.h"

enum cipher_slot {
	SLOT_DES_CBC, SLOT_DES_ECB, SLOT_3DES2_CBC, SLOT_3DES3_CBC,
	SLOT_AES128_CBC, SLOT_AES192_CBC, SLOT_AES256_CBC,
	SLOT_AES128_ECB,      /* the Milenage kernel (ts35206_milenage.c) */
	SLOT__COUNT
};

static const char *const slot_names[SLOT__COUNT] = {
	"DES-CBC", "DES-ECB", "DES-EDE-CBC", "DES-EDE3-CBC",
	"AES-128-CBC", "AES-192-CBC", "AES-256-CBC",
	"AES-128-ECB",
};

struct simota_ota_crypto {
	OSSL_LIB_CTX *libctx;
	OSSL_PROVIDER *legacy;
	OSSL_PROVIDER *deflt;
	EVP_CIPHER *cipher[SLOT__COUNT];  /* NULL when not available */
	EVP_MAC *cmac;
};

struct simota_ota_key {
	enum simota_ota_alg alg;
	size_t block;             /* cipher block size; 0 for CRC */
	EVP_CIPHER_CTX *enc;      /* ciphering, or the CBC-MAC */
	EVP_CIPHER_CTX *dec;      /* deciphering (cipher keys only) */
	EVP_MAC_CTX *mac;         /* AES-CMAC */
};

static const uint8_t zero_iv[16];

simota_err simota_ota_crypto_new(struct simota_ota_crypto **out)
{
	struct simota_ota_crypto *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return SIMOTA_ERR_NO_SPACE;
	c->libctx = OSSL_LIB_CTX_new();
	if (!c->libctx)
		goto fail;
	/* Legacy first (DES-CBC/ECB live only there), then default. */
	c->legacy = OSSL_PROVIDER_load(c->libctx, "legacy");
	c->deflt = OSSL_PROVIDER_load(c->libctx, "default");
	if (!c->deflt)
		goto fail;
	for (int i = 0; i < SLOT__COUNT; i++)
		c->cipher[i] = EVP_CIPHER_fetch(c->libctx, slot_names[i], NULL);
	c->cmac = EVP_MAC_fetch(c->libctx, "CMAC", NULL);
	for (int i = SLOT_3DES2_CBC; i < SLOT__COUNT; i++)
		if (!c->cipher[i])
			goto fail;
	if (!c->cmac)
		goto fail;
	*out = c;
	return SIMOTA_OK;
fail:
	simota_ota_crypto_free(c);
	return SIMOTA_ERR_CRYPTO;
}

void simota_ota_crypto_free(struct simota_ota_crypto *c)
{
	if (!c)
		return;
	for (int i = 0; i < SLOT__COUNT; i++)
		EVP_CIPHER_free(c->cipher[i]);
	EVP_MAC_free(c->cmac);
	if (c->deflt)
		OSSL_PROVIDER_unload(c->deflt);
	if (c->legacy)
		OSSL_PROVIDER_unload(c->legacy);
	OSSL_LIB_CTX_free(c->libctx);
	free(c);
}

/* Key lengths: TS 102 225 §5.1.2 (DES 64 bits, 3DES 2 or 3 keys),
 * TS 102 225 §5.1.2 / FIPS 197 (AES 128/192/256). */
bool simota_ota_alg_key_len_ok(enum simota_ota_alg alg, size_t len)
{
	switch (alg) {
	case SIMOTA_OTA_ALG_DES_CBC:
	case SIMOTA_OTA_ALG_DES_ECB:
	case SIMOTA_OTA_ALG_DES_CBC_MAC:
		return len == 8;
	case SIMOTA_OTA_ALG_3DES2_CBC:
	case SIMOTA_OTA_ALG_3DES2_CBC_MAC:
		return len == 16;
	case SIMOTA_OTA_ALG_3DES3_CBC:
	case SIMOTA_OTA_ALG_3DES3_CBC_MAC:
		return len == 24;
	case SIMOTA_OTA_ALG_AES_CBC:
	case SIMOTA_OTA_ALG_AES_CMAC:
		return len == 16 || len == 24 || len == 32;
	case SIMOTA_OTA_ALG_CRC16:
	case SIMOTA_OTA_ALG_CRC32:
		return true;
	default:
		return false;
	}
}

/* Two DES keys equal but for their parity bits (the low bit of each byte, FIPS 46-3 §1). */
static bool des_keys_equal(const uint8_t *a, const uint8_t *b)
{
	for (int i = 0; i < 8; i++)
		if ((a[i] ^ b[i]) & 0xFE)
			return false;
	return true;
}

/*
 * 3DES EDE with K1 = K2 (or K2 = K3) cancels two of its three DES passes
 * (SP 800-67 §3.1, keying options): what is left is single DES.
 */
simota_err simota_ota_key_check(enum simota_ota_alg alg, const uint8_t *key, size_t len)
{
	if (!simota_ota_alg_key_len_ok(alg, len))
		return SIMOTA_ERR_BAD_KEY;
	switch (alg) {
	case SIMOTA_OTA_ALG_3DES2_CBC:
	case SIMOTA_OTA_ALG_3DES2_CBC_MAC:
		return des_keys_equal(key, key + 8) ? SIMOTA_ERR_WEAK_KEY : SIMOTA_OK;
	case SIMOTA_OTA_ALG_3DES3_CBC:
	case SIMOTA_OTA_ALG_3DES3_CBC_MAC:
		return des_keys_equal(key, key + 8) || des_keys_equal(key + 8, key + 16) ?
		       SIMOTA_ERR_WEAK_KEY : SIMOTA_OK;
	default:
		return SIMOTA_OK;
	}
}

static enum cipher_slot slot_for(enum simota_ota_alg alg, size_t key_len)
{
	switch (alg) {
	case SIMOTA_OTA_ALG_DES_CBC:
	case SIMOTA_OTA_ALG_DES_CBC_MAC:
		return SLOT_DES_CBC;
	case SIMOTA_OTA_ALG_DES_ECB:
		return SLOT_DES_ECB;
	case SIMOTA_OTA_ALG_3DES2_CBC:
	case SIMOTA_OTA_ALG_3DES2_CBC_MAC:
		return SLOT_3DES2_CBC;
	case SIMOTA_OTA_ALG_3DES3_CBC:
	case SIMOTA_OTA_ALG_3DES3_CBC_MAC:
		return SLOT_3DES3_CBC;
	default:
		return key_len == 16 ? SLOT_AES128_CBC :
		       key_len == 24 ? SLOT_AES192_CBC : SLOT_AES256_CBC;
	}
}

/* The IV to (re)start with: zero for CBC, none for ECB. */
static const uint8_t *key_iv(const struct simota_ota_key *k)
{
	return k->alg == SIMOTA_OTA_ALG_DES_ECB ? NULL : zero_iv;
}

static EVP_CIPHER_CTX *cipher_ctx(const EVP_CIPHER *cipher, const uint8_t *key,
				  const uint8_t *iv, int enc)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (!ctx)
		return NULL;
	if (!EVP_CipherInit_ex2(ctx, cipher, key, iv, enc, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0)) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

simota_err simota_ota_key_new(struct simota_ota_crypto *crypto, enum simota_ota_alg alg,
			      const uint8_t *key, size_t key_len, struct simota_ota_key **out)
{
	struct simota_ota_key *k;
	const EVP_CIPHER *cipher;

	*out = NULL;
	if (alg == SIMOTA_OTA_ALG_NONE || (unsigned)alg >= SIMOTA_OTA_ALG__COUNT)
		return SIMOTA_ERR_BAD_VALUE;
	if (!simota_ota_alg_key_len_ok(alg, key_len))
		return SIMOTA_ERR_BAD_KEY;
	k = calloc(1, sizeof(*k));
	if (!k)
		return SIMOTA_ERR_NO_SPACE;
	k->alg = alg;
	if (simota_ota_alg_is_rc(alg)) {
		*out = k;
		return SIMOTA_OK;
	}

	cipher = crypto->cipher[slot_for(alg, key_len)];
	if (!cipher) {
		free(k);
		return SIMOTA_ERR_UNSUPPORTED;   /* no legacy provider */
	}
	k->block = (size_t)EVP_CIPHER_get_block_size(cipher);
	if (alg == SIMOTA_OTA_ALG_AES_CMAC) {
		OSSL_PARAM params[2];

		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
				(char *)EVP_CIPHER_get0_name(cipher), 0);
		params[1] = OSSL_PARAM_construct_end();
		k->mac = EVP_MAC_CTX_new(crypto->cmac);
		if (!k->mac || !EVP_MAC_init(k->mac, key, key_len, params))
			goto fail;
	} else {
		k->enc = cipher_ctx(cipher, key, key_iv(k), 1);
		if (!k->enc)
			goto fail;
		if (simota_ota_alg_is_cipher(alg)) {
			k->dec = cipher_ctx(cipher, key, key_iv(k), 0);
			if (!k->dec)
				goto fail;
		}
	}
	*out = k;
	return SIMOTA_OK;
fail:
	simota_ota_key_free(k);
	return SIMOTA_ERR_CRYPTO;
}

void simota_ota_key_free(struct simota_ota_key *k)
{
	if (!k)
		return;
	EVP_CIPHER_CTX_free(k->enc);
	EVP_CIPHER_CTX_free(k->dec);
	EVP_MAC_CTX_free(k->mac);
	free(k);
}

const EVP_CIPHER *simota_crypto_aes128_ecb(const struct simota_ota_crypto *c)
{
	return c->cipher[SLOT_AES128_ECB];
}

enum simota_ota_alg simota_ota_key_alg(const struct simota_ota_key *k)
{
	return k->alg;
}

size_t simota_ota_key_block_size(const struct simota_ota_key *k)
{
	return k->block;
}

/* Runs the prepared context over buf in place, after resetting the IV. */
static simota_err run_cipher(EVP_CIPHER_CTX *ctx, const uint8_t *iv, size_t block,
			     uint8_t *buf, size_t len)
{
	int outl = 0, fin = 0;

	if (!ctx || block == 0 || len % block || len > (size_t)1 << 30)
		return SIMOTA_ERR_CRYPTO;
	if (!EVP_CipherInit_ex2(ctx, NULL, NULL, iv, -1, NULL))
		return SIMOTA_ERR_CRYPTO;
	if (len == 0)
		return SIMOTA_OK;
	if (!EVP_CipherUpdate(ctx, buf, &outl, buf, (int)len) ||
	    !EVP_CipherFinal_ex(ctx, buf + outl, &fin) || (size_t)(outl + fin) != len)
		return SIMOTA_ERR_CRYPTO;
	return SIMOTA_OK;
}

/* TS 102 225 §5.1.2: zero IV (CBC), no padding by the cipher. */
simota_err simota_ota_key_encrypt(struct simota_ota_key *k, uint8_t *buf, size_t len)
{
	if (!simota_ota_alg_is_cipher(k->alg))
		return SIMOTA_ERR_BAD_VALUE;
	return run_cipher(k->enc, key_iv(k), k->block, buf, len);
}

/* TS 102 225 §5.1.2 */
simota_err simota_ota_key_decrypt(struct simota_ota_key *k, uint8_t *buf, size_t len)
{
	if (!simota_ota_alg_is_cipher(k->alg))
		return SIMOTA_ERR_BAD_VALUE;
	return run_cipher(k->dec, key_iv(k), k->block, buf, len);
}

/* TS 102 225 §5.1.3: RC/CC field lengths. */
bool simota_ota_cc_len_ok(enum simota_ota_alg alg, size_t len)
{
	switch (alg) {
	case SIMOTA_OTA_ALG_CRC16:
		return len == 2;
	case SIMOTA_OTA_ALG_CRC32:
		return len == 4;
	case SIMOTA_OTA_ALG_DES_CBC_MAC:
	case SIMOTA_OTA_ALG_3DES2_CBC_MAC:
	case SIMOTA_OTA_ALG_3DES3_CBC_MAC:
		return len == 8;
	case SIMOTA_OTA_ALG_AES_CMAC:
		return len == 4 || len == 8;
	default:
		return false;
	}
}

size_t simota_ota_cc_len_default(enum simota_ota_alg alg)
{
	switch (alg) {
	case SIMOTA_OTA_ALG_CRC16:
		return 2;
	case SIMOTA_OTA_ALG_CRC32:
		return 4;
	case SIMOTA_OTA_ALG_DES_CBC_MAC:
	case SIMOTA_OTA_ALG_3DES2_CBC_MAC:
	case SIMOTA_OTA_ALG_3DES3_CBC_MAC:
	case SIMOTA_OTA_ALG_AES_CMAC:
		return 8;
	default:
		return 0;
	}
}

/* The RC/CC length to encode: the caller's choice for AES-CMAC (0 = default). */
simota_err simota_ota_cc_len_pick(enum simota_ota_alg alg, size_t wanted, size_t *cc_len)
{
	size_t len = wanted ? wanted : simota_ota_cc_len_default(alg);

	if (!simota_ota_cc_len_ok(alg, len))
		return SIMOTA_ERR_BAD_LENGTH;
	*cc_len = len;
	return SIMOTA_OK;
}

bool simota_ota_cc_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

/* TS 102 225 §5.1.3: start an RC (CRC, no key) or CC (CBC-MAC, CMAC, with k). */
simota_err simota_ota_mac_begin(struct simota_ota_mac *m, enum simota_ota_alg alg,
				struct simota_ota_key *k)
{
	memset(m, 0, sizeof(*m));
	m->alg = alg;
	m->key = k;
	if (!simota_ota_alg_is_rc(alg) && (!k || k->alg != alg))
		return SIMOTA_ERR_BAD_VALUE;
	switch (alg) {
	case SIMOTA_OTA_ALG_CRC16:
		m->crc = 0xffff;
		return SIMOTA_OK;
	case SIMOTA_OTA_ALG_CRC32:
		m->crc = 0xffffffffu;
		return SIMOTA_OK;
	case SIMOTA_OTA_ALG_DES_CBC_MAC:
	case SIMOTA_OTA_ALG_3DES2_CBC_MAC:
	case SIMOTA_OTA_ALG_3DES3_CBC_MAC:
		if (!EVP_EncryptInit_ex2(k->enc, NULL, NULL, zero_iv, NULL))
			return SIMOTA_ERR_CRYPTO;
		return SIMOTA_OK;
	case SIMOTA_OTA_ALG_AES_CMAC:
		/* Restart with the key set at preparation (no fetch, no key schedule). */
		if (!EVP_MAC_init(k->mac, NULL, 0, NULL))
			return SIMOTA_ERR_CRYPTO;
		return SIMOTA_OK;
	default:
		return SIMOTA_ERR_BAD_VALUE;
	}
}

/* CBC-encrypts p in bounded chunks, keeping only the last output block. */
static simota_err cbc_mac_feed(struct simota_ota_mac *m, const uint8_t *p, size_t len)
{
	uint8_t out[64 + 8];
	int outl;

	while (len) {
		size_t n = len < 64 ? len : 64;

		if (!EVP_EncryptUpdate(m->key->enc, out, &outl, p, (int)n))
			return SIMOTA_ERR_CRYPTO;
		if (outl >= 8)
			memcpy(m->last, out + outl - 8, 8);
		p += n;
		len -= n;
	}
	return SIMOTA_OK;
}

simota_err simota_ota_mac_update(struct simota_ota_mac *m, const uint8_t *p, size_t len)
{
	m->total += len;
	switch (m->alg) {
	case SIMOTA_OTA_ALG_CRC16:
		m->crc = simota_crc16_update((uint16_t)m->crc, p, len);
		return SIMOTA_OK;
	case SIMOTA_OTA_ALG_CRC32:
		m->crc = simota_crc32_update(m->crc, p, len);
		return SIMOTA_OK;
	case SIMOTA_OTA_ALG_AES_CMAC:
		return EVP_MAC_update(m->key->mac, p, len) ? SIMOTA_OK : SIMOTA_ERR_CRYPTO;
	default:
		return cbc_mac_feed(m, p, len);
	}
}

/* TS 102 225 §5.1.3: CRC big-endian; DES/3DES CBC-MAC over the input padded
 * with zeros to a block (the last block is the CC); AES-CMAC (SP 800-38B)
 * truncated to its leftmost out_len bytes. */
simota_err simota_ota_mac_final(struct simota_ota_mac *m, uint8_t *out, size_t out_len)
{
	static const uint8_t zeros[8];
	uint8_t full[16];
	size_t full_len = 0;
	simota_err err;

	if (!simota_ota_cc_len_ok(m->alg, out_len))
		return SIMOTA_ERR_BAD_LENGTH;
	switch (m->alg) {
	case SIMOTA_OTA_ALG_CRC16:
		m->crc ^= 0xffff;
		out[0] = (uint8_t)(m->crc >> 8);
		out[1] = (uint8_t)m->crc;
		return SIMOTA_OK;
	case SIMOTA_OTA_ALG_CRC32:
		m->crc ^= 0xffffffffu;
		out[0] = (uint8_t)(m->crc >> 24);
		out[1] = (uint8_t)(m->crc >> 16);
		out[2] = (uint8_t)(m->crc >> 8);
		out[3] = (uint8_t)m->crc;
		return SIMOTA_OK;
	case SIMOTA_OTA_ALG_AES_CMAC:
		if (!EVP_MAC_final(m->key->mac, full, &full_len, sizeof(full)) || full_len < out_len)
			return SIMOTA_ERR_CRYPTO;
		memcpy(out, full, out_len);
		return SIMOTA_OK;
	default: {
		size_t pad = m->total % 8 ? 8 - m->total % 8 : (m->total ? 0 : 8);

		err = cbc_mac_feed(m, zeros, pad);
		if (err)
			return err;
		memcpy(out, m->last, out_len);
		return SIMOTA_OK;
	}
	}
}

simota_err simota_ota_mac_spans(enum simota_ota_alg alg, struct simota_ota_key *key,
				const struct simota_ota_span *spans, size_t n,
				uint8_t *out, size_t out_len)
{
	struct simota_ota_mac mac;
	simota_err err = simota_ota_mac_begin(&mac, alg, key);

	for (size_t i = 0; i < n && !err; i++)
		err = simota_ota_mac_update(&mac, spans[i].p, spans[i].len);
	return err ? err : simota_ota_mac_final(&mac, out, out_len);
}

/* TS 102 225 §5.1.2: the key's algorithm must be the one KIc names. */
simota_err simota_ota_check_kic_key(uint8_t kic, const struct simota_ota_key *key)
{
	enum simota_ota_alg alg;
	simota_err err;

	if (!key)
		return SIMOTA_ERR_MISSING_VALUE;
	if (!simota_ota_alg_is_cipher(key->alg))
		return SIMOTA_ERR_BAD_VALUE;
	err = simota_ota_kic_algorithm(kic, key->alg, &alg);
	return err;
}

/*
 * TS 102 225 §5.1.3: the RC/CC algorithm of a packet.  A key given must fit
 * the SPI's integrity and the KID byte.  Without one, an RC (CRC16/CRC32)
 * takes the algorithm the KID byte names: a CRC uses no key.
 */
simota_err simota_ota_integrity_alg(uint8_t kid, enum simota_ota_integrity integrity,
				    const struct simota_ota_key *key, enum simota_ota_alg *alg)
{
	if (!key) {
		if (integrity != SIMOTA_OTA_INTEGRITY_RC)
			return SIMOTA_ERR_MISSING_VALUE;
		/* "known implicitly" (b2b1 = 00) gives SIMOTA_ERR_MISSING_VALUE */
		return simota_ota_kid_algorithm(kid, integrity, SIMOTA_OTA_ALG_NONE, alg);
	}
	if (integrity == SIMOTA_OTA_INTEGRITY_RC ? !simota_ota_alg_is_rc(key->alg)
						 : !simota_ota_alg_is_cc(key->alg))
		return SIMOTA_ERR_BAD_VALUE;
	return simota_ota_kid_algorithm(kid, integrity, key->alg, alg);
}
