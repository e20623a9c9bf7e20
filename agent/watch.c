// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * clawos-ebpf watch [--name NAME] [--control PATH] -- COMMAND [ARGS...]
 * Registers this process with the running agent as the root of a tracked
 * tree, then execs COMMAND: it and every descendant are followed and tagged
 * with NAME in every record.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "watch.h"

#define DEFAULT_CONTROL "/run/clawos-ebpf/control.sock"

static int watch_register(const char *control, const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char msg[128], reply[64];
	ssize_t n;
	int fd;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", control) >= (int)sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	n = snprintf(msg, sizeof(msg), "WATCH %s\n", name);
	if (write(fd, msg, (size_t)n) != n || (n = read(fd, reply, sizeof(reply) - 1)) <= 0) {
		close(fd);
		return -EIO;
	}
	close(fd);
	reply[n] = '\0';
	reply[strcspn(reply, "\n")] = '\0';
	if (strncmp(reply, "OK ", 3) != 0) {
		fprintf(stderr, "clawos-ebpf watch: the agent refused: %s\n", reply);
		return -EPERM;
	}
	return (int)strtoul(reply + 3, NULL, 10);
}

int watch_main(int argc, char *argv[])
{
	static const struct option options[] = {
	    {"name", required_argument, NULL, 'n'},
	    {"control", required_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	const char *name = NULL, *control = DEFAULT_CONTROL;
	int c, session;

	while ((c = getopt_long(argc, argv, "+n:C:h", options, NULL)) >= 0) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'C':
			control = optarg;
			break;
		case 'h':
			printf("Usage: clawos-ebpf watch [--name NAME] [--control PATH] -- COMMAND [ARGS...]\n");
			return EXIT_SUCCESS;
		default:
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "clawos-ebpf watch: a COMMAND to run is needed\n");
		return 2;
	}
	if (!name) {
		const char *slash = strrchr(argv[optind], '/');

		name = slash ? slash + 1 : argv[optind];
	}
	if (strlen(name) >= CLAWOS_WATCH_NAME_MAX || strpbrk(name, "\n\r")) {
		fprintf(stderr, "clawos-ebpf watch: --name must be one line under %d bytes\n", CLAWOS_WATCH_NAME_MAX);
		return 2;
	}
	session = watch_register(control, name);
	if (session < 0) {
		fprintf(stderr, "clawos-ebpf watch: cannot register with the agent at %s: %s\n", control,
			strerror(-session));
		return 69;
	}
	fprintf(stderr, "clawos-ebpf watch: session %d '%s'\n", session, name);
	execvp(argv[optind], argv + optind);
	fprintf(stderr, "clawos-ebpf watch: cannot run %s: %s\n", argv[optind], strerror(errno));
	return 127;
}
