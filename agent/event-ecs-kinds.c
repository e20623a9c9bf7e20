/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ECS of the network, cgroup, syscall and anomaly records (see event-ecs.c). */
#include <arpa/inet.h>
#include <string.h>

#include "event-ecs.h"
#include "event-json-internal.h"
#include "event-json.h"
#include "event-siem.h"
#include "names.h"
#include "time-util.h"

/* From the host's point of view, as ECS asks of host-based monitoring. */
static const char *net_direction(unsigned op)
{
	switch (op) {
	case CLAWOS_NET_OP_CONNECT:
	case CLAWOS_NET_OP_SENDMSG:
		return "egress";
	case CLAWOS_NET_OP_ACCEPT:
	case CLAWOS_NET_OP_LISTEN:
		return "ingress";
	default:
		return NULL;
	}
}

/* The address of a network record is the destination of connect and
 * sendmsg, the source (the peer that connected) of accept, and the local
 * end, described as the source, of bind and listen. */
static const char *net_endpoint(unsigned op)
{
	return op == CLAWOS_NET_OP_CONNECT || op == CLAWOS_NET_OP_SENDMSG ? "destination" : "source";
}

static void ecs_endpoint(struct json_writer *w, unsigned op, const char *addr, uint16_t port_be)
{
	jw_object(w, net_endpoint(op));
	if (addr[0])
		jw_string(w, "ip", addr);
	jw_int(w, "port", ntohs(port_be));
	jw_end(w);
}

/* network.type, transport and iana_number; ip_proto 0: unknown. */
static void ecs_net_fields(struct json_writer *w, const char *type, unsigned ip_proto, const char *direction)
{
	const char *transport = siem_transport_name(ip_proto);

	jw_object(w, "network");
	if (type)
		jw_string(w, "type", type);
	if (transport)
		jw_string(w, "transport", transport);
	if (ip_proto)
		siem_id_string(w, "iana_number", ip_proto);
	if (direction)
		jw_string(w, "direction", direction);
	jw_end(w);
}

void ecs_network(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx)
{
	const struct clawos_net_event *e4 = h->type == CLAWOS_EV_NET ? (const void *)h : NULL;
	const struct clawos_net6_event *e6 = h->type == CLAWOS_EV_NET6 ? (const void *)h : NULL;
	unsigned op = e4 ? e4->op : e6->op, info = e4 ? e4->info : e6->info;
	/* socket_create comes as an IPv4 record only: a Network6Event says so
	 * only when it is broken, then its address is written */
	bool create = e4 && op == CLAWOS_NET_OP_CREATE;
	char addr[INET6_ADDRSTRLEN] = "";

	ecs_begin(w, h, ctx, siem_class_of(h), NULL);
	ecs_event_close(w, h, ctx);
	ecs_process_begin(w, h, ctx, ctx->exe, 4096);
	ecs_parent(w, ecs_ppid(h, ctx), NULL, 0, NULL);
	jw_end(w);
	ecs_user(w, h, ctx);
	if (create) {
		unsigned fam = e4->sock.family;

		ecs_net_fields(w, fam == 2 ? "ipv4" : fam == 10 ? "ipv6" : NULL, e4->port, NULL);
	} else {
		if (e4 && format_ipv4(e4->addr, addr, sizeof(addr)) < 0)
			addr[0] = '\0';
		if (e6 && format_ipv6(e6->addr, addr, sizeof(addr)) < 0)
			addr[0] = '\0';
		ecs_endpoint(w, op, addr, e4 ? e4->port : e6->port);
		ecs_net_fields(w, e4 ? "ipv4" : "ipv6", siem_ip_proto(CLAWOS_NET_PROTO(info), e6), net_direction(op));
	}
	ecs_custom_begin(w, h, ctx, CLAWOS_NET_MECH(info));
	jw_object(w, "network");
	jw_string(w, "protocol", net_proto_name(CLAWOS_NET_PROTO(info)));
	net_family_json(w, e4, op, create);
	jw_end(w);
	jw_end(w);
}

