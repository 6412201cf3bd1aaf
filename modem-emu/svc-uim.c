/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * UIM (libqmi data/qmi-service-uim.json), mapped onto APDUs to the SIM:
 *   Read Transparent 0x0020 (SELECT + READ BINARY), Read Record 0x0021
 *   (SELECT + READ RECORD, TLV 0x10 last record: the further records in
 *   0x12), Write Transparent 0x0022 (SELECT + UPDATE BINARY), Write Record
 *   0x0023 (SELECT + UPDATE RECORD absolute), Get File Attributes 0x0024 (SELECT's FCP, security attributes from
 *   the EF_ARR rule it references), Set PIN Protection 0x0025 (ENABLE /
 *   DISABLE PIN), Verify PIN 0x0026, Unblock PIN 0x0027, Change PIN 0x0028,
 *   Register Events 0x002E, Get Card Status 0x002F + Card Status indication
 *   0x0032, Get Supported Messages 0x001E.
 * Files are addressed by path from the MF (TLV 0x02: file id, path as
 * little-endian FIDs from 3F00); the session TLV is accepted and not used
 * (one card, one USIM).
 */
#include <string.h>

#include "firmware.h"
#include "simota/tlv.h"

#define PIN_LEN 8

/* ---- card status --------------------------------------------------------------------------------------- */

static uint8_t pin_state(const struct me_pin *p)
{
	if (!p->known)
		return QMI_UIM_PIN_STATE_NOT_INITIALIZED;
	if (!p->enabled)
		return QMI_UIM_PIN_STATE_DISABLED;
	if (p->perm_blocked)
		return QMI_UIM_PIN_STATE_PERMANENTLY_BLOCKED;
	if (p->blocked)
		return QMI_UIM_PIN_STATE_BLOCKED;
	return p->verified ? QMI_UIM_PIN_STATE_ENABLED_VERIFIED : QMI_UIM_PIN_STATE_ENABLED_NOT_VERIFIED;
}

static uint8_t app_state(const struct me_card_info *c)
{
	if (c->state != ME_CARD_READY || !c->pin1.known)
		return QMI_UIM_CARD_APPLICATION_STATE_DETECTED;
	if (c->pin1.perm_blocked)
		return QMI_UIM_CARD_APPLICATION_STATE_PIN1_BLOCKED;
	if (c->pin1.blocked)
		return QMI_UIM_CARD_APPLICATION_STATE_PUK1_OR_UPIN_PUK_REQUIRED;
	if (c->pin1.enabled && !c->pin1.verified)
		return QMI_UIM_CARD_APPLICATION_STATE_PIN1_OR_UPIN_PIN_REQUIRED;
	/* ready once the firmware has read what PIN1 opens (EF_IMSI ...) */
	return c->identities ? QMI_UIM_CARD_APPLICATION_STATE_READY : QMI_UIM_CARD_APPLICATION_STATE_DETECTED;
}

