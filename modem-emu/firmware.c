/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The modem firmware's SIM driver (firmware.h). */
#include <string.h>

#include "firmware.h"
#include "radio.h"
#include "sms-store.h"
#include "simota/cat.h"
#include "simota/tlv.h"

#define INS_FETCH 0x12
#define INS_TERMINAL_RESPONSE 0x14
#define INS_TERMINAL_PROFILE 0x10
#define INS_ENVELOPE 0xC2
#define KEYREF_PIN1 0x01
#define KEYREF_PIN2 0x81

/* TS 102 223 §8.12 general results the firmware answers with. */
#define RESULT_OK 0x00
#define RESULT_TERMINAL_UNABLE 0x20
#define RESULT_NETWORK_UNABLE 0x21
#define RESULT_BEYOND_CAPABILITIES 0x30
#define RESULT_SMS_RP_ERROR 0x35

/*
 * TS 102 223 §5.2 / TS 31.111 §5.2, byte by byte:
 *  1: profile download, SMS-PP data download, menu selection, 9EXX, timer expiration (3B)
 *  2: command result, UCS2 entry and display (61)
 *  3: DISPLAY TEXT, GET INKEY, GET INPUT, MORE TIME, PLAY TONE, POLL INTERVAL, POLLING OFF (7F)
 *  4: SELECT ITEM, SEND SHORT MESSAGE, SET UP MENU (23)
 *  5: SET UP EVENT LIST (01)
 * No REFRESH, no TIMER MANAGEMENT, no PROVIDE LOCAL INFORMATION: the
 * firmware does not do them, so the card does not send them.
 */
static const uint8_t default_profile[] = { 0x3B, 0x61, 0x7F, 0x23, 0x01 };

const uint8_t *me_fw_default_profile(size_t *len)
{
	*len = sizeof(default_profile);
	return default_profile;
}

struct me_fw {
	struct me_modem *m;
	unsigned gen;                /* a new power-up or a removal makes older callbacks stale */
	/* the proactive session */
	bool fetching;
	bool in_session;
	unsigned announced;          /* a 91XX seen while a command was still open */
	bool pc_active;              /* a fetched command is not answered yet */
	bool pc_to_host;             /* ... and a CAT client answers it */
	uint32_t pc_ref, next_ref;
	struct simota_cat_command_details pc_details;
	unsigned downloads, commands;
	uint8_t sm_mr;               /* TP-MR of the firmware's own SEND SHORT MESSAGE */
};

/* A callback's context: the firmware and the power-up it belongs to. */
struct fw_ctx {
	struct me_fw *fw;
	unsigned gen;
	int step;
	bool powerup;    /* TERMINAL PROFILE after the ADF, as at power-up */
};

static struct fw_ctx *ctx_new(struct me_fw *fw)
{
	struct fw_ctx *c = g_new0(struct fw_ctx, 1);

	c->fw = fw;
	c->gen = fw->gen;
	return c;
}

static bool ctx_stale(struct fw_ctx *c)
{
	if (c->gen == c->fw->gen)
		return false;
	g_free(c);
	return true;
}

/* A callback's context still current and its operation answered; else c is freed and false. */
static bool ctx_live(struct fw_ctx *c, const GError *error)
{
	if (ctx_stale(c))
		return false;
	if (error) {
		g_free(c);   /* the link went: gone() follows */
		return false;
	}
	return true;
}

static bool sw_ok(uint16_t sw)
{
	return (sw >> 8) == 0x90 || (sw >> 8) == 0x91;
}

static void fetch(struct me_fw *fw, unsigned len);

/* ---- power-up ------------------------------------------------------------------------------------ */

static void powerup_step(struct fw_ctx *c);
static void identities_step(struct fw_ctx *c);
static void select_adf(struct fw_ctx *c);

static void card_ready(struct me_fw *fw)
{
	struct me_modem *m = fw->m;

	m->card.state = ME_CARD_READY;
	ME_INFO("%s: SIM %s ready (PIN1 %s%s), IMSI %s, MSISDN %s", m->name, m->card.iccid,
		!m->card.pin1.enabled ? "disabled" : m->card.pin1.verified ? "verified" :
		m->card.pin1.blocked ? "blocked" : "required", "",
		m->card.identities ? m->card.imsi : "-", m->card.msisdn[0] ? m->card.msisdn : "-");
	me_modem_card_changed(m);
}

