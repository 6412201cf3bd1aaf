/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The card link (sim-link.h): the child uicc-emu, the vpcd frames, the T=0 exchanges, jobs. */
#include <errno.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sim-link.h"
#include "simota/vpcd.h"

#define FRAME_TIMEOUT_MS 5000
#define CONNECT_STEP_MS 50
#define CONNECT_WAIT_MS 5000         /* a fresh child: how long its socket may take to appear */
#define SOCK_BACKOFF_FIRST_MS 250    /* sim=unix:SOCK reconnects */
#define SOCK_BACKOFF_MAX_MS 5000
#define SPAWN_BACKOFF_FIRST_MS 100   /* card=: the child started again */
#define SPAWN_BACKOFF_MAX_MS 2000
#define SPAWN_MAX_TRIES 40           /* about a minute, then the card is in error */
#define MAX_ROUNDS 32                /* GET RESPONSE / re-sends for one command */
#define MAX_RESPONSE 4096

#define INS_SELECT 0xA4
#define INS_ENVELOPE 0xC2
#define INS_GET_RESPONSE 0xC0

enum link_state { LINK_DOWN, LINK_CONNECTING, LINK_POWERING, LINK_UP };

enum job_kind { JOB_APDU, JOB_FILE };

struct job {
	enum job_kind kind;
	uint8_t apdu[5 + 256];
	size_t apdu_len;
	me_apdu_cb apdu_cb;
	struct me_file_req req;
	uint8_t data[256];
	me_file_cb file_cb;
	void *user;
	/* file operation progress */
	int step;
	uint8_t fcp[256];
	size_t fcp_len;
	GByteArray *acc;
	uint32_t pos, total;
};

struct me_sim {
	struct me_modem *m;
	const struct me_sim_ops *ops;
	void *user;
	bool inserted;
	bool child_mode;
	char *sock_path;
	/* the child */
	GSubprocess *child;
	int child_pid;
	unsigned starts;             /* children started, for status */
	GCancellable *child_cancel;
	unsigned spawn_tries;
	guint respawn_id;
	/* the link */
	enum link_state state;
	struct me_link *link;
	guint retry_id;
	unsigned connect_waited_ms;
	unsigned backoff_ms;
	guint timeout_id;
	/* the command on the wire (T=0) */
	bool busy;
	uint8_t cmd[5 + 256];
	size_t cmd_len;
	GByteArray *resp;
	unsigned rounds;
	bool in_get_response;
	bool warning_get_response;
	uint16_t warning_sw;
	/* jobs */
	struct job *cur;
	GQueue jobs;
	unsigned pending_proactive;  /* 0: none; 1..256 */
};

static void link_connect(struct me_sim *s);
static void link_drop(struct me_sim *s, const char *why);
static void job_next(struct me_sim *s);
static void job_step(struct me_sim *s, const struct me_apdu_res *res);

/* ---- the child ---------------------------------------------------------------------------------- */

static void child_setup(gpointer p)
{
	pid_t parent = (pid_t)GPOINTER_TO_INT(p);

	/* the SIM goes when the modem goes, even by kill -9 */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
}

static void spawn_child(struct me_sim *s);

static gboolean respawn_cb(gpointer p)
{
	struct me_sim *s = p;

	s->respawn_id = 0;
	if (s->inserted && !s->child)
		spawn_child(s);
	return G_SOURCE_REMOVE;
}

