/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * clawos-ebpf wire format: the one header shared by the BPF programs and the
 * user-space agent.  Every record that crosses the ring buffer is one of the
 * structs below.
 *
 * Layout rules (breaking one is an ABI change and needs CLAWOS_ABI_VERSION+1):
 *  - fixed-width __u8..__u64 only; no pointers, no bool, no enums in structs
 *    (enum values are stored in __u8/__u16 fields);
 *  - every field is naturally aligned and every hole is an explicit
 *    `reserved` field that producers zero;
 *  - strings are fixed arrays with a named length, NUL-terminated when they
 *    fit; a *_F_TRUNCATED flag tells when they did not;
 *  - every record starts with struct clawos_event_hdr and its size is checked
 *    with _Static_assert below; hdr.size is the size of the whole record and
 *    readers reject a record whose size does not match its type;
 *  - integers are in host byte order, except IP addresses and ports, which
 *    are in network byte order as the kernel holds them.
 *
 * Sizes that are part of the contract: AnomalyEvent 1056, SyscallTraceEvent
 * 104, FileAccessEvent 328 or 456..672, NetworkEvent 72, CgroupEvent 304.
 * ExecEvent and FileAccessEvent are of variable size: their fixed part, then
 * args_len bytes of args (hdr.size = offsetof(args) + args_len); a file
 * record without root and requested stops before root (328 bytes), else it
 * carries root and requested_len bytes of requested (hdr.size =
 * offsetof(requested) + requested_len); readers must not touch the tail
 * past its length.  The 64-byte
 * header leaves NetworkEvent 8 bytes of payload: room for an IPv4 endpoint,
 * not an IPv6 one, so IPv6 endpoints travel in the additional Network6Event.
 * Both decode to the same JSON "network" record.
 */
#ifndef CLAWOS_ABI_H
#define CLAWOS_ABI_H

#ifndef __BPF__
#include <linux/types.h> /* vmlinux.h provides these on the BPF side */
#endif

#define CLAWOS_ABI_VERSION 3

#define CLAWOS_COMM_LEN 16
#define CLAWOS_FILE_PATH_LEN 216
#define CLAWOS_FILE_ROOT_LEN 128
#define CLAWOS_EXEC_FILENAME_LEN 256
#define CLAWOS_EXEC_CWD_LEN 256
#define CLAWOS_EXEC_ARGS_LEN 4096 /* a power of two */
#define CLAWOS_EXEC_MAX_ARGS 128  /* read one by one (failed execs only) */
#define CLAWOS_CGROUP_PATH_LEN 192
#define CLAWOS_SYSCALL_ARGS 4
#define CLAWOS_ANOMALY_RULE_LEN 32
#define CLAWOS_ANOMALY_TARGET_LEN 32
#define CLAWOS_ANOMALY_TEXT_LEN 256
#define CLAWOS_ANOMALY_ANCESTRY 8
#define CLAWOS_ANOMALY_TOP 8

/* hdr.cpu of records that user space synthesises (cgroup counters, anomalies). */
#define CLAWOS_CPU_USER 0xffff

enum clawos_event_type {
	CLAWOS_EV_NONE = 0,
	CLAWOS_EV_ANOMALY = 1, /* struct clawos_anomaly_event, 1056 bytes */
	CLAWOS_EV_SYSCALL = 2, /* struct clawos_syscall_event, 104 bytes */
	CLAWOS_EV_FILE = 3,    /* struct clawos_file_event, 328 or 456..672 bytes */
	CLAWOS_EV_NET = 4,     /* struct clawos_net_event, 72 bytes (IPv4) */
	CLAWOS_EV_CGROUP = 5,  /* struct clawos_cgroup_event, 304 bytes */
	CLAWOS_EV_EXEC = 6,    /* struct clawos_exec_event, 592..4688 bytes */
	CLAWOS_EV_NET6 = 7,    /* struct clawos_net6_event, 88 bytes (IPv6) */
	CLAWOS_EV_PROC = 8,    /* struct clawos_proc_event, 80 bytes (fork, exit) */
	CLAWOS_EV_MAX,
};

