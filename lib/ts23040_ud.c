/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TP-UDL / TP-UD (TS 23.040 §9.2.3.16, §9.2.3.24): septets or octets by DCS,
 * UDH fill bits, text through the GSM 7 bit and text codecs.
 */
#include <string.h>

#include "simota/gsm7.h"
#include "simota/text.h"
#include "ts23040_internal.h"

/* TS 23.040 §9.2.3.16: septets for (uncompressed) GSM 7 bit; a reserved
 * alphabet is taken as GSM 7 bit (TS 23.038 §4). */
bool simota_sms_dcs_udl_in_septets(uint8_t dcs)
{
	struct simota_dcs d = simota_dcs_decode(dcs);

	return !d.compressed &&
	       (d.charset == SIMOTA_CHARSET_GSM7 || d.charset == SIMOTA_CHARSET_RESERVED);
}

/* TS 23.040 §9.2.3.16. */
size_t simota_sms_ud_octets(uint8_t dcs, uint8_t udl)
{
	return simota_sms_dcs_udl_in_septets(dcs) ? ((size_t)udl * 7 + 7) / 8 : udl;
}

/* TS 23.040 §9.2.3.24: fill bits that bring the UDH to a septet boundary. */
static unsigned fill_bits(size_t udh_octets)
{
	return (unsigned)((7 - (udh_octets * 8) % 7) % 7);
}

static size_t udh_septets(size_t udh_octets)
{
	return (udh_octets * 8 + fill_bits(udh_octets)) / 7;
}

/* TS 23.040 §9.2.3.24: the UDH and its size in octets. */
simota_err simota_sms_ud_get_udh(const struct simota_sms_ud *ud, struct simota_sms_udh *udh,
				 size_t *udh_octets)
{
	struct simota_sms_udh local;

	if (!udh)
		udh = &local;
	if (!ud->udhi) {
		simota_sms_udh_init(udh);
		*udh_octets = 0;
		return SIMOTA_OK;
	}
	return simota_sms_udh_parse(ud->ud, ud->len, udh, udh_octets);
}

/* TS 23.040 §9.2.3.16, §9.2.3.24. */
simota_err simota_sms_ud_read(struct simota_reader *r, uint8_t dcs, bool udhi,
			      size_t max_octets, struct simota_sms_ud *out)
{
	size_t octets, udh_octets;
	const uint8_t *p;
	simota_err err;

	memset(out, 0, sizeof(*out));
	out->udhi = udhi;
	err = simota_read_u8(r, &out->udl);
	if (err)
		return err;
	octets = simota_sms_ud_octets(dcs, out->udl);
	if (octets > max_octets || octets > SIMOTA_SMS_UD_CAP)
		return SIMOTA_ERR_BAD_LENGTH;
	err = simota_read_span(r, octets, &p);
	if (err)
		return err;
	if (simota_reader_left(r))
		return SIMOTA_ERR_TRAILING_DATA;
	memcpy(out->ud, p, octets);
	out->len = (uint8_t)octets;
	if (!udhi)
		return SIMOTA_OK;
	err = simota_sms_ud_get_udh(out, NULL, &udh_octets);
	if (err)
		return err;
	if (simota_sms_dcs_udl_in_septets(dcs) && udh_septets(udh_octets) > out->udl)
		return SIMOTA_ERR_BAD_LENGTH;
	return SIMOTA_OK;
}

/* TS 23.040 §9.2.3.16, §9.2.3.24. */
simota_err simota_sms_ud_write(const struct simota_sms_ud *ud, uint8_t dcs,
			       size_t max_octets, struct simota_writer *w)
{
	size_t udh_octets;
	simota_err err;

	if (ud->len > max_octets || ud->len > SIMOTA_SMS_UD_CAP ||
	    ud->len != simota_sms_ud_octets(dcs, ud->udl))
		return SIMOTA_ERR_BAD_LENGTH;
	if (ud->udhi) {
		err = simota_sms_ud_get_udh(ud, NULL, &udh_octets);
		if (err)
			return err;
		if (simota_sms_dcs_udl_in_septets(dcs) && udh_septets(udh_octets) > ud->udl)
			return SIMOTA_ERR_BAD_LENGTH;
	}
	simota_write_u8(w, ud->udl);
	simota_write_bytes(w, ud->ud, ud->len);
	return SIMOTA_OK;
}

static simota_err put_udh(struct simota_sms_ud *ud, const struct simota_sms_udh *udh,
			  size_t *udh_octets)
{
	struct simota_writer w = simota_writer_init(ud->ud, sizeof(ud->ud));
	simota_err err;

	memset(ud, 0, sizeof(*ud));
	*udh_octets = 0;
	if (!udh)
		return SIMOTA_OK;
	err = simota_sms_udh_encode(udh, &w);
	if (err)
		return err;
	ud->udhi = true;
	*udh_octets = w.len;
	return simota_writer_status(&w);
}

/* TS 23.040 §9.2.3.24: UDH then octets; TP-UDL in octets. */
simota_err simota_sms_ud_set_octets(struct simota_sms_ud *ud, const struct simota_sms_udh *udh,
				    const uint8_t *data, size_t len, size_t cap)
{
	size_t udh_octets;
	simota_err err;

	if (cap > SIMOTA_SMS_UD_CAP)
		cap = SIMOTA_SMS_UD_CAP;
	err = put_udh(ud, udh, &udh_octets);
	if (err)
		return err;
	if (udh_octets + len > cap)
		return SIMOTA_ERR_NO_SPACE;
	if (len)
		memcpy(ud->ud + udh_octets, data, len);
	ud->len = (uint8_t)(udh_octets + len);
	ud->udl = ud->len;
	return SIMOTA_OK;
}

