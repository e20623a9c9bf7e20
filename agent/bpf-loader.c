/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>

#include <sys/mount.h>
#include <sys/vfs.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-loader.h"
#include "clawos.skel.h"
#include "kernel-plan.h"
#include "log.h"

/* Hooks whose failure to load or attach is reported, not fatal. */
static bool hook_optional(int h)
{
	return h == HOOK_COMPAT || h == HOOK_URING;
}

static uint32_t tracked_max;

void bpf_loader_set_tracked_max(uint32_t n)
{
	tracked_max = n;
}

struct bpf_loader {
	struct clawos *skel;
	struct bpf_link **links;
	size_t n_links;
	int cgroup_fd;
	/* raw_syscalls/sys_enter runs for every syscall of the host: attached
	 * only while it has work (see bpf_loader_set_syscall_hook) */
	struct bpf_link *sys_enter;
	bool sys_enter_loaded;
	bool killlog_pinned; /* ours or reused: unpinned at a clean stop */
	/* aggregation programs (bpf/agg.bpf.c): wanted, then loaded */
	bool agg_wanted, agg;
	struct clawos_config cfg; /* as last written */
};

/* "tracepoint/syscalls/sys_enter_openat" -> does it exist here? */
static bool tracepoint_available(const struct probe_result *pr, const char *section)
{
	char cat[64], name[128];

	if (sscanf(section, "tp_btf/%127s", name) == 1)
		return probe_btf_tracepoint(name);
	if (sscanf(section, "tracepoint/%63[^/]/%127s", cat, name) != 2)
		return true;
	return probe_tracepoint(pr, cat, name);
}

/* A program by name; where the kernel has no task storage for tracing
 * programs, its "_h" variant (LRU hash) when there is one. */
static struct bpf_program *loader_find_prog(struct clawos *skel, const char *name, const struct probe_result *pr)
{
	struct bpf_program *p;
	char alt[64];

	if (!pr->task_storage) {
		snprintf(alt, sizeof(alt), "%s_h", name);
		p = bpf_object__find_program_by_name(skel->obj, alt);
		if (p)
			return p;
	}
	return bpf_object__find_program_by_name(skel->obj, name);
}

/* Autoload exactly the programs of each hook's chosen mechanism; create
 * only the parking map those programs use.  The names come from
 * hook_defs[] (a pure table the unit tests replay): a name the object does
 * not have is a bug of ours and fails the load, never a hook left silently
 * unattached. */
static int loader_set_autoload(struct clawos *skel, const struct hook_plan *plan, const struct probe_result *pr,
			       bool agg)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, skel->obj) bpf_program__set_autoload(p, false);
	bpf_map__set_autocreate(skel->maps.clawos_open_ts, pr->task_storage);
	bpf_map__set_autocreate(skel->maps.clawos_open_st, !pr->task_storage);
	for (int h = 0; h < _HOOK_MAX; h++) {
		const struct hook_def *d = &hook_defs[h];
		const struct hook_status *st = &plan->hooks[h];

		if (st->mechanism == CLAWOS_MECH_LSM) {
			char walk[64];

			snprintf(walk, sizeof(walk), "%s_w%s", d->lsm_prog, pr->task_storage ? "" : "h");
			p = bpf_object__find_program_by_name(skel->obj, st->lsm_walk ? walk : d->lsm_prog);
			if (!p)
				return log_error_errno(-ENOENT, "BUG: no BPF program %s in the object",
						       st->lsm_walk ? walk : d->lsm_prog);
			bpf_program__set_autoload(p, true);
			continue;
		}
		if (st->state == HOOK_MISSING)
			continue;
		for (int i = 0; i < HOOK_MAX_PROGS && d->fallback_progs[i]; i++) {
			p = loader_find_prog(skel, d->fallback_progs[i], pr);
			if (!p)
				return log_error_errno(-ENOENT, "BUG: no BPF program %s in the object",
						       d->fallback_progs[i]);
			if ((bpf_program__type(p) == BPF_PROG_TYPE_TRACEPOINT ||
			     bpf_program__type(p) == BPF_PROG_TYPE_TRACING) &&
			    !tracepoint_available(pr, bpf_program__section_name(p)))
				continue;
			bpf_program__set_autoload(p, true);
		}
	}
	/* aggregation: tail-called by the task-storage open exits only */
	bpf_program__set_autoload(skel->progs.clawos_agg_x, agg);
	bpf_program__set_autoload(skel->progs.clawos_agg_exit, agg);
	bpf_program__set_autoload(skel->progs.clawos_agg_ctl, agg);
	return 0;
}

