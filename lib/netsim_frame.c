/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netsim framing codec (doc/netsim.md). */
#include "simota/netsim.h"

#include <string.h>

enum simota_netsim_parse simota_netsim_frame_next(const uint8_t *p, size_t len, uint8_t *type,
					    const uint8_t **body, size_t *body_len,
					    size_t *consumed)
{
	uint32_t n;

	if (len < 4)
		return SIMOTA_NETSIM_NEED_MORE;
	n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	if (n == 0 || n > SIMOTA_NETSIM_MAX_FRAME)
		return SIMOTA_NETSIM_BAD_LENGTH;
	if (len - 4 < n)
		return SIMOTA_NETSIM_NEED_MORE;
	*type = p[4];
	*body = p + 5;
	*body_len = n - 1;
	*consumed = 4 + (size_t)n;
	return SIMOTA_NETSIM_FRAME;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A length-prefixed string of allowed characters. */
static bool get_str(const uint8_t **p, size_t *len, char *out, size_t cap, bool plus)
{
	size_t n;

	if (*len < 1)
		return false;
	n = (*p)[0];
	if (n + 1 > *len || n >= cap)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (*p)[1 + i];

		if (!(c >= '0' && c <= '9') && !(plus && i == 0 && c == '+'))
			return false;
	}
	memcpy(out, *p + 1, n);
	out[n] = '\0';
	*p += n + 1;
	*len -= n + 1;
	return true;
}

int simota_netsim_frame_decode(uint8_t type, const uint8_t *body, size_t len,
			    struct simota_netsim_frame *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	out->type = type;
	*why = NULL;
	switch (type) {
	case SIMOTA_NETSIM_HELLO:
		if (len < 1) {
			*why = "HELLO: version missing";
			return SIMOTA_NETSIM_E_MALFORMED;
		}
		out->version = body[0];
		body++;
		len--;
		if (out->version != SIMOTA_NETSIM_VERSION) {
			*why = "HELLO: unsupported version";
			return SIMOTA_NETSIM_E_VERSION;
		}
		if (!get_str(&body, &len, out->iccid, sizeof(out->iccid), false) ||
		    !get_str(&body, &len, out->msisdn, sizeof(out->msisdn), true) || len) {
			*why = "HELLO: expected iccid (0-20 digits) and msisdn (+, 0-20 digits)";
			return SIMOTA_NETSIM_E_MALFORMED;
		}
		if (!out->iccid[0] && !out->msisdn[0]) {
			*why = "HELLO: an ICCID or an MSISDN is needed";
			return SIMOTA_NETSIM_E_MALFORMED;
		}
		return 0;
	case SIMOTA_NETSIM_DELIVER:
	case SIMOTA_NETSIM_SUBMIT:
		if (len < 4 || len - 4 > SIMOTA_NETSIM_MAX_TPDU) {
			*why = "expected an id and a TPDU of at most 255 bytes";
			return SIMOTA_NETSIM_E_MALFORMED;
		}
		out->id = get_u32(body);
		out->tpdu_len = len - 4;
		memcpy(out->tpdu, body + 4, out->tpdu_len);
		if (type == SIMOTA_NETSIM_SUBMIT && !out->tpdu_len) {
			*why = "SUBMIT: empty TPDU";
			return SIMOTA_NETSIM_E_MALFORMED;
		}
		return 0;
	case SIMOTA_NETSIM_DELIVER_REPORT:
	case SIMOTA_NETSIM_SUBMIT_REPORT:
		if (len < 6 || len - 6 > SIMOTA_NETSIM_MAX_TPDU || body[4] > SIMOTA_NETSIM_RP_ERROR) {
			*why = "expected id, rp (0 ack, 1 error), cause and an optional TPDU";
			return SIMOTA_NETSIM_E_MALFORMED;
		}
		out->id = get_u32(body);
		out->rp = body[4];
		out->cause = body[5];
		out->tpdu_len = len - 6;
		memcpy(out->tpdu, body + 6, out->tpdu_len);
		return 0;
	case SIMOTA_NETSIM_PING:
	case SIMOTA_NETSIM_PONG:
		if (len != 4) {
			*why = "expected a 4-byte token";
			return SIMOTA_NETSIM_E_MALFORMED;
		}
		out->id = get_u32(body);
		return 0;
	case SIMOTA_NETSIM_HELLO_ACK:
		if (len != 2) {
			*why = "HELLO-ACK: expected version and status";
			return SIMOTA_NETSIM_E_MALFORMED;
		}
		out->version = body[0];
		out->status = body[1];
		return 0;
	case SIMOTA_NETSIM_ERROR:
		if (len < 5) {
			*why = "ERROR: expected code and id";
			return SIMOTA_NETSIM_E_MALFORMED;
		}
		out->status = body[0];
		out->id = get_u32(body + 1);
		len = MIN(len - 5, sizeof(out->text) - 1);
		memcpy(out->text, body + 5, len);
		out->text[len] = '\0';
		return 0;
	default:
		*why = "unknown frame type";
		return SIMOTA_NETSIM_E_UNKNOWN_TYPE;
	}
}

