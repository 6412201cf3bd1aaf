// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The stkbridge plugin's logic that runs without ofonod: the config file
 * (plugin/config.c) and the APDU session's T=0 handling (TS 102 221 §7.3.1.1, §7.4.2) against a scripted
 * UICC backend.
 */
#include <glib.h>
#include <string.h>

#include "config.h"
#include "simota/hex.h"
#include "uicc/apdu-session.h"
#include "uicc/uicc.h"

/* ---- config ------------------------------------------------------------------------- */

static struct sb_config *parse(const char *text)
{
	return sb_config_parse(text, strlen(text), "test.conf");
}

static bool has_msg(GPtrArray *a, const char *needle)
{
	for (guint i = 0; i < a->len; i++)
		if (strstr(g_ptr_array_index(a, i), needle))
			return true;
	return false;
}

static void test_config_good(void)
{
	struct sb_config *c = parse("[modem0]\n"
				    "Uicc=emu:unix:/run/uicc-emu/card0.sock        # or pcsc:<reader name>\n"
				    "Network=netsim:tcp:127.0.0.1:7890             # or netsim:unix:<path>\n"
				    "[modem1]\n"
				    "Uicc=emu:unix:/tmp/c1.sock\n"
				    "Network=netsim:unix:/tmp/net.sock\n");
	struct sb_modem_conf *m0, *m1;

	g_assert_cmpuint(c->errors->len, ==, 0);
	g_assert_cmpuint(c->modems->len, ==, 2);
	m0 = g_ptr_array_index(c->modems, 0);
	m1 = g_ptr_array_index(c->modems, 1);
	g_assert_cmpstr(m0->name, ==, "modem0");
	g_assert_cmpint(m0->uicc.kind, ==, SB_UICC_EMU);
	g_assert_cmpstr(m0->uicc.path, ==, "/run/uicc-emu/card0.sock");
	g_assert_cmpint(m0->net.kind, ==, SB_NET_NETSIM_TCP);
	g_assert_cmpstr(m0->net.host, ==, "127.0.0.1");
	g_assert_cmpuint(m0->net.port, ==, 7890);
	g_assert_cmpint(m1->net.kind, ==, SB_NET_NETSIM_UNIX);
	g_assert_cmpstr(m1->net.path, ==, "/tmp/net.sock");
	sb_config_free(c);
}

/* A wrong or missing entry: one error naming the group and the key; the other modems stay. */
static void test_config_errors(void)
{
	struct sb_config *c = parse("[good]\nUicc=emu:unix:/a.sock\nNetwork=netsim:tcp:[::1]:7\n"
				    "[nouicc]\nNetwork=netsim:tcp:h:1\n"
				    "[pcsc]\nUicc=pcsc:Reader 0\nUiccMode=sharing\n"
				    "[relative]\nUicc=emu:unix:a.sock\n"
				    "[badport]\nUicc=emu:unix:/b.sock\nNetwork=netsim:tcp:h:70000\n"
				    "[noport]\nUicc=emu:unix:/b.sock\nNetwork=netsim:tcp:host\n"
				    "[badnet]\nUicc=emu:unix:/b.sock\nNetwork=at:/dev/ttyUSB0\n"
				    "[bad name]\nUicc=emu:unix:/b.sock\n"
				    "[nonet]\nUicc=emu:unix:/c.sock\nTypo=1\n");
	struct sb_modem_conf *m;

	g_assert_cmpuint(c->modems->len, ==, 2);
	m = g_ptr_array_index(c->modems, 0);
	g_assert_cmpstr(m->name, ==, "good");
	g_assert_cmpstr(m->net.host, ==, "::1");
	g_assert_cmpuint(m->net.port, ==, 7);
	m = g_ptr_array_index(c->modems, 1);
	g_assert_cmpstr(m->name, ==, "nonet");
	g_assert_cmpint(m->net.kind, ==, SB_NET_NONE);
	g_assert_cmpuint(c->errors->len, ==, 7);
	g_assert_true(has_msg(c->errors, "[nouicc] Uicc: missing"));
	/* pcsc: a wrong UiccMode (or, built without pcsc-lite, the backend itself) */
	g_assert_true(has_msg(c->errors, "'sharing': expected shared or exclusive") ||
		      has_msg(c->errors, "[pcsc] Uicc: 'pcsc:Reader 0'"));
	g_assert_true(has_msg(c->errors, "[relative] Uicc:"));
	g_assert_true(has_msg(c->errors, "[badport] Network:"));
	g_assert_true(has_msg(c->errors, "[noport] Network:"));
	g_assert_true(has_msg(c->errors, "[badnet] Network:"));
	g_assert_true(has_msg(c->errors, "[bad name]"));
	g_assert_true(has_msg(c->warnings, "[nonet] Network: missing"));
	g_assert_true(has_msg(c->warnings, "[nonet] Typo: unknown key"));
	sb_config_free(c);
}

