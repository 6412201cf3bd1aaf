/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The USIM's side of UMTS AKA (3GPP TS 33.102 §6.3), the GSM conversion
 * functions (§6.8.1.2) and the SQN freshness scheme of Annex C, on top of
 * Milenage (ts35206_milenage.c).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "simota/milenage.h"

/* TS 33.102 §6.8.1.2, c2 */
void simota_aka_c2(const uint8_t *res, size_t res_len, uint8_t sres[SIMOTA_AKA_SRES_LEN])
{
	uint8_t padded[SIMOTA_AKA_RES_MAX_LEN] = { 0 };

	memcpy(padded, res, res_len < sizeof(padded) ? res_len : sizeof(padded));
	for (int i = 0; i < 4; i++)
		sres[i] = padded[i] ^ padded[4 + i] ^ padded[8 + i] ^ padded[12 + i];
}

/* TS 33.102 §6.8.1.2, c3 */
void simota_aka_c3(const uint8_t ck[SIMOTA_AKA_CK_LEN], const uint8_t ik[SIMOTA_AKA_IK_LEN],
		   uint8_t kc[SIMOTA_AKA_KC_LEN])
{
	for (int i = 0; i < 8; i++)
		kc[i] = ck[i] ^ ck[8 + i] ^ ik[i] ^ ik[8 + i];
}

/* TS 33.102 §6.3.2: SQN is 48 bits, most significant byte first. */
uint64_t simota_aka_sqn_get(const uint8_t sqn[SIMOTA_AKA_SQN_LEN])
{
	uint64_t v = 0;

	for (int i = 0; i < SIMOTA_AKA_SQN_LEN; i++)
		v = v << 8 | sqn[i];
	return v;
}

void simota_aka_sqn_put(uint64_t sqn, uint8_t out[SIMOTA_AKA_SQN_LEN])
{
	for (int i = SIMOTA_AKA_SQN_LEN - 1; i >= 0; i--, sqn >>= 8)
		out[i] = (uint8_t)sqn;
}

/* ---- Annex C ---- */

static unsigned ind_of(const struct simota_aka_sqn_state *st, uint64_t sqn)
{
	return (unsigned)(sqn & ((1u << st->ind_bits) - 1));
}

static uint64_t seq_of(const struct simota_aka_sqn_state *st, uint64_t sqn)
{
	return sqn >> st->ind_bits;
}

/* The array entry holding SEQ_MS, the highest SEQ accepted (the first such). */
static unsigned highest(const struct simota_aka_sqn_state *st)
{
	unsigned best = 0;

	for (unsigned i = 1; i < (1u << st->ind_bits); i++)
		if (st->seq[i] > st->seq[best])
			best = i;
	return best;
}

/* Annex C.2.2: every entry starts at zero; sqn_ms counts as accepted. */
simota_err simota_aka_sqn_state_init(struct simota_aka_sqn_state *st, unsigned ind_bits, uint64_t delta,
				     uint64_t limit, uint64_t sqn_ms)
{
	if (ind_bits > SIMOTA_AKA_IND_BITS_MAX || sqn_ms > SIMOTA_AKA_SQN_MAX)
		return SIMOTA_ERR_BAD_VALUE;
	memset(st, 0, sizeof(*st));
	st->ind_bits = ind_bits;
	st->delta = delta;
	st->limit = limit;
	st->seq[ind_of(st, sqn_ms)] = seq_of(st, sqn_ms);
	return SIMOTA_OK;
}

uint64_t simota_aka_sqn_ms(const struct simota_aka_sqn_state *st)
{
	unsigned i = highest(st);

	return st->seq[i] << st->ind_bits | i;
}

/*
 * Annex C.2.1: SEQ - SEQ_MS <= delta, checked before the freshness
 * conditions; Annex C.2.2: SEQ_MS - SEQ < L, checked before them too; then
 * SEQ > SEQ_MS(IND).  SEQ_MS is the highest SEQ in the array.
 */
