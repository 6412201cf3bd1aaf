/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The few card formats the firmware reads: the FCP (TS 102 221 §11.1.1.3)
 * and EF_ICCID, EF_IMSI, EF_MSISDN, EF_SMSP.  BER-TLV walking and the
 * numbers come from libsimota (simota/tlv.h, the RP address of
 * simota/sms.h); what is here is which field sits where.
 */
#include <string.h>

#include "sim-link.h"
#include "simota/tlv.h"

/* TS 102 221 §11.1.1.4.7: the PIN status template DO (C6): PS_DO (90) then key references (83). */
static void pin_status(struct me_fcp *out, const uint8_t *p, size_t len)
{
	struct simota_reader r = simota_reader_init(p, len);
	struct simota_tlv t;

	out->has_pin_status = true;
	while (simota_reader_left(&r) && simota_ber_tlv_next(&r, &t) == SIMOTA_OK) {
		if (t.tag == 0x90 && t.len <= sizeof(out->ps_do)) {
			memcpy(out->ps_do, t.value, t.len);
			out->ps_do_len = t.len;
		} else if (t.tag == 0x83 && t.len == 1 && out->n_keyrefs < sizeof(out->keyrefs)) {
			out->keyrefs[out->n_keyrefs++] = t.value[0];
		}
	}
}

bool me_fcp_parse(const uint8_t *p, size_t len, struct me_fcp *out)
{
	struct simota_reader r;
	struct simota_tlv fcp, t;

	memset(out, 0, sizeof(*out));
	if (simota_ber_tlv_parse_one(p, len, &fcp) != SIMOTA_OK || fcp.tag != 0x62)
		return false;
	out->raw_len = (uint8_t)(len > 255 ? 255 : len);
	r = simota_reader_init(fcp.value, fcp.len);
	while (simota_reader_left(&r)) {
		if (simota_ber_tlv_next(&r, &t) != SIMOTA_OK)
			return false;
		switch (t.tag) {
		case 0x82:   /* file descriptor: FDB, data coding, [record length (2), number of records] */
			if (t.len < 1)
				return false;
			out->fdb = t.value[0];
			if (t.len >= 5) {
				out->record_len = (uint16_t)(t.value[2] << 8 | t.value[3]);
				out->n_records = t.value[4];
			}
			break;
		case 0x83:
			if (t.len == 2) {
				out->has_fid = true;
				out->fid = (uint16_t)(t.value[0] << 8 | t.value[1]);
			}
			break;
		case 0x80:   /* file size */
			out->file_size = 0;
			for (size_t i = 0; i < t.len && i < 4; i++)
				out->file_size = out->file_size << 8 | t.value[i];
			break;
		case 0x8B:   /* security attributes, referenced: EF_ARR FID and record */
			if (t.len >= 3) {
				out->has_arr = true;
				out->arr_fid = (uint16_t)(t.value[0] << 8 | t.value[1]);
				out->arr_record = t.value[2];
			}
			break;
		case 0xC6:
			pin_status(out, t.value, t.len);
			break;
		default:
			break;
		}
	}
	return true;
}

int me_fcp_pin_enabled(const struct me_fcp *f, uint8_t keyref)
{
	for (size_t i = 0; i < f->n_keyrefs; i++) {
		if (f->keyrefs[i] != keyref)
			continue;
		if (i / 8 >= f->ps_do_len)
			return -1;
		return (f->ps_do[i / 8] >> (7 - i % 8)) & 1;
	}
	return -1;
}

/* TS 102 221 Table 11.5: 0x38 (b6..b4 111, b3..b1 000) is a DF or ADF. */
bool me_fcp_is_df(const struct me_fcp *f)
{
	return (f->fdb & 0xBF) == 0x38;
}

bool me_fcp_is_record(const struct me_fcp *f)
{
	uint8_t s = f->fdb & 0x07;

	return !me_fcp_is_df(f) && (s == 0x02 || s == 0x06);
}

bool me_fcp_is_cyclic(const struct me_fcp *f)
{
	return !me_fcp_is_df(f) && (f->fdb & 0x07) == 0x06;
}

/* Digits of swapped BCD, low nibble first, up to an F filler. */
static size_t swapped_bcd(const uint8_t *p, size_t len, size_t skip_nibbles, char *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = skip_nibbles; i < 2 * len; i++) {
		uint8_t d = (i & 1) ? p[i / 2] >> 4 : p[i / 2] & 0x0F;

		if (d == 0xF)
			break;
		if (d > 9 || n + 1 >= cap)
			return 0;
		out[n++] = (char)('0' + d);
	}
	out[n] = '\0';
	return n;
}

bool me_ef_iccid_decode(const uint8_t *p, size_t len, char out[21])
{
	return len >= 10 && swapped_bcd(p, 10, 0, out, 21) >= 10;
}

/* TS 31.102 §4.2.2: length, then the parity/type nibble and the digits. */
bool me_ef_imsi_decode(const uint8_t *p, size_t len, char out[16])
{
	if (len < 9 || p[0] < 1 || p[0] > 8 || (p[1] & 0x07) != 0x01)
		return false;
	return swapped_bcd(p + 1, p[0], 1, out, 16) >= 6;
}

/* The last 14 bytes: BCD number length (TON/NPI included), TON/NPI, 10 bytes of BCD, CCP2, Ext5. */
bool me_ef_msisdn_decode(const uint8_t *rec, size_t len, char *out, size_t cap)
{
	struct simota_sms_address a;
	size_t used;
	const uint8_t *num;

	if (len < 14 || cap < 2)
		return false;
	num = rec + len - 14;
	out[0] = '\0';
	if (num[0] == 0xFF || num[0] == 0)
		return true;
	/* the number field is coded as an RP address (TS 24.011 §8.2.5.2) */
	if (num[0] > 11 || simota_sms_rp_address_decode(num, 12, &a, &used) != SIMOTA_OK)
		return false;
	g_snprintf(out, cap, "%s%s", a.ton == SIMOTA_SMS_TON_INTERNATIONAL ? "+" : "", a.digits);
	return true;
}

/*
 * TS 31.102 §4.2.27: alpha identifier (record length - 28), parameter
 * indicators (b2 0: TS-Service Centre Address present), TP-DA (12), TS-SCA
 * (12, an RP address), TP-PID, TP-DCS, TP-VP.
 */
bool me_ef_smsp_sca(const uint8_t *rec, size_t len, struct simota_sms_address *out)
{
	const uint8_t *pi, *sca;
	size_t used;

	if (len < 28)
		return false;
	pi = rec + len - 28;
	sca = pi + 13;
	if ((pi[0] & 0x02) || sca[0] == 0xFF || sca[0] == 0 || sca[0] > 11)
		return false;
	return simota_sms_rp_address_decode(sca, 12, out, &used) == SIMOTA_OK && out->digits[0];
}
