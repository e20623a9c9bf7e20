/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* From a raw ring-buffer record, or a user-space one, to every output. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "evasion.h"
#include "event-json.h"
#include "record-format.h"
#include "iface.h"
#include "log.h"
#include "manager.h"
#include "names.h"
#include "time-util.h"

/* One record encoded in the formats the outputs want (json[f] NULL: not
 * encoded in format f, or it failed). */
struct manager_lines {
	const char *json[_RECORD_FORMAT_MAX];
	size_t len[_RECORD_FORMAT_MAX];
};

uint64_t manager_boot_ns(void)
{
	return now_nsec(CLOCK_BOOTTIME);
}

uint64_t manager_realtime_ns(void)
{
	return now_nsec(CLOCK_REALTIME);
}

/* The header's comm as a string (the kernel's is NUL-padded, not always
 * NUL-terminated): per record, so no printf. */
static void comm_copy(char dst[CLAWOS_COMM_LEN + 1], const char src[CLAWOS_COMM_LEN])
{
	size_t n = strnlen(src, CLAWOS_COMM_LEN);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static bool journal_takes(const struct manager *m, bool trace)
{
	return m->out_journal && m->settings.journal_records != CLAWOS_JOURNAL_NONE &&
	       (!trace || m->settings.journal_records == CLAWOS_JOURNAL_ALL);
}

/* The formats wanted for a record (bit 1 << enum record_format each). */
static unsigned manager_formats(struct manager *m, bool trace)
{
	const struct clawos_settings *s = &m->settings;
	unsigned mask = 0;

	if (m->out_stdout)
		mask |= 1u << s->stdout_format;
	if (m->out_socket) /* and what its clients asked for (0 when none did) */
		mask |= 1u << s->socket_format | output_socket_formats(m->out_socket);
	if (m->out_connect)
		mask |= 1u << s->connect_format;
	if (journal_takes(m, trace))
		mask |= 1u << s->journal_format;
	return mask;
}

/* r with the line of format f; false when there is none. */
static bool record_in(struct output_record *r, const struct manager_lines *l, int f)
{
	if ((unsigned)f >= _RECORD_FORMAT_MAX || !l->json[f])
		return false;
	r->json = l->json[f];
	r->len = l->len[f];
	return true;
}

/* r (its json and len aside) to every output, each in its format from l */
static void emit_lines(struct manager *m, const struct manager_lines *l, struct output_record r)
{
	const struct clawos_settings *s = &m->settings;
	bool trace = r.trace;

	m->records_out++;
	if (m->out_stdout && record_in(&r, l, s->stdout_format))
		output_stdout_push(m->out_stdout, &r);
	if (m->out_socket && record_in(&r, l, s->socket_format)) {
		r.json_by_format = l->json;
		r.len_by_format = l->len;
		output_socket_push(m->out_socket, &r);
	}
	if (m->out_connect && record_in(&r, l, s->connect_format))
		output_connect_push(m->out_connect, &r);
	if (journal_takes(m, trace) && record_in(&r, l, s->journal_format))
		output_journal_push(m->out_journal, &r);
}

static void manager_emit_lines(struct manager *m, const struct manager_lines *l, const char *event, bool trace,
			       int priority, const char *message, uint32_t pid, const char *comm)
{
	emit_lines(
	    m, l,
	    (struct output_record){
		.event = event, .trace = trace, .priority = priority, .message = message, .pid = pid, .comm = comm});
}

void manager_emit_json(struct manager *m, struct json_object *o, const char *event, bool trace, int priority,
		       const char *message, uint32_t pid, const char *comm)
{
	struct manager_lines l = {};
	unsigned mask = manager_formats(m, trace);

	for (unsigned f = 0; f < _RECORD_FORMAT_MAX; f++)
		if (mask & (1u << f))
			l.json[f] = agent_record_format(&m->jw[f], f, o, enrich_host(m->enrich), manager_realtime_ns(),
							&l.len[f]);
	manager_emit_lines(m, &l, event, trace, priority, message, pid, comm);
}

/* A kernel or synthesised record in every format wanted; false when no
 * format could be written (out of memory). */
static bool encode_record(struct manager *m, const struct clawos_event_hdr *h, const struct event_context *ctx,
			  bool trace, struct manager_lines *l)
{
	unsigned mask = manager_formats(m, trace);
	bool any = mask == 0;

	for (unsigned f = 0; f < _RECORD_FORMAT_MAX; f++)
		if (mask & (1u << f)) {
			l->json[f] = event_format(&m->jw[f], f, h, ctx, &l->len[f]);
			any = any || l->json[f];
		}
	return any;
}

void manager_flush_outputs(struct manager *m)
{
	if (m->out_stdout)
		output_stdout_flush(m->out_stdout);
	if (m->out_socket)
		output_socket_flush(m->out_socket);
	if (m->out_connect)
		output_connect_flush(m->out_connect);
}

static void record_message(const struct clawos_event_hdr *h, char *buf, size_t size)
{
	char comm[CLAWOS_COMM_LEN + 1];

	comm_copy(comm, h->comm);
	switch (h->type) {
	case CLAWOS_EV_EXEC: {
		const struct clawos_exec_event *e = (const void *)h;

		snprintf(buf, size, "exec %.256s by %s[%u]%s", e->filename, comm, h->pid,
			 e->flags & CLAWOS_EXEC_F_FAILED ? " failed" : "");
		break;
	}
	case CLAWOS_EV_FILE: {
		const struct clawos_file_event *e = (const void *)h;

		snprintf(buf, size, "open %.216s by %s[%u] = %d", e->path, comm, h->pid, e->ret);
		break;
	}
	case CLAWOS_EV_ANOMALY: {
		const struct clawos_anomaly_event *e = (const void *)h;

		snprintf(buf, size, "anomaly %.32s: %.256s", e->rule, e->description);
		break;
	}
	default:
		snprintf(buf, size, "%s by %s[%u]", event_type_name(h->type), comm, h->pid);
	}
}

static int anomaly_priority(unsigned severity)
{
	/* journald at warning or higher for every anomaly */
	return severity >= CLAWOS_SEV_CRITICAL ? LOG_CRIT : severity >= CLAWOS_SEV_HIGH ? LOG_ERR : LOG_WARNING;
}

/* The process of a record, from the table; a process no record told about
 * yet (it started before the agent and was missed by the seed, or its fork
 * record was lost) is read from /proc once. */
static const struct proc_entry *record_process(struct manager *m, const struct clawos_event_hdr *h)
{
	/* by pid and start time: /proc again when h disagrees (proctable.h) */
	return proctable_lookup(&m->procs, "/proc", h);
}

/* The tracked tree of a process, for the "target" of its records. */
static void context_target(struct manager *m, const struct proc_entry *p, struct event_context *ctx)
{
	const struct target_session *t = p && p->session ? targets_session(&m->targets, p->session) : NULL;

	if (!t)
		return;
	ctx->target_name = t->name;
	ctx->target_root_pid = p->root_pid;
	ctx->target_session = t->id;
}

/* Decoded, enriched and encoded: one kernel or synthesised record. */
/* Decoded, enriched and encoded: one kernel or synthesised record; sigma:
 * what an anomaly of kind sigma adds, with its priority. */
static void emit_record(struct manager *m, const struct clawos_event_hdr *h, const struct event_sigma *sigma,
			int sigma_priority)
{
	struct event_context ctx = {.realtime_offset_ns = m->realtime_offset_ns, .sigma = sigma};
	struct manager_lines l = {};
	const struct proc_entry *p = record_process(m, h);
	char msg[512], comm[CLAWOS_COMM_LEN + 1];
	struct output_record r = {.event = event_type_name(h->type),
				  .trace = h->type != CLAWOS_EV_ANOMALY,
				  .priority = LOG_INFO,
				  .message = msg,
				  .pid = h->pid,
				  .comm = comm};

	enrich_record(m->enrich, h, p, &ctx);
	context_target(m, p, &ctx);
	if (h->type == CLAWOS_EV_ANOMALY) {
		const struct clawos_anomaly_event *a = (const void *)h;
		struct clawos_ancestor tmp[CLAWOS_ANOMALY_ANCESTRY];

		proctable_ancestry(&m->procs, h->pid, tmp, ctx.ancestry_exe, CLAWOS_ANOMALY_ANCESTRY);
		r.priority = sigma ? sigma_priority : anomaly_priority(a->severity);
		r.id_key = sigma ? "sigma" : NULL;
	}
	if (!encode_record(m, h, &ctx, r.trace, &l))
		return;
	/* MESSAGE= text only where the journal will take the record */
	if (m->out_journal && m->settings.journal_records != CLAWOS_JOURNAL_NONE &&
	    (h->type == CLAWOS_EV_ANOMALY || m->settings.journal_records == CLAWOS_JOURNAL_ALL)) {
		if (sigma)
			snprintf(msg, sizeof(msg), "sigma %s: %.300s (%.120s) by %.16s[%u]", sigma->level, sigma->title,
				 sigma->subject ? sigma->subject : "-", h->comm, h->pid);
		else
			record_message(h, msg, sizeof(msg));
	} else {
		msg[0] = '\0';
	}
	comm_copy(comm, h->comm);
	emit_lines(m, &l, r);
}

void manager_emit_record(struct manager *m, const struct clawos_event_hdr *h)
{
	emit_record(m, h, NULL, 0);
}

/* An anomaly raised by the kernel, detect.c or a Sigma rule:
 * de-duplicated, given its ancestry, target and text, then emitted. */
static int manager_on_ring_record(struct manager *m, void *data, size_t size);

static void emit_anomaly(struct manager *m, struct clawos_anomaly_event *a, const struct event_sigma *sigma,
			 int sigma_priority);

static void raise_anomaly(struct manager *m, struct clawos_anomaly_event *a, const struct event_sigma *sigma,
			  int sigma_priority)
{
	evasion_describe(a); /* before admission: it may set the subject */
	if (!detect_admit(m->detect, a, manager_boot_ns()))
		return;
	emit_anomaly(m, a, sigma, sigma_priority);
}

/* Flood control's summaries, due now (called from a timer). */
void manager_flood_flush(struct manager *m)
{
	struct clawos_anomaly_event out[8];
	size_t n;

	while ((n = detect_flush(m->detect, manager_boot_ns(), out, ELEMENTSOF(out))) > 0)
		for (size_t i = 0; i < n; i++)
			emit_anomaly(m, &out[i], NULL, 0);
}

/* An admitted anomaly: numbered, given its ancestry, target and text. */
static void emit_anomaly(struct manager *m, struct clawos_anomaly_event *a, const struct event_sigma *sigma,
			 int sigma_priority)
{
	struct proc_entry *p = proctable_get(&m->procs, a->hdr.pid);

	/* anomalies are numbered by user space, among its own records */
	a->hdr.cpu = CLAWOS_CPU_USER;
	a->hdr.seq = ++m->user_seq;
	if (!a->hdr.ppid && p)
		a->hdr.ppid = p->ppid;
	a->ancestry_len =
	    (uint8_t)proctable_ancestry(&m->procs, a->hdr.pid, a->ancestry, NULL, CLAWOS_ANOMALY_ANCESTRY);
	if (p && p->session) {
		const struct target_session *t = targets_session(&m->targets, p->session);

		a->target_root_pid = p->root_pid;
		a->target_session = p->session;
		if (t)
			snprintf(a->target, sizeof(a->target), "%s", t->name);
	}
	detect_describe(a);
	m->events_by_type[CLAWOS_EV_ANOMALY]++;
	emit_record(m, &a->hdr, sigma, sigma_priority);
}

void manager_raise(struct manager *m, struct clawos_anomaly_event *a)
{
	raise_anomaly(m, a, NULL, 0);
}

void manager_raise_sigma(struct manager *m, struct clawos_anomaly_event *a, const struct event_sigma *sigma,
			 int priority)
{
	raise_anomaly(m, a, sigma, priority);
}

/* Keeps the process table current from exec, fork and exit records. */
static void manager_track(struct manager *m, const struct clawos_event_hdr *h)
{
	if (h->type == CLAWOS_EV_EXEC) {
		const struct clawos_exec_event *e = (const void *)h;
		char comm[CLAWOS_COMM_LEN + 1];

		if (e->flags & CLAWOS_EXEC_F_FAILED)
			return;
		comm_copy(comm, h->comm);
		proctable_exec(&m->procs, h->pid, h->ppid, comm, e->filename);
		proctable_set_args(&m->procs, h->pid, e->args, e->args_len);
	} else if (h->type == CLAWOS_EV_PROC) {
		const struct clawos_proc_event *e = (const void *)h;

		if (e->op == CLAWOS_PROC_FORK) {
			struct proc_entry *c;

			proctable_fork(&m->procs, h->pid, e->child_pid);
			c = proctable_get(&m->procs, e->child_pid);
			if (c) /* the child started about when its parent forked */
				c->start_ns = h->ts_ns;
		} else
			proctable_exit(&m->procs, h->pid);
	}
}

int manager_on_ring_sample(void *userdata, void *data, size_t size)
{
	struct manager *m = userdata;

	manager_on_ring_record(m, data, size);
	/* A bounded batch per wake-up: a flood must not starve signals,
	 * timers and socket clients; the rest is read on the next turn.
	 * libbpf has consumed this record already when we return < 0. */
	return ++m->batch >= MANAGER_RING_BATCH ? -EAGAIN : 0;
}

static int manager_on_ring_record(struct manager *m, void *data, size_t size)
{
	const struct clawos_event_hdr *h = NULL;
	enum decode_error e = event_decode(data, size, &h);
	struct clawos_anomaly_event found[4];
	size_t n;

	if (e != DECODE_OK) {
		m->decode_errors[e]++;
		return 0;
	}
	if (h->type == CLAWOS_EV_ANOMALY) {
		struct clawos_anomaly_event a;

		memcpy(&a, h, sizeof(a));
		manager_raise(m, &a);
		return 0;
	}
	m->events_by_type[h->type]++;
	manager_track(m, h);
	manager_emit_record(m, h);
	manager_rules_record(m, h);
	/* the clock of the batch (read once per drain, not per record) */
	n = detect_record(m->detect, h, m->ring_now_ns ? m->ring_now_ns : manager_boot_ns(), found, ELEMENTSOF(found));
	for (size_t i = 0; i < n; i++)
		manager_raise(m, &found[i]);
	return 0;
}

void manager_user_hdr(struct manager *m, struct clawos_event_hdr *h, uint8_t type, uint16_t size)
{
	h->type = type;
	h->version = CLAWOS_ABI_VERSION;
	h->size = size;
	h->cpu = CLAWOS_CPU_USER; /* user space numbers its records on its own */
	h->seq = ++m->user_seq;
	h->ts_ns = manager_boot_ns();
}

struct json_object *manager_hooks_json(struct manager *m)
{
	struct json_object *hooks = json_object_new_object();

	for (int h = 0; h < _HOOK_MAX; h++) {
		const struct hook_status *st = &m->plan.hooks[h];
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "mechanism", json_object_new_string(mechanism_name(st->mechanism)));
		json_object_object_add(j, "state", json_object_new_string(hook_state_name(st->state)));
		json_object_object_add(j, "reason", st->reason[0] ? json_object_new_string(st->reason) : NULL);
		json_object_object_add(hooks, st->name, j);
	}
	return hooks;
}

