/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <systemd/sd-daemon.h>

#include "event-json.h"
#include "filters.h"
#include "cli.h"
#include "clock-step.h"
#include "iface.h"
#include "kernel-plan.h"
#include "log.h"
#include "manager.h"
#include "time-util.h"

static int64_t realtime_offset(void)
{
	return (int64_t)manager_realtime_ns() - (int64_t)manager_boot_ns();
}

static void manager_status(struct manager *m, const char *state)
{
	uint64_t drops[CLAWOS_EV_MAX] = {}, total = 0;

	if (m->loader)
		bpf_loader_read_drops(m->loader, drops);
	for (unsigned t = 0; t < CLAWOS_EV_MAX; t++)
		total += drops[t];
	sd_notifyf(0, "%sSTATUS=%s: file_open=%s connect=%s; %llu records out, %llu kernel drops", state,
		   m->probe.lsm_ok[PROBE_LSM_FILE_OPEN] ? "BPF-LSM" : "fallbacks",
		   mechanism_name(m->plan.hooks[HOOK_FILE_OPEN].mechanism),
		   mechanism_name(m->plan.hooks[HOOK_CONNECT].mechanism), (unsigned long long)m->records_out,
		   (unsigned long long)total);
}

/* Drains at most one batch; the number of records read, or -EAGAIN when
 * the batch filled up (more are waiting). */
static int ring_drain(struct manager *m)
{
	int r;

	m->batch = 0;
	m->ring_now_ns = manager_boot_ns();
	r = ring_buffer__consume(m->rb);
	m->ring_now_ns = 0;
	if (r < 0 && r != -EAGAIN)
		log_warning_errno(r, "Consuming the ring buffer failed: %m");
	manager_flush_outputs(m);
	return r == -EAGAIN ? r : (int)m->batch;
}

/*
 * The reader's wakeup policy.  Idle, the agent sleeps in epoll and the
 * first record wakes it at once.  Once it has read something, it stops
 * listening and comes back MANAGER_RING_POLL_US later to read what arrived
 * meanwhile, for as long as records keep coming; a poll that finds nothing
 * returns to epoll.  Under load this is one wakeup per interval instead of
 * one per record (each a context switch here and an IPI from the producing
 * CPU); a full batch is read again at once.  The interval bounds the added
 * latency, and the ring buffer holds far more than one interval of records.
 */
static void ring_schedule(struct manager *m, int drained)
{
	if (drained == -EAGAIN) {
		sd_event_source_set_enabled(m->rb_io, SD_EVENT_ON); /* still readable */
		sd_event_source_set_enabled(m->rb_poll, SD_EVENT_OFF);
	} else if (drained > 0) {
		sd_event_source_set_enabled(m->rb_io, SD_EVENT_OFF);
		sd_event_source_set_time_relative(m->rb_poll, MANAGER_RING_POLL_US);
		sd_event_source_set_enabled(m->rb_poll, SD_EVENT_ONESHOT);
	} else {
		sd_event_source_set_enabled(m->rb_poll, SD_EVENT_OFF);
		sd_event_source_set_enabled(m->rb_io, SD_EVENT_ON);
	}
}

void manager_ring_catch_up(struct manager *m)
{
	/* bounded: producers do not stop while we read */
	for (int i = 0; i < 64 && ring_drain(m) == -EAGAIN; i++)
		;
}

static int on_ring(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct manager *m = userdata;

	ring_schedule(m, ring_drain(m));
	return 0;
}

static int on_ring_poll(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct manager *m = userdata;

	ring_schedule(m, ring_drain(m));
	return 0;
}

static int on_stats_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct manager *m = userdata;

	m->realtime_offset_ns = realtime_offset(); /* follow clock steps */
	manager_emit_cgroups(m);
	iface_monitor_collect(m->iface);
	manager_emit_stats(m);
	manager_flush_outputs(m);
	manager_status(m, "");
	return sd_event_source_set_time_relative(s, (uint64_t)m->settings.stats_interval * USEC_PER_SEC);
}

