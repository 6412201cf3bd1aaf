/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SMPP link's configuration: HOST:PORT and the [smpp] key file (mode 0600). */
#include "links/smpp-config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ots-error.h"
#include "util.h"

#define GROUP "smpp"

struct reader {
	GKeyFile *kf;
	const char *path;
	GError **error;
};

static bool invalid(struct reader *r, const char *key, const char *why)
{
	g_set_error(r->error, OTS_ERROR, OTS_ERROR_INVALID, "smpp-config: %s: [" GROUP "] %s: %s",
		    r->path, key, why);
	return false;
}

/* A string key into out (cap includes the NUL); absent: def.  Never quotes the value. */
static bool get_text(struct reader *r, const char *key, char *out, size_t cap, const char *def,
		     bool required)
{
	char *v = g_key_file_get_string(r->kf, GROUP, key, NULL);
	size_t n;

	if (!v) {
		if (required)
			return invalid(r, key, "missing");
		g_strlcpy(out, def, cap);
		return true;
	}
	g_strstrip(v);
	n = strlen(v);
	if (n >= cap) {
		explicit_bzero(v, n);
		g_free(v);
		g_set_error(r->error, OTS_ERROR, OTS_ERROR_INVALID,
			    "smpp-config: %s: [" GROUP "] %s: longer than %zu characters (SMPP 3.4 §4.1)",
			    r->path, key, cap - 1);
		return false;
	}
	memcpy(out, v, n + 1);
	explicit_bzero(v, n);
	g_free(v);
	return true;
}

static bool get_uint(struct reader *r, const char *key, unsigned *out, unsigned def, unsigned min,
		     unsigned max)
{
	char *v = g_key_file_get_string(r->kf, GROUP, key, NULL), *end;
	unsigned long n;

	*out = def;
	if (!v)
		return true;
	g_strstrip(v);
	errno = 0;
	n = strtoul(v, &end, 10);
	if (!*v || *end || errno || n < min || n > max) {
		g_free(v);
		g_set_error(r->error, OTS_ERROR, OTS_ERROR_INVALID,
			    "smpp-config: %s: [" GROUP "] %s: expected a number from %u to %u",
			    r->path, key, min, max);
		return false;
	}
	g_free(v);
	*out = (unsigned)n;
	return true;
}

static bool get_bool(struct reader *r, const char *key, bool *out, bool def)
{
	GError *e = NULL;
	gboolean v;

	*out = def;
	if (!g_key_file_has_key(r->kf, GROUP, key, NULL))
		return true;
	v = g_key_file_get_boolean(r->kf, GROUP, key, &e);
	if (e) {
		g_error_free(e);
		return invalid(r, key, "expected true or false");
	}
	*out = v;
	return true;
}

/* One of the names, as its index. */
static bool get_choice(struct reader *r, const char *key, const char *const *names, unsigned *out,
		       const char *expected)
{
	char *v = g_key_file_get_string(r->kf, GROUP, key, NULL);

	*out = 0;
	if (!v)
		return true;
	g_strstrip(v);
	for (unsigned i = 0; names[i]; i++)
		if (g_ascii_strcasecmp(v, names[i]) == 0) {
			*out = i;
			g_free(v);
			return true;
		}
	g_free(v);
	return invalid(r, key, expected);
}

/*
 * source=: "+digits" (international, ISDN), "digits" (unknown TON, ISDN) or
 * up to 11 characters of text (alphanumeric, TON 5); source-ton= and
 * source-npi= override the TON and NPI.
 */
static bool get_source(struct reader *r, struct ots_smpp_config *cfg)
{
	char text[SIMOTA_SMS_ADDR_TEXT_MAX];
	unsigned ton, npi;

	if (!g_key_file_has_key(r->kf, GROUP, "source", NULL))
		return !g_key_file_has_key(r->kf, GROUP, "source-ton", NULL) &&
		       !g_key_file_has_key(r->kf, GROUP, "source-npi", NULL) ? true :
		       invalid(r, "source", "missing (source-ton and source-npi need it)");
	if (!get_text(r, "source", text, sizeof(text), "", true))
		return false;
	cfg->has_source = true;
	if (!ots_address_parse(text, &cfg->source)) {
		if (!*text || strlen(text) > SIMOTA_SMS_ADDR_MAX_SEPTETS)
			return invalid(r, "source", "expected +digits, digits or 1 to 11 characters");
		memset(&cfg->source, 0, sizeof(cfg->source));
		cfg->source.ton = SIMOTA_SMS_TON_ALPHANUMERIC;
		cfg->source.npi = SIMOTA_SMS_NPI_UNKNOWN;
		g_strlcpy(cfg->source.digits, text, sizeof(cfg->source.digits));
	}
	if (!get_uint(r, "source-ton", &ton, cfg->source.ton, 0, 6) ||
	    !get_uint(r, "source-npi", &npi, cfg->source.npi, 0, 18))
		return false;
	cfg->source.ton = (uint8_t)ton;
	cfg->source.npi = (uint8_t)npi;
	return true;
}

static const char *const known_keys[] = {
	"system-id", "password", "system-type", "service-type", "bind", "window", "data-coding",
	"source", "source-ton", "source-npi", "registered-delivery", "rp-ack-forwarded",
	"enquire-link-ms", "response-timeout-ms", "reconnect-min-ms", "reconnect-max-ms",
	"throttle-ms", "queue-max", NULL
};

