// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The sim atom driver: oFono's file and PIN requests as UICC APDUs
 * (TS 102 221 §11.1, TS 31.102) through the modem's APDU session.
 *
 * oFono asks for files by FID, mostly without a path: the EF's place in
 * the UICC tree comes from ef_parent() (TS 102 221 §13, TS 31.102 §4.2,
 * §4.4), and every file is selected by path from the MF (P1 08), so no
 * selection state is kept between requests.
 */
#define OFONO_API_SUBJECT_TO_CHANGE
#include <errno.h>
#include <string.h>

#include <ofono/modem.h>
#include <ofono/sim.h>

#include "stkbridge.h"
#include "atoms/pin-state.h"
#include "simota/ts102221.h"
#include "simota/ts31102.h"

#define INS_SELECT 0xA4
#define INS_READ_BINARY 0xB0
#define INS_READ_RECORD 0xB2
#define INS_UPDATE_BINARY 0xD6
#define INS_UPDATE_RECORD 0xDC
#define INS_VERIFY 0x20
#define INS_CHANGE 0x24
#define INS_DISABLE 0x26
#define INS_ENABLE 0x28
#define INS_UNBLOCK 0x2C


struct sb_sim {
	struct sb_modem *md;
	struct ofono_sim *sim;
	guint register_id;
};

/* ---- where a file lives ---------------------------------------------------- */

/*
 * The DF path (from the MF, without 3F00) of an EF oFono names by FID alone:
 * MF files (TS 102 221 §13), DF_TELECOM files (TS 31.102 §4.4), and every
 * other EF in ADF.USIM (7FFF: the current application, TS 102 221 §8.4.2).
 */
static size_t ef_parent(int fileid, uint8_t *path)
{
	switch (fileid) {
	case 0x2F00: case 0x2F05: case 0x2F06: case 0x2FE2:   /* EF_DIR, EF_PL, EF_ARR, EF_ICCID */
		return 0;
	case 0x5F50:                                            /* DF_GRAPHICS */
	case 0x6F3A: case 0x6F44: case 0x6F4A:                  /* EF_ADN, EF_LND, EF_EXT1 */
		path[0] = 0x7F; path[1] = 0x10;
		return 2;
	case 0x4F20: case 0x4F21:                               /* EF_IMG, image instance files */
		path[0] = 0x7F; path[1] = 0x10; path[2] = 0x5F; path[3] = 0x50;
		return 4;
	default:
		path[0] = 0x7F; path[1] = 0xFF;
		return 2;
	}
}

/* SELECT by path from the MF: 00 A4 08 P2 Lc path FID (TS 102 221 §11.1.1). */
static size_t build_select(uint8_t *apdu, int fileid, const unsigned char *path, unsigned path_len, bool fcp)
{
	uint8_t p[16];
	size_t n;

	if (path && path_len >= 2 && path_len <= 12) {
		/* oFono's own path starts at the MF */
		size_t skip = (path[0] == 0x3F && path[1] == 0x00) ? 2 : 0;

		n = path_len - skip;
		memcpy(p, path + skip, n);
	} else {
		n = ef_parent(fileid, p);
	}
	p[n++] = (uint8_t)(fileid >> 8);
	p[n++] = (uint8_t)fileid;
	apdu[0] = 0x00;
	apdu[1] = INS_SELECT;
	apdu[2] = 0x08;
	apdu[3] = fcp ? 0x04 : 0x0C;
	apdu[4] = (uint8_t)n;
	memcpy(apdu + 5, p, n);
	return 5 + n;
}

/* ---- errors ------------------------------------------------------------------- */

static void set_error(struct ofono_error *e, const GError *err, uint16_t sw)
{
	if (err) {
		e->type = OFONO_ERROR_TYPE_FAILURE;
		e->error = 0;
	} else if (sb_sw_ok(sw)) {
		e->type = OFONO_ERROR_TYPE_NO_ERROR;
		e->error = 0;
	} else {
		e->type = OFONO_ERROR_TYPE_SIM;
		e->error = sw;
	}
}

/* ---- file access: SELECT, then READ / UPDATE ----------------------------------------- */

