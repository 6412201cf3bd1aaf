// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The card service over QMI (card-impl.h; doc/qmi.md): a modem's own SIM,
 * whose basic channel and proactive session the modem's firmware owns, reached
 * through libqmi-glib's UIM client on the device qmi/port.c shares (Uicc=qmi
 * and Network=qmi on one PATH: one QmiDevice).  The toolkit is raw CAT
 * (qmi-cat.c).
 *
 *   start     the device open (port.c, reconnected with backoff), a UIM client,
 *             UIM Register Events (card status), the CAT client (qmi-cat.c),
 *             then UIM Get Card Status: up once a card is present and the
 *             firmware knows its PIN1 (no ATR over QMI)
 *   status    the Card Status indication: the card gone or in error fails the
 *             requests in flight and reports the card lost; a card back while
 *             the service is down reports it present (the modem starts it)
 *   files     Read Transparent 0x0020, Read Record 0x0021, Get File Attributes
 *             0x0024 (its raw FCP decoded by lib/ts102221_fcp.c), on the GW
 *             provisioning session for ADF.USIM's files (7FFF...) and the card
 *             session for the MF's; the path from the MF as little-endian FIDs.
 *             Write Transparent 0x0022 and Write Record 0x0023 (absolute record
 *             numbers; a cyclic file's "oldest record" is SB_CARD_ERROR_UNSUPPORTED)
 *             as raw messages on the UIM client: libqmi 1.32 has neither.
 *             The card's SW1 SW2 (card result TLV) is the answer; a QMI error
 *             without one becomes the status word a card would have given, or
 *             an error.
 *   PINs      state and retries from a fresh Get Card Status; Verify 0x0026,
 *             Unblock 0x0027, Change 0x0028, Set PIN Protection 0x0025, answered
 *             with the status word a card gives (9000, 63CX, 6983)
 *
 * Every request has a bounded wait (UiccTimeout); a request the modem leaves
 * unanswered, or answers with what libqmi cannot read, fails (TIMEOUT /
 * PROTOCOL), the card is reported lost and the device opened again (port.c
 * logs it once).
 */
#include <stdarg.h>
#include <string.h>

#include "card/qmi-internal.h"
#include "simota/ts102221.h"

#define SW_OK 0x9000
#define SW_FILE_NOT_FOUND 0x6A82
#define SW_SECURITY_NOT_SATISFIED 0x6982
#define SW_PIN_BLOCKED 0x6983
#define SW_WRONG_P1P2 0x6B00
#define START_WAITS 3            /* a start waits this many request timeouts for the modem and its SIM */

static void clients_setup(struct qcard *qc);
static void status_read(struct qcard *qc);

/* ---- requests and their lifetime ------------------------------------------------------------------ */

static struct qcard_life *life_ref(struct qcard_life *l)
{
	l->refs++;
	return l;
}

static void life_unref(struct qcard_life *l)
{
	if (!--l->refs)
		g_free(l);
}

struct qctx *qcard_ctx_new(struct qcard *qc, struct sb_card_req *r, const char *what)
{
	struct qctx *x = g_new0(struct qctx, 1);

	x->life = life_ref(qc->life);
	x->gen = qc->gen;
	x->r = r;
	x->what = what;
	if (r)
		qc->inflight = g_list_prepend(qc->inflight, r);
	return x;
}

struct qcard *qcard_ctx_card(struct qctx *x)
{
	struct qcard *qc = x->life->qc;

	return qc && qc->gen == x->gen ? qc : NULL;
}

struct sb_card_req *qcard_ctx_take(struct qcard *qc, struct qctx *x)
{
	GList *l = x->r ? g_list_find(qc->inflight, x->r) : NULL;

	if (!l)
		return NULL;
	qc->inflight = g_list_delete_link(qc->inflight, l);
	return x->r;
}

void qcard_ctx_free(struct qctx *x)
{
	struct qcard *qc = qcard_ctx_card(x);

	if (qc && x->r)
		qc->inflight = g_list_remove(qc->inflight, x->r);
	life_unref(x->life);
	g_free(x);
}

unsigned qcard_timeout_s(const struct qcard *qc)
{
	return MAX(1u, (qc->base.timeout_ms + 999) / 1000);
}

void qcard_fail(struct sb_card_req *r, int code, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	GError *e;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	e = g_error_new(SB_CARD_ERROR, code, "%s: %s", r->card->description, msg);
	sb_card_req_fail(r, e);
	g_error_free(e);
	g_free(msg);
}

/* Every request sent and not answered: failed (the card went, or we stopped); their answers will be dropped. */
static void fail_inflight(struct qcard *qc, int code, const char *why)
{
	GList *l = qc->inflight;

	qc->inflight = NULL;
	for (; l; l = g_list_delete_link(l, l))
		qcard_fail(l->data, code, "%s", why);
}

/* The card went: requests failed, the toolkit forgotten, the front told (ABSENT or ERROR). */
static void card_lost(struct qcard *qc, enum sb_card_state state, int code, const char *why)
{
	GError *e = g_error_new(SB_CARD_ERROR, code, "%s: %s", qc->base.description, why);

	fail_inflight(qc, code, why);
	qcat_forget_commands(qc);
	qc->up = false;
	sb_card_status_changed(&qc->base, state, e);
	g_error_free(e);
}

void qcard_transport_failed(struct qcard *qc, struct sb_card_req *r, const char *what, const GError *err)
{
	bool timeout = err && err->domain == QMI_CORE_ERROR && err->code == QMI_CORE_ERROR_TIMEOUT;
	char *why = g_strdup_printf("%s: %s", what, sb_qmi_error_text(err));

	if (r)
		qcard_fail(r, timeout ? SB_CARD_ERROR_TIMEOUT : SB_CARD_ERROR_PROTOCOL, "%s", why);
	if (qc->up)
		card_lost(qc, SB_CARD_STATE_ERROR, timeout ? SB_CARD_ERROR_TIMEOUT : SB_CARD_ERROR_PROTOCOL, why);
	sb_qmi_port_fail(qc->port, why);     /* logged there, once; the device opened again */
	g_free(why);
}

/* ---- the card status (UIM Get Card Status 0x002F, Card Status indication 0x0032) ------------------- */

/*
 * The GW primary application of the card status (libqmi QmiUimCardState,
 * QmiUimCardApplicationState, QmiUimPinState); the response and the
 * indication have the same fields under two type names.
 */
#define APPLY_CARD_STATUS(CardT, AppT, cards, gw, qc)                                                         \
	do {                                                                                                  \
		guint slot_ = (gw) >> 8, app_ = (gw) & 0xFF;                                                   \
		(qc)->have_status = true;                                                                     \
		(qc)->card_state = QMI_UIM_CARD_STATE_ABSENT;                                                 \
		(qc)->app_state = -1;                                                                         \
		if ((cards) && (cards)->len) {                                                                \
			CardT *card_ = &g_array_index((cards), CardT, slot_ < (cards)->len ? slot_ : 0);      \
			(qc)->card_state = card_->card_state;                                                 \
			if ((gw) != 0xFFFF && card_->applications && app_ < card_->applications->len) {      \
				AppT *a_ = &g_array_index(card_->applications, AppT, app_);                    \
				(qc)->app_state = a_->state;                                                  \
				(qc)->pin1 = a_->pin1_state;                                                  \
				(qc)->pin2 = a_->pin2_state;                                                  \
				(qc)->pin1_retries = a_->pin1_retries;                                        \
				(qc)->puk1_retries = a_->puk1_retries;                                        \
				(qc)->pin2_retries = a_->pin2_retries;                                        \
				(qc)->puk2_retries = a_->puk2_retries;                                        \
			}                                                                                     \
		}                                                                                             \
	} while (0)

/* The firmware knows the card and its PIN1: the card service can be up. */
static bool card_usable(const struct qcard *qc)
{
	return qc->have_status && qc->card_state == QMI_UIM_CARD_STATE_PRESENT && qc->app_state >= 0 &&
	       qc->pin1 != QMI_UIM_PIN_STATE_NOT_INITIALIZED;
}

static void start_done(struct qcard *qc, int code, const char *why)
{
	GError *e = NULL;

	if (!qc->starting)
		return;
	qc->starting = false;
	if (qc->start_timer)
		g_source_remove(qc->start_timer);
	qc->start_timer = 0;
	if (why)
		e = g_error_new(SB_CARD_ERROR, code, "%s: %s", qc->base.description, why);
	else
		qc->up = true;
	/* no ATR over QMI: the modem's firmware powered the card */
	sb_card_started(&qc->base, e, NULL, 0);
	if (e)
		g_error_free(e);
	else if (qc->commands.length)
		sb_card_proactive_pending(&qc->base);    /* reported while the card service was not up */
}

/* A start waits for the card status to say yes or no. */
static void start_check(struct qcard *qc)
{
	if (!qc->starting || !qc->clients_ready || !qc->have_status)
		return;
	if (card_usable(qc)) {
		qc->absent_logged = false;
		start_done(qc, 0, NULL);
	} else if (qc->card_state == QMI_UIM_CARD_STATE_ABSENT) {
		if (!qc->absent_logged)
			g_message("%s: the modem %s reports no SIM", qc->base.name, qc->path);
		qc->absent_logged = true;
		start_done(qc, SB_CARD_ERROR_ABSENT, "no SIM in the modem");
	} else if (qc->card_state == QMI_UIM_CARD_STATE_ERROR) {
		start_done(qc, SB_CARD_ERROR_PROTOCOL, "the modem reports its SIM in error");
	} else if (qc->card_state == QMI_UIM_CARD_STATE_PRESENT && qc->app_state < 0) {
		start_done(qc, SB_CARD_ERROR_PROTOCOL, "the modem reports no USIM application on its SIM");
	}
	/* else: present, the firmware still reading it; the next indication says */
}

/* The card status changed (a fresh read or the indication). */
static void status_changed(struct qcard *qc)
{
	g_debug("%s: QMI card status: card %d, USIM %d, PIN1 %d (%d left), PUK1 %d left", qc->base.name,
		qc->card_state, qc->app_state, qc->pin1, qc->pin1_retries, qc->puk1_retries);
	if (qc->starting) {
		start_check(qc);
		return;
	}
	if (qc->up && qc->card_state != QMI_UIM_CARD_STATE_PRESENT) {
		g_message("%s: the modem %s reports its SIM %s", qc->base.name, qc->path,
			  qc->card_state == QMI_UIM_CARD_STATE_ERROR ? "in error" : "removed");
		card_lost(qc, qc->card_state == QMI_UIM_CARD_STATE_ERROR ? SB_CARD_STATE_ERROR : SB_CARD_STATE_ABSENT,
			  SB_CARD_ERROR_ABSENT, qc->card_state == QMI_UIM_CARD_STATE_ERROR ? "SIM in error" : "SIM removed");
	} else if (!qc->up && card_usable(qc)) {
		/* a card (back) in the modem: the modem driver starts it now */
		sb_card_status_changed(&qc->base, SB_CARD_STATE_PRESENT, NULL);
	}
}

static void on_card_status(QmiClientUim *uim, QmiIndicationUimCardStatusOutput *out, gpointer data)
{
	struct qcard *qc = data;
	guint16 gw, x1, gw2, x12;
	GArray *cards = NULL;

	if (!qmi_indication_uim_card_status_output_get_card_status(out, &gw, &x1, &gw2, &x12, &cards, NULL)) {
		g_message("%s: a UIM Card Status indication without its card status: ignored", qc->base.name);
		return;
	}
	APPLY_CARD_STATUS(QmiIndicationUimCardStatusOutputCardStatusCardsElement,
			  QmiIndicationUimCardStatusOutputCardStatusCardsElementApplicationsElement, cards, gw, qc);
	status_changed(qc);
}

/* A fresh card status, then what asked for it: the start (r NULL) or a PIN request. */
static void pin_answer(struct qcard *qc, struct sb_card_req *r);

static void status_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct qctx *x = data;
	struct qcard *qc = qcard_ctx_card(x);
	GError *err = NULL;
	QmiMessageUimGetCardStatusOutput *out = qmi_client_uim_get_card_status_finish(QMI_CLIENT_UIM(src), res, &err);
	guint16 gw, x1, gw2, x12;
	GArray *cards = NULL;
	struct sb_card_req *r;

	if (!qc)
		goto out;
	r = qcard_ctx_take(qc, x);
	if (x->r && !r)
		goto out;        /* answered already (the card went meanwhile) */
	if (!out) {
		qcard_transport_failed(qc, r, "UIM Get Card Status", err);
		goto out;
	}
	sb_qmi_port_worked(qc->port);
	if (!qmi_message_uim_get_card_status_output_get_result(out, &err) ||
	    !qmi_message_uim_get_card_status_output_get_card_status(out, &gw, &x1, &gw2, &x12, &cards, &err)) {
		if (r) {
			qcard_fail(r, SB_CARD_ERROR_PROTOCOL, "UIM Get Card Status: %s", err->message);
		} else {
			g_message("%s: UIM Get Card Status refused (%s): the SIM is taken as absent", qc->base.name,
				  err->message);
			qc->have_status = true;
			qc->card_state = QMI_UIM_CARD_STATE_ABSENT;
			start_check(qc);
		}
		goto out;
	}
	APPLY_CARD_STATUS(QmiMessageUimGetCardStatusOutputCardStatusCardsElement,
			  QmiMessageUimGetCardStatusOutputCardStatusCardsElementApplicationsElement, cards, gw, qc);
	if (r) {
		pin_answer(qc, r);
	} else {
		status_changed(qc);
	}
out:
	g_clear_error(&err);
	if (out)
		qmi_message_uim_get_card_status_output_unref(out);
	qcard_ctx_free(x);
}

