/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clawos-ebpf events [--type LIST] [--format FORMAT] [--socket PATH]: a
 * client of the agent's event socket for people, so that nobody needs socat
 * and jq to watch a live host.  JSON lines pass through byte for byte; text
 * is event-text.h's form.  native, ecs and ocsf ask the agent for records
 * in that schema whatever the socket's own format is (socket-request.h);
 * text asks for native, the only form event-text.h reads.  Lost-record
 * notices (events_lost) always pass the type filter: a reader must know
 * what it did not see.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "event-text.h"
#include "macro.h"
#include "output-format.h"
#include "record-format.h"
#include "socket-request.h"
#include "time-util.h"

#define RECORD_MAX (1u << 20) /* longer lines are not records of ours */
#define NAMES_MAX 32
#define SYNC_WARN_MS 5000

struct events_cli {
	bool filter;
	bool want[NAMES_MAX]; /* by index in event_text_record_names */
	bool text;
	int ask;		 /* the format asked of the agent, or -1: the socket's own (json) */
	bool synced;		 /* a line in the format asked for arrived: lines before it are not ours */
	bool warned;		 /* --type on records that are not native, said once */
	uint64_t unsynced_since; /* CLOCK_MONOTONIC ms the first line not in that format came; 0: none */
	bool warned_sync;	 /* the agent ignores the request: said once */
	struct event_text_options opts;
	char last_event[32];
	uint64_t skipped;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: clawos-ebpf events [--type TYPES] [--format FORMAT] [--socket PATH]\n"
		"The running agent's records as they happen, from its event socket.\n\n"
		"  -t, --type TYPES     only these record types, comma-separated, e.g. exec,file_access\n"
		"                       (events_lost notices always pass)\n"
		"      --format FORMAT  %s, native, ecs, ocsf (auto: text on a terminal, json\n"
		"                       otherwise; json: the socket's records as they come; native, ecs,\n"
		"                       ocsf: in that schema whatever the socket's format is)\n"
		"      --socket PATH    the agent's event socket (default %s)\n",
		output_format_choices(), CLAWOS_DEFAULT_SOCKET_PATH);
}

static int parse_types(struct events_cli *c, const char *list)
{
	_cleanup_free_ char *copy = strdup(list);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; event_text_record_names[i] && strcmp(event_text_record_names[i], t) != 0; i++)
			;
		if (!event_text_record_names[i] || i >= NAMES_MAX) {
			fprintf(stderr, "clawos-ebpf events: unknown record type '%s'; the types are:", t);
			for (i = 0; event_text_record_names[i]; i++)
				fprintf(stderr, "%s %s", i ? "," : "", event_text_record_names[i]);
			fputc('\n', stderr);
			return -EINVAL;
		}
		c->want[i] = true;
		c->filter = true;
	}
	if (!c->filter) {
		fprintf(stderr, "clawos-ebpf events: --type needs at least one record type\n");
		return -EINVAL;
	}
	return 0;
}

/* The "event" of a line: the agent writes it first ({"event":"exec",...}). */
static bool line_event(const char *line, size_t len, char *name, size_t size)
{
	static const char prefix[] = "{\"event\":\"";
	const char *end;

	if (len < sizeof(prefix) || memcmp(line, prefix, sizeof(prefix) - 1) != 0)
		return false;
	line += sizeof(prefix) - 1;
	len -= sizeof(prefix) - 1;
	end = memchr(line, '"', MIN(len, size - 1));
	if (!end)
		return false;
	memcpy(name, line, (size_t)(end - line));
	name[end - line] = '\0';
	return true;
}

static bool selected(const struct events_cli *c, const char *name)
{
	if (!c->filter || strcmp(name, "events_lost") == 0)
		return true;
	for (size_t i = 0; event_text_record_names[i] && i < NAMES_MAX; i++)
		if (strcmp(event_text_record_names[i], name) == 0)
			return c->want[i];
	return false;
}

