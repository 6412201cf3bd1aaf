/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CAT, on both service numbers (libqmi: QMI_SERVICE_CAT2 0x0A and
 * QMI_SERVICE_CAT 0xE0).  libqmi 1.32 has no CAT service: the layouts are
 * those of the Gobi API in the libqmi repository (gobi-api/.../QMIEnum.h
 * eQMI_CAT_*, GobiConnectionMgmtAPIStructs.h sCAT2*), which the QMI CAT v2
 * IDL extends with the message ids 0x002C-0x002E:
 *   Reset 0x0000;
 *   Set Event Report 0x0001: TLV 0x10 raw mask, 0x11 decoded mask, 0x12
 *     slot mask, 0x13 full function mask; answer 0x10/0x11/0x12 the bits
 *     that could not be registered;
 *   Event Report indication 0x0001: one TLV per proactive command, u32
 *     reference id + u16 length + the raw command (0x10 DISPLAY TEXT, 0x11
 *     GET INKEY, 0x12 GET INPUT, 0x13 SET UP MENU, 0x14 SELECT ITEM, 0x17
 *     SET UP IDLE MODE TEXT, 0x18 LANGUAGE NOTIFICATION, 0x47 PLAY TONE, 0x48
 *     SET UP CALL, 0x49 SEND DTMF, 0x4A LAUNCH BROWSER, 0x4B SEND SHORT
 *     MESSAGE, 0x4C SEND SS, 0x4D SEND USSD, 0x4E PROVIDE LOCAL INFORMATION,
 *     0x4F SET UP EVENT LIST, 0x51-0x54 OPEN / CLOSE CHANNEL, SEND / RECEIVE
 *     DATA, 0x66 ACTIVATE); 0x1A end of the proactive session (u8: 01 from
 *     the card, 02 inside the terminal);
 *   Send Terminal Response 0x0021: TLV 0x01 u32 reference id + u16 length
 *     + TR; answer 0x10 SW1, SW2, u8 length + data;
 *   Send Envelope 0x0022: TLV 0x01 u16 type + u16 length + envelope;
 *     answer 0x10 SW1, SW2, u8 length + response data;
 *   Get Terminal Profile 0x002C: 0x10 u8 length + profile;
 *   Set / Get Configuration 0x002D / 0x002E: mode (0 disabled, 1 Gobi, 2
 *     Android, 3 decoded, 4 decoded pull-only, 5 custom raw, 6 custom
 *     decoded), custom terminal profile (u8 length + bytes); the new
 *     profile is downloaded at the SIM's next power-up.
 * Decoded reports are not implemented: their bits come back as failed.
 */
#include <string.h>

#include "firmware.h"
#include "simota/cat.h"

#define MODE_DISABLED 0
#define MODE_GOBI 1
#define MODE_ANDROID 2
#define MODE_CUSTOM_RAW 5
#define MODE_CUSTOM_DECODED 6
#define TP_MAX 80

/* Raw mask bits (Set Event Report TLV 0x10). */
#define BIT(n) (1u << (n))
#define RAW_END_SESSION BIT(12)
#define RAW_SEND_SMS BIT(5)
#define RAW_SUPPORTED (0x007FFFFFu | BIT(24) | BIT(25))
#define FULL_SEND_SMS BIT(0)

struct me_cat {
	struct me_modem *m;
	uint8_t mode;
	uint8_t tp[TP_MAX];
	size_t tp_len;
	uint8_t sent_tp[TP_MAX];
	size_t sent_tp_len;
};

