/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ME simulator in front of a uicc-emu card (see me-sim.h). */
#include "me-sim.h"
#include "me-card.h"

#include <string.h>

#include "ota/ota.h"
#include "state/card-state.h"
#include "simota/cat.h"
#include "simota/sms.h"

#define RP_CAUSE_PROTOCOL_ERROR 0x6F      /* TS 24.011 §8.2.5.4: #111 protocol error, unspecified */
#define CARD_LOG_MAX 64

/* A command on the screen: kept as fetched (a handset keeps no more), decoded again to answer. */
struct shown_command {
	size_t len;
	uint8_t raw[256];
};

/*
 * The ME talking to its card right now on this thread: the card's log lines
 * are attributed to it (MEs may run on several threads, each its own).
 */
static _Thread_local struct me_sim *current;

static void card_log_handler(const char *domain, GLogLevelFlags level, const char *msg, void *user)
{
	const char *refused = msg ? strstr(msg, "refused: PoR status ") : NULL;

	if (current) {
		if (current->card_log->len < CARD_LOG_MAX)
			g_ptr_array_add(current->card_log, g_strdup(msg));
		if (refused && domain && strcmp(domain, "uicc-ota") == 0) {
			current->refusals++;
			current->last_refusal = (uint8_t)g_ascii_strtoull(refused + 20, NULL, 16);
		}
	}
	g_log_default_handler(domain, level, msg, user);
}

static void install_log_handlers(void)
{
	static bool done;
	static const char *const domains[] = { "uicc-ota", "uicc-deferred", "uicc-toolkit" };

	if (done)
		return;
	done = true;
	for (unsigned i = 0; i < G_N_ELEMENTS(domains); i++)
		g_log_set_handler(domains[i], G_LOG_LEVEL_MASK & ~(G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL),
				  card_log_handler, NULL);
}

/*
 * The ME talks to its card with current set to it, so the card's log lines
 * are attributed to it: every public entry point that reaches the card
 * goes through enter()/leave().
 */
static struct me_sim *enter(struct me_sim *me)
{
	struct me_sim *was = current;

	current = me;
	return was;
}

static void leave(struct me_sim *was)
{
	current = was;
}

/* The user's pending answer (a source in the ME's thread-default context), if any, dropped. */
static void cancel_answer(struct me_sim *me)
{
	if (!me->answer_source)
		return;
	g_source_destroy(me->answer_source);
	g_clear_pointer(&me->answer_source, g_source_unref);
}

static uint8_t cla(const struct me_sim *me)
{
	return me->gsm ? ME_CLA_GSM : ME_CLA_UICC;
}

/* TS 102 221 §11.2.1 TERMINAL PROFILE: every facility supported. */
static void terminal_profile(struct me_sim *me)
{
	struct me_sim *was = enter(me);
	uint16_t sw = me_card_terminal_profile(me->card, cla(me), 20);

	leave(was);
	/* 91XX: a pending transaction's proactive session restarted (power cycle) */
	if (sw != 0x9000 && (sw & 0xFF00) != 0x9100)
		g_warning("me-sim: TERMINAL PROFILE answered %04X", sw);
}

static void watch_counter(struct me_sim *me)
{
	uint64_t v;

	if (!uicc_ota_counter(me->card, me->kvn, &v) || v == me->counter)
		return;
	me->counter = v;
	g_array_append_val(me->counters, v);
}

struct me_sim *me_sim_new_copy(const struct simota_card_config *tmpl, const char *iccid,
			       const char *msisdn, const char *state_path,
			       const struct me_sim_uplink *up, GError **error)
{
	struct simota_card_config *cfg = simota_card_config_dup(tmpl);

	g_strlcpy(cfg->iccid, iccid, sizeof(cfg->iccid));
	g_strlcpy(cfg->msisdn, msisdn, sizeof(cfg->msisdn));
	return me_sim_new_with_config(cfg, state_path, up, error);
}