/* Every few seconds: are all of our hooks still in place? */
static int on_self_check(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct manager *m = userdata;
	char bad[200];

	if (bpf_loader_self_check(m->loader, bad, sizeof(bad)) > 0) {
		struct clawos_anomaly_event a = {};

		manager_user_hdr(m, &a.hdr, CLAWOS_EV_ANOMALY, sizeof(a));
		a.kind = CLAWOS_ANOMALY_TAMPER;
		a.severity = CLAWOS_SEV_CRITICAL;
		a.mechanism = CLAWOS_MECH_USER;
		snprintf(a.rule, sizeof(a.rule), "self_check");
		snprintf(a.subject, sizeof(a.subject), "%s", bad);
		manager_raise(m, &a);
		manager_flush_outputs(m);
	}
	/* protected files replaced (new inode) or created since */
	targets_protect_refresh(m->loader, &m->settings, &m->tpaths);
	/* a one-shot source is off once dispatched: without this the check
	 * ran once, 5 s after the start */
	if (sd_event_source_set_time_relative(s, 5 * USEC_PER_SEC) < 0)
		return 0;
	return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

_Static_assert(MANAGER_RATE_ALL < RATE_WINDOW_COUNTERS, "every rate counter fits a sample");

/* Samples the counters for the per-second rates of `clawos-ebpf status`. */
/* Timestamps follow the wall clock whatever stats_interval is: at once
 * after a step (clock-step.c), every RATE_WINDOW_STEP_S for slewing. */
static void on_clock_step(void *userdata)
{
	struct manager *m = userdata;

	m->realtime_offset_ns = realtime_offset();
}

static int on_rate_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct manager *m = userdata;
	uint64_t c[RATE_WINDOW_COUNTERS] = {};
	int r;

	on_clock_step(m);
	manager_rate_counters(m, c);
	rate_window_sample(&m->rates, manager_boot_ns(), c);
	manager_flood_flush(m);
	r = sd_event_source_set_time_relative(s, RATE_WINDOW_STEP_S * USEC_PER_SEC);
	/* a one-shot source is off once dispatched: arm it again */
	return r < 0 ? r : sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int manager_setup_rates(struct manager *m)
{
	uint64_t c[RATE_WINDOW_COUNTERS] = {};

	manager_rate_counters(m, c);
	rate_window_init(&m->rates, MANAGER_RATE_ALL + 1, manager_boot_ns(), c);
	if (clock_step_watch(m->ev, &m->clock_step, on_clock_step, m) < 0)
		log_warning("Cannot watch the wall clock for steps; timestamps follow it every %d s",
			    RATE_WINDOW_STEP_S);
	return sd_event_add_time_relative(m->ev, &m->rate_timer, CLOCK_MONOTONIC, RATE_WINDOW_STEP_S * USEC_PER_SEC, 0,
					  on_rate_timer, m);
}

static int on_usr1(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct manager *m = userdata;

	manager_emit_stats(m);
	manager_flush_outputs(m);
	return 0;
}

static void emit_config_record(struct manager *m, const char *event, const char *old_sha, const char *new_sha,
			       const char *error, int priority)
{
	struct json_object *o = json_record_new(event, manager_realtime_ns());
	char msg[700];

	json_object_object_add(o, "path", json_object_new_string(m->opts.config_path));
	if (old_sha)
		json_object_object_add(o, "old_sha256", json_object_new_string(old_sha));
	if (new_sha)
		json_object_object_add(o, "new_sha256", json_object_new_string(new_sha));
	if (error)
		json_object_object_add(o, "error", json_object_new_string(error));
	snprintf(msg, sizeof(msg), "%s: %s", event, error ? error : m->opts.config_path);
	manager_emit_json(m, o, event, false, priority, msg, getpid(), "clawos-ebpf");
	json_object_put(o);
}

static int stat_path(const char *path, struct stat *st, _unused_ void *userdata)
{
	return stat(path, st) < 0 ? -errno : 0;
}

/* The CONFIG, filter, target and protection maps from settings s. */
int manager_kernel_config(struct manager *m, struct bpf_loader *l, const struct clawos_settings *s)
{
	const struct kernel_resolver res = {.stat = stat_path, .cgroup2 = m->probe.cgroup2_path};
	_cleanup_free_ struct kernel_plan *p = calloc(1, sizeof(*p));
	struct clawos_config kcfg;
	int r;

	if (!p)
		return log_error_errno(-ENOMEM, "Failed to plan the filter and target maps: %m");
	r = kernel_plan_make(p, s, &res);
	if (r < 0)
		return log_error_errno(r, "Failed to plan the filter and target maps: %m");
	r = filters_apply(l, p);
	if (r < 0)
		return log_error_errno(r, "Failed to fill the filter maps: %m");
	r = targets_apply(&m->targets, l, s, p, &m->tpaths);
	if (r < 0)
		return log_error_errno(r, "Failed to fill the target maps: %m");
	kernel_plan_config(s, p, m->targets.n_watch > 0, (uint32_t)getpid(), &kcfg);
	if (kcfg.aggregate_window && !bpf_loader_can_aggregate(l)) {
		log_warning("aggregate_window = %u is set, but this kernel cannot aggregate in BPF (needs bpf_timer, "
			    "Linux 5.15, and task storage): every open record is emitted",
			    kcfg.aggregate_window);
		kcfg.aggregate_window = 0;
	} else if (kcfg.aggregate_window) {
		log_info("Exact repeats of open records are aggregated in the kernel within %u ms",
			 kcfg.aggregate_window);
	}
	r = bpf_loader_update_config(l, &kcfg);
	if (r < 0)
		return r;
	/* on before the first target can exec, off when nothing needs it */
	return bpf_loader_set_syscall_hook(l, kernel_config_wants_syscall_hook(&kcfg));
}

static int manager_prepare_kernel(struct bpf_loader *l, void *userdata)
{
	struct manager *m = userdata;

	return manager_kernel_config(m, l, &m->settings);
}

static void manager_configure_detect(struct manager *m)
{
	const struct clawos_settings *s = &m->settings;
	struct detect_settings d = {
	    .cooldown_s = s->anomaly_cooldown,
	    .file_mode = s->file_access_violation_mode,
	    .enforce_available = m->plan.hooks[HOOK_FILE_OPEN].mechanism == CLAWOS_MECH_LSM,
	    .connect_threshold = s->network_suspicious_threshold,
	    .distinct_threshold = s->network_distinct_threshold,
	    .deny_ports = s->network_deny_ports,
	    .deny_cidrs = s->network_deny_cidrs,
	};

	detect_configure(m->detect, &d);
}

/* What the outputs write themselves (events_lost, journal_suppressed, the
 * greeting) in their format; the manager picks each record's line. */
static void manager_set_formats(struct manager *m)
{
	const char *host = enrich_host(m->enrich);

	if (m->out_socket) {
		output_socket_set_format(m->out_socket, m->settings.socket_format, host);
		manager_set_greeting(m);
	}
	if (m->out_journal)
		output_journal_set_format(m->out_journal, m->settings.journal_format, host);
	if (m->out_connect)
		output_connect_set_format(m->out_connect, m->settings.connect_format, host);
}

static void manager_apply_live(struct manager *m, struct clawos_settings *next, const char *sha)
{
	const char *restart[SETTINGS_RESTART_ONLY_MAX];
	char old_sha[SHA256_HEX_SIZE];
	size_t n;

	if (manager_kernel_config(m, m->loader, next) < 0) {
		emit_config_record(m, "config_reload_failed", m->config_sha256, sha, "CONFIG map update failed",
				   LOG_ERR);
		settings_done(next);
		return;
	}
	/* restart-only settings keep their running values */
	n = settings_keep_restart_only(next, &m->settings, restart, ELEMENTSOF(restart));
	for (size_t i = 0; i < n; i++)
		log_notice("Setting '%s' changed; it takes effect after a restart", restart[i]);
	snprintf(old_sha, sizeof(old_sha), "%s", m->config_sha256);
	settings_done(&m->settings);
	m->settings = *next;
	iface_monitor_set_threshold(m->iface, m->settings.network_egress_threshold_bytes);
	if (m->out_socket)
		output_socket_set_limits(m->out_socket, m->settings.max_clients, m->settings.client_queue_size,
					 m->settings.client_stall_timeout, m->settings.client_queue_budget);
	if (m->out_journal)
		output_journal_set_rate_limit(m->out_journal, m->settings.journal_rate_limit);
	manager_set_formats(m);
	snprintf(m->config_sha256, sizeof(m->config_sha256), "%s", sha);
	sd_event_source_set_time_relative(m->stats_timer, (uint64_t)MAX(m->settings.stats_interval, 1u) * USEC_PER_SEC);
	sd_event_source_set_enabled(m->stats_timer, m->settings.stats_interval ? SD_EVENT_ON : SD_EVENT_OFF);
	manager_configure_detect(m);
	log_info("Configuration reloaded from %s", m->opts.config_path);
	emit_config_record(m, "config_changed", old_sha, sha, NULL, LOG_NOTICE);
	/* the rule files are read again even when sigma_rules did not change */
	manager_rules_load(m, true);
}

/* The terminal the agent was started from has hung up: a closed window or
 * a dropped ssh session.  Its file descriptors then fail every ioctl with
 * EIO (the kernel swapped in its hung-up operations before sending SIGHUP). */
static bool manager_terminal_gone(const struct manager *m)
{
	struct termios t;

	for (int fd = 0; fd < 3; fd++)
		if (m->tty_fds[fd] && tcgetattr(fd, &t) < 0 && errno == EIO)
			return true;
	return false;
}

static int on_hup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct manager *m = userdata;
	struct clawos_settings next = {};
	struct clawos_config_error err = {};
	char sha[SHA256_HEX_SIZE] = "", text[900];
	int r;

	/* in the foreground, SIGHUP from a terminal that went away means stop:
	 * nobody can see the records, and an orphan must not keep its programs
	 * attached; otherwise (systemd, a live terminal) it means reload */
	if (manager_terminal_gone(m)) {
		log_notice("SIGHUP: the terminal is gone, stopping");
		sd_notify(0, "STOPPING=1");
		return sd_event_exit(sd_event_source_get_event(s), 0);
	}
	sd_notify(0, "RELOADING=1");
	r = config_load_file(m->opts.config_path, &next, &err, sha);
	if (r < 0) {
		config_error_format(&err, text, sizeof(text));
		log_error("Reload refused, keeping the running configuration: %s", text);
		emit_config_record(m, "config_reload_failed", m->config_sha256, sha[0] ? sha : NULL, text, LOG_ERR);
	} else {
		manager_apply_live(m, &next, sha);
	}
	manager_flush_outputs(m);
	manager_status(m, "READY=1\n");
	return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	sd_notify(0, "STOPPING=1");
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* A previous instance killed with SIGKILL could not say so itself. */
static void manager_report_previous_kill(struct manager *m)
{
	struct clawos_kill_record k;
	struct clawos_anomaly_event a = {};

	if (bpf_loader_take_kill_record(m->loader, &k) <= 0)
		return;
	manager_user_hdr(m, &a.hdr, CLAWOS_EV_ANOMALY, sizeof(a));
	a.hdr.ts_ns = k.ts_ns;
	a.hdr.pid = a.hdr.tid = k.sender_pid;
	a.hdr.uid = k.sender_uid;
	memcpy(a.hdr.comm, k.comm, sizeof(a.hdr.comm));
	a.kind = CLAWOS_ANOMALY_TAMPER;
	a.severity = CLAWOS_SEV_CRITICAL;
	a.mechanism = CLAWOS_MECH_TRACEPOINT;
	a.observed = k.sig;
	snprintf(a.rule, sizeof(a.rule), "signal_agent");
	snprintf(a.description, sizeof(a.description),
		 "%.16s[%u] sent SIGKILL to the agent (pid %u, the previous instance)", k.comm, k.sender_pid,
		 k.target_pid);
	manager_raise(m, &a);
}

static int manager_setup_outputs(struct manager *m)
{
	bool want_stdout =
	    m->settings.stdout_output == CLAWOS_YES || (m->settings.stdout_output == CLAWOS_AUTO && m->opts.foreground);
	int r;

	if (want_stdout) {
		bool tty = isatty(STDOUT_FILENO);
		enum output_format f = output_format_resolve(m->opts.stdout_format, tty);
		struct output_stdout_params p = {
		    .queue_max = 16u << 20,
		    .text = f == OUTPUT_FORMAT_TEXT,
		    .color = output_color_wanted(f, tty, getenv("NO_COLOR")),
		    .stop_on_hangup = m->tty_fds[STDOUT_FILENO],
		};

		r = output_stdout_new(&m->out_stdout, m->ev, &p);
		if (r < 0)
			return log_error_errno(r, "Failed to set up stdout output: %m");
	}
	if (m->settings.socket_enabled) {
		struct output_socket_params p = {
		    .path = m->settings.socket_path,
		    .mode = m->settings.socket_mode,
		    .group = m->settings.socket_group,
		    .max_clients = m->settings.max_clients,
		    .client_queue_max = m->settings.client_queue_size,
		    .stall_timeout_s = m->settings.client_stall_timeout,
		    .queue_budget = m->settings.client_queue_budget,
		};

		r = output_socket_new(&m->out_socket, m->ev, &p);
		if (r < 0)
			return r;
	}
	if (m->settings.connect_enabled) {
		r = output_connect_new(&m->out_connect, m->ev, m->settings.connect_path,
				       m->settings.connect_buffer_size);
		if (r < 0)
			return log_error_errno(r, "Failed to set up the connect-mode output: %m");
	}
	if (m->settings.journal_enabled) {
		r = output_journal_new(&m->out_journal, m->settings.journal_rate_limit);
		if (r < 0)
			return r;
	}
	manager_set_formats(m);
	return 0;
}

static int manager_setup_loop(struct manager *m)
{
	static const struct {
		int sig;
		sd_event_signal_handler_t handler;
	} signals[] = {
	    {SIGTERM, on_exit_signal},
	    {SIGINT, on_exit_signal},
	    {SIGHUP, on_hup},
	    {SIGUSR1, on_usr1},
	};
	sigset_t mask;
	int r;

	r = sd_event_default(&m->ev);
	if (r < 0)
		return log_error_errno(r, "Failed to allocate the event loop: %m");
	sigemptyset(&mask);
	for (size_t i = 0; i < ELEMENTSOF(signals); i++)
		sigaddset(&mask, signals[i].sig);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_error_errno(-errno, "Failed to block the signals the event loop handles: %m");
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < ELEMENTSOF(signals); i++) {
		r = sd_event_add_signal(m->ev, NULL, signals[i].sig, signals[i].handler, m);
		if (r < 0)
			return log_error_errno(r, "Failed to handle %s: %m", strsignal(signals[i].sig));
	}
	r = sd_event_add_time_relative(m->ev, &m->stats_timer, CLOCK_MONOTONIC,
				       (uint64_t)MAX(m->settings.stats_interval, 1u) * USEC_PER_SEC, 0, on_stats_timer,
				       m);
	if (r < 0)
		return log_error_errno(r, "Failed to add the stats timer: %m");
	sd_event_source_set_enabled(m->stats_timer, m->settings.stats_interval ? SD_EVENT_ON : SD_EVENT_OFF);
	return 0;
}

