/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SMPP link: an ESME of one SMSC (SMPP 3.4).
 *
 *   session      one TCP connection and its bind (transceiver, or a
 *                transmitter and a receiver): connect, bind, enquire_link
 *                both ways, response timeouts, unbind, reconnect with a
 *                doubling backoff;
 *   the link     the queue of SMS the engine handed over, the window of
 *                submit_sm awaiting their submit_sm_resp, throttling (the
 *                window halves and sending pauses), the SMSC's message ids
 *                for delivery receipts, and what comes up (deliver_sm).
 *
 * A submit_sm whose connection drops before its response may or may not
 * have been taken: it is never sent again as it was; after the next bind
 * the engine sends its command again with a fresh counter.  A submit_sm the
 * SMSC refused for now (ESME_RTHROTTLED, ESME_RMSGQFUL) was not taken and
 * goes again unchanged.
 */
#include "links/smpp.h"

#include <gio/gio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "links/conn.h"
#include "links/smpp-pdu.h"
#include "transactions/engine.h"
#include "util.h"

#define LINK_NAME "smpp"
#define THROTTLE_MAX_MS 30000
#define RECEIPTS_MAX 100000

/* One SMS of a command packet, from the engine's hands to its submit_sm_resp. */
struct sms {
	uint32_t msg_id;
	char msisdn[24];
	struct simota_sms_deliver d;
	unsigned refused_for_now;     /* throttled / queue full so far */
	GList *node;                  /* in the queue, or NULL */
};

enum req_kind { REQ_BIND, REQ_SUBMIT, REQ_ENQUIRE, REQ_UNBIND };

/* A request sent, waiting for its response. */
struct req {
	uint32_t seq;
	enum req_kind kind;
	int64_t sent_us;
	struct sms *sms;              /* REQ_SUBMIT */
};

enum session_state { S_DOWN, S_CONNECTING, S_BINDING, S_BOUND, S_UNBINDING };
static const char *const state_names[] = {
	[S_DOWN] = "down", [S_CONNECTING] = "connecting", [S_BINDING] = "binding",
	[S_BOUND] = "bound", [S_UNBINDING] = "unbinding",
};

struct session;

/* A connect in flight; its session forgets it (s = NULL) when it drops. */
struct connecting {
	struct session *s;
	GCancellable *cancel;
};

struct session {
	struct ots_smpp *link;
	uint32_t bind_id;             /* OTS_SMPP_BIND_* */
	const char *role;             /* "transceiver", "transmitter", "receiver" */
	bool receives;                /* deliver_sm come on this session */
	enum session_state state;
	struct connecting *connecting;
	struct ots_conn *conn;
	uint32_t next_seq;
	GHashTable *pending;          /* seq -> struct req */
	unsigned submits;             /* REQ_SUBMIT in pending */
	int64_t state_since_us, last_io_us;
	bool enquire_out;
	guint retry_timer, tick;
	unsigned backoff_ms;
	unsigned binds, bind_failures, resets;
	char last_error[160];
	GQueue held;                  /* struct held_resp *: deliver_sm_resp waiting for a commit */
};

/* A deliver_sm_resp that acknowledges what the engine stored (engine.h "group commit"). */
struct held_resp {
	uint64_t batch;
	uint32_t status, seq;
};

struct ots_smpp {
	struct ots_engine *engine;
	struct ots_smpp_config cfg;
	struct ots_smpp_submit_params params;
	GSocketClient *client;
	struct session *sess[2];      /* [0] sends (and receives when a transceiver), [1] receives or NULL */
	GQueue queue;                 /* struct sms *, oldest first */
	GHashTable *queued;           /* msg_id -> struct sms (in the queue) */
	unsigned window;              /* now: cfg.window, lowered while throttled */
	unsigned ok_streak;
	unsigned throttle_ms;
	guint throttle_timer;
	GArray *lost;                 /* uint32_t msg ids: unanswered when a connection dropped */
	GHashTable *receipts;         /* message_id -> msg_id (GUINT) */
	GQueue receipt_order;         /* char * message ids, oldest first (keys of receipts) */
	bool pumping, stopping;
	char last_refusal[160];       /* why the last deliver_sm could not be read */
	void (*stopped)(void *user);
	void *stopped_user;
	unsigned commit_sub;          /* ots_engine_on_commit() */
	struct {
		uint64_t submitted, accepted, refused, throttled, deliver_sm, deliver_sm_refused,
			 receipts, malformed;
	} n;
};

static void session_drop(struct session *s, const char *why);
static void session_connect(struct session *s);
static gboolean reconnect(gpointer p);
static void pump(struct ots_smpp *l);

/* ---- sessions: sending ----------------------------------------------------------------------- */

static uint32_t take_seq(struct session *s)
{
	uint32_t seq = s->next_seq;

	/* SMPP 3.4 §5.1.4: 0x00000001 to 0x7FFFFFFF, then around */
	s->next_seq = seq >= 0x7FFFFFFFu ? 1 : seq + 1;
	return seq;
}

