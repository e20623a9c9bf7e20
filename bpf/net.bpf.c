/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Network fallbacks where BPF-LSM is missing: cgroup sock_addr programs on the
 * cgroup v2 root (connect, bind, UDP sendmsg, raw/packet socket creation) and
 * tracepoints for listen and accept, which have no cgroup hook.  accept is
 * always reported from sys_exit: only then is the peer known.
 * cgroup programs must return 1 (allow); they observe, never decide.
 */
#include "net.bpf.h"
#include "path.bpf.h"

/* cgroup programs cannot read task_struct on every kernel: no ppid there,
 * user space fills it in (CLAWOS_HDR_F_NO_PPID). */
#define CG_PARENT false

/* Context fields must be read directly, one u32 at a time, never through a
 * derived pointer. */
#define CTX_IP6(ctx)                                                                                                   \
	{                                                                                                              \
		(ctx)->user_ip6[0], (ctx)->user_ip6[1], (ctx)->user_ip6[2], (ctx)->user_ip6[3]                         \
	}

SEC("cgroup/connect4")
int clawos_cg_conn4(struct bpf_sock_addr *ctx)
{
	if (net_cfg(false))
		net_emit4(ctx->user_ip4, (__u16)ctx->user_port, CLAWOS_NET_OP_CONNECT,
			  net_proto(ctx->type, ctx->protocol), CLAWOS_MECH_CGROUP, CG_PARENT);
	return 1;
}

SEC("cgroup/connect6")
int clawos_cg_conn6(struct bpf_sock_addr *ctx)
{
	if (net_cfg(false)) {
		__u32 a[4] = CTX_IP6(ctx);

		net_emit6(a, (__u16)ctx->user_port, CLAWOS_NET_OP_CONNECT, net_proto(ctx->type, ctx->protocol),
			  CLAWOS_MECH_CGROUP, CG_PARENT, false);
	}
	return 1;
}

SEC("cgroup/bind4")
int clawos_cg_bind4(struct bpf_sock_addr *ctx)
{
	if (net_cfg(false))
		net_emit4(ctx->user_ip4, (__u16)ctx->user_port, CLAWOS_NET_OP_BIND, net_proto(ctx->type, ctx->protocol),
			  CLAWOS_MECH_CGROUP, CG_PARENT);
	return 1;
}

SEC("cgroup/bind6")
int clawos_cg_bind6(struct bpf_sock_addr *ctx)
{
	if (net_cfg(false)) {
		__u32 a[4] = CTX_IP6(ctx);

		net_emit6(a, (__u16)ctx->user_port, CLAWOS_NET_OP_BIND, net_proto(ctx->type, ctx->protocol),
			  CLAWOS_MECH_CGROUP, CG_PARENT, false);
	}
	return 1;
}

SEC("cgroup/sendmsg4")
int clawos_cg_send4(struct bpf_sock_addr *ctx)
{
	if (net_cfg(false))
		net_emit4(ctx->user_ip4, (__u16)ctx->user_port, CLAWOS_NET_OP_SENDMSG,
			  net_proto(ctx->type, ctx->protocol), CLAWOS_MECH_CGROUP, CG_PARENT);
	return 1;
}

SEC("cgroup/sendmsg6")
int clawos_cg_send6(struct bpf_sock_addr *ctx)
{
	if (net_cfg(false)) {
		__u32 a[4] = CTX_IP6(ctx);

		net_emit6(a, (__u16)ctx->user_port, CLAWOS_NET_OP_SENDMSG, net_proto(ctx->type, ctx->protocol),
			  CLAWOS_MECH_CGROUP, CG_PARENT, false);
	}
	return 1;
}

SEC("cgroup/sock_create")
int clawos_cg_sock(struct bpf_sock *ctx)
{
	if (net_cfg(false))
		net_emit_create(ctx->family, ctx->type, ctx->protocol, CLAWOS_MECH_CGROUP, CG_PARENT);
	return 1;
}

static __always_inline struct sock *fd_to_sock(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file *f = fd_to_file(task, fd);
	struct socket *sock;

	if (!f)
		return NULL;
	if ((BPF_CORE_READ(f, f_inode, i_mode) & CLAWOS_S_IFMT) != CLAWOS_S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	return sock ? BPF_CORE_READ(sock, sk) : NULL;
}

SEC("tracepoint/syscalls/sys_enter_listen")
int clawos_tp_listen(struct trace_event_raw_sys_enter *ctx)
{
	struct sock *sk;

	if (!net_cfg(true))
		return 0;
	sk = fd_to_sock((int)ctx->args[0]);
	if (sk)
		net_emit_sock(sk, CLAWOS_NET_OP_LISTEN, false, CLAWOS_MECH_TRACEPOINT);
	return 0;
}

static __always_inline void accept_end(long ret)
{
	struct sock *sk;

	if (ret < 0 || !net_cfg(true))
		return;
	sk = fd_to_sock((int)ret);
	if (sk)
		net_emit_sock(sk, CLAWOS_NET_OP_ACCEPT, true, CLAWOS_MECH_TRACEPOINT);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int clawos_tp_accept(struct trace_event_raw_sys_exit *ctx)
{
	accept_end(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int clawos_tp_accept4(struct trace_event_raw_sys_exit *ctx)
{
	accept_end(ctx->ret);
	return 0;
}
