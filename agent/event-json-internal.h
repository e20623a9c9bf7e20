/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Writers shared by event-json.c and event-json-kinds.c. */

#include "bpf/clawos-abi.h"
#include "json-writer.h"

struct event_context;

const char *mechanism_json_name(unsigned m);
void net_json(struct json_writer *w, const struct clawos_net_event *e);
void net6_json(struct json_writer *w, const struct clawos_net6_event *e);
void cgroup_json(struct json_writer *w, const struct clawos_cgroup_event *e);
void syscall_json(struct json_writer *w, const struct clawos_syscall_event *e);
void anomaly_json(struct json_writer *w, const struct clawos_anomaly_event *e, const struct event_context *ctx);
void proc_json(struct json_writer *w, const struct clawos_proc_event *e);
const char *severity_name(unsigned s);