/* TS 102 221 §11.1.9: VERIFY / UNBLOCK without data gives the counter (63CX), or 9000. */
static void pin_query_cb(const struct me_apdu_res *res, void *user)
{
	struct fw_ctx *c = user;
	struct me_card_info *card;
	struct me_pin *pin;
	struct me_fw *fw;
	bool unblock;

	if (!ctx_live(c, res->error))
		return;
	card = &c->fw->m->card;
	pin = c->step < 2 ? &card->pin1 : &card->pin2;
	unblock = c->step % 2;
	{
		uint16_t sw = res->sw;

		pin->known = true;
		if (!unblock) {
			if (sw == 0x9000) {
				pin->verified = pin->enabled;
				pin->blocked = false;
			} else if ((sw & 0xFFF0) == 0x63C0) {
				pin->verified = false;
				pin->retries = sw & 0x0F;
				pin->blocked = pin->retries == 0;
			} else if (sw == 0x6983) {
				pin->verified = false;
				pin->blocked = true;
				pin->retries = 0;
			}
			if (sw == 0x9000)
				pin->retries = pin->max_retries;   /* a success sets the counter back to its maximum */
			pin->max_retries = MAX(pin->max_retries, pin->retries);
		} else if ((sw & 0xFFF0) == 0x63C0) {
			pin->puk_retries = sw & 0x0F;
			pin->max_puk_retries = MAX(pin->max_puk_retries, pin->puk_retries);
			pin->perm_blocked = pin->blocked && pin->puk_retries == 0;
		} else if (sw == 0x6983) {
			pin->puk_retries = 0;
			pin->perm_blocked = pin->blocked;
		}
	}
	c->step++;
	if (c->step < 4) {
		static const uint8_t ins[2] = { 0x20, 0x2C };
		uint8_t q[5] = { 0x00, ins[c->step % 2], 0x00, c->step < 2 ? KEYREF_PIN1 : KEYREF_PIN2, 0x00 };

		me_sim_apdu(c->fw->m->sim, q, sizeof(q), pin_query_cb, c);
		return;
	}
	/* PIN1 allows the USIM's files: read them now */
	c->step = 0;
	if (!card->pin1.enabled || card->pin1.verified) {
		identities_step(c);
		return;
	}
	fw = c->fw;
	g_free(c);
	card_ready(fw);
}

static void pins_query(struct fw_ctx *c)
{
	uint8_t q[5] = { 0x00, 0x20, 0x00, KEYREF_PIN1, 0x00 };

	c->step = 0;
	me_sim_apdu(c->fw->m->sim, q, sizeof(q), pin_query_cb, c);
}

/* The files PIN1 opens (TS 31.102 §4.2): read in this order. */
enum { ID_IMSI, ID_MSISDN, ID_SMSP, ID_AD, ID_DONE };

static void identities_cb(const struct me_file_res *res, void *user)
{
	struct fw_ctx *c = user;
	struct me_card_info *card;

	if (!ctx_live(c, res->error))
		return;
	card = &c->fw->m->card;
	if (sw_ok(res->sw)) {
		switch (c->step) {
		case ID_IMSI:
			if (!me_ef_imsi_decode(res->data, res->len, card->imsi))
				card->imsi[0] = '\0';
			break;
		case ID_MSISDN:
			if (!me_ef_msisdn_decode(res->data, res->len, card->msisdn, sizeof(card->msisdn)))
				card->msisdn[0] = '\0';
			break;
		case ID_SMSP:
			card->have_smsc = me_ef_smsp_sca(res->data, res->len, &card->smsc);
			break;
		case ID_AD:
			/* TS 31.102 §4.2.18: byte 4, the MNC length */
			if (res->len >= 4 && ((res->data[3] & 0x0F) == 2 || (res->data[3] & 0x0F) == 3))
				card->mnc_len = res->data[3] & 0x0F;
			break;
		}
	}
	c->step++;
	identities_step(c);
}

static void store_loaded(void *user, bool ok)
{
	struct fw_ctx *c = user;
	struct me_fw *fw = c->fw;

	if (!ok) {
		g_free(c);   /* the card went: gone() follows */
		return;
	}
	if (ctx_stale(c))
		return;
	g_free(c);
	fw->m->card.identities = fw->m->card.imsi[0] != '\0';
	card_ready(fw);
}