static void req_free(gpointer p)
{
	g_free(p);
}

static struct req *req_add(struct session *s, uint32_t seq, enum req_kind kind, struct sms *sms)
{
	struct req *r = g_new0(struct req, 1);

	r->seq = seq;
	r->kind = kind;
	r->sent_us = g_get_monotonic_time();
	r->sms = sms;
	g_hash_table_insert(s->pending, GUINT_TO_POINTER(seq), r);
	if (kind == REQ_SUBMIT)
		s->submits++;
	return r;
}

static void session_flush(struct session *s)
{
	s->last_io_us = g_get_monotonic_time();
	ots_conn_flush(s->conn);
}

/* A PDU that is its header alone, on the session's connection. */
static void send_header(struct session *s, uint32_t id, uint32_t status, uint32_t seq)
{
	if (s->conn && ots_smpp_pack_header(id, status, seq, s->conn->out))
		session_flush(s);
}

static const char *cmd_name(uint32_t id, char *buf, size_t cap)
{
	return ots_smpp_command_name(id, buf, cap);
}

/* ---- the queue and the window ----------------------------------------------------------------- */

static struct session *sender(struct ots_smpp *l)
{
	return l->sess[0];
}

static void report(struct ots_smpp *l, uint32_t msg_id, enum ots_sms_fate fate, const char *ref,
		   uint32_t status, const char *reason)
{
	struct ots_sms_report r = {
		.fate = fate, .link = LINK_NAME, .ref = ref, .status = status, .reason = reason,
	};

	ots_engine_sms_report(l->engine, msg_id, &r);
}

static void queue_push(struct ots_smpp *l, struct sms *m, bool head)
{
	if (head)
		g_queue_push_head(&l->queue, m);
	else
		g_queue_push_tail(&l->queue, m);
	m->node = head ? l->queue.head : l->queue.tail;
	g_hash_table_insert(l->queued, GUINT_TO_POINTER(m->msg_id), m);
}

static struct sms *queue_pop(struct ots_smpp *l)
{
	struct sms *m = g_queue_pop_head(&l->queue);

	if (m) {
		m->node = NULL;
		g_hash_table_remove(l->queued, GUINT_TO_POINTER(m->msg_id));
	}
	return m;
}

static gboolean throttle_over(gpointer p)
{
	struct ots_smpp *l = p;

	l->throttle_timer = 0;
	pump(l);
	return G_SOURCE_REMOVE;
}

/*
 * Sends queued SMS while the sending session is bound, sending is not
 * paused and the window has room.  An SMS that cannot be packed is refused
 * for good (reported after the loop: the engine may hand over more).
 */
static void pump(struct ots_smpp *l)
{
	struct session *s = sender(l);
	GPtrArray *unpackable;

	if (l->pumping)
		return;
	l->pumping = true;
	unpackable = g_ptr_array_new();
	while (s->state == S_BOUND && !l->throttle_timer && !l->stopping && s->submits < l->window &&
	       l->queue.length) {
		struct sms *m = queue_pop(l);
		uint32_t seq = take_seq(s);
		const char *why = NULL;

		if (!ots_smpp_pack_submit(&l->params, m->msisdn, &m->d, seq, s->conn->out, &why)) {
			g_warning("smpp: SMS %u to %s cannot be sent: %s", m->msg_id, m->msisdn, why);
			g_ptr_array_add(unpackable, m);
			continue;
		}
		req_add(s, seq, REQ_SUBMIT, m);
		l->n.submitted++;
	}
	if (s->conn)
		session_flush(s);
	l->pumping = false;
	for (unsigned i = 0; i < unpackable->len; i++) {
		struct sms *m = unpackable->pdata[i];

		report(l, m->msg_id, OTS_SMS_REFUSED_FINAL, NULL, 0,
		       "the SMS cannot be expressed as a submit_sm (see the log)");
		g_free(m);
	}
	g_ptr_array_free(unpackable, TRUE);
}

/*
 * The SMSC's message id of an SMS, until its final receipt (or until
 * RECEIPTS_MAX newer ones pushed it out).  The keys belong to the order queue.
 */
static void remember_receipt(struct ots_smpp *l, const char *message_id, uint32_t msg_id)
{
	char *key;

	if (g_hash_table_contains(l->receipts, message_id)) {
		g_hash_table_insert(l->receipts, (char *)message_id, GUINT_TO_POINTER(msg_id));
		return;
	}
	key = g_strdup(message_id);
	g_hash_table_insert(l->receipts, key, GUINT_TO_POINTER(msg_id));
	g_queue_push_tail(&l->receipt_order, key);
	while (l->receipt_order.length > RECEIPTS_MAX) {
		key = g_queue_pop_head(&l->receipt_order);
		g_hash_table_remove(l->receipts, key);
		g_free(key);
	}
}

