/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PoRs owed by SMS-SUBMIT (SPI2 b6: TS 102 225 §5.1.1, TS 31.115 §4.2).  The
 * card sends them with SEND SHORT MESSAGE (TS 102 223 §6.4.10), which a
 * terminal can only take once it has said so in its TERMINAL PROFILE (byte 4
 * b2, TS 102 223 §5.1, §5.2).  A PoR is kept from the moment its command was
 * processed until the terminal has answered every SEND SHORT MESSAGE
 * carrying it:
 *
 *   - queued at once, after whatever the applet queued, so that it goes in
 *     order once the terminal can take proactive commands;
 *   - before any TERMINAL PROFILE: it waits (logged); a profile without
 *     SEND SHORT MESSAGE withdraws it (toolkit.c) and it waits for one with;
 *   - a reset or power off aborts it: it goes again after the next profile;
 *   - a TERMINAL RESPONSE with a temporary problem (TS 102 223 §8.12, 2X):
 *     again after the next profile; any other result ends it (logged if it
 *     is not a success).
 *
 * A PoR of an accepted command (status 00: the counter moved, the applet
 * ran) is owed for good: it is committed to the card state, group
 * "ota-por <id>" (packet: the response packet from its UDH on; da: the TP
 * address it goes to, TS 23.040 §9.1.2.5), before the ENVELOPE is answered,
 * and so survives a power cycle.  An error PoR changed nothing on the card
 * and is kept in memory only (the server's retry gets it again).  At most
 * OTA_POR_KEPT_MAX PoRs wait; a command that would need one more is
 * refused with 9300 before it moves the counter (ota-entity.c).
 */
#define G_LOG_DOMAIN "uicc-ota"

#include <stdlib.h>
#include <string.h>

#include "ota/ota-internal.h"

#define GROUP_PREFIX "ota-por "

/* TS 102 223 §8.12: 2X, "temporary problems" (the terminal or network currently unable...). */
#define RESULT_TEMPORARY(r) (((r) & 0xF0) == 0x20)
#define RESULT_SUCCESS(r) (((r) & 0xF0) == 0x00)

static void group_name(unsigned id, char out[32])
{
	g_snprintf(out, 32, GROUP_PREFIX "%u", id);
}

static bool commit(struct uicc_ota *ota, const char *what)
{
	GError *err = NULL;

	if (uicc_card_state_commit(ota->state, &err))
		return true;
	g_warning("%s not committed: %s", what, err ? err->message : "?");
	g_clear_error(&err);
	return false;
}

static bool store(struct uicc_ota *ota, struct ota_por_kept *k)
{
	uint8_t da[2 + SIMOTA_SMS_ADDR_MAX_DIGITS];
	struct simota_writer w = simota_writer_init(da, sizeof(da));
	char g[32];

	if (simota_sms_address_encode(&k->da, &w) != SIMOTA_OK || simota_writer_status(&w) != SIMOTA_OK)
		return false;
	k->id = ++ota->last_kept_id;
	group_name(k->id, g);
	uicc_card_state_set_bytes(ota->state, g, "packet", k->por, k->len);
	uicc_card_state_set_bytes(ota->state, g, "da", da, w.len);
	if (commit(ota, "kept PoR"))
		return true;
	uicc_card_state_remove_group(ota->state, g);
	k->id = 0;
	return false;
}

/* Forgets k (and frees it). */
static void drop(struct ota_por_kept *k)
{
	struct uicc_ota *ota = k->ota;
	char g[32];

	if (k->id) {
		group_name(k->id, g);
		uicc_card_state_remove_group(ota->state, g);
		/* if this commit fails the PoR is sent again after a power cycle: a duplicate, never a loss */
		commit(ota, "sent PoR");
	}
	ota->kept[k->slot] = NULL;
	g_free(k);
}

/* A new kept PoR in a free slot (allocated only now: an idle card holds none); NULL if all are taken. */
static struct ota_por_kept *new_kept(struct uicc_ota *ota)
{
	for (unsigned i = 0; i < OTA_POR_KEPT_MAX; i++) {
		if (!ota->kept[i]) {
			ota->kept[i] = g_new0(struct ota_por_kept, 1);
			ota->kept[i]->ota = ota;
			ota->kept[i]->slot = i;
			return ota->kept[i];
		}
	}
	return NULL;
}

bool ota_por_kept_room(const struct uicc_ota *ota)
{
	for (unsigned i = 0; i < OTA_POR_KEPT_MAX; i++)
		if (!ota->kept[i])
			return true;
	return false;
}

/* TS 102 225 §5.2: the TAR follows UDH (3), RPL (2) and RHL (1), in clear. */
static const uint8_t *kept_tar(const struct ota_por_kept *k)
{
	return k->por + 6;
}

/* One group of the card state back into a kept PoR. */
static void load_one(struct uicc_ota *ota, const char *group)
{
	struct ota_por_kept *k = new_kept(ota);
	uint8_t da[2 + SIMOTA_SMS_ADDR_MAX_DIGITS];
	size_t da_len, used;
	char *end = NULL;
	unsigned long id = strtoul(group + strlen(GROUP_PREFIX), &end, 10);

	if (!k || !end || *end || id == 0 || id > G_MAXUINT ||
	    !uicc_card_state_get_bytes(ota->state, group, "packet", k->por, sizeof(k->por), &k->len) ||
	    k->len < 9 ||
	    !uicc_card_state_get_bytes(ota->state, group, "da", da, sizeof(da), &da_len) ||
	    simota_sms_address_decode(da, da_len, &k->da, &used) != SIMOTA_OK) {
		g_warning("card state [%s]: not a kept PoR, dropped", group);
		uicc_card_state_remove_group(ota->state, group);
		if (k)
			drop(k);
		return;
	}
	k->id = (unsigned)id;
	if (k->id > ota->last_kept_id)
		ota->last_kept_id = k->id;
}

void ota_por_kept_load(struct uicc_ota *ota)
{
	char **groups = uicc_card_state_groups(ota->state, GROUP_PREFIX);
	unsigned n = 0;

	for (char **g = groups; *g; g++)
		load_one(ota, *g);
	for (unsigned i = 0; i < OTA_POR_KEPT_MAX; i++)
		n += ota->kept[i] != NULL;
	if (n)
		g_message("%u PoR(s) owed by SMS-SUBMIT from before: sent after the next TERMINAL PROFILE", n);
	g_strfreev(groups);
}

/* TS 102 223 §6.8: the TERMINAL RESPONSE to one of its SEND SHORT MESSAGEs, or its abort. */
static void answered(struct uicc_tk_invocation *inv, const struct uicc_tk_terminal_response *tr, void *user_data)
{
	struct ota_por_kept *k = user_data;

	(void)inv;
	if (tr->aborted || RESULT_TEMPORARY(tr->general_result)) {
		if (!tr->aborted)
			g_message("PoR SEND SHORT MESSAGE: result %02x, sent again after the next TERMINAL PROFILE",
				  tr->general_result);
		k->again = true;
	} else if (!RESULT_SUCCESS(tr->general_result)) {
		g_warning("PoR SEND SHORT MESSAGE failed (result %02x): the PoR is not sent again",
			  tr->general_result);
	}
	if (k->outstanding && --k->outstanding)
		return;
	if (k->again)
		k->again = false;
	else
		drop(k);
}

/* TS 31.115 §4.2: the response packet in SMS-SUBMITs to the originator, concatenated if needed. */
static void send_kept(struct uicc_tk_invocation *inv, struct ota_por_kept *k)
{
	struct simota_sms_ud segs[OTA_POR_SEGMENTS];
	size_t n_segs;
	simota_err err;

	/* por starts with its 027100 UDH: segment the packet from RPL on */
	err = simota_sms_segment_packet(SIMOTA_SMS_IEI_RPI, k->por + 3, k->len - 3, k->ota->por_ref++, false,
					segs, OTA_POR_SEGMENTS, &n_segs);
	if (err) {
		g_warning("PoR of %zu bytes does not fit in SMS-SUBMITs: %s", k->len, simota_strerror(err));
		drop(k);
		return;
	}
	for (size_t i = 0; i < n_segs; i++) {
		struct simota_sms_submit sms;
		enum uicc_tk_result r;

		memset(&sms, 0, sizeof(sms));
		sms.da = k->da;
		sms.da.tp_length = 0;
		sms.pid = 0x7F;               /* (U)SIM data download, TS 23.040 §9.2.3.9 */
		sms.dcs = 0xF6;               /* class 2, 8 bit data, TS 23.038 §4 */
		sms.vp.format = SIMOTA_SMS_VPF_NONE;
		sms.ud = segs[i];
		r = uicc_tk_send_short_message(inv, &sms, answered, k);
		if (r != UICC_TK_OK) {
			g_warning("PoR SEND SHORT MESSAGE %zu/%zu not queued (%s): sent again after the next "
				  "TERMINAL PROFILE", i + 1, n_segs, uicc_tk_strerror(r));
			k->again = true;
			break;
		}
		k->outstanding++;
	}
	if (k->outstanding == 0) {
		k->again = false;
		if (!k->id)
			drop(k);
	}
}

bool ota_por_kept_add(struct uicc_tk_invocation *inv, const struct ota_packet *p, const uint8_t *por, size_t len,
		      bool durable)
{
	struct ota_por_kept *k;

	if (len < 9 || len > sizeof(k->por))
		return false;
	k = new_kept(p->ota);
	if (!k)
		return false;
	k->da = p->oa;
	memcpy(k->por, por, len);
	k->len = len;
	if (durable && !store(p->ota, k))
		g_warning("PoR for TAR %02x%02x%02x not stored: a power cycle before it is sent loses it",
			  p->tar[0], p->tar[1], p->tar[2]);
	if (!uicc_tk_terminal_profile_known(p->ota->tk))
		g_message("PoR for TAR %02x%02x%02x, counter %" G_GUINT64_FORMAT ": no TERMINAL PROFILE yet; "
			  "kept until a TERMINAL PROFILE says the terminal can send it (SEND SHORT MESSAGE)",
			  p->tar[0], p->tar[1], p->tar[2], (guint64)p->cntr);
	send_kept(inv, k);
	return true;
}

void ota_por_kept_on_profile(struct uicc_tk_invocation *inv, struct uicc_ota *ota)
{
	unsigned waiting = 0;

	for (unsigned i = 0; i < OTA_POR_KEPT_MAX; i++)
		waiting += ota->kept[i] && ota->kept[i]->outstanding == 0;
	if (!waiting)
		return;
	if (!uicc_tk_terminal_supports_command(ota->tk, SIMOTA_CAT_SEND_SHORT_MESSAGE)) {
		g_warning("%u PoR(s) owed by SMS-SUBMIT kept: the terminal has no SEND SHORT MESSAGE "
			  "(TERMINAL PROFILE byte 4 b2); they wait for a terminal that has", waiting);
		return;
	}
	for (unsigned i = 0; i < OTA_POR_KEPT_MAX; i++) {
		struct ota_por_kept *k = ota->kept[i];

		if (k && k->outstanding == 0) {
			const uint8_t *tar = kept_tar(k);

			g_message("PoR for TAR %02x%02x%02x owed by SMS-SUBMIT: sent now", tar[0], tar[1], tar[2]);
			send_kept(inv, k);
		}
	}
}
