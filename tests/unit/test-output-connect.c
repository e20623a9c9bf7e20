/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * output-connect.c and lq_flush() against a real listening Unix socket (the
 * shipper) in a private directory, driven by sd-event one iteration at a
 * time: iterations are counted, never timed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/util/line-queue.h"
#include "agent/output.h"

/* write() of this executable: a pass-through, unless a test arms a fault
 * (the next write on fault_fd takes at most fault_bytes, the one after it
 * fails with EPIPE), the way a shipper that dies mid-line looks. */
static int fault_fd = -1;
static ssize_t fault_bytes = -1;
static int fault_stage;

ssize_t write(int fd, const void *buf, size_t len)
{
	if (fd == fault_fd && fault_stage == 1) {
		fault_stage = 2;
		if (len > (size_t)fault_bytes)
			len = (size_t)fault_bytes;
	} else if (fd == fault_fd && fault_stage == 2) {
		fault_stage = 0;
		errno = EPIPE;
		return -1;
	}
	return syscall(SYS_write, fd, buf, len);
}

static void arm_fault(int fd, ssize_t bytes)
{
	fault_fd = fd;
	fault_bytes = bytes;
	fault_stage = 1;
}

static int shipper_listen(char *path, size_t cap)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[] = "/tmp/test-output-connect.XXXXXX";
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, cap, "%s/shipper.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	return fd;
}

static void shipper_cleanup(int lfd, const char *path)
{
	char dir[256], *slash;

	close(lfd);
	unlink(path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	rmdir(dir);
}

/* Runs the loop until the agent is connected and accepts that connection. */
static int run_until_connected(sd_event *ev, struct output_connect *o, int lfd)
{
	struct output_connect_stats st;
	struct pollfd p = {.fd = lfd, .events = POLLIN};

	for (int i = 0; i < 200; i++) {
		output_connect_get_stats(o, &st);
		if (st.connected && poll(&p, 1, 0) == 1)
			return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		assert_true(sd_event_run(ev, 100000) >= 0);
	}
	fail_msg("the agent never connected");
	return -1;
}

static int agent_fd(int shipper_side, const char *path)
{
	/* the agent's end: the socket of this process whose peer is the
	 * shipper's path */
	for (int fd = 3; fd < 1024; fd++) {
		struct sockaddr_un a;
		socklen_t al = sizeof(a);
		int type;
		socklen_t tl = sizeof(type);

		if (fd == shipper_side || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM)
			continue;
		if (getpeername(fd, (struct sockaddr *)&a, &al) == 0 && al > offsetof(struct sockaddr_un, sun_path) &&
		    !strcmp(a.sun_path, path))
			return fd;
	}
	fail_msg("no agent socket");
	return -1;
}

static void push_line(struct output_connect *o, const char *s)
{
	struct output_record r = {.json = s, .len = strlen(s), .event = "test", .trace = true};

	output_connect_push(o, &r);
}

/* A shipper that sends a byte: the agent must read it and go back to sleep,
 * not be woken by the same unread byte on every loop iteration. */
static void test_shipper_bytes_do_not_spin(void **state)
{
	char path[256];
	int lfd = shipper_listen(path, sizeof(path)), sfd, busy = 0;
	struct output_connect *o;
	sd_event *ev;

	assert_int_equal(sd_event_new(&ev), 0);
	assert_int_equal(output_connect_new(&o, ev, path, 1 << 16), 0);
	sfd = run_until_connected(ev, o, lfd);
	assert_true(sfd >= 0);
	push_line(o, "{\"n\":1}");
	output_connect_flush(o);
	assert_int_equal(write(sfd, "hello\n", 6), 6);
	for (int i = 0; i < 100; i++)
		busy += sd_event_run(ev, 0) > 0;
	/* one wake-up reads the bytes; the loop is idle afterwards */
	assert_in_range(busy, 0, 2);
	/* and the line still arrives whole */
	{
		char buf[64] = "";

		assert_int_equal(read(sfd, buf, sizeof(buf) - 1), 8);
		assert_string_equal(buf, "{\"n\":1}\n");
	}
	output_connect_free(o);
	sd_event_unref(ev);
	close(sfd);
	shipper_cleanup(lfd, path);
}

/* A write that fails after part of a line was taken: the rest of that line
 * is dropped and counted, and the next connection starts at a line. */
static void test_failed_write_no_torn_line(void **state)
{
	char path[256], buf[256] = "";
	int lfd = shipper_listen(path, sizeof(path)), sfd, sfd2;
	struct output_connect *o;
	struct output_connect_stats st;
	sd_event *ev;
	ssize_t n;

	assert_int_equal(sd_event_new(&ev), 0);
	assert_int_equal(output_connect_new(&o, ev, path, 1 << 16), 0);
	sfd = run_until_connected(ev, o, lfd);
	push_line(o, "{\"line\":\"one\"}");
	push_line(o, "{\"line\":\"two\"}");
	push_line(o, "{\"line\":\"three\"}");
	/* line one whole and 5 bytes of line two, then EPIPE */
	arm_fault(agent_fd(sfd, path), 15 + 5);
	output_connect_flush(o);
	output_connect_get_stats(o, &st);
	assert_false(st.connected);
	assert_int_equal(st.dropped, 1); /* line two */
	n = read(sfd, buf, sizeof(buf) - 1);
	assert_int_equal(n, 20);
	close(sfd);
	sfd2 = run_until_connected(ev, o, lfd);
	output_connect_flush(o);
	memset(buf, 0, sizeof(buf));
	n = read(sfd2, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	assert_string_equal(buf, "{\"line\":\"three\"}\n");
	output_connect_free(o);
	sd_event_unref(ev);
	close(sfd2);
	shipper_cleanup(lfd, path);
}

/* lq_flush() itself: bytes taken before a failing write are reported. */
static void test_lq_flush_reports_partial(void **state)
{
	struct line_queue q;
	int sv[2];
	size_t written = 0;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	lq_init(&q, 1 << 16);
	assert_int_equal(lq_push(&q, "abcdef", 6), 0);
	assert_int_equal(lq_push(&q, "ghijkl", 6), 0);
	arm_fault(sv[0], 9);
	assert_int_equal(lq_flush(&q, sv[0], &written), -EPIPE);
	assert_int_equal(written, 9);
	assert_int_equal(lq_pending(&q), 5);
	lq_done(&q);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shipper_bytes_do_not_spin),
	    cmocka_unit_test(test_failed_write_no_torn_line),
	    cmocka_unit_test(test_lq_flush_reports_partial),

	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
