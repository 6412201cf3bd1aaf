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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card_config_internal.h"
#include "simota/card_config.h"
#include "simota/hex.h"
#include "simota/ota.h"
#include "simota/ts24008.h"

#define DEFAULT_PUK "12345678"
#define DEFAULT_PIN2 "5678"
#define DEFAULT_PUK2 "87654321"
#define DEFAULT_CAPACITY 8
#define MAX_CAPACITY 64

/*
 * Default EF_UST (TS 31.102 §4.2.8): services 10 (SMS), 12 (SMSP), 19 (SPN),
 * 21 (MSISDN), 28 (data download via SMS-PP) and 33 (always set).
 */
static const uint8_t default_ust[] = { 0x00, 0x0a, 0x14, 0x08, 0x01 };

bool cc_fail(struct cc_parser *p, const char *group, const char *key, const char *fmt, ...)
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

char *cc_get_value(struct cc_parser *p, const char *group, const char *key)
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

/* simota_hex_decode(); sets *len, also when the bytes exceed cap.  False on a non-hex digit or an odd one. */
static bool parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	simota_err err = simota_hex_decode(s, out, cap, len);

	return err == SIMOTA_OK || err == SIMOTA_ERR_NO_SPACE;
}

/* The key's value; NULL when absent or empty, then *ok is false if it is required. */
static char *get_value(struct cc_parser *p, const char *group, const char *key, bool required, bool *ok)
{
	char *v = cc_get_value(p, group, key);

	*ok = true;
	if (v && *v)
		return v;
	g_free(v);
	if (required)
		*ok = cc_fail(p, group, key, "missing");
	return NULL;
}

/* A string key limited to maxlen characters; digits_only for numbers. */
static bool get_text(struct cc_parser *p, const char *group, const char *key, char *out, size_t cap,
		     size_t minlen, size_t maxlen, bool digits_only, bool plus_allowed, bool required)
{
	bool ok;
	char *v = get_value(p, group, key, required, &ok);
	const char *digits;

	if (!v)
		return ok;
	digits = (plus_allowed && v[0] == '+') ? v + 1 : v;
	if (digits_only && (!*digits || !simota_decimal_digits(digits, strlen(digits))))
		ok = cc_fail(p, group, key, "expected %sdigits", plus_allowed ? "an optional '+' and " : "");
	else if (strlen(digits) < minlen || strlen(digits) > maxlen)
		ok = cc_fail(p, group, key, "expected %zu to %zu %s, got %zu", minlen, maxlen,
			  digits_only ? "digits" : "characters", strlen(digits));
	else if (!g_utf8_validate(v, -1, NULL))
		ok = cc_fail(p, group, key, "not valid UTF-8");
	else
		g_strlcpy(out, v, cap);
	g_free(v);
	return ok;
}

/* Exactly `want` hex bytes (want = 0: 1..cap bytes); absent leaves *out. */
static bool get_hex(struct cc_parser *p, const char *group, const char *key, uint8_t *out, size_t cap,
		    size_t want, size_t *len, bool required)
{
	bool ok;
	char *v = get_value(p, group, key, required, &ok);
	size_t n;

	if (!v)
		return ok;
	if (!parse_hex(v, out, cap, &n))
		ok = cc_fail(p, group, key, "not an even number of hex digits");
	else if (want && n != want)
		ok = cc_fail(p, group, key, "expected %zu hex bytes, got %zu", want, n);
	else if (!want && (n == 0 || n > cap))
		ok = cc_fail(p, group, key, "expected 1 to %zu hex bytes, got %zu", cap, n);
	else if (len)
		*len = n;
	g_free(v);
	return ok;
}

