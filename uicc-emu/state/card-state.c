/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Persistent card state: a GKeyFile in memory, bytes as lowercase hex and
 * numbers in decimal.  uicc_card_state_commit() writes the whole file with
 * g_file_set_contents_full(DURABLE | CONSISTENT, 0600): a temp file in the
 * same directory, fsync, rename over the old file; then the directory is
 * fsynced so the rename itself survives a power cut.  A reader (or a kill -9
 * at any moment) therefore sees either the previous or the new file, never a
 * mix.  "<path>.lock" (flock) keeps two processes from using one state.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "state/card-state.h"
#include "simota/card_config.h"
#include "simota/hex.h"

struct uicc_card_state {
	char *path;
	GKeyFile *kf;
	int lock_fd;
	bool dirty;
};

/* Temp files of writers killed between create and rename: "<base>.XXXXXX" (g_mkstemp). */
static void remove_stale_temps(const char *path)
{
	char *dir = g_path_get_dirname(path);
	char *base = g_path_get_basename(path);
	size_t blen = strlen(base);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		bool temp = strlen(name) == blen + 7 && !strncmp(name, base, blen) && name[blen] == '.';

		for (size_t i = blen + 1; temp && i < blen + 7; i++)
			temp = g_ascii_isalnum(name[i]);
		if (temp) {
			char *full = g_build_filename(dir, name, NULL);

			if (unlink(full) == 0)
				g_debug("removed stale state temp file %s", full);
			g_free(full);
		}
	}
	if (d)
		g_dir_close(d);
	g_free(base);
	g_free(dir);
}

static int take_lock(const char *path, GError **error)
{
	char *lock_path = g_strconcat(path, ".lock", NULL);
	int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	int saved;

	if (fd < 0) {
		saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: %s", lock_path,
			    g_strerror(saved));
		g_free(lock_path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
			    "%s: state in use by another process (%s)", path, g_strerror(saved));
		close(fd);
		g_free(lock_path);
		return -1;
	}
	g_free(lock_path);
	return fd;
}

struct uicc_card_state *uicc_card_state_open(const char *path, GError **error)
{
	struct uicc_card_state *st;
	GError *err = NULL;
	int fd = take_lock(path, error);

	if (fd < 0)
		return NULL;
	st = g_new0(struct uicc_card_state, 1);
	st->path = g_strdup(path);
	st->kf = g_key_file_new();
	st->lock_fd = fd;
	remove_stale_temps(path);
	if (!g_key_file_load_from_file(st->kf, path, G_KEY_FILE_KEEP_COMMENTS, &err)) {
		if (!g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			/* never start afresh over a state we cannot read: that would lose it */
			g_propagate_prefixed_error(error, err, "%s: ", path);
			uicc_card_state_free(st);
			return NULL;
		}
		g_clear_error(&err);
	}
	return st;
}

void uicc_card_state_free(struct uicc_card_state *st)
{
	if (!st)
		return;
	if (st->dirty)
		g_debug("%s: dropping uncommitted state changes", st->path);
	g_key_file_free(st->kf);
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	g_free(st->path);
	g_free(st);
}

static void set_string(struct uicc_card_state *st, const char *group, const char *key, const char *v)
{
	char *old = g_key_file_get_value(st->kf, group, key, NULL);

	if (!old || strcmp(old, v)) {
		g_key_file_set_value(st->kf, group, key, v);
		st->dirty = true;
	}
	g_free(old);
}

/* False if absent, malformed, or longer than cap (then *len is 0). */
bool uicc_card_state_get_bytes(struct uicc_card_state *st, const char *group, const char *key,
			       uint8_t *out, size_t cap, size_t *len)
{
	char *v = g_key_file_get_value(st->kf, group, key, NULL);
	size_t n;
	bool ok;

	*len = 0;
	if (!v)
		return false;
	ok = simota_hex_decode(v, out, cap, &n) == SIMOTA_OK;
	if (ok)
		*len = n;
	g_free(v);
	return ok;
}

void uicc_card_state_set_bytes(struct uicc_card_state *st, const char *group, const char *key,
			       const uint8_t *p, size_t len)
{
	char *hex = simota_hex_dup(p, len);

	set_string(st, group, key, hex);
	g_free(hex);
}

bool uicc_card_state_get_u64(struct uicc_card_state *st, const char *group, const char *key, uint64_t *out)
{
	char *v = g_key_file_get_value(st->kf, group, key, NULL);
	guint64 x;
	bool ok;

	if (!v)
		return false;
	ok = g_ascii_string_to_unsigned(v, 10, 0, G_MAXUINT64, &x, NULL);
	if (ok)
		*out = x;
	g_free(v);
	return ok;
}

void uicc_card_state_set_u64(struct uicc_card_state *st, const char *group, const char *key, uint64_t v)
{
	char buf[24];

	g_snprintf(buf, sizeof(buf), "%" G_GUINT64_FORMAT, (guint64)v);
	set_string(st, group, key, buf);
}

void uicc_card_state_remove(struct uicc_card_state *st, const char *group, const char *key)
{
	if (g_key_file_remove_key(st->kf, group, key, NULL))
		st->dirty = true;
}

void uicc_card_state_remove_group(struct uicc_card_state *st, const char *group)
{
	if (g_key_file_remove_group(st->kf, group, NULL))
		st->dirty = true;
}

char **uicc_card_state_groups(struct uicc_card_state *st, const char *prefix)
{
	char **groups = g_key_file_get_groups(st->kf, NULL);
	GPtrArray *out = g_ptr_array_new();

	for (char **g = groups; *g; g++)
		if (!prefix || g_str_has_prefix(*g, prefix))
			g_ptr_array_add(out, g_strdup(*g));
	g_ptr_array_add(out, NULL);
	g_strfreev(groups);
	return (char **)g_ptr_array_free(out, FALSE);
}

/* After the rename, the directory entry must reach the disk too. */
static bool sync_dir(const char *path, GError **error)
{
	char *dir = g_path_get_dirname(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int saved = 0;

	if (fd < 0 || fsync(fd) < 0)
		saved = errno;
	if (fd >= 0)
		close(fd);
	if (saved)
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: fsync: %s", dir,
			    g_strerror(saved));
	g_free(dir);
	return saved == 0;
}

bool uicc_card_state_commit(struct uicc_card_state *st, GError **error)
{
	char *data;
	gsize len;
	bool ok;

	if (!st->dirty)
		return true;
	data = g_key_file_to_data(st->kf, &len, NULL);
	ok = g_file_set_contents_full(st->path, data, (gssize)len,
				      G_FILE_SET_CONTENTS_DURABLE | G_FILE_SET_CONTENTS_CONSISTENT,
				      0600, error);
	g_free(data);
	if (ok)
		ok = sync_dir(st->path, error);
	if (ok)
		st->dirty = false;
	return ok;
}

struct simota_card_config *uicc_card_config_load(const char *path, GError **error)
{
	struct simota_card_config *cfg;
	char *text = NULL;
	gsize len = 0;
	GError *err = NULL;

	if (!g_file_get_contents(path, &text, &len, &err)) {
		g_propagate_prefixed_error(error, err, "%s: ", path);
		return NULL;
	}
	cfg = simota_card_config_parse(path, text, len, error);
	/* the text holds key material */
	explicit_bzero(text, len);
	g_free(text);
	return cfg;
}
