/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The modem-emu tests' harness (modem-harness.h). */
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>
#include <unistd.h>

#include "modem-harness.h"
#include "simota/ota.h"
#include "simota/sms.h"

#define WAIT_MS 10000

/* ---- small things ------------------------------------------------------------------------------------ */

uint8_t *mh_hex(const char *s, size_t *len)
{
	size_t n = strlen(s) / 2;
	uint8_t *out = g_malloc(n ? n : 1);

	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(g_ascii_xdigit_value(s[2 * i]) << 4 | g_ascii_xdigit_value(s[2 * i + 1]));
	*len = n;
	return out;
}

char *mh_to_hex(const uint8_t *p, size_t len)
{
	char *s = g_malloc(2 * len + 1);

	for (size_t i = 0; i < len; i++)
		g_snprintf(s + 2 * i, 3, "%02x", p[i]);
	s[2 * len] = '\0';
	return s;
}

static gboolean timeout_flag(gpointer p)
{
	*(bool *)p = true;
	return G_SOURCE_REMOVE;
}

void mh_run_until(bool *done, unsigned ms, const char *what)
{
	bool expired = false;
	guint id = g_timeout_add(ms, timeout_flag, &expired);

	while (!*done && !expired)
		g_main_context_iteration(NULL, TRUE);
	if (!expired)
		g_source_remove(id);
	if (!*done)
		g_error("timed out after %u ms waiting for %s", ms, what);
}

void mh_got_result(GObject *src, GAsyncResult *res, gpointer p)
{
	*(GAsyncResult **)p = g_object_ref(res);
}

static bool slot_done(GAsyncResult **slot)
{
	return *slot != NULL;
}

GAsyncResult *mh_await(GAsyncResult **slot, unsigned ms, const char *what)
{
	bool expired = false;
	guint id = g_timeout_add(ms, timeout_flag, &expired);

	while (!slot_done(slot) && !expired)
		g_main_context_iteration(NULL, TRUE);
	if (!expired)
		g_source_remove(id);
	if (!*slot)
		g_error("timed out after %u ms waiting for %s", ms, what);
	return *slot;
}

/* ---- the scripted network ------------------------------------------------------------------------------ */

static void peer_send(struct mh_peer *p, const struct simota_netsim_frame *f)
{
	GByteArray *b = g_byte_array_new();

	simota_netsim_frame_encode(f, b);
	g_assert_true(p->conn);
	g_assert_true(g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(p->conn)), b->data, b->len,
						NULL, NULL, NULL));
	g_byte_array_unref(b);
}

static void peer_read(struct mh_peer *p);

static void peer_frame(struct mh_peer *p, uint8_t type, const uint8_t *body, size_t len)
{
	struct simota_netsim_frame *f = g_new0(struct simota_netsim_frame, 1);
	const char *why;

	g_assert_cmpint(simota_netsim_frame_decode(type, body, len, f, &why), ==, 0);
	if (type == SIMOTA_NETSIM_HELLO) {
		struct simota_netsim_frame ack = { .type = SIMOTA_NETSIM_HELLO_ACK, .version = 1 };

		p->hellos++;
		g_strlcpy(p->iccid, f->iccid, sizeof(p->iccid));
		g_strlcpy(p->msisdn, f->msisdn, sizeof(p->msisdn));
		peer_send(p, &ack);
		g_free(f);
		return;
	}
	if (type == SIMOTA_NETSIM_SUBMIT) {
		struct simota_netsim_frame rep = {
			.type = SIMOTA_NETSIM_SUBMIT_REPORT, .id = f->id, .rp = p->submit_rp_error,
			.cause = p->submit_rp_error ? p->submit_cause : 0,
		};

		peer_send(p, &rep);
	}
	g_queue_push_tail(&p->frames, f);
}

