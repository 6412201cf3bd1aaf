/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Card config file (doc/card-config.md): a GKeyFile with one [card] group,
 * [keyset N] groups (N = KVN, 0-15) and [tar XXXXXX] groups.  Every error
 * names the file, the group and the key; key values are never put in an
 * error message nor logged.
 *
 * A '#' preceded by a space or tab ends a value (an inline comment, as in
 * the example); GKeyFile itself only knows whole-line comments.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simota/card_config.h"
#include "simota/hex.h"

#define DEFAULT_PUK "12345678"
#define DEFAULT_CAPACITY 8
#define MAX_CAPACITY 64

/*
 * Default EF_UST (TS 31.102 §4.2.8): services 10 (SMS), 12 (SMSP), 19 (SPN),
 * 21 (MSISDN), 28 (data download via SMS-PP) and 33 (always set).
 */
static const uint8_t default_ust[] = { 0x00, 0x0a, 0x14, 0x08, 0x01 };

struct parser {
	GKeyFile *kf;
	const char *path;
	GError **error;
};

static bool fail(struct parser *p, const char *group, const char *key, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

static bool fail(struct parser *p, const char *group, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (key)
		g_set_error(p->error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "%s: [%s] %s: %s", p->path, group, key, msg);
	else
		g_set_error(p->error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "%s: [%s]: %s", p->path, group, msg);
	g_free(msg);
	return false;
}

/* The value with an inline comment and surrounding blanks removed; NULL if absent. */
static char *get_value(struct parser *p, const char *group, const char *key)
{
	char *v = g_key_file_get_string(p->kf, group, key, NULL);
	char *c;

	if (!v)
		return NULL;
	for (c = v; *c; c++) {
		if (*c == '#' && (c == v || c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			break;
		}
	}
	return g_strstrip(v);
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!g_ascii_isdigit(*s))
			return false;
	return true;
}

/* simota_hex_decode(); sets *len, also when the bytes exceed cap.  False on a non-hex digit or an odd one. */
static bool parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	simota_err err = simota_hex_decode(s, out, cap, len);

	return err == SIMOTA_OK || err == SIMOTA_ERR_NO_SPACE;
}

/* A string key limited to maxlen characters; digits_only for numbers. */
static bool get_text(struct parser *p, const char *group, const char *key, char *out, size_t cap,
		     size_t minlen, size_t maxlen, bool digits_only, bool plus_allowed, bool required)
{
	char *v = get_value(p, group, key);
	const char *digits;
	bool ok = true;

	if (!v || !*v) {
		g_free(v);
		if (required)
			return fail(p, group, key, "missing");
		return true;
	}
	digits = (plus_allowed && v[0] == '+') ? v + 1 : v;
	if (digits_only && !all_digits(digits))
		ok = fail(p, group, key, "expected %sdigits", plus_allowed ? "an optional '+' and " : "");
	else if (strlen(digits) < minlen || strlen(digits) > maxlen)
		ok = fail(p, group, key, "expected %zu to %zu %s, got %zu", minlen, maxlen,
			  digits_only ? "digits" : "characters", strlen(digits));
	else if (!g_utf8_validate(v, -1, NULL))
		ok = fail(p, group, key, "not valid UTF-8");
	else
		g_strlcpy(out, v, cap);
	g_free(v);
	return ok;
}

/* Exactly `want` hex bytes (want = 0: 1..cap bytes); absent leaves *out. */
static bool get_hex(struct parser *p, const char *group, const char *key, uint8_t *out, size_t cap,
		    size_t want, size_t *len, bool required)
{
	char *v = get_value(p, group, key);
	size_t n;
	bool ok = true;

	if (!v || !*v) {
		g_free(v);
		if (required)
			return fail(p, group, key, "missing");
		return true;
	}
	if (!parse_hex(v, out, cap, &n))
		ok = fail(p, group, key, "not an even number of hex digits");
	else if (want && n != want)
		ok = fail(p, group, key, "expected %zu hex bytes, got %zu", want, n);
	else if (!want && (n == 0 || n > cap))
		ok = fail(p, group, key, "expected 1 to %zu hex bytes, got %zu", cap, n);
	else if (len)
		*len = n;
	g_free(v);
	return ok;
}

