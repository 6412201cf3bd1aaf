/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card tests' fixture and exchange helper: a card from a config text
 * (files in a temp dir), and one APDU checked against an expected answer.
 */
#ifndef UICC_CARD_SUPPORT_H
#define UICC_CARD_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "card/card.h"
#include "simota/card_config.h"
#include "uicc-ota-support.h"

/* A card of uicc-ota-support.h with shorter names. */
struct fixture {
	struct simota_card_config *cfg;
	struct uicc_card *card;
	char *state;
	struct ots_card ots;
};

/* The card of config text ini (uicc-emu's parts), a fresh state file (ots_card_open). */
void card_fixture_open(struct fixture *f, const char *ini);
/* Frees the card (its state file stays) and makes it again: a power cycle / restart. */
void card_fixture_reopen(struct fixture *f);
void card_fixture_close(struct fixture *f);
/* The temp dir the fixtures use (removed at exit). */
const char *card_fixture_dir(void);

/*
 * Sends capdu (hex, spaces ignored) and checks the answer: expect is "SW"
 * (no data), "DATA SW" (spaces in DATA ignored), "PREFIX* SW" (data that
 * starts so) or "* SW" (any data); "??" in SW matches any byte.  A mismatch is printed with file and line and
 * fails the test.  Returns the response data (g_free), its length in *out_len.
 */
uint8_t *card_xchg_at(const char *file, int line, struct uicc_card *card, const char *capdu_hex,
		      const char *expect, size_t *out_len);

#define XCHG(card, c, e) g_free(card_xchg_at(__FILE__, __LINE__, (card), (c), (e), NULL))
#define XCHG_DATA(card, c, e, len) card_xchg_at(__FILE__, __LINE__, (card), (c), (e), (len))

#endif