static void peer_read_done(GObject *src, GAsyncResult *res, gpointer user)
{
	struct mh_peer *p = user;
	GError *error = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, &error);
	size_t off = 0;

	if (n <= 0) {
		bool cancelled = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

		g_clear_error(&error);
		if (!cancelled)
			g_clear_object(&p->conn);
		return;
	}
	g_byte_array_append(p->in, p->rbuf, (guint)n);
	for (;;) {
		uint8_t type;
		const uint8_t *body;
		size_t blen, used;

		if (simota_netsim_frame_next(p->in->data + off, p->in->len - off, &type, &body, &blen, &used) !=
		    SIMOTA_NETSIM_FRAME)
			break;
		peer_frame(p, type, body, blen);
		off += used;
	}
	g_byte_array_remove_range(p->in, 0, (guint)off);
	peer_read(p);
}

static void peer_read(struct mh_peer *p)
{
	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(p->conn)), p->rbuf, sizeof(p->rbuf),
				  G_PRIORITY_DEFAULT, p->cancel, peer_read_done, p);
}

static gboolean peer_incoming(GSocketService *svc, GSocketConnection *conn, GObject *src, gpointer user)
{
	struct mh_peer *p = user;

	/* the newest link is the device's (a restarted modem says HELLO again) */
	if (p->conn) {
		g_cancellable_cancel(p->cancel);
		g_io_stream_close(G_IO_STREAM(p->conn), NULL, NULL);
		g_clear_object(&p->conn);
	}
	g_clear_object(&p->cancel);
	p->cancel = g_cancellable_new();
	p->conn = g_object_ref(conn);
	g_byte_array_set_size(p->in, 0);
	peer_read(p);
	return TRUE;
}

static void peer_start(struct mh_peer *p, const char *path)
{
	GSocketAddress *sa = g_unix_socket_address_new(path);

	p->path = g_strdup(path);
	p->in = g_byte_array_new();
	p->next_id = 100;
	g_queue_init(&p->frames);
	p->svc = g_socket_service_new();
	g_assert_true(g_socket_listener_add_address(G_SOCKET_LISTENER(p->svc), sa, G_SOCKET_TYPE_STREAM,
						    G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, NULL));
	g_object_unref(sa);
	g_signal_connect(p->svc, "incoming", G_CALLBACK(peer_incoming), p);
	g_socket_service_start(p->svc);
}

static void peer_stop(struct mh_peer *p)
{
	g_socket_service_stop(p->svc);
	g_socket_listener_close(G_SOCKET_LISTENER(p->svc));
	g_object_unref(p->svc);
	if (p->cancel)
		g_cancellable_cancel(p->cancel);
	if (p->conn)
		g_io_stream_close(G_IO_STREAM(p->conn), NULL, NULL);
	g_clear_object(&p->conn);
	g_clear_object(&p->cancel);
	g_queue_clear_full(&p->frames, g_free);
	g_byte_array_unref(p->in);
	g_unlink(p->path);
	g_free(p->path);
}

uint32_t mh_peer_deliver(struct mh_peer *p, const uint8_t *tpdu, size_t len)
{
	struct simota_netsim_frame f = { .type = SIMOTA_NETSIM_DELIVER, .id = ++p->next_id, .tpdu_len = len };

	g_assert_cmpuint(len, <=, sizeof(f.tpdu));
	memcpy(f.tpdu, tpdu, len);
	peer_send(p, &f);
	return f.id;
}

struct simota_netsim_frame *mh_peer_wait(struct mh_peer *p, uint8_t type, uint32_t id, unsigned ms)
{
	bool expired = false;
	guint tid = g_timeout_add(ms, timeout_flag, &expired);

	for (;;) {
		for (GList *l = p->frames.head; l; l = l->next) {
			struct simota_netsim_frame *f = l->data;

			if (f->type == type && (!id || f->id == id)) {
				g_queue_delete_link(&p->frames, l);
				if (!expired)
					g_source_remove(tid);
				return f;
			}
		}
		if (expired)
			g_error("timed out waiting for netsim frame %02x (id %u)", type, id);
		g_main_context_iteration(NULL, TRUE);
	}
}

/* ---- SMS and secured packets ----------------------------------------------------------------------------- */