static void child_exited(GObject *src, GAsyncResult *res, gpointer p)
{
	struct me_sim *s = p;
	GSubprocess *child = G_SUBPROCESS(src);
	GError *error = NULL;
	unsigned delay;

	if (!g_subprocess_wait_finish(child, res, &error)) {
		/* cancelled: the link is being freed */
		g_error_free(error);
		g_object_unref(child);
		return;
	}
	if (s->child != child) {
		g_object_unref(child);
		return;
	}
	if (g_subprocess_get_if_signaled(child))
		ME_WARN("%s: uicc-emu (pid %d) killed by signal %d", s->m->name, s->child_pid,
			g_subprocess_get_term_sig(child));
	else
		ME_WARN("%s: uicc-emu (pid %d) exited with status %d", s->m->name, s->child_pid,
			g_subprocess_get_exit_status(child));
	s->child_pid = 0;
	g_clear_object(&s->child);
	g_object_unref(child);
	if (s->state != LINK_DOWN)
		link_drop(s, "the uicc-emu process exited");
	if (!s->inserted)
		return;
	if (++s->spawn_tries > SPAWN_MAX_TRIES) {
		ME_WARN("%s: uicc-emu did not stay up after %u starts: the SIM stays in error", s->m->name,
			SPAWN_MAX_TRIES);
		s->m->card.state = ME_CARD_ERROR;
		me_modem_card_changed(s->m);
		return;
	}
	delay = SPAWN_BACKOFF_FIRST_MS << (s->spawn_tries < 5 ? s->spawn_tries - 1 : 4);
	if (delay > SPAWN_BACKOFF_MAX_MS)
		delay = SPAWN_BACKOFF_MAX_MS;
	s->respawn_id = g_timeout_add(delay, respawn_cb, s);
}

static void spawn_child(struct me_sim *s)
{
	GSubprocessLauncher *l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
	GError *error = NULL;
	GSubprocess *child;

	g_ptr_array_add(argv, g_strdup(s->m->srv->uicc_emu));
	g_ptr_array_add(argv, g_strdup("--config"));
	g_ptr_array_add(argv, g_strdup(s->m->cfg.card));
	if (s->m->cfg.state) {
		g_ptr_array_add(argv, g_strdup("--state"));
		g_ptr_array_add(argv, g_strdup(s->m->cfg.state));
	}
	g_ptr_array_add(argv, g_strdup("--listen"));
	g_ptr_array_add(argv, g_strconcat("unix:", s->sock_path, NULL));
	g_ptr_array_add(argv, NULL);
	g_subprocess_launcher_set_child_setup(l, child_setup, GINT_TO_POINTER(getpid()), NULL);
	child = g_subprocess_launcher_spawnv(l, (const char *const *)argv->pdata, &error);
	g_object_unref(l);
	g_ptr_array_unref(argv);
	if (!child) {
		ME_WARN("%s: cannot start uicc-emu %s: %s", s->m->name, s->m->srv->uicc_emu, error->message);
		g_error_free(error);
		s->child = NULL;
		s->m->card.state = ME_CARD_ERROR;
		me_modem_card_changed(s->m);
		return;
	}
	s->child_pid = atoi(g_subprocess_get_identifier(child));
	s->starts++;
	ME_DEBUG("%s: uicc-emu started, pid %d", s->m->name, s->child_pid);
	s->child = child;
	g_subprocess_wait_async(child, s->child_cancel, child_exited, s);
	g_object_ref(child);   /* the wait's */
	s->connect_waited_ms = 0;
	link_connect(s);
}

unsigned me_sim_child_starts(const struct me_sim *s)
{
	return s->starts;
}

int me_sim_child_pid(const struct me_sim *s)
{
	return s->child ? s->child_pid : 0;
}

/* ---- the link ----------------------------------------------------------------------------------- */

static void send_frame(struct me_sim *s, const uint8_t *p, size_t len)
{
	uint8_t hdr[SIMOTA_VPCD_HEADER];

	if (!simota_vpcd_frame_header(len, hdr))
		return;
	me_link_send(s->link, hdr, sizeof(hdr));
	me_link_send(s->link, p, len);
}

static void send_ctrl(struct me_sim *s, uint8_t ctrl)
{
	send_frame(s, &ctrl, 1);
}

static gboolean timeout_cb(gpointer p)
{
	struct me_sim *s = p;

	s->timeout_id = 0;
	link_drop(s, "the card did not answer within 5 s");
	return G_SOURCE_REMOVE;
}

