/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * journald output.  sd_journal_send() blocks when journald stalls (its
 * datagram socket is blocking) and returns success when journald is absent,
 * so records go through a bounded queue to a writer thread, and the agent
 * checks for the journal socket itself.  Neither case slows the other
 * outputs; both are counted.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "message-ids.h"
#include "output.h"
#include "record-format.h"
#include "time-util.h"

#define JOURNAL_QUEUE 4096
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

struct jrec {
	int priority;
	uint32_t pid;
	char *event, *message, *comm, *json;
	const char *id; /* MESSAGE_ID: a static string of message-ids.h */
};

struct output_journal {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	struct jrec q[JOURNAL_QUEUE];
	size_t head, count;
	uint32_t rate_limit;
	time_t rate_second;
	uint32_t rate_count;
	uint64_t rate_suppressed_unreported;
	time_t socket_checked;
	bool socket_present;
	struct output_journal_stats stats;
	enum record_format format;
	char host[256];
	struct json_writer jw; /* journal_suppressed in ECS or OCSF; under lock */
};

static void jrec_free(struct jrec *j)
{
	free(j->event);
	free(j->message);
	free(j->comm);
	free(j->json);
	memset(j, 0, sizeof(*j));
}

static void jrec_send(struct output_journal *o, struct jrec *j)
{
	int r;

	r = sd_journal_send("MESSAGE=%s", j->message, "PRIORITY=%d", j->priority, "SYSLOG_IDENTIFIER=clawos-ebpf",
			    "MESSAGE_ID=%s", j->id ? j->id : "", "CLAWOS_EVENT=%s", j->event, "CLAWOS_PID=%u", j->pid,
			    "CLAWOS_COMM=%s", j->comm ? j->comm : "", "CLAWOS_JSON=%s", j->json, NULL);
	pthread_mutex_lock(&o->lock);
	if (r < 0)
		o->stats.dropped_send_error++;
	else
		o->stats.sent++;
	pthread_mutex_unlock(&o->lock);
}

static void *journal_thread(void *userdata)
{
	struct output_journal *o = userdata;

	pthread_mutex_lock(&o->lock);
	for (;;) {
		struct jrec j;

		while (!o->stop && o->count == 0)
			pthread_cond_wait(&o->cond, &o->lock);
		if (o->count == 0 && o->stop)
			break;
		j = o->q[o->head];
		memset(&o->q[o->head], 0, sizeof(j));
		o->head = (o->head + 1) % JOURNAL_QUEUE;
		o->count--;
		pthread_mutex_unlock(&o->lock);
		jrec_send(o, &j);
		jrec_free(&j);
		pthread_mutex_lock(&o->lock);
	}
	pthread_mutex_unlock(&o->lock);
	return NULL;
}

int output_journal_new(struct output_journal **ret, uint32_t trace_rate_limit)
{
	struct output_journal *o = calloc(1, sizeof(*o));
	int r;

	if (!o)
		return -ENOMEM;
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->cond, NULL);
	o->rate_limit = trace_rate_limit;
	r = -pthread_create(&o->thread, NULL, journal_thread, o);
	if (r < 0) {
		free(o);
		return log_error_errno(r, "Failed to start the journal writer: %m");
	}
	pthread_setname_np(o->thread, "clawos-journal");
	*ret = o;
	return 0;
}

struct output_journal *output_journal_free(struct output_journal *o)
{
	if (!o)
		return NULL;
	pthread_mutex_lock(&o->lock);
	o->stop = true;
	pthread_cond_signal(&o->cond);
	pthread_mutex_unlock(&o->lock);
	/* a stalled journald must not keep the agent from exiting */
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 2;
	if (pthread_timedjoin_np(o->thread, NULL, &deadline) != 0) {
		log_warning("The journal does not take records; dropping %zu queued", o->count);
		pthread_cancel(o->thread);
		pthread_join(o->thread, NULL);
	}
	for (size_t i = 0; i < JOURNAL_QUEUE; i++)
		jrec_free(&o->q[i]);
	jw_free(&o->jw);
	pthread_mutex_destroy(&o->lock);
	pthread_cond_destroy(&o->cond);
	free(o);
	return NULL;
}

static bool journal_present(struct output_journal *o, time_t now)
{
	if (now != o->socket_checked) {
		o->socket_checked = now;
		o->socket_present = access(JOURNAL_SOCKET, F_OK) == 0;
	}
	return o->socket_present;
}

/* Called with the lock held.  Returns false if the record is suppressed. */
static bool journal_rate_ok(struct output_journal *o, const struct output_record *r, time_t now)
{
	if (!r->trace)
		return true;
	if (now != o->rate_second) {
		o->rate_second = now;
		o->rate_count = 0;
	}
	if (o->rate_count >= o->rate_limit) {
		o->stats.suppressed_rate++;
		o->rate_suppressed_unreported++;
		return false;
	}
	o->rate_count++;
	return true;
}

