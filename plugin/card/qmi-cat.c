// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The toolkit of the card service over QMI: raw CAT (DESIGN §8.2; doc/qmi.md).
 * libqmi 1.32 has no CAT client: the CID comes from a raw CTL Allocate CID
 * (0x0022, service 0x0A, else 0xE0), the requests are QmiMessages built here
 * and sent with qmi_device_command_full(), the indications come through the
 * QmiDevice "indication" signal; what is inside them is lib/qmi_cat.c's.
 *
 *   set-up    Get Configuration 0x002E (the mode); a mode without raw
 *             proactive commands is set to Gobi raw (Set Configuration
 *             0x002D); Set Event Report 0x0001 with the raw mask of every
 *             command oFono handles and the end of the session, and SEND SHORT
 *             MESSAGE in full (the host sends the SMS and answers; else the
 *             firmware sends it and reports it as a notification only).  What
 *             the modem refuses is logged with what does not work then.
 *   commands  each Event Report command is kept with its reference id and
 *             announced (sb_card_proactive_pending); fetch hands it over;
 *             the terminal response goes with its reference id (Send Terminal
 *             Response 0x0021); the card's end of session (TLV 0x1A) goes to
 *             the listener
 *   envelopes Send Envelope 0x0022, its type from the envelope's tag
 *
 * No CAT service, or a configuration the modem refuses: one log line saying
 * that the SIM works without SimToolkit; the toolkit requests then fail
 * (SB_CARD_ERROR_UNSUPPORTED), never wait.  An indication that does not parse
 * (a truncated TLV) is logged and dropped; a terminal response the modem
 * leaves unanswered runs into the bounded wait (the card is then reported
 * lost and the modem opened again).
 */
#include <string.h>

#include "card/qmi-internal.h"
#include "simota/qmi.h"

#define CTL_ALLOCATE_CID 0x0022
#define CTL_RELEASE_CID 0x0023

/* What oFono 1.31's stk core handles (src/stk.c): their raw reports, and the end of the session. */
static const uint8_t handled_types[] = {
	0x21, /* DISPLAY TEXT */ 0x22, /* GET INKEY */ 0x23, /* GET INPUT */ 0x25, /* SET UP MENU */
	0x24, /* SELECT ITEM */ 0x13, /* SEND SHORT MESSAGE */ 0x05, /* SET UP EVENT LIST */
	0x28, /* SET UP IDLE MODE TEXT */ 0x35, /* LANGUAGE NOTIFICATION */ 0x20, /* PLAY TONE */
	0x10, /* SET UP CALL */ 0x14, /* SEND DTMF */ 0x15, /* LAUNCH BROWSER */ 0x11, /* SEND SS */
	0x12, /* SEND USSD */ 0x26, /* PROVIDE LOCAL INFORMATION */
};

static void setup_step(struct qcard *qc, int step);

static void command_free(struct qcat_command *c)
{
	if (c) {
		g_bytes_unref(c->cmd);
		g_free(c);
	}
}

void qcat_forget_commands(struct qcard *qc)
{
	struct qcat_command *c;

	while ((c = g_queue_pop_head(&qc->commands)))
		command_free(c);
	command_free(qc->current);
	qc->current = NULL;
}

void qcat_drop(struct qcard *qc)
{
	qcat_forget_commands(qc);
	if (qc->cat_ind && qc->dev)
		g_signal_handler_disconnect(qc->dev, qc->cat_ind);
	qc->cat_ind = 0;
	qc->cat_cid = 0;
}

/* ---- raw messages ----------------------------------------------------------------------------------- */

typedef void (*cat_answer_fn)(struct qcard *qc, struct qctx *x, struct sb_card_req *r, uint16_t error,
			      const struct simota_qmi_msg *m);

struct cat_call {
	struct qctx *x;
	cat_answer_fn answer;
};

