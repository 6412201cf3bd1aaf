/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Secured response packets (PoR): ETSI TS 102 225 §5.2, 3GPP TS 31.115 §4.2.
 *
 *   02 71 00 RPL(2) RHL(1) TAR(3) | CNTR(5) PCNTR(1) STS(1) RC/CC data pad |
 *   offset 0 3      5      6        9       14       15     16
 *
 * RHL = 10 + RC/CC length; RPL counts everything after itself.  The RC/CC
 * covers 027100 RPL RHL TAR CNTR PCNTR STS data pad (TS 31.115 §4.2: the UDH
 * is included); the part between bars is ciphered when SPI2 asks for it.
 * Security follows SPI2 of the command, with the command's KIc/KID keys.
 * An error PoR (status 01-0A) is sent plain, without RC/CC (TS 102 225 §5.2.2;
 * doc/architecture.md).
 */
#include <string.h>

#include "simota/bytes.h"
#include "simota/ota.h"
#include "ts102225_internal.h"

#define RSP_HDR_FIXED 10   /* TAR CNTR PCNTR STS: the RHL minimum */
#define RSP_OFF_CNTR 9     /* offsets with the UDH */
#define RSP_OFF_CC 16

static const uint8_t rsp_udh[3] = { 0x02, 0x71, 0x00 };

/* TS 102 225 §5.2.1 (structure), §5.2.2 (status); TS 31.115 §4.2. */
simota_err simota_ota_response_encode(const uint8_t cmd_spi[2], uint8_t kic, uint8_t kid,
				      const struct simota_ota_response *rsp,
				      struct simota_ota_key *kic_key,
				      struct simota_ota_key *kid_key,
				      uint8_t *out, size_t cap, size_t *out_len)
{
	struct simota_ota_spi spi;
	struct simota_ota_sec sec;
	struct simota_writer w = simota_writer_init(out, cap);
	enum simota_ota_integrity integrity = SIMOTA_OTA_INTEGRITY_NONE;
	bool ciphered = false;
	size_t rpl;
	simota_err err;

	*out_len = 0;
	simota_ota_spi_decode(cmd_spi, &spi);
	if (!simota_ota_status_is_error(rsp->status)) {
		integrity = spi.por_integrity;
		ciphered = spi.por_ciphered;
	}
	if (integrity == SIMOTA_OTA_INTEGRITY_DS)
		return SIMOTA_ERR_UNSUPPORTED;
	if (rsp->cntr > SIMOTA_OTA_CNTR_MAX || (rsp->data_len && !rsp->data))
		return SIMOTA_ERR_BAD_VALUE;
	err = simota_ota_sec_prepare(&sec, integrity, ciphered, kic, kid, kic_key, kid_key,
				     rsp->cc_len);
	if (!err)   /* ciphered: CNTR PCNTR STS RC/CC data pad */
		err = simota_ota_sec_layout(&sec, RSP_HDR_FIXED, 5 + 1 + 1, rsp->data_len, &rpl);
	if (err)
		return err;

	simota_write_bytes(&w, rsp_udh, 3);
	simota_write_be(&w, rpl, 2);
	simota_write_u8(&w, (uint8_t)(RSP_HDR_FIXED + sec.cc_len));
	simota_write_bytes(&w, rsp->tar, 3);
	simota_write_be(&w, rsp->cntr, 5);
	simota_write_u8(&w, (uint8_t)sec.pad);
	simota_write_u8(&w, rsp->status);
	/* the RC/CC covers the UDH 027100 too (TS 31.115 §4.2) */
	return simota_ota_sec_seal(&sec, &w, rsp->data, rsp->data_len, RSP_OFF_CNTR, RSP_OFF_CC,
				   out_len);
}

static void read_fixed(const uint8_t *region, struct simota_ota_response *out)
{
	out->cntr = simota_ota_cntr_get(region);
	out->pcntr = region[5];
	out->status = region[6];
}

/* TS 102 225 §5.2.1: body after STS/RC/CC, minus PCNTR padding bytes. */
static simota_err set_data(const uint8_t *body, size_t body_len, struct simota_ota_response *out)
{
	if (out->pcntr > body_len)
		return SIMOTA_ERR_BAD_PADDING;
	out->data = body;
	out->data_len = body_len - out->pcntr;
	return SIMOTA_OK;
}

/* TS 102 225 §5.2, TS 31.115 §4.2. */
simota_err simota_ota_response_decode(const uint8_t cmd_spi[2], uint8_t kic, uint8_t kid,
				      const uint8_t *pkt, size_t len,
				      struct simota_ota_key *kic_key,
				      struct simota_ota_key *kid_key,
				      uint8_t *work, size_t work_cap,
				      struct simota_ota_response *out)
{
	struct simota_ota_spi spi;
	struct simota_reader r;
	uint8_t calc[SIMOTA_OTA_MAX_CC];
	const uint8_t *p, *region, *body;
	size_t region_len, cc_len;
	bool plain;
	enum simota_ota_alg kid_alg;
	simota_err err;

