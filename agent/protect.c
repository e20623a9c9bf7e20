/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clawos.skel.h"
#include "log.h"
#include "macro.h"
#include "kernel-plan.h"
#include "protect.h"

#define PROTECT_MAX 64 /* entries of the trie */
#define IDENT_MAX 128  /* entries of clawos_p_ident */

/* The trie key of one entry and its kind; -EINVAL if it is not absolute
 * or does not fit the key. */
static int protect_entry_key(const char *entry, struct clawos_prefix_key *k, enum protect_kind *kind)
{
	size_t len = strlen(entry);

	memset(k, 0, sizeof(*k));
	if (len == 0 || entry[0] != '/')
		return -EINVAL;
	if (entry[len - 1] == '*') {
		*kind = PROTECT_PREFIX;
		len--;
	} else if (entry[len - 1] == '/') {
		*kind = PROTECT_DIR;
	} else {
		*kind = PROTECT_EXACT;
	}
	/* exact entries end in their NUL: the kernel looks paths up with it */
	if (len + (*kind == PROTECT_EXACT) > sizeof(k->path))
		return -EINVAL;
	memcpy(k->path, entry, len);
	k->prefixlen = (uint32_t)(len + (*kind == PROTECT_EXACT)) * 8;
	return 0;
}

struct protect_entry {
	struct clawos_prefix_key key;
	uint8_t v;
};

/* a covers b in the trie: a's bits are a prefix of b's */
static bool key_covers(const struct clawos_prefix_key *a, const struct clawos_prefix_key *b)
{
	return a->prefixlen <= b->prefixlen && memcmp(a->path, b->path, a->prefixlen / 8) == 0;
}

static size_t entry_add(struct protect_entry *es, size_t n, const struct clawos_prefix_key *k, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (es[i].key.prefixlen == k->prefixlen && memcmp(es[i].key.path, k->path, k->prefixlen / 8) == 0) {
			es[i].v |= v;
			return n;
		}
	if (n >= PROTECT_MAX)
		return n;
	es[n].key = *k;
	es[n].v = v;
	return n + 1;
}

static void fill_trie(int fd, const struct clawos_settings *s, const struct protect_agent_files *own)
{
	struct protect_entry es[PROTECT_MAX];
	struct clawos_prefix_key k, next;
	enum protect_kind kind;
	size_t n = 0;

	for (size_t i = 0; i < s->protected_paths.n; i++) {
		if (protect_entry_key(s->protected_paths.items[i], &k, &kind) < 0) {
			log_warning("protected_paths: '%s' does not fit; not protected", s->protected_paths.items[i]);
			continue;
		}
		n = entry_add(es, n, &k, CLAWOS_PROTECT_V_READ);
	}
	/* the agent's files as name prefixes, as tamper.bpf.c looks them up */
	for (size_t i = 0; i < ELEMENTSOF(own->files); i++) {
		size_t len;

		if (!own->files[i])
			continue;
		memset(&k, 0, sizeof(k));
		len = strnlen(own->files[i], sizeof(k.path));
		memcpy(k.path, own->files[i], len);
		k.prefixlen = (uint32_t)len * 8;
		n = entry_add(es, n, &k, CLAWOS_PROTECT_V_AGENT);
	}
	/* the longest match wins in the trie: it carries what covers it too */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (i != j && key_covers(&es[j].key, &es[i].key))
				es[i].v |= es[j].v;
	while (bpf_map_get_next_key(fd, NULL, &next) == 0)
		if (bpf_map_delete_elem(fd, &next) < 0)
			break;
	for (size_t i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &es[i].key, &es[i].v, BPF_ANY) < 0)
			log_warning_errno(-errno, "protected_paths: cannot add '%.*s': %m",
					  (int)(es[i].key.prefixlen / 8), es[i].key.path);
}

struct ident_set {
	size_t n;
	struct clawos_exe_key keys[IDENT_MAX];
	uint8_t v[IDENT_MAX];
};