struct me_sim *me_sim_new_with_config(struct simota_card_config *cfg, const char *state_path,
				      const struct me_sim_uplink *up, GError **error)
{
	struct me_sim *me = g_new0(struct me_sim, 1);

	install_log_handlers();
	me->cfg = cfg;
	me->state_path = g_strdup(state_path);
	me->up = *up;
	me->user.delay_ms = 0;
	me->user.input = "1234";
	me->user.yes = true;
	me->counters = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	me->card_log = g_ptr_array_new_with_free_func(g_free);
	me->kvn = cfg->n_keysets ? cfg->keysets[0].kvn : 0;
	me->card = uicc_emu_card_new(cfg, state_path, error);
	if (!me->card) {
		me_sim_free(me);
		return NULL;
	}
	if (cfg->n_keysets && !uicc_ota_counter(me->card, me->kvn, &me->counter))
		me->counter = cfg->keysets[0].counter;
	terminal_profile(me);
	return me;
}

struct me_sim *me_sim_new(const char *ini_path, const char *state_path,
			  const struct me_sim_uplink *up, GError **error)
{
	struct simota_card_config *cfg = uicc_card_config_load(ini_path, error);

	return cfg ? me_sim_new_with_config(cfg, state_path, up, error) : NULL;
}

void me_sim_free(struct me_sim *me)
{
	if (!me)
		return;
	cancel_answer(me);
	g_free(me->pending);
	if (me->card)
		uicc_card_free(me->card);
	simota_card_config_free(me->cfg);
	g_free(me->state_path);
	g_array_free(me->counters, TRUE);
	g_ptr_array_free(me->card_log, TRUE);
	g_free(me);
}

bool me_sim_counters_increasing(const struct me_sim *me)
{
	for (unsigned i = 1; i < me->counters->len; i++)
		if (g_array_index(me->counters, uint64_t, i) <= g_array_index(me->counters, uint64_t, i - 1))
			return false;
	return true;
}

bool me_sim_card_logged(const struct me_sim *me, const char *text)
{
	for (unsigned i = 0; i < me->card_log->len; i++)
		if (strstr(me->card_log->pdata[i], text))
			return true;
	return false;
}

/* TS 102 221 §10.2.1.1: the proactive command of this length (raw into *raw, decoded into m). */
static bool fetch(struct me_sim *me, uint8_t len, struct shown_command *raw, struct simota_cat_msg *m)
{
	uint16_t sw = me_card_fetch(me->card, cla(me), len, raw->raw, sizeof(raw->raw), &raw->len);
	simota_err err;

	me->fetches++;
	if (sw != 0x9000) {
		g_warning("me-sim: FETCH answered %04X", sw);
		return false;
	}
	memset(m, 0, sizeof(*m));
	err = simota_cat_command_decode(raw->raw, raw->len, m);
	if (err) {
		g_warning("me-sim: proactive command not decoded: %s", simota_strerror(err));
		return false;
	}
	return true;
}

/* TS 102 221 §10.2.1.3 TERMINAL RESPONSE; returns its SW. */
static uint16_t terminal_response(struct me_sim *me, const struct simota_cat_msg *tr)
{
	uint8_t bytes[255];
	size_t n;
	simota_err err = simota_cat_response_encode(tr, bytes, sizeof(bytes), &n);

	if (err) {
		g_warning("me-sim: TERMINAL RESPONSE not encoded: %s", simota_strerror(err));
		return 0x6F00;
	}
	me->terminal_responses++;
	return me_card_terminal_response(me->card, cla(me), bytes, n);
}

static void run_proactive(struct me_sim *me, uint8_t len);

/* Sends the TERMINAL RESPONSE and goes on with the next proactive command (91XX). */
static void respond(struct me_sim *me, const struct simota_cat_msg *tr)
{
	uint16_t sw = terminal_response(me, tr);

	if ((sw & 0xFF00) == 0x9100)
		run_proactive(me, (uint8_t)sw);
	else if (sw != 0x9000)
		g_warning("me-sim: TERMINAL RESPONSE answered %04X", sw);
}

/* TS 102 223 §6.4.10 SEND SHORT MESSAGE: the SMS-SUBMIT goes to the network. */
static void send_short_message(struct me_sim *me, const struct simota_cat_msg *cmd)
{
	struct simota_cat_msg *tr;

	if (!cmd->sms_tpdu.present || cmd->sms_tpdu.len == 0) {
		tr = me_card_response_new(cmd, SIMOTA_CAT_RESULT_MISSING_VALUES);
	} else {
		/* qualifier b1 "packing required" is not asked by the card's OTA entity or applet */
		me->submits++;
		me->up.submit(me->up.user, cmd->sms_tpdu.data, cmd->sms_tpdu.len);
		tr = me_card_response_new(cmd, SIMOTA_CAT_RESULT_OK);
	}
	respond(me, tr);
	g_free(tr);
}

