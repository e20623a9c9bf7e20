/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel records in OCSF: the envelope (classification, metadata, device),
 * the actor, process, user and file objects, and the exec, process and
 * file records (event-ocsf-kinds.c has network, cgroup, syscall and
 * anomaly).  Allocation-free like the native writer; each OCSF attribute is
 * one writer call in one helper.
 *
 * Our fields without an OCSF attribute go under "unmapped", at the path
 * they have in the native record (unmapped.exec.old_tid is the native
 * exec.old_tid); unknown values are left out rather than null.
 */
#include <string.h>

#include "evasion.h"
#include "decode.h"
#include "event-json-internal.h"
#include "event-json.h"
#include "event-ocsf.h"
#include "event-siem.h"
#include "macro.h"
#include "names.h"
#include "record-format.h"
#include "time-util.h"

static const char *const severity_captions[] = {"Unknown", "Informational", "Low", "Medium", "High", "Critical"};

/* class_uid .. type_name, severity_id, severity; k2: the severity_id */
static void ocsf_head_build(struct json_writer *w, const void *k1, uintptr_t k2)
{
	const struct siem_class *c = k1;
	const struct siem_ocsf_class *k = &siem_ocsf_classes[c->ocsf];

	jw_int(w, "class_uid", k->class_uid);
	jw_string(w, "class_name", k->class_name);
	jw_int(w, "category_uid", k->category_uid);
	jw_string(w, "category_name", k->category_name);
	jw_int(w, "activity_id", c->activity_id);
	jw_string(w, "activity_name", c->activity_name);
	jw_int(w, "type_uid", (int64_t)k->class_uid * 100 + c->activity_id);
	jw_string(w, "type_name", c->type_name);
	jw_int(w, "severity_id", (int64_t)k2);
	jw_string(w, "severity", severity_captions[k2 < ELEMENTSOF(severity_captions) ? k2 : 0]);
}

void ocsf_begin(struct json_writer *w, const struct siem_class *c, unsigned severity_id, uint64_t realtime_ns)
{
	if (!severity_id || severity_id >= ELEMENTSOF(severity_captions))
		severity_id = c->severity_id;
	jw_begin(w);
	siem_members(w, ocsf_head_build, c, severity_id);
	jw_uint(w, "time", realtime_ns / NSEC_PER_MSEC);
}

/* version, product, profiles (k2), event_code (k1) */
static void ocsf_metadata_build(struct json_writer *w, const void *k1, uintptr_t k2)
{
	jw_string(w, "version", OCSF_VERSION);
	jw_object(w, "product");
	jw_string(w, "name", SIEM_AGENT_TYPE);
	jw_string(w, "vendor_name", SIEM_VENDOR);
	jw_string(w, "version", CLAWOS_VERSION);
	jw_end(w);
	jw_array(w, "profiles");
	if (k2 & OCSF_PROFILE_HOST)
		jw_string(w, NULL, "host");
	if (k2 & OCSF_PROFILE_SECURITY_CONTROL)
		jw_string(w, NULL, "security_control");
	jw_end(w);
	jw_string(w, "event_code", (const char *)k1);
}

void ocsf_metadata(struct json_writer *w, const char *event, const char *time, unsigned profiles, bool constant)
{
	jw_object(w, "metadata");
	if (constant)
		siem_members(w, ocsf_metadata_build, event, profiles);
	else
		ocsf_metadata_build(w, event, profiles);
	if (time)
		jw_string(w, "original_time", time);
	jw_end(w);
}

/* metadata of a kernel record, its time formatted here */
static void ocsf_metadata_kernel(struct json_writer *w, const char *event, uint64_t ns, unsigned profiles)
{
	jw_object(w, "metadata");
	siem_members(w, ocsf_metadata_build, event, profiles);
	siem_time(w, "original_time", ns);
	jw_end(w);
}

