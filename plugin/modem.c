// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The stkbridge modem driver: one modem per config group, its card behind
 * the card service (card/card.h) and its network behind a network backend.
 *
 *   enable     start the card (power on, ATR, ADF.USIM), read EF_ICCID, send
 *              the TERMINAL PROFILE (TS 102 221 §14.7: before any other CAT
 *              exchange; a backend whose modem firmware owns it says so);
 *              powered once the first attempt is over (a missing card is
 *              "no SIM", retried with backoff)
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
 * connected again after 250 ms, doubling to 5 s (at once when the card
 * service says a card arrived: a reader's "card inserted" event); once it
 * is reset and has had its TERMINAL PROFILE, ofono_sim_inserted_notify(TRUE) starts oFono's SIM
 * initialisation again (PIN), and post_sim creates the stk and sms atoms
 * anew when the SIM is ready.  A REFRESH "UICC Reset" from the card is
 * carried out here (sb_modem_uicc_reset): the card is reset as after a
 * loss, oFono told it was done.
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
#include "simota/ts102221.h"

#define RECONNECT_MIN_MS 250
#define RECONNECT_MAX_MS 5000

static void card_start(struct sb_modem *md);
static void card_retry(void *md);

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
	md->conf->net.card_on_modem = conf->net.card_on_modem;
	sb_backoff_init(&md->reconnect, RECONNECT_MIN_MS, RECONNECT_MAX_MS, card_retry, md);
	return md;
}

static void uicc_reset_cancel(struct sb_modem *md)
{
	if (md->uicc_reset_id)
		g_source_remove(md->uicc_reset_id);
	md->uicc_reset_id = 0;
	g_clear_pointer(&md->uicc_reset_cmd, g_bytes_unref);
}

static void sb_modem_free(struct sb_modem *md)
{
	uicc_reset_cancel(md);
	sb_backoff_cancel(&md->reconnect);
	sb_net_free(md->net);
	sb_card_free(md->card);           /* no card callback after this */
	g_free(md->conf->name);
	sb_uicc_addr_clear(&md->conf->uicc);
	sb_net_addr_clear(&md->conf->net);
	g_free(md->conf);
	g_free(md);
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
	md->card_ready = false;
	sb_card_stop(md->card);
	if (md->enabling)
		md->powered = true;
	enable_done(md);
	schedule_reconnect(md);
}

static void card_ready(struct sb_modem *md)
{
	md->card_ready = true;
	sb_backoff_reset(&md->reconnect);
	ofono_info("%s: card ready on %s", md->conf->name, sb_card_description(md->card));
	if (md->enabling) {
		enable_done(md);
		return;
	}
	if (md->sim) {
		ofono_sim_inserted_notify(md->sim, TRUE);
		ofono_sim_initialized_notify(md->sim);
	}
}

static void terminal_profile_cb(const GError *err, uint16_t sw, void *user)
{
	struct sb_modem *md = user;

	if (err && g_error_matches(err, SB_CARD_ERROR, SB_CARD_ERROR_UNSUPPORTED)) {
		ofono_info("%s: the terminal profile is not the host's to set on %s: %s", md->conf->name,
			   sb_card_description(md->card), err->message);
	} else if (err) {
		card_failed(md, "TERMINAL PROFILE", err);
		return;
	} else if (!sb_sw_ok(sw)) {
		ofono_warn("%s: TERMINAL PROFILE refused (SW %04X): no proactive commands", md->conf->name, sw);
	}
	card_ready(md);
}

static void iccid_read_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct sb_modem *md = user;
	size_t plen;
	const uint8_t *profile = sb_stk_terminal_profile(&plen);

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
	sb_card_terminal_profile(md->card, md, profile, plen, terminal_profile_cb, md);
}

static void card_started(struct sb_card_service *card, const GError *err, void *user)
{
	struct sb_modem *md = user;
	/* EF_ICCID (TS 102 221 §13.2) in the MF: the card's identity on the network link */
	static const struct sb_card_path ef_iccid = { .len = 2, .fid = { 0x2F, 0xE2 } };

	if (err) {
		card_failed(md, "connect", err);
		return;
	}
	sb_card_read_binary(card, md, &ef_iccid, 0, SIMOTA_EF_ICCID_LEN, iccid_read_cb, md);
}

