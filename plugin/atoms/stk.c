// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The stk atom driver: envelopes and terminal responses go to the card
 * through the card service (card/card.h); the card's proactive commands
 * come from it and go to oFono core, which talks to the SimToolkit agent,
 * and so does the end of the card's proactive session (TS 102 223 §6.2).
 * A REFRESH goes to the core too (src/stk.c: it re-reads the files named,
 * or starts the SIM again), except "UICC Reset", which the modem does
 * (sb_modem_uicc_reset()).
 */
#define OFONO_API_SUBJECT_TO_CHANGE
#include <errno.h>
#include <string.h>

#include <ofono/modem.h>
#include <ofono/stk.h>

#include "simota/cat.h"
#include "stkbridge.h"
#include "atoms/stk-profile.h"

/*
 * The atom is created when the SIM is ready (post_sim), again after every
 * removal and insertion: org.ofono.SimToolkit appears, and its agents
 * (stkbridge-agent, a phone's UI) register on seeing it.  It listens to the
 * card's proactive commands once registered; one the card announced before
 * (TERMINAL PROFILE answered 91XX: an applet resuming its session after a
 * reset) reaches it only SB_CARD_AGENT_GRACE_MS later, so that it finds an
 * agent instead of failing (the card service holds it).
 */
struct sb_stk {
	struct sb_modem *md;
	struct ofono_stk *stk;
	bool listening;
	guint register_id;
};

/*
 * TS 102 223 §5.2 / TS 31.111 §5.2, byte by byte:
 *  1: profile download, SMS-PP data download, menu selection, 9EXX, timer expiration
 *  2: command result, UCS2 entry, UCS2 display
 *  3: DISPLAY TEXT, GET INKEY, GET INPUT, MORE TIME, PLAY TONE, POLL INTERVAL, POLLING OFF, REFRESH
 *  4: SELECT ITEM, SEND SHORT MESSAGE, SET UP MENU, PROVIDE LOCAL INFORMATION (MCC MNC LAC CI IMEI)
 *  5: SET UP EVENT LIST
 *  6-7: none
 *  8: TIMER MANAGEMENT (start, stop, get current value), PROVIDE LOCAL INFORMATION (date, time, zone),
 *     GET INKEY binary choice, SET UP IDLE MODE TEXT
 *  9: DISPLAY TEXT sustained, PROVIDE LOCAL INFORMATION (language)
 */
static const uint8_t terminal_profile[] = {
	0x3B, 0x61, 0xFF, 0x63, 0x01, 0x00, 0x00, 0x1F, 0x09,
};

const uint8_t *sb_stk_terminal_profile(size_t *len)
{
	*len = sizeof(terminal_profile);
	return terminal_profile;
}

static void set_error(struct ofono_error *e, const GError *err, uint16_t sw)
{
	e->error = 0;
	if (err)
		e->type = OFONO_ERROR_TYPE_FAILURE;
	else if (sb_sw_ok(sw))
		e->type = OFONO_ERROR_TYPE_NO_ERROR;
	else {
		e->type = OFONO_ERROR_TYPE_SIM;
		e->error = sw;
	}
}

/* ---- from the card ------------------------------------------------------------------ */

/* TS 102 223 §6.4.7: REFRESH "UICC Reset" (qualifier 04), the modem's to do. */
static bool is_uicc_reset(const uint8_t *cmd, size_t len)
{
	struct simota_cat_msg *m = g_new0(struct simota_cat_msg, 1);
	bool reset = simota_cat_command_decode(cmd, len, m) == SIMOTA_OK && m->details.type == SIMOTA_CAT_REFRESH &&
		     m->details.qualifier == 0x04;

	g_free(m);
	return reset;
}

static void on_proactive_command(const uint8_t *cmd, size_t len, void *user)
{
	struct sb_stk *sd = user;

	DBG("proactive command, %zu bytes", len);
	if (is_uicc_reset(cmd, len)) {
		sb_modem_uicc_reset(sd->md, cmd, len);
		return;
	}
	ofono_stk_proactive_command_notify(sd->stk, (int)len, cmd);
}

static void on_session_end(void *user)
{
	struct sb_stk *sd = user;

	ofono_stk_proactive_session_end_notify(sd->stk);
}

static const struct sb_card_toolkit_handlers toolkit_listener = {
	.proactive_command = on_proactive_command,
	.session_end = on_session_end,
};

