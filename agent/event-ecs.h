/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The helpers of the ECS writers (event-ecs.c), shared with
 * event-ecs-kinds.c and event-agent-siem.c. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/clawos-abi.h"
#include "json-writer.h"

struct event_context;
struct siem_class;

/* Begins the record: @timestamp, ecs.version, and opens "event" with kind,
 * category, type (plus type_extra) and action; the caller adds outcome or
 * severity, then ecs_event_module(), then closes "event". */
void ecs_begin(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx,
	       const struct siem_class *c, const char *type_extra);
/* event.module and event.dataset ("clawos.<native event name>"); constant:
 * event is a static string (then cached by its address). */
void ecs_event_module(struct json_writer *w, const char *event, bool constant);
/* host.* (name NULL: unknown; kernel NULL: unknown) and agent.*. */
void ecs_host_agent(struct json_writer *w, const char *host, const char *kernel);

uint32_t ecs_ppid(const struct clawos_event_hdr *h, const struct event_context *ctx);
/* process.parent, when ppid is known; comm and exe may be NULL. */
void ecs_parent(struct json_writer *w, uint32_t ppid, const char *comm, size_t comm_max, const char *exe);
void ecs_process_begin(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx,
		       const char *exe, size_t exe_max);
/* user.id, user.name, group.id. */
void ecs_user(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx);
/* Members path, name, directory, extension of a file object. */
void ecs_file_path(struct json_writer *w, const char *path, size_t max);
void ecs_custom_begin(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx,
		      unsigned mechanism);
/* Closes "event", host and agent: the common part after ecs_begin(). */
void ecs_event_close(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx);

/* event-ecs-kinds.c */
void ecs_network(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx);
void ecs_cgroup(struct json_writer *w, const struct clawos_cgroup_event *e, const struct event_context *ctx);
void ecs_syscall(struct json_writer *w, const struct clawos_syscall_event *e, const struct event_context *ctx);
void ecs_anomaly(struct json_writer *w, const struct clawos_anomaly_event *e, const struct event_context *ctx);