/* TS 102 223 §9.4 type of command -> raw mask bits and the indication's TLV. */
static const struct {
	uint8_t type;
	uint32_t mask;
	uint8_t tlv;
} commands[] = {
	{ SIMOTA_CAT_DISPLAY_TEXT, BIT(0), 0x10 },
	{ SIMOTA_CAT_GET_INKEY, BIT(1), 0x11 },
	{ SIMOTA_CAT_GET_INPUT, BIT(2), 0x12 },
	{ SIMOTA_CAT_SET_UP_MENU, BIT(3), 0x13 },
	{ SIMOTA_CAT_SELECT_ITEM, BIT(4), 0x14 },
	{ SIMOTA_CAT_SEND_SHORT_MESSAGE, BIT(5), 0x4B },
	{ SIMOTA_CAT_SET_UP_EVENT_LIST, BIT(6) | BIT(7) | BIT(8) | BIT(21) | BIT(25), 0x4F },
	{ 0x28, BIT(9), 0x17 },                    /* SET UP IDLE MODE TEXT */
	{ 0x35, BIT(10), 0x18 },                   /* LANGUAGE NOTIFICATION */
	{ SIMOTA_CAT_PLAY_TONE, BIT(13), 0x47 },
	{ 0x10, BIT(14), 0x48 },                   /* SET UP CALL */
	{ 0x14, BIT(15), 0x49 },                   /* SEND DTMF */
	{ 0x15, BIT(16), 0x4A },                   /* LAUNCH BROWSER */
	{ 0x11, BIT(17), 0x4C },                   /* SEND SS */
	{ 0x12, BIT(18), 0x4D },                   /* SEND USSD */
	{ SIMOTA_CAT_PROVIDE_LOCAL_INFO, BIT(19) | BIT(22), 0x4E },
	{ 0x40, BIT(20), 0x51 },                   /* OPEN CHANNEL */
	{ 0x41, BIT(20), 0x52 },                   /* CLOSE CHANNEL */
	{ 0x43, BIT(20), 0x53 },                   /* SEND DATA */
	{ 0x42, BIT(20), 0x54 },                   /* RECEIVE DATA */
	{ 0x70, BIT(24), 0x66 },                   /* ACTIVATE */
};

static bool is_cat(uint8_t service)
{
	return service == QMI_SERVICE_CAT || service == QMI_SERVICE_CAT2;
}

static bool raw_mode(uint8_t mode)
{
	return mode == MODE_GOBI || mode == MODE_ANDROID || mode == MODE_CUSTOM_RAW;
}

/* ---- event reports ---------------------------------------------------------------------------------- */

struct offer {
	uint32_t mask;
	uint8_t tlv;
	uint32_t ref;
	const uint8_t *cmd;
	size_t len;
};

static bool wants_command(const struct me_cid *c, void *user)
{
	const struct offer *o = user;

	return c->cat_raw & o->mask;
}

static void fill_command(QmiMessage *msg, void *user)
{
	const struct offer *o = user;
	struct me_tlv_w t;

	me_tlv_begin(&t, msg, o->tlv);
	me_tlv_u32(&t, o->ref);
	me_tlv_bytes(&t, 2, o->cmd, o->len);
	me_tlv_end(&t);
}

bool me_cat_offer_command(struct me_modem *m, uint32_t ref, uint8_t type, const uint8_t *cmd, size_t len,
			  bool *needs_tr)
{
	struct offer o = { .ref = ref, .cmd = cmd, .len = len };
	unsigned n = 0;

	*needs_tr = false;
	if (!raw_mode(m->cat->mode))
		return false;
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
		if (commands[i].type != type)
			continue;
		o.mask = commands[i].mask;
		o.tlv = commands[i].tlv;
		n += me_modem_indicate(m, QMI_SERVICE_CAT2, 0x0001, wants_command, fill_command, &o);
		n += me_modem_indicate(m, QMI_SERVICE_CAT, 0x0001, wants_command, fill_command, &o);
		break;
	}
	if (!n)
		return false;
	*needs_tr = true;
	if (type == SIMOTA_CAT_SEND_SHORT_MESSAGE) {
		/* a notification, unless a client takes SEND SHORT MESSAGE in full (TLV 0x13 bit 0) */
		GHashTableIter it;
		gpointer v;

		*needs_tr = false;
		g_hash_table_iter_init(&it, m->cids);
		while (g_hash_table_iter_next(&it, NULL, &v)) {
			const struct me_cid *c = v;

			if (is_cat(c->service) && c->owner && (c->cat_full & FULL_SEND_SMS) && (c->cat_raw & RAW_SEND_SMS))
				*needs_tr = true;
		}
	}
	ME_DEBUG("%s: proactive command type %02X reported to %u CAT client(s), ref %u%s", m->name, type, n, ref,
		 *needs_tr ? "" : " (notification)");
	return true;
}

static bool wants_end(const struct me_cid *c, void *user)
{
	return c->cat_raw & RAW_END_SESSION;
}

static void fill_end(QmiMessage *msg, void *user)
{
	me_tlv_put_u8(msg, 0x1A, *(uint8_t *)user);
}

void me_cat_session_ended(struct me_modem *m, bool from_card)
{
	uint8_t type = from_card ? 0x01 : 0x02;

	if (!raw_mode(m->cat->mode))
		return;
	me_modem_indicate(m, QMI_SERVICE_CAT2, 0x0001, wants_end, fill_end, &type);
	me_modem_indicate(m, QMI_SERVICE_CAT, 0x0001, wants_end, fill_end, &type);
}