/* The user's answer to the shown command (TS 102 223 §6.8.13 - §6.8.15). */
static struct simota_cat_msg *user_response(struct me_sim *me, const struct simota_cat_msg *cmd)
{
	struct simota_cat_msg *tr = me_card_response_new(cmd, me->user.general);
	const char *input = me->user.input ? me->user.input : "";

	if (me->user.general >= 0x10)
		return tr;               /* terminated, back, no response: the result alone */
	switch (cmd->details.type) {
	case SIMOTA_CAT_GET_INKEY:
		if (cmd->details.qualifier & 0x04) {
			g_assert_cmpint(simota_cat_inkey_set_yes_no(tr, me->user.yes), ==, SIMOTA_OK);
		} else {
			char one[8] = { 0 };

			g_utf8_strncpy(one, *input ? input : "1", 1);
			g_assert_cmpint(simota_cat_string_set(tr, &tr->text, one,
							      cmd->details.qualifier & 0x02 ? 0x08 : 0x04),
					==, SIMOTA_OK);
		}
		break;
	case SIMOTA_CAT_GET_INPUT:
		/* qualifier b2 UCS2, b4 SMS packed (TS 102 223 §8.6) */
		g_assert_cmpint(simota_cat_string_set(tr, &tr->text, input,
						      cmd->details.qualifier & 0x02 ? 0x08 :
						      cmd->details.qualifier & 0x08 ? 0x00 : 0x04),
				==, SIMOTA_OK);
		break;
	case SIMOTA_CAT_SELECT_ITEM:
		tr->item_id.present = true;
		/* TS 102 223 §6.6.8: the Item identifier is the item the terminal offers first */
		tr->item_id.v = me->user.item ? me->user.item : cmd->item_id.present ? cmd->item_id.v :
				cmd->n_items ? cmd->items[0].id : 1;
		break;
	default:
		break;
	}
	return tr;
}

static bool answer_shown(struct me_sim *me)
{
	struct shown_command *shown = me->pending;
	struct simota_cat_msg *cmd, *tr;

	if (!shown)
		return false;
	cancel_answer(me);
	me->pending = NULL;
	cmd = g_new0(struct simota_cat_msg, 1);
	g_assert_cmpint(simota_cat_command_decode(shown->raw, shown->len, cmd), ==, SIMOTA_OK);
	g_free(shown);
	tr = user_response(me, cmd);
	respond(me, tr);
	g_free(tr);
	g_free(cmd);
	return true;
}

bool me_sim_user_answer(struct me_sim *me)
{
	struct me_sim *was = enter(me);
	bool answered = answer_shown(me);

	leave(was);
	return answered;
}

static gboolean answer_cb(gpointer p)
{
	struct me_sim *me = p;

	g_clear_pointer(&me->answer_source, g_source_unref);
	me_sim_user_answer(me);
	return G_SOURCE_REMOVE;
}

/* DISPLAY TEXT, GET INKEY, GET INPUT, SELECT ITEM: on the screen until the user answers. */
static void show(struct me_sim *me, const struct simota_cat_msg *cmd, const struct shown_command *raw)
{
	const char *text = simota_cat_string_get(cmd, cmd->details.type == SIMOTA_CAT_SELECT_ITEM ?
						 &cmd->alpha_id : &cmd->text);

	me->shown++;
	me->shown_type = cmd->details.type;
	g_strlcpy(me->shown_text, text ? text : "", sizeof(me->shown_text));
	me->shown_items = cmd->n_items;
	me->shown_default = cmd->item_id.present ? cmd->item_id.v : 0;
	g_free(me->pending);
	me->pending = g_memdup2(raw, sizeof(*raw));
	if (me->user.delay_ms == ME_SIM_MANUAL)
		return;
	cancel_answer(me);
	me->answer_source = me->user.delay_ms > 0 ? g_timeout_source_new((guint)me->user.delay_ms) :
						    g_idle_source_new();
	g_source_set_callback(me->answer_source, answer_cb, me, NULL);
	g_source_attach(me->answer_source, g_main_context_get_thread_default());
}

