/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Persistent card state (uicc-emu/state/card-state.c): values, commit, kill -9. */
#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-support.h"
#include "state/card-state.h"

static char *tmp_dir;

static char *state_path(const char *name)
{
	return g_build_filename(tmp_dir, name, NULL);
}

static void test_roundtrip(void)
{
	char *path = state_path("roundtrip.state");
	static const uint8_t imsi[] = { 0x08, 0x09, 0x10, 0x10, 0x32, 0x54, 0x76, 0x98 };
	struct uicc_card_state *st;
	GError *err = NULL;
	uint8_t buf[16];
	uint64_t v = 0;
	size_t len = 99;
	struct stat sb;

	st = uicc_card_state_open(path, &err);
	g_assert_no_error(err);
	g_assert_false(uicc_card_state_get_bytes(st, "ef 6f07", "data", buf, sizeof(buf), &len));
	g_assert_cmpuint(len, ==, 0);
	g_assert_false(uicc_card_state_get_u64(st, "keyset 1", "counter", &v));
	uicc_card_state_set_bytes(st, "ef 6f07", "data", imsi, sizeof(imsi));
	uicc_card_state_set_bytes(st, "ef 6f07", "empty", imsi, 0);
	uicc_card_state_set_bytes(st, "ef 6f07", "hex", (const uint8_t[]){ 0xab, 0xcd }, 2);
	uicc_card_state_set_u64(st, "keyset 1", "counter", G_MAXUINT64);
	uicc_card_state_set_u64(st, "pin 01", "retries", 3);
	/* nothing on disk before the commit */
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	g_assert_true(uicc_card_state_commit(st, &err));
	g_assert_no_error(err);
	g_assert_cmpint(stat(path, &sb), ==, 0);
	g_assert_cmpint(sb.st_mode & 0777, ==, 0600);
	uicc_card_state_free(st);

	st = uicc_card_state_open(path, &err);
	g_assert_no_error(err);
	g_assert_true(uicc_card_state_get_bytes(st, "ef 6f07", "data", buf, sizeof(buf), &len));
	g_assert_cmpmem(buf, len, imsi, sizeof(imsi));
	g_assert_true(uicc_card_state_get_bytes(st, "ef 6f07", "empty", buf, sizeof(buf), &len));
	g_assert_cmpuint(len, ==, 0);
	/* too small a buffer: refused, not truncated */
	g_assert_false(uicc_card_state_get_bytes(st, "ef 6f07", "data", buf, 4, &len));
	g_assert_cmpuint(len, ==, 0);
	g_assert_true(uicc_card_state_get_u64(st, "keyset 1", "counter", &v));
	g_assert_cmpuint(v, ==, G_MAXUINT64);
	g_assert_true(uicc_card_state_get_u64(st, "pin 01", "retries", &v));
	g_assert_cmpuint(v, ==, 3);
	/* a value of the wrong kind is "absent" */
	g_assert_false(uicc_card_state_get_u64(st, "ef 6f07", "hex", &v));
	uicc_card_state_free(st);
	g_unlink(path);
	g_free(path);
}

