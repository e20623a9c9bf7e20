/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The classification of every kind of record in ECS and OCSF (one row per
 * kind), the format names, and helpers the writers of both schemas share.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "event-json-internal.h"
#include "event-json.h"
#include "event-siem.h"
#include "macro.h"
#include "record-format.h"
#include "time-util.h"

const char *event_format(struct json_writer *w, enum record_format f, const struct clawos_event_hdr *h,
			 const struct event_context *ctx, size_t *len)
{
	switch (f) {
	case RECORD_FORMAT_ECS:
		return event_ecs(w, h, ctx, len);
	case RECORD_FORMAT_OCSF:
		return event_ocsf(w, h, ctx, len);
	default:
		return event_json(w, h, ctx, len);
	}
}

const struct siem_ocsf_class siem_ocsf_classes[_OCSF_CLASS_MAX] = {
    [OCSF_BASE_EVENT] = {0, 0, "Base Event", "Uncategorized"},
    [OCSF_FILE_ACTIVITY] = {1001, 1, "File System Activity", "System Activity"},
    [OCSF_PROCESS_ACTIVITY] = {1007, 1, "Process Activity", "System Activity"},
    [OCSF_DETECTION_FINDING] = {2004, 2, "Detection Finding", "Findings"},
    [OCSF_NETWORK_ACTIVITY] = {4001, 4, "Network Activity", "Network Activity"},
    [OCSF_APP_LIFECYCLE] = {6002, 6, "Application Lifecycle", "Application Activity"},
};

/* Rows shared by several kinds. */
#define PROCESS_LAUNCH OCSF_PROCESS_ACTIVITY, 1, 1, "Launch", "Process Activity: Launch"
#define FILE_OPEN OCSF_FILE_ACTIVITY, 14, 1, "Open", "File System Activity: Open"
#define NET(a, name) OCSF_NETWORK_ACTIVITY, a, 1, name, "Network Activity: " name
#define NET_OTHER(name) OCSF_NETWORK_ACTIVITY, OCSF_ACTIVITY_OTHER, 1, name, "Network Activity: Other"
#define BASE_OTHER(sev, name) OCSF_BASE_EVENT, OCSF_ACTIVITY_OTHER, sev, name, "Base Event: Other"
#define FINDING OCSF_DETECTION_FINDING, 1, 0, "Create", "Detection Finding: Create"

/* clang-format off */
static const struct siem_class class_exec = {"exec", "event", {"process"}, {"start"}, PROCESS_LAUNCH};
static const struct siem_class class_fork = {"fork", "event", {"process"}, {"start"}, PROCESS_LAUNCH};
static const struct siem_class class_exit = {"exit", "event", {"process"}, {"end"},
					     OCSF_PROCESS_ACTIVITY, 2, 1, "Terminate", "Process Activity: Terminate"};
static const struct siem_class class_open = {"open", "event", {"file"}, {"access"}, FILE_OPEN};
static const struct siem_class class_file_open = {"file_open", "event", {"file"}, {"access"}, FILE_OPEN};
/* truncate(2): the file's content changed, as by O_TRUNC */
static const struct siem_class class_truncate = {"truncate", "event", {"file"}, {"change"},
						 OCSF_FILE_ACTIVITY, 3, 1, "Update", "File System Activity: Update"};
/* an open that created the file (O_CREAT, creat(2)): the kernel said so */
static const struct siem_class class_open_created = {"open", "event", {"file"}, {"creation"},
						     OCSF_FILE_ACTIVITY, 1, 1, "Create", "File System Activity: Create"};
static const struct siem_class class_cgroup = {"cgroup", "metric", {"network"}, {"info"}, NET(6, "Traffic")};
static const struct siem_class class_syscall = {"syscall", "event", {"process"}, {"info"}, BASE_OTHER(1, "Syscall")};

/* By enum clawos_net_op. */
static const struct siem_class net_classes[] = {
    [CLAWOS_NET_OP_CONNECT] = {"connect", "event", {"network"}, {"connection", "start"}, NET(1, "Open")},
    [CLAWOS_NET_OP_BIND] = {"bind", "event", {"network"}, {"info"}, NET_OTHER("Bind")},
    [CLAWOS_NET_OP_LISTEN] = {"listen", "event", {"network"}, {"start"}, NET(7, "Listen")},
    [CLAWOS_NET_OP_ACCEPT] = {"accept", "event", {"network"}, {"connection", "start"}, NET(1, "Open")},
    [CLAWOS_NET_OP_CREATE] = {"socket_create", "event", {"network"}, {"info"}, NET_OTHER("Socket Create")},
    [CLAWOS_NET_OP_SENDMSG] = {"sendmsg", "event", {"network"}, {"connection"}, NET(6, "Traffic")},
};
static const struct siem_class class_net_unknown = {"unknown", "event", {"network"}, {"info"}, NET_OTHER("Unknown")};