static void command_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct cat_call *call = data;
	struct qctx *x = call->x;
	struct qcard *qc = qcard_ctx_card(x);
	GError *err = NULL;
	QmiMessage *resp = qmi_device_command_full_finish(QMI_DEVICE(src), res, &err);
	struct simota_qmi_msg m;
	struct sb_card_req *r = NULL;
	const guint8 *raw;
	gsize len = 0;
	uint16_t result, error;
	simota_err e = SIMOTA_ERR_TRUNCATED;

	if (!qc || (x->r && !(r = qcard_ctx_take(qc, x))))
		goto out;
	if (!resp) {
		qcard_transport_failed(qc, r, x->what, err);
		goto out;
	}
	raw = qmi_message_get_data(resp, &len, NULL);
	if (raw && qmi_message_get_service(resp) != QMI_SERVICE_CTL)
		e = simota_qmi_msg_decode(raw, len, &m);
	else if (raw && len >= 6) {
		/* CTL: flags (1), transaction (1), message id (2), TLV length (2) */
		memset(&m, 0, sizeof(m));
		m.message_id = (uint16_t)(raw[2] | raw[3] << 8);
		m.tlvs = raw + 6;
		m.tlvs_len = len - 6;
		e = (size_t)(raw[4] | raw[5] << 8) == len - 6 ? SIMOTA_OK : SIMOTA_ERR_BAD_LENGTH;
	}
	if (e == SIMOTA_OK)
		e = simota_qmi_result_decode(m.tlvs, m.tlvs_len, &result, &error);
	if (e != SIMOTA_OK) {
		GError *pe = g_error_new(QMI_CORE_ERROR, QMI_CORE_ERROR_INVALID_MESSAGE, "an answer that does not parse (%s)",
					 simota_strerror(e));

		qcard_transport_failed(qc, r, x->what, pe);
		g_error_free(pe);
		goto out;
	}
	sb_qmi_port_worked(qc->port);
	call->answer(qc, x, r, result ? error : 0, &m);
out:
	g_clear_error(&err);
	if (resp)
		qmi_message_unref(resp);
	qcard_ctx_free(x);
	g_free(call);
}

struct raw_tlv {
	uint8_t type;
	const uint8_t *value;
	size_t len;
};

/* A raw message with these TLVs to the CAT client, or to CTL (QMI_SERVICE_CTL). */
static struct qctx *send_raw(struct qcard *qc, struct sb_card_req *r, const char *what, QmiService service,
			     uint16_t msgid, const struct raw_tlv *tlvs, size_t n_tlvs, int step, cat_answer_fn answer)
{
	struct cat_call *call = g_new0(struct cat_call, 1);
	QmiMessage *m;
	GError *err = NULL;

	if (service == QMI_SERVICE_CTL) {
		m = qmi_message_new(QMI_SERVICE_CTL, 0, 0, msgid);     /* libqmi gives it its CTL transaction id */
	} else {
		if (!++qc->cat_tid)
			qc->cat_tid = 1;
		m = qmi_message_new(service, qc->cat_cid, qc->cat_tid, msgid);
	}
	for (size_t i = 0; i < n_tlvs; i++) {
		if (qmi_message_add_raw_tlv(m, tlvs[i].type, tlvs[i].value, tlvs[i].len, &err))
			continue;
		g_message("%s: %s not sent: %s", qc->base.name, what, err->message);
		if (r)
			qcard_fail(r, SB_CARD_ERROR_INVALID, "%s: %s", what, err->message);
		g_error_free(err);
		qmi_message_unref(m);
		g_free(call);
		return NULL;
	}
	call->x = qcard_ctx_new(qc, r, what);
	call->x->step = step;
	call->answer = answer;
	qmi_device_command_full(qc->dev, m, NULL, qcard_timeout_s(qc), NULL, command_done, call);
	qmi_message_unref(m);
	return call->x;
}

/* The name of a QMI error for a log line. */
static const char *qmi_error_name(uint16_t error)
{
	const char *s = qmi_protocol_error_get_string((QmiProtocolError)error);

	return s ? s : "unknown error";
}

/* ---- set-up --------------------------------------------------------------------------------------------- */

enum { STEP_ALLOCATE, STEP_ALLOCATE_E0, STEP_GET_CONFIG, STEP_SET_CONFIG, STEP_EVENT_REPORT, STEP_DONE };

static void no_toolkit(struct qcard *qc, const char *why)
{
	if (!qc->cat_logged)
		g_message("%s: %s: SimToolkit is not available; the SIM works without it (files, PINs, SMS)",
			  qc->base.name, why);
	qc->cat_logged = true;
}

static void on_indication(QmiDevice *dev, QmiMessage *msg, gpointer data);

