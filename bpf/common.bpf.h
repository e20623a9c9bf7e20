/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Maps and helpers shared by every clawos BPF program.  The maps are defined
 * once, in maps.bpf.c (CLAWOS_DEFINE_MAPS), and declared extern elsewhere;
 * `bpftool gen object` links the objects into one.
 */
#ifndef CLAWOS_COMMON_BPF_H
#define CLAWOS_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "clawos-abi.h"

#ifdef CLAWOS_DEFINE_MAPS
#define CLAWOS_MAP
#else
#define CLAWOS_MAP extern
#endif

#define AT_FDCWD_VALUE -100

/* bpf_ktime_get_ns() units (agent/util/time-util.h has the user-space set) */
#define NSEC_PER_SEC 1000000000ULL

/* The one ring buffer; user space sets its size before load. */
CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} clawos_events SEC(".maps");

/* The CONFIG map: one struct clawos_config, updated in place on reload. */
CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clawos_config);
} clawos_config SEC(".maps");

/* Per-CPU sequence numbers (index 0). */
CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} clawos_seq SEC(".maps");

/* Failed ring-buffer reserves, per CPU and per event type. */
CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CLAWOS_EV_MAX);
	__type(key, __u32);
	__type(value, __u64);
} clawos_drops SEC(".maps");

/* Scratch space too big for the 512-byte BPF stack. */
union clawos_scratch {
	struct clawos_exec_event exec;
	struct clawos_file_event file;
	char path[1024];      /* see path.bpf.h */
	char raw[16384 + 16]; /* headroom for variable-offset reads (exec.bpf.c) */
};

CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, union clawos_scratch);
} clawos_scratch SEC(".maps");

/* An exec between sys_enter and its outcome: the filters passed it, and
 * the caller's pointers, read only if the exec fails (a successful one
 * reads the new image instead, see exec.bpf.c). */
struct clawos_exec_park {
	__u64 filename; /* user pointers of the caller */
	__u64 argv;
	__u8 flags; /* CLAWOS_EXEC_F_EXECVEAT */
	__u8 skip;  /* filtered out: no record (parked so that the exec is
		     * known to have been seen, see exec.bpf.c) */
	__u8 reserved[6];
};

/* Execs begun at syscall entry and completed at exit, keyed by tid.  LRU so
 * that an entry orphaned by a task killed mid-syscall cannot leak. */
CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct clawos_exec_park);
} clawos_exec_st SEC(".maps");

/* The open record parked between sys_enter and sys_exit, in the thread's
 * task storage: no hash, no lock, no copy, freed with the task.  Kernels
 * without task storage in tracing programs (before 5.11) park in
 * clawos_open_st with the "_h" programs instead (file.bpf.c built with
 * CLAWOS_OPEN_HASH); user space creates only the map in use. */
CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct clawos_file_event);
} clawos_open_ts SEC(".maps");

CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct clawos_file_event);
} clawos_open_st SEC(".maps");

/* Aggregation of exact repeats (aggregate_window, bpf/agg.bpf.c): per
 * thread, the last open record emitted and the repeats of it not yet
 * emitted.  A plain hash, not LRU: pending counts are never evicted; when
 * it is full, new threads are not aggregated.  Entries go at thread exit. */
struct clawos_agg_entry {
	__u64 state; /* AGG_* (agg.bpf.c): who may touch the rest; 64 bits for
		      * the atomics without alu32 (-mcpu=v3) */
	__u32 count; /* repeats not emitted yet */
	__u32 valid; /* rec holds the thread's last record emitted */
	__u64 first; /* hdr.ts_ns of the first and last of them */
	__u64 last;
	__u64 seen;			     /* hdr.ts_ns of the last record emitted or counted */
	__u64 rec[CLAWOS_FILE_MIN_SIZE / 8]; /* its short form */
};

CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct clawos_agg_entry);
} clawos_agg SEC(".maps");

/* The open exits tail-call [0], the aggregating exit (agg.bpf.c), when the
 * kernel can run it and aggregate_window is set. */
CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} clawos_agg_jmp SEC(".maps");

/* [0]: aggregates pending in clawos_agg, so the timer skips the walk when 0. */
CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} clawos_agg_n SEC(".maps");

