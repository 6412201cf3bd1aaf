/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card uicc-emu runs: card/ (files, PINs, CAT runtime) with the parts
 * put on every card: the OTA receiving entity (ota/), then one applet
 * instance per [tar] of the config whose applet= names a kind below
 * (applets/).  The daemon, the tests, the benchmarks and a modem emulator
 * whose SIM is a uicc-emu card all create their cards here.
 *
 * A new applet kind is one row in emu-card.c's table: its name as the
 * config writes it and a function attaching one instance for one [tar].
 * A part of every card that is not bound to a TAR (a toolkit menu) is one
 * row in the parts table.
 */
#ifndef UICC_EMU_CARD_H
#define UICC_EMU_CARD_H

#include <glib.h>
#include <stdbool.h>

#include "card/card.h"
#include "simota/card_config.h"

/* An applet the card can host, by its name in a card config's [tar] applet=. */
struct uicc_applet_kind {
	const char *name;                 /* "deferred" */
	/* One instance for tc; it registers as "<name>@<tar>" (uicc_ota_instance_name()). */
	bool (*attach)(struct uicc_card *card, const struct simota_card_tar *tc, GError **error);
};

/* The kind named so, NULL if this build has none (that TAR's packets then get PoR status 09). */
const struct uicc_applet_kind *uicc_emu_applet_kind(const char *name);

/* uicc_card_new() with uicc-emu's parts. */
struct uicc_card *uicc_emu_card_new(const struct simota_card_config *cfg, const char *state_path, GError **error);

#endif
