/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What RFM operations (rfm.c) and campaigns (campaign.c) share: a script
 * request checked once, then checked against each card it goes to, and an
 * operation started for one card.
 */
#ifndef OTS_RFM_INTERNAL_H
#define OTS_RFM_INTERNAL_H

#include "simota/rfm_script.h"
#include "transactions/engine-internal.h"
#include "transactions/rfm.h"

/* The expanded template adds a tag and length to each command and to the whole (TS 102 226 §5.2.1). */
#define OTS_RFM_SCRIPT_CAP (SIMOTA_RFM_SCRIPT_MAX_BYTES + 3 * SIMOTA_RFM_SCRIPT_MAX_COMMANDS + 8)

/* A script request: its commands, TAR and format, and the secured data they make. */
struct ots_rfm_script {
	struct simota_rfm_script s;
	uint8_t data[OTS_RFM_SCRIPT_CAP];
	size_t len;
	char *apdus;             /* the commands as a JSON array of hex strings (g_free) */
};

/*
 * The "tar", "apdus"/"format" or "script" members of a request (rfm.h),
 * encoded.  Errors name the member.  Clear with ots_rfm_script_clear().
 */
bool ots_rfm_script_from_json(JsonObject *o, struct ots_rfm_script *rs, GError **error);
void ots_rfm_script_clear(struct ots_rfm_script *rs);

/*
 * The card iccid can take the script: it is registered, holds the TAR with
 * an RFM applet and a keyset for it, and the command packet fits the SMS a
 * concatenated packet may take.  Errors name card_field for the card and
 * tar_field for its TAR (a campaign names "iccids[i]" for both).
 */
bool ots_rfm_target(struct ots_engine *e, const char *iccid, const struct ots_rfm_script *rs,
		    const char *card_field, const char *tar_field, struct ots_card **card,
		    const struct simota_card_tar **tar, int *kvn, GError **error);

/* Stores and starts (or queues behind the card's other transactions) an operation. */
bool ots_rfm_start(struct ots_engine *e, struct ots_card *card, const struct simota_card_tar *tar,
		   int kvn, const struct ots_rfm_script *rs, uint64_t campaign, uint64_t *id,
		   GError **error);

/* Fails an operation still queued (not sent) with why; false when it is sent or finished. */
bool ots_rfm_cancel_queued(struct ots_engine *e, uint64_t id, const char *why);

#endif
