/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rates over the last minute from 5-second samples of growing counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent/rate-window.h"
#include "agent/util/time-util.h"

#define S NSEC_PER_SEC

static void test_first_minute(void **state)
{
	struct rate_window w;
	struct rate_window_result r;
	uint64_t c[2] = {0, 0};

	rate_window_init(&w, 2, 100 * S, c);
	rate_window_rates(&w, 100 * S, c, &r);
	assert_true(r.span_s == 0 && r.per_s[0] == 0 && r.delta[0] == 0);
	for (uint64_t t = 5; t <= 30; t += 5) {
		c[0] = 10 * t;
		c[1] = t / 5;
		rate_window_sample(&w, (100 + t) * S, c);
	}
	/* 2 s after the last sample: back to the start, 32 s */
	c[0] = 320;
	rate_window_rates(&w, 132 * S, c, &r);
	assert_true(r.span_s == 32.0);
	assert_int_equal(r.delta[0], 320);
	assert_true(r.per_s[0] == 10.0);
	assert_int_equal(r.delta[1], 6);
}

static void test_steady_and_burst(void **state)
{
	struct rate_window w;
	struct rate_window_result r;
	uint64_t c[1] = {0};

	rate_window_init(&w, 1, 0, c);
	for (uint64_t t = 5; t <= 600; t += 5) {
		c[0] = 7 * t;
		rate_window_sample(&w, t * S, c);
	}
	rate_window_rates(&w, 600 * S, c, &r);
	assert_true(r.span_s == 60.0);
	assert_int_equal(r.delta[0], 420);
	assert_true(r.per_s[0] == 7.0);
	/* between samples the window is the samples' within the last 60 s */
	rate_window_rates(&w, 602 * S, c, &r);
	assert_true(r.span_s == 57.0);
	/* a burst of 600 in the last seconds: spread over the minute */
	c[0] += 600;
	rate_window_rates(&w, 600 * S, c, &r);
	assert_int_equal(r.delta[0], 1020);
	assert_true(r.per_s[0] == 17.0);
}

static void test_stalled_sampling_and_resets(void **state)
{
	struct rate_window w;
	struct rate_window_result r;
	uint64_t c[RATE_WINDOW_COUNTERS + 4] = {0};

	rate_window_init(&w, RATE_WINDOW_COUNTERS + 4, 0, c);
	assert_int_equal(w.n, RATE_WINDOW_COUNTERS);
	c[0] = 50;
	rate_window_sample(&w, 10 * S, c);
	/* no sample for five minutes: the newest one is the base */
	c[0] = 350;
	rate_window_rates(&w, 310 * S, c, &r);
	assert_true(r.span_s == 300.0);
	assert_true(r.per_s[0] == 1.0);
	/* a counter that went down (never happens; must not wrap) */
	c[0] = 10;
	rate_window_rates(&w, 310 * S, c, &r);
	assert_int_equal(r.delta[0], 0);
	assert_true(r.per_s[0] == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_minute),
	    cmocka_unit_test(test_steady_and_burst),
	    cmocka_unit_test(test_stalled_sampling_and_resets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
