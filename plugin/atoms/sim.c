// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The sim atom driver: oFono's file and PIN requests through the modem's
 * card service (card/card.h): files by path, PIN state, entry, retries,
 * change, enable / disable; the SIM reported again after a REFRESH's NAA
 * initialisation.  Nothing of the card is cached here: after a REFRESH
 * oFono's reads reach the card.
 *
 * oFono asks for files by FID, mostly without a path: the EF's place in
 * the UICC tree comes from ef_parent() (TS 102 221 §13, TS 31.102 §4.2,
 * §4.4).
 */
#define OFONO_API_SUBJECT_TO_CHANGE
#include <errno.h>
#include <string.h>

#include <ofono/modem.h>
#include <ofono/sim.h>

#include "stkbridge.h"
#include "simota/ts102221.h"
#include "simota/ts31102.h"

struct sb_sim {
	struct sb_modem *md;
	struct ofono_sim *sim;
	guint register_id;
	guint resume_id;                  /* the SIM reported again after a REFRESH's NAA initialisation */
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

/* The file's path: oFono's own (from the MF) when it gives one, else where the FID lives. */
static bool file_path(struct sb_card_path *p, int fileid, const unsigned char *path, unsigned path_len)
{
	uint8_t dfs[4];

	if (path && path_len >= 2 && path_len <= 12)
		return sb_card_path_set(p, path, path_len, (uint16_t)fileid);
	return sb_card_path_set(p, dfs, ef_parent(fileid, dfs), (uint16_t)fileid);
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

static const struct ofono_error failure = { .type = OFONO_ERROR_TYPE_FAILURE };

/* A request on the card, with oFono's callback. */
struct sim_req {
	struct sb_sim *sd;
	int fileid;
	union {
		ofono_sim_file_info_cb_t info;
		ofono_sim_read_cb_t read;
		ofono_sim_write_cb_t write;
		ofono_sim_passwd_cb_t passwd;
		ofono_sim_lock_unlock_cb_t lock;
		ofono_sim_pin_retries_cb_t retries;
		ofono_query_facility_lock_cb_t facility;
		ofono_sim_imsi_cb_t imsi;
		ofono_sim_list_apps_cb_t apps;
	} cb;
	void *data;
	bool initialized_on_success;      /* a PIN entry: tell the core the SIM is usable */
	/* list_apps */
	unsigned record, n_records, record_len;
	GByteArray *out;
};

static struct sim_req *sim_req_new(struct ofono_sim *sim, int fileid, void *data)
{
	struct sim_req *r = g_new0(struct sim_req, 1);

	r->sd = ofono_sim_get_data(sim);
	r->fileid = fileid;
	r->data = data;
	return r;
}

static struct sb_card_service *card_of(struct sim_req *r)
{
	return r->sd->md->card;
}

/* ---- files ------------------------------------------------------------------------ */

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

static void file_info_cb(const GError *err, uint16_t sw, const struct simota_fcp *fcp, void *user)
{
	struct sim_req *r = user;
	struct ofono_error e;
	enum simota_fcp_structure fs;
	enum ofono_sim_file_structure st;
	unsigned char access[3];

	set_error(&e, err, sw);
	if (e.type != OFONO_ERROR_TYPE_NO_ERROR) {
		DBG("file %04X: %s SW %04X", r->fileid, err ? err->message : "", sw);
		r->cb.info(&e, 0, 0, 0, NULL, 0, r->data);
		g_free(r);
		return;
	}
	fs = simota_fcp_structure(fcp);
	if (fs != SIMOTA_FCP_TRANSPARENT && fs != SIMOTA_FCP_LINEAR_FIXED && fs != SIMOTA_FCP_CYCLIC) {
		r->cb.info(&failure, 0, 0, 0, NULL, 0, r->data);
		g_free(r);
		return;
	}
	st = fs == SIMOTA_FCP_TRANSPARENT ? OFONO_SIM_FILE_STRUCTURE_TRANSPARENT :
	     fs == SIMOTA_FCP_CYCLIC ? OFONO_SIM_FILE_STRUCTURE_CYCLIC :
	     OFONO_SIM_FILE_STRUCTURE_FIXED;
	access_bytes(r->fileid, fs, access);
	r->cb.info(&e, (int)fcp->file_size, st, (int)fcp->record_len, access, simota_fcp_activated(fcp) ? 0x01 : 0x00,
		   r->data);
	g_free(r);
}

static void sb_read_file_info(struct ofono_sim *sim, int fileid, const unsigned char *path, unsigned int path_len,
			      ofono_sim_file_info_cb_t cb, void *data)
{
	struct sim_req *r = sim_req_new(sim, fileid, data);
	struct sb_card_path p;

	r->cb.info = cb;
	if (!file_path(&p, fileid, path, path_len)) {
		cb(&failure, 0, 0, 0, NULL, 0, data);
		g_free(r);
		return;
	}
	sb_card_file_info(card_of(r), r->sd, &p, file_info_cb, r);
}

static void read_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct sim_req *r = user;
	struct ofono_error e;

	set_error(&e, err, sw);
	r->cb.read(&e, e.type == OFONO_ERROR_TYPE_NO_ERROR ? data : NULL,
		   e.type == OFONO_ERROR_TYPE_NO_ERROR ? (int)len : 0, r->data);
	g_free(r);
}

static void read_common(struct ofono_sim *sim, bool record, int fileid, int offset, int length,
			const unsigned char *path, unsigned int path_len, ofono_sim_read_cb_t cb, void *data)
{
	struct sim_req *r = sim_req_new(sim, fileid, data);
	struct sb_card_path p;

	r->cb.read = cb;
	/* oFono always knows the length (0 would be "the whole record" to the card service) */
	if (length <= 0 || offset < 0 || !file_path(&p, fileid, path, path_len)) {
		cb(&failure, NULL, 0, data);
		g_free(r);
		return;
	}
	if (record)
		sb_card_read_record(card_of(r), r->sd, &p, (unsigned)offset, (unsigned)length, read_cb, r);
	else
		sb_card_read_binary(card_of(r), r->sd, &p, (unsigned)offset, (unsigned)length, read_cb, r);
}

static void sb_read_file_transparent(struct ofono_sim *sim, int fileid, int start, int length,
				     const unsigned char *path, unsigned int path_len, ofono_sim_read_cb_t cb,
				     void *data)
{
	read_common(sim, false, fileid, start, length, path, path_len, cb, data);
}

static void sb_read_file_linear(struct ofono_sim *sim, int fileid, int record, int length,
				const unsigned char *path, unsigned int path_len, ofono_sim_read_cb_t cb, void *data)
{
	read_common(sim, true, fileid, record, length, path, path_len, cb, data);
}

static void write_cb(const GError *err, uint16_t sw, void *user)
{
	struct sim_req *r = user;
	struct ofono_error e;

	set_error(&e, err, sw);
	r->cb.write(&e, r->data);
	g_free(r);
}

/* record < 0: a transparent file; 0: a cyclic file's oldest record. */
static void write_common(struct ofono_sim *sim, int record, int fileid, int offset, int length,
			 const unsigned char *value, const unsigned char *path, unsigned int path_len,
			 ofono_sim_write_cb_t cb, void *data)
{
	struct sim_req *r = sim_req_new(sim, fileid, data);
	struct sb_card_path p;

	r->cb.write = cb;
	if (length <= 0 || offset < 0 || !file_path(&p, fileid, path, path_len)) {
		cb(&failure, data);
		g_free(r);
		return;
	}
	if (record < 0)
		sb_card_update_binary(card_of(r), r->sd, &p, (unsigned)offset, value, (size_t)length, write_cb, r);
	else
		sb_card_update_record(card_of(r), r->sd, &p, (unsigned)record, value, (size_t)length, write_cb, r);
}

static void sb_write_file_transparent(struct ofono_sim *sim, int fileid, int start, int length,
				      const unsigned char *value, const unsigned char *path, unsigned int path_len,
				      ofono_sim_write_cb_t cb, void *data)
{
	write_common(sim, -1, fileid, start, length, value, path, path_len, cb, data);
}

static void sb_write_file_linear(struct ofono_sim *sim, int fileid, int record, int length,
				 const unsigned char *value, const unsigned char *path, unsigned int path_len,
				 ofono_sim_write_cb_t cb, void *data)
{
	/* record 0 is not a record oFono can mean here (it would be the card service's "oldest") */
	if (record < 1) {
		cb(&failure, data);
		return;
	}
	write_common(sim, record, fileid, 0, length, value, path, path_len, cb, data);
}

static void sb_write_file_cyclic(struct ofono_sim *sim, int fileid, int length, const unsigned char *value,
				 const unsigned char *path, unsigned int path_len, ofono_sim_write_cb_t cb,
				 void *data)
{
	write_common(sim, 0, fileid, 0, length, value, path, path_len, cb, data);
}

/* ---- IMSI ----------------------------------------------------------------------- */

static void imsi_read_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct sim_req *r = user;
	struct ofono_error e;
	char imsi[16];

