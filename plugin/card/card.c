// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The card service's front (card.h, card-impl.h): the one way in for the
 * modem and its atoms, whatever implementation is behind.  It checks each
 * request, fails it while the card is not up, hands it to the
 * implementation, and delivers the answer from the main loop unless its
 * owner went away; it delivers the card's proactive commands to the
 * toolkit listener once the terminal profile is over, after the agent grace
 * for one announced before the listener came.
 */
#include <string.h>

#include "card/card-impl.h"
#include "card/uicc.h"

G_DEFINE_QUARK(sb-card-error-quark, sb_card_error)

struct sb_card_service *sb_card_new(const struct sb_uicc_addr *addr, const char *name)
{
	switch (addr->kind) {
	case SB_UICC_EMU:
	case SB_UICC_PCSC:
		/* a card reached by APDUs, over its transport (the config parser refused what is not built) */
		return sb_card_apdu_new(sb_uicc_new(addr), name, addr->timeout_ms);
	}
	g_return_val_if_reached(NULL);
}

void sb_card_init(struct sb_card_service *c, const struct sb_card_ops *ops, const char *name, unsigned timeout_ms)
{
	c->ops = ops;
	c->name = g_strdup(name);
	c->timeout_ms = timeout_ms ? timeout_ms : SB_CARD_DEFAULT_TIMEOUT_MS;
	c->agent_grace_ms = SB_CARD_AGENT_GRACE_MS;
	c->state = SB_CARD_STATE_ABSENT;
	c->atr = g_byte_array_new();
	c->alive = g_cancellable_new();
}

static void req_free(struct sb_card_req *r)
{
	if (r->idle_id)
		g_source_remove(r->idle_id);
	if (r->impl_free && r->impl)
		r->impl_free(r->impl);
	if (r->data)
		g_bytes_unref(r->data);
	if (r->rdata)
		g_bytes_unref(r->rdata);
	if (r->err)
		g_error_free(r->err);
	g_free(r->fcp);
	/* PINs do not linger in freed memory */
	memset(r->code, 0, sizeof(r->code));
	memset(r->new_code, 0, sizeof(r->new_code));
	g_free(r);
}

void sb_card_free(struct sb_card_service *c)
{
	if (!c)
		return;
	g_cancellable_cancel(c->alive);
	if (c->grace_id)
		g_source_remove(c->grace_id);
	c->ops->destroy(c);
	g_list_free_full(c->reqs, (GDestroyNotify)req_free);
	g_byte_array_unref(c->atr);
	g_object_unref(c->alive);
	g_free(c->description);
	g_free(c->name);
	g_free(c);
}

/* ---- delivering answers ---------------------------------------------------------------------------- */

static void toolkit_deliver(struct sb_card_service *c);

/* The caller's callback with r's answer (unless cancelled); then r is gone. */
static void req_deliver(struct sb_card_req *r)
{
	struct sb_card_service *c = r->card;
	GCancellable *alive = g_object_ref(c->alive);   /* a callback may free the card */
	const uint8_t *d = NULL;
	size_t n = 0;

	c->reqs = g_list_remove(c->reqs, r);
	if (r->rdata)
		d = g_bytes_get_data(r->rdata, &n);
	if (r->kind == SB_CARD_REQ_TERMINAL_PROFILE && c->up)
		c->toolkit_ready = true;           /* TS 102 221 §14.7: the toolkit may start now */
	if (!r->cancelled) {
		switch (r->kind) {
		case SB_CARD_REQ_FILE_INFO:
			r->cb.info(r->err, r->sw, r->err ? NULL : r->fcp, r->user);
			break;
		case SB_CARD_REQ_READ_BINARY:
		case SB_CARD_REQ_READ_RECORD:
		case SB_CARD_REQ_ENVELOPE:
		case SB_CARD_REQ_FETCH:
			r->cb.data(r->err, r->sw, d, n, r->user);
			break;
		case SB_CARD_REQ_PIN_STATE:
			r->cb.pin_state(r->err, r->err ? SB_CARD_PIN_UNKNOWN : r->pin_state, r->sw, r->user);
			break;
		case SB_CARD_REQ_PIN_RETRIES:
			r->cb.pin_retries(r->err, &r->retries, r->user);
			break;
		case SB_CARD_REQ_PIN_ENABLED:
			r->cb.pin_enabled(r->err, r->err ? -1 : r->enabled, r->sw, r->user);
			break;
		default:
			r->cb.done(r->err, r->sw, r->user);
			break;
		}
	}
	if (r->kind == SB_CARD_REQ_TERMINAL_PROFILE && !g_cancellable_is_cancelled(alive))
		toolkit_deliver(c);
	g_object_unref(alive);
	req_free(r);
}

