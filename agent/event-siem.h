/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Shared by the ECS and OCSF writers (event-ecs*.c, event-ocsf*.c,
 * event-agent-siem.c): how each kind of record is classified in both
 * schemas, one row per kind (the tables of clawos-ebpf-events(7)), and small
 * helpers over the kernel records.  A new kind of record, or a new anomaly
 * kind, is one row here plus its fields in each writer.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/clawos-abi.h"
#include "json-writer.h"

struct event_context;

#define SIEM_MODULE "clawos"	      /* event.module, ECS custom namespace */
#define SIEM_AGENT_TYPE "clawos-ebpf" /* agent.type, metadata.product.name */
#define SIEM_VENDOR "clawos"	      /* metadata.product.vendor_name */

/* The OCSF classes records map to. */
enum siem_ocsf_id {
	OCSF_BASE_EVENT,    /* 0: records OCSF has no class for */
	OCSF_FILE_ACTIVITY, /* 1001 */
	OCSF_PROCESS_ACTIVITY,
	OCSF_DETECTION_FINDING,
	OCSF_NETWORK_ACTIVITY,
	OCSF_APP_LIFECYCLE,
	_OCSF_CLASS_MAX,
};

struct siem_ocsf_class {
	uint16_t class_uid;
	uint8_t category_uid;
	const char *class_name, *category_name;
};

extern const struct siem_ocsf_class siem_ocsf_classes[_OCSF_CLASS_MAX];

/* One kind of record in both schemas. */
struct siem_class {
	const char *action;	     /* event.action; OCSF activity_name when the activity is Other */
	const char *ecs_kind;	     /* event.kind */
	const char *ecs_category[2]; /* event.category (NULL-terminated when shorter) */
	const char *ecs_type[2];     /* event.type */
	uint8_t ocsf;		     /* enum siem_ocsf_id */
	uint8_t activity_id;
	uint8_t severity_id; /* 0: from the record (anomalies) */
	const char *activity_name, *type_name;
};

#define OCSF_ACTIVITY_OTHER 99

/* The row of a kernel record (fork and exit, each network operation and
 * anomaly kind are rows of their own). */
const struct siem_class *siem_class_of(const struct clawos_event_hdr *h);
/* The row of an agent record, by its native "event" name. */
const struct siem_class *siem_agent_class(const char *event);

/* OCSF severity_id (1 Informational .. 5 Critical) of enum clawos_severity;
 * ECS event.severity uses the same numbers. */
unsigned siem_severity_id(unsigned severity);

/* The IP protocol number of enum clawos_proto (0: unknown), and the
 * transport name of an IP protocol number (NULL: none we name). */
unsigned siem_ip_proto(unsigned proto, bool inet6);
const char *siem_transport_name(unsigned ip_proto);

/* The length of the argv string of an exec record at *off (NUL-separated),
 * or -1 past the last; the next one is at *off + length + 1.  Loop as
 * for (; (n = siem_exec_arg(e, &off)) >= 0; off += n + 1). */
long siem_exec_arg(const struct clawos_exec_event *e, size_t *off);
/* The number of argv strings of an exec record. */
unsigned siem_exec_argc(const struct clawos_exec_event *e);
/* argv joined with spaces, no quoting (Sysmon's CommandLine; the join
 * SigmaHQ's Linux rules are written against); length into out. */
size_t siem_command_line(const struct clawos_exec_event *e, char *out, size_t size);

/* A Sigma tag in MITRE ATT&CK terms: "attack.execution" is the tactic
 * TA0002 Execution, "attack.t1059" the technique T1059 and
 * "attack.t1059.004" the sub-technique T1059.004 of T1059.  Groups,
 * software and other namespaces are none of these. */
enum siem_attack_kind { SIEM_ATTACK_NONE, SIEM_ATTACK_TACTIC, SIEM_ATTACK_TECHNIQUE, SIEM_ATTACK_SUBTECHNIQUE };
struct siem_attack {
	enum siem_attack_kind kind;
	char id[16];	    /* "TA0002", "T1059", "T1059.004" */
	char technique[16]; /* of a sub-technique: "T1059" */
	const char *name;   /* a tactic's name; NULL otherwise */
};
enum siem_attack_kind siem_attack_parse(const char *tag, struct siem_attack *a);

/* A path (any bytes, cleaned) as the members keys[0..3]: the path, its
 * last component (always, maybe empty), its directory (absolute paths
 * only) and the extension
 * of the last component ("gz" of "a.tar.gz"; none for ".bashrc"). */
void siem_file_path(struct json_writer *w, const char *path, size_t max, const char *const keys[4]);

/* Writes key: [v[0], v[1], extra] skipping NULLs. */
void siem_string_array(struct json_writer *w, const char *key, const char *const v[2], const char *extra);
/* Decimal text of an id, for the schemas that carry ids as strings. */
void siem_id_string(struct json_writer *w, const char *key, uint64_t id);

/* Members that are the same for many records (the classification of a
 * kind, the product, ...) are written once by build(w, k1, k2) into a
 * private writer and then copied with jw_members() from a small cache, per
 * thread, keyed by (k1, k2): the writers stay the one place of every
 * field, and most of a record's constant text costs a memcpy.  Falls back
 * to build() on w itself when the cache is full. */
typedef void (*siem_build_fn)(struct json_writer *w, const void *k1, uintptr_t k2);
void siem_members(struct json_writer *w, siem_build_fn build, const void *k1, uintptr_t k2);

/* The same, keyed by the text of s (build(w, s, 0)): for values that stay
 * the same but live in buffers, like the host name. */
void siem_members_text(struct json_writer *w, siem_build_fn build, const char *s);

/* key: the RFC 3339 text of realtime_ns (nothing if it cannot be formatted). */
void siem_time(struct json_writer *w, const char *key, uint64_t realtime_ns);

/* The wall-clock time of a record in nanoseconds. */
/* The "file" object of a file record in the custom part of the ECS and OCSF
 * records: the native record's members after the path (raw: the unfolded
 * path, or NULL), result and verdict. */
void siem_file_json(struct json_writer *w, const struct clawos_file_event *e, const char *raw);

/* The writers of one SIEM format, one per record type (network: both
 * families). */
struct siem_writers {
	void (*exec)(struct json_writer *w, const struct clawos_exec_event *e, const struct event_context *ctx);
	void (*lifecycle)(struct json_writer *w, const struct clawos_proc_event *e, const struct event_context *ctx);
	void (*file)(struct json_writer *w, const struct clawos_file_event *e, const struct event_context *ctx);
	void (*network)(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx);
	void (*cgroup)(struct json_writer *w, const struct clawos_cgroup_event *e, const struct event_context *ctx);
	void (*anomaly)(struct json_writer *w, const struct clawos_anomaly_event *e, const struct event_context *ctx);
	void (*syscall)(struct json_writer *w, const struct clawos_syscall_event *e, const struct event_context *ctx);
};

/* A validated kernel record written by the writer of its type in t, as one
 * line in w's buffer; NULL for a type t has no writer for, or when memory
 * ran out. */
const char *siem_write(struct json_writer *w, const struct clawos_event_hdr *h, const struct event_context *ctx,
		       size_t *len, const struct siem_writers *t);

uint64_t siem_realtime_ns(const struct clawos_event_hdr *h, const struct event_context *ctx);
/* "2026-01-02T03:04:05.123456789Z" back to nanoseconds; 0 on bad text. */
uint64_t siem_parse_rfc3339(const char *s);
