/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CAT runtime: applet registry, envelope dispatch, the envelope response
 * handler and its closing rule (TS 143 019 §6.6), the proactive command
 * queue behind 91XX / FETCH / TERMINAL RESPONSE (TS 102 221 §7.4.2,
 * TS 102 223 §6), MORE TIME and timers.
 */
#include <stdlib.h>
#include <string.h>

#include "simota/cat.h"
#include "simota/tlv.h"
#include "toolkit/toolkit.h"

/* Registered applets and queued commands are allocated as they come: an idle card holds few bytes. */
struct uicc_tk_applet {
	struct uicc_toolkit *tk;
	char name[32];
	uicc_tk_process_fn process;
	void *user_data;
	bool profile_download;
	uint32_t download_mask;            /* EVENT DOWNLOAD events 0-31 it claimed */
};

struct pending_command {
	uint8_t *bytes;                    /* malloc'd, len bytes */
	size_t len;
	uint8_t number, type, qualifier;
	struct uicc_tk_applet *applet;     /* NULL: issued by the runtime */
	uicc_tk_tr_fn on_tr;
	void *user_data;
};

struct uicc_tk_invocation {
	struct uicc_toolkit *tk;
	struct uicc_tk_applet *applet;
	enum uicc_tk_event event;
	const uint8_t *data;
	size_t len;
	uint8_t id;
	bool help;
	bool no_proactive;                 /* abort notifications during reset */
	/* envelope response handler */
	bool has_response;
	bool closed;
	bool closed_by_proactive;
	uint8_t resp[UICC_TK_MAX_RESPONSE];
	size_t resp_len;
	uint16_t warning_sw;
	/* nesting */
	struct uicc_tk_invocation *outer;
	uicc_tk_close_fn on_close;
	void *close_data;
};

#define MAX_TAGS 8                         /* other envelope tags claimed (D4 call control, ...) */

struct uicc_toolkit {
	struct uicc_tk_applet *applets[UICC_TK_MAX_APPLETS];
	unsigned n_applets;
	struct uicc_tk_applet *sms_pp_owner;
	struct uicc_tk_applet *timer_owner[UICC_TK_MAX_TIMERS + 1];
	struct {
		uint8_t item;
		struct uicc_tk_applet *applet;
	} menu[UICC_TK_MAX_MENU_ITEMS];
	unsigned n_menu;
	struct {
		uint8_t tag;
		struct uicc_tk_applet *applet;
	} tags[MAX_TAGS];
	unsigned n_tags;

	uint8_t profile[UICC_TK_MAX_PROFILE];
	size_t profile_len;

	struct pending_command queue[UICC_TK_MAX_QUEUE];
	unsigned n_queued;
	bool fetched;                      /* queue[0] fetched, TR awaited */
	uint8_t last_number;
};

static const char *const result_names[] = {
	[UICC_TK_OK] = "ok",
	[UICC_TK_ERR_CLOSED] = "envelope response handler closed by a proactive command",
	[UICC_TK_ERR_UNAVAILABLE] = "no envelope response for this event",
	[UICC_TK_ERR_NO_SPACE] = "no space",
	[UICC_TK_ERR_BAD_COMMAND] = "malformed proactive command",
	[UICC_TK_ERR_BUSY] = "toolkit busy",
	[UICC_TK_ERR_NOT_FOUND] = "not found",
	[UICC_TK_ERR_BAD_DATA] = "malformed data",
	[UICC_TK_ERR_NO_SESSION] = "no proactive command awaits a terminal response",
	[UICC_TK_ERR_MISMATCH] = "terminal response does not match the fetched command",
	[UICC_TK_ERR_STATE] = "not allowed in this invocation",
};

const char *uicc_tk_strerror(enum uicc_tk_result r)
{
	if ((unsigned)r < sizeof(result_names) / sizeof(result_names[0]) && result_names[r])
		return result_names[r];
	return "unknown toolkit error";
}

/* ---- registration ---------------------------------------------------- */

struct uicc_tk_applet *uicc_tk_applet_register(struct uicc_toolkit *tk, const char *name,
					       uicc_tk_process_fn process, void *user_data)
{
	struct uicc_tk_applet *a;

	if (!name || !process || tk->n_applets >= UICC_TK_MAX_APPLETS || uicc_tk_applet_find(tk, name))
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	tk->applets[tk->n_applets++] = a;
	a->tk = tk;
	strncpy(a->name, name, sizeof(a->name) - 1);
	a->process = process;
	a->user_data = user_data;
	return a;
}

