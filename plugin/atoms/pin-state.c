// SPDX-License-Identifier: GPL-2.0-or-later
/* What the card says of its PINs, over APDUs (pin-state.h); TS 102 221 §9.5.2, §11.1.9, §11.1.13. */
#include <string.h>

#include "simota/ts102221.h"

#include "atoms/pin-state.h"

#define INS_SELECT 0xA4
#define INS_VERIFY 0x20
#define INS_UNBLOCK 0x2C

struct pin1_query {
	struct sb_apdu_sender tx;
	struct sb_pin1_card *card;
	char *name;
	uint16_t verify_sw;
	sb_pin1_state_cb cb;
	void *user;
};

struct enabled_query {
	uint8_t keyref;
	sb_pin_enabled_cb cb;
	void *user;
};

static bool sw_tries_left(uint16_t sw)
{
	return (sw & 0xFFF0) == 0x63C0 && (sw & 0x0F) > 0;
}

/* TS 102 221 §11.1.9 / §11.1.13: VERIFY or UNBLOCK PIN without data, a case-1 command (00 INS 00 keyref). */
static void send_empty(const struct sb_apdu_sender *tx, uint8_t ins, uint8_t keyref, sb_apdu_cb cb, void *user)
{
	const uint8_t apdu[4] = { 0x00, ins, 0x00, keyref };

	tx->send(tx->target, tx->owner, apdu, sizeof(apdu), cb, user);
}

static void pin1_done(struct pin1_query *q, const GError *err, enum sb_pin1_state state, uint16_t sw)
{
	q->cb(err, state, sw, q->user);
	g_free(q->name);
	g_free(q);
}

/* The card's empty VERIFY says PIN1 is wanted, what we know says not: we trust the latter, and say so once. */
static void pin1_quirk(struct pin1_query *q, const char *because)
{
	if (!q->card->quirk_logged)
		g_message("%s: the card answers %04X to VERIFY without data although %s; PIN1 taken as not wanted "
			  "(logged once per card)", q->name, q->verify_sw, because);
	q->card->quirk_logged = true;
	pin1_done(q, NULL, SB_PIN1_NONE, q->verify_sw);
}

static void pin1_template_cb(const GError *err, int enabled, uint16_t sw, void *user)
{
	struct pin1_query *q = user;

	if (err) {
		pin1_done(q, err, SB_PIN1_UNKNOWN, 0);
		return;
	}
	if (enabled == 0) {
		pin1_quirk(q, "its PIN status template says PIN1 is disabled");
		return;
	}
	pin1_done(q, NULL, SB_PIN1_PIN, q->verify_sw);
}

static void pin1_unblock_cb(const GError *err, uint16_t sw, const uint8_t *d, size_t len, void *user)
{
	struct pin1_query *q = user;

	if (err)
		pin1_done(q, err, SB_PIN1_UNKNOWN, 0);
	else
		pin1_done(q, NULL, sw == 0x63C0 ? SB_PIN1_BLOCKED : SB_PIN1_PUK, sw);
}

static void pin1_verify_cb(const GError *err, uint16_t sw, const uint8_t *d, size_t len, void *user)
{
	struct pin1_query *q = user;

	q->verify_sw = sw;
	if (err)
		pin1_done(q, err, SB_PIN1_UNKNOWN, 0);
	else if (sb_sw_ok(sw))                 /* 9000, or 91XX: a proactive command waits as well */
		pin1_done(q, NULL, SB_PIN1_NONE, sw);
	else if (sw_tries_left(sw) && q->card->verified)
		pin1_quirk(q, "PIN1 was verified on it since its reset");
	else if (sw_tries_left(sw))
		sb_pin_query_enabled(&q->tx, SB_KEYREF_PIN1, pin1_template_cb, q);
	else if (sw == 0x63C0 || sw == 0x6983)
		send_empty(&q->tx, INS_UNBLOCK, SB_KEYREF_PIN1, pin1_unblock_cb, q);
	else
		pin1_done(q, NULL, SB_PIN1_UNKNOWN, sw);
}

void sb_pin1_query_state(const struct sb_apdu_sender *tx, struct sb_pin1_card *card, const char *name,
			 sb_pin1_state_cb cb, void *user)
{
	struct pin1_query *q = g_new0(struct pin1_query, 1);

	q->tx = *tx;
	q->card = card;
	q->name = g_strdup(name);
	q->cb = cb;
	q->user = user;
	send_empty(tx, INS_VERIFY, SB_KEYREF_PIN1, pin1_verify_cb, q);
}

static void enabled_select_cb(const GError *err, uint16_t sw, const uint8_t *d, size_t len, void *user)
{
	struct enabled_query *q = user;
	int enabled = -1;

	if (!err && sb_sw_ok(sw))
		enabled = simota_fcp_pin_enabled(d, len, q->keyref);
	q->cb(err, enabled, sw, q->user);
	g_free(q);
}

void sb_pin_query_enabled(const struct sb_apdu_sender *tx, uint8_t keyref, sb_pin_enabled_cb cb, void *user)
{
	/* TS 102 221 §11.1.1: SELECT ADF.USIM (7FFF) by path from the MF, FCP returned */
	static const uint8_t select_adf[] = { 0x00, INS_SELECT, 0x08, 0x04, 0x02, 0x7F, 0xFF };
	struct enabled_query *q = g_new0(struct enabled_query, 1);

	q->keyref = keyref;
	q->cb = cb;
	q->user = user;
	tx->send(tx->target, tx->owner, select_adf, sizeof(select_adf), enabled_select_cb, q);
}

void sb_pin1_card_note(struct sb_pin1_card *card, uint8_t ins, uint8_t keyref, uint16_t sw)
{
	if (keyref != SB_KEYREF_PIN1 || (ins != INS_VERIFY && ins != INS_UNBLOCK))
		return;
	if (sb_sw_ok(sw))
		card->verified = true;
	else if ((sw & 0xFFF0) == 0x63C0 || sw == 0x6983)
		card->verified = false;      /* a wrong PIN resets the verification status */
}