static void arm_timeout(struct me_sim *s)
{
	if (s->timeout_id)
		g_source_remove(s->timeout_id);
	s->timeout_id = g_timeout_add(FRAME_TIMEOUT_MS, timeout_cb, s);
}

static void disarm_timeout(struct me_sim *s)
{
	if (s->timeout_id)
		g_source_remove(s->timeout_id);
	s->timeout_id = 0;
}

static void transmit(struct me_sim *s, const uint8_t *apdu, size_t len)
{
	send_frame(s, apdu, len);
	arm_timeout(s);
}

/* The answer to the command on the wire is complete. */
static void exchange_done(struct me_sim *s, uint16_t sw)
{
	struct me_apdu_res res = { .sw = sw };

	s->busy = false;
	disarm_timeout(s);
	if ((sw >> 8) == 0x91)
		s->pending_proactive = (sw & 0xFF) ? (sw & 0xFF) : 256;
	res.data = s->resp->data;
	res.len = s->resp->len;
	job_step(s, &res);
}

static void get_response(struct me_sim *s, uint8_t le)
{
	uint8_t gr[5] = { 0x00, INS_GET_RESPONSE, 0x00, 0x00, le };

	s->in_get_response = true;
	memcpy(s->cmd, gr, sizeof(gr));
	s->cmd_len = sizeof(gr);
	transmit(s, gr, sizeof(gr));
}

/* TS 102 221 §7.3.1.1 (T=0 procedure bytes as status words, §7.4.2). */
static void on_response(struct me_sim *s, const uint8_t *p, size_t len)
{
	uint16_t sw = (uint16_t)(p[len - 2] << 8 | p[len - 1]);
	uint8_t sw1 = (uint8_t)(sw >> 8), sw2 = (uint8_t)sw;

	if (s->resp->len + len - 2 > MAX_RESPONSE || ++s->rounds > MAX_ROUNDS) {
		link_drop(s, "the card's answer does not end (too many GET RESPONSE rounds)");
		return;
	}
	g_byte_array_append(s->resp, p, (guint)(len - 2));
	if (sw1 == 0x61) {
		get_response(s, sw2);
		return;
	}
	if (sw1 == 0x6C) {
		/* the same command again with P3 = XX */
		s->cmd[4] = sw2;
		transmit(s, s->cmd, s->cmd_len);
		return;
	}
	if (s->warning_get_response) {
		/* the GET RESPONSE after a warning: its data with the warning, or the warning alone */
		s->warning_get_response = false;
		if (sw1 != 0x90 && sw1 != 0x91 && sw1 != 0x62 && sw1 != 0x63)
			g_byte_array_set_size(s->resp, 0);
		exchange_done(s, s->warning_sw);
		return;
	}
	if ((sw1 == 0x62 || sw1 == 0x63) && !s->in_get_response && s->cmd_len > 5 &&
	    (s->cmd[1] == INS_ENVELOPE || s->cmd[1] == INS_SELECT)) {
		s->warning_get_response = true;
		s->warning_sw = sw;
		get_response(s, 0x00);
		return;
	}
	exchange_done(s, sw);
}

static void exchange(struct me_sim *s, const uint8_t *apdu, size_t len)
{
	struct me_apdu_res res = { 0 };
	GError *error = NULL;

	if (s->state != LINK_UP || len < 5 || len > sizeof(s->cmd)) {
		g_set_error(&error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
			    s->state != LINK_UP ? "no SIM" : "bad command length");
		res.error = error;
		job_step(s, &res);
		g_error_free(error);
		return;
	}
	s->busy = true;
	s->rounds = 0;
	s->in_get_response = false;
	s->warning_get_response = false;
	g_byte_array_set_size(s->resp, 0);
	memcpy(s->cmd, apdu, len);
	s->cmd_len = len;
	transmit(s, apdu, len);
}