	set_error(&e, err, sw);
	/* TS 31.102 §4.2.2 */
	if (e.type == OFONO_ERROR_TYPE_NO_ERROR && simota_ef_imsi_decode(data, len, imsi) != SIMOTA_OK)
		e.type = OFONO_ERROR_TYPE_FAILURE;
	r->cb.imsi(&e, e.type == OFONO_ERROR_TYPE_NO_ERROR ? imsi : NULL, r->data);
	g_free(r);
}

static void sb_read_imsi(struct ofono_sim *sim, ofono_sim_imsi_cb_t cb, void *data)
{
	static const struct sb_card_path ef_imsi = { .len = 4, .fid = { 0x7F, 0xFF, 0x6F, 0x07 } };
	struct sim_req *r = sim_req_new(sim, 0x6F07, data);

	r->cb.imsi = cb;
	sb_card_read_binary(card_of(r), r->sd, &ef_imsi, 0, SIMOTA_EF_IMSI_LEN, imsi_read_cb, r);
}

/* ---- PIN ------------------------------------------------------------------------- */

static void passwd_state_cb(const GError *err, enum sb_card_pin_state state, uint16_t sw, void *user)
{
	struct sim_req *r = user;
	struct ofono_error e = { .type = OFONO_ERROR_TYPE_NO_ERROR };
	enum ofono_sim_password_type type = OFONO_SIM_PASSWORD_INVALID;

	switch (state) {
	case SB_CARD_PIN_NONE:
		type = OFONO_SIM_PASSWORD_NONE;
		break;
	case SB_CARD_PIN_WANTED:
		type = OFONO_SIM_PASSWORD_SIM_PIN;
		break;
	case SB_CARD_PUK_WANTED:
		type = OFONO_SIM_PASSWORD_SIM_PUK;
		break;
	case SB_CARD_PIN_BLOCKED:             /* the card is locked for good */
		break;
	case SB_CARD_PIN_UNKNOWN:
		e.type = err ? OFONO_ERROR_TYPE_FAILURE : OFONO_ERROR_TYPE_SIM;
		e.error = err ? 0 : sw;
		break;
	}
	r->cb.passwd(&e, type, r->data);
	g_free(r);
}

