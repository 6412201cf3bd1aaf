// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The stkbridge modem driver: one modem per config group, its card behind a
 * UICC backend and its network behind a network backend.
 *
 *   enable     connect to the card (power on, ATR), select ADF.USIM, send
 *              TERMINAL PROFILE (TS 102 221 §14.7: before any other CAT
 *              exchange); powered once the first attempt is over (a missing
 *              card is "no SIM", retried with backoff)
 *   pre_sim    sim atom
 *   post_sim   stk atom, sms atom (when a network is configured)
 *   set_online connects / drops the network link
 *   post_online netreg atom
 *
 * As in oFono's own modem drivers, the atoms that need a working card are
 * created in post_sim (the SIM is ready: PIN entered, files read).  A card
 * that goes away (uicc-emu gone, card out of its reader) is reported with
 * ofono_sim_inserted_notify(FALSE): the core puts the modem back in its
 * pre-SIM state and removes every atom created after it (stk, sms, netreg),
 * so org.ofono.SimToolkit goes and its agent is released.  The card is
 * connected again after 250 ms, doubling to 5 s (at once on a reader's
 * "card inserted" event); once it is reset and has had its TERMINAL
 * PROFILE, ofono_sim_inserted_notify(TRUE) starts oFono's SIM
 * initialisation again (PIN), and post_sim creates the stk and sms atoms
 * anew when the SIM is ready.
 */
#define OFONO_API_SUBJECT_TO_CHANGE
#include <errno.h>
#include <string.h>

#include <ofono/modem.h>
#include <ofono/netreg.h>
#include <ofono/sim.h>
#include <ofono/sms.h>
#include <ofono/stk.h>

#include "stkbridge.h"
#include "atoms/stk-profile.h"
#include "net/net.h"
#include "simota/hex.h"
#include "simota/ts102221.h"

#define RECONNECT_MIN_MS 250
#define RECONNECT_MAX_MS 5000

/* TS 101 220 Annex E: the USIM application code, RID A000000087 + 1002 (right-truncated AID). */
static const uint8_t usim_partial_aid[] = { 0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02 };

static void card_start(struct sb_modem *md);
static void card_retry(void *md);

/* An APDU failed for lack of a card, reported from the main loop. */
struct deferred_fail {
	struct sb_modem *md;
	const void *owner;
	sb_apdu_cb cb;
	void *user;
	guint id;
};


struct sb_modem *sb_modem_new(const struct sb_modem_conf *conf)
{
	struct sb_modem *md = g_new0(struct sb_modem, 1);

	md->conf = g_new0(struct sb_modem_conf, 1);
	md->conf->name = g_strdup(conf->name);
	sb_uicc_addr_copy(&md->conf->uicc, &conf->uicc);
	md->conf->net.kind = conf->net.kind;
	md->conf->net.host = g_strdup(conf->net.host);
	md->conf->net.port = conf->net.port;
	md->conf->net.path = g_strdup(conf->net.path);
	sb_backoff_init(&md->reconnect, RECONNECT_MIN_MS, RECONNECT_MAX_MS, card_retry, md);
	return md;
}

static void sb_modem_free(struct sb_modem *md)
{
	sb_backoff_cancel(&md->reconnect);
	while (md->deferred) {
		struct deferred_fail *d = md->deferred->data;

		g_source_remove(d->id);
		g_free(d);
		md->deferred = g_list_delete_link(md->deferred, md->deferred);
	}
	sb_net_free(md->net);
	sb_uicc_free(md->uicc);           /* first: no backend callback after this */
	sb_apdu_session_free(md->session);
	g_free(md->conf->name);
	sb_uicc_addr_clear(&md->conf->uicc);
	sb_net_addr_clear(&md->conf->net);
	g_free(md->conf);
	g_free(md);
}

/* ---- APDUs for the atoms ---------------------------------------------------- */

static gboolean deferred_fail_cb(gpointer p)
{
	struct deferred_fail *d = p;
	GError *err = g_error_new(SB_UICC_ERROR, SB_UICC_ERROR_ABSENT, "no card");

	d->md->deferred = g_list_remove(d->md->deferred, d);
	d->cb(err, 0, NULL, 0, d->user);
	g_error_free(err);
	g_free(d);
	return G_SOURCE_REMOVE;
}

