// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What every network backend shares (net.h): the submit queue with its
 * at-least-once resending, the registration as the atoms see it, and the
 * dispatch to the backend's operations.
 *
 * A submit stays queued, oldest first, until its outcome is known.  It is
 * "in flight" from the moment the backend sent it until the backend reports
 * its outcome, asks for it again (requeue) or goes down; when the link is
 * (back) up every queued submit not in flight goes out again, in order.
 */
#include <string.h>

#include "net/net.h"

struct submit {
	uint32_t id;
	const void *owner;
	GBytes *tpdu;
	sb_net_submit_cb cb;
	void *user;
	bool in_flight;
	guint retry_id;                 /* requeued with a delay */
	struct sb_net *net;
};

struct sb_net {
	char *name;
	const struct sb_net_ops *ops;
	void *be;
	bool started;
	bool up;
	sb_net_state_cb state_cb;
	void *state_user;
	sb_net_deliver_cb deliver_cb;
	void *deliver_user;
	GQueue submits;                 /* struct submit *, oldest first, until their outcome */
	uint32_t next_submit_id;
};

static void submit_free(struct submit *s)
{
	if (s->retry_id)
		g_source_remove(s->retry_id);
	g_bytes_unref(s->tpdu);
	g_free(s);
}

static void send_submit(struct sb_net *net, struct submit *s)
{
	gsize n;
	const uint8_t *p = g_bytes_get_data(s->tpdu, &n);

	if (s->retry_id) {
		g_source_remove(s->retry_id);
		s->retry_id = 0;
	}
	s->in_flight = true;
	net->ops->send_submit(net->be, s->id, p, n);
}

static void notify(struct sb_net *net)
{
	if (net->state_cb)
		net->state_cb(net, net->up, net->state_user);
}

static struct submit *find_submit(const struct sb_net *net, uint32_t id, GList **link)
{
	for (GList *l = net->submits.head; l; l = l->next) {
		struct submit *s = l->data;

		if (s->id == id) {
			if (link)
				*link = l;
			return s;
		}
	}
	return NULL;
}

/* ---- the interface ---------------------------------------------------------------------- */

struct sb_net *sb_net_new(const struct sb_net_ops *ops, const struct sb_net_addr *addr, const char *name,
			  sb_net_state_cb cb, void *user)
{
	struct sb_net *net = g_new0(struct sb_net, 1);

	net->name = g_strdup(name);
	net->ops = ops;
	net->state_cb = cb;
	net->state_user = user;
	net->next_submit_id = 1;
	g_queue_init(&net->submits);
	net->be = ops->create(net, addr);
	return net;
}

void sb_net_free(struct sb_net *net)
{
	struct submit *s;

	if (!net)
		return;
	net->state_cb = NULL;
	net->deliver_cb = NULL;
	net->ops->destroy(net->be);     /* first: no backend callback after this */
	while ((s = g_queue_pop_head(&net->submits)))
		submit_free(s);
	g_free(net->name);
	g_free(net);
}

const char *sb_net_name(const struct sb_net *net)
{
	return net->name;
}

void sb_net_set_identity(struct sb_net *net, const char *iccid, const char *msisdn)
{
	net->ops->set_identity(net->be, iccid ? iccid : "", msisdn ? msisdn : "");
}

void sb_net_start(struct sb_net *net)
{
	if (net->started)
		return;
	net->started = true;
	net->ops->start(net->be);
	notify(net);            /* now searching */
}

void sb_net_stop(struct sb_net *net)
{
	bool was = net->started;

	net->started = false;
	net->ops->stop(net->be);
	sb_net_backend_up(net, false);
	if (was)
		notify(net);
}

bool sb_net_is_up(const struct sb_net *net)
{
	return net && net->up;
}

void sb_net_get_reg(const struct sb_net *net, struct sb_net_reg *out)
{
	memset(out, 0, sizeof(*out));
	out->strength = -1;
	out->tech = -1;
	if (!net || !net->started) {
		out->status = SB_NET_NOT_REGISTERED;
		return;
	}
	net->ops->get_reg(net->be, out);
	if (!net->up && (out->status == SB_NET_REGISTERED || out->status == SB_NET_ROAMING))
		out->status = SB_NET_SEARCHING;
}

void sb_net_set_deliver_handler(struct sb_net *net, sb_net_deliver_cb cb, void *user)
{
	net->deliver_cb = cb;
	net->deliver_user = user;
}

void sb_net_report(struct sb_net *net, uint32_t id, bool rp_error, uint8_t cause, const uint8_t *tpdu,
		   size_t len)
{
	net->ops->report(net->be, id, rp_error, cause, tpdu, len);
}

