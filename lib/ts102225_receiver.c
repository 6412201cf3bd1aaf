/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Receiving-entity helpers: the PoR status a card's OTA layer must answer
 * (ETSI TS 102 225 §5.2.2 table of response status codes) for a command
 * packet, its counter (§5.1.1 SPI1 b5b4) and the minimum security level.
 */
#include <string.h>

#include "simota/ota.h"
#include "ts102225_internal.h"

/* TS 102 225 §5.1.1 (counter modes), §5.2.2 (02 low, 03 high, 04 blocked). */
uint8_t simota_ota_counter_status(enum simota_ota_counter mode, uint64_t stored,
				  uint64_t received)
{
	if (mode != SIMOTA_OTA_COUNTER_HIGHER && mode != SIMOTA_OTA_COUNTER_ONE_HIGHER)
		return SIMOTA_OTA_STATUS_OK;          /* no replay check */
	if (stored >= SIMOTA_OTA_CNTR_MAX)
		return SIMOTA_OTA_STATUS_CNTR_BLOCKED; /* no higher value exists */
	if (received <= stored)
		return SIMOTA_OTA_STATUS_CNTR_LOW;
	if (mode == SIMOTA_OTA_COUNTER_ONE_HIGHER && received != stored + 1)
		return SIMOTA_OTA_STATUS_CNTR_HIGH;
	return SIMOTA_OTA_STATUS_OK;
}

/* Order of strength: none < RC < CC < DS. */
static int integrity_rank(unsigned v)
{
	return (int)(v & 0x03);
}

/* TS 102 226 §8.2.1.3.2.4.1: MSL coded like SPI1; TS 102 225 §5.2.2 0A. */
uint8_t simota_ota_security_level_status(const uint8_t spi[2], uint8_t msl)
{
	if (integrity_rank(spi[0]) < integrity_rank(msl))
		return SIMOTA_OTA_STATUS_INSUFFICIENT_SECURITY;
	if ((msl & 0x04) && !(spi[0] & 0x04))
		return SIMOTA_OTA_STATUS_INSUFFICIENT_SECURITY;
	if (((spi[0] >> 3) & 0x03) < ((msl >> 3) & 0x03))
		return SIMOTA_OTA_STATUS_INSUFFICIENT_SECURITY;
	return SIMOTA_OTA_STATUS_OK;
}

/* TS 102 225 §5.2.2: decode failures to response status codes. */
uint8_t simota_ota_decode_error_status(simota_err err)
{
	switch (err) {
	case SIMOTA_OK:
		return SIMOTA_OTA_STATUS_OK;
	case SIMOTA_ERR_CHECKSUM:
		return SIMOTA_OTA_STATUS_CHECKSUM_FAILED;
	case SIMOTA_ERR_BAD_PADDING:
		return SIMOTA_OTA_STATUS_CIPHERING_ERROR;
	case SIMOTA_ERR_NO_SPACE:
		return SIMOTA_OTA_STATUS_NO_MEMORY;
	default:
		/* no key, wrong key, unsupported algorithm, malformed header */
		return SIMOTA_OTA_STATUS_SECURITY_ERROR;
	}
}

/* TS 102 225 §5.1 and §5.2.2: the receiving entity's checks in order. */
uint8_t simota_ota_receive_command(const uint8_t *pkt, size_t len,
				   const struct simota_ota_receiver *rx,
				   uint8_t *work, size_t work_cap,
				   struct simota_ota_command *out)
{
	struct simota_ota_spi spi;
	uint8_t status;
	simota_err err;

	err = simota_ota_command_peek(pkt, len, out);
	if (err)
		return SIMOTA_OTA_STATUS_SECURITY_ERROR;
	if (!rx->tar_known)
		return SIMOTA_OTA_STATUS_TAR_UNKNOWN;
	status = simota_ota_security_level_status(out->spi, rx->msl);
	if (status)
		return status;
	err = simota_ota_command_decode(pkt, len, rx->kic_key, rx->kid_key, work, work_cap, out);
	if (err)
		return simota_ota_decode_error_status(err);
	simota_ota_spi_decode(out->spi, &spi);
	return simota_ota_counter_status(spi.counter, rx->stored_cntr, out->cntr);
}