/* Does the card want PIN1 (or the PUK)?  The card service asks, the card's quirks included. */
static void sb_query_passwd_state(struct ofono_sim *sim, ofono_sim_passwd_cb_t cb, void *data)
{
	struct sim_req *r = sim_req_new(sim, 0, data);

	r->cb.passwd = cb;
	sb_card_pin_state(card_of(r), r->sd, passwd_state_cb, r);
}

static void lock_unlock_cb(const GError *err, uint16_t sw, void *user)
{
	struct sim_req *r = user;
	struct sb_sim *sd = r->sd;
	struct ofono_error e;

	set_error(&e, err, sw);
	if (e.type != OFONO_ERROR_TYPE_NO_ERROR)
		DBG("PIN operation: %s SW %04X", err ? err->message : "", sw);
	r->cb.lock(&e, r->data);
	/* the card is usable at once: tell the core (it waits for this after a PIN entry) */
	if (e.type == OFONO_ERROR_TYPE_NO_ERROR && r->initialized_on_success && sd->sim)
		ofono_sim_initialized_notify(sd->sim);
	g_free(r);
}

static struct sim_req *lock_req_new(struct ofono_sim *sim, bool initialized_on_success,
				    ofono_sim_lock_unlock_cb_t cb, void *data)
{
	struct sim_req *r = sim_req_new(sim, 0, data);

	r->cb.lock = cb;
	r->initialized_on_success = initialized_on_success;
	return r;
}

static void sb_send_passwd(struct ofono_sim *sim, const char *passwd, ofono_sim_lock_unlock_cb_t cb, void *data)
{
	struct sim_req *r = lock_req_new(sim, true, cb, data);

	sb_card_pin_verify(card_of(r), r->sd, SB_CARD_PIN1, passwd, lock_unlock_cb, r);
}

