/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: secured response packets (TS 102 225 §5.2, TS 31.115 §4.2),
 * with or without the 027100 UDH, decoded under several command SPI / KIc /
 * KID settings with fixed test keys (and without keys, as error PoRs are);
 * whatever decodes is re-encoded and decoded again (abort on mismatch).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simota/ota.h"
#include "fuzz-ota-keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	uint8_t spi[2], kic, kid;
} settings[] = {
	{ { 0x06, 0x01 }, 0x35, 0x35 },   /* no PoR security */
	{ { 0x06, 0x09 }, 0x35, 0x35 },   /* CC, 3DES2 */
	{ { 0x06, 0x19 }, 0x35, 0x35 },   /* CC + ciphered, 3DES2 */
	{ { 0x06, 0x19 }, 0x22, 0x22 },   /* CC + ciphered, AES */
	{ { 0x16, 0x39 }, 0x39, 0x39 },   /* 3DES3, by SMS-SUBMIT */
	{ { 0x16, 0x15 }, 0x01, 0x15 },   /* RC CRC32 + DES */
	{ { 0x16, 0x11 }, 0x0d, 0x00 },   /* ciphered only, DES-ECB */
	{ { 0x16, 0x05 }, 0x00, 0x01 },   /* RC CRC16 */
};

static void round_trip(const uint8_t *spi, uint8_t kic, uint8_t kid,
		       const struct simota_ota_response *d,
		       struct simota_ota_key *kic_key, struct simota_ota_key *kid_key)
{
	static uint8_t out[0x10000 + 64], work[0x10000 + 64];
	struct simota_ota_response enc = *d, again;
	struct simota_ota_spi s;
	size_t len;

	if (simota_ota_response_encode(spi, kic, kid, &enc, kic_key, kid_key, out, sizeof(out),
				       &len) != SIMOTA_OK)
		abort();

	/* the error PoR re-encodes plain; under SPI2 "ciphered, no RC/CC" it
	 * may be whole blocks long and then reads as ciphered (documented
	 * limit of simota_ota_response_decode) */
	simota_ota_spi_decode(spi, &s);
	if (simota_ota_status_is_error(d->status) && s.por_ciphered && !s.por_integrity)
		return;
	if (simota_ota_response_decode(spi, kic, kid, out, len, kic_key, kid_key, work,
				       sizeof(work), &again) != SIMOTA_OK)
		abort();
	/* an error PoR is encoded plain, so one read with an RC/CC comes
	 * back without it (the decoder accepts both forms) */
	if (again.cntr != d->cntr || again.status != d->status ||
	    again.cc_len != (simota_ota_status_is_error(d->status) ? 0 : d->cc_len) ||
	    again.data_len != d->data_len || memcmp(again.data, d->data, d->data_len) ||
	    memcmp(again.tar, d->tar, 3))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t work[0x10000 + 64];
	struct simota_ota_response d;

	fuzz_keys_init();
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		struct simota_ota_spi spi;
		struct simota_ota_key *kic_key = fuzz_kic_key(settings[i].kic);
		struct simota_ota_key *kid_key;

		simota_ota_spi_decode(settings[i].spi, &spi);
		kid_key = fuzz_kid_key(settings[i].kid, spi.por_integrity);
		if (simota_ota_response_decode(settings[i].spi, settings[i].kic, settings[i].kid,
					       data, size, kic_key, kid_key, work, sizeof(work),
					       &d) == SIMOTA_OK)
			round_trip(settings[i].spi, settings[i].kic, settings[i].kid, &d, kic_key,
				   kid_key);
		/* without keys: where the PoR's security needs a key (a CC or a
		 * cipher; an RC needs none), only a plain error PoR may decode */
		if (simota_ota_response_decode(settings[i].spi, settings[i].kic, settings[i].kid,
					       data, size, NULL, NULL, NULL, 0, &d) == SIMOTA_OK &&
		    (spi.por_integrity >= SIMOTA_OTA_INTEGRITY_CC || spi.por_ciphered) &&
		    !simota_ota_status_is_error(d.status))
			abort();
	}
	return 0;
}
