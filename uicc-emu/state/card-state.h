/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card's persistent state (counters, PIN counters, EF contents written by
 * the ME, stored transactions): a GKeyFile kept in memory and written
 * durably on commit (temp file beside it, fdatasync, rename, fsync of the
 * directory: card-state.c).  A change must be committed before the card
 * acknowledges it to the ME; a kill -9 at any point then loses nothing
 * acknowledged.
 */
#ifndef UICC_CARD_STATE_H
#define UICC_CARD_STATE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uicc_card_state;
struct simota_card_config;

/* Reads and parses a card config file (doc/card-config.md); errors name file, group and key. */
struct simota_card_config *uicc_card_config_load(const char *path, GError **error);

/* Loads the state file, or starts empty if it does not exist. */
struct uicc_card_state *uicc_card_state_open(const char *path, GError **error);
void uicc_card_state_free(struct uicc_card_state *st);

bool uicc_card_state_get_bytes(struct uicc_card_state *st, const char *group, const char *key,
			       uint8_t *out, size_t cap, size_t *len);
void uicc_card_state_set_bytes(struct uicc_card_state *st, const char *group, const char *key,
			       const uint8_t *p, size_t len);
bool uicc_card_state_get_u64(struct uicc_card_state *st, const char *group, const char *key, uint64_t *out);
void uicc_card_state_set_u64(struct uicc_card_state *st, const char *group, const char *key, uint64_t v);
void uicc_card_state_remove(struct uicc_card_state *st, const char *group, const char *key);
void uicc_card_state_remove_group(struct uicc_card_state *st, const char *group);
/* Groups whose name starts with prefix (NULL-terminated, g_strfreev). */
char **uicc_card_state_groups(struct uicc_card_state *st, const char *prefix);

/*
 * Writes the state durably if it changed since the last commit.  Success
 * drops the savepoint (everything is durable); failure keeps the changes in
 * memory, and the savepoint.
 */
bool uicc_card_state_commit(struct uicc_card_state *st, GError **error);

/*
 * A savepoint: the state as it is now, which uicc_card_state_rollback()
 * returns to.  The changes made after it are owed: durable once a commit
 * succeeds, whoever makes it, so that several modules' changes in one APDU
 * can go to disk in one write (ota-entity.c: a packet's counter with the
 * applet's first commit).  At most one at a time.
 */
void uicc_card_state_savepoint(struct uicc_card_state *st);
/* A savepoint is held: what changed since is not durable yet. */
bool uicc_card_state_owed(const struct uicc_card_state *st);
/* Back to the savepoint (every change since is forgotten), which is dropped. */
void uicc_card_state_rollback(struct uicc_card_state *st);

#endif
