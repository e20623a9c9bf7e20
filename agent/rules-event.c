/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel and JSON records -> the fields Sigma rules read (rules-event.h). */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "event-json.h"
#include "macro.h"
#include "names.h"
#include "rules-event.h"

static void set(struct rules_event_buf *b, int f, const char *v, size_t len)
{
	b->ev.value[f] = v;
	b->ev.len[f] = (uint32_t)len;
}

static void set_str(struct rules_event_buf *b, int f, const char *v)
{
	if (v)
		set(b, f, v, strlen(v));
}

static void set_num(struct rules_event_buf *b, int f, char *buf, size_t size, uint64_t n)
{
	set(b, f, buf, (size_t)snprintf(buf, size, "%llu", (unsigned long long)n));
}

static void begin(struct rules_event_buf *b, enum rules_category c, const char *trigger)
{
	memset(&b->ev, 0, sizeof(b->ev));
	b->ev.category = c;
	b->trigger = trigger;
	b->subject = NULL;
}

/* argv as the kernel holds it (NUL-separated) -> joined by single spaces */
static size_t join_args(char *out, size_t size, const char *args, size_t len)
{
	if (len > 0 && args[len - 1] == '\0')
		len--;
	len = MIN(len, size - 1);
	for (size_t i = 0; i < len; i++)
		out[i] = args[i] ? args[i] : ' ';
	out[len] = '\0';
	return len;
}

static void set_parent(struct rules_event_buf *b, const struct rules_proc *p)
{
	if (!p)
		return;
	set_str(b, RF_PARENT_IMAGE, p->parent_exe);
	if (p->parent_cmdline)
		set(b, RF_PARENT_COMMAND_LINE, p->parent_cmdline, p->parent_cmdline_len);
}

static void peer_text(struct rules_event_buf *b, bool v6)
{
	snprintf(b->peer, sizeof(b->peer), v6 ? "[%s]:%s" : "%s:%s", b->addr, b->port);
	b->subject = b->peer;
}

/* Initiated, the peer's side and the family flags of a connect/accept. */
static bool net_fields(struct rules_event_buf *b, bool connect, bool v6, const char *proto)
{
	int ip = connect ? RF_DESTINATION_IP : RF_SOURCE_IP, port = connect ? RF_DESTINATION_PORT : RF_SOURCE_PORT;

	set_str(b, RF_INITIATED, connect ? "true" : "false");
	set_str(b, ip, b->addr);
	set_str(b, port, b->port);
	set_str(b, RF_PROTOCOL, proto);
	set_str(b, RF_SOURCE_IS_IPV6, v6 ? "true" : "false");
	set_str(b, RF_DESTINATION_IS_IPV6, v6 ? "true" : "false");
	peer_text(b, v6);
	return true;
}

static void common(struct rules_event_buf *b, const struct clawos_event_hdr *h, const struct rules_proc *p)
{
	set_num(b, RF_PROCESS_ID, b->pid, sizeof(b->pid), h->pid);
	if (p)
		set_str(b, RF_USER, p->user);
}

/* A network record of either family: only connects and accepts are
 * Sysmon's network_connection.  The caller writes the address text into
 * b->addr between the two. */
static bool net_record_begin(struct rules_event_buf *b, const struct clawos_event_hdr *h, const struct rules_proc *p,
			     unsigned op)
{
	if (op != CLAWOS_NET_OP_CONNECT && op != CLAWOS_NET_OP_ACCEPT)
		return false;
	begin(b, RULES_CAT_NETWORK_CONNECTION, "network");
	common(b, h, p);
	if (p)
		set_str(b, RF_IMAGE, p->exe);
	return true;
}

static bool net_record_end(struct rules_event_buf *b, unsigned op, uint16_t be_port, unsigned info, bool v6)
{
	snprintf(b->port, sizeof(b->port), "%u", ntohs(be_port));
	return net_fields(b, op == CLAWOS_NET_OP_CONNECT, v6, net_proto_name(CLAWOS_NET_PROTO(info)));
}

