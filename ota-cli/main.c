/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ota-cli (doc/ota-cli.md): offline secured-packet and deferred-message
 * tools (`packet`, `message`), and the client of ota-test-server's HTTP API
 * (`tx`, `card`, `rfm`, `campaign`).  This file holds the table of every subcommand, the
 * dispatch to it, and the one option parser all of them use (GOption).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota-cli.h"

static const struct ota_cli_command commands[] = {
	{ "packet", "wrap", NULL,
	  "secures a command packet (TS 102 225 §5.1); prints it from CPL on, without 027000",
	  ota_cli_packet_wrap },
	{ "packet", "unwrap-command", "PACKET",
	  "opens a command packet, with or without 027000; prints it as JSON",
	  ota_cli_packet_unwrap_command },
	{ "packet", "wrap-response", NULL,
	  "secures a response packet (PoR, TS 102 225 §5.2); prints it with its 027100 header",
	  ota_cli_packet_wrap_response },
	{ "packet", "unwrap-response", "PACKET",
	  "opens a PoR, with the SPI, KIc and KID of the command it answers; prints it as JSON",
	  ota_cli_packet_unwrap_response },
	{ "message", "c1", NULL, "builds a C1 (doc/protocol.md §4.1); prints it as one line of hex",
	  ota_cli_message_c1 },
	{ "message", "c2", NULL, "builds a C2; prints it as one line of hex", ota_cli_message_c2 },
	{ "message", "release", NULL, "builds a release; prints it as one line of hex",
	  ota_cli_message_release },
	{ "message", "decode", "HEX",
	  "reads any message (C1, C2, release, IR, MG, R2S); prints it as JSON",
	  ota_cli_message_decode },
	{ "tx", "start", NULL,
	  "starts a deferred transaction; prints {\"id\":N}, or with --wait its final JSON "
	  "(exit 0 completed, 2 expired or failed)", ota_cli_tx_start },
	{ "tx", "show", "ID", "prints a transaction", ota_cli_tx_show },
	{ "tx", "list", NULL, "lists transactions, newest first", ota_cli_tx_list },
	{ "tx", "poll", "ID", "sends C2 now, to a transaction that is waiting", ota_cli_tx_poll },
	{ "tx", "events", NULL, "prints timeline events as they happen, one JSON object a line",
	  ota_cli_tx_events },
	{ "card", "import", "FILE",
	  "registers the card of a uicc-emu card config file (doc/card-config.md)",
	  ota_cli_card_import },
	{ "card", "add", "FILE", "registers a card given as JSON (doc/api.md); '-' reads stdin",
	  ota_cli_card_add },
	{ "card", "list", NULL, "lists the registered cards", ota_cli_card_list },
	{ "card", "show", "ICCID", "prints a registered card, without its keys", ota_cli_card_show },
	{ "card", "remove", "ICCID", "removes a card", ota_cli_card_remove },
	{ "rfm", "", NULL,
	  "sends a script of C-APDUs to a card's RFM application (TS 102 226); prints {\"id\":N}, "
	  "or with --wait the operation with every R-APDU (exit 0 every command succeeded, "
	  "2 not); also: ota-cli rfm show ID, ota-cli rfm list", ota_cli_rfm_send },
	{ "rfm", "show", "ID", "prints an RFM operation with its result and timeline", ota_cli_rfm_show },
	{ "rfm", "list", NULL, "lists RFM operations, newest first", ota_cli_rfm_list },
	{ "campaign", "start", NULL,
	  "sends one script to many cards; prints {\"id\":N}, or with --wait a progress bar and "
	  "the final counts (exit 0 every card done, 2 not)", ota_cli_campaign_start },
	{ "campaign", "show", "ID", "prints a campaign with each card's state and result",
	  ota_cli_campaign_show },
	{ "campaign", "list", NULL, "lists campaigns with their counts", ota_cli_campaign_list },
	{ "campaign", "cancel", "ID", "cancels a campaign (cards not yet sent the script)",
	  ota_cli_campaign_cancel },
};

