/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CAT / USAT codec (ETSI TS 102 223, 3GPP TS 31.111): proactive UICC
 * commands (BER-TLV D0), TERMINAL RESPONSE (a bare list of
 * COMPREHENSION-TLVs) and ENVELOPEs (D1 SMS-PP DOWNLOAD, D3 MENU SELECTION,
 * D6 EVENT DOWNLOAD, D7 TIMER EXPIRATION).
 *
 * One struct, simota_cat_msg, holds any of them: the command details and
 * device identities, then one optional field per simple data object
 * (TS 102 223 §8).  Which objects a message may carry, which are mandatory,
 * their order and their default comprehension-required (CR) flag come from
 * the spec's tables (§6.6, §6.8, §7); the decoder and the encoder share
 * them.  A caller building a message zeroes the struct, fills the header
 * and the objects it wants (strings with simota_cat_string_set()) and
 * encodes.
 *
 * Decoding keeps what is needed to re-encode the very same bytes: the raw
 * coded form of every string (Text String DCS, alpha identifier form), the
 * CR flags where they differ from the spec's default.  Objects are written
 * in the spec's order whatever order they arrived in.
 *
 * Errors (TS 102 223 §6.10): an unknown object with CR set →
 * SIMOTA_ERR_NOT_UNDERSTOOD (result 32); a mandatory object missing →
 * SIMOTA_ERR_MISSING_VALUE (result 36); unknown objects without CR are
 * skipped.  A proactive command of a type this codec does not implement →
 * SIMOTA_ERR_UNSUPPORTED (result 30) with the header still filled in, so
 * the terminal can answer it; simota_cat_error_result() maps an error to
 * its general result.
 *
 * No allocation: strings live in the message's own pool.
 */
#ifndef SIMOTA_CAT_H
#define SIMOTA_CAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/error.h"

/* TS 102 223 §9.3: BER-TLV tags. */
#define SIMOTA_CAT_TAG_PROACTIVE          0xD0
#define SIMOTA_CAT_TAG_SMS_PP_DOWNLOAD    0xD1
#define SIMOTA_CAT_TAG_MENU_SELECTION     0xD3
#define SIMOTA_CAT_TAG_EVENT_DOWNLOAD     0xD6
#define SIMOTA_CAT_TAG_TIMER_EXPIRATION   0xD7

/* TS 102 223 §9.4: type of command. */
enum simota_cat_command_type {
	SIMOTA_CAT_REFRESH = 0x01,
	SIMOTA_CAT_MORE_TIME = 0x02,
	SIMOTA_CAT_POLL_INTERVAL = 0x03,
	SIMOTA_CAT_POLLING_OFF = 0x04,
	SIMOTA_CAT_SET_UP_EVENT_LIST = 0x05,
	SIMOTA_CAT_SEND_SHORT_MESSAGE = 0x13,
	SIMOTA_CAT_PLAY_TONE = 0x20,
	SIMOTA_CAT_DISPLAY_TEXT = 0x21,
	SIMOTA_CAT_GET_INKEY = 0x22,
	SIMOTA_CAT_GET_INPUT = 0x23,
	SIMOTA_CAT_SELECT_ITEM = 0x24,
	SIMOTA_CAT_SET_UP_MENU = 0x25,
	SIMOTA_CAT_PROVIDE_LOCAL_INFO = 0x26,
	SIMOTA_CAT_TIMER_MANAGEMENT = 0x27,
};

/* TS 102 223 §8.7: device identities. */
enum simota_cat_device {
	SIMOTA_CAT_DEV_KEYPAD = 0x01,
	SIMOTA_CAT_DEV_DISPLAY = 0x02,
	SIMOTA_CAT_DEV_EARPIECE = 0x03,
	SIMOTA_CAT_DEV_UICC = 0x81,
	SIMOTA_CAT_DEV_TERMINAL = 0x82,
	SIMOTA_CAT_DEV_NETWORK = 0x83,
};

