// SPDX-License-Identifier: LGPL-2.1-or-later
/* proctable.c: lifecycle, inheritance of the target session, ancestry, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/proctable.h"

static void test_fork_exec_ancestry(void **state)
{
	struct proctable t;
	struct clawos_ancestor anc[CLAWOS_ANOMALY_ANCESTRY];
	const char *exe[CLAWOS_ANOMALY_ANCESTRY];
	unsigned n;

	assert_int_equal(proctable_init(&t), 0);
	proctable_exec(&t, 1, 0, "systemd", "/usr/lib/systemd/systemd");
	proctable_exec(&t, 100, 1, "bash", "/usr/bin/bash");
	proctable_set_session(&t, 100, 1000, 100); /* clawos-ebpf watch */
	proctable_fork(&t, 100, 101);
	proctable_exec(&t, 101, 100, "node", "/usr/bin/node");
	proctable_fork(&t, 101, 102);
	proctable_exec(&t, 102, 0, "sh", "/usr/bin/sh");
	proctable_fork(&t, 102, 103);
	proctable_exec(&t, 103, 0, "curl", "/usr/bin/curl");

	assert_int_equal(proctable_get(&t, 103)->session, 1000);
	assert_int_equal(proctable_get(&t, 103)->root_pid, 100);
	assert_int_equal(proctable_get(&t, 1)->session, 0);
	n = proctable_ancestry(&t, 103, anc, exe, CLAWOS_ANOMALY_ANCESTRY);
	/* up to the tree's root, not beyond */
	assert_int_equal(n, 3);
	assert_int_equal(anc[0].pid, 102);
	assert_string_equal(anc[0].comm, "sh");
	assert_string_equal(exe[1], "/usr/bin/node");
	assert_int_equal(anc[2].pid, 100);
	/* outside a tree: up to init */
	n = proctable_ancestry(&t, 100, anc, NULL, CLAWOS_ANOMALY_ANCESTRY);
	assert_int_equal(n, 1);
	assert_string_equal(anc[0].comm, "systemd");
	proctable_exit(&t, 103);
	assert_true(proctable_get(&t, 103)->exited);
	proctable_done(&t);
}

static void test_session_reaches_running_descendants(void **state)
{
	struct proctable t;

	assert_int_equal(proctable_init(&t), 0);
	proctable_exec(&t, 200, 1, "agent", "/opt/agent");
	proctable_exec(&t, 201, 200, "worker", "/opt/worker");
	proctable_exec(&t, 202, 201, "tool", "/opt/tool");
	proctable_exec(&t, 300, 1, "other", "/opt/other");
	proctable_set_session(&t, 200, 3, 200);
	assert_int_equal(proctable_get(&t, 202)->session, 3);
	assert_int_equal(proctable_get(&t, 300)->session, 0);
	proctable_done(&t);
}

/* A pid reused after an exit starts clean: no session of its predecessor. */
static void test_pid_reuse(void **state)
{
	struct proctable t;
	struct proc_entry *e;

	assert_int_equal(proctable_init(&t), 0);
	proctable_exec(&t, 500, 1, "agent", "/opt/agent");
	proctable_set_session(&t, 500, 1000, 500);
	proctable_exit(&t, 500);
	proctable_exec(&t, 600, 1, "bash", "/usr/bin/bash");
	proctable_fork(&t, 600, 500);
	e = proctable_get(&t, 500);
	assert_non_null(e);
	assert_false(e->exited);
	assert_int_equal(e->session, 0);
	assert_int_equal(e->ppid, 600);
	assert_string_equal(e->exe, "/usr/bin/bash");
	/* a pid /proc does not know is remembered as gone */
	e = proctable_load(&t, "/nonexistent-proc", 4242);
	assert_non_null(e);
	assert_true(e->exited);
	assert_ptr_equal(proctable_get(&t, 4242), e);
	proctable_done(&t);
}

static void test_bounded(void **state)
{
	struct proctable t;
	unsigned found = 0;

	assert_int_equal(proctable_init(&t), 0);
	for (uint32_t pid = 1; pid <= 3 * PROCTABLE_SLOTS; pid++)
		proctable_exec(&t, pid, 1, "x", "/x");
	assert_true(t.used <= PROCTABLE_SLOTS);
	assert_true(t.evictions > 0);
	for (uint32_t pid = 3 * PROCTABLE_SLOTS - 100; pid <= 3 * PROCTABLE_SLOTS; pid++)
		found += proctable_get(&t, pid) != NULL;
	assert_int_equal(found, 101); /* the newest are there */
	proctable_done(&t);
}

static void test_seed_from_proc(void **state)
{
	struct proctable t;
	struct proc_entry *self;

	assert_int_equal(proctable_init(&t), 0);
	assert_int_equal(proctable_seed(&t, "/proc"), 0);
	self = proctable_get(&t, (uint32_t)getpid());
	assert_non_null(self);
	assert_int_equal(self->ppid, (uint32_t)getppid());
	assert_string_equal(self->comm, "test-proctable");
	/* processes older than the agent: their command line from /proc */
	assert_non_null(self->cmdline);
	assert_non_null(strstr(self->cmdline->text, "test-proctable"));
	proctable_done(&t);
}

/* The command line of the last exec: joined by spaces, shared with the
 * children forked since, dropped by the next exec. */
static void test_cmdline(void **state)
{
	static const char args[] = "python3\0-c\0print(1)\0";
	struct proctable t;
	struct proc_entry *e;

	assert_int_equal(proctable_init(&t), 0);
	proctable_exec(&t, 10, 1, "python3", "/usr/bin/python3.11");
	proctable_set_args(&t, 10, args, sizeof(args) - 1);
	e = proctable_get(&t, 10);
	assert_non_null(e->cmdline);
	assert_string_equal(e->cmdline->text, "python3 -c print(1)");
	assert_int_equal(e->cmdline->len, 19);
	proctable_fork(&t, 10, 11);
	assert_ptr_equal(proctable_get(&t, 11)->cmdline, e->cmdline);
	assert_int_equal(e->cmdline->refs, 2);
	proctable_exit(&t, 10);
	proctable_fork(&t, 1, 10); /* the pid reused: the child keeps its copy */
	assert_null(proctable_get(&t, 10)->cmdline);
	assert_string_equal(proctable_get(&t, 11)->cmdline->text, "python3 -c print(1)");
	proctable_exec(&t, 11, 10, "sh", "/usr/bin/dash");
	assert_null(proctable_get(&t, 11)->cmdline);
	/* no trailing NUL, one NUL only, longer than the limit */
	proctable_set_args(&t, 11, "a\0b", 3);
	assert_string_equal(proctable_get(&t, 11)->cmdline->text, "a b");
	proctable_set_args(&t, 11, "", 1);
	assert_string_equal(proctable_get(&t, 11)->cmdline->text, "");
	{
		static char big[PROC_CMDLINE_MAX + 100];

		memset(big, 'x', sizeof(big));
		proctable_set_args(&t, 11, big, sizeof(big));
		assert_int_equal(proctable_get(&t, 11)->cmdline->len, PROC_CMDLINE_MAX);
	}
	proctable_done(&t); /* ASan: nothing leaks */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cmdline),
	    cmocka_unit_test(test_fork_exec_ancestry),
	    cmocka_unit_test(test_session_reaches_running_descendants),
	    cmocka_unit_test(test_pid_reuse),
	    cmocka_unit_test(test_bounded),
	    cmocka_unit_test(test_seed_from_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
