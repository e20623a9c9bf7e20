/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Interface monitoring: tc (clsact) ingress/egress counters on the
 * configured interfaces (bpf/iface.bpf.c), turned into "iface" records every
 * stats interval, "network_volume" anomalies when an interface sends more
 * than the threshold in one interval, and "iface_state" records when a
 * watched interface disappears or comes back (watched through rtnetlink).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "bpf/clawos-abi.h"

struct iface_monitor;

/* One record for the outputs.  Exactly one of json and raw is set: json for
 * "iface" and "iface_state" records, ready to send; raw for the
 * AnomalyEvent, which the caller numbers (hdr.seq), enriches and encodes like
 * any other binary record. */
struct iface_record {
	const char *event; /* "iface", "iface_state", "anomaly" */
	struct json_object *json;
	struct clawos_event_hdr *raw;
	bool trace; /* counters: true; state changes and anomalies: false */
	int priority;
	const char *message;
};

typedef void (*iface_emit_fn)(const struct iface_record *r, void *userdata);

/*
 * Loads the tc programs and attaches them to every name (n <= CLAWOS_IFACE_MAX).
 * A name that does not exist now is -ENODEV, logged with the name; other
 * failures are logged and returned as -errno.  Nothing is emitted from here.
 */
int iface_monitor_new(struct iface_monitor **ret, sd_event *ev, char **ifnames, size_t n,
		      uint64_t egress_threshold_bytes, iface_emit_fn emit, void *userdata);

/* Detaches our filters and removes the clsact qdisc where we created it. */
struct iface_monitor *iface_monitor_free(struct iface_monitor *m);

/* Emits the deltas since the previous call (call every stats interval). */
void iface_monitor_collect(struct iface_monitor *m);

/* 0 turns the volume anomaly off. */
void iface_monitor_set_threshold(struct iface_monitor *m, uint64_t egress_threshold_bytes);

/* The "interfaces" object of the stats record. */
struct json_object *iface_monitor_stats_json(struct iface_monitor *m);