void manager_emit_startup(struct manager *m)
{
	struct json_object *o = json_record_new("startup", manager_realtime_ns());
	struct utsname u;
	char msg[256];

	json_object_object_add(o, "version", json_object_new_string(CLAWOS_VERSION));
	if (uname(&u) == 0)
		json_object_object_add(o, "kernel", json_object_new_string(u.release));
	json_object_object_add(o, "pid", json_object_new_int64(getpid()));
	json_object_object_add(o, "config_sha256", json_object_new_string(m->config_sha256));
	json_object_object_add(o, "hooks", manager_hooks_json(m));
	json_object_object_add(o, "bpf_lsm", json_object_new_boolean(m->probe.lsm_ok[PROBE_LSM_FILE_OPEN]));
	snprintf(msg, sizeof(msg), "clawos-ebpf %s started; file_open via %s, connect via %s", CLAWOS_VERSION,
		 mechanism_name(m->plan.hooks[HOOK_FILE_OPEN].mechanism),
		 mechanism_name(m->plan.hooks[HOOK_CONNECT].mechanism));
	manager_emit_json(m, o, "startup", false, LOG_NOTICE, msg, getpid(), "clawos-ebpf");
	json_object_put(m->startup);
	m->startup = o;
	manager_set_greeting(m);
}

