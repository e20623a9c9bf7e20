/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loader for lsm-probe.bpf.o, run as root in the guest:
 *   lsm-probe OBJECT FILE
 * loads and attaches lsm/file_open, opens FILE three times and expects exactly three counts;
 * detaches and expects no more.  Exit 0 on success, 1 on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/types.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lsm-probe.h"

#define OPENS 3

static int open_n(const char *path, int n)
{
	for (int i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			fprintf(stderr, "open %s: %s\n", path, strerror(errno));
			return -errno;
		}
		close(fd);
	}
	return 0;
}

static long long read_count(struct bpf_map *opens)
{
	__u32 key = 0;
	__u64 n = 0;

	if (bpf_map__lookup_elem(opens, &key, sizeof(key), &n, sizeof(n), 0) < 0)
		return -1;
	return (long long)n;
}

int main(int argc, char **argv)
{
	struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
	struct probe_cfg c = {0};
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	struct bpf_map *cfg, *opens;
	struct bpf_link *link;
	char base[PATH_MAX];
	long long attached, detached;
	__u32 key = 0;
	int r = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: %s OBJECT FILE\n", argv[0]);
		return 2;
	}
	/* Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK. */
	setrlimit(RLIMIT_MEMLOCK, &unlimited);

	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (bpf_object__load(obj) < 0) {
		fprintf(stderr, "load %s: %s\n", argv[1], strerror(errno));
		goto out;
	}
	prog = bpf_object__find_program_by_name(obj, "handle_file_open");
	cfg = bpf_object__find_map_by_name(obj, "cfg");
	opens = bpf_object__find_map_by_name(obj, "opens");
	if (!prog || !cfg || !opens) {
		fprintf(stderr, "object lacks handle_file_open, cfg or opens\n");
		goto out;
	}
	c.tgid = getpid();
	snprintf(base, sizeof(base), "%s", argv[2]);
	snprintf(c.name, sizeof(c.name), "%s", basename(base));
	if (bpf_map__update_elem(cfg, &key, sizeof(key), &c, sizeof(c), 0) < 0) {
		fprintf(stderr, "update cfg: %s\n", strerror(errno));
		goto out;
	}
	link = bpf_program__attach(prog);
	if (!link) {
		fprintf(stderr, "attach lsm/file_open: %s\n", strerror(errno));
		goto out;
	}
	printf("lsm/file_open loaded and attached\n");
	if (open_n(argv[2], OPENS) < 0 || open_n("/etc/hostname", 2) < 0) {
		bpf_link__destroy(link);
		goto out;
	}
	attached = read_count(opens);
	bpf_link__destroy(link);
	open_n(argv[2], 1);
	detached = read_count(opens);
	printf("opens counted while attached: %lld (want %d), after detach: %lld (want %d)\n", attached, OPENS,
	       detached, OPENS);
	if (attached == OPENS && detached == OPENS)
		r = 0;
out:
	bpf_object__close(obj);
	return r;
}
