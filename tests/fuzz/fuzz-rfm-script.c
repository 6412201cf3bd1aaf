/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The RFM script file (lib/rfm_script.c, doc/rfm.md "Script files") on
 * arbitrary text, as ota-cli reads a file and ota-test-server a request's
 * "script": a refusal names a line within the text and says why; an
 * accepted script has 1 to 255 commands whose bytes lie in its buffer, and
 * encodes in both formats (compact naming a command it cannot carry).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simota/rfm_script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct simota_rfm_script script;
static uint8_t out[SIMOTA_RFM_SCRIPT_MAX_BYTES + 4 * SIMOTA_RFM_SCRIPT_MAX_COMMANDS];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct simota_rfm_script_error err;
	struct simota_writer w;
	size_t lines = 1, bad;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (simota_rfm_script_parse((const char *)data, size, &script, &err) != SIMOTA_OK) {
		if (!err.why || err.line > lines)
			abort();
		return 0;
	}
	if (script.n < 1 || script.n > SIMOTA_RFM_SCRIPT_MAX_COMMANDS || script.used > sizeof(script.buf))
		abort();
	for (size_t i = 0; i < script.n; i++) {
		const struct simota_apdu *a = &script.cmds[i];

		if (a->lc && (a->data < script.buf || a->data + a->lc > script.buf + script.used))
			abort();
	}
	for (int f = SIMOTA_RFM_COMPACT; f <= SIMOTA_RFM_EXPANDED; f++) {
		simota_err e;

		script.format = f;
		w = simota_writer_init(out, sizeof(out));
		e = simota_rfm_script_encode(&script, &w, &bad);
		if (e == SIMOTA_ERR_BAD_VALUE && (f != SIMOTA_RFM_COMPACT || bad >= script.n))
			abort();
		if (e != SIMOTA_OK && e != SIMOTA_ERR_BAD_VALUE)
			abort();
	}
	return 0;
}
