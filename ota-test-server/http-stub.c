/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stand-in for the HTTP API until ota-test-server/api/ provides
 * ots_http_start() (see http-hook.h): the daemon runs without HTTP and says so.
 */
#include <gio/gio.h>

#include "http-hook.h"

struct ots_http *ots_http_start(struct ots_engine *engine, const char *address, GError **error)
{
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
		    "this build has no HTTP API (--http %s ignored)", address);
	return NULL;
}

void ots_http_stop(struct ots_http *http)
{
}
