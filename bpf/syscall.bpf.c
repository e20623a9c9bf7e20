/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Every syscall of every task passes here, so this is the hottest program:
 * one array lookup and a few stores per syscall, no ring-buffer traffic.
 *  - syscall_rate: a count per process (an LRU hash keyed by tgid: two
 *    processes never share a counter) in one-second windows; when a
 *    window closes over syscall_anomaly_threshold (the process's first
 *    syscall in a later second), or the process calls exit_group() with
 *    its window over it (a burst then exit: no later syscall closes that
 *    window), the kernel raises the anomaly itself, with the top syscalls
 *    (space-saving counts, CLAWOS_ANOMALY_TOP of them).  Not seen: a
 *    burst followed by death from a signal, or by a syscall that never
 *    returns.
 *  - trace_target_syscalls: every syscall of a tracked process as a
 *    SyscallTraceEvent.
 */
#include "common.bpf.h"

#define RATE_SLOTS 8192
#define NR_EXIT_GROUP 231 /* x86_64 (the only target, __TARGET_ARCH_x86) */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RATE_SLOTS);
	__type(key, __u32);
	__type(value, struct clawos_rate_slot);
} clawos_rate SEC(".maps");

static __always_inline void rate_top_add(struct clawos_rate_slot *s, __u32 nr)
{
	int min_i = 0;

	for (int i = 0; i < CLAWOS_ANOMALY_TOP; i++) {
		if (s->top[i].nr == nr && s->top[i].count) {
			s->top[i].count++;
			return;
		}
		if (s->top[i].count < s->top[min_i].count)
			min_i = i;
	}
	/* space-saving: the least counted entry gives way, keeping its count */
	s->top[min_i & (CLAWOS_ANOMALY_TOP - 1)].nr = nr;
	s->top[min_i & (CLAWOS_ANOMALY_TOP - 1)].count++;
}

static __always_inline void rate_report(const struct clawos_rate_slot *s, __u32 threshold)
{
	struct clawos_anomaly_event *a = anomaly_begin(CLAWOS_ANOMALY_SYSCALL_RATE, CLAWOS_SEV_MEDIUM, "syscall_rate");

	if (!a)
		return;
	a->observed = s->count;
	a->threshold = threshold;
	a->top_len = CLAWOS_ANOMALY_TOP; /* empty slots have count 0 */
	for (int i = 0; i < CLAWOS_ANOMALY_TOP; i++)
		a->top[i] = s->top[i];
	bpf_ringbuf_submit(a, 0);
}

static __always_inline void rate_count(const struct clawos_config *cfg, __u32 tgid, __u32 nr)
{
	struct clawos_rate_slot *s = bpf_map_lookup_elem(&clawos_rate, &tgid);
	__u64 window = bpf_ktime_get_ns() / NSEC_PER_SEC;

	if (!s) {
		struct clawos_rate_slot fresh = {.tgid = tgid, .window = window};

		/* the least recently used process gives way */
		bpf_map_update_elem(&clawos_rate, &tgid, &fresh, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&clawos_rate, &tgid);
		if (!s)
			return;
	}
	if (s->window != window) {
		/* the window closed: report it if it was over */
		if (s->count > cfg->syscall_anomaly_threshold)
			rate_report(s, cfg->syscall_anomaly_threshold);
		s->window = window;
		s->count = 0;
		for (int i = 0; i < CLAWOS_ANOMALY_TOP; i++)
			s->top[i].count = 0;
	}
	s->count++;
	rate_top_add(s, nr);
	if (nr == NR_EXIT_GROUP) {
		if (s->count > cfg->syscall_anomaly_threshold)
			rate_report(s, cfg->syscall_anomaly_threshold);
		bpf_map_delete_elem(&clawos_rate, &tgid);
	}
}

static __always_inline void trace_syscall(struct trace_event_raw_sys_enter *ctx)
{
	struct clawos_syscall_event *e = record_reserve(CLAWOS_EV_SYSCALL, sizeof(*e), true);

	if (!e)
		return;
	e->nr = (__u32)ctx->id;
	e->nargs = CLAWOS_SYSCALL_ARGS;
	e->mechanism = CLAWOS_MECH_TRACEPOINT;
	e->reserved = 0;
	/* context fields one by one: the verifier refuses a derived pointer */
	e->args[0] = ctx->args[0];
	e->args[1] = ctx->args[1];
	e->args[2] = ctx->args[2];
	e->args[3] = ctx->args[3];
	bpf_ringbuf_submit(e, 0);
}

SEC("tracepoint/raw_syscalls/sys_enter")
int clawos_sys_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct clawos_config *cfg = cfg_get();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!cfg || !cfg->agent_tgid || tgid == cfg->agent_tgid || !cfg->enable_syscall_tracing)
		return 0;
	if (ctx->id < 0)
		return 0;
	/* the common case, no targets and rate for targets only: nothing */
	if (cfg->flags & CLAWOS_CFG_RATE_ALL) {
		rate_count(cfg, tgid, (__u32)ctx->id);
		if (!(cfg->flags & CLAWOS_CFG_TRACE_TARGETS))
			return 0;
	}
	if (!(cfg->flags & CLAWOS_CFG_HAVE_TRACKED) || !is_tracked(tgid))
		return 0;
	if (!(cfg->flags & CLAWOS_CFG_RATE_ALL))
		rate_count(cfg, tgid, (__u32)ctx->id);
	if (cfg->flags & CLAWOS_CFG_TRACE_TARGETS)
		trace_syscall(ctx);
	return 0;
}
