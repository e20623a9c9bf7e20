/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * evade-paths: opens a file by one of the spellings a process would use to
 * hide that it reads a protected file (issue 15), from an ordinary process.
 * The root test (test-evasion-paths.py) runs one trick per process and
 * asserts the agent's records about that process.
 *
 *   evade-paths TRICK TARGET [ARG]
 *
 * TARGET is the protected file (e.g. /etc/shadow); ARG depends on the trick
 * (a scratch directory, a link).  Prints "opened <ino>" for every open that
 * returned the target's inode, and exits 0 if at least one did (the
 * nonresident-fail tricks: 0 if the open failed).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct stat target_st;

static int usage(void)
{
	fprintf(stderr, "usage: evade-paths TRICK TARGET [ARG]\n"
			"tricks: plain double-slash dot dotdot symlink hardlink proc-root proc-cwd bind long\n"
			"        nonresident nonresident-fail nonresident-missing thread openat2 creat chroot\n"
			"        truncate truncate-denied truncate-rel\n");
	return 2;
}

/* 1 when fd is the target, else 0; closes fd. */
static int judge(int fd)
{
	struct stat st;
	int hit;

	if (fd < 0)
		return 0;
	hit = fstat(fd, &st) == 0 && st.st_ino == target_st.st_ino && st.st_dev == target_st.st_dev;
	if (hit)
		printf("opened %llu\n", (unsigned long long)st.st_ino);
	close(fd);
	return hit;
}

static int open_path(const char *p)
{
	int fd = open(p, O_RDONLY);

	if (fd < 0)
		fprintf(stderr, "open %s: %s\n", p, strerror(errno));
	return judge(fd);
}

/* dirname of the target, its base name */
static void split(const char *target, char *dir, char *base)
{
	const char *slash = strrchr(target, '/');

	snprintf(dir, PATH_MAX, "%.*s", (int)(slash - target), target);
	if (!dir[0])
		strcpy(dir, "/");
	snprintf(base, NAME_MAX + 1, "%s", slash + 1);
}

/* "../" as many times as cwd is deep, then the target without its '/' */
static int trick_dotdot(const char *target, const char *deep)
{
	char cwd[PATH_MAX], p[PATH_MAX] = "";
	int depth = 0;

	if (chdir(deep) < 0 || !getcwd(cwd, sizeof(cwd)))
		return perror("chdir"), 0;
	for (const char *c = cwd; *c; c++)
		depth += *c == '/';
	for (int i = 0; i < depth; i++)
		strcat(p, "../");
	strcat(p, target + 1);
	return open_path(p);
}

/* a path longer than the record's 215 bytes: a long name, then "..". */
static int trick_long(const char *target, const char *scratch)
{
	char dir[PATH_MAX], p[PATH_MAX], name[201];
	int depth = 0;

	memset(name, 'l', 200);
	name[200] = '\0';
	snprintf(dir, sizeof(dir), "%s/%s", scratch, name);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return perror("mkdir"), 0;
	for (const char *c = dir; *c; c++)
		depth += *c == '/';
	snprintf(p, sizeof(p), "%s", dir);
	for (int i = 0; i < depth; i++)
		strcat(p, "/..");
	strcat(p, target); /* ".../../etc/shadow" */
	printf("length %zu\n", strlen(p));
	return open_path(p);
}

/* the name in a file-backed page this process has never touched: no page
 * table entry yet, so a reader that cannot fault (BPF) cannot see it. */
static int open_nonresident(const char *name, const char *scratch)
{
	char file[PATH_MAX];
	long pg = sysconf(_SC_PAGESIZE);
	char *map;
	int fd;

	snprintf(file, sizeof(file), "%s/name-page.%d", scratch, (int)getpid());
	fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || pwrite(fd, name, strlen(name) + 1, 0) < 0 || ftruncate(fd, pg) < 0)
		return perror("name-page"), -2;
	unlink(file);
	map = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return perror("mmap"), -2;
	madvise(map, pg, MADV_DONTNEED); /* and no page table entry, surely */
	fd = open(map, O_RDONLY);
	if (fd < 0)
		printf("open: %s\n", strerror(errno));
	return fd;
}

