/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A bounded byte queue of whole NDJSON lines for one non-blocking reader.
 * A line is queued whole or not at all, so a reader never sees a torn or
 * interleaved record; when the bound is hit the line is dropped and counted.
 * Writes drain as much as the fd takes in one write(): many lines per call.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct line_queue {
	char *buf;
	size_t head, tail; /* pending bytes are buf[head..tail) */
	size_t cap;	   /* allocated */
	size_t max;	   /* bound */
	uint64_t lines_dropped;
	uint64_t lines_queued;
};

void lq_init(struct line_queue *q, size_t max);
void lq_done(struct line_queue *q);
size_t lq_pending(const struct line_queue *q);
/* Queues s[0..len) and a newline: 0, or -ENOBUFS (counted) / -ENOMEM. */
int lq_push(struct line_queue *q, const char *s, size_t len);
/* An empty queue gives its buffer back when it is larger than 64 KiB: the
 * memory of a queue that filled once is not kept for good. */
void lq_trim(struct line_queue *q);
/* Writes what the fd accepts: 0 (also on EAGAIN) or -errno.  *written
 * (may be NULL) is set to the bytes taken off the queue by this call, also
 * when a later write failed: the caller must know where a torn line ends. */
int lq_flush(struct line_queue *q, int fd, size_t *written);
