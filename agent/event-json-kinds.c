// SPDX-License-Identifier: LGPL-2.1-or-later
/* JSON of the network, cgroup, syscall and anomaly records. */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "event-json.h"
#include "event-json-internal.h"
#include "macro.h"
#include "names.h"

const char *mechanism_json_name(unsigned m)
{
	return mechanism_name(m);
}

static const char *net_op_name(unsigned op)
{
	static const char *const names[] = {
	    [CLAWOS_NET_OP_CONNECT] = "connect",      [CLAWOS_NET_OP_BIND] = "bind",
	    [CLAWOS_NET_OP_LISTEN] = "listen",	      [CLAWOS_NET_OP_ACCEPT] = "accept",
	    [CLAWOS_NET_OP_CREATE] = "socket_create", [CLAWOS_NET_OP_SENDMSG] = "sendmsg",
	};

	return op < ELEMENTSOF(names) && names[op] ? names[op] : "unknown";
}

static const char *net_proto_name(unsigned p)
{
	static const char *const names[] = {
	    [CLAWOS_PROTO_OTHER] = "other", [CLAWOS_PROTO_TCP] = "tcp", [CLAWOS_PROTO_UDP] = "udp",
	    [CLAWOS_PROTO_ICMP] = "icmp",   [CLAWOS_PROTO_RAW] = "raw",
	};

	return p < ELEMENTSOF(names) && names[p] ? names[p] : "other";
}

/* "local" for bind/listen, "remote" for the rest: which side the address is. */
static const char *net_side(unsigned op)
{
	return op == CLAWOS_NET_OP_BIND || op == CLAWOS_NET_OP_LISTEN ? "local" : "remote";
}

static struct json_object *net_common(unsigned op, unsigned info, const char *family)
{
	struct json_object *n = json_object_new_object();

	ADD(n, "op", json_object_new_string(net_op_name(op)));
	ADD(n, "family", json_object_new_string(family));
	ADD(n, "protocol", json_object_new_string(net_proto_name(CLAWOS_NET_PROTO(info))));
	return n;
}

void net_json(struct json_object *o, const struct clawos_net_event *e)
{
	struct json_object *n;

	if (e->op == CLAWOS_NET_OP_CREATE) {
		const char *fam = socket_family_name(e->sock.family), *type = socket_type_name(e->sock.type);

		n = net_common(e->op, e->info, fam ? fam : "unknown");
		ADD(n, "family_raw", json_object_new_int(e->sock.family));
		ADD(n, "type", type ? json_object_new_string(type) : json_object_new_int(e->sock.type));
		ADD(n, "protocol_raw", json_object_new_int(e->port));
	} else {
		char a[INET6_ADDRSTRLEN];

		n = net_common(e->op, e->info, "inet");
		if (format_ipv4(e->addr, a, sizeof(a)) < 0)
			a[0] = '\0';
		ADD(n, "address", json_object_new_string(a));
		ADD(n, "port", json_object_new_int(ntohs(e->port)));
		ADD(n, "side", json_object_new_string(net_side(e->op)));
	}
	ADD(o, "network", n);
	ADD(o, "mechanism", json_object_new_string(mechanism_json_name(CLAWOS_NET_MECH(e->info))));
}

void net6_json(struct json_object *o, const struct clawos_net6_event *e)
{
	struct json_object *n = net_common(e->op, e->info, "inet6");
	char a[INET6_ADDRSTRLEN];

	if (format_ipv6(e->addr, a, sizeof(a)) < 0)
		a[0] = '\0';
	ADD(n, "address", json_object_new_string(a));
	ADD(n, "port", json_object_new_int(ntohs(e->port)));
	ADD(n, "side", json_object_new_string(net_side(e->op)));
	ADD(o, "network", n);
	ADD(o, "mechanism", json_object_new_string(mechanism_json_name(CLAWOS_NET_MECH(e->info))));
}

void cgroup_json(struct json_object *o, const struct clawos_cgroup_event *e)
{
	struct json_object *c = json_object_new_object();

	ADD(c, "id", json_object_new_uint64(e->hdr.cgroup_id));
	ADD(c, "path", e->path[0] ? json_string_clean(e->path, sizeof(e->path)) : NULL);
	ADD(c, "path_truncated", json_object_new_boolean(!!(e->path_flags & CLAWOS_PATH_F_TRUNCATED)));
	ADD(c, "rx_packets", json_object_new_uint64(e->rx_packets));
	ADD(c, "rx_bytes", json_object_new_uint64(e->rx_bytes));
	ADD(c, "tx_packets", json_object_new_uint64(e->tx_packets));
	ADD(c, "tx_bytes", json_object_new_uint64(e->tx_bytes));
	ADD(c, "interval_ms", json_object_new_uint64(e->interval_ns / 1000000ULL));
	ADD(o, "cgroup", c);
	ADD(o, "mechanism", json_object_new_string(mechanism_json_name(CLAWOS_MECH_CGROUP_SKB)));
}

