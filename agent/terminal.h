/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Interactive mode: shows each request on the terminal and reads the
 * user's answer from standard input, one line per answer (keys in
 * doc/agent.md "Interactive mode").  Requests from several modems queue.
 */
#ifndef STKAGENT_TERMINAL_H
#define STKAGENT_TERMINAL_H

#include <stdbool.h>

#include "agent.h"

struct stkagent_terminal *stkagent_terminal_new(struct stkagent_ctx *ctx, int fd);
void stkagent_terminal_free(struct stkagent_terminal *term);
/* The modem has a request waiting for the user. */
void stkagent_terminal_ask(struct stkagent_terminal *term, struct stkagent_modem *modem);
/* The modem's request ended otherwise (Cancel, Release, oFono gone). */
void stkagent_terminal_forget(struct stkagent_terminal *term, struct stkagent_modem *modem);

#endif
