/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SV2 packets: a secured command packet for a card's TAR, carried as one or
 * more SMS-DELIVERs (TP-PID 7F, DCS F6, UDH 70 00 / concatenation); and the
 * PoR (secured response packet) out of a DELIVER-REPORT or a reassembled
 * SMS-SUBMIT, deciphered and verified.  Codecs are libsimota's.
 */
#ifndef OTS_PACKET_H
#define OTS_PACKET_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "simota/ota.h"
#include "simota/sms.h"
#include "cards/registry.h"

#define OTS_MAX_SEGMENTS 8

struct ots_deliver_set {
	unsigned n;
	size_t len[OTS_MAX_SEGMENTS];
	uint8_t tpdu[OTS_MAX_SEGMENTS][SIMOTA_SMS_TPDU_MAX];
};

/*
 * TS 102 225 §5.1, TS 31.115 §4, TS 23.040 §9.2.2.1: the SMS-DELIVERs of a
 * command packet carrying data to tar with keyset ks and counter cntr.
 * oa: SV2's address; ref: the concatenation reference when segmented.
 */
bool ots_packet_build(struct ots_registry *reg, struct ots_keyset *ks, const struct simota_card_tar *tar,
		      uint64_t cntr, const uint8_t *data, size_t len,
		      const struct simota_sms_address *oa, uint8_t ref,
		      struct ots_deliver_set *out, GError **error);

/*
 * TS 102 225 §5.2: decodes and verifies a PoR for a command sent with this
 * TAR's SPI and the keyset's KIc/KID.  pkt may start with the 027100 UDH.
 * On success *rsp points into work (>= len bytes).
 */
simota_err ots_packet_por_decode(struct ots_registry *reg, struct ots_keyset *ks,
				 const struct simota_card_tar *tar, const uint8_t *pkt, size_t len,
				 uint8_t *work, size_t work_cap, struct simota_ota_response *rsp);

/* TS 31.115 §4.2: the TAR of a response packet (after an optional UDH), without keys. */
bool ots_packet_por_tar(const uint8_t *pkt, size_t len, uint8_t tar[3]);

/*
 * The PoR in a DELIVER-REPORT TPDU (TS 31.111 §7.1.1.1): its user data.
 * false when the report has none.
 */
bool ots_packet_report_data(const uint8_t *tpdu, size_t len, bool rp_error,
			    uint8_t *out, size_t cap, size_t *out_len, uint8_t *fcs);

#endif
