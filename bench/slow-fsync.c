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

static int (*real_fsync)(int), (*real_fdatasync)(int);

/* looked up once, before any thread of the process runs */
__attribute__((constructor)) static void find_real(void)
{
	real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
}

static int slowed(int rc, int fd)
{
	slow(fd);
	return rc;
}

int fsync(int fd)
{
	return slowed(real_fsync(fd), fd);
}

int fdatasync(int fd)
{
	return slowed(real_fdatasync(fd), fd);
}
