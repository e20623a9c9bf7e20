/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What a kernel record lacks, looked up in /proc, the cgroup v2 tree and
 * /etc/passwd, behind bounded direct-mapped caches (fixed memory, no
 * allocation per event).  Lookups never block on the network: user names
 * come from /etc/passwd only, not NSS.
 */

#include <stdint.h>

#include "event-json.h"

struct enrich;

int enrich_new(struct enrich **ret, const char *cgroup2_path);
struct enrich *enrich_free(struct enrich *e);

/* Fills ctx for hdr; the strings point into the caches and stay valid
 * until the next enrich_* call. */
void enrich_record(struct enrich *e, const struct clawos_event_hdr *hdr, struct event_context *ctx);

/* An exec record says which binary a pid runs now. */
void enrich_note_exec(struct enrich *e, uint32_t pid, const char *filename, uint32_t ppid);

const char *enrich_cgroup_path(struct enrich *e, uint64_t cgid);

struct enrich_stats {
	uint64_t hits, misses;
};
void enrich_get_stats(const struct enrich *e, struct enrich_stats *s);
