/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The HTTP/JSON API (doc/api.md) as the daemon (main.c) starts and stops it. */
#ifndef OTS_API_HTTP_H
#define OTS_API_HTTP_H

#include <glib.h>

struct ots_engine;
struct ots_http;

/*
 * Starts serving on address ("127.0.0.1:8080", "[::1]:8080") in the
 * thread-default main context, calling the engine API (transactions/engine.h).
 * Returns NULL with error set on failure.
 */
struct ots_http *ots_http_start(struct ots_engine *engine, const char *address, GError **error);
/* Stops listening, closes SSE streams; called before ots_engine_free(). */
void ots_http_stop(struct ots_http *http);

#endif
