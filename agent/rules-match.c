/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Recorded NDJSON through the Sigma engine (rules-match.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "event-json.h"
#include "json-writer.h"
#include "macro.h"
#include "proctable.h"
#include "record-format.h"
#include "rules-event.h"
#include "rules-match.h"
#include "time-util.h"

struct rules_matcher {
	struct rules_engine *engine;
	struct proctable procs; /* what the capture told about processes */
	struct json_writer jw;
	struct json_object *rec;
	struct rules_event_buf buf;
	struct clawos_event_hdr hdr;
	int64_t realtime_offset;
	uint32_t seq;
	uint64_t hits;
	enum record_format format;
	rules_matcher_out out;
	void *userdata;
};

int rules_matcher_new(struct rules_matcher **ret, struct rules_engine *engine)
{
	struct rules_matcher *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	if (proctable_init(&m->procs) < 0) {
		free(m);
		return -ENOMEM;
	}
	m->engine = engine;
	*ret = m;
	return 0;
}

struct rules_matcher *rules_matcher_free(struct rules_matcher *m)
{
	if (!m)
		return NULL;
	proctable_done(&m->procs);
	jw_free(&m->jw);
	free(m);
	return NULL;
}

void rules_matcher_set_format(struct rules_matcher *m, enum record_format f)
{
	m->format = f;
}

uint64_t rules_matcher_hits(const struct rules_matcher *m)
{
	return m->hits;
}

static int64_t json_int(struct json_object *o, const char *a, const char *k, int64_t dflt)
{
	struct json_object *x;

	if (a && (!json_object_object_get_ex(o, a, &o) || !json_object_is_type(o, json_type_object)))
		return dflt;
	if (!json_object_object_get_ex(o, k, &x) || !json_object_is_type(x, json_type_int))
		return dflt;
	return json_object_get_int64(x);
}

static const char *json_str(struct json_object *o, const char *a, const char *k)
{
	struct json_object *x;

	if (a && (!json_object_object_get_ex(o, a, &o) || !json_object_is_type(o, json_type_object)))
		return NULL;
	if (!json_object_object_get_ex(o, k, &x) || !json_object_is_type(x, json_type_string))
		return NULL;
	return json_object_get_string(x);
}

/* "2026-01-02T03:04:05.123456789Z" -> nanoseconds since the epoch */
static bool parse_rfc3339(const char *s, int64_t *ns)
{
	struct tm tm = {};
	const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	int64_t frac = 0, scale = (int64_t)NSEC_PER_SEC;
	time_t sec;

	if (!p)
		return false;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
	if (*p != 'Z')
		return false;
	sec = timegm(&tm);
	if (sec < 0 || sec > 9000000000LL) /* what nanoseconds in an int64 can hold */
		return false;
	*ns = (int64_t)sec * (int64_t)NSEC_PER_SEC + frac;
	return true;
}

/* The header the record had in the kernel, as far as its JSON tells. */
static void header_from_json(struct rules_matcher *m, struct json_object *o)
{
	struct clawos_event_hdr *h = &m->hdr;
	const char *comm = json_str(o, "process", "comm");
	int64_t t;

	memset(h, 0, sizeof(*h));
	h->version = CLAWOS_ABI_VERSION;
	h->pid = (uint32_t)json_int(o, "process", "pid", 0);
	h->tid = (uint32_t)json_int(o, "process", "tid", h->pid);
	h->ppid = (uint32_t)json_int(o, "process", "ppid", 0);
	h->uid = (uint32_t)json_int(o, "process", "uid", 0);
	h->gid = (uint32_t)json_int(o, "process", "gid", 0);
	h->cgroup_id = (uint64_t)json_int(o, "process", "cgroup_id", 0);
	h->ts_ns = (uint64_t)json_int(o, NULL, "boot_ns", 0);
	h->cpu = (uint16_t)json_int(o, NULL, "cpu", CLAWOS_CPU_USER);
	h->seq = (uint32_t)json_int(o, NULL, "seq", 0);
	if (comm)
		snprintf(h->comm, sizeof(h->comm), "%.15s", comm);
	if (!parse_rfc3339(json_str(o, NULL, "time"), &t) ||
	    __builtin_sub_overflow(t, (int64_t)h->ts_ns, &m->realtime_offset))
		m->realtime_offset = 0;
}

static void track_exec(struct rules_matcher *m, struct json_object *o, uint32_t pid)
{
	struct json_object *ex, *x;
	char args[CLAWOS_EXEC_ARGS_LEN];
	size_t n = 0;

	if (!json_object_object_get_ex(o, "exec", &ex) || !json_object_is_type(ex, json_type_object) ||
	    (json_object_object_get_ex(ex, "success", &x) && !json_object_get_boolean(x)))
		return;
	proctable_exec(&m->procs, pid, (uint32_t)json_int(o, "process", "ppid", 0), json_str(o, "process", "comm"),
		       json_str(o, "exec", "filename"));
	if (!json_object_object_get_ex(ex, "argv", &x) || !json_object_is_type(x, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(x) && n < sizeof(args); i++) {
		struct json_object *a = json_object_array_get_idx(x, i);
		const char *s = json_object_is_type(a, json_type_string) ? json_object_get_string(a) : "";
		size_t l = MIN(strlen(s), sizeof(args) - n - 1);

		memcpy(args + n, s, l);
		n += l;
		args[n++] = '\0';
	}
	proctable_set_args(&m->procs, pid, args, n);
}

/* The capture as a process table: parents' images and command lines. */
static void track(struct rules_matcher *m, struct json_object *o, const char *event)
{
	uint32_t pid = (uint32_t)json_int(o, "process", "pid", 0);

	if (strcmp(event, "exec") == 0) {
		track_exec(m, o, pid);
	} else if (strcmp(event, "process") == 0) {
		const char *op = json_str(o, "lifecycle", "op");

		if (op && strcmp(op, "fork") == 0)
			proctable_fork(&m->procs, pid, (uint32_t)json_int(o, "lifecycle", "child_pid", 0));
		else if (op && strcmp(op, "exit") == 0)
			proctable_exit(&m->procs, pid);
	} else if (pid && !proctable_get(&m->procs, pid)) {
		/* a process the capture saw before any exec of it */
		proctable_exec(&m->procs, pid, (uint32_t)json_int(o, "process", "ppid", 0),
			       json_str(o, "process", "comm"), json_str(o, "process", "exe"));
	}
}

static void on_hit(const struct rules_rule *rule, uint32_t matched, void *userdata)
{
	struct rules_matcher *m = userdata;
	struct clawos_anomaly_event a;
	struct rules_hit_ctx hc;
	struct event_context ctx = {.realtime_offset_ns = m->realtime_offset};
	struct json_object *t;
	const char *line;
	size_t len;

	rules_anomaly_build(rule, matched, &m->buf, &m->hdr, &a, &hc);
	a.hdr.cpu = CLAWOS_CPU_USER; /* numbered among this run's records, as the daemon's anomalies */
	a.hdr.seq = ++m->seq;
	a.ancestry_len =
	    (uint8_t)proctable_ancestry(&m->procs, a.hdr.pid, a.ancestry, ctx.ancestry_exe, CLAWOS_ANOMALY_ANCESTRY);
	ctx.host = json_str(m->rec, NULL, "host");
	ctx.exe = json_str(m->rec, "process", "exe");
	ctx.user = json_str(m->rec, "process", "user");
	ctx.cgroup_path = json_str(m->rec, "process", "cgroup");
	if (json_object_object_get_ex(m->rec, "target", &t) && json_object_is_type(t, json_type_object)) {
		ctx.target_name = json_str(t, NULL, "name");
		ctx.target_root_pid = (uint32_t)json_int(t, NULL, "root_pid", 0);
		ctx.target_session = (uint32_t)json_int(t, NULL, "session_id", 0);
	}
	ctx.sigma = &hc.sigma;
	line = event_format(&m->jw, m->format, &a.hdr, &ctx, &len);
	m->hits++;
	if (line && m->out)
		m->out(line, len, m->userdata);
}

int rules_matcher_line(struct rules_matcher *m, const char *line, size_t len, rules_matcher_out out, void *userdata)
{
	struct json_tokener *tok;
	struct json_object *o;
	const char *event;
	struct rules_proc p = {};
	const struct proc_entry *parent;
	bool ok;

	if (len > INT32_MAX)
		return -EINVAL;
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, line, (int)len);
	ok = o && json_tokener_get_error(tok) == json_tokener_success && json_object_is_type(o, json_type_object) &&
	     json_tokener_get_parse_end(tok) == len;
	json_tokener_free(tok);
	if (!ok) {
		json_object_put(o);
		return -EINVAL;
	}
	event = json_str(o, NULL, "event");
	if (!event) {
		json_object_put(o);
		return 0;
	}
	track(m, o, event);
	parent = proctable_get(&m->procs, (uint32_t)json_int(o, "process", "ppid", 0));
	if (parent) {
		p.parent_exe = parent->exe[0] ? parent->exe : NULL;
		if (parent->cmdline) {
			p.parent_cmdline = parent->cmdline->text;
			p.parent_cmdline_len = parent->cmdline->len;
		}
	}
	if (rules_event_from_json(&m->buf, o, &p)) {
		m->rec = o;
		m->out = out;
		m->userdata = userdata;
		header_from_json(m, o);
		rules_match(m->engine, &m->buf.ev, on_hit, m);
		m->rec = NULL;
	}
	json_object_put(o);
	return 0;
}
