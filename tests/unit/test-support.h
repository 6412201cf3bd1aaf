/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the unit tests: the published vectors and hex. */
#ifndef STKBRIDGE_TEST_SUPPORT_H
#define STKBRIDGE_TEST_SUPPORT_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Parses VECTORS_DIR/name (e.g. "secured-packets.json"); aborts if unreadable.
 * The parser is kept alive for the process; the node is owned by it. */
JsonObject *tv_load(const char *name);

/* The same for a file of another directory (tests/vectors-local). */
JsonObject *tv_load_from(const char *dir, const char *name);

/* The directory the vectors are read from. */
const char *tv_dir(void);

/* Member as a string, or NULL if missing or JSON null. */
const char *tv_str(JsonObject *o, const char *member);

/* Hex (simota_hex_decode(): either case, blanks or colons between bytes) to bytes; aborts the test on bad hex.
 * Returned buffer is g_malloc'ed (never NULL, even for ""). */
uint8_t *tv_hex(const char *hex, size_t *len);

/* Exactly one byte of hex (aborts the test otherwise). */
uint8_t tv_hex_byte(const char *hex);

/* The hex string member of o, exactly `want` bytes, into out (aborts otherwise). */
void tv_hex_field(JsonObject *o, const char *member, uint8_t *out, size_t want);

/* g_test_add_data_func under the path prefix followed by name. */
void tv_add_test(const char *prefix, const char *name, gconstpointer data, GTestDataFunc fn);

/* Bytes to lowercase hex, g_malloc'ed. */
char *tv_to_hex(const uint8_t *p, size_t len);

/* Whether one of the strings of a (a GPtrArray of char *: warnings, errors) contains needle. */
bool tv_strings_have(GPtrArray *a, const char *needle);

/*
 * Makes every replacement of the file at path by rename fail, as a broken
 * disk would for the card state's commits: path (its file removed) becomes a
 * directory that is not empty.  tv_unblock_path() clears the way (path then
 * does not exist).
 */
void tv_block_path(const char *path);
void tv_unblock_path(const char *path);

/* Asserts p..len equals the hex string, printing both on mismatch. */
#define tv_assert_hex(p, len, hex) \
	tv_assert_hex_impl(__FILE__, __LINE__, (p), (len), (hex))
void tv_assert_hex_impl(const char *file, int line, const uint8_t *p, size_t len,
			const char *hex);

/*
 * Whether a vector's key (hex) for its algorithm (a vector's "kic_algorithm"
 * / "kid_algorithm" name; NULL: none) degenerates to single DES, which the
 * card config, the server's import and ota-cli refuse (simota_ota_key_check).
 */
bool tv_key_degenerate(const char *hex, const char *alg_name);

#endif
