/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Interactive mode: one line typed by the user → an answer to the request
 * on screen (doc/agent.md "Interactive mode"), and what the screen tells
 * the user to type.  Refuses what oFono 1.31 would refuse (src/stkagent.c),
 * and what the card asked not to get (digits only), so the user is asked
 * again instead.
 */
#include <string.h>

#include "answers.h"

/* What to type for this request, one line: "type 4 to 8 digits (0-9 * # +), Enter for 12". */
char *stkagent_user_hint(const struct stkagent_request *req)
{
	GString *s = g_string_new(NULL);

	switch (stkagent_method_info(req->method)->shape) {
	case STKAGENT_SHAPE_CONFIRM:
		g_string_append(s, "y or n");
		break;
	case STKAGENT_SHAPE_INPUT:
		if (req->min_len == req->max_len)
			g_string_append_printf(s, "type %u", req->min_len);
		else
			g_string_append_printf(s, "type %u to %u", req->min_len, req->max_len);
		g_string_append(s, req->method == STKAGENT_REQUEST_DIGITS ? " digits (0-9 * # +)" :
				" characters");
		if (req->hide_typing)
			g_string_append(s, ", not shown");
		if (req->default_text && req->default_text[0])
			g_string_append(s, ", Enter for the default");
		break;
	case STKAGENT_SHAPE_KEY:
		g_string_append(s, req->method == STKAGENT_REQUEST_KEY ? "one key" :
				req->method == STKAGENT_REQUEST_DIGIT ? "one digit (0-9 * # +)" :
				"one digit (0-9 * #)");
		break;
	case STKAGENT_SHAPE_SELECT:
		g_string_append_printf(s, "item number 0 to %u", req->n_items ? req->n_items - 1 : 0);
		if (req->default_item >= 0)
			g_string_append_printf(s, ", Enter for %d", req->default_item);
		break;
	default:
		g_string_append(s, "Enter to acknowledge");
		break;
	}
	return g_string_free(s, FALSE);
}

/* The commands this request takes, for the prompt: ":h help, :b back, :e end". */
char *stkagent_user_commands(const struct stkagent_request *req)
{
	unsigned int allowed = stkagent_method_info(req->method)->allowed_errors;

	return g_strdup_printf(":h help%s%s%s", allowed & STKAGENT_ALLOW_GO_BACK ? ", :b back" : "",
			       allowed & STKAGENT_ALLOW_END ? ", :e end" : "",
			       allowed & STKAGENT_ALLOW_BUSY ? ", :busy" : "");
}

/*
 * The answer to ":h": what to type, then every command the request takes,
 * one a line as "COMMAND\tWHAT IT DOES" (the terminal lays them out).
 */
static char *help_text(const struct stkagent_request *req)
{
	unsigned int allowed = stkagent_method_info(req->method)->allowed_errors;
	g_autofree char *hint = stkagent_user_hint(req);
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "To answer: %s, then Enter.\n", hint);
	if (req->hide_typing)
		g_string_append(s, "What you type is not shown on the screen.\n");
	if (allowed & STKAGENT_ALLOW_GO_BACK)
		g_string_append(s, ":b or :back\tgo back to the card's previous screen\n");
	if (allowed & STKAGENT_ALLOW_END)
		g_string_append(s, ":e or :end\tend the session with the card\n");
	if (allowed & STKAGENT_ALLOW_BUSY)
		g_string_append(s, ":busy\ttell the card the screen is busy\n");
	if (stkagent_method_info(req->method)->shape == STKAGENT_SHAPE_INPUT)
		g_string_append(s, "::TEXT\ttypes a text that starts with ':'\n");
	g_string_append(s, ":h or :help\tthis help");
	return g_string_free(s, FALSE);
}

/* A ":" command; false with a message when it is unknown or the request does not take it. */
static bool user_command(const struct stkagent_request *req, const char *cmd,
			 struct stkagent_answer *out, char **message)
{
	static const struct {
		const char *name, *alias;
		enum stkagent_answer_kind kind;
		unsigned int needs;
		const char *refused;
	} commands[] = {
		{ "b", "back", STKAGENT_ANSWER_BACK, STKAGENT_ALLOW_GO_BACK, "cannot go back here" },
		{ "e", "end", STKAGENT_ANSWER_END, STKAGENT_ALLOW_END, "cannot end the session here" },
		{ "busy", NULL, STKAGENT_ANSWER_BUSY, STKAGENT_ALLOW_BUSY, ":busy answers a text only" },
	};
	unsigned int allowed = stkagent_method_info(req->method)->allowed_errors;

