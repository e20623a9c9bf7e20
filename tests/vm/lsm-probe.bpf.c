/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Smallest proof that BPF-LSM works in the guest: count file_open calls of one process on
 * files of one name.  Built against the committed vmlinux.h (from a 6.18 kernel); the one
 * kernel field read goes through CO-RE, so it relocates on 5.10 and 6.1 as well.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lsm-probe.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct probe_cfg);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} opens SEC(".maps");

static __always_inline bool name_is(const char *name, const char *want)
{
	for (int i = 0; i < PROBE_NAME_LEN; i++) {
		if (name[i] != want[i])
			return false;
		if (!name[i])
			return true;
	}
	return false;
}

SEC("lsm/file_open")
int BPF_PROG(handle_file_open, struct file *file, int ret)
{
	char name[PROBE_NAME_LEN];
	const unsigned char *dname;
	struct probe_cfg *c;
	__u32 key = 0;
	__u64 *n;

	if (ret)
		return ret;
	c = bpf_map_lookup_elem(&cfg, &key);
	if (!c || (bpf_get_current_pid_tgid() >> 32) != c->tgid)
		return 0;
	dname = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	if (bpf_probe_read_kernel_str(name, sizeof(name), dname) < 0)
		return 0;
	if (!name_is(name, c->name))
		return 0;
	n = bpf_map_lookup_elem(&opens, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	return 0;
}