/* The one timer that emits aggregates whose window has ended.  Tracepoint
 * programs may not use a map holding a bpf_timer or bpf_spin_lock ("tracing
 * progs cannot use bpf_timer yet", still so in 6.18): only the syscall and
 * timer programs of agg.bpf.c touch it. */
struct clawos_agg_timer {
	struct bpf_timer timer;
};

CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clawos_agg_timer);
} clawos_agg_tmr SEC(".maps");

/* Packet and byte counters per cgroup id, from the cgroup_skb programs. */
CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct clawos_cgroup_counters);
} clawos_cg_cnt SEC(".maps");

/* In-kernel filters, filled from [filter] of the configuration. */
CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, char[CLAWOS_COMM_LEN]);
	__type(value, __u8);
} clawos_f_comm SEC(".maps");

CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} clawos_f_uid SEC(".maps");

CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, __u8);
} clawos_f_cgrp SEC(".maps");

CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct clawos_exe_key);
	__type(value, __u8);
} clawos_f_exe SEC(".maps");

CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clawos_prefix_key);
} clawos_prefix_scratch SEC(".maps");

CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__type(key, struct clawos_prefix_key);
	__type(value, __u8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} clawos_f_prefix SEC(".maps");

/* Tracked process trees: tgid (and thread ids) -> root and session. */
CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct clawos_tracked);
} clawos_tracked SEC(".maps");

/* Processes the allow lists (protected_allow_exe, exclude_exe) do not
 * cover: started with a loader variable in the environment, or with one too
 * big to scan (exec.bpf.c); tgid -> CLAWOS_LOADER_* bits, set at exec,
 * copied at fork, removed at exit (track.bpf.c). */
CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u32);
} clawos_untrusted SEC(".maps");

/* The agent's own maps, by id (filled by user space after the load): a
 * write to one by another process is tamper (tamper.bpf.c, compat.bpf.c). */
CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u8);
} clawos_own_maps SEC(".maps");

/* Targets named in the configuration. */
CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, char[CLAWOS_COMM_LEN]);
	__type(value, __u32); /* session id user space gave the target */
} clawos_t_comm SEC(".maps");

CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct clawos_exe_key);
	__type(value, __u32);
} clawos_t_exe SEC(".maps");

CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, __u32);
} clawos_t_cgrp SEC(".maps");

/* Protected paths (file_violation) and the agent's own files (tamper). */
CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__type(key, struct clawos_prefix_key);
	__type(value, __u8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} clawos_protect SEC(".maps");

/* Protected entries by identity (device, inode), from user space's stat()
 * of each protected path (agent/protect.c): a hard link, a bind mount, a
 * symlink or any other spelling opens the same inode. */
CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, struct clawos_exe_key);
	__type(value, __u8); /* CLAWOS_PROTECT_V_* */
} clawos_p_ident SEC(".maps");

/* Which keys clawos_p_ident may hold (clawos-abi.h): kept by agent/protect.c. */
CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clawos_ident_bloom);
} clawos_p_bloom SEC(".maps");

/* The last process root seen on this CPU and whether it is the mount
 * namespace's root (path.bpf.h, current_root). */
struct clawos_root_cache {
	__u64 mnt;
	__u64 dentry;
	__u32 is_root;
	__u32 reserved;
};

CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clawos_root_cache);
} clawos_root_c SEC(".maps");

/* Binaries allowed to read protected paths (sudo, sshd, ...). */
CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct clawos_exe_key);
	__type(value, __u8);
} clawos_p_allow SEC(".maps");

/* debug_printk = yes: one short line per decision in trace_pipe.  At most
 * three arguments (bpf_trace_printk); off, it costs one flag test. */
#define CLAWOS_DBG(cfg, fmt, ...)                                                                                      \
	do {                                                                                                           \
		if ((cfg) && ((cfg)->flags & CLAWOS_CFG_DEBUG_PRINTK))                                                 \
			bpf_printk("clawos " fmt, ##__VA_ARGS__);                                                      \
	} while (0)

static __always_inline struct clawos_config *cfg_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&clawos_config, &zero);
}