/* SMPP 3.4 §4.4.2, §5.1.3: the SMSC's answer to one submit_sm. */
static void on_submit_resp(struct ots_smpp *l, struct req *r, const struct ots_smpp_header *h,
			   const uint8_t *pdu)
{
	struct sms *m = r->sms;
	char text[96], message_id[66] = "";
	const char *why;

	ots_smpp_status_text(h->status, text, sizeof(text));
	switch (h->id == OTS_SMPP_GENERIC_NACK && !h->status ? OTS_SMPP_CLASS_TRANSIENT :
		ots_smpp_status_class(h->status)) {
	case OTS_SMPP_CLASS_OK:
		if (h->id != OTS_SMPP_GENERIC_NACK &&
		    !ots_smpp_parse_submit_resp(pdu, h->length, message_id, sizeof(message_id), &why))
			g_message("smpp: SMS %u taken, but %s", m->msg_id, why);
		l->n.accepted++;
		l->throttle_ms = l->cfg.throttle_ms;
		if (l->window < l->cfg.window && ++l->ok_streak >= l->window) {
			l->window++;
			l->ok_streak = 0;
		}
		if (l->cfg.registered_delivery && message_id[0])
			remember_receipt(l, message_id, m->msg_id);
		g_debug("smpp: SMS %u taken as message %s", m->msg_id, message_id);
		g_free(m);
		return;
	case OTS_SMPP_CLASS_LATER:
		/*
		 * Not taken: the same PDU again after a pause.  The first refusal of a
		 * pause halves the window and doubles the next pause; the others that
		 * were in flight with it only wait.
		 */
		l->n.throttled++;
		if (!l->throttle_timer) {
			l->window = MAX(1u, l->window / 2);
			l->ok_streak = 0;
			l->throttle_timer = g_timeout_add(l->throttle_ms, throttle_over, l);
			g_message("smpp: SMS %u %s: window %u, sending again in %u ms", m->msg_id,
				  text, l->window, l->throttle_ms);
			l->throttle_ms = MIN(l->throttle_ms * 2, THROTTLE_MAX_MS);
		}
		queue_push(l, m, true);
		if (m->refused_for_now++ == 0)
			report(l, m->msg_id, OTS_SMS_RETRYING, NULL, h->status, text);
		return;
	case OTS_SMPP_CLASS_TRANSIENT:
		l->n.refused++;
		g_message("smpp: SMS %u refused: %s", m->msg_id, text);
		report(l, m->msg_id, OTS_SMS_REFUSED, NULL, h->status, text);
		g_free(m);
		return;
	case OTS_SMPP_CLASS_PERMANENT:
		l->n.refused++;
		g_warning("smpp: SMS %u to %s refused for good: %s", m->msg_id, m->msisdn, text);
		report(l, m->msg_id, OTS_SMS_REFUSED_FINAL, NULL, h->status, text);
		g_free(m);
		return;
	}
}

/* ---- what comes up: deliver_sm ---------------------------------------------------------------- */

static void on_receipt(struct ots_smpp *l, const struct ots_smpp_deliver *dv)
{
	gpointer msg_id;
	enum ots_sms_fate fate;

	l->n.receipts++;
	if (!g_hash_table_lookup_extended(l->receipts, dv->message_id, NULL, &msg_id)) {
		g_message("smpp: receipt %s for message %s that this server did not send (or "
			  "sent before a restart): logged", dv->stat, dv->message_id);
		return;
	}
	switch (dv->state) {
	case OTS_SMPP_STATE_DELIVERED:
		fate = OTS_SMS_DELIVERED;
		break;
	case OTS_SMPP_STATE_ENROUTE:
	case OTS_SMPP_STATE_ACCEPTED:
	case OTS_SMPP_STATE_NONE:
		g_message("smpp: receipt for SMS %u (message %s): %s", GPOINTER_TO_UINT(msg_id),
			  dv->message_id, dv->stat[0] ? dv->stat : "no state");
		return;
	default:
		fate = OTS_SMS_UNDELIVERED;
		break;
	}
	report(l, GPOINTER_TO_UINT(msg_id), fate, dv->message_id, dv->err, dv->stat);
	g_hash_table_remove(l->receipts, dv->message_id);  /* final; the order queue drops it later */
}

static void answer_deliver_sm(struct session *s, uint32_t status, uint32_t seq)
{
	if (!s->conn)
		return;
	if (ots_smpp_pack_deliver_sm_resp(status, seq, s->conn->out))
		session_flush(s);
	else      /* SMPP 3.4 §5.1.4: sequence number 0 is no sequence number */
		g_warning("smpp: deliver_sm with sequence number %u cannot be answered", seq);
}

/*
 * SMPP 3.4 §4.6: every deliver_sm is answered, once the engine has taken it
 * in and what it changed is durable.
 */
