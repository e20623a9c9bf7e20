/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * 32-bit system calls (int $0x80, or a 32-bit binary) pass no syscalls:*
 * tracepoint: ftrace ignores compat system calls.  raw_syscalls:sys_enter
 * sees every system call of every ABI, so this program tells the compat ones
 * apart (TS_COMPAT in thread_info, set for the call's duration) and raises
 * an evasion anomaly, rule compat_syscall: observed is the i386 number, the
 * subject the path it names; a protected path also raises file_violation.
 * A 64-bit process using int $0x80 is reported for every system call
 * (HIGH); a 32-bit process only for the calls the agent records for 64-bit
 * ones (LOW).  Once a second per process and call at most.  Exec needs no
 * help here: sched_process_exec records it (exec.bpf.c).
 *
 * Every system call of the host runs this: one load and one test for a
 * 64-bit call (tp_btf reads the task directly, no helper).
 */
#include "common.bpf.h"

#define TS_COMPAT 0x0002	   /* arch/x86/include/asm/thread_info.h */
#define MM_CONTEXT_UPROBE_IA32 0x1 /* bit 0 of mm->context.flags: a 32-bit image */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);   /* tgid << 32 | nr */
	__type(value, __u64); /* last report, ns */
} clawos_compat_rl SEC(".maps");

/* i386 numbers (arch/x86/entry/syscalls/syscall_32.tbl) */
enum {
	I386_OPEN = 5,
	I386_CREAT = 8,
	I386_LINK = 9,
	I386_UNLINK = 10,
	I386_EXECVE = 11,
	I386_CHMOD = 15,
	I386_PTRACE = 26,
	I386_KILL = 37,
	I386_RENAME = 38,
	I386_MKDIR = 39,
	I386_RMDIR = 40,
	I386_TRUNCATE = 92,
	I386_SOCKETCALL = 102,
	I386_INIT_MODULE = 128,
	I386_TKILL = 238,
	I386_TGKILL = 270,
	I386_OPENAT = 295,
	I386_UNLINKAT = 301,
	I386_RENAMEAT = 302,
	I386_FINIT_MODULE = 350,
	I386_RENAMEAT2 = 353,
	I386_BPF = 357,
	I386_EXECVEAT = 358,
	I386_CONNECT = 362,
	I386_IO_URING_SETUP = 425,
	I386_OPENAT2 = 437,
};

/* Where the call's path is: 1 first argument, 2 second, 0 none. */
static __always_inline int compat_path_arg(long nr)
{
	switch (nr) {
	case I386_OPEN:
	case I386_CREAT:
	case I386_LINK:
	case I386_UNLINK:
	case I386_EXECVE:
	case I386_CHMOD:
	case I386_RENAME:
	case I386_MKDIR:
	case I386_RMDIR:
	case I386_TRUNCATE:
		return 1;
	case I386_OPENAT:
	case I386_UNLINKAT:
	case I386_RENAMEAT:
	case I386_RENAMEAT2:
	case I386_EXECVEAT:
	case I386_OPENAT2:
		return 2;
	default:
		return 0;
	}
}

static __always_inline bool compat_watched(long nr)
{
	switch (nr) {
	case I386_PTRACE:
	case I386_KILL:
	case I386_SOCKETCALL:
	case I386_INIT_MODULE:
	case I386_TKILL:
	case I386_TGKILL:
	case I386_FINIT_MODULE:
	case I386_BPF:
	case I386_CONNECT:
	case I386_IO_URING_SETUP:
		return true;
	default:
		return compat_path_arg(nr) != 0;
	}
}

/* connect(2) or socketcall(SYS_CONNECT): the IPv4 or IPv6 peer, raw, in
 * top[] (top_len stays 0; user space turns it into the subject). */
static __always_inline void compat_sockaddr(struct clawos_anomaly_event *a, struct pt_regs *regs, long nr)
{
	__u64 addr = 0;

	if (nr == I386_CONNECT) {
		addr = (__u32)regs->cx;
	} else {
		__u32 args[2] = {};

		if ((__u32)regs->bx != 3 /* SYS_CONNECT */ ||
		    bpf_probe_read_user(args, sizeof(args), (void *)(__u64)(__u32)regs->cx) < 0)
			return;
		addr = args[1];
	}
	bpf_probe_read_user(a->top, 28, (void *)addr); /* sockaddr_in6 at most */
}