struct uicc_tk_applet *uicc_tk_applet_find(struct uicc_toolkit *tk, const char *name)
{
	for (unsigned i = 0; i < tk->n_applets; i++)
		if (strcmp(tk->applets[i]->name, name) == 0)
			return tk->applets[i];
	return NULL;
}

const char *uicc_tk_applet_name(const struct uicc_tk_applet *a)
{
	return a->name;
}

void *uicc_tk_applet_user_data(const struct uicc_tk_applet *a)
{
	return a->user_data;
}

enum uicc_tk_result uicc_tk_applet_set_event(struct uicc_tk_applet *a, enum uicc_tk_event ev)
{
	switch (ev) {
	case UICC_TK_EVENT_SMS_PP_DOWNLOAD:
		if (a->tk->sms_pp_owner && a->tk->sms_pp_owner != a)
			return UICC_TK_ERR_BUSY;
		a->tk->sms_pp_owner = a;
		return UICC_TK_OK;
	case UICC_TK_EVENT_PROFILE_DOWNLOAD:
		a->profile_download = true;
		return UICC_TK_OK;
	case UICC_TK_EVENT_FORMATTED_SMS_PP:
		return UICC_TK_OK;
	default:
		return UICC_TK_ERR_STATE;
	}
}

enum uicc_tk_result uicc_tk_applet_set_download_event(struct uicc_tk_applet *a, uint8_t event)
{
	if (event > 31)
		return UICC_TK_ERR_NOT_FOUND;
	a->download_mask |= 1u << event;
	return UICC_TK_OK;
}

enum uicc_tk_result uicc_tk_applet_add_menu_item(struct uicc_tk_applet *a, uint8_t item_id)
{
	struct uicc_toolkit *tk = a->tk;

	for (unsigned i = 0; i < tk->n_menu; i++)
		if (tk->menu[i].item == item_id)
			return tk->menu[i].applet == a ? UICC_TK_OK : UICC_TK_ERR_BUSY;
	if (tk->n_menu >= UICC_TK_MAX_MENU_ITEMS)
		return UICC_TK_ERR_NO_SPACE;
	tk->menu[tk->n_menu].item = item_id;
	tk->menu[tk->n_menu].applet = a;
	tk->n_menu++;
	return UICC_TK_OK;
}

enum uicc_tk_result uicc_tk_applet_set_envelope_tag(struct uicc_tk_applet *a, uint8_t tag)
{
	/* the tags the runtime dispatches itself are claimed by events */
	if (tag == 0xD1 || tag == 0xD3 || tag == 0xD6 || tag == 0xD7)
		return UICC_TK_ERR_STATE;
	struct uicc_toolkit *tk = a->tk;

	for (unsigned i = 0; i < tk->n_tags; i++)
		if (tk->tags[i].tag == tag)
			return tk->tags[i].applet == a ? UICC_TK_OK : UICC_TK_ERR_BUSY;
	if (tk->n_tags >= MAX_TAGS)
		return UICC_TK_ERR_NO_SPACE;
	tk->tags[tk->n_tags].tag = tag;
	tk->tags[tk->n_tags].applet = a;
	tk->n_tags++;
	return UICC_TK_OK;
}

/* ---- invocation handle ----------------------------------------------- */

enum uicc_tk_event uicc_tk_invocation_event(const struct uicc_tk_invocation *inv)
{
	return inv->event;
}

struct uicc_tk_applet *uicc_tk_invocation_applet(const struct uicc_tk_invocation *inv)
{
	return inv->applet;
}

struct uicc_toolkit *uicc_tk_invocation_toolkit(const struct uicc_tk_invocation *inv)
{
	return inv->tk;
}

const uint8_t *uicc_tk_invocation_data(const struct uicc_tk_invocation *inv, size_t *len)
{
	*len = inv->len;
	return inv->data;
}

uint8_t uicc_tk_invocation_id(const struct uicc_tk_invocation *inv)
{
	return inv->id;
}

bool uicc_tk_invocation_help(const struct uicc_tk_invocation *inv)
{
	return inv->help;
}

static void invocation_init(struct uicc_tk_invocation *inv, struct uicc_toolkit *tk,
			    struct uicc_tk_applet *a, enum uicc_tk_event ev,
			    const uint8_t *data, size_t len, bool has_response)
{
	memset(inv, 0, sizeof(*inv));
	inv->tk = tk;
	inv->applet = a;
	inv->event = ev;
	inv->data = data;
	inv->len = len;
	inv->has_response = has_response;
}

/* ---- (a) envelope response handler ----------------------------------- */

