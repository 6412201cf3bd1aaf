/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * UMTS AKA on the USIM side, with Milenage as its algorithm set.
 *
 *   Milenage f1, f1*, f2, f3, f4, f5, f5*, OPc        3GPP TS 35.206 §4
 *   AUTN check, RES/CK/IK, AUTS, c2/c3, SQN array     3GPP TS 33.102 §6.3, §6.8.1.2, Annex C
 *   AUTHENTICATE command and response data            3GPP TS 31.102 §7.1.2
 *
 * Milenage runs AES-128 (the kernel of TS 35.206 §4.1) on OpenSSL 3 EVP in
 * the library's crypto context (simota_ota_crypto_new: a private
 * OSSL_LIB_CTX).  A Milenage object holds K as a prepared AES context and
 * OPc; it is not thread-safe (one per thread).  K, OP and OPc are secrets:
 * nothing here logs or returns K; the object is cleansed when freed.
 *
 * Byte order everywhere is the specs' (most significant byte first); SQN is
 * 48 bits, handled as a number (uint64_t) by the SQN functions.
 */
#ifndef SIMOTA_MILENAGE_H
#define SIMOTA_MILENAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/bytes.h"
#include "simota/error.h"

#define SIMOTA_MILENAGE_K_LEN    16
#define SIMOTA_MILENAGE_OP_LEN   16
#define SIMOTA_AKA_RAND_LEN      16
#define SIMOTA_AKA_SQN_LEN       6
#define SIMOTA_AKA_AMF_LEN       2
#define SIMOTA_AKA_MAC_LEN       8
#define SIMOTA_AKA_RES_LEN       8     /* Milenage f2: 64 bits */
#define SIMOTA_AKA_RES_MAX_LEN   16    /* TS 33.102 §6.3.2: RES is 32 to 128 bits */
#define SIMOTA_AKA_CK_LEN        16
#define SIMOTA_AKA_IK_LEN        16
#define SIMOTA_AKA_AK_LEN        6
#define SIMOTA_AKA_AUTN_LEN      16    /* SQN^AK || AMF || MAC-A */
#define SIMOTA_AKA_AUTS_LEN      14    /* SQN_MS^AK* || MAC-S */
#define SIMOTA_AKA_KC_LEN        8
#define SIMOTA_AKA_SRES_LEN      4
#define SIMOTA_AKA_SQN_MAX       0xFFFFFFFFFFFFull

struct simota_ota_crypto;
struct simota_milenage;

/* ---- Milenage (TS 35.206 §4) ---- */

/* Prepares K (AES-128 key schedule, once) with OPc. */
simota_err simota_milenage_new(struct simota_ota_crypto *crypto, const uint8_t k[SIMOTA_MILENAGE_K_LEN],
			       const uint8_t opc[SIMOTA_MILENAGE_OP_LEN], struct simota_milenage **out);
/* The same from OP: TS 35.206 §4.1, OPc = OP xor E[OP]K. */
simota_err simota_milenage_new_op(struct simota_ota_crypto *crypto, const uint8_t k[SIMOTA_MILENAGE_K_LEN],
				  const uint8_t op[SIMOTA_MILENAGE_OP_LEN], struct simota_milenage **out);
/* Cleanses and frees (NULL is fine). */
void simota_milenage_free(struct simota_milenage *m);
/* The OPc in use (computed from OP by simota_milenage_new_op). */
void simota_milenage_opc(const struct simota_milenage *m, uint8_t opc[SIMOTA_MILENAGE_OP_LEN]);

/* TS 35.206 §4.1: f1 (MAC-A) and f1* (MAC-S); either output may be NULL. */
simota_err simota_milenage_f1(struct simota_milenage *m, const uint8_t rand[SIMOTA_AKA_RAND_LEN],
			      const uint8_t sqn[SIMOTA_AKA_SQN_LEN], const uint8_t amf[SIMOTA_AKA_AMF_LEN],
			      uint8_t mac_a[SIMOTA_AKA_MAC_LEN], uint8_t mac_s[SIMOTA_AKA_MAC_LEN]);
