/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The parts and applet kinds of uicc-emu's card (emu-card.h). */
#define G_LOG_DOMAIN "uicc-emu"

#include <string.h>

#include "applets/deferred.h"
#include "applets/menu.h"
#include "applets/rfm.h"
#include "card/card-access.h"
#include "emu-card.h"
#include "ota/ota.h"

static const struct uicc_applet_kind applet_kinds[] = {
	{ "deferred", uicc_deferred_attach },      /* doc/protocol.md */
	{ "rfm", uicc_rfm_attach },                /* TS 102 226, doc/rfm.md */
};

const struct uicc_applet_kind *uicc_emu_applet_kind(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(applet_kinds); i++)
		if (strcmp(applet_kinds[i].name, name) == 0)
			return &applet_kinds[i];
	return NULL;
}

/* One instance per [tar] whose applet this build knows. */
static bool attach_tar_applets(struct uicc_card *card, GError **error)
{
	const struct simota_card_config *cfg = uicc_card_config_of(card);

	for (unsigned i = 0; i < cfg->n_tars; i++) {
		const struct simota_card_tar *tc = &cfg->tars[i];
		const struct uicc_applet_kind *kind = uicc_emu_applet_kind(tc->applet);

		if (!kind) {
			g_debug("[tar %02x%02x%02x]: no applet \"%s\" in uicc-emu", tc->tar[0], tc->tar[1],
				tc->tar[2], tc->applet);
			continue;
		}
		if (!kind->attach(card, tc, error))
			return false;
	}
	return true;
}

/*
 * The OTA receiving entity first: it claims SMS-PP DOWNLOAD and calls the
 * applets; the menu last: its items may belong to an applet.
 */
static const struct uicc_card_part parts[] = {
	{ "ota", uicc_ota_attach },
	{ "applets", attach_tar_applets },
	{ "menu", uicc_menu_attach },              /* [menu], applets/menu.h */
};

struct uicc_card *uicc_emu_card_new(const struct simota_card_config *cfg, const char *state_path, GError **error)
{
	return uicc_card_new(cfg, state_path, parts, G_N_ELEMENTS(parts), error);
}