static bool get_uint(struct cc_parser *p, const char *group, const char *key, unsigned *out,
		     unsigned min, unsigned max)
{
	char *v = cc_get_value(p, group, key);
	guint64 x;
	bool ok = true;

	if (!v || !*v) {
		g_free(v);
		return true;
	}
	if (!g_ascii_string_to_unsigned(v, 10, min, max, &x, NULL))
		ok = cc_fail(p, group, key, "expected a number from %u to %u", min, max);
	else
		*out = (unsigned)x;
	g_free(v);
	return ok;
}

/* Rejects keys this program does not know in a group it owns (typos). */
bool cc_check_known_keys(struct cc_parser *p, const char *group, const char *const *known)
{
	char **keys = g_key_file_get_keys(p->kf, group, NULL, NULL);
	bool ok = true;

	for (char **k = keys; ok && k && *k; k++)
		if (!g_strv_contains(known, *k))
			ok = cc_fail(p, group, *k, "unknown key");
	g_strfreev(keys);
	return ok;
}

/*
 * adm1=: 4 to 8 digits (sent as ASCII, FF padded, like a PIN: TS 102 221
 * §9.5.1) or 16 hex digits (the 8 bytes VERIFY sends, as some issuers print
 * ADM keys).  Secret: an error never shows it.
 */
static bool parse_adm1(struct cc_parser *p, const char *g, struct simota_card_config *cfg)
{
	char *v = cc_get_value(p, g, "adm1");
	size_t n = v ? strlen(v) : 0, len;
	bool ok = true;

	if (!v || !*v) {
		g_free(v);
		return true;
	}
	memset(cfg->adm1, 0xFF, sizeof(cfg->adm1));
	if (n >= 4 && n <= 8 && simota_decimal_digits(v, n))
		memcpy(cfg->adm1, v, n);
	else if (n != 16 || !parse_hex(v, cfg->adm1, sizeof(cfg->adm1), &len) || len != 8)
		ok = cc_fail(p, g, "adm1", "expected 4 to 8 digits or 16 hex digits");
	cfg->has_adm1 = ok;
	explicit_bzero(v, n);
	g_free(v);
	return ok;
}

/*
 * k=, opc= or op=, amf=, sqn= (TS 35.206, TS 33.102 Annex C): all or none
 * of k and opc/op.  Secrets: errors name the key, never its value.
 */
static bool parse_milenage(struct cc_parser *p, const char *g, struct simota_card_config *cfg)
{
	bool has_k = g_key_file_has_key(p->kf, g, "k", NULL);
	bool has_opc = g_key_file_has_key(p->kf, g, "opc", NULL);
	bool has_op = g_key_file_has_key(p->kf, g, "op", NULL);
	uint8_t sqn[6] = { 0 };

	if (has_opc && has_op)
		return cc_fail(p, g, "op", "give opc or op, not both");
	if (!has_k && !has_opc && !has_op) {
		if (g_key_file_has_key(p->kf, g, "amf", NULL) || g_key_file_has_key(p->kf, g, "sqn", NULL))
			return cc_fail(p, g, "k", "missing (amf and sqn belong to Milenage: k and opc or op)");
		return true;
	}
	if (!has_k)
		return cc_fail(p, g, "k", "missing (opc or op is given)");
	if (!has_opc && !has_op)
		return cc_fail(p, g, "opc", "missing (k is given; or op)");
	if (!get_hex(p, g, "k", cfg->k, sizeof(cfg->k), sizeof(cfg->k), NULL, true) ||
	    !get_hex(p, g, has_op ? "op" : "opc", cfg->opc, sizeof(cfg->opc), sizeof(cfg->opc), NULL, true) ||
	    !get_hex(p, g, "amf", cfg->amf, sizeof(cfg->amf), sizeof(cfg->amf), NULL, false) ||
	    !get_hex(p, g, "sqn", sqn, sizeof(sqn), sizeof(sqn), NULL, false))
		return false;
	cfg->op_given = has_op;
	cfg->sqn = 0;
	for (size_t i = 0; i < sizeof(sqn); i++)
		cfg->sqn = cfg->sqn << 8 | sqn[i];
	cfg->has_milenage = true;
	return true;
}

