/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every BPF program of the clawos object loads on its own (one skeleton per
 * program, autoload for that program only), as TAP.  BPF-LSM programs may be
 * refused, but only where the kernel refuses BPF-LSM as such: a minimal
 * lsm/file_open program of the probe object is the reference.  Programs
 * whose type supports BPF_PROG_TEST_RUN (cgroup_skb) are also run on a dummy
 * IPv4 packet.
 *
 * Not root: "1..0 # SKIP", exit 0 (meson's TAP protocol reads a non-zero exit
 * status as an error, and skips on an empty plan).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf/clawos-abi.h"
#include "clawos.skel.h"
#include "probe.skel.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define RING_SIZE (256 * 1024) /* small: only loading is tested */

static int tap_n;
static int failed;

/* libbpf's messages of the last load, printed as TAP comments on failure */
static char libbpf_log[16384];
static size_t libbpf_log_len;

/* Keeps the end of the output: the verifier's verdict is the last lines
 * of its log, which libbpf prints in one piece and which can be far longer
 * than the buffer. */
static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *msg = NULL;
	size_t n, cap = sizeof(libbpf_log) - 1;
	int r;

	if (level == LIBBPF_DEBUG)
		return 0;
	r = vasprintf(&msg, fmt, ap);
	if (r <= 0)
		return 0;
	n = (size_t)r;
	if (n > cap) { /* only its end */
		memmove(msg, msg + n - cap, cap);
		n = cap;
	}
	if (libbpf_log_len + n > cap) {
		size_t keep = cap - n;

		memmove(libbpf_log, libbpf_log + libbpf_log_len - MIN(keep, libbpf_log_len), MIN(keep, libbpf_log_len));
		libbpf_log_len = MIN(keep, libbpf_log_len);
	}
	memcpy(libbpf_log + libbpf_log_len, msg, n);
	libbpf_log_len += n;
	libbpf_log[libbpf_log_len] = '\0';
	free(msg);
	return 0;
}

static void log_reset(void)
{
	libbpf_log_len = 0;
	libbpf_log[0] = '\0';
}

/* The last lines of libbpf's output (the verifier's verdict is at the end). */
static void log_dump(void)
{
	const char *p = libbpf_log + libbpf_log_len;
	int lines = 0;

	while (p > libbpf_log && lines < 25)
		if (*--p == '\n')
			lines++;
	for (const char *s = p; *s;) {
		size_t n = strcspn(s, "\n");

		if (n)
			printf("# %.*s\n", (int)n, s);
		s += n + (s[n] == '\n');
	}
}

static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		failed++;
}

/* 0 if a minimal BPF-LSM program loads here, else -errno. */
static int reference_lsm(void)
{
	struct clawos_probe *p = clawos_probe__open();
	struct bpf_program *prog;
	int r;

	if (!p)
		return -errno;
	bpf_object__for_each_program(prog, p->obj) bpf_program__set_autoload(prog, prog == p->progs.clawos_p_fopen);
	r = clawos_probe__load(p);
	clawos_probe__destroy(p);
	return r;
}

static struct clawos *open_only(const char *name)
{
	struct clawos *skel = clawos__open();
	struct bpf_program *prog;

	if (!skel)
		return NULL;
	bpf_map__set_max_entries(skel->maps.clawos_events, RING_SIZE);
	bpf_object__for_each_program(prog, skel->obj)
	    bpf_program__set_autoload(prog, strcmp(bpf_program__name(prog), name) == 0);
	return skel;
}

/* The verifier's statistics line ("processed N insns ..."): how close a
 * program is to the limit that older kernels' verifiers hit first. */
static char stats_buf[4096];

static const char *verifier_stats(void)
{
	char *p = strstr(stats_buf, "processed ");
	size_t n;

	if (!p)
		return "no statistics";
	n = strcspn(p, "\n");
	p[n] = '\0';
	return p;
}

/* A tp_btf program whose tracepoint this kernel's BTF lacks (io_uring's
 * before 6.0): the agent plans without it (its hook is optional), so here it
 * is skipped, with the reason. */
