/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The deferred applet's proactive session (doc/protocol.md §3.2, §3.5):
 * the CAT command a C1 asks for (TS 102 223 §6.4.1 DISPLAY TEXT, §6.4.2
 * GET INKEY, §6.4.3 GET INPUT, §6.4.9 SELECT ITEM), its TERMINAL RESPONSE
 * turned into R1 (an R2S "done"), stored, and the MG (§4.3): a plain
 * SMS-SUBMIT by SEND SHORT MESSAGE.  In prior-art mode R1 goes to the
 * envelope response handler instead, which is refused (TS 143 019 §6.6).
 */
#define G_LOG_DOMAIN "uicc-deferred"

#include <string.h>

#include "simota/cat.h"

#include "applets/deferred-internal.h"

struct deferred_session {
	struct deferred_applet *app;      /* NULL once the card is freed */
	uint32_t txid;
	enum simota_deferred_action action;
	struct simota_sms_address mg;
	bool has_mg;
};

/* TS 102 223 §8.6 qualifiers of the command a C1 asks for (uicc_tk_ui_encode builds it). */
static simota_err build_command(struct deferred_applet *app, const struct simota_deferred_msg *c1,
				uint8_t *out, size_t cap, size_t *len)
{
	char *text = c1->text ? g_strndup(c1->text, c1->text_len) : g_strdup("");
	struct uicc_tk_item items[SIMOTA_CAT_MAX_ITEMS];
	char *item_text[SIMOTA_CAT_MAX_ITEMS] = { NULL };
	struct uicc_tk_ui ui = { .text = text };
	simota_err err = SIMOTA_OK;

	switch (c1->action) {
	case SIMOTA_DEFERRED_DISPLAY_TEXT:
		ui.type = SIMOTA_CAT_DISPLAY_TEXT;
		ui.qualifier = 0x80;              /* normal priority, wait for user to clear */
		break;
	case SIMOTA_DEFERRED_GET_INPUT: {
		struct simota_deferred_input in = { SIMOTA_DEFERRED_INPUT_DEFAULT_MIN,
						    SIMOTA_DEFERRED_INPUT_DEFAULT_MAX, 0 };

		if (c1->has_input)
			in = c1->input;
		ui.type = SIMOTA_CAT_GET_INPUT;
		/* b1: alphabet (0: digits only); b2: UCS2 so any text can be entered; b3: hidden */
		ui.qualifier = (in.flags & SIMOTA_DEFERRED_INPUT_DIGITS) ? 0x00 : 0x03;
		if (in.flags & SIMOTA_DEFERRED_INPUT_HIDDEN)
			ui.qualifier |= 0x04;
		ui.min_len = in.min_len;
		ui.max_len = in.max_len;
		break;
	}
	case SIMOTA_DEFERRED_SELECT_ITEM:
		ui.type = SIMOTA_CAT_SELECT_ITEM;
		for (size_t i = 0; i < c1->n_items && i < SIMOTA_CAT_MAX_ITEMS; i++) {
			item_text[i] = g_strndup(c1->items[i].text, c1->items[i].text_len);
			items[i].id = c1->items[i].id;
			items[i].text = item_text[i];
			ui.n_items = i + 1;
		}
		ui.items = items;
		ui.default_item = c1->default_item;   /* protocol.md §3.2: 8D, checked by the decoder */
		break;
	case SIMOTA_DEFERRED_YES_NO:
		ui.type = SIMOTA_CAT_GET_INKEY;
		ui.qualifier = 0x04;              /* "Yes/No" */
		break;
	default:
		err = SIMOTA_ERR_UNSUPPORTED;
	}
	if (!err)
		err = uicc_tk_ui_encode(app->tk, &ui, out, cap, len);
	for (size_t i = 0; i < ui.n_items; i++)
		g_free(item_text[i]);
	g_free(text);
	return err;
}

