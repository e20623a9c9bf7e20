/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "line-queue.h"

void lq_init(struct line_queue *q, size_t max)
{
	memset(q, 0, sizeof(*q));
	q->max = max;
}

void lq_done(struct line_queue *q)
{
	free(q->buf);
	q->buf = NULL;
	q->head = q->tail = q->cap = 0;
}

size_t lq_pending(const struct line_queue *q)
{
	return q->tail - q->head;
}

static int lq_reserve(struct line_queue *q, size_t need)
{
	size_t pending = lq_pending(q), ncap;
	char *nb;

	if (pending + need > q->max)
		return -ENOBUFS;
	if (q->tail + need <= q->cap)
		return 0;
	if (q->head > 0) { /* compact before growing */
		memmove(q->buf, q->buf + q->head, pending);
		q->head = 0;
		q->tail = pending;
		if (q->tail + need <= q->cap)
			return 0;
	}
	ncap = q->cap ? q->cap : 16384;
	while (ncap < pending + need)
		ncap *= 2;
	if (ncap > q->max)
		ncap = q->max;
	nb = realloc(q->buf, ncap);
	if (!nb)
		return -ENOMEM;
	q->buf = nb;
	q->cap = ncap;
	return 0;
}

int lq_push(struct line_queue *q, const char *s, size_t len)
{
	int r = lq_reserve(q, len + 1);

	if (r < 0) {
		q->lines_dropped++;
		return r;
	}
	memcpy(q->buf + q->tail, s, len);
	q->buf[q->tail + len] = '\n';
	q->tail += len + 1;
	q->lines_queued++;
	return 0;
}

void lq_trim(struct line_queue *q)
{
	if (q->head == q->tail && q->cap > 65536) {
		free(q->buf);
		q->buf = NULL;
		q->head = q->tail = q->cap = 0;
	}
}

int lq_flush(struct line_queue *q, int fd, size_t *written)
{
	size_t total = 0;
	int r = 0;

	while (lq_pending(q) > 0) {
		ssize_t n = write(fd, q->buf + q->head, lq_pending(q));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				r = -errno;
			break;
		}
		q->head += (size_t)n;
		total += (size_t)n;
	}
	if (q->head == q->tail)
		q->head = q->tail = 0;
	if (written)
		*written = total;
	return r;
}