enum file_op_kind {
	OP_INFO,
	OP_READ_BINARY,
	OP_READ_RECORD,
	OP_UPDATE_BINARY,
	OP_UPDATE_RECORD,
	OP_UPDATE_CYCLIC,
};

struct file_op {
	struct sb_sim *sd;
	enum file_op_kind kind;
	int fileid;
	int offset;            /* byte offset or record number */
	int length;
	uint8_t *value;        /* updates */
	union {
		ofono_sim_file_info_cb_t info;
		ofono_sim_read_cb_t read;
		ofono_sim_write_cb_t write;
	} cb;
	void *data;
};

static void file_op_free(struct file_op *op)
{
	g_free(op->value);
	g_free(op);
}

static void file_op_fail(struct file_op *op, const struct ofono_error *e)
{
	switch (op->kind) {
	case OP_INFO:
		op->cb.info(e, 0, 0, 0, NULL, 0, op->data);
		break;
	case OP_READ_BINARY:
	case OP_READ_RECORD:
		op->cb.read(e, NULL, 0, op->data);
		break;
	default:
		op->cb.write(e, op->data);
		break;
	}
}

/* The access conditions of TS 51.011 §9.3 oFono wants: read/update from a short table, else PIN/PIN. */
static void access_bytes(int fileid, enum simota_fcp_structure s, unsigned char access[3])
{
	uint8_t rd = 1, upd = 1;               /* CHV1 */

	switch (fileid) {
	case 0x2FE2:                            /* EF_ICCID: ALW / NEV */
		rd = 0; upd = 15;
		break;
	case 0x2F00: case 0x6FAD: case 0x6F46: case 0x6FB7:   /* EF_DIR, EF_AD, EF_SPN, EF_ECC: ALW / ADM */
		rd = 0; upd = 4;
		break;
	case 0x2F05: case 0x6F05:               /* EF_PL, EF_LI: ALW / PIN */
		rd = 0;
		break;
	case 0x6F07: case 0x6F38: case 0x6F3E: case 0x6F3F: case 0x6F48:   /* IMSI UST GID1 GID2 CBMID: PIN / ADM */
		upd = 4;
		break;
	case 0x6F3B: case 0x6F56:               /* EF_FDN, EF_EST: PIN / PIN2 */
		upd = 2;
		break;
	default:
		break;
	}
	access[0] = (unsigned char)(rd << 4 | upd);
	access[1] = s == SIMOTA_FCP_CYCLIC ? 0x1F : 0xFF;      /* INCREASE: CHV1 for cyclic files */
	access[2] = 0x44;                                  /* REHABILITATE / INVALIDATE: ADM */
}

static void op_done_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct file_op *op = user;
	struct ofono_error e;

	set_error(&e, err, sw);
	switch (op->kind) {
	case OP_READ_BINARY:
	case OP_READ_RECORD:
		op->cb.read(&e, e.type == OFONO_ERROR_TYPE_NO_ERROR ? data : NULL,
			    e.type == OFONO_ERROR_TYPE_NO_ERROR ? (int)len : 0, op->data);
		break;
	default:
		op->cb.write(&e, op->data);
		break;
	}
	file_op_free(op);
}