/* The "UIM Card Status" TLV 0x10 of the response and of the indication. */
static void fill_card_status(QmiMessage *msg, void *user)
{
	struct me_modem *m = user;
	const struct me_card_info *c = &m->card;
	bool present = c->state == ME_CARD_INIT || c->state == ME_CARD_READY;
	struct me_tlv_w t;

	me_tlv_begin(&t, msg, 0x10);
	me_tlv_u16(&t, present ? 0x0000 : 0xFFFF);   /* GW primary: slot 0, application 0 */
	me_tlv_u16(&t, 0xFFFF);                      /* 1x primary, GW secondary, 1x secondary: none */
	me_tlv_u16(&t, 0xFFFF);
	me_tlv_u16(&t, 0xFFFF);
	me_tlv_u8(&t, 1);                            /* one slot */
	me_tlv_u8(&t, present ? QMI_UIM_CARD_STATE_PRESENT :
		  c->state == ME_CARD_ERROR ? QMI_UIM_CARD_STATE_ERROR : QMI_UIM_CARD_STATE_ABSENT);
	me_tlv_u8(&t, QMI_UIM_PIN_STATE_NOT_INITIALIZED);   /* no UPIN */
	me_tlv_u8(&t, 0);
	me_tlv_u8(&t, 0);
	me_tlv_u8(&t, c->state == ME_CARD_ERROR ? QMI_UIM_CARD_ERROR_NO_ATR_RECEIVED :
		  present ? QMI_UIM_CARD_ERROR_UNKNOWN : QMI_UIM_CARD_ERROR_POSSIBLY_REMOVED);
	me_tlv_u8(&t, present ? 1 : 0);
	if (present) {
		me_tlv_u8(&t, QMI_UIM_CARD_APPLICATION_TYPE_USIM);
		me_tlv_u8(&t, app_state(c));
		me_tlv_u8(&t, app_state(c) == QMI_UIM_CARD_APPLICATION_STATE_READY ?
			  QMI_UIM_CARD_APPLICATION_PERSONALIZATION_STATE_READY :
			  QMI_UIM_CARD_APPLICATION_PERSONALIZATION_STATE_UNKNOWN);
		me_tlv_u8(&t, QMI_UIM_CARD_APPLICATION_PERSONALIZATION_FEATURE_UNKNOWN);
		me_tlv_u8(&t, 0);
		me_tlv_u8(&t, 0);
		me_tlv_bytes(&t, 1, c->aid, c->aid_len);
		me_tlv_u8(&t, 0);                    /* UPIN does not replace PIN1 */
		me_tlv_u8(&t, pin_state(&c->pin1));
		me_tlv_u8(&t, c->pin1.retries);
		me_tlv_u8(&t, c->pin1.puk_retries);
		me_tlv_u8(&t, pin_state(&c->pin2));
		me_tlv_u8(&t, c->pin2.retries);
		me_tlv_u8(&t, c->pin2.puk_retries);
	}
	me_tlv_end(&t);
}

static void get_card_status(struct me_req *r)
{
	QmiMessage *resp = me_resp_new(r);

	fill_card_status(resp, r->modem);
	me_req_finish(r, resp);
}

static bool wants_card_status(const struct me_cid *c, void *user)
{
	return c->uim_events & QMI_UIM_EVENT_REGISTRATION_FLAG_CARD_STATUS;
}

void me_uim_card_status_changed(struct me_modem *m)
{
	me_modem_indicate(m, QMI_SERVICE_UIM, 0x0032, wants_card_status, fill_card_status, m);
}

