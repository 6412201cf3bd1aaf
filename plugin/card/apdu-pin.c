// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PINs over APDUs (apdu.h; TS 102 221 §9.5, §11.1.9-§11.1.13).
 *
 * PIN1's state:
 *   VERIFY PIN1 without data (§11.1.9)            9000 / 91XX    nothing wanted
 *                                                 63CX, X > 0    PIN1 wanted (X tries)
 *                                                 63C0 / 6983    blocked: ask UNBLOCK PIN
 *   UNBLOCK PIN1 without data (§11.1.13)          63C0           PIN and PUK blocked
 *                                                 else           the PUK wanted
 *
 * A card quirk seen on a real (software) UICC: 63CX to the empty VERIFY
 * although PIN1 is disabled (the PIN status template of ADF.USIM's FCP says
 * so, §9.5.2) or was verified on that card since its reset (a VERIFY or
 * UNBLOCK PIN with data answered 9000 here).  Both are trusted over the
 * VERIFY: nothing wanted, and the disagreement is logged once per card.
 *
 * Whether a PIN is enabled: the PIN status template of ADF.USIM's FCP
 * (SELECT 7FFF from the MF, §8.4.2), which a card answers also when the PIN
 * was already verified.  Retry counters: VERIFY / UNBLOCK PIN without data
 * answer 63CX.
 */
#include <string.h>

#include "card/apdu.h"

#define KEYREF_PIN1 SIMOTA_KEYREF_PIN1
#define KEYREF_PIN2 SIMOTA_KEYREF_PIN2
#define PIN_BLOCK_LEN 8

static uint8_t keyref_of(enum sb_card_pin pin)
{
	return pin == SB_CARD_PIN2 ? KEYREF_PIN2 : KEYREF_PIN1;
}

static struct apdu_card *card_of(struct sb_card_req *r)
{
	return (struct apdu_card *)r->card;
}

static bool sw_tries_left(uint16_t sw)
{
	return (sw & 0xFFF0) == 0x63C0 && (sw & 0x0F) > 0;
}

/* §11.1.9 / §11.1.13: VERIFY or UNBLOCK PIN without data, a case-1 command (00 INS 00 keyref). */
static void send_empty(struct sb_card_req *r, uint8_t ins, uint8_t keyref, sb_apdu_cb cb)
{
	apdu_send(card_of(r), r, false, 0x00, ins, 0x00, keyref, NULL, 0, APDU_NO_LE, cb);
}

/* SELECT ADF.USIM (7FFF) by path from the MF, the FCP with its PIN status template. */
static void select_usim_fcp(struct sb_card_req *r, sb_apdu_cb cb)
{
	static const struct sb_card_path adf = { .len = 2, .fid = { 0x7F, 0xFF } };

	apdu_select(card_of(r), r, &adf, true, cb);
}

/* What the answer sw to a PIN command with data (ins) on keyref says of PIN1. */
static void pin1_note(struct apdu_pin1 *p, uint8_t ins, uint8_t keyref, uint16_t sw)
{
	if (keyref != KEYREF_PIN1 || (ins != SB_INS_VERIFY && ins != SB_INS_UNBLOCK))
		return;
	if (sb_sw_ok(sw))
		p->verified = true;
	else if ((sw & 0xFFF0) == 0x63C0 || sw == 0x6983)
		p->verified = false;      /* a wrong PIN resets the verification status */
}

/* ---- PIN1's state (r->step: the SW of the empty VERIFY) ------------------------------------------- */

/* The card's empty VERIFY says PIN1 is wanted, what we know says not: we trust the latter, and say so once. */
static void pin1_quirk(struct sb_card_req *r, const char *because)
{
	struct apdu_card *a = card_of(r);

	if (!a->pin1.quirk_logged)
		g_message("%s: the card answers %04X to VERIFY without data although %s; PIN1 taken as not wanted "
			  "(logged once per card)", a->base.name, r->step, because);
	a->pin1.quirk_logged = true;
	sb_card_req_pin_state(r, SB_CARD_PIN_NONE, (uint16_t)r->step);
}

static void pin1_template_cb(const GError *err, uint16_t sw, const uint8_t *d, size_t len, void *user)
{
	struct sb_card_req *r = user;

	if (err)
		sb_card_req_fail(r, err);
	else if (sb_sw_ok(sw) && simota_fcp_pin_enabled(d, len, KEYREF_PIN1) == 0)
		pin1_quirk(r, "its PIN status template says PIN1 is disabled");
	else
		sb_card_req_pin_state(r, SB_CARD_PIN_WANTED, (uint16_t)r->step);
}

static void pin1_unblock_cb(const GError *err, uint16_t sw, const uint8_t *d, size_t len, void *user)
{
	struct sb_card_req *r = user;

	if (err)
		sb_card_req_fail(r, err);
	else
		sb_card_req_pin_state(r, sw == 0x63C0 ? SB_CARD_PIN_BLOCKED : SB_CARD_PUK_WANTED, sw);
}

static void pin1_verify_cb(const GError *err, uint16_t sw, const uint8_t *d, size_t len, void *user)
{
	struct sb_card_req *r = user;

	r->step = sw;
	if (err)
		sb_card_req_fail(r, err);
	else if (sb_sw_ok(sw))                 /* 9000, or 91XX: a proactive command waits as well */
		sb_card_req_pin_state(r, SB_CARD_PIN_NONE, sw);
	else if (sw_tries_left(sw) && card_of(r)->pin1.verified)
		pin1_quirk(r, "PIN1 was verified on it since its reset");
	else if (sw_tries_left(sw))
		select_usim_fcp(r, pin1_template_cb);
	else if (sw == 0x63C0 || sw == 0x6983)
		send_empty(r, SB_INS_UNBLOCK, KEYREF_PIN1, pin1_unblock_cb);
	else
		sb_card_req_pin_state(r, SB_CARD_PIN_UNKNOWN, sw);
}