static int manager_setup_bpf(struct manager *m)
{
	int r;

	if (!m->probe.btf)
		return log_error_errno(-ENOTSUP, "The kernel has no BTF (/sys/kernel/btf/vmlinux); CO-RE cannot load");
	if (!m->probe.ringbuf && m->probe.ringbuf_error == -EPERM)
		return log_error_errno(-EPERM, "Not allowed to create BPF maps: CAP_BPF (or root) is needed");
	if (!m->probe.ringbuf)
		return log_error_errno(-ENOTSUP, "The kernel has no BPF ring buffer (needs Linux 5.8 or later): %s",
				       strerror(-m->probe.ringbuf_error));
	hook_plan_make(&m->plan, &m->probe);
	bpf_loader_set_tracked_max(m->settings.max_tracked_processes);
	r = bpf_loader_start(&m->loader, &m->plan, &m->probe, m->settings.ring_buffer_size, manager_prepare_kernel, m);
	if (r < 0)
		return r;
	/* attached first, then /proc: a process born in between is seen by
	 * both, none by neither */
	proctable_seed(&m->procs, "/proc");
	targets_adopt_running(&m->targets, m->loader, &m->settings, &m->procs);
	manager_configure_detect(m);
	if (m->settings.file_access_violation_mode == 2 && m->plan.hooks[HOOK_FILE_OPEN].mechanism != CLAWOS_MECH_LSM)
		log_warning("file_access_violation_mode = 2 (enforce) needs BPF-LSM, which this kernel refuses: "
			    "protected paths are alerted on, not denied");
	m->rb = ring_buffer__new(bpf_loader_ringbuf_fd(m->loader), manager_on_ring_sample, m, NULL);
	if (!m->rb)
		return log_error_errno(negative_errno(), "Failed to set up the ring buffer reader: %m");
	r = sd_event_add_io(m->ev, &m->rb_io, ring_buffer__epoll_fd(m->rb), EPOLLIN, on_ring, m);
	if (r < 0)
		return log_error_errno(r, "Failed to watch the ring buffer: %m");
	r = sd_event_add_time_relative(m->ev, &m->rb_poll, CLOCK_MONOTONIC, MANAGER_RING_POLL_US,
				       MANAGER_RING_POLL_US / 10, on_ring_poll, m);
	if (r < 0)
		return log_error_errno(r, "Failed to add the ring buffer poll timer: %m");
	sd_event_source_set_enabled(m->rb_poll, SD_EVENT_OFF);
	for (int h = 0; h < _HOOK_MAX; h++) {
		const struct hook_status *st = &m->plan.hooks[h];
		/* on a terminal the startup line sums the active hooks up: the
		 * person sees only those that are not (the journal gets all) */
		int level = m->tty_fds[STDERR_FILENO] && st->state == HOOK_ACTIVE ? LOG_DEBUG : LOG_INFO;

		log_full_errno(level, 0, "hook %-13s %-10s %-8s %s", st->name, mechanism_name(st->mechanism),
			       hook_state_name(st->state), st->reason);
	}
	return 0;
}

