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
};
const struct simota_card_applet *simota_card_applet_find(const char *name);

/* TS 101 220 Annex D: what a TAR is allocated to, or NULL if it is free for our own applets. */
const char *simota_card_tar_reserved(const uint8_t tar[3]);

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