static void status_read_for(struct qcard *qc, struct sb_card_req *r)
{
	qmi_client_uim_get_card_status(qc->uim, NULL, qcard_timeout_s(qc), NULL, status_done,
				       qcard_ctx_new(qc, r, "UIM Get Card Status"));
}

static void status_read(struct qcard *qc)
{
	status_read_for(qc, NULL);
}

/* ---- files --------------------------------------------------------------------------------------------- */

/* The session a file is read on: ADF.USIM's files on the GW provisioning session, the MF's on the card. */
static QmiUimSessionType session_of(const struct sb_card_path *p)
{
	return p->len >= 4 && p->fid[0] == 0x7F && p->fid[1] == 0xFF ? QMI_UIM_SESSION_TYPE_PRIMARY_GW_PROVISIONING :
	       QMI_UIM_SESSION_TYPE_CARD_SLOT_1;
}

static guint16 file_id_of(const struct sb_card_path *p)
{
	return (guint16)(p->fid[p->len - 2] << 8 | p->fid[p->len - 1]);
}

/* libqmi's file path: the FIDs from the MF to the file's DF, each little-endian. */
static GArray *qmi_path(const struct sb_card_path *p)
{
	GArray *a = g_array_new(FALSE, FALSE, 1);
	static const guint8 mf[2] = { 0x00, 0x3F };

	g_array_append_vals(a, mf, 2);
	for (unsigned i = 0; i + 2 < p->len; i += 2) {
		guint8 fid[2] = { p->fid[i + 1], p->fid[i] };

		g_array_append_vals(a, fid, 2);
	}
	return a;
}

