/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/config-internal.h"
#include "agent/config.h"
#include "agent/util/sha256.h"

#ifndef CLAWOS_SOURCE_ROOT
#define CLAWOS_SOURCE_ROOT "."
#endif

/* ---- helpers ---- */

static bool string_list_equal(const struct clawos_string_list *a, const struct clawos_string_list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i], b->items[i]) != 0)
			return false;
	return true;
}

/* Field by field, independent of the table's own comparison functions. */
static void assert_settings_equal(const struct clawos_settings *a, const struct clawos_settings *b)
{
	assert_int_equal(a->enable_syscall_tracing, b->enable_syscall_tracing);
	assert_int_equal(a->enable_file_monitoring, b->enable_file_monitoring);
	assert_int_equal(a->enable_network_monitoring, b->enable_network_monitoring);
	assert_int_equal(a->enable_cgroup_monitoring, b->enable_cgroup_monitoring);
	assert_int_equal(a->syscall_anomaly_threshold, b->syscall_anomaly_threshold);
	assert_int_equal(a->file_access_violation_mode, b->file_access_violation_mode);
	assert_int_equal(a->network_suspicious_threshold, b->network_suspicious_threshold);
	assert_int_equal(a->stdout_output, b->stdout_output);
	assert_int_equal(a->socket_enabled, b->socket_enabled);
	assert_string_equal(a->socket_path, b->socket_path);
	assert_int_equal(a->socket_mode, b->socket_mode);
	assert_string_equal(a->socket_group, b->socket_group);
	assert_int_equal(a->max_clients, b->max_clients);
	assert_int_equal(a->journal_enabled, b->journal_enabled);
	assert_int_equal(a->journal_records, b->journal_records);
	assert_int_equal(a->journal_rate_limit, b->journal_rate_limit);
	assert_int_equal(a->stats_interval, b->stats_interval);
	assert_int_equal(a->ring_buffer_size, b->ring_buffer_size);
	assert_true(string_list_equal(&a->exclude_comm, &b->exclude_comm));
	assert_true(string_list_equal(&a->include_comm, &b->include_comm));
	assert_true(string_list_equal(&a->exclude_exe, &b->exclude_exe));
	assert_int_equal(a->exclude_uid.n, b->exclude_uid.n);
	assert_memory_equal(a->exclude_uid.items, b->exclude_uid.items, sizeof(a->exclude_uid.items));
	assert_int_equal(a->include_uid.n, b->include_uid.n);
	assert_memory_equal(a->include_uid.items, b->include_uid.items, sizeof(a->include_uid.items));
	assert_true(string_list_equal(&a->exclude_cgroup, &b->exclude_cgroup));
	assert_true(string_list_equal(&a->exclude_path_prefix, &b->exclude_path_prefix));
	assert_true(string_list_equal(&a->include_path_prefix, &b->include_path_prefix));
}

static void parse_ok(const char *text, struct clawos_settings *s)
{
	struct clawos_config_error err;
	char buf[1024];
	int r;

	r = config_parse_buffer("test.conf", text, strlen(text), s, &err);
	if (r < 0)
		fail_msg("unexpected error: %s", config_error_format(&err, buf, sizeof(buf)));
}

static char *read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t size = 0;

	assert_non_null(f);
	assert_int_equal(getdelim(&buf, &size, '\0', f) > 0, 1);
	*len = strlen(buf);
	fclose(f);
	return buf;
}

/* ---- bad configurations ---- */

struct bad_case {
	const char *text;
	size_t len; /* 0: strlen(text) */
	unsigned line;
	const char *key;     /* expected err.key ("" for none) */
	const char *message; /* expected substring of err.message */
};

#define MON "[monitoring]\n"
#define ANO "[anomaly]\n"
#define OUT "[output]\n"
#define FIL "[filter]\n"
#define X10 "xxxxxxxxxx"
#define X50 X10 X10 X10 X10 X10
#define X100 X50 X50
#define COMMENT198 "#" X100 X50 X10 X10 X10 X10 "xxxxxxx"
#define NUL_TEXT MON "enable_file_monitoring = yes\n" OUT "stdout = y\0es\n"

