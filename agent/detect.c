/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "macro.h"
#include "time-util.h"

#define DEDUP_SLOTS 2048
#define NET_SLOTS 1024
#define DISTINCT_BITS 512

struct dedup_slot {
	uint64_t key;
	uint64_t last_ns;
	uint32_t suppressed;
};

struct net_slot {
	uint32_t pid;
	uint64_t window; /* second */
	uint32_t count;
	uint32_t distinct;
	bool burst_raised, scan_raised;
	uint64_t seen[DISTINCT_BITS / 64];
};

/* Flood control: a token bucket per (kind, rule, process) and per (kind,
 * rule, parent), so that one tree (`for i in ...; do cat /etc/shadow; done`
 * makes a new process each time, all children of one shell) cannot bury
 * the others.  What a bucket refuses is counted and reported: in the next
 * record it admits, or in a summary (detect_flush). */
#define FLOOD_SLOTS 512
#define FLOOD_PROBE 4
#define FLOOD_BURST 10			     /* records a process's bucket emits at once */
#define FLOOD_BURST_PARENT 32		     /* a parent's (a shell or a test runs many) */
#define FLOOD_REFILL_NS (10 * NSEC_PER_SEC)  /* one more every 10 s */
#define FLOOD_SUMMARY_NS (10 * NSEC_PER_SEC) /* a summary at most every 10 s */

struct flood_slot {
	uint64_t key; /* 0: free */
	uint64_t refill_ns, summary_ns, used_ns;
	uint32_t tokens, burst;
	uint32_t folded;		  /* refused since the last report */
	struct clawos_anomaly_event last; /* the latest refused, for the summary */
};

struct detect {
	struct detect_settings s;
	struct dedup_slot dedup[DEDUP_SLOTS];
	struct net_slot net[NET_SLOTS];
	struct flood_slot flood[FLOOD_SLOTS];
	struct detect_stats stats;
};

int detect_new(struct detect **ret)
{
	struct detect *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	*ret = d;
	return 0;
}

struct detect *detect_free(struct detect *d)
{
	free(d);
	return NULL;
}

void detect_configure(struct detect *d, const struct detect_settings *s)
{
	d->s = *s;
}

void detect_get_stats(const struct detect *d, struct detect_stats *s)
{
	*s = d->stats;
}

static uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t flood_key(const struct clawos_anomaly_event *a, uint32_t who, uint8_t level)
{
	uint64_t key = fnv1a(&a->kind, sizeof(a->kind), 0x84222325cbf29ce4ULL);

	key = fnv1a(a->rule, strnlen(a->rule, sizeof(a->rule)), key);
	key = fnv1a(&who, sizeof(who), key);
	return fnv1a(&level, sizeof(level), key) | 1;
}

/* The slot of key, refilled to now; a new one (or the least recently used of
 * its probe window, whose refused count goes to the stats) if absent. */
static struct flood_slot *flood_slot(struct detect *d, uint64_t key, uint32_t burst, uint64_t now_ns)
{
	struct flood_slot *victim = NULL, *f;

	for (unsigned i = 0; i < FLOOD_PROBE; i++) {
		f = &d->flood[(key + i) % FLOOD_SLOTS];
		if (f->key == key)
			goto found;
		/* a free slot, else the least recently used */
		if (!victim || (victim->key && (!f->key || f->used_ns < victim->used_ns)))
			victim = f;
	}
	f = victim;
	if (f->key && f->folded)
		d->stats.flood_evicted += f->folded;
	memset(f, 0, offsetof(struct flood_slot, last));
	f->key = key;
	f->burst = burst;
	f->tokens = burst;
	f->refill_ns = f->summary_ns = now_ns;
found:
	if (now_ns > f->refill_ns) {
		uint64_t add = (now_ns - f->refill_ns) / FLOOD_REFILL_NS;

		if (add) {
			f->tokens = (uint32_t)MIN((uint64_t)f->burst, f->tokens + add);
			f->refill_ns += add * FLOOD_REFILL_NS;
		}
	}
	f->used_ns = now_ns;
	return f;
}

/* One token from the process's bucket and one from its parent's; false
 * (counted in the bucket that ran out) when either is empty.  Critical
 * anomalies always pass: the kernel bounds those it raises itself. */
