/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ota-cli's error rule: exit status 1, one line on stderr, nothing on stdout. */
#ifndef OTA_CLI_FAIL_H
#define OTA_CLI_FAIL_H

#include <glib.h>

/* Prints "ota-cli: MESSAGE" (line breaks folded) on stderr; returns 1. */
int ota_cli_fail(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#endif
