/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * AUTHENTICATE (TS 31.102 §7.1.2) with Milenage (TS 35.206) in the USIM,
 * and RUN GSM ALGORITHM (TS 51.011 §9.2.16) for a 2G ME, from the card
 * config's k, opc (or op) and the SQN state of TS 33.102 Annex C:
 *
 *   P2 81 (3G context): RAND, AUTN -> DB RES CK IK [Kc], or DC AUTS when the
 *      SQN is not acceptable (§6.3.3, §6.3.5), or 98 62 when MAC-A is wrong;
 *   P2 80 (GSM context): RAND -> SRES Kc (c2, c3 of §6.8.1.2);
 *   CLA A0 INS 88 (DF_GSM current): RAND -> SRES Kc.
 *
 * An accepted SQN is in the state file ([usim] sqn: IND bits, then SEQ_MS(i)
 * for every i, 6 bytes each) before the response leaves the card; a kill -9
 * after it never lets the same challenge in twice.  The keys are prepared
 * for each command and cleansed right after it (an idle card holds none);
 * neither they nor the results are logged.  The USIM application must be
 * the channel's current one, and PIN1 satisfied (69 82).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "card/card-access.h"
#include "card/card-internal.h"
#include "simota/milenage.h"

#define STATE_GROUP "usim"
#define STATE_KEY_SQN "sqn"
/* TS 33.102 Annex C.3.2: an IND of 5 bits (an array of 32 SEQ_MS) */
#define IND_BITS 5
#define SQN_STATE_BYTES (1 + SIMOTA_AKA_SQN_ARRAY_MAX * SIMOTA_AKA_SQN_LEN)
/* TS 31.102 §4.2.8: service n27, GSM access (Kc in a 3G context's response) */
#define UST_GSM_ACCESS 27

/* The SQN array: the state's, else the config's initial SQN_MS. */
static void sqn_load(struct uicc_card *c, struct simota_aka_sqn_state *st)
{
	uint8_t b[SQN_STATE_BYTES];
	size_t len;

	if (uicc_card_state_get_bytes(c->state, STATE_GROUP, STATE_KEY_SQN, b, sizeof(b), &len) &&
	    len == sizeof(b) && b[0] <= SIMOTA_AKA_IND_BITS_MAX) {
		memset(st, 0, sizeof(*st));
		st->ind_bits = b[0];
		for (unsigned i = 0; i < SIMOTA_AKA_SQN_ARRAY_MAX; i++)
			st->seq[i] = simota_aka_sqn_get(b + 1 + i * SIMOTA_AKA_SQN_LEN);
		return;
	}
	simota_aka_sqn_state_init(st, IND_BITS, 0, 0, c->cfg->sqn);
}

/* Stages and commits the array; false (the state unchanged on disk) if the commit failed. */
static bool sqn_store(struct uicc_card *c, const struct simota_aka_sqn_state *st)
{
	uint8_t b[SQN_STATE_BYTES];

	b[0] = (uint8_t)st->ind_bits;
	for (unsigned i = 0; i < SIMOTA_AKA_SQN_ARRAY_MAX; i++)
		simota_aka_sqn_put(st->seq[i], b + 1 + i * SIMOTA_AKA_SQN_LEN);
	uicc_card_state_set_bytes(c->state, STATE_GROUP, STATE_KEY_SQN, b, sizeof(b));
	return uicc_card_commit(c);
}

static bool ust_has(const struct simota_card_config *cfg, unsigned service)
{
	unsigned byte = (service - 1) / 8, bit = (service - 1) % 8;

	return byte < cfg->ust_len && (cfg->ust[byte] >> bit) & 1;
}

static struct simota_milenage *milenage(struct uicc_card *c)
{
	struct simota_ota_crypto *crypto = uicc_card_crypto(c);
	struct simota_milenage *m = NULL;
	simota_err err;

	if (!crypto)
		return NULL;
	if (c->cfg->op_given)
		err = simota_milenage_new_op(crypto, c->cfg->k, c->cfg->opc, &m);
	else
		err = simota_milenage_new(crypto, c->cfg->k, c->cfg->opc, &m);
	return err == SIMOTA_OK ? m : NULL;
}

/* TS 33.102 §6.3.3: the USIM's side; the accepted SQN durable before the answer. */
static uint16_t auth_3g(struct uicc_card *c, struct simota_milenage *m, const struct simota_auth_command *cmd,
			struct simota_auth_response *rsp)
{
	struct simota_aka_sqn_state st;
	struct simota_aka_result r;
	uint16_t sw = SW_OK;