static bool tp_btf_missing(struct bpf_program *prog)
{
	static struct btf *vmlinux;
	const char *sec = bpf_program__section_name(prog);
	char tname[160];

	if (strncmp(sec, "tp_btf/", 7) != 0)
		return false;
	if (!vmlinux)
		vmlinux = btf__load_vmlinux_btf();
	snprintf(tname, sizeof(tname), "btf_trace_%s", sec + 7);
	return vmlinux && btf__find_by_name_kind(vmlinux, tname, BTF_KIND_TYPEDEF) < 0;
}

static void load_one(const char *name, bool is_lsm, int lsm_ref)
{
	struct clawos *skel;
	struct bpf_program *prog;
	int r;

	log_reset();
	skel = open_only(name);
	if (!skel) {
		tap(false, "%s: opening the skeleton failed: %s", name, strerror(errno));
		return;
	}
	stats_buf[0] = '\0';
	prog = bpf_object__find_program_by_name(skel->obj, name);
	if (prog && tp_btf_missing(prog)) {
		tap(true, "%s # SKIP no %s in this kernel's BTF (optional hook)", name,
		    bpf_program__section_name(prog));
		clawos__destroy(skel);
		return;
	}
	if (prog) {
		bpf_program__set_log_buf(prog, stats_buf, sizeof(stats_buf));
		bpf_program__set_log_level(prog, 4); /* BPF_LOG_STATS */
	}
	r = clawos__load(skel);
	if (r == 0)
		tap(true, "%s loads # %s", name, verifier_stats());
	else if (is_lsm && lsm_ref < 0 && r == lsm_ref)
		tap(true, "%s refused by the kernel: %s # (expected without BPF-LSM)", name, strerror(-r));
	else {
		tap(false, "%s fails to load: %s%s", name, strerror(-r),
		    !is_lsm	   ? ""
		    : lsm_ref == 0 ? " (a minimal BPF-LSM program loads here)"
				   : " (not the kernel's refusal of BPF-LSM programs)");
		log_dump();
	}
	clawos__destroy(skel);
}

/* An Ethernet + IPv4 + TCP packet, 127.0.0.1:40000 -> 127.0.0.1:80. */
struct pkt_v4 {
	struct ethhdr eth;
	struct iphdr iph;
	struct tcphdr tcp;
} __attribute__((packed));

static void pkt_v4_init(struct pkt_v4 *p)
{
	memset(p, 0, sizeof(*p));
	p->eth.h_proto = htons(ETH_P_IP);
	p->iph.version = 4;
	p->iph.ihl = 5;
	p->iph.ttl = 64;
	p->iph.protocol = IPPROTO_TCP;
	p->iph.tot_len = htons(sizeof(p->iph) + sizeof(p->tcp));
	p->iph.saddr = htonl(INADDR_LOOPBACK);
	p->iph.daddr = htonl(INADDR_LOOPBACK);
	p->tcp.source = htons(40000);
	p->tcp.dest = htons(80);
	p->tcp.doff = 5;
	p->tcp.syn = 1;
}

/* Sum of one counter field over every CPU and every cgroup. */
static int cg_counters(int map_fd, struct clawos_cgroup_counters *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct clawos_cgroup_counters *v;
	__u64 key, next, *prev = NULL;

	if (ncpu <= 0)
		return ncpu;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	memset(sum, 0, sizeof(*sum));
	while (bpf_map_get_next_key(map_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(map_fd, &key, v) < 0)
			continue;
		for (int c = 0; c < ncpu; c++) {
			sum->rx_packets += v[c].rx_packets;
			sum->tx_packets += v[c].tx_packets;
		}
	}
	free(v);
	return 0;
}