/* A full queue gives way by urgency: the least urgent queued record (the
 * newest of them) is dropped for a more urgent one, so that a flood of
 * lower records never costs a critical anomaly its place.  Called with the
 * lock held; false when r is the least urgent and must go itself. */
static bool journal_make_room(struct output_journal *o, int priority)
{
	size_t worst = SIZE_MAX;

	for (size_t i = 0; i < o->count; i++) {
		const struct jrec *j = &o->q[(o->head + i) % JOURNAL_QUEUE];

		if (j->priority > priority &&
		    (worst == SIZE_MAX || j->priority >= o->q[(o->head + worst) % JOURNAL_QUEUE].priority))
			worst = i;
	}
	if (worst == SIZE_MAX)
		return false;
	jrec_free(&o->q[(o->head + worst) % JOURNAL_QUEUE]);
	for (size_t i = worst; i + 1 < o->count; i++)
		o->q[(o->head + i) % JOURNAL_QUEUE] = o->q[(o->head + i + 1) % JOURNAL_QUEUE];
	memset(&o->q[(o->head + o->count - 1) % JOURNAL_QUEUE], 0, sizeof(struct jrec));
	o->count--;
	o->stats.dropped_queue_full++;
	return true;
}

static void journal_enqueue(struct output_journal *o, const struct output_record *r)
{
	struct jrec *j;

	if (o->count == JOURNAL_QUEUE && !journal_make_room(o, r->priority)) {
		o->stats.dropped_queue_full++;
		return;
	}
	j = &o->q[(o->head + o->count) % JOURNAL_QUEUE];
	j->priority = r->priority;
	j->pid = r->pid;
	j->id = clawos_message_id(r->id_key ? r->id_key : r->event);
	j->event = strdup(r->event);
	j->message = strdup(r->message ? r->message : r->event);
	j->comm = r->comm ? strdup(r->comm) : NULL;
	j->json = strndup(r->json, r->len);
	if (!j->event || !j->message || !j->json) {
		jrec_free(j);
		o->stats.dropped_queue_full++;
		return;
	}
	o->count++;
	pthread_cond_signal(&o->cond);
}

/* Called with the lock held. */
static void journal_report_suppressed(struct output_journal *o)
{
	char msg[128], json[160];
	struct output_record s = {.json = json, .event = "journal_suppressed", .priority = LOG_NOTICE, .message = msg};

	snprintf(msg, sizeof(msg), "%llu trace records were not sent to the journal (rate limit %u/s)",
		 (unsigned long long)o->rate_suppressed_unreported, o->rate_limit);
	s.len = snprintf(json, sizeof(json), "{\"event\":\"journal_suppressed\",\"suppressed\":%llu}",
			 (unsigned long long)o->rate_suppressed_unreported);
	if (o->format != RECORD_FORMAT_NATIVE) {
		struct json_object *native = json_tokener_parse(json);

		s.json = agent_record_format(&o->jw, o->format, native, o->host[0] ? o->host : NULL,
					     now_nsec(CLOCK_REALTIME), &s.len);
		if (s.json)
			journal_enqueue(o, &s);
		json_object_put(native);
	} else {
		journal_enqueue(o, &s);
	}
	o->rate_suppressed_unreported = 0;
}

void output_journal_push(struct output_journal *o, const struct output_record *r)
{
	time_t now = time(NULL);

	pthread_mutex_lock(&o->lock);
	if (!journal_present(o, now)) {
		o->stats.dropped_no_journal++;
	} else if (journal_rate_ok(o, r, now)) {
		if (o->rate_suppressed_unreported)
			journal_report_suppressed(o);
		journal_enqueue(o, r);
	}
	pthread_mutex_unlock(&o->lock);
}

void output_journal_get_stats(struct output_journal *o, struct output_journal_stats *s)
{
	pthread_mutex_lock(&o->lock);
	*s = o->stats;
	pthread_mutex_unlock(&o->lock);
}

void output_journal_set_format(struct output_journal *o, int format, const char *host)
{
	pthread_mutex_lock(&o->lock);
	o->format = (unsigned)format < _RECORD_FORMAT_MAX ? (enum record_format)format : RECORD_FORMAT_NATIVE;
	snprintf(o->host, sizeof(o->host), "%s", host ? host : "");
	pthread_mutex_unlock(&o->lock);
}

void output_journal_set_rate_limit(struct output_journal *o, uint32_t trace_rate_limit)
{
	pthread_mutex_lock(&o->lock);
	o->rate_limit = trace_rate_limit;
	pthread_mutex_unlock(&o->lock);
}