void ecs_cgroup(struct json_writer *w, const struct clawos_cgroup_event *e, const struct event_context *ctx)
{
	ecs_begin(w, &e->hdr, ctx, siem_class_of(&e->hdr), NULL);
	jw_uint(w, "duration", e->interval_ns);
	ecs_event_close(w, &e->hdr, ctx);
	jw_object(w, "network");
	jw_uint(w, "bytes", e->rx_bytes + e->tx_bytes);
	jw_uint(w, "packets", e->rx_packets + e->tx_packets);
	jw_end(w);
	ecs_custom_begin(w, &e->hdr, ctx, CLAWOS_MECH_CGROUP_SKB);
	jw_object(w, "cgroup");
	jw_uint(w, "id", e->hdr.cgroup_id);
	if (e->path[0])
		jw_string_clean(w, "path", e->path, sizeof(e->path));
	jw_bool(w, "path_truncated", e->path_flags & CLAWOS_PATH_F_TRUNCATED);
	jw_uint(w, "rx_packets", e->rx_packets);
	jw_uint(w, "rx_bytes", e->rx_bytes);
	jw_uint(w, "tx_packets", e->tx_packets);
	jw_uint(w, "tx_bytes", e->tx_bytes);
	jw_uint(w, "interval_ms", e->interval_ns / NSEC_PER_MSEC);
	jw_end(w);
	jw_end(w);
}

void ecs_syscall(struct json_writer *w, const struct clawos_syscall_event *e, const struct event_context *ctx)
{
	const char *name = syscall_name(e->nr);

	ecs_begin(w, &e->hdr, ctx, siem_class_of(&e->hdr), NULL);
	ecs_event_close(w, &e->hdr, ctx);
	ecs_process_begin(w, &e->hdr, ctx, ctx->exe, 4096);
	ecs_parent(w, ecs_ppid(&e->hdr, ctx), NULL, 0, NULL);
	jw_end(w);
	ecs_user(w, &e->hdr, ctx);
	ecs_custom_begin(w, &e->hdr, ctx, e->mechanism);
	jw_object(w, "syscall");
	jw_int(w, "nr", e->nr);
	if (name)
		jw_string(w, "name", name);
	jw_array(w, "args");
	for (unsigned i = 0; i < e->nargs && i < CLAWOS_SYSCALL_ARGS; i++)
		jw_uint(w, NULL, e->args[i]);
	jw_end(w);
	jw_end(w);
	jw_end(w);
}

/* Built-in rules: rule.id and rule.name are the rule's name.  A Sigma hit
 * takes rule.* from its rule (id, title, logsource category) and
 * threat.* from its ATT&CK tags; its tags are the record's tags. */
static void ecs_rule(struct json_writer *w, const struct clawos_anomaly_event *e, const struct event_sigma *s)
{
	jw_object(w, "rule");
	if (s) {
		jw_string_clean(w, "id", s->id ? s->id : s->title, 4096);
		if (s->id)
			jw_string_clean(w, "uuid", s->id, 256);
		jw_string_clean(w, "name", s->title, 4096);
		jw_string_clean(w, "category", s->category, 64);
		jw_string_clean(w, "description", s->title, 4096);
		jw_string(w, "ruleset", "sigma");
	} else {
		jw_string_clean(w, "id", e->rule, sizeof(e->rule));
		jw_string_clean(w, "name", e->rule, sizeof(e->rule));
		jw_string(w, "category", anomaly_kind_name(e->kind));
		if (e->description[0])
			jw_string_clean(w, "description", e->description, sizeof(e->description));
		jw_string(w, "ruleset", SIEM_MODULE);
	}
	jw_end(w);
}

/* threat.*: the ATT&CK tactics, techniques and sub-techniques of a Sigma
 * rule's tags, as ECS's parallel arrays; nothing when it has none. */
static void ecs_threat_ids(struct json_writer *w, const struct event_sigma *s, enum siem_attack_kind kind, bool names)
{
	jw_array(w, names ? "name" : "id");
	for (size_t i = 0; i < s->n_tags; i++) {
		struct siem_attack a;

		if (siem_attack_parse(s->tags[i], &a) == kind)
			jw_string(w, NULL, names ? a.name : a.id);
	}
	jw_end(w);
}

