/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The agent's configuration: an INI file parsed with inih into struct
 * clawos_settings.  Pure logic (no BPF, no sockets), unit-tested and fuzzed.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bpf/clawos-abi.h"
#include "cidr.h"
#include "sha256.h"

#define CLAWOS_DEFAULT_CONFIG_PATH SYSCONFDIR "/clawos-ebpf/clawos-ebpf.conf"
/* the unit's RuntimeDirectory= */
#define CLAWOS_RUNTIME_DIR "/run/clawos-ebpf"
#define CLAWOS_DEFAULT_SOCKET_PATH CLAWOS_RUNTIME_DIR "/events.sock"
/* Not in the agent's RuntimeDirectory (/run/clawos-ebpf): systemd removes
 * that whenever the agent stops, the shipper's socket with it. */
#define CLAWOS_DEFAULT_CONNECT_PATH "/run/clawos-ebpf-shipper/shipper.sock"
/* control.sock beside the events socket (manager-control.c) */
#define CLAWOS_DEFAULT_CONTROL_PATH "/run/clawos-ebpf/control.sock"

/* Bounds of the filter lists; they size BPF maps, so they are part of the
 * documented limits (clawos-ebpf.conf(5)). */
#define CLAWOS_FILTER_MAX_COMM 32
#define CLAWOS_FILTER_MAX_EXE 32
#define CLAWOS_FILTER_MAX_UID 32
#define CLAWOS_FILTER_MAX_CGROUP 32
#define CLAWOS_FILTER_MAX_PREFIX 16
#define CLAWOS_FILTER_PREFIX_LEN 64 /* bytes, including the NUL */
#define CLAWOS_FILTER_EXE_LEN 256
#define CLAWOS_RULES_MAX_PATHS 16
#define CLAWOS_RULES_PATH_LEN 256 /* bytes, including the NUL */
/* The most socket clients max_clients allows: the socket output sizes its
 * client table for it, so that a reload can raise max_clients that far. */
#define CLAWOS_SOCKET_MAX_CLIENTS 1024

/* Exit status for every configuration error (sysexits.h EX_CONFIG). */
#define CLAWOS_EXIT_CONFIG 78

enum clawos_tristate {
	CLAWOS_AUTO = -1,
	CLAWOS_NO = 0,
	CLAWOS_YES = 1,
};

enum clawos_journal_records {
	CLAWOS_JOURNAL_ANOMALIES = 0, /* anomalies and summaries (default) */
	CLAWOS_JOURNAL_ALL = 1,	      /* also trace records, rate-limited */
	CLAWOS_JOURNAL_NONE = 2,
};

enum clawos_scope {
	CLAWOS_SCOPE_ALL = 0,
	CLAWOS_SCOPE_TARGETS = 1,
};

struct clawos_string_list {
	size_t n;
	char **items; /* n strdup'ed strings */
};

struct clawos_uid_list {
	size_t n;
	uint32_t items[CLAWOS_FILTER_MAX_UID];
};

struct clawos_settings {
	/* [monitoring] */
	bool enable_syscall_tracing;
	bool enable_file_monitoring;
	bool enable_network_monitoring;
	bool enable_cgroup_monitoring;

	/* [anomaly] */
	uint32_t syscall_anomaly_threshold;    /* 1..10000000, default 1000 */
	uint32_t file_access_violation_mode;   /* 0 off, 1 alert, 2 enforce */
	uint32_t network_suspicious_threshold; /* 1..1000000, default 100 */

	/* [output] */
	int stdout_output; /* enum clawos_tristate; auto = when --foreground */
	bool socket_enabled;
	char *socket_path;	       /* absolute */
	uint32_t socket_mode;	       /* octal string in the file, e.g. 0660 */
	char *socket_group;	       /* group name; "" = the agent's own */
	uint32_t max_clients;	       /* 1..CLAWOS_SOCKET_MAX_CLIENTS, default 64 */
	uint32_t client_queue_size;    /* bytes queued per socket client, 64 KiB..256 MiB */
	uint32_t client_stall_timeout; /* seconds to take what was queued before a client is dropped; 0 = never */
	uint32_t client_queue_budget;  /* bytes queued for all socket clients together, 1 MiB..1 GiB */
	bool connect_enabled;	       /* connect mode: the agent connects to a shipper */
	char *connect_path;	       /* absolute */
	uint32_t connect_buffer_size;  /* bytes buffered while the shipper is away */
	bool journal_enabled;
	int journal_records;	     /* enum clawos_journal_records */
	uint32_t journal_rate_limit; /* trace records per second, 1..100000 */
	uint32_t stats_interval;     /* seconds, 0 = off, max 86400 */
	/* enum record_format of each output (record-format.h) */
	int stdout_format, socket_format, connect_format, journal_format;
	uint32_t ring_buffer_size; /* bytes: power of two, 64 KiB..256 MiB */

