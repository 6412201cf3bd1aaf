/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The OTA receiving entity: ENVELOPE SMS-PP DOWNLOAD (TS 31.111 §7.1.1) →
 * SMS-DELIVER (TS 23.040 §9.2.2.1) → command packet (UDH IEI 70, TS 31.115
 * §4; concatenated segments reassembled across envelopes) → the checks of
 * TS 102 225 §5.1 (order and statuses: ota/ota.h) → the TAR's applet → PoR.
 */
#define G_LOG_DOMAIN "uicc-ota"

#include <string.h>

#include "ota/ota-internal.h"

/* CPL(2) CHL(1) SPI(2) KIc(1) KID(1) TAR(3): TS 31.115 §4.1 */
#define HEADER_MIN 10
/* internal, never sent as a PoR status: the counter could not be committed */
#define COUNTER_NOT_STORED 0xFF

static void ota_free(void *data)
{
	struct uicc_ota *ota = data;

	ota_keys_free(ota);
	for (unsigned i = 0; i < OTA_POR_KEPT_MAX; i++)
		g_free(ota->kept[i]);
	g_free(ota->reasm);
	g_free(ota);
}

/* One applet instance per TAR ("deferred@defe01"), else the applet by its name. */
static struct uicc_tk_applet *tar_applet(struct uicc_ota *ota, const struct simota_card_tar *tc)
{
	char name[UICC_OTA_INSTANCE_NAME_MAX];
	struct uicc_tk_applet *a;

	uicc_ota_instance_name(tc->applet, tc->tar, name);
	a = uicc_tk_applet_find(ota->tk, name);
	if (!a)
		a = uicc_tk_applet_find(ota->tk, tc->applet);
	return a == ota->applet ? NULL : a;
}

static bool shares_commit(const struct uicc_ota *ota, const struct uicc_tk_applet *a)
{
	for (unsigned i = 0; i < ota->n_shares_commit; i++)
		if (ota->shares_commit[i] == a)
			return true;
	return false;
}

/*
 * A staged counter (ota_counter_stage) made durable, unless a commit of the
 * applet already carried it; false if it cannot be: the card state is then
 * back to what it was before the packet (the applet's staged changes with
 * it), and nothing that follows from the packet may leave the card.
 */
static bool settle_counter(struct ota_packet *p)
{
	struct uicc_card_state *st = p->ota->state;
	GError *err = NULL;

	if (!p->counter_staged)
		return !p->counter_lost;
	p->counter_staged = false;
	if (!uicc_card_state_owed(st) || uicc_card_state_commit(st, &err))
		return true;
	g_warning("keyset %u: counter not stored: %s", p->counter_kvn, err ? err->message : "?");
	g_clear_error(&err);
	uicc_card_state_rollback(st);
	p->counter_lost = true;
	return false;
}

/*
 * The applet's envelope response handler closed (its first proactive
 * command, post(), or its return): what it wrote is the PoR's additional
 * response data (TS 102 225 §5.2.1), sent while the envelope's own handler
 * is still open, once the counter is durable.
 */
static void applet_closed(struct uicc_tk_invocation *outer, const uint8_t *data, size_t len, void *user_data)
{
	struct ota_packet *p = user_data;

	if (settle_counter(p))
		ota_por_send(outer, p, SIMOTA_OTA_STATUS_OK, data, len);
}

static enum uicc_tk_result refuse(struct uicc_tk_invocation *inv, struct ota_packet *p, uint8_t status)
{
	g_message("command packet to TAR %02x%02x%02x refused: PoR status %02x", p->tar[0], p->tar[1],
		  p->tar[2], status);
	ota_por_send(inv, p, status, NULL, 0);
	return UICC_TK_OK;
}

/*
 * TS 31.115 §4.1: the command header, into p.  A packet too short for one is
 * ignored (false); a malformed one still has its SPI, KIc, KID and TAR read
 * for the error PoR (*well_formed false).
 */
