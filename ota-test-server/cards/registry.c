/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SV2 card registry (cards, keysets, TARs, counters) over the database. */
#include "cards/registry.h"

#include <stdio.h>
#include <string.h>

#include "ots-error.h"
#include "util.h"

/*
 * Prepared keys (an OpenSSL cipher or MAC context each, about 1 KiB) for the
 * keysets in use: at most OTS_KEY_CACHE, the least recently used dropped
 * first.  A transaction's packets and PoRs (six, within a few ms) prepare
 * each key once, and an idle card holds none (doc/scaling.md, "Memory").
 * Found by what they are (algorithm and key bytes), not by card: a keyset
 * changed through the API finds its new key, never a stale one.
 */
#define OTS_KEY_CACHE 256

struct key_slot {
	enum simota_ota_alg alg;
	size_t len;
	uint8_t bytes[SIMOTA_CARD_MAX_KEY_LEN];
	struct simota_ota_key *key;
	GList link;            /* in keys_lru, most recent first; data: the slot */
};

struct ots_registry {
	struct ots_db *db;
	struct simota_ota_crypto *crypto;
	GHashTable *cards;     /* iccid -> struct ots_card (owned) */
	GHashTable *keys;      /* struct key_slot (by alg and bytes) -> itself (owned) */
	GQueue keys_lru;
	ots_registry_busy_fn busy;
	void *busy_data;
};

static guint key_slot_hash(gconstpointer p)
{
	const struct key_slot *k = p;
	guint h = (guint)k->alg * 31u + (guint)k->len;

	for (size_t i = 0; i < k->len; i++)
		h = h * 33u + k->bytes[i];
	return h;
}

static gboolean key_slot_equal(gconstpointer a, gconstpointer b)
{
	const struct key_slot *x = a, *y = b;

	return x->alg == y->alg && x->len == y->len && memcmp(x->bytes, y->bytes, x->len) == 0;
}

static void key_slot_free(gpointer p)
{
	struct key_slot *k = p;

	simota_ota_key_free(k->key);
	explicit_bzero(k, sizeof(*k));
	g_free(k);
}

/* A cached card is one allocation: the card, its keysets, its TARs. */
static size_t card_size(unsigned n_keysets, unsigned n_tars)
{
	return sizeof(struct ots_card) + n_keysets * sizeof(struct ots_keyset) +
	       n_tars * sizeof(struct simota_card_tar);
}

/* The cached copy of a card read into tmp (its arrays elsewhere). */
static struct ots_card *card_dup(const struct ots_card *tmp)
{
	struct ots_card *card = g_malloc0(card_size(tmp->n_keysets, tmp->n_tars));

	*card = *tmp;
	card->keysets = (struct ots_keyset *)(card + 1);
	card->tars = (struct simota_card_tar *)(card->keysets + tmp->n_keysets);
	memcpy(card->keysets, tmp->keysets, tmp->n_keysets * sizeof(*card->keysets));
	memcpy(card->tars, tmp->tars, tmp->n_tars * sizeof(*card->tars));
	return card;
}

static void card_free(gpointer p)
{
	struct ots_card *card = p;

	explicit_bzero(card, card_size(card->n_keysets, card->n_tars));
	g_free(card);
}

struct ots_registry *ots_registry_new(struct ots_db *db, ots_registry_busy_fn busy, void *busy_data,
				      GError **error)
{
	struct ots_registry *reg = g_new0(struct ots_registry, 1);
	simota_err err;

	reg->db = db;
	reg->busy = busy;
	reg->busy_data = busy_data;
	err = simota_ota_crypto_new(&reg->crypto);
	if (err != SIMOTA_OK) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_DB, "crypto context: %s",
			    simota_strerror(err));
		g_free(reg);
		return NULL;
	}
	reg->cards = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, card_free);
	reg->keys = g_hash_table_new_full(key_slot_hash, key_slot_equal, key_slot_free, NULL);
	g_queue_init(&reg->keys_lru);
	return reg;
}

void ots_registry_free(struct ots_registry *reg)
{
	if (!reg)
		return;
	g_hash_table_destroy(reg->cards);
	g_hash_table_destroy(reg->keys);  /* and keys_lru's links, which are in the slots */
	simota_ota_crypto_free(reg->crypto);
	g_free(reg);
}

static void copy_text(char *dst, size_t cap, const char *src)
{
	g_strlcpy(dst, src ? src : "", cap);
}

static void copy_key(uint8_t *dst, size_t *dst_len, struct ots_db_stmt *st, int col)
{
	size_t n;
	const uint8_t *p = ots_db_column_blob(st, col, &n);

	if (p && n > 0 && n <= SIMOTA_CARD_MAX_KEY_LEN) {
		memcpy(dst, p, n);
		*dst_len = n;
	}
}

/* msisdn, imsi, link from col on */
static void card_from_row(struct ots_card *card, struct ots_db_stmt *st, int col)
{
	copy_text(card->msisdn, sizeof(card->msisdn), ots_db_column_text(st, col));
	copy_text(card->imsi, sizeof(card->imsi), ots_db_column_text(st, col + 1));
	copy_text(card->link, sizeof(card->link), ots_db_column_text(st, col + 2));
}

/* kvn, kic, kid from col on */
static void keyset_from_row(struct simota_card_keyset *ks, struct ots_db_stmt *st, int col)
{
	ks->kvn = (uint8_t)ots_db_column_int(st, col);
	ks->kic = (uint8_t)ots_db_column_int(st, col + 1);
	ks->kid = (uint8_t)ots_db_column_int(st, col + 2);
}

