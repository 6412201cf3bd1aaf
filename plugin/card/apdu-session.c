// SPDX-License-Identifier: GPL-2.0-or-later
/* The APDU session over one UICC transport (apdu-session.h); TS 102 221 §7.3.1.1, §7.4.2. */
#include <gio/gio.h>
#include <string.h>

#include "card/apdu-session.h"
#include "simota/apdu.h"

#define INS_SELECT 0xA4
#define INS_ENVELOPE 0xC2
#define INS_GET_RESPONSE 0xC0
#define INS_FETCH 0x12
#define INS_TERMINAL_RESPONSE 0x14
#define SHORT_RESPONSE_MAX 256       /* Le of a short APDU (ISO/IEC 7816-4 §5.1) */
#define MAX_DATA 0x10000
#define MAX_STEPS 64            /* GET RESPONSE / re-send rounds of one command */

struct request {
	const void *owner;
	GByteArray *apdu;           /* as queued */
	GByteArray *cur;            /* the APDU on the wire now */
	GByteArray *data;           /* response data gathered */
	uint16_t warning;           /* 62XX/63XX kept while fetching its data */
	bool resent_6c;
	unsigned steps;
	sb_apdu_cb cb;
	void *user;
	bool dropped;               /* callback suppressed */
};

struct sb_apdu_session {
	struct sb_uicc *uicc;
	unsigned timeout_ms;
	GQueue queue;               /* struct request *, head = next */
	struct request *running;
	guint64 seq;                /* of the transmit in flight */
	sb_apdu_proactive_cb proactive_cb;
	void *proactive_user;
	unsigned proactive_run;     /* commands announced since the last end of a proactive session */
	bool proactive_muted;
	bool proactive_fetched;     /* a FETCH since the last announcement */
	GCancellable *alive;
};

static void request_free(struct request *r)
{
	g_byte_array_unref(r->apdu);
	if (r->cur)
		g_byte_array_unref(r->cur);
	g_byte_array_unref(r->data);
	g_free(r);
}

static void session_next(struct sb_apdu_session *s);

static void transmit_cur(struct sb_apdu_session *s, struct request *r);

/*
 * TS 102 223 §6.2: bounds the FETCH loop of a card that never ends its
 * proactive session.  A command not fetched yet is announced again by every
 * answer (91XX) until it is: one command, counted once (the SIM initialised
 * before the stk atom exists and FETCHes it).
 */
static bool proactive_allowed(struct sb_apdu_session *s, uint8_t ins, uint16_t sw)
{
	if (ins == INS_ENVELOPE || (ins == INS_TERMINAL_RESPONSE && sw == 0x9000)) {
		s->proactive_run = 0;
		s->proactive_muted = false;
	}
	if (ins == INS_FETCH)
		s->proactive_fetched = true;
	if ((sw >> 8) != 0x91)
		return false;
	if (!s->proactive_muted && s->proactive_run > 0 && !s->proactive_fetched)
		return true;
	s->proactive_fetched = false;
	if (++s->proactive_run <= SB_APDU_MAX_PROACTIVE_RUN)
		return true;
	if (!s->proactive_muted)
		g_message("%s: the card announced %u proactive commands without ending its proactive session; "
			  "no more FETCH until it does (bounded FETCH loop)", s->uicc->description, s->proactive_run - 1);
	s->proactive_muted = true;
	return false;
}

/* Completes r (already detached from s->running); may re-enter the session. */
static void request_complete(struct sb_apdu_session *s, struct request *r, const GError *err, uint16_t sw)
{
	GCancellable *alive = g_object_ref(s->alive);
	bool proactive = !err && proactive_allowed(s, r->apdu->data[1], sw);

	if (err && err->code == SB_CARD_ERROR_PROTOCOL)
		g_message("%s", err->message);
	if (!r->dropped)
		r->cb(err, sw, r->data->data, r->data->len, r->user);
	request_free(r);
	if (!g_cancellable_is_cancelled(alive) && proactive && s->proactive_cb)
		s->proactive_cb(sw & 0xFF ? sw & 0xFF : 256, s->proactive_user);
	if (!g_cancellable_is_cancelled(alive))
		session_next(s);
	g_object_unref(alive);
}

/* The class byte of a GET RESPONSE following a command of class cla. */
static uint8_t get_response_cla(uint8_t cla)
{
	if (cla == 0xA0)
		return 0xA0;             /* TS 51.011 GSM class */
	if (cla & 0x40)
		return (uint8_t)(0x40 | (cla & 0x0F));   /* further interindustry: channels 4-19 */
	return (uint8_t)(cla & 0x03);                   /* first interindustry, channels 0-3 */
}

