/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Writers shared by event-json.c and event-json-kinds.c. */

#include <stdbool.h>

#include "bpf/clawos-abi.h"
#include "json-writer.h"

struct event_context;
struct event_sigma;

void net_json(struct json_writer *w, const struct clawos_net_event *e);
void net6_json(struct json_writer *w, const struct clawos_net6_event *e);
void cgroup_json(struct json_writer *w, const struct clawos_cgroup_event *e);
void syscall_json(struct json_writer *w, const struct clawos_syscall_event *e);
void anomaly_json(struct json_writer *w, const struct clawos_anomaly_event *e, const struct event_context *ctx);
void proc_json(struct json_writer *w, const struct clawos_proc_event *e);
/* "info", "low", ... for enum clawos_severity, "unknown" for other values. */
const char *severity_name(unsigned s);
int severity_from_name(const char *s);
const char *net_side(unsigned op); /* "local" or "remote": which side the address is */
/* The family members of the "network" object of the ECS and OCSF records'
 * custom part: for a socket creation (create; e4 is then the record) its
 * family, raw family, type and protocol, else "inet"/"inet6" (e4 NULL for an
 * IPv6 record) and the side. */
void net_family_json(struct json_writer *w, const struct clawos_net_event *e4, unsigned op, bool create);
/* The "ancestry" and "top_syscalls" arrays of an anomaly (the latter only
 * when the record has them). */
void anomaly_ancestry_json(struct json_writer *w, const struct clawos_anomaly_event *e,
			   const struct event_context *ctx);
/* "sigma": a Sigma hit's rule, what matched and its trigger */
void sigma_json(struct json_writer *w, const struct event_sigma *s);
void anomaly_top_json(struct json_writer *w, const struct clawos_anomaly_event *e);
/* "boot_ns" and "cpu" (null for a record user space made) of a record. */
void record_clock_json(struct json_writer *w, const struct clawos_event_hdr *h);
/* The "target" object (the tracked tree the process belongs to), if any. */
void target_json(struct json_writer *w, const struct event_context *ctx);
/* A file record's members after its path, the same in every format:
 * path_raw (raw, when not NULL), origin, path flags, open flags, mode, dirfd
 * and the syscall when it was openat2. */
void file_detail_json(struct json_writer *w, const struct clawos_file_event *e, const char *raw);
/* The path a file record reports: normalised into norm when the kernel
 * joined it (then *normalized, and raw holds the joined form), else raw;
 * both CLAWOS_FILE_PATH_LEN + 1 bytes. */
