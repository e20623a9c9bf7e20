/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "decode.h"
#include "macro.h"

static const struct {
	size_t size;
	const char *name;
} event_types[CLAWOS_EV_MAX] = {
    [CLAWOS_EV_ANOMALY] = {sizeof(struct clawos_anomaly_event), "anomaly"},
    [CLAWOS_EV_SYSCALL] = {sizeof(struct clawos_syscall_event), "syscall"},
    [CLAWOS_EV_FILE] = {sizeof(struct clawos_file_event), "file_access"},
    [CLAWOS_EV_NET] = {sizeof(struct clawos_net_event), "network"},
    [CLAWOS_EV_CGROUP] = {sizeof(struct clawos_cgroup_event), "cgroup"},
    [CLAWOS_EV_EXEC] = {sizeof(struct clawos_exec_event), "exec"},
    [CLAWOS_EV_NET6] = {sizeof(struct clawos_net6_event), "network"},
    [CLAWOS_EV_PROC] = {sizeof(struct clawos_proc_event), "process"},
};

_Static_assert(CLAWOS_EV_MAX == 9, "every event type has a size and a name in event_types[]");

size_t event_type_size(unsigned type)
{
	return type < CLAWOS_EV_MAX ? event_types[type].size : 0;
}

size_t event_type_min_size(unsigned type)
{
	if (type == CLAWOS_EV_EXEC)
		return CLAWOS_EXEC_FIXED_SIZE;
	if (type == CLAWOS_EV_FILE)
		return CLAWOS_FILE_MIN_SIZE;
	return event_type_size(type);
}

const char *event_type_name(unsigned type)
{
	return type < CLAWOS_EV_MAX ? event_types[type].name : NULL;
}

enum decode_error event_decode(const void *data, size_t size, const struct clawos_event_hdr **hdr)
{
	const struct clawos_event_hdr *h = data;
	size_t want;

	if (!data || size < sizeof(*h))
		return DECODE_TRUNCATED;
	if (h->version != CLAWOS_ABI_VERSION)
		return DECODE_BAD_VERSION;
	want = event_type_size(h->type);
	if (want == 0)
		return DECODE_UNKNOWN_TYPE;
	if (h->type == CLAWOS_EV_EXEC) {
		const struct clawos_exec_event *e = data;

		/* variable size: the fixed part and exactly args_len bytes */
		if (size < CLAWOS_EXEC_FIXED_SIZE)
			return DECODE_TRUNCATED;
		if (size > want || h->size != size || (size_t)e->args_len != size - CLAWOS_EXEC_FIXED_SIZE)
			return DECODE_SIZE_MISMATCH;
		*hdr = h;
		return DECODE_OK;
	}
	if (h->type == CLAWOS_EV_FILE) {
		const struct clawos_file_event *e = data;

		/* variable size: the short form without root and requested, or
		 * the fixed part and exactly requested_len bytes */
		if (size < CLAWOS_FILE_MIN_SIZE)
			return DECODE_TRUNCATED;
		if (size > want || h->size != size)
			return DECODE_SIZE_MISMATCH;
		if (size == CLAWOS_FILE_MIN_SIZE) {
			if (e->requested_len || (e->xflags & CLAWOS_FILE_X_ROOT))
				return DECODE_SIZE_MISMATCH;
		} else if (size < CLAWOS_FILE_FIXED_SIZE || (size_t)e->requested_len != size - CLAWOS_FILE_FIXED_SIZE) {
			return DECODE_SIZE_MISMATCH;
		}
		*hdr = h;
		return DECODE_OK;
	}
	if (size < want)
		return DECODE_TRUNCATED;
	if (size != want || h->size != want)
		return DECODE_SIZE_MISMATCH;
	*hdr = h;
	return DECODE_OK;
}

static const char *const decode_error_table[_DECODE_ERROR_MAX] = {
    [DECODE_OK] = "ok",
    [DECODE_TRUNCATED] = "truncated",
    [DECODE_BAD_VERSION] = "bad_version",
    [DECODE_UNKNOWN_TYPE] = "unknown_type",
    [DECODE_SIZE_MISMATCH] = "size_mismatch",
};

DEFINE_STRING_TABLE_LOOKUP(decode_error, enum decode_error, decode_error_table, "unknown");
