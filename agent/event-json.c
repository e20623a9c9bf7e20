// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "event-json.h"
#include "event-json-internal.h"
#include "macro.h"
#include "names.h"
#include "utf8.h"

int format_rfc3339(uint64_t realtime_ns, char *buf, size_t size)
{
	time_t sec = (time_t)(realtime_ns / 1000000000ULL);
	struct tm tm;
	int n;

	if (!gmtime_r(&sec, &tm))
		return -EINVAL;
	n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09lluZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		     tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned long long)(realtime_ns % 1000000000ULL));
	return n > 0 && (size_t)n < size ? 0 : -ENOSPC;
}

#define JSON_STRING_MAX 4096 /* PATH_MAX: the longest string we encode */

struct json_object *json_string_clean(const char *s, size_t maxlen)
{
	/* every invalid byte may become 3 bytes of U+FFFD */
	static __thread char buf[3 * JSON_STRING_MAX + 1];
	size_t n = utf8_clean(s, MIN(maxlen, (size_t)JSON_STRING_MAX), buf, sizeof(buf), NULL);

	return json_object_new_string_len(buf, (int)n);
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

static struct json_object *json_errno_or_null(long ret)
{
	const char *n = ret < 0 ? errno_name((int)-ret) : NULL;

	return n ? json_object_new_string(n) : NULL;
}

static struct json_object *process_json(const struct clawos_event_hdr *h, const struct event_context *ctx)
{
	struct json_object *p = json_object_new_object();
	uint32_t ppid = h->ppid ? h->ppid : ctx->ppid;

	ADD(p, "pid", json_object_new_int64(h->pid));
	ADD(p, "tid", json_object_new_int64(h->tid));
	ADD(p, "ppid", ppid ? json_object_new_int64(ppid) : NULL);
	ADD(p, "uid", json_object_new_int64(h->uid));
	ADD(p, "gid", json_object_new_int64(h->gid));
	ADD(p, "user", ctx->user ? json_string_clean(ctx->user, 256) : NULL);
	ADD(p, "comm", json_string_clean(h->comm, sizeof(h->comm)));
	ADD(p, "exe", ctx->exe ? json_string_clean(ctx->exe, 4096) : NULL);
	ADD(p, "cgroup_id", json_object_new_uint64(h->cgroup_id));
	ADD(p, "cgroup", ctx->cgroup_path ? json_string_clean(ctx->cgroup_path, 4096) : NULL);
	return p;
}

static struct json_object *open_flags_json(uint32_t flags)
{
	const char *names[OPEN_FLAGS_NAMES_MAX];
	size_t n = open_flags_names(flags, names, ELEMENTSOF(names));
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n && i < ELEMENTSOF(names); i++)
		json_object_array_add(a, json_object_new_string(names[i]));
	if (open_flags_unknown(flags)) {
		char hex[16];

		snprintf(hex, sizeof(hex), "0x%x", open_flags_unknown(flags));
		json_object_array_add(a, json_object_new_string(hex));
	}
	return a;
}

static void file_json(struct json_object *o, const struct clawos_file_event *e)
{
	struct json_object *f = json_object_new_object();
	bool no_result = e->path_flags & CLAWOS_PATH_F_NO_RESULT;
	char raw[CLAWOS_FILE_PATH_LEN + 1], norm[CLAWOS_FILE_PATH_LEN + 1];

	ADD(f, "op", json_object_new_string(e->op == CLAWOS_FILE_OP_FILE_OPEN ? "file_open" : "open"));
	snprintf(raw, sizeof(raw), "%.*s", (int)sizeof(e->path), e->path);
	/* joined in the kernel as cwd + "/" + name: fold "." and ".." */
	if ((e->path_flags & CLAWOS_PATH_F_RESOLVED) && !(e->path_flags & CLAWOS_PATH_F_TRUNCATED) &&
	    e->mechanism != CLAWOS_MECH_LSM && path_normalize(raw, norm, sizeof(norm)) == 0 && strcmp(raw, norm) != 0) {
		ADD(f, "path", json_string_clean(norm, sizeof(norm)));
		ADD(f, "path_raw", json_string_clean(raw, sizeof(raw)));
	} else {
		ADD(f, "path", json_string_clean(raw, sizeof(raw)));
	}
	ADD(f, "path_resolved", json_object_new_boolean(!!(e->path_flags & CLAWOS_PATH_F_RESOLVED)));
	ADD(f, "path_truncated", json_object_new_boolean(!!(e->path_flags & CLAWOS_PATH_F_TRUNCATED)));
	if (e->path_flags & CLAWOS_PATH_F_FAULT)
		ADD(f, "path_unreadable", json_object_new_boolean(1));
	ADD(f, "flags", open_flags_json(e->flags));
	ADD(f, "flags_raw", json_object_new_int64(e->flags));
	ADD(f, "mode", json_object_new_int(e->mode));
	ADD(f, "dirfd", json_object_new_int(e->dirfd));
	if (e->path_flags & CLAWOS_PATH_F_OPENAT2)
		ADD(f, "syscall", json_object_new_string("openat2"));
	ADD(f, "result", no_result ? NULL : json_object_new_int(e->ret));
	ADD(f, "error", no_result ? NULL : json_errno_or_null(e->ret));
	ADD(f, "verdict", json_object_new_string(e->verdict == CLAWOS_VERDICT_DENY ? "deny" : "allow"));
	ADD(o, "file", f);
	ADD(o, "mechanism", json_object_new_string(mechanism_json_name(e->mechanism)));
}

