/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for the control protocol (agent/control-proto.c): any
 * request line a local root client sends, and any reply the client reads.
 * The first byte picks the side.  Checked: a WATCH name lies inside the
 * buffer, is 1..CONTROL_NAME_MAX printable bytes (or the default "watch"); a payload lies
 * inside the reply; nothing reads past the NUL.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/control-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;
	const char *arg;

	if (size < 1 || size > 65536)
		return 0;
	/* as the agent holds it: at most 127 bytes and a NUL; the client's
	 * reply: what it read, NUL-terminated */
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	if (data[0] & 1) {
		enum control_cmd c;

		if (size - 1 > 127)
			buf[127] = '\0';
		c = control_parse_request(buf, &arg);
		if (c == CONTROL_WATCH) {
			size_t n = strlen(arg);

			if (strcmp(arg, "watch") != 0 && (arg < buf || arg >= buf + size))
				abort();
			if (n == 0 || n > CONTROL_NAME_MAX)
				abort();
			for (size_t i = 0; i < n; i++)
				if (arg[i] < 0x20 || arg[i] > 0x7e)
					abort();
		} else if (arg) {
			abort();
		}
	} else {
		int r = control_parse_reply(buf, &arg);

		if ((r == 0 || r == -EPROTO) != (arg != NULL))
			abort();
		if (arg && r == 0 && arg[0] && (arg < buf || arg >= buf + size))
			abort();
		if (arg && strchr(arg, '\n'))
			abort();
	}
	free(buf);
	return 0;
}
