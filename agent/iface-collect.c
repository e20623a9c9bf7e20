/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Interface monitoring, the counting half: every stats interval the per-CPU
 * counters of bpf/iface.bpf.c are summed and compared with the previous
 * read; each flow with traffic becomes one "iface" record, and an interface
 * whose egress bytes in the interval exceed the threshold a network_volume
 * AnomalyEvent.  Counters of a vanished interface are reported once more,
 * then deleted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "iface-internal.h"
#include "iface.skel.h"
#include "log.h"
#include "time-util.h"

/* Sum over the possible CPUs of a per-CPU counters entry. */
static int read_percpu(struct iface_monitor *m, int fd, const void *key, struct clawos_iface_counters *sum)
{
	if (bpf_map_lookup_elem(fd, key, m->percpu) < 0)
		return negative_errno();
	*sum = (struct clawos_iface_counters){};
	for (int i = 0; i < m->ncpus; i++) {
		sum->packets += m->percpu[i].packets;
		sum->bytes += m->percpu[i].bytes;
	}
	return 0;
}

static size_t slot_of(const struct iface_flow_slot *table, const struct clawos_iface_key *k)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	const uint8_t *p = (const uint8_t *)k;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	for (i = h & (IFACE_FLOW_SLOTS - 1); table[i].used && memcmp(&table[i].key, k, sizeof(*k)) != 0;
	     i = (i + 1) & (IFACE_FLOW_SLOTS - 1))
		;
	return i;
}

/* As names.c's ip_protocol_name() spells them, for the protocols a flow
 * key keeps apart; NULL for the rest (counted by number). */
static const char *const flow_proto_table[] = {
    [IPPROTO_ICMP] = "icmp",	 [IPPROTO_TCP] = "tcp",	  [IPPROTO_UDP] = "udp",
    [IPPROTO_ICMPV6] = "icmpv6", [IPPROTO_SCTP] = "sctp", [IPPROTO_UDPLITE] = "udplite",
};

static DEFINE_STRING_TABLE_TO_NAME(flow_proto, unsigned, flow_proto_table, NULL);

static void emit_flow(struct iface_monitor *m, const struct iface_watch *w, const struct clawos_iface_key *k,
		      const struct clawos_iface_counters *d, uint64_t interval_ns)
{
	struct json_object *o = iface_json_new(m, "iface"), *i = json_object_new_object();
	const char *dir = k->direction == CLAWOS_IFACE_DIR_EGRESS ? "egress" : "ingress";
	const char *proto = flow_proto_name(k->ip_proto);
	char addr[INET6_ADDRSTRLEN] = "", msg[256];

	if (!o)
		return;
	json_object_object_add(i, "name", json_object_new_string(w->name));
	json_object_object_add(i, "ifindex", json_object_new_int64(k->ifindex));
	json_object_object_add(i, "direction", json_object_new_string(dir));
	if (k->family == 4 || k->family == 6) {
		inet_ntop(k->family == 4 ? AF_INET : AF_INET6, k->addr, addr, sizeof(addr));
		json_object_object_add(i, "family", json_object_new_string(k->family == 4 ? "ipv4" : "ipv6"));
		json_object_object_add(i, "protocol", proto ? json_object_new_string(proto) : NULL);
		json_object_object_add(i, "ip_protocol", json_object_new_int(k->ip_proto));
		json_object_object_add(i, "remote_addr", json_object_new_string(addr));
		json_object_object_add(i, "remote_port", k->port ? json_object_new_int(ntohs(k->port)) : NULL);
	} else {
		char et[8];

		snprintf(et, sizeof(et), "0x%04x", ntohs(k->ethertype));
		json_object_object_add(i, "family", json_object_new_string("other"));
		json_object_object_add(i, "ethertype", json_object_new_string(et));
	}
	json_object_object_add(i, "packets", json_object_new_uint64(d->packets));
	json_object_object_add(i, "bytes", json_object_new_uint64(d->bytes));
	json_object_object_add(i, "interval_ms", json_object_new_uint64(interval_ns / NSEC_PER_MSEC));
	json_object_object_add(o, "iface", i);
	json_object_object_add(o, "mechanism", json_object_new_string("tc"));
	snprintf(msg, sizeof(msg), "%s %s %s %s%s%u: %llu packets, %llu bytes", w->name, dir, proto ? proto : "other",
		 addr[0] ? addr : "-", addr[0] ? " port " : " ", ntohs(k->port), (unsigned long long)d->packets,
		 (unsigned long long)d->bytes);
	m->emit(
	    &(struct iface_record){.event = "iface", .json = o, .trace = true, .priority = LOG_INFO, .message = msg},
	    m->userdata);
	json_object_put(o);
}