static void identities_step(struct fw_ctx *c)
{
	struct me_file_req req = { .depth = 2, .path = { 0x7FFF } };
	struct me_fw *fw = c->fw;

	switch (c->step) {
	case ID_IMSI:
		req.op = ME_FILE_READ_BINARY;
		req.path[1] = 0x6F07;
		break;
	case ID_MSISDN:
		req.op = ME_FILE_READ_RECORD;
		req.path[1] = 0x6F40;
		req.record = 1;
		break;
	case ID_SMSP:
		req.op = ME_FILE_READ_RECORD;
		req.path[1] = 0x6F42;
		req.record = 1;
		break;
	case ID_AD:
		req.op = ME_FILE_READ_BINARY;
		req.path[1] = 0x6FAD;
		break;
	default:
		/* the messages on the SIM read before the SIM is said ready (store-and-notify needs them) */
		c->step = 0;
		me_store_card_ready(fw->m->store, store_loaded, c);
		return;
	}
	me_sim_file(fw->m->sim, &req, identities_cb, c);
}

static void profile_cb(const struct me_apdu_res *res, void *user)
{
	struct fw_ctx *c = user;

	if (!ctx_live(c, res->error))
		return;
	if (!sw_ok(res->sw))
		ME_WARN("%s: TERMINAL PROFILE refused: SW %04X", c->fw->m->name, res->sw);
	pins_query(c);
}

static void send_profile(struct fw_ctx *c)
{
	const uint8_t *tp;
	size_t len;
	uint8_t a[5 + 64];

	tp = me_cat_terminal_profile(c->fw->m, &len);
	if (!tp)
		tp = me_fw_default_profile(&len);
	if (len > 64)
		len = 64;
	/* TS 102 221 §11.2.1 TERMINAL PROFILE */
	a[0] = 0x80; a[1] = INS_TERMINAL_PROFILE; a[2] = 0x00; a[3] = 0x00; a[4] = (uint8_t)len;
	memcpy(a + 5, tp, len);
	me_sim_apdu(c->fw->m->sim, a, 5 + len, profile_cb, c);
}

static void select_adf_cb(const struct me_apdu_res *res, void *user)
{
	struct fw_ctx *c = user;
	struct me_card_info *card;
	struct me_fcp fcp;

	if (!ctx_live(c, res->error))
		return;
	card = &c->fw->m->card;
	if (sw_ok(res->sw) && me_fcp_parse(res->data, res->len, &fcp) && fcp.has_pin_status) {
		card->pin1.enabled = me_fcp_pin_enabled(&fcp, KEYREF_PIN1) == 1;
		card->pin2.enabled = me_fcp_pin_enabled(&fcp, KEYREF_PIN2) == 1;
	} else {
		ME_WARN("%s: ADF.USIM not selected (SW %04X)", c->fw->m->name, res->sw);
	}
	if (c->powerup)
		send_profile(c);
	else
		pins_query(c);
}

static void powerup_cb(const struct me_file_res *res, void *user)
{
	struct fw_ctx *c = user;
	struct me_card_info *card;

	if (!ctx_live(c, res->error))
		return;
	card = &c->fw->m->card;
	if (c->step == 0) {
		if (!sw_ok(res->sw) || !me_ef_iccid_decode(res->data, res->len, card->iccid)) {
			ME_WARN("%s: EF_ICCID not read (SW %04X)", c->fw->m->name, res->sw);
			card->iccid[0] = '\0';
		}
	} else if (sw_ok(res->sw)) {
		/* TS 102 221 §13.1 EF_DIR: 61 { 4F AID, 50 label } */
		struct simota_tlv app, aid;

		if (simota_ber_tlv_parse_one(res->data, res->len, &app) != SIMOTA_OK &&
		    simota_ber_tlv_find(res->data, res->len, 0x61, &app) != SIMOTA_OK)
			app.len = 0;
		if (app.len && app.tag == 0x61 && simota_ber_tlv_find(app.value, app.len, 0x4F, &aid) == SIMOTA_OK &&
		    aid.len <= sizeof(card->aid)) {
			memcpy(card->aid, aid.value, aid.len);
			card->aid_len = aid.len;
		}
	}
	c->step++;
	powerup_step(c);
}

