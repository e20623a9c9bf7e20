/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The text form of records: one golden line for every record type, from
 * the golden JSON records of tests/data/golden/ and the agent's own records
 * in tests/data/text/records.json, kept in tests/data/text/golden.txt as
 * "INPUT TEXT" lines (time zone UTC, no colour).  CLAWOS_UPDATE_GOLDEN=1
 * rewrites that file.  Then: colours by severity, what must never reach a
 * terminal, cut lines, bad input, and the list of record names against the
 * JSON Schema's.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "agent/event-text.h"

#ifndef CLAWOS_SOURCE_ROOT
#define CLAWOS_SOURCE_ROOT "."
#endif

static const char *root(void)
{
	return getenv("CLAWOS_SOURCE_ROOT") ?: CLAWOS_SOURCE_ROOT;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "NAME TEXT\n" for every input, in a fixed order, into a memstream. */
static char *format_all(void)
{
	char dir[4096], path[4200], line[65536], out[EVENT_TEXT_MAX], *names[64], *buf = NULL;
	size_t n = 0, size = 0;
	FILE *m = open_memstream(&buf, &size);
	DIR *d;
	struct dirent *de;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/tests/data/golden", root());
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) && n < 64)
		if (strstr(de->d_name, ".json"))
			names[n++] = strdup(de->d_name);
	closedir(d);
	assert_true(n >= 15);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		f = fopen(path, "re");
		assert_non_null(f);
		assert_non_null(fgets(line, sizeof(line), f));
		fclose(f);
		if (event_text_format(line, strlen(line), &(struct event_text_options){}, out, sizeof(out)) < 0)
			fail_msg("%s: not formatted", names[i]);
		fprintf(m, "%s %s\n", names[i], out);
		free(names[i]);
	}
	snprintf(path, sizeof(path), "%s/tests/data/text/records.json", root());
	f = fopen(path, "re");
	assert_non_null(f);
	for (unsigned no = 1; fgets(line, sizeof(line), f); no++) {
		if (event_text_format(line, strlen(line), &(struct event_text_options){}, out, sizeof(out)) < 0)
			fail_msg("records.json:%u: not formatted", no);
		fprintf(m, "records.json:%u %s\n", no, out);
	}
	fclose(f);
	fclose(m);
	return buf;
}

static void test_golden_lines(void **state)
{
	char path[4200], *got = format_all(), *want = NULL, *g, *w, *gs, *ws;
	size_t size = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/text/golden.txt", root());
	if (getenv("CLAWOS_UPDATE_GOLDEN")) {
		f = fopen(path, "we");
		assert_non_null(f);
		fputs(got, f);
		fclose(f);
	}
	f = fopen(path, "re");
	if (!f)
		fail_msg("missing %s (run with CLAWOS_UPDATE_GOLDEN=1)", path);
	assert_true(getdelim(&want, &size, '\0', f) > 0);
	fclose(f);
	/* line by line, to name the record that differs */
	for (g = strtok_r(got, "\n", &gs), w = strtok_r(want, "\n", &ws); g || w;
	     g = strtok_r(NULL, "\n", &gs), w = strtok_r(NULL, "\n", &ws))
		if (!g || !w || strcmp(g, w) != 0)
			fail_msg("text differs from %s\n got: %s\nwant: %s", path, g ?: "(nothing)", w ?: "(nothing)");
	free(got);
	free(want);
}

static int fmt(const char *json, bool color, char *out, size_t size)
{
	return event_text_format(json, strlen(json), &(struct event_text_options){.color = color}, out, size);
}

static void test_colors(void **state)
{
	static const struct {
		const char *severity, *prefix;
	} sev[] = {
	    {"info", NULL},	  {"low", "\033[36m"},		 {"medium", "\033[33m"},
	    {"high", "\033[31m"}, {"critical", "\033[1;37;41m"},
	};
	char json[512], out[EVENT_TEXT_MAX];
	int n;

	for (size_t i = 0; i < sizeof(sev) / sizeof(sev[0]); i++) {
		snprintf(json, sizeof(json),
			 "{\"event\":\"anomaly\",\"time\":\"2026-01-02T03:04:05.000000000Z\",\"process\":{\"pid\":1,"
			 "\"comm\":\"x\"},\"anomaly\":{\"kind\":\"tamper\",\"severity\":\"%s\",\"description\":\"d\"}}",
			 sev[i].severity);
		n = fmt(json, true, out, sizeof(out));
		assert_true(n > 0);
		if (!sev[i].prefix) {
			assert_null(strchr(out, '\033'));
			continue;
		}
		assert_memory_equal(out, sev[i].prefix, strlen(sev[i].prefix));
		assert_string_equal(out + n - 4, "\033[0m");
		/* off, the same line without the escapes */
		n = fmt(json, false, out, sizeof(out));
		assert_null(strchr(out, '\033'));
	}
	/* trace records stay uncoloured; lost records and refused reloads stand out */
	assert_true(fmt("{\"event\":\"exec\",\"exec\":{\"filename\":\"/bin/true\"}}", true, out, sizeof(out)) > 0);
	assert_null(strchr(out, '\033'));
	assert_true(fmt("{\"event\":\"events_lost\",\"lost\":3}", true, out, sizeof(out)) > 0);
	assert_memory_equal(out, "\033[33m", 5);
	assert_true(fmt("{\"event\":\"config_reload_failed\",\"error\":\"e\"}", true, out, sizeof(out)) > 0);
	assert_memory_equal(out, "\033[31m", 5);
}

