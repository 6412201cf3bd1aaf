/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SV2 packets over SMS: command packets out, PoRs in (libsimota codecs). */
#include "cards/packet.h"

#include <string.h>

#include "ots-error.h"

/* TS 23.040 §9.2.3.11: the SCTS of now, UTC. */
static void scts_now(struct simota_sms_scts *t)
{
	GDateTime *dt = g_date_time_new_now_utc();

	t->year = (uint8_t)(g_date_time_get_year(dt) % 100);
	t->month = (uint8_t)g_date_time_get_month(dt);
	t->day = (uint8_t)g_date_time_get_day_of_month(dt);
	t->hour = (uint8_t)g_date_time_get_hour(dt);
	t->minute = (uint8_t)g_date_time_get_minute(dt);
	t->second = (uint8_t)g_date_time_get_second(dt);
	t->tz_quarters = 0;
	g_date_time_unref(dt);
}

/* The SPI the server uses toward the TAR ([tar] spi=, doc/card-config.md), as its 2 bytes. */
static void tar_spi(const struct simota_card_tar *tar, uint8_t out[2])
{
	out[0] = (uint8_t)(tar->spi >> 8);
	out[1] = (uint8_t)tar->spi;
}

/* TS 102 225 §5.1, TS 31.115 §4.1, TS 23.040 §9.2.2.1 */
bool ots_packet_build(struct ots_registry *reg, struct ots_keyset *ks, const struct simota_card_tar *tar,
		      uint64_t cntr, const uint8_t *data, size_t len,
		      const struct simota_sms_address *oa, uint8_t ref,
		      struct ots_deliver_set *out, GError **error)
{
	struct simota_ota_command cmd = { 0 };
	struct simota_ota_spi spi;
	struct simota_ota_key *kic = NULL, *kid = NULL;
	struct simota_sms_ud segs[OTS_MAX_SEGMENTS];
	struct simota_sms_deliver d;
	uint8_t packet[OTS_MAX_SEGMENTS * SIMOTA_SMS_UD_MAX];
	size_t plen, n_segs;
	simota_err err;

	tar_spi(tar, cmd.spi);
	simota_ota_spi_decode(cmd.spi, &spi);
	if (!ots_registry_keys(reg, ks, spi.ciphered, spi.integrity, &kic, &kid, error))
		return false;
	cmd.kic = ks->cfg.kic;
	cmd.kid = ks->cfg.kid;
	memcpy(cmd.tar, tar->tar, 3);
	cmd.cntr = cntr;
	cmd.data = data;
	cmd.data_len = len;
	err = simota_ota_command_encode(&cmd, kic, kid, packet, sizeof(packet), &plen);
	if (err == SIMOTA_OK)
		err = simota_sms_segment_packet(SIMOTA_SMS_IEI_CPI, packet, plen, ref, false,
						segs, OTS_MAX_SEGMENTS, &n_segs);
	if (err != SIMOTA_OK) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "command packet: %s",
			    simota_strerror(err));
		return false;
	}
	memset(&d, 0, sizeof(d));
	d.tp_mms = true;
	d.oa = *oa;
	d.pid = 0x7F;         /* TS 23.040 §9.2.3.9: (U)SIM data download */
	d.dcs = 0xF6;         /* TS 23.038 §4: 8 bit data, class 2 */
	scts_now(&d.scts);
	out->n = (unsigned)n_segs;
	for (size_t i = 0; i < n_segs; i++) {
		d.ud = segs[i];
		err = simota_sms_deliver_encode(&d, out->tpdu[i], sizeof(out->tpdu[i]), &out->len[i]);
		if (err != SIMOTA_OK) {
			g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "SMS-DELIVER: %s",
				    simota_strerror(err));
			return false;
		}
	}
	return true;
}

/* TS 102 225 §5.2 */
simota_err ots_packet_por_decode(struct ots_registry *reg, struct ots_keyset *ks,
				 const struct simota_card_tar *tar, const uint8_t *pkt, size_t len,
				 uint8_t *work, size_t work_cap, struct simota_ota_response *rsp)
{
	struct simota_ota_spi spi;
	struct simota_ota_key *kic = NULL, *kid = NULL;
	GError *error = NULL;
	uint8_t spi_bytes[2];
	simota_err err;

	tar_spi(tar, spi_bytes);
	simota_ota_spi_decode(spi_bytes, &spi);
	if (!ots_registry_keys(reg, ks, spi.por_ciphered, spi.por_integrity, &kic, &kid, &error)) {
		g_warning("PoR keys: %s", error->message);
		g_error_free(error);
		return SIMOTA_ERR_BAD_KEY;
	}
	err = simota_ota_response_decode(spi_bytes, ks->cfg.kic, ks->cfg.kid, pkt, len, kic, kid,
					 work, work_cap, rsp);
	return err;
}

/* TS 31.115 §4.2: RPL (2) RHL (1) TAR (3) */
bool ots_packet_por_tar(const uint8_t *pkt, size_t len, uint8_t tar[3])
{
	size_t skip = simota_ota_udh_skip(pkt, len, SIMOTA_SMS_IEI_RPI);

	if (len < skip + 6)
		return false;
	memcpy(tar, pkt + skip + 3, 3);
	return true;
}

/* TS 23.040 §9.2.2.1a, TS 31.111 §7.1.1.1 */
bool ots_packet_report_data(const uint8_t *tpdu, size_t len, bool rp_error,
			    uint8_t *out, size_t cap, size_t *out_len, uint8_t *fcs)
{
	struct simota_sms_deliver_report r;

	*fcs = 0;
	if (!len || simota_sms_deliver_report_decode(tpdu, len, rp_error, &r) != SIMOTA_OK)
		return false;
	if (r.rp_error)
		*fcs = r.fcs;
	if (!r.has_ud || r.ud.len == 0 || r.ud.len > cap)
		return false;
	/* the UD is the response packet, with its 027100 UDH whether or not TP-UDHI says so */
	memcpy(out, r.ud.ud, r.ud.len);
	*out_len = r.ud.len;
	return true;
}