bool simota_card_link_valid(const char *name)
{
	return name && (strcmp(name, "netsim") == 0 || strcmp(name, "smpp") == 0);
}

/* The text keys of [card]: where each goes, its length, what it may hold, its default. */
struct text_key {
	const char *key;
	size_t off, cap, minlen, maxlen;
	bool digits_only, plus_allowed, required;
	const char *dflt;
};

#define TEXT_KEY(name, min, max, digits, plus, req, dflt)                                            \
	{ #name, offsetof(struct simota_card_config, name), sizeof(((struct simota_card_config *)0)->name), \
	  min, max, digits, plus, req, dflt }

static const struct text_key card_text_keys[] = {
	/* EF_ICCID holds 10 BCD bytes (TS 102 221 §13.2) */
	TEXT_KEY(iccid, 19, 20, true, false, true, NULL),
	/* EF_IMSI: up to 15 digits (TS 31.102 §4.2.2, TS 23.003 §2.2) */
	TEXT_KEY(imsi, 6, 15, true, false, true, NULL),
	TEXT_KEY(msisdn, 1, 20, true, true, false, NULL),
	/* PIN and PUK: TS 102 221 §9.5.2 (PIN 4-8 digits, PUK 8 digits) */
	TEXT_KEY(pin, 4, 8, true, false, false, NULL),
	TEXT_KEY(puk, 8, 8, true, false, false, DEFAULT_PUK),
	/* EF_SPN: 16 bytes of name (TS 31.102 §4.2.12) */
	TEXT_KEY(spn, 1, 16, false, false, false, NULL),
	TEXT_KEY(smsc, 1, 20, true, true, false, NULL),
	/* PIN2 4-8 digits, PUK2 8 digits (TS 102 221 §9.5.2), always enabled */
	TEXT_KEY(pin2, 4, 8, true, false, false, DEFAULT_PIN2),
	TEXT_KEY(puk2, 8, 8, true, false, false, DEFAULT_PUK2),
};

static bool parse_card(struct cc_parser *p, struct simota_card_config *cfg)
{
	static const char *const known[] = {
		"iccid", "imsi", "msisdn", "pin", "puk", "spn", "smsc", "ust", "pin2", "puk2", "adm1",
		"k", "opc", "op", "amf", "sqn", "link", NULL
	};
	const char *g = "card";

	if (!g_key_file_has_group(p->kf, g))
		return cc_fail(p, g, NULL, "group missing");
	if (!cc_check_known_keys(p, g, known))
		return false;
	for (size_t i = 0; i < G_N_ELEMENTS(card_text_keys); i++) {
		const struct text_key *t = &card_text_keys[i];
		char *out = (char *)cfg + t->off;

		if (t->dflt)
			g_strlcpy(out, t->dflt, t->cap);
		if (!get_text(p, g, t->key, out, t->cap, t->minlen, t->maxlen, t->digits_only,
			      t->plus_allowed, t->required))
			return false;
	}
	if (!parse_adm1(p, g, cfg) || !parse_milenage(p, g, cfg))
		return false;
	/* the OTA server's link to this card (doc/card-config.md); uicc-emu ignores it */
	if (!get_text(p, g, "link", cfg->link, sizeof(cfg->link), 1, 7, false, false, false))
		return false;
	if (cfg->link[0] && !simota_card_link_valid(cfg->link))
		return cc_fail(p, g, "link", "expected netsim or smpp");
	memcpy(cfg->ust, default_ust, sizeof(default_ust));
	cfg->ust_len = sizeof(default_ust);
	return get_hex(p, g, "ust", cfg->ust, sizeof(cfg->ust), 0, &cfg->ust_len, false);
}