static void select_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct file_op *op = user;
	struct sb_sim *sd = op->sd;
	struct ofono_error e;
	uint8_t apdu[5 + 256];
	size_t n = 0;

	set_error(&e, err, sw);
	if (e.type != OFONO_ERROR_TYPE_NO_ERROR) {
		DBG("SELECT %04X: %s SW %04X", op->fileid, err ? err->message : "", sw);
		file_op_fail(op, &e);
		file_op_free(op);
		return;
	}
	if (op->kind == OP_INFO) {
		struct simota_fcp fcp;
		unsigned char access[3];
		enum ofono_sim_file_structure st;
		enum simota_fcp_structure fs;

		if (simota_fcp_decode(data, len, &fcp) != SIMOTA_OK ||
		    ((fs = simota_fcp_structure(&fcp)) != SIMOTA_FCP_TRANSPARENT && fs != SIMOTA_FCP_LINEAR_FIXED &&
		     fs != SIMOTA_FCP_CYCLIC)) {
			e.type = OFONO_ERROR_TYPE_FAILURE;
			file_op_fail(op, &e);
			file_op_free(op);
			return;
		}
		st = fs == SIMOTA_FCP_TRANSPARENT ? OFONO_SIM_FILE_STRUCTURE_TRANSPARENT :
		     fs == SIMOTA_FCP_CYCLIC ? OFONO_SIM_FILE_STRUCTURE_CYCLIC :
		     OFONO_SIM_FILE_STRUCTURE_FIXED;
		access_bytes(op->fileid, fs, access);
		op->cb.info(&e, (int)fcp.file_size, st, (int)fcp.record_len, access,
			    simota_fcp_activated(&fcp) ? 0x01 : 0x00, op->data);
		file_op_free(op);
		return;
	}

	apdu[0] = 0x00;
	switch (op->kind) {
	case OP_READ_BINARY:       /* §11.1.3 */
		apdu[1] = INS_READ_BINARY;
		apdu[2] = (uint8_t)((op->offset >> 8) & 0x7F);
		apdu[3] = (uint8_t)op->offset;
		apdu[4] = (uint8_t)op->length;      /* 256 → 00 */
		n = 5;
		break;
	case OP_READ_RECORD:       /* §11.1.5: absolute mode */
		apdu[1] = INS_READ_RECORD;
		apdu[2] = (uint8_t)op->offset;
		apdu[3] = 0x04;
		apdu[4] = (uint8_t)op->length;
		n = 5;
		break;
	case OP_UPDATE_BINARY:     /* §11.1.4 */
		apdu[1] = INS_UPDATE_BINARY;
		apdu[2] = (uint8_t)((op->offset >> 8) & 0x7F);
		apdu[3] = (uint8_t)op->offset;
		apdu[4] = (uint8_t)op->length;
		memcpy(apdu + 5, op->value, (size_t)op->length);
		n = 5 + (size_t)op->length;
		break;
	case OP_UPDATE_RECORD:     /* §11.1.6: absolute mode */
	case OP_UPDATE_CYCLIC:     /* previous record mode: writes the oldest, it becomes record 1 */
		apdu[1] = INS_UPDATE_RECORD;
		apdu[2] = op->kind == OP_UPDATE_RECORD ? (uint8_t)op->offset : 0x00;
		apdu[3] = op->kind == OP_UPDATE_RECORD ? 0x04 : 0x03;
		apdu[4] = (uint8_t)op->length;
		memcpy(apdu + 5, op->value, (size_t)op->length);
		n = 5 + (size_t)op->length;
		break;
	default:
		break;
	}
	sb_modem_apdu_next(sd->md, sd, apdu, n, op_done_cb, op);
}

static void file_op_start(struct sb_sim *sd, struct file_op *op, const unsigned char *path, unsigned path_len)
{
	uint8_t apdu[5 + 16];
	size_t n = build_select(apdu, op->fileid, path, path_len, op->kind == OP_INFO);

	op->sd = sd;
	sb_modem_apdu(sd->md, sd, apdu, n, select_cb, op);
}

static struct file_op *file_op_new(enum file_op_kind kind, int fileid, int offset, int length, void *data)
{
	struct file_op *op = g_new0(struct file_op, 1);

	op->kind = kind;
	op->fileid = fileid;
	op->offset = offset;
	op->length = length;
	op->data = data;
	return op;
}

static void sb_read_file_info(struct ofono_sim *sim, int fileid, const unsigned char *path, unsigned int path_len,
			      ofono_sim_file_info_cb_t cb, void *data)
{
	struct file_op *op = file_op_new(OP_INFO, fileid, 0, 0, data);

	op->cb.info = cb;
	file_op_start(ofono_sim_get_data(sim), op, path, path_len);
}

static void read_common(struct ofono_sim *sim, enum file_op_kind kind, int fileid, int offset, int length,
			const unsigned char *path, unsigned int path_len, ofono_sim_read_cb_t cb, void *data)
{
	struct file_op *op = file_op_new(kind, fileid, offset, length, data);

	op->cb.read = cb;
	if (length <= 0 || length > 256 || offset < 0 || (kind == OP_READ_RECORD && (offset < 1 || offset > 254))) {
		struct ofono_error e = { .type = OFONO_ERROR_TYPE_FAILURE };

		cb(&e, NULL, 0, data);
		file_op_free(op);
		return;
	}
	file_op_start(ofono_sim_get_data(sim), op, path, path_len);
}

