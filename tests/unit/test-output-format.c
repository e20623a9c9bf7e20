/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The --format names both ways, "auto" per stream, and NO_COLOR. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent/output-format.h"

static void test_names_both_ways(void **state)
{
	for (unsigned i = 0; i < _OUTPUT_FORMAT_MAX; i++) {
		const char *name = output_format_name(i);

		assert_non_null(name);
		assert_int_equal(output_format_from_name(name), (int)i);
		assert_non_null(strstr(output_format_choices(), name));
	}
	assert_null(output_format_name(_OUTPUT_FORMAT_MAX));
	assert_null(output_format_name((enum output_format) - 1));
	assert_int_equal(output_format_from_name("JSON"), -EINVAL);
	assert_int_equal(output_format_from_name(""), -EINVAL);
	assert_int_equal(output_format_from_name("text "), -EINVAL);
	assert_int_equal(output_format_from_name(NULL), -EINVAL);
	assert_string_equal(output_format_choices(), "auto, json, text");
}

static void test_resolve_and_color(void **state)
{
	assert_int_equal(output_format_resolve(OUTPUT_FORMAT_AUTO, true), OUTPUT_FORMAT_TEXT);
	assert_int_equal(output_format_resolve(OUTPUT_FORMAT_AUTO, false), OUTPUT_FORMAT_JSON);
	assert_int_equal(output_format_resolve(OUTPUT_FORMAT_JSON, true), OUTPUT_FORMAT_JSON);
	assert_int_equal(output_format_resolve(OUTPUT_FORMAT_TEXT, false), OUTPUT_FORMAT_TEXT);

	assert_true(output_color_wanted(OUTPUT_FORMAT_TEXT, true, NULL));
	assert_true(output_color_wanted(OUTPUT_FORMAT_TEXT, true, "")); /* no-color.org: set and non-empty */
	assert_false(output_color_wanted(OUTPUT_FORMAT_TEXT, true, "1"));
	assert_false(output_color_wanted(OUTPUT_FORMAT_TEXT, false, NULL)); /* text into a pipe: plain */
	assert_false(output_color_wanted(OUTPUT_FORMAT_JSON, true, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names_both_ways),
	    cmocka_unit_test(test_resolve_and_color),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
