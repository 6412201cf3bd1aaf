/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TPDUs: SMS-DELIVER (TS 23.040 §9.2.2.1), SMS-DELIVER-REPORT in RP-ACK and
 * RP-ERROR form (§9.2.2.1a), SMS-SUBMIT (§9.2.2.2).
 */
#include <string.h>

#include "simota/text.h"
#include "ts23040_internal.h"

#define FO_MTI 0x03
#define FO_UDHI 0x40
#define FO_RP 0x80
#define FO_DELIVER_MMS 0x04
#define FO_DELIVER_LP 0x08
#define FO_DELIVER_SRI 0x20
#define FO_SUBMIT_RD 0x04
#define FO_SUBMIT_SRR 0x20

#define PI_PID 0x01
#define PI_DCS 0x02
#define PI_UDL 0x04
#define PI_EXTENSION 0x80

static simota_err read_address(struct simota_reader *r, struct simota_sms_address *a)
{
	size_t used;
	simota_err err;

	err = simota_sms_address_decode(r->p + r->pos, simota_reader_left(r), a, &used);
	if (err)
		return err;
	r->pos += used;
	return SIMOTA_OK;
}

static simota_err read_scts(struct simota_reader *r, struct simota_sms_scts *t)
{
	const uint8_t *p;
	simota_err err;

	err = simota_read_span(r, SIMOTA_SMS_SCTS_LEN, &p);
	if (err)
		return err;
	return simota_sms_scts_decode(p, t);
}

static simota_err finish(struct simota_writer *w, size_t *out_len)
{
	simota_err err = simota_writer_status(w);

	if (err)
		return err;
	*out_len = w->len;
	return SIMOTA_OK;
}

/* TS 23.040 §9.2.2.1: SMS-DELIVER. */
simota_err simota_sms_deliver_decode(const uint8_t *p, size_t len, struct simota_sms_deliver *out)
{
	struct simota_reader r = simota_reader_init(p, len);
	uint8_t fo;
	simota_err err;

	memset(out, 0, sizeof(*out));
	if ((err = simota_read_u8(&r, &fo)))
		return err;
	/* §9.2.3.1: an MS takes the reserved MTI 11 as an SMS-DELIVER */
	if ((fo & FO_MTI) != SIMOTA_SMS_MTI_DELIVER && (fo & FO_MTI) != 3)
		return SIMOTA_ERR_BAD_VALUE;
	out->tp_mms = fo & FO_DELIVER_MMS;
	out->tp_lp = fo & FO_DELIVER_LP;
	out->tp_sri = fo & FO_DELIVER_SRI;
	out->tp_rp = fo & FO_RP;
	if ((err = read_address(&r, &out->oa)) ||
	    (err = simota_read_u8(&r, &out->pid)) ||
	    (err = simota_read_u8(&r, &out->dcs)) ||
	    (err = read_scts(&r, &out->scts)))
		return err;
	return simota_sms_ud_read(&r, out->dcs, fo & FO_UDHI, SIMOTA_SMS_UD_MAX, &out->ud);
}

/* TS 23.040 §9.2.2.1. */
simota_err simota_sms_deliver_encode(const struct simota_sms_deliver *in,
				     uint8_t *out, size_t cap, size_t *out_len)
{
	struct simota_writer w = simota_writer_init(out, cap);
	uint8_t fo = SIMOTA_SMS_MTI_DELIVER;
	simota_err err;

	if (in->tp_mms)
		fo |= FO_DELIVER_MMS;
	if (in->tp_lp)
		fo |= FO_DELIVER_LP;
	if (in->tp_sri)
		fo |= FO_DELIVER_SRI;
	if (in->ud.udhi)
		fo |= FO_UDHI;
	if (in->tp_rp)
		fo |= FO_RP;
	simota_write_u8(&w, fo);
	if ((err = simota_sms_address_encode(&in->oa, &w)))
		return err;
	simota_write_u8(&w, in->pid);
	simota_write_u8(&w, in->dcs);
	if ((err = simota_sms_scts_encode(&in->scts, &w)) ||
	    (err = simota_sms_ud_write(&in->ud, in->dcs, SIMOTA_SMS_UD_MAX, &w)))
		return err;
	return finish(&w, out_len);
}