/* TS 102 221 §7.4.2.2: FETCH while the card says 91XX, one command at a time. */
static void run_proactive(struct me_sim *me, uint8_t len)
{
	struct simota_cat_msg *cmd, *tr;
	struct shown_command raw;

	if (me->pending)
		return;   /* the screen is busy (cannot happen: the card waits for the TERMINAL RESPONSE) */
	cmd = g_new0(struct simota_cat_msg, 1);
	if (!fetch(me, len, &raw, cmd)) {
		g_free(cmd);
		return;
	}
	switch (cmd->details.type) {
	case SIMOTA_CAT_SEND_SHORT_MESSAGE:
		send_short_message(me, cmd);
		break;
	case SIMOTA_CAT_DISPLAY_TEXT:
	case SIMOTA_CAT_GET_INKEY:
	case SIMOTA_CAT_GET_INPUT:
	case SIMOTA_CAT_SELECT_ITEM:
		show(me, cmd, &raw);
		break;
	default:
		tr = me_card_response_new(cmd, SIMOTA_CAT_RESULT_BEYOND_CAPABILITIES);
		respond(me, tr);
		g_free(tr);
	}
	g_free(cmd);
}

static void report(struct me_sim *me, uint32_t msg_id, bool rp_error, const uint8_t *tpdu, size_t len)
{
	me->reports++;
	if (rp_error)
		me->rp_errors++;
	me->up.report(me->up.user, msg_id, rp_error, rp_error ? RP_CAUSE_PROTOCOL_ERROR : 0, tpdu, len);
}

/*
 * TS 23.038 §4 / TS 23.040 §9.2.3.9: an SMS-DELIVER with PID 7F (USIM data
 * download) goes to the card; anything else would be stored or shown by the
 * handset and is simply acknowledged here.
 */
static void deliver(struct me_sim *me, uint32_t msg_id, const uint8_t *tpdu, size_t len)
{
	struct simota_sms_deliver *d = g_new0(struct simota_sms_deliver, 1);
	struct simota_sms_pp_result res;
	uint8_t env[255], resp[256], out[SIMOTA_SMS_TPDU_MAX];
	size_t env_len, resp_len, olen = 0;
	uint8_t proactive = 0;
	uint16_t sw;

	if (len > SIMOTA_CAT_BYTES_MAX || simota_sms_deliver_decode(tpdu, len, d) != SIMOTA_OK) {
		/* TS 24.011: an undecodable TPDU is refused by the ME */
		g_free(d);
		report(me, msg_id, true, NULL, 0);
		return;
	}
	if (d->pid != 0x7F || (d->dcs & 0xF3) != 0xF2) {
		g_free(d);
		report(me, msg_id, false, NULL, 0);
		return;
	}
	/* TS 31.111 §7.1.1.2: D1 { device identities network -> UICC, SMS TPDU } */
	if (simota_sms_pp_download_envelope(NULL, tpdu, len, env, sizeof(env), &env_len) != SIMOTA_OK) {
		sw = 0x6F00;      /* TS 31.111 §7.1.1.1: data download error */
		resp_len = 0;
	} else {
		sw = me_card_envelope(me->card, cla(me), env, env_len, resp, sizeof(resp), &resp_len,
				      &proactive);
		me->envelopes++;
	}
	watch_counter(me);
	if (simota_sms_pp_download_result(d->pid, d->dcs, sw, resp, resp_len, &res) != SIMOTA_OK) {
		report(me, msg_id, true, NULL, 0);
	} else {
		/* an RP-ERROR's TP-FCS travels in the minimal "00 FCS 00" TPDU when there is no data */
		if ((res.has_report || res.rp == SIMOTA_RP_ERROR) &&
		    simota_sms_deliver_report_encode(&res.report, out, sizeof(out), &olen) != SIMOTA_OK)
			olen = 0;
		if (olen && me->android_report)
			out[0] = 0x00;           /* TP-MTI 00, TP-UDHI 0 */
		if (olen && (out[0] & 0x40))
			me->reports_udhi++;
		report(me, msg_id, res.rp == SIMOTA_RP_ERROR, out, olen);
	}
	g_free(d);
	if (proactive)
		run_proactive(me, proactive);
}

void me_sim_deliver(struct me_sim *me, uint32_t msg_id, const uint8_t *tpdu, size_t len)
{
	struct me_sim *was = enter(me);

	deliver(me, msg_id, tpdu, len);
	leave(was);
}
