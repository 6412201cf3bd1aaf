/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Remote APDU structures (ETSI TS 102 226 §5): the secured data of a
 * command packet addressed to a remote file / application management
 * application (RFM/RAM), and the additional data of its PoR.
 *
 * Compact format (§5.1)
 *   command   C-APDU C-APDU ...              each as a T=0 TPDU: CLA INS P1 P2 P3 [data]
 *   response  count SW1 SW2 [data]           §5.1.2: number of commands executed, the
 *                                            status word and data of the last one
 *   A command string is a sequence of TPDUs (TS 102 221 §7.3.1.1): five header
 *   bytes, and P3 is Lc (P3 data bytes follow) or Le (nothing follows) depending
 *   on the command.  Which one is decided by a classifier, by default
 *   simota_rfm_p3_is_le().  A case-4 command carries no Le: its response data
 *   is fetched by a GET RESPONSE later in the script.
 *
 * Expanded format (§5.2)
 *   command   AA len { TLV ... }              definite length (§5.2.1)
 *             AE 80  { TLV ... } 00 00        indefinite length
 *               22 len C-APDU                  (short ISO/IEC 7816-4 APDU, Le kept)
 *               81 len Immediate Action        82 len Error Action
 *               83 len Script Chaining
 *   response  AB len { 80 len count, 23 len R-APDU ..., [81|83 ...], [90 01 code] }
 *             AF 80  { 23 len R-APDU ..., [81|83 ...], [90 01 code] } 00 00
 *   R-APDU = response data || SW1 SW2.  The Bad Format TLV (90, §5.2.2) ends a
 *   response whose script could not be parsed: 01 unknown tag, 02 wrong
 *   length, 03 length missing; the count then says how many commands ran before.
 *
 * Lengths are BER (TS 101 220 §7.1.2: 1 to 3 bytes, via simota/tlv.h); every
 * length is checked against the data before it is used.  Decoders return
 * pointers into the input (no copies).  Nothing here executes a command:
 * the card runs each decoded C-APDU and hands the outcome to the encoders.
 */
#ifndef SIMOTA_RFM_H
#define SIMOTA_RFM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/apdu.h"
#include "simota/bytes.h"

/* Tags of TS 102 226 §5.2 (BER tags of TS 101 220 §7.2 tables 7.18 to 7.20). */
#define SIMOTA_RFM_TAG_COMMAND_DEFINITE   0xAAu
#define SIMOTA_RFM_TAG_COMMAND_INDEFINITE 0xAEu
#define SIMOTA_RFM_TAG_RESPONSE_DEFINITE  0xABu
#define SIMOTA_RFM_TAG_RESPONSE_INDEFINITE 0xAFu
#define SIMOTA_RFM_TAG_CAPDU              0x22u
#define SIMOTA_RFM_TAG_RAPDU              0x23u
#define SIMOTA_RFM_TAG_IMMEDIATE_ACTION   0x81u   /* command; also its response TLV */
#define SIMOTA_RFM_TAG_ERROR_ACTION       0x82u
#define SIMOTA_RFM_TAG_SCRIPT_CHAINING    0x83u   /* command; also its response TLV */
#define SIMOTA_RFM_TAG_EXECUTED           0x80u   /* Number of executed C-APDUs */
#define SIMOTA_RFM_TAG_BAD_FORMAT         0x90u

/* TS 102 226 §5.2.2, Bad Format TLV values. */
enum simota_rfm_bad_format {
	SIMOTA_RFM_BAD_FORMAT_NONE = 0x00,
	SIMOTA_RFM_BAD_FORMAT_UNKNOWN_TAG = 0x01,
	SIMOTA_RFM_BAD_FORMAT_WRONG_LENGTH = 0x02,
	SIMOTA_RFM_BAD_FORMAT_NO_LENGTH = 0x03,
};

/*
 * TS 102 226 §5.1.1: whether a command's outcome lets the script go on.
 * Normal processing (90 00, 91 XX, 92 XX, 9F XX, 61 XX) and warnings
 * (62 XX, 63 XX; ISO/IEC 7816-4 §5.6) continue; every other status word
 * stops the script after that command, which is then the last executed.
 */
bool simota_rfm_sw_continues(uint16_t sw);

/* ---- Compact format (§5.1) ---- */

/* A TPDU classifier: true when P3 is Le (no data follows), false when it is Lc. */
typedef bool (*simota_rfm_p3_is_le_fn)(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2);

/*
 * The default classifier: outgoing commands of TS 102 221 §10 / TS 51.011 §9
 * (READ BINARY B0, READ RECORD B2, GET RESPONSE C0, STATUS F2, FETCH 12,
 * GET CHALLENGE 84, GET DATA CA, MANAGE CHANNEL 70) carry Le; everything
 * else, case 1 (P3 = 00) included, carries Lc.  INS F2 with P1 80/40/20/10
 * is GlobalPlatform GET STATUS, which carries data.
 */
