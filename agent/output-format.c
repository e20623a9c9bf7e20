/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "output-format.h"

static const char *const format_names[_OUTPUT_FORMAT_MAX] = {
    [OUTPUT_FORMAT_AUTO] = "auto",
    [OUTPUT_FORMAT_JSON] = "json",
    [OUTPUT_FORMAT_TEXT] = "text",
};

DEFINE_STRING_TABLE_LOOKUP(output_format, enum output_format, format_names, NULL);

const char *output_format_choices(void)
{
	static char buf[128];

	if (!buf[0])
		for (unsigned f = 0; f < ELEMENTSOF(format_names); f++)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", f ? ", " : "", format_names[f]);
	return buf;
}

enum output_format output_format_resolve(enum output_format f, bool is_tty)
{
	if (f == OUTPUT_FORMAT_AUTO)
		return is_tty ? OUTPUT_FORMAT_TEXT : OUTPUT_FORMAT_JSON;
	return f;
}

bool output_color_wanted(enum output_format resolved, bool is_tty, const char *no_color)
{
	return resolved == OUTPUT_FORMAT_TEXT && is_tty && !(no_color && no_color[0]);
}
