/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON of the network, cgroup, syscall and anomaly records. */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "event-json.h"
#include "event-json-internal.h"
#include "json-writer.h"
#include "macro.h"
#include "names.h"
#include "time-util.h"

static const char *const net_op_table[CLAWOS_NET_OP_MAX] = {
    [CLAWOS_NET_OP_CONNECT] = "connect",      [CLAWOS_NET_OP_BIND] = "bind",
    [CLAWOS_NET_OP_LISTEN] = "listen",	      [CLAWOS_NET_OP_ACCEPT] = "accept",
    [CLAWOS_NET_OP_CREATE] = "socket_create", [CLAWOS_NET_OP_SENDMSG] = "sendmsg",
};

DEFINE_STRING_TABLE_LOOKUP(net_op, unsigned, net_op_table, "unknown");

static const char *const net_proto_table[CLAWOS_PROTO_MAX] = {
    [CLAWOS_PROTO_OTHER] = "other", [CLAWOS_PROTO_TCP] = "tcp", [CLAWOS_PROTO_UDP] = "udp",
    [CLAWOS_PROTO_ICMP] = "icmp",   [CLAWOS_PROTO_RAW] = "raw",
};

DEFINE_STRING_TABLE_LOOKUP(net_proto, unsigned, net_proto_table, "other");

/* "local" for bind/listen, "remote" for the rest: which side the address is. */
const char *net_side(unsigned op)
{
	return op == CLAWOS_NET_OP_BIND || op == CLAWOS_NET_OP_LISTEN ? "local" : "remote";
}

/* The address (text), port and which side of the connection it is. */
static void net_endpoint(struct json_writer *w, const char *addr, uint16_t be_port, unsigned op)
{
	jw_string(w, "address", addr);
	jw_int(w, "port", ntohs(be_port));
	jw_string(w, "side", net_side(op));
}

static void net_common(struct json_writer *w, unsigned op, unsigned info, const char *family)
{
	jw_object(w, "network");
	jw_string(w, "op", net_op_name(op));
	jw_string(w, "family", family);
	jw_string(w, "protocol", net_proto_name(CLAWOS_NET_PROTO(info)));
}

static void net_end(struct json_writer *w, unsigned info)
{
	jw_end(w);
	jw_string(w, "mechanism", mechanism_name(CLAWOS_NET_MECH(info)));
}

/* A socket creation's raw family, type and protocol (the protocol travels
 * in the port field). */
static void net_socket_json(struct json_writer *w, const struct clawos_net_event *e)
{
	const char *type = socket_type_name(e->sock.type);

	jw_int(w, "family_raw", e->sock.family);
	if (type)
		jw_string(w, "type", type);
	else
		jw_int(w, "type", e->sock.type);
	jw_int(w, "protocol_raw", e->port);
}

void net_family_json(struct json_writer *w, const struct clawos_net_event *e4, unsigned op, bool create)
{
	if (create) {
		const char *fam = socket_family_name(e4->sock.family);

		jw_string(w, "family", fam ? fam : "unknown");
		net_socket_json(w, e4);
	} else {
		jw_string(w, "family", e4 ? "inet" : "inet6");
		jw_string(w, "side", net_side(op));
	}
}

void net_json(struct json_writer *w, const struct clawos_net_event *e)
{
	if (e->op == CLAWOS_NET_OP_CREATE) {
		const char *fam = socket_family_name(e->sock.family);

		net_common(w, e->op, e->info, fam ? fam : "unknown");
		net_socket_json(w, e);
	} else {
		char a[INET6_ADDRSTRLEN];

		net_common(w, e->op, e->info, "inet");
		if (format_ipv4(e->addr, a, sizeof(a)) < 0)
			a[0] = '\0';
		net_endpoint(w, a, e->port, e->op);
	}
	net_end(w, e->info);
}

void net6_json(struct json_writer *w, const struct clawos_net6_event *e)
{
	char a[INET6_ADDRSTRLEN];

	net_common(w, e->op, e->info, "inet6");
	if (format_ipv6(e->addr, a, sizeof(a)) < 0)
		a[0] = '\0';
	net_endpoint(w, a, e->port, e->op);
	net_end(w, e->info);
}

