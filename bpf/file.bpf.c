/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * open: the caller's path is copied at syscall entry and parked per thread;
 * sys_exit judges the open on what was opened: for a successful one, while
 * protected entries or path filters exist, the struct file behind the new
 * fd gives the path (dentry and mount walk, path.bpf.h), device, inode and
 * the process's root, so that no spelling, link, mount, unreadable page or
 * buffer rewritten by another thread changes the verdict; a failed one is
 * judged on the string (relative names joined to the cwd or dirfd here,
 * because the process may be gone before user space could look at /proc).
 * The record is written in place in the thread's task storage; built with
 * CLAWOS_OPEN_HASH, the same programs (named with an "_h" suffix) park in an
 * LRU hash instead, for kernels before 5.11 (see common.bpf.h).  With
 * BPF-LSM, file_open judges the parked record before the open completes
 * (file-lsm.bpf.c) and sys_exit only adds the result.
 */
#ifndef CLAWOS_OPEN_HASH
#define CLAWOS_KCAST /* kernels with task storage: 6.2+ may have bpf_rdonly_cast (path.bpf.h) */
#endif
#include "common.bpf.h"
#include "path.bpf.h"

#define HALF_MASK (CLAWOS_PATH_HALF - 1)
#define CLAWOS_O_CREAT_FLAG 0100
#define CLAWOS_O_WRONLY_FLAG 01
#define CLAWOS_O_TRUNC_FLAG 01000

#ifdef CLAWOS_OPEN_HASH
#define OPEN_PROG(name) name##_h

static __always_inline struct clawos_file_event *park_slot(void)
{
	return scratch_get(0);
}

static __always_inline void park_keep(struct clawos_file_event *e)
{
	e->hdr.type = CLAWOS_EV_FILE;
	bpf_map_update_elem(&clawos_open_st, &e->hdr.tid, e, BPF_ANY);
}

static __always_inline struct clawos_file_event *park_find(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	return bpf_map_lookup_elem(&clawos_open_st, &tid);
}

static __always_inline void park_done(struct clawos_file_event *e)
{
	__u32 tid = e->hdr.tid;

	bpf_map_delete_elem(&clawos_open_st, &tid);
}

static __always_inline void open_hdr_fill(struct clawos_file_event *e)
{
	hdr_fill(&e->hdr, CLAWOS_EV_FILE, sizeof(*e), true);
}
#else
#define OPEN_PROG(name) name

static __always_inline struct clawos_file_event *park_slot(void)
{
	return bpf_task_storage_get(&clawos_open_ts, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
}

static __always_inline void park_keep(struct clawos_file_event *e)
{
	e->hdr.type = CLAWOS_EV_FILE;
}

static __always_inline struct clawos_file_event *park_find(void)
{
	return open_parked();
}

static __always_inline void park_done(struct clawos_file_event *e)
{
	e->hdr.type = 0;
}

static __always_inline void open_hdr_fill(struct clawos_file_event *e)
{
	hdr_fill_task(&e->hdr, CLAWOS_EV_FILE, sizeof(*e), bpf_get_current_task_btf());
}
#endif

/* A failed open (no file to read): the caller's string, a relative one
 * joined to the cwd or dirfd here, in the kernel, because the process may
 * be gone before user space could look at /proc.  Read from the copy taken
 * at sys_enter, not from the caller's memory again. */
static __always_inline void open_path_from_request(struct clawos_file_event *e)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	char *buf;
	int off;
	long n;

	e->path_len = 0;
	e->path[0] = '\0';
	if (!e->requested_len)
		return;
	if (e->requested[0] == '/') {
		n = bpf_probe_read_kernel_str(e->path, sizeof(e->path), e->requested);
		if (n > 0)
			e->path_len = n;
		if (n == e->requested_len)
			e->requested_len = 0; /* the same bytes: no need to compare */
		return;
	}
	buf = scratch_get(1);
	if (!buf)
		return;
	off = path_walk_base(task, e->dirfd, buf);
	if (off >= 0) {
		buf[CLAWOS_PATH_HALF - 1] = '/';
		if (off == CLAWOS_PATH_HALF - 2)
			off++; /* base is "/": do not double the slash */
		if (bpf_probe_read_kernel_str(&buf[CLAWOS_PATH_HALF], 256, e->requested) > 0) {
			n = bpf_probe_read_kernel_str(e->path, sizeof(e->path), &buf[off & HALF_MASK]);
			if (n > 0) {
				e->path_len = n;
				e->path_flags |= CLAWOS_PATH_F_RESOLVED;
				if (n == sizeof(e->path))
					e->path_flags |= CLAWOS_PATH_F_TRUNCATED;
				return;
			}
		}
	}
	/* keep the relative name; user space reports it as such */
	n = bpf_probe_read_kernel_str(e->path, sizeof(e->path), e->requested);
	if (n > 0)
		e->path_len = n;
}

