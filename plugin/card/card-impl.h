/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What an implementation of the card service (card.h) provides, and how it
 * answers.  card.c is the front every caller goes through: it checks the
 * arguments, fails requests while the card is not up, keeps the owners and
 * cancellations, and delivers the proactive commands to the toolkit listener
 * (when it can take them, the agent grace included).  An implementation
 * does the exchanges with the card:
 *
 *   start        connect and power the card on, make its USIM application
 *                current; answer with sb_card_started() (never from inside
 *                the call)
 *   stop         power the card off; every request in flight answered with
 *                SB_CARD_ERROR_ABSENT (at once is fine)
 *   destroy      no answer or event after it; frees the implementation
 *   one op per request kind (struct sb_card_req says what is asked); each
 *                answered exactly once with the sb_card_req_*() that fits
 *                its kind, or sb_card_req_fail(), within a bounded wait
 *   fetch        the proactive command announced by sb_card_proactive_pending()
 *
 * and reports what the card does by itself: sb_card_status_changed() (lost,
 * or a card arrived), sb_card_proactive_pending() (a proactive command
 * waits: the front calls fetch when the listener can take it),
 * sb_card_session_ended() (the card ended its proactive session).
 *
 * A QMI implementation maps these onto UIM (card status and its
 * indication, read transparent / record, file attributes, PIN requests) and
 * raw CAT (event report indications carry the proactive command itself:
 * pending, then fetch answers from what it kept with its reference id;
 * terminal response, envelope, end session); its terminal_profile is NULL
 * when the firmware owns the profile.
 */
#ifndef SB_CARD_IMPL_H
#define SB_CARD_IMPL_H

#include <gio/gio.h>

#include "card/card.h"

enum sb_card_req_kind {
	SB_CARD_REQ_FILE_INFO,
	SB_CARD_REQ_READ_BINARY,
	SB_CARD_REQ_READ_RECORD,
	SB_CARD_REQ_UPDATE_BINARY,
	SB_CARD_REQ_UPDATE_RECORD,
	SB_CARD_REQ_PIN_STATE,
	SB_CARD_REQ_PIN_RETRIES,
	SB_CARD_REQ_PIN_ENABLED,
	SB_CARD_REQ_PIN_VERIFY,
	SB_CARD_REQ_PIN_CHANGE,
	SB_CARD_REQ_PIN_UNBLOCK,
	SB_CARD_REQ_PIN_ENABLE,
	SB_CARD_REQ_PIN_DISABLE,
	SB_CARD_REQ_TERMINAL_PROFILE,
	SB_CARD_REQ_ENVELOPE,
	SB_CARD_REQ_TERMINAL_RESPONSE,
	SB_CARD_REQ_FETCH,
};

#define SB_CARD_CODE_MAX 8

/* One request.  The implementation reads what is asked and may keep its own state in impl. */
struct sb_card_req {
	struct sb_card_service *card;
	enum sb_card_req_kind kind;
	/* what is asked (checked by card.c) */
	struct sb_card_path path;
	unsigned offset;                    /* a byte offset, or a record number (0: a cyclic file's oldest) */
	unsigned length;                    /* bytes to read; 0: a whole record */
	GBytes *data;                       /* to write; the ENVELOPE, TERMINAL RESPONSE, TERMINAL PROFILE */
	enum sb_card_pin pin;
	char code[SB_CARD_CODE_MAX + 1];    /* the PIN (the PUK for UNBLOCK, the old PIN for CHANGE) */
	char new_code[SB_CARD_CODE_MAX + 1];
	/* the implementation's, freed with the request */
	unsigned step;
	void *impl;
	GDestroyNotify impl_free;
	/* card.c's own */
	const void *owner;
	union {
		sb_card_data_cb data;
		sb_card_done_cb done;
		sb_card_info_cb info;
		sb_card_pin_state_cb pin_state;
		sb_card_pin_retries_cb pin_retries;
		sb_card_pin_enabled_cb pin_enabled;
	} cb;
	void *user;
	bool cancelled;
	bool in_call;                       /* inside the op that was given it */
	bool answered;
	guint idle_id;                      /* an answer waiting for the main loop */
	GError *err;
	uint16_t sw;
	GBytes *rdata;
	struct simota_fcp *fcp;
	enum sb_card_pin_state pin_state;
	struct sb_card_pin_retries retries;
	int enabled;
};

