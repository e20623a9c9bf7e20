/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * [filter] of the configuration -> the BPF filter maps.  What goes in them
 * (cgroup paths turned into cgroup ids, executable paths into (device,
 * inode)) is computed by kernel_plan_make(); this writes it.
 */

#include "bpf-loader.h"
#include "kernel-plan.h"

/* Makes the filter maps hold exactly the entries of p.  New entries go in
 * before stale ones go out, so a reload never lets filtered events
 * through.  0 or -errno (logged). */
int filters_apply(struct bpf_loader *l, const struct kernel_plan *p);