void apdu_pin_state(struct sb_card_service *c, struct sb_card_req *r)
{
	send_empty(r, SB_INS_VERIFY, KEYREF_PIN1, pin1_verify_cb);
}

/* ---- is a PIN enabled ----------------------------------------------------------------------------- */

static void enabled_cb(const GError *err, uint16_t sw, const uint8_t *d, size_t len, void *user)
{
	struct sb_card_req *r = user;

	if (err)
		sb_card_req_fail(r, err);
	else
		sb_card_req_pin_enabled(r, sb_sw_ok(sw) ? simota_fcp_pin_enabled(d, len, keyref_of(r->pin)) : -1, sw);
}

void apdu_pin_enabled(struct sb_card_service *c, struct sb_card_req *r)
{
	select_usim_fcp(r, enabled_cb);
}

/* ---- retry counters (r->step: the query asked; r->impl: the counters so far) --------------------- */

static const struct {
	uint8_t ins, keyref;
	size_t field;
} retry_queries[] = {
	{ SB_INS_VERIFY, KEYREF_PIN1, offsetof(struct sb_card_pin_retries, pin1) },
	{ SB_INS_UNBLOCK, KEYREF_PIN1, offsetof(struct sb_card_pin_retries, puk1) },
	{ SB_INS_VERIFY, KEYREF_PIN2, offsetof(struct sb_card_pin_retries, pin2) },
	{ SB_INS_UNBLOCK, KEYREF_PIN2, offsetof(struct sb_card_pin_retries, puk2) },
};

static void retries_cb(const GError *err, uint16_t sw, const uint8_t *d, size_t len, void *user)
{
	struct sb_card_req *r = user;
	struct sb_card_pin_retries *got = r->impl;
	int *field = (int *)((char *)got + retry_queries[r->step].field);

	if (err) {
		sb_card_req_fail(r, err);
		return;
	}
	if ((sw & 0xFFF0) == 0x63C0)
		*field = sw & 0x0F;
	else if (sw == 0x6983)
		*field = 0;
	if (++r->step < G_N_ELEMENTS(retry_queries) && !sb_card_req_cancelled(r)) {
		send_empty(r, retry_queries[r->step].ins, retry_queries[r->step].keyref, retries_cb);
		return;
	}
	sb_card_req_pin_retries(r, got);
}

void apdu_pin_retries(struct sb_card_service *c, struct sb_card_req *r)
{
	struct sb_card_pin_retries *got = g_new(struct sb_card_pin_retries, 1);

	*got = (struct sb_card_pin_retries){ -1, -1, -1, -1 };
	r->impl = got;
	r->impl_free = g_free;
	r->step = 0;
	send_empty(r, retry_queries[0].ins, retry_queries[0].keyref, retries_cb);
}

/* ---- VERIFY, CHANGE, UNBLOCK, ENABLE / DISABLE ---------------------------------------------------------- */

/* A PIN as §9.5.2 codes it: ASCII digits, padded with FF to 8 bytes (the front checked the digits). */
static void pin_block(const char *code, uint8_t out[PIN_BLOCK_LEN])
{
	memset(out, 0xFF, PIN_BLOCK_LEN);
	memcpy(out, code, MIN(strlen(code), PIN_BLOCK_LEN));
}

static uint8_t ins_of(enum sb_card_req_kind kind)
{
	switch (kind) {
	case SB_CARD_REQ_PIN_CHANGE: return SB_INS_CHANGE;        /* §11.1.10 */
	case SB_CARD_REQ_PIN_UNBLOCK: return SB_INS_UNBLOCK;      /* §11.1.13 */
	case SB_CARD_REQ_PIN_ENABLE: return SB_INS_ENABLE;        /* §11.1.12 */
	case SB_CARD_REQ_PIN_DISABLE: return SB_INS_DISABLE;      /* §11.1.11 */
	default: return SB_INS_VERIFY;                            /* §11.1.9 */
	}
}

static void pin_command_cb(const GError *err, uint16_t sw, const uint8_t *d, size_t len, void *user)
{
	struct sb_card_req *r = user;

	if (err) {
		sb_card_req_fail(r, err);
		return;
	}
	pin1_note(&card_of(r)->pin1, ins_of(r->kind), keyref_of(r->pin), sw);
	sb_card_req_sw(r, sw);
}

void apdu_pin_command(struct sb_card_service *c, struct sb_card_req *r)
{
	uint8_t body[2 * PIN_BLOCK_LEN];
	size_t n = PIN_BLOCK_LEN;

	pin_block(r->code, body);
	if (r->kind == SB_CARD_REQ_PIN_UNBLOCK)
		memcpy(body, r->code, PIN_BLOCK_LEN);         /* §9.5.2: the PUK is 8 digits, not padded */
	if (r->kind == SB_CARD_REQ_PIN_CHANGE || r->kind == SB_CARD_REQ_PIN_UNBLOCK) {
		pin_block(r->new_code, body + PIN_BLOCK_LEN);
		n = 2 * PIN_BLOCK_LEN;
	}
	apdu_send(card_of(r), r, false, 0x00, ins_of(r->kind), 0x00, keyref_of(r->pin), body, n, APDU_NO_LE,
		  pin_command_cb);
	memset(body, 0, sizeof(body));
}
