/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMPP 3.4 PDUs as ota-test-server's ESME sends and reads them
 * (doc/smpp.md): the stream's framing (the header, SMPP 3.4 §3.2), the
 * requests and responses it sends, packed by libsmpp34 (smpp34_pack), and
 * what it takes from the SMSC's submit_sm_resp and deliver_sm, unpacked by
 * libsmpp34 (smpp34_unpack) after the lengths libsmpp34 would trust were
 * checked here.  Pure: no I/O, no state (libsmpp34 keeps its last error in
 * globals of its own, which nothing here reads).
 */
#ifndef OTS_SMPP_PDU_H
#define OTS_SMPP_PDU_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/sms.h"

#define OTS_SMPP_HEADER_LEN 16
/* The largest PDU accepted: a deliver_sm may carry 64 KiB of message_payload (SMPP 3.4 §5.3.2.32). */
#define OTS_SMPP_PDU_MAX (65536 + 1024)

/* SMPP 3.4 §5.1.2 command_id */
enum {
	OTS_SMPP_GENERIC_NACK = 0x80000000u,
	OTS_SMPP_BIND_RECEIVER = 0x00000001u,
	OTS_SMPP_BIND_TRANSMITTER = 0x00000002u,
	OTS_SMPP_SUBMIT_SM = 0x00000004u,
	OTS_SMPP_DELIVER_SM = 0x00000005u,
	OTS_SMPP_UNBIND = 0x00000006u,
	OTS_SMPP_BIND_TRANSCEIVER = 0x00000009u,
	OTS_SMPP_OUTBIND = 0x0000000Bu,
	OTS_SMPP_ENQUIRE_LINK = 0x00000015u,
	OTS_SMPP_ALERT_NOTIFICATION = 0x00000102u,
	OTS_SMPP_RESP = 0x80000000u,           /* the response bit */
};

/* SMPP 3.4 §5.1.3 command_status values the ESME acts on (the rest are named by ots_smpp_status_text) */
enum {
	OTS_SMPP_ROK = 0x00,
	OTS_SMPP_RINVCMDLEN = 0x02,
	OTS_SMPP_RINVCMDID = 0x03,
	OTS_SMPP_RINVBNDSTS = 0x04,
	OTS_SMPP_RSYSERR = 0x08,
	OTS_SMPP_RINVPASWD = 0x0E,
	OTS_SMPP_RMSGQFUL = 0x14,
	OTS_SMPP_RTHROTTLED = 0x58,
	OTS_SMPP_RX_T_APPN = 0x64,
	OTS_SMPP_RX_P_APPN = 0x65,
};

/* SMPP 3.4 §3.2: command_length, command_id, command_status, sequence_number */
struct ots_smpp_header {
	uint32_t length;
	uint32_t id;
	uint32_t status;
	uint32_t seq;
};

enum ots_smpp_frame {
	OTS_SMPP_NEED_MORE,   /* not a whole PDU yet */
	OTS_SMPP_FRAME,       /* a PDU: buf[0 .. h->length) */
	OTS_SMPP_BAD_LENGTH,  /* command_length below 16 or above OTS_SMPP_PDU_MAX: the stream is lost */
};
/* SMPP 3.4 §3.2: the next PDU of a byte stream. */
enum ots_smpp_frame ots_smpp_frame_next(const uint8_t *buf, size_t len, struct ots_smpp_header *h);

/* ---- what the ESME sends (appended to out; false and *why when it cannot be packed) ---- */

/* SMPP 3.4 §4.1.1, §4.1.3, §4.1.5: bind_transmitter, bind_receiver, bind_transceiver. */
struct ots_smpp_bind {
	uint32_t command_id;       /* OTS_SMPP_BIND_* */
	const char *system_id;     /* up to 15 characters */
	const char *password;      /* up to 8 */
	const char *system_type;   /* up to 12 */
};
bool ots_smpp_pack_bind(const struct ots_smpp_bind *b, uint32_t seq, GByteArray *out,
			const char **why);
/*
 * A PDU that is its header alone (SMPP 3.4 §4.2 unbind(_resp), §4.3
 * generic_nack, §4.11 enquire_link(_resp)).
 */
bool ots_smpp_pack_header(uint32_t command_id, uint32_t status, uint32_t seq, GByteArray *out);
/* SMPP 3.4 §4.6.2 deliver_sm_resp (message_id unused, empty). */
bool ots_smpp_pack_deliver_sm_resp(uint32_t status, uint32_t seq, GByteArray *out);

