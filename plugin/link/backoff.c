// SPDX-License-Identifier: GPL-2.0-or-later
/* A reconnection timer with a doubling wait (backoff.h). */
#include "link/backoff.h"

void sb_backoff_init(struct sb_backoff *b, unsigned min_ms, unsigned max_ms, void (*attempt)(void *data),
		     void *data)
{
	sb_backoff_cancel(b);
	b->min_ms = min_ms;
	b->max_ms = MAX(min_ms, max_ms);
	b->next_ms = min_ms;
	b->attempt = attempt;
	b->data = data;
}

static gboolean fire(gpointer p)
{
	struct sb_backoff *b = p;

	b->id = 0;
	b->attempt(b->data);
	return G_SOURCE_REMOVE;
}

void sb_backoff_schedule(struct sb_backoff *b)
{
	if (b->id)
		return;
	b->id = g_timeout_add(b->next_ms, fire, b);
	b->next_ms = MIN(b->next_ms * 2, b->max_ms);
}

void sb_backoff_cancel(struct sb_backoff *b)
{
	if (b->id)
		g_source_remove(b->id);
	b->id = 0;
}

void sb_backoff_reset(struct sb_backoff *b)
{
	b->next_ms = b->min_ms;
}
