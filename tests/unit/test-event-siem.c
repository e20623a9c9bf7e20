/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Records in ECS and OCSF (record-format.h): every kernel record type of
 * event-fixtures.h and every agent record of tests/data/golden/agent/ in
 * both formats, byte for byte against tests/data/golden/{ecs,ocsf}/ (the
 * files tests/siem_validate.py checks against the published schemas), each
 * one line of valid JSON and valid UTF-8; the native form of the same
 * records unchanged; the writers reuse their buffer (no allocation per
 * record once warm); the format names both ways.
 * CLAWOS_UPDATE_GOLDEN=1 rewrites the ECS and OCSF golden files; it writes
 * a native one only where none exists yet (a new fixture): test-event-json
 * owns those.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>
#include <json-c/json.h>

#include "agent/event-siem.h"
#include "agent/record-format.h"
#include "event-fixtures.h"

#ifndef CLAWOS_SOURCE_ROOT
#define CLAWOS_SOURCE_ROOT "."
#endif

static const char *source_root(void)
{
	return getenv("CLAWOS_SOURCE_ROOT") ?: CLAWOS_SOURCE_ROOT;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "re"), *m;
	char *buf = NULL;
	size_t size = 0;

	if (!f)
		return NULL;
	m = open_memstream(&buf, &size);
	assert_non_null(m);
	for (int c; (c = fgetc(f)) != EOF;)
		fputc(c, m);
	fclose(f);
	fclose(m);
	return buf;
}

/* Strict UTF-8 (no overlong, no surrogate), independent of agent/util/utf8.c. */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t len;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			return false;
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* One JSON object on one line: parsed back, or the test fails. */
static struct json_object *check_line(const char *what, const char *s, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *back;

	if (!s)
		fail_msg("%s: no output", what);
	assert_int_equal(len, strlen(s));
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20)
			fail_msg("%s: raw control byte 0x%02x at %zu in %s", what, (unsigned char)s[i], i, s);
	if (!utf8_valid((const unsigned char *)s, len))
		fail_msg("%s: not valid UTF-8: %s", what, s);
	back = json_tokener_parse_ex(tok, s, (int)len);
	if (!back || json_tokener_get_error(tok) != json_tokener_success || json_tokener_get_parse_end(tok) != len)
		fail_msg("%s: not one JSON value: %s", what, s);
	json_tokener_free(tok);
	assert_true(json_object_is_type(back, json_type_object));
	return back;
}

/* Compares line (plus newline) with the golden file dir/name.json;
 * overwrite: CLAWOS_UPDATE_GOLDEN=1 may replace an existing file. */
static void check_golden(const char *dir, const char *name, const char *line, bool overwrite)
{
	char path[4096], *want, *got;
	const char *update = getenv("CLAWOS_UPDATE_GOLDEN");

	snprintf(path, sizeof(path), "%s/tests/data/golden/%s%s%s.json", source_root(), dir, dir[0] ? "/" : "", name);
	if (asprintf(&got, "%s\n", line) < 0)
		fail();
	if (update && strcmp(update, "1") == 0 && (overwrite || access(path, F_OK) < 0)) {
		FILE *f = fopen(path, "we");

		if (!f)
			fail_msg("cannot write %s: %m", path);
		fputs(got, f);
		assert_int_equal(fclose(f), 0);
	}
	want = read_file(path);
	if (!want)
		fail_msg("missing golden file %s (run with CLAWOS_UPDATE_GOLDEN=1)", path);
	if (strcmp(want, got) != 0)
		fail_msg("%s/%s differs from the golden file\n got: %s want: %s", dir, name, got, want);
	free(want);
	free(got);
}

static struct json_writer writers[_RECORD_FORMAT_MAX];

/* Every fixture in every format; native against the existing golden files. */
static void test_kernel_records(void **state)
{
	static const char *const dirs[_RECORD_FORMAT_MAX] = {"", "ecs", "ocsf"};

	for (size_t i = 0; i < ELEMENTSOF(fixtures); i++) {
		union fixture_record r;
		struct event_context ctx;

		fixture_build(&fixtures[i], &r, &ctx);
		for (unsigned f = 0; f < _RECORD_FORMAT_MAX; f++) {
			size_t len = 0;
			const char *s = event_format(&writers[f], f, &r.hdr, &ctx, &len);
			char what[128];

			snprintf(what, sizeof(what), "%s %s", record_format_name(f), fixtures[i].name);
			json_object_put(check_line(what, s, len));
			check_golden(dirs[f], fixtures[i].name, s, f != RECORD_FORMAT_NATIVE);
		}
	}
}

