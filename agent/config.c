/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The configuration table, its defaults, and the glue to inih.  The text is
 * first checked line by line (config-scan.c), then inih splits it into
 * section/key/value triples and every value goes through the parser of its
 * table entry (config-parsers.c, config-lists.c).  The first error stops
 * everything: a configuration is applied whole or not at all.
 */

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config-internal.h"
#include "record-format.h"

#define FIELD(f) offsetof(struct clawos_settings, f)
#define LIVE true
#define RESTART false

#define DEFAULT_SOCKET_GROUP "clawos"

static const char *const stdout_names[] = {"auto", "no", "yes"};
static const char *const journal_records_names[] = {"anomalies", "all", "none"};
static const char *const scope_names[] = {"all", "targets"};

const char *const config_sections[] = {"monitoring", "anomaly", "target", "output", "filter", "interfaces", "rules"};
const size_t config_n_sections = ELEMENTSOF(config_sections);

/* Ordered as the keys are printed and documented. */
const struct config_key config_keys[] = {
    {"monitoring", "enable_syscall_tracing", &config_type_bool, FIELD(enable_syscall_tracing), .reload_live = LIVE},
    {"monitoring", "enable_file_monitoring", &config_type_bool, FIELD(enable_file_monitoring), .reload_live = LIVE},
    {"monitoring", "enable_network_monitoring", &config_type_bool, FIELD(enable_network_monitoring),
     .reload_live = LIVE},
    {"monitoring", "enable_cgroup_monitoring", &config_type_bool, FIELD(enable_cgroup_monitoring), .reload_live = LIVE},
    {"monitoring", "debug_printk", &config_type_bool, FIELD(debug_printk), .reload_live = LIVE},
    {"monitoring", "aggregate_window", &config_type_uint, FIELD(aggregate_window), 0, 60000, .reload_live = LIVE},

    {"anomaly", "syscall_anomaly_threshold", &config_type_uint, FIELD(syscall_anomaly_threshold), 1, 10000000,
     .reload_live = LIVE},
    {"anomaly", "file_access_violation_mode", &config_type_uint, FIELD(file_access_violation_mode), 0, 2,
     .reload_live = LIVE},
    {"anomaly", "network_suspicious_threshold", &config_type_uint, FIELD(network_suspicious_threshold), 1, 1000000,
     .reload_live = LIVE},
    {"anomaly", "anomaly_cooldown", &config_type_uint, FIELD(anomaly_cooldown), 0, 86400, .reload_live = LIVE},
    {"anomaly", "protected_paths", &config_type_prefix_list, FIELD(protected_paths), 0, 32,
     CLAWOS_FILTER_PREFIX_LEN - 1, .reload_live = LIVE},
    {"anomaly", "protected_allow_exe", &config_type_exe_list, FIELD(protected_allow_exe), 0, 32,
     CLAWOS_FILTER_EXE_LEN - 1, .reload_live = LIVE},
    {"anomaly", "network_distinct_threshold", &config_type_uint, FIELD(network_distinct_threshold), 0, 1000000,
     .reload_live = LIVE},
    {"anomaly", "network_deny_ports", &config_type_port_list, FIELD(network_deny_ports), 0, PORT_LIST_MAX, 5,
     .reload_live = LIVE},
    {"anomaly", "network_deny_cidrs", &config_type_cidr_list, FIELD(network_deny_cidrs), 0, CIDR_LIST_MAX, 49,
     .reload_live = LIVE},

    {"target", "target_comm", &config_type_comm_list, FIELD(target_comm), 0, 32, CLAWOS_COMM_LEN - 1,
     .reload_live = LIVE},
    {"target", "target_exe", &config_type_exe_list, FIELD(target_exe), 0, 32, CLAWOS_FILTER_EXE_LEN - 1,
     .reload_live = LIVE},
    {"target", "target_cgroup", &config_type_cgroup_list, FIELD(target_cgroup), 0, 32, CLAWOS_CGROUP_PATH_LEN - 1,
     .reload_live = LIVE},
    {"target", "scope", &config_type_enum, FIELD(scope), CLAWOS_SCOPE_ALL, CLAWOS_SCOPE_TARGETS, .names = scope_names,
     .reload_live = LIVE},
    {"target", "syscall_rate_scope", &config_type_enum, FIELD(syscall_rate_scope), CLAWOS_SCOPE_ALL,
     CLAWOS_SCOPE_TARGETS, .names = scope_names, .reload_live = LIVE},
    {"target", "trace_target_syscalls", &config_type_bool, FIELD(trace_target_syscalls), .reload_live = LIVE},
    {"target", "max_tracked_processes", &config_type_uint, FIELD(max_tracked_processes), 1024, 4194304,
     .reload_live = RESTART},

    {"output", "stdout", &config_type_enum, FIELD(stdout_output), CLAWOS_AUTO, CLAWOS_YES, .names = stdout_names,
     .reload_live = LIVE},
    {"output", "stdout_format", &config_type_enum, FIELD(stdout_format), RECORD_FORMAT_NATIVE, RECORD_FORMAT_OCSF,
     .names = record_format_names, .reload_live = LIVE},
    {"output", "socket", &config_type_bool, FIELD(socket_enabled), .reload_live = RESTART},
    /* sizeof(sockaddr_un.sun_path) is 108, including the NUL. */
    {"output", "socket_path", &config_type_path, FIELD(socket_path), 1, 107, .reload_live = RESTART},
    {"output", "socket_mode", &config_type_mode, FIELD(socket_mode), 0, 0777, .reload_live = RESTART},
    {"output", "socket_group", &config_type_group, FIELD(socket_group), 0, 31, .reload_live = RESTART},
    {"output", "max_clients", &config_type_uint, FIELD(max_clients), 1, CLAWOS_SOCKET_MAX_CLIENTS, .reload_live = LIVE},
    {"output", "client_queue_size", &config_type_size, FIELD(client_queue_size), 64 * 1024, 256 * 1024 * 1024,
     .reload_live = LIVE},
    {"output", "client_stall_timeout", &config_type_uint, FIELD(client_stall_timeout), 0, 3600, .reload_live = LIVE},
    {"output", "client_queue_budget", &config_type_size, FIELD(client_queue_budget), 1024 * 1024, 1024 * 1024 * 1024,
     .reload_live = LIVE},
    {"output", "socket_format", &config_type_enum, FIELD(socket_format), RECORD_FORMAT_NATIVE, RECORD_FORMAT_OCSF,
     .names = record_format_names, .reload_live = LIVE},
    {"output", "connect", &config_type_bool, FIELD(connect_enabled), .reload_live = RESTART},
    {"output", "connect_path", &config_type_path, FIELD(connect_path), 1, 107, .reload_live = RESTART},
    {"output", "connect_buffer_size", &config_type_size, FIELD(connect_buffer_size), 64 * 1024, 256 * 1024 * 1024,
     .reload_live = RESTART},
    {"output", "connect_format", &config_type_enum, FIELD(connect_format), RECORD_FORMAT_NATIVE, RECORD_FORMAT_OCSF,
     .names = record_format_names, .reload_live = LIVE},
    {"output", "journal", &config_type_bool, FIELD(journal_enabled), .reload_live = LIVE},
    {"output", "journal_records", &config_type_enum, FIELD(journal_records), CLAWOS_JOURNAL_ANOMALIES,
     CLAWOS_JOURNAL_NONE, .names = journal_records_names, .reload_live = LIVE},
    {"output", "journal_rate_limit", &config_type_uint, FIELD(journal_rate_limit), 1, 100000, .reload_live = LIVE},
    {"output", "journal_format", &config_type_enum, FIELD(journal_format), RECORD_FORMAT_NATIVE, RECORD_FORMAT_OCSF,
     .names = record_format_names, .reload_live = LIVE},
    {"output", "stats_interval", &config_type_uint, FIELD(stats_interval), 0, 86400, .reload_live = LIVE},
    {"output", "ring_buffer_size", &config_type_size, FIELD(ring_buffer_size), 64 * 1024, 256 * 1024 * 1024,
     .reload_live = RESTART},

    {"filter", "exclude_comm", &config_type_comm_list, FIELD(exclude_comm), 0, CLAWOS_FILTER_MAX_COMM,
     CLAWOS_COMM_LEN - 1, .reload_live = LIVE},
    {"filter", "include_comm", &config_type_comm_list, FIELD(include_comm), 0, CLAWOS_FILTER_MAX_COMM,
     CLAWOS_COMM_LEN - 1, .reload_live = LIVE},
    {"filter", "exclude_exe", &config_type_exe_list, FIELD(exclude_exe), 0, CLAWOS_FILTER_MAX_EXE,
     CLAWOS_FILTER_EXE_LEN - 1, .reload_live = LIVE},
    {"filter", "exclude_uid", &config_type_uid_list, FIELD(exclude_uid), 0, CLAWOS_FILTER_MAX_UID, .reload_live = LIVE},
    {"filter", "include_uid", &config_type_uid_list, FIELD(include_uid), 0, CLAWOS_FILTER_MAX_UID, .reload_live = LIVE},
    {"filter", "exclude_cgroup", &config_type_cgroup_list, FIELD(exclude_cgroup), 0, CLAWOS_FILTER_MAX_CGROUP,
     CLAWOS_CGROUP_PATH_LEN - 1, .reload_live = LIVE},
    {"filter", "exclude_path_prefix", &config_type_prefix_list, FIELD(exclude_path_prefix), 0, CLAWOS_FILTER_MAX_PREFIX,
     CLAWOS_FILTER_PREFIX_LEN - 1, .reload_live = LIVE},
    {"filter", "include_path_prefix", &config_type_prefix_list, FIELD(include_path_prefix), 0, CLAWOS_FILTER_MAX_PREFIX,
     CLAWOS_FILTER_PREFIX_LEN - 1, .reload_live = LIVE},

    {"interfaces", "interfaces", &config_type_ifname_list, FIELD(interfaces), 0, CLAWOS_IFACE_MAX, 15,
     .reload_live = RESTART},
    {"interfaces", "network_egress_threshold_bytes", &config_type_uint, FIELD(network_egress_threshold_bytes), 0,
     UINT32_MAX, .reload_live = LIVE},

    {"rules", "sigma_rules", &config_type_rules_list, FIELD(sigma_rules), 0, CLAWOS_RULES_MAX_PATHS,
     CLAWOS_RULES_PATH_LEN - 1, .reload_live = LIVE},
};
const size_t config_n_keys = ELEMENTSOF(config_keys);

