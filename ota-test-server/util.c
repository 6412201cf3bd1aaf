/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util.h"

#include <string.h>

#include "simota/hex.h"

char *ots_hex(const uint8_t *p, size_t len)
{
	return simota_hex_dup(p, len);
}

bool ots_unhex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	return simota_hex_decode(s, out, cap, len) == SIMOTA_OK;
}

char *ots_time_string(int64_t real_us)
{
	GDateTime *dt = g_date_time_new_from_unix_utc(real_us / G_USEC_PER_SEC);
	char *base, *s;

	if (!dt)
		return g_strdup("");
	base = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S");
	s = g_strdup_printf("%s.%06dZ", base, (int)(real_us % G_USEC_PER_SEC));
	g_free(base);
	g_date_time_unref(dt);
	return s;
}

bool ots_address_parse(const char *s, struct simota_sms_address *out)
{
	return simota_sms_address_from_text(s, out) == SIMOTA_OK;
}

bool ots_address_equal(const struct simota_sms_address *a, const char *s)
{
	if (!s)
		return false;
	if (*s == '+')
		s++;
	return a->ton != SIMOTA_SMS_TON_ALPHANUMERIC && strcmp(a->digits, s) == 0;
}
