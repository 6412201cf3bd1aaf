/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * JSON-lines log of the agent's interactions (doc/agent.md "JSON log").
 */
#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "json-log.h"

struct stkagent_log {
	int fd;
	bool own_fd;
};

/* what the log says for hidden input (GET INPUT "hidden", TS 102 223 §6.4.3) */
#define HIDDEN "****"

static const char *const outcome_names[] = {
	[STKAGENT_OUTCOME_REPLIED] = "replied",
	[STKAGENT_OUTCOME_ERROR] = "error",
	[STKAGENT_OUTCOME_CANCELLED] = "cancelled",
	[STKAGENT_OUTCOME_ABANDONED] = "abandoned",
};

char *stkagent_log_format_time(gint64 time_us)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(time_us / G_USEC_PER_SEC);
	g_autofree char *base = NULL;

	if (dt == NULL)
		return g_strdup("1970-01-01T00:00:00.000Z");
	base = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S");
	return g_strdup_printf("%s.%03dZ", base, (int)((time_us % G_USEC_PER_SEC) / 1000));
}

static void add_string(JsonBuilder *b, const char *name, const char *value)
{
	json_builder_set_member_name(b, name);
	if (value == NULL) {
		json_builder_add_null_value(b);
	} else if (g_utf8_validate(value, -1, NULL)) {
		json_builder_add_string_value(b, value);
	} else {
		g_autofree char *fixed = g_utf8_make_valid(value, -1);
		json_builder_add_string_value(b, fixed);
	}
}

static void add_int(JsonBuilder *b, const char *name, gint64 value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, value);
}

static void add_bool(JsonBuilder *b, const char *name, bool value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_boolean_value(b, value);
}

static char *builder_to_line(JsonBuilder *b)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = json_builder_get_root(b);

	json_generator_set_pretty(gen, FALSE);
	json_generator_set_root(gen, root);
	return json_generator_to_data(gen, NULL);
}

static void add_request_fields(JsonBuilder *b, const struct stkagent_request *req)
{
	switch (req->method) {
	case STKAGENT_CANCEL:
	case STKAGENT_RELEASE:
		return;
	case STKAGENT_PLAY_TONE:
	case STKAGENT_LOOP_TONE:
		add_string(b, "tone", req->tone);
		break;
	default:
		break;
	}
	add_string(b, "text", req->text);
	add_int(b, "icon", req->icon);

	switch (req->method) {
	case STKAGENT_DISPLAY_TEXT:
		add_bool(b, "urgent", req->urgent);
		break;
	case STKAGENT_REQUEST_INPUT:
	case STKAGENT_REQUEST_DIGITS:
		add_string(b, "default", req->default_text);
		add_int(b, "min", req->min_len);
		add_int(b, "max", req->max_len);
		add_bool(b, "hide_typing", req->hide_typing);
		break;
	case STKAGENT_REQUEST_SELECTION:
		json_builder_set_member_name(b, "items");
		json_builder_begin_array(b);
		for (guint i = 0; i < req->n_items; i++) {
			json_builder_begin_object(b);
			add_string(b, "text", req->items[i].text);
			add_int(b, "icon", req->items[i].icon);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		add_int(b, "default", req->default_item);
		break;
	case STKAGENT_CONFIRM_LAUNCH_BROWSER:
		add_string(b, "url", req->url);
		break;
	default:
		break;
	}
}

static void add_answer(JsonBuilder *b, const struct stkagent_request *req,
		       const struct stkagent_reply *reply)
{
	const struct stkagent_method_info *info = stkagent_method_info(req->method);

	json_builder_set_member_name(b, "answer");
	if (reply == NULL || reply->kind != STKAGENT_REPLY_VALUE) {
		json_builder_add_null_value(b);
		return;
	}
	switch (info->shape) {
	case STKAGENT_SHAPE_CONFIRM:
		json_builder_add_boolean_value(b, reply->boolean);
		break;
	case STKAGENT_SHAPE_INPUT:
	case STKAGENT_SHAPE_KEY:
		if (req->hide_typing) {
			/* hidden input (a PIN, a password) never reaches a log */
			json_builder_add_string_value(b, HIDDEN);
		} else if (reply->string && g_utf8_validate(reply->string, -1, NULL)) {
			json_builder_add_string_value(b, reply->string);
		} else {
			g_autofree char *fixed = g_utf8_make_valid(reply->string ? reply->string : "", -1);
			json_builder_add_string_value(b, fixed);
		}
		break;
	case STKAGENT_SHAPE_SELECT:
		json_builder_add_int_value(b, reply->index);
		break;
	default:
		json_builder_add_string_value(b, "confirm");
		break;
	}
}

char *stkagent_log_format_request(const struct stkagent_log_entry *e)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autofree char *time = stkagent_log_format_time(e->time_us);
	const struct stkagent_reply *reply = e->reply;
	const char *note = e->note;

	if (note == NULL && reply != NULL)
		note = reply->note;

	json_builder_begin_object(b);
	add_string(b, "time", time);
	add_string(b, "modem", e->modem);
	add_string(b, "method", stkagent_method_info(e->request->method)->name);
	add_request_fields(b, e->request);
	add_answer(b, e->request, reply);
	add_string(b, "error", reply && reply->kind == STKAGENT_REPLY_ERROR ?
		   reply->error_name : NULL);
	add_string(b, "outcome", outcome_names[e->outcome]);
	add_string(b, "source", e->source);
	if (e->script && e->request->hide_typing && strstr(e->script, "text:")) {
		/* "wait:20 text:1234" → "wait:20 text:****" */
		int before = (int)(strstr(e->script, "text:") - e->script);
		g_autofree char *masked = g_strdup_printf("%.*stext:" HIDDEN, before, e->script);

		add_string(b, "script", masked);
	} else if (e->script) {
		add_string(b, "script", e->script);
	}
	add_int(b, "elapsed_ms", e->elapsed_us / 1000);
	if (note)
		add_string(b, "note", note);
	json_builder_end_object(b);
	return builder_to_line(b);
}

char *stkagent_log_format_event(gint64 time_us, const char *modem, const char *method,
				const char *error, const char *note)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autofree char *time = stkagent_log_format_time(time_us);

	json_builder_begin_object(b);
	add_string(b, "time", time);
	add_string(b, "modem", modem);
	add_string(b, "method", method);
	add_string(b, "error", error);
	if (note)
		add_string(b, "note", note);
	json_builder_end_object(b);
	return builder_to_line(b);
}

struct stkagent_log *stkagent_log_open(const char *path, GError **error)
{
	struct stkagent_log *log = g_new0(struct stkagent_log, 1);

	if (strcmp(path, "-") == 0) {
		log->fd = STDOUT_FILENO;
		return log;
	}
	log->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (log->fd < 0) {
		int err = errno;

		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "%s: %s", path,
			    g_strerror(err));
		g_free(log);
		return NULL;
	}
	log->own_fd = true;
	return log;
}

bool stkagent_log_write(struct stkagent_log *log, const char *line)
{
	g_autofree char *buf = g_strconcat(line, "\n", NULL);
	size_t len = strlen(buf);
	size_t done = 0;

	if (log == NULL)
		return true;
	while (done < len) {
		ssize_t n = write(log->fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

void stkagent_log_close(struct stkagent_log *log)
{
	if (log == NULL)
		return;
	if (log->own_fd)
		close(log->fd);
	g_free(log);
}
