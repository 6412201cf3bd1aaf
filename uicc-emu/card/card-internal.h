/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the card: file tree, channels, PINs, the command handlers' contract. */
#ifndef UICC_CARD_INTERNAL_H
#define UICC_CARD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card/card.h"
#include "state/card-state.h"
#include "toolkit/toolkit.h"

/* ---- status words: TS 102 221 §10.2.1, TS 51.011 §9.4 ---------------- */
#define SW_OK                  0x9000
#define SW_TOOLKIT_BUSY        0x9300
#define SW_WARN_NO_INFO        0x6200
#define SW_WRONG_LENGTH        0x6700
#define SW_LOGICAL_CHANNEL     0x6881   /* logical channel not supported */
#define SW_SECURE_MESSAGING    0x6882
#define SW_INCOMPATIBLE_FILE   0x6981   /* command incompatible with file structure */
#define SW_SECURITY            0x6982   /* security status not satisfied */
#define SW_PIN_BLOCKED         0x6983   /* authentication/PIN method blocked */
#define SW_DATA_INVALIDATED    0x6984   /* referenced data invalidated */
#define SW_CONDITIONS          0x6985   /* conditions of use not satisfied */
#define SW_NO_EF               0x6986   /* command not allowed (no EF selected) */
#define SW_BAD_DATA            0x6A80   /* incorrect parameters in the data field */
#define SW_FUNC_NOT_SUPPORTED  0x6A81
#define SW_FILE_NOT_FOUND      0x6A82
#define SW_RECORD_NOT_FOUND    0x6A83
#define SW_BAD_P1P2            0x6A86
#define SW_REF_NOT_FOUND       0x6A88
#define SW_WRONG_P1P2          0x6B00
#define SW_BAD_INS             0x6D00
#define SW_BAD_CLA             0x6E00
#define SW_TECH_PROBLEM        0x6F00

#define SW_SEARCH_FAILED       0x6282   /* end of record reached: unsuccessful search */
#define SW_FILE_DEACTIVATED    0x6283   /* selected file invalidated (a warning of SELECT) */
#define SW_MEMORY              0x6581
#define SW_MAX_VALUE           0x9850   /* INCREASE: max value reached */
#define SW_AUTH_MAC            0x9862   /* AUTHENTICATE: incorrect MAC (TS 31.102 §7.3) */

/* TS 51.011 §9.4 (CLA A0) */
#define SW_GSM_MEMORY          0x9240
#define SW_GSM_NO_EF           0x9400
#define SW_GSM_OUT_OF_RANGE    0x9402
#define SW_GSM_NOT_FOUND       0x9404
#define SW_GSM_INCONSISTENT    0x9408
#define SW_GSM_NO_CHV          0x9802
#define SW_GSM_ACCESS          0x9804   /* access condition not fulfilled / wrong CHV, tries left */
#define SW_GSM_CHV_STATUS      0x9808   /* in contradiction with CHV status */
#define SW_GSM_INVALIDATION    0x9810
#define SW_GSM_BLOCKED         0x9840

struct uicc_apdu;

/* ---- access rules: TS 102 221 §9.2.5, §9.5.1 --------------------------- */

/* The condition of one access mode: always, a key reference (PIN1 01, PIN2 81, ADM1 0A), never. */
enum uicc_ac { UICC_AC_ALW, UICC_AC_PIN1, UICC_AC_PIN2, UICC_AC_ADM1, UICC_AC_NEV };

/*
 * Access modes (ISO/IEC 7816-4 §5.4.3.2 AM byte: b1 READ/SEARCH, b2 UPDATE,
 * b4 DEACTIVATE, b5 ACTIVATE; INCREASE as the command AM_DO 84 32, TS 102 221
 * §9.2.5).
 */
enum uicc_am { UICC_AM_READ, UICC_AM_UPDATE, UICC_AM_INCREASE, UICC_AM_DEACTIVATE, UICC_AM_ACTIVATE,
	       UICC_AM_COUNT };

struct uicc_access_rule {
	enum uicc_ac ac[UICC_AM_COUNT];
};

/* EF_ARR of the MF (aliased by ADF.USIM's EF_ARR): record n holds rule n - 1 (fs-default.c). */
const struct uicc_access_rule *uicc_access_rule(unsigned record);
unsigned uicc_access_rules_count(void);
/* TS 102 221 §9.2.5 expanded format: the access rule record n as EF_ARR holds it; its length. */
size_t uicc_access_rule_encode(unsigned record, uint8_t *out, size_t cap);

