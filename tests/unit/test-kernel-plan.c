/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the settings put in the kernel's maps and CONFIG (agent/kernel-plan.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <cmocka.h>

#include "agent/config.h"
#include "agent/kernel-plan.h"

/* A file system of a few paths: inode = index + 100, device 8:1. */
static const char *const fake_paths[] = {
    "/usr/bin/bash", "/usr/bin/sudo", "/sys/fs/cgroup/system.slice", "/usr/bin/claude", "/usr/bin/bash-link",
};

static int fake_stat(const char *path, struct stat *st, void *userdata)
{
	(void)userdata;
	for (size_t i = 0; i < sizeof(fake_paths) / sizeof(fake_paths[0]); i++)
		if (strcmp(path, fake_paths[i]) == 0) {
			memset(st, 0, sizeof(*st));
			/* a hard link: the same file */
			st->st_ino = strcmp(path, "/usr/bin/bash-link") == 0 ? 100 : 100 + i;
			st->st_dev = makedev(8, 1);
			return 0;
		}
	return -ENOENT;
}

static const struct kernel_resolver res = {.stat = fake_stat, .cgroup2 = "/sys/fs/cgroup"};

static void parse(const char *text, struct clawos_settings *s)
{
	struct clawos_config_error err;
	char buf[1024];

	if (config_parse_buffer("test.conf", text, strlen(text), s, &err) < 0)
		fail_msg("%s", config_error_format(&err, buf, sizeof(buf)));
}

static struct kernel_plan *plan_of(const struct clawos_settings *s)
{
	struct kernel_plan *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	assert_int_equal(kernel_plan_make(p, s, &res), 0);
	return p;
}

static uint8_t u8_of(const struct kernel_map_plan *m, const void *key)
{
	const uint8_t *v = kernel_map_plan_get(m, key);

	assert_non_null(v);
	return *v;
}

static uint32_t u32_of(const struct kernel_map_plan *m, const void *key)
{
	const void *v = kernel_map_plan_get(m, key);
	uint32_t x;

	assert_non_null(v);
	memcpy(&x, v, sizeof(x));
	return x;
}

static struct clawos_exe_key exe(uint64_t ino)
{
	return (struct clawos_exe_key){.ino = ino, .dev = (8 << 20) | 1};
}

static void test_exe_key(void **state)
{
	struct stat st = {.st_ino = 42, .st_dev = makedev(259, 3)};
	struct clawos_exe_key k = kernel_exe_key(&st);

	(void)state;
	assert_int_equal(k.ino, 42);
	assert_int_equal(k.dev, (259u << 20) | 3);
	assert_int_equal(k.reserved, 0);
}

static void test_defaults(void **state)
{
	struct clawos_settings s;
	struct kernel_plan *p;
	struct clawos_config c;
	struct clawos_exe_key sudo = exe(101);

	(void)state;
	parse("", &s);
	p = plan_of(&s);
	assert_int_equal(p->f_comm.n + p->f_uid.n + p->f_cgrp.n + p->f_exe.n + p->f_prefix.n, 0);
	assert_int_equal(p->t_comm.n + p->t_exe.n + p->t_cgrp.n + p->n_sessions, 0);
	/* of the default allow list only /usr/bin/sudo exists here */
	assert_int_equal(p->p_allow.n, 1);
	assert_int_equal(u8_of(&p->p_allow, &sudo), 1);
	memset(&c, 0xff, sizeof(c));
	kernel_plan_config(&s, p, false, 4242, &c);
	assert_int_equal(c.enable_syscall_tracing, 1);
	assert_int_equal(c.enable_file_monitoring, 1);
	assert_int_equal(c.syscall_anomaly_threshold, 1000);
	assert_int_equal(c.file_access_violation_mode, 1);
	assert_int_equal(c.network_suspicious_threshold, 100);
	assert_int_equal(c.agent_tgid, 4242);
	/* /etc/sudoers.d/ and /root/.ssh/ are directories: the parent walk */
	assert_int_equal(c.flags, CLAWOS_CFG_PROTECT | CLAWOS_CFG_PROTECT_IDENT | CLAWOS_CFG_PROTECT_DIRS);
	for (size_t i = 0; i < sizeof(c.reserved) / sizeof(c.reserved[0]); i++)
		assert_int_equal(c.reserved[i], 0);
	/* syscall_rate_scope = targets and nothing tracked: no per-syscall hook */
	assert_false(kernel_config_wants_syscall_hook(&c));
	kernel_plan_config(&s, p, true, 4242, &c);
	assert_int_equal(c.flags & CLAWOS_CFG_HAVE_TRACKED, CLAWOS_CFG_HAVE_TRACKED);
	assert_true(kernel_config_wants_syscall_hook(&c));
	free(p);
	settings_done(&s);
}