static void powerup_step(struct fw_ctx *c)
{
	if (c->step == 0) {
		struct me_file_req req = { .op = ME_FILE_READ_BINARY, .depth = 1, .path = { 0x2FE2 } };

		me_sim_file(c->fw->m->sim, &req, powerup_cb, c);
	} else if (c->step == 1) {
		struct me_file_req req = { .op = ME_FILE_READ_RECORD, .depth = 1, .path = { 0x2F00 }, .record = 1 };

		me_sim_file(c->fw->m->sim, &req, powerup_cb, c);
	} else {
		select_adf(c);
	}
}

/*
 * TS 102 221 §11.1.1 SELECT by DF name: the USIM's AID (its RID and
 * application code when EF_DIR had none), for the PIN status template.
 */
static void select_adf(struct fw_ctx *c)
{
	static const uint8_t usim_prefix[] = { 0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02 };
	struct me_card_info *card = &c->fw->m->card;
	uint8_t a[5 + 16] = { 0x00, 0xA4, 0x04, 0x04 };
	const uint8_t *aid = card->aid_len ? card->aid : usim_prefix;
	size_t len = card->aid_len ? card->aid_len : sizeof(usim_prefix);

	a[4] = (uint8_t)len;
	memcpy(a + 5, aid, len);
	c->step = 0;
	me_sim_apdu(c->fw->m->sim, a, 5 + len, select_adf_cb, c);
}

static void sim_present(void *user)
{
	struct me_fw *fw = user;
	struct me_card_info *card = &fw->m->card;
	struct fw_ctx *c;

	fw->gen++;
	fw->fetching = fw->in_session = fw->pc_active = false;
	fw->announced = 0;
	card->pin1 = (struct me_pin){ .max_retries = card->pin1.max_retries,
				      .max_puk_retries = card->pin1.max_puk_retries };
	card->pin2 = (struct me_pin){ .max_retries = card->pin2.max_retries,
				      .max_puk_retries = card->pin2.max_puk_retries };
	card->identities = false;
	card->iccid[0] = card->imsi[0] = card->msisdn[0] = '\0';
	card->have_smsc = false;
	card->mnc_len = 0;
	card->aid_len = 0;
	card->state = ME_CARD_INIT;
	c = ctx_new(fw);
	c->powerup = true;
	powerup_step(c);
}

static void sim_gone(void *user, const char *why)
{
	struct me_fw *fw = user;
	struct me_modem *m = fw->m;

	fw->gen++;
	fw->fetching = fw->in_session = fw->pc_active = false;
	fw->announced = 0;
	m->card.state = m->card.state == ME_CARD_ERROR ? ME_CARD_ERROR : ME_CARD_ABSENT;
	m->card.identities = false;
	me_store_card_gone(m->store);
	me_modem_card_changed(m);
}

void me_fw_pins_changed(struct me_fw *fw)
{
	struct fw_ctx *c;

	if (fw->m->card.state != ME_CARD_READY && fw->m->card.state != ME_CARD_INIT)
		return;
	/* the PS_DO says which PINs are enabled now, the counters come after */
	c = ctx_new(fw);
	select_adf(c);
}

/* ---- the proactive session ----------------------------------------------------------------------- */

/* TS 102 223 §6.8: command details, device identities terminal -> UICC, result [, duration]. */
static size_t tr_encode(const struct simota_cat_command_details *d, uint8_t general, const uint8_t *add,
			size_t add_len, const uint8_t *duration, uint8_t *out, size_t cap)
{
	struct simota_writer w = simota_writer_init(out, cap);
	uint8_t details[3] = { d->number, d->type, d->qualifier };
	uint8_t ids[2] = { SIMOTA_CAT_DEV_TERMINAL, SIMOTA_CAT_DEV_UICC };
	uint8_t result[1 + 8];

	result[0] = general;
	if (add_len > 8)
		add_len = 8;
	if (add_len)
		memcpy(result + 1, add, add_len);
	simota_ctlv_write(&w, 0x01, true, details, sizeof(details));
	simota_ctlv_write(&w, 0x02, true, ids, sizeof(ids));
	simota_ctlv_write(&w, 0x03, true, result, 1 + add_len);
	if (duration)
		simota_ctlv_write(&w, 0x04, true, duration, 2);
	return simota_writer_status(&w) == SIMOTA_OK ? w.len : 0;
}

