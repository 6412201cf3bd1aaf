/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The netsim link (radio.h). */
#include <string.h>

#include "radio.h"
#include "simota/netsim.h"

#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 5000
#define SUBMIT_TIMEOUT_S 30

enum link_state { R_DOWN, R_CONNECTING, R_HELLO, R_ATTACHED };

struct submit {
	struct me_radio *r;
	uint32_t id;
	me_submit_cb cb;
	void *user;
	guint timeout_id;
};

struct me_radio {
	struct me_modem *m;
	enum link_state state;
	struct me_link *link;
	guint retry_id;
	unsigned backoff_ms;
	char hello_iccid[21], hello_msisdn[24];
	GHashTable *outstanding;     /* DELIVER ids of this link without a report */
	GHashTable *submits;         /* id -> struct submit * */
	uint32_t next_submit;
	unsigned delivers, submits_sent;
};

static void link_drop(struct me_radio *r, const char *why);
static void link_connect(struct me_radio *r);

static void send_frame(struct me_radio *r, const struct simota_netsim_frame *f)
{
	GByteArray *b = g_byte_array_new();

	simota_netsim_frame_encode(f, b);
	me_link_send(r->link, b->data, b->len);
	g_byte_array_unref(b);
}

static void send_hello(struct me_radio *r)
{
	struct simota_netsim_frame f = { .type = SIMOTA_NETSIM_HELLO, .version = SIMOTA_NETSIM_VERSION };

	g_strlcpy(f.iccid, r->m->card.iccid, sizeof(f.iccid));
	g_strlcpy(f.msisdn, r->m->card.msisdn, sizeof(f.msisdn));
	g_strlcpy(r->hello_iccid, f.iccid, sizeof(r->hello_iccid));
	g_strlcpy(r->hello_msisdn, f.msisdn, sizeof(r->hello_msisdn));
	send_frame(r, &f);
}

static void submit_finish(struct submit *s, const GError *error, bool rp_error, uint8_t cause)
{
	if (s->timeout_id)
		g_source_remove(s->timeout_id);
	s->timeout_id = 0;
	g_hash_table_steal(s->r->submits, GUINT_TO_POINTER(s->id));
	s->cb(error, rp_error, cause, s->user);
	g_free(s);
}

static void fail_submits(struct me_radio *r, const char *why)
{
	GError *error = g_error_new(G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "%s", why);
	GList *all = g_hash_table_get_values(r->submits);

	for (GList *l = all; l; l = l->next)
		submit_finish(l->data, error, false, 0);
	g_list_free(all);
	g_error_free(error);
}

static void on_frame(struct me_radio *r, uint8_t type, const uint8_t *body, size_t len)
{
	static struct simota_netsim_frame f;
	const char *why;
	int err = simota_netsim_frame_decode(type, body, len, &f, &why);

	if (err) {
		struct simota_netsim_frame e = { .type = SIMOTA_NETSIM_ERROR, .status = (uint8_t)err };

		ME_WARN("%s: netsim frame %02x refused: %s", r->m->name, type, why);
		g_strlcpy(e.text, why, sizeof(e.text));
		send_frame(r, &e);
		return;
	}
	switch (type) {
	case SIMOTA_NETSIM_HELLO_ACK:
		if (r->state == R_HELLO) {
			r->state = R_ATTACHED;
			r->backoff_ms = 0;
			ME_INFO("%s: attached to the network (netsim, card %s)", r->m->name,
				f.status ? "not registered at the server" : "known");
			me_modem_registration_changed(r->m);
		}
		break;
	case SIMOTA_NETSIM_DELIVER:
		r->delivers++;
		g_hash_table_add(r->outstanding, GUINT_TO_POINTER(f.id));
		me_wms_on_deliver(r->m, f.id, f.tpdu, f.tpdu_len);
		break;
	case SIMOTA_NETSIM_SUBMIT_REPORT: {
		struct submit *s = g_hash_table_lookup(r->submits, GUINT_TO_POINTER(f.id));

		if (s)
			submit_finish(s, NULL, f.rp == SIMOTA_NETSIM_RP_ERROR, f.cause);
		break;
	}
	case SIMOTA_NETSIM_PONG:
		break;
	case SIMOTA_NETSIM_ERROR:
		ME_WARN("%s: the network reports error %u (id %u): %s", r->m->name, f.status, f.id, f.text);
		if (f.id) {
			struct submit *s = g_hash_table_lookup(r->submits, GUINT_TO_POINTER(f.id));

			/* a SUBMIT the server could not take gets its SUBMIT-REPORT too; nothing else to do */
			(void)s;
		}
		break;
	default:
		ME_WARN("%s: netsim frame type %02x not for devices; ignored", r->m->name, type);
		break;
	}
}