static const struct bad_case bad_cases[] = {
    /* structure */
    {"[foo]\n", 0, 1, "", "unknown section"},
    {MON "[Output]\n", 0, 2, "", "unknown section"},
    {"[]\n", 0, 1, "", "unknown section"},
    {MON "foo = 1\n", 0, 2, "foo", "unknown key; expected one of: enable_syscall_tracing"},
    {MON "socket = yes\n", 0, 2, "socket", "belongs in [output]"},
    {OUT "Stdout = yes\n", 0, 2, "Stdout", "unknown key"},
    {ANO "syscall_anomaly_threshold = 5\nsyscall_anomaly_threshold = 6\n", 0, 3, "syscall_anomaly_threshold",
     "duplicate key: already set on line 2"},
    {OUT ANO OUT, 0, 3, "", "duplicate section: already started on line 1"},
    {"stdout = yes\n", 0, 1, "stdout", "key outside any section"},
    /* deny lists: parsed into numbers and addresses at load */
    {ANO "network_deny_ports = 22, 0\n", 0, 2, "network_deny_ports", "expected a port number in 1..65535, got '0'"},
    {ANO "network_deny_ports = 22, 22\n", 0, 2, "network_deny_ports", "item '22' is listed twice"},
    {ANO "network_deny_ports = 100000\n", 0, 2, "network_deny_ports", "is 6 bytes long, the limit is 5 bytes"},
    {ANO "\nnetwork_deny_cidrs = 10.0.0.0/33\n", 0, 3, "network_deny_cidrs",
     "expected an IPv4 or IPv6 address or CIDR (192.0.2.0/24, 2001:db8::/32), got '10.0.0.0/33'"},
    {ANO "network_deny_cidrs = 2001:db8::/32, 2001:DB8::/32\n", 0, 2, "network_deny_cidrs",
     "item '2001:DB8::/32' is listed twice"},
    /* paths the agent would use wrongly (issue 16) */
    {OUT "connect_path = /run/clawos-ebpf/shipper.sock\n", 0, 2, "connect_path",
     "inside the agent's runtime directory /run/clawos-ebpf"},
    {OUT
     "max_clients = 3\nsocket_path = "
     "/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd/ev.sock\n",
     0, 3, "socket_path",
     "the control socket "
     "/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd/control.sock "
     "beside it would be 112 bytes"},
    {"# comment\n\nstats_interval = 5\n", 0, 3, "stats_interval", "key outside any section"},
    {OUT "stdout\n", 0, 2, "", "expected 'key = value'"},
    {OUT "= yes\n", 0, 2, "", "missing key name"},
    {"[output\n", 0, 1, "", "expected ']'"},
    {"[output] x\n", 0, 1, "", "unexpected text after ']'"},
    /* syntax that inih would accept differently */
    {OUT "stdout: yes\n", 0, 2, "stdout", "use '='"},
    {OUT "stdout = yes ; comment\n", 0, 2, "stdout", "inline comments are not supported"},
    {OUT "stdout = yes # comment\n", 0, 2, "stdout", "inline comments are not supported"},
    {OUT "stdout =;yes\n", 0, 2, "stdout", "inline comments are not supported"},
    {"[output] ; comment\n", 0, 1, "", "inline comments are not supported"},
    {OUT "socket_group = a\n  b\n", 0, 3, "", "line starts with whitespace"},
    {OUT "\tstdout = yes\n", 0, 2, "", "line starts with whitespace"},
    {" [output]\n", 0, 1, "", "line starts with whitespace"},
    {OUT "socket_path = /" X100 X50 X10 X10 X10 "xxxxx\n", 0, 2, "", "the limit is 198 bytes"},
    {COMMENT198 "c\n", 0, 1, "", "line is 199 bytes long"},
    {NUL_TEXT, sizeof(NUL_TEXT) - 1, 4, "", "NUL byte at column 11"},
    {"\xef\xbb\xbf" OUT, 0, 1, "", "byte order mark"},
    {OUT "socket_group = a\x01"
	 "b\n",
     0, 2, "", "control character 0x01"},
    {OUT "stdout = y\res\n", 0, 2, "", "control character 0x0d"},
    {OUT "socket_group = \xff\n", 0, 2, "", "invalid UTF-8"},
    {OUT "socket_group = \xc0\xaf\n", 0, 2, "", "invalid UTF-8"},
    {"[output]\r\nstdout = yes\r\nstdout = no\r\n", 0, 3, "stdout", "duplicate key"},
    /* empty values of scalar keys */
    {OUT "max_clients =\n", 0, 2, "max_clients", "empty value: expected an unsigned decimal integer"},
    {MON "enable_file_monitoring =\n", 0, 2, "enable_file_monitoring", "empty value: expected a boolean"},
    {OUT "socket_path =   \n", 0, 2, "socket_path", "empty value: expected an absolute path"},
    {OUT "stdout =\n", 0, 2, "stdout", "empty value: expected one of auto, no, yes"},
    {OUT "socket_mode =\n", 0, 2, "socket_mode", "empty value: expected an octal file mode"},
    {OUT "ring_buffer_size =\n", 0, 2, "ring_buffer_size", "empty value: expected a size"},
    /* numbers */
    {ANO "syscall_anomaly_threshold = 0\n", 0, 2, "syscall_anomaly_threshold", "out of range: expected 1..10000000"},
    {MON "aggregate_window = 60001\n", 0, 2, "aggregate_window", "out of range: expected 0..60000"},
    {MON "aggregate_window = -1\n", 0, 2, "aggregate_window", "expected an unsigned decimal integer in 0..60000"},
    {ANO "syscall_anomaly_threshold = 10000001\n", 0, 2, "syscall_anomaly_threshold", "out of range"},
    {ANO "file_access_violation_mode = 3\n", 0, 2, "file_access_violation_mode", "out of range: expected 0..2"},
    {ANO "network_suspicious_threshold = 1000001\n", 0, 2, "network_suspicious_threshold", "out of range"},
    {OUT "max_clients = 0\n", 0, 2, "max_clients", "out of range: expected 1..1024"},
    {OUT "max_clients = 1025\n", 0, 2, "max_clients", "out of range"},
    {OUT "journal_rate_limit = 0\n", 0, 2, "journal_rate_limit", "out of range: expected 1..100000"},
    {OUT "stats_interval = 86401\n", 0, 2, "stats_interval", "out of range: expected 0..86400"},
    {ANO "syscall_anomaly_threshold = 10k\n", 0, 2, "syscall_anomaly_threshold", "expected an unsigned decimal"},
    {ANO "syscall_anomaly_threshold = +5\n", 0, 2, "syscall_anomaly_threshold", "got '+5'"},
    {ANO "syscall_anomaly_threshold = -1\n", 0, 2, "syscall_anomaly_threshold", "got '-1'"},
    {ANO "syscall_anomaly_threshold =  5x\n", 0, 2, "syscall_anomaly_threshold", "got '5x'"},
    {ANO "syscall_anomaly_threshold = 0x10\n", 0, 2, "syscall_anomaly_threshold", "got '0x10'"},
    {ANO "syscall_anomaly_threshold = 010\n", 0, 2, "syscall_anomaly_threshold", "leading zero"},
    {ANO "syscall_anomaly_threshold = 1.5\n", 0, 2, "syscall_anomaly_threshold", "got '1.5'"},
    {ANO "syscall_anomaly_threshold = 1 000\n", 0, 2, "syscall_anomaly_threshold", "got '1 000'"},
    {ANO "syscall_anomaly_threshold = 99999999999999999999999\n", 0, 2, "syscall_anomaly_threshold", "out of range"},
    /* booleans and enums */
    {MON "enable_syscall_tracing = maybe\n", 0, 2, "enable_syscall_tracing", "expected a boolean"},
    {MON "enable_syscall_tracing = 2\n", 0, 2, "enable_syscall_tracing", "got '2'"},
    {OUT "socket = y\n", 0, 2, "socket", "expected a boolean"},
    {OUT "stdout = sometimes\n", 0, 2, "stdout", "expected one of auto, no, yes, got 'sometimes'"},
    {OUT "journal_records = some\n", 0, 2, "journal_records", "expected one of anomalies, all, none"},
    /* socket */
    {OUT "socket_mode = 660\n", 0, 2, "socket_mode", "expected an octal file mode starting with 0"},
    {OUT "socket_mode = 0666\n", 0, 2, "socket_mode", "world-writable"},
    {OUT "socket_mode = 01660\n", 0, 2, "socket_mode", "out of range"},
    {OUT "socket_mode = 0689\n", 0, 2, "socket_mode", "expected an octal file mode"},
    {OUT "socket_mode = 0x1b0\n", 0, 2, "socket_mode", "expected an octal file mode"},
    {OUT "socket_path = run/events.sock\n", 0, 2, "socket_path", "expected an absolute path"},
    {OUT "socket_path = /run/" X100 "xxx\n", 0, 2, "socket_path", "the limit is 107 bytes"},
    {OUT "socket_path = /run/../tmp/x.sock\n", 0, 2, "socket_path", "not normalized"},
    {OUT "socket_path = /run/clawos//x.sock\n", 0, 2, "socket_path", "not normalized"},
    {OUT "socket_path = /run/clawos/\n", 0, 2, "socket_path", "trailing '/'"},
    {OUT "socket_group = 1abc\n", 0, 2, "socket_group", "expected a group name"},
    {OUT "socket_group = a b\n", 0, 2, "socket_group", "expected a group name"},
    {OUT "socket_group = aaaaaaaaaabbbbbbbbbbccccccccccdd\n", 0, 2, "socket_group", "at most 31 bytes"},
    /* sizes */
    {OUT "ring_buffer_size = 100000\n", 0, 2, "ring_buffer_size", "not a power of two"},
    {OUT "ring_buffer_size = 32K\n", 0, 2, "ring_buffer_size", "out of range: expected 65536..268435456"},
    {OUT "ring_buffer_size = 512M\n", 0, 2, "ring_buffer_size", "out of range"},
    {OUT "ring_buffer_size = 1G\n", 0, 2, "ring_buffer_size", "out of range"},
    {OUT "ring_buffer_size = 99999999999G\n", 0, 2, "ring_buffer_size", "out of range"},
    {OUT "ring_buffer_size = 4X\n", 0, 2, "ring_buffer_size", "expected a size in bytes"},
    {OUT "ring_buffer_size = 4m\n", 0, 2, "ring_buffer_size", "expected a size in bytes"},
    {OUT "ring_buffer_size = M\n", 0, 2, "ring_buffer_size", "expected a size in bytes"},
    {OUT "ring_buffer_size = 4 M\n", 0, 2, "ring_buffer_size", "expected a size in bytes"},
    /* lists */
    {FIL "exclude_comm = p0,p1,p2,p3,p4,p5,p6,p7,p8,p9,p10,p11,p12,p13,p14,p15,p16,p17,p18"
	 ",p19,p20,p21,p22,p23,p24,p25,p26,p27,p28,p29,p30,p31,p32\n",
     0, 2, "exclude_comm", "too many items: the limit is 32"},
    {FIL "exclude_comm = sshd, abcdefghijklmnop\n", 0, 2, "exclude_comm", "is 16 bytes long, the limit is 15"},
    {FIL "exclude_comm = a,,b\n", 0, 2, "exclude_comm", "empty item 2"},
    {FIL "exclude_comm = a,\n", 0, 2, "exclude_comm", "empty item 2"},
    {FIL "include_comm = , a\n", 0, 2, "include_comm", "empty item 1"},
    {FIL "exclude_comm = a, a\n", 0, 2, "exclude_comm", "listed twice"},
    {FIL "exclude_comm = a,#b\n", 0, 2, "exclude_comm", "item '#b' starts with '#'"},
    {FIL "exclude_uid = 1,;2\n", 0, 2, "exclude_uid", "item ';2' starts with ';'"},
    {FIL "exclude_exe = usr/bin/ls\n", 0, 2, "exclude_exe", "expected an absolute path"},
    {FIL "exclude_exe = /usr//bin/ls\n", 0, 2, "exclude_exe", "not normalized"},
    {FIL "exclude_exe = /b0,/b1,/b2,/b3,/b4,/b5,/b6,/b7,/b8,/b9,/b10,/b11,/b12,/b13,/b14,/"
	 "b15,/b16,/b17,/b18,/b19,/b20,/b21,/b22,/b23,/b24,/b25,/b26,/b27,/b28,/b29,/b30,/"
	 "b31,/b32\n",
     0, 2, "exclude_exe", "too many items"},
    {FIL "exclude_uid = root\n", 0, 2, "exclude_uid", "expected a numeric uid"},
    {FIL "exclude_uid = 4294967295\n", 0, 2, "exclude_uid", "expected a numeric uid in 0..4294967294"},
    {FIL "exclude_uid = -1\n", 0, 2, "exclude_uid", "got '-1'"},
    {FIL "include_uid = 0, 0\n", 0, 2, "include_uid", "listed twice"},
    {FIL "include_uid = 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,2"
	 "5,26,27,28,29,30,31,32\n",
     0, 2, "include_uid", "too many items"},
    {FIL "exclude_cgroup = 0\n", 0, 2, "exclude_cgroup", "expected a cgroup path"},
    {FIL "exclude_cgroup = system.slice\n", 0, 2, "exclude_cgroup", "expected an absolute path"},
    {FIL "exclude_cgroup = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,"
	 "25,26,27,28,29,30,31,32,33\n",
     0, 2, "exclude_cgroup", "too many items"},
    {FIL "exclude_path_prefix = /" X50 X10 "xxx\n", 0, 2, "exclude_path_prefix", "the limit is 63 bytes"},
    {FIL "include_path_prefix = /p0,/p1,/p2,/p3,/p4,/p5,/p6,/p7,/p8,/p9,/p10,/p11,/p12,/p1"
	 "3,/p14,/p15,/p16\n",
     0, 2, "include_path_prefix", "too many items: the limit is 16"},
    {FIL "exclude_path_prefix = tmp/\n", 0, 2, "exclude_path_prefix", "expected an absolute path"},
    {FIL "exclude_path_prefix = /tmp/../etc\n", 0, 2, "exclude_path_prefix", "not normalized"},
    /* the first error wins, on its own line */
    {"# ok\n" MON "enable_syscall_tracing = no\n\n" ANO "file_access_violation_mode = 9\nbogus = 1\n", 0, 6,
     "file_access_violation_mode", "out of range"},
};