struct sb_card_ops {
	const char *name;
	void (*start)(struct sb_card_service *c);
	void (*stop)(struct sb_card_service *c);
	void (*destroy)(struct sb_card_service *c);
	void (*file_info)(struct sb_card_service *c, struct sb_card_req *r);
	void (*read_binary)(struct sb_card_service *c, struct sb_card_req *r);
	void (*read_record)(struct sb_card_service *c, struct sb_card_req *r);
	void (*update_binary)(struct sb_card_service *c, struct sb_card_req *r);
	void (*update_record)(struct sb_card_service *c, struct sb_card_req *r);
	void (*pin_state)(struct sb_card_service *c, struct sb_card_req *r);
	void (*pin_retries)(struct sb_card_service *c, struct sb_card_req *r);
	void (*pin_enabled)(struct sb_card_service *c, struct sb_card_req *r);
	/* PIN_VERIFY, PIN_CHANGE, PIN_UNBLOCK, PIN_ENABLE, PIN_DISABLE */
	void (*pin_command)(struct sb_card_service *c, struct sb_card_req *r);
	/* NULL: the backend does not let the host set the terminal profile */
	void (*terminal_profile)(struct sb_card_service *c, struct sb_card_req *r);
	void (*envelope)(struct sb_card_service *c, struct sb_card_req *r);
	void (*terminal_response)(struct sb_card_service *c, struct sb_card_req *r);
	void (*fetch)(struct sb_card_service *c, struct sb_card_req *r);
};

struct sb_card_service {
	const struct sb_card_ops *ops;
	char *name;                         /* the modem's, for log lines */
	char *description;                  /* set by the implementation */
	unsigned timeout_ms;                /* bounded wait of one exchange */
	unsigned agent_grace_ms;            /* SB_CARD_AGENT_GRACE_MS; tests shorten it */

	/* card.c's own */
	enum sb_card_state state;
	bool starting, up;
	GByteArray *atr;
	sb_card_start_cb start_cb;
	void *start_user;
	sb_card_status_cb status_cb;
	void *status_user;
	GList *reqs;                        /* struct sb_card_req * not answered yet */
	const struct sb_card_toolkit_handlers *listener;
	void *listener_user;
	bool toolkit_ready;                 /* the terminal profile is over */
	bool proactive_waiting;             /* announced, not fetched */
	bool fetching;
	guint grace_id;
	GCancellable *alive;                /* cancelled by sb_card_free */
};

/* For implementations: fills the front's part (name, timeouts) of a new card. */
void sb_card_init(struct sb_card_service *c, const struct sb_card_ops *ops, const char *name, unsigned timeout_ms);

/* The APDU implementation over a UICC transport (uicc.h), which it takes. */
struct sb_uicc;
struct sb_card_service *sb_card_apdu_new(struct sb_uicc *uicc, const char *name, unsigned timeout_ms);

/* ---- answers (a cancelled request may be answered with any: the answer is dropped) ------------- */

/* READ BINARY / RECORD, ENVELOPE, FETCH */
void sb_card_req_data(struct sb_card_req *r, uint16_t sw, const uint8_t *data, size_t len);
/* UPDATE BINARY / RECORD, PIN commands, TERMINAL PROFILE, TERMINAL RESPONSE */
void sb_card_req_sw(struct sb_card_req *r, uint16_t sw);
/* FILE INFO: fcp NULL unless sw is a success */
void sb_card_req_fcp(struct sb_card_req *r, uint16_t sw, const struct simota_fcp *fcp);
void sb_card_req_pin_state(struct sb_card_req *r, enum sb_card_pin_state state, uint16_t sw);
void sb_card_req_pin_retries(struct sb_card_req *r, const struct sb_card_pin_retries *retries);
void sb_card_req_pin_enabled(struct sb_card_req *r, int enabled, uint16_t sw);
/* Any kind: no answer from the card (err is copied). */
void sb_card_req_fail(struct sb_card_req *r, const GError *err);
/* The caller went away (sb_card_cancel_owner): better stop asking the card. */
static inline bool sb_card_req_cancelled(const struct sb_card_req *r)
{
	return r->cancelled;
}

/* ---- what the card does by itself --------------------------------------------------------------- */

/* The answer to start: err, or the card is up with this ATR (atr_len 0: none). */
void sb_card_started(struct sb_card_service *c, const GError *err, const uint8_t *atr, size_t atr_len);
/* ABSENT / ERROR: the card went away (every request already failed); PRESENT: a card arrived. */
void sb_card_status_changed(struct sb_card_service *c, enum sb_card_state state, const GError *why);
/* A proactive command waits on the card. */
void sb_card_proactive_pending(struct sb_card_service *c);
/* The card ended its proactive session. */
void sb_card_session_ended(struct sb_card_service *c);

#endif
