// SPDX-License-Identifier: GPL-2.0-or-later
/* The plugin unit tests' fake card (fake-card.h). */
#include <string.h>

#include "fake-card.h"
#include "test-support.h"

struct pending {
	sb_uicc_apdu_cb cb;
	void *data;
	GByteArray *resp;
};

static gboolean answer_later(gpointer p)
{
	struct pending *pd = p;

	pd->cb(NULL, pd->resp->data, pd->resp->len, pd->data);
	g_byte_array_unref(pd->resp);
	g_free(pd);
	return G_SOURCE_REMOVE;
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

static void fake_transmit(struct sb_uicc *u, const uint8_t *apdu, size_t len, unsigned timeout_ms,
			  sb_uicc_apdu_cb cb, void *data)
{
	struct fake_card *c = (struct fake_card *)u;
	char *sent = tv_to_hex(apdu, len);
	GByteArray *resp;
	struct pending *pd;

	c->commands++;
	if (len >= 2 && apdu[1] == 0x12)
		c->fetches++;
	g_ptr_array_add(c->wire, sent);
	resp = c->answer ? c->answer(c, apdu, len) : scripted(c, sent);
	if (!resp)
		return;
	pd = g_new0(struct pending, 1);
	pd->cb = cb;
	pd->data = data;
	pd->resp = resp;
	g_idle_add(answer_later, pd);
}

static void fake_noop(struct sb_uicc *u)
{
}

static const struct sb_uicc_ops fake_ops = {
	.name = "fake",
	.transmit = fake_transmit,
	.power_off = fake_noop,
	.destroy = fake_noop,
};

static void init(struct fake_card *c, enum sb_uicc_protocol protocol)
{
	memset(c, 0, sizeof(*c));
	c->base.ops = &fake_ops;
	c->base.description = (char *)"fake";
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