/* TS 102 223 §8.25: events (SET UP EVENT LIST, EVENT DOWNLOAD). */
enum simota_cat_event {
	SIMOTA_CAT_EVENT_MT_CALL = 0x00,
	SIMOTA_CAT_EVENT_CALL_CONNECTED = 0x01,
	SIMOTA_CAT_EVENT_CALL_DISCONNECTED = 0x02,
	SIMOTA_CAT_EVENT_LOCATION_STATUS = 0x03,
	SIMOTA_CAT_EVENT_USER_ACTIVITY = 0x04,
	SIMOTA_CAT_EVENT_IDLE_SCREEN_AVAILABLE = 0x05,
	SIMOTA_CAT_EVENT_CARD_READER_STATUS = 0x06,
	SIMOTA_CAT_EVENT_LANGUAGE_SELECTION = 0x07,
	SIMOTA_CAT_EVENT_BROWSER_TERMINATION = 0x08,
	SIMOTA_CAT_EVENT_DATA_AVAILABLE = 0x09,
	SIMOTA_CAT_EVENT_CHANNEL_STATUS = 0x0A,
	SIMOTA_CAT_EVENT_ACCESS_TECHNOLOGY_CHANGE = 0x0B,
	SIMOTA_CAT_EVENT_DISPLAY_PARAMETERS_CHANGED = 0x0C,
	SIMOTA_CAT_EVENT_LOCAL_CONNECTION = 0x0D,
	SIMOTA_CAT_EVENT_NETWORK_SEARCH_MODE_CHANGE = 0x0E,
	SIMOTA_CAT_EVENT_BROWSING_STATUS = 0x0F,
	SIMOTA_CAT_EVENT_NETWORK_REJECTION = 0x12,
};

/* TS 102 223 §8.12: general results (a selection). */
enum simota_cat_result_code {
	SIMOTA_CAT_RESULT_OK = 0x00,
	SIMOTA_CAT_RESULT_PARTIAL = 0x01,
	SIMOTA_CAT_RESULT_MISSING_INFO = 0x02,
	SIMOTA_CAT_RESULT_REFRESH_EXTRA_EF = 0x03,
	SIMOTA_CAT_RESULT_NO_ICON = 0x04,
	SIMOTA_CAT_RESULT_USER_TERMINATED = 0x10,
	SIMOTA_CAT_RESULT_GO_BACK = 0x11,
	SIMOTA_CAT_RESULT_NO_RESPONSE = 0x12,
	SIMOTA_CAT_RESULT_HELP_REQUESTED = 0x13,
	SIMOTA_CAT_RESULT_TERMINAL_BUSY = 0x20,
	SIMOTA_CAT_RESULT_NETWORK_BUSY = 0x21,
	SIMOTA_CAT_RESULT_USER_REJECTED = 0x22,
	SIMOTA_CAT_RESULT_BEYOND_CAPABILITIES = 0x30,
	SIMOTA_CAT_RESULT_TYPE_NOT_UNDERSTOOD = 0x31,
	SIMOTA_CAT_RESULT_DATA_NOT_UNDERSTOOD = 0x32,
	SIMOTA_CAT_RESULT_NUMBER_NOT_UNDERSTOOD = 0x33,
	SIMOTA_CAT_RESULT_MISSING_VALUES = 0x36,
};

#define SIMOTA_CAT_POOL_SIZE 4096   /* UTF-8 and raw coded strings of one message */
#define SIMOTA_CAT_MAX_ITEMS 128    /* a 255-byte command holds at most 84 */
#define SIMOTA_CAT_BYTES_MAX 255    /* value bytes of a raw object */
#define SIMOTA_CAT_NUMBER_MAX 64    /* dialling number characters + NUL */