static void test_config_unreadable(void)
{
	struct sb_config *c = sb_config_load("/nonexistent/stkbridge.conf");

	g_assert_cmpuint(c->modems->len, ==, 0);
	g_assert_cmpuint(c->errors->len, ==, 1);
	sb_config_free(c);
	c = parse("not a key file [");
	g_assert_cmpuint(c->errors->len, ==, 1);
	sb_config_free(c);
}

/* ---- APDU session over a scripted backend ----------------------------------------------- */

struct step {
	const char *apdu;      /* expected command, hex */
	const char *resp;      /* answer, hex; NULL: never answer (timeout) */
};

struct fake {
	struct sb_uicc base;
	const struct step *steps;
	size_t n, pos;
	bool mismatch;
};

static GByteArray *unhex(const char *s)
{
	uint8_t *p = g_malloc(strlen(s) / 2 + 1);
	size_t n;

	g_assert_cmpint(simota_hex_decode(s, p, strlen(s) / 2 + 1, &n), ==, SIMOTA_OK);
	return g_byte_array_new_take(p, n);
}

struct pending {
	sb_uicc_apdu_cb cb;
	void *data;
	GByteArray *resp;
};

static gboolean answer_cb(gpointer p)
{
	struct pending *pd = p;

	pd->cb(NULL, pd->resp->data, pd->resp->len, pd->data);
	g_byte_array_unref(pd->resp);
	g_free(pd);
	return G_SOURCE_REMOVE;
}

static void fake_transmit(struct sb_uicc *u, const uint8_t *apdu, size_t len, unsigned timeout_ms,
			  sb_uicc_apdu_cb cb, void *data)
{
	struct fake *f = (struct fake *)u;
	GByteArray *want;
	struct pending *pd;

	if (f->pos >= f->n) {
		f->mismatch = true;
		return;
	}
	want = unhex(f->steps[f->pos].apdu);
	if (want->len != len || memcmp(want->data, apdu, len) != 0) {
		g_test_message("step %zu: unexpected APDU", f->pos);
		f->mismatch = true;
	}
	g_byte_array_unref(want);
	if (!f->steps[f->pos].resp) {
		f->pos++;
		return;
	}
	pd = g_new0(struct pending, 1);
	pd->cb = cb;
	pd->data = data;
	pd->resp = unhex(f->steps[f->pos].resp);
	f->pos++;
	g_idle_add(answer_cb, pd);
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

struct result {
	bool done;
	bool error;
	uint16_t sw;
	GByteArray *data;
	unsigned proactive;
};

static void done_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct result *r = user;

	r->done = true;
	r->error = err != NULL;
	r->sw = sw;
	r->data = g_byte_array_new();
	g_byte_array_append(r->data, data, (guint)len);
}

static void proactive_cb(unsigned len, void *user)
{
	struct result *r = user;

	r->proactive = len;
}

static void run_session(const struct step *steps, size_t n, const char *command, struct result *r)
{
	struct fake f = { .base = { .ops = &fake_ops, .description = (char *)"fake" }, .steps = steps, .n = n };
	struct sb_apdu_session *s = sb_apdu_session_new(&f.base, 5000);
	GByteArray *cmd = unhex(command);

	memset(r, 0, sizeof(*r));
	sb_apdu_session_set_proactive_cb(s, proactive_cb, r);
	sb_apdu_session_send(s, NULL, cmd->data, cmd->len, done_cb, r);
	while (!r->done)
		g_main_context_iteration(NULL, TRUE);
	g_assert_false(f.mismatch);
	g_assert_cmpuint(f.pos, ==, n);
	g_byte_array_unref(cmd);
	sb_apdu_session_free(s);
}

static void check_data(const struct result *r, const char *hex)
{
	GByteArray *want = unhex(hex);

	g_assert_cmpmem(r->data->data, r->data->len, want->data, want->len);
	g_byte_array_unref(want);
	g_byte_array_unref(r->data);
}

/* 61XX → GET RESPONSE with Le XX, chained, data joined (TS 102 221 §7.3.1.1.4) */
static void test_session_61xx(void)
{
	static const struct step steps[] = {
		{ "00a40804047fff6f07", "6104" },
		{ "00c0000004", "62018202" "6102" },
		{ "00c0000002", "4121" "9000" },
	};
	struct result r;

	run_session(steps, G_N_ELEMENTS(steps), "00a40804047fff6f07", &r);
	g_assert_false(r.error);
	g_assert_cmphex(r.sw, ==, 0x9000);
	check_data(&r, "620182024121");
	g_assert_cmpuint(r.proactive, ==, 0);
}

/* 6CXX → the same command with Le XX (TS 102 221 §7.3.1.1.5) */
static void test_session_6cxx(void)
{
	static const struct step steps[] = {
		{ "00b0000000", "6c09" },
		{ "00b0000009", "080910101032547698" "9000" },
	};
	struct result r;

	run_session(steps, G_N_ELEMENTS(steps), "00b0000000", &r);
	g_assert_cmphex(r.sw, ==, 0x9000);
	check_data(&r, "080910101032547698");
}

