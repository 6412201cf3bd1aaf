/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --control unix:SOCK: one-line commands, so tests can act on a modem as
 * the world would (doc/modem-emu.md): sim-remove, sim-insert, radio-down,
 * radio-up, mute, unmute (each with the modem's PATH), and status (a JSON
 * line).  Every line gets one line back: "ok", "error: ...", or the JSON.
 */
#include <gio/gunixsocketaddress.h>
#include <string.h>
#include <unistd.h>

#include "modem-emu.h"

#define LINE_MAX_LEN 4096

struct me_control {
	struct me_server *srv;
	GSocketService *service;
	char *path;
};

struct conn {
	struct me_control *ctl;
	GSocketConnection *conn;
	GDataInputStream *in;
	struct me_writer *writer;
	GCancellable *cancel;
};

static void conn_free(struct conn *c)
{
	g_cancellable_cancel(c->cancel);
	me_writer_free(c->writer);
	g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
	g_object_unref(c->in);
	g_object_unref(c->conn);
	g_object_unref(c->cancel);
	g_free(c);
}

static char *status(struct me_server *srv)
{
	JsonBuilder *b = json_builder_new();
	JsonNode *root;
	char *s;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "qmi_proxy");
	json_builder_add_string_value(b, srv->proxy_name);
	json_builder_set_member_name(b, "clients");
	json_builder_add_int_value(b, g_list_length(srv->clients));
	json_builder_set_member_name(b, "modems");
	json_builder_begin_array(b);
	for (guint i = 0; i < srv->modems->len; i++)
		json_builder_add_value(b, me_modem_status(srv->modems->pdata[i]));
	json_builder_end_array(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	s = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	return s;
}

static char *run(struct me_server *srv, const char *line)
{
	static const char *const with_modem[] = {
		"sim-remove", "sim-insert", "radio-down", "radio-up", "mute", "unmute",
	};
	char **argv = g_strsplit_set(line, " \t", -1);
	char *answer = NULL;
	char *cmd = NULL, *arg = NULL;
	struct me_modem *m;

	for (char **a = argv; *a; a++) {
		if (!**a)
			continue;
		if (!cmd)
			cmd = *a;
		else if (!arg)
			arg = *a;
		else {
			answer = g_strdup("error: too many arguments");
			goto out;
		}
	}
	if (!cmd) {
		answer = g_strdup("error: empty command");
		goto out;
	}
	if (!strcmp(cmd, "status")) {
		answer = arg ? g_strdup("error: status takes no argument") : status(srv);
		goto out;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(with_modem); i++) {
		if (strcmp(cmd, with_modem[i]))
			continue;
		if (!arg) {
			answer = g_strdup_printf("error: %s needs the modem's PATH", cmd);
			goto out;
		}
		m = me_modem_find(srv, arg);
		if (!m) {
			answer = g_strdup_printf("error: no modem %s", arg);
			goto out;
		}
		switch (i) {
		case 0:
		case 1:
			me_modem_sim_insert(m, i == 1);
			break;
		case 2:
		case 3:
			me_modem_radio(m, i == 3);
			break;
		default:
			m->muted = i == 4;
			ME_INFO("%s: %s", m->name, m->muted ? "muted (QMI requests go unanswered)" : "answering again");
			break;
		}
		answer = g_strdup("ok");
		goto out;
	}
	answer = g_strdup_printf("error: unknown command \"%s\"", cmd);
out:
	g_strfreev(argv);
	return answer;
}

static void read_line(struct conn *c);

static void line_read(GObject *src, GAsyncResult *res, gpointer p)
{
	struct conn *c = p;
	GError *error = NULL;
	gsize len;
	char *line = g_data_input_stream_read_line_finish_utf8(G_DATA_INPUT_STREAM(src), res, &len, &error);
	char *answer;

	if (!line) {
		bool cancelled = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

		g_clear_error(&error);
		if (!cancelled)
			conn_free(c);
		return;
	}
	if (len > LINE_MAX_LEN) {
		g_free(line);
		conn_free(c);
		return;
	}
	g_strchomp(line);
	answer = run(c->ctl->srv, line);
	ME_DEBUG("control: \"%s\" -> %.80s", line, answer);
	me_writer_send(c->writer, answer, strlen(answer));
	me_writer_send(c->writer, "\n", 1);
	g_free(answer);
	g_free(line);
	read_line(c);
}

static void read_line(struct conn *c)
{
	g_data_input_stream_read_line_async(c->in, G_PRIORITY_DEFAULT, c->cancel, line_read, c);
}

static void writer_error(void *user, const GError *error)
{
	(void)user;
	ME_DEBUG("control: %s", error->message);
}

static gboolean on_incoming(GSocketService *service, GSocketConnection *conn, GObject *src, gpointer p)
{
	struct conn *c = g_new0(struct conn, 1);

	c->ctl = p;
	c->conn = g_object_ref(conn);
	c->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
	c->cancel = g_cancellable_new();
	c->writer = me_writer_new(g_io_stream_get_output_stream(G_IO_STREAM(conn)), writer_error, c);
	read_line(c);
	return TRUE;
}

struct me_control *me_control_new(struct me_server *srv, const char *listen, GError **error)
{
	struct me_control *ctl;
	GSocketAddress *sa;

	if (!g_str_has_prefix(listen, "unix:") || !listen[5]) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--control unix:SOCK, not \"%s\"", listen);
		return NULL;
	}
	ctl = g_new0(struct me_control, 1);
	ctl->srv = srv;
	ctl->path = g_strdup(listen + 5);
	unlink(ctl->path);   /* a stale socket of a killed modem-emu */
	sa = g_unix_socket_address_new(ctl->path);
	ctl->service = g_socket_service_new();
	if (!g_socket_listener_add_address(G_SOCKET_LISTENER(ctl->service), sa, G_SOCKET_TYPE_STREAM,
					   G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, error)) {
		g_object_unref(sa);
		g_object_unref(ctl->service);
		g_free(ctl->path);
		g_free(ctl);
		return NULL;
	}
	g_object_unref(sa);
	g_signal_connect(ctl->service, "incoming", G_CALLBACK(on_incoming), ctl);
	g_socket_service_start(ctl->service);
	return ctl;
}

void me_control_free(struct me_control *ctl)
{
	if (!ctl)
		return;
	g_socket_service_stop(ctl->service);
	g_socket_listener_close(G_SOCKET_LISTENER(ctl->service));
	g_object_unref(ctl->service);
	unlink(ctl->path);
	g_free(ctl->path);
	g_free(ctl);
}