static void sb_read_file_transparent(struct ofono_sim *sim, int fileid, int start, int length,
				     const unsigned char *path, unsigned int path_len, ofono_sim_read_cb_t cb,
				     void *data)
{
	read_common(sim, OP_READ_BINARY, fileid, start, length, path, path_len, cb, data);
}

static void sb_read_file_linear(struct ofono_sim *sim, int fileid, int record, int length,
				const unsigned char *path, unsigned int path_len, ofono_sim_read_cb_t cb, void *data)
{
	read_common(sim, OP_READ_RECORD, fileid, record, length, path, path_len, cb, data);
}

static void write_common(struct ofono_sim *sim, enum file_op_kind kind, int fileid, int offset, int length,
			 const unsigned char *value, const unsigned char *path, unsigned int path_len,
			 ofono_sim_write_cb_t cb, void *data)
{
	struct file_op *op = file_op_new(kind, fileid, offset, length, data);

	op->cb.write = cb;
	if (length <= 0 || length > 255) {
		struct ofono_error e = { .type = OFONO_ERROR_TYPE_FAILURE };

		cb(&e, data);
		file_op_free(op);
		return;
	}
	op->value = g_memdup2(value, (gsize)length);
	file_op_start(ofono_sim_get_data(sim), op, path, path_len);
}

static void sb_write_file_transparent(struct ofono_sim *sim, int fileid, int start, int length,
				      const unsigned char *value, const unsigned char *path, unsigned int path_len,
				      ofono_sim_write_cb_t cb, void *data)
{
	write_common(sim, OP_UPDATE_BINARY, fileid, start, length, value, path, path_len, cb, data);
}

static void sb_write_file_linear(struct ofono_sim *sim, int fileid, int record, int length,
				 const unsigned char *value, const unsigned char *path, unsigned int path_len,
				 ofono_sim_write_cb_t cb, void *data)
{
	write_common(sim, OP_UPDATE_RECORD, fileid, record, length, value, path, path_len, cb, data);
}

static void sb_write_file_cyclic(struct ofono_sim *sim, int fileid, int length, const unsigned char *value,
				 const unsigned char *path, unsigned int path_len, ofono_sim_write_cb_t cb,
				 void *data)
{
	write_common(sim, OP_UPDATE_CYCLIC, fileid, 0, length, value, path, path_len, cb, data);
}

/* ---- IMSI ----------------------------------------------------------------------- */

struct imsi_req {
	struct sb_sim *sd;
	ofono_sim_imsi_cb_t cb;
	void *data;
};

static void imsi_read_cb(const struct ofono_error *error, const unsigned char *sdata, int length, void *data)
{
	struct imsi_req *r = data;
	struct ofono_error e = *error;
	char imsi[16];

	/* TS 31.102 §4.2.2 */
	if (e.type == OFONO_ERROR_TYPE_NO_ERROR && simota_ef_imsi_decode(sdata, (size_t)length, imsi) != SIMOTA_OK)
		e.type = OFONO_ERROR_TYPE_FAILURE;
	r->cb(&e, e.type == OFONO_ERROR_TYPE_NO_ERROR ? imsi : NULL, r->data);
	g_free(r);
}

static void sb_read_imsi(struct ofono_sim *sim, ofono_sim_imsi_cb_t cb, void *data)
{
	struct imsi_req *r = g_new0(struct imsi_req, 1);

	r->sd = ofono_sim_get_data(sim);
	r->cb = cb;
	r->data = data;
	read_common(sim, OP_READ_BINARY, 0x6F07, 0, SIMOTA_EF_IMSI_LEN, NULL, 0, imsi_read_cb, r);
}

/* ---- PIN ------------------------------------------------------------------------- */

struct pin_req {
	struct sb_sim *sd;
	uint8_t ins, ref;               /* of a PIN operation */
	int step;
	int retries[OFONO_SIM_PASSWORD_INVALID];
	union {
		ofono_sim_passwd_cb_t passwd;
		ofono_sim_lock_unlock_cb_t lock;
		ofono_sim_pin_retries_cb_t retries;
	} cb;
	void *data;
};

