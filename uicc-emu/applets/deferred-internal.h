/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the deferred applet: one instance, its durable store, its proactive sessions. */
#ifndef UICC_DEFERRED_INTERNAL_H
#define UICC_DEFERRED_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gio/gio.h>

#include "simota/deferred.h"

#include "applets/deferred.h"
#include "card/card-access.h"
#include "simota/card_config.h"

#define DEFERRED_MSG_MAX 255          /* one message in a PoR / envelope response */
#define DEFERRED_C1_MAX 4096

struct deferred_chooser;

struct deferred_applet {
	struct uicc_card *card;
	struct uicc_toolkit *tk;
	struct uicc_card_state *state;
	const struct simota_card_tar *tc;
	struct uicc_tk_applet *applet;
	char prefix[24];                  /* "deferred defe01 " */
	GList *sessions;                  /* struct deferred_session *, awaiting their TR */
	struct deferred_chooser *chooser; /* the menu's SELECT ITEM of pending requests, awaiting its TR */
};

/* A stored C1 decoded (msg points into raw). */
struct deferred_c1 {
	uint8_t raw[DEFERRED_C1_MAX];
	struct simota_deferred_msg msg;
};

/* deferred-store.c: transactions in the card state */
enum deferred_stored {
	DEFERRED_STORED_NONE,
	DEFERRED_STORED_PENDING,
	DEFERRED_STORED_DONE,
	DEFERRED_STORED_EXPIRED,
};

enum deferred_stored deferred_store_get(struct deferred_applet *app, uint32_t txid);
unsigned deferred_store_count(struct deferred_applet *app);
/* The R2S stored with a done transaction. */
bool deferred_store_r2s(struct deferred_applet *app, uint32_t txid, uint8_t *out, size_t cap, size_t *len);
bool deferred_store_c1(struct deferred_applet *app, uint32_t txid, uint8_t *out, size_t cap, size_t *len);
/* Each commits the card state; false if the commit failed (the change is undone). */
bool deferred_store_add(struct deferred_applet *app, uint32_t txid, const uint8_t *c1, size_t len);
bool deferred_store_done(struct deferred_applet *app, uint32_t txid, const uint8_t *r2s, size_t len);
bool deferred_store_expire(struct deferred_applet *app, uint32_t txid);
bool deferred_store_release(struct deferred_applet *app, uint32_t txid);
/* Pending transactions (g_free). */
uint32_t *deferred_store_pending(struct deferred_applet *app, size_t *n);
/* The stored C1 of a transaction, decoded; false if there is none or it does not decode as a C1. */
bool deferred_store_load_c1(struct deferred_applet *app, uint32_t txid, struct deferred_c1 *out);
/* Pending transactions whose session is not running: nobody has answered them (g_free). */
uint32_t *deferred_unanswered(struct deferred_applet *app, size_t *n);

/* deferred-menu.c: the applet's menu item, "Pending requests" */
void deferred_menu_selection(struct deferred_applet *app, struct uicc_tk_invocation *inv);
/* Card freed: a chooser awaiting its TR forgets the applet. */
void deferred_menu_detach(struct deferred_applet *app);

/* deferred-session.c: the proactive session of a transaction */
/* Queues the command for C1 m (TS 102 223 §6.4); false if it cannot be built or queued. */
bool deferred_session_start(struct deferred_applet *app, struct uicc_tk_invocation *inv,
			    const struct simota_deferred_msg *c1);
/* True if the command can be built (checked before the C1 is stored). */
bool deferred_session_buildable(struct deferred_applet *app, const struct simota_deferred_msg *c1);
bool deferred_session_running(struct deferred_applet *app, uint32_t txid);
/* Card freed: outstanding sessions forget their applet. */
void deferred_sessions_detach(struct deferred_applet *app);
/* Where the MG goes: the C1's SV1 address, else the TAR's mg-address. */
bool deferred_mg_address(struct deferred_applet *app, const struct simota_deferred_msg *c1,
			 struct simota_sms_address *out);

#endif
