// SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
/*
 * open: the path is copied at syscall entry (what the caller asked for, read
 * before the syscall can race with a change of the user buffer) and parked
 * per thread; sys_exit adds the result and emits.  Relative paths are joined
 * to the cwd or dirfd here, in the kernel, because the process may be gone
 * before user space could look at /proc.  With BPF-LSM, file_open replaces
 * the parked path with bpf_d_path()'s fully resolved one (file-lsm.bpf.c).
 */
#include "common.bpf.h"
#include "path.bpf.h"

#define HALF_MASK (CLAWOS_PATH_HALF - 1)

static __always_inline void open_resolve_relative(struct clawos_file_event *e, int dirfd, const char *upath)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	char *buf = scratch_get(1);
	int off;
	long n;

	if (!buf)
		return;
	off = path_walk_base(task, dirfd, buf);
	if (off < 0)
		return; /* keep the relative name; user space reports it as such */
	buf[CLAWOS_PATH_HALF - 1] = '/';
	if (off == CLAWOS_PATH_HALF - 2)
		off++; /* base is "/": do not double the slash */
	if (bpf_probe_read_user_str(&buf[CLAWOS_PATH_HALF], 256, upath) <= 0)
		return;
	n = bpf_probe_read_kernel_str(e->path, sizeof(e->path), &buf[off & HALF_MASK]);
	if (n <= 0)
		return;
	e->path_len = n;
	e->path_flags |= CLAWOS_PATH_F_RESOLVED;
	if (n == sizeof(e->path))
		e->path_flags |= CLAWOS_PATH_F_TRUNCATED;
}

static __always_inline void open_begin(int dirfd, const char *upath, __u32 flags, __u16 mode, __u8 pflags)
{
	struct clawos_config *cfg = cfg_get();
	struct clawos_file_event *e;
	bool wanted;
	long n;

	if (!cfg || !cfg->agent_tgid || (bpf_get_current_pid_tgid() >> 32) == cfg->agent_tgid)
		return;
	/* protected paths are checked whatever the filters and switches say */
	wanted = !skip_current(cfg) && cfg->enable_file_monitoring;
	if (!wanted && !(cfg->flags & CLAWOS_CFG_PROTECT))
		return;
	e = scratch_get(0);
	if (!e)
		return;
	hdr_fill(&e->hdr, CLAWOS_EV_FILE, sizeof(*e), true);
	e->ret = 0;
	e->dirfd = dirfd;
	e->flags = flags;
	e->mode = mode;
	e->op = CLAWOS_FILE_OP_OPEN;
	e->mechanism = CLAWOS_MECH_TRACEPOINT;
	e->path_flags = pflags;
	e->verdict = CLAWOS_VERDICT_ALLOW;
	e->reserved = 0;
	e->path_len = 0;
	n = bpf_probe_read_user_str(e->path, sizeof(e->path), upath);
	if (n <= 0) {
		e->path[0] = '\0';
		e->path_flags |= CLAWOS_PATH_F_FAULT;
	} else {
		e->path_len = n;
		if (n == sizeof(e->path))
			e->path_flags |= CLAWOS_PATH_F_TRUNCATED;
		if (e->path[0] != '/')
			open_resolve_relative(e, dirfd, upath);
	}
	if (e->path[0] == '/' && protect_check(cfg, e))
		wanted = true;
	else if (wanted && e->path_len && filter_path(cfg, e->path, e->path_len))
		wanted = false;
	if (wanted)
		bpf_map_update_elem(&clawos_open_st, &e->hdr.tid, e, BPF_ANY);
	CLAWOS_DBG(cfg, "openat pid=%u %s flags=%x", e->hdr.pid, wanted ? "report" : "filtered", e->path_flags);
}

static __always_inline void open_end(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct clawos_file_event *e = bpf_map_lookup_elem(&clawos_open_st, &tid);

	if (!e)
		return;
	e->ret = ret;
	emit_copy(e, sizeof(*e), CLAWOS_EV_FILE);
	bpf_map_delete_elem(&clawos_open_st, &tid);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int clawos_openat(struct trace_event_raw_sys_enter *ctx)
{
	open_begin((int)ctx->args[0], (const char *)ctx->args[1], (__u32)ctx->args[2], (__u16)ctx->args[3], 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_open")
int clawos_open(struct trace_event_raw_sys_enter *ctx)
{
	open_begin(AT_FDCWD_VALUE, (const char *)ctx->args[0], (__u32)ctx->args[1], (__u16)ctx->args[2], 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat2")
int clawos_openat2(struct trace_event_raw_sys_enter *ctx)
{
	struct open_how how = {};

	bpf_probe_read_user(&how, sizeof(how), (void *)ctx->args[2]);
	open_begin((int)ctx->args[0], (const char *)ctx->args[1], (__u32)how.flags, (__u16)how.mode,
		   CLAWOS_PATH_F_OPENAT2);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int clawos_openat_x(struct trace_event_raw_sys_exit *ctx)
{
	open_end(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_open")
int clawos_open_x(struct trace_event_raw_sys_exit *ctx)
{
	open_end(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int clawos_openat2_x(struct trace_event_raw_sys_exit *ctx)
{
	open_end(ctx->ret);
	return 0;
}
