/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hook-plan.h"
#include "macro.h"
#include "names.h"

const struct hook_def hook_defs[_HOOK_MAX] = {
    [HOOK_EXEC] = {"exec",
		   NULL,
		   -1,
		   CLAWOS_MECH_TRACEPOINT,
		   {"clawos_execve", "clawos_execveat", "clawos_sched_exec", "clawos_execve_x", "clawos_execat_x"}},
    [HOOK_OPEN] = {"open",
		   NULL,
		   -1,
		   CLAWOS_MECH_TRACEPOINT,
		   {"clawos_openat", "clawos_openat_x", "clawos_openat2", "clawos_openat2_x", "clawos_open",
		    "clawos_open_x", "clawos_creat", "clawos_creat_x", "clawos_truncate", "clawos_truncate_x"}},
    [HOOK_FILE_OPEN] = {"file_open",
			"clawos_lsm_fopen",
			PROBE_LSM_FILE_OPEN,
			CLAWOS_MECH_TRACEPOINT,
			{},
			"what was opened, from the struct file at the open tracepoints' exit (failed opens: the path "
			"as passed); alerts, cannot deny"},
    [HOOK_CONNECT] = {"connect",
		      "clawos_lsm_conn",
		      PROBE_LSM_SOCKET_CONNECT,
		      CLAWOS_MECH_CGROUP,
		      {"clawos_cg_conn4", "clawos_cg_conn6"}},
    [HOOK_BIND] =
	{"bind", "clawos_lsm_bind", PROBE_LSM_SOCKET_BIND, CLAWOS_MECH_CGROUP, {"clawos_cg_bind4", "clawos_cg_bind6"}},
    [HOOK_LISTEN] =
	{"listen", "clawos_lsm_listen", PROBE_LSM_SOCKET_LISTEN, CLAWOS_MECH_TRACEPOINT, {"clawos_tp_listen"}},
    [HOOK_ACCEPT] = {"accept",
		     NULL,
		     -1,
		     CLAWOS_MECH_TRACEPOINT,
		     {"clawos_tp_accept", "clawos_tp_accept4"},
		     "sys_exit_accept: LSM socket_accept runs before the peer is known"},
    [HOOK_SOCKET_CREATE] =
	{"socket_create", "clawos_lsm_sock", PROBE_LSM_SOCKET_CREATE, CLAWOS_MECH_CGROUP, {"clawos_cg_sock"}},
    [HOOK_SENDMSG] = {"sendmsg",
		      NULL,
		      -1,
		      CLAWOS_MECH_CGROUP,
		      {"clawos_cg_send4", "clawos_cg_send6"},
		      "cgroup sendmsg4/6: unconnected UDP destinations"},
    [HOOK_CGROUP_SKB] = {"cgroup_skb",
			 NULL,
			 -1,
			 CLAWOS_MECH_CGROUP_SKB,
			 {"clawos_skb_in", "clawos_skb_out"},
			 "cgroup_skb ingress/egress counters on the cgroup v2 root"},
    [HOOK_PROCESS] = {"process",
		      NULL,
		      -1,
		      CLAWOS_MECH_TRACEPOINT,
		      {"clawos_fork", "clawos_exit"},
		      "sched_process_fork/exit: process trees and targets"},
    [HOOK_SYSCALLS] = {"syscalls",
		       NULL,
		       -1,
		       CLAWOS_MECH_TRACEPOINT,
		       {"clawos_sys_enter"},
		       "raw_syscalls/sys_enter, attached only while there are targets or syscall_rate_scope = all"},
    [HOOK_TAMPER] = {"tamper",
		     NULL,
		     -1,
		     CLAWOS_MECH_TRACEPOINT,
		     {"clawos_tp_bpf", "clawos_tp_ptrace", "clawos_tp_signal", "clawos_tp_initmod",
		      "clawos_tp_finitmod", "clawos_tp_unlinkat", "clawos_tp_rename2", "clawos_tp_rename",
		      "clawos_tp_unlink", "clawos_agent_thread", "clawos_agent_thread_x"},
		     "bpf, ptrace, signals, module loads, unlink/rename of the agent's files"},
    [HOOK_COMPAT] =
	{"compat_syscall",
	 NULL,
	 -1,
	 CLAWOS_MECH_TP_BTF,
	 {"clawos_compat"},
	 "tp_btf/sys_enter: 32-bit system calls raise evasion anomalies (no syscalls:* tracepoint sees them)"},
    [HOOK_URING] = {"io_uring",
		    NULL,
		    -1,
		    CLAWOS_MECH_TP_BTF,
		    {"clawos_uring"},
		    "tp_btf/io_uring_submit_req: opcode, fd, path or peer of each request; no result"},
};