static bool get_uint(struct parser *p, const char *group, const char *key, unsigned *out,
		     unsigned min, unsigned max)
{
	char *v = get_value(p, group, key);
	guint64 x;
	bool ok = true;

	if (!v || !*v) {
		g_free(v);
		return true;
	}
	if (!g_ascii_string_to_unsigned(v, 10, min, max, &x, NULL))
		ok = fail(p, group, key, "expected a number from %u to %u", min, max);
	else
		*out = (unsigned)x;
	g_free(v);
	return ok;
}

/* Rejects keys this program does not know in a group it owns (typos). */
static bool check_known_keys(struct parser *p, const char *group, const char *const *known)
{
	char **keys = g_key_file_get_keys(p->kf, group, NULL, NULL);
	bool ok = true;

	for (char **k = keys; ok && k && *k; k++)
		if (!g_strv_contains(known, *k))
			ok = fail(p, group, *k, "unknown key");
	g_strfreev(keys);
	return ok;
}

static bool parse_card(struct parser *p, struct simota_card_config *cfg)
{
	static const char *const known[] = {
		"iccid", "imsi", "msisdn", "pin", "puk", "spn", "smsc", "ust", NULL
	};
	const char *g = "card";

	if (!g_key_file_has_group(p->kf, g))
		return fail(p, g, NULL, "group missing");
	if (!check_known_keys(p, g, known))
		return false;
	/* EF_ICCID holds 10 BCD bytes (TS 102 221 §13.2) */
	if (!get_text(p, g, "iccid", cfg->iccid, sizeof(cfg->iccid), 19, 20, true, false, true))
		return false;
	/* EF_IMSI: up to 15 digits (TS 31.102 §4.2.2, TS 23.003 §2.2) */
	if (!get_text(p, g, "imsi", cfg->imsi, sizeof(cfg->imsi), 6, 15, true, false, true))
		return false;
	if (!get_text(p, g, "msisdn", cfg->msisdn, sizeof(cfg->msisdn), 1, 20, true, true, false))
		return false;
	/* PIN and PUK: TS 102 221 §9.5.2 (PIN 4-8 digits, PUK 8 digits) */
	if (!get_text(p, g, "pin", cfg->pin, sizeof(cfg->pin), 4, 8, true, false, false))
		return false;
	g_strlcpy(cfg->puk, DEFAULT_PUK, sizeof(cfg->puk));
	if (!get_text(p, g, "puk", cfg->puk, sizeof(cfg->puk), 8, 8, true, false, false))
		return false;
	/* EF_SPN: 16 bytes of name (TS 31.102 §4.2.12) */
	if (!get_text(p, g, "spn", cfg->spn, sizeof(cfg->spn), 1, 16, false, false, false))
		return false;
	if (!get_text(p, g, "smsc", cfg->smsc, sizeof(cfg->smsc), 1, 20, true, true, false))
		return false;
	memcpy(cfg->ust, default_ust, sizeof(default_ust));
	cfg->ust_len = sizeof(default_ust);
	return get_hex(p, g, "ust", cfg->ust, sizeof(cfg->ust), 0, &cfg->ust_len, false);
}

/*
 * The key length the KIc/KID byte's algorithm needs (TS 102 225 §5.1.2,
 * §5.1.3): b2b1 00 implicit, 01 DES family (b4b3: DES-CBC, 3DES 2 keys,
 * 3DES 3 keys, DES-ECB for KIc / reserved for KID), 10 AES (b4b3 00),
 * 11 proprietary.  Returns false for a reserved coding; lens[] gets the
 * allowed lengths, none meaning any length from 1 to SIMOTA_CARD_MAX_KEY_LEN.
 */
static bool key_lengths(uint8_t alg, bool is_kid, size_t lens[3], size_t *n_lens)
{
	unsigned b21 = alg & 0x03, b43 = (alg >> 2) & 0x03;

	*n_lens = 0;
	switch (b21) {
	case 1:
		if (is_kid && b43 == 3)
			return false;
		lens[0] = (b43 == 1) ? 16 : (b43 == 2) ? 24 : 8;
		*n_lens = 1;
		return true;
	case 2:
		if (b43 != 0)
			return false;
		lens[0] = 16;
		lens[1] = 24;
		lens[2] = 32;
		*n_lens = 3;
		return true;
	default:
		return true;
	}
}