static void set_get_response(struct request *r, unsigned le)
{
	uint8_t gr[5] = { get_response_cla(r->apdu->data[0]), INS_GET_RESPONSE, 0, 0, (uint8_t)le };

	g_byte_array_set_size(r->cur, 0);
	g_byte_array_append(r->cur, gr, 5);
}

static bool has_command_data(const GByteArray *a)
{
	return a->len > 5;
}

/* ISO/IEC 7816-4 §5.1: an extended APDU has a 3-byte Lc or Le starting with 00 after the header. */
static bool is_short(const GByteArray *a)
{
	return !(a->len >= 7 && a->data[4] == 0x00);
}

/* One transmit in flight: its answer is ignored once the session is gone or moved on. */
struct ticket {
	GCancellable *alive;
	struct sb_apdu_session *s;
	guint64 seq;
};

static void on_response(const GError *err, const uint8_t *resp, size_t len, void *user)
{
	struct ticket *t = user;
	struct sb_apdu_session *s = t->s;
	struct request *r;
	uint8_t sw1, sw2;
	size_t dlen;
	bool stale = g_cancellable_is_cancelled(t->alive) || t->seq != s->seq;

	g_object_unref(t->alive);
	g_free(t);
	if (stale)
		return;              /* session freed, or the request failed by fail_all meanwhile */
	r = s->running;
	if (err) {
		s->running = NULL;
		request_complete(s, r, err, 0);
		return;
	}
	sw1 = resp[len - 2];
	sw2 = resp[len - 1];
	dlen = len - 2;
	if (dlen > SHORT_RESPONSE_MAX && is_short(r->cur)) {
		GError *e = g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_PROTOCOL,
					"%s: oversized response: %zu data bytes to a short APDU (%02X %02X, at most %u)",
					s->uicc->description, dlen, r->cur->data[0], r->cur->data[1], SHORT_RESPONSE_MAX);

		s->running = NULL;
		request_complete(s, r, e, 0);
		g_error_free(e);
		return;
	}
	if (r->data->len + dlen > MAX_DATA || ++r->steps > MAX_STEPS) {
		GError *e = g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_PROTOCOL, "%s: endless response chain",
					s->uicc->description);

		s->running = NULL;
		request_complete(s, r, e, 0);
		g_error_free(e);
		return;
	}
	if (sw1 == 0x6C && !r->resent_6c && r->cur->len >= 5) {
		/* wrong Le: the same command with Le = SW2 (TS 102 221 §7.3.1.1.5) */
		r->resent_6c = true;
		if (r->cur->len == 4)            /* T=1, case 1 */
			g_byte_array_append(r->cur, &sw2, 1);
		else if (has_command_data(r->cur) && r->cur->len == 5u + r->cur->data[4])
			g_byte_array_append(r->cur, &sw2, 1);
		else
			r->cur->data[r->cur->len - 1] = sw2;
		transmit_cur(s, r);
		return;
	}
	r->resent_6c = false;
	g_byte_array_append(r->data, resp, (guint)dlen);
	if (sw1 == 0x61 || sw1 == 0x9F) {
		set_get_response(r, sw2);
		transmit_cur(s, r);
		return;
	}
	if (s->uicc->protocol == SB_UICC_T0 &&
	    (sw1 == 0x62 || sw1 == 0x63) && dlen == 0 && !r->warning && has_command_data(r->apdu) &&
	    r->cur->data[1] != INS_GET_RESPONSE &&
	    (r->apdu->data[1] == INS_ENVELOPE || r->apdu->data[1] == INS_SELECT)) {
		r->warning = (uint16_t)(sw1 << 8 | sw2);
		set_get_response(r, 0);
		transmit_cur(s, r);
		return;
	}
	s->running = NULL;
	if (r->warning) {
		/* the data of a warning, or none if the card has none (69XX / 6FXX) */
		request_complete(s, r, NULL, r->warning);
		return;
	}
	request_complete(s, r, NULL, (uint16_t)(sw1 << 8 | sw2));
}

static void transmit_cur(struct sb_apdu_session *s, struct request *r)
{
	struct ticket *t = g_new0(struct ticket, 1);

	t->alive = g_object_ref(s->alive);
	t->s = s;
	t->seq = ++s->seq;
	sb_uicc_transmit(s->uicc, r->cur->data, r->cur->len, s->timeout_ms, on_response, t);
}

/*
 * The command as the negotiated protocol carries it.  T=0 (ISO/IEC 7816-3
 * §12.2.2): a command TPDU always has P3: a case-1 command (ISO/IEC 7816-4
 * §5.1: the 4-byte header) goes with P3 = 00, a case-4 command without its
 * Le (P3 = Lc; the data comes by 61XX and GET RESPONSE); a reader at TPDU
 * level passes on what it is given.  T=1: the APDU as it is.
 */