static void on_frame(struct me_sim *s, const struct simota_vpcd_frame *f)
{
	if (f->kind != SIMOTA_VPCD_APDU) {
		link_drop(s, "the card sent a frame that is no answer");
		return;
	}
	if (s->state == LINK_POWERING) {
		disarm_timeout(s);
		s->m->card.atr_len = f->len < sizeof(s->m->card.atr) ? f->len : sizeof(s->m->card.atr);
		memcpy(s->m->card.atr, f->payload, s->m->card.atr_len);
		s->state = LINK_UP;
		s->spawn_tries = 0;
		s->backoff_ms = 0;
		ME_DEBUG("%s: SIM powered, ATR of %zu bytes", s->m->name, f->len);
		if (s->ops)
			s->ops->present(s->user);
		if (!s->cur)
			job_next(s);
		return;
	}
	if (!s->busy) {
		ME_WARN("%s: the card answered nothing we asked; ignored", s->m->name);
		return;
	}
	on_response(s, f->payload, f->len);
}

static void link_input(void *user, GByteArray *in)
{
	struct me_sim *s = user;
	size_t off = 0;

	while (s->state != LINK_DOWN) {
		struct simota_vpcd_frame f = simota_vpcd_frame_parse(in->data + off, in->len - off);

		if (f.kind == SIMOTA_VPCD_INCOMPLETE)
			break;
		off += f.consumed;
		on_frame(s, &f);
	}
	if (s->state != LINK_DOWN)
		g_byte_array_remove_range(in, 0, (guint)off);
}

static gboolean retry_cb(gpointer p)
{
	struct me_sim *s = p;

	s->retry_id = 0;
	if (s->inserted && s->state == LINK_DOWN)
		link_connect(s);
	return G_SOURCE_REMOVE;
}

static void connect_later(struct me_sim *s)
{
	unsigned delay;

	if (s->child_mode) {
		if (!s->child)
			return;   /* child_exited starts it again */
		delay = CONNECT_STEP_MS;
		s->connect_waited_ms += delay;
		if (s->connect_waited_ms > CONNECT_WAIT_MS) {
			ME_WARN("%s: uicc-emu's socket %s did not come up; starting it again", s->m->name,
				s->sock_path);
			g_subprocess_force_exit(s->child);   /* child_exited respawns */
			return;
		}
	} else {
		s->backoff_ms = s->backoff_ms ? MIN(s->backoff_ms * 2, SOCK_BACKOFF_MAX_MS) : SOCK_BACKOFF_FIRST_MS;
		delay = s->backoff_ms;
	}
	s->retry_id = g_timeout_add(delay, retry_cb, s);
}

static void link_up(void *user)
{
	struct me_sim *s = user;

	s->state = LINK_POWERING;
	/* power on (a cold reset if it is off), then the ATR (doc/uicc-transport.md) */
	send_ctrl(s, SIMOTA_VPCD_CTRL_POWER_ON);
	send_ctrl(s, SIMOTA_VPCD_CTRL_GET_ATR);
	arm_timeout(s);
}

static void link_down(void *user, const char *why)
{
	struct me_sim *s = user;

	if (s->state == LINK_CONNECTING) {
		if (!s->child_mode || s->connect_waited_ms == 0)
			ME_DEBUG("%s: SIM link: %s", s->m->name, why);
		s->state = LINK_DOWN;
		connect_later(s);
		return;
	}
	link_drop(s, why);
}

static const struct me_link_ops link_ops = { .up = link_up, .input = link_input, .down = link_down };

static void link_connect(struct me_sim *s)
{
	GSocketAddress *sa = g_unix_socket_address_new(s->sock_path);

	s->state = LINK_CONNECTING;
	me_link_connect(s->link, G_SOCKET_CONNECTABLE(sa));
	g_object_unref(sa);
}

static void fail_jobs(struct me_sim *s, const char *why);

