/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMI request/response round trips per second through modem-emu, in one run:
 *  - DMS Get IDs through libqmi (QmiClientDms on a QmiDevice opened with the
 *    proxy flag): what a libqmi program (the plugin, ModemManager) pays;
 *  - the same request written and read on the proxy socket by hand: the
 *    emulator's own share, and libqmi's as the ratio of the two;
 *  - UIM Read Transparent of EF_ICCID through libqmi: a request that goes on
 *    to the SIM over the card link (SELECT + READ BINARY to uicc-emu).
 * Each is timed over N sequential requests (one outstanding at a time):
 * rate, p50 and p99 latency.  Printed, never asserted.
 *
 * usage: bench-qmi [N]  (MODEM_EMU / UICC_EMU, else the build tree's binaries)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "modem-harness.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *lat_us, unsigned n, double total_s)
{
	qsort(lat_us, n, sizeof(double), cmp_double);
	printf("%-46s %8.0f req/s   p50 %7.1f us   p99 %7.1f us\n", what, n / total_s, lat_us[n / 2],
	       lat_us[(unsigned)(n * 0.99)]);
}

static double get_ids_libqmi(QmiClientDms *dms, double *lat, unsigned n)
{
	gint64 t0 = g_get_monotonic_time();

	for (unsigned i = 0; i < n; i++) {
		GAsyncResult *res = NULL;
		QmiMessageDmsGetIdsOutput *out;
		gint64 t = g_get_monotonic_time();

		qmi_client_dms_get_ids(dms, NULL, 10, NULL, mh_got_result, &res);
		mh_await(&res, 10000, "Get IDs");
		out = qmi_client_dms_get_ids_finish(dms, res, NULL);
		if (!out || !qmi_message_dms_get_ids_output_get_result(out, NULL))
			g_error("Get IDs failed");
		qmi_message_dms_get_ids_output_unref(out);
		g_object_unref(res);
		lat[i] = (double)(g_get_monotonic_time() - t);
	}
	return (g_get_monotonic_time() - t0) / 1e6;
}

static double read_iccid_libqmi(QmiClientUim *uim, double *lat, unsigned n)
{
	QmiMessageUimReadTransparentInput *in = qmi_message_uim_read_transparent_input_new();
	GArray *aid = g_array_new(FALSE, FALSE, 1), *path = g_array_new(FALSE, FALSE, 1);
	static const guint8 mf[2] = { 0x00, 0x3F };
	gint64 t0;

	g_array_append_vals(path, mf, 2);
	qmi_message_uim_read_transparent_input_set_session(in, QMI_UIM_SESSION_TYPE_CARD_SLOT_1, aid, NULL);
	qmi_message_uim_read_transparent_input_set_file(in, 0x2FE2, path, NULL);
	qmi_message_uim_read_transparent_input_set_read_information(in, 0, 0, NULL);
	t0 = g_get_monotonic_time();
	for (unsigned i = 0; i < n; i++) {
		GAsyncResult *res = NULL;
		QmiMessageUimReadTransparentOutput *out;
		gint64 t = g_get_monotonic_time();

		qmi_client_uim_read_transparent(uim, in, 10, NULL, mh_got_result, &res);
		mh_await(&res, 10000, "Read Transparent");
		out = qmi_client_uim_read_transparent_finish(uim, res, NULL);
		if (!out || !qmi_message_uim_read_transparent_output_get_result(out, NULL))
			g_error("Read Transparent failed");
		qmi_message_uim_read_transparent_output_unref(out);
		g_object_unref(res);
		lat[i] = (double)(g_get_monotonic_time() - t);
	}
	qmi_message_uim_read_transparent_input_unref(in);
	g_array_unref(aid);
	g_array_unref(path);
	return (g_get_monotonic_time() - t0) / 1e6;
}

/* A client of our own on the abstract socket: proxy open, CID, then Get IDs written and read by hand. */
static int raw_client(struct mh *h, uint8_t *cid)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	QmiMessage *m;
	GByteArray *in = g_byte_array_new();
	gsize len, init;
	const guint8 *raw;
	guint16 tlen;

	memcpy(a.sun_path + 1, h->proxy, strlen(h->proxy));
	if (connect(fd, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
							     strlen(h->proxy))) != 0)
		g_error("connect: %m");
	for (int step = 0; step < 2; step++) {
		m = qmi_message_new(QMI_SERVICE_CTL, 0, (guint16)(step + 1), step ? 0x0022 : 0xFF00);
		init = qmi_message_tlv_write_init(m, 0x01, NULL);
		if (step)
			qmi_message_tlv_write_guint8(m, QMI_SERVICE_DMS, NULL);
		else
			qmi_message_tlv_write_string(m, 0, h->dev[0], -1, NULL);
		qmi_message_tlv_write_complete(m, init, NULL);
		raw = qmi_message_get_raw(m, &len, NULL);
		if (write(fd, raw, len) != (ssize_t)len)
			g_error("write");
		qmi_message_unref(m);
		for (m = NULL; !m;) {
			uint8_t b[4096];
			ssize_t n = read(fd, b, sizeof(b));

			if (n <= 0)
				g_error("read");
			g_byte_array_append(in, b, (guint)n);
			m = qmi_message_new_from_raw(in, NULL);
		}
		if (step)
			*cid = qmi_message_get_raw_tlv(m, 0x01, &tlen)[1];
		qmi_message_unref(m);
	}
	g_byte_array_unref(in);
	return fd;
}

