/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The deferred applet's menu item (a [menu-item N] with
 * applet=deferred@<tar>): "Pending requests".  It re-opens a stored request
 * nobody has answered - one whose session is not running: the terminal
 * could not show it (TS 102 223 §8.12 result 2X), or a reset cut it -
 * by running its proactive session again.  None: a DISPLAY TEXT says so;
 * one: it is re-opened at once; several: a SELECT ITEM lists them by their
 * text and the chosen one is re-opened.  Its answer then becomes R1 as any
 * other (deferred-session.c), fetched by the server's C2.
 */
#define G_LOG_DOMAIN "uicc-deferred"

#include <string.h>

#include "simota/cat.h"

#include "applets/deferred-internal.h"

#define NONE_TEXT "No pending requests."
#define TITLE "Pending requests"
#define ITEM_CHARS 30                     /* of a request's text in the list */

struct deferred_chooser {
	struct deferred_applet *app;      /* NULL once the card is freed */
	uint32_t *txids;                  /* item k + 1 is txids[k] */
	size_t n;
};

static void chooser_free(struct deferred_chooser *ch)
{
	if (ch->app && ch->app->chooser == ch)
		ch->app->chooser = NULL;
	g_free(ch->txids);
	g_free(ch);
}

void deferred_menu_detach(struct deferred_applet *app)
{
	if (app->chooser)
		app->chooser->app = NULL;
	app->chooser = NULL;
}

/* Runs the session of txid again, if it is still unanswered. */
static void reopen(struct deferred_applet *app, struct uicc_tk_invocation *inv, uint32_t txid)
{
	struct deferred_c1 *c1 = g_new0(struct deferred_c1, 1);

	if (deferred_store_get(app, txid) == DEFERRED_STORED_PENDING && !deferred_session_running(app, txid) &&
	    deferred_store_load_c1(app, txid, c1)) {
		g_message("%08x re-opened from the menu", txid);
		if (!deferred_session_start(app, inv, &c1->msg))
			g_warning("%08x: not re-opened", txid);
	}
	g_free(c1);
}

static void chosen(struct uicc_tk_invocation *inv, const struct uicc_tk_terminal_response *tr, void *user_data)
{
	struct deferred_chooser *ch = user_data;
	uint8_t id = 0;

	if (ch->app && !tr->aborted && (tr->general_result & 0xF0) == 0x00 && uicc_tk_ui_answer(tr, NULL, &id) &&
	    id >= 1 && id <= ch->n)
		reopen(ch->app, inv, ch->txids[id - 1]);
	chooser_free(ch);
}

/* The list entry of a request: the start of its text (UTF-8), else its transaction id. */
static char *entry_text(struct deferred_applet *app, uint32_t txid)
{
	struct deferred_c1 *c1 = g_new0(struct deferred_c1, 1);
	char *text;

	if (deferred_store_load_c1(app, txid, c1) && c1->msg.text && c1->msg.text_len) {
		char *all = g_strndup(c1->msg.text, c1->msg.text_len);

		text = g_utf8_validate(all, -1, NULL) && g_utf8_strlen(all, -1) > ITEM_CHARS ?
			g_utf8_substring(all, 0, ITEM_CHARS) : g_strdup(all);
		g_free(all);
	} else {
		text = g_strdup_printf("Request %08x", txid);
	}
	g_free(c1);
	return text;
}

static void choose(struct deferred_applet *app, struct uicc_tk_invocation *inv, uint32_t *txids, size_t n)
{
	struct deferred_chooser *ch = g_new0(struct deferred_chooser, 1);
	struct uicc_tk_item *items = g_new0(struct uicc_tk_item, n);
	char **texts = g_new0(char *, n + 1);
	struct uicc_tk_ui ui = { .type = SIMOTA_CAT_SELECT_ITEM, .text = TITLE, .items = items, .n_items = n };
	enum uicc_tk_result r;

	for (size_t i = 0; i < n; i++) {
		texts[i] = entry_text(app, txids[i]);
		items[i].id = (uint8_t)(i + 1);
		items[i].text = texts[i];
	}
	ch->app = app;
	ch->txids = txids;
	ch->n = n;
	r = uicc_tk_ui_send(inv, &ui, chosen, ch);
	if (r != UICC_TK_OK) {
		g_warning("pending requests not listed: %s", uicc_tk_strerror(r));
		ch->app = NULL;
		chooser_free(ch);
	} else {
		deferred_menu_detach(app);        /* a former list's answer no longer counts */
		app->chooser = ch;
	}
	g_strfreev(texts);
	g_free(items);
}

void deferred_menu_selection(struct deferred_applet *app, struct uicc_tk_invocation *inv)
{
	size_t n;
	uint32_t *txids = deferred_unanswered(app, &n);

	if (app->tc->mode != SIMOTA_CARD_MODE_DEFERRED || n == 0) {
		struct uicc_tk_ui ui = { .type = SIMOTA_CAT_DISPLAY_TEXT, .qualifier = 0x80, .text = NONE_TEXT };

		g_free(txids);
		if (uicc_tk_ui_send(inv, &ui, NULL, NULL) != UICC_TK_OK)
			g_warning("\"" NONE_TEXT "\" not shown");
		return;
	}
	if (n == 1) {
		reopen(app, inv, txids[0]);
		g_free(txids);
		return;
	}
	if (n > SIMOTA_CAT_MAX_ITEMS)
		n = SIMOTA_CAT_MAX_ITEMS;
	choose(app, inv, txids, n);
}
