/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * output-socket.c against real client sockets, driven by sd-event one
 * iteration at a time: what one iteration does is counted, never timed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/event-json.h"
#include "agent/output.h"
#include "agent/record-format.h"
#include "agent/socket-request.h"

#define NCLIENTS 100

/* write() of this executable counts calls (then does the real one) */
static unsigned writes;

ssize_t write(int fd, const void *buf, size_t len)
{
	writes++;
	return syscall(SYS_write, fd, buf, len);
}

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

/* A client that does not read: once its socket buffer is full, records are
 * queued without a write() each. */
static void test_blocked_client_batched(void **state)
{
	struct fixture f;
	char rec[512];
	struct output_record r = {.json = rec, .len = sizeof(rec) - 1, .event = "test", .trace = true};
	unsigned before;

	memset(rec, 'x', sizeof(rec));
	rec[0] = '{', rec[sizeof(rec) - 2] = '}', rec[sizeof(rec) - 1] = '\0';
	setup(&f, 4, 1 << 20);
	f.clients[f.n++] = connect_client(f.path);
	for (int i = 0; i < 10 && handled(&f) < 1; i++)
		assert_true(sd_event_run(f.ev, 0) >= 0);
	assert_int_equal(handled(&f), 1);
	/* fill its socket buffer and half its queue, as a stalled reader has */
	for (int i = 0; i < 2000; i++) {
		output_socket_push(f.o, &r);
		if (i % 64 == 0)
			output_socket_flush(f.o);
	}
	before = writes;
	for (int i = 0; i < 500; i++)
		output_socket_push(f.o, &r);
	output_socket_flush(f.o);
	/* before: one write() per record once the queue was half full; now
	 * one per 64 KiB queued (256 KiB here) */
	assert_in_range(writes - before, 0, 5);
	teardown(&f);
}

/* What a non-blocking Unix stream socket holds before EAGAIN. */
static size_t socket_capacity(void)
{
	char buf[4096] = {};
	size_t total = 0;
	int sv[2];
	ssize_t n;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	while ((n = syscall(SYS_write, sv[0], buf, sizeof(buf))) > 0)
		total += (size_t)n;
	close(sv[0]);
	close(sv[1]);
	return total;
}

static size_t drain(int fd)
{
	char buf[65536];
	size_t total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	return total;
}

/* One budget for the queues of all clients: four clients that do not read,
 * each allowed 1 MiB, share 1 MiB in all. */
static void test_queue_budget_shared(void **state)
{
	struct output_socket_params p = {
	    .mode = 0600, .max_clients = 8, .client_queue_max = 1 << 20, .queue_budget = 1 << 20};
	struct output_socket_stats st;
	struct fixture f;
	char rec[1024];
	struct output_record r = {.json = rec, .len = sizeof(rec) - 1, .event = "test", .trace = true};
	size_t cap = socket_capacity(), got = 0;

	memset(rec, 'x', sizeof(rec));
	rec[0] = '{', rec[sizeof(rec) - 2] = '}', rec[sizeof(rec) - 1] = '\0';
	memset(&f, 0, sizeof(f));
	snprintf(f.dir, sizeof(f.dir), "/tmp/test-output-socket.XXXXXX");
	assert_non_null(mkdtemp(f.dir));
	snprintf(f.path, sizeof(f.path), "%s/events.sock", f.dir);
	p.path = f.path;
	assert_int_equal(sd_event_new(&f.ev), 0);
	assert_int_equal(output_socket_new(&f.o, f.ev, &p), 0);
	for (f.n = 0; f.n < 4; f.n++)
		f.clients[f.n] = connect_client(f.path);
	for (int i = 0; i < 10 && handled(&f) < 4; i++)
		assert_true(sd_event_run(f.ev, 0) >= 0);
	assert_int_equal(handled(&f), 4);
	for (int i = 0; i < 4096; i++) {
		output_socket_push(f.o, &r);
		if (i % 64 == 0)
			output_socket_flush(f.o);
	}
	output_socket_get_stats(f.o, &st);
	assert_true(st.queued_bytes <= (1 << 20));
	/* what the clients can still get: their sockets' contents and what
	 * the agent queued for them, within the budget */
	for (int i = 0; i < 400; i++) {
		for (int c = 0; c < f.n; c++)
			got += drain(f.clients[c]);
		assert_true(sd_event_run(f.ev, 0) >= 0);
	}
	print_message("# socket capacity %zu, received %zu of %d\n", cap, got, 4 * 4096 * 1024);
	assert_true(got <= (1 << 20) + 4 * (cap + 65536));
	teardown(&f);
}

/* Clients that do not read must not take the budget from one that does:
 * a client within its share (budget / clients) is never refused for the
 * budget's sake. */
