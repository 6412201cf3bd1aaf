/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal helpers shared by the ota_*.c files (not installed). */
#ifndef SIMOTA_OTA_INTERNAL_H
#define SIMOTA_OTA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "simota/bytes.h"
#include "simota/ota.h"

/* ts102225_crc.c: running CRC states (no final XOR). */
uint16_t simota_crc16_update(uint16_t crc, const uint8_t *p, size_t len);
uint32_t simota_crc32_update(uint32_t crc, const uint8_t *p, size_t len);

/* ts102225_keys.c: ciphering with a prepared key, zero IV, in place. */
size_t simota_ota_key_block_size(const struct simota_ota_key *key);
simota_err simota_ota_key_encrypt(struct simota_ota_key *key, uint8_t *buf, size_t len);
simota_err simota_ota_key_decrypt(struct simota_ota_key *key, uint8_t *buf, size_t len);

/* ts102225_keys.c: RC/CC over input given in pieces (streaming). */
struct simota_ota_mac {
	enum simota_ota_alg alg;
	struct simota_ota_key *key;   /* NULL for an RC */
	size_t total;
	uint32_t crc;
	uint8_t last[8];   /* last CBC-MAC output block */
};
/* alg: an RC (key unused, may be NULL) or a CC whose prepared key is key. */
simota_err simota_ota_mac_begin(struct simota_ota_mac *m, enum simota_ota_alg alg,
				struct simota_ota_key *key);
simota_err simota_ota_mac_update(struct simota_ota_mac *m, const uint8_t *p, size_t len);
/* Writes the RC/CC of out_len bytes (which simota_ota_cc_len_ok accepted). */
simota_err simota_ota_mac_final(struct simota_ota_mac *m, uint8_t *out, size_t out_len);

/* RC/CC of the concatenation of n pieces (the fields around the RC/CC
 * field itself), written to out (out_len bytes). */
struct simota_ota_span {
	const uint8_t *p;
	size_t len;
};
simota_err simota_ota_mac_spans(enum simota_ota_alg alg, struct simota_ota_key *key,
				const struct simota_ota_span *spans, size_t n,
				uint8_t *out, size_t out_len);

/* The RC/CC field lengths an algorithm allows: CRC16 2, CRC32 4, DES/3DES
 * MAC 8, AES-CMAC 4 or 8. */
bool simota_ota_cc_len_ok(enum simota_ota_alg alg, size_t len);
/* The default field length (AES-CMAC: 8). */
size_t simota_ota_cc_len_default(enum simota_ota_alg alg);
/* The length to encode: wanted (AES-CMAC's 4 or 8), or 0 for the default. */
simota_err simota_ota_cc_len_pick(enum simota_ota_alg alg, size_t wanted, size_t *cc_len);

/* Constant-time comparison for RC/CC. */
bool simota_ota_cc_equal(const uint8_t *a, const uint8_t *b, size_t len);

/* Checks that a key object fits a KIc (cipher) byte. */
simota_err simota_ota_check_kic_key(uint8_t kic, const struct simota_ota_key *key);
/*
 * The RC/CC algorithm for a KID byte and the SPI's integrity (RC or CC): the
 * key's, which must fit both; or without a key, for an RC only, the CRC the
 * KID byte names (an RC uses no key).  SIMOTA_ERR_MISSING_VALUE for a CC
 * without key or an RC whose KID byte says "known implicitly" without one.
 */
simota_err simota_ota_integrity_alg(uint8_t kid, enum simota_ota_integrity integrity,
				    const struct simota_ota_key *key, enum simota_ota_alg *alg);

/* ts102225_secure.c: the steps command (TS 102 225 §5.1) and response
 * (§5.2) packets share. */
/* CPL/RPL then CHL/RHL (TS 31.115 §4.1, §4.2); *cc_len = HL - hl_fixed. */
simota_err simota_ota_read_lengths(struct simota_reader *r, size_t hl_fixed, size_t *cc_len);
/* The 5-byte CNTR. */
uint64_t simota_ota_cntr_get(const uint8_t *p);

struct simota_ota_sec {
	enum simota_ota_alg kid_alg;   /* SIMOTA_OTA_ALG_NONE: no RC/CC */
	size_t cc_len;                 /* RC/CC field length, 0 for none */
	size_t block;                  /* cipher block size, 0 when not ciphered */
	size_t pad;                    /* padding bytes (simota_ota_sec_layout) */
	struct simota_ota_key *kic_key, *kid_key;
};
/* Encoder: the RC/CC algorithm and length (wanted_cc 0: the default) and
 * the cipher block. */
simota_err simota_ota_sec_prepare(struct simota_ota_sec *sec,
				  enum simota_ota_integrity integrity, bool ciphered,
				  uint8_t kic, uint8_t kid,
				  struct simota_ota_key *kic_key,
				  struct simota_ota_key *kid_key, size_t wanted_cc);
/* Encoder: the padding, and the packet length *pl (CPL/RPL) of a header
 * of hl_fixed + RC/CC bytes of which cipher_hdr bytes (from CNTR) are
 * ciphered, and data_len bytes of data. */
simota_err simota_ota_sec_layout(struct simota_ota_sec *sec, size_t hl_fixed,
				 size_t cipher_hdr, size_t data_len, size_t *pl);
/* Encoder, after the header up to the RC/CC field: writes RC/CC, data and
 * padding, fills the RC/CC field at off_cc, ciphers from off_cntr on. */
simota_err simota_ota_sec_seal(const struct simota_ota_sec *sec, struct simota_writer *w,
			       const uint8_t *data, size_t data_len,
			       size_t off_cntr, size_t off_cc, size_t *out_len);
/* Decoder: the RC/CC algorithm, checked against the field length. */
simota_err simota_ota_sec_check_cc(uint8_t kid, enum simota_ota_integrity integrity,
				   const struct simota_ota_key *kid_key, size_t cc_len,
				   enum simota_ota_alg *kid_alg);
/* Decoder: deciphers *region (region_len bytes) into work, *region = work. */
simota_err simota_ota_sec_decipher(uint8_t kic, struct simota_ota_key *kic_key,
				   const uint8_t **region, size_t region_len,
				   uint8_t *work, size_t work_cap);

/* ota_keys.c: the crypto context's AES-128-ECB (fetched once, never NULL),
 * for other modules of the library (Milenage). */
const EVP_CIPHER *simota_crypto_aes128_ecb(const struct simota_ota_crypto *crypto);

#endif
