/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One framed byte stream to a peer: the idiom of the plugin's links
 * (uicc/emu.c: uicc-emu's unix socket; net/netsim.c: ota-test-server's
 * netsim link).  It
 *   - connects to a unix socket or a host and port (a GSocketConnectable);
 *   - cuts what it reads into frames with the caller's splitter (the
 *     framing itself is lib/'s: simota/vpcd.h, simota/netsim.h);
 *   - writes with one GIO write in flight and the rest queued (GIO forbids
 *     overlapping writes on one stream);
 *   - bounds a wait for the peer (sb_stream_expect): when it runs out the
 *     connection is dropped as lost;
 *   - once started with a backoff, connects again after every failure or
 *     loss: min_ms, doubling up to max_ms, until sb_stream_backoff_reset()
 *     (the peer said hello) or sb_stream_stop().
 * Everything runs on the GLib main loop.  The handlers may write, drop,
 * stop or free the stream; nothing runs after the stream is freed.
 */
#ifndef SB_LINK_STREAM_H
#define SB_LINK_STREAM_H

#include <gio/gio.h>
#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_STREAM_ERROR (sb_stream_error_quark())
GQuark sb_stream_error_quark(void);

enum sb_stream_error_code {
	SB_STREAM_ERROR_CONNECT,      /* the connection could not be made */
	SB_STREAM_ERROR_CLOSED,       /* the peer closed it */
	SB_STREAM_ERROR_IO,           /* reading or writing failed */
	SB_STREAM_ERROR_FRAMING,      /* the splitter found a malformed frame */
	SB_STREAM_ERROR_TIMEOUT,      /* a bounded wait ran out */
};

struct sb_stream;

struct sb_stream_handlers {
	/* buf (len > 0) starts a frame: its whole length, 0 while more bytes are needed, -1 if malformed. */
	gssize (*split)(const uint8_t *buf, size_t len);
	/* One whole frame, as the splitter cut it. */
	void (*frame)(struct sb_stream *s, const uint8_t *frame, size_t len, void *user);
	/* Connected: frames can be written. */
	void (*connected)(struct sb_stream *s, void *user);
	/* The connection could not be made, or was lost (err: SB_STREAM_ERROR, the cause in its message). */
	void (*lost)(struct sb_stream *s, const GError *err, void *user);
};

/* Takes a reference to peer.  Idle until sb_stream_start(). */
struct sb_stream *sb_stream_new(GSocketConnectable *peer, const struct sb_stream_handlers *h, void *user);
void sb_stream_free(struct sb_stream *s);

/*
 * Connects (unless already connected or connecting).  After a failure or a
 * loss: connects again after min_ms, doubling up to max_ms; min_ms 0: never
 * by itself (the caller starts it again).
 */
void sb_stream_start(struct sb_stream *s, unsigned min_ms, unsigned max_ms);
/* Closes the connection (no lost handler) and connects no more. */
void sb_stream_stop(struct sb_stream *s);
/* Closes this connection as if lost (no lost handler): a started stream connects again after its backoff. */
void sb_stream_drop(struct sb_stream *s);
/* The next reconnection waits min_ms again (the peer is known to work). */
void sb_stream_backoff_reset(struct sb_stream *s);

bool sb_stream_connected(const struct sb_stream *s);
/* Connected or connecting. */
bool sb_stream_active(const struct sb_stream *s);

/* Queues bytes for the peer; false (dropped) when not connected. */
bool sb_stream_write(struct sb_stream *s, const uint8_t *p, size_t len);

/* Starts (or restarts) a bounded wait: unless sb_stream_expect_done() comes first, after ms the
 * connection is lost with SB_STREAM_ERROR_TIMEOUT "no <what> within <ms> ms". */
void sb_stream_expect(struct sb_stream *s, unsigned ms, const char *what);
void sb_stream_expect_done(struct sb_stream *s);

#endif