const uint8_t *me_cat_terminal_profile(struct me_modem *m, size_t *len)
{
	const uint8_t *tp = NULL;
	struct me_cat *c = m->cat;

	if ((c->mode == MODE_CUSTOM_RAW || c->mode == MODE_CUSTOM_DECODED) && c->tp_len) {
		tp = c->tp;
		*len = c->tp_len;
	}
	if (!tp)
		tp = me_fw_default_profile(len);
	memcpy(c->sent_tp, tp, MIN(*len, sizeof(c->sent_tp)));
	c->sent_tp_len = MIN(*len, sizeof(c->sent_tp));
	return tp;
}

/* ---- requests ---------------------------------------------------------------------------------------- */

static void reset(struct me_req *r)
{
	r->cid->cat_raw = r->cid->cat_full = 0;
	me_req_finish(r, me_resp_new(r));
}

static void set_event_report(struct me_req *r)
{
	struct me_cat *cat = r->modem->cat;
	struct me_tlv_r rd;
	uint32_t raw = 0, decoded = 0, full = 0, raw_err = 0, full_err = 0;
	uint8_t slot = 0x01;
	bool has_raw, has_dec, has_full;
	QmiMessage *resp;

	has_raw = me_tlv_open(&rd, r->msg, 0x10);
	if (has_raw && !me_rd_u32(&rd, &raw))
		goto bad;
	has_dec = me_tlv_open(&rd, r->msg, 0x11);
	if (has_dec && !me_rd_u32(&rd, &decoded))
		goto bad;
	if (me_tlv_open(&rd, r->msg, 0x12) && !me_rd_u8(&rd, &slot))
		goto bad;
	has_full = me_tlv_open(&rd, r->msg, 0x13);
	if (has_full && !me_rd_u32(&rd, &full))
		goto bad;
	if (!(slot & 0x01)) {
		/* one slot: registering only for others registers nothing */
		raw_err = raw;
		raw = 0;
	}
	if (has_raw) {
		raw_err |= raw & ~RAW_SUPPORTED;
		if (!raw_mode(cat->mode))
			raw_err |= raw;
		r->cid->cat_raw = raw & ~raw_err;
	}
	if (has_full) {
		full_err = full & ~FULL_SEND_SMS;
		r->cid->cat_full = full & ~full_err;
	}
	ME_DEBUG("%s: CAT cid %u: raw mask %08x (refused %08x), full function %08x", r->modem->name,
		 r->cid->cid, r->cid->cat_raw, raw_err, r->cid->cat_full);
	resp = me_resp_new(r);
	if (has_raw)
		me_tlv_put_u32(resp, 0x10, raw_err);
	if (has_dec)
		me_tlv_put_u32(resp, 0x11, decoded);   /* decoded reports: not implemented */
	if (has_full)
		me_tlv_put_u32(resp, 0x12, full_err);
	me_req_finish(r, resp);
	return;
bad:
	me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
}

static void sw_reply(struct me_req *r, const struct me_apdu_res *res)
{
	QmiMessage *resp;
	struct me_tlv_w t;

	if (res->error) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_NO_SIM);
		return;
	}
	resp = me_resp_new(r);
	me_tlv_begin(&t, resp, 0x10);
	me_tlv_u8(&t, (uint8_t)(res->sw >> 8));
	me_tlv_u8(&t, (uint8_t)res->sw);
	me_tlv_bytes(&t, 1, res->data, res->len);
	me_tlv_end(&t);
	me_req_finish(r, resp);
}

static void tr_cb(const struct me_apdu_res *res, void *user)
{
	sw_reply(user, res);
}

static void send_terminal_response(struct me_req *r)
{
	struct me_tlv_r rd;
	uint32_t ref;
	uint8_t tr[256];
	size_t len;

	if (!me_req_tlv(r, 0x01, &rd))
		return;
	if (!me_rd_u32(&rd, &ref) || !me_rd_bytes(&rd, 2, tr, sizeof(tr), &len)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	if (len < 9 || len > 255) {
		/* at least command details, device identities and a result (TS 102 223 §6.8) */
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);
		return;
	}
	if (r->modem->card.state != ME_CARD_READY) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_NO_SIM);
		return;
	}
	if (!me_fw_terminal_response(r->modem->fw, ref, tr, len, tr_cb, r)) {
		ME_INFO("%s: TERMINAL RESPONSE for reference %u: no such command waits", r->modem->name, ref);
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);
	}
}