static void ident_add(struct ident_set *is, const char *path, uint8_t v)
{
	struct clawos_exe_key k = {};
	struct stat st;

	if (stat(path, &st) < 0)
		return; /* not there (yet): matched by path; the refresh adds it once it is */
	k = kernel_exe_key(&st);
	if (S_ISDIR(st.st_mode) && (v & CLAWOS_PROTECT_V_DIR) == 0 && path[strlen(path) - 1] == '/')
		v |= CLAWOS_PROTECT_V_DIR;
	for (size_t i = 0; i < is->n; i++)
		if (memcmp(&is->keys[i], &k, sizeof(k)) == 0) {
			is->v[i] |= v;
			return;
		}
	if (is->n >= IDENT_MAX)
		return;
	is->keys[is->n] = k;
	is->v[is->n++] = v;
}

static void ident_collect(struct ident_set *is, const struct clawos_settings *s, const struct protect_agent_files *own)
{
	is->n = 0;
	for (size_t i = 0; i < s->protected_paths.n; i++) {
		const char *p = s->protected_paths.items[i];
		size_t len = strlen(p);

		if (len && p[len - 1] == '*')
			continue; /* a name prefix has no one identity */
		ident_add(is, p, CLAWOS_PROTECT_V_READ);
	}
	for (size_t i = 0; i < ELEMENTSOF(own->files); i++)
		if (own->files[i])
			ident_add(is, own->files[i], CLAWOS_PROTECT_V_AGENT);
}

static void ident_bloom_add(struct clawos_ident_bloom *b, const struct clawos_exe_key *k)
{
	uint32_t bit = clawos_ident_bit(k->ino, k->dev);

	b->bits[bit / 64] |= UINT64_C(1) << (bit % 64);
}

/* clawos_p_ident and its Bloom filter in step with is: the filter first
 * gains the new keys' bits, the new keys go in, the stale ones out, and
 * then the filter loses the stale bits, so that no present key is ever
 * outside the filter. */
static int ident_sync(int fd, int bloom_fd, const struct ident_set *is)
{
	struct clawos_exe_key key, next, stale[IDENT_MAX];
	struct clawos_ident_bloom bloom = {}, now = {};
	uint32_t zero = 0;
	size_t n_stale = 0;
	void *prev = NULL;

	for (size_t i = 0; i < is->n; i++)
		ident_bloom_add(&bloom, &is->keys[i]);
	if (bpf_map_lookup_elem(bloom_fd, &zero, &now) < 0)
		return -errno;
	for (size_t i = 0; i < ELEMENTSOF(now.bits); i++)
		now.bits[i] |= bloom.bits[i];
	if (bpf_map_update_elem(bloom_fd, &zero, &now, BPF_ANY) < 0)
		return -errno;
	for (size_t i = 0; i < is->n; i++)
		if (bpf_map_update_elem(fd, &is->keys[i], &is->v[i], BPF_ANY) < 0)
			return -errno;
	while (n_stale < ELEMENTSOF(stale) && bpf_map_get_next_key(fd, prev, &next) == 0) {
		bool keep = false;

		key = next;
		prev = &key;
		for (size_t i = 0; i < is->n && !keep; i++)
			keep = memcmp(&is->keys[i], &key, sizeof(key)) == 0;
		if (!keep)
			stale[n_stale++] = key;
	}
	for (size_t i = 0; i < n_stale; i++)
		bpf_map_delete_elem(fd, &stale[i]);
	if (bpf_map_update_elem(bloom_fd, &zero, &bloom, BPF_ANY) < 0)
		return -errno;
	return (int)is->n;
}

int protect_refresh(struct bpf_loader *l, const struct clawos_settings *s, const struct protect_agent_files *own)
{
	int fd = bpf_map__fd(bpf_loader_skel(l)->maps.clawos_p_ident);
	int bloom_fd = bpf_map__fd(bpf_loader_skel(l)->maps.clawos_p_bloom);
	struct ident_set *is;
	int r;

	is = calloc(1, sizeof(*is));
	if (!is)
		return -ENOMEM;
	ident_collect(is, s, own);
	r = ident_sync(fd, bloom_fd, is);
	free(is);
	return r;
}

int protect_apply(struct bpf_loader *l, const struct clawos_settings *s, const struct protect_agent_files *own)
{
	int r;

	/* the flags these entries need are kernel_plan_config()'s */
	fill_trie(bpf_map__fd(bpf_loader_skel(l)->maps.clawos_protect), s, own);
	r = protect_refresh(l, s, own);
	return r < 0 ? r : 0;
}