static void test_groups_remove(void)
{
	char *path = state_path("groups.state");
	struct uicc_card_state *st = uicc_card_state_open(path, NULL);
	static const uint8_t r1[] = { 0x90, 0x00 };
	char **groups;
	uint64_t v;

	uicc_card_state_set_bytes(st, "tx 00000001", "r1", r1, sizeof(r1));
	uicc_card_state_set_bytes(st, "tx 00000002", "r1", r1, sizeof(r1));
	uicc_card_state_set_u64(st, "tx 00000002", "time", 7);
	uicc_card_state_set_u64(st, "keyset 1", "counter", 1);
	groups = uicc_card_state_groups(st, "tx ");
	g_assert_cmpuint(g_strv_length(groups), ==, 2);
	g_assert_cmpstr(groups[0], ==, "tx 00000001");
	g_assert_cmpstr(groups[1], ==, "tx 00000002");
	g_strfreev(groups);
	groups = uicc_card_state_groups(st, "none");
	g_assert_cmpuint(g_strv_length(groups), ==, 0);
	g_strfreev(groups);

	uicc_card_state_remove(st, "tx 00000002", "time");
	g_assert_false(uicc_card_state_get_u64(st, "tx 00000002", "time", &v));
	uicc_card_state_remove_group(st, "tx 00000001");
	g_assert_true(uicc_card_state_commit(st, NULL));
	uicc_card_state_free(st);

	st = uicc_card_state_open(path, NULL);
	groups = uicc_card_state_groups(st, NULL);
	g_assert_cmpuint(g_strv_length(groups), ==, 2);
	g_assert_true(g_strv_contains((const char *const *)groups, "tx 00000002"));
	g_assert_true(g_strv_contains((const char *const *)groups, "keyset 1"));
	g_strfreev(groups);
	uicc_card_state_free(st);
	g_unlink(path);
	g_free(path);
}

/* A commit with nothing changed does not touch the file. */
static void test_commit_only_when_changed(void)
{
	char *path = state_path("unchanged.state");
	struct uicc_card_state *st = uicc_card_state_open(path, NULL);
	struct stat a, b;

	uicc_card_state_set_u64(st, "c", "n", 1);
	g_assert_true(uicc_card_state_commit(st, NULL));
	g_assert_cmpint(stat(path, &a), ==, 0);
	uicc_card_state_set_u64(st, "c", "n", 1);      /* same value */
	g_assert_true(uicc_card_state_commit(st, NULL));
	g_assert_cmpint(stat(path, &b), ==, 0);
	g_assert_cmpuint(a.st_ino, ==, b.st_ino);
	uicc_card_state_set_u64(st, "c", "n", 2);
	g_assert_true(uicc_card_state_commit(st, NULL));
	g_assert_cmpint(stat(path, &b), ==, 0);
	g_assert_cmpuint(a.st_ino, !=, b.st_ino);       /* replaced by rename */
	uicc_card_state_free(st);
	g_unlink(path);
	g_free(path);
}

static void test_corrupt(void)
{
	char *path = state_path("corrupt.state");
	GError *err = NULL;

	g_assert_true(g_file_set_contents(path, "[unterminated\nx", -1, NULL));
	g_assert_null(uicc_card_state_open(path, &err));
	g_assert_nonnull(err);
	g_assert_true(g_str_has_prefix(err->message, path));
	g_clear_error(&err);
	g_unlink(path);
	g_free(path);
}

static void test_lock(void)
{
	char *path = state_path("locked.state");
	struct uicc_card_state *a, *b;
	GError *err = NULL;

	a = uicc_card_state_open(path, &err);
	g_assert_no_error(err);
	b = uicc_card_state_open(path, &err);
	g_assert_null(b);
	g_assert_nonnull(err);
	g_assert_nonnull(strstr(err->message, "in use"));
	g_clear_error(&err);
	uicc_card_state_free(a);
	b = uicc_card_state_open(path, &err);
	g_assert_no_error(err);
	uicc_card_state_free(b);
	g_free(path);
}

/* The process's open files (/proc/self/fd). */
static unsigned open_files(void)
{
	GDir *d = g_dir_open("/proc/self/fd", 0, NULL);
	unsigned n = 0;

	g_assert_nonnull(d);
	while (g_dir_read_name(d))
		n++;
	g_dir_close(d);
	return n;
}

/*
 * A device farm's cards in one directory: each state holds its lock file,
 * and they share one directory fd, so N states cost N + 1 open files, not 2N;
 * the directory fd closes with the last of them, and each still commits.
 */