/* TS 35.206 §4.1: f2 (RES), f3 (CK), f4 (IK), f5 (AK), f5* (AK*); any output may be NULL. */
simota_err simota_milenage_f2345(struct simota_milenage *m, const uint8_t rand[SIMOTA_AKA_RAND_LEN],
				 uint8_t res[SIMOTA_AKA_RES_LEN], uint8_t ck[SIMOTA_AKA_CK_LEN],
				 uint8_t ik[SIMOTA_AKA_IK_LEN], uint8_t ak[SIMOTA_AKA_AK_LEN],
				 uint8_t ak_star[SIMOTA_AKA_AK_LEN]);

/* ---- Conversion functions (TS 33.102 §6.8.1.2) ---- */

/* c2: SRES = XRES*1 xor ... xor XRES*4, the 32-bit words of RES zero-padded
 * to 128 bits (res_len 4-16; longer input is cut at 16). */
void simota_aka_c2(const uint8_t *res, size_t res_len, uint8_t sres[SIMOTA_AKA_SRES_LEN]);
/* c3: Kc = CK1 xor CK2 xor IK1 xor IK2 (64-bit halves). */
void simota_aka_c3(const uint8_t ck[SIMOTA_AKA_CK_LEN], const uint8_t ik[SIMOTA_AKA_IK_LEN],
		   uint8_t kc[SIMOTA_AKA_KC_LEN]);

/* ---- SQN (TS 33.102 §6.3.7, Annex C) ---- */

uint64_t simota_aka_sqn_get(const uint8_t sqn[SIMOTA_AKA_SQN_LEN]);
void simota_aka_sqn_put(uint64_t sqn, uint8_t out[SIMOTA_AKA_SQN_LEN]);

#define SIMOTA_AKA_IND_BITS_MAX 5
#define SIMOTA_AKA_SQN_ARRAY_MAX (1u << SIMOTA_AKA_IND_BITS_MAX)

/*
 * The USIM's SQN state of Annex C.2 (SQN = SEQ || IND, IND the low
 * ind_bits): the array SEQ_MS(0..a-1) with a = 2^ind_bits, and the optional
 * limits.  The caller persists the whole struct (it is plain data) and
 * stores it durably before it answers an accepted challenge.
 */
struct simota_aka_sqn_state {
	unsigned ind_bits;        /* 0-5 */
	uint64_t delta;           /* C.2.1: accept only SEQ - SEQ_MS <= delta; 0 = not applied */
	uint64_t limit;           /* C.2.2: accept only SEQ_MS - SEQ < L; 0 = not applied */
	uint64_t seq[SIMOTA_AKA_SQN_ARRAY_MAX];  /* SEQ_MS(i); unused entries stay 0 */
};

/*
 * A state as if sqn_ms were the only SQN accepted so far (its SEQ in its
 * IND's entry, every other entry 0, "the initial value" of C.2.2).
 * SIMOTA_ERR_BAD_VALUE for ind_bits > 5 or sqn_ms beyond 48 bits.
 */
simota_err simota_aka_sqn_state_init(struct simota_aka_sqn_state *st, unsigned ind_bits, uint64_t delta,
				     uint64_t limit, uint64_t sqn_ms);

enum simota_aka_sqn_verdict {
	SIMOTA_AKA_SQN_FRESH = 0,
	SIMOTA_AKA_SQN_NOT_FRESH,     /* C.2.2: SEQ <= SEQ_MS(IND) */
	SIMOTA_AKA_SQN_TOO_FAR,       /* C.2.1: SEQ - SEQ_MS > delta */
	SIMOTA_AKA_SQN_TOO_OLD,       /* C.2.2: SEQ_MS - SEQ >= L */
};