/* The agent's records: native as read, ECS and OCSF against golden files. */
static void test_agent_records(void **state)
{
	char dir[4096];
	struct dirent **names;
	int n;
	size_t checked = 0;

	snprintf(dir, sizeof(dir), "%s/tests/data/golden/agent", source_root());
	n = scandir(dir, &names, NULL, alphasort);
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		char path[8192], name[256], *text;
		size_t l = strlen(names[i]->d_name), len;
		struct json_object *native;
		const char *s;

		if (l < 6 || strcmp(names[i]->d_name + l - 5, ".json") != 0) {
			free(names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		snprintf(name, sizeof(name), "agent-%.*s", (int)(l - 5), names[i]->d_name);
		free(names[i]);
		text = read_file(path);
		assert_non_null(text);
		text[strcspn(text, "\n")] = '\0';
		native = check_line(path, text, strlen(text));
		/* the native form is the object as json-c prints it: the same bytes */
		s = agent_record_format(&writers[0], RECORD_FORMAT_NATIVE, native, "otherhost", 0, &len);
		assert_non_null(s);
		assert_memory_equal(s, text, len);
		for (unsigned f = RECORD_FORMAT_ECS; f < _RECORD_FORMAT_MAX; f++) {
			s = agent_record_format(&writers[f], f, native, "testhost", FIXTURE_REALTIME_NS, &len);
			json_object_put(check_line(name, s, len));
			check_golden(record_format_name(f), name, s, true);
		}
		json_object_put(native);
		free(text);
		checked++;
	}
	free(names);
	assert_true(checked >= 10);
}

static void test_agent_records_bad_input(void **state)
{
	struct json_object *o = json_object_new_object();
	size_t len;

	/* not a record: no "event" */
	assert_null(agent_record_format(&writers[1], RECORD_FORMAT_ECS, o, "h", 0, &len));
	assert_null(agent_record_format(&writers[2], RECORD_FORMAT_OCSF, o, "h", 0, &len));
	assert_null(agent_record_format(&writers[1], RECORD_FORMAT_ECS, NULL, "h", 0, &len));
	json_object_object_add(o, "event", json_object_new_int(3));
	assert_null(agent_record_format(&writers[1], RECORD_FORMAT_ECS, o, "h", 0, &len));
	json_object_put(o);
}

/* Kernel strings come out cleaned and escaped in every format, also in the
 * fields derived from them (file name, directory, extension, command line). */
static void test_hostile_strings(void **state)
{
	static const char path[] = "/tmp/d\xff\x01r/f\"\n.e\xe2\x82x";
	static const char *const argv[] = {"a\x1b\xff", "b\"\\", "\xf0\x9f\x90\xa7"};
	union fixture_record r;
	struct event_context ctx;

	for (unsigned f = RECORD_FORMAT_ECS; f < _RECORD_FORMAT_MAX; f++) {
		size_t len;
		const char *s;
		struct json_object *back;

		fixture_build(&fixtures[0], &r, &ctx);
		memset(r.exec.args, 0, sizeof(r.exec.args));
		fixture_args(&r.exec, argv, ELEMENTSOF(argv));
		memcpy(r.exec.hdr.comm, "\xff\x01\n", 4);
		s = event_format(&writers[f], f, &r.hdr, &ctx, &len);
		back = check_line("hostile exec", s, len);
		assert_non_null(strstr(s, "a\\u001b\xef\xbf\xbd b\\\"\\\\ \xf0\x9f\x90\xa7"));
		json_object_put(back);

		fixture_build(&fixtures[2], &r, &ctx);
		memset(r.file.path, 0, sizeof(r.file.path));
		memcpy(r.file.path, path, sizeof(path));
		s = event_format(&writers[f], f, &r.hdr, &ctx, &len);
		back = check_line("hostile file", s, len);
		/* name f"\n.e + cut sequence; directory /tmp/d?\x01r; extension e?? */
		assert_non_null(strstr(s, "\"f\\\"\\n.e\xef\xbf\xbd\xef\xbf\xbdx\""));
		assert_non_null(strstr(s, "\"/tmp/d\xef\xbf\xbd\\u0001r\""));
		assert_non_null(strstr(s, "\"e\xef\xbf\xbd\xef\xbf\xbdx\""));
		json_object_put(back);
	}
}

/* A path that fills the buffer unterminated, an argv that fills its own. */
static void test_full_buffers(void **state)
{
	union fixture_record r;
	struct event_context ctx;

	for (unsigned f = RECORD_FORMAT_ECS; f < _RECORD_FORMAT_MAX; f++) {
		const char *s;
		size_t len;

		fixture_build(&fixtures[2], &r, &ctx);
		memset(r.file.path, 'a', sizeof(r.file.path));
		r.file.path[0] = '/';
		r.file.path[sizeof(r.file.path) - 2] = '\xe2';
		r.file.path[sizeof(r.file.path) - 1] = '\x82';
		s = event_format(&writers[f], f, &r.hdr, &ctx, &len);
		json_object_put(check_line("full path", s, len));

		fixture_build(&fixtures[0], &r, &ctx);
		memset(r.exec.args, 'x', sizeof(r.exec.args));
		r.exec.args_len = sizeof(r.exec.args);
		r.exec.hdr.size = sizeof(r.exec);
		s = event_format(&writers[f], f, &r.hdr, &ctx, &len);
		json_object_put(check_line("full argv", s, len));
	}
}

/* Records the kernel never sends but a broken one could (the decoder checks
 * only type, version and size): one JSON object each, in every format. */
static void test_odd_records(void **state)
{
	union fixture_record r;
	struct event_context ctx;

	for (unsigned f = 0; f < _RECORD_FORMAT_MAX; f++) {
		const char *s;
		size_t len;

		fixture_build(fixture_named("network-bind6"), &r, &ctx);
		r.net6.op = CLAWOS_NET_OP_CREATE; /* socket_create comes as IPv4 only */
		s = event_format(&writers[f], f, &r.hdr, &ctx, &len);
		json_object_put(check_line("net6 socket_create", s, len));
		r.net6.op = 99;
		r.net6.info = 0xff;
		s = event_format(&writers[f], f, &r.hdr, &ctx, &len);
		json_object_put(check_line("net6 op 99", s, len));
		fixture_build(fixture_named("anomaly"), &r, &ctx);
		r.anomaly.kind = 999;
		r.anomaly.severity = 77;
		r.anomaly.ancestry_len = 200;
		r.anomaly.top_len = 200;
		s = event_format(&writers[f], f, &r.hdr, &ctx, &len);
		json_object_put(check_line("anomaly kind 999", s, len));
		fixture_build(fixture_named("process-fork"), &r, &ctx);
		r.proc.op = 7;
		s = event_format(&writers[f], f, &r.hdr, &ctx, &len);
		json_object_put(check_line("process op 7", s, len));
	}
}

/* Once grown to the largest record, each writer keeps its buffer. */
static void test_warm_writers_do_not_reallocate(void **state)
{
	struct json_writer w[_RECORD_FORMAT_MAX] = {};
	char *buf[_RECORD_FORMAT_MAX];
	size_t cap[_RECORD_FORMAT_MAX];

	for (int round = 0; round < 3; round++)
		for (unsigned f = 0; f < _RECORD_FORMAT_MAX; f++) {
			if (round == 2) {
				buf[f] = w[f].buf;
				cap[f] = w[f].cap;
			}
			for (size_t i = 0; i < ELEMENTSOF(fixtures); i++) {
				union fixture_record r;
				struct event_context ctx;

				fixture_build(&fixtures[i], &r, &ctx);
				assert_non_null(event_format(&w[f], f, &r.hdr, &ctx, NULL));
				if (round == 2) {
					assert_ptr_equal(w[f].buf, buf[f]);
					assert_int_equal(w[f].cap, cap[f]);
				}
			}
		}
	for (unsigned f = 0; f < _RECORD_FORMAT_MAX; f++)
		jw_free(&w[f]);
}

static void test_path_split(void **state)
{
	static const struct {
		const char *path, *name, *dir, *ext;
	} cases[] = {
	    {"/etc/passwd", "passwd", "/etc", NULL},
	    {"/x", "x", "/", NULL},
	    {"/", "/", NULL, NULL},
	    {"", "", NULL, NULL},
	    {"x", "x", NULL, NULL},
	    {"rel/dir/f.c", "f.c", NULL, "c"},
	    {"/a/b/", "b", "/a", NULL},
	    {"/a//b//", "b", "/a/", NULL},
	    {"/tmp/a.tar.gz", "a.tar.gz", "/tmp", "gz"},
	    {"/root/.bashrc", ".bashrc", "/root", NULL},
	    {"/tmp/a.", "a.", "/tmp", NULL},
	    {"/tmp/..", "..", "/tmp", NULL},
	};
	static const char *const keys[4] = {"path", "name", "dir", "ext"};
	struct json_writer w = {};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct json_object *o, *v;
		const char *s;
		size_t len;

		jw_begin(&w);
		siem_file_path(&w, cases[i].path, strlen(cases[i].path) + 1, keys);
		s = jw_finish(&w, &len);
		o = check_line(cases[i].path, s, len);
		assert_true(json_object_object_get_ex(o, "name", &v));
		assert_string_equal(json_object_get_string(v), cases[i].name);
		if (cases[i].dir) {
			assert_true(json_object_object_get_ex(o, "dir", &v));
			assert_string_equal(json_object_get_string(v), cases[i].dir);
		} else {
			assert_false(json_object_object_get_ex(o, "dir", NULL));
		}
		if (cases[i].ext) {
			assert_true(json_object_object_get_ex(o, "ext", &v));
			assert_string_equal(json_object_get_string(v), cases[i].ext);
		} else {
			assert_false(json_object_object_get_ex(o, "ext", NULL));
		}
		json_object_put(o);
	}
	jw_free(&w);
}

