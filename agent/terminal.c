/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Interactive mode (doc/agent.md "Interactive mode").  One request is on
 * screen at a time; the others wait in order.  Lines starting with ':'
 * are commands (:b back, :e end session, :busy); "::" types a ':'.
 */
#define G_LOG_DOMAIN "stkbridge-agent"

#include <string.h>

#include "terminal.h"

struct stkagent_terminal {
	struct stkagent_ctx *ctx;
	GIOChannel *channel;
	guint watch;
	bool eof;
	GQueue waiting;		/* of struct stkagent_modem *, head on screen */
};

static void prompt(struct stkagent_terminal *term)
{
	struct stkagent_modem *modem = g_queue_peek_head(&term->waiting);
	const struct stkagent_request *req;
	const char *hint;

	if (modem == NULL || (req = stkagent_modem_request(modem)) == NULL)
		return;
	switch (stkagent_method_info(req->method)->shape) {
	case STKAGENT_SHAPE_CONFIRM:
		hint = "y/n";
		break;
	case STKAGENT_SHAPE_INPUT:
		hint = req->default_text && req->default_text[0] ? "text, Enter for the default" :
			"text";
		break;
	case STKAGENT_SHAPE_KEY:
		hint = req->method == STKAGENT_REQUEST_KEY ? "one key" : "one digit";
		break;
	case STKAGENT_SHAPE_SELECT:
		hint = req->default_item >= 0 ? "item number, Enter for the default" :
			"item number";
		break;
	default:
		hint = "Enter to acknowledge";
		break;
	}
	/* the prompt is for the user even with --quiet */
	fprintf(stderr, "%s (:b back, :e end%s)> ", hint,
		req->method == STKAGENT_DISPLAY_TEXT ? ", :busy" : "");
	fflush(stderr);
}

static void answer_head(struct stkagent_terminal *term, const char *line)
{
	struct stkagent_modem *modem = g_queue_peek_head(&term->waiting);
	const struct stkagent_request *req = modem ? stkagent_modem_request(modem) : NULL;
	struct stkagent_answer answer;
	g_autofree char *message = NULL;

	if (req == NULL) {
		if (modem)
			g_queue_pop_head(&term->waiting);
		return;	/* a line typed with nothing on screen */
	}
	if (line == NULL) {
		memset(&answer, 0, sizeof(answer));
		answer.kind = STKAGENT_ANSWER_END;
	} else if (!stkagent_answer_from_user(req, line, &answer, &message)) {
		fprintf(stderr, "%s\n", message);
		prompt(term);
		return;
	}
	g_queue_pop_head(&term->waiting);
	stkagent_modem_answer(modem, &answer, "user");
	stkagent_answer_clear(&answer);
	prompt(term);
}

static gboolean on_input(GIOChannel *channel, GIOCondition cond, gpointer data)
{
	struct stkagent_terminal *term = data;
	g_autofree char *line = NULL;
	GIOStatus status;

	status = g_io_channel_read_line(channel, &line, NULL, NULL, NULL);
	if (status == G_IO_STATUS_AGAIN)
		return G_SOURCE_CONTINUE;
	if (status == G_IO_STATUS_NORMAL) {
		answer_head(term, line);
		return G_SOURCE_CONTINUE;
	}
	/* EOF or error: from now on every request ends the session */
	term->eof = true;
	term->watch = 0;
	fprintf(stderr, "\n(end of input: requests end the session from now on)\n");
	while (!g_queue_is_empty(&term->waiting))
		answer_head(term, NULL);
	return G_SOURCE_REMOVE;
}

struct stkagent_terminal *stkagent_terminal_new(struct stkagent_ctx *ctx, int fd)
{
	struct stkagent_terminal *term = g_new0(struct stkagent_terminal, 1);

	term->ctx = ctx;
	g_queue_init(&term->waiting);
	term->channel = g_io_channel_unix_new(fd);
	g_io_channel_set_encoding(term->channel, NULL, NULL);
	term->watch = g_io_add_watch(term->channel, G_IO_IN | G_IO_HUP | G_IO_ERR, on_input, term);
	return term;
}

void stkagent_terminal_free(struct stkagent_terminal *term)
{
	if (term == NULL)
		return;
	if (term->watch)
		g_source_remove(term->watch);
	g_io_channel_unref(term->channel);
	g_queue_clear(&term->waiting);
	g_free(term);
}

void stkagent_terminal_ask(struct stkagent_terminal *term, struct stkagent_modem *modem)
{
	g_queue_push_tail(&term->waiting, modem);
	if (term->eof) {
		answer_head(term, NULL);
		return;
	}
	if (g_queue_get_length(&term->waiting) == 1)
		prompt(term);
}

void stkagent_terminal_forget(struct stkagent_terminal *term, struct stkagent_modem *modem)
{
	bool was_head = g_queue_peek_head(&term->waiting) == modem;

	g_queue_remove(&term->waiting, modem);
	if (was_head) {
		fprintf(stderr, "\n");
		prompt(term);
	}
}
