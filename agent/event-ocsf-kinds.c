/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OCSF of the network, cgroup, syscall and anomaly records (see event-ocsf.c). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "event-json-internal.h"
#include "event-json.h"
#include "event-ocsf.h"
#include "event-siem.h"
#include "names.h"
#include "time-util.h"

/* connection_info.direction_id: from the host's point of view. */
static unsigned net_direction_id(unsigned op)
{
	switch (op) {
	case CLAWOS_NET_OP_CONNECT:
	case CLAWOS_NET_OP_SENDMSG:
		return 2; /* Outbound */
	case CLAWOS_NET_OP_ACCEPT:
	case CLAWOS_NET_OP_LISTEN:
		return 1; /* Inbound */
	default:
		return 0;
	}
}

/* OCSF's src_endpoint is the initiator, dst_endpoint the responder: the
 * address is the responder of connect and sendmsg, the initiator (the peer)
 * of accept, and the local responder of bind and listen. */
static const char *net_endpoint(unsigned op)
{
	return op == CLAWOS_NET_OP_ACCEPT ? "src_endpoint" : "dst_endpoint";
}

void ocsf_connection_info(struct json_writer *w, unsigned direction_id, unsigned ip_proto, unsigned ip_version)
{
	static const char *const directions[] = {"Unknown", "Inbound", "Outbound"};
	const char *name = siem_transport_name(ip_proto);

	jw_object(w, "connection_info");
	jw_int(w, "direction_id", direction_id);
	jw_string(w, "direction", directions[direction_id < 3 ? direction_id : 0]);
	if (name)
		jw_string(w, "protocol_name", name);
	if (ip_proto)
		jw_int(w, "protocol_num", ip_proto);
	if (ip_version)
		jw_int(w, "protocol_ver_id", ip_version);
	jw_end(w);
}

/* The host itself as an endpoint, where a record has no address. */
static void ocsf_local_endpoint(struct json_writer *w, const char *key, const char *host, const char *ifname)
{
	jw_object(w, key);
	if (host)
		jw_string_clean(w, "hostname", host, 256);
	if (ifname)
		jw_string_clean(w, "interface_name", ifname, 64);
	jw_end(w);
}

void ocsf_network(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx)
{
	const struct clawos_net_event *e4 = h->type == CLAWOS_EV_NET ? (const void *)h : NULL;
	const struct clawos_net6_event *e6 = h->type == CLAWOS_EV_NET6 ? (const void *)h : NULL;
	unsigned op = e4 ? e4->op : e6->op, info = e4 ? e4->info : e6->info;
	struct ocsf_process p = ocsf_task(h, ctx);
	/* socket_create comes as an IPv4 record only (see ecs_network) */
	bool create = e4 && op == CLAWOS_NET_OP_CREATE;
	char addr[INET6_ADDRSTRLEN] = "";

	ocsf_head(w, h, ctx, siem_class_of(h), 0, 0);
	ocsf_actor(w, &p, h, ctx);
	if (create) {
		unsigned fam = e4->sock.family;

		/* no address yet: the host that made the socket */
		ocsf_local_endpoint(w, "src_endpoint", ctx->host, NULL);
		ocsf_connection_info(w, 0, e4->port, fam == 2 ? 4 : fam == 10 ? 6 : 0);
	} else {
		if (e4 && format_ipv4(e4->addr, addr, sizeof(addr)) < 0)
			addr[0] = '\0';
		if (e6 && format_ipv6(e6->addr, addr, sizeof(addr)) < 0)
			addr[0] = '\0';
		jw_object(w, net_endpoint(op));
		if (addr[0])
			jw_string(w, "ip", addr);
		jw_int(w, "port", ntohs(e4 ? e4->port : e6->port));
		jw_end(w);
		ocsf_connection_info(w, net_direction_id(op), siem_ip_proto(CLAWOS_NET_PROTO(info), e6), e4 ? 4 : 6);
		jw_bool(w, "is_src_dst_assignment_known", op != CLAWOS_NET_OP_BIND);
	}
	ocsf_unmapped_begin(w, h, ctx, CLAWOS_NET_MECH(info));
	jw_object(w, "network");
	jw_string(w, "op", net_op_name(op));
	jw_string(w, "protocol", net_proto_name(CLAWOS_NET_PROTO(info)));
	net_family_json(w, e4, op, create);
	jw_end(w);
	jw_end(w);
}