/* sys_enter: the caller's string, parked until the outcome.  Filters and
 * protected paths are decided at sys_exit, on what was opened. */
static __always_inline void file_begin(int dirfd, const char *upath, __u32 flags, __u16 mode, __u8 pflags, __u8 op)
{
	struct clawos_config *cfg = cfg_get();
	struct clawos_file_event *e;
	bool wanted;
	long n;

	if (!cfg || !cfg->agent_tgid || (bpf_get_current_pid_tgid() >> 32) == cfg->agent_tgid)
		return;
	/* protected paths are checked whatever the filters and switches say */
	if (!cfg->enable_file_monitoring && !(cfg->flags & CLAWOS_CFG_PROTECT))
		return;
	e = park_slot();
	if (!e)
		return;
	open_hdr_fill(e);
	e->hdr.type = 0; /* not parked until the filters have passed it */
	/* the filters read the name from the header: one bpf_get_current_comm */
	wanted = cfg->enable_file_monitoring && !skip_current_comm(cfg, true, true, e->hdr.comm);
	if (!wanted && !(cfg->flags & CLAWOS_CFG_PROTECT))
		return;
	file_record_init(e, dirfd, flags, mode, op, CLAWOS_MECH_TRACEPOINT, pflags, wanted ? CLAWOS_FILE_X_WANTED : 0);
	n = bpf_probe_read_user_str(e->requested, sizeof(e->requested), upath);
	if (n <= 0) {
		/* not resident yet (BPF cannot fault a page in): sys_exit reads
		 * it again, after the kernel's getname() did; the pointer waits
		 * in ino, which only a successful open's file sets */
		e->requested[0] = '\0';
		e->path_flags |= CLAWOS_PATH_F_FAULT;
		e->ino = (__u64)upath;
	} else {
		open_requested_len(e, n);
	}
	park_keep(e);
	CLAWOS_DBG(cfg, "openat pid=%u %s flags=%x", e->hdr.pid, wanted ? "report" : "protect only", e->path_flags);
}

static __always_inline void open_begin(int dirfd, const char *upath, __u32 flags, __u16 mode, __u8 pflags)
{
	file_begin(dirfd, upath, flags, mode, pflags, CLAWOS_FILE_OP_OPEN);
}

/* FMODE_CREATED of include/linux/fs.h (a macro, so not in BTF): the same
 * bit from 4.19, where it appeared, to 6.18. */
#define CLAWOS_FMODE_CREATED 0x100000

/* sys_exit: a successful open is judged on the struct file behind the new
 * fd (path walked from f_path, device and inode), when protected entries or
 * path filters need it; a failed one on the caller's string. */
/* The decided record out; with aggregate_window set, through clawos_agg_x
 * (agg.bpf.c), which emits and unparks it unless it is a repeat.  The tail
 * call keeps the aggregation out of these programs' verification; when the
 * slot is empty (kernel without bpf_timer), every record goes out here. */
static __always_inline void open_emit(void *ctx, const struct clawos_config *cfg, struct clawos_file_event *e)
{
#ifndef CLAWOS_OPEN_HASH
	if (cfg->aggregate_window)
		bpf_tail_call(ctx, &clawos_agg_jmp, 0);
#endif
	file_emit(e);
}

