/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One libsimota crypto context (an OpenSSL library context with its
 * providers and fetched algorithms, simota_ota_crypto_new) for every card of
 * the process: it is the largest thing a card would otherwise carry (a
 * device farm holds many cards per process), and it holds no key.  Taken by
 * the first card that needs it, released with the last card; uicc-emu runs
 * its cards on one thread (the GLib main loop), as libsimota's contexts
 * require.
 */
#include "card/card-access.h"
#include "card/card-internal.h"
#include "simota/ota.h"

static struct simota_ota_crypto *shared;
static unsigned users;

static struct simota_ota_crypto *crypto_ref(void)
{
	if (!shared && simota_ota_crypto_new(&shared) != SIMOTA_OK)
		return NULL;
	users++;
	return shared;
}

static void crypto_unref(void)
{
	if (users && --users == 0) {
		simota_ota_crypto_free(shared);
		shared = NULL;
	}
}

struct simota_ota_crypto *uicc_card_crypto(struct uicc_card *card)
{
	if (!card->crypto)
		card->crypto = crypto_ref();
	return card->crypto;
}

void uicc_card_crypto_release(struct uicc_card *card)
{
	if (card->crypto)
		crypto_unref();
	card->crypto = NULL;
}
