// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <bpf/bpf.h>

#include "filters.h"
#include "log.h"

#define FILTER_KEY_MAX 80 /* bytes: the largest key of the filter maps */

struct key_set {
	size_t n, size;
	unsigned char keys[256][FILTER_KEY_MAX];
};

static void key_set_add(struct key_set *ks, const void *key, size_t size)
{
	if (ks->n >= ELEMENTSOF(ks->keys))
		return;
	memset(ks->keys[ks->n], 0, sizeof(ks->keys[0]));
	memcpy(ks->keys[ks->n++], key, size);
	ks->size = size;
}

static bool key_set_has(const struct key_set *ks, const void *key, size_t size)
{
	for (size_t i = 0; i < ks->n; i++)
		if (memcmp(ks->keys[i], key, size) == 0)
			return true;
	return false;
}

/* Deletes every entry of the map that is not in keep. */
static void map_prune(int fd, const struct key_set *keep, size_t key_size)
{
	unsigned char key[FILTER_KEY_MAX], next[FILTER_KEY_MAX], stale[64][FILTER_KEY_MAX];
	size_t n = 0;
	void *prev = NULL;

	while (n < ELEMENTSOF(stale) && bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, key_size);
		prev = key;
		if (!key_set_has(keep, key, key_size))
			memcpy(stale[n++], key, key_size);
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, stale[i]);
}

static int map_put(int fd, struct key_set *ks, const void *key, size_t size, uint8_t value)
{
	uint8_t old = 0;

	/* an include and an exclude of the same key combine */
	if (bpf_map_lookup_elem(fd, key, &old) == 0 && key_set_has(ks, key, size))
		value |= old;
	key_set_add(ks, key, size);
	return bpf_map_update_elem(fd, key, &value, BPF_ANY) < 0 ? -errno : 0;
}

static void put_comms(int fd, struct key_set *ks, const struct clawos_string_list *l, uint8_t v)
{
	for (size_t i = 0; i < l->n; i++) {
		char comm[CLAWOS_COMM_LEN] = {};

		strncpy(comm, l->items[i], sizeof(comm) - 1);
		map_put(fd, ks, comm, sizeof(comm), v);
	}
}

static void put_uids(int fd, struct key_set *ks, const struct clawos_uid_list *l, uint8_t v)
{
	for (size_t i = 0; i < l->n; i++)
		map_put(fd, ks, &l->items[i], sizeof(uint32_t), v);
}

static void put_cgroups(int fd, struct key_set *ks, const struct clawos_string_list *l, const char *root)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *item = l->items[i];
		char path[4096];
		struct stat st;
		uint64_t id;

		if (item[0] != '/') { /* a numeric id */
			id = strtoull(item, NULL, 10);
		} else {
			snprintf(path, sizeof(path), "%s%s", root ? root : "", item);
			if (!root || stat(path, &st) < 0) {
				log_warning("exclude_cgroup: %s does not exist (yet); not filtered", item);
				continue;
			}
			id = st.st_ino; /* a cgroup v2 id is its directory's inode */
		}
		map_put(fd, ks, &id, sizeof(id), CLAWOS_FILTER_V_EXCLUDE);
	}
}

static void put_exes(int fd, struct key_set *ks, const struct clawos_string_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct clawos_exe_key k = {};
		struct stat st;

		if (stat(l->items[i], &st) < 0) {
			log_warning("exclude_exe: %s: %s; not filtered", l->items[i], strerror(errno));
			continue;
		}
		k.ino = st.st_ino;
		k.dev = (major(st.st_dev) << 20) | minor(st.st_dev);
		map_put(fd, ks, &k, sizeof(k), CLAWOS_FILTER_V_EXCLUDE);
	}
}

static void put_prefixes(int fd, struct key_set *ks, const struct clawos_string_list *l, uint8_t v)
{
	for (size_t i = 0; i < l->n; i++) {
		struct clawos_prefix_key k = {};
		size_t len = strnlen(l->items[i], sizeof(k.path));

		memcpy(k.path, l->items[i], len);
		k.prefixlen = (uint32_t)len * 8;
		map_put(fd, ks, &k, sizeof(k), v);
	}
}

int filters_apply(struct bpf_loader *l, const struct clawos_settings *s, const char *cgroup2_root, uint32_t *flags)
{
	int comm = bpf_loader_map_fd(l, "clawos_f_comm"), uid = bpf_loader_map_fd(l, "clawos_f_uid");
	int cgrp = bpf_loader_map_fd(l, "clawos_f_cgrp"), exe = bpf_loader_map_fd(l, "clawos_f_exe");
	int prefix = bpf_loader_map_fd(l, "clawos_f_prefix");
	struct key_set *ks;

	if (comm < 0 || uid < 0 || cgrp < 0 || exe < 0 || prefix < 0)
		return -ENOENT;
	ks = calloc(1, sizeof(*ks));
	if (!ks)
		return -ENOMEM;
	*flags = 0;
	put_comms(comm, ks, &s->exclude_comm, CLAWOS_FILTER_V_EXCLUDE);
	put_comms(comm, ks, &s->include_comm, CLAWOS_FILTER_V_INCLUDE);
	map_prune(comm, ks, CLAWOS_COMM_LEN);
	memset(ks, 0, sizeof(*ks));
	put_uids(uid, ks, &s->exclude_uid, CLAWOS_FILTER_V_EXCLUDE);
	put_uids(uid, ks, &s->include_uid, CLAWOS_FILTER_V_INCLUDE);
	map_prune(uid, ks, sizeof(uint32_t));
	memset(ks, 0, sizeof(*ks));
	put_cgroups(cgrp, ks, &s->exclude_cgroup, cgroup2_root);
	map_prune(cgrp, ks, sizeof(uint64_t));
	if (ks->n)
		*flags |= CLAWOS_FILTER_EXCLUDE_CGROUP;
	memset(ks, 0, sizeof(*ks));
	put_exes(exe, ks, &s->exclude_exe);
	map_prune(exe, ks, sizeof(struct clawos_exe_key));
	if (ks->n)
		*flags |= CLAWOS_FILTER_EXCLUDE_EXE;
	memset(ks, 0, sizeof(*ks));
	put_prefixes(prefix, ks, &s->exclude_path_prefix, CLAWOS_FILTER_V_EXCLUDE);
	put_prefixes(prefix, ks, &s->include_path_prefix, CLAWOS_FILTER_V_INCLUDE);
	map_prune(prefix, ks, sizeof(struct clawos_prefix_key));
	free(ks);
	*flags |= s->exclude_comm.n ? CLAWOS_FILTER_EXCLUDE_COMM : 0;
	*flags |= s->include_comm.n ? CLAWOS_FILTER_INCLUDE_COMM : 0;
	*flags |= s->exclude_uid.n ? CLAWOS_FILTER_EXCLUDE_UID : 0;
	*flags |= s->include_uid.n ? CLAWOS_FILTER_INCLUDE_UID : 0;
	*flags |= s->exclude_path_prefix.n ? CLAWOS_FILTER_EXCLUDE_PREFIX : 0;
	*flags |= s->include_path_prefix.n ? CLAWOS_FILTER_INCLUDE_PREFIX : 0;
	return 0;
}