static bool get_key(struct parser *p, const char *group, const char *key, uint8_t alg, bool is_kid,
		    uint8_t *out, size_t *len)
{
	size_t lens[3], n_lens, n = 0;

	*len = 0;
	if (!key_lengths(alg, is_kid, lens, &n_lens))
		return fail(p, group, is_kid ? "kid" : "kic", "reserved algorithm coding");
	if (!get_hex(p, group, key, out, SIMOTA_CARD_MAX_KEY_LEN, 0, &n, false))
		return false;
	if (n && n_lens) {
		bool ok = false;

		for (size_t i = 0; i < n_lens; i++)
			ok |= (n == lens[i]);
		if (!ok) {
			memset(out, 0, SIMOTA_CARD_MAX_KEY_LEN);
			if (n_lens == 1)
				return fail(p, group, key, "expected %zu bytes for %s 0x%02x, got %zu",
					    lens[0], is_kid ? "KID" : "KIc", alg, n);
			return fail(p, group, key, "expected 16, 24 or 32 bytes for AES, got %zu", n);
		}
	}
	*len = n;
	return true;
}

static bool parse_keyset(struct parser *p, const char *group, unsigned kvn, struct simota_card_keyset *ks)
{
	static const char *const known[] = {
		"kic", "kid", "kic-key", "kid-key", "counter", NULL
	};
	uint8_t cntr[5] = { 0 };

	if (!check_known_keys(p, group, known))
		return false;
	ks->kvn = (uint8_t)kvn;
	/* TS 102 225 §5.1.2/§5.1.3: b8-b5 of KIc and KID are the key version number */
	if (!get_hex(p, group, "kic", &ks->kic, 1, 1, NULL, true))
		return false;
	if ((ks->kic >> 4) != kvn)
		return fail(p, group, "kic", "key version number (high nibble) is not %u", kvn);
	if (!get_hex(p, group, "kid", &ks->kid, 1, 1, NULL, true))
		return false;
	if ((ks->kid >> 4) != kvn)
		return fail(p, group, "kid", "key version number (high nibble) is not %u", kvn);
	if (!get_key(p, group, "kic-key", ks->kic, false, ks->kic_key, &ks->kic_key_len))
		return false;
	if (!get_key(p, group, "kid-key", ks->kid, true, ks->kid_key, &ks->kid_key_len))
		return false;
	/* CNTR: 5 bytes (TS 102 225 §5.1.1) */
	if (!get_hex(p, group, "counter", cntr, sizeof(cntr), sizeof(cntr), NULL, false))
		return false;
	ks->counter = 0;
	for (size_t i = 0; i < sizeof(cntr); i++)
		ks->counter = ks->counter << 8 | cntr[i];
	return true;
}

static bool parse_kvn_list(struct parser *p, const char *group, struct simota_card_tar *tc,
			   const struct simota_card_config *cfg)
{
	char *v = get_value(p, group, "keysets");
	char **items;
	bool ok = true;

	tc->keysets = 0;
	if (!v || !*v) {
		/* default: every keyset of the file */
		for (unsigned i = 0; i < cfg->n_keysets; i++)
			tc->keysets |= 1u << cfg->keysets[i].kvn;
		g_free(v);
		if (!tc->keysets)
			return fail(p, group, "keysets", "no [keyset N] group in the file");
		return true;
	}
	items = g_strsplit_set(v, ",; \t", -1);
	for (char **it = items; ok && *it; it++) {
		guint64 kvn;

		if (!**it)
			continue;
		if (!g_ascii_string_to_unsigned(*it, 10, 0, 15, &kvn, NULL))
			ok = fail(p, group, "keysets", "expected key version numbers 0-15, got \"%s\"", *it);
		else if (!simota_card_config_keyset(cfg, (uint8_t)kvn))
			ok = fail(p, group, "keysets", "no [keyset %u] group", (unsigned)kvn);
		else
			tc->keysets |= (uint16_t)(1u << kvn);
	}
	g_strfreev(items);
	g_free(v);
	if (ok && !tc->keysets)
		ok = fail(p, group, "keysets", "empty list");
	return ok;
}

