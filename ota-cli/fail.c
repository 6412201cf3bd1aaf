/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ota-cli's error rule (ota-cli.h): exit status 1, one line on stderr, nothing on stdout. */
#include <stdio.h>

#include "ota-cli.h"

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