bool uicc_tk_response_available(const struct uicc_tk_invocation *inv)
{
	return inv->has_response && !inv->closed;
}

static enum uicc_tk_result response_check(const struct uicc_tk_invocation *inv)
{
	if (!inv->has_response)
		return UICC_TK_ERR_UNAVAILABLE;
	if (inv->closed)
		return UICC_TK_ERR_CLOSED;
	return UICC_TK_OK;
}

/* TS 143 019 §6.6: writable only until the first proactive command. */
enum uicc_tk_result uicc_tk_response_write(struct uicc_tk_invocation *inv, const uint8_t *p, size_t len)
{
	enum uicc_tk_result r = response_check(inv);

	if (r != UICC_TK_OK)
		return r;
	if (len > sizeof(inv->resp) - inv->resp_len)
		return UICC_TK_ERR_NO_SPACE;
	if (len)
		memcpy(inv->resp + inv->resp_len, p, len);
	inv->resp_len += len;
	return UICC_TK_OK;
}

const uint8_t *uicc_tk_response_data(const struct uicc_tk_invocation *inv, size_t *len)
{
	*len = inv->resp_len;
	return inv->resp;
}

enum uicc_tk_result uicc_tk_response_set_warning(struct uicc_tk_invocation *inv, uint16_t sw)
{
	enum uicc_tk_result r = response_check(inv);

	if (r != UICC_TK_OK)
		return r;
	if (sw < 0x6200 || sw > 0x63FF)
		return UICC_TK_ERR_BAD_DATA;
	inv->warning_sw = sw;
	return UICC_TK_OK;
}

/* Closes one handler; a nested one hands its bytes to its owner first. */
static void response_close_one(struct uicc_tk_invocation *inv, bool by_proactive)
{
	if (!inv->has_response || inv->closed)
		return;
	inv->closed = true;
	inv->closed_by_proactive = by_proactive;
	if (inv->on_close && inv->outer)
		inv->on_close(inv->outer, inv->resp, inv->resp_len, inv->close_data);
}

/* Innermost first, so that each close callback still finds its outer handler open. */
static void response_close_chain(struct uicc_tk_invocation *inv, bool by_proactive)
{
	for (; inv; inv = inv->outer)
		response_close_one(inv, by_proactive);
}

enum uicc_tk_result uicc_tk_response_post(struct uicc_tk_invocation *inv)
{
	enum uicc_tk_result r = response_check(inv);

	if (r != UICC_TK_OK)
		return r;
	response_close_one(inv, false);
	return UICC_TK_OK;
}

/* ---- (b) proactive commands ------------------------------------------ */

/*
 * TS 102 223 §6.6: a proactive command is a D0 BER-TLV holding COMPREHENSION-
 * TLVs, command details (§8.6) first, then device identities (§8.7).
 */
static enum uicc_tk_result parse_command(const uint8_t *cmd, size_t len, struct pending_command *out)
{
	struct simota_tlv top, obj;
	struct simota_reader r;
	bool details = false, devices = false;

	if (len > UICC_TK_MAX_COMMAND)
		return UICC_TK_ERR_NO_SPACE;
	if (simota_ber_tlv_parse_one(cmd, len, &top) != SIMOTA_OK || top.tag != 0xD0)
		return UICC_TK_ERR_BAD_COMMAND;
	r = simota_reader_init(top.value, top.len);
	while (simota_reader_left(&r)) {
		if (simota_ctlv_next(&r, &obj) != SIMOTA_OK)
			return UICC_TK_ERR_BAD_COMMAND;
		if (obj.tag == 0x01 && !details) {
			if (obj.len != 3)
				return UICC_TK_ERR_BAD_COMMAND;
			out->number = obj.value[0];
			out->type = obj.value[1];
			out->qualifier = obj.value[2];
			details = true;
		} else if (obj.tag == 0x02 && !devices) {
			if (obj.len != 2)
				return UICC_TK_ERR_BAD_COMMAND;
			devices = true;
		}
	}
	if (!details || !devices)
		return UICC_TK_ERR_BAD_COMMAND;
	out->len = len;
	return UICC_TK_OK;
}

static enum uicc_tk_result queue_command(struct uicc_tk_invocation *inv, const uint8_t *cmd, size_t len,
					 struct uicc_tk_applet *issuer, uicc_tk_tr_fn on_tr, void *user_data)
{
	struct uicc_toolkit *tk = inv->tk;
	struct pending_command pc;
	enum uicc_tk_result r;

