/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The netsim frame codec (lib/netsim_frame.c, doc/netsim.md) on
 * an arbitrary byte stream, as the server's and a device's reader see it:
 * frames are split with simota_netsim_frame_next() until it wants more bytes or
 * finds an impossible length, each body is decoded, and every frame that
 * decodes is encoded again and must give back the same bytes, except where
 * the encoding is not canonical by design: a HELLO-ACK of version 0 (the
 * encoder writes the current version) and an ERROR whose text has a NUL or
 * more than 255 bytes (the text is a C string of at most 255).
 * Checked as well: a frame never claims bytes beyond the input, a decoded
 * TPDU fits its buffer, strings are terminated, and a refusal has a reason.
 */
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simota/netsim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool canonical(uint8_t type, const uint8_t *body, size_t len)
{
	if (type == SIMOTA_NETSIM_HELLO_ACK)
		return body[0] != 0;
	if (type == SIMOTA_NETSIM_ERROR)
		return len - 5 < 256 && !memchr(body + 5, 0, len - 5);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct simota_netsim_frame f;
	GByteArray *again = g_byte_array_new();
	size_t off = 0;

	while (off < size) {
		const uint8_t *body;
		size_t blen, used;
		const char *why;
		uint8_t type;
		int rc;

		if (simota_netsim_frame_next(data + off, size - off, &type, &body, &blen, &used) !=
		    SIMOTA_NETSIM_FRAME)
			break;
		if (used < 5 || used > size - off || body != data + off + 5 || blen != used - 5 ||
		    blen + 1 > SIMOTA_NETSIM_MAX_FRAME)
			abort();
		rc = simota_netsim_frame_decode(type, body, blen, &f, &why);
		if (rc) {
			if (!why || rc < SIMOTA_NETSIM_E_MALFORMED || rc > SIMOTA_NETSIM_E_VERSION)
				abort();
		} else {
			if (f.type != type || f.tpdu_len > sizeof(f.tpdu) ||
			    strnlen(f.iccid, sizeof(f.iccid)) == sizeof(f.iccid) ||
			    strnlen(f.msisdn, sizeof(f.msisdn)) == sizeof(f.msisdn) ||
			    strnlen(f.text, sizeof(f.text)) == sizeof(f.text))
				abort();
			g_byte_array_set_size(again, 0);
			simota_netsim_frame_encode(&f, again);
			if (canonical(type, body, blen) &&
			    (again->len != used || memcmp(again->data, data + off, used) != 0))
				abort();
		}
		off += used;
	}
	g_byte_array_unref(again);
	return 0;
}