static void test_budget_fair_to_reader(void **state)
{
	struct output_socket_params p = {
	    .mode = 0600, .max_clients = 8, .client_queue_max = 1 << 20, .queue_budget = 1 << 20};
	struct output_socket_stats st;
	struct fixture f;
	char rec[1024];
	struct output_record r = {.json = rec, .len = sizeof(rec) - 1, .event = "test", .trace = true};
	size_t got = 0;
	int reader;

	memset(rec, 'x', sizeof(rec));
	rec[0] = '{', rec[sizeof(rec) - 2] = '}', rec[sizeof(rec) - 1] = '\0';
	memset(&f, 0, sizeof(f));
	snprintf(f.dir, sizeof(f.dir), "/tmp/test-output-socket.XXXXXX");
	assert_non_null(mkdtemp(f.dir));
	snprintf(f.path, sizeof(f.path), "%s/events.sock", f.dir);
	p.path = f.path;
	assert_int_equal(sd_event_new(&f.ev), 0);
	assert_int_equal(output_socket_new(&f.o, f.ev, &p), 0);
	for (f.n = 0; f.n < 3; f.n++) /* three that never read */
		f.clients[f.n] = connect_client(f.path);
	reader = f.clients[f.n++] = connect_client(f.path);
	for (int i = 0; i < 10 && handled(&f) < 4; i++)
		assert_true(sd_event_run(f.ev, 0) >= 0);
	assert_int_equal(handled(&f), 4);
	for (int i = 0; i < 4096; i++) {
		output_socket_push(f.o, &r);
		if (i % 32 == 0) {
			output_socket_flush(f.o);
			assert_true(sd_event_run(f.ev, 0) >= 0);
			got += drain(reader);
		}
	}
	for (int i = 0; i < 100; i++) {
		output_socket_flush(f.o);
		assert_true(sd_event_run(f.ev, 0) >= 0);
		got += drain(reader);
	}
	output_socket_get_stats(f.o, &st);
	/* the reader got every record: 4096 of 1024 bytes */
	assert_int_equal(got, 4096 * 1024);
	assert_true(st.queued_bytes <= 2 * (1 << 20));
	teardown(&f);
}

/* The stall rule judges throughput: a client that takes a little now and
 * then (here 32 KiB per turn of 200 KiB sent) but never catches up is
 * disconnected after the stall timeout. */
static void test_trickle_reader_stalls(void **state)
{
	struct output_socket_params p = {
	    .mode = 0600, .max_clients = 8, .client_queue_max = 1 << 20, .queue_budget = 8 << 20, .stall_timeout_s = 1};
	struct output_socket_stats st;
	struct fixture f;
	char rec[1024];
	struct output_record r = {.json = rec, .len = sizeof(rec) - 1, .event = "test", .trace = true};
	int keep_up;

	memset(rec, 'x', sizeof(rec));
	rec[0] = '{', rec[sizeof(rec) - 2] = '}', rec[sizeof(rec) - 1] = '\0';
	memset(&f, 0, sizeof(f));
	snprintf(f.dir, sizeof(f.dir), "/tmp/test-output-socket.XXXXXX");
	assert_non_null(mkdtemp(f.dir));
	snprintf(f.path, sizeof(f.path), "%s/events.sock", f.dir);
	p.path = f.path;
	assert_int_equal(sd_event_new(&f.ev), 0);
	assert_int_equal(output_socket_new(&f.o, f.ev, &p), 0);
	f.clients[f.n++] = connect_client(f.path); /* the trickle reader */
	keep_up = f.clients[f.n++] = connect_client(f.path);
	for (int i = 0; i < 10 && handled(&f) < 2; i++)
		assert_true(sd_event_run(f.ev, 0) >= 0);
	assert_int_equal(handled(&f), 2);
	/* 3 s (the loop's timers, 1 s stall timeout): records keep coming,
	 * one client reads 32 KiB per turn, the other everything */
	for (int i = 0; i < 30; i++) {
		char b[32768];

		for (int k = 0; k < 200; k++)
			output_socket_push(f.o, &r);
		output_socket_flush(f.o);
		assert_true(sd_event_run(f.ev, 100000) >= 0);
		(void)!read(f.clients[0], b, sizeof(b));
		drain(keep_up);
	}
	output_socket_get_stats(f.o, &st);
	assert_int_equal(st.stalled, 1);
	assert_int_equal(st.clients, 1); /* the one that keeps up stays */
	teardown(&f);
}

/* What fd holds now (non-blocking), as a string; *eof when the agent closed it. */
static void read_all(int fd, char *buf, size_t size, bool *eof)
{
	size_t have = 0;
	ssize_t n;

	*eof = false;
	while (have + 1 < size && (n = read(fd, buf + have, size - 1 - have)) != 0) {
		if (n < 0)
			break;
		have += (size_t)n;
	}
	*eof = have + 1 < size && n == 0;
	buf[have] = '\0';
}

static void run(struct fixture *f, int times)
{
	for (int i = 0; i < times; i++)
		assert_true(sd_event_run(f->ev, 0) >= 0);
}