static void setup_answer(struct qcard *qc, struct qctx *x, struct sb_card_req *r, uint16_t error,
			 const struct simota_qmi_msg *m)
{
	struct simota_qmi_tlv t;
	char *why;

	switch (x->step) {
	case STEP_ALLOCATE:
	case STEP_ALLOCATE_E0:
		if (error || simota_qmi_tlv_find(m->tlvs, m->tlvs_len, 0x01, &t) || t.len != 2) {
			if (x->step == STEP_ALLOCATE) {
				setup_step(qc, STEP_ALLOCATE_E0);
				return;
			}
			why = g_strdup_printf("the modem %s has no CAT service (CTL Allocate CID: %s)", qc->path,
					      error ? qmi_error_name(error) : "no client id");
			no_toolkit(qc, why);
			g_free(why);
			setup_step(qc, STEP_DONE);
			return;
		}
		qc->cat_service = t.value[0];
		qc->cat_cid = t.value[1];
		qc->cat_ind = g_signal_connect(qc->dev, QMI_DEVICE_SIGNAL_INDICATION, G_CALLBACK(on_indication), qc);
		g_debug("%s: CAT client %u on service 0x%02X", qc->base.name, qc->cat_cid, qc->cat_service);
		setup_step(qc, STEP_GET_CONFIG);
		return;
	case STEP_GET_CONFIG:
		if (!error && !simota_qmi_tlv_find(m->tlvs, m->tlvs_len, 0x10, &t) && t.len >= 1 &&
		    simota_qmi_cat_mode_is_raw(t.value[0])) {
			g_debug("%s: CAT configuration mode %u: raw proactive commands", qc->base.name, t.value[0]);
			setup_step(qc, STEP_EVENT_REPORT);
		} else {
			if (error)
				g_message("%s: CAT Get Configuration refused (%s): setting the raw mode", qc->base.name,
					  qmi_error_name(error));
			setup_step(qc, STEP_SET_CONFIG);
		}
		return;
	case STEP_SET_CONFIG:
		if (error) {
			why = g_strdup_printf("the modem %s refused the raw CAT configuration (Set Configuration: %s)",
					      qc->path, qmi_error_name(error));
			no_toolkit(qc, why);
			g_free(why);
			setup_step(qc, STEP_DONE);
			return;
		}
		setup_step(qc, STEP_EVENT_REPORT);
		return;
	default: {   /* STEP_EVENT_REPORT */
		uint32_t refused = 0, refused_full = 0;

		if (error) {
			why = g_strdup_printf("the modem %s refused CAT event reports (Set Event Report: %s)", qc->path,
					      qmi_error_name(error));
			no_toolkit(qc, why);
			g_free(why);
			setup_step(qc, STEP_DONE);
			return;
		}
		if (!simota_qmi_tlv_find(m->tlvs, m->tlvs_len, 0x10, &t) && t.len == 4)
			refused = (uint32_t)t.value[0] | (uint32_t)t.value[1] << 8 | (uint32_t)t.value[2] << 16 |
				  (uint32_t)t.value[3] << 24;
		if (!simota_qmi_tlv_find(m->tlvs, m->tlvs_len, 0x12, &t) && t.len == 4)
			refused_full = t.value[0] & SIMOTA_QMI_CAT_FULL_SEND_SMS;
		for (size_t i = 0; i < G_N_ELEMENTS(handled_types); i++) {
			const struct simota_qmi_cat_kind *k = simota_qmi_cat_kind_by_type(handled_types[i]);

			if (k && (k->raw_mask & refused) == k->raw_mask)
				g_message("%s: the modem %s refused raw reports of %s: oFono never sees that command",
					  qc->base.name, qc->path, k->name);
		}
		if (refused & SIMOTA_QMI_CAT_RAW_END_SESSION)
			g_message("%s: the modem %s refused end-of-session reports: SimToolkit learns of a session's "
				  "end from the next command only", qc->base.name, qc->path);
		if (refused_full)
			g_message("%s: the modem %s sends SEND SHORT MESSAGE itself (full function refused): oFono sees "
				  "it as a notification", qc->base.name, qc->path);
		setup_step(qc, STEP_DONE);
		return;
	}
	}
}