#define SET_SESSION_FILE(T, in, path)                                                                         \
	do {                                                                                                  \
		GArray *aid_ = g_array_new(FALSE, FALSE, 1), *p_ = qmi_path(path);                             \
		T##_set_session((in), session_of(path), aid_, NULL);                                          \
		T##_set_file((in), file_id_of(path), p_, NULL);                                               \
		g_array_unref(aid_);                                                                          \
		g_array_unref(p_);                                                                            \
	} while (0)

/*
 * A file request the modem refused (err): the card's SW1 SW2 when the answer
 * has them, else the status word a card would have given, else a failure.
 * true when r was answered with a status word.
 */
static bool refused_sw(struct sb_card_req *r, const GError *err, bool have_card_result, guint8 sw1, guint8 sw2,
		       uint16_t *sw)
{
	if (have_card_result && sw1) {
		*sw = (uint16_t)(sw1 << 8 | sw2);
		return true;
	}
	switch (err && err->domain == QMI_PROTOCOL_ERROR ? err->code : -1) {
	case QMI_PROTOCOL_ERROR_SIM_FILE_NOT_FOUND:
		*sw = SW_FILE_NOT_FOUND;
		return true;
	case QMI_PROTOCOL_ERROR_ACCESS_DENIED:
	case QMI_PROTOCOL_ERROR_PIN_RESTRICTION:
		*sw = SW_SECURITY_NOT_SATISFIED;
		return true;
	case QMI_PROTOCOL_ERROR_INVALID_ARGUMENT:
		*sw = SW_WRONG_P1P2;
		return true;
	case QMI_PROTOCOL_ERROR_NO_SIM:
	case QMI_PROTOCOL_ERROR_DEVICE_NOT_READY:
	case QMI_PROTOCOL_ERROR_UIM_UNINITIALIZED:
		qcard_fail(r, SB_CARD_ERROR_ABSENT, "the modem's SIM is not ready (%s)", err->message);
		return false;
	default:
		qcard_fail(r, SB_CARD_ERROR_PROTOCOL, "the modem refused: %s", err ? err->message : "no reason");
		return false;
	}
}

/*
 * The request an answer is for, taken out of flight: NULL when nobody waits for it any more, or when there is
 * no answer (answered false: then r has failed and the card is lost); else the modem has worked.
 */
static struct sb_card_req *qcard_answer_take(struct qctx *x, bool answered, const GError *err)
{
	struct qcard *qc = qcard_ctx_card(x);
	struct sb_card_req *r;

	if (!qc || !(r = qcard_ctx_take(qc, x)))
		return NULL;
	if (!answered) {
		qcard_transport_failed(qc, r, x->what, err);
		return NULL;
	}
	sb_qmi_port_worked(qc->port);
	return r;
}

