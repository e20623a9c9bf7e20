/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One line of /etc/passwd (name:password:uid:...), pure; fuzzed by
 * tests/fuzz/fuzz-proc.c. */

#include <stdbool.h>
#include <stdint.h>

/* true, *uid and *name (cut in place in line) for an entry with a name and
 * a decimal uid; false for anything else (comments, NIS lines, garbage). */
bool passwd_parse_line(char *line, uint32_t *uid, const char **name);
