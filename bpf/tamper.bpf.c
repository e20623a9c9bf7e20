/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Attempts to blind the agent, raised as tamper anomalies by the kernel:
 * bpf() by another process (loading programs, touching maps, detaching
 * links, or just listing them), ptrace of the agent, SIGKILL/SIGSTOP/SIGTERM/
 * SIGINT sent to it, renames and unlinks of its files, kernel module loads.
 * PID 1 (the service manager) is not reported: it stops, restarts and
 * manages cgroup BPF programs as part of its job.  A per-process limit of
 * one record per second keeps a burst (bpftool walks every object with
 * hundreds of bpf() calls) from flooding the ring buffer; user space
 * deduplicates further.
 */
#include "common.bpf.h"
#include "path.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);   /* tgid << 32 | rule */
	__type(value, __u64); /* last report, ns */
} clawos_tamper_rl SEC(".maps");

/* Pinned by user space; see struct clawos_kill_record. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clawos_kill_record);
} clawos_killlog SEC(".maps");

/* The agent's threads (tids): filled by user space at start; agent threads
 * born later are added at fork (clawos_agent_thread). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u8);
} clawos_agent_tids SEC(".maps");

enum tamper_rule {
	TAMPER_BPF = 1,
	TAMPER_PTRACE = 2,
	TAMPER_SIGNAL = 3,
	TAMPER_FILE = 4,
	TAMPER_MODULE = 5,
	TAMPER_MAP = 6,
};

/* NULL when this process must not or need not be reported now. */
static __always_inline struct clawos_config *tamper_cfg(__u32 rule)
{
	struct clawos_config *cfg = cfg_get();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 key = ((__u64)tgid << 32) | rule, now = bpf_ktime_get_ns(), *last;

	if (!cfg || !cfg->agent_tgid || tgid == cfg->agent_tgid || tgid == 1)
		return NULL;
	last = bpf_map_lookup_elem(&clawos_tamper_rl, &key);
	if (last && now - *last < NSEC_PER_SEC)
		return NULL;
	bpf_map_update_elem(&clawos_tamper_rl, &key, &now, BPF_ANY);
	return cfg;
}

/* A write to one of the agent's maps: critical, never hidden behind the
 * once-a-second limit of bpf_syscall (the lookups before it would use it) */
static __always_inline bool tamper_agent_map(struct trace_event_raw_sys_enter *ctx)
{
	struct clawos_config *cfg = cfg_get();
	struct clawos_anomaly_event *a;
	__u32 id;

	if (map_write_fd_off(ctx->args[0]) < 0 || !cfg || !cfg->agent_tgid ||
	    (bpf_get_current_pid_tgid() >> 32) == cfg->agent_tgid)
		return false;
	id = bpf_agent_map_written(ctx->args[0], (const void *)ctx->args[1]);
	if (!id || !tamper_cfg(TAMPER_MAP))
		return false;
	a = anomaly_begin(CLAWOS_ANOMALY_TAMPER, CLAWOS_SEV_CRITICAL, "agent_map");
	if (!a)
		return false;
	a->observed = ctx->args[0];
	a->threshold = id;
	bpf_ringbuf_submit(a, 0);
	return true;
}

SEC("tracepoint/syscalls/sys_enter_bpf")
int clawos_tp_bpf(struct trace_event_raw_sys_enter *ctx)
{
	struct clawos_anomaly_event *a;

	if (tamper_agent_map(ctx) || !tamper_cfg(TAMPER_BPF))
		return 0;
	a = anomaly_begin(CLAWOS_ANOMALY_TAMPER, CLAWOS_SEV_HIGH, "bpf_syscall");
	if (!a)
		return 0;
	a->observed = ctx->args[0]; /* the bpf(2) command */
	bpf_ringbuf_submit(a, 0);
	return 0;
}

/* The agent's process or any of its threads (ptrace takes a tid). */
static __always_inline bool is_agent_task(const struct clawos_config *cfg, __u32 tid)
{
	return tid == cfg->agent_tgid || bpf_map_lookup_elem(&clawos_agent_tids, &tid) != NULL;
}

