/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fail.h"

#include <stdio.h>

int ota_cli_fail(const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	/* one line, whatever the message holds */
	g_strdelimit(msg, "\r\n", ' ');
	fprintf(stderr, "ota-cli: %s\n", msg);
	g_free(msg);
	return 1;
}
