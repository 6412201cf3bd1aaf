/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Length-prefixed frames of the vpcd protocol (vsmartcard vpcd, doc/uicc-transport.md). */
#include <string.h>

#include "transport/frame.h"

struct uicc_frame uicc_frame_parse(const uint8_t *buf, size_t len)
{
	struct uicc_frame f = { .kind = UICC_FRAME_INCOMPLETE };
	size_t plen;

	if (len < UICC_FRAME_HEADER)
		return f;
	plen = (size_t)buf[0] << 8 | buf[1];
	if (len - UICC_FRAME_HEADER < plen)
		return f;
	f.payload = buf + UICC_FRAME_HEADER;
	f.len = plen;
	f.consumed = UICC_FRAME_HEADER + plen;
	if (plen == 0) {
		f.kind = UICC_FRAME_INVALID;
	} else if (plen == 1) {
		switch (f.payload[0]) {
		case UICC_CTRL_POWER_OFF:
		case UICC_CTRL_POWER_ON:
		case UICC_CTRL_RESET:
		case UICC_CTRL_GET_ATR:
			f.kind = UICC_FRAME_CONTROL;
			f.ctrl = (enum uicc_frame_ctrl)f.payload[0];
			break;
		default:
			f.kind = UICC_FRAME_INVALID;
			break;
		}
	} else {
		f.kind = UICC_FRAME_APDU;
	}
	return f;
}

bool uicc_frame_header(size_t len, uint8_t out[UICC_FRAME_HEADER])
{
	if (len > UICC_FRAME_MAX_PAYLOAD)
		return false;
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	return true;
}

size_t uicc_frame_encode(const uint8_t *payload, size_t len, uint8_t *out, size_t cap)
{
	if (len > UICC_FRAME_MAX_PAYLOAD || cap < UICC_FRAME_HEADER + len)
		return 0;
	uicc_frame_header(len, out);
	if (len)
		memcpy(out + UICC_FRAME_HEADER, payload, len);
	return UICC_FRAME_HEADER + len;
}
