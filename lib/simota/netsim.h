/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The netsim link's framing (doc/netsim.md): pure encoder/decoder, no I/O.
 *
 *   frame = length (4 bytes, big-endian, counts type + body, 1..4096)
 *           type (1 byte) body
 *
 * Integers are big-endian.  TPDUs are raw bytes to the end of the frame.
 */
#ifndef SIMOTA_NETSIM_H
#define SIMOTA_NETSIM_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIMOTA_NETSIM_VERSION 1
#define SIMOTA_NETSIM_MAX_FRAME 4096      /* type + body */
#define SIMOTA_NETSIM_MAX_TPDU 255

enum simota_netsim_type {
	SIMOTA_NETSIM_HELLO = 0x01,          /* device -> server */
	SIMOTA_NETSIM_DELIVER = 0x02,        /* server -> device */
	SIMOTA_NETSIM_DELIVER_REPORT = 0x03, /* device -> server */
	SIMOTA_NETSIM_SUBMIT = 0x04,         /* device -> server */
	SIMOTA_NETSIM_PING = 0x05,           /* device -> server */
	SIMOTA_NETSIM_HELLO_ACK = 0x81,      /* server -> device */
	SIMOTA_NETSIM_SUBMIT_REPORT = 0x84,  /* server -> device */
	SIMOTA_NETSIM_PONG = 0x85,           /* server -> device */
	SIMOTA_NETSIM_ERROR = 0x7F,          /* either way */
};

enum simota_netsim_error {
	SIMOTA_NETSIM_E_MALFORMED = 1,       /* a field is missing, too long or invalid */
	SIMOTA_NETSIM_E_UNKNOWN_TYPE = 2,
	SIMOTA_NETSIM_E_UNKNOWN_ID = 3,      /* DELIVER-REPORT for an id not outstanding */
	SIMOTA_NETSIM_E_BAD_TPDU = 4,        /* the TPDU does not decode */
	SIMOTA_NETSIM_E_NO_HELLO = 5,        /* HELLO must come first */
	SIMOTA_NETSIM_E_FRAME_LENGTH = 6,    /* length 0 or > 4096: the link closes */
	SIMOTA_NETSIM_E_VERSION = 7,         /* HELLO with a version the server does not speak */
};

enum simota_netsim_rp { SIMOTA_NETSIM_RP_ACK = 0, SIMOTA_NETSIM_RP_ERROR = 1 };

struct simota_netsim_frame {
	enum simota_netsim_type type;
	/* HELLO */
	uint8_t version;
	char iccid[21];
	char msisdn[24];
	/* HELLO_ACK, ERROR */
	uint8_t status;       /* HELLO_ACK: 0 ok, 1 card not registered (still served) */
	/* DELIVER, DELIVER_REPORT, SUBMIT, SUBMIT_REPORT, PING, PONG, ERROR: the id */
	uint32_t id;
	/* DELIVER_REPORT, SUBMIT_REPORT */
	uint8_t rp;           /* enum simota_netsim_rp */
	uint8_t cause;        /* RP-Cause (TS 24.011 §8.2.5.4) with RP-ERROR, else 0 */
	/* DELIVER, DELIVER_REPORT, SUBMIT, SUBMIT_REPORT */
	size_t tpdu_len;
	uint8_t tpdu[SIMOTA_NETSIM_MAX_TPDU];
	/* ERROR: code in status, text */
	char text[256];
};

enum simota_netsim_parse {
	SIMOTA_NETSIM_NEED_MORE,     /* not a whole frame yet */
	SIMOTA_NETSIM_FRAME,         /* *consumed bytes form one frame */
	SIMOTA_NETSIM_BAD_LENGTH,    /* length 0 or too big: the stream cannot be resynchronised */
};

/* Finds the next frame in p..len: its type/body and total size. */
enum simota_netsim_parse simota_netsim_frame_next(const uint8_t *p, size_t len, uint8_t *type,
					    const uint8_t **body, size_t *body_len,
					    size_t *consumed);

/*
 * Decodes one frame's body.  Returns 0, or an enum simota_netsim_error with
 * a reason in *why (static string).
 */
int simota_netsim_frame_decode(uint8_t type, const uint8_t *body, size_t len,
			    struct simota_netsim_frame *out, const char **why);

/* Appends the frame's encoding to buf. */
void simota_netsim_frame_encode(const struct simota_netsim_frame *f, GByteArray *buf);

#endif
