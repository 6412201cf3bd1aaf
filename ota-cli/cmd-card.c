/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ota-cli card import|add|list|show|remove: the server's card registry
 * through its HTTP API (doc/api.md).  import sends a uicc-emu card config
 * file's contents (the server never opens client-named paths); add sends a
 * card as JSON.  Keys are read from files, never from the command line
 * (which other users can see), and never printed: the server answers
 * without them.
 */
#include "cmd-server.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

const char cli_card_usage[] =
"  ota-cli card import CARD.ini [--replace]\n"
"      registers the card of a uicc-emu card config file (doc/card-config.md)\n"
"  ota-cli card add CARD.json [--replace]\n"
"      registers a card given as JSON (doc/api.md); '-' reads stdin\n"
"  ota-cli card list | card show ICCID | card remove ICCID\n";

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

static int card_post(int argc, char **argv, const char *content_type, const char *what)
{
	gboolean replace = FALSE;
	const GOptionEntry entries[] = {
		{ "replace", 0, 0, G_OPTION_ARG_NONE, &replace, "replace a registered card", NULL },
		{ NULL }
	};
	struct ota_client c = { 0 };
	JsonNode *answer = NULL;
	char *data = NULL;
	size_t len = 0;
	guint st;
	int rc = 1;

	if (!cli_parse_options(&argc, &argv, entries, "FILE"))
		return 1;
	if (argc != 2)
		return ota_cli_fail("usage: ota-cli card %s FILE [--replace]", what);
	data = read_input(argv[1], &len);
	if (!data)
		return 1;
	if (cli_connect(&c, false) &&
	    ota_client_call(&c, "POST", replace ? "/v1/cards?replace=true" : "/v1/cards",
			    content_type, data, len, &st, &answer)) {
		if (answer)
			ota_client_print(&c, answer);
		rc = 0;
	}
	/* the file holds keys: do not leave them in freed memory */
	explicit_bzero(data, len);
	g_free(data);
	if (answer)
		json_node_unref(answer);
	ota_client_clear(&c);
	return rc;
}

static int card_list(int argc, char **argv)
{
	struct ota_client c = { 0 };
	JsonNode *answer = NULL;
	guint st;
	int rc = 1;

	if (!cli_parse_options(&argc, &argv, NULL, "- list the registered cards"))
		return 1;
	if (argc != 1)
		return ota_cli_fail("usage: ota-cli card list");
	if (cli_connect(&c, false) &&
	    ota_client_call(&c, "GET", "/v1/cards", NULL, NULL, 0, &st, &answer) && answer) {
		ota_client_print(&c, answer);
		rc = 0;
	}
	if (answer)
		json_node_unref(answer);
	ota_client_clear(&c);
	return rc;
}

static int card_one(int argc, char **argv, const char *method, const char *what)
{
	struct ota_client c = { 0 };
	JsonNode *answer = NULL;
	char *iccid, *path;
	guint st;
	int rc = 1;

	if (!cli_parse_options(&argc, &argv, NULL, "ICCID"))
		return 1;
	if (argc != 2 || !*argv[1])
		return ota_cli_fail("usage: ota-cli card %s ICCID", what);
	if (!cli_connect(&c, false))
		return 1;
	iccid = ota_client_escape(argv[1]);
	path = g_strconcat("/v1/cards/", iccid, NULL);
	if (ota_client_call(&c, method, path, NULL, NULL, 0, &st, &answer)) {
		if (answer)
			ota_client_print(&c, answer);
		rc = 0;
	}
	if (answer)
		json_node_unref(answer);
	g_free(path);
	g_free(iccid);
	ota_client_clear(&c);
	return rc;
}

int cli_card_main(int argc, char **argv)
{
	if (argc < 2)
		return ota_cli_fail("missing subcommand: card import, add, list, show or remove "
				    "(see ota-cli --help)");
	if (strcmp(argv[1], "import") == 0)
		return card_post(argc - 1, argv + 1, "text/plain", "import");
	if (strcmp(argv[1], "add") == 0)
		return card_post(argc - 1, argv + 1, "application/json", "add");
	if (strcmp(argv[1], "list") == 0)
		return card_list(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return card_one(argc - 1, argv + 1, "GET", "show");
	if (strcmp(argv[1], "remove") == 0)
		return card_one(argc - 1, argv + 1, "DELETE", "remove");
	return ota_cli_fail("unknown subcommand 'card %s' (see ota-cli --help)", argv[1]);
}