static void link_input(void *user, GByteArray *in)
{
	struct me_radio *r = user;
	size_t off = 0;

	while (r->state != R_DOWN) {
		uint8_t type;
		const uint8_t *body;
		size_t blen, used;
		enum simota_netsim_parse pr = simota_netsim_frame_next(in->data + off, in->len - off, &type,
								       &body, &blen, &used);

		if (pr == SIMOTA_NETSIM_NEED_MORE)
			break;
		if (pr == SIMOTA_NETSIM_BAD_LENGTH) {
			link_drop(r, "the network sent an impossible frame length");
			return;
		}
		off += used;
		on_frame(r, type, body, blen);
	}
	if (r->state != R_DOWN)
		g_byte_array_remove_range(in, 0, (guint)off);
}

static gboolean retry_cb(gpointer p)
{
	struct me_radio *r = p;

	r->retry_id = 0;
	me_radio_update(r);
	return G_SOURCE_REMOVE;
}

static void retry_later(struct me_radio *r)
{
	if (r->retry_id)
		return;
	r->backoff_ms = r->backoff_ms ? MIN(r->backoff_ms * 2, BACKOFF_MAX_MS) : BACKOFF_FIRST_MS;
	r->retry_id = g_timeout_add(r->backoff_ms, retry_cb, r);
}

static void link_up(void *user)
{
	struct me_radio *r = user;

	r->state = R_HELLO;
	send_hello(r);
}

static void link_down(void *user, const char *why)
{
	struct me_radio *r = user;

	if (r->state == R_CONNECTING) {
		ME_DEBUG("%s: netsim %s: %s", r->m->name, r->m->cfg.netsim, why);
		r->state = R_DOWN;
		retry_later(r);
		return;
	}
	link_drop(r, why);
}

static const struct me_link_ops link_ops = { .up = link_up, .input = link_input, .down = link_down };

static void link_connect(struct me_radio *r)
{
	GError *error = NULL;
	GSocketConnectable *addr = me_address_parse(r->m->cfg.netsim, &error);

	if (!addr) {
		ME_WARN("%s: %s", r->m->name, error->message);
		g_error_free(error);
		return;
	}
	r->state = R_CONNECTING;
	me_link_connect(r->link, addr);
	g_object_unref(addr);
}

static void link_drop(struct me_radio *r, const char *why)
{
	bool was_attached = r->state == R_ATTACHED;

	if (r->state == R_DOWN)
		return;
	me_link_close(r->link);
	r->state = R_DOWN;
	g_hash_table_remove_all(r->outstanding);
	ME_INFO("%s: netsim link down: %s", r->m->name, why);
	fail_submits(r, why);
	me_wms_radio_lost(r->m);
	if (was_attached)
		me_modem_registration_changed(r->m);
	if (me_modem_radio_allowed(r->m))
		retry_later(r);
}

