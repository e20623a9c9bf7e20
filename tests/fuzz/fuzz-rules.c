/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for the Sigma rule loader: rule files are outside input
 * (written by people, downloaded from rule repositories).  Any bytes must
 * load into an engine plus a report, where every rule is accounted for
 * (loaded ones are the engine's), without a crash, a leak or an endless
 * compile; the engine must then evaluate records made of the same bytes.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules_report rep = {};
	struct rules_engine *e = NULL;
	size_t loaded = 0;
	int r;

	if (size > 64 * 1024)
		return 0;
	r = rules_load_buffer("fuzz.yml", (const char *)data, size, &e, &rep);
	if (r < 0) {
		rules_report_done(&rep);
		return 0; /* out of memory, or the compiler refused the whole set */
	}
	for (size_t i = 0; i < rep.n; i++) {
		if (!rep.entries[i].file || (rep.entries[i].status != RULES_LOADED && !rep.entries[i].reason))
			abort(); /* a rule that did not load always says why */
		loaded += rep.entries[i].status == RULES_LOADED;
	}
	if (loaded != rules_count(e))
		abort();
	for (int c = 0; c < _RULES_CAT_MAX; c++) {
		struct rules_event ev = {.category = c};

		for (int f = 0; f < _RF_MAX; f++) {
			ev.value[f] = (const char *)data + (f % 3);
			ev.len[f] = size > (size_t)(f % 3) ? (uint32_t)(size - (size_t)(f % 3)) : 0;
		}
		ev.value[c] = NULL; /* and one field absent */
		rules_match(e, &ev, NULL, NULL);
	}
	rules_free(e);
	rules_report_done(&rep);
	return 0;
}