/* (inode, device) of the current task's executable. */
static __always_inline bool current_exe_key(struct clawos_exe_key *k)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct inode *inode = BPF_CORE_READ(task, mm, exe_file, f_inode);

	if (!inode)
		return false;
	k->ino = BPF_CORE_READ(inode, i_ino);
	k->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	k->reserved = 0;
	return true;
}

/* An allow list names a binary, not what runs in it: a process started
 * with LD_PRELOAD, LD_AUDIT or LD_LIBRARY_PATH, or being ptraced (by its
 * thread or its leader), is not covered.  Called only once a binary
 * matched, so it costs nothing to others. */
static __always_inline bool current_untrusted(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (BPF_CORE_READ(task, ptrace) || BPF_CORE_READ(task, group_leader, ptrace))
		return true;
	return bpf_map_lookup_elem(&clawos_untrusted, &tgid) != NULL;
}

static __always_inline bool filter_exe_excluded(void)
{
	struct clawos_exe_key k = {};

	return current_exe_key(&k) && bpf_map_lookup_elem(&clawos_f_exe, &k) != NULL && !current_untrusted();
}

/* The task filters of [filter]: comm, uid, cgroup and, where the program
 * type may read task_struct, executable.  comm: the task's name when the
 * caller has read it already (a record's header), else NULL. */
static __always_inline bool filter_task(const struct clawos_config *cfg, bool may_read_task, const char *comm)
{
	__u32 f = cfg->flags;

	if (f & (CLAWOS_FILTER_EXCLUDE_COMM | CLAWOS_FILTER_INCLUDE_COMM)) {
		char own[CLAWOS_COMM_LEN] = {};
		__u8 *v;

		if (!comm) {
			bpf_get_current_comm(own, sizeof(own));
			comm = own;
		}
		v = bpf_map_lookup_elem(&clawos_f_comm, comm);
		if (v && (*v & CLAWOS_FILTER_V_EXCLUDE))
			return true;
		if ((f & CLAWOS_FILTER_INCLUDE_COMM) && !(v && (*v & CLAWOS_FILTER_V_INCLUDE)))
			return true;
	}
	if (f & (CLAWOS_FILTER_EXCLUDE_UID | CLAWOS_FILTER_INCLUDE_UID)) {
		__u32 uid = (__u32)bpf_get_current_uid_gid();
		__u8 *v = bpf_map_lookup_elem(&clawos_f_uid, &uid);

		if (v && (*v & CLAWOS_FILTER_V_EXCLUDE))
			return true;
		if ((f & CLAWOS_FILTER_INCLUDE_UID) && !(v && (*v & CLAWOS_FILTER_V_INCLUDE)))
			return true;
	}
	if (f & CLAWOS_FILTER_EXCLUDE_CGROUP) {
		__u64 id = bpf_get_current_cgroup_id();

		if (bpf_map_lookup_elem(&clawos_f_cgrp, &id))
			return true;
	}
	if (may_read_task && (f & CLAWOS_FILTER_EXCLUDE_EXE) && filter_exe_excluded())
		return true;
	return false;
}

/* True when the current task must not be reported: the agent itself, a
 * filtered task (filter_task(): may_read_task and comm as there), one
 * outside the tracked trees when scope is set and [targets] narrows the
 * scope, or any task before user space has filled the CONFIG map. */
static __always_inline bool skip_current_comm(const struct clawos_config *cfg, bool may_read_task, bool scope,
					      const char *comm)
{
	if (!cfg || !cfg->agent_tgid)
		return true;
	if ((bpf_get_current_pid_tgid() >> 32) == cfg->agent_tgid)
		return true;
	if (scope && (cfg->flags & CLAWOS_CFG_SCOPE_TARGETS)) {
		__u32 tgid = bpf_get_current_pid_tgid() >> 32;

		if (!bpf_map_lookup_elem(&clawos_tracked, &tgid))
			return true;
	}
	return filter_task(cfg, may_read_task, comm);
}

/* The common case: every filter, within the targets' scope. */
static __always_inline bool skip_current(const struct clawos_config *cfg)
{
	return skip_current_comm(cfg, true, true, NULL);
}

/* Every filter, but outside the targets' scope too: exec records of every
 * tree, so that a program that becomes a target is seen starting. */
static __always_inline bool skip_current_unscoped(const struct clawos_config *cfg)
{
	return skip_current_comm(cfg, true, false, NULL);
}

