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

/* ---- file tree --------------------------------------------------------- */

enum uicc_file_kind { UICC_FILE_MF, UICC_FILE_DF, UICC_FILE_ADF, UICC_FILE_EF };
enum uicc_ef_structure { UICC_EF_TRANSPARENT, UICC_EF_LINEAR_FIXED, UICC_EF_CYCLIC };

/* Access conditions, TS 51.011 §9.3 levels mapped onto TS 102 221 key references. */
enum uicc_ac { UICC_AC_ALW, UICC_AC_PIN1, UICC_AC_PIN2, UICC_AC_ADM, UICC_AC_NEV };

struct uicc_file {
	uint16_t fid;
	enum uicc_file_kind kind;
	struct uicc_file *parent, *child, *next;
	/* ADF */
	uint8_t aid[16];
	size_t aid_len;
	/* EF */
	enum uicc_ef_structure structure;
	uint8_t sfi;                  /* 0: none */
	enum uicc_ac ac_read, ac_update;
	uint16_t size;                /* transparent: bytes; record EF: rec_len * n_rec */
	uint8_t rec_len, n_rec;
	uint8_t *data;
	struct uicc_file *link;       /* shares the content of another EF (DF_TELECOM/DF_GSM aliases) */
	char key[48];                 /* card-state key: the path, "3F00/7FF0/6F42" */
};

struct uicc_file *uicc_fs_new_df(struct uicc_file *parent, uint16_t fid, enum uicc_file_kind kind);
struct uicc_file *uicc_fs_transparent(struct uicc_file *parent, uint16_t fid, uint16_t size,
				      enum uicc_ac rd, enum uicc_ac upd, uint8_t sfi);
struct uicc_file *uicc_fs_records(struct uicc_file *parent, uint16_t fid, enum uicc_ef_structure st,
				  uint8_t rec_len, uint8_t n_rec, enum uicc_ac rd, enum uicc_ac upd, uint8_t sfi);
struct uicc_file *uicc_fs_alias(struct uicc_file *parent, uint16_t fid, struct uicc_file *target);
void uicc_fs_free(struct uicc_file *mf);

/* The EF whose bytes a read/write goes to (follows an alias). */
struct uicc_file *uicc_fs_content(struct uicc_file *ef);
void uicc_fs_set(struct uicc_file *ef, const uint8_t *p, size_t len);          /* transparent, from 0 */
void uicc_fs_set_record(struct uicc_file *ef, unsigned rec, const uint8_t *p, size_t len); /* 1-based, FF padded */
uint8_t *uicc_fs_record(struct uicc_file *ef, unsigned rec);                    /* 1-based */

struct uicc_file *uicc_fs_child(const struct uicc_file *df, uint16_t fid);
struct uicc_file *uicc_fs_child_sfi(const struct uicc_file *df, uint8_t sfi);
bool uicc_fs_is_df(const struct uicc_file *f);
unsigned uicc_fs_count(const struct uicc_file *df, bool dfs);

/* FCP template (TS 102 221 §11.1.1.3); returns its length. */
size_t uicc_fs_fcp(struct uicc_card *card, const struct uicc_file *f, uint8_t *out, size_t cap);
/* GSM SELECT response (TS 51.011 §9.2.1). */
size_t uicc_fs_gsm_response(struct uicc_card *card, const struct uicc_file *f, uint8_t *out, size_t cap);

/* Persistence of EF contents: load overrides from the state, save one EF. */
void uicc_fs_load(struct uicc_card *card, struct uicc_file *mf);
void uicc_fs_save(struct uicc_card *card, struct uicc_file *ef);

/* Builds the default file system from the config (fs-default.c). */
struct uicc_file *uicc_fs_build_default(const struct simota_card_config *cfg, struct uicc_file **adf_usim);

/* ---- PINs ------------------------------------------------------------- */

#define UICC_PIN_TRIES 3
#define UICC_PUK_TRIES 10

struct uicc_pin {
	uint8_t ref;                  /* key reference: 01 PIN1 (application), 81 PIN2 */
	const char *name;             /* state key prefix */
	uint8_t value[8], puk[8];     /* FF padded (TS 102 221 §9.5.1) */
	unsigned tries, puk_tries;
	bool enabled, verified;
};

void uicc_pin_init(struct uicc_card *card);
struct uicc_pin *uicc_pin_by_ref(struct uicc_card *card, uint8_t ref);
bool uicc_pin_persist(struct uicc_card *card, struct uicc_pin *pin);
bool uicc_ac_ok(struct uicc_card *card, enum uicc_ac ac);

/* ---- channels, card ------------------------------------------------------ */

#define UICC_CHANNELS 4

struct uicc_channel {
	bool open;
	struct uicc_file *df, *ef;
	struct uicc_file *adf;        /* current application (7FFF) */
	unsigned record;              /* current record, 0 = none */
};

#define UICC_RESP_MAX 512

struct uicc_card {
	const struct simota_card_config *cfg;
	struct uicc_card_state *state;
	struct uicc_file *mf, *adf_usim;
	struct uicc_channel ch[UICC_CHANNELS];
	struct uicc_pin pin1, pin2;
	struct uicc_toolkit *tk;
	bool powered;
	bool commit_failed;
	/* T=0: response data kept for GET RESPONSE (TS 102 221 §12.1.1) */
	uint8_t resp[UICC_RESP_MAX];
	size_t resp_len, resp_off;
	uint16_t resp_sw;             /* status sent with the last part */
	int resp_channel;             /* -1: nothing available */
	bool resp_gsm;
};

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
uint16_t uicc_cmd_manage_channel(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);
uint16_t uicc_cmd_terminal_profile(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);
uint16_t uicc_cmd_envelope(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);
uint16_t uicc_cmd_fetch(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);
uint16_t uicc_cmd_terminal_response(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);

#endif