static void after_answer(struct me_fw *fw, const struct me_apdu_res *res)
{
	unsigned announced = fw->announced;

	fw->pc_active = false;
	fw->pc_to_host = false;
	fw->announced = 0;
	if (res->error)
		return;
	if ((res->sw >> 8) == 0x91)
		return;   /* the link passes the 91XX up once this job is done: FETCH then */
	if (announced) {
		/* announced while this command was open (by an ENVELOPE's answer) */
		fetch(fw, announced);
		return;
	}
	if (res->sw == 0x9000 && fw->in_session) {
		/* TS 102 223 §6.2: the card ended the proactive session */
		fw->in_session = false;
		me_cat_session_ended(fw->m, true);
	}
}

static void firmware_tr_cb(const struct me_apdu_res *res, void *user)
{
	struct fw_ctx *c = user;

	if (ctx_stale(c))
		return;
	if (!res->error && !sw_ok(res->sw))
		ME_WARN("%s: the card refused the firmware's TERMINAL RESPONSE: SW %04X", c->fw->m->name, res->sw);
	after_answer(c->fw, res);
	g_free(c);
}

static void send_tr(struct me_fw *fw, const uint8_t *tr, size_t len, me_apdu_cb cb, void *user)
{
	uint8_t a[5 + 255];

	if (len > 255)
		len = 255;
	/* TS 102 221 §11.2.4 TERMINAL RESPONSE */
	a[0] = 0x80; a[1] = INS_TERMINAL_RESPONSE; a[2] = 0x00; a[3] = 0x00; a[4] = (uint8_t)len;
	memcpy(a + 5, tr, len);
	me_sim_apdu(fw->m->sim, a, 5 + len, cb, user);
}

static void firmware_answer(struct me_fw *fw, uint8_t general, const uint8_t *add, size_t add_len,
			    const uint8_t *duration)
{
	uint8_t tr[64];
	size_t n = tr_encode(&fw->pc_details, general, add, add_len, duration, tr, sizeof(tr));

	ME_DEBUG("%s: firmware answers command %u (type %02X): result %02X", fw->m->name,
		 fw->pc_details.number, fw->pc_details.type, general);
	send_tr(fw, tr, n, firmware_tr_cb, ctx_new(fw));
}

/* SEND SHORT MESSAGE done by the firmware (TS 102 223 §6.4.10, §6.11). */
struct sm_ctx {
	struct me_fw *fw;
	unsigned gen;
};

static void sm_sent(const GError *error, bool rp_error, uint8_t cause, void *user)
{
	struct sm_ctx *sc = user;
	struct me_fw *fw = sc->fw;
	uint8_t add = cause;

	if (sc->gen != fw->gen) {
		g_free(sc);
		return;
	}
	g_free(sc);
	if (error)
		firmware_answer(fw, RESULT_NETWORK_UNABLE, (const uint8_t[]){ 0x00 }, 1, NULL);
	else if (rp_error)
		firmware_answer(fw, RESULT_SMS_RP_ERROR, &add, 1, NULL);
	else
		firmware_answer(fw, RESULT_OK, NULL, 0, NULL);
}

static void send_short_message(struct me_fw *fw, const struct simota_cat_msg *msg)
{
	struct simota_sms_submit *sms = g_new0(struct simota_sms_submit, 1);
	bool pack = fw->pc_details.qualifier & 0x01;
	uint8_t tpdu[SIMOTA_SMS_TPDU_MAX];
	size_t len = 0;
	struct sm_ctx *sc;

	if (!msg->sms_tpdu.present ||
	    simota_sms_submit_decode(msg->sms_tpdu.data, msg->sms_tpdu.len,
				     pack ? SIMOTA_SMS_DECODE_UNPACKED_UD : 0, sms) != SIMOTA_OK ||
	    (pack && simota_sms_submit_pack(sms) != SIMOTA_OK)) {
		g_free(sms);
		firmware_answer(fw, 0x32, NULL, 0, NULL);   /* command data not understood */
		return;
	}
	sms->mr = ++fw->sm_mr;   /* the ME gives the TP-MR (TS 23.040 §9.2.3.6) */
	if (simota_sms_submit_encode(sms, tpdu, sizeof(tpdu), &len) != SIMOTA_OK) {
		g_free(sms);
		firmware_answer(fw, 0x32, NULL, 0, NULL);
		return;
	}
	g_free(sms);
	sc = g_new0(struct sm_ctx, 1);
	sc->fw = fw;
	sc->gen = fw->gen;
	me_radio_submit(fw->m->radio, tpdu, len, sm_sent, sc);
}

