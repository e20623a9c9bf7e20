/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "hook-plan.h"
#include "macro.h"
#include "probe.h"

static const char *const lsm_hook_names[_PROBE_LSM_MAX] = {
    [PROBE_LSM_FILE_OPEN] = "file_open",	 [PROBE_LSM_SOCKET_CONNECT] = "socket_connect",
    [PROBE_LSM_SOCKET_BIND] = "socket_bind",	 [PROBE_LSM_SOCKET_LISTEN] = "socket_listen",
    [PROBE_LSM_SOCKET_CREATE] = "socket_create",
};

DEFINE_STRING_TABLE_LOOKUP(probe_lsm_hook, enum probe_lsm_hook, lsm_hook_names, NULL);

struct json_object *probe_to_json(const struct probe_result *pr)
{
	struct json_object *k = json_object_new_object(), *lsm = json_object_new_object(),
			   *tps = json_object_new_object();

	json_object_object_add(k, "btf", json_object_new_boolean(pr->btf));
	json_object_object_add(k, "ringbuf", json_object_new_boolean(pr->ringbuf));
	json_object_object_add(k, "lsm_list", json_object_new_string(pr->lsm_list));
	json_object_object_add(k, "bpf_lsm_listed", json_object_new_boolean(pr->lsm_listed));
	for (int h = 0; h < _PROBE_LSM_MAX; h++) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "loads", json_object_new_boolean(pr->lsm_ok[h]));
		json_object_object_add(j, "reason", pr->lsm_ok[h] ? NULL : json_object_new_string(pr->lsm_reason[h]));
		if (h == PROBE_LSM_FILE_OPEN && pr->lsm_ok[h]) {
			/* where file_open's path comes from, and why not bpf_d_path */
			json_object_object_add(j, "path",
					       json_object_new_string(pr->lsm_fopen_walk ? "dentry_walk" : "d_path"));
			json_object_object_add(j, "path_reason",
					       pr->d_path_reason[0] ? json_object_new_string(pr->d_path_reason) : NULL);
		}
		json_object_object_add(lsm, probe_lsm_hook_name(h), j);
	}
	json_object_object_add(k, "bpf_lsm", lsm);
	json_object_object_add(k, "trampoline", json_object_new_boolean(pr->trampoline));
	json_object_object_add(k, "task_storage", json_object_new_boolean(pr->task_storage));
	json_object_object_add(k, "tracefs", pr->tracefs ? json_object_new_string(pr->tracefs_path) : NULL);
	json_object_object_add(k, "tracefs_mounted_by_agent", json_object_new_boolean(pr->tracefs_mounted_by_us));
	json_object_object_add(k, "securityfs_mounted_by_agent", json_object_new_boolean(pr->securityfs_mounted_by_us));
	json_object_object_add(k, "cgroup2", pr->cgroup2_path[0] ? json_object_new_string(pr->cgroup2_path) : NULL);
	for (size_t i = 0; i < hook_tracepoints_n; i++)
		json_object_object_add(
		    tps, hook_tracepoints[i].tracepoint,
		    json_object_new_boolean((pr->tracefs || strncmp(hook_tracepoints[i].tracepoint, "btf/", 4) == 0) &&
					    (pr->tracepoints & (UINT64_C(1) << i))));
	json_object_object_add(k, "tracepoints", tps);
	return k;
}

static int want(struct json_object *o, const char *key, json_type type, bool nullable, struct json_object **out,
		char *err, size_t err_size, const char *where)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v)) {
		snprintf(err, err_size, "%s%s: missing", where, key);
		return -EINVAL;
	}
	if (!(v == NULL && nullable) && !json_object_is_type(v, type)) {
		snprintf(err, err_size, "%s%s: expected %s%s", where, key, json_type_to_name(type),
			 nullable ? " or null" : "");
		return -EINVAL;
	}
	*out = v;
	return 0;
}

#define WANT(o, key, type, nullable, out, where)                                                                       \
	do {                                                                                                           \
		if (want(o, key, type, nullable, out, err, err_size, where) < 0)                                       \
			return -EINVAL;                                                                                \
	} while (0)

