/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "evasion.h"
#include "decode.h"
#include "event-json.h"
#include "event-json-internal.h"
#include "json-writer.h"
#include "macro.h"
#include "names.h"
#include "utf8.h"
#include "time-util.h"

#define ADD(o, k, v) json_object_object_add((o), (k), (v))

int format_rfc3339(uint64_t realtime_ns, char *buf, size_t size)
{
	/* "YYYY-MM-DDTHH:MM:SS." of the last second seen: gmtime_r and the
	 * formatting run once a second, not once a record */
	static __thread time_t last_sec = -1;
	static __thread char prefix[32];
	static __thread size_t prefix_len;
	time_t sec = (time_t)(realtime_ns / NSEC_PER_SEC);
	uint32_t ns = (uint32_t)(realtime_ns % NSEC_PER_SEC);

	if (sec != last_sec) {
		struct tm tm;
		int n;

		if (!gmtime_r(&sec, &tm))
			return -EINVAL;
		n = snprintf(prefix, sizeof(prefix), "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1,
			     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		if (n <= 0 || (size_t)n >= sizeof(prefix))
			return -EINVAL;
		prefix_len = (size_t)n;
		last_sec = sec;
	}
	if (size < prefix_len + 11)
		return -ENOSPC;
	memcpy(buf, prefix, prefix_len);
	for (int i = 8; i >= 0; i--, ns /= 10)
		buf[prefix_len + (size_t)i] = (char)('0' + ns % 10);
	buf[prefix_len + 9] = 'Z';
	buf[prefix_len + 10] = '\0';
	return 0;
}

struct json_object *json_record_new(const char *event, uint64_t realtime_ns)
{
	struct json_object *o = json_object_new_object();
	char t[40];

	if (!o)
		return NULL;
	ADD(o, "event", json_object_new_string(event));
	ADD(o, "schema_version", json_object_new_int(CLAWOS_SCHEMA_VERSION));
	if (format_rfc3339(realtime_ns, t, sizeof(t)) == 0)
		ADD(o, "time", json_object_new_string(t));
	return o;
}

struct json_object *json_events_lost_new(const char *output, uint64_t lost, uint64_t lost_total, uint64_t realtime_ns)
{
	struct json_object *o = json_record_new("events_lost", realtime_ns);

	if (!o)
		return NULL;
	ADD(o, "output", json_object_new_string(output));
	ADD(o, "lost", json_object_new_uint64(lost));
	ADD(o, "lost_total", json_object_new_uint64(lost_total));
	return o;
}

const char *json_record_string(struct json_object *o, size_t *len)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (len)
		*len = s ? strlen(s) : 0;
	return s;
}

int path_normalize(const char *in, char *out, size_t size)
{
	size_t o = 0;

	if (in[0] != '/' || size < 2)
		return -EINVAL;
	out[o++] = '/';
	for (const char *p = in; *p;) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n == 1 && p[0] == '.') {
			/* skip */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (o > 1 && out[o - 1] != '/')
				o--;
			if (o > 1)
				o--; /* and the slash before it */
		} else {
			if (o > 1 && out[o - 1] != '/')
				out[o++] = '/';
			if (o + n + 1 > size)
				return -ENAMETOOLONG;
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
	}
	if (o > 1 && out[o - 1] == '/')
		o--;
	out[o] = '\0';
	return 0;
}

static void errno_json(struct json_writer *w, const char *key, long ret)
{
	jw_string(w, key, ret < 0 ? errno_name((int)-ret) : NULL);
}

static void process_json_encode(struct json_writer *w, const struct clawos_event_hdr *h,
				const struct event_context *ctx)
{
	uint32_t ppid = h->ppid ? h->ppid : ctx->ppid;

	jw_object(w, "process");
	jw_int(w, "pid", h->pid);
	jw_int(w, "tid", h->tid);
	if (ppid)
		jw_int(w, "ppid", ppid);
	else
		jw_null(w, "ppid");
	jw_int(w, "uid", h->uid);
	jw_int(w, "gid", h->gid);
	jw_string_clean(w, "user", ctx->user, 256);
	jw_string_clean(w, "comm", h->comm, sizeof(h->comm));
	jw_string_clean(w, "exe", ctx->exe, 4096);
	jw_uint(w, "cgroup_id", h->cgroup_id);
	jw_string_clean(w, "cgroup", ctx->cgroup_path, 4096);
	jw_end(w);
}