/* Whether the aggregation programs can run here: bpf_timer (5.15), the
 * open records in task storage, the open exits attached and a BTF
 * tracepoint for thread exits. */
static bool loader_agg_possible(const struct hook_plan *plan, const struct probe_result *pr)
{
	return pr->bpf_timer && pr->task_storage && plan->hooks[HOOK_OPEN].state != HOOK_MISSING &&
	       probe_btf_tracepoint("sched_process_exit");
}

#define KILLLOG_DIR "/sys/fs/bpf"
#define KILLLOG_PIN KILLLOG_DIR "/clawos_killlog"

/* The kill log outlives the agent in bpffs (mounted here if the system has
 * not, as systemd would).  Best effort, never fatal: a previous instance's
 * map is reused before the load, ours is pinned after it; a read-only or
 * missing bpffs only costs the report of a SIGKILL. */
static void loader_reuse_killlog(struct bpf_loader *l)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct statfs st;
	int fd;

	if (statfs(KILLLOG_DIR, &st) < 0)
		return;
	if (st.f_type != BPF_FS_MAGIC) {
		if (mount("bpf", KILLLOG_DIR, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0) {
			log_debug_errno(-errno, "No bpffs at " KILLLOG_DIR " (%m): SIGKILLs of the agent are not kept");
			return;
		}
		log_notice("Mounted bpffs on " KILLLOG_DIR " (it was not mounted)");
	}
	fd = bpf_obj_get(KILLLOG_PIN);
	if (fd < 0)
		return;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.type == BPF_MAP_TYPE_ARRAY &&
	    info.value_size == sizeof(struct clawos_kill_record) && info.max_entries == 1 &&
	    bpf_map__reuse_fd(l->skel->maps.clawos_killlog, fd) == 0)
		l->killlog_pinned = true;
	else if (unlink(KILLLOG_PIN) < 0)
		log_debug_errno(-errno, "Cannot replace " KILLLOG_PIN ": %m");
	close(fd);
}

static void loader_pin_killlog(struct bpf_loader *l)
{
	int r;

	if (l->killlog_pinned)
		return;
	r = bpf_obj_pin(bpf_map__fd(l->skel->maps.clawos_killlog), KILLLOG_PIN);
	if (r < 0)
		log_info_errno(r, "Cannot pin " KILLLOG_PIN " (%m): a SIGKILL of the agent will not be reported");
	else
		l->killlog_pinned = true;
}

static int loader_open_load(struct bpf_loader *l, const struct hook_plan *plan, const struct probe_result *pr,
			    uint32_t ring_size)
{
	int r;

	l->skel = clawos__open();
	if (!l->skel)
		return log_error_errno(negative_errno(), "Failed to open the BPF object: %m");
	r = bpf_map__set_max_entries(l->skel->maps.clawos_events, ring_size);
	if (r < 0)
		return log_error_errno(r, "Failed to set the ring buffer size to %u: %m", ring_size);
	if (tracked_max) {
		r = bpf_map__set_max_entries(l->skel->maps.clawos_tracked, tracked_max);
		if (r < 0)
			return log_error_errno(r, "Failed to size the tracked-process map to %u: %m", tracked_max);
	}
	r = loader_set_autoload(l->skel, plan, pr, l->agg_wanted);
	if (r < 0)
		return r;
	loader_reuse_killlog(l);
	r = clawos__load(l->skel);
	if (r < 0)
		return log_debug_errno(r, "Failed to load the BPF object: %m");
	l->sys_enter_loaded = bpf_program__autoload(l->skel->progs.clawos_sys_enter);
	loader_pin_killlog(l);
	if (l->agg_wanted) {
		uint32_t zero = 0;
		int fd = bpf_program__fd(l->skel->progs.clawos_agg_x);

		r = bpf_map__update_elem(l->skel->maps.clawos_agg_jmp, &zero, sizeof(zero), &fd, sizeof(fd), BPF_ANY);
		if (r < 0)
			return log_debug_errno(r, "Failed to fill the aggregation tail-call slot: %m");
		l->agg = true;
	}
	return 0;
}