	if (inv->no_proactive)
		return UICC_TK_ERR_STATE;
	memset(&pc, 0, sizeof(pc));
	r = parse_command(cmd, len, &pc);
	if (r != UICC_TK_OK)
		return r;
	if (tk->n_queued >= UICC_TK_MAX_QUEUE)
		return UICC_TK_ERR_NO_SPACE;
	/* TS 143 019 §6.6: the envelope's answer goes out before the session starts. */
	response_close_chain(inv, true);
	/* closing may have queued commands of its own (a PoR by SEND SHORT MESSAGE) */
	if (tk->n_queued >= UICC_TK_MAX_QUEUE)
		return UICC_TK_ERR_NO_SPACE;
	pc.bytes = malloc(len);
	if (!pc.bytes)
		return UICC_TK_ERR_NO_SPACE;
	memcpy(pc.bytes, cmd, len);
	pc.applet = issuer;
	pc.on_tr = on_tr;
	pc.user_data = user_data;
	tk->queue[tk->n_queued++] = pc;
	return UICC_TK_OK;
}

enum uicc_tk_result uicc_tk_proactive_send(struct uicc_tk_invocation *inv, const uint8_t *cmd, size_t len,
					   uicc_tk_tr_fn on_tr, void *user_data)
{
	return queue_command(inv, cmd, len, inv->applet, on_tr, user_data);
}

static bool number_in_use(const struct uicc_toolkit *tk, uint8_t n)
{
	for (unsigned i = 0; i < tk->n_queued; i++)
		if (tk->queue[i].number == n)
			return true;
	return false;
}

uint8_t uicc_tk_next_command_number(struct uicc_toolkit *tk)
{
	for (unsigned tries = 0; tries < 254; tries++) {
		tk->last_number = (uint8_t)(tk->last_number % 254 + 1);
		if (!number_in_use(tk, tk->last_number))
			break;
	}
	return tk->last_number;
}

bool uicc_tk_proactive_session_active(const struct uicc_toolkit *tk)
{
	return tk->n_queued > 0;
}

/* ---- (d) MORE TIME, timers ------------------------------------------- */

/* TS 102 223 §6.4.4: MORE TIME, UICC → terminal. */
enum uicc_tk_result uicc_tk_more_time(struct uicc_tk_invocation *inv)
{
	uint8_t cmd[] = { 0xD0, 0x09, 0x81, 0x03, 0x00, 0x02, 0x00, 0x82, 0x02, 0x81, 0x82 };

	cmd[4] = uicc_tk_next_command_number(inv->tk);
	return queue_command(inv, cmd, sizeof(cmd), inv->applet, NULL, NULL);
}

uint8_t uicc_tk_timer_allocate(struct uicc_tk_applet *a)
{
	for (uint8_t id = 1; id <= UICC_TK_MAX_TIMERS; id++) {
		if (!a->tk->timer_owner[id]) {
			a->tk->timer_owner[id] = a;
			return id;
		}
	}
	return 0;
}

void uicc_tk_timer_free(struct uicc_tk_applet *a, uint8_t timer_id)
{
	if (timer_id >= 1 && timer_id <= UICC_TK_MAX_TIMERS && a->tk->timer_owner[timer_id] == a)
		a->tk->timer_owner[timer_id] = NULL;
}

/* TS 102 223 §6.4.21 TIMER MANAGEMENT; timer value §8.38 (swapped BCD h m s). */
static enum uicc_tk_result timer_command(struct uicc_tk_invocation *inv, uint8_t timer_id, uint8_t qualifier,
					 uint32_t seconds, uicc_tk_tr_fn on_tr, void *user_data)
{
	uint8_t cmd[20];
	size_t n = 0;

	if (timer_id < 1 || timer_id > UICC_TK_MAX_TIMERS || inv->tk->timer_owner[timer_id] != inv->applet)
		return UICC_TK_ERR_NOT_FOUND;
	if (qualifier == 0 && (seconds == 0 || seconds >= 24 * 3600))
		return UICC_TK_ERR_BAD_DATA;
	cmd[n++] = 0xD0;
	cmd[n++] = 0;
	cmd[n++] = 0x81; cmd[n++] = 0x03;
	cmd[n++] = uicc_tk_next_command_number(inv->tk);
	cmd[n++] = 0x27;
	cmd[n++] = qualifier;
	cmd[n++] = 0x82; cmd[n++] = 0x02; cmd[n++] = 0x81; cmd[n++] = 0x82;
	cmd[n++] = 0xA4; cmd[n++] = 0x01; cmd[n++] = timer_id;
	if (qualifier == 0) {
		struct simota_cat_bytes value;

		simota_cat_timer_value_set(&value, seconds);
		cmd[n++] = 0xA5; cmd[n++] = (uint8_t)value.len;
		memcpy(cmd + n, value.data, value.len);
		n += value.len;
	}
	cmd[1] = (uint8_t)(n - 2);
	return queue_command(inv, cmd, n, inv->applet, on_tr, user_data);
}

