/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VERIFY / CHANGE / DISABLE / ENABLE / UNBLOCK PIN (TS 102 221 §11.1.9 -
 * §11.1.13) and their GSM forms VERIFY / CHANGE / DISABLE / ENABLE /
 * UNBLOCK CHV (TS 51.011 §9.2.9 - §9.2.13), for PIN1, PIN2 and ADM1 (key
 * reference 0A in both classes, as issuers' tools send it).  Every counter
 * change is committed before the status word goes out; a verification
 * counts for the context that made it (the ME's, or an RFM script's).
 */
#include <string.h>

#include "card/card-internal.h"
#include "simota/card_config.h"

#define INS_VERIFY 0x20
#define INS_CHANGE 0x24
#define INS_DISABLE 0x26
#define INS_ENABLE 0x28
#define INS_UNBLOCK 0x2C

/* TS 102 221 §9.5.1: 4-8 ASCII digits, FF padded. */
static bool pin_format_ok(const uint8_t p[8])
{
	unsigned n = 0;

	while (n < 8 && p[n] >= '0' && p[n] <= '9')
		n++;
	for (unsigned i = n; i < 8; i++)
		if (p[i] != 0xFF)
			return false;
	return n >= 4;
}

/* Wrong code: counter down (committed), 63CX / 9804 / 9840. */
static uint16_t wrong_code(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_pin *pin, bool puk)
{
	unsigned *tries = puk ? &pin->puk_tries : &pin->tries;

	if (*tries)
		(*tries)--;
	if (!puk)
		c->cur->verified &= (uint8_t)~pin->bit;
	if (!uicc_pin_persist(c, pin))
		return uicc_sw_memory(a);
	if (a->gsm)
		return *tries ? SW_GSM_ACCESS : SW_GSM_BLOCKED;
	return (uint16_t)(0x63C0 | *tries);
}

static uint16_t sw_blocked(const struct uicc_apdu *a)
{
	return a->gsm ? SW_GSM_BLOCKED : SW_PIN_BLOCKED;
}

static uint16_t sw_pin_state(const struct uicc_apdu *a, bool for_change)
{
	if (a->gsm)
		return SW_GSM_CHV_STATUS;
	return for_change ? SW_DATA_INVALIDATED : SW_CONDITIONS;
}

/* Key reference from P2: TS 102 221 Table 9.3; TS 51.011: 01 CHV1, 02 CHV2 (UNBLOCK: 00 / 02); 0A ADM1. */
static struct uicc_pin *pin_from_p2(struct uicc_card *c, const struct uicc_apdu *a)
{
	if (!a->gsm || a->p2 == c->adm1.ref)
		return uicc_pin_by_ref(c, a->p2);
	if (a->ins == INS_UNBLOCK)
		return a->p2 == 0x00 ? &c->pin1 : a->p2 == 0x02 ? &c->pin2 : NULL;
	return a->p2 == 0x01 ? &c->pin1 : a->p2 == 0x02 ? &c->pin2 : NULL;
}

/* TS 102 221 §11.1.9 / §11.1.13: VERIFY or UNBLOCK without data asks for the counter. */
static uint16_t pin_query(struct uicc_card *c, const struct uicc_apdu *a, const struct uicc_pin *pin)
{
	if (a->ins == INS_UNBLOCK)
		return pin->has_puk ? (uint16_t)(0x63C0 | pin->puk_tries) : SW_REF_NOT_FOUND;
	if (!pin->enabled || (c->cur->verified & pin->bit))
		return SW_OK;
	return (uint16_t)(0x63C0 | pin->tries);
}

/* TS 102 221 §11.1.9 VERIFY PIN, TS 51.011 §9.2.9 VERIFY CHV */
static uint16_t verify(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_pin *pin, const uint8_t *data)
{
	if (a->gsm && !pin->enabled)
		return SW_GSM_CHV_STATUS;
	if (pin->tries == 0)
		return sw_blocked(a);
	if (memcmp(data, pin->value, 8))
		return wrong_code(c, a, pin, false);
	return SW_OK;
}

/* TS 102 221 §11.1.10 CHANGE PIN: old code, then the new one. */
static uint16_t change(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_pin *pin, const uint8_t *data)
{
	if (!pin->enabled)
		return sw_pin_state(a, true);
	if (pin->tries == 0)
		return sw_blocked(a);
	if (!pin_format_ok(data + 8))
		return a->gsm ? SW_GSM_ACCESS : SW_BAD_DATA;
	if (memcmp(data, pin->value, 8))
		return wrong_code(c, a, pin, false);
	memcpy(pin->value, data + 8, 8);
	return SW_OK;
}

/* TS 102 221 §11.1.11 / §11.1.12 DISABLE / ENABLE PIN: only PIN1 / CHV1 (EF_SST service 1). */
static uint16_t enable_disable(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_pin *pin,
			       const uint8_t *data)
{
	if (pin != &c->pin1)
		return a->gsm ? SW_WRONG_P1P2 : SW_CONDITIONS;
	if (pin->enabled == (a->ins == INS_ENABLE))
		return sw_pin_state(a, false);
	if (pin->tries == 0)
		return sw_blocked(a);
	if (memcmp(data, pin->value, 8))
		return wrong_code(c, a, pin, false);
	pin->enabled = a->ins == INS_ENABLE;
	return SW_OK;
}

/* TS 102 221 §11.1.13 UNBLOCK PIN: the PUK, then the new PIN (enabled again); ADM1 has no PUK. */
static uint16_t unblock(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_pin *pin, const uint8_t *data)
{
	if (!pin->has_puk)
		return a->gsm ? SW_WRONG_P1P2 : SW_REF_NOT_FOUND;
	if (pin->puk_tries == 0)
		return sw_blocked(a);
	if (!pin_format_ok(data + 8))
		return a->gsm ? SW_GSM_ACCESS : SW_BAD_DATA;
	if (memcmp(data, pin->puk, 8))
		return wrong_code(c, a, pin, true);
	pin->puk_tries = UICC_PUK_TRIES;
	memcpy(pin->value, data + 8, 8);
	pin->enabled = true;
	return SW_OK;
}

static uint16_t apply(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_pin *pin, const uint8_t *data)
{
	switch (a->ins) {
	case INS_VERIFY:
		return verify(c, a, pin, data);
	case INS_CHANGE:
		return change(c, a, pin, data);
	case INS_DISABLE:
	case INS_ENABLE:
		return enable_disable(c, a, pin, data);
	case INS_UNBLOCK:
		return unblock(c, a, pin, data);
	default:
		return SW_BAD_INS;
	}
}

uint16_t uicc_cmd_pin(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out)
{
	struct uicc_pin *pin;
	const uint8_t *data;
	size_t lc, want = a->ins == INS_CHANGE || a->ins == INS_UNBLOCK ? 16 : 8;
	uint16_t sw;

	(void)out;
	if (a->p1 != 0x00)
		return a->gsm ? SW_WRONG_P1P2 : SW_BAD_P1P2;
	pin = pin_from_p2(c, a);
	if (!pin)
		return a->gsm ? SW_WRONG_P1P2 : SW_REF_NOT_FOUND;
	if (!a->gsm && (a->ins == INS_VERIFY || a->ins == INS_UNBLOCK) && uicc_apdu_case1(a))
		return pin_query(c, a, pin);
	if (!uicc_apdu_data(a, false, &data, &lc) || lc != want)
		return a->gsm ? (uint16_t)(0x6700 | want) : SW_WRONG_LENGTH;
	sw = apply(c, a, pin, data);
	if (sw != SW_OK)
		return sw;
	pin->tries = UICC_PIN_TRIES;
	c->cur->verified |= pin->bit;
	if (!uicc_pin_persist(c, pin))
		return uicc_sw_memory(a);
	return SW_OK;
}