enum simota_aka_sqn_verdict simota_aka_sqn_check(const struct simota_aka_sqn_state *st, uint64_t sqn)
{
	uint64_t seq = seq_of(st, sqn & SIMOTA_AKA_SQN_MAX);
	uint64_t seq_ms = st->seq[highest(st)];

	if (st->delta && seq > seq_ms && seq - seq_ms > st->delta)
		return SIMOTA_AKA_SQN_TOO_FAR;
	if (st->limit && seq_ms >= seq && seq_ms - seq >= st->limit)
		return SIMOTA_AKA_SQN_TOO_OLD;
	if (seq <= st->seq[ind_of(st, sqn)])
		return SIMOTA_AKA_SQN_NOT_FRESH;
	return SIMOTA_AKA_SQN_FRESH;
}

/* Annex C.2.2: SEQ_MS(i) = SEQ. */
void simota_aka_sqn_accept(struct simota_aka_sqn_state *st, uint64_t sqn)
{
	st->seq[ind_of(st, sqn)] = seq_of(st, sqn & SIMOTA_AKA_SQN_MAX);
}

/* ---- §6.3 ---- */

/*
 * The concealed SQN and its MAC: AUTN = SQN xor AK || AMF || MAC-A
 * (§6.3.2), or, for a re-synchronisation, AUTS = SQN_MS xor AK* || MAC-S
 * with MAC-S = f1*(SQN_MS || RAND || AMF*) and the dummy AMF* = 0000 (§6.3.3).
 */
static simota_err conceal(struct simota_milenage *m, const uint8_t rand[SIMOTA_AKA_RAND_LEN], uint64_t sqn,
			  const uint8_t amf[SIMOTA_AKA_AMF_LEN], bool resync, uint8_t *out)
{
	static const uint8_t amf_star[SIMOTA_AKA_AMF_LEN];
	uint8_t sqn_b[SIMOTA_AKA_SQN_LEN], ak[SIMOTA_AKA_AK_LEN];
	uint8_t *mac = resync ? out + SIMOTA_AKA_SQN_LEN : out + SIMOTA_AKA_SQN_LEN + SIMOTA_AKA_AMF_LEN;
	simota_err err;

	if (sqn > SIMOTA_AKA_SQN_MAX)
		return SIMOTA_ERR_BAD_VALUE;
	simota_aka_sqn_put(sqn, sqn_b);
	if ((err = simota_milenage_f2345(m, rand, NULL, NULL, NULL, resync ? NULL : ak, resync ? ak : NULL)) ||
	    (err = simota_milenage_f1(m, rand, sqn_b, resync ? amf_star : amf, resync ? NULL : mac,
				      resync ? mac : NULL)))
		return err;
	for (int i = 0; i < SIMOTA_AKA_SQN_LEN; i++)
		out[i] = sqn_b[i] ^ ak[i];
	if (!resync)
		memcpy(out + SIMOTA_AKA_SQN_LEN, amf, SIMOTA_AKA_AMF_LEN);
	return SIMOTA_OK;
}

/* TS 33.102 §6.3.2 */
simota_err simota_aka_autn_build(struct simota_milenage *m, const uint8_t rand[SIMOTA_AKA_RAND_LEN],
				 uint64_t sqn, const uint8_t amf[SIMOTA_AKA_AMF_LEN],
				 uint8_t autn[SIMOTA_AKA_AUTN_LEN])
{
	return conceal(m, rand, sqn, amf, false, autn);
}

/* TS 33.102 §6.3.3 */
simota_err simota_aka_auts_build(struct simota_milenage *m, const uint8_t rand[SIMOTA_AKA_RAND_LEN],
				 uint64_t sqn_ms, uint8_t auts[SIMOTA_AKA_AUTS_LEN])
{
	return conceal(m, rand, sqn_ms, NULL, true, auts);
}

