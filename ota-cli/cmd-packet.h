/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ota-cli packet ...`: offline secured-packet tools (TS 102 225, TS 31.115). */
#ifndef OTA_CLI_PACKET_H
#define OTA_CLI_PACKET_H

/* argv[0] is "packet".  Returns the process exit status. */
int cli_packet_main(int argc, char **argv);

/* Multi-line usage of the packet subcommands. */
extern const char cli_packet_usage[];

#endif
