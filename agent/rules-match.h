/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * `clawos-ebpf match`: recorded NDJSON of this agent through the engine
 * the daemon runs, one line at a time.  The capture itself is the process
 * table (exec, fork and exit records give the parents' images and command
 * lines); each hit comes out as the anomaly record the daemon would write,
 * without the cool-down: every hit.
 */

#include <stddef.h>
#include <stdint.h>

#include "record-format.h"
#include "rules.h"

struct rules_matcher;

int rules_matcher_new(struct rules_matcher **ret, struct rules_engine *engine);
struct rules_matcher *rules_matcher_free(struct rules_matcher *m);

/* One line (len bytes, a NUL after them not needed); out gets each hit's
 * JSON line (no newline).  0, -EINVAL when the line is not a JSON object,
 * -ENOMEM. */
typedef void (*rules_matcher_out)(const char *line, size_t len, void *userdata);
int rules_matcher_line(struct rules_matcher *m, const char *line, size_t len, rules_matcher_out out, void *userdata);
uint64_t rules_matcher_hits(const struct rules_matcher *m);

/* The schema of the hits' records (default RECORD_FORMAT_NATIVE); the
 * input is always the agent's native records. */
void rules_matcher_set_format(struct rules_matcher *m, enum record_format f);
