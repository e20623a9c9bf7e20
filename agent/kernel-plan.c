/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "kernel-plan.h"
#include "log.h"

struct clawos_exe_key kernel_exe_key(const struct stat *st)
{
	return (struct clawos_exe_key){.ino = st->st_ino, .dev = (major(st->st_dev) << 20) | minor(st->st_dev)};
}

static void map_plan_init(struct kernel_map_plan *m, size_t key_size, size_t value_size, bool combine)
{
	memset(m, 0, sizeof(*m));
	m->key_size = key_size;
	m->value_size = value_size;
	m->combine = combine;
}

static ssize_t map_plan_find(const struct kernel_map_plan *m, const void *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (memcmp(m->keys[i], key, m->key_size) == 0)
			return (ssize_t)i;
	return -1;
}

const void *kernel_map_plan_get(const struct kernel_map_plan *m, const void *key)
{
	ssize_t i = map_plan_find(m, key);

	return i < 0 ? NULL : m->values[i];
}

static int map_plan_put(struct kernel_map_plan *m, const void *key, uint32_t value)
{
	ssize_t i = map_plan_find(m, key);
	uint8_t v8 = (uint8_t)value;
	const void *v = m->value_size == 1 ? (const void *)&v8 : (const void *)&value;

	if (i >= 0) {
		/* an include and an exclude of the same key combine */
		if (m->combine)
			m->values[i][0] |= v8;
		else
			memcpy(m->values[i], v, m->value_size);
		return 0;
	}
	if (m->n == KERNEL_MAP_PLAN_MAX)
		return -E2BIG;
	memcpy(m->keys[m->n], key, m->key_size);
	memcpy(m->values[m->n++], v, m->value_size);
	return 0;
}

static void comm_key(const char *comm, char key[CLAWOS_COMM_LEN])
{
	memset(key, 0, CLAWOS_COMM_LEN);
	strncpy(key, comm, CLAWOS_COMM_LEN - 1);
}

/* A cgroup v2 path below the mount point, or a numeric id as config-lists.c
 * accepts it; false when the path does not exist. */
static bool cgroup_id(const struct kernel_resolver *res, const char *item, uint64_t *id)
{
	char path[4096];
	struct stat st;

	if (item[0] != '/') {
		*id = strtoull(item, NULL, 10);
		return true;
	}
	snprintf(path, sizeof(path), "%s%s", res->cgroup2 ? res->cgroup2 : "", item);
	if (res->stat(path, &st, res->userdata) < 0)
		return false;
	*id = st.st_ino; /* a cgroup v2 id is its directory's inode */
	return true;
}

static int exe_key(const struct kernel_resolver *res, const char *path, struct clawos_exe_key *k)
{
	struct stat st;
	int r = res->stat(path, &st, res->userdata);

	if (r < 0)
		return r;
	*k = kernel_exe_key(&st);
	return 0;
}

static int plan_comms(struct kernel_map_plan *m, const struct clawos_string_list *l, uint32_t v)
{
	int r = 0;

	for (size_t i = 0; i < l->n && r >= 0; i++) {
		char key[CLAWOS_COMM_LEN];

		comm_key(l->items[i], key);
		r = map_plan_put(m, key, v);
	}
	return r;
}

static int plan_uids(struct kernel_map_plan *m, const struct clawos_uid_list *l, uint8_t v)
{
	int r = 0;

	for (size_t i = 0; i < l->n && r >= 0; i++)
		r = map_plan_put(m, &l->items[i], v);
	return r;
}

static int plan_prefixes(struct kernel_map_plan *m, const struct clawos_string_list *l, uint8_t v)
{
	int r = 0;

	for (size_t i = 0; i < l->n && r >= 0; i++) {
		struct clawos_prefix_key k = {};
		size_t len = strnlen(l->items[i], sizeof(k.path));

		memcpy(k.path, l->items[i], len);
		k.prefixlen = (uint32_t)len * 8;
		r = map_plan_put(m, &k, v);
	}
	return r;
}

