/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parts attached to every new card.  The OTA receiving entity (ota/)
 * and the applets (applets/) add their attach call here.
 */
#include "card/card-access.h"

bool uicc_card_extensions_attach(struct uicc_card *card, GError **error)
{
	(void)card;
	(void)error;
	return true;
}
