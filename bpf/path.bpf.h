/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Resolving a struct path to an absolute name without bpf_d_path(), which
 * only LSM and a few fentry hooks may call: walk d_parent up to the mount
 * root, cross mounts through mnt_mountpoint, and write components from the
 * end of a scratch buffer.  Bounded depth; deeper paths are cut at the top
 * and flagged as truncated by the caller.
 *
 * The buffer is a slot of clawos_scratch (common.bpf.h), whose path member
 * makes it at least 2 * CLAWOS_PATH_HALF bytes, but only the first half holds
 * the name: offsets are masked with (CLAWOS_PATH_HALF - 1) and lengths with
 * 255, so a read that starts near the end of the half stays provably inside
 * the buffer for the verifier.
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

/* The walk runs at every open, and a helper call costs more than the rest
 * of a step.  Where the kernel has bpf_rdonly_cast (6.2+), a pointer gets
 * its BTF type back and the fields are plain loads (the kernel catches a
 * fault; the kfunc itself compiles to nothing); it is a weak symbol, so
 * that on older kernels the test below is false at load time and the
 * verifier drops the branch.  There, fields that sit together in every
 * kernel since 2.6 are read with one helper call instead of one per field:
 * the CO-RE offsets are checked, and the fields read one by one otherwise. */
#ifdef CLAWOS_KCAST
/* Only one object of the linked program may declare the kfunc: bpftool
 * 7.1's linker (libbpf 1.1) refuses the same extern kfunc in two.  The
 * open programs (file.bpf.c), the hottest walk, use it. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

#define kcast(p, T) ((T *)bpf_rdonly_cast((const void *)(p), bpf_core_type_id_kernel(T)))
#define have_kcast() (bpf_rdonly_cast != NULL)
#else
#define kcast(p, T) ((T *)(p)) /* never used: have_kcast() is false */
#define have_kcast() false
#endif

struct clawos_qstr {
	__u32 hash;
	__u32 len;
	const unsigned char *name;
};

struct clawos_dentry_head { /* struct dentry from d_parent */
	struct dentry *d_parent;
	struct clawos_qstr d_name;
	struct inode *d_inode;
};

struct clawos_mount_head { /* struct mount from mnt_parent */
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct dentry *mnt_root; /* mnt.mnt_root */
};

static __always_inline void dentry_head(struct dentry *d, struct clawos_dentry_head *h)
{
	__u32 base = bpf_core_field_offset(struct dentry, d_parent);

	if (have_kcast()) {
		struct dentry *x = kcast(d, struct dentry);

		h->d_parent = x->d_parent;
		h->d_name.len = x->d_name.len;
		h->d_name.name = x->d_name.name;
		h->d_inode = x->d_inode;
		return;
	}

	if (bpf_core_field_offset(struct dentry, d_name) == base + 8 &&
	    bpf_core_field_offset(struct dentry, d_inode) == base + 24 &&
	    bpf_core_field_size(struct dentry, d_name) == 16) {
		if (bpf_probe_read_kernel(h, sizeof(*h), (char *)d + base) < 0)
			__builtin_memset(h, 0, sizeof(*h));
		return;
	}
	h->d_parent = BPF_CORE_READ(d, d_parent);
	h->d_name.len = BPF_CORE_READ(d, d_name.len);
	h->d_name.name = BPF_CORE_READ(d, d_name.name);
	h->d_inode = BPF_CORE_READ(d, d_inode);
}

static __always_inline void mount_head(struct mount *m, struct clawos_mount_head *h)
{
	__u32 base = bpf_core_field_offset(struct mount, mnt_parent);

	if (have_kcast()) {
		struct mount *x = kcast(m, struct mount);

		h->mnt_parent = x->mnt_parent;
		h->mnt_mountpoint = x->mnt_mountpoint;
		h->mnt_root = x->mnt.mnt_root;
		return;
	}

	if (bpf_core_field_offset(struct mount, mnt_mountpoint) == base + 8 &&
	    bpf_core_field_offset(struct mount, mnt) == base + 16 &&
	    bpf_core_field_offset(struct vfsmount, mnt_root) == 0) {
		if (bpf_probe_read_kernel(h, sizeof(*h), (char *)m + base) < 0)
			__builtin_memset(h, 0, sizeof(*h));
		return;
	}
	h->mnt_parent = BPF_CORE_READ(m, mnt_parent);
	h->mnt_mountpoint = BPF_CORE_READ(m, mnt_mountpoint);
	h->mnt_root = BPF_CORE_READ(m, mnt.mnt_root);
}

