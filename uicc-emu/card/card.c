/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card: life cycle (new, reset/ATR, power off), class and instruction
 * dispatch (TS 102 221 §10.1; TS 51.011 §9.2 for CLA A0), T=0 response
 * handling (61XX / 9FXX, GET RESPONSE §12.1.1, 6CXX), and the 91XX that
 * replaces 9000 while a proactive command is pending (§14.7.2 / §7.4.2.2).
 */
#include <string.h>

#include "simota/cat.h"

#include "card/card-access.h"
#include "card/card-internal.h"

#define INS_GET_RESPONSE 0xC0

#define C_0X UICC_CLASS_0X
#define C_8X UICC_CLASS_8X
#define C_A0 UICC_CLASS_A0

typedef uint16_t (*handler_fn)(struct uicc_card *c, const struct uicc_apdu *a, struct uicc_out *out);

/* rfm: the command is one an RFM script may hold (TS 102 226 §5, TS 31.116 §5). */
static const struct {
	uint8_t ins;
	uint8_t classes;
	bool rfm;
	handler_fn fn;
} commands[] = {
	{ 0xA4, C_0X | C_A0, true, uicc_cmd_select },
	{ 0xF2, C_8X | C_A0, true, uicc_cmd_status },
	{ 0xB0, C_0X | C_A0, true, uicc_cmd_read_binary },
	{ 0xD6, C_0X | C_A0, true, uicc_cmd_update_binary },
	{ 0xB2, C_0X | C_A0, true, uicc_cmd_read_record },
	{ 0xDC, C_0X | C_A0, true, uicc_cmd_update_record },
	{ 0xA2, C_0X | C_A0, true, uicc_cmd_search_record },
	{ 0x32, C_8X | C_A0, true, uicc_cmd_increase },
	{ 0x04, C_0X | C_A0, true, uicc_cmd_deactivate },
	{ 0x44, C_0X | C_A0, true, uicc_cmd_activate },
	{ 0x20, C_0X | C_A0, true, uicc_cmd_pin },
	{ 0x24, C_0X | C_A0, true, uicc_cmd_pin },
	{ 0x26, C_0X | C_A0, true, uicc_cmd_pin },
	{ 0x28, C_0X | C_A0, true, uicc_cmd_pin },
	{ 0x2C, C_0X | C_A0, true, uicc_cmd_pin },
	{ 0x88, C_0X | C_A0, false, uicc_cmd_authenticate },
	{ 0x70, C_0X, false, uicc_cmd_manage_channel },
	{ 0x10, C_8X | C_A0, false, uicc_cmd_terminal_profile },
	{ 0xC2, C_8X | C_A0, false, uicc_cmd_envelope },
	{ 0x12, C_8X | C_A0, false, uicc_cmd_fetch },
	{ 0x14, C_8X | C_A0, false, uicc_cmd_terminal_response },
};

struct card_cleanup {
	void (*fn)(void *);
	void *data;
};

/* ATR (ISO/IEC 7816-3 §8): T=0, T=15 global bytes (clock stop, classes A-C), TCK last. */
static const uint8_t atr_body[] = {
	0x3B, 0x9F, 0x96, 0x80, 0x1F, 0xC7,
	0x80, 0x31, 0xA0, 0x73, 0xBE, 0x21, 0x13, 0x67, 0x43, 0x20, 0x07, 0x18, 0x00, 0x00, 0x01,
};

/* Cleanups live beside the card (kept out of card-internal.h). */
struct uicc_card_full {
	struct uicc_card card;
	GArray *cleanups;             /* struct card_cleanup, run last first */
};

struct uicc_toolkit *uicc_card_toolkit(struct uicc_card *card)
{
	return card->tk;
}

struct uicc_card_state *uicc_card_state_of(struct uicc_card *card)
{
	return card->state;
}

const struct simota_card_config *uicc_card_config_of(struct uicc_card *card)
{
	return card->cfg;
}

void uicc_card_add_cleanup(struct uicc_card *card, void (*fn)(void *data), void *data)
{
	struct uicc_card_full *full = (struct uicc_card_full *)card;
	struct card_cleanup c = { fn, data };

	g_array_append_val(full->cleanups, c);
}

uint16_t uicc_sw_memory(const struct uicc_apdu *a)
{
	return a->gsm ? SW_GSM_MEMORY : SW_MEMORY;
}

bool uicc_card_commit(struct uicc_card *card)
{
	GError *err = NULL;

	if (uicc_card_state_commit(card->state, &err))
		return true;
	g_warning("card state commit failed: %s", err ? err->message : "?");
	g_clear_error(&err);
	return false;
}

