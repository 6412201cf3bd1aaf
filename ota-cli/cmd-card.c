/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `ota-cli card import|add|list|show|remove`: the server's card registry
 * through its HTTP API (doc/api.md).  import sends a uicc-emu card config
 * file's contents (the server never opens client-named paths); add sends a
 * card as JSON.  Keys are read from files, never from the command line
 * (which other users can see), and never printed: the server answers
 * without them.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "ota-cli.h"

/* The file's contents ('-': stdin); NULL after printing the error. */
static char *read_input(const char *path, size_t *len)
{
	GError *error = NULL;
	char *data = NULL;
	gsize n = 0;

	if (strcmp(path, "-") == 0) {
		GString *s = g_string_new(NULL);
		char buf[4096];
		size_t r;

		while ((r = fread(buf, 1, sizeof(buf), stdin)) > 0)
			g_string_append_len(s, buf, (gssize)r);
		n = s->len;
		data = g_string_free(s, FALSE);
	} else if (!g_file_get_contents(path, &data, &n, &error)) {
		ota_cli_fail("%s", error->message);
		g_error_free(error);
		return NULL;
	}
	*len = n;
	return data;
}

/* POST /v1/cards with the file's contents; prints the registered card. */
static int card_post(const struct ota_cli_command *cmd, int argc, char **argv,
		     const char *content_type)
{
	gboolean replace = FALSE;
	const GOptionEntry entries[] = {
		{ "replace", 0, 0, G_OPTION_ARG_NONE, &replace, "replace a registered card", NULL },
		{ NULL }
	};
	struct ota_cli_server server = { 0 };
	struct ota_client c = { 0 };
	JsonNode *answer = NULL;
	char *data = NULL;
	size_t len = 0;
	guint st;
	int rc = 1;

	if (!ota_cli_parse(cmd, &argc, &argv, entries, &server) || !(data = read_input(argv[1], &len)))
		goto out;
	if (ota_client_init(&c, &server, false) &&
	    ota_client_call(&c, "POST", replace ? "/v1/cards?replace=true" : "/v1/cards",
			    content_type, data, len, &st, &answer)) {
		if (answer)
			ota_client_print(&c, answer);
		rc = 0;
	}
	/* the file holds keys: do not leave them in freed memory */
	explicit_bzero(data, len);
out:
	g_free(data);
	if (answer)
		json_node_unref(answer);
	ota_client_clear(&c);
	ota_cli_server_clear(&server);
	return rc;
}

int ota_cli_card_import(const struct ota_cli_command *cmd, int argc, char **argv)
{
	return card_post(cmd, argc, argv, "text/plain");
}

int ota_cli_card_add(const struct ota_cli_command *cmd, int argc, char **argv)
{
	return card_post(cmd, argc, argv, "application/json");
}

/* Every card (or the first --limit), a page at a time. */
int ota_cli_card_list(const struct ota_cli_command *cmd, int argc, char **argv)
{
	int limit = 0;
	const GOptionEntry entries[] = {
		{ "limit", 0, 0, G_OPTION_ARG_INT, &limit, "at most N cards (0: all)", "N" },
		{ NULL }
	};
	struct ota_cli_server server = { 0 };
	struct ota_client c = { 0 };
	int rc = 1;

	if (ota_cli_parse(cmd, &argc, &argv, entries, &server) && ota_client_init(&c, &server, false))
		rc = ota_client_list(&c, "/v1/cards", limit);
	ota_client_clear(&c);
	ota_cli_server_clear(&server);
	return rc;
}

int ota_cli_card_show(const struct ota_cli_command *cmd, int argc, char **argv)
{
	return ota_client_run(cmd, argc, argv, "GET", "/v1/cards", "");
}

int ota_cli_card_remove(const struct ota_cli_command *cmd, int argc, char **argv)
{
	return ota_client_run(cmd, argc, argv, "DELETE", "/v1/cards", "");
}