	if (strcmp(cmd, "h") == 0 || strcmp(cmd, "help") == 0) {
		*message = help_text(req);
		return false;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
		if (strcmp(cmd, commands[i].name) != 0 && g_strcmp0(cmd, commands[i].alias) != 0)
			continue;
		/* oFono drops an agent that answers an error the method does not take */
		if ((allowed & commands[i].needs) == 0) {
			*message = g_strdup_printf("%s (:h for help)", commands[i].refused);
			return false;
		}
		out->kind = commands[i].kind;
		return true;
	}
	*message = g_strdup_printf("unknown command ':%s' (:h for help; '::' types ':')", cmd);
	return false;
}

static bool user_text(const struct stkagent_request *req, char **text, struct stkagent_answer *out,
		      char **message)
{
	if (!g_utf8_validate(*text, -1, NULL)) {
		*message = g_strdup("not UTF-8");
		return false;
	}
	if ((*text)[0] == '\0' && req->default_text && req->default_text[0]) {
		out->kind = STKAGENT_ANSWER_DEFAULT;
		return true;
	}
	if (g_utf8_strlen(*text, -1) < req->min_len || g_utf8_strlen(*text, -1) > req->max_len) {
		*message = g_strdup_printf("type %u to %u %s", req->min_len, req->max_len,
					   req->method == STKAGENT_REQUEST_DIGITS ? "digits" : "characters");
		return false;
	}
	/* RequestDigits: the card asked for digits only (oFono does not check) */
	if (req->method == STKAGENT_REQUEST_DIGITS && strspn(*text, STKAGENT_DIGITS) != strlen(*text)) {
		*message = g_strdup("digits only: 0-9 * # +");
		return false;
	}
	out->kind = STKAGENT_ANSWER_TEXT;
	out->text = g_steal_pointer(text);
	return true;
}

/* Interactive mode (doc/agent.md): ":" commands, then per method shape. */
bool stkagent_answer_from_user(const struct stkagent_request *req, const char *line,
			       struct stkagent_answer *out, char **message)
{
	enum stkagent_shape shape = stkagent_method_info(req->method)->shape;
	size_t len = strcspn(line, "\r\n");
	g_autofree char *text = g_strndup(line, len);

	memset(out, 0, sizeof(*out));
	*message = NULL;

	if (text[0] == ':' && text[1] != ':')
		return user_command(req, text + 1, out, message);
	if (text[0] == ':')
		memmove(text, text + 1, strlen(text));	/* "::x" types ":x" */

	switch (shape) {
	case STKAGENT_SHAPE_ACK:
		out->kind = STKAGENT_ANSWER_CONFIRM;
		return true;
	case STKAGENT_SHAPE_CONFIRM:
		if (g_ascii_strcasecmp(text, "y") == 0 || g_ascii_strcasecmp(text, "yes") == 0) {
			out->kind = STKAGENT_ANSWER_CONFIRM;
			return true;
		}
		if (g_ascii_strcasecmp(text, "n") == 0 || g_ascii_strcasecmp(text, "no") == 0) {
			out->kind = STKAGENT_ANSWER_DECLINE;
			return true;
		}
		*message = g_strdup("answer y or n");
		return false;
	case STKAGENT_SHAPE_INPUT:
		return user_text(req, &text, out, message);
	case STKAGENT_SHAPE_KEY:
		if (!g_utf8_validate(text, -1, NULL) || g_utf8_strlen(text, -1) != 1) {
			*message = g_strdup("type exactly one character");
			return false;
		}
		if (req->method != STKAGENT_REQUEST_KEY &&
		    (strchr(STKAGENT_DIGITS, text[0]) == NULL ||
		     (req->method == STKAGENT_REQUEST_QUICK_DIGIT && text[0] == '+'))) {
			*message = g_strdup("type a digit, * or #");
			return false;
		}
		out->kind = STKAGENT_ANSWER_KEY;
		out->text = g_steal_pointer(&text);
		return true;
	case STKAGENT_SHAPE_SELECT: {
		char *end = NULL;
		guint64 n;

		if (text[0] == '\0' && req->default_item >= 0) {
			out->kind = STKAGENT_ANSWER_DEFAULT;
			return true;
		}
		n = g_ascii_strtoull(text, &end, 10);
		if (text[0] < '0' || text[0] > '9' || *end != '\0' || n >= req->n_items) {
			*message = g_strdup_printf("type an item number from 0 to %u",
						   req->n_items ? req->n_items - 1 : 0);
			return false;
		}
		out->kind = STKAGENT_ANSWER_SELECT;
		out->index = (guint)n;
		return true;
	}
	default:
		*message = g_strdup("nothing to answer");
		return false;
	}
}
