/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A tenth of the CPU for optional work: refill, cap, overrun, idle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "agent/cpu-budget.h"
#include "agent/util/time-util.h"

#define MS NSEC_PER_MSEC

static void test_share(void **state)
{
	struct cpu_budget b;
	uint64_t t = 1000 * MS, spent = 0;

	cpu_budget_init(&b, 100, 100 * MS, t);
	assert_true(cpu_budget_available(&b, t));
	/* a flood: 1 ms of work per 1 ms of wall time for 10 s */
	for (int i = 0; i < 10000; i++, t += MS)
		if (cpu_budget_available(&b, t)) {
			cpu_budget_spend(&b, MS);
			spent += MS;
		}
	/* the full bucket, then a tenth of the 10 s */
	assert_true(spent >= 1090 * MS && spent <= 1110 * MS);
}

static void test_cap_and_overrun(void **state)
{
	struct cpu_budget b;

	cpu_budget_init(&b, 100, 100 * MS, 0);
	cpu_budget_spend(&b, 250 * MS);			   /* one piece overran the bucket */
	assert_false(cpu_budget_available(&b, 1000 * MS)); /* -150 + 100 */
	assert_true(cpu_budget_available(&b, 1600 * MS));  /* -150 + 160 */
	/* idle for an hour: still only the cap */
	assert_true(cpu_budget_available(&b, 3600000 * MS));
	assert_int_equal(b.left_ns, 100 * MS);
	/* time going backwards changes nothing */
	assert_true(cpu_budget_available(&b, 10 * MS));
	assert_int_equal(b.left_ns, 100 * MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_share),
	    cmocka_unit_test(test_cap_and_overrun),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
