/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The daemon: one sd-event loop tying hooks -> ring buffer -> decode ->
 * enrich -> JSON -> outputs, plus signals (TERM/INT stop, HUP reload, USR1
 * stats), timers (stats, cgroup counters) and sd_notify.
 */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "cgroup-delta.h"
#include "bpf-loader.h"
#include "config.h"
#include "decode.h"
#include "detect.h"
#include "enrich.h"
#include "json-writer.h"
#include "output-format.h"
#include "output.h"
#include "probe.h"
#include "rate-window.h"
#include "proctable.h"
#include "record-format.h"
#include "rules.h"
#include "targets.h"

struct ring_buffer;
struct rules_event_buf;
struct iface_monitor;

struct manager_options {
	const char *config_path;
	bool foreground;
	bool no_lsm;
	enum output_format stdout_format; /* --format: of the records on stdout */
	char **ifaces;			  /* --iface, added to the configuration's interfaces */
	size_t n_ifaces;
};

#define MANAGER_RING_BATCH 1024	  /* records per turn: about 1 MiB of JSON, well under a client queue */
#define MANAGER_RING_POLL_US 1000 /* busy: read the ring buffer every 1 ms (see on_ring) */

struct manager {
	struct manager_options opts;
	sd_event *ev;
	struct clawos_settings settings;
	char config_sha256[SHA256_HEX_SIZE];
	struct probe_result probe;
	struct hook_plan plan;
	struct bpf_loader *loader;
	struct ring_buffer *rb;
	sd_event_source *rb_io, *rb_poll, *stats_timer;
	struct enrich *enrich;
	struct output_stdout *out_stdout;
	struct output_socket *out_socket;
	struct output_journal *out_journal;
	struct output_connect *out_connect;
	int64_t realtime_offset_ns;
	uint64_t start_boot_ns;
	uint32_t user_seq;
	uint64_t events_by_type[CLAWOS_EV_MAX];
	uint64_t decode_errors[_DECODE_ERROR_MAX];
	uint64_t records_out;
	struct cg_delta cg_delta; /* cgroup counters of the last collection */
	uint64_t cg_last_ns;
	unsigned batch;		     /* ring records read in this turn of the loop */
	uint64_t ring_now_ns;	     /* CLOCK_BOOTTIME when this turn began, 0 outside it */
	struct iface_monitor *iface; /* NULL without interfaces to watch */
	struct proctable procs;
	/* one buffer per format, reused: a record is encoded once per format
	 * that some output wants, and each output takes its format's line */
	struct json_writer jw[_RECORD_FORMAT_MAX];
	struct json_object *startup; /* for the socket's greeting in its format */
	struct detect *detect;
	struct rules_engine *rules;	   /* NULL: no sigma_rules */
	struct rules_event_buf *rules_buf; /* the record being evaluated */
	const struct clawos_event_hdr *rules_trigger;
	struct json_object *rules_loaded; /* the start's rules_loaded record, until emitted */
	bool rules_loaded_errors;
	uint64_t rules_hits;
	struct targets targets;
	struct targets_paths tpaths;
	char agent_exe[4096];
	sd_event_source *control_io;
	int control_fd;
	char control_path[108];
	bool tty_fds[3]; /* foreground: stdin, stdout, stderr were a terminal at start */
	struct rate_window rates;
	sd_event_source *rate_timer;
	sd_event_source *clock_step; /* wall clock steps: realtime_offset_ns */
};

/* manager.c: the loop */
/* Runs until stopped; returns the process exit status. */
int manager_run(const struct manager_options *opts);
/* Reads what the ring buffer holds now: records the kernel produced before
 * a control request are applied (e.g. the fork of the process that asks to
 * be watched) before the request is. */
void manager_ring_catch_up(struct manager *m);
int manager_kernel_config(struct manager *m, struct bpf_loader *l, const struct clawos_settings *s);

/* manager-records.c: records from the ring buffer and from user space */
int manager_on_ring_sample(void *ctx, void *data, size_t size);
void manager_emit_record(struct manager *m, const struct clawos_event_hdr *h);
void manager_emit_json(struct manager *m, struct json_object *o, const char *event, bool trace, int priority,
		       const char *message, uint32_t pid, const char *comm);
/* The socket's greeting (the startup record) in its format. */
void manager_set_greeting(struct manager *m);
/* Header of a record user space makes itself (cgroup, self-check, ...). */
void manager_user_hdr(struct manager *m, struct clawos_event_hdr *h, uint8_t type, uint16_t size);
void manager_emit_startup(struct manager *m);
void manager_emit_shutdown(struct manager *m, int status);
void manager_emit_stats(struct manager *m);
void manager_emit_cgroups(struct manager *m);
void manager_flush_outputs(struct manager *m);
/* The counters of a stats record (kernel drops, records per type, decode
 * errors, outputs, anomalies, uptime, RSS, config hash) added to o: one
 * place for the stats record and `clawos-ebpf status`. */
void manager_stats_fill(struct manager *m, struct json_object *o);
/* Mechanism, state and reason per hook (startup record, status). */
struct json_object *manager_hooks_json(struct manager *m);
struct json_object *manager_aggregation_json(struct manager *m);
/* "exec", "network6", ...: the key of a record type in per-type counters. */
const char *manager_type_key(unsigned type, char *buf, size_t size);
uint64_t manager_boot_ns(void);
uint64_t manager_realtime_ns(void);
/* Emits flood control's due summaries (detect_flush). */
void manager_flood_flush(struct manager *m);
/* An anomaly from the kernel or user space: de-duplicated, completed, emitted. */
void manager_raise(struct manager *m, struct clawos_anomaly_event *a);
/* The same for a Sigma hit, whose JSON carries sigma, at priority. */
void manager_raise_sigma(struct manager *m, struct clawos_anomaly_event *a, const struct event_sigma *sigma,
			 int priority);

/* manager-status.c: the reply to STATUS on the control socket */
struct json_object *manager_status_json(struct manager *m);
void manager_rate_counters(const struct manager *m, uint64_t *out);
#define MANAGER_RATE_ALL CLAWOS_EV_MAX /* index of all records written, after the per-type ones */

/* manager-rules.c: sigma_rules in the daemon */
int manager_rules_load(struct manager *m, bool reload);
void manager_rules_emit_loaded(struct manager *m);
void manager_rules_record(struct manager *m, const struct clawos_event_hdr *h);
void manager_rules_free(struct manager *m);

/* manager-control.c: the root-only control socket of `clawos-ebpf watch` */
int manager_control_start(struct manager *m);
void manager_control_stop(struct manager *m);