static void setup_step(struct qcard *qc, int step)
{
	uint8_t v[8];
	struct raw_tlv t[2] = { { 0x01, v, 1 } };

	switch (step) {
	case STEP_ALLOCATE:
	case STEP_ALLOCATE_E0:
		/* DESIGN §8.2: qmi_device_allocate_client() refuses CAT; the CTL message itself */
		v[0] = step == STEP_ALLOCATE ? SIMOTA_QMI_SERVICE_CAT2 : SIMOTA_QMI_SERVICE_CAT;
		send_raw(qc, NULL, "CTL Allocate CID (CAT)", QMI_SERVICE_CTL, CTL_ALLOCATE_CID, t, 1, step, setup_answer);
		return;
	case STEP_GET_CONFIG:
		send_raw(qc, NULL, "CAT Get Configuration", (QmiService)qc->cat_service, SIMOTA_QMI_CAT_GET_CONFIGURATION,
			 NULL, 0, step, setup_answer);
		return;
	case STEP_SET_CONFIG:
		v[0] = SIMOTA_QMI_CAT_MODE_GOBI;
		send_raw(qc, NULL, "CAT Set Configuration", (QmiService)qc->cat_service,
			 SIMOTA_QMI_CAT_SET_CONFIGURATION, t, 1, step, setup_answer);
		return;
	case STEP_EVENT_REPORT: {
		uint32_t mask = SIMOTA_QMI_CAT_RAW_END_SESSION;

		for (size_t i = 0; i < G_N_ELEMENTS(handled_types); i++) {
			const struct simota_qmi_cat_kind *k = simota_qmi_cat_kind_by_type(handled_types[i]);

			if (k)
				mask |= k->raw_mask;
		}
		/* the raw mask (0x10) and the full function mask (0x13), little-endian u32 each */
		v[0] = (uint8_t)mask; v[1] = (uint8_t)(mask >> 8); v[2] = (uint8_t)(mask >> 16); v[3] = (uint8_t)(mask >> 24);
		v[4] = SIMOTA_QMI_CAT_FULL_SEND_SMS; v[5] = v[6] = v[7] = 0;
		t[0] = (struct raw_tlv){ SIMOTA_QMI_CAT_TLV_RAW_MASK, v, 4 };
		t[1] = (struct raw_tlv){ SIMOTA_QMI_CAT_TLV_FULL_FUNCTION_MASK, v + 4, 4 };
		send_raw(qc, NULL, "CAT Set Event Report", (QmiService)qc->cat_service, SIMOTA_QMI_CAT_SET_EVENT_REPORT, t,
			 2, step, setup_answer);
		return;
	}
	default:
		if (qc->cat_done)
			qc->cat_done(qc);
		return;
	}
}

void qcat_setup(struct qcard *qc, void (*done)(struct qcard *qc))
{
	qc->cat_done = done;
	qc->cat_cid = 0;
	setup_step(qc, STEP_ALLOCATE);
}

/* ---- what the modem reports ------------------------------------------------------------------------------- */

static void on_indication(QmiDevice *dev, QmiMessage *msg, gpointer data)
{
	struct qcard *qc = data;
	struct simota_qmi_msg m;
	struct simota_qmi_cat_event *ev;
	const guint8 *raw;
	gsize len = 0;
	simota_err e;

	if ((uint8_t)qmi_message_get_service(msg) != qc->cat_service || !qc->cat_cid ||
	    (qmi_message_get_client_id(msg) != qc->cat_cid && qmi_message_get_client_id(msg) != 0xFF) ||
	    qmi_message_get_message_id(msg) != SIMOTA_QMI_CAT_SET_EVENT_REPORT)
		return;
	raw = qmi_message_get_data(msg, &len, NULL);
	ev = g_new0(struct simota_qmi_cat_event, 1);
	e = raw ? simota_qmi_msg_decode(raw, len, &m) : SIMOTA_ERR_TRUNCATED;
	if (e == SIMOTA_OK)
		e = simota_qmi_cat_event_decode(m.tlvs, m.tlvs_len, ev);
	if (e != SIMOTA_OK) {
		/* nothing in it can be trusted, not even a reference id to answer */
		g_message("%s: the modem %s sent a CAT Event Report that does not parse (%s, %zu bytes): dropped",
			  qc->base.name, qc->path, simota_strerror(e), (size_t)len);
		g_free(ev);
		return;
	}
	for (unsigned i = 0; i < ev->n_commands; i++) {
		struct qcat_command *c = g_new0(struct qcat_command, 1);

		c->ref = ev->commands[i].ref;
		c->cmd = g_bytes_new(ev->commands[i].cmd, ev->commands[i].len);
		g_debug("%s: CAT proactive command (TLV 0x%02X), reference %u, %u bytes", qc->base.name,
			ev->commands[i].tlv, c->ref, ev->commands[i].len);
		g_queue_push_tail(&qc->commands, c);
	}
	if (ev->n_commands && qc->up)
		sb_card_proactive_pending(&qc->base);
	if (ev->end_session) {
		g_debug("%s: CAT end of the proactive session (%s)", qc->base.name,
			ev->end_type == 0x01 ? "by the card" : "in the terminal");
		command_free(qc->current);
		qc->current = NULL;
		if (qc->up)
			sb_card_session_ended(&qc->base);
	}
	g_free(ev);
}

/* ---- the toolkit requests ----------------------------------------------------------------------------------- */

static bool have_cat(struct qcard *qc, struct sb_card_req *r)
{
	if (qc->cat_cid && qc->dev)
		return true;
	qcard_fail(r, SB_CARD_ERROR_UNSUPPORTED, "no CAT service on the modem: no SimToolkit");
	return false;
}