static void put_u32(GByteArray *b, uint32_t v)
{
	uint8_t x[4] = { v >> 24, v >> 16, v >> 8, v };

	g_byte_array_append(b, x, 4);
}

static void put_str(GByteArray *b, const char *s)
{
	uint8_t n = (uint8_t)strlen(s);

	g_byte_array_append(b, &n, 1);
	g_byte_array_append(b, (const uint8_t *)s, n);
}

void simota_netsim_frame_encode(const struct simota_netsim_frame *f, GByteArray *buf)
{
	guint start = buf->len;
	uint8_t t = f->type, x[2];
	uint32_t n;

	put_u32(buf, 0);
	g_byte_array_append(buf, &t, 1);
	switch (f->type) {
	case SIMOTA_NETSIM_HELLO:
		x[0] = f->version ? f->version : SIMOTA_NETSIM_VERSION;
		g_byte_array_append(buf, x, 1);
		put_str(buf, f->iccid);
		put_str(buf, f->msisdn);
		break;
	case SIMOTA_NETSIM_DELIVER:
	case SIMOTA_NETSIM_SUBMIT:
		put_u32(buf, f->id);
		g_byte_array_append(buf, f->tpdu, (guint)f->tpdu_len);
		break;
	case SIMOTA_NETSIM_DELIVER_REPORT:
	case SIMOTA_NETSIM_SUBMIT_REPORT:
		put_u32(buf, f->id);
		x[0] = f->rp;
		x[1] = f->cause;
		g_byte_array_append(buf, x, 2);
		g_byte_array_append(buf, f->tpdu, (guint)f->tpdu_len);
		break;
	case SIMOTA_NETSIM_PING:
	case SIMOTA_NETSIM_PONG:
		put_u32(buf, f->id);
		break;
	case SIMOTA_NETSIM_HELLO_ACK:
		x[0] = f->version ? f->version : SIMOTA_NETSIM_VERSION;
		x[1] = f->status;
		g_byte_array_append(buf, x, 2);
		break;
	case SIMOTA_NETSIM_ERROR:
		x[0] = f->status;
		g_byte_array_append(buf, x, 1);
		put_u32(buf, f->id);
		g_byte_array_append(buf, (const uint8_t *)f->text,
				    (guint)MIN(strlen(f->text), SIMOTA_NETSIM_MAX_FRAME - 6));
		break;
	}
	n = buf->len - start - 4;
	buf->data[start] = (uint8_t)(n >> 24);
	buf->data[start + 1] = (uint8_t)(n >> 16);
	buf->data[start + 2] = (uint8_t)(n >> 8);
	buf->data[start + 3] = (uint8_t)n;
}
