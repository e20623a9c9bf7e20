/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "proctable.h"
#include "time-util.h"

#define PROBE_MAX 32

static uint32_t pid_hash(uint32_t pid)
{
	return (pid * 2654435761u) & (PROCTABLE_SLOTS - 1);
}

static void cmdline_unref(struct proc_cmdline *c)
{
	if (c && --c->refs == 0)
		free(c);
}

static struct proc_cmdline *cmdline_ref(struct proc_cmdline *c)
{
	if (c)
		c->refs++;
	return c;
}

/* Drops what a slot owns and empties it. */
static void slot_clear(struct proc_entry *e)
{
	cmdline_unref(e->cmdline);
	memset(e, 0, sizeof(*e));
}

int proctable_init(struct proctable *t)
{
	memset(t, 0, sizeof(*t));
	t->slots = calloc(PROCTABLE_SLOTS, sizeof(*t->slots));
	return t->slots ? 0 : -ENOMEM;
}

void proctable_done(struct proctable *t)
{
	for (uint32_t i = 0; t->slots && i < PROCTABLE_SLOTS; i++)
		cmdline_unref(t->slots[i].cmdline);
	free(t->slots);
	t->slots = NULL;
}

/* The entry of pid among its probe slots, or NULL; *reuse (when not NULL)
 * is the first of those slots that is free or holds an exited process. */
static struct proc_entry *probe(struct proctable *t, uint32_t pid, struct proc_entry **reuse)
{
	uint32_t h = pid_hash(pid);

	for (uint32_t i = 0; i < PROBE_MAX; i++) {
		struct proc_entry *e = &t->slots[(h + i) & (PROCTABLE_SLOTS - 1)];

		if (e->pid == pid)
			return e;
		if (reuse && !*reuse && (e->pid == 0 || e->exited))
			*reuse = e;
	}
	return NULL;
}

struct proc_entry *proctable_get(struct proctable *t, uint32_t pid)
{
	return pid == 0 ? NULL : probe(t, pid, NULL);
}

/* Finds or creates the entry of pid (NULL only when the table is full). */
static struct proc_entry *proctable_put(struct proctable *t, uint32_t pid)
{
	struct proc_entry *e, *victim = NULL;

	if (pid == 0)
		return NULL;
	e = probe(t, pid, &victim);
	if (e)
		return e;
	if (!victim) { /* every probe slot holds a live process: evict the first */
		victim = &t->slots[pid_hash(pid)];
		t->evictions++;
	}
	if (victim->pid == 0)
		t->used++;
	slot_clear(victim);
	victim->pid = pid;
	return victim;
}

static void proctable_remove(struct proctable *t, uint32_t pid)
{
	struct proc_entry *e = proctable_get(t, pid);

	if (e)
		e->exited = true; /* kept for the ancestry of late records */
}

void proctable_fork(struct proctable *t, uint32_t parent, uint32_t child)
{
	struct proc_entry *p = proctable_get(t, parent), *c;
	struct proc_entry copy = {};

	if (p) {
		copy = *p;
		cmdline_ref(copy.cmdline); /* the parent's slot may be the one reused */
	}
	c = proctable_put(t, child);
	if (!c) {
		if (p)
			cmdline_unref(copy.cmdline);
		return;
	}
	/* the slot may hold an earlier process with the same pid */
	slot_clear(c);
	c->pid = child;
	c->ppid = parent;
	if (p) {
		memcpy(c->comm, copy.comm, sizeof(c->comm));
		memcpy(c->exe, copy.exe, sizeof(c->exe));
		c->session = copy.session;
		c->root_pid = copy.root_pid;
		c->cmdline = copy.cmdline;
	}
}

void proctable_exec(struct proctable *t, uint32_t pid, uint32_t ppid, const char *comm, const char *exe)
{
	struct proc_entry *e = proctable_put(t, pid);

	if (!e)
		return;
	if (ppid)
		e->ppid = ppid;
	e->exited = false;
	if (comm)
		snprintf(e->comm, sizeof(e->comm), "%.*s", CLAWOS_COMM_LEN - 1, comm);
	if (exe)
		snprintf(e->exe, sizeof(e->exe), "%s", exe);
	cmdline_unref(e->cmdline);
	e->cmdline = NULL;
}