/* tar, applet, spi, msl, keysets, mode, mg_address from col on; false for a malformed TAR */
static bool tar_from_row(struct simota_card_tar *t, struct ots_db_stmt *st, int col)
{
	const char *mode = ots_db_column_text(st, col + 5);
	size_t n = 0;

	memset(t, 0, sizeof(*t));
	if (!ots_unhex(ots_db_column_text(st, col), t->tar, 3, &n) || n != 3)
		return false;
	copy_text(t->applet, sizeof(t->applet), ots_db_column_text(st, col + 1));
	t->spi = (uint16_t)ots_db_column_int(st, col + 2);
	t->min_security_level = (uint8_t)ots_db_column_int(st, col + 3);
	t->keysets = (uint16_t)ots_db_column_int(st, col + 4);
	if (!mode || !simota_card_mode_from_name(mode, &t->mode))
		t->mode = SIMOTA_CARD_MODE_DEFERRED;
	copy_text(t->mg_address, sizeof(t->mg_address), ots_db_column_text(st, col + 6));
	return true;
}

static struct ots_card *load_card(struct ots_registry *reg, const char *iccid)
{
	struct ots_db_stmt *st = ots_db_stmt(reg->db, "SELECT msisdn, imsi, link FROM cards WHERE iccid = ?");
	struct ots_keyset keysets[SIMOTA_CARD_MAX_KEYSETS] = { 0 };
	struct simota_card_tar tars[SIMOTA_CARD_MAX_TARS] = { 0 };
	struct ots_card tmp = { .keysets = keysets, .tars = tars }, *card = &tmp;

	ots_db_bind_text(st, 1, iccid);
	if (!ots_db_next(st, NULL)) {
		ots_db_reset(st);
		return NULL;
	}
	g_strlcpy(card->iccid, iccid, sizeof(card->iccid));
	card_from_row(card, st, 0);
	ots_db_reset(st);

	st = ots_db_stmt(reg->db, "SELECT kvn, kic, kid, kic_key, kid_key FROM keysets "
			 "WHERE iccid = ? ORDER BY kvn");
	ots_db_bind_text(st, 1, iccid);
	while (card->n_keysets < SIMOTA_CARD_MAX_KEYSETS && ots_db_next(st, NULL)) {
		struct simota_card_keyset *ks = &card->keysets[card->n_keysets++].cfg;

		keyset_from_row(ks, st, 0);
		copy_key(ks->kic_key, &ks->kic_key_len, st, 3);
		copy_key(ks->kid_key, &ks->kid_key_len, st, 4);
	}
	ots_db_reset(st);

	st = ots_db_stmt(reg->db, "SELECT tar, applet, spi, msl, keysets, mode, mg_address "
			 "FROM tars WHERE iccid = ? ORDER BY pos");
	ots_db_bind_text(st, 1, iccid);
	while (card->n_tars < SIMOTA_CARD_MAX_TARS && ots_db_next(st, NULL))
		if (tar_from_row(&card->tars[card->n_tars], st, 0))
			card->n_tars++;
	ots_db_reset(st);
	card = card_dup(&tmp);
	explicit_bzero(keysets, sizeof(keysets));    /* key material */
	return card;
}

struct ots_card *ots_registry_get(struct ots_registry *reg, const char *iccid)
{
	struct ots_card *card;

	if (!iccid)
		return NULL;
	card = g_hash_table_lookup(reg->cards, iccid);
	if (card)
		return card;
	card = load_card(reg, iccid);
	if (card)
		g_hash_table_insert(reg->cards, card->iccid, card);
	return card;
}

GPtrArray *ots_registry_all_by_msisdn(struct ots_registry *reg, const char *msisdn)
{
	GPtrArray *out = g_ptr_array_new();
	GPtrArray *iccids = g_ptr_array_new_with_free_func(g_free);
	struct ots_db_stmt *st;

	while (msisdn && *msisdn == '+')
		msisdn++;
	if (!msisdn || !*msisdn)
		goto done;
	/* stored with one optional '+' (the card checks): both spellings, through the index cards_msisdn */
	st = ots_db_stmt(reg->db, "SELECT iccid FROM cards WHERE msisdn IN (?, ?) ORDER BY iccid");
	if (!st)
		goto done;
	ots_db_bind_text(st, 1, msisdn);
	ots_db_bind_text_take(st, 2, g_strconcat("+", msisdn, NULL));
	while (ots_db_next(st, NULL))
		g_ptr_array_add(iccids, g_strdup(ots_db_column_text(st, 0)));
	ots_db_reset(st);
	/* loaded after the statement is reset: ots_registry_get() may run statements of its own */
	for (guint i = 0; i < iccids->len; i++) {
		struct ots_card *card = ots_registry_get(reg, g_ptr_array_index(iccids, i));

		if (card)
			g_ptr_array_add(out, card);
	}
done:
	g_ptr_array_unref(iccids);
	return out;
}

uint64_t ots_registry_count(struct ots_registry *reg)
{
	struct ots_db_stmt *st = ots_db_stmt(reg->db, "SELECT count(*) FROM cards");
	uint64_t n = 0;

	if (ots_db_next(st, NULL))
		n = (uint64_t)ots_db_column_int(st, 0);
	ots_db_reset(st);
	return n;
}