SEC("tracepoint/syscalls/sys_enter_ptrace")
int clawos_tp_ptrace(struct trace_event_raw_sys_enter *ctx)
{
	struct clawos_config *cfg = cfg_get();
	struct clawos_anomaly_event *a;

	if (!cfg || !is_agent_task(cfg, (__u32)ctx->args[1]) || !tamper_cfg(TAMPER_PTRACE))
		return 0;
	a = anomaly_begin(CLAWOS_ANOMALY_TAMPER, CLAWOS_SEV_CRITICAL, "ptrace_agent");
	if (!a)
		return 0;
	a->observed = ctx->args[0];	    /* the ptrace(2) request */
	a->threshold = (__u32)ctx->args[1]; /* the thread */
	bpf_ringbuf_submit(a, 0);
	return 0;
}

/* arch/x86/include/uapi/asm/signal.h: vmlinux.h carries no macros */
#define SIGINT 2
#define SIGKILL 9
#define SIGTERM 15
#define SIGSTOP 19

/* tp_btf: the target task itself, so a signal to any of the agent's
 * threads (tgkill, a tid) counts as one to the agent. */
SEC("tp_btf/signal_generate")
int BPF_PROG(clawos_tp_signal, int sig, struct kernel_siginfo *info, struct task_struct *task, int group, int result)
{
	struct clawos_config *cfg = cfg_get();
	struct clawos_anomaly_event *a;

	if (!cfg || !cfg->agent_tgid || (__u32)task->tgid != cfg->agent_tgid)
		return 0;
	if (sig != SIGKILL && sig != SIGSTOP && sig != SIGTERM && sig != SIGINT)
		return 0;
	if (sig == SIGKILL && (bpf_get_current_pid_tgid() >> 32) != cfg->agent_tgid) {
		__u32 zero = 0;
		struct clawos_kill_record *k = bpf_map_lookup_elem(&clawos_killlog, &zero);

		if (k) {
			k->ts_ns = bpf_ktime_get_boot_ns();
			k->sender_pid = bpf_get_current_pid_tgid() >> 32;
			k->sender_uid = (__u32)bpf_get_current_uid_gid();
			k->target_pid = cfg->agent_tgid;
			k->sig = sig;
			bpf_get_current_comm(k->comm, sizeof(k->comm));
		}
	}
	if (!tamper_cfg(TAMPER_SIGNAL))
		return 0;
	a = anomaly_begin(CLAWOS_ANOMALY_TAMPER, sig == SIGTERM || sig == SIGINT ? CLAWOS_SEV_MEDIUM : CLAWOS_SEV_HIGH,
			  "signal_agent");
	if (!a)
		return 0;
	a->observed = sig;
	a->threshold = (__u32)task->pid; /* the thread it was sent to */
	bpf_ringbuf_submit(a, 0);
	return 0;
}

