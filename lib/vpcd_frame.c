/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Length-prefixed frames of the vpcd protocol (vsmartcard vpcd, doc/uicc-transport.md). */
#include <string.h>

#include "simota/vpcd.h"

struct simota_vpcd_frame simota_vpcd_frame_parse(const uint8_t *buf, size_t len)
{
	struct simota_vpcd_frame f = { .kind = SIMOTA_VPCD_INCOMPLETE };
	size_t plen;

	if (len < SIMOTA_VPCD_HEADER)
		return f;
	plen = (size_t)buf[0] << 8 | buf[1];
	if (len - SIMOTA_VPCD_HEADER < plen)
		return f;
	f.payload = buf + SIMOTA_VPCD_HEADER;
	f.len = plen;
	f.consumed = SIMOTA_VPCD_HEADER + plen;
	if (plen == 0) {
		f.kind = SIMOTA_VPCD_INVALID;
	} else if (plen == 1) {
		switch (f.payload[0]) {
		case SIMOTA_VPCD_CTRL_POWER_OFF:
		case SIMOTA_VPCD_CTRL_POWER_ON:
		case SIMOTA_VPCD_CTRL_RESET:
		case SIMOTA_VPCD_CTRL_GET_ATR:
			f.kind = SIMOTA_VPCD_CONTROL;
			f.ctrl = (enum simota_vpcd_ctrl)f.payload[0];
			break;
		default:
			f.kind = SIMOTA_VPCD_INVALID;
			break;
		}
	} else {
		f.kind = SIMOTA_VPCD_APDU;
	}
	return f;
}

bool simota_vpcd_frame_header(size_t len, uint8_t out[SIMOTA_VPCD_HEADER])
{
	if (len > SIMOTA_VPCD_MAX_PAYLOAD)
		return false;
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	return true;
}

size_t simota_vpcd_frame_encode(const uint8_t *payload, size_t len, uint8_t *out, size_t cap)
{
	if (len > SIMOTA_VPCD_MAX_PAYLOAD || cap < SIMOTA_VPCD_HEADER + len)
		return 0;
	simota_vpcd_frame_header(len, out);
	if (len)
		memcpy(out + SIMOTA_VPCD_HEADER, payload, len);
	return SIMOTA_VPCD_HEADER + len;
}