size_t mh_sms_deliver(uint8_t pid, uint8_t dcs, bool udhi, const uint8_t *ud, size_t len, uint8_t *out, size_t cap)
{
	struct simota_sms_deliver d;
	size_t n;

	memset(&d, 0, sizeof(d));
	d.tp_mms = true;
	d.oa.ton = SIMOTA_SMS_TON_UNKNOWN;
	d.oa.npi = SIMOTA_SMS_NPI_ISDN;
	g_strlcpy(d.oa.digits, "12345678", sizeof(d.oa.digits));
	d.pid = pid;
	d.dcs = dcs;
	d.scts = (struct simota_sms_scts){ 24, 11, 24, 12, 0, 0, 4 };
	d.ud.udhi = udhi;
	d.ud.udl = (uint8_t)len;
	d.ud.len = (uint8_t)len;
	memcpy(d.ud.ud, ud, len);
	g_assert_cmpint(simota_sms_deliver_encode(&d, out, cap, &n), ==, SIMOTA_OK);
	return n;
}

static struct simota_ota_crypto *crypto;

static struct simota_ota_key *key(uint8_t kic_or_kid, bool is_kid, const char *hex)
{
	enum simota_ota_alg alg;
	struct simota_ota_key *k = NULL;
	uint8_t *bytes;
	size_t len;

	if (!crypto)
		g_assert_cmpint(simota_ota_crypto_new(&crypto), ==, SIMOTA_OK);
	if (is_kid)
		g_assert_cmpint(simota_ota_kid_algorithm(kic_or_kid, SIMOTA_OTA_INTEGRITY_CC, SIMOTA_OTA_ALG_NONE,
							 &alg), ==, SIMOTA_OK);
	else
		g_assert_cmpint(simota_ota_kic_algorithm(kic_or_kid, SIMOTA_OTA_ALG_NONE, &alg), ==, SIMOTA_OK);
	bytes = mh_hex(hex, &len);
	g_assert_cmpint(simota_ota_key_new(crypto, alg, bytes, len, &k), ==, SIMOTA_OK);
	g_free(bytes);
	return k;
}

size_t mh_secured_sms(const uint8_t tar[3], uint64_t cntr, const char *msg_hex, uint8_t *out, size_t cap)
{
	struct simota_ota_key *kic = key(0x15, false, MH_KIC_KEY), *kid = key(0x15, true, MH_KID_KEY);
	struct simota_ota_command cmd;
	struct simota_sms_ud segs[2];
	size_t msg_len, pkt_len, n_segs, n;
	uint8_t *msg = mh_hex(msg_hex, &msg_len), pkt[512];

	memset(&cmd, 0, sizeof(cmd));
	cmd.spi[0] = 0x16;   /* CC, ciphered, counter higher */
	cmd.spi[1] = 0x19;   /* PoR always, CC + ciphered, in the RP-ACK */
	cmd.kic = 0x15;
	cmd.kid = 0x15;
	memcpy(cmd.tar, tar, 3);
	cmd.cntr = cntr;
	cmd.data = msg;
	cmd.data_len = msg_len;
	g_assert_cmpint(simota_ota_command_encode(&cmd, kic, kid, pkt, sizeof(pkt), &pkt_len), ==, SIMOTA_OK);
	g_assert_cmpint(simota_sms_segment_packet(SIMOTA_SMS_IEI_CPI, pkt, pkt_len, 1, false, segs, 2, &n_segs), ==,
			SIMOTA_OK);
	g_assert_cmpuint(n_segs, ==, 1);
	n = mh_sms_deliver(0x7F, 0xF6, segs[0].udhi, segs[0].ud, segs[0].len, out, cap);
	simota_ota_key_free(kic);
	simota_ota_key_free(kid);
	g_free(msg);
	return n;
}

uint8_t mh_por(const uint8_t *report_tpdu, size_t len, char **data_hex)
{
	struct simota_sms_deliver_report rep;

	g_assert_cmpint(simota_sms_deliver_report_decode(report_tpdu, len, false, &rep), ==, SIMOTA_OK);
	g_assert_true(rep.has_ud);
	return mh_por_packet(rep.ud.ud, rep.ud.len, data_hex);
}