void sb_modem_cancel_owner(struct sb_modem *md, const void *owner)
{
	GList *l = md->deferred;

	while (l) {
		GList *next = l->next;
		struct deferred_fail *d = l->data;

		if (d->owner == owner) {
			g_source_remove(d->id);
			md->deferred = g_list_delete_link(md->deferred, l);
			g_free(d);
		}
		l = next;
	}
	if (md->session)
		sb_apdu_session_cancel_owner(md->session, owner);
}

static void modem_apdu(struct sb_modem *md, bool next, const void *owner, const uint8_t *apdu, size_t len,
		       sb_apdu_cb cb, void *user)
{
	struct deferred_fail *d;

	if (md->session && md->card_ready) {
		if (next)
			sb_apdu_session_send_next(md->session, owner, apdu, len, cb, user);
		else
			sb_apdu_session_send(md->session, owner, apdu, len, cb, user);
		return;
	}
	d = g_new0(struct deferred_fail, 1);
	d->md = md;
	d->owner = owner;
	d->cb = cb;
	d->user = user;
	d->id = g_idle_add(deferred_fail_cb, d);
	md->deferred = g_list_prepend(md->deferred, d);
}

void sb_modem_apdu(struct sb_modem *md, const void *owner, const uint8_t *apdu, size_t len, sb_apdu_cb cb,
		   void *user)
{
	modem_apdu(md, false, owner, apdu, len, cb, user);
}

void sb_modem_apdu_next(struct sb_modem *md, const void *owner, const uint8_t *apdu, size_t len, sb_apdu_cb cb,
			void *user)
{
	modem_apdu(md, true, owner, apdu, len, cb, user);
}

/* ---- the card ----------------------------------------------------------------- */

static void card_retry(void *p)
{
	card_start(p);
}

static void schedule_reconnect(struct sb_modem *md)
{
	if (md->powered)
		sb_backoff_schedule(&md->reconnect);
}

static void card_drop(struct sb_modem *md)
{
	GError *err = g_error_new(SB_UICC_ERROR, SB_UICC_ERROR_ABSENT, "card removed");
	struct sb_apdu_session *s = md->session;

	md->card_ready = false;
	md->session = NULL;
	md->proactive_pending = 0;
	if (s) {
		sb_apdu_session_fail_all(s, err);
		sb_apdu_session_free(s);
	}
	g_error_free(err);
}

/* First card attempt over: the modem is powered, with or without a card. */
static void enable_done(struct sb_modem *md)
{
	if (!md->enabling)
		return;
	md->enabling = false;
	md->powered = true;
	ofono_modem_set_powered(md->modem, TRUE);
}

static void card_failed(struct sb_modem *md, const char *what, const GError *err)
{
	ofono_warn("%s: card %s: %s (retrying)", md->conf->name, what, err ? err->message : "failed");
	card_drop(md);
	sb_uicc_power_off(md->uicc);
	if (md->enabling)
		md->powered = true;
	enable_done(md);
	schedule_reconnect(md);
}

static void card_ready(struct sb_modem *md)
{
	md->card_ready = true;
	sb_backoff_reset(&md->reconnect);
	ofono_info("%s: card ready on %s", md->conf->name, md->uicc->description);
	if (md->enabling) {
		enable_done(md);
		return;
	}
	if (md->sim) {
		ofono_sim_inserted_notify(md->sim, TRUE);
		ofono_sim_initialized_notify(md->sim);
	}
	if (md->proactive_pending)
		sb_stk_proactive_pending(md, md->proactive_pending);
}

static void terminal_profile_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct sb_modem *md = user;

	if (err) {
		card_failed(md, "TERMINAL PROFILE", err);
		return;
	}
	if (!sb_sw_ok(sw))
		ofono_warn("%s: TERMINAL PROFILE refused (SW %04X): no proactive commands", md->conf->name, sw);
	card_ready(md);
}

static void select_usim_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct sb_modem *md = user;
	uint8_t apdu[5 + 64];
	size_t plen;
	const uint8_t *profile = sb_stk_terminal_profile(&plen);

	if (err) {
		card_failed(md, "SELECT ADF.USIM", err);
		return;
	}
	if (!sb_sw_ok(sw))
		ofono_error("%s: the card has no USIM application (SELECT by AID: SW %04X)", md->conf->name, sw);

	/* TS 102 221 §11.2.1 TERMINAL PROFILE: 80 10 00 00 Lc profile */
	apdu[0] = 0x80; apdu[1] = 0x10; apdu[2] = 0x00; apdu[3] = 0x00; apdu[4] = (uint8_t)plen;
	memcpy(apdu + 5, profile, plen);
	sb_apdu_session_send(md->session, md, apdu, 5 + plen, terminal_profile_cb, md);
}

