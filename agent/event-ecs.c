/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel records in the Elastic Common Schema: the envelope, the process,
 * user and custom-namespace helpers, and the exec, process and file records
 * (event-ecs-kinds.c has network, cgroup, syscall and anomaly).  Written
 * with the allocation-free writer, from the same record and context as the
 * native form.  Each ECS field is one writer call in one helper, so a field
 * the native record gains is one line here (and a row in
 * clawos-ebpf-events(7)).
 *
 * Our fields without an ECS home go under the custom namespace "clawos",
 * at the path they have in the native record (clawos.exec.old_tid is the
 * native exec.old_tid); unknown values are left out rather than null.
 */
#include <string.h>

#include "evasion.h"
#include "decode.h"
#include "event-ecs.h"
#include "event-json-internal.h"
#include "event-json.h"
#include "event-siem.h"
#include "macro.h"
#include "names.h"
#include "record-format.h"

/* kind, category, type (k2: an extra type, a string literal) and action */
static void ecs_event_build(struct json_writer *w, const void *k1, uintptr_t k2)
{
	const struct siem_class *c = k1;

	jw_string(w, "kind", c->ecs_kind);
	siem_string_array(w, "category", c->ecs_category, NULL);
	siem_string_array(w, "type", c->ecs_type, (const char *)k2);
	jw_string(w, "action", c->action);
}

void ecs_begin(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx,
	       const struct siem_class *c, const char *type_extra)
{
	jw_begin(w);
	siem_time(w, "@timestamp", siem_realtime_ns(h, ctx));
	jw_raw(w, "ecs", "{\"version\":\"" ECS_VERSION "\"}");
	jw_object(w, "event");
	siem_members(w, ecs_event_build, c, (uintptr_t)type_extra);
}

/* module and dataset ("clawos.<native event name>") */
static void ecs_module_build(struct json_writer *w, const void *k1, uintptr_t k2)
{
	const char *event = k1;
	char ds[64] = SIEM_MODULE ".";
	size_t p = strlen(ds), n = strlen(event);

	if (p + n >= sizeof(ds))
		n = sizeof(ds) - p - 1;
	memcpy(ds + p, event, n);
	ds[p + n] = '\0';
	jw_string(w, "module", SIEM_MODULE);
	jw_string(w, "dataset", ds);
}

void ecs_event_module(struct json_writer *w, const char *event, bool constant)
{
	if (constant)
		siem_members(w, ecs_module_build, event, 0);
	else
		ecs_module_build(w, event, 0);
}

/* host.name, hostname, os of a kernel record (k1: the host name) */
static void ecs_host_build(struct json_writer *w, const void *k1, uintptr_t k2)
{
	const char *host = k1, *kernel = (const char *)k2;

	if (host) {
		jw_string_clean(w, "name", host, 256);
		jw_string_clean(w, "hostname", host, 256);
	}
	jw_object(w, "os");
	jw_string(w, "type", "linux");
	if (kernel)
		jw_string_clean(w, "kernel", kernel, 256);
	jw_end(w);
}

void ecs_host_agent(struct json_writer *w, const char *host, const char *kernel)
{
	jw_object(w, "host");
	if (kernel)
		ecs_host_build(w, host, (uintptr_t)kernel);
	else
		siem_members_text(w, ecs_host_build, host);
	jw_end(w);
	jw_raw(w, "agent", "{\"type\":\"" SIEM_AGENT_TYPE "\",\"version\":\"" CLAWOS_VERSION "\"}");
}

void ecs_event_close(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx)
{
	/* event_type_name() gives static strings: cached by their address */
	ecs_event_module(w, event_type_name(h->type) ?: "unknown", true);
	jw_uint(w, "sequence", h->seq);
	jw_end(w);
	ecs_host_agent(w, ctx->host, NULL);
}

uint32_t ecs_ppid(const struct clawos_event_hdr *h, const struct event_context *ctx)
{
	return h->ppid ? h->ppid : ctx->ppid;
}

void ecs_parent(struct json_writer *w, uint32_t ppid, const char *comm, size_t comm_max, const char *exe)
{
	if (!ppid)
		return;
	jw_object(w, "parent");
	jw_int(w, "pid", ppid);
	if (comm && comm[0])
		jw_string_clean(w, "name", comm, comm_max);
	if (exe)
		jw_string_clean(w, "executable", exe, 4096);
	/* waiting for the native record: parent args, command_line (its argv) */
	jw_end(w);
}