static void on_deliver_sm(struct session *s, const struct ots_smpp_header *h, const uint8_t *pdu)
{
	struct ots_smpp *l = s->link;
	struct ots_smpp_deliver *dv = g_new(struct ots_smpp_deliver, 1);
	const char *why = NULL;
	uint32_t status;
	uint64_t batch;

	l->n.deliver_sm++;
	status = ots_smpp_parse_deliver(pdu, h->length, dv, &why);
	if (status != OTS_SMPP_ROK) {
		char text[96];

		l->n.deliver_sm_refused++;
		g_strlcpy(l->last_refusal, why, sizeof(l->last_refusal));
		ots_engine_link_refused(l->engine, LINK_NAME, dv->source[0] ? dv->source : NULL, why);
		g_message("smpp: deliver_sm %u from %s answered %s", h->seq,
			  dv->source[0] ? dv->source : "?",
			  ots_smpp_status_text(status, text, sizeof(text)));
	} else if (dv->receipt) {
		on_receipt(l, dv);
	} else {
		ots_engine_mo(l->engine, NULL, dv->source, &dv->sms, "deliver-sm");
	}
	g_free(dv);
	batch = ots_engine_unflushed(l->engine);
	if (batch) {
		struct held_resp *r = g_new(struct held_resp, 1);

		*r = (struct held_resp){ .batch = batch, .status = status, .seq = h->seq };
		g_queue_push_tail(&s->held, r);
	} else {
		answer_deliver_sm(s, status, h->seq);
	}
}

/* The engine's batch ended: the answers it held leave (a temporary error if it was lost). */
static void on_commit(uint64_t batch, bool durable, void *user)
{
	struct ots_smpp *l = user;

	for (unsigned i = 0; i < G_N_ELEMENTS(l->sess); i++) {
		struct session *s = l->sess[i];
		struct held_resp *r;

		while (s && (r = g_queue_peek_head(&s->held)) && r->batch <= batch) {
			g_queue_pop_head(&s->held);
			/* SMPP 3.4 §5.1.3: ESME_RX_T_APPN, the SMSC delivers it again later */
			answer_deliver_sm(s, durable || r->status != OTS_SMPP_ROK ? r->status :
					  OTS_SMPP_RX_T_APPN, r->seq);
			g_free(r);
		}
	}
}

/* ---- sessions: state -------------------------------------------------------------------------- */

static void set_state(struct session *s, enum session_state st)
{
	s->state = st;
	s->state_since_us = g_get_monotonic_time();
}

static bool link_bound(struct ots_smpp *l)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(l->sess); i++)
		if (l->sess[i] && l->sess[i]->state != S_BOUND)
			return false;
	return true;
}

static void check_stopped(struct ots_smpp *l)
{
	void (*done)(void *) = l->stopped;

	for (unsigned i = 0; i < G_N_ELEMENTS(l->sess); i++)
		if (l->sess[i] && l->sess[i]->state != S_DOWN)
			return;
	if (l->stopping && done) {
		l->stopped = NULL;
		done(l->stopped_user);
	}
}

/*
 * The connection is gone: what was unanswered is lost (submit_sm: reported
 * to the engine after the next bind), and the session reconnects after its
 * backoff unless the link is stopping.
 */
static void session_drop(struct session *s, const char *why)
{
	struct ots_smpp *l = s->link;
	GHashTableIter it;
	gpointer v;
	bool was_bound = s->state == S_BOUND || s->state == S_UNBINDING;

	if (s->state == S_DOWN)
		return;
	if (why && why != s->last_error)
		g_strlcpy(s->last_error, why, sizeof(s->last_error));
	if (l->stopping)
		g_message("smpp %s %s:%u: closed (%s)", s->role, l->cfg.host, l->cfg.port,
			  why ? why : "unbound");
	else
		g_message("smpp %s %s:%u: %s (%s); connecting again in %u ms", s->role, l->cfg.host,
			  l->cfg.port, s->state == S_CONNECTING ? "no connection" : "connection closed",
			  why ? why : "unbound", s->backoff_ms);
	if (s->connecting) {
		s->connecting->s = NULL;
		g_cancellable_cancel(s->connecting->cancel);
		s->connecting = NULL;
	}
	if (s->conn) {
		ots_conn_close(s->conn);
		s->conn = NULL;
	}
	g_hash_table_iter_init(&it, s->pending);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct req *r = v;

		if (r->kind == REQ_SUBMIT) {
			g_array_append_val(l->lost, r->sms->msg_id);
			g_free(r->sms);
		}
	}
	g_hash_table_remove_all(s->pending);
	g_queue_clear_full(&s->held, g_free);   /* unanswered: the SMSC delivers them again */
	s->submits = 0;
	s->enquire_out = false;
	if (was_bound && why)
		s->resets++;
	set_state(s, S_DOWN);
	if (s->tick) {
		g_source_remove(s->tick);
		s->tick = 0;
	}
	if (l->stopping) {
		check_stopped(l);
		return;
	}
	s->retry_timer = g_timeout_add(s->backoff_ms, reconnect, s);
	s->backoff_ms = MIN(s->backoff_ms * 2, l->cfg.reconnect_max_ms);
}

static gboolean reconnect(gpointer p)
{
	session_connect(p);
	return G_SOURCE_REMOVE;
}

