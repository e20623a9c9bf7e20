/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "json-writer.h"
#include "macro.h"
#include "utf8.h"

#define JW_STRING_MAX 4096 /* PATH_MAX: the longest string we encode */

/* Eight bytes at a time over the strings (SWAR): most need no escaping and
 * no cleaning, and are copied as they are. */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static inline uint64_t load64(const char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The last n < 8 bytes, zero-padded. */
static inline uint64_t tail64(const char *p, size_t n)
{
	uint64_t v = 0;

	memcpy(&v, p, n);
	return v;
}

static inline uint64_t has_zero(uint64_t v)
{
	return (v - ONES) & ~v & HIGHS;
}

/* Some byte of v is below 0x20, '"' or '\\' (exact: a borrow only follows
 * a byte that matched). */
static inline bool needs_escape(uint64_t v)
{
	return ((v - ONES * 0x20) & ~v & HIGHS) | has_zero(v ^ (ONES * '"')) | has_zero(v ^ (ONES * '\\'));
}

bool jw_grow(struct json_writer *w, size_t more)
{
	size_t want = w->len + more + 1, cap;
	char *b;

	if (w->failed)
		return false;
	if (want <= w->cap)
		return true;
	cap = w->cap ? w->cap : 1024;
	while (cap < want)
		cap *= 2;
	b = realloc(w->buf, cap);
	if (!b) {
		w->failed = true;
		return false;
	}
	w->buf = b;
	w->cap = cap;
	return true;
}

#define jw_reserve jw_room

static void jw_put(struct json_writer *w, const char *s, size_t n)
{
	if (!jw_reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void jw_putc(struct json_writer *w, char c)
{
	if (!jw_reserve(w, 1))
		return;
	w->buf[w->len++] = c;
}

#define jw_member jw_key

static void jw_open(struct json_writer *w, const char *key, size_t keylen, char c)
{
	jw_member(w, key, keylen);
	if (w->depth + 1 >= JW_DEPTH_MAX) {
		w->failed = true;
		return;
	}
	jw_putc(w, c);
	w->depth++;
	w->has_member &= ~(1u << w->depth);
	if (c == '[')
		w->is_array |= 1u << w->depth;
	else
		w->is_array &= ~(1u << w->depth);
}

void jw_begin(struct json_writer *w)
{
	w->len = 0;
	w->depth = 0;
	w->has_member = 0;
	w->is_array = 0;
	w->failed = false;
	jw_putc(w, '{');
}

const char *jw_finish(struct json_writer *w, size_t *len)
{
	jw_putc(w, '}');
	if (w->failed || w->depth != 0 || !jw_reserve(w, 0))
		return NULL;
	w->buf[w->len] = '\0';
	if (len)
		*len = w->len;
	return w->buf;
}

void jw_free(struct json_writer *w)
{
	free(w->buf);
	*w = (struct json_writer){};
}

void jw_object_k(struct json_writer *w, const char *key, size_t keylen)
{
	jw_open(w, key, keylen, '{');
}

void jw_array_k(struct json_writer *w, const char *key, size_t keylen)
{
	jw_open(w, key, keylen, '[');
}

void jw_end(struct json_writer *w)
{
	if (w->depth == 0) {
		w->failed = true;
		return;
	}
	jw_putc(w, w->is_array & (1u << w->depth) ? ']' : '}');
	w->depth--;
}

void jw_null_v(struct json_writer *w)
{
	jw_put(w, "null", 4);
}

void jw_null_k(struct json_writer *w, const char *key, size_t keylen)
{
	jw_member(w, key, keylen);
	jw_null_v(w);
}

void jw_bool_v(struct json_writer *w, bool v)
{
	if (v)
		jw_put(w, "true", 4);
	else
		jw_put(w, "false", 5);
}

void jw_bool_k(struct json_writer *w, const char *key, size_t keylen, bool v)
{
	jw_member(w, key, keylen);
	jw_bool_v(w, v);
}

/* Two digits per division: the numbers of a record (times, ids, sequence
 * numbers) have 4 to 20 digits. */
static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
				     "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
				     "8081828384858687888990919293949596979899";

static void jw_digits(struct json_writer *w, uint64_t v, bool negative)
{
	char tmp[24];
	size_t n = sizeof(tmp);

	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;

		v /= 100;
		n -= 2;
		tmp[n] = digit_pairs[d];
		tmp[n + 1] = digit_pairs[d + 1];
	}
	if (v >= 10) {
		n -= 2;
		tmp[n] = digit_pairs[v * 2];
		tmp[n + 1] = digit_pairs[v * 2 + 1];
	} else {
		tmp[--n] = (char)('0' + v);
	}
	if (negative)
		tmp[--n] = '-';
	jw_put(w, tmp + n, sizeof(tmp) - n);
}

void jw_int_v(struct json_writer *w, int64_t v)
{
	/* the magnitude of INT64_MIN does not fit int64_t: negate unsigned */
	jw_digits(w, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0);
}

void jw_int_k(struct json_writer *w, const char *key, size_t keylen, int64_t v)
{
	jw_member(w, key, keylen);
	jw_int_v(w, v);
}

void jw_uint_v(struct json_writer *w, uint64_t v)
{
	jw_digits(w, v, false);
}

void jw_uint_k(struct json_writer *w, const char *key, size_t keylen, uint64_t v)
{
	jw_member(w, key, keylen);
	jw_uint_v(w, v);
}

/* json-c's escaping: \b \f \n \r \t \" \\ by name, other bytes below 0x20
 * as \u00xx (lower-case hex); '/' as is (NOSLASHESCAPE); all else as is. */
static void jw_escaped(struct json_writer *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = 0;

	/* worst case: every byte becomes \u00xx */
	if (!jw_reserve(w, 6 * n + 2))
		return;
	w->buf[w->len++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c;
		char *o;

		while (i + 8 <= n && !needs_escape(load64(s + i)))
			i += 8;
		if (i >= n)
			break;
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		memcpy(w->buf + w->len, s + start, i - start);
		w->len += i - start;
		start = i + 1;
		o = w->buf + w->len;
		o[0] = '\\';
		switch (c) {
		case '"':
		case '\\':
			o[1] = (char)c;
			break;
		case '\b':
			o[1] = 'b';
			break;
		case '\f':
			o[1] = 'f';
			break;
		case '\n':
			o[1] = 'n';
			break;
		case '\r':
			o[1] = 'r';
			break;
		case '\t':
			o[1] = 't';
			break;
		default:
			memcpy(o + 1, "u00", 3);
			o[4] = hex[c >> 4];
			o[5] = hex[c & 0xf];
			w->len += 6;
			continue;
		}
		w->len += 2;
	}
	memcpy(w->buf + w->len, s + start, n - start);
	w->len += n - start;
	w->buf[w->len++] = '"';
}

void jw_string_v(struct json_writer *w, const char *s)
{
	if (!s)
		jw_put(w, "null", 4);
	else
		jw_escaped(w, s, strlen(s));
}

void jw_string_k(struct json_writer *w, const char *key, size_t keylen, const char *s)
{
	jw_member(w, key, keylen);
	jw_string_v(w, s);
}

void jw_string_clean_k(struct json_writer *w, const char *key, size_t keylen, const char *s, size_t maxlen)
{
	jw_member(w, key, keylen);
	jw_string_clean_v(w, s, maxlen);
}

void jw_string_clean_v(struct json_writer *w, const char *s, size_t maxlen)
{
	/* every invalid byte may become 3 bytes of U+FFFD */
	static __thread char buf[3 * JW_STRING_MAX + 1];
	size_t n = 0, max = MIN(maxlen, (size_t)JW_STRING_MAX);
	bool ascii = true;

	if (!s) {
		jw_null_v(w);
		return;
	}
	/* fast path: plain ASCII needs no cleaning */
	n = strnlen(s, max);
	for (size_t i = 0; i < n && ascii; i += 8)
		ascii = !((i + 8 <= n ? load64(s + i) : tail64(s + i, n - i)) & HIGHS);
	if (ascii) {
		jw_escaped(w, s, n);
		return;
	}
	n = utf8_clean(s, n, buf, sizeof(buf), NULL);
	jw_escaped(w, buf, n);
}

void jw_raw_k(struct json_writer *w, const char *key, size_t keylen, const char *json, size_t len)
{
	jw_member(w, key, keylen);
	jw_put(w, json, len);
}

void jw_members(struct json_writer *w, const char *json, size_t len)
{
	uint32_t bit = 1u << w->depth;

	if (!len)
		return;
	if (!jw_reserve(w, len + 1))
		return;
	if (w->has_member & bit)
		w->buf[w->len++] = ',';
	w->has_member |= bit;
	memcpy(w->buf + w->len, json, len);
	w->len += len;
}