static struct clawos_iface_counters delta(const struct clawos_iface_counters *cur,
					  const struct clawos_iface_counters *prev)
{
	/* lower than before: the entry was evicted and made again */
	if (cur->packets < prev->packets || cur->bytes < prev->bytes)
		return *cur;
	return (struct clawos_iface_counters){cur->packets - prev->packets, cur->bytes - prev->bytes};
}

/* Keys of entries to delete after a walk (deleting during it restarts the
 * walk from the beginning). */
struct stale {
	void *keys;
	size_t n, max, size;
};

static void stale_add(struct stale *s, const void *key)
{
	if (s->n < s->max)
		memcpy((uint8_t *)s->keys + s->n++ * s->size, key, s->size);
}

static void stale_delete(int fd, struct stale *s)
{
	for (size_t i = 0; i < s->n; i++)
		bpf_map_delete_elem(fd, (uint8_t *)s->keys + i * s->size);
	s->n = 0;
}

static void collect_flows(struct iface_monitor *m, uint64_t interval_ns)
{
	int fd = bpf_map__fd(m->skel->maps.clawos_if_flows);
	struct clawos_iface_key key, prev;
	struct stale st = {.max = CLAWOS_IFACE_FLOWS_MAX, .size = sizeof(key)};
	struct iface_flow_slot *tmp;
	bool first = true;
	/* a walk restarts from the first key when its current one is evicted:
	 * bound the steps and the distinct keys kept (the table is 2x the map) */
	unsigned steps = 4 * CLAWOS_IFACE_FLOWS_MAX;

	st.keys = calloc(st.max, st.size);
	if (!st.keys)
		return;
	memset(m->next, 0, IFACE_FLOW_SLOTS * sizeof(*m->next));
	m->flows = 0;
	while (steps-- > 0 && m->flows < IFACE_FLOW_SLOTS * 3 / 4 &&
	       bpf_map_get_next_key(fd, first ? NULL : &prev, &key) == 0) {
		struct clawos_iface_counters cur, d, base = {};
		struct iface_watch *w = iface_watch_by_ifindex(m, (int)key.ifindex);
		size_t s = slot_of(m->next, &key), p;

		prev = key;
		first = false;
		if (m->next[s].used || read_percpu(m, fd, &key, &cur) < 0)
			continue; /* seen already (the walk restarted), or evicted meanwhile */
		m->next[s] = (struct iface_flow_slot){.used = true, .key = key, .c = cur};
		m->flows++;
		p = slot_of(m->prev, &key);
		if (m->prev[p].used)
			base = m->prev[p].c;
		d = delta(&cur, &base);
		if (w && d.packets > 0)
			emit_flow(m, w, &key, &d, interval_ns);
		if (!w || w->old_ifindex == (int)key.ifindex)
			stale_add(&st, &key);
	}
	stale_delete(fd, &st);
	free(st.keys);
	tmp = m->prev;
	m->prev = m->next;
	m->next = tmp;
}

static void emit_volume(struct iface_monitor *m, struct iface_watch *w, uint64_t bytes, uint64_t interval_ns)
{
	struct clawos_anomaly_event e = {};
	char msg[320];

	e.hdr.type = CLAWOS_EV_ANOMALY;
	e.hdr.version = CLAWOS_ABI_VERSION;
	e.hdr.size = sizeof(e);
	e.hdr.cpu = CLAWOS_CPU_USER;
	e.hdr.ts_ns = iface_boot_ns();
	e.kind = CLAWOS_ANOMALY_NETWORK_VOLUME;
	e.severity = CLAWOS_SEV_MEDIUM;
	e.mechanism = CLAWOS_MECH_USER;
	e.observed = bytes;
	e.threshold = m->threshold;
	snprintf(e.rule, sizeof(e.rule), "network_egress_volume");
	snprintf(e.subject, sizeof(e.subject), "%s", w->name);
	snprintf(e.description, sizeof(e.description),
		 "interface %s sent %llu bytes in %llu ms, more than network_egress_threshold_bytes (%llu)", w->name,
		 (unsigned long long)bytes, (unsigned long long)(interval_ns / NSEC_PER_MSEC),
		 (unsigned long long)m->threshold);
	snprintf(msg, sizeof(msg), "anomaly network_egress_volume: %s", e.description);
	w->anomalies++;
	m->emit(
	    &(struct iface_record){
		.event = "anomaly", .raw = &e.hdr, .trace = false, .priority = LOG_WARNING, .message = msg},
	    m->userdata);
}

/* Totals per interface and direction (never evicted): the stats and the
 * volume anomaly. */
