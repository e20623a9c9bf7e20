/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* detect.c: rules, de-duplication and texts, on hand-made records. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent/detect.h"
#include "agent/util/time-util.h"

#define SEC NSEC_PER_SEC

static void hdr_init(struct clawos_event_hdr *h, uint8_t type, uint16_t size, uint32_t pid, const char *comm)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->version = CLAWOS_ABI_VERSION;
	h->size = size;
	h->pid = h->tid = pid;
	strncpy(h->comm, comm, sizeof(h->comm) - 1);
}

static struct detect *new_detect(uint32_t mode, bool enforce)
{
	struct detect *d;
	struct detect_settings s = {
	    .cooldown_s = 60,
	    .file_mode = mode,
	    .enforce_available = enforce,
	    .connect_threshold = 100,
	    .distinct_threshold = 50,
	};

	assert_int_equal(detect_new(&d), 0);
	s.deny_ports.items[s.deny_ports.n++] = 4444;
	assert_int_equal(cidr_parse("203.0.113.0/24", &s.deny_cidrs.items[s.deny_cidrs.n++]), 0);
	assert_int_equal(cidr_parse("2001:db8::/32", &s.deny_cidrs.items[s.deny_cidrs.n++]), 0);
	detect_configure(d, &s);
	return d;
}

static size_t connect4(struct detect *d, uint32_t pid, const char *addr, uint16_t port, uint64_t now,
		       struct clawos_anomaly_event *out, size_t max)
{
	struct clawos_net_event e;

	hdr_init(&e.hdr, CLAWOS_EV_NET, sizeof(e), pid, "python3");
	inet_pton(AF_INET, addr, &e.addr);
	e.port = htons(port);
	e.op = CLAWOS_NET_OP_CONNECT;
	e.info = CLAWOS_NET_INFO(CLAWOS_PROTO_TCP, CLAWOS_MECH_CGROUP);
	return detect_record(d, &e.hdr, now, out, max);
}

static void test_file_violation_modes(void **state)
{
	struct clawos_file_event f;
	struct clawos_anomaly_event out[4];
	struct detect *d = new_detect(1, false);

	hdr_init(&f.hdr, CLAWOS_EV_FILE, sizeof(f), 42, "cat");
	strcpy(f.path, "/etc/shadow");
	f.path_flags = CLAWOS_PATH_F_VIOLATION;
	f.verdict = CLAWOS_VERDICT_ALLOW;
	f.mechanism = CLAWOS_MECH_TRACEPOINT;
	assert_int_equal(detect_record(d, &f.hdr, SEC, out, 4), 1);
	assert_int_equal(out[0].kind, CLAWOS_ANOMALY_FILE_VIOLATION);
	assert_string_equal(out[0].rule, "protected_path");
	assert_string_equal(out[0].subject, "/etc/shadow");
	assert_int_equal(out[0].flags, 0);
	detect_describe(&out[0]);
	assert_non_null(strstr(out[0].description, "cat[42] opened protected path /etc/shadow"));
	detect_free(d);

	d = new_detect(2, false); /* enforce asked, no BPF-LSM */
	assert_int_equal(detect_record(d, &f.hdr, SEC, out, 4), 1);
	assert_true(out[0].flags & CLAWOS_ANOMALY_F_ENFORCE_UNAVAILABLE);
	detect_describe(&out[0]);
	assert_non_null(strstr(out[0].description, "enforcement needs BPF-LSM"));
	detect_free(d);

	d = new_detect(2, true);
	f.verdict = CLAWOS_VERDICT_DENY;
	assert_int_equal(detect_record(d, &f.hdr, SEC, out, 4), 1);
	assert_true(out[0].flags & CLAWOS_ANOMALY_F_ENFORCED);
	detect_free(d);

	d = new_detect(0, false); /* off */
	assert_int_equal(detect_record(d, &f.hdr, SEC, out, 4), 0);
	f.path_flags = CLAWOS_PATH_F_TAMPER; /* tamper is not switched off by the mode */
	assert_int_equal(detect_record(d, &f.hdr, SEC, out, 4), 1);
	assert_int_equal(out[0].kind, CLAWOS_ANOMALY_TAMPER);
	detect_free(d);
}

static void test_connect_rate_once_per_second(void **state)
{
	struct clawos_anomaly_event out[4];
	struct detect *d = new_detect(1, false);
	size_t raised = 0, n;

	for (int i = 0; i < 150; i++) { /* one destination: burst, not scan */
		n = connect4(d, 7, "127.0.0.1", 8080, 5 * SEC + i, out, 4);
		for (size_t j = 0; j < n; j++) {
			assert_string_equal(out[j].rule, "connect_rate");
			assert_int_equal(out[j].observed, 101);
			assert_int_equal(out[j].threshold, 100);
			raised++;
		}
	}
	assert_int_equal(raised, 1);
	/* the next second starts over */
	assert_int_equal(connect4(d, 7, "127.0.0.1", 8080, 6 * SEC, out, 4), 0);
	/* 100 exactly is not over the threshold */
	for (int i = 0; i < 99; i++)
		assert_int_equal(connect4(d, 7, "127.0.0.1", 8080, 6 * SEC + i, out, 4), 0);
	detect_free(d);
}