/* Which kernel mechanism produced a record. */
enum clawos_mechanism {
	CLAWOS_MECH_NONE = 0,
	CLAWOS_MECH_TRACEPOINT = 1,
	CLAWOS_MECH_LSM = 2,
	CLAWOS_MECH_CGROUP = 3, /* cgroup sock_addr / sock programs */
	CLAWOS_MECH_CGROUP_SKB = 4,
	CLAWOS_MECH_TP_BTF = 5,
	CLAWOS_MECH_USER = 6, /* synthesised by user space */
	CLAWOS_MECH_MAX,
};

/* hdr.flags */
#define CLAWOS_HDR_F_NO_PPID 0x0001 /* the program type cannot read the parent */

struct clawos_event_hdr {
	__u8 type;    /* enum clawos_event_type */
	__u8 version; /* CLAWOS_ABI_VERSION */
	__u16 size;   /* size of the whole record in bytes */
	__u16 cpu;    /* producing CPU, or CLAWOS_CPU_USER; seq counts per CPU */
	__u16 flags;  /* CLAWOS_HDR_F_* */
	__u32 seq;    /* per-CPU sequence, bumped for every attempt, so a
			 * failed ring-buffer reserve leaves a gap */
	__u32 pid;    /* thread-group id */
	__u64 ts_ns;  /* CLOCK_BOOTTIME nanoseconds */
	__u32 tid;
	__u32 ppid; /* parent's thread-group id */
	__u32 uid;
	__u32 gid;
	__u64 cgroup_id; /* cgroup v2 id of the task */
	char comm[CLAWOS_COMM_LEN];
};

/* ---- FileAccessEvent ---------------------------------------------------- */
enum clawos_file_op {
	CLAWOS_FILE_OP_OPEN = 1,      /* openat/openat2 tracepoints (+ result) */
	CLAWOS_FILE_OP_FILE_OPEN = 2, /* LSM file_open outside an open syscall */
	CLAWOS_FILE_OP_TRUNCATE = 3,  /* truncate(2) by path (flags: O_WRONLY|O_TRUNC) */
	CLAWOS_FILE_OP_MAX,
};

#define CLAWOS_PATH_F_TRUNCATED 0x01 /* path did not fit */
#define CLAWOS_PATH_F_RESOLVED 0x02  /* absolute, resolved in the kernel */
#define CLAWOS_PATH_F_OPENAT2 0x04   /* from openat2 */
#define CLAWOS_PATH_F_NO_RESULT 0x08 /* ret is not known */
#define CLAWOS_PATH_F_FAULT 0x10     /* user pointer could not be read */
#define CLAWOS_PATH_F_VIOLATION 0x20 /* a protected path (file_violation) */
#define CLAWOS_PATH_F_TAMPER 0x40    /* a write to one of the agent's files */
#define CLAWOS_PATH_F_CREATED 0x80   /* the open created the file (FMODE_CREATED) */

/* xflags: how path was found (file.bpf.c, file-lsm.bpf.c) */
#define CLAWOS_FILE_X_FROM_FILE 0x01 /* path, ino and dev read from the opened struct file */
#define CLAWOS_FILE_X_IDENTITY 0x02  /* protected by identity (device, inode of it or a parent) */
#define CLAWOS_FILE_X_ROOT 0x04	     /* the process runs below another root: root is set */
#define CLAWOS_FILE_X_ROOT_CUT 0x08  /* root did not fit or was too deep to walk */
#define CLAWOS_FILE_X_WALK 0x10	     /* resolved by the in-program dentry walk (no bpf_d_path) */
/* Repeats folded into one record (aggregate_window): the same record as the
 * thread's last one emitted, repeat_count times from hdr.ts_ns (the first
 * repeat) to hdr.ts_ns + the 48-bit repeat span (the last); always short. */
