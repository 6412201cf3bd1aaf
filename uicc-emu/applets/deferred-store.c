/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The deferred applet's transactions in persistent card memory
 * (doc/protocol.md §5: every acknowledged state change is durable before
 * the answer leaves the card).  One card state group per transaction,
 * "deferred <tar> <txid>": c1 (the C1 as received), state (1 pending,
 * 0 done, 3 expired: protocol.md §3.4 codes), r2s (the done answer),
 * created (Unix time).
 */
#define G_LOG_DOMAIN "uicc-deferred"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applets/deferred-internal.h"

static void group_name(struct deferred_applet *app, uint32_t txid, char out[40])
{
	g_snprintf(out, 40, "%s%08x", app->prefix, txid);
}

static bool commit(struct deferred_applet *app)
{
	GError *err = NULL;

	if (uicc_card_state_commit(app->state, &err))
		return true;
	g_warning("transaction store not committed: %s", err ? err->message : "?");
	g_clear_error(&err);
	return false;
}

enum deferred_stored deferred_store_get(struct deferred_applet *app, uint32_t txid)
{
	char g[40];
	uint64_t st;

	group_name(app, txid, g);
	if (!uicc_card_state_get_u64(app->state, g, "state", &st))
		return DEFERRED_STORED_NONE;
	switch (st) {
	case SIMOTA_DEFERRED_DONE:
		return DEFERRED_STORED_DONE;
	case SIMOTA_DEFERRED_EXPIRED:
		return DEFERRED_STORED_EXPIRED;
	default:
		return DEFERRED_STORED_PENDING;
	}
}

unsigned deferred_store_count(struct deferred_applet *app)
{
	char **groups = uicc_card_state_groups(app->state, app->prefix);
	unsigned n = groups ? g_strv_length(groups) : 0;

	g_strfreev(groups);
	return n;
}

static bool get_bytes(struct deferred_applet *app, uint32_t txid, const char *key,
		      uint8_t *out, size_t cap, size_t *len)
{
	char g[40];

	group_name(app, txid, g);
	return uicc_card_state_get_bytes(app->state, g, key, out, cap, len);
}

bool deferred_store_r2s(struct deferred_applet *app, uint32_t txid, uint8_t *out, size_t cap, size_t *len)
{
	return get_bytes(app, txid, "r2s", out, cap, len);
}

bool deferred_store_c1(struct deferred_applet *app, uint32_t txid, uint8_t *out, size_t cap, size_t *len)
{
	return get_bytes(app, txid, "c1", out, cap, len);
}

bool deferred_store_add(struct deferred_applet *app, uint32_t txid, const uint8_t *c1, size_t len)
{
	char g[40];

	group_name(app, txid, g);
	uicc_card_state_set_bytes(app->state, g, "c1", c1, len);
	uicc_card_state_set_u64(app->state, g, "state", SIMOTA_DEFERRED_PENDING);
	uicc_card_state_set_u64(app->state, g, "created", (uint64_t)(g_get_real_time() / G_USEC_PER_SEC));
	if (commit(app))
		return true;
	uicc_card_state_remove_group(app->state, g);
	return false;
}

static bool set_state(struct deferred_applet *app, uint32_t txid, enum simota_deferred_state st,
		      const uint8_t *r2s, size_t len)
{
	char g[40];

	group_name(app, txid, g);
	if (r2s)
		uicc_card_state_set_bytes(app->state, g, "r2s", r2s, len);
	uicc_card_state_set_u64(app->state, g, "state", st);
	if (commit(app))
		return true;
	uicc_card_state_set_u64(app->state, g, "state", SIMOTA_DEFERRED_PENDING);
	if (r2s)
		uicc_card_state_remove(app->state, g, "r2s");
	return false;
}

bool deferred_store_done(struct deferred_applet *app, uint32_t txid, const uint8_t *r2s, size_t len)
{
	return set_state(app, txid, SIMOTA_DEFERRED_DONE, r2s, len);
}

bool deferred_store_expire(struct deferred_applet *app, uint32_t txid)
{
	return set_state(app, txid, SIMOTA_DEFERRED_EXPIRED, NULL, 0);
}

bool deferred_store_release(struct deferred_applet *app, uint32_t txid)
{
	char g[40];

	group_name(app, txid, g);
	uicc_card_state_remove_group(app->state, g);
	/* a failed commit leaves the group on disk: the next commit removes it */
	return commit(app);
}

uint32_t *deferred_store_pending(struct deferred_applet *app, size_t *n)
{
	char **groups = uicc_card_state_groups(app->state, app->prefix);
	size_t count = groups ? g_strv_length(groups) : 0;
	uint32_t *out = g_new0(uint32_t, count + 1);
	size_t plen = strlen(app->prefix);

	*n = 0;
	for (size_t i = 0; i < count; i++) {
		char *end = NULL;
		unsigned long txid = strtoul(groups[i] + plen, &end, 16);

		if (end && !*end && deferred_store_get(app, (uint32_t)txid) == DEFERRED_STORED_PENDING)
			out[(*n)++] = (uint32_t)txid;
	}
	g_strfreev(groups);
	return out;
}

bool deferred_store_load_c1(struct deferred_applet *app, uint32_t txid, struct deferred_c1 *out)
{
	size_t len;

	return deferred_store_c1(app, txid, out->raw, sizeof(out->raw), &len) &&
	       simota_deferred_decode(out->raw, len, &out->msg) == SIMOTA_OK && out->msg.type == SIMOTA_DEFERRED_C1;
}

uint32_t *deferred_unanswered(struct deferred_applet *app, size_t *n)
{
	uint32_t *pending = deferred_store_pending(app, n);
	size_t kept = 0;

	for (size_t i = 0; i < *n; i++)
		if (!deferred_session_running(app, pending[i]))
			pending[kept++] = pending[i];
	*n = kept;
	return pending;
}
