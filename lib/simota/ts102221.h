/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ETSI TS 102 221 formats the card and the terminal both code:
 *  - the FCP template a SELECT / STATUS returns (§11.1.1.3), with the file
 *    descriptor byte (§11.1.1.4.3), the life cycle status (§11.1.1.4.9) and
 *    the PIN status template DO (§9.5.2, §11.1.1.4.10);
 *  - EF_ICCID (§13.2).
 * uicc-emu encodes them, the plugin decodes them.
 */
#ifndef SIMOTA_TS102221_H
#define SIMOTA_TS102221_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/bytes.h"

/* ---- file descriptor byte (§11.1.1.4.3, Table 11.5) -------------------- */

enum simota_fcp_structure {
	SIMOTA_FCP_TRANSPARENT,
	SIMOTA_FCP_LINEAR_FIXED,
	SIMOTA_FCP_CYCLIC,
	SIMOTA_FCP_BER_TLV,
	SIMOTA_FCP_DF,          /* DF or ADF */
	SIMOTA_FCP_OTHER,       /* RFU codings */
};

#define SIMOTA_FDB_SHAREABLE 0x40   /* b7 */
#define SIMOTA_FCP_DATA_CODING 0x21 /* the data coding byte TS 102 221 prescribes */

uint8_t simota_fcp_descriptor_byte(enum simota_fcp_structure s, bool shareable);
enum simota_fcp_structure simota_fcp_structure_of(uint8_t fdb);

/* ---- life cycle status integer (§11.1.1.4.9, ISO/IEC 7816-4 Table 13) --- */

#define SIMOTA_LCSI_CREATION 0x01
#define SIMOTA_LCSI_INITIALISATION 0x03
#define SIMOTA_LCSI_ACTIVATED 0x05      /* operational state, activated (07 too) */
#define SIMOTA_LCSI_DEACTIVATED 0x04    /* operational state, deactivated (06 too) */
#define SIMOTA_LCSI_TERMINATED 0x0C     /* 0C-0F */

/* Whether a file in this state may be used: not deactivated, not terminated. */
bool simota_lcsi_usable(uint8_t lcsi);

/* ---- PIN status template DO (§9.5.2) ------------------------------------ */

/* Key references (§9.5.1, Table 9.3). */
#define SIMOTA_KEYREF_PIN1 0x01
#define SIMOTA_KEYREF_UNIVERSAL_PIN 0x11
#define SIMOTA_KEYREF_PIN2 0x81
#define SIMOTA_KEYREF_ADM1 0x0A

#define SIMOTA_PIN_STATUS_MAX_KEYS 16
#define SIMOTA_USAGE_USER_VERIFICATION 0x08   /* usage qualifier 95: "use the PIN" */

struct simota_pin_status_key {
	uint8_t keyref;         /* 83 */
	bool enabled;           /* its bit in the PS_DO (90) */
	bool has_usage;
	uint8_t usage;          /* 95: the usage qualifier before the key reference */
};

struct simota_pin_status {
	uint8_t n_keys;
	struct simota_pin_status_key keys[SIMOTA_PIN_STATUS_MAX_KEYS];
};

/*
 * The value of the C6 DO: PS_DO (90) first, one bit per key reference that
 * follows, the first in b8 of its first byte; then [95 usage] 83 keyref per
 * key.  SIMOTA_ERR_BAD_TAG: 90 not first, another tag; BAD_LENGTH: a key
 * without its PS_DO bit, a key reference not 1 byte; NO_SPACE: > 16 keys.
 */
simota_err simota_pin_status_decode(const uint8_t *p, size_t len, struct simota_pin_status *out);
/* The whole C6 DO. */
simota_err simota_pin_status_encode(struct simota_writer *w, const struct simota_pin_status *in);
/* 1 enabled, 0 disabled, -1 when the template does not list keyref. */
int simota_pin_status_enabled(const struct simota_pin_status *ps, uint8_t keyref);

/* ---- FCP template (§11.1.1.3) -------------------------------------------- */

struct simota_fcp {
	uint8_t fdb;                    /* 82: file descriptor byte */
	uint8_t data_coding;            /* 82: data coding byte */
	uint16_t record_len;            /* 82: linear fixed and cyclic EFs */
	uint8_t n_records;
	bool has_fid;
	uint16_t fid;                   /* 83 */
	uint8_t df_name_len;            /* 84: an ADF's AID, 1-16 bytes */
	uint8_t df_name[16];
	bool has_uicc_characteristics;
	uint8_t uicc_characteristics;   /* A5 { 80 }: the MF's proprietary information (§11.1.1.4.6.1) */
	bool has_lcsi;
	uint8_t lcsi;                   /* 8A */
	bool has_arr;
	uint16_t arr_fid;               /* 8B, referenced format: EF_ARR and the record of the rule */
	uint8_t arr_record;
	bool has_pin_status;
	struct simota_pin_status pin_status;   /* C6: DFs and ADFs */
	bool has_file_size;
	uint32_t file_size;             /* 80: an EF's body */
	bool has_total_size;
	uint32_t total_size;            /* 81: a DF's files */
	bool has_sfi;
	uint8_t sfi;                    /* 88: 1-30; 0 with has_sfi: "88 00", no SFI (absent: the FID's low bits) */
};

/*
 * Decodes a SELECT response "62 L <FCP>", exactly one TLV.  Tags it does not
 * know are skipped; the proprietary A5 may hold anything.  Errors:
 * BAD_TAG (not 62), TRUNCATED / BAD_LENGTH (malformed TLVs, a field of the
 * wrong size), MISSING_VALUE (no 82; no 80 for a transparent, linear fixed
 * or cyclic EF), BAD_VALUE (a record EF with record length 0), DUPLICATE (a
 * tag it decodes seen twice).
 */
simota_err simota_fcp_decode(const uint8_t *p, size_t len, struct simota_fcp *out);

/* Encodes "62 L <FCP>", the tags in the order of Tables 11.3 / 11.4. */
simota_err simota_fcp_encode(const struct simota_fcp *in, uint8_t *out, size_t cap, size_t *out_len);

static inline enum simota_fcp_structure simota_fcp_structure(const struct simota_fcp *f)
{
	return simota_fcp_structure_of(f->fdb);
}

/* Usable unless its life cycle status says deactivated or terminated (absent: usable). */
bool simota_fcp_activated(const struct simota_fcp *f);

/*
 * Whether the PIN with key reference keyref is enabled, from the PIN status
 * template of a DF's FCP "62 L ...": 1 / 0, or -1 when the FCP does not
 * decode, has no template, or the template does not list keyref.
 */
int simota_fcp_pin_enabled(const uint8_t *p, size_t len, uint8_t keyref);

/* ---- EF_ICCID (§13.2) ----------------------------------------------------- */

#define SIMOTA_EF_ICCID_LEN 10
#define SIMOTA_ICCID_MAX_DIGITS 20

/* 10 bytes of swapped BCD, F padded; iccid: 1-20 decimal digits. */
simota_err simota_ef_iccid_encode(const char *iccid, uint8_t out[SIMOTA_EF_ICCID_LEN]);
/* The digits up to the F filler (only F may follow it); out holds 21 chars. */
simota_err simota_ef_iccid_decode(const uint8_t *p, size_t len, char out[SIMOTA_ICCID_MAX_DIGITS + 1]);

#endif
