/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The client side of the agent's control socket (manager-control.c), for
 * `clawos-ebpf watch` and `clawos-ebpf status`. */

/* Largest reply read (a status reply is a few KiB). */
#define CONTROL_REPLY_MAX (1u << 20)

/*
 * Sends the line `request` to the control socket at path and reads the
 * reply until the agent closes.  Returns 0 with *reply the text after "OK "
 * (malloc'd, trailing newline removed); -EPROTO with *reply the agent's
 * reason after "ERR "; or -errno of the connection (-ENOENT: no agent,
 * -EACCES: not root, -ECONNREFUSED: a socket left by a dead agent),
 * -EBADMSG for a reply that is neither.
 */
int control_request(const char *path, const char *request, char **reply);