static bool check_keys(struct reader *r)
{
	char **keys = g_key_file_get_keys(r->kf, GROUP, NULL, NULL);
	bool ok = true;

	for (char **k = keys; ok && k && *k; k++)
		if (!g_strv_contains(known_keys, *k))
			ok = invalid(r, *k, "unknown key (doc/smpp.md lists them)");
	g_strfreev(keys);
	return ok;
}

static bool read_keys(struct reader *r, struct ots_smpp_config *cfg)
{
	static const char *const binds[] = { "transceiver", "transmitter+receiver", NULL };
	static const char *const codings[] = { "f6", "02", "04", NULL };
	static const uint8_t coding_values[] = { 0xF6, 0x02, 0x04 };
	unsigned bind, coding;

	if (!g_key_file_has_group(r->kf, GROUP)) {
		g_set_error(r->error, OTS_ERROR, OTS_ERROR_INVALID,
			    "smpp-config: %s: no [" GROUP "] group", r->path);
		return false;
	}
	if (!check_keys(r) ||
	    !get_text(r, "system-id", cfg->system_id, sizeof(cfg->system_id), "", true) ||
	    !get_text(r, "password", cfg->password, sizeof(cfg->password), "", true) ||
	    !get_text(r, "system-type", cfg->system_type, sizeof(cfg->system_type), "", false) ||
	    !get_text(r, "service-type", cfg->service_type, sizeof(cfg->service_type), "", false) ||
	    !get_choice(r, "bind", binds, &bind, "expected transceiver or transmitter+receiver") ||
	    !get_uint(r, "window", &cfg->window, 16, 1, 1024) ||
	    !get_choice(r, "data-coding", codings, &coding, "expected f6, 02 or 04") ||
	    !get_source(r, cfg) ||
	    !get_bool(r, "registered-delivery", &cfg->registered_delivery, false) ||
	    !get_bool(r, "rp-ack-forwarded", &cfg->rp_ack_forwarded, false) ||
	    !get_uint(r, "enquire-link-ms", &cfg->enquire_link_ms, 30000, 100, 3600000) ||
	    !get_uint(r, "response-timeout-ms", &cfg->response_timeout_ms, 10000, 100, 600000) ||
	    !get_uint(r, "reconnect-min-ms", &cfg->reconnect_min_ms, 1000, 10, 600000) ||
	    !get_uint(r, "reconnect-max-ms", &cfg->reconnect_max_ms, 60000, 10, 3600000) ||
	    !get_uint(r, "throttle-ms", &cfg->throttle_ms, 1000, 1, 600000) ||
	    !get_uint(r, "queue-max", &cfg->queue_max, 100000, 1, 10000000))
		return false;
	if (cfg->reconnect_max_ms < cfg->reconnect_min_ms)
		return invalid(r, "reconnect-max-ms", "below reconnect-min-ms");
	cfg->bind = bind;
	cfg->data_coding = coding_values[coding];
	return true;
}

/* The file holds the password: a regular file nobody but its owner may read or write. */
static bool check_mode(const char *path, GError **error)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "smpp-config: %s: %s", path,
			    g_strerror(errno));
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INSECURE, "smpp-config: %s: not a regular file",
			    path);
		return false;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INSECURE,
			    "smpp-config: %s: mode %03o: the file holds the SMPP password and must "
			    "not be accessible by group or others (chmod 600)",
			    path, (unsigned)(st.st_mode & 0777));
		return false;
	}
	return true;
}

static bool parse_host_port(const char *s, struct ots_smpp_config *cfg, GError **error)
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	char *end;
	unsigned long port;

	if (!colon || colon == s)
		goto bad;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 1 || port > 65535)
		goto bad;
	cfg->host = g_strndup(s, (gsize)(colon - s));
	if (cfg->host[0] == '[' && cfg->host[strlen(cfg->host) - 1] == ']') {
		memmove(cfg->host, cfg->host + 1, strlen(cfg->host));
		cfg->host[strlen(cfg->host) - 1] = '\0';
	}
	cfg->port = (uint16_t)port;
	return true;
bad:
	g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "smpp: expected HOST:PORT, got \"%s\"",
		    s ? s : "");
	return false;
}

bool ots_smpp_config_load(const char *host_port, const char *path, struct ots_smpp_config *cfg,
			  GError **error)
{
	struct reader r = { .path = path, .error = error };
	GError *e = NULL;
	char *text = NULL;
	gsize len = 0;
	bool ok = false;

	memset(cfg, 0, sizeof(*cfg));
	if (!path) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
			    "smpp-config: --smpp needs --smpp-config FILE (the password is never "
			    "given on the command line)");
		return false;
	}
	if (!parse_host_port(host_port, cfg, error) || !check_mode(path, error))
		goto out;
	if (!g_file_get_contents(path, &text, &len, &e)) {
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID, "smpp-config: %s", e->message);
		g_error_free(e);
		goto out;
	}
	r.kf = g_key_file_new();
	if (!g_key_file_load_from_data(r.kf, text, len, G_KEY_FILE_NONE, &e)) {
		/* not GKeyFile's message: it may quote a line, the password's */
		g_set_error(error, OTS_ERROR, OTS_ERROR_INVALID,
			    "smpp-config: %s: not a key file of [group] and key=value lines", path);
		g_error_free(e);
	} else {
		ok = read_keys(&r, cfg);
	}
	g_key_file_free(r.kf);
	explicit_bzero(text, len);
	g_free(text);
out:
	if (!ok)
		ots_smpp_config_clear(cfg);
	return ok;
}

void ots_smpp_config_clear(struct ots_smpp_config *cfg)
{
	g_free(cfg->host);
	explicit_bzero(cfg, sizeof(*cfg));
}
