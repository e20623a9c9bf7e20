/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the settings put in the kernel, computed without touching it: the
 * entries of the filter maps (clawos_f_*), of the target maps (clawos_t_*)
 * and of clawos_p_allow, the config targets' session names, and the CONFIG
 * map's value, which is built from the settings and those entries in one
 * place (kernel_plan_config).  Pure but for the resolver that turns paths
 * into identities: stat() in the daemon, a table in the unit tests.
 * filters.c and targets.c write the entries into the maps.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "bpf/clawos-abi.h"
#include "config.h"

struct kernel_resolver {
	/* 0 with *st filled, or -errno */
	int (*stat)(const char *path, struct stat *st, void *userdata);
	void *userdata;
	const char *cgroup2; /* where cgroup v2 is mounted; "" or NULL: nowhere */
};

/* The most entries one map gets from the settings (clawos_f_comm: 32
 * exclude_comm and 32 include_comm) and its largest key and value. */
#define KERNEL_MAP_PLAN_MAX 64
#define KERNEL_MAP_PLAN_KEY sizeof(struct clawos_prefix_key)
#define KERNEL_MAP_PLAN_VALUE sizeof(uint32_t)

/* The entries one map should hold, no other: keys are unique. */
struct kernel_map_plan {
	size_t n, key_size, value_size;
	bool combine; /* a key given twice: values ORed (filters), else the last wins */
	uint8_t keys[KERNEL_MAP_PLAN_MAX][KERNEL_MAP_PLAN_KEY];
	uint8_t values[KERNEL_MAP_PLAN_MAX][KERNEL_MAP_PLAN_VALUE];
};

#define KERNEL_PLAN_SESSIONS (3 * 32) /* target_comm, target_exe, target_cgroup */

struct kernel_plan {
	/* [filter]: values CLAWOS_FILTER_V_* (uint8_t) */
	struct kernel_map_plan f_comm, f_uid, f_cgrp, f_exe, f_prefix;
	/* [target]: values session ids (uint32_t) */
	struct kernel_map_plan t_comm, t_exe, t_cgrp;
	/* protected_allow_exe: value 1 (uint8_t) */
	struct kernel_map_plan p_allow;
	/* config targets: session id i + 1 is named session_names[i] */
	const char *session_names[KERNEL_PLAN_SESSIONS];
	size_t n_sessions;
};

/* The key of an executable: its (device, inode) as the kernel spells them. */
struct clawos_exe_key kernel_exe_key(const struct stat *st);

/* Fills *p from s; names the resolver cannot find are logged and left out
 * (as they are today: a cgroup or binary that does not exist yet).  Points
 * into s (session names): s must outlive p.  0 or -E2BIG. */
int kernel_plan_make(struct kernel_plan *p, const struct clawos_settings *s, const struct kernel_resolver *res);

/* The value of the entry of m with this key, or NULL. */
const void *kernel_map_plan_get(const struct kernel_map_plan *m, const void *key);

/* The whole CONFIG map from the settings and what the maps hold (p), with
 * `watching` when `clawos-ebpf watch` sessions follow process trees. */
void kernel_plan_config(const struct clawos_settings *s, const struct kernel_plan *p, bool watching,
			uint32_t agent_tgid, struct clawos_config *out);

/* Whether the per-syscall program has work under c (syscall_rate for all,
 * tracked trees, target syscall tracing): it costs every syscall of the host. */
bool kernel_config_wants_syscall_hook(const struct clawos_config *c);
