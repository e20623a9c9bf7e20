/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* line-queue.c: whole lines or nothing, bounded, drained in batches. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/util/line-queue.h"

static void test_bound_and_counts(void **state)
{
	struct line_queue q;
	char line[100];

	memset(line, 'x', sizeof(line));
	lq_init(&q, 1000);
	for (int i = 0; i < 9; i++)
		assert_int_equal(lq_push(&q, line, sizeof(line)), 0);
	assert_int_equal(lq_pending(&q), 909);
	assert_int_equal(lq_push(&q, line, sizeof(line)), -ENOBUFS); /* 1010 > 1000 */
	assert_int_equal(q.lines_dropped, 1);
	assert_int_equal(lq_push(&q, line, 90), 0); /* 91 more fits exactly */
	assert_int_equal(lq_pending(&q), 1000);
	lq_done(&q);
}

/* A reader with a tiny buffer never sees half a line followed by another. */
static void test_no_torn_lines(void **state)
{
	struct line_queue q;
	int sv[2], sz = 4096;
	char buf[65536], expect[64];
	size_t got = 0;
	int next = 0;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	lq_init(&q, 1 << 20);
	for (int i = 0; i < 2000; i++) {
		int n = snprintf(expect, sizeof(expect), "{\"n\":%d}", i);

		assert_int_equal(lq_push(&q, expect, (size_t)n), 0);
	}
	while (lq_pending(&q) || got) {
		ssize_t r;

		assert_int_equal(lq_flush(&q, sv[0], NULL), 0);
		r = read(sv[1], buf + got, sizeof(buf) - got - 1);
		if (r <= 0)
			break;
		got += (size_t)r;
		buf[got] = '\0';
		char *start = buf, *nl;

		while ((nl = strchr(start, '\n'))) {
			int n = snprintf(expect, sizeof(expect), "{\"n\":%d}", next++);

			assert_int_equal(nl - start, n);
			assert_memory_equal(start, expect, (size_t)n);
			start = nl + 1;
		}
		got = strlen(start);
		memmove(buf, start, got);
		if (!lq_pending(&q) && !got)
			break;
	}
	assert_int_equal(next, 2000);
	lq_done(&q);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bound_and_counts),
	    cmocka_unit_test(test_no_torn_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
