/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One card's description, parsed from the card config file (a GKeyFile,
 * doc/card-config.md).  The same file is imported by ota-test-server.
 */
#ifndef SIMOTA_CARD_CONFIG_H
#define SIMOTA_CARD_CONFIG_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define SIMOTA_CARD_MAX_KEYSETS 16
#define SIMOTA_CARD_MAX_TARS 16
#define SIMOTA_CARD_MAX_KEY_LEN 32

struct simota_card_keyset {
	uint8_t kvn;                       /* [keyset N] */
	uint8_t kic, kid;                  /* header bytes as in the packet */
	uint8_t kic_key[SIMOTA_CARD_MAX_KEY_LEN];
	size_t kic_key_len;
	uint8_t kid_key[SIMOTA_CARD_MAX_KEY_LEN];
	size_t kid_key_len;
	uint64_t counter;                  /* initial value (live value: state file) */
};

enum simota_card_applet_mode { SIMOTA_CARD_MODE_DEFERRED, SIMOTA_CARD_MODE_PRIOR_ART };

enum simota_card_ir_kind { SIMOTA_CARD_IR_NONE, SIMOTA_CARD_IR_FIXED, SIMOTA_CARD_IR_INDEFINITE, SIMOTA_CARD_IR_EVENT };

/* The file system an RFM applet works on (TS 102 226 §5, TS 31.116, TS 101 220 Annex D). */
enum simota_card_rfm_df {
	SIMOTA_CARD_RFM_DF_NONE = 0,       /* not an RFM TAR */
	SIMOTA_CARD_RFM_DF_MF,             /* the UICC shared file system (TAR b00000) */
	SIMOTA_CARD_RFM_DF_GSM,            /* SIM RFM: DF_GSM, CLA A0 (b00010-b0001f) */
	SIMOTA_CARD_RFM_DF_ADF_USIM,       /* USIM RFM: ADF.USIM (b00001) */
};

/*
 * The access conditions an RFM applet holds (TS 102 226 §8.2.1.3.2.4.2,
 * "UICC access mechanism"): a file whose rule asks for one of these key
 * references is open to the applet's script; NEVER stays closed.
 */
#define SIMOTA_CARD_ACCESS_PIN1 0x01u
#define SIMOTA_CARD_ACCESS_PIN2 0x02u
#define SIMOTA_CARD_ACCESS_ADM1 0x04u
#define SIMOTA_CARD_ACCESS_FULL 0x07u      /* "full": every condition but NEVER */

struct simota_card_tar {
	uint8_t tar[3];                    /* [tar defe01] */
	char applet[32];                   /* "deferred" */
	uint16_t keysets;                  /* bit k set: KVN k allowed */
	uint8_t min_security_level;        /* coded like SPI byte 1 (TS 102 226 MSL) */
	enum simota_card_applet_mode mode;
	enum simota_card_ir_kind ir;
	uint32_t ir_seconds;               /* for SIMOTA_CARD_IR_FIXED */
	char mg_address[24];               /* "" = no MG */
	uint16_t spi;                      /* SPI the OTA server uses toward this TAR */
	unsigned capacity;                 /* stored transactions (default 8) */
	/* applet=rfm: rfm-df=, access= */
	enum simota_card_rfm_df rfm_df;
	uint8_t rfm_access;                /* SIMOTA_CARD_ACCESS_* bits */
};

/* ---- [menu] and [menu-item N]: the toolkit menu (doc/card-config.md "Menu") ---- */

#define SIMOTA_CARD_MAX_MENU_ITEMS 16
#define SIMOTA_CARD_MAX_MENU_STEPS 8
#define SIMOTA_CARD_MAX_SELECT_OPTIONS 8

enum simota_card_menu_step_kind {
	SIMOTA_CARD_STEP_DISPLAY,          /* display:TEXT        DISPLAY TEXT */
	SIMOTA_CARD_STEP_INPUT,            /* input:PROMPT        GET INPUT, the answer is $N */
	SIMOTA_CARD_STEP_SELECT,           /* select:TITLE|A|B... SELECT ITEM, the chosen text is $N */
};

/* Allocated to the size the config gives (a card config exists per emulated card). */
struct simota_card_menu_step {
	enum simota_card_menu_step_kind kind;
	char *text;                        /* may hold $1..$8: the answers of earlier steps */
	char **options;                    /* select: n_options texts */
	unsigned n_options;
};

struct simota_card_menu_item {
	uint8_t id;                        /* [menu-item N]: the item identifier, TS 102 223 §8.9 */
	char *text;
	char *help;                        /* NULL: no help text */
	char *applet;                      /* "deferred@defe01": the item goes to that applet instance */
	struct simota_card_menu_step *steps;
	unsigned n_steps;                  /* a scripted session when applet is NULL */
};

struct simota_card_menu {
	char *title;
	struct simota_card_menu_item *items;
	unsigned n_items;                  /* in item identifier order */
};

