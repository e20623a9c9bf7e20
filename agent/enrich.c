/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "passwd.h"
#include "enrich.h"
#include "log.h"
#include "macro.h"
#include "time-util.h"

#define CGROUP_SLOTS 1024
#define USER_SLOTS 256

struct cgroup_slot {
	uint64_t id;
	char path[512];
};

struct user_slot {
	uint32_t uid;
	bool valid;
	char name[64];
};

struct enrich {
	struct cgroup_slot *cgroups;
	struct user_slot users[USER_SLOTS];
	struct timespec passwd_mtime;
	uint64_t passwd_checked_ns;
	int cgroup_root_fd;
	char cgroup_root[256];
	char host[256];
};

int enrich_new(struct enrich **ret, const char *cgroup2_path)
{
	struct enrich *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->cgroups = calloc(CGROUP_SLOTS, sizeof(*e->cgroups));
	if (!e->cgroups) {
		enrich_free(e);
		return -ENOMEM;
	}
	e->cgroup_root_fd = -1;
	if (cgroup2_path && cgroup2_path[0]) {
		snprintf(e->cgroup_root, sizeof(e->cgroup_root), "%s", cgroup2_path);
		e->cgroup_root_fd = open(cgroup2_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (gethostname(e->host, sizeof(e->host) - 1) < 0)
		e->host[0] = '\0';
	*ret = e;
	return 0;
}

struct enrich *enrich_free(struct enrich *e)
{
	if (!e)
		return NULL;
	if (e->cgroup_root_fd >= 0)
		close(e->cgroup_root_fd);
	free(e->cgroups);
	free(e);
	return NULL;
}

/* cgroup v2 ids are kernfs inode numbers, usable as file handles. */
static int cgroup_resolve(struct enrich *e, uint64_t id, char *out, size_t size)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = {.fh = {.handle_bytes = sizeof(uint64_t), .handle_type = 0xfe /* FILEID_KERNFS */}, .id = id};
	_cleanup_close_ int fd = -1;
	char p[64], full[PATH_MAX];
	size_t rl = strlen(e->cgroup_root);
	ssize_t n;

	if (e->cgroup_root_fd < 0)
		return -ENOENT;
	fd = open_by_handle_at(e->cgroup_root_fd, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	n = readlink(p, full, sizeof(full) - 1);
	if (n < 0)
		return -errno;
	full[n] = '\0';
	if (strncmp(full, e->cgroup_root, rl) == 0)
		snprintf(out, size, "%s", full[rl] ? full + rl : "/");
	else
		snprintf(out, size, "%s", full);
	return 0;
}

const char *enrich_cgroup_path(struct enrich *e, uint64_t cgid)
{
	struct cgroup_slot *s = &e->cgroups[cgid % CGROUP_SLOTS];

	if (cgid == 0)
		return NULL;
	if (s->id == cgid)
		return s->path[0] ? s->path : NULL;
	s->id = cgid;
	if (cgroup_resolve(e, cgid, s->path, sizeof(s->path)) < 0)
		s->path[0] = '\0';
	return s->path[0] ? s->path : NULL;
}

const char *enrich_host(const struct enrich *e)
{
	return e && e->host[0] ? e->host : NULL;
}

static void users_reload_if_changed(struct enrich *e)
{
	/* a once-a-second check made per record: the coarse clock reads the
	 * last tick's time, with no TSC read */
	uint64_t now = now_nsec(CLOCK_MONOTONIC_COARSE);
	struct stat st;

	/* a stat per record would be a syscall on the hot path: once a second */
	if (now - e->passwd_checked_ns < NSEC_PER_SEC)
		return;
	e->passwd_checked_ns = now;
	if (stat("/etc/passwd", &st) < 0)
		return;
	if (st.st_mtim.tv_sec == e->passwd_mtime.tv_sec && st.st_mtim.tv_nsec == e->passwd_mtime.tv_nsec)
		return;
	e->passwd_mtime = st.st_mtim;
	memset(e->users, 0, sizeof(e->users));
}

static const char *user_name(struct enrich *e, uint32_t uid)
{
	struct user_slot *s = &e->users[uid % USER_SLOTS];
	_cleanup_fclose_ FILE *f = NULL;
	char line[1024];

	if (s->valid && s->uid == uid)
		return s->name[0] ? s->name : NULL;
	s->valid = true;
	s->uid = uid;
	s->name[0] = '\0';
	f = fopen("/etc/passwd", "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		const char *name;
		uint32_t u;

		if (!passwd_parse_line(line, &u, &name) || u != uid)
			continue;
		snprintf(s->name, sizeof(s->name), "%s", name);
		break;
	}
	return s->name[0] ? s->name : NULL;
}

const char *enrich_user(struct enrich *e, uint32_t uid)
{
	users_reload_if_changed(e);
	return user_name(e, uid);
}

void enrich_record(struct enrich *e, const struct clawos_event_hdr *h, const struct proc_entry *p,
		   struct event_context *ctx)
{
	ctx->host = e->host[0] ? e->host : NULL;
	ctx->cgroup_path = enrich_cgroup_path(e, h->cgroup_id);
	users_reload_if_changed(e);
	ctx->user = user_name(e, h->uid);
	ctx->exe = p && p->exe[0] ? p->exe : NULL;
	ctx->ppid = p ? p->ppid : 0;
}