static bool insert_card(struct ots_registry *reg, const struct simota_card_config *cfg,
			GError **error)
{
	struct ots_db *db = reg->db;
	struct ots_db_stmt *st;

	st = ots_db_stmt(db, "INSERT INTO cards(iccid, msisdn, imsi, created, link) VALUES(?, ?, ?, ?, ?)");
	ots_db_bind_text(st, 1, cfg->iccid);
	ots_db_bind_text(st, 2, cfg->msisdn);
	ots_db_bind_text(st, 3, cfg->imsi);
	ots_db_bind_int(st, 4, g_get_real_time());
	ots_db_bind_text(st, 5, cfg->link);
	if (!ots_db_run(st, error))
		return false;

	for (unsigned i = 0; i < cfg->n_keysets; i++) {
		const struct simota_card_keyset *k = &cfg->keysets[i];

		st = ots_db_stmt(db, "INSERT INTO keysets(iccid, kvn, kic, kid, kic_key, kid_key, "
				 "counter) VALUES(?, ?, ?, ?, ?, ?, ?)");
		ots_db_bind_text(st, 1, cfg->iccid);
		ots_db_bind_int(st, 2, k->kvn);
		ots_db_bind_int(st, 3, k->kic);
		ots_db_bind_int(st, 4, k->kid);
		if (k->kic_key_len)
			ots_db_bind_blob(st, 5, k->kic_key, k->kic_key_len);
		if (k->kid_key_len)
			ots_db_bind_blob(st, 6, k->kid_key, k->kid_key_len);
		ots_db_bind_int(st, 7, (int64_t)k->counter);
		if (!ots_db_run(st, error))
			return false;
	}
	for (unsigned i = 0; i < cfg->n_tars; i++) {
		const struct simota_card_tar *t = &cfg->tars[i];
		unsigned spi = t->spi ? t->spi : 0x1619;  /* default: CC, ciphered, counter higher */

		st = ots_db_stmt(db, "INSERT INTO tars(iccid, tar, applet, spi, msl, keysets, mode, "
				 "mg_address, pos) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
		ots_db_bind_text(st, 1, cfg->iccid);
		ots_db_bind_text_take(st, 2, ots_hex(t->tar, 3));
		ots_db_bind_text(st, 3, t->applet[0] ? t->applet : "deferred");
		ots_db_bind_int(st, 4, (int)spi);
		ots_db_bind_int(st, 5, t->min_security_level);
		ots_db_bind_int(st, 6, t->keysets);
		ots_db_bind_text(st, 7, simota_card_mode_name(t->mode));
		ots_db_bind_text(st, 8, t->mg_address);
		ots_db_bind_int(st, 9, i);
		if (!ots_db_run(st, error))
			return false;
	}
	return true;
}

static bool has_unfinished(struct ots_registry *reg, const char *iccid)
{
	return reg->busy && reg->busy(iccid, reg->busy_data);
}

static bool delete_card(struct ots_registry *reg, const char *iccid, GError **error)
{
	struct ots_db_stmt *st = ots_db_stmt(reg->db, "DELETE FROM cards WHERE iccid = ?");

	ots_db_bind_text(st, 1, iccid);
	return ots_db_run(st, error);
}

static bool card_exists(struct ots_registry *reg, const char *iccid)
{
	struct ots_db_stmt *st = ots_db_stmt(reg->db, "SELECT 1 FROM cards WHERE iccid = ?");
	bool any;

	ots_db_bind_text(st, 1, iccid);
	any = ots_db_next(st, NULL);
	ots_db_reset(st);
	return any;
}

/* One card, inside the caller's DB transaction. */
static bool add_one(struct ots_registry *reg, const struct simota_card_config *cfg, bool replace,
		    GError **error)
{
	if (card_exists(reg, cfg->iccid)) {
		if (!replace) {
			g_set_error(error, OTS_ERROR, OTS_ERROR_EXISTS,
				    "card %s is already registered", cfg->iccid);
			return false;
		}
		if (has_unfinished(reg, cfg->iccid)) {
			g_set_error(error, OTS_ERROR, OTS_ERROR_STATE,
				    "card %s has unfinished transactions", cfg->iccid);
			return false;
		}
		if (!delete_card(reg, cfg->iccid, error))
			return false;
	}
	return insert_card(reg, cfg, error);
}

bool ots_registry_add(struct ots_registry *reg, const struct simota_card_config *cfg,
		      bool replace, GError **error)
{
	return ots_registry_add_all(reg, &cfg, 1, replace, error);
}

bool ots_registry_add_all(struct ots_registry *reg, const struct simota_card_config *const *cfgs,
			  unsigned n, bool replace, GError **error)
{
	if (!ots_db_begin(reg->db, error))
		return false;
	for (unsigned i = 0; i < n; i++)
		if (!add_one(reg, cfgs[i], replace, error))
			goto fail;
	if (!ots_db_commit(reg->db, error))
		goto fail;
	for (unsigned i = 0; i < n; i++) {
		const struct simota_card_config *cfg = cfgs[i];

		g_hash_table_remove(reg->cards, cfg->iccid);
		if (n == 1)
			g_message("card %s registered: %u keysets, %u TARs", cfg->iccid,
				  cfg->n_keysets, cfg->n_tars);
		for (unsigned w = 0; cfg->warnings && w < cfg->warnings->len; w++)
			g_warning("card %s: %s", cfg->iccid, (const char *)cfg->warnings->pdata[w]);
	}
	if (n > 1)
		g_message("%u cards registered (%s to %s)", n, cfgs[0]->iccid, cfgs[n - 1]->iccid);
	return true;
fail:
	ots_db_rollback(reg->db);
	return false;
}

bool ots_registry_remove(struct ots_registry *reg, const char *iccid, GError **error)
{
	if (!ots_db_begin(reg->db, error))
		return false;
	if (!card_exists(reg, iccid)) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_NOT_FOUND, "unknown card %s", iccid);
		goto fail;
	}
	if (has_unfinished(reg, iccid)) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_STATE,
			    "card %s has unfinished transactions", iccid);
		goto fail;
	}
	if (!delete_card(reg, iccid, error) || !ots_db_commit(reg->db, error))
		goto fail;
	g_hash_table_remove(reg->cards, iccid);
	return true;
fail:
	ots_db_rollback(reg->db);
	return false;
}

/* ---- JSON -------------------------------------------------------------- */

