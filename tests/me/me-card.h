/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ME's side of the card interface, over uicc_card_transmit(): what a
 * handset sends to its UICC for SIM Toolkit and SMS-PP data download.  One
 * module for every simulated ME of the tree: the unit tests' step-by-step
 * ME (tests/unit/uicc-ota-support.c), the server tests' handset
 * (tests/server/me-sim.c) and the benchmarks.
 *
 * cla: 0x80 for a UICC (TS 102 221), 0xA0 for a GSM SIM (TS 51.011);
 * CAT commands use it as it is, GET RESPONSE uses its channel bits with
 * class 00 (A0 on a SIM).  Every function returns the final SW1SW2.
 */
#ifndef ME_CARD_H
#define ME_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card/card.h"
#include "simota/cat.h"
#include "simota/sms.h"

#define ME_CLA_UICC 0x80
#define ME_CLA_GSM  0xA0

/* One APDU; up to cap bytes of response data into out (the excess is dropped, as an ME
 * that asked for less would), their number into *out_len (out and out_len may be NULL). */
uint16_t me_card_apdu(struct uicc_card *card, const uint8_t *capdu, size_t len, uint8_t *out,
		      size_t cap, size_t *out_len);

/* TS 102 221 §11.2.1 TERMINAL PROFILE of len bytes, every facility supported (FF). */
uint16_t me_card_terminal_profile(struct uicc_card *card, uint8_t cla, size_t len);

/*
 * TS 102 221 §10.1.1 ENVELOPE (case 4 under T=0): 61XX (UICC) or 9FXX (SIM)
 * announce the response data, GET RESPONSE (§12.1.1) fetches it, 6CXX
 * corrects its Le; 62XX/63XX (9EXX) are warnings whose data is fetched the
 * same way and stay the answer.  Returns the SW the network is told about
 * (TS 31.111 §7.1.1.1); *proactive (may be NULL) the length of a pending
 * proactive command (91XX after the exchange), else 0.
 */
uint16_t me_card_envelope(struct uicc_card *card, uint8_t cla, const uint8_t *env, size_t len,
			  uint8_t *resp, size_t cap, size_t *resp_len, uint8_t *proactive);

/* TS 102 221 §10.2.1.1 FETCH of the proactive command of this length. */
uint16_t me_card_fetch(struct uicc_card *card, uint8_t cla, uint8_t len, uint8_t *out, size_t cap,
		       size_t *out_len);

/* TS 102 221 §10.2.1.3 TERMINAL RESPONSE of these bytes (at most 255). */
uint16_t me_card_terminal_response(struct uicc_card *card, uint8_t cla, const uint8_t *tr, size_t len);

/* TS 102 223 §6.8: the response skeleton to cmd (its details, terminal -> UICC, the result; g_free). */
struct simota_cat_msg *me_card_response_new(const struct simota_cat_msg *cmd, uint8_t general);

/*
 * TS 31.111 §7.1.1.2: the ENVELOPE SMS-PP DOWNLOAD (D1) of an SMS-DELIVER
 * from oa with this user data, PID 7F (USIM data download), DCS F6 (class 2,
 * 8-bit) and a fixed SCTS, as a network delivers an OTA command packet.
 */
simota_err me_card_sms_pp_download(const struct simota_sms_address *oa, const struct simota_sms_ud *ud,
				   uint8_t *env, size_t cap, size_t *env_len);

#endif