#define CLAWOS_FILE_X_REPEAT 0x20
#define CLAWOS_FILE_X_WANTED 0x80 /* kernel-internal between sys_enter and sys_exit; never sent */

#define CLAWOS_VERDICT_ALLOW 0
#define CLAWOS_VERDICT_DENY 1

struct clawos_file_event {
	struct clawos_event_hdr hdr;
	__s32 ret;	 /* fd or -errno of the syscall */
	__s32 dirfd;	 /* as passed; AT_FDCWD is -100 */
	__u32 flags;	 /* open(2) flags */
	__u16 mode;	 /* open(2) mode */
	__u8 op;	 /* enum clawos_file_op */
	__u8 mechanism;	 /* enum clawos_mechanism */
	__u16 path_len;	 /* bytes copied, including the NUL */
	__u8 path_flags; /* CLAWOS_PATH_F_* */
	__u8 verdict;	 /* CLAWOS_VERDICT_* */
	union {
		__u32 reserved;	    /* 0 but with X_REPEAT; the kernel's prefix-key scratch */
		__u32 repeat_count; /* X_REPEAT: how many repeats this record stands for */
	};
	char path[CLAWOS_FILE_PATH_LEN]; /* what was opened (resolved), else what was asked for */
	__u64 ino;			 /* the opened file's inode; 0 when not known */
	__u32 dev;			 /* its device, the kernel's encoding (major << 20 | minor) */
	__u8 xflags;			 /* CLAWOS_FILE_X_* */
	__u8 reserved1;
	__u16 root_len;			      /* bytes of root, NUL included; 0 when the root is "/" */
	__u16 requested_len;		      /* bytes of requested, NUL included; 0: same as path */
	__u16 repeat_span_hi;		      /* X_REPEAT: last - first repeat in ns, bits 32..47; else 0 */
	__u32 repeat_span_lo;		      /* ... bits 0..31 */
	char root[CLAWOS_FILE_ROOT_LEN];      /* the process's root (chroot) as the host sees it */
	char requested[CLAWOS_FILE_PATH_LEN]; /* the path the caller passed, when it differs
					       * from path; only requested_len bytes travel */
};

/* A file record travels as its first CLAWOS_FILE_MIN_SIZE bytes when it has
 * neither root nor requested (xflags without CLAWOS_FILE_X_ROOT, requested_len
 * 0), else as CLAWOS_FILE_FIXED_SIZE + requested_len bytes. */
#define CLAWOS_FILE_MIN_SIZE __builtin_offsetof(struct clawos_file_event, root)
#define CLAWOS_FILE_FIXED_SIZE __builtin_offsetof(struct clawos_file_event, requested)

/* ---- NetworkEvent / Network6Event --------------------------------------- */
enum clawos_net_op {
	CLAWOS_NET_OP_CONNECT = 1,
	CLAWOS_NET_OP_BIND = 2,
	CLAWOS_NET_OP_LISTEN = 3,
	CLAWOS_NET_OP_ACCEPT = 4,
	CLAWOS_NET_OP_CREATE = 5,
	CLAWOS_NET_OP_SENDMSG = 6,
	CLAWOS_NET_OP_MAX,
};

enum clawos_proto {
	CLAWOS_PROTO_OTHER = 0,
	CLAWOS_PROTO_TCP = 1,
	CLAWOS_PROTO_UDP = 2,
	CLAWOS_PROTO_ICMP = 3,
	CLAWOS_PROTO_RAW = 4,
	CLAWOS_PROTO_MAX,
};

/* info byte: low nibble enum clawos_proto, high nibble enum clawos_mechanism */
#define CLAWOS_NET_INFO(proto, mech) ((__u8)(((mech) << 4) | ((proto)&0x0f)))
#define CLAWOS_NET_PROTO(info) ((info)&0x0f)
#define CLAWOS_NET_MECH(info) (((info) >> 4) & 0x0f)

