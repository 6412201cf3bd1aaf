/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ota-cli's subcommands: `ota-cli GROUP NAME [OPTIONS] [ARG]` (doc/ota-cli.md).
 * main.c holds the table of every subcommand and dispatches to it; each
 * cmd-*.c implements one group, each subcommand parsing its own
 * GOptionEntry table with ota_cli_parse().  Errors follow one rule, kept by
 * ota_cli_fail() (fail.c): exit status 1, exactly one line on stderr
 * starting "ota-cli: ", nothing on stdout.
 */
#ifndef OTA_CLI_H
#define OTA_CLI_H

#include <glib.h>
#include <stdbool.h>

struct ota_cli_command;

/* A subcommand: argv[0] is its name.  Returns the process exit status. */
typedef int (*ota_cli_run)(const struct ota_cli_command *cmd, int argc, char **argv);

struct ota_cli_command {
	const char *group;     /* "packet", "message", "tx", "card", "rfm", "campaign" */
	const char *name;      /* "wrap", "c1", "start", ...; "" for the group's own command (rfm) */
	const char *arg;       /* its one positional argument ("PACKET"), or NULL for none */
	const char *summary;   /* one line for --help */
	ota_cli_run run;
};

/* --server and --pretty, which every server command (tx, card, rfm, campaign) takes. */
struct ota_cli_server {
	char *url;             /* --server, else $OTA_SERVER (client.c) */
	gboolean pretty;       /* indented JSON */
};

/*
 * Parses a subcommand's options with GOption: `entries` (NULL-terminated,
 * may be NULL) and, when `server` is not NULL, --server and --pretty.
 * --help prints the subcommand's help and exits 0.  An unknown option, an
 * option given twice (arrays excepted), or positional arguments other than
 * cmd->arg asks for is an error.  The positional argument, if any, is left
 * in (*argv)[1].  false after printing the error.
 */
bool ota_cli_parse(const struct ota_cli_command *cmd, int *argc, char ***argv,
		   const GOptionEntry *entries, struct ota_cli_server *server);
void ota_cli_server_clear(struct ota_cli_server *server);

/* Prints "ota-cli: MESSAGE" (line breaks folded) on stderr; returns 1. */
int ota_cli_fail(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* cmd-packet.c: secured packets (TS 102 225 §5, TS 31.115 §4) */
int ota_cli_packet_wrap(const struct ota_cli_command *cmd, int argc, char **argv);
int ota_cli_packet_unwrap_command(const struct ota_cli_command *cmd, int argc, char **argv);
int ota_cli_packet_wrap_response(const struct ota_cli_command *cmd, int argc, char **argv);
int ota_cli_packet_unwrap_response(const struct ota_cli_command *cmd, int argc, char **argv);

/* cmd-message.c: the deferred-response messages (doc/protocol.md) */
int ota_cli_message_c1(const struct ota_cli_command *cmd, int argc, char **argv);
int ota_cli_message_c2(const struct ota_cli_command *cmd, int argc, char **argv);
int ota_cli_message_release(const struct ota_cli_command *cmd, int argc, char **argv);
int ota_cli_message_decode(const struct ota_cli_command *cmd, int argc, char **argv);

/* cmd-tx.c: transactions through the server's HTTP API (doc/api.md) */
int ota_cli_tx_start(const struct ota_cli_command *cmd, int argc, char **argv);
int ota_cli_tx_show(const struct ota_cli_command *cmd, int argc, char **argv);
int ota_cli_tx_list(const struct ota_cli_command *cmd, int argc, char **argv);
int ota_cli_tx_poll(const struct ota_cli_command *cmd, int argc, char **argv);
int ota_cli_tx_events(const struct ota_cli_command *cmd, int argc, char **argv);

/* cmd-rfm.c: RFM operations and campaigns through the server (doc/rfm.md, doc/api.md) */
int ota_cli_rfm_send(const struct ota_cli_command *cmd, int argc, char **argv);
int ota_cli_rfm_show(const struct ota_cli_command *cmd, int argc, char **argv);
int ota_cli_rfm_list(const struct ota_cli_command *cmd, int argc, char **argv);
int ota_cli_campaign_start(const struct ota_cli_command *cmd, int argc, char **argv);
int ota_cli_campaign_show(const struct ota_cli_command *cmd, int argc, char **argv);
int ota_cli_campaign_list(const struct ota_cli_command *cmd, int argc, char **argv);
int ota_cli_campaign_cancel(const struct ota_cli_command *cmd, int argc, char **argv);

/* cmd-card.c: the server's card registry (doc/api.md) */
int ota_cli_card_import(const struct ota_cli_command *cmd, int argc, char **argv);
int ota_cli_card_add(const struct ota_cli_command *cmd, int argc, char **argv);
int ota_cli_card_list(const struct ota_cli_command *cmd, int argc, char **argv);
int ota_cli_card_show(const struct ota_cli_command *cmd, int argc, char **argv);
int ota_cli_card_remove(const struct ota_cli_command *cmd, int argc, char **argv);

#endif