/* A PIN as TS 102 221 §9.5.2 codes it: ASCII digits, padded with FF to 8 bytes. */
static bool pin_block(const char *pin, uint8_t out[8])
{
	size_t n = pin ? strlen(pin) : 0;

	if (n < 4 || n > 8)
		return false;
	memset(out, 0xFF, 8);
	for (size_t i = 0; i < n; i++) {
		if (pin[i] < '0' || pin[i] > '9')
			return false;
		out[i] = (uint8_t)pin[i];
	}
	return true;
}

/* The sim atom's commands go through its modem (which fails them while there is no card). */
static void modem_send(void *md, const void *owner, const uint8_t *apdu, size_t len, sb_apdu_cb cb, void *user)
{
	sb_modem_apdu(md, owner, apdu, len, cb, user);
}

static struct sb_apdu_sender sim_sender(struct sb_sim *sd)
{
	return (struct sb_apdu_sender){ .send = modem_send, .target = sd->md, .owner = sd };
}

static void pin_apdu(struct sb_sim *sd, uint8_t ins, uint8_t ref, const uint8_t *data, size_t len,
		     sb_apdu_cb cb, void *user)
{
	uint8_t apdu[5 + 16];
	size_t n = 4;

	apdu[0] = 0x00; apdu[1] = ins; apdu[2] = 0x00; apdu[3] = ref;
	if (len) {
		apdu[4] = (uint8_t)len;
		memcpy(apdu + 5, data, len);
		n = 5 + len;
	}
	sb_modem_apdu(sd->md, sd, apdu, n, cb, user);
}

static void passwd_state_cb(const GError *err, enum sb_pin1_state state, uint16_t sw, void *user)
{
	struct pin_req *r = user;
	struct ofono_error e = { .type = OFONO_ERROR_TYPE_NO_ERROR };
	enum ofono_sim_password_type type = OFONO_SIM_PASSWORD_INVALID;

	switch (state) {
	case SB_PIN1_NONE:
		type = OFONO_SIM_PASSWORD_NONE;
		break;
	case SB_PIN1_PIN:
		type = OFONO_SIM_PASSWORD_SIM_PIN;
		break;
	case SB_PIN1_PUK:
		type = OFONO_SIM_PASSWORD_SIM_PUK;
		break;
	case SB_PIN1_BLOCKED:             /* the card is locked for good */
		break;
	case SB_PIN1_UNKNOWN:
		e.type = err ? OFONO_ERROR_TYPE_FAILURE : OFONO_ERROR_TYPE_SIM;
		e.error = err ? 0 : sw;
		break;
	}
	r->cb.passwd(&e, type, r->data);
	g_free(r);
}

/* TS 102 221 §11.1.9: does the card want PIN1 (or the PUK)?  pin-state.c asks, the card's quirks included. */
static void sb_query_passwd_state(struct ofono_sim *sim, ofono_sim_passwd_cb_t cb, void *data)
{
	struct pin_req *r = g_new0(struct pin_req, 1);
	struct sb_apdu_sender tx;

	r->sd = ofono_sim_get_data(sim);
	r->cb.passwd = cb;
	r->data = data;
	tx = sim_sender(r->sd);
	sb_pin1_query_state(&tx, &r->sd->md->pin1, r->sd->md->conf->name, passwd_state_cb, r);
}

static void lock_unlock_cb(const GError *err, uint16_t sw, const uint8_t *d, size_t len, void *user)
{
	struct pin_req *r = user;
	struct ofono_error e;
	struct sb_sim *sd = r->sd;

	set_error(&e, err, sw);
	if (!err)
		sb_pin1_card_note(&sd->md->pin1, r->ins, r->ref, sw);
	if (e.type != OFONO_ERROR_TYPE_NO_ERROR)
		DBG("PIN operation: SW %04X", sw);
	r->cb.lock(&e, r->data);
	/* the card is usable at once: tell the core (it waits for this after a PIN entry) */
	if (e.type == OFONO_ERROR_TYPE_NO_ERROR && r->step == 1 && sd->sim)
		ofono_sim_initialized_notify(sd->sim);
	g_free(r);
}