static void test_bad_configs(void **state)
{
	(void)state;
	assert_true(ELEMENTSOF(bad_cases) >= 45);
	for (size_t i = 0; i < ELEMENTSOF(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct clawos_settings s;
		struct clawos_config_error err;
		char buf[1024];
		int r;

		memset(&s, 0xaa, sizeof(s));
		r = config_parse_buffer("bad.conf", c->text, c->len ? c->len : strlen(c->text), &s, &err);
		config_error_format(&err, buf, sizeof(buf));
		if (r != -EINVAL || err.line != c->line || strcmp(err.key, c->key) != 0 ||
		    !strstr(err.message, c->message) || strcmp(err.file, "bad.conf") != 0)
			fail_msg("case %zu: r=%d, got '%s', expected line %u key '%s' message '%s'", i, r, buf, c->line,
				 c->key, c->message);
		/* Failure leaves nothing allocated and the struct zeroed. */
		assert_null(s.socket_path);
		assert_int_equal(s.exclude_comm.n, 0);
	}
}

/* ---- good configurations ---- */

static void test_defaults(void **state)
{
	struct clawos_settings s, d;

	(void)state;
	parse_ok("", &s);
	assert_int_equal(settings_init_defaults(&d), 0);
	assert_settings_equal(&s, &d);
	assert_true(s.enable_syscall_tracing && s.enable_file_monitoring && s.enable_network_monitoring &&
		    s.enable_cgroup_monitoring);
	assert_int_equal(s.syscall_anomaly_threshold, 1000);
	assert_int_equal(s.aggregate_window, 0);
	assert_int_equal(s.file_access_violation_mode, 1);
	assert_int_equal(s.network_suspicious_threshold, 100);
	assert_int_equal(s.stdout_output, CLAWOS_AUTO);
	assert_true(s.socket_enabled);
	assert_string_equal(s.socket_path, CLAWOS_DEFAULT_SOCKET_PATH);
	assert_int_equal(s.socket_mode, 0660);
	assert_string_equal(s.socket_group, "clawos");
	assert_int_equal(s.max_clients, 64);
	assert_true(s.journal_enabled);
	assert_int_equal(s.journal_records, CLAWOS_JOURNAL_ANOMALIES);
	assert_int_equal(s.journal_rate_limit, 1000);
	assert_int_equal(s.stats_interval, 30);
	assert_int_equal(s.ring_buffer_size, 4 * 1024 * 1024);
	assert_int_equal(s.exclude_comm.n + s.include_comm.n + s.exclude_exe.n + s.exclude_uid.n + s.include_uid.n +
			     s.exclude_cgroup.n + s.exclude_path_prefix.n + s.include_path_prefix.n,
			 0);
	settings_done(&s);
	settings_done(&d);
	settings_done(NULL);
}

static const char full_config[] = "# a full configuration\r\n"
				  "[monitoring]\r\n"
				  "enable_syscall_tracing = NO\r\n"
				  "enable_file_monitoring=off\r\n"
				  "enable_network_monitoring = False\r\n"
				  "enable_cgroup_monitoring = 0\r\n"
				  "\r\n"
				  "   ; an indented comment\r\n"
				  "[anomaly]   \r\n"
				  "syscall_anomaly_threshold = 10000000\r\n"
				  "file_access_violation_mode = 2\r\n"
				  "network_suspicious_threshold = 1\r\n"
				  "[output]\n"
				  "stdout = Yes\n"
				  "socket = off\n"
				  "socket_path = /run/x y/events.sock\n"
				  "socket_mode = 0640\n"
				  "socket_group =\n"
				  "max_clients = 1024\n"
				  "journal = on\n"
				  "journal_records = ALL\n"
				  "journal_rate_limit = 100000\n"
				  "stats_interval = 0\n"
				  "ring_buffer_size = 64K\n"
				  "[filter]\n"
				  "exclude_comm = sshd , a;b,\tcafé, 123456789012345\n"
				  "include_comm =\n"
				  "exclude_exe = /usr/bin/ls,/usr/sbin/cron\n"
				  "exclude_uid = 0, 4294967294\n"
				  "include_uid = 1000\n"
				  "exclude_cgroup = /system.slice/x.service, 42, /\n"
				  "exclude_path_prefix = /proc/, /sys\n"
				  "include_path_prefix = /etc/, /home/";

static void test_full_config(void **state)
{
	struct clawos_settings s;

	(void)state;
	parse_ok(full_config, &s);
	assert_false(s.enable_syscall_tracing || s.enable_file_monitoring || s.enable_network_monitoring ||
		     s.enable_cgroup_monitoring);
	assert_int_equal(s.syscall_anomaly_threshold, 10000000);
	assert_int_equal(s.file_access_violation_mode, 2);
	assert_int_equal(s.network_suspicious_threshold, 1);
	assert_int_equal(s.stdout_output, CLAWOS_YES);
	assert_false(s.socket_enabled);
	assert_string_equal(s.socket_path, "/run/x y/events.sock");
	assert_int_equal(s.socket_mode, 0640);
	assert_string_equal(s.socket_group, "");
	assert_int_equal(s.max_clients, 1024);
	assert_true(s.journal_enabled);
	assert_int_equal(s.journal_records, CLAWOS_JOURNAL_ALL);
	assert_int_equal(s.journal_rate_limit, 100000);
	assert_int_equal(s.stats_interval, 0);
	assert_int_equal(s.ring_buffer_size, 65536);
	assert_int_equal(s.exclude_comm.n, 4);
	assert_string_equal(s.exclude_comm.items[0], "sshd");
	assert_string_equal(s.exclude_comm.items[1], "a;b");
	assert_string_equal(s.exclude_comm.items[2], "café");
	assert_string_equal(s.exclude_comm.items[3], "123456789012345");
	assert_int_equal(s.include_comm.n, 0);
	assert_int_equal(s.exclude_exe.n, 2);
	assert_string_equal(s.exclude_exe.items[1], "/usr/sbin/cron");
	assert_int_equal(s.exclude_uid.n, 2);
	assert_int_equal(s.exclude_uid.items[1], 4294967294u);
	assert_int_equal(s.include_uid.n, 1);
	assert_int_equal(s.include_uid.items[0], 1000);
	assert_int_equal(s.exclude_cgroup.n, 3);
	assert_string_equal(s.exclude_cgroup.items[1], "42");
	assert_int_equal(s.exclude_path_prefix.n, 2);
	assert_string_equal(s.include_path_prefix.items[1], "/home/");
	settings_done(&s);
}

static void test_spellings(void **state)
{
	static const struct {
		const char *text;
		size_t offset;
		uint32_t value;
	} v[] = {
	    {OUT "ring_buffer_size = 4194304", offsetof(struct clawos_settings, ring_buffer_size), 4194304},
	    {OUT "ring_buffer_size = 256M", offsetof(struct clawos_settings, ring_buffer_size), 268435456},
	    {OUT "ring_buffer_size = 1024K", offsetof(struct clawos_settings, ring_buffer_size), 1048576},
	    {OUT "socket_mode = 0", offsetof(struct clawos_settings, socket_mode), 0},
	    {OUT "socket_mode = 00600", offsetof(struct clawos_settings, socket_mode), 0600},
	    {OUT "socket_mode = 0775", offsetof(struct clawos_settings, socket_mode), 0775},
	    {OUT "max_clients = 1", offsetof(struct clawos_settings, max_clients), 1},
	    {OUT "stats_interval = 86400", offsetof(struct clawos_settings, stats_interval), 86400},
	    {ANO "file_access_violation_mode = 0", offsetof(struct clawos_settings, file_access_violation_mode), 0},
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		struct clawos_settings s;

		parse_ok(v[i].text, &s);
		assert_int_equal(*(uint32_t *)((uint8_t *)&s + v[i].offset), v[i].value);
		settings_done(&s);
	}
}

static void test_booleans(void **state)
{
	static const char *const yes[] = {"1", "yes", "YES", "true", "True", "on", "ON"};
	static const char *const no[] = {"0", "no", "No", "false", "FALSE", "off", "Off"};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		struct clawos_settings s;
		char text[128];

		snprintf(text, sizeof(text), OUT "journal = %s\nsocket = %s\n", no[i], yes[i]);
		parse_ok(text, &s);
		assert_false(s.journal_enabled);
		assert_true(s.socket_enabled);
		settings_done(&s);
	}
}

