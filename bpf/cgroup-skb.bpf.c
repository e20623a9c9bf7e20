/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Packet and byte counters per cgroup, from cgroup_skb programs on the cgroup
 * v2 root.  Counting only: user space turns deltas into CgroupEvents, so the
 * per-packet cost is one per-CPU hash update and no ring-buffer traffic.
 */
#include "common.bpf.h"

static __always_inline void skb_count(struct __sk_buff *skb, bool egress)
{
	struct clawos_config *cfg = cfg_get();
	struct clawos_cgroup_counters *c, zero = {};
	__u64 id;

	if (!cfg || !cfg->enable_cgroup_monitoring)
		return;
	id = bpf_skb_cgroup_id(skb);
	c = bpf_map_lookup_elem(&clawos_cg_cnt, &id);
	if (!c) {
		bpf_map_update_elem(&clawos_cg_cnt, &id, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&clawos_cg_cnt, &id);
		if (!c)
			return;
	}
	if (egress) {
		c->tx_packets++;
		c->tx_bytes += skb->len;
	} else {
		c->rx_packets++;
		c->rx_bytes += skb->len;
	}
}

SEC("cgroup_skb/ingress")
int clawos_skb_in(struct __sk_buff *skb)
{
	skb_count(skb, false);
	return 1;
}

SEC("cgroup_skb/egress")
int clawos_skb_out(struct __sk_buff *skb)
{
	skb_count(skb, true);
	return 1;
}