/* By enum clawos_anomaly_kind: every anomaly is an alert and a Detection
 * Finding; file_violation also gets event.type allowed or denied. */
static const struct siem_class anomaly_classes[] = {
    [CLAWOS_ANOMALY_SYSCALL_RATE] = {"syscall_rate", "alert", {"process", "intrusion_detection"}, {"info"}, FINDING},
    [CLAWOS_ANOMALY_FILE_VIOLATION] = {"file_violation", "alert", {"file", "intrusion_detection"}, {"access"}, FINDING},
    [CLAWOS_ANOMALY_NETWORK_BURST] = {"network_burst", "alert", {"network", "intrusion_detection"}, {"info"}, FINDING},
    [CLAWOS_ANOMALY_TAMPER] = {"tamper", "alert", {"intrusion_detection"}, {"info"}, FINDING},
    [CLAWOS_ANOMALY_NETWORK_VOLUME] = {"network_volume", "alert", {"network", "intrusion_detection"}, {"info"}, FINDING},
    [CLAWOS_ANOMALY_SIGMA] = {"sigma", "alert", {"intrusion_detection"}, {"info"}, FINDING},
    [CLAWOS_ANOMALY_EVASION] = {"evasion", "alert", {"intrusion_detection"}, {"info"}, FINDING},
};
static const struct siem_class class_anomaly_unknown = {"unknown", "alert", {"intrusion_detection"}, {"info"}, FINDING};

/* The agent's own records, by their native name. */
static const struct siem_class agent_classes[] = {
    {"startup", "event", {"process"}, {"start"}, OCSF_APP_LIFECYCLE, 3, 1, "Start", "Application Lifecycle: Start"},
    {"shutdown", "event", {"process"}, {"end"}, OCSF_APP_LIFECYCLE, 4, 1, "Stop", "Application Lifecycle: Stop"},
    {"stats", "metric", {"host"}, {"info"}, BASE_OTHER(1, "Stats")},
    {"events_lost", "event", {"host"}, {"info"}, BASE_OTHER(3, "Events Lost")},
    {"config_changed", "event", {"configuration"}, {"change"}, BASE_OTHER(1, "Config Changed")},
    {"config_reload_failed", "event", {"configuration"}, {"change"}, BASE_OTHER(3, "Config Reload Failed")},
    {"journal_suppressed", "event", {"host"}, {"info"}, BASE_OTHER(2, "Journal Suppressed")},
    {"iface", "metric", {"network"}, {"info"}, NET(6, "Traffic")},
    {"iface_state", "event", {"host"}, {"change"}, BASE_OTHER(2, "Interface State")},
    {"rules_loaded", "event", {"configuration"}, {"change"}, BASE_OTHER(1, "Rules Loaded")},
};
static const struct siem_class class_agent_unknown = {"unknown", "event", {"host"}, {"info"}, BASE_OTHER(1, "Unknown")};
/* clang-format on */

const struct siem_class *siem_class_of(const struct clawos_event_hdr *h)
{
	switch (h->type) {
	case CLAWOS_EV_EXEC:
		return &class_exec;
	case CLAWOS_EV_PROC:
		return ((const struct clawos_proc_event *)h)->op == CLAWOS_PROC_FORK ? &class_fork : &class_exit;
	case CLAWOS_EV_FILE: {
		const struct clawos_file_event *f = (const struct clawos_file_event *)h;

		if (f->op == CLAWOS_FILE_OP_TRUNCATE)
			return &class_truncate;
		if (f->path_flags & CLAWOS_PATH_F_CREATED)
			return &class_open_created;
		return f->op == CLAWOS_FILE_OP_FILE_OPEN ? &class_file_open : &class_open;
	}
	case CLAWOS_EV_NET:
	case CLAWOS_EV_NET6: {
		unsigned op = h->type == CLAWOS_EV_NET ? ((const struct clawos_net_event *)h)->op
						       : ((const struct clawos_net6_event *)h)->op;

		return op < ELEMENTSOF(net_classes) && net_classes[op].action ? &net_classes[op] : &class_net_unknown;
	}
	case CLAWOS_EV_CGROUP:
		return &class_cgroup;
	case CLAWOS_EV_ANOMALY: {
		unsigned k = ((const struct clawos_anomaly_event *)h)->kind;

		return k < ELEMENTSOF(anomaly_classes) && anomaly_classes[k].action ? &anomaly_classes[k]
										    : &class_anomaly_unknown;
	}
	default:
		return &class_syscall;
	}
}

