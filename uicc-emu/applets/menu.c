/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The toolkit menu and its scripted sessions (applets/menu.h). */
#define G_LOG_DOMAIN "uicc-menu"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

#include "simota/cat.h"

#include "applets/menu.h"
#include "card/card-access.h"

#define NO_HELP "No help for this item."
#define INPUT_MAX 40                      /* GET INPUT: 1 to 40 characters */
#define RESULT_BACK 0x11                  /* TS 102 223 §8.12: backward move requested by the user */

struct menu_part {
	struct uicc_toolkit *tk;
	const struct simota_card_menu *menu;
	struct uicc_tk_applet *applet;
	struct uicc_tk_applet *bound[SIMOTA_CARD_MAX_MENU_ITEMS];   /* by item index; NULL: scripted */
	GList *sessions;                  /* struct menu_session *, awaiting a TERMINAL RESPONSE */
};

/* One user session of a scripted item. */
struct menu_session {
	struct menu_part *part;           /* NULL once the card is freed */
	const struct simota_card_menu_item *item;
	unsigned step;
	char *answers[SIMOTA_CARD_MAX_MENU_STEPS];
};

static void session_free(struct menu_session *s)
{
	if (s->part)
		s->part->sessions = g_list_remove(s->part->sessions, s);
	for (unsigned i = 0; i < SIMOTA_CARD_MAX_MENU_STEPS; i++)
		free(s->answers[i]);
	g_free(s);
}

/* $N: the answer of step N; $$: a '$'. */
static char *substitute(const struct menu_session *s, const char *text)
{
	GString *out = g_string_new(NULL);

	for (const char *c = text; *c; c++) {
		if (*c == '$' && c[1] == '$') {
			g_string_append_c(out, '$');
			c++;
		} else if (*c == '$' && c[1] >= '1' && c[1] <= '0' + SIMOTA_CARD_MAX_MENU_STEPS) {
			const char *answer = s->answers[c[1] - '1'];

			g_string_append(out, answer ? answer : "");
			c++;
		} else {
			g_string_append_c(out, *c);
		}
	}
	return g_string_free(out, FALSE);
}

static void step_done(struct uicc_tk_invocation *inv, const struct uicc_tk_terminal_response *tr, void *user_data);

/* TS 102 223 §6.4.1, §6.4.3, §6.4.9: the command of the session's current step. */
static void run_step(struct uicc_tk_invocation *inv, struct menu_session *s)
{
	const struct simota_card_menu_step *st = &s->item->steps[s->step];
	struct uicc_tk_item items[SIMOTA_CARD_MAX_SELECT_OPTIONS];
	char *text = substitute(s, st->text);
	struct uicc_tk_ui ui = { .text = text };
	enum uicc_tk_result r;

	switch (st->kind) {
	case SIMOTA_CARD_STEP_DISPLAY:
		ui.type = SIMOTA_CAT_DISPLAY_TEXT;
		ui.qualifier = 0x80;              /* wait for the user to clear it */
		break;
	case SIMOTA_CARD_STEP_INPUT:
		ui.type = SIMOTA_CAT_GET_INPUT;
		ui.qualifier = 0x01;              /* SMS default alphabet, not digits only */
		ui.min_len = 1;
		ui.max_len = INPUT_MAX;
		break;
	case SIMOTA_CARD_STEP_SELECT:
		ui.type = SIMOTA_CAT_SELECT_ITEM;
		for (unsigned i = 0; i < st->n_options; i++) {
			items[i].id = (uint8_t)(i + 1);
			items[i].text = st->options[i];
		}
		ui.items = items;
		ui.n_items = st->n_options;
		break;
	}
	r = uicc_tk_ui_send(inv, &ui, step_done, s);
	g_free(text);
	if (r != UICC_TK_OK) {
		g_warning("menu item %u, step %u: not sent: %s", s->item->id, s->step + 1, uicc_tk_strerror(r));
		session_free(s);
	}
}

