// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "event-text.h"
#include "line-queue.h"
#include "log.h"
#include "output.h"

struct output_stdout {
	struct line_queue q;
	sd_event *ev;
	sd_event_source *io;
	int fd;
	int saved_flags;
	bool broken;
	struct output_stdout_params p;
};

static int stdout_on_writable(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct output_stdout *o = userdata;

	output_stdout_flush(o);
	return 0;
}

int output_stdout_new(struct output_stdout **ret, sd_event *ev, const struct output_stdout_params *p)
{
	struct output_stdout *o = calloc(1, sizeof(*o));
	int r;

	if (!o)
		return -ENOMEM;
	o->p = *p;
	o->ev = sd_event_ref(ev);
	lq_init(&o->q, p->queue_max);
	o->fd = STDOUT_FILENO;
	/* A slow pipe reader must not stall the agent: write non-blocking and
	 * queue (bounded); the flag is restored on exit. */
	o->saved_flags = fcntl(o->fd, F_GETFL);
	if (o->saved_flags >= 0)
		fcntl(o->fd, F_SETFL, o->saved_flags | O_NONBLOCK);
	r = sd_event_add_io(ev, &o->io, o->fd, EPOLLOUT, stdout_on_writable, o);
	if (r < 0) {
		/* a regular file cannot be polled: it never blocks anyway */
		o->io = NULL;
	} else {
		sd_event_source_set_enabled(o->io, SD_EVENT_OFF);
	}
	*ret = o;
	return 0;
}

struct output_stdout *output_stdout_free(struct output_stdout *o)
{
	if (!o)
		return NULL;
	if (!o->broken) {
		fcntl(o->fd, F_SETFL, o->saved_flags & ~O_NONBLOCK);
		lq_flush(&o->q, o->fd);
	}
	if (o->saved_flags >= 0)
		fcntl(o->fd, F_SETFL, o->saved_flags);
	sd_event_source_disable_unref(o->io);
	sd_event_unref(o->ev);
	lq_done(&o->q);
	free(o);
	return NULL;
}

void output_stdout_push(struct output_stdout *o, const struct output_record *r)
{
	char text[EVENT_TEXT_MAX];
	int n;

	if (o->broken)
		return;
	if (o->p.text) {
		/* a line the formatter cannot read stays JSON rather than vanish */
		n = event_text_format(r->json, r->len, &(struct event_text_options){.color = o->p.color}, text,
				      sizeof(text));
		if (n >= 0) {
			lq_push(&o->q, text, (size_t)n);
			return;
		}
	}
	lq_push(&o->q, r->json, r->len);
}

void output_stdout_flush(struct output_stdout *o)
{
	ssize_t n;

	if (o->broken)
		return;
	n = lq_flush(&o->q, o->fd);
	if (n == -EIO && o->p.stop_on_hangup) {
		/* the terminal hung up (closed window, dropped ssh): nobody is
		 * left to read, and nothing should keep our programs attached */
		log_notice("The terminal on stdout is gone (EIO): stopping");
		o->broken = true;
		sd_event_exit(o->ev, 0);
	} else if (n < 0) {
		log_warning_errno((int)n, "Writing to stdout failed, stdout output stopped: %m");
		o->broken = true;
	}
	if (o->io)
		sd_event_source_set_enabled(o->io, !o->broken && lq_pending(&o->q) ? SD_EVENT_ON : SD_EVENT_OFF);
}

uint64_t output_stdout_dropped(const struct output_stdout *o)
{
	return o->q.lines_dropped;
}
