/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An in-process southbound link between ota-test-server's engine and many
 * cards, for the engine's tests and benchmarks: each card is a uicc-emu
 * card behind a handset (me-sim.c), or a bare ICCID whose SMS the test
 * keeps (captured) and answers itself.  Messages both ways wait in one
 * queue drained in the main loop, as a real link's would: nothing reaches
 * the engine or a card synchronously from the other side.  Per card the
 * test may lose DELIVER-REPORTs or detach the device.
 */
#ifndef ME_LINK_H
#define ME_LINK_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "me-sim.h"
#include "transactions/engine.h"

struct me_link;

struct me_link_card {
	struct me_link *link;
	char iccid[21];
	struct me_sim *me;         /* NULL: the SMS are captured for the test */
	GPtrArray *captured;       /* GBytes: SMS-DELIVER TPDUs sent to a card without handset */
	GArray *captured_ids;      /* uint32_t: their SMS ids */
	unsigned delivers;         /* SMS taken for the card */
	unsigned drop_reports;     /* lose this many DELIVER-REPORTs */
	bool detached;             /* no device: the link refuses its SMS */
};

struct me_link *me_link_new(void);
/* Frees the cards and their handsets; what is still queued is dropped. */
void me_link_free(struct me_link *link);

/* The link serves this engine from now on (its southbound; again after a restart). */
void me_link_attach(struct me_link *link, struct ots_engine *engine);

/* A card on the link: captured SMS, until me_link_card_handset() gives it a handset. */
struct me_link_card *me_link_card_new(struct me_link *link, const char *iccid);
/* Its uicc-emu card from a card config file, its state in state_path, behind a handset. */
bool me_link_card_handset(struct me_link_card *card, const char *ini_path, const char *state_path,
			  GError **error);
struct me_link_card *me_link_card(struct me_link *link, const char *iccid);
/* Every card, in no order (call fn on each). */
void me_link_foreach(struct me_link *link, void (*fn)(struct me_link_card *card, void *user),
		     void *user);

/*
 * Runs the main loop (the link, the engine's timers) until done(user) says
 * so, at most ms; false when the time ran out first.
 */
bool me_link_run(bool (*done)(void *user), void *user, unsigned ms);

#endif