/* The longest line inih takes whole, with LF and with CRLF. */
static void test_line_limit(void **state)
{
	const char *lines[] = {COMMENT198 "\n", COMMENT198 "\r\n", COMMENT198 ""};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
		struct clawos_settings s;

		parse_ok(lines[i], &s);
		settings_done(&s);
	}
}

static void test_round_trip(void **state)
{
	const char *texts[] = {"", full_config};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
		struct clawos_settings a, b;
		char *out = NULL;
		size_t len = 0;
		FILE *f;

		parse_ok(texts[i], &a);
		f = open_memstream(&out, &len);
		assert_non_null(f);
		assert_int_equal(settings_print(&a, f, false), 0);
		fclose(f);
		/* Every key is printed. */
		for (size_t k = 0; k < config_n_keys; k++) {
			char needle[80];

			snprintf(needle, sizeof(needle), "\n%s =", config_keys[k].key);
			assert_non_null(strstr(out, needle));
		}
		parse_ok(out, &b);
		assert_settings_equal(&a, &b);
		free(out);
		settings_done(&a);
		settings_done(&b);
	}
}

static void test_print_json(void **state)
{
	struct json_object *o, *sec, *v;
	struct clawos_settings s;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	parse_ok(full_config, &s);
	f = open_memstream(&out, &len);
	assert_non_null(f);
	assert_int_equal(settings_print(&s, f, true), 0);
	fclose(f);
	o = json_tokener_parse(out);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "output", &sec));
	assert_true(json_object_object_get_ex(sec, "socket_mode", &v));
	assert_string_equal(json_object_get_string(v), "0640");
	assert_true(json_object_object_get_ex(sec, "stdout", &v));
	assert_string_equal(json_object_get_string(v), "yes");
	assert_true(json_object_object_get_ex(sec, "ring_buffer_size", &v));
	assert_int_equal(json_object_get_int64(v), 65536);
	assert_true(json_object_object_get_ex(o, "monitoring", &sec));
	assert_true(json_object_object_get_ex(sec, "enable_file_monitoring", &v));
	assert_true(json_object_is_type(v, json_type_boolean));
	assert_true(json_object_object_get_ex(o, "filter", &sec));
	assert_true(json_object_object_get_ex(sec, "exclude_uid", &v));
	assert_int_equal(json_object_array_length(v), 2);
	assert_int_equal(json_object_get_int64(json_object_array_get_idx(v, 1)), 4294967294);
	assert_true(json_object_object_get_ex(sec, "exclude_comm", &v));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 2)), "café");
	json_object_put(o);
	free(out);
	settings_done(&s);
}