struct clawos_net_event {
	struct clawos_event_hdr hdr;
	union {
		__u32 addr; /* IPv4, network order: the peer for
			     * connect/accept/sendmsg, local for bind/listen */
		struct {
			__u16 family; /* socket(2) domain */
			__u16 type;   /* socket(2) type, without flags */
		} sock;		      /* op == CLAWOS_NET_OP_CREATE */
	};
	__u16 port; /* network order; the socket(2) protocol for CREATE */
	__u8 op;    /* enum clawos_net_op */
	__u8 info;  /* CLAWOS_NET_INFO(proto, mechanism) */
};

struct clawos_net6_event {
	struct clawos_event_hdr hdr;
	__u8 addr[16]; /* IPv6, network order, same side as clawos_net_event */
	__u16 port;    /* network order */
	__u8 op;       /* enum clawos_net_op */
	__u8 info;     /* CLAWOS_NET_INFO(proto, mechanism) */
	__u32 scope_id;
};

/* ---- SyscallTraceEvent -------------------------------------------------- */
struct clawos_syscall_event {
	struct clawos_event_hdr hdr;
	__u32 nr;	/* x86_64 syscall number */
	__u8 nargs;	/* arguments captured (<= CLAWOS_SYSCALL_ARGS) */
	__u8 mechanism; /* enum clawos_mechanism */
	__u16 reserved;
	__u64 args[CLAWOS_SYSCALL_ARGS];
};

/* ---- CgroupEvent (synthesised by user space from the skb counters) ------ */
struct clawos_cgroup_event {
	struct clawos_event_hdr hdr; /* hdr.cgroup_id is the subject cgroup */
	__u64 rx_packets;	     /* deltas over interval_ns */
	__u64 rx_bytes;
	__u64 tx_packets;
	__u64 tx_bytes;
	__u64 interval_ns;
	__u32 path_flags; /* CLAWOS_PATH_F_TRUNCATED */
	__u32 reserved;
	char path[CLAWOS_CGROUP_PATH_LEN];
};

/* ---- ExecEvent ---------------------------------------------------------- */
#define CLAWOS_EXEC_F_ARGS_TRUNCATED 0x01
#define CLAWOS_EXEC_F_FILENAME_TRUNCATED 0x02
#define CLAWOS_EXEC_F_EXECVEAT 0x04
#define CLAWOS_EXEC_F_FAILED 0x08	 /* the exec returned an error */
#define CLAWOS_EXEC_F_NO_ARGS 0x10	 /* argv was not captured */
#define CLAWOS_EXEC_F_CWD_TRUNCATED 0x20 /* cwd did not fit (or was too deep to walk) */
#define CLAWOS_EXEC_F_NO_SYSCALL 0x40	 /* no execve/execveat tracepoint saw it (int $0x80) */

/* clawos_exec_event.loader_env: what the new image's environment asks of
 * the dynamic loader, scanned in the kernel at exec (bounded).  A process
 * with any of these bits is not covered by the allow lists. */
#define CLAWOS_LOADER_LD_PRELOAD 0x01
#define CLAWOS_LOADER_LD_AUDIT 0x02
#define CLAWOS_LOADER_LD_LIBRARY_PATH 0x04
#define CLAWOS_LOADER_TRACED 0x08    /* being ptraced at exec */
#define CLAWOS_LOADER_UNSCANNED 0x80 /* environment too big or unreadable: not all of it was read */

/*
 * argv as the kernel holds it: NUL-separated strings.  A successful exec
 * copies the new image's argument area (mm->arg_start..arg_end) at once, so
 * it is what /proc/PID/cmdline shows (for a "#!" script: the interpreter,
 * the script and its arguments); a failed one reads the caller's argv
 * pointers, at most CLAWOS_EXEC_MAX_ARGS of them.  The number of arguments
 * is the number of strings in args: readers count them.
 */