static void register_events(struct me_req *r)
{
	struct me_tlv_r rd;
	uint32_t mask;
	QmiMessage *resp;

	if (!me_req_tlv(r, 0x01, &rd))
		return;
	if (!me_rd_u32(&rd, &mask)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	/* card status is the one event this modem reports */
	r->cid->uim_events = mask & QMI_UIM_EVENT_REGISTRATION_FLAG_CARD_STATUS;
	resp = me_resp_new(r);
	me_tlv_put_u32(resp, 0x10, r->cid->uim_events);
	me_req_finish(r, resp);
}

/* ---- files ------------------------------------------------------------------------------------------ */

/* A card answer's QMI error (the SW goes along in the card result TLV). */
static QmiProtocolError sw_error(uint16_t sw)
{
	switch (sw) {
	case 0x6A82:
	case 0x6A83:
		return QMI_PROTOCOL_ERROR_SIM_FILE_NOT_FOUND;
	case 0x6982:
	case 0x6985:
		return QMI_PROTOCOL_ERROR_ACCESS_DENIED;
	case 0x6983:
		return QMI_PROTOCOL_ERROR_PIN_BLOCKED;
	case 0x6984:
		return QMI_PROTOCOL_ERROR_PIN_ALWAYS_BLOCKED;
	case 0x6B00:
	case 0x6A86:
	case 0x6700:
		return QMI_PROTOCOL_ERROR_INVALID_ARGUMENT;
	default:
		return (sw & 0xFFF0) == 0x63C0 ? QMI_PROTOCOL_ERROR_INCORRECT_PIN : QMI_PROTOCOL_ERROR_INTERNAL;
	}
}

static bool card_usable(struct me_req *r)
{
	switch (r->modem->card.state) {
	case ME_CARD_READY:
		return true;
	case ME_CARD_INIT:
		me_req_fail(r, QMI_PROTOCOL_ERROR_DEVICE_NOT_READY);
		return false;
	default:
		me_req_fail(r, QMI_PROTOCOL_ERROR_NO_SIM);
		return false;
	}
}

static void put_card_result(QmiMessage *m, uint8_t type, uint16_t sw)
{
	struct me_tlv_w t;

	me_tlv_begin(&t, m, type);
	me_tlv_u8(&t, (uint8_t)(sw >> 8));
	me_tlv_u8(&t, (uint8_t)sw);
	me_tlv_end(&t);
}

/* TLV 0x02: file id, then the path (u8 length, FIDs little-endian from the MF). */
static bool read_file_tlv(struct me_req *r, struct me_file_req *req)
{
	struct me_tlv_r rd;
	uint16_t fid;
	uint8_t path[2 * ME_PATH_MAX];
	size_t plen, i = 0;

	memset(req, 0, sizeof(*req));
	if (!me_tlv_open(&rd, r->msg, 0x02)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MISSING_ARGUMENT);
		return false;
	}
	if (!me_rd_u16(&rd, &fid) || !me_rd_bytes(&rd, 1, path, sizeof(path), &plen) || plen % 2) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return false;
	}
	/* the MF is where a path from the MF starts: not one of its steps */
	if (plen >= 2 && path[0] == 0x00 && path[1] == 0x3F)
		i = 2;
	for (; i < plen; i += 2) {
		if (req->depth >= ME_PATH_MAX - 1) {
			me_req_fail(r, QMI_PROTOCOL_ERROR_ARGUMENT_TOO_LONG);
			return false;
		}
		req->path[req->depth++] = (uint16_t)(path[i] | path[i + 1] << 8);
	}
	if (fid != 0x3F00)
		req->path[req->depth++] = fid;
	return true;
}

/*
 * A file operation the card refused (or no card): answered here with the QMI
 * error of its SW and the card result TLV 0x10; true when it was.
 */
static bool file_refused(struct me_req *r, const struct me_file_res *res)
{
	QmiMessage *resp;

	if (res->error) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_NO_SIM);
		return true;
	}
	if ((res->sw >> 8) == 0x90 || (res->sw >> 8) == 0x91)
		return false;
	resp = qmi_message_response_new(r->msg, sw_error(res->sw));
	put_card_result(resp, 0x10, res->sw);
	me_req_finish(r, resp);
	return true;
}

static void read_transparent_cb(const struct me_file_res *res, void *user)
{
	struct me_req *r = user;
	QmiMessage *resp;
	struct me_tlv_w t;

	if (file_refused(r, res))
		return;
	resp = me_resp_new(r);
	put_card_result(resp, 0x10, res->sw);
	me_tlv_begin(&t, resp, 0x11);
	me_tlv_bytes(&t, 2, res->data, res->len);
	me_tlv_end(&t);
	me_req_finish(r, resp);
}

