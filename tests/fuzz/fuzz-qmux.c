/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * modem-emu's input path (proxy.c, qmux.c, modem.c, svc-*.c) on an
 * arbitrary byte stream from one qmi-proxy client: QMUX framing, "internal
 * proxy open", CTL, and every service's TLV parsing and answers, against a
 * modem whose SIM is out (the UIM and CAT requests stop at "no SIM" after
 * their TLVs are read) and whose messages stored in the modem (NV) are
 * real.  Checked for every message modem-emu sends back: libqmi reads it
 * as one whole message, a response or an indication, and a response has
 * its result TLV (0x02, 4 bytes).  The client's CIDs are released after
 * every input.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "modem-emu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct me_server srv;
static struct me_modem *modem;

static void check_output(void *user, QmiMessage *m)
{
	gsize len;
	const guint8 *raw = qmi_message_get_raw(m, &len, NULL);
	GByteArray *copy;
	QmiMessage *back;
	guint16 rlen;

	if (!raw)
		abort();
	copy = g_byte_array_new();
	g_byte_array_append(copy, raw, (guint)len);
	back = qmi_message_new_from_raw(copy, NULL);
	if (!back || copy->len != 0)
		abort();   /* not one whole valid message */
	if (!qmi_message_is_response(back) && !qmi_message_is_indication(back))
		abort();
	if (qmi_message_is_response(back) && (!qmi_message_get_raw_tlv(back, 0x02, &rlen) || rlen != 4))
		abort();
	if (g_getenv("FUZZ_QMUX_PRINT")) {
		char *text = qmi_message_get_printable_full(back, NULL, "");

		g_printerr("%s\n", text);
		g_free(text);
	}
	qmi_message_unref(back);
	g_byte_array_unref(copy);
}

static void quiet(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer user)
{
}

static void setup(void)
{
	struct me_modem_config cfg;

	g_log_set_handler(ME_LOG_DOMAIN, G_LOG_LEVEL_MASK, quiet, NULL);
	srv.proxy_name = g_strdup("fuzz");
	srv.run_dir = g_strdup("/nonexistent");
	srv.modems = g_ptr_array_new();
	/* a SIM that is never inserted, no radio: every request is answered at once */
	if (!me_modem_config_parse("/dev/fuzz-qmi,sim=unix:/nonexistent/sim.sock", &cfg, NULL))
		abort();
	modem = me_modem_new(&srv, &cfg, 0);
	g_ptr_array_add(srv.modems, modem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct me_client *c;

	if (!modem)
		setup();
	c = me_client_new_detached(&srv, check_output, NULL);
	me_client_ref(c);
	me_client_input(c, data, size);
	me_client_close(c, "end of input");
	me_client_unref(c);
	me_modem_release_all(modem);
	modem->muted = false;
	return 0;
}