static __always_inline bool is_tracked(__u32 tgid)
{
	return bpf_map_lookup_elem(&clawos_tracked, &tgid) != NULL;
}

/* Looks a file record's path up in an LPM trie without copying it: the
 * __u32 before path is `reserved`, so {reserved, path} has the layout of
 * struct clawos_prefix_key (asserted in clawos-abi.h).  reserved is 0 again
 * afterwards.  A macro: the map must be a constant at the call. */
#define path_trie_lookup(map_, e_)                                                                                     \
	({                                                                                                             \
		__u32 l_ = (e_)->path_len; /* with the NUL: exact entries end in one */                                \
		void *v_;                                                                                              \
		(e_)->reserved = (l_ > CLAWOS_PREFIX_LEN ? CLAWOS_PREFIX_LEN : l_) * 8;                                \
		v_ = bpf_map_lookup_elem((map_), &(e_)->reserved);                                                     \
		(e_)->reserved = 0;                                                                                    \
		v_;                                                                                                    \
	})

/* Path-prefix filters of file records. */
static __always_inline bool filter_path(const struct clawos_config *cfg, struct clawos_file_event *e)
{
	__u8 *v;

	if (!(cfg->flags & (CLAWOS_FILTER_EXCLUDE_PREFIX | CLAWOS_FILTER_INCLUDE_PREFIX)) || !e->path_len)
		return false;
	v = path_trie_lookup(&clawos_f_prefix, e);
	if (v && (*v & CLAWOS_FILTER_V_EXCLUDE))
		return true;
	if ((cfg->flags & CLAWOS_FILTER_INCLUDE_PREFIX) && !(v && (*v & CLAWOS_FILTER_V_INCLUDE)))
		return true;
	return false;
}

static __always_inline __u32 seq_next(void)
{
	__u32 zero = 0;
	__u32 *seq = bpf_map_lookup_elem(&clawos_seq, &zero);

	if (!seq)
		return 0;
	/* Not atomic: fetch-and-add with a result needs BPF v3 atomics (5.12),
	 * and 5.10 must load this.  Programs of one CPU could only interleave
	 * here on a preemptible kernel, and then two records share a number;
	 * no number is ever skipped, so a gap still always means a loss. */
	*seq += 1;
	return *seq;
}

static __always_inline void count_drop(__u32 type)
{
	__u64 *n = bpf_map_lookup_elem(&clawos_drops, &type);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/* The header's fields every way of filling it shares. */
static __always_inline void hdr_fill_common(struct clawos_event_hdr *h, __u8 type, __u16 size)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	h->type = type;
	h->version = CLAWOS_ABI_VERSION;
	h->size = size;
	h->flags = 0;
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->ts_ns = bpf_ktime_get_boot_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
}

/* Identity fields of the header; seq/cpu are stamped at emission. */
static __always_inline void hdr_fill(struct clawos_event_hdr *h, __u8 type, __u16 size, bool read_parent)
{
	__u64 uid_gid = bpf_get_current_uid_gid();

	hdr_fill_common(h, type, size);
	h->uid = (__u32)uid_gid;
	h->gid = uid_gid >> 32;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
	if (read_parent) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();

		h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	} else {
		h->ppid = 0;
		h->flags |= CLAWOS_HDR_F_NO_PPID;
	}
}

/* hdr_fill with read_parent, through the current task's BTF pointer (5.11
 * and later): parent, credentials and name by plain loads where hdr_fill
 * makes five helper calls.  Used on the per-open path. */
static __always_inline void hdr_fill_task(struct clawos_event_hdr *h, __u8 type, __u16 size, struct task_struct *task)
{
	const struct cred *cred = task->cred; /* what bpf_get_current_uid_gid reads */

	hdr_fill_common(h, type, size);
	h->uid = cred->uid.val; /* kuid: the initial namespace's uid */
	h->gid = cred->gid.val;
	/* set_task_comm pads with NULs, as bpf_get_current_comm would */
	__builtin_memcpy(h->comm, task->comm, sizeof(h->comm));
	h->ppid = task->real_parent->tgid;
}

static __always_inline void hdr_stamp(struct clawos_event_hdr *h)
{
	h->cpu = bpf_get_smp_processor_id();
	h->seq = seq_next();
}

