// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The socket reader of the benchmarks: connects to the agent's socket,
 * reads NDJSON lines and counts them, as a log shipper would consume them.
 * Counters live in a small shared file (struct counters) that run-bench
 * maps and reads at any time; the last "stats" record is kept there too,
 * under a sequence lock (gen is odd while it is being written).
 *
 *   bench-reader SOCKET COUNTERS-FILE
 *
 * Sequence gaps: kernel records carry "cpu" and a per-CPU "seq" that the
 * BPF programs bump for every attempt, so a gap is a record lost before it
 * reached this reader.  A late record that fills a gap takes it back.
 * Its comm is clawbench-rd, which run-bench excludes in the agent's config.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CPUS 1024
#define STATS_MAX 16384

struct counters {
	volatile uint64_t gen;
	volatile uint64_t lines;
	volatile uint64_t bytes;
	volatile uint64_t gaps;
	volatile uint64_t workload; /* file_access records of comm clawbench-ld */
	volatile uint64_t stats_lines;
	volatile uint64_t kernel_lines; /* records with cpu and seq */
	volatile uint64_t lost_records; /* events_lost records from the agent */
	volatile uint64_t stats_len;
	char stats[STATS_MAX];
};

static uint32_t last_seq[MAX_CPUS];
static uint8_t seen_cpu[MAX_CPUS];

static long field(const char *line, size_t len, const char *key)
{
	const char *p = memmem(line, len, key, strlen(key));

	if (!p)
		return -1;
	return strtol(p + strlen(key), NULL, 10);
}

static void on_line(struct counters *c, const char *line, size_t len)
{
	static const char workload[] = "\"comm\":\"clawbench-ld\"";
	long cpu, seq;

	c->lines++;
	c->bytes += len + 1;
	if (len > 16 && !memcmp(line, "{\"event\":\"stats\"", 16) && len < STATS_MAX) {
		c->gen++;
		__sync_synchronize();
		memcpy(c->stats, line, len);
		c->stats_len = len;
		__sync_synchronize();
		c->gen++;
		c->stats_lines++;
		return;
	}
	if (len > 22 && !memcmp(line, "{\"event\":\"events_lost\"", 22)) {
		c->lost_records++;
		return;
	}
	cpu = field(line, len, "\"cpu\":");
	seq = field(line, len, "\"seq\":");
	if (cpu >= 0 && cpu < MAX_CPUS && seq >= 0) {
		uint32_t s = (uint32_t)seq;

		c->kernel_lines++;
		if (!seen_cpu[cpu]) {
			seen_cpu[cpu] = 1;
			last_seq[cpu] = s;
		} else if ((int32_t)(s - last_seq[cpu]) > 0) {
			c->gaps += s - last_seq[cpu] - 1;
			last_seq[cpu] = s;
		} else if ((int32_t)(s - last_seq[cpu]) < 0 && c->gaps > 0) {
			c->gaps--; /* a late record filled a hole */
		}
	}
	if (len > 22 && !memcmp(line, "{\"event\":\"file_access\"", 22) &&
	    memmem(line, len, workload, sizeof(workload) - 1))
		c->workload++;
}

int main(int argc, char *argv[])
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t cap = 4 << 20, have = 0;
	struct counters *c;
	char *buf;
	int fd, cfd;

	if (argc != 3) {
		fprintf(stderr, "usage: bench-reader SOCKET COUNTERS-FILE\n");
		return 2;
	}
	prctl(PR_SET_NAME, "clawbench-rd");
	cfd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (cfd < 0 || ftruncate(cfd, sizeof(*c)) < 0)
		return 1;
	c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
	buf = malloc(cap);
	if (c == MAP_FAILED || !buf)
		return 1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("bench-reader: connect");
		return 1;
	}
	for (;;) {
		ssize_t n = read(fd, buf + have, cap - have);
		size_t start = 0;
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		while ((nl = memchr(buf + start, '\n', have - start))) {
			on_line(c, buf + start, (size_t)(nl - (buf + start)));
			start = (size_t)(nl - buf) + 1;
		}
		if (start == 0 && have == cap)
			have = 0; /* a line longer than the buffer: drop it */
		memmove(buf, buf + start, have - start);
		have -= start;
	}
	return 0;
}
