/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The allocation-free JSON writer against json-c: the agent's records come
 * from both (kernel records from the writer, its own from json-c), so the
 * two must print the same bytes for the same values - strings with every
 * byte value, integers at their limits, nesting, null and booleans.  Also:
 * a malformed use (too deep, unbalanced) yields no line, and a warm writer
 * does not reallocate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "agent/util/json-writer.h"
#include "agent/util/utf8.h"

#define JSONC_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static void assert_same(struct json_object *o, const char *got)
{
	const char *want = json_object_to_json_string_ext(o, JSONC_FLAGS);

	assert_non_null(got);
	if (strcmp(want, got) != 0)
		fail_msg("writer and json-c differ\n writer: %s\n json-c: %s", got, want);
	json_object_put(o);
}

/* xorshift: the same strings on every run */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Bytes biased to the ones that need escaping or cleaning. */
static char rng_byte(void)
{
	static const char special[] = "\"\\/\b\f\n\r\t\x01\x1f\x7f\x80\xbf\xc0\xc3\xa9\xe2\x82\xac\xed\xa0\xf0\x9f\xff";
	uint64_t r = rng();

	switch (r % 4) {
	case 0:
		return special[(r >> 8) % (sizeof(special) - 1)];
	case 1:
		return (char)(1 + (r >> 8) % 255); /* any byte but NUL */
	default:
		return (char)(' ' + (r >> 8) % 95);
	}
}

static void test_strings_like_jsonc(void **state)
{
	static char clean[3 * 400 + 1];
	struct json_writer w = {};
	char s[400];

	for (int iter = 0; iter < 20000; iter++) {
		size_t n = rng() % sizeof(s), c;
		struct json_object *o = json_object_new_object();

		for (size_t i = 0; i < n; i++)
			s[i] = rng_byte();
		/* json-c gets the cleaned string: it does not check UTF-8 */
		c = utf8_clean(s, n, clean, sizeof(clean), NULL);
		json_object_object_add(o, "k", json_object_new_string_len(clean, (int)c));
		json_object_object_add(o, "n", NULL);
		jw_begin(&w);
		jw_string_clean(&w, "k", s, n);
		jw_string(&w, "n", NULL);
		assert_same(o, jw_finish(&w, NULL));
	}
	jw_free(&w);
}

/* A NUL ends a kernel buffer; maxlen ends one without a NUL. */
static void test_string_bounds(void **state)
{
	static const char buf[] = {'a', 'b', '\0', 'c'};
	static const char unterminated[4] = {'w', 'x', 'y', 'z'};
	struct json_writer w = {};

	jw_begin(&w);
	jw_string_clean(&w, "a", buf, sizeof(buf));
	jw_string_clean(&w, "b", unterminated, 3);
	jw_string_clean(&w, "c", unterminated, 0);
	assert_string_equal(jw_finish(&w, NULL), "{\"a\":\"ab\",\"b\":\"wxy\",\"c\":\"\"}");
	jw_free(&w);
}

static void test_numbers_like_jsonc(void **state)
{
	static const int64_t ints[] = {0, 1, -1, 9, 10, -10, 2147483647, -2147483648LL, INT64_MAX, INT64_MIN};
	static const uint64_t uints[] = {0, 1, 10, 4294967295ULL, 4294967296ULL, UINT64_MAX};
	struct json_writer w = {};
	struct json_object *o = json_object_new_object(), *a = json_object_new_array(), *u = json_object_new_array();

	jw_begin(&w);
	jw_array(&w, "i");
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		jw_int(&w, NULL, ints[i]);
		json_object_array_add(a, json_object_new_int64(ints[i]));
	}
	jw_end(&w);
	jw_array(&w, "u");
	for (size_t i = 0; i < sizeof(uints) / sizeof(uints[0]); i++) {
		jw_uint(&w, NULL, uints[i]);
		json_object_array_add(u, json_object_new_uint64(uints[i]));
	}
	/* every length from 1 to 20 digits, both signs: 10^k - 1, 10^k and
	 * random values of each magnitude */
	for (uint64_t p = 1, k = 0; k < 20; k++, p *= 10) {
		uint64_t vals[] = {p - 1, p, p + rng() % (k < 19 ? p * 9 : UINT64_MAX - p)};

		for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
			jw_uint(&w, NULL, vals[i]);
			json_object_array_add(u, json_object_new_uint64(vals[i]));
			if (vals[i] <= INT64_MAX) {
				jw_int(&w, NULL, -(int64_t)vals[i]);
				json_object_array_add(u, json_object_new_int64(-(int64_t)vals[i]));
			}
		}
	}
	jw_end(&w);
	jw_bool(&w, "t", true);
	jw_bool(&w, "f", false);
	json_object_object_add(o, "i", a);
	json_object_object_add(o, "u", u);
	json_object_object_add(o, "t", json_object_new_boolean(1));
	json_object_object_add(o, "f", json_object_new_boolean(0));
	assert_same(o, jw_finish(&w, NULL));
	jw_free(&w);
}

