/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the unit tests: the published vectors and hex. */
#ifndef STKBRIDGE_TEST_SUPPORT_H
#define STKBRIDGE_TEST_SUPPORT_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

/* Parses VECTORS_DIR/name (e.g. "secured-packets.json"); aborts if unreadable.
 * The parser is kept alive for the process; the node is owned by it. */
JsonObject *tv_load(const char *name);

/* The directory the vectors are read from. */
const char *tv_dir(void);

/* Member as a string, or NULL if missing or JSON null. */
const char *tv_str(JsonObject *o, const char *member);

/* Hex (simota_hex_decode(): either case, blanks or colons between bytes) to bytes; aborts the test on bad hex.
 * Returned buffer is g_malloc'ed (never NULL, even for ""). */
uint8_t *tv_hex(const char *hex, size_t *len);

/* Bytes to lowercase hex, g_malloc'ed. */
char *tv_to_hex(const uint8_t *p, size_t len);

/* Asserts p..len equals the hex string, printing both on mismatch. */
#define tv_assert_hex(p, len, hex) \
	tv_assert_hex_impl(__FILE__, __LINE__, (p), (len), (hex))
void tv_assert_hex_impl(const char *file, int line, const uint8_t *p, size_t len,
			const char *hex);

#endif
