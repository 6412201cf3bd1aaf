/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers shared by the server's modules: hex, times, addresses. */
#ifndef OTS_UTIL_H
#define OTS_UTIL_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/sms.h"

/* simota_hex_dup(): lower-case hex of p..len (g_free). */
char *ots_hex(const uint8_t *p, size_t len);
/* simota_hex_decode() (spaces and ':' between bytes allowed) into out; false on bad input or > cap. */
bool ots_unhex(const char *s, uint8_t *out, size_t cap, size_t *len);

/* RFC 3339 UTC with microseconds (g_free). */
char *ots_time_string(int64_t real_us);

/*
 * "+15550100" / "15550100" into a TP address (international when '+',
 * else unknown TON; ISDN plan).  false if not 1-20 digits.
 */
bool ots_address_parse(const char *s, struct simota_sms_address *out);
/* The same number?  Compares digits, ignoring a leading '+' and the TON. */
bool ots_address_equal(const struct simota_sms_address *a, const char *s);

#endif
