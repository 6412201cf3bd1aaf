/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The org.ofono.SimToolkitAgent object of one modem: decodes oFono's
 * calls (request.h), gets the answer from the script or the terminal,
 * replies (after wait:MS if asked), handles Cancel and Release, logs.
 * oFono 1.31 has at most one request outstanding per agent; it calls
 * Cancel() when it gives up on one (its timeout, or the session ended).
 */
#define G_LOG_DOMAIN "stkbridge-agent"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "screen-text.h"
#include "terminal.h"

struct stkagent_pending {
	GDBusMethodInvocation *invocation;
	struct stkagent_request request;
	struct stkagent_reply reply;
	gint64 time_us;
	gint64 start_mono;
	guint wait_source;
	char *script;		/* the scripted answer's text */
	const char *source;
};

void stkagent_screen(struct stkagent_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->quiet || ctx->screen == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(ctx->screen, fmt, ap);
	va_end(ap);
	fflush(ctx->screen);
}

void stkagent_log_event(struct stkagent_ctx *ctx, const char *modem, const char *method,
			const char *error, const char *note)
{
	g_autofree char *line = NULL;

	if (ctx->log == NULL)
		return;
	line = stkagent_log_format_event(g_get_real_time(), modem, method, error, note);
	if (!stkagent_log_write(ctx->log, line))
		g_warning("cannot write the JSON log");
}

static void pending_free(struct stkagent_pending *p)
{
	if (p->wait_source)
		g_source_remove(p->wait_source);
	if (p->invocation)
		g_object_unref(p->invocation);
	stkagent_request_clear(&p->request);
	stkagent_reply_clear(&p->reply);
	g_free(p->script);
	g_free(p);
}

static void log_pending(struct stkagent_modem *modem, struct stkagent_pending *p,
			enum stkagent_outcome outcome, const char *note)
{
	struct stkagent_ctx *ctx = modem->ctx;
	struct stkagent_log_entry e = {
		.time_us = p->time_us,
		.elapsed_us = g_get_monotonic_time() - p->start_mono,
		.modem = modem->path,
		.request = &p->request,
		.reply = (outcome == STKAGENT_OUTCOME_REPLIED ||
			  outcome == STKAGENT_OUTCOME_ERROR) ? &p->reply : NULL,
		.outcome = outcome,
		.source = p->source ? p->source : "none",
		.script = p->script,
		.note = note,
	};
	g_autofree char *line = NULL;

	if (ctx->log == NULL)
		return;
	line = stkagent_log_format_request(&e);
	if (!stkagent_log_write(ctx->log, line))
		g_warning("cannot write the JSON log");
}

static void show_reply(struct stkagent_modem *modem, struct stkagent_pending *p)
{
	const struct stkagent_method_info *info = stkagent_method_info(p->request.method);
	struct stkagent_ctx *ctx = modem->ctx;

	if (p->reply.kind == STKAGENT_REPLY_ERROR) {
		stkagent_screen(ctx, "  -> %s\n", p->reply.error_name);
	} else {
		switch (info->shape) {
		case STKAGENT_SHAPE_CONFIRM:
			stkagent_screen(ctx, "  -> %s\n", p->reply.boolean ? "yes" : "no");
			break;
		case STKAGENT_SHAPE_INPUT:
		case STKAGENT_SHAPE_KEY:
			stkagent_screen(ctx, "  -> \"%s\"\n",
					p->request.hide_typing ? "****" : p->reply.string);
			break;
		case STKAGENT_SHAPE_SELECT:
			stkagent_screen(ctx, "  -> item %u\n", p->reply.index);
			break;
		default:
			stkagent_screen(ctx, "  -> ok\n");
			break;
		}
	}
	if (p->reply.note)
		stkagent_screen(ctx, "  (%s)\n", p->reply.note);
}

/* Sends the resolved reply and ends the request. */
static void send_reply(struct stkagent_modem *modem)
{
	struct stkagent_pending *p = modem->pending;
	enum stkagent_outcome outcome;

	modem->pending = NULL;
	if (p->reply.kind == STKAGENT_REPLY_ERROR) {
		g_dbus_method_invocation_return_dbus_error(g_steal_pointer(&p->invocation),
							   p->reply.error_name,
							   "stkbridge-agent: user answer");
		outcome = STKAGENT_OUTCOME_ERROR;
	} else {
		GVariant *body = stkagent_reply_to_variant(&p->reply, p->request.method);

		g_dbus_method_invocation_return_value(g_steal_pointer(&p->invocation), body);
		outcome = STKAGENT_OUTCOME_REPLIED;
	}
	show_reply(modem, p);
	log_pending(modem, p, outcome, NULL);
	pending_free(p);
}

static gboolean wait_done(gpointer data)
{
	struct stkagent_modem *modem = data;

	modem->pending->wait_source = 0;
	send_reply(modem);
	return G_SOURCE_REMOVE;
}