/* Read Transparent and Read Record answer alike: card result, read result. */
#define READ_DONE(name, finish, T, OutT)                                                                          \
	static void name(GObject *src, GAsyncResult *res, gpointer data)                                      \
	{                                                                                                     \
		struct qctx *x = data;                                                                        \
		GError *err = NULL;                                                                           \
		OutT *out = finish(QMI_CLIENT_UIM(src), res, &err);                                           \
		guint8 sw1 = 0, sw2 = 0;                                                                      \
		gboolean have_sw;                                                                             \
		GArray *data_ = NULL;                                                                         \
		uint16_t sw;                                                                                  \
		struct sb_card_req *r = qcard_answer_take(x, out != NULL, err);                               \
                                                                                                              \
		if (!r)                                                                                       \
			goto out;                                                                             \
		have_sw = T##_output_get_card_result(out, &sw1, &sw2, NULL);                                  \
		if (!T##_output_get_result(out, &err)) {                                                      \
			if (refused_sw(r, err, have_sw, sw1, sw2, &sw))                                       \
				sb_card_req_data(r, sw, NULL, 0);                                             \
		} else if (!T##_output_get_read_result(out, &data_, NULL)) {                                  \
			qcard_fail(r, SB_CARD_ERROR_PROTOCOL, "%s: no read result", x->what);                 \
		} else {                                                                                      \
			sb_card_req_data(r, have_sw ? (uint16_t)(sw1 << 8 | sw2) : SW_OK,                     \
					 (const uint8_t *)data_->data, data_->len);                           \
		}                                                                                             \
	out:                                                                                                  \
		g_clear_error(&err);                                                                          \
		if (out)                                                                                      \
			T##_output_unref(out);                                                                \
		qcard_ctx_free(x);                                                                            \
	}

READ_DONE(read_transparent_done, qmi_client_uim_read_transparent_finish, qmi_message_uim_read_transparent,
	  QmiMessageUimReadTransparentOutput)
READ_DONE(read_record_done, qmi_client_uim_read_record_finish, qmi_message_uim_read_record,
	  QmiMessageUimReadRecordOutput)

static void qmi_read_binary(struct sb_card_service *c, struct sb_card_req *r)
{
	struct qcard *qc = (struct qcard *)c;
	QmiMessageUimReadTransparentInput *in = qmi_message_uim_read_transparent_input_new();

	SET_SESSION_FILE(qmi_message_uim_read_transparent_input, in, &r->path);
	qmi_message_uim_read_transparent_input_set_read_information(in, (guint16)r->offset, (guint16)r->length, NULL);
	qmi_client_uim_read_transparent(qc->uim, in, qcard_timeout_s(qc), NULL, read_transparent_done,
					qcard_ctx_new(qc, r, "UIM Read Transparent"));
	qmi_message_uim_read_transparent_input_unref(in);
}

static void qmi_read_record(struct sb_card_service *c, struct sb_card_req *r)
{
	struct qcard *qc = (struct qcard *)c;
	QmiMessageUimReadRecordInput *in = qmi_message_uim_read_record_input_new();

	SET_SESSION_FILE(qmi_message_uim_read_record_input, in, &r->path);
	/* a length of 0: the whole record (TS 102 221 §11.1.5 Le 00) */
	qmi_message_uim_read_record_input_set_record(in, (guint16)r->offset, (guint16)r->length, NULL);
	qmi_client_uim_read_record(qc->uim, in, qcard_timeout_s(qc), NULL, read_record_done,
				   qcard_ctx_new(qc, r, "UIM Read Record"));
	qmi_message_uim_read_record_input_unref(in);
}

/*
 * UIM Write Transparent 0x0022 / Write Record 0x0023.  libqmi 1.32 has no
 * client call for them (nor an entry in its data/qmi-service-uim.json): raw
 * QmiMessages on the UIM client's CID, with the client's next transaction id,
 * sent with qmi_device_command_full().  The ids are oFono's
 * (drivers/qmimodem/uim.h QMI_UIM_WRITE_TRANSPARENT 34, QMI_UIM_WRITE_RECORD
 * 35), the TLVs the Gobi / SLQS UIM API's (QMI_UIM_WRITE_TRANSPARENT /
 * _RECORD), alike for both:
 *   request   0x01 session (u8 session type, u8 AID length + AID), 0x02 file
 *             (u16 file id, u8 path length + path), 0x03 u16 offset
 *             (transparent) or record number (record), u16 length + the data
 *   response  0x02 result (u16 result, u16 QMI error), 0x10 card result
 *             (SW1, SW2)
 */
#define UIM_WRITE_TRANSPARENT 0x0022
#define UIM_WRITE_RECORD 0x0023

static gboolean tlv_put_bytes(QmiMessage *m, const guint8 *p, gsize len, GError **err)
{
	for (gsize i = 0; i < len; i++)
		if (!qmi_message_tlv_write_guint8(m, p[i], err))
			return FALSE;
	return TRUE;
}

/* TLVs 0x01 session (no AID: the session's own application) and 0x02 file, as libqmi writes them for Read. */
static gboolean put_session_file(QmiMessage *m, const struct sb_card_path *p, GError **err)
{
	GArray *path = qmi_path(p);
	gsize t;
	gboolean ok = (t = qmi_message_tlv_write_init(m, 0x01, err)) &&
		      qmi_message_tlv_write_guint8(m, (guint8)session_of(p), err) &&
		      qmi_message_tlv_write_guint8(m, 0, err) &&
		      qmi_message_tlv_write_complete(m, t, err) &&
		      (t = qmi_message_tlv_write_init(m, 0x02, err)) &&
		      qmi_message_tlv_write_guint16(m, QMI_ENDIAN_LITTLE, file_id_of(p), err) &&
		      qmi_message_tlv_write_guint8(m, (guint8)path->len, err) &&
		      tlv_put_bytes(m, (const guint8 *)path->data, path->len, err) &&
		      qmi_message_tlv_write_complete(m, t, err);

	g_array_unref(path);
	return ok;
}

/* The request: its session, file and TLV 0x03 (where: the offset or the record number). */
static QmiMessage *write_request(struct qcard *qc, uint16_t msgid, const struct sb_card_req *r, GError **err)
{
	QmiClient *client = QMI_CLIENT(qc->uim);
	QmiMessage *m = qmi_message_new(QMI_SERVICE_UIM, qmi_client_get_cid(client),
					qmi_client_get_next_transaction_id(client), msgid);
	gsize len, t;
	const guint8 *data = g_bytes_get_data(r->data, &len);

	if (put_session_file(m, &r->path, err) &&
	    (t = qmi_message_tlv_write_init(m, 0x03, err)) &&
	    qmi_message_tlv_write_guint16(m, QMI_ENDIAN_LITTLE, (guint16)r->offset, err) &&
	    qmi_message_tlv_write_guint16(m, QMI_ENDIAN_LITTLE, (guint16)len, err) &&
	    tlv_put_bytes(m, data, len, err) &&
	    qmi_message_tlv_write_complete(m, t, err))
		return m;
	qmi_message_unref(m);
	return NULL;
}

