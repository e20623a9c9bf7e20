/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "event-json.h"
#include "record-format.h"
#include "socket-request.h"
#include "line-queue.h"
#include "log.h"
#include "output.h"
#include "time-util.h"

/* How long a stop waits, in all, for the clients to read what they were sent. */
#define OUTPUT_SOCKET_DRAIN_USEC (2 * USEC_PER_SEC)

/* Connections taken per loop iteration: a flood of connects must leave the
 * ring buffer, the timers and the clients their turn. */
#define ACCEPT_BATCH 16
/* Out of descriptors (EMFILE): the listening socket stays readable, so it is
 * switched off for this long instead of waking the loop again and again. */
#define ACCEPT_RETRY_USEC 100000ULL
/* A client's queue past half: push() writes once per this many bytes. */
#define PUSH_WRITE_EVERY 65536

struct client {
	struct output_socket *server;
	sd_event_source *io;
	int fd;
	struct line_queue q;
	uint64_t lost_unreported; /* told in-band once the queue drains */
	uint64_t lost_total;
	/* The stall rule judges throughput: a period begins with what is queued
	 * then (owed); the client must take all of it within the stall timeout,
	 * and a new period begins when it has.  Progress of a byte now and then
	 * does not reset it. */
	uint64_t stalled_since;	   /* CLOCK_MONOTONIC usec the period began; 0: queue empty */
	uint64_t owed;		   /* bytes of that period still to be taken */
	bool blocked;		   /* its socket took less than offered: EPOLLOUT writes */
	size_t since_try;	   /* bytes queued since push() last tried to write */
	enum record_format format; /* of its records: the socket's, or the one it asked for */
	bool asked;		   /* it sent a format request: format stays on reload */
	bool req_done;		   /* its request line was read (or refused): input is ignored */
	bool closing;		   /* refused: the error line is sent, then it is closed */
	uint8_t req_len;
	char req[SOCKET_REQUEST_MAX];
};

struct output_socket {
	sd_event *ev;
	sd_event_source *listen_io;
	int listen_fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct output_socket_params p;
	struct client **clients;
	uint32_t clients_cap; /* entries in clients[] */
	sd_event_source *stall_timer;
	sd_event_source *accept_retry;
	struct json_object *greeting;		 /* native form */
	char *greeting_line[_RECORD_FORMAT_MAX]; /* in each format, written when first needed */
	size_t greeting_len[_RECORD_FORMAT_MAX];
	uint32_t asked[_RECORD_FORMAT_MAX]; /* clients that asked for each format */
	unsigned formats;		    /* output_socket_formats() */
	struct output_socket_stats stats;
	enum record_format format; /* of the records the agent pushes */
	char host[256];		   /* for events_lost records in ECS and OCSF */
	struct json_writer jw;
};

/* The formats clients asked for besides the socket's own. */
static void server_update_formats(struct output_socket *o)
{
	o->formats = 0;
	for (unsigned f = 0; f < _RECORD_FORMAT_MAX; f++)
		if (o->asked[f] && f != o->format)
			o->formats |= 1u << f;
}

static void client_free(struct client *c)
{
	struct output_socket *o = c->server;

	/* dense array, swap-remove: callers iterate backwards */
	for (uint32_t i = 0; i < o->stats.clients; i++)
		if (o->clients[i] == c) {
			o->clients[i] = o->clients[o->stats.clients - 1];
			o->clients[o->stats.clients - 1] = NULL;
			break;
		}
	o->stats.clients--;
	o->stats.disconnected++;
	if (c->asked) {
		o->asked[c->format]--;
		server_update_formats(o);
	}
	o->stats.queued_bytes -= lq_pending(&c->q);
	sd_event_source_disable_unref(c->io);
	close(c->fd);
	lq_done(&c->q);
	free(c);
}

/* Queues a line for c within its own bound and the budget of all clients.
 * Over the budget, only a client that holds more than its share (budget /
 * clients) loses the line: clients that do not read cannot take the budget
 * from one that does.  So the total stays under twice the budget. */
static int client_queue(struct client *c, const char *s, size_t len)
{
	struct output_socket *o = c->server;
	int r;

	if (o->p.queue_budget && o->stats.queued_bytes + len + 1 > o->p.queue_budget &&
	    lq_pending(&c->q) + len + 1 > o->p.queue_budget / MAX(o->stats.clients, 1u)) {
		c->q.lines_dropped++;
		return -ENOBUFS;
	}
	r = lq_push(&c->q, s, len);
	if (r < 0)
		return r;
	o->stats.queued_bytes += len + 1;
	c->since_try += len + 1;
	if (!c->stalled_since) {
		c->stalled_since = now_usec(CLOCK_MONOTONIC);
		c->owed = lq_pending(&c->q);
	}
	return 0;
}