/* Opens "process": the record's task, exe as the executable (exe_max bytes
 * at most; NULL: unknown).  The caller adds its fields and closes it. */
void ecs_process_begin(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx,
		       const char *exe, size_t exe_max)
{
	jw_object(w, "process");
	jw_int(w, "pid", h->pid);
	jw_string_clean(w, "name", h->comm, sizeof(h->comm));
	if (exe)
		jw_string_clean(w, "executable", exe, exe_max);
	jw_object(w, "thread");
	jw_int(w, "id", h->tid);
	jw_end(w);
}

void ecs_user(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx)
{
	jw_object(w, "user");
	siem_id_string(w, "id", h->uid);
	if (ctx->user)
		jw_string_clean(w, "name", ctx->user, 256);
	jw_end(w);
	jw_object(w, "group");
	siem_id_string(w, "id", h->gid);
	jw_end(w);
}

/* error.code: the errno name of a negative result. */
static void ecs_error(struct json_writer *w, long ret)
{
	const char *name = ret < 0 ? errno_name((int)-ret) : NULL;

	if (!name)
		return;
	jw_object(w, "error");
	jw_string(w, "code", name);
	jw_end(w);
}

/* Opens "clawos" with the envelope fields ECS lacks; the caller adds the
 * record's own and closes it. */
void ecs_custom_begin(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx,
		      unsigned mechanism)
{
	jw_object(w, SIEM_MODULE);
	record_clock_json(w, h);
	jw_string(w, "mechanism", mechanism_name(mechanism));
	if (h->cpu != CLAWOS_CPU_USER || h->pid) {
		jw_object(w, "process");
		jw_uint(w, "cgroup_id", h->cgroup_id);
		if (ctx->cgroup_path)
			jw_string_clean(w, "cgroup", ctx->cgroup_path, 4096);
		jw_end(w);
	}
	target_json(w, ctx);
}

static void ecs_exec(struct json_writer *w, const struct clawos_exec_event *e, const struct event_context *ctx)
{
	static __thread char cmd[sizeof(e->args)];
	bool ok = !(e->flags & CLAWOS_EXEC_F_FAILED);
	size_t off = 0, n;
	long len;

	ecs_begin(w, &e->hdr, ctx, siem_class_of(&e->hdr), NULL);
	jw_string(w, "outcome", ok ? "success" : "failure");
	ecs_event_close(w, &e->hdr, ctx);
	/* a failed exec: the program asked for, which did not start */
	ecs_process_begin(w, &e->hdr, ctx, e->filename, sizeof(e->filename));
	ecs_parent(w, ecs_ppid(&e->hdr, ctx), NULL, 0, NULL);
	jw_array(w, "args");
	for (; (len = siem_exec_arg(e, &off)) >= 0; off += (size_t)len + 1)
		jw_string_clean(w, NULL, e->args + off, (size_t)len);
	jw_end(w);
	jw_int(w, "args_count", siem_exec_argc(e));
	n = siem_command_line(e, cmd, sizeof(cmd));
	jw_string_clean(w, "command_line", cmd, n);
	if (e->cwd[0])
		jw_string_clean(w, "working_directory", e->cwd, sizeof(e->cwd));
	jw_end(w);
	ecs_user(w, &e->hdr, ctx);
	if (!ok)
		ecs_error(w, e->ret);
	ecs_custom_begin(w, &e->hdr, ctx, e->mechanism);
	jw_object(w, "exec");
	jw_bool(w, "args_truncated", e->flags & CLAWOS_EXEC_F_ARGS_TRUNCATED);
	jw_bool(w, "filename_truncated", e->flags & CLAWOS_EXEC_F_FILENAME_TRUNCATED);
	jw_bool(w, "execveat", e->flags & CLAWOS_EXEC_F_EXECVEAT);
	jw_int(w, "result", e->ret);
	jw_int(w, "old_tid", e->old_tid);
	evasion_exec_json(w, e);
	jw_end(w);
	jw_end(w);
}

