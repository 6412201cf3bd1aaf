/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Scripted answers (doc/agent.md "Answers file"): the parser of the
 * answers file and of the --auto-confirm/--input/--key/--select defaults,
 * and the mapping of one answer onto the reply to one agent request.
 */
#ifndef STKAGENT_ANSWERS_H
#define STKAGENT_ANSWERS_H

#include <glib.h>
#include <stdbool.h>

#include "request.h"

enum stkagent_answer_kind {
	STKAGENT_ANSWER_CONFIRM,	/* confirm | ok | yes */
	STKAGENT_ANSWER_DECLINE,	/* no */
	STKAGENT_ANSWER_TEXT,		/* text:STRING */
	STKAGENT_ANSWER_KEY,		/* key:C */
	STKAGENT_ANSWER_SELECT,		/* select:N (index from 0, as on D-Bus) */
	STKAGENT_ANSWER_DEFAULT,	/* default: the card's default text / item */
	STKAGENT_ANSWER_BACK,		/* back → org.ofono.Error.GoBack */
	STKAGENT_ANSWER_END,		/* end → org.ofono.Error.EndSession */
	STKAGENT_ANSWER_BUSY,		/* busy → org.ofono.Error.Busy */
	STKAGENT_ANSWER_TIMEOUT,	/* timeout: never answer */
};

struct stkagent_answer {
	enum stkagent_answer_kind kind;
	char *text;		/* TEXT, KEY */
	guint index;		/* SELECT */
	guint wait_ms;		/* delay before answering */
	guint line;		/* line in the answers file, 0 if none */
};

/*
 * Parses one answer ("wait:MS" prefixes separated by blanks allowed:
 * "wait:500 confirm").  Leading/trailing blanks are ignored except inside
 * text:, which keeps everything after the colon up to the end of line.
 */
bool stkagent_answer_parse(const char *line, struct stkagent_answer *out, GError **error);
void stkagent_answer_clear(struct stkagent_answer *answer);
/* The answer in the file's syntax (for logs); newly allocated. */
char *stkagent_answer_to_string(const struct stkagent_answer *answer);

/* Answers in order, then per-shape defaults. */
struct stkagent_script;

struct stkagent_script *stkagent_script_new(void);
void stkagent_script_free(struct stkagent_script *script);
/*
 * Appends the answers in an answers file's text: one answer a line, blank
 * lines and lines starting with '#' ignored; a line holding only "wait:MS"
 * delays the next answer.  Errors name the line.
 */
bool stkagent_script_parse(struct stkagent_script *script, const char *data, gsize len,
			   GError **error);
bool stkagent_script_load(struct stkagent_script *script, const char *path, GError **error);
/* Defaults used once the answers are used up (the --auto-confirm ... options). */
void stkagent_script_set_auto_confirm(struct stkagent_script *script, bool on);
void stkagent_script_set_input(struct stkagent_script *script, const char *text);
void stkagent_script_set_key(struct stkagent_script *script, const char *key);
void stkagent_script_set_select(struct stkagent_script *script, guint index);
guint stkagent_script_remaining(const struct stkagent_script *script);
/*
 * The answer to a request: the next one from the file, else the default
 * for the method's shape; NULL when there is none (the caller ends the
 * session).  The script owns the answer until it is freed.
 */
const struct stkagent_answer *stkagent_script_next(struct stkagent_script *script,
						   const struct stkagent_request *req);

/*
 * Maps an answer onto the reply to a request.  An answer that does not fit
 * the method (select:2 to DisplayText) gives EndSession with a note.
 * TIMEOUT gives REPLY_NONE.  Replies oFono would refuse (see
 * stkagent_reply_acceptable) are still given as scripted, with a note.
 */
void stkagent_answer_resolve(const struct stkagent_request *req,
			     const struct stkagent_answer *answer, struct stkagent_reply *out);

/*
 * Interactive mode: parses what the user typed for a request into an
 * answer; false with a message for the user when the line does not answer
 * it.  ":b"/":back", ":e"/":end", ":busy" are commands, refused where the
 * method does not take them (oFono would drop the agent); ":h"/":help"
 * gives the help as the message; "::" types a ':'.  RequestDigits takes
 * digits only (0-9 * # +).
 */
bool stkagent_answer_from_user(const struct stkagent_request *req, const char *line,
			       struct stkagent_answer *out, char **message);
/* Interactive mode: what to type for the request ("type 4 to 8 digits (0-9 * # +), not shown"). */
char *stkagent_user_hint(const struct stkagent_request *req);
/* Interactive mode: the commands the request takes (":h help, :b back, :e end"). */
char *stkagent_user_commands(const struct stkagent_request *req);

#endif
