/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * org.ofono.SimToolkitAgent method table, argument decoding and reply
 * checks, following oFono 1.31 src/stkagent.c (what it sends and what it
 * accepts back) and doc/stk-api.txt.
 */
#include <string.h>

#include "request.h"

#define ALLOW_BACK_END	(STKAGENT_ALLOW_GO_BACK | STKAGENT_ALLOW_END)

/*
 * One row a method: the D-Bus name, the GVariant types of its arguments and
 * answer, what its answer looks like, the errors oFono accepts back, and the
 * argument names the introspection data gives (in the order of in_signature).
 */
static const struct stkagent_method_info methods[STKAGENT_METHOD__COUNT] = {
	[STKAGENT_DISPLAY_TEXT] = { "DisplayText", "(syb)", "",
		STKAGENT_SHAPE_ACK, ALLOW_BACK_END | STKAGENT_ALLOW_BUSY,
		"text icon_id urgent", NULL },
	[STKAGENT_REQUEST_INPUT] = { "RequestInput", "(sysyyb)", "s",
		STKAGENT_SHAPE_INPUT, ALLOW_BACK_END,
		"alpha icon_id default min max hide_typing", "input" },
	[STKAGENT_REQUEST_DIGITS] = { "RequestDigits", "(sysyyb)", "s",
		STKAGENT_SHAPE_INPUT, ALLOW_BACK_END,
		"alpha icon_id default min max hide_typing", "digits" },
	[STKAGENT_REQUEST_KEY] = { "RequestKey", "(sy)", "s",
		STKAGENT_SHAPE_KEY, ALLOW_BACK_END, "alpha icon_id", "key" },
	[STKAGENT_REQUEST_DIGIT] = { "RequestDigit", "(sy)", "s",
		STKAGENT_SHAPE_KEY, ALLOW_BACK_END, "alpha icon_id", "digit" },
	[STKAGENT_REQUEST_QUICK_DIGIT] = { "RequestQuickDigit", "(sy)", "s",
		STKAGENT_SHAPE_KEY, ALLOW_BACK_END, "alpha icon_id", "digit" },
	[STKAGENT_REQUEST_CONFIRMATION] = { "RequestConfirmation", "(sy)", "b",
		STKAGENT_SHAPE_CONFIRM, ALLOW_BACK_END, "alpha icon_id", "confirmed" },
	[STKAGENT_REQUEST_SELECTION] = { "RequestSelection", "(sya(sy)n)", "y",
		STKAGENT_SHAPE_SELECT, ALLOW_BACK_END,
		"title icon_id items default", "selection" },
	[STKAGENT_CONFIRM_CALL_SETUP] = { "ConfirmCallSetup", "(sy)", "b",
		STKAGENT_SHAPE_CONFIRM, STKAGENT_ALLOW_END, "information icon_id", "confirmed" },
	[STKAGENT_PLAY_TONE] = { "PlayTone", "(ssy)", "",
		STKAGENT_SHAPE_ACK, STKAGENT_ALLOW_END, "tone text icon_id", NULL },
	[STKAGENT_LOOP_TONE] = { "LoopTone", "(ssy)", "",
		STKAGENT_SHAPE_ACK, STKAGENT_ALLOW_END, "tone text icon_id", NULL },
	/* src/stkagent.c action_info_cb() accepts no error at all */
	[STKAGENT_DISPLAY_ACTION_INFORMATION] = { "DisplayActionInformation", "(sy)", "",
		STKAGENT_SHAPE_ACK, 0, "text icon_id", NULL },
	/* confirm_launch_browser_cb() accepts no error either */
	[STKAGENT_CONFIRM_LAUNCH_BROWSER] = { "ConfirmLaunchBrowser", "(sys)", "b",
		STKAGENT_SHAPE_CONFIRM, 0, "information icon_id url", "confirmed" },
	[STKAGENT_DISPLAY_ACTION] = { "DisplayAction", "(sy)", "",
		STKAGENT_SHAPE_ACK, STKAGENT_ALLOW_END, "text icon_id", NULL },
	[STKAGENT_CONFIRM_OPEN_CHANNEL] = { "ConfirmOpenChannel", "(sy)", "b",
		STKAGENT_SHAPE_CONFIRM, STKAGENT_ALLOW_END, "information icon_id", "confirmed" },
	[STKAGENT_CANCEL] = { "Cancel", "()", "", STKAGENT_SHAPE_NOREPLY, 0, "", NULL },
	[STKAGENT_RELEASE] = { "Release", "()", "", STKAGENT_SHAPE_NOREPLY, 0, "", NULL },
};

