// SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
/*
 * Process trees: fork and exit records for the user-space process table, and
 * the clawos_tracked map that follows an AI agent (a target) and every
 * descendant, in the kernel, so that `scope = targets` filters before any
 * record is made.  A target starts when a process execs a binary, or with a
 * comm or in a cgroup, named in [target], or when `clawos-ebpf watch`
 * registers itself.
 */
#include "common.bpf.h"

static __always_inline void proc_emit(__u8 op, __u32 child, __s32 code)
{
	struct clawos_proc_event *e = record_reserve(CLAWOS_EV_PROC, sizeof(*e), true);

	if (!e)
		return;
	e->op = op;
	e->reserved0[0] = e->reserved0[1] = e->reserved0[2] = 0;
	e->child_pid = child;
	e->exit_code = code;
	e->reserved1 = 0;
	bpf_ringbuf_submit(e, 0);
}

SEC("tracepoint/sched/sched_process_fork")
int clawos_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	struct clawos_config *cfg = cfg_get();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, child = ctx->child_pid;
	struct clawos_tracked *t = bpf_map_lookup_elem(&clawos_tracked, &tgid);

	if (t) {
		struct clawos_tracked copy = *t;

		bpf_map_update_elem(&clawos_tracked, &child, &copy, BPF_ANY);
	}
	if (!skip_current(cfg) && cfg->enable_syscall_tracing)
		proc_emit(CLAWOS_PROC_FORK, child, 0);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int clawos_exit(struct trace_event_raw_sched_process_template *ctx)
{
	struct clawos_config *cfg = cfg_get();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid, tgid = pid_tgid >> 32;

	if (tid != tgid) { /* a thread, not the process */
		bpf_map_delete_elem(&clawos_tracked, &tid);
		return 0;
	}
	if (!skip_current(cfg) && cfg->enable_syscall_tracing) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();

		proc_emit(CLAWOS_PROC_EXIT, 0, BPF_CORE_READ(task, exit_code));
	}
	bpf_map_delete_elem(&clawos_tracked, &tgid);
	return 0;
}
