/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Answers file parser and answer → reply mapping (doc/agent.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "answers.h"

#define WAIT_MAX_MS	(24u * 3600u * 1000u)

struct stkagent_script {
	GQueue answers;			/* of struct stkagent_answer * */
	struct stkagent_answer *current;	/* the last one handed out */
	struct stkagent_answer fallback;	/* a default, built per request */
	bool auto_confirm;
	char *input;
	char *key;
	bool have_select;
	guint select;
};

static const struct {
	const char *word;
	enum stkagent_answer_kind kind;
} keywords[] = {
	{ "confirm", STKAGENT_ANSWER_CONFIRM },
	{ "ok", STKAGENT_ANSWER_CONFIRM },
	{ "yes", STKAGENT_ANSWER_CONFIRM },
	{ "no", STKAGENT_ANSWER_DECLINE },
	{ "default", STKAGENT_ANSWER_DEFAULT },
	{ "back", STKAGENT_ANSWER_BACK },
	{ "end", STKAGENT_ANSWER_END },
	{ "busy", STKAGENT_ANSWER_BUSY },
	{ "timeout", STKAGENT_ANSWER_TIMEOUT },
};

static bool parse_uint(const char *s, size_t len, guint max, guint *out)
{
	guint v = 0;

	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (max - (guint)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (guint)(s[i] - '0');
	}
	*out = v;
	return true;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool has_prefix_ci(const char *s, const char *prefix)
{
	return g_ascii_strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * Parses "[wait:MS ]... ANSWER".  *wait_only is set when the line holds
 * only wait: prefixes (then out->wait_ms is their sum and kind unset).
 */
static bool parse_line(const char *line, struct stkagent_answer *out, bool *wait_only,
		       GError **error)
{
	const char *p = line;
	const char *end;
	bool saw_wait = false;
	size_t len;

	memset(out, 0, sizeof(*out));
	*wait_only = false;

	for (;;) {
		while (is_blank(*p))
			p++;
		if (!has_prefix_ci(p, "wait:"))
			break;
		p += 5;
		end = p;
		while (*end && !is_blank(*end) && *end != '\r' && *end != '\n')
			end++;
		guint ms;
		if (!parse_uint(p, (size_t)(end - p), WAIT_MAX_MS, &ms) ||
		    out->wait_ms + ms > WAIT_MAX_MS) {
			g_set_error(error, STKAGENT_ERROR, 0,
				    "wait: takes milliseconds (0..%u), not '%.*s'", WAIT_MAX_MS,
				    (int)(end - p), p);
			return false;
		}
		out->wait_ms += ms;
		saw_wait = true;
		p = end;
	}

	/* the answer runs to the end of the line, without CR/LF */
	len = strcspn(p, "\r\n");

	if (has_prefix_ci(p, "text:")) {
		out->kind = STKAGENT_ANSWER_TEXT;
		out->text = g_strndup(p + 5, len - 5);
		if (!g_utf8_validate(out->text, -1, NULL)) {
			g_set_error(error, STKAGENT_ERROR, 0,
				    "text: is not valid UTF-8");
			stkagent_answer_clear(out);
			return false;
		}
		return true;
	}

	/* other answers: trailing blanks are not part of them */
	while (len > 0 && is_blank(p[len - 1]))
		len--;

	if (len == 0) {
		if (!saw_wait) {
			g_set_error(error, STKAGENT_ERROR, 0, "empty answer");
			return false;
		}
		*wait_only = true;
		return true;
	}

	if (has_prefix_ci(p, "key:")) {
		if (len == 4) {
			g_set_error(error, STKAGENT_ERROR, 0,
				    "key: needs a character");
			return false;
		}
		out->kind = STKAGENT_ANSWER_KEY;
		out->text = g_strndup(p + 4, len - 4);
		if (!g_utf8_validate(out->text, -1, NULL)) {
			g_set_error(error, STKAGENT_ERROR, 0,
				    "key: is not valid UTF-8");
			stkagent_answer_clear(out);
			return false;
		}
		return true;
	}

	if (has_prefix_ci(p, "select:")) {
		if (!parse_uint(p + 7, len - 7, 255, &out->index)) {
			g_set_error(error, STKAGENT_ERROR, 0,
				    "select: takes an item index 0..255, not '%.*s'",
				    (int)(len - 7), p + 7);
			return false;
		}
		out->kind = STKAGENT_ANSWER_SELECT;
		return true;
	}

	for (size_t i = 0; i < G_N_ELEMENTS(keywords); i++) {
		if (strlen(keywords[i].word) == len &&
		    g_ascii_strncasecmp(p, keywords[i].word, len) == 0) {
			out->kind = keywords[i].kind;
			return true;
		}
	}

	g_set_error(error, STKAGENT_ERROR, 0,
		    "unknown answer '%.*s' (confirm, no, text:S, key:C, select:N, default, "
		    "back, end, busy, timeout, wait:MS)", (int)len, p);
	return false;
}

bool stkagent_answer_parse(const char *line, struct stkagent_answer *out, GError **error)
{
	bool wait_only;

	if (!parse_line(line, out, &wait_only, error))
		return false;
	if (wait_only) {
		g_set_error(error, STKAGENT_ERROR, 0,
			    "wait: without an answer");
		return false;
	}
	return true;
}

void stkagent_answer_clear(struct stkagent_answer *answer)
{
	g_free(answer->text);
	memset(answer, 0, sizeof(*answer));
}

char *stkagent_answer_to_string(const struct stkagent_answer *answer)
{
	GString *s = g_string_new(NULL);

	if (answer->wait_ms)
		g_string_append_printf(s, "wait:%u ", answer->wait_ms);

	switch (answer->kind) {
	case STKAGENT_ANSWER_TEXT:
		g_string_append_printf(s, "text:%s", answer->text);
		break;
	case STKAGENT_ANSWER_KEY:
		g_string_append_printf(s, "key:%s", answer->text);
		break;
	case STKAGENT_ANSWER_SELECT:
		g_string_append_printf(s, "select:%u", answer->index);
		break;
	default:
		for (size_t i = 0; i < G_N_ELEMENTS(keywords); i++) {
			if (keywords[i].kind == answer->kind) {
				g_string_append(s, keywords[i].word);
				break;
			}
		}
		break;
	}
	return g_string_free(s, FALSE);
}

struct stkagent_script *stkagent_script_new(void)
{
	struct stkagent_script *script = g_new0(struct stkagent_script, 1);

	g_queue_init(&script->answers);
	return script;
}

static void answer_free(gpointer data)
{
	stkagent_answer_clear(data);
	g_free(data);
}

void stkagent_script_free(struct stkagent_script *script)
{
	if (script == NULL)
		return;
	g_queue_clear_full(&script->answers, answer_free);
	if (script->current)
		answer_free(script->current);
	stkagent_answer_clear(&script->fallback);
	g_free(script->input);
	g_free(script->key);
	g_free(script);
}

bool stkagent_script_parse(struct stkagent_script *script, const char *data, gsize len,
			   GError **error)
{
	GQueue parsed = G_QUEUE_INIT;
	guint pending_wait = 0;
	guint wait_line = 0;
	guint lineno = 0;
	gsize pos = 0;

	if (memchr(data, '\0', len) != NULL) {
		g_set_error(error, STKAGENT_ERROR, 0,
			    "answers file contains a NUL byte");
		return false;
	}

	while (pos < len) {
		const char *start = data + pos;
		const char *nl = memchr(start, '\n', len - pos);
		gsize n = nl ? (gsize)(nl - start) : len - pos;
		g_autofree char *line = g_strndup(start, n);
		const char *p = line;
		struct stkagent_answer answer;
		bool wait_only;
		GError *err = NULL;

		pos += n + (nl ? 1 : 0);
		lineno++;

		while (is_blank(*p))
			p++;
		if (*p == '\0' || *p == '#' || *p == '\r')
			continue;

		if (!parse_line(p, &answer, &wait_only, &err)) {
			g_set_error(error, STKAGENT_ERROR, 0, "line %u: %s",
				    lineno, err->message);
			g_error_free(err);
			g_queue_clear_full(&parsed, answer_free);
			return false;
		}
		if (pending_wait + answer.wait_ms > WAIT_MAX_MS) {
			g_set_error(error, STKAGENT_ERROR, 0,
				    "line %u: waits add up to more than %u ms", lineno, WAIT_MAX_MS);
			stkagent_answer_clear(&answer);
			g_queue_clear_full(&parsed, answer_free);
			return false;
		}
		if (wait_only) {
			pending_wait += answer.wait_ms;
			wait_line = lineno;
			continue;
		}
		answer.wait_ms += pending_wait;
		answer.line = lineno;
		pending_wait = 0;
		g_queue_push_tail(&parsed, g_memdup2(&answer, sizeof(answer)));
	}

	if (pending_wait) {
		g_set_error(error, STKAGENT_ERROR, 0,
			    "line %u: wait: without an answer after it", wait_line);
		g_queue_clear_full(&parsed, answer_free);
		return false;
	}

	while (!g_queue_is_empty(&parsed))
		g_queue_push_tail(&script->answers, g_queue_pop_head(&parsed));
	return true;
}

bool stkagent_script_load(struct stkagent_script *script, const char *path, GError **error)
{
	g_autofree char *data = NULL;
	gsize len;
	GError *err = NULL;

	if (!g_file_get_contents(path, &data, &len, error))
		return false;
	if (!stkagent_script_parse(script, data, len, &err)) {
		g_set_error(error, err->domain, err->code, "%s: %s", path, err->message);
		g_error_free(err);
		return false;
	}
	return true;
}

void stkagent_script_set_auto_confirm(struct stkagent_script *script, bool on)
{
	script->auto_confirm = on;
}

void stkagent_script_set_input(struct stkagent_script *script, const char *text)
{
	g_free(script->input);
	script->input = g_strdup(text);
}

void stkagent_script_set_key(struct stkagent_script *script, const char *key)
{
	g_free(script->key);
	script->key = g_strdup(key);
}

void stkagent_script_set_select(struct stkagent_script *script, guint index)
{
	script->have_select = true;
	script->select = index;
}

guint stkagent_script_remaining(const struct stkagent_script *script)
{
	return g_queue_get_length((GQueue *)&script->answers);
}

/* The default for a request's shape, or false when none is configured. */
static bool default_answer(struct stkagent_script *script, const struct stkagent_request *req,
			   struct stkagent_answer *out)
{
	const struct stkagent_method_info *info = stkagent_method_info(req->method);

	memset(out, 0, sizeof(*out));
	switch (info->shape) {
	case STKAGENT_SHAPE_ACK:
	case STKAGENT_SHAPE_CONFIRM:
		out->kind = STKAGENT_ANSWER_CONFIRM;
		return script->auto_confirm;
	case STKAGENT_SHAPE_INPUT:
		if (script->input) {
			out->kind = STKAGENT_ANSWER_TEXT;
			out->text = g_strdup(script->input);
			return true;
		}
		out->kind = STKAGENT_ANSWER_DEFAULT;
		return script->auto_confirm;
	case STKAGENT_SHAPE_KEY:
		if (script->key) {
			out->kind = STKAGENT_ANSWER_KEY;
			out->text = g_strdup(script->key);
			return true;
		}
		return false;
	case STKAGENT_SHAPE_SELECT:
		if (script->have_select) {
			out->kind = STKAGENT_ANSWER_SELECT;
			out->index = script->select;
			return true;
		}
		if (req->default_item >= 0) {
			out->kind = STKAGENT_ANSWER_DEFAULT;
		} else {
			out->kind = STKAGENT_ANSWER_SELECT;
			out->index = 0;
		}
		return script->auto_confirm;
	default:
		return false;
	}
}

const struct stkagent_answer *stkagent_script_next(struct stkagent_script *script,
						   const struct stkagent_request *req)
{
	if (script->current) {
		answer_free(script->current);
		script->current = NULL;
	}
	if (!g_queue_is_empty(&script->answers)) {
		script->current = g_queue_pop_head(&script->answers);
		return script->current;
	}
	stkagent_answer_clear(&script->fallback);
	if (default_answer(script, req, &script->fallback))
		return &script->fallback;
	stkagent_answer_clear(&script->fallback);
	return NULL;
}

static void set_error(struct stkagent_reply *out, const char *name)
{
	out->kind = STKAGENT_REPLY_ERROR;
	out->error_name = name;
}

static void mismatch(const struct stkagent_request *req, const struct stkagent_answer *answer,
		     struct stkagent_reply *out)
{
	g_autofree char *s = stkagent_answer_to_string(answer);

	set_error(out, STKAGENT_ERROR_END);
	out->note = g_strdup_printf("answer '%s' does not fit %s; ending the session", s,
				    stkagent_method_info(req->method)->name);
}

void stkagent_answer_resolve(const struct stkagent_request *req,
			     const struct stkagent_answer *answer, struct stkagent_reply *out)
{
	const struct stkagent_method_info *info = stkagent_method_info(req->method);
	char *reason = NULL;

	memset(out, 0, sizeof(*out));

	switch (answer->kind) {
	case STKAGENT_ANSWER_BACK:
		set_error(out, STKAGENT_ERROR_GO_BACK);
		break;
	case STKAGENT_ANSWER_END:
		set_error(out, STKAGENT_ERROR_END);
		break;
	case STKAGENT_ANSWER_BUSY:
		set_error(out, STKAGENT_ERROR_BUSY);
		break;
	case STKAGENT_ANSWER_TIMEOUT:
		out->kind = STKAGENT_REPLY_NONE;
		return;
	default:
		switch (info->shape) {
		case STKAGENT_SHAPE_ACK:
			if (answer->kind == STKAGENT_ANSWER_CONFIRM ||
			    answer->kind == STKAGENT_ANSWER_DEFAULT)
				out->kind = STKAGENT_REPLY_VALUE;
			else
				mismatch(req, answer, out);
			break;
		case STKAGENT_SHAPE_CONFIRM:
			if (answer->kind == STKAGENT_ANSWER_CONFIRM ||
			    answer->kind == STKAGENT_ANSWER_DECLINE) {
				out->kind = STKAGENT_REPLY_VALUE;
				out->boolean = answer->kind == STKAGENT_ANSWER_CONFIRM;
			} else {
				mismatch(req, answer, out);
			}
			break;
		case STKAGENT_SHAPE_INPUT:
		case STKAGENT_SHAPE_KEY:
			if (answer->kind == STKAGENT_ANSWER_TEXT ||
			    answer->kind == STKAGENT_ANSWER_KEY) {
				out->kind = STKAGENT_REPLY_VALUE;
				out->string = g_strdup(answer->text);
			} else if (answer->kind == STKAGENT_ANSWER_DEFAULT &&
				   info->shape == STKAGENT_SHAPE_INPUT) {
				out->kind = STKAGENT_REPLY_VALUE;
				out->string = g_strdup(req->default_text ? req->default_text : "");
			} else {
				mismatch(req, answer, out);
			}
			break;
		case STKAGENT_SHAPE_SELECT:
			if (answer->kind == STKAGENT_ANSWER_SELECT && answer->index <= 255) {
				out->kind = STKAGENT_REPLY_VALUE;
				out->index = (guint8)answer->index;
			} else if (answer->kind == STKAGENT_ANSWER_DEFAULT && req->default_item >= 0 &&
				   req->default_item <= 255) {
				out->kind = STKAGENT_REPLY_VALUE;
				out->index = (guint8)req->default_item;
			} else {
				mismatch(req, answer, out);
			}
			break;
		default:
			out->kind = STKAGENT_REPLY_NONE;
			return;
		}
		break;
	}

	if (out->note == NULL && !stkagent_reply_acceptable(req, out, &reason))
		out->note = g_strdup_printf("%s (oFono will release the agent)", reason);
	g_free(reason);
}