void stkagent_modem_answer(struct stkagent_modem *modem, const struct stkagent_answer *answer,
			   const char *source)
{
	struct stkagent_pending *p = modem->pending;

	if (p == NULL || p->wait_source || p->reply.kind != STKAGENT_REPLY_NONE)
		return;

	p->source = source;
	g_free(p->script);
	p->script = answer ? stkagent_answer_to_string(answer) : NULL;

	if (answer == NULL) {
		p->reply.kind = STKAGENT_REPLY_ERROR;
		p->reply.error_name = STKAGENT_ERROR_END;
		p->reply.note = g_strdup("no answer left in the script; ending the session");
	} else {
		stkagent_answer_resolve(&p->request, answer, &p->reply);
	}

	if (p->reply.kind == STKAGENT_REPLY_NONE) {
		/* "timeout": never answer; oFono times out and calls Cancel() */
		stkagent_screen(modem->ctx, "  (not answering)\n");
		return;
	}
	if (answer && answer->wait_ms) {
		p->wait_source = g_timeout_add(answer->wait_ms, wait_done, modem);
		return;
	}
	send_reply(modem);
}

const struct stkagent_request *stkagent_modem_request(const struct stkagent_modem *modem)
{
	return modem->pending ? &modem->pending->request : NULL;
}

/*
 * Ends the pending request without an answer from the user: oFono's call, if
 * still there, gets the error End (after a Cancel oFono's D-Bus library drops
 * it, but the invocation must still be finished); the screen says why
 * (shown), the JSON log records the outcome with its note.
 */
static void end_pending(struct stkagent_modem *modem, enum stkagent_outcome outcome, const char *dbus_message,
			const char *shown, const char *note)
{
	struct stkagent_pending *p = modem->pending;

	if (p == NULL)
		return;
	modem->pending = NULL;
	if (modem->ctx->terminal)
		stkagent_terminal_forget(modem->ctx->terminal, modem);
	if (p->invocation)
		g_dbus_method_invocation_return_dbus_error(g_steal_pointer(&p->invocation),
							   STKAGENT_ERROR_END, dbus_message);
	stkagent_screen(modem->ctx, "  (%s)\n", shown);
	log_pending(modem, p, outcome, note);
	pending_free(p);
}

/* the caller may still be there (a new request, or we are exiting) */
void stkagent_modem_abandon(struct stkagent_modem *modem, const char *why)
{
	end_pending(modem, STKAGENT_OUTCOME_ABANDONED, why, why, why);
}

static void cancel_pending(struct stkagent_modem *modem)
{
	end_pending(modem, STKAGENT_OUTCOME_CANCELLED, "cancelled", "cancelled by oFono", NULL);
}

/* The request as the user reads it, wrapped to an 80-column terminal (screen-text.h). */
static void show_request(struct stkagent_modem *modem, const struct stkagent_request *req)
{
	const struct stkagent_method_info *info = stkagent_method_info(req->method);
	g_autoptr(GString) s = g_string_new(NULL);

	g_string_append_printf(s, "[%s] %s%s\n", modem->path, info->name, req->urgent ? " (urgent)" : "");
	if (req->tone)
		stkagent_screen_wrap(s, "  tone: ", "        ", req->tone, STKAGENT_SCREEN_WIDTH);
	if (req->text && req->text[0])
		stkagent_screen_wrap(s, "  ", "  ", req->text, STKAGENT_SCREEN_WIDTH);
	if (req->url)
		stkagent_screen_wrap(s, "  url: ", "       ", req->url, STKAGENT_SCREEN_WIDTH);
	if (req->method == STKAGENT_REQUEST_INPUT || req->method == STKAGENT_REQUEST_DIGITS) {
		bool def = req->default_text && req->default_text[0];
		g_autofree char *limits = g_strdup_printf("(%u to %u %s%s%s%s%s)", req->min_len, req->max_len,
			req->method == STKAGENT_REQUEST_DIGITS ? "digits" : "characters",
			req->hide_typing ? ", hidden" : "", def ? ", default \"" : "",
			def ? req->default_text : "", def ? "\"" : "");

		stkagent_screen_wrap(s, "  ", "   ", limits, STKAGENT_SCREEN_WIDTH);
	}
	for (guint i = 0; i < req->n_items; i++) {
		g_autofree char *first = g_strdup_printf("  %c%u) ", (gint)i == req->default_item ? '*' : ' ', i);
		g_autofree char *indent = g_strnfill(strlen(first), ' ');

		stkagent_screen_wrap(s, first, indent, req->items[i].text, STKAGENT_SCREEN_WIDTH);
	}
	if (req->default_item >= 0 && (guint)req->default_item < req->n_items)
		g_string_append(s, "  (* the default item)\n");
	stkagent_screen(modem->ctx, "%s", s->str);
}