/* TS 23.040 §9.2.2.2 (TP-VP by TP-VPF, §9.2.3.12). */
static simota_err read_vp(struct simota_reader *r, struct simota_sms_vp *vp)
{
	const uint8_t *p;
	simota_err err;

	switch (vp->format) {
	case SIMOTA_SMS_VPF_NONE:
		return SIMOTA_OK;
	case SIMOTA_SMS_VPF_RELATIVE:
		return simota_read_u8(r, &vp->relative);
	case SIMOTA_SMS_VPF_ABSOLUTE:
		return read_scts(r, &vp->absolute);
	case SIMOTA_SMS_VPF_ENHANCED:
		err = simota_read_span(r, sizeof(vp->enhanced), &p);
		if (err)
			return err;
		memcpy(vp->enhanced, p, sizeof(vp->enhanced));
		return SIMOTA_OK;
	}
	return SIMOTA_ERR_BAD_VALUE;
}

static simota_err write_vp(const struct simota_sms_vp *vp, struct simota_writer *w)
{
	switch (vp->format) {
	case SIMOTA_SMS_VPF_NONE:
		return SIMOTA_OK;
	case SIMOTA_SMS_VPF_RELATIVE:
		simota_write_u8(w, vp->relative);
		return SIMOTA_OK;
	case SIMOTA_SMS_VPF_ABSOLUTE:
		return simota_sms_scts_encode(&vp->absolute, w);
	case SIMOTA_SMS_VPF_ENHANCED:
		simota_write_bytes(w, vp->enhanced, sizeof(vp->enhanced));
		return SIMOTA_OK;
	}
	return SIMOTA_ERR_BAD_VALUE;
}

/* TS 23.040 §9.2.2.2: SMS-SUBMIT. */
simota_err simota_sms_submit_decode(const uint8_t *p, size_t len, unsigned flags,
				    struct simota_sms_submit *out)
{
	struct simota_reader r = simota_reader_init(p, len);
	size_t max = SIMOTA_SMS_UD_MAX;
	uint8_t fo;
	simota_err err;

	memset(out, 0, sizeof(*out));
	if ((err = simota_read_u8(&r, &fo)))
		return err;
	if ((fo & FO_MTI) != SIMOTA_SMS_MTI_SUBMIT)
		return SIMOTA_ERR_BAD_VALUE;
	out->tp_rd = fo & FO_SUBMIT_RD;
	out->vp.format = (enum simota_sms_vpf)((fo >> 3) & 3);
	out->tp_srr = fo & FO_SUBMIT_SRR;
	out->tp_rp = fo & FO_RP;
	if ((err = simota_read_u8(&r, &out->mr)) ||
	    (err = read_address(&r, &out->da)) ||
	    (err = simota_read_u8(&r, &out->pid)) ||
	    (err = simota_read_u8(&r, &out->dcs)) ||
	    (err = read_vp(&r, &out->vp)))
		return err;
	/* TS 102 223 §6.4.10: unpacked GSM characters in 8 bit data, for the ME to pack */
	if ((flags & SIMOTA_SMS_DECODE_UNPACKED_UD) && !simota_sms_dcs_udl_in_septets(out->dcs))
		max = SIMOTA_SMS_UD_CAP;
	return simota_sms_ud_read(&r, out->dcs, fo & FO_UDHI, max, &out->ud);
}

/* TS 23.040 §9.2.2.2. */
simota_err simota_sms_submit_encode(const struct simota_sms_submit *in,
				    uint8_t *out, size_t cap, size_t *out_len)
{
	struct simota_writer w = simota_writer_init(out, cap);
	uint8_t fo = SIMOTA_SMS_MTI_SUBMIT;
	simota_err err;

	if ((unsigned)in->vp.format > 3)
		return SIMOTA_ERR_BAD_VALUE;
	if (in->tp_rd)
		fo |= FO_SUBMIT_RD;
	fo |= (uint8_t)(in->vp.format << 3);
	if (in->tp_srr)
		fo |= FO_SUBMIT_SRR;
	if (in->ud.udhi)
		fo |= FO_UDHI;
	if (in->tp_rp)
		fo |= FO_RP;
	simota_write_u8(&w, fo);
	simota_write_u8(&w, in->mr);
	if ((err = simota_sms_address_encode(&in->da, &w)))
		return err;
	simota_write_u8(&w, in->pid);
	simota_write_u8(&w, in->dcs);
	if ((err = write_vp(&in->vp, &w)) ||
	    (err = simota_sms_ud_write(&in->ud, in->dcs, SIMOTA_SMS_UD_CAP, &w)))
		return err;
	return finish(&w, out_len);
}

/*
 * TS 102 223 §6.4.10 (packing by the ME), TS 23.038 §4: the 7 bit DCS of
 * the same group (general data coding: bits 3..2 = 00; group 1111: bit 2 = 0).
 */
