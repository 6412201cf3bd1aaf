/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The agent's screen text: wrapped, without control characters (screen-text.h). */
#include <stdbool.h>
#include <string.h>

#include "screen-text.h"

guint stkagent_screen_char_width(gunichar c)
{
	if (g_unichar_iszerowidth(c))
		return 0;
	return g_unichar_iswide(c) ? 2 : 1;
}

/* A character as shown: controls and line/paragraph separators become a blank. */
static gunichar shown(gunichar c)
{
	GUnicodeType t = g_unichar_type(c);

	if (t == G_UNICODE_CONTROL || t == G_UNICODE_LINE_SEPARATOR ||
	    t == G_UNICODE_PARAGRAPH_SEPARATOR || t == G_UNICODE_UNASSIGNED ||
	    t == G_UNICODE_SURROGATE || t == G_UNICODE_PRIVATE_USE)
		return ' ';
	return c;
}

struct wrap {
	GString *out;
	const char *indent;
	guint width;
	GString *line;		/* the line being filled, prefix included */
	guint col;		/* its width in columns */
	bool has_word;		/* a word is on it already */
};

static void flush(struct wrap *w)
{
	g_string_append_len(w->out, w->line->str, (gssize)w->line->len);
	g_string_append_c(w->out, '\n');
	g_string_assign(w->line, w->indent);
	w->col = (guint)strlen(w->indent);
	w->has_word = false;
}

/* Adds one word (no blanks in it) of `cols` columns, on a new line when it does not fit. */
static void add_word(struct wrap *w, const GString *word, guint cols)
{
	if (w->has_word && w->col + 1 + cols > w->width)
		flush(w);
	if (w->has_word) {
		g_string_append_c(w->line, ' ');
		w->col++;
	}
	if (w->col + cols <= w->width) {
		g_string_append_len(w->line, word->str, (gssize)word->len);
		w->col += cols;
		w->has_word = true;
		return;
	}
	/* longer than a whole line: cut it where the line ends */
	for (const char *p = word->str; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		guint cw = stkagent_screen_char_width(c);

		if (w->col + cw > w->width && w->has_word)
			flush(w);
		g_string_append_unichar(w->line, c);
		w->col += cw;
		w->has_word = true;
	}
}

static void wrap_paragraph(struct wrap *w, const char *p, const char *end)
{
	GString *word = g_string_new(NULL);
	guint cols = 0;

	for (; p < end; p = g_utf8_next_char(p)) {
		gunichar c = shown(g_utf8_get_char(p));

		if (g_unichar_isspace(c)) {
			if (word->len)
				add_word(w, word, cols);
			g_string_truncate(word, 0);
			cols = 0;
			continue;
		}
		g_string_append_unichar(word, c);
		cols += stkagent_screen_char_width(c);
	}
	if (word->len)
		add_word(w, word, cols);
	g_string_free(word, TRUE);
	flush(w);
}

void stkagent_screen_wrap(GString *out, const char *first, const char *indent, const char *text,
			  guint width)
{
	g_autofree char *valid = g_utf8_make_valid(text ? text : "", -1);
	struct wrap w = { out, indent, width, g_string_new(first), (guint)strlen(first), false };
	const char *p = valid;

	for (;;) {
		const char *nl = strchr(p, '\n');
		const char *end = nl ? nl : p + strlen(p);

		wrap_paragraph(&w, p, end);
		if (!nl)
			break;
		p = nl + 1;
	}
	g_string_free(w.line, TRUE);
}
