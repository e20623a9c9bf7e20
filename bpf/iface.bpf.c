/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Interface monitoring: tc (clsact) ingress and egress programs that count
 * packets and bytes per interface, direction, IP protocol and remote
 * address/port.  A separate object from the main one (own maps, own
 * skeleton, agent/iface.c), attached only to the interfaces the
 * configuration names.  Counting only: no ring-buffer traffic.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "clawos-abi.h"

#define TC_ACT_UNSPEC (-1)
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IP_OFFSET_MASK 0x1fff

/* Per flow; LRU so that a scan of many addresses evicts old flows instead of
 * failing.  Per-CPU values: no atomics on the packet path. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, CLAWOS_IFACE_FLOWS_MAX);
	__type(key, struct clawos_iface_key);
	__type(value, struct clawos_iface_counters);
} clawos_if_flows SEC(".maps");

/* Per interface and direction, exact whatever the flow map evicts; the
 * egress volume anomaly is computed from these. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4 * CLAWOS_IFACE_MAX);
	__type(key, struct clawos_iface_total_key);
	__type(value, struct clawos_iface_counters);
} clawos_if_tot SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clawos_iface_config);
} clawos_if_cfg SEC(".maps");

/* Failed inserts into clawos_if_tot (full: stale interfaces not yet
 * removed by user space). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} clawos_if_err SEC(".maps");

static __always_inline void count_err(void)
{
	__u32 zero = 0;
	__u64 *e = bpf_map_lookup_elem(&clawos_if_err, &zero);

	if (e)
		(*e)++;
}

static __always_inline void add(void *map, const void *key, __u64 packets, __u64 bytes, bool tot)
{
	struct clawos_iface_counters *c, init = {.packets = packets, .bytes = bytes};

	c = bpf_map_lookup_elem(map, key);
	if (c) {
		c->packets += packets;
		c->bytes += bytes;
		return;
	}
	/* a new per-CPU element holds init on this CPU and zeroes elsewhere */
	if (bpf_map_update_elem(map, key, &init, BPF_NOEXIST) == 0)
		return;
	c = bpf_map_lookup_elem(map, key); /* inserted meanwhile */
	if (c) {
		c->packets += packets;
		c->bytes += bytes;
	} else if (tot) {
		count_err();
	}
}

/* Remote end of an IPv4 packet: the source on ingress, else the destination.
 * Offsets are relative to the network header, so devices without an L2
 * header (tun, wireguard) parse the same. */
static __always_inline void parse_ipv4(struct __sk_buff *skb, struct clawos_iface_key *k, bool egress)
{
	struct iphdr iph;
	__u16 ports[2];
	__u32 off;

	if (bpf_skb_load_bytes_relative(skb, 0, &iph, sizeof(iph), BPF_HDR_START_NET) < 0)
		return;
	k->family = 4;
	k->ip_proto = iph.protocol;
	__builtin_memcpy(k->addr, egress ? &iph.daddr : &iph.saddr, 4);
	if (iph.frag_off & bpf_htons(IP_OFFSET_MASK))
		return; /* not the first fragment: no L4 header */
	if (iph.protocol != IPPROTO_TCP && iph.protocol != IPPROTO_UDP && iph.protocol != IPPROTO_UDPLITE &&
	    iph.protocol != IPPROTO_SCTP)
		return;
	off = (__u32)iph.ihl * 4;
	if (off < sizeof(iph) || bpf_skb_load_bytes_relative(skb, off, ports, sizeof(ports), BPF_HDR_START_NET) < 0)
		return;
	k->port = egress ? ports[1] : ports[0];
}

static __always_inline void parse_ipv6(struct __sk_buff *skb, struct clawos_iface_key *k, bool egress)
{
	struct ipv6hdr ip6;
	__u16 ports[2];

	if (bpf_skb_load_bytes_relative(skb, 0, &ip6, sizeof(ip6), BPF_HDR_START_NET) < 0)
		return;
	k->family = 6;
	k->ip_proto = ip6.nexthdr;
	__builtin_memcpy(k->addr, egress ? &ip6.daddr : &ip6.saddr, 16);
	/* extension headers are not walked: their next-header value is the
	 * protocol reported, without ports */
	if (ip6.nexthdr != IPPROTO_TCP && ip6.nexthdr != IPPROTO_UDP && ip6.nexthdr != IPPROTO_UDPLITE &&
	    ip6.nexthdr != IPPROTO_SCTP)
		return;
	if (bpf_skb_load_bytes_relative(skb, sizeof(ip6), ports, sizeof(ports), BPF_HDR_START_NET) < 0)
		return;
	k->port = egress ? ports[1] : ports[0];
}

static __always_inline int iface_count(struct __sk_buff *skb, bool egress)
{
	struct clawos_iface_key k = {};
	struct clawos_iface_total_key tk = {};
	struct clawos_iface_config *cfg;
	__u32 zero = 0;
	__u64 segs;

	cfg = bpf_map_lookup_elem(&clawos_if_cfg, &zero);
	if (!cfg || !cfg->enabled)
		return TC_ACT_UNSPEC;
	segs = skb->gso_segs ? skb->gso_segs : 1;
	k.ifindex = skb->ifindex;
	k.direction = egress ? CLAWOS_IFACE_DIR_EGRESS : CLAWOS_IFACE_DIR_INGRESS;
	k.ethertype = (__u16)skb->protocol;
	if (skb->protocol == bpf_htons(ETH_P_IP))
		parse_ipv4(skb, &k, egress);
	else if (skb->protocol == bpf_htons(ETH_P_IPV6))
		parse_ipv6(skb, &k, egress);
	add(&clawos_if_flows, &k, segs, skb->len, false);
	tk.ifindex = k.ifindex;
	tk.direction = k.direction;
	add(&clawos_if_tot, &tk, segs, skb->len, true);
	/* never a verdict of ours: the next filter and the stack decide */
	return TC_ACT_UNSPEC;
}

SEC("tc")
int clawos_tc_in(struct __sk_buff *skb)
{
	return iface_count(skb, false);
}

SEC("tc")
int clawos_tc_out(struct __sk_buff *skb)
{
	return iface_count(skb, true);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