static __always_inline __u64 inode_ino(struct inode *inode)
{
	if (have_kcast())
		return kcast(inode, struct inode)->i_ino;
	return BPF_CORE_READ(inode, i_ino);
}

/* The identity map's value for (dev, ino) when it may hold it, else 0: the
 * Bloom filter spares the lookup of nearly every directory. */
static __always_inline __u8 ident_lookup(const struct clawos_ident_bloom *b, __u64 ino, __u32 dev)
{
	struct clawos_exe_key k = {.ino = ino, .dev = dev};
	__u32 bit = clawos_ident_bit(ino, dev);
	__u8 *v;

	if (b && !(b->bits[(bit >> 6) & 3] & (1ULL << (bit & 63))))
		return 0;
	v = bpf_map_lookup_elem(&clawos_p_ident, &k);
	return v ? *v : 0;
}

static __always_inline const struct clawos_ident_bloom *ident_bloom(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&clawos_p_bloom, &zero);
}

/* Returns the offset in buf where the NUL-terminated absolute path starts
 * (buf[CLAWOS_PATH_HALF - 1] is the NUL), or -1 if it was cut.  `off` is
 * kept masked so that every path through the loop has the same verifier
 * state and the states prune instead of multiplying. */
static __always_inline int path_walk(struct dentry *dentry, struct vfsmount *vfsmnt, char *buf)
{
	struct mount *mnt = container_of(vfsmnt, struct mount, mnt);
	struct clawos_mount_head mh;
	struct clawos_dentry_head dh;
	int off = CLAWOS_PATH_HALF - 1;

	mount_head(mnt, &mh);
	buf[CLAWOS_PATH_HALF - 1] = '\0';
	for (int i = 0; i < CLAWOS_PATH_DEPTH; i++) {
		if (dentry == mh.mnt_root) {
			if (mnt == mh.mnt_parent || !mh.mnt_parent)
				return path_finish(buf, off); /* the namespace's root */
			dentry = mh.mnt_mountpoint;
			mnt = mh.mnt_parent;
			mount_head(mnt, &mh);
			continue;
		}
		dentry_head(dentry, &dh);
		if (!dh.d_parent || dh.d_parent == dentry)
			return path_finish(buf, off); /* a filesystem's root off its mount's */
		int len = dh.d_name.len & 255;
		int start = off - len - 1;

		if (start < 0)
			return -1;
		barrier_var(start); /* keep the masks below (see exec.bpf.c) */
		bpf_probe_read_kernel(&buf[(start + 1) & (CLAWOS_PATH_HALF - 1)], len, dh.d_name.name);
		buf[start & (CLAWOS_PATH_HALF - 1)] = '/';
		off = start & (CLAWOS_PATH_HALF - 1);
		dentry = dh.d_parent;
	}
	return -1;
}

static __always_inline struct file *fd_to_file(struct task_struct *task, int fd)
{
	struct files_struct *files;
	struct fdtable *fdt;
	struct {
		unsigned int max_fds;
		struct file **fd;
	} head = {};
	struct file *file = NULL;

	if (have_kcast()) {
		struct fdtable *t = kcast(task, struct task_struct)->files->fdt;

		head.max_fds = t->max_fds;
		head.fd = t->fd;
		if (fd < 0 || (unsigned int)fd >= head.max_fds)
			return NULL;
		bpf_probe_read_kernel(&file, sizeof(file), &head.fd[fd]);
		return file;
	}
	files = BPF_CORE_READ(task, files);
	fdt = BPF_CORE_READ(files, fdt);
	if (fd < 0 || !fdt)
		return NULL;
	if (bpf_core_field_offset(struct fdtable, max_fds) == 0 && bpf_core_field_offset(struct fdtable, fd) == 8) {
		bpf_probe_read_kernel(&head, sizeof(head), fdt);
	} else {
		head.max_fds = BPF_CORE_READ(fdt, max_fds);
		head.fd = BPF_CORE_READ(fdt, fd);
	}
	if ((unsigned int)fd >= head.max_fds)
		return NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &head.fd[fd]);
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

