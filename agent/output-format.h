/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The form records take on a stream meant for a reader: the agent's stdout
 * (--format) and `clawos-ebpf events` (--format).  One table of names, one
 * parser, one rule for "auto" and for colour, so that a new format is one
 * enum value and one name here (and its writer where records are written).
 */

#include <stdbool.h>

enum output_format {
	OUTPUT_FORMAT_AUTO, /* text on a terminal, json otherwise */
	OUTPUT_FORMAT_JSON, /* NDJSON, byte-identical to the socket */
	OUTPUT_FORMAT_TEXT, /* one compact line per record, for people (event-text.h) */
	_OUTPUT_FORMAT_MAX,
};

/* "auto", "json", "text"; NULL for values out of range. */
const char *output_format_name(enum output_format f);
/* The format named @s, or -EINVAL for a name that is not a format. */
int output_format_from_name(const char *s);
/* "auto, json, text": the choices, for usage and error messages. */
const char *output_format_choices(void);
/* AUTO resolved for a stream: TEXT when it is a terminal, else JSON. */
enum output_format output_format_resolve(enum output_format f, bool is_tty);
/* Colour: text on a terminal, unless NO_COLOR is set to a non-empty value
 * (https://no-color.org); no_color is getenv("NO_COLOR"). */
bool output_color_wanted(enum output_format resolved, bool is_tty, const char *no_color);