/* Bound: the SMS lost with a dropped connection go again (fresh counters), then the queue. */
static void on_bound(struct ots_smpp *l)
{
	GArray *lost;

	if (!link_bound(l))
		return;
	lost = l->lost;
	l->lost = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (unsigned i = 0; i < lost->len; i++)
		ots_engine_sms_lost(l->engine, g_array_index(lost, uint32_t, i), "smpp-rebound");
	g_array_free(lost, TRUE);
	pump(l);
}

static void on_bind_resp(struct session *s, const struct ots_smpp_header *h)
{
	struct ots_smpp *l = s->link;
	char text[96];

	if (h->status != OTS_SMPP_ROK || h->id == OTS_SMPP_GENERIC_NACK) {
		s->bind_failures++;
		g_snprintf(s->last_error, sizeof(s->last_error), "bind refused: %s",
			   ots_smpp_status_text(h->status, text, sizeof(text)));
		g_warning("smpp %s %s:%u: %s (system-id %s); trying again in %u ms", s->role,
			  l->cfg.host, l->cfg.port, s->last_error, l->cfg.system_id, s->backoff_ms);
		session_drop(s, s->last_error);
		return;
	}
	s->binds++;
	s->backoff_ms = l->cfg.reconnect_min_ms;
	s->last_error[0] = '\0';
	set_state(s, S_BOUND);
	g_message("smpp %s bound to %s:%u as %s", s->role, l->cfg.host, l->cfg.port,
		  l->cfg.system_id);
	on_bound(l);
}

/* A response: to which request (SMPP 3.4 §2.7: by sequence number). */
static void on_response(struct session *s, const struct ots_smpp_header *h, const uint8_t *pdu)
{
	struct req *r = g_hash_table_lookup(s->pending, GUINT_TO_POINTER(h->seq));
	char name[48];
	struct req copy;

	if (!r) {
		g_message("smpp %s: %s for sequence number %u that nothing waits for: ignored",
			  s->role, cmd_name(h->id, name, sizeof(name)), h->seq);
		return;
	}
	copy = *r;
	g_hash_table_remove(s->pending, GUINT_TO_POINTER(h->seq));
	switch (copy.kind) {
	case REQ_BIND:
		on_bind_resp(s, h);
		break;
	case REQ_SUBMIT:
		s->submits--;
		on_submit_resp(s->link, &copy, h, pdu);
		pump(s->link);
		break;
	case REQ_ENQUIRE:
		s->enquire_out = false;
		break;
	case REQ_UNBIND:
		session_drop(s, NULL);
		break;
	}
}

static void on_request(struct session *s, const struct ots_smpp_header *h, const uint8_t *pdu)
{
	char name[48];

	switch (h->id) {
	case OTS_SMPP_DELIVER_SM:
		if (s->state == S_BOUND && s->receives)
			on_deliver_sm(s, h, pdu);
		else
			send_header(s, OTS_SMPP_GENERIC_NACK, OTS_SMPP_RINVBNDSTS, h->seq);
		break;
	case OTS_SMPP_ENQUIRE_LINK:
		send_header(s, OTS_SMPP_ENQUIRE_LINK | OTS_SMPP_RESP, OTS_SMPP_ROK, h->seq);
		break;
	case OTS_SMPP_UNBIND:
		/* SMPP 3.4 §4.2: the SMSC ends the session; answer, close, come back later */
		send_header(s, OTS_SMPP_UNBIND | OTS_SMPP_RESP, OTS_SMPP_ROK, h->seq);
		session_drop(s, "the SMSC unbound");
		break;
	case OTS_SMPP_ALERT_NOTIFICATION:
		break;     /* SMPP 3.4 §4.12: no response */
	default:
		g_message("smpp %s: %s not supported: generic_nack", s->role,
			  cmd_name(h->id, name, sizeof(name)));
		send_header(s, OTS_SMPP_GENERIC_NACK, OTS_SMPP_RINVCMDID, h->seq);
		break;
	}
}

static void on_pdu(struct session *s, const struct ots_smpp_header *h, const uint8_t *pdu)
{
	if (h->id & OTS_SMPP_RESP)
		on_response(s, h, pdu);
	else
		on_request(s, h, pdu);
}

static void session_data(void *p)
{
	struct session *s = p;
	struct ots_conn *c = s->conn;
	size_t off = 0;

	s->last_io_us = g_get_monotonic_time();
	while (s->conn == c) {
		struct ots_smpp_header h;
		enum ots_smpp_frame f = ots_smpp_frame_next(c->in->data + off, c->in->len - off, &h);

		if (f == OTS_SMPP_NEED_MORE)
			break;
		if (f == OTS_SMPP_BAD_LENGTH) {
			/* SMPP 3.4 §2.9: the stream cannot be followed; say so and start again */
			s->link->n.malformed++;
			send_header(s, OTS_SMPP_GENERIC_NACK, OTS_SMPP_RINVCMDLEN,
				    c->in->len - off >= 16 ? (c->in->data[off + 12] << 24 |
							      c->in->data[off + 13] << 16 |
							      c->in->data[off + 14] << 8 |
							      c->in->data[off + 15]) & 0x7FFFFFFF : 0);
			g_warning("smpp %s: malformed PDU (command_length %u): resetting the "
				  "connection", s->role, h.length);
			session_drop(s, "malformed PDU from the SMSC (command_length out of range)");
			return;
		}
		on_pdu(s, &h, c->in->data + off);
		off += h.length;
	}
	if (s->conn == c)
		g_byte_array_remove_range(c->in, 0, (guint)off);
}