/* 91XX → success, and the proactive hook hears of XX bytes (TS 102 221 §7.4.2.2) */
static void test_session_91xx(void)
{
	static const struct step steps[] = {
		{ "80140000020102", "9122" },
	};
	struct result r;

	run_session(steps, G_N_ELEMENTS(steps), "80140000020102", &r);
	g_assert_false(r.error);
	g_assert_cmphex(r.sw, ==, 0x9122);
	g_assert_cmpuint(r.proactive, ==, 0x22);
	g_byte_array_unref(r.data);
}

/* ENVELOPE answered with a warning: the data by GET RESPONSE, the warning kept (TS 31.111 §7.1.1.2) */
static void test_session_envelope_warning(void)
{
	static const struct step steps[] = {
		{ "80c2000003d10100", "6300" },
		{ "00c0000000", "6c03" },
		{ "00c0000003", "aabbcc" "6300" },
	};
	struct result r;

	run_session(steps, G_N_ELEMENTS(steps), "80c2000003d10100", &r);
	g_assert_cmphex(r.sw, ==, 0x6300);
	check_data(&r, "aabbcc");
}

/* ENVELOPE with response data then 91XX after GET RESPONSE */
static void test_session_envelope_61_91(void)
{
	static const struct step steps[] = {
		{ "80c2000003d10100", "6102" },
		{ "00c0000002", "0102" "9110" },
	};
	struct result r;

	run_session(steps, G_N_ELEMENTS(steps), "80c2000003d10100", &r);
	g_assert_cmphex(r.sw, ==, 0x9110);
	g_assert_cmpuint(r.proactive, ==, 0x10);
	check_data(&r, "0102");
}

/* sb_apdu_session_send_next() from a SELECT's callback: its command is the next on the wire */
struct order {
	struct sb_apdu_session *s;
	GString *seen;
	unsigned done;
};

static void order_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user);

static void order_select_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	static const uint8_t read[] = { 0x00, 0xB0, 0x00, 0x00, 0x01 };
	struct order *o = user;

	g_string_append(o->seen, "select ");
	o->done++;
	sb_apdu_session_send_next(o->s, o, read, sizeof(read), order_cb, o);
}

static void order_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct order *o = user;

	g_string_append(o->seen, len ? "read " : "other ");
	o->done++;
}

static void test_session_send_next(void)
{
	static const struct step steps[] = {
		{ "00a4080c047fff6f42", "9000" },
		{ "00b0000001", "aa9000" },       /* the read on the selected file, before ... */
		{ "00a4080c022fe2", "9000" },     /* ... another owner's SELECT queued earlier */
	};
	static const uint8_t select_a[] = { 0x00, 0xA4, 0x08, 0x0C, 0x04, 0x7F, 0xFF, 0x6F, 0x42 };
	static const uint8_t select_b[] = { 0x00, 0xA4, 0x08, 0x0C, 0x02, 0x2F, 0xE2 };
	struct fake f = { .base = { .ops = &fake_ops, .description = (char *)"fake" }, .steps = steps,
			  .n = G_N_ELEMENTS(steps) };
	struct order o = { .s = sb_apdu_session_new(&f.base, 5000), .seen = g_string_new("") };

	sb_apdu_session_send(o.s, &o, select_a, sizeof(select_a), order_select_cb, &o);
	sb_apdu_session_send(o.s, NULL, select_b, sizeof(select_b), order_cb, &o);
	while (o.done < 3)
		g_main_context_iteration(NULL, TRUE);
	g_assert_false(f.mismatch);
	g_assert_cmpstr(o.seen->str, ==, "select read other ");
	g_string_free(o.seen, TRUE);
	sb_apdu_session_free(o.s);
}

/* An error SW is final, with no GET RESPONSE */
static void test_session_error_sw(void)
{
	static const struct step steps[] = {
		{ "00a40804047fff6fae", "6a82" },
	};
	struct result r;

	run_session(steps, G_N_ELEMENTS(steps), "00a40804047fff6fae", &r);
	g_assert_false(r.error);
	g_assert_cmphex(r.sw, ==, 0x6A82);
	g_byte_array_unref(r.data);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/plugin/config/good", test_config_good);
	g_test_add_func("/plugin/config/errors", test_config_errors);
	g_test_add_func("/plugin/config/unreadable", test_config_unreadable);
	g_test_add_func("/plugin/session/61xx", test_session_61xx);
	g_test_add_func("/plugin/session/6cxx", test_session_6cxx);
	g_test_add_func("/plugin/session/91xx", test_session_91xx);
	g_test_add_func("/plugin/session/envelope-warning", test_session_envelope_warning);
	g_test_add_func("/plugin/session/envelope-61-91", test_session_envelope_61_91);
	g_test_add_func("/plugin/session/error-sw", test_session_error_sw);
	g_test_add_func("/plugin/session/send-next", test_session_send_next);
	return g_test_run();
}
