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
#include <string.h>

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

/* key: NULL inside an array, a literal inside an object.  The calls are
 * macros over the _k functions, which take the key's length: for a literal
 * the compiler computes it, so no key is measured per record. */
static inline size_t jw_keylen(const char *key)
{
	return key ? __builtin_strlen(key) : 0;
}

/* Room for more bytes and a NUL; false (and the writer failed) when memory
 * ran out.  The test is inline, the growth is not. */
bool jw_grow(struct json_writer *w, size_t more);

static inline bool jw_room(struct json_writer *w, size_t more)
{
	if (!w->failed && w->len + more + 1 <= w->cap)
		return true;
	return jw_grow(w, more);
}

/* The separator and "key": of the next member (no key: an array element).
 * Inline, so that copying a literal key is a few moves, not a call. */
static inline void jw_key(struct json_writer *w, const char *key, size_t n)
{
	uint32_t bit = 1u << w->depth;

	if (!jw_room(w, n + 4))
		return;
	if (w->has_member & bit)
		w->buf[w->len++] = ',';
	w->has_member |= bit;
	if (key) {
		w->buf[w->len++] = '"';
		memcpy(w->buf + w->len, key, n);
		w->len += n;
		w->buf[w->len++] = '"';
		w->buf[w->len++] = ':';
	}
}

/* The values, written after jw_key. */
void jw_null_v(struct json_writer *w);
void jw_bool_v(struct json_writer *w, bool v);
void jw_int_v(struct json_writer *w, int64_t v);
void jw_uint_v(struct json_writer *w, uint64_t v);
void jw_string_v(struct json_writer *w, const char *s);
void jw_string_clean_v(struct json_writer *w, const char *s, size_t maxlen);

void jw_object_k(struct json_writer *w, const char *key, size_t keylen);
void jw_array_k(struct json_writer *w, const char *key, size_t keylen);
void jw_end(struct json_writer *w); /* closes the innermost object or array */

void jw_null_k(struct json_writer *w, const char *key, size_t keylen);
void jw_bool_k(struct json_writer *w, const char *key, size_t keylen, bool v);
void jw_int_k(struct json_writer *w, const char *key, size_t keylen, int64_t v);
void jw_uint_k(struct json_writer *w, const char *key, size_t keylen, uint64_t v);
/* s: valid UTF-8, NUL-terminated (names, formatted text); NULL writes null. */
void jw_string_k(struct json_writer *w, const char *key, size_t keylen, const char *s);
/* At most maxlen bytes of s, stopping at a NUL, cleaned to valid UTF-8
 * (each bad byte becomes U+FFFD); NULL writes null. */
void jw_string_clean_k(struct json_writer *w, const char *key, size_t keylen, const char *s, size_t maxlen);
/* A member (or array element) whose value is len bytes of JSON text of
 * ours, written as it is: constant parts of a record, encoded once. */
void jw_raw_k(struct json_writer *w, const char *key, size_t keylen, const char *json, size_t len);
/* len bytes of members of ours ("a":1,"b":"x"), written as they are into
 * the current object. */
void jw_members(struct json_writer *w, const char *json, size_t len);

#define jw_object(w, key) jw_object_k((w), (key), jw_keylen(key))
#define jw_array(w, key) jw_array_k((w), (key), jw_keylen(key))
#define jw_null(w, key) (jw_key((w), (key), jw_keylen(key)), jw_null_v(w))
#define jw_bool(w, key, v) (jw_key((w), (key), jw_keylen(key)), jw_bool_v((w), (v)))
#define jw_int(w, key, v) (jw_key((w), (key), jw_keylen(key)), jw_int_v((w), (v)))
#define jw_uint(w, key, v) (jw_key((w), (key), jw_keylen(key)), jw_uint_v((w), (v)))
#define jw_string(w, key, s) (jw_key((w), (key), jw_keylen(key)), jw_string_v((w), (s)))
#define jw_string_clean(w, key, s, maxlen) (jw_key((w), (key), jw_keylen(key)), jw_string_clean_v((w), (s), (maxlen)))
/* For string literals: the text is measured by the compiler. */
#define jw_raw(w, key, json) jw_raw_k((w), (key), jw_keylen(key), (json), sizeof(json) - 1)
