/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The mechanism chooser: from what the kernel allows (a probe_result,
 * measured by probe.c or read back from `--probe --json`), which mechanism
 * each hook uses and which programs that takes.  Pure: no BPF, no files,
 * so a probe recorded on any kernel can be replayed in a unit test.
 */

#include <stdbool.h>
#include <stddef.h>

#include "bpf/clawos-abi.h"
#include "probe.h"

enum hook_id {
	HOOK_EXEC,
	HOOK_OPEN,
	HOOK_FILE_OPEN,
	HOOK_CONNECT,
	HOOK_BIND,
	HOOK_LISTEN,
	HOOK_ACCEPT,
	HOOK_SOCKET_CREATE,
	HOOK_SENDMSG,
	HOOK_CGROUP_SKB,
	HOOK_PROCESS,
	HOOK_SYSCALLS,
	HOOK_TAMPER,
	HOOK_COMPAT, /* optional: 32-bit system calls (tp_btf/sys_enter) */
	HOOK_URING,  /* optional: io_uring requests (tp_btf/io_uring_submit_req) */
	_HOOK_MAX,
};

enum hook_state {
	HOOK_ACTIVE,   /* every program of the chosen mechanism */
	HOOK_DEGRADED, /* some programs missing, see reason */
	HOOK_MISSING,  /* no mechanism works on this kernel */
	_HOOK_STATE_MAX,
};

struct hook_status {
	const char *name;
	enum clawos_mechanism mechanism; /* chosen */
	enum hook_state state;
	char reason[256]; /* why the fallback, or what is degraded */
	unsigned n_programs;
	bool lsm_walk; /* file_open: the dentry-walk variant (no bpf_d_path) */
};

struct hook_plan {
	struct hook_status hooks[_HOOK_MAX];
};

#define HOOK_MAX_PROGS 12

struct hook_def {
	const char *name;
	const char *lsm_prog; /* NULL: no BPF-LSM variant */
	int lsm_probe;	      /* enum probe_lsm_hook */
	enum clawos_mechanism fallback;
	const char *fallback_progs[HOOK_MAX_PROGS];
	const char *fallback_note; /* why, when there is no LSM variant */
};

extern const struct hook_def hook_defs[_HOOK_MAX];

/* Every tracepoint a fallback program needs, by program name; probe.c
 * records which of them exist (probe_result.tracepoints, one bit each). */
struct hook_tracepoint {
	const char *prog;
	const char *tracepoint; /* "category/name"; "btf/name" for a tp_btf program */
};
extern const struct hook_tracepoint hook_tracepoints[];
extern const size_t hook_tracepoints_n;

/* Index of "category/name" in hook_tracepoints, or -1. */
int hook_tracepoint_index(const char *tracepoint);

/* Decides the mechanism per hook from a probe (no BPF loaded here). */
void hook_plan_make(struct hook_plan *plan, const struct probe_result *pr);

/* file_open on BPF-LSM: its path from bpf_d_path, or from the dentry walk
 * (walk) where the helper is refused, why saying so. */
void hook_plan_fopen_variant(struct hook_status *st, bool walk, const char *why);

/* Hook h on its fallback mechanism, `why` (may be NULL) saying why. */
void hook_plan_fallback(struct hook_plan *plan, enum hook_id h, const struct probe_result *pr, const char *why);

const char *hook_state_name(enum hook_state s);
int hook_state_from_name(const char *s);
