/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Minimal programs that only answer "does this kernel load a program of this
 * kind here?".  The agent loads each one on its own at start (it never
 * attaches them) and chooses, per hook, the mechanism to use; the kernel's
 * error becomes the reason printed by --probe.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* file_open calls bpf_d_path like the real program: some kernels (5.10)
 * load LSM programs but refuse that helper in them. */
SEC("lsm/file_open")
int BPF_PROG(clawos_p_fopen, struct file *file)
{
	char path[64];

	bpf_d_path((struct path *)&file->f_path, path, sizeof(path));
	return 0;
}

/* file_open without bpf_d_path: what the dentry-walk variant needs
 * (file-lsm.bpf.c built with CLAWOS_LSM_WALK): CO-RE reads of the file. */
SEC("lsm/file_open")
int BPF_PROG(clawos_p_fopen_w, struct file *file)
{
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);

	return BPF_CORE_READ(d, d_parent) == d ? 0 : 0;
}

SEC("lsm/socket_connect")
int BPF_PROG(clawos_p_conn, struct socket *sock, struct sockaddr *address, int addrlen)
{
	return 0;
}

SEC("lsm/socket_bind")
int BPF_PROG(clawos_p_bind, struct socket *sock, struct sockaddr *address, int addrlen)
{
	return 0;
}

SEC("lsm/socket_listen")
int BPF_PROG(clawos_p_listen, struct socket *sock, int backlog)
{
	return 0;
}

SEC("lsm/socket_create")
int BPF_PROG(clawos_p_sock, int family, int type, int protocol, int kern)
{
	return 0;
}

/* BPF trampolines (fentry/fexit), reported by --probe. */
SEC("fentry/security_file_open")
int BPF_PROG(clawos_p_fentry, struct file *file)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
