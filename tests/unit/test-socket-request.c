/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* socket-request.c: the format request of an event socket client, and how
 * `clawos-ebpf events` tells the formats and error lines apart. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "agent/socket-request.h"

static int parse(const char *s, char *err)
{
	return socket_request_parse(s, strlen(s), err, 160);
}

static void test_parse_good(void **state)
{
	char err[160] = "";

	assert_int_equal(parse("format native", err), RECORD_FORMAT_NATIVE);
	assert_int_equal(parse("format ecs", err), RECORD_FORMAT_ECS);
	assert_int_equal(parse("format ocsf", err), RECORD_FORMAT_OCSF);
	assert_int_equal(parse("format ocsf\r", err), RECORD_FORMAT_OCSF); /* from a telnet-like client */
	assert_string_equal(err, "");
	/* not NUL-terminated: only len bytes count */
	assert_int_equal(socket_request_parse("format ecsXYZ", 10, err, sizeof(err)), RECORD_FORMAT_ECS);
}

static void test_parse_bad(void **state)
{
	char err[160], line[200];

	assert_int_equal(parse("format xml", err), -EINVAL);
	assert_string_equal(err, "unknown format 'xml' (native, ecs, ocsf)");
	assert_int_equal(parse("format ECS", err), -EINVAL); /* names are lower case, as in the config */
	assert_int_equal(parse("format", err), -EINVAL);
	assert_non_null(strstr(err, "unknown request"));
	assert_int_equal(parse("format ", err), -EINVAL);
	assert_non_null(strstr(err, "without a valid format name"));
	assert_int_equal(parse("format  ecs", err), -EINVAL);
	assert_int_equal(parse("format ecs ", err), -EINVAL);
	assert_int_equal(parse("", err), -EINVAL);
	assert_int_equal(parse("hello", err), -EINVAL);
	assert_string_equal(err, "unknown request (the only one is 'format native|ecs|ocsf')");
	assert_int_equal(parse("FORMAT ecs", err), -EINVAL);
	assert_int_equal(socket_request_parse("format e\0s", 10, err, sizeof(err)), -EINVAL);
	/* the message goes into a JSON string: nothing that needs escaping */
	assert_int_equal(parse("format a\"b\\c", err), -EINVAL);
	assert_string_equal(err, "unknown format 'a?b?c' (native, ecs, ocsf)");
	memset(line, 'a', sizeof(line));
	memcpy(line, "format ", 7);
	assert_int_equal(socket_request_parse(line, SOCKET_REQUEST_MAX, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "longer than"));
	/* a small err buffer is cut, not overrun */
	assert_int_equal(socket_request_parse("format xml", 10, err, 8), -EINVAL);
	assert_int_equal(strlen(err), 7);
}

static void test_request_line(void **state)
{
	char buf[SOCKET_REQUEST_MAX], err[160];
	int n;

	for (int f = 0; f < _RECORD_FORMAT_MAX; f++) {
		n = socket_request_format(f, buf, sizeof(buf));
		assert_true(n > 0 && buf[n - 1] == '\n');
		/* what the client writes, the agent reads back */
		assert_int_equal(socket_request_parse(buf, (size_t)n - 1, err, sizeof(err)), f);
	}
	assert_string_equal((socket_request_format(RECORD_FORMAT_ECS, buf, sizeof(buf)), buf), "format ecs\n");
	assert_int_equal(socket_request_format(_RECORD_FORMAT_MAX, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(socket_request_format(RECORD_FORMAT_NATIVE, buf, 5), -ENOBUFS);
}

static int fmt(const char *s)
{
	return record_format_of_line(s, strlen(s));
}

static void test_line_format(void **state)
{
	char msg[64];

	assert_int_equal(fmt("{\"event\":\"exec\",\"time\":\"x\"}"), RECORD_FORMAT_NATIVE);
	assert_int_equal(fmt("{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"ecs\":{}}"), RECORD_FORMAT_ECS);
	assert_int_equal(fmt("{\"class_uid\":1007,\"class_name\":\"Process Activity\"}"), RECORD_FORMAT_OCSF);
	assert_int_equal(fmt("{\"error\":\"unknown format\"}"), -EINVAL);
	assert_int_equal(fmt("{\"eve"), -EINVAL);
	assert_int_equal(fmt(""), -EINVAL);

	assert_true(socket_error_line("{\"error\":\"unknown format 'x'\"}", 29, msg, sizeof(msg)));
	assert_string_equal(msg, "unknown format 'x'");
	assert_true(socket_error_line("{\"error\":\"a\\\"b\"}", 16, msg, sizeof(msg)));
	assert_string_equal(msg, "a\"b");
	assert_true(socket_error_line("{\"error\":\"abcdef\"}", 18, msg, 4));
	assert_string_equal(msg, "abc");
	assert_false(socket_error_line("{\"event\":\"exec\"}", 16, msg, sizeof(msg)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_good),
	    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_request_line),
	    cmocka_unit_test(test_line_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
