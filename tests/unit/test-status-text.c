/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `clawos-ebpf status` as text: a status object of a real agent
 * (tests/data/text/status.json) against tests/data/text/status.txt
 * (CLAWOS_UPDATE_GOLDEN=1 rewrites it); hostile strings stay escaped; a
 * reply that is not a status object is refused; a sparse one still prints.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "agent/status-text.h"

#ifndef CLAWOS_SOURCE_ROOT
#define CLAWOS_SOURCE_ROOT "."
#endif

static char *render(struct json_object *st, int *r)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&buf, &size);

	assert_non_null(m);
	*r = status_text_write(st, m);
	fclose(m);
	return buf;
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t size = 0;

	if (!f)
		return NULL;
	assert_true(getdelim(&buf, &size, '\0', f) >= 0);
	fclose(f);
	return buf;
}

static void test_golden(void **state)
{
	const char *root = getenv("CLAWOS_SOURCE_ROOT") ?: CLAWOS_SOURCE_ROOT;
	char in[4200], out[4200], *got, *want;
	struct json_object *st;
	int r;

	snprintf(in, sizeof(in), "%s/tests/data/text/status.json", root);
	snprintf(out, sizeof(out), "%s/tests/data/text/status.txt", root);
	st = json_object_from_file(in);
	assert_non_null(st);
	got = render(st, &r);
	assert_int_equal(r, 0);
	if (getenv("CLAWOS_UPDATE_GOLDEN")) {
		FILE *f = fopen(out, "we");

		assert_non_null(f);
		fputs(got, f);
		fclose(f);
	}
	want = read_all(out);
	if (!want)
		fail_msg("missing %s (run with CLAWOS_UPDATE_GOLDEN=1)", out);
	if (strcmp(got, want) != 0)
		fail_msg("differs from %s; got:\n%s", out, got);
	/* the figures people look for */
	assert_non_null(strstr(got, "clawos-ebpf 0.1.0, pid 4242, up 1 h 02 min\n"));
	assert_non_null(strstr(got, "config     /etc/clawos-ebpf/clawos-ebpf.conf\n"));
	assert_non_null(strstr(got, "tamper        tracepoint degraded: missing here"));
	assert_non_null(strstr(got, "clients    2 on the socket"));
	assert_non_null(strstr(got, "file_violation 1"));
	free(got);
	free(want);
	json_object_put(st);
}

static void test_hostile_and_sparse(void **state)
{
	struct json_object *st = json_tokener_parse(
	    "{\"version\":\"1\\u001b[2J\",\"config\":{\"path\":\"/tmp/a b\\u202e\",\"sha256\":\"\\u0007\"},"
	    "\"hooks\":{\"x\\n\":{\"state\":\"degraded\",\"reason\":\"\\u009b31m\"}},\"events\":{\"e\\r\":7}}");
	char *got;
	int r;

	assert_non_null(st);
	got = render(st, &r);
	assert_int_equal(r, 0);
	for (const unsigned char *p = (const unsigned char *)got; *p; p++) {
		if (*p < 0x20 && *p != '\n')
			fail_msg("control byte 0x%02x in:\n%s", *p, got);
		if (p[0] == 0xc2 && p[1] == 0x9b)
			fail_msg("C1 CSI in:\n%s", got);
	}
	assert_non_null(strstr(got, "$'/tmp/a b\\u202e'"));
	free(got);
	json_object_put(st);

	/* no counters at all: zeros, not a crash */
	st = json_tokener_parse("{\"version\":\"2\"}");
	got = render(st, &r);
	assert_int_equal(r, 0);
	assert_non_null(strstr(got, "clawos-ebpf 2, up 0 s\n"));
	free(got);
	json_object_put(st);

	st = json_tokener_parse("{\"event\":\"stats\"}");
	got = render(st, &r);
	assert_int_equal(r, -EINVAL);
	free(got);
	json_object_put(st);
	got = render(NULL, &r);
	assert_int_equal(r, -EINVAL);
	free(got);
}

/* aggregate_window: a line when set (active or unavailable), none when off. */
static void test_aggregation(void **state)
{
	static const struct {
		const char *json, *want;
	} cases[] = {
	    {"{\"version\":\"1\",\"aggregation\":{\"window_ms\":200,\"state\":\"active\"}}",
	     "aggregate_window 200 ms: active\n"},
	    {"{\"version\":\"1\",\"aggregation\":{\"window_ms\":5,\"state\":\"unavailable\",\"reason\":\"no "
	     "bpf_timer\"}}",
	     "aggregate_window 5 ms: unavailable (no bpf_timer)\n"},
	    {"{\"version\":\"1\",\"aggregation\":{\"window_ms\":0,\"state\":\"off\"}}", NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *st = json_tokener_parse(cases[i].json);
		char *got;
		int r;

		assert_non_null(st);
		got = render(st, &r);
		assert_int_equal(r, 0);
		if (cases[i].want)
			assert_non_null(strstr(got, cases[i].want));
		else
			assert_null(strstr(got, "aggregat"));
		free(got);
		json_object_put(st);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden),
	    cmocka_unit_test(test_hostile_and_sparse),
	    cmocka_unit_test(test_aggregation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