const struct siem_class *siem_agent_class(const char *event)
{
	for (size_t i = 0; event && i < ELEMENTSOF(agent_classes); i++)
		if (strcmp(agent_classes[i].action, event) == 0)
			return &agent_classes[i];
	return &class_agent_unknown;
}

unsigned siem_severity_id(unsigned severity)
{
	/* info, low, medium, high, critical -> OCSF 1..5 */
	return severity <= CLAWOS_SEV_CRITICAL ? severity + 1 : 0;
}

unsigned siem_ip_proto(unsigned proto, bool inet6)
{
	switch (proto) {
	case CLAWOS_PROTO_TCP:
		return 6;
	case CLAWOS_PROTO_UDP:
		return 17;
	case CLAWOS_PROTO_ICMP:
		return inet6 ? 58 : 1;
	default:
		return 0;
	}
}

/* IANA's keywords, lower case, as ECS network.transport wants them */
static const char *const transport_table[] = {
    [IPPROTO_ICMP] = "icmp",	    [IPPROTO_TCP] = "tcp",   [IPPROTO_UDP] = "udp",
    [IPPROTO_ICMPV6] = "ipv6-icmp", [IPPROTO_SCTP] = "sctp", [IPPROTO_UDPLITE] = "udplite",
};

DEFINE_STRING_TABLE_TO_NAME(siem_transport, unsigned, transport_table, NULL);

long siem_exec_arg(const struct clawos_exec_event *e, size_t *off)
{
	size_t len = MIN((size_t)e->args_len, sizeof(e->args)), n;

	if (*off >= len)
		return -1;
	n = strnlen(e->args + *off, len - *off);
	return (long)n;
}

enum siem_attack_kind siem_attack_parse(const char *tag, struct siem_attack *a)
{
	/* ATT&CK's enterprise tactics, by the names Sigma's tags use */
	static const struct {
		const char *tag, *id, *name;
	} tactics[] = {
	    {"reconnaissance", "TA0043", "Reconnaissance"},
	    {"resource_development", "TA0042", "Resource Development"},
	    {"initial_access", "TA0001", "Initial Access"},
	    {"execution", "TA0002", "Execution"},
	    {"persistence", "TA0003", "Persistence"},
	    {"privilege_escalation", "TA0004", "Privilege Escalation"},
	    {"defense_evasion", "TA0005", "Defense Evasion"},
	    {"credential_access", "TA0006", "Credential Access"},
	    {"discovery", "TA0007", "Discovery"},
	    {"lateral_movement", "TA0008", "Lateral Movement"},
	    {"collection", "TA0009", "Collection"},
	    {"command_and_control", "TA0011", "Command and Control"},
	    {"exfiltration", "TA0010", "Exfiltration"},
	    {"impact", "TA0040", "Impact"},
	};
	const char *t;
	size_t digits = 0, sub = 0;

	*a = (struct siem_attack){.kind = SIEM_ATTACK_NONE};
	if (!tag || strncasecmp(tag, "attack.", 7) != 0)
		return SIEM_ATTACK_NONE;
	t = tag + 7;
	for (size_t i = 0; i < ELEMENTSOF(tactics); i++)
		if (strcasecmp(t, tactics[i].tag) == 0) {
			a->kind = SIEM_ATTACK_TACTIC;
			snprintf(a->id, sizeof(a->id), "%s", tactics[i].id);
			a->name = tactics[i].name;
			return a->kind;
		}
	/* t, four digits, and maybe a dot and three more */
	if (t[0] != 't' && t[0] != 'T')
		return SIEM_ATTACK_NONE;
	while (t[1 + digits] >= '0' && t[1 + digits] <= '9')
		digits++;
	if (digits != 4)
		return SIEM_ATTACK_NONE;
	if (t[5] == '.') {
		while (t[6 + sub] >= '0' && t[6 + sub] <= '9')
			sub++;
		if (sub != 3 || t[9] != '\0')
			return SIEM_ATTACK_NONE;
	} else if (t[5] != '\0') {
		return SIEM_ATTACK_NONE;
	}
	snprintf(a->technique, sizeof(a->technique), "T%.4s", t + 1);
	if (sub) {
		snprintf(a->id, sizeof(a->id), "T%.4s.%.3s", t + 1, t + 6);
		a->kind = SIEM_ATTACK_SUBTECHNIQUE;
	} else {
		snprintf(a->id, sizeof(a->id), "%s", a->technique);
		a->technique[0] = '\0';
		a->kind = SIEM_ATTACK_TECHNIQUE;
	}
	return a->kind;
}