static void envelope_cb(const struct me_apdu_res *res, void *user)
{
	sw_reply(user, res);
}

static void send_envelope(struct me_req *r)
{
	struct me_tlv_r rd;
	uint16_t type;
	uint8_t env[256];
	size_t len;

	if (!me_req_tlv(r, 0x01, &rd))
		return;
	if (!me_rd_u16(&rd, &type) || !me_rd_bytes(&rd, 2, env, sizeof(env), &len)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	/* the type (menu selection, event downloads, ..., 0x01-0x0C) and a BER-TLV envelope (TS 102 223 §7) */
	if (type < 0x01 || type > 0x0C || len < 2 || len > 255 || env[0] < 0xD1 || env[0] > 0xDF) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);
		return;
	}
	if (r->modem->card.state != ME_CARD_READY) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_NO_SIM);
		return;
	}
	me_fw_envelope(r->modem->fw, env, len, envelope_cb, r);
}

static void get_terminal_profile(struct me_req *r)
{
	struct me_cat *cat = r->modem->cat;
	QmiMessage *resp;
	struct me_tlv_w t;

	if (!cat->sent_tp_len) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_DEVICE_NOT_READY);
		return;
	}
	resp = me_resp_new(r);
	me_tlv_begin(&t, resp, 0x10);
	me_tlv_bytes(&t, 1, cat->sent_tp, cat->sent_tp_len);
	me_tlv_end(&t);
	me_req_finish(r, resp);
}

static void set_configuration(struct me_req *r)
{
	struct me_cat *cat = r->modem->cat;
	struct me_tlv_r rd;
	uint8_t mode, tp[TP_MAX];
	size_t len = 0;

	if (!me_req_tlv(r, 0x01, &rd))
		return;
	if (!me_rd_u8(&rd, &mode)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	if (me_tlv_open(&rd, r->msg, 0x10) && !me_rd_bytes(&rd, 1, tp, sizeof(tp), &len)) {
		me_req_fail(r, rd.bad ? QMI_PROTOCOL_ERROR_ARGUMENT_TOO_LONG : QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	if (mode > MODE_CUSTOM_DECODED) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);
		return;
	}
	cat->mode = mode;
	cat->tp_len = (mode == MODE_CUSTOM_RAW || mode == MODE_CUSTOM_DECODED) ? len : 0;
	memcpy(cat->tp, tp, cat->tp_len);
	ME_INFO("%s: CAT configuration mode %u%s", r->modem->name, mode,
		cat->tp_len ? ", custom terminal profile (downloaded at the next SIM power-up)" : "");
	me_req_finish(r, me_resp_new(r));
}

static void get_configuration(struct me_req *r)
{
	struct me_cat *cat = r->modem->cat;
	QmiMessage *resp = me_resp_new(r);
	struct me_tlv_w t;

	me_tlv_put_u8(resp, 0x10, cat->mode);
	if (cat->tp_len) {
		me_tlv_begin(&t, resp, 0x11);
		me_tlv_bytes(&t, 1, cat->tp, cat->tp_len);
		me_tlv_end(&t);
	}
	me_req_finish(r, resp);
}

static const struct me_msg_handler handlers[] = {
	{ 0x0000, "Reset", reset },
	{ 0x0001, "Set Event Report", set_event_report },
	{ 0x001E, "Get Supported Messages", me_handle_supported_messages },
	{ 0x0021, "Send Terminal Response", send_terminal_response },
	{ 0x0022, "Send Envelope", send_envelope },
	{ 0x002C, "Get Terminal Profile", get_terminal_profile },
	{ 0x002D, "Set Configuration", set_configuration },
	{ 0x002E, "Get Configuration", get_configuration },
};

const struct me_service me_svc_cat_old = { QMI_SERVICE_CAT2, "cat", 2, 24, handlers, G_N_ELEMENTS(handlers) };
const struct me_service me_svc_cat = { QMI_SERVICE_CAT, "cat-e0", 2, 24, handlers, G_N_ELEMENTS(handlers) };

struct me_cat *me_cat_new(struct me_modem *m)
{
	struct me_cat *c = g_new0(struct me_cat, 1);

	c->m = m;
	c->mode = MODE_GOBI;
	return c;
}

void me_cat_free(struct me_cat *c)
{
	g_free(c);
}
