/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ota-cli message ...`: build and read the deferred-response messages (doc/protocol.md). */
#ifndef OTA_CLI_MESSAGE_H
#define OTA_CLI_MESSAGE_H

/* argv[0] is "message".  Returns the process exit status. */
int cli_message_main(int argc, char **argv);

extern const char cli_message_usage[];

#endif