static void exec_json(struct json_object *o, const struct clawos_exec_event *e)
{
	struct json_object *x = json_object_new_object(), *argv = json_object_new_array();
	size_t off = 0, len = MIN((size_t)e->args_len, sizeof(e->args));

	for (uint32_t i = 0; i < e->argc && off < len; i++) {
		size_t n = strnlen(e->args + off, len - off);

		json_object_array_add(argv, json_string_clean(e->args + off, n));
		off += n + 1;
	}
	ADD(x, "filename", json_string_clean(e->filename, sizeof(e->filename)));
	ADD(x, "argv", argv);
	ADD(x, "argc", json_object_new_int64(e->argc));
	ADD(x, "args_truncated", json_object_new_boolean(!!(e->flags & CLAWOS_EXEC_F_ARGS_TRUNCATED)));
	ADD(x, "filename_truncated", json_object_new_boolean(!!(e->flags & CLAWOS_EXEC_F_FILENAME_TRUNCATED)));
	ADD(x, "execveat", json_object_new_boolean(!!(e->flags & CLAWOS_EXEC_F_EXECVEAT)));
	ADD(x, "success", json_object_new_boolean(!(e->flags & CLAWOS_EXEC_F_FAILED)));
	ADD(x, "result", json_object_new_int(e->ret));
	ADD(x, "error", json_errno_or_null(e->ret));
	ADD(x, "old_tid", json_object_new_int64(e->old_tid));
	ADD(o, "exec", x);
	ADD(o, "mechanism", json_object_new_string(mechanism_json_name(e->mechanism)));
}

struct json_object *event_to_json(const struct clawos_event_hdr *h, const struct event_context *ctx)
{
	struct json_object *o =
	    json_record_new(event_type_name(h->type) ?: "unknown", h->ts_ns + ctx->realtime_offset_ns);

	if (!o)
		return NULL;
	ADD(o, "boot_ns", json_object_new_uint64(h->ts_ns));
	ADD(o, "cpu", h->cpu == CLAWOS_CPU_USER ? NULL : json_object_new_int(h->cpu));
	ADD(o, "seq", json_object_new_int64(h->seq));
	ADD(o, "host", ctx->host ? json_string_clean(ctx->host, 256) : NULL);
	if (h->cpu != CLAWOS_CPU_USER || h->pid)
		ADD(o, "process", process_json(h, ctx));
	if (ctx->target_name) {
		struct json_object *t = json_object_new_object();

		ADD(t, "name", json_string_clean(ctx->target_name, 256));
		ADD(t, "root_pid", json_object_new_int64(ctx->target_root_pid));
		ADD(t, "session_id", json_object_new_int64(ctx->target_session));
		ADD(o, "target", t);
	}
	switch (h->type) {
	case CLAWOS_EV_FILE:
		file_json(o, (const struct clawos_file_event *)h);
		break;
	case CLAWOS_EV_EXEC:
		exec_json(o, (const struct clawos_exec_event *)h);
		break;
	case CLAWOS_EV_NET:
		net_json(o, (const struct clawos_net_event *)h);
		break;
	case CLAWOS_EV_NET6:
		net6_json(o, (const struct clawos_net6_event *)h);
		break;
	case CLAWOS_EV_CGROUP:
		cgroup_json(o, (const struct clawos_cgroup_event *)h);
		break;
	case CLAWOS_EV_SYSCALL:
		syscall_json(o, (const struct clawos_syscall_event *)h);
		break;
	case CLAWOS_EV_ANOMALY:
		anomaly_json(o, (const struct clawos_anomaly_event *)h, ctx);
		break;
	case CLAWOS_EV_PROC:
		proc_json(o, (const struct clawos_proc_event *)h);
		break;
	}
	return o;
}
