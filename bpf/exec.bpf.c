// SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
/*
 * exec: argv is read at sys_enter_execve{,at} (before the old image, and its
 * memory, is gone) and parked per thread; sched_process_exec completes the
 * record with the binary that actually ran, sys_exit reports failures.
 */
#include "common.bpf.h"
#include "path.bpf.h"

#define ARGS_MASK (CLAWOS_EXEC_ARGS_LEN - 1)
#define ARG_READ 512 /* one read; the scratch slot has this much headroom */

_Static_assert((CLAWOS_EXEC_ARGS_LEN & ARGS_MASK) == 0, "args length is a power of two");
_Static_assert(sizeof(union clawos_scratch) >= sizeof(struct clawos_exec_event), "scratch fits exec");

struct exec_scratch {
	struct clawos_exec_event ev;
	char headroom[ARG_READ];
};

static __always_inline void exec_read_args(struct clawos_exec_event *e, const char *const *argv)
{
	__u32 off = 0;
	int i;

	for (i = 0; i < CLAWOS_EXEC_MAX_ARGS; i++) {
		const char *argp = NULL;
		long n;

		if (bpf_probe_read_user(&argp, sizeof(argp), &argv[i]) < 0 || !argp)
			break;
		if (off >= CLAWOS_EXEC_ARGS_LEN) {
			e->flags |= CLAWOS_EXEC_F_ARGS_TRUNCATED;
			break;
		}
		/* keep the mask: clang drops it after the bound check above, and
		 * older verifiers (6.1) then lose track of the pointer */
		barrier_var(off);
		n = bpf_probe_read_user_str(&e->args[off & ARGS_MASK], ARG_READ, argp);
		if (n <= 0)
			break;
		if (n == ARG_READ)
			e->flags |= CLAWOS_EXEC_F_ARGS_TRUNCATED;
		off += n;
		e->argc++;
	}
	if (i == CLAWOS_EXEC_MAX_ARGS) {
		const char *argp = NULL;

		if (bpf_probe_read_user(&argp, sizeof(argp), &argv[i]) == 0 && argp)
			e->flags |= CLAWOS_EXEC_F_ARGS_TRUNCATED;
	}
	if (off > CLAWOS_EXEC_ARGS_LEN) {
		off = CLAWOS_EXEC_ARGS_LEN;
		e->flags |= CLAWOS_EXEC_F_ARGS_TRUNCATED;
	}
	if (off == CLAWOS_EXEC_ARGS_LEN)
		e->args[CLAWOS_EXEC_ARGS_LEN - 1] = '\0';
	e->args_len = off;
}

static __always_inline void exec_begin(const char *filename, const char *const *argv, __u8 flags)
{
	struct clawos_config *cfg = cfg_get();
	struct exec_scratch *s;
	struct clawos_exec_event *e;
	long n;

	/* not the scope: an untracked process may exec into a target */
	if (skip_current_full(cfg, true, false) || !cfg->enable_syscall_tracing)
		return;
	s = scratch_get(0);
	if (!s)
		return;
	e = &s->ev;
	hdr_fill(&e->hdr, CLAWOS_EV_EXEC, sizeof(*e), true);
	e->ret = 0;
	e->argc = 0;
	e->args_len = 0;
	e->flags = flags;
	e->mechanism = CLAWOS_MECH_TRACEPOINT;
	e->old_tid = e->hdr.tid;
	n = bpf_probe_read_user_str(e->filename, sizeof(e->filename), filename);
	if (n < 0)
		e->filename[0] = '\0';
	else if (n == sizeof(e->filename))
		e->flags |= CLAWOS_EXEC_F_FILENAME_TRUNCATED;
	exec_read_args(e, argv);
	bpf_map_update_elem(&clawos_exec_st, &e->hdr.tid, e, BPF_ANY);
}

