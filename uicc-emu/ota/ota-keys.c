/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Keysets of the OTA receiving entity: keys prepared for the packet that
 * uses them (libsimota prepared keys), selection by key version number
 * (TS 102 225 §5.1.2 / §5.1.3: b8-b5 of KIc and KID), the TAR's allowed
 * keysets, and the counters kept in the card state.
 */
#define G_LOG_DOMAIN "uicc-ota"

#include <string.h>

#include "ota/ota-internal.h"

static struct simota_ota_key *prepare(struct uicc_ota *ota, enum simota_ota_alg alg, const uint8_t *key, size_t len,
				      simota_err *err)
{
	struct simota_ota_key *k = NULL;

	*err = len ? simota_ota_key_new(ota->crypto, alg, key, len, &k) : SIMOTA_ERR_MISSING_VALUE;
	return *err ? NULL : k;
}

/* TS 102 225 §5.1.2, §5.1.3: the algorithms the keyset's KIc / KID bytes name (NONE: not usable). */
static enum simota_ota_alg cipher_alg(const struct simota_card_keyset *c)
{
	enum simota_ota_alg alg;

	if (!c->kic_key_len || simota_ota_kic_algorithm(c->kic, SIMOTA_OTA_ALG_NONE, &alg) != SIMOTA_OK)
		return SIMOTA_OTA_ALG_NONE;
	return alg;
}

static enum simota_ota_alg cc_alg(const struct simota_card_keyset *c)
{
	enum simota_ota_alg alg;

	if (!c->kid_key_len ||
	    simota_ota_kid_algorithm(c->kid, SIMOTA_OTA_INTEGRITY_CC, SIMOTA_OTA_ALG_NONE, &alg) != SIMOTA_OK)
		return SIMOTA_OTA_ALG_NONE;
	return alg;
}

/* The keyset's keys for the packet being processed (released by ota_keys_release). */
static void keyset_prepare(struct uicc_ota *ota, struct ota_keyset *ks)
{
	simota_err err;

	if (ks->cipher_usable && !ks->cipher)
		ks->cipher = prepare(ota, cipher_alg(ks->cfg), ks->cfg->kic_key, ks->cfg->kic_key_len, &err);
	if (ks->cc_usable && !ks->cc)
		ks->cc = prepare(ota, cc_alg(ks->cfg), ks->cfg->kid_key, ks->cfg->kid_key_len, &err);
}

void ota_keys_release(struct uicc_ota *ota)
{
	for (unsigned i = 0; i < ota->n_keysets; i++) {
		simota_ota_key_free(ota->keysets[i].cipher);
		simota_ota_key_free(ota->keysets[i].cc);
		ota->keysets[i].cipher = ota->keysets[i].cc = NULL;
	}
}

/* Whether OpenSSL can prepare the key (e.g. single DES needs its legacy provider); said once, at attach. */
static bool usable(struct uicc_ota *ota, const struct simota_card_keyset *c, enum simota_ota_alg alg,
		   const uint8_t *key, size_t len, const char *what)
{
	simota_err err;
	struct simota_ota_key *k;

	if (alg == SIMOTA_OTA_ALG_NONE)
		return false;
	k = prepare(ota, alg, key, len, &err);
	if (!k) {
		/* packets needing it get 06 */
		g_warning("keyset %u: %s key (%s) not usable: %s", c->kvn, what, simota_ota_alg_name(alg),
			  simota_strerror(err));
		return false;
	}
	simota_ota_key_free(k);
	return true;
}

bool ota_keys_init(struct uicc_ota *ota, GError **error)
{
	ota->crypto = uicc_card_crypto(ota->card);
	if (!ota->crypto) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "OTA crypto: %s",
			    simota_strerror(SIMOTA_ERR_CRYPTO));
		return false;
	}
	if (simota_ota_key_new(ota->crypto, SIMOTA_OTA_ALG_CRC16, NULL, 0, &ota->crc16) ||
	    simota_ota_key_new(ota->crypto, SIMOTA_OTA_ALG_CRC32, NULL, 0, &ota->crc32)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "OTA crypto: CRC keys");
		return false;
	}
	for (unsigned i = 0; i < ota->cfg->n_keysets; i++) {
		const struct simota_card_keyset *c = &ota->cfg->keysets[i];
		struct ota_keyset *ks = &ota->keysets[ota->n_keysets++];

		ks->cfg = c;
		ks->cipher_usable = usable(ota, c, cipher_alg(c), c->kic_key, c->kic_key_len, "KIc");
		ks->cc_usable = usable(ota, c, cc_alg(c), c->kid_key, c->kid_key_len, "KID");
	}
	return true;
}