struct clawos_exec_event {
	struct clawos_event_hdr hdr;
	__s32 ret;	  /* 0 on success, -errno on failure */
	__u32 loader_env; /* CLAWOS_LOADER_* (successful execs only) */
	__u16 args_len;	  /* bytes used in args, NUL-separated, the last NUL included */
	__u8 flags;	  /* CLAWOS_EXEC_F_* */
	__u8 mechanism;
	__u32 old_tid;				 /* tid that called execve (differs for threads) */
	char filename[CLAWOS_EXEC_FILENAME_LEN]; /* binary that ran, or the
						  * path asked for on failure */
	char cwd[CLAWOS_EXEC_CWD_LEN];		 /* the process's working directory */
	char args[CLAWOS_EXEC_ARGS_LEN];	 /* only args_len bytes travel */
};

#define CLAWOS_EXEC_FIXED_SIZE __builtin_offsetof(struct clawos_exec_event, args)

/* ---- ProcEvent: process lifecycle, for the user-space process table ----- */
enum clawos_proc_op {
	CLAWOS_PROC_FORK = 1,
	CLAWOS_PROC_EXIT = 2,
};

struct clawos_proc_event {
	struct clawos_event_hdr hdr; /* the parent (fork) or the exiting process */
	__u8 op;		     /* enum clawos_proc_op */
	__u8 reserved0[3];
	__u32 child_pid; /* fork: the new process */
	__s32 exit_code; /* exit: wait(2) status */
	__u32 reserved1;
};

/* ---- AnomalyEvent ------------------------------------------------------- */
enum clawos_anomaly_kind {
	CLAWOS_ANOMALY_SYSCALL_RATE = 1,
	CLAWOS_ANOMALY_FILE_VIOLATION = 2,
	CLAWOS_ANOMALY_NETWORK_BURST = 3,
	CLAWOS_ANOMALY_TAMPER = 4,
	CLAWOS_ANOMALY_NETWORK_VOLUME = 5,
	CLAWOS_ANOMALY_SIGMA = 6,   /* a Sigma rule matched (user space, agent/rules*.c) */
	CLAWOS_ANOMALY_EVASION = 7, /* a way around the syscall tracepoints (compat ABI, io_uring) */
	CLAWOS_ANOMALY_MAX,
};

enum clawos_severity {
	CLAWOS_SEV_INFO = 0,
	CLAWOS_SEV_LOW = 1,
	CLAWOS_SEV_MEDIUM = 2,
	CLAWOS_SEV_HIGH = 3,
	CLAWOS_SEV_CRITICAL = 4,
	CLAWOS_SEV_MAX,
};

#define CLAWOS_ANOMALY_F_ENFORCED 0x01		  /* the access was denied */
#define CLAWOS_ANOMALY_F_ENFORCE_UNAVAILABLE 0x02 /* mode 2 asked, no BPF-LSM */

struct clawos_ancestor {
	__u32 pid;
	__u32 reserved;
	char comm[CLAWOS_COMM_LEN];
};

struct clawos_syscall_count {
	__u32 nr;
	__u32 count;
};

struct clawos_anomaly_event {
	struct clawos_event_hdr hdr;
	__u16 kind;	  /* enum clawos_anomaly_kind */
	__u8 severity;	  /* enum clawos_severity */
	__u8 flags;	  /* CLAWOS_ANOMALY_F_* */
	__u32 suppressed; /* identical anomalies suppressed since the last one */
	__u64 observed;
	__u64 threshold;
	__u32 target_root_pid;
	__u32 target_session;
	__u8 ancestry_len;
	__u8 top_len;
	__u8 mechanism;
	__u8 reserved0;
	__u32 reserved1;
	char rule[CLAWOS_ANOMALY_RULE_LEN];
	char target[CLAWOS_ANOMALY_TARGET_LEN];
	char description[CLAWOS_ANOMALY_TEXT_LEN];
	char subject[CLAWOS_ANOMALY_TEXT_LEN]; /* path, address or object */
	struct clawos_ancestor ancestry[CLAWOS_ANOMALY_ANCESTRY];
	struct clawos_syscall_count top[CLAWOS_ANOMALY_TOP];
	__u8 reserved2[120];
};