static void card_lost(struct sb_modem *md, const GError *why)
{
	ofono_warn("%s: card lost: %s", md->conf->name, why ? why->message : "");
	md->card_ready = false;
	/* SIM removed: the core drops the post-SIM atoms (stk, sms, netreg) itself, the sim atom stays */
	if (md->sim)
		ofono_sim_inserted_notify(md->sim, FALSE);
	schedule_reconnect(md);
}

/* A card arrived (pcsc reader events): try now instead of at the next backoff step. */
static void card_present(struct sb_modem *md)
{
	if (!md->powered || md->card_ready || !sb_backoff_pending(&md->reconnect))
		return;
	ofono_info("%s: card inserted", md->conf->name);
	sb_backoff_cancel(&md->reconnect);
	sb_backoff_reset(&md->reconnect);
	card_start(md);
}

static void card_status(struct sb_card_service *card, enum sb_card_state state, const GError *why, void *user)
{
	if (state == SB_CARD_STATE_PRESENT)
		card_present(user);
	else
		card_lost(user, why);
}

static void card_start(struct sb_modem *md)
{
	if (!md->card) {
		md->card = sb_card_new(&md->conf->uicc, md->conf->name);
		sb_card_set_status_handler(md->card, card_status, md);
	}
	sb_card_start(md->card, card_started, md);
}

/*
 * REFRESH "UICC Reset" (TS 102 223 §6.4.7): the terminal resets the card
 * and starts it as after a power-up; the reset answers the command (no
 * TERMINAL RESPONSE).  oFono 1.31 answers that mode "beyond the terminal's
 * capabilities" when it gets it to carry out (src/stk.c
 * handle_command_refresh): the modem resets the card and tells the core,
 * which then starts its SIM again (ofono_stk_proactive_command_handled_notify:
 * SIM RESETTING, the modem back to pre-SIM, its post-SIM atoms gone).  The
 * card, reset and given its TERMINAL PROFILE, is reported by card_ready().
 * From the main loop: not inside the card service's callback.
 */
static gboolean uicc_reset_cb(gpointer p)
{
	struct sb_modem *md = p;
	GBytes *cmd = md->uicc_reset_cmd;
	gsize len;
	const uint8_t *data = g_bytes_get_data(cmd, &len);

	md->uicc_reset_id = 0;
	md->uicc_reset_cmd = NULL;
	ofono_info("%s: REFRESH UICC Reset: the card is reset", md->conf->name);
	md->card_ready = false;
	if (md->stk)
		ofono_stk_proactive_command_handled_notify(md->stk, (int)len, data);
	g_bytes_unref(cmd);
	if (md->card && md->powered) {
		sb_card_stop(md->card);
		card_start(md);
	}
	return G_SOURCE_REMOVE;
}

void sb_modem_uicc_reset(struct sb_modem *md, const uint8_t *cmd, size_t len)
{
	if (md->uicc_reset_id)
		return;
	md->uicc_reset_cmd = g_bytes_new(cmd, len);
	md->uicc_reset_id = g_idle_add(uicc_reset_cb, md);
}

/* ---- the network ------------------------------------------------------------- */

static void net_state_cb(struct sb_net *net, bool up, void *user)
{
	struct sb_modem *md = user;

	DBG("%s: network %s", md->conf->name, up ? "up" : "down");
	sb_netreg_link_changed(md);
}

static const struct sb_net_ops *net_ops(enum sb_net_kind kind)
{
#ifdef SB_HAVE_QMI
	if (kind == SB_NET_QMI)
		return &sb_net_qmi_ops;
#endif
	return &sb_net_netsim_ops;     /* config.c refuses qmi: without libqmi */
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
		md->net = sb_net_new(net_ops(md->conf->net.kind), &md->conf->net, md->conf->name, net_state_cb, md);
	card_start(md);
	return -EINPROGRESS;
}

static int sb_disable(struct ofono_modem *modem)
{
	struct sb_modem *md = ofono_modem_get_data(modem);

	DBG("%s", md->conf->name);
	md->powered = false;
	md->enabling = false;
	uicc_reset_cancel(md);
	sb_backoff_cancel(&md->reconnect);
	md->card_ready = false;
	if (md->card)
		sb_card_stop(md->card);
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