void ota_keys_free(struct uicc_ota *ota)
{
	ota_keys_release(ota);
	ota->n_keysets = 0;
	simota_ota_key_free(ota->crc16);
	simota_ota_key_free(ota->crc32);
	ota->crc16 = ota->crc32 = NULL;
	ota->crypto = NULL;             /* the card's (shared) */
}

struct ota_keyset *ota_keyset(struct uicc_ota *ota, uint8_t kvn)
{
	for (unsigned i = 0; i < ota->n_keysets; i++)
		if (ota->keysets[i].cfg->kvn == kvn)
			return &ota->keysets[i];
	return NULL;
}

/* 06: the card has no such keyset; 0A: the TAR does not accept it.  Its keys are prepared. */
static uint8_t keyset_for(struct uicc_ota *ota, const struct simota_card_tar *tc, uint8_t kvn,
			  struct ota_keyset **out)
{
	*out = ota_keyset(ota, kvn);
	if (!*out)
		return SIMOTA_OTA_STATUS_SECURITY_ERROR;
	if (!(tc->keysets & (1u << kvn)))
		return SIMOTA_OTA_STATUS_INSUFFICIENT_SECURITY;
	keyset_prepare(ota, *out);
	return SIMOTA_OTA_STATUS_OK;
}

/* TS 102 225 §5.1.2: the packet's KIc must name the keyset's algorithm (or "implicit"). */
static uint8_t cipher_key(struct uicc_ota *ota, const struct simota_card_tar *tc, uint8_t kic,
			  struct simota_ota_key **out)
{
	struct ota_keyset *ks;
	enum simota_ota_alg alg;
	uint8_t st = keyset_for(ota, tc, kic >> 4, &ks);

	if (st)
		return st;
	if (!ks->cipher ||
	    simota_ota_kic_algorithm(kic, simota_ota_key_alg(ks->cipher), &alg) != SIMOTA_OK ||
	    alg != simota_ota_key_alg(ks->cipher))
		return SIMOTA_OTA_STATUS_SECURITY_ERROR;
	*out = ks->cipher;
	return SIMOTA_OTA_STATUS_OK;
}

/*
 * TS 102 225 §5.1.3: RC (CRC16/CRC32; "implicit" KID: the RC length that
 * CHL gives decides) or CC with the keyset's KID key.  DS: not supported.
 */
static uint8_t integrity_key(struct uicc_ota *ota, const struct simota_card_tar *tc, uint8_t kid,
			     enum simota_ota_integrity integrity, size_t cc_len, struct simota_ota_key **out)
{
	struct ota_keyset *ks;
	enum simota_ota_alg alg, implicit;
	uint8_t st = keyset_for(ota, tc, kid >> 4, &ks);

	if (st)
		return st;
	switch (integrity) {
	case SIMOTA_OTA_INTEGRITY_RC:
		implicit = cc_len == 2 ? SIMOTA_OTA_ALG_CRC16 : SIMOTA_OTA_ALG_CRC32;
		if (simota_ota_kid_algorithm(kid, integrity, implicit, &alg) != SIMOTA_OK)
			return SIMOTA_OTA_STATUS_SECURITY_ERROR;
		*out = alg == SIMOTA_OTA_ALG_CRC16 ? ota->crc16 : ota->crc32;
		return SIMOTA_OTA_STATUS_OK;
	case SIMOTA_OTA_INTEGRITY_CC:
		if (!ks->cc ||
		    simota_ota_kid_algorithm(kid, integrity, simota_ota_key_alg(ks->cc), &alg) != SIMOTA_OK ||
		    alg != simota_ota_key_alg(ks->cc))
			return SIMOTA_OTA_STATUS_SECURITY_ERROR;
		*out = ks->cc;
		return SIMOTA_OTA_STATUS_OK;
	default:
		return SIMOTA_OTA_STATUS_SECURITY_ERROR;
	}
}

