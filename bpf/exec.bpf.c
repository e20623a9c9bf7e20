/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * exec: sys_enter_execve{,at} applies the filters to the caller and parks
 * its pointers per thread.  sched_process_exec makes the record of a
 * successful exec from the new image: the binary that actually ran, its
 * argument area (one read) and the working directory; sys_exit reports a
 * failed one, reading the parked pointers of the image that is still there.
 * The record carries only the bytes of argv it uses (variable size).
 */
#include "common.bpf.h"
#include "path.bpf.h"

#define ARGS_MASK (CLAWOS_EXEC_ARGS_LEN - 1)
/* One read of a failed exec's argument may fill the whole buffer: then the
 * argument reaches its end and truncation is seen there, without a branch
 * per argument (which would multiply the verifier's states per iteration). */
#define ARG_READ CLAWOS_EXEC_ARGS_LEN

_Static_assert((CLAWOS_EXEC_ARGS_LEN & ARGS_MASK) == 0, "args length is a power of two");
_Static_assert(sizeof(union clawos_scratch) >= sizeof(struct clawos_exec_event) + ARG_READ,
	       "scratch fits exec and one argument read past its end");

/* A failed exec: the caller's argv, one string at a time (the strings of a
 * process need not be adjacent).  Every exit stores what it knows and the
 * compiler must reload it after (barrier): the loop's registers are dead
 * past this point, so the verifier's states from its 128 iterations prune
 * instead of each walking the rest of the program. */
static __always_inline void exec_read_argv(struct clawos_exec_event *e, const char *const *argv)
{
	__u32 off = 0;
	int i;

	for (i = 0; i < CLAWOS_EXEC_MAX_ARGS; i++) {
		const char *argp = NULL;
		long n;

		if (bpf_probe_read_user(&argp, sizeof(argp), &argv[i]) < 0 || !argp)
			goto done;
		/* keep the mask: clang drops it after the bound check below, and
		 * older verifiers (6.1) then lose track of the pointer */
		barrier_var(off);
		n = bpf_probe_read_user_str(&e->args[off & ARGS_MASK], ARG_READ, argp);
		if (n <= 0)
			goto done;
		off += n;
		if (off >= CLAWOS_EXEC_ARGS_LEN)
			goto full;
	}
	{ /* CLAWOS_EXEC_MAX_ARGS read: were there more? */
		const char *argp = NULL;

		if (bpf_probe_read_user(&argp, sizeof(argp), &argv[CLAWOS_EXEC_MAX_ARGS]) == 0 && argp)
			e->flags |= CLAWOS_EXEC_F_ARGS_TRUNCATED;
	}
done:
	e->args_len = off;
	asm volatile("" ::: "memory");
	return;
full:
	/* the buffer is full: the last argument (or the next) did not fit */
	e->flags |= CLAWOS_EXEC_F_ARGS_TRUNCATED;
	e->args[CLAWOS_EXEC_ARGS_LEN - 1] = '\0';
	e->args_len = CLAWOS_EXEC_ARGS_LEN;
	asm volatile("" ::: "memory");
}

/* A successful exec: the new image's argument area, which the kernel has
 * just filled (adjacent NUL-terminated strings), in one read. */
static __always_inline void exec_read_image_args(struct clawos_exec_event *e, struct task_struct *task)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	__u64 start = BPF_CORE_READ(mm, arg_start), end = BPF_CORE_READ(mm, arg_end);
	__u64 len = end > start ? end - start : 0;

	e->args_len = 0;
	if (len == 0) {
		e->flags |= CLAWOS_EXEC_F_NO_ARGS;
		return;
	}
	if (len > CLAWOS_EXEC_ARGS_LEN) {
		len = CLAWOS_EXEC_ARGS_LEN;
		e->flags |= CLAWOS_EXEC_F_ARGS_TRUNCATED;
	}
	/* 1..CLAWOS_EXEC_ARGS_LEN in a form every verifier can follow */
	len = ((len - 1) & ARGS_MASK) + 1;
	if (bpf_probe_read_user(e->args, len, (const void *)start) < 0) {
		e->flags |= CLAWOS_EXEC_F_NO_ARGS;
		return;
	}
	e->args[(len - 1) & ARGS_MASK] = '\0'; /* the last string may be cut */
	e->args_len = len;
}