	memset(out, 0, sizeof(*out));
	p = pkt + simota_ota_udh_skip(pkt, len, 0x71);
	len -= (size_t)(p - pkt);
	r = simota_reader_init(p, len);
	err = simota_ota_read_lengths(&r, RSP_HDR_FIXED, &cc_len);
	if (err)
		return err;
	memcpy(out->tar, p + 3, 3);
	region = p + 6;                    /* CNTR onwards; >= 7 + cc_len bytes */
	region_len = len - 6;

	/* A plain error PoR is recognised by what it lacks: no RC/CC field
	 * although SPI2 asks for one, or a length no cipher could produce. */
	simota_ota_spi_decode(cmd_spi, &spi);
	if (spi.por_integrity != SIMOTA_OTA_INTEGRITY_NONE)
		plain = cc_len == 0;
	else if (cc_len)
		return SIMOTA_ERR_BAD_LENGTH;  /* RC/CC field SPI2 did not ask for */
	else if (spi.por_ciphered)
		plain = !kic_key || !simota_ota_alg_is_cipher(simota_ota_key_alg(kic_key)) ||
			region_len % simota_ota_key_block_size(kic_key);
	else
		plain = true;

	if (plain) {
		read_fixed(region, out);
		if (!simota_ota_status_is_error(out->status)) {
			/* Not an error PoR, yet without the requested security. */
			if (spi.por_integrity != SIMOTA_OTA_INTEGRITY_NONE)
				return SIMOTA_ERR_CHECKSUM;
			if (spi.por_ciphered)
				return kic_key ? SIMOTA_ERR_BAD_PADDING : SIMOTA_ERR_MISSING_VALUE;
		}
		return set_data(region + 7, region_len - 7, out);
	}

	if (spi.por_integrity == SIMOTA_OTA_INTEGRITY_DS)
		return SIMOTA_ERR_UNSUPPORTED;
	err = simota_ota_sec_check_cc(kid, spi.por_integrity, kid_key, cc_len, &kid_alg);
	if (err)
		return err;
	if (spi.por_ciphered) {
		err = simota_ota_sec_decipher(kic, kic_key, &region, region_len, work, work_cap);
		if (err)
			return err;
		out->ciphered = true;
	}
	read_fixed(region, out);
	memcpy(out->cc, region + 7, cc_len);
	out->cc_len = cc_len;
	body = region + 7 + cc_len;

	if (cc_len) {
		/* the response RC/CC covers the UDH 027100 too (TS 31.115 §4.2) */
		const struct simota_ota_span in[] = {
			{ rsp_udh, 3 }, { p, 6 }, { region, 7 }, { body, region_len - 7 - cc_len },
		};
		err = simota_ota_mac_spans(kid_alg, kid_key, in, 4, calc, cc_len);
		if (err)
			return err;
		if (!simota_ota_cc_equal(calc, out->cc, cc_len))
			return SIMOTA_ERR_CHECKSUM;
	}
	err = set_data(body, region_len - 7 - cc_len, out);
	if (err && out->ciphered && !cc_len && simota_ota_status_is_error(p[12])) {
		/* SPI2 "ciphered, no RC/CC": a plain error PoR that happens to
		 * be whole cipher blocks long deciphers to nonsense; nothing
		 * else tells the two apart, so read it plain. */
		memset(out, 0, sizeof(*out));
		memcpy(out->tar, p + 3, 3);
		read_fixed(p + 6, out);
		return set_data(p + 13, region_len - 7, out);
	}
	return err;
}

/* TS 102 225 §5.2.2 table 5 */
const char *simota_ota_status_name(uint8_t status)
{
	static const char *const names[] = {
		[SIMOTA_OTA_STATUS_OK] = "PoR OK",
		[SIMOTA_OTA_STATUS_CHECKSUM_FAILED] = "RC/CC/DS failed",
		[SIMOTA_OTA_STATUS_CNTR_LOW] = "counter low",
		[SIMOTA_OTA_STATUS_CNTR_HIGH] = "counter high",
		[SIMOTA_OTA_STATUS_CNTR_BLOCKED] = "counter blocked",
		[SIMOTA_OTA_STATUS_CIPHERING_ERROR] = "ciphering error",
		[SIMOTA_OTA_STATUS_SECURITY_ERROR] = "unidentified security error",
		[SIMOTA_OTA_STATUS_NO_MEMORY] = "insufficient memory to store the message",
		[SIMOTA_OTA_STATUS_MORE_TIME] = "more time needed",
		[SIMOTA_OTA_STATUS_TAR_UNKNOWN] = "TAR unknown",
		[SIMOTA_OTA_STATUS_INSUFFICIENT_SECURITY] = "insufficient security level",
	};

	return status < sizeof(names) / sizeof(names[0]) ? names[status] : "reserved";
}
