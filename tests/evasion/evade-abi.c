/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ways around the system-call tracepoints, done for real by an ordinary
 * process, for tests/evasion/test-evasion-abi.py.  Static, no liburing, no
 * 32-bit libc: 32-bit system calls go through inline `int $0x80` with their
 * strings in memory below 4 GiB (MAP_32BIT).
 *
 *   evade-abi compat EXE MARKER OPENPATH OPENATPATH CREATPATH PORT
 *       open(OPENPATH), openat(OPENATPATH), creat(CREATPATH), unlink(CREATPATH),
 *       socketcall(SYS_CONNECT) and connect() to 127.0.0.1:PORT, all with
 *       int $0x80, then execve(EXE, [EXE, MARKER]) with int $0x80.
 *   evade-abi uring [sqpoll] OP ARG...
 *       one io_uring request: openat PATH | openat2 PATH | connect PORT |
 *       unlinkat PATH | renameat OLD NEW; prints the completion's result.
 *   evade-abi open PATH            open(PATH) and exit
 *   evade-abi leader-exit PATH     the main thread calls pthread_exit() while
 *       a second thread waits, then opens PATH and runs `evade-abi open PATH.child`
 *   evade-abi thread-exec PATH     a second thread execs `evade-abi open PATH`
 *   evade-abi fork-many N SECONDS  N children alive for SECONDS
 *   evade-abi map-rewrite ID       bpf(): the map with that id, its key 0
 *       read and written back unchanged (BPF_MAP_UPDATE_ELEM)
 *   evade-abi map-rewrite32 ID     the same, the update through int $0x80
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char **self_argv;