enum uicc_tk_result uicc_tk_timer_start(struct uicc_tk_invocation *inv, uint8_t timer_id, uint32_t seconds,
					uicc_tk_tr_fn on_tr, void *user_data)
{
	return timer_command(inv, timer_id, 0x00, seconds, on_tr, user_data);
}

enum uicc_tk_result uicc_tk_timer_stop(struct uicc_tk_invocation *inv, uint8_t timer_id,
				       uicc_tk_tr_fn on_tr, void *user_data)
{
	return timer_command(inv, timer_id, 0x01, 0, on_tr, user_data);
}

/* ---- nesting ----------------------------------------------------------- */

enum uicc_tk_result uicc_tk_invoke_nested(struct uicc_tk_invocation *outer, struct uicc_tk_applet *applet,
					  enum uicc_tk_event event, const uint8_t *data, size_t len,
					  uicc_tk_close_fn on_close, void *user_data,
					  bool *closed_by_proactive)
{
	struct uicc_tk_invocation *inv;
	enum uicc_tk_result r;

	if (!applet || applet->tk != outer->tk)
		return UICC_TK_ERR_NOT_FOUND;
	inv = malloc(sizeof(*inv));
	if (!inv)
		return UICC_TK_ERR_NO_SPACE;
	/* born closed when the outer handler already is (on_close then never runs) */
	invocation_init(inv, outer->tk, applet, event, data, len, outer->has_response);
	inv->closed = outer->closed;
	/* a menu item handed on: the item and its help request go with it */
	inv->id = outer->id;
	inv->help = outer->help;
	inv->outer = outer;
	inv->on_close = on_close;
	inv->close_data = user_data;
	inv->no_proactive = outer->no_proactive;
	r = applet->process(inv, applet->user_data);
	response_close_one(inv, false);
	if (closed_by_proactive)
		*closed_by_proactive = inv->closed_by_proactive;
	free(inv);
	return r;
}

/* ---- terminal profile -------------------------------------------------- */

const uint8_t *uicc_tk_terminal_profile(const struct uicc_toolkit *tk, size_t *len)
{
	*len = tk->profile_len;
	return tk->profile;
}

bool uicc_tk_terminal_supports(const struct uicc_toolkit *tk, unsigned byte, unsigned bit)
{
	if (byte < 1 || byte > tk->profile_len || bit < 1 || bit > 8)
		return false;
	return tk->profile[byte - 1] & (1u << (bit - 1));
}

bool uicc_tk_terminal_profile_known(const struct uicc_toolkit *tk)
{
	return tk->profile_len > 0;
}

/* TS 102 223 §5.2: the TERMINAL PROFILE bit of each proactive command the card may issue. */
static const struct {
	uint8_t type, byte, bit;
} command_bits[] = {
	{ SIMOTA_CAT_DISPLAY_TEXT, 3, 1 },
	{ SIMOTA_CAT_GET_INKEY, 3, 2 },
	{ SIMOTA_CAT_GET_INPUT, 3, 3 },
	{ SIMOTA_CAT_MORE_TIME, 3, 4 },
	{ SIMOTA_CAT_PLAY_TONE, 3, 5 },
	{ SIMOTA_CAT_POLL_INTERVAL, 3, 6 },
	{ SIMOTA_CAT_POLLING_OFF, 3, 7 },
	{ SIMOTA_CAT_REFRESH, 3, 8 },
	{ SIMOTA_CAT_SELECT_ITEM, 4, 1 },
	{ SIMOTA_CAT_SEND_SHORT_MESSAGE, 4, 2 },
	{ SIMOTA_CAT_SET_UP_MENU, 4, 6 },
	{ SIMOTA_CAT_SET_UP_EVENT_LIST, 5, 1 },
	{ SIMOTA_CAT_TIMER_MANAGEMENT, 8, 1 },     /* start, stop */
};

bool uicc_tk_terminal_supports_command(const struct uicc_toolkit *tk, uint8_t type)
{
	for (size_t i = 0; i < sizeof(command_bits) / sizeof(command_bits[0]); i++)
		if (command_bits[i].type == type)
			return uicc_tk_terminal_supports(tk, command_bits[i].byte, command_bits[i].bit);
	return uicc_tk_terminal_profile_known(tk);
}

