// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * APDU round trips per second through one of the plugin's UICC backends, as
 * the plugin uses them (GLib main loop, apdu-session.c; the pcsc backend's
 * worker thread and its main-loop hop included).  Run by bench/bench-pcsc.py,
 * which starts pcscd, vpcd and uicc-emu.
 *
 *   pcsc-apdu-rate (--emu SOCKET | --pcsc READER) [-n COUNT]
 *
 * Selects EF_ICCID (TS 102 221 §13.2, no response data) then sends COUNT
 * READ BINARY of 10 bytes, one at a time; each is one round trip.  Prints
 * one line: "<backend> <count> <seconds> <per second> <mean us>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "card/apdu-session.h"
#include "card/uicc.h"

static const uint8_t select_iccid[] = { 0x00, 0xA4, 0x08, 0x0C, 0x02, 0x2F, 0xE2 };
static const uint8_t read_iccid[] = { 0x00, 0xB0, 0x00, 0x00, 0x0A };

struct bench {
	GMainLoop *loop;
	struct sb_uicc *uicc;
	struct sb_apdu_session *s;
	unsigned count, done;
	gint64 start, end;
	int status;
};

static void fail(struct bench *b, const char *what, const GError *err, uint16_t sw)
{
	fprintf(stderr, "pcsc-apdu-rate: %s: %s SW %04X\n", what, err ? err->message : "", sw);
	b->status = 1;
	g_main_loop_quit(b->loop);
}

static void read_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct bench *b = user;

	if (err || sw != 0x9000 || len != 10) {
		fail(b, "READ BINARY", err, sw);
		return;
	}
	if (++b->done == b->count) {
		b->end = g_get_monotonic_time();
		g_main_loop_quit(b->loop);
		return;
	}
	sb_apdu_session_send(b->s, NULL, read_iccid, sizeof(read_iccid), read_cb, b);
}

static void select_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct bench *b = user;

	if (err || sw != 0x9000) {
		fail(b, "SELECT EF_ICCID", err, sw);
		return;
	}
	b->start = g_get_monotonic_time();
	sb_apdu_session_send(b->s, NULL, read_iccid, sizeof(read_iccid), read_cb, b);
}

static void atr_cb(const GError *err, const uint8_t *atr, size_t len, void *user)
{
	struct bench *b = user;

	if (err) {
		fail(b, "power on", err, 0);
		return;
	}
	b->s = sb_apdu_session_new(b->uicc, 5000);
	sb_apdu_session_send(b->s, NULL, select_iccid, sizeof(select_iccid), select_cb, b);
}

static gboolean start_cb(gpointer p)
{
	struct bench *b = p;

	sb_uicc_power_on(b->uicc, atr_cb, b);
	return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
	struct bench b = { .count = 2000 };
	struct sb_uicc_addr addr = { 0 };
	const char *name = NULL;
	double secs;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--emu")) {
			addr.kind = SB_UICC_EMU;
			name = "emu";
		} else if (!strcmp(argv[i], "--pcsc")) {
			addr.kind = SB_UICC_PCSC;
			name = "pcsc";
		} else if (!strcmp(argv[i], "-n")) {
			b.count = (unsigned)strtoul(argv[i + 1], NULL, 10);
			continue;
		} else {
			name = NULL;
			break;
		}
		addr.path = argv[i + 1];
	}
	if (!name || !addr.path || !b.count) {
		fprintf(stderr, "usage: pcsc-apdu-rate (--emu SOCKET | --pcsc READER) [-n COUNT]\n");
		return 2;
	}
#ifndef SB_HAVE_PCSC
	if (addr.kind == SB_UICC_PCSC) {
		fprintf(stderr, "pcsc-apdu-rate: built without pcsc-lite\n");
		return 77;
	}
#endif
	b.loop = g_main_loop_new(NULL, FALSE);
	b.uicc = sb_uicc_new(&addr);
	g_idle_add(start_cb, &b);
	g_main_loop_run(b.loop);
	if (b.status == 0) {
		secs = (double)(b.end - b.start) / 1e6;
		printf("%s %u %.3f %.0f %.1f\n", name, b.count, secs, b.count / secs, secs * 1e6 / b.count);
	}
	sb_apdu_session_free(b.s);
	sb_uicc_power_off(b.uicc);
	sb_uicc_free(b.uicc);
	g_main_loop_unref(b.loop);
	return b.status;
}