#define INVALID(error, field, ...) \
	g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, field ": " __VA_ARGS__)

static const char *json_str(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(n);
}

static bool json_hex_byte(JsonObject *o, const char *name, uint8_t *out)
{
	const char *s = json_str(o, name);
	size_t n;

	return s && ots_unhex(s, out, 1, &n) && n == 1;
}

static bool digits_ok(const char *s, size_t min, size_t max, bool plus)
{
	size_t n;

	if (!s)
		return false;
	if (plus && *s == '+')
		s++;
	n = strlen(s);
	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isdigit(s[i]))
			return false;
	return true;
}

/* A lib check's verdict as "keysets[i].key: why" (the field the API answers with). */
static bool check_failed(GError **error, const char *array, unsigned i, bool ok, const char *key, char *why)
{
	if (!ok)
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "%s[%u].%s: %s", array, i, key, why);
	g_free(why);
	return ok;
}

static bool keyset_from_json(JsonNode *n, unsigned i, struct simota_card_keyset *ks,
			     GError **error)
{
	JsonObject *o;
	const char *s, *key;
	char *why = NULL;
	int64_t kvn;
	bool ok;
	size_t len;

	if (!JSON_NODE_HOLDS_OBJECT(n)) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "keysets[%u]: expected an object", i);
		return false;
	}
	o = json_node_get_object(n);
	if (!json_object_has_member(o, "kvn") ||
	    json_node_get_value_type(json_object_get_member(o, "kvn")) != G_TYPE_INT64 ||
	    (kvn = json_object_get_int_member(o, "kvn")) < 0 || kvn > 15) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
			    "keysets[%u].kvn: expected an integer 0-15", i);
		return false;
	}
	ks->kvn = (uint8_t)kvn;
	if (!json_hex_byte(o, "kic", &ks->kic)) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "keysets[%u].kic: expected 1 hex byte", i);
		return false;
	}
	if (!json_hex_byte(o, "kid", &ks->kid)) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "keysets[%u].kid: expected 1 hex byte", i);
		return false;
	}
	s = json_str(o, "kic-key");
	if (json_object_has_member(o, "kic-key") &&
	    (!s || !ots_unhex(s, ks->kic_key, sizeof(ks->kic_key), &ks->kic_key_len))) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
			    "keysets[%u].kic-key: expected hex, at most %d bytes", i, SIMOTA_CARD_MAX_KEY_LEN);
		return false;
	}
	s = json_str(o, "kid-key");
	if (json_object_has_member(o, "kid-key") &&
	    (!s || !ots_unhex(s, ks->kid_key, sizeof(ks->kid_key), &ks->kid_key_len))) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
			    "keysets[%u].kid-key: expected hex, at most %d bytes", i, SIMOTA_CARD_MAX_KEY_LEN);
		return false;
	}
	if (json_object_has_member(o, "counter")) {
		uint8_t c[5];

		s = json_str(o, "counter");
		if (!s || !ots_unhex(s, c, 5, &len) || len != 5) {
			g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
				    "keysets[%u].counter: expected 5 hex bytes", i);
			return false;
		}
		ks->counter = 0;
		for (unsigned j = 0; j < 5; j++)
			ks->counter = ks->counter << 8 | c[j];
	}
	ok = simota_card_keyset_check(ks, &key, &why);
	return check_failed(error, "keysets", i, ok, key, why);
}

static bool tar_from_json(JsonNode *n, unsigned i, struct simota_card_config *cfg,
			  struct simota_card_tar *t, GError **error)
{
	JsonObject *o;
	const char *s, *key;
	char *why = NULL, *warning = NULL;
	uint8_t spi[2];
	size_t len;
	bool ok;

	if (!JSON_NODE_HOLDS_OBJECT(n)) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "tars[%u]: expected an object", i);
		return false;
	}
	o = json_node_get_object(n);
	s = json_str(o, "tar");
	if (!s || !ots_unhex(s, t->tar, 3, &len) || len != 3) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "tars[%u].tar: expected 3 hex bytes", i);
		return false;
	}
	s = json_str(o, "spi");
	if (!s || !ots_unhex(s, spi, 2, &len) || len != 2) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "tars[%u].spi: expected 2 hex bytes", i);
		return false;
	}
	t->spi = (uint16_t)(spi[0] << 8 | spi[1]);
	if (json_object_has_member(o, "min-security-level") &&
	    !json_hex_byte(o, "min-security-level", &t->min_security_level)) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
			    "tars[%u].min-security-level: expected 1 hex byte", i);
		return false;
	}
	s = json_str(o, "applet");
	if (json_object_has_member(o, "applet") && (!s || strlen(s) >= sizeof(t->applet))) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
			    "tars[%u].applet: expected the name of an applet uicc-emu provides", i);
		return false;
	}
	g_strlcpy(t->applet, s ? s : "deferred", sizeof(t->applet));
	s = json_str(o, "mode");
	if (json_object_has_member(o, "mode") && (!s || !simota_card_mode_from_name(s, &t->mode))) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
			    "tars[%u].mode: expected deferred or prior-art", i);
		return false;
	}
	s = json_str(o, "mg-address");
	if (json_object_has_member(o, "mg-address")) {
		if (!digits_ok(s, 1, 20, true)) {
			g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
				    "tars[%u].mg-address: expected an optional + and 1-20 digits", i);
			return false;
		}
		g_strlcpy(t->mg_address, s, sizeof(t->mg_address));
	}
	if (json_object_has_member(o, "keysets")) {
		JsonNode *kn = json_object_get_member(o, "keysets");
		JsonArray *a = JSON_NODE_HOLDS_ARRAY(kn) ? json_node_get_array(kn) : NULL;

		t->keysets = 0;
		for (unsigned j = 0; a && j < json_array_get_length(a); j++) {
			JsonNode *e = json_array_get_element(a, j);
			int64_t kvn = JSON_NODE_HOLDS_VALUE(e) &&
				json_node_get_value_type(e) == G_TYPE_INT64 ?
				json_node_get_int(e) : -1;

			if (kvn < 0 || kvn > 15) {
				a = NULL;
				break;
			}
			t->keysets |= 1u << kvn;
		}
		if (!a) {
			g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
				    "tars[%u].keysets: expected an array of KVNs 0-15", i);
			return false;
		}
	} else {
		for (unsigned j = 0; j < cfg->n_keysets; j++)
			t->keysets |= 1u << cfg->keysets[j].kvn;
	}
	ok = simota_card_tar_check(cfg, t, &key, &why, &warning);
	ok = check_failed(error, "tars", i, ok, key, why);
	if (warning)
		g_ptr_array_add(cfg->warnings, g_strdup_printf("tars[%u].applet: %s", i, warning));
	g_free(warning);
	return ok;
}

