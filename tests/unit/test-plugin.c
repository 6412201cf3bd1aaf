// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The stkbridge plugin's logic that runs without ofonod: the config file
 * (plugin/config.c) and the APDU session's T=0 / T=1 handling (TS 102 221
 * §7.3.1.1, §7.4.2) against a scripted card (fake-card.h).  The card
 * service over it is test-plugin-card.c's; the FCP and PIN status template
 * codecs are lib's, tested in test-ts102221.c.
 */
#include <glib.h>
#include <string.h>

#include "config.h"
#include "card/apdu-session.h"
#include "card/uicc.h"
#include "fake-card.h"
#include "test-support.h"

/* ---- config ------------------------------------------------------------------------- */

static struct sb_config *parse(const char *text)
{
	return sb_config_parse(text, strlen(text), "test.conf");
}

static void test_config_good(void)
{
	struct sb_config *c = parse("[modem0]\n"
				    "Uicc=emu:unix:/run/uicc-emu/card0.sock        # or pcsc:<reader name>\n"
				    "Network=netsim:tcp:127.0.0.1:7890             # or netsim:unix:<path>\n"
				    "[modem1]\n"
				    "Uicc=emu:unix:/tmp/c1.sock\n"
				    "Network=netsim:unix:/tmp/net.sock\n"
				    "[modem2]\n"
				    "Uicc=emu:unix:/tmp/c2.sock\n"
				    "Network=qmi:/dev/cdc-wdm0\n");
	struct sb_modem_conf *m0, *m1, *m2;

	g_assert_cmpuint(c->errors->len, ==, 0);
	g_assert_cmpuint(c->modems->len, ==, 3);
	m0 = g_ptr_array_index(c->modems, 0);
	m1 = g_ptr_array_index(c->modems, 1);
	m2 = g_ptr_array_index(c->modems, 2);
	g_assert_cmpstr(m0->name, ==, "modem0");
	g_assert_cmpint(m0->uicc.kind, ==, SB_UICC_EMU);
	g_assert_cmpstr(m0->uicc.path, ==, "/run/uicc-emu/card0.sock");
	g_assert_cmpint(m0->net.kind, ==, SB_NET_NETSIM_TCP);
	g_assert_cmpstr(m0->net.host, ==, "127.0.0.1");
	g_assert_cmpuint(m0->net.port, ==, 7890);
	g_assert_cmpint(m1->net.kind, ==, SB_NET_NETSIM_UNIX);
	g_assert_cmpstr(m1->net.path, ==, "/tmp/net.sock");
	g_assert_cmpint(m2->net.kind, ==, SB_NET_QMI);
	g_assert_cmpstr(m2->net.path, ==, "/dev/cdc-wdm0");
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
				    "[qmirel]\nUicc=emu:unix:/b.sock\nNetwork=qmi:cdc-wdm0\n"
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
	g_assert_cmpuint(c->errors->len, ==, 8);
	g_assert_true(tv_strings_have(c->errors, "[qmirel] Network: 'qmi:cdc-wdm0': expected qmi:PATH"));
	g_assert_true(tv_strings_have(c->errors, "[nouicc] Uicc: missing"));
	/* pcsc: a wrong UiccMode (or, built without pcsc-lite, the backend itself) */
	g_assert_true(tv_strings_have(c->errors, "'sharing': expected shared or exclusive") ||
		      tv_strings_have(c->errors, "[pcsc] Uicc: 'pcsc:Reader 0'"));
	g_assert_true(tv_strings_have(c->errors, "[relative] Uicc:"));
	g_assert_true(tv_strings_have(c->errors, "[badport] Network:"));
	g_assert_true(tv_strings_have(c->errors, "[noport] Network:"));
	g_assert_true(tv_strings_have(c->errors, "[badnet] Network:"));
	g_assert_true(tv_strings_have(c->errors, "[bad name]"));
	g_assert_true(tv_strings_have(c->warnings, "[nonet] Network: missing"));
	g_assert_true(tv_strings_have(c->warnings, "[nonet] Typo: unknown key"));
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

/* ---- APDU session over a scripted card (fake-card.h) ---------------------------------------- */

/* Sends command through a session over a card on protocol following steps; r gets the outcome. */
static void run_session_on(enum sb_uicc_protocol protocol, const struct fake_step *steps, size_t n,
			   const char *command, struct fake_result *r)
{
	struct fake_card c;
	struct sb_apdu_session *s;

	fake_card_init_script(&c, protocol, steps, n);
	s = sb_apdu_session_new(&c.base, 5000);
	sb_apdu_session_set_proactive_cb(s, fake_result_proactive_cb, r);
	fake_exchange(s, command, r);
	fake_card_done(&c);
	sb_apdu_session_free(s);
	fake_card_clear(&c);
}

static void run_session(const struct fake_step *steps, size_t n, const char *command, struct fake_result *r)
{
	run_session_on(SB_UICC_T0, steps, n, command, r);
}

/* 61XX → GET RESPONSE with Le XX, chained, data joined (TS 102 221 §7.3.1.1.4) */
static void test_session_61xx(void)
{
	static const struct fake_step steps[] = {
		{ "00a40804047fff6f07", "6104" },
		{ "00c0000004", "62018202" "6102" },
		{ "00c0000002", "4121" "9000" },
	};
	struct fake_result r = { 0 };

	run_session(steps, G_N_ELEMENTS(steps), "00a40804047fff6f07", &r);
	g_assert_null(r.err);
	g_assert_cmphex(r.sw, ==, 0x9000);
	fake_result_data(&r, "620182024121");
	g_assert_cmpuint(r.proactive, ==, 0);
	fake_result_clear(&r);
}

/* 6CXX → the same command with Le XX (TS 102 221 §7.3.1.1.5) */
static void test_session_6cxx(void)
{
	static const struct fake_step steps[] = {
		{ "00b0000000", "6c09" },
		{ "00b0000009", "080910101032547698" "9000" },
	};
	struct fake_result r = { 0 };

	run_session(steps, G_N_ELEMENTS(steps), "00b0000000", &r);
	g_assert_cmphex(r.sw, ==, 0x9000);
	fake_result_data(&r, "080910101032547698");
	fake_result_clear(&r);
}

/* 91XX → success, and the proactive hook hears of XX bytes (TS 102 221 §7.4.2.2) */
static void test_session_91xx(void)
{
	static const struct fake_step steps[] = {
		{ "80140000020102", "9122" },
	};
	struct fake_result r = { 0 };

	run_session(steps, G_N_ELEMENTS(steps), "80140000020102", &r);
	g_assert_null(r.err);
	g_assert_cmphex(r.sw, ==, 0x9122);
	g_assert_cmpuint(r.proactive, ==, 0x22);
	fake_result_clear(&r);
}

/* ENVELOPE answered with a warning: the data by GET RESPONSE, the warning kept (TS 31.111 §7.1.1.2) */
static void test_session_envelope_warning(void)
{
	static const struct fake_step steps[] = {
		{ "80c2000003d10100", "6300" },
		{ "00c0000000", "6c03" },
		{ "00c0000003", "aabbcc" "6300" },
	};
	struct fake_result r = { 0 };

	run_session(steps, G_N_ELEMENTS(steps), "80c2000003d10100", &r);
	g_assert_cmphex(r.sw, ==, 0x6300);
	fake_result_data(&r, "aabbcc");
	fake_result_clear(&r);
}

/* ENVELOPE with response data then 91XX after GET RESPONSE */
static void test_session_envelope_61_91(void)
{
	static const struct fake_step steps[] = {
		{ "80c2000003d10100", "6102" },
		{ "00c0000002", "0102" "9110" },
	};
	struct fake_result r = { 0 };

	run_session(steps, G_N_ELEMENTS(steps), "80c2000003d10100", &r);
	g_assert_cmphex(r.sw, ==, 0x9110);
	g_assert_cmpuint(r.proactive, ==, 0x10);
	fake_result_data(&r, "0102");
	fake_result_clear(&r);
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
	static const struct fake_step steps[] = {
		{ "00a4080c047fff6f42", "9000" },
		{ "00b0000001", "aa9000" },       /* the read on the selected file, before ... */
		{ "00a4080c022fe2", "9000" },     /* ... another owner's SELECT queued earlier */
	};
	static const uint8_t select_a[] = { 0x00, 0xA4, 0x08, 0x0C, 0x04, 0x7F, 0xFF, 0x6F, 0x42 };
	static const uint8_t select_b[] = { 0x00, 0xA4, 0x08, 0x0C, 0x02, 0x2F, 0xE2 };
	struct fake_card c;
	struct order o = { .seen = g_string_new("") };

	fake_card_init_script(&c, SB_UICC_T0, steps, G_N_ELEMENTS(steps));
	o.s = sb_apdu_session_new(&c.base, 5000);
	sb_apdu_session_send(o.s, &o, select_a, sizeof(select_a), order_select_cb, &o);
	sb_apdu_session_send(o.s, NULL, select_b, sizeof(select_b), order_cb, &o);
	while (o.done < 3)
		g_main_context_iteration(NULL, TRUE);
	fake_card_done(&c);
	g_assert_cmpstr(o.seen->str, ==, "select read other ");
	g_string_free(o.seen, TRUE);
	sb_apdu_session_free(o.s);
	fake_card_clear(&c);
}

/*
 * A case-1 command (VERIFY without data: PIN1's state, TS 102 221 §11.1.9) on
 * T=0 goes out as a 5-byte TPDU with P3 = 00 (ISO/IEC 7816-3 §12.2.2); a
 * TPDU-level reader passes on what it is given, and a T=0 card answers a
 * 4-byte command 6700.
 */
static void test_session_case1_t0(void)
{
	static const struct fake_step steps[] = {
		{ "0020000100", "63c3" },
	};
	struct fake_result r = { 0 };

	run_session_on(SB_UICC_T0, steps, G_N_ELEMENTS(steps), "00200001", &r);
	g_assert_null(r.err);
	g_assert_cmphex(r.sw, ==, 0x63C3);
	fake_result_clear(&r);
}

/* On T=1 the APDU goes as ISO/IEC 7816-4 §5.1 writes it: case 1 is the 4-byte header; other cases unchanged */
static void test_session_case1_t1(void)
{
	static const struct fake_step verify[] = {
		{ "00200001", "63c3" },
	};
	static const struct fake_step read[] = {
		{ "00b0000009", "080910101032547698" "9000" },
	};
	struct fake_result r = { 0 };

	run_session_on(SB_UICC_T1, verify, G_N_ELEMENTS(verify), "00200001", &r);
	g_assert_cmphex(r.sw, ==, 0x63C3);
	run_session_on(SB_UICC_T1, read, G_N_ELEMENTS(read), "00b0000009", &r);
	g_assert_cmphex(r.sw, ==, 0x9000);
	fake_result_data(&r, "080910101032547698");
	fake_result_clear(&r);
}

/*
 * A case-4 command (SELECT returning the FCP, ENVELOPE: data both ways) is
 * queued as ISO/IEC 7816-4 §5.1 writes it, with Le = 00.  T=0 (ISO/IEC
 * 7816-3 §12.2.4): it goes without its Le and the data comes by 61XX; T=1:
 * with its Le, the data in the answer.
 */
static void test_session_case4(void)
{
	static const struct fake_step t0[] = {
		{ "00a40804027fff", "6104" },
		{ "00c0000004", "62028202" "9000" },
	};
	static const struct fake_step t1[] = {
		{ "00a40804027fff00", "62028202" "9000" },
	};
	struct fake_result r = { 0 };

	run_session_on(SB_UICC_T0, t0, G_N_ELEMENTS(t0), "00a40804027fff00", &r);
	g_assert_cmphex(r.sw, ==, 0x9000);
	fake_result_data(&r, "62028202");
	run_session_on(SB_UICC_T1, t1, G_N_ELEMENTS(t1), "00a40804027fff00", &r);
	g_assert_cmphex(r.sw, ==, 0x9000);
	fake_result_data(&r, "62028202");
	fake_result_clear(&r);
}

/* On T=1 a warning comes with its data, if any: no GET RESPONSE for it (a T=0 procedure, §7.3.1.1.5) */
static void test_session_warning_t1(void)
{
	static const struct fake_step steps[] = {
		{ "80c2000003d1010000", "6300" },
	};
	struct fake_result r = { 0 };

	run_session_on(SB_UICC_T1, steps, G_N_ELEMENTS(steps), "80c2000003d1010000", &r);
	g_assert_null(r.err);
	g_assert_cmphex(r.sw, ==, 0x6300);
	g_assert_cmpuint(r.data->len, ==, 0);
	fake_result_clear(&r);
}

/* An error SW is final, with no GET RESPONSE */
static void test_session_error_sw(void)
{
	static const struct fake_step steps[] = {
		{ "00a40804047fff6fae", "6a82" },
	};
	struct fake_result r = { 0 };

	run_session(steps, G_N_ELEMENTS(steps), "00a40804047fff6fae", &r);
	g_assert_null(r.err);
	g_assert_cmphex(r.sw, ==, 0x6A82);
	fake_result_clear(&r);
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
	g_test_add_func("/plugin/session/case1-t0", test_session_case1_t0);
	g_test_add_func("/plugin/session/case1-t1", test_session_case1_t1);
	g_test_add_func("/plugin/session/case4-le", test_session_case4);
	g_test_add_func("/plugin/session/warning-t1", test_session_warning_t1);
	return g_test_run();
}
