/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * JSON encoding of records, one object per line (NDJSON).  Pure: everything
 * the kernel record lacks comes in through struct event_context, filled by
 * enrich.c.  Kernel records go through the allocation-free writer of
 * json-writer.h; the agent's own low-rate records (startup, stats, ...) are
 * json-c objects printed with json_record_string().  Strings are cleaned to
 * valid UTF-8 and control characters escaped either way.
 */

#include <stdint.h>

#include <json-c/json.h>

#include "bpf/clawos-abi.h"
#include "json-writer.h"

#define CLAWOS_SCHEMA_VERSION 1

/* What an anomaly of kind "sigma" carries beyond the wire record, which has
 * no room for it: the rule, the values that matched, the record that
 * triggered it (filled by rules-anomaly.c). */
struct event_sigma {
	const char *id; /* NULL when the rule has none */
	const char *title;
	const char *level;
	const char *status; /* NULL when the rule has none */
	const char *category;
	const char *file;
	const char *const *tags;
	size_t n_tags;
	const char *const *matched_names; /* Sigma field names (static strings) */
	const char *const *matched_values;
	const uint32_t *matched_lens;
	size_t n_matched;
	const char *subject;	   /* what the rule matched on: image, file, address */
	const char *trigger_event; /* "exec", "file_access", "network" */
	int trigger_cpu;	   /* -1: a record user space made */
	uint32_t trigger_seq;
};

struct event_context {
	int64_t realtime_offset_ns; /* CLOCK_REALTIME - CLOCK_BOOTTIME */
	const char *host;
	const char *exe;	 /* executable path, NULL if unknown */
	const char *cgroup_path; /* NULL if unknown */
	const char *user;	 /* user name, NULL if unknown */
	uint32_t ppid;		 /* used when the record has none */
	const char *target_name; /* the tracked tree the process belongs to, or NULL */
	uint32_t target_root_pid;
	uint32_t target_session;
	const char *ancestry_exe[CLAWOS_ANOMALY_ANCESTRY]; /* anomalies: exe of each ancestor */
	const struct event_sigma *sigma;		   /* anomalies of kind sigma */
};

/* A new record object with "event", "schema_version" and "time" set. */
struct json_object *json_record_new(const char *event, uint64_t realtime_ns);
/* The in-band notice of records an output (socket, connect) lost for its reader. */
struct json_object *json_events_lost_new(const char *output, uint64_t lost, uint64_t lost_total, uint64_t realtime_ns);

/* A validated kernel record (see decode.h) as one JSON line, written into
 * w's buffer (valid until w's next use); NULL when memory ran out. */
const char *event_json(struct json_writer *w, const struct clawos_event_hdr *hdr, const struct event_context *ctx,
		       size_t *len);

/* Frees what event_json keeps between records of the calling thread (the
 * last record's "process" member): at exit, for leak checkers. */
void event_json_forget(void);

/* json_object_to_json_string_ext with the flags every output uses. */
const char *json_record_string(struct json_object *o, size_t *len);

/* "syscall_rate", "file_violation", ... for enum clawos_anomaly_kind;
 * "unknown" for other values. */
const char *anomaly_kind_name(unsigned kind);
int anomaly_kind_from_name(const char *s);

/* "2026-11-22T02:50:01.123456789Z" */
int format_rfc3339(uint64_t realtime_ns, char *buf, size_t size);

/* The path of a file record as its JSON "path" shows it (a kernel-joined
 * relative name folded) in buf (at least CLAWOS_FILE_PATH_LEN + 1 bytes);
 * *raw, when not NULL, is the unfolded name if folding changed it. */
const char *file_record_path(const struct clawos_file_event *e, char *buf, size_t size, const char **raw);

/* A record standing for repeats (CLAWOS_FILE_X_REPEAT, aggregate_window):
 * hdr.ts_ns is the first of them, this the boot time of the last. */
static inline uint64_t file_repeat_last_ns(const struct clawos_file_event *e)
{
	return e->hdr.ts_ns + ((uint64_t)e->repeat_span_hi << 32 | e->repeat_span_lo);
}

/* "connect", "accept", ... and "tcp", "udp", ... as network records name
 * them (enum clawos_net_op, enum clawos_proto); "unknown" and "other" for
 * values without a name.  The *_from_name() give the value or -EINVAL. */
const char *net_op_name(unsigned op);
int net_op_from_name(const char *s);
const char *net_proto_name(unsigned proto);
int net_proto_from_name(const char *s);

/* Folds "//", "." and ".." of an absolute path lexically; 0 or -errno. */
int path_normalize(const char *in, char *out, size_t size);