/* "rfm" for a group's own command, else "rfm show" (g_free). */
static char *title(const struct ota_cli_command *c)
{
	return *c->name ? g_strdup_printf("%s %s", c->group, c->name) : g_strdup(c->group);
}

/* ---- help and dispatch ------------------------------------------------------------ */

static void print_command(const struct ota_cli_command *c)
{
	char *t = title(c);
	char *call = g_strdup_printf("%s%s%s", t, c->arg ? " " : "", c->arg ? c->arg : "");

	printf("  %-30s %s\n", call, c->summary);
	g_free(call);
	g_free(t);
}

/* The commands of `group` (all when NULL). */
static void print_usage(const char *group)
{
	const char *g = group ? group : "GROUP";

	printf("usage: ota-cli %s COMMAND [OPTIONS] [ARG]\n"
	       "       ota-cli %s COMMAND --help   lists the command's options\n\n", g, g);
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		if (!group || strcmp(commands[i].group, group) == 0)
			print_command(&commands[i]);
	if (!group || (strcmp(group, "packet") != 0 && strcmp(group, "message") != 0))
		printf("\nThe tx, card, rfm and campaign commands talk to the server of --server "
		       "http://HOST:PORT, else $OTA_SERVER.\n");
}

static bool is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* "a, b or c": the names of a group's commands, or the groups. */
static char *choices(const char *group)
{
	GString *s = g_string_new(NULL);
	const char *last = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
		const char *name = group ? commands[i].name : commands[i].group;

		if ((group && strcmp(commands[i].group, group) != 0) || (last && strcmp(last, name) == 0) ||
		    !*name)
			continue;
		if (last)
			g_string_append(s, ", ");
		g_string_append(s, name);
		last = name;
	}
	return g_string_free(s, FALSE);
}

static bool group_exists(const char *group)
{
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		if (strcmp(commands[i].group, group) == 0)
			return true;
	return false;
}