/*
 * A Text String (§8.15), alpha identifier (§8.2) or item text (§8.9).
 * UTF-8 (NUL-terminated) and the raw coded value as received both live in
 * the message's pool; use simota_cat_string_get()/_set().  When encoding,
 * the raw form is written back while it still decodes to the UTF-8 text;
 * otherwise the text is coded afresh: a Text String with its dcs (-1: GSM
 * unpacked if possible, else UCS2; -1 with empty text: a null Text String
 * of length 0), an alpha identifier in the shortest form (TS 102 221 Annex A).
 */
struct simota_cat_string {
	bool present;
	int16_t dcs;          /* Text String only: DCS byte, or -1 */
	uint16_t off, len;    /* UTF-8 in the pool, len without the NUL */
	uint16_t raw_off, raw_len;
};

struct simota_cat_pool {
	uint16_t used;
	char buf[SIMOTA_CAT_POOL_SIZE];
};

/* Objects kept as their value bytes (lists, fixed-size values). */
struct simota_cat_bytes {
	bool present;
	uint8_t len;
	uint8_t data[SIMOTA_CAT_BYTES_MAX];
};

/* One-byte objects (tone, item identifier, timer identifier, ...). */
struct simota_cat_u8 {
	bool present;
	uint8_t v;
};

/* §8.6 */
struct simota_cat_command_details {
	uint8_t number, type, qualifier;
};

/* §8.12: general result + additional information. */
struct simota_cat_result {
	bool present;
	uint8_t general;
	uint8_t add_len;
	uint8_t add[SIMOTA_CAT_BYTES_MAX - 1];
};

/* §8.8: unit 00 minutes, 01 seconds, 02 tenths of seconds; interval 1-255. */
struct simota_cat_duration {
	bool present;
	uint8_t unit, interval;
};

/* §8.1: TON/NPI byte and the dialling number: 0-9 * # and a b c for the BCD
 * values C D E (as TS 23.040 §9.1.2.3 writes them, like simota_sms_address). */
struct simota_cat_address {
	bool present;
	uint8_t ton_npi;
	char number[SIMOTA_CAT_NUMBER_MAX];
};

/* §8.9: an item.  In SET UP MENU, no items at all means "remove the menu"
 * (coded as one empty item). */
struct simota_cat_item {
	uint8_t id;
	struct simota_cat_string text;
};

/* §8.11 */
struct simota_cat_response_length {
	bool present;
	uint8_t min, max;
};

/* §8.31 */
struct simota_cat_icon_id {
	bool present;
	uint8_t qualifier, id;
};

/* §8.32 */
struct simota_cat_item_icon_list {
	bool present;
	uint8_t qualifier;
	uint8_t len;
	uint8_t ids[SIMOTA_CAT_BYTES_MAX - 1];
};

/*
 * §8.19 (TS 31.111 §8.19): MCC/MNC, LAC or TAC, cell identity.  The form
 * follows the length: 5 bytes (no cell id), 7 (GERAN cell id), 9 (UTRAN
 * cell id + extended cell id, or E-UTRAN 28-bit cell id when the last
 * nibble is F).
 */
enum simota_cat_cell_form {
	SIMOTA_CAT_CELL_NONE,
	SIMOTA_CAT_CELL_GERAN,
	SIMOTA_CAT_CELL_UTRAN,
	SIMOTA_CAT_CELL_EUTRAN,
};

struct simota_cat_location_info {
	bool present;
	char mcc[4], mnc[4];
	uint16_t lac_tac;
	enum simota_cat_cell_form form;
	uint16_t ci, ext_ci;    /* GERAN / UTRAN */
	uint32_t eutran_ci;     /* E-UTRAN, 28 bits */
};

/* TS 31.111 §8.99: tracking area identification. */
struct simota_cat_tai {
	bool present;
	char mcc[4], mnc[4];
	uint16_t tac;
};

/* CR flags as sent that differ from the spec's default, one bit per tag. */
struct simota_cat_cr {
	uint8_t flip[16];
};

