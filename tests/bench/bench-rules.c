/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * B9: what the Sigma rules cost per record.  A capture of the agent's own
 * records (NDJSON) is turned back into the kernel records it came from and
 * replayed through what the daemon does after decoding one (manager-rules.c:
 * is it a record the rules read, the process table's parent, the fields,
 * rules_match), timed record by record over several passes.  Each record's
 * cost is the smallest of its passes ("intrinsic": what the record costs
 * when no other process preempts the benchmark on a shared machine); the
 * distribution of every single sample is reported too ("samples").  Also
 * the rules' load time and the memory they take.  Prints one JSON object;
 * asserts nothing.
 *
 *   bench-rules --rules PATH [--rules PATH...] --records FILE [--passes N]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "agent/proctable.h"
#include "agent/rules-event.h"
#include "agent/rules.h"

struct rec {
	const struct clawos_event_hdr *h;
	const char *user;
	char cat; /* 'e' exec, 'f' file, 'n' network, 'p' process, '-' */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static long status_kib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtol(line + strlen(key), NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static struct json_object *get(struct json_object *o, const char *a, const char *k)
{
	struct json_object *x = NULL;

	if (a && !json_object_object_get_ex(o, a, &o))
		return NULL;
	return json_object_object_get_ex(o, k, &x) ? x : NULL;
}

static const char *str(struct json_object *o, const char *a, const char *k)
{
	struct json_object *x = get(o, a, k);

	return x && json_object_is_type(x, json_type_string) ? json_object_get_string(x) : "";
}

static int64_t num(struct json_object *o, const char *a, const char *k)
{
	struct json_object *x = get(o, a, k);

	return x ? json_object_get_int64(x) : 0;
}

static void hdr_from(struct clawos_event_hdr *h, struct json_object *o, unsigned type, size_t size)
{
	h->type = (uint8_t)type;
	h->version = CLAWOS_ABI_VERSION;
	h->size = (uint16_t)size;
	h->pid = (uint32_t)num(o, "process", "pid");
	h->tid = (uint32_t)num(o, "process", "tid");
	h->ppid = (uint32_t)num(o, "process", "ppid");
	h->uid = (uint32_t)num(o, "process", "uid");
	h->cpu = (uint16_t)num(o, NULL, "cpu");
	h->seq = (uint32_t)num(o, NULL, "seq");
	snprintf(h->comm, sizeof(h->comm), "%.15s", str(o, "process", "comm"));
}

/* The kernel record a JSON record was made from (what the benchmark needs
 * of it), or NULL for records the daemon never evaluates. */
static struct clawos_event_hdr *unjson(struct json_object *o, char *cat)
{
	const char *ev = str(o, NULL, "event");

	if (strcmp(ev, "exec") == 0) {
		struct clawos_exec_event *e = calloc(1, sizeof(*e));
		struct json_object *argv = get(o, "exec", "argv");
		size_t n = 0;

		for (size_t i = 0; argv && i < json_object_array_length(argv); i++) {
			const char *a = json_object_get_string(json_object_array_get_idx(argv, i));
			size_t l = strlen(a) + 1;

			if (n + l > sizeof(e->args))
				break;
			memcpy(e->args + n, a, l);
			n += l;
		}
		hdr_from(&e->hdr, o, CLAWOS_EV_EXEC, CLAWOS_EXEC_FIXED_SIZE + n);
		e->args_len = (uint16_t)n;
		snprintf(e->filename, sizeof(e->filename), "%s", str(o, "exec", "filename"));
		snprintf(e->cwd, sizeof(e->cwd), "%s", str(o, "exec", "cwd"));
		if (!json_object_get_boolean(get(o, "exec", "success")))
			e->flags |= CLAWOS_EXEC_F_FAILED;
		*cat = 'e';
		return &e->hdr;
	}
	if (strcmp(ev, "file_access") == 0) {
		struct clawos_file_event *e = calloc(1, sizeof(*e));

		hdr_from(&e->hdr, o, CLAWOS_EV_FILE, sizeof(*e));
		snprintf(e->path, sizeof(e->path), "%s", str(o, "file", "path"));
		e->path_len = (uint16_t)(strlen(e->path) + 1);
		e->flags = (uint32_t)num(o, "file", "flags_raw");
		e->ret = (int32_t)num(o, "file", "result");
		e->op = CLAWOS_FILE_OP_OPEN;
		e->mechanism = CLAWOS_MECH_TRACEPOINT;
		if (json_object_get_boolean(get(o, "file", "created")))
			e->path_flags |= CLAWOS_PATH_F_CREATED;
		*cat = 'f';
		return &e->hdr;
	}
	if (strcmp(ev, "network") == 0) {
		const char *op = str(o, "network", "op"), *proto = str(o, "network", "protocol");
		unsigned nop = strcmp(op, "connect") == 0  ? CLAWOS_NET_OP_CONNECT
			       : strcmp(op, "accept") == 0 ? CLAWOS_NET_OP_ACCEPT
			       : strcmp(op, "bind") == 0   ? CLAWOS_NET_OP_BIND
							   : CLAWOS_NET_OP_SENDMSG;
		unsigned p = strcmp(proto, "tcp") == 0	 ? CLAWOS_PROTO_TCP
			     : strcmp(proto, "udp") == 0 ? CLAWOS_PROTO_UDP
							 : CLAWOS_PROTO_OTHER;

		*cat = 'n';
		if (strcmp(str(o, "network", "family"), "inet6") == 0) {
			struct clawos_net6_event *e = calloc(1, sizeof(*e));

			hdr_from(&e->hdr, o, CLAWOS_EV_NET6, sizeof(*e));
			inet_pton(AF_INET6, str(o, "network", "address"), e->addr);
			e->port = htons((uint16_t)num(o, "network", "port"));
			e->op = (uint8_t)nop;
			e->info = CLAWOS_NET_INFO(p, CLAWOS_MECH_CGROUP);
			return &e->hdr;
		}
		struct clawos_net_event *e = calloc(1, sizeof(*e));

		hdr_from(&e->hdr, o, CLAWOS_EV_NET, sizeof(*e));
		inet_pton(AF_INET, str(o, "network", "address"), &e->addr);
		e->port = htons((uint16_t)num(o, "network", "port"));
		e->op = (uint8_t)nop;
		e->info = CLAWOS_NET_INFO(p, CLAWOS_MECH_CGROUP);
		return &e->hdr;
	}
	if (strcmp(ev, "process") == 0) {
		struct clawos_proc_event *e = calloc(1, sizeof(*e));

		hdr_from(&e->hdr, o, CLAWOS_EV_PROC, sizeof(*e));
		e->op = strcmp(str(o, "lifecycle", "op"), "fork") == 0 ? CLAWOS_PROC_FORK : CLAWOS_PROC_EXIT;
		e->child_pid = (uint32_t)num(o, "lifecycle", "child_pid");
		*cat = 'p';
		return &e->hdr;
	}
	return NULL;
}

/* manager-records.c's manager_track */
static void track(struct proctable *t, const struct clawos_event_hdr *h)
{
	if (h->type == CLAWOS_EV_EXEC) {
		const struct clawos_exec_event *e = (const void *)h;

		if (e->flags & CLAWOS_EXEC_F_FAILED)
			return;
		proctable_exec(t, h->pid, h->ppid, h->comm, e->filename);
		proctable_set_args(t, h->pid, e->args, e->args_len);
	} else if (h->type == CLAWOS_EV_PROC) {
		const struct clawos_proc_event *e = (const void *)h;

		if (e->op == CLAWOS_PROC_FORK)
			proctable_fork(t, h->pid, e->child_pid);
		else
			proctable_exit(t, h->pid);
	}
}

static uint64_t hits;

static void on_hit(const struct rules_rule *rule, uint32_t matched, void *userdata)
{
	hits++;
}

/* manager-rules.c's manager_rules_record, the user name given */
static void evaluate(struct rules_engine *e, struct proctable *t, struct rules_event_buf *b, const struct rec *r)
{
	const struct clawos_event_hdr *h = r->h;
	const struct proc_entry *self, *parent = NULL;
	struct rules_proc p = {};

	if (!rules_record_relevant(h))
		return;
	self = proctable_get(t, h->pid);
	p.ppid = h->ppid ? h->ppid : self ? self->ppid : 0;
	p.exe = self && self->exe[0] ? self->exe : NULL;
	p.user = r->user;
	if (p.ppid)
		parent = proctable_get(t, p.ppid);
	if (parent) {
		p.parent_exe = parent->exe[0] ? parent->exe : NULL;
		if (parent->cmdline) {
			p.parent_cmdline = parent->cmdline->text;
			p.parent_cmdline_len = parent->cmdline->len;
		}
	}
	if (rules_event_from_record(b, h, &p))
		rules_match(e, &b->ev, on_hit, NULL);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(const uint32_t *v, size_t n, double p)
{
	return n ? v[(size_t)((double)(n - 1) * p)] : 0;
}

static struct json_object *dist(uint32_t *v, size_t n)
{
	struct json_object *o = json_object_new_object();
	double sum = 0;

	qsort(v, n, sizeof(*v), cmp_u32);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	json_object_object_add(o, "records", json_object_new_int64((int64_t)n));
	json_object_object_add(o, "median_ns", json_object_new_double(pct(v, n, 0.5)));
	json_object_object_add(o, "p99_ns", json_object_new_double(pct(v, n, 0.99)));
	json_object_object_add(o, "p999_ns", json_object_new_double(pct(v, n, 0.999)));
	json_object_object_add(o, "max_ns", json_object_new_double(n ? v[n - 1] : 0));
	json_object_object_add(o, "mean_ns", json_object_new_double(n ? sum / (double)n : 0));
	return o;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {{"rules", required_argument, NULL, 'r'},
						{"records", required_argument, NULL, 'i'},
						{"passes", required_argument, NULL, 'n'},
						{}};
	const char *paths[64], *input = NULL;
	size_t n_paths = 0, n = 0, cap = 0, n_all = 0, n_rel = 0;
	int passes = 20, c;
	struct rec *recs = NULL;
	struct rules_engine *e = NULL;
	struct rules_report rep = {};
	struct rules_event_buf *b = calloc(1, sizeof(*b));
	long anon0, anon1, rss0, rss1;
	uint64_t overhead = UINT64_MAX;
	uint32_t *all, *rel, *best, *best_rel;
	size_t n_best_rel = 0;
	char *line = NULL;
	size_t lcap = 0;
	FILE *f;
	struct json_object *out = json_object_new_object(), *cats = json_object_new_object();

	while ((c = getopt_long(argc, argv, "r:i:n:", options, NULL)) >= 0) {
		if (c == 'r' && n_paths < 64)
			paths[n_paths++] = optarg;
		else if (c == 'i')
			input = optarg;
		else if (c == 'n')
			passes = atoi(optarg);
		else
			return 2;
	}
	if (!n_paths || !input || passes < 1) {
		fprintf(stderr, "usage: bench-rules --rules PATH --records FILE.ndjson [--passes N]\n");
		return 2;
	}
	f = fopen(input, "re");
	if (!f) {
		fprintf(stderr, "%s: %s\n", input, strerror(errno));
		return 66;
	}
	while (getline(&line, &lcap, f) > 0) {
		struct json_object *o = json_tokener_parse(line);
		char cat = '-';
		struct clawos_event_hdr *h = o ? unjson(o, &cat) : NULL;

		if (h) {
			if (n == cap) {
				cap = cap ? cap * 2 : 4096;
				recs = realloc(recs, cap * sizeof(*recs));
			}
			recs[n++] = (struct rec){.h = h, .cat = cat, .user = strdup(str(o, "process", "user"))};
		}
		json_object_put(o);
	}
	fclose(f);
	free(line);

	anon0 = status_kib("RssAnon:");
	rss0 = status_kib("VmRSS:");
	if (rules_load(paths, n_paths, &e, &rep) < 0)
		return 1;
	anon1 = status_kib("RssAnon:");
	rss1 = status_kib("VmRSS:");

	all = calloc(n * (size_t)passes + 1, sizeof(*all));
	rel = calloc(n * (size_t)passes + 1, sizeof(*rel));
	best = malloc((n + 1) * sizeof(*best));
	best_rel = calloc(n + 1, sizeof(*best_rel));
	memset(best, 0xff, (n + 1) * sizeof(*best));
	for (int i = 0; i < 10000; i++) { /* the clock's own cost, subtracted */
		uint64_t t0 = now_ns(), t1 = now_ns();

		if (t1 - t0 < overhead)
			overhead = t1 - t0;
	}
	for (int pass = 0; pass < passes; pass++) {
		struct proctable t;

		proctable_init(&t);
		hits = 0;
		for (size_t i = 0; i < n; i++) {
			uint64_t t0, t1, d;

			track(&t, recs[i].h);
			t0 = now_ns();
			evaluate(e, &t, b, &recs[i]);
			t1 = now_ns();
			d = t1 - t0 > overhead ? t1 - t0 - overhead : 0;
			all[n_all++] = (uint32_t)d;
			if (rules_record_relevant(recs[i].h))
				rel[n_rel++] = (uint32_t)d;
			if (d < best[i])
				best[i] = (uint32_t)d;
		}
		proctable_done(&t);
	}
	{
		size_t counts[4] = {};

		for (size_t i = 0; i < n; i++)
			counts[recs[i].cat == 'e' ? 0 : recs[i].cat == 'f' ? 1 : recs[i].cat == 'n' ? 2 : 3]++;
		json_object_object_add(cats, "exec", json_object_new_int64((int64_t)counts[0]));
		json_object_object_add(cats, "file_access", json_object_new_int64((int64_t)counts[1]));
		json_object_object_add(cats, "network", json_object_new_int64((int64_t)counts[2]));
		json_object_object_add(cats, "process", json_object_new_int64((int64_t)counts[3]));
	}
	json_object_object_add(out, "rules_loaded", json_object_new_int64((int64_t)rules_count(e)));
	json_object_object_add(out, "load_ms", json_object_new_double((double)rep.load_ns / 1e6));
	json_object_object_add(out, "engine_bytes", json_object_new_int64((int64_t)rules_memory(e)));
	json_object_object_add(out, "anon_kib_delta", json_object_new_int64(anon1 - anon0));
	json_object_object_add(out, "rss_kib_delta", json_object_new_int64(rss1 - rss0));
	json_object_object_add(out, "records_by_type", cats);
	json_object_object_add(out, "passes", json_object_new_int(passes));
	json_object_object_add(out, "clock_overhead_ns", json_object_new_int64((int64_t)overhead));
	json_object_object_add(out, "hits_per_pass", json_object_new_int64((int64_t)hits));
	for (size_t i = 0; i < n; i++)
		if (rules_record_relevant(recs[i].h))
			best_rel[n_best_rel++] = best[i];
	json_object_object_add(out, "intrinsic", dist(best, n));
	json_object_object_add(out, "intrinsic_evaluated", dist(best_rel, n_best_rel));
	json_object_object_add(out, "samples", dist(all, n_all));
	json_object_object_add(out, "samples_evaluated", dist(rel, n_rel));
	printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
	json_object_put(out);
	rules_free(e);
	rules_report_done(&rep);
	return 0;
}