/* A shutdown record in ECS or OCSF (native ones are told by their "event"). */
static bool line_is_shutdown(const char *line, size_t len)
{
	/* ECS event.dataset, OCSF metadata.event_code: the native name */
	static const char *const marks[] = {"\"dataset\":\"clawos.shutdown\"", "\"event_code\":\"shutdown\""};

	for (size_t i = 0; i < ELEMENTSOF(marks); i++)
		if (memmem(line, len, marks[i], strlen(marks[i])))
			return true;
	return false;
}

/* Returns -1 when the agent refused the request (an error line). */
static int handle_line(struct events_cli *c, const char *line, size_t len)
{
	char name[32], text[EVENT_TEXT_MAX], err[256];
	int n, f;

	if (socket_error_line(line, len, err, sizeof(err))) {
		fprintf(stderr, "clawos-ebpf events: the agent refused the request: %s\n", err);
		return -1;
	}
	f = record_format_of_line(line, len);
	if (c->ask >= 0 && !c->synced) {
		/* until the agent has read the request, the socket's own format;
		 * the first record in the format asked for is the startup record */
		if (f != c->ask) {
			/* the agent answers a request in the loop iteration it
			 * reads it: lines in the socket's format for seconds
			 * mean an agent that does not know the request */
			uint64_t now = now_msec(CLOCK_MONOTONIC);

			if (!c->unsynced_since)
				c->unsynced_since = now;
			else if (now - c->unsynced_since > SYNC_WARN_MS && !c->warned_sync) {
				fprintf(stderr,
					"clawos-ebpf events: the agent keeps sending records in another format than "
					"%s; is it older than this clawos-ebpf (no format request)?\n",
					record_format_name(c->ask));
				c->warned_sync = true;
			}
			return 0;
		}
		c->synced = true;
	}
	if (f < 0 || (c->ask >= 0 && f != c->ask)) {
		c->skipped++;
		return 0;
	}
	if (f != RECORD_FORMAT_NATIVE) {
		snprintf(c->last_event, sizeof(c->last_event), "%s", line_is_shutdown(line, len) ? "shutdown" : "");
		if (c->filter && !c->warned) {
			fprintf(stderr,
				"clawos-ebpf events: the socket's records are not native (see [socket] format); "
				"--type selects native records only: use --format native\n");
			c->warned = true;
		}
		if (c->filter) {
			c->skipped++;
			return 0;
		}
		fwrite(line, 1, len, stdout);
		fputc('\n', stdout);
		return 0;
	}
	if (!line_event(line, len, name, sizeof(name))) {
		c->skipped++;
		return 0;
	}
	snprintf(c->last_event, sizeof(c->last_event), "%s", name);
	if (!selected(c, name))
		return 0;
	if (!c->text) {
		fwrite(line, 1, len, stdout);
		fputc('\n', stdout);
		return 0;
	}
	n = event_text_format(line, len, &c->opts, text, sizeof(text));
	if (n < 0) {
		c->skipped++;
		return 0;
	}
	fwrite(text, 1, (size_t)n, stdout);
	fputc('\n', stdout);
	return 0;
}