static void test_deny_lists(void **state)
{
	struct clawos_settings s;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	parse_ok(ANO "network_deny_ports = 4444, 22\n"
		     "network_deny_cidrs = 203.0.113.0/24, 2001:DB8:0::/32, 192.0.2.7, ::ffff:198.51.100.0/120\n",
		 &s);
	assert_int_equal(s.network_deny_ports.n, 2);
	assert_int_equal(s.network_deny_ports.items[0], 4444);
	assert_int_equal(s.network_deny_ports.items[1], 22);
	assert_int_equal(s.network_deny_cidrs.n, 4);
	assert_int_equal(s.network_deny_cidrs.items[0].prefix, 96 + 24);
	assert_int_equal(s.network_deny_cidrs.items[0].addr[10], 0xff);
	assert_int_equal(s.network_deny_cidrs.items[0].addr[12], 203);
	assert_int_equal(s.network_deny_cidrs.items[1].prefix, 32);
	assert_int_equal(s.network_deny_cidrs.items[1].addr[0], 0x20);
	assert_int_equal(s.network_deny_cidrs.items[2].prefix, 128);
	/* printed back in canonical form, the same values when read again */
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(settings_print(&s, f, false), 0);
	fclose(f);
	assert_non_null(strstr(text, "network_deny_ports = 4444, 22\n"));
	assert_non_null(
	    strstr(text, "network_deny_cidrs = 203.0.113.0/24, 2001:db8::/32, 192.0.2.7, 198.51.100.0/24\n"));
	{
		struct clawos_settings again;

		parse_ok(text, &again);
		assert_int_equal(again.network_deny_ports.n, 2);
		assert_memory_equal(&again.network_deny_ports, &s.network_deny_ports, sizeof(s.network_deny_ports));
		assert_memory_equal(&again.network_deny_cidrs, &s.network_deny_cidrs, sizeof(s.network_deny_cidrs));
		settings_done(&again);
	}
	free(text);
	settings_done(&s);
}

