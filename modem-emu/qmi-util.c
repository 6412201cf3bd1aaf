/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TLV reading and writing through libqmi's message API (qmi_message_tlv_*):
 * integers are little-endian (QMI), arrays carry a 1- or 2-byte length in
 * front as libqmi's data/qmi-service-*.json say ("size-prefix-format").
 */
#include <string.h>

#include "modem-emu.h"

/* ---- writing ------------------------------------------------------------------------------------- */

void me_tlv_begin(struct me_tlv_w *t, QmiMessage *m, uint8_t type)
{
	t->m = m;
	t->error = NULL;
	t->init = qmi_message_tlv_write_init(m, type, &t->error);
}

#define W(call) do { if (!t->error && t->init) (void)(call); } while (0)

void me_tlv_u8(struct me_tlv_w *t, uint8_t v)
{
	W(qmi_message_tlv_write_guint8(t->m, v, &t->error));
}

void me_tlv_u16(struct me_tlv_w *t, uint16_t v)
{
	W(qmi_message_tlv_write_guint16(t->m, QMI_ENDIAN_LITTLE, v, &t->error));
}

void me_tlv_u32(struct me_tlv_w *t, uint32_t v)
{
	W(qmi_message_tlv_write_guint32(t->m, QMI_ENDIAN_LITTLE, v, &t->error));
}

void me_tlv_i8(struct me_tlv_w *t, int8_t v)
{
	W(qmi_message_tlv_write_gint8(t->m, v, &t->error));
}

void me_tlv_i16(struct me_tlv_w *t, int16_t v)
{
	W(qmi_message_tlv_write_gint16(t->m, QMI_ENDIAN_LITTLE, v, &t->error));
}

void me_tlv_bytes(struct me_tlv_w *t, unsigned prefix, const uint8_t *p, size_t len)
{
	if (prefix == 1 && len > 0xFF)
		len = 0xFF;
	if (prefix)
		W(qmi_message_tlv_write_sized_guint(t->m, prefix, QMI_ENDIAN_LITTLE, len, &t->error));
	for (size_t i = 0; i < len; i++)
		W(qmi_message_tlv_write_guint8(t->m, p[i], &t->error));
}

void me_tlv_string(struct me_tlv_w *t, unsigned prefix, const char *s)
{
	W(qmi_message_tlv_write_string(t->m, (guint8)prefix, s, -1, &t->error));
}

bool me_tlv_end(struct me_tlv_w *t)
{
	if (!t->error && t->init && qmi_message_tlv_write_complete(t->m, t->init, &t->error))
		return true;
	g_log(ME_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "TLV not written: %s",
	      t->error ? t->error->message : "no room");
	if (t->init)
		qmi_message_tlv_write_reset(t->m, t->init);
	g_clear_error(&t->error);
	return false;
}

void me_tlv_put_u8(QmiMessage *m, uint8_t type, uint8_t v)
{
	struct me_tlv_w t;

	me_tlv_begin(&t, m, type);
	me_tlv_u8(&t, v);
	me_tlv_end(&t);
}

void me_tlv_put_u32(QmiMessage *m, uint8_t type, uint32_t v)
{
	struct me_tlv_w t;

	me_tlv_begin(&t, m, type);
	me_tlv_u32(&t, v);
	me_tlv_end(&t);
}

void me_tlv_put_string(QmiMessage *m, uint8_t type, const char *s)
{
	struct me_tlv_w t;

	me_tlv_begin(&t, m, type);
	me_tlv_string(&t, 0, s);
	me_tlv_end(&t);
}

/* ---- reading ------------------------------------------------------------------------------------- */

bool me_tlv_open(struct me_tlv_r *r, QmiMessage *m, uint8_t type)
{
	memset(r, 0, sizeof(*r));
	r->m = m;
	r->init = qmi_message_tlv_read_init(m, type, &r->len, NULL);
	return r->init != 0;
}

bool me_rd_u8(struct me_tlv_r *r, uint8_t *v)
{
	if (r->bad || !qmi_message_tlv_read_guint8(r->m, r->init, &r->off, v, NULL))
		return !(r->bad = true);
	return true;
}

bool me_rd_u16(struct me_tlv_r *r, uint16_t *v)
{
	if (r->bad || !qmi_message_tlv_read_guint16(r->m, r->init, &r->off, QMI_ENDIAN_LITTLE, v, NULL))
		return !(r->bad = true);
	return true;
}

bool me_rd_u32(struct me_tlv_r *r, uint32_t *v)
{
	if (r->bad || !qmi_message_tlv_read_guint32(r->m, r->init, &r->off, QMI_ENDIAN_LITTLE, v, NULL))
		return !(r->bad = true);
	return true;
}

size_t me_rd_left(const struct me_tlv_r *r)
{
	return r->off <= r->len ? r->len - r->off : 0;
}

bool me_rd_bytes(struct me_tlv_r *r, unsigned prefix, uint8_t *out, size_t cap, size_t *len)
{
	guint64 n = 0;

	*len = 0;
	if (r->bad || !qmi_message_tlv_read_sized_guint(r->m, r->init, &r->off, prefix, QMI_ENDIAN_LITTLE,
							 &n, NULL) ||
	    n > cap || n > me_rd_left(r))
		return !(r->bad = true);
	for (size_t i = 0; i < n; i++)
		if (!me_rd_u8(r, &out[i]))
			return false;
	*len = (size_t)n;
	return true;
}

bool me_rd_string(struct me_tlv_r *r, unsigned prefix, char *out, size_t cap)
{
	size_t n;

	if (prefix == 0) {
		n = me_rd_left(r);
		if (r->bad || n >= cap)
			return !(r->bad = true);
		for (size_t i = 0; i < n; i++)
			if (!me_rd_u8(r, (uint8_t *)&out[i]))
				return false;
		out[n] = '\0';
	} else {
		if (!cap || !me_rd_bytes(r, prefix, (uint8_t *)out, cap - 1, &n))
			return !(r->bad = true);
		out[n] = '\0';
	}
	if (memchr(out, '\0', n))
		return !(r->bad = true);   /* an embedded NUL */
	return true;
}
