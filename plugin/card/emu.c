// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The "emu" UICC backend: uicc-emu's unix socket (doc/uicc-transport.md).
 * Frames are a 2-byte big-endian length and a payload; the codec is
 * lib/vpcd_frame.c, the stream under it link/stream.c.  power_on connects,
 * sends "power on" (01) and "get ATR" (04) and waits for the ATR frame; each
 * APDU gets exactly one answer frame.  An APDU not answered within its
 * bounded wait fails with SB_CARD_ERROR_TIMEOUT and the link is closed (a
 * late answer would be taken for the next command's).  The link stands for
 * a T=0 card.  Connecting again after a loss is the modem's decision
 * (power_on), not the stream's.
 */
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <string.h>

#include "link/stream.h"
#include "card/uicc.h"
#include "simota/vpcd.h"

#define EMU_ATR_TIMEOUT_MS 5000

enum emu_wait {
	EMU_WAIT_NONE,
	EMU_WAIT_ATR,
	EMU_WAIT_APDU,
};

struct emu {
	struct sb_uicc base;
	struct sb_stream *link;
	bool ready;                     /* ATR received */
	GCancellable *lifetime;         /* cancelled by destroy */

	enum emu_wait wait;
	sb_uicc_atr_cb atr_cb;
	sb_uicc_apdu_cb apdu_cb;
	void *cb_data;
};

static void emu_close(struct emu *e)
{
	e->ready = false;
	sb_stream_stop(e->link);
}

/* Completes the waiting operation (the callback may start the next one or destroy e). */
static void emu_finish(struct emu *e, const GError *err, const uint8_t *p, size_t len)
{
	enum emu_wait wait = e->wait;
	void *data = e->cb_data;

	sb_stream_expect_done(e->link);
	e->wait = EMU_WAIT_NONE;
	e->cb_data = NULL;
	if (wait == EMU_WAIT_ATR)
		e->atr_cb(err, p, len, data);
	else if (wait == EMU_WAIT_APDU)
		e->apdu_cb(err, p, len, data);
}

/* The link is gone: close it, fail the waiting operation, tell the owner if the card was up. */
static void emu_link_lost(struct emu *e, GError *why)
{
	bool was_ready = e->ready;
	GCancellable *alive = g_object_ref(e->lifetime);

	emu_close(e);
	if (e->wait != EMU_WAIT_NONE)
		emu_finish(e, why, NULL, 0);
	if (!g_cancellable_is_cancelled(alive) && was_ready && e->base.lost)
		e->base.lost(why, e->base.lost_data);
	g_object_unref(alive);
	g_error_free(why);
}

static gssize emu_split(const uint8_t *buf, size_t len)
{
	struct simota_vpcd_frame f = simota_vpcd_frame_parse(buf, len);

	return f.kind == SIMOTA_VPCD_INCOMPLETE ? 0 : (gssize)f.consumed;
}

static void emu_on_frame(struct sb_stream *link, const uint8_t *frame, size_t n, void *user)
{
	struct emu *e = user;
	struct simota_vpcd_frame f = simota_vpcd_frame_parse(frame, n);

	if (e->wait == EMU_WAIT_NONE) {
		emu_link_lost(e, g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_PROTOCOL,
					     "%s: unsolicited frame from the card", e->base.description));
		return;
	}
	if (f.len < 2) {
		emu_link_lost(e, g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_PROTOCOL,
					     "%s: %zu-byte answer from the card", e->base.description, f.len));
		return;
	}
	if (e->wait == EMU_WAIT_ATR)
		e->ready = true;
	emu_finish(e, NULL, f.payload, f.len);
}

static void emu_on_lost(struct sb_stream *link, const GError *err, void *user)
{
	struct emu *e = user;
	int code;

	switch (err->code) {
	case SB_STREAM_ERROR_CONNECT:
		code = SB_CARD_ERROR_ABSENT;
		break;
	case SB_STREAM_ERROR_TIMEOUT:
		code = SB_CARD_ERROR_TIMEOUT;
		break;
	case SB_STREAM_ERROR_FRAMING:
		code = SB_CARD_ERROR_PROTOCOL;
		break;
	default:
		code = SB_CARD_ERROR_LINK;
		break;
	}
	emu_link_lost(e, g_error_new(SB_CARD_ERROR, code, "%s: card link: %s", e->base.description, err->message));
}

static void emu_send_frame(struct emu *e, const uint8_t *payload, size_t len)
{
	uint8_t *buf = g_malloc(len + SIMOTA_VPCD_HEADER);
	size_t n = simota_vpcd_frame_encode(payload, len, buf, len + SIMOTA_VPCD_HEADER);

	sb_stream_write(e->link, buf, n);
	g_free(buf);
}

