/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Interactive mode (doc/agent.md "Interactive mode").  One request is on
 * screen at a time; the others wait in order.  Lines starting with ':'
 * are commands (:h help, :b back, :e end session, :busy); "::" types a ':'.
 * While a request asks for hidden input (a PIN) and standard input is a
 * terminal, the terminal does not echo what is typed.
 */
#define G_LOG_DOMAIN "stkbridge-agent"

#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "screen-text.h"
#include "terminal.h"

struct stkagent_terminal {
	struct stkagent_ctx *ctx;
	GIOChannel *channel;
	int fd;
	guint watch;
	bool eof;
	GQueue waiting;		/* of struct stkagent_modem *, head on screen */
	bool echo_off;		/* saved holds the terminal's settings to restore */
	struct termios saved;
};

/* Hidden input: no echo (the Enter still moves to the next line), until restored. */
static void echo_hidden(struct stkagent_terminal *term, bool hidden)
{
	struct termios t;

	if (hidden == term->echo_off || !isatty(term->fd))
		return;
	if (hidden) {
		if (tcgetattr(term->fd, &term->saved) != 0)
			return;
		t = term->saved;
		t.c_lflag &= ~(tcflag_t)ECHO;
		t.c_lflag |= ECHONL;
		if (tcsetattr(term->fd, TCSAFLUSH, &t) == 0)
			term->echo_off = true;
		return;
	}
	tcsetattr(term->fd, TCSAFLUSH, &term->saved);
	term->echo_off = false;
}

static void prompt(struct stkagent_terminal *term)
{
	struct stkagent_modem *modem = g_queue_peek_head(&term->waiting);
	const struct stkagent_request *req = modem ? stkagent_modem_request(modem) : NULL;
	g_autofree char *hint = NULL, *commands = NULL, *line = NULL;
	g_autoptr(GString) s = NULL;

	echo_hidden(term, req && req->hide_typing);
	if (req == NULL)
		return;
	hint = stkagent_user_hint(req);
	commands = stkagent_user_commands(req);
	line = g_strdup_printf("%s (%s)", hint, commands);
	s = g_string_new(NULL);
	stkagent_screen_wrap(s, "  ", "  ", line, STKAGENT_SCREEN_WIDTH);
	/* the prompt is for the user even with --quiet */
	fprintf(stderr, "%s> ", s->str);
	fflush(stderr);
}

/*
 * A message for the user (a refused line, the help), then the prompt again.
 * Help lines "COMMAND\tWHAT" are laid out in two columns.
 */
static void tell(struct stkagent_terminal *term, const char *message)
{
	g_autoptr(GString) s = g_string_new(NULL);
	g_auto(GStrv) lines = g_strsplit(message, "\n", -1);

	for (char **l = lines; *l; l++) {
		char *tab = strchr(*l, '\t');
		g_autofree char *first = NULL;

		if (tab == NULL) {
			stkagent_screen_wrap(s, "  ", "  ", *l, STKAGENT_SCREEN_WIDTH);
			continue;
		}
		first = g_strdup_printf("    %-14.*s", (int)(tab - *l), *l);
		stkagent_screen_wrap(s, first, "                  ", tab + 1, STKAGENT_SCREEN_WIDTH);
	}
	fprintf(stderr, "%s", s->str);
	prompt(term);
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
		tell(term, message);
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
	term->fd = fd;
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
	echo_hidden(term, false);
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