static bool flood_admit(struct detect *d, struct clawos_anomaly_event *a, uint64_t now_ns)
{
	struct flood_slot *proc, *parent;

	if (a->severity >= CLAWOS_SEV_CRITICAL || !a->hdr.pid)
		return true;
	proc = flood_slot(d, flood_key(a, a->hdr.pid, 0), FLOOD_BURST, now_ns);
	parent = a->hdr.ppid ? flood_slot(d, flood_key(a, a->hdr.ppid, 1), FLOOD_BURST_PARENT, now_ns) : NULL;
	if (proc == parent) /* a probe-window collision: one bucket */
		parent = NULL;
	if (proc->tokens && (!parent || parent->tokens)) {
		proc->tokens--;
		if (parent)
			parent->tokens--;
		/* the admitted record reports what its buckets refused */
		a->suppressed += proc->folded + (parent ? parent->folded : 0);
		proc->folded = 0;
		if (parent)
			parent->folded = 0;
		return true;
	}
	{
		struct flood_slot *f = !proc->tokens ? proc : parent;

		f->folded++;
		f->last = *a;
	}
	d->stats.suppressed++;
	d->stats.flooded++;
	return false;
}

size_t detect_flush(struct detect *d, uint64_t now_ns, struct clawos_anomaly_event *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < FLOOD_SLOTS && n < max; i++) {
		struct flood_slot *f = &d->flood[i];
		char who[64];

		if (!f->key || !f->folded || now_ns - f->summary_ns < FLOOD_SUMMARY_NS)
			continue;
		out[n] = f->last;
		out[n].suppressed = f->folded - 1; /* the copy itself is one of them */
		snprintf(who, sizeof(who), "%.*s[%u]", CLAWOS_COMM_LEN, f->last.hdr.comm, f->last.hdr.pid);
		snprintf(
		    out[n].description, sizeof(out[n].description),
		    "flood control: %u %s anomalies (rule %.32s) from %s and its siblings were not reported one by "
		    "one; the latest: %.120s",
		    f->folded, f->last.severity >= CLAWOS_SEV_HIGH ? "high" : "lower", f->last.rule, who,
		    f->last.subject);
		f->folded = 0;
		f->summary_ns = now_ns;
		d->stats.raised++;
		d->stats.raised_by_kind[out[n].kind < DETECT_KINDS ? out[n].kind : 0]++;
		n++;
	}
	return n;
}

bool detect_admit(struct detect *d, struct clawos_anomaly_event *a, uint64_t now_ns)
{
	uint64_t key = fnv1a(&a->kind, sizeof(a->kind), 0xcbf29ce484222325ULL);
	struct dedup_slot *s;

	key = fnv1a(a->rule, strnlen(a->rule, sizeof(a->rule)), key);
	key = fnv1a(&a->hdr.pid, sizeof(a->hdr.pid), key);
	key = fnv1a(a->subject, strnlen(a->subject, sizeof(a->subject)), key);
	if (a->kind == CLAWOS_ANOMALY_EVASION) /* open and openat of one path are two ways in */
		key = fnv1a(&a->observed, sizeof(a->observed), key);
	key |= 1;
	s = &d->dedup[key % DEDUP_SLOTS];
	if (s->key == key && now_ns - s->last_ns < (uint64_t)d->s.cooldown_s * NSEC_PER_SEC) {
		s->suppressed++;
		d->stats.suppressed++;
		return false;
	}
	if (!flood_admit(d, a, now_ns))
		return false; /* counted: the record that reports it carries it */
	a->suppressed += s->key == key ? s->suppressed : 0;
	s->key = key;
	s->last_ns = now_ns;
	s->suppressed = 0;
	d->stats.raised++;
	d->stats.raised_by_kind[a->kind < DETECT_KINDS ? a->kind : 0]++;
	return true;
}