static int trick_nonresident(const char *target, const char *scratch)
{
	return judge(open_nonresident(target, scratch));
}

/* the open fails (run it as a user who may not read the target, or on a
 * missing name): nothing was opened, the name alone tells; exits 0 when
 * the open failed as it should */
static int trick_nonresident_fail(const char *name, const char *scratch)
{
	int fd = open_nonresident(name, scratch);

	if (fd >= 0)
		close(fd);
	return fd == -1;
}

static char race_buf[PATH_MAX];
static char race_a[PATH_MAX], race_b[PATH_MAX];
static atomic_int race_stop;

static void *race_flipper(void *arg)
{
	size_t n = strlen(race_a) + 1;

	(void)arg;
	while (!atomic_load_explicit(&race_stop, memory_order_relaxed)) {
		memcpy(race_buf, race_b, n);
		memcpy(race_buf, race_a, n);
	}
	return NULL;
}

/* a second thread rewrites the name between the tracepoint's read and the
 * kernel's: ARG is a harmless file whose name is as long as the target's */
static int trick_thread(const char *target, const char *decoy)
{
	pthread_t t;
	int hits = 0, denied = 0;

	if (strlen(decoy) != strlen(target))
		return fprintf(stderr, "decoy and target must have the same length\n"), 0;
	snprintf(race_a, sizeof(race_a), "%s", decoy);
	snprintf(race_b, sizeof(race_b), "%s", target);
	memcpy(race_buf, race_a, strlen(race_a) + 1);
	if (pthread_create(&t, NULL, race_flipper, NULL) != 0)
		return 0;
	for (int i = 0; i < 200000 && hits + denied < 20; i++) {
		int fd = open(race_buf, O_RDONLY);

		if (fd < 0 && errno == EPERM)
			denied++; /* BPF-LSM in mode 2 */
		else
			hits += judge(fd);
	}
	atomic_store(&race_stop, 1);
	pthread_join(t, NULL);
	printf("hits %d denied %d\n", hits, denied);
	return hits > 0;
}

static int trick_bind(const char *target, const char *scratch)
{
	char dir[PATH_MAX], base[NAME_MAX + 1], mnt[PATH_MAX], p[2 * PATH_MAX];

	split(target, dir, base);
	snprintf(mnt, sizeof(mnt), "%s/bind", scratch);
	if (mkdir(mnt, 0755) < 0 && errno != EEXIST)
		return perror("mkdir"), 0;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount(dir, mnt, NULL, MS_BIND, NULL) < 0)
		return perror("unshare/mount"), 0;
	snprintf(p, sizeof(p), "%s/%s", mnt, base);
	return open_path(p);
}

/* a chroot with a bind mount of the target's directory at /host-etc, and
 * a decoy file of the same name at the target's own place in the jail:
 * the jail's decoy is not the protected file, the host's is */
static int trick_chroot(const char *target, const char *jail)
{
	char dir[PATH_MAX], base[NAME_MAX + 1], mnt[2 * PATH_MAX], p[2 * PATH_MAX];

	split(target, dir, base);
	snprintf(mnt, sizeof(mnt), "%s/host-etc", jail);
	if (mkdir(mnt, 0755) < 0 && errno != EEXIST)
		return perror("mkdir"), 0;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount(dir, mnt, NULL, MS_BIND, NULL) < 0 || chroot(jail) < 0 || chdir("/") < 0)
		return perror("unshare/mount/chroot"), 0;
	close(open(target, O_RDONLY)); /* the jail's own decoy */
	snprintf(p, sizeof(p), "/host-etc/%s", base);
	return open_path(p);
}