bool deferred_session_buildable(struct deferred_applet *app, const struct simota_deferred_msg *c1)
{
	uint8_t cmd[512];
	size_t n;
	simota_err err = build_command(app, c1, cmd, sizeof(cmd), &n);

	if (err)
		g_message("C1 %08x: no proactive command for it: %s", c1->txid, simota_strerror(err));
	return err == SIMOTA_OK;
}

bool deferred_mg_address(struct deferred_applet *app, const struct simota_deferred_msg *c1,
			 struct simota_sms_address *out)
{
	const char *s = app->tc->mg_address;

	memset(out, 0, sizeof(*out));
	if (c1 && c1->has_sv1_address) {
		*out = c1->sv1_address;
		return true;
	}
	if (!*s)
		return false;
	if (*s == '+') {
		out->ton = SIMOTA_SMS_TON_INTERNATIONAL;
		s++;
	}
	out->npi = SIMOTA_SMS_NPI_ISDN;
	g_strlcpy(out->digits, s, sizeof(out->digits));
	return true;
}

/* protocol.md §1, §4.3: SMS-SUBMIT, TP-PID 00, TP-DCS 04, no UDH, TP-UD = B1. */
static void send_mg(struct uicc_tk_invocation *inv, struct deferred_session *s)
{
	struct simota_deferred_msg *mg = g_new0(struct simota_deferred_msg, 1);
	struct simota_sms_submit sms;
	uint8_t b1[32];
	size_t n;
	enum uicc_tk_result r = UICC_TK_ERR_BAD_DATA;

	simota_deferred_init(mg, SIMOTA_DEFERRED_MG, s->txid);
	memset(&sms, 0, sizeof(sms));
	sms.da = s->mg;
	sms.pid = 0x00;
	sms.dcs = 0x04;
	sms.vp.format = SIMOTA_SMS_VPF_NONE;
	if (simota_deferred_encode(mg, b1, sizeof(b1), &n) == SIMOTA_OK &&
	    simota_sms_ud_set_octets(&sms.ud, NULL, b1, n, SIMOTA_SMS_UD_MAX) == SIMOTA_OK)
		r = uicc_tk_send_short_message(inv, &sms, NULL, NULL);
	if (r != UICC_TK_OK)
		g_warning("MG of %08x not sent: %s", s->txid, uicc_tk_strerror(r));
	g_free(mg);
}

/* protocol.md §3.5: R1 from the TERMINAL RESPONSE (an R2S "done"). */
static bool build_r1(const struct deferred_session *s, const struct uicc_tk_terminal_response *tr,
		     uint8_t *out, size_t cap, size_t *len)
{
	struct simota_cat_msg *m = g_new0(struct simota_cat_msg, 1);
	struct simota_deferred_msg *r = g_new0(struct simota_deferred_msg, 1);
	bool decoded = simota_cat_response_decode(tr->raw, tr->len, m) == SIMOTA_OK;
	simota_err err;

	simota_deferred_init(r, SIMOTA_DEFERRED_R2S, s->txid);
	r->state = SIMOTA_DEFERRED_DONE;
	r->action = s->action;
	r->has_result = true;
	r->result.general = tr->general_result;
	r->result.additional = tr->additional;
	r->result.additional_len = tr->additional_len;
	r->result.yes = -1;
	if ((tr->general_result & 0xF0) == 0x00 && decoded) {
		const char *t;

		switch (s->action) {
		case SIMOTA_DEFERRED_GET_INPUT:
			t = simota_cat_string_get(m, &m->text);
			r->result.text = t ? t : "";
			r->result.text_len = strlen(r->result.text);
			break;
		case SIMOTA_DEFERRED_SELECT_ITEM:
			if (m->item_id.present)
				r->result.item_id = m->item_id.v;
			break;
		case SIMOTA_DEFERRED_YES_NO:
			r->result.yes = simota_cat_inkey_yes_no(m);
			break;
		default:
			break;
		}
	}
	err = simota_deferred_encode(r, out, cap, len);
	if (err)
		g_message("TERMINAL RESPONSE for %08x gives no R1 (%s)", s->txid, simota_strerror(err));
	g_free(r);
	g_free(m);
	return err == SIMOTA_OK;
}

