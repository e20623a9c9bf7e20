/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for `clawos-ebpf match` input: NDJSON captures are
 * outside input (any file a user points it at).  Each input is a capture,
 * run through a fixed set of rules that reads every field of every
 * category; any line must be taken or refused, and every hit must come out
 * as exactly one JSON object json-c parses to its end.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent/rules-match.h"

static const char rules_text[] =
    "title: exec\nid: f0000000-0000-0000-0000-000000000001\nlevel: high\ntags: [attack.t1]\n"
    "logsource: {product: linux, category: process_creation}\n"
    "detection:\n  a:\n    Image|endswith: [/sh, /nc, /true]\n  b:\n    CommandLine|contains|all: ['-', ' ']\n"
    "  c:\n    ParentImage|re: '(?i)^/'\n    ParentCommandLine|windash|contains: ' -c '\n"
    "  d:\n    CurrentDirectory|startswith: /tmp\n    User: root\n    LogonId|lt: 1000\n"
    "  e:\n    ProcessId|gt: 1\n    ParentProcessId|neq: 1\n  k:\n    - evil\n"
    "  condition: 1 of them\n"
    "---\ntitle: file\nlevel: low\nlogsource: {product: linux, category: file_event}\n"
    "detection:\n  s:\n    TargetFilename|re: '[^/]{3,}$'\n    Image|exists: true\n  condition: s\n"
    "---\ntitle: net\nlogsource: {product: linux, category: network_connection}\n"
    "detection:\n  s:\n    Initiated: 'true'\n  f:\n    DestinationIp|cidr: [127.0.0.0/8, 'fe80::/10']\n"
    "  p:\n    SourcePort|gte: 1024\n    Protocol: tcp\n    DestinationIsIpv6: 'false'\n"
    "  condition: (s and not f) or p\n";

static struct rules_engine *engine;

static void check_line(const char *s, size_t len, void *userdata)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = json_tokener_parse_ex(tok, s, (int)len);

	if (!o || json_tokener_get_error(tok) != json_tokener_success || json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object)) {
		fprintf(stderr, "not one JSON object: %.*s\n", (int)len, s);
		abort();
	}
	json_object_put(o);
	json_tokener_free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules_matcher *m = NULL;
	const char *p = (const char *)data, *end = p + size;

	if (!engine) {
		struct rules_report rep = {};

		if (rules_load_buffer("rules.yml", rules_text, sizeof(rules_text) - 1, &engine, &rep) < 0 ||
		    rules_count(engine) != 3)
			abort();
		rules_report_done(&rep);
	}
	if (rules_matcher_new(&m, engine) < 0)
		return 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		rules_matcher_line(m, p, n, check_line, NULL);
		p += n + 1;
	}
	rules_matcher_free(m);
	return 0;
}
