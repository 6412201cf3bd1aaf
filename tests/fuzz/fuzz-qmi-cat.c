/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: what the plugin's Uicc=qmi reads from a modem (lib/qmi_cat.c):
 * a QMI service message (header, TLVs), a CAT Event Report indication (the
 * proactive commands with their reference ids, the end of the session), the
 * result TLV, the card's answer to a terminal response or an envelope.
 * Whatever decodes must point inside the input; a command found is encoded
 * back into a terminal response TLV and its envelope type computed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "simota/qmi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void inside(const uint8_t *p, size_t n, const uint8_t *base, size_t size)
{
	check(p >= base && p + n <= base + size);
}

static void tlvs(const uint8_t *t, size_t len, const uint8_t *base, size_t size)
{
	struct simota_qmi_cat_event ev;
	struct simota_qmi_tlv tlv;
	uint16_t result, error, sw;
	const uint8_t *d;
	size_t dlen, pos = 0, n;
	uint8_t out[300];

	while (pos < len && simota_qmi_tlv_next(t, len, &pos, &tlv) == SIMOTA_OK) {
		inside(tlv.value, tlv.len, base, size);
		if (simota_qmi_cat_card_answer_decode(tlv.value, tlv.len, &sw, &d, &dlen) == SIMOTA_OK)
			inside(d, dlen, base, size);
	}
	(void)simota_qmi_result_decode(t, len, &result, &error);
	if (simota_qmi_cat_event_decode(t, len, &ev) != SIMOTA_OK)
		return;
	check(ev.n_commands <= SIMOTA_QMI_CAT_MAX_COMMANDS);
	for (unsigned i = 0; i < ev.n_commands; i++) {
		inside(ev.commands[i].cmd, ev.commands[i].len, base, size);
		check(simota_qmi_cat_kind_by_tlv(ev.commands[i].tlv) != NULL);
		if (ev.commands[i].len >= 1 && ev.commands[i].len <= 255)
			check(simota_qmi_cat_tr_encode(ev.commands[i].ref, ev.commands[i].cmd, ev.commands[i].len, out,
						       sizeof(out), &n) == SIMOTA_OK && n == 6u + ev.commands[i].len);
		(void)simota_qmi_cat_envelope_type(ev.commands[i].cmd, ev.commands[i].len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct simota_qmi_msg msg;

	/* the input as a whole message, and as the TLVs of one */
	if (simota_qmi_msg_decode(data, size, &msg) == SIMOTA_OK) {
		check(msg.tlvs_len == size - SIMOTA_QMI_HEADER_LEN);
		tlvs(msg.tlvs, msg.tlvs_len, data, size);
	}
	tlvs(data, size, data, size);
	(void)simota_qmi_cat_envelope_type(data, size);
	return 0;
}