static bool parse_keyset(struct cc_parser *p, const char *group, unsigned kvn, struct simota_card_keyset *ks)
{
	static const char *const known[] = {
		"kic", "kid", "kic-key", "kid-key", "counter", NULL
	};
	uint8_t cntr[5] = { 0 };
	const char *key;
	char *why;

	if (!cc_check_known_keys(p, group, known))
		return false;
	ks->kvn = (uint8_t)kvn;
	if (!get_hex(p, group, "kic", &ks->kic, 1, 1, NULL, true) ||
	    !get_hex(p, group, "kid", &ks->kid, 1, 1, NULL, true))
		return false;
	if (!get_hex(p, group, "kic-key", ks->kic_key, SIMOTA_CARD_MAX_KEY_LEN, 0, &ks->kic_key_len, false) ||
	    !get_hex(p, group, "kid-key", ks->kid_key, SIMOTA_CARD_MAX_KEY_LEN, 0, &ks->kid_key_len, false))
		return false;
	/* CNTR: 5 bytes (TS 102 225 §5.1.1) */
	if (!get_hex(p, group, "counter", cntr, sizeof(cntr), sizeof(cntr), NULL, false))
		return false;
	ks->counter = 0;
	for (size_t i = 0; i < sizeof(cntr); i++)
		ks->counter = ks->counter << 8 | cntr[i];
	if (!simota_card_keyset_check(ks, &key, &why)) {
		cc_fail(p, group, key, "%s", why);
		g_free(why);
		return false;
	}
	return true;
}

/* "1,2" -> bits 1 and 2; absent: every keyset of the file (simota_card_tar_check checks them). */
static bool parse_kvn_list(struct cc_parser *p, const char *group, struct simota_card_tar *tc,
			   const struct simota_card_config *cfg)
{
	char *v = cc_get_value(p, group, "keysets");
	char **items;
	bool ok = true;

	tc->keysets = 0;
	if (!v || !*v) {
		for (unsigned i = 0; i < cfg->n_keysets; i++)
			tc->keysets |= (uint16_t)(1u << cfg->keysets[i].kvn);
		g_free(v);
		return true;
	}
	items = g_strsplit_set(v, ",; \t", -1);
	for (char **it = items; ok && *it; it++) {
		guint64 kvn;

		if (!**it)
			continue;
		if (!g_ascii_string_to_unsigned(*it, 10, 0, 15, &kvn, NULL))
			ok = cc_fail(p, group, "keysets", "expected key version numbers 0-15, got \"%s\"", *it);
		else
			tc->keysets |= (uint16_t)(1u << kvn);
	}
	g_strfreev(items);
	g_free(v);
	return ok;
}

static bool parse_ir(struct cc_parser *p, const char *group, struct simota_card_tar *tc)
{
	char *v = cc_get_value(p, group, "ir");
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
		ok = cc_fail(p, group, "ir", "expected fixed:<seconds>, indefinite, event or none");
	}
	g_free(v);
	return ok;
}

/* access=: "full", "none" or key references "pin1", "pin2", "adm1" separated by , ; or blanks. */
static bool parse_access(struct cc_parser *p, const char *group, const char *v, uint8_t *out)
{
	char **items = g_strsplit_set(v, ",; \t", -1);
	bool ok = true;

	*out = 0;
	for (char **it = items; ok && *it; it++) {
		if (!**it || !strcmp(*it, "none"))
			continue;
		if (!strcmp(*it, "full"))
			*out |= SIMOTA_CARD_ACCESS_FULL;
		else if (!strcmp(*it, "pin1"))
			*out |= SIMOTA_CARD_ACCESS_PIN1;
		else if (!strcmp(*it, "pin2"))
			*out |= SIMOTA_CARD_ACCESS_PIN2;
		else if (!strcmp(*it, "adm1"))
			*out |= SIMOTA_CARD_ACCESS_ADM1;
		else
			ok = cc_fail(p, group, "access", "expected full, none, or pin1, pin2, adm1; got \"%s\"", *it);
	}
	g_strfreev(items);
	return ok;
}

