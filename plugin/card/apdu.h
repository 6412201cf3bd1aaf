/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the card service's APDU implementation (apdu.c: the card's
 * bring-up, files, toolkit; apdu-pin.c: PINs): the card, and how a request
 * sends its commands through the APDU session (apdu-session.h).
 *
 * Commands are written as ISO/IEC 7816-4 §5.1 writes them, each with its
 * case: a command that returns data and takes data (SELECT with the FCP,
 * ENVELOPE) goes with Le = 00; the session makes the T=0 TPDU of it.
 */
#ifndef SB_CARD_APDU_H
#define SB_CARD_APDU_H

#include "card/apdu-session.h"
#include "card/card-impl.h"
#include "card/uicc.h"

#define SB_INS_SELECT 0xA4
#define SB_INS_VERIFY 0x20
#define SB_INS_CHANGE 0x24
#define SB_INS_DISABLE 0x26
#define SB_INS_ENABLE 0x28
#define SB_INS_UNBLOCK 0x2C

/* What the plugin knows of PIN1 on the card since its reset. */
struct apdu_pin1 {
	bool verified;              /* a VERIFY / UNBLOCK PIN of PIN1 with data answered 9000 since the reset */
	bool quirk_logged;          /* the card's disagreement was logged */
};

struct apdu_card {
	struct sb_card_service base;
	struct sb_uicc *uicc;
	struct sb_apdu_session *session;    /* while the card is powered */
	unsigned proactive_len;             /* of the command the last 91XX announced */
	struct apdu_pin1 pin1;
	uint8_t atr[64];
	size_t atr_len;
};

/* No Le (case 1 or 3). */
#define APDU_NO_LE (-1)

/*
 * Sends CLA INS P1 P2 [Lc data] [Le] for r (le: 0-255, 00 meaning 256, or
 * APDU_NO_LE); cb gets r.  next: right after the command whose callback this
 * is (a SELECT's command on the file it selected, TS 102 221 §8.4).  With
 * no card r fails (ABSENT).
 */
void apdu_send(struct apdu_card *a, struct sb_card_req *r, bool next, uint8_t cla, uint8_t ins, uint8_t p1,
	       uint8_t p2, const uint8_t *data, size_t lc, int le, sb_apdu_cb cb);

/* SELECT by path from the MF (TS 102 221 §11.1.1), the FCP returned or not; cb gets r. */
void apdu_select(struct apdu_card *a, struct sb_card_req *r, const struct sb_card_path *path, bool fcp,
		 sb_apdu_cb cb);

/* r failed: err, or the card could not be reached. */
void apdu_fail(struct sb_card_req *r, const GError *err);

/* apdu-pin.c */
void apdu_pin_state(struct sb_card_service *c, struct sb_card_req *r);
void apdu_pin_retries(struct sb_card_service *c, struct sb_card_req *r);
void apdu_pin_enabled(struct sb_card_service *c, struct sb_card_req *r);
void apdu_pin_command(struct sb_card_service *c, struct sb_card_req *r);

#endif
