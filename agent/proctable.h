/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The user-space process table: pid -> parent, comm, executable and target
 * session, seeded from /proc at start (before the first kernel record is
 * read, so there is no gap) and kept current from exec, fork and exit
 * records.  Bounded: open addressing over a fixed array; when full, the
 * oldest exited entries go first.  Ancestry walks it, and the Sigma rules
 * read a parent's image and command line from it.
 *
 * A process is its pid and its start time: when a record disagrees with
 * the entry of its pid (another comm from the main thread, another
 * parent), fork, exec or exit records were lost or filtered, and /proc is
 * read again; a start time that differs means the pid was reused, and the
 * entry starts afresh (no exe, command line or target of its predecessor).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/clawos-abi.h"

#define PROCTABLE_SLOTS 16384 /* power of two */
#define PROC_EXE_LEN 192
#define PROC_CMDLINE_MAX CLAWOS_EXEC_ARGS_LEN

/* The command line of a process's last exec, argv joined by single spaces
 * (as Sysmon for Linux shows it).  Shared between a parent and the children
 * it forks until they exec: reference-counted, immutable. */
struct proc_cmdline {
	uint32_t refs;
	uint32_t len; /* bytes of text, without the NUL */
	char text[];
};

struct proc_entry {
	uint32_t pid; /* 0: free */
	uint32_t ppid;
	uint32_t session; /* 0: not in a tracked tree */
	uint32_t root_pid;
	bool exited;
	uint64_t start_ns; /* CLOCK_BOOTTIME of its start (fork record or /proc); 0: unknown */
	char comm[CLAWOS_COMM_LEN];
	char exe[PROC_EXE_LEN];
	struct proc_cmdline *cmdline; /* NULL: unknown */
};

struct proctable {
	struct proc_entry *slots;
	uint32_t used;
	uint64_t evictions;
	uint64_t revalidations; /* records that disagreed with their entry: /proc read */
	uint64_t reused;	/* of those, pids that belonged to another process */
};

int proctable_init(struct proctable *t);
void proctable_done(struct proctable *t);

struct proc_entry *proctable_get(struct proctable *t, uint32_t pid);

/* fork: the child inherits parent's comm, exe and session. */
void proctable_fork(struct proctable *t, uint32_t parent, uint32_t child);
/* exec: a new image; the command line is unknown until set. */
void proctable_exec(struct proctable *t, uint32_t pid, uint32_t ppid, const char *comm, const char *exe);
/* The command line from argv as the kernel holds it: len bytes of
 * NUL-separated strings (a trailing NUL is not a separator). */
void proctable_set_args(struct proctable *t, uint32_t pid, const char *args, size_t len);
void proctable_exit(struct proctable *t, uint32_t pid);
/* Marks pid and every known descendant as part of session. */
void proctable_set_session(struct proctable *t, uint32_t pid, uint32_t session, uint32_t root_pid);

/* Fills up to max ancestors of pid, pid's parent first; returns how many. */
unsigned proctable_ancestry(struct proctable *t, uint32_t pid, struct clawos_ancestor *out, const char **exe,
			    unsigned max);

/* Reads /proc (I/O): every process, or one pid that no record has told
 * about yet (then remembered, as gone when /proc has nothing). */
int proctable_seed(struct proctable *t, const char *proc_root);
/* The entry of the process that made record h: as proctable_get(), loaded
 * from /proc when unknown, and checked against /proc when h disagrees with
 * it (see above).  NULL for records of no process. */
struct proc_entry *proctable_lookup(struct proctable *t, const char *proc_root, const struct clawos_event_hdr *h);
struct proc_entry *proctable_load(struct proctable *t, const char *proc_root, uint32_t pid);
/* One /proc/PID/stat line (comm, ppid, start time): 0 or -EINVAL. */
struct proc_stat {
	char comm[CLAWOS_COMM_LEN];
	uint32_t ppid;
	uint64_t start_ns; /* CLOCK_BOOTTIME, to the clock tick */
};
int proctable_parse_stat(const char *buf, struct proc_stat *st);
