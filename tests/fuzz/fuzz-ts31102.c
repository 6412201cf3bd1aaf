/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the USIM EF decoders (TS 31.102 §4.2.2 EF_IMSI, §4.2.12
 * EF_SPN, §4.2.18 EF_AD, §4.2.26 EF_MSISDN, §4.2.27 EF_SMSP), what a
 * terminal reads from a card.  What decodes re-encodes to what decodes the same.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simota/ts31102.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void imsi(const uint8_t *data, size_t size)
{
	char a[SIMOTA_IMSI_MAX_DIGITS + 1], b[SIMOTA_IMSI_MAX_DIGITS + 1];
	uint8_t out[SIMOTA_EF_IMSI_LEN];

	if (simota_ef_imsi_decode(data, size, a) != SIMOTA_OK)
		return;
	if (simota_ef_imsi_encode(a, out) != SIMOTA_OK || simota_ef_imsi_decode(out, sizeof(out), b) != SIMOTA_OK ||
	    strcmp(a, b) != 0)
		abort();
}

static void same_number(const struct simota_sms_address *a, const struct simota_sms_address *b)
{
	if (a->ton != b->ton || a->npi != b->npi || strcmp(a->digits, b->digits) != 0)
		abort();
}

static void msisdn_smsp(const uint8_t *data, size_t size)
{
	struct simota_sms_address a, b;
	char alpha[256];
	uint8_t *rec;

	if (size > 255)
		return;
	rec = malloc(size ? size : 1);
	if (!rec)
		abort();
	if (simota_ef_msisdn_decode(data, size, &a, alpha, sizeof(alpha)) == SIMOTA_OK) {
		if (simota_ef_msisdn_encode(NULL, &a, rec, size) != SIMOTA_OK ||
		    simota_ef_msisdn_decode(rec, size, &b, NULL, 0) != SIMOTA_OK)
			abort();
		same_number(&a, &b);
	}
	if (simota_ef_smsp_sca(data, size, &a) == SIMOTA_OK) {
		memcpy(rec, data, size);
		if (simota_ef_smsp_set_sca(rec, size, &a) != SIMOTA_OK || simota_ef_smsp_sca(rec, size, &b) != SIMOTA_OK)
			abort();
		same_number(&a, &b);
	}
	free(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[256];
	uint8_t cond;
	unsigned mnc_len;

	imsi(data, size);
	msisdn_smsp(data, size);
	(void)simota_ef_spn_decode(data, size, &cond, name, sizeof(name));
	if (simota_ef_ad_mnc_length(data, size, &mnc_len) == SIMOTA_OK && mnc_len != 2 && mnc_len != 3)
		abort();
	return 0;
}
