/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mechanism chooser replayed on every kernel we support: each file in
 * tests/data/probe/ is `clawos-ebpf --probe --json` as printed on one kernel
 * (the host's and the vm guests' Debian kernels, with and without --no-lsm;
 * tests/vm/probe-goldens rewrites them from a guest run).  Its "kernel"
 * object is read back into a probe_result, hook_plan_make runs on it, and
 * every hook's mechanism, state and reason must be what that kernel's agent
 * printed.  A probe that lacks a key is refused naming the key.
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
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "agent/hook-plan.h"
#include "agent/util/names.h"
#include "agent/probe.h"

#ifndef CLAWOS_SOURCE_ROOT
#define CLAWOS_SOURCE_ROOT "."
#endif

static const char *probe_dir(char *buf, size_t size)
{
	const char *root = getenv("CLAWOS_SOURCE_ROOT") ?: CLAWOS_SOURCE_ROOT;

	snprintf(buf, size, "%s/tests/data/probe", root);
	return buf;
}

/* Every hook of the golden's plan against the chooser's; returns mismatches. */
static int replay(const char *path)
{
	struct json_object *o = json_object_from_file(path), *kernel, *hooks;
	struct probe_result pr;
	struct hook_plan plan;
	char err[256];
	int bad = 0;

	if (!o)
		fail_msg("%s: not JSON: %s", path, json_util_get_last_err());
	assert_true(json_object_object_get_ex(o, "kernel", &kernel));
	assert_true(json_object_object_get_ex(o, "hooks", &hooks));
	if (probe_from_json(kernel, &pr, err, sizeof(err)) < 0)
		fail_msg("%s: %s", path, err);
	hook_plan_make(&plan, &pr);
	assert_int_equal(json_object_object_length(hooks), _HOOK_MAX);
	for (int h = 0; h < _HOOK_MAX; h++) {
		const struct hook_status *st = &plan.hooks[h];
		struct json_object *g, *mech, *state, *reason;

		if (!json_object_object_get_ex(hooks, st->name, &g)) {
			print_error("%s: hook %s is not in the golden\n", path, st->name);
			bad++;
			continue;
		}
		assert_true(json_object_object_get_ex(g, "mechanism", &mech));
		assert_true(json_object_object_get_ex(g, "state", &state));
		assert_true(json_object_object_get_ex(g, "reason", &reason));
		if (strcmp(json_object_get_string(mech), mechanism_name(st->mechanism)) != 0 ||
		    strcmp(json_object_get_string(state), hook_state_name(st->state)) != 0 ||
		    strcmp(json_object_get_string(reason), st->reason) != 0) {
			print_error("%s: hook %s: the kernel's agent chose %s/%s (%s), the chooser now %s/%s (%s)\n",
				    path, st->name, json_object_get_string(mech), json_object_get_string(state),
				    json_object_get_string(reason), mechanism_name(st->mechanism),
				    hook_state_name(st->state), st->reason);
			bad++;
		}
	}
	json_object_put(o);
	return bad;
}

static void test_goldens(void **state)
{
	/* the kernels of the vm matrix and the host; each also with --no-lsm */
	static const char *const required[] = {"host", "bullseye", "bookworm", "bookworm-backports"};
	char dir[512], path[1024];
	struct dirent *de;
	DIR *d;
	int n = 0, bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		for (int nolsm = 0; nolsm < 2; nolsm++) {
			snprintf(path, sizeof(path), "%s/%s%s.json", probe_dir(dir, sizeof(dir)), required[i],
				 nolsm ? "-nolsm" : "");
			if (access(path, R_OK) != 0)
				fail_msg("%s: missing (tests/vm/probe-goldens makes it)", path);
		}
	d = opendir(probe_dir(dir, sizeof(dir)));
	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		bad += replay(path);
		n++;
	}
	closedir(d);
	print_message("# %d probes replayed, %d hooks differ\n", n, bad);
	assert_true(n >= 8);
	assert_int_equal(bad, 0);
}