static int plan_filters(struct kernel_plan *p, const struct clawos_settings *s, const struct kernel_resolver *res)
{
	int r;

	r = plan_comms(&p->f_comm, &s->exclude_comm, CLAWOS_FILTER_V_EXCLUDE);
	if (r >= 0)
		r = plan_comms(&p->f_comm, &s->include_comm, CLAWOS_FILTER_V_INCLUDE);
	if (r >= 0)
		r = plan_uids(&p->f_uid, &s->exclude_uid, CLAWOS_FILTER_V_EXCLUDE);
	if (r >= 0)
		r = plan_uids(&p->f_uid, &s->include_uid, CLAWOS_FILTER_V_INCLUDE);
	for (size_t i = 0; i < s->exclude_cgroup.n && r >= 0; i++) {
		uint64_t id;

		if (!cgroup_id(res, s->exclude_cgroup.items[i], &id)) {
			log_warning("exclude_cgroup: %s does not exist (yet); not filtered",
				    s->exclude_cgroup.items[i]);
			continue;
		}
		r = map_plan_put(&p->f_cgrp, &id, CLAWOS_FILTER_V_EXCLUDE);
	}
	for (size_t i = 0; i < s->exclude_exe.n && r >= 0; i++) {
		struct clawos_exe_key k;
		int e = exe_key(res, s->exclude_exe.items[i], &k);

		if (e < 0) {
			log_warning("exclude_exe: %s: %s; not filtered", s->exclude_exe.items[i], strerror(-e));
			continue;
		}
		r = map_plan_put(&p->f_exe, &k, CLAWOS_FILTER_V_EXCLUDE);
	}
	if (r >= 0)
		r = plan_prefixes(&p->f_prefix, &s->exclude_path_prefix, CLAWOS_FILTER_V_EXCLUDE);
	if (r >= 0)
		r = plan_prefixes(&p->f_prefix, &s->include_path_prefix, CLAWOS_FILTER_V_INCLUDE);
	return r;
}

static uint32_t session_add(struct kernel_plan *p, const char *name)
{
	p->session_names[p->n_sessions++] = name;
	return (uint32_t)p->n_sessions;
}

/* Config targets get session ids 1..n in the order of the file, whether
 * they resolve or not. */
static int plan_targets(struct kernel_plan *p, const struct clawos_settings *s, const struct kernel_resolver *res)
{
	int r = 0;

	if (s->target_comm.n + s->target_exe.n + s->target_cgroup.n > KERNEL_PLAN_SESSIONS)
		return -E2BIG;
	for (size_t i = 0; i < s->target_comm.n && r >= 0; i++) {
		uint32_t id = session_add(p, s->target_comm.items[i]);
		char key[CLAWOS_COMM_LEN];

		comm_key(s->target_comm.items[i], key);
		r = map_plan_put(&p->t_comm, key, id);
	}
	for (size_t i = 0; i < s->target_exe.n && r >= 0; i++) {
		uint32_t id = session_add(p, s->target_exe.items[i]);
		struct clawos_exe_key k;

		if (exe_key(res, s->target_exe.items[i], &k) < 0) {
			log_warning("target_exe: %s does not exist; not followed", s->target_exe.items[i]);
			continue;
		}
		r = map_plan_put(&p->t_exe, &k, id);
	}
	for (size_t i = 0; i < s->target_cgroup.n && r >= 0; i++) {
		uint32_t id = session_add(p, s->target_cgroup.items[i]);
		uint64_t cgid;

		if (!cgroup_id(res, s->target_cgroup.items[i], &cgid)) {
			log_warning("target_cgroup: %s does not exist; not followed", s->target_cgroup.items[i]);
			continue;
		}
		r = map_plan_put(&p->t_cgrp, &cgid, id);
	}
	/* the binaries that may read protected paths; a missing one allows nothing */
	for (size_t i = 0; i < s->protected_allow_exe.n && r >= 0; i++) {
		struct clawos_exe_key k;

		if (exe_key(res, s->protected_allow_exe.items[i], &k) == 0)
			r = map_plan_put(&p->p_allow, &k, 1);
	}
	return r;
}

int kernel_plan_make(struct kernel_plan *p, const struct clawos_settings *s, const struct kernel_resolver *res)
{
	int r;

	map_plan_init(&p->f_comm, CLAWOS_COMM_LEN, sizeof(uint8_t), true);
	map_plan_init(&p->f_uid, sizeof(uint32_t), sizeof(uint8_t), true);
	map_plan_init(&p->f_cgrp, sizeof(uint64_t), sizeof(uint8_t), true);
	map_plan_init(&p->f_exe, sizeof(struct clawos_exe_key), sizeof(uint8_t), true);
	map_plan_init(&p->f_prefix, sizeof(struct clawos_prefix_key), sizeof(uint8_t), true);
	map_plan_init(&p->t_comm, CLAWOS_COMM_LEN, sizeof(uint32_t), false);
	map_plan_init(&p->t_exe, sizeof(struct clawos_exe_key), sizeof(uint32_t), false);
	map_plan_init(&p->t_cgrp, sizeof(uint64_t), sizeof(uint32_t), false);
	map_plan_init(&p->p_allow, sizeof(struct clawos_exe_key), sizeof(uint8_t), false);
	p->n_sessions = 0;
	r = plan_filters(p, s, res);
	if (r >= 0)
		r = plan_targets(p, s, res);
	return r;
}

