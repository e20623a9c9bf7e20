/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * agent/evasion.c: the i386 system-call and io_uring opcode names, and the
 * text of evasion anomalies as the kernel leaves them (raw socket address
 * in top[], an agent map id, an empty subject).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "evasion.h"

static void test_names(void **state)
{
	assert_string_equal(i386_syscall_name(5), "open");
	assert_string_equal(i386_syscall_name(8), "creat");
	assert_string_equal(i386_syscall_name(11), "execve");
	assert_string_equal(i386_syscall_name(102), "socketcall");
	assert_string_equal(i386_syscall_name(295), "openat");
	assert_string_equal(i386_syscall_name(357), "bpf");
	assert_string_equal(i386_syscall_name(362), "connect");
	assert_string_equal(i386_syscall_name(437), "openat2");
	assert_null(i386_syscall_name(100000));
	assert_string_equal(uring_op_name(16), "connect");
	assert_string_equal(uring_op_name(18), "openat");
	assert_string_equal(uring_op_name(28), "openat2");
	assert_string_equal(uring_op_name(35), "renameat");
	assert_string_equal(uring_op_name(36), "unlinkat");
	assert_null(uring_op_name(1000));
}

static void anomaly_init(struct clawos_anomaly_event *a, const char *rule, uint64_t observed)
{
	memset(a, 0, sizeof(*a));
	a->kind = CLAWOS_ANOMALY_EVASION;
	a->hdr.pid = 42;
	memcpy(a->hdr.comm, "evade", 6);
	snprintf(a->rule, sizeof(a->rule), "%s", rule);
	a->observed = observed;
}

static void test_compat(void **state)
{
	struct clawos_anomaly_event a;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(8080)};

	anomaly_init(&a, "compat_syscall", 5);
	snprintf(a.subject, sizeof(a.subject), "/etc/shadow");
	assert_true(evasion_describe(&a));
	assert_string_equal(a.description, "evade[42] made the 32-bit system call open (/etc/shadow) (int $0x80 from a "
					   "64-bit program: no syscall tracepoint sees it)");

	anomaly_init(&a, "compat_syscall", 102);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	memcpy(a.top, &sin, sizeof(sin));
	a.threshold = 1; /* a 32-bit program */
	assert_true(evasion_describe(&a));
	assert_string_equal(a.subject, "127.0.0.1:8080");
	assert_non_null(strstr(a.description, "socketcall (127.0.0.1:8080) (a 32-bit program)"));
	for (size_t i = 0; i < sizeof(a.top) / sizeof(a.top[0]); i++)
		assert_int_equal(a.top[i].count, 0); /* no stray top syscalls */

	anomaly_init(&a, "compat_syscall", 357);
	a.top[0].nr = 77;
	assert_true(evasion_describe(&a));
	assert_string_equal(a.subject, "the agent's map 77");

	anomaly_init(&a, "compat_syscall", 20); /* getpid: no subject, the call names it */
	assert_true(evasion_describe(&a));
	assert_string_equal(a.subject, "getpid");
}

static void test_uring_and_others(void **state)
{
	struct clawos_anomaly_event a;

	anomaly_init(&a, "io_uring", 18);
	snprintf(a.subject, sizeof(a.subject), "secret");
	a.threshold = (uint32_t)-100; /* AT_FDCWD */
	assert_true(evasion_describe(&a));
	assert_string_equal(a.description, "evade[42] submitted io_uring openat secret (fd -100; no syscall tracepoint "
					   "sees it, its result is not known)");

	anomaly_init(&a, "tracked_map_full", 4242);
	assert_true(evasion_describe(&a));
	assert_non_null(strstr(a.description, "new process 4242"));

	anomaly_init(&a, "agent_map", 2);
	a.kind = CLAWOS_ANOMALY_TAMPER;
	a.threshold = 9;
	assert_true(evasion_describe(&a));
	assert_non_null(strstr(a.description, "map (id 9"));

	anomaly_init(&a, "protected_path", 0);
	a.kind = CLAWOS_ANOMALY_FILE_VIOLATION;
	assert_false(evasion_describe(&a));
	assert_string_equal(a.description, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_compat),
	    cmocka_unit_test(test_uring_and_others),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