static bool read_header(struct ota_packet *p, const uint8_t *pkt, size_t len, struct simota_ota_command *cmd,
			bool *well_formed)
{
	*well_formed = simota_ota_command_peek(pkt, len, cmd) == SIMOTA_OK;
	if (*well_formed) {
		memcpy(p->spi, cmd->spi, 2);
		p->kic = cmd->kic;
		p->kid = cmd->kid;
		memcpy(p->tar, cmd->tar, 3);
		p->cc_len = cmd->cc_len;
	} else if (len >= HEADER_MIN) {
		memcpy(p->spi, pkt + 3, 2);
		p->kic = pkt[5];
		p->kid = pkt[6];
		memcpy(p->tar, pkt + 7, 3);
	} else {
		g_message("command packet of %zu bytes ignored", len);
		return false;
	}
	simota_ota_spi_decode(p->spi, &p->s);
	return true;
}

/* What the checks before deciphering chose: the TAR's applet, the keys, the counter's keyset. */
struct packet_keys {
	struct uicc_tk_applet *applet;
	struct simota_ota_key *kic, *kid;
	struct ota_keyset *counter;        /* NULL: no counter to check */
};

/* TS 102 225 §5.1.1-§5.1.3: TAR, minimum security level, keysets; 00 or the PoR status. */
static uint8_t check_tar_and_keys(struct ota_packet *p, struct packet_keys *k)
{
	struct uicc_ota *ota = p->ota;
	const struct simota_card_tar *tc = simota_card_config_tar(ota->cfg, p->tar);
	uint8_t st;

	memset(k, 0, sizeof(*k));
	k->applet = tc ? tar_applet(ota, tc) : NULL;
	if (!k->applet)
		return SIMOTA_OTA_STATUS_TAR_UNKNOWN;
	st = simota_ota_security_level_status(p->spi, tc->min_security_level);
	if (!st)
		st = ota_keys_select(ota, tc, p, false, &k->kic, &k->kid);
	if (!st && simota_ota_por_wanted(p->spi, SIMOTA_OTA_STATUS_OK))
		st = ota_keys_select(ota, tc, p, true, &p->por_kic, &p->por_kid);
	if (!st && p->s.counter != SIMOTA_OTA_COUNTER_NONE)
		st = ota_counter_keyset(ota, tc, p, &k->counter);
	return st;
}

/*
 * TS 102 225 §5.1.1 b5b4: the counter, checked only after the RC/CC verified
 * (a forged packet must not move or block it), committed before anything else
 * happens, or staged for the applet's first commit when the applet shares it
 * (settle_counter).  00, a PoR status (02 03 04), or COUNTER_NOT_STORED.
 */
static uint8_t accept_counter(struct ota_packet *p, struct ota_keyset *ks, const struct uicc_tk_applet *applet)
{
	uint8_t st;

	if (!ks)
		return SIMOTA_OTA_STATUS_OK;
	st = simota_ota_counter_status(p->s.counter, ota_counter_get(p->ota, ks), p->cntr);
	if (st)
		return st;
	if (p->s.counter != SIMOTA_OTA_COUNTER_HIGHER && p->s.counter != SIMOTA_OTA_COUNTER_ONE_HIGHER)
		return SIMOTA_OTA_STATUS_OK;
	if (shares_commit(p->ota, applet)) {
		ota_counter_stage(p->ota, ks, p->cntr);
		p->counter_staged = true;
		p->counter_kvn = ks->cfg->kvn;
		return SIMOTA_OTA_STATUS_OK;
	}
	return ota_counter_commit(p->ota, ks, p->cntr) ? SIMOTA_OTA_STATUS_OK : COUNTER_NOT_STORED;
}

/* A PoR owed by SMS-SUBMIT needs room to wait (ota-por-kept.c). */
static bool por_has_room(const struct ota_packet *p)
{
	if (!p->s.por_via_submit || !simota_ota_por_wanted(p->spi, SIMOTA_OTA_STATUS_OK) ||
	    ota_por_kept_room(p->ota))
		return true;
	g_message("command packet to TAR %02x%02x%02x refused for now (9300): %u PoRs wait for SEND SHORT MESSAGE",
		  p->tar[0], p->tar[1], p->tar[2], OTA_POR_KEPT_MAX);
	return false;
}

