/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What a kernel record lacks besides the process (see proctable.h): cgroup
 * paths from the cgroup v2 tree and user names from /etc/passwd, behind
 * bounded direct-mapped caches (fixed memory, no allocation per event).  Lookups never block on the network: user names
 * come from /etc/passwd only, not NSS.
 */

#include <stdint.h>

#include "event-json.h"
#include "proctable.h"

struct enrich;

int enrich_new(struct enrich **ret, const char *cgroup2_path);
struct enrich *enrich_free(struct enrich *e);

/* Fills ctx for hdr: host, user, cgroup path here; executable and parent
 * from p, the process table's entry (NULL if unknown).  The strings stay
 * valid until the next call. */
void enrich_record(struct enrich *e, const struct clawos_event_hdr *h, const struct proc_entry *p,
		   struct event_context *ctx);

const char *enrich_cgroup_path(struct enrich *e, uint64_t cgid);
/* The host name (read at start), NULL if unknown. */
const char *enrich_host(const struct enrich *e);
/* The user name of uid from /etc/passwd, NULL if none. */
const char *enrich_user(struct enrich *e, uint32_t uid);
