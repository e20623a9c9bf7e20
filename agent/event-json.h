/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * JSON encoding of records (json-c), one object per line (NDJSON).  Pure:
 * everything the kernel record lacks comes in through struct event_context,
 * filled by enrich.c.  Strings are cleaned to valid UTF-8 before encoding
 * (json-c does not check), and json-c escapes control characters.
 */

#include <stdint.h>

#include <json-c/json.h>

#include "bpf/clawos-abi.h"

#define CLAWOS_SCHEMA_VERSION 1

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
};

/* A new record object with "event", "schema_version" and "time" set. */
struct json_object *json_record_new(const char *event, uint64_t realtime_ns);

/* The JSON object of a validated kernel record (see decode.h). */
struct json_object *event_to_json(const struct clawos_event_hdr *hdr, const struct event_context *ctx);

/* json_object_to_json_string_ext with the flags every output uses. */
const char *json_record_string(struct json_object *o, size_t *len);

/* "2026-11-22T02:50:01.123456789Z" */
int format_rfc3339(uint64_t realtime_ns, char *buf, size_t size);

/* Folds "//", "." and ".." of an absolute path lexically; 0 or -errno. */
int path_normalize(const char *in, char *out, size_t size);

/* A clean (valid UTF-8) JSON string from a fixed-size, maybe unterminated,
 * kernel buffer. */
struct json_object *json_string_clean(const char *s, size_t maxlen);