static void session_done(struct uicc_tk_invocation *inv, const struct uicc_tk_terminal_response *tr,
			 void *user_data)
{
	struct deferred_session *s = user_data;
	struct deferred_applet *app = s->app;
	uint8_t r1[DEFERRED_MSG_MAX];
	size_t n = 0;
	bool ok;
	enum uicc_tk_result r;

	if (!app || tr->aborted) {
		/* card reset: the transaction stays pending; the session runs again after TERMINAL PROFILE */
		if (app)
			app->sessions = g_list_remove(app->sessions, s);
		g_free(s);
		return;
	}
	app->sessions = g_list_remove(app->sessions, s);
	/*
	 * TS 102 223 §8.12, 2X: the terminal cannot do it now (screen busy, ME
	 * busy): nobody has answered, so the request stays pending - it runs
	 * again after the next TERMINAL PROFILE, or when the user opens it from
	 * the menu's pending requests.
	 */
	if (app->tc->mode == SIMOTA_CARD_MODE_DEFERRED && (tr->general_result & 0xF0) == 0x20) {
		g_message("%08x: the terminal cannot show it now (result %02x): it stays pending", s->txid,
			  tr->general_result);
		g_free(s);
		return;
	}
	ok = build_r1(s, tr, r1, sizeof(r1), &n);

	if (app->tc->mode == SIMOTA_CARD_MODE_PRIOR_ART) {
		/* Fig. 2: the answer only exists now, but the envelope's answer has gone out */
		r = ok ? uicc_tk_response_write(inv, r1, n) : UICC_TK_ERR_BAD_DATA;
		if (r != UICC_TK_OK)
			g_warning("prior-art: R1 of %08x lost: the envelope response handler refused it (%s)",
				  s->txid, uicc_tk_strerror(r));
		g_free(s);
		return;
	}
	if (deferred_store_get(app, s->txid) != DEFERRED_STORED_PENDING) {
		g_message("%08x released during its session: TERMINAL RESPONSE dropped", s->txid);
	} else if (!ok) {
		deferred_store_expire(app, s->txid);
	} else if (deferred_store_done(app, s->txid, r1, n)) {
		if (s->has_mg)
			send_mg(inv, s);
	}
	g_free(s);
}

bool deferred_session_start(struct deferred_applet *app, struct uicc_tk_invocation *inv,
			    const struct simota_deferred_msg *c1)
{
	struct deferred_session *s;
	uint8_t cmd[512];
	size_t n;
	enum uicc_tk_result r;
	simota_err err = build_command(app, c1, cmd, sizeof(cmd), &n);

	if (err)
		return false;
	s = g_new0(struct deferred_session, 1);
	s->app = app;
	s->txid = c1->txid;
	s->action = c1->action;
	s->has_mg = deferred_mg_address(app, c1, &s->mg);
	app->sessions = g_list_prepend(app->sessions, s);
	r = uicc_tk_proactive_send(inv, cmd, n, session_done, s);
	if (r != UICC_TK_OK) {
		g_warning("%08x: proactive command not queued: %s", c1->txid, uicc_tk_strerror(r));
		app->sessions = g_list_remove(app->sessions, s);
		g_free(s);
		return false;
	}
	return true;
}

bool deferred_session_running(struct deferred_applet *app, uint32_t txid)
{
	for (GList *l = app->sessions; l; l = l->next)
		if (((struct deferred_session *)l->data)->txid == txid)
			return true;
	return false;
}

void deferred_sessions_detach(struct deferred_applet *app)
{
	for (GList *l = app->sessions; l; l = l->next)
		((struct deferred_session *)l->data)->app = NULL;
	g_list_free(app->sessions);
	app->sessions = NULL;
}
