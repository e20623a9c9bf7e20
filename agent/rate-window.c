/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "macro.h"
#include "rate-window.h"
#include "time-util.h"

void rate_window_init(struct rate_window *w, size_t n, uint64_t now_ns, const uint64_t *counters)
{
	memset(w, 0, sizeof(*w));
	w->n = MIN(n, (size_t)RATE_WINDOW_COUNTERS);
	w->head = RATE_WINDOW_SLOTS - 1;
	rate_window_sample(w, now_ns, counters);
}

void rate_window_sample(struct rate_window *w, uint64_t now_ns, const uint64_t *counters)
{
	w->head = (w->head + 1) % RATE_WINDOW_SLOTS;
	w->t_ns[w->head] = now_ns;
	memcpy(w->c[w->head], counters, w->n * sizeof(counters[0]));
	if (w->used < RATE_WINDOW_SLOTS)
		w->used++;
}

void rate_window_rates(const struct rate_window *w, uint64_t now_ns, const uint64_t *counters,
		       struct rate_window_result *out)
{
	unsigned base = w->head;
	uint64_t span;

	memset(out, 0, sizeof(*out));
	if (!w->used)
		return;
	/* from the newest sample back: the oldest one still in the window; if
	 * even the newest is older than that (no sample for a while), it */
	for (unsigned i = 1; i < w->used; i++) {
		unsigned s = (w->head + RATE_WINDOW_SLOTS - i) % RATE_WINDOW_SLOTS;

		if (now_ns - w->t_ns[s] > (uint64_t)RATE_WINDOW_S * NSEC_PER_SEC)
			break;
		base = s;
	}
	span = now_ns > w->t_ns[base] ? now_ns - w->t_ns[base] : 0;
	out->span_s = (double)span / NSEC_PER_SEC;
	for (size_t k = 0; k < w->n; k++) {
		/* counters only grow; a reset would read as no growth */
		out->delta[k] = counters[k] >= w->c[base][k] ? counters[k] - w->c[base][k] : 0;
		out->per_s[k] = span ? (double)out->delta[k] * NSEC_PER_SEC / (double)span : 0;
	}
}
