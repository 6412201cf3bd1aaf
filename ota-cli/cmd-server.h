/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ota-cli's server commands (`tx`, `card`): clients of the ota-test-server
 * HTTP API (doc/api.md, doc/ota-cli.md).
 */
#ifndef OTA_CLI_SERVER_H
#define OTA_CLI_SERVER_H

#include <glib.h>
#include <stdbool.h>

struct ota_client;

/* argv[0] is "tx" / "card".  Return the process exit status. */
int cli_tx_main(int argc, char **argv);
int cli_card_main(int argc, char **argv);

/* Multi-line usages. */
extern const char cli_tx_usage[];
extern const char cli_card_usage[];

/*
 * Shared by the commands (cli-tx.c): parses --server, --pretty and entries
 * (positional arguments stay in argv); then connects to the server given
 * by --server or $OTA_SERVER.  Both print the error and return false.
 */
bool cli_parse_options(int *argc, char ***argv, const GOptionEntry *entries, const char *args);
bool cli_connect(struct ota_client *c, bool stream);

#endif
