/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A secured packet over several SMS (TS 31.115 §4 with the concatenation IE
 * of TS 23.040 §9.2.3.24.1 / §9.2.3.24.8): segmentation and reassembly.
 */
#include <string.h>

#include "simota/sms.h"

/* TS 31.115 §4: packet identifier in the first segment only. */
simota_err simota_sms_segment_packet(uint8_t iei, const uint8_t *packet, size_t len,
				     uint16_t ref, bool ref16,
				     struct simota_sms_ud *segs, size_t max_segs, size_t *n_segs)
{
	const size_t concat_ie = ref16 ? 6 : 5, pid_ie = 2;
	size_t first, other, total, off;
	struct simota_sms_udh udh;
	simota_err err;

	*n_segs = 0;
	if (max_segs == 0)
		return SIMOTA_ERR_NO_SPACE;
	if (!ref16 && ref > 0xFF)
		return SIMOTA_ERR_BAD_VALUE;
	if (1 + pid_ie + len <= SIMOTA_SMS_UD_MAX) {
		simota_sms_udh_init(&udh);
		if ((err = simota_sms_udh_add(&udh, iei, NULL, 0)))
			return err;
		err = simota_sms_ud_set_octets(&segs[0], &udh, packet, len, SIMOTA_SMS_UD_MAX);
		if (err)
			return err;
		*n_segs = 1;
		return SIMOTA_OK;
	}
	first = SIMOTA_SMS_UD_MAX - 1 - concat_ie - pid_ie;
	other = SIMOTA_SMS_UD_MAX - 1 - concat_ie;
	total = 1 + (len - first + other - 1) / other;
	if (total > 255 || total > max_segs)
		return SIMOTA_ERR_NO_SPACE;

	off = 0;
	for (size_t i = 0; i < total; i++) {
		struct simota_sms_concat c = { ref, ref16, (uint8_t)total, (uint8_t)(i + 1) };
		size_t n = i == 0 ? first : other;

		if (n > len - off)
			n = len - off;
		simota_sms_udh_init(&udh);
		if ((err = simota_sms_udh_add_concat(&udh, &c)))
			return err;
		if (i == 0 && (err = simota_sms_udh_add(&udh, iei, NULL, 0)))
			return err;
		err = simota_sms_ud_set_octets(&segs[i], &udh, packet + off, n, SIMOTA_SMS_UD_MAX);
		if (err)
			return err;
		off += n;
	}
	*n_segs = total;
	return SIMOTA_OK;
}

void simota_sms_reassembly_init(struct simota_sms_reassembly *st)
{
	memset(st, 0, sizeof(*st));
}

static uint8_t packet_identifier(const struct simota_sms_udh *udh)
{
	if (simota_sms_udh_find(udh, SIMOTA_SMS_IEI_CPI) >= 0)
		return SIMOTA_SMS_IEI_CPI;
	if (simota_sms_udh_find(udh, SIMOTA_SMS_IEI_RPI) >= 0)
		return SIMOTA_SMS_IEI_RPI;
	return 0;
}

/* TS 23.040 §9.2.3.24.1: segments in any order, each once. */
simota_err simota_sms_reassembly_add(struct simota_sms_reassembly *st, const struct simota_sms_ud *ud)
{
	struct simota_sms_udh udh;
	struct simota_sms_concat c = { 0, false, 1, 1 };
	size_t udh_octets, n;
	simota_err err;

	if (ud->len > SIMOTA_SMS_UD_CAP)
		return SIMOTA_ERR_BAD_LENGTH;
	err = simota_sms_ud_get_udh(ud, &udh, &udh_octets);
	if (err)
		return err;
	err = simota_sms_udh_get_concat(&udh, &c);
	if (err == SIMOTA_ERR_MISSING_VALUE)
		c = (struct simota_sms_concat){ 0, false, 1, 1 };  /* a whole message */
	else if (err)
		return err;
	if (c.total > SIMOTA_SMS_CONCAT_MAX_SEGMENTS)
		return SIMOTA_ERR_UNSUPPORTED;
	n = ud->len - udh_octets;
	if (n > SIMOTA_SMS_CONCAT_SEGMENT_MAX)
		return SIMOTA_ERR_BAD_LENGTH;
	if (st->started) {
		if (c.ref != st->concat.ref || c.ref16 != st->concat.ref16 ||
		    c.total != st->concat.total)
			return SIMOTA_ERR_BAD_VALUE;
		if (st->have[c.seq - 1])
			return SIMOTA_ERR_DUPLICATE;
	} else {
		st->started = true;
		st->concat = c;
	}
	st->have[c.seq - 1] = 1;
	st->seg_len[c.seq - 1] = (uint8_t)n;
	memcpy(st->data[c.seq - 1], ud->ud + udh_octets, n);
	if (c.seq == 1)
		st->packet_iei = packet_identifier(&udh);
	st->received++;
	return st->received == st->concat.total ? SIMOTA_OK : SIMOTA_ERR_INCOMPLETE;
}

/* TS 23.040 §9.2.3.24.1: payloads in sequence-number order. */
simota_err simota_sms_reassembly_get(const struct simota_sms_reassembly *st,
				     uint8_t *out, size_t cap, size_t *out_len, uint8_t *iei)
{
	struct simota_writer w = simota_writer_init(out, cap);

	if (!st->started || st->received != st->concat.total)
		return SIMOTA_ERR_INCOMPLETE;
	for (unsigned i = 0; i < st->concat.total; i++)
		simota_write_bytes(&w, st->data[i], st->seg_len[i]);
	if (simota_writer_status(&w))
		return SIMOTA_ERR_NO_SPACE;
	*out_len = w.len;
	if (iei)
		*iei = st->packet_iei;
	return SIMOTA_OK;
}
