/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * `clawos-ebpf status` for people: the agent's status object (see
 * manager-status.c and clawos-ebpf(8)) as a few aligned lines: version and
 * uptime, configuration, BPF-LSM and the hooks that are not fully active,
 * records per type (per second over the last minute, and in all), losses
 * per place, clients, anomalies by kind, memory.  Pure; strings from the
 * object are made terminal-safe as in event-text.h.
 */

#include <stdio.h>

#include <json-c/json.h>

/* 0, or -EINVAL when st is not a status object (no "version" string). */
int status_text_write(struct json_object *st, FILE *f);