static void link_drop(struct me_sim *s, const char *why)
{
	bool was_present = s->state == LINK_UP;

	if (s->state == LINK_DOWN)
		return;
	disarm_timeout(s);
	me_link_close(s->link);
	s->state = LINK_DOWN;
	s->busy = false;
	s->pending_proactive = 0;
	if (was_present)
		ME_INFO("%s: SIM link down: %s", s->m->name, why);
	fail_jobs(s, why);
	if (was_present && s->ops)
		s->ops->gone(s->user, why);
	if (s->inserted && !s->retry_id) {
		if (s->child_mode)
			s->connect_waited_ms = 0;
		connect_later(s);
	}
}

/* ---- jobs ---------------------------------------------------------------------------------------- */

static void job_free(struct job *j)
{
	if (j->acc)
		g_byte_array_unref(j->acc);
	g_free(j);
}

static void job_finish_file(struct me_sim *s, struct job *j, const GError *error, uint16_t sw,
			    const uint8_t *data, size_t len)
{
	struct me_file_res res = {
		.error = error, .sw = sw, .fcp = j->fcp, .fcp_len = j->fcp_len, .data = data, .len = len,
	};

	j->file_cb(&res, j->user);
}

static void job_done(struct me_sim *s)
{
	struct job *j = s->cur;
	unsigned proactive = s->pending_proactive;

	s->cur = NULL;
	job_free(j);
	if (proactive && s->state == LINK_UP) {
		s->pending_proactive = 0;
		if (s->ops)
			s->ops->proactive(s->user, proactive);
	}
	job_next(s);
}

static void fail_jobs(struct me_sim *s, const char *why)
{
	GError *error = g_error_new(G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "%s", why);
	struct me_apdu_res ares = { .error = error };
	struct job *j;

	while ((j = s->cur ? s->cur : g_queue_pop_head(&s->jobs))) {
		s->cur = NULL;
		if (j->kind == JOB_APDU)
			j->apdu_cb(&ares, j->user);
		else
			job_finish_file(s, j, error, 0, NULL, 0);
		job_free(j);
	}
	g_error_free(error);
}

static bool sw_ok(uint16_t sw)
{
	return (sw >> 8) == 0x90 || (sw >> 8) == 0x91;
}

static size_t select_apdu(const struct me_file_req *req, uint8_t *a)
{
	size_t n = 0;

	a[n++] = 0x00;
	a[n++] = INS_SELECT;
	if (req->depth == 0) {
		/* TS 102 221 §11.1.1: the MF by its FID, FCP */
		a[n++] = 0x00; a[n++] = 0x04; a[n++] = 0x02; a[n++] = 0x3F; a[n++] = 0x00;
		return n;
	}
	/* select by path from the MF (P1 08), return the FCP (P2 04) */
	a[n++] = 0x08; a[n++] = 0x04; a[n++] = (uint8_t)(2 * req->depth);
	for (unsigned i = 0; i < req->depth; i++) {
		a[n++] = (uint8_t)(req->path[i] >> 8);
		a[n++] = (uint8_t)req->path[i];
	}
	return n;
}

enum { STEP_SELECT, STEP_BODY };