static const struct clawos_settings settings_defaults = {
    .enable_syscall_tracing = true,
    .enable_file_monitoring = true,
    .enable_network_monitoring = true,
    .enable_cgroup_monitoring = true,
    .syscall_anomaly_threshold = 1000,
    .file_access_violation_mode = 1,
    .network_suspicious_threshold = 100,
    .stdout_output = CLAWOS_AUTO,
    .socket_enabled = true,
    .socket_mode = 0660,
    .max_clients = 64,
    .client_queue_size = 16 * 1024 * 1024,
    .client_stall_timeout = 30,
    .client_queue_budget = 64 * 1024 * 1024,
    .connect_enabled = false,
    .connect_buffer_size = 16 * 1024 * 1024,
    .journal_enabled = true,
    .journal_records = CLAWOS_JOURNAL_ANOMALIES,
    .journal_rate_limit = 1000,
    .stats_interval = 30,
    .ring_buffer_size = 4 * 1024 * 1024,
    .max_tracked_processes = 16384,
    .anomaly_cooldown = 60,
    .network_distinct_threshold = 50,
    .scope = CLAWOS_SCOPE_ALL,
    .syscall_rate_scope = CLAWOS_SCOPE_TARGETS,
};

static const char *const default_protected_paths[] = {
    "/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/sudoers.d/", "/root/.ssh/", "/etc/ssh/ssh_host_*", NULL,
};