static __always_inline void open_end(void *ctx, long ret)
{
	struct clawos_config *cfg = cfg_get();
	struct clawos_file_event *e = park_find();
	struct file *file = NULL;
	struct dentry *dentry = NULL;
	bool wanted;

	if (!e)
		return;
	if (!cfg) {
		park_done(e);
		return;
	}
	wanted = e->xflags & CLAWOS_FILE_X_WANTED;
	e->xflags &= ~CLAWOS_FILE_X_WANTED;
	e->ret = ret;
	open_request_reread(e);
	if (ret >= 0 && e->op == CLAWOS_FILE_OP_OPEN) /* truncate returns 0, no fd */
		file = fd_to_file((struct task_struct *)bpf_get_current_task(), (int)ret);
	if (file && (e->flags & CLAWOS_O_CREAT_FLAG) && (BPF_CORE_READ(file, f_mode) & CLAWOS_FMODE_CREATED))
		e->path_flags |= CLAWOS_PATH_F_CREATED;
	if (!(e->xflags & CLAWOS_FILE_X_FROM_FILE)) { /* BPF-LSM file_open has not judged it */
		if (file &&
		    (cfg->flags & (CLAWOS_CFG_PROTECT | CLAWOS_FILTER_EXCLUDE_PREFIX | CLAWOS_FILTER_INCLUDE_PREFIX))) {
			if (!file_resolve(e, file, &dentry))
				open_path_from_request(e); /* deeper than the walk goes */
		} else {
			open_path_from_request(e);
		}
		file_protect(cfg, e, dentry);
	}
	if (wanted && filter_path(cfg, e))
		wanted = false;
	if (wanted || (e->path_flags & (CLAWOS_PATH_F_VIOLATION | CLAWOS_PATH_F_TAMPER))) {
		file_requested_trim(e);
		open_emit(ctx, cfg, e);
	}
	park_done(e);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int OPEN_PROG(clawos_openat)(struct trace_event_raw_sys_enter *ctx)
{
	open_begin((int)ctx->args[0], (const char *)ctx->args[1], (__u32)ctx->args[2], (__u16)ctx->args[3], 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_open")
int OPEN_PROG(clawos_open)(struct trace_event_raw_sys_enter *ctx)
{
	open_begin(AT_FDCWD_VALUE, (const char *)ctx->args[0], (__u32)ctx->args[1], (__u16)ctx->args[2], 0);
	return 0;
}

/* creat(2) is open(path, O_CREAT | O_WRONLY | O_TRUNC, mode). */
SEC("tracepoint/syscalls/sys_enter_creat")
int OPEN_PROG(clawos_creat)(struct trace_event_raw_sys_enter *ctx)
{
	open_begin(AT_FDCWD_VALUE, (const char *)ctx->args[0],
		   CLAWOS_O_CREAT_FLAG | CLAWOS_O_WRONLY_FLAG | CLAWOS_O_TRUNC_FLAG, (__u16)ctx->args[1], 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat2")
int OPEN_PROG(clawos_openat2)(struct trace_event_raw_sys_enter *ctx)
{
	struct open_how how = {};

	bpf_probe_read_user(&how, sizeof(how), (void *)ctx->args[2]);
	open_begin((int)ctx->args[0], (const char *)ctx->args[1], (__u32)how.flags, (__u16)how.mode,
		   CLAWOS_PATH_F_OPENAT2);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int OPEN_PROG(clawos_openat_x)(struct trace_event_raw_sys_exit *ctx)
{
	open_end(ctx, ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_open")
int OPEN_PROG(clawos_open_x)(struct trace_event_raw_sys_exit *ctx)
{
	open_end(ctx, ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_creat")
int OPEN_PROG(clawos_creat_x)(struct trace_event_raw_sys_exit *ctx)
{
	open_end(ctx, ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int OPEN_PROG(clawos_openat2_x)(struct trace_event_raw_sys_exit *ctx)
{
	open_end(ctx, ctx->ret);
	return 0;
}

/* truncate(2) changes a file as open(path, O_WRONLY | O_TRUNC) would: the
 * same record (op truncate) and the same protected-path and tamper rules.
 * No file is opened, and the kernel's lookup cannot be repeated at a
 * tracepoint, so it is judged on the string, joined to the cwd when
 * relative, like a failed open: "." and ".." components, "//", symlinks
 * and bind mounts in the name are not resolved (README, Known limits). */
SEC("tracepoint/syscalls/sys_enter_truncate")
int OPEN_PROG(clawos_truncate)(struct trace_event_raw_sys_enter *ctx)
{
	file_begin(AT_FDCWD_VALUE, (const char *)ctx->args[0], CLAWOS_O_WRONLY_FLAG | CLAWOS_O_TRUNC_FLAG, 0, 0,
		   CLAWOS_FILE_OP_TRUNCATE);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_truncate")
int OPEN_PROG(clawos_truncate_x)(struct trace_event_raw_sys_exit *ctx)
{
	open_end(ctx, ctx->ret);
	return 0;
}