/*
 * applet=rfm: rfm-df= (default: the file system TS 101 220 Annex D gives the
 * TAR) and access= (default adm1).  Other applets take neither.
 */
static bool parse_rfm(struct cc_parser *p, const char *group, struct simota_card_tar *tc)
{
	char *df = cc_get_value(p, group, "rfm-df"), *access = cc_get_value(p, group, "access");
	bool rfm = !strcmp(tc->applet, "rfm"), ok = true;

	tc->rfm_df = SIMOTA_CARD_RFM_DF_NONE;
	tc->rfm_access = 0;
	if (!rfm) {
		if (df && *df)
			ok = cc_fail(p, group, "rfm-df", "only for applet=rfm");
		else if (access && *access)
			ok = cc_fail(p, group, "access", "only for applet=rfm");
	} else {
		tc->rfm_df = simota_card_rfm_df_of_tar(tc->tar);
		tc->rfm_access = SIMOTA_CARD_ACCESS_ADM1;
		if (df && *df && !simota_card_rfm_df_from_name(df, &tc->rfm_df))
			ok = cc_fail(p, group, "rfm-df", "expected mf, df-gsm or adf-usim");
		else if (access && *access)
			ok = parse_access(p, group, access, &tc->rfm_access);
	}
	g_free(df);
	g_free(access);
	return ok;
}

static bool parse_tar(struct cc_parser *p, const char *group, const uint8_t tar[3],
		      struct simota_card_tar *tc, struct simota_card_config *cfg)
{
	static const char *const known[] = {
		"applet", "keysets", "min-security-level", "mode", "ir", "mg-address", "spi",
		"capacity", "rfm-df", "access", NULL
	};
	uint8_t spi[2] = { 0, 0 };
	const char *key;
	char *v, *why, *warning;
	bool ok = true;

	if (!cc_check_known_keys(p, group, known))
		return false;
	memcpy(tc->tar, tar, 3);

