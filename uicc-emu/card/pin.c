/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PIN1 (key reference 01, the USIM application PIN / CHV1) and PIN2 (81 /
 * CHV2): values, retry counters, enabled state, kept in the card state so
 * that counters survive a reset or a kill (TS 102 221 §9.5, TS 51.011 §11),
 * and the access conditions they satisfy.
 */
#include <stdio.h>
#include <string.h>

#include "card/card-internal.h"

#define STATE_GROUP_PIN "pin"
#define DEFAULT_PIN1 "0000"          /* config without pin: PIN1 disabled, this value */
#define DEFAULT_PIN2 "5678"
#define DEFAULT_PUK2 "87654321"

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

void uicc_pin_init(struct uicc_card *card)
{
	const struct simota_card_config *cfg = card->cfg;

	memset(&card->pin1, 0, sizeof(card->pin1));
	card->pin1.ref = 0x01;
	card->pin1.name = "pin1";
	pad(cfg->pin[0] ? cfg->pin : DEFAULT_PIN1, card->pin1.value);
	pad(cfg->puk, card->pin1.puk);
	card->pin1.tries = UICC_PIN_TRIES;
	card->pin1.puk_tries = UICC_PUK_TRIES;
	card->pin1.enabled = cfg->pin[0] != 0;
	load(card, &card->pin1);

	memset(&card->pin2, 0, sizeof(card->pin2));
	card->pin2.ref = 0x81;
	card->pin2.name = "pin2";
	pad(DEFAULT_PIN2, card->pin2.value);
	pad(DEFAULT_PUK2, card->pin2.puk);
	card->pin2.tries = UICC_PIN_TRIES;
	card->pin2.puk_tries = UICC_PUK_TRIES;
	card->pin2.enabled = true;
	load(card, &card->pin2);
}

struct uicc_pin *uicc_pin_by_ref(struct uicc_card *card, uint8_t ref)
{
	if (ref == card->pin1.ref)
		return &card->pin1;
	if (ref == card->pin2.ref)
		return &card->pin2;
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

bool uicc_ac_ok(struct uicc_card *card, enum uicc_ac ac)
{
	switch (ac) {
	case UICC_AC_ALW:
		return true;
	case UICC_AC_PIN1:
		return !card->pin1.enabled || card->pin1.verified;
	case UICC_AC_PIN2:
		return !card->pin2.enabled || card->pin2.verified;
	default:
		return false;
	}
}