static void session_closed(void *p, const char *why)
{
	struct session *s = p;
	char *text = g_strdup_printf("the connection ended: %s", why);

	s->conn = NULL;     /* closed by ots_conn */
	session_drop(s, text);
	g_free(text);
}

/* Timers: a request unanswered too long resets the connection; enquire_link when idle. */
static gboolean session_tick(gpointer p)
{
	struct session *s = p;
	struct ots_smpp *l = s->link;
	int64_t now = g_get_monotonic_time(), limit = (int64_t)l->cfg.response_timeout_ms * 1000;
	GHashTableIter it;
	gpointer v;

	if (s->state == S_CONNECTING && now - s->state_since_us > limit) {
		session_drop(s, "connect timed out");
		return G_SOURCE_REMOVE;
	}
	g_hash_table_iter_init(&it, s->pending);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct req *r = v;

		if (now - r->sent_us > limit) {
			static const char *const kinds[] = { "bind", "submit_sm", "enquire_link", "unbind" };
			char *why = g_strdup_printf("no answer to %s within %u ms", kinds[r->kind],
						    l->cfg.response_timeout_ms);

			session_drop(s, why);
			g_free(why);
			return G_SOURCE_REMOVE;
		}
	}
	if (s->state == S_BOUND && !s->enquire_out &&
	    now - s->last_io_us > (int64_t)l->cfg.enquire_link_ms * 1000) {
		uint32_t seq = take_seq(s);

		if (ots_smpp_pack_header(OTS_SMPP_ENQUIRE_LINK, OTS_SMPP_ROK, seq, s->conn->out)) {
			req_add(s, seq, REQ_ENQUIRE, NULL);
			s->enquire_out = true;
			session_flush(s);
		}
	}
	return G_SOURCE_CONTINUE;
}

static void send_bind(struct session *s)
{
	struct ots_smpp *l = s->link;
	struct ots_smpp_bind b = {
		.command_id = s->bind_id, .system_id = l->cfg.system_id,
		.password = l->cfg.password, .system_type = l->cfg.system_type,
	};
	uint32_t seq = take_seq(s);
	const char *why;

	if (!ots_smpp_pack_bind(&b, seq, s->conn->out, &why)) {
		session_drop(s, why);
		return;
	}
	req_add(s, seq, REQ_BIND, NULL);
	set_state(s, S_BINDING);
	session_flush(s);
}

static void connected(GObject *src, GAsyncResult *res, gpointer p)
{
	struct connecting *cn = p;
	struct session *s = cn->s;
	GError *error = NULL;
	GSocketConnection *sc = g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(src), res,
								       &error);

	g_object_unref(cn->cancel);
	g_free(cn);
	if (!s) {                /* dropped meanwhile */
		if (sc)
			g_object_unref(sc);
		g_clear_error(&error);
		return;
	}
	s->connecting = NULL;
	if (!sc) {
		char *why = g_strdup_printf("connect: %s", error->message);

		g_error_free(error);
		session_drop(s, why);
		g_free(why);
		return;
	}
	g_socket_set_option(g_socket_connection_get_socket(sc), IPPROTO_TCP, TCP_NODELAY, 1, NULL);
	s->conn = ots_conn_new(sc, session_data, session_closed, s);
	g_object_unref(sc);
	send_bind(s);
}

static void session_connect(struct session *s)
{
	struct ots_smpp *l = s->link;
	struct connecting *cn = g_new0(struct connecting, 1);
	guint tick_ms = CLAMP(MIN(l->cfg.response_timeout_ms, l->cfg.enquire_link_ms) / 4, 20u, 1000u);

	s->retry_timer = 0;
	cn->s = s;
	cn->cancel = g_cancellable_new();
	s->connecting = cn;
	s->next_seq = 1;
	set_state(s, S_CONNECTING);
	s->last_io_us = g_get_monotonic_time();
	s->tick = g_timeout_add(tick_ms, session_tick, s);
	g_socket_client_connect_to_host_async(l->client, l->cfg.host, l->cfg.port, cn->cancel,
					      connected, cn);
}

static struct session *session_new(struct ots_smpp *l, uint32_t bind_id, const char *role,
				   bool receives)
{
	struct session *s = g_new0(struct session, 1);

	s->link = l;
	s->bind_id = bind_id;
	s->role = role;
	s->receives = receives;
	s->pending = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, req_free);
	s->backoff_ms = l->cfg.reconnect_min_ms;
	set_state(s, S_DOWN);
	return s;
}

