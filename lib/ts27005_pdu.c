/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An SMS with its service centre address in front (TS 27.005 §3.1 <pdu>,
 * "PDU mode"): the SC address coded as an RP address (TS 24.011 §8.2.5.1,
 * its length octet first, 00 for none) then the TPDU.  oFono's sms atom
 * API, AT +CMGS / +CMT and QMI WMS raw messages of format 06 (GSM/WCDMA
 * point-to-point: Raw Send, Raw Read, the transfer-route MT message) carry
 * this form; doc/wire-formats.md says which firmware writes which.
 */
#include <string.h>

#include "simota/sms.h"

/* TS 27.005 §3.1: <pdu> = SC address (TS 24.011 §8.2.5.1) + TPDU */
simota_err simota_sms_pdu_encode(const struct simota_sms_address *sca, const uint8_t *tpdu, size_t len,
				 uint8_t *out, size_t cap, size_t *out_len)
{
	struct simota_writer w = simota_writer_init(out, cap);

	*out_len = 0;
	if (!tpdu || !len)
		return SIMOTA_ERR_BAD_LENGTH;
	if (sca && sca->digits[0])
		simota_sms_rp_address_encode(sca, &w);
	else
		simota_write_u8(&w, 0x00);
	simota_write_bytes(&w, tpdu, len);
	if (simota_writer_status(&w) != SIMOTA_OK)
		return simota_writer_status(&w);
	*out_len = w.len;
	return SIMOTA_OK;
}

/* TS 27.005 §3.1 */
simota_err simota_sms_pdu_decode(const uint8_t *p, size_t len, struct simota_sms_address *sca,
				 size_t *tpdu_off)
{
	size_t used;
	simota_err err;

	memset(sca, 0, sizeof(*sca));
	*tpdu_off = 0;
	if (!p || !len)
		return SIMOTA_ERR_BAD_LENGTH;
	/* TS 24.011 §8.2.5.1: at most 11 octets after the length octet (TOA + 10 of BCD) */
	if (p[0] > 11)
		return SIMOTA_ERR_BAD_VALUE;
	if (p[0] == 0) {
		used = 1;
	} else if ((err = simota_sms_rp_address_decode(p, len, sca, &used)) != SIMOTA_OK) {
		return err;
	}
	if (used >= len)
		return SIMOTA_ERR_BAD_LENGTH;
	*tpdu_off = used;
	return SIMOTA_OK;
}

/*
 * An MT message as firmware hands it over: TS 27.005 form (what ModemManager
 * reads from QMI WMS and what modem-emu writes) or a bare SMS-DELIVER (what
 * oFono 1.31's qmimodem assumes).  The SC-prefixed reading is tried first;
 * a reading counts only when the whole rest decodes as an SMS-DELIVER
 * (TS 23.040 §9.2.2.1: its TP-UDL accounts for every octet).
 */
simota_err simota_sms_pdu_decode_deliver(const uint8_t *p, size_t len, struct simota_sms_address *sca,
					 size_t *tpdu_off, struct simota_sms_deliver *out)
{
	size_t off;
	simota_err err;

	if (simota_sms_pdu_decode(p, len, sca, &off) == SIMOTA_OK &&
	    simota_sms_deliver_decode(p + off, len - off, out) == SIMOTA_OK) {
		*tpdu_off = off;
		return SIMOTA_OK;
	}
	memset(sca, 0, sizeof(*sca));
	*tpdu_off = 0;
	err = simota_sms_deliver_decode(p, len, out);
	return err;
}
