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
#include "card/card.h"
#include "link/backoff.h"

struct ofono_modem;
struct ofono_sim;
struct ofono_stk;
struct ofono_sms;
struct ofono_netreg;
struct sb_net;
struct sb_sms;
struct sb_netreg;

#define SB_DRIVER "stkbridge"

struct sb_modem {
	struct ofono_modem *modem;
	struct sb_modem_conf *conf;

	/* the card, through the card service (card/card.h) */
	struct sb_card_service *card;
	bool card_ready;                     /* up, EF_ICCID read, terminal profile done */
	bool enabling;                       /* enable() waits for the first card attempt */
	bool powered;
	struct sb_backoff reconnect;         /* the card, again after a failure or a loss */
	char iccid[21];

	/* atoms (NULL when absent) and their driver data */
	struct ofono_sim *sim;
	struct ofono_stk *stk;
	struct ofono_sms *sms;
	struct ofono_netreg *netreg;
	struct sb_sms *sms_data;
	struct sb_netreg *netreg_data;

	/* the network */
	struct sb_net *net;
	bool online;

	/* a REFRESH "UICC Reset" to carry out (modem.c) */
	guint uicc_reset_id;
	GBytes *uicc_reset_cmd;
};

/* stkbridge.c: the configured modems */
extern const char *sb_config_path(void);

/* modem.c */
int sb_modem_driver_register(void);
void sb_modem_driver_unregister(void);
struct sb_modem *sb_modem_new(const struct sb_modem_conf *conf);
/* The card's REFRESH "UICC Reset" (cmd: the proactive command): the card is reset, oFono told. */
void sb_modem_uicc_reset(struct sb_modem *md, const uint8_t *cmd, size_t len);

/* atoms/sim.c */
int sb_sim_driver_register(void);
void sb_sim_driver_unregister(void);

/* atoms/stk.c */
int sb_stk_driver_register(void);
void sb_stk_driver_unregister(void);

/* atoms/sms.c */
int sb_sms_driver_register(void);
void sb_sms_driver_unregister(void);

/* atoms/netreg.c */
int sb_netreg_driver_register(void);
void sb_netreg_driver_unregister(void);
void sb_netreg_link_changed(struct sb_modem *md);

#endif