/* The working directory, resolved in the kernel as open paths are. */
static __always_inline void exec_set_cwd(struct clawos_exec_event *e, struct task_struct *task)
{
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	char *buf = scratch_get(1);
	int off = -1;
	long n = -1;

	if (fs && buf)
		off = path_walk(BPF_CORE_READ(fs, pwd.dentry), BPF_CORE_READ(fs, pwd.mnt), buf);
	if (off >= 0 && buf)
		n = bpf_probe_read_kernel_str(e->cwd, sizeof(e->cwd), &buf[off & (CLAWOS_PATH_HALF - 1)]);
	if (n <= 0) {
		e->cwd[0] = '\0';
		e->flags |= CLAWOS_EXEC_F_CWD_TRUNCATED;
	} else if (n == sizeof(e->cwd)) {
		e->flags |= CLAWOS_EXEC_F_CWD_TRUNCATED;
	}
}

/* The fixed part and args_len bytes of args: a record of variable size.
 * args_len is at most CLAWOS_EXEC_ARGS_LEN already; the size is computed
 * in a form whose bounds no verifier loses (a plain clamp is not: clang
 * may test one register and use another). */
static __always_inline void exec_emit(struct clawos_exec_event *e)
{
	__u32 len = e->args_len;

	if (len > CLAWOS_EXEC_ARGS_LEN)
		len = CLAWOS_EXEC_ARGS_LEN;
	if (len == 0) {
		e->args_len = 0;
		e->hdr.size = CLAWOS_EXEC_FIXED_SIZE;
		emit_copy(e, CLAWOS_EXEC_FIXED_SIZE, CLAWOS_EV_EXEC);
		return;
	}
	len = ((len - 1) & ARGS_MASK) + 1;
	e->args_len = len;
	e->hdr.size = CLAWOS_EXEC_FIXED_SIZE + len;
	emit_copy(e, CLAWOS_EXEC_FIXED_SIZE + len, CLAWOS_EV_EXEC);
}

/* Filters pass or drop the exec here, as the caller is; what it ran and
 * with which arguments is read once the outcome is known. */
