/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A share of CPU time for optional work on the agent's loop (the text form
 * of records for a terminal): a token bucket refilled with share_permille
 * of the wall-clock time that passes, holding at most cap_ns.  Work is done
 * while the bucket is not empty and paid for afterwards with what it took,
 * so a flood can never make the optional work crowd out the ring-buffer
 * reader.  Pure: the caller passes the times.
 */

#include <stdbool.h>
#include <stdint.h>

struct cpu_budget {
	int64_t left_ns; /* may go below zero: the last piece of work overran */
	uint64_t last_ns;
	uint32_t share_permille;
	int64_t cap_ns;
};

/* Starts full. */
void cpu_budget_init(struct cpu_budget *b, uint32_t share_permille, int64_t cap_ns, uint64_t now_ns);
/* Refills for the time since the last call; true when work may be done. */
bool cpu_budget_available(struct cpu_budget *b, uint64_t now_ns);
void cpu_budget_spend(struct cpu_budget *b, uint64_t cost_ns);