static void select_usim(struct sb_modem *md)
{
	uint8_t apdu[5 + sizeof(usim_partial_aid)];

	/* TS 102 221 §11.1.1: SELECT by DF name (AID), first occurrence, return FCP */
	apdu[0] = 0x00; apdu[1] = 0xA4; apdu[2] = 0x04; apdu[3] = 0x04; apdu[4] = sizeof(usim_partial_aid);
	memcpy(apdu + 5, usim_partial_aid, sizeof(usim_partial_aid));
	sb_apdu_session_send(md->session, md, apdu, sizeof(apdu), select_usim_cb, md);
}

static void iccid_read_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct sb_modem *md = user;

	if (err) {
		card_failed(md, "READ BINARY EF_ICCID", err);
		return;
	}
	if (sb_sw_ok(sw) && simota_ef_iccid_decode(data, len, md->iccid) != SIMOTA_OK)
		ofono_warn("%s: EF_ICCID is not BCD digits", md->conf->name);
	else if (!sb_sw_ok(sw))
		ofono_warn("%s: EF_ICCID unreadable (SW %04X)", md->conf->name, sw);
	if (md->net)
		sb_net_set_identity(md->net, md->iccid, "");
	select_usim(md);
}

static void iccid_select_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct sb_modem *md = user;
	static const uint8_t read_iccid[] = { 0x00, 0xB0, 0x00, 0x00, 0x0A };

	if (err) {
		card_failed(md, "SELECT EF_ICCID", err);
		return;
	}
	if (!sb_sw_ok(sw)) {
		ofono_warn("%s: no EF_ICCID (SW %04X)", md->conf->name, sw);
		select_usim(md);
		return;
	}
	sb_apdu_session_send(md->session, md, read_iccid, sizeof(read_iccid), iccid_read_cb, md);
}

static void on_proactive(unsigned len, void *user)
{
	struct sb_modem *md = user;

	md->proactive_pending = len;
	if (md->card_ready)
		sb_stk_proactive_pending(md, len);
}

static void card_lost(const GError *why, void *user)
{
	struct sb_modem *md = user;

	ofono_warn("%s: card lost: %s", md->conf->name, why ? why->message : "");
	card_drop(md);
	/* SIM removed: the core drops the post-SIM atoms (stk, sms, netreg) itself, the sim atom stays */
	if (md->sim)
		ofono_sim_inserted_notify(md->sim, FALSE);
	schedule_reconnect(md);
}

/* The backend saw a card arrive (pcsc reader events): try now instead of at the next backoff step. */
static void card_present(void *user)
{
	struct sb_modem *md = user;

	if (!md->powered || md->card_ready || !sb_backoff_pending(&md->reconnect))
		return;
	ofono_info("%s: card inserted", md->conf->name);
	sb_backoff_cancel(&md->reconnect);
	sb_backoff_reset(&md->reconnect);
	card_start(md);
}

static void atr_cb(const GError *err, const uint8_t *atr, size_t len, void *user)
{
	struct sb_modem *md = user;
	static const uint8_t select_iccid[] = { 0x00, 0xA4, 0x08, 0x0C, 0x02, 0x2F, 0xE2 };
	char *hex;

	if (err) {
		card_failed(md, "connect", err);
		return;
	}
	hex = simota_hex_dup(atr, len);
	DBG("%s: ATR %s", md->conf->name, hex);
	g_free(hex);

	memset(&md->pin1, 0, sizeof(md->pin1));     /* a reset card: nothing verified on it yet */
	md->session = sb_apdu_session_new(md->uicc, md->conf->uicc.timeout_ms);
	sb_apdu_session_set_proactive_cb(md->session, on_proactive, md);

	/* EF_ICCID (TS 102 221 §13.2), selected by path from the MF: the card's identity on the network link */
	sb_apdu_session_send(md->session, md, select_iccid, sizeof(select_iccid), iccid_select_cb, md);
}

