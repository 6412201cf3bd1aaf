/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the FCP template and PIN status template decoders and
 * EF_ICCID (TS 102 221 §11.1.1.3, §9.5.2, §13.2), what a terminal reads
 * from a card.  What decodes re-encodes and decodes to the same struct.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simota/ts102221.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fcp_round_trip(const uint8_t *data, size_t size)
{
	struct simota_fcp a, b;
	uint8_t out[1024];
	size_t n;
	int pin1 = simota_fcp_pin_enabled(data, size, SIMOTA_KEYREF_PIN1);

	if (simota_fcp_decode(data, size, &a) != SIMOTA_OK) {
		if (pin1 != -1)
			abort();
		return;
	}
	if (pin1 != (a.has_pin_status ? simota_pin_status_enabled(&a.pin_status, SIMOTA_KEYREF_PIN1) : -1))
		abort();
	(void)simota_fcp_activated(&a);
	if (simota_fcp_encode(&a, out, sizeof(out), &n) != SIMOTA_OK)
		abort();
	if (simota_fcp_decode(out, n, &b) != SIMOTA_OK || memcmp(&a, &b, sizeof(a)) != 0)
		abort();
}

static void pin_status_round_trip(const uint8_t *data, size_t size)
{
	struct simota_pin_status a, b;
	uint8_t out[128];
	struct simota_writer w = simota_writer_init(out, sizeof(out));
	size_t hdr;

	if (simota_pin_status_decode(data, size, &a) != SIMOTA_OK)
		return;
	if (simota_pin_status_encode(&w, &a) != SIMOTA_OK)
		abort();
	hdr = out[1] == 0x81 ? 3 : 2;   /* C6 L or C6 81 L */
	if (simota_pin_status_decode(out + hdr, w.len - hdr, &b) != SIMOTA_OK || memcmp(&a, &b, sizeof(a)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char iccid[SIMOTA_ICCID_MAX_DIGITS + 1];

	fcp_round_trip(data, size);
	pin_status_round_trip(data, size);
	if (simota_ef_iccid_decode(data, size, iccid) == SIMOTA_OK) {
		uint8_t out[SIMOTA_EF_ICCID_LEN];
		char back[SIMOTA_ICCID_MAX_DIGITS + 1];

		if (simota_ef_iccid_encode(iccid, out) != SIMOTA_OK ||
		    simota_ef_iccid_decode(out, sizeof(out), back) != SIMOTA_OK || strcmp(iccid, back) != 0)
			abort();
	}
	return 0;
}
