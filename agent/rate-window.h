/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Per-second rates of monotonic counters over the last minute, for
 * `clawos-ebpf status`: the agent samples its counters every
 * RATE_WINDOW_STEP_S seconds into a small ring, and a rate is the growth
 * from the oldest sample still inside the window to the counters now.  No
 * work per record; in the first minute the window reaches back to the start
 * (the first sample), so it is shorter and says so.  Pure logic.
 */

#include <stddef.h>
#include <stdint.h>

#define RATE_WINDOW_S 60
#define RATE_WINDOW_STEP_S 5
#define RATE_WINDOW_SLOTS (RATE_WINDOW_S / RATE_WINDOW_STEP_S + 1)
#define RATE_WINDOW_COUNTERS 16

struct rate_window {
	size_t n;			  /* counters per sample */
	unsigned head, used;		  /* newest sample, samples held */
	uint64_t t_ns[RATE_WINDOW_SLOTS]; /* monotonic time of each sample */
	uint64_t c[RATE_WINDOW_SLOTS][RATE_WINDOW_COUNTERS];
};

/* n counters (at most RATE_WINDOW_COUNTERS); the first sample at now_ns. */
void rate_window_init(struct rate_window *w, size_t n, uint64_t now_ns, const uint64_t *counters);
void rate_window_sample(struct rate_window *w, uint64_t now_ns, const uint64_t *counters);

struct rate_window_result {
	double span_s;			      /* how far back the window reaches (<= RATE_WINDOW_S + one step) */
	uint64_t delta[RATE_WINDOW_COUNTERS]; /* growth of each counter over the span */
	double per_s[RATE_WINDOW_COUNTERS];
};

/* Rates from the oldest sample at most RATE_WINDOW_S seconds before now_ns
 * (or the newest older one when none is that recent) to the counters now. */
void rate_window_rates(const struct rate_window *w, uint64_t now_ns, const uint64_t *counters,
		       struct rate_window_result *out);