static void pin_op(struct ofono_sim *sim, uint8_t ins, uint8_t ref, const char *a, const char *b,
		   bool notify_initialized, ofono_sim_lock_unlock_cb_t cb, void *data)
{
	struct pin_req *r = g_new0(struct pin_req, 1);
	uint8_t block[16];
	size_t n = 8;

	r->sd = ofono_sim_get_data(sim);
	r->ins = ins;
	r->ref = ref;
	r->cb.lock = cb;
	r->data = data;
	r->step = notify_initialized ? 1 : 0;
	if (!pin_block(a, block) || (b && !pin_block(b, block + 8)) || (ins == INS_UNBLOCK && strlen(a) != 8)) {
		struct ofono_error e = { .type = OFONO_ERROR_TYPE_FAILURE };

		cb(&e, data);
		g_free(r);
		return;
	}
	if (ins == INS_UNBLOCK) {
		/* TS 102 221 §9.5.2: the PUK is 8 digits, not padded */
		memcpy(block, a, 8);
	}
	if (b)
		n = 16;
	pin_apdu(r->sd, ins, ref, block, n, lock_unlock_cb, r);
}

static void sb_send_passwd(struct ofono_sim *sim, const char *passwd, ofono_sim_lock_unlock_cb_t cb, void *data)
{
	pin_op(sim, INS_VERIFY, SB_KEYREF_PIN1, passwd, NULL, true, cb, data);
}

static void sb_reset_passwd(struct ofono_sim *sim, const char *puk, const char *passwd,
			    ofono_sim_lock_unlock_cb_t cb, void *data)
{
	pin_op(sim, INS_UNBLOCK, SB_KEYREF_PIN1, puk, passwd, true, cb, data);
}

static uint8_t keyref(enum ofono_sim_password_type type)
{
	switch (type) {
	case OFONO_SIM_PASSWORD_SIM_PIN:
		return SB_KEYREF_PIN1;
	case OFONO_SIM_PASSWORD_SIM_PIN2:
		return SB_KEYREF_PIN2;
	default:
		return 0;
	}
}

static void sb_change_passwd(struct ofono_sim *sim, enum ofono_sim_password_type type, const char *old_passwd,
			     const char *new_passwd, ofono_sim_lock_unlock_cb_t cb, void *data)
{
	if (!keyref(type)) {
		struct ofono_error f = { .type = OFONO_ERROR_TYPE_FAILURE };

		cb(&f, data);
		return;
	}
	pin_op(sim, INS_CHANGE, keyref(type), old_passwd, new_passwd, false, cb, data);
}

/* TS 102 221 §11.1.10 / §11.1.11: ENABLE / DISABLE VERIFICATION REQUIREMENT (PIN1 only). */
static void sb_lock(struct ofono_sim *sim, enum ofono_sim_password_type type, int enable, const char *passwd,
		    ofono_sim_lock_unlock_cb_t cb, void *data)
{
	if (type != OFONO_SIM_PASSWORD_SIM_PIN) {
		struct ofono_error f = { .type = OFONO_ERROR_TYPE_FAILURE };

		cb(&f, data);
		return;
	}
	pin_op(sim, enable ? INS_ENABLE : INS_DISABLE, SB_KEYREF_PIN1, passwd, NULL, false, cb, data);
}

/* Retry counters: VERIFY / RESET RETRY COUNTER without data answer 63CX (TS 102 221 §11.1.9, §11.1.13). */
static const struct {
	uint8_t ins, ref;
	enum ofono_sim_password_type type;
} retry_queries[] = {
	{ INS_VERIFY, SB_KEYREF_PIN1, OFONO_SIM_PASSWORD_SIM_PIN },
	{ INS_UNBLOCK, SB_KEYREF_PIN1, OFONO_SIM_PASSWORD_SIM_PUK },
	{ INS_VERIFY, SB_KEYREF_PIN2, OFONO_SIM_PASSWORD_SIM_PIN2 },
	{ INS_UNBLOCK, SB_KEYREF_PIN2, OFONO_SIM_PASSWORD_SIM_PUK2 },
};

