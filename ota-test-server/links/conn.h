/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One stream of a southbound link (a netsim device, an SMPP session): what
 * is read goes into a buffer the link consumes, what the link queues is
 * written in order, one write in flight at a time, in the thread-default
 * main context.  Closing stops both at once; the connection is freed when
 * the I/O in flight has returned, so no callback ever runs after close.
 */
#ifndef OTS_CONN_H
#define OTS_CONN_H

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>

struct ots_conn {
	GByteArray *in;    /* read, not yet consumed: on_data removes what it used */
	GByteArray *out;   /* queued by the link: ots_conn_flush() writes it */
	/* private */
	GSocketConnection *sc;
	GCancellable *cancel;
	GBytes *writing;
	bool closed, close_when_flushed;
	char *flushed_why;
	void (*on_data)(void *user);
	void (*on_close)(void *user, const char *why);
	void *user;
	int refs;
	uint8_t rbuf[16384];
};

/*
 * Starts reading sc (a reference is taken).  on_data(user) after bytes were
 * appended to in; on_close(user, why) once, when the stream ended or failed
 * (not after ots_conn_close()): the connection is closed then and freed after
 * the call, so the link forgets it there.
 */
struct ots_conn *ots_conn_new(GSocketConnection *sc, void (*on_data)(void *user),
			      void (*on_close)(void *user, const char *why), void *user);
/* Writes what is in out (after what is being written). */
void ots_conn_flush(struct ots_conn *c);
/* Closes at once: no callback runs any more; freed when its I/O has returned. */
void ots_conn_close(struct ots_conn *c);
/* Closes once out has been written (on_close(why) then), reading nothing more. */
void ots_conn_close_when_flushed(struct ots_conn *c, const char *why);

#endif