	bool debug_printk; /* [monitoring]: bpf_printk decisions to trace_pipe */
	/* [monitoring]: ms within which exact repeats of an open record are
	 * folded into one record in the kernel; 0 = off (default), max 60000 */
	uint32_t aggregate_window;

	/* [anomaly], detection */
	uint32_t anomaly_cooldown;		       /* seconds between identical anomalies, 0..86400 */
	struct clawos_string_list protected_paths;     /* prefixes: file_violation */
	struct clawos_string_list protected_allow_exe; /* binaries that may read them */
	uint32_t network_distinct_threshold;	       /* distinct destinations per second, 0 = off */
	struct port_list network_deny_ports;	       /* parsed at load: cidr.h */
	struct cidr_list network_deny_cidrs;

	/* [target] */
	struct clawos_string_list target_comm;
	struct clawos_string_list target_exe;
	struct clawos_string_list target_cgroup;
	int scope;		/* enum clawos_scope */
	int syscall_rate_scope; /* enum clawos_scope */
	bool trace_target_syscalls;
	uint32_t max_tracked_processes; /* 1024..4194304, default 16384; restart */

	/* [filter] */
	struct clawos_string_list exclude_comm;
	struct clawos_string_list include_comm;
	struct clawos_string_list exclude_exe;
	struct clawos_uid_list exclude_uid;
	struct clawos_uid_list include_uid;
	struct clawos_string_list exclude_cgroup; /* paths or numeric ids */
	struct clawos_string_list exclude_path_prefix;
	struct clawos_string_list include_path_prefix;

	/* [rules] (Sigma, agent/rules*.c) */
	struct clawos_string_list sigma_rules; /* files and directories */

	/* [interfaces] (tc counters, agent/iface.c) */
	struct clawos_string_list interfaces;	 /* at most CLAWOS_IFACE_MAX names */
	uint32_t network_egress_threshold_bytes; /* per stats interval, 0 = off */
};

/* Fills *s with the documented defaults; 0, or -ENOMEM (then *s is zeroed). */
int settings_init_defaults(struct clawos_settings *s);
/* Frees what settings own; safe on a zeroed or half-filled struct. */
void settings_done(struct clawos_settings *s);

/* A configuration error: where, and what was expected. */
struct clawos_config_error {
	char file[256];
	unsigned line; /* 0 when the error is about the file as a whole */
	char section[64];
	char key[64];
	char message[512]; /* complete, human-readable text */
};

/*
 * Parses and validates the INI text in buf (len bytes, need not be
 * NUL-terminated), named `filename` in messages.  On success fills *out
 * (which it initialises to the defaults first) and returns 0.  On failure
 * returns -EINVAL (or -ENOMEM), fills *err and leaves *out freed/zeroed.
 */
int config_parse_buffer(const char *filename, const char *buf, size_t len, struct clawos_settings *out,
			struct clawos_config_error *err);

/*
 * Opens `path`, checks it is a regular file, not world-writable, and (when
 * euid is 0) owned by root, reads it and calls config_parse_buffer().  Also
 * computes the SHA-256 of the bytes read, as lowercase hex, into sha256_hex
 * (SHA256_HEX_SIZE bytes) when not NULL.
 */
int config_load_file(const char *path, struct clawos_settings *out, struct clawos_config_error *err,
		     char sha256_hex[SHA256_HEX_SIZE]);

/* Prints the effective configuration as INI text (or JSON when json). */
int settings_print(const struct clawos_settings *s, FILE *f, bool json);

/* Names of the keys whose change needs a restart to take effect, set in
 * *names (static strings), count returned. */
size_t settings_diff_restart_only(const struct clawos_settings *old, const struct clawos_settings *new,
				  const char **names, size_t max_names);

/* Room for the names of every restart-only key (test-config.c checks). */
#define SETTINGS_RESTART_ONLY_MAX 16

/* A reload: every restart-only key of next takes the running value, moved
 * out of running (which is about to be freed).  The names of those that
 * changed are set in *names as settings_diff_restart_only() sets them. */
size_t settings_keep_restart_only(struct clawos_settings *next, struct clawos_settings *running, const char **names,
				  size_t max_names);

/* An interface name as the kernel accepts it (dev_valid_name()): 1..15
 * bytes, not "." or "..", no '/', ':', ',' or whitespace. */
bool config_ifname_valid(const char *name);

/* Formats err as "FILE:LINE: [section] key: message" into buf. */
const char *config_error_format(const struct clawos_config_error *err, char *buf, size_t size);
