/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Secured packets: ETSI TS 102 225 §5 in the SMS-PP dialect of 3GPP TS 31.115
 * §4 (2-byte CPL/RPL, 1-byte CHL/RHL, UDH IEI 70 / 71).
 *
 *   command  [027000] CPL CHL SPI KIc KID TAR | CNTR PCNTR RC/CC data pad |
 *   response [027100] RPL RHL TAR | CNTR PCNTR STS RC/CC data pad |
 *
 * The part between bars is ciphered when the SPI asks for it.  The padding is
 * inside the RC/CC; the command RC/CC input is CPL..pad without the UDH, the
 * response RC/CC input is 027100 RPL..pad (both without the RC/CC field).
 *
 * Crypto runs on OpenSSL 3 EVP inside a crypto context the caller creates
 * (its own OSSL_LIB_CTX with the legacy and default providers).  Keys are
 * prepared once per (algorithm, key) with their cipher/MAC contexts ready;
 * each packet only re-initialises the IV.  A key object is not thread-safe:
 * use one per thread.  Nothing here holds global state.
 */
#ifndef SIMOTA_OTA_H
#define SIMOTA_OTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/error.h"

#define SIMOTA_OTA_CNTR_MAX 0xFFFFFFFFFFull   /* 5-byte counter; also "blocked" */
#define SIMOTA_OTA_MAX_CC 8

/* ---- SPI (TS 102 225 §5.1.1) ---- */

enum simota_ota_integrity {            /* SPI1 b2b1, SPI2 b4b3 */
	SIMOTA_OTA_INTEGRITY_NONE = 0,
	SIMOTA_OTA_INTEGRITY_RC = 1,   /* redundancy check (CRC) */
	SIMOTA_OTA_INTEGRITY_CC = 2,   /* cryptographic checksum */
	SIMOTA_OTA_INTEGRITY_DS = 3,   /* digital signature (not supported) */
};

enum simota_ota_counter {              /* SPI1 b5b4 */
	SIMOTA_OTA_COUNTER_NONE = 0,        /* no counter */
	SIMOTA_OTA_COUNTER_NO_CHECK = 1,    /* counter available, no replay check */
	SIMOTA_OTA_COUNTER_HIGHER = 2,      /* must be higher than the stored value */
	SIMOTA_OTA_COUNTER_ONE_HIGHER = 3,  /* must be exactly one higher */
};

enum simota_ota_por {                  /* SPI2 b2b1 */
	SIMOTA_OTA_POR_NONE = 0,
	SIMOTA_OTA_POR_ALWAYS = 1,
	SIMOTA_OTA_POR_ON_ERROR = 2,
	SIMOTA_OTA_POR_RESERVED = 3,
};

struct simota_ota_spi {
	enum simota_ota_integrity integrity;     /* command RC/CC/DS */
	bool ciphered;                           /* command ciphering */
	enum simota_ota_counter counter;
	enum simota_ota_por por;                 /* PoR required */
	enum simota_ota_integrity por_integrity; /* PoR RC/CC/DS */
	bool por_ciphered;
	bool por_via_submit;   /* b6: PoR by SMS-SUBMIT, else in the SMS-DELIVER-REPORT */
};

/* TS 102 225 §5.1.1.  Reserved bits are ignored on decode, written as 0. */
void simota_ota_spi_decode(const uint8_t spi[2], struct simota_ota_spi *out);
void simota_ota_spi_encode(const struct simota_ota_spi *spi, uint8_t out[2]);

/* TS 102 225 §5.1.1 SPI2 b2b1: whether a PoR is sent for this status. */
bool simota_ota_por_wanted(const uint8_t spi[2], uint8_t status);

/* ---- Algorithms, KIc and KID (TS 102 225 §5.1.2, §5.1.3) ---- */

enum simota_ota_alg {
	SIMOTA_OTA_ALG_NONE = 0,
	/* ciphering (KIc) */
	SIMOTA_OTA_ALG_DES_CBC,
	SIMOTA_OTA_ALG_DES_ECB,
	SIMOTA_OTA_ALG_3DES2_CBC,       /* 2 keys, K1 K2 K1 */
	SIMOTA_OTA_ALG_3DES3_CBC,
	SIMOTA_OTA_ALG_AES_CBC,         /* 128/192/256 from the key length */
	/* redundancy check (KID with SPI RC) */
	SIMOTA_OTA_ALG_CRC16,
	SIMOTA_OTA_ALG_CRC32,
	/* cryptographic checksum (KID with SPI CC) */
	SIMOTA_OTA_ALG_DES_CBC_MAC,
	SIMOTA_OTA_ALG_3DES2_CBC_MAC,
	SIMOTA_OTA_ALG_3DES3_CBC_MAC,
	SIMOTA_OTA_ALG_AES_CMAC,        /* 4 or 8 bytes, length from CHL/RHL */
	SIMOTA_OTA_ALG__COUNT
};

