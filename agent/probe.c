/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "log.h"
#include "hook-plan.h"
#include "probe.h"
#include "probe.skel.h"

/* libbpf's last message during a probe load: the kernel's reason. */
static char probe_msg[160];

static int probe_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[512];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	if (buf[0])
		snprintf(probe_msg, sizeof(probe_msg), "%s", buf);
	return 0;
}

/* Loads exactly one program of the probe object; 0 or -errno. */
static int probe_load_one(const char *prog_name, char *reason, size_t size)
{
	struct clawos_probe *skel;
	struct bpf_program *p;
	int r;

	skel = clawos_probe__open();
	if (!skel)
		return negative_errno();
	bpf_object__for_each_program(p, skel->obj)
	    bpf_program__set_autoload(p, strcmp(bpf_program__name(p), prog_name) == 0);
	probe_msg[0] = '\0';
	r = clawos_probe__load(skel);
	if (r < 0)
		snprintf(reason, size, "the kernel refuses %s programs: %s",
			 strcmp(prog_name, "clawos_p_fentry") ? "BPF-LSM" : "fentry", strerror(-r));
	clawos_probe__destroy(skel);
	return r;
}

static void probe_lsm_list(struct probe_result *r)
{
	_cleanup_fclose_ FILE *f = NULL;

	/* only to read the list of active LSMs */
	if (access("/sys/kernel/security/lsm", F_OK) < 0 &&
	    mount("securityfs", "/sys/kernel/security", "securityfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0) {
		log_notice("Mounted securityfs on /sys/kernel/security (it was not mounted)");
		r->securityfs_mounted_by_us = true;
	}
	f = fopen("/sys/kernel/security/lsm", "re");
	if (!f) {
		snprintf(r->lsm_list, sizeof(r->lsm_list), "(securityfs not mounted)");
		return;
	}
	if (!fgets(r->lsm_list, sizeof(r->lsm_list), f))
		r->lsm_list[0] = '\0';
	r->lsm_list[strcspn(r->lsm_list, "\n")] = '\0';
	r->lsm_list_known = true;
	char copy[256], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", r->lsm_list);
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (strcmp(t, "bpf") == 0)
			r->lsm_listed = true;
}

/* file_open refused with bpf_d_path: does it load with the dentry walk? */
static void probe_fopen_walk(struct probe_result *r)
{
	const char *force = getenv("CLAWOS_LSM_WALK");
	char why[160];
	int err;

	if (r->lsm_ok[PROBE_LSM_FILE_OPEN]) {
		if (!force || strcmp(force, "1") != 0)
			return;
		snprintf(r->d_path_reason, sizeof(r->d_path_reason), "CLAWOS_LSM_WALK=1 in the environment");
		r->lsm_fopen_walk = true;
		return;
	}
	err = probe_load_one("clawos_p_fopen_w", why, sizeof(why));
	if (err < 0)
		return; /* BPF-LSM itself is refused: keep the first reason */
	snprintf(r->d_path_reason, sizeof(r->d_path_reason), "bpf_d_path refused in BPF-LSM programs (%s)",
		 strrchr(r->lsm_reason[PROBE_LSM_FILE_OPEN], ':') ? strrchr(r->lsm_reason[PROBE_LSM_FILE_OPEN], ':') + 2
								  : r->lsm_reason[PROBE_LSM_FILE_OPEN]);
	r->lsm_ok[PROBE_LSM_FILE_OPEN] = true;
	r->lsm_reason[PROBE_LSM_FILE_OPEN][0] = '\0';
	r->lsm_fopen_walk = true;
}

static void probe_lsm(struct probe_result *r, bool force_no_lsm)
{
	static const char *const progs[_PROBE_LSM_MAX] = {
	    "clawos_p_fopen", "clawos_p_conn", "clawos_p_bind", "clawos_p_listen", "clawos_p_sock",
	};

	probe_lsm_list(r);
	for (int h = 0; h < _PROBE_LSM_MAX; h++) {
		if (force_no_lsm) {
			snprintf(r->lsm_reason[h], sizeof(r->lsm_reason[h]), "BPF-LSM disabled with --no-lsm");
			continue;
		}
		if (r->lsm_list_known && !r->lsm_listed) {
			snprintf(r->lsm_reason[h], sizeof(r->lsm_reason[h]),
				 "bpf is not an active LSM (/sys/kernel/security/lsm: %s; boot with lsm=...,bpf)",
				 r->lsm_list);
			continue;
		}
		r->lsm_ok[h] = probe_load_one(progs[h], r->lsm_reason[h], sizeof(r->lsm_reason[h])) == 0;
		if (h == PROBE_LSM_FILE_OPEN)
			probe_fopen_walk(r);
	}
}

static void probe_tracefs(struct probe_result *r)
{
	static const char *const paths[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
	char p[128];

	for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
		snprintf(p, sizeof(p), "%s/events", paths[i]);
		if (access(p, F_OK) == 0) {
			r->tracefs = true;
			snprintf(r->tracefs_path, sizeof(r->tracefs_path), "%s", paths[i]);
			return;
		}
	}
	/* libbpf reads tracepoint ids from tracefs; mount it where it belongs
	 * when the system has not (systemd normally does). */
	if (mount("tracefs", paths[0], "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0) {
		log_notice("Mounted tracefs on %s (it was not mounted)", paths[0]);
		r->tracefs = true;
		r->tracefs_mounted_by_us = true;
		snprintf(r->tracefs_path, sizeof(r->tracefs_path), "%s", paths[0]);
	}
}

/* A tp_btf program's tracepoint: btf_trace_NAME in the kernel's BTF (and,
 * for io_uring, the request types the program reads). */
bool probe_btf_tracepoint(const char *name)
{
	static struct btf *vmlinux;
	char tname[160];

	if (!vmlinux)
		vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux || libbpf_get_error(vmlinux)) {
		vmlinux = NULL;
		return false;
	}
	snprintf(tname, sizeof(tname), "btf_trace_%s", name);
	if (btf__find_by_name_kind(vmlinux, tname, BTF_KIND_TYPEDEF) < 0)
		return false;
	if (strcmp(name, "io_uring_submit_req") == 0)
		return btf__find_by_name_kind(vmlinux, "io_open", BTF_KIND_STRUCT) >= 0 &&
		       btf__find_by_name_kind(vmlinux, "io_kiocb", BTF_KIND_STRUCT) >= 0;
	return true;
}

bool probe_tracepoint(const struct probe_result *r, const char *category, const char *name)
{
	char p[256];

	if (!r->tracefs)
		return false;
	snprintf(p, sizeof(p), "%s/events/%s/%s/id", r->tracefs_path, category, name);
	return access(p, R_OK) == 0;
}

static void probe_cgroup2(struct probe_result *r)
{
	static const char *const paths[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
	struct statfs s;

	r->cgroup2_path[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(paths); i++)
		if (statfs(paths[i], &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC) {
			snprintf(r->cgroup2_path, sizeof(r->cgroup2_path), "%s", paths[i]);
			return;
		}
}

int probe_kernel(struct probe_result *r, bool force_no_lsm)
{
	libbpf_print_fn_t old;

	memset(r, 0, sizeof(*r));
	r->btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	r->ringbuf_error = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
	r->ringbuf = r->ringbuf_error == 1;
	if (r->ringbuf_error == 0)
		r->ringbuf_error = -ENOTSUP;
	probe_tracefs(r);
	for (size_t i = 0; i < hook_tracepoints_n; i++) {
		char cat[64];
		const char *name = strchr(hook_tracepoints[i].tracepoint, '/');
		bool ok;

		snprintf(cat, sizeof(cat), "%.*s", (int)(name - hook_tracepoints[i].tracepoint),
			 hook_tracepoints[i].tracepoint);
		ok = strcmp(cat, "btf") == 0 ? r->btf && probe_btf_tracepoint(name + 1)
					     : probe_tracepoint(r, cat, name + 1);
		if (ok)
			r->tracepoints |= UINT64_C(1) << i;
	}
	probe_cgroup2(r);
	old = libbpf_set_print(probe_print);
	probe_lsm(r, force_no_lsm);
	r->task_storage = libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_task_storage_get, NULL) == 1;
	/* $CLAWOS_NO_BPF_TIMER=1 plays a kernel without it (tests of the warning) */
	r->bpf_timer = !(getenv("CLAWOS_NO_BPF_TIMER") && strcmp(getenv("CLAWOS_NO_BPF_TIMER"), "1") == 0) &&
		       libbpf_probe_bpf_helper(BPF_PROG_TYPE_SYSCALL, BPF_FUNC_timer_init, NULL) == 1;
	r->trampoline = probe_load_one("clawos_p_fentry", r->trampoline_reason, sizeof(r->trampoline_reason)) == 0;
	libbpf_set_print(old);
	return 0;
}