static gboolean req_deliver_idle(gpointer p)
{
	struct sb_card_req *r = p;

	r->idle_id = 0;
	req_deliver(r);
	return G_SOURCE_REMOVE;
}

/* The answer is in r: delivered now, or from the main loop when it came inside the call that asked. */
static void req_answered(struct sb_card_req *r)
{
	g_return_if_fail(!r->answered);
	r->answered = true;
	if (r->in_call)
		r->idle_id = g_idle_add(req_deliver_idle, r);
	else
		req_deliver(r);
}

void sb_card_req_data(struct sb_card_req *r, uint16_t sw, const uint8_t *data, size_t len)
{
	r->sw = sw;
	r->rdata = g_bytes_new(data, len);
	req_answered(r);
}

void sb_card_req_sw(struct sb_card_req *r, uint16_t sw)
{
	r->sw = sw;
	req_answered(r);
}

void sb_card_req_fcp(struct sb_card_req *r, uint16_t sw, const struct simota_fcp *fcp)
{
	r->sw = sw;
	if (fcp)
		r->fcp = g_memdup2(fcp, sizeof(*fcp));
	else if (sb_sw_ok(sw))
		r->err = g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_PROTOCOL, "%s: no file information",
				     r->card->description);
	req_answered(r);
}

void sb_card_req_pin_state(struct sb_card_req *r, enum sb_card_pin_state state, uint16_t sw)
{
	r->pin_state = state;
	r->sw = sw;
	req_answered(r);
}

void sb_card_req_pin_retries(struct sb_card_req *r, const struct sb_card_pin_retries *retries)
{
	r->retries = *retries;
	req_answered(r);
}

void sb_card_req_pin_enabled(struct sb_card_req *r, int enabled, uint16_t sw)
{
	r->enabled = enabled;
	r->sw = sw;
	req_answered(r);
}

void sb_card_req_fail(struct sb_card_req *r, const GError *err)
{
	r->err = g_error_copy(err);
	r->sw = 0;
	req_answered(r);
}

/* ---- asking ----------------------------------------------------------------------------------------- */

static struct sb_card_req *req_new(struct sb_card_service *c, enum sb_card_req_kind kind, const void *owner, void *user)
{
	struct sb_card_req *r = g_new0(struct sb_card_req, 1);

	r->card = c;
	r->kind = kind;
	r->owner = owner;
	r->user = user;
	r->enabled = -1;
	r->retries = (struct sb_card_pin_retries){ -1, -1, -1, -1 };
	c->reqs = g_list_append(c->reqs, r);
	return r;
}

static void req_fail_later(struct sb_card_req *r, int code, const char *what)
{
	r->in_call = true;
	r->err = g_error_new(SB_CARD_ERROR, code, "%s: %s", r->card->description, what);
	req_answered(r);
	r->in_call = false;
}

typedef void (*req_op)(struct sb_card_service *c, struct sb_card_req *r);

static req_op op_of(const struct sb_card_ops *ops, enum sb_card_req_kind kind)
{
	switch (kind) {
	case SB_CARD_REQ_FILE_INFO: return ops->file_info;
	case SB_CARD_REQ_READ_BINARY: return ops->read_binary;
	case SB_CARD_REQ_READ_RECORD: return ops->read_record;
	case SB_CARD_REQ_UPDATE_BINARY: return ops->update_binary;
	case SB_CARD_REQ_UPDATE_RECORD: return ops->update_record;
	case SB_CARD_REQ_PIN_STATE: return ops->pin_state;
	case SB_CARD_REQ_PIN_RETRIES: return ops->pin_retries;
	case SB_CARD_REQ_PIN_ENABLED: return ops->pin_enabled;
	case SB_CARD_REQ_TERMINAL_PROFILE: return ops->terminal_profile;
	case SB_CARD_REQ_ENVELOPE: return ops->envelope;
	case SB_CARD_REQ_TERMINAL_RESPONSE: return ops->terminal_response;
	case SB_CARD_REQ_FETCH: return ops->fetch;
	default: return ops->pin_command;
	}
}

