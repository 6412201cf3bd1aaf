/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The live timeline page (doc/api.md, "The timeline page"): GET or HEAD /
 * and /assets/NAME, from the GResource compiled into the binary out of
 * api/web/ (ots-web.gresource.xml), so the page works offline and needs
 * nothing installed beside the server.  The page is a client of the public
 * API like any other; nothing here reads the engine.
 *
 * Every answer carries a strict Content-Security-Policy (scripts, styles
 * and connections from this origin only, nothing inline, no framing) and an
 * ETag of its bytes with "Cache-Control: no-cache": a browser revalidates
 * (304) and never keeps a page older than the binary.
 */
#include <string.h>

#include "api/api.h"

#define WEB_RESOURCE_ROOT "/org/stkbridge/ota-test-server/web/"
#define WEB_ASSETS "/assets/"

static const char csp[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static const struct {
	const char *suffix;
	const char *type;
} media_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
};

bool ots_api_web_path(const char *path)
{
	return strcmp(path, "/") == 0 || g_str_has_prefix(path, WEB_ASSETS);
}

static const char *media_type(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(media_types); i++)
		if (g_str_has_suffix(name, media_types[i].suffix))
			return media_types[i].type;
	return "application/octet-stream";
}

/* An asset's name: one path segment of [A-Za-z0-9._-], not starting with '.'. */
static bool asset_name_ok(const char *name)
{
	if (!*name || name[0] == '.')
		return false;
	for (const char *p = name; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr("._-", *p))
			return false;
	return true;
}

/* "sha256 of the bytes, first 32 hex digits", quoted (RFC 9110 §8.8.3) */
static char *etag_of(GBytes *bytes)
{
	char *sum = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, bytes);
	char *etag = g_strdup_printf("\"%.32s\"", sum);

	g_free(sum);
	return etag;
}

/* If-None-Match lists this ETag (or is "*"): RFC 9110 §13.1.2, weak comparison. */
static bool not_modified(SoupMessageHeaders *req, const char *etag)
{
	const char *inm = soup_message_headers_get_one(req, "If-None-Match");
	bool match = false;
	char **tags;

	if (!inm)
		return false;
	tags = g_strsplit(inm, ",", -1);
	for (char **t = tags; *t && !match; t++) {
		const char *s = g_strstrip(*t);

		if (g_str_has_prefix(s, "W/"))
			s += 2;
		match = strcmp(s, "*") == 0 || strcmp(s, etag) == 0;
	}
	g_strfreev(tags);
	return match;
}

void ots_api_web(SoupServerMessage *msg, const char *path)
{
	const char *method = soup_server_message_get_method(msg);
	const char *name;
	SoupMessageHeaders *hd;
	GBytes *bytes;
	char *resource, *etag;

	if (strcmp(method, SOUP_METHOD_GET) != 0 && strcmp(method, SOUP_METHOD_HEAD) != 0) {
		ots_api_reply_bad_method(msg, "GET, HEAD");
		return;
	}
	if (strcmp(path, "/") == 0) {
		name = "index.html";
		resource = g_strdup(WEB_RESOURCE_ROOT "index.html");
	} else {
		name = path + strlen(WEB_ASSETS);
		if (!asset_name_ok(name)) {
			ots_api_reply_error(msg, SOUP_STATUS_NOT_FOUND, NULL, "no such asset: %s", path);
			return;
		}
		resource = g_strconcat(WEB_RESOURCE_ROOT "assets/", name, NULL);
	}
	bytes = g_resources_lookup_data(resource, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
	g_free(resource);
	if (!bytes) {
		ots_api_reply_error(msg, SOUP_STATUS_NOT_FOUND, NULL, "no such asset: %s", path);
		return;
	}
	etag = etag_of(bytes);
	hd = soup_server_message_get_response_headers(msg);
	soup_message_headers_replace(hd, "Content-Security-Policy", csp);
	soup_message_headers_replace(hd, "X-Content-Type-Options", "nosniff");
	soup_message_headers_replace(hd, "Referrer-Policy", "no-referrer");
	soup_message_headers_replace(hd, "X-Frame-Options", "DENY");
	soup_message_headers_replace(hd, "Cache-Control", "no-cache");
	soup_message_headers_replace(hd, "ETag", etag);
	if (not_modified(soup_server_message_get_request_headers(msg), etag)) {
		soup_server_message_set_status(msg, SOUP_STATUS_NOT_MODIFIED, NULL);
	} else {
		soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
		soup_message_headers_replace(hd, "Content-Type", media_type(name));
		soup_message_body_append_bytes(soup_server_message_get_response_body(msg), bytes);
	}
	g_free(etag);
	g_bytes_unref(bytes);
}