/* ---- file tree --------------------------------------------------------- */

/*
 * The file tree is a skeleton shared by every card of the process whose
 * config gives the files the same sizes (fs.c): FIDs, structure, sizes,
 * access rules, links.  What belongs to one card - the bytes of its EFs,
 * which of them are deactivated - is the card's, by file index; an EF's
 * bytes exist once the card uses them (its default contents from the
 * config, then the state file's), so an idle card holds none.
 */
enum uicc_file_kind { UICC_FILE_MF, UICC_FILE_DF, UICC_FILE_ADF, UICC_FILE_EF };
enum uicc_ef_structure { UICC_EF_TRANSPARENT, UICC_EF_LINEAR_FIXED, UICC_EF_CYCLIC };

struct uicc_file {
	uint16_t fid;
	uint16_t index;               /* into the card's per-file arrays */
	enum uicc_file_kind kind;
	struct uicc_file *parent, *child, *next;
	uint8_t arr;                  /* access rule: record of EF_ARR (TS 102 221 §11.1.1.4.7.3) */
	/* ADF */
	const uint8_t *aid;
	size_t aid_len;
	/* EF */
	enum uicc_ef_structure structure;
	uint8_t sfi;                  /* 0: none */
	uint16_t size;                /* transparent: bytes; record EF: rec_len * n_rec */
	uint8_t rec_len, n_rec;
	struct uicc_file *link;       /* shares the content of another EF (DF_TELECOM/DF_GSM aliases) */
	const void *desc;             /* where its first contents come from (fs-default.c) */
	char key[48];                 /* card-state key: the path, "3F00/7FF0/6F42" */
};

/* A skeleton (fs.c). */
struct uicc_fs {
	unsigned users;
	struct uicc_file *mf, *adf_usim;
	unsigned n_files;
	struct uicc_file **files;     /* by index */
};

/* Building a skeleton (fs-default.c, from its tables). */
struct uicc_file *uicc_fs_new_df(struct uicc_fs *fs, struct uicc_file *parent, uint16_t fid,
				 enum uicc_file_kind kind, uint8_t arr);
struct uicc_file *uicc_fs_new_ef(struct uicc_fs *fs, struct uicc_file *parent, uint16_t fid,
				 enum uicc_ef_structure st, uint16_t size, uint8_t rec_len, uint8_t n_rec,
				 uint8_t arr, uint8_t sfi, const void *desc);
struct uicc_file *uicc_fs_alias(struct uicc_fs *fs, struct uicc_file *parent, uint16_t fid,
				struct uicc_file *target);
/* The file whose key is key ("3F00/7FF0/6F3C"), NULL if none. */
struct uicc_file *uicc_fs_find_key(struct uicc_fs *fs, const char *key);

/* The process's skeleton for this config (built if none fits yet); released with the card. */
struct uicc_fs *uicc_fs_ref(const struct simota_card_config *cfg);
void uicc_fs_unref(struct uicc_fs *fs);
/* fs-default.c: builds the skeleton of the default file set for cfg's sizes. */
struct uicc_fs *uicc_fs_build_default(const struct simota_card_config *cfg);
/* fs-default.c: whether fs has the sizes cfg gives the files. */
bool uicc_fs_fits(const struct uicc_fs *fs, const struct simota_card_config *cfg);
/* fs-default.c: writes the first contents of EF f (f->size bytes, FF where nothing is given). */
void uicc_fs_default_content(const struct simota_card_config *cfg, const struct uicc_file *f, uint8_t *out);

/* The EF whose bytes a read/write goes to (follows an alias). */
struct uicc_file *uicc_fs_content(struct uicc_file *ef);
/* The card's bytes of EF f (its content EF), made from the config and the state at first use. */
uint8_t *uicc_fs_data(struct uicc_card *card, struct uicc_file *f);
/* Record rec (1-based) of f in the card, NULL if there is none. */
uint8_t *uicc_fs_record(struct uicc_card *card, struct uicc_file *f, unsigned rec);
bool uicc_fs_deactivated(const struct uicc_card *card, struct uicc_file *f);
void uicc_fs_set_deactivated(struct uicc_card *card, struct uicc_file *f, bool deactivated);

