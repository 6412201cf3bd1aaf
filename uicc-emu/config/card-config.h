/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One card's description, parsed from the card config file (a GKeyFile,
 * doc/card-config.md).  The same file is imported by ota-test-server.
 */
#ifndef UICC_CARD_CONFIG_H
#define UICC_CARD_CONFIG_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define UICC_MAX_KEYSETS 16
#define UICC_MAX_TARS 16
#define UICC_MAX_KEY_LEN 32

struct uicc_keyset_config {
	uint8_t kvn;                       /* [keyset N] */
	uint8_t kic, kid;                  /* header bytes as in the packet */
	uint8_t kic_key[UICC_MAX_KEY_LEN];
	size_t kic_key_len;
	uint8_t kid_key[UICC_MAX_KEY_LEN];
	size_t kid_key_len;
	uint64_t counter;                  /* initial value (live value: state file) */
};

enum uicc_applet_mode { UICC_MODE_DEFERRED, UICC_MODE_PRIOR_ART };

enum uicc_ir_kind { UICC_IR_NONE, UICC_IR_FIXED, UICC_IR_INDEFINITE, UICC_IR_EVENT };

struct uicc_tar_config {
	uint8_t tar[3];                    /* [tar b00001] */
	char applet[32];                   /* "deferred" */
	uint16_t keysets;                  /* bit k set: KVN k allowed */
	uint8_t min_security_level;        /* coded like SPI byte 1 (TS 102 226 MSL) */
	enum uicc_applet_mode mode;
	enum uicc_ir_kind ir;
	uint32_t ir_seconds;               /* for UICC_IR_FIXED */
	char mg_address[24];               /* "" = no MG */
	uint16_t spi;                      /* SPI the OTA server uses toward this TAR */
	unsigned capacity;                 /* stored transactions (default 8) */
};

struct uicc_card_config {
	char *path;                        /* the file it came from */
	char iccid[21];                    /* 19-20 digits */
	char imsi[16];
	char msisdn[24];
	char pin[9];                       /* "" = PIN disabled */
	char puk[9];
	char spn[17];
	char smsc[24];                     /* EF_SMSP service centre address */
	uint8_t ust[16];                   /* EF_UST bytes (service 28 set by default) */
	size_t ust_len;
	struct uicc_keyset_config keysets[UICC_MAX_KEYSETS];
	unsigned n_keysets;
	struct uicc_tar_config tars[UICC_MAX_TARS];
	unsigned n_tars;
};

/* Parses a card config file; errors name the group and key. */
struct uicc_card_config *uicc_card_config_load(const char *path, GError **error);
void uicc_card_config_free(struct uicc_card_config *cfg);

const struct uicc_keyset_config *uicc_card_config_keyset(const struct uicc_card_config *cfg, uint8_t kvn);
const struct uicc_tar_config *uicc_card_config_tar(const struct uicc_card_config *cfg, const uint8_t tar[3]);

#endif