static void on_iface_record(const struct iface_record *r, void *userdata)
{
	struct manager *m = userdata;

	if (r->raw && r->raw->type == CLAWOS_EV_ANOMALY) {
		/* the same de-duplication and text as every other anomaly */
		r->raw->seq = ++m->user_seq;
		manager_raise(m, (struct clawos_anomaly_event *)r->raw);
	} else if (r->raw) {
		r->raw->seq = ++m->user_seq;
		m->events_by_type[r->raw->type]++;
		manager_emit_record(m, r->raw);
	} else {
		manager_emit_json(m, r->json, r->event, r->trace, r->priority, r->message, 0, NULL);
	}
	if (!r->trace) /* state changes arrive outside the stats timer */
		manager_flush_outputs(m);
}

/* tc counters on the configured interfaces plus --iface; -ENODEV (a
 * missing interface) and too many names are configuration errors. */
static int manager_setup_iface(struct manager *m)
{
	const struct clawos_string_list *cfg = &m->settings.interfaces;
	char *names[CLAWOS_IFACE_MAX];
	size_t n = 0;

	for (size_t i = 0; i < cfg->n + m->opts.n_ifaces; i++) {
		char *name = i < cfg->n ? cfg->items[i] : m->opts.ifaces[i - cfg->n];
		bool dup = false;

		for (size_t j = 0; j < n; j++)
			dup = dup || strcmp(names[j], name) == 0;
		if (dup)
			continue;
		if (n == CLAWOS_IFACE_MAX)
			return log_error_errno(-E2BIG, "More than %d interfaces to watch (interfaces = and --iface)",
					       CLAWOS_IFACE_MAX);
		names[n++] = name;
	}
	if (n == 0)
		return 0;
	return iface_monitor_new(&m->iface, m->ev, names, n, m->settings.network_egress_threshold_bytes,
				 on_iface_record, m);
}