static __always_inline void exec_begin(const char *filename, const char *const *argv, __u8 flags)
{
	struct clawos_config *cfg = cfg_get();
	struct clawos_exec_park p = {};
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	/* not the scope: an untracked process may exec into a target.  A
	 * filtered exec is parked too, marked: sched_process_exec must tell
	 * it from one that no execve tracepoint saw (int $0x80) */
	p.skip = !cfg || skip_current_unscoped(cfg) || !cfg->enable_syscall_tracing;
	p.filename = (__u64)filename;
	p.argv = (__u64)argv;
	p.flags = flags;
	bpf_map_update_elem(&clawos_exec_st, &tid, &p, BPF_ANY);
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

/* The loader variables of the new image's environment (adjacent
 * NUL-terminated strings, mm->env_start..env_end), in the first ENV_SCAN
 * bytes, scanned in chunks of ENV_CHUNK by one global function called once
 * per chunk: the verifier checks a global function once, with unknown
 * arguments, however often it is called (the whole 8 KiB in one piece cost
 * 875k of the million instructions it allows on 6.1).  The scan is
 * branch-free inside blocks of ENV_BLOCK bytes: a branch per byte would
 * leave the verifier one pending state per byte, more than it keeps. */
#define ENV_SCAN 8192
#define ENV_CHUNK 4096
#define ENV_READ (ENV_CHUNK + 24) /* a chunk and the words read past it */
#define ENV_BLOCK 64
#define ENV_OFF 8 /* the byte before the chunk first: every string follows a NUL */
#define ENV_MASK (2 * ENV_CHUNK - 1)
_Static_assert(sizeof(union clawos_scratch) >= 2 * ENV_CHUNK + 16, "scratch holds a chunk and its overrun");

/* unaligned loads: fine on x86, where this object runs */
static __always_inline __u64 env_word(const char *buf, __u32 i)
{
	return *(const __u64 *)&buf[i & ENV_MASK];
}

/* 1 if v == 0, else 0, without a branch (the barrier keeps clang from
 * seeing the comparison and emitting one) */
static __always_inline __u64 is_zero(__u64 v)
{
	__u64 x = v | -v;

	barrier_var(x);
	return (x >> 63) ^ 1;
}

/* Bits for a string starting at i (after a NUL) named LD_PRELOAD=,
 * LD_AUDIT= or LD_LIBRARY_PATH=: little-endian words of "\0LD_",
 * "PRELOAD=", "AUDIT=", "LIBRARY_" and "PATH=". */
static __always_inline __u64 env_match(const char *buf, __u32 i)
{
	__u64 w3 = env_word(buf, i + 3);
	__u64 ld = (env_word(buf, i - 1) & 0xffffffffULL) ^ 0x5f444c00ULL;

	return is_zero(ld | (w3 ^ 0x3d44414f4c455250ULL)) * CLAWOS_LOADER_LD_PRELOAD |
	       is_zero(ld | ((w3 & 0xffffffffffffULL) ^ 0x3d5449445541ULL)) * CLAWOS_LOADER_LD_AUDIT |
	       is_zero(ld | (w3 ^ 0x5f5952415242494cULL) |
		       ((env_word(buf, i + 11) & 0xffffffffffULL) ^ 0x3d48544150ULL)) *
		   CLAWOS_LOADER_LD_LIBRARY_PATH;
}

/* Bits of the strings that start in [off, off + ENV_CHUNK) of the
 * environment at start (total bytes). */
__noinline int clawos_env_scan(__u64 start, __u64 total, __u64 off)
{
	__u64 rest, len, over, bits = 0;
	char *buf = scratch_get(1);

	if (!buf || off >= total || total > (1ULL << 32))
		return 0;
	rest = total - off;
	/* min(rest, ENV_READ) without a branch: two values of len would
	 * have the verifier walk the scan twice */
	over = ((__u64)ENV_READ - rest) >> 63;
	barrier_var(over);
	len = rest * (over ^ 1) + ENV_READ * over;
	len = ((len - 1) & (ENV_MASK)) + 1;
	*(__u64 *)buf = 0;
	if (off >= ENV_OFF && bpf_probe_read_user(buf, ENV_OFF, (const void *)(start + off - ENV_OFF)) < 0)
		return CLAWOS_LOADER_UNSCANNED;
	if (bpf_probe_read_user(&buf[ENV_OFF], len, (const void *)(start + off)) < 0)
		return CLAWOS_LOADER_UNSCANNED;
	/* zeroes past the end, over the rest of the last block: no match there */
	for (__u32 k = 0; k < ENV_BLOCK + 16; k += 8)
		*(__u64 *)&buf[(ENV_OFF + len + k) & ENV_MASK] = 0;
	for (__u32 blk = 0; blk < ENV_CHUNK / ENV_BLOCK; blk++) {
		if (blk * ENV_BLOCK >= len)
			break;
		for (__u32 j = 0; j < ENV_BLOCK; j++)
			bits |= env_match(buf, ENV_OFF + blk * ENV_BLOCK + j);
	}
	return (int)bits;
}

static __always_inline __u32 exec_scan_env(struct task_struct *task)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	__u64 start = BPF_CORE_READ(mm, env_start), end = BPF_CORE_READ(mm, env_end);
	__u64 total = end > start ? end - start : 0;
	__u32 bits = 0;

	for (__u64 off = 0; off < ENV_SCAN; off += ENV_CHUNK)
		bits |= (__u32)clawos_env_scan(start, total, off);
	return total > ENV_SCAN ? bits | CLAWOS_LOADER_UNSCANNED : bits;
}

/* What the allow lists need to know of the new image, for every exec
 * while they are in use (and for every recorded one). */
static __always_inline __u32 exec_loader_env(const struct clawos_config *cfg, bool recorded)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, bits;

	if (!recorded && !(cfg->flags & (CLAWOS_FILTER_EXCLUDE_EXE | CLAWOS_CFG_PROTECT)))
		return 0;
	bits = exec_scan_env(task);
	if (BPF_CORE_READ(task, ptrace))
		bits |= CLAWOS_LOADER_TRACED;
	/* being traced is checked live; the environment only here */
	if (bits & ~CLAWOS_LOADER_TRACED)
		bpf_map_update_elem(&clawos_untrusted, &tgid, &bits, BPF_ANY);
	else
		bpf_map_delete_elem(&clawos_untrusted, &tgid);
	return bits;
}