static void session_free(struct session *s)
{
	if (!s)
		return;
	s->link->stopping = true;
	session_drop(s, "shutting down");
	if (s->retry_timer)
		g_source_remove(s->retry_timer);
	g_hash_table_destroy(s->pending);
	g_queue_clear_full(&s->held, g_free);
	g_free(s);
}

/* ---- the engine's side -------------------------------------------------------------------------- */

static bool reaches(void *user, const char *iccid, const char *msisdn)
{
	(void)user;
	(void)iccid;
	return msisdn && *msisdn;
}

static bool send_deliver(void *user, const char *iccid, const char *msisdn, uint32_t msg_id,
			 const uint8_t *tpdu, size_t len)
{
	struct ots_smpp *l = user;
	struct sms *m;

	(void)iccid;
	if (l->stopping || !msisdn || !*msisdn || l->queue.length >= l->cfg.queue_max)
		return false;
	m = g_new0(struct sms, 1);
	if (simota_sms_deliver_decode(tpdu, len, &m->d) != SIMOTA_OK) {
		g_warning("smpp: SMS %u is not an SMS-DELIVER the link can read", msg_id);
		g_free(m);
		return false;
	}
	m->msg_id = msg_id;
	g_strlcpy(m->msisdn, msisdn, sizeof(m->msisdn));
	queue_push(l, m, false);
	pump(l);
	return true;
}

static void cancel(void *user, uint32_t first, unsigned n)
{
	struct ots_smpp *l = user;

	for (unsigned i = 0; i < n; i++) {
		struct sms *m = g_hash_table_lookup(l->queued, GUINT_TO_POINTER(first + i));

		if (m) {
			g_queue_delete_link(&l->queue, m->node);
			g_hash_table_remove(l->queued, GUINT_TO_POINTER(first + i));
			g_free(m);
		}
	}
	for (unsigned i = l->lost->len; i-- > 0;) {
		uint32_t id = g_array_index(l->lost, uint32_t, i);

		if (id - first < n)
			g_array_remove_index(l->lost, i);
	}
}

static JsonNode *status_json(void *user)
{
	struct ots_smpp *l = user;
	JsonBuilder *b = json_builder_new();
	JsonNode *n;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "state");
	json_builder_add_string_value(b, link_bound(l) ? "bound" :
				      l->stopping ? "stopping" : "not bound");
	json_builder_set_member_name(b, "host");
	json_builder_add_string_value(b, l->cfg.host);
	json_builder_set_member_name(b, "port");
	json_builder_add_int_value(b, l->cfg.port);
	json_builder_set_member_name(b, "system-id");
	json_builder_add_string_value(b, l->cfg.system_id);
	json_builder_set_member_name(b, "bind");
	json_builder_add_string_value(b, l->cfg.bind == OTS_SMPP_TRANSCEIVER ? "transceiver" :
				      "transmitter+receiver");
	json_builder_set_member_name(b, "sessions");
	json_builder_begin_array(b);
	for (unsigned i = 0; i < G_N_ELEMENTS(l->sess); i++) {
		struct session *s = l->sess[i];

		if (!s)
			continue;
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "role");
		json_builder_add_string_value(b, s->role);
		json_builder_set_member_name(b, "state");
		json_builder_add_string_value(b, state_names[s->state]);
		json_builder_set_member_name(b, "binds");
		json_builder_add_int_value(b, s->binds);
		json_builder_set_member_name(b, "bind-failures");
		json_builder_add_int_value(b, s->bind_failures);
		json_builder_set_member_name(b, "resets");
		json_builder_add_int_value(b, s->resets);
		json_builder_set_member_name(b, "last-error");
		if (s->last_error[0])
			json_builder_add_string_value(b, s->last_error);
		else
			json_builder_add_null_value(b);
		json_builder_set_member_name(b, "reconnect-ms");
		json_builder_add_int_value(b, s->backoff_ms);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
#define COUNT(name, v) do { json_builder_set_member_name(b, name); json_builder_add_int_value(b, (gint64)(v)); } while (0)
	COUNT("window", l->cfg.window);
	COUNT("window-now", l->window);
	COUNT("outstanding", sender(l)->submits);
	COUNT("queued", l->queue.length);
	COUNT("submitted", l->n.submitted);
	COUNT("accepted", l->n.accepted);
	COUNT("throttled", l->n.throttled);
	COUNT("refused", l->n.refused);
	COUNT("deliver-sm", l->n.deliver_sm);
	COUNT("deliver-sm-refused", l->n.deliver_sm_refused);
	COUNT("receipts", l->n.receipts);
	COUNT("malformed", l->n.malformed);
#undef COUNT
	json_builder_set_member_name(b, "deliver-sm-last-refusal");
	if (l->last_refusal[0])
		json_builder_add_string_value(b, l->last_refusal);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "registered-delivery");
	json_builder_add_boolean_value(b, l->cfg.registered_delivery);
	json_builder_set_member_name(b, "data-coding");
	json_builder_add_int_value(b, l->cfg.data_coding);
	json_builder_end_object(b);
	n = json_builder_get_root(b);
	g_object_unref(b);
	return n;
}