	g_strlcpy(tc->applet, "deferred", sizeof(tc->applet));
	v = cc_get_value(p, group, "applet");
	if (v && *v) {
		bool name_ok = strlen(v) < sizeof(tc->applet);

		for (const char *c = v; name_ok && *c; c++)
			name_ok = g_ascii_isalnum(*c) || *c == '-' || *c == '_';
		if (!name_ok)
			ok = cc_fail(p, group, "applet", "expected a name of up to %zu letters, digits, '-' or '_'",
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
	v = cc_get_value(p, group, "mode");
	if (v && *v && !simota_card_mode_from_name(v, &tc->mode))
		ok = cc_fail(p, group, "mode", "expected deferred or prior-art");
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
	if (!get_uint(p, group, "capacity", &tc->capacity, 1, MAX_CAPACITY))
		return false;
	if (!parse_rfm(p, group, tc))
		return false;
	if (!simota_card_tar_check(cfg, tc, &key, &why, &warning)) {
		cc_fail(p, group, key, "%s", why);
		g_free(why);
		return false;
	}
	if (warning)
		g_ptr_array_add(cfg->warnings, g_strdup_printf("%s: [%s] applet: %s", p->path, group, warning));
	g_free(warning);
	return true;
}

/* "keyset 1" -> 1; "tar defe01" -> de fe 01.  Other groups belong to other programs. */
static bool parse_groups(struct cc_parser *p, struct simota_card_config *cfg)
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
			ok = cc_fail(p, *g, NULL, "expected [keyset N] with a key version number N from 0 to 15");
			break;
		}
		if (simota_card_config_keyset(cfg, (uint8_t)kvn)) {
			ok = cc_fail(p, *g, NULL, "key version number %u defined twice", (unsigned)kvn);
			break;
		}
		if (cfg->n_keysets == SIMOTA_CARD_MAX_KEYSETS) {
			ok = cc_fail(p, *g, NULL, "more than %d keysets", SIMOTA_CARD_MAX_KEYSETS);
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
			ok = cc_fail(p, *g, NULL, "expected [tar XXXXXX] with 6 hex digits");
			break;
		}
		if (simota_card_config_tar(cfg, tar)) {
			ok = cc_fail(p, *g, NULL, "TAR defined twice");
			break;
		}
		if (cfg->n_tars == SIMOTA_CARD_MAX_TARS) {
			ok = cc_fail(p, *g, NULL, "more than %d TARs", SIMOTA_CARD_MAX_TARS);
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
	struct simota_card_config *cfg = simota_card_config_new();
	GError *err = NULL;
	struct cc_parser p = { .path = name, .error = error };
	/* a private copy: group-header comments are blanked in place */
	char *copy = g_strndup(text, len);

	p.kf = g_key_file_new();
	strip_group_comments(copy);
	if (!g_key_file_load_from_data(p.kf, copy, strlen(copy), G_KEY_FILE_NONE, &err)) {
		g_propagate_prefixed_error(error, err, "%s: ", name);
		goto fail;
	}
	cfg->path = g_strdup(name);
	if (!parse_card(&p, cfg) || !parse_groups(&p, cfg) || !cc_parse_menu(&p, cfg))
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

struct simota_card_config *simota_card_config_new(void)
{
	struct simota_card_config *cfg = g_new0(struct simota_card_config, 1);

	cfg->warnings = g_ptr_array_new_with_free_func(g_free);
	return cfg;
}

struct simota_card_config *simota_card_config_dup(const struct simota_card_config *cfg)
{
	struct simota_card_config *c = g_memdup2(cfg, sizeof(*cfg));

	c->path = g_strdup(cfg->path);
	c->menu = cc_menu_dup(cfg->menu);
	c->warnings = g_ptr_array_new_with_free_func(g_free);
	for (unsigned i = 0; cfg->warnings && i < cfg->warnings->len; i++)
		g_ptr_array_add(c->warnings, g_strdup(cfg->warnings->pdata[i]));
	return c;
}

void simota_card_config_free(struct simota_card_config *cfg)
{
	if (!cfg)
		return;
	g_free(cfg->path);
	cc_menu_free(cfg->menu);
	if (cfg->warnings)
		g_ptr_array_free(cfg->warnings, TRUE);
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

const char *simota_card_mode_name(enum simota_card_applet_mode mode)
{
	return mode == SIMOTA_CARD_MODE_PRIOR_ART ? "prior-art" : "deferred";
}

bool simota_card_mode_from_name(const char *name, enum simota_card_applet_mode *out)
{
	if (!strcmp(name, "deferred"))
		*out = SIMOTA_CARD_MODE_DEFERRED;
	else if (!strcmp(name, "prior-art"))
		*out = SIMOTA_CARD_MODE_PRIOR_ART;
	else
		return false;
	return true;
}

/* ---- Checks shared by the file parser and ota-test-server's JSON import ---- */

/*
 * The applets uicc-emu provides, by the name a [tar] gives them
 * (doc/card-config.md "Applets").  An applet uicc-emu gains is added here,
 * and only then can a config name it: a name nothing answers to would load
 * silently and its TAR answer PoR status 09.
 */
static const struct simota_card_applet known_applets[] = {
	/* the deferred-response applet (doc/protocol.md); mode=prior-art is its other mode;
	 * its menu item re-opens unanswered requests */
	{ "deferred", false, true },
	/* remote file management (TS 102 226, TS 31.116): on the TARs of TS 101 220 Annex D */
	{ "rfm", true, false },
};

const struct simota_card_applet *simota_card_applet_find(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(known_applets); i++)
		if (!strcmp(known_applets[i].name, name))
			return &known_applets[i];
	return NULL;
}

static char *applet_names(void)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(known_applets); i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "", known_applets[i].name);
	return g_string_free(s, FALSE);
}