/* Sigma's ATT&CK tags, and the tags that look like them but are not. */
static void test_attack_tags(void **state)
{
	static const struct {
		const char *tag;
		enum siem_attack_kind kind;
		const char *id, *technique, *name;
	} cases[] = {
	    {"attack.execution", SIEM_ATTACK_TACTIC, "TA0002", "", "Execution"},
	    {"attack.command_and_control", SIEM_ATTACK_TACTIC, "TA0011", "", "Command and Control"},
	    {"attack.Defense_Evasion", SIEM_ATTACK_TACTIC, "TA0005", "", "Defense Evasion"},
	    {"attack.t1059", SIEM_ATTACK_TECHNIQUE, "T1059", "", NULL},
	    {"attack.T1548.001", SIEM_ATTACK_SUBTECHNIQUE, "T1548.001", "T1548", NULL},
	    {"attack.t1059.0041", SIEM_ATTACK_NONE, "", "", NULL},
	    {"attack.t105", SIEM_ATTACK_NONE, "", "", NULL},
	    {"attack.t10599", SIEM_ATTACK_NONE, "", "", NULL},
	    {"attack.t1059.", SIEM_ATTACK_NONE, "", "", NULL},
	    {"attack.g0032", SIEM_ATTACK_NONE, "", "", NULL},
	    {"attack.s0002", SIEM_ATTACK_NONE, "", "", NULL},
	    {"car.2013-05-002", SIEM_ATTACK_NONE, "", "", NULL},
	    {"cve.2021-4034", SIEM_ATTACK_NONE, "", "", NULL},
	    {"detection.threat-hunting", SIEM_ATTACK_NONE, "", "", NULL},
	    {"attack.", SIEM_ATTACK_NONE, "", "", NULL},
	    {"", SIEM_ATTACK_NONE, "", "", NULL},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct siem_attack a;

		assert_int_equal(siem_attack_parse(cases[i].tag, &a), cases[i].kind);
		assert_int_equal(a.kind, cases[i].kind);
		assert_string_equal(a.id, cases[i].id);
		assert_string_equal(a.technique, cases[i].technique);
		if (cases[i].name)
			assert_string_equal(a.name, cases[i].name);
		else
			assert_null(a.name);
	}
	assert_int_equal(siem_attack_parse(NULL, &(struct siem_attack){}), SIEM_ATTACK_NONE);
}