/* No byte below 0x20, no DEL, no C1 control and no bidi override from any
 * input: every golden line and hostile strings in every text field. */
static void assert_terminal_safe(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fail_msg("control byte 0x%02x in: %s", *p, s);
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0)
			fail_msg("C1 control in: %s", s);
		if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae)
			fail_msg("bidi override in: %s", s);
	}
}

static void test_terminal_safe(void **state)
{
	static const char *const hostile[] = {
	    "\\u001b]0;pwned\\u0007", "a\\u009bb", "\\u202eexe.txt", "\\r\\n", "\\u007f", "\\u2066x\\u2069"};
	static const char *const templates[] = {
	    "{\"event\":\"exec\",\"process\":{\"pid\":1,\"comm\":\"%s\"},\"exec\":{\"filename\":\"%s\",\"argv\":[\"%"
	    "s\","
	    "\"%s\"],\"success\":false,\"error\":\"%s\"}}",
	    "{\"event\":\"file_access\",\"process\":{\"pid\":1,\"comm\":\"%s\"},\"file\":{\"path\":\"%s\",\"flags\":["
	    "\"%s\"],\"result\":1,\"error\":\"%s\",\"verdict\":\"%s\"}}",
	    "{\"event\":\"anomaly\",\"target\":{\"name\":\"%s\"},\"anomaly\":{\"kind\":\"%s\",\"severity\":\"%s\","
	    "\"description\":\"%s\",\"subject\":\"%s\"}}",
	    "{\"event\":\"network\",\"process\":{\"pid\":1,\"comm\":\"%s\"},\"network\":{\"op\":\"%s\",\"protocol\":\"%"
	    "s\",\"address\":\"%s\",\"port\":1,\"family\":\"%s\"}}",
	    "{\"event\":\"config_reload_failed\",\"path\":\"%s\",\"old_sha256\":\"%s\",\"error\":\"%s\",\"x\":\"%s%"
	    "s\"}",
	    "{\"event\":\"iface_state\",\"iface\":{\"name\":\"%s\",\"state\":\"%s\",\"detail\":\"%s\",\"x\":\"%s%s\"}}",
	    "{\"event\":\"%s\",\"output\":\"%s\",\"x\":\"%s%s%s\"}",
	};
	char json[2048], out[EVENT_TEXT_MAX], tmp[512];
	FILE *f;

	for (size_t t = 0; t < sizeof(templates) / sizeof(templates[0]); t++)
		for (size_t h = 0; h < sizeof(hostile) / sizeof(hostile[0]); h++) {
			const char *s = hostile[h];

			snprintf(json, sizeof(json), templates[t], s, s, s, s, s);
			assert_true(fmt(json, false, out, sizeof(out)) >= 0);
			assert_terminal_safe(out);
		}
	snprintf(tmp, sizeof(tmp), "%s/tests/data/text/golden.txt", root());
	f = fopen(tmp, "re");
	assert_non_null(f);
	while (fgets(json, sizeof(json), f)) {
		json[strcspn(json, "\n")] = '\0';
		assert_terminal_safe(json);
	}
	fclose(f);
}

static void test_quoting(void **state)
{
	char out[EVENT_TEXT_MAX];

	assert_true(
	    fmt("{\"event\":\"exec\",\"time\":\"2026-01-02T03:04:05.000000000Z\",\"process\":{\"pid\":7,\"comm\":"
		"\"sh\"},\"exec\":{\"filename\":\"/bin/echo\",\"argv\":[\"echo\",\"a b\",\"it's\",\"\",\"$HOME\","
		"\"plain-word_1.0\",\"tab\\there\"],\"success\":true}}",
		false, out, sizeof(out)) > 0);
	assert_non_null(strstr(out, "/bin/echo 'a b' 'it'\\''s' '' '$HOME' plain-word_1.0 $'tab\\there'"));
}