static double get_ids_raw(int fd, uint8_t cid, double *lat, unsigned n)
{
	GByteArray *in = g_byte_array_new();
	gint64 t0 = g_get_monotonic_time();

	for (unsigned i = 0; i < n; i++) {
		QmiMessage *m = qmi_message_new(QMI_SERVICE_DMS, cid, (guint16)(i + 1), 0x0025);
		gint64 t = g_get_monotonic_time();
		gsize len;
		const guint8 *raw = qmi_message_get_raw(m, &len, NULL);

		if (write(fd, raw, len) != (ssize_t)len)
			g_error("write");
		qmi_message_unref(m);
		for (m = NULL; !m;) {
			uint8_t b[4096];
			ssize_t r = read(fd, b, sizeof(b));

			if (r <= 0)
				g_error("read");
			g_byte_array_append(in, b, (guint)r);
			m = qmi_message_new_from_raw(in, NULL);
		}
		qmi_message_unref(m);
		lat[i] = (double)(g_get_monotonic_time() - t);
	}
	g_byte_array_unref(in);
	return (g_get_monotonic_time() - t0) / 1e6;
}

static void find_binaries(void)
{
	char *self = g_file_read_link("/proc/self/exe", NULL), *dir, *p;

	if (!self)
		return;
	dir = g_path_get_dirname(self);
	if (!g_getenv("MODEM_EMU")) {
		p = g_build_filename(dir, "..", "modem-emu", "modem-emu", NULL);
		g_setenv("MODEM_EMU", p, TRUE);
		g_free(p);
	}
	if (!g_getenv("UICC_EMU")) {
		p = g_build_filename(dir, "..", "uicc-emu", "uicc-emu", NULL);
		g_setenv("UICC_EMU", p, TRUE);
		g_free(p);
	}
	g_free(dir);
	g_free(self);
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 2000;
	double *lat = g_new(double, n ? n : 1), libqmi_s, raw_s, uim_s;
	struct mh h;
	QmiClient *dms, *uim;
	uint8_t cid;
	int fd;

	if (n < 100) {
		fprintf(stderr, "usage: bench-qmi [N >= 100]\n");
		return 2;
	}
	find_binaries();
	g_setenv("MODEM_EMU_QUIET", "1", TRUE);   /* no debug logs in modem-emu while timing it */
	g_log_set_handler("Qmi", G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO | G_LOG_LEVEL_MESSAGE,
			  g_log_default_handler, NULL);
	mh_start(&h, 1, NULL);
	dms = mh_allocate(&h, h.qmi, QMI_SERVICE_DMS);
	uim = mh_allocate(&h, h.qmi, QMI_SERVICE_UIM);
	fd = raw_client(&h, &cid);
	/* a warm-up round each, then the measured ones */
	get_ids_libqmi(QMI_CLIENT_DMS(dms), lat, 100);
	get_ids_raw(fd, cid, lat, 100);
	printf("QMI round trips through modem-emu, %u sequential requests each (one run):\n", n);
	libqmi_s = get_ids_libqmi(QMI_CLIENT_DMS(dms), lat, n);
	report("DMS Get IDs via libqmi (QmiDevice, proxy flag)", lat, n, libqmi_s);
	raw_s = get_ids_raw(fd, cid, lat, n);
	report("DMS Get IDs on the proxy socket by hand", lat, n, raw_s);
	uim_s = read_iccid_libqmi(QMI_CLIENT_UIM(uim), lat, n);
	report("UIM Read Transparent EF_ICCID via libqmi (SIM)", lat, n, uim_s);
	printf("ratios: libqmi / by hand %.2fx the time; SIM read / Get IDs %.2fx the time\n", libqmi_s / raw_s,
	       uim_s / libqmi_s);
	close(fd);
	mh_release(&h, h.qmi, dms);
	mh_release(&h, h.qmi, uim);
	mh_stop(&h);
	g_free(lat);
	return 0;
}