SEC("tracepoint/sched/sched_process_exec")
int clawos_sched_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct clawos_config *cfg = cfg_get();
	__u32 old = ctx->old_pid, tgid = bpf_get_current_pid_tgid() >> 32;
	struct clawos_exec_park *p = bpf_map_lookup_elem(&clawos_exec_st, &old);
	struct clawos_exec_event *e;
	__u32 loader_env;
	__u8 flags;
	bool skip;

	if (!cfg)
		return 0;
	target_on_exec(cfg);
	if (p) {
		flags = p->flags;
		skip = p->skip;
		bpf_map_delete_elem(&clawos_exec_st, &old);
	} else {
		/* No execve tracepoint saw this exec: a 32-bit one (int $0x80
		 * skips every syscalls:* tracepoint), or one begun before the
		 * agent attached.  Record it anyway, filtered as the new image. */
		flags = CLAWOS_EXEC_F_NO_SYSCALL;
		skip = skip_current_unscoped(cfg) || !cfg->enable_syscall_tracing;
	}
	if (!skip && (cfg->flags & CLAWOS_CFG_SCOPE_TARGETS) && !is_tracked(tgid))
		skip = true;
	e = scratch_get(0);
	if (!e)
		return 0;
	/* flags and the decision wait in memory, where the verifier does not
	 * follow their values: kept in registers, each pair of values would
	 * walk the environment scan once more (most of this program) */
	e->flags = flags;
	e->ret = skip;
	loader_env = exec_loader_env(cfg, !e->ret);
	if (e->ret)
		return 0;
	flags = e->flags;
	/* comm, credentials and the thread id are the new image's */
	hdr_fill(&e->hdr, CLAWOS_EV_EXEC, CLAWOS_EXEC_FIXED_SIZE, true);
	e->ret = 0;
	e->flags = flags;
	e->mechanism = CLAWOS_MECH_TRACEPOINT;
	e->old_tid = old;
	exec_set_binary(e, ctx);
	exec_set_cwd(e, (struct task_struct *)bpf_get_current_task());
	e->loader_env = loader_env;
	exec_read_image_args(e, (struct task_struct *)bpf_get_current_task());
	exec_emit(e);
	return 0;
}

/* A failed exec returns to the caller's image: its pointers still hold. */
static __always_inline void exec_end(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct clawos_exec_park *p = bpf_map_lookup_elem(&clawos_exec_st, &tid);
	struct clawos_config *cfg = cfg_get();
	struct clawos_exec_event *e;
	const char *filename, *const *argv;
	__u8 flags, skip;
	long n;

	if (!p)
		return;
	filename = (const char *)p->filename;
	argv = (const char *const *)p->argv;
	flags = p->flags;
	skip = p->skip;
	bpf_map_delete_elem(&clawos_exec_st, &tid);
	if (ret >= 0 || !cfg || skip)
		return;
	if ((cfg->flags & CLAWOS_CFG_SCOPE_TARGETS) && !is_tracked(bpf_get_current_pid_tgid() >> 32))
		return;
	e = scratch_get(0);
	if (!e)
		return;
	hdr_fill(&e->hdr, CLAWOS_EV_EXEC, CLAWOS_EXEC_FIXED_SIZE, true);
	e->ret = ret;
	e->loader_env = 0;
	e->flags = flags | CLAWOS_EXEC_F_FAILED;
	e->mechanism = CLAWOS_MECH_TRACEPOINT;
	e->old_tid = tid;
	n = bpf_probe_read_user_str(e->filename, sizeof(e->filename), filename);
	if (n < 0)
		e->filename[0] = '\0';
	else if (n == sizeof(e->filename))
		e->flags |= CLAWOS_EXEC_F_FILENAME_TRUNCATED;
	exec_set_cwd(e, (struct task_struct *)bpf_get_current_task());
	exec_read_argv(e, argv);
	exec_emit(e);
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