static void test_distinct_destinations(void **state)
{
	struct clawos_anomaly_event out[4];
	struct detect *d = new_detect(1, false);
	size_t scans = 0;

	for (int port = 1000; port < 1080; port++) {
		size_t n = connect4(d, 9, "127.0.0.1", (uint16_t)port, 10 * SEC, out, 4);

		for (size_t j = 0; j < n; j++)
			if (strcmp(out[j].rule, "distinct_destinations") == 0)
				scans++;
	}
	assert_int_equal(scans, 1);
	detect_free(d);
}

static void test_deny_lists(void **state)
{
	struct clawos_anomaly_event out[4];
	struct detect *d = new_detect(1, false);
	struct clawos_net6_event e6;

	assert_int_equal(connect4(d, 11, "192.0.2.1", 4444, SEC, out, 4), 1);
	assert_string_equal(out[0].rule, "deny_port");
	assert_string_equal(out[0].subject, "192.0.2.1:4444");
	assert_int_equal(connect4(d, 11, "203.0.113.77", 443, SEC, out, 4), 1);
	assert_string_equal(out[0].rule, "deny_cidr");
	assert_int_equal(connect4(d, 11, "203.0.114.1", 443, SEC, out, 4), 0);

	hdr_init(&e6.hdr, CLAWOS_EV_NET6, sizeof(e6), 12, "curl");
	inet_pton(AF_INET6, "2001:db8:1::5", e6.addr);
	e6.port = htons(443);
	e6.op = CLAWOS_NET_OP_CONNECT;
	assert_int_equal(detect_record(d, &e6.hdr, SEC, out, 4), 1);
	assert_string_equal(out[0].subject, "[2001:db8:1::5]:443");
	e6.op = CLAWOS_NET_OP_BIND; /* only connects count */
	assert_int_equal(detect_record(d, &e6.hdr, SEC, out, 4), 0);
	detect_free(d);
}

static void test_dedup_cooldown(void **state)
{
	struct detect *d = new_detect(1, false);
	struct clawos_anomaly_event a = {}, b;
	struct detect_stats st;

	hdr_init(&a.hdr, CLAWOS_EV_ANOMALY, sizeof(a), 5, "bpftool");
	a.kind = CLAWOS_ANOMALY_TAMPER;
	strcpy(a.rule, "bpf_syscall");
	b = a;
	assert_true(detect_admit(d, &b, 1 * SEC));
	assert_int_equal(b.suppressed, 0);
	for (int i = 0; i < 5; i++) {
		b = a;
		assert_false(detect_admit(d, &b, 2 * SEC + i));
	}
	b = a;
	b.hdr.pid = 6; /* another process is another anomaly */
	assert_true(detect_admit(d, &b, 3 * SEC));
	b = a;
	assert_true(detect_admit(d, &b, 62 * SEC)); /* after the cool-down */
	assert_int_equal(b.suppressed, 5);
	b.observed = 11;
	detect_describe(&b);
	assert_non_null(strstr(b.description, "bpf(BPF_PROG_GET_NEXT_ID)"));
	assert_non_null(strstr(b.description, "5 identical suppressed"));
	detect_get_stats(d, &st);
	assert_int_equal(st.raised, 3);
	assert_int_equal(st.suppressed, 5);
	assert_int_equal(st.raised_by_kind[CLAWOS_ANOMALY_TAMPER], 3);
	assert_int_equal(st.raised_by_kind[CLAWOS_ANOMALY_SYSCALL_RATE], 0);
	b = a;
	b.kind = 200; /* a kind this build does not know counts as unknown (0) */
	assert_true(detect_admit(d, &b, 63 * SEC));
	detect_get_stats(d, &st);
	assert_int_equal(st.raised_by_kind[0], 1);
	detect_free(d);
}

/* A ring anomaly is outside input: its strings may fill their arrays with no
 * NUL.  With suppressed > 0 the description used to be measured with strlen
 * past its end and appended to with a wrapped size (issue 16). */
