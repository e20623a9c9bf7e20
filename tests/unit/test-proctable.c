/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proctable.c: lifecycle, inheritance of the target session, ancestry, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/proctable.h"
#include "agent/util/time-util.h"

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

/* A fake /proc/PID: stat with comm, ppid and starttime (ticks), exe,
 * cmdline. */
static void fake_proc(const char *root, uint32_t pid, const char *comm, uint32_t ppid, unsigned long long start,
		      const char *exe, const char *cmdline, size_t cmdline_len)
{
	char dir[512], path[600];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/%u", root, pid);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/stat", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%u (%s) S %u %u %u 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 %llu 1000000 100 0\n", pid, comm, ppid,
		pid, pid, start);
	fclose(f);
	snprintf(path, sizeof(path), "%s/exe", dir);
	unlink(path);
	assert_int_equal(symlink(exe, path), 0);
	snprintf(path, sizeof(path), "%s/cmdline", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fwrite(cmdline, 1, cmdline_len, f);
	fclose(f);
}

static void record_hdr(struct clawos_event_hdr *h, uint32_t pid, uint32_t ppid, const char *comm, uint64_t ts)
{
	memset(h, 0, sizeof(*h));
	h->type = CLAWOS_EV_FILE;
	h->pid = h->tid = pid;
	h->ppid = ppid;
	h->ts_ns = ts;
	strncpy(h->comm, comm, sizeof(h->comm) - 1);
}

/* A pid reused while its exit and the new fork/exec records were lost: the
 * first record of the new process disagrees with the entry (comm, parent),
 * /proc shows another start time, and the entry starts afresh: no exe,
 * command line or target of its predecessor (issue 16). */
static void test_lost_records_reused_pid(void **state)
{
	char root[] = "/tmp/test-proctable.XXXXXX";
	uint64_t tick = NSEC_PER_SEC / (uint64_t)sysconf(_SC_CLK_TCK);
	struct clawos_event_hdr h;
	struct proctable t;
	struct proc_entry *e;

	assert_non_null(mkdtemp(root));
	assert_int_equal(proctable_init(&t), 0);
	fake_proc(root, 1, "systemd", 0, 1, "/usr/lib/systemd/systemd", "systemd", 8);
	fake_proc(root, 40, "sshd", 1, 50, "/usr/sbin/sshd", "sshd", 5);
	fake_proc(root, 500, "agentsh", 1, 1000, "/opt/agent/sh", "agentsh\0-x", 11);
	assert_int_equal(proctable_seed(&t, root), 0);
	proctable_set_session(&t, 500, 7, 500);
	assert_int_equal(proctable_get(&t, 500)->start_ns, 1000 * tick);

	/* a record that agrees: no /proc read */
	record_hdr(&h, 500, 1, "agentsh", 2000 * tick);
	e = proctable_lookup(&t, root, &h);
	assert_int_equal(e->session, 7);
	assert_int_equal(t.revalidations, 0);

	/* pid 500 exits, sshd forks a new one that gets pid 500: records lost */
	fake_proc(root, 500, "cron", 40, 5000, "/usr/sbin/cron", "cron\0-f", 8);
	record_hdr(&h, 500, 40, "cron", 5001 * tick);
	e = proctable_lookup(&t, root, &h);
	assert_non_null(e);
	assert_string_equal(e->comm, "cron");
	assert_string_equal(e->exe, "/usr/sbin/cron");
	assert_int_equal(e->ppid, 40);
	assert_int_equal(e->session, 0); /* not the predecessor's target */
	assert_non_null(e->cmdline);
	assert_string_equal(e->cmdline->text, "cron -f");
	assert_int_equal(e->start_ns, 5000 * tick);
	assert_int_equal(t.reused, 1);

	/* the same process execs, its exec record lost: same start, new
	 * image; a tracked process would keep its target */
	proctable_set_session(&t, 500, 9, 500);
	fake_proc(root, 500, "cronjob", 40, 5000, "/usr/bin/cronjob", "cronjob", 7);
	record_hdr(&h, 500, 40, "cronjob", 6000 * tick);
	e = proctable_lookup(&t, root, &h);
	assert_string_equal(e->exe, "/usr/bin/cronjob");
	assert_int_equal(e->session, 9);
	assert_int_equal(t.reused, 1);

	/* a named thread of the process: its comm is not the process's */
	h.tid = 501;
	strcpy(h.comm, "worker-3");
	assert_ptr_equal(proctable_lookup(&t, root, &h), e);
	assert_int_equal(t.revalidations, 2);
	proctable_done(&t);
	assert_int_equal(system("rm -rf /tmp/test-proctable.??????"), 0);
}

/* /proc/PID/stat lines, odd comms included. */
static void test_parse_stat(void **state)
{
	struct proc_stat st;

	assert_int_equal(proctable_parse_stat("42 (a) b) c) R 7 42 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 12345 0 0", &st),
			 0);
	assert_string_equal(st.comm, "a) b) c");
	assert_int_equal(st.ppid, 7);
	assert_int_equal(st.start_ns, 12345ULL * (NSEC_PER_SEC / (uint64_t)sysconf(_SC_CLK_TCK)));
	assert_int_equal(proctable_parse_stat("42 (x) R", &st), -EINVAL);
	assert_int_equal(proctable_parse_stat("42 x) (y R 1", &st), -EINVAL);
	assert_int_equal(proctable_parse_stat("42 (x) R 1", &st), 0); /* no start time: unknown */
	assert_int_equal(st.start_ns, 0);
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
	    cmocka_unit_test(test_lost_records_reused_pid),
	    cmocka_unit_test(test_parse_stat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