/* Programs whose job is to read those files. */
static const char *const default_protected_allow_exe[] = {
    "/usr/bin/sudo",	     "/usr/bin/su",    "/usr/bin/passwd",    "/usr/bin/login",	  "/usr/sbin/sshd",
    "/usr/sbin/unix_chkpwd", "/usr/sbin/cron", "/usr/sbin/chpasswd", "/usr/sbin/usermod", NULL,
};

static int default_list(struct clawos_string_list *l, const char *const *items, size_t cap)
{
	l->n = 0;
	l->items = calloc(cap, sizeof(char *));
	if (!l->items)
		return -ENOMEM;
	for (size_t i = 0; items[i] && i < cap; i++) {
		l->items[i] = strdup(items[i]);
		if (!l->items[i])
			return -ENOMEM;
		l->n++;
	}
	return 0;
}

int settings_init_defaults(struct clawos_settings *s)
{
	*s = settings_defaults;
	s->socket_path = strdup(CLAWOS_DEFAULT_SOCKET_PATH);
	s->socket_group = strdup(DEFAULT_SOCKET_GROUP);
	s->connect_path = strdup(CLAWOS_DEFAULT_CONNECT_PATH);
	if (!s->socket_path || !s->socket_group || !s->connect_path ||
	    default_list(&s->protected_paths, default_protected_paths, 32) < 0 ||
	    default_list(&s->protected_allow_exe, default_protected_allow_exe, 32) < 0) {
		settings_done(s);
		return -ENOMEM;
	}
	return 0;
}