static int loader_attach_prog(struct bpf_loader *l, struct bpf_program *p)
{
	struct bpf_link *link;
	enum bpf_prog_type t = bpf_program__type(p);

	if (t == BPF_PROG_TYPE_CGROUP_SOCK_ADDR || t == BPF_PROG_TYPE_CGROUP_SOCK || t == BPF_PROG_TYPE_CGROUP_SKB)
		link = bpf_program__attach_cgroup(p, l->cgroup_fd);
	else
		link = bpf_program__attach(p);
	if (!link)
		return negative_errno();
	l->links[l->n_links++] = link;
	return 0;
}

/* The optional hook a program belongs to, or -1. */
static int prog_optional_hook(const struct bpf_program *p)
{
	for (int h = 0; h < _HOOK_MAX; h++)
		for (int i = 0; hook_optional(h) && i < HOOK_MAX_PROGS && hook_defs[h].fallback_progs[i]; i++)
			if (strncmp(hook_defs[h].fallback_progs[i], bpf_program__name(p),
				    strlen(hook_defs[h].fallback_progs[i])) == 0 &&
			    (bpf_program__name(p)[strlen(hook_defs[h].fallback_progs[i])] == '\0' ||
			     strcmp(bpf_program__name(p) + strlen(hook_defs[h].fallback_progs[i]), "_h") == 0))
				return h; /* the program or its "_h" variant */
	return -1;
}

static void hook_set_missing(struct hook_status *st, const char *what, int err)
{
	st->state = HOOK_MISSING;
	st->mechanism = CLAWOS_MECH_NONE;
	st->n_programs = 0;
	snprintf(st->reason, sizeof(st->reason), "%s: %s", what, strerror(-err));
}