/* TS 102 225 §5.1, §5.2.2: the receiving entity's checks (order: ota/ota.h), then the applet. */
static enum uicc_tk_result process_packet(struct uicc_tk_invocation *inv, struct ota_packet *p,
					  struct ota_work *w, const uint8_t *pkt, size_t len)
{
	struct simota_ota_command cmd;
	struct packet_keys k;
	simota_err err;
	bool well_formed, by_proactive = false;
	uint8_t st;

	if (!read_header(p, pkt, len, &cmd, &well_formed))
		return UICC_TK_OK;
	if (!well_formed)
		return refuse(inv, p, SIMOTA_OTA_STATUS_SECURITY_ERROR);
	st = check_tar_and_keys(p, &k);
	if (st)
		return refuse(inv, p, st);
	err = simota_ota_command_decode(pkt, len, k.kic, k.kid, w->work, sizeof(w->work), &cmd);
	if (err)
		return refuse(inv, p, simota_ota_decode_error_status(err));
	p->cntr = cmd.cntr;
	/* nothing moved yet: 9300, the ME answers RP-ERROR and SV2 retries */
	if (!por_has_room(p))
		return UICC_TK_ERR_BUSY;
	st = accept_counter(p, k.counter, k.applet);
	if (st == COUNTER_NOT_STORED)
		return UICC_TK_ERR_BUSY;
	if (st)
		return refuse(inv, p, st);
	uicc_tk_invoke_nested(inv, k.applet, UICC_TK_EVENT_FORMATTED_SMS_PP, cmd.data, cmd.data_len,
			      applet_closed, p, &by_proactive);
	if (!settle_counter(p)) {
		/* no PoR was written: the toolkit answers 9300 unless a command was queued */
		if (by_proactive)
			g_critical("applet %s issued a proactive command before its first commit: it must not "
				   "share the counter's commit", uicc_tk_applet_name(k.applet));
		return UICC_TK_ERR_BUSY;
	}
	return UICC_TK_OK;
}

static bool same_address(const struct simota_sms_address *a, const struct simota_sms_address *b)
{
	return a->ton == b->ton && a->npi == b->npi && strcmp(a->digits, b->digits) == 0;
}

static void reassembly_drop(struct uicc_ota *ota)
{
	g_free(ota->reasm);
	ota->reasm = NULL;
}

/*
 * TS 31.115 §4, TS 23.040 §9.2.3.24.1: one command packet from one SMS or
 * from its concatenated segments (kept between envelopes, allocated while
 * segments are missing).  Returns the packet length, 0 while segments are
 * missing or when the SMS carries no command packet.
 */
static size_t take_packet(struct uicc_ota *ota, struct ota_work *w, const struct simota_sms_deliver *d)
{
	struct simota_sms_udh udh;
	struct simota_sms_concat c;
	size_t udh_octets, n;
	uint8_t iei;
	simota_err err;

	if (simota_sms_dcs_udl_in_septets(d->dcs) || !d->ud.udhi ||
	    simota_sms_ud_get_udh(&d->ud, &udh, &udh_octets) != SIMOTA_OK)
		return 0;
	if (simota_sms_udh_get_concat(&udh, &c) == SIMOTA_ERR_MISSING_VALUE) {
		if (simota_sms_udh_find(&udh, SIMOTA_SMS_IEI_CPI) < 0)
			return 0;
		n = d->ud.len - udh_octets;
		memcpy(w->packet, d->ud.ud + udh_octets, n);
		return n;
	}
	if (!ota->reasm) {
		ota->reasm = g_new0(struct ota_reassembly, 1);
		simota_sms_reassembly_init(&ota->reasm->st);
	}
	/* a segment of another message (originator, reference, total) replaces the one in progress */
	if (ota->reasm->st.started && !same_address(&ota->reasm->oa, &d->oa))
		simota_sms_reassembly_init(&ota->reasm->st);
	err = simota_sms_reassembly_add(&ota->reasm->st, &d->ud);
	if (err == SIMOTA_ERR_BAD_VALUE && ota->reasm->st.started) {
		simota_sms_reassembly_init(&ota->reasm->st);
		err = simota_sms_reassembly_add(&ota->reasm->st, &d->ud);
	}
	if (err == SIMOTA_ERR_INCOMPLETE) {
		ota->reasm->oa = d->oa;
		return 0;
	}
	if (err) {
		g_message("command packet segment ignored: %s", simota_strerror(err));
		if (!ota->reasm->st.started)
			reassembly_drop(ota);
		return 0;
	}
	err = simota_sms_reassembly_get(&ota->reasm->st, w->packet, sizeof(w->packet), &n, &iei);
	reassembly_drop(ota);
	if (err || iei != SIMOTA_SMS_IEI_CPI)
		return 0;
	return n;
}

