/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SPI, KIc and KID coding (ETSI TS 102 225 §5.1.1-§5.1.3) and the algorithm
 * names used by ota-cli and the key stores.
 */
#include <strings.h>

#include "simota/ota.h"

/* TS 102 225 §5.1.1: SPI1 b2b1 integrity, b3 ciphering, b5b4 counter;
 * SPI2 b2b1 PoR required, b4b3 PoR integrity, b5 PoR ciphered,
 * b6 PoR via SMS-SUBMIT. */
void simota_ota_spi_decode(const uint8_t spi[2], struct simota_ota_spi *out)
{
	out->integrity = (enum simota_ota_integrity)(spi[0] & 0x03);
	out->ciphered = spi[0] & 0x04;
	out->counter = (enum simota_ota_counter)((spi[0] >> 3) & 0x03);
	out->por = (enum simota_ota_por)(spi[1] & 0x03);
	out->por_integrity = (enum simota_ota_integrity)((spi[1] >> 2) & 0x03);
	out->por_ciphered = spi[1] & 0x10;
	out->por_via_submit = spi[1] & 0x20;
}

/* TS 102 225 §5.1.1 */
void simota_ota_spi_encode(const struct simota_ota_spi *spi, uint8_t out[2])
{
	out[0] = (uint8_t)((spi->integrity & 0x03) | (spi->ciphered ? 0x04 : 0) |
			   ((spi->counter & 0x03) << 3));
	out[1] = (uint8_t)((spi->por & 0x03) | ((spi->por_integrity & 0x03) << 2) |
			   (spi->por_ciphered ? 0x10 : 0) | (spi->por_via_submit ? 0x20 : 0));
}

/* TS 102 225 §5.1.1 SPI2 b2b1 */
bool simota_ota_por_wanted(const uint8_t spi[2], uint8_t status)
{
	switch (spi[1] & 0x03) {
	case SIMOTA_OTA_POR_ALWAYS:
		return true;
	case SIMOTA_OTA_POR_ON_ERROR:
		return status != SIMOTA_OTA_STATUS_OK;
	default:
		return false;
	}
}

static const char *const alg_names[SIMOTA_OTA_ALG__COUNT] = {
	[SIMOTA_OTA_ALG_NONE] = "none",
	[SIMOTA_OTA_ALG_DES_CBC] = "des-cbc",
	[SIMOTA_OTA_ALG_DES_ECB] = "des-ecb",
	[SIMOTA_OTA_ALG_3DES2_CBC] = "3des2-cbc",
	[SIMOTA_OTA_ALG_3DES3_CBC] = "3des3-cbc",
	[SIMOTA_OTA_ALG_AES_CBC] = "aes-cbc",
	[SIMOTA_OTA_ALG_CRC16] = "crc16",
	[SIMOTA_OTA_ALG_CRC32] = "crc32",
	[SIMOTA_OTA_ALG_DES_CBC_MAC] = "des-cbc-mac",
	[SIMOTA_OTA_ALG_3DES2_CBC_MAC] = "3des2-cbc-mac",
	[SIMOTA_OTA_ALG_3DES3_CBC_MAC] = "3des3-cbc-mac",
	[SIMOTA_OTA_ALG_AES_CMAC] = "aes-cmac",
};

const char *simota_ota_alg_name(enum simota_ota_alg alg)
{
	if ((unsigned)alg >= SIMOTA_OTA_ALG__COUNT)
		return "unknown";
	return alg_names[alg];
}

simota_err simota_ota_alg_from_name(const char *name, enum simota_ota_alg *out)
{
	for (unsigned i = 0; i < SIMOTA_OTA_ALG__COUNT; i++) {
		if (strcasecmp(name, alg_names[i]) == 0) {
			*out = (enum simota_ota_alg)i;
			return SIMOTA_OK;
		}
	}
	return SIMOTA_ERR_BAD_VALUE;
}

bool simota_ota_alg_is_cipher(enum simota_ota_alg alg)
{
	return alg >= SIMOTA_OTA_ALG_DES_CBC && alg <= SIMOTA_OTA_ALG_AES_CBC;
}

bool simota_ota_alg_is_rc(enum simota_ota_alg alg)
{
	return alg == SIMOTA_OTA_ALG_CRC16 || alg == SIMOTA_OTA_ALG_CRC32;
}

bool simota_ota_alg_is_cc(enum simota_ota_alg alg)
{
	return alg >= SIMOTA_OTA_ALG_DES_CBC_MAC && alg <= SIMOTA_OTA_ALG_AES_CMAC;
}

/* Shared rule for b2b1 = 00 "known implicitly by both entities" and for an
 * explicit coding checked against what the caller expects. */
