/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ota-cli's HTTP client, for the server commands (cmd-tx.c, cmd-card.c):
 * the server's address (--server or $OTA_SERVER), synchronous requests with
 * libsoup-3, JSON in and out.  Every failure is printed by ota_cli_fail().
 */
#ifndef OTA_CLI_CLIENT_H
#define OTA_CLI_CLIENT_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdbool.h>

#include "ota-cli.h"

struct ota_client {
	SoupSession *session;
	char *base;            /* "http://127.0.0.1:8080", no trailing '/' */
	bool pretty;
};


/*
 * The server of --server or else $OTA_SERVER, and --pretty.  false after
 * printing the error.  stream: no I/O timeout (event streams).
 */
bool ota_client_init(struct ota_client *c, const struct ota_cli_server *server, bool stream);
void ota_client_clear(struct ota_client *c);

/*
 * One request.  path is absolute ("/v1/cards"); content_type NULL means no
 * body.  On a 2xx answer returns true with *status and *json (NULL when the
 * body is empty).  Else prints one line (the server's "error" and the
 * status, or the transport error) and returns false.
 */
bool ota_client_call(struct ota_client *c, const char *method, const char *path,
		     const char *content_type, const void *body, size_t len,
		     guint *status, JsonNode **json);

/*
 * POSTs obj (as a JSON body; the caller keeps it) to path; on success *id is
 * the reply's "id" (the object the server created) and *answer the reply
 * (json_node_unref), else false after printing why.
 */
bool ota_client_post_id(struct ota_client *c, const char *path, JsonObject *obj, gint64 *id,
			JsonNode **answer);

/*
 * Whether a polled object is final; called with each answer (it may draw
 * progress).  ota_client_poll GETs path every 200 ms until it is, or until
 * timeout_s (0: no limit) passed: then false after printing a line that
 * names what and its "state".  *last gets the final answer.
 */
typedef bool (*ota_client_final_fn)(JsonNode *answer, void *user);
bool ota_client_poll(struct ota_client *c, const char *path, const char *what,
		     ota_client_final_fn final, void *user, int timeout_s, JsonNode **last);

/*
 * A listing: GET path (its answer an array) and the pages its answers'
 * Link rel="next" headers name (RFC 8288), printed as one JSON array as
 * they come (as ota_client_print would print the whole), until the last
 * page or limit items (a list command's --limit; 0: all, negative refused).
 * A failure after the first page leaves the printed array unclosed: it
 * never parses as the whole list.  Returns the exit status.
 */
int ota_client_list(struct ota_client *c, const char *path, int limit);

/* The "state" member of an answer, or NULL. */
const char *ota_client_state(JsonNode *answer);

/* Prints node on stdout (one line, or indented with --pretty). */
void ota_client_print(const struct ota_client *c, JsonNode *node);

/*
 * A server command without options of its own: parses --server/--pretty,
 * sends `method prefix[/ARG]suffix`, ARG the command's positional argument
 * (percent-encoded) if it takes one, and prints the answer if there is one.
 * Returns the exit status.
 */
int ota_client_run(const struct ota_cli_command *cmd, int argc, char **argv, const char *method,
		   const char *prefix, const char *suffix);

/* A path segment or query value, percent-encoded (g_free). */
char *ota_client_escape(const char *s);
/* Appends "?name=value" or "&name=value", the value escaped, when value is given. */
void ota_client_add_query(GString *path, const char *name, const char *value);

#endif