static bool parse_ir(struct parser *p, const char *group, struct simota_card_tar *tc)
{
	char *v = get_value(p, group, "ir");
	guint64 secs;
	bool ok = true;

	tc->ir = SIMOTA_CARD_IR_NONE;
	tc->ir_seconds = 0;
	if (!v || !*v || !strcmp(v, "none")) {
		/* default */
	} else if (!strcmp(v, "indefinite")) {
		tc->ir = SIMOTA_CARD_IR_INDEFINITE;
	} else if (!strcmp(v, "event")) {
		tc->ir = SIMOTA_CARD_IR_EVENT;
	} else if (g_str_has_prefix(v, "fixed:") &&
		   g_ascii_string_to_unsigned(v + 6, 10, 1, G_MAXUINT32, &secs, NULL)) {
		tc->ir = SIMOTA_CARD_IR_FIXED;
		tc->ir_seconds = (uint32_t)secs;
	} else {
		ok = fail(p, group, "ir", "expected fixed:<seconds>, indefinite, event or none");
	}
	g_free(v);
	return ok;
}

static bool parse_tar(struct parser *p, const char *group, const uint8_t tar[3],
		      struct simota_card_tar *tc, const struct simota_card_config *cfg)
{
	static const char *const known[] = {
		"applet", "keysets", "min-security-level", "mode", "ir", "mg-address", "spi",
		"capacity", NULL
	};
	uint8_t spi[2] = { 0, 0 };
	char *v;
	bool ok = true;

	if (!check_known_keys(p, group, known))
		return false;
	memcpy(tc->tar, tar, 3);

	g_strlcpy(tc->applet, "deferred", sizeof(tc->applet));
	v = get_value(p, group, "applet");
	if (v && *v) {
		bool name_ok = strlen(v) < sizeof(tc->applet);

		for (const char *c = v; name_ok && *c; c++)
			name_ok = g_ascii_isalnum(*c) || *c == '-' || *c == '_';
		if (!name_ok)
			ok = fail(p, group, "applet", "expected a name of up to %zu letters, digits, '-' or '_'",
				  sizeof(tc->applet) - 1);
		else
			g_strlcpy(tc->applet, v, sizeof(tc->applet));
	}
	g_free(v);
	if (!ok)
		return false;

	if (!parse_kvn_list(p, group, tc, cfg))
		return false;
	/* TS 102 226 §8.2.1.3.2.4.1: MSL coded like the first byte of the SPI */
	if (!get_hex(p, group, "min-security-level", &tc->min_security_level, 1, 1, NULL, true))
		return false;

	tc->mode = SIMOTA_CARD_MODE_DEFERRED;
	v = get_value(p, group, "mode");
	if (v && *v) {
		if (!strcmp(v, "prior-art"))
			tc->mode = SIMOTA_CARD_MODE_PRIOR_ART;
		else if (strcmp(v, "deferred"))
			ok = fail(p, group, "mode", "expected deferred or prior-art");
	}
	g_free(v);
	if (!ok || !parse_ir(p, group, tc))
		return false;

	tc->mg_address[0] = '\0';
	if (!get_text(p, group, "mg-address", tc->mg_address, sizeof(tc->mg_address), 1, 20, true, true,
		      false))
		return false;
	if (!get_hex(p, group, "spi", spi, 2, 2, NULL, false))
		return false;
	tc->spi = (uint16_t)(spi[0] << 8 | spi[1]);
	tc->capacity = DEFAULT_CAPACITY;
	return get_uint(p, group, "capacity", &tc->capacity, 1, MAX_CAPACITY);
}