/*
 * TS 101 220 Annex D (allocated TAR values; the 3GPP ones as TS 31.116
 * uses them): 00 00 00 the issuer security domain, and the block
 * B0 00 00 to BF FF FF where every ETSI and 3GPP allocation (RFM, RAM)
 * lies.  Real tools address these TARs (pySim: B0 00 10 SIM RFM, B0 00 11
 * USIM RFM on sysmoUSIM; sysmoISIM cards: B0 00 01).
 */
const char *simota_card_tar_reserved(const uint8_t tar[3])
{
	uint32_t v = (uint32_t)tar[0] << 16 | (uint32_t)tar[1] << 8 | tar[2];

	if (v == 0x000000)
		return "the issuer security domain (RAM)";
	if (v == 0xB00000)
		return "RFM of the UICC shared file system";
	if (v == 0xB00001)
		return "USIM RFM";
	if (v == 0xB00002)
		return "ISIM RFM";
	if (v >= 0xB00010 && v <= 0xB0001F)
		return "SIM RFM (the GSM file system)";
	if (tar[0] >= 0xB0 && tar[0] <= 0xBF)
		return "the block of ETSI and 3GPP allocations (RFM, RAM)";
	return NULL;
}

enum simota_card_rfm_df simota_card_rfm_df_of_tar(const uint8_t tar[3])
{
	uint32_t v = (uint32_t)tar[0] << 16 | (uint32_t)tar[1] << 8 | tar[2];

	if (v == 0xB00000)
		return SIMOTA_CARD_RFM_DF_MF;
	if (v == 0xB00001)
		return SIMOTA_CARD_RFM_DF_ADF_USIM;
	if (v >= 0xB00010 && v <= 0xB0001F)
		return SIMOTA_CARD_RFM_DF_GSM;
	return SIMOTA_CARD_RFM_DF_NONE;
}

static const char *const rfm_df_names[] = {
	[SIMOTA_CARD_RFM_DF_MF] = "mf",
	[SIMOTA_CARD_RFM_DF_GSM] = "df-gsm",
	[SIMOTA_CARD_RFM_DF_ADF_USIM] = "adf-usim",
};

const char *simota_card_rfm_df_name(enum simota_card_rfm_df df)
{
	return (unsigned)df < G_N_ELEMENTS(rfm_df_names) ? rfm_df_names[df] : NULL;
}

bool simota_card_rfm_df_from_name(const char *name, enum simota_card_rfm_df *out)
{
	for (size_t i = 1; i < G_N_ELEMENTS(rfm_df_names); i++) {
		if (!strcmp(rfm_df_names[i], name)) {
			*out = (enum simota_card_rfm_df)i;
			return true;
		}
	}
	return false;
}

static size_t des_key_len(enum simota_ota_alg alg)
{
	switch (alg) {
	case SIMOTA_OTA_ALG_3DES2_CBC:
	case SIMOTA_OTA_ALG_3DES2_CBC_MAC:
		return 16;
	case SIMOTA_OTA_ALG_3DES3_CBC:
	case SIMOTA_OTA_ALG_3DES3_CBC_MAC:
		return 24;
	default:
		return 8;
	}
}

/*
 * One key against the algorithm its KIc / KID byte names (TS 102 225
 * §5.1.2, §5.1.3).  A KID is read as for a CC (the SPI is not known here;
 * a CRC ignores its key).  Implicit (b2b1 00) and proprietary (11) codings
 * take any key the parser accepted.
 */
