/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "evasion.h"
#include "json-writer.h"
#include "macro.h"
#include "syscall-table-i386.h"

const char *i386_syscall_name(unsigned nr)
{
	return nr <= I386_SYSCALL_TABLE_MAX ? i386_syscall_table[nr] : NULL;
}

/* include/uapi/linux/io_uring.h, enum io_uring_op */
static const char *const uring_op_table[] = {
    "nop",
    "readv",
    "writev",
    "fsync",
    "read_fixed",
    "write_fixed",
    "poll_add",
    "poll_remove",
    "sync_file_range",
    "sendmsg",
    "recvmsg",
    "timeout",
    "timeout_remove",
    "accept",
    "async_cancel",
    "link_timeout",
    "connect",
    "fallocate",
    "openat",
    "close",
    "files_update",
    "statx",
    "read",
    "write",
    "fadvise",
    "madvise",
    "send",
    "recv",
    "openat2",
    "epoll_ctl",
    "splice",
    "provide_buffers",
    "remove_buffers",
    "tee",
    "shutdown",
    "renameat",
    "unlinkat",
    "mkdirat",
    "symlinkat",
    "linkat",
    "msg_ring",
    "fsetxattr",
    "setxattr",
    "fgetxattr",
    "getxattr",
    "socket",
    "uring_cmd",
    "send_zc",
    "sendmsg_zc",
};

DEFINE_STRING_TABLE_LOOKUP(uring_op, unsigned, uring_op_table, NULL);

/* A raw sockaddr the kernel left in top[] (top_len 0): "addr:port". */
static void subject_sockaddr(struct clawos_anomaly_event *a)
{
	const unsigned char *raw = (const unsigned char *)a->top;
	char text[INET6_ADDRSTRLEN];
	uint16_t family, port;

	if (a->top_len || a->subject[0])
		return;
	memcpy(&family, raw, sizeof(family));
	memcpy(&port, raw + 2, sizeof(port));
	if (family == AF_INET && inet_ntop(AF_INET, raw + 4, text, sizeof(text)))
		snprintf(a->subject, sizeof(a->subject), "%s:%u", text, ntohs(port));
	else if (family == AF_INET6 && inet_ntop(AF_INET6, raw + 8, text, sizeof(text)))
		snprintf(a->subject, sizeof(a->subject), "[%s]:%u", text, ntohs(port));
	else if (family)
		snprintf(a->subject, sizeof(a->subject), "address family %u", family);
	memset(a->top, 0, sizeof(a->top));
}

/* name, or "#nr" when there is none */
static void name_or_number(char *buf, size_t size, const char *name, uint64_t nr)
{
	if (name)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "#%llu", (unsigned long long)nr);
}

static void describe_compat(struct clawos_anomaly_event *a, const char *who)
{
	char call[48];

	name_or_number(call, sizeof(call), i386_syscall_name((unsigned)a->observed), a->observed);
	if (a->observed == 102 || a->observed == 362) /* socketcall, connect */
		subject_sockaddr(a);
	if (a->observed == 357 && a->top[0].nr && !a->subject[0]) { /* bpf() on one of the agent's maps */
		snprintf(a->subject, sizeof(a->subject), "the agent's map %u", a->top[0].nr);
		memset(a->top, 0, sizeof(a->top));
	}
	snprintf(a->description, sizeof(a->description), "%s made the 32-bit system call %s%s%.160s%s (%s)", who, call,
		 a->subject[0] ? " (" : "", a->subject, a->subject[0] ? ")" : "",
		 a->threshold ? "a 32-bit program" : "int $0x80 from a 64-bit program: no syscall tracepoint sees it");
	/* the subject names the call when nothing else does */
	if (!a->subject[0])
		snprintf(a->subject, sizeof(a->subject), "%s", call);
}

static void describe_uring(struct clawos_anomaly_event *a, const char *who)
{
	char op[32];

	name_or_number(op, sizeof(op), uring_op_name((unsigned)a->observed), a->observed);
	if (a->observed == 16) /* connect */
		subject_sockaddr(a);
	snprintf(a->description, sizeof(a->description),
		 "%s submitted io_uring %s%s%.160s (fd %d; no syscall tracepoint sees it, its result is not known)",
		 who, op, a->subject[0] ? " " : "", a->subject, (int)(int32_t)a->threshold);
	if (!a->subject[0])
		snprintf(a->subject, sizeof(a->subject), "%s", op);
}

bool evasion_describe(struct clawos_anomaly_event *a)
{
	char who[64];

	snprintf(who, sizeof(who), "%.*s[%u]", CLAWOS_COMM_LEN, a->hdr.comm, a->hdr.pid);
	if (a->kind == CLAWOS_ANOMALY_EVASION && !strcmp(a->rule, "compat_syscall"))
		describe_compat(a, who);
	else if (a->kind == CLAWOS_ANOMALY_EVASION && !strcmp(a->rule, "io_uring"))
		describe_uring(a, who);
	else if (a->kind == CLAWOS_ANOMALY_EVASION && !strcmp(a->rule, "tracked_map_full"))
		snprintf(a->description, sizeof(a->description),
			 "the %s map is full: new process %llu of %s is not followed (raise max_tracked_processes)",
			 a->threshold ? "untrusted-process" : "tracked-process", (unsigned long long)a->observed, who);
	else if (a->kind == CLAWOS_ANOMALY_TAMPER && !strcmp(a->rule, "agent_map"))
		snprintf(a->description, sizeof(a->description),
			 "%s wrote to the agent's BPF map (id %llu, bpf command %llu)", who,
			 (unsigned long long)a->threshold, (unsigned long long)a->observed);
	else
		return false;
	return true;
}

void evasion_exec_json(struct json_writer *w, const struct clawos_exec_event *e)
{
	jw_bool(w, "syscall_seen", !(e->flags & CLAWOS_EXEC_F_NO_SYSCALL));
	jw_array(w, "loader_env");
	if (e->loader_env & CLAWOS_LOADER_LD_PRELOAD)
		jw_string(w, NULL, "LD_PRELOAD");
	if (e->loader_env & CLAWOS_LOADER_LD_AUDIT)
		jw_string(w, NULL, "LD_AUDIT");
	if (e->loader_env & CLAWOS_LOADER_LD_LIBRARY_PATH)
		jw_string(w, NULL, "LD_LIBRARY_PATH");
	jw_end(w);
	jw_bool(w, "env_unscanned", e->loader_env & CLAWOS_LOADER_UNSCANNED);
	jw_bool(w, "traced", e->loader_env & CLAWOS_LOADER_TRACED);
}