void qcat_fetch(struct sb_card_service *c, struct sb_card_req *r)
{
	struct qcard *qc = (struct qcard *)c;
	struct qcat_command *cmd = g_queue_pop_head(&qc->commands);
	gsize n;
	const uint8_t *p;

	if (!cmd) {
		qcard_fail(r, SB_CARD_ERROR_PROTOCOL, "no proactive command reported");
		return;
	}
	command_free(qc->current);      /* one the card never got an answer to: the firmware's to end */
	qc->current = cmd;
	p = g_bytes_get_data(cmd->cmd, &n);
	sb_card_req_data(r, 0x9000, p, n);
}

/* Send Terminal Response / Send Envelope: TLV 0x10, the card's SW1 SW2 and data (9000 without it). */
static void toolkit_answer(struct qcard *qc, struct qctx *x, struct sb_card_req *r, uint16_t error,
			   const struct simota_qmi_msg *m)
{
	struct simota_qmi_tlv t;
	uint16_t sw = 0x9000;
	const uint8_t *d = NULL;
	size_t dlen = 0;

	if (!r)
		return;
	if (error) {
		if (r->kind == SB_CARD_REQ_TERMINAL_RESPONSE && error == QMI_PROTOCOL_ERROR_INVALID_ARGUMENT)
			g_message("%s: the modem %s refused the TERMINAL RESPONSE to reference %u (%s): the modem does "
				  "not know that command (any more)", qc->base.name, qc->path, x->ref, qmi_error_name(error));
		else
			g_message("%s: %s refused by the modem %s: %s", qc->base.name, x->what, qc->path,
				  qmi_error_name(error));
		qcard_fail(r, error == QMI_PROTOCOL_ERROR_NO_SIM ? SB_CARD_ERROR_ABSENT : SB_CARD_ERROR_PROTOCOL,
			   "%s: %s", x->what, qmi_error_name(error));
		return;
	}
	if (!simota_qmi_tlv_find(m->tlvs, m->tlvs_len, 0x10, &t) &&
	    simota_qmi_cat_card_answer_decode(t.value, t.len, &sw, &d, &dlen) != SIMOTA_OK) {
		qcard_fail(r, SB_CARD_ERROR_PROTOCOL, "%s: a card answer that does not parse", x->what);
		return;
	}
	if (r->kind == SB_CARD_REQ_ENVELOPE)
		sb_card_req_data(r, sw, d, dlen);
	else
		sb_card_req_sw(r, sw);
}

void qcat_terminal_response(struct sb_card_service *c, struct sb_card_req *r)
{
	struct qcard *qc = (struct qcard *)c;
	uint8_t v[6 + 255];
	size_t n, len;
	const uint8_t *tr = g_bytes_get_data(r->data, &len);
	struct qcat_command *cmd = qc->current;

	if (!have_cat(qc, r))
		return;
	if (!cmd) {
		qcard_fail(r, SB_CARD_ERROR_PROTOCOL, "no proactive command to answer");
		return;
	}
	qc->current = NULL;
	if (simota_qmi_cat_tr_encode(cmd->ref, tr, len, v, sizeof(v), &n) != SIMOTA_OK) {
		qcard_fail(r, SB_CARD_ERROR_INVALID, "a TERMINAL RESPONSE of %zu bytes", len);
	} else {
		struct raw_tlv t = { 0x01, v, n };
		struct qctx *x;

		g_debug("%s: CAT Send Terminal Response, reference %u", qc->base.name, cmd->ref);
		x = send_raw(qc, r, "CAT Send Terminal Response", (QmiService)qc->cat_service,
			     SIMOTA_QMI_CAT_SEND_TERMINAL_RESPONSE, &t, 1, 0, toolkit_answer);
		if (x)
			x->ref = cmd->ref;
	}
	command_free(cmd);
}

void qcat_envelope(struct sb_card_service *c, struct sb_card_req *r)
{
	struct qcard *qc = (struct qcard *)c;
	uint8_t v[4 + 255];
	size_t n, len;
	const uint8_t *env = g_bytes_get_data(r->data, &len);

	if (!have_cat(qc, r))
		return;
	if (simota_qmi_cat_envelope_encode(simota_qmi_cat_envelope_type(env, len), env, len, v, sizeof(v), &n) !=
	    SIMOTA_OK) {
		qcard_fail(r, SB_CARD_ERROR_INVALID, "an ENVELOPE of %zu bytes", len);
		return;
	}
	{
		struct raw_tlv t = { 0x01, v, n };

		send_raw(qc, r, "CAT Send Envelope", (QmiService)qc->cat_service, SIMOTA_QMI_CAT_SEND_ENVELOPE, &t, 1, 0,
			 toolkit_answer);
	}
}