void sb_net_submit(struct sb_net *net, const void *owner, const uint8_t *tpdu, size_t len, sb_net_submit_cb cb,
		   void *user)
{
	struct submit *s = g_new0(struct submit, 1);

	s->id = net->next_submit_id++;
	s->owner = owner;
	s->tpdu = g_bytes_new(tpdu, len);
	s->cb = cb;
	s->user = user;
	s->net = net;
	g_queue_push_tail(&net->submits, s);
	if (net->up)
		send_submit(net, s);
}

void sb_net_cancel_owner(struct sb_net *net, const void *owner)
{
	for (GList *l = net->submits.head; l; l = l->next) {
		struct submit *s = l->data;

		if (s->owner == owner)
			s->cb = NULL;
	}
}

unsigned sb_net_pending_submits(const struct sb_net *net)
{
	return net->submits.length;
}

/* ---- for backends ------------------------------------------------------------------------- */

void sb_net_backend_up(struct sb_net *net, bool up)
{
	if (!up) {
		for (GList *l = net->submits.head; l; l = l->next)
			((struct submit *)l->data)->in_flight = false;
	}
	if (net->up == up)
		return;
	net->up = up;
	if (up) {
		/* a submit may complete (and the queue change) from send: walk a snapshot of the ids */
		GArray *ids = g_array_new(FALSE, FALSE, sizeof(uint32_t));

		for (GList *l = net->submits.head; l; l = l->next)
			if (!((struct submit *)l->data)->in_flight)
				g_array_append_val(ids, ((struct submit *)l->data)->id);
		for (guint i = 0; i < ids->len && net->up; i++) {
			struct submit *s = find_submit(net, g_array_index(ids, uint32_t, i), NULL);

			if (s && !s->in_flight)
				send_submit(net, s);
		}
		g_array_unref(ids);
	}
	notify(net);
}

void sb_net_backend_changed(struct sb_net *net)
{
	notify(net);
}

void sb_net_backend_deliver(struct sb_net *net, uint32_t id, const uint8_t *tpdu, size_t len)
{
	if (net->deliver_cb)
		net->deliver_cb(net, id, tpdu, len, net->deliver_user);
	else
		net->ops->report(net->be, id, true, 0x6F, NULL, 0);   /* no sms atom: protocol error, unspecified */
}

bool sb_net_backend_submit_done(struct sb_net *net, uint32_t id, const GError *err, bool rp_error, uint8_t cause,
				const uint8_t *tpdu, size_t len)
{
	GList *l = NULL;
	struct submit *s = find_submit(net, id, &l);

	if (!s)
		return false;
	g_queue_delete_link(&net->submits, l);
	if (s->cb)
		s->cb(err, rp_error, cause, tpdu, len, s->user);
	submit_free(s);
	return true;
}

static gboolean retry_cb(gpointer p)
{
	struct submit *s = p;

	s->retry_id = 0;
	if (s->net->up && !s->in_flight)
		send_submit(s->net, s);
	return G_SOURCE_REMOVE;
}

void sb_net_backend_requeue(struct sb_net *net, uint32_t id, unsigned delay_ms)
{
	struct submit *s = find_submit(net, id, NULL);

	if (!s)
		return;
	s->in_flight = false;
	if (s->retry_id)
		g_source_remove(s->retry_id);
	s->retry_id = g_timeout_add(delay_ms, retry_cb, s);
}

bool sb_net_backend_submit_pending(const struct sb_net *net, uint32_t id)
{
	struct submit *s = find_submit(net, id, NULL);

	return s && s->in_flight;
}

/* 27.007 §8.5 <rssi>: 0 for -113 dBm or less ... 31 for -51 dBm or more, 2 dBm a step; as a percentage. */
int sb_net_strength_from_dbm(int dbm)
{
	if (dbm <= -113)
		return 0;
	if (dbm >= -51)
		return 100;
	return (dbm + 113) * 100 / 62;
}

/* QMI NAS Serving System TLV 0x01 (libqmi data/qmi-service-nas.json), TLV 0x10 roaming indicator */
enum sb_net_status sb_net_status_from_nas(int registration_state, bool roaming)
{
	switch (registration_state) {
	case 0:
		return SB_NET_NOT_REGISTERED;
	case 1:
		return roaming ? SB_NET_ROAMING : SB_NET_REGISTERED;
	case 2:
		return SB_NET_SEARCHING;
	case 3:
		return SB_NET_DENIED;
	default:
		return SB_NET_UNKNOWN;
	}
}

/* 27.007 §7.2 <AcT>: 0 GSM, 2 UTRAN, 7 E-UTRAN */
int sb_net_tech_from_nas_radio(int radio_interface)
{
	switch (radio_interface) {
	case 4:
		return 0;
	case 5:
	case 9:
		return 2;
	case 8:
		return 7;
	default:
		return -1;
	}
}