void proctable_set_args(struct proctable *t, uint32_t pid, const char *args, size_t len)
{
	struct proc_entry *e = proctable_get(t, pid);
	struct proc_cmdline *c;

	if (!e)
		return;
	if (len > 0 && args[len - 1] == '\0')
		len--;
	if (len > PROC_CMDLINE_MAX)
		len = PROC_CMDLINE_MAX;
	c = malloc(sizeof(*c) + len + 1);
	if (!c)
		return; /* left unknown */
	c->refs = 1;
	c->len = (uint32_t)len;
	for (size_t i = 0; i < len; i++)
		c->text[i] = args[i] ? args[i] : ' ';
	c->text[len] = '\0';
	cmdline_unref(e->cmdline);
	e->cmdline = c;
}

void proctable_exit(struct proctable *t, uint32_t pid)
{
	proctable_remove(t, pid);
}

void proctable_set_session(struct proctable *t, uint32_t pid, uint32_t session, uint32_t root_pid)
{
	struct proc_entry *e = proctable_put(t, pid);

	if (e) {
		e->session = session;
		e->root_pid = root_pid;
	}
	/* descendants already running (a config target found at start) */
	for (uint32_t i = 0; i < PROCTABLE_SLOTS; i++) {
		struct proc_entry *c = &t->slots[i];
		unsigned depth = 0;

		if (!c->pid || c->exited || c->session)
			continue;
		for (struct proc_entry *a = proctable_get(t, c->ppid); a && depth < 32;
		     a = proctable_get(t, a->ppid), depth++)
			if (a->pid == pid) {
				c->session = session;
				c->root_pid = root_pid;
				break;
			}
	}
}

unsigned proctable_ancestry(struct proctable *t, uint32_t pid, struct clawos_ancestor *out, const char **exe,
			    unsigned max)
{
	struct proc_entry *e = proctable_get(t, pid);
	unsigned n = 0;

	while (e && n < max && e->ppid && e->ppid != e->pid) {
		struct proc_entry *p = proctable_get(t, e->ppid);

		out[n].pid = e->ppid;
		out[n].reserved = 0;
		memset(out[n].comm, 0, sizeof(out[n].comm));
		if (p)
			memcpy(out[n].comm, p->comm, sizeof(out[n].comm));
		if (exe)
			exe[n] = p && p->exe[0] ? p->exe : NULL;
		n++;
		if (!p || (e->root_pid && e->ppid == e->root_pid))
			break; /* stop at the tracked tree's root */
		e = p;
	}
	return n;
}

/* /proc/PID/cmdline: argv as the process holds it now (kernel threads
 * have none). */
