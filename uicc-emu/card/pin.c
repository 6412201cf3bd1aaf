/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PIN1 (key reference 01, the USIM application PIN / CHV1), PIN2 (81 /
 * CHV2) and ADM1 (0A, the issuer's administrative key): values, retry
 * counters, enabled state, kept in the card state so that counters survive
 * a reset or a kill (TS 102 221 §9.5, TS 51.011 §11).  Which of them a
 * context has verified is the context's (card-internal.h).
 */
#include <stdio.h>
#include <string.h>

#include "card/card-internal.h"
#include "simota/card_config.h"

#define STATE_GROUP_PIN "pin"
#define DEFAULT_PIN1 "0000"          /* config without pin: PIN1 disabled, this value */

/* TS 102 221 §9.5.1: digits as ASCII, padded with FF to 8 bytes. */
static void pad(const char *s, uint8_t out[8])
{
	size_t n = strlen(s);

	memset(out, 0xFF, 8);
	memcpy(out, s, n < 8 ? n : 8);
}

static void key(char *buf, size_t cap, const struct uicc_pin *pin, const char *what)
{
	snprintf(buf, cap, "%s-%s", pin->name, what);
}

static void load(struct uicc_card *card, struct uicc_pin *pin)
{
	char k[32];
	uint64_t v;
	size_t len;
	uint8_t b[8];

	key(k, sizeof(k), pin, "value");
	if (uicc_card_state_get_bytes(card->state, STATE_GROUP_PIN, k, b, sizeof(b), &len) && len == 8)
		memcpy(pin->value, b, 8);
	key(k, sizeof(k), pin, "tries");
	if (uicc_card_state_get_u64(card->state, STATE_GROUP_PIN, k, &v) && v <= UICC_PIN_TRIES)
		pin->tries = (unsigned)v;
	key(k, sizeof(k), pin, "puk-tries");
	if (uicc_card_state_get_u64(card->state, STATE_GROUP_PIN, k, &v) && v <= UICC_PUK_TRIES)
		pin->puk_tries = (unsigned)v;
	key(k, sizeof(k), pin, "enabled");
	if (uicc_card_state_get_u64(card->state, STATE_GROUP_PIN, k, &v))
		pin->enabled = v != 0;
}

static void pin_new(struct uicc_pin *pin, uint8_t ref, uint8_t bit, const char *name)
{
	memset(pin, 0, sizeof(*pin));
	pin->ref = ref;
	pin->bit = bit;
	pin->name = name;
	pin->tries = UICC_PIN_TRIES;
	pin->puk_tries = UICC_PUK_TRIES;
	pin->enabled = true;
	pin->configured = true;
	pin->has_puk = true;
}

void uicc_pin_init(struct uicc_card *card)
{
	const struct simota_card_config *cfg = card->cfg;

	pin_new(&card->pin1, 0x01, SIMOTA_CARD_ACCESS_PIN1, "pin1");
	pad(cfg->pin[0] ? cfg->pin : DEFAULT_PIN1, card->pin1.value);
	pad(cfg->puk, card->pin1.puk);
	card->pin1.enabled = cfg->pin[0] != 0;
	load(card, &card->pin1);

	pin_new(&card->pin2, 0x81, SIMOTA_CARD_ACCESS_PIN2, "pin2");
	pad(cfg->pin2, card->pin2.value);
	pad(cfg->puk2, card->pin2.puk);
	load(card, &card->pin2);

	/* ADM1: no PUK; a card without adm1= has none to verify */
	pin_new(&card->adm1, 0x0A, SIMOTA_CARD_ACCESS_ADM1, "adm1");
	card->adm1.has_puk = false;
	card->adm1.puk_tries = 0;
	card->adm1.configured = cfg->has_adm1;
	memcpy(card->adm1.value, cfg->adm1, sizeof(card->adm1.value));
	load(card, &card->adm1);
}

struct uicc_pin *uicc_pin_by_ref(struct uicc_card *card, uint8_t ref)
{
	struct uicc_pin *pins[] = { &card->pin1, &card->pin2, &card->adm1 };

	for (size_t i = 0; i < G_N_ELEMENTS(pins); i++)
		if (pins[i]->ref == ref && pins[i]->configured)
			return pins[i];
	return NULL;
}

/* Stages the PIN's state and commits it; false if the commit failed. */
bool uicc_pin_persist(struct uicc_card *card, struct uicc_pin *pin)
{
	char k[32];

	key(k, sizeof(k), pin, "value");
	uicc_card_state_set_bytes(card->state, STATE_GROUP_PIN, k, pin->value, 8);
	key(k, sizeof(k), pin, "tries");
	uicc_card_state_set_u64(card->state, STATE_GROUP_PIN, k, pin->tries);
	key(k, sizeof(k), pin, "puk-tries");
	uicc_card_state_set_u64(card->state, STATE_GROUP_PIN, k, pin->puk_tries);
	key(k, sizeof(k), pin, "enabled");
	uicc_card_state_set_u64(card->state, STATE_GROUP_PIN, k, pin->enabled);
	return uicc_card_commit(card);
}
