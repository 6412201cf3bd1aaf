/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The REFRESH owed after RFM scripts (applets/rfm-refresh.h): recorded in
 * the card state, issued through the toolkit when the terminal can take
 * it, its TERMINAL RESPONSE deciding what is still owed (TS 102 223
 * §6.4.7, §6.6.13, §8.12).
 */
#define G_LOG_DOMAIN "uicc-rfm"

#include <gio/gio.h>
#include <string.h>

#include "simota/cat.h"
#include "simota/hex.h"

#include "applets/rfm-refresh.h"

#define APPLET_NAME "rfm-refresh"
#define GROUP "rfm-refresh"
#define FLAG_RESET 0x1
#define FLAG_FULL 0x2
/*
 * The File List's value within one proactive command (UICC_TK_MAX_COMMAND,
 * 255): D0 and its length (3), command details (5), device identities (4),
 * the list's tag and length (3).
 */
#define LIST_MAX (255 - 15)

enum {
	MODE_FULL = 0x00,         /* NAA Initialization and Full File Change Notification */
	MODE_FILES = 0x01,        /* File Change Notification */
	MODE_RESET = 0x04,        /* UICC Reset */
};

struct rfm_refresh {
	struct uicc_card *card;
	struct uicc_card_state *state;
	/* the REFRESH queued or fetched, awaiting its TERMINAL RESPONSE */
	bool inflight;
	uint64_t inflight_seq;
	uint8_t inflight_mode;
};

/* What is owed, as the card state holds it. */
struct owed {
	struct simota_cat_bytes files;    /* §8.18 value: the changed EFs' full paths */
	bool reset, full;
	uint64_t seq;                     /* bumped by each script that changed something */
};

static const char *mode_name(uint8_t mode)
{
	switch (mode) {
	case MODE_FULL: return "NAA Initialization and Full File Change Notification";
	case MODE_FILES: return "File Change Notification";
	default: return "UICC Reset";
	}
}

static void load(struct rfm_refresh *rr, struct owed *o)
{
	size_t len = 0;
	uint64_t flags = 0;

	memset(o, 0, sizeof(*o));
	simota_cat_file_list_init(&o->files);
	if (uicc_card_state_get_bytes(rr->state, GROUP, "files", o->files.data, sizeof(o->files.data), &len) &&
	    len >= 1) {
		o->files.len = (uint8_t)len;
		if (simota_cat_file_list_check(&o->files, NULL) != SIMOTA_OK) {
			g_warning("the owed REFRESH's file list in the card state is no file list: a full one is owed");
			simota_cat_file_list_init(&o->files);
			flags |= FLAG_FULL;
		}
	}
	uicc_card_state_get_u64(rr->state, GROUP, "flags", &flags);
	uicc_card_state_get_u64(rr->state, GROUP, "seq", &o->seq);
	o->reset = flags & FLAG_RESET;
	o->full = flags & FLAG_FULL;
}

static bool nothing_owed(const struct owed *o)
{
	return o->files.data[0] == 0 && !o->reset && !o->full;
}

/* Written durably (a kill -9 after this loses nothing owed). */
static void save(struct rfm_refresh *rr, const struct owed *o)
{
	GError *err = NULL;

	uicc_card_state_set_u64(rr->state, GROUP, "seq", o->seq);
	if (nothing_owed(o)) {
		uicc_card_state_remove(rr->state, GROUP, "files");
		uicc_card_state_remove(rr->state, GROUP, "flags");
	} else {
		uicc_card_state_set_bytes(rr->state, GROUP, "files", o->files.data, o->files.len);
		uicc_card_state_set_u64(rr->state, GROUP, "flags",
					(o->reset ? FLAG_RESET : 0) | (o->full ? FLAG_FULL : 0));
	}
	if (!uicc_card_state_commit(rr->state, &err)) {
		g_warning("the owed REFRESH is not committed: %s", err ? err->message : "?");
		g_clear_error(&err);
	}
}

static uint8_t mode_of(const struct owed *o)
{
	return o->reset ? MODE_RESET : o->full ? MODE_FULL : MODE_FILES;
}