static struct clawos_anomaly_event *anomaly_new(struct clawos_anomaly_event *out, const struct clawos_event_hdr *h,
						uint16_t kind, uint8_t severity, const char *rule)
{
	memset(out, 0, sizeof(*out));
	out->hdr = *h;
	out->hdr.type = CLAWOS_EV_ANOMALY;
	out->hdr.size = sizeof(*out);
	out->kind = kind;
	out->severity = severity;
	out->mechanism = CLAWOS_MECH_USER;
	snprintf(out->rule, sizeof(out->rule), "%s", rule);
	return out;
}

static size_t detect_file(struct detect *d, const struct clawos_file_event *e, struct clawos_anomaly_event *out,
			  size_t max)
{
	size_t n = 0;

	if ((e->path_flags & CLAWOS_PATH_F_VIOLATION) && d->s.file_mode > 0 && n < max) {
		struct clawos_anomaly_event *a =
		    anomaly_new(&out[n++], &e->hdr, CLAWOS_ANOMALY_FILE_VIOLATION, CLAWOS_SEV_HIGH, "protected_path");

		snprintf(a->subject, sizeof(a->subject), "%.*s", (int)sizeof(e->path), e->path);
		a->mechanism = e->mechanism;
		if (e->verdict == CLAWOS_VERDICT_DENY)
			a->flags |= CLAWOS_ANOMALY_F_ENFORCED;
		else if (d->s.file_mode == 2 && !d->s.enforce_available)
			a->flags |= CLAWOS_ANOMALY_F_ENFORCE_UNAVAILABLE;
	}
	if ((e->path_flags & CLAWOS_PATH_F_TAMPER) && n < max) {
		struct clawos_anomaly_event *a =
		    anomaly_new(&out[n++], &e->hdr, CLAWOS_ANOMALY_TAMPER, CLAWOS_SEV_HIGH, "agent_file");

		snprintf(a->subject, sizeof(a->subject), "%.*s", (int)sizeof(e->path), e->path);
		a->observed = e->flags;
		a->mechanism = e->mechanism;
	}
	return n;
}

/* Connects only: binds and listens are not attempts to reach out. */
static size_t detect_connect(struct detect *d, const struct clawos_event_hdr *h, const uint8_t addr[16], uint16_t port,
			     const char *text, uint64_t now_ns, struct clawos_anomaly_event *out, size_t max)
{
	struct net_slot *s = &d->net[(h->pid * 2654435761u) % NET_SLOTS];
	uint64_t window = now_ns / NSEC_PER_SEC, bit;
	size_t n = 0;

	for (size_t i = 0; i < d->s.deny_ports.n && n < max; i++)
		if (d->s.deny_ports.items[i] == port) {
			anomaly_new(&out[n++], h, CLAWOS_ANOMALY_NETWORK_BURST, CLAWOS_SEV_HIGH, "deny_port");
			snprintf(out[n - 1].subject, sizeof(out[n - 1].subject), "%s", text);
			out[n - 1].observed = port;
		}
	for (size_t i = 0; i < d->s.deny_cidrs.n && n < max; i++)
		if (cidr_contains(&d->s.deny_cidrs.items[i], addr)) {
			anomaly_new(&out[n++], h, CLAWOS_ANOMALY_NETWORK_BURST, CLAWOS_SEV_HIGH, "deny_cidr");
			snprintf(out[n - 1].subject, sizeof(out[n - 1].subject), "%s", text);
			break;
		}
	if (s->pid != h->pid || s->window != window) {
		memset(s, 0, sizeof(*s));
		s->pid = h->pid;
		s->window = window;
	}
	s->count++;
	bit = fnv1a(&port, sizeof(port), fnv1a(addr, 16, 0xcbf29ce484222325ULL)) % DISTINCT_BITS;
	if (!(s->seen[bit / 64] & (1ULL << (bit % 64)))) {
		s->seen[bit / 64] |= 1ULL << (bit % 64);
		s->distinct++;
	}
	if (d->s.connect_threshold && s->count > d->s.connect_threshold && !s->burst_raised && n < max) {
		s->burst_raised = true;
		anomaly_new(&out[n++], h, CLAWOS_ANOMALY_NETWORK_BURST, CLAWOS_SEV_MEDIUM, "connect_rate");
		out[n - 1].observed = s->count;
		out[n - 1].threshold = d->s.connect_threshold;
		snprintf(out[n - 1].subject, sizeof(out[n - 1].subject), "%s", text);
	}
	if (d->s.distinct_threshold && s->distinct > d->s.distinct_threshold && !s->scan_raised && n < max) {
		s->scan_raised = true;
		anomaly_new(&out[n++], h, CLAWOS_ANOMALY_NETWORK_BURST, CLAWOS_SEV_HIGH, "distinct_destinations");
		out[n - 1].observed = s->distinct;
		out[n - 1].threshold = d->s.distinct_threshold;
		snprintf(out[n - 1].subject, sizeof(out[n - 1].subject), "%s", text);
	}
	return n;
}

