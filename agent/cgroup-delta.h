/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Per-cgroup traffic between two collections of the kernel's cumulative
 * counters.  Keyed by the whole 64-bit cgroup id (a hash table that grows),
 * so no two cgroups share a slot; a cgroup first seen in a round only sets
 * its baseline, whenever that is; one not seen in a round is forgotten.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/clawos-abi.h"

struct cg_delta_entry {
	uint64_t id; /* 0: free (cgroup ids start at 1) */
	struct clawos_cgroup_counters c;
};

struct cg_delta {
	struct cg_delta_entry *prev, *cur; /* the last round's, this round's */
	size_t prev_cap, cur_cap, cur_n;   /* capacities: powers of two */
};

void cg_delta_init(struct cg_delta *d);
void cg_delta_done(struct cg_delta *d);
/* This round's counters of cgid: 1 and *delta set when the last round had
 * it (and its counters did not go back), 0 when this is its baseline,
 * -ENOMEM. */
int cg_delta_update(struct cg_delta *d, uint64_t cgid, const struct clawos_cgroup_counters *c,
		    struct clawos_cgroup_counters *delta);
/* This round becomes the last one; cgroups it did not see are dropped. */
void cg_delta_end_round(struct cg_delta *d);