static void test_diff_restart_only(void **state)
{
	const char *names[8];
	struct clawos_settings a, b;
	size_t n;

	(void)state;
	parse_ok("", &a);
	parse_ok(MON "enable_syscall_tracing = no\n" OUT "socket_path = /run/other.sock\nring_buffer_size = 8M\n"
		     "max_clients = 3\nstdout = no\njournal_records = all\nstats_interval = 5\n" FIL
		     "exclude_comm = a\n",
		 &b);
	n = settings_diff_restart_only(&a, &b, names, ELEMENTSOF(names));
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "socket_path");
	assert_string_equal(names[1], "ring_buffer_size");
	assert_int_equal(settings_diff_restart_only(&a, &b, names, 1), 1);
	assert_int_equal(settings_diff_restart_only(&a, &a, names, ELEMENTSOF(names)), 0);
	settings_done(&b);
	parse_ok(OUT "socket = no\nsocket_mode = 0600\nsocket_group = adm\n", &b);
	assert_int_equal(settings_diff_restart_only(&a, &b, names, ELEMENTSOF(names)), 3);
	settings_done(&a);
	settings_done(&b);
}

/* A value other than the default for every restart-only key. */
static const char *const restart_changes[][2] = {
    {"max_tracked_processes", "[target]\nmax_tracked_processes = 2048\n"},
    {"socket", OUT "socket = no\n"},
    {"socket_path", OUT "socket_path = /run/other/events.sock\n"},
    {"socket_mode", OUT "socket_mode = 0600\n"},
    {"socket_group", OUT "socket_group = adm\n"},
    {"connect", OUT "connect = yes\n"},
    {"connect_path", OUT "connect_path = /run/other/shipper.sock\n"},
    {"connect_buffer_size", OUT "connect_buffer_size = 1M\n"},
    {"ring_buffer_size", OUT "ring_buffer_size = 8M\n"},
    {"interfaces", "[interfaces]\ninterfaces = lo\n"},
};

