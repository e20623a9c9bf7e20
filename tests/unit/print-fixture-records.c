/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Prints every record of event-fixtures.h as the agent's JSON encoder
 * writes it today, one per line: the input of the event-schema test, which
 * validates them against man/clawos-ebpf-events.schema.json.  Exit status 1
 * when a record cannot be encoded.
 */
#include <stdio.h>

#include "agent/util/json-writer.h"
#include "event-fixtures.h"

int main(void)
{
	struct json_writer w = {};
	int r = 0;

	for (size_t i = 0; i < ELEMENTSOF(fixtures); i++) {
		union fixture_record rec;
		struct event_context ctx;
		const char *s;
		size_t len;

		fixture_build(&fixtures[i], &rec, &ctx);
		s = event_json(&w, &rec.hdr, &ctx, &len);
		if (!s) {
			fprintf(stderr, "%s: not encoded\n", fixtures[i].name);
			r = 1;
			continue;
		}
		fwrite(s, 1, len, stdout);
		fputc('\n', stdout);
	}
	jw_free(&w);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("stdout");
		return 1;
	}
	return r;
}
