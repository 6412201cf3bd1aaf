/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parts attached to every new card.  The OTA receiving entity (ota/)
 * and the applets (applets/) add their attach call here.
 */
#include "applets/deferred.h"
#include "card/card-access.h"
#include "ota/ota.h"

bool uicc_card_extensions_attach(struct uicc_card *card, GError **error)
{
	/* uicc-ota: the OTA receiving entity, then one deferred applet per [tar] applet=deferred */
	return uicc_ota_attach(card, error) && uicc_deferred_attach(card, error);
}