static void test_nesting_like_jsonc(void **state)
{
	struct json_writer w = {};
	struct json_object *o = json_object_new_object(), *x = json_object_new_object(), *arr = json_object_new_array();
	struct json_object *inner = json_object_new_object();

	jw_begin(&w);
	jw_object(&w, "empty_obj");
	jw_end(&w);
	jw_array(&w, "empty_arr");
	jw_end(&w);
	jw_object(&w, "x");
	jw_array(&w, "arr");
	jw_object(&w, NULL);
	jw_int(&w, "pid", 1);
	jw_null(&w, "exe");
	jw_end(&w);
	jw_string(&w, NULL, "s");
	jw_end(&w);
	jw_end(&w);
	jw_string(&w, "after", "/a/b");

	json_object_object_add(o, "empty_obj", json_object_new_object());
	json_object_object_add(o, "empty_arr", json_object_new_array());
	json_object_object_add(inner, "pid", json_object_new_int(1));
	json_object_object_add(inner, "exe", NULL);
	json_object_array_add(arr, inner);
	json_object_array_add(arr, json_object_new_string("s"));
	json_object_object_add(x, "arr", arr);
	json_object_object_add(o, "x", x);
	json_object_object_add(o, "after", json_object_new_string("/a/b"));
	assert_same(o, jw_finish(&w, NULL));
	jw_free(&w);
}

/* Misuse never yields a line, and the next record is whole again. */
static void test_malformed_gives_nothing(void **state)
{
	struct json_writer w = {};
	size_t len = 0;

	jw_begin(&w);
	for (int i = 0; i < JW_DEPTH_MAX + 2; i++)
		jw_object(&w, "d");
	assert_null(jw_finish(&w, NULL));

	jw_begin(&w);
	jw_array(&w, "open");
	assert_null(jw_finish(&w, NULL)); /* an unclosed array */

	jw_begin(&w);
	jw_end(&w); /* closes the top level: unbalanced */
	assert_null(jw_finish(&w, NULL));

	jw_begin(&w);
	jw_int(&w, "ok", 1);
	assert_string_equal(jw_finish(&w, &len), "{\"ok\":1}");
	assert_int_equal(len, 8);
	jw_free(&w);
}

/* Pre-encoded text: a raw value, raw members, in objects and arrays, with
 * the separators a member written the usual way would get. */
static void test_raw(void **state)
{
	struct json_writer w = {};
	size_t len;

	jw_begin(&w);
	jw_members(&w, "\"a\":1,\"b\":\"x\"", 13);
	jw_raw(&w, "c", "{\"d\":[1,2]}");
	jw_object(&w, "e");
	jw_members(&w, "\"f\":null", 8);
	jw_int(&w, "g", 2);
	jw_members(&w, "", 0); /* nothing, not even a comma */
	jw_end(&w);
	jw_array(&w, "h");
	jw_raw(&w, NULL, "true");
	jw_raw(&w, NULL, "\"y\"");
	jw_end(&w);
	jw_string(&w, "i", "z");
	assert_string_equal(jw_finish(&w, &len),
			    "{\"a\":1,\"b\":\"x\",\"c\":{\"d\":[1,2]},\"e\":{\"f\":null,\"g\":2},\"h\":[true,\"y\"],"
			    "\"i\":\"z\"}");
	assert_int_equal(len, 75);
	jw_free(&w);
}

/* Once grown to the largest record, the buffer is reused as it is. */
static void test_warm_writer_does_not_reallocate(void **state)
{
	struct json_writer w = {};
	char big[4096];
	char *buf;
	size_t cap;

	memset(big, '\n', sizeof(big) - 1); /* each byte escapes to two */
	big[sizeof(big) - 1] = '\0';
	jw_begin(&w);
	jw_string_clean(&w, "big", big, sizeof(big));
	assert_non_null(jw_finish(&w, NULL));
	buf = w.buf;
	cap = w.cap;
	for (int i = 0; i < 10000; i++) {
		jw_begin(&w);
		jw_string_clean(&w, "big", big, (size_t)i % sizeof(big));
		jw_uint(&w, "i", (uint64_t)i);
		assert_non_null(jw_finish(&w, NULL));
		assert_ptr_equal(w.buf, buf);
		assert_int_equal(w.cap, cap);
	}
	jw_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strings_like_jsonc),
	    cmocka_unit_test(test_string_bounds),
	    cmocka_unit_test(test_numbers_like_jsonc),
	    cmocka_unit_test(test_nesting_like_jsonc),
	    cmocka_unit_test(test_malformed_gives_nothing),
	    cmocka_unit_test(test_warm_writer_does_not_reallocate),
	    cmocka_unit_test(test_raw),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