static void test_shared_dir_fd(void)
{
	enum { N = 50 };
	struct uicc_card_state *st[N];
	unsigned before = open_files();

	for (unsigned i = 0; i < N; i++) {
		char name[32], *path;
		GError *err = NULL;

		g_snprintf(name, sizeof(name), "farm%u.state", i);
		path = state_path(name);
		st[i] = uicc_card_state_open(path, &err);
		g_assert_no_error(err);
		g_free(path);
	}
	g_assert_cmpuint(open_files(), ==, before + N + 1);
	for (unsigned i = 0; i < N; i++) {
		uicc_card_state_set_u64(st[i], "ota", "counter-1", i);
		g_assert_true(uicc_card_state_commit(st[i], NULL));
	}
	for (unsigned i = 0; i < N; i++)
		uicc_card_state_free(st[i]);
	g_assert_cmpuint(open_files(), ==, before);
}

/*
 * What a writer killed between create and rename leaves: "<state>.tmp" (ours)
 * or "<state>.XXXXXX" (g_file_set_contents', which older versions used),
 * removed at open; other files beside the state stay.
 */
static void test_stale_temp_removed(void)
{
	char *path = state_path("stale.state");
	char *ours = g_strconcat(path, ".tmp", NULL);
	char *glib = g_strconcat(path, ".Ab12Cd", NULL);
	char *other = g_strconcat(path, ".keep", NULL);
	char *other7 = g_strconcat(path, ".Ab-2Cd", NULL);
	struct uicc_card_state *st;

	g_assert_true(g_file_set_contents(ours, "[half", -1, NULL));
	g_assert_true(g_file_set_contents(glib, "[half", -1, NULL));
	g_assert_true(g_file_set_contents(other, "x", -1, NULL));
	g_assert_true(g_file_set_contents(other7, "x", -1, NULL));
	st = uicc_card_state_open(path, NULL);
	g_assert_nonnull(st);
	g_assert_false(g_file_test(ours, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(glib, G_FILE_TEST_EXISTS));
	g_assert_true(g_file_test(other, G_FILE_TEST_EXISTS));
	g_assert_true(g_file_test(other7, G_FILE_TEST_EXISTS));
	/* a commit finds its temp name free, and leaves nothing behind */
	uicc_card_state_set_u64(st, "c", "n", 1);
	g_assert_true(g_file_set_contents(ours, "[left by a failed clean-up", -1, NULL));
	g_assert_true(uicc_card_state_commit(st, NULL));
	g_assert_false(g_file_test(ours, G_FILE_TEST_EXISTS));
	uicc_card_state_free(st);
	g_unlink(other);
	g_unlink(other7);
	g_unlink(path);
	g_free(other7);
	g_free(other);
	g_free(glib);
	g_free(ours);
	g_free(path);
}

/*
 * A commit that cannot replace the file (here a directory where the state
 * should be: rename fails) reports it, leaves no temp file, and keeps the
 * change for the next commit, which writes it once the way is clear.
 */
static void test_commit_fails(void)
{
	char *path = state_path("fails.state");
	char *temp = g_strconcat(path, ".tmp", NULL);
	struct uicc_card_state *st = uicc_card_state_open(path, NULL);
	GError *err = NULL;
	uint64_t v = 0;

	uicc_card_state_set_u64(st, "c", "n", 1);
	g_assert_true(uicc_card_state_commit(st, NULL));
	tv_block_path(path);
	uicc_card_state_set_u64(st, "c", "n", 2);
	g_assert_false(uicc_card_state_commit(st, &err));
	g_assert_nonnull(err);
	g_assert_nonnull(strstr(err->message, path));
	g_clear_error(&err);
	g_assert_false(g_file_test(temp, G_FILE_TEST_EXISTS));
	tv_unblock_path(path);
	g_assert_true(uicc_card_state_commit(st, &err));
	g_assert_no_error(err);
	uicc_card_state_free(st);
	st = uicc_card_state_open(path, NULL);
	g_assert_true(uicc_card_state_get_u64(st, "c", "n", &v));
	g_assert_cmpuint(v, ==, 2);
	uicc_card_state_free(st);
	g_unlink(path);
	g_free(temp);
	g_free(path);
}

/*
 * A savepoint: changes after it are owed until a commit succeeds, whoever
 * makes it; a failed commit keeps it, and the rollback returns to it (the
 * change older than it, not yet durable, stays in memory and is written by
 * the next commit).
 */
static void test_savepoint(void)
{
	char *path = state_path("savepoint.state");
	struct uicc_card_state *st = uicc_card_state_open(path, NULL);
	uint64_t v = 0;

	uicc_card_state_set_u64(st, "ota", "counter-1", 1);
	g_assert_true(uicc_card_state_commit(st, NULL));
	/* a successful commit drops it */
	uicc_card_state_savepoint(st);
	g_assert_true(uicc_card_state_owed(st));
	uicc_card_state_set_u64(st, "ota", "counter-1", 2);
	uicc_card_state_set_u64(st, "tx 1", "state", 1);
	g_assert_true(uicc_card_state_commit(st, NULL));
	g_assert_false(uicc_card_state_owed(st));
	uicc_card_state_rollback(st);                   /* nothing to return to */
	g_assert_true(uicc_card_state_get_u64(st, "ota", "counter-1", &v));
	g_assert_cmpuint(v, ==, 2);

	/* commits fail (a directory where the file goes): it is kept, and the rollback undoes */
	tv_block_path(path);
	uicc_card_state_set_u64(st, "pin", "tries", 2);            /* older than the savepoint, not durable */
	g_assert_false(uicc_card_state_commit(st, NULL));
	uicc_card_state_savepoint(st);
	uicc_card_state_set_u64(st, "ota", "counter-1", 3);
	uicc_card_state_remove_group(st, "tx 1");
	g_assert_false(uicc_card_state_commit(st, NULL));
	g_assert_true(uicc_card_state_owed(st));
	uicc_card_state_rollback(st);
	g_assert_false(uicc_card_state_owed(st));
	g_assert_true(uicc_card_state_get_u64(st, "ota", "counter-1", &v));
	g_assert_cmpuint(v, ==, 2);
	g_assert_true(uicc_card_state_get_u64(st, "tx 1", "state", &v));
	g_assert_cmpuint(v, ==, 1);
	g_assert_true(uicc_card_state_get_u64(st, "pin", "tries", &v));
	g_assert_cmpuint(v, ==, 2);

	/* the way clear: the next commit writes what is in memory (dirty after the rollback too) */
	tv_unblock_path(path);
	g_assert_true(uicc_card_state_commit(st, NULL));
	uicc_card_state_free(st);
	st = uicc_card_state_open(path, NULL);
	g_assert_true(uicc_card_state_get_u64(st, "pin", "tries", &v));
	g_assert_cmpuint(v, ==, 2);
	g_assert_true(uicc_card_state_get_u64(st, "ota", "counter-1", &v));
	g_assert_cmpuint(v, ==, 2);
	uicc_card_state_free(st);
	g_unlink(path);
	g_free(path);
}

#define BLOB_LEN 6000

static void fill_blob(uint8_t *blob, uint64_t n)
{
	for (size_t i = 0; i < BLOB_LEN; i++)
		blob[i] = (uint8_t)(n * 31 + i);
}

/* Child: commits n, n+1, ... for ever, acknowledging each on fd after the commit returned. */
G_GNUC_NORETURN static void committer(const char *path, int fd)
{
	GError *err = NULL;
	struct uicc_card_state *st = uicc_card_state_open(path, &err);
	static uint8_t blob[BLOB_LEN];
	uint64_t n = 0;

	if (!st)
		_exit(2);
	uicc_card_state_get_u64(st, "seq", "n", &n);
	for (;;) {
		n++;
		fill_blob(blob, n);
		uicc_card_state_set_bytes(st, "seq", "blob", blob, BLOB_LEN);
		uicc_card_state_set_u64(st, "seq", "n", n);
		uicc_card_state_set_u64(st, "seq", "n-again", n);
		if (!uicc_card_state_commit(st, NULL))
			_exit(3);
		if (write(fd, &n, sizeof(n)) != sizeof(n))
			_exit(4);
	}
}

/*
 * kill -9 at random points of a commit loop: the state file must always
 * parse, and hold the last acknowledged value or the one after it (committed,
 * killed before its acknowledgement), with the blob of that same value.
 */
static void test_kill9(void)
{
	char *path = state_path("kill9.state");
	char *temp = g_strconcat(path, ".tmp", NULL);
	static uint8_t blob[BLOB_LEN], want[BLOB_LEN];
	uint64_t last_ack = 0;
	unsigned temp_left = 0;
	unsigned rounds = g_test_slow() ? 100 : 25;

	for (unsigned r = 0; r < rounds; r++) {
		int fds[2];
		pid_t pid;
		int status;
		unsigned acks_before = (unsigned)g_test_rand_int_range(0, 8);
		uint64_t n = 0, again = 0, got;
		struct uicc_card_state *st;
		GError *err = NULL;
		size_t len;

		g_assert_cmpint(pipe(fds), ==, 0);
		pid = fork();
		g_assert_cmpint(pid, >=, 0);
		if (pid == 0) {
			close(fds[0]);
			committer(path, fds[1]);
		}
		close(fds[1]);
		for (unsigned i = 0; i < acks_before; i++) {
			g_assert_cmpint(read(fds[0], &got, sizeof(got)), ==, sizeof(got));
			last_ack = got;
		}
		/* somewhere inside the next commits */
		g_usleep((gulong)g_test_rand_int_range(0, 3000));
		g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
		g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
		g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		while (read(fds[0], &got, sizeof(got)) == sizeof(got))
			last_ack = got;
		close(fds[0]);

		temp_left += g_file_test(temp, G_FILE_TEST_EXISTS);
		st = uicc_card_state_open(path, &err);
		g_assert_no_error(err);
		/* what the killed writer left is gone */
		g_assert_false(g_file_test(temp, G_FILE_TEST_EXISTS));
		if (!uicc_card_state_get_u64(st, "seq", "n", &n)) {
			g_assert_cmpuint(last_ack, ==, 0);
		} else {
			g_assert_cmpuint(n, >=, last_ack);
			g_assert_cmpuint(n, <=, last_ack + 1);
			g_assert_true(uicc_card_state_get_u64(st, "seq", "n-again", &again));
			g_assert_cmpuint(again, ==, n);
			g_assert_true(uicc_card_state_get_bytes(st, "seq", "blob", blob, sizeof(blob), &len));
			fill_blob(want, n);
			g_assert_cmpmem(blob, len, want, BLOB_LEN);
			last_ack = n;
		}
		g_test_message("round %u: state holds %" G_GUINT64_FORMAT, r, n);
		uicc_card_state_free(st);
	}
	g_assert_cmpuint(last_ack, >, 0);
	g_test_message("%u of %u kills left a temp file", temp_left, rounds);
	g_unlink(path);
	g_free(temp);
	g_free(path);
}

static void remove_all(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		char *full = g_build_filename(dir, name, NULL);

		g_unlink(full);
		g_free(full);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(dir);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	tmp_dir = g_dir_make_tmp("test-uicc-state-XXXXXX", NULL);
	g_assert_nonnull(tmp_dir);

	g_test_add_func("/uicc-state/roundtrip", test_roundtrip);
	g_test_add_func("/uicc-state/groups-remove", test_groups_remove);
	g_test_add_func("/uicc-state/commit-only-when-changed", test_commit_only_when_changed);
	g_test_add_func("/uicc-state/corrupt", test_corrupt);
	g_test_add_func("/uicc-state/lock", test_lock);
	g_test_add_func("/uicc-state/shared-dir-fd", test_shared_dir_fd);
	g_test_add_func("/uicc-state/stale-temp-removed", test_stale_temp_removed);
	g_test_add_func("/uicc-state/commit-fails", test_commit_fails);
	g_test_add_func("/uicc-state/savepoint", test_savepoint);
	g_test_add_func("/uicc-state/kill9", test_kill9);
	ret = g_test_run();
	remove_all(tmp_dir);
	g_free(tmp_dir);
	return ret;
}