/* TS 33.102 §6.3.5: the AuC recovers SQN_MS and checks MAC-S. */
simota_err simota_aka_auts_check(struct simota_milenage *m, const uint8_t rand[SIMOTA_AKA_RAND_LEN],
				 const uint8_t auts[SIMOTA_AKA_AUTS_LEN], uint64_t *sqn_ms)
{
	static const uint8_t amf_star[SIMOTA_AKA_AMF_LEN];
	uint8_t sqn_b[SIMOTA_AKA_SQN_LEN], ak_star[SIMOTA_AKA_AK_LEN], xmac_s[SIMOTA_AKA_MAC_LEN];
	simota_err err;

	if ((err = simota_milenage_f2345(m, rand, NULL, NULL, NULL, NULL, ak_star)))
		return err;
	for (int i = 0; i < SIMOTA_AKA_SQN_LEN; i++)
		sqn_b[i] = auts[i] ^ ak_star[i];
	if ((err = simota_milenage_f1(m, rand, sqn_b, amf_star, NULL, xmac_s)))
		return err;
	if (CRYPTO_memcmp(xmac_s, auts + 6, SIMOTA_AKA_MAC_LEN))
		return SIMOTA_ERR_CHECKSUM;
	*sqn_ms = simota_aka_sqn_get(sqn_b);
	return SIMOTA_OK;
}

/* TS 33.102 §6.3.3: the USIM's processing of RAND and AUTN. */
simota_err simota_aka_usim_authenticate(struct simota_milenage *m, const struct simota_aka_sqn_state *st,
					const uint8_t rand[SIMOTA_AKA_RAND_LEN],
					const uint8_t autn[SIMOTA_AKA_AUTN_LEN], struct simota_aka_result *out)
{
	uint8_t ak[SIMOTA_AKA_AK_LEN], sqn_b[SIMOTA_AKA_SQN_LEN], xmac[SIMOTA_AKA_MAC_LEN];
	simota_err err;

	memset(out, 0, sizeof(*out));
	if ((err = simota_milenage_f2345(m, rand, out->res, out->ck, out->ik, ak, NULL)))
		return err;
	for (int i = 0; i < SIMOTA_AKA_SQN_LEN; i++)
		sqn_b[i] = autn[i] ^ ak[i];
	memcpy(out->amf, autn + 6, SIMOTA_AKA_AMF_LEN);
	if ((err = simota_milenage_f1(m, rand, sqn_b, out->amf, xmac, NULL)))
		return err;
	if (CRYPTO_memcmp(xmac, autn + 8, SIMOTA_AKA_MAC_LEN)) {
		/* nothing of a challenge that failed its MAC leaves the card */
		OPENSSL_cleanse(out, sizeof(*out));
		out->status = SIMOTA_AKA_MAC_FAILURE;
		return SIMOTA_OK;
	}
	out->sqn = simota_aka_sqn_get(sqn_b);
	out->verdict = simota_aka_sqn_check(st, out->sqn);
	if (out->verdict != SIMOTA_AKA_SQN_FRESH) {
		OPENSSL_cleanse(out->res, sizeof(out->res));
		OPENSSL_cleanse(out->ck, sizeof(out->ck));
		OPENSSL_cleanse(out->ik, sizeof(out->ik));
		out->status = SIMOTA_AKA_SYNC_FAILURE;
		return simota_aka_auts_build(m, rand, simota_aka_sqn_ms(st), out->auts);
	}
	simota_aka_c3(out->ck, out->ik, out->kc);
	out->status = SIMOTA_AKA_OK;
	return SIMOTA_OK;
}

/* TS 33.102 §6.8.1.2: a USIM in a GSM security context. */
simota_err simota_aka_usim_gsm(struct simota_milenage *m, const uint8_t rand[SIMOTA_AKA_RAND_LEN],
			       uint8_t sres[SIMOTA_AKA_SRES_LEN], uint8_t kc[SIMOTA_AKA_KC_LEN])
{
	uint8_t res[SIMOTA_AKA_RES_LEN], ck[SIMOTA_AKA_CK_LEN], ik[SIMOTA_AKA_IK_LEN];
	simota_err err = simota_milenage_f2345(m, rand, res, ck, ik, NULL, NULL);

	if (!err) {
		simota_aka_c2(res, sizeof(res), sres);
		simota_aka_c3(ck, ik, kc);
	}
	OPENSSL_cleanse(ck, sizeof(ck));
	OPENSSL_cleanse(ik, sizeof(ik));
	return err;
}