/* TS 31.111 §7.1.1: the SMS-PP DOWNLOAD envelope. */
static enum uicc_tk_result sms_pp_download(struct uicc_ota *ota, struct uicc_tk_invocation *inv, struct ota_work *w)
{
	struct simota_sms_deliver d;
	struct ota_packet p;
	const uint8_t *data;
	size_t len, n;

	data = uicc_tk_invocation_data(inv, &len);
	if (simota_cat_envelope_decode(data, len, &w->msg) != SIMOTA_OK || !w->msg.sms_tpdu.present ||
	    simota_sms_deliver_decode(w->msg.sms_tpdu.data, w->msg.sms_tpdu.len, &d) != SIMOTA_OK) {
		g_message("SMS-PP DOWNLOAD without a readable SMS-DELIVER ignored");
		return UICC_TK_OK;
	}
	n = take_packet(ota, w, &d);
	if (n == 0)
		return UICC_TK_OK;
	memset(&p, 0, sizeof(p));
	p.ota = ota;
	p.oa = d.oa;
	p.pid = d.pid;
	p.dcs = d.dcs;
	return process_packet(inv, &p, w, w->packet, n);
}

/* The buffers and keys of one packet exist while it is processed, not in between. */
static enum uicc_tk_result ota_process(struct uicc_tk_invocation *inv, void *user_data)
{
	struct uicc_ota *ota = user_data;
	struct ota_work *w;
	enum uicc_tk_result r;

	if (uicc_tk_invocation_event(inv) == UICC_TK_EVENT_PROFILE_DOWNLOAD) {
		ota_por_kept_on_profile(inv, ota);
		return UICC_TK_OK;
	}
	if (uicc_tk_invocation_event(inv) != UICC_TK_EVENT_SMS_PP_DOWNLOAD)
		return UICC_TK_OK;
	w = g_new(struct ota_work, 1);
	r = sms_pp_download(ota, inv, w);
	ota_keys_release(ota);
	g_free(w);
	return r;
}

void uicc_ota_instance_shares_commit(struct uicc_card *card, const struct uicc_tk_applet *applet)
{
	struct uicc_tk_applet *entity = uicc_tk_applet_find(uicc_card_toolkit(card), "ota");
	struct uicc_ota *ota = entity ? uicc_tk_applet_user_data(entity) : NULL;

	if (!ota || shares_commit(ota, applet) || ota->n_shares_commit >= UICC_TK_MAX_APPLETS)
		return;
	ota->shares_commit[ota->n_shares_commit++] = applet;
}

bool uicc_ota_attach(struct uicc_card *card, GError **error)
{
	const struct simota_card_config *cfg = uicc_card_config_of(card);
	struct uicc_ota *ota;

	/* a card without keysets or TARs has no OTA receiving entity (SMS-PP is free for another applet) */
	if (cfg->n_keysets == 0 && cfg->n_tars == 0)
		return true;
	ota = g_new0(struct uicc_ota, 1);

	ota->card = card;
	ota->tk = uicc_card_toolkit(card);
	ota->state = uicc_card_state_of(card);
	ota->cfg = uicc_card_config_of(card);
	uicc_card_add_cleanup(card, ota_free, ota);
	if (!ota_keys_init(ota, error))
		return false;
	ota->applet = uicc_tk_applet_register(ota->tk, "ota", ota_process, ota);
	if (!ota->applet || uicc_tk_applet_set_event(ota->applet, UICC_TK_EVENT_SMS_PP_DOWNLOAD) != UICC_TK_OK) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "OTA: SMS-PP DOWNLOAD already claimed");
		return false;
	}
	/* PoRs owed by SMS-SUBMIT go after a TERMINAL PROFILE */
	uicc_tk_applet_set_event(ota->applet, UICC_TK_EVENT_PROFILE_DOWNLOAD);
	ota_por_kept_load(ota);
	return true;
}
