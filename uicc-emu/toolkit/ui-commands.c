/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The proactive commands that talk to the user (TS 102 223 §6.4.1 DISPLAY
 * TEXT, §6.4.2 GET INKEY, §6.4.3 GET INPUT, §6.4.8 SET UP MENU, §6.4.9
 * SELECT ITEM), built by the runtime for its users - the deferred applet's
 * sessions, the menu and its scripted sessions - from UTF-8 texts
 * (simota_cat_string_set picks the coding) and a command number of its own.
 */
#include <stdlib.h>
#include <string.h>

#include "simota/cat.h"
#include "toolkit/toolkit.h"

/* §6.6.8: SELECT ITEM's Item identifier, the item offered first; it names one of the items. */
static simota_err default_item(struct simota_cat_msg *m, const struct uicc_tk_ui *ui)
{
	if (ui->type != SIMOTA_CAT_SELECT_ITEM)
		return SIMOTA_ERR_BAD_VALUE;
	for (size_t i = 0; i < ui->n_items; i++)
		if (ui->items[i].id == ui->default_item) {
			m->item_id.present = true;
			m->item_id.v = ui->default_item;
			return SIMOTA_OK;
		}
	return SIMOTA_ERR_BAD_VALUE;
}

simota_err uicc_tk_ui_encode(struct uicc_toolkit *tk, const struct uicc_tk_ui *ui, uint8_t *out, size_t cap,
			     size_t *len)
{
	struct simota_cat_msg *m = calloc(1, sizeof(*m));
	simota_err err = SIMOTA_OK;

	if (!m)
		return SIMOTA_ERR_NO_SPACE;
	m->details.number = uicc_tk_next_command_number(tk);
	m->details.type = ui->type;
	m->details.qualifier = ui->qualifier;
	m->src = SIMOTA_CAT_DEV_UICC;
	/* §6.4.1: DISPLAY TEXT goes to the display, the others to the terminal */
	m->dst = ui->type == SIMOTA_CAT_DISPLAY_TEXT ? SIMOTA_CAT_DEV_DISPLAY : SIMOTA_CAT_DEV_TERMINAL;
	switch (ui->type) {
	case SIMOTA_CAT_DISPLAY_TEXT:
	case SIMOTA_CAT_GET_INKEY:
		err = simota_cat_string_set(m, &m->text, ui->text, -1);
		break;
	case SIMOTA_CAT_GET_INPUT:
		err = simota_cat_string_set(m, &m->text, ui->text, -1);
		m->response_length.present = true;
		m->response_length.min = ui->min_len;
		m->response_length.max = ui->max_len;
		break;
	case SIMOTA_CAT_SET_UP_MENU:
	case SIMOTA_CAT_SELECT_ITEM:
		err = simota_cat_string_set(m, &m->alpha_id, ui->text, -1);
		if (ui->n_items > SIMOTA_CAT_MAX_ITEMS)
			err = SIMOTA_ERR_NO_SPACE;
		for (size_t i = 0; !err && i < ui->n_items; i++) {
			m->items[i].id = ui->items[i].id;
			err = simota_cat_string_set(m, &m->items[i].text, ui->items[i].text, -1);
			m->n_items = (unsigned)i + 1;
		}
		break;
	default:
		err = SIMOTA_ERR_UNSUPPORTED;
	}
	if (!err && ui->default_item)
		err = default_item(m, ui);
	if (!err)
		err = simota_cat_command_encode(m, out, cap, len);
	if (!err && *len > UICC_TK_MAX_COMMAND)
		err = SIMOTA_ERR_NO_SPACE;
	free(m);
	return err;
}

enum uicc_tk_result uicc_tk_ui_send(struct uicc_tk_invocation *inv, const struct uicc_tk_ui *ui, uicc_tk_tr_fn on_tr,
				    void *user_data)
{
	uint8_t cmd[512];
	size_t n;

	if (uicc_tk_ui_encode(uicc_tk_invocation_toolkit(inv), ui, cmd, sizeof(cmd), &n) != SIMOTA_OK)
		return UICC_TK_ERR_BAD_COMMAND;
	return uicc_tk_proactive_send(inv, cmd, n, on_tr, user_data);
}

/* TS 102 223 §6.8: the text string of a GET INPUT / GET INKEY answer (UTF-8, malloc'd) or the item id. */
bool uicc_tk_ui_answer(const struct uicc_tk_terminal_response *tr, char **text, uint8_t *item_id)
{
	struct simota_cat_msg *m;
	const char *t;
	bool ok;

	if (text)
		*text = NULL;
	if (!tr->raw)
		return false;
	m = calloc(1, sizeof(*m));
	if (!m)
		return false;
	ok = simota_cat_response_decode(tr->raw, tr->len, m) == SIMOTA_OK;
	if (ok && text) {
		t = simota_cat_string_get(m, &m->text);
		*text = strdup(t ? t : "");
		ok = *text != NULL;
	}
	if (ok && item_id) {
		ok = m->item_id.present;
		*item_id = m->item_id.v;
	}
	free(m);
	return ok;
}