/* The answer of a step (GET INPUT text, the chosen option's text), kept for $N. */
static void keep_answer(struct menu_session *s, const struct uicc_tk_terminal_response *tr)
{
	const struct simota_card_menu_step *st = &s->item->steps[s->step];
	char *text = NULL;
	uint8_t id = 0;

	if (st->kind == SIMOTA_CARD_STEP_INPUT && uicc_tk_ui_answer(tr, &text, NULL)) {
		free(s->answers[s->step]);
		s->answers[s->step] = text;
	} else if (st->kind == SIMOTA_CARD_STEP_SELECT && uicc_tk_ui_answer(tr, NULL, &id) && id >= 1 &&
		   id <= st->n_options) {
		free(s->answers[s->step]);
		s->answers[s->step] = strdup(st->options[id - 1]);
	}
}

/* TS 102 223 §8.12: success goes on, back goes one step back, anything else ends the session. */
static void step_done(struct uicc_tk_invocation *inv, const struct uicc_tk_terminal_response *tr, void *user_data)
{
	struct menu_session *s = user_data;

	if (!s->part || tr->aborted) {
		session_free(s);
		return;
	}
	if ((tr->general_result & 0xF0) == 0x00) {
		keep_answer(s, tr);
		s->step++;
	} else if (tr->general_result == RESULT_BACK && s->step > 0) {
		s->step--;
	} else {
		g_message("menu item %u: session ended at step %u (result %02x)", s->item->id, s->step + 1,
			  tr->general_result);
		s->step = s->item->n_steps;
	}
	if (s->step >= s->item->n_steps) {
		session_free(s);
		return;
	}
	run_step(inv, s);
}

static int item_index(const struct menu_part *part, uint8_t id)
{
	for (unsigned i = 0; i < part->menu->n_items; i++)
		if (part->menu->items[i].id == id)
			return (int)i;
	return -1;
}

/* TS 102 223 §7.2: MENU SELECTION, with or without a help request. */
static void on_selection(struct menu_part *part, struct uicc_tk_invocation *inv)
{
	int i = item_index(part, uicc_tk_invocation_id(inv));
	const struct simota_card_menu_item *item;
	struct menu_session *s;
	const uint8_t *data;
	size_t len;

	if (i < 0)
		return;
	item = &part->menu->items[i];
	if (uicc_tk_invocation_help(inv)) {
		struct uicc_tk_ui ui = { .type = SIMOTA_CAT_DISPLAY_TEXT, .qualifier = 0x80,
					 .text = item->help ? item->help : NO_HELP };
		enum uicc_tk_result r = uicc_tk_ui_send(inv, &ui, NULL, NULL);

		if (r != UICC_TK_OK)
			g_warning("menu item %u: help not sent: %s", item->id, uicc_tk_strerror(r));
		return;
	}
	if (part->bound[i]) {
		data = uicc_tk_invocation_data(inv, &len);
		uicc_tk_invoke_nested(inv, part->bound[i], UICC_TK_EVENT_MENU_SELECTION, data, len, NULL, NULL, NULL);
		return;
	}
	s = g_new0(struct menu_session, 1);
	s->part = part;
	s->item = item;
	part->sessions = g_list_prepend(part->sessions, s);
	run_step(inv, s);
}

static void menu_ui(const struct simota_card_menu *menu, struct uicc_tk_item *items, struct uicc_tk_ui *ui)
{
	bool help = false;

	for (unsigned i = 0; i < menu->n_items; i++) {
		items[i].id = menu->items[i].id;
		items[i].text = menu->items[i].text;
		help |= menu->items[i].help != NULL;
	}
	*ui = (struct uicc_tk_ui){
		.type = SIMOTA_CAT_SET_UP_MENU,
		/* §8.6: b8 help information available */
		.qualifier = help ? 0x80 : 0x00,
		.text = menu->title,
		.items = items,
		.n_items = menu->n_items,
	};
}