/* OCSF attacks from the rule's tags: each technique paired with each
 * tactic, "tactic" always one object, and a rule with tactics only still
 * gives attacks that OCSF accepts (at least one of tactic/technique). */
static void test_ocsf_attacks(void **state)
{
	static const struct {
		const char *tags[3];
		size_t n;
		const char *want;
	} cases[] = {
	    {{"attack.execution", "attack.persistence"},
	     2,
	     "[{\"tactic\":{\"uid\":\"TA0002\",\"name\":\"Execution\"}},"
	     "{\"tactic\":{\"uid\":\"TA0003\",\"name\":\"Persistence\"}}]"},
	    {{"attack.t1059"}, 1, "[{\"technique\":{\"uid\":\"T1059\"}}]"},
	    {{"attack.t1059.004", "attack.execution", "attack.g0032"},
	     3,
	     "[{\"technique\":{\"uid\":\"T1059\"},\"sub_technique\":{\"uid\":\"T1059.004\"},"
	     "\"tactic\":{\"uid\":\"TA0002\",\"name\":\"Execution\"}}]"},
	    {{"attack.g0032", "cve.2021-4034"}, 2, NULL},
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		union fixture_record r = {};
		struct event_context ctx = {};
		struct event_sigma sg;
		struct json_object *o, *fi, *attacks = NULL;
		const char *line;
		size_t len;

		fixture_anomaly_sigma(&r, &ctx);
		sg = *ctx.sigma;
		sg.tags = cases[i].tags;
		sg.n_tags = cases[i].n;
		ctx.sigma = &sg;
		line = event_format(&writers[RECORD_FORMAT_OCSF], RECORD_FORMAT_OCSF, &r.hdr, &ctx, &len);
		assert_non_null(line);
		o = json_tokener_parse(line);
		assert_non_null(o);
		assert_true(json_object_object_get_ex(o, "finding_info", &fi));
		json_object_object_get_ex(fi, "attacks", &attacks);
		if (!cases[i].want)
			assert_null(attacks);
		else
			assert_string_equal(json_object_to_json_string_ext(attacks, JSON_C_TO_STRING_PLAIN),
					    cases[i].want);
		json_object_put(o);
	}
}