static const char *restart_change(const char *key)
{
	for (size_t i = 0; i < ELEMENTSOF(restart_changes); i++)
		if (strcmp(restart_changes[i][0], key) == 0)
			return restart_changes[i][1];
	return NULL;
}

/* A reload that changes one restart-only key (each in turn) keeps the
 * running value and names the key, for manager_apply_live() to log. */
static void test_keep_restart_only(void **state)
{
	size_t n_restart = 0;

	(void)state;
	for (size_t i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		struct clawos_settings running, next, defaults;
		const char *names[SETTINGS_RESTART_ONLY_MAX], *text = restart_change(k->key);
		size_t n;

		if (k->reload_live)
			continue;
		n_restart++;
		if (!text)
			fail_msg("restart-only key %s has no test value in restart_changes[]", k->key);
		parse_ok("", &running);
		parse_ok("", &defaults);
		parse_ok(text, &next);
		assert_false(k->type->equal(config_field(k, &running), config_field(k, &next)));
		n = settings_keep_restart_only(&next, &running, names, ELEMENTSOF(names));
		assert_int_equal(n, 1);
		assert_string_equal(names[0], k->key);
		/* next holds the running value; every other key is next's */
		for (size_t j = 0; j < config_n_keys; j++)
			assert_true(config_keys[j].type->equal(config_field(&config_keys[j], &next),
							       config_field(&config_keys[j], &defaults)));
		settings_done(&running);
		settings_done(&next);
		settings_done(&defaults);
	}
	assert_int_equal(n_restart, ELEMENTSOF(restart_changes));
	assert_true(n_restart <= SETTINGS_RESTART_ONLY_MAX);
}

/* Live keys are not touched by the keep. */
static void test_keep_live(void **state)
{
	struct clawos_settings running, next;
	const char *names[SETTINGS_RESTART_ONLY_MAX];

	(void)state;
	parse_ok("", &running);
	parse_ok(OUT "max_clients = 3\nsocket_path = /run/x/e.sock\n" FIL "exclude_comm = a, b\n" MON
		     "aggregate_window = 200\n",
		 &next);
	assert_int_equal(settings_keep_restart_only(&next, &running, names, ELEMENTSOF(names)), 1);
	assert_int_equal(next.aggregate_window, 200);
	assert_string_equal(names[0], "socket_path");
	assert_string_equal(next.socket_path, CLAWOS_DEFAULT_SOCKET_PATH);
	assert_null(running.socket_path); /* moved, not copied */
	assert_int_equal(next.max_clients, 3);
	assert_int_equal(next.exclude_comm.n, 2);
	settings_done(&running);
	settings_done(&next);
}

static void test_error_format(void **state)
{
	struct clawos_config_error err;
	struct clawos_settings s;
	char buf[1024];

	(void)state;
	assert_int_equal(config_parse_buffer("/etc/x.conf", OUT "stdout = maybe\n", 24, &s, &err), -EINVAL);
	assert_string_equal(config_error_format(&err, buf, sizeof(buf)),
			    "/etc/x.conf:2: [output] stdout: expected one of auto, no, yes, got 'maybe'");
	assert_int_equal(config_parse_buffer("/etc/x.conf", "[nope]\n", 7, &s, &err), -EINVAL);
	assert_string_equal(config_error_format(&err, buf, sizeof(buf)),
			    "/etc/x.conf:1: [nope]: unknown section; expected [monitoring], [anomaly], [target], "
			    "[output], [filter], [interfaces] or [rules]");
	assert_int_equal(config_parse_buffer(NULL, "x = 1\n", 6, &s, &err), -EINVAL);
	assert_string_equal(config_error_format(&err, buf, sizeof(buf)),
			    "<buffer>:1: x: key outside any section: add a [section] header above it");
	/* Truncation keeps a NUL-terminated prefix. */
	assert_ptr_equal(config_error_format(&err, buf, 5), buf);
	assert_string_equal(buf, "<buf");
}

/* ---- the shipped file ---- */

