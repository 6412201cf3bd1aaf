/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Frames between a card and its reader (doc/uicc-transport.md): a 2-byte
 * big-endian length, then that many bytes of payload.  A payload of one byte
 * is a control message (the vsmartcard vpcd protocol, used unchanged on our
 * unix sockets); a longer payload is a command APDU (reader -> card) or a
 * response APDU / ATR (card -> reader).  Pure codec: no I/O.
 */
#ifndef SIMOTA_VPCD_H
#define SIMOTA_VPCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIMOTA_VPCD_HEADER 2
#define SIMOTA_VPCD_MAX_PAYLOAD 0xffff

/* One-byte control messages, reader -> card. */
enum simota_vpcd_ctrl {
	SIMOTA_VPCD_CTRL_POWER_OFF = 0x00,
	SIMOTA_VPCD_CTRL_POWER_ON = 0x01,
	SIMOTA_VPCD_CTRL_RESET = 0x02,
	SIMOTA_VPCD_CTRL_GET_ATR = 0x04,
};

enum simota_vpcd_kind {
	SIMOTA_VPCD_INCOMPLETE,    /* more bytes needed */
	SIMOTA_VPCD_CONTROL,       /* 1-byte payload holding a known control message */
	SIMOTA_VPCD_APDU,          /* payload of 2 bytes or more */
	SIMOTA_VPCD_INVALID,       /* empty payload or unknown control byte */
};

struct simota_vpcd_frame {
	enum simota_vpcd_kind kind;
	const uint8_t *payload;   /* points into the input buffer */
	size_t len;
	size_t consumed;          /* header + payload; 0 when incomplete */
	enum simota_vpcd_ctrl ctrl;/* for SIMOTA_VPCD_CONTROL */
};

/*
 * Looks for one frame at the start of buf.  INVALID frames are still
 * delimited (consumed is set) so a caller may skip them or drop the link.
 */
struct simota_vpcd_frame simota_vpcd_frame_parse(const uint8_t *buf, size_t len);

/* Header + payload into out; returns the bytes written, 0 if len > 0xffff or cap too small. */
size_t simota_vpcd_frame_encode(const uint8_t *payload, size_t len, uint8_t *out, size_t cap);

/* Writes just the 2-byte header; false if len > 0xffff. */
bool simota_vpcd_frame_header(size_t len, uint8_t out[SIMOTA_VPCD_HEADER]);

#endif