const struct hook_tracepoint hook_tracepoints[] = {
    {"clawos_execve", "syscalls/sys_enter_execve"},
    {"clawos_execveat", "syscalls/sys_enter_execveat"},
    {"clawos_sched_exec", "sched/sched_process_exec"},
    {"clawos_execve_x", "syscalls/sys_exit_execve"},
    {"clawos_execat_x", "syscalls/sys_exit_execveat"},
    {"clawos_openat", "syscalls/sys_enter_openat"},
    {"clawos_openat_x", "syscalls/sys_exit_openat"},
    {"clawos_openat2", "syscalls/sys_enter_openat2"},
    {"clawos_openat2_x", "syscalls/sys_exit_openat2"},
    {"clawos_open", "syscalls/sys_enter_open"},
    {"clawos_open_x", "syscalls/sys_exit_open"},
    {"clawos_creat", "syscalls/sys_enter_creat"},
    {"clawos_creat_x", "syscalls/sys_exit_creat"},
    {"clawos_truncate", "syscalls/sys_enter_truncate"},
    {"clawos_truncate_x", "syscalls/sys_exit_truncate"},
    {"clawos_tp_listen", "syscalls/sys_enter_listen"},
    {"clawos_tp_accept", "syscalls/sys_exit_accept"},
    {"clawos_tp_accept4", "syscalls/sys_exit_accept4"},
    {"clawos_fork", "btf/sched_process_fork"},
    {"clawos_agent_thread", "btf/sched_process_fork"},
    {"clawos_agent_thread_x", "btf/sched_process_exit"},
    {"clawos_compat", "btf/sys_enter"},
    {"clawos_uring", "btf/io_uring_submit_req"},
    {"clawos_exit", "sched/sched_process_exit"},
    {"clawos_sys_enter", "raw_syscalls/sys_enter"},
    {"clawos_tp_bpf", "syscalls/sys_enter_bpf"},
    {"clawos_tp_ptrace", "syscalls/sys_enter_ptrace"},
    {"clawos_tp_signal", "btf/signal_generate"},
    {"clawos_tp_initmod", "syscalls/sys_enter_init_module"},
    {"clawos_tp_finitmod", "syscalls/sys_enter_finit_module"},
    {"clawos_tp_unlinkat", "syscalls/sys_enter_unlinkat"},
    {"clawos_tp_rename2", "syscalls/sys_enter_renameat2"},
    {"clawos_tp_rename", "syscalls/sys_enter_rename"},
    {"clawos_tp_unlink", "syscalls/sys_enter_unlink"},
};
const size_t hook_tracepoints_n = ELEMENTSOF(hook_tracepoints);

_Static_assert(ELEMENTSOF(hook_tracepoints) <= 64, "probe_result.tracepoints is one 64-bit mask");

int hook_tracepoint_index(const char *tracepoint)
{
	for (size_t i = 0; i < hook_tracepoints_n; i++)
		if (strcmp(hook_tracepoints[i].tracepoint, tracepoint) == 0)
			return (int)i;
	return -1;
}

static const char *const hook_state_table[_HOOK_STATE_MAX] = {
    [HOOK_ACTIVE] = "active",
    [HOOK_DEGRADED] = "degraded",
    [HOOK_MISSING] = "missing",
};

DEFINE_STRING_TABLE_LOOKUP(hook_state, enum hook_state, hook_state_table, "missing");

