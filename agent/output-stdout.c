/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpu-budget.h"
#include "event-json.h"
#include "event-text.h"
#include "line-queue.h"
#include "log.h"
#include "output.h"
#include "time-util.h"

struct output_stdout {
	struct line_queue q;
	sd_event *ev;
	sd_event_source *io;
	int fd;
	int saved_flags;
	bool broken;
	struct output_stdout_params p;
	/* the text form costs a JSON parse per record (several µs): it gets a
	 * tenth of a CPU, and what it cannot format in that is counted and
	 * said on the terminal, never paid for by the ring-buffer reader */
	struct cpu_budget text_budget;
	uint64_t text_skipped, text_skipped_total;
	uint64_t text_notice_ns; /* when the last notice was queued: one a second */
};

/* A tenth of a CPU, in bursts of at most 5 ms: a longer stall of the loop
 * lets a flood fill the ring buffer (1 MiB holds ~17 ms at 200k opens/s). */
#define TEXT_SHARE_PERMILLE 100
#define TEXT_BURST_NS ((int64_t)(5 * NSEC_PER_MSEC))

/* One text line of its own: how many records the terminal view skipped;
 * at most one a second while a flood lasts, one more when it is over. */
static void text_skipped_notice(struct output_stdout *o, uint64_t now_ns, bool force)
{
	char json[256], when[40], text[EVENT_TEXT_MAX];
	int n;

	if (!o->text_skipped || (!force && now_ns - o->text_notice_ns < NSEC_PER_SEC))
		return;
	o->text_notice_ns = now_ns;
	o->text_skipped_total += o->text_skipped;
	if (format_rfc3339(now_nsec(CLOCK_REALTIME), when, sizeof(when)) < 0)
		when[0] = '\0';
	snprintf(json, sizeof(json),
		 "{\"event\":\"events_lost\",\"time\":\"%s\",\"output\":\"stdout\",\"lost\":%llu,\"lost_total\":%llu}",
		 when, (unsigned long long)o->text_skipped, (unsigned long long)o->text_skipped_total);
	o->text_skipped = 0;
	n = event_text_format(json, strlen(json), &(struct event_text_options){.color = o->p.color}, text,
			      sizeof(text));
	if (n >= 0)
		lq_push(&o->q, text, (size_t)n);
}

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
	cpu_budget_init(&o->text_budget, TEXT_SHARE_PERMILLE, TEXT_BURST_NS, now_nsec(CLOCK_MONOTONIC));
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
		text_skipped_notice(o, now_nsec(CLOCK_MONOTONIC), true);
		fcntl(o->fd, F_SETFL, o->saved_flags & ~O_NONBLOCK);
		lq_flush(&o->q, o->fd, NULL);
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
	uint64_t t0;
	int n;

	if (o->broken)
		return;
	if (!o->p.text) {
		lq_push(&o->q, r->json, r->len);
		return;
	}
	t0 = now_nsec(CLOCK_MONOTONIC);
	if (!cpu_budget_available(&o->text_budget, t0)) {
		o->text_skipped++;
		return;
	}
	text_skipped_notice(o, t0, false);
	n = event_text_format(r->json, r->len, &(struct event_text_options){.color = o->p.color}, text, sizeof(text));
	cpu_budget_spend(&o->text_budget, now_nsec(CLOCK_MONOTONIC) - t0);
	/* a line the formatter cannot read stays JSON rather than vanish */
	if (n >= 0)
		lq_push(&o->q, text, (size_t)n);
	else
		lq_push(&o->q, r->json, r->len);
}

void output_stdout_flush(struct output_stdout *o)
{
	ssize_t n;

	if (o->broken)
		return;
	if (o->text_skipped) {
		uint64_t now = now_nsec(CLOCK_MONOTONIC);

		/* a full bucket again: the flood is over, say what was not shown */
		cpu_budget_available(&o->text_budget, now);
		text_skipped_notice(o, now, o->text_budget.left_ns >= TEXT_BURST_NS);
	}
	n = lq_flush(&o->q, o->fd, NULL);
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
	return o->q.lines_dropped + o->text_skipped_total + o->text_skipped;
}