simota_err simota_sms_submit_pack(struct simota_sms_submit *sms)
{
	struct simota_dcs d = simota_dcs_decode(sms->dcs);
	struct simota_sms_udh udh;
	struct simota_sms_ud packed;
	const uint8_t *p;
	size_t n, udh_octets;
	uint8_t dcs;
	simota_err err;

	if (simota_sms_dcs_udl_in_septets(sms->dcs))
		return SIMOTA_OK;
	if (d.compressed || d.charset != SIMOTA_CHARSET_8BIT)
		return SIMOTA_ERR_BAD_VALUE;
	if ((sms->dcs & 0xF0) == 0xF0)
		dcs = sms->dcs & (uint8_t)~0x04;
	else if ((sms->dcs & 0x80) == 0)
		dcs = sms->dcs & (uint8_t)~0x0C;
	else
		return SIMOTA_ERR_BAD_VALUE;
	if ((err = simota_sms_ud_get_udh(&sms->ud, &udh, &udh_octets)) ||
	    (err = simota_sms_ud_payload(&sms->ud, sms->dcs, &p, &n)))
		return err;
	for (size_t i = 0; i < n; i++)
		if (p[i] & 0x80)
			return SIMOTA_ERR_BAD_ENCODING;
	err = simota_sms_ud_set_septets(&packed, sms->ud.udhi ? &udh : NULL, p, n);
	if (err)
		return err;
	sms->ud = packed;
	sms->dcs = dcs;
	return SIMOTA_OK;
}

/* TS 23.040 §9.2.2.1a: SMS-DELIVER-REPORT (FCS only in the RP-ERROR form). */
simota_err simota_sms_deliver_report_decode(const uint8_t *p, size_t len, bool rp_error,
					    struct simota_sms_deliver_report *out)
{
	struct simota_reader r = simota_reader_init(p, len);
	uint8_t fo, pi, ext;
	simota_err err;

	memset(out, 0, sizeof(*out));
	out->rp_error = rp_error;
	if ((err = simota_read_u8(&r, &fo)))
		return err;
	if ((fo & FO_MTI) != SIMOTA_SMS_MTI_DELIVER)
		return SIMOTA_ERR_BAD_VALUE;
	if (rp_error && (err = simota_read_u8(&r, &out->fcs)))
		return err;
	if ((err = simota_read_u8(&r, &pi)))
		return err;
	/* §9.2.3.27: further TP-PI octets follow while bit 7 is set; none defined */
	for (ext = pi; ext & PI_EXTENSION;)
		if ((err = simota_read_u8(&r, &ext)))
			return err;
	out->has_pid = pi & PI_PID;
	out->has_dcs = pi & PI_DCS;
	out->has_ud = pi & PI_UDL;
	if (out->has_pid && (err = simota_read_u8(&r, &out->pid)))
		return err;
	if (out->has_dcs && (err = simota_read_u8(&r, &out->dcs)))
		return err;
	if (!out->has_ud) {
		if (fo & FO_UDHI)
			return SIMOTA_ERR_BAD_VALUE;   /* a UDH without user data */
		return simota_reader_left(&r) ? SIMOTA_ERR_TRAILING_DATA : SIMOTA_OK;
	}
	return simota_sms_ud_read(&r, out->dcs, fo & FO_UDHI, SIMOTA_SMS_UD_CAP, &out->ud);
}

/* TS 23.040 §9.2.2.1a. */
simota_err simota_sms_deliver_report_encode(const struct simota_sms_deliver_report *in,
					    uint8_t *out, size_t cap, size_t *out_len)
{
	struct simota_writer w = simota_writer_init(out, cap);
	uint8_t pi = 0;
	simota_err err;

	if (!in->has_ud && in->ud.udhi)
		return SIMOTA_ERR_BAD_VALUE;
	simota_write_u8(&w, (uint8_t)(SIMOTA_SMS_MTI_DELIVER | (in->has_ud && in->ud.udhi ? FO_UDHI : 0)));
	if (in->rp_error)
		simota_write_u8(&w, in->fcs);
	if (in->has_pid)
		pi |= PI_PID;
	if (in->has_dcs)
		pi |= PI_DCS;
	if (in->has_ud)
		pi |= PI_UDL;
	simota_write_u8(&w, pi);
	if (in->has_pid)
		simota_write_u8(&w, in->pid);
	if (in->has_dcs)
		simota_write_u8(&w, in->dcs);
	/* an absent DCS means GSM 7 bit for the TP-UDL (§9.2.3.27) */
	if (in->has_ud &&
	    (err = simota_sms_ud_write(&in->ud, in->has_dcs ? in->dcs : 0, SIMOTA_SMS_UD_CAP, &w)))
		return err;
	return finish(&w, out_len);
}
