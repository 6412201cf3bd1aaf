/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The deferred-response application messages carried inside secured
 * packets between SV1 and the card applet (doc/protocol.md is the
 * authoritative description; the section numbers below are its own):
 *
 *   C1       A0  SV1 → card  start a transaction (command packet)
 *   C2       A1  SV1 → card  fetch the result (command packet)
 *   release  A2  SV1 → card  forget the transaction (command packet)
 *   IR       B0  card → SV1  interim response: the result will be deferred (PoR)
 *   MG       B1  card → SV1  "result ready", a plain SM MO (unsecured)
 *   R2S      B2  card → SV1  state and result (PoR); also the refusal of a C1
 *
 * Every message is one BER-TLV (TS 101 220 §7.1) whose value is a list of
 * primitive context-specific BER-TLVs.  Decoded strings and byte fields
 * point into the input (UTF-8, not NUL-terminated): the input must outlive
 * the message struct.  Encoders read the same fields.
 */
#ifndef SIMOTA_DEFERRED_H
#define SIMOTA_DEFERRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/error.h"
#include "simota/sms.h"

#define SIMOTA_DEFERRED_VERSION 1         /* protocol.md §2 */
#define SIMOTA_DEFERRED_TXID_NONE 0u      /* reserved: "no transaction" */
#define SIMOTA_DEFERRED_MAX_ITEMS 64      /* protocol.md §3.2 */

enum simota_deferred_type {
	SIMOTA_DEFERRED_C1 = 0xA0,
	SIMOTA_DEFERRED_C2 = 0xA1,
	SIMOTA_DEFERRED_RELEASE = 0xA2,
	SIMOTA_DEFERRED_IR = 0xB0,
	SIMOTA_DEFERRED_MG = 0xB1,
	SIMOTA_DEFERRED_R2S = 0xB2,
};

/* Element tags (protocol.md §3). */
enum simota_deferred_tag {
	SIMOTA_DEFERRED_TAG_TXID = 0x80,
	SIMOTA_DEFERRED_TAG_ACTION = 0x81,
	SIMOTA_DEFERRED_TAG_TEXT = 0x82,
	SIMOTA_DEFERRED_TAG_ITEM = 0x83,
	SIMOTA_DEFERRED_TAG_SV1_ADDRESS = 0x84,
	SIMOTA_DEFERRED_TAG_WANTED = 0x85,
	SIMOTA_DEFERRED_TAG_RQ = 0x86,
	SIMOTA_DEFERRED_TAG_STATE = 0x87,
	SIMOTA_DEFERRED_TAG_RESULT = 0x88,
	SIMOTA_DEFERRED_TAG_ANSWER_TEXT = 0x89,
	SIMOTA_DEFERRED_TAG_ANSWER_ITEM = 0x8A,
	SIMOTA_DEFERRED_TAG_ANSWER_YES_NO = 0x8B,
	SIMOTA_DEFERRED_TAG_INPUT = 0x8C,
	SIMOTA_DEFERRED_TAG_DEFAULT_ITEM = 0x8D,
	SIMOTA_DEFERRED_TAG_VERSION = 0x8F,
};

/* protocol.md §3.2: what the card asks the user (and which CAT command). */
enum simota_deferred_action {
	SIMOTA_DEFERRED_ACTION_NONE = 0,          /* element absent */
	SIMOTA_DEFERRED_DISPLAY_TEXT = 0x01,      /* DISPLAY TEXT, wait for user to clear */
	SIMOTA_DEFERRED_GET_INPUT = 0x02,         /* GET INPUT */
	SIMOTA_DEFERRED_SELECT_ITEM = 0x03,       /* SELECT ITEM */
	SIMOTA_DEFERRED_YES_NO = 0x04,            /* GET INKEY, "Yes/No" */
};

/* protocol.md §3.3: a time extension (RQ, and the wanted extension). */
enum simota_deferred_rq_form {
	SIMOTA_DEFERRED_RQ_NONE = 0,              /* element absent */
	SIMOTA_DEFERRED_RQ_FIXED = 0x01,          /* seconds */
	SIMOTA_DEFERRED_RQ_INDEFINITE = 0x02,
	SIMOTA_DEFERRED_RQ_UNTIL_EVENT = 0x03,    /* event, optional upper bound */
};

enum simota_deferred_event {
	SIMOTA_DEFERRED_EVENT_NONE = 0,
	SIMOTA_DEFERRED_EVENT_MG_SENT = 0x01,     /* wait for the MG */
	SIMOTA_DEFERRED_EVENT_NEXT_SESSION = 0x02, /* fetch in the next session */
};

struct simota_deferred_rq {
	enum simota_deferred_rq_form form;
	uint32_t seconds;  /* FIXED: > 0; UNTIL_EVENT: upper bound, 0 = none */
	enum simota_deferred_event event;  /* UNTIL_EVENT only */
};