static void test_describe_unterminated(void **state)
{
	struct clawos_anomaly_event *a = malloc(sizeof(*a));
	size_t dl = sizeof(a->description);

	assert_non_null(a);
	memset(a, 'A', sizeof(*a));
	a->hdr.type = CLAWOS_EV_ANOMALY;
	a->suppressed = 3;
	/* the arrays after description are full too: strlen would run to the end */
	detect_describe(a);
	assert_int_equal(a->description[dl - 1], '\0');
	assert_true(strnlen(a->rule, sizeof(a->rule)) < sizeof(a->rule));
	assert_true(strnlen(a->subject, sizeof(a->subject)) < sizeof(a->subject));
	assert_true(strnlen(a->target, sizeof(a->target)) < sizeof(a->target));
	free(a);

	/* a description with no NUL followed by a subject: the wrapped size
	 * wrote the suffix into the subject */
	a = calloc(1, sizeof(*a));
	assert_non_null(a);
	memset(a->description, 'B', dl);
	strcpy(a->subject, "keep");
	strcpy(a->rule, "syscall_rate");
	a->suppressed = 1;
	detect_describe(a);
	assert_string_equal(a->subject, "keep");
	assert_true(strlen(a->description) < dl);
	assert_int_equal(strncmp(a->description, "BBBB", 4), 0);
	free(a);
}

/* `for i in ...; do cat /etc/shadow; done`: every violation from a new
 * child of one shell.  A bounded number of records, the rest counted in
 * summaries; another parent's violation passes at once; critical always. */
static void test_flood_control(void **state)
{
	struct detect *d = new_detect(60, false);
	struct clawos_anomaly_event a = {}, b, out[8];
	struct detect_stats st;
	uint64_t counted = 0;
	unsigned admitted = 0;
	size_t n;

	hdr_init(&a.hdr, CLAWOS_EV_ANOMALY, sizeof(a), 0, "cat");
	a.hdr.ppid = 700;
	a.kind = CLAWOS_ANOMALY_FILE_VIOLATION;
	a.severity = CLAWOS_SEV_HIGH;
	strcpy(a.rule, "protected_path");
	strcpy(a.subject, "/etc/shadow");
	for (uint32_t i = 0; i < 5000; i++) {
		b = a;
		b.hdr.pid = 1000 + i;
		if (detect_admit(d, &b, 1 * SEC + i * 1000)) {
			admitted++;
			counted += 1 + b.suppressed;
		}
		if (i == 2500) { /* another tree, mid-flood */
			b = a;
			b.hdr.pid = 99;
			b.hdr.ppid = 98;
			assert_true(detect_admit(d, &b, 1 * SEC + i * 1000));
			b.hdr.ppid = 700; /* a sibling, but critical */
			b.hdr.pid = 97;
			b.severity = CLAWOS_SEV_CRITICAL;
			assert_true(detect_admit(d, &b, 1 * SEC + i * 1000));
		}
	}
	assert_int_equal(admitted, 32);			       /* the parent's burst: each child is new */
	assert_int_equal(detect_flush(d, 2 * SEC, out, 8), 0); /* not due yet */
	n = detect_flush(d, 12 * SEC, out, 8);
	assert_int_equal(n, 1);
	counted += 1 + out[0].suppressed;
	assert_int_equal(counted, 5000);
	assert_non_null(strstr(out[0].description, "flood control: 4968 "));
	assert_int_equal(detect_flush(d, 30 * SEC, out, 8), 0); /* nothing left */
	/* the bucket refills: one more every 10 s */
	b = a;
	b.hdr.pid = 9999;
	assert_true(detect_admit(d, &b, 30 * SEC));
	detect_get_stats(d, &st);
	assert_int_equal(st.flooded, 4968);
	assert_int_equal(st.flood_evicted, 0);
	detect_free(d);
}

static void test_parse_cidr(void **state)
{
	struct cidr c;

	assert_int_equal(cidr_parse("10.0.0.0/8", &c), 0);
	assert_int_equal(c.prefix, 104);
	assert_int_equal(cidr_parse("192.0.2.7", &c), 0);
	assert_int_equal(c.prefix, 128);
	assert_int_equal(cidr_parse("::1", &c), 0);
	assert_int_equal(cidr_parse("fe80::/10", &c), 0);
	assert_int_equal(c.prefix, 10);
	assert_int_equal(cidr_parse("10.0.0.0/33", &c), -EINVAL);
	assert_int_equal(cidr_parse("10.0.0.0/", &c), -EINVAL);
	assert_int_equal(cidr_parse("10.0.0.0/8x", &c), -EINVAL);
	assert_int_equal(cidr_parse("example.com", &c), -EINVAL);
	assert_int_equal(cidr_parse("::/129", &c), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file_violation_modes),  cmocka_unit_test(test_connect_rate_once_per_second),
	    cmocka_unit_test(test_distinct_destinations), cmocka_unit_test(test_deny_lists),
	    cmocka_unit_test(test_dedup_cooldown),	  cmocka_unit_test(test_parse_cidr),
	    cmocka_unit_test(test_describe_unterminated), cmocka_unit_test(test_flood_control),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