/* ---- card side ----------------------------------------------------------- */

struct uicc_toolkit *uicc_tk_new(void)
{
	return calloc(1, sizeof(struct uicc_toolkit));
}

void uicc_tk_free(struct uicc_toolkit *tk)
{
	if (!tk)
		return;
	for (unsigned i = 0; i < tk->n_queued; i++)
		free(tk->queue[i].bytes);
	for (unsigned i = 0; i < tk->n_applets; i++)
		free(tk->applets[i]);
	free(tk);
}

/* Their issuers learn that these commands will never be answered (tr->aborted); the commands go. */
static void notify_aborted(struct uicc_toolkit *tk, const struct pending_command *q, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct uicc_tk_terminal_response tr = {
			.number = q[i].number, .type = q[i].type, .qualifier = q[i].qualifier,
			.aborted = true,
		};
		struct uicc_tk_invocation inv;

		free(q[i].bytes);
		if (!q[i].on_tr)
			continue;
		invocation_init(&inv, tk, q[i].applet, UICC_TK_EVENT_TERMINAL_RESPONSE, NULL, 0, false);
		inv.no_proactive = true;
		q[i].on_tr(&inv, &tr, q[i].user_data);
	}
}

void uicc_tk_reset(struct uicc_toolkit *tk)
{
	struct pending_command q[UICC_TK_MAX_QUEUE];
	unsigned n = tk->n_queued;

	memcpy(q, tk->queue, sizeof(q));
	tk->n_queued = 0;
	tk->fetched = false;
	tk->profile_len = 0;
	notify_aborted(tk, q, n);
}

size_t uicc_tk_pending_length(const struct uicc_toolkit *tk)
{
	if (tk->n_queued == 0 || tk->fetched)
		return 0;
	return tk->queue[0].len;
}

/*
 * TS 102 223 §5.2: a command queued before the profile (an ME that sent an
 * ENVELOPE first) that the terminal now says it cannot do is never announced;
 * its issuer sees it aborted (and may keep what it owes for a terminal that
 * can).  A command already fetched stays.
 */
static void withdraw_unsupported(struct uicc_toolkit *tk)
{
	struct pending_command gone[UICC_TK_MAX_QUEUE];
	unsigned n_gone = 0, n_kept = 0;

	for (unsigned i = 0; i < tk->n_queued; i++) {
		if ((i == 0 && tk->fetched) || uicc_tk_terminal_supports_command(tk, tk->queue[i].type))
			tk->queue[n_kept++] = tk->queue[i];
		else
			gone[n_gone++] = tk->queue[i];
	}
	tk->n_queued = n_kept;
	notify_aborted(tk, gone, n_gone);
}

/* TS 102 223 §5.2: kept as sent (the tail beyond our buffer is dropped). */
enum uicc_tk_result uicc_tk_on_terminal_profile(struct uicc_toolkit *tk, const uint8_t *p, size_t len)
{
	if (len == 0)
		return UICC_TK_ERR_BAD_DATA;
	tk->profile_len = len < sizeof(tk->profile) ? len : sizeof(tk->profile);
	memcpy(tk->profile, p, tk->profile_len);
	withdraw_unsupported(tk);
	for (unsigned i = 0; i < tk->n_applets; i++) {
		struct uicc_tk_applet *a = tk->applets[i];
		struct uicc_tk_invocation inv;

		if (!a->profile_download)
			continue;
		invocation_init(&inv, tk, a, UICC_TK_EVENT_PROFILE_DOWNLOAD, p, len, false);
		a->process(&inv, a->user_data);
	}
	return UICC_TK_OK;
}

/* One ENVELOPE being dispatched, and where its response goes. */
struct envelope {
	struct uicc_toolkit *tk;
	const uint8_t *p;                  /* the whole ENVELOPE data (tag, length, value) */
	size_t len;
	struct simota_tlv top;
	uint8_t *resp;
	size_t cap;
	size_t *resp_len;
	uint16_t *warning_sw;
};