/* n bytes of c's queue went into its socket. */
static void client_sent(struct client *c, size_t n)
{
	c->server->stats.queued_bytes -= n;
	c->owed = n < c->owed ? c->owed - n : 0;
	if (c->owed == 0) { /* all of the period's bytes taken: a new period */
		c->stalled_since = lq_pending(&c->q) ? now_usec(CLOCK_MONOTONIC) : 0;
		c->owed = lq_pending(&c->q);
	}
}

static void client_report_lost(struct client *c)
{
	struct output_socket *srv = c->server;
	struct json_object *o;
	uint64_t now;
	size_t len;
	const char *s;

	if (!c->lost_unreported || lq_pending(&c->q) || c->closing)
		return;
	now = now_nsec(CLOCK_REALTIME);
	o = json_events_lost_new("socket", c->lost_unreported, c->lost_total, now);
	/* in the format of the client's other records */
	s = agent_record_format(&srv->jw, c->format, o, srv->host[0] ? srv->host : NULL, now, &len);
	if (s && client_queue(c, s, len) == 0)
		c->lost_unreported = 0;
	json_object_put(o);
}

/* Returns false when the client was freed. */
static bool client_flush(struct client *c)
{
	size_t n = 0;
	int r;

	client_report_lost(c);
	r = lq_flush(&c->q, c->fd, &n);
	client_sent(c, n);
	if (r < 0) {
		client_free(c);
		return false;
	}
	c->blocked = lq_pending(&c->q) > 0;
	if (c->closing) {
		if (!c->blocked) {
			char buf[256];

			/* what it wrote after the refused line is read first: a
			 * close with unread input resets the connection, and the
			 * client might not see the error line */
			for (int i = 0; i < 4 && read(c->fd, buf, sizeof(buf)) > 0; i++)
				;
			client_free(c);
			return false;
		}
		sd_event_source_set_io_events(c->io, EPOLLIN | EPOLLOUT);
		return true;
	}
	if (!lq_pending(&c->q) && c->lost_unreported) {
		client_report_lost(c);
		lq_flush(&c->q, c->fd, &n);
		client_sent(c, n);
	}
	sd_event_source_set_io_events(c->io, EPOLLIN | (lq_pending(&c->q) ? EPOLLOUT : 0));
	return true;
}

/* The startup record in format f; NULL when there is none (yet). */
static const char *server_greeting(struct output_socket *o, enum record_format f, size_t *len)
{
	const char *s;

	if (!o->greeting)
		return NULL;
	if (!o->greeting_line[f]) {
		s = agent_record_format(&o->jw, f, o->greeting, o->host[0] ? o->host : NULL, 0, len);
		if (!s || !(o->greeting_line[f] = malloc(*len)))
			return NULL;
		memcpy(o->greeting_line[f], s, *len);
		o->greeting_len[f] = *len;
	}
	*len = o->greeting_len[f];
	return o->greeting_line[f];
}

static void server_greeting_reset(struct output_socket *o)
{
	for (unsigned f = 0; f < _RECORD_FORMAT_MAX; f++) {
		free(o->greeting_line[f]);
		o->greeting_line[f] = NULL;
	}
}

/* c asked for format f: its records are in f from now on, the first of
 * them the startup record.  What was queued before stays in the format it
 * was queued in (the startup record marks the change). */
static void client_set_format(struct client *c, enum record_format f)
{
	struct output_socket *o = c->server;
	const char *g;
	size_t len;

	if (c->asked)
		o->asked[c->format]--;
	c->asked = true;
	o->asked[f]++;
	server_update_formats(o);
	if (f == c->format)
		return;
	c->format = f;
	g = server_greeting(o, f, &len);
	if (g)
		client_queue(c, g, len);
}

/* A refused request: one error line, then the client is closed (once the
 * line is written, or by the stall rule). */
static void client_refuse(struct client *c, const char *error)
{
	char line[256];
	int n;

	n = snprintf(line, sizeof(line), "{\"error\":\"%s\"}", error);
	c->closing = true;
	client_queue(c, line, (size_t)MIN(n, (int)sizeof(line) - 1)); /* within the budget, or not at all */
}

/* Reads what the client wrote: its request line, once, without waiting
 * for the rest (at most SOCKET_REQUEST_MAX bytes are kept); anything after
 * it is read and ignored.  Returns false when the client was freed. */
