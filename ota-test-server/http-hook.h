/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hook through which the daemon (main.c) starts the HTTP/JSON API.
 * ota-test-server/api/ implements these two functions; until it exists,
 * http-stub.c does (it refuses --http).  In ota-test-server/meson.build,
 * `ots_http_sources` names the implementation: the API owner replaces
 * 'http-stub.c' there with the api/ sources and adds libsoup to
 * `ots_http_deps`.
 */
#ifndef OTS_HTTP_HOOK_H
#define OTS_HTTP_HOOK_H

#include <glib.h>

struct ots_engine;
struct ots_http;

/*
 * Starts serving on address ("127.0.0.1:8080", "[::1]:8080") in the
 * thread-default main context, calling the engine API (sv1/engine.h).
 * Returns NULL with error set on failure.
 */
struct ots_http *ots_http_start(struct ots_engine *engine, const char *address, GError **error);
/* Stops listening, closes SSE streams; called before ots_engine_free(). */
void ots_http_stop(struct ots_http *http);

#endif
