/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The benchmark workloads, one per subcommand; built by run-bench with
 * cc -O2 and run pinned to one CPU.  Every loop measures itself with
 * CLOCK_MONOTONIC and prints one line of key=value pairs:
 *
 *   open N PATH          openat(PATH) + close, N times
 *   openmiss N PATH      openat(PATH) of a missing file, N times
 *   getppid N            getppid(), N times (a syscall the agent does not report)
 *   exec N               fork + execve("/bin/true") + wait, N times
 *   connect N PORT       TCP connect to 127.0.0.1:PORT + close (RST), N times
 *   listen PORT          accept and close connections until killed
 *   rate R SECONDS PATH  openat(PATH) of a missing file at R per second
 *   unique R SECONDS DIR openat(DIR/<n>) of missing, ever new names at R per second
 *
 * The line also has cpu_ns, the process's own user+system CPU time
 * (getrusage), so that run-bench can show what the producers cost next to
 * the agent and the reader.
 *
 * The process renames itself (comm) to clawbench-ld so that the reader can
 * tell the workload's records from everyone else's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static unsigned long long tv_ns(struct timeval tv)
{
	return (unsigned long long)tv.tv_sec * 1000000000ULL + (unsigned long long)tv.tv_usec * 1000ULL;
}

static void report(const char *what, unsigned long n, unsigned long long t0, unsigned long errors)
{
	unsigned long long dt = now_ns() - t0, cpu = 0;
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu = tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
	printf("what=%s n=%lu ns=%llu ns_per_iter=%.1f errors=%lu cpu_ns=%llu\n", what, n, dt, n ? (double)dt / n : 0.0,
	       errors, cpu);
}

static int do_open(unsigned long n, const char *path, int missing)
{
	unsigned long errors = 0;
	unsigned long long t0 = now_ns();

	for (unsigned long i = 0; i < n; i++) {
		int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);

		if (fd >= 0)
			close(fd);
		else if (!missing || errno != ENOENT)
			errors++;
	}
	report(missing ? "openmiss" : "open", n, t0, errors);
	return 0;
}

static int do_getppid(unsigned long n)
{
	unsigned long long t0 = now_ns();

	for (unsigned long i = 0; i < n; i++)
		syscall(SYS_getppid); /* not the vDSO or a cached value */
	report("getppid", n, t0, 0);
	return 0;
}

static int do_exec(unsigned long n)
{
	unsigned long errors = 0;
	unsigned long long t0 = now_ns();

	for (unsigned long i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			errors++;
	}
	report("exec", n, t0, errors);
	return 0;
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

static int do_connect(unsigned long n, int port)
{
	struct sockaddr_in sa = loopback(port);
	struct linger lg = {.l_onoff = 1, .l_linger = 0}; /* RST: no TIME_WAIT pile-up */
	unsigned long errors = 0;
	unsigned long long t0 = now_ns();

	for (unsigned long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			errors++;
		if (fd >= 0) {
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(fd);
		}
	}
	report("connect", n, t0, errors);
	return 0;
}

static int do_listen(int port)
{
	struct sockaddr_in sa = loopback(port);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4096) < 0) {
		perror("bench-load listen");
		return 1;
	}
	printf("listening port=%d\n", port);
	fflush(stdout);
	for (;;) {
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

		if (c >= 0)
			close(c);
	}
}

/* R opens per second for SECONDS: a batch every millisecond against an
 * absolute schedule, so a late start catches up instead of drifting. */
static int do_rate(unsigned long rate, double seconds, const char *path, int unique)
{
	unsigned long total = (unsigned long)(rate * seconds), done = 0, errors = 0;
	unsigned long long t0 = now_ns(), tick = 1000000ULL;
	char name[4096];

	while (done < total) {
		unsigned long long elapsed = now_ns() - t0;
		unsigned long due = (unsigned long)((double)rate * elapsed / 1e9) + 1;

		if (due > total)
			due = total;
		while (done < due) {
			const char *p = path;
			int fd;

			if (unique) {
				snprintf(name, sizeof(name), "%s/m%lu", path, done);
				p = name;
			}
			fd = openat(AT_FDCWD, p, O_RDONLY | O_CLOEXEC);
			if (fd >= 0)
				close(fd);
			else if (errno != ENOENT)
				errors++;
			done++;
		}
		if (done < total) {
			unsigned long long next = t0 + ((elapsed / tick) + 1) * tick;
			struct timespec ts = {.tv_sec = next / 1000000000ULL, .tv_nsec = next % 1000000000ULL};

			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		}
	}
	report(unique ? "unique" : "rate", done, t0, errors);
	return 0;
}

int main(int argc, char *argv[])
{
	const char *cmd = argc > 1 ? argv[1] : "";

	prctl(PR_SET_NAME, "clawbench-ld");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "open") && argc == 4)
		return do_open(strtoul(argv[2], NULL, 10), argv[3], 0);
	if (!strcmp(cmd, "openmiss") && argc == 4)
		return do_open(strtoul(argv[2], NULL, 10), argv[3], 1);
	if (!strcmp(cmd, "getppid") && argc == 3)
		return do_getppid(strtoul(argv[2], NULL, 10));
	if (!strcmp(cmd, "exec") && argc == 3)
		return do_exec(strtoul(argv[2], NULL, 10));
	if (!strcmp(cmd, "connect") && argc == 4)
		return do_connect(strtoul(argv[2], NULL, 10), atoi(argv[3]));
	if (!strcmp(cmd, "listen") && argc == 3)
		return do_listen(atoi(argv[2]));
	if ((!strcmp(cmd, "rate") || !strcmp(cmd, "unique")) && argc == 5)
		return do_rate(strtoul(argv[2], NULL, 10), strtod(argv[3], NULL), argv[4], !strcmp(cmd, "unique"));
	fprintf(stderr, "usage: bench-load open|openmiss|getppid|exec|connect|listen|rate|unique ARGS\n");
	return 2;
}