/* ---- Kernel-side settings: the CONFIG map -------------------------------- */
/* clawos_config.flags.  The CLAWOS_FILTER_* bits and the CLAWOS_CFG_* bits
 * marked "holds entries" say which maps are filled, so that a filter, target
 * list or protected-path set that is not configured costs no lookup at all;
 * the other CLAWOS_CFG_* bits are modes. */
#define CLAWOS_FILTER_EXCLUDE_COMM 0x0001
#define CLAWOS_FILTER_INCLUDE_COMM 0x0002
#define CLAWOS_FILTER_EXCLUDE_UID 0x0004
#define CLAWOS_FILTER_INCLUDE_UID 0x0008
#define CLAWOS_FILTER_EXCLUDE_CGROUP 0x0010
#define CLAWOS_FILTER_EXCLUDE_EXE 0x0020
#define CLAWOS_FILTER_EXCLUDE_PREFIX 0x0040
#define CLAWOS_FILTER_INCLUDE_PREFIX 0x0080
#define CLAWOS_CFG_SCOPE_TARGETS 0x0100	 /* only tracked process trees */
#define CLAWOS_CFG_TRACE_TARGETS 0x0200	 /* every syscall of tracked trees */
#define CLAWOS_CFG_PROTECT 0x0400	 /* clawos_protect holds entries */
#define CLAWOS_CFG_DEBUG_PRINTK 0x0800	 /* bpf_printk decisions */
#define CLAWOS_CFG_TARGET_COMM 0x1000	 /* clawos_t_comm holds entries */
#define CLAWOS_CFG_TARGET_EXE 0x2000	 /* clawos_t_exe holds entries */
#define CLAWOS_CFG_TARGET_CGROUP 0x4000	 /* clawos_t_cgrp holds entries */
#define CLAWOS_CFG_RATE_ALL 0x8000	 /* syscall_rate for every process */
#define CLAWOS_CFG_HAVE_TRACKED 0x10000	 /* clawos_tracked may hold entries */
#define CLAWOS_CFG_PROTECT_IDENT 0x20000 /* clawos_p_ident holds entries */
#define CLAWOS_CFG_PROTECT_DIRS 0x40000	 /* ... and some are directories */

/* Values of the protected-path trie. */
#define CLAWOS_PROTECT_V_READ 0x01 /* any open is a file_violation */
/* One of the agent's own files: writes, renames and unlinks are tamper. */
#define CLAWOS_PROTECT_V_AGENT 0x02

#define CLAWOS_PROTECT_V_DIR 0x04 /* identity map: a directory, covers what is below it */

/* A 256-bit Bloom filter over the (device, inode) keys of clawos_p_ident,
 * the one entry of the clawos_p_bloom array: the walk up from an opened
 * file tests each directory's bit and looks the hash up only when it is
 * set, so that a path with no protected directory costs no lookup. */
struct clawos_ident_bloom {
	__u64 bits[4];
};

/* The bit of a (device, inode) key: a multiplicative hash's top 8 bits. */
static inline __u32 clawos_ident_bit(__u64 ino, __u32 dev)
{
	return (__u32)(((ino ^ ((__u64)dev << 32)) * 0x9E3779B97F4A7C15ULL) >> 56);
}

/* A tracked process (an AI agent and its descendants). */
struct clawos_tracked {
	__u32 root_pid;
	__u32 session; /* user space's id of the watch or config target */
};

