/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small ME (handset) simulator in front of a real uicc-emu card, for the
 * ota-test-server tests and its benchmark.  It does what a handset does with
 * an SMS-PP download, over uicc_card_transmit() APDUs:
 *
 *   SMS-DELIVER from the network
 *     -> ENVELOPE SMS-PP DOWNLOAD (TS 31.111 §7.1.1.2, built with libsimota's
 *        CAT envelope encoder), GET RESPONSE after 61XX / 9FXX
 *     -> DELIVER-REPORT to the network (simota_sms_pp_download_result(),
 *        TS 31.111 §7.1.1.1: RP-ACK / RP-ERROR with the card's data)
 *     -> while the card says 91XX: FETCH (TS 102 221 §10.2.1.1) and run the
 *        proactive command (TS 102 223 §6.4): SEND SHORT MESSAGE goes up as an
 *        SMS-SUBMIT; DISPLAY TEXT, GET INKEY, GET INPUT and SELECT ITEM are
 *        shown to a scripted user whose answer becomes the TERMINAL RESPONSE
 *        (libsimota's CAT response encoder); anything else is answered
 *        "command beyond terminal's capabilities".
 *
 * The ME is single-threaded and runs in the thread-default GLib main
 * context (the user's delayed answers are timeouts there).  Nothing goes
 * back into the caller synchronously except through the uplink callbacks;
 * a test that feeds them to the engine must defer (idle) as a link would.
 *
 * The card's own view is recorded for the tests: its keyset counter after
 * each change (uicc_ota_counter()), and every packet it refused (the OTA
 * entity's "refused: PoR status XX" log line, captured while this ME talks
 * to it).
 */
#ifndef ME_SIM_H
#define ME_SIM_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card/card.h"
#include "emu-card.h"
#include "simota/card_config.h"

/* What the ME sends to the network; the test routes it (engine in process, or netsim). */
struct me_sim_uplink {
	/* DELIVER-REPORT of SMS msg_id (RP-ACK / RP-ERROR with its cause, TPDU may be empty) */
	void (*report)(void *user, uint32_t msg_id, bool rp_error, uint8_t rp_cause,
		       const uint8_t *tpdu, size_t len);
	/* SMS-SUBMIT (SEND SHORT MESSAGE of the card: a PoR by SMS-SUBMIT or an MG) */
	void (*submit)(void *user, const uint8_t *tpdu, size_t len);
	void *user;
};

#define ME_SIM_MANUAL (-1)

/* The scripted user in front of the screen. */
struct me_sim_user {
	int delay_ms;          /* answer this long after the command is shown; ME_SIM_MANUAL: only
				* when the test calls me_sim_user_answer() */
	uint8_t general;       /* TS 102 223 §8.12: 00 done, 10 end session, 11 back, 12 no response */
	const char *input;     /* GET INPUT text; GET INKEY (not yes/no): its first character */
	uint8_t item;          /* SELECT ITEM: item identifier (0: OK on the default item, which
				* is the first item when the command names none) */
	bool yes;              /* GET INKEY yes/no */
};

struct me_sim {
	struct simota_card_config *cfg;
	struct uicc_card *card;
	char *state_path;
	struct me_sim_uplink up;
	struct me_sim_user user;
	bool gsm;              /* 2G ME: class A0, GET RESPONSE after 9FXX */
	bool android_report;   /* DELIVER-REPORT first octet 00 always, as Android's UsimDataDownloadHandler
				* writes it (else TP-UDHI as simota_sms_pp_download_result() says) */
	uint8_t kvn;           /* the keyset whose counter is watched (the config's first) */

	/* what the ME did */
	unsigned envelopes, reports, rp_errors, fetches, terminal_responses, submits;
	unsigned reports_udhi;             /* DELIVER-REPORTs sent with TP-UDHI 1 */
	unsigned shown;                    /* commands shown to the user */
	uint8_t shown_type;                /* the last one's type (SIMOTA_CAT_DISPLAY_TEXT ...) */
	char shown_text[256];              /* its text (SELECT ITEM: alpha identifier) */
	unsigned shown_items;              /* SELECT ITEM: number of items */
	uint8_t shown_default;             /* SELECT ITEM: its Item identifier (the default), 0: none */

	/* the card's side */
	GArray *counters;                  /* uint64_t: keyset counter after each change */
	uint64_t counter;                  /* its current value */
	unsigned refusals;                 /* packets refused by the card's OTA entity */
	uint8_t last_refusal;              /* its PoR status */
	GPtrArray *card_log;               /* the card's log lines (uicc-ota, uicc-deferred) */

	/* private */
	void *pending;                     /* the command shown (raw bytes), awaiting the user */
	GSource *answer_source;            /* the user's answer, in the thread-default context */
};

/*
 * A card from its config file, its state in state_path (created if absent;
 * an existing one is the same card after a power cycle), and the ME
 * switched on: TERMINAL PROFILE (every facility supported).
 */
struct me_sim *me_sim_new(const char *ini_path, const char *state_path,
			  const struct me_sim_uplink *up, GError **error);
/* The same with an already parsed config (taken over: freed with the ME). */
struct me_sim *me_sim_new_with_config(struct simota_card_config *cfg, const char *state_path,
				      const struct me_sim_uplink *up, GError **error);
/*
 * The benchmarks' many cards: a copy of tmpl with this ICCID and MSISDN
 * (tmpl stays the caller's), its state in state_path.
 */
struct me_sim *me_sim_new_copy(const struct simota_card_config *tmpl, const char *iccid,
			       const char *msisdn, const char *state_path,
			       const struct me_sim_uplink *up, GError **error);
void me_sim_free(struct me_sim *me);

/* An SMS-DELIVER from the network (SMS msg_id), handled at once. */
void me_sim_deliver(struct me_sim *me, uint32_t msg_id, const uint8_t *tpdu, size_t len);

/* The user answers the command on the screen now (with me->user); false if none is shown. */
bool me_sim_user_answer(struct me_sim *me);

/* Every counter change went up (the card never moved its counter back). */
bool me_sim_counters_increasing(const struct me_sim *me);

/* A card log line containing this text was seen. */
bool me_sim_card_logged(const struct me_sim *me, const char *text);

#endif
