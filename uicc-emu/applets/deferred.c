/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The deferred applet (doc/protocol.md §4, §5): C1 / C2 / release from the
 * OTA receiving entity (UICC_TK_EVENT_FORMATTED_SMS_PP), answered through
 * the envelope response handler (the PoR's additional data) before any
 * proactive command; pending sessions restarted after a TERMINAL PROFILE.
 */
#define G_LOG_DOMAIN "uicc-deferred"

#include <string.h>

#include "applets/deferred-internal.h"
#include "ota/ota.h"

static void answer(struct uicc_tk_invocation *inv, const struct simota_deferred_msg *m)
{
	uint8_t out[DEFERRED_MSG_MAX];
	size_t n;
	simota_err err = simota_deferred_encode(m, out, sizeof(out), &n);
	enum uicc_tk_result r;

	if (err) {
		g_warning("%s %08x not encoded: %s", simota_deferred_type_name(m->type), m->txid,
			  simota_strerror(err));
		return;
	}
	r = uicc_tk_response_write(inv, out, n);
	if (r != UICC_TK_OK)
		g_warning("%s %08x not written: %s", simota_deferred_type_name(m->type), m->txid,
			  uicc_tk_strerror(r));
}

static void answer_state(struct uicc_tk_invocation *inv, uint32_t txid, enum simota_deferred_state st)
{
	struct simota_deferred_msg *m = g_new0(struct simota_deferred_msg, 1);

	simota_deferred_init(m, SIMOTA_DEFERRED_R2S, txid);
	m->state = st;
	if (st == SIMOTA_DEFERRED_NOT_SUPPORTED)
		m->version = SIMOTA_DEFERRED_VERSION;
	answer(inv, m);
	g_free(m);
}

/* protocol.md §3.3: the RQ the card commits to (ir= of the TAR). */
static void ir_rq(struct deferred_applet *app, const struct simota_deferred_msg *c1, struct simota_deferred_rq *rq)
{
	struct simota_sms_address a;

	memset(rq, 0, sizeof(*rq));
	switch (app->tc->ir) {
	case SIMOTA_CARD_IR_FIXED:
		rq->form = SIMOTA_DEFERRED_RQ_FIXED;
		rq->seconds = app->tc->ir_seconds;
		break;
	case SIMOTA_CARD_IR_INDEFINITE:
		rq->form = SIMOTA_DEFERRED_RQ_INDEFINITE;
		break;
	case SIMOTA_CARD_IR_EVENT:
		rq->form = SIMOTA_DEFERRED_RQ_UNTIL_EVENT;
		rq->event = deferred_mg_address(app, c1, &a) ? SIMOTA_DEFERRED_EVENT_MG_SENT :
			SIMOTA_DEFERRED_EVENT_NEXT_SESSION;
		if (c1->wanted.form == SIMOTA_DEFERRED_RQ_UNTIL_EVENT)
			rq->seconds = c1->wanted.seconds;
		break;
	default:
		rq->form = SIMOTA_DEFERRED_RQ_NONE;
	}
}

static void answer_ir(struct deferred_applet *app, struct uicc_tk_invocation *inv,
		      const struct simota_deferred_msg *c1)
{
	struct simota_deferred_msg *m = g_new0(struct simota_deferred_msg, 1);

	simota_deferred_init(m, SIMOTA_DEFERRED_IR, c1->txid);
	ir_rq(app, c1, &m->rq);
	if (m->rq.form != SIMOTA_DEFERRED_RQ_NONE)
		answer(inv, m);
	g_free(m);
}

/* A done transaction's stored R2S; pending: pending; expired: expired; none: unknown. */
static void answer_stored(struct deferred_applet *app, struct uicc_tk_invocation *inv, uint32_t txid)
{
	uint8_t r2s[DEFERRED_MSG_MAX];
	size_t n;
	enum uicc_tk_result r;

	switch (deferred_store_get(app, txid)) {
	case DEFERRED_STORED_DONE:
		if (deferred_store_r2s(app, txid, r2s, sizeof(r2s), &n)) {
			r = uicc_tk_response_write(inv, r2s, n);
			if (r != UICC_TK_OK)
				g_warning("R2S %08x not written: %s", txid, uicc_tk_strerror(r));
			return;
		}
		answer_state(inv, txid, SIMOTA_DEFERRED_EXPIRED);
		return;
	case DEFERRED_STORED_PENDING:
		answer_state(inv, txid, SIMOTA_DEFERRED_PENDING);
		return;
	case DEFERRED_STORED_EXPIRED:
		answer_state(inv, txid, SIMOTA_DEFERRED_EXPIRED);
		return;
	default:
		answer_state(inv, txid, SIMOTA_DEFERRED_UNKNOWN);
	}
}

/* protocol.md §4.1 */
static void on_c1(struct deferred_applet *app, struct uicc_tk_invocation *inv,
		  const struct simota_deferred_msg *c1, const uint8_t *raw, size_t len)
{
	if (app->tc->mode == SIMOTA_CARD_MODE_PRIOR_ART) {
		/* no IR, nothing stored: the answer is meant to go in this envelope's response */
		if (!deferred_session_start(app, inv, c1))
			answer_state(inv, c1->txid, SIMOTA_DEFERRED_BAD_REQUEST);
		return;
	}
	switch (deferred_store_get(app, c1->txid)) {
	case DEFERRED_STORED_PENDING:
		answer_ir(app, inv, c1);          /* the first IR's PoR may have been lost */
		return;
	case DEFERRED_STORED_DONE:
	case DEFERRED_STORED_EXPIRED:
		answer_stored(app, inv, c1->txid);
		return;
	default:
		break;
	}
	if (deferred_store_count(app) >= app->tc->capacity) {
		answer_state(inv, c1->txid, SIMOTA_DEFERRED_FULL);
		return;
	}
	if (!deferred_session_buildable(app, c1)) {
		answer_state(inv, c1->txid, SIMOTA_DEFERRED_BAD_REQUEST);
		return;
	}
	if (!deferred_store_add(app, c1->txid, raw, len)) {
		answer_state(inv, c1->txid, SIMOTA_DEFERRED_FULL);
		return;
	}
	/* TS 143 019 §6.6: the IR first, while the envelope response is open */
	answer_ir(app, inv, c1);
	if (!deferred_session_start(app, inv, c1))
		deferred_store_expire(app, c1->txid);
}

/* protocol.md §4.5 */
static void on_release(struct deferred_applet *app, struct uicc_tk_invocation *inv, uint32_t txid)
{
	if (deferred_store_get(app, txid) == DEFERRED_STORED_NONE) {
		answer_state(inv, txid, SIMOTA_DEFERRED_UNKNOWN);
		return;
	}
	if (deferred_store_release(app, txid))
		answer_state(inv, txid, SIMOTA_DEFERRED_RELEASED);
}

static void on_secured_data(struct deferred_applet *app, struct uicc_tk_invocation *inv)
{
	struct simota_deferred_msg *m = g_new0(struct simota_deferred_msg, 1);
	size_t len;
	const uint8_t *data = uicc_tk_invocation_data(inv, &len);
	simota_err err = simota_deferred_decode(data, len, m);

	if (err) {
		g_message("secured data refused: %s", simota_strerror(err));
		answer_state(inv, m->txid, err == SIMOTA_ERR_UNSUPPORTED ? SIMOTA_DEFERRED_NOT_SUPPORTED :
			     SIMOTA_DEFERRED_BAD_REQUEST);
		g_free(m);
		return;
	}
	switch (m->type) {
	case SIMOTA_DEFERRED_C1:
		on_c1(app, inv, m, data, len);
		break;
	case SIMOTA_DEFERRED_C2:
		answer_stored(app, inv, m->txid);
		break;
	case SIMOTA_DEFERRED_RELEASE:
		on_release(app, inv, m->txid);
		break;
	default:
		/* IR, MG, R2S travel card → SV1 only */
		answer_state(inv, m->txid, SIMOTA_DEFERRED_BAD_REQUEST);
	}
	g_free(m);
}

/* After a reset the ME sends TERMINAL PROFILE: run the sessions of pending transactions again. */
static void restart_sessions(struct deferred_applet *app, struct uicc_tk_invocation *inv)
{
	size_t n;
	uint32_t *pending = deferred_unanswered(app, &n);
	struct deferred_c1 *c1 = g_new0(struct deferred_c1, 1);

	for (size_t i = 0; i < n; i++) {
		if (!deferred_store_load_c1(app, pending[i], c1))
			continue;
		g_message("%08x still pending: its proactive session runs again", pending[i]);
		deferred_session_start(app, inv, &c1->msg);
	}
	g_free(c1);
	g_free(pending);
}

static enum uicc_tk_result deferred_process(struct uicc_tk_invocation *inv, void *user_data)
{
	struct deferred_applet *app = user_data;

	switch (uicc_tk_invocation_event(inv)) {
	case UICC_TK_EVENT_FORMATTED_SMS_PP:
		on_secured_data(app, inv);
		break;
	case UICC_TK_EVENT_PROFILE_DOWNLOAD:
		if (app->tc->mode == SIMOTA_CARD_MODE_DEFERRED)
			restart_sessions(app, inv);
		break;
	case UICC_TK_EVENT_MENU_SELECTION:
		deferred_menu_selection(app, inv);
		break;
	default:
		break;
	}
	return UICC_TK_OK;
}

static void deferred_free(void *data)
{
	struct deferred_applet *app = data;

	deferred_sessions_detach(app);
	deferred_menu_detach(app);
	g_free(app);
}

bool uicc_deferred_attach(struct uicc_card *card, const struct simota_card_tar *tc, GError **error)
{
	struct deferred_applet *app = g_new0(struct deferred_applet, 1);

	app->card = card;
	app->tk = uicc_card_toolkit(card);
	app->state = uicc_card_state_of(card);
	app->tc = tc;
	g_snprintf(app->prefix, sizeof(app->prefix), "deferred %02x%02x%02x ", tc->tar[0], tc->tar[1], tc->tar[2]);
	app->applet = uicc_ota_register_instance(card, tc, deferred_process, app, error);
	if (!app->applet) {
		g_free(app);
		return false;
	}
	uicc_card_add_cleanup(card, deferred_free, app);
	uicc_tk_applet_set_event(app->applet, UICC_TK_EVENT_PROFILE_DOWNLOAD);
	/*
	 * A C1, C2 or release changes nothing but the card state and queues no
	 * proactive command before its store commit (on_c1: the session starts
	 * once the C1 is stored), and reacts to a failed store commit as it does
	 * after a durable counter (C1: undone, "full"; release: no answer, the
	 * removal left in memory, which then goes to disk with the counter, as
	 * the next commit would have written it): the packet's counter may ride
	 * on that commit.  Not in prior-art mode: its C1 queues the session's
	 * command without storing anything.
	 */
	if (tc->mode == SIMOTA_CARD_MODE_DEFERRED)
		uicc_ota_instance_shares_commit(card, app->applet);
	return true;
}
