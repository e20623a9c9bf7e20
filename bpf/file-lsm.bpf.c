// SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
/*
 * BPF-LSM file_open: the only place with bpf_d_path(), i.e. the path as the
 * kernel resolved it (symlinks, "..", mounts).  Inside an open syscall it
 * upgrades the record parked by file.bpf.c; elsewhere (exec of a binary,
 * io_uring, kernel-internal opens on behalf of a task) it emits its own.
 * Loaded only where the kernel accepts BPF-LSM programs.
 */
#include "common.bpf.h"

static __always_inline void lsm_set_path(struct clawos_file_event *e, struct file *file)
{
	long n = bpf_d_path((struct path *)&file->f_path, e->path, sizeof(e->path));

	if (n > 0) {
		e->path_len = n;
		e->path_flags |= CLAWOS_PATH_F_RESOLVED;
		e->path_flags &= ~(CLAWOS_PATH_F_TRUNCATED | CLAWOS_PATH_F_FAULT);
	} else if (n == -36 /* ENAMETOOLONG */) {
		e->path_flags |= CLAWOS_PATH_F_TRUNCATED;
	}
	e->mechanism = CLAWOS_MECH_LSM;
}

/* mode 2: a protected path is refused here, before the open completes. */
static __always_inline int lsm_verdict(const struct clawos_config *cfg, struct clawos_file_event *e)
{
	e->path_flags &= ~(CLAWOS_PATH_F_VIOLATION | CLAWOS_PATH_F_TAMPER);
	if (!protect_check(cfg, e))
		return 0;
	if ((e->path_flags & CLAWOS_PATH_F_VIOLATION) && cfg->file_access_violation_mode == 2) {
		e->verdict = CLAWOS_VERDICT_DENY;
		CLAWOS_DBG(cfg, "file_open pid=%u deny", e->hdr.pid);
		return -1; /* -EPERM */
	}
	return 0;
}

SEC("lsm/file_open")
int BPF_PROG(clawos_lsm_fopen, struct file *file)
{
	struct clawos_config *cfg = cfg_get();
	struct clawos_file_event *e;
	bool wanted;
	int ret;

	if (!cfg || !cfg->agent_tgid || (bpf_get_current_pid_tgid() >> 32) == cfg->agent_tgid)
		return 0;
	wanted = !skip_current(cfg) && cfg->enable_file_monitoring;
	e = open_parked();
	if (e) {
		lsm_set_path(e, file);
		return lsm_verdict(cfg, e);
	}
	if (!wanted && !(cfg->flags & CLAWOS_CFG_PROTECT))
		return 0;
	e = scratch_get(0);
	if (!e)
		return 0;
	hdr_fill(&e->hdr, CLAWOS_EV_FILE, sizeof(*e), true);
	e->ret = 0;
	e->dirfd = AT_FDCWD_VALUE;
	e->flags = BPF_CORE_READ(file, f_flags);
	e->mode = 0;
	e->op = CLAWOS_FILE_OP_FILE_OPEN;
	e->path_flags = CLAWOS_PATH_F_NO_RESULT;
	e->verdict = CLAWOS_VERDICT_ALLOW;
	e->reserved = 0;
	e->path_len = 0;
	e->path[0] = '\0';
	lsm_set_path(e, file);
	ret = lsm_verdict(cfg, e);
	if (wanted && filter_path(cfg, e))
		wanted = false; /* the path filters hold on this path too */
	if (wanted || (e->path_flags & (CLAWOS_PATH_F_VIOLATION | CLAWOS_PATH_F_TAMPER)))
		emit_copy(e, sizeof(*e), CLAWOS_EV_FILE);
	return ret;
}