/* r to the implementation, or failed from the main loop: why_invalid, no card, not something it does. */
static void req_submit(struct sb_card_req *r, const char *why_invalid)
{
	struct sb_card_service *c = r->card;
	req_op op = op_of(c->ops, r->kind);

	if (why_invalid) {
		req_fail_later(r, SB_CARD_ERROR_INVALID, why_invalid);
		return;
	}
	if (!c->up) {
		req_fail_later(r, SB_CARD_ERROR_ABSENT, "no card");
		return;
	}
	if (!op) {
		req_fail_later(r, SB_CARD_ERROR_UNSUPPORTED, r->kind == SB_CARD_REQ_TERMINAL_PROFILE ?
			       "the terminal profile is not the host's to set here" : "not supported by this backend");
		return;
	}
	r->in_call = true;
	op(c, r);
	r->in_call = false;
}

void sb_card_cancel_owner(struct sb_card_service *c, const void *owner)
{
	for (GList *l = c->reqs; l; l = l->next) {
		struct sb_card_req *r = l->data;

		if (r->owner == owner)
			r->cancelled = true;
	}
}

bool sb_card_path_set(struct sb_card_path *p, const uint8_t *dfs, size_t dfs_len, uint16_t fid)
{
	if (dfs_len >= 2 && dfs[0] == 0x3F && dfs[1] == 0x00) {
		dfs += 2;
		dfs_len -= 2;
	}
	memset(p, 0, sizeof(*p));
	if (dfs_len % 2 || dfs_len + 2 > SB_CARD_PATH_MAX)
		return false;
	if (dfs_len)
		memcpy(p->fid, dfs, dfs_len);
	p->fid[dfs_len] = (uint8_t)(fid >> 8);
	p->fid[dfs_len + 1] = (uint8_t)fid;
	p->len = (uint8_t)(dfs_len + 2);
	return true;
}

static const char *path_check(const struct sb_card_path *path)
{
	return path->len < 2 || path->len > SB_CARD_PATH_MAX || path->len % 2 ? "bad file path" : NULL;
}

static struct sb_card_req *file_req(struct sb_card_service *c, enum sb_card_req_kind kind, const void *owner,
				    const struct sb_card_path *path, unsigned offset, unsigned length, void *user)
{
	struct sb_card_req *r = req_new(c, kind, owner, user);

	r->path = *path;
	r->offset = offset;
	r->length = length;
	return r;
}

void sb_card_file_info(struct sb_card_service *c, const void *owner, const struct sb_card_path *path,
		       sb_card_info_cb cb, void *user)
{
	struct sb_card_req *r = file_req(c, SB_CARD_REQ_FILE_INFO, owner, path, 0, 0, user);

	r->cb.info = cb;
	req_submit(r, path_check(path));
}

void sb_card_read_binary(struct sb_card_service *c, const void *owner, const struct sb_card_path *path, unsigned offset,
			 unsigned len, sb_card_data_cb cb, void *user)
{
	struct sb_card_req *r = file_req(c, SB_CARD_REQ_READ_BINARY, owner, path, offset, len, user);

	r->cb.data = cb;
	/* TS 102 221 §11.1.3: a 15-bit offset, up to 256 bytes */
	req_submit(r, path_check(path) ? path_check(path) : len < 1 || len > 256 ? "read length not 1-256" :
		   offset > 0x7FFF ? "offset beyond 32767" : NULL);
}

void sb_card_read_record(struct sb_card_service *c, const void *owner, const struct sb_card_path *path, unsigned record,
			 unsigned len, sb_card_data_cb cb, void *user)
{
	struct sb_card_req *r = file_req(c, SB_CARD_REQ_READ_RECORD, owner, path, record, len, user);

	r->cb.data = cb;
	/* TS 102 221 §11.1.5: records 1-254 */
	req_submit(r, path_check(path) ? path_check(path) : len > 256 ? "read length beyond 256" :
		   record < 1 || record > 254 ? "record not 1-254" : NULL);
}