/* Per-process syscall counting for the syscall_rate rule, one slot per
 * tgid hash; the top syscalls are kept with the space-saving algorithm. */
struct clawos_rate_slot {
	__u32 tgid;
	__u32 count;
	__u64 window; /* seconds since boot */
	struct clawos_syscall_count top[CLAWOS_ANOMALY_TOP];
};

/* Values of the comm, uid and prefix filter maps. */
#define CLAWOS_FILTER_V_EXCLUDE 0x01
#define CLAWOS_FILTER_V_INCLUDE 0x02

#define CLAWOS_PREFIX_LEN 64

/* Key of the path-prefix LPM trie: prefixlen in bits, as the trie wants. */
struct clawos_prefix_key {
	__u32 prefixlen;
	char path[CLAWOS_PREFIX_LEN];
};

/* Key of the executable filter: the binary's inode, not its name, so that
 * a rename or a hard link cannot dodge it. dev is the kernel's encoding
 * (major << 20 | minor). */
struct clawos_exe_key {
	__u64 ino;
	__u32 dev;
	__u32 reserved;
};

struct clawos_config {
	__u32 enable_syscall_tracing;
	__u32 enable_file_monitoring;
	__u32 enable_network_monitoring;
	__u32 enable_cgroup_monitoring;
	__u32 syscall_anomaly_threshold;
	__u32 file_access_violation_mode;
	__u32 network_suspicious_threshold;
	__u32 agent_tgid;	/* records of this process are never emitted */
	__u32 flags;		/* CLAWOS_FILTER_* and CLAWOS_CFG_* */
	__u32 aggregate_window; /* ms; 0: every open record is emitted (bpf/agg.bpf.c) */
	__u32 reserved[6];
};

/* The argument of the clawos_agg_ctl program (bpf/agg.bpf.c), which the
 * agent runs with BPF_PROG_TEST_RUN. */
#define CLAWOS_AGG_CTL_ARM 1   /* (re)start or stop the timer at the current window */
#define CLAWOS_AGG_CTL_FLUSH 2 /* emit every pending aggregate, forget every record */

struct clawos_agg_ctl {
	__u32 op; /* CLAWOS_AGG_CTL_* */
	__u32 reserved;
};

/* The last SIGKILL sent to the agent, kept in a pinned map
 * (/sys/fs/bpf/clawos_killlog) so that the next instance can report it: the
 * killed agent never reads its own ring buffer again. */
struct clawos_kill_record {
	__u64 ts_ns; /* CLOCK_BOOTTIME */
	__u32 sender_pid;
	__u32 sender_uid;
	__u32 target_pid;
	__u32 sig;
	char comm[CLAWOS_COMM_LEN];
};

/* Per-cgroup packet counters kept by the cgroup_skb programs. */
struct clawos_cgroup_counters {
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 tx_packets;
	__u64 tx_bytes;
};

_Static_assert(sizeof(struct clawos_event_hdr) == 64, "header is 64 bytes");
_Static_assert(sizeof(struct clawos_anomaly_event) == 1056, "AnomalyEvent is 1056 bytes");
_Static_assert(sizeof(struct clawos_syscall_event) == 104, "SyscallTraceEvent is 104 bytes");
_Static_assert(sizeof(struct clawos_file_event) == 672, "FileAccessEvent is at most 672 bytes");
_Static_assert(__builtin_offsetof(struct clawos_file_event, root) == 328, "FileAccessEvent's short form is 328 bytes");
_Static_assert(__builtin_offsetof(struct clawos_file_event, requested) == 456,
	       "FileAccessEvent's fixed part is 456 bytes");
/* the BPF side looks paths up in place: {reserved, path} is a clawos_prefix_key */
_Static_assert(__builtin_offsetof(struct clawos_file_event, path) ==
		   __builtin_offsetof(struct clawos_file_event, reserved) + sizeof(__u32),
	       "reserved precedes path");
