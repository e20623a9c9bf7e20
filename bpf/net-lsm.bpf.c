/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * BPF-LSM socket hooks: they see every connect/bind/listen/socket call of
 * every task, whatever cgroup it sits in, with the caller's own context.
 * Loaded only where the kernel accepts BPF-LSM programs.  They return 0
 * (allow): enforcement is decided elsewhere.
 */
#include "net.bpf.h"

static __always_inline void lsm_sockaddr(struct socket *sock, struct sockaddr *address, __u8 op)
{
	__u16 family = BPF_CORE_READ(address, sa_family);
	__u16 type = BPF_CORE_READ(sock, type);
	__u16 proto = BPF_CORE_READ(sock, sk, sk_protocol);

	if (family == CLAWOS_AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)address;

		net_emit4(BPF_CORE_READ(in, sin_addr.s_addr), BPF_CORE_READ(in, sin_port), op, net_proto(type, proto),
			  CLAWOS_MECH_LSM, true);
	} else if (family == CLAWOS_AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)address;

		net_emit6((__u32 *)&in6->sin6_addr, BPF_CORE_READ(in6, sin6_port), op, net_proto(type, proto),
			  CLAWOS_MECH_LSM, true, true);
	}
}

SEC("lsm/socket_connect")
int BPF_PROG(clawos_lsm_conn, struct socket *sock, struct sockaddr *address, int addrlen)
{
	if (net_cfg(true))
		lsm_sockaddr(sock, address, CLAWOS_NET_OP_CONNECT);
	return 0;
}

SEC("lsm/socket_bind")
int BPF_PROG(clawos_lsm_bind, struct socket *sock, struct sockaddr *address, int addrlen)
{
	if (net_cfg(true))
		lsm_sockaddr(sock, address, CLAWOS_NET_OP_BIND);
	return 0;
}

SEC("lsm/socket_listen")
int BPF_PROG(clawos_lsm_listen, struct socket *sock, int backlog)
{
	struct sock *sk;

	if (!net_cfg(true))
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (sk)
		net_emit_sock(sk, CLAWOS_NET_OP_LISTEN, false, CLAWOS_MECH_LSM);
	return 0;
}

SEC("lsm/socket_create")
int BPF_PROG(clawos_lsm_sock, int family, int type, int protocol, int kern)
{
	if (!kern && net_cfg(true))
		net_emit_create(family, type & 0xf, protocol, CLAWOS_MECH_LSM, true);
	return 0;
}