/* Frees what m holds; safe on a half-built one (zeroed, control_fd -1). */
static void manager_done(struct manager *m)
{
	manager_control_stop(m);
	sd_event_source_disable_unref(m->rb_io);
	sd_event_source_disable_unref(m->rb_poll);
	sd_event_source_disable_unref(m->stats_timer);
	sd_event_source_disable_unref(m->rate_timer);
	sd_event_source_disable_unref(m->clock_step);
	ring_buffer__free(m->rb);
	m->iface = iface_monitor_free(m->iface);
	m->loader = bpf_loader_free(m->loader);
	output_journal_free(m->out_journal);
	output_connect_free(m->out_connect);
	output_socket_free(m->out_socket);
	output_stdout_free(m->out_stdout);
	enrich_free(m->enrich);
	for (unsigned f = 0; f < _RECORD_FORMAT_MAX; f++)
		jw_free(&m->jw[f]);
	event_json_forget();
	json_object_put(m->startup);
	cg_delta_done(&m->cg_delta);
	proctable_done(&m->procs);
	detect_free(m->detect);
	manager_rules_free(m);
	settings_done(&m->settings);
	sd_event_unref(m->ev);
}

static int manager_load_config(struct manager *m)
{
	struct clawos_config_error err = {};
	char text[900];
	int r = config_load_file(m->opts.config_path, &m->settings, &err, m->config_sha256);

	if (r < 0) {
		config_error_format(&err, text, sizeof(text));
		log_error("%s", text);
		return -EINVAL;
	}
	return 0;
}

