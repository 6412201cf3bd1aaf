/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Redundancy checks of TS 102 225 §5.1.3 / Annex B: CRC-16 and CRC-32 as in
 * ISO/IEC 13239, both reflected, written into the RC field big-endian.
 * Nibble tables keep the constant data small.
 */
#include "simota/ota.h"
#include "ts102225_internal.h"

/* CRC-16/X.25: reflected polynomial 0x8408 (x^16 + x^12 + x^5 + 1). */
static const uint16_t crc16_nibble[16] = {
	0x0000, 0x1081, 0x2102, 0x3183, 0x4204, 0x5285, 0x6306, 0x7387,
	0x8408, 0x9489, 0xa50a, 0xb58b, 0xc60c, 0xd68d, 0xe70e, 0xf78f,
};

/* CRC-32: reflected polynomial 0xEDB88320. */
static const uint32_t crc32_nibble[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
	0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
	0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
	0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

/* TS 102 225 Annex B (CRC-16): running state, init FFFF. */
uint16_t simota_crc16_update(uint16_t crc, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		crc = (uint16_t)((crc >> 4) ^ crc16_nibble[crc & 0x0f]);
		crc = (uint16_t)((crc >> 4) ^ crc16_nibble[crc & 0x0f]);
	}
	return crc;
}

/* TS 102 225 Annex B (CRC-32): running state, init FFFFFFFF. */
uint32_t simota_crc32_update(uint32_t crc, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ crc32_nibble[crc & 0x0f];
		crc = (crc >> 4) ^ crc32_nibble[crc & 0x0f];
	}
	return crc;
}

/* TS 102 225 Annex B: CRC-16, final XOR FFFF. */
uint16_t simota_crc16(const uint8_t *p, size_t len)
{
	return (uint16_t)(simota_crc16_update(0xffff, p, len) ^ 0xffff);
}

/* TS 102 225 Annex B: CRC-32, final XOR FFFFFFFF. */
uint32_t simota_crc32(const uint8_t *p, size_t len)
{
	return simota_crc32_update(0xffffffffu, p, len) ^ 0xffffffffu;
}
