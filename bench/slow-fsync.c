/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LD_PRELOAD=build/bench/libslow-fsync.so SLOW_FSYNC_US=N: every fsync and
 * fdatasync of the process returns N microseconds later than the disk
 * answered, as on a network block device (a cloud volume: 0.5-2 ms per
 * flush); files on tmpfs are left alone.  For bench-server runs comparing how the server behaves on a disk
 * slower than this machine's (doc/scaling.md); the added time is slept, not
 * spent: it measures waiting, never a disk.
 */
#include <dlfcn.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

/* Files on tmpfs (the emulated cards' states) stay as fast as they are. */
static void slow(int fd)
{
	const char *us = getenv("SLOW_FSYNC_US");
	long n = us ? strtol(us, NULL, 10) : 0;
	struct timespec ts = { .tv_sec = n / 1000000, .tv_nsec = (n % 1000000) * 1000 };
	struct statfs fs;

	if (n > 0 && fstatfs(fd, &fs) == 0 && fs.f_type != TMPFS_MAGIC)
		nanosleep(&ts, NULL);
}

int fsync(int fd)
{
	static int (*real)(int);
	int rc;

	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	rc = real(fd);
	slow(fd);
	return rc;
}

int fdatasync(int fd)
{
	static int (*real)(int);
	int rc;

	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	rc = real(fd);
	slow(fd);
	return rc;
}
