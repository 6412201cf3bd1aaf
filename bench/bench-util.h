/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the benchmarks share: the clock they time with, and how they give up. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Seconds on the monotonic clock. */
static inline double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "<prog>: <what> failed" on stderr, exit status 2. */
static inline void bench_die(const char *prog, const char *what) __attribute__((noreturn));
static inline void bench_die(const char *prog, const char *what)
{
	fprintf(stderr, "%s: %s failed\n", prog, what);
	exit(2);
}

#endif