/* The chooser on a hand-made probe: no LSM, one tracepoint missing. */
static void test_degraded(void **state)
{
	struct probe_result pr = {.btf = true, .ringbuf = true, .task_storage = true, .tracefs = true};
	struct hook_plan plan;
	int i = hook_tracepoint_index("syscalls/sys_enter_listen");

	(void)state;
	snprintf(pr.tracefs_path, sizeof(pr.tracefs_path), "/sys/kernel/tracing");
	snprintf(pr.cgroup2_path, sizeof(pr.cgroup2_path), "/sys/fs/cgroup");
	for (int h = 0; h < _PROBE_LSM_MAX; h++)
		snprintf(pr.lsm_reason[h], sizeof(pr.lsm_reason[h]), "no BPF-LSM");
	pr.tracepoints = ~UINT64_C(0);
	assert_true(i >= 0);
	pr.tracepoints &= ~(UINT64_C(1) << i);
	hook_plan_make(&plan, &pr);
	assert_int_equal(plan.hooks[HOOK_LISTEN].state, HOOK_MISSING);
	assert_int_equal(plan.hooks[HOOK_LISTEN].mechanism, CLAWOS_MECH_NONE);
	assert_int_equal(plan.hooks[HOOK_OPEN].state, HOOK_ACTIVE);
	assert_int_equal(plan.hooks[HOOK_CONNECT].mechanism, CLAWOS_MECH_CGROUP);
	/* no cgroup v2: the cgroup hooks are missing, and say why */
	pr.cgroup2_path[0] = '\0';
	hook_plan_make(&plan, &pr);
	assert_int_equal(plan.hooks[HOOK_CONNECT].state, HOOK_MISSING);
	assert_non_null(strstr(plan.hooks[HOOK_CONNECT].reason, "no cgroup v2"));
	/* no tracefs at all: every tracepoint hook is missing */
	pr.tracefs = false;
	hook_plan_make(&plan, &pr);
	assert_int_equal(plan.hooks[HOOK_EXEC].state, HOOK_MISSING);
}

static void test_refused_input(void **state)
{
	static const struct {
		const char *json, *key;
	} cases[] = {
	    {"{}", "kernel.btf: missing"},
	    {"{\"btf\":1}", "kernel.btf: expected boolean"},
	    {"{\"btf\":true,\"ringbuf\":true,\"lsm_list\":\"\",\"bpf_lsm_listed\":false,\"bpf_lsm\":{}}",
	     "kernel.bpf_lsm.file_open: missing"},
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *o = json_tokener_parse(cases[i].json);
		struct probe_result pr;

		assert_non_null(o);
		assert_int_equal(probe_from_json(o, &pr, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, cases[i].key);
		json_object_put(o);
	}
}

/* probe_to_json and probe_from_json are inverses on what the chooser reads. */
static void test_round_trip(void **state)
{
	struct probe_result a = {.btf = true, .ringbuf = true, .lsm_listed = true, .tracefs = true}, b;
	struct json_object *o;
	char err[256];

	(void)state;
	snprintf(a.lsm_list, sizeof(a.lsm_list), "lockdown,capability,bpf");
	a.lsm_ok[PROBE_LSM_SOCKET_CONNECT] = true;
	for (int h = 0; h < _PROBE_LSM_MAX; h++)
		if (!a.lsm_ok[h])
			snprintf(a.lsm_reason[h], sizeof(a.lsm_reason[h]), "refused %d", h);
	snprintf(a.tracefs_path, sizeof(a.tracefs_path), "/sys/kernel/tracing");
	/* every other tracepoint present; one that serves two programs is one
	 * bit per program, both set or both clear */
	for (size_t i = 0; i < hook_tracepoints_n; i++)
		if (hook_tracepoint_index(hook_tracepoints[i].tracepoint) % 2 == 0)
			a.tracepoints |= UINT64_C(1) << i;
	o = probe_to_json(&a);
	assert_int_equal(probe_from_json(o, &b, err, sizeof(err)), 0);
	assert_int_equal(b.tracepoints, a.tracepoints);
	assert_memory_equal(b.lsm_ok, a.lsm_ok, sizeof(a.lsm_ok));
	assert_string_equal(b.lsm_reason[PROBE_LSM_FILE_OPEN], a.lsm_reason[PROBE_LSM_FILE_OPEN]);
	assert_string_equal(b.lsm_list, a.lsm_list);
	assert_string_equal(b.tracefs_path, a.tracefs_path);
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_goldens),
	    cmocka_unit_test(test_degraded),
	    cmocka_unit_test(test_refused_input),
	    cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