static void retries_cb(const GError *err, uint16_t sw, const uint8_t *d, size_t len, void *user)
{
	struct pin_req *r = user;

	if (err) {
		struct ofono_error e = { .type = OFONO_ERROR_TYPE_FAILURE };

		r->cb.retries(&e, r->retries, r->data);
		g_free(r);
		return;
	}
	if ((sw & 0xFFF0) == 0x63C0)
		r->retries[retry_queries[r->step].type] = sw & 0x0F;
	else if (sw == 0x6983)
		r->retries[retry_queries[r->step].type] = 0;
	if (++r->step < (int)G_N_ELEMENTS(retry_queries)) {
		pin_apdu(r->sd, retry_queries[r->step].ins, retry_queries[r->step].ref, NULL, 0, retries_cb, r);
		return;
	}
	{
		struct ofono_error e = { .type = OFONO_ERROR_TYPE_NO_ERROR };

		r->cb.retries(&e, r->retries, r->data);
	}
	g_free(r);
}

static void sb_query_pin_retries(struct ofono_sim *sim, ofono_sim_pin_retries_cb_t cb, void *data)
{
	struct pin_req *r = g_new0(struct pin_req, 1);

	r->sd = ofono_sim_get_data(sim);
	r->cb.retries = cb;
	r->data = data;
	for (int i = 0; i < OFONO_SIM_PASSWORD_INVALID; i++)
		r->retries[i] = -1;
	pin_apdu(r->sd, retry_queries[0].ins, retry_queries[0].ref, NULL, 0, retries_cb, r);
}

/* ---- facility locks: is a PIN enabled? ------------------------------------------------ */

struct lock_req {
	uint8_t keyref;
	ofono_query_facility_lock_cb_t cb;
	void *data;
};

static void facility_enabled_cb(const GError *err, int enabled, uint16_t sw, void *user)
{
	struct lock_req *r = user;
	struct ofono_error e;

	set_error(&e, err, sw);
	if (e.type == OFONO_ERROR_TYPE_NO_ERROR && enabled < 0)
		e.type = OFONO_ERROR_TYPE_FAILURE;
	DBG("PIN %02X %s", r->keyref, enabled < 0 ? "state unknown" : enabled ? "enabled" : "disabled");
	r->cb(&e, enabled > 0, r->data);
	g_free(r);
}

/*
 * oFono asks at every SIM insertion (ph-sim, ph-net, then pin) to fill
 * SimManager.LockedPins.  PIN1 / PIN2: enabled or not, from the PIN status
 * template (pin-state.c): a card whose PIN was already verified answers
 * VERIFY without asking, so that alone cannot tell.  The personalisation
 * locks of TS 22.022 (ph-sim, ph-net, ...) are kept by a handset, not by
 * the card: this modem has none.
 */
static void sb_query_facility_lock(struct ofono_sim *sim, enum ofono_sim_password_type lock,
				   ofono_query_facility_lock_cb_t cb, void *data)
{
	struct ofono_error ok = { .type = OFONO_ERROR_TYPE_NO_ERROR };
	struct sb_apdu_sender tx;
	struct lock_req *r;

	if (!keyref(lock)) {
		cb(&ok, FALSE, data);
		return;
	}
	r = g_new0(struct lock_req, 1);
	r->keyref = keyref(lock);
	r->cb = cb;
	r->data = data;
	tx = sim_sender(ofono_sim_get_data(sim));
	sb_pin_query_enabled(&tx, r->keyref, facility_enabled_cb, r);
}

/* ---- applications: the records of EF_DIR (TS 102 221 §13.1) ------------------------- */

struct apps_req {
	struct sb_sim *sd;
	unsigned record, n_records, record_len;
	GByteArray *out;
	ofono_sim_list_apps_cb_t cb;
	void *data;
};

static void apps_done(struct apps_req *r, bool ok)
{
	struct ofono_error e = { .type = ok ? OFONO_ERROR_TYPE_NO_ERROR : OFONO_ERROR_TYPE_FAILURE };

	r->cb(&e, ok ? r->out->data : NULL, ok ? (int)r->out->len : 0, r->data);
	g_byte_array_unref(r->out);
	g_free(r);
}

