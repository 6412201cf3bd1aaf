/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMI messages the way a host and a modem exchange them without a typed
 * library: the service message (header, then TLVs: type, 16-bit length,
 * value) and the CAT service, which libqmi 1.32 has no client for (DESIGN
 * §8.2), in raw form.
 *
 * The layouts are those of the Gobi API in the libqmi repository
 * (gobi-api/.../Core/QMIEnum.h eQMI_CAT_*, Database/QMI/Entity.txt, Field.txt,
 * EnumEntry.txt; GobiConnectionMgmtAPIStructs.h) and, for what Gobi 1.0.40
 * lacks (message ids 0x002C-0x002E, envelope types above 4), the QMI CAT v2
 * IDL as Android trees publish it.  doc/wire-formats.md; doc/modem-emu.md
 * (the emulator's side), doc/qmi.md (the plugin's).
 *
 * Codecs over byte buffers, no I/O: libqmi frames the messages (QMUX), these
 * read and write what is inside.  Decoders check every length before they
 * read and keep pointers into the caller's buffer.
 */
#ifndef SIMOTA_QMI_H
#define SIMOTA_QMI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/error.h"

/* ---- a service message (QMUX header removed) ---------------------------------------------------- */

/*
 * libqmi qmi-message.c / Gobi QMI: flags (1), transaction id (2), message id
 * (2), TLV length (2), the TLVs (all little-endian).  The CTL service's
 * header has a 1-byte transaction id; these are the other services'.
 */
#define SIMOTA_QMI_HEADER_LEN 7
#define SIMOTA_QMI_FLAG_RESPONSE 0x02
#define SIMOTA_QMI_FLAG_INDICATION 0x04

struct simota_qmi_msg {
	uint8_t flags;
	uint16_t transaction;
	uint16_t message_id;
	const uint8_t *tlvs;             /* into the buffer decoded */
	size_t tlvs_len;
};

/* The header; the TLV length must be exactly what follows it (SIMOTA_ERR_BAD_LENGTH otherwise). */
simota_err simota_qmi_msg_decode(const uint8_t *p, size_t len, struct simota_qmi_msg *out);

struct simota_qmi_tlv {
	uint8_t type;
	uint16_t len;
	const uint8_t *value;
};

/* The TLV at *pos (then *pos moves past it); SIMOTA_ERR_TRUNCATED when its length runs past the end. */
simota_err simota_qmi_tlv_next(const uint8_t *tlvs, size_t len, size_t *pos, struct simota_qmi_tlv *out);
/* The first TLV of this type: SIMOTA_OK, SIMOTA_ERR_MISSING_VALUE, or an error of the walk. */
simota_err simota_qmi_tlv_find(const uint8_t *tlvs, size_t len, uint8_t type, struct simota_qmi_tlv *out);

/* TLV 0x02 of every response: the result (0 success, 1 failure) and the QMI error code. */
simota_err simota_qmi_result_decode(const uint8_t *tlvs, size_t len, uint16_t *result, uint16_t *error);

/* ---- CAT (service 0x0A, "CAT2" in libqmi; 0xE0 on firmware that numbers it so) ----------------------- */

#define SIMOTA_QMI_SERVICE_CAT2 0x0A
#define SIMOTA_QMI_SERVICE_CAT 0xE0

enum {
	SIMOTA_QMI_CAT_RESET = 0x0000,
	SIMOTA_QMI_CAT_SET_EVENT_REPORT = 0x0001,         /* also the Event Report indication */
	SIMOTA_QMI_CAT_SEND_TERMINAL_RESPONSE = 0x0021,
	SIMOTA_QMI_CAT_SEND_ENVELOPE = 0x0022,
	SIMOTA_QMI_CAT_GET_TERMINAL_PROFILE = 0x002C,
	SIMOTA_QMI_CAT_SET_CONFIGURATION = 0x002D,
	SIMOTA_QMI_CAT_GET_CONFIGURATION = 0x002E,
};

/* Set Event Report TLVs: 0x10 raw mask (u32), 0x11 decoded mask, 0x12 slot mask (u8), 0x13 full function mask. */
#define SIMOTA_QMI_CAT_TLV_RAW_MASK 0x10
#define SIMOTA_QMI_CAT_TLV_FULL_FUNCTION_MASK 0x13
/* Event Report indication: TLV 0x1A, the end of the proactive session (u8: 01 by the card, 02 in the terminal). */
#define SIMOTA_QMI_CAT_TLV_END_SESSION 0x1A
#define SIMOTA_QMI_CAT_RAW_END_SESSION (1u << 12)
/* Full function mask bit 0: the host sends SEND SHORT MESSAGE and answers it (else a notification). */
#define SIMOTA_QMI_CAT_FULL_SEND_SMS (1u << 0)
/* Configuration modes (Set / Get Configuration TLV 0x01 / 0x10). */
#define SIMOTA_QMI_CAT_MODE_DISABLED 0
#define SIMOTA_QMI_CAT_MODE_GOBI 1
#define SIMOTA_QMI_CAT_MODE_ANDROID 2
#define SIMOTA_QMI_CAT_MODE_DECODED 3
#define SIMOTA_QMI_CAT_MODE_DECODED_PULL 4
#define SIMOTA_QMI_CAT_MODE_CUSTOM_RAW 5
#define SIMOTA_QMI_CAT_MODE_CUSTOM_DECODED 6

