/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgroup-delta.c: per-cgroup traffic between collections (issue 16). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent/cgroup-delta.h"

static struct clawos_cgroup_counters counters(uint64_t packets)
{
	struct clawos_cgroup_counters c = {packets, packets * 100, packets * 2, packets * 200};

	return c;
}

/* Two ids equal modulo 4096 (the old direct-mapped table's slots) and a
 * cgroup first seen in the second round: each reports its own interval,
 * the late one only a baseline (never its cumulative counters). */
static void test_colliding_and_late_cgroups(void **state)
{
	struct cg_delta d;
	struct clawos_cgroup_counters c, delta;
	const uint64_t a = 5, b = 5 + 4096, late = 9 + 8192;

	cg_delta_init(&d);
	c = counters(1000);
	assert_int_equal(cg_delta_update(&d, a, &c, &delta), 0);
	c = counters(7000);
	assert_int_equal(cg_delta_update(&d, b, &c, &delta), 0);
	cg_delta_end_round(&d);

	c = counters(1010);
	assert_int_equal(cg_delta_update(&d, a, &c, &delta), 1);
	assert_int_equal(delta.rx_packets, 10);
	assert_int_equal(delta.tx_bytes, 2000);
	c = counters(7003);
	assert_int_equal(cg_delta_update(&d, b, &c, &delta), 1);
	assert_int_equal(delta.rx_packets, 3);
	c = counters(50000);
	assert_int_equal(cg_delta_update(&d, late, &c, &delta), 0);
	cg_delta_end_round(&d);

	c = counters(50001);
	assert_int_equal(cg_delta_update(&d, late, &c, &delta), 1);
	assert_int_equal(delta.rx_packets, 1);
	cg_delta_end_round(&d);
	/* a was not seen in the last round: forgotten, a baseline again */
	c = counters(1020);
	assert_int_equal(cg_delta_update(&d, a, &c, &delta), 0);
	cg_delta_done(&d);
}

/* Thousands of cgroups, the table grows; counters that go back (a map
 * entry recreated) give a baseline, not a wrapped delta. */
static void test_many_and_reset(void **state)
{
	struct cg_delta d;
	struct clawos_cgroup_counters c, delta;

	cg_delta_init(&d);
	for (uint64_t id = 1; id <= 10000; id++) {
		c = counters(id);
		assert_int_equal(cg_delta_update(&d, id * 4096, &c, &delta), 0);
	}
	cg_delta_end_round(&d);
	for (uint64_t id = 1; id <= 10000; id++) {
		c = counters(id + 1);
		assert_int_equal(cg_delta_update(&d, id * 4096, &c, &delta), 1);
		assert_int_equal(delta.rx_packets, 1);
	}
	cg_delta_end_round(&d);
	c = counters(0);
	assert_int_equal(cg_delta_update(&d, 4096, &c, &delta), 0);
	cg_delta_done(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_colliding_and_late_cgroups),
	    cmocka_unit_test(test_many_and_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