/* The answer's result TLV 0x02 (false, err set, when it is missing or not two u16). */
static gboolean write_result(QmiMessage *resp, GError **err)
{
	guint16 len, result, error;
	const guint8 *v = qmi_message_get_raw_tlv(resp, 0x02, &len);
	const char *name;

	if (!v || len != 4) {
		g_set_error(err, QMI_CORE_ERROR, QMI_CORE_ERROR_INVALID_MESSAGE, "no result TLV");
		return FALSE;
	}
	result = (guint16)(v[0] | v[1] << 8);
	error = (guint16)(v[2] | v[3] << 8);
	if (!result)
		return TRUE;
	name = qmi_protocol_error_get_string((QmiProtocolError)error);
	g_set_error(err, QMI_PROTOCOL_ERROR, error, "%s", name ? name : "unknown QMI error");
	return FALSE;
}

static void write_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct qctx *x = data;
	GError *err = NULL;
	QmiMessage *resp = qmi_device_command_full_finish(QMI_DEVICE(src), res, &err);
	struct sb_card_req *r = qcard_answer_take(x, resp != NULL, err);
	guint16 len = 0;
	const guint8 *card = r ? qmi_message_get_raw_tlv(resp, 0x10, &len) : NULL;
	gboolean have_sw = card && len == 2;
	uint16_t sw;

	if (!r)
		goto out;
	if (!write_result(resp, &err) && err->domain == QMI_CORE_ERROR) {
		/* an answer that does not parse: as one libqmi cannot read */
		qcard_transport_failed(qcard_ctx_card(x), r, x->what, err);
	} else if (err) {
		if (refused_sw(r, err, have_sw, have_sw ? card[0] : 0, have_sw ? card[1] : 0, &sw))
			sb_card_req_sw(r, sw);
	} else {
		sb_card_req_sw(r, have_sw && card[0] ? (uint16_t)(card[0] << 8 | card[1]) : SW_OK);
	}
out:
	g_clear_error(&err);
	if (resp)
		qmi_message_unref(resp);
	qcard_ctx_free(x);
}

static void qmi_write(struct qcard *qc, struct sb_card_req *r, uint16_t msgid, const char *what)
{
	GError *err = NULL;
	QmiMessage *m = write_request(qc, msgid, r, &err);

	if (!m) {
		qcard_fail(r, SB_CARD_ERROR_INVALID, "%s not sent: %s", what, err->message);
		g_error_free(err);
		return;
	}
	qmi_device_command_full(qc->dev, m, NULL, qcard_timeout_s(qc), NULL, write_done, qcard_ctx_new(qc, r, what));
	qmi_message_unref(m);
}

static void qmi_update_binary(struct sb_card_service *c, struct sb_card_req *r)
{
	qmi_write((struct qcard *)c, r, UIM_WRITE_TRANSPARENT, "UIM Write Transparent");
}

static void qmi_update_record(struct sb_card_service *c, struct sb_card_req *r)
{
	if (!r->offset) {
		/* TS 102 221 §11.1.6 PREVIOUS mode: QMI Write Record names a record */
		qcard_fail(r, SB_CARD_ERROR_UNSUPPORTED, "a cyclic file's oldest record cannot be written over QMI");
		return;
	}
	qmi_write((struct qcard *)c, r, UIM_WRITE_RECORD, "UIM Write Record");
}

static void attributes_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct qctx *x = data;
	GError *err = NULL;
	QmiMessageUimGetFileAttributesOutput *out = qmi_client_uim_get_file_attributes_finish(QMI_CLIENT_UIM(src), res,
											       &err);
	guint8 sw1 = 0, sw2 = 0;
	gboolean have_sw;
	GArray *raw = NULL;
	guint16 size, id, rsize, rcount;
	QmiUimFileType type;
	QmiUimSecurityAttributeLogic l1, l2, l3, l4, l5;
	QmiUimSecurityAttribute a1, a2, a3, a4, a5;
	struct simota_fcp fcp;
	uint16_t sw;
	struct sb_card_req *r = qcard_answer_take(x, out != NULL, err);

	if (!r)
		goto out;
	have_sw = qmi_message_uim_get_file_attributes_output_get_card_result(out, &sw1, &sw2, NULL);
	if (!qmi_message_uim_get_file_attributes_output_get_result(out, &err)) {
		if (refused_sw(r, err, have_sw, sw1, sw2, &sw))
			sb_card_req_fcp(r, sw, NULL);
		goto out;
	}
	if (!qmi_message_uim_get_file_attributes_output_get_file_attributes(out, &size, &id, &type, &rsize, &rcount,
									    &l1, &a1, &l2, &a2, &l3, &a3, &l4, &a4,
									    &l5, &a5, &raw, NULL) ||
	    !raw || simota_fcp_decode((const uint8_t *)raw->data, raw->len, &fcp) != SIMOTA_OK) {
		/* the raw FCP is what file info answers with (TS 102 221 §11.1.1.3) */
		qcard_fail(r, SB_CARD_ERROR_PROTOCOL, "%s: no FCP that decodes in the answer", x->what);
		goto out;
	}
	sb_card_req_fcp(r, have_sw ? (uint16_t)(sw1 << 8 | sw2) : SW_OK, &fcp);
out:
	g_clear_error(&err);
	if (out)
		qmi_message_uim_get_file_attributes_output_unref(out);
	qcard_ctx_free(x);
}

static void qmi_file_info(struct sb_card_service *c, struct sb_card_req *r)
{
	struct qcard *qc = (struct qcard *)c;
	QmiMessageUimGetFileAttributesInput *in = qmi_message_uim_get_file_attributes_input_new();

	SET_SESSION_FILE(qmi_message_uim_get_file_attributes_input, in, &r->path);
	qmi_client_uim_get_file_attributes(qc->uim, in, qcard_timeout_s(qc), NULL, attributes_done,
					   qcard_ctx_new(qc, r, "UIM Get File Attributes"));
	qmi_message_uim_get_file_attributes_input_unref(in);
}