static bool check_key(uint8_t byte, bool is_kid, const uint8_t *key, size_t len, const char **name,
		      char **why)
{
	enum simota_ota_alg alg;
	simota_err err;

	if (is_kid)
		err = simota_ota_kid_algorithm(byte, SIMOTA_OTA_INTEGRITY_CC, SIMOTA_OTA_ALG_NONE, &alg);
	else
		err = simota_ota_kic_algorithm(byte, SIMOTA_OTA_ALG_NONE, &alg);
	if (err == SIMOTA_ERR_BAD_VALUE) {
		*name = is_kid ? "kid" : "kic";
		*why = g_strdup("reserved algorithm coding");
		return false;
	}
	*name = is_kid ? "kid-key" : "kic-key";
	if (err != SIMOTA_OK || len == 0)
		return true;
	switch (simota_ota_key_check(alg, key, len)) {
	case SIMOTA_OK:
		return true;
	case SIMOTA_ERR_WEAK_KEY:
		*why = g_strdup_printf("%s key degenerates to single DES (its 8-byte parts K1 = K2%s, "
				       "parity bits aside); pySim and other OTA tools refuse such a key",
				       simota_ota_alg_name(alg), len == 24 ? " or K2 = K3" : "");
		return false;
	default:
		if (alg == SIMOTA_OTA_ALG_AES_CBC || alg == SIMOTA_OTA_ALG_AES_CMAC)
			*why = g_strdup_printf("expected 16, 24 or 32 bytes for AES, got %zu", len);
		else
			*why = g_strdup_printf("expected %zu bytes for %s 0x%02x, got %zu", des_key_len(alg),
					       is_kid ? "KID" : "KIc", byte, len);
		return false;
	}
}

bool simota_card_keyset_check(const struct simota_card_keyset *ks, const char **key, char **why)
{
	/* TS 102 225 §5.1.2/§5.1.3: b8-b5 of KIc and KID are the key version number */
	if (ks->kic >> 4 != ks->kvn || ks->kid >> 4 != ks->kvn) {
		*key = ks->kic >> 4 != ks->kvn ? "kic" : "kid";
		*why = g_strdup_printf("key version number (high nibble) is not %u", ks->kvn);
		return false;
	}
	return check_key(ks->kic, false, ks->kic_key, ks->kic_key_len, key, why) &&
	       check_key(ks->kid, true, ks->kid_key, ks->kid_key_len, key, why);
}

bool simota_card_tar_check(const struct simota_card_config *cfg, const struct simota_card_tar *tc,
			   const char **key, char **why, char **warning)
{
	const struct simota_card_applet *applet = simota_card_applet_find(tc->applet);
	const char *reserved = simota_card_tar_reserved(tc->tar);

	*warning = NULL;
	if (!applet) {
		char *names = applet_names();

		*key = "applet";
		*why = g_strdup_printf("unknown applet \"%s\" (uicc-emu provides: %s)", tc->applet, names);
		g_free(names);
		return false;
	}
	*key = "keysets";
	if (!tc->keysets) {
		*why = g_strdup("no keyset: the card config defines none");
		return false;
	}
	for (unsigned k = 0; k < 16; k++) {
		if ((tc->keysets & (1u << k)) && !simota_card_config_keyset(cfg, (uint8_t)k)) {
			*why = g_strdup_printf("no keyset %u in this card config", k);
			return false;
		}
	}
	/* a TAR of Annex D has its file system (the JSON import leaves rfm_df unset: NONE) */
	if (!strcmp(applet->name, "rfm") && tc->rfm_df == SIMOTA_CARD_RFM_DF_NONE &&
	    simota_card_rfm_df_of_tar(tc->tar) == SIMOTA_CARD_RFM_DF_NONE) {
		*key = "rfm-df";
		*why = g_strdup_printf("TAR %02x%02x%02x is no RFM TAR of TS 101 220 Annex D: name the file "
				       "system (mf, df-gsm or adf-usim)", tc->tar[0], tc->tar[1], tc->tar[2]);
		return false;
	}
	if (!applet->standard && reserved)
		*warning = g_strdup_printf("%s is an applet of ours, but TS 101 220 Annex D gives TAR "
					   "%02x%02x%02x to %s, where real OTA tools address it; move it "
					   "to a TAR outside 000000 and b00000-bfffff (doc/card-config.md)",
					   tc->applet, tc->tar[0], tc->tar[1], tc->tar[2], reserved);
	return true;
}
