/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card service: everything the plugin asks of its SIM, and the one
 * interface between the modem and its sim, stk and sms atoms and whatever
 * reaches the card (doc/plugin.md, "The card service").  Files by path,
 * PINs, the toolkit (terminal profile, envelopes, terminal responses,
 * proactive commands, end of session), and the card's presence.
 *
 * Implementations (card-impl.h says what each provides):
 *   apdu.c  over APDUs on a UICC transport (uicc.h: uicc-emu's socket, a
 *           PC/SC reader): SELECT / READ / UPDATE / VERIFY / FETCH ... and
 *           the T=0 exchanges of apdu-session.c;
 *   qmi     a modem's own SIM over QMI UIM and CAT, whose firmware owns the
 *           card's basic channel and proactive session (to come).
 *
 * Every request:
 *   - answers exactly once, from the main loop, never from inside the call
 *     that made it;
 *   - answers within a bounded wait: each exchange with the card is bounded
 *     (UiccTimeout); one that runs out fails the request with
 *     SB_CARD_ERROR_TIMEOUT and the card is reported lost;
 *   - fails with SB_CARD_ERROR_ABSENT while the card is not up (before
 *     sb_card_start() is over, after it went away), and with
 *     SB_CARD_ERROR_INVALID for arguments the card cannot be asked with;
 *   - otherwise answers with the card's status word (TS 102 221 §10.2; an
 *     implementation without status words gives the one a card would have
 *     given) and the data that came with it;
 *   - carries an owner (any pointer): sb_card_cancel_owner() drops the
 *     owner's requests, whose callbacks then never run.
 */
#ifndef SB_CARD_H
#define SB_CARD_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/ts102221.h"

#define SB_CARD_ERROR (sb_card_error_quark())
GQuark sb_card_error_quark(void);

enum sb_card_error_code {
	SB_CARD_ERROR_ABSENT,       /* no card, or it went away during the request */
	SB_CARD_ERROR_TIMEOUT,      /* no answer within the bounded wait */
	SB_CARD_ERROR_LINK,         /* the link to the card failed or closed while waiting */
	SB_CARD_ERROR_PROTOCOL,     /* a malformed answer */
	SB_CARD_ERROR_BUSY,         /* the transport has an exchange outstanding */
	SB_CARD_ERROR_UNSUPPORTED,  /* not something this backend lets the host do */
	SB_CARD_ERROR_INVALID,      /* arguments the card cannot be asked with */
};

/* ---- where the card is (the Uicc= entry of the config file) ----------------------------- */

enum sb_uicc_kind {
	SB_UICC_EMU,            /* uicc-emu over a unix socket */
	SB_UICC_PCSC,           /* a PC/SC reader through pcsc-lite */
};

struct sb_uicc_addr {
	enum sb_uicc_kind kind;
	char *path;             /* EMU: socket path; PCSC: reader name, prefix or "*" */
	bool shared;            /* PCSC: SCARD_SHARE_SHARED instead of EXCLUSIVE */
	unsigned timeout_ms;    /* bounded wait of one exchange; 0: SB_CARD_DEFAULT_TIMEOUT_MS */
};

#define SB_CARD_DEFAULT_TIMEOUT_MS 5000
/* A proactive command the card announced before the toolkit listener came waits this long for agents. */
#define SB_CARD_AGENT_GRACE_MS 1000

struct sb_card_service;

/* The card service for the card at addr; name is for log lines (the modem's).  Never NULL. */
struct sb_card_service *sb_card_new(const struct sb_uicc_addr *addr, const char *name);
/* Drops every request without its callback. */
void sb_card_free(struct sb_card_service *c);

/* ---- presence and status ------------------------------------------------------------------ */

enum sb_card_state {
	SB_CARD_STATE_ABSENT,         /* no card, or not started */
	SB_CARD_STATE_PRESENT,        /* a card is there (up, or a good moment to start) */
	SB_CARD_STATE_ERROR,          /* a card is there but not usable (it stopped answering, answers garbage) */
};

/*
 * PRESENT while the card is not up: a card arrived (a reader's event, a
 * modem's card status), start it now.  ABSENT or ERROR: the card that was up
 * went away (why says how); every request in flight has failed by then.
 */