static void emu_on_connected(struct sb_stream *link, void *user)
{
	struct emu *e = user;
	static const uint8_t power_on = SIMOTA_VPCD_CTRL_POWER_ON, get_atr = SIMOTA_VPCD_CTRL_GET_ATR;

	emu_send_frame(e, &power_on, 1);
	emu_send_frame(e, &get_atr, 1);
	sb_stream_expect(link, EMU_ATR_TIMEOUT_MS, "ATR from the card");
}

/* Errors found at call time are reported from the main loop, never from inside the call. */
static void emu_fail_later(struct emu *e, enum emu_wait wait, sb_uicc_atr_cb atr_cb, sb_uicc_apdu_cb apdu_cb,
			   void *data, GError *err)
{
	sb_uicc_fail_later(e->lifetime, wait == EMU_WAIT_ATR ? atr_cb : NULL, apdu_cb, data, err);
}

static void emu_power_on(struct sb_uicc *u, sb_uicc_atr_cb cb, void *data)
{
	struct emu *e = (struct emu *)u;

	if (e->wait != EMU_WAIT_NONE || sb_stream_active(e->link)) {
		emu_fail_later(e, EMU_WAIT_ATR, cb, NULL, data,
			       g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_BUSY, "%s: already connected", u->description));
		return;
	}
	e->wait = EMU_WAIT_ATR;
	e->atr_cb = cb;
	e->cb_data = data;
	sb_stream_start(e->link, 0, 0);
}

static void emu_transmit(struct sb_uicc *u, const uint8_t *apdu, size_t len, unsigned timeout_ms,
			 sb_uicc_apdu_cb cb, void *data)
{
	struct emu *e = (struct emu *)u;

	if (!e->ready || e->wait != EMU_WAIT_NONE || len < 4 || len > SIMOTA_VPCD_MAX_PAYLOAD) {
		int code = !e->ready ? SB_CARD_ERROR_ABSENT :
			   e->wait != EMU_WAIT_NONE ? SB_CARD_ERROR_BUSY : SB_CARD_ERROR_PROTOCOL;

		emu_fail_later(e, EMU_WAIT_APDU, NULL, cb, data,
			       g_error_new(SB_CARD_ERROR, code, "%s: cannot send the APDU (%s)", u->description,
					   code == SB_CARD_ERROR_ABSENT ? "no card" :
					   code == SB_CARD_ERROR_BUSY ? "busy" : "bad length"));
		return;
	}
	e->wait = EMU_WAIT_APDU;
	e->apdu_cb = cb;
	e->cb_data = data;
	emu_send_frame(e, apdu, len);
	sb_stream_expect(e->link, timeout_ms, "answer from the card");
}

static void emu_power_off(struct sb_uicc *u)
{
	struct emu *e = (struct emu *)u;
	GError *err;

	/* closing the link powers the card off (the last link of a slot) */
	emu_close(e);
	if (e->wait != EMU_WAIT_NONE) {
		err = g_error_new(SB_CARD_ERROR, SB_CARD_ERROR_ABSENT, "%s: powered off", u->description);
		emu_fail_later(e, e->wait, e->atr_cb, e->apdu_cb, e->cb_data, err);
		e->wait = EMU_WAIT_NONE;
	}
}

static void emu_destroy(struct sb_uicc *u)
{
	struct emu *e = (struct emu *)u;

	g_cancellable_cancel(e->lifetime);
	sb_stream_free(e->link);
	g_object_unref(e->lifetime);
	g_free(e);
}

static const struct sb_uicc_ops emu_ops = {
	.name = "emu",
	.power_on = emu_power_on,
	.transmit = emu_transmit,
	.power_off = emu_power_off,
	.destroy = emu_destroy,
};

static const struct sb_stream_handlers emu_link = {
	.split = emu_split,
	.frame = emu_on_frame,
	.connected = emu_on_connected,
	.lost = emu_on_lost,
};

struct sb_uicc *sb_uicc_emu_new(const char *socket_path)
{
	struct emu *e = g_new0(struct emu, 1);
	GSocketAddress *peer = g_unix_socket_address_new(socket_path);

	e->base.ops = &emu_ops;
	e->base.description = g_strdup_printf("emu:unix:%s", socket_path);
	e->base.protocol = SB_UICC_T0;        /* uicc-emu is a T=0 card (its ATR offers T=0 only) */
	e->link = sb_stream_new(G_SOCKET_CONNECTABLE(peer), &emu_link, e);
	e->lifetime = g_cancellable_new();
	g_object_unref(peer);
	return &e->base;
}
