/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clawos.skel.h"
#include "log.h"
#include "protect.h"
#include "targets.h"

void targets_init(struct targets *t)
{
	memset(t, 0, sizeof(*t));
	t->next_watch = TARGETS_WATCH_FIRST;
}

static uint32_t session_add(struct targets *t, uint32_t id, uint32_t root, const char *name)
{
	struct target_session *s;

	for (size_t i = 0; i < t->n; i++)
		if (t->sessions[i].id == id) {
			snprintf(t->sessions[i].name, sizeof(t->sessions[i].name), "%s", name);
			return id;
		}
	if (t->n == TARGETS_MAX_SESSIONS) /* reuse the oldest watch slot */
		memmove(&t->sessions[0], &t->sessions[1], --t->n * sizeof(t->sessions[0]));
	s = &t->sessions[t->n++];
	s->id = id;
	s->root_pid = root;
	snprintf(s->name, sizeof(s->name), "%s", name);
	return id;
}

const struct target_session *targets_session(const struct targets *t, uint32_t id)
{
	for (size_t i = 0; id && i < t->n; i++)
		if (t->sessions[i].id == id)
			return &t->sessions[i];
	return NULL;
}

void targets_protect_refresh(struct bpf_loader *l, const struct clawos_settings *s, const struct targets_paths *p)
{
	protect_refresh(l, s, &(struct protect_agent_files){{p->config_path, p->agent_exe, p->unit_path}});
}

int targets_apply(struct targets *t, struct bpf_loader *l, const struct clawos_settings *s, const struct kernel_plan *p,
		  const struct targets_paths *paths)
{
	struct clawos *skel = bpf_loader_skel(l);
	int r;

	/* forget config sessions; watch sessions stay */
	for (size_t i = 0; i < t->n;)
		if (t->sessions[i].id < TARGETS_WATCH_FIRST)
			memmove(&t->sessions[i], &t->sessions[i + 1], (--t->n - i) * sizeof(t->sessions[0]));
		else
			i++;
	for (size_t i = 0; i < p->n_sessions; i++)
		session_add(t, (uint32_t)i + 1, 0, p->session_names[i]);
	r = bpf_loader_sync_map(skel->maps.clawos_t_comm, &p->t_comm);
	if (r >= 0)
		r = bpf_loader_sync_map(skel->maps.clawos_t_exe, &p->t_exe);
	if (r >= 0)
		r = bpf_loader_sync_map(skel->maps.clawos_t_cgrp, &p->t_cgrp);
	if (r >= 0)
		r = bpf_loader_sync_map(skel->maps.clawos_p_allow, &p->p_allow);
	if (r < 0)
		return r;
	/* The agent's own files: changing them is tamper.  Not protected
	 * against reading: mode 2 would then deny running the agent's own
	 * binary (clawos-ebpf watch, --version) and package upgrades. */
	return protect_apply(l, s,
			     &(struct protect_agent_files){{paths->config_path, paths->agent_exe, paths->unit_path}});
}

/* The tree into clawos_tracked: every process of it is tried; the first
 * failure is returned (the map is full: max_tracked_processes). */
static int track_tree(struct bpf_loader *l, struct proctable *pt, uint32_t root, uint32_t session)
{
	int fd = bpf_map__fd(bpf_loader_skel(l)->maps.clawos_tracked), r = 0;

	proctable_set_session(pt, root, session, root);
	for (uint32_t i = 0; i < PROCTABLE_SLOTS; i++) {
		struct proc_entry *e = &pt->slots[i];
		struct clawos_tracked v = {.root_pid = e->root_pid, .session = e->session};

		if (e->pid && !e->exited && e->session == session && e->root_pid == root &&
		    bpf_map_update_elem(fd, &e->pid, &v, BPF_ANY) < 0 && r == 0)
			r = log_warning_errno(-errno, "Cannot follow process %u of target session %u: %m", e->pid,
					      session);
	}
	return r;
}

void targets_adopt_running(struct targets *t, struct bpf_loader *l, const struct clawos_settings *s,
			   struct proctable *pt)
{
	for (uint32_t i = 0; i < PROCTABLE_SLOTS; i++) {
		struct proc_entry *e = &pt->slots[i];
		uint32_t id = 1;

		if (!e->pid || e->exited || e->session)
			continue;
		for (size_t j = 0; j < s->target_comm.n; j++, id++)
			if (strncmp(e->comm, s->target_comm.items[j], CLAWOS_COMM_LEN - 1) == 0)
				goto found;
		for (size_t j = 0; j < s->target_exe.n; j++, id++)
			if (strcmp(e->exe, s->target_exe.items[j]) == 0)
				goto found;
		continue;
	found:
		(void)track_tree(l, pt, e->pid, id); /* logged; the other trees are still tried */
	}
	(void)t;
}

int targets_watch(struct targets *t, struct bpf_loader *l, struct proctable *pt, uint32_t pid, const char *name,
		  uint32_t *session)
{
	uint32_t id = t->next_watch++;
	int r;

	session_add(t, id, pid, name && name[0] ? name : "watch");
	t->n_watch++;
	r = track_tree(l, pt, pid, id);
	if (r < 0)
		return r;
	*session = id;
	return 0;
}
