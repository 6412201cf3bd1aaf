/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one fake card of the plugin's unit tests: a UICC transport
 * (plugin/card/uicc.h) that answers either from a script of the exchanges a
 * test expects, in order, or from an answer function (a card with a
 * behaviour: misbehaving, announcing proactive commands, disagreeing with
 * itself).  Like a real transport: answers and the ATR come from the main
 * loop; a command not answered within its bounded wait fails with
 * SB_CARD_ERROR_TIMEOUT and the card is reported lost; a card taken out
 * fails the command on the wire and is reported lost.  Every command is
 * recorded as it went on the wire.  Plus the few steps every session test
 * takes: send one command and wait for its answer.
 */
#ifndef STKBRIDGE_FAKE_CARD_H
#define STKBRIDGE_FAKE_CARD_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card/apdu-session.h"
#include "card/uicc.h"

struct fake_step {
	const char *command;          /* the TPDU expected on the wire, hex */
	const char *answer;           /* hex; NULL: never answered (the command's wait runs out) */
};

struct fake_card;
struct fake_pending;

/* The answer (data and SW1 SW2) to one command; the card takes it.  NULL: never answered. */
typedef GByteArray *(*fake_answer_fn)(struct fake_card *c, const uint8_t *apdu, size_t len);

struct fake_card {
	struct sb_uicc base;
	const struct fake_step *steps;
	size_t n_steps, pos;
	bool mismatch;                /* a command the script did not expect */
	fake_answer_fn answer;
	void *user;                   /* the answer function's state */
	unsigned commands, fetches;
	GPtrArray *wire;              /* every command as sent, lowercase hex */
	const char *atr;              /* hex, what power_on answers (a default T=0 ATR) */
	bool absent;                  /* power_on fails: no card */
	bool powered;
	bool link_down;               /* removed, or its wait ran out: commands fail until the next power on */
	bool destroyed;               /* freed by its owner (sb_uicc_free) */
	struct fake_pending *pending; /* the command on the wire */
};

/* A card on protocol that answers steps in order (fake_card_done() checks they all happened); returns c's transport. */
struct sb_uicc *fake_card_init_script(struct fake_card *c, enum sb_uicc_protocol protocol,
				      const struct fake_step *steps, size_t n);
/* A T=0 card whose answers come from answer (user for its state); returns c's transport. */
struct sb_uicc *fake_card_init_answer(struct fake_card *c, fake_answer_fn answer, void *user);
/* Asserts the script was followed to its end. */
void fake_card_done(const struct fake_card *c);
void fake_card_clear(struct fake_card *c);
/* The card leaves: the command on the wire fails (SB_CARD_ERROR_ABSENT), then the owner hears it is lost. */
void fake_card_remove(struct fake_card *c);

/* Bytes for an answer function: hex, or a buffer. */
GByteArray *fake_answer_hex(const char *hex);
GByteArray *fake_answer_bytes(const uint8_t *p, size_t n);

/* The outcome of one command through the APDU session. */
struct fake_result {
	bool done;
	GError *err;
	uint16_t sw;
	GByteArray *data;
	unsigned proactive;           /* length the last 91XX announced (fake_result_proactive_cb) */
};

/* An sb_apdu_cb filling a struct fake_result. */
void fake_result_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user);
/* An sb_apdu_proactive_cb noting the announced length in a struct fake_result. */
void fake_result_proactive_cb(unsigned len, void *user);
/* Sends one command (hex) through s and runs the main loop until it is answered. */
void fake_exchange(struct sb_apdu_session *s, const char *hex, struct fake_result *r);
/* Waits until r is done (for a command sent some other way). */
void fake_result_wait(struct fake_result *r);
/* Asserts the data is hex. */
void fake_result_data(const struct fake_result *r, const char *hex);
void fake_result_clear(struct fake_result *r);
/* Runs what the main loop has ready. */
void fake_drain(void);

#endif