struct simota_cat_msg {
	uint8_t envelope_tag;                         /* envelopes: D1 D3 D6 D7 */
	struct simota_cat_command_details details;     /* 01 */
	uint8_t src, dst;                              /* 02 */
	struct simota_cat_result result;               /* 03 */
	struct simota_cat_duration duration;           /* 04 */
	struct simota_cat_string alpha_id;             /* 05 */
	struct simota_cat_address address;             /* 06 */
	struct simota_cat_bytes sms_tpdu;              /* 0B */
	struct simota_cat_string text;                 /* 0D */
	struct simota_cat_u8 tone;                     /* 0E */
	unsigned n_items;                              /* 0F */
	struct simota_cat_item items[SIMOTA_CAT_MAX_ITEMS];
	struct simota_cat_u8 item_id;                  /* 10 */
	struct simota_cat_response_length response_length; /* 11 */
	struct simota_cat_bytes file_list;             /* 12 */
	struct simota_cat_location_info location_info; /* 13 */
	struct simota_cat_bytes imei;                  /* 14 */
	bool help_request;                             /* 15 */
	struct simota_cat_bytes nmr;                   /* 16 */
	struct simota_cat_string default_text;         /* 17 */
	struct simota_cat_bytes next_action;           /* 18 */
	struct simota_cat_bytes event_list;            /* 19 */
	struct simota_cat_bytes cause;                 /* 1A */
	struct simota_cat_u8 location_status;          /* 1B */
	struct simota_cat_bytes transaction_ids;       /* 1C */
	struct simota_cat_bytes bcch_list;             /* 1D */
	struct simota_cat_icon_id icon_id;             /* 1E */
	struct simota_cat_item_icon_list item_icons;   /* 1F */
	struct simota_cat_u8 card_reader_status;       /* 20 */
	struct simota_cat_u8 timer_id;                 /* 24 */
	struct simota_cat_bytes timer_value;           /* 25: 3 BCD bytes, h m s */
	struct simota_cat_bytes date_time;             /* 26 */
	bool immediate_response;                       /* 2B */
	struct simota_cat_bytes language;              /* 2D: 2 GSM characters */
	struct simota_cat_bytes timing_advance;        /* 2E */
	struct simota_cat_bytes aid;                   /* 2F */
	struct simota_cat_u8 browser_termination_cause; /* 34 */
	struct simota_cat_u8 channel_data_length;      /* 37 */
	struct simota_cat_bytes channel_status;        /* 38 */
	struct simota_cat_bytes access_technology;     /* 3F */
	struct simota_cat_bytes text_attribute;        /* 50 */
	struct simota_cat_bytes item_text_attributes;  /* 51 */
	struct simota_cat_bytes imeisv;                /* 62 */
	struct simota_cat_u8 battery_state;            /* 63 */
	struct simota_cat_u8 network_search_mode;      /* 65 */
	struct simota_cat_u8 frame_id;                 /* 68 */
	struct simota_cat_u8 meas_qualifier;           /* 69 */
	struct simota_cat_bytes plmn_act_list;         /* 72 */
	struct simota_cat_u8 update_attach_type;       /* 74 */
	struct simota_cat_u8 rejection_cause;          /* 75 */
	struct simota_cat_tai tai;                     /* 7D */
	struct simota_cat_cr cr;
	struct simota_cat_pool pool;
};

/* TS 102 223 §6.6: proactive command (D0 BER-TLV) ↔ msg. */
simota_err simota_cat_command_decode(const uint8_t *pdu, size_t len, struct simota_cat_msg *out);
simota_err simota_cat_command_encode(const struct simota_cat_msg *in,
				     uint8_t *out, size_t cap, size_t *out_len);

/* TS 102 223 §6.8: TERMINAL RESPONSE ↔ msg. */
simota_err simota_cat_response_decode(const uint8_t *pdu, size_t len, struct simota_cat_msg *out);
simota_err simota_cat_response_encode(const struct simota_cat_msg *in,
				      uint8_t *out, size_t cap, size_t *out_len);