static void test_shipped_config(void **state)
{
	const char *root = getenv("CLAWOS_SOURCE_ROOT") ?: CLAWOS_SOURCE_ROOT;
	struct clawos_settings s, d;
	struct clawos_config_error err;
	char path[4096], buf[1024];
	_cleanup_free_ char *text = NULL;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/config/clawos-ebpf.conf", root);
	text = read_text(path, &len);
	if (config_parse_buffer(path, text, len, &s, &err) < 0)
		fail_msg("%s", config_error_format(&err, buf, sizeof(buf)));
	assert_int_equal(settings_init_defaults(&d), 0);
	assert_settings_equal(&s, &d);
	/* Every key is spelled out, in the first column. */
	for (size_t k = 0; k < config_n_keys; k++) {
		char needle[80];

		snprintf(needle, sizeof(needle), "\n%s =", config_keys[k].key);
		if (!strstr(text, needle))
			fail_msg("%s does not list %s", path, config_keys[k].key);
	}
	settings_done(&s);
	settings_done(&d);
}

/* ---- files ---- */

static char tmpdir[] = "/tmp/test-config-XXXXXX";

static int setup_tmpdir(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmpdir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *name, const char *text, size_t len, mode_t mode, char *path, size_t size)
{
	int fd;

	snprintf(path, size, "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int load(const char *path, struct clawos_config_error *err, char hex[SHA256_HEX_SIZE])
{
	struct clawos_settings s;
	int r;

	r = config_load_file(path, &s, err, hex);
	if (r < 0)
		assert_null(s.socket_path);
	settings_done(&s);
	return r;
}

static void test_load_file(void **state)
{
	static const char text[] = OUT "max_clients = 7\n";
	struct clawos_config_error err;
	struct clawos_settings s;
	char path[256], link[256], hex[SHA256_HEX_SIZE], expect[SHA256_HEX_SIZE];

	(void)state;
	write_file("good.conf", text, strlen(text), 0644, path, sizeof(path));
	assert_int_equal(config_load_file(path, &s, &err, hex), 0);
	assert_int_equal(s.max_clients, 7);
	sha256_hex(text, strlen(text), expect);
	assert_string_equal(hex, expect);
	settings_done(&s);

	/* Symlinks are followed; the target is what is checked. */
	snprintf(link, sizeof(link), "%s/link.conf", tmpdir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(load(link, &err, NULL), 0);

	write_file("bad.conf", OUT "max_clients = 0\n", 25, 0600, path, sizeof(path));
	assert_int_equal(load(path, &err, hex), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_string_equal(err.file, path);
	assert_int_equal(strlen(hex), 64); /* hashed even though it failed */

	snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
	assert_int_equal(load(path, &err, hex), -ENOENT);
	assert_int_equal(err.line, 0);
	assert_string_equal(hex, "");
}

static void test_load_file_refused(void **state)
{
	static const char text[] = OUT "max_clients = 7\n";
	struct clawos_config_error err;
	char path[256], *big;

	(void)state;
	write_file("ww.conf", text, strlen(text), 0666, path, sizeof(path));
	assert_int_equal(load(path, &err, NULL), -EPERM);
	assert_non_null(strstr(err.message, "world-writable"));
	assert_int_equal(err.line, 0);
	/* a group that may write the file may change what the agent does */
	write_file("gw.conf", text, strlen(text), 0664, path, sizeof(path));
	assert_int_equal(load(path, &err, NULL), -EPERM);
	assert_non_null(strstr(err.message, "group-writable"));
	assert_int_equal(err.line, 0);

	snprintf(path, sizeof(path), "%s/dir.conf", tmpdir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(load(path, &err, NULL), -EISDIR);
	assert_non_null(strstr(err.message, "is a directory"));

	/* Opening a FIFO must neither block nor be accepted. */
	snprintf(path, sizeof(path), "%s/fifo.conf", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(load(path, &err, NULL), -EINVAL);
	assert_non_null(strstr(err.message, "is a FIFO"));

	big = malloc(CONFIG_FILE_MAX + 1);
	assert_non_null(big);
	memset(big, '\n', CONFIG_FILE_MAX + 1);
	write_file("big.conf", big, CONFIG_FILE_MAX + 1, 0644, path, sizeof(path));
	assert_int_equal(load(path, &err, NULL), -EFBIG);
	write_file("max.conf", big, CONFIG_FILE_MAX, 0644, path, sizeof(path));
	assert_int_equal(load(path, &err, NULL), 0);
	free(big);

	if (geteuid() != 0) {
		print_message("# skipping the ownership check: not running as root\n");
		return;
	}
	write_file("owner.conf", text, strlen(text), 0644, path, sizeof(path));
	assert_int_equal(chown(path, 1000, 1000), 0);
	assert_int_equal(load(path, &err, NULL), -EPERM);
	assert_non_null(strstr(err.message, "owned by uid 1000"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_configs),	      cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_full_config),	      cmocka_unit_test(test_spellings),
	    cmocka_unit_test(test_booleans),	      cmocka_unit_test(test_line_limit),
	    cmocka_unit_test(test_round_trip),	      cmocka_unit_test(test_print_json),
	    cmocka_unit_test(test_deny_lists),	      cmocka_unit_test(test_diff_restart_only),
	    cmocka_unit_test(test_keep_restart_only), cmocka_unit_test(test_keep_live),
	    cmocka_unit_test(test_error_format),      cmocka_unit_test(test_shipped_config),
	    cmocka_unit_test(test_load_file),	      cmocka_unit_test(test_load_file_refused),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
