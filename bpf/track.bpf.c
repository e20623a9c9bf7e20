/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Process trees: fork and exit records for the user-space process table, and
 * the clawos_tracked map that follows an AI agent (a target) and every
 * descendant, in the kernel, so that `scope = targets` filters before any
 * record is made.  A target starts when a process execs a binary, or with a
 * comm or in a cgroup, named in [target], or when `clawos-ebpf watch`
 * registers itself.
 *
 * The map is keyed by process (tgid), never by thread: a new thread is not
 * a new process (fork comes as tp_btf, which tells them apart), and only the
 * death of the whole thread group removes an entry, so that a leader calling
 * pthread_exit() or a secondary thread calling execve() (whose old leader
 * dies in de_thread()) leave the process in its tree.  A full map is
 * counted and raised as an evasion anomaly, once a second at most.
 */
#include "common.bpf.h"

/* Index 0: new processes of a tracked tree that found the map full;
 * index 1: untrusted processes (LD_PRELOAD...) that found theirs full. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} clawos_track_full SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64); /* last report, ns */
} clawos_track_rl SEC(".maps");

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

/* Before 6.5 the map operations the JIT calls directly returned int: the
 * upper half of the 64-bit result is not a sign (on 6.1 -E2BIG read as
 * 4294967289), so the error is tested on the low 32 bits. */
static __always_inline bool map_update_failed(long r)
{
	return (int)r < 0;
}

static __always_inline void track_count(__u32 idx)
{
	__u64 *n = bpf_map_lookup_elem(&clawos_track_full, &idx);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/* The anomaly, at most once a second (the count is exact in the stats). */
static __noinline void track_full_report(__u32 which, __u32 child, __u32 root)
{
	__u64 now = bpf_ktime_get_ns(), *last;
	struct clawos_anomaly_event *a;
	__u32 zero = 0;

	last = bpf_map_lookup_elem(&clawos_track_rl, &zero);
	if (!last || now - *last < NSEC_PER_SEC)
		return;
	*last = now;
	a = anomaly_begin(CLAWOS_ANOMALY_EVASION, CLAWOS_SEV_HIGH, "tracked_map_full");
	if (!a)
		return;
	a->observed = child;
	a->threshold = which; /* which map: 0 tracked, 1 untrusted */
	a->target_root_pid = root;
	bpf_ringbuf_submit(a, 0);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(clawos_fork, struct task_struct *parent, struct task_struct *child)
{
	struct clawos_config *cfg = cfg_get();
	__u32 tgid = parent->tgid, cpid = child->pid;
	struct clawos_tracked *t;
	__u32 *u;

	if (child->tgid == tgid)
		return 0; /* a thread of the same process */
	t = bpf_map_lookup_elem(&clawos_tracked, &tgid);
	if (t) {
		struct clawos_tracked copy = *t;

		if (map_update_failed(bpf_map_update_elem(&clawos_tracked, &cpid, &copy, BPF_ANY))) {
			track_count(0);
			track_full_report(0, cpid, copy.root_pid);
		}
	}
	u = bpf_map_lookup_elem(&clawos_untrusted, &tgid);
	if (u) {
		__u32 bits = *u;

		if (map_update_failed(bpf_map_update_elem(&clawos_untrusted, &cpid, &bits, BPF_ANY))) {
			track_count(1);
			track_full_report(1, cpid, 0);
		}
	}
	if (!skip_current(cfg) && cfg->enable_syscall_tracing)
		proc_emit(CLAWOS_PROC_FORK, cpid, 0);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int clawos_exit(struct trace_event_raw_sched_process_template *ctx)
{
	struct clawos_config *cfg = cfg_get();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	/* do_exit() has counted this thread out of signal->live already: the
	 * process ends only with its last thread, whichever that is */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	if (!skip_current(cfg) && cfg->enable_syscall_tracing)
		proc_emit(CLAWOS_PROC_EXIT, 0, BPF_CORE_READ(task, exit_code));
	bpf_map_delete_elem(&clawos_tracked, &tgid);
	bpf_map_delete_elem(&clawos_untrusted, &tgid);
	return 0;
}
