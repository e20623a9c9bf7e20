/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The moment the agent's hooks go live, repeated: loads the agent's own BPF object once,
 * with the programs the agent would choose here (BPF-LSM where it loads, tracepoints, and
 * the task-storage open programs), fills the CONFIG map so that every program does its
 * work for every process but this one, then attaches and detaches all of them ROUNDS
 * times.  With --reload it loads and frees the whole object (maps included) every round
 * instead, as a restarting agent does.  Records are produced and left unread: a full ring
 * buffer is part of the stress.  A diagnosis tool for the vm suite (test-vm-stress.sh).
 *
 *   attach-cycle [--reload] [--no-lsm] ROUNDS
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bpf/clawos-abi.h"
#include "clawos.skel.h"

static bool wanted(struct bpf_program *p, bool lsm)
{
	const char *sec = bpf_program__section_name(p), *name = bpf_program__name(p);
	size_t n = strlen(name);
	char path[256];

	if (strncmp(sec, "lsm/", 4) == 0)
		return lsm;
	if (n > 2 && strcmp(name + n - 2, "_h") == 0)
		return false; /* the LRU-hash builds, for kernels without task storage */
	if (strncmp(sec, "tracepoint/", 11) != 0)
		return false; /* cgroup programs: not code patching */
	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s", sec + 11);
	return access(path, F_OK) == 0;
}

static int load(struct clawos **ret, bool lsm)
{
	struct clawos *skel = clawos__open();
	struct bpf_program *p;
	struct clawos_config cfg = {
	    .enable_syscall_tracing = 1,
	    .enable_file_monitoring = 1,
	    .enable_network_monitoring = 1,
	    .file_access_violation_mode = 2,
	    .agent_tgid = (__u32)getpid(),
	};
	__u32 zero = 0;
	int r;

	if (!skel)
		return -errno;
	bpf_object__for_each_program(p, skel->obj) bpf_program__set_autoload(p, wanted(p, lsm));
	bpf_map__set_autocreate(skel->maps.clawos_open_st, false);
	bpf_map__set_max_entries(skel->maps.clawos_events, 256 * 1024);
	r = clawos__load(skel);
	if (r < 0) {
		clawos__destroy(skel);
		return r;
	}
	bpf_map__update_elem(skel->maps.clawos_config, &zero, sizeof(zero), &cfg, sizeof(cfg), BPF_ANY);
	*ret = skel;
	return 0;
}

static int attach_all(struct clawos *skel, struct bpf_link **links, size_t *n)
{
	struct bpf_program *p;

	*n = 0;
	bpf_object__for_each_program(p, skel->obj)
	{
		if (!bpf_program__autoload(p))
			continue;
		links[*n] = bpf_program__attach(p);
		if (!links[*n]) {
			fprintf(stderr, "attach-cycle: cannot attach %s: %s\n", bpf_program__name(p), strerror(errno));
			return -1;
		}
		(*n)++;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	struct bpf_link *links[128];
	struct clawos *skel = NULL;
	bool reload = false, lsm = true;
	long rounds;
	size_t n;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--reload") == 0)
			reload = true;
		else if (strcmp(argv[i], "--no-lsm") == 0)
			lsm = false;
	}
	if (i != argc - 1 || (rounds = strtol(argv[i], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: attach-cycle [--reload] [--no-lsm] ROUNDS\n");
		return 2;
	}
	for (long r = 0; r < rounds; r++) {
		time_t t0 = time(NULL);

		if (!skel && load(&skel, lsm) < 0) {
			fprintf(stderr, "attach-cycle: cannot load the clawos object\n");
			return 1;
		}
		if (attach_all(skel, links, &n) < 0)
			return 1;
		usleep(20000);
		for (size_t k = n; k > 0; k--)
			bpf_link__destroy(links[k - 1]);
		if (reload) {
			clawos__destroy(skel);
			skel = NULL;
		}
		if (r % 50 == 0 || reload)
			printf("round %ld: %zu programs attached and detached (%lds)\n", r, n, (long)(time(NULL) - t0));
		fflush(stdout);
	}
	clawos__destroy(skel);
	printf("attach-cycle: %ld rounds done\n", rounds);
	return 0;
}
