/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A JSON writer for the per-event path: appends one object to a buffer the
 * writer keeps from record to record, so that encoding a record allocates
 * nothing once the buffer has grown to the largest record.  The output is
 * byte for byte what json-c prints with JSON_C_TO_STRING_PLAIN |
 * JSON_C_TO_STRING_NOSLASHESCAPE (the low-rate records - startup, stats,
 * events_lost - are still built with json-c; tests/unit/test-json-writer.c
 * holds the two to the same escaping).
 *
 * Keys are string literals of ours and are written as they are; values of
 * type string are escaped, and jw_string_clean also turns a kernel buffer
 * into valid UTF-8 first.  Nesting is bounded (JW_DEPTH_MAX); deeper
 * writes, like a failed allocation, mark the writer failed and jw_finish
 * then returns NULL: a record is never emitted half-written.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JW_DEPTH_MAX 8

struct json_writer {
	char *buf;
	size_t len, cap;
	unsigned depth;
	uint32_t has_member; /* bit d: the container at depth d has a member */
	uint32_t is_array;   /* bit d: the container at depth d is an array */
	bool failed;
};

/* Empties the buffer (keeping its memory) and opens the top-level object. */
void jw_begin(struct json_writer *w);
/* Closes the top-level object; the NUL-terminated line, or NULL if failed. */
const char *jw_finish(struct json_writer *w, size_t *len);
void jw_free(struct json_writer *w);

/* key: NULL inside an array, a literal inside an object. */
void jw_object(struct json_writer *w, const char *key);
void jw_array(struct json_writer *w, const char *key);
void jw_end(struct json_writer *w); /* closes the innermost object or array */

void jw_null(struct json_writer *w, const char *key);
void jw_bool(struct json_writer *w, const char *key, bool v);
void jw_int(struct json_writer *w, const char *key, int64_t v);
void jw_uint(struct json_writer *w, const char *key, uint64_t v);
/* s: valid UTF-8, NUL-terminated (names, formatted text); NULL writes null. */
void jw_string(struct json_writer *w, const char *key, const char *s);
/* At most maxlen bytes of s, stopping at a NUL, cleaned to valid UTF-8
 * (each bad byte becomes U+FFFD); NULL writes null. */
void jw_string_clean(struct json_writer *w, const char *key, const char *s, size_t maxlen);