static bool client_read(struct client *c)
{
	char buf[256], err[160], *dst = c->req_done ? buf : c->req + c->req_len;
	size_t room = c->req_done ? sizeof(buf) : sizeof(c->req) - c->req_len;
	ssize_t n = read(c->fd, dst, room);
	const char *nl;
	int f;

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) { /* EOF: gone */
		client_free(c);
		return false;
	}
	if (n < 0 || c->req_done)
		return true;
	c->req_len += (uint8_t)n;
	nl = memchr(c->req, '\n', c->req_len);
	if (!nl && c->req_len < sizeof(c->req))
		return true; /* the rest of the line later */
	c->req_done = true;
	f = nl ? socket_request_parse(c->req, (size_t)(nl - c->req), err, sizeof(err)) : -EINVAL;
	if (!nl)
		snprintf(err, sizeof(err), "request longer than %d bytes", SOCKET_REQUEST_MAX - 1);
	if (f < 0)
		client_refuse(c, err);
	else
		client_set_format(c, (enum record_format)f);
	return client_flush(c);
}

static int client_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct client *c = userdata;

	if (revents & (EPOLLHUP | EPOLLERR)) {
		client_free(c);
		return 0;
	}
	if ((revents & EPOLLIN) && !client_read(c))
		return 0;
	if (revents & EPOLLOUT)
		client_flush(c);
	return 0;
}

static int server_on_accept_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct output_socket *o = userdata;

	return sd_event_source_set_enabled(o->listen_io, SD_EVENT_ON);
}

static void server_accept_failed(struct output_socket *o, int error)
{
	o->stats.accept_errors++;
	if ((o->stats.accept_errors & (o->stats.accept_errors - 1)) == 0) /* 1, 2, 4, ...: not a flood of lines */
		log_warning_errno(error, "Accepting a client on %s failed (%" PRIu64 " times so far): %m", o->path,
				  o->stats.accept_errors);
	sd_event_source_set_enabled(o->listen_io, SD_EVENT_OFF);
	sd_event_source_set_time_relative(o->accept_retry, ACCEPT_RETRY_USEC);
	sd_event_source_set_enabled(o->accept_retry, SD_EVENT_ONESHOT);
}

static int server_on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct output_socket *o = userdata;
	struct client *c;
	int cfd, r;

	for (int i = 0; i < ACCEPT_BATCH; i++) {
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0 && (errno == ECONNABORTED || errno == EINTR))
			continue;
		if (cfd < 0 && errno != EAGAIN)
			server_accept_failed(o, -errno); /* EMFILE, ENFILE, ENOBUFS, ENOMEM */
		if (cfd < 0)
			return 0;
		if (o->stats.clients >= o->p.max_clients || !(c = calloc(1, sizeof(*c)))) {
			o->stats.refused++;
			close(cfd);
			continue;
		}
		c->server = o;
		c->fd = cfd;
		c->format = o->format;
		lq_init(&c->q, o->p.client_queue_max);
		r = sd_event_add_io(o->ev, &c->io, cfd, EPOLLIN, client_on_io, c);
		if (r < 0) {
			close(cfd);
			free(c);
			o->stats.refused++;
			continue;
		}
		o->clients[o->stats.clients++] = c;
		{
			size_t len;
			const char *g = server_greeting(o, o->format, &len);

			if (g) {
				client_queue(c, g, len);
				client_flush(c);
			}
		}
		o->stats.accepted++;
	}
	return 0; /* the rest on the next iteration */
}

/* A client that has had records waiting and read nothing for longer than
 * the stall timeout is cut off: its queue would only ever drop. */
static int on_stall_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct output_socket *o = userdata;
	uint64_t now = now_usec(CLOCK_MONOTONIC), limit = (uint64_t)o->p.stall_timeout_s * USEC_PER_SEC;

	/* a queue that is empty at this moment gives back what it grew to
	 * (once a second, not after every write: a reader empties its queue
	 * all the time) */
	for (uint32_t i = 0; i < o->stats.clients; i++)
		lq_trim(&o->clients[i]->q);
	for (uint32_t i = o->stats.clients; limit && i-- > 0;) {
		struct client *c = o->clients[i];

		if (lq_pending(&c->q) && c->stalled_since && now - c->stalled_since > limit) {
			log_info("Socket client %d took %" PRIu64 " of %" PRIu64
				 " bytes queued for it in %u s: disconnected as stalled",
				 c->fd, c->owed > lq_pending(&c->q) ? 0 : lq_pending(&c->q) - c->owed,
				 lq_pending(&c->q), o->p.stall_timeout_s);
			o->stats.stalled++;
			client_free(c);
		}
	}
	return sd_event_source_set_time_relative(s, USEC_PER_SEC);
}

