/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers of the OTA and deferred-applet tests: a card from a config text,
 * the ME's side of SMS-PP DOWNLOAD / FETCH / TERMINAL RESPONSE over APDUs,
 * and the OTA server's side (command packets built with libsimota).
 */
#ifndef UICC_OTA_SUPPORT_H
#define UICC_OTA_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/cat.h"
#include "simota/ota.h"
#include "simota/sms.h"
#include "card/card.h"
#include "emu-card.h"
#include "simota/card_config.h"

struct ots_card {
	struct simota_card_config *cfg;
	struct uicc_card *card;
	char *ini, *state;
};

/* The temp dir of the cards' files (removed at exit). */
const char *ots_tmp_dir(void);
/* The card of config text ini (written to a temp dir, mode 0600). */
void ots_card_open(struct ots_card *c, const char *ini);
/*
 * The same, with the loaded config changed by patch before the card is
 * made: how a test binds a TAR to an applet of its own ("echo"), a name the
 * loader refuses because uicc-emu has no such applet, or gives a keyset a
 * published vector's key that the loader refuses (all-zero 3DES).
 */
typedef void (*ots_config_patch)(struct simota_card_config *cfg, void *data);
void ots_card_open_patched(struct ots_card *c, const char *ini, ots_config_patch patch, void *data);
/* A patch binding every TAR to the applet named by data. */
void ots_bind_applet(struct simota_card_config *cfg, void *applet_name);
/* Frees the card (the state file stays) and opens it again: a power cycle / restart. */
void ots_card_reopen(struct ots_card *c);
void ots_card_close(struct ots_card *c);

/* One APDU; returns SW, data into out. */
uint16_t ots_apdu(struct ots_card *c, const uint8_t *capdu, size_t len, uint8_t *out, size_t cap, size_t *out_len);
/* TERMINAL PROFILE (every byte FF: the terminal supports everything). */
void ots_profile(struct ots_card *c);

/* The address the test OTA server sends from: "12345678", TON unknown, ISDN (81). */
extern const struct simota_sms_address ots_oa;

/*
 * ENVELOPE SMS-PP DOWNLOAD (D1, TS 31.111 §7.1.1) of an SMS-DELIVER with
 * this user data, PID 7F, DCS F6; follows 61XX with GET RESPONSE.
 * Returns the final SW; *resp the response data.
 */
uint16_t ots_sms_pp(struct ots_card *c, const struct simota_sms_ud *ud, uint8_t *resp, size_t cap,
		    size_t *resp_len);
/*
 * A command packet (from CPL on) in as many SMS-PP as it needs (reference
 * ref); SWs of all but the last are checked to be 9000 with no data.
 */
uint16_t ots_send_packet(struct ots_card *c, const uint8_t *pkt, size_t len, uint8_t ref,
			 uint8_t *resp, size_t cap, size_t *resp_len);

/* Prepared keys from hex (NULL or "" → NULL key); alg from the KIc / KID byte. */
struct simota_ota_key *ots_key(enum simota_ota_alg alg, const char *hex);
struct simota_ota_key *ots_kic_key(uint8_t kic, const char *hex);
struct simota_ota_key *ots_kid_key(uint8_t kid, enum simota_ota_integrity integrity, const char *hex);

/* Command packet from CPL on (g_malloc). */
uint8_t *ots_wrap(uint16_t spi, uint8_t kic, uint8_t kid, const uint8_t tar[3], uint64_t cntr,
		  struct simota_ota_key *kic_key, struct simota_ota_key *kid_key,
		  const uint8_t *data, size_t len, size_t *out_len);

/* FETCH of the pending command (Le from the 91XX); returns SW. */
uint16_t ots_fetch(struct ots_card *c, uint8_t len, uint8_t *out, size_t cap, size_t *out_len);
/* TERMINAL RESPONSE; returns SW. */
uint16_t ots_terminal_response(struct ots_card *c, const uint8_t *tr, size_t len);
/* FETCH after the 91XX sw91: the proactive command, decoded and checked to be of type (g_free). */
struct simota_cat_msg *ots_fetch_command(struct ots_card *c, uint16_t sw91, uint8_t type);
/*
 * TERMINAL RESPONSE to cmd with this general result and answer: a text
 * (GET INPUT), an item identifier (SELECT ITEM, 0: none), yes/no (GET INKEY,
 * -1: none).  Returns the SW.
 */
uint16_t ots_answer(struct ots_card *c, const struct simota_cat_msg *cmd, uint8_t general, const char *text,
		    uint8_t item, int yes);

#endif