void me_radio_update(struct me_radio *r)
{
	bool allowed = me_radio_configured(r) && me_modem_radio_allowed(r->m);

	if (!allowed) {
		if (r->retry_id)
			g_source_remove(r->retry_id);
		r->retry_id = 0;
		r->backoff_ms = 0;
		if (r->state != R_DOWN) {
			bool was = r->state == R_ATTACHED;

			link_drop(r, "radio off");
			if (was)
				return;
		}
		return;
	}
	if (r->state == R_DOWN && !r->retry_id) {
		link_connect(r);
		return;
	}
	if ((r->state == R_HELLO || r->state == R_ATTACHED) &&
	    (strcmp(r->hello_iccid, r->m->card.iccid) || strcmp(r->hello_msisdn, r->m->card.msisdn)))
		send_hello(r);   /* the last HELLO counts (doc/netsim.md) */
}

bool me_radio_attached(const struct me_radio *r)
{
	return r->state == R_ATTACHED;
}

bool me_radio_configured(const struct me_radio *r)
{
	return r->m->cfg.netsim != NULL;
}

static gboolean submit_timeout(gpointer p)
{
	struct submit *s = p;
	GError *error = g_error_new(G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no SUBMIT-REPORT within %d s",
				    SUBMIT_TIMEOUT_S);

	s->timeout_id = 0;
	submit_finish(s, error, false, 0);
	g_error_free(error);
	return G_SOURCE_REMOVE;
}

void me_radio_submit(struct me_radio *r, const uint8_t *tpdu, size_t len, me_submit_cb cb, void *user)
{
	struct simota_netsim_frame f = { .type = SIMOTA_NETSIM_SUBMIT };
	struct submit *s;

	if (r->state != R_ATTACHED || len > sizeof(f.tpdu)) {
		GError *error = g_error_new(G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
					    r->state != R_ATTACHED ? "not registered" : "TPDU too long");

		cb(error, false, 0, user);
		g_error_free(error);
		return;
	}
	s = g_new0(struct submit, 1);
	s->r = r;
	s->id = ++r->next_submit;
	s->cb = cb;
	s->user = user;
	s->timeout_id = g_timeout_add_seconds(SUBMIT_TIMEOUT_S, submit_timeout, s);
	g_hash_table_insert(r->submits, GUINT_TO_POINTER(s->id), s);
	f.id = s->id;
	memcpy(f.tpdu, tpdu, len);
	f.tpdu_len = len;
	r->submits_sent++;
	send_frame(r, &f);
}

void me_radio_report(struct me_radio *r, uint32_t id, bool rp_error, uint8_t cause, const uint8_t *tpdu,
		     size_t len)
{
	struct simota_netsim_frame f = {
		.type = SIMOTA_NETSIM_DELIVER_REPORT, .id = id,
		.rp = rp_error ? SIMOTA_NETSIM_RP_ERROR : SIMOTA_NETSIM_RP_ACK, .cause = rp_error ? cause : 0,
	};

	if (!g_hash_table_remove(r->outstanding, GUINT_TO_POINTER(id))) {
		ME_DEBUG("%s: DELIVER-REPORT %u dropped: not outstanding on this link", r->m->name, id);
		return;
	}
	if (len > sizeof(f.tpdu))
		len = 0;
	if (len)
		memcpy(f.tpdu, tpdu, len);
	f.tpdu_len = len;
	send_frame(r, &f);
}

unsigned me_radio_delivers(const struct me_radio *r)
{
	return r->delivers;
}

unsigned me_radio_submits(const struct me_radio *r)
{
	return r->submits_sent;
}

struct me_radio *me_radio_new(struct me_modem *m)
{
	struct me_radio *r = g_new0(struct me_radio, 1);

	r->m = m;
	r->link = me_link_new(&link_ops, r);
	r->outstanding = g_hash_table_new(g_direct_hash, g_direct_equal);
	r->submits = g_hash_table_new(g_direct_hash, g_direct_equal);
	return r;
}

void me_radio_free(struct me_radio *r)
{
	if (!r)
		return;
	if (r->retry_id)
		g_source_remove(r->retry_id);
	r->retry_id = 0;
	me_link_free(r->link);
	fail_submits(r, "modem-emu exits");
	g_hash_table_destroy(r->outstanding);
	g_hash_table_destroy(r->submits);
	g_free(r);
}