static void read_transparent(struct me_req *r)
{
	struct me_file_req req;
	struct me_tlv_r rd;

	if (!read_file_tlv(r, &req))
		return;
	req.op = ME_FILE_READ_BINARY;
	if (!me_req_tlv(r, 0x03, &rd))
		return;
	if (!me_rd_u16(&rd, &req.offset) || !me_rd_u16(&rd, &req.length)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	if (!card_usable(r))
		return;
	me_sim_file(r->modem->sim, &req, read_transparent_cb, r);
}

struct records {
	struct me_req *r;
	struct me_file_req req;
	uint16_t last;
	uint16_t first_sw;
	GByteArray *first, *more;
};

static void records_done(struct records *rc)
{
	QmiMessage *resp = me_resp_new(rc->r);
	struct me_tlv_w t;

	put_card_result(resp, 0x10, rc->first_sw);
	me_tlv_begin(&t, resp, 0x11);
	me_tlv_bytes(&t, 2, rc->first->data, rc->first->len);
	me_tlv_end(&t);
	if (rc->more->len) {
		me_tlv_begin(&t, resp, 0x12);
		me_tlv_bytes(&t, 2, rc->more->data, rc->more->len);
		me_tlv_end(&t);
	}
	me_req_finish(rc->r, resp);
	g_byte_array_unref(rc->first);
	g_byte_array_unref(rc->more);
	g_free(rc);
}

static void read_record_cb(const struct me_file_res *res, void *user)
{
	struct records *rc = user;
	bool ok = !res->error && ((res->sw >> 8) == 0x90 || (res->sw >> 8) == 0x91);

	if (!rc->first_sw) {
		/* the first record decides the answer */
		if (file_refused(rc->r, res)) {
			g_byte_array_unref(rc->first);
			g_byte_array_unref(rc->more);
			g_free(rc);
			return;
		}
		rc->first_sw = res->sw;
		g_byte_array_append(rc->first, res->data, (guint)res->len);
	} else if (ok) {
		g_byte_array_append(rc->more, res->data, (guint)res->len);
	}
	if (!ok || rc->req.record >= rc->last) {
		records_done(rc);
		return;
	}
	rc->req.record++;
	me_sim_file(rc->r->modem->sim, &rc->req, read_record_cb, rc);
}

static void read_record(struct me_req *r)
{
	struct records *rc;
	struct me_file_req req;
	struct me_tlv_r rd;
	uint16_t rec, len, last = 0;

	if (!read_file_tlv(r, &req))
		return;
	if (!me_req_tlv(r, 0x03, &rd))
		return;
	if (!me_rd_u16(&rd, &rec) || !me_rd_u16(&rd, &len)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	if (me_tlv_open(&rd, r->msg, 0x10) && !me_rd_u16(&rd, &last)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	if (rec < 1 || rec > 255 || len > 255 || last > 255) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);
		return;
	}
	if (!card_usable(r))
		return;
	rc = g_new0(struct records, 1);
	rc->r = r;
	rc->req = req;
	rc->req.op = ME_FILE_READ_RECORD;
	rc->req.record = (uint8_t)rec;
	rc->req.length = len;
	rc->last = last > rec ? last : rec;
	rc->first = g_byte_array_new();
	rc->more = g_byte_array_new();
	me_sim_file(r->modem->sim, &rc->req, read_record_cb, rc);
}

/* ---- updates ------------------------------------------------------------------------------------------ */

/*
 * Write Transparent 0x0022 and Write Record 0x0023.  Not in libqmi 1.32's
 * data/qmi-service-uim.json; the ids are oFono's (drivers/qmimodem/uim.h
 * QMI_UIM_WRITE_TRANSPARENT 34, QMI_UIM_WRITE_RECORD 35) and the TLVs those of
 * the Gobi / SLQS UIM API (QMI_UIM_WRITE_TRANSPARENT / _RECORD): 0x01 session,
 * 0x02 file (as Read), 0x03 u16 offset (transparent) or record number
 * (record), then u16 length + the data; 0x10 (response indication token) is
 * not supported; the answer's 0x10 is the card result (SW1, SW2).
 * One short UPDATE BINARY / UPDATE RECORD (TS 102 221 §11.1.4, §11.1.6):
 * 1-255 bytes, an offset below 0x8000 (P1 b8 0), records 1-254.
 */
#define WRITE_MAX 255

static void write_cb(const struct me_file_res *res, void *user)
{
	struct me_req *r = user;
	QmiMessage *resp;

	if (file_refused(r, res))
		return;
	resp = me_resp_new(r);
	put_card_result(resp, 0x10, res->sw);
	me_req_finish(r, resp);
}

/* TLV 0x03: where (offset or record), then the data; answered here (false) when it is not usable. */
static bool write_info_tlv(struct me_req *r, uint16_t *where, uint8_t *data, size_t *len)
{
	struct me_tlv_r rd;

	if (!me_req_tlv(r, 0x03, &rd))
		return false;
	if (!me_rd_u16(&rd, where) || !me_rd_bytes(&rd, 2, data, ME_QMUX_MAX_FRAME, len) || me_rd_left(&rd)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return false;
	}
	if (*len > WRITE_MAX) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_ARGUMENT_TOO_LONG);
		return false;
	}
	return true;
}