struct simota_card_config *ots_registry_config_from_json(JsonNode *node, GError **error)
{
	struct simota_card_config *cfg;
	JsonObject *o;
	JsonNode *n;
	const char *s;

	if (!node || !JSON_NODE_HOLDS_OBJECT(node)) {
		INVALID(error, "card", "expected a JSON object");
		return NULL;
	}
	o = json_node_get_object(node);
	cfg = simota_card_config_new();
	s = json_str(o, "iccid");
	if (!digits_ok(s, 19, 20, false)) {
		INVALID(error, "iccid", "expected 19 or 20 digits");
		goto fail;
	}
	g_strlcpy(cfg->iccid, s, sizeof(cfg->iccid));
	s = json_str(o, "msisdn");
	if (json_object_has_member(o, "msisdn")) {
		if (!digits_ok(s, 1, 20, true)) {
			INVALID(error, "msisdn", "expected an optional + and 1-20 digits");
			goto fail;
		}
		g_strlcpy(cfg->msisdn, s, sizeof(cfg->msisdn));
	}
	s = json_str(o, "link");
	if (json_object_has_member(o, "link") && !json_object_get_null_member(o, "link")) {
		if (!simota_card_link_valid(s)) {
			INVALID(error, "link", "expected netsim, smpp or null");
			goto fail;
		}
		g_strlcpy(cfg->link, s, sizeof(cfg->link));
	}
	s = json_str(o, "imsi");
	if (json_object_has_member(o, "imsi")) {
		if (!digits_ok(s, 6, 15, false)) {
			INVALID(error, "imsi", "expected 6-15 digits");
			goto fail;
		}
		g_strlcpy(cfg->imsi, s, sizeof(cfg->imsi));
	}
	n = json_object_get_member(o, "keysets");
	if (n) {
		JsonArray *a;

		if (!JSON_NODE_HOLDS_ARRAY(n) ||
		    json_array_get_length(a = json_node_get_array(n)) > SIMOTA_CARD_MAX_KEYSETS) {
			INVALID(error, "keysets", "expected an array of at most %d keysets",
				SIMOTA_CARD_MAX_KEYSETS);
			goto fail;
		}
		for (unsigned i = 0; i < json_array_get_length(a); i++) {
			struct simota_card_keyset *ks = &cfg->keysets[cfg->n_keysets];

			if (!keyset_from_json(json_array_get_element(a, i), i, ks, error))
				goto fail;
			if (simota_card_config_keyset(cfg, ks->kvn)) {
				g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
					    "keysets[%u].kvn: KVN %u appears twice", i, ks->kvn);
				goto fail;
			}
			cfg->n_keysets++;
		}
	}
	n = json_object_get_member(o, "tars");
	if (n) {
		JsonArray *a;

		if (!JSON_NODE_HOLDS_ARRAY(n) ||
		    json_array_get_length(a = json_node_get_array(n)) > SIMOTA_CARD_MAX_TARS) {
			INVALID(error, "tars", "expected an array of at most %d TARs", SIMOTA_CARD_MAX_TARS);
			goto fail;
		}
		for (unsigned i = 0; i < json_array_get_length(a); i++) {
			struct simota_card_tar *t = &cfg->tars[cfg->n_tars];

			if (!tar_from_json(json_array_get_element(a, i), i, cfg, t, error))
				goto fail;
			if (simota_card_config_tar(cfg, t->tar)) {
				g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
					    "tars[%u].tar: appears twice", i);
				goto fail;
			}
			cfg->n_tars++;
		}
	}
	return cfg;
fail:
	simota_card_config_free(cfg);
	return NULL;
}

static const char *alg_name_kic(uint8_t kic)
{
	enum simota_ota_alg alg;

	if (simota_ota_kic_algorithm(kic, SIMOTA_OTA_ALG_NONE, &alg) != SIMOTA_OK)
		return "implicit";
	return simota_ota_alg_name(alg);
}

static const char *alg_name_kid(uint8_t kid)
{
	enum simota_ota_alg alg;

	if (simota_ota_kid_algorithm(kid, SIMOTA_OTA_INTEGRITY_CC, SIMOTA_OTA_ALG_NONE,
				     &alg) != SIMOTA_OK)
		return "implicit";
	return simota_ota_alg_name(alg);
}

static int64_t keyset_counter(struct ots_registry *reg, const char *iccid, uint8_t kvn)
{
	struct ots_db_stmt *st = ots_db_stmt(reg->db, "SELECT counter FROM keysets "
					     "WHERE iccid = ? AND kvn = ?");
	int64_t v = -1;

	ots_db_bind_text(st, 1, iccid);
	ots_db_bind_int(st, 2, kvn);
	if (ots_db_next(st, NULL))
		v = ots_db_column_int(st, 0);
	ots_db_reset(st);
	return v;
}

