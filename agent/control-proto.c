/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "control-proto.h"

enum control_cmd control_parse_request(char *buf, const char **arg)
{
	size_t n;

	buf[strcspn(buf, "\r\n")] = '\0';
	*arg = NULL;
	if (strcmp(buf, "STATUS") == 0)
		return CONTROL_STATUS;
	if (strncmp(buf, "WATCH", 5) != 0 || (buf[5] != ' ' && buf[5] != '\0'))
		return CONTROL_UNKNOWN;
	if (buf[5] == '\0') {
		*arg = "watch";
		return CONTROL_WATCH;
	}
	/* the name goes into records and logs: printable ASCII, bounded */
	n = strlen(buf + 6);
	if (n == 0 || n > CONTROL_NAME_MAX)
		return CONTROL_BAD_NAME;
	for (size_t i = 0; i < n; i++)
		if (buf[6 + i] < 0x20 || buf[6 + i] > 0x7e)
			return CONTROL_BAD_NAME;
	*arg = buf + 6;
	return CONTROL_WATCH;
}

int control_parse_reply(char *text, const char **payload)
{
	text[strcspn(text, "\n")] = '\0';
	*payload = NULL;
	if (strncmp(text, "OK", 2) == 0 && (text[2] == ' ' || text[2] == '\0')) {
		*payload = text[2] ? text + 3 : "";
		return 0;
	}
	if (strncmp(text, "ERR ", 4) == 0) {
		*payload = text + 4;
		return -EPROTO;
	}
	return -EBADMSG;
}
