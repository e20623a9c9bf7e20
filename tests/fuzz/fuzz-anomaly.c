/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for the anomaly path of manager_raise(): an anomaly from
 * the ring buffer (outside input: its strings may have no NUL, its counters
 * any value) or one detect_record() made from a fuzzed record goes through
 * detect_admit() (de-duplication, with a clock the input moves), then
 * detect_describe() (the text), then is encoded in each format as exactly one
 * JSON object.  The manager itself (outputs, process table) is I/O and not
 * built here; this is the pure part of manager_raise() in the same order.
 * Every string of the anomaly must end inside its array afterwards.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent/decode.h"
#include "agent/detect.h"
#include "agent/event-json.h"
#include "agent/util/json-writer.h"
#include "agent/record-format.h"

static struct json_writer writers[_RECORD_FORMAT_MAX];
static struct detect *det;
static uint64_t clock_ns;

static void check_terminated(const char *s, size_t cap)
{
	if (strnlen(s, cap) >= cap)
		abort();
}

static void raise_one(struct clawos_anomaly_event *a)
{
	struct event_context ctx = {.realtime_offset_ns = 1767323045123456789LL, .host = "fuzzhost"};

	if (!detect_admit(det, a, clock_ns))
		return;
	detect_describe(a);
	check_terminated(a->rule, sizeof(a->rule));
	check_terminated(a->target, sizeof(a->target));
	check_terminated(a->subject, sizeof(a->subject));
	check_terminated(a->description, sizeof(a->description));
	for (unsigned f = 0; f < _RECORD_FORMAT_MAX; f++) {
		struct json_tokener *tok = json_tokener_new();
		struct json_object *o;
		size_t len = 0;
		const char *s = event_format(&writers[f], f, &a->hdr, &ctx, &len);

		if (!s || strlen(s) != len)
			abort();
		o = json_tokener_parse_ex(tok, s, (int)len);
		if (!o || json_tokener_get_parse_end(tok) != len || !json_object_is_type(o, json_type_object)) {
			fprintf(stderr, "not one JSON object: %s\n", s);
			abort();
		}
		json_object_put(o);
		json_tokener_free(tok);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static _Alignas(8) unsigned char rec[8192];
	struct clawos_anomaly_event found[4];
	const struct clawos_event_hdr *h;
	size_t want, n;
	unsigned type;

	if (!det) {
		struct detect_settings s = {
		    .cooldown_s = 60, .file_mode = 2, .connect_threshold = 3, .distinct_threshold = 2};

		if (detect_new(&det) < 0)
			abort();
		s.deny_ports.items[s.deny_ports.n++] = 4444;
		cidr_parse("203.0.113.0/24", &s.deny_cidrs.items[s.deny_cidrs.n++]);
		detect_configure(det, &s);
	}
	if (size < 2)
		return 0;
	/* time moves by the first byte: 0 repeats the instant (suppression),
	 * large steps pass the cool-down (suppressed > 0 in the next one) */
	clock_ns += (uint64_t)data[0] * 500000000ULL;
	type = data[1] % CLAWOS_EV_MAX;
	data += 2, size -= 2;
	want = event_type_size(type);
	if (!want || want > sizeof(rec))
		return 0;
	memset(rec, 0, want);
	n = size < want ? size : want;
	memcpy(rec, data, n);
	if (type == CLAWOS_EV_EXEC) {
		struct clawos_exec_event *e = (struct clawos_exec_event *)rec;
		size_t args = n > CLAWOS_EXEC_FIXED_SIZE ? n - CLAWOS_EXEC_FIXED_SIZE : 0;

		e->args_len = (uint16_t)args;
		want = CLAWOS_EXEC_FIXED_SIZE + args;
	}
	((struct clawos_event_hdr *)rec)->type = (uint8_t)type;
	((struct clawos_event_hdr *)rec)->version = CLAWOS_ABI_VERSION;
	((struct clawos_event_hdr *)rec)->size = (uint16_t)want;
	if (event_decode(rec, want, &h) != DECODE_OK)
		return 0;
	if (h->type == CLAWOS_EV_ANOMALY) {
		/* as manager_on_ring_record(): a copy on the stack, the exact size */
		struct clawos_anomaly_event *a = malloc(sizeof(*a));

		if (!a)
			return 0;
		memcpy(a, h, sizeof(*a));
		raise_one(a);
		free(a);
		return 0;
	}
	n = detect_record(det, h, clock_ns, found, 4);
	for (size_t i = 0; i < n; i++)
		raise_one(&found[i]);
	return 0;
}