/* Annex C.2.1 then C.2.2 (delta, L, then the array entry); nothing changes. */
enum simota_aka_sqn_verdict simota_aka_sqn_check(const struct simota_aka_sqn_state *st, uint64_t sqn);
/* Annex C.2.2: SEQ_MS(IND) = SEQ, after a FRESH verdict. */
void simota_aka_sqn_accept(struct simota_aka_sqn_state *st, uint64_t sqn);
/* SQN_MS: the highest accepted SQN anywhere in the array (SEQ || IND). */
uint64_t simota_aka_sqn_ms(const struct simota_aka_sqn_state *st);

/* ---- The USIM's AKA (TS 33.102 §6.3.3, §6.3.5, §6.8.1.2) ---- */

enum simota_aka_status {
	SIMOTA_AKA_OK = 0,            /* RES, CK, IK, Kc computed; accept sqn */
	SIMOTA_AKA_MAC_FAILURE,       /* XMAC != MAC: SW 98 62 */
	SIMOTA_AKA_SYNC_FAILURE,      /* SQN not acceptable: AUTS */
};

struct simota_aka_result {
	enum simota_aka_status status;
	enum simota_aka_sqn_verdict verdict;  /* when the MAC verified */
	uint64_t sqn;                 /* from AUTN (when the MAC verified) */
	uint8_t amf[SIMOTA_AKA_AMF_LEN];
	uint8_t res[SIMOTA_AKA_RES_LEN];
	uint8_t ck[SIMOTA_AKA_CK_LEN];
	uint8_t ik[SIMOTA_AKA_IK_LEN];
	uint8_t kc[SIMOTA_AKA_KC_LEN];        /* c3(CK, IK), for the optional Kc of TS 31.102 */
	uint8_t auts[SIMOTA_AKA_AUTS_LEN];
};

/*
 * TS 33.102 §6.3.3: AK = f5(RAND), SQN = (SQN xor AK) xor AK, XMAC = f1;
 * a MAC mismatch is MAC_FAILURE (nothing else computed); an SQN the state
 * refuses is SYNC_FAILURE with AUTS = SQN_MS xor AK* || MAC-S, MAC-S =
 * f1*(SQN_MS, RAND, AMF 0000) (§6.3.5); else OK.  The state is only read:
 * on OK the caller runs simota_aka_sqn_accept(st, out->sqn) and persists.
 */
simota_err simota_aka_usim_authenticate(struct simota_milenage *m, const struct simota_aka_sqn_state *st,
					const uint8_t rand[SIMOTA_AKA_RAND_LEN],
					const uint8_t autn[SIMOTA_AKA_AUTN_LEN], struct simota_aka_result *out);

/* TS 33.102 §6.8.1.2 (USIM in a GSM security context): RES, CK, IK from
 * RAND, then SRES = c2(RES), Kc = c3(CK, IK). */
simota_err simota_aka_usim_gsm(struct simota_milenage *m, const uint8_t rand[SIMOTA_AKA_RAND_LEN],
			       uint8_t sres[SIMOTA_AKA_SRES_LEN], uint8_t kc[SIMOTA_AKA_KC_LEN]);

/* TS 33.102 §6.3.2 (the network's side, for test clients): AUTN. */
simota_err simota_aka_autn_build(struct simota_milenage *m, const uint8_t rand[SIMOTA_AKA_RAND_LEN],
				 uint64_t sqn, const uint8_t amf[SIMOTA_AKA_AMF_LEN],
				 uint8_t autn[SIMOTA_AKA_AUTN_LEN]);
/* TS 33.102 §6.3.3: AUTS from SQN_MS. */
simota_err simota_aka_auts_build(struct simota_milenage *m, const uint8_t rand[SIMOTA_AKA_RAND_LEN],
				 uint64_t sqn_ms, uint8_t auts[SIMOTA_AKA_AUTS_LEN]);
/* TS 33.102 §6.3.5 (the AuC's side): SQN_MS from AUTS; SIMOTA_ERR_CHECKSUM
 * when MAC-S does not verify. */