static void test_filters(void **state)
{
	struct clawos_settings s;
	struct kernel_plan *p;
	struct clawos_config c;
	struct clawos_exe_key bash = exe(100);
	struct clawos_prefix_key tmp = {.prefixlen = 5 * 8, .path = "/tmp/"};
	char comm_a[CLAWOS_COMM_LEN] = "sshd", comm_long[CLAWOS_COMM_LEN] = "abcdefghijklmno";
	uint32_t uid0 = 0, uid1000 = 1000;
	uint64_t cg_path = 102, cg_id = 77;

	(void)state;
	parse("[filter]\n"
	      "exclude_comm = sshd, abcdefghijklmno\ninclude_comm = sshd, bash\n"
	      "exclude_uid = 0\ninclude_uid = 1000, 0\n"
	      "exclude_cgroup = /system.slice, 77, /nowhere.slice\n"
	      "exclude_exe = /usr/bin/bash, /usr/bin/bash-link, /usr/bin/missing\n"
	      "exclude_path_prefix = /tmp/\ninclude_path_prefix = /home/\n",
	      &s);
	p = plan_of(&s);
	/* an exclude and an include of one key combine */
	assert_int_equal(p->f_comm.n, 3);
	assert_int_equal(u8_of(&p->f_comm, comm_a), CLAWOS_FILTER_V_EXCLUDE | CLAWOS_FILTER_V_INCLUDE);
	/* the longest comm fills the key but its NUL */
	assert_int_equal(u8_of(&p->f_comm, comm_long), CLAWOS_FILTER_V_EXCLUDE);
	assert_int_equal(p->f_uid.n, 2);
	assert_int_equal(u8_of(&p->f_uid, &uid0), CLAWOS_FILTER_V_EXCLUDE | CLAWOS_FILTER_V_INCLUDE);
	assert_int_equal(u8_of(&p->f_uid, &uid1000), CLAWOS_FILTER_V_INCLUDE);
	/* a path by its directory's inode, an id as it is, a missing one left out */
	assert_int_equal(p->f_cgrp.n, 2);
	assert_int_equal(u8_of(&p->f_cgrp, &cg_path), CLAWOS_FILTER_V_EXCLUDE);
	assert_int_equal(u8_of(&p->f_cgrp, &cg_id), CLAWOS_FILTER_V_EXCLUDE);
	/* a hard link is the same key; a missing binary is left out */
	assert_int_equal(p->f_exe.n, 1);
	assert_int_equal(u8_of(&p->f_exe, &bash), CLAWOS_FILTER_V_EXCLUDE);
	assert_int_equal(p->f_prefix.n, 2);
	assert_int_equal(u8_of(&p->f_prefix, &tmp), CLAWOS_FILTER_V_EXCLUDE);
	kernel_plan_config(&s, p, false, 1, &c);
	assert_int_equal(c.flags & 0xff, CLAWOS_FILTER_EXCLUDE_COMM | CLAWOS_FILTER_INCLUDE_COMM |
					     CLAWOS_FILTER_EXCLUDE_UID | CLAWOS_FILTER_INCLUDE_UID |
					     CLAWOS_FILTER_EXCLUDE_CGROUP | CLAWOS_FILTER_EXCLUDE_EXE |
					     CLAWOS_FILTER_EXCLUDE_PREFIX | CLAWOS_FILTER_INCLUDE_PREFIX);
	free(p);
	settings_done(&s);

	/* cgroups and binaries that do not exist: no flag, so the kernel skips the lookup */
	parse("[filter]\nexclude_cgroup = /nowhere.slice\nexclude_exe = /usr/bin/missing\n", &s);
	p = plan_of(&s);
	kernel_plan_config(&s, p, false, 1, &c);
	assert_int_equal(c.flags & 0xff, 0);
	free(p);
	settings_done(&s);
}