static void apps_record_cb(const GError *err, uint16_t sw, const uint8_t *d, size_t len, void *user)
{
	struct apps_req *r = user;
	uint8_t apdu[5];

	if (err || !sb_sw_ok(sw)) {
		apps_done(r, false);
		return;
	}
	/* an application template (61); unused records are FF */
	if (len > 0 && d[0] == 0x61) {
		size_t used = len;

		while (used > 0 && d[used - 1] == 0xFF)
			used--;
		g_byte_array_append(r->out, d, (guint)used);
	}
	if (++r->record > r->n_records) {
		apps_done(r, true);
		return;
	}
	apdu[0] = 0x00; apdu[1] = INS_READ_RECORD; apdu[2] = (uint8_t)r->record; apdu[3] = 0x04;
	apdu[4] = (uint8_t)r->record_len;
	sb_modem_apdu_next(r->sd->md, r->sd, apdu, 5, apps_record_cb, r);
}

static void apps_select_cb(const GError *err, uint16_t sw, const uint8_t *d, size_t len, void *user)
{
	struct apps_req *r = user;
	struct simota_fcp fcp;

	if (err || !sb_sw_ok(sw) || simota_fcp_decode(d, len, &fcp) != SIMOTA_OK ||
	    simota_fcp_structure(&fcp) != SIMOTA_FCP_LINEAR_FIXED || fcp.record_len > 255 || fcp.n_records == 0) {
		apps_done(r, false);
		return;
	}
	r->n_records = fcp.n_records;
	r->record_len = fcp.record_len;
	r->record = 0;
	apps_record_cb(NULL, 0x9000, NULL, 0, r);
}

static void sb_list_apps(struct ofono_sim *sim, ofono_sim_list_apps_cb_t cb, void *data)
{
	struct apps_req *r = g_new0(struct apps_req, 1);
	uint8_t apdu[5 + 4];
	size_t n;

	r->sd = ofono_sim_get_data(sim);
	r->out = g_byte_array_new();
	r->cb = cb;
	r->data = data;
	n = build_select(apdu, 0x2F00, NULL, 0, true);
	sb_modem_apdu(r->sd->md, r->sd, apdu, n, apps_select_cb, r);
}

/* ---- the atom ----------------------------------------------------------------------- */

static gboolean sim_register_cb(gpointer p)
{
	struct sb_sim *sd = p;

	sd->register_id = 0;
	ofono_sim_register(sd->sim);
	if (sd->md->card_ready) {
		ofono_sim_inserted_notify(sd->sim, TRUE);
		ofono_sim_initialized_notify(sd->sim);
	}
	return G_SOURCE_REMOVE;
}

static int sb_sim_probe(struct ofono_sim *sim, unsigned int vendor, void *data)
{
	struct sb_modem *md = data;
	struct sb_sim *sd = g_new0(struct sb_sim, 1);

	sd->md = md;
	sd->sim = sim;
	md->sim = sim;
	ofono_sim_set_data(sim, sd);
	sd->register_id = g_idle_add(sim_register_cb, sd);
	return 0;
}

static void sb_sim_remove(struct ofono_sim *sim)
{
	struct sb_sim *sd = ofono_sim_get_data(sim);

	ofono_sim_set_data(sim, NULL);
	if (sd->register_id)
		g_source_remove(sd->register_id);
	sb_modem_cancel_owner(sd->md, sd);
	if (sd->md->sim == sim)
		sd->md->sim = NULL;
	g_free(sd);
}

static const struct ofono_sim_driver sb_sim_driver = {
	.name = SB_DRIVER,
	.probe = sb_sim_probe,
	.remove = sb_sim_remove,
	.read_file_info = sb_read_file_info,
	.read_file_transparent = sb_read_file_transparent,
	.read_file_linear = sb_read_file_linear,
	.read_file_cyclic = sb_read_file_linear,
	.write_file_transparent = sb_write_file_transparent,
	.write_file_linear = sb_write_file_linear,
	.write_file_cyclic = sb_write_file_cyclic,
	.read_imsi = sb_read_imsi,
	.query_passwd_state = sb_query_passwd_state,
	.send_passwd = sb_send_passwd,
	.query_pin_retries = sb_query_pin_retries,
	.reset_passwd = sb_reset_passwd,
	.change_passwd = sb_change_passwd,
	.lock = sb_lock,
	.query_facility_lock = sb_query_facility_lock,
	.list_apps = sb_list_apps,
};

int sb_sim_driver_register(void)
{
	return ofono_sim_driver_register(&sb_sim_driver);
}

void sb_sim_driver_unregister(void)
{
	ofono_sim_driver_unregister(&sb_sim_driver);
}
