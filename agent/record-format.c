// SPDX-License-Identifier: LGPL-2.1-or-later
/* The names of the record formats (the writers: event-json.c, event-ecs.c,
 * event-ocsf.c; the dispatch: event-siem.c). */
#include <errno.h>
#include <string.h>

#include "record-format.h"

const char *const record_format_names[_RECORD_FORMAT_MAX + 1] = {
    [RECORD_FORMAT_NATIVE] = "native",
    [RECORD_FORMAT_ECS] = "ecs",
    [RECORD_FORMAT_OCSF] = "ocsf",
    [_RECORD_FORMAT_MAX] = NULL,
};

const char *record_format_name(enum record_format f)
{
	return (unsigned)f < _RECORD_FORMAT_MAX ? record_format_names[f] : NULL;
}

int record_format_from_name(const char *name)
{
	for (unsigned f = 0; name && f < _RECORD_FORMAT_MAX; f++)
		if (strcmp(name, record_format_names[f]) == 0)
			return (int)f;
	return -EINVAL;
}