struct simota_card_config {
	char *path;                        /* the file it came from */
	char iccid[21];                    /* 19-20 digits */
	char imsi[16];
	char msisdn[24];
	char pin[9];                       /* "" = PIN disabled */
	char puk[9];
	char spn[17];
	char smsc[24];                     /* EF_SMSP service centre address */
	char link[8];                      /* the OTA server's link to the card: "netsim", "smpp"; "" = its choice */
	uint8_t ust[16];                   /* EF_UST bytes (service 28 set by default) */
	size_t ust_len;
	char pin2[9];                      /* PIN2 (CHV2), always enabled */
	char puk2[9];
	bool has_adm1;
	uint8_t adm1[8];                   /* ADM1 (key reference 0A) as VERIFY sends it; secret */
	/* Milenage (TS 35.206) for AUTHENTICATE (TS 31.102 §7.1.2); k, opc and op are secrets */
	bool has_milenage;
	uint8_t k[16];
	uint8_t opc[16];                   /* OPc, or OP when op_given (OPc computed by the card) */
	bool op_given;
	uint8_t amf[2];                    /* the AMF a network puts in AUTN for this card */
	uint64_t sqn;                      /* SQN_MS of a new card (TS 33.102 Annex C); live value: state */
	struct simota_card_menu *menu;     /* NULL: no [menu] */
	struct simota_card_keyset keysets[SIMOTA_CARD_MAX_KEYSETS];
	unsigned n_keysets;
	struct simota_card_tar tars[SIMOTA_CARD_MAX_TARS];
	unsigned n_tars;
	/*
	 * Not errors, but what the operator should hear about (an applet of
	 * ours on a TAR of TS 101 220 Annex D), each naming the file, group and
	 * key; strings, g_free.  The program that loads the config logs them.
	 */
	GPtrArray *warnings;
};

/*
 * Parses the text of a card config file (doc/card-config.md); errors name the
 * file (name), the group and the key, never a key's value.  Pure: reading the
 * file is the caller's job.
 */
struct simota_card_config *simota_card_config_parse(const char *name, const char *text, size_t len,
						    GError **error);
/* An empty config (no path, no warnings yet), as the server's JSON import fills it. */
struct simota_card_config *simota_card_config_new(void);
/* A deep copy (path and warnings copied too). */
struct simota_card_config *simota_card_config_dup(const struct simota_card_config *cfg);
void simota_card_config_free(struct simota_card_config *cfg);

const struct simota_card_keyset *simota_card_config_keyset(const struct simota_card_config *cfg, uint8_t kvn);
const struct simota_card_tar *simota_card_config_tar(const struct simota_card_config *cfg, const uint8_t tar[3]);

/* A value of [card] link= (the OTA server's southbound links): "netsim", "smpp". */
bool simota_card_link_valid(const char *name);

/* "deferred" / "prior-art" (the [tar] key mode). */
const char *simota_card_mode_name(enum simota_card_applet_mode mode);
bool simota_card_mode_from_name(const char *name, enum simota_card_applet_mode *out);

/*
 * ---- The checks every card config passes, whether it comes from a file
 * (simota_card_config_parse) or from ota-test-server's JSON API ----
 *
 * On failure *key is the offending key ("kid-key", "applet", ...) and *why
 * (g_free) the reason; the caller names the file/input and group.  Key
 * values never appear in a reason.
 */

/* An applet a [tar] may name: one uicc-emu provides (doc/card-config.md "Applets"). */
struct simota_card_applet {
	const char *name;
	/*
	 * A standard applet (RFM, RAM) whose place is on the TARs TS 101 220
	 * Annex D allocates; false for our own applets, which stay off them.
	 */
	bool standard;
	/* It answers a menu item ([menu-item N] applet=<name>@<tar>). */
	bool menu;
};
const struct simota_card_applet *simota_card_applet_find(const char *name);

/* TS 101 220 Annex D: what a TAR is allocated to, or NULL if it is free for our own applets. */
const char *simota_card_tar_reserved(const uint8_t tar[3]);

/* TS 101 220 Annex D: the file system of the standard RFM TAR (NONE for any other TAR). */
enum simota_card_rfm_df simota_card_rfm_df_of_tar(const uint8_t tar[3]);
/* "mf", "df-gsm", "adf-usim" (the [tar] key rfm-df); NULL for NONE. */
const char *simota_card_rfm_df_name(enum simota_card_rfm_df df);
bool simota_card_rfm_df_from_name(const char *name, enum simota_card_rfm_df *out);

/*
 * A keyset: KIc and KID carry its KVN and name no reserved algorithm
 * (TS 102 225 §5.1.2, §5.1.3); each key has the length that algorithm
 * takes and is no 3DES key that degenerates to single DES
 * (simota_ota_key_check()).
 */
bool simota_card_keyset_check(const struct simota_card_keyset *ks, const char **key, char **why);
/*
 * A TAR of cfg: a known applet, at least one keyset, each of them in cfg.
 * *warning (g_free; NULL if none) when an applet of ours sits on a TAR
 * that TS 101 220 Annex D reserves: not an error, the card still works.
 */
bool simota_card_tar_check(const struct simota_card_config *cfg, const struct simota_card_tar *tc,
			   const char **key, char **why, char **warning);

#endif