struct uicc_file *uicc_fs_child(const struct uicc_file *df, uint16_t fid);
struct uicc_file *uicc_fs_child_sfi(const struct uicc_file *df, uint8_t sfi);
bool uicc_fs_is_df(const struct uicc_file *f);
unsigned uicc_fs_count(const struct uicc_file *df, bool dfs);

/* FCP template (TS 102 221 §11.1.1.3); returns its length. */
size_t uicc_fs_fcp(struct uicc_card *card, const struct uicc_file *f, uint8_t *out, size_t cap);
/* GSM SELECT response (TS 51.011 §9.2.1). */
size_t uicc_fs_gsm_response(struct uicc_card *card, const struct uicc_file *f, uint8_t *out, size_t cap);

/*
 * TS 102 223 §8.18: f's full path from the MF (3F00, the DFs, 7FFF for
 * ADF.USIM, f's own FID); its length, 0 if it does not fit cap.
 */
size_t uicc_fs_path(const struct uicc_file *f, uint8_t *out, size_t cap);

/* The card's per-file arrays, deactivations from the state (card creation); freed with the card. */
void uicc_fs_card_init(struct uicc_card *card);
void uicc_fs_card_free(struct uicc_card *card);
/* Stages an EF's bytes / a file's life cycle in the state; uicc_card_commit() makes them durable. */
void uicc_fs_save(struct uicc_card *card, struct uicc_file *ef);

/* ---- PINs ------------------------------------------------------------- */

#define UICC_PIN_TRIES 3
#define UICC_PUK_TRIES 10

struct uicc_pin {
	uint8_t ref;                  /* key reference: 01 PIN1 (application), 81 PIN2, 0A ADM1 */
	uint8_t bit;                  /* its SIMOTA_CARD_ACCESS_* bit */
	const char *name;             /* state key prefix */
	uint8_t value[8], puk[8];     /* FF padded (TS 102 221 §9.5.1) */
	bool has_puk;                 /* ADM1 has none */
	bool configured;              /* ADM1 without adm1= in the config: not there */
	unsigned tries, puk_tries;
	bool enabled;
};

void uicc_pin_init(struct uicc_card *card);
struct uicc_pin *uicc_pin_by_ref(struct uicc_card *card, uint8_t ref);
bool uicc_pin_persist(struct uicc_card *card, struct uicc_pin *pin);

/* ---- contexts: channels, security state, GET RESPONSE ------------------- */

#define UICC_CHANNELS 4

struct uicc_channel {
	bool open;
	struct uicc_file *df, *ef;
	struct uicc_file *adf;        /* current application (7FFF) */
	unsigned record;              /* current record, 0 = none */
};

#define UICC_RESP_MAX 512

/* which classes an instruction is valid in (TS 102 221 Table 10.5) */
#define UICC_CLASS_0X 0x1
#define UICC_CLASS_8X 0x2
#define UICC_CLASS_A0 0x4

/*
 * The EFs an RFM script changed (contents or life cycle), by content EF
 * (an alias's changes are its target's): what the REFRESH the card owes the
 * terminal names (TS 102 223 §6.4.7).
 */
#define UICC_CHANGES_MAX 32

struct uicc_changes {
	struct uicc_file *files[UICC_CHANGES_MAX];
	unsigned n;
	bool overflow;                /* more files than that changed */
};

/* Notes that f's contents or life cycle changed in the current context (kept by RFM contexts only). */
void uicc_context_note_change(struct uicc_card *card, struct uicc_file *f);

/*
 * Who sends the commands: the ME (its logical channels, the PINs it
 * verified), or an RFM applet running a script (TS 102 226 §5: a selection
 * and security context of its own, one channel, the access conditions its
 * TAR holds, a restricted set of commands).
 */
struct uicc_context {
	struct uicc_channel ch[UICC_CHANNELS];
	unsigned n_channels;          /* RFM: 1, the CLA's channel bits are not looked at */
	uint8_t verified;             /* SIMOTA_CARD_ACCESS_* verified in this context */
	uint8_t granted;              /* SIMOTA_CARD_ACCESS_* held without VERIFY (an RFM TAR's access=) */
	uint8_t classes;              /* UICC_CLASS_* accepted */
	bool rfm;                     /* only the commands of TS 102 226 §5 (card.c) */
	struct uicc_changes *changes; /* RFM: what the script changed; NULL for the ME */
	/* T=0: response data kept for GET RESPONSE (TS 102 221 §12.1.1) */
	uint8_t resp[UICC_RESP_MAX];
	size_t resp_len, resp_off;
	uint16_t resp_sw;             /* status sent with the last part */
	int resp_channel;             /* -1: nothing available */
	bool resp_gsm;
};

