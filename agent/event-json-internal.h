/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Builders shared by event-json.c and event-json-kinds.c. */

#include <json-c/json.h>

#include "bpf/clawos-abi.h"

#define ADD(o, k, v) json_object_object_add((o), (k), (v))

const char *mechanism_json_name(unsigned m);
void net_json(struct json_object *o, const struct clawos_net_event *e);
void net6_json(struct json_object *o, const struct clawos_net6_event *e);
void cgroup_json(struct json_object *o, const struct clawos_cgroup_event *e);
void syscall_json(struct json_object *o, const struct clawos_syscall_event *e);
struct event_context;
void anomaly_json(struct json_object *o, const struct clawos_anomaly_event *e, const struct event_context *ctx);
void proc_json(struct json_object *o, const struct clawos_proc_event *e);
const char *severity_name(unsigned s);
