/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "passwd.h"

bool passwd_parse_line(char *line, uint32_t *uid, const char **name)
{
	char *colon1 = strchr(line, ':'), *colon2, *end;
	unsigned long u;

	if (!colon1 || colon1 == line || !(colon2 = strchr(colon1 + 1, ':')))
		return false;
	if (colon2[1] < '0' || colon2[1] > '9') /* strtoul would take "-1" or " 1" */
		return false;
	errno = 0;
	u = strtoul(colon2 + 1, &end, 10);
	if (errno || *end != ':' || u > UINT32_MAX)
		return false;
	*colon1 = '\0';
	*uid = (uint32_t)u;
	*name = line;
	return true;
}