struct uicc_card {
	const struct simota_card_config *cfg;
	struct uicc_card_state *state;
	struct uicc_fs *fs;           /* the shared skeleton */
	struct uicc_file *mf, *adf_usim;
	uint8_t **ef_data;            /* by file index: the EF's bytes once used, else NULL */
	uint8_t *deactivated;         /* by file index */
	struct uicc_context me;       /* the ME's */
	struct uicc_context *cur;     /* the context of the command being run */
	struct uicc_pin pin1, pin2, adm1;
	struct uicc_toolkit *tk;
	struct simota_ota_crypto *crypto;   /* the process's, once a part needs it (crypto.c) */
	bool powered;
};

/* Whether the current context satisfies the condition (access.c). */
bool uicc_ac_ok(struct uicc_card *card, enum uicc_ac ac);
/*
 * TS 102 221 §9.2.5: may the current context use this access mode on f?
 * SW_OK, or the status word: 69 82 (security status not satisfied; 98 04 in
 * the GSM class), 69 84 for a deactivated file (98 10).
 */
uint16_t uicc_access_check(struct uicc_card *card, const struct uicc_apdu *a, const struct uicc_file *f,
			   enum uicc_am am);

/* A parsed command APDU (ISO/IEC 7816-3 §12.1 T=0 TPDU or short APDU). */
struct uicc_apdu {
	uint8_t cla, ins, p1, p2;
	bool has_p3;
	uint8_t p3;
	const uint8_t *body;          /* bytes after P3 */
	size_t body_len;
	uint8_t channel;
	bool gsm;                     /* CLA A0 */
};

/* What a handler answers. */
struct uicc_out {
	uint8_t data[UICC_RESP_MAX];
	size_t len;
	bool deferred;                /* case 4: data via GET RESPONSE (61XX / 9FXX) */
	uint16_t sw;
};

/* apdu.c */
bool uicc_apdu_parse(const uint8_t *p, size_t len, struct uicc_apdu *a);
/* Case 1: no data, no Le. */
bool uicc_apdu_case1(const struct uicc_apdu *a);
/* Case 2: Le (1-256); false if a data field is present. */
bool uicc_apdu_case2(const struct uicc_apdu *a, unsigned *le);
/* Case 3/4: data of length Lc = P3 (a trailing Le byte is tolerated when allow_le). */
bool uicc_apdu_data(const struct uicc_apdu *a, bool allow_le, const uint8_t **data, size_t *lc);

/* card.c */
bool uicc_card_commit(struct uicc_card *card);
/* 65 81 (92 40 in the GSM class): a change could not be made durable. */
uint16_t uicc_sw_memory(const struct uicc_apdu *a);
/* Case-2 answer with an exact-length rule: 6CXX (or 67XX for CLA A0) when le != len. */
uint16_t uicc_out_exact(const struct uicc_apdu *a, struct uicc_out *out, const uint8_t *p, size_t len, unsigned le);
uint16_t uicc_sw_wrong_le(const struct uicc_apdu *a, size_t correct);
struct uicc_channel *uicc_card_channel(struct uicc_card *card, const struct uicc_apdu *a);

/* Command families: each returns the status word and fills out. */
uint16_t uicc_cmd_select(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);
uint16_t uicc_cmd_status(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);
uint16_t uicc_cmd_read_binary(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);
uint16_t uicc_cmd_update_binary(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);
uint16_t uicc_cmd_read_record(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);
uint16_t uicc_cmd_update_record(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);
uint16_t uicc_cmd_pin(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);
uint16_t uicc_cmd_search_record(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);
uint16_t uicc_cmd_increase(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);
uint16_t uicc_cmd_deactivate(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);
uint16_t uicc_cmd_activate(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);
uint16_t uicc_cmd_authenticate(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);
uint16_t uicc_cmd_manage_channel(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);
uint16_t uicc_cmd_terminal_profile(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);
uint16_t uicc_cmd_envelope(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);
uint16_t uicc_cmd_fetch(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);
uint16_t uicc_cmd_terminal_response(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);

#endif
