/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Remote file management from the server (doc/rfm.md "The server side",
 * doc/api.md "RFM operations", "Campaigns"): the engine API the HTTP layer
 * calls, beside transactions/engine.h.
 *
 * An RFM operation sends one script of C-APDUs (TS 102 226 §5, compact or
 * expanded) to one card's RFM application (a [tar] with applet=rfm): the
 * script is the secured data of one command packet, secured with the TAR's
 * SPI and a keyset the TAR allows, its counter durable before the packet
 * leaves, concatenated over several SMS when it is long; the PoR is matched
 * and its additional data decoded into the R-APDUs.  An operation is a
 * transaction of the engine (action "rfm"): it waits behind the card's
 * other transactions, is resent with a fresh counter when its PoR does not
 * come (max_attempts), and has a timeline like every transaction.
 *
 * A campaign sends the same script to many cards: one operation per card
 * at a time, started at most `rate` per second, a card whose operation got
 * no PoR started again (with fresh counters) up to `retries` more times;
 * per-card state and result; everything in the database, so a restarted
 * server resumes it and never sends a card the script again once the card
 * answered it.
 *
 * Errors follow engine.h: OTS_ERROR_INVALID messages start with the field
 * ("apdus[1]: not hex"), and nothing is stored or sent then.
 */
#ifndef OTS_RFM_H
#define OTS_RFM_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

struct ots_engine;

/* ---- RFM operations ------------------------------------------------------- */

/*
 * Validates and starts an operation from JSON {"iccid", "tar": "b00010",
 * "apdus": ["a0a40000027f20", ...], "format": "compact"|"expanded"} or,
 * instead of "apdus"/"format" (and "tar" when the file names one), "script":
 * the text of a script file (doc/rfm.md).  Errors name "iccid" (unknown
 * card), "tar" (not a TAR of the card, or not an RFM one), "apdus[i]",
 * "apdus" (empty, or too long for a concatenated command packet), "format",
 * "script" ("script: line 3: not hex").
 */
bool ots_engine_rfm_start_json(struct ots_engine *engine, JsonNode *request, uint64_t *id,
			       GError **error);
/*
 * {"id", "iccid", "tar", "kvn", "format", "apdus": [hex...], "campaign": id or null,
 *  "state": "queued"|"sent"|"completed"|"failed", "created", "sent", "attempts",
 *  "result": see below or null, "why": string or null, "timeline": [...]}
 * result: {"por-status": n, "por-status-name": "...", and when the status is
 * 00: "format", "executed", "commands", "ok", "rapdus": [{"index", "sw", "data"}],
 * "sw", "data" (of the last), "bad-format"?}.  ok: every command ran and the
 * last status word lets a script go on (TS 102 226 §5.1.2).
 */
JsonNode *ots_engine_rfm_get(struct ots_engine *engine, uint64_t id, GError **error);
/* Operations without timeline, newest first; each filter may be NULL / 0. */
JsonNode *ots_engine_rfm_list(struct ots_engine *engine, const char *state, const char *iccid,
			      uint64_t campaign, GError **error);

/* ---- campaigns -------------------------------------------------------------- */

/*
 * From JSON {"name"?, "tar", "apdus" + "format" or "script", "iccids": [...]
 * or "all": true, "rate"?: packets/s (default 10), "retries"?: 0-10 (default
 * 1)}.  Every card is checked as for one operation (errors name
 * "iccids[i]"); "all" takes every registered card holding the TAR with an
 * RFM applet.  The campaign starts at once.
 */
bool ots_engine_campaign_start_json(struct ots_engine *engine, JsonNode *request, uint64_t *id,
				    GError **error);
/*
 * {"id", "name", "state": "running"|"completed"|"cancelled", "tar", "format",
 *  "apdus", "rate", "retries", "created", "finished", "total", "pending",
 *  "active", "done", "failed", "cancelled"} and, with cards, "cards":
 *  [{"iccid", "state": "pending"|"active"|"done"|"failed"|"cancelled",
 *  "rfm": id or null, "attempts", "result", "why"}] (card_state NULL: all).
 */
JsonNode *ots_engine_campaign_get(struct ots_engine *engine, uint64_t id, bool cards,
				  const char *card_state, GError **error);
/* {"campaigns": [campaign without cards, ...]}, newest first. */
JsonNode *ots_engine_campaign_list(struct ots_engine *engine, GError **error);
/*
 * Cancels a running campaign: cards not started, and operations still
 * queued behind another transaction, are cancelled; operations already
 * sent finish and keep their result.  OTS_ERROR_STATE when it is no longer
 * running.
 */
bool ots_engine_campaign_cancel(struct ots_engine *engine, uint64_t id, GError **error);

#endif