bool rules_record_relevant(const struct clawos_event_hdr *h)
{
	switch (h->type) {
	case CLAWOS_EV_EXEC:
		return !(((const struct clawos_exec_event *)h)->flags & CLAWOS_EXEC_F_FAILED);
	case CLAWOS_EV_FILE:
		return ((const struct clawos_file_event *)h)->path_flags & CLAWOS_PATH_F_CREATED;
	case CLAWOS_EV_NET: {
		unsigned op = ((const struct clawos_net_event *)h)->op;

		return op == CLAWOS_NET_OP_CONNECT || op == CLAWOS_NET_OP_ACCEPT;
	}
	case CLAWOS_EV_NET6: {
		unsigned op = ((const struct clawos_net6_event *)h)->op;

		return op == CLAWOS_NET_OP_CONNECT || op == CLAWOS_NET_OP_ACCEPT;
	}
	}
	return false;
}

bool rules_event_from_record(struct rules_event_buf *b, const struct clawos_event_hdr *h, const struct rules_proc *p)
{
	switch (h->type) {
	case CLAWOS_EV_EXEC: {
		const struct clawos_exec_event *e = (const void *)h;
		uint32_t ppid = h->ppid ? h->ppid : p ? p->ppid : 0;

		if (e->flags & CLAWOS_EXEC_F_FAILED)
			return false;
		begin(b, RULES_CAT_PROCESS_CREATION, "exec");
		common(b, h, p);
		/* filename is not NUL-terminated when it fills the field */
		snprintf(b->image, sizeof(b->image), "%.*s", (int)strnlen(e->filename, sizeof(e->filename)),
			 e->filename);
		set_str(b, RF_IMAGE, b->image);
		b->subject = b->image;
		set(b, RF_COMMAND_LINE, b->cmdline,
		    join_args(b->cmdline, sizeof(b->cmdline), e->args, MIN((size_t)e->args_len, sizeof(e->args))));
		if (e->cwd[0])
			set(b, RF_CURRENT_DIRECTORY, e->cwd, strnlen(e->cwd, sizeof(e->cwd)));
		set_num(b, RF_LOGON_ID, b->uid, sizeof(b->uid), h->uid);
		if (ppid)
			set_num(b, RF_PARENT_PROCESS_ID, b->ppid, sizeof(b->ppid), ppid);
		set_parent(b, p);
		return true;
	}
	case CLAWOS_EV_FILE: {
		const struct clawos_file_event *e = (const void *)h;

		if (!(e->path_flags & CLAWOS_PATH_F_CREATED) || e->ret < 0)
			return false;
		begin(b, RULES_CAT_FILE_EVENT, "file_access");
		common(b, h, p);
		set_str(b, RF_TARGET_FILENAME, file_record_path(e, b->path, sizeof(b->path), NULL));
		if (p)
			set_str(b, RF_IMAGE, p->exe);
		b->subject = b->path;
		return true;
	}
	case CLAWOS_EV_NET: {
		const struct clawos_net_event *e = (const void *)h;

		if (!net_record_begin(b, h, p, e->op))
			return false;
		if (format_ipv4(e->addr, b->addr, sizeof(b->addr)) < 0)
			b->addr[0] = '\0';
		return net_record_end(b, e->op, e->port, e->info, false);
	}
	case CLAWOS_EV_NET6: {
		const struct clawos_net6_event *e = (const void *)h;

		if (!net_record_begin(b, h, p, e->op))
			return false;
		if (format_ipv6(e->addr, b->addr, sizeof(b->addr)) < 0)
			b->addr[0] = '\0';
		return net_record_end(b, e->op, e->port, e->info, true);
	}
	}
	return false;
}

/* ---- JSON ---- */

static struct json_object *get(struct json_object *o, const char *a, const char *k)
{
	struct json_object *x = NULL;

	if (a && (!json_object_object_get_ex(o, a, &o) || !json_object_is_type(o, json_type_object)))
		return NULL;
	return json_object_object_get_ex(o, k, &x) ? x : NULL;
}

static const char *get_str(struct json_object *o, const char *a, const char *k)
{
	struct json_object *x = get(o, a, k);

	return x && json_object_is_type(x, json_type_string) ? json_object_get_string(x) : NULL;
}

static bool get_uint(struct json_object *o, const char *a, const char *k, uint64_t *v)
{
	struct json_object *x = get(o, a, k);

	if (!x || !json_object_is_type(x, json_type_int) || json_object_get_int64(x) < 0)
		return false;
	*v = (uint64_t)json_object_get_int64(x);
	return true;
}

