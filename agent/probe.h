/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What this kernel allows: BTF, ring buffer, BPF-LSM (listed and loadable,
 * per hook), BPF trampolines, tracefs and each tracepoint, cgroup v2.
 * Feature detection by trying, never by kernel version.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

enum probe_lsm_hook {
	PROBE_LSM_FILE_OPEN,
	PROBE_LSM_SOCKET_CONNECT,
	PROBE_LSM_SOCKET_BIND,
	PROBE_LSM_SOCKET_LISTEN,
	PROBE_LSM_SOCKET_CREATE,
	_PROBE_LSM_MAX,
};

struct probe_result {
	bool btf;	     /* /sys/kernel/btf/vmlinux */
	bool ringbuf;	     /* BPF_MAP_TYPE_RINGBUF loads */
	int ringbuf_error;   /* why not: -EPERM is a missing privilege */
	bool lsm_listed;     /* "bpf" in /sys/kernel/security/lsm */
	bool lsm_list_known; /* securityfs was readable */
	char lsm_list[256];
	bool lsm_ok[_PROBE_LSM_MAX];
	char lsm_reason[_PROBE_LSM_MAX][160];
	/* bpf_task_storage_get() in tracepoint programs (5.11): the open
	 * record is parked in task storage, else in an LRU hash */
	bool task_storage;
	/* file_open loads only without bpf_d_path (5.10 refuses the helper in
	 * BPF-LSM programs): the path comes from the in-program dentry walk.
	 * $CLAWOS_LSM_WALK=1 chooses the walk where bpf_d_path works (tests). */
	bool lsm_fopen_walk;
	char d_path_reason[160];
	/* bpf_timer in syscall programs (5.15): aggregate_window can work.
	 * $CLAWOS_NO_BPF_TIMER=1 says no (tests). */
	bool bpf_timer;
	bool trampoline; /* fentry loads */
	char trampoline_reason[160];
	bool tracefs;
	char tracefs_path[64];
	/* Mounted by the probe because the system had not; left mounted (as
	 * systemd would have it), reported by --probe. */
	bool tracefs_mounted_by_us;
	bool securityfs_mounted_by_us;
	char cgroup2_path[256]; /* "" when there is no cgroup v2 mount */
	/* bit i: hook_tracepoints[i] exists (hook-plan.h) */
	uint64_t tracepoints;
};

/* Runs every probe.  force_no_lsm skips the LSM loads and marks them
 * refused (for tests of the fallbacks and for --no-lsm). */
int probe_kernel(struct probe_result *r, bool force_no_lsm);

/* Whether a tp_btf program can attach to tracepoint NAME: the kernel's BTF
 * has it (and the types the program reads). */
bool probe_btf_tracepoint(const char *name);

/* Whether tracepoint "category/name" exists (needs r->tracefs). */
bool probe_tracepoint(const struct probe_result *r, const char *category, const char *name);

const char *probe_lsm_hook_name(enum probe_lsm_hook h);
int probe_lsm_hook_from_name(const char *name); /* -EINVAL: unknown */

/* The "kernel" object of `--probe --json` (probe-json.c, pure), and back:
 * a probe recorded on one kernel replays on any machine.  probe_from_json
 * returns 0, or -EINVAL with err naming the key that is missing or wrong. */
struct json_object *probe_to_json(const struct probe_result *r);
int probe_from_json(struct json_object *kernel, struct probe_result *r, char *err, size_t err_size);
