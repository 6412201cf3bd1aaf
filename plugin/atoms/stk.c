// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The stk atom driver: ENVELOPE and TERMINAL RESPONSE go to the card
 * (TS 102 221 §11.2.2, §11.2.4); proactive commands announced by 91XX are
 * FETCHed (§11.2.3, TS 102 223 §6.3) and handed to oFono core, which talks
 * to the SimToolkit agent.  A TERMINAL RESPONSE answered 9000 ends the
 * proactive session (TS 102 223 §6.2: no further command pending).
 */
#define OFONO_API_SUBJECT_TO_CHANGE
#include <errno.h>
#include <string.h>

#include <ofono/modem.h>
#include <ofono/stk.h>

#include "stkbridge.h"
#include "atoms/stk-profile.h"

#define INS_ENVELOPE 0xC2
#define INS_TERMINAL_RESPONSE 0x14

/*
 * The atom is created when the SIM is ready (post_sim), again after every
 * removal and insertion: org.ofono.SimToolkit appears, and its agents
 * (stkbridge-agent, a phone's UI) register on seeing it.  A proactive
 * command the card announced before (TERMINAL PROFILE answered 91XX: an
 * applet resuming its session after a reset) is FETCHed only this long
 * after the atom registered, so that it finds an agent instead of failing.
 * Only that command waits: one announced once the atom is up (an agent had
 * its chance to register) is FETCHed at once.
 */
#define AGENT_GRACE_MS 1000

struct sb_stk {
	struct sb_modem *md;
	struct ofono_stk *stk;
	bool registered;
	bool fetching;
	guint register_id;
	guint grace_id;
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

/* ---- FETCH -------------------------------------------------------------------------- */

static void fetch_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct sb_stk *sd = user;

	sd->fetching = false;
	if (err || !sb_sw_ok(sw) || len == 0) {
		ofono_warn("%s: FETCH failed: %s SW %04X", sd->md->conf->name, err ? err->message : "", sw);
		return;
	}
	DBG("proactive command, %zu bytes", len);
	ofono_stk_proactive_command_notify(sd->stk, (int)len, data);
}

static void fetch_now(struct sb_stk *sd)
{
	struct sb_modem *md = sd->md;
	unsigned len = md->proactive_pending;

	if (!len || sd->fetching || !sd->registered || !md->session || !md->card_ready)
		return;
	if (sd->grace_id) {
		DBG("FETCH of the %u-byte proactive command held until agents had time to register", len);
		return;
	}
	DBG("FETCH of the %u-byte proactive command now", len);
	md->proactive_pending = 0;
	sd->fetching = true;
	sb_apdu_session_fetch(md->session, sd, len, fetch_cb, sd);
}

void sb_stk_proactive_pending(struct sb_modem *md, unsigned len)
{
	md->proactive_pending = len;
	if (md->stk_data)
		fetch_now(md->stk_data);
}

/* ---- ENVELOPE ---------------------------------------------------------------------- */

void sb_stk_envelope_raw(struct sb_modem *md, const void *owner, const uint8_t *data, size_t len,
			 sb_apdu_cb cb, void *user)
{
	uint8_t apdu[5 + 255];

	/* TS 102 221 §11.2.2: 80 C2 00 00 Lc data; the answer data comes by 61XX / GET RESPONSE */
	if (len == 0 || len > 255) {
		GError *e = g_error_new(SB_UICC_ERROR, SB_UICC_ERROR_PROTOCOL, "envelope of %zu bytes", len);

		cb(e, 0, NULL, 0, user);
		g_error_free(e);
		return;
	}
	apdu[0] = 0x80; apdu[1] = INS_ENVELOPE; apdu[2] = 0x00; apdu[3] = 0x00; apdu[4] = (uint8_t)len;
	memcpy(apdu + 5, data, len);
	sb_modem_apdu(md, owner, apdu, 5 + len, cb, user);
}

struct stk_req {
	struct sb_stk *sd;
	union {
		ofono_stk_envelope_cb_t envelope;
		ofono_stk_generic_cb_t generic;
	} cb;
	void *data;
};

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
	struct stk_req *r = g_new0(struct stk_req, 1);

	r->sd = ofono_stk_get_data(stk);
	r->cb.envelope = cb;
	r->data = data;
	sb_stk_envelope_raw(r->sd->md, r->sd, command, (size_t)length, envelope_cb, r);
}

/* ---- TERMINAL RESPONSE --------------------------------------------------------------- */

static void terminal_response_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct stk_req *r = user;
	struct sb_stk *sd = r->sd;
	struct ofono_error e;

	set_error(&e, err, sw);
	DBG("TERMINAL RESPONSE: SW %04X", sw);
	r->cb.generic(&e, r->data);
	g_free(r);
	/* 9000: the card has nothing more to say, the proactive session is over (91XX: FETCH follows) */
	if (!err && sw == 0x9000)
		ofono_stk_proactive_session_end_notify(sd->stk);
}

static void sb_stk_terminal_response(struct ofono_stk *stk, int length, const unsigned char *resp,
				     ofono_stk_generic_cb_t cb, void *data)
{
	struct stk_req *r = g_new0(struct stk_req, 1);
	uint8_t apdu[5 + 255];

	r->sd = ofono_stk_get_data(stk);
	r->cb.generic = cb;
	r->data = data;
	if (length <= 0 || length > 255) {
		struct ofono_error e = { .type = OFONO_ERROR_TYPE_FAILURE };

		cb(&e, data);
		g_free(r);
		return;
	}
	/* TS 102 221 §11.2.4: 80 14 00 00 Lc data */
	apdu[0] = 0x80; apdu[1] = INS_TERMINAL_RESPONSE; apdu[2] = 0x00; apdu[3] = 0x00; apdu[4] = (uint8_t)length;
	memcpy(apdu + 5, resp, (size_t)length);
	sb_modem_apdu(r->sd->md, r->sd, apdu, 5 + (size_t)length, terminal_response_cb, r);
}

static void sb_stk_user_confirmation(struct ofono_stk *stk, ofono_bool_t confirm)
{
	/* SET UP CALL confirmation: this modem has no voice calls */
}

/* ---- the atom ---------------------------------------------------------------------- */

static gboolean grace_over_cb(gpointer p)
{
	struct sb_stk *sd = p;

	sd->grace_id = 0;
	fetch_now(sd);
	return G_SOURCE_REMOVE;
}

static gboolean stk_register_cb(gpointer p)
{
	struct sb_stk *sd = p;

	sd->register_id = 0;
	ofono_stk_register(sd->stk);
	sd->registered = true;
	if (sd->md->proactive_pending)
		sd->grace_id = g_timeout_add(AGENT_GRACE_MS, grace_over_cb, sd);
	fetch_now(sd);
	return G_SOURCE_REMOVE;
}

static int sb_stk_probe(struct ofono_stk *stk, unsigned int vendor, void *data)
{
	struct sb_modem *md = data;
	struct sb_stk *sd = g_new0(struct sb_stk, 1);

	sd->md = md;
	sd->stk = stk;
	md->stk = stk;
	md->stk_data = sd;
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
	if (sd->grace_id)
		g_source_remove(sd->grace_id);
	sb_modem_cancel_owner(sd->md, sd);
	if (sd->md->stk_data == sd) {
		sd->md->stk_data = NULL;
		sd->md->stk = NULL;
	}
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