static GByteArray *command_tpdu(const struct sb_apdu_session *s, const GByteArray *apdu)
{
	GByteArray *t = g_byte_array_sized_new(apdu->len + 1);
	struct simota_apdu cmd;
	uint8_t p3 = 0x00;
	guint len = apdu->len;

	if (s->uicc->protocol == SB_UICC_T0 && simota_apdu_decode(apdu->data, apdu->len, &cmd) == SIMOTA_OK &&
	    simota_apdu_case(&cmd) == 4)
		len--;
	g_byte_array_append(t, apdu->data, len);
	if (s->uicc->protocol == SB_UICC_T0 && apdu->len == 4)
		g_byte_array_append(t, &p3, 1);
	return t;
}

static void session_next(struct sb_apdu_session *s)
{
	struct request *r;

	if (s->running)
		return;
	r = g_queue_pop_head(&s->queue);
	if (!r)
		return;
	s->running = r;
	r->cur = command_tpdu(s, r->apdu);
	transmit_cur(s, r);
}

static struct request *request_new(const void *owner, const uint8_t *apdu, size_t len, sb_apdu_cb cb,
				   void *user)
{
	struct request *r = g_new0(struct request, 1);

	r->owner = owner;
	r->apdu = g_byte_array_sized_new((guint)len);
	g_byte_array_append(r->apdu, apdu, (guint)len);
	r->data = g_byte_array_new();
	r->cb = cb;
	r->user = user;
	return r;
}

void sb_apdu_session_send(struct sb_apdu_session *s, const void *owner, const uint8_t *apdu, size_t len,
			  sb_apdu_cb cb, void *user)
{
	g_queue_push_tail(&s->queue, request_new(owner, apdu, len, cb, user));
	session_next(s);
}

void sb_apdu_session_send_next(struct sb_apdu_session *s, const void *owner, const uint8_t *apdu, size_t len,
			       sb_apdu_cb cb, void *user)
{
	g_queue_push_head(&s->queue, request_new(owner, apdu, len, cb, user));
	session_next(s);
}

void sb_apdu_session_fetch(struct sb_apdu_session *s, const void *owner, unsigned len, sb_apdu_cb cb,
			   void *user)
{
	/* TS 102 221 §10.1.1 / §11.2.3: FETCH, class 80, Le = the length 91XX announced */
	uint8_t apdu[5] = { 0x80, INS_FETCH, 0x00, 0x00, (uint8_t)(len & 0xFF) };

	g_queue_push_head(&s->queue, request_new(owner, apdu, sizeof(apdu), cb, user));
	session_next(s);
}

void sb_apdu_session_cancel_owner(struct sb_apdu_session *s, const void *owner)
{
	GList *l = s->queue.head;

	while (l) {
		GList *next = l->next;
		struct request *r = l->data;

		if (r->owner == owner) {
			g_queue_delete_link(&s->queue, l);
			request_free(r);
		}
		l = next;
	}
	if (s->running && s->running->owner == owner)
		s->running->dropped = true;
}

void sb_apdu_session_fail_all(struct sb_apdu_session *s, const GError *err)
{
	GQueue q = s->queue;
	struct request *r;
	GCancellable *alive = g_object_ref(s->alive);

	g_queue_init(&s->queue);
	if (s->running) {
		r = s->running;
		s->running = NULL;
		s->seq++;                /* its late answer, if any, is ignored */
		if (!r->dropped)
			r->cb(err, 0, NULL, 0, r->user);
		request_free(r);
	}
	while ((r = g_queue_pop_head(&q))) {
		if (!g_cancellable_is_cancelled(alive) && !r->dropped)
			r->cb(err, 0, NULL, 0, r->user);
		request_free(r);
	}
	g_object_unref(alive);
}

void sb_apdu_session_set_proactive_cb(struct sb_apdu_session *s, sb_apdu_proactive_cb cb, void *user)
{
	s->proactive_cb = cb;
	s->proactive_user = user;
}

struct sb_apdu_session *sb_apdu_session_new(struct sb_uicc *uicc, unsigned timeout_ms)
{
	struct sb_apdu_session *s = g_new0(struct sb_apdu_session, 1);

	s->uicc = uicc;
	s->timeout_ms = timeout_ms ? timeout_ms : SB_CARD_DEFAULT_TIMEOUT_MS;
	g_queue_init(&s->queue);
	s->alive = g_cancellable_new();
	return s;
}

void sb_apdu_session_free(struct sb_apdu_session *s)
{
	struct request *r;

	if (!s)
		return;
	g_cancellable_cancel(s->alive);
	while ((r = g_queue_pop_head(&s->queue)))
		request_free(r);
	if (s->running)
		request_free(s->running);   /* the backend is closed by its owner before or after */
	g_object_unref(s->alive);
	g_free(s);
}