static bool attach_parts(struct uicc_card *card, const struct uicc_card_part *parts, size_t n_parts,
			 GError **error)
{
	for (size_t i = 0; i < n_parts; i++) {
		if (!parts[i].attach(card, error)) {
			g_prefix_error(error, "%s: ", parts[i].name);
			return false;
		}
	}
	return true;
}

struct uicc_card *uicc_card_new(const struct simota_card_config *cfg, const char *state_path,
				const struct uicc_card_part *parts, size_t n_parts, GError **error)
{
	struct uicc_card_full *full = g_new0(struct uicc_card_full, 1);
	struct uicc_card *card = &full->card;

	full->cleanups = g_array_new(FALSE, FALSE, sizeof(struct card_cleanup));
	card->cfg = cfg;
	card->cur = &card->me;
	card->state = uicc_card_state_open(state_path, error);
	if (!card->state) {
		uicc_card_free(card);
		return NULL;
	}
	card->fs = uicc_fs_ref(cfg);
	card->mf = card->fs->mf;
	card->adf_usim = card->fs->adf_usim;
	uicc_fs_card_init(card);
	uicc_pin_init(card);
	card->tk = uicc_tk_new();
	if (!card->tk || !attach_parts(card, parts, n_parts, error)) {
		uicc_card_free(card);
		return NULL;
	}
	uicc_card_reset(card, NULL, 0);
	return card;
}

void uicc_card_free(struct uicc_card *card)
{
	struct uicc_card_full *full = (struct uicc_card_full *)card;

	if (!card)
		return;
	/* queued commands are aborted while their issuers still exist */
	if (card->tk)
		uicc_tk_reset(card->tk);
	for (guint i = full->cleanups->len; i > 0; i--) {
		struct card_cleanup *c = &g_array_index(full->cleanups, struct card_cleanup, i - 1);

		c->fn(c->data);
	}
	g_array_free(full->cleanups, TRUE);
	uicc_card_crypto_release(card);
	uicc_tk_free(card->tk);
	uicc_fs_card_free(card);
	uicc_fs_unref(card->fs);
	uicc_card_state_free(card->state);
	g_free(full);
}

/* A context with the basic channel open on df, nothing verified. */
static void context_init(struct uicc_context *ctx, struct uicc_file *df, unsigned n_channels, uint8_t classes)
{
	memset(ctx->ch, 0, sizeof(ctx->ch));
	ctx->ch[0].open = true;
	ctx->ch[0].df = df;
	if (df->kind == UICC_FILE_ADF)
		ctx->ch[0].adf = df;
	ctx->n_channels = n_channels;
	ctx->verified = 0;
	ctx->granted = 0;
	ctx->classes = classes;
	ctx->rfm = false;
	ctx->resp_channel = -1;
	ctx->resp_len = ctx->resp_off = 0;
}

static void session_reset(struct uicc_card *card)
{
	context_init(&card->me, card->mf, UICC_CHANNELS, C_0X | C_8X | C_A0);
	uicc_tk_reset(card->tk);
}

struct uicc_context *uicc_card_rfm_context_new(struct uicc_card *card, enum simota_card_rfm_df df,
					       uint8_t access)
{
	struct uicc_context *ctx = g_new0(struct uicc_context, 1);
	struct uicc_file *start = card->mf;
	uint8_t classes = C_0X | C_8X;

	switch (df) {
	case SIMOTA_CARD_RFM_DF_GSM:
		start = uicc_fs_child(card->mf, 0x7F20);
		classes = C_A0;
		break;
	case SIMOTA_CARD_RFM_DF_ADF_USIM:
		start = card->adf_usim;
		break;
	default:
		break;
	}
	if (!start) {
		g_free(ctx);
		return NULL;
	}
	context_init(ctx, start, 1, classes);
	ctx->granted = access;
	ctx->rfm = true;
	ctx->changes = g_new0(struct uicc_changes, 1);
	return ctx;
}

void uicc_card_context_free(struct uicc_context *ctx)
{
	if (ctx)
		g_free(ctx->changes);
	g_free(ctx);
}

void uicc_context_note_change(struct uicc_card *card, struct uicc_file *f)
{
	struct uicc_changes *ch = card->cur->changes;

	if (!ch)
		return;
	for (unsigned i = 0; i < ch->n; i++)
		if (ch->files[i] == f)
			return;
	if (ch->n < UICC_CHANGES_MAX)
		ch->files[ch->n++] = f;
	else
		ch->overflow = true;
}

/* TS 102 221 §13.1: the terminal selects its applications from EF_DIR when it activates the UICC. */
static bool read_at_activation(const struct uicc_file *f)
{
	return f->parent && f->parent->kind == UICC_FILE_MF && f->fid == 0x2F00;
}

