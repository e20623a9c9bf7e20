/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Detection rules over decoded records (pure logic, unit-tested):
 *  - file_violation: file records the kernel marked as touching a protected
 *    path; tamper: writes to the agent's own files;
 *  - network_burst: connection attempts per process per second over
 *    network_suspicious_threshold, many distinct destinations in a second
 *    (scan-like), connects to a deny-listed port or CIDR;
 *  - the anomalies the kernel raises itself (syscall_rate, tamper) pass
 *    through the same de-duplication: one per (kind, rule, process) per
 *    cool-down, the next one carrying how many were suppressed.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/clawos-abi.h"
#include "cidr.h"

struct detect_settings {
	uint32_t cooldown_s;
	uint32_t file_mode;	     /* file_access_violation_mode */
	bool enforce_available;	     /* BPF-LSM file_open in use */
	uint32_t connect_threshold;  /* network_suspicious_threshold, 0 = off */
	uint32_t distinct_threshold; /* distinct destinations per second, 0 = off */
	struct port_list deny_ports;
	struct cidr_list deny_cidrs;
};

struct detect;

/* Every rule is off until detect_configure(): the settings' defaults are
 * the configuration's (config.c), in one place. */
int detect_new(struct detect **ret);
struct detect *detect_free(struct detect *d);
void detect_configure(struct detect *d, const struct detect_settings *s);

/* Runs the user-space rules on one record; writes up to max anomalies
 * (header copied from the record) and returns how many. */
size_t detect_record(struct detect *d, const struct clawos_event_hdr *h, uint64_t now_ns,
		     struct clawos_anomaly_event *out, size_t max);

/* De-duplication: false when a is within the cool-down of an identical one
 * (counted); true to emit it, with a->suppressed set. */
bool detect_admit(struct detect *d, struct clawos_anomaly_event *a, uint64_t now_ns);

/* Flood control's summaries: for every bucket that refused anomalies and
 * reported none for FLOOD_SUMMARY_NS, one record (the latest refused, its
 * description saying how many, suppressed = the others); returns how many
 * were written.  They are admitted already: emit them as they are. */
size_t detect_flush(struct detect *d, uint64_t now_ns, struct clawos_anomaly_event *out, size_t max);

/* Human text of an anomaly into a->description (and a->subject where the
 * kernel left it empty). */
void detect_describe(struct clawos_anomaly_event *a);

/* Room for every enum clawos_anomaly_kind value, for counts by kind. */
#define DETECT_KINDS 8
_Static_assert(CLAWOS_ANOMALY_EVASION < DETECT_KINDS, "DETECT_KINDS covers every anomaly kind");

struct detect_stats {
	uint64_t raised, suppressed;
	uint64_t flooded;		       /* of suppressed: refused by flood control (per process and parent) */
	uint64_t flood_evicted;		       /* refused ones whose bucket was reused before it reported them */
	uint64_t raised_by_kind[DETECT_KINDS]; /* index: enum clawos_anomaly_kind; 0 for unknown kinds */
};
void detect_get_stats(const struct detect *d, struct detect_stats *s);