static void append_arg(GString *xml, const char *name, const GVariantType *type,
		       const char *direction)
{
	gchar *sig = g_variant_type_dup_string(type);

	g_string_append_printf(xml, "   <arg name='%s' type='%s' direction='%s'/>\n",
			       name, sig, direction);
	g_free(sig);
}

static void append_method(GString *xml, const struct stkagent_method_info *info)
{
	gchar **names = g_strsplit(info->in_args, " ", -1);
	const GVariantType *t = g_variant_type_first(G_VARIANT_TYPE(info->in_signature));

	g_string_append_printf(xml, "  <method name='%s'>\n", info->name);
	for (guint i = 0; t != NULL && names[i] != NULL; t = g_variant_type_next(t), i++)
		append_arg(xml, names[i], t, "in");
	if (info->out_arg != NULL)
		append_arg(xml, info->out_arg, G_VARIANT_TYPE(info->out_signature), "out");
	if (info->shape == STKAGENT_SHAPE_NOREPLY)
		g_string_append(xml, "   <annotation name='org.freedesktop.DBus.Method.NoReply'"
				     " value='true'/>\n");
	g_string_append(xml, "  </method>\n");
	g_strfreev(names);
}

/* The introspection data, written once from the method table above. */
static const char *build_introspection_xml(void)
{
	GString *xml = g_string_new("<node>\n <interface name='" STKAGENT_INTERFACE "'>\n");

	for (unsigned int m = 0; m < STKAGENT_METHOD__COUNT; m++)
		append_method(xml, &methods[m]);
	g_string_append(xml, " </interface>\n</node>\n");
	return g_string_free(xml, FALSE);
}

G_DEFINE_QUARK(stkagent-error-quark, stkagent_error)

const struct stkagent_method_info *stkagent_method_info(enum stkagent_method m)
{
	if ((unsigned int)m >= STKAGENT_METHOD__COUNT)
		return NULL;
	return &methods[m];
}

bool stkagent_method_lookup(const char *name, enum stkagent_method *out)
{
	for (unsigned int i = 0; i < STKAGENT_METHOD__COUNT; i++) {
		if (strcmp(methods[i].name, name) == 0) {
			*out = (enum stkagent_method)i;
			return true;
		}
	}
	return false;
}

const char *stkagent_introspection_xml(void)
{
	static const char *xml;

	if (g_once_init_enter(&xml))
		g_once_init_leave(&xml, build_introspection_xml());
	return xml;
}

bool stkagent_request_init(struct stkagent_request *req, enum stkagent_method method,
			   GVariant *parameters, GError **error)
{
	const struct stkagent_method_info *info = stkagent_method_info(method);
	gboolean b = FALSE;
	GVariantIter *items = NULL;

	memset(req, 0, sizeof(*req));
	req->method = method;
	req->default_item = -1;

	if (info == NULL || parameters == NULL ||
	    !g_variant_is_of_type(parameters, G_VARIANT_TYPE(info->in_signature))) {
		g_set_error(error, STKAGENT_ERROR, 0,
			    "%s: arguments of type %s, expected %s",
			    info ? info->name : "?",
			    parameters ? g_variant_get_type_string(parameters) : "none",
			    info ? info->in_signature : "?");
		return false;
	}

	switch (method) {
	case STKAGENT_DISPLAY_TEXT:
		g_variant_get(parameters, "(syb)", &req->text, &req->icon, &b);
		req->urgent = b;
		break;
	case STKAGENT_REQUEST_INPUT:
	case STKAGENT_REQUEST_DIGITS:
		g_variant_get(parameters, "(sysyyb)", &req->text, &req->icon,
			      &req->default_text, &req->min_len, &req->max_len, &b);
		req->hide_typing = b;
		break;
	case STKAGENT_REQUEST_SELECTION: {
		const char *text;
		guint8 icon;
		guint n;

		g_variant_get(parameters, "(sya(sy)n)", &req->text, &req->icon,
			      &items, &req->default_item);
		n = (guint)g_variant_iter_n_children(items);
		req->items = g_new0(struct stkagent_item, n ? n : 1);
		while (g_variant_iter_next(items, "(&sy)", &text, &icon)) {
			req->items[req->n_items].text = g_strdup(text);
			req->items[req->n_items].icon = icon;
			req->n_items++;
		}
		g_variant_iter_free(items);
		break;
	}
	case STKAGENT_PLAY_TONE:
	case STKAGENT_LOOP_TONE:
		g_variant_get(parameters, "(ssy)", &req->tone, &req->text, &req->icon);
		break;
	case STKAGENT_CONFIRM_LAUNCH_BROWSER:
		g_variant_get(parameters, "(sys)", &req->text, &req->icon, &req->url);
		break;
	case STKAGENT_CANCEL:
	case STKAGENT_RELEASE:
		break;
	default:	/* every remaining method is (sy) */
		g_variant_get(parameters, "(sy)", &req->text, &req->icon);
		break;
	}
	return true;
}