static int loader_attach_all(struct bpf_loader *l, struct hook_plan *plan, const struct probe_result *pr)
{
	struct bpf_program *p;
	size_t n = 0;
	int r;

	bpf_object__for_each_program(p, l->skel->obj) n++;
	l->links = calloc(n, sizeof(*l->links));
	if (!l->links)
		return -ENOMEM;
	if (pr->cgroup2_path[0]) {
		l->cgroup_fd = open(pr->cgroup2_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (l->cgroup_fd < 0)
			return log_error_errno(-errno, "Failed to open cgroup v2 root %s: %m", pr->cgroup2_path);
	}
	bpf_object__for_each_program(p, l->skel->obj)
	{
		if (!bpf_program__autoload(p))
			continue;
		if (p == l->skel->progs.clawos_sys_enter)
			continue; /* attached on demand */
		if (p == l->skel->progs.clawos_agg_x || p == l->skel->progs.clawos_agg_ctl)
			continue; /* a tail-call target and a program the agent runs */
		r = loader_attach_prog(l, p);
		if (r < 0 && prog_optional_hook(p) >= 0) {
			log_warning_errno(r, "Failed to attach BPF program '%s' (%s): %m; hook %s missing",
					  bpf_program__name(p), bpf_program__section_name(p),
					  hook_defs[prog_optional_hook(p)].name);
			hook_set_missing(&plan->hooks[prog_optional_hook(p)], "failed to attach", r);
			continue;
		}
		if (r < 0)
			return log_error_errno(r, "Failed to attach BPF program '%s' (%s): %m", bpf_program__name(p),
					       bpf_program__section_name(p));
	}
	return 0;
}

static void loader_drop_lsm(struct hook_plan *plan, const struct probe_result *pr, int err)
{
	for (int h = 0; h < _HOOK_MAX; h++) {
		char why[160];

		if (plan->hooks[h].mechanism != CLAWOS_MECH_LSM)
			continue;
		snprintf(why, sizeof(why), "BPF-LSM program failed to load with the agent's object: %s",
			 strerror(-err));
		plan->hooks[h].lsm_walk = false;
		hook_plan_fallback(plan, h, pr, why);
	}
}

/* The tamper programs' view of the agent: its maps by id (a write to one
 * by another process is tamper) and its threads by tid (a ptrace of one). */
static void loader_fill_own(struct bpf_loader *l)
{
	int maps = bpf_map__fd(l->skel->maps.clawos_own_maps), tids = bpf_map__fd(l->skel->maps.clawos_agent_tids);
	struct bpf_map *m;
	struct dirent *de;
	uint8_t one = 1;
	DIR *d;

	bpf_object__for_each_map(m, l->skel->obj)
	{
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		if (bpf_map__fd(m) >= 0 && bpf_obj_get_info_by_fd(bpf_map__fd(m), &info, &len) == 0 &&
		    bpf_map_update_elem(maps, &info.id, &one, BPF_ANY) < 0)
			log_warning_errno(-errno, "Cannot list map %s as the agent's: %m", bpf_map__name(m));
	}
	d = opendir("/proc/self/task");
	while (d && (de = readdir(d))) {
		uint32_t tid = (uint32_t)strtoul(de->d_name, NULL, 10);

		if (tid && tid != (uint32_t)getpid())
			bpf_map_update_elem(tids, &tid, &one, BPF_ANY);
	}
	if (d)
		closedir(d);
}

int bpf_loader_start(struct bpf_loader **ret, struct hook_plan *plan, const struct probe_result *pr, uint32_t ring_size,
		     int (*prepare)(struct bpf_loader *l, void *userdata), void *userdata)
{
	struct bpf_loader *l;
	int r;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->cgroup_fd = -1;
	l->agg_wanted = loader_agg_possible(plan, pr);
	r = loader_open_load(l, plan, pr, ring_size);
	if (r < 0 && l->agg_wanted) {
		log_warning_errno(r, "Loading with the aggregation programs failed (%m); retrying without them "
				     "(aggregate_window unavailable)");
		clawos__destroy(l->skel);
		l->skel = NULL;
		l->agg_wanted = false;
		r = loader_open_load(l, plan, pr, ring_size);
	}
	if (r < 0) {
		bool had_optional = false;

		for (int h = 0; h < _HOOK_MAX; h++)
			if (hook_optional(h) && plan->hooks[h].state != HOOK_MISSING) {
				had_optional = true;
				log_warning_errno(r,
						  "Loading with the optional hook %s failed (%m); retrying without it",
						  plan->hooks[h].name);
				hook_set_missing(&plan->hooks[h], "failed to load", r);
			}
		if (had_optional) {
			clawos__destroy(l->skel);
			l->skel = NULL;
			r = loader_open_load(l, plan, pr, ring_size);
		}
	}
	if (r < 0) {
		bool had_lsm = false;

		for (int h = 0; h < _HOOK_MAX; h++)
			had_lsm |= plan->hooks[h].mechanism == CLAWOS_MECH_LSM;
		if (!had_lsm)
			goto fail;
		clawos__destroy(l->skel);
		l->skel = NULL;
		if (plan->hooks[HOOK_FILE_OPEN].mechanism == CLAWOS_MECH_LSM && !plan->hooks[HOOK_FILE_OPEN].lsm_walk) {
			/* bpf_d_path refused in the real program: the walk */
			log_warning_errno(r, "Loading with BPF-LSM file_open (bpf_d_path) failed (%m); retrying with "
					     "the dentry walk");
			hook_plan_fopen_variant(&plan->hooks[HOOK_FILE_OPEN], true,
						"the bpf_d_path variant failed to load");
			r = loader_open_load(l, plan, pr, ring_size);
			if (r < 0) {
				clawos__destroy(l->skel);
				l->skel = NULL;
			}
		}
		if (r < 0) {
			/* The probe loaded, the real LSM program did not: fall
			 * back rather than run without those hooks. */
			log_warning_errno(r, "Loading with BPF-LSM programs failed (%m); retrying with the fallbacks");
			loader_drop_lsm(plan, pr, r);
			r = loader_open_load(l, plan, pr, ring_size);
			if (r < 0)
				goto fail;
		}
	}
	loader_fill_own(l);
	r = prepare(l, userdata);
	if (r < 0)
		goto fail;
	r = loader_attach_all(l, plan, pr);
	if (r < 0)
		goto fail;
	*ret = l;
	return 0;
fail:
	if (r < 0 && !l->links)
		log_error_errno(r, "Failed to load the BPF programs: %m");
	bpf_loader_free(l);
	return r;
}

struct bpf_loader *bpf_loader_free(struct bpf_loader *l)
{
	if (!l)
		return NULL;
	bpf_link__destroy(l->sys_enter);
	/* a clean stop leaves nothing behind; only a SIGKILL leaves the log */
	if (l->killlog_pinned)
		unlink(KILLLOG_PIN);
	for (size_t i = l->n_links; i > 0; i--)
		bpf_link__destroy(l->links[i - 1]);
	free(l->links);
	clawos__destroy(l->skel);
	if (l->cgroup_fd >= 0)
		close(l->cgroup_fd);
	free(l);
	return NULL;
}

struct clawos *bpf_loader_skel(struct bpf_loader *l)
{
	return l->skel;
}

int bpf_loader_ringbuf_fd(struct bpf_loader *l)
{
	return bpf_map__fd(l->skel->maps.clawos_events);
}

/* Runs clawos_agg_ctl with op CLAWOS_AGG_CTL_* (bpf/agg.bpf.c). */
static int loader_agg_ctl(struct bpf_loader *l, uint32_t op)
{
	struct clawos_agg_ctl args = {.op = op};
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &args, .ctx_size_in = sizeof(args));
	int r;

	if (!l->agg)
		return 0;
	r = bpf_prog_test_run_opts(bpf_program__fd(l->skel->progs.clawos_agg_ctl), &o);
	if (r < 0)
		return log_error_errno(r, "Failed to run the aggregation control program: %m");
	if ((int)o.retval < 0)
		return log_error_errno(-EIO, "The aggregation control program failed (op %u, %d)", op, (int)o.retval);
	return 0;
}