/* Traffic of a cgroup over an interval: the host is the endpoint. */
void ocsf_cgroup(struct json_writer *w, const struct clawos_cgroup_event *e, const struct event_context *ctx)
{
	uint64_t end = siem_realtime_ns(&e->hdr, ctx) / NSEC_PER_MSEC, ms = e->interval_ns / NSEC_PER_MSEC;

	ocsf_head(w, &e->hdr, ctx, siem_class_of(&e->hdr), 0, 0);
	ocsf_local_endpoint(w, "src_endpoint", ctx->host, NULL);
	jw_object(w, "traffic");
	jw_uint(w, "bytes_in", e->rx_bytes);
	jw_uint(w, "bytes_out", e->tx_bytes);
	jw_uint(w, "packets_in", e->rx_packets);
	jw_uint(w, "packets_out", e->tx_packets);
	jw_uint(w, "bytes", e->rx_bytes + e->tx_bytes);
	jw_uint(w, "packets", e->rx_packets + e->tx_packets);
	jw_end(w);
	jw_uint(w, "start_time", end > ms ? end - ms : 0);
	jw_uint(w, "end_time", end);
	jw_uint(w, "duration", ms);
	ocsf_unmapped_begin(w, &e->hdr, ctx, CLAWOS_MECH_CGROUP_SKB);
	jw_object(w, "cgroup");
	jw_uint(w, "id", e->hdr.cgroup_id);
	if (e->path[0])
		jw_string_clean(w, "path", e->path, sizeof(e->path));
	jw_bool(w, "path_truncated", e->path_flags & CLAWOS_PATH_F_TRUNCATED);
	jw_end(w);
	jw_end(w);
}