/* An update of 1-255 bytes; why_where: what is wrong with the offset or record, if anything. */
static void update(struct sb_card_service *c, enum sb_card_req_kind kind, const void *owner,
		   const struct sb_card_path *path, unsigned where, const char *why_where, const uint8_t *data,
		   size_t len, sb_card_done_cb cb, void *user)
{
	struct sb_card_req *r = file_req(c, kind, owner, path, where, 0, user);
	const char *why = path_check(path);

	if (!why && (len < 1 || len > 255))
		why = "update length not 1-255";
	if (!why)
		why = why_where;
	r->cb.done = cb;
	if (!why)
		r->data = g_bytes_new(data, len);
	req_submit(r, why);
}

void sb_card_update_binary(struct sb_card_service *c, const void *owner, const struct sb_card_path *path,
			   unsigned offset, const uint8_t *data, size_t len, sb_card_done_cb cb, void *user)
{
	/* TS 102 221 §11.1.4: a 15-bit offset */
	update(c, SB_CARD_REQ_UPDATE_BINARY, owner, path, offset, offset > 0x7FFF ? "offset beyond 32767" : NULL,
	       data, len, cb, user);
}

void sb_card_update_record(struct sb_card_service *c, const void *owner, const struct sb_card_path *path,
			   unsigned record, const uint8_t *data, size_t len, sb_card_done_cb cb, void *user)
{
	/* §11.1.6: records 1-254, or 0 with previous mode */
	update(c, SB_CARD_REQ_UPDATE_RECORD, owner, path, record, record > 254 ? "record beyond 254" : NULL, data, len,
	       cb, user);
}

/* ---- PINs --------------------------------------------------------------------------------------------- */

void sb_card_pin_state(struct sb_card_service *c, const void *owner, sb_card_pin_state_cb cb, void *user)
{
	struct sb_card_req *r = req_new(c, SB_CARD_REQ_PIN_STATE, owner, user);

	r->cb.pin_state = cb;
	r->pin = SB_CARD_PIN1;
	req_submit(r, NULL);
}

void sb_card_pin_retries(struct sb_card_service *c, const void *owner, sb_card_pin_retries_cb cb, void *user)
{
	struct sb_card_req *r = req_new(c, SB_CARD_REQ_PIN_RETRIES, owner, user);

	r->cb.pin_retries = cb;
	req_submit(r, NULL);
}

void sb_card_pin_enabled(struct sb_card_service *c, const void *owner, enum sb_card_pin pin, sb_card_pin_enabled_cb cb,
			 void *user)
{
	struct sb_card_req *r = req_new(c, SB_CARD_REQ_PIN_ENABLED, owner, user);

	r->cb.pin_enabled = cb;
	r->pin = pin;
	req_submit(r, NULL);
}

/* TS 102 221 §9.5.2: a PIN is 4-8 decimal digits, the PUK 8. */
static bool code_ok(const char *code, size_t min, size_t max)
{
	size_t n = code ? strlen(code) : 0;

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isdigit(code[i]))
			return false;
	return true;
}

static void pin_command(struct sb_card_service *c, enum sb_card_req_kind kind, const void *owner, enum sb_card_pin pin,
			const char *code, const char *new_code, sb_card_done_cb cb, void *user)
{
	struct sb_card_req *r = req_new(c, kind, owner, user);
	bool puk = kind == SB_CARD_REQ_PIN_UNBLOCK;
	const char *why = NULL;

	r->cb.done = cb;
	r->pin = pin;
	if (!code_ok(code, puk ? 8 : 4, 8))
		why = puk ? "the PUK is not 8 digits" : "the PIN is not 4-8 digits";
	else if (new_code && !code_ok(new_code, 4, 8))
		why = "the new PIN is not 4-8 digits";
	else {
		g_strlcpy(r->code, code, sizeof(r->code));
		if (new_code)
			g_strlcpy(r->new_code, new_code, sizeof(r->new_code));
	}
	req_submit(r, why);
}

void sb_card_pin_verify(struct sb_card_service *c, const void *owner, enum sb_card_pin pin, const char *code,
			sb_card_done_cb cb, void *user)
{
	pin_command(c, SB_CARD_REQ_PIN_VERIFY, owner, pin, code, NULL, cb, user);
}