/* ---- lifetime -------------------------------------------------------------------------------------- */

struct ots_smpp *ots_smpp_new(struct ots_engine *engine, const struct ots_smpp_config *cfg,
			      const char *sv2_address, GError **error)
{
	struct ots_smpp *l = g_new0(struct ots_smpp, 1);
	struct ots_southbound sb = {
		.send_deliver = send_deliver, .user = l, .name = LINK_NAME, .reaches = reaches,
		.cancel = cancel, .status = status_json, .por_in_rp_ack = cfg->rp_ack_forwarded,
	};

	l->engine = engine;
	l->cfg = *cfg;
	l->cfg.host = g_strdup(cfg->host);
	l->params.service_type = l->cfg.service_type;
	l->params.data_coding = cfg->data_coding;
	l->params.registered_delivery = cfg->registered_delivery ? 1 : 0;
	if (cfg->has_source) {
		l->params.source = cfg->source;
	} else if (!ots_address_parse(sv2_address ? sv2_address : "+15550199", &l->params.source)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "smpp: the server's address is no source address");
		ots_smpp_config_clear(&l->cfg);
		g_free(l);
		return NULL;
	}
	l->window = cfg->window;
	l->throttle_ms = cfg->throttle_ms;
	g_queue_init(&l->queue);
	l->queued = g_hash_table_new(g_direct_hash, g_direct_equal);
	l->lost = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	l->receipts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, NULL);
	g_queue_init(&l->receipt_order);
	l->client = g_socket_client_new();
	if (cfg->bind == OTS_SMPP_TRANSCEIVER) {
		l->sess[0] = session_new(l, OTS_SMPP_BIND_TRANSCEIVER, "transceiver", true);
	} else {
		l->sess[0] = session_new(l, OTS_SMPP_BIND_TRANSMITTER, "transmitter", false);
		l->sess[1] = session_new(l, OTS_SMPP_BIND_RECEIVER, "receiver", true);
	}
	ots_engine_add_southbound(engine, &sb);
	l->commit_sub = ots_engine_on_commit(engine, on_commit, l);
	for (unsigned i = 0; i < G_N_ELEMENTS(l->sess); i++)
		if (l->sess[i])
			session_connect(l->sess[i]);
	g_message("smpp: ESME of %s:%u (system-id %s, %s, window %u)", l->cfg.host, l->cfg.port,
		  l->cfg.system_id, l->sess[1] ? "transmitter + receiver" : "transceiver",
		  l->cfg.window);
	return l;
}

bool ots_smpp_bound(struct ots_smpp *l)
{
	return link_bound(l);
}

bool ots_smpp_send(struct ots_smpp *l, const char *msisdn, uint32_t msg_id, const uint8_t *tpdu,
		   size_t len)
{
	return send_deliver(l, NULL, msisdn, msg_id, tpdu, len);
}

JsonNode *ots_smpp_status(struct ots_smpp *l)
{
	return status_json(l);
}

void ots_smpp_stop(struct ots_smpp *l, void (*done)(void *user), void *user)
{
	l->stopping = true;
	l->stopped = done;
	l->stopped_user = user;
	for (unsigned i = 0; i < G_N_ELEMENTS(l->sess); i++) {
		struct session *s = l->sess[i];
		uint32_t seq;

		if (!s)
			continue;
		if (s->retry_timer) {
			g_source_remove(s->retry_timer);
			s->retry_timer = 0;
		}
		if (s->state != S_BOUND) {
			session_drop(s, NULL);
			continue;
		}
		/* SMPP 3.4 §4.2.1 */
		seq = take_seq(s);
		if (!ots_smpp_pack_header(OTS_SMPP_UNBIND, OTS_SMPP_ROK, seq, s->conn->out)) {
			session_drop(s, NULL);
			continue;
		}
		req_add(s, seq, REQ_UNBIND, NULL);
		set_state(s, S_UNBINDING);
		session_flush(s);
		g_message("smpp %s: unbinding", s->role);
	}
	check_stopped(l);
}

void ots_smpp_free(struct ots_smpp *l)
{
	struct sms *m;

	if (!l)
		return;
	ots_engine_remove_southbound(l->engine, l);
	ots_engine_off_commit(l->engine, l->commit_sub);
	l->stopped = NULL;
	for (unsigned i = 0; i < G_N_ELEMENTS(l->sess); i++)
		session_free(l->sess[i]);
	if (l->throttle_timer)
		g_source_remove(l->throttle_timer);
	while ((m = queue_pop(l)))
		g_free(m);
	g_hash_table_destroy(l->queued);
	g_array_free(l->lost, TRUE);
	g_hash_table_destroy(l->receipts);
	g_queue_clear_full(&l->receipt_order, g_free);
	g_object_unref(l->client);
	ots_smpp_config_clear(&l->cfg);
	g_free(l);
}