unsigned siem_exec_argc(const struct clawos_exec_event *e)
{
	size_t off = 0;
	unsigned argc = 0;
	long n;

	for (; (n = siem_exec_arg(e, &off)) >= 0; off += (size_t)n + 1)
		argc++;
	return argc;
}

size_t siem_command_line(const struct clawos_exec_event *e, char *out, size_t size)
{
	size_t off = 0, o = 0;
	long n;

	if (size == 0)
		return 0;
	for (unsigned i = 0; (n = siem_exec_arg(e, &off)) >= 0; i++, off += (size_t)n + 1) {
		size_t k;

		if (i > 0) {
			if (o + 1 >= size)
				break;
			out[o++] = ' ';
		}
		k = MIN((size_t)n, size - 1 - o);
		memcpy(out + o, e->args + off, k);
		o += k;
	}
	out[o] = '\0';
	return o;
}

/* The last component of path[0..n) (trailing slashes ignored; "/" is its
 * own) and the length of its directory: "/a/b/" -> "b" at 3 (length 1),
 * directory length 2; "/x" -> "x", 1; "x" -> "x", 0. */
static void siem_path_split(const char *path, size_t n, size_t *name_off, size_t *name_len, size_t *dir_len)
{
	size_t end = n;
	const char *slash;

	/* "/a/b/" names b, in /a; "/" names itself */
	while (end > 1 && path[end - 1] == '/')
		end--;
	slash = path && end > 1 ? memrchr(path, '/', end) : NULL;
	*name_off = slash ? (size_t)(slash - path) + 1 : 0;
	*name_len = end - *name_off;
	/* "/x": the directory is "/" */
	*dir_len = !slash ? 0 : slash == path ? 1 : (size_t)(slash - path);
}

void siem_file_path(struct json_writer *w, const char *path, size_t max, const char *const keys[4])
{
	size_t n = strnlen(path, max), name, name_len, dir;
	const char *dot;

	siem_path_split(path, n, &name, &name_len, &dir);
	jw_string_clean(w, keys[0], path, n);
	jw_string_clean(w, keys[1], path + name, name_len);
	if (dir && path[0] == '/')
		jw_string_clean(w, keys[2], path, dir);
	dot = name_len ? memrchr(path + name, '.', name_len) : NULL;
	/* "a.tar.gz" -> "gz"; ".bashrc" and "a." have none */
	if (dot && dot > path + name && dot + 1 < path + name + name_len)
		jw_string_clean(w, keys[3], dot + 1, (size_t)(path + name + name_len - dot - 1));
}

void siem_string_array(struct json_writer *w, const char *key, const char *const v[2], const char *extra)
{
	jw_array(w, key);
	for (int i = 0; i < 2; i++)
		if (v[i])
			jw_string(w, NULL, v[i]);
	if (extra)
		jw_string(w, NULL, extra);
	jw_end(w);
}

void siem_id_string(struct json_writer *w, const char *key, uint64_t id)
{
	char buf[24];
	size_t n = sizeof(buf);

	buf[--n] = '\0';
	buf[--n] = '"';
	do {
		buf[--n] = (char)('0' + id % 10);
		id /= 10;
	} while (id);
	buf[--n] = '"';
	/* digits need no escaping */
	jw_raw_k(w, key, key ? strlen(key) : 0, buf + n, sizeof(buf) - 1 - n);
}

#define FRAGMENTS 96
#define FRAGMENT_MAX 512

struct fragment {
	siem_build_fn build;
	const void *k1;
	uintptr_t k2;
	uint16_t len;
	char text[FRAGMENT_MAX];
};

void siem_members(struct json_writer *w, siem_build_fn build, const void *k1, uintptr_t k2)
{
	static __thread struct fragment cache[FRAGMENTS];
	static __thread unsigned used;
	struct json_writer tmp = {};
	const char *s;
	size_t len;

	for (unsigned i = 0; i < used; i++)
		if (cache[i].build == build && cache[i].k1 == k1 && cache[i].k2 == k2) {
			jw_members(w, cache[i].text, cache[i].len);
			return;
		}
	/* the members alone: "{" + members + "}" from a writer of their own */
	jw_begin(&tmp);
	build(&tmp, k1, k2);
	s = jw_finish(&tmp, &len);
	if (s && len >= 2 && len - 2 <= FRAGMENT_MAX && used < FRAGMENTS) {
		struct fragment *f = &cache[used++];

		*f = (struct fragment){.build = build, .k1 = k1, .k2 = k2, .len = (uint16_t)(len - 2)};
		memcpy(f->text, s + 1, len - 2);
		jw_members(w, f->text, f->len);
	} else {
		build(w, k1, k2);
	}
	jw_free(&tmp);
}