static void test_format_names(void **state)
{
	for (unsigned f = 0; f < _RECORD_FORMAT_MAX; f++) {
		assert_non_null(record_format_name(f));
		assert_int_equal(record_format_from_name(record_format_name(f)), (int)f);
		assert_string_equal(record_format_names[f], record_format_name(f));
	}
	assert_null(record_format_names[_RECORD_FORMAT_MAX]);
	assert_null(record_format_name(_RECORD_FORMAT_MAX));
	assert_int_equal(record_format_from_name("ECS"), -EINVAL);
	assert_int_equal(record_format_from_name(""), -EINVAL);
	assert_int_equal(record_format_from_name(NULL), -EINVAL);
	assert_string_equal(record_format_name(RECORD_FORMAT_NATIVE), "native");
	assert_string_equal(record_format_name(RECORD_FORMAT_ECS), "ecs");
	assert_string_equal(record_format_name(RECORD_FORMAT_OCSF), "ocsf");
}

static int teardown(void **state)
{
	for (unsigned f = 0; f < _RECORD_FORMAT_MAX; f++)
		jw_free(&writers[f]);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kernel_records),
	    cmocka_unit_test(test_agent_records),
	    cmocka_unit_test(test_agent_records_bad_input),
	    cmocka_unit_test(test_hostile_strings),
	    cmocka_unit_test(test_full_buffers),
	    cmocka_unit_test(test_odd_records),
	    cmocka_unit_test(test_warm_writers_do_not_reallocate),
	    cmocka_unit_test(test_path_split),
	    cmocka_unit_test(test_attack_tags),
	    cmocka_unit_test(test_ocsf_attacks),
	    cmocka_unit_test(test_format_names),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
