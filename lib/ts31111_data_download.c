/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMS-PP data download, ME side: from the card's answer to ENVELOPE
 * (SMS-PP DOWNLOAD) to the RP-ACK / RP-ERROR and its SMS-DELIVER-REPORT
 * (TS 31.111 §7.1.1.1, TS 23.040 §9.2.2.1a, TS 24.011 §7.3.3/§7.3.4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simota/cat.h"
#include "simota/sms.h"

/*
 * TS 31.115 (response packet) / TS 23.040 §9.2.3.24: the card's data starts
 * with a well-formed user data header that holds IEI 71, the response packet
 * identifier.
 */
static bool starts_with_response_header(const uint8_t *data, size_t len)
{
	struct simota_sms_udh udh;
	size_t udh_octets;

	return simota_sms_udh_parse(data, len, &udh, &udh_octets) == SIMOTA_OK && udh.n_ies > 0 &&
	       simota_sms_udh_find(&udh, SIMOTA_SMS_IEI_RPI) >= 0;
}

/*
 * TS 23.040 §9.2.2.1a: TP-PI 07, PID and DCS as in the SMS, TP-UDL, the
 * card's data.  Under a GSM 7 bit DCS the TP-UDL counts the septets that
 * fill the data's octets.  TP-UDHI (§9.2.3.23) says whether TP-UD begins
 * with a header: 1 when the data is a response packet (it starts with its
 * 02 71 00 header) under an octet DCS, else 0; the data itself is copied as
 * the card gave it (TS 31.111 §7.1.1.1).  doc/wire-formats.md gives the
 * clauses of this choice.
 */
static simota_err fill_report(struct simota_sms_deliver_report *rep, uint8_t pid, uint8_t dcs,
			      const uint8_t *data, size_t len)
{
	simota_err err;

	rep->has_pid = rep->has_dcs = rep->has_ud = true;
	rep->pid = pid;
	rep->dcs = dcs;
	err = simota_sms_ud_set_octets(&rep->ud, NULL, data, len, SIMOTA_SMS_UD_CAP);
	if (err)
		return err;
	if (simota_sms_dcs_udl_in_septets(dcs)) {
		if (len * 8 / 7 > 0xFF)
			return SIMOTA_ERR_NO_SPACE;
		rep->ud.udl = (uint8_t)(len * 8 / 7);
	} else {
		rep->ud.udhi = starts_with_response_header(data, len);
	}
	return SIMOTA_OK;
}

/* TS 31.111 §7.1.1.1: the ME's acknowledgement of an SMS-PP data download. */
simota_err simota_sms_pp_download_result(uint8_t pid, uint8_t dcs, uint16_t sw,
					 const uint8_t *data, size_t len,
					 struct simota_sms_pp_result *out)
{
	uint8_t sw1 = (uint8_t)(sw >> 8);
	bool with_data;

	memset(out, 0, sizeof(*out));
	if (len && !data)
		return SIMOTA_ERR_BAD_VALUE;
	if (sw == 0x9000 || sw1 == 0x91 || sw1 == 0x61 || sw1 == 0x9F) {
		/* success, with data fetched by GET RESPONSE where 61/9F said so */
		out->rp = SIMOTA_RP_ACK;
		with_data = len > 0;
	} else if (sw1 == 0x62 || sw1 == 0x63 || sw1 == 0x9E) {
		/* warning with response data: "(U)SIM data download error" */
		out->rp = SIMOTA_RP_ERROR;
		out->tp_fcs = SIMOTA_SMS_FCS_DATA_DOWNLOAD_ERROR;
		with_data = len > 0;
	} else if (sw == 0x9300) {
		out->rp = SIMOTA_RP_ERROR;
		out->tp_fcs = SIMOTA_SMS_FCS_TOOLKIT_BUSY;
		with_data = false;
	} else {
		/* 6F XX (technical problem) and every other error */
		out->rp = SIMOTA_RP_ERROR;
		out->tp_fcs = SIMOTA_SMS_FCS_DATA_DOWNLOAD_ERROR;
		with_data = false;
	}
	out->report.rp_error = out->rp == SIMOTA_RP_ERROR;
	out->report.fcs = out->tp_fcs;
	out->has_report = with_data;
	if (with_data)
		return fill_report(&out->report, pid, dcs, data, len);
	return SIMOTA_OK;
}

/* TS 23.038 §4: general data coding (00xx xxxx, class when bit 4) and data coding / message class (1111 xxxx). */
int simota_sms_dcs_class(uint8_t dcs)
{
	if ((dcs & 0xC0) == 0x00)
		return (dcs & 0x10) ? dcs & 0x03 : -1;
	if ((dcs & 0xF0) == 0xF0)
		return dcs & 0x03;
	return -1;
}

/* TS 31.111 §7.1.1: TP-PID 7F, class 2. */
bool simota_sms_is_data_download(uint8_t pid, uint8_t dcs)
{
	return pid == 0x7F && simota_sms_dcs_class(dcs) == 2;
}

/* TS 31.111 §7.1.1.2 */
simota_err simota_sms_pp_download_envelope(const struct simota_sms_address *sca,
					   const uint8_t *tpdu, size_t len,
					   uint8_t *out, size_t cap, size_t *out_len)
{
	struct simota_cat_msg *m;
	simota_err err;

	if (!tpdu || len == 0 || len > SIMOTA_CAT_BYTES_MAX)
		return SIMOTA_ERR_BAD_LENGTH;
	m = calloc(1, sizeof(*m));
	if (!m)
		return SIMOTA_ERR_NO_SPACE;
	m->envelope_tag = SIMOTA_CAT_TAG_SMS_PP_DOWNLOAD;
	m->src = SIMOTA_CAT_DEV_NETWORK;
	m->dst = SIMOTA_CAT_DEV_UICC;
	if (sca && sca->digits[0]) {
		m->address.present = true;
		/* TS 24.008 §10.5.4.7: extension bit 1, TON, NPI (0x91: international E.164) */
		m->address.ton_npi = (uint8_t)(0x80 | (sca->ton & 0x07) << 4 | (sca->npi & 0x0F));
		snprintf(m->address.number, sizeof(m->address.number), "%s", sca->digits);
	}
	m->sms_tpdu.present = true;
	m->sms_tpdu.len = (uint8_t)len;
	memcpy(m->sms_tpdu.data, tpdu, len);
	err = simota_cat_envelope_encode(m, out, cap, out_len);
	free(m);
	return err;
}

/* TS 24.011 §7.3.3/§7.3.4 with the TPDU of TS 23.040 §9.2.2.1a. */
simota_err simota_sms_pp_download_report(const struct simota_sms_pp_result *res, uint8_t *out,
					 size_t cap, size_t *out_len, uint8_t *rp_cause)
{
	*out_len = 0;
	*rp_cause = res->rp == SIMOTA_RP_ERROR ? 0x6F : 0;
	if (!res->has_report && res->rp != SIMOTA_RP_ERROR)
		return SIMOTA_OK;
	return simota_sms_deliver_report_encode(&res->report, out, cap, out_len);
}