static void write_file(struct me_req *r, enum me_file_op op)
{
	struct me_file_req req;
	uint16_t where;
	uint8_t data[ME_QMUX_MAX_FRAME];
	size_t len;

	if (!read_file_tlv(r, &req) || !write_info_tlv(r, &where, data, &len))
		return;
	if (!len || (op == ME_FILE_UPDATE_BINARY ? where + len > 0x8000 : where < 1 || where > 254)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);
		return;
	}
	if (!card_usable(r))
		return;
	req.op = op;
	if (op == ME_FILE_UPDATE_BINARY)
		req.offset = where;
	else
		req.record = (uint8_t)where;
	req.data = data;
	req.data_len = len;
	me_sim_file(r->modem->sim, &req, write_cb, r);
}

static void write_transparent(struct me_req *r)
{
	write_file(r, ME_FILE_UPDATE_BINARY);
}

static void write_record(struct me_req *r)
{
	write_file(r, ME_FILE_UPDATE_RECORD);
}

/* ---- file attributes ----------------------------------------------------------------------------------- */

struct sec {
	uint8_t logic;
	uint16_t attrs;
};

struct attrs {
	struct me_req *r;
	struct me_file_req req;
	uint16_t sw;
	uint8_t fcp[256];
	size_t fcp_len;
	struct sec sec[5];           /* read, write, increase, deactivate, activate */
};

/* TS 102 221 §9.5.1 key references as QmiUimSecurityAttribute. */
static uint16_t keyref_attr(uint8_t ref)
{
	if (ref == 0x01)
		return QMI_UIM_SECURITY_ATTRIBUTE_PIN1;
	if (ref == 0x81)
		return QMI_UIM_SECURITY_ATTRIBUTE_PIN2;
	if (ref == 0x11)
		return QMI_UIM_SECURITY_ATTRIBUTE_UPIN;
	return QMI_UIM_SECURITY_ATTRIBUTE_ADM;
}

/* TS 102 221 §9.2.4-9.2.6: one security condition DO (90 always, 97 never, A4 CRT, A0 OR, AF AND). */
static struct sec sc_do(const struct simota_tlv *t)
{
	struct sec s = { QMI_UIM_SECURITY_ATTRIBUTE_LOGIC_NEVER, 0 };
	struct simota_reader r;
	struct simota_tlv in;
	unsigned n = 0;

	switch (t->tag) {
	case 0x90:
		s.logic = QMI_UIM_SECURITY_ATTRIBUTE_LOGIC_ALWAYS;
		return s;
	case 0xA4:
		if (simota_ber_tlv_find(t->value, t->len, 0x83, &in) == SIMOTA_OK && in.len == 1) {
			s.logic = QMI_UIM_SECURITY_ATTRIBUTE_LOGIC_SINGLE;
			s.attrs = keyref_attr(in.value[0]);
		}
		return s;
	case 0xA0:
	case 0xAF:
		r = simota_reader_init(t->value, t->len);
		while (simota_reader_left(&r) && simota_ber_tlv_next(&r, &in) == SIMOTA_OK) {
			struct sec one = sc_do(&in);

			s.attrs |= one.attrs;
			n++;
		}
		s.logic = n > 1 ? (t->tag == 0xA0 ? QMI_UIM_SECURITY_ATTRIBUTE_LOGIC_OR :
				   QMI_UIM_SECURITY_ATTRIBUTE_LOGIC_AND) : QMI_UIM_SECURITY_ATTRIBUTE_LOGIC_SINGLE;
		return s;
	default:
		return s;
	}
}