SEC("tracepoint/syscalls/sys_enter_execve")
int clawos_execve(struct trace_event_raw_sys_enter *ctx)
{
	exec_begin((const char *)ctx->args[0], (const char *const *)ctx->args[1], 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int clawos_execveat(struct trace_event_raw_sys_enter *ctx)
{
	exec_begin((const char *)ctx->args[1], (const char *const *)ctx->args[2], CLAWOS_EXEC_F_EXECVEAT);
	return 0;
}

/* The binary that runs now: mm->exe_file, resolved; the tracepoint's own
 * filename (as passed to exec) when the walk cannot finish. */
static __always_inline void exec_set_binary(struct clawos_exec_event *e, struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	char *buf = scratch_get(1);
	int off = -1;
	long n;

	if (exe && buf)
		off = path_walk(BPF_CORE_READ(exe, f_path.dentry), BPF_CORE_READ(exe, f_path.mnt), buf);
	if (off >= 0 && buf) {
		n = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), &buf[off & (CLAWOS_PATH_HALF - 1)]);
	} else {
		unsigned int loc = ctx->__data_loc_filename & 0xFFFF;

		n = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (void *)ctx + loc);
	}
	if (n == sizeof(e->filename))
		e->flags |= CLAWOS_EXEC_F_FILENAME_TRUNCATED;
	else if (n > 0)
		e->flags &= ~CLAWOS_EXEC_F_FILENAME_TRUNCATED;
}

/* After exec: does the process become a target by what it now runs? */
static __always_inline __u32 *target_match(const struct clawos_config *cfg)
{
	__u32 *session = NULL;

	if (cfg->flags & CLAWOS_CFG_TARGET_COMM) {
		char comm[CLAWOS_COMM_LEN] = {};

		bpf_get_current_comm(comm, sizeof(comm));
		session = bpf_map_lookup_elem(&clawos_t_comm, comm);
	}
	if (!session && (cfg->flags & CLAWOS_CFG_TARGET_EXE)) {
		struct clawos_exe_key k = {};

		if (current_exe_key(&k))
			session = bpf_map_lookup_elem(&clawos_t_exe, &k);
	}
	if (!session && (cfg->flags & CLAWOS_CFG_TARGET_CGROUP)) {
		__u64 id = bpf_get_current_cgroup_id();

		session = bpf_map_lookup_elem(&clawos_t_cgrp, &id);
	}
	return session;
}

static __always_inline void target_on_exec(const struct clawos_config *cfg)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, *session;
	struct clawos_tracked t;

	if (!(cfg->flags & (CLAWOS_CFG_TARGET_COMM | CLAWOS_CFG_TARGET_EXE | CLAWOS_CFG_TARGET_CGROUP)))
		return;
	if (is_tracked(tgid))
		return; /* already in a tree: keep its root */
	session = target_match(cfg);
	if (!session)
		return;
	t.root_pid = tgid;
	t.session = *session;
	bpf_map_update_elem(&clawos_tracked, &tgid, &t, BPF_ANY);
}

SEC("tracepoint/sched/sched_process_exec")
int clawos_sched_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct clawos_config *cfg = cfg_get();
	__u32 old = ctx->old_pid, tgid = bpf_get_current_pid_tgid() >> 32;
	struct clawos_exec_event *e = bpf_map_lookup_elem(&clawos_exec_st, &old);
	__u32 ppid;

	if (!cfg)
		return 0;
	target_on_exec(cfg);
	if (!e)
		return 0;
	if ((cfg->flags & CLAWOS_CFG_SCOPE_TARGETS) && !is_tracked(tgid)) {
		bpf_map_delete_elem(&clawos_exec_st, &old);
		return 0;
	}
	ppid = e->hdr.ppid;
	/* comm, credentials and the thread id change across exec */
	hdr_fill(&e->hdr, CLAWOS_EV_EXEC, sizeof(*e), true);
	if (!e->hdr.ppid)
		e->hdr.ppid = ppid;
	e->old_tid = old;
	e->ret = 0;
	exec_set_binary(e, ctx);
	emit_copy(e, sizeof(*e), CLAWOS_EV_EXEC);
	bpf_map_delete_elem(&clawos_exec_st, &old);
	return 0;
}

static __always_inline void exec_end(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct clawos_exec_event *e = bpf_map_lookup_elem(&clawos_exec_st, &tid);

	if (!e)
		return;
	struct clawos_config *cfg = cfg_get();
	bool in_scope = cfg && (!(cfg->flags & CLAWOS_CFG_SCOPE_TARGETS) || is_tracked(e->hdr.pid));

	if (ret < 0 && in_scope) {
		e->ret = ret;
		e->flags |= CLAWOS_EXEC_F_FAILED;
		emit_copy(e, sizeof(*e), CLAWOS_EV_EXEC);
	}
	bpf_map_delete_elem(&clawos_exec_st, &tid);
}

SEC("tracepoint/syscalls/sys_exit_execve")
int clawos_execve_x(struct trace_event_raw_sys_exit *ctx)
{
	exec_end(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int clawos_execat_x(struct trace_event_raw_sys_exit *ctx)
{
	exec_end(ctx->ret);
	return 0;
}