/*
 * live: each keyset's counter read now from the database; else the one in
 * the keyset (read with it, in the same statement: a listed card).
 */
static JsonNode *card_json(struct ots_registry *reg, const struct ots_card *card, bool live)
{
	JsonBuilder *b = json_builder_new();
	JsonNode *node;
	char buf[16];

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "iccid");
	json_builder_add_string_value(b, card->iccid);
	json_builder_set_member_name(b, "msisdn");
	json_builder_add_string_value(b, card->msisdn);
	json_builder_set_member_name(b, "imsi");
	json_builder_add_string_value(b, card->imsi);
	json_builder_set_member_name(b, "link");
	if (card->link[0])
		json_builder_add_string_value(b, card->link);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "keysets");
	json_builder_begin_array(b);
	for (unsigned i = 0; i < card->n_keysets; i++) {
		const struct simota_card_keyset *ks = &card->keysets[i].cfg;

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "kvn");
		json_builder_add_int_value(b, ks->kvn);
		snprintf(buf, sizeof(buf), "%02x", ks->kic);
		json_builder_set_member_name(b, "kic");
		json_builder_add_string_value(b, buf);
		snprintf(buf, sizeof(buf), "%02x", ks->kid);
		json_builder_set_member_name(b, "kid");
		json_builder_add_string_value(b, buf);
		json_builder_set_member_name(b, "kic-algorithm");
		json_builder_add_string_value(b, alg_name_kic(ks->kic));
		json_builder_set_member_name(b, "kid-algorithm");
		json_builder_add_string_value(b, alg_name_kid(ks->kid));
		json_builder_set_member_name(b, "kic-key");
		json_builder_add_boolean_value(b, ks->kic_key_len > 0);  /* present, never the value */
		json_builder_set_member_name(b, "kid-key");
		json_builder_add_boolean_value(b, ks->kid_key_len > 0);
		snprintf(buf, sizeof(buf), "%010" G_GINT64_MODIFIER "x",
			 live ? keyset_counter(reg, card->iccid, ks->kvn) : (int64_t)ks->counter);
		json_builder_set_member_name(b, "counter");
		json_builder_add_string_value(b, buf);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "tars");
	json_builder_begin_array(b);
	for (unsigned i = 0; i < card->n_tars; i++) {
		const struct simota_card_tar *t = &card->tars[i];

		json_builder_begin_object(b);
		snprintf(buf, sizeof(buf), "%02x%02x%02x", t->tar[0], t->tar[1], t->tar[2]);
		json_builder_set_member_name(b, "tar");
		json_builder_add_string_value(b, buf);
		json_builder_set_member_name(b, "applet");
		json_builder_add_string_value(b, t->applet);
		snprintf(buf, sizeof(buf), "%04x", t->spi);
		json_builder_set_member_name(b, "spi");
		json_builder_add_string_value(b, buf);
		snprintf(buf, sizeof(buf), "%02x", t->min_security_level);
		json_builder_set_member_name(b, "min-security-level");
		json_builder_add_string_value(b, buf);
		json_builder_set_member_name(b, "keysets");
		json_builder_begin_array(b);
		for (unsigned k = 0; k < 16; k++)
			if (t->keysets & (1u << k))
				json_builder_add_int_value(b, k);
		json_builder_end_array(b);
		json_builder_set_member_name(b, "mode");
		json_builder_add_string_value(b, simota_card_mode_name(t->mode));
		json_builder_set_member_name(b, "mg-address");
		json_builder_add_string_value(b, t->mg_address);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	node = json_builder_get_root(b);
	g_object_unref(b);
	return node;
}

JsonNode *ots_registry_card_json(struct ots_registry *reg, const struct ots_card *card)
{
	return card_json(reg, card, true);
}

/* A card of a listing, its keysets and TARs in the page's arrays. */
struct listed_card {
	struct ots_card card;
	guint first_keyset, first_tar;
};

/* A page of the registry read by ICCID range, three statements for any number of cards. */
struct card_page {
	GArray *cards;             /* struct listed_card, in ICCID order */
	GHashTable *by_iccid;      /* iccid -> struct listed_card (in cards) */
	GArray *keysets;           /* struct ots_keyset, each card's together */
	GArray *tars;              /* struct simota_card_tar, the same */
};

/* The listed card of a keyset's or TAR's row (ICCID in column 0), NULL if it is not in the page. */
static struct listed_card *page_card(struct card_page *p, struct ots_db_stmt *st)
{
	return g_hash_table_lookup(p->by_iccid, ots_db_column_text(st, 0));
}

/*
 * The keysets and TARs of the page's cards (ICCIDs above after, up to
 * last), through the primary keys' indexes.  The rows of one card come
 * together (ORDER BY iccid); a row of a card registered since the cards
 * were read is not in the page and is skipped.  The keys themselves are
 * not read: a listing says whether each is stored, by its length.
 */