/* Section names without loading: the fallback programs' availability. */
static unsigned fallback_available(const struct hook_def *d, const struct probe_result *pr, char *missing, size_t size)
{
	unsigned n = 0;

	missing[0] = '\0';
	for (int i = 0; i < HOOK_MAX_PROGS && d->fallback_progs[i]; i++) {
		bool ok = true;

		for (size_t j = 0; j < hook_tracepoints_n; j++)
			if (strcmp(hook_tracepoints[j].prog, d->fallback_progs[i]) == 0)
				ok = (pr->tracefs || strncmp(hook_tracepoints[j].tracepoint, "btf/", 4) == 0) &&
				     (pr->tracepoints & (UINT64_C(1) << j));
		if ((d->fallback == CLAWOS_MECH_CGROUP || d->fallback == CLAWOS_MECH_CGROUP_SKB) &&
		    !pr->cgroup2_path[0])
			ok = false;
		if (ok)
			n++;
		else
			snprintf(missing + strlen(missing), size - strlen(missing), "%s%s", missing[0] ? ", " : "",
				 d->fallback_progs[i]);
	}
	return n;
}

static unsigned count_progs(const struct hook_def *d)
{
	unsigned n = 0;

	while (n < HOOK_MAX_PROGS && d->fallback_progs[n])
		n++;
	return n;
}

static void plan_fallback(struct hook_status *st, const struct hook_def *d, const struct probe_result *pr,
			  const char *why)
{
	char missing[200];
	unsigned total = count_progs(d), avail = fallback_available(d, pr, missing, sizeof(missing));

	st->mechanism = d->fallback;
	st->n_programs = avail;
	st->state = HOOK_ACTIVE;
	if (total > 0 && avail == 0) {
		st->state = HOOK_MISSING;
		st->mechanism = CLAWOS_MECH_NONE;
		snprintf(st->reason, sizeof(st->reason), "%s%sno %s available (%s)", why ? why : "", why ? "; " : "",
			 mechanism_name(d->fallback),
			 d->fallback == CLAWOS_MECH_TRACEPOINT ? "tracefs or tracepoints missing"
			 : d->fallback == CLAWOS_MECH_TP_BTF   ? "the kernel's BTF lacks the tracepoint or its types"
							       : "no cgroup v2");
		return;
	}
	if (avail < total) {
		st->state = HOOK_DEGRADED;
		snprintf(st->reason, sizeof(st->reason), "%s%smissing here: %s", why ? why : "", why ? "; " : "",
			 missing);
		return;
	}
	snprintf(st->reason, sizeof(st->reason), "%s%s%s", why ? why : "", why && d->fallback_note ? "; " : "",
		 d->fallback_note ? d->fallback_note : "");
}

void hook_plan_fopen_variant(struct hook_status *st, bool walk, const char *why)
{
	st->lsm_walk = walk;
	if (walk)
		snprintf(st->reason, sizeof(st->reason), "BPF-LSM file_open, path from the dentry walk: %s",
			 why && why[0] ? why : "bpf_d_path refused");
	else
		snprintf(st->reason, sizeof(st->reason), "BPF-LSM file_open, path from bpf_d_path");
}

void hook_plan_make(struct hook_plan *plan, const struct probe_result *pr)
{
	memset(plan, 0, sizeof(*plan));
	for (int h = 0; h < _HOOK_MAX; h++) {
		const struct hook_def *d = &hook_defs[h];
		struct hook_status *st = &plan->hooks[h];

		st->name = d->name;
		if (d->lsm_prog && pr->lsm_ok[d->lsm_probe]) {
			st->mechanism = CLAWOS_MECH_LSM;
			st->state = HOOK_ACTIVE;
			st->n_programs = 1;
			snprintf(st->reason, sizeof(st->reason), "BPF-LSM %s", probe_lsm_hook_name(d->lsm_probe));
			if (h == HOOK_FILE_OPEN && !pr->task_storage)
				/* the record is parked in the LRU hash: only the
				 * walk variant has a build that finds it there */
				hook_plan_fopen_variant(
				    st, true,
				    pr->lsm_fopen_walk ? pr->d_path_reason
						       : "no task storage (Linux 5.11), open records in an LRU hash");
			else if (h == HOOK_FILE_OPEN)
				hook_plan_fopen_variant(st, pr->lsm_fopen_walk, pr->d_path_reason);
			continue;
		}
		plan_fallback(st, d, pr, d->lsm_prog ? pr->lsm_reason[d->lsm_probe] : NULL);
	}
}

void hook_plan_fallback(struct hook_plan *plan, enum hook_id h, const struct probe_result *pr, const char *why)
{
	plan_fallback(&plan->hooks[h], &hook_defs[h], pr, why);
}