bool simota_rfm_p3_is_le(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2);

struct simota_rfm_command {
	struct simota_apdu apdu;  /* the decoded C-APDU (from a TPDU: Le only for outgoing) */
	const uint8_t *raw;       /* the command as in the script (TPDU or C-APDU TLV value) */
	size_t raw_len;
};

struct simota_rfm_compact_reader {
	struct simota_reader r;
	simota_rfm_p3_is_le_fn p3_is_le;
};

/* classifier NULL: simota_rfm_p3_is_le. */
void simota_rfm_compact_reader_init(struct simota_rfm_compact_reader *rd, const uint8_t *script,
				    size_t len, simota_rfm_p3_is_le_fn classifier);
/* True when every command has been read. */
bool simota_rfm_compact_done(const struct simota_rfm_compact_reader *rd);
/*
 * TS 102 226 §5.1.1: the next command.  SIMOTA_ERR_TRUNCATED when fewer than
 * five bytes or fewer than Lc data bytes are left (the reader stays where it
 * was); SIMOTA_ERR_MISSING_VALUE when done.
 */
simota_err simota_rfm_compact_next(struct simota_rfm_compact_reader *rd, struct simota_rfm_command *cmd);

/*
 * TS 102 226 §5.1.1: writes the commands as a compact command string (TPDU
 * form: case 1 with P3 = 00; case 4 without its Le).  A command whose case
 * contradicts simota_rfm_p3_is_le (data for an outgoing command, Le alone
 * for an incoming one) would be split differently by the card and is
 * SIMOTA_ERR_BAD_VALUE; n == 0 is SIMOTA_ERR_MISSING_VALUE.
 */
simota_err simota_rfm_compact_encode(const struct simota_apdu *cmds, size_t n, struct simota_writer *w);

struct simota_rfm_compact_response {
	unsigned count;           /* number of commands executed */
	uint16_t sw;              /* of the last executed command */
	const uint8_t *data;      /* its response data, may be empty */
	size_t data_len;
};

/*
 * TS 102 226 §5.1.2, the card's bookkeeping while it runs a script (start
 * from a zeroed struct): the command just executed is counted, its SW and
 * response data become the last ones, and the return value says whether the
 * script goes on (simota_rfm_sw_continues).  A failing command is thus the
 * last executed: it is counted and its SW is reported, with no data.  data
 * must stay valid until the response is encoded.
 */
bool simota_rfm_compact_record(struct simota_rfm_compact_response *rsp, uint16_t sw, const uint8_t *data,
			       size_t len);

/* TS 102 226 §5.1.2: count 0-255 (else SIMOTA_ERR_BAD_VALUE). */
simota_err simota_rfm_compact_response_encode(const struct simota_rfm_compact_response *rsp,
					      struct simota_writer *w);
/* TS 102 226 §5.1.2: fewer than 3 bytes is SIMOTA_ERR_TRUNCATED. */
simota_err simota_rfm_compact_response_decode(const uint8_t *p, size_t len,
					      struct simota_rfm_compact_response *out);

/* ---- Expanded format (§5.2) ---- */

enum simota_rfm_item_kind {
	SIMOTA_RFM_ITEM_CAPDU,             /* tag 22 */
	SIMOTA_RFM_ITEM_IMMEDIATE_ACTION,  /* tag 81 */
	SIMOTA_RFM_ITEM_ERROR_ACTION,      /* tag 82 */
	SIMOTA_RFM_ITEM_SCRIPT_CHAINING,   /* tag 83 */
};

struct simota_rfm_item {
	enum simota_rfm_item_kind kind;
	const uint8_t *value;     /* the TLV's value */
	size_t len;
	/*
	 * C-APDU only: the value decoded by simota_apdu_decode into cmd.apdu
	 * (raw/raw_len = value/len).  apdu_err != SIMOTA_OK when the value is
	 * no valid short C-APDU; the card answers that command with a status
	 * word (67 00), it is not a format error of the script.
	 */
	struct simota_rfm_command cmd;
	simota_err apdu_err;
};

struct simota_rfm_expanded_reader {
	struct simota_reader r;   /* over the template's content */
	bool indefinite;
	bool done;
};

/*
 * TS 102 226 §5.2.1: opens a command scripting template.  AA: its length
 * must cover exactly the rest of the input (SIMOTA_ERR_BAD_LENGTH /
 * SIMOTA_ERR_TRAILING_DATA).  AE: the length byte must be 80; the end
 * (00 00) is found by simota_rfm_expanded_next.  Any other first byte is
 * SIMOTA_ERR_BAD_TAG.
 */
simota_err simota_rfm_expanded_reader_init(struct simota_rfm_expanded_reader *rd, const uint8_t *script,
					   size_t len);