int main(int argc, char **argv)
{
	char dir[PATH_MAX], base[NAME_MAX + 1], p[2 * PATH_MAX];
	const char *trick, *target, *arg;
	int ok = 0;

	if (argc < 3)
		return usage();
	trick = argv[1], target = argv[2], arg = argc > 3 ? argv[3] : NULL;
	if (stat(target, &target_st) < 0)
		return perror(target), 2;
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("pid %d\n", (int)getpid()); /* the test runs it below a shell of its own */
	split(target, dir, base);
	if (!strcmp(trick, "plain")) {
		ok = open_path(target);
	} else if (!strcmp(trick, "double-slash")) {
		snprintf(p, sizeof(p), "%s//%s", dir, base);
		ok = open_path(p);
	} else if (!strcmp(trick, "dot")) {
		snprintf(p, sizeof(p), "%s/./%s", dir, base);
		ok = open_path(p);
	} else if (!strcmp(trick, "dotdot") && arg) {
		ok = trick_dotdot(target, arg);
	} else if ((!strcmp(trick, "symlink") || !strcmp(trick, "hardlink")) && arg) {
		ok = open_path(arg); /* the test made the link */
	} else if (!strcmp(trick, "proc-root")) {
		snprintf(p, sizeof(p), "/proc/self/root%s", target);
		ok = open_path(p);
	} else if (!strcmp(trick, "proc-cwd")) {
		if (chdir(dir) < 0)
			return perror("chdir"), 1;
		snprintf(p, sizeof(p), "/proc/self/cwd/%s", base);
		ok = open_path(p);
	} else if ((!strcmp(trick, "bind") || !strcmp(trick, "bind-dir")) && arg) {
		ok = trick_bind(target, arg);
	} else if (!strcmp(trick, "long") && arg) {
		ok = trick_long(target, arg);
	} else if (!strcmp(trick, "nonresident") && arg) {
		ok = trick_nonresident(target, arg);
	} else if (!strcmp(trick, "nonresident-fail") && arg) {
		ok = trick_nonresident_fail(target, arg);
	} else if (!strcmp(trick, "nonresident-missing") && arg) {
		/* ARG/missing-PID: a name that does not exist, in ARG */
		snprintf(p, sizeof(p), "%s/missing-%d", arg, (int)getpid());
		ok = trick_nonresident_fail(p, arg);
	} else if (!strcmp(trick, "thread") && arg) {
		ok = trick_thread(target, arg);
	} else if (!strcmp(trick, "openat2")) {
		struct open_how how = {.flags = O_RDONLY};

		snprintf(p, sizeof(p), "%s//%s", dir, base);
		ok = judge((int)syscall(SYS_openat2, AT_FDCWD, p, &how, sizeof(how)));
	} else if (!strcmp(trick, "chroot") && arg) {
		ok = trick_chroot(target, arg);
	} else if (!strcmp(trick, "truncate") || !strcmp(trick, "truncate-denied")) {
		/* to its own size: the content stays.  truncate-denied: exits 0
		 * when the kernel refused (a user who may not write TARGET: EACCES,
		 * or EROFS where TARGET is on a read-only mount, as in the guest) */
		int r = truncate(target, target_st.st_size);

		printf("truncate: %s\n", r < 0 ? strerror(errno) : "done");
		ok = trick[8] ? r < 0 : r == 0;
	} else if (!strcmp(trick, "truncate-rel")) {
		/* a relative name, from the target's directory */
		if (chdir(dir) < 0)
			return perror("chdir"), 1;
		ok = truncate(base, target_st.st_size) == 0;
	} else if (!strcmp(trick, "creat")) {
		/* truncates: only ever on a test file */
		snprintf(p, sizeof(p), "%s/./%s", dir, base);
		ok = judge(creat(p, 0600));
	} else {
		return usage();
	}
	return ok ? 0 : 1;
}
