/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The helpers of the OCSF writers (event-ocsf.c), shared with
 * event-ocsf-kinds.c and event-agent-siem.c. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/clawos-abi.h"
#include "json-writer.h"

struct event_context;
struct siem_class;

#define OCSF_PROFILE_HOST 0x1
#define OCSF_PROFILE_SECURITY_CONTROL 0x2

/* Begins the record: class_uid .. type_name, severity_id (severity_id 0:
 * the row's), time (milliseconds of realtime_ns). */
void ocsf_begin(struct json_writer *w, const struct siem_class *c, unsigned severity_id, uint64_t realtime_ns);
/* metadata: version, product, profiles (OCSF_PROFILE_*), event_code (the
 * native event name), original_time (the native "time"); constant: event
 * is a static string (then cached by its address). */
void ocsf_metadata(struct json_writer *w, const char *event, const char *time, unsigned profiles, bool constant);
/* device: the host (hostname NULL: unknown), Linux, kernel release. */
void ocsf_device(struct json_writer *w, const char *host, const char *kernel);
/* The common head of a kernel record: ocsf_begin, metadata, device. */
void ocsf_head(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx,
	       const struct siem_class *c, unsigned severity_id, unsigned profiles);

/* A process object (key NULL inside an array). */
struct ocsf_process {
	uint32_t pid, tid, ppid; /* 0: unknown */
	const char *name;	 /* comm */
	size_t name_max;
	const char *exe; /* executable path, NULL: unknown */
	size_t exe_max;
	unsigned exe_type_id; /* file.type_id of exe: 1 Regular File, 0 Unknown */
	const char *cmd_line; /* NULL: unknown */
	size_t cmd_len;
	const char *cwd; /* working directory, NULL: unknown */
	size_t cwd_max;
	const char *parent_name, *parent_exe; /* NULL: unknown */
	size_t parent_name_max;
	bool user; /* with the record's user */
	/* an anomaly whose ancestry (parent first) becomes "ancestry" */
	const struct clawos_anomaly_event *ancestry;
};
void ocsf_process(struct json_writer *w, const char *key, const struct ocsf_process *p,
		  const struct clawos_event_hdr *h, const struct event_context *ctx);
/* The record's task as an ocsf_process (exe from the context). */
struct ocsf_process ocsf_task(const struct clawos_event_hdr *h, const struct event_context *ctx);
/* actor: process p (NULL: none) and the record's user. */
void ocsf_actor(struct json_writer *w, const struct ocsf_process *p, const struct clawos_event_hdr *h,
		const struct event_context *ctx);
/* A file object of a path: path, name, parent_folder, ext, type_id. */
void ocsf_file(struct json_writer *w, const char *key, const char *path, size_t max, unsigned type_id);
/* Opens "unmapped" with the envelope fields OCSF lacks; the caller adds
 * the record's own and closes it. */
void ocsf_unmapped_begin(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx,
			 unsigned mechanism);

/* event-ocsf-kinds.c */
/* connection_info: direction_id (0 Unknown, 1 Inbound, 2 Outbound), the IP
 * protocol number and version (0: unknown). */
void ocsf_connection_info(struct json_writer *w, unsigned direction_id, unsigned ip_proto, unsigned ip_version);
void ocsf_network(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx);
void ocsf_cgroup(struct json_writer *w, const struct clawos_cgroup_event *e, const struct event_context *ctx);
void ocsf_syscall(struct json_writer *w, const struct clawos_syscall_event *e, const struct event_context *ctx);
void ocsf_anomaly(struct json_writer *w, const struct clawos_anomaly_event *e, const struct event_context *ctx);