/*
 * TS 102 221 §9.2.4: an expanded access rule, AM_DO (80: access mode byte)
 * then its SC_DO.  For an EF: b1 read, b2 update ("write"), b4 deactivate,
 * b5 activate; INCREASE has no AM bit here (never, on our cards).
 */
static void parse_arr_rule(struct attrs *a, const uint8_t *p, size_t len)
{
	static const uint8_t bits[5] = { 0x01, 0x02, 0x00, 0x08, 0x10 };
	struct simota_reader r = simota_reader_init(p, len);
	struct simota_tlv am, sc;

	for (int i = 0; i < 5; i++)
		a->sec[i] = (struct sec){ QMI_UIM_SECURITY_ATTRIBUTE_LOGIC_NEVER, 0 };
	while (simota_reader_left(&r) && *p != 0xFF) {
		if (simota_ber_tlv_next(&r, &am) != SIMOTA_OK || simota_ber_tlv_next(&r, &sc) != SIMOTA_OK)
			return;
		if (am.tag != 0x80 || am.len != 1)
			continue;
		for (int i = 0; i < 5; i++)
			if (bits[i] && (am.value[0] & bits[i]))
				a->sec[i] = sc_do(&sc);
	}
}

static void attrs_reply(struct attrs *a)
{
	struct simota_fcp f;
	QmiMessage *resp = me_resp_new(a->r);
	struct me_tlv_w t;
	uint8_t type;
	uint16_t size;

	if (simota_fcp_decode(a->fcp, a->fcp_len, &f) != SIMOTA_OK)
		memset(&f, 0, sizeof(f));     /* no usable FCP: a transparent EF of unknown size */
	if (simota_fcp_structure(&f) == SIMOTA_FCP_DF)
		type = f.fid == 0x3F00 ? QMI_UIM_FILE_TYPE_MASTER_FILE : QMI_UIM_FILE_TYPE_DEDICATED_FILE;
	else if (simota_fcp_structure(&f) == SIMOTA_FCP_CYCLIC)
		type = QMI_UIM_FILE_TYPE_CYCLIC;
	else if (me_fcp_is_record(&f))
		type = QMI_UIM_FILE_TYPE_LINEAR_FIXED;
	else
		type = QMI_UIM_FILE_TYPE_TRANSPARENT;
	size = me_fcp_is_record(&f) ? (uint16_t)(f.record_len * f.n_records) :
	       (uint16_t)(f.file_size > 0xFFFF ? 0xFFFF : f.file_size);
	put_card_result(resp, 0x10, a->sw);
	me_tlv_begin(&t, resp, 0x11);
	me_tlv_u16(&t, size);
	me_tlv_u16(&t, f.has_fid ? f.fid : a->req.path[a->req.depth ? a->req.depth - 1 : 0]);
	me_tlv_u8(&t, type);
	me_tlv_u16(&t, f.record_len);
	me_tlv_u16(&t, f.n_records);
	for (int i = 0; i < 5; i++) {
		me_tlv_u8(&t, a->sec[i].logic);
		me_tlv_u16(&t, a->sec[i].attrs);
	}
	me_tlv_bytes(&t, 2, a->fcp, a->fcp_len);
	me_tlv_end(&t);
	me_req_finish(a->r, resp);
	g_free(a);
}

static void arr_cb(const struct me_file_res *res, void *user)
{
	struct attrs *a = user;

	if (!res->error && (res->sw >> 8) == 0x90)
		parse_arr_rule(a, res->data, res->len);
	attrs_reply(a);
}

