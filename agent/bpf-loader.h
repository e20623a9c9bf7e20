/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Opens, loads and attaches the clawos BPF object, choosing per hook the best
 * mechanism the kernel accepts (probe.h).  An optional hook (hook_optional()
 * in bpf-loader.c) that fails to load or attach is marked missing in the
 * plan and the rest goes on; any other failure detaches everything again and
 * returns the error.
 */

#include <stdbool.h>
#include <stdint.h>

#include "bpf/clawos-abi.h"
#include "names.h"
#include "probe.h"

#include "hook-plan.h"

struct bpf_loader;

/* Loads and attaches per plan.  `prepare` runs after the load and before
 * the first attach: it fills the CONFIG and filter maps, so no event is
 * produced with settings half applied.  Updates plan with what actually
 * happened (e.g. a verifier refusal of an LSM program falls back). */
int bpf_loader_start(struct bpf_loader **ret, struct hook_plan *plan, const struct probe_result *pr, uint32_t ring_size,
		     int (*prepare)(struct bpf_loader *l, void *userdata), void *userdata);
struct bpf_loader *bpf_loader_free(struct bpf_loader *l);

int bpf_loader_ringbuf_fd(struct bpf_loader *l);
int bpf_loader_update_config(struct bpf_loader *l, const struct clawos_config *cfg);

/* Whether the aggregation programs are loaded (aggregate_window works). */
bool bpf_loader_can_aggregate(struct bpf_loader *l);
/* At stop: aggregate_window to 0 and the pending repeats into the ring
 * buffer, for the final drain. */
int bpf_loader_stop_aggregation(struct bpf_loader *l);

/* Sum over CPUs of failed reserves per event type. */
int bpf_loader_read_drops(struct bpf_loader *l, uint64_t drops[CLAWOS_EV_MAX]);

/* Calls fn for every cgroup counter entry (summed over CPUs). */
int bpf_loader_foreach_cgroup(struct bpf_loader *l,
			      void (*fn)(uint64_t cgid, const struct clawos_cgroup_counters *c, void *userdata),
			      void *userdata);

/* Attaches or detaches the per-syscall program (syscall_rate counting and
 * target syscall tracing), which costs every syscall of the host. */
int bpf_loader_set_syscall_hook(struct bpf_loader *l, bool on);

/* Checks that every link still holds its hook; returns how many do not,
 * naming them in bad. */
int bpf_loader_self_check(struct bpf_loader *l, char *bad, size_t size);

/* The SIGKILL that ended a previous instance, if the pinned kill log holds
 * one (then cleared); 1 when found. */
int bpf_loader_take_kill_record(struct bpf_loader *l, struct clawos_kill_record *out);

/* Sizes of maps set before the load (0: the object's default). */
void bpf_loader_set_tracked_max(uint32_t n);

/* Per-CPU sums of the process-tree maps' overflows: [0] tracked, [1]
 * untrusted (clawos_track_full). */
int bpf_loader_read_track_full(struct bpf_loader *l, uint64_t out[2]);

/* The skeleton (clawos.skel.h): maps are reached through its fields, never
 * by name. */
struct clawos;
struct clawos *bpf_loader_skel(struct bpf_loader *l);

/* Makes map hold exactly the entries of p (kernel-plan.h): new and changed
 * ones in first, then the stale ones out (first, when the map is too full
 * to take the new ones alongside).  0 or -errno, logged. */
struct bpf_map;
struct kernel_map_plan;
int bpf_loader_sync_map(struct bpf_map *map, const struct kernel_map_plan *p);

/* libbpf's messages into the agent's log, at their level, from now on
 * (probe.c captures them for a while and gives them back). */
void bpf_loader_log_libbpf(void);
