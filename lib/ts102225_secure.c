/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The steps secured command packets (ETSI TS 102 225 §5.1) and response
 * packets (§5.2) share: the length fields of the header (3GPP TS 31.115
 * §4.1, §4.2), the RC/CC algorithm and field length, the padding, the
 * RC/CC over the packet around its own field, and the ciphering from CNTR on.
 */
#include <string.h>

#include "ts102225_internal.h"

/* TS 31.115 §4.1 CPL CHL / §4.2 RPL RHL: the packet length (what follows it,
 * exactly), then the header length (hl_fixed + RC/CC, within the packet). */
simota_err simota_ota_read_lengths(struct simota_reader *r, size_t hl_fixed, size_t *cc_len)
{
	uint64_t pl;
	uint8_t hl;
	simota_err err;

	err = simota_read_be(r, 2, &pl);
	if (err)
		return err;
	if (simota_reader_left(r) < pl)
		return SIMOTA_ERR_TRUNCATED;
	if (simota_reader_left(r) > pl)
		return SIMOTA_ERR_TRAILING_DATA;
	err = simota_read_u8(r, &hl);
	if (err)
		return err;
	if (hl < hl_fixed || hl - hl_fixed > SIMOTA_OTA_MAX_CC || hl > simota_reader_left(r))
		return SIMOTA_ERR_BAD_LENGTH;
	*cc_len = hl - hl_fixed;
	return SIMOTA_OK;
}

/* TS 102 225 §5.1.1 / §5.2.1: the 5-byte counter CNTR, big-endian. */
uint64_t simota_ota_cntr_get(const uint8_t *p)
{
	return (uint64_t)p[0] << 32 | (uint64_t)p[1] << 24 |
	       (uint64_t)p[2] << 16 | (uint64_t)p[3] << 8 | p[4];
}

/* TS 102 225 §5.1.3 (RC/CC), §5.1.2 (ciphering): what an encoder needs. */
simota_err simota_ota_sec_prepare(struct simota_ota_sec *sec,
				  enum simota_ota_integrity integrity, bool ciphered,
				  uint8_t kic, uint8_t kid,
				  struct simota_ota_key *kic_key,
				  struct simota_ota_key *kid_key, size_t wanted_cc)
{
	simota_err err;

	memset(sec, 0, sizeof(*sec));
	sec->kid_alg = SIMOTA_OTA_ALG_NONE;
	sec->kic_key = kic_key;
	sec->kid_key = kid_key;
	if (integrity != SIMOTA_OTA_INTEGRITY_NONE) {
		err = simota_ota_integrity_alg(kid, integrity, kid_key, &sec->kid_alg);
		if (!err)
			err = simota_ota_cc_len_pick(sec->kid_alg, wanted_cc, &sec->cc_len);
		if (err)
			return err;
	}
	if (ciphered) {
		err = simota_ota_check_kic_key(kic, kic_key);
		if (err)
			return err;
		sec->block = simota_ota_key_block_size(kic_key);
	}
	return SIMOTA_OK;
}

/* TS 102 225 §5.1.2: the padding that makes the ciphered part (cipher_hdr
 * bytes from CNTR on, the RC/CC, the data) whole blocks; TS 31.115 §4.1:
 * the 2-byte packet length that follows from it (*pl). */
simota_err simota_ota_sec_layout(struct simota_ota_sec *sec, size_t hl_fixed,
				 size_t cipher_hdr, size_t data_len, size_t *pl)
{
	size_t part = cipher_hdr + sec->cc_len + data_len;

	sec->pad = sec->block ? (sec->block - part % sec->block) % sec->block : 0;
	if (data_len > 0xffff)
		return SIMOTA_ERR_BAD_LENGTH;
	*pl = 1 + hl_fixed + sec->cc_len + data_len + sec->pad;
	return *pl > 0xffff ? SIMOTA_ERR_BAD_LENGTH : SIMOTA_OK;
}

/* After the header: the RC/CC field, the data and the padding; then
 * TS 102 225 §5.1.3: the RC/CC over all but its own field at off_cc
 * (written there), and §5.1.2: ciphering from off_cntr to the end. */
simota_err simota_ota_sec_seal(const struct simota_ota_sec *sec, struct simota_writer *w,
			       const uint8_t *data, size_t data_len,
			       size_t off_cntr, size_t off_cc, size_t *out_len)
{
	static const uint8_t zeros[16];
	uint8_t *pkt = w->buf;
	simota_err err;

	simota_write_bytes(w, zeros, sec->cc_len);     /* RC/CC, filled below */
	simota_write_bytes(w, data, data_len);
	simota_write_bytes(w, zeros, sec->pad);
	err = simota_writer_status(w);
	if (err)
		return err;
	if (sec->cc_len) {
		const struct simota_ota_span in[] = {
			{ pkt, off_cc },
			{ pkt + off_cc + sec->cc_len, w->len - off_cc - sec->cc_len },
		};
		err = simota_ota_mac_spans(sec->kid_alg, sec->kid_key, in, 2, pkt + off_cc,
					   sec->cc_len);
		if (err)
			return err;
	}
	if (sec->block) {
		err = simota_ota_key_encrypt(sec->kic_key, pkt + off_cntr, w->len - off_cntr);
		if (err)
			return err;
	}
	*out_len = w->len;
	return SIMOTA_OK;
}

/* TS 102 225 §5.1.3: the RC/CC algorithm of a received packet, which must
 * allow its RC/CC field length; nothing to check without integrity. */
simota_err simota_ota_sec_check_cc(uint8_t kid, enum simota_ota_integrity integrity,
				   const struct simota_ota_key *kid_key, size_t cc_len,
				   enum simota_ota_alg *kid_alg)
{
	simota_err err;

	*kid_alg = SIMOTA_OTA_ALG_NONE;
	if (integrity == SIMOTA_OTA_INTEGRITY_NONE)
		return SIMOTA_OK;
	err = simota_ota_integrity_alg(kid, integrity, kid_key, kid_alg);
	if (err)
		return err;
	return simota_ota_cc_len_ok(*kid_alg, cc_len) ? SIMOTA_OK : SIMOTA_ERR_BAD_LENGTH;
}

/* TS 102 225 §5.1.2: deciphers the region (CNTR to the end, whole blocks)
 * into work; *region then points at work. */
simota_err simota_ota_sec_decipher(uint8_t kic, struct simota_ota_key *kic_key,
				   const uint8_t **region, size_t region_len,
				   uint8_t *work, size_t work_cap)
{
	simota_err err;

	err = simota_ota_check_kic_key(kic, kic_key);
	if (err)
		return err;
	if (region_len % simota_ota_key_block_size(kic_key))
		return SIMOTA_ERR_BAD_PADDING;
	if (work_cap < region_len)
		return SIMOTA_ERR_NO_SPACE;
	memcpy(work, *region, region_len);
	err = simota_ota_key_decrypt(kic_key, work, region_len);
	if (err)
		return err;
	*region = work;
	return SIMOTA_OK;
}