/* A client may ask for its own format ("format ecs\n"): from then on it
 * gets the startup record and the records in that format, while a client
 * that asked nothing keeps the socket's; records are wanted in a second
 * format only while a client asks for it.  A bad request gets an error
 * line and a disconnect; so does a line that never ends. */
static void test_format_request(void **state)
{
	struct fixture f;
	struct json_object *startup = json_record_new("startup", 1700000000000000000ULL);
	const char *lines[_RECORD_FORMAT_MAX] = {"{\"event\":\"exec\"}", "{\"@timestamp\":\"t\",\"x\":1}", NULL};
	size_t lens[_RECORD_FORMAT_MAX] = {strlen(lines[0]), strlen(lines[1]), 0};
	struct output_record r = {.json = lines[0],
				  .len = lens[0],
				  .event = "exec",
				  .trace = true,
				  .json_by_format = lines,
				  .len_by_format = lens};
	char buf[8192], longreq[SOCKET_REQUEST_MAX + 8];
	const char *p;
	bool eof;
	enum { PLAIN, ECS, BAD, LONG, OCSF };

	setup(&f, 8, 1 << 16);
	output_socket_set_format(f.o, RECORD_FORMAT_NATIVE, "host1");
	output_socket_set_greeting(f.o, startup);
	json_object_put(startup); /* the socket holds its own reference */
	for (f.n = 0; f.n < 5; f.n++)
		f.clients[f.n] = connect_client(f.path);
	for (int i = 0; i < 10 && handled(&f) < 5; i++)
		run(&f, 1);
	assert_int_equal(handled(&f), 5);
	assert_int_equal(output_socket_formats(f.o), 0);
	assert_int_equal(write(f.clients[ECS], "format ecs\n", 11), 11);
	assert_int_equal(write(f.clients[BAD], "format xml\n", 11), 11);
	memset(longreq, 'a', sizeof(longreq));
	assert_int_equal(write(f.clients[LONG], longreq, sizeof(longreq)), (ssize_t)sizeof(longreq));
	/* a request line in two writes is read as one */
	assert_int_equal(write(f.clients[OCSF], "format o", 8), 8);
	run(&f, 5);
	assert_int_equal(write(f.clients[OCSF], "csf\n", 4), 4);
	run(&f, 5);
	assert_int_equal(output_socket_formats(f.o), 1u << RECORD_FORMAT_ECS | 1u << RECORD_FORMAT_OCSF);
	output_socket_push(f.o, &r);
	output_socket_flush(f.o);
	run(&f, 5);

	read_all(f.clients[PLAIN], buf, sizeof(buf), &eof);
	assert_false(eof);
	assert_true(strncmp(buf, "{\"event\":\"startup\"", 18) == 0);
	p = strchr(buf, '\n');
	assert_string_equal(p + 1, "{\"event\":\"exec\"}\n");

	/* the native greeting (sent at connect), the ECS one, the ECS record */
	read_all(f.clients[ECS], buf, sizeof(buf), &eof);
	assert_false(eof);
	assert_true(strncmp(buf, "{\"event\":\"startup\"", 18) == 0);
	p = strchr(buf, '\n') + 1;
	assert_true(strncmp(p, "{\"@timestamp\":", 14) == 0);
	assert_non_null(strstr(p, "\"host1\"") ? p : NULL);
	p = strchr(p, '\n') + 1;
	assert_string_equal(p, "{\"@timestamp\":\"t\",\"x\":1}\n");

	/* OCSF was not encoded for this record: counted as lost for that
	 * client, after its OCSF greeting */
	read_all(f.clients[OCSF], buf, sizeof(buf), &eof);
	p = strchr(buf, '\n') + 1;
	assert_true(strncmp(p, "{\"class_uid\":", 13) == 0);

	read_all(f.clients[BAD], buf, sizeof(buf), &eof);
	assert_non_null(strstr(buf, "{\"error\":\"unknown format 'xml' (native, ecs, ocsf)\"}\n"));
	assert_null(strstr(buf, "exec")); /* no records after the refusal */
	assert_true(eof);
	read_all(f.clients[LONG], buf, sizeof(buf), &eof);
	assert_non_null(strstr(buf, "{\"error\":\"request longer than 63 bytes\"}\n"));
	assert_true(eof);

	/* the askers gone: no second format wanted any more */
	close(f.clients[ECS]);
	close(f.clients[OCSF]);
	f.clients[ECS] = f.clients[OCSF] = dup(0);
	run(&f, 5);
	assert_int_equal(output_socket_formats(f.o), 0);
	teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepts_bounded_per_iteration), cmocka_unit_test(test_format_request),
	    cmocka_unit_test(test_emfile_does_not_spin),	  cmocka_unit_test(test_blocked_client_batched),
	    cmocka_unit_test(test_queue_budget_shared),		  cmocka_unit_test(test_trickle_reader_stalls),
	    cmocka_unit_test(test_budget_fair_to_reader),
	};

	signal(SIGPIPE, SIG_IGN); /* as the agent (main.c): EPIPE, not death */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
