// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <bpf/bpf.h>

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

static bool exe_key_of(const char *path, struct clawos_exe_key *k)
{
	struct stat st;

	memset(k, 0, sizeof(*k));
	if (stat(path, &st) < 0)
		return false;
	k->ino = st.st_ino;
	k->dev = (major(st.st_dev) << 20) | minor(st.st_dev);
	return true;
}

static void map_clear(int fd, size_t key_size)
{
	unsigned char key[128], next[128];

	while (bpf_map_get_next_key(fd, NULL, next) == 0) {
		memcpy(key, next, key_size);
		if (bpf_map_delete_elem(fd, key) < 0)
			break;
	}
}

/* Config targets get session ids 1..n in the order of the file. */
static uint32_t targets_fill_config(struct targets *t, struct bpf_loader *l, const struct clawos_settings *s,
				    const char *cgroup2)
{
	int comm = bpf_loader_map_fd(l, "clawos_t_comm"), exe = bpf_loader_map_fd(l, "clawos_t_exe");
	int cgrp = bpf_loader_map_fd(l, "clawos_t_cgrp");
	uint32_t id = 1, flags = 0;

	map_clear(comm, CLAWOS_COMM_LEN);
	map_clear(exe, sizeof(struct clawos_exe_key));
	map_clear(cgrp, sizeof(uint64_t));
	for (size_t i = 0; i < s->target_comm.n; i++, id++) {
		char key[CLAWOS_COMM_LEN] = {};

		strncpy(key, s->target_comm.items[i], sizeof(key) - 1);
		session_add(t, id, 0, s->target_comm.items[i]);
		if (bpf_map_update_elem(comm, key, &id, BPF_ANY) == 0)
			flags |= CLAWOS_CFG_TARGET_COMM;
	}
	for (size_t i = 0; i < s->target_exe.n; i++, id++) {
		struct clawos_exe_key k;

		session_add(t, id, 0, s->target_exe.items[i]);
		if (!exe_key_of(s->target_exe.items[i], &k)) {
			log_warning("target_exe: %s does not exist; not followed", s->target_exe.items[i]);
			continue;
		}
		if (bpf_map_update_elem(exe, &k, &id, BPF_ANY) == 0)
			flags |= CLAWOS_CFG_TARGET_EXE;
	}
	for (size_t i = 0; i < s->target_cgroup.n; i++, id++) {
		const char *item = s->target_cgroup.items[i];
		char path[4096];
		struct stat st;
		uint64_t cgid;

		session_add(t, id, 0, item);
		snprintf(path, sizeof(path), "%s%s", cgroup2 ? cgroup2 : "", item);
		if (item[0] != '/')
			cgid = strtoull(item, NULL, 10);
		else if (stat(path, &st) == 0)
			cgid = st.st_ino;
		else {
			log_warning("target_cgroup: %s does not exist; not followed", item);
			continue;
		}
		if (bpf_map_update_elem(cgrp, &cgid, &id, BPF_ANY) == 0)
			flags |= CLAWOS_CFG_TARGET_CGROUP;
	}
	return flags;
}

static uint32_t targets_fill_protect(struct bpf_loader *l, const struct clawos_settings *s,
				     const struct targets_paths *p)
{
	int allow = bpf_loader_map_fd(l, "clawos_p_allow");
	uint32_t flags;

	/* The agent's own files: changing them is tamper.  Not protected
	 * against reading: mode 2 would then deny running the agent's own
	 * binary (clawos-ebpf watch, --version) and package upgrades. */
	flags = protect_apply(l, s, &(struct protect_agent_files){{p->config_path, p->agent_exe, p->unit_path}});
	map_clear(allow, sizeof(struct clawos_exe_key));
	for (size_t i = 0; i < s->protected_allow_exe.n; i++) {
		struct clawos_exe_key k;
		uint8_t one = 1;

		if (exe_key_of(s->protected_allow_exe.items[i], &k))
			bpf_map_update_elem(allow, &k, &one, BPF_ANY);
	}
	return flags;
}

void targets_protect_refresh(struct bpf_loader *l, const struct clawos_settings *s, const struct targets_paths *p)
{
	protect_refresh(l, s, &(struct protect_agent_files){{p->config_path, p->agent_exe, p->unit_path}});
}

int targets_apply(struct targets *t, struct bpf_loader *l, const struct clawos_settings *s,
		  const struct targets_paths *paths, uint32_t *flags)
{
	uint32_t f;

	/* forget config sessions; watch sessions stay */
	for (size_t i = 0; i < t->n;)
		if (t->sessions[i].id < TARGETS_WATCH_FIRST)
			memmove(&t->sessions[i], &t->sessions[i + 1], (--t->n - i) * sizeof(t->sessions[0]));
		else
			i++;
	f = targets_fill_config(t, l, s, paths->cgroup2);
	f |= targets_fill_protect(l, s, paths);
	if (s->scope == CLAWOS_SCOPE_TARGETS)
		f |= CLAWOS_CFG_SCOPE_TARGETS;
	if (s->trace_target_syscalls)
		f |= CLAWOS_CFG_TRACE_TARGETS;
	if (s->syscall_rate_scope == CLAWOS_SCOPE_ALL)
		f |= CLAWOS_CFG_RATE_ALL;
	if (s->debug_printk)
		f |= CLAWOS_CFG_DEBUG_PRINTK;
	if ((f & (CLAWOS_CFG_TARGET_COMM | CLAWOS_CFG_TARGET_EXE | CLAWOS_CFG_TARGET_CGROUP)) || t->n_watch)
		f |= CLAWOS_CFG_HAVE_TRACKED;
	*flags = f;
	return 0;
}

static void track_tree(struct bpf_loader *l, struct proctable *pt, uint32_t root, uint32_t session)
{
	int fd = bpf_loader_map_fd(l, "clawos_tracked");

	proctable_set_session(pt, root, session, root);
	for (uint32_t i = 0; i < PROCTABLE_SLOTS; i++) {
		struct proc_entry *e = &pt->slots[i];
		struct clawos_tracked v = {.root_pid = e->root_pid, .session = e->session};

		if (e->pid && !e->exited && e->session == session && e->root_pid == root)
			bpf_map_update_elem(fd, &e->pid, &v, BPF_ANY);
	}
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
		track_tree(l, pt, e->pid, id);
	}
	(void)t;
}

int targets_watch(struct targets *t, struct bpf_loader *l, struct proctable *pt, uint32_t pid, const char *name,
		  uint32_t *session)
{
	uint32_t id = t->next_watch++;

	session_add(t, id, pid, name && name[0] ? name : "watch");
	t->n_watch++;
	track_tree(l, pt, pid, id);
	*session = id;
	return 0;
}