/* TS 23.040 §9.2.3.24 (fill bits), TS 23.038 §6.1.2.1 (packing); TP-UDL in septets. */
simota_err simota_sms_ud_set_septets(struct simota_sms_ud *ud, const struct simota_sms_udh *udh,
				     const uint8_t *septets, size_t n)
{
	size_t udh_octets, packed;
	unsigned fill;
	simota_err err;

	err = put_udh(ud, udh, &udh_octets);
	if (err)
		return err;
	fill = fill_bits(udh_octets);
	if (udh_octets + simota_gsm7_packed_size(n, fill) > SIMOTA_SMS_UD_MAX)
		return SIMOTA_ERR_NO_SPACE;
	err = simota_gsm7_pack(septets, n, fill, ud->ud + udh_octets,
			       SIMOTA_SMS_UD_MAX - udh_octets, &packed);
	if (err)
		return err;
	ud->len = (uint8_t)(udh_octets + packed);
	ud->udl = (uint8_t)(udh_septets(udh_octets) + n);
	return SIMOTA_OK;
}

/* TS 23.038 §4 (alphabet by DCS), TS 23.040 §9.2.3.24. */
simota_err simota_sms_ud_set_text(struct simota_sms_ud *ud, uint8_t dcs,
				  const struct simota_sms_udh *udh, const char *utf8, size_t len)
{
	struct simota_dcs d = simota_dcs_decode(dcs);
	uint8_t buf[2 * SIMOTA_SMS_UD_CAP + 2];
	size_t n;
	simota_err err;

	if (d.compressed)
		return SIMOTA_ERR_UNSUPPORTED;
	if (simota_sms_dcs_udl_in_septets(dcs)) {
		err = simota_gsm7_from_utf8(utf8, len, NULL, 0, &n);
		if (err)
			return err;
		if (n > SIMOTA_SMS_UD_CAP)
			return SIMOTA_ERR_NO_SPACE;
		err = simota_gsm7_from_utf8(utf8, len, buf, sizeof(buf), &n);
		if (err)
			return err;
		return simota_sms_ud_set_septets(ud, udh, buf, n);
	}
	if (d.charset != SIMOTA_CHARSET_UCS2)
		return SIMOTA_ERR_BAD_VALUE;
	err = simota_text_string_encode(utf8, len, 0x08, buf, sizeof(buf), &n);
	if (err)
		return err;
	return simota_sms_ud_set_octets(ud, udh, buf + 1, n - 1, SIMOTA_SMS_UD_MAX);
}

/* TS 23.040 §9.2.3.24: octets after the UDH. */
simota_err simota_sms_ud_payload(const struct simota_sms_ud *ud, uint8_t dcs,
				 const uint8_t **p, size_t *len)
{
	size_t udh_octets;
	simota_err err;

	if (simota_sms_dcs_udl_in_septets(dcs))
		return SIMOTA_ERR_BAD_VALUE;
	err = simota_sms_ud_get_udh(ud, NULL, &udh_octets);
	if (err)
		return err;
	*p = ud->ud + udh_octets;
	*len = ud->len - udh_octets;
	return SIMOTA_OK;
}

/* TS 23.040 §9.2.3.24: septets after the UDH and fill bits. */
simota_err simota_sms_ud_septets(const struct simota_sms_ud *ud, uint8_t dcs,
				 uint8_t *out, size_t cap, size_t *n)
{
	size_t udh_octets, skip;
	simota_err err;

	if (!simota_sms_dcs_udl_in_septets(dcs))
		return SIMOTA_ERR_BAD_VALUE;
	err = simota_sms_ud_get_udh(ud, NULL, &udh_octets);
	if (err)
		return err;
	skip = udh_septets(udh_octets);
	if (skip > ud->udl)
		return SIMOTA_ERR_BAD_LENGTH;
	*n = ud->udl - skip;
	return simota_gsm7_unpack(ud->ud + udh_octets, ud->len - udh_octets, *n,
				  fill_bits(udh_octets), out, cap);
}

/* TS 23.038 §4, §6.2.1 (GSM 7 bit), §6.2.3 (UCS2). */
simota_err simota_sms_ud_text(const struct simota_sms_ud *ud, uint8_t dcs,
			      char *out, size_t cap, size_t *out_len)
{
	struct simota_dcs d = simota_dcs_decode(dcs);
	uint8_t buf[SIMOTA_SMS_UD_CAP * 8 / 7 + 2];
	const uint8_t *p;
	size_t n;
	simota_err err;

	if (d.compressed)
		return SIMOTA_ERR_UNSUPPORTED;
	if (simota_sms_dcs_udl_in_septets(dcs)) {
		err = simota_sms_ud_septets(ud, dcs, buf, sizeof(buf), &n);
		if (err)
			return err;
		return simota_gsm7_to_utf8(buf, n, 0, out, cap, out_len);
	}
	if (d.charset != SIMOTA_CHARSET_UCS2)
		return SIMOTA_ERR_BAD_VALUE;
	err = simota_sms_ud_payload(ud, dcs, &p, &n);
	if (err)
		return err;
	/* a CAT Text String with DCS 08 is exactly UCS2 text */
	buf[0] = 0x08;
	memcpy(buf + 1, p, n);
	return simota_text_string_decode(buf, n + 1, out, cap, out_len);
}