static void test_run_skb(void)
{
	struct clawos *skel = clawos__open();
	struct clawos_config cfg = {.enable_cgroup_monitoring = 1};
	struct clawos_cgroup_counters before, after;
	struct bpf_program *prog;
	struct pkt_v4 pkt;
	__u32 zero = 0;
	int r;

	log_reset();
	if (!skel) {
		tap(false, "cgroup_skb test run: opening the skeleton failed: %s", strerror(errno));
		return;
	}
	bpf_map__set_max_entries(skel->maps.clawos_events, RING_SIZE);
	bpf_object__for_each_program(prog, skel->obj)
	    bpf_program__set_autoload(prog, bpf_program__type(prog) == BPF_PROG_TYPE_CGROUP_SKB);
	r = clawos__load(skel);
	if (r < 0) {
		tap(false, "cgroup_skb programs load together: %s", strerror(-r));
		log_dump();
		goto out;
	}
	r = bpf_map_update_elem(bpf_map__fd(skel->maps.clawos_config), &zero, &cfg, BPF_ANY);
	if (r < 0) {
		tap(false, "CONFIG map update: %s", strerror(errno));
		goto out;
	}
	pkt_v4_init(&pkt);
	bpf_object__for_each_program(prog, skel->obj)
	{
		bool egress = bpf_program__expected_attach_type(prog) == BPF_CGROUP_INET_EGRESS;
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = &pkt, .data_size_in = sizeof(pkt), .repeat = 1);

		if (bpf_program__type(prog) != BPF_PROG_TYPE_CGROUP_SKB)
			continue;
		if (cg_counters(bpf_map__fd(skel->maps.clawos_cg_cnt), &before) < 0) {
			tap(false, "%s: reading the counters failed", bpf_program__name(prog));
			continue;
		}
		r = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
		if (r < 0) {
			tap(false, "%s BPF_PROG_TEST_RUN: %s", bpf_program__name(prog), strerror(errno));
			continue;
		}
		tap(opts.retval == 1, "%s BPF_PROG_TEST_RUN on an IPv4 packet returns 1 (allow), got %u",
		    bpf_program__name(prog), opts.retval);
		if (cg_counters(bpf_map__fd(skel->maps.clawos_cg_cnt), &after) < 0) {
			tap(false, "%s: reading the counters failed", bpf_program__name(prog));
			continue;
		}
		if (egress)
			tap(after.tx_packets == before.tx_packets + 1, "%s counts the packet as tx (%llu -> %llu)",
			    bpf_program__name(prog), (unsigned long long)before.tx_packets,
			    (unsigned long long)after.tx_packets);
		else
			tap(after.rx_packets == before.rx_packets + 1, "%s counts the packet as rx (%llu -> %llu)",
			    bpf_program__name(prog), (unsigned long long)before.rx_packets,
			    (unsigned long long)after.rx_packets);
	}
out:
	clawos__destroy(skel);
}

int main(void)
{
	struct clawos *skel;
	struct bpf_program *prog;
	char names[128][64];
	bool lsm[128];
	int n = 0, lsm_ref;

	if (geteuid() != 0) {
		printf("1..0 # SKIP loading BPF programs needs root\n");
		return 0;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0) {
		printf("1..0 # SKIP no /sys/kernel/btf/vmlinux: CO-RE cannot load\n");
		return 0;
	}
	libbpf_set_print(capture_print);
	skel = clawos__open();
	if (!skel) {
		printf("Bail out! opening the clawos skeleton failed: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(prog, skel->obj)
	{
		if (n == (int)(sizeof(names) / sizeof(names[0]))) {
			printf("Bail out! more programs than this test has room for\n");
			return 1;
		}
		snprintf(names[n], sizeof(names[n]), "%s", bpf_program__name(prog));
		lsm[n] = bpf_program__type(prog) == BPF_PROG_TYPE_LSM;
		n++;
	}
	clawos__destroy(skel);

	log_reset();
	lsm_ref = reference_lsm();
	printf("# reference lsm/file_open program: %s\n", lsm_ref == 0 ? "loads" : strerror(-lsm_ref));
	if (lsm_ref < 0)
		log_dump();

	for (int i = 0; i < n; i++)
		load_one(names[i], lsm[i], lsm_ref);
	test_run_skb();
	printf("1..%d\n", tap_n);
	return 0;
}