/* A record reserved in the ring buffer with its header filled and stamped,
 * or NULL with the failure counted and a gap left in the sequence. */
#define record_reserve(type_, size_, read_parent_)                                                                     \
	({                                                                                                             \
		struct clawos_event_hdr *h_ = bpf_ringbuf_reserve(&clawos_events, (size_), 0);                         \
		if (!h_) {                                                                                             \
			seq_next();                                                                                    \
			count_drop(type_);                                                                             \
		} else {                                                                                               \
			hdr_fill(h_, (type_), (size_), (read_parent_));                                                \
			hdr_stamp(h_);                                                                                 \
		}                                                                                                      \
		(void *)h_;                                                                                            \
	})

/* Copies a finished record into the ring buffer, counting a failure. */
static __always_inline void emit_copy(void *ev, __u64 size, __u32 type)
{
	struct clawos_config *cfg = cfg_get();

	hdr_stamp((struct clawos_event_hdr *)ev);
	if (bpf_ringbuf_output(&clawos_events, ev, size, 0) < 0) {
		count_drop(type);
		CLAWOS_DBG(cfg, "emit type=%u pid=%u dropped", type, ((struct clawos_event_hdr *)ev)->pid);
	} else {
		CLAWOS_DBG(cfg, "emit type=%u pid=%u", type, ((struct clawos_event_hdr *)ev)->pid);
	}
}

/* Never written: a source of zeroes for records too big for memset. */
CLAWOS_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clawos_anomaly_event);
} clawos_zero SEC(".maps");

/* A zeroed AnomalyEvent in the ring buffer with the current task's header,
 * kind, severity and rule (a string literal shorter than the field).
 * Anomalies take no per-CPU sequence number: user space may fold repeats
 * into one (cool-down) and numbers what it emits itself, so that a gap in
 * the kernel's numbering always means a lost trace record. */
#define anomaly_begin(kind_, sev_, rule_)                                                                              \
	({                                                                                                             \
		struct clawos_anomaly_event *a_ = bpf_ringbuf_reserve(&clawos_events, sizeof(*a_), 0);                 \
		__u32 z_ = 0;                                                                                          \
		void *zero_ = bpf_map_lookup_elem(&clawos_zero, &z_);                                                  \
		if (!a_) {                                                                                             \
			count_drop(CLAWOS_EV_ANOMALY);                                                                 \
		} else {                                                                                               \
			if (zero_)                                                                                     \
				bpf_probe_read_kernel(a_, sizeof(*a_), zero_);                                         \
			hdr_fill(&a_->hdr, CLAWOS_EV_ANOMALY, sizeof(*a_), true);                                      \
			a_->hdr.cpu = bpf_get_smp_processor_id();                                                      \
			a_->kind = (kind_);                                                                            \
			a_->severity = (sev_);                                                                         \
			a_->mechanism = CLAWOS_MECH_TRACEPOINT;                                                        \
			__builtin_memcpy(a_->rule, rule_, sizeof(rule_));                                              \
		}                                                                                                      \
		a_;                                                                                                    \
	})

#define CLAWOS_O_WRITE (01 | 02 | 0100 | 01000) /* O_WRONLY O_RDWR O_CREAT O_TRUNC */

/* Marks a file record with what protected value v (CLAWOS_PROTECT_V_*)
 * means for it. */
static __always_inline void protect_apply(struct clawos_file_event *e, __u8 v)
{
	struct clawos_exe_key exe = {};

	if ((v & CLAWOS_PROTECT_V_AGENT) && (e->flags & CLAWOS_O_WRITE))
		e->path_flags |= CLAWOS_PATH_F_TAMPER;
	if ((v & CLAWOS_PROTECT_V_READ) && !(e->path_flags & CLAWOS_PATH_F_VIOLATION) &&
	    !(current_exe_key(&exe) && bpf_map_lookup_elem(&clawos_p_allow, &exe) && !current_untrusted()))
		e->path_flags |= CLAWOS_PATH_F_VIOLATION;
}

/* A path read from kernel memory (the 32-bit and io_uring hooks, which see
 * the string only): true when it is a protected entry that the current
 * process may not read.  The key holds the NUL: an entry without a trailing
 * '/' is exact (agent/protect.c). */