simota_err simota_aka_auts_check(struct simota_milenage *m, const uint8_t rand[SIMOTA_AKA_RAND_LEN],
				 const uint8_t auts[SIMOTA_AKA_AUTS_LEN], uint64_t *sqn_ms);

/* ---- AUTHENTICATE (TS 31.102 §7.1.2) ---- */

#define SIMOTA_AUTH_INS 0x88
#define SIMOTA_AUTH_SW_MAC_FAILURE 0x9862          /* TS 31.102 §7.3: authentication error, incorrect MAC */
#define SIMOTA_AUTH_SW_CONTEXT_UNSUPPORTED 0x9864  /* security context not supported */

enum simota_auth_context {           /* P2 b3-b1 (b8 = 1: specific reference data) */
	SIMOTA_AUTH_CONTEXT_GSM = 0,
	SIMOTA_AUTH_CONTEXT_3G = 1,      /* 3G/EPS/5G */
};

struct simota_auth_command {
	enum simota_auth_context context;
	const uint8_t *rand;             /* 16 bytes */
	const uint8_t *autn;             /* 16 bytes, 3G only (else NULL) */
};

/*
 * TS 31.102 §7.1.2: the command data for P2 (L1 RAND [L2 AUTN]).  P2 other
 * than 80 / 81 is SIMOTA_ERR_UNSUPPORTED (the card answers 6A 86, or
 * 98 64); RAND or AUTN not 16 bytes SIMOTA_ERR_BAD_LENGTH; bytes after the
 * last field SIMOTA_ERR_TRAILING_DATA.
 */
simota_err simota_auth_data_decode(uint8_t p2, const uint8_t *data, size_t len, struct simota_auth_command *out);
/* The same over a whole short C-APDU (INS 88, P1 00, case 3 or 4). */
simota_err simota_auth_command_decode(const uint8_t *apdu, size_t len, struct simota_auth_command *out);
/* TS 31.102 §7.1.2: CLA 88 00 P2 Lc data 00. */
simota_err simota_auth_command_encode(uint8_t cla, const struct simota_auth_command *cmd,
				      struct simota_writer *w);

enum simota_auth_response_kind {
	SIMOTA_AUTH_RSP_3G_OK,           /* DB RES CK IK [Kc] */
	SIMOTA_AUTH_RSP_SYNC_FAILURE,    /* DC AUTS */
	SIMOTA_AUTH_RSP_GSM_OK,          /* SRES Kc */
};

struct simota_auth_response {
	enum simota_auth_response_kind kind;
	uint8_t res[SIMOTA_AKA_RES_MAX_LEN];
	size_t res_len;                  /* 4-16 */
	uint8_t ck[SIMOTA_AKA_CK_LEN];
	uint8_t ik[SIMOTA_AKA_IK_LEN];
	bool has_kc;                     /* 3G: Kc present (service n27 available) */
	uint8_t kc[SIMOTA_AKA_KC_LEN];   /* 3G when has_kc; GSM always */
	uint8_t auts[SIMOTA_AKA_AUTS_LEN];
	uint8_t sres[SIMOTA_AKA_SRES_LEN];
};

/* TS 31.102 §7.1.2.1: the response data (without SW1 SW2). */
simota_err simota_auth_response_encode(const struct simota_auth_response *rsp, struct simota_writer *w);
/*
 * TS 31.102 §7.1.2.1: the response data of a command in `context`.  3G: tag
 * DB or DC (else SIMOTA_ERR_BAD_TAG); lengths RES 4-16, CK/IK 16, Kc 8,
 * AUTS 14, SRES 4 (else SIMOTA_ERR_BAD_LENGTH); truncation and trailing
 * bytes are errors.
 */
simota_err simota_auth_response_decode(enum simota_auth_context context, const uint8_t *p, size_t len,
				       struct simota_auth_response *out);

#endif