static void file_step(struct me_sim *s, struct job *j, const struct me_apdu_res *res)
{
	uint8_t a[5 + 256];
	struct me_fcp fcp;

	if (res && res->error) {
		job_finish_file(s, j, res->error, 0, NULL, 0);
		job_done(s);
		return;
	}
	if (j->step == STEP_SELECT && !res) {
		exchange(s, a, select_apdu(&j->req, a));
		return;
	}
	if (j->step == STEP_SELECT) {
		if (!sw_ok(res->sw) || j->req.op == ME_FILE_INFO) {
			j->fcp_len = res->len < sizeof(j->fcp) ? res->len : sizeof(j->fcp);
			memcpy(j->fcp, res->data, j->fcp_len);
			job_finish_file(s, j, NULL, res->sw, NULL, 0);
			job_done(s);
			return;
		}
		j->fcp_len = res->len < sizeof(j->fcp) ? res->len : sizeof(j->fcp);
		memcpy(j->fcp, res->data, j->fcp_len);
		if (!me_fcp_parse(j->fcp, j->fcp_len, &fcp))
			memset(&fcp, 0, sizeof(fcp));
		j->step = STEP_BODY;
		j->acc = g_byte_array_new();
		j->pos = j->req.offset;
		switch (j->req.op) {
		case ME_FILE_READ_BINARY:
			j->total = j->req.length ? (uint32_t)j->req.offset + j->req.length :
				   (fcp.file_size > 0xFFFF ? 0xFFFF : fcp.file_size);
			break;
		case ME_FILE_READ_RECORD:
			if (!j->req.length)
				j->req.length = fcp.record_len;
			break;
		default:
			break;
		}
		res = NULL;
	} else if (!sw_ok(res->sw)) {
		job_finish_file(s, j, NULL, res->sw, j->acc->data, j->acc->len);
		job_done(s);
		return;
	} else {
		g_byte_array_append(j->acc, res->data, (guint)res->len);
		if (j->req.op == ME_FILE_READ_BINARY && res->len > 0)
			j->pos += (uint32_t)res->len;
		if (j->req.op != ME_FILE_READ_BINARY || j->pos >= j->total || res->len == 0) {
			job_finish_file(s, j, NULL, res->sw, j->acc->data, j->acc->len);
			job_done(s);
			return;
		}
	}
	/* the next command of the body */
	switch (j->req.op) {
	case ME_FILE_READ_BINARY: {
		uint32_t n = j->total - j->pos;

		if (j->total <= j->pos) {
			job_finish_file(s, j, NULL, 0x9000, j->acc->data, j->acc->len);
			job_done(s);
			return;
		}
		if (n > 255)
			n = 255;
		/* TS 102 221 §11.1.3 READ BINARY, offset in P1-P2 */
		a[0] = 0x00; a[1] = 0xB0; a[2] = (uint8_t)(j->pos >> 8); a[3] = (uint8_t)j->pos; a[4] = (uint8_t)n;
		exchange(s, a, 5);
		return;
	}
	case ME_FILE_READ_RECORD:
		/* TS 102 221 §11.1.5 READ RECORD, absolute (P2 04) */
		a[0] = 0x00; a[1] = 0xB2; a[2] = j->req.record; a[3] = 0x04; a[4] = (uint8_t)j->req.length;
		exchange(s, a, 5);
		return;
	case ME_FILE_UPDATE_BINARY:
		/* §11.1.4 UPDATE BINARY */
		a[0] = 0x00; a[1] = 0xD6; a[2] = (uint8_t)(j->req.offset >> 8); a[3] = (uint8_t)j->req.offset;
		a[4] = (uint8_t)j->req.data_len;
		memcpy(a + 5, j->data, j->req.data_len);
		exchange(s, a, 5 + j->req.data_len);
		return;
	case ME_FILE_UPDATE_RECORD:
		/* §11.1.6 UPDATE RECORD, absolute */
		a[0] = 0x00; a[1] = 0xDC; a[2] = j->req.record; a[3] = 0x04; a[4] = (uint8_t)j->req.data_len;
		memcpy(a + 5, j->data, j->req.data_len);
		exchange(s, a, 5 + j->req.data_len);
		return;
	default:
		break;
	}
}

static void job_step(struct me_sim *s, const struct me_apdu_res *res)
{
	struct job *j = s->cur;

	if (!j)
		return;
	if (j->kind == JOB_APDU) {
		if (!res) {
			exchange(s, j->apdu, j->apdu_len);
			return;
		}
		j->apdu_cb(res, j->user);
		job_done(s);
		return;
	}
	file_step(s, j, res);
}

static void job_next(struct me_sim *s)
{
	if (s->cur || s->state != LINK_UP)
		return;
	s->cur = g_queue_pop_head(&s->jobs);
	if (s->cur)
		job_step(s, NULL);
}