/* New threads of the agent (libraries may start some): known by tid. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(clawos_agent_thread, struct task_struct *parent, struct task_struct *child)
{
	struct clawos_config *cfg = cfg_get();
	__u32 tid = child->pid;
	__u8 one = 1;

	if (cfg && cfg->agent_tgid && (__u32)child->tgid == cfg->agent_tgid && tid != cfg->agent_tgid)
		bpf_map_update_elem(&clawos_agent_tids, &tid, &one, BPF_ANY);
	return 0;
}

/* ... and forgotten when they end: a tid is reused by other processes. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(clawos_agent_thread_x, struct task_struct *task)
{
	struct clawos_config *cfg = cfg_get();
	__u32 tid = task->pid;

	if (cfg && cfg->agent_tgid && (__u32)task->tgid == cfg->agent_tgid)
		bpf_map_delete_elem(&clawos_agent_tids, &tid);
	return 0;
}

static __always_inline void tamper_module(const char *rule_unused)
{
	struct clawos_anomaly_event *a;

	if (!tamper_cfg(TAMPER_MODULE))
		return;
	a = anomaly_begin(CLAWOS_ANOMALY_TAMPER, CLAWOS_SEV_HIGH, "kernel_module");
	if (a)
		bpf_ringbuf_submit(a, 0);
}

SEC("tracepoint/syscalls/sys_enter_init_module")
int clawos_tp_initmod(void *ctx)
{
	tamper_module(NULL);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_finit_module")
int clawos_tp_finitmod(void *ctx)
{
	tamper_module(NULL);
	return 0;
}

#define KILLLOG_PATH "/sys/fs/bpf/clawos_killlog"

static __always_inline bool is_killlog(const char *p)
{
	const char want[] = KILLLOG_PATH;

	for (int i = 0; i < (int)sizeof(want); i++)
		if (p[i] != want[i])
			return false;
	return true;
}

static __always_inline bool is_agent_comm(const char *c)
{
	const char want[] = "clawos-ebpf";

	for (int i = 0; i < (int)sizeof(want); i++)
		if (c[i] != want[i])
			return false;
	return true;
}

/* unlink/rename of one of the agent's files (clawos_protect, AGENT bit). */
static __always_inline void tamper_path(int dirfd, const char *upath, __u64 op)
{
	struct clawos_config *cfg = cfg_get();
	struct clawos_prefix_key *k;
	struct clawos_anomaly_event *a;
	__u32 zero = 0;
	__u8 *v;
	long n;

	if (!cfg || !cfg->agent_tgid || (bpf_get_current_pid_tgid() >> 32) == cfg->agent_tgid)
		return;
	k = bpf_map_lookup_elem(&clawos_prefix_scratch, &zero);
	if (!k)
		return;
	n = bpf_probe_read_user_str(k->path, sizeof(k->path), upath);
	if (n <= 1 || k->path[0] != '/') /* relative names: not resolved here */
		return;
	k->prefixlen = n * 8; /* with the NUL: exact entries end in one */
	/* the pinned kill log (bpf-loader.c): removing it hides the next
	 * SIGKILL, whatever the protected entries say */
	if (n == sizeof(KILLLOG_PATH) && is_killlog(k->path)) {
		char comm[CLAWOS_COMM_LEN] = {};

		/* another instance of the agent removes it at a clean stop
		 * (several run on test machines); only root can remove it */
		bpf_get_current_comm(comm, sizeof(comm));
		if (is_agent_comm(comm) || !tamper_cfg(TAMPER_FILE))
			return;
	} else {
		if (!(cfg->flags & CLAWOS_CFG_PROTECT))
			return;
		v = bpf_map_lookup_elem(&clawos_protect, k);
		if (!v || !(*v & CLAWOS_PROTECT_V_AGENT) || !tamper_cfg(TAMPER_FILE))
			return;
	}
	a = anomaly_begin(CLAWOS_ANOMALY_TAMPER, CLAWOS_SEV_HIGH, "agent_file");
	if (!a)
		return;
	a->observed = op;
	bpf_probe_read_kernel_str(a->subject, sizeof(a->subject), k->path);
	bpf_ringbuf_submit(a, 0);
}

SEC("tracepoint/syscalls/sys_enter_unlinkat")
int clawos_tp_unlinkat(struct trace_event_raw_sys_enter *ctx)
{
	tamper_path((int)ctx->args[0], (const char *)ctx->args[1], 263);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_renameat2")
int clawos_tp_rename2(struct trace_event_raw_sys_enter *ctx)
{
	/* the destination matters too: replacing the config by rename */
	tamper_path((int)ctx->args[0], (const char *)ctx->args[1], 316);
	tamper_path((int)ctx->args[2], (const char *)ctx->args[3], 316);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_rename")
int clawos_tp_rename(struct trace_event_raw_sys_enter *ctx)
{
	tamper_path(AT_FDCWD_VALUE, (const char *)ctx->args[0], 82);
	tamper_path(AT_FDCWD_VALUE, (const char *)ctx->args[1], 82);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_unlink")
int clawos_tp_unlink(struct trace_event_raw_sys_enter *ctx)
{
	tamper_path(AT_FDCWD_VALUE, (const char *)ctx->args[0], 87);
	return 0;
}