/* protocol.md §3.4. */
enum simota_deferred_state {
	SIMOTA_DEFERRED_DONE = 0x00,
	SIMOTA_DEFERRED_PENDING = 0x01,
	SIMOTA_DEFERRED_UNKNOWN = 0x02,
	SIMOTA_DEFERRED_EXPIRED = 0x03,
	SIMOTA_DEFERRED_FULL = 0x04,
	SIMOTA_DEFERRED_NOT_SUPPORTED = 0x05,
	SIMOTA_DEFERRED_BAD_REQUEST = 0x06,
	SIMOTA_DEFERRED_RELEASED = 0x07,
};

/* protocol.md §3.2: GET INPUT constraints. */
#define SIMOTA_DEFERRED_INPUT_DIGITS 0x01  /* digits (0-9, *, #, +) only */
#define SIMOTA_DEFERRED_INPUT_HIDDEN 0x02  /* the terminal does not echo */
#define SIMOTA_DEFERRED_INPUT_DEFAULT_MIN 1
#define SIMOTA_DEFERRED_INPUT_DEFAULT_MAX 70

struct simota_deferred_input {
	uint8_t min_len, max_len;  /* characters, 0 <= min <= max, max >= 1 */
	uint8_t flags;
};

struct simota_deferred_item {
	uint8_t id;                /* 01-FF, unique within the C1 */
	const char *text;          /* UTF-8, not empty */
	size_t text_len;
};

/* protocol.md §3.5: the user's answer as the terminal reported it. */
struct simota_deferred_result {
	/* TS 102 223 §8.12 Result value: general result, additional information */
	uint8_t general;
	const uint8_t *additional;
	size_t additional_len;
	/* the answer, present iff general is 0X and the action has one: */
	const char *text;          /* GET INPUT (may be ""), else NULL */
	size_t text_len;
	uint8_t item_id;           /* SELECT ITEM, else 0 */
	int yes;                   /* YES_NO: 1 yes, 0 no; else -1 */
};

struct simota_deferred_msg {
	enum simota_deferred_type type;
	uint32_t txid;
	/* 8F: the sender's version (1 when absent); in a NOT_SUPPORTED R2S,
	 * the highest version the card speaks */
	uint8_t version;

	/* C1; action also in an R2S whose state is DONE */
	enum simota_deferred_action action;
	const char *text;          /* NULL when absent */
	size_t text_len;
	size_t n_items;
	struct simota_deferred_item items[SIMOTA_DEFERRED_MAX_ITEMS];
	/* 8D: the item SELECT ITEM offers first (one of items[].id), 0 = none */
	uint8_t default_item;
	bool has_input;
	struct simota_deferred_input input;
	bool has_sv1_address;
	struct simota_sms_address sv1_address;
	struct simota_deferred_rq wanted;

	/* IR; R2S PENDING (new estimate) and FULL (retry after, FIXED only) */
	struct simota_deferred_rq rq;

	/* R2S */
	enum simota_deferred_state state;
	bool has_result;           /* set iff state == DONE */
	struct simota_deferred_result result;
};

/*
 * Sets every field to "absent" (version 1, yes -1, ...) for the given type;
 * callers fill what the message carries, then encode.
 */
void simota_deferred_init(struct simota_deferred_msg *m, enum simota_deferred_type type,
			  uint32_t txid);

/*
 * protocol.md §3, §4: exactly one message in p..len.  Unknown elements are
 * skipped; a mandatory one missing → SIMOTA_ERR_MISSING_VALUE; a singleton
 * seen twice → SIMOTA_ERR_DUPLICATE; framing errors as the TLV codec gives
 * them; an element of the wrong size → SIMOTA_ERR_BAD_LENGTH; a value or a
 * combination the protocol forbids → SIMOTA_ERR_BAD_VALUE; text that is not
 * UTF-8 → SIMOTA_ERR_BAD_ENCODING.  A version other than 1, or (C1) an
 * unknown action → SIMOTA_ERR_UNSUPPORTED (the card answers NOT_SUPPORTED).
 * On every error after the message tag was read, m->type is set, m->txid
 * holds the first well-formed 80 element seen (else 0) and m->version the
 * version when it is not 1, so the card can address its refusal.
 */
simota_err simota_deferred_decode(const uint8_t *p, size_t len, struct simota_deferred_msg *m);

/*
 * protocol.md §3, §4: the message in canonical form (elements in ascending
 * tag order, items in their order, 8F only when the version is not 1 or the
 * state is NOT_SUPPORTED).  The struct is checked by the decoder's rules
 * first (same error codes); SIMOTA_ERR_NO_SPACE if cap is too small.
 */
simota_err simota_deferred_encode(const struct simota_deferred_msg *m,
				  uint8_t *out, size_t cap, size_t *out_len);

/* Names for logs: "C1", "IR", ...; "done", "pending", ...; "display-text", ... */
const char *simota_deferred_type_name(enum simota_deferred_type type);
const char *simota_deferred_state_name(enum simota_deferred_state state);
const char *simota_deferred_action_name(enum simota_deferred_action action);

#endif
