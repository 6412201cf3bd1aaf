/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ota-cli: command-line tools of the OTA test server.  For now only the
 * offline packet tools (`ota-cli packet ...`); the server client commands
 * come with the ota-test-server issue.
 *
 * Errors: exit status 1, exactly one line on stderr, nothing on stdout.
 */
#include <stdio.h>
#include <string.h>

#include "cmd-message.h"
#include "cmd-packet.h"
#include "cmd-server.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ota-cli packet|message|tx|card SUBCOMMAND [OPTIONS]\n\n%s\n%s\n%s\n%s",
		cli_packet_usage, cli_message_usage, cli_tx_usage, cli_card_usage);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "packet") == 0)
		return cli_packet_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "message") == 0)
		return cli_message_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "tx") == 0)
		return cli_tx_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "card") == 0)
		return cli_card_main(argc - 1, argv + 1);
	if (argc < 2)
		fprintf(stderr, "ota-cli: missing command; usage: ota-cli packet SUBCOMMAND [OPTIONS] (see ota-cli --help)\n");
	else
		fprintf(stderr, "ota-cli: unknown command '%s'; usage: ota-cli packet SUBCOMMAND [OPTIONS] (see ota-cli --help)\n",
			argv[1]);
	return 1;
}
