/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loads a BPF object, attaches every program in it (libbpf auto-attach by
 * section name), prints "attached N" and holds the links until SIGTERM or
 * SIGINT.  bpftool 7.1 cannot do this: `prog loadall` has no autoattach.
 *
 *   bench-attach OBJECT.bpf.o
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

int main(int argc, char *argv[])
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	int n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: bench-attach OBJECT.bpf.o\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj) < 0) {
		fprintf(stderr, "bench-attach: cannot load %s\n", argv[1]);
		return 1;
	}
	bpf_object__for_each_program(prog, obj)
	{
		if (!bpf_program__attach(prog)) {
			fprintf(stderr, "bench-attach: cannot attach %s\n", bpf_program__name(prog));
			return 1;
		}
		n++;
	}
	printf("attached %d\n", n);
	fflush(stdout);
	while (!stop)
		pause();
	bpf_object__close(obj); /* links are leaked on purpose: exit detaches */
	return 0;
}
