/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Access rules (TS 102 221 §9.2.5, §9.5): every file names a record of
 * EF_ARR (its security attributes, §11.1.1.4.7.3); a record gives, per
 * access mode, a security condition: always, a key reference (PIN1 01,
 * PIN2 81, ADM1 0A, with usage qualifier 08 "user verification"), never.
 * A command is allowed when the context running it (the ME's, or an RFM
 * applet's: card-internal.h) satisfies the condition of its access mode;
 * else 69 82 (98 04 in the GSM class).  A deactivated file refuses every
 * access but ACTIVATE with 69 84 "referenced data invalidated" (98 10, TS
 * 51.011 §9.4.5).  The NEVER condition gives 69 82 too: no verification
 * can satisfy it, and that is what real cards answer.
 */
#include "card/card-internal.h"
#include "simota/card_config.h"

/* TS 102 221 §9.5.1 key references; the access a PIN grants (SIMOTA_CARD_ACCESS_*) */
static const struct {
	uint8_t keyref, bit;
} keys[] = {
	[UICC_AC_PIN1] = { 0x01, SIMOTA_CARD_ACCESS_PIN1 },
	[UICC_AC_PIN2] = { 0x81, SIMOTA_CARD_ACCESS_PIN2 },
	[UICC_AC_ADM1] = { 0x0A, SIMOTA_CARD_ACCESS_ADM1 },
};

/* ISO/IEC 7816-4 §5.4.3.2 (Table 17, 18): the AM byte bit of each mode; INCREASE has its own AM_DO. */
static const uint8_t am_bits[UICC_AM_COUNT] = {
	[UICC_AM_READ] = 0x01,
	[UICC_AM_UPDATE] = 0x02,
	[UICC_AM_INCREASE] = 0x00,
	[UICC_AM_DEACTIVATE] = 0x08,
	[UICC_AM_ACTIVATE] = 0x10,
};

#define INS_INCREASE 0x32

bool uicc_ac_ok(struct uicc_card *card, enum uicc_ac ac)
{
	uint8_t held = card->cur->verified | card->cur->granted;

	switch (ac) {
	case UICC_AC_ALW:
		return true;
	case UICC_AC_PIN1:
		/* a disabled PIN1 is satisfied by everyone (§9.5.1, usage qualifier 08) */
		return !card->pin1.enabled || (held & SIMOTA_CARD_ACCESS_PIN1);
	case UICC_AC_PIN2:
	case UICC_AC_ADM1:
		return held & keys[ac].bit;
	default:
		return false;
	}
}

uint16_t uicc_access_check(struct uicc_card *card, const struct uicc_apdu *a, const struct uicc_file *f,
			   enum uicc_am am)
{
	const struct uicc_access_rule *rule = uicc_access_rule(f->arr);

	if (uicc_fs_deactivated(card, (struct uicc_file *)f) && am != UICC_AM_ACTIVATE)
		return a->gsm ? SW_GSM_INVALIDATION : SW_DATA_INVALIDATED;
	if (!rule || !uicc_ac_ok(card, rule->ac[am]))
		return a->gsm ? SW_GSM_ACCESS : SW_SECURITY;
	return SW_OK;
}

/* TS 102 221 §9.2.5: one security condition (SC_DO). */
static size_t security_condition(enum uicc_ac ac, uint8_t *out)
{
	if (ac == UICC_AC_ALW || ac == UICC_AC_NEV) {
		out[0] = ac == UICC_AC_ALW ? 0x90 : 0x97;      /* always / never */
		out[1] = 0x00;
		return 2;
	}
	/* CRT A4: key reference 83, usage qualifier 95 08 (user verification) */
	out[0] = 0xA4; out[1] = 0x06;
	out[2] = 0x83; out[3] = 0x01; out[4] = keys[ac].keyref;
	out[5] = 0x95; out[6] = 0x01; out[7] = 0x08;
	return 8;
}

/*
 * TS 102 221 §9.2.5, expanded format: per condition, one AM_DO (80 01
 * AM byte) with every mode that condition guards, then its SC_DO; INCREASE
 * as the command AM_DO 84 01 32 unless it is never allowed (a mode no
 * AM_DO names is never allowed).  At most 3 × 11 + 2 × 5 bytes.
 */
size_t uicc_access_rule_encode(unsigned record, uint8_t *out, size_t cap)
{
	const struct uicc_access_rule *rule = uicc_access_rule(record);
	size_t n = 0;

	if (!rule)
		return 0;
	for (int ac = UICC_AC_ALW; ac <= UICC_AC_NEV; ac++) {
		uint8_t am = 0;

		for (int m = 0; m < UICC_AM_COUNT; m++)
			if (rule->ac[m] == (enum uicc_ac)ac)
				am |= am_bits[m];
		if (!am)
			continue;
		if (n + 3 + 8 > cap)
			return 0;
		out[n++] = 0x80; out[n++] = 0x01; out[n++] = am;
		n += security_condition((enum uicc_ac)ac, out + n);
	}
	if (rule->ac[UICC_AM_INCREASE] != UICC_AC_NEV) {
		if (n + 3 + 8 > cap)
			return 0;
		out[n++] = 0x84; out[n++] = 0x01; out[n++] = INS_INCREASE;
		n += security_condition(rule->ac[UICC_AM_INCREASE], out + n);
	}
	return n;
}