/* ---- What was opened, read from the struct file ------------------------
 * Used at sys_exit of the open syscalls (file.bpf.c) and in BPF-LSM
 * file_open where bpf_d_path is refused (file-lsm.bpf.c built with
 * CLAWOS_LSM_WALK): the caller's string can say anything (//, ., .., a
 * symlink, /proc/self/root, a bind mount, a page not resident, a buffer
 * rewritten by another thread), the struct file cannot. */

#define CLAWOS_IDENT_DEPTH 32

/* Protected by identity: the file's (device, inode), or, for entries that
 * are directories, one of its parents' on the same filesystem (d_parent
 * stays on one superblock, so a bind mount of a protected directory is
 * still below it).  The Bloom filter spares the lookup of nearly every
 * parent.  Returns the entry's CLAWOS_PROTECT_V_* or 0. */
static __always_inline __u8 protect_ident(const struct clawos_config *cfg, struct clawos_file_event *e,
					  struct dentry *d)
{
	const struct clawos_ident_bloom *b;
	struct clawos_dentry_head dh;
	struct inode *inode;
	__u8 v;

	if (!(cfg->flags & CLAWOS_CFG_PROTECT_IDENT) || !e->ino)
		return 0;
	b = ident_bloom();
	v = ident_lookup(b, e->ino, e->dev);
	if (v && !(v & CLAWOS_PROTECT_V_DIR))
		return v;
	if (!(cfg->flags & CLAWOS_CFG_PROTECT_DIRS) || !d)
		return 0;
	dentry_head(d, &dh);
	for (int i = 0; i < CLAWOS_IDENT_DEPTH; i++) {
		struct dentry *parent = dh.d_parent;

		if (!parent || parent == d)
			break;
		dentry_head(parent, &dh);
		inode = dh.d_inode; /* a plain local: BPF_CORE_READ would relocate dh too */
		v = ident_lookup(b, inode_ino(inode), e->dev);
		if (v & CLAWOS_PROTECT_V_DIR)
			return v;
		d = parent;
	}
	return 0;
}

/* The task's root is the mount namespace's root (no chroot)?  The root
 * of a mount stacked on the namespace's root (a booted system's "/" over
 * the initramfs) counts as it: both are "/". */
static __always_inline bool root_is_ns_root(struct vfsmount *vfsmnt, struct dentry *dentry)
{
	struct mount *mnt = container_of(vfsmnt, struct mount, mnt);
	struct clawos_mount_head mh;

	for (int i = 0; i < 4; i++) {
		mount_head(mnt, &mh);
		if (dentry != mh.mnt_root)
			return false;
		if (mh.mnt_parent == mnt || !mh.mnt_parent)
			return true;
		dentry = mh.mnt_mountpoint;
		mnt = mh.mnt_parent;
	}
	return false;
}

/* The current task's root, and whether it is the namespace's: the answer
 * of the last task on this CPU with the same root is kept, as nearly every
 * process shares one root. */
static __always_inline bool current_root(struct vfsmount **mnt, struct dentry **dentry)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fs_struct *fs = have_kcast() ? kcast(task, struct task_struct)->fs : BPF_CORE_READ(task, fs);
	struct clawos_root_cache *c;
	struct path root = {};
	__u32 zero = 0;
	bool is_root;

	c = bpf_map_lookup_elem(&clawos_root_c, &zero);
	if (have_kcast() && c && c->is_root) {
		/* the common case, the namespace's root as last time, without
		 * a helper call (the walk needs the pointers as plain values) */
		struct fs_struct *f = kcast(fs, struct fs_struct);

		if (c->mnt == (__u64)f->root.mnt && c->dentry == (__u64)f->root.dentry) {
			*mnt = NULL;
			*dentry = NULL;
			return true;
		}
	}
	if (bpf_core_field_size(struct path, mnt) == 8 && bpf_core_field_offset(struct path, dentry) == 8)
		bpf_probe_read_kernel(&root, sizeof(root), &fs->root);
	else
		root.mnt = BPF_CORE_READ(fs, root.mnt), root.dentry = BPF_CORE_READ(fs, root.dentry);
	*mnt = root.mnt;
	*dentry = root.dentry;
	if (!root.mnt)
		return true;
	if (c && c->mnt == (__u64)root.mnt && c->dentry == (__u64)root.dentry)
		return c->is_root;
	is_root = root_is_ns_root(root.mnt, root.dentry);
	if (c) {
		c->mnt = (__u64)root.mnt;
		c->dentry = (__u64)root.dentry;
		c->is_root = is_root;
	}
	return is_root;
}

