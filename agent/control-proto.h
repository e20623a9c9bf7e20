/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The control socket's protocol, pure (manager-control.c and
 * control-client.c do the I/O): one request line, one reply line.
 *   WATCH [<name>]   -> "OK <session>"; name: 1..31 printable ASCII bytes
 *   STATUS           -> "OK <json>"
 *   anything else    -> "ERR <reason>"
 * Fuzzed by tests/fuzz/fuzz-control.c.
 */

#include <stddef.h>

enum control_cmd {
	CONTROL_UNKNOWN = 0,
	CONTROL_WATCH,
	CONTROL_STATUS,
	CONTROL_BAD_NAME, /* WATCH with a name that is not 1..CONTROL_NAME_MAX printable bytes */
};

#define CONTROL_NAME_MAX 31 /* as `watch` sends it (watch.h): < 32 bytes */

/* buf: a NUL-terminated request, cut at its first line end in place;
 * *arg: the WATCH name ("watch" when none) inside buf. */
enum control_cmd control_parse_request(char *buf, const char **arg);

/* text: a NUL-terminated reply, cut at its first line end in place.
 * 0 and *payload after "OK"; -EPROTO and *payload the reason after "ERR";
 * -EBADMSG otherwise (*payload NULL). */
int control_parse_reply(char *text, const char **payload);