static size_t detect_net(struct detect *d, const struct clawos_event_hdr *h, uint64_t now_ns,
			 struct clawos_anomaly_event *out, size_t max)
{
	uint8_t addr[16] = {};
	char text[INET6_ADDRSTRLEN + 8], a[INET6_ADDRSTRLEN];
	uint16_t port;

	if (h->type == CLAWOS_EV_NET) {
		const struct clawos_net_event *e = (const void *)h;

		if (e->op != CLAWOS_NET_OP_CONNECT)
			return 0;
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12, &e->addr, 4);
		port = ntohs(e->port);
		inet_ntop(AF_INET, &e->addr, a, sizeof(a));
		snprintf(text, sizeof(text), "%s:%u", a, port);
	} else {
		const struct clawos_net6_event *e = (const void *)h;

		if (e->op != CLAWOS_NET_OP_CONNECT)
			return 0;
		memcpy(addr, e->addr, 16);
		port = ntohs(e->port);
		inet_ntop(AF_INET6, e->addr, a, sizeof(a));
		snprintf(text, sizeof(text), "[%s]:%u", a, port);
	}
	return detect_connect(d, h, addr, port, text, now_ns, out, max);
}

size_t detect_record(struct detect *d, const struct clawos_event_hdr *h, uint64_t now_ns,
		     struct clawos_anomaly_event *out, size_t max)
{
	switch (h->type) {
	case CLAWOS_EV_FILE:
		return detect_file(d, (const struct clawos_file_event *)h, out, max);
	case CLAWOS_EV_NET:
	case CLAWOS_EV_NET6:
		return detect_net(d, h, now_ns, out, max);
	default:
		return 0;
	}
}

/* enum bpf_cmd of include/uapi/linux/bpf.h, in its order */
static const char *const bpf_cmd_table[] = {
    "BPF_MAP_CREATE",	     "BPF_MAP_LOOKUP_ELEM",
    "BPF_MAP_UPDATE_ELEM",   "BPF_MAP_DELETE_ELEM",
    "BPF_MAP_GET_NEXT_KEY",  "BPF_PROG_LOAD",
    "BPF_OBJ_PIN",	     "BPF_OBJ_GET",
    "BPF_PROG_ATTACH",	     "BPF_PROG_DETACH",
    "BPF_PROG_TEST_RUN",     "BPF_PROG_GET_NEXT_ID",
    "BPF_MAP_GET_NEXT_ID",   "BPF_PROG_GET_FD_BY_ID",
    "BPF_MAP_GET_FD_BY_ID",  "BPF_OBJ_GET_INFO_BY_FD",
    "BPF_PROG_QUERY",	     "BPF_RAW_TRACEPOINT_OPEN",
    "BPF_BTF_LOAD",	     "BPF_BTF_GET_FD_BY_ID",
    "BPF_TASK_FD_QUERY",     "BPF_MAP_LOOKUP_AND_DELETE_ELEM",
    "BPF_MAP_FREEZE",	     "BPF_BTF_GET_NEXT_ID",
    "BPF_MAP_LOOKUP_BATCH",  "BPF_MAP_LOOKUP_AND_DELETE_BATCH",
    "BPF_MAP_UPDATE_BATCH",  "BPF_MAP_DELETE_BATCH",
    "BPF_LINK_CREATE",	     "BPF_LINK_UPDATE",
    "BPF_LINK_GET_FD_BY_ID", "BPF_LINK_GET_NEXT_ID",
    "BPF_ENABLE_STATS",	     "BPF_ITER_CREATE",
    "BPF_LINK_DETACH",	     "BPF_PROG_BIND_MAP",
};

