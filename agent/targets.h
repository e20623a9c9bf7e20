/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Targets (process trees to follow) and protected paths, from the
 * configuration and from `clawos-ebpf watch`, into the kernel's maps; and the
 * registry of sessions that names them in records.
 */

#include <stdbool.h>
#include <stdint.h>

#include "bpf-loader.h"
#include "config.h"
#include "kernel-plan.h"
#include "proctable.h"

#define TARGETS_MAX_SESSIONS 256
#define TARGETS_WATCH_FIRST 1000 /* session ids of watch; below: config targets */

struct target_session {
	uint32_t id;
	uint32_t root_pid; /* 0 for a config target (it has one per process tree) */
	char name[CLAWOS_ANOMALY_TARGET_LEN];
};

struct targets {
	struct target_session sessions[TARGETS_MAX_SESSIONS];
	size_t n;
	uint32_t next_watch;
	size_t n_watch;
};

struct targets_paths {
	const char *config_path;
	const char *agent_exe;
	const char *unit_path;
};

void targets_init(struct targets *t);

/* The config targets' sessions from p, clawos_t_* and clawos_p_allow with
 * p's entries, clawos_protect and clawos_p_ident from s (protect.c).  0 or
 * -errno (logged). */
int targets_apply(struct targets *t, struct bpf_loader *l, const struct clawos_settings *s, const struct kernel_plan *p,
		  const struct targets_paths *paths);

/* The identities of the protected entries again (agent/protect.c). */
void targets_protect_refresh(struct bpf_loader *l, const struct clawos_settings *s, const struct targets_paths *p);

/* Processes already running at start that match a config target, with
 * their descendants, into clawos_tracked and the process table. */
void targets_adopt_running(struct targets *t, struct bpf_loader *l, const struct clawos_settings *s,
			   struct proctable *pt);

/* A new watch session rooted at pid; 0 or -errno (clawos_tracked is full). */
int targets_watch(struct targets *t, struct bpf_loader *l, struct proctable *pt, uint32_t pid, const char *name,
		  uint32_t *session);

const struct target_session *targets_session(const struct targets *t, uint32_t id);
