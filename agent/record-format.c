/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The names of the record formats (the writers: event-json.c, event-ecs.c,
 * event-ocsf.c; the dispatch: event-siem.c). */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "record-format.h"

const char *const record_format_names[_RECORD_FORMAT_MAX + 1] = {
    [RECORD_FORMAT_NATIVE] = "native",
    [RECORD_FORMAT_ECS] = "ecs",
    [RECORD_FORMAT_OCSF] = "ocsf",
    [_RECORD_FORMAT_MAX] = NULL,
};

DEFINE_STRING_TABLE_LOOKUP(record_format, enum record_format, record_format_names, NULL);