static __always_inline void compat_violation(const struct clawos_config *cfg, struct clawos_anomaly_event *c)
{
	struct clawos_anomaly_event *a;

	if (!protect_read_denied(cfg, c->subject))
		return;
	a = anomaly_begin(CLAWOS_ANOMALY_FILE_VIOLATION, CLAWOS_SEV_HIGH, "protected_path");
	if (!a)
		return;
	a->observed = c->observed;
	bpf_probe_read_kernel_str(a->subject, sizeof(a->subject), c->subject);
	bpf_ringbuf_submit(a, 0);
}

static __noinline int compat_report(struct pt_regs *regs, long nr)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task(); /* no _btf() before 5.11 */
	struct clawos_config *cfg = cfg_get();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 key = ((__u64)tgid << 32) | (__u32)nr, now = bpf_ktime_get_ns(), *last;
	bool ia32;
	struct clawos_anomaly_event *a;
	__u8 sev;
	__u32 agent_map = 0;
	int which;

	/* a 32-bit program (vs int $0x80 from a 64-bit one): the mm's flag from
	 * 5.11, TIF_IA32 (bit 17 of the thread flags) before */
	if (bpf_core_field_exists(((struct mm_struct *)0)->context.flags))
		ia32 = BPF_CORE_READ(task, mm, context.flags) & MM_CONTEXT_UPROBE_IA32;
	else
		ia32 = BPF_CORE_READ(task, thread_info.flags) & (1UL << 17);
	sev = ia32 ? CLAWOS_SEV_LOW : CLAWOS_SEV_HIGH;
	if (!cfg || !cfg->agent_tgid || tgid == cfg->agent_tgid || (ia32 && !compat_watched(nr)))
		return 0;
	if (skip_current(cfg))
		return 0;
	last = bpf_map_lookup_elem(&clawos_compat_rl, &key);
	if (last && now - *last < NSEC_PER_SEC)
		return 0;
	bpf_map_update_elem(&clawos_compat_rl, &key, &now, BPF_ANY);
	if ((nr == I386_KILL || nr == I386_TKILL || nr == I386_TGKILL) && (__u32)regs->bx == cfg->agent_tgid)
		sev = CLAWOS_SEV_CRITICAL;
	if (nr == I386_PTRACE && (__u32)regs->cx == cfg->agent_tgid)
		sev = CLAWOS_SEV_CRITICAL;
	/* bpf() through int $0x80 writing to one of the agent's maps */
	if (nr == I386_BPF && (agent_map = bpf_agent_map_written((__u32)regs->bx, (void *)(__u64)(__u32)regs->cx)))
		sev = CLAWOS_SEV_CRITICAL;
	a = anomaly_begin(CLAWOS_ANOMALY_EVASION, sev, "compat_syscall");
	if (!a)
		return 0;
	a->observed = (__u32)nr;
	a->threshold = ia32; /* 1: a 32-bit program, 0: int $0x80 from a 64-bit one */
	which = compat_path_arg(nr);
	if (which)
		bpf_probe_read_user_str(a->subject, sizeof(a->subject),
					(void *)(__u64)(__u32)(which == 1 ? regs->bx : regs->cx));
	else if (nr == I386_CONNECT || nr == I386_SOCKETCALL)
		compat_sockaddr(a, regs, nr);
	else if (agent_map) /* the subject: "agent map ID" (user space words it) */
		a->top[0].nr = agent_map;
	compat_violation(cfg, a);
	bpf_ringbuf_submit(a, 0);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(clawos_compat, struct pt_regs *regs, long id)
{
	if (!(bpf_get_current_task_btf()->thread_info.status & TS_COMPAT))
		return 0;
	return compat_report(regs, id);
}

/* Before 5.11 there is no bpf_get_current_task_btf(): the same test with a
 * CO-RE read (the loader picks the "_h" program on kernels without task
 * storage for tracing programs, which came in the same release). */
SEC("tp_btf/sys_enter")
int BPF_PROG(clawos_compat_h, struct pt_regs *regs, long id)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	if (!(BPF_CORE_READ(t, thread_info.status) & TS_COMPAT))
		return 0;
	return compat_report(regs, id);
}
