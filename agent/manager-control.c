/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control socket, root only (0600, and the peer's uid is checked as
 * well).  One request line, one reply, then the agent closes:
 *   WATCH <name>  `clawos-ebpf watch`: the process at the other end (its pid
 *                 from SO_PEERCRED, never from the message) becomes the root
 *                 of a tracked tree; "OK <session>".
 *   STATUS        `clawos-ebpf status`: "OK " and one JSON object
 *                 (manager-status.c).
 * Errors are "ERR <reason>".  A client that does not send its line within
 * a second is dropped ("ERR timeout"); the loop never waits for it.  The reply is sent without waiting: a few KiB into
 * an empty socket buffer, and a client that does not read cannot hold the
 * loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control-proto.h"
#include "event-json.h"
#include "log.h"
#include "manager.h"
#include "time-util.h"

static void control_reply(int fd, const char *s, size_t len)
{
	(void)!send(fd, s, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void control_watch(struct manager *m, int fd, const struct ucred *cred, const char *name)
{
	char reply[64];
	uint32_t session;
	int n;

	/* the caller's own fork and exec records first: applied after the
	 * request, they would start its process table entry afresh */
	manager_ring_catch_up(m);
	if (targets_watch(&m->targets, m->loader, &m->procs, (uint32_t)cred->pid, name, &session) < 0 ||
	    manager_kernel_config(m, m->loader, &m->settings) < 0) {
		control_reply(fd, "ERR failed\n", 11);
		return;
	}
	log_info("watch: process %d is now the root of target '%s' (session %u)", (int)cred->pid, name, session);
	n = snprintf(reply, sizeof(reply), "OK %u\n", session);
	control_reply(fd, reply, (size_t)n);
}

static void control_status(struct manager *m, int fd)
{
	struct json_object *o = manager_status_json(m);
	size_t len;
	const char *json = json_record_string(o, &len);
	char *reply = json ? malloc(len + 5) : NULL;

	if (!reply) {
		control_reply(fd, "ERR out of memory\n", 18);
	} else {
		memcpy(reply, "OK ", 3);
		memcpy(reply + 3, json, len);
		reply[len + 3] = '\n';
		control_reply(fd, reply, len + 4);
	}
	free(reply);
	json_object_put(o);
}

/* A connection waiting for its request line.  Nothing here blocks: the
 * line is read when the socket is readable, within CONTROL_TIMEOUT_USEC,
 * and at most CONTROL_PENDING_MAX connections wait at once (more are
 * refused), so a client that connects and sends nothing costs the loop
 * nothing. */
#define CONTROL_TIMEOUT_USEC USEC_PER_SEC
#define CONTROL_PENDING_MAX 8

struct control_conn {
	struct manager *m;
	sd_event_source *io, *timer;
	int fd;
	struct ucred cred;
	size_t len;
	char buf[128];
	struct control_conn *next;
};

static struct control_conn *pending;
static unsigned n_pending;

static void control_conn_free(struct control_conn *c)
{
	for (struct control_conn **p = &pending; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			n_pending--;
			break;
		}
	sd_event_source_disable_unref(c->io);
	sd_event_source_disable_unref(c->timer);
	close(c->fd);
	free(c);
}

static void control_dispatch(struct control_conn *c)
{
	const char *arg;

	switch (control_parse_request(c->buf, &arg)) {
	case CONTROL_WATCH:
		control_watch(c->m, c->fd, &c->cred, arg);
		break;
	case CONTROL_STATUS:
		control_status(c->m, c->fd);
		break;
	case CONTROL_BAD_NAME:
		control_reply(c->fd, "ERR bad name\n", 13);
		break;
	default:
		control_reply(c->fd, "ERR unknown command\n", 20);
	}
}

static int control_on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct control_conn *c = userdata;

	control_reply(c->fd, "ERR timeout\n", 12);
	control_conn_free(c);
	return 0;
}

static int control_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct control_conn *c = userdata;
	ssize_t n = read(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n == 0 && c->len > 0) /* the request without its newline, then EOF */
		control_dispatch(c);
	if (n <= 0) { /* gone, or an error */
		control_conn_free(c);
		return 0;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	/* a whole line, or as much as a request may be */
	if (memchr(c->buf, '\n', c->len) || c->len == sizeof(c->buf) - 1) {
		control_dispatch(c);
		control_conn_free(c);
	}
	return 0;
}

static int control_on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct manager *m = userdata;

	for (int i = 0; i < CONTROL_PENDING_MAX; i++) {
		socklen_t len = sizeof(struct ucred);
		struct control_conn *c;
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0)
			return 0;
		c = n_pending < CONTROL_PENDING_MAX ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			control_reply(cfd, "ERR busy\n", 9);
			close(cfd);
			continue;
		}
		c->m = m;
		c->fd = cfd;
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) < 0 || c->cred.uid != 0) {
			control_reply(cfd, "ERR permission denied\n", 22);
			close(cfd);
			free(c);
			continue;
		}
		if (sd_event_add_io(m->ev, &c->io, cfd, EPOLLIN, control_on_io, c) < 0 ||
		    sd_event_add_time_relative(m->ev, &c->timer, CLOCK_MONOTONIC, CONTROL_TIMEOUT_USEC, 0,
					       control_on_timeout, c) < 0) {
			sd_event_source_disable_unref(c->io);
			close(cfd);
			free(c);
			continue;
		}
		c->next = pending;
		pending = c;
		n_pending++;
	}
	return 0;
}

int manager_control_start(struct manager *m)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *events = m->settings.socket_path ? m->settings.socket_path : CLAWOS_DEFAULT_SOCKET_PATH;
	const char *slash = strrchr(events, '/');
	mode_t old;
	int fd, r;

	/* the configuration refuses a directory this long (config.c) */
	if (snprintf(m->control_path, sizeof(m->control_path), "%.*s/control.sock", (int)(slash ? slash - events : 0),
		     events) >= (int)MIN(sizeof(m->control_path), sizeof(sa.sun_path)))
		return log_error_errno(-ENAMETOOLONG, "The control socket beside %s would have too long a path",
				       events);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", m->control_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return log_error_errno(-errno, "Failed to create the control socket: %m");
	unlink(m->control_path);
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ? -errno : 0;
	umask(old);
	if (r == 0)
		r = sd_event_add_io(m->ev, &m->control_io, fd, EPOLLIN, control_on_accept, m);
	if (r < 0) {
		close(fd);
		return log_error_errno(r, "Failed to set up the control socket %s: %m", m->control_path);
	}
	m->control_fd = fd;
	return 0;
}

void manager_control_stop(struct manager *m)
{
	while (pending)
		control_conn_free(pending);
	sd_event_source_disable_unref(m->control_io);
	m->control_io = NULL;
	if (m->control_fd >= 0) {
		close(m->control_fd);
		unlink(m->control_path);
		m->control_fd = -1;
	}
}