void output_socket_set_limits(struct output_socket *o, uint32_t max_clients, size_t client_queue_max,
			      uint32_t stall_timeout_s, size_t queue_budget)
{
	o->p.queue_budget = queue_budget;
	o->p.max_clients = MIN(max_clients, o->clients_cap);
	o->p.client_queue_max = client_queue_max;
	o->p.stall_timeout_s = stall_timeout_s;
	for (uint32_t i = 0; i < o->stats.clients; i++)
		o->clients[i]->q.max = MAX(client_queue_max, lq_pending(&o->clients[i]->q));
}

/* An existing path is taken over only if it is a socket nobody listens on. */
static int socket_path_check(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return log_error_errno(-EEXIST, "%s exists and is not a socket; refusing to replace it", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return log_error_errno(-EADDRINUSE, "%s is in use by a running process (another agent?)", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int resolve_group(const char *group, gid_t *gid)
{
	struct group *g;

	if (!group || !group[0]) {
		*gid = getegid();
		return 0;
	}
	g = getgrnam(group);
	if (!g)
		return -ENOENT;
	*gid = g->gr_gid;
	return 0;
}

/* Bound under a temporary name with mode 0600, given its owner, group and
 * mode, then renamed into place: the path never exists with wider rights. */
static int socket_create_bound(struct output_socket *o)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char tmp[sizeof(sa.sun_path)];
	_cleanup_close_ int fd = -1;
	mode_t old_umask;
	gid_t gid;
	int r;

	r = resolve_group(o->p.group, &gid);
	if (r < 0) {
		log_warning("Group '%s' does not exist; %s keeps group %u", o->p.group, o->p.path, (unsigned)getegid());
		gid = getegid();
	}
	if (snprintf(tmp, sizeof(tmp), "%s.%d.tmp", o->p.path, (int)getpid()) >= (int)sizeof(tmp))
		return log_error_errno(-ENAMETOOLONG, "Socket path %s is too long", o->p.path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", tmp);
	unlink(tmp);
	old_umask = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old_umask);
	if (r == 0 && chown(tmp, geteuid(), gid) < 0)
		r = -errno;
	if (r == 0 && chmod(tmp, o->p.mode) < 0)
		r = -errno;
	if (r == 0 && listen(fd, 128) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, o->p.path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return log_error_errno(r, "Failed to create socket %s: %m", o->p.path);
	}
	snprintf(o->path, sizeof(o->path), "%s", o->p.path);
	return TAKE_FD(fd);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct output_socket *, output_socket_free);

int output_socket_new(struct output_socket **ret, sd_event *ev, const struct output_socket_params *p)
{
	_cleanup_(output_socket_freep) struct output_socket *o = NULL;
	char dir[sizeof(o->path)], *slash;
	int r;

	if (strlen(p->path) >= sizeof(o->path))
		return log_error_errno(-ENAMETOOLONG, "Socket path %s is too long", p->path);
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->ev = sd_event_ref(ev);
	o->p = *p;
	o->listen_fd = -1;
	/* room for the most clients a reload may allow */
	o->clients_cap = CLAWOS_SOCKET_MAX_CLIENTS;
	o->clients = calloc(o->clients_cap, sizeof(*o->clients));
	if (!o->clients)
		return -ENOMEM;
	snprintf(dir, sizeof(dir), "%s", p->path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			log_warning_errno(-errno, "Failed to create %s: %m", dir);
	}
	r = socket_path_check(p->path);
	if (r < 0)
		return r;
	r = socket_create_bound(o);
	if (r < 0)
		return r;
	o->listen_fd = r;
	r = sd_event_add_io(ev, &o->listen_io, o->listen_fd, EPOLLIN, server_on_accept, o);
	if (r < 0)
		return r;
	r = sd_event_add_time_relative(ev, &o->stall_timer, CLOCK_MONOTONIC, USEC_PER_SEC, 0, on_stall_timer, o);
	if (r < 0)
		return r;
	/* a time source fires once unless switched on */
	r = sd_event_source_set_enabled(o->stall_timer, SD_EVENT_ON);
	if (r < 0)
		return r;
	r = sd_event_add_time_relative(ev, &o->accept_retry, CLOCK_MONOTONIC, ACCEPT_RETRY_USEC, 0,
				       server_on_accept_retry, o);
	if (r < 0)
		return r;
	r = sd_event_source_set_enabled(o->accept_retry, SD_EVENT_OFF);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(o);
	return 0;
}

/* At stop, what a client's queue still holds, written while the client
 * reads, until the deadline: one write that found its socket buffer full
 * would close it in the middle of a line, and a shipper would get broken
 * JSON for the last record (the shutdown record). */
static void client_drain(struct output_socket *o, struct client *c, uint64_t deadline_us)
{
	while (lq_pending(&c->q) > 0) {
		struct pollfd p = {.fd = c->fd, .events = POLLOUT};
		uint64_t now;
		size_t n = 0;
		int r;

		r = lq_flush(&c->q, c->fd, &n);
		o->stats.queued_bytes -= n;
		now = now_usec(CLOCK_MONOTONIC);
		if (r < 0 || !lq_pending(&c->q) || now >= deadline_us)
			return;
		if (poll(&p, 1, (int)((deadline_us - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC)) <= 0 ||
		    (p.revents & (POLLERR | POLLHUP)))
			return;
	}
}

struct output_socket *output_socket_free(struct output_socket *o)
{
	uint64_t deadline_us;

	if (!o)
		return NULL;
	sd_event_source_disable_unref(o->stall_timer);
	sd_event_source_disable_unref(o->accept_retry);
	deadline_us = now_usec(CLOCK_MONOTONIC) + OUTPUT_SOCKET_DRAIN_USEC;
	for (uint32_t i = o->stats.clients; o->clients && i-- > 0;) {
		client_drain(o, o->clients[i], deadline_us);
		client_free(o->clients[i]);
	}
	sd_event_source_disable_unref(o->listen_io);
	if (o->listen_fd >= 0) {
		close(o->listen_fd);
		unlink(o->path);
	}
	free(o->clients);
	json_object_put(o->greeting);
	server_greeting_reset(o);
	jw_free(&o->jw);
	sd_event_unref(o->ev);
	free(o);
	return NULL;
}

void output_socket_push(struct output_socket *o, const struct output_record *r)
{
	for (uint32_t i = 0; i < o->stats.clients; i++) {
		struct client *c = o->clients[i];
		const char *json = r->json;
		size_t len = r->len;

		if (c->format != o->format) { /* it asked for another format */
			json = r->json_by_format ? r->json_by_format[c->format] : NULL;
			len = json ? r->len_by_format[c->format] : 0;
		}
		if (c->closing)
			continue;
		if (!json) { /* not encoded in its format (out of memory) */
			c->lost_unreported++;
			c->lost_total++;
			o->stats.dropped++;
			continue;
		}
		/* a client that keeps up must not lose records because one
		 * batch is bigger than its queue: write early, but once per
		 * PUSH_WRITE_EVERY bytes queued, not one write() per record
		 * (a client that does not read would cost one per record) */
		if (lq_pending(&c->q) + len + 1 > c->q.max / 2 &&
		    c->since_try >= MIN((size_t)PUSH_WRITE_EVERY, c->q.max / 8)) {
			size_t n = 0;

			c->since_try = 0;
			lq_flush(&c->q, c->fd, &n); /* an error: client_flush() frees it */
			client_sent(c, n);
			if (lq_pending(&c->q) && !c->blocked) {
				c->blocked = true;
				sd_event_source_set_io_events(c->io, EPOLLIN | EPOLLOUT);
			}
		}
		if (client_queue(c, json, len) < 0) {
			c->lost_unreported++;
			c->lost_total++;
			o->stats.dropped++;
		}
	}
}

void output_socket_flush(struct output_socket *o)
{
	/* a blocked client is written to when its socket has room (EPOLLOUT) */
	for (uint32_t i = o->stats.clients; i-- > 0;)
		if (lq_pending(&o->clients[i]->q) && !o->clients[i]->blocked)
			client_flush(o->clients[i]);
}

void output_socket_set_format(struct output_socket *o, int format, const char *host)
{
	o->format = (unsigned)format < _RECORD_FORMAT_MAX ? (enum record_format)format : RECORD_FORMAT_NATIVE;
	snprintf(o->host, sizeof(o->host), "%s", host ? host : "");
	/* clients that did not ask follow the socket's format */
	for (uint32_t i = 0; i < o->stats.clients; i++)
		if (!o->clients[i]->asked)
			o->clients[i]->format = o->format;
	server_update_formats(o);
	server_greeting_reset(o);
}

void output_socket_set_greeting(struct output_socket *o, struct json_object *native)
{
	json_object_put(o->greeting);
	o->greeting = native ? json_object_get(native) : NULL;
	server_greeting_reset(o);
}

unsigned output_socket_formats(const struct output_socket *o)
{
	return o->formats;
}

void output_socket_get_stats(const struct output_socket *o, struct output_socket_stats *s)
{
	*s = o->stats;
}