void cgroup_json(struct json_writer *w, const struct clawos_cgroup_event *e)
{
	jw_object(w, "cgroup");
	jw_uint(w, "id", e->hdr.cgroup_id);
	if (e->path[0])
		jw_string_clean(w, "path", e->path, sizeof(e->path));
	else
		jw_null(w, "path");
	jw_bool(w, "path_truncated", e->path_flags & CLAWOS_PATH_F_TRUNCATED);
	jw_uint(w, "rx_packets", e->rx_packets);
	jw_uint(w, "rx_bytes", e->rx_bytes);
	jw_uint(w, "tx_packets", e->tx_packets);
	jw_uint(w, "tx_bytes", e->tx_bytes);
	jw_uint(w, "interval_ms", e->interval_ns / NSEC_PER_MSEC);
	jw_end(w);
	jw_string(w, "mechanism", mechanism_name(CLAWOS_MECH_CGROUP_SKB));
}

void syscall_json(struct json_writer *w, const struct clawos_syscall_event *e)
{
	jw_object(w, "syscall");
	jw_int(w, "nr", e->nr);
	jw_string(w, "name", syscall_name(e->nr));
	jw_array(w, "args");
	for (unsigned i = 0; i < e->nargs && i < CLAWOS_SYSCALL_ARGS; i++)
		jw_uint(w, NULL, e->args[i]);
	jw_end(w);
	jw_end(w);
	jw_string(w, "mechanism", mechanism_name(e->mechanism));
}

static const char *const anomaly_kind_table[CLAWOS_ANOMALY_MAX] = {
    [CLAWOS_ANOMALY_SYSCALL_RATE] = "syscall_rate",
    [CLAWOS_ANOMALY_FILE_VIOLATION] = "file_violation",
    [CLAWOS_ANOMALY_NETWORK_BURST] = "network_burst",
    [CLAWOS_ANOMALY_TAMPER] = "tamper",
    [CLAWOS_ANOMALY_NETWORK_VOLUME] = "network_volume",
    [CLAWOS_ANOMALY_SIGMA] = "sigma",
    [CLAWOS_ANOMALY_EVASION] = "evasion",
};

DEFINE_STRING_TABLE_LOOKUP(anomaly_kind, unsigned, anomaly_kind_table, "unknown");

static const char *const severity_table[CLAWOS_SEV_MAX] = {
    [CLAWOS_SEV_INFO] = "info", [CLAWOS_SEV_LOW] = "low",	    [CLAWOS_SEV_MEDIUM] = "medium",
    [CLAWOS_SEV_HIGH] = "high", [CLAWOS_SEV_CRITICAL] = "critical",
};

DEFINE_STRING_TABLE_LOOKUP(severity, unsigned, severity_table, "unknown");

void anomaly_ancestry_json(struct json_writer *w, const struct clawos_anomaly_event *e, const struct event_context *ctx)
{
	jw_array(w, "ancestry");
	for (unsigned i = 0; i < e->ancestry_len && i < CLAWOS_ANOMALY_ANCESTRY; i++) {
		jw_object(w, NULL);
		jw_int(w, "pid", e->ancestry[i].pid);
		jw_string_clean(w, "comm", e->ancestry[i].comm, sizeof(e->ancestry[i].comm));
		jw_string_clean(w, "exe", ctx->ancestry_exe[i], 4096);
		jw_end(w);
	}
	jw_end(w);
}

void anomaly_top_json(struct json_writer *w, const struct clawos_anomaly_event *e)
{
	struct clawos_syscall_count sorted[CLAWOS_ANOMALY_TOP];
	unsigned n = 0;

	if (!e->top_len)
		return;
	/* the kernel keeps them unordered and may leave empty slots */
	for (unsigned i = 0; i < e->top_len && i < CLAWOS_ANOMALY_TOP; i++) {
		unsigned j = n++;

		if (!e->top[i].count) {
			n--;
			continue;
		}
		while (j > 0 && sorted[j - 1].count < e->top[i].count) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = e->top[i];
	}
	jw_array(w, "top_syscalls");
	for (unsigned i = 0; i < n; i++) {
		jw_object(w, NULL);
		jw_int(w, "nr", sorted[i].nr);
		jw_string(w, "name", syscall_name(sorted[i].nr));
		jw_int(w, "count", sorted[i].count);
		jw_end(w);
	}
	jw_end(w);
}