/* Runs one applet on the envelope; copies its response out. */
static enum uicc_tk_result run_envelope(const struct envelope *e, struct uicc_tk_applet *a, enum uicc_tk_event ev,
					uint8_t id, bool help, bool has_response)
{
	struct uicc_toolkit *tk = e->tk;
	struct uicc_tk_invocation *inv = malloc(sizeof(*inv));
	unsigned queued_before = tk->n_queued;
	enum uicc_tk_result r;

	if (!inv)
		return UICC_TK_ERR_NO_SPACE;
	invocation_init(inv, tk, a, ev, e->p, e->len, has_response);
	inv->id = id;
	inv->help = help;
	r = a->process(inv, a->user_data);
	if (r == UICC_TK_ERR_BUSY && inv->resp_len == 0 && tk->n_queued == queued_before) {
		free(inv);
		return UICC_TK_ERR_BUSY;
	}
	response_close_one(inv, false);
	if (inv->resp_len > e->cap) {
		free(inv);
		return UICC_TK_ERR_NO_SPACE;
	}
	memcpy(e->resp, inv->resp, inv->resp_len);
	*e->resp_len = inv->resp_len;
	*e->warning_sw = inv->warning_sw;
	free(inv);
	return UICC_TK_OK;
}

/* Finds a COMPREHENSION-TLV by tag (CR bit ignored) in an envelope's value. */
static bool find_ctlv(const uint8_t *p, size_t len, uint16_t tag, struct simota_tlv *out)
{
	struct simota_reader r = simota_reader_init(p, len);

	while (simota_reader_left(&r)) {
		if (simota_ctlv_next(&r, out) != SIMOTA_OK)
			return false;
		if (out->tag == tag)
			return true;
	}
	return false;
}

static bool ctlv_list_ok(const uint8_t *p, size_t len)
{
	struct simota_reader r = simota_reader_init(p, len);
	struct simota_tlv t;

	while (simota_reader_left(&r))
		if (simota_ctlv_next(&r, &t) != SIMOTA_OK)
			return false;
	return true;
}

/* TS 31.111 §7.1.1 SMS-PP DOWNLOAD: the applet that claimed it (the OTA receiving entity). */
static enum uicc_tk_result sms_pp_download(const struct envelope *e)
{
	struct uicc_tk_applet *a = e->tk->sms_pp_owner;

	if (!a)
		return UICC_TK_ERR_NOT_FOUND;
	return run_envelope(e, a, UICC_TK_EVENT_SMS_PP_DOWNLOAD, 0, false, true);
}

/* TS 102 223 §7.2 MENU SELECTION: the applet of the item identifier. */
static enum uicc_tk_result menu_selection(const struct envelope *e)
{
	struct uicc_toolkit *tk = e->tk;
	struct uicc_tk_applet *a = NULL;
	struct simota_tlv obj;
	uint8_t id;
	bool help;

	if (!find_ctlv(e->top.value, e->top.len, 0x10, &obj) || obj.len != 1)
		return UICC_TK_ERR_BAD_DATA;
	id = obj.value[0];
	help = find_ctlv(e->top.value, e->top.len, 0x15, &obj);
	for (unsigned i = 0; i < tk->n_menu; i++)
		if (tk->menu[i].item == id)
			a = tk->menu[i].applet;
	if (!a)
		return UICC_TK_ERR_NOT_FOUND;
	return run_envelope(e, a, UICC_TK_EVENT_MENU_SELECTION, id, help, false);
}

/* TS 102 223 §7.4 TIMER EXPIRATION: the applet owning the timer. */
static enum uicc_tk_result timer_expiration(const struct envelope *e)
{
	struct uicc_tk_applet *a = NULL;
	struct simota_tlv obj;
	uint8_t id;

	if (!find_ctlv(e->top.value, e->top.len, 0x24, &obj) || obj.len != 1)
		return UICC_TK_ERR_BAD_DATA;
	id = obj.value[0];
	if (id >= 1 && id <= UICC_TK_MAX_TIMERS)
		a = e->tk->timer_owner[id];
	if (!a)
		return UICC_TK_ERR_NOT_FOUND;
	return run_envelope(e, a, UICC_TK_EVENT_TIMER_EXPIRATION, id, false, false);
}

/* TS 102 223 §7.5 EVENT DOWNLOAD: every applet that claimed the event. */
static enum uicc_tk_result event_download(const struct envelope *e)
{
	struct uicc_toolkit *tk = e->tk;
	struct simota_tlv obj;
	bool any = false, busy = false;
	uint8_t id;

	if (!find_ctlv(e->top.value, e->top.len, 0x19, &obj) || obj.len < 1)
		return UICC_TK_ERR_BAD_DATA;
	id = obj.value[0];
	for (unsigned i = 0; id < 32 && i < tk->n_applets; i++) {
		if (!(tk->applets[i]->download_mask & (1u << id)))
			continue;
		any = true;
		busy |= run_envelope(e, tk->applets[i], UICC_TK_EVENT_EVENT_DOWNLOAD, id, false, false) ==
			UICC_TK_ERR_BUSY;
	}
	if (!any)
		return UICC_TK_ERR_NOT_FOUND;
	return busy ? UICC_TK_ERR_BUSY : UICC_TK_OK;
}

