/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ots-error.h"

#include <string.h>

GQuark ots_error_quark(void)
{
	return g_quark_from_static_string("ots-error-quark");
}

char *ots_error_field(const GError *error)
{
	const char *colon;

	if (!error || error->domain != OTS_ERROR || error->code != OTS_ERROR_INVALID)
		return NULL;
	colon = strstr(error->message, ": ");
	if (!colon)
		return NULL;
	return g_strndup(error->message, colon - error->message);
}
