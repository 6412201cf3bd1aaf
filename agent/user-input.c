/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Interactive mode: one line typed by the user → an answer to the request
 * on screen (doc/agent.md "Interactive mode").  Refuses what oFono 1.31
 * would refuse (src/stkagent.c), so the user is asked again instead.
 */
#include <string.h>

#include "answers.h"

/* Interactive mode (doc/agent.md): ":" commands, then per method shape. */
bool stkagent_answer_from_user(const struct stkagent_request *req, const char *line,
			     struct stkagent_answer *out, char **message)
{
	enum stkagent_shape shape = stkagent_method_info(req->method)->shape;
	size_t len = strcspn(line, "\r\n");
	g_autofree char *text = g_strndup(line, len);

	memset(out, 0, sizeof(*out));
	*message = NULL;

	if (text[0] == ':' && text[1] != ':') {
		const char *cmd = text + 1;

		if (strcmp(cmd, "b") == 0 || strcmp(cmd, "back") == 0)
			out->kind = STKAGENT_ANSWER_BACK;
		else if (strcmp(cmd, "e") == 0 || strcmp(cmd, "end") == 0)
			out->kind = STKAGENT_ANSWER_END;
		else if (strcmp(cmd, "busy") == 0)
			out->kind = STKAGENT_ANSWER_BUSY;
		else {
			*message = g_strdup_printf("unknown command '%s' (:b, :e, :busy; '::' types ':')",
						   text);
			return false;
		}
		return true;
	}
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
		if (!g_utf8_validate(text, -1, NULL)) {
			*message = g_strdup("not UTF-8");
			return false;
		}
		if (text[0] == '\0' && req->default_text && req->default_text[0]) {
			out->kind = STKAGENT_ANSWER_DEFAULT;
			return true;
		}
		if (g_utf8_strlen(text, -1) < req->min_len || g_utf8_strlen(text, -1) > req->max_len) {
			*message = g_strdup_printf("type %u to %u characters", req->min_len,
						   req->max_len);
			return false;
		}
		out->kind = STKAGENT_ANSWER_TEXT;
		out->text = g_steal_pointer(&text);
		return true;
	case STKAGENT_SHAPE_KEY:
		if (!g_utf8_validate(text, -1, NULL) || g_utf8_strlen(text, -1) != 1) {
			*message = g_strdup("type exactly one character");
			return false;
		}
		if (req->method != STKAGENT_REQUEST_KEY &&
		    strchr(req->method == STKAGENT_REQUEST_DIGIT ? "0123456789*#+" : "0123456789*#",
			   text[0]) == NULL) {
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