uint8_t ota_keys_select(struct uicc_ota *ota, const struct simota_card_tar *tc,
			const struct ota_packet *p, bool por,
			struct simota_ota_key **kic_key, struct simota_ota_key **kid_key)
{
	bool ciphered = por ? p->s.por_ciphered : p->s.ciphered;
	enum simota_ota_integrity integrity = por ? p->s.por_integrity : p->s.integrity;
	uint8_t st = SIMOTA_OTA_STATUS_OK;

	*kic_key = *kid_key = NULL;
	if (ciphered)
		st = cipher_key(ota, tc, p->kic, kic_key);
	if (!st && integrity != SIMOTA_OTA_INTEGRITY_NONE)
		st = integrity_key(ota, tc, p->kid, integrity, p->cc_len, kid_key);
	return st;
}

/* The counter belongs to the keyset that authenticates the packet (KID), else the KIc's. */
uint8_t ota_counter_keyset(struct uicc_ota *ota, const struct simota_card_tar *tc,
			   const struct ota_packet *p, struct ota_keyset **out)
{
	uint8_t kvn = p->s.integrity == SIMOTA_OTA_INTEGRITY_NONE && p->s.ciphered ? p->kic >> 4 : p->kid >> 4;

	return keyset_for(ota, tc, kvn, out);
}

static void counter_key(uint8_t kvn, char out[16])
{
	g_snprintf(out, 16, "counter-%u", kvn);
}

uint64_t ota_counter_get(struct uicc_ota *ota, const struct ota_keyset *ks)
{
	char key[16];
	uint64_t v;

	counter_key(ks->cfg->kvn, key);
	if (uicc_card_state_get_u64(ota->state, UICC_OTA_STATE_GROUP, key, &v))
		return v;
	return ks->cfg->counter;
}

bool ota_counter_commit(struct uicc_ota *ota, const struct ota_keyset *ks, uint64_t value)
{
	uint64_t old = ota_counter_get(ota, ks);
	GError *err = NULL;
	char key[16];

	counter_key(ks->cfg->kvn, key);
	uicc_card_state_set_u64(ota->state, UICC_OTA_STATE_GROUP, key, value);
	if (uicc_card_state_commit(ota->state, &err))
		return true;
	g_warning("keyset %u: counter not stored: %s", ks->cfg->kvn,
	      err ? err->message : "?");
	g_clear_error(&err);
	uicc_card_state_set_u64(ota->state, UICC_OTA_STATE_GROUP, key, old);
	return false;
}

void ota_counter_stage(struct uicc_ota *ota, const struct ota_keyset *ks, uint64_t value)
{
	char key[16];

	counter_key(ks->cfg->kvn, key);
	uicc_card_state_savepoint(ota->state);
	uicc_card_state_set_u64(ota->state, UICC_OTA_STATE_GROUP, key, value);
}

bool uicc_ota_counter(struct uicc_card *card, uint8_t kvn, uint64_t *out)
{
	const struct simota_card_keyset *ks = simota_card_config_keyset(uicc_card_config_of(card), kvn);
	char key[16];

	if (!ks)
		return false;
	counter_key(kvn, key);
	if (!uicc_card_state_get_u64(uicc_card_state_of(card), UICC_OTA_STATE_GROUP, key, out))
		*out = ks->counter;
	return true;
}

void uicc_ota_instance_name(const char *applet, const uint8_t tar[3], char out[UICC_OTA_INSTANCE_NAME_MAX])
{
	g_snprintf(out, UICC_OTA_INSTANCE_NAME_MAX, "%s@%02x%02x%02x", applet, tar[0], tar[1], tar[2]);
}

struct uicc_tk_applet *uicc_ota_register_instance(struct uicc_card *card, const struct simota_card_tar *tc,
						  uicc_tk_process_fn process, void *user_data, GError **error)
{
	char name[UICC_OTA_INSTANCE_NAME_MAX];
	struct uicc_tk_applet *a;

	uicc_ota_instance_name(tc->applet, tc->tar, name);
	a = uicc_tk_applet_register(uicc_card_toolkit(card), name, process, user_data);
	if (!a) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "[tar %02x%02x%02x]: applet %s not registered (too many applets?)",
			    tc->tar[0], tc->tar[1], tc->tar[2], name);
		return NULL;
	}
	uicc_tk_applet_set_event(a, UICC_TK_EVENT_FORMATTED_SMS_PP);
	return a;
}