/* With no card the job fails at once (its callback runs before this returns). */
static void job_queue(struct me_sim *s, struct job *j)
{
	g_queue_push_tail(&s->jobs, j);
	if (s->state != LINK_UP) {
		if (!s->cur)
			fail_jobs(s, s->inserted ? "the SIM is not ready" : "no SIM");
		return;
	}
	job_next(s);
}

void me_sim_apdu(struct me_sim *s, const uint8_t *apdu, size_t len, me_apdu_cb cb, void *user)
{
	struct job *j = g_new0(struct job, 1);

	j->kind = JOB_APDU;
	j->apdu_len = len < sizeof(j->apdu) ? len : sizeof(j->apdu);
	memcpy(j->apdu, apdu, j->apdu_len);
	j->apdu_cb = cb;
	j->user = user;
	job_queue(s, j);
}

void me_sim_file(struct me_sim *s, const struct me_file_req *req, me_file_cb cb, void *user)
{
	struct job *j = g_new0(struct job, 1);

	j->kind = JOB_FILE;
	j->req = *req;
	if (j->req.depth > ME_PATH_MAX)
		j->req.depth = ME_PATH_MAX;
	j->req.data_len = req->data_len < sizeof(j->data) ? req->data_len : sizeof(j->data);
	if (req->data)
		memcpy(j->data, req->data, j->req.data_len);
	j->req.data = NULL;
	j->file_cb = cb;
	j->user = user;
	job_queue(s, j);
}

/* ---- the object ---------------------------------------------------------------------------------- */

struct me_sim *me_sim_new(struct me_modem *m, const struct me_sim_ops *ops, void *user)
{
	struct me_sim *s = g_new0(struct me_sim, 1);

	s->m = m;
	s->ops = ops;
	s->user = user;
	s->link = me_link_new(&link_ops, s);
	s->resp = g_byte_array_new();
	s->child_cancel = g_cancellable_new();
	g_queue_init(&s->jobs);
	if (m->cfg.card) {
		s->child_mode = true;
		s->sock_path = g_strdup_printf("%s/modem%u-sim.sock", m->srv->run_dir, m->index);
	} else {
		s->sock_path = g_strdup(m->cfg.sim + strlen("unix:"));
	}
	return s;
}

bool me_sim_up(const struct me_sim *s)
{
	return s->state == LINK_UP;
}

void me_sim_set_inserted(struct me_sim *s, bool inserted)
{
	if (inserted == s->inserted)
		return;
	s->inserted = inserted;
	if (inserted) {
		s->spawn_tries = 0;
		if (s->child_mode && !s->child)
			spawn_child(s);
		else if (s->state == LINK_DOWN && !s->retry_id)
			link_connect(s);
		return;
	}
	if (s->retry_id)
		g_source_remove(s->retry_id);
	s->retry_id = 0;
	if (s->state == LINK_UP)
		send_ctrl(s, SIMOTA_VPCD_CTRL_POWER_OFF);
	link_drop(s, "SIM removed");
	me_link_close(s->link);   /* a connection being made, too */
}

void me_sim_free(struct me_sim *s)
{
	if (!s)
		return;
	s->inserted = false;
	if (s->retry_id)
		g_source_remove(s->retry_id);
	if (s->respawn_id)
		g_source_remove(s->respawn_id);
	s->retry_id = s->respawn_id = 0;
	s->ops = NULL;
	link_drop(s, "modem-emu exits");
	me_link_free(s->link);
	g_cancellable_cancel(s->child_cancel);
	if (s->child) {
		/* SIGTERM: the card commits and removes its socket; then it is reaped */
		g_subprocess_send_signal(s->child, SIGTERM);
		g_subprocess_wait(s->child, NULL, NULL);
		g_clear_object(&s->child);
	}
	g_object_unref(s->child_cancel);
	g_byte_array_unref(s->resp);
	g_free(s->sock_path);
	g_free(s);
}