static void ecs_threat(struct json_writer *w, const struct event_sigma *s)
{
	bool has[SIEM_ATTACK_SUBTECHNIQUE + 1] = {false};
	struct siem_attack a;

	for (size_t i = 0; i < s->n_tags; i++)
		has[siem_attack_parse(s->tags[i], &a)] = true;
	if (!has[SIEM_ATTACK_TACTIC] && !has[SIEM_ATTACK_TECHNIQUE] && !has[SIEM_ATTACK_SUBTECHNIQUE])
		return;
	jw_object(w, "threat");
	jw_string(w, "framework", "MITRE ATT&CK");
	if (has[SIEM_ATTACK_TACTIC]) {
		jw_object(w, "tactic");
		ecs_threat_ids(w, s, SIEM_ATTACK_TACTIC, false);
		ecs_threat_ids(w, s, SIEM_ATTACK_TACTIC, true);
		jw_end(w);
	}
	if (has[SIEM_ATTACK_TECHNIQUE] || has[SIEM_ATTACK_SUBTECHNIQUE]) {
		jw_object(w, "technique");
		/* a sub-technique's technique is a technique of the rule too */
		jw_array(w, "id");
		for (size_t i = 0; i < s->n_tags; i++) {
			enum siem_attack_kind k = siem_attack_parse(s->tags[i], &a);
			const char *id = k == SIEM_ATTACK_TECHNIQUE ? a.id : a.technique;
			bool dup = false;

			if (k == SIEM_ATTACK_NONE || k == SIEM_ATTACK_TACTIC)
				continue;
			for (size_t j = 0; j < i && !dup; j++) {
				struct siem_attack b;
				enum siem_attack_kind kb = siem_attack_parse(s->tags[j], &b);

				dup = (kb == SIEM_ATTACK_TECHNIQUE && strcmp(b.id, id) == 0) ||
				      (kb == SIEM_ATTACK_SUBTECHNIQUE && strcmp(b.technique, id) == 0);
			}
			if (!dup)
				jw_string(w, NULL, id);
		}
		jw_end(w);
		if (has[SIEM_ATTACK_SUBTECHNIQUE]) {
			jw_object(w, "subtechnique");
			ecs_threat_ids(w, s, SIEM_ATTACK_SUBTECHNIQUE, false);
			jw_end(w);
		}
		jw_end(w);
	}
	jw_end(w);
}

void ecs_anomaly(struct json_writer *w, const struct clawos_anomaly_event *e, const struct event_context *ctx)
{
	const struct event_sigma *sigma = e->kind == CLAWOS_ANOMALY_SIGMA ? ctx->sigma : NULL;
	bool enforced = e->flags & CLAWOS_ANOMALY_F_ENFORCED;
	const char *extra = enforced ? "denied" : e->kind == CLAWOS_ANOMALY_FILE_VIOLATION ? "allowed" : NULL;

	ecs_begin(w, &e->hdr, ctx, siem_class_of(&e->hdr), extra);
	jw_uint(w, "severity", siem_severity_id(e->severity));
	ecs_event_close(w, &e->hdr, ctx);
	if (sigma)
		jw_string_clean(w, "message", sigma->title, 4096);
	else if (e->description[0])
		jw_string_clean(w, "message", e->description, sizeof(e->description));
	if (e->hdr.pid) {
		bool parent_known = e->ancestry_len > 0 && e->ancestry[0].pid == ecs_ppid(&e->hdr, ctx);

		ecs_process_begin(w, &e->hdr, ctx, ctx->exe, 4096);
		ecs_parent(w, ecs_ppid(&e->hdr, ctx), parent_known ? e->ancestry[0].comm : NULL,
			   sizeof(e->ancestry[0].comm), parent_known ? ctx->ancestry_exe[0] : NULL);
		jw_end(w);
		ecs_user(w, &e->hdr, ctx);
	}
	ecs_rule(w, e, sigma);
	if (sigma) {
		ecs_threat(w, sigma);
		jw_array(w, "tags");
		for (size_t i = 0; i < sigma->n_tags; i++)
			jw_string_clean(w, NULL, sigma->tags[i], 256);
		jw_end(w);
	}
	if (e->kind == CLAWOS_ANOMALY_FILE_VIOLATION && e->subject[0]) {
		jw_object(w, "file");
		ecs_file_path(w, e->subject, sizeof(e->subject));
		jw_end(w);
	}
	ecs_custom_begin(w, &e->hdr, ctx, e->mechanism);
	jw_object(w, "anomaly");
	jw_string(w, "severity", severity_name(e->severity));
	jw_uint(w, "observed", e->observed);
	jw_uint(w, "threshold", e->threshold);
	if (sigma && sigma->subject)
		jw_string_clean(w, "subject", sigma->subject, 4096);
	else if (e->subject[0])
		jw_string_clean(w, "subject", e->subject, sizeof(e->subject));
	jw_int(w, "suppressed", e->suppressed);
	jw_bool(w, "enforced", enforced);
	jw_bool(w, "enforcement_unavailable", e->flags & CLAWOS_ANOMALY_F_ENFORCE_UNAVAILABLE);
	anomaly_ancestry_json(w, e, ctx);
	anomaly_top_json(w, e);
	if (sigma)
		sigma_json(w, sigma);
	jw_end(w);
	jw_end(w);
}