int probe_from_json(struct json_object *k, struct probe_result *r, char *err, size_t err_size)
{
	struct json_object *v, *lsm, *tps;

	memset(r, 0, sizeof(*r));
	if (!json_object_is_type(k, json_type_object)) {
		snprintf(err, err_size, "kernel: expected an object");
		return -EINVAL;
	}
	WANT(k, "btf", json_type_boolean, false, &v, "kernel.");
	r->btf = json_object_get_boolean(v);
	WANT(k, "ringbuf", json_type_boolean, false, &v, "kernel.");
	r->ringbuf = json_object_get_boolean(v);
	WANT(k, "lsm_list", json_type_string, false, &v, "kernel.");
	snprintf(r->lsm_list, sizeof(r->lsm_list), "%s", json_object_get_string(v));
	r->lsm_list_known = r->lsm_list[0] != '\0';
	WANT(k, "bpf_lsm_listed", json_type_boolean, false, &v, "kernel.");
	r->lsm_listed = json_object_get_boolean(v);
	WANT(k, "bpf_lsm", json_type_object, false, &lsm, "kernel.");
	for (int h = 0; h < _PROBE_LSM_MAX; h++) {
		struct json_object *j, *reason;
		char where[64];

		snprintf(where, sizeof(where), "kernel.bpf_lsm.");
		WANT(lsm, probe_lsm_hook_name(h), json_type_object, false, &j, where);
		snprintf(where, sizeof(where), "kernel.bpf_lsm.%s.", probe_lsm_hook_name(h));
		WANT(j, "loads", json_type_boolean, false, &v, where);
		r->lsm_ok[h] = json_object_get_boolean(v);
		WANT(j, "reason", json_type_string, true, &reason, where);
		if (!r->lsm_ok[h] && !reason) {
			snprintf(err, err_size, "%sreason: a refused hook needs one", where);
			return -EINVAL;
		}
		if (reason)
			snprintf(r->lsm_reason[h], sizeof(r->lsm_reason[h]), "%s", json_object_get_string(reason));
		if (h == PROBE_LSM_FILE_OPEN && r->lsm_ok[h]) {
			const char *path;

			WANT(j, "path", json_type_string, false, &v, where);
			path = json_object_get_string(v);
			if (strcmp(path, "dentry_walk") != 0 && strcmp(path, "d_path") != 0) {
				snprintf(err, err_size, "%spath: '%s' is neither d_path nor dentry_walk", where, path);
				return -EINVAL;
			}
			r->lsm_fopen_walk = strcmp(path, "dentry_walk") == 0;
			WANT(j, "path_reason", json_type_string, true, &v, where);
			if (v)
				snprintf(r->d_path_reason, sizeof(r->d_path_reason), "%s", json_object_get_string(v));
		}
	}
	WANT(k, "trampoline", json_type_boolean, false, &v, "kernel.");
	r->trampoline = json_object_get_boolean(v);
	WANT(k, "task_storage", json_type_boolean, false, &v, "kernel.");
	r->task_storage = json_object_get_boolean(v);
	WANT(k, "tracefs", json_type_string, true, &v, "kernel.");
	r->tracefs = v != NULL;
	if (v)
		snprintf(r->tracefs_path, sizeof(r->tracefs_path), "%s", json_object_get_string(v));
	WANT(k, "cgroup2", json_type_string, true, &v, "kernel.");
	if (v)
		snprintf(r->cgroup2_path, sizeof(r->cgroup2_path), "%s", json_object_get_string(v));
	WANT(k, "tracepoints", json_type_object, false, &tps, "kernel.");
	json_object_object_foreach(tps, name, present)
	{
		int i = hook_tracepoint_index(name);

		if (i < 0 || !json_object_is_type(present, json_type_boolean)) {
			snprintf(err, err_size, "kernel.tracepoints.%s: %s", name,
				 i < 0 ? "not a tracepoint the agent uses" : "expected boolean");
			return -EINVAL;
		}
		/* one tracepoint may serve several programs: every entry */
		for (size_t j = 0; j < hook_tracepoints_n && json_object_get_boolean(present); j++)
			if (strcmp(hook_tracepoints[j].tracepoint, name) == 0)
				r->tracepoints |= UINT64_C(1) << j;
	}
	for (size_t i = 0; i < hook_tracepoints_n; i++)
		if (!json_object_object_get_ex(tps, hook_tracepoints[i].tracepoint, NULL)) {
			snprintf(err, err_size, "kernel.tracepoints.%s: missing", hook_tracepoints[i].tracepoint);
			return -EINVAL;
		}
	return 0;
}