uint8_t mh_por_packet(const uint8_t *pkt, size_t len, char **data_hex)
{
	static const uint8_t spi[2] = { 0x16, 0x19 };
	struct simota_ota_key *kic = key(0x15, false, MH_KIC_KEY), *kid = key(0x15, true, MH_KID_KEY);
	struct simota_ota_response r;
	uint8_t work[512];

	g_assert_cmpint(simota_ota_response_decode(spi, 0x15, 0x15, pkt, len, kic, kid, work, sizeof(work), &r), ==,
			SIMOTA_OK);
	if (data_hex)
		*data_hex = mh_to_hex(r.data, r.data_len);
	simota_ota_key_free(kic);
	simota_ota_key_free(kid);
	return r.status;
}

/* ---- the modem-emu process -------------------------------------------------------------------------------- */

char *mh_card_ini(const char *pin)
{
	return g_strdup_printf("[card]\niccid=" MH_ICCID "\nimsi=" MH_IMSI "\nmsisdn=" MH_MSISDN "\n"
			       "smsc=" MH_SMSC "\n%s%s%s"
			       "[keyset 1]\nkic=15\nkid=15\nkic-key=" MH_KIC_KEY "\nkid-key=" MH_KID_KEY "\n"
			       "counter=0000000000\n"
			       "[tar defe01]\napplet=deferred\nkeysets=1\nmin-security-level=16\nir=fixed:30\n"
			       "mg-address=+15550100\ncapacity=8\n",
			       pin ? "pin=" : "", pin ? pin : "", pin ? "\n" : "");
}

static gboolean on_indication(QmiDevice *dev, GByteArray *msg, gpointer user)
{
	struct mh *h = user;

	g_queue_push_tail(&h->inds, qmi_message_ref((QmiMessage *)msg));
	return FALSE;
}

QmiDevice *mh_open_device(struct mh *h, unsigned i)
{
	GFile *file = g_file_new_for_path(h->dev[i]);
	GAsyncResult *res = NULL;
	QmiDevice *dev;
	GError *error = NULL;

	g_async_initable_new_async(QMI_TYPE_DEVICE, G_PRIORITY_DEFAULT, NULL, mh_got_result, &res,
				   QMI_DEVICE_FILE, file, QMI_DEVICE_NO_FILE_CHECK, TRUE,
				   QMI_DEVICE_PROXY_PATH, h->proxy, NULL);
	mh_await(&res, WAIT_MS, "QmiDevice");
	dev = qmi_device_new_finish(res, &error);
	g_assert_no_error(error);
	g_clear_object(&res);
	g_object_unref(file);
	qmi_device_open(dev, QMI_DEVICE_OPEN_FLAGS_PROXY | QMI_DEVICE_OPEN_FLAGS_VERSION_INFO, 10, NULL,
			mh_got_result, &res);
	mh_await(&res, WAIT_MS, "qmi_device_open");
	g_assert_true(qmi_device_open_finish(dev, res, &error));
	g_assert_no_error(error);
	g_object_unref(res);
	return dev;
}

QmiClient *mh_allocate(struct mh *h, QmiDevice *dev, QmiService service)
{
	GAsyncResult *res = NULL;
	GError *error = NULL;
	QmiClient *c;

	qmi_device_allocate_client(dev, service, QMI_CID_NONE, 10, NULL, mh_got_result, &res);
	mh_await(&res, WAIT_MS, "allocate client");
	c = qmi_device_allocate_client_finish(dev, res, &error);
	g_assert_no_error(error);
	g_object_unref(res);
	return c;
}

void mh_release(struct mh *h, QmiDevice *dev, QmiClient *client)
{
	GAsyncResult *res = NULL;

	qmi_device_release_client(dev, client, QMI_DEVICE_RELEASE_CLIENT_FLAGS_RELEASE_CID, 10, NULL,
				  mh_got_result, &res);
	mh_await(&res, WAIT_MS, "release client");
	g_assert_true(qmi_device_release_client_finish(dev, res, NULL));
	g_object_unref(res);
	g_object_unref(client);
}