void sb_card_pin_change(struct sb_card_service *c, const void *owner, enum sb_card_pin pin, const char *old_code,
			const char *new_code, sb_card_done_cb cb, void *user)
{
	pin_command(c, SB_CARD_REQ_PIN_CHANGE, owner, pin, old_code, new_code ? new_code : "", cb, user);
}

void sb_card_pin_unblock(struct sb_card_service *c, const void *owner, enum sb_card_pin pin, const char *puk,
			 const char *new_code, sb_card_done_cb cb, void *user)
{
	pin_command(c, SB_CARD_REQ_PIN_UNBLOCK, owner, pin, puk, new_code ? new_code : "", cb, user);
}

void sb_card_pin_enable(struct sb_card_service *c, const void *owner, enum sb_card_pin pin, bool enable,
			const char *code, sb_card_done_cb cb, void *user)
{
	pin_command(c, enable ? SB_CARD_REQ_PIN_ENABLE : SB_CARD_REQ_PIN_DISABLE, owner, pin, code, NULL, cb, user);
}

/* ---- the toolkit ------------------------------------------------------------------------------------- */

static void toolkit_req(struct sb_card_service *c, enum sb_card_req_kind kind, const void *owner, const uint8_t *data,
			size_t len, sb_card_done_cb done, sb_card_data_cb with_data, void *user)
{
	struct sb_card_req *r = req_new(c, kind, owner, user);

	if (done)
		r->cb.done = done;
	else
		r->cb.data = with_data;
	if (len < 1 || len > 255) {
		req_submit(r, "toolkit data not 1-255 bytes");
		return;
	}
	r->data = g_bytes_new(data, len);
	req_submit(r, NULL);
}

void sb_card_terminal_profile(struct sb_card_service *c, const void *owner, const uint8_t *profile, size_t len,
			      sb_card_done_cb cb, void *user)
{
	toolkit_req(c, SB_CARD_REQ_TERMINAL_PROFILE, owner, profile, len, cb, NULL, user);
}

void sb_card_envelope(struct sb_card_service *c, const void *owner, const uint8_t *data, size_t len, sb_card_data_cb cb,
		      void *user)
{
	toolkit_req(c, SB_CARD_REQ_ENVELOPE, owner, data, len, NULL, cb, user);
}

void sb_card_terminal_response(struct sb_card_service *c, const void *owner, const uint8_t *data, size_t len,
			       sb_card_done_cb cb, void *user)
{
	toolkit_req(c, SB_CARD_REQ_TERMINAL_RESPONSE, owner, data, len, cb, NULL, user);
}

static void fetch_done(const GError *err, uint16_t sw, const uint8_t *cmd, size_t len, void *user)
{
	struct sb_card_service *c = user;

	c->fetching = false;
	if (err) {
		g_message("%s: the proactive command could not be fetched: %s", c->name, err->message);
		return;
	}
	if (!sb_sw_ok(sw) || len == 0) {
		g_message("%s: the proactive command could not be fetched: SW %04X, %zu bytes", c->name, sw, len);
		return;
	}
	if (!c->listener) {
		g_message("%s: a %zu-byte proactive command fetched with no toolkit listener left: dropped", c->name, len);
		return;
	}
	g_debug("%s: proactive command, %zu bytes", c->name, len);
	c->listener->proactive_command(cmd, len, c->listener_user);
}

/* The waiting proactive command to the listener, when it can take it. */
static void toolkit_deliver(struct sb_card_service *c)
{
	struct sb_card_req *r;

	if (!c->proactive_waiting || c->fetching || !c->listener || !c->toolkit_ready || !c->up)
		return;
	if (c->grace_id) {
		g_debug("%s: FETCH of the proactive command held until agents had time to register", c->name);
		return;
	}
	g_debug("%s: FETCH of the proactive command now", c->name);
	c->proactive_waiting = false;
	c->fetching = true;
	r = req_new(c, SB_CARD_REQ_FETCH, c, c);
	r->cb.data = fetch_done;
	req_submit(r, NULL);
}