static simota_err resolve(enum simota_ota_alg coded, enum simota_ota_alg implicit,
			  bool (*is_class)(enum simota_ota_alg), enum simota_ota_alg *out)
{
	if (coded == SIMOTA_OTA_ALG_NONE) {
		if (implicit == SIMOTA_OTA_ALG_NONE)
			return SIMOTA_ERR_MISSING_VALUE;
		if (!is_class(implicit))
			return SIMOTA_ERR_BAD_VALUE;
		*out = implicit;
		return SIMOTA_OK;
	}
	if (implicit != SIMOTA_OTA_ALG_NONE && implicit != coded)
		return SIMOTA_ERR_BAD_VALUE;
	*out = coded;
	return SIMOTA_OK;
}

/* TS 102 225 §5.1.2 (KIc): b2b1 00 implicit, 01 DES, 10 AES, 11 proprietary;
 * DES b4b3: 00 DES-CBC, 01 3DES outer-CBC 2 keys, 10 3DES 3 keys, 11 DES-ECB;
 * AES b4b3: 00 AES-CBC, others reserved. */
simota_err simota_ota_kic_algorithm(uint8_t kic, enum simota_ota_alg implicit,
				    enum simota_ota_alg *out)
{
	static const enum simota_ota_alg des_modes[4] = {
		SIMOTA_OTA_ALG_DES_CBC, SIMOTA_OTA_ALG_3DES2_CBC,
		SIMOTA_OTA_ALG_3DES3_CBC, SIMOTA_OTA_ALG_DES_ECB,
	};
	unsigned mode = (kic >> 2) & 0x03;
	enum simota_ota_alg coded;

	switch (kic & 0x03) {
	case 0:
		coded = SIMOTA_OTA_ALG_NONE;
		break;
	case 1:
		coded = des_modes[mode];
		break;
	case 2:
		if (mode != 0)
			return SIMOTA_ERR_BAD_VALUE;
		coded = SIMOTA_OTA_ALG_AES_CBC;
		break;
	default:
		return SIMOTA_ERR_UNSUPPORTED;
	}
	return resolve(coded, implicit, simota_ota_alg_is_cipher, out);
}

/* TS 102 225 §5.1.3 (KID).  For RC: b2b1 00 implicit, 01 CRC, 10 reserved,
 * 11 proprietary; b4b3 00 CRC16, 01 CRC32, others reserved.  For CC: b2b1
 * 00 implicit, 01 DES, 10 AES, 11 proprietary; DES b4b3 00 DES-CBC, 01 3DES
 * 2 keys, 10 3DES 3 keys, 11 reserved; AES b4b3 00 CMAC, others reserved. */
simota_err simota_ota_kid_algorithm(uint8_t kid, enum simota_ota_integrity integrity,
				    enum simota_ota_alg implicit, enum simota_ota_alg *out)
{
	static const enum simota_ota_alg des_macs[4] = {
		SIMOTA_OTA_ALG_DES_CBC_MAC, SIMOTA_OTA_ALG_3DES2_CBC_MAC,
		SIMOTA_OTA_ALG_3DES3_CBC_MAC, SIMOTA_OTA_ALG_NONE,
	};
	unsigned mode = (kid >> 2) & 0x03;
	enum simota_ota_alg coded;

	switch (integrity) {
	case SIMOTA_OTA_INTEGRITY_NONE:
		*out = SIMOTA_OTA_ALG_NONE;
		return SIMOTA_OK;
	case SIMOTA_OTA_INTEGRITY_RC:
		switch (kid & 0x03) {
		case 0:
			coded = SIMOTA_OTA_ALG_NONE;
			break;
		case 1:
			if (mode > 1)
				return SIMOTA_ERR_BAD_VALUE;
			coded = mode ? SIMOTA_OTA_ALG_CRC32 : SIMOTA_OTA_ALG_CRC16;
			break;
		case 2:
			return SIMOTA_ERR_BAD_VALUE;
		default:
			return SIMOTA_ERR_UNSUPPORTED;
		}
		return resolve(coded, implicit, simota_ota_alg_is_rc, out);
	case SIMOTA_OTA_INTEGRITY_CC:
		switch (kid & 0x03) {
		case 0:
			coded = SIMOTA_OTA_ALG_NONE;
			break;
		case 1:
			coded = des_macs[mode];
			if (coded == SIMOTA_OTA_ALG_NONE)
				return SIMOTA_ERR_BAD_VALUE;
			break;
		case 2:
			if (mode != 0)
				return SIMOTA_ERR_BAD_VALUE;
			coded = SIMOTA_OTA_ALG_AES_CMAC;
			break;
		default:
			return SIMOTA_ERR_UNSUPPORTED;
		}
		return resolve(coded, implicit, simota_ota_alg_is_cc, out);
	default:
		return SIMOTA_ERR_UNSUPPORTED;   /* DS */
	}
}
