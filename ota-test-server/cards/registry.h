/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SV2 card registry: cards, keysets (with their counters) and TARs in the
 * database, and an in-memory cache of them (each cached card holds only the
 * keysets and TARs it has: a few hundred bytes).  The libsimota keys are
 * prepared when a packet is built or a PoR checked and freed after it
 * (about a microsecond each; kept per card they cost 2 KiB of OpenSSL
 * contexts for every card with a transaction).  Key bytes never leave this
 * module except into simota_ota_key_new().
 */
#ifndef OTS_REGISTRY_H
#define OTS_REGISTRY_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "simota/card_config.h"
#include "db/db.h"
#include "simota/ota.h"

/*
 * A keyset as the card config declares it (lib's struct; its counter field
 * is not used here: the live counter is in the database).
 */
struct ots_keyset {
	struct simota_card_keyset cfg;
};

struct ots_card {
	char iccid[21];
	char msisdn[24];
	char imsi[16];
	char link[8];             /* the southbound fixed for this card ("netsim", "smpp"), "" = chosen */
	unsigned n_keysets;
	struct ots_keyset *keysets;       /* n_keysets, in the card's own allocation */
	unsigned n_tars;
	/* as the card config declares them; the database keeps what the server uses (not ir, capacity) */
	struct simota_card_tar *tars;     /* n_tars, in the card's own allocation */
};

struct ots_registry;

/*
 * Whether a card has unfinished transactions (then it may be neither removed
 * nor replaced); asked inside the registry's DB transaction.
 */
typedef bool (*ots_registry_busy_fn)(const char *iccid, void *data);

struct ots_registry *ots_registry_new(struct ots_db *db, ots_registry_busy_fn busy, void *busy_data,
				      GError **error);
void ots_registry_free(struct ots_registry *reg);

/* Cached card, loaded from the DB on first use; NULL if unknown. */
struct ots_card *ots_registry_get(struct ots_registry *reg, const char *iccid);
/* Every card with this MSISDN ("+" or not), in ICCID order: a GPtrArray of struct ots_card * (cached, not owned). */
GPtrArray *ots_registry_all_by_msisdn(struct ots_registry *reg, const char *msisdn);
uint64_t ots_registry_count(struct ots_registry *reg);

/* Stores a parsed card config (in its own DB transaction); logs its warnings. */
bool ots_registry_add(struct ots_registry *reg, const struct simota_card_config *cfg,
		      bool replace, GError **error);
/*
 * The same for n cards in one DB transaction (one commit, one fsync): all
 * are stored or none (the error names the first card refused).
 */
bool ots_registry_add_all(struct ots_registry *reg, const struct simota_card_config *const *cfgs,
			  unsigned n, bool replace, GError **error);
bool ots_registry_remove(struct ots_registry *reg, const char *iccid, GError **error);

/*
 * JSON → card config, validated by the same lib checks as a card config
 * file (simota_card_keyset_check, simota_card_tar_check); errors name the
 * field ("keysets[0].kid-key"), warnings (cfg->warnings) too.
 */
struct simota_card_config *ots_registry_config_from_json(JsonNode *node, GError **error);

/* Card JSON without key material. */
JsonNode *ots_registry_card_json(struct ots_registry *reg, const struct ots_card *card);
/*
 * One page of the registry, in ICCID order: the JSON of at most limit (> 0)
 * cards whose ICCID is above after (NULL: from the first); *more when
 * others follow.  Read in three statements whatever the page's size, into
 * memory freed before it returns: a listing leaves the cache as it was
 * (listing a million cards would otherwise keep them all for good).
 */
JsonNode *ots_registry_list_json(struct ots_registry *reg, const char *after, unsigned limit,
				 bool *more, GError **error);
/* How many cards the cache holds (in memory, until removed or replaced). */
uint64_t ots_registry_cached(struct ots_registry *reg);

const struct simota_card_tar *ots_card_tar(const struct ots_card *card, const uint8_t tar[3]);
/* The first TAR whose applet is "deferred" (else the first TAR), or NULL. */
const struct simota_card_tar *ots_card_default_tar(const struct ots_card *card);
struct ots_keyset *ots_card_keyset(struct ots_card *card, uint8_t kvn);
/* The lowest KVN the TAR allows that the card has; -1 if none. */
int ots_card_tar_keyset(const struct ots_card *card, const struct simota_card_tar *tar);

/*
 * The prepared keys of a keyset: the KIc key when need_kic, the KID key for
 * this integrity kind (RC or CC; NONE gives NULL).  They are the registry's
 * (a bounded cache of prepared keys, OTS_KEY_CACHE): the caller uses them
 * for one packet or PoR, before it calls the registry again, and does not
 * free them.
 */
bool ots_registry_keys(struct ots_registry *reg, struct ots_keyset *ks, bool need_kic,
		       enum simota_ota_integrity integrity,
		       struct simota_ota_key **kic, struct simota_ota_key **kid, GError **error);

/*
 * Takes the next counter of (card, kvn): stores counter+1 and returns it.
 * Must run inside the caller's DB transaction, which commits it before the
 * packet leaves.
 */
bool ots_registry_take_counter(struct ots_registry *reg, const char *iccid, uint8_t kvn,
			       uint64_t *cntr, GError **error);
/* Next transaction id of the card (inside the caller's transaction). */
bool ots_registry_take_txid(struct ots_registry *reg, const char *iccid, uint32_t *txid,
			    GError **error);

#endif