typedef void (*sb_card_status_cb)(struct sb_card_service *c, enum sb_card_state state, const GError *why, void *user);
void sb_card_set_status_handler(struct sb_card_service *c, sb_card_status_cb cb, void *user);

/* err NULL: the card is up (powered, its USIM application selected): requests go to it. */
typedef void (*sb_card_start_cb)(struct sb_card_service *c, const GError *err, void *user);
/* Connects to the card and powers it on (a reset: what the plugin knew of it is forgotten). */
void sb_card_start(struct sb_card_service *c, sb_card_start_cb cb, void *user);
/* Powers the card off; every request in flight fails with SB_CARD_ERROR_ABSENT. */
void sb_card_stop(struct sb_card_service *c);

bool sb_card_is_up(const struct sb_card_service *c);
/* The state and the ATR of the card now up (len 0: none, or a backend without one). */
enum sb_card_state sb_card_state(const struct sb_card_service *c);
const uint8_t *sb_card_atr(const struct sb_card_service *c, size_t *len);
/* For log lines: "emu:unix:/run/uicc-emu/card0.sock", "pcsc:Reader 00 00". */
const char *sb_card_description(const struct sb_card_service *c);

/* Drops owner's requests: their callbacks never run. */
void sb_card_cancel_owner(struct sb_card_service *c, const void *owner);

/* The card's answer: sw with its data (err NULL), or why there is none. */
typedef void (*sb_card_data_cb)(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user);
typedef void (*sb_card_done_cb)(const GError *err, uint16_t sw, void *user);

/* 9000, 91XX (proactive command pending) and 92XX (TS 51.011: ok after retries). */
static inline bool sb_sw_ok(uint16_t sw)
{
	return sw == 0x9000 || (sw >> 8) == 0x91 || (sw >> 8) == 0x92;
}

/* ---- files by path (TS 102 221 §8.4.2, §11.1) ---------------------------------------------- */

#define SB_CARD_PATH_MAX 16

/* A file by its path from the MF: the FIDs of its DFs (3F00 left out), then its own. */
struct sb_card_path {
	uint8_t len;                        /* bytes: 2 (a file of the MF) to SB_CARD_PATH_MAX, even */
	uint8_t fid[SB_CARD_PATH_MAX];
};

/* The path of file fid under the DFs dfs (dfs_len bytes; a leading 3F00 is skipped); false if too long. */
bool sb_card_path_set(struct sb_card_path *p, const uint8_t *dfs, size_t dfs_len, uint16_t fid);

/* fcp: the file's FCP template (TS 102 221 §11.1.1.3) when sw is a success. */
typedef void (*sb_card_info_cb)(const GError *err, uint16_t sw, const struct simota_fcp *fcp, void *user);

void sb_card_file_info(struct sb_card_service *c, const void *owner, const struct sb_card_path *path,
		       sb_card_info_cb cb, void *user);
/* len 1-256 bytes from offset (0-32767). */
void sb_card_read_binary(struct sb_card_service *c, const void *owner, const struct sb_card_path *path, unsigned offset,
			 unsigned len, sb_card_data_cb cb, void *user);
/* Record 1-254, absolute; len 1-256, or 0 for the whole record (its length from the file's FCP). */
void sb_card_read_record(struct sb_card_service *c, const void *owner, const struct sb_card_path *path, unsigned record,
			 unsigned len, sb_card_data_cb cb, void *user);
/* len 1-255 bytes at offset. */
void sb_card_update_binary(struct sb_card_service *c, const void *owner, const struct sb_card_path *path,
			   unsigned offset, const uint8_t *data, size_t len, sb_card_done_cb cb, void *user);
/* Record 1-254 (absolute), or 0: a cyclic file's oldest record, which becomes record 1; len 1-255. */
void sb_card_update_record(struct sb_card_service *c, const void *owner, const struct sb_card_path *path,
			   unsigned record, const uint8_t *data, size_t len, sb_card_done_cb cb, void *user);

/* ---- PINs (TS 102 221 §9, §11.1.9-§11.1.13) -------------------------------------------------- */

enum sb_card_pin {
	SB_CARD_PIN1,           /* the application PIN (key reference 01) */
	SB_CARD_PIN2,           /* the second application PIN (key reference 81) */
};