/* "3des2-cbc", "aes-cmac", ...; "none" for SIMOTA_OTA_ALG_NONE. */
const char *simota_ota_alg_name(enum simota_ota_alg alg);
/* Case-insensitive; SIMOTA_ERR_BAD_VALUE for an unknown name. */
simota_err simota_ota_alg_from_name(const char *name, enum simota_ota_alg *out);
bool simota_ota_alg_is_cipher(enum simota_ota_alg alg);
bool simota_ota_alg_is_rc(enum simota_ota_alg alg);
bool simota_ota_alg_is_cc(enum simota_ota_alg alg);

/*
 * TS 102 225 §5.1.2: the ciphering algorithm a KIc byte names.  b2b1 = 00
 * ("known implicitly by both entities") takes `implicit`, which must then be a
 * cipher (else SIMOTA_ERR_MISSING_VALUE).  An explicit byte that disagrees
 * with a non-NONE `implicit` is SIMOTA_ERR_BAD_VALUE; proprietary (b2b1 = 11)
 * is SIMOTA_ERR_UNSUPPORTED, reserved modes SIMOTA_ERR_BAD_VALUE.
 */
simota_err simota_ota_kic_algorithm(uint8_t kic, enum simota_ota_alg implicit,
				    enum simota_ota_alg *out);
/*
 * TS 102 225 §5.1.3: the RC or CC algorithm a KID byte names; which of the
 * two codings applies depends on the SPI's integrity (RC or CC).  Same rules
 * for "known implicitly" as above.  integrity NONE gives SIMOTA_OTA_ALG_NONE.
 */
simota_err simota_ota_kid_algorithm(uint8_t kid, enum simota_ota_integrity integrity,
				    enum simota_ota_alg implicit, enum simota_ota_alg *out);

/* ---- Crypto context and prepared keys (ts102225_keys.c) ---- */

struct simota_ota_crypto;
struct simota_ota_key;

/*
 * Creates a private OSSL_LIB_CTX, loads the legacy (single DES) and default
 * providers into it and fetches every cipher and the CMAC once.  If the
 * legacy provider is missing, single-DES keys fail with SIMOTA_ERR_UNSUPPORTED.
 */
simota_err simota_ota_crypto_new(struct simota_ota_crypto **out);
/* Frees the context; every key made from it must be freed first. */
void simota_ota_crypto_free(struct simota_ota_crypto *crypto);

/*
 * Prepares a key: its cipher/MAC contexts are initialised here, once.
 * Key lengths: DES 8, 3DES2 16, 3DES3 24, AES 16/24/32 (SIMOTA_ERR_BAD_KEY
 * otherwise).  CRC16/CRC32 take no key: any key (or none) is accepted and
 * ignored; such an object only names the RC algorithm (the codecs need it
 * only when the KID byte says "known implicitly").  SIMOTA_OTA_ALG_NONE is
 * SIMOTA_ERR_BAD_VALUE.
 */
simota_err simota_ota_key_new(struct simota_ota_crypto *crypto, enum simota_ota_alg alg,
			      const uint8_t *key, size_t key_len, struct simota_ota_key **out);
void simota_ota_key_free(struct simota_ota_key *key);
enum simota_ota_alg simota_ota_key_alg(const struct simota_ota_key *key);
/* The key length an algorithm needs; AES gives 16 (but 24/32 also work). */
bool simota_ota_alg_key_len_ok(enum simota_ota_alg alg, size_t key_len);
/*
 * The check for a key someone configures (card config, server API, ota-cli):
 * SIMOTA_ERR_BAD_KEY for a length the algorithm does not take,
 * SIMOTA_ERR_WEAK_KEY for a 3DES key that degenerates to single DES (2 keys:
 * K1 = K2; 3 keys: K1 = K2 or K2 = K3; parity bits ignored, the rule of
 * pycryptodome's DES3, which pySim uses), else SIMOTA_OK.
 * simota_ota_key_new() does not apply it: published test vectors use
 * all-zero 3DES keys, and the codec must still run them.
 */
simota_err simota_ota_key_check(enum simota_ota_alg alg, const uint8_t *key, size_t key_len);

/* ---- CRC (TS 102 225 Annex B) ---- */