/* The "process" member of the last record, kept as text while every input
 * it is made of stays the same: a burst of records comes from one process,
 * and its member is a third of a record's encoding.  Compared in full
 * (the header's fields and the strings' contents, not their addresses), so
 * the bytes are exactly what process_json_encode would write. */
/* A kept input string; strings longer than the encoder ever writes in
 * full are not kept (the member is then encoded each time). */
struct memo_str {
	bool set; /* false: NULL */
	char s[4097];
};

struct process_memo {
	uint32_t pid, tid, ppid, uid, gid;
	uint64_t cgroup_id;
	char comm[CLAWOS_COMM_LEN];
	struct memo_str user, exe, cgroup; /* copies, in place: no allocation per new process */
	struct json_writer text;	   /* {"process":{...}} */
	const char *member;		   /* "process":{...} in text */
	size_t member_len;
};

static __thread struct process_memo memo;

static bool memo_str_eq(const struct memo_str *kept, const char *s)
{
	return kept->set ? s && strcmp(kept->s, s) == 0 : !s;
}

static bool memo_str_set(struct memo_str *kept, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n >= sizeof(kept->s))
		return false;
	kept->set = s != NULL;
	if (s)
		memcpy(kept->s, s, n + 1);
	return true;
}

static void process_json(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx)
{
	uint32_t ppid = h->ppid ? h->ppid : ctx->ppid;
	struct process_memo *m = &memo;
	size_t len;
	const char *t;

	if (m->member && m->pid == h->pid && m->tid == h->tid && m->ppid == ppid && m->uid == h->uid &&
	    m->gid == h->gid && m->cgroup_id == h->cgroup_id && memcmp(m->comm, h->comm, sizeof(m->comm)) == 0 &&
	    memo_str_eq(&m->user, ctx->user) && memo_str_eq(&m->exe, ctx->exe) &&
	    memo_str_eq(&m->cgroup, ctx->cgroup_path)) {
		jw_members(w, m->member, m->member_len);
		return;
	}
	m->member = NULL;
	jw_begin(&m->text);
	process_json_encode(&m->text, h, ctx);
	t = jw_finish(&m->text, &len);
	if (!t || len < 2 || !memo_str_set(&m->user, ctx->user) || !memo_str_set(&m->exe, ctx->exe) ||
	    !memo_str_set(&m->cgroup, ctx->cgroup_path)) {
		process_json_encode(w, h, ctx); /* out of memory, or a string too long to keep */
		return;
	}
	m->pid = h->pid;
	m->tid = h->tid;
	m->ppid = ppid;
	m->uid = h->uid;
	m->gid = h->gid;
	m->cgroup_id = h->cgroup_id;
	memcpy(m->comm, h->comm, sizeof(m->comm));
	m->member = t + 1; /* without the braces of the object around it */
	m->member_len = len - 2;
	jw_members(w, m->member, m->member_len);
}

void event_json_forget(void)
{
	struct process_memo *m = &memo;

	jw_free(&m->text);
	*m = (struct process_memo){};
}

void record_clock_json(struct json_writer *w, const struct clawos_event_hdr *h)
{
	jw_uint(w, "boot_ns", h->ts_ns);
	if (h->cpu == CLAWOS_CPU_USER)
		jw_null(w, "cpu");
	else
		jw_int(w, "cpu", h->cpu);
}

void target_json(struct json_writer *w, const struct event_context *ctx)
{
	if (!ctx->target_name)
		return;
	jw_object(w, "target");
	jw_string_clean(w, "name", ctx->target_name, 256);
	jw_int(w, "root_pid", ctx->target_root_pid);
	jw_int(w, "session_id", ctx->target_session);
	jw_end(w);
}

/* open(2) flags as the array "flags" of names (unknown bits as one hex). */
static void open_flags_json(struct json_writer *w, uint32_t flags)
{
	const char *names[OPEN_FLAGS_NAMES_MAX];
	size_t n = open_flags_names(flags, names, ELEMENTSOF(names));

	jw_array(w, "flags");
	for (size_t i = 0; i < n && i < ELEMENTSOF(names); i++)
		jw_string(w, NULL, names[i]);
	if (open_flags_unknown(flags)) {
		char hex[16];

		snprintf(hex, sizeof(hex), "0x%x", open_flags_unknown(flags));
		jw_string(w, NULL, hex);
	}
	jw_end(w);
}

