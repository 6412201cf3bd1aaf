// SPDX-License-Identifier: GPL-2.0-or-later
/* UICC transport factory (uicc.h). */
#include "card/uicc.h"

struct sb_uicc *sb_uicc_new(const struct sb_uicc_addr *addr)
{
	switch (addr->kind) {
	case SB_UICC_EMU:
		return sb_uicc_emu_new(addr->path);
	case SB_UICC_PCSC:
#ifdef SB_HAVE_PCSC
		return sb_uicc_pcsc_new(addr->path, addr->shared);
#else
		break;             /* refused by the config parser */
#endif
	}
	return NULL;
}

struct failure {
	GError *err;
	sb_uicc_atr_cb atr_cb;
	sb_uicc_apdu_cb apdu_cb;
	void *data;
	GCancellable *alive;
};

static gboolean report_failure(gpointer p)
{
	struct failure *f = p;

	if (!g_cancellable_is_cancelled(f->alive)) {
		if (f->atr_cb)
			f->atr_cb(f->err, NULL, 0, f->data);
		else
			f->apdu_cb(f->err, NULL, 0, f->data);
	}
	g_error_free(f->err);
	g_object_unref(f->alive);
	g_free(f);
	return G_SOURCE_REMOVE;
}

void sb_uicc_fail_later(GCancellable *alive, sb_uicc_atr_cb atr_cb, sb_uicc_apdu_cb apdu_cb,
			void *data, GError *err)
{
	struct failure *f = g_new0(struct failure, 1);

	f->err = err;
	f->atr_cb = atr_cb;
	f->apdu_cb = apdu_cb;
	f->data = data;
	f->alive = g_object_ref(alive);
	g_idle_add(report_failure, f);
}

void sb_uicc_set_lost_handler(struct sb_uicc *u, sb_uicc_lost_cb cb, void *data)
{
	u->lost = cb;
	u->lost_data = data;
}

void sb_uicc_set_present_handler(struct sb_uicc *u, sb_uicc_present_cb cb, void *data)
{
	u->present = cb;
	u->present_data = data;
}

void sb_uicc_free(struct sb_uicc *u)
{
	char *d;

	if (!u)
		return;
	d = u->description;
	u->ops->destroy(u);
	g_free(d);
}