static bool get_bool(struct json_object *o, const char *a, const char *k)
{
	struct json_object *x = get(o, a, k);

	return x && json_object_is_type(x, json_type_boolean) && json_object_get_boolean(x);
}

static void common_json(struct rules_event_buf *b, struct json_object *o, bool exe)
{
	uint64_t v;

	if (get_uint(o, "process", "pid", &v))
		set_num(b, RF_PROCESS_ID, b->pid, sizeof(b->pid), v);
	set_str(b, RF_USER, get_str(o, "process", "user"));
	if (exe)
		set_str(b, RF_IMAGE, get_str(o, "process", "exe"));
}

static void argv_json(struct rules_event_buf *b, struct json_object *argv)
{
	size_t n = 0, len = json_object_is_type(argv, json_type_array) ? json_object_array_length(argv) : 0;

	for (size_t i = 0; i < len; i++) {
		struct json_object *a = json_object_array_get_idx(argv, i);
		const char *s = json_object_is_type(a, json_type_string) ? json_object_get_string(a) : "";
		size_t sl = json_object_is_type(a, json_type_string) ? (size_t)json_object_get_string_len(a) : 0;

		if (i > 0 && n < sizeof(b->cmdline) - 1)
			b->cmdline[n++] = ' ';
		sl = MIN(sl, sizeof(b->cmdline) - 1 - n);
		memcpy(b->cmdline + n, s, sl);
		n += sl;
	}
	b->cmdline[n] = '\0';
	set(b, RF_COMMAND_LINE, b->cmdline, n);
}

static bool exec_json(struct rules_event_buf *b, struct json_object *o, const struct rules_proc *p)
{
	uint64_t v;
	const char *cwd = get_str(o, "exec", "cwd");

	if (!get_bool(o, "exec", "success"))
		return false;
	begin(b, RULES_CAT_PROCESS_CREATION, "exec");
	common_json(b, o, false);
	set_str(b, RF_IMAGE, get_str(o, "exec", "filename"));
	b->subject = get_str(o, "exec", "filename");
	argv_json(b, get(o, "exec", "argv"));
	if (cwd && cwd[0])
		set_str(b, RF_CURRENT_DIRECTORY, cwd);
	if (get_uint(o, "process", "uid", &v))
		set_num(b, RF_LOGON_ID, b->uid, sizeof(b->uid), v);
	if (get_uint(o, "process", "ppid", &v) || (p && (v = p->ppid)))
		set_num(b, RF_PARENT_PROCESS_ID, b->ppid, sizeof(b->ppid), v);
	set_parent(b, p);
	return true;
}

static bool net_json(struct rules_event_buf *b, struct json_object *o)
{
	const char *op = get_str(o, "network", "op"), *fam = get_str(o, "network", "family");
	const char *addr = get_str(o, "network", "address");
	uint64_t port;

	if (!op || (strcmp(op, "connect") != 0 && strcmp(op, "accept") != 0) || !addr ||
	    !get_uint(o, "network", "port", &port) || port > 65535)
		return false;
	begin(b, RULES_CAT_NETWORK_CONNECTION, "network");
	common_json(b, o, true);
	snprintf(b->addr, sizeof(b->addr), "%s", addr);
	snprintf(b->port, sizeof(b->port), "%u", (unsigned)port);
	return net_fields(b, strcmp(op, "connect") == 0, fam && strcmp(fam, "inet6") == 0,
			  get_str(o, "network", "protocol"));
}

bool rules_event_from_json(struct rules_event_buf *b, struct json_object *o, const struct rules_proc *p)
{
	const char *event = get_str(o, NULL, "event");

	if (!event)
		return false;
	if (strcmp(event, "exec") == 0)
		return exec_json(b, o, p);
	if (strcmp(event, "file_access") == 0) {
		struct json_object *r = get(o, "file", "result");

		if (!get_bool(o, "file", "created") || (r && json_object_get_int64(r) < 0))
			return false;
		begin(b, RULES_CAT_FILE_EVENT, "file_access");
		common_json(b, o, true);
		set_str(b, RF_TARGET_FILENAME, get_str(o, "file", "path"));
		b->subject = get_str(o, "file", "path");
		return true;
	}
	if (strcmp(event, "network") == 0)
		return net_json(b, o);
	return false;
}