static __always_inline bool current_root_is_ns_root(void)
{
	struct vfsmount *mnt;
	struct dentry *dentry;

	return current_root(&mnt, &dentry);
}

/* e->root: where the process is chrooted, as the namespace sees it. */
static __always_inline void file_root(struct clawos_file_event *e, char *buf)
{
	struct vfsmount *rmnt;
	struct dentry *rdentry;
	int off;
	long n;

	e->root_len = 0;
	if (current_root(&rmnt, &rdentry))
		return;
	e->xflags |= CLAWOS_FILE_X_ROOT;
	off = path_walk(rdentry, rmnt, buf);
	if (off < 0) {
		e->xflags |= CLAWOS_FILE_X_ROOT_CUT;
		return;
	}
	n = bpf_probe_read_kernel_str(e->root, sizeof(e->root), &buf[off & (CLAWOS_PATH_HALF - 1)]);
	if (n <= 0)
		return;
	e->root_len = n;
	if (n == sizeof(e->root))
		e->xflags |= CLAWOS_FILE_X_ROOT_CUT;
}

/* path, ino, dev and root of the record from the opened file, the path
 * walked to the mount namespace's root (not the process's chroot).  A path
 * deeper or longer than the walk allows keeps the caller's string, flagged
 * truncated; identity still holds then.  *dentry: the file's, for
 * file_protect. */
static __always_inline bool file_resolve(struct clawos_file_event *e, struct file *file, struct dentry **dentry)
{
	char *buf = scratch_get(1);
	struct path fp = {};
	bool done = false;
	int off;
	long n;

	if (have_kcast()) {
		struct inode *inode = kcast(file, struct file)->f_inode;

		e->ino = inode->i_ino;
		e->dev = inode->i_sb->s_dev;
	} else {
		struct inode *inode = BPF_CORE_READ(file, f_inode);

		e->ino = BPF_CORE_READ(inode, i_ino);
		e->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	}
	e->xflags |= CLAWOS_FILE_X_FROM_FILE;
	if (bpf_core_field_size(struct path, mnt) == 8 && bpf_core_field_offset(struct path, dentry) == 8)
		bpf_probe_read_kernel(&fp, sizeof(fp), &file->f_path);
	else
		fp.mnt = BPF_CORE_READ(file, f_path.mnt), fp.dentry = BPF_CORE_READ(file, f_path.dentry);
	*dentry = fp.dentry;
	if (!buf)
		return false;
	off = path_walk(fp.dentry, fp.mnt, buf);
	if (off >= 0) {
		n = bpf_probe_read_kernel_str(e->path, sizeof(e->path), &buf[off & (CLAWOS_PATH_HALF - 1)]);
		if (n > 0) {
			e->path_len = n;
			e->path_flags |= CLAWOS_PATH_F_RESOLVED;
			e->path_flags &= ~CLAWOS_PATH_F_TRUNCATED; /* FAULT stays: the caller's name was not readable */
			if (n == sizeof(e->path))
				e->path_flags |= CLAWOS_PATH_F_TRUNCATED;
			done = true;
		}
	}
	if (!done)
		e->path_flags |= CLAWOS_PATH_F_TRUNCATED;
	file_root(e, buf);
	return done;
}

/* Protected by identity (the file's dentry, NULL when there is no file)
 * or by the (resolved) path; true if it is. */
static __always_inline bool file_protect(const struct clawos_config *cfg, struct clawos_file_event *e,
					 struct dentry *dentry)
{
	__u8 v = e->ino ? protect_ident(cfg, e, dentry) : 0;

