/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* Emitting network records, shared by the LSM, cgroup and tracepoint hooks. */
#ifndef CLAWOS_NET_BPF_H
#define CLAWOS_NET_BPF_H

#include "common.bpf.h"

#define CLAWOS_AF_INET 2
#define CLAWOS_AF_INET6 10
#define CLAWOS_AF_PACKET 17
#define CLAWOS_SOCK_STREAM 1
#define CLAWOS_SOCK_DGRAM 2
#define CLAWOS_SOCK_RAW 3
#define CLAWOS_S_IFMT 00170000
#define CLAWOS_S_IFSOCK 0140000

static __always_inline __u8 net_proto(__u32 type, __u32 protocol)
{
	if (type == CLAWOS_SOCK_RAW)
		return CLAWOS_PROTO_RAW;
	switch (protocol) {
	case 6:
		return CLAWOS_PROTO_TCP;
	case 17:
		return CLAWOS_PROTO_UDP;
	case 1:
	case 58:
		return CLAWOS_PROTO_ICMP;
	case 0:
		if (type == CLAWOS_SOCK_STREAM)
			return CLAWOS_PROTO_TCP;
		if (type == CLAWOS_SOCK_DGRAM)
			return CLAWOS_PROTO_UDP;
	}
	return CLAWOS_PROTO_OTHER;
}

/* NULL when the current task is not to be reported.  cgroup programs may
 * not read task_struct on every kernel: they pass may_read_task false and
 * so skip the exe filter. */
static __always_inline struct clawos_config *net_cfg(bool may_read_task)
{
	struct clawos_config *cfg = cfg_get();

	if (skip_current_comm(cfg, may_read_task, true, NULL) || !cfg->enable_network_monitoring)
		return NULL;
	CLAWOS_DBG(cfg, "net pid=%u report", (__u32)(bpf_get_current_pid_tgid() >> 32));
	return cfg;
}

static __always_inline void net_emit4(__u32 addr, __u16 port, __u8 op, __u8 proto, __u8 mech, bool parent)
{
	struct clawos_net_event *e = record_reserve(CLAWOS_EV_NET, sizeof(*e), parent);

	if (!e)
		return;
	e->addr = addr;
	e->port = port;
	e->op = op;
	e->info = CLAWOS_NET_INFO(proto, mech);
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void net_emit6(const __u32 *addr, __u16 port, __u8 op, __u8 proto, __u8 mech, bool parent,
				      bool kernel_mem)
{
	struct clawos_net6_event *e = record_reserve(CLAWOS_EV_NET6, sizeof(*e), parent);

	if (!e)
		return;
	if (kernel_mem) {
		bpf_probe_read_kernel(e->addr, sizeof(e->addr), addr);
	} else {
		__u32 *dst = (__u32 *)e->addr;

		dst[0] = addr[0];
		dst[1] = addr[1];
		dst[2] = addr[2];
		dst[3] = addr[3];
	}
	e->port = port;
	e->op = op;
	e->info = CLAWOS_NET_INFO(proto, mech);
	e->scope_id = 0;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void net_emit_create(__u16 family, __u16 type, __u16 protocol, __u8 mech, bool parent)
{
	struct clawos_net_event *e;

	/* Only sockets that bypass the usual stack are worth a record: raw
	 * and packet sockets (sniffing, crafted packets). */
	if (type != CLAWOS_SOCK_RAW && family != CLAWOS_AF_PACKET)
		return;
	e = record_reserve(CLAWOS_EV_NET, sizeof(*e), parent);
	if (!e)
		return;
	e->sock.family = family;
	e->sock.type = type;
	e->port = protocol;
	e->op = CLAWOS_NET_OP_CREATE;
	e->info = CLAWOS_NET_INFO(net_proto(type, protocol), mech);
	bpf_ringbuf_submit(e, 0);
}

/* A socket's endpoint, read from struct sock: local for bind/listen, the
 * peer for accept. */
static __always_inline void net_emit_sock(struct sock *sk, __u8 op, bool peer, __u8 mech)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u16 type = BPF_CORE_READ(sk, sk_type);
	__u16 proto = BPF_CORE_READ(sk, sk_protocol);
	__u16 port;

	if (peer)
		port = BPF_CORE_READ(sk, __sk_common.skc_dport);
	else
		port = bpf_htons(BPF_CORE_READ(sk, __sk_common.skc_num));
	if (family == CLAWOS_AF_INET) {
		__u32 addr =
		    peer ? BPF_CORE_READ(sk, __sk_common.skc_daddr) : BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);

		net_emit4(addr, port, op, net_proto(type, proto), mech, true);
	} else if (family == CLAWOS_AF_INET6) {
		struct in6_addr a;

		if (peer)
			a = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
		else
			a = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
		net_emit6((__u32 *)&a, port, op, net_proto(type, proto), mech, true, true);
	}
}

#endif /* CLAWOS_NET_BPF_H */