static void die(const char *what)
{
	fprintf(stderr, "evade-abi: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* ---- 32-bit system calls ------------------------------------------------ */

static long int80(long nr, long a, long b, long c)
{
	long ret;

	asm volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

static char *low; /* a page below 4 GiB */
static size_t low_used;

static uint32_t low_put(const void *p, size_t n)
{
	char *dst = low + low_used;

	memcpy(dst, p, n);
	low_used += (n + 15) & ~15UL;
	return (uint32_t)(uintptr_t)dst;
}

static uint32_t low_str(const char *s)
{
	return low_put(s, strlen(s) + 1);
}

#define I386_OPEN 5
#define I386_CREAT 8
#define I386_UNLINK 10
#define I386_EXECVE 11
#define I386_SOCKETCALL 102
#define I386_OPENAT 295
#define I386_SOCKET 359
#define I386_CONNECT 362
#define I386_BPF 357

static int do_compat(char **argv)
{
	const char *exe = argv[0], *marker = argv[1], *openpath = argv[2], *openatpath = argv[3], *creatpath = argv[4];
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	uint32_t args[3], vec[3];
	long r, fd;

	low = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED)
		die("mmap(MAP_32BIT)");
	sin.sin_port = htons((uint16_t)atoi(argv[5]));

	r = int80(I386_OPEN, low_str(openpath), O_RDONLY, 0);
	printf("open %ld\n", r);
	if (r >= 0)
		close((int)r);
	r = int80(I386_OPENAT, AT_FDCWD, low_str(openatpath), O_RDONLY);
	printf("openat %ld\n", r);
	if (r >= 0)
		close((int)r);
	r = int80(I386_CREAT, low_str(creatpath), 0600, 0);
	printf("creat %ld\n", r);
	if (r >= 0)
		close((int)r);
	r = int80(I386_UNLINK, low_str(creatpath), 0, 0);
	printf("unlink %ld\n", r);

	/* socketcall(SYS_CONNECT, {fd, &sin, sizeof(sin)}) on a 64-bit socket */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	args[0] = (uint32_t)fd;
	args[1] = low_put(&sin, sizeof(sin));
	args[2] = sizeof(sin);
	r = int80(I386_SOCKETCALL, 3 /* SYS_CONNECT */, low_put(args, sizeof(args)), 0);
	printf("socketcall-connect %ld\n", r);
	close((int)fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	r = int80(I386_CONNECT, fd, low_put(&sin, sizeof(sin)), sizeof(sin));
	printf("connect %ld\n", r);
	close((int)fd);
	fflush(stdout);

	vec[0] = low_str(exe);
	vec[1] = low_str(marker);
	vec[2] = 0;
	r = int80(I386_EXECVE, low_str(exe), low_put(vec, sizeof(vec)), 0);
	fprintf(stderr, "evade-abi: execve via int $0x80 returned %ld\n", r);
	return 2;
}

/* ---- io_uring ----------------------------------------------------------- */

struct ring {
	int fd;
	unsigned *sq_tail, *sq_mask, *sq_array, *sq_flags, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	bool sqpoll;
};

static void ring_setup(struct ring *r, bool sqpoll)
{
	struct io_uring_params p = {};
	char *sq, *cq;

	if (sqpoll) {
		p.flags = IORING_SETUP_SQPOLL;
		p.sq_thread_idle = 2000;
	}
	r->sqpoll = sqpoll;
	r->fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (r->fd < 0)
		die("io_uring_setup");
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED)
		die("mmap ring");
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->sq_flags = (unsigned *)(sq + p.sq_off.flags);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
}

/* Submits sqe, waits for its completion, returns its result. */
static int ring_run(struct ring *r, const struct io_uring_sqe *sqe)
{
	unsigned tail = *r->sq_tail, idx = tail & *r->sq_mask, head;
	unsigned flags = IORING_ENTER_GETEVENTS;
	int res;

	r->sqes[idx] = *sqe;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (r->sqpoll)
		flags |= IORING_ENTER_SQ_WAKEUP; /* the kernel thread submits */
	if (syscall(__NR_io_uring_enter, r->fd, r->sqpoll ? 0 : 1, 1, flags, NULL, 0) < 0)
		die("io_uring_enter");
	while ((head = *r->cq_head) == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		usleep(1000);
	res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

static int do_uring(int argc, char **argv)
{
	bool sqpoll = argc > 0 && strcmp(argv[0], "sqpoll") == 0;
	struct io_uring_sqe sqe = {};
	struct open_how how = {.flags = O_RDONLY};
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct ring r;
	const char *op;
	int res;

	if (sqpoll) {
		argv++;
		argc--;
	}
	if (argc < 2)
		return 2;
	op = argv[0];
	ring_setup(&r, sqpoll);
	sqe.fd = AT_FDCWD;
	if (!strcmp(op, "openat")) {
		sqe.opcode = IORING_OP_OPENAT;
		sqe.addr = (uintptr_t)argv[1];
		sqe.open_flags = O_RDONLY;
	} else if (!strcmp(op, "openat2")) {
		sqe.opcode = IORING_OP_OPENAT2;
		sqe.addr = (uintptr_t)argv[1];
		sqe.len = sizeof(how);
		sqe.addr2 = (uintptr_t)&how;
	} else if (!strcmp(op, "connect")) {
		sqe.opcode = IORING_OP_CONNECT;
		sqe.fd = socket(AF_INET, SOCK_STREAM, 0);
		sin.sin_port = htons((uint16_t)atoi(argv[1]));
		sqe.addr = (uintptr_t)&sin;
		sqe.off = sizeof(sin);
	} else if (!strcmp(op, "unlinkat")) {
		sqe.opcode = IORING_OP_UNLINKAT;
		sqe.addr = (uintptr_t)argv[1];
	} else if (!strcmp(op, "renameat") && argc >= 3) {
		sqe.opcode = IORING_OP_RENAMEAT;
		sqe.addr = (uintptr_t)argv[1];
		sqe.len = AT_FDCWD; /* new dirfd */
		sqe.addr2 = (uintptr_t)argv[2];
	} else {
		return 2;
	}
	res = ring_run(&r, &sqe);
	printf("%s%s %d\n", op, sqpoll ? " sqpoll" : "", res);
	return 0;
}

/* ---- process trees ------------------------------------------------------ */

static int do_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CREAT, 0600);

	if (fd >= 0)
		close(fd);
	return 0;
}

static void run_self_open(const char *path)
{
	pid_t pid = fork();

	if (pid == 0) {
		execl("/proc/self/exe", "evade-abi", "open", path, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static void *after_leader(void *arg)
{
	char child[4096];

	usleep(300 * 1000); /* the leader is gone by now */
	do_open(arg);
	snprintf(child, sizeof(child), "%s.child", (const char *)arg);
	run_self_open(child);
	exit(0);
}

static int do_leader_exit(char *path)
{
	pthread_t t;

	if (pthread_create(&t, NULL, after_leader, path) != 0)
		die("pthread_create");
	pthread_exit(NULL);
}

static void *exec_from_thread(void *arg)
{
	execl("/proc/self/exe", "evade-abi", "open", (const char *)arg, (char *)NULL);
	die("execl");
	return NULL;
}

static int do_thread_exec(char *path)
{
	pthread_t t;

	if (pthread_create(&t, NULL, exec_from_thread, path) != 0)
		die("pthread_create");
	for (;;)
		pause(); /* killed by the exec of the other thread */
	return 0;
}

/* N children alive at once however slow forking is (an emulated guest):
 * they wait for the pipe to close, SECONDS after the last one started. */
static int do_fork_many(int n, int seconds)
{
	int started = 0, p[2];
	char c;

	if (pipe(p) < 0)
		die("pipe");
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			close(p[1]);
			while (read(p[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		if (pid > 0)
			started++;
	}
	close(p[0]);
	printf("started %d\n", started);
	fflush(stdout);
	sleep((unsigned)seconds);
	close(p[1]);
	while (wait(NULL) > 0)
		;
	return 0;
}

/* ---- bpf() -------------------------------------------------------------- */

static int do_map_rewrite(uint32_t id, bool abi32)
{
	union bpf_attr a = {};
	struct bpf_map_info info = {};
	uint32_t key = 0;
	static char value[65536];
	int fd;

	a.map_id = id;
	fd = (int)syscall(__NR_bpf, BPF_MAP_GET_FD_BY_ID, &a, sizeof(a));
	if (fd < 0)
		die("BPF_MAP_GET_FD_BY_ID");
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = fd;
	a.info.info_len = sizeof(info);
	a.info.info = (uintptr_t)&info;
	if (syscall(__NR_bpf, BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a)) < 0)
		die("BPF_OBJ_GET_INFO_BY_FD");
	if (info.type != BPF_MAP_TYPE_ARRAY || info.key_size != 4 || info.value_size > sizeof(value)) {
		fprintf(stderr, "evade-abi: map %u is not a plain array\n", id);
		return 2;
	}
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uintptr_t)&key;
	a.value = (uintptr_t)value;
	if (syscall(__NR_bpf, BPF_MAP_LOOKUP_ELEM, &a, sizeof(a)) < 0)
		die("BPF_MAP_LOOKUP_ELEM");
	a.flags = BPF_EXIST;
	if (!abi32) {
		if (syscall(__NR_bpf, BPF_MAP_UPDATE_ELEM, &a, sizeof(a)) < 0)
			die("BPF_MAP_UPDATE_ELEM");
	} else {
		long r;

		/* the same attr, key and value below 4 GiB, through int $0x80 */
		low = mmap(NULL, 65536 * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		if (low == MAP_FAILED)
			die("mmap(MAP_32BIT)");
		a.key = low_put(&key, sizeof(key));
		a.value = low_put(value, info.value_size);
		r = int80(I386_BPF, BPF_MAP_UPDATE_ELEM, low_put(&a, sizeof(a)), sizeof(a));
		if (r < 0) {
			errno = (int)-r;
			die("BPF_MAP_UPDATE_ELEM via int $0x80");
		}
	}
	printf("rewrote map %u (%s)%s\n", id, info.name, abi32 ? " via int $0x80" : "");
	return 0;
}

int main(int argc, char **argv)
{
	self_argv = argv;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 8 && !strcmp(argv[1], "compat"))
		return do_compat(argv + 2);
	if (argc >= 4 && !strcmp(argv[1], "uring"))
		return do_uring(argc - 2, argv + 2);
	if (argc == 3 && !strcmp(argv[1], "open"))
		return do_open(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "leader-exit"))
		return do_leader_exit(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "thread-exec"))
		return do_thread_exec(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "fork-many"))
		return do_fork_many(atoi(argv[2]), atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "map-rewrite"))
		return do_map_rewrite((uint32_t)strtoul(argv[2], NULL, 10), false);
	if (argc == 3 && !strcmp(argv[1], "map-rewrite32"))
		return do_map_rewrite((uint32_t)strtoul(argv[2], NULL, 10), true);
	fprintf(stderr, "usage: see the comment at the top of tests/evasion/evade-abi.c\n");
	return 2;
}