/* OCSF has no class for a single system call: Base Event, Other. */
void ocsf_syscall(struct json_writer *w, const struct clawos_syscall_event *e, const struct event_context *ctx)
{
	const char *name = syscall_name(e->nr);
	struct ocsf_process p = ocsf_task(&e->hdr, ctx);

	ocsf_head(w, &e->hdr, ctx, siem_class_of(&e->hdr), 0, 0);
	ocsf_actor(w, &p, &e->hdr, ctx);
	ocsf_unmapped_begin(w, &e->hdr, ctx, e->mechanism);
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

/* finding_info.attacks from a Sigma rule's ATT&CK tags.  A rule does not
 * say which of its tactics a technique serves, so each technique (or
 * sub-technique) is paired with each tactic of the rule, one attack object
 * per pair ("tactic" is one object in OCSF; "tactics" is deprecated); a
 * technique without tactics, or a tactic without techniques, stands alone. */
static void ocsf_attack(struct json_writer *w, const struct siem_attack *t, enum siem_attack_kind k,
			const struct siem_attack *tactic)
{
	jw_object(w, NULL);
	if (t) {
		jw_object(w, "technique");
		jw_string(w, "uid", k == SIEM_ATTACK_TECHNIQUE ? t->id : t->technique);
		jw_end(w);
		if (k == SIEM_ATTACK_SUBTECHNIQUE) {
			jw_object(w, "sub_technique");
			jw_string(w, "uid", t->id);
			jw_end(w);
		}
	}
	if (tactic) {
		jw_object(w, "tactic");
		jw_string(w, "uid", tactic->id);
		jw_string(w, "name", tactic->name);
		jw_end(w);
	}
	jw_end(w);
}

static void ocsf_attacks(struct json_writer *w, const struct event_sigma *s)
{
	bool tactics = false, techniques = false;
	struct siem_attack a, b;

	for (size_t i = 0; i < s->n_tags; i++) {
		enum siem_attack_kind k = siem_attack_parse(s->tags[i], &a);

		tactics |= k == SIEM_ATTACK_TACTIC;
		techniques |= k == SIEM_ATTACK_TECHNIQUE || k == SIEM_ATTACK_SUBTECHNIQUE;
	}
	if (!tactics && !techniques)
		return;
	jw_array(w, "attacks");
	for (size_t i = 0; i < s->n_tags; i++) {
		enum siem_attack_kind k = siem_attack_parse(s->tags[i], &a);

		if (k == SIEM_ATTACK_TACTIC && !techniques)
			ocsf_attack(w, NULL, k, &a);
		if (k != SIEM_ATTACK_TECHNIQUE && k != SIEM_ATTACK_SUBTECHNIQUE)
			continue;
		if (!tactics)
			ocsf_attack(w, &a, k, NULL);
		for (size_t j = 0; j < s->n_tags && tactics; j++)
			if (siem_attack_parse(s->tags[j], &b) == SIEM_ATTACK_TACTIC)
				ocsf_attack(w, &a, k, &b);
	}
	jw_end(w);
}

/* Built-in rules: the analytic is the rule, by name.  A Sigma hit: the
 * analytic is the Sigma rule (uid its id, name its title, category its
 * logsource category), with the attacks of its ATT&CK tags. */
static void ocsf_finding_info(struct json_writer *w, const struct clawos_anomaly_event *e,
			      const struct event_context *ctx, const struct event_sigma *s)
{
	char uid[64];

	/* unique per host: the boot time and the agent's sequence number */
	snprintf(uid, sizeof(uid), "%llu-%u", (unsigned long long)e->hdr.ts_ns, e->hdr.seq);
	jw_object(w, "finding_info");
	jw_string(w, "uid", uid);
	if (s) {
		jw_string_clean(w, "title", s->title, 4096);
		jw_string_clean(w, "desc", s->title, 4096);
	} else {
		if (e->description[0])
			jw_string_clean(w, "title", e->description, sizeof(e->description));
		else
			jw_string_clean(w, "title", e->rule, sizeof(e->rule));
		if (e->description[0])
			jw_string_clean(w, "desc", e->description, sizeof(e->description));
	}
	jw_array(w, "types");
	jw_string(w, NULL, anomaly_kind_name(e->kind));
	jw_end(w);
	jw_object(w, "analytic");
	if (s) {
		jw_string_clean(w, "uid", s->id ? s->id : s->title, 4096);
		jw_string_clean(w, "name", s->title, 4096);
		jw_string_clean(w, "category", s->category, 64);
	} else {
		jw_string_clean(w, "uid", e->rule, sizeof(e->rule));
		jw_string_clean(w, "name", e->rule, sizeof(e->rule));
		jw_string(w, "category", anomaly_kind_name(e->kind));
	}
	jw_int(w, "type_id", 1);
	jw_string(w, "type", "Rule");
	jw_end(w);
	if (s)
		ocsf_attacks(w, s);
	jw_uint(w, "created_time", siem_realtime_ns(&e->hdr, ctx) / NSEC_PER_MSEC);
	jw_end(w);
}

void ocsf_anomaly(struct json_writer *w, const struct clawos_anomaly_event *e, const struct event_context *ctx)
{
	const struct event_sigma *sigma = e->kind == CLAWOS_ANOMALY_SIGMA ? ctx->sigma : NULL;
	bool enforced = e->flags & CLAWOS_ANOMALY_F_ENFORCED;
	struct ocsf_process p = ocsf_task(&e->hdr, ctx);

	ocsf_head(w, &e->hdr, ctx, siem_class_of(&e->hdr), siem_severity_id(e->severity),
		  OCSF_PROFILE_SECURITY_CONTROL);
	ocsf_finding_info(w, e, ctx, sigma);
	if (sigma)
		jw_string_clean(w, "message", sigma->title, 4096);
	else if (e->description[0])
		jw_string_clean(w, "message", e->description, sizeof(e->description));
	jw_bool(w, "is_alert", true);
	/* the security control: the agent blocked the activity or let it be */
	jw_int(w, "action_id", enforced ? 2 : 1);
	jw_string(w, "action", enforced ? "Denied" : "Allowed");
	jw_int(w, "disposition_id", enforced ? 2 : 1);
	jw_string(w, "disposition", enforced ? "Blocked" : "Allowed");
	if (e->hdr.pid) {
		if (e->ancestry_len > 0 && e->ancestry[0].pid == p.ppid) {
			p.parent_name = e->ancestry[0].comm;
			p.parent_name_max = sizeof(e->ancestry[0].comm);
			p.parent_exe = ctx->ancestry_exe[0];
		}
		p.ancestry = e;
		ocsf_actor(w, &p, &e->hdr, ctx);
	}
	if (e->kind == CLAWOS_ANOMALY_FILE_VIOLATION && e->subject[0]) {
		jw_array(w, "evidences");
		jw_object(w, NULL);
		ocsf_file(w, "file", e->subject, sizeof(e->subject), 0);
		jw_end(w);
		jw_end(w);
	}
	ocsf_unmapped_begin(w, &e->hdr, ctx, e->mechanism);
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
	/* the ancestry is actor.process.ancestry */
	anomaly_top_json(w, e);
	if (sigma)
		sigma_json(w, sigma);
	jw_end(w);
	jw_end(w);
}