/* ---- ENVELOPE ---------------------------------------------------------------------- */

struct stk_req {
	struct sb_stk *sd;
	union {
		ofono_stk_envelope_cb_t envelope;
		ofono_stk_generic_cb_t generic;
	} cb;
	void *data;
};

/* A request of oFono's to the card; its callback is set by the caller. */
static struct stk_req *stk_req_new(struct ofono_stk *stk, void *data)
{
	struct stk_req *r = g_new0(struct stk_req, 1);

	r->sd = ofono_stk_get_data(stk);
	r->data = data;
	return r;
}

static void envelope_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct stk_req *r = user;
	struct ofono_error e;

	set_error(&e, err, sw);
	DBG("ENVELOPE: SW %04X, %zu bytes", sw, len);
	r->cb.envelope(&e, e.type == OFONO_ERROR_TYPE_NO_ERROR ? data : NULL,
		       e.type == OFONO_ERROR_TYPE_NO_ERROR ? (int)len : 0, r->data);
	g_free(r);
}

static void sb_stk_envelope(struct ofono_stk *stk, int length, const unsigned char *command,
			    ofono_stk_envelope_cb_t cb, void *data)
{
	struct stk_req *r = stk_req_new(stk, data);

	r->cb.envelope = cb;
	sb_card_envelope(r->sd->md->card, r->sd, command, length > 0 ? (size_t)length : 0, envelope_cb, r);
}

/* ---- TERMINAL RESPONSE --------------------------------------------------------------- */

static void terminal_response_cb(const GError *err, uint16_t sw, void *user)
{
	struct stk_req *r = user;
	struct ofono_error e;

	set_error(&e, err, sw);
	DBG("TERMINAL RESPONSE: SW %04X", sw);
	r->cb.generic(&e, r->data);
	g_free(r);
}

static void sb_stk_terminal_response(struct ofono_stk *stk, int length, const unsigned char *resp,
				     ofono_stk_generic_cb_t cb, void *data)
{
	struct stk_req *r = stk_req_new(stk, data);

	r->cb.generic = cb;
	sb_card_terminal_response(r->sd->md->card, r->sd, resp, length > 0 ? (size_t)length : 0, terminal_response_cb, r);
}

static void sb_stk_user_confirmation(struct ofono_stk *stk, ofono_bool_t confirm)
{
	/* SET UP CALL confirmation: this modem has no voice calls */
}

/* ---- the atom ---------------------------------------------------------------------- */

static gboolean stk_register_cb(gpointer p)
{
	struct sb_stk *sd = p;

	sd->register_id = 0;
	ofono_stk_register(sd->stk);
	sd->listening = true;
	sb_card_toolkit_attach(sd->md->card, &toolkit_listener, sd);
	return G_SOURCE_REMOVE;
}

static int sb_stk_probe(struct ofono_stk *stk, unsigned int vendor, void *data)
{
	struct sb_modem *md = data;
	struct sb_stk *sd = g_new0(struct sb_stk, 1);

	sd->md = md;
	sd->stk = stk;
	md->stk = stk;
	ofono_stk_set_data(stk, sd);
	sd->register_id = g_idle_add(stk_register_cb, sd);
	return 0;
}

static void sb_stk_remove(struct ofono_stk *stk)
{
	struct sb_stk *sd = ofono_stk_get_data(stk);

	ofono_stk_set_data(stk, NULL);
	if (sd->register_id)
		g_source_remove(sd->register_id);
	if (sd->listening)
		sb_card_toolkit_detach(sd->md->card);
	sb_card_cancel_owner(sd->md->card, sd);
	if (sd->md->stk == stk)
		sd->md->stk = NULL;
	g_free(sd);
}

static const struct ofono_stk_driver sb_stk_driver = {
	.name = SB_DRIVER,
	.probe = sb_stk_probe,
	.remove = sb_stk_remove,
	.envelope = sb_stk_envelope,
	.terminal_response = sb_stk_terminal_response,
	.user_confirmation = sb_stk_user_confirmation,
};

int sb_stk_driver_register(void)
{
	return ofono_stk_driver_register(&sb_stk_driver);
}

void sb_stk_driver_unregister(void)
{
	ofono_stk_driver_unregister(&sb_stk_driver);
}