/* A relative name the kernel joined to the cwd as cwd + "/" + name: "."
 * and ".." are folded here.  Not a path read from the opened file. */
static bool file_path_folds(const struct clawos_file_event *e)
{
	return (e->path_flags & CLAWOS_PATH_F_RESOLVED) && !(e->path_flags & CLAWOS_PATH_F_TRUNCATED) &&
	       e->mechanism != CLAWOS_MECH_LSM && !(e->xflags & CLAWOS_FILE_X_FROM_FILE);
}

const char *file_record_path(const struct clawos_file_event *e, char *buf, size_t size, const char **raw)
{
	size_t n = strnlen(e->path, sizeof(e->path));

	if (raw)
		*raw = NULL;
	if (!size)
		return buf;
	if (file_path_folds(e) && size > CLAWOS_FILE_PATH_LEN) {
		char tmp[CLAWOS_FILE_PATH_LEN + 1];

		memcpy(tmp, e->path, n);
		tmp[n] = '\0';
		if (path_normalize(tmp, buf, size) == 0 && strcmp(tmp, buf) != 0) {
			if (raw)
				*raw = e->path;
			return buf;
		}
	}
	n = MIN(n, size - 1);
	memcpy(buf, e->path, n);
	buf[n] = '\0';
	return buf;
}

/* requested_path, root and protected_by of a file record, when set. */
static void file_origin_json(struct json_writer *w, const struct clawos_file_event *e)
{
	size_t req = MIN((size_t)e->requested_len, sizeof(e->requested));

	if (req)
		jw_string_clean(w, "requested_path", e->requested, strnlen(e->requested, req));
	if (e->xflags & CLAWOS_FILE_X_ROOT) {
		jw_string_clean(w, "root", e->root, strnlen(e->root, sizeof(e->root)));
		if (e->xflags & CLAWOS_FILE_X_ROOT_CUT)
			jw_bool(w, "root_truncated", true);
	}
	if (e->xflags & CLAWOS_FILE_X_IDENTITY)
		jw_string(w, "protected_by", "identity");
}

void file_detail_json(struct json_writer *w, const struct clawos_file_event *e, const char *raw)
{
	if (raw)
		jw_string_clean(w, "path_raw", raw, strnlen(raw, sizeof(e->path)));
	file_origin_json(w, e);
	jw_bool(w, "path_resolved", e->path_flags & CLAWOS_PATH_F_RESOLVED);
	jw_bool(w, "path_truncated", e->path_flags & CLAWOS_PATH_F_TRUNCATED);
	if (e->path_flags & CLAWOS_PATH_F_FAULT)
		jw_bool(w, "path_unreadable", true);
	open_flags_json(w, e->flags);
	jw_int(w, "flags_raw", e->flags);
	jw_int(w, "mode", e->mode);
	jw_int(w, "dirfd", e->dirfd);
	if (e->path_flags & CLAWOS_PATH_F_OPENAT2)
		jw_string(w, "syscall", "openat2");
}

static void file_json(struct json_writer *w, const struct clawos_file_event *e)
{
	bool no_result = e->path_flags & CLAWOS_PATH_F_NO_RESULT;
	char path[CLAWOS_FILE_PATH_LEN + 1];
	const char *raw;

	jw_object(w, "file");
	jw_string(w, "op", file_op_name(e->op));
	if (file_path_folds(e)) {
		file_record_path(e, path, sizeof(path), &raw);
		jw_string_clean(w, "path", path, sizeof(path));
	} else { /* nearly every record: the kernel's bytes as they are */
		raw = NULL;
		jw_string_clean(w, "path", e->path, sizeof(e->path));
	}
	file_detail_json(w, e, raw);
	if (no_result) {
		jw_null(w, "result");
		jw_null(w, "error");
	} else {
		jw_int(w, "result", e->ret);
		errno_json(w, "error", e->ret);
	}
	jw_string(w, "verdict", e->verdict == CLAWOS_VERDICT_DENY ? "deny" : "allow");
	jw_bool(w, "created", e->path_flags & CLAWOS_PATH_F_CREATED);
	jw_end(w);
	jw_string(w, "mechanism", mechanism_name(e->mechanism));
}