enum sb_card_pin_state {
	SB_CARD_PIN_NONE,       /* no PIN wanted */
	SB_CARD_PIN_WANTED,     /* PIN1 wanted */
	SB_CARD_PUK_WANTED,     /* PIN1 blocked, its PUK wanted */
	SB_CARD_PIN_BLOCKED,    /* PIN1 and its PUK blocked */
	SB_CARD_PIN_UNKNOWN,    /* the card answered sw, which says none of these */
};

/* Tries left: -1 when the card does not say. */
struct sb_card_pin_retries {
	int pin1, puk1, pin2, puk2;
};

/* sw: the answer the state was read from (the empty VERIFY, or UNBLOCK PIN). */
typedef void (*sb_card_pin_state_cb)(const GError *err, enum sb_card_pin_state state, uint16_t sw, void *user);
typedef void (*sb_card_pin_retries_cb)(const GError *err, const struct sb_card_pin_retries *r, void *user);
/* 1 enabled, 0 disabled, -1 the card does not say. */
typedef void (*sb_card_pin_enabled_cb)(const GError *err, int enabled, uint16_t sw, void *user);

/* What PIN1 wants before the USIM can be used. */
void sb_card_pin_state(struct sb_card_service *c, const void *owner, sb_card_pin_state_cb cb, void *user);
void sb_card_pin_retries(struct sb_card_service *c, const void *owner, sb_card_pin_retries_cb cb, void *user);
void sb_card_pin_enabled(struct sb_card_service *c, const void *owner, enum sb_card_pin pin, sb_card_pin_enabled_cb cb,
			 void *user);
/* PINs are 4-8 decimal digits, a PUK 8 (SB_CARD_ERROR_INVALID otherwise). */
void sb_card_pin_verify(struct sb_card_service *c, const void *owner, enum sb_card_pin pin, const char *code,
			sb_card_done_cb cb, void *user);
void sb_card_pin_change(struct sb_card_service *c, const void *owner, enum sb_card_pin pin, const char *old_code,
			const char *new_code, sb_card_done_cb cb, void *user);
void sb_card_pin_unblock(struct sb_card_service *c, const void *owner, enum sb_card_pin pin, const char *puk,
			 const char *new_code, sb_card_done_cb cb, void *user);
/* Enables (enable) or disables the verification requirement of pin. */
void sb_card_pin_enable(struct sb_card_service *c, const void *owner, enum sb_card_pin pin, bool enable,
			const char *code, sb_card_done_cb cb, void *user);

/* ---- the toolkit (TS 102 221 §11.2, TS 102 223) ---------------------------------------------- */

/*
 * The terminal profile (TS 102 223 §5.2), before any other toolkit exchange
 * (TS 102 221 §14.7).  SB_CARD_ERROR_UNSUPPORTED: the backend does not let
 * the host set it (a modem's firmware downloads its own); the toolkit works
 * all the same.  Either way proactive commands reach the listener only once
 * this is over.
 */
void sb_card_terminal_profile(struct sb_card_service *c, const void *owner, const uint8_t *profile, size_t len,
			      sb_card_done_cb cb, void *user);
/* An ENVELOPE (1-255 bytes); cb gets the card's response data. */
void sb_card_envelope(struct sb_card_service *c, const void *owner, const uint8_t *data, size_t len, sb_card_data_cb cb,
		      void *user);
/* The TERMINAL RESPONSE (1-255 bytes) to the last proactive command. */
void sb_card_terminal_response(struct sb_card_service *c, const void *owner, const uint8_t *data, size_t len,
			       sb_card_done_cb cb, void *user);

struct sb_card_toolkit_handlers {
	/* A proactive command (TS 102 223 §6.6), its BER-TLV as the card sent it. */
	void (*proactive_command)(const uint8_t *cmd, size_t len, void *user);
	/* The card ended its proactive session (TS 102 223 §6.2: no command pending). */
	void (*session_end)(void *user);
};

/*
 * The listener of the card's proactive commands (oFono's stk atom).  A
 * command the card announced before it came waits SB_CARD_AGENT_GRACE_MS
 * (agents register on seeing SimToolkit); later ones reach it at once.
 * Without a listener, commands wait on the card.
 */
void sb_card_toolkit_attach(struct sb_card_service *c, const struct sb_card_toolkit_handlers *h, void *user);
void sb_card_toolkit_detach(struct sb_card_service *c);

#endif