/* CRC-16 X.25 (ISO/IEC 13239): reflected 0x1021, init/xorout FFFF. */
uint16_t simota_crc16(const uint8_t *p, size_t len);
/* CRC-32 (ISO/IEC 13239, as zlib): reflected 0x04C11DB7, init/xorout FFFFFFFF. */
uint32_t simota_crc32(const uint8_t *p, size_t len);

/* ---- Command packet (TS 102 225 §5.1, TS 31.115 §4.1) ---- */

struct simota_ota_command {
	uint8_t spi[2];
	uint8_t kic;
	uint8_t kid;
	uint8_t tar[3];
	uint64_t cntr;          /* 40 bits */
	uint8_t pcntr;          /* decode: as received; encode: computed */
	/*
	 * RC/CC.  Encode: cc_len picks the AES-CMAC length (4 or 8; 0 = 8) and
	 * must otherwise be 0 or the algorithm's own length.  Decode: from CHL.
	 */
	uint8_t cc[SIMOTA_OTA_MAX_CC];
	size_t cc_len;
	const uint8_t *data;    /* secured data without padding */
	size_t data_len;
};

/*
 * Strips a leading UDH "02 70 00" (command) or "02 71 00" (response) when it
 * is there and the length that follows it is consistent; returns the number
 * of bytes skipped (0 or 3).
 */
size_t simota_ota_udh_skip(const uint8_t *pkt, size_t len, uint8_t iei);

/*
 * TS 102 225 §5.1.1, TS 31.115 §4.1: writes the command packet from CPL on
 * (no UDH).  kic_key is used when SPI1 asks for ciphering, kid_key when it
 * asks for a CC; otherwise they may be NULL and are ignored.  A key's
 * algorithm must be the one the KIc/KID byte names (or any of the right
 * class when the byte says "known implicitly").
 *
 * An RC (TS 102 225 §5.1.3: CRC16/CRC32) uses no key: with kid_key NULL the
 * KID byte names the CRC.  Only a KID byte saying "known implicitly" needs a
 * key object to name it: simota_ota_key_new(crypto, SIMOTA_OTA_ALG_CRC32,
 * NULL, 0, &key).  The same holds for every encoder and decoder below.
 */
simota_err simota_ota_command_encode(const struct simota_ota_command *cmd,
				     struct simota_ota_key *kic_key,
				     struct simota_ota_key *kid_key,
				     uint8_t *out, size_t cap, size_t *out_len);

/*
 * TS 31.115 §4.1: reads the unciphered header (CPL, CHL, SPI, KIc, KID, TAR)
 * and checks the lengths, without keys.  Sets spi/kic/kid/tar and cc_len
 * (from CHL); the other fields are zeroed.  pkt starts at CPL.
 */
simota_err simota_ota_command_peek(const uint8_t *pkt, size_t len,
				   struct simota_ota_command *out);

/*
 * TS 102 225 §5.1: deciphers and verifies a command packet (from CPL on).
 * work (at least len bytes) receives the deciphered part; out->data points
 * into work or pkt.  SIMOTA_ERR_CHECKSUM when the RC/CC does not verify,
 * SIMOTA_ERR_BAD_PADDING when the ciphered part or PCNTR is inconsistent.
 */
simota_err simota_ota_command_decode(const uint8_t *pkt, size_t len,
				     struct simota_ota_key *kic_key,
				     struct simota_ota_key *kid_key,
				     uint8_t *work, size_t work_cap,
				     struct simota_ota_command *out);

/* ---- Response packet (TS 102 225 §5.2, TS 31.115 §4.2) ---- */

enum simota_ota_status {               /* TS 102 225 §5.2.2 table 5 */
	SIMOTA_OTA_STATUS_OK = 0x00,
	SIMOTA_OTA_STATUS_CHECKSUM_FAILED = 0x01,   /* RC/CC/DS failed */
	SIMOTA_OTA_STATUS_CNTR_LOW = 0x02,
	SIMOTA_OTA_STATUS_CNTR_HIGH = 0x03,
	SIMOTA_OTA_STATUS_CNTR_BLOCKED = 0x04,
	SIMOTA_OTA_STATUS_CIPHERING_ERROR = 0x05,
	SIMOTA_OTA_STATUS_SECURITY_ERROR = 0x06,    /* unidentified security error */
	SIMOTA_OTA_STATUS_NO_MEMORY = 0x07,
	SIMOTA_OTA_STATUS_MORE_TIME = 0x08,
	SIMOTA_OTA_STATUS_TAR_UNKNOWN = 0x09,
	SIMOTA_OTA_STATUS_INSUFFICIENT_SECURITY = 0x0A,
};