static void menu_set_up(struct uicc_tk_invocation *inv, const struct uicc_tk_terminal_response *tr, void *user_data)
{
	(void)inv;
	(void)user_data;
	if (!tr->aborted && (tr->general_result & 0xF0) != 0x00)
		g_warning("SET UP MENU refused by the terminal (result %02x)", tr->general_result);
}

/* TS 102 223 §6.4.8 after each TERMINAL PROFILE that has the command. */
static void on_profile(struct menu_part *part, struct uicc_tk_invocation *inv)
{
	struct uicc_tk_item items[SIMOTA_CARD_MAX_MENU_ITEMS];
	struct uicc_tk_ui ui;
	enum uicc_tk_result r;

	if (!uicc_tk_terminal_supports_command(part->tk, SIMOTA_CAT_SET_UP_MENU)) {
		g_message("the terminal has no SET UP MENU (TERMINAL PROFILE byte 4 b6): no menu");
		return;
	}
	menu_ui(part->menu, items, &ui);
	r = uicc_tk_ui_send(inv, &ui, menu_set_up, part);
	if (r != UICC_TK_OK)
		g_warning("SET UP MENU not sent: %s", uicc_tk_strerror(r));
}

static enum uicc_tk_result menu_process(struct uicc_tk_invocation *inv, void *user_data)
{
	switch (uicc_tk_invocation_event(inv)) {
	case UICC_TK_EVENT_PROFILE_DOWNLOAD:
		on_profile(user_data, inv);
		break;
	case UICC_TK_EVENT_MENU_SELECTION:
		on_selection(user_data, inv);
		break;
	default:
		break;
	}
	return UICC_TK_OK;
}

static void menu_free(void *data)
{
	struct menu_part *part = data;

	for (GList *l = part->sessions; l; l = l->next)
		((struct menu_session *)l->data)->part = NULL;
	g_list_free(part->sessions);
	g_free(part);
}

/* The items' applets exist (they are attached before the menu), the SET UP MENU fits one command. */
static bool bind_items(struct menu_part *part, GError **error)
{
	struct uicc_tk_item items[SIMOTA_CARD_MAX_MENU_ITEMS];
	struct uicc_tk_ui ui;
	uint8_t cmd[512];
	size_t n;

	for (unsigned i = 0; i < part->menu->n_items; i++) {
		const struct simota_card_menu_item *item = &part->menu->items[i];

		if (item->applet) {
			part->bound[i] = uicc_tk_applet_find(part->tk, item->applet);
			if (!part->bound[i]) {
				g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
					    "[menu-item %u] applet: no applet %s on this card", item->id, item->applet);
				return false;
			}
		}
		if (uicc_tk_applet_add_menu_item(part->applet, item->id) != UICC_TK_OK) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "[menu-item %u]: item not registered",
				    item->id);
			return false;
		}
	}
	menu_ui(part->menu, items, &ui);
	if (uicc_tk_ui_encode(part->tk, &ui, cmd, sizeof(cmd), &n) != SIMOTA_OK) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "[menu]: the title and items do not fit one SET UP MENU (%d bytes)", UICC_TK_MAX_COMMAND);
		return false;
	}
	return true;
}

bool uicc_menu_attach(struct uicc_card *card, GError **error)
{
	const struct simota_card_config *cfg = uicc_card_config_of(card);
	struct menu_part *part;

	if (!cfg->menu)
		return true;
	part = g_new0(struct menu_part, 1);
	part->tk = uicc_card_toolkit(card);
	part->menu = cfg->menu;
	part->applet = uicc_tk_applet_register(part->tk, "menu", menu_process, part);
	if (!part->applet) {
		g_free(part);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "[menu]: not registered (too many applets?)");
		return false;
	}
	uicc_card_add_cleanup(card, menu_free, part);
	uicc_tk_applet_set_event(part->applet, UICC_TK_EVENT_PROFILE_DOWNLOAD);
	return bind_items(part, error);
}