/* aggregate_window goes to the CONFIG map as it is, 0 (off) by default. */
static void test_aggregate_window(void **state)
{
	struct clawos_settings s;
	struct kernel_plan *p;
	struct clawos_config c;

	(void)state;
	parse("", &s);
	p = plan_of(&s);
	kernel_plan_config(&s, p, false, 1, &c);
	assert_int_equal(c.aggregate_window, 0);
	free(p);
	settings_done(&s);
	parse("[monitoring]\naggregate_window = 60000\n", &s);
	p = plan_of(&s);
	kernel_plan_config(&s, p, false, 1, &c);
	assert_int_equal(c.aggregate_window, 60000);
	for (size_t i = 0; i < sizeof(c.reserved) / sizeof(c.reserved[0]); i++)
		assert_int_equal(c.reserved[i], 0);
	free(p);
	settings_done(&s);
}

static void test_targets(void **state)
{
	struct clawos_settings s;
	struct kernel_plan *p;
	struct clawos_config c;
	struct clawos_exe_key claude = exe(103);
	char comm[CLAWOS_COMM_LEN] = "claude";
	uint64_t cg = 102;

	(void)state;
	parse("[monitoring]\ndebug_printk = yes\n"
	      "[target]\ntarget_comm = claude, codex\ntarget_exe = /usr/bin/missing, /usr/bin/claude\n"
	      "target_cgroup = /system.slice\nscope = targets\nsyscall_rate_scope = all\n"
	      "trace_target_syscalls = yes\n",
	      &s);
	p = plan_of(&s);
	/* ids 1..n in the order of the file, resolved or not */
	assert_int_equal(p->n_sessions, 5);
	assert_string_equal(p->session_names[0], "claude");
	assert_string_equal(p->session_names[2], "/usr/bin/missing");
	assert_string_equal(p->session_names[4], "/system.slice");
	assert_int_equal(p->t_comm.n, 2);
	assert_int_equal(u32_of(&p->t_comm, comm), 1);
	assert_int_equal(p->t_exe.n, 1);
	assert_int_equal(u32_of(&p->t_exe, &claude), 4);
	assert_int_equal(u32_of(&p->t_cgrp, &cg), 5);
	kernel_plan_config(&s, p, false, 1, &c);
	assert_int_equal(c.flags & ~(uint32_t)(CLAWOS_CFG_PROTECT | CLAWOS_CFG_PROTECT_IDENT | CLAWOS_CFG_PROTECT_DIRS),
			 CLAWOS_CFG_TARGET_COMM | CLAWOS_CFG_TARGET_EXE | CLAWOS_CFG_TARGET_CGROUP |
			     CLAWOS_CFG_HAVE_TRACKED | CLAWOS_CFG_SCOPE_TARGETS | CLAWOS_CFG_RATE_ALL |
			     CLAWOS_CFG_TRACE_TARGETS | CLAWOS_CFG_DEBUG_PRINTK);
	assert_true(kernel_config_wants_syscall_hook(&c));
	free(p);
	settings_done(&s);

	/* tracing off: never the per-syscall hook, whatever needs it */
	parse("[monitoring]\nenable_syscall_tracing = no\n[target]\nsyscall_rate_scope = all\n", &s);
	p = plan_of(&s);
	kernel_plan_config(&s, p, true, 1, &c);
	assert_int_equal(c.enable_syscall_tracing, 0);
	assert_false(kernel_config_wants_syscall_hook(&c));
	free(p);
	settings_done(&s);
}

/* The CONFIG values beside the flags: one per setting. */
static void test_config_values(void **state)
{
	struct clawos_settings s;
	struct kernel_plan *p;
	struct clawos_config c;

	(void)state;
	parse("[monitoring]\nenable_file_monitoring = no\nenable_cgroup_monitoring = no\n"
	      "[anomaly]\nsyscall_anomaly_threshold = 77\nfile_access_violation_mode = 2\n"
	      "network_suspicious_threshold = 9\nprotected_paths = /etc/shadow\n",
	      &s);
	p = plan_of(&s);
	kernel_plan_config(&s, p, false, 4242, &c);
	assert_int_equal(c.enable_syscall_tracing, 1);
	assert_int_equal(c.enable_file_monitoring, 0);
	assert_int_equal(c.enable_network_monitoring, 1);
	assert_int_equal(c.enable_cgroup_monitoring, 0);
	assert_int_equal(c.syscall_anomaly_threshold, 77);
	assert_int_equal(c.file_access_violation_mode, 2);
	assert_int_equal(c.network_suspicious_threshold, 9);
	assert_int_equal(c.flags, CLAWOS_CFG_PROTECT | CLAWOS_CFG_PROTECT_IDENT);
	free(p);
	settings_done(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exe_key),	     cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_filters),	     cmocka_unit_test(test_targets),
	    cmocka_unit_test(test_aggregate_window), cmocka_unit_test(test_config_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
