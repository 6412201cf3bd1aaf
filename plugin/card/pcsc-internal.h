/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the "pcsc" UICC backend (doc/pcsc.md): the reader-event monitor
 * (pcsc-monitor.c) and the reader matching rule shared with pcsc.c.
 *
 * The monitor is a thread with its own SCARDCONTEXT that waits in
 * SCardGetStatusChange on every reader and on the "\\?PnP?\Notification"
 * pseudo reader.  Each change is posted to the main context as a snapshot
 * (reader names and event states).  When pcscd goes away
 * (SCARD_E_NO_SERVICE, SCARD_E_SERVICE_STOPPED) it says so, drops its
 * context and establishes a new one with a backoff (250 ms doubling to 5 s).
 * It is stopped with SCardCancel and joined.
 */
#ifndef SB_PCSC_INTERNAL_H
#define SB_PCSC_INTERNAL_H

#include <gio/gio.h>
#include <stdbool.h>
#include <winscard.h>

struct sb_pcsc_reader_state {
	char *name;
	DWORD state;              /* SCARD_STATE_* of the last event */
};

struct sb_pcsc_snapshot {
	bool service;             /* pcscd reachable */
	LONG service_rv;          /* why not, when !service */
	GArray *readers;          /* struct sb_pcsc_reader_state */
};

/* Runs on the main context the monitor was created on; snap is freed after the call. */
typedef void (*sb_pcsc_snapshot_cb)(const struct sb_pcsc_snapshot *snap, void *data);

struct sb_pcsc_monitor;

/* alive: when cancelled, no more callbacks (checked on the main context). */
struct sb_pcsc_monitor *sb_pcsc_monitor_start(sb_pcsc_snapshot_cb cb, void *data, GCancellable *alive);
/* SCardCancel, join. */
void sb_pcsc_monitor_stop(struct sb_pcsc_monitor *m);

/* Does reader name match the configured spec: exact, prefix, or "*"?  rank: 0 exact, 1 prefix, 2 any. */
bool sb_pcsc_reader_matches(const char *spec, const char *name, int *rank);

/* A card the plugin can use is in the reader (present, not mute). */
static inline bool sb_pcsc_state_has_card(DWORD state)
{
	return (state & SCARD_STATE_PRESENT) && !(state & (SCARD_STATE_MUTE | SCARD_STATE_UNAVAILABLE));
}

static inline bool sb_pcsc_service_gone(LONG rv)
{
	return rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED || rv == SCARD_E_INVALID_HANDLE;
}

#endif
