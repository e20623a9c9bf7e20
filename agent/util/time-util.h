/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Time units and clock readings as plain uint64_t counts: nanoseconds for
 * record times (the kernel's ts_ns, CLOCK_BOOTTIME), microseconds for sd-event
 * timers, milliseconds where a record or a poll(2) wants them.  The names say
 * the unit so that a conversion reads as one (as systemd's time-util.h).
 */

#include <stdint.h>
#include <time.h>

#define MSEC_PER_SEC UINT64_C(1000)
#define USEC_PER_SEC UINT64_C(1000000)
#define USEC_PER_MSEC UINT64_C(1000)
#define NSEC_PER_SEC UINT64_C(1000000000)
#define NSEC_PER_MSEC UINT64_C(1000000)
#define NSEC_PER_USEC UINT64_C(1000)

static inline uint64_t timespec_to_nsec(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
}

/* Readings of @clock (CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME, ...);
 * the clocks used here cannot fail for a valid id, so 0 means the epoch. */
static inline uint64_t now_nsec(clockid_t clock)
{
	struct timespec ts = {0};

	clock_gettime(clock, &ts);
	return timespec_to_nsec(&ts);
}

static inline uint64_t now_usec(clockid_t clock)
{
	return now_nsec(clock) / NSEC_PER_USEC;
}

static inline uint64_t now_msec(clockid_t clock)
{
	return now_nsec(clock) / NSEC_PER_MSEC;
}