static void method_call(GDBusConnection *conn, const char *sender, const char *object_path,
			const char *interface_name, const char *method_name, GVariant *parameters,
			GDBusMethodInvocation *invocation, gpointer user_data)
{
	struct stkagent_modem *modem = user_data;
	struct stkagent_ctx *ctx = modem->ctx;
	struct stkagent_pending *p;
	enum stkagent_method method;
	GError *error = NULL;

	/* only the oFono we registered with may call us */
	if (ctx->ofono_owner == NULL || g_strcmp0(sender, ctx->ofono_owner) != 0) {
		g_dbus_method_invocation_return_dbus_error(invocation,
			"org.freedesktop.DBus.Error.AccessDenied",
			"only org.ofono may call this agent");
		return;
	}
	if (!stkagent_method_lookup(method_name, &method)) {
		g_dbus_method_invocation_return_dbus_error(invocation,
			"org.freedesktop.DBus.Error.UnknownMethod", method_name);
		return;
	}

	if (method == STKAGENT_CANCEL) {
		stkagent_log_event(ctx, modem->path, "Cancel", NULL, NULL);
		cancel_pending(modem);
		g_object_unref(invocation);	/* no reply */
		return;
	}
	if (method == STKAGENT_RELEASE) {
		stkagent_log_event(ctx, modem->path, "Release", NULL, NULL);
		stkagent_screen(ctx, "[%s] Release: oFono dropped the agent\n", modem->path);
		stkagent_modem_abandon(modem, "released by oFono");
		g_object_unref(invocation);
		/*
		 * oFono sends Release before the reply to a RegisterAgent it
		 * handles later, so with one in flight this Release is about
		 * the previous registration and the new one settles the state.
		 */
		if (modem->registering)
			return;
		modem->registered = false;
		/* oFono may be going away: registering again fails harmlessly then */
		if (!ctx->stopping)
			stkagent_watch_schedule_register(modem, 500);
		return;
	}

	if (modem->pending)
		stkagent_modem_abandon(modem, "superseded by a new request");

	p = g_new0(struct stkagent_pending, 1);
	p->time_us = g_get_real_time();
	p->start_mono = g_get_monotonic_time();
	p->invocation = invocation;	/* we own the reference we were given */
	if (!stkagent_request_init(&p->request, method, parameters, &error)) {
		g_dbus_method_invocation_return_gerror(g_steal_pointer(&p->invocation), error);
		g_error_free(error);
		pending_free(p);
		return;
	}
	modem->pending = p;
	show_request(modem, &p->request);

	if (ctx->script) {
		const struct stkagent_answer *answer = stkagent_script_next(ctx->script, &p->request);
		const char *source = "none";

		if (answer)
			source = answer->line ? "script" : "default";
		stkagent_modem_answer(modem, answer, source);
	} else {
		stkagent_terminal_ask(ctx->terminal, modem);
	}
}

static const GDBusInterfaceVTable agent_vtable = {
	.method_call = method_call,
};

struct stkagent_modem *stkagent_modem_new(struct stkagent_ctx *ctx, const char *path)
{
	struct stkagent_modem *modem = g_new0(struct stkagent_modem, 1);

	modem->ctx = ctx;
	modem->path = g_strdup(path);
	/* both are object paths, so their concatenation is one ("/" stays "/") */
	if (strcmp(path, "/") == 0)
		modem->agent_path = g_strdup(ctx->base_path);
	else if (strcmp(ctx->base_path, "/") == 0)
		modem->agent_path = g_strdup(path);
	else
		modem->agent_path = g_strconcat(ctx->base_path, path, NULL);
	return modem;
}

bool stkagent_modem_export(struct stkagent_modem *modem)
{
	struct stkagent_ctx *ctx = modem->ctx;
	GError *error = NULL;

	if (modem->object_id)
		return true;
	if (ctx->agent_info == NULL)        /* parsed once, freed with the context */
		ctx->agent_info = g_dbus_node_info_new_for_xml(stkagent_introspection_xml(), NULL);
	modem->object_id = g_dbus_connection_register_object(ctx->conn, modem->agent_path,
							     ctx->agent_info->interfaces[0], &agent_vtable,
							     modem, NULL, &error);
	if (modem->object_id == 0) {
		g_warning("cannot export %s: %s", modem->agent_path, error->message);
		g_error_free(error);
		return false;
	}
	return true;
}

void stkagent_modem_unexport(struct stkagent_modem *modem)
{
	if (modem->object_id) {
		g_dbus_connection_unregister_object(modem->ctx->conn, modem->object_id);
		modem->object_id = 0;
	}
}

void stkagent_modem_free(struct stkagent_modem *modem)
{
	if (modem == NULL)
		return;
	stkagent_modem_abandon(modem, "modem gone");
	if (modem->retry_source)
		g_source_remove(modem->retry_source);
	stkagent_modem_unexport(modem);
	g_free(modem->path);
	g_free(modem->agent_path);
	g_free(modem);
}
