// SPDX-License-Identifier: GPL-2.0-or-later
/* The plugin unit tests' fake card (fake-card.h). */
#include <string.h>

#include "fake-card.h"
#include "test-support.h"

/* A T=0 ATR (ISO/IEC 7816-3 §8), uicc-emu's body without its TCK: only its length and bytes are checked */
#define FAKE_DEFAULT_ATR "3b9f96801fc78031a073be21136743200718000001"

/* The command on the wire: its answer (from the main loop), or its wait running out. */
struct fake_pending {
	struct fake_card *c;
	sb_uicc_apdu_cb cb;
	void *data;
	GByteArray *resp;             /* NULL: never answered */
	guint id;
};

static void pending_end(struct fake_pending *pd)
{
	pd->c->pending = NULL;
	if (pd->resp)
		g_byte_array_unref(pd->resp);
	g_free(pd);
}

static gboolean answer_later(gpointer p)
{
	struct fake_pending *pd = p;
	sb_uicc_apdu_cb cb = pd->cb;
	void *data = pd->data;
	GByteArray *resp = g_byte_array_ref(pd->resp);

	pending_end(pd);
	cb(NULL, resp->data, resp->len, data);
	g_byte_array_unref(resp);
	return G_SOURCE_REMOVE;
}

/* The owner's "card lost", as a real transport reports it after failing the command on the wire. */
static void fail_pending_and_lose(struct fake_card *c, int code, const char *why)
{
	struct fake_pending *pd = c->pending;
	GError *err = g_error_new(SB_CARD_ERROR, code, "fake: %s", why);

	c->powered = false;
	c->link_down = true;
	if (pd) {
		sb_uicc_apdu_cb cb = pd->cb;
		void *data = pd->data;

		if (pd->id)
			g_source_remove(pd->id);
		pending_end(pd);
		cb(err, NULL, 0, data);
	}
	if (!c->destroyed && c->base.lost)
		c->base.lost(err, c->base.lost_data);
	g_error_free(err);
}

/* The command's bounded wait ran out: it fails, and the link is closed (a late answer would be taken for the next). */
static gboolean wait_over(gpointer p)
{
	struct fake_pending *pd = p;

	pd->id = 0;
	fail_pending_and_lose(pd->c, SB_CARD_ERROR_TIMEOUT, "no answer from the card within its wait");
	return G_SOURCE_REMOVE;
}

void fake_card_remove(struct fake_card *c)
{
	fail_pending_and_lose(c, SB_CARD_ERROR_ABSENT, "card removed");
}

GByteArray *fake_answer_bytes(const uint8_t *p, size_t n)
{
	GByteArray *a = g_byte_array_sized_new((guint)n);

	g_byte_array_append(a, p, (guint)n);
	return a;
}

GByteArray *fake_answer_hex(const char *hex)
{
	size_t n;
	uint8_t *p = tv_hex(hex, &n);
	GByteArray *a = fake_answer_bytes(p, n);

	g_free(p);
	return a;
}

/* The script's answer to the next command, or NULL (never answered, or not expected). */
static GByteArray *scripted(struct fake_card *c, const char *sent)
{
	const struct fake_step *step;

	if (c->pos >= c->n_steps) {
		g_test_message("fake card: command %s after the end of the script", sent);
		c->mismatch = true;
		return NULL;
	}
	step = &c->steps[c->pos++];
	if (g_ascii_strcasecmp(step->command, sent) != 0) {
		g_test_message("fake card: step %zu: expected %s, got %s", c->pos - 1, step->command, sent);
		c->mismatch = true;
	}
	return step->answer ? fake_answer_hex(step->answer) : NULL;
}

static gboolean powered_off_later(gpointer p);

static void fake_transmit(struct sb_uicc *u, const uint8_t *apdu, size_t len, unsigned timeout_ms,
			  sb_uicc_apdu_cb cb, void *data)
{
	struct fake_card *c = (struct fake_card *)u;
	char *sent = tv_to_hex(apdu, len);
	struct fake_pending *pd;

	g_assert_null(c->pending);              /* the session sends one command at a time */
	if (c->link_down) {
		/* like a real transport with its link closed: "no card", later */
		pd = g_new0(struct fake_pending, 1);
		pd->c = c;
		pd->cb = cb;
		pd->data = data;
		c->pending = pd;
		pd->id = g_idle_add(powered_off_later, pd);
		g_free(sent);
		return;
	}
	c->commands++;
	if (len >= 2 && apdu[1] == 0x12)
		c->fetches++;
	g_ptr_array_add(c->wire, sent);
	pd = g_new0(struct fake_pending, 1);
	pd->c = c;
	pd->cb = cb;
	pd->data = data;
	pd->resp = c->answer ? c->answer(c, apdu, len) : scripted(c, sent);
	c->pending = pd;
	if (pd->resp)
		pd->id = g_idle_add(answer_later, pd);
	else
		pd->id = g_timeout_add(timeout_ms, wait_over, pd);
}