static void test_time_zone(void **state)
{
	const char *json = "{\"event\":\"shutdown\",\"time\":\"2026-01-02T23:59:58.987654321Z\",\"pid\":1}";
	char out[EVENT_TEXT_MAX];

	setenv("TZ", "CET-1", 1);
	tzset();
	assert_true(fmt(json, false, out, sizeof(out)) > 0);
	assert_memory_equal(out, "00:59:58.987 ", 13);
	setenv("TZ", "UTC", 1);
	tzset();
	assert_true(fmt(json, false, out, sizeof(out)) > 0);
	assert_memory_equal(out, "23:59:58.987 ", 13);
}

static void test_cut(void **state)
{
	char json[8192], out[100];
	size_t n =
	    (size_t)snprintf(json, sizeof(json), "{\"event\":\"exec\",\"exec\":{\"filename\":\"/x\",\"argv\":[\"x\"");
	int r;

	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(json + n, sizeof(json) - n, ",\"\xc3\xa9\xc3\xa9\xc3\xa9%d\"", i);
	snprintf(json + n, sizeof(json) - n, "],\"success\":true}}");
	for (size_t size = 64; size <= sizeof(out); size++) {
		r = event_text_format(json, strlen(json), &(struct event_text_options){.color = true}, out, size);
		assert_true(r > 0 && (size_t)r < size);
		assert_int_equal(strlen(out), (size_t)r);
		assert_string_equal(out + r - 3, "...");
		/* never half a UTF-8 character before the mark */
		assert_true(((unsigned char)out[r - 4] & 0xc0) != 0xc0);
	}
	assert_int_equal(event_text_format(json, strlen(json), NULL, out, 63), -ENOBUFS);
}

static void test_bad_input(void **state)
{
	static const char *const bad[] = {
	    "",
	    "not json",
	    "[1,2]",
	    "42",
	    "{\"event\":7}",
	    "{\"no_event\":\"exec\"}",
	    "{\"event\":\"exec\"} trailing",
	    "{\"event\":\"exec\"",
	    "{\"event\":\"exec\"}{\"event\":\"exec\"}",
	};
	char out[EVENT_TEXT_MAX];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (fmt(bad[i], false, out, sizeof(out)) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
	/* a record of an unknown kind or with fields of the wrong type still
	 * gives a line (a newer agent, a broken one): never a crash */
	assert_true(fmt("{\"event\":\"future_kind\"}\n", false, out, sizeof(out)) > 0);
	assert_true(
	    fmt("{\"event\":\"exec\",\"exec\":{\"argv\":[1,null,{}]},\"process\":[]}", false, out, sizeof(out)) > 0);
	assert_true(fmt("{\"event\":\"stats\",\"events\":{\"a\":\"b\"},\"outputs\":7}", false, out, sizeof(out)) > 0);
	for (size_t i = 0; event_text_record_names[i]; i++) {
		char json[128];

		snprintf(json, sizeof(json), "{\"event\":\"%s\"}", event_text_record_names[i]);
		assert_true(fmt(json, true, out, sizeof(out)) > 0);
	}
}

static void test_record_names_match_schema(void **state)
{
	char path[4200];
	struct json_object *schema, *props, *ev, *en;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/man/clawos-ebpf-events.schema.json", root());
	schema = json_object_from_file(path);
	assert_non_null(schema);
	assert_true(json_object_object_get_ex(schema, "properties", &props));
	assert_true(json_object_object_get_ex(props, "event", &ev));
	assert_true(json_object_object_get_ex(ev, "enum", &en));
	for (; event_text_record_names[n]; n++) {
		assert_true(n < json_object_array_length(en));
		assert_string_equal(event_text_record_names[n],
				    json_object_get_string(json_object_array_get_idx(en, n)));
		assert_true(event_text_record_known(event_text_record_names[n]));
	}
	assert_int_equal(n, json_object_array_length(en));
	assert_false(event_text_record_known("execs"));
	assert_false(event_text_record_known(NULL));
	json_object_put(schema);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden_lines),  cmocka_unit_test(test_colors),
	    cmocka_unit_test(test_terminal_safe), cmocka_unit_test(test_quoting),
	    cmocka_unit_test(test_time_zone),	  cmocka_unit_test(test_cut),
	    cmocka_unit_test(test_bad_input),	  cmocka_unit_test(test_record_names_match_schema),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
