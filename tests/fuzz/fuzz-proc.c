/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for what the agent reads of other processes and of the
 * system: /proc/PID/stat lines (a process chooses its own comm, with any
 * bytes, parentheses included) and /etc/passwd lines.  The first byte
 * picks the parser.  Checked: a parsed comm is NUL-terminated within
 * CLAWOS_COMM_LEN; a passwd name lies inside the line and has no ':'.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/passwd.h"
#include "agent/proctable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;

	if (size < 1 || size > 4096)
		return 0;
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	if (data[0] & 1) {
		struct proc_stat st;

		memset(&st, 0xaa, sizeof(st));
		if (proctable_parse_stat(buf, &st) == 0 && strnlen(st.comm, sizeof(st.comm)) >= sizeof(st.comm))
			abort();
	} else {
		const char *name;
		uint32_t uid;

		if (passwd_parse_line(buf, &uid, &name) &&
		    (name != buf || !name[0] || strchr(name, ':') || strlen(name) >= size))
			abort();
	}
	free(buf);
	return 0;
}
