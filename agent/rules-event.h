/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Records -> what the Sigma rules read (struct rules_event), from a kernel
 * record (the daemon) or from a JSON record of this agent (`match`): one
 * mapping, so that both evaluate the same fields.
 *
 *   process_creation  a successful exec
 *   file_event        a file_access record with created = true
 *   network_connection  a connect (Initiated "true": the destination is
 *                     the peer) or an accept (Initiated "false": the
 *                     source is the peer); the other end is not recorded
 */

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "bpf/clawos-abi.h"
#include "event-json.h"
#include "rules.h"

/* What the process table and the user lookup add to a record. */
struct rules_proc {
	const char *exe;  /* the process's executable (file and network records) */
	const char *user; /* user name */
	uint32_t ppid;	  /* when the record has none */
	const char *parent_exe;
	const char *parent_cmdline; /* argv joined by spaces */
	uint32_t parent_cmdline_len;
};

struct rules_event_buf {
	struct rules_event ev;
	const char *subject; /* what a hit is about: image, file, peer */
	const char *trigger; /* "exec", "file_access", "network" */
	char cmdline[CLAWOS_EXEC_ARGS_LEN + 1];
	char path[CLAWOS_FILE_PATH_LEN + 1];
	char image[CLAWOS_EXEC_FILENAME_LEN + 1];
	char pid[12], ppid[12], uid[12], port[8];
	char addr[48], peer[64];
};

/* Is h a record some category of rules reads?  Cheap: before the lookups
 * rules_event_from_record needs. */
bool rules_record_relevant(const struct clawos_event_hdr *h);

/* false when the rules have nothing to say about this record. */
bool rules_event_from_record(struct rules_event_buf *b, const struct clawos_event_hdr *h, const struct rules_proc *p);

/* The same from one record of this agent's NDJSON; the strings point into
 * o (valid while it lives) or into b. */
bool rules_event_from_json(struct rules_event_buf *b, struct json_object *o, const struct rules_proc *p);

/* A hit as an anomaly: the wire record (header from the trigger, kind
 * sigma, severity from the level; rule = the id cut to the wire field, so
 * that de-duplication is per rule and process) and what the JSON writer
 * adds from ctx->sigma, which points into ctx, rule and b. */
struct rules_hit_ctx {
	struct event_sigma sigma;
	const char *names[_RF_MAX];
	const char *values[_RF_MAX];
	uint32_t lens[_RF_MAX];
};

struct clawos_anomaly_event;
void rules_anomaly_build(const struct rules_rule *rule, uint32_t matched, const struct rules_event_buf *b,
			 const struct clawos_event_hdr *trigger, struct clawos_anomaly_event *a,
			 struct rules_hit_ctx *ctx);

/* syslog priority of a hit of this level (informational: info ...
 * critical: crit). */
int rules_level_priority(int level);
