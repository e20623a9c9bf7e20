/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int max_level = LOG_INFO;
static bool kmsg_prefix;

void log_set_max_level(int level)
{
	max_level = level;
}

void log_set_kmsg_prefix(bool on)
{
	kmsg_prefix = on;
}

static const char *const level_names[] = {
    [LOG_EMERG] = "emerg",     [LOG_ALERT] = "alert",	[LOG_CRIT] = "crit", [LOG_ERR] = "error",
    [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

static DEFINE_STRING_TABLE_TO_NAME(level, int, level_names, "log");

int log_internal(int level, int error, const char *file, int line, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (error < 0)
		error = -error;
	if (level <= max_level) {
		char buf[2048];

		/* %m in fmt means the error passed in, not whatever errno holds */
		errno = error;
		va_start(ap, fmt);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
		if (kmsg_prefix)
			fprintf(stderr, "<%d>%s\n", level, buf);
		else if (max_level >= LOG_DEBUG)
			fprintf(stderr, "clawos-ebpf: %s: %s (%s:%d)\n", level_name(level), buf, file, line);
		else
			fprintf(stderr, "clawos-ebpf: %s: %s\n", level_name(level), buf);
	}
	errno = saved;
	return -error;
}
