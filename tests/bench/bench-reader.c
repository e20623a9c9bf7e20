/* SPDX-License-Identifier: LGPL-2.1-or-later */
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
 * Records in ECS and OCSF (socket_format, the B5 format rows) are told apart
 * by their first key and counted the same way: event.dataset or
 * metadata.event_code for the type, event.sequence and clawos.cpu or
 * unmapped.seq and .cpu, the process name for the workload.
 *
 * With aggregate_window the agent sends the repeats of an open as one record
 * with "repeat":{"count":N,...} (native and ECS); workload_opens counts the
 * opens the workload's records stand for (N for such a record, else 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
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
	volatile uint64_t kernel_lines;	  /* records with cpu and seq */
	volatile uint64_t lost_records;	  /* events_lost records from the agent */
	volatile uint64_t workload_opens; /* opens the workload records stand for (repeat counts) */
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

/* The fields on_line() looks at, per format. */
struct line_format {
	const char *stats, *lost, *file, *seq, *workload, *repeat;
	size_t stats_len, lost_len, file_len;
	bool anywhere; /* type markers anywhere in the line, not as its prefix */
};

#define MARK(field, text) .field = text, .field##_len = sizeof(text) - 1

static const struct line_format native_format = {
    MARK(stats, "{\"event\":\"stats\""),      MARK(lost, "{\"event\":\"events_lost\""),
    MARK(file, "{\"event\":\"file_access\""), .seq = "\"seq\":",
    .workload = "\"comm\":\"clawbench-ld\"",  .repeat = "\"repeat\":{\"count\":",
};

static const struct line_format ecs_format = {
    MARK(stats, "\"dataset\":\"clawos.stats\""),
    MARK(lost, "\"dataset\":\"clawos.events_lost\""),
    MARK(file, "\"dataset\":\"clawos.file_access\""),
    .seq = "\"sequence\":",
    .workload = "\"name\":\"clawbench-ld\"",
    .anywhere = true,
    .repeat = "\"repeat\":{\"count\":",
};

static const struct line_format ocsf_format = {
    MARK(stats, "\"event_code\":\"stats\""),	  MARK(lost, "\"event_code\":\"events_lost\""),
    MARK(file, "\"event_code\":\"file_access\""), .seq = "\"seq\":",
    .workload = "\"name\":\"clawbench-ld\"",	  .anywhere = true,
};

static bool is_type(const struct line_format *f, const char *line, size_t len, const char *mark, size_t mark_len)
{
	if (f->anywhere)
		return memmem(line, len, mark, mark_len) != NULL;
	return len > mark_len && !memcmp(line, mark, mark_len);
}

static void on_line(struct counters *c, const char *line, size_t len)
{
	const struct line_format *f = len > 13 && !memcmp(line, "{\"@timestamp\"", 13)	? &ecs_format
				      : len > 12 && !memcmp(line, "{\"class_uid\"", 12) ? &ocsf_format
											: &native_format;
	long cpu, seq;

	c->lines++;
	c->bytes += len + 1;
	if (is_type(f, line, len, f->stats, f->stats_len) && len < STATS_MAX) {
		c->gen++;
		__sync_synchronize();
		memcpy(c->stats, line, len);
		c->stats_len = len;
		__sync_synchronize();
		c->gen++;
		c->stats_lines++;
		return;
	}
	if (is_type(f, line, len, f->lost, f->lost_len)) {
		c->lost_records++;
		return;
	}
	cpu = field(line, len, "\"cpu\":");
	seq = field(line, len, f->seq);
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
	if (is_type(f, line, len, f->file, f->file_len) && memmem(line, len, f->workload, strlen(f->workload))) {
		long n = f->repeat ? field(line, len, f->repeat) : -1;

		c->workload++;
		c->workload_opens += n > 0 ? (uint64_t)n : 1;
	}
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
