/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card's CAT runtime (ETSI TS 102 223 §6-7, TS 102 221 §7.4, §14.7),
 * with an applet API modelled on the UICC toolkit (ETSI TS 102 241, here in
 * C and synchronous: the card is driven by APDUs, there is no main loop and
 * no applet thread).
 *
 * Applets register and claim events.  Each event runs the applet's process()
 * with an invocation handle, valid only during that call.  Through it the
 * applet
 *  (a) writes the envelope response: only until its first proactive command
 *      of that invocation.  Afterwards uicc_tk_response_write() returns
 *      UICC_TK_ERR_CLOSED and writes nothing (ETSI TS 143 019 §6.6: the
 *      EnvelopeResponseHandler is no longer available once the
 *      ProactiveHandler has been used: the envelope's answer has gone out);
 *  (b) issues proactive commands (raw D0 BER-TLV, e.g. from
 *      simota_cat_command_encode()); they are queued and FETCHed in order;
 *  (c) gets each command's TERMINAL RESPONSE later through a callback (raw
 *      bytes + decoded general result), in a new invocation in which it may
 *      issue the next command of its proactive session;
 *  (d) asks for MORE TIME and runs timers (TIMER MANAGEMENT / TIMER
 *      EXPIRATION).
 *
 * Because a proactive command does not block here (Java Card's
 * ProactiveHandler.send() does), several commands may be queued by one
 * invocation: the ME fetches one, answers it, then sees 91XX for the next
 * (TS 102 221 §7.4.2.2: one command at a time).
 *
 * The OTA receiving entity sits between the runtime and the applets: it
 * claims UICC_TK_EVENT_SMS_PP_DOWNLOAD (ENVELOPE D1), verifies the secured
 * packet and calls the TAR's applet with uicc_tk_invoke_nested() and
 * UICC_TK_EVENT_FORMATTED_SMS_PP.  The nested invocation has its own
 * envelope response handler (the applet's "additional response data"); when
 * it closes (the applet's first proactive command, uicc_tk_response_post(),
 * or the applet's return), the OTA layer's close callback gets what the
 * applet wrote and writes the PoR into the outer handler, which is still
 * open at that moment and closes right after.
 *
 * Plain C over libsimota (no GLib): each invocation is allocated for its
 * event; the queue and the registries are fixed-size.
 */
#ifndef UICC_TOOLKIT_H
#define UICC_TOOLKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/error.h"
#include "simota/sms.h"

#define UICC_TK_MAX_APPLETS 16
#define UICC_TK_MAX_QUEUE 8           /* proactive commands pending */
#define UICC_TK_MAX_COMMAND 255       /* one proactive command (D0 TLV), FETCH limit */
#define UICC_TK_MAX_RESPONSE 255      /* envelope response data */
#define UICC_TK_MAX_PROFILE 64        /* TERMINAL PROFILE bytes kept */
#define UICC_TK_MAX_TIMERS 8          /* TS 102 223 §8.37: timer identifiers 1-8 */
#define UICC_TK_MAX_MENU_ITEMS 16

enum uicc_tk_result {
	UICC_TK_OK = 0,
	UICC_TK_ERR_CLOSED,       /* envelope response handler closed: a proactive command was
				   * issued in this invocation, or post() was called (TS 143 019 §6.6) */
	UICC_TK_ERR_UNAVAILABLE,  /* this event has no envelope response (TR, timer, profile...) */
	UICC_TK_ERR_NO_SPACE,     /* response data or proactive queue full, command too long */
	UICC_TK_ERR_BAD_COMMAND,  /* not a D0 TLV with command details and device identities */
	UICC_TK_ERR_BUSY,         /* "toolkit busy": the card answers 9300, nothing changes */
	UICC_TK_ERR_NOT_FOUND,    /* unknown applet / timer / item; FETCH with nothing pending */
	UICC_TK_ERR_BAD_DATA,     /* ENVELOPE or TERMINAL RESPONSE malformed */
	UICC_TK_ERR_NO_SESSION,   /* TERMINAL RESPONSE but no command was fetched */
	UICC_TK_ERR_MISMATCH,     /* TERMINAL RESPONSE command details differ from the fetched command */
	UICC_TK_ERR_STATE,        /* call not allowed in this invocation (e.g. handle of another event) */
};

const char *uicc_tk_strerror(enum uicc_tk_result r);

/* What an invocation was triggered by (TS 102 241 §6.2 events, simplified). */
enum uicc_tk_event {
	UICC_TK_EVENT_SMS_PP_DOWNLOAD = 1,   /* ENVELOPE D1 as received (the OTA layer claims it) */
	UICC_TK_EVENT_FORMATTED_SMS_PP,      /* secured data for the applet's TAR, via the OTA layer */
	UICC_TK_EVENT_MENU_SELECTION,        /* ENVELOPE D3 for one of the applet's menu items */
	UICC_TK_EVENT_EVENT_DOWNLOAD,        /* ENVELOPE D6 with an event the applet claimed */
	UICC_TK_EVENT_TIMER_EXPIRATION,      /* ENVELOPE D7 for one of the applet's timers */
	UICC_TK_EVENT_ENVELOPE,              /* any other ENVELOPE tag the applet claimed */
	UICC_TK_EVENT_PROFILE_DOWNLOAD,      /* TERMINAL PROFILE received */
	UICC_TK_EVENT_TERMINAL_RESPONSE,     /* callback invocation of uicc_tk_proactive_send() */
};

struct uicc_toolkit;
struct uicc_tk_applet;
struct uicc_tk_invocation;

/*
 * The applet's entry point (TS 102 241 processToolkit).  Returning
 * UICC_TK_ERR_BUSY makes the card answer the ENVELOPE with 9300 (only
 * allowed if the applet neither wrote a response nor issued a command: the
 * runtime then discards nothing, so do not); any other return is taken as
 * done.
 */
typedef enum uicc_tk_result (*uicc_tk_process_fn)(struct uicc_tk_invocation *inv, void *user_data);

/* ---- registration ---------------------------------------------------- */

struct uicc_tk_applet *uicc_tk_applet_register(struct uicc_toolkit *tk, const char *name,
					       uicc_tk_process_fn process, void *user_data);
struct uicc_tk_applet *uicc_tk_applet_find(struct uicc_toolkit *tk, const char *name);
const char *uicc_tk_applet_name(const struct uicc_tk_applet *a);
/* The user_data it was registered with (a shared applet found by name). */
void *uicc_tk_applet_user_data(const struct uicc_tk_applet *a);

/*
 * Claims an event: SMS_PP_DOWNLOAD (one applet per card: the first claim
 * wins, later ones get UICC_TK_ERR_BUSY), PROFILE_DOWNLOAD, FORMATTED_SMS_PP
 * (informative: the OTA layer calls by TAR).  Menu items, download events,
 * timers and other envelope tags are claimed with the functions below.
 */
enum uicc_tk_result uicc_tk_applet_set_event(struct uicc_tk_applet *a, enum uicc_tk_event ev);
/* ENVELOPE D6: event code per TS 102 223 §8.25 (simota_cat_event). */
enum uicc_tk_result uicc_tk_applet_set_download_event(struct uicc_tk_applet *a, uint8_t event);
/* ENVELOPE D3 with this item identifier (§8.10) goes to this applet. */
enum uicc_tk_result uicc_tk_applet_add_menu_item(struct uicc_tk_applet *a, uint8_t item_id);
/* Any other BER-TLV envelope tag (e.g. D4 call control) goes to this applet. */
enum uicc_tk_result uicc_tk_applet_set_envelope_tag(struct uicc_tk_applet *a, uint8_t tag);

/* ---- the invocation handle ------------------------------------------- */

enum uicc_tk_event uicc_tk_invocation_event(const struct uicc_tk_invocation *inv);
struct uicc_tk_applet *uicc_tk_invocation_applet(const struct uicc_tk_invocation *inv);
struct uicc_toolkit *uicc_tk_invocation_toolkit(const struct uicc_tk_invocation *inv);

/*
 * The data of the event: the whole ENVELOPE (tag, length, value) for
 * envelope events; the secured data passed by the OTA layer for
 * FORMATTED_SMS_PP; the TERMINAL PROFILE; the TERMINAL RESPONSE.
 */
const uint8_t *uicc_tk_invocation_data(const struct uicc_tk_invocation *inv, size_t *len);
/* MENU_SELECTION: item id; TIMER_EXPIRATION: timer id; EVENT_DOWNLOAD: event code. */
uint8_t uicc_tk_invocation_id(const struct uicc_tk_invocation *inv);
/* MENU_SELECTION: help requested (tag 15). */
bool uicc_tk_invocation_help(const struct uicc_tk_invocation *inv);

/* ---- (a) envelope response handler ----------------------------------- */

/*
 * True while the invocation's envelope response can still be written:
 * the event carries one (SMS_PP_DOWNLOAD, FORMATTED_SMS_PP, ENVELOPE; not
 * MENU_SELECTION, EVENT_DOWNLOAD, TIMER_EXPIRATION, whose envelopes have no
 * response data: TS 102 223 §7.2-7.5) and no proactive command has
 * been issued in this invocation or an enclosing one, and post() was not
 * called.
 */
bool uicc_tk_response_available(const struct uicc_tk_invocation *inv);

/*
 * Appends to the envelope response.  UICC_TK_ERR_CLOSED after the first
 * proactive command of the invocation (TS 143 019 §6.6) or post();
 * UICC_TK_ERR_UNAVAILABLE for events without a response; UICC_TK_ERR_NO_SPACE
 * past UICC_TK_MAX_RESPONSE bytes.  Nothing is written on error.
 */
enum uicc_tk_result uicc_tk_response_write(struct uicc_tk_invocation *inv, const uint8_t *p, size_t len);
/* Bytes written so far (the applet may read back what it wrote). */
const uint8_t *uicc_tk_response_data(const struct uicc_tk_invocation *inv, size_t *len);
/*
 * The response is a warning (TS 31.111 §7.1.1.2: the card answers 62XX/63XX
 * and the ME returns the data in an RP-ERROR): sw is 0x6200..0x63FF.
 */
enum uicc_tk_result uicc_tk_response_set_warning(struct uicc_tk_invocation *inv, uint16_t sw);
/* Closes the handler now, as the applet's final answer (TS 102 241 post()). */
enum uicc_tk_result uicc_tk_response_post(struct uicc_tk_invocation *inv);

/* ---- (b), (c) proactive commands ------------------------------------- */

/* The TERMINAL RESPONSE to a command, as the callback gets it. */
struct uicc_tk_terminal_response {
	const uint8_t *raw;          /* the TERMINAL RESPONSE data as sent by the ME; NULL if aborted */
	size_t len;
	uint8_t number, type, qualifier;  /* command details of the command it answers */
	uint8_t general_result;      /* TS 102 223 §8.12, first byte of the result object */
	const uint8_t *additional;   /* additional information on the result */
	size_t additional_len;
	bool aborted;                /* card reset / power off before the TR came: no raw data */
};

/*
 * Called once per command: in a new invocation (event TERMINAL_RESPONSE,
 * same applet), in which further proactive commands may be issued; or with
 * tr->aborted when the card is reset before the ME answered (inv may then
 * be used only to read the applet).
 */
typedef void (*uicc_tk_tr_fn)(struct uicc_tk_invocation *inv,
			      const struct uicc_tk_terminal_response *tr, void *user_data);

/*
 * Queues one proactive command (D0 BER-TLV, command details 81 03 and
 * device identities 82 02 present; at most UICC_TK_MAX_COMMAND bytes).
 * First closes the envelope response handler of this invocation and of the
 * enclosing ones (innermost first, their close callbacks run now).
 * on_tr may be NULL (the TR is then consumed by the runtime).
 */
enum uicc_tk_result uicc_tk_proactive_send(struct uicc_tk_invocation *inv, const uint8_t *cmd, size_t len,
					   uicc_tk_tr_fn on_tr, void *user_data);

/*
 * Queues SEND SHORT MESSAGE (TS 102 223 §6.4.10) carrying this SMS-SUBMIT,
 * with a null alpha identifier (the terminal tells the user nothing); the
 * same closing rule.  For PoRs by SMS-SUBMIT and applets' messages.
 */
enum uicc_tk_result uicc_tk_send_short_message(struct uicc_tk_invocation *inv, const struct simota_sms_submit *sms,
					       uicc_tk_tr_fn on_tr, void *user_data);

/*
 * The commands that talk to the user (ui-commands.c): DISPLAY TEXT, GET
 * INKEY and GET INPUT (text), SELECT ITEM and SET UP MENU (text is the alpha
 * identifier; the items), each with its qualifier (TS 102 223 §8.6).
 */
struct uicc_tk_item {
	uint8_t id;
	const char *text;                /* UTF-8 */
};

struct uicc_tk_ui {
	uint8_t type;                    /* SIMOTA_CAT_DISPLAY_TEXT, _GET_INKEY, _GET_INPUT, _SELECT_ITEM, _SET_UP_MENU */
	uint8_t qualifier;
	const char *text;                /* UTF-8 */
	uint8_t min_len, max_len;        /* GET INPUT response length (§8.11) */
	const struct uicc_tk_item *items;
	size_t n_items;
	uint8_t default_item;            /* SELECT ITEM: Item identifier (§8.10), one of items[].id; 0 = none */
};

/* The D0 command with the next command number; SIMOTA_ERR_NO_SPACE past UICC_TK_MAX_COMMAND. */
simota_err uicc_tk_ui_encode(struct uicc_toolkit *tk, const struct uicc_tk_ui *ui, uint8_t *out, size_t cap,
			     size_t *len);
/* Encodes and queues it (uicc_tk_proactive_send); UICC_TK_ERR_BAD_COMMAND if it cannot be built. */
enum uicc_tk_result uicc_tk_ui_send(struct uicc_tk_invocation *inv, const struct uicc_tk_ui *ui, uicc_tk_tr_fn on_tr,
				    void *user_data);
/*
 * The user's answer in a TERMINAL RESPONSE (TS 102 223 §6.8): text (GET
 * INPUT / GET INKEY, UTF-8, free()) and / or the item identifier (SELECT
 * ITEM); false when the response holds no such answer.
 */
bool uicc_tk_ui_answer(const struct uicc_tk_terminal_response *tr, char **text, uint8_t *item_id);

/* A command number not used by any queued or fetched command (1-254). */
uint8_t uicc_tk_next_command_number(struct uicc_toolkit *tk);

/* True while a command is queued or fetched and not yet answered. */
bool uicc_tk_proactive_session_active(const struct uicc_toolkit *tk);

/* ---- (d) MORE TIME, timers ------------------------------------------- */

/* Queues MORE TIME (TS 102 223 §6.4.4), runtime-built; same closing rule. */
enum uicc_tk_result uicc_tk_more_time(struct uicc_tk_invocation *inv);

/* A free timer (1-8) now owned by the applet; 0 if none is free. */
uint8_t uicc_tk_timer_allocate(struct uicc_tk_applet *a);
void uicc_tk_timer_free(struct uicc_tk_applet *a, uint8_t timer_id);
/* Queues TIMER MANAGEMENT start (qualifier 00) / deactivate (01), §6.4.21. */
enum uicc_tk_result uicc_tk_timer_start(struct uicc_tk_invocation *inv, uint8_t timer_id, uint32_t seconds,
					uicc_tk_tr_fn on_tr, void *user_data);
enum uicc_tk_result uicc_tk_timer_stop(struct uicc_tk_invocation *inv, uint8_t timer_id,
				       uicc_tk_tr_fn on_tr, void *user_data);

/* ---- nesting (the OTA receiving entity) ------------------------------ */

/*
 * Called once when the nested invocation's response handler closes; data is
 * what the applet wrote.  The outer invocation's handler is still open
 * during the call (write the PoR there).
 */
typedef void (*uicc_tk_close_fn)(struct uicc_tk_invocation *outer, const uint8_t *data, size_t len,
				 void *user_data);

/*
 * Runs applet's process() for event (normally FORMATTED_SMS_PP; the menu
 * hands a MENU_SELECTION on) with data, in an invocation nested in outer,
 * which has outer's item identifier and help request.  Returns what process() returned;
 * on_close has run by then (possibly during process(), at its first
 * proactive command).  *closed_by_proactive, if not NULL, tells which.
 * If outer's handler is already closed (or outer has none), the nested one
 * is born closed (or absent) and on_close never runs.
 */
enum uicc_tk_result uicc_tk_invoke_nested(struct uicc_tk_invocation *outer, struct uicc_tk_applet *applet,
					  enum uicc_tk_event event, const uint8_t *data, size_t len,
					  uicc_tk_close_fn on_close, void *user_data,
					  bool *closed_by_proactive);

/* ---- terminal profile -------------------------------------------------- */

const uint8_t *uicc_tk_terminal_profile(const struct uicc_toolkit *tk, size_t *len);
/* Bit b (1-8) of byte n (1-based) of the TERMINAL PROFILE (TS 102 223 §5.2). */
bool uicc_tk_terminal_supports(const struct uicc_toolkit *tk, unsigned byte, unsigned bit);
/* A TERMINAL PROFILE came since the last reset (TS 102 223 §5.1). */
bool uicc_tk_terminal_profile_known(const struct uicc_toolkit *tk);
/*
 * The profile has the bit of this proactive command type (TS 102 223 §5.2);
 * for a type without a bit in our table, whether a profile came at all.
 */
bool uicc_tk_terminal_supports_command(const struct uicc_toolkit *tk, uint8_t type);

/* ---- the card side (card/ calls these; applets do not) ---------------- */

struct uicc_toolkit *uicc_tk_new(void);
void uicc_tk_free(struct uicc_toolkit *tk);
/* Card reset / power off: queue dropped (callbacks get tr->aborted), profile forgotten. */
void uicc_tk_reset(struct uicc_toolkit *tk);

/* Length of the command the ME may FETCH now (for 91XX), 0 if none. */
size_t uicc_tk_pending_length(const struct uicc_toolkit *tk);

/*
 * TERMINAL PROFILE (TS 102 221 §10.1.1.x, TS 102 223 §5.2): kept; queued,
 * unfetched commands it has no bit for are withdrawn (their callbacks get
 * tr->aborted); then the applets that claimed PROFILE_DOWNLOAD run.
 */
enum uicc_tk_result uicc_tk_on_terminal_profile(struct uicc_toolkit *tk, const uint8_t *p, size_t len);

/*
 * ENVELOPE (TS 102 223 §7): dispatch by tag.  On UICC_TK_OK, resp/resp_len
 * is the response data (may be empty) and *warning_sw is 0 or the 62XX/63XX
 * the applet asked for.  UICC_TK_ERR_BUSY: 9300.  UICC_TK_ERR_BAD_DATA:
 * malformed BER-TLV.  UICC_TK_ERR_NOT_FOUND: no applet for it (the card
 * answers 9000: the envelope is accepted and ignored).
 */
enum uicc_tk_result uicc_tk_on_envelope(struct uicc_toolkit *tk, const uint8_t *p, size_t len,
					uint8_t *resp, size_t cap, size_t *resp_len, uint16_t *warning_sw);

/* Length of the command a FETCH would return now (also while it awaits its TR), 0 if none. */
size_t uicc_tk_fetchable_length(const struct uicc_toolkit *tk);

/* FETCH: copies the pending command (it becomes the fetched one). */
enum uicc_tk_result uicc_tk_on_fetch(struct uicc_toolkit *tk, uint8_t *out, size_t cap, size_t *out_len);

/* TERMINAL RESPONSE: routed to the command's issuer (TS 102 223 §6.8). */
enum uicc_tk_result uicc_tk_on_terminal_response(struct uicc_toolkit *tk, const uint8_t *p, size_t len);

#endif
