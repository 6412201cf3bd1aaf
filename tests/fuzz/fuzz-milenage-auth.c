/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the AUTHENTICATE decoders of TS 31.102 §7.1.2 (the whole
 * command APDU, the command data under P2 80 and 81, the response data of
 * both contexts).  What decodes is encoded again and must give the input
 * back; a decoded 3G challenge runs through the USIM's AKA (TS 33.102 §6.3)
 * with the key of TS 35.208 test set 1, once fresh and once out of sequence,
 * and the answer must encode and decode again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simota/milenage.h"
#include "simota/ota.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* TS 35.208 §4.3.1, test set 1 */
static const uint8_t set1_k[16] = { 0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f,
				    0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc };
static const uint8_t set1_opc[16] = { 0xcd, 0x63, 0xcb, 0x71, 0x95, 0x4a, 0x9f, 0x4e,
				      0x48, 0xa5, 0x99, 0x4e, 0x37, 0xa0, 0x2b, 0xaf };

static struct simota_milenage *milenage(void)
{
	static struct simota_ota_crypto *crypto;   /* process lifetime */
	static struct simota_milenage *m;

	if (!m && (simota_ota_crypto_new(&crypto) != SIMOTA_OK ||
		   simota_milenage_new(crypto, set1_k, set1_opc, &m) != SIMOTA_OK))
		abort();
	return m;
}

static void response_round_trip(enum simota_auth_context ctx, const struct simota_auth_response *rsp,
				const uint8_t *data, size_t size)
{
	uint8_t out[64];
	struct simota_writer w = simota_writer_init(out, sizeof(out));
	struct simota_auth_response again;

	if (simota_auth_response_encode(rsp, &w) != SIMOTA_OK)
		abort();
	if (data && (w.len != size || memcmp(out, data, size)))
		abort();
	if (simota_auth_response_decode(ctx, out, w.len, &again) != SIMOTA_OK || again.kind != rsp->kind ||
	    again.res_len != rsp->res_len || again.has_kc != rsp->has_kc)
		abort();
}

/* The USIM's answer to a decoded 3G challenge, as the card would send it. */
static void run_usim(const struct simota_auth_command *cmd)
{
	struct simota_aka_sqn_state fresh, stale;
	struct simota_aka_result r;
	struct simota_auth_response rsp = { 0 };
	const struct simota_aka_sqn_state *states[2] = { &fresh, &stale };

	if (simota_aka_sqn_state_init(&fresh, 5, 0, 0, 0) != SIMOTA_OK ||
	    simota_aka_sqn_state_init(&stale, 5, 0, 0, SIMOTA_AKA_SQN_MAX) != SIMOTA_OK)
		abort();
	for (int i = 0; i < 2; i++) {
		if (simota_aka_usim_authenticate(milenage(), states[i], cmd->rand, cmd->autn, &r) != SIMOTA_OK)
			abort();
		if (r.status == SIMOTA_AKA_MAC_FAILURE)
			return;
		if (r.status == SIMOTA_AKA_OK) {
			rsp.kind = SIMOTA_AUTH_RSP_3G_OK;
			rsp.res_len = sizeof(r.res);
			memcpy(rsp.res, r.res, sizeof(r.res));
			memcpy(rsp.ck, r.ck, sizeof(r.ck));
			memcpy(rsp.ik, r.ik, sizeof(r.ik));
			rsp.has_kc = true;
			memcpy(rsp.kc, r.kc, sizeof(r.kc));
		} else {
			uint64_t sqn_ms;

			rsp.kind = SIMOTA_AUTH_RSP_SYNC_FAILURE;
			memcpy(rsp.auts, r.auts, sizeof(r.auts));
			if (simota_aka_auts_check(milenage(), cmd->rand, r.auts, &sqn_ms) != SIMOTA_OK ||
			    sqn_ms != simota_aka_sqn_ms(states[i]))
				abort();
		}
		response_round_trip(SIMOTA_AUTH_CONTEXT_3G, &rsp, NULL, 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct simota_auth_command cmd, again;
	struct simota_auth_response rsp;
	uint8_t out[64];
	struct simota_writer w = simota_writer_init(out, sizeof(out));

	if (simota_auth_command_decode(data, size, &cmd) == SIMOTA_OK) {
		if (simota_auth_command_encode(data[0], &cmd, &w) != SIMOTA_OK ||
		    simota_auth_command_decode(out, w.len, &again) != SIMOTA_OK || again.context != cmd.context ||
		    memcmp(again.rand, cmd.rand, SIMOTA_AKA_RAND_LEN) ||
		    (cmd.autn && memcmp(again.autn, cmd.autn, SIMOTA_AKA_AUTN_LEN)))
			abort();
		if (cmd.context == SIMOTA_AUTH_CONTEXT_3G)
			run_usim(&cmd);
	}
	for (uint8_t p2 = 0x80; p2 <= 0x81; p2++)
		if (simota_auth_data_decode(p2, data, size, &cmd) == SIMOTA_OK &&
		    cmd.context == SIMOTA_AUTH_CONTEXT_3G)
			run_usim(&cmd);
	if (simota_auth_response_decode(SIMOTA_AUTH_CONTEXT_3G, data, size, &rsp) == SIMOTA_OK)
		response_round_trip(SIMOTA_AUTH_CONTEXT_3G, &rsp, data, size);
	if (simota_auth_response_decode(SIMOTA_AUTH_CONTEXT_GSM, data, size, &rsp) == SIMOTA_OK)
		response_round_trip(SIMOTA_AUTH_CONTEXT_GSM, &rsp, data, size);
	return 0;
}
