/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The schemas a record can be written in, per output: our own ("native",
 * event-json.h, the default), the Elastic Common Schema and the Open
 * Cybersecurity Schema Framework, so that a SIEM takes the records without
 * a transform.  Kernel records are written by allocation-free writers
 * (event-ecs.c, event-ocsf.c) from the same record and event_context as the
 * native one; the agent's own low-rate records (startup, stats, iface, ...)
 * are json-c objects in the native form, translated by
 * agent_record_format().  clawos-ebpf-events(7) has the mapping, field by
 * field.
 */

#include <stddef.h>
#include <stdint.h>

#include "bpf/clawos-abi.h"
#include "json-writer.h"

struct event_context;
struct json_object;

enum record_format {
	RECORD_FORMAT_NATIVE = 0,
	RECORD_FORMAT_ECS = 1,
	RECORD_FORMAT_OCSF = 2,
	_RECORD_FORMAT_MAX,
};

#define ECS_VERSION "9.4.0"
#define OCSF_VERSION "1.8.0"

/* "native", "ecs", "ocsf", in enum order (the config parser's names too). */
extern const char *const record_format_names[_RECORD_FORMAT_MAX + 1];
const char *record_format_name(enum record_format f);
/* The format called name, or -EINVAL (for `format =` keys and --format). */
int record_format_from_name(const char *name);

/* A validated kernel record in format f, written into w's buffer (valid
 * until w's next use); NULL when memory ran out. */
const char *event_format(struct json_writer *w, enum record_format f, const struct clawos_event_hdr *h,
			 const struct event_context *ctx, size_t *len);
const char *event_ecs(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx,
		      size_t *len);
const char *event_ocsf(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx,
		       size_t *len);

/*
 * One of the agent's own records, given as the json-c object of its native
 * form ("event", "time", then its fields), in format f: native is the
 * object printed as it is; ECS and OCSF are written into w.  host is the
 * host name for records that carry none (NULL: unknown), now_ns the time
 * of records without a "time" (CLOCK_REALTIME nanoseconds).  NULL when
 * memory ran out or the object is not a record.
 */
const char *agent_record_format(struct json_writer *w, enum record_format f, struct json_object *native,
				const char *host, uint64_t now_ns, size_t *len);
