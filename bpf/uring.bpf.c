/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * io_uring requests pass no system-call tracepoint: the ring is read by the
 * kernel (or by its SQPOLL thread, a thread of the same process) and the
 * operation runs without a syscall of its own.  BPF-LSM sees them as
 * file_open / socket_connect; on the tracepoint fallback this program, on
 * io_uring:io_uring_submit_req (tp_btf: the request itself, after its
 * prep), raises an evasion anomaly, rule io_uring, for every request that
 * opens, connects, unlinks, renames, links or creates: observed is the
 * opcode, threshold the fd of the request, the subject the path the request
 * names (as passed, relative to its dfd: not resolved) or the IPv4/IPv6
 * peer (raw in top[], formatted by user space).  A protected path also
 * raises file_violation.  What the request did (its result, the file it
 * opened) is not known here: the completion has no tracepoint with the
 * request's arguments.
 */
#include "common.bpf.h"

#define PF_IO_WORKER 0x00000010 /* include/linux/sched.h */

enum {
	URING_SENDMSG = 9,
	URING_ACCEPT = 13,
	URING_CONNECT = 16,
	URING_OPENAT = 18,
	URING_SEND = 26,
	URING_OPENAT2 = 28,
	URING_RENAMEAT = 35,
	URING_UNLINKAT = 36,
	URING_MKDIRAT = 37,
	URING_SYMLINKAT = 38,
	URING_LINKAT = 39,
	URING_SOCKET = 45,
};

/* The request's per-opcode data (io_kiocb_to_cmd()): the first member of
 * struct io_kiocb, so the request's address is theirs. */
static __always_inline const char *uring_path(struct io_kiocb *req, __u8 op)
{
	struct filename *f = NULL;

	switch (op) {
	case URING_OPENAT:
	case URING_OPENAT2:
		f = BPF_CORE_READ((struct io_open *)req, filename);
		break;
	case URING_UNLINKAT:
		f = BPF_CORE_READ((struct io_unlink *)req, filename);
		break;
	case URING_RENAMEAT:
	case URING_LINKAT: /* struct io_link has the same first paths */
		f = BPF_CORE_READ((struct io_rename *)req, oldpath);
		break;
	case URING_MKDIRAT:
		f = BPF_CORE_READ((struct io_mkdir *)req, filename);
		break;
	default:
		return NULL;
	}
	return f ? BPF_CORE_READ(f, name) : NULL;
}

static __always_inline bool uring_watched(__u8 op)
{
	switch (op) {
	case URING_SENDMSG:
	case URING_ACCEPT:
	case URING_CONNECT:
	case URING_OPENAT:
	case URING_SEND:
	case URING_OPENAT2:
	case URING_RENAMEAT:
	case URING_UNLINKAT:
	case URING_MKDIRAT:
	case URING_SYMLINKAT:
	case URING_LINKAT:
	case URING_SOCKET:
		return true;
	default:
		return false;
	}
}

static __always_inline void uring_violation(const struct clawos_config *cfg, const char *kpath, __u8 op)
{
	struct clawos_anomaly_event *a;

	if (!protect_read_denied(cfg, kpath))
		return;
	a = anomaly_begin(CLAWOS_ANOMALY_FILE_VIOLATION, CLAWOS_SEV_HIGH, "protected_path");
	if (!a)
		return;
	a->observed = op;
	a->mechanism = CLAWOS_MECH_TP_BTF;
	bpf_probe_read_kernel_str(a->subject, sizeof(a->subject), kpath);
	bpf_ringbuf_submit(a, 0);
}

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(clawos_uring, struct io_kiocb *req)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct clawos_config *cfg = cfg_get();
	struct clawos_anomaly_event *a;
	__u8 op = BPF_CORE_READ(req, opcode);
	const char *path;

	if (!uring_watched(op) || skip_current(cfg))
		return 0;
	a = anomaly_begin(CLAWOS_ANOMALY_EVASION, CLAWOS_SEV_LOW, "io_uring");
	if (!a)
		return 0;
	a->mechanism = CLAWOS_MECH_TP_BTF;
	a->observed = op;
	a->threshold = (__u32)BPF_CORE_READ(req, cqe.fd);
	/* SQPOLL: the submitter is the ring's kernel thread ("iou-sqp-PID"),
	 * a thread of the owner: name the process, not the thread */
	if (BPF_CORE_READ(task, flags) & PF_IO_WORKER)
		BPF_CORE_READ_STR_INTO(&a->hdr.comm, task, group_leader, comm);
	path = uring_path(req, op);
	if (path) {
		bpf_probe_read_kernel_str(a->subject, sizeof(a->subject), path);
		uring_violation(cfg, path, op);
	} else if (op == URING_CONNECT) {
		void *addr = BPF_CORE_READ((struct io_connect *)req, addr);

		/* a user pointer, read in the submitter's mm (SQPOLL's thread
		 * shares it) */
		bpf_probe_read_user(a->top, 28, addr);
	}
	bpf_ringbuf_submit(a, 0);
	return 0;
}
