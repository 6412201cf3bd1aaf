/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared helpers of the ota-test-server tests. */
#ifndef SERVER_TEST_H
#define SERVER_TEST_H

#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"

#define TEST_ICCID "89882390000000000017"
#define TEST_ICCID2 "89882390000000000025"

/* A card config like uicc-emu/examples/card0.ini with a second TAR whose PoR comes by SMS-SUBMIT. */
static inline char *write_card_ini(const char *dir, const char *name, const char *iccid,
				   const char *msisdn)
{
	char *path = g_build_filename(dir, name, NULL);
	char *text = g_strdup_printf(
		"[card]\niccid=%s\nimsi=001010123456789\nmsisdn=%s\n\n"
		"[keyset 1]\nkic=15\nkid=15\n"
		"kic-key=0123456789abcdeffedcba9876543210\n"
		"kid-key=112233445566778899aabbccddeeff00\ncounter=0000000000\n\n"
		"[tar defe01]\napplet=deferred\nkeysets=1\nmin-security-level=16\n"
		"ir=fixed:30\nmg-address=+15550100\nspi=1619\n\n"
		"[tar defe02]\napplet=deferred\nkeysets=1\nmin-security-level=16\n"
		"ir=fixed:30\nspi=1639\n", iccid, msisdn);

	g_assert_true(g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
	g_free(text);
	return path;
}

/*
 * The card of the flow tests (uicc-emu and the server read the same file):
 * one TAR per RQ form the card's IR can carry, one whose PoR goes by
 * SMS-SUBMIT, one in prior-art mode.  Element 84 of a C1 (the server's SV1
 * address, sent when the EV policy has "mg") makes the applet send an MG
 * from any TAR; defe03 has its own mg-address as well.
 */
#define TAR_FIXED "defe01"      /* IR fixed 1 s, PoR by DELIVER-REPORT */
#define TAR_SUBMIT "defe02"     /* IR fixed 1 s, PoR by SMS-SUBMIT (SPI2 b6) */
#define TAR_UNTIL_MG "defe03"   /* IR until event "MG sent" */
#define TAR_INDEFINITE "defe04" /* IR indefinite */
#define TAR_NEXT "defe05"       /* IR until event "next session" (without 84) */
#define TAR_PRIOR_ART "defe06"  /* mode=prior-art: no IR, R1 lost */

static inline char *write_flow_card_ini(const char *dir, const char *name, const char *iccid,
					const char *msisdn)
{
	char *path = g_build_filename(dir, name, NULL);
	char *text = g_strdup_printf(
		"[card]\niccid=%s\nimsi=001010123456789\nmsisdn=%s\n\n"
		"[keyset 1]\nkic=15\nkid=15\n"
		"kic-key=0123456789abcdeffedcba9876543210\n"
		"kid-key=112233445566778899aabbccddeeff00\ncounter=0000000000\n\n"
		"[tar " TAR_FIXED "]\nkeysets=1\nmin-security-level=16\nir=fixed:1\nspi=1619\n"
		"[tar " TAR_SUBMIT "]\nkeysets=1\nmin-security-level=16\nir=fixed:1\nspi=1639\n"
		"[tar " TAR_UNTIL_MG "]\nkeysets=1\nmin-security-level=16\nir=event\n"
		"mg-address=+15550100\nspi=1619\n"
		"[tar " TAR_INDEFINITE "]\nkeysets=1\nmin-security-level=16\nir=indefinite\nspi=1619\n"
		"[tar " TAR_NEXT "]\nkeysets=1\nmin-security-level=16\nir=event\nspi=1619\n"
		"[tar " TAR_PRIOR_ART "]\nkeysets=1\nmin-security-level=16\nmode=prior-art\n"
		"ir=fixed:1\nspi=1619\n", iccid, msisdn);

	g_assert_true(g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
	g_free(text);
	return path;
}

/*
 * A card whose RFM applets use the deferred applet's keyset (so that me-sim
 * watches the counter they share): USIM RFM on b00001 (the server's SPI
 * toward it usim_spi, NULL: 1619), SIM RFM on b00010, b00011 with an SPI
 * below its minimum security level, a deferred TAR.  The file is
 * dir/ICCID.ini (g_free the path).
 */
static inline char *write_rfm_card_ini(const char *dir, const char *iccid, const char *msisdn,
				       const char *usim_spi)
{
	char *name = g_strdup_printf("%s.ini", iccid);
	char *path = g_build_filename(dir, name, NULL);
	char *text = g_strdup_printf(
		"[card]\niccid=%s\nimsi=001010123456789\nmsisdn=%s\nadm1=11223344\nspn=before\n\n"
		"[keyset 1]\nkic=15\nkid=15\n"
		"kic-key=0123456789abcdeffedcba9876543210\n"
		"kid-key=112233445566778899aabbccddeeff00\ncounter=0000000000\n\n"
		"[tar b00001]\napplet=rfm\nrfm-df=adf-usim\naccess=adm1\nkeysets=1\nmin-security-level=16\n"
		"spi=%s\n"
		"[tar b00010]\napplet=rfm\nrfm-df=df-gsm\naccess=adm1\nkeysets=1\nmin-security-level=16\n"
		"[tar b00011]\napplet=rfm\nrfm-df=df-gsm\naccess=adm1\nkeysets=1\nmin-security-level=16\n"
		"spi=0001\n"
		"[tar defe01]\napplet=deferred\nkeysets=1\nmin-security-level=16\nir=fixed:1\nspi=1619\n",
		iccid, msisdn, usim_spi ? usim_spi : "1619");

	g_assert_true(g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
	g_free(text);
	g_free(name);
	return path;
}

/*
 * An RFM request whose script does not fit the 8 SMS a command packet may
 * take: 5 UPDATE BINARY of 255 bytes, 1 300 bytes (g_free).
 */
static inline char *rfm_request_too_long(const char *iccid, const char *tar)
{
	GString *s = g_string_new(NULL);

	g_string_printf(s, "{\"iccid\":\"%s\",\"tar\":\"%s\",\"apdus\":[", iccid, tar);
	for (unsigned i = 0; i < 5; i++) {
		g_string_append_printf(s, "%s\"a0d6%04xff", i ? "," : "", i * 255);
		for (unsigned j = 0; j < 255; j++)
			g_string_append(s, "5a");
		g_string_append_c(s, '"');
	}
	g_string_append(s, "]}");
	return g_string_free(s, FALSE);
}

/* Number of timeline entries of this kind in a transaction JSON. */
static inline unsigned count_events(JsonNode *tx, const char *kind)
{
	JsonArray *a = json_object_get_array_member(json_node_get_object(tx), "timeline");
	unsigned n = 0;

	for (unsigned i = 0; i < json_array_get_length(a); i++)
		if (strcmp(json_object_get_string_member(json_array_get_object_element(a, i), "event"),
			   kind) == 0)
			n++;
	return n;
}

/* The i-th (0-based) event of this kind, or NULL. */
static inline JsonObject *find_event(JsonNode *tx, const char *kind, unsigned nth)
{
	JsonArray *a = json_object_get_array_member(json_node_get_object(tx), "timeline");

	for (unsigned i = 0; i < json_array_get_length(a); i++) {
		JsonObject *o = json_array_get_object_element(a, i);

		if (strcmp(json_object_get_string_member(o, "event"), kind) == 0 && nth-- == 0)
			return o;
	}
	return NULL;
}

static inline const char *tx_state(JsonNode *tx)
{
	return json_object_get_string_member(json_node_get_object(tx), "state");
}

/* A loopback TCP port free now (bound to 0, read, closed). */
static inline guint16 test_free_port(void)
{
	GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
				  G_SOCKET_PROTOCOL_TCP, NULL);
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GSocketAddress *sa = g_inet_socket_address_new(lo, 0), *bound;
	guint16 port;

	g_assert_true(g_socket_bind(s, sa, FALSE, NULL));
	bound = g_socket_get_local_address(s, NULL);
	port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	g_object_unref(bound);
	g_object_unref(sa);
	g_object_unref(lo);
	g_socket_close(s, NULL);
	g_object_unref(s);
	return port;
}

/* The first column of the first row sql gives on db (-1: no row); a failure aborts the test. */
static inline int64_t test_db_int(struct ots_db *db, const char *sql)
{
	struct ots_db_stmt *st = ots_db_stmt(db, sql);
	GError *error = NULL;
	int64_t v = -1;

	if (ots_db_next(st, &error))
		v = ots_db_column_int(st, 0);
	ots_db_reset(st);
	g_assert_no_error(error);
	return v;
}

/*
 * The messages logged that name a test's refusing trigger ("refused by the
 * test": RAISE ... in the trigger): a log writer that counts them and
 * writes everything as GLib would.  Install it once, at the start of main
 * (GLib takes one writer per process).
 */
static unsigned test_refusals;

static inline GLogWriterOutput test_count_refusals(GLogLevelFlags level, const GLogField *fields,
						   gsize n, gpointer user)
{
	for (gsize i = 0; i < n; i++)
		if (strcmp(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0 &&
		    strstr(fields[i].value, "refused by the test"))
			test_refusals++;
	return g_log_writer_default(level, fields, n, user);
}

#endif