static void handle_command(struct me_fw *fw, const uint8_t *cmd, size_t len)
{
	struct simota_cat_msg *msg = g_new0(struct simota_cat_msg, 1);
	simota_err err = simota_cat_command_decode(cmd, len, msg);
	uint8_t type = msg->details.type;
	bool needs_tr = false;
	uint32_t ref;

	fw->pc_active = true;
	fw->pc_details = msg->details;
	fw->commands++;
	ref = ++fw->next_ref;
	if (!ref)
		ref = ++fw->next_ref;
	fw->pc_ref = ref;
	ME_DEBUG("%s: proactive command %u type %02X qualifier %02X (%zu bytes)", fw->m->name,
		 msg->details.number, type, msg->details.qualifier, len);
	if (err != SIMOTA_OK && err != SIMOTA_ERR_UNSUPPORTED && type == 0) {
		/* not even its command details: answer "data not understood" with what there is */
		firmware_answer(fw, simota_cat_error_result(err), NULL, 0, NULL);
		g_free(msg);
		return;
	}
	switch (type) {
	case SIMOTA_CAT_MORE_TIME:
	case SIMOTA_CAT_POLLING_OFF:
		firmware_answer(fw, RESULT_OK, NULL, 0, NULL);
		break;
	case SIMOTA_CAT_POLL_INTERVAL: {
		/* TS 102 223 §6.4.6: the interval the terminal uses: the one asked for */
		uint8_t d[2] = { msg->duration.unit, msg->duration.interval };

		firmware_answer(fw, msg->duration.present ? RESULT_OK : 0x36, NULL, 0,
				msg->duration.present ? d : NULL);
		break;
	}
	case SIMOTA_CAT_SEND_SHORT_MESSAGE:
		if (me_cat_offer_command(fw->m, ref, type, cmd, len, &needs_tr) && needs_tr) {
			fw->pc_to_host = true;
			break;
		}
		send_short_message(fw, msg);
		break;
	default:
		if (me_cat_offer_command(fw->m, ref, type, cmd, len, &needs_tr) && needs_tr) {
			fw->pc_to_host = true;
			break;
		}
		firmware_answer(fw, err == SIMOTA_ERR_UNSUPPORTED ? RESULT_BEYOND_CAPABILITIES :
				RESULT_TERMINAL_UNABLE, (const uint8_t[]){ 0x00 },
				err == SIMOTA_ERR_UNSUPPORTED ? 0 : 1, NULL);
		break;
	}
	g_free(msg);
}

static void fetch_cb(const struct me_apdu_res *res, void *user)
{
	struct fw_ctx *c = user;
	struct me_fw *fw;

	if (ctx_stale(c))
		return;
	fw = c->fw;
	g_free(c);
	fw->fetching = false;
	if (res->error)
		return;
	if (!sw_ok(res->sw) || res->len < 2) {
		ME_WARN("%s: FETCH answered SW %04X with %zu bytes", fw->m->name, res->sw, res->len);
		return;
	}
	fw->in_session = true;
	handle_command(fw, res->data, res->len);
}

static void fetch(struct me_fw *fw, unsigned len)
{
	/* TS 102 221 §11.2.3 FETCH */
	uint8_t a[5] = { 0x80, INS_FETCH, 0x00, 0x00, (uint8_t)(len & 0xFF) };

	fw->fetching = true;
	me_sim_apdu(fw->m->sim, a, sizeof(a), fetch_cb, ctx_new(fw));
}

static void sim_proactive(void *user, unsigned len)
{
	struct me_fw *fw = user;

	if (fw->fetching || fw->pc_active) {
		fw->announced = len;
		return;
	}
	fetch(fw, len);
}

struct host_tr {
	struct me_fw *fw;
	unsigned gen;
	me_apdu_cb cb;
	void *user;
};

static void host_tr_cb(const struct me_apdu_res *res, void *user)
{
	struct host_tr *h = user;

	if (h->gen == h->fw->gen)
		after_answer(h->fw, res);
	h->cb(res, h->user);
	g_free(h);
}

bool me_fw_terminal_response(struct me_fw *fw, uint32_t ref, const uint8_t *tr, size_t len, me_apdu_cb cb,
			     void *user)
{
	struct host_tr *h;

	if (!fw->pc_active || !fw->pc_to_host || ref != fw->pc_ref)
		return false;
	fw->pc_to_host = false;   /* answered: a second one for the same reference is refused */
	h = g_new0(struct host_tr, 1);
	h->fw = fw;
	h->gen = fw->gen;
	h->cb = cb;
	h->user = user;
	send_tr(fw, tr, len, host_tr_cb, h);
	return true;
}