static gboolean grace_over(gpointer p)
{
	struct sb_card_service *c = p;

	c->grace_id = 0;
	toolkit_deliver(c);
	return G_SOURCE_REMOVE;
}

void sb_card_toolkit_attach(struct sb_card_service *c, const struct sb_card_toolkit_handlers *h, void *user)
{
	c->listener = h;
	c->listener_user = user;
	/* announced before the listener was there: an applet resuming after a reset; let agents come first */
	if (c->proactive_waiting && !c->grace_id)
		c->grace_id = g_timeout_add(c->agent_grace_ms, grace_over, c);
	toolkit_deliver(c);
}

void sb_card_toolkit_detach(struct sb_card_service *c)
{
	c->listener = NULL;
	c->listener_user = NULL;
	if (c->grace_id)
		g_source_remove(c->grace_id);
	c->grace_id = 0;
}

/* ---- the card's state --------------------------------------------------------------------------------- */

void sb_card_proactive_pending(struct sb_card_service *c)
{
	c->proactive_waiting = true;
	toolkit_deliver(c);
}

void sb_card_session_ended(struct sb_card_service *c)
{
	if (c->listener && c->listener->session_end)
		c->listener->session_end(c->listener_user);
}

static void went_down(struct sb_card_service *c, enum sb_card_state state)
{
	c->up = false;
	c->state = state;
	c->toolkit_ready = false;
	c->proactive_waiting = false;
	g_byte_array_set_size(c->atr, 0);
}

void sb_card_set_status_handler(struct sb_card_service *c, sb_card_status_cb cb, void *user)
{
	c->status_cb = cb;
	c->status_user = user;
}

struct start_busy {
	struct sb_card_service *c;
	GCancellable *alive;
	sb_card_start_cb cb;
	void *user;
};

static gboolean start_busy(gpointer p)
{
	struct start_busy *b = p;

	if (!g_cancellable_is_cancelled(b->alive)) {
		GError *err = g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_BUSY, "%s: already started",
					  b->c->description);

		b->cb(b->c, err, b->user);
		g_error_free(err);
	}
	g_object_unref(b->alive);
	g_free(b);
	return G_SOURCE_REMOVE;
}

void sb_card_start(struct sb_card_service *c, sb_card_start_cb cb, void *user)
{
	if (c->starting || c->up) {
		struct start_busy *b = g_new0(struct start_busy, 1);

		b->c = c;
		b->alive = g_object_ref(c->alive);
		b->cb = cb;
		b->user = user;
		g_idle_add(start_busy, b);
		return;
	}
	c->start_cb = cb;
	c->start_user = user;
	c->starting = true;
	c->ops->start(c);
}

void sb_card_started(struct sb_card_service *c, const GError *err, const uint8_t *atr, size_t atr_len)
{
	if (!c->starting)
		return;
	c->starting = false;
	if (err) {
		went_down(c, err->code == SB_CARD_ERROR_ABSENT ? SB_CARD_STATE_ABSENT : SB_CARD_STATE_ERROR);
	} else {
		c->up = true;
		c->state = SB_CARD_STATE_PRESENT;
		g_byte_array_set_size(c->atr, 0);
		g_byte_array_append(c->atr, atr, (guint)atr_len);
	}
	c->start_cb(c, err, c->start_user);
}

/* A start in progress still answers (its failure, from the implementation). */
void sb_card_stop(struct sb_card_service *c)
{
	went_down(c, SB_CARD_STATE_ABSENT);
	c->ops->stop(c);
}

void sb_card_status_changed(struct sb_card_service *c, enum sb_card_state state, const GError *why)
{
	if (state != SB_CARD_STATE_PRESENT)
		went_down(c, state);
	else if (!c->up)
		c->state = SB_CARD_STATE_PRESENT;
	if (c->status_cb)
		c->status_cb(c, state, why, c->status_user);
}

bool sb_card_is_up(const struct sb_card_service *c)
{
	return c->up;
}

enum sb_card_state sb_card_state(const struct sb_card_service *c)
{
	return c->state;
}

const uint8_t *sb_card_atr(const struct sb_card_service *c, size_t *len)
{
	*len = c->atr->len;
	return c->atr->data;
}

const char *sb_card_description(const struct sb_card_service *c)
{
	return c->description;
}