QmiMessage *mh_command(struct mh *h, QmiDevice *dev, QmiMessage *req)
{
	GAsyncResult *res = NULL;
	GError *error = NULL;
	QmiMessage *resp;

	qmi_device_command_full(dev, req, NULL, 10, NULL, mh_got_result, &res);
	mh_await(&res, WAIT_MS, "QMI response");
	resp = qmi_device_command_full_finish(dev, res, &error);
	g_assert_no_error(error);
	g_object_unref(res);
	return resp;
}

QmiMessage *mh_wait_indication(struct mh *h, uint8_t service, uint16_t msgid, uint8_t tlv, unsigned ms)
{
	bool expired = false;
	guint tid = g_timeout_add(ms, timeout_flag, &expired);

	for (;;) {
		for (GList *l = h->inds.head; l; l = l->next) {
			QmiMessage *m = l->data;
			guint16 len;

			if (qmi_message_get_service(m) == service && qmi_message_get_message_id(m) == msgid &&
			    (!tlv || qmi_message_get_raw_tlv(m, tlv, &len))) {
				g_queue_delete_link(&h->inds, l);
				if (!expired)
					g_source_remove(tid);
				return m;
			}
		}
		if (expired)
			g_error("timed out waiting for indication %u/0x%04x TLV 0x%02x", service, msgid, tlv);
		g_main_context_iteration(NULL, TRUE);
	}
}

char *mh_control(struct mh *h, const char *cmd)
{
	GSocket *s = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL);
	GSocketAddress *sa = g_unix_socket_address_new(h->ctl);
	GString *answer = g_string_new(NULL);
	char buf[8192];
	char *line = g_strconcat(cmd, "\n", NULL);

	g_socket_set_timeout(s, 10);
	g_assert_true(g_socket_connect(s, sa, NULL, NULL));
	g_assert_cmpint(g_socket_send(s, line, strlen(line), NULL, NULL), ==, (gssize)strlen(line));
	while (!strchr(answer->str, '\n')) {
		gssize n = g_socket_receive(s, buf, sizeof(buf), NULL, NULL);

		g_assert_cmpint(n, >, 0);
		g_string_append_len(answer, buf, n);
	}
	g_socket_close(s, NULL);
	g_object_unref(s);
	g_object_unref(sa);
	g_free(line);
	*strchr(answer->str, '\n') = '\0';
	return g_string_free(answer, FALSE);
}

static JsonObject *modem_status(struct mh *h, unsigned i, JsonNode **root)
{
	char *s = mh_control(h, "status");
	JsonArray *a;

	*root = json_from_string(s, NULL);
	g_assert_nonnull(*root);
	g_free(s);
	a = json_object_get_array_member(json_node_get_object(*root), "modems");
	return json_array_get_object_element(a, i);
}

gint64 mh_status_int(struct mh *h, unsigned i, const char *member)
{
	JsonNode *root;
	gint64 v = json_object_get_int_member(modem_status(h, i, &root), member);

	json_node_unref(root);
	return v;
}

char *mh_status_str(struct mh *h, unsigned i, const char *member)
{
	JsonNode *root;
	char *v = g_strdup(json_object_get_string_member(modem_status(h, i, &root), member));

	json_node_unref(root);
	return v;
}

static gboolean poll_tick(gpointer p)
{
	*(bool *)p = true;
	return G_SOURCE_REMOVE;
}

void mh_wait_status(struct mh *h, unsigned i, const char *member, const char *value)
{
	gint64 end = g_get_monotonic_time() + WAIT_MS * 1000;
	char *last = NULL;

	for (;;) {
		JsonNode *root;
		JsonObject *m = modem_status(h, i, &root);
		const char *v = json_object_get_string_member(m, member);
		bool tick = false;

		if (!g_strcmp0(v, value)) {
			json_node_unref(root);
			g_free(last);
			return;
		}
		g_free(last);
		last = g_strdup(v);
		json_node_unref(root);
		if (g_get_monotonic_time() > end)
			g_error("modem %u: %s stayed \"%s\", expected \"%s\" (log %s)", i, member, last, value, h->log);
		g_timeout_add(20, poll_tick, &tick);
		while (!tick)
			g_main_context_iteration(NULL, TRUE);
	}
}

