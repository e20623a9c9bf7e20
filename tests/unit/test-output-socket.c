// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * output-socket.c against real client sockets, driven by sd-event one
 * iteration at a time: what one iteration does is counted, never timed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/output.h"

#define NCLIENTS 100

struct fixture {
	char dir[64], path[128];
	sd_event *ev;
	struct output_socket *o;
	int clients[NCLIENTS];
	int n;
};

static void setup(struct fixture *f, uint32_t max_clients, size_t queue)
{
	struct output_socket_params p = {
	    .mode = 0600, .max_clients = max_clients, .client_queue_max = queue, .stall_timeout_s = 0};

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-output-socket.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/events.sock", f->dir);
	p.path = f->path;
	assert_int_equal(sd_event_new(&f->ev), 0);
	assert_int_equal(output_socket_new(&f->o, f->ev, &p), 0);
}

static void teardown(struct fixture *f)
{
	for (int i = 0; i < f->n; i++)
		close(f->clients[i]);
	output_socket_free(f->o);
	sd_event_unref(f->ev);
	rmdir(f->dir);
}

static int connect_client(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static uint64_t handled(struct fixture *f)
{
	struct output_socket_stats st;

	output_socket_get_stats(f->o, &st);
	return st.accepted + st.refused;
}

/* A flood of connections waiting in the backlog: one loop iteration takes
 * a bounded batch of them, so the ring buffer and the timers get their turn. */
static void test_accepts_bounded_per_iteration(void **state)
{
	struct fixture f;

	setup(&f, 4, 1 << 16);
	for (f.n = 0; f.n < NCLIENTS; f.n++)
		f.clients[f.n] = connect_client(f.path);
	assert_int_equal(sd_event_run(f.ev, 0), 1);
	assert_in_range(handled(&f), 1, 32);
	/* and every one of them is handled in later iterations */
	for (int i = 0; i < 100 && handled(&f) < NCLIENTS; i++)
		assert_true(sd_event_run(f.ev, 0) >= 0);
	assert_int_equal(handled(&f), NCLIENTS);
	teardown(&f);
}

/* Out of file descriptors (EMFILE): the connection stays in the backlog and
 * the listening socket stays readable; the loop must not wake for it again
 * and again, and must accept again once descriptors are free. */
static void test_emfile_does_not_spin(void **state)
{
	struct fixture f;
	struct rlimit old, low;
	struct output_socket_stats st;
	int busy = 0, probe;

	setup(&f, 64, 1 << 16);
	for (f.n = 0; f.n < 10; f.n++)
		f.clients[f.n] = connect_client(f.path);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	probe = dup(0); /* the lowest free descriptor: no new one from here */
	assert_true(probe >= 0);
	close(probe);
	low = old;
	low.rlim_cur = (rlim_t)probe;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	for (int i = 0; i < 100; i++)
		busy += sd_event_run(f.ev, 0) > 0;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	output_socket_get_stats(f.o, &st);
	assert_int_equal(st.accepted, 0);
	assert_true(st.accept_errors > 0);
	assert_in_range(busy, 1, 3);
	/* descriptors again: the backlog is taken (the retry timer is waited
	 * for, not timed) */
	for (int i = 0; i < 100 && handled(&f) < 10; i++)
		assert_true(sd_event_run(f.ev, 100000) >= 0);
	assert_int_equal(handled(&f), 10);
	teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepts_bounded_per_iteration),
	    cmocka_unit_test(test_emfile_does_not_spin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