/* fork: the new process, child of the record's task; exit: the task. */
static void ecs_lifecycle(struct json_writer *w, const struct clawos_proc_event *e, const struct event_context *ctx)
{
	bool fork = e->op == CLAWOS_PROC_FORK, exited = (e->exit_code & 0x7f) == 0;

	ecs_begin(w, &e->hdr, ctx, siem_class_of(&e->hdr), NULL);
	ecs_event_close(w, &e->hdr, ctx);
	jw_object(w, "process");
	jw_int(w, "pid", fork ? e->child_pid : e->hdr.pid);
	/* a child starts as a copy of its parent: same name and executable */
	jw_string_clean(w, "name", e->hdr.comm, sizeof(e->hdr.comm));
	if (ctx->exe)
		jw_string_clean(w, "executable", ctx->exe, 4096);
	if (fork) {
		ecs_parent(w, e->hdr.pid, e->hdr.comm, sizeof(e->hdr.comm), ctx->exe);
	} else {
		jw_object(w, "thread");
		jw_int(w, "id", e->hdr.tid);
		jw_end(w);
		ecs_parent(w, ecs_ppid(&e->hdr, ctx), NULL, 0, NULL);
		if (exited)
			jw_int(w, "exit_code", (e->exit_code >> 8) & 0xff);
	}
	jw_end(w);
	ecs_user(w, &e->hdr, ctx);
	ecs_custom_begin(w, &e->hdr, ctx, CLAWOS_MECH_TRACEPOINT);
	if (!fork && !exited) {
		jw_object(w, "lifecycle");
		jw_int(w, "signal", e->exit_code & 0x7f);
		jw_end(w);
	}
	jw_end(w);
}

static const char *file_outcome(const struct clawos_file_event *e)
{
	if (e->verdict == CLAWOS_VERDICT_DENY)
		return "failure";
	if (e->path_flags & CLAWOS_PATH_F_NO_RESULT)
		return "unknown";
	return e->ret < 0 ? "failure" : "success";
}

void ecs_file_path(struct json_writer *w, const char *path, size_t max)
{
	static const char *const keys[4] = {"path", "name", "directory", "extension"};

	siem_file_path(w, path, max, keys);
}

static void ecs_file(struct json_writer *w, const struct clawos_file_event *e, const struct event_context *ctx)
{
	bool no_result = e->path_flags & CLAWOS_PATH_F_NO_RESULT;
	char path[CLAWOS_FILE_PATH_LEN + 1];
	const char *raw;

	file_record_path(e, path, sizeof(path), &raw);

	ecs_begin(w, &e->hdr, ctx, siem_class_of(&e->hdr), NULL);
	jw_string(w, "outcome", file_outcome(e));
	if (e->xflags & CLAWOS_FILE_X_REPEAT) { /* the first and last of the repeats */
		siem_time(w, "start", siem_realtime_ns(&e->hdr, ctx));
		siem_time(w, "end", file_repeat_last_ns(e) + ctx->realtime_offset_ns);
	}
	ecs_event_close(w, &e->hdr, ctx);
	ecs_process_begin(w, &e->hdr, ctx, ctx->exe, 4096);
	ecs_parent(w, ecs_ppid(&e->hdr, ctx), NULL, 0, NULL);
	jw_end(w);
	ecs_user(w, &e->hdr, ctx);
	jw_object(w, "file");
	ecs_file_path(w, path, CLAWOS_FILE_PATH_LEN + 1);
	jw_end(w);
	if (!no_result)
		ecs_error(w, e->ret);
	ecs_custom_begin(w, &e->hdr, ctx, e->mechanism);
	siem_file_json(w, e, raw);
	if (e->xflags & CLAWOS_FILE_X_REPEAT) { /* ECS has no count: clawos.repeat.count */
		jw_object(w, "repeat");
		jw_uint(w, "count", e->repeat_count);
		jw_end(w);
	}
	jw_end(w);
}

static const struct siem_writers ecs_writers = {
    .exec = ecs_exec,
    .lifecycle = ecs_lifecycle,
    .file = ecs_file,
    .network = ecs_network,
    .cgroup = ecs_cgroup,
    .anomaly = ecs_anomaly,
    .syscall = ecs_syscall,
};

const char *event_ecs(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx,
		      size_t *len)
{
	return siem_write(w, h, ctx, len, &ecs_writers);
}