struct atr_later {
	struct fake_card *c;
	sb_uicc_atr_cb cb;
	void *data;
};

static gboolean atr_later(gpointer p)
{
	struct atr_later *a = p;
	size_t n;
	uint8_t *atr = tv_hex(a->c->atr ? a->c->atr : FAKE_DEFAULT_ATR, &n);

	if (a->c->absent) {
		GError *err = g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_ABSENT, "fake: no card");

		a->cb(err, NULL, 0, a->data);
		g_error_free(err);
	} else {
		a->c->powered = true;
		a->c->link_down = false;
		a->cb(NULL, atr, n, a->data);
	}
	g_free(atr);
	g_free(a);
	return G_SOURCE_REMOVE;
}

static void fake_power_on(struct sb_uicc *u, sb_uicc_atr_cb cb, void *data)
{
	struct atr_later *a = g_new0(struct atr_later, 1);

	a->c = (struct fake_card *)u;
	a->cb = cb;
	a->data = data;
	g_idle_add(atr_later, a);
}

static gboolean powered_off_later(gpointer p)
{
	struct fake_pending *pd = p;
	sb_uicc_apdu_cb cb = pd->cb;
	void *data = pd->data;
	GError *err = g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_ABSENT, "fake: no card (powered off, or gone)");

	pending_end(pd);
	cb(err, NULL, 0, data);
	g_error_free(err);
	return G_SOURCE_REMOVE;
}

/* Like a real transport: the command on the wire fails later with SB_CARD_ERROR_ABSENT. */
static void fake_power_off(struct sb_uicc *u)
{
	struct fake_card *c = (struct fake_card *)u;
	struct fake_pending *pd = c->pending;

	c->powered = false;
	if (pd) {
		g_source_remove(pd->id);
		pd->id = g_idle_add(powered_off_later, pd);
	}
}

static void fake_destroy(struct sb_uicc *u)
{
	struct fake_card *c = (struct fake_card *)u;

	c->destroyed = true;
	if (c->pending) {
		g_source_remove(c->pending->id);
		pending_end(c->pending);
	}
}

static const struct sb_uicc_ops fake_ops = {
	.name = "fake",
	.power_on = fake_power_on,
	.transmit = fake_transmit,
	.power_off = fake_power_off,
	.destroy = fake_destroy,
};

static void init(struct fake_card *c, enum sb_uicc_protocol protocol)
{
	memset(c, 0, sizeof(*c));
	c->base.ops = &fake_ops;
	c->base.description = g_strdup("fake");
	c->base.protocol = protocol;
	c->wire = g_ptr_array_new_with_free_func(g_free);
}

struct sb_uicc *fake_card_init_script(struct fake_card *c, enum sb_uicc_protocol protocol,
				      const struct fake_step *steps, size_t n)
{
	init(c, protocol);
	c->steps = steps;
	c->n_steps = n;
	return &c->base;
}

struct sb_uicc *fake_card_init_answer(struct fake_card *c, fake_answer_fn answer, void *user)
{
	init(c, SB_UICC_T0);
	c->answer = answer;
	c->user = user;
	return &c->base;
}

void fake_card_done(const struct fake_card *c)
{
	g_assert_false(c->mismatch);
	g_assert_cmpuint(c->pos, ==, c->n_steps);
}

void fake_card_clear(struct fake_card *c)
{
	if (!c->destroyed) {
		fake_destroy(&c->base);
		g_free(c->base.description);    /* else sb_uicc_free() did */
	}
	g_ptr_array_unref(c->wire);
	c->wire = NULL;
}

/* ---- one command through the session ------------------------------------------------------ */

void fake_result_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct fake_result *r = user;

	r->done = true;
	r->err = err ? g_error_copy(err) : NULL;
	r->sw = sw;
	r->data = fake_answer_bytes(data, len);
}

void fake_result_proactive_cb(unsigned len, void *user)
{
	struct fake_result *r = user;

	r->proactive = len;
}

void fake_result_wait(struct fake_result *r)
{
	while (!r->done)
		g_main_context_iteration(NULL, TRUE);
}

void fake_exchange(struct sb_apdu_session *s, const char *hex, struct fake_result *r)
{
	size_t n;
	uint8_t *apdu = tv_hex(hex, &n);

	fake_result_clear(r);
	sb_apdu_session_send(s, NULL, apdu, n, fake_result_cb, r);
	g_free(apdu);
	fake_result_wait(r);
}

void fake_result_data(const struct fake_result *r, const char *hex)
{
	tv_assert_hex(r->data->data, r->data->len, hex);
}

void fake_result_clear(struct fake_result *r)
{
	if (r->err)
		g_error_free(r->err);
	if (r->data)
		g_byte_array_unref(r->data);
	memset(r, 0, sizeof(*r));
}

void fake_drain(void)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
}