void syscall_json(struct json_object *o, const struct clawos_syscall_event *e)
{
	struct json_object *s = json_object_new_object(), *args = json_object_new_array();
	const char *name = syscall_name(e->nr);

	for (unsigned i = 0; i < e->nargs && i < CLAWOS_SYSCALL_ARGS; i++)
		json_object_array_add(args, json_object_new_uint64(e->args[i]));
	ADD(s, "nr", json_object_new_int64(e->nr));
	ADD(s, "name", name ? json_object_new_string(name) : NULL);
	ADD(s, "args", args);
	ADD(o, "syscall", s);
	ADD(o, "mechanism", json_object_new_string(mechanism_json_name(e->mechanism)));
}

static const char *anomaly_kind_name(unsigned k)
{
	static const char *const names[] = {
	    [CLAWOS_ANOMALY_SYSCALL_RATE] = "syscall_rate",	[CLAWOS_ANOMALY_FILE_VIOLATION] = "file_violation",
	    [CLAWOS_ANOMALY_NETWORK_BURST] = "network_burst",	[CLAWOS_ANOMALY_TAMPER] = "tamper",
	    [CLAWOS_ANOMALY_NETWORK_VOLUME] = "network_volume",
	};

	return k < ELEMENTSOF(names) && names[k] ? names[k] : "unknown";
}

const char *severity_name(unsigned s)
{
	static const char *const names[] = {"info", "low", "medium", "high", "critical"};

	return s < ELEMENTSOF(names) ? names[s] : "unknown";
}

void anomaly_json(struct json_object *o, const struct clawos_anomaly_event *e, const struct event_context *ctx)
{
	struct json_object *a = json_object_new_object(), *anc = json_object_new_array(), *top;

	ADD(a, "kind", json_object_new_string(anomaly_kind_name(e->kind)));
	ADD(a, "severity", json_object_new_string(severity_name(e->severity)));
	ADD(a, "rule", json_string_clean(e->rule, sizeof(e->rule)));
	ADD(a, "observed", json_object_new_uint64(e->observed));
	ADD(a, "threshold", json_object_new_uint64(e->threshold));
	ADD(a, "description", json_string_clean(e->description, sizeof(e->description)));
	ADD(a, "subject", e->subject[0] ? json_string_clean(e->subject, sizeof(e->subject)) : NULL);
	ADD(a, "suppressed", json_object_new_int64(e->suppressed));
	ADD(a, "enforced", json_object_new_boolean(!!(e->flags & CLAWOS_ANOMALY_F_ENFORCED)));
	ADD(a, "enforcement_unavailable", json_object_new_boolean(!!(e->flags & CLAWOS_ANOMALY_F_ENFORCE_UNAVAILABLE)));
	for (unsigned i = 0; i < e->ancestry_len && i < CLAWOS_ANOMALY_ANCESTRY; i++) {
		struct json_object *p = json_object_new_object();

		ADD(p, "pid", json_object_new_int64(e->ancestry[i].pid));
		ADD(p, "comm", json_string_clean(e->ancestry[i].comm, sizeof(e->ancestry[i].comm)));
		ADD(p, "exe", ctx->ancestry_exe[i] ? json_string_clean(ctx->ancestry_exe[i], 4096) : NULL);
		json_object_array_add(anc, p);
	}
	ADD(a, "ancestry", anc);
	if (e->top_len) {
		struct clawos_syscall_count sorted[CLAWOS_ANOMALY_TOP];
		unsigned n = 0;

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
		top = json_object_new_array();
		for (unsigned i = 0; i < n; i++) {
			struct json_object *t = json_object_new_object();
			const char *name = syscall_name(sorted[i].nr);

			ADD(t, "nr", json_object_new_int64(sorted[i].nr));
			ADD(t, "name", name ? json_object_new_string(name) : NULL);
			ADD(t, "count", json_object_new_int64(sorted[i].count));
			json_object_array_add(top, t);
		}
		ADD(a, "top_syscalls", top);
	}
	ADD(o, "anomaly", a);
	ADD(o, "mechanism", json_object_new_string(mechanism_json_name(e->mechanism)));
}

void proc_json(struct json_object *o, const struct clawos_proc_event *e)
{
	struct json_object *p = json_object_new_object();

	ADD(p, "op",
	    json_object_new_string(e->op == CLAWOS_PROC_FORK   ? "fork"
				   : e->op == CLAWOS_PROC_EXIT ? "exit"
							       : "unknown"));
	if (e->op == CLAWOS_PROC_FORK) {
		ADD(p, "child_pid", json_object_new_int64(e->child_pid));
	} else {
		/* wait(2) status: exit code or the signal that ended it */
		if ((e->exit_code & 0x7f) == 0)
			ADD(p, "exit_code", json_object_new_int((e->exit_code >> 8) & 0xff));
		else
			ADD(p, "signal", json_object_new_int(e->exit_code & 0x7f));
	}
	ADD(o, "lifecycle", p);
	ADD(o, "mechanism", json_object_new_string(mechanism_json_name(CLAWOS_MECH_TRACEPOINT)));
}