bool simota_rfm_expanded_done(const struct simota_rfm_expanded_reader *rd);
/*
 * TS 102 226 §5.2.1: the next TLV of the template.  SIMOTA_ERR_MISSING_VALUE
 * when done; SIMOTA_ERR_BAD_TAG for a tag the template may not hold;
 * SIMOTA_ERR_BAD_LENGTH / SIMOTA_ERR_TRUNCATED for a length that is malformed
 * or exceeds the template; SIMOTA_ERR_TRAILING_DATA for bytes after AE's
 * 00 00.  simota_rfm_bad_format_of() maps these to the Bad Format TLV value.
 */
simota_err simota_rfm_expanded_next(struct simota_rfm_expanded_reader *rd, struct simota_rfm_item *item);
/*
 * TS 102 226 §5.2.2: the Bad Format TLV value for an error of
 * simota_rfm_expanded_next at the reader's position (01 unknown tag,
 * 03 when at most a tag is left, 02 for any other length error and for
 * bytes after the end-of-contents).
 */
enum simota_rfm_bad_format simota_rfm_bad_format_of(const struct simota_rfm_expanded_reader *rd,
						    simota_err err);

/*
 * TS 102 226 §5.2.1: a command scripting template holding one C-APDU TLV
 * per command (the short C-APDU with its Le), definite (AA) or indefinite
 * (AE 80 ... 00 00).  n == 0 is SIMOTA_ERR_MISSING_VALUE.
 */
simota_err simota_rfm_expanded_encode(const struct simota_apdu *cmds, size_t n, bool indefinite,
				      struct simota_writer *w);

/*
 * The card's side of §5.2.2, written straight into the PoR buffer:
 *   begin -> add_rapdu ... [add_code 81|83] -> end(executed, bad_format)
 * Which executed commands get an R-APDU TLV is the caller's choice
 * (§5.2.1.1); the count is written first (AB) or not at all (AF).
 */
struct simota_rfm_expanded_response_writer {
	struct simota_writer *w;
	size_t mark;              /* start of the template's content (AB) */
	bool indefinite;
};

void simota_rfm_expanded_response_begin(struct simota_rfm_expanded_response_writer *ew,
					struct simota_writer *w, bool indefinite);
/* An R-APDU TLV (23): data then SW1 SW2. */
void simota_rfm_expanded_response_add_rapdu(struct simota_rfm_expanded_response_writer *ew,
					    const uint8_t *data, size_t len, uint16_t sw);
/* A one-byte response TLV: Immediate Action (81) or Script Chaining (83) response. */
void simota_rfm_expanded_response_add_code(struct simota_rfm_expanded_response_writer *ew,
					   uint8_t tag, uint8_t code);
/*
 * Closes the template: AB gets "80 01 executed" at its start (executed
 * 0-255, else SIMOTA_ERR_BAD_VALUE); a Bad Format TLV (90 01 code) is
 * appended when bad_format is not NONE.  Returns the writer's status.
 */
simota_err simota_rfm_expanded_response_end(struct simota_rfm_expanded_response_writer *ew,
					    unsigned executed, enum simota_rfm_bad_format bad_format);

struct simota_rfm_expanded_response {
	bool indefinite;          /* AF */
	bool has_count;           /* the Number of executed C-APDUs TLV was present */
	unsigned count;           /* its value, else the number of R-APDU TLVs */
	size_t rapdus;            /* number of R-APDU TLVs */
	enum simota_rfm_bad_format bad_format;  /* NONE when absent */
	int immediate_action;     /* the 81 response TLV's value, -1 when absent */
	int script_chaining;      /* the 83 response TLV's value, -1 when absent */
	const uint8_t *body;      /* the template's TLVs (for the R-APDU iterator) */
	size_t body_len;
};

/*
 * TS 102 226 §5.2.2: decodes and checks a whole response scripting template
 * (AB or AF): the count TLV (80, 1 or 2 bytes) only first, R-APDU values of
 * at least 2 bytes, 81/83/90 at most once with 1-byte values, no other tag,
 * nothing after the template.
 */
simota_err simota_rfm_expanded_response_decode(const uint8_t *p, size_t len,
					       struct simota_rfm_expanded_response *out);

struct simota_rfm_rapdu {
	const uint8_t *data;
	size_t len;
	uint16_t sw;
};

/* Iterates the R-APDU TLVs of a decoded response, in order. */
struct simota_rfm_rapdu_iter {
	struct simota_reader r;
};
void simota_rfm_rapdu_iter_init(struct simota_rfm_rapdu_iter *it,
				const struct simota_rfm_expanded_response *rsp);
/* false when there are no more R-APDUs. */
bool simota_rfm_rapdu_next(struct simota_rfm_rapdu_iter *it, struct simota_rfm_rapdu *out);

#endif