static DEFINE_STRING_TABLE_TO_NAME(bpf_cmd, uint64_t, bpf_cmd_table, "unknown");

/* The signals tamper.bpf.c reports when sent to the agent. */
static const char *const signal_table[] = {
    [SIGINT] = "SIGINT",
    [SIGKILL] = "SIGKILL",
    [SIGTERM] = "SIGTERM",
    [SIGSTOP] = "SIGSTOP",
};

static DEFINE_STRING_TABLE_TO_NAME(signal, uint64_t, signal_table, "a signal");

void detect_describe(struct clawos_anomaly_event *a)
{
	char who[64];
	const char *r = a->rule;
	unsigned long long obs = (unsigned long long)a->observed, thr = (unsigned long long)a->threshold;
	char *d = a->description;
	size_t n = sizeof(a->description), len;

	/* a ring anomaly is outside input: its strings may have no NUL */
	a->rule[sizeof(a->rule) - 1] = '\0';
	a->target[sizeof(a->target) - 1] = '\0';
	a->subject[sizeof(a->subject) - 1] = '\0';
	d[n - 1] = '\0';
	snprintf(who, sizeof(who), "%.*s[%u]", CLAWOS_COMM_LEN, a->hdr.comm, a->hdr.pid);
	if (d[0])
		; /* the rule wrote its own text */
	else if (!strcmp(r, "syscall_rate"))
		snprintf(d, n, "%s made %llu syscalls in one second (threshold %llu)", who, obs, thr);
	else if (!strcmp(r, "protected_path"))
		snprintf(d, n, "%s opened protected path %.180s%s", who, a->subject,
			 a->flags & CLAWOS_ANOMALY_F_ENFORCED		   ? " (denied)"
			 : a->flags & CLAWOS_ANOMALY_F_ENFORCE_UNAVAILABLE ? " (not denied: enforcement needs BPF-LSM)"
									   : "");
	else if (!strcmp(r, "agent_file"))
		snprintf(d, n, "%s modified the agent's file %.180s", who, a->subject);
	else if (!strcmp(r, "bpf_syscall"))
		snprintf(d, n, "%s called bpf(%s)", who, bpf_cmd_name(a->observed));
	else if (!strcmp(r, "ptrace_agent"))
		snprintf(d, n, "%s called ptrace (request %llu) on the agent", who, obs);
	else if (!strcmp(r, "signal_agent"))
		snprintf(d, n, "%s sent %s to the agent", who, signal_name(a->observed));
	else if (!strcmp(r, "kernel_module"))
		snprintf(d, n, "%s loaded a kernel module", who);
	else if (!strcmp(r, "self_check"))
		snprintf(d, n, "a BPF program or link of the agent disappeared: %.180s", a->subject);
	else if (!strcmp(r, "connect_rate"))
		snprintf(d, n, "%s made %llu connection attempts in one second (threshold %llu), latest to %.64s", who,
			 obs, thr, a->subject);
	else if (!strcmp(r, "distinct_destinations"))
		snprintf(d, n, "%s tried %llu distinct destinations in one second (threshold %llu), latest %.64s", who,
			 obs, thr, a->subject);
	else if (!strcmp(r, "network_egress_volume"))
		snprintf(d, n, "interface %.32s sent %llu bytes in one interval (threshold %llu)", a->subject, obs,
			 thr);
	else if (!strcmp(r, "deny_port") || !strcmp(r, "deny_cidr"))
		snprintf(d, n, "%s connected to denied destination %.64s", who, a->subject);
	else
		snprintf(d, n, "%s triggered rule %.32s", who, r);
	len = strnlen(d, n - 1);
	if (a->suppressed)
		snprintf(d + len, n - len, "; %u identical suppressed", a->suppressed);
	if (a->kind == CLAWOS_ANOMALY_TAMPER && !strcmp(r, "bpf_syscall"))
		snprintf(a->subject, sizeof(a->subject), "%s", bpf_cmd_name(a->observed));
	if (a->kind == CLAWOS_ANOMALY_TAMPER && !strcmp(r, "signal_agent"))
		snprintf(a->subject, sizeof(a->subject), "%s", signal_name(a->observed));
}