static uint32_t filter_flags(const struct clawos_settings *s, const struct kernel_plan *p)
{
	uint32_t f = 0;

	f |= s->exclude_comm.n ? CLAWOS_FILTER_EXCLUDE_COMM : 0;
	f |= s->include_comm.n ? CLAWOS_FILTER_INCLUDE_COMM : 0;
	f |= s->exclude_uid.n ? CLAWOS_FILTER_EXCLUDE_UID : 0;
	f |= s->include_uid.n ? CLAWOS_FILTER_INCLUDE_UID : 0;
	f |= p->f_cgrp.n ? CLAWOS_FILTER_EXCLUDE_CGROUP : 0; /* those that exist */
	f |= p->f_exe.n ? CLAWOS_FILTER_EXCLUDE_EXE : 0;
	f |= s->exclude_path_prefix.n ? CLAWOS_FILTER_EXCLUDE_PREFIX : 0;
	f |= s->include_path_prefix.n ? CLAWOS_FILTER_INCLUDE_PREFIX : 0;
	return f;
}

static uint32_t target_flags(const struct clawos_settings *s, const struct kernel_plan *p, bool watching)
{
	uint32_t f = 0;

	f |= p->t_comm.n ? CLAWOS_CFG_TARGET_COMM : 0;
	f |= p->t_exe.n ? CLAWOS_CFG_TARGET_EXE : 0;
	f |= p->t_cgrp.n ? CLAWOS_CFG_TARGET_CGROUP : 0;
	if (f || watching)
		f |= CLAWOS_CFG_HAVE_TRACKED;
	f |= s->scope == CLAWOS_SCOPE_TARGETS ? CLAWOS_CFG_SCOPE_TARGETS : 0;
	f |= s->trace_target_syscalls ? CLAWOS_CFG_TRACE_TARGETS : 0;
	f |= s->syscall_rate_scope == CLAWOS_SCOPE_ALL ? CLAWOS_CFG_RATE_ALL : 0;
	return f;
}

/* clawos_protect always holds the agent's own files (tamper), so it and
 * clawos_p_ident are always looked at; a parent walk only for directories. */
static uint32_t protect_flags(const struct clawos_settings *s)
{
	uint32_t f = CLAWOS_CFG_PROTECT | CLAWOS_CFG_PROTECT_IDENT;

	for (size_t i = 0; i < s->protected_paths.n; i++) {
		const char *path = s->protected_paths.items[i];

		if (path[0] && path[strlen(path) - 1] == '/')
			f |= CLAWOS_CFG_PROTECT_DIRS;
	}
	return f;
}

void kernel_plan_config(const struct clawos_settings *s, const struct kernel_plan *p, bool watching,
			uint32_t agent_tgid, struct clawos_config *out)
{
	memset(out, 0, sizeof(*out));
	out->enable_syscall_tracing = s->enable_syscall_tracing ? 1 : 0;
	out->enable_file_monitoring = s->enable_file_monitoring ? 1 : 0;
	out->enable_network_monitoring = s->enable_network_monitoring ? 1 : 0;
	out->enable_cgroup_monitoring = s->enable_cgroup_monitoring ? 1 : 0;
	out->syscall_anomaly_threshold = s->syscall_anomaly_threshold;
	out->file_access_violation_mode = s->file_access_violation_mode;
	out->network_suspicious_threshold = s->network_suspicious_threshold;
	out->agent_tgid = agent_tgid;
	out->flags = filter_flags(s, p) | target_flags(s, p, watching) | protect_flags(s);
	out->flags |= s->debug_printk ? CLAWOS_CFG_DEBUG_PRINTK : 0;
	out->aggregate_window = s->aggregate_window;
}

bool kernel_config_wants_syscall_hook(const struct clawos_config *c)
{
	return c->enable_syscall_tracing &&
	       (c->flags & (CLAWOS_CFG_RATE_ALL | CLAWOS_CFG_HAVE_TRACKED | CLAWOS_CFG_TRACE_TARGETS));
}