void stkagent_request_clear(struct stkagent_request *req)
{
	g_free(req->text);
	g_free(req->tone);
	g_free(req->default_text);
	g_free(req->url);
	for (guint i = 0; i < req->n_items; i++)
		g_free(req->items[i].text);
	g_free(req->items);
	memset(req, 0, sizeof(*req));
	req->default_item = -1;
}

void stkagent_reply_clear(struct stkagent_reply *reply)
{
	g_free(reply->string);
	g_free(reply->note);
	memset(reply, 0, sizeof(*reply));
}

GVariant *stkagent_reply_to_variant(const struct stkagent_reply *reply, enum stkagent_method method)
{
	const struct stkagent_method_info *info = stkagent_method_info(method);

	switch (info->shape) {
	case STKAGENT_SHAPE_CONFIRM:
		return g_variant_new("(b)", reply->boolean);
	case STKAGENT_SHAPE_INPUT:
	case STKAGENT_SHAPE_KEY:
		return g_variant_new("(s)", reply->string ? reply->string : "");
	case STKAGENT_SHAPE_SELECT:
		return g_variant_new("(y)", reply->index);
	default:
		return g_variant_new("()");
	}
}

static unsigned int error_flag(const char *name)
{
	if (g_strcmp0(name, STKAGENT_ERROR_GO_BACK) == 0)
		return STKAGENT_ALLOW_GO_BACK;
	if (g_strcmp0(name, STKAGENT_ERROR_END) == 0)
		return STKAGENT_ALLOW_END;
	if (g_strcmp0(name, STKAGENT_ERROR_BUSY) == 0)
		return STKAGENT_ALLOW_BUSY;
	return 0;
}

/* src/stkagent.c get_digit_cb(): one of 0-9 * # +, and no '+' for a quick digit */
static bool digit_acceptable(const char *s, bool quick)
{
	if (s == NULL || strlen(s) != 1 || strchr(STKAGENT_DIGITS, s[0]) == NULL)
		return false;
	return !(quick && s[0] == '+');
}

bool stkagent_reply_acceptable(const struct stkagent_request *req,
			       const struct stkagent_reply *reply, char **reason)
{
	const struct stkagent_method_info *info = stkagent_method_info(req->method);
	const char *s = reply->string;
	char *why = NULL;

	if (reply->kind == STKAGENT_REPLY_NONE)
		goto out;

	if (reply->kind == STKAGENT_REPLY_ERROR) {
		if ((error_flag(reply->error_name) & info->allowed_errors) == 0)
			why = g_strdup_printf("oFono does not accept %s from %s",
					      reply->error_name, info->name);
		goto out;
	}

	switch (req->method) {
	case STKAGENT_REQUEST_INPUT:
	case STKAGENT_REQUEST_DIGITS: {
		glong len;

		if (s == NULL || !g_utf8_validate(s, -1, NULL)) {
			why = g_strdup("input is not UTF-8");
			break;
		}
		len = g_utf8_strlen(s, -1);
		if (len < req->min_len || len > req->max_len)
			why = g_strdup_printf("input of %ld characters, %u..%u expected",
					      len, req->min_len, req->max_len);
		/* RequestDigits: oFono itself does not check the characters */
		break;
	}
	case STKAGENT_REQUEST_KEY:
		if (s == NULL || !g_utf8_validate(s, -1, NULL) || g_utf8_strlen(s, -1) != 1)
			why = g_strdup("a key is exactly one character");
		break;
	case STKAGENT_REQUEST_DIGIT:
	case STKAGENT_REQUEST_QUICK_DIGIT:
		if (!digit_acceptable(s, req->method == STKAGENT_REQUEST_QUICK_DIGIT))
			why = g_strdup_printf("a digit is one of 0-9 * #%s",
					      req->method == STKAGENT_REQUEST_DIGIT ? " +" : "");
		break;
	case STKAGENT_REQUEST_SELECTION:
		if (reply->index >= req->n_items)
			why = g_strdup_printf("item index %u of %u items", reply->index,
					      req->n_items);
		break;
	default:
		break;
	}
out:
	if (reason)
		*reason = why;
	else
		g_free(why);
	return why == NULL;
}