static __always_inline bool protect_read_denied(const struct clawos_config *cfg, const char *kpath)
{
	struct clawos_prefix_key *k;
	struct clawos_exe_key exe = {};
	__u32 zero = 0;
	__u8 *v;
	long n;

	if (!(cfg->flags & CLAWOS_CFG_PROTECT))
		return false;
	k = bpf_map_lookup_elem(&clawos_prefix_scratch, &zero);
	if (!k)
		return false;
	n = bpf_probe_read_kernel_str(k->path, sizeof(k->path), kpath);
	if (n <= 1 || k->path[0] != '/')
		return false;
	k->prefixlen = (n < (long)sizeof(k->path) ? n : n - 1) * 8;
	v = bpf_map_lookup_elem(&clawos_protect, k);
	if (!v || !(*v & CLAWOS_PROTECT_V_READ))
		return false;
	return !(current_exe_key(&exe) && bpf_map_lookup_elem(&clawos_p_allow, &exe) && !current_untrusted());
}

/* Marks a file record whose path is a protected entry (exact, or below
 * one that ends in '/'); true if the record touches a protected file. */
static __always_inline bool protect_check(const struct clawos_config *cfg, struct clawos_file_event *e)
{
	__u8 *v;

	if (!(cfg->flags & CLAWOS_CFG_PROTECT) || e->path_len == 0)
		return e->path_flags & (CLAWOS_PATH_F_TAMPER | CLAWOS_PATH_F_VIOLATION);
	v = path_trie_lookup(&clawos_protect, e);
	if (v)
		protect_apply(e, *v);
	return e->path_flags & (CLAWOS_PATH_F_TAMPER | CLAWOS_PATH_F_VIOLATION);
}

/* The current thread's open record parked at sys_enter (task storage), or
 * NULL.  hdr.type is CLAWOS_EV_FILE only while one is parked. */
static __always_inline struct clawos_file_event *open_parked(void)
{
	struct clawos_file_event *e = bpf_task_storage_get(&clawos_open_ts, bpf_get_current_task_btf(), 0, 0);

	return e && e->hdr.type == CLAWOS_EV_FILE ? e : NULL;
}

/* The id of the BPF map behind fd of the current process, or 0.  Any
 * file's private_data is read: an id is only trusted if it is one of ours. */
static __always_inline __u32 fd_map_id(__u32 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd), *f = NULL;
	struct bpf_map *map;

	if (fd >= BPF_CORE_READ(fdt, max_fds) || bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) < 0 || !f)
		return 0;
	map = BPF_CORE_READ(f, private_data);
	return map ? BPF_CORE_READ(map, id) : 0;
}

/* bpf() commands that change a map's contents: where union bpf_attr holds
 * the map's fd, or -1 for the others. */
static __always_inline int map_write_fd_off(__u64 cmd)
{
	switch (cmd) {
	case 2:	 /* BPF_MAP_UPDATE_ELEM */
	case 3:	 /* BPF_MAP_DELETE_ELEM */
	case 21: /* BPF_MAP_LOOKUP_AND_DELETE_ELEM */
	case 22: /* BPF_MAP_FREEZE */
		return 0;
	case 25: /* BPF_MAP_LOOKUP_AND_DELETE_BATCH */
	case 26: /* BPF_MAP_UPDATE_BATCH */
	case 27: /* BPF_MAP_DELETE_BATCH */
		return __builtin_offsetof(union bpf_attr, batch.map_fd);
	default:
		return -1;
	}
}

/* The id of the agent's map that bpf(cmd, attr) writes to, or 0. */
static __always_inline __u32 bpf_agent_map_written(__u64 cmd, const void *attr)
{
	int off = map_write_fd_off(cmd);
	__u32 fd = 0, id;

	if (off < 0 || bpf_probe_read_user(&fd, sizeof(fd), attr + (off & 0xff)) < 0)
		return 0;
	id = fd_map_id(fd);
	return id && bpf_map_lookup_elem(&clawos_own_maps, &id) ? id : 0;
}

static __always_inline void *scratch_get(__u32 slot)
{
	return bpf_map_lookup_elem(&clawos_scratch, &slot);
}

#endif /* CLAWOS_COMMON_BPF_H */