/* A mode in which proactive commands come raw (Event Report TLVs below). */
bool simota_qmi_cat_mode_is_raw(uint8_t mode);

/* One kind of proactive command: its type (TS 102 223 §9.4), its raw mask bits, the indication's TLV. */
struct simota_qmi_cat_kind {
	uint8_t type;
	uint32_t raw_mask;
	uint8_t tlv;
	const char *name;
};

/* The kinds raw reports exist for, in mask bit order; n: how many. */
const struct simota_qmi_cat_kind *simota_qmi_cat_kinds(size_t *n);
const struct simota_qmi_cat_kind *simota_qmi_cat_kind_by_type(uint8_t type);
const struct simota_qmi_cat_kind *simota_qmi_cat_kind_by_tlv(uint8_t tlv);

/* At most this many commands in one indication (one per TLV kind; firmware sends one). */
#define SIMOTA_QMI_CAT_MAX_COMMANDS 8

struct simota_qmi_cat_command {
	uint8_t tlv;
	uint32_t ref;                    /* the reference id the terminal response names */
	const uint8_t *cmd;              /* the proactive command (BER-TLV D0 ...) as the card sent it */
	uint16_t len;
};

struct simota_qmi_cat_event {
	unsigned n_commands;
	struct simota_qmi_cat_command commands[SIMOTA_QMI_CAT_MAX_COMMANDS];
	bool end_session;
	uint8_t end_type;                /* 01 by the card, 02 in the terminal */
	unsigned other_tlvs;             /* TLVs of other kinds (decoded reports, SCWS ...): skipped */
};

/*
 * The TLVs of an Event Report indication (0x0001): each command TLV u32
 * reference id + u16 length + the command, filling its TLV exactly; 0x1A one
 * byte.  SIMOTA_ERR_TRUNCATED / SIMOTA_ERR_BAD_LENGTH: a TLV or a value that
 * does not hold what it says (nothing of the indication can be trusted then);
 * SIMOTA_ERR_NO_SPACE: more commands than SIMOTA_QMI_CAT_MAX_COMMANDS.
 */
simota_err simota_qmi_cat_event_decode(const uint8_t *tlvs, size_t len, struct simota_qmi_cat_event *out);

/* Send Terminal Response TLV 0x01: u32 reference id + u16 length + the TERMINAL RESPONSE (1-255 bytes). */
simota_err simota_qmi_cat_tr_encode(uint32_t ref, const uint8_t *tr, size_t len, uint8_t *out, size_t cap,
				    size_t *out_len);

/*
 * Envelope command types of Send Envelope (Gobi enum 50603 "QMI CAT Envelope
 * Command Type"; 5 and up: QMI CAT v2).
 */
enum simota_qmi_cat_envelope_type {
	SIMOTA_QMI_CAT_ENV_MENU_SELECTION = 0x01,
	SIMOTA_QMI_CAT_ENV_USER_ACTIVITY = 0x02,
	SIMOTA_QMI_CAT_ENV_IDLE_SCREEN = 0x03,
	SIMOTA_QMI_CAT_ENV_LANGUAGE_SELECTION = 0x04,
	SIMOTA_QMI_CAT_ENV_UNKNOWN = 0x05,
	SIMOTA_QMI_CAT_ENV_BROWSER_TERMINATION = 0x06,
	SIMOTA_QMI_CAT_ENV_CALL_CONTROL = 0x07,
	SIMOTA_QMI_CAT_ENV_HCI_CONNECTIVITY = 0x08,
	SIMOTA_QMI_CAT_ENV_SMS_PP_DOWNLOAD = 0x09,
	SIMOTA_QMI_CAT_ENV_MT_CALL = 0x0A,
	SIMOTA_QMI_CAT_ENV_CALL_CONNECTED = 0x0B,
	SIMOTA_QMI_CAT_ENV_CALL_DISCONNECTED = 0x0C,
};

/* The type that names an ENVELOPE (TS 102 223 §7: its tag; an EVENT DOWNLOAD's event in its event list). */
enum simota_qmi_cat_envelope_type simota_qmi_cat_envelope_type(const uint8_t *env, size_t len);
/* Send Envelope TLV 0x01: u16 type + u16 length + the ENVELOPE (2-255 bytes). */
simota_err simota_qmi_cat_envelope_encode(enum simota_qmi_cat_envelope_type type, const uint8_t *env, size_t len,
					  uint8_t *out, size_t cap, size_t *out_len);

/*
 * TLV 0x10 of the Send Terminal Response and Send Envelope answers: SW1, SW2,
 * u8 length + the card's response data (*data points into value).
 */
simota_err simota_qmi_cat_card_answer_decode(const uint8_t *value, size_t len, uint16_t *sw, const uint8_t **data,
					     size_t *data_len);

#endif