/* Status 01-0A: such a PoR is sent without RC/CC and unciphered (TS 102 225 §5.2.2;
 * doc/architecture.md, "What is durable, where"). */
static inline bool simota_ota_status_is_error(uint8_t status)
{
	return status >= 0x01 && status <= 0x0A;
}

/* TS 102 225 §5.2.2 table 5: the status in words ("counter low"); "reserved" past 0A. */
const char *simota_ota_status_name(uint8_t status);

struct simota_ota_response {
	uint8_t tar[3];
	uint64_t cntr;
	uint8_t pcntr;          /* decode: as received; encode: computed */
	uint8_t status;
	/* Encode: AES-CMAC length (4 or 8; 0 = 8).  Decode: from RHL, 0 = none. */
	uint8_t cc[SIMOTA_OTA_MAX_CC];
	size_t cc_len;
	bool ciphered;          /* decode: the packet was ciphered */
	const uint8_t *data;    /* additional response data without padding */
	size_t data_len;
};

/*
 * TS 102 225 §5.2, TS 31.115 §4.2: writes the response packet WITH its
 * 027100 UDH.  cmd_spi/kic/kid are those of the command answered: SPI2 says
 * how the PoR is secured, with the command's keys.  An error status (01-0A)
 * gives a plain packet with no RC/CC whatever SPI2 says; keys unused.
 */
simota_err simota_ota_response_encode(const uint8_t cmd_spi[2], uint8_t kic, uint8_t kid,
				      const struct simota_ota_response *rsp,
				      struct simota_ota_key *kic_key,
				      struct simota_ota_key *kid_key,
				      uint8_t *out, size_t cap, size_t *out_len);

/*
 * TS 102 225 §5.2: decodes a response packet, with or without its 027100
 * UDH, deciphering and verifying it as SPI2 of cmd_spi requests.  A plain
 * error PoR (status 01-0A, no RC/CC field) is accepted without keys.  A
 * status-00 PoR lacking requested protection is SIMOTA_ERR_CHECKSUM.
 * Limit: with SPI2 "ciphered, no RC/CC", a plain error PoR whose CNTR..end
 * is a whole number of cipher blocks is first deciphered; it is read plain
 * only when that gives an impossible PCNTR (nothing else tells them apart).
 */
simota_err simota_ota_response_decode(const uint8_t cmd_spi[2], uint8_t kic, uint8_t kid,
				      const uint8_t *pkt, size_t len,
				      struct simota_ota_key *kic_key,
				      struct simota_ota_key *kid_key,
				      uint8_t *work, size_t work_cap,
				      struct simota_ota_response *out);

/* ---- Receiving entity (TS 102 225 §5.1.1, §5.2.2) ---- */

/*
 * Counter check for the SPI1 counter mode against the stored value.  With a
 * replay check: stored FFFFFFFFFF gives 04 (blocked); received <= stored 02;
 * ONE_HIGHER with received > stored + 1 gives 03; else 00.
 */
uint8_t simota_ota_counter_status(enum simota_ota_counter mode, uint64_t stored,
				  uint64_t received);

/*
 * Minimum security level check (TS 102 226 §8.2.1.3.2.4.1: MSL coded like
 * SPI1): 0A when the command's integrity, ciphering or counter mode is
 * weaker than the MSL asks, else 00.
 */
uint8_t simota_ota_security_level_status(const uint8_t spi[2], uint8_t msl);

/* The PoR status for a decode error of simota_ota_command_decode(). */
uint8_t simota_ota_decode_error_status(simota_err err);

struct simota_ota_receiver {
	bool tar_known;                 /* caller looked up cmd TAR (peek) */
	uint8_t msl;                    /* minimum security level, SPI1 coding */
	uint64_t stored_cntr;           /* the counter of this key set */
	struct simota_ota_key *kic_key; /* NULL when the card has no such key */
	struct simota_ota_key *kid_key; /* NULL: none (an RC needs none) */
};

/*
 * Runs the receiving entity's checks in order (TAR 09, MSL 0A, decipher and
 * RC/CC 05/01/06/07, counter 02/03/04) and returns the PoR status; with 00
 * `out` holds the command and the caller stores out->cntr as the new
 * counter when the SPI has a counter.
 */
uint8_t simota_ota_receive_command(const uint8_t *pkt, size_t len,
				   const struct simota_ota_receiver *rx,
				   uint8_t *work, size_t work_cap,
				   struct simota_ota_command *out);

#endif