/* TS 102 223 §6.6.13: REFRESH, the File List with File Change Notification. */
static bool build(struct uicc_toolkit *tk, const struct owed *o, uint8_t mode, uint8_t *out, size_t cap, size_t *len)
{
	struct simota_cat_msg *m = g_new0(struct simota_cat_msg, 1);
	simota_err err;

	m->details.number = uicc_tk_next_command_number(tk);
	m->details.type = SIMOTA_CAT_REFRESH;
	m->details.qualifier = mode;
	m->src = SIMOTA_CAT_DEV_UICC;
	m->dst = SIMOTA_CAT_DEV_TERMINAL;
	if (mode == MODE_FILES)
		m->file_list = o->files;
	err = simota_cat_command_encode(m, out, cap, len);
	g_free(m);
	if (err)
		g_warning("REFRESH not encoded: %s", simota_strerror(err));
	return err == SIMOTA_OK;
}

static void on_terminal_response(struct uicc_tk_invocation *inv, const struct uicc_tk_terminal_response *tr,
				 void *user_data);

/* ", 2 files: 3f007fff6f46 3f007f206f46" (g_free) */
static char *list_text(const struct simota_cat_bytes *fl)
{
	GString *s = g_string_new(NULL);
	const uint8_t *path;
	size_t pos = 0, len;

	g_string_printf(s, ", %u file%s:", fl->data[0], fl->data[0] == 1 ? "" : "s");
	while (simota_cat_file_list_next(fl, &pos, &path, &len) == SIMOTA_OK) {
		char *hex = simota_hex_dup(path, len);

		g_string_append_printf(s, " %s", hex);
		g_free(hex);
	}
	return g_string_free(s, FALSE);
}

/* The first thing owed, when the terminal can take it and nothing is in flight. */
static void send_next(struct rfm_refresh *rr, struct uicc_tk_invocation *inv, const struct owed *o)
{
	struct uicc_toolkit *tk = uicc_tk_invocation_toolkit(inv);
	uint8_t cmd[UICC_TK_MAX_COMMAND];
	uint8_t mode = mode_of(o);
	size_t len;
	char *list;
	enum uicc_tk_result r;

	if (rr->inflight || nothing_owed(o))
		return;
	if (!uicc_tk_terminal_profile_known(tk)) {
		g_message("REFRESH owed: it goes after the TERMINAL PROFILE");
		return;
	}
	/* TS 102 223 §5.2: byte 3, b8 */
	if (!uicc_tk_terminal_supports_command(tk, SIMOTA_CAT_REFRESH)) {
		g_message("REFRESH owed, but the terminal's profile has no REFRESH: the terminal sees the new contents "
			  "when it reads the files again, at its next power-up unless it keeps a copy");
		return;
	}
	if (!build(tk, o, mode, cmd, sizeof(cmd), &len))
		return;
	r = uicc_tk_proactive_send(inv, cmd, len, on_terminal_response, rr);
	if (r != UICC_TK_OK) {
		g_warning("REFRESH not queued: %s (still owed)", uicc_tk_strerror(r));
		return;
	}
	rr->inflight = true;
	rr->inflight_seq = o->seq;
	rr->inflight_mode = mode;
	list = mode == MODE_FILES ? list_text(&o->files) : g_strdup("");
	g_message("REFRESH queued: %s (%02x)%s", mode_name(mode), mode, list);
	g_free(list);
}

/* What the REFRESH just answered (or refused for good) covered is no longer owed. */
static void covered(struct rfm_refresh *rr, struct owed *o)
{
	if (rr->inflight_mode == MODE_RESET) {
		o->reset = false;
	} else if (o->seq == rr->inflight_seq) {
		/* no script changed anything since it was sent */
		simota_cat_file_list_init(&o->files);
		o->full = false;
	}
}