/* hostname (k1), type_id, type, os (with k2, the kernel release, when known) */
static void ocsf_device_build(struct json_writer *w, const void *k1, uintptr_t k2)
{
	if (k1)
		jw_string_clean(w, "hostname", k1, 256);
	jw_int(w, "type_id", 0);
	jw_string(w, "type", "Unknown");
	jw_object(w, "os");
	jw_string(w, "name", "Linux");
	jw_int(w, "type_id", 200);
	jw_string(w, "type", "Linux");
	if (k2)
		jw_string_clean(w, "kernel_release", (const char *)k2, 256);
	jw_end(w);
}

void ocsf_device(struct json_writer *w, const char *host, const char *kernel)
{
	jw_object(w, "device");
	if (kernel)
		ocsf_device_build(w, host, (uintptr_t)kernel);
	else
		siem_members_text(w, ocsf_device_build, host);
	jw_end(w);
}

void ocsf_head(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx,
	       const struct siem_class *c, unsigned severity_id, unsigned profiles)
{
	uint64_t ns = siem_realtime_ns(h, ctx);

	ocsf_begin(w, c, severity_id, ns);
	/* event_type_name() gives static strings: cached by their address */
	ocsf_metadata_kernel(w, event_type_name(h->type) ?: "unknown", ns, profiles | OCSF_PROFILE_HOST);
	ocsf_device(w, ctx->host, NULL);
}

static void ocsf_user(struct json_writer *w, const char *key, const struct clawos_event_hdr *h,
		      const struct event_context *ctx)
{
	jw_object(w, key);
	siem_id_string(w, "uid", h->uid);
	if (ctx->user)
		jw_string_clean(w, "name", ctx->user, 256);
	jw_array(w, "groups");
	jw_object(w, NULL);
	siem_id_string(w, "uid", h->gid);
	jw_end(w);
	jw_end(w);
	jw_end(w);
}

void ocsf_file(struct json_writer *w, const char *key, const char *path, size_t max, unsigned type_id)
{
	static const char *const keys[4] = {"path", "name", "parent_folder", "ext"};
	static const char *const types[] = {[0] = "Unknown", [1] = "Regular File"};

	jw_object(w, key);
	siem_file_path(w, path, max, keys);
	jw_int(w, "type_id", type_id);
	jw_string(w, "type", type_id < ELEMENTSOF(types) ? types[type_id] : "Other");
	jw_end(w);
}

struct ocsf_process ocsf_task(const struct clawos_event_hdr *h, const struct event_context *ctx)
{
	return (struct ocsf_process){
	    .pid = h->pid,
	    .tid = h->tid,
	    .ppid = h->ppid ? h->ppid : ctx->ppid,
	    .name = h->comm,
	    .name_max = sizeof(h->comm),
	    .exe = ctx->exe,
	    .exe_max = 4096,
	    .exe_type_id = 1,
	};
}

void ocsf_process(struct json_writer *w, const char *key, const struct ocsf_process *p,
		  const struct clawos_event_hdr *h, const struct event_context *ctx)
{
	jw_object(w, key);
	jw_int(w, "pid", p->pid);
	if (p->tid)
		jw_int(w, "tid", p->tid);
	if (p->name && p->name[0])
		jw_string_clean(w, "name", p->name, p->name_max);
	if (p->cmd_line)
		jw_string_clean(w, "cmd_line", p->cmd_line, p->cmd_len);
	if (p->cwd && p->cwd[0])
		jw_string_clean(w, "working_directory", p->cwd, p->cwd_max);
	if (p->exe && p->exe[0])
		ocsf_file(w, "file", p->exe, p->exe_max, p->exe_type_id);
	if (p->user)
		ocsf_user(w, "user", h, ctx);
	if (p->ppid) {
		jw_object(w, "parent_process");
		jw_int(w, "pid", p->ppid);
		if (p->parent_name && p->parent_name[0])
			jw_string_clean(w, "name", p->parent_name, p->parent_name_max);
		if (p->parent_exe)
			ocsf_file(w, "file", p->parent_exe, 4096, 1);
		/* waiting for the native record: the parent's cmd_line (its argv) */
		jw_end(w);
	}
	if (p->ancestry && p->ancestry->ancestry_len) {
		const struct clawos_anomaly_event *a = p->ancestry;

		jw_array(w, "ancestry");
		for (unsigned i = 0; i < a->ancestry_len && i < CLAWOS_ANOMALY_ANCESTRY; i++) {
			jw_object(w, NULL);
			jw_int(w, "pid", a->ancestry[i].pid);
			if (a->ancestry[i].comm[0])
				jw_string_clean(w, "name", a->ancestry[i].comm, sizeof(a->ancestry[i].comm));
			if (ctx->ancestry_exe[i])
				jw_string_clean(w, "path", ctx->ancestry_exe[i], 4096);
			jw_end(w);
		}
		jw_end(w);
	}
	jw_end(w);
}

