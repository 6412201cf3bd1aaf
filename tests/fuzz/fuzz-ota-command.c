/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: secured command packets (TS 102 225 §5.1, TS 31.115 §4.1),
 * with or without the 027000 UDH, decoded with fixed test keys; whatever
 * decodes is re-encoded and decoded again (abort on any mismatch), and run
 * through the receiving-entity checks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simota/ota.h"
#include "fuzz-ota-keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const uint8_t *pkt, size_t size, const struct simota_ota_command *d,
		       struct simota_ota_key *kic_key, struct simota_ota_key *kid_key)
{
	static uint8_t out[0x10000 + 64], work[0x10000 + 64];
	struct simota_ota_command enc = *d, again;
	struct simota_ota_spi spi;
	size_t len;

	if (simota_ota_command_encode(&enc, kic_key, kid_key, out, sizeof(out), &len) != SIMOTA_OK)
		abort();
	if (simota_ota_command_decode(out, len, kic_key, kid_key, work, sizeof(work), &again) !=
	    SIMOTA_OK)
		abort();
	if (again.cntr != d->cntr || again.cc_len != d->cc_len || again.data_len != d->data_len ||
	    memcmp(again.data, d->data, d->data_len) || memcmp(again.tar, d->tar, 3) ||
	    memcmp(again.spi, d->spi, 2) || again.kic != d->kic || again.kid != d->kid)
		abort();
	/* canonical input (no ciphering, no padding) comes back byte for byte */
	simota_ota_spi_decode(d->spi, &spi);
	if (!spi.ciphered && d->pcntr == 0 && (len != size || memcmp(out, pkt, len)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t work[0x10000 + 64];
	struct simota_ota_command d;
	struct simota_ota_spi spi;
	struct simota_ota_key *kic_key, *kid_key;
	struct simota_ota_receiver rx = { .tar_known = true };
	size_t skip;

	fuzz_keys_init();
	skip = simota_ota_udh_skip(data, size, 0x70);
	data += skip;
	size -= skip;
	if (simota_ota_command_peek(data, size, &d) != SIMOTA_OK)
		return 0;
	simota_ota_spi_decode(d.spi, &spi);
	kic_key = fuzz_kic_key(d.kic);
	kid_key = fuzz_kid_key(d.kid, spi.integrity);
	if (simota_ota_command_decode(data, size, kic_key, kid_key, work, sizeof(work), &d) ==
	    SIMOTA_OK)
		round_trip(data, size, &d, kic_key, kid_key);
	/* the receiver: never a status outside table 5 of TS 102 225 §5.2.2 */
	rx.kic_key = kic_key;
	rx.kid_key = kid_key;
	rx.msl = data[size > 3 ? 3 : 0];
	if (simota_ota_receive_command(data, size, &rx, work, sizeof(work), &d) > 0x0a)
		abort();
	return 0;
}
