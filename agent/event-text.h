/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Records for people: one compact line per JSON record, as the agent's
 * stdout shows them on a terminal and `clawos-ebpf events` prints them.
 *
 *   14:03:07.412 exec    bash(4242)           /usr/bin/cat /etc/hostname
 *   14:03:07.413 open    cat(4243)            /etc/hostname O_RDONLY|O_CLOEXEC = 3
 *   14:03:08.020 connect curl(4250)           tcp 10.0.0.5:443
 *   14:03:09.100 anomaly bash(4242)           high syscall_rate: 5000 syscalls/s exceeds ...
 *
 * time (local, milliseconds), kind (the operation), process comm(pid), and
 * the essence of the record.  The input is the JSON record itself (the same
 * bytes the socket carries), so the agent and any client of the socket print
 * the same text.  Pure: no I/O; the local time zone is the only outside
 * state (TZ).
 *
 * Everything taken from the record is made safe for a terminal: control
 * characters, C1 controls and bidirectional overrides never reach it raw
 * (shell-style $'...' quoting in arguments and paths, \xNN elsewhere), and
 * arguments that a shell would split are quoted.  With colour on, anomalies
 * are coloured by severity (and lost records and refused reloads stand out).
 */

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

struct event_text_options {
	bool color; /* ANSI colours (see output_color_wanted()) */
};

/* Enough for any record the agent writes, escapes included; longer lines
 * are cut and end in "...". */
#define EVENT_TEXT_MAX 8192

/*
 * Formats the record json[0..len) (one JSON object with an "event" string)
 * into buf (NUL-terminated, no newline).  Returns the length written, or
 * -EINVAL when the bytes are not such an object, -ENOBUFS when size is too
 * small for even a cut line (under 64 bytes).
 */
int event_text_format(const char *json, size_t len, const struct event_text_options *o, char *buf, size_t size);

/* Every "event" name the agent writes (NULL-terminated), e.g. for checking
 * `clawos-ebpf events --type`; the JSON Schema's enum, in the same order. */
extern const char *const event_text_record_names[];
bool event_text_record_known(const char *name);