static void attrs_cb(const struct me_file_res *res, void *user)
{
	struct attrs *a = user;
	struct me_file_req arr = { .op = ME_FILE_READ_RECORD };
	struct simota_fcp f;

	if (file_refused(a->r, res)) {
		g_free(a);
		return;
	}
	a->sw = res->sw;
	a->fcp_len = res->fcp_len;
	memcpy(a->fcp, res->fcp, res->fcp_len);
	for (int i = 0; i < 5; i++)
		a->sec[i] = (struct sec){ QMI_UIM_SECURITY_ATTRIBUTE_LOGIC_ALWAYS, 0 };
	if (simota_fcp_decode(a->fcp, a->fcp_len, &f) != SIMOTA_OK || !f.has_arr ||
	    simota_fcp_structure(&f) == SIMOTA_FCP_DF) {
		attrs_reply(a);
		return;
	}
	/* TS 102 221 §9.2.4: the rule is record n of the EF_ARR in the EF's own DF (6F06 in ADF.USIM, 2F06 in the MF) */
	for (unsigned i = 0; i + 1 < a->req.depth; i++)
		arr.path[arr.depth++] = a->req.path[i];
	arr.path[arr.depth++] = f.arr_fid;
	arr.record = f.arr_record;
	me_sim_file(a->r->modem->sim, &arr, arr_cb, a);
}

static void get_file_attributes(struct me_req *r)
{
	struct attrs *a;
	struct me_file_req req;

	if (!read_file_tlv(r, &req))
		return;
	if (!card_usable(r))
		return;
	a = g_new0(struct attrs, 1);
	a->r = r;
	a->req = req;
	a->req.op = ME_FILE_INFO;
	me_sim_file(r->modem->sim, &a->req, attrs_cb, a);
}

/* ---- PINs -------------------------------------------------------------------------------------------- */

static bool pin_keyref(uint8_t pin_id, uint8_t *ref)
{
	switch (pin_id) {
	case QMI_UIM_PIN_ID_PIN1:
		*ref = 0x01;
		return true;
	case QMI_UIM_PIN_ID_PIN2:
		*ref = 0x81;
		return true;
	case QMI_UIM_PIN_ID_UPIN:
		*ref = 0x11;
		return true;
	default:
		return false;
	}
}

/* TS 102 221 §9.5.1: 4-8 digits, FF padded to 8 bytes. */
static bool pin_field(const char *pin, uint8_t out[PIN_LEN])
{
	size_t n = strlen(pin);

	if (n < 4 || n > PIN_LEN)
		return false;
	memset(out, 0xFF, PIN_LEN);
	for (size_t i = 0; i < n; i++) {
		if (pin[i] < '0' || pin[i] > '9')
			return false;
		out[i] = (uint8_t)pin[i];
	}
	return true;
}

struct pin_op {
	struct me_req *r;
	uint8_t pin_id;
};

static const struct me_pin *pin_of(struct me_modem *m, uint8_t pin_id)
{
	return pin_id == QMI_UIM_PIN_ID_PIN2 ? &m->card.pin2 : &m->card.pin1;
}

static void pin_cb(const struct me_apdu_res *res, void *user)
{
	struct pin_op *op = user;
	struct me_req *r = op->r;
	struct me_modem *m = r->modem;
	const struct me_pin *p = pin_of(m, op->pin_id);
	QmiMessage *resp;
	struct me_tlv_w t;
	uint8_t verify_left, unblock_left = p->puk_retries;

	g_free(op);
	if (res->error) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_NO_SIM);
		return;
	}
	if (res->sw == 0x9000) {
		resp = me_resp_new(r);
		verify_left = p->max_retries;
	} else {
		bool puk = qmi_message_get_message_id(r->msg) == 0x0027;
		QmiProtocolError e = sw_error(res->sw);

		verify_left = p->retries;
		if ((res->sw & 0xFFF0) == 0x63C0 && puk) {
			/* a wrong PUK: the count is the PUK's, and PIN1 stays blocked */
			unblock_left = res->sw & 0x0F;
			verify_left = 0;
			e = unblock_left ? QMI_PROTOCOL_ERROR_INCORRECT_PIN : QMI_PROTOCOL_ERROR_PIN_ALWAYS_BLOCKED;
		} else if ((res->sw & 0xFFF0) == 0x63C0) {
			verify_left = res->sw & 0x0F;
			e = verify_left ? QMI_PROTOCOL_ERROR_INCORRECT_PIN : QMI_PROTOCOL_ERROR_PIN_BLOCKED;
		} else if (res->sw == 0x6983) {
			verify_left = 0;
		}
		resp = qmi_message_response_new(r->msg, e);
		if (qmi_message_get_message_id(r->msg) != 0x0025)
			put_card_result(resp, 0x13, res->sw);
	}
	me_tlv_begin(&t, resp, 0x10);
	me_tlv_u8(&t, verify_left);
	me_tlv_u8(&t, unblock_left);
	me_tlv_end(&t);
	me_req_finish(r, resp);
	/* the counters and what PIN1 opens: read again, card status indication follows */
	me_fw_pins_changed(m->fw);
}

