/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network backends' shared part (plugin/net/net.c) over a scripted
 * backend: submits queued while down and sent once up, in order; sent again
 * after the link went down before their outcome (at-least-once); a requeued
 * submit tried again later; outcomes to the right callback, none after
 * sb_net_cancel_owner(); the registration the atoms see; the QMI NAS
 * mappings (registration state, radio interface, dBm).
 */
#include <glib.h>
#include <string.h>

#include "net/net.h"

struct fake {
	struct sb_net *net;
	GArray *sent;            /* uint32_t submit ids, in the order sent */
	GPtrArray *reports;      /* "id rp cause" */
	struct sb_net_reg reg;
	bool started;
};

static void *fake_create(struct sb_net *net, const struct sb_net_addr *addr)
{
	struct fake *f = g_new0(struct fake, 1);

	f->net = net;
	f->sent = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	f->reports = g_ptr_array_new_with_free_func(g_free);
	f->reg.status = SB_NET_REGISTERED;
	f->reg.strength = 55;
	f->reg.tech = 7;
	g_strlcpy(f->reg.mcc, "001", sizeof(f->reg.mcc));
	g_strlcpy(f->reg.mnc, "01", sizeof(f->reg.mnc));
	return f;
}

static struct fake *last_fake;

static void *fake_create_kept(struct sb_net *net, const struct sb_net_addr *addr)
{
	return last_fake = fake_create(net, addr);
}

static void fake_destroy(void *be)
{
	struct fake *f = be;

	g_array_unref(f->sent);
	g_ptr_array_unref(f->reports);
	g_free(f);
}

static void fake_set_identity(void *be, const char *iccid, const char *msisdn)
{
}

static void fake_start(void *be)
{
	((struct fake *)be)->started = true;
}

static void fake_stop(void *be)
{
	((struct fake *)be)->started = false;
}

static void fake_send(void *be, uint32_t id, const uint8_t *tpdu, size_t len)
{
	g_array_append_val(((struct fake *)be)->sent, id);
}

static void fake_report(void *be, uint32_t id, bool rp_error, uint8_t cause, const uint8_t *tpdu, size_t len)
{
	g_ptr_array_add(((struct fake *)be)->reports, g_strdup_printf("%u %d %02x", id, rp_error, cause));
}

static void fake_get_reg(void *be, struct sb_net_reg *out)
{
	*out = ((struct fake *)be)->reg;
}

static const struct sb_net_ops fake_ops = {
	.kind = "fake",
	.create = fake_create_kept,
	.destroy = fake_destroy,
	.set_identity = fake_set_identity,
	.start = fake_start,
	.stop = fake_stop,
	.send_submit = fake_send,
	.report = fake_report,
	.get_reg = fake_get_reg,
};

struct outcome {
	unsigned calls;
	bool err, rp_error;
	uint8_t cause;
};

static void submit_cb(const GError *err, bool rp_error, uint8_t cause, const uint8_t *tpdu, size_t len, void *user)
{
	struct outcome *o = user;

	o->calls++;
	o->err = err != NULL;
	o->rp_error = rp_error;
	o->cause = cause;
}

static unsigned state_calls;

static void state_cb(struct sb_net *net, bool up, void *user)
{
	state_calls++;
}

static struct sb_net *new_net(void)
{
	struct sb_net_addr addr = { .kind = SB_NET_QMI, .path = (char *)"/dev/fake" };

	return sb_net_new(&fake_ops, &addr, "modem0", state_cb, NULL);
}

static void assert_sent(const struct fake *f, const uint32_t *ids, size_t n)
{
	g_assert_cmpuint(f->sent->len, ==, n);
	for (size_t i = 0; i < n; i++)
		g_assert_cmpuint(g_array_index(f->sent, uint32_t, i), ==, ids[i]);
}

/* Runs the main loop until f has sent n submits (bounded: fails after 5 s). */
static void wait_sent(const struct fake *f, guint n)
{
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	while (f->sent->len < n) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_main_context_iteration(NULL, FALSE);
	}
}

