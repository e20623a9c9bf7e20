/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cpu-budget.h"
#include "macro.h"

void cpu_budget_init(struct cpu_budget *b, uint32_t share_permille, int64_t cap_ns, uint64_t now_ns)
{
	*b = (struct cpu_budget){
	    .left_ns = cap_ns, .last_ns = now_ns, .share_permille = share_permille, .cap_ns = cap_ns};
}

bool cpu_budget_available(struct cpu_budget *b, uint64_t now_ns)
{
	if (now_ns > b->last_ns) {
		uint64_t gain = (now_ns - b->last_ns) / 1000 * b->share_permille;

		b->left_ns = gain >= (uint64_t)(b->cap_ns - b->left_ns) ? b->cap_ns : b->left_ns + (int64_t)gain;
		b->last_ns = now_ns;
	}
	return b->left_ns > 0;
}

void cpu_budget_spend(struct cpu_budget *b, uint64_t cost_ns)
{
	b->left_ns -= (int64_t)MIN(cost_ns, (uint64_t)INT64_MAX / 2);
}
