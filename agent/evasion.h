/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Anomalies of ways around the system-call tracepoints (kind evasion: 32-bit
 * system calls, io_uring requests, a full process-tree map) and of writes to
 * the agent's maps: names and the text of their records.  Pure.
 */

#include <stdbool.h>

#include "bpf/clawos-abi.h"

/* i386 system-call name (int $0x80, 32-bit programs), or NULL. */
const char *i386_syscall_name(unsigned nr);

/* io_uring opcode name (IORING_OP_* without the prefix, lower case), or NULL. */
const char *uring_op_name(unsigned op);
int uring_op_from_name(const char *s);

struct json_writer;

/* The exec record's evasion members: syscall_seen, loader_env (names),
 * env_unscanned, traced; shared by every writer. */
void evasion_exec_json(struct json_writer *w, const struct clawos_exec_event *e);

/* Fills description (and, for a raw socket address in top[], the subject)
 * of the anomalies above; returns false, touching nothing, for others. */
bool evasion_describe(struct clawos_anomaly_event *a);