/* TS 102 223 §8.18: the content EF's path and its aliases' (the same bytes under another DF). */
bool uicc_card_context_changes(struct uicc_card *card, const struct uicc_context *ctx, uicc_card_change_fn fn,
			       void *user)
{
	uint8_t path[SIMOTA_CAT_PATH_MAX];
	size_t n;

	if (!ctx->changes)
		return true;
	for (unsigned i = 0; i < ctx->changes->n; i++) {
		struct uicc_file *f = ctx->changes->files[i];
		bool activation = read_at_activation(f);

		for (unsigned j = 0; j < card->fs->n_files; j++) {
			struct uicc_file *g = card->fs->files[j];

			if ((g == f || g->link == f) && (n = uicc_fs_path(g, path, sizeof(path))))
				fn(path, n, activation, user);
		}
	}
	return !ctx->changes->overflow;
}

size_t uicc_card_reset(struct uicc_card *card, uint8_t *atr, size_t cap)
{
	uint8_t tck = 0;
	size_t n = sizeof(atr_body);

	session_reset(card);
	card->powered = true;
	if (!atr || cap < n + 1)
		return 0;
	memcpy(atr, atr_body, n);
	for (size_t i = 1; i < n; i++)
		tck ^= atr_body[i];
	atr[n] = tck;
	return n + 1;
}

void uicc_card_power_off(struct uicc_card *card)
{
	session_reset(card);
	card->powered = false;
}

struct uicc_channel *uicc_card_channel(struct uicc_card *card, const struct uicc_apdu *a)
{
	return &card->cur->ch[a->channel];
}

uint16_t uicc_sw_wrong_le(const struct uicc_apdu *a, size_t correct)
{
	return (uint16_t)((a->gsm ? 0x6700 : 0x6C00) | (correct & 0xFF));
}

uint16_t uicc_out_exact(const struct uicc_apdu *a, struct uicc_out *out, const uint8_t *p, size_t len, unsigned le)
{
	if (le != len)
		return uicc_sw_wrong_le(a, len);
	memcpy(out->data, p, len);
	out->len = len;
	return SW_OK;
}

static bool proactive_pending(struct uicc_card *card, size_t *len)
{
	size_t profile_len;

	/* the proactive session is the ME's: an RFM script never sees 91XX */
	if (card->cur != &card->me)
		return false;

	/* TS 102 223 §5.1: no proactive command before the TERMINAL PROFILE */
	uicc_tk_terminal_profile(card->tk, &profile_len);
	*len = profile_len ? uicc_tk_pending_length(card->tk) : 0;
	return *len > 0;
}

/* 9000 → 91XX while a command waits for FETCH (TS 102 221 §10.2.1.1). */
static uint16_t final_sw(struct uicc_card *card, uint16_t sw)
{
	size_t len;

	if (sw == SW_OK && proactive_pending(card, &len))
		return (uint16_t)(0x9100 | (len & 0xFF));
	return sw;
}

/* TS 102 221 §12.1.1, TS 51.011 §9.2.17 */
static uint16_t get_response(struct uicc_card *card, const struct uicc_apdu *a, struct uicc_out *out)
{
	struct uicc_context *ctx = card->cur;
	unsigned le;
	size_t avail;

	/* on another channel it is a command like any other: the data is lost */
	if (ctx->resp_channel != (int)a->channel || ctx->resp_gsm != a->gsm) {
		ctx->resp_channel = -1;
		return SW_TECH_PROBLEM;
	}
	if (a->p1 || a->p2)
		return a->gsm ? SW_WRONG_P1P2 : SW_BAD_P1P2;
	if (!uicc_apdu_case2(a, &le))
		return SW_WRONG_LENGTH;
	avail = ctx->resp_len - ctx->resp_off;
	if (le > avail)
		/* the data stays available for the corrected GET RESPONSE */
		return uicc_sw_wrong_le(a, avail > 256 ? 256 : avail);
	memcpy(out->data, ctx->resp + ctx->resp_off, le);
	out->len = le;
	ctx->resp_off += le;
	avail -= le;
	if (avail && !a->gsm)
		return (uint16_t)(0x6100 | (avail > 255 ? 0 : avail));
	ctx->resp_channel = -1;
	return ctx->resp_sw;
}

