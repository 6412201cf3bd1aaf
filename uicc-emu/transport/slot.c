/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reader frames to card operations (vpcd protocol semantics, doc/uicc-transport.md). */
#define G_LOG_DOMAIN "uicc-emu"
#define G_LOG_USE_STRUCTURED 1

#include <string.h>

#include "transport/slot.h"

#define MAX_RAPDU (256 + 2)
#define T0_HEADER 5              /* CLA INS P1 P2 P3 */

struct uicc_slot {
	char *name;
	struct uicc_slot_card card;
	uint8_t atr[UICC_MAX_ATR];
	size_t atr_len;
	bool powered;
	unsigned readers;
};

static void card_reset(struct uicc_slot *slot, const char *why)
{
	slot->atr_len = slot->card.reset(slot->card.card, slot->atr, sizeof(slot->atr));
	slot->powered = true;
	uicc_slot_log(slot, G_LOG_LEVEL_INFO, "%s: card reset (%s), ATR %zu bytes", slot->name, why,
		      slot->atr_len);
}

static void card_off(struct uicc_slot *slot)
{
	if (!slot->powered)
		return;
	slot->card.power_off(slot->card.card);
	slot->powered = false;
	uicc_slot_log(slot, G_LOG_LEVEL_INFO, "%s: card powered off", slot->name);
}

struct uicc_slot *uicc_slot_new(const char *name, const struct uicc_slot_card *card)
{
	struct uicc_slot *slot = g_new0(struct uicc_slot, 1);

	slot->name = g_strdup(name);
	slot->card = *card;
	card_reset(slot, "start");
	card_off(slot);
	return slot;
}

void uicc_slot_free(struct uicc_slot *slot)
{
	if (!slot)
		return;
	card_off(slot);
	g_free(slot->name);
	g_free(slot);
}

const char *uicc_slot_name(const struct uicc_slot *slot)
{
	return slot->name;
}

bool uicc_slot_powered(const struct uicc_slot *slot)
{
	return slot->powered;
}

static void append_frame(GByteArray *out, const uint8_t *p, size_t len)
{
	uint8_t hdr[SIMOTA_VPCD_HEADER];

	simota_vpcd_frame_header(len, hdr);
	g_byte_array_append(out, hdr, sizeof(hdr));
	g_byte_array_append(out, p, (guint)len);
}

/*
 * The link stands for a T=0 card (the ATR offers T=0 only): a command TPDU
 * is always CLA INS P1 P2 P3, a case-1 command with P3 = 00 (ISO/IEC 7816-3
 * §12.2.2).  A shorter one never reaches the card: 6700, as a T=0 card
 * answers it (wrong length).
 */
static void refuse_short(struct uicc_slot *slot, const struct simota_vpcd_frame *frame, GByteArray *out)
{
	static const uint8_t wrong_length[2] = { 0x67, 0x00 };

	uicc_slot_log(slot, G_LOG_LEVEL_MESSAGE,
		      "%s: APDU %02x %02x: a %zu-byte command refused (6700): a T=0 command has P3 "
		      "(ISO/IEC 7816-3 12.2.2)", slot->name, frame->payload[0], frame->payload[1], frame->len);
	append_frame(out, wrong_length, sizeof(wrong_length));
}

bool uicc_slot_handle_frame(struct uicc_slot *slot, const struct simota_vpcd_frame *frame, GByteArray *out)
{
	uint8_t rapdu[MAX_RAPDU];
	size_t n;

	switch (frame->kind) {
	case SIMOTA_VPCD_CONTROL:
		switch (frame->ctrl) {
		case SIMOTA_VPCD_CTRL_POWER_OFF:
			card_off(slot);
			break;
		case SIMOTA_VPCD_CTRL_POWER_ON:
			if (!slot->powered)
				card_reset(slot, "power on");
			break;
		case SIMOTA_VPCD_CTRL_RESET:
			card_reset(slot, "reset");
			break;
		case SIMOTA_VPCD_CTRL_GET_ATR:
			append_frame(out, slot->atr, slot->atr_len);
			break;
		}
		return true;
	case SIMOTA_VPCD_APDU:
		if (!slot->powered)
			card_reset(slot, "APDU while off");
		if (frame->len < T0_HEADER) {
			refuse_short(slot, frame, out);
			return true;
		}
		n = slot->card.transmit(slot->card.card, frame->payload, frame->len, rapdu, sizeof(rapdu));
		g_assert(n >= 2 && n <= sizeof(rapdu));
		/* header and status only: data may hold a PIN or a key */
		uicc_slot_log(slot, G_LOG_LEVEL_DEBUG, "%s: APDU %02x %02x %02x %02x (%zu bytes) -> %02x%02x (%zu bytes)",
			      slot->name, frame->payload[0], frame->payload[1],
			      frame->len > 2 ? frame->payload[2] : 0, frame->len > 3 ? frame->payload[3] : 0,
			      frame->len, rapdu[n - 2], rapdu[n - 1], n - 2);
		append_frame(out, rapdu, n);
		return true;
	case SIMOTA_VPCD_INVALID:
	case SIMOTA_VPCD_INCOMPLETE:
		break;
	}
	return false;
}

void uicc_slot_reader_attach(struct uicc_slot *slot)
{
	slot->readers++;
}

void uicc_slot_reader_detach(struct uicc_slot *slot)
{
	g_assert(slot->readers > 0);
	if (--slot->readers == 0)
		card_off(slot);
}
