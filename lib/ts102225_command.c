/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Secured command packets: ETSI TS 102 225 §5.1, 3GPP TS 31.115 §4.1.
 *
 *   CPL(2) CHL(1) SPI(2) KIc(1) KID(1) TAR(3) | CNTR(5) PCNTR(1) RC/CC data pad |
 *   offset 0  2      3      5      6      7     10       15       16
 *
 * CHL = 13 + RC/CC length; CPL counts everything after itself.  The RC/CC
 * covers CPL..PCNTR and data|pad (never the UDH 027000, never the RC/CC
 * field); the part between bars is ciphered after the RC/CC is computed.
 */
#include <string.h>

#include "simota/bytes.h"
#include "simota/ota.h"
#include "ts102225_internal.h"

#define CMD_HDR_FIXED 13     /* SPI KIc KID TAR CNTR PCNTR: the CHL minimum */
#define CMD_OFF_CHL 2
#define CMD_OFF_CNTR 10
#define CMD_OFF_CC 16

/* TS 31.115 §4.1 / §4.2: the UDH "02 70 00" or "02 71 00" in front of a
 * secured packet that fills the rest of the buffer. */
size_t simota_ota_udh_skip(const uint8_t *pkt, size_t len, uint8_t iei)
{
	if (len >= 5 && pkt[0] == 0x02 && pkt[1] == iei && pkt[2] == 0x00 &&
	    (size_t)(pkt[3] << 8 | pkt[4]) == len - 5)
		return 3;
	return 0;
}

/* TS 102 225 §5.1.1 (structure), §5.1.2 (ciphering, padding), §5.1.3 (RC/CC);
 * TS 31.115 §4.1 (CPL 2 bytes, CHL 1 byte). */
simota_err simota_ota_command_encode(const struct simota_ota_command *cmd,
				     struct simota_ota_key *kic_key,
				     struct simota_ota_key *kid_key,
				     uint8_t *out, size_t cap, size_t *out_len)
{
	struct simota_ota_spi spi;
	struct simota_ota_sec sec;
	struct simota_writer w = simota_writer_init(out, cap);
	size_t cpl;
	simota_err err;

	*out_len = 0;
	simota_ota_spi_decode(cmd->spi, &spi);
	if (spi.integrity == SIMOTA_OTA_INTEGRITY_DS)
		return SIMOTA_ERR_UNSUPPORTED;
	if (cmd->cntr > SIMOTA_OTA_CNTR_MAX || (cmd->data_len && !cmd->data))
		return SIMOTA_ERR_BAD_VALUE;
	err = simota_ota_sec_prepare(&sec, spi.integrity, spi.ciphered, cmd->kic, cmd->kid,
				     kic_key, kid_key, cmd->cc_len);
	if (!err)   /* ciphered: CNTR PCNTR RC/CC data pad */
		err = simota_ota_sec_layout(&sec, CMD_HDR_FIXED, 5 + 1, cmd->data_len, &cpl);
	if (err)
		return err;

	simota_write_be(&w, cpl, 2);
	simota_write_u8(&w, (uint8_t)(CMD_HDR_FIXED + sec.cc_len));
	simota_write_bytes(&w, cmd->spi, 2);
	simota_write_u8(&w, cmd->kic);
	simota_write_u8(&w, cmd->kid);
	simota_write_bytes(&w, cmd->tar, 3);
	simota_write_be(&w, cmd->cntr, 5);
	simota_write_u8(&w, (uint8_t)sec.pad);
	/* RC/CC input: CPL..PCNTR, then data|pad (TS 102 225 §5.1.3). */
	return simota_ota_sec_seal(&sec, &w, cmd->data, cmd->data_len, CMD_OFF_CNTR, CMD_OFF_CC,
				   out_len);
}

/* TS 31.115 §4.1: CPL, CHL and the unciphered header. */
simota_err simota_ota_command_peek(const uint8_t *pkt, size_t len,
				   struct simota_ota_command *out)
{
	struct simota_reader r = simota_reader_init(pkt, len);
	const uint8_t *p;
	size_t cc_len;
	simota_err err;

	memset(out, 0, sizeof(*out));
	err = simota_ota_read_lengths(&r, CMD_HDR_FIXED, &cc_len);
	if (err)
		return err;
	err = simota_read_span(&r, 7, &p);
	if (err)
		return err;
	memcpy(out->spi, p, 2);
	out->kic = p[2];
	out->kid = p[3];
	memcpy(out->tar, p + 4, 3);
	out->cc_len = cc_len;
	return SIMOTA_OK;
}

/* TS 102 225 §5.1: decipher, verify the RC/CC, strip the padding. */
simota_err simota_ota_command_decode(const uint8_t *pkt, size_t len,
				     struct simota_ota_key *kic_key,
				     struct simota_ota_key *kid_key,
				     uint8_t *work, size_t work_cap,
				     struct simota_ota_command *out)
{
	struct simota_ota_spi spi;
	uint8_t calc[SIMOTA_OTA_MAX_CC];
	const uint8_t *region, *body;
	size_t region_len, body_len, cc_len;
	enum simota_ota_alg kid_alg;
	simota_err err;

	err = simota_ota_command_peek(pkt, len, out);
	if (err)
		return err;
	cc_len = out->cc_len;
	simota_ota_spi_decode(out->spi, &spi);
	if (spi.integrity == SIMOTA_OTA_INTEGRITY_DS)
		return SIMOTA_ERR_UNSUPPORTED;
	if (spi.integrity == SIMOTA_OTA_INTEGRITY_NONE && cc_len)
		return SIMOTA_ERR_BAD_LENGTH;
	err = simota_ota_sec_check_cc(out->kid, spi.integrity, kid_key, cc_len, &kid_alg);
	if (err)
		return err;

	region = pkt + CMD_OFF_CNTR;
	region_len = len - CMD_OFF_CNTR;   /* >= 6 + cc_len: peek checked CHL */
	if (spi.ciphered) {
		err = simota_ota_sec_decipher(out->kic, kic_key, &region, region_len,
					      work, work_cap);
		if (err)
			return err;
	}

	out->cntr = simota_ota_cntr_get(region);
	out->pcntr = region[5];
	memcpy(out->cc, region + 6, cc_len);
	body = region + 6 + cc_len;
	body_len = region_len - 6 - cc_len;

	if (cc_len) {
		const struct simota_ota_span in[] = {
			{ pkt, CMD_OFF_CNTR }, { region, 6 }, { body, body_len },
		};
		err = simota_ota_mac_spans(kid_alg, kid_key, in, 3, calc, cc_len);
		if (err)
			return err;
		if (!simota_ota_cc_equal(calc, out->cc, cc_len))
			return SIMOTA_ERR_CHECKSUM;
	}
	if (out->pcntr > body_len)
		return SIMOTA_ERR_BAD_PADDING;
	out->data = body;
	out->data_len = body_len - out->pcntr;
	return SIMOTA_OK;
}
