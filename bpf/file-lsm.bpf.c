/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * BPF-LSM file_open: the path as the kernel resolved it (symlinks, "..",
 * mounts) and the file's identity, before the open completes, so that
 * mode 2 can refuse it.  Inside an open syscall it judges the record parked
 * by file.bpf.c (sys_exit then only adds the result); elsewhere (exec of a
 * binary, io_uring, kernel-internal opens on behalf of a task) it emits its
 * own.  Loaded only where the kernel accepts BPF-LSM programs.
 *
 * Three builds of this file: the path from bpf_d_path() (clawos_lsm_fopen),
 * and, built with CLAWOS_LSM_WALK, from the dentry walk of path.bpf.h
 * (clawos_lsm_fopen_w) for kernels that load BPF-LSM programs but refuse
 * bpf_d_path in them; with CLAWOS_OPEN_HASH too (clawos_lsm_fopen_wh) for
 * those without task storage either (5.10), where the open programs park
 * their record in the LRU hash.  The loader picks one (agent/bpf-loader.c).
 */
#include "common.bpf.h"
#include "path.bpf.h"

#ifdef CLAWOS_OPEN_HASH
/* before 5.11 (no task storage): the record parked in the LRU hash */
static __always_inline struct clawos_file_event *lsm_parked(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct clawos_file_event *e = bpf_map_lookup_elem(&clawos_open_st, &tid);

	return e && e->hdr.type == CLAWOS_EV_FILE ? e : NULL;
}
#else
#define lsm_parked open_parked
#endif

#ifdef CLAWOS_LSM_WALK
#ifdef CLAWOS_OPEN_HASH
#define LSM_FOPEN clawos_lsm_fopen_wh
#else
#define LSM_FOPEN clawos_lsm_fopen_w
#endif

static __always_inline struct dentry *lsm_set_path(struct clawos_file_event *e, struct file *file)
{
	struct dentry *dentry = NULL;

	file_resolve(e, file, &dentry);
	e->xflags |= CLAWOS_FILE_X_WALK;
	e->mechanism = CLAWOS_MECH_LSM;
	return dentry;
}
#else
#define LSM_FOPEN clawos_lsm_fopen

static __always_inline struct dentry *lsm_set_path(struct clawos_file_event *e, struct file *file)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	struct dentry *dentry = NULL;
	long n;

	if (!current_root_is_ns_root()) {
		/* d_path stops at a chroot: the host's view needs the walk */
		file_resolve(e, file, &dentry);
		e->xflags |= CLAWOS_FILE_X_WALK;
		e->mechanism = CLAWOS_MECH_LSM;
		return dentry;
	}
	n = bpf_d_path((struct path *)&file->f_path, e->path, sizeof(e->path));

	if (n > 0) {
		e->path_len = n;
		e->path_flags |= CLAWOS_PATH_F_RESOLVED;
		e->path_flags &= ~CLAWOS_PATH_F_TRUNCATED;
	} else if (n == -36 /* ENAMETOOLONG */) {
		e->path_flags |= CLAWOS_PATH_F_TRUNCATED;
	}
	e->ino = BPF_CORE_READ(inode, i_ino);
	e->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	e->xflags |= CLAWOS_FILE_X_FROM_FILE;
	e->mechanism = CLAWOS_MECH_LSM;
	return BPF_CORE_READ(file, f_path.dentry);
}
#endif

/* mode 2: a protected file is refused here, before the open completes. */
static __always_inline int lsm_verdict(const struct clawos_config *cfg, struct clawos_file_event *e,
				       struct dentry *dentry)
{
	e->path_flags &= ~(CLAWOS_PATH_F_VIOLATION | CLAWOS_PATH_F_TAMPER);
	e->xflags &= ~CLAWOS_FILE_X_IDENTITY;
	if (!file_protect(cfg, e, dentry))
		return 0;
	if ((e->path_flags & CLAWOS_PATH_F_VIOLATION) && cfg->file_access_violation_mode == 2) {
		e->verdict = CLAWOS_VERDICT_DENY;
		CLAWOS_DBG(cfg, "file_open pid=%u deny", e->hdr.pid);
		return -1; /* -EPERM */
	}
	return 0;
}

SEC("lsm/file_open")
int BPF_PROG(LSM_FOPEN, struct file *file)
{
	struct clawos_config *cfg = cfg_get();
	struct clawos_file_event *e;
	bool wanted;
	int ret;

	if (!cfg || !cfg->agent_tgid || (bpf_get_current_pid_tgid() >> 32) == cfg->agent_tgid)
		return 0;
	e = lsm_parked();
	if (e) {
		open_request_reread(e); /* before lsm_set_path sets ino */
		return lsm_verdict(cfg, e, lsm_set_path(e, file));
	}
	wanted = !skip_current(cfg) && cfg->enable_file_monitoring;
	if (!wanted && !(cfg->flags & CLAWOS_CFG_PROTECT))
		return 0;
	e = scratch_get(0);
	if (!e)
		return 0;
	hdr_fill(&e->hdr, CLAWOS_EV_FILE, sizeof(*e), true);
	file_record_init(e, AT_FDCWD_VALUE, BPF_CORE_READ(file, f_flags), 0, CLAWOS_FILE_OP_FILE_OPEN, CLAWOS_MECH_LSM,
			 CLAWOS_PATH_F_NO_RESULT, 0);
	ret = lsm_verdict(cfg, e, lsm_set_path(e, file));
	if (wanted && filter_path(cfg, e))
		wanted = false; /* the path filters hold on this path too */
	if (wanted || (e->path_flags & (CLAWOS_PATH_F_VIOLATION | CLAWOS_PATH_F_TAMPER)))
		file_emit(e);
	return ret;
}