uint32_t me_fw_pending_ref(const struct me_fw *fw)
{
	return fw->pc_active && fw->pc_to_host ? fw->pc_ref : 0;
}

void me_fw_host_gone(struct me_fw *fw)
{
	if (!fw->pc_active || !fw->pc_to_host)
		return;
	fw->pc_to_host = false;
	ME_INFO("%s: the CAT client of command %u went: the firmware answers it", fw->m->name,
		fw->pc_details.number);
	firmware_answer(fw, RESULT_TERMINAL_UNABLE, (const uint8_t[]){ 0x00 }, 1, NULL);
}

void me_fw_envelope(struct me_fw *fw, const uint8_t *env, size_t len, me_apdu_cb cb, void *user)
{
	uint8_t a[5 + 255];

	if (len > 255)
		len = 255;
	/* TS 102 221 §11.2.2 ENVELOPE */
	a[0] = 0x80; a[1] = INS_ENVELOPE; a[2] = 0x00; a[3] = 0x00; a[4] = (uint8_t)len;
	memcpy(a + 5, env, len);
	me_sim_apdu(fw->m->sim, a, 5 + len, cb, user);
}

/* ---- SMS-PP data download ------------------------------------------------------------------------- */

struct dl_ctx {
	struct me_fw *fw;
	uint8_t pid, dcs;
	me_download_cb cb;
	void *user;
};

static void download_answer(struct dl_ctx *d, uint16_t sw, const uint8_t *data, size_t len)
{
	struct simota_sms_pp_result res;

	if (simota_sms_pp_download_result(d->pid, d->dcs, sw, data, len, &res) != SIMOTA_OK)
		simota_sms_pp_download_result(d->pid, d->dcs, 0x6F00, NULL, 0, &res);
	d->cb(&res, d->user);
	g_free(d);
}

static void download_cb(const struct me_apdu_res *res, void *user)
{
	struct dl_ctx *d = user;

	/* no card answer at all: TS 31.111 §7.1.1.1 "(U)SIM data download error" */
	if (res->error)
		download_answer(d, 0x6F00, NULL, 0);
	else
		download_answer(d, res->sw, res->data, res->len);
}

void me_fw_data_download(struct me_fw *fw, const uint8_t *tpdu, size_t len, me_download_cb cb, void *user)
{
	struct me_card_info *card = &fw->m->card;
	struct simota_sms_deliver *sms = g_new0(struct simota_sms_deliver, 1);
	struct dl_ctx *d = g_new0(struct dl_ctx, 1);
	uint8_t env[SIMOTA_CAT_BYTES_MAX + 40];
	size_t elen;

	d->fw = fw;
	d->cb = cb;
	d->user = user;
	if (simota_sms_deliver_decode(tpdu, len, sms) == SIMOTA_OK) {
		d->pid = sms->pid;
		d->dcs = sms->dcs;
	}
	g_free(sms);
	if (simota_sms_pp_download_envelope(card->have_smsc ? &card->smsc : NULL, tpdu, len, env, sizeof(env),
					    &elen) != SIMOTA_OK) {
		download_answer(d, 0x6F00, NULL, 0);
		return;
	}
	fw->downloads++;
	ME_DEBUG("%s: SMS-PP data download %u: %zu-byte TPDU, %zu-byte ENVELOPE", fw->m->name, fw->downloads,
		 len, elen);
	me_fw_envelope(fw, env, elen, download_cb, d);
}

unsigned me_fw_downloads(const struct me_fw *fw)
{
	return fw->downloads;
}

unsigned me_fw_proactive_commands(const struct me_fw *fw)
{
	return fw->commands;
}

/* ---- the object ---------------------------------------------------------------------------------- */

const struct me_sim_ops me_fw_sim_ops = {
	.present = sim_present,
	.gone = sim_gone,
	.proactive = sim_proactive,
};

struct me_fw *me_fw_new(struct me_modem *m)
{
	struct me_fw *fw = g_new0(struct me_fw, 1);

	fw->m = m;
	return fw;
}

void me_fw_free(struct me_fw *fw)
{
	g_free(fw);
}