void ocsf_actor(struct json_writer *w, const struct ocsf_process *p, const struct clawos_event_hdr *h,
		const struct event_context *ctx)
{
	jw_object(w, "actor");
	if (p)
		ocsf_process(w, "process", p, h, ctx);
	ocsf_user(w, "user", h, ctx);
	jw_end(w);
}

/* status_id and status (Success, Failure), status_code the errno name. */
static void ocsf_status(struct json_writer *w, bool ok, long ret)
{
	const char *name = ret < 0 ? errno_name((int)-ret) : NULL;

	jw_int(w, "status_id", ok ? 1 : 2);
	jw_string(w, "status", ok ? "Success" : "Failure");
	if (name)
		jw_string(w, "status_code", name);
}

void ocsf_unmapped_begin(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx,
			 unsigned mechanism)
{
	jw_object(w, "unmapped");
	record_clock_json(w, h);
	jw_uint(w, "seq", h->seq);
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

/* Launch: actor the parent, process the new program. */
static void ocsf_exec(struct json_writer *w, const struct clawos_exec_event *e, const struct event_context *ctx)
{
	static __thread char cmd[sizeof(e->args)];
	bool ok = !(e->flags & CLAWOS_EXEC_F_FAILED);
	struct ocsf_process p = ocsf_task(&e->hdr, ctx), parent = {.pid = p.ppid};
	size_t off = 0;
	long len;

	ocsf_head(w, &e->hdr, ctx, siem_class_of(&e->hdr), 0, 0);
	ocsf_actor(w, parent.pid ? &parent : NULL, &e->hdr, ctx);
	p.exe = e->filename;
	p.exe_max = sizeof(e->filename);
	p.exe_type_id = ok ? 1 : 0; /* a failed exec: maybe no such file */
	p.cmd_len = siem_command_line(e, cmd, sizeof(cmd));
	p.cwd = e->cwd;
	p.cwd_max = sizeof(e->cwd);
	p.cmd_line = cmd;
	p.user = true;
	ocsf_process(w, "process", &p, &e->hdr, ctx);
	jw_int(w, "launch_type_id", 3);
	jw_string(w, "launch_type", "Exec");
	ocsf_status(w, ok, e->ret);
	ocsf_unmapped_begin(w, &e->hdr, ctx, e->mechanism);
	jw_object(w, "exec");
	jw_array(w, "argv");
	for (; (len = siem_exec_arg(e, &off)) >= 0; off += (size_t)len + 1)
		jw_string_clean(w, NULL, e->args + off, (size_t)len);
	jw_end(w);
	jw_int(w, "argc", siem_exec_argc(e));
	jw_bool(w, "args_truncated", e->flags & CLAWOS_EXEC_F_ARGS_TRUNCATED);
	jw_bool(w, "filename_truncated", e->flags & CLAWOS_EXEC_F_FILENAME_TRUNCATED);
	jw_bool(w, "execveat", e->flags & CLAWOS_EXEC_F_EXECVEAT);
	jw_int(w, "result", e->ret);
	jw_int(w, "old_tid", e->old_tid);
	evasion_exec_json(w, e);
	jw_end(w);
	jw_end(w);
}

/* fork: Launch, actor the parent, process the child (a copy of it);
 * exit: Terminate, actor and process the exiting process. */
static void ocsf_lifecycle(struct json_writer *w, const struct clawos_proc_event *e, const struct event_context *ctx)
{
	bool fork = e->op == CLAWOS_PROC_FORK, exited = (e->exit_code & 0x7f) == 0;
	struct ocsf_process p = ocsf_task(&e->hdr, ctx), child = p;

	ocsf_head(w, &e->hdr, ctx, siem_class_of(&e->hdr), 0, 0);
	ocsf_actor(w, &p, &e->hdr, ctx);
	if (fork) {
		child.pid = e->child_pid;
		child.tid = 0;
		child.ppid = e->hdr.pid;
	}
	child.user = true;
	ocsf_process(w, "process", &child, &e->hdr, ctx);
	if (fork) {
		jw_int(w, "launch_type_id", 2);
		jw_string(w, "launch_type", "Fork");
	} else if (exited) {
		jw_int(w, "exit_code", (e->exit_code >> 8) & 0xff);
	}
	ocsf_unmapped_begin(w, &e->hdr, ctx, CLAWOS_MECH_TRACEPOINT);
	if (!fork && !exited) {
		jw_object(w, "lifecycle");
		jw_int(w, "signal", e->exit_code & 0x7f);
		jw_end(w);
	}
	jw_end(w);
}

static void ocsf_file_access(struct json_writer *w, const struct clawos_file_event *e, const struct event_context *ctx)
{
	bool no_result = e->path_flags & CLAWOS_PATH_F_NO_RESULT, deny = e->verdict == CLAWOS_VERDICT_DENY;
	struct ocsf_process p = ocsf_task(&e->hdr, ctx);
	char path[CLAWOS_FILE_PATH_LEN + 1];
	const char *raw;

	file_record_path(e, path, sizeof(path), &raw);

	ocsf_head(w, &e->hdr, ctx, siem_class_of(&e->hdr), 0, deny ? OCSF_PROFILE_SECURITY_CONTROL : 0);
	ocsf_actor(w, &p, &e->hdr, ctx);
	ocsf_file(w, "file", path, CLAWOS_FILE_PATH_LEN + 1, 0);
	/* open(2) takes its flags as an int: the kernel's bits, as signed */
	jw_int(w, "access_mask", (int32_t)e->flags);
	if (deny) {
		jw_int(w, "action_id", 2);
		jw_string(w, "action", "Denied");
		jw_int(w, "disposition_id", 2);
		jw_string(w, "disposition", "Blocked");
	}
	if (!no_result)
		ocsf_status(w, e->ret >= 0, e->ret);
	if (e->xflags & CLAWOS_FILE_X_REPEAT) { /* the base event's aggregation attributes */
		jw_uint(w, "count", e->repeat_count);
		jw_uint(w, "start_time", siem_realtime_ns(&e->hdr, ctx) / NSEC_PER_MSEC);
		jw_uint(w, "end_time", (file_repeat_last_ns(e) + ctx->realtime_offset_ns) / NSEC_PER_MSEC);
	}
	ocsf_unmapped_begin(w, &e->hdr, ctx, e->mechanism);
	siem_file_json(w, e, raw);
	jw_end(w);
}

static const struct siem_writers ocsf_writers = {
    .exec = ocsf_exec,
    .lifecycle = ocsf_lifecycle,
    .file = ocsf_file_access,
    .network = ocsf_network,
    .cgroup = ocsf_cgroup,
    .anomaly = ocsf_anomaly,
    .syscall = ocsf_syscall,
};

const char *event_ocsf(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx,
		       size_t *len)
{
	return siem_write(w, h, ctx, len, &ocsf_writers);
}