/* ---- PINs ------------------------------------------------------------------------------------------------ */

static uint16_t sw_retries(int left)
{
	return left > 0 ? (uint16_t)(0x63C0 | MIN(left, 15)) : SW_PIN_BLOCKED;
}

/* PIN state, retries, enabled: from the card status just read. */
static void pin_answer(struct qcard *qc, struct sb_card_req *r)
{
	int pin = r->pin == SB_CARD_PIN2 ? qc->pin2 : qc->pin1;

	switch (r->kind) {
	case SB_CARD_REQ_PIN_STATE:
		switch (qc->pin1) {
		case QMI_UIM_PIN_STATE_ENABLED_NOT_VERIFIED:
			sb_card_req_pin_state(r, SB_CARD_PIN_WANTED, sw_retries(qc->pin1_retries));
			break;
		case QMI_UIM_PIN_STATE_BLOCKED:
			sb_card_req_pin_state(r, SB_CARD_PUK_WANTED, sw_retries(qc->puk1_retries));
			break;
		case QMI_UIM_PIN_STATE_PERMANENTLY_BLOCKED:
			sb_card_req_pin_state(r, SB_CARD_PIN_BLOCKED, SW_PIN_BLOCKED);
			break;
		case QMI_UIM_PIN_STATE_DISABLED:
		case QMI_UIM_PIN_STATE_ENABLED_VERIFIED:
			sb_card_req_pin_state(r, SB_CARD_PIN_NONE, SW_OK);
			break;
		default:
			sb_card_req_pin_state(r, SB_CARD_PIN_UNKNOWN, 0x6F00);
			break;
		}
		break;
	case SB_CARD_REQ_PIN_RETRIES: {
		struct sb_card_pin_retries rt = { qc->pin1_retries, qc->puk1_retries, qc->pin2_retries, qc->puk2_retries };

		sb_card_req_pin_retries(r, &rt);
		break;
	}
	default:   /* PIN_ENABLED */
		sb_card_req_pin_enabled(r, pin == QMI_UIM_PIN_STATE_NOT_INITIALIZED ? -1 :
					pin == QMI_UIM_PIN_STATE_DISABLED ? 0 : 1, SW_OK);
		break;
	}
}

/*
 * From the card status the plugin holds: the Card Status indications and the
 * answers to its own PIN commands keep it current (a fresh Get Card Status
 * right after a PIN command may still show the counters from before it).
 */
static void qmi_pin_info(struct sb_card_service *c, struct sb_card_req *r)
{
	struct qcard *qc = (struct qcard *)c;

	if (qc->have_status)
		pin_answer(qc, r);
	else
		status_read_for(qc, r);
}

/* What a PIN command's answer says of the PIN (the indication that follows says it again). */
static void pin_cache_update(struct qcard *qc, const struct sb_card_req *r, uint16_t sw, gboolean have_left,
			     guint8 verify_left, guint8 unblock_left)
{
	int *state = r->pin == SB_CARD_PIN2 ? &qc->pin2 : &qc->pin1;
	int *pin_left = r->pin == SB_CARD_PIN2 ? &qc->pin2_retries : &qc->pin1_retries;
	int *puk_left = r->pin == SB_CARD_PIN2 ? &qc->puk2_retries : &qc->puk1_retries;

	if (have_left) {
		*pin_left = verify_left;
		*puk_left = unblock_left;
	}
	if (sw == SW_OK)
		*state = r->kind == SB_CARD_REQ_PIN_DISABLE ? QMI_UIM_PIN_STATE_DISABLED :
			 QMI_UIM_PIN_STATE_ENABLED_VERIFIED;
	else if (r->kind == SB_CARD_REQ_PIN_UNBLOCK && have_left && !unblock_left)
		*state = QMI_UIM_PIN_STATE_PERMANENTLY_BLOCKED;
	else if (sw == SW_PIN_BLOCKED || (have_left && !verify_left))
		*state = QMI_UIM_PIN_STATE_BLOCKED;
}

/*
 * The answer of a PIN command as the card's status word: its card result when
 * the modem gives one, else 9000 on success, 63CX with the tries left, 6983
 * blocked (TS 102 221 §10.2.1.5).
 */
static void pin_command_answer(struct qcard *qc, struct sb_card_req *r, gboolean ok, const GError *err,
			       gboolean have_sw, guint8 sw1, guint8 sw2, gboolean have_left, guint8 verify_left,
			       guint8 unblock_left)
{
	int code = err && err->domain == QMI_PROTOCOL_ERROR ? err->code : -1;
	int left = r->kind == SB_CARD_REQ_PIN_UNBLOCK ? unblock_left : verify_left;
	uint16_t sw;

	if (ok) {
		sw = have_sw && sw1 ? (uint16_t)(sw1 << 8 | sw2) : SW_OK;
	} else if (have_sw && sw1) {
		sw = (uint16_t)(sw1 << 8 | sw2);
	} else if (code == QMI_PROTOCOL_ERROR_INCORRECT_PIN) {
		sw = have_left ? sw_retries(left) : 0x63C0;
	} else if (code == QMI_PROTOCOL_ERROR_PIN_BLOCKED || code == QMI_PROTOCOL_ERROR_PIN_ALWAYS_BLOCKED) {
		sw = SW_PIN_BLOCKED;
	} else if (code == QMI_PROTOCOL_ERROR_ACCESS_DENIED) {
		sw = SW_SECURITY_NOT_SATISFIED;
	} else {
		qcard_fail(r, SB_CARD_ERROR_PROTOCOL, "the modem refused the PIN command: %s",
			   err ? err->message : "no reason");
		return;
	}
	pin_cache_update(qc, r, sw, have_left, verify_left, unblock_left);
	sb_card_req_sw(r, sw);
}

