/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What a client of the event socket may ask, in one line after it connects:
 * "format NAME\n" (NAME: native, ecs or ocsf), to get its records in that
 * schema whatever `[socket] format =` is.  The agent answers a request by
 * sending the startup record in the new format (so the first record of the
 * new format a client sees is the startup record), or with an error line
 * ({"error":"..."}) and a disconnect.  A client that sends nothing gets the
 * socket's own format, as before.  The parsing is pure: output-socket.c
 * reads the line, `clawos-ebpf events` writes it.
 */

#include <stdbool.h>
#include <stddef.h>

#include "record-format.h"

/* A request line is at most this long, its newline included. */
#define SOCKET_REQUEST_MAX 64

/* The format asked for by line (len bytes, without its newline; a trailing
 * "\r" is allowed), or -EINVAL with a message for the client in err. */
int socket_request_parse(const char *line, size_t len, char *err, size_t errsize);

/* The request line for format f ("format ecs\n"), its length; -EINVAL for
 * a format that is not one. */
int socket_request_format(enum record_format f, char *buf, size_t size);

/* The format a record line is in, from its first key ({"event": native,
 * {"@timestamp": ECS, {"class_uid": OCSF), or -EINVAL. */
int record_format_of_line(const char *line, size_t len);

/* An error line of the agent ({"error":"..."}): its message, unescaped
 * as far as plain text goes, into buf; false when line is not one. */
bool socket_error_line(const char *line, size_t len, char *buf, size_t size);
