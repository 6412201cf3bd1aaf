/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal interfaces of the stkbridge oFono plugin: one struct sb_modem
 * per configured modem, shared by the modem driver and its atom drivers.
 * Every symbol here is hidden (the module exports only ofono_plugin_desc).
 */
#ifndef SB_STKBRIDGE_H
#define SB_STKBRIDGE_H

#define OFONO_API_SUBJECT_TO_CHANGE
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include <ofono/log.h>

#include "config.h"
#include "atoms/pin-state.h"
#include "link/backoff.h"
#include "uicc/apdu-session.h"
#include "uicc/uicc.h"

struct ofono_modem;
struct ofono_sim;
struct ofono_stk;
struct ofono_sms;
struct ofono_netreg;
struct sb_net;
struct sb_stk;
struct sb_sms;
struct sb_netreg;

#define SB_DRIVER "stkbridge"

struct sb_modem {
	struct ofono_modem *modem;
	struct sb_modem_conf *conf;

	/* the card */
	struct sb_uicc *uicc;
	struct sb_apdu_session *session;    /* NULL while no card is up */
	bool card_ready;                     /* ATR, ADF selected, TERMINAL PROFILE sent */
	bool enabling;                       /* enable() waits for the first card attempt */
	bool powered;
	struct sb_backoff reconnect;         /* the card, again after a failure or a loss */
	char iccid[21];
	struct sb_pin1_card pin1;            /* what the plugin knows of PIN1 since the card's reset */

	/* atoms (NULL when absent) and their driver data */
	struct ofono_sim *sim;
	struct ofono_stk *stk;
	struct ofono_sms *sms;
	struct ofono_netreg *netreg;
	struct sb_stk *stk_data;
	struct sb_sms *sms_data;
	struct sb_netreg *netreg_data;

	/* proactive command announced by 91XX and not yet fetched */
	unsigned proactive_pending;

	GList *deferred;                     /* APDUs failed for lack of a card, reported from idle */

	/* the network */
	struct sb_net *net;
	bool online;
};

/* stkbridge.c: the configured modems */
extern const char *sb_config_path(void);

/* modem.c */
int sb_modem_driver_register(void);
void sb_modem_driver_unregister(void);
struct sb_modem *sb_modem_new(const struct sb_modem_conf *conf);
/* Sends an APDU to this modem's card (fails with SB_UICC_ERROR_ABSENT when there is none). */
void sb_modem_apdu(struct sb_modem *md, const void *owner, const uint8_t *apdu, size_t len, sb_apdu_cb cb,
		   void *user);
/* The same, ahead of the queue: from the callback of a SELECT, the command on the file it selected. */
void sb_modem_apdu_next(struct sb_modem *md, const void *owner, const uint8_t *apdu, size_t len, sb_apdu_cb cb,
			void *user);
/* Drops owner's queued requests (an atom going away): their callbacks never run. */
void sb_modem_cancel_owner(struct sb_modem *md, const void *owner);

/* atoms/sim.c */
int sb_sim_driver_register(void);
void sb_sim_driver_unregister(void);

/* atoms/stk.c */
int sb_stk_driver_register(void);
void sb_stk_driver_unregister(void);
/* The card announced a proactive command of len bytes (91XX): FETCH it when the stk atom is up. */
void sb_stk_proactive_pending(struct sb_modem *md, unsigned len);
/* Sends an ENVELOPE; cb gets the final SW and the response data. */
void sb_stk_envelope_raw(struct sb_modem *md, const void *owner, const uint8_t *data, size_t len,
			 sb_apdu_cb cb, void *user);

/* atoms/sms.c */
int sb_sms_driver_register(void);
void sb_sms_driver_unregister(void);

/* atoms/netreg.c */
int sb_netreg_driver_register(void);
void sb_netreg_driver_unregister(void);
void sb_netreg_link_changed(struct sb_modem *md);

#endif
