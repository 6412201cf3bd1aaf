/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Frames between a card and its reader (doc/uicc-transport.md): a 2-byte
 * big-endian length, then that many bytes of payload.  A payload of one byte
 * is a control message (the vsmartcard vpcd protocol, used unchanged on our
 * unix sockets); a longer payload is a command APDU (reader -> card) or a
 * response APDU / ATR (card -> reader).  Pure codec: no I/O.
 */
#ifndef UICC_FRAME_H
#define UICC_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UICC_FRAME_HEADER 2
#define UICC_FRAME_MAX_PAYLOAD 0xffff

/* One-byte control messages, reader -> card. */
enum uicc_frame_ctrl {
	UICC_CTRL_POWER_OFF = 0x00,
	UICC_CTRL_POWER_ON = 0x01,
	UICC_CTRL_RESET = 0x02,
	UICC_CTRL_GET_ATR = 0x04,
};

enum uicc_frame_kind {
	UICC_FRAME_INCOMPLETE,    /* more bytes needed */
	UICC_FRAME_CONTROL,       /* 1-byte payload holding a known control message */
	UICC_FRAME_APDU,          /* payload of 2 bytes or more */
	UICC_FRAME_INVALID,       /* empty payload or unknown control byte */
};

struct uicc_frame {
	enum uicc_frame_kind kind;
	const uint8_t *payload;   /* points into the input buffer */
	size_t len;
	size_t consumed;          /* header + payload; 0 when incomplete */
	enum uicc_frame_ctrl ctrl;/* for UICC_FRAME_CONTROL */
};

/*
 * Looks for one frame at the start of buf.  INVALID frames are still
 * delimited (consumed is set) so a caller may skip them or drop the link.
 */
struct uicc_frame uicc_frame_parse(const uint8_t *buf, size_t len);

/* Header + payload into out; returns the bytes written, 0 if len > 0xffff or cap too small. */
size_t uicc_frame_encode(const uint8_t *payload, size_t len, uint8_t *out, size_t cap);

/* Writes just the 2-byte header; false if len > 0xffff. */
bool uicc_frame_header(size_t len, uint8_t out[UICC_FRAME_HEADER]);

#endif