/* Runs every source that is due now (a 0 ms timeout included). */
static void drain(void)
{
	while (g_main_context_pending(NULL))
		g_main_context_iteration(NULL, FALSE);
}

/* Queued while down, out in order once up; sent again after a loss before their outcome; none after it. */
static void test_queue_at_least_once(void)
{
	struct sb_net *net = new_net();
	struct fake *f = last_fake;
	struct outcome o1 = { 0 }, o2 = { 0 }, o3 = { 0 };
	static const uint8_t tpdu[] = { 0x01, 0x00, 0x00 };

	sb_net_start(net);
	g_assert_true(f->started);
	sb_net_submit(net, &o1, tpdu, sizeof(tpdu), submit_cb, &o1);
	sb_net_submit(net, &o2, tpdu, sizeof(tpdu), submit_cb, &o2);
	g_assert_cmpuint(f->sent->len, ==, 0);                 /* down: waiting */
	sb_net_backend_up(net, true);
	assert_sent(f, (const uint32_t[]){ 1, 2 }, 2);
	/* up again changes nothing: both in flight */
	sb_net_backend_up(net, true);
	g_assert_cmpuint(f->sent->len, ==, 2);
	g_assert_true(sb_net_backend_submit_done(net, 1, NULL, false, 0, NULL, 0));
	g_assert_cmpuint(o1.calls, ==, 1);
	g_assert_false(o1.err || o1.rp_error);
	/* the link goes with 2 unanswered: sent again once back, with one queued meanwhile */
	sb_net_backend_up(net, false);
	sb_net_submit(net, &o3, tpdu, sizeof(tpdu), submit_cb, &o3);
	g_assert_cmpuint(sb_net_pending_submits(net), ==, 2);
	sb_net_backend_up(net, true);
	assert_sent(f, (const uint32_t[]){ 1, 2, 2, 3 }, 4);
	/* an RP-ERROR is an outcome; an unknown id is refused */
	g_assert_true(sb_net_backend_submit_done(net, 2, NULL, true, 0x2A, NULL, 0));
	g_assert_true(o2.calls == 1 && o2.rp_error && o2.cause == 0x2A);
	g_assert_false(sb_net_backend_submit_done(net, 2, NULL, false, 0, NULL, 0));
	/* the owner went: the submit still goes, its callback does not run */
	sb_net_cancel_owner(net, &o3);
	g_assert_true(sb_net_backend_submit_done(net, 3, NULL, false, 0, NULL, 0));
	g_assert_cmpuint(o3.calls, ==, 0);
	g_assert_cmpuint(sb_net_pending_submits(net), ==, 0);
	sb_net_free(net);
}

/* A submit the backend could not send now: again after the delay if up, else at the next up. */
static void test_requeue(void)
{
	struct sb_net *net = new_net();
	struct fake *f = last_fake;
	struct outcome o = { 0 };
	static const uint8_t tpdu[] = { 0x01, 0x00, 0x00 };

	sb_net_start(net);
	sb_net_backend_up(net, true);
	sb_net_submit(net, &o, tpdu, sizeof(tpdu), submit_cb, &o);
	assert_sent(f, (const uint32_t[]){ 1 }, 1);
	g_assert_true(sb_net_backend_submit_pending(net, 1));
	sb_net_backend_requeue(net, 1, 20);
	g_assert_false(sb_net_backend_submit_pending(net, 1));
	wait_sent(f, 2);
	assert_sent(f, (const uint32_t[]){ 1, 1 }, 2);
	/* requeued while the link is down: its timer (due at once) does not send it, the next up does */
	sb_net_backend_up(net, false);
	sb_net_backend_requeue(net, 1, 0);
	drain();
	g_assert_cmpuint(f->sent->len, ==, 2);
	sb_net_backend_up(net, true);
	assert_sent(f, (const uint32_t[]){ 1, 1, 1 }, 3);
	g_assert_true(sb_net_backend_submit_done(net, 1, NULL, false, 0, NULL, 0));
	sb_net_free(net);
}

