// SPDX-License-Identifier: GPL-2.0-or-later
/* UICC backend factory (uicc.h). */
#include "uicc/uicc.h"

G_DEFINE_QUARK(sb-uicc-error-quark, sb_uicc_error)

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
