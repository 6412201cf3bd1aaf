/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A client's byte stream split into QMI messages.  libqmi's message API does
 * the framing and the TLV checks (qmi_message_new_from_raw()); what is read
 * here by hand is only what an error answer needs when libqmi refuses a
 * message, and the length that bounds the buffer:
 *
 *   QMUX (libqmi src/libqmi-glib/qmi-message.c, struct full_message):
 *     marker 01 | length (2, LE: all that follows the marker) | flags | service | client id
 *   QMI header: CTL:      flags | transaction (1) | message id (2, LE) | TLV length (2, LE)
 *               services: flags | transaction (2, LE) | message id (2, LE) | TLV length (2, LE)
 *   flags: CTL 01 response, 02 indication; services 02 response, 04 indication;
 *          QMUX flags 80 "sent by the service".
 */
#include <string.h>

#include "modem-emu.h"

#define QMUX_MARKER 0x01
#define QMUX_HEADER 5            /* length, flags, service, client id */
#define CTL_HEADER 6
#define SERVICE_HEADER 7
#define QMUX_FLAG_SERVICE 0x80
#define SERVICE_FLAG_INDICATION 0x04

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

enum me_qmux_status me_qmux_next(GByteArray *in, QmiMessage **msg, struct me_qmux_header *hdr,
				 GError **error)
{
	const uint8_t *p = in->data;
	size_t qlen, hlen;
	GError *err = NULL;
	QmiMessage *m;

	*msg = NULL;
	if (in->len == 0)
		return ME_QMUX_NEED_MORE;
	if (p[0] != QMUX_MARKER) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "QMUX marker %02x instead of 01: framing lost", p[0]);
		return ME_QMUX_FATAL;
	}
	if (in->len < 1 + QMUX_HEADER)
		return ME_QMUX_NEED_MORE;
	qlen = le16(p + 1);
	if (qlen + 1 > ME_QMUX_MAX_FRAME) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
			    "QMUX frame of %zu bytes (at most %d)", qlen + 1, ME_QMUX_MAX_FRAME);
		return ME_QMUX_FATAL;
	}
	hlen = QMUX_HEADER + (p[4] == QMI_SERVICE_CTL ? CTL_HEADER : SERVICE_HEADER);
	if (qlen < hlen) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "QMUX length %zu shorter than the QMUX and QMI headers (%zu)", qlen, hlen);
		return ME_QMUX_FATAL;
	}
	if (in->len < qlen + 1)
		return ME_QMUX_NEED_MORE;
	hdr->service = p[4];
	hdr->cid = p[5];
	if (p[4] == QMI_SERVICE_CTL) {
		hdr->tid = p[7];
		hdr->msgid = le16(p + 8);
	} else {
		hdr->tid = le16(p + 7);
		hdr->msgid = le16(p + 9);
	}
	m = qmi_message_new_from_raw(in, &err);
	if (m) {
		*msg = m;
		return ME_QMUX_MESSAGE;
	}
	if (!err) {
		/* cannot happen: the whole frame is there; keep the stream safe anyway */
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "frame not taken by libqmi");
		return ME_QMUX_FATAL;
	}
	g_propagate_error(error, err);
	return ME_QMUX_MALFORMED;
}

QmiMessage *me_qmi_indication_new(uint8_t service, uint8_t cid, uint16_t msgid)
{
	QmiMessage *m = qmi_message_new((QmiService)service, cid, 0, msgid);
	GByteArray *b = (GByteArray *)m;

	/* libqmi builds requests only: set "sent by the service" and "indication" */
	b->data[3] = QMUX_FLAG_SERVICE;
	b->data[1 + QMUX_HEADER] = SERVICE_FLAG_INDICATION;
	return m;
}

QmiMessage *me_qmi_request_from_header(const struct me_qmux_header *hdr)
{
	return qmi_message_new((QmiService)hdr->service, hdr->cid,
			       hdr->service == QMI_SERVICE_CTL ? (hdr->tid & 0xFF) : hdr->tid, hdr->msgid);
}
