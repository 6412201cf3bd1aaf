/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text for the agent's screen (doc/agent.md "Interactive mode"): what the
 * card sent, wrapped to an 80-column terminal at blanks, with control
 * characters (escape sequences, carriage returns, ...) shown as blanks so
 * a card cannot draw on the user's terminal.  Pure: no I/O.
 */
#ifndef STKAGENT_SCREEN_TEXT_H
#define STKAGENT_SCREEN_TEXT_H

#include <glib.h>

/* The widest line the agent writes: one column short of an 80-column terminal. */
#define STKAGENT_SCREEN_WIDTH 79

/* Columns a character takes on a terminal: 0 (combining), 2 (wide) or 1. */
guint stkagent_screen_char_width(gunichar c);
/*
 * Appends text to out, one line per '\n' of it, each wrapped at width
 * columns: the first line starts with first, the others with indent (ASCII
 * prefixes).  Words longer than a line are cut.  Every line ends in '\n'.
 */
void stkagent_screen_wrap(GString *out, const char *first, const char *indent, const char *text,
			  guint width);

#endif