/* TS 102 223 §6.4.7, §8.12: the terminal's answer to the REFRESH. */
static void on_terminal_response(struct uicc_tk_invocation *inv, const struct uicc_tk_terminal_response *tr,
				 void *user_data)
{
	struct rfm_refresh *rr = user_data;
	struct owed o;
	uint8_t mode = rr->inflight_mode;

	rr->inflight = false;
	load(rr, &o);
	if (tr->aborted) {
		/* a reset: the UICC Reset asked for happened; any other mode goes again after the profile */
		if (mode == MODE_RESET) {
			g_message("REFRESH (%02x): the card was reset, as it asked", mode);
			covered(rr, &o);
			save(rr, &o);
		} else {
			g_message("REFRESH (%02x) not answered before a reset: still owed", mode);
		}
		return;
	}
	switch (tr->general_result >> 4) {
	case 0x0:
		/* 00 done, 03 done with additional EFs read, 01 02 04 07 08: done all the same */
		g_message("TERMINAL RESPONSE to REFRESH (%02x): result %02x, performed", mode, tr->general_result);
		covered(rr, &o);
		break;
	case 0x2:
		/* 20 terminal busy (on a call, USSD...), 21 network busy: not now */
		g_message("TERMINAL RESPONSE to REFRESH (%02x): result %02x (temporary problem): still owed, sent again "
			  "with the next script's or after the next TERMINAL PROFILE", mode, tr->general_result);
		return;
	default:
		/* 3X: the terminal cannot do it (30 beyond its capabilities, 32 data not understood...) */
		g_message("TERMINAL RESPONSE to REFRESH (%02x): result %02x, refused: no longer owed (the terminal sees "
			  "the new contents when it reads the files again)", mode, tr->general_result);
		covered(rr, &o);
		break;
	}
	save(rr, &o);
	send_next(rr, inv, &o);
}

struct collect {
	struct owed *o;
	bool changed;
};

static void add_path(const uint8_t *path, size_t len, bool activation, void *user)
{
	struct collect *c = user;

	c->changed = true;
	if (activation)
		c->o->reset = true;
	if (simota_cat_file_list_add(&c->o->files, path, len, LIST_MAX) != SIMOTA_OK)
		c->o->full = true;
}

void rfm_refresh_owe(struct rfm_refresh *rr, struct uicc_tk_invocation *inv, struct uicc_context *ctx)
{
	struct owed o;
	struct collect c = { &o, false };

	load(rr, &o);
	if (!uicc_card_context_changes(rr->card, ctx, add_path, &c))
		o.full = c.changed = true;
	if (!c.changed)
		return;
	o.seq++;
	save(rr, &o);
	send_next(rr, inv, &o);
}

/* After a reset (the TERMINAL PROFILE follows one): a UICC Reset owed is done; the rest goes now. */
static enum uicc_tk_result rfm_refresh_process(struct uicc_tk_invocation *inv, void *user_data)
{
	struct rfm_refresh *rr = user_data;
	struct owed o;

	if (uicc_tk_invocation_event(inv) != UICC_TK_EVENT_PROFILE_DOWNLOAD)
		return UICC_TK_OK;
	load(rr, &o);
	if (o.reset) {
		o.reset = false;
		save(rr, &o);
	}
	if (!nothing_owed(&o))
		g_message("REFRESH still owed from an earlier script (%s)", mode_name(mode_of(&o)));
	send_next(rr, inv, &o);
	return UICC_TK_OK;
}

struct rfm_refresh *rfm_refresh_of(struct uicc_card *card, GError **error)
{
	struct uicc_toolkit *tk = uicc_card_toolkit(card);
	struct uicc_tk_applet *a = uicc_tk_applet_find(tk, APPLET_NAME);
	struct rfm_refresh *rr;

	if (a)
		return uicc_tk_applet_user_data(a);
	rr = g_new0(struct rfm_refresh, 1);
	rr->card = card;
	rr->state = uicc_card_state_of(card);
	a = uicc_tk_applet_register(tk, APPLET_NAME, rfm_refresh_process, rr);
	if (!a) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "no room for %s in the card's toolkit",
			    APPLET_NAME);
		g_free(rr);
		return NULL;
	}
	uicc_tk_applet_set_event(a, UICC_TK_EVENT_PROFILE_DOWNLOAD);
	uicc_card_add_cleanup(card, g_free, rr);
	return rr;
}