/* TLV 0x02 of the PIN messages: PIN id, then one or two strings (u8 length each). */
static void pin_request(struct me_req *r, uint8_t ins_enable, uint8_t ins_disable, bool two, bool protection)
{
	struct me_tlv_r rd;
	uint8_t pin_id, enable = 0, ref, apdu[5 + 2 * PIN_LEN];
	char a[32], b[32];
	struct pin_op *op;
	size_t n = 5 + PIN_LEN;

	if (!me_req_tlv(r, 0x02, &rd))
		return;
	if (!me_rd_u8(&rd, &pin_id) || (protection && !me_rd_u8(&rd, &enable)) ||
	    !me_rd_string(&rd, 1, a, sizeof(a)) || (two && !me_rd_string(&rd, 1, b, sizeof(b)))) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE);
		return;
	}
	if (!pin_keyref(pin_id, &ref)) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_PIN_ID);
		return;
	}
	if (!pin_field(a, apdu + 5) || (two && !pin_field(b, apdu + 5 + PIN_LEN))) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);
		return;
	}
	if (!card_usable(r))
		return;
	if (two)
		n += PIN_LEN;
	apdu[0] = 0x00;
	apdu[1] = protection && !enable ? ins_disable : ins_enable;
	apdu[2] = 0x00;
	apdu[3] = ref;
	apdu[4] = (uint8_t)(n - 5);
	op = g_new0(struct pin_op, 1);
	op->r = r;
	op->pin_id = pin_id;
	me_sim_apdu(r->modem->sim, apdu, n, pin_cb, op);
	memset(apdu, 0, sizeof(apdu));
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
}

/* TS 102 221 §11.1.9 VERIFY PIN */
static void verify_pin(struct me_req *r)
{
	pin_request(r, 0x20, 0x20, false, false);
}

/* §11.1.13 UNBLOCK PIN: PUK then the new PIN */
static void unblock_pin(struct me_req *r)
{
	pin_request(r, 0x2C, 0x2C, true, false);
}

/* §11.1.10 CHANGE PIN: old then new */
static void change_pin(struct me_req *r)
{
	pin_request(r, 0x24, 0x24, true, false);
}

/* §11.1.12 ENABLE PIN / §11.1.11 DISABLE PIN */
static void set_pin_protection(struct me_req *r)
{
	pin_request(r, 0x28, 0x26, false, true);
}

static const struct me_msg_handler handlers[] = {
	{ 0x001E, "Get Supported Messages", me_handle_supported_messages },
	{ 0x0020, "Read Transparent", read_transparent },
	{ 0x0021, "Read Record", read_record },
	{ 0x0022, "Write Transparent", write_transparent },
	{ 0x0023, "Write Record", write_record },
	{ 0x0024, "Get File Attributes", get_file_attributes },
	{ 0x0025, "Set PIN Protection", set_pin_protection },
	{ 0x0026, "Verify PIN", verify_pin },
	{ 0x0027, "Unblock PIN", unblock_pin },
	{ 0x0028, "Change PIN", change_pin },
	{ 0x002E, "Register Events", register_events },
	{ 0x002F, "Get Card Status", get_card_status },
};

const struct me_service me_svc_uim = { QMI_SERVICE_UIM, "uim", 1, 46, handlers, G_N_ELEMENTS(handlers) };
