/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An in-process link between the engine and cards behind handsets (me-link.h). */
#include "me-link.h"

#include <string.h>

#include "simota/sms.h"

struct me_link {
	struct ots_engine *e;
	GHashTable *cards;         /* iccid -> struct me_link_card */
	GQueue queue;              /* struct hop, oldest first */
	guint source;
};

/* One message on the link. */
struct hop {
	struct me_link_card *card;
	bool up, report, rp_error;
	uint8_t cause;
	uint32_t id;
	size_t len;
	uint8_t tpdu[SIMOTA_SMS_TPDU_MAX];
};

static void card_free(gpointer p)
{
	struct me_link_card *c = p;

	me_sim_free(c->me);
	g_ptr_array_free(c->captured, TRUE);
	g_array_free(c->captured_ids, TRUE);
	g_free(c);
}

struct me_link *me_link_new(void)
{
	struct me_link *l = g_new0(struct me_link, 1);

	l->cards = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, card_free);
	g_queue_init(&l->queue);
	return l;
}

void me_link_free(struct me_link *l)
{
	if (!l)
		return;
	if (l->source)
		g_source_remove(l->source);
	g_queue_clear_full(&l->queue, g_free);
	g_hash_table_destroy(l->cards);
	g_free(l);
}

static gboolean drain(gpointer p)
{
	struct me_link *l = p;

	/* a bounded batch a turn: the engine's timers and commits get their turn too */
	for (unsigned i = 0; i < 256; i++) {
		struct hop *h = g_queue_pop_head(&l->queue);
		struct me_link_card *c;

		if (!h) {
			l->source = 0;
			return G_SOURCE_REMOVE;
		}
		c = h->card;
		if (!h->up)
			me_sim_deliver(c->me, h->id, h->tpdu, h->len);
		else if (h->report)
			ots_engine_deliver_report(l->e, h->id, h->rp_error, h->cause, h->tpdu, h->len);
		else
			ots_engine_submit(l->e, c->iccid, NULL, h->tpdu, h->len);
		g_free(h);
	}
	return G_SOURCE_CONTINUE;
}

static struct hop *push(struct me_link_card *c, bool up, const uint8_t *tpdu, size_t len)
{
	struct me_link *l = c->link;
	struct hop *h = g_new0(struct hop, 1);

	g_assert(len <= sizeof(h->tpdu));
	h->card = c;
	h->up = up;
	h->len = len;
	if (len)
		memcpy(h->tpdu, tpdu, len);
	g_queue_push_tail(&l->queue, h);
	if (!l->source)
		l->source = g_idle_add(drain, l);
	return h;
}

static bool send_deliver(void *user, const char *iccid, const char *msisdn, uint32_t id,
			 const uint8_t *tpdu, size_t len)
{
	struct me_link_card *c = me_link_card(user, iccid);

	if (!c || c->detached)
		return false;
	c->delivers++;
	if (!c->me) {
		g_ptr_array_add(c->captured, g_bytes_new(tpdu, len));
		g_array_append_val(c->captured_ids, id);
		return true;
	}
	push(c, false, tpdu, len)->id = id;
	return true;
}

static void up_report(void *user, uint32_t id, bool rp_error, uint8_t cause, const uint8_t *tpdu,
		      size_t len)
{
	struct me_link_card *c = user;
	struct hop *h;

	if (c->drop_reports) {
		c->drop_reports--;
		g_message("link: DELIVER-REPORT of SMS %u lost", id);
		return;
	}
	h = push(c, true, tpdu, len);
	h->id = id;
	h->report = true;
	h->rp_error = rp_error;
	h->cause = cause;
}

static void up_submit(void *user, const uint8_t *tpdu, size_t len)
{
	push(user, true, tpdu, len);
}

void me_link_attach(struct me_link *l, struct ots_engine *e)
{
	struct ots_southbound sb = { .send_deliver = send_deliver, .user = l };

	l->e = e;
	ots_engine_set_southbound(e, &sb);
}

struct me_link_card *me_link_card_new(struct me_link *l, const char *iccid)
{
	struct me_link_card *c = g_new0(struct me_link_card, 1);

	c->link = l;
	g_strlcpy(c->iccid, iccid, sizeof(c->iccid));
	c->captured = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	c->captured_ids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	g_hash_table_insert(l->cards, c->iccid, c);
	return c;
}

bool me_link_card_handset(struct me_link_card *c, const char *ini_path, const char *state_path,
			  GError **error)
{
	struct me_sim_uplink up = { .report = up_report, .submit = up_submit, .user = c };

	c->me = me_sim_new(ini_path, state_path, &up, error);
	return c->me != NULL;
}

struct me_link_card *me_link_card(struct me_link *l, const char *iccid)
{
	return iccid ? g_hash_table_lookup(l->cards, iccid) : NULL;
}

void me_link_foreach(struct me_link *l, void (*fn)(struct me_link_card *card, void *user), void *user)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, l->cards);
	while (g_hash_table_iter_next(&it, NULL, &v))
		fn(v, user);
}

static gboolean expired(gpointer p)
{
	*(bool *)p = true;
	return G_SOURCE_REMOVE;
}

bool me_link_run(bool (*done)(void *user), void *user, unsigned ms)
{
	bool late = false;
	guint deadline = g_timeout_add(ms, expired, &late);   /* wakes the loop at the end */
	bool ok;

	while (!(ok = done(user)) && !late)
		g_main_context_iteration(NULL, TRUE);
	if (!late)
		g_source_remove(deadline);
	return ok;
}
