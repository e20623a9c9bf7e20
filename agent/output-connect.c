/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Connect mode: for shippers that listen (syslog-ng unix-stream(), Fluent Bit
 * unix_socket, Vector socket).  The agent connects, writes NDJSON, and when
 * the shipper goes away reconnects with exponential backoff, buffering a
 * bounded amount meanwhile; what does not fit is dropped and counted.  A line
 * is never continued on another connection: when a connection breaks in the
 * middle of a line, the rest of that line is dropped and counted (the
 * shipper saw a fragment, which it discards), and the new connection starts
 * at a line boundary.  Losses are told to the shipper in-band: an
 * events_lost record (output "connect") goes into the stream where they
 * happened, as soon as it fits in the buffer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "event-json.h"
#include "line-queue.h"
#include "log.h"
#include "output.h"
#include "record-format.h"
#include "time-util.h"

#define BACKOFF_MIN_USEC 100000ULL
#define BACKOFF_MAX_USEC 30000000ULL
#define LOST_NOTICE_MAX 2048 /* an events_lost record in any format, host names and all */

struct output_connect {
	sd_event *ev;
	sd_event_source *io, *retry;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct line_queue q;
	size_t line_start; /* bytes of the current line already written */
	uint64_t backoff_usec;
	uint64_t lost_unreported; /* dropped since the last events_lost */
	struct output_connect_stats stats;
	struct json_writer jw; /* events_lost in the shipper's format */
	enum record_format format;
	char host[256];
};

static void connect_lost(struct output_connect *o)
{
	o->stats.dropped++;
	o->lost_unreported++;
}

static void connect_schedule(struct output_connect *o);

static void connect_drop_fd(struct output_connect *o)
{
	if (o->fd < 0)
		return;
	sd_event_source_disable_unref(o->io);
	o->io = NULL;
	close(o->fd);
	o->fd = -1;
	o->stats.connected = false;
	o->stats.disconnects++;
	if (o->line_start > 0) {
		char *nl = memchr(o->q.buf + o->q.head, '\n', lq_pending(&o->q));

		if (nl)
			o->q.head = (size_t)(nl + 1 - o->q.buf);
		connect_lost(o);
		o->line_start = 0;
	}
}

/* How far into its current line the connection is, after written bytes
 * from p (still in the buffer: lq_flush() only moves the indexes). */
static void connect_track_line(struct output_connect *o, const char *p, size_t written)
{
	for (size_t i = 0; i < written; i++)
		o->line_start = p[i] == '\n' ? 0 : o->line_start + 1;
}

/* Shippers have nothing to say to us, but some do (a greeting, a keep-alive):
 * what arrives is read and thrown away, or it would wake the loop again and
 * again (level-triggered EPOLLIN on an unread byte spins a core). */
static bool connect_drain(struct output_connect *o)
{
	char buf[4096];

	for (int i = 0; i < 16; i++) {
		ssize_t n = read(o->fd, buf, sizeof(buf));

		if (n > 0) {
			o->stats.received_bytes += (uint64_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		return false; /* EOF or an error: the shipper is gone */
	}
	return true; /* more next time: a chatty shipper cannot hold the loop */
}

static int connect_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct output_connect *o = userdata;

	if ((revents & EPOLLIN) && !connect_drain(o))
		revents |= EPOLLHUP;
	if (revents & (EPOLLHUP | EPOLLERR)) {
		log_info("Shipper at %s went away; reconnecting", o->path);
		connect_drop_fd(o);
		connect_schedule(o);
		return 0;
	}
	output_connect_flush(o);
	return 0;
}

static int connect_try(struct output_connect *o)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, r;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", o->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		r = -errno;
		close(fd);
		return r;
	}
	r = sd_event_add_io(o->ev, &o->io, fd, EPOLLOUT, connect_on_io, o);
	if (r < 0) {
		close(fd);
		return r;
	}
	o->fd = fd;
	o->stats.connected = true;
	o->stats.connects++;
	o->backoff_usec = 0;
	log_info("Connected to shipper at %s", o->path);
	return 0;
}

