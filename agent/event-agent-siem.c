/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent's own records (startup, stats, events_lost, config_*, shutdown,
 * journal_suppressed, iface, iface_state) in ECS and OCSF.  They are built
 * as json-c objects in their native form at a low rate (once per start,
 * reload, stats interval or lost batch), so they are translated from that
 * object here rather than written twice: a few envelope fields move to
 * their schema's place (time, host, pid, kernel, error; the counters of an
 * iface record), every other field stays as it is under
 * clawos.<event> (ECS) or unmapped.<event> (OCSF).
 */
#include <string.h>

#include <json-c/json.h>

#include "event-ecs.h"
#include "event-json.h"
#include "event-ocsf.h"
#include "event-siem.h"
#include "record-format.h"
#include "time-util.h"

struct agent_record {
	const char *event, *time, *host, *kernel, *error;
	int64_t pid; /* 0: none */
	struct json_object *boot_ns, *native;
	uint64_t realtime_ns;
	const struct siem_class *c;
	char now[40]; /* the time of a record without one */
};

/* Native fields that move to the envelope, or to clawos/unmapped itself
 * (boot_ns, mechanism) as in kernel records, not under <event>: those
 * agent_record_format() took (a stats record's "kernel" object stays). */
static bool envelope_key(const char *k, struct json_object *v)
{
	static const char *const always[] = {"event", "schema_version", "time", "boot_ns", "mechanism"};
	static const char *const strings[] = {"host", "kernel", "error"};

	for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
		if (strcmp(k, always[i]) == 0)
			return true;
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (strcmp(k, strings[i]) == 0)
			return json_object_is_type(v, json_type_string);
	return strcmp(k, "pid") == 0 && json_object_is_type(v, json_type_int);
}

static const char *get_string(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		   ? json_object_get_string(v)
		   : NULL;
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* A json-c value into the writer, as json-c prints it. */
static void json_value(struct json_writer *w, const char *key, struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		jw_null(w, key);
		break;
	case json_type_boolean:
		jw_bool(w, key, json_object_get_boolean(v));
		break;
	case json_type_int:
		/* json-c keeps values above INT64_MAX as uint64 */
		if (json_object_get_int64(v) >= 0)
			jw_uint(w, key, json_object_get_uint64(v));
		else
			jw_int(w, key, json_object_get_int64(v));
		break;
	case json_type_double: /* none of the agent's records has one */
		jw_int(w, key, (int64_t)json_object_get_double(v));
		break;
	case json_type_string:
		jw_string_clean(w, key, json_object_get_string(v), (size_t)json_object_get_string_len(v));
		break;
	case json_type_array:
		jw_array(w, key);
		for (size_t i = 0; i < json_object_array_length(v); i++)
			json_value(w, NULL, json_object_array_get_idx(v, i));
		jw_end(w);
		break;
	case json_type_object:
		jw_object(w, key);
		json_object_object_foreach(v, k, x) json_value(w, k, x);
		jw_end(w);
		break;
	}
}

/* The record's own fields: under key (clawos or unmapped), its boot_ns and
 * mechanism, and under key.<event> the rest; the members of an "iface"
 * object go there directly, but for those in skip_iface.  Keys are
 * written as they are: these objects are our own. */
static void record_rest(struct json_writer *w, const char *key, const struct agent_record *r,
			const char *const *skip_iface)
{
	struct json_object *mech = get(r->native, "mechanism");

	jw_object(w, key);
	if (r->boot_ns)
		json_value(w, "boot_ns", r->boot_ns);
	if (mech)
		json_value(w, "mechanism", mech);
	jw_object(w, r->event);
	json_object_object_foreach(r->native, k, v)
	{
		if (envelope_key(k, v))
			continue;
		if (strcmp(k, "iface") == 0 && json_object_is_type(v, json_type_object)) {
			json_object_object_foreach(v, ik, iv)
			{
				bool skip = false;

				for (const char *const *s = skip_iface; s && *s && !skip; s++)
					skip = strcmp(ik, *s) == 0;
				if (!skip)
					json_value(w, ik, iv);
			}
			continue;
		}
		json_value(w, k, v);
	}
	jw_end(w);
	jw_end(w);
}