/* Any other tag (call control etc.): the applet that claimed it, raw. */
static enum uicc_tk_result other_envelope(const struct envelope *e)
{
	struct uicc_tk_applet *a = NULL;

	for (unsigned i = 0; i < e->tk->n_tags; i++)
		if (e->tk->tags[i].tag == e->top.tag)
			a = e->tk->tags[i].applet;

	if (!a)
		return UICC_TK_ERR_NOT_FOUND;
	return run_envelope(e, a, UICC_TK_EVENT_ENVELOPE, 0, false, true);
}

/* TS 102 223 §7: ENVELOPE dispatch by BER-TLV tag. */
enum uicc_tk_result uicc_tk_on_envelope(struct uicc_toolkit *tk, const uint8_t *p, size_t len,
					uint8_t *resp, size_t cap, size_t *resp_len, uint16_t *warning_sw)
{
	struct envelope e = {
		.tk = tk, .p = p, .len = len, .resp = resp, .cap = cap, .resp_len = resp_len,
		.warning_sw = warning_sw,
	};

	*resp_len = 0;
	*warning_sw = 0;
	if (simota_ber_tlv_parse_one(p, len, &e.top) != SIMOTA_OK || e.top.tag > 0xFF)
		return UICC_TK_ERR_BAD_DATA;
	switch (e.top.tag) {
	case 0xD1:
	case 0xD3:
	case 0xD6:
	case 0xD7:
		break;
	default:
		return other_envelope(&e);
	}
	if (!ctlv_list_ok(e.top.value, e.top.len))
		return UICC_TK_ERR_BAD_DATA;
	switch (e.top.tag) {
	case 0xD1:
		return sms_pp_download(&e);
	case 0xD3:
		return menu_selection(&e);
	case 0xD7:
		return timer_expiration(&e);
	default:
		return event_download(&e);
	}
}

size_t uicc_tk_fetchable_length(const struct uicc_toolkit *tk)
{
	return tk->n_queued ? tk->queue[0].len : 0;
}

enum uicc_tk_result uicc_tk_on_fetch(struct uicc_toolkit *tk, uint8_t *out, size_t cap, size_t *out_len)
{
	if (tk->n_queued == 0)
		return UICC_TK_ERR_NOT_FOUND;
	if (tk->queue[0].len > cap)
		return UICC_TK_ERR_NO_SPACE;
	memcpy(out, tk->queue[0].bytes, tk->queue[0].len);
	*out_len = tk->queue[0].len;
	tk->fetched = true;
	return UICC_TK_OK;
}

/* TS 102 223 §6.8: command details, device identities, result, then data. */
enum uicc_tk_result uicc_tk_on_terminal_response(struct uicc_toolkit *tk, const uint8_t *p, size_t len)
{
	struct pending_command pc;
	struct uicc_tk_terminal_response tr;
	struct uicc_tk_invocation inv;
	struct simota_tlv details, result;

	if (!tk->fetched || tk->n_queued == 0)
		return UICC_TK_ERR_NO_SESSION;
	if (!ctlv_list_ok(p, len) || !find_ctlv(p, len, 0x01, &details) || details.len != 3 ||
	    !find_ctlv(p, len, 0x03, &result) || result.len < 1)
		return UICC_TK_ERR_BAD_DATA;
	pc = tk->queue[0];
	if (details.value[0] != pc.number || details.value[1] != pc.type || details.value[2] != pc.qualifier)
		return UICC_TK_ERR_MISMATCH;
	free(pc.bytes);

	memmove(&tk->queue[0], &tk->queue[1], (tk->n_queued - 1) * sizeof(tk->queue[0]));
	tk->n_queued--;
	tk->fetched = false;

	if (!pc.on_tr)
		return UICC_TK_OK;
	memset(&tr, 0, sizeof(tr));
	tr.raw = p;
	tr.len = len;
	tr.number = pc.number;
	tr.type = pc.type;
	tr.qualifier = pc.qualifier;
	tr.general_result = result.value[0];
	tr.additional = result.value + 1;
	tr.additional_len = result.len - 1;
	invocation_init(&inv, tk, pc.applet, UICC_TK_EVENT_TERMINAL_RESPONSE, p, len, false);
	pc.on_tr(&inv, &tr, pc.user_data);
	return UICC_TK_OK;
}