static void collect_totals(struct iface_monitor *m, uint64_t interval_ns)
{
	int fd = bpf_map__fd(m->skel->maps.clawos_if_tot);
	struct clawos_iface_total_key key, prev, stale_keys[IFACE_TOT_MAX];
	struct stale st = {.keys = stale_keys, .max = IFACE_TOT_MAX, .size = sizeof(key)};
	struct iface_tot_prev next[IFACE_TOT_MAX];
	uint64_t egress[CLAWOS_IFACE_MAX] = {};
	size_t n_next = 0;
	bool first = true;

	while (bpf_map_get_next_key(fd, first ? NULL : &prev, &key) == 0 && n_next < IFACE_TOT_MAX) {
		struct iface_watch *w = iface_watch_by_ifindex(m, (int)key.ifindex);
		struct clawos_iface_counters cur, base = {}, d;
		bool dup = false;

		prev = key;
		first = false;
		for (size_t i = 0; i < n_next; i++)
			dup = dup || memcmp(&next[i].key, &key, sizeof(key)) == 0;
		if (dup || key.direction > CLAWOS_IFACE_DIR_EGRESS || read_percpu(m, fd, &key, &cur) < 0)
			continue;
		next[n_next++] = (struct iface_tot_prev){.key = key, .c = cur};
		for (size_t i = 0; i < m->n_tprev; i++)
			if (memcmp(&m->tprev[i].key, &key, sizeof(key)) == 0)
				base = m->tprev[i].c;
		d = delta(&cur, &base);
		if (w) {
			w->packets[key.direction] += d.packets;
			w->bytes[key.direction] += d.bytes;
			if (key.direction == CLAWOS_IFACE_DIR_EGRESS)
				egress[w - m->w] += d.bytes;
		}
		if (!w || w->old_ifindex == (int)key.ifindex)
			stale_add(&st, &key);
	}
	stale_delete(fd, &st);
	memcpy(m->tprev, next, n_next * sizeof(next[0]));
	m->n_tprev = n_next;
	for (size_t i = 0; m->threshold && i < m->n; i++)
		if (egress[i] > m->threshold)
			emit_volume(m, &m->w[i], egress[i], interval_ns);
}

void iface_monitor_collect(struct iface_monitor *m)
{
	uint64_t now = iface_boot_ns(), interval;

	if (!m)
		return;
	interval = now - m->last_ns;
	collect_flows(m, interval);
	collect_totals(m, interval);
	/* a vanished interface's last counters are out: forget its ifindex */
	for (size_t i = 0; i < m->n; i++)
		m->w[i].old_ifindex = 0;
	m->last_ns = now;
}

struct json_object *iface_monitor_stats_json(struct iface_monitor *m)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	uint32_t zero = 0;
	uint64_t total_errs = 0;

	for (size_t i = 0; i < m->n; i++) {
		const struct iface_watch *w = &m->w[i];
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "name", json_object_new_string(w->name));
		json_object_object_add(j, "ifindex", json_object_new_int(w->ifindex));
		json_object_object_add(j, "state", json_object_new_string(iface_state_name(w->state)));
		json_object_object_add(j, "qdisc_created", json_object_new_boolean(w->qdisc_created));
		json_object_object_add(j, "rx_packets", json_object_new_uint64(w->packets[CLAWOS_IFACE_DIR_INGRESS]));
		json_object_object_add(j, "rx_bytes", json_object_new_uint64(w->bytes[CLAWOS_IFACE_DIR_INGRESS]));
		json_object_object_add(j, "tx_packets", json_object_new_uint64(w->packets[CLAWOS_IFACE_DIR_EGRESS]));
		json_object_object_add(j, "tx_bytes", json_object_new_uint64(w->bytes[CLAWOS_IFACE_DIR_EGRESS]));
		json_object_object_add(j, "attaches", json_object_new_uint64(w->attaches));
		json_object_object_add(j, "losses", json_object_new_uint64(w->losses));
		json_object_object_add(j, "volume_anomalies", json_object_new_uint64(w->anomalies));
		json_object_object_add(j, "error", w->error[0] ? json_object_new_string(w->error) : NULL);
		json_object_array_add(a, j);
	}
	/* the per-CPU u64 error counter, read into the 16-byte-per-CPU buffer */
	if (bpf_map_lookup_elem(bpf_map__fd(m->skel->maps.clawos_if_err), &zero, m->percpu) == 0)
		for (int c = 0; c < m->ncpus; c++)
			total_errs += ((const uint64_t *)m->percpu)[c];
	json_object_object_add(o, "interfaces", a);
	json_object_object_add(o, "flows_tracked", json_object_new_uint64(m->flows));
	json_object_object_add(o, "flows_max", json_object_new_int(CLAWOS_IFACE_FLOWS_MAX));
	json_object_object_add(o, "total_update_errors", json_object_new_uint64(total_errs));
	json_object_object_add(o, "netlink_resyncs", json_object_new_uint64(m->resyncs));
	json_object_object_add(o, "egress_threshold_bytes", json_object_new_uint64(m->threshold));
	return o;
}
