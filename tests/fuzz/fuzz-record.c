/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for kernel records: the ring buffer is outside input
 * (a bug in a BPF program, a mismatched ABI).  The first byte picks a
 * record type; the rest fills the record, header included, and the context
 * strings (an exec record is as long as the input makes it).  Any record must
 * be refused by the decoder or encoded, in each format (native, ECS, OCSF), as
 * exactly one JSON object that json-c parses back to its end, never crash,
 * leak or read out of bounds.  Raw inputs also go through the decoder
 * unchanged.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent/decode.h"
#include "agent/event-json.h"
#include "agent/util/json-writer.h"
#include "agent/record-format.h"

static struct json_writer writers[_RECORD_FORMAT_MAX];

static void encode_and_check_one(enum record_format f, const struct clawos_event_hdr *h,
				 const struct event_context *ctx)
{
	struct json_tokener *tok;
	struct json_object *o;
	const char *s;
	size_t len = 0;

	s = event_format(&writers[f], f, h, ctx, &len);
	if (!s)
		abort(); /* only a failed allocation may give no line */
	if (strlen(s) != len)
		abort();
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success || json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object)) {
		fprintf(stderr, "not one JSON object: %s\n", s);
		abort();
	}
	json_object_put(o);
	json_tokener_free(tok);
}

static void encode_and_check(const struct clawos_event_hdr *h, const struct event_context *ctx)
{
	for (unsigned f = 0; f < _RECORD_FORMAT_MAX; f++)
		encode_and_check_one(f, h, ctx);
}

/* A NUL-terminated string of at most 64 bytes from the input, or NULL. */
static const char *take_string(const uint8_t **data, size_t *size, char *buf, size_t cap)
{
	size_t n;

	if (*size == 0)
		return NULL;
	n = **data % cap;
	(*data)++, (*size)--;
	if (n > *size)
		n = *size;
	memcpy(buf, *data, n);
	buf[n] = '\0';
	*data += n, *size -= n;
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static _Alignas(8) unsigned char rec[8192];
	const struct clawos_event_hdr *h;
	char exe[64], user[64], cg[64], anc[64];
	struct event_context ctx = {.realtime_offset_ns = 1767323045123456789LL, .host = "fuzzhost"};
	size_t want, n;
	unsigned type;

	/* as it came */
	if (size <= sizeof(rec) && event_decode(data, size, &h) == DECODE_OK) {
		memcpy(rec, data, size);
		encode_and_check((const struct clawos_event_hdr *)rec, &ctx);
	}
	if (size < 1)
		return 0;
	type = data[0] % CLAWOS_EV_MAX;
	data++, size--;
	want = event_type_size(type);
	if (!want || want > sizeof(rec))
		return 0;
	ctx.exe = take_string(&data, &size, exe, sizeof(exe));
	ctx.user = take_string(&data, &size, user, sizeof(user));
	ctx.cgroup_path = take_string(&data, &size, cg, sizeof(cg));
	if (size && (data[0] & 1)) {
		ctx.target_name = "fuzz";
		ctx.target_root_pid = 1;
		ctx.target_session = 7;
	}
	for (int i = 0; i < CLAWOS_ANOMALY_ANCESTRY; i++)
		ctx.ancestry_exe[i] = (i & 1) ? NULL : take_string(&data, &size, anc, sizeof(anc));
	memset(rec, 0, want);
	n = size < want ? size : want;
	memcpy(rec, data, n);
	if (type == CLAWOS_EV_EXEC) {
		/* variable size: as many bytes of args as the input has */
		struct clawos_exec_event *e = (struct clawos_exec_event *)rec;
		size_t args = n > CLAWOS_EXEC_FIXED_SIZE ? n - CLAWOS_EXEC_FIXED_SIZE : 0;

		e->args_len = (uint16_t)args;
		want = CLAWOS_EXEC_FIXED_SIZE + args;
	}
	if (type == CLAWOS_EV_FILE) {
		struct clawos_file_event *e = (struct clawos_file_event *)rec;
		size_t req = n > CLAWOS_FILE_FIXED_SIZE ? n - CLAWOS_FILE_FIXED_SIZE : 0;

		e->requested_len = (uint16_t)req;
		want = CLAWOS_FILE_FIXED_SIZE + req;
		if (n < CLAWOS_FILE_FIXED_SIZE) { /* the short form */
			e->requested_len = 0;
			e->xflags &= ~CLAWOS_FILE_X_ROOT;
			want = CLAWOS_FILE_MIN_SIZE;
		}
	}
	/* a header the decoder accepts; the body stays as the fuzzer made it */
	((struct clawos_event_hdr *)rec)->type = (uint8_t)type;
	((struct clawos_event_hdr *)rec)->version = CLAWOS_ABI_VERSION;
	((struct clawos_event_hdr *)rec)->size = (uint16_t)want;
	if (event_decode(rec, want, &h) != DECODE_OK)
		return 0;
	encode_and_check(h, &ctx);
	return 0;
}