static void sb_reset_passwd(struct ofono_sim *sim, const char *puk, const char *passwd,
			    ofono_sim_lock_unlock_cb_t cb, void *data)
{
	struct sim_req *r = lock_req_new(sim, true, cb, data);

	sb_card_pin_unblock(card_of(r), r->sd, SB_CARD_PIN1, puk, passwd, lock_unlock_cb, r);
}

/* The card's PIN for an oFono password type; false for the ones a card does not keep. */
static bool pin_of(enum ofono_sim_password_type type, enum sb_card_pin *pin)
{
	switch (type) {
	case OFONO_SIM_PASSWORD_SIM_PIN:
		*pin = SB_CARD_PIN1;
		return true;
	case OFONO_SIM_PASSWORD_SIM_PIN2:
		*pin = SB_CARD_PIN2;
		return true;
	default:
		return false;
	}
}

static void sb_change_passwd(struct ofono_sim *sim, enum ofono_sim_password_type type, const char *old_passwd,
			     const char *new_passwd, ofono_sim_lock_unlock_cb_t cb, void *data)
{
	enum sb_card_pin pin;
	struct sim_req *r;

	if (!pin_of(type, &pin)) {
		cb(&failure, data);
		return;
	}
	r = lock_req_new(sim, false, cb, data);
	sb_card_pin_change(card_of(r), r->sd, pin, old_passwd, new_passwd, lock_unlock_cb, r);
}

/* SimManager.LockPin / UnlockPin: enable / disable PIN1's verification requirement. */
static void sb_lock(struct ofono_sim *sim, enum ofono_sim_password_type type, int enable, const char *passwd,
		    ofono_sim_lock_unlock_cb_t cb, void *data)
{
	struct sim_req *r;

	if (type != OFONO_SIM_PASSWORD_SIM_PIN) {
		cb(&failure, data);
		return;
	}
	r = lock_req_new(sim, false, cb, data);
	sb_card_pin_enable(card_of(r), r->sd, SB_CARD_PIN1, enable, passwd, lock_unlock_cb, r);
}

static void retries_cb(const GError *err, const struct sb_card_pin_retries *got, void *user)
{
	struct sim_req *r = user;
	struct ofono_error e = { .type = err ? OFONO_ERROR_TYPE_FAILURE : OFONO_ERROR_TYPE_NO_ERROR };
	int retries[OFONO_SIM_PASSWORD_INVALID];

	for (int i = 0; i < OFONO_SIM_PASSWORD_INVALID; i++)
		retries[i] = -1;
	retries[OFONO_SIM_PASSWORD_SIM_PIN] = got->pin1;
	retries[OFONO_SIM_PASSWORD_SIM_PUK] = got->puk1;
	retries[OFONO_SIM_PASSWORD_SIM_PIN2] = got->pin2;
	retries[OFONO_SIM_PASSWORD_SIM_PUK2] = got->puk2;
	r->cb.retries(&e, retries, r->data);
	g_free(r);
}

static void sb_query_pin_retries(struct ofono_sim *sim, ofono_sim_pin_retries_cb_t cb, void *data)
{
	struct sim_req *r = sim_req_new(sim, 0, data);

	r->cb.retries = cb;
	sb_card_pin_retries(card_of(r), r->sd, retries_cb, r);
}

/* ---- facility locks: is a PIN enabled? ------------------------------------------------ */

static void facility_enabled_cb(const GError *err, int enabled, uint16_t sw, void *user)
{
	struct sim_req *r = user;
	struct ofono_error e;

	set_error(&e, err, sw);
	if (e.type == OFONO_ERROR_TYPE_NO_ERROR && enabled < 0)
		e.type = OFONO_ERROR_TYPE_FAILURE;
	DBG("PIN %s", enabled < 0 ? "state unknown" : enabled ? "enabled" : "disabled");
	r->cb.facility(&e, enabled > 0, r->data);
	g_free(r);
}

/*
 * oFono asks at every SIM insertion (ph-sim, ph-net, then pin) to fill
 * SimManager.LockedPins.  PIN1 / PIN2: enabled or not, as the card service
 * reads it (the PIN status template over APDUs): a card whose PIN was
 * already verified answers VERIFY without asking, so that alone cannot
 * tell.  The personalisation locks of TS 22.022 (ph-sim, ph-net, ...) are
 * kept by a handset, not by the card: this modem has none.
 */
