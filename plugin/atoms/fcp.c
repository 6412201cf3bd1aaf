// SPDX-License-Identifier: GPL-2.0-or-later
/* FCP parsing (TS 102 221 §11.1.1.3), with libsimota's BER-TLV reader. */
#include <string.h>

#include "atoms/fcp.h"
#include "simota/bytes.h"
#include "simota/tlv.h"

/* TS 102 221 §11.1.1.4.3: file descriptor byte, data coding byte, record length (2), records (1). */
static bool parse_descriptor(const struct simota_tlv *d, struct sb_fcp *out)
{
	uint8_t fdb;

	if (d->len < 2)
		return false;
	fdb = d->value[0];
	if ((fdb & 0xBF) == 0x38) {              /* 0x38 DF/ADF (b7: shareable) */
		out->structure = SB_FCP_DF;
		return true;
	}
	switch (fdb & 0x07) {
	case 0x01:
		out->structure = SB_FCP_TRANSPARENT;
		return true;
	case 0x02:
		out->structure = SB_FCP_LINEAR_FIXED;
		break;
	case 0x06:
		out->structure = SB_FCP_CYCLIC;
		break;
	default:
		out->structure = SB_FCP_OTHER;
		return true;
	}
	if (d->len < 5)
		return false;
	out->record_len = (unsigned)(d->value[2] << 8 | d->value[3]);
	out->n_records = d->value[4];
	return out->record_len > 0;
}

bool sb_fcp_parse(const uint8_t *p, size_t len, struct sb_fcp *out)
{
	struct simota_tlv fcp, t;

	memset(out, 0, sizeof(*out));
	out->activated = true;
	if (simota_ber_tlv_parse_one(p, len, &fcp) != SIMOTA_OK || fcp.tag != 0x62)
		return false;
	if (simota_ber_tlv_find(fcp.value, fcp.len, 0x82, &t) != SIMOTA_OK || !parse_descriptor(&t, out))
		return false;
	if (simota_ber_tlv_find(fcp.value, fcp.len, 0x83, &t) == SIMOTA_OK && t.len == 2)
		out->fid = (uint16_t)(t.value[0] << 8 | t.value[1]);
	if (out->structure != SB_FCP_DF) {
		/* §11.1.1.4.1 file size: the EF body, 2 bytes or more */
		if (simota_ber_tlv_find(fcp.value, fcp.len, 0x80, &t) != SIMOTA_OK || t.len < 1 || t.len > 4)
			return false;
		for (size_t i = 0; i < t.len; i++)
			out->file_size = out->file_size << 8 | t.value[i];
	}
	/* §11.1.1.4.9 life cycle status: 0x04/0x06 deactivated, 0x05/0x07 activated */
	if (simota_ber_tlv_find(fcp.value, fcp.len, 0x8A, &t) == SIMOTA_OK && t.len == 1 &&
	    (t.value[0] & 0xFD) == 0x04)
		out->activated = false;
	return true;
}

/*
 * TS 102 221 §9.5.2, §11.1.1.4.10: the PIN status template DO (C6) of a DF's
 * FCP: the PS_DO (90) has one bit per key reference (83) that follows, in
 * order, the first in b8 of its first byte; a set bit: the PIN is enabled.
 * Returns 1 / 0, or -1 when the FCP does not say.
 */
int sb_fcp_pin_enabled(const uint8_t *p, size_t len, uint8_t keyref)
{
	struct simota_tlv fcp, tmpl, t;
	struct simota_reader r;
	const uint8_t *ps = NULL;
	size_t ps_len = 0, index = 0;

	if (simota_ber_tlv_parse_one(p, len, &fcp) != SIMOTA_OK || fcp.tag != 0x62 ||
	    simota_ber_tlv_find(fcp.value, fcp.len, 0xC6, &tmpl) != SIMOTA_OK)
		return -1;
	r = simota_reader_init(tmpl.value, tmpl.len);
	while (simota_reader_left(&r) > 0) {
		if (simota_ber_tlv_next(&r, &t) != SIMOTA_OK)
			return -1;
		if (t.tag == 0x90) {
			ps = t.value;
			ps_len = t.len;
		} else if (t.tag == 0x83 && t.len == 1) {
			if (t.value[0] == keyref)
				return ps && index / 8 < ps_len ? !!(ps[index / 8] & (0x80 >> (index % 8))) : -1;
			index++;
		}
	}
	return -1;
}
