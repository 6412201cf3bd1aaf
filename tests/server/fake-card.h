/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A software stand-in for the card and its handset in the server tests:
 * the OTA receiving entity (libsimota's simota_ota_receive_command, counter
 * "higher"), the deferred applet's protocol (doc/protocol.md §5) and the
 * ME's answer (DELIVER-REPORT with the PoR, or SMS-SUBMIT).  The user's
 * answer and the failures (lost reports, corrupted PoRs) are driven by the
 * test.  Counters seen are recorded so a test can prove none was reused.
 */
#ifndef FAKE_CARD_H
#define FAKE_CARD_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/card-config.h"
#include "simota/deferred.h"
#include "simota/sms.h"

#define FAKE_MAX_TX 8

struct fake_tx {
	uint32_t txid;
	bool used, answered, released;
	enum simota_deferred_action action;
	uint8_t general;
	char answer[64];
	uint8_t item;
};

/* What the ME sends back up; the test routes it (engine or netsim). */
struct fake_uplink {
	/* DELIVER-REPORT for msg_id: rp_error, TPDU */
	void (*report)(void *user, uint32_t msg_id, bool rp_error, const uint8_t *tpdu, size_t len);
	/* SMS-SUBMIT TPDU */
	void (*submit)(void *user, const uint8_t *tpdu, size_t len);
	void *user;
};

struct fake_card {
	struct uicc_card_config *cfg;
	struct simota_ota_crypto *crypto;
	struct simota_ota_key *kic, *kid;      /* keyset 1 */
	uint64_t counter;
	GArray *counters;                       /* uint64_t, every accepted CNTR */
	struct fake_tx tx[FAKE_MAX_TX];
	struct fake_uplink up;
	char sv1_address[24];

	/* behaviour */
	struct simota_deferred_rq ir_rq;        /* the IR's RQ */
	bool auto_answer;                       /* the user answers right after C1 */
	bool send_mg;                           /* MG when the answer is stored */
	unsigned drop_c2_reports;               /* lose this many R2S of C2 */
	unsigned drop_c1_reports;               /* lose this many PoRs of C1 */
	bool corrupt_next_por;                  /* flip a CC byte once */
	unsigned c1s, c2s, releases, mgs;       /* commands seen */
	unsigned pors_refused;                  /* status != 00 sent */
};

struct fake_card *fake_card_new(const char *ini_path, const struct fake_uplink *up);
void fake_card_free(struct fake_card *c);
/* An SMS-DELIVER from the network for msg_id. */
void fake_card_deliver(struct fake_card *c, uint32_t msg_id, const uint8_t *tpdu, size_t len);
/* The user answers the transaction (general result; text/item for the action). */
void fake_card_user_answers(struct fake_card *c, uint32_t txid, uint8_t general,
			    const char *text, uint8_t item);
/* Every accepted counter strictly above the previous one? */
bool fake_card_counters_increasing(const struct fake_card *c);

#endif