static void die_with_parent(gpointer p)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

void mh_start_emu(struct mh *h)
{
	mh_spawn_emu(h);
	mh_wait_status(h, 0, "sim", "ready");
}

/* modem-emu accepts connections on its control socket (the probe is closed at once). */
static bool control_answers(struct mh *h)
{
	GSocket *s = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL);
	GSocketAddress *sa = g_unix_socket_address_new(h->ctl);
	bool ok = g_socket_connect(s, sa, NULL, NULL);

	g_socket_close(s, NULL);
	g_object_unref(s);
	g_object_unref(sa);
	return ok;
}

/* modem-emu did not come up: its log (appended over the test's restarts) says why. */
static G_NORETURN void emu_failed(struct mh *h, const char *what)
{
	char *log = NULL;

	g_file_get_contents(h->log, &log, NULL, NULL);
	g_test_message("modem-emu's log:\n%s", log ? log : "(none)");
	g_free(log);
	if (!g_subprocess_get_identifier(h->emu))
		g_error("modem-emu did not start: %s (%s %d)", what,
			g_subprocess_get_if_signaled(h->emu) ? "signal" : "exit status",
			g_subprocess_get_if_signaled(h->emu) ? g_subprocess_get_term_sig(h->emu) :
								g_subprocess_get_exit_status(h->emu));
	g_error("modem-emu did not start within %d ms: %s", WAIT_MS, what);
}

void mh_spawn_emu(struct mh *h)
{
	GSubprocessLauncher *l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_MERGE);
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
	GError *error = NULL;
	char *netsim = g_strconcat("unix:", h->peer.path, NULL);

	g_ptr_array_add(argv, g_strdup(g_getenv("MODEM_EMU")));
	if (!g_getenv("MODEM_EMU_QUIET"))
		g_ptr_array_add(argv, g_strdup("-v"));   /* debug logs (the benchmark goes without) */
	g_ptr_array_add(argv, g_strdup("--qmi-proxy"));
	g_ptr_array_add(argv, g_strdup(h->proxy));
	g_ptr_array_add(argv, g_strdup("--control"));
	g_ptr_array_add(argv, g_strconcat("unix:", h->ctl, NULL));
	g_ptr_array_add(argv, g_strdup("--uicc-emu"));
	g_ptr_array_add(argv, g_strdup(g_getenv("UICC_EMU")));
	g_ptr_array_add(argv, g_strdup("--run-dir"));   /* the SIM sockets in the test's directory, gone with it */
	g_ptr_array_add(argv, g_strdup(h->dir));
	g_ptr_array_add(argv, g_strdup("--modem"));
	g_ptr_array_add(argv, g_strdup_printf("%s,card=%s,state=%s,netsim=%s", h->dev[0], h->ini, h->state, netsim));
	if (h->n_modems > 1) {
		/* the second modem's SIM: another card, its own state, no radio */
		char *ini2 = g_build_filename(h->dir, "card2.ini", NULL);
		char *text = mh_card_ini(NULL), *p = strstr(text, "0017");

		memcpy(p, "0025", 4);
		g_assert_true(g_file_set_contents(ini2, text, -1, NULL));
		g_chmod(ini2, 0600);
		g_ptr_array_add(argv, g_strdup("--modem"));
		g_ptr_array_add(argv, g_strdup_printf("%s,card=%s", h->dev[1], ini2));
		g_free(ini2);
		g_free(text);
	}
	g_ptr_array_add(argv, NULL);
	/* appended, so a restart keeps the first run's log; modem-emu dies with the test */
	g_subprocess_launcher_set_child_setup(l, die_with_parent, NULL, NULL);
	g_subprocess_launcher_take_stdout_fd(l, g_open(h->log, O_WRONLY | O_CREAT | O_APPEND, 0600));
	h->emu = g_subprocess_launcher_spawnv(l, (const char *const *)argv->pdata, &error);
	g_assert_no_error(error);
	g_object_unref(l);
	g_ptr_array_unref(argv);
	g_free(netsim);
	/* the control socket answers once modem-emu is up (its file exists from bind(), connections are refused
	 * until listen()); then the SIM and the radio */
	for (gint64 end = g_get_monotonic_time() + WAIT_MS * 1000; !control_answers(h);) {
		if (!g_subprocess_get_identifier(h->emu) || g_get_monotonic_time() >= end)
			emu_failed(h, g_subprocess_get_identifier(h->emu) ? "its control socket did not answer"
									   : "it exited");
		g_usleep(10000);
	}
}