static void load_cmdline(struct proctable *t, const char *proc_root, uint32_t pid)
{
	_cleanup_free_ char *buf = malloc(PROC_CMDLINE_MAX);
	_cleanup_close_ int fd = -1;
	char path[512];
	size_t len = 0;

	if (!buf)
		return;
	snprintf(path, sizeof(path), "%s/%u/cmdline", proc_root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	while (len < PROC_CMDLINE_MAX) {
		ssize_t n = read(fd, buf + len, PROC_CMDLINE_MAX - len);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (len > 0)
		proctable_set_args(t, pid, buf, len);
}

/* /proc/PID/stat: comm, ppid and starttime (field 22, clock ticks since
 * boot, from the task's start_boottime). */
int proctable_parse_stat(const char *buf, struct proc_stat *st)
{
	const char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
	unsigned long long start = 0;
	unsigned long ppid = 0;
	long tick = sysconf(_SC_CLK_TCK);
	char state;
	int n;

	if (!open_paren || !close_paren || close_paren < open_paren)
		return -EINVAL;
	snprintf(st->comm, sizeof(st->comm), "%.*s",
		 (int)MIN((size_t)(close_paren - open_paren - 1), sizeof(st->comm) - 1), open_paren + 1);
	n = sscanf(close_paren + 1, " %c %lu %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &state, &ppid, &start);
	if (n < 2 || ppid > UINT32_MAX)
		return -EINVAL;
	st->ppid = (uint32_t)ppid;
	st->start_ns = n == 3 && tick > 0 ? start * (NSEC_PER_SEC / (unsigned long long)tick) : 0;
	return 0;
}

static int read_stat(const char *proc_root, uint32_t pid, struct proc_stat *st)
{
	_cleanup_close_ int fd = -1;
	char path[512], buf[1024];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%u/stat", proc_root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return proctable_parse_stat(buf, st);
}

static struct proc_entry *load_from_stat(struct proctable *t, const char *proc_root, uint32_t pid,
					 const struct proc_stat *st)
{
	char path[512], exe[PROC_EXE_LEN] = "";
	struct proc_entry *e;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%u/exe", proc_root, pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	proctable_exec(t, pid, st->ppid, st->comm, exe);
	load_cmdline(t, proc_root, pid);
	e = proctable_get(t, pid);
	if (e && st->start_ns)
		e->start_ns = st->start_ns;
	return e;
}

struct proc_entry *proctable_load(struct proctable *t, const char *proc_root, uint32_t pid)
{
	struct proc_stat st;
	struct proc_entry *e;

	if (read_stat(proc_root, pid, &st) == 0)
		return load_from_stat(t, proc_root, pid, &st);
	/* remembered as gone, so that records of a short-lived process do
	 * not read /proc again and again */
	e = proctable_put(t, pid);
	if (e)
		e->exited = true;
	return e;
}

static bool disagrees(const struct proc_entry *e, const struct clawos_event_hdr *h)
{
	/* comm only from the main thread: other threads may name themselves */
	if (h->tid == h->pid && strncmp(e->comm, h->comm, CLAWOS_COMM_LEN) != 0)
		return true;
	return h->ppid && !(h->flags & CLAWOS_HDR_F_NO_PPID) && e->ppid && e->ppid != h->ppid;
}

/* Start times from a fork record and from /proc differ by the tick /proc
 * rounds to, and by the fork tracepoint's delay. */
static bool same_start(uint64_t a, uint64_t b)
{
	uint64_t tick = NSEC_PER_SEC / (uint64_t)MAX(sysconf(_SC_CLK_TCK), 1L);

	return (a > b ? a - b : b - a) < 2 * tick;
}

struct proc_entry *proctable_lookup(struct proctable *t, const char *proc_root, const struct clawos_event_hdr *h)
{
	struct proc_entry *e = h->pid ? proctable_get(t, h->pid) : NULL, *parent;
	struct proc_stat st;

	if (h->pid == 0)
		return NULL;
	if (!e)
		return h->cpu != CLAWOS_CPU_USER ? proctable_load(t, proc_root, h->pid) : NULL;
	if (h->cpu == CLAWOS_CPU_USER || !disagrees(e, h))
		return e;
	t->revalidations++;
	if (read_stat(proc_root, h->pid, &st) < 0) {
		/* gone, and not the process of the entry: what the record says */
		t->reused++;
		slot_clear(e);
		e->pid = h->pid;
		e->ppid = h->ppid;
		e->exited = true;
		memcpy(e->comm, h->comm, sizeof(e->comm));
		e->comm[sizeof(e->comm) - 1] = '\0';
		return e;
	}
	if (!e->start_ns || !st.start_ns || same_start(e->start_ns, st.start_ns))
		/* the same process (or one we cannot tell: an entry made by
		 * `watch` or an exec record has no start time yet): an exec, a
		 * rename or a new parent we did not see; its target stays */
		return load_from_stat(t, proc_root, h->pid, &st);
	/* another process with the pid: nothing of the entry is kept but
	 * what its parent gives, as a fork would have */
	t->reused++;
	slot_clear(e);
	e->pid = h->pid;
	e = load_from_stat(t, proc_root, h->pid, &st);
	parent = e ? proctable_get(t, e->ppid) : NULL;
	if (e && parent && !parent->exited && parent->session) {
		e->session = parent->session;
		e->root_pid = parent->root_pid;
	}
	return e;
}

int proctable_seed(struct proctable *t, const char *proc_root)
{
	DIR *d = opendir(proc_root);
	struct dirent *de;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (*end || pid == 0 || pid > UINT32_MAX)
			continue;
		proctable_load(t, proc_root, (uint32_t)pid);
	}
	closedir(d);
	return 0;
}
