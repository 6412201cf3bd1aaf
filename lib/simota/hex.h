/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bytes as hex text, the one implementation every component uses (card
 * state files, the server's database and API, ota-cli, logs, tests).
 *
 * Out: lower-case, two digits a byte, no separators.
 * In: either case; a blank (space, tab) or ':' may stand between two bytes,
 * never inside one ("7F F6", "7f:f6", "7FF6").  Bounded by the caller's
 * capacity.
 */
#ifndef SIMOTA_HEX_H
#define SIMOTA_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "simota/error.h"

/* Writes 2 * len digits and a NUL into out (2 * len + 1 chars). */
void simota_hex_encode(const uint8_t *p, size_t len, char *out);

/* The same into a new string (g_free). */
char *simota_hex_dup(const uint8_t *p, size_t len);

/*
 * Decodes hex text into out (at most cap bytes); *len gets the byte count.
 * SIMOTA_ERR_BAD_VALUE: a character that is neither a hex digit nor a
 * separator between bytes, or an odd digit at the end.
 * SIMOTA_ERR_NO_SPACE: more than cap bytes; *len still says how many the
 * text holds (out holds the first cap).  Empty text is 0 bytes.
 */
simota_err simota_hex_decode(const char *s, uint8_t *out, size_t cap, size_t *len);

/* The value of one hex digit, or -1. */
int simota_hex_digit(char c);

#endif