/* The fields of a submit_sm that come from the link's configuration. */
struct ots_smpp_submit_params {
	const char *service_type;         /* "" : the SMSC's default */
	struct simota_sms_address source; /* source_addr, its TON and NPI */
	uint8_t data_coding;              /* 0xF6 (class 2, 8 bit), 0x02 or 0x04 (octet unspecified) */
	uint8_t registered_delivery;      /* 0, or 1: an SMSC delivery receipt */
};
/*
 * SMPP 3.4 §4.4.1: the submit_sm that makes the SMSC deliver this
 * SMS-DELIVER (TS 23.040 §9.2.2.1) to msisdn ("+" and digits: TON
 * international): protocol_id = TP-PID, esm_class 0x40 (UDHI) when TP-UDHI,
 * short_message = TP-UD (UDH included); 8 bit data only.
 */
bool ots_smpp_pack_submit(const struct ots_smpp_submit_params *p, const char *msisdn,
			  const struct simota_sms_deliver *sms, uint32_t seq, GByteArray *out,
			  const char **why);

/* ---- what the ESME reads ---------------------------------------------------------------- */

/* SMPP 3.4 §4.4.2: the message_id of a submit_sm_resp with status 0 (up to 64 characters). */
bool ots_smpp_parse_submit_resp(const uint8_t *pdu, size_t len, char *message_id, size_t cap,
				const char **why);

/* SMPP 3.4 §5.2.28 message_state, as a delivery receipt reports it */
enum ots_smpp_msg_state {
	OTS_SMPP_STATE_NONE = 0,
	OTS_SMPP_STATE_ENROUTE = 1, OTS_SMPP_STATE_DELIVERED = 2, OTS_SMPP_STATE_EXPIRED = 3,
	OTS_SMPP_STATE_DELETED = 4, OTS_SMPP_STATE_UNDELIVERABLE = 5, OTS_SMPP_STATE_ACCEPTED = 6,
	OTS_SMPP_STATE_UNKNOWN = 7, OTS_SMPP_STATE_REJECTED = 8,
};

/* A deliver_sm: a message from a handset (MO), or a delivery receipt. */
struct ots_smpp_deliver {
	bool receipt;                  /* esm_class message type 0001: SMSC delivery receipt */
	char source[SIMOTA_SMS_ADDR_MAX_DIGITS + 2];   /* the sender: "+digits" when TON international */
	/* MO: the message as the handset's SMS-SUBMIT had it (TP-DA, TP-PID, DCS, TP-UD) */
	struct simota_sms_submit sms;
	/* receipt (SMPP 3.4 §5.2.12, Appendix B) */
	char message_id[66];           /* of the submit_sm it reports on */
	enum ots_smpp_msg_state state;
	char stat[8];                  /* "DELIVRD", "UNDELIV", ... */
	unsigned err;                  /* the receipt's err: (network-specific) */
};
/*
 * SMPP 3.4 §4.6.1: reads a deliver_sm.  Returns the command_status to
 * answer it with: 0 when read (out filled), else an error status and *why
 * (out->source may still name the sender when it could be read).
 */
uint32_t ots_smpp_parse_deliver(const uint8_t *pdu, size_t len, struct ots_smpp_deliver *out,
				const char **why);

/* SMPP 3.4 §5.2.19 data_coding → TS 23.038 DCS of the SMS it stands for. */
uint8_t ots_smpp_dcs_of(uint8_t data_coding);

/* ---- names and classes ------------------------------------------------------------------- */

/* "ESME_RTHROTTLED (throttling error)", or "command_status 0x00000400" */
const char *ots_smpp_status_text(uint32_t status, char *buf, size_t cap);
/* "submit_sm", ..., or "command 0x00000123" */
const char *ots_smpp_command_name(uint32_t id, char *buf, size_t cap);

enum ots_smpp_status_class {
	OTS_SMPP_CLASS_OK,
	OTS_SMPP_CLASS_LATER,      /* throttled, queue full: the same PDU again, later, slower */
	OTS_SMPP_CLASS_TRANSIENT,  /* may work if sent again (system error, submit failed, ...) */
	OTS_SMPP_CLASS_PERMANENT,  /* will not work (invalid destination, data coding, ...) */
};
/* How the ESME treats a submit_sm_resp status. */
enum ots_smpp_status_class ots_smpp_status_class(uint32_t status);

#endif