void settings_done(struct clawos_settings *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < config_n_keys; i++)
		if (config_keys[i].type->done)
			config_keys[i].type->done(config_field(&config_keys[i], s));
	memset(s, 0, sizeof(*s));
}

int config_error_set(struct clawos_config_error *err, const char *file, unsigned line, const char *section,
		     const char *key, const char *fmt, ...)
{
	va_list ap;

	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
	snprintf(err->section, sizeof(err->section), "%s", section ? section : "");
	snprintf(err->key, sizeof(err->key), "%s", key ? key : "");
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *config_error_format(const struct clawos_config_error *err, char *buf, size_t size)
{
	char where[16] = "";

	if (err->line > 0)
		snprintf(where, sizeof(where), ":%u", err->line);
	if (err->section[0] && err->key[0])
		snprintf(buf, size, "%s%s: [%s] %s: %s", err->file, where, err->section, err->key, err->message);
	else if (err->section[0])
		snprintf(buf, size, "%s%s: [%s]: %s", err->file, where, err->section, err->message);
	else if (err->key[0])
		snprintf(buf, size, "%s%s: %s: %s", err->file, where, err->key, err->message);
	else
		snprintf(buf, size, "%s%s: %s", err->file, where, err->message);
	return buf;
}

/* ---- inih glue ---- */

struct parse_ctx {
	const char *filename;
	const char *buf;
	size_t len, pos;
	unsigned line; /* of the text last handed to inih */
	struct clawos_settings *settings;
	struct clawos_config_error *err;
	unsigned seen[ELEMENTSOF(config_keys)]; /* line where each key was set */
	int r;
};

/* Feeds inih one line per call, so that the handler knows the line number
 * (r55's plain API does not pass it).  config_scan() made sure each line
 * fits inih's buffer. */
static char *config_reader(char *str, int num, void *stream)
{
	struct parse_ctx *c = stream;
	const char *p = c->buf + c->pos, *nl;
	size_t n;

	if (c->pos >= c->len)
		return NULL;
	nl = memchr(p, '\n', c->len - c->pos);
	n = nl ? (size_t)(nl - p) : c->len - c->pos;
	c->pos += n + (nl ? 1 : 0);
	c->line++;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (num < 2 || n > (size_t)num - 2) {
		c->r = config_error_set(c->err, c->filename, c->line, "", "", "line is longer than %d bytes", num - 2);
		return NULL;
	}
	memcpy(str, p, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

static size_t key_index(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < config_n_keys; i++)
		if (strcmp(config_keys[i].section, section) == 0 && strcmp(config_keys[i].key, name) == 0)
			break;
	return i;
}

static int unknown_key(struct parse_ctx *c, const char *section, const char *name)
{
	char known[256] = "";
	size_t n = 0;

	for (size_t i = 0; i < config_n_keys; i++) {
		if (strcmp(config_keys[i].key, name) == 0)
			return config_error_set(c->err, c->filename, c->line, section, name,
						"unknown key in this section: it belongs in [%s]",
						config_keys[i].section);
		if (strcmp(config_keys[i].section, section) == 0 && n < sizeof(known))
			n += (size_t)snprintf(known + n, sizeof(known) - n, "%s%s", n > 0 ? ", " : "",
					      config_keys[i].key);
	}
	return config_error_set(c->err, c->filename, c->line, section, name, "unknown key; expected one of: %s", known);
}

static int config_assign(struct parse_ctx *c, const char *section, const char *name, const char *value)
{
	char msg[sizeof(c->err->message)];
	const struct config_key *k;
	size_t i;
	int r;

	if (section[0] == '\0')
		return config_error_set(c->err, c->filename, c->line, "", name,
					"key outside any section: add a [section] header above it");
	i = key_index(section, name);
	if (i == config_n_keys)
		return unknown_key(c, section, name);
	k = &config_keys[i];
	if (c->seen[i] > 0)
		return config_error_set(c->err, c->filename, c->line, section, name,
					"duplicate key: already set on line %u", c->seen[i]);
	c->seen[i] = c->line;

	r = k->type->parse(k, value, config_field(k, c->settings), msg, sizeof(msg));
	if (r == -ENOMEM) {
		config_error_set(c->err, c->filename, c->line, section, name, "out of memory");
		return r;
	}
	if (r < 0)
		return config_error_set(c->err, c->filename, c->line, section, name, "%s%s",
					value[0] == '\0' ? "empty value: " : "", msg);
	return 0;
}

static int config_handler(void *userdata, const char *section, const char *name, const char *value)
{
	struct parse_ctx *c = userdata;

	if (c->r < 0)
		return 1; /* the first error is the one reported */
	c->r = config_assign(c, section, name, value);
	return c->r >= 0;
}

/* Keys that are valid alone but not as the agent would use them. */
static int config_check_paths(struct parse_ctx *c)
{
	const struct clawos_settings *s = c->settings;
	const char *slash = s->socket_path ? strrchr(s->socket_path, '/') : NULL;
	size_t dir = slash ? (size_t)(slash - s->socket_path) : 0, rt = strlen(CLAWOS_RUNTIME_DIR);

	/* manager-control.c puts control.sock beside the event socket */
	if (s->socket_path && dir + strlen("/control.sock") > 107)
		return config_error_set(c->err, c->filename, c->seen[key_index("output", "socket_path")], "output",
					"socket_path",
					"the control socket %.*s/control.sock beside it would be %zu bytes, more than "
					"the 107 a Unix socket path may have: use a shorter directory",
					(int)dir, s->socket_path, dir + strlen("/control.sock"));
	/* systemd removes the RuntimeDirectory whenever the agent stops */
	if (s->connect_enabled || c->seen[key_index("output", "connect_path")])
		if (s->connect_path && !strncmp(s->connect_path, CLAWOS_RUNTIME_DIR, rt) &&
		    (s->connect_path[rt] == '/' || s->connect_path[rt] == '\0'))
			return config_error_set(c->err, c->filename, c->seen[key_index("output", "connect_path")],
						"output", "connect_path",
						"is inside the agent's runtime directory " CLAWOS_RUNTIME_DIR
						", which systemd removes whenever the agent stops or restarts: put the "
						"shipper's socket elsewhere (e.g. " CLAWOS_DEFAULT_CONNECT_PATH ")");
	return 0;
}

int config_parse_buffer(const char *filename, const char *buf, size_t len, struct clawos_settings *out,
			struct clawos_config_error *err)
{
	struct parse_ctx c = {
	    .filename = filename ? filename : "<buffer>",
	    .buf = buf,
	    .len = len,
	    .settings = out,
	    .err = err,
	};
	int r;

	memset(err, 0, sizeof(*err));
	r = settings_init_defaults(out);
	if (r < 0) {
		config_error_set(err, c.filename, 0, "", "", "out of memory");
		return r;
	}
	r = config_scan(c.filename, buf, len, err);
	if (r >= 0) {
		r = ini_parse_stream(config_reader, &c, config_handler, &c);
		if (c.r < 0)
			r = c.r;
		else if (r != 0)
			/* config_scan() should have caught whatever inih refuses. */
			r = config_error_set(err, c.filename, r > 0 ? (unsigned)r : 0, "", "", "syntax error");
		if (r >= 0)
			r = config_check_paths(&c);
	}
	if (r < 0) {
		settings_done(out);
		return r;
	}
	return 0;
}
