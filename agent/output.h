/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Outputs of security records: stdout, the Unix stream socket the agent
 * listens on, the one it connects to (a listening shipper) and journald.
 * None of them may block the kernel reader: records are queued per reader
 * with a bound, and what does not fit is dropped and counted.
 */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

struct output_record {
	const char *json; /* one JSON object, no newline */
	size_t len;
	const char *event;   /* CLAWOS_EVENT value */
	bool trace;	     /* a trace record (vs. anomaly/summary) */
	int priority;	     /* syslog priority for the journal */
	const char *message; /* human-readable MESSAGE= */
	uint32_t pid;
	const char *comm;
	const char *id_key; /* the MESSAGE_ID's entry when not event's (a sigma anomaly) */
	/* The record in each enum record_format the manager encoded it in
	 * (NULL: not encoded), for socket clients that asked for a format
	 * other than the socket's (json is the socket's); NULL: none. */
	const char *const *json_by_format;
	const size_t *len_by_format;
};

struct json_object;

/* ---- stdout ---- */
struct output_stdout_params {
	size_t queue_max;
	bool text;	     /* the text form of event-text.h instead of NDJSON */
	bool color;	     /* with text: ANSI colours */
	bool stop_on_hangup; /* stdout is the agent's terminal: EIO (it hung up) stops the loop */
};

struct output_stdout;
int output_stdout_new(struct output_stdout **ret, sd_event *ev, const struct output_stdout_params *p);
struct output_stdout *output_stdout_free(struct output_stdout *o);
void output_stdout_push(struct output_stdout *o, const struct output_record *r);
void output_stdout_flush(struct output_stdout *o);
uint64_t output_stdout_dropped(const struct output_stdout *o);

/* ---- Unix stream socket, listen mode ---- */
struct output_socket_params {
	const char *path;
	uint32_t mode;
	const char *group; /* NULL or "" keeps the agent's group */
	uint32_t max_clients;
	size_t client_queue_max;
	uint32_t stall_timeout_s; /* 0: never disconnect a stalled client */
	size_t queue_budget;	  /* bytes queued for all clients together; 0: no bound */
};

struct output_socket_stats {
	uint32_t clients;
	uint64_t accepted, refused, disconnected;
	uint64_t dropped;	/* records dropped for all clients together */
	uint64_t stalled;	/* clients disconnected for not reading */
	uint64_t accept_errors; /* accept() failed: out of descriptors or memory */
	uint64_t queued_bytes;	/* queued now, all clients together (within queue_budget) */
};

struct output_socket;
int output_socket_new(struct output_socket **ret, sd_event *ev, const struct output_socket_params *p);
struct output_socket *output_socket_free(struct output_socket *o);
void output_socket_push(struct output_socket *o, const struct output_record *r);
void output_socket_flush(struct output_socket *o);
void output_socket_get_stats(const struct output_socket *o, struct output_socket_stats *s);
/* The format (enum record_format) of the records pushed, for the
 * events_lost records the socket writes itself, and the host name to put
 * in them. */
void output_socket_set_format(struct output_socket *o, int format, const char *host);
/* A record every new client gets first (the startup record: which hooks
 * and mechanisms are in use), given in its native form (a reference is
 * taken): written in the socket's format, or in a client's own. */
void output_socket_set_greeting(struct output_socket *o, struct json_object *native);
/* The formats (bit 1 << enum record_format each) that clients asked for
 * (socket-request.h) other than the socket's own: records must be encoded
 * in these too.  0 while no client asked for another format. */
unsigned output_socket_formats(const struct output_socket *o);
/* Live settings: apply to clients from now on. */
void output_socket_set_limits(struct output_socket *o, uint32_t max_clients, size_t client_queue_max,
			      uint32_t stall_timeout_s, size_t queue_budget);

/* ---- Unix stream socket, connect mode (to a listening shipper) ---- */
struct output_connect_stats {
	bool connected;
	uint64_t connects, disconnects, dropped, sent_bytes;
	uint64_t received_bytes; /* read from the shipper and thrown away */
};

struct output_connect;
int output_connect_new(struct output_connect **ret, sd_event *ev, const char *path, size_t buffer_max);
struct output_connect *output_connect_free(struct output_connect *o);
/* events_lost records in format (enum record_format) with host for ECS/OCSF */
void output_connect_set_format(struct output_connect *o, int format, const char *host);
void output_connect_push(struct output_connect *o, const struct output_record *r);
void output_connect_flush(struct output_connect *o);
void output_connect_get_stats(const struct output_connect *o, struct output_connect_stats *s);

/* ---- journald ---- */
struct output_journal_stats {
	uint64_t sent, dropped_queue_full, dropped_no_journal, dropped_send_error, suppressed_rate;
};

struct output_journal;
int output_journal_new(struct output_journal **ret, uint32_t trace_rate_limit);
struct output_journal *output_journal_free(struct output_journal *o);
void output_journal_push(struct output_journal *o, const struct output_record *r);
void output_journal_get_stats(struct output_journal *o, struct output_journal_stats *s);
void output_journal_set_rate_limit(struct output_journal *o, uint32_t trace_rate_limit);
/* The format (enum record_format) of CLAWOS_JSON, for the
 * journal_suppressed entries the journal output writes itself. */
void output_journal_set_format(struct output_journal *o, int format, const char *host);