bool bpf_loader_can_aggregate(struct bpf_loader *l)
{
	return l->agg;
}

/* A change of aggregate_window is bracketed by flushes: before, so that no
 * record kept while it was off counts as the last one emitted; after, for
 * the repeats pending when it goes off.  Then the timer follows it. */
int bpf_loader_update_config(struct bpf_loader *l, const struct clawos_config *cfg)
{
	uint32_t zero = 0;
	bool window_changed = cfg->aggregate_window != l->cfg.aggregate_window;
	int r;

	if (window_changed && loader_agg_ctl(l, CLAWOS_AGG_CTL_FLUSH) < 0)
		return -EIO;
	r = bpf_map__update_elem(l->skel->maps.clawos_config, &zero, sizeof(zero), cfg, sizeof(*cfg), BPF_ANY);
	if (r < 0)
		return log_error_errno(r, "Failed to update the CONFIG map: %m");
	l->cfg = *cfg;
	if (window_changed &&
	    (loader_agg_ctl(l, CLAWOS_AGG_CTL_FLUSH) < 0 || loader_agg_ctl(l, CLAWOS_AGG_CTL_ARM) < 0))
		return -EIO;
	return 0;
}

int bpf_loader_stop_aggregation(struct bpf_loader *l)
{
	struct clawos_config cfg;

	if (!l || !l->agg || !l->cfg.aggregate_window)
		return 0;
	cfg = l->cfg;
	cfg.aggregate_window = 0;
	return bpf_loader_update_config(l, &cfg);
}

int bpf_loader_read_drops(struct bpf_loader *l, uint64_t drops[CLAWOS_EV_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;

	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (uint32_t t = 0; t < CLAWOS_EV_MAX; t++) {
		drops[t] = 0;
		if (bpf_map__lookup_elem(l->skel->maps.clawos_drops, &t, sizeof(t), vals, ncpu * sizeof(*vals), 0) < 0)
			continue;
		for (int c = 0; c < ncpu; c++)
			drops[t] += vals[c];
	}
	free(vals);
	return 0;
}

int bpf_loader_foreach_cgroup(struct bpf_loader *l,
			      void (*fn)(uint64_t cgid, const struct clawos_cgroup_counters *c, void *userdata),
			      void *userdata)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(l->skel->maps.clawos_cg_cnt);
	struct clawos_cgroup_counters *vals;
	uint64_t key, next;
	bool first = true;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	while (bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		struct clawos_cgroup_counters sum = {};

		first = false;
		key = next;
		if (bpf_map_lookup_elem(fd, &key, vals) < 0)
			continue;
		for (int c = 0; c < ncpu; c++) {
			sum.rx_packets += vals[c].rx_packets;
			sum.rx_bytes += vals[c].rx_bytes;
			sum.tx_packets += vals[c].tx_packets;
			sum.tx_bytes += vals[c].tx_bytes;
		}
		fn(key, &sum, userdata);
	}
	free(vals);
	return 0;
}