/* file_requested_trim (path.bpf.h) compares path and requested by words */
_Static_assert(__builtin_offsetof(struct clawos_file_event, path) % 8 == 0 &&
		   __builtin_offsetof(struct clawos_file_event, requested) % 8 == 0 && CLAWOS_FILE_PATH_LEN % 8 == 0,
	       "path and requested are whole 8-byte words");
_Static_assert(sizeof(struct clawos_net_event) == 72, "NetworkEvent is 72 bytes");
_Static_assert(sizeof(struct clawos_cgroup_event) == 304, "CgroupEvent is 304 bytes");
_Static_assert(sizeof(struct clawos_net6_event) == 88, "Network6Event is 88 bytes");
_Static_assert(sizeof(struct clawos_exec_event) == 4688, "ExecEvent is at most 4688 bytes");
_Static_assert(__builtin_offsetof(struct clawos_exec_event, args) == 592, "ExecEvent's fixed part is 592 bytes");
_Static_assert(sizeof(struct clawos_config) == 64, "config is 64 bytes");
/* the repeat fields live in the short form, where the 0 reserved fields were */
_Static_assert(__builtin_offsetof(struct clawos_file_event, repeat_count) == 84 &&
		   __builtin_offsetof(struct clawos_file_event, repeat_span_hi) == 322 &&
		   __builtin_offsetof(struct clawos_file_event, repeat_span_lo) == 324,
	       "repeat fields in the 328-byte short form");
_Static_assert(sizeof(struct clawos_proc_event) == 80, "ProcEvent is 80 bytes");

/* ==== Interface monitoring (bpf/iface.bpf.c, a separate BPF object) ======
 * Map keys and values of the tc (clsact) counters; not ring-buffer records.
 * User space turns their deltas into "iface" JSON records and
 * CLAWOS_ANOMALY_NETWORK_VOLUME anomalies (agent/iface.c). */
#define CLAWOS_IFACE_MAX 16	    /* interfaces watched at once */
#define CLAWOS_IFACE_FLOWS_MAX 4096 /* entries of the LRU flow map */

enum clawos_iface_dir {
	CLAWOS_IFACE_DIR_INGRESS = 0,
	CLAWOS_IFACE_DIR_EGRESS = 1,
};

/* One flow: interface, direction, protocol and the remote end. */
struct clawos_iface_key {
	__u32 ifindex;
	__u8 direction; /* enum clawos_iface_dir */
	__u8 family;	/* 4, 6, or 0 for frames that are not IP */
	__u8 ip_proto;	/* IPPROTO_* (after IPv6 extension headers: the first
			 * next-header value); 0 when not IP */
	__u8 reserved0;
	__u16 port;	 /* remote port, network order; 0 without ports */
	__u16 ethertype; /* skb->protocol, network order */
	__u8 addr[16];	 /* remote address, network order; IPv4 in addr[0..3] */
	__u32 reserved1;
};

/* Key of the per-interface totals (not LRU, so never evicted). */
struct clawos_iface_total_key {
	__u32 ifindex;
	__u32 direction; /* enum clawos_iface_dir */
};

struct clawos_iface_counters {
	__u64 packets; /* GSO aggregates count as their gso_segs */
	__u64 bytes;   /* skb->len at tc: the L2 frame without FCS */
};

/* Index 0 of the clawos_if_cfg array map. */
struct clawos_iface_config {
	__u32 enabled;
	__u32 reserved[3];
};

_Static_assert(sizeof(struct clawos_iface_key) == 32, "iface key is 32 bytes");
_Static_assert(sizeof(struct clawos_iface_total_key) == 8, "iface total key is 8 bytes");
_Static_assert(sizeof(struct clawos_iface_counters) == 16, "iface counters are 16 bytes");
_Static_assert(sizeof(struct clawos_iface_config) == 16, "iface config is 16 bytes");
/* ==== end of interface monitoring ========================================= */

#endif /* CLAWOS_ABI_H */