#define PIN_DONE(name, finish, T, OutT, CARD_RESULT)                                                              \
	static void name(GObject *src, GAsyncResult *res, gpointer data)                                      \
	{                                                                                                     \
		struct qctx *x = data;                                                                        \
		GError *err = NULL;                                                                           \
		OutT *out = finish(QMI_CLIENT_UIM(src), res, &err);                                           \
		guint8 sw1 = 0, sw2 = 0, vl = 0, ul = 0;                                                      \
		gboolean ok, have_sw = FALSE, have_left;                                                      \
		struct sb_card_req *r = qcard_answer_take(x, out != NULL, err);                               \
                                                                                                              \
		if (!r)                                                                                       \
			goto out;                                                                             \
		ok = T##_output_get_result(out, &err);                                                        \
		CARD_RESULT;                                                                                  \
		have_left = T##_output_get_retries_remaining(out, &vl, &ul, NULL);                            \
		pin_command_answer(qcard_ctx_card(x), r, ok, err, have_sw, sw1, sw2, have_left, vl, ul);      \
	out:                                                                                                  \
		g_clear_error(&err);                                                                          \
		if (out)                                                                                      \
			T##_output_unref(out);                                                                \
		qcard_ctx_free(x);                                                                            \
	}

PIN_DONE(verify_done, qmi_client_uim_verify_pin_finish, qmi_message_uim_verify_pin, QmiMessageUimVerifyPinOutput,
	 have_sw = qmi_message_uim_verify_pin_output_get_card_result(out, &sw1, &sw2, NULL))
PIN_DONE(unblock_done, qmi_client_uim_unblock_pin_finish, qmi_message_uim_unblock_pin, QmiMessageUimUnblockPinOutput,
	 have_sw = qmi_message_uim_unblock_pin_output_get_card_result(out, &sw1, &sw2, NULL))
PIN_DONE(change_done, qmi_client_uim_change_pin_finish, qmi_message_uim_change_pin, QmiMessageUimChangePinOutput,
	 have_sw = qmi_message_uim_change_pin_output_get_card_result(out, &sw1, &sw2, NULL))
/* Set PIN Protection has no card result TLV in libqmi 1.32 */
PIN_DONE(protection_done, qmi_client_uim_set_pin_protection_finish, qmi_message_uim_set_pin_protection,
	 QmiMessageUimSetPinProtectionOutput, (void)0)

/* One PIN command on the GW provisioning session: its input (info: the arguments of set_info), sent, answered
 * by done.  The PINs leave no copy here (libqmi's input is freed at once). */
#define PIN_SEND(InT, msg, done, what, ...)                                                                   \
	do {                                                                                                  \
		InT *in_ = qmi_message_uim_##msg##_input_new();                                               \
		GArray *aid_ = g_array_new(FALSE, FALSE, 1);                                                  \
                                                                                                              \
		qmi_message_uim_##msg##_input_set_session(in_, QMI_UIM_SESSION_TYPE_PRIMARY_GW_PROVISIONING,  \
							  aid_, NULL);                                        \
		g_array_unref(aid_);                                                                          \
		qmi_message_uim_##msg##_input_set_info(in_, __VA_ARGS__, NULL);                               \
		qmi_client_uim_##msg(qc->uim, in_, qcard_timeout_s(qc), NULL, done, qcard_ctx_new(qc, r, what)); \
		qmi_message_uim_##msg##_input_unref(in_);                                                     \
	} while (0)

/* Verify, Unblock, Change, Set PIN Protection. */
static void qmi_pin_command(struct sb_card_service *c, struct sb_card_req *r)
{
	struct qcard *qc = (struct qcard *)c;
	QmiUimPinId id = r->pin == SB_CARD_PIN2 ? QMI_UIM_PIN_ID_PIN2 : QMI_UIM_PIN_ID_PIN1;

	switch (r->kind) {
	case SB_CARD_REQ_PIN_VERIFY:
		PIN_SEND(QmiMessageUimVerifyPinInput, verify_pin, verify_done, "UIM Verify PIN", id, r->code);
		break;
	case SB_CARD_REQ_PIN_UNBLOCK:
		PIN_SEND(QmiMessageUimUnblockPinInput, unblock_pin, unblock_done, "UIM Unblock PIN", id, r->code,
			 r->new_code);
		break;
	case SB_CARD_REQ_PIN_CHANGE:
		PIN_SEND(QmiMessageUimChangePinInput, change_pin, change_done, "UIM Change PIN", id, r->code,
			 r->new_code);
		break;
	default:   /* ENABLE / DISABLE */
		PIN_SEND(QmiMessageUimSetPinProtectionInput, set_pin_protection, protection_done,
			 "UIM Set PIN Protection", id, r->kind == SB_CARD_REQ_PIN_ENABLE, r->code);
		break;
	}
}

/* ---- the device and the clients -------------------------------------------------------------------------- */

static void clients_ready(struct qcard *qc)
{
	qc->clients_ready = true;
	status_read(qc);
}

static void register_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct qctx *x = data;
	struct qcard *qc = qcard_ctx_card(x);
	GError *err = NULL;
	QmiMessageUimRegisterEventsOutput *out = qmi_client_uim_register_events_finish(QMI_CLIENT_UIM(src), res, &err);

	if (!qc)
		goto out;
	if (!out) {
		qcard_transport_failed(qc, NULL, x->what, err);
		goto out;
	}
	sb_qmi_port_worked(qc->port);
	if (!qmi_message_uim_register_events_output_get_result(out, &err))
		g_message("%s: the modem %s refused UIM card status events (%s): a SIM removed is noticed at the next "
			  "request only", qc->base.name, qc->path, err->message);
	qcat_setup(qc, clients_ready);
out:
	g_clear_error(&err);
	if (out)
		qmi_message_uim_register_events_output_unref(out);
	qcard_ctx_free(x);
}