	sqn_load(c, &st);
	if (simota_aka_usim_authenticate(m, &st, cmd->rand, cmd->autn, &r) != SIMOTA_OK) {
		sw = SW_TECH_PROBLEM;
	} else if (r.status == SIMOTA_AKA_MAC_FAILURE) {
		sw = SW_AUTH_MAC;
	} else if (r.status == SIMOTA_AKA_SYNC_FAILURE) {
		rsp->kind = SIMOTA_AUTH_RSP_SYNC_FAILURE;
		memcpy(rsp->auts, r.auts, sizeof(rsp->auts));
	} else {
		simota_aka_sqn_accept(&st, r.sqn);
		if (!sqn_store(c, &st)) {
			sw = SW_MEMORY;
		} else {
			rsp->kind = SIMOTA_AUTH_RSP_3G_OK;
			memcpy(rsp->res, r.res, SIMOTA_AKA_RES_LEN);
			rsp->res_len = SIMOTA_AKA_RES_LEN;
			memcpy(rsp->ck, r.ck, sizeof(rsp->ck));
			memcpy(rsp->ik, r.ik, sizeof(rsp->ik));
			rsp->has_kc = ust_has(c->cfg, UST_GSM_ACCESS);
			memcpy(rsp->kc, r.kc, sizeof(rsp->kc));
		}
	}
	OPENSSL_cleanse(&r, sizeof(r));
	return sw;
}

/* Where the command may run: the USIM (UICC class) or DF_GSM (CLA A0), PIN1 satisfied. */
static uint16_t check_context(struct uicc_card *c, const struct uicc_apdu *a)
{
	struct uicc_channel *ch = uicc_card_channel(c, a);

	if (a->gsm) {
		if (ch->df->fid != 0x7F20 || ch->df->parent != c->mf)
			return SW_GSM_NO_EF;
		return uicc_ac_ok(c, UICC_AC_PIN1) ? SW_OK : SW_GSM_ACCESS;
	}
	if (!c->adf_usim || ch->adf != c->adf_usim)
		return SW_CONDITIONS;
	return uicc_ac_ok(c, UICC_AC_PIN1) ? SW_OK : SW_SECURITY;
}

uint16_t uicc_cmd_authenticate(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out)
{
	struct simota_auth_command cmd;
	struct simota_auth_response rsp;
	struct simota_milenage *m;
	struct simota_writer w;
	const uint8_t *data;
	uint16_t sw;
	size_t lc;

	if (!c->cfg->has_milenage)
		return SW_BAD_INS;
	if (!uicc_apdu_data(a, !a->gsm, &data, &lc))
		return a->gsm ? 0x6710 : SW_WRONG_LENGTH;
	if (a->gsm) {
		/* TS 51.011 §9.2.16: P1 P2 00 00, the RAND alone */
		if (a->p1 || a->p2)
			return SW_WRONG_P1P2;
		if (lc != SIMOTA_AKA_RAND_LEN)
			return 0x6710;
		memset(&cmd, 0, sizeof(cmd));
		cmd.context = SIMOTA_AUTH_CONTEXT_GSM;
		cmd.rand = data;
	} else {
		if (a->p1)
			return SW_BAD_P1P2;
		switch (simota_auth_data_decode(a->p2, data, lc, &cmd)) {
		case SIMOTA_OK:
			break;
		case SIMOTA_ERR_UNSUPPORTED:
			return SW_BAD_P1P2;
		default:
			return SW_BAD_DATA;
		}
	}
	sw = check_context(c, a);
	if (sw != SW_OK)
		return sw;
	m = milenage(c);
	if (!m)
		return SW_TECH_PROBLEM;
	memset(&rsp, 0, sizeof(rsp));
	if (cmd.context == SIMOTA_AUTH_CONTEXT_3G) {
		sw = auth_3g(c, m, &cmd, &rsp);
	} else {
		rsp.kind = SIMOTA_AUTH_RSP_GSM_OK;
		sw = simota_aka_usim_gsm(m, cmd.rand, rsp.sres, rsp.kc) == SIMOTA_OK ? SW_OK : SW_TECH_PROBLEM;
	}
	simota_milenage_free(m);
	if (sw == SW_OK) {
		if (a->gsm) {
			/* TS 51.011 §9.2.16: SRES then Kc, no tags */
			memcpy(out->data, rsp.sres, SIMOTA_AKA_SRES_LEN);
			memcpy(out->data + SIMOTA_AKA_SRES_LEN, rsp.kc, SIMOTA_AKA_KC_LEN);
			out->len = SIMOTA_AKA_SRES_LEN + SIMOTA_AKA_KC_LEN;
		} else {
			w = simota_writer_init(out->data, sizeof(out->data));
			if (simota_auth_response_encode(&rsp, &w) != SIMOTA_OK)
				sw = SW_TECH_PROBLEM;
			out->len = w.len;
		}
		out->deferred = true;
	}
	if (sw == SW_MEMORY)
		sw = uicc_sw_memory(a);
	OPENSSL_cleanse(&rsp, sizeof(rsp));
	return sw;
}