/* TS 102 223 §7, TS 31.111 §7.1: ENVELOPE (D1, D3, D6, D7) ↔ msg. */
simota_err simota_cat_envelope_decode(const uint8_t *pdu, size_t len, struct simota_cat_msg *out);
simota_err simota_cat_envelope_encode(const struct simota_cat_msg *in,
				      uint8_t *out, size_t cap, size_t *out_len);

/* The string's UTF-8 text, or NULL if the object is absent. */
const char *simota_cat_string_get(const struct simota_cat_msg *m, const struct simota_cat_string *s);

/*
 * Sets s (a member of m) to utf8 (NULL: absent).  dcs is the Text String
 * DCS to code it with (0x00, 0x04, 0x08, ... or -1), ignored for alpha
 * identifiers and items.  SIMOTA_ERR_NO_SPACE when the pool is full.
 */
simota_err simota_cat_string_set(struct simota_cat_msg *m, struct simota_cat_string *s,
				 const char *utf8, int dcs);

/*
 * TS 102 223 §6.8.15: a GET INKEY "Yes/No" answer (qualifier bit 3) is a
 * Text String holding the byte 01 (yes) or 00 (no).  Returns 1, 0, or -1
 * when m is not such an answer; the setter fills m->text (DCS 04).
 */
int simota_cat_inkey_yes_no(const struct simota_cat_msg *m);
simota_err simota_cat_inkey_set_yes_no(struct simota_cat_msg *m, bool yes);

/* TS 102 223 §8.38: timer value (BCD semi-octets) ↔ seconds (< 24 h). */
simota_err simota_cat_timer_value_seconds(const struct simota_cat_bytes *v, uint32_t *seconds);
void simota_cat_timer_value_set(struct simota_cat_bytes *v, uint32_t seconds);

/*
 * TS 102 223 §8.18 File List (REFRESH, msg.file_list): the number of
 * files, then each one's full path from the MF, back to back: 3F00, the
 * FIDs of the DFs on the way (7FFF: the current NAA's ADF), the EF's own.
 * A path is 4 to SIMOTA_CAT_PATH_MAX bytes, whole FIDs, 3F00 first and
 * nowhere else (the next 3F00 starts the next path).
 */
#define SIMOTA_CAT_PATH_MAX 16

/* An empty list: present, "0 files". */
void simota_cat_file_list_init(struct simota_cat_bytes *fl);
/*
 * Appends path unless the list holds it already.  SIMOTA_ERR_BAD_VALUE for
 * no full path (or a list that is not one); SIMOTA_ERR_NO_SPACE when the
 * value would pass max bytes (SIMOTA_CAT_BYTES_MAX at most; 63 paths of 4):
 * the list is then unchanged.
 */
simota_err simota_cat_file_list_add(struct simota_cat_bytes *fl, const uint8_t *path, size_t len, size_t max);
/*
 * The next path from *pos (0 to start), which moves on.  SIMOTA_ERR_MISSING_VALUE
 * after the last; SIMOTA_ERR_BAD_VALUE for bytes that are no full path.
 */
simota_err simota_cat_file_list_next(const struct simota_cat_bytes *fl, size_t *pos, const uint8_t **path,
				     size_t *len);
bool simota_cat_file_list_has(const struct simota_cat_bytes *fl, const uint8_t *path, size_t len);
/* The whole list: full paths only, as many as its first byte says (SIMOTA_ERR_BAD_VALUE otherwise). */
simota_err simota_cat_file_list_check(const struct simota_cat_bytes *fl, unsigned *n_files);

/*
 * TS 102 223 §6.10: the general result a terminal answers a command with
 * when decoding failed with err (32 data not understood, 36 missing values,
 * 30 beyond capabilities).
 */
uint8_t simota_cat_error_result(simota_err err);

#endif