static bool page_read_parts(struct ots_registry *reg, struct card_page *p, const char *after,
			    const char *last, GError **error)
{
	struct ots_db_stmt *st;
	GError *local = NULL;

	st = ots_db_stmt(reg->db, "SELECT iccid, kvn, kic, kid, length(kic_key), length(kid_key), "
			 "counter FROM keysets WHERE iccid > ? AND iccid <= ? ORDER BY iccid, kvn");
	ots_db_bind_text(st, 1, after);
	ots_db_bind_text(st, 2, last);
	while (ots_db_next(st, &local)) {
		struct listed_card *c = page_card(p, st);
		struct ots_keyset ks = { 0 };

		if (!c || c->card.n_keysets >= SIMOTA_CARD_MAX_KEYSETS)
			continue;
		keyset_from_row(&ks.cfg, st, 1);
		ks.cfg.kic_key_len = (size_t)ots_db_column_int(st, 4);
		ks.cfg.kid_key_len = (size_t)ots_db_column_int(st, 5);
		ks.cfg.counter = (uint64_t)ots_db_column_int(st, 6);
		if (c->card.n_keysets++ == 0)
			c->first_keyset = p->keysets->len;
		g_array_append_val(p->keysets, ks);
	}
	ots_db_reset(st);
	if (local)
		goto fail;

	st = ots_db_stmt(reg->db, "SELECT iccid, tar, applet, spi, msl, keysets, mode, mg_address "
			 "FROM tars WHERE iccid > ? AND iccid <= ? ORDER BY iccid, pos");
	ots_db_bind_text(st, 1, after);
	ots_db_bind_text(st, 2, last);
	while (ots_db_next(st, &local)) {
		struct listed_card *c = page_card(p, st);
		struct simota_card_tar t;

		if (!c || c->card.n_tars >= SIMOTA_CARD_MAX_TARS || !tar_from_row(&t, st, 1))
			continue;
		if (c->card.n_tars++ == 0)
			c->first_tar = p->tars->len;
		g_array_append_val(p->tars, t);
	}
	ots_db_reset(st);
	if (local)
		goto fail;
	return true;
fail:
	g_propagate_error(error, local);
	return false;
}

JsonNode *ots_registry_list_json(struct ots_registry *reg, const char *after, unsigned limit,
				 bool *more, GError **error)
{
	struct ots_db_stmt *st = ots_db_stmt(reg->db, "SELECT iccid, msisdn, imsi, link FROM cards "
					     "WHERE iccid > ? ORDER BY iccid LIMIT ?");
	struct card_page p = {
		.cards = g_array_new(FALSE, TRUE, sizeof(struct listed_card)),
		.by_iccid = g_hash_table_new(g_str_hash, g_str_equal),
		.keysets = g_array_new(FALSE, FALSE, sizeof(struct ots_keyset)),
		.tars = g_array_new(FALSE, FALSE, sizeof(struct simota_card_tar)),
	};
	GError *local = NULL;
	JsonNode *node = NULL;
	JsonArray *a;

	*more = false;
	if (!after)
		after = "";              /* below every ICCID */
	/* one row more than the page: whether another page follows */
	ots_db_bind_text(st, 1, after);
	ots_db_bind_int(st, 2, (int64_t)limit + 1);
	while (ots_db_next(st, &local)) {
		struct listed_card c = { 0 };

		if (p.cards->len == limit) {
			*more = true;
			break;
		}
		copy_text(c.card.iccid, sizeof(c.card.iccid), ots_db_column_text(st, 0));
		card_from_row(&c.card, st, 1);
		g_array_append_val(p.cards, c);
	}
	ots_db_reset(st);
	if (local) {
		g_propagate_error(error, local);
		goto out;
	}
	for (guint i = 0; i < p.cards->len; i++) {
		struct listed_card *c = &g_array_index(p.cards, struct listed_card, i);

		g_hash_table_insert(p.by_iccid, c->card.iccid, c);
	}
	if (p.cards->len &&
	    !page_read_parts(reg, &p, after,
			     g_array_index(p.cards, struct listed_card, p.cards->len - 1).card.iccid, error))
		goto out;
	a = json_array_new();
	for (guint i = 0; i < p.cards->len; i++) {
		struct listed_card *c = &g_array_index(p.cards, struct listed_card, i);

		/* the arrays are complete: they move no more */
		if (c->card.n_keysets)
			c->card.keysets = &g_array_index(p.keysets, struct ots_keyset, c->first_keyset);
		if (c->card.n_tars)
			c->card.tars = &g_array_index(p.tars, struct simota_card_tar, c->first_tar);
		json_array_add_element(a, card_json(reg, &c->card, false));
	}
	node = json_node_new(JSON_NODE_ARRAY);
	json_node_take_array(node, a);
out:
	g_hash_table_destroy(p.by_iccid);
	g_array_free(p.cards, TRUE);
	g_array_free(p.keysets, TRUE);
	g_array_free(p.tars, TRUE);
	return node;
}

uint64_t ots_registry_cached(struct ots_registry *reg)
{
	return g_hash_table_size(reg->cards);
}

const struct simota_card_tar *ots_card_tar(const struct ots_card *card, const uint8_t tar[3])
{
	for (unsigned i = 0; i < card->n_tars; i++)
		if (memcmp(card->tars[i].tar, tar, 3) == 0)
			return &card->tars[i];
	return NULL;
}

const struct simota_card_tar *ots_card_default_tar(const struct ots_card *card)
{
	for (unsigned i = 0; i < card->n_tars; i++)
		if (strcmp(card->tars[i].applet, "deferred") == 0)
			return &card->tars[i];
	return card->n_tars ? &card->tars[0] : NULL;
}

struct ots_keyset *ots_card_keyset(struct ots_card *card, uint8_t kvn)
{
	for (unsigned i = 0; i < card->n_keysets; i++)
		if (card->keysets[i].cfg.kvn == kvn)
			return &card->keysets[i];
	return NULL;
}

int ots_card_tar_keyset(const struct ots_card *card, const struct simota_card_tar *tar)
{
	for (unsigned k = 0; k < 16; k++)
		if ((tar->keysets & (1u << k)) && ots_card_keyset((struct ots_card *)card, (uint8_t)k))
			return (int)k;
	return -1;
}