static void card_start(struct sb_modem *md)
{
	if (!md->uicc) {
		md->uicc = sb_uicc_new(&md->conf->uicc);
		sb_uicc_set_lost_handler(md->uicc, card_lost, md);
		sb_uicc_set_present_handler(md->uicc, card_present, md);
	}
	sb_uicc_power_on(md->uicc, atr_cb, md);
}

/* ---- the network ------------------------------------------------------------- */

static void net_state_cb(struct sb_net *net, bool up, void *user)
{
	struct sb_modem *md = user;

	ofono_info("%s: network link %s", md->conf->name, up ? "up" : "down");
	sb_netreg_link_changed(md);
}

/* ---- driver callbacks ---------------------------------------------------------- */

static int sb_probe(struct ofono_modem *modem)
{
	struct sb_modem *md = ofono_modem_get_data(modem);

	if (!md)
		return -EINVAL;
	md->modem = modem;
	DBG("%s", md->conf->name);
	return 0;
}

static void sb_remove(struct ofono_modem *modem)
{
	struct sb_modem *md = ofono_modem_get_data(modem);

	DBG("%s", md->conf->name);
	ofono_modem_set_data(modem, NULL);
	sb_modem_free(md);
}

static int sb_enable(struct ofono_modem *modem)
{
	struct sb_modem *md = ofono_modem_get_data(modem);

	DBG("%s", md->conf->name);
	md->enabling = true;
	sb_backoff_reset(&md->reconnect);
	if (md->conf->net.kind != SB_NET_NONE && !md->net)
		md->net = sb_net_new(&md->conf->net, md->conf->name, net_state_cb, md);
	card_start(md);
	return -EINPROGRESS;
}

static int sb_disable(struct ofono_modem *modem)
{
	struct sb_modem *md = ofono_modem_get_data(modem);

	DBG("%s", md->conf->name);
	md->powered = false;
	md->enabling = false;
	sb_backoff_cancel(&md->reconnect);
	card_drop(md);
	if (md->uicc)
		sb_uicc_power_off(md->uicc);
	if (md->net)
		sb_net_stop(md->net);
	md->online = false;
	return 0;
}

static void sb_set_online(struct ofono_modem *modem, ofono_bool_t online, ofono_modem_online_cb_t cb,
			  void *data)
{
	struct sb_modem *md = ofono_modem_get_data(modem);
	struct ofono_error ok = { .type = OFONO_ERROR_TYPE_NO_ERROR, .error = 0 };

	DBG("%s online %d", md->conf->name, online);
	md->online = online;
	if (md->net) {
		if (online)
			sb_net_start(md->net);
		else
			sb_net_stop(md->net);
	}
	sb_netreg_link_changed(md);
	cb(&ok, data);
}

static void sb_pre_sim(struct ofono_modem *modem)
{
	struct sb_modem *md = ofono_modem_get_data(modem);

	DBG("%s", md->conf->name);
	md->sim = ofono_sim_create(modem, 0, SB_DRIVER, md);
}

static void sb_post_sim(struct ofono_modem *modem)
{
	struct sb_modem *md = ofono_modem_get_data(modem);

	DBG("%s", md->conf->name);
	if (!md->stk)
		md->stk = ofono_stk_create(modem, 0, SB_DRIVER, md);
	if (md->conf->net.kind != SB_NET_NONE && !md->sms)
		md->sms = ofono_sms_create(modem, 0, SB_DRIVER, md);
}

static void sb_post_online(struct ofono_modem *modem)
{
	struct sb_modem *md = ofono_modem_get_data(modem);

	DBG("%s", md->conf->name);
	if (!md->netreg)
		md->netreg = ofono_netreg_create(modem, 0, SB_DRIVER, md);
}

static const struct ofono_modem_driver sb_modem_driver = {
	.name = SB_DRIVER,
	.probe = sb_probe,
	.remove = sb_remove,
	.enable = sb_enable,
	.disable = sb_disable,
	.set_online = sb_set_online,
	.pre_sim = sb_pre_sim,
	.post_sim = sb_post_sim,
	.post_online = sb_post_online,
};

int sb_modem_driver_register(void)
{
	return ofono_modem_driver_register(&sb_modem_driver);
}

void sb_modem_driver_unregister(void)
{
	ofono_modem_driver_unregister(&sb_modem_driver);
}