/* What the atoms see: not registered while stopped, searching while down, the backend's once up. */
static void test_registration(void)
{
	struct sb_net *net = new_net();
	struct fake *f = last_fake;
	struct sb_net_reg reg;
	unsigned before;

	sb_net_get_reg(net, &reg);
	g_assert_cmpint(reg.status, ==, SB_NET_NOT_REGISTERED);
	g_assert_cmpint(reg.strength, ==, -1);
	sb_net_get_reg(NULL, &reg);
	g_assert_cmpint(reg.status, ==, SB_NET_NOT_REGISTERED);
	before = state_calls;
	sb_net_start(net);
	g_assert_cmpuint(state_calls, >, before);
	sb_net_get_reg(net, &reg);
	g_assert_cmpint(reg.status, ==, SB_NET_SEARCHING);
	sb_net_backend_up(net, true);
	sb_net_get_reg(net, &reg);
	g_assert_cmpint(reg.status, ==, SB_NET_REGISTERED);
	g_assert_cmpstr(reg.mcc, ==, "001");
	g_assert_cmpint(reg.strength, ==, 55);
	/* denied is shown as the backend says it, up or not */
	f->reg.status = SB_NET_DENIED;
	sb_net_backend_up(net, false);
	sb_net_get_reg(net, &reg);
	g_assert_cmpint(reg.status, ==, SB_NET_DENIED);
	sb_net_stop(net);
	sb_net_get_reg(net, &reg);
	g_assert_cmpint(reg.status, ==, SB_NET_NOT_REGISTERED);
	/* an MT message with no sms atom: RP-ERROR protocol error */
	sb_net_backend_deliver(net, 7, (const uint8_t *)"\x04", 1);
	g_assert_cmpuint(f->reports->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(f->reports, 0), ==, "7 1 6f");
	sb_net_free(net);
}

/* QMI NAS (libqmi data/qmi-service-nas.json) -> 27.007, and dBm -> % */
static void test_nas_mappings(void)
{
	g_assert_cmpint(sb_net_status_from_nas(0, false), ==, SB_NET_NOT_REGISTERED);
	g_assert_cmpint(sb_net_status_from_nas(1, false), ==, SB_NET_REGISTERED);
	g_assert_cmpint(sb_net_status_from_nas(1, true), ==, SB_NET_ROAMING);
	g_assert_cmpint(sb_net_status_from_nas(2, false), ==, SB_NET_SEARCHING);
	g_assert_cmpint(sb_net_status_from_nas(3, false), ==, SB_NET_DENIED);
	g_assert_cmpint(sb_net_status_from_nas(4, false), ==, SB_NET_UNKNOWN);
	g_assert_cmpint(sb_net_status_from_nas(77, false), ==, SB_NET_UNKNOWN);
	g_assert_cmpint(sb_net_tech_from_nas_radio(4), ==, 0);
	g_assert_cmpint(sb_net_tech_from_nas_radio(5), ==, 2);
	g_assert_cmpint(sb_net_tech_from_nas_radio(8), ==, 7);
	g_assert_cmpint(sb_net_tech_from_nas_radio(0), ==, -1);
	g_assert_cmpint(sb_net_strength_from_dbm(-120), ==, 0);
	g_assert_cmpint(sb_net_strength_from_dbm(-113), ==, 0);
	g_assert_cmpint(sb_net_strength_from_dbm(-65), ==, 77);
	g_assert_cmpint(sb_net_strength_from_dbm(-51), ==, 100);
	g_assert_cmpint(sb_net_strength_from_dbm(-20), ==, 100);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/plugin/net/queue-at-least-once", test_queue_at_least_once);
	g_test_add_func("/plugin/net/requeue", test_requeue);
	g_test_add_func("/plugin/net/registration", test_registration);
	g_test_add_func("/plugin/net/nas-mappings", test_nas_mappings);
	return g_test_run();
}