/* "keyset 1" -> 1; "tar b00001" -> b0 00 01.  Other groups belong to other programs. */
static bool parse_groups(struct parser *p, struct simota_card_config *cfg)
{
	char **groups = g_key_file_get_groups(p->kf, NULL);
	bool ok = true;

	/* keysets first: TARs refer to them */
	for (char **g = groups; ok && *g; g++) {
		guint64 kvn;

		if (!g_str_has_prefix(*g, "keyset"))
			continue;
		if ((*g)[6] != ' ' ||
		    !g_ascii_string_to_unsigned(*g + 7, 10, 0, 15, &kvn, NULL)) {
			ok = fail(p, *g, NULL, "expected [keyset N] with a key version number N from 0 to 15");
			break;
		}
		if (simota_card_config_keyset(cfg, (uint8_t)kvn)) {
			ok = fail(p, *g, NULL, "key version number %u defined twice", (unsigned)kvn);
			break;
		}
		if (cfg->n_keysets == SIMOTA_CARD_MAX_KEYSETS) {
			ok = fail(p, *g, NULL, "more than %d keysets", SIMOTA_CARD_MAX_KEYSETS);
			break;
		}
		ok = parse_keyset(p, *g, (unsigned)kvn, &cfg->keysets[cfg->n_keysets]);
		if (ok)
			cfg->n_keysets++;
	}
	for (char **g = groups; ok && *g; g++) {
		uint8_t tar[3];
		size_t n;

		if (!g_str_has_prefix(*g, "tar"))
			continue;
		if ((*g)[3] != ' ' || strlen(*g + 4) != 6 || !parse_hex(*g + 4, tar, 3, &n) || n != 3) {
			ok = fail(p, *g, NULL, "expected [tar XXXXXX] with 6 hex digits");
			break;
		}
		if (simota_card_config_tar(cfg, tar)) {
			ok = fail(p, *g, NULL, "TAR defined twice");
			break;
		}
		if (cfg->n_tars == SIMOTA_CARD_MAX_TARS) {
			ok = fail(p, *g, NULL, "more than %d TARs", SIMOTA_CARD_MAX_TARS);
			break;
		}
		ok = parse_tar(p, *g, tar, &cfg->tars[cfg->n_tars], cfg);
		if (ok)
			cfg->n_tars++;
	}
	g_strfreev(groups);
	return ok;
}

/*
 * GKeyFile refuses anything after a group header's ']'; blank out a
 * "# comment" there ("[keyset 1]   # the KVN", as the issue writes it).
 */
static void strip_group_comments(char *text)
{
	for (char *line = text; line && *line; ) {
		char *end = strchr(line, '\n');
		char *c = line;

		while (*c == ' ' || *c == '\t')
			c++;
		if (*c == '[') {
			char *close = memchr(c, ']', end ? (size_t)(end - c) : strlen(c));

			if (close) {
				char *q = close + 1;

				while (q != end && (*q == ' ' || *q == '\t'))
					q++;
				if (q != end && *q == '#')
					for (; q != end && *q && *q != '\r'; q++)
						*q = ' ';
			}
		}
		line = end ? end + 1 : NULL;
	}
}

/* doc/card-config.md.  name (the file's path) prefixes every error message. */
struct simota_card_config *simota_card_config_parse(const char *name, const char *text, size_t len,
						    GError **error)
{
	struct simota_card_config *cfg = g_new0(struct simota_card_config, 1);
	GError *err = NULL;
	struct parser p = { .path = name, .error = error };
	/* a private copy: group-header comments are blanked in place */
	char *copy = g_strndup(text, len);

	p.kf = g_key_file_new();
	strip_group_comments(copy);
	if (!g_key_file_load_from_data(p.kf, copy, strlen(copy), G_KEY_FILE_NONE, &err)) {
		g_propagate_prefixed_error(error, err, "%s: ", name);
		goto fail;
	}
	cfg->path = g_strdup(name);
	if (!parse_card(&p, cfg) || !parse_groups(&p, cfg))
		goto fail;
	g_key_file_free(p.kf);
	explicit_bzero(copy, len);
	g_free(copy);
	return cfg;

fail:
	g_key_file_free(p.kf);
	explicit_bzero(copy, len);
	g_free(copy);
	simota_card_config_free(cfg);
	return NULL;
}

void simota_card_config_free(struct simota_card_config *cfg)
{
	if (!cfg)
		return;
	g_free(cfg->path);
	/* do not leave key material in freed memory */
	explicit_bzero(cfg, sizeof(*cfg));
	g_free(cfg);
}

const struct simota_card_keyset *simota_card_config_keyset(const struct simota_card_config *cfg, uint8_t kvn)
{
	for (unsigned i = 0; i < cfg->n_keysets; i++)
		if (cfg->keysets[i].kvn == kvn)
			return &cfg->keysets[i];
	return NULL;
}

const struct simota_card_tar *simota_card_config_tar(const struct simota_card_config *cfg, const uint8_t tar[3])
{
	for (unsigned i = 0; i < cfg->n_tars; i++)
		if (!memcmp(cfg->tars[i].tar, tar, 3))
			return &cfg->tars[i];
	return NULL;
}