static uint16_t check_class(const struct uicc_context *ctx, const struct uicc_apdu *a, uint8_t *kind)
{
	uint8_t hi = a->cla & 0xF0;

	if (a->cla == 0xA0) {
		*kind = C_A0;
		return ctx->classes & C_A0 ? SW_OK : SW_BAD_CLA;
	}
	if (!(ctx->classes & (C_0X | C_8X)))
		return SW_BAD_CLA;
	if (hi == 0x40 || hi == 0x60 || hi == 0xC0 || hi == 0xE0)
		return SW_LOGICAL_CHANNEL;          /* channels 4-19 (TS 102 221 Table 10.4a) */
	if (hi != 0x00 && hi != 0x80)
		return SW_BAD_CLA;
	if (a->cla & 0x0C)
		return SW_SECURE_MESSAGING;
	*kind = hi == 0x00 ? C_0X : C_8X;
	return SW_OK;
}

static uint16_t dispatch(struct uicc_card *card, const struct uicc_apdu *a, struct uicc_out *out)
{
	struct uicc_context *ctx = card->cur;
	uint8_t kind = 0;
	uint16_t sw = check_class(ctx, a, &kind);

	if (sw != SW_OK)
		return sw;
	/* ISO/IEC 7816-3 §10.3.2: INS 6X and 9X are procedure bytes, never instructions */
	if ((a->ins & 0xF0) == 0x60 || (a->ins & 0xF0) == 0x90)
		return SW_BAD_INS;
	if (a->channel >= ctx->n_channels || !ctx->ch[a->channel].open)
		return SW_LOGICAL_CHANNEL;
	if (a->ins == INS_GET_RESPONSE) {
		if (kind == C_8X)
			return SW_BAD_CLA;
		return get_response(card, a, out);
	}
	/* any other command ends the GET RESPONSE window (§12.1.1.1) */
	ctx->resp_channel = -1;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (commands[i].ins != a->ins)
			continue;
		if (ctx->rfm && !commands[i].rfm)
			return SW_BAD_INS;
		if (!(commands[i].classes & kind))
			return SW_BAD_CLA;
		return commands[i].fn(card, a, out);
	}
	return SW_BAD_INS;
}

static bool is_warning(uint16_t sw)
{
	return (sw & 0xFF00) == 0x6200 || (sw & 0xFF00) == 0x6300;
}

/* One command in one context: dispatch, T=0 response handling (61XX / 9FXX), 91XX for the ME. */
static size_t run(struct uicc_card *card, struct uicc_context *ctx, const uint8_t *capdu, size_t len,
		  uint8_t *rapdu, size_t cap)
{
	struct uicc_out *out;
	struct uicc_context *outer = card->cur;
	struct uicc_apdu a;
	uint16_t sw;
	size_t n = 0;

	if (cap < 2)
		return 0;
	out = g_new0(struct uicc_out, 1);
	card->cur = ctx;
	if (!uicc_apdu_parse(capdu, len, &a)) {
		sw = SW_WRONG_LENGTH;
		goto done;
	}
	/* an RFM script has one channel of its own: the CLA's channel bits name no ME channel */
	if (ctx->n_channels == 1)
		a.channel = 0;
	sw = dispatch(card, &a, out);
	if (out->deferred && out->len && (sw == SW_OK || is_warning(sw))) {
		/* T=0 case 4: announce the data; it comes with GET RESPONSE */
		memcpy(ctx->resp, out->data, out->len);
		ctx->resp_len = out->len;
		ctx->resp_off = 0;
		ctx->resp_sw = a.gsm ? SW_OK : sw;    /* GSM: the warning was the 9EXX */
		ctx->resp_channel = a.channel;
		ctx->resp_gsm = a.gsm;
		if (a.gsm)
			sw = (uint16_t)((is_warning(sw) ? 0x9E00 : 0x9F00) | (out->len & 0xFF));
		else if (sw == SW_OK)
			sw = (uint16_t)(0x6100 | (out->len & 0xFF));
		goto done;
	}
	if (!out->deferred && out->len) {
		n = out->len < cap - 2 ? out->len : cap - 2;
		memcpy(rapdu, out->data, n);
	}
	sw = final_sw(card, sw);
done:
	rapdu[n] = (uint8_t)(sw >> 8);
	rapdu[n + 1] = (uint8_t)sw;
	g_free(out);
	card->cur = outer;
	return n + 2;
}

size_t uicc_card_transmit(struct uicc_card *card, const uint8_t *capdu, size_t len,
			  uint8_t *rapdu, size_t cap)
{
	return run(card, &card->me, capdu, len, rapdu, cap);
}

size_t uicc_card_context_transmit(struct uicc_card *card, struct uicc_context *ctx, const uint8_t *capdu,
				  size_t len, uint8_t *rapdu, size_t cap)
{
	return run(card, ctx, capdu, len, rapdu, cap);
}
