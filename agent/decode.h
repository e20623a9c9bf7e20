/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Validation of raw ring-buffer records.  Nothing from the ring buffer is
 * trusted before it passes here: type known, ABI version ours, size exactly
 * the size of that type, in the buffer and in the header (exec: the fixed
 * part plus args_len).
 */

#include <stddef.h>
#include <stdint.h>

#include "bpf/clawos-abi.h"

enum decode_error {
	DECODE_OK = 0,
	DECODE_TRUNCATED, /* shorter than the header or than its type */
	DECODE_BAD_VERSION,
	DECODE_UNKNOWN_TYPE,
	DECODE_SIZE_MISMATCH, /* hdr.size or buffer size differs from the type */
	_DECODE_ERROR_MAX,
};

/* Size of a record type (the largest, for exec), 0 for unknown types. */
size_t event_type_size(unsigned type);
/* The smallest valid size of a record type (exec: its fixed part). */
size_t event_type_min_size(unsigned type);
/* "file_access", "network", … as used in JSON and CLAWOS_EVENT; NULL if unknown. */
const char *event_type_name(unsigned type);

/* Returns DECODE_OK and sets *hdr on success. */
enum decode_error event_decode(const void *data, size_t size, const struct clawos_event_hdr **hdr);
const char *decode_error_name(enum decode_error e);
int decode_error_from_name(const char *s);