static int connect_on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct output_connect *o = userdata;
	int r = connect_try(o);

	if (r < 0) {
		log_debug_errno(r, "Connecting to %s failed: %m", o->path);
		connect_schedule(o);
		return 0;
	}
	output_connect_flush(o);
	return 0;
}

static void connect_schedule(struct output_connect *o)
{
	o->backoff_usec = o->backoff_usec ? MIN(o->backoff_usec * 2, BACKOFF_MAX_USEC) : BACKOFF_MIN_USEC;
	sd_event_source_set_time_relative(o->retry, o->backoff_usec);
	sd_event_source_set_enabled(o->retry, SD_EVENT_ONESHOT);
}

int output_connect_new(struct output_connect **ret, sd_event *ev, const char *path, size_t buffer_max)
{
	struct output_connect *o = calloc(1, sizeof(*o));
	int r;

	if (!o)
		return -ENOMEM;
	o->ev = sd_event_ref(ev);
	o->fd = -1;
	snprintf(o->path, sizeof(o->path), "%s", path);
	lq_init(&o->q, buffer_max);
	r = sd_event_add_time_relative(ev, &o->retry, CLOCK_MONOTONIC, 0, 0, connect_on_retry, o);
	if (r < 0) {
		output_connect_free(o);
		return r;
	}
	sd_event_source_set_enabled(o->retry, SD_EVENT_ONESHOT);
	*ret = o;
	return 0;
}

struct output_connect *output_connect_free(struct output_connect *o)
{
	if (!o)
		return NULL;
	if (o->fd >= 0)
		lq_flush(&o->q, o->fd, NULL);
	connect_drop_fd(o);
	sd_event_source_disable_unref(o->retry);
	lq_done(&o->q);
	jw_free(&o->jw);
	sd_event_unref(o->ev);
	free(o);
	return NULL;
}

void output_connect_set_format(struct output_connect *o, int format, const char *host)
{
	o->format = (unsigned)format < _RECORD_FORMAT_MAX ? (enum record_format)format : RECORD_FORMAT_NATIVE;
	snprintf(o->host, sizeof(o->host), "%s", host ? host : "");
}

/* The notice of the records lost since the last one, ahead of the next
 * record that fits; false when it did not fit (that record is lost too). */
static bool connect_report_lost(struct output_connect *o)
{
	uint64_t now = now_nsec(CLOCK_REALTIME);
	struct json_object *n = json_events_lost_new("connect", o->lost_unreported, o->stats.dropped, now);
	const char *s;
	size_t len;
	bool ok;

	if (!n)
		return false;
	s = agent_record_format(&o->jw, o->format, n, o->host[0] ? o->host : NULL, now, &len);
	ok = s && lq_push(&o->q, s, len) == 0;
	if (ok)
		o->lost_unreported = 0;
	json_object_put(n);
	return ok;
}

void output_connect_push(struct output_connect *o, const struct output_record *r)
{
	/* the notice goes in only with the record after it: a full buffer
	 * does not fill up with notices, nor pays for formatting them */
	if (o->lost_unreported &&
	    (lq_pending(&o->q) + LOST_NOTICE_MAX + r->len + 1 > o->q.max || !connect_report_lost(o))) {
		connect_lost(o);
		return;
	}
	if (lq_push(&o->q, r->json, r->len) < 0)
		connect_lost(o);
}

void output_connect_flush(struct output_connect *o)
{
	const char *from;
	size_t n = 0;
	int r;

	if (o->fd < 0)
		return;
	from = o->q.buf + o->q.head;
	r = lq_flush(&o->q, o->fd, &n);
	/* also when a later write failed: the torn line must be known */
	connect_track_line(o, from, n);
	o->stats.sent_bytes += n;
	if (r < 0) {
		log_info_errno(r, "Writing to shipper at %s failed (%m); reconnecting", o->path);
		connect_drop_fd(o);
		connect_schedule(o);
		return;
	}
	sd_event_source_set_io_events(o->io, lq_pending(&o->q) ? EPOLLOUT : EPOLLIN);
}

void output_connect_get_stats(const struct output_connect *o, struct output_connect_stats *s)
{
	*s = o->stats;
}