/* The mapped members of an iface record (flow counters of an interface). */
struct iface_flow {
	const char *name, *direction, *family, *addr;
	int64_t ip_proto, port, packets, bytes, interval_ms;
	bool egress;
};

static const char *const iface_mapped[] = {"direction",	  "protocol", "ip_protocol", "remote_addr",
					   "remote_port", "packets",  "bytes",	     NULL};

static bool iface_flow_get(struct json_object *native, struct iface_flow *f)
{
	struct json_object *i = get(native, "iface"), *v;

	if (!i || !json_object_is_type(i, json_type_object))
		return false;
	f->name = get_string(i, "name");
	f->direction = get_string(i, "direction");
	f->family = get_string(i, "family");
	f->addr = get_string(i, "remote_addr");
	f->egress = f->direction && strcmp(f->direction, "egress") == 0;
	f->ip_proto = (v = get(i, "ip_protocol")) ? json_object_get_int64(v) : 0;
	f->port = (v = get(i, "remote_port")) && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
	f->packets = (v = get(i, "packets")) ? json_object_get_int64(v) : 0;
	f->bytes = (v = get(i, "bytes")) ? json_object_get_int64(v) : 0;
	f->interval_ms = (v = get(i, "interval_ms")) ? json_object_get_int64(v) : 0;
	return true;
}

static bool family_ip(const char *family)
{
	return family && (strcmp(family, "ipv4") == 0 || strcmp(family, "ipv6") == 0);
}

static void ecs_iface(struct json_writer *w, const struct iface_flow *f)
{
	const char *transport = siem_transport_name((unsigned)f->ip_proto);

	jw_object(w, "network");
	if (family_ip(f->family))
		jw_string(w, "type", f->family);
	if (transport)
		jw_string(w, "transport", transport);
	if (f->ip_proto > 0)
		siem_id_string(w, "iana_number", (uint64_t)f->ip_proto);
	if (f->direction)
		jw_string(w, "direction", f->direction);
	jw_int(w, "bytes", f->bytes);
	jw_int(w, "packets", f->packets);
	jw_end(w);
	if (f->addr && family_ip(f->family)) {
		/* the remote end: where egress traffic goes, where ingress comes from */
		jw_object(w, f->egress ? "destination" : "source");
		jw_string(w, "ip", f->addr);
		if (f->port >= 0)
			jw_int(w, "port", f->port);
		jw_end(w);
	}
}

static void ecs_agent(struct json_writer *w, const struct agent_record *r)
{
	bool is_iface = strcmp(r->event, "iface") == 0;
	struct iface_flow f = {};

	jw_begin(w);
	jw_string(w, "@timestamp", r->time ? r->time : r->now);
	jw_object(w, "ecs");
	jw_string(w, "version", ECS_VERSION);
	jw_end(w);
	jw_object(w, "event");
	jw_string(w, "kind", r->c->ecs_kind);
	siem_string_array(w, "category", r->c->ecs_category, NULL);
	siem_string_array(w, "type", r->c->ecs_type, NULL);
	jw_string(w, "action", r->event);
	if (strcmp(r->event, "config_changed") == 0 || strcmp(r->event, "config_reload_failed") == 0)
		jw_string(w, "outcome", r->error ? "failure" : "success");
	is_iface = is_iface && iface_flow_get(r->native, &f);
	if (is_iface)
		jw_int(w, "duration", f.interval_ms * (int64_t)NSEC_PER_MSEC);
	ecs_event_module(w, r->event, false);
	jw_end(w);
	ecs_host_agent(w, r->host, r->kernel);
	if (r->pid) {
		jw_object(w, "process");
		jw_int(w, "pid", r->pid);
		jw_string(w, "name", SIEM_AGENT_TYPE);
		jw_end(w);
	}
	if (r->error) {
		jw_object(w, "error");
		jw_string_clean(w, "message", r->error, 4096);
		jw_end(w);
	}
	if (is_iface)
		ecs_iface(w, &f);
	record_rest(w, SIEM_MODULE, r, is_iface ? iface_mapped : NULL);
}