	if (v) {
		protect_apply(e, v);
		e->xflags |= CLAWOS_FILE_X_IDENTITY;
	}
	return protect_check(cfg, e);
}

/* The body of a new file record (the header is the caller's): nothing
 * resolved, nothing requested yet, allowed. */
static __always_inline void file_record_init(struct clawos_file_event *e, int dirfd, __u32 flags, __u16 mode, __u8 op,
					     __u8 mechanism, __u8 path_flags, __u8 xflags)
{
	e->ret = 0;
	e->dirfd = dirfd;
	e->flags = flags;
	e->mode = mode;
	e->op = op;
	e->mechanism = mechanism;
	e->path_flags = path_flags;
	e->verdict = CLAWOS_VERDICT_ALLOW;
	e->reserved = 0;
	e->path_len = 0;
	e->path[0] = '\0';
	e->ino = 0;
	e->dev = 0;
	e->xflags = xflags;
	e->reserved1 = 0;
	e->root_len = 0;
	e->requested_len = 0;
	e->repeat_span_hi = 0;
	e->repeat_span_lo = 0;
	e->root[0] = '\0';
}

static __always_inline void open_requested_len(struct clawos_file_event *e, long n)
{
	e->requested_len = n;
	if (n == sizeof(e->requested))
		e->path_flags |= CLAWOS_PATH_F_TRUNCATED;
}

/* sys_exit (or BPF-LSM file_open), when sys_enter could not read the
 * caller's string: the kernel has copied it since (getname faults the page
 * in), so it is resident now unless the caller unmapped it meanwhile.  Only
 * then is path_unreadable kept.  Costs nothing to an open whose name was
 * read at entry.  sys_enter parked the pointer in ino, which only the
 * opened file sets, later. */
static __always_inline void open_request_reread(struct clawos_file_event *e)
{
	const char *upath = (const char *)e->ino;
	long n;

	/* file_open (BPF-LSM) has read it already and put the inode there */
	if (!(e->path_flags & CLAWOS_PATH_F_FAULT) || (e->xflags & CLAWOS_FILE_X_FROM_FILE))
		return;
	e->ino = 0;
	if (!upath)
		return;
	n = bpf_probe_read_user_str(e->requested, sizeof(e->requested), upath);
	if (n <= 0) {
		e->requested[0] = '\0';
		return;
	}
	e->path_flags &= ~CLAWOS_PATH_F_FAULT;
	open_requested_len(e, n);
}

/* requested travels only when it says something path does not.  Compared
 * eight bytes at a time (both fields are 8-byte aligned and a multiple of
 * 8 long); what follows the NUL is left over from an earlier record. */
static __always_inline void file_requested_trim(struct clawos_file_event *e)
{
	__u32 len = e->requested_len;

	if (!len || len != e->path_len)
		return;
	for (int i = 0; i < CLAWOS_FILE_PATH_LEN / 8; i++) {
		__u64 diff = *(__u64 *)&e->requested[i * 8] ^ *(__u64 *)&e->path[i * 8];
		int rem = (int)len - i * 8;

		if (rem < 8) /* the last word: its first rem bytes (little-endian) */
			diff &= (1ULL << (rem * 8)) - 1;
		if (diff)
			return;
		if (rem <= 8)
			break;
	}
	e->requested_len = 0;
}

/* Sends a file record: its short form, or its fixed part and requested_len
 * bytes of requested (clawos-abi.h). */
static __always_inline void file_emit(struct clawos_file_event *e)
{
	__u32 tail = e->requested_len;

	if (tail > CLAWOS_FILE_PATH_LEN)
		tail = CLAWOS_FILE_PATH_LEN;
	if (!tail && !(e->xflags & CLAWOS_FILE_X_ROOT)) {
		/* nearly every record: no root, no requested */
		e->hdr.size = CLAWOS_FILE_MIN_SIZE;
		emit_copy(e, CLAWOS_FILE_MIN_SIZE, CLAWOS_EV_FILE);
		return;
	}
	e->hdr.size = CLAWOS_FILE_FIXED_SIZE + tail;
	emit_copy(e, CLAWOS_FILE_FIXED_SIZE + tail, CLAWOS_EV_FILE);
}

#endif /* CLAWOS_PATH_BPF_H */
