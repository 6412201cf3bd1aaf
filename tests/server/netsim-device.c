/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A handset on ota-test-server's netsim link (netsim-device.h). */
#include <gio/gunixsocketaddress.h>
#include <string.h>

#include "netsim-device.h"

void device_send_frame(struct device *d, const struct simota_netsim_frame *f)
{
	GByteArray *b = g_byte_array_new();
	GError *error = NULL;

	simota_netsim_frame_encode(f, b);
	g_assert_cmpint(g_socket_send(d->sock, (const char *)b->data, b->len, NULL, &error), ==,
			(gssize)b->len);
	g_byte_array_unref(b);
}

void device_send_raw(struct device *d, const void *p, size_t len)
{
	g_assert_cmpint(g_socket_send(d->sock, p, len, NULL, NULL), ==, (gssize)len);
}

void device_up_report(void *user, uint32_t id, bool rp_error, uint8_t cause, const uint8_t *tpdu,
		      size_t len)
{
	struct device *d = user;
	struct simota_netsim_frame f = {
		.type = SIMOTA_NETSIM_DELIVER_REPORT, .id = id, .rp = rp_error, .cause = cause,
		.tpdu_len = len,
	};

	if (d->drop_uplink)
		return;
	if (len)
		memcpy(f.tpdu, tpdu, len);
	device_send_frame(d, &f);
}

void device_up_submit(void *user, const uint8_t *tpdu, size_t len)
{
	struct device *d = user;
	struct simota_netsim_frame f = { .type = SIMOTA_NETSIM_SUBMIT, .id = 7, .tpdu_len = len };

	if (d->drop_uplink)
		return;
	memcpy(f.tpdu, tpdu, len);
	device_send_frame(d, &f);
}

struct device *device_connect_as(const char *path, const char *iccid, const char *msisdn)
{
	struct device *d = g_new0(struct device, 1);
	GSocketAddress *sa = g_unix_socket_address_new(path);
	int64_t end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

	d->in = g_byte_array_new();
	for (;;) {
		d->sock = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
				       G_SOCKET_PROTOCOL_DEFAULT, NULL);
		if (g_socket_connect(d->sock, sa, NULL, NULL))
			break;
		g_object_unref(d->sock);
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(20000);
	}
	g_object_unref(sa);
	if (iccid || msisdn) {
		struct simota_netsim_frame f = { .type = SIMOTA_NETSIM_HELLO, .version = 1 };

		g_strlcpy(f.iccid, iccid ? iccid : "", sizeof(f.iccid));
		g_strlcpy(f.msisdn, msisdn ? msisdn : "", sizeof(f.msisdn));
		device_send_frame(d, &f);
	}
	return d;
}

struct device *device_connect(const char *path, const char *iccid)
{
	return device_connect_as(path, iccid, NULL);
}

void device_free(struct device *d)
{
	g_socket_close(d->sock, NULL);
	g_object_unref(d->sock);
	g_byte_array_unref(d->in);
	g_free(d);
}

/* Reads and handles frames for up to ms, 0: those already there (DELIVERs go to the card). */
void device_pump(struct device *d, unsigned ms)
{
	int64_t end = g_get_monotonic_time() + (int64_t)ms * 1000;

	while (!d->closed) {
		int64_t left = end - g_get_monotonic_time();
		char buf[4096];
		gssize n;
		uint8_t type;
		const uint8_t *body;
		size_t blen, used;

		/* ms 0: what has come, without waiting */
		if ((left <= 0 && ms) ||
		    !g_socket_condition_timed_wait(d->sock, G_IO_IN, MAX(left, 0), NULL, NULL))
			break;
		n = g_socket_receive(d->sock, buf, sizeof(buf), NULL, NULL);
		if (n <= 0) {
			d->closed = true;
			break;
		}
		g_byte_array_append(d->in, (uint8_t *)buf, (guint)n);
		while (simota_netsim_frame_next(d->in->data, d->in->len, &type, &body, &blen, &used) ==
		       SIMOTA_NETSIM_FRAME) {
			struct simota_netsim_frame f;
			const char *why;

			g_assert_cmpint(simota_netsim_frame_decode(type, body, blen, &f, &why), ==, 0);
			if (type == SIMOTA_NETSIM_DELIVER)
				d->delivers++;
			if (type == SIMOTA_NETSIM_DELIVER && d->me)
				me_sim_deliver(d->me, f.id, f.tpdu, f.tpdu_len);
			else if (type == SIMOTA_NETSIM_ERROR) {
				d->errors++;
				d->last_error = f.status;
				g_test_message("ERROR %u: %s", f.status, f.text);
			} else if (type == SIMOTA_NETSIM_SUBMIT_REPORT)
				d->submit_reports++;
			else if (type == SIMOTA_NETSIM_PONG)
				d->pongs++;
			g_byte_array_remove_range(d->in, 0, (guint)used);
		}
	}
}

/* Handles every device's frames for ms (one poll over all their sockets). */
void device_pump_many(struct device **d, unsigned n, unsigned ms)
{
	int64_t end = g_get_monotonic_time() + (int64_t)ms * 1000;
	GPollFD *fds = g_new0(GPollFD, n);

	for (unsigned i = 0; i < n; i++) {
		fds[i].fd = g_socket_get_fd(d[i]->sock);
		fds[i].events = G_IO_IN;
	}
	do {
		int64_t left = (end - g_get_monotonic_time()) / 1000;

		for (unsigned i = 0; i < n; i++)
			fds[i].revents = 0;
		if (g_poll(fds, n, (int)CLAMP(left, 0, 5)) > 0)
			for (unsigned i = 0; i < n && g_get_monotonic_time() < end; i++)
				if (fds[i].revents && !d[i]->closed)
					device_pump(d[i], 0);
		while (g_main_context_iteration(NULL, FALSE))
			;
	} while (g_get_monotonic_time() < end);
	g_free(fds);
}