static void uim_allocated(GObject *src, GAsyncResult *res, gpointer data)
{
	struct qctx *x = data;
	struct qcard *qc = qcard_ctx_card(x);
	GError *err = NULL;
	QmiClient *client = qmi_device_allocate_client_finish(QMI_DEVICE(src), res, &err);
	QmiMessageUimRegisterEventsInput *in;

	if (!qc) {
		g_clear_object(&client);
		goto out;
	}
	if (!client) {
		if (sb_qmi_error_is_transport(err)) {
			qcard_transport_failed(qc, NULL, x->what, err);
		} else {
			g_message("%s: the modem %s has no UIM service (%s): no SIM through it", qc->base.name, qc->path,
				  err->message);
			if (qc->starting)
				start_done(qc, SB_CARD_ERROR_UNSUPPORTED, "the modem has no UIM service");
		}
		goto out;
	}
	sb_qmi_port_worked(qc->port);
	qc->uim = QMI_CLIENT_UIM(client);
	qc->uim_ind = g_signal_connect(qc->uim, "card-status", G_CALLBACK(on_card_status), qc);
	in = qmi_message_uim_register_events_input_new();
	qmi_message_uim_register_events_input_set_event_registration_mask(in, QMI_UIM_EVENT_REGISTRATION_FLAG_CARD_STATUS,
									   NULL);
	qmi_client_uim_register_events(qc->uim, in, qcard_timeout_s(qc), NULL, register_done,
				       qcard_ctx_new(qc, NULL, "UIM Register Events"));
	qmi_message_uim_register_events_input_unref(in);
out:
	g_clear_error(&err);
	qcard_ctx_free(x);
}

static void clients_setup(struct qcard *qc)
{
	qmi_device_allocate_client(qc->dev, QMI_SERVICE_UIM, QMI_CID_NONE, qcard_timeout_s(qc), NULL, uim_allocated,
				   qcard_ctx_new(qc, NULL, "CTL Allocate CID (UIM)"));
}

/* The clients forgotten (not released: the device may be gone). */
static void drop_clients(struct qcard *qc)
{
	qcat_drop(qc);
	if (qc->uim) {
		g_signal_handler_disconnect(qc->uim, qc->uim_ind);
		g_clear_object(&qc->uim);
	}
	g_clear_object(&qc->dev);
	qc->clients_ready = false;
	qc->have_status = false;
	qc->gen++;                       /* the set-up's answers from the old device are dropped */
}

static void port_up(QmiDevice *dev, void *user)
{
	struct qcard *qc = user;

	fail_inflight(qc, SB_CARD_ERROR_LINK, "the modem was opened again");
	drop_clients(qc);
	qc->dev = g_object_ref(dev);
	clients_setup(qc);
}

static void port_down(const char *why, void *user)
{
	struct qcard *qc = user;

	drop_clients(qc);
	if (qc->up)
		card_lost(qc, SB_CARD_STATE_ERROR, SB_CARD_ERROR_LINK, why);
	else
		fail_inflight(qc, SB_CARD_ERROR_LINK, why);
	/* a start goes on waiting (its timer) for the device to come back */
}

static const struct sb_qmi_watch qcard_watch = {
	.up = port_up,
	.down = port_down,
};

static void release_done(GObject *src, GAsyncResult *res, gpointer data)
{
	qmi_device_release_client_finish(QMI_DEVICE(src), res, NULL);
}

/* ---- the implementation ------------------------------------------------------------------------------------ */

static gboolean start_timeout(gpointer p)
{
	struct qcard *qc = p;

	qc->start_timer = 0;
	start_done(qc, SB_CARD_ERROR_TIMEOUT, qc->dev ? "the modem's SIM did not become ready" :
		   "the modem is not reachable");
	return G_SOURCE_REMOVE;
}

static void qmi_start(struct sb_card_service *c)
{
	struct qcard *qc = (struct qcard *)c;

	qc->starting = true;
	qc->start_timer = g_timeout_add_seconds(START_WAITS * qcard_timeout_s(qc) + 2, start_timeout, qc);
	if (!qc->watching) {
		qc->watching = true;
		sb_qmi_port_watch(qc->port, &qcard_watch, qc);     /* up() follows: clients, then the card status */
	} else if (qc->clients_ready) {
		status_read(qc);
	}
}

static void qmi_stop(struct sb_card_service *c)
{
	struct qcard *qc = (struct qcard *)c;

	fail_inflight(qc, SB_CARD_ERROR_ABSENT, "stopped");
	qcat_forget_commands(qc);
	qc->up = false;
	if (qc->starting)
		start_done(qc, SB_CARD_ERROR_ABSENT, "stopped");
	/* the clients stay: a modem driver stops and starts its card again (card removed, PIN reset) */
}

static void qmi_destroy(struct sb_card_service *c)
{
	struct qcard *qc = (struct qcard *)c;

	if (qc->start_timer)
		g_source_remove(qc->start_timer);
	qc->life->qc = NULL;                     /* answers in flight are dropped from here on */
	if (qc->dev && qc->uim)
		qmi_device_release_client(qc->dev, QMI_CLIENT(qc->uim), QMI_DEVICE_RELEASE_CLIENT_FLAGS_RELEASE_CID,
					  qcard_timeout_s(qc), NULL, release_done, NULL);
	drop_clients(qc);
	g_list_free(qc->inflight);               /* the front frees the requests themselves */
	qc->inflight = NULL;
	if (qc->watching)
		sb_qmi_port_unwatch(qc->port, qc);
	sb_qmi_port_unref(qc->port);
	life_unref(qc->life);
	g_free(qc->path);
}

static const struct sb_card_ops qmi_ops = {
	.name = "qmi",
	.start = qmi_start,
	.stop = qmi_stop,
	.destroy = qmi_destroy,
	.file_info = qmi_file_info,
	.read_binary = qmi_read_binary,
	.read_record = qmi_read_record,
	.update_binary = qmi_update_binary,
	.update_record = qmi_update_record,
	.pin_state = qmi_pin_info,
	.pin_retries = qmi_pin_info,
	.pin_enabled = qmi_pin_info,
	.pin_command = qmi_pin_command,
	/* terminal_profile: the firmware downloads its own (CAT Set Configuration sets a custom one) */
	.envelope = qcat_envelope,
	.terminal_response = qcat_terminal_response,
	.fetch = qcat_fetch,
};

struct sb_card_service *sb_card_qmi_new(const char *path, const char *name, unsigned timeout_ms)
{
	struct qcard *qc = g_new0(struct qcard, 1);

	sb_card_init(&qc->base, &qmi_ops, name, timeout_ms);
	qc->base.description = g_strdup_printf("qmi:%s", path);
	qc->path = g_strdup(path);
	qc->life = g_new0(struct qcard_life, 1);
	qc->life->refs = 1;
	qc->life->qc = qc;
	qc->port = sb_qmi_port_ref(path, name);
	g_queue_init(&qc->commands);
	return &qc->base;
}