/* The rule, what matched and the record that set it off. */
void sigma_json(struct json_writer *w, const struct event_sigma *s)
{
	jw_object(w, "sigma");
	jw_string_clean(w, "id", s->id, 256);
	jw_string_clean(w, "title", s->title, 4096);
	jw_string_clean(w, "level", s->level, 64);
	jw_string_clean(w, "status", s->status, 64);
	jw_array(w, "tags");
	for (size_t i = 0; i < s->n_tags; i++)
		jw_string_clean(w, NULL, s->tags[i], 256);
	jw_end(w);
	jw_string_clean(w, "category", s->category, 64);
	jw_string_clean(w, "file", s->file, 4096);
	jw_object(w, "matched");
	for (size_t i = 0; i < s->n_matched; i++)
		jw_string_clean(w, s->matched_names[i], s->matched_values[i], s->matched_lens[i]);
	jw_end(w);
	jw_end(w);
	jw_object(w, "trigger");
	jw_string(w, "event", s->trigger_event);
	if (s->trigger_cpu < 0)
		jw_null(w, "cpu");
	else
		jw_int(w, "cpu", s->trigger_cpu);
	jw_int(w, "seq", s->trigger_seq);
	jw_end(w);
}

void anomaly_json(struct json_writer *w, const struct clawos_anomaly_event *e, const struct event_context *ctx)
{
	const struct event_sigma *sigma = e->kind == CLAWOS_ANOMALY_SIGMA ? ctx->sigma : NULL;

	jw_object(w, "anomaly");
	jw_string(w, "kind", anomaly_kind_name(e->kind));
	jw_string(w, "severity", severity_name(e->severity));
	/* a rule id or a title may be longer than the wire record's fields */
	if (sigma)
		jw_string_clean(w, "rule", sigma->id ? sigma->id : sigma->title, 4096);
	else
		jw_string_clean(w, "rule", e->rule, sizeof(e->rule));
	jw_uint(w, "observed", e->observed);
	jw_uint(w, "threshold", e->threshold);
	if (sigma)
		jw_string_clean(w, "description", sigma->title, 4096);
	else
		jw_string_clean(w, "description", e->description, sizeof(e->description));
	if (sigma && sigma->subject)
		jw_string_clean(w, "subject", sigma->subject, 4096);
	else if (e->subject[0])
		jw_string_clean(w, "subject", e->subject, sizeof(e->subject));
	else
		jw_null(w, "subject");
	jw_int(w, "suppressed", e->suppressed);
	jw_bool(w, "enforced", e->flags & CLAWOS_ANOMALY_F_ENFORCED);
	jw_bool(w, "enforcement_unavailable", e->flags & CLAWOS_ANOMALY_F_ENFORCE_UNAVAILABLE);
	anomaly_ancestry_json(w, e, ctx);
	anomaly_top_json(w, e);
	if (sigma)
		sigma_json(w, sigma);
	jw_end(w);
	jw_string(w, "mechanism", mechanism_name(e->mechanism));
}

void proc_json(struct json_writer *w, const struct clawos_proc_event *e)
{
	jw_object(w, "lifecycle");
	jw_string(w, "op", e->op == CLAWOS_PROC_FORK ? "fork" : e->op == CLAWOS_PROC_EXIT ? "exit" : "unknown");
	if (e->op == CLAWOS_PROC_FORK) {
		jw_int(w, "child_pid", e->child_pid);
	} else {
		/* wait(2) status: exit code or the signal that ended it */
		if ((e->exit_code & 0x7f) == 0)
			jw_int(w, "exit_code", (e->exit_code >> 8) & 0xff);
		else
			jw_int(w, "signal", e->exit_code & 0x7f);
	}
	jw_end(w);
	jw_string(w, "mechanism", mechanism_name(CLAWOS_MECH_TRACEPOINT));
}