/* The prepared key for (alg, key), from the cache or made and cached. */
static simota_err cached_key(struct ots_registry *reg, enum simota_ota_alg alg, const uint8_t *key,
			     size_t len, struct simota_ota_key **out)
{
	struct key_slot probe = { .alg = alg, .len = MIN(len, sizeof(probe.bytes)) }, *k;
	simota_err err;

	memcpy(probe.bytes, key, probe.len);
	k = g_hash_table_lookup(reg->keys, &probe);
	explicit_bzero(probe.bytes, sizeof(probe.bytes));
	if (k) {
		g_queue_unlink(&reg->keys_lru, &k->link);
		g_queue_push_head_link(&reg->keys_lru, &k->link);
		*out = k->key;
		return SIMOTA_OK;
	}
	k = g_new0(struct key_slot, 1);
	k->alg = alg;
	k->len = probe.len;
	memcpy(k->bytes, key, k->len);
	err = simota_ota_key_new(reg->crypto, alg, key, len, &k->key);
	if (err != SIMOTA_OK) {
		key_slot_free(k);
		return err;
	}
	/* the oldest goes; the two keys of one call are the newest, so both stay */
	if (reg->keys_lru.length >= OTS_KEY_CACHE)
		g_hash_table_remove(reg->keys, g_queue_pop_tail_link(&reg->keys_lru)->data);
	k->link.data = k;
	g_queue_push_head_link(&reg->keys_lru, &k->link);
	g_hash_table_add(reg->keys, k);
	*out = k->key;
	return SIMOTA_OK;
}

bool ots_registry_keys(struct ots_registry *reg, struct ots_keyset *ks, bool need_kic,
		       enum simota_ota_integrity integrity,
		       struct simota_ota_key **kic, struct simota_ota_key **kid, GError **error)
{
	const struct simota_card_keyset *c = &ks->cfg;
	enum simota_ota_alg alg;
	simota_err err;

	*kic = NULL;
	*kid = NULL;
	if (need_kic) {
		err = simota_ota_kic_algorithm(c->kic, SIMOTA_OTA_ALG_NONE, &alg);
		if (err == SIMOTA_OK)
			err = cached_key(reg, alg, c->kic_key, c->kic_key_len, kic);
		if (err != SIMOTA_OK) {
			g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "keyset %u: KIc %02x: %s",
				    c->kvn, c->kic, simota_strerror(err));
			return false;
		}
	}
	if (integrity == SIMOTA_OTA_INTEGRITY_RC || integrity == SIMOTA_OTA_INTEGRITY_CC) {
		err = simota_ota_kid_algorithm(c->kid, integrity, SIMOTA_OTA_ALG_NONE, &alg);
		if (err == SIMOTA_OK)
			err = cached_key(reg, alg, c->kid_key, c->kid_key_len, kid);
		if (err != SIMOTA_OK) {
			g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "keyset %u: KID %02x: %s",
				    c->kvn, c->kid, simota_strerror(err));
			*kic = NULL;
			return false;
		}
	} else if (integrity == SIMOTA_OTA_INTEGRITY_DS) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
			    "keyset %u: digital signatures are not supported", c->kvn);
		*kic = NULL;
		return false;
	}
	return true;
}

/*
 * UPDATE ... RETURNING: the value is read and raised in one statement, so
 * two server instances on one PostgreSQL database (whose batches run under
 * READ COMMITTED) can never both take the same one: the second waits for
 * the first's row lock and sees its value.  No row: nothing was taken.
 */
static bool take_next(struct ots_registry *reg, const char *sql, const char *iccid,
		      const int64_t *ints, int n_ints, int64_t *taken, GError **error)
{
	struct ots_db_stmt *st = ots_db_stmt(reg->db, sql);
	GError *local = NULL;
	bool row;

	ots_db_bind_text(st, 1, iccid);
	for (int i = 0; i < n_ints; i++)
		ots_db_bind_int(st, 2 + i, ints[i]);
	row = ots_db_next(st, &local);
	if (row)
		*taken = ots_db_column_int(st, 0);
	ots_db_reset(st);
	if (local) {
		g_propagate_error(error, local);
		return false;
	}
	return row;
}

bool ots_registry_take_counter(struct ots_registry *reg, const char *iccid, uint8_t kvn,
			       uint64_t *cntr, GError **error)
{
	/* the next counter must stay below SIMOTA_OTA_CNTR_MAX ("blocked") */
	const int64_t args[] = { kvn, (int64_t)SIMOTA_OTA_CNTR_MAX - 1 };
	GError *local = NULL;
	int64_t v;

	if (take_next(reg, "UPDATE keysets SET counter = counter + 1 WHERE iccid = ? AND kvn = ? "
		      "AND counter < ? RETURNING counter", iccid, args, 2, &v, &local)) {
		*cntr = (uint64_t)v;
		return true;
	}
	if (local)
		g_propagate_error(error, local);
	else if (keyset_counter(reg, iccid, kvn) < 0)
		g_set_error(error, OTS_ERROR, OTS_ERROR_NOT_FOUND, "card %s has no keyset %u",
			    iccid, kvn);
	else
		g_set_error(error, OTS_ERROR, OTS_ERROR_STATE, "card %s keyset %u: counter exhausted",
			    iccid, kvn);
	return false;
}

bool ots_registry_take_txid(struct ots_registry *reg, const char *iccid, uint32_t *txid,
			    GError **error)
{
	GError *local = NULL;
	int64_t v;

	if (take_next(reg, "UPDATE cards SET next_txid = next_txid + 1 WHERE iccid = ? "
		      "AND next_txid BETWEEN 1 AND 4294967295 RETURNING next_txid - 1",
		      iccid, NULL, 0, &v, &local)) {
		*txid = (uint32_t)v;
		return true;
	}
	if (local)
		g_propagate_error(error, local);
	else
		g_set_error(error, OTS_ERROR, OTS_ERROR_STATE, "card %s: no transaction id left", iccid);
	return false;
}