static void sb_query_facility_lock(struct ofono_sim *sim, enum ofono_sim_password_type lock,
				   ofono_query_facility_lock_cb_t cb, void *data)
{
	struct ofono_error ok = { .type = OFONO_ERROR_TYPE_NO_ERROR };
	enum sb_card_pin pin;
	struct sim_req *r;

	if (!pin_of(lock, &pin)) {
		cb(&ok, FALSE, data);
		return;
	}
	r = sim_req_new(sim, 0, data);
	r->cb.facility = cb;
	sb_card_pin_enabled(card_of(r), r->sd, pin, facility_enabled_cb, r);
}

/* ---- applications: the records of EF_DIR (TS 102 221 §13.1) ------------------------- */

static const struct sb_card_path ef_dir = { .len = 2, .fid = { 0x2F, 0x00 } };

static void apps_done(struct sim_req *r, bool ok)
{
	struct ofono_error e = { .type = ok ? OFONO_ERROR_TYPE_NO_ERROR : OFONO_ERROR_TYPE_FAILURE };

	r->cb.apps(&e, ok ? r->out->data : NULL, ok ? (int)r->out->len : 0, r->data);
	g_byte_array_unref(r->out);
	g_free(r);
}

static void apps_record_cb(const GError *err, uint16_t sw, const uint8_t *d, size_t len, void *user)
{
	struct sim_req *r = user;

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
	sb_card_read_record(card_of(r), r->sd, &ef_dir, r->record, r->record_len, apps_record_cb, r);
}

static void apps_info_cb(const GError *err, uint16_t sw, const struct simota_fcp *fcp, void *user)
{
	struct sim_req *r = user;

	if (err || !sb_sw_ok(sw) || simota_fcp_structure(fcp) != SIMOTA_FCP_LINEAR_FIXED || fcp->record_len > 255 ||
	    fcp->n_records == 0) {
		apps_done(r, false);
		return;
	}
	r->n_records = fcp->n_records;
	r->record_len = fcp->record_len;
	r->record = 0;
	apps_record_cb(NULL, 0x9000, NULL, 0, r);
}

static void sb_list_apps(struct ofono_sim *sim, ofono_sim_list_apps_cb_t cb, void *data)
{
	struct sim_req *r = sim_req_new(sim, 0x2F00, data);

	r->out = g_byte_array_new();
	r->cb.apps = cb;
	sb_card_file_info(card_of(r), r->sd, &ef_dir, apps_info_cb, r);
}

/* ---- REFRESH ---------------------------------------------------------------------- */

/*
 * A REFRESH with NAA initialisation (TS 102 223 §6.4.7: modes 00, 02, 03,
 * 04 to 06 once handled, or 01 naming a file oFono reads when it starts
 * the SIM) makes oFono 1.31's core (src/sim.c __ofono_sim_refresh) drop its
 * SIM state, put the SIM in RESETTING, take the modem back to pre-SIM and
 * wait for the driver to report the SIM inserted again: what a modem does
 * once its firmware ran the NAA initialisation.  Here the card needs
 * nothing for it (its USIM stays selected): the SIM is reported at once,
 * from the main loop; during a UICC Reset (modem.c) the card is not ready
 * and card_ready() reports it once the card is back.
 */
static gboolean sim_resume_cb(gpointer p)
{
	struct sb_sim *sd = p;

	sd->resume_id = 0;
	if (!sd->md->card_ready || ofono_sim_get_state(sd->sim) != OFONO_SIM_STATE_RESETTING)
		return G_SOURCE_REMOVE;
	ofono_info("%s: REFRESH: the SIM is initialised again", sd->md->conf->name);
	ofono_sim_inserted_notify(sd->sim, TRUE);
	ofono_sim_initialized_notify(sd->sim);
	return G_SOURCE_REMOVE;
}

static void sim_state_cb(enum ofono_sim_state state, void *p)
{
	struct sb_sim *sd = p;

	if (state == OFONO_SIM_STATE_RESETTING && !sd->resume_id)
		sd->resume_id = g_idle_add(sim_resume_cb, sd);
}

/* ---- the atom ----------------------------------------------------------------------- */

static gboolean sim_register_cb(gpointer p)
{
	struct sb_sim *sd = p;

	sd->register_id = 0;
	ofono_sim_register(sd->sim);
	/* freed with the atom's watch list, before sb_sim_remove() */
	ofono_sim_add_state_watch(sd->sim, sim_state_cb, sd, NULL);
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
	if (sd->resume_id)
		g_source_remove(sd->resume_id);
	if (sd->md->card)
		sb_card_cancel_owner(sd->md->card, sd);
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
