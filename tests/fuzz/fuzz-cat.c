/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: CAT proactive command, TERMINAL RESPONSE and ENVELOPE
 * decoders (TS 102 223).  Whatever decodes must re-encode, the re-encoding
 * must decode, and encoding that again must give the same bytes (the codec
 * writes one canonical form: minimal lengths, the spec's order).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simota/cat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef simota_err (*decode_fn)(const uint8_t *, size_t, struct simota_cat_msg *);
typedef simota_err (*encode_fn)(const struct simota_cat_msg *, uint8_t *, size_t, size_t *);

static struct simota_cat_msg msg, msg2;
static uint8_t out1[70000], out2[70000];

static void roundtrip(const uint8_t *data, size_t size, decode_fn decode, encode_fn encode)
{
	size_t n1, n2;

	if (decode(data, size, &msg) != SIMOTA_OK)
		return;
	if (encode(&msg, out1, sizeof(out1), &n1) != SIMOTA_OK)
		abort();
	if (decode(out1, n1, &msg2) != SIMOTA_OK)
		abort();
	if (encode(&msg2, out2, sizeof(out2), &n2) != SIMOTA_OK)
		abort();
	if (n1 != n2 || memcmp(out1, out2, n1) != 0)
		abort();
	/* a smaller buffer never overflows */
	if (n1 > 0 && encode(&msg, out2, n1 - 1, &n2) != SIMOTA_ERR_NO_SPACE)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	roundtrip(data, size, simota_cat_command_decode, simota_cat_command_encode);
	roundtrip(data, size, simota_cat_response_decode, simota_cat_response_encode);
	roundtrip(data, size, simota_cat_envelope_decode, simota_cat_envelope_encode);
	return 0;
}