static int connect_socket(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path) >= (int)sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* Reads until the agent closes; EXIT_SUCCESS after its shutdown record. */
static int events_loop(struct events_cli *c, int fd)
{
	_cleanup_free_ char *buf = malloc(RECORD_MAX);
	size_t have = 0;

	if (!buf)
		return EXIT_FAILURE;
	for (;;) {
		ssize_t n = read(fd, buf + have, RECORD_MAX - have);
		size_t start = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				fprintf(stderr, "clawos-ebpf events: reading the socket failed: %s\n", strerror(errno));
			break;
		}
		have += (size_t)n;
		for (char *nl; (nl = memchr(buf + start, '\n', have - start)); start = (size_t)(nl - buf) + 1)
			if (handle_line(c, buf + start, (size_t)(nl - buf) - start) < 0)
				return EXIT_FAILURE;
		memmove(buf, buf + start, have - start);
		have -= start;
		if (have == RECORD_MAX) { /* not NDJSON of ours: resynchronise at the next newline */
			c->skipped++;
			have = 0;
		}
		if (fflush(stdout) != 0 || ferror(stdout))
			return errno == EPIPE ? EXIT_SUCCESS : EXIT_FAILURE; /* the reader went away (| head): done */
	}
	if (c->skipped)
		fprintf(stderr, "clawos-ebpf events: %llu lines were not records and were skipped\n",
			(unsigned long long)c->skipped);
	if (strcmp(c->last_event, "shutdown") == 0) {
		fprintf(stderr, "clawos-ebpf events: the agent stopped\n");
		return EXIT_SUCCESS;
	}
	fprintf(stderr, "clawos-ebpf events: the agent closed the connection\n");
	return EXIT_FAILURE;
}

int events_main(int argc, char *argv[])
{
	enum { ARG_FORMAT = 0x100, ARG_SOCKET };
	static const struct option options[] = {
	    {"type", required_argument, NULL, 't'},
	    {"format", required_argument, NULL, ARG_FORMAT},
	    {"socket", required_argument, NULL, ARG_SOCKET},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	struct events_cli c = {.ask = -1};
	enum output_format format = OUTPUT_FORMAT_AUTO;
	char request[SOCKET_REQUEST_MAX];
	const char *path = CLAWOS_DEFAULT_SOCKET_PATH;
	bool tty = isatty(STDOUT_FILENO);
	int opt, fd, r;

	while ((opt = getopt_long(argc, argv, "t:h", options, NULL)) >= 0) {
		switch (opt) {
		case 't':
			if (parse_types(&c, optarg) < 0)
				return EXIT_USAGE;
			break;
		case ARG_FORMAT:
			c.ask = record_format_from_name(optarg);
			if (c.ask >= 0)
				format = OUTPUT_FORMAT_JSON; /* that schema's records as they come */
			else if (output_format_from_name(optarg) >= 0)
				format = output_format_from_name(optarg);
			else {
				fprintf(stderr,
					"clawos-ebpf events: --format '%s' is not one of: %s, native, ecs, ocsf\n",
					optarg, output_format_choices());
				return EXIT_USAGE;
			}
			break;
		case ARG_SOCKET:
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "clawos-ebpf events: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	format = output_format_resolve(format, tty);
	c.text = format == OUTPUT_FORMAT_TEXT;
	if (c.text)
		c.ask = RECORD_FORMAT_NATIVE; /* the one form the text view reads */
	if (c.filter && c.ask > RECORD_FORMAT_NATIVE) {
		fprintf(stderr, "clawos-ebpf events: --type selects native records; it does not go with --format %s\n",
			record_format_name(c.ask));
		return EXIT_USAGE;
	}
	c.opts.color = output_color_wanted(format, tty, getenv("NO_COLOR"));
	signal(SIGPIPE, SIG_IGN);
	fd = connect_socket(path);
	if (fd < 0) {
		fprintf(stderr, "clawos-ebpf events: cannot connect to %s: %s%s\n", path, strerror(-fd),
			fd == -ENOENT || fd == -ECONNREFUSED ? " (is the agent running?)"
			: fd == -EACCES ? " (the socket is for root and the group of socket_group, see clawos-ebpf(8))"
					: "");
		return EXIT_UNAVAILABLE;
	}
	if (c.ask >= 0) {
		/* one short line into an empty socket buffer: it does not block */
		int n = socket_request_format(c.ask, request, sizeof(request));

		if (n < 0 || write(fd, request, (size_t)n) != n) {
			fprintf(stderr, "clawos-ebpf events: sending the format request to %s failed: %s\n", path,
				strerror(n < 0 ? -n : errno));
			close(fd);
			return EXIT_UNAVAILABLE;
		}
	}
	r = events_loop(&c, fd);
	close(fd);
	return r;
}