void mh_kill9(struct mh *h)
{
	g_subprocess_send_signal(h->emu, SIGKILL);
	g_assert_true(g_subprocess_wait(h->emu, NULL, NULL));
	g_clear_object(&h->emu);
	g_unlink(h->ctl);
}

static void stop_emu(struct mh *h)
{
	if (!h->emu)
		return;
	g_subprocess_send_signal(h->emu, SIGTERM);
	g_assert_true(g_subprocess_wait(h->emu, NULL, NULL));
	g_assert_true(g_subprocess_get_if_exited(h->emu));
	g_assert_cmpint(g_subprocess_get_exit_status(h->emu), ==, 0);
	g_clear_object(&h->emu);
}

void mh_start(struct mh *h, unsigned n_modems, const char *pin)
{
	char *text = mh_card_ini(pin);
	char *name;

	memset(h, 0, sizeof(*h));
	g_queue_init(&h->inds);
	h->n_modems = n_modems;
	h->dir = g_dir_make_tmp("modem-emu-test-XXXXXX", NULL);
	g_assert_nonnull(h->dir);
	h->ini = g_build_filename(h->dir, "card.ini", NULL);
	h->state = g_build_filename(h->dir, "card.state", NULL);
	h->ctl = g_build_filename(h->dir, "control.sock", NULL);
	h->log = g_build_filename(h->dir, "modem-emu.log", NULL);
	for (unsigned i = 0; i < n_modems; i++)
		h->dev[i] = g_strdup_printf("%s/cdc-wdm%u", h->dir, i);
	name = g_path_get_basename(h->dir);
	h->proxy = g_strdup_printf("%s-qmi-proxy", name);
	g_free(name);
	g_assert_true(g_file_set_contents(h->ini, text, -1, NULL));
	g_chmod(h->ini, 0600);
	g_free(text);
	name = g_build_filename(h->dir, "netsim.sock", NULL);
	peer_start(&h->peer, name);
	g_free(name);
	mh_start_emu(h);
	mh_wait_status(h, 0, "registration", "home");
	h->qmi = mh_open_device(h, 0);
	g_signal_connect(h->qmi, QMI_DEVICE_SIGNAL_INDICATION, G_CALLBACK(on_indication), h);
}

void mh_stop(struct mh *h)
{
	GAsyncResult *res = NULL;

	if (h->qmi) {
		qmi_device_close_async(h->qmi, 5, NULL, mh_got_result, &res);
		mh_await(&res, WAIT_MS, "close");
		g_object_unref(res);
		g_object_unref(h->qmi);
	}
	stop_emu(h);
	peer_stop(&h->peer);
	g_queue_clear_full(&h->inds, (GDestroyNotify)qmi_message_unref);
	if (g_getenv("MODEM_TEST_KEEP"))
		g_test_message("kept %s", h->dir);
	else {
		GDir *d = g_dir_open(h->dir, 0, NULL);
		const char *n;

		while (d && (n = g_dir_read_name(d))) {
			char *p = g_build_filename(h->dir, n, NULL);

			g_unlink(p);
			g_free(p);
		}
		if (d)
			g_dir_close(d);
		g_rmdir(h->dir);
	}
	for (unsigned i = 0; i < 2; i++)
		g_free(h->dev[i]);
	g_free(h->dir);
	g_free(h->ini);
	g_free(h->state);
	g_free(h->ctl);
	g_free(h->log);
	g_free(h->proxy);
}