void manager_set_greeting(struct manager *m)
{
	/* written by the socket in its format and in the ones clients ask for */
	if (m->out_socket && m->startup)
		output_socket_set_greeting(m->out_socket, m->startup);
}

void manager_emit_shutdown(struct manager *m, int status)
{
	struct json_object *o = json_record_new("shutdown", manager_realtime_ns());
	char msg[128];

	json_object_object_add(o, "pid", json_object_new_int64(getpid()));
	json_object_object_add(o, "records", json_object_new_uint64(m->records_out));
	json_object_object_add(o, "status", json_object_new_int(status));
	snprintf(msg, sizeof(msg), "clawos-ebpf stopped after %llu records", (unsigned long long)m->records_out);
	manager_emit_json(m, o, "shutdown", false, LOG_NOTICE, msg, getpid(), "clawos-ebpf");
	json_object_put(o);
}

static uint64_t self_rss_kib(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/statm", "re");
	unsigned long size, rss;

	if (!f || fscanf(f, "%lu %lu", &size, &rss) != 2)
		return 0;
	return (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
}

/* The key of a record type in the per-type counters: "exec", ...,
 * "network" and "network6" apart. */
const char *manager_type_key(unsigned type, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", event_type_name(type) ?: "unknown", type == CLAWOS_EV_NET6 ? "6" : "");
	return buf;
}

static struct json_object *stats_kernel(struct manager *m)
{
	struct json_object *k = json_object_new_object(), *by = json_object_new_object();
	uint64_t drops[CLAWOS_EV_MAX] = {}, total = 0, full[2];

	bpf_loader_read_drops(m->loader, drops);
	for (unsigned t = 1; t < CLAWOS_EV_MAX; t++) {
		char name[32];

		json_object_object_add(by, manager_type_key(t, name, sizeof(name)), json_object_new_uint64(drops[t]));
		total += drops[t];
	}
	json_object_object_add(k, "ringbuf_drops", json_object_new_uint64(total));
	json_object_object_add(k, "ringbuf_drops_by_type", by);
	if (bpf_loader_read_track_full(m->loader, full) == 0) {
		json_object_object_add(k, "tracked_map_full", json_object_new_uint64(full[0]));
		json_object_object_add(k, "untrusted_map_full", json_object_new_uint64(full[1]));
	}
	return k;
}

static struct json_object *stats_outputs(struct manager *m)
{
	struct json_object *out = json_object_new_object();
	struct output_socket_stats ss = {};
	struct output_journal_stats js = {};

	if (m->out_socket)
		output_socket_get_stats(m->out_socket, &ss);
	if (m->out_journal)
		output_journal_get_stats(m->out_journal, &js);
	json_object_object_add(out, "socket_clients", json_object_new_int64(ss.clients));
	json_object_object_add(out, "socket_refused", json_object_new_uint64(ss.refused));
	json_object_object_add(out, "socket_dropped", json_object_new_uint64(ss.dropped));
	json_object_object_add(out, "socket_stalled", json_object_new_uint64(ss.stalled));
	json_object_object_add(out, "socket_accept_errors", json_object_new_uint64(ss.accept_errors));
	json_object_object_add(out, "socket_queued_bytes", json_object_new_uint64(ss.queued_bytes));
	if (m->out_connect) {
		struct output_connect_stats cs;

		output_connect_get_stats(m->out_connect, &cs);
		json_object_object_add(out, "connect_connected", json_object_new_boolean(cs.connected));
		json_object_object_add(out, "connect_reconnects",
				       json_object_new_uint64(cs.connects ? cs.connects - 1 : 0));
		json_object_object_add(out, "connect_dropped", json_object_new_uint64(cs.dropped));
	}
	json_object_object_add(out, "journal_sent", json_object_new_uint64(js.sent));
	json_object_object_add(
	    out, "journal_dropped",
	    json_object_new_uint64(js.dropped_queue_full + js.dropped_no_journal + js.dropped_send_error));
	json_object_object_add(out, "journal_no_journal", json_object_new_uint64(js.dropped_no_journal));
	json_object_object_add(out, "journal_suppressed", json_object_new_uint64(js.suppressed_rate));
	json_object_object_add(out, "stdout_dropped",
			       json_object_new_uint64(m->out_stdout ? output_stdout_dropped(m->out_stdout) : 0));
	return out;
}

static struct json_object *stats_anomalies(struct manager *m)
{
	struct json_object *an = json_object_new_object(), *by = json_object_new_object();
	struct detect_stats ds;

	detect_get_stats(m->detect, &ds);
	json_object_object_add(an, "raised", json_object_new_uint64(ds.raised));
	json_object_object_add(an, "suppressed", json_object_new_uint64(ds.suppressed));
	json_object_object_add(an, "flooded", json_object_new_uint64(ds.flooded));
	json_object_object_add(an, "flood_evicted", json_object_new_uint64(ds.flood_evicted));
	json_object_object_add(an, "sigma_rules", json_object_new_uint64(rules_count(m->rules)));
	json_object_object_add(an, "sigma_matches", json_object_new_uint64(m->rules_hits));
	for (unsigned k = 0; k < DETECT_KINDS; k++)
		if (k == 0 ? ds.raised_by_kind[0] > 0 : strcmp(anomaly_kind_name(k), "unknown") != 0)
			json_object_object_add(by, anomaly_kind_name(k), json_object_new_uint64(ds.raised_by_kind[k]));
	json_object_object_add(an, "by_kind", by);
	return an;
}

void manager_stats_fill(struct manager *m, struct json_object *o)
{
	struct json_object *ev = json_object_new_object(), *dec = json_object_new_object();

	for (unsigned t = 1; t < CLAWOS_EV_MAX; t++) {
		char name[32];

		json_object_object_add(ev, manager_type_key(t, name, sizeof(name)),
				       json_object_new_uint64(m->events_by_type[t]));
	}
	for (unsigned e = 1; e < _DECODE_ERROR_MAX; e++)
		json_object_object_add(dec, decode_error_name(e), json_object_new_uint64(m->decode_errors[e]));
	json_object_object_add(o, "kernel", stats_kernel(m));
	json_object_object_add(o, "anomalies", stats_anomalies(m));
	json_object_object_add(o, "events", ev);
	json_object_object_add(o, "decode_errors", dec);
	json_object_object_add(o, "outputs", stats_outputs(m));
	if (m->iface)
		json_object_object_add(o, "interfaces", iface_monitor_stats_json(m->iface));
	json_object_object_add(o, "uptime_s",
			       json_object_new_uint64((manager_boot_ns() - m->start_boot_ns) / NSEC_PER_SEC));
	json_object_object_add(o, "rss_kib", json_object_new_uint64(self_rss_kib()));
	json_object_object_add(o, "config_sha256", json_object_new_string(m->config_sha256));
}

void manager_emit_stats(struct manager *m)
{
	struct json_object *o = json_record_new("stats", manager_realtime_ns());

	manager_stats_fill(m, o);
	manager_emit_json(m, o, "stats", false, LOG_INFO, "clawos-ebpf statistics", getpid(), "clawos-ebpf");
	json_object_put(o);
}

static void cgroup_one(uint64_t cgid, const struct clawos_cgroup_counters *c, void *userdata)
{
	struct manager *m = userdata;
	struct clawos_cgroup_event e = {};
	struct clawos_cgroup_counters d = {};
	struct event_context ctx = {.realtime_offset_ns = m->realtime_offset_ns};
	struct manager_lines l = {};
	const char *path;
	char msg[256];

	/* the first sight of a cgroup only sets its baseline, whenever that
	 * is (cgroup-delta.c); then report intervals with traffic */
	if (cg_delta_update(&m->cg_delta, cgid, c, &d) <= 0)
		return;
	if (!d.rx_packets && !d.tx_packets)
		return;
	manager_user_hdr(m, &e.hdr, CLAWOS_EV_CGROUP, sizeof(e));
	e.hdr.cgroup_id = cgid;
	e.rx_packets = d.rx_packets;
	e.rx_bytes = d.rx_bytes;
	e.tx_packets = d.tx_packets;
	e.tx_bytes = d.tx_bytes;
	e.interval_ns = e.hdr.ts_ns - m->cg_last_ns;
	path = enrich_cgroup_path(m->enrich, cgid);
	if (path && snprintf(e.path, sizeof(e.path), "%s", path) >= (int)sizeof(e.path))
		e.path_flags |= CLAWOS_PATH_F_TRUNCATED;
	m->events_by_type[CLAWOS_EV_CGROUP]++;
	enrich_record(m->enrich, &e.hdr, NULL, &ctx);
	if (!encode_record(m, &e.hdr, &ctx, true, &l))
		return;
	snprintf(msg, sizeof(msg), "cgroup %s: %llu packets in, %llu out", path ? path : "?",
		 (unsigned long long)e.rx_packets, (unsigned long long)e.tx_packets);
	manager_emit_lines(m, &l, "cgroup", true, LOG_INFO, msg, 0, NULL);
}

void manager_emit_cgroups(struct manager *m)
{
	uint64_t now = manager_boot_ns();

	if (!m->settings.enable_cgroup_monitoring)
		return;
	bpf_loader_foreach_cgroup(m->loader, cgroup_one, m);
	cg_delta_end_round(&m->cg_delta);
	m->cg_last_ns = now;
}
