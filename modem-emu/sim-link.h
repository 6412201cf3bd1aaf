/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card link: a uicc-emu card behind the vpcd framing (lib/simota/vpcd.h,
 * doc/uicc-transport.md), as a baseband talks to its SIM over the wire.
 *
 * card=CARD.ini: the link starts a child `uicc-emu --config CARD.ini [--state
 * STATE] --listen unix:RUNDIR/...` that dies with modem-emu (PR_SET_PDEATHSIG)
 * and is started again when it exits (backoff, bounded: a restarted modem-emu
 * may find the old child's state lock still held for a moment).
 * sim=unix:SOCK: the link connects to a running uicc-emu (again and again).
 *
 * Commands go one at a time ("jobs": one APDU, or the APDUs of one file
 * operation, which nothing interleaves).  The T=0 exchanges are done here
 * (TS 102 221 §7.3.1.1): 61XX → GET RESPONSE; 6CXX → the command again with
 * P3 = XX; 62XX/63XX after ENVELOPE or SELECT → GET RESPONSE for the data
 * that goes with the warning, the warning kept.  A 91XX is passed up as
 * the proactive hook once the job that saw it is done.
 */
#ifndef MODEM_EMU_SIM_LINK_H
#define MODEM_EMU_SIM_LINK_H

#include "modem-emu.h"

struct me_apdu_res {
	const GError *error;         /* no answer (link down, timeout) */
	uint16_t sw;
	const uint8_t *data;
	size_t len;
};
typedef void (*me_apdu_cb)(const struct me_apdu_res *res, void *user);

struct me_sim_ops {
	void (*present)(void *user);                 /* link up, card powered, ATR in m->card */
	void (*gone)(void *user, const char *why);   /* link down (was present) */
	void (*proactive)(void *user, unsigned len); /* the card announced a command (91XX) */
};

struct me_sim *me_sim_new(struct me_modem *m, const struct me_sim_ops *ops, void *user);
void me_sim_free(struct me_sim *s);
/* Inserted (connect, start the child if needed) / removed (the link dropped). */
void me_sim_set_inserted(struct me_sim *s, bool inserted);
bool me_sim_up(const struct me_sim *s);
/* PID of the uicc-emu child, or 0. */
int me_sim_child_pid(const struct me_sim *s);
/* How many uicc-emu children were started (one per attempt). */
unsigned me_sim_child_starts(const struct me_sim *s);

/* One command APDU as ISO/IEC 7816-4 writes it with a T=0 P3 (case 1: P3 = 00). */
void me_sim_apdu(struct me_sim *s, const uint8_t *apdu, size_t len, me_apdu_cb cb, void *user);

enum me_file_op {
	ME_FILE_INFO,            /* SELECT, FCP */
	ME_FILE_READ_BINARY,
	ME_FILE_READ_RECORD,
	ME_FILE_UPDATE_BINARY,
	ME_FILE_UPDATE_RECORD,
};

#define ME_PATH_MAX 8

struct me_file_req {
	enum me_file_op op;
	/* from the MF (3F00 not included); the last FID is the file; depth 0: the MF */
	uint16_t path[ME_PATH_MAX];
	unsigned depth;
	uint16_t offset;         /* binary */
	uint16_t length;         /* binary: 0 = to the end; record: 0 = the EF's record length */
	uint8_t record;
	const uint8_t *data;     /* updates (copied) */
	size_t data_len;
};

struct me_file_res {
	const GError *error;
	uint16_t sw;             /* of the step that ended the operation */
	const uint8_t *fcp;
	size_t fcp_len;
	const uint8_t *data;
	size_t len;
};
typedef void (*me_file_cb)(const struct me_file_res *res, void *user);

void me_sim_file(struct me_sim *s, const struct me_file_req *req, me_file_cb cb, void *user);

/* ---- sim-files.c: the few card formats the firmware reads ---------------------------------- */

/* TS 102 221 §11.1.1.3: the parts of an FCP the firmware uses. */
struct me_fcp {
	uint8_t fdb;                 /* 82 */
	uint16_t record_len;
	uint8_t n_records;
	bool has_fid;
	uint16_t fid;                /* 83 */
	uint32_t file_size;          /* 80 */
	bool has_pin_status;         /* C6 */
	uint8_t ps_do[4];            /* 90: enabled bits, one per key reference in order */
	size_t ps_do_len;
	uint8_t keyrefs[8];          /* 83 inside C6, in order */
	size_t n_keyrefs;
	bool has_arr;
	uint16_t arr_fid;            /* 8B */
	uint8_t arr_record;
	uint8_t raw_len;
};
bool me_fcp_parse(const uint8_t *p, size_t len, struct me_fcp *out);
/* The PS_DO bit of key reference keyref: 1 enabled, 0 disabled, -1 not listed. */
int me_fcp_pin_enabled(const struct me_fcp *f, uint8_t keyref);
bool me_fcp_is_df(const struct me_fcp *f);
bool me_fcp_is_record(const struct me_fcp *f);
bool me_fcp_is_cyclic(const struct me_fcp *f);

/* TS 102 221 §13.2 EF_ICCID, TS 31.102 §4.2.2 EF_IMSI: swapped BCD digits. */
bool me_ef_iccid_decode(const uint8_t *p, size_t len, char out[21]);
bool me_ef_imsi_decode(const uint8_t *p, size_t len, char out[16]);
/* TS 31.102 §4.2.26 EF_MSISDN record: "+digits" or "digits", "" when empty. */
bool me_ef_msisdn_decode(const uint8_t *rec, size_t len, char *out, size_t cap);
/* TS 31.102 §4.2.27 EF_SMSP record: the TS-Service Centre Address if present. */
bool me_ef_smsp_sca(const uint8_t *rec, size_t len, struct simota_sms_address *out);

#endif