static const struct ota_cli_command *find_command(const char *group, const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		if (strcmp(commands[i].group, group) == 0 && strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct ota_cli_command *cmd;
	char *list;
	int rc;

	if (argc >= 2 && is_help(argv[1])) {
		print_usage(NULL);
		return 0;
	}
	if (argc < 2 || !group_exists(argv[1])) {
		list = choices(NULL);
		if (argc < 2)
			rc = ota_cli_fail("missing command: %s (see ota-cli --help)", list);
		else
			rc = ota_cli_fail("unknown command '%s': %s (see ota-cli --help)", argv[1], list);
		g_free(list);
		return rc;
	}
	/* a group's own command (ota-cli rfm --iccid ...): its options follow the group */
	cmd = find_command(argv[1], "");
	if (cmd && (argc < 3 || argv[2][0] == '-'))
		return cmd->run(cmd, argc - 1, argv + 1);
	if (argc >= 3 && is_help(argv[2])) {
		print_usage(argv[1]);
		return 0;
	}
	cmd = argc >= 3 ? find_command(argv[1], argv[2]) : NULL;
	if (!cmd) {
		list = choices(argv[1]);
		if (argc < 3)
			rc = ota_cli_fail("%s: missing subcommand: %s (see ota-cli --help)", argv[1], list);
		else
			rc = ota_cli_fail("unknown subcommand '%s %s': %s (see ota-cli --help)",
					  argv[1], argv[2], list);
		g_free(list);
		return rc;
	}
	return cmd->run(cmd, argc - 2, argv + 2);
}

/* ---- options ---------------------------------------------------------------------- */

static bool takes_value(const GOptionEntry *e)
{
	return e->arg != G_OPTION_ARG_NONE;
}

static bool repeatable(const GOptionEntry *e)
{
	return e->arg == G_OPTION_ARG_STRING_ARRAY || e->arg == G_OPTION_ARG_FILENAME_ARRAY;
}

static const GOptionEntry *find_entry(const GArray *entries, const char *name, size_t len)
{
	for (guint i = 0; i < entries->len; i++) {
		const GOptionEntry *e = &g_array_index(entries, GOptionEntry, i);

		if (e->long_name && strlen(e->long_name) == len && strncmp(e->long_name, name, len) == 0)
			return e;
	}
	return NULL;
}

/* GOption keeps the last of a repeated option: here that is an error, as --kic given twice
 * is more likely a typo than a wish.  Unknown options are left to GOption. */
static bool check_repeats(const struct ota_cli_command *cmd, int argc, char **argv,
			  const GArray *entries)
{
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	bool ok = true;

	for (int i = 1; ok && i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *name = argv[i] + 2;
		size_t len = strcspn(name, "=");
		const GOptionEntry *e;

		if (!g_str_has_prefix(argv[i], "--") || !(e = find_entry(entries, name, len)))
			continue;
		if (takes_value(e) && name[len] != '=')
			i++;   /* its value, whatever it looks like */
		if (!repeatable(e) && !g_hash_table_add(seen, (gpointer)e->long_name)) {
			char *t = title(cmd);

			ota_cli_fail("%s: --%s given twice", t, e->long_name);
			g_free(t);
			ok = false;
		}
	}
	g_hash_table_destroy(seen);
	return ok;
}

static bool check_positional(const struct ota_cli_command *cmd, int argc, char **argv)
{
	char *t = title(cmd);
	bool ok = false;

	if (cmd->arg && argc < 2)
		ota_cli_fail("%s: %s is missing (see ota-cli %s --help)", t, cmd->arg, t);
	else if (argc > (cmd->arg ? 2 : 1))
		ota_cli_fail("%s: unexpected argument '%s'", t, argv[cmd->arg ? 2 : 1]);
	else
		ok = true;
	g_free(t);
	return ok;
}

static G_NORETURN void print_help_and_exit(GOptionContext *ctx)
{
	char *text = g_option_context_get_help(ctx, TRUE, NULL);

	fputs(text, stdout);
	g_free(text);
	exit(fflush(stdout) == 0 ? 0 : 1);
}

bool ota_cli_parse(const struct ota_cli_command *cmd, int *argc, char ***argv,
		   const GOptionEntry *entries, struct ota_cli_server *server)
{
	const GOptionEntry server_entries[] = {
		{ "server", 0, 0, G_OPTION_ARG_STRING, server ? &server->url : NULL,
		  "the server (else $OTA_SERVER)", "http://HOST:PORT" },
		{ "pretty", 0, 0, G_OPTION_ARG_NONE, server ? &server->pretty : NULL,
		  "indented JSON", NULL },
		{ NULL }
	};
	gboolean help = FALSE;
	const GOptionEntry help_entry = {
		"help", 'h', 0, G_OPTION_ARG_NONE, &help, "shows this help", NULL
	};
	GArray *all = g_array_new(TRUE, TRUE, sizeof(GOptionEntry));
	char *t = title(cmd);
	char *prgname = g_strdup_printf("ota-cli %s", t);
	GOptionContext *ctx = g_option_context_new(cmd->arg);
	GError *error = NULL;
	bool ok;

	for (const GOptionEntry *e = entries; e && e->long_name; e++)
		g_array_append_val(all, *e);
	if (server)
		g_array_append_vals(all, server_entries, 2);
	g_array_append_val(all, help_entry);
	g_set_prgname(prgname);
	g_option_context_set_summary(ctx, cmd->summary);
	/* --help is ours: GOption's would print through the locale's charset */
	g_option_context_set_help_enabled(ctx, FALSE);
	g_option_context_add_main_entries(ctx, (const GOptionEntry *)all->data, NULL);
	ok = check_repeats(cmd, *argc, *argv, all);
	if (ok && !g_option_context_parse(ctx, argc, argv, &error)) {
		ota_cli_fail("%s: %s", t, error->message);
		g_error_free(error);
		ok = false;
	}
	if (ok && help)
		print_help_and_exit(ctx);
	ok = ok && check_positional(cmd, *argc, *argv);
	g_option_context_free(ctx);
	g_array_free(all, TRUE);
	g_free(prgname);
	g_free(t);
	return ok;
}

void ota_cli_server_clear(struct ota_cli_server *server)
{
	g_clear_pointer(&server->url, g_free);
}