static void exec_json(struct json_writer *w, const struct clawos_exec_event *e)
{
	size_t off = 0, len = MIN((size_t)e->args_len, sizeof(e->args));
	uint32_t argc = 0;

	jw_object(w, "exec");
	jw_string_clean(w, "filename", e->filename, sizeof(e->filename));
	jw_array(w, "argv");
	/* one string per NUL; the kernel ends the last one with a NUL too */
	while (off < len) {
		size_t n = strnlen(e->args + off, len - off);

		jw_string_clean(w, NULL, e->args + off, n);
		off += n + 1;
		argc++;
	}
	jw_end(w);
	jw_int(w, "argc", argc);
	jw_bool(w, "args_truncated", e->flags & CLAWOS_EXEC_F_ARGS_TRUNCATED);
	jw_bool(w, "filename_truncated", e->flags & CLAWOS_EXEC_F_FILENAME_TRUNCATED);
	jw_bool(w, "execveat", e->flags & CLAWOS_EXEC_F_EXECVEAT);
	jw_bool(w, "success", !(e->flags & CLAWOS_EXEC_F_FAILED));
	jw_int(w, "result", e->ret);
	errno_json(w, "error", e->ret);
	jw_int(w, "old_tid", e->old_tid);
	jw_string_clean(w, "cwd", e->cwd, sizeof(e->cwd));
	jw_bool(w, "cwd_truncated", e->flags & CLAWOS_EXEC_F_CWD_TRUNCATED);
	evasion_exec_json(w, e);
	jw_end(w);
	jw_string(w, "mechanism", mechanism_name(e->mechanism));
}

/* "repeat": how many opens a CLAWOS_FILE_X_REPEAT record stands for and
 * when the first and the last were, in the forms of the record's own time. */
static void repeat_json(struct json_writer *w, const struct clawos_file_event *e, const struct event_context *ctx)
{
	uint64_t last = file_repeat_last_ns(e);
	char t[40];

	jw_object(w, "repeat");
	jw_uint(w, "count", e->repeat_count);
	if (format_rfc3339(e->hdr.ts_ns + ctx->realtime_offset_ns, t, sizeof(t)) == 0)
		jw_string(w, "first", t);
	if (format_rfc3339(last + ctx->realtime_offset_ns, t, sizeof(t)) == 0)
		jw_string(w, "last", t);
	jw_uint(w, "first_boot_ns", e->hdr.ts_ns);
	jw_uint(w, "last_boot_ns", last);
	jw_end(w);
}

const char *event_json(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx,
		       size_t *len)
{
	char t[40];

	jw_begin(w);
	jw_string(w, "event", event_type_name(h->type) ?: "unknown");
	jw_int(w, "schema_version", CLAWOS_SCHEMA_VERSION);
	if (format_rfc3339(h->ts_ns + ctx->realtime_offset_ns, t, sizeof(t)) == 0)
		jw_string(w, "time", t);
	record_clock_json(w, h);
	jw_int(w, "seq", h->seq);
	jw_string_clean(w, "host", ctx->host, 256);
	if (h->cpu != CLAWOS_CPU_USER || h->pid)
		process_json(w, h, ctx);
	target_json(w, ctx);
	switch (h->type) {
	case CLAWOS_EV_FILE:
		file_json(w, (const struct clawos_file_event *)h);
		if (((const struct clawos_file_event *)h)->xflags & CLAWOS_FILE_X_REPEAT)
			repeat_json(w, (const struct clawos_file_event *)h, ctx);
		break;
	case CLAWOS_EV_EXEC:
		exec_json(w, (const struct clawos_exec_event *)h);
		break;
	case CLAWOS_EV_NET:
		net_json(w, (const struct clawos_net_event *)h);
		break;
	case CLAWOS_EV_NET6:
		net6_json(w, (const struct clawos_net6_event *)h);
		break;
	case CLAWOS_EV_CGROUP:
		cgroup_json(w, (const struct clawos_cgroup_event *)h);
		break;
	case CLAWOS_EV_SYSCALL:
		syscall_json(w, (const struct clawos_syscall_event *)h);
		break;
	case CLAWOS_EV_ANOMALY:
		anomaly_json(w, (const struct clawos_anomaly_event *)h, ctx);
		break;
	case CLAWOS_EV_PROC:
		proc_json(w, (const struct clawos_proc_event *)h);
		break;
	}
	return jw_finish(w, len);
}