void siem_members_text(struct json_writer *w, siem_build_fn build, const char *s)
{
	static __thread struct {
		siem_build_fn build;
		char key[256];
		uint16_t len;
		char text[FRAGMENT_MAX];
	} cache[4];
	static __thread unsigned next;
	struct json_writer tmp = {};
	const char *out;
	size_t len;

	if (!s || strlen(s) >= sizeof(cache[0].key)) {
		build(w, s, 0);
		return;
	}
	for (unsigned i = 0; i < ELEMENTSOF(cache); i++)
		if (cache[i].build == build && strcmp(cache[i].key, s) == 0) {
			jw_members(w, cache[i].text, cache[i].len);
			return;
		}
	jw_begin(&tmp);
	build(&tmp, s, 0);
	out = jw_finish(&tmp, &len);
	if (out && len >= 2 && len - 2 <= FRAGMENT_MAX) {
		unsigned i = next++ % ELEMENTSOF(cache);

		cache[i].build = build;
		snprintf(cache[i].key, sizeof(cache[i].key), "%s", s);
		cache[i].len = (uint16_t)(len - 2);
		memcpy(cache[i].text, out + 1, len - 2);
		jw_members(w, cache[i].text, cache[i].len);
	} else {
		build(w, s, 0);
	}
	jw_free(&tmp);
}

void siem_time(struct json_writer *w, const char *key, uint64_t realtime_ns)
{
	char t[48];

	/* digits, '-', ':', 'T', '.', 'Z': nothing to escape */
	t[0] = '"';
	if (format_rfc3339(realtime_ns, t + 1, sizeof(t) - 2) < 0)
		return;
	size_t n = strlen(t);

	t[n++] = '"';
	jw_raw_k(w, key, strlen(key), t, n);
}

uint64_t siem_realtime_ns(const struct clawos_event_hdr *h, const struct event_context *ctx)
{
	return h->ts_ns + (uint64_t)ctx->realtime_offset_ns; /* wraps like the native "time" */
}

uint64_t siem_parse_rfc3339(const char *s)
{
	struct tm tm = {};
	uint64_t ns = 0;
	const char *p;
	int digits = 0;
	time_t t;

	if (!s || !(p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return 0;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (digits++ < 9)
				ns = ns * 10 + (uint64_t)(*p - '0');
	for (; digits < 9; digits++)
		ns *= 10;
	if (*p != 'Z' || p[1] || (t = timegm(&tm)) < 0)
		return 0;
	return (uint64_t)t * NSEC_PER_SEC + ns;
}

const char *siem_write(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx,
		       size_t *len, const struct siem_writers *t)
{
	switch (h->type) {
	case CLAWOS_EV_EXEC:
		t->exec(w, (const struct clawos_exec_event *)h, ctx);
		break;
	case CLAWOS_EV_PROC:
		t->lifecycle(w, (const struct clawos_proc_event *)h, ctx);
		break;
	case CLAWOS_EV_FILE:
		t->file(w, (const struct clawos_file_event *)h, ctx);
		break;
	case CLAWOS_EV_NET:
	case CLAWOS_EV_NET6:
		t->network(w, h, ctx);
		break;
	case CLAWOS_EV_CGROUP:
		t->cgroup(w, (const struct clawos_cgroup_event *)h, ctx);
		break;
	case CLAWOS_EV_ANOMALY:
		t->anomaly(w, (const struct clawos_anomaly_event *)h, ctx);
		break;
	case CLAWOS_EV_SYSCALL:
		t->syscall(w, (const struct clawos_syscall_event *)h, ctx);
		break;
	default:
		return NULL;
	}
	return jw_finish(w, len);
}

void siem_file_json(struct json_writer *w, const struct clawos_file_event *e, const char *raw)
{
	jw_object(w, "file");
	file_detail_json(w, e, raw);
	if (e->path_flags & CLAWOS_PATH_F_NO_RESULT)
		jw_null(w, "result");
	else
		jw_int(w, "result", e->ret);
	jw_string(w, "verdict", e->verdict == CLAWOS_VERDICT_DENY ? "deny" : "allow");
	jw_end(w);
}