int bpf_loader_read_track_full(struct bpf_loader *l, uint64_t out[2])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (uint32_t i = 0; i < 2; i++) {
		out[i] = 0;
		if (bpf_map__lookup_elem(l->skel->maps.clawos_track_full, &i, sizeof(i), vals, ncpu * sizeof(*vals),
					 0) < 0)
			continue;
		for (int c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	free(vals);
	return 0;
}

/* Deletes the entries of the map that p does not have. */
static int map_prune(struct bpf_map *map, const struct kernel_map_plan *p)
{
	uint8_t key[KERNEL_MAP_PLAN_KEY], next[KERNEL_MAP_PLAN_KEY], stale[64][KERNEL_MAP_PLAN_KEY];
	int fd = bpf_map__fd(map);
	size_t n;

	/* deleting while walking would restart the walk: a batch at a time */
	do {
		void *prev = NULL;

		n = 0;
		while (n < ELEMENTSOF(stale) && bpf_map_get_next_key(fd, prev, next) == 0) {
			memcpy(key, next, p->key_size);
			prev = key;
			if (!kernel_map_plan_get(p, key))
				memcpy(stale[n++], key, p->key_size);
		}
		for (size_t i = 0; i < n; i++)
			if (bpf_map_delete_elem(fd, stale[i]) < 0 && errno != ENOENT)
				return log_error_errno(-errno, "Failed to delete a stale entry of BPF map %s: %m",
						       bpf_map__name(map));
	} while (n == ELEMENTSOF(stale));
	return 0;
}

int bpf_loader_sync_map(struct bpf_map *map, const struct kernel_map_plan *p)
{
	int fd = bpf_map__fd(map), r = 0;
	bool pruned = false;

	if (bpf_map__key_size(map) != p->key_size || bpf_map__value_size(map) != p->value_size)
		return log_error_errno(-EINVAL, "BPF map %s has %u-byte keys and %u-byte values, not %zu and %zu",
				       bpf_map__name(map), bpf_map__key_size(map), bpf_map__value_size(map),
				       p->key_size, p->value_size);
	for (size_t i = 0; i < p->n; i++) {
		r = bpf_map_update_elem(fd, p->keys[i], p->values[i], BPF_ANY) < 0 ? -errno : 0;
		if (r == -E2BIG && !pruned) {
			/* full of what the previous settings put there */
			pruned = true;
			r = map_prune(map, p);
			if (r < 0)
				return r;
			r = bpf_map_update_elem(fd, p->keys[i], p->values[i], BPF_ANY) < 0 ? -errno : 0;
		}
		if (r < 0)
			return log_error_errno(r, "Failed to update BPF map %s: %m", bpf_map__name(map));
	}
	return map_prune(map, p);
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int prio = level == LIBBPF_WARN ? LOG_WARNING : level == LIBBPF_INFO ? LOG_INFO : LOG_DEBUG;
	_cleanup_free_ char *text = NULL;
	char *line, *state = NULL;

	if (vasprintf(&text, fmt, ap) < 0)
		return 0;
	/* one log line per line: a verifier log is many */
	for (line = strtok_r(text, "\n", &state); line; line = strtok_r(NULL, "\n", &state))
		log_full_errno(prio, 0, "%s", line); /* libbpf says "libbpf: " itself */
	return 0;
}

void bpf_loader_log_libbpf(void)
{
	libbpf_set_print(libbpf_log);
}

/* A link that no longer holds its hook: a cgroup link detached from under
 * us (BPF_LINK_DETACH) reports cgroup id 0; a link whose info cannot be
 * read any more is broken too.  Returns how many are broken. */
int bpf_loader_self_check(struct bpf_loader *l, char *bad, size_t size)
{
	int broken = 0;

	if (size)
		bad[0] = '\0';
	for (size_t i = 0; i < l->n_links; i++) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_link__fd(l->links[i]);
		bool ok = bpf_obj_get_info_by_fd(fd, &info, &len) == 0;

		if (ok && info.type == BPF_LINK_TYPE_CGROUP && info.cgroup.cgroup_id == 0)
			ok = false;
		if (ok)
			continue;
		broken++;
		if (size > strlen(bad) + 1)
			snprintf(bad + strlen(bad), size - strlen(bad), "%slink %u", bad[0] ? ", " : "", info.id);
	}
	return broken;
}

int bpf_loader_set_syscall_hook(struct bpf_loader *l, bool on)
{
	if (!l->sys_enter_loaded || on == !!l->sys_enter)
		return 0;
	if (!on) {
		bpf_link__destroy(l->sys_enter);
		l->sys_enter = NULL;
		return 0;
	}
	l->sys_enter = bpf_program__attach(l->skel->progs.clawos_sys_enter);
	if (!l->sys_enter)
		return log_error_errno(negative_errno(), "Failed to attach the raw_syscalls/sys_enter program: %m");
	return 0;
}

int bpf_loader_take_kill_record(struct bpf_loader *l, struct clawos_kill_record *out)
{
	int fd = bpf_map__fd(l->skel->maps.clawos_killlog);
	struct clawos_kill_record none = {};
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, out) < 0 || out->sender_pid == 0 || out->target_pid == (__u32)getpid())
		return 0;
	bpf_map_update_elem(fd, &zero, &none, BPF_ANY);
	return 1;
}