static void ocsf_iface(struct json_writer *w, const struct agent_record *r, const struct iface_flow *f)
{
	uint64_t end = r->realtime_ns / NSEC_PER_MSEC, ms = f->interval_ms > 0 ? (uint64_t)f->interval_ms : 0;
	bool remote = f->addr && family_ip(f->family);

	/* the host's interface is the source of egress traffic, the
	 * destination of ingress traffic; the remote address the other end */
	jw_object(w, f->egress || !remote ? "src_endpoint" : "dst_endpoint");
	if (r->host)
		jw_string_clean(w, "hostname", r->host, 256);
	if (f->name)
		jw_string_clean(w, "interface_name", f->name, 64);
	jw_end(w);
	if (remote) {
		jw_object(w, f->egress ? "dst_endpoint" : "src_endpoint");
		jw_string(w, "ip", f->addr);
		if (f->port >= 0)
			jw_int(w, "port", f->port);
		jw_end(w);
	}
	ocsf_connection_info(w, f->egress ? 2 : 1, f->ip_proto > 0 ? (unsigned)f->ip_proto : 0,
			     !family_ip(f->family) ? 0
			     : f->family[3] == '4' ? 4
						   : 6);
	jw_object(w, "traffic");
	jw_int(w, f->egress ? "bytes_out" : "bytes_in", f->bytes);
	jw_int(w, f->egress ? "packets_out" : "packets_in", f->packets);
	jw_int(w, "bytes", f->bytes);
	jw_int(w, "packets", f->packets);
	jw_end(w);
	jw_uint(w, "start_time", end > ms ? end - ms : 0);
	jw_uint(w, "end_time", end);
	jw_uint(w, "duration", ms);
}

static void ocsf_agent(struct json_writer *w, const struct agent_record *r)
{
	bool is_iface = strcmp(r->event, "iface") == 0;
	struct iface_flow f = {};

	ocsf_begin(w, r->c, 0, r->realtime_ns);
	ocsf_metadata(w, r->event, r->time, OCSF_PROFILE_HOST, false);
	ocsf_device(w, r->host, r->kernel);
	if (r->c->ocsf == OCSF_APP_LIFECYCLE) {
		jw_object(w, "app");
		jw_string(w, "name", SIEM_AGENT_TYPE);
		jw_string(w, "vendor_name", SIEM_VENDOR);
		jw_string(w, "version", CLAWOS_VERSION);
		jw_end(w);
	}
	if (r->pid) {
		jw_object(w, "actor");
		jw_object(w, "process");
		jw_int(w, "pid", r->pid);
		jw_string(w, "name", SIEM_AGENT_TYPE);
		jw_end(w);
		jw_end(w);
	}
	if (strcmp(r->event, "config_changed") == 0 || strcmp(r->event, "config_reload_failed") == 0) {
		jw_int(w, "status_id", r->error ? 2 : 1);
		jw_string(w, "status", r->error ? "Failure" : "Success");
		if (r->error)
			jw_string_clean(w, "status_detail", r->error, 4096);
	}
	if (is_iface && iface_flow_get(r->native, &f))
		ocsf_iface(w, r, &f);
	else
		is_iface = false;
	record_rest(w, "unmapped", r, is_iface ? iface_mapped : NULL);
}

const char *agent_record_format(struct json_writer *w, enum record_format f, struct json_object *native,
				const char *host, uint64_t now_ns, size_t *len)
{
	struct agent_record r = {.native = native};
	struct json_object *v;

	if (f == RECORD_FORMAT_NATIVE)
		return json_record_string(native, len);
	if (!native || !json_object_is_type(native, json_type_object) || !(r.event = get_string(native, "event")))
		return NULL;
	r.c = siem_agent_class(r.event);
	r.time = get_string(native, "time");
	r.host = get_string(native, "host") ?: host;
	r.kernel = get_string(native, "kernel");
	r.error = get_string(native, "error");
	r.boot_ns = get(native, "boot_ns");
	r.pid = (v = get(native, "pid")) && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
	/* journal_suppressed has no time of its own */
	r.realtime_ns = siem_parse_rfc3339(r.time) ?: now_ns;
	if (format_rfc3339(r.realtime_ns, r.now, sizeof(r.now)) < 0)
		r.now[0] = '\0';
	if (f == RECORD_FORMAT_ECS)
		ecs_agent(w, &r);
	else
		ocsf_agent(w, &r);
	return jw_finish(w, len);
}