/* The exit status for a failed start: a kernel that cannot run us (no BTF,
 * no ring buffer, no privilege, verifier refusal) is not worth a restart. */
static int bpf_failure_status(int r)
{
	return r == -ENOTSUP || r == -EPERM || r == -EACCES || r == -E2BIG || r == -EINVAL ? EXIT_UNAVAILABLE
											   : EXIT_FAILURE;
}

int manager_run(const struct manager_options *opts)
{
	_cleanup_(manager_done) struct manager m = {.opts = *opts, .control_fd = -1};
	int r, status;
	ssize_t n;

	if (manager_load_config(&m) < 0)
		return CLAWOS_EXIT_CONFIG;
	for (int fd = 0; fd < 3; fd++)
		m.tty_fds[fd] = opts->foreground && isatty(fd);
	/* before the hooks: records do not wait while the rules compile */
	manager_rules_load(&m, false);
	targets_init(&m.targets);
	n = readlink("/proc/self/exe", m.agent_exe, sizeof(m.agent_exe) - 1);
	m.agent_exe[n > 0 ? n : 0] = '\0';
	m.tpaths = (struct targets_paths){.config_path = opts->config_path,
					  .agent_exe = m.agent_exe,
					  .unit_path = "/lib/systemd/system/clawos-ebpf.service"};
	if (proctable_init(&m.procs) < 0 || detect_new(&m.detect) < 0) {
		log_error_errno(-ENOMEM, "Failed to allocate the process table and detection state: %m");
		return EXIT_FAILURE;
	}
	cg_delta_init(&m.cg_delta);
	m.start_boot_ns = manager_boot_ns();
	m.realtime_offset_ns = realtime_offset();
	if (manager_setup_loop(&m) < 0)
		return EXIT_FAILURE;
	probe_kernel(&m.probe, opts->no_lsm);
	if (enrich_new(&m.enrich, m.probe.cgroup2_path) < 0)
		return EXIT_FAILURE;
	/* BPF first, outputs after: a kernel that cannot run us leaves no socket behind */
	r = manager_setup_bpf(&m);
	if (r < 0)
		return bpf_failure_status(r);
	r = manager_setup_iface(&m);
	if (r < 0)
		return r == -ENODEV || r == -E2BIG ? CLAWOS_EXIT_CONFIG : EXIT_FAILURE;
	if (manager_setup_outputs(&m) < 0 || manager_control_start(&m) < 0)
		return EXIT_FAILURE;
	r = sd_event_add_time_relative(m.ev, NULL, CLOCK_MONOTONIC, 5 * USEC_PER_SEC, 0, on_self_check, &m);
	if (r >= 0)
		r = manager_setup_rates(&m);
	if (r < 0) {
		log_error_errno(r, "Failed to add the self-check and rate timers: %m");
		return EXIT_FAILURE;
	}
	manager_emit_startup(&m);
	manager_rules_emit_loaded(&m);
	manager_report_previous_kill(&m);
	manager_emit_cgroups(&m);
	manager_flush_outputs(&m);
	/* the watchdog only once loading (slow on emulated CPUs) is over */
	r = sd_event_set_watchdog(m.ev, true);
	if (r < 0)
		log_warning_errno(r, "Failed to enable the watchdog: %m");
	manager_status(&m, "READY=1\n");
	r = sd_event_loop(m.ev);
	status = r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	/* the repeats still counted in the kernel into the ring, drained below */
	bpf_loader_stop_aggregation(m.loader);
	/* drain what the kernel already produced before detaching, a bounded
	 * amount: producers do not stop while we do */
	for (int i = 0; i < 16; i++) {
		m.batch = 0;
		if (ring_buffer__consume(m.rb) != -EAGAIN)
			break;
	}
	manager_emit_shutdown(&m, status);
	manager_flush_outputs(&m);
	return status;
}
