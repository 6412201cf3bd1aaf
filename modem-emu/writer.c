/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Queued asynchronous writes on one GOutputStream: the one writer every link of modem-emu uses. */
#include "modem-emu.h"

struct me_writer {
	GOutputStream *out;
	GCancellable *cancel;
	GByteArray *queued;
	GBytes *writing;
	me_writer_error_cb on_error;
	void *user;
	bool dead;        /* freed while a write was in flight: the callback frees */
};

static void start_write(struct me_writer *w);

static void destroy(struct me_writer *w)
{
	g_byte_array_unref(w->queued);
	g_object_unref(w->cancel);
	g_object_unref(w->out);
	g_free(w);
}

static void write_done(GObject *src, GAsyncResult *res, gpointer p)
{
	struct me_writer *w = p;
	GError *error = NULL;
	gsize written = 0;
	bool ok = g_output_stream_write_all_finish(G_OUTPUT_STREAM(src), res, &written, &error);

	g_clear_pointer(&w->writing, g_bytes_unref);
	if (w->dead) {
		g_clear_error(&error);
		destroy(w);
		return;
	}
	if (!ok) {
		w->dead = true;   /* no more writes; the owner closes */
		if (w->on_error)
			w->on_error(w->user, error);
		g_error_free(error);
		return;
	}
	start_write(w);
}

static void start_write(struct me_writer *w)
{
	if (w->writing || !w->queued->len || w->dead)
		return;
	w->writing = g_byte_array_free_to_bytes(w->queued);
	w->queued = g_byte_array_new();
	g_output_stream_write_all_async(w->out, g_bytes_get_data(w->writing, NULL),
					g_bytes_get_size(w->writing), G_PRIORITY_DEFAULT, w->cancel,
					write_done, w);
}

struct me_writer *me_writer_new(GOutputStream *out, me_writer_error_cb on_error, void *user)
{
	struct me_writer *w = g_new0(struct me_writer, 1);

	w->out = g_object_ref(out);
	w->cancel = g_cancellable_new();
	w->queued = g_byte_array_new();
	w->on_error = on_error;
	w->user = user;
	return w;
}

void me_writer_send(struct me_writer *w, const void *p, size_t len)
{
	if (w->dead)
		return;
	g_byte_array_append(w->queued, p, (guint)len);
	start_write(w);
}

void me_writer_free(struct me_writer *w)
{
	if (!w)
		return;
	if (w->writing) {
		w->dead = true;
		w->on_error = NULL;
		g_cancellable_cancel(w->cancel);
		return;
	}
	destroy(w);
}
