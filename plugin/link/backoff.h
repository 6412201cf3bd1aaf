/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A reconnection timer whose wait doubles after every attempt, from min_ms
 * up to max_ms, until reset (the link worked): under link/stream.c's
 * reconnections and the modem's card (modem.c).  On the GLib main loop.
 */
#ifndef SB_LINK_BACKOFF_H
#define SB_LINK_BACKOFF_H

#include <glib.h>
#include <stdbool.h>

struct sb_backoff {
	unsigned min_ms, max_ms, next_ms;
	guint id;                     /* the scheduled attempt, 0: none */
	void (*attempt)(void *data);
	void *data;
};

void sb_backoff_init(struct sb_backoff *b, unsigned min_ms, unsigned max_ms, void (*attempt)(void *data),
		     void *data);
/* attempt(data) once after the current wait, which then doubles; nothing if one is scheduled already. */
void sb_backoff_schedule(struct sb_backoff *b);
/* Drops the scheduled attempt, if any. */
void sb_backoff_cancel(struct sb_backoff *b);
/* The next wait is min_ms again. */
void sb_backoff_reset(struct sb_backoff *b);

static inline bool sb_backoff_pending(const struct sb_backoff *b)
{
	return b->id != 0;
}

#endif
