/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Resolving a struct path to an absolute name without bpf_d_path(), which
 * only LSM and a few fentry hooks may call: walk d_parent up to the mount
 * root, cross mounts through mnt_mountpoint, and write components from the
 * end of a scratch buffer.  Bounded depth; deeper paths are cut at the top
 * and flagged as truncated by the caller.
 *
 * The scratch buffer is CLAWOS_PATH_SCRATCH bytes but only the first half
 * holds the name: offsets are masked with (HALF - 1) and lengths with 255,
 * so every access stays provably inside the buffer for the verifier.
 */
#ifndef CLAWOS_PATH_BPF_H
#define CLAWOS_PATH_BPF_H

#include "common.bpf.h"

#define CLAWOS_PATH_HALF 512
#define CLAWOS_PATH_DEPTH 24

static __always_inline int path_finish(char *buf, int off)
{
	if (off == CLAWOS_PATH_HALF - 1) {
		off--;
		buf[off & (CLAWOS_PATH_HALF - 1)] = '/';
	}
	return off;
}

/* Returns the offset in buf where the NUL-terminated absolute path starts
 * (buf[CLAWOS_PATH_HALF - 1] is the NUL), or -1 if it was cut.  `off` is
 * kept masked so that every path through the loop has the same verifier
 * state and the states prune instead of multiplying. */
static __always_inline int path_walk(struct dentry *dentry, struct vfsmount *vfsmnt, char *buf)
{
	struct mount *mnt = container_of(vfsmnt, struct mount, mnt);
	struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
	int off = CLAWOS_PATH_HALF - 1;

	buf[CLAWOS_PATH_HALF - 1] = '\0';
	for (int i = 0; i < CLAWOS_PATH_DEPTH; i++) {
		struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);

		if (dentry == mnt_root || dentry == parent) {
			if (dentry != mnt_root || mnt == mnt_parent)
				return path_finish(buf, off); /* the namespace's root */
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mnt_parent;
			mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
			vfsmnt = &mnt->mnt;
			continue;
		}
		struct qstr name = BPF_CORE_READ(dentry, d_name);
		int len = name.len & 255;
		int start = off - len - 1;

		if (start < 0)
			return -1;
		barrier_var(start); /* keep the masks below (see exec.bpf.c) */
		bpf_probe_read_kernel(&buf[(start + 1) & (CLAWOS_PATH_HALF - 1)], len, name.name);
		buf[start & (CLAWOS_PATH_HALF - 1)] = '/';
		off = start & (CLAWOS_PATH_HALF - 1);
		dentry = parent;
	}
	return -1;
}

static __always_inline struct file *fd_to_file(struct task_struct *task, int fd)
{
	struct files_struct *files = BPF_CORE_READ(task, files);
	struct fdtable *fdt = BPF_CORE_READ(files, fdt);
	struct file **fds;
	struct file *file = NULL;

	if (fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

/* The directory a dirfd-relative lookup starts from: cwd or an open dir. */
static __always_inline int path_walk_base(struct task_struct *task, int dirfd, char *buf)
{
	if (dirfd == AT_FDCWD_VALUE) {
		struct fs_struct *fs = BPF_CORE_READ(task, fs);

		return path_walk(BPF_CORE_READ(fs, pwd.dentry), BPF_CORE_READ(fs, pwd.mnt), buf);
	}
	struct file *f = fd_to_file(task, dirfd);

	if (!f)
		return -1;
	return path_walk(BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt), buf);
}

#endif /* CLAWOS_PATH_BPF_H */
